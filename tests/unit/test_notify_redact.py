"""Who sees a contact address whole and who may send a notification again (pure rules of notifications/redact.py)."""

from __future__ import annotations

import pytest

from warroom.auth.permissions import Principal, UserRole
from warroom.notifications.redact import may_retry, sees_paging_details


@pytest.mark.parametrize(("role", "own", "expected"), [
    (UserRole.VIEWER, True, False),          # a viewer retries nothing, even their own
    (UserRole.RESPONDER, True, True),
    (UserRole.RESPONDER, False, False),      # someone else's: only an admin
    (UserRole.ADMIN, False, True),
])
def test_who_may_retry_a_notification(role: UserRole, own: bool, expected: bool) -> None:
    p = Principal(1, "someone", role)
    assert may_retry(p, 1 if own else 2) is expected
    assert may_retry(None, 1) is False


def test_responders_and_admins_see_how_a_page_reaches_someone() -> None:
    assert [sees_paging_details(Principal(1, "x", r)) for r in UserRole] == [r is not UserRole.VIEWER for r in UserRole]
    assert sees_paging_details(None) is False
