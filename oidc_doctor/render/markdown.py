"""Markdown for pasting into a ticket (GitHub, GitLab, Jira's Markdown).

The sections of every human format: the root cause first, each finding with its fix (commands in
fenced ``sh`` blocks, ready to copy) and its evidence folded in a ``<details>`` block, log lines
verbatim in fenced ``text`` blocks (so klog's ``\\"`` escapes survive: inside a code block a
backslash is itself, where in running text GitHub would eat it), then the identity and the
bindings that almost name it, the timeline, the settings with their sources, the checks that could
not look, the inputs used, skipped or broken, the tool version and the command line.

Hostile text (claims, log lines, object names) is made inert: in running text ``<``, ``>``, ``|``
and stray backticks are escaped; a backtick span a check wrote stays a code span unless it holds
``<``/``>`` (in a code span an entity would show literally, and raw markup is never written); code
blocks are fenced with more backticks than any run inside them.
"""

from __future__ import annotations

import re

from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import Meta, blind_checks, check_counts, headline, when
from oidc_doctor.render.view import aligned, bindings_view, fix_parts, input_rows, settings_rows
from oidc_doctor.render.whatif import markdown_lines as whatif_lines
from oidc_doctor.render.whatif import shell_word
from oidc_doctor.text import clean

_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _md(s: str) -> str:
    """Hostile text as inert Markdown: no table break (``|``), no HTML (``<``), no code span, and
    every backslash shown (in running text ``\\"`` would read as an escaped quote: the backslash
    of a klog ``\\"`` would vanish)."""
    text = clean(s).replace("\\", "\\\\")
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "\\`")


def _inline(s: str) -> str:
    """Running text whose backtick spans stay code spans (see the module doc); the rest escaped."""
    text = clean(s)
    out, pos = [], 0
    for m in _SPAN.finditer(text):
        out.append(_md(text[pos : m.start()]))
        body = m.group(2)
        inert = "<" not in body and ">" not in body and not (len(m.group(1)) >= 3 and m.start() == 0)
        out.append(m.group(0) if inert else _md(m.group(0)))
        pos = m.end()
    out.append(_md(text[pos:]))
    return "".join(out)


def _fence(lines: list[str], char: str = "`", least: int = 3) -> str:
    """A run of backticks longer than any inside ``lines``, so they cannot close it early."""
    longest = max((len(run) for line in lines for run in re.findall(f"{char}+", line)), default=0)
    return char * max(least, longest + 1)


def _code(s: str) -> str:
    """A code span holding ``s`` verbatim (cleaned), whatever backticks it contains; text with
    ``<``/``>`` is written as escaped running text instead (see the module doc)."""
    text = clean(s)
    if "<" in text or ">" in text:
        return _md(text)
    fence = _fence([text], least=1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _block(lines: list[str], lang: str = "text") -> list[str]:
    """A fenced code block of ``lines`` (each cleaned), then a blank line."""
    body = [clean(line) for line in lines]
    fence = _fence(body)
    return [f"{fence}{lang}", *body, fence, ""]


def render_markdown(report: Report, notes: tuple[str, ...] = (), meta: Meta | None = None) -> str:
    """The report as Markdown for a ticket."""
    meta = meta or Meta()
    out = ["# oidc-doctor diagnosis", "", f"**{_inline(headline(report))}**", ""]
    out += [line for n in notes for line in (f"> **Note:** {_md(n)}", "")]
    out.append(f"- Judged at: {_md(when(report))}")
    if report.identity is not None:
        data = report.identity.to_json()
        groups = ", ".join(_code(g) for g in data["groups"]) or "none"
        out.append(f"- Identity: {_code(data['username'])} · groups: {groups} · source: {_md(data['source'])}")
    out.append(f"- Tool: {_md(meta.tool())}")
    out.append("")
    for n, f in enumerate(report.findings, 1):
        out += [f"## {n}. {str(f.severity).upper()} `{f.cause}`", "", _inline(f.title), ""]
        if f.fix:
            out += ["**Fix:**", ""]
            parts = fix_parts(f.fix)
            if not any(p.kind == "command" for p in parts):
                # no command to run: the fix's words, verbatim, in a block of their own
                out += _block([p.text for p in parts])
            for p in parts if any(p.kind == "command" for p in parts) else ():
                out += _block([p.text], "sh") if p.kind == "command" else [_inline(p.text), ""]
        if f.change is not None:
            out += ["**Try:** " + _inline(f"`--what-if {shell_word(f.change.spec())}`"), ""]
        if f.evidence:
            out += [f"<details><summary>Evidence ({len(f.evidence)})</summary>", ""]
            for e in f.evidence:
                out += [f"**{_md(e.source)}** · {_md(e.ref)}", ""]
                out += _block([clean(e.text, 2000)])
            out += ["</details>", ""]
    out += _bindings(report)
    out += _timeline(report)
    out += _settings(report)
    out += ["## Checks", "", _md(check_counts(report)), ""]
    blind = blind_checks(report)
    out += [f"- {status}: `{cid}` — {_md(reason)}" for cid, status, reason in blind]
    out += [""] if blind else []
    out += whatif_lines(report)
    out += _inputs(report)
    out += ["## Tool", "", f"{_md(meta.tool())}", ""]
    if meta.argv:
        out += ["Command line:", "", *_block([meta.command_line()], "sh")]
    return "\n".join(out).rstrip() + "\n"


def _bindings(report: Report) -> list[str]:
    view = bindings_view(report)
    if view is None or not (view.near or view.grants):
        return []
    out = ["## Identity and bindings", ""]
    out += [f"The API server sees {_code(view.username)} (source: {_md(view.source)}).", ""]
    if view.grants:
        out += ["Bindings that apply:", ""]
        for g in view.grants:
            who = ", ".join(_code(s) for s in g.subjects)
            out.append(f"- {_md(g.binding)} → {_md(g.role)} (for {who})")
        out.append("")
    for m in view.near:
        out += [f"Near miss: {_md(m.binding)} names the {m.kind.lower()} almost (`{m.cause}`):", ""]
        top, bottom, marks = aligned(clean(m.expected), clean(m.got))
        out += _block([f"API server  {top}", f"binding     {bottom}", f"            {marks}"])
    return out


def _timeline(report: Report) -> list[str]:
    """The session timeline's table (one builder: :func:`oidc_doctor.render.timeline.markdown_lines`)."""
    from oidc_doctor.render.timeline import markdown_lines

    session = markdown_lines(report, _md)
    return [*session, ""] if session else []


def _settings(report: Report) -> list[str]:
    rows = settings_rows(report)
    if not rows:
        return []
    out = ["## Settings and where each came from", ""]
    component = None
    for r in rows:
        if r.component != component:
            if component is not None:
                out.append("")
            component = r.component
            out += [f"**{_md(r.component)}**", "", "| setting | value | source |", "|---|---|---|"]
        out.append(f"| {_md(r.name)} | {_md(clean(r.value, 300))} | {_md(r.source)} |")
    return [*out, ""]


def _inputs(report: Report) -> list[str]:
    rows = input_rows(report)
    out = ["## Inputs", ""]
    if not rows:
        return [*out, "No input file (only command-line options).", ""]
    for status in ("used", "skipped", "broken"):
        these = [r for r in rows if r.status == status]
        if these:
            out += [f"**{status.capitalize()}** ({len(these)})", "", "| input | taken as | detail |", "|---|---|---|"]
            out += [f"| {_md(r.ref)} | {_md(r.kind)} | {_md(r.detail)} |" for r in these]
            out.append("")
    return out
