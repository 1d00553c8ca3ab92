"""The session timeline as a compact text section and a Markdown table (the data: ``Report.timeline``)."""

from __future__ import annotations

from collections.abc import Callable

from oidc_doctor.dates import datetime
from oidc_doctor.model import TimelineEntry, TimelineKind
from oidc_doctor.pipeline import Report
from oidc_doctor.text import clean, iso, relative

#: Longest ``what`` shown in the terminal section (the JSON keeps it whole).
WHAT_LIMIT = 160


def _clock(at: datetime, same_day: bool) -> str:
    stamp = iso(at)
    return stamp[11:19] if same_day else stamp.replace("T", " ").removesuffix("Z")


def rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    """(time, relative to the judged moment, kind, what, ref) per entry; empty when only "now" is known."""
    entries: tuple[TimelineEntry, ...] = report.timeline
    if all(e.kind == TimelineKind.NOW for e in entries):
        return []
    same_day = len({iso(e.at)[:10] for e in entries}) == 1
    now = report.ctx.now
    return [
        (
            _clock(e.at, same_day),
            "now" if e.kind == TimelineKind.NOW else relative(e.at, now),
            str(e.kind),
            clean(e.what, WHAT_LIMIT),
            clean(e.ref or ""),
        )
        for e in entries
    ]


def heading(report: Report) -> str:
    """The section's title, with the day when every entry falls on one."""
    days = sorted({iso(e.at)[:10] for e in report.timeline})
    return f"Session timeline (UTC{', ' + days[0] if len(days) == 1 else ''}):"


def text_lines(report: Report) -> list[str]:
    """The compact terminal section (no lines when there is nothing but the judged moment)."""
    table = rows(report)
    if not table:
        return []
    out = [heading(report)]
    for at, rel, kind, what, _ref in table:
        mark = "=>" if kind == str(TimelineKind.PREDICTED_LOGOUT) else "  "
        out.append(f" {mark} {at}  {rel:<10} {kind:<17} {what}")
    return out


def markdown_lines(report: Report, esc: Callable[[str], str]) -> list[str]:
    """The timeline as a Markdown table; ``esc`` makes hostile text inert in a cell."""
    table = rows(report)
    if not table:
        return []
    out = ["## " + heading(report).rstrip(":"), "", "| time | kind | what (where) |", "|---|---|---|"]
    for at, rel, kind, what, ref in table:
        bold = "**" if kind == str(TimelineKind.PREDICTED_LOGOUT) else ""
        where = f" ({esc(ref)})" if ref else ""
        out.append(f"| {at} ({esc(rel)}) | {bold}{kind}{bold} | {esc(what)}{where} |")
    return out
