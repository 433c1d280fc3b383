"""One registry of notification channels (notifications/channels/__init__.py): contacts' kinds and address checks,
the outbox's channels and the API's `MethodIn.kind` all derive from `CHANNELS`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.notify_support import ADMIN, person
from warroom.errors import Invalid
from warroom.notifications import contacts
from warroom.notifications.channels import CHANNELS, ChannelKind, build_all
from warroom.platform.app import App
from warroom.platform.outbound import Policy, policy_of
from warroom.web.api.schemas.notifications import MethodIn


def _check_pager(address: str, guard: Policy) -> None:
    if not address.startswith("pager:"):
        raise Invalid("address", "not a pager number")


def _send(row: dict[str, Any], secret: str) -> None:
    return None


FAKE = ChannelKind("pager", _check_pager, lambda w: _send)


def test_every_place_lists_the_registered_kinds(app: App) -> None:
    assert list(CHANNELS) == ["email", "webhook", "slack", "teams", "apprise"]
    assert MethodIn.model_json_schema()["properties"]["kind"]["enum"] == list(CHANNELS)
    assert set(build_all(policy_of(app.settings)).keys()) == set(CHANNELS)


def test_a_channel_added_to_the_registry_is_a_contact_kind_with_its_check(app: App, monkeypatch) -> None:
    uid = person(app, "pat")
    with pytest.raises(Invalid) as e:
        contacts.add_method(app, ADMIN, uid, kind="pager", address="pager:123")
    assert "must be one of email, webhook, slack, teams, apprise" in str(e.value)
    monkeypatch.setitem(CHANNELS, "pager", FAKE)
    with pytest.raises(Invalid) as e:
        contacts.add_method(app, ADMIN, uid, kind="pager", address="555-123")
    assert "not a pager number" in str(e.value)
    added = contacts.add_method(app, ADMIN, uid, kind="pager", address="pager:123")
    assert added["kind"] == "pager"
    assert build_all(policy_of(app.settings))["pager"] is _send
