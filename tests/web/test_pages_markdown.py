"""Markdown for user text: formatting survives, no script, event handler, style or unsafe link gets through."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from warroom.web.markdown import ATTRIBUTES, TAGS, render_markdown

VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "[x](vbscript:msgbox(1))",
    "<details open ontoggle=alert(1)>",
    "`<script>` and ```\n<script>alert(1)</script>\n```",
    "[x](<javascript:alert(1)>)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("text", VECTORS)
def test_no_active_content_survives(text: str) -> None:
    p = Elements()
    p.feed(str(render_markdown(text)))
    for tag, attrs in p.found:
        assert tag in TAGS, tag
        for name, value in attrs.items():
            assert name in ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, name)
            if name == "href":
                assert (value or "").split(":", 1)[0].lower() in ("http", "https", "mailto"), value


def test_formatting_survives() -> None:
    html = str(render_markdown("**bold** _it_ `code` [docs](https://example.org)\n\n- a\n- b\n\n> quote"))
    for part in ("<strong>bold</strong>", "<em>it</em>", "<code>code</code>", "<li>a</li>", "<blockquote>",
                 '<a href="https://example.org" rel="noopener noreferrer nofollow">docs</a>'):
        assert part in html, part


def test_empty_text_renders_nothing() -> None:
    assert render_markdown("") == "" and render_markdown(None) == ""
