"""Coloured text for terminals, with rich (imported only here).

The lines are :func:`oidc_doctor.render.text.layout`'s, already wrapped to the terminal's width:
rich only colours them (``soft_wrap``: it never re-wraps a line, so a fix command stays whole and
copyable, with no box drawn around it).
"""

from __future__ import annotations

import io

from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import Meta
from oidc_doctor.render.text import layout


def render_rich(
    report: Report, width: int | None = None, notes: tuple[str, ...] = (), meta: Meta | None = None
) -> str:
    """The report with colours (ANSI), root cause first; ``width`` None: no wrapping."""
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=width or 10_000, highlight=False, soft_wrap=True)
    for style, line in layout(report, notes, width, meta):
        console.print(Text(line.rstrip(), style=style))  # Text: nothing in the line is read as markup
    return buf.getvalue()
