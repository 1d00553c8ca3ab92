"""Markdown and HTML forms of a command's plain-text output (``token``, ``rbac``, ``logs`` ...).

A diagnosis has renderers of its own; other commands print lines of text. In a ticket or a page
those lines are shown verbatim: a fenced code block (longer than any backtick run inside) or an
escaped ``<pre>``.
"""

from __future__ import annotations

import re
from html import escape


def with_notes(text: str, notes: tuple[str, ...]) -> str:
    """``text`` followed by one ``note:`` line per report-level note."""
    if not notes:
        return text
    body = text if text.endswith("\n") or not text else text + "\n"
    return body + "".join(f"note: {n}\n" for n in notes)


def as_markdown(title: str, text: str) -> str:
    """A heading and the text in a fenced block that nothing inside can close."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"# {title}\n\n{fence}text\n{text.rstrip()}\n{fence}\n"


def as_html(title: str, text: str) -> str:
    """A self-contained page (no script, nothing fetched) with the text escaped in a ``<pre>``."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}"
        "pre{white-space:pre-wrap;overflow-wrap:anywhere}</style></head><body>"
        f"<h1>{escape(title)}</h1><pre>{escape(text.rstrip())}</pre></body></html>\n"
    )
