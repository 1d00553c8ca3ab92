"""The what-if sections of a report (``what_if``, ``try_fixes``) as text and Markdown lines.

They read the report's ``extra`` JSON (docs/what-if.md describes the shapes), so rendering never
needs the what-if layer itself.
"""

from __future__ import annotations

from typing import Any

from oidc_doctor.pipeline import Report
from oidc_doctor.text import clean

_NOTE = (
    "judged without the logs, error texts, audit events and metrics (they describe the settings before "
    "the change); the failing request they named is kept"
)


def _verdict(s: dict[str, Any] | None) -> str:
    if s is None:
        return "not applicable"
    return f"{s['verdict']} ({s['errors']} error{'s' if s['errors'] != 1 else ''})"


def _identity(s: dict[str, Any] | None) -> str:
    ident = s.get("identity") if s else None
    if not ident:
        return "none"
    return f"{ident['username']} (groups: {', '.join(ident['groups']) or 'none'})"


def _causes(items: list[dict[str, Any]]) -> str:
    return ", ".join(clean(i["cause"]) for i in items) or "none"


def _affected(a: dict[str, Any]) -> list[str]:
    out = []
    if a.get("stop_matching"):
        out.append(
            f"{len(a['stop_matching'])} other subject(s) stop matching: "
            + "; ".join(f"{clean(x['binding'])} {clean(x['subject'])}" for x in a["stop_matching"])
        )
    if a.get("start_matching"):
        out.append(
            f"{len(a['start_matching'])} other subject(s) start matching: "
            + "; ".join(f"{clean(x['binding'])} {clean(x['subject'])}" for x in a["start_matching"])
        )
    if a.get("note"):
        out.append(clean(a["note"]))
    return out


def _comparison_lines(c: dict[str, Any], indent: str) -> list[str]:
    out = []
    if c.get("error"):
        return [f"{indent}not applicable: {clean(c['error'])}"]
    out.append(f"{indent}verdict:  {_verdict(c['before'])} → {_verdict(c['after'])}")
    if _identity(c["before"]) != _identity(c["after"]):
        out.append(f"{indent}identity: {clean(_identity(c['before']))} → {clean(_identity(c['after']))}")
    else:
        out.append(f"{indent}identity: {clean(_identity(c['after']))} (unchanged)")
    out.append(f"{indent}gone:     {_causes(c['gone'])}")
    new = [
        f"[{i['severity'].upper()}] {clean(i['cause'])}: {clean(i['title'], 200)}"
        for i in c["new"]
        if i["severity"] != "info"  # an accepted token is no new problem: the verdict line says it
    ]
    out.append(f"{indent}new:      {new[0] if new else 'none'}")
    out += [f"{indent}          {line}" for line in new[1:]]
    if c["unjudged"]:
        out.append(f"{indent}not re-judged (seen only in observations): {_causes(c['unjudged'])}")
    return out


def _changes(c: dict[str, Any]) -> tuple[str, str]:
    what = "; ".join(clean(ch["text"]) for ch in c["changes"])
    specs = " ".join(f"--what-if {clean(shell_word(ch['spec']))}" for ch in c["changes"])
    return what, specs


def shell_word(spec: str) -> str:
    """A change spec as one shell word, ready to paste after ``--what-if``."""
    from oidc_doctor.shell import arg

    return arg(spec)


def text_lines(report: Report) -> list[str]:
    """The what-if sections as plain text lines (empty without them)."""
    out: list[str] = []
    w = report.extra.get("what_if")
    if w:
        what, specs = _changes(w)
        out += ["", f"What if: {what}", f"  ({specs})"]
        out += _comparison_lines(w, "  ")
        out.append(f"  ({_NOTE})")
    t = report.extra.get("try_fixes")
    if t is not None:
        out += ["", "Try fixes: each proposed change alone, best first" + (f" ({_NOTE})" if t["alternatives"] else "")]
        if not t["alternatives"]:
            out.append("  no finding proposes a change the evidence can take")
        for n, a in enumerate(t["alternatives"], 1):
            what, specs = _changes(a)
            mark = "FIXES ALL" if a["fixes_all"] else "partial" if a.get("after") else "n/a"
            out.append(f"{n:>3}. [{mark}] {what}  (for {', '.join(clean(x) for x in a['for'])})")
            out.append(f"       {specs}")
            out += _comparison_lines(a, "       ")
            out += [f"       affects: {line}" for line in _affected(a["affected"])]
        for o in t.get("outside", []):
            out.append(f"  no change proposed for {clean(o['cause'])}: {clean(o['why'], 300)}")
    return out


def _md(s: str) -> str:
    return clean(s).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def markdown_lines(report: Report) -> list[str]:
    """The what-if sections as Markdown lines (empty without them)."""
    out: list[str] = []
    w = report.extra.get("what_if")
    if w:
        what, _ = _changes(w)
        out += ["", "## What if", "", f"**Change:** {_md(what)}", ""]
        out += [f"- {_md(line.strip())}" for line in _comparison_lines(w, "")]
        out += ["", f"*{_NOTE}*"]
    t = report.extra.get("try_fixes")
    if t is not None:
        out += [
            "",
            "## Try fixes",
            "",
            "| # | result | change | for | after | new | affects |",
            "|---|---|---|---|---|---|---|",
        ]
        for n, a in enumerate(t["alternatives"], 1):
            what, _ = _changes(a)
            mark = "fixes all" if a["fixes_all"] else "partial" if a.get("after") else "n/a"
            after = _verdict(a.get("after")) if not a.get("error") else _md(a["error"])
            cells = [
                str(n),
                mark,
                _md(what),
                _md(", ".join(a["for"])),
                after,
                _md(_causes([i for i in a["new"] if i["severity"] != "info"])),
                _md("; ".join(_affected(a["affected"])) or "—"),
            ]
            out.append("| " + " | ".join(cells) + " |")
        out += [f"- no change proposed for `{_md(o['cause'])}`: {_md(o['why'])}" for o in t.get("outside", [])]
        out += ["", f"*{_NOTE}*"]
    return out
