"""The impact x urgency matrix: the ITIL-style default, and parsing an admin's grid."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.incidents.priority import (
    DEFAULT_MATRIX,
    BadMatrix,
    Impact,
    Priority,
    Urgency,
    matrix_from_json,
    matrix_to_json,
    priority_for,
)


@pytest.mark.parametrize(("impact", "urgency", "expected"), [
    (Impact.EXTENSIVE, Urgency.CRITICAL, Priority.P1),
    (Impact.EXTENSIVE, Urgency.HIGH, Priority.P2),
    (Impact.SIGNIFICANT, Urgency.CRITICAL, Priority.P2),
    (Impact.MODERATE, Urgency.MEDIUM, Priority.P5),
    (Impact.SIGNIFICANT, Urgency.MEDIUM, Priority.P4),
    (Impact.MINOR, Urgency.CRITICAL, Priority.P4),
    (Impact.MINOR, Urgency.LOW, Priority.P5),
])
def test_default_matrix(impact: Impact, urgency: Urgency, expected: Priority) -> None:
    assert priority_for(impact, urgency) is expected


def test_default_matrix_is_complete_and_monotonic() -> None:
    assert len(DEFAULT_MATRIX) == 16
    impacts, urgencies = list(Impact), list(Urgency)
    for i in Impact:
        for u in Urgency:
            rank = DEFAULT_MATRIX[i, u].rank
            if impacts.index(i) + 1 < len(impacts):
                assert DEFAULT_MATRIX[impacts[impacts.index(i) + 1], u].rank >= rank
            if urgencies.index(u) + 1 < len(urgencies):
                assert DEFAULT_MATRIX[i, urgencies[urgencies.index(u) + 1]].rank >= rank


def test_a_custom_matrix_is_used_when_given() -> None:
    grid = {k: Priority.P3 for k in DEFAULT_MATRIX}
    assert priority_for(Impact.EXTENSIVE, Urgency.CRITICAL, grid) is Priority.P3


@given(st.lists(st.sampled_from(list(Priority)), min_size=16, max_size=16))
def test_json_round_trip(cells: list[Priority]) -> None:
    grid = dict(zip(DEFAULT_MATRIX, cells, strict=True))
    assert matrix_from_json(matrix_to_json(grid)) == grid


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d.pop("minor"), "matrix.minor"),
    (lambda d: d["minor"].pop("low"), "matrix.minor.low"),
    (lambda d: d["minor"].update(low="P9"), "matrix.minor.low"),
    (lambda d: d.update(cosmic={"low": "P1"}), "matrix.cosmic"),
    (lambda d: d.update(minor="P1"), "matrix.minor"),
    (lambda d: d["minor"].update(eventually="P1"), "matrix.minor.eventually"),
])
def test_bad_grids_name_the_cell(mutate, field: str) -> None:  # noqa: ANN001
    data = matrix_to_json(DEFAULT_MATRIX)
    mutate(data)
    with pytest.raises(BadMatrix) as info:
        matrix_from_json(data)
    assert str(info.value).startswith(field + ":")
