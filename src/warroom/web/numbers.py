"""Whole numbers typed by people or sent by clients (query strings, forms, headers), parsed strictly.

`str.isdigit()` is true for `²` and `٣`, which `int()` then refuses or reads as another number, and `int()` of
a few thousand digits raises: either way a 500. Here a number is 1-10 ASCII digits within bounds, or it is
refused naming the field."""

from __future__ import annotations

from warroom.errors import Invalid
from warroom.web.api.schemas import MAX_ID


def parse_int(raw: str | None, field: str, *, lo: int = 1, hi: int = MAX_ID, problem: str = "") -> int:
    """`raw` as an int in [lo, hi]; anything else raises Invalid(field) (a 422 naming the field)."""
    text = (raw or "").strip()
    if not text:
        raise Invalid(field, "is required")
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not lo <= int(text) <= hi:
        raise Invalid(field, problem or f"must be a whole number from {lo} to {hi}")
    return int(text)


def optional_int(raw: str | None, field: str, *, lo: int = 1, hi: int = MAX_ID, problem: str = "") -> int | None:
    """Like parse_int, but empty (or absent) is None."""
    if raw is None or not raw.strip():
        return None
    return parse_int(raw, field, lo=lo, hi=hi, problem=problem)


def lenient_int(raw: str | None, *, lo: int = 0, hi: int = MAX_ID) -> int | None:
    """For hints a client may get wrong without harm (Last-Event-ID): the number, or None to ignore it."""
    try:
        return optional_int(raw, "", lo=lo, hi=hi)
    except Invalid:
        return None
