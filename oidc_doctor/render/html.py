"""One self-contained HTML page (inline CSS, no scripts, every string escaped)."""

from __future__ import annotations

from html import escape

from oidc_doctor.pipeline import Report
from oidc_doctor.render.common import blind_checks, check_counts, headline, identity_line, when
from oidc_doctor.render.whatif import shell_word, text_lines
from oidc_doctor.text import clean, clean_lines

_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
.f{border:1px solid #ccc;border-left:6px solid #999;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.error{border-left-color:#c0392b}.warning{border-left-color:#e67e22}.info{border-left-color:#2980b9}
code,td{font-family:ui-monospace,monospace;font-size:.9em}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #eee;text-align:left;padding:.2rem .4rem;vertical-align:top}
.fix{background:#eef8ee;padding:.4rem;border-radius:3px}
.note{background:#fff8e1;padding:.4rem;border-radius:3px}
"""


def _e(s: object) -> str:
    return escape(clean(s))


def render_html(report: Report, notes: tuple[str, ...] = ()) -> str:
    """The report as a standalone HTML page."""
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        # defence in depth: even if a string escaped escaping, the page may run and fetch nothing
        '<meta name=viewport content="width=device-width, initial-scale=1">',
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>oidc-doctor diagnosis</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>oidc-doctor diagnosis</h1>",
        f"<p><em>{_e(when(report))}</em></p>",
        *(f'<p class="note"><strong>Note:</strong> {_e(n)}</p>' for n in notes),
        f"<p><strong>{_e(headline(report))}</strong></p>",
    ]
    ident = identity_line(report)
    if ident:
        parts.append(f"<p>Identity: <code>{_e(ident)}</code></p>")
    for n, f in enumerate(report.findings, 1):
        parts.append(f'<div class="f {_e(f.severity)}"><h2>{n}. {_e(str(f.severity).upper())} ')
        parts.append(f"<code>{_e(f.cause)}</code></h2><p>{_e(f.title)}</p>")
        if f.evidence:
            parts.append("<table><tr><th>source</th><th>where</th><th>seen</th></tr>")
            for ev in f.evidence:
                cells = (ev.source, ev.ref, clean(ev.text, 400))
                parts.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
            parts.append("</table>")
        if f.fix:
            fix = "<br>".join(escape(line) for line in clean_lines(f.fix))
            parts.append(f'<p class="fix"><strong>Fix:</strong> {fix}</p>')
        if f.change is not None:
            parts.append(f"<p>Try: <code>--what-if {_e(shell_word(f.change.spec()))}</code></p>")
        parts.append("</div>")
    parts.append(f"<p>Checks: {_e(check_counts(report))}</p><ul>")
    for cid, status, reason in blind_checks(report):
        parts.append(f"<li>{_e(status)}: <code>{_e(cid)}</code> — {_e(reason)}</li>")
    parts.append("</ul>")
    section = text_lines(report)
    if section:
        parts.append("<pre>" + _e("\n".join(section).strip()) + "</pre>")
    parts.append("</body></html>\n")
    return "".join(parts)
