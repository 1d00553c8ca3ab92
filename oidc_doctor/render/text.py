"""Plain text for pipes and files: no colour, stable layout."""

from __future__ import annotations

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


def render_text(report: Report, notes: tuple[str, ...] = ()) -> str:
    """The report as plain text, root cause first."""
    out = [f"oidc-doctor diagnosis at {when(report)}", *(f"Note: {clean(n)}" for n in notes), headline(report), ""]
    ident = identity_line(report)
    if ident:
        out += [f"Identity: {ident}", ""]
    for n, f in enumerate(report.findings, 1):
        out.append(f"{n}. [{str(f.severity).upper()}] {f.cause}: {clean(f.title)}")
        for e in f.evidence:
            out.append(f"     {e.source} {clean(e.ref)}: {clean(e.text, 400)}")
        if f.fix:
            first, *rest = clean_lines(f.fix)
            out.append(f"   fix: {first}")
            out += [f"        {line}" for line in rest]
        if f.change is not None:
            out.append(f"   try: --what-if {shell_word(f.change.spec())}")
        out.append("")
    out.append(f"Checks: {check_counts(report)}")
    for cid, status, reason in blind_checks(report):
        out.append(f"  {status}: {cid} — {reason}")
    summary = inputs_summary(report)
    if summary:
        out.append(f"Inputs: {summary}")
    out += [f"  {kind}: {ref} — {reason}" for kind, ref, reason in skipped_inputs(report)]
    out += text_lines(report)
    return "\n".join(out) + "\n"
