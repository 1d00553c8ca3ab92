"""Coloured text for terminals, with rich (imported only here)."""

from __future__ import annotations

import io

from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import (
    blind_checks,
    check_counts,
    headline,
    identity_line,
    inputs_summary,
    skipped_inputs,
    when,
)
from oidc_doctor.render.whatif import shell_word, text_lines
from oidc_doctor.text import clean, clean_lines

_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}


def render_rich(report: Report, width: int = 100, notes: tuple[str, ...] = ()) -> str:
    """The report with colours (ANSI), root cause first."""
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=width, highlight=False)
    console.print(f"[bold]oidc-doctor[/] diagnosis at {escape(when(report))}")
    for note in notes:
        console.print(f"[yellow]Note:[/] {escape(clean(note))}")
    console.print(f"[bold]{escape(headline(report))}[/]")
    ident = identity_line(report)
    if ident:
        console.print(f"Identity: [bold]{escape(ident)}[/]")
    for n, f in enumerate(report.findings, 1):
        style = _STYLE.get(str(f.severity), "")
        lines = [f"[{style}]{str(f.severity).upper()}[/] [bold]{f.cause}[/]", escape(clean(f.title))]
        for e in f.evidence:
            lines.append(f"  [dim]{e.source} {escape(clean(e.ref))}:[/] {escape(clean(e.text, 400))}")
        if f.fix:
            fix = "\n     ".join(escape(line) for line in clean_lines(f.fix))
            lines.append(f"[green]fix:[/] {fix}")
        if f.change is not None:
            lines.append(f"[green]try:[/] --what-if {escape(shell_word(f.change.spec()))}")
        console.print(Panel("\n".join(lines), title=str(n), title_align="left", border_style=style or "white"))
    console.print(f"Checks: {check_counts(report)}")
    for cid, status, reason in blind_checks(report):
        console.print(f"  [yellow]{status}[/]: {cid} — {escape(reason)}")
    summary = inputs_summary(report)
    if summary:
        console.print(f"Inputs: {escape(summary)}")
    for kind, ref, reason in skipped_inputs(report):
        console.print(f"  [dim]{kind}: {escape(ref)} — {escape(reason)}[/]")
    for line in text_lines(report):
        console.print(escape(line), soft_wrap=True)  # a --what-if spec stays on one line
    return buf.getvalue()
