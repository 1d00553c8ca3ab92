"""Markdown and HTML forms of a command's plain-text output (``token``, ``rbac``, ``logs`` ...).

A diagnosis has renderers of its own; other commands print lines of text. In a ticket or a page
those lines are shown verbatim: a fenced code block (longer than any backtick run inside) or an
escaped ``<pre>``.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # render.common stays off the token command's path
    from oidc_doctor.render.common import Meta


def with_notes(text: str, notes: tuple[str, ...]) -> str:
    """``text`` followed by one ``note:`` line per report-level note."""
    if not notes:
        return text
    body = text if text.endswith("\n") or not text else text + "\n"
    return body + "".join(f"note: {n}\n" for n in notes)


def _fenced(text: str, lang: str) -> str:
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def as_markdown(title: str, text: str, meta: Meta | None = None) -> str:
    """A heading and the text in a fenced block that nothing inside can close; then the tool
    version and the command line, when known."""
    out = f"# {title}\n\n{_fenced(text, 'text')}"
    if meta is not None:
        out += f"\n{meta.tool()}\n"
        if meta.argv:
            out += "\n" + _fenced(meta.command_line(), "sh")
    return out


def as_html(title: str, text: str, meta: Meta | None = None) -> str:
    """A self-contained page (no script, nothing fetched) with the text escaped in a ``<pre>``,
    then the tool version and the command line when known; dark mode follows the reader's."""
    footer = ""
    if meta is not None:
        line = meta.command_line()
        footer = f"<footer><p>{escape(meta.tool())}</p>" + (f"<pre>{escape(line)}</pre>" if line else "") + "</footer>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        '<meta name=color-scheme content="light dark">'
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}"
        "pre{white-space:pre-wrap;overflow-wrap:anywhere}footer{color:GrayText}</style></head><body>"
        f"<h1>{escape(title)}</h1><pre>{escape(text.rstrip())}</pre>{footer}</body></html>\n"
    )
