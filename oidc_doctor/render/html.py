"""One self-contained HTML page: inline CSS and SVG, no script, nothing fetched, every string escaped.

The page shows, in order: the root cause (first, above the fold), the time axis of the session
(the report's ``timeline``: token times, failures by cause, proxy refresh and expiry, the
predicted logout, now), each finding with its fix (commands in ``<pre>`` blocks, copyable) and its
evidence folded in ``<details>``, the identity beside the bindings that grant it and those that
almost name it (expected vs got, the differing characters marked), the settings with the source of
each value, the checks that could not look, the inputs used, skipped or broken, the tool version
and the command line.

It reads without script (the Content-Security-Policy forbids every script and every fetch: even a
string that escaped escaping could run nothing and load nothing), fits a 420-pixel screen (long
words wrap, code scrolls inside its box), follows the reader's dark mode
(``prefers-color-scheme``) and prints (evidence unfolded, no backgrounds).
"""

from __future__ import annotations

import re
from html import escape

from oidc_doctor.dates import datetime
from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import Meta, blind_checks, check_counts, headline, when
from oidc_doctor.render.view import (
    BindingsView,
    Mark,
    bindings_view,
    diff,
    first_error,
    fix_parts,
    input_rows,
    settings_rows,
    timeline,
)
from oidc_doctor.render.whatif import shell_word
from oidc_doctor.render.whatif import text_lines as whatif_lines
from oidc_doctor.text import clean, iso

