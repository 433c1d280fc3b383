"""Header text for e-mail pages: whatever an incident title holds (an alert's multi-line description, control
characters, right-to-left text, emoji, thousands of characters), the page must still be sent.

`header_text` normalises the text; `POLICY` is the email package's SMTP policy with the Subject and From headers
RFC 2047-encoded by `email.header.Header`. The policy's own folder (CPython 3.11-3.12) drops the space between
two encoded words in about one mixed-script subject in twenty ("שלום עולם" arrives as "שלוםעולם"), and sends
ASCII that looks like an encoded word ("=?utf-8?q?x?=") as is, so the reader sees "x"."""

from __future__ import annotations

import unicodedata
from email import policy as email_policy
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UniqueAddressHeader, UniqueUnstructuredHeader
from email.utils import formataddr
from typing import Any

TITLE_MAX = 200  # characters of an incident title in a Subject: the "you are paged" after it must stay visible
SUBJECT_MAX = 300
NAME_MAX = 100  # a display name
# Control characters (CR, LF, NUL, DEL, C1 ...), lone surrogates (they cannot be encoded), U+2028 and U+2029.
_BREAKS = frozenset(("Cc", "Cs", "Zl", "Zp"))


def header_text(value: str, limit: int) -> str:
    """`value` made safe for a header: control and line-break characters become spaces, runs of white space
    collapse to one space (no leading or trailing), and over `limit` characters it is cut with an ellipsis.
    Everything else stays, right-to-left text and its direction marks, emoji and their joiners included."""
    if not (value.isascii() and value.isprintable()):
        value = "".join(" " if unicodedata.category(ch) in _BREAKS else ch for ch in value)
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "\u2026"


def _plain(text: str) -> bool:
    """Safe for the policy's own folding: ASCII that no reader could take for an encoded word."""
    return text.isascii() and "=?" not in text


def _encoded(text: str, name: str, linesep: str) -> str:
    # Header splits the UTF-8 between characters into encoded words of at most 76 characters, spaces inside them.
    return Header(text, "utf-8", header_name=name).encode(linesep=linesep)


# The registry mixes BaseHeader (name, fold) into each class it is given; naming it here says so to the checker.
# The ignores are typeshed's: it types max_count and init of the mixins and of BaseHeader apart.
class _EncodedSubject(UniqueUnstructuredHeader, BaseHeader):  # type: ignore[misc]
    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        kwds["decoded"] = value  # the text as given: an "=?...?=" in a title is text, not an encoded word

    def fold(self, *, policy: Any) -> str:
        text = str(self)
        if _plain(text):
            return super().fold(policy=policy)
        return f"{self.name}: {_encoded(text, self.name, policy.linesep)}{policy.linesep}"


class _EncodedMailbox(UniqueAddressHeader, BaseHeader):  # type: ignore[misc]
    """From and To: a non-ASCII display name is encoded by Header (an ASCII one is quoted as needed)."""

    def fold(self, *, policy: Any) -> str:
        boxes = self.addresses
        if (len(self.groups) != len(boxes) or all(_plain(a.display_name) for a in boxes)
                or not all(a.addr_spec.isascii() for a in boxes)):
            return super().fold(policy=policy)
        parts = [f"{_encoded(a.display_name, self.name, policy.linesep)} <{a.addr_spec}>"
                 if a.display_name and not _plain(a.display_name) else formataddr((a.display_name, a.addr_spec))
                 for a in boxes]
        return f"{self.name}: {(',' + policy.linesep + ' ').join(parts)}{policy.linesep}"


class _Registry(HeaderRegistry):
    """The standard registry builds a new class for every header of every message (`type(...)` in `__getitem__`,
    CPython 3.11-3.13): a third of the cost of an e-mail. One class per header name is the same class."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def map_to_type(self, name: str, cls: type) -> None:
        super().map_to_type(name, cls)
        self._classes.clear()

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


def _registry() -> HeaderRegistry:
    registry = _Registry()
    registry.map_to_type("subject", _EncodedSubject)
    registry.map_to_type("from", _EncodedMailbox)
    registry.map_to_type("to", _EncodedMailbox)
    return registry


POLICY = email_policy.SMTP.clone(header_factory=_registry())
