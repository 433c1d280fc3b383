"""The one incident filter: its query-string form (page links, the CLI's API call) and the queue's reading."""

from __future__ import annotations

import pytest

from warroom.errors import Invalid
from warroom.incidents.filters import IncidentFilter


def test_defaults_say_nothing() -> None:
    assert IncidentFilter().params() == []
    assert IncidentFilter().query() == ""


def test_params_in_a_stable_order() -> None:
    f = IncidentFilter(q="db down", statuses=("identified", "contained"), priorities=("P1",), major=False,
                       open_only=True, service_id=3, team_id=4, order="recent")
    assert f.params() == [("q", "db down"), ("status", "identified"), ("status", "contained"), ("priority", "P1"),
                          ("major", "0"), ("open", "1"), ("service_id", "3"), ("team_id", "4"), ("order", "recent")]
    assert f.query() == ("q=db+down&status=identified&status=contained&priority=P1&major=0&open=1&service_id=3"
                         "&team_id=4&order=recent")


@pytest.mark.parametrize(("kw", "field"), [({"statuses": ("nope",)}, "status"), ({"priorities": ("P9",)}, "priority"),
                                           ({"order": "random"}, "order")])
def test_an_unknown_value_names_its_field(kw: dict, field: str) -> None:
    with pytest.raises(Invalid) as exc:
        IncidentFilter(**kw)
    assert exc.value.field == field


@pytest.mark.parametrize(("statuses", "open_only", "order"), [
    ((), True, "queue"),                                   # nothing named: the open ones, in queue order
    (("investigating",), None, "queue"),
    (("resolved", "investigating"), None, "queue"),
    (("resolved", "closed"), None, "recent"),              # history only: newest first
])
def test_the_queue_reading(statuses: tuple[str, ...], open_only: bool | None, order: str) -> None:
    f = IncidentFilter(statuses=statuses).for_queue()
    assert (f.open_only, f.order) == (open_only, order)