#: The page's policy: no script, no fetch of any kind; only the inline style.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_CSS = """
:root{--fg:#1d2327;--bg:#fff;--muted:#5f6b73;--line:#d9dee2;--card:#f6f8f9;--err:#c0392b;--warn:#b9770e;
--info:#2471a3;--ok:#1e8449;--fix:#eaf6ee;--code:#f1f3f4;--mark:#ffd7d2;--markfg:#8e1b10;--note:#fff6dc;
--token:#2471a3;--proxy:#7d3c98;--failure:#c0392b;--now:#1d2327;--other:#5f6b73;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--fg:#e3e7ea;--bg:#15191c;--muted:#9aa5ad;--line:#33404a;
--card:#1e2428;--err:#ff7b6b;--warn:#f5b041;--info:#7fb3e6;--ok:#6fd08c;--fix:#16301f;--code:#232a2f;
--mark:#5c1f19;--markfg:#ffd2cc;--note:#3b3318;--token:#7fb3e6;--proxy:#c39bd3;--failure:#ff7b6b;
--now:#e3e7ea;--other:#9aa5ad}}
*{box-sizing:border-box}
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);
max-width:62rem;margin:0 auto;padding:1rem;overflow-wrap:break-word}
p,li,h1,h2,h3,.diff code,.chip{overflow-wrap:anywhere}
h1{font-size:1.3rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:.2rem 0 .4rem}
.meta,.muted{color:var(--muted);font-size:.9rem}
code,pre,kbd{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.88em}
code{background:var(--code);padding:0 .2em;border-radius:3px}
pre{background:var(--code);padding:.5rem .7rem;border-radius:4px;overflow-x:auto;white-space:pre;margin:.3rem 0}
pre code{background:none;padding:0}
.verdict{border:2px solid var(--line);border-left:8px solid var(--muted);border-radius:6px;padding:.6rem 1rem;
margin:.6rem 0;background:var(--card)}
.verdict.error{border-color:var(--err)}.verdict.warning{border-color:var(--warn)}.verdict.ok{border-color:var(--ok)}
.verdict p{margin:.2rem 0}.verdict .headline{font-size:1.1rem;font-weight:600}
.note{background:var(--note);padding:.4rem .7rem;border-radius:4px}
.f{border:1px solid var(--line);border-left:6px solid var(--muted);border-radius:4px;padding:.5rem .9rem;margin:.8rem 0}
.f.error{border-left-color:var(--err)}.f.warning{border-left-color:var(--warn)}.f.info{border-left-color:var(--info)}
.sev{font-size:.8rem;font-weight:700;letter-spacing:.04em}
.f.error .sev{color:var(--err)}.f.warning .sev{color:var(--warn)}.f.info .sev{color:var(--info)}
.fix{background:var(--fix);padding:.4rem .7rem;border-radius:4px;margin:.5rem 0}
.fix p{margin:.2rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{border-bottom:1px solid var(--line);text-align:left;padding:.25rem .4rem;vertical-align:top}
th{color:var(--muted);font-weight:600}
td.v{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
details{margin:.4rem 0}summary{cursor:pointer;color:var(--muted)}
svg{display:block;width:100%;height:auto}.axis-wrap{overflow-x:auto}svg.timeline{min-width:560px}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}
svg .axis{stroke:var(--muted);stroke-width:1}svg .lane{stroke:var(--line);stroke-dasharray:3 3}
svg .lanename{fill:var(--muted);font-size:11px}
svg .mark.token{fill:var(--token)}svg .mark.proxy{fill:var(--proxy)}svg .mark.failure{fill:var(--failure)}
svg .mark.now{fill:var(--now)}svg .mark.other{fill:var(--other)}svg .num{fill:var(--bg);font-size:10px;font-weight:700}
ol.marks{font-size:.9rem;padding-left:1.6rem}ol.marks li{margin:.1rem 0}
.chip{display:inline-block;border:1px solid var(--line);border-radius:1rem;padding:0 .5rem;margin:.1rem;
font-size:.85rem;font-family:ui-monospace,Menlo,Consolas,monospace}
.who{display:flex;flex-wrap:wrap;gap:1rem;align-items:stretch}
.who>div{flex:1 1 16rem;min-width:0;border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;
background:var(--card)}
.who .grant{border-left:5px solid var(--ok);padding-left:.5rem;margin:.4rem 0}
.who .miss{border-left:5px solid var(--err);padding-left:.5rem;margin:.4rem 0}
.diff{display:grid;grid-template-columns:auto 1fr;gap:.1rem .6rem;align-items:baseline;margin:.3rem 0}
.diff code{white-space:pre-wrap}
mark{background:var(--mark);color:var(--markfg);border-radius:2px;padding:0 1px}
mark.gap{display:inline-block;width:0;border-left:2px solid var(--err);padding:0;height:1em;vertical-align:-.15em}
footer{margin-top:2rem;border-top:1px solid var(--line);padding-top:.5rem}
@media print{:root{--bg:#fff;--fg:#000;--card:#fff;--code:#fff;--fix:#fff;--note:#fff}
body{max-width:none;font-size:11pt}details::details-content{content-visibility:visible;display:contents}
.f,.verdict,.who>div{break-inside:avoid}pre{white-space:pre-wrap;border:1px solid #999}}
"""


def _e(s: object, limit: int | None = None) -> str:
    """Hostile text as HTML text (control characters removed, markup escaped, quotes too)."""
    return escape(clean(s, limit))


def _prose(s: object) -> str:
    """Running text (a title, a fix's words): escaped, then its backtick spans shown as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(s))


def render_html(report: Report, notes: tuple[str, ...] = (), meta: Meta | None = None) -> str:
    """The report as a standalone HTML page."""
    meta = meta or Meta()
    root = first_error(report)
    title = f"oidc-doctor: {root}" if root else "oidc-doctor diagnosis"
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width, initial-scale=1">',
        '<meta name=color-scheme content="light dark">',
        # defence in depth: even if a string escaped escaping, the page may run and fetch nothing
        f'<meta http-equiv=Content-Security-Policy content="{CSP}">',
        '<meta name=referrer content="no-referrer">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>oidc-doctor diagnosis</h1>",
        f'<p class=meta>judged at {_e(when(report))} · {_e(meta.tool())}</p></header>',
        _verdict(report),
        *(f'<p class="note"><strong>Note:</strong> {_e(n)}</p>' for n in notes),
        _timeline(report),
        _identity(report),
        '<section id="findings"><h2>Findings</h2>',
    ]
    if not report.findings:
        parts.append("<p>No finding.</p>")
    for n, f in enumerate(report.findings, 1):
        sev = str(f.severity)
        parts.append(f'<article class="f {_e(sev)}" id="finding-{n}">')
        parts.append(f'<h3><span class="sev">{n}. {_e(sev.upper())}</span> <code>{_e(f.cause)}</code></h3>')
        parts.append(f"<p>{_prose(f.title)}</p>")
        if f.fix:
            parts.append('<div class="fix"><strong>Fix</strong>')
            for p in fix_parts(f.fix):
                if p.kind == "command":
                    parts.append(f'<pre class="cmd"><code>{_e(p.text)}</code></pre>')
                else:
                    parts.append(f"<p>{_prose(p.text)}</p>")
            parts.append("</div>")
        if f.change is not None:
            parts.append(f'<p class="try">Try: <code>--what-if {_e(shell_word(f.change.spec()))}</code></p>')
        if f.evidence:
            # the root cause's evidence is open; the others fold (print unfolds them all)
            opened = " open" if n == 1 else ""
            parts.append(f"<details{opened}><summary>Evidence ({len(f.evidence)})</summary><div class=scroll><table>")
            parts.append("<tr><th>source</th><th>where</th><th>seen</th></tr>")
            for ev in f.evidence:
                parts.append(
                    f"<tr><td>{_e(ev.source)}</td><td>{_e(ev.ref)}</td>"
                    f'<td class="v">{_e(ev.text, 2000)}</td></tr>'
                )
            parts.append("</table></div></details>")
        parts.append("</article>")
    parts.append("</section>")
    section = whatif_lines(report)
    if section:
        body = _e("\n".join(section).strip())
        parts.append(f'<section id="what-if"><h2>What if</h2><pre>{body}</pre></section>')
    parts += [_settings(report), _checks(report), _inputs(report), _footer(meta)]
    parts.append("</body></html>\n")
    return "".join(p for p in parts if p)


def _verdict(report: Report) -> str:
    """The root cause in one box, first on the page."""
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    if errors:
        f = errors[0]
        return (
            '<section class="verdict error" id="verdict">'
            f'<p class="headline">Most likely root cause: <code>{_e(f.cause)}</code></p>'
            f"<p>{_prose(f.title)}</p>"
            f'<p class="muted">{len(errors)} error(s), {len(warnings)} warning(s); the fix is in '
            '<a href="#finding-1">finding 1</a> below.</p>'
            "</section>"
        )
    kind = "warning" if warnings else "ok"
    return f'<section class="verdict {kind}" id="verdict"><p class="headline">{_prose(headline(report))}</p></section>'


# --- the time axis -------------------------------------------------------------------------------

_LANES = ("token", "proxy", "failure", "now", "other")
_LANE_NAMES = {"proxy": "proxy session"}  # rows named otherwise than their lane


def _row(m: Mark) -> str:
    """The row a mark is drawn on: its lane, failures apart by cause (a 401 for one reason, a
    predicted logout for another, each on a row of its own)."""
    if m.lane != "failure":
        return m.lane
    what = "predicted logout" if m.kind == "predicted-logout" else "failures"
    return f"{what}: {m.cause}" if m.cause else what


def _row_order(row: str) -> tuple[int, str]:
    """Rows in lane order (token, proxy, failures, now, other), failures by name."""
    lane = "failure" if row.startswith(("failures", "predicted logout")) else row
    return (_LANES.index(lane) if lane in _LANES else len(_LANES), row)


def _x(t: datetime, start: datetime, span: float, left: float, width: float) -> float:
    if span <= 0:
        return left + width / 2
    return left + width * (t - start).total_seconds() / span


def _levels(marks: list[Mark], xs: list[float], gap: float = 18.0, most: int = 4) -> list[int]:
    """A level per mark so that marks of one row closer than ``gap`` stack instead of overlapping
    (at most ``most`` deep: a burst of hundreds of failures overlaps on the last level rather than
    making the picture hundreds of rows high; the list under it names every one)."""
    last: dict[tuple[str, int], float] = {}
    levels = []
    for m, x in zip(marks, xs, strict=True):
        level = 0
        while level < most - 1 and (_row(m), level) in last and x - last[(_row(m), level)] < gap:
            level += 1
        last[(_row(m), level)] = x
        levels.append(level)
    return levels


def timeline_svg(marks: list[Mark]) -> str:
    """The time axis as inline SVG: one row per kind of moment, one numbered mark per moment
    (``<g class="mark LANE">``, its ``<title>`` saying when and what)."""
    lanes = sorted({_row(m) for m in marks}, key=_row_order)
    left, right, top, step = 24.0, 24.0, 4.0, 18.0
    width = 700.0
    plot = width - left - right
    start, end = marks[0].at, marks[-1].at
    span = (end - start).total_seconds()
    xs = [_x(m.at, start, span, left, plot) for m in marks]
    levels = _levels(marks, xs)
    depth = {lane: 1 + max(lv for m, lv in zip(marks, levels, strict=True) if _row(m) == lane) for lane in lanes}
    lane_y: dict[str, float] = {}
    y = top
    for lane in lanes:
        lane_y[lane] = y + 26  # the row's name above its line
        y += 26 + step * depth[lane]
    axis_y = y + 2
    height = axis_y + 24
    out = [
        f'<svg role="img" aria-labelledby="tl-title" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg" class="timeline"><title id="tl-title">Time axis: {len(marks)} moment(s) '
        f"from {iso(start)} to {iso(end)}</title>"
    ]
    for lane in lanes:
        ly = lane_y[lane]
        out.append(f'<line class="lane" x1="{left:.1f}" x2="{width - right:.1f}" y1="{ly:.1f}" y2="{ly:.1f}"/>')
        name = _LANE_NAMES.get(lane, lane)
        out.append(f'<text class="lanename" x="{left:.1f}" y="{ly - 12:.1f}">{_e(name)}</text>')
    out.append(f'<line class="axis" x1="{left:.1f}" x2="{width - right:.1f}" y1="{axis_y:.1f}" y2="{axis_y:.1f}"/>')
    out.append(f'<text x="{left:.1f}" y="{axis_y + 16:.1f}">{iso(start)}</text>')
    if span > 0:
        out.append(f'<text x="{width - right:.1f}" y="{axis_y + 16:.1f}" text-anchor="end">{iso(end)}</text>')
    for n, (m, x, level) in enumerate(zip(marks, xs, levels, strict=True), 1):
        cy = lane_y[_row(m)] + step * level
        label = f"{n}. {iso(m.at)} {clean(m.what)}" + (f" ({clean(m.cause)})" if m.cause else "")
        shape = (
            f'<rect x="{x - 7:.1f}" y="{cy - 7:.1f}" width="14" height="14" transform="rotate(45 {x:.1f} {cy:.1f})"/>'
            if m.lane == "failure"
            else f'<circle cx="{x:.1f}" cy="{cy:.1f}" r="8"/>'
        )
        out.append(
            f'<g class="mark {m.lane}" data-kind="{_e(m.kind)}"><title>{escape(label)}</title>{shape}'
            f'<text class="num" x="{x:.1f}" y="{cy + 3.5:.1f}" text-anchor="middle">{n}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _timeline(report: Report) -> str:
    marks = timeline(report)
    head = '<section id="timeline"><h2>Time axis</h2>'
    if marks is None:
        return (
            head + '<p class="muted" id="no-timeline">No time axis: this report carries no timeline '
            "(the diagnosis that wrote it computed none).</p></section>"
        )
    if not marks:
        return head + '<p class="muted" id="no-timeline">No time axis: the timeline holds no moment.</p></section>'
    items = []
    for n, m in enumerate(marks, 1):
        extra = f" — <code>{_e(m.cause)}</code>" if m.cause else ""
        ref = f' <span class="muted">{_e(m.ref)}</span>' if m.ref else ""
        items.append(f'<li value="{n}"><code>{iso(m.at)}</code> {_e(m.what)}{extra}{ref}</li>')
    # on a narrow screen the picture keeps a readable size and scrolls inside its box
    picture = f'<div class="axis-wrap">{timeline_svg(marks)}</div>'
    return head + picture + f'<ol class="marks">{"".join(items)}</ol></section>'


# --- identity and bindings -----------------------------------------------------------------------


def _marked(pieces: list[tuple[str, str]]) -> str:
    """``(op, text)`` runs as HTML: differing runs in ``<mark>``, a missing run as a thin gap."""
    out = []
    for op, text in pieces:
        if op == "equal":
            out.append(_e(text))
        elif text:
            out.append(f"<mark>{_e(text)}</mark>")
        else:
            out.append('<mark class="gap" title="missing here"></mark>')
    return "".join(out)


def _near_html(view: BindingsView) -> str:
    out = []
    for m in view.near:
        runs = diff(clean(m.expected), clean(m.got))
        exp = _marked([(op, a) for op, a, _ in runs])
        got = _marked([(op, b) for op, _, b in runs])
        out.append(
            f'<div class="miss"><strong>near miss</strong> {_e(m.binding)} · <code>{_e(m.cause)}</code>'
            f'<div class="diff"><span class="muted">API server sees</span><code class="exp">{exp}</code>'
            f'<span class="muted">binding names</span><code class="got">{got}</code></div></div>'
        )
    return "".join(out)


def _identity(report: Report) -> str:
    view = bindings_view(report)
    if view is None:
        return ""
    groups = "".join(f'<span class="chip">{_e(g)}</span>' for g in view.groups) or '<span class="muted">none</span>'
    grants = "".join(
        f'<div class="grant"><strong>grants</strong> {_e(g.binding)} → {_e(g.role)}'
        f'<br><span class="muted">for {_e(", ".join(g.subjects))}</span></div>'
        for g in view.grants
    )
    if not view.rbac_seen:
        grants = '<p class="muted">No RBAC objects in the evidence: bindings not judged.</p>'
    elif not grants:
        grants = '<p class="muted">No binding applies beyond the defaults for every user.</p>'
    return (
        '<section id="identity"><h2>Identity and bindings</h2><div class="who">'
        f'<div class="ident"><strong>identity</strong> <span class="muted">({_e(view.source)})</span>'
        f"<p><code>{_e(view.username)}</code></p><p>groups: {groups}</p></div>"
        f'<div class="bindings"><strong>bindings</strong>{grants}{_near_html(view)}</div></div></section>'
    )


# --- settings, checks, inputs, footer ------------------------------------------------------------


def _settings(report: Report) -> str:
    rows = settings_rows(report)
    if not rows:
        return ""
    out = ['<section id="settings"><h2>Settings and where each came from</h2>']
    component = None
    for r in rows:
        if r.component != component:
            if component is not None:
                out.append("</table></div>")
            component = r.component
            out.append(f"<h3>{_e(r.component)}</h3><div class=scroll><table>")
            out.append("<tr><th>setting</th><th>value</th><th>source</th></tr>")
        out.append(f'<tr><td>{_e(r.name)}</td><td class="v">{_e(r.value, 300)}</td><td>{_e(r.source)}</td></tr>')
    out.append("</table></div></section>")
    return "".join(out)


def _checks(report: Report) -> str:
    items = "".join(
        f"<li>{_e(status)}: <code>{_e(cid)}</code> — {_e(reason)}</li>" for cid, status, reason in blind_checks(report)
    )
    return f'<section id="checks"><h2>Checks</h2><p>{_e(check_counts(report))}</p><ul>{items}</ul></section>'


def _inputs(report: Report) -> str:
    rows = input_rows(report)
    out = ['<section id="inputs"><h2>Inputs</h2>']
    if not rows:
        out.append("<p>No input file (only command-line options).</p>")
    for status in ("used", "skipped", "broken"):
        these = [r for r in rows if r.status == status]
        if not these:
            continue
        out.append(f'<h3>{status.capitalize()} ({len(these)})</h3><div class=scroll><table class="inputs {status}">')
        out.append("<tr><th>input</th><th>taken as</th><th>detail</th></tr>")
        out += [f"<tr><td>{_e(r.ref)}</td><td>{_e(r.kind)}</td><td>{_e(r.detail)}</td></tr>" for r in these]
        out.append("</table></div>")
    out.append("</section>")
    return "".join(out)


def _footer(meta: Meta) -> str:
    line = meta.command_line()
    cmd = f'<p>Command line:</p><pre class="argv"><code>{_e(line)}</code></pre>' if line else ""
    return f'<footer id="tool"><p>{_e(meta.tool())}</p>{cmd}</footer>'
