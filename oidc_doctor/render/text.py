"""Plain text for pipes, files and terminals: the root cause first, fix commands on lines of their own.

One layout serves both plain text and the coloured terminal form (:mod:`.rich_text` colours the
same lines): :func:`layout` returns ``(style, line)`` pairs. With a ``width`` (the terminal's, or
``COLUMNS``) prose and evidence are wrapped to it; a fix command is never wrapped nor boxed, so it
can be copied whole, and it is the only kind of line allowed past the width.
"""

from __future__ import annotations

import textwrap

from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import (
    Meta,
    blind_checks,
    check_counts,
    headline,
    identity_line,
    inputs_summary,
    skipped_inputs,
    when,
)
from oidc_doctor.render.view import aligned, bindings_view, fix_parts
from oidc_doctor.render.whatif import shell_word
from oidc_doctor.render.whatif import text_lines as whatif_lines
from oidc_doctor.text import clean

#: Indentation of a fix's command lines (the continuation indent of ``   fix: ``).
COMMAND_INDENT = " " * 8
_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}

Line = tuple[str, str]  # (rich style, text)


def _wrap(text: str, width: int | None, first: str = "", rest: str = "", style: str = "") -> list[Line]:
    """``text`` after ``first`` on one line, or wrapped at ``width`` with ``rest`` before the others."""
    if width is None or len(first) + len(text) <= width:
        return [(style, first + text)]
    if len(first) > width // 2:  # a long label: the text starts on the next line
        return [(style, first.rstrip()), *_wrap(text, width, rest, rest, style)]
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=True,
    )
    return [(style, line) for line in lines] or [(style, first)]


def layout(
    report: Report, notes: tuple[str, ...] = (), width: int | None = None, meta: Meta | None = None
) -> list[Line]:
    """The report as styled lines (``width`` None: no wrapping)."""
    out = _wrap(when(report), width, "oidc-doctor diagnosis at ", "  ", "bold")
    for note in notes:
        out += _wrap(clean(note), width, "Note: ", "  ", "yellow")
    out += _wrap(headline(report), width, "", "  ", "bold")
    out.append(("", ""))
    ident = identity_line(report)
    if ident:
        out += _wrap(ident, width, "Identity: ", "  ")
        out.append(("", ""))
    for n, f in enumerate(report.findings, 1):
        style = _STYLE.get(str(f.severity), "")
        out += _wrap(clean(f.title), width, f"{n}. [{str(f.severity).upper()}] {f.cause}: ", "   ", style)
        for e in f.evidence:
            # one text, so a long file or object name breaks at its spaces like the rest
            out += _wrap(f"{e.source} {clean(e.ref)}: {clean(e.text, 400)}", width, " " * 5, " " * 7, "dim")
        if f.fix:
            label = "   fix: "
            for p in fix_parts(f.fix):
                if p.kind == "command":
                    if label.strip():
                        out.append(("green", label.rstrip()))
                    out.append(("bold", COMMAND_INDENT + p.text))
                else:
                    out += _wrap(p.text, width, label, COMMAND_INDENT, "green" if label.strip() else "")
                label = COMMAND_INDENT
        if f.change is not None:
            # a --what-if spec is one shell word: on a line of its own, never wrapped, like a command
            out.append(("green", "   try:"))
            out.append(("bold", f"{COMMAND_INDENT}--what-if {shell_word(f.change.spec())}"))
        out.append(("", ""))
    out += _bindings(report, width)
    out += _timeline(report, width)
    out += _wrap(check_counts(report), width, "Checks: ", "  ")
    for cid, status, reason in blind_checks(report):
        # several checks may share one reason: their ids wrap with it
        out += _wrap(f"{cid} — {reason}", width, f"  {status}: ", "    ", "yellow")
    summary = inputs_summary(report)
    if summary:
        out += _wrap(summary, width, "Inputs: ", "  ")
    for kind, ref, reason in skipped_inputs(report):
        out += _wrap(reason, width, f"  {kind}: {ref} — ", "    ", "dim")
    out += [("", line) for line in whatif_lines(report)]
    if meta is not None and meta.argv:
        out += _wrap(meta.command_line(), width, f"{meta.tool()}: ", "  ", "dim")
    return out


def _bindings(report: Report, width: int | None) -> list[Line]:
    """The near misses, expected over got with ``^`` under the differing characters."""
    view = bindings_view(report)
    if view is None or not view.near:
        return []
    out: list[Line] = [("bold", "Near misses (the API server's name over the bound one):")]
    for m in view.near:
        out += _wrap(f"{clean(m.binding)} ({m.cause})", width, f"  {m.kind}: ", "    ")
        top, bottom, marks = aligned(clean(m.expected), clean(m.got))
        # long names are cut into aligned slices, each slice's three lines within the width
        step = max(width - 16, 10) if width else max(len(top), len(bottom), 1)
        for i in range(0, max(len(top), len(bottom), 1), step):
            out += [
                ("", f"    API server  {top[i : i + step]}".rstrip()),
                ("", f"    binding     {bottom[i : i + step]}".rstrip()),
                ("red", f"                {marks[i : i + step]}".rstrip()),
            ]
    out.append(("", ""))
    return out


def _timeline(report: Report, width: int | None) -> list[Line]:
    """The session timeline (rows: :func:`oidc_doctor.render.timeline.rows`), the logout marked ``=>``."""
    from oidc_doctor.render.timeline import heading, rows

    table = rows(report)
    if not table:
        return []
    out: list[Line] = [("bold", heading(report))]
    for at, rel, kind, what, _ref in table:
        logout = kind == "predicted-logout"
        first = f" {'=>' if logout else '  '} {at}  {rel:<10} {kind:<17} "
        style = "bold red" if logout else "red" if kind == "log-failure" else ""
        out += _wrap(what, width, first, " " * 8, style)
    out.append(("", ""))
    return out


def render_text(
    report: Report, notes: tuple[str, ...] = (), width: int | None = None, meta: Meta | None = None
) -> str:
    """The report as plain text, root cause first."""
    return "\n".join(line.rstrip() for _, line in layout(report, notes, width, meta)) + "\n"
