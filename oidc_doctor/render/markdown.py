"""Markdown for pasting into a ticket."""

from __future__ import annotations

import re

from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import blind_checks, check_counts, headline, identity_line, when
from oidc_doctor.render.whatif import markdown_lines, shell_word
from oidc_doctor.text import clean, clean_lines


def _md(s: str) -> str:
    """Hostile text as inert Markdown: no table break (``|``), no HTML (``<``), no code span."""
    return clean(s).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "\\`")


def _fence(lines: list[str], char: str = "`", least: int = 3) -> str:
    """A run of backticks longer than any inside ``lines``, so they cannot close it early."""
    longest = max((len(run) for line in lines for run in re.findall(f"{char}+", line)), default=0)
    return char * max(least, longest + 1)


def _code(s: str) -> str:
    """A code span holding ``s`` verbatim (cleaned), whatever backticks it contains."""
    text = clean(s)
    fence = _fence([text], least=1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(report: Report, notes: tuple[str, ...] = ()) -> str:
    """The report as Markdown: headline, findings with evidence tables, checks that could not look."""
    out = ["# oidc-doctor diagnosis", "", f"*{when(report)}*", ""]
    out += [line for n in notes for line in (f"> **Note:** {_md(n)}", "")]
    out += [f"**{_md(headline(report))}**", ""]
    ident = identity_line(report)
    if ident:
        out += [f"Identity: {_code(ident)}", ""]
    for n, f in enumerate(report.findings, 1):
        out += [f"## {n}. {str(f.severity).upper()} `{f.cause}`", "", _md(f.title), ""]
        if f.evidence:
            out += ["| source | where | seen |", "|---|---|---|"]
            out += [f"| {e.source} | {_md(e.ref)} | {_md(clean(e.text, 400))} |" for e in f.evidence]
            out.append("")
        if f.fix:
            first, *rest = clean_lines(f.fix)
            out.append(f"**Fix:** {_md(first)}")
            if rest:
                fence = _fence(rest)
                out += ["", fence, *rest, fence]
            out.append("")
        if f.change is not None:
            out += [f"**Try:** {_code('--what-if ' + shell_word(f.change.spec()))}", ""]
    out += [f"Checks: {check_counts(report)}", ""]
    for cid, status, reason in blind_checks(report):
        out.append(f"- {status}: `{cid}` — {_md(reason)}")
    out += markdown_lines(report)
    return "\n".join(out).rstrip() + "\n"
