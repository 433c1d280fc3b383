"""The incident queue page: work-queue order, filters, badges, escaping, and the rows fragment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.web.pages_support import declare, login_as
from warroom.catalog import service as catalog
from warroom.incidents import service
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Urgency


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Rendering does not depend on the database; actions, sessions and streams run on both (other files)."""
    return sqlite_url


def refs_in(html: str) -> list[str]:
    return re.findall(r'<span class="ref">(INC-\d+)</span>', html)


def test_queue_lists_open_incidents_major_first_then_priority_then_age(api, app, users, clock) -> None:
    now = clock.now()
    low = declare(app, users, "Slow search", impact=Impact.MINOR, urgency=Urgency.LOW,
                  detected_at=now - timedelta(hours=5))
    p3_old = declare(app, users, "Old P3", impact=Impact.SIGNIFICANT, urgency=Urgency.HIGH,
                     detected_at=now - timedelta(hours=2))
    p3_new = declare(app, users, "New P3", impact=Impact.SIGNIFICANT, urgency=Urgency.HIGH,
                     detected_at=now - timedelta(minutes=3))
    major = declare(app, users, "Minor but major", impact=Impact.MINOR, urgency=Urgency.LOW)
    service.promote(app, users.principal("responder"), major.id, "board says so")
    done = declare(app, users, "Fixed already")
    service.move(app, users.principal("responder"), done.id, Status.RESOLVED)
    login_as(api, "viewer")
    page = api.get("/")
    assert page.status_code == 200
    assert refs_in(page.text) == [f"INC-{s.ref}" for s in (major, p3_old, p3_new, low)]
    assert 'class="badge major"' in page.text and 'prio-p3' in page.text
    assert ">2h 00m<" in page.text and ">3m<" in page.text  # time since detection


def test_queue_filters(api, app, users) -> None:
    svc = catalog.create_service(app, name="payments")
    a = declare(app, users, "Database down", impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL,
                service_ids=[svc["id"]])
    b = declare(app, users, "Typo on the help page", impact=Impact.MINOR, urgency=Urgency.LOW)
    service.move(app, users.principal("responder"), b.id, Status.RESOLVED)
    login_as(api, "viewer")
    assert refs_in(api.get("/?priority=P1").text) == [f"INC-{a.ref}"]
    assert refs_in(api.get("/?status=resolved").text) == [f"INC-{b.ref}"]
    assert refs_in(api.get("/?q=database").text) == [f"INC-{a.ref}"]
    assert refs_in(api.get("/?major=1").text) == []
    page = api.get(f"/?service_id={svc['id']}")
    assert refs_in(page.text) == [f"INC-{a.ref}"] and f'<option value="{svc["id"]}" selected>payments' in page.text
    rows = api.get("/queue/rows?priority=P1")
    assert rows.status_code == 200 and refs_in(rows.text) == [f"INC-{a.ref}"] and "<html" not in rows.text


def test_bad_filters_are_422_naming_the_field(api, users) -> None:
    login_as(api, "viewer")
    for query, field in (("priority=P9", "priority"), ("status=sleeping", "status"), ("team_id=x", "team_id"),
                         ("major=maybe", "major")):
        r = api.get(f"/?{query}")
        assert r.status_code == 422 and f"{field}:" in r.text, query


def test_user_text_is_escaped_in_the_queue(api, app, users) -> None:
    declare(app, users, '<img src=x onerror="alert(1)"> & <script>alert(2)</script>')
    login_as(api, "viewer")
    html = api.get("/").text
    assert "<script>alert(2)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_queue_page_carries_the_live_stream_position(api, app, users) -> None:
    declare(app, users)
    login_as(api, "viewer")
    html = api.get("/?priority=P3").text
    assert 'data-live="/live/queue"' in html
    assert re.search(r'data-after="(\d+)"', html).group(1) == "1"
    assert 'data-rows="/queue/rows?priority=P3"' in html
