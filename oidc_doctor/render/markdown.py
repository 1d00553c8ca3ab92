"""Markdown for pasting into a ticket."""

from __future__ import annotations

from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import blind_checks, check_counts, headline, identity_line, when
from oidc_doctor.text import clean, clean_lines


def _md(s: str) -> str:
    return clean(s).replace("|", "\\|")


def render_markdown(report: Report) -> str:
    """The report as Markdown: headline, findings with evidence tables, checks that could not look."""
    out = ["# oidc-doctor diagnosis", "", f"*{when(report)}*", "", f"**{_md(headline(report))}**", ""]
    ident = identity_line(report)
    if ident:
        out += [f"Identity: `{_md(ident)}`", ""]
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
                out += ["", "```", *rest, "```"]
            out.append("")
    out += [f"Checks: {check_counts(report)}", ""]
    for cid, status, reason in blind_checks(report):
        out.append(f"- {status}: `{cid}` — {_md(reason)}")
    return "\n".join(out).rstrip() + "\n"
