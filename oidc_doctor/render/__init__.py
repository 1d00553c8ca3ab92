"""Renderers: pure functions from a report to text. They never decide anything."""

from __future__ import annotations

from oidc_doctor.pipeline import Report

FORMATS = ("text", "json", "markdown", "html")


def render(report: Report, fmt: str, *, tty: bool = False) -> str:
    """The report in ``fmt``; ``tty`` selects rich colours for ``text``."""
    if fmt == "json":
        from oidc_doctor.render.json import render_json

        return render_json(report)
    if fmt == "markdown":
        from oidc_doctor.render.markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from oidc_doctor.render.html import render_html

        return render_html(report)
    if tty:
        from oidc_doctor.render.rich_text import render_rich

        return render_rich(report)
    from oidc_doctor.render.text import render_text

    return render_text(report)
