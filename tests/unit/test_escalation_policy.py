"""Escalation policies and response targets (pure)."""

from __future__ import annotations

import pytest

from warroom.escalation.policy import (
    DEFAULT_TARGETS,
    PolicyError,
    next_step,
    policy_from_json,
    policy_to_json,
    targets_from_json,
    targets_to_json,
)

LEVELS = [{"timeout_minutes": 5, "targets": [{"kind": "user", "id": 1}]},
          {"timeout_minutes": 10, "targets": [{"kind": "schedule", "id": 2}, {"kind": "role", "role": "coordinator"}]}]


def test_steps_climb_then_repeat_then_stop():
    p = policy_from_json("p", LEVELS, repeat=2)
    steps, cur = [], (0, 0)
    while (cur := next_step(p, *cur)) is not None:
        steps.append(cur)
    assert steps == [(1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]


def test_round_trip():
    p = policy_from_json(" p ", LEVELS, 1)
    assert policy_to_json(p) == {"name": "p", "repeat": 1, "levels": LEVELS}


@pytest.mark.parametrize(("levels", "repeat", "field"), [
    ([], 0, "levels"),
    ([{"timeout_minutes": 0, "targets": [{"kind": "user", "id": 1}]}], 0, "levels[0].timeout_minutes"),
    ([{"timeout_minutes": 5, "targets": []}], 0, "levels[0].targets"),
    ([{"timeout_minutes": 5, "targets": [{"kind": "pager"}]}], 0, "levels[0].targets[0].kind"),
    ([{"timeout_minutes": 5, "targets": [{"kind": "user", "id": "x"}]}], 0, "levels[0].targets[0].id"),
    ([{"timeout_minutes": 5, "targets": [{"kind": "role", "role": "boss"}]}], 0, "levels[0].targets[0].role"),
    (LEVELS, 11, "repeat"),
    (["x"], 0, "levels[0]"),
])
def test_bad_policies_name_the_field(levels, repeat, field):
    with pytest.raises(PolicyError) as e:
        policy_from_json("p", levels, repeat)
    assert e.value.field == field


def test_targets():
    t = targets_from_json({"ack_minutes": {"P1": 3, "P5": None}, "resolve_minutes": {}, "breach_policy_id": 4})
    assert t.due("P1", "ack") == 3 and t.due("P2", "ack") is None and t.breach_policy_id == 4
    assert targets_from_json(targets_to_json(DEFAULT_TARGETS)) == DEFAULT_TARGETS
    for bad, field in [({"ack_minutes": {"P9": 1}}, "ack_minutes.P9"), ({"ack_minutes": {"P1": 0}}, "ack_minutes.P1"),
                       ({"resolve_minutes": []}, "resolve_minutes"), ({"breach_policy_id": "x"}, "breach_policy_id")]:
        with pytest.raises(PolicyError) as e:
            targets_from_json(bad)
        assert e.value.field == field
