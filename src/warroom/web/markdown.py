"""Markdown for user text (notes, descriptions): CommonMark without raw HTML, then sanitised with nh3.

Two layers: markdown-it never passes raw HTML through, and nh3 keeps only an allow-list of tags and
attributes (no script, no style, no on* handlers) and only http/https/mailto links."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table") \
    .enable("strikethrough")

TAGS = {"p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
        "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for `text` as Markdown; the result may be inserted into a page unescaped."""
    if not text:
        return Markup("")
    html = _md.render(str(text))
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                            link_rel="noopener noreferrer nofollow"))
