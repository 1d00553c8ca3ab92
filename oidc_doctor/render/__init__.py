"""Renderers: pure functions from a report to text. They never decide anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # render.common stays off the token command's path (render.policy loads this package)
    from oidc_doctor.pipeline import Report
    from oidc_doctor.render.common import Meta

FORMATS = ("text", "json", "markdown", "html")  # a report's own renderers; yaml is the JSON document


def render(
    report: Report,
    fmt: str,
    *,
    tty: bool = False,
    notes: tuple[str, ...] = (),
    width: int | None = None,
    meta: Meta | None = None,
) -> str:
    """The report in ``fmt``.

    ``tty`` selects rich colours for ``text``; ``width`` wraps text at that many columns (None: no
    wrapping); ``notes`` are report-level remarks; ``meta`` the tool version and command line
    (shown by Markdown and HTML, and at the end of text).
    """
    if fmt == "json":
        from oidc_doctor.render.json import render_json

        return render_json(report, notes)
    if fmt == "markdown":
        from oidc_doctor.render.markdown import render_markdown

        return render_markdown(report, notes, meta)
    if fmt == "html":
        from oidc_doctor.render.html import render_html

        return render_html(report, notes, meta)
    if tty:
        from oidc_doctor.render.rich_text import render_rich

        return render_rich(report, width=width, notes=notes, meta=meta)
    from oidc_doctor.render.text import render_text

    return render_text(report, notes, width, meta)
