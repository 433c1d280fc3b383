"""Impact x urgency -> priority (pure). The default grid is ITIL-style; admins may store another."""

from __future__ import annotations

from enum import StrEnum


class Impact(StrEnum):
    EXTENSIVE = "extensive"  # extensive / widespread
    SIGNIFICANT = "significant"  # significant / large
    MODERATE = "moderate"  # moderate / limited
    MINOR = "minor"  # minor / localized


class Urgency(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"

    @property
    def rank(self) -> int:
        return int(self.value[1])


Matrix = dict[tuple[Impact, Urgency], Priority]

_IMPACTS = list(Impact)
_URGENCIES = list(Urgency)

# ITIL-style: rank = impact row + urgency column + 1, capped at P5.
DEFAULT_MATRIX: Matrix = {
    (i, u): Priority(f"P{min(5, _IMPACTS.index(i) + _URGENCIES.index(u) + 1)}")
    for i in Impact
    for u in Urgency
}


def priority_for(impact: Impact, urgency: Urgency, matrix: Matrix | None = None) -> Priority:
    return (matrix or DEFAULT_MATRIX)[impact, urgency]


def matrix_to_json(matrix: Matrix) -> dict[str, dict[str, str]]:
    """{impact: {urgency: priority}}: the stored and API form of a matrix."""
    return {i.value: {u.value: matrix[i, u].value for u in Urgency} for i in Impact}


class BadMatrix(ValueError):
    pass


def matrix_from_json(data: dict[str, dict[str, str]]) -> Matrix:
    """Parse a full grid; every impact x urgency cell must be present with P1-P5."""
    out: Matrix = {}
    for i in Impact:
        row = data.get(i.value)
        if not isinstance(row, dict):
            raise BadMatrix(f"matrix.{i.value}: row missing")
        for u in Urgency:
            try:
                out[i, u] = Priority(row[u.value])
            except KeyError:
                raise BadMatrix(f"matrix.{i.value}.{u.value}: cell missing") from None
            except ValueError:
                raise BadMatrix(f"matrix.{i.value}.{u.value}: must be one of P1-P5") from None
        unknown = set(row) - {u.value for u in Urgency}
        if unknown:
            raise BadMatrix(f"matrix.{i.value}.{sorted(unknown)[0]}: unknown urgency")
    extra = set(data) - {i.value for i in Impact}
    if extra:
        raise BadMatrix(f"matrix.{sorted(extra)[0]}: unknown impact")
    return out
