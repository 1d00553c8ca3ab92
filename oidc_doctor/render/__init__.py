"""Renderers: pure functions from a report to text. They never decide anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oidc_doctor.pipeline import Report

if TYPE_CHECKING:
    from oidc_doctor.io import IO

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


def emit(report: Report, fmt: str, output: str | None, io: IO) -> int:
    """Print the report (or write it to ``output``) and return the judging exit status (0 or 1)."""
    text = render(report, fmt, tty=io.stdout_tty and not output)
    if output:
        from oidc_doctor.errors import InputError

        try:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise InputError(output, f"cannot write the report: {e.strerror or e}") from e
        io.warn(f"report written to {output}")
    else:
        io.stdout.write(text)
    return report.exit_status()
