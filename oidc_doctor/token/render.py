"""The ``token`` command's text output: header, claims with human times, signature, findings.

Plain lines (the style names are kept for a future coloured form); the command's one writer
(:mod:`oidc_doctor.commands.result`) prints them and applies the hostile-text policy. Every value
from the token, the issuer or a file goes through :func:`oidc_doctor.text.clean` (control
characters stripped) too, so a hostile claim cannot move the cursor or forge output.
"""

from __future__ import annotations

import json
from typing import Any

from oidc_doctor.jose import CLAIMS_ONLY
from oidc_doctor.text import clean

#: (style, text) lines; the style is a rich style name or "" (plain).
Line = tuple[str, str]
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_STATUS_STYLE = {"valid": "green", "invalid": "bold red", "unknown": "yellow"}
_VALUE_LIMIT = 240


def _value(v: Any) -> str:
    if isinstance(v, str):
        return clean(v, _VALUE_LIMIT)
    try:
        return clean(json.dumps(v, ensure_ascii=False), _VALUE_LIMIT)
    except (TypeError, ValueError):
        return clean(repr(v), _VALUE_LIMIT)


def _section(title: str) -> Line:
    return ("bold", title)


def lines_for(doc: dict[str, Any]) -> list[Line]:
    """The text report of one token from the command's JSON document."""
    out: list[Line] = [
        (
            "bold",
            f"Token {clean(doc['ref'], 80)}  {doc['fingerprint']}  {doc['size']} bytes  "
            f"(judged at {doc['now']}, {doc['now_source']})",
        ),
        ("", ""),
        _section("Header"),
    ]
    header = doc.get("header")
    if header is None:
        out.append(("dim", "  (not decodable)"))
    elif isinstance(header, dict) and header.get(CLAIMS_ONLY) is True:
        out.append(("dim", "  (not known: the claims were pasted without their token)"))
    else:
        width = max((len(clean(k, 30)) for k in header), default=0)
        out += [("", f"  {clean(k, 30):<{width}}  {_value(v)}") for k, v in header.items()]
    out += [("", ""), _section("Claims")]
    claims = doc.get("claims")
    times = doc.get("times", {})
    if claims is None:
        out.append(("dim", "  (not decodable)"))
    else:
        width = max((len(clean(k, 30)) for k in claims), default=0)
        for k, v in claims.items():
            text = f"  {clean(k, 30):<{width}}  {_value(v)}"
            t = times.get(k) if isinstance(k, str) else None
            if t is not None:
                text += f"  = {t['utc']} ({t['relative']})" if "utc" in t else f"  ({clean(t['problem'])})"
            out.append(("", text))
        if doc.get("lifetime_s") is not None:
            from oidc_doctor.text import human_duration

            out.append(("dim", f"  lifetime (exp - iat): {human_duration(doc['lifetime_s'])}"))
    sig = doc["signature"]
    out += [("", ""), _section("Signature")]
    out.append((_STATUS_STYLE.get(sig["status"], ""), f"  {sig['status']}: {clean(sig['reason'], 400)}"))
    if sig.get("accepted_algs"):
        out.append(("dim", f"  accepted algorithms: {', '.join(sig['accepted_algs'])} (from {sig['algs_source']})"))
    out += [("", ""), _section("Findings")]
    if not doc["findings"]:
        out.append(("green", "  none: nothing wrong with the token on its own"))
    for f in doc["findings"]:
        out.append(
            (
                _SEVERITY_STYLE.get(f["severity"], ""),
                f"  {f['severity']:<7} {f['cause']}: {clean(f['title'], 400)}",
            )
        )
        for e in f["evidence"]:
            out.append(("dim", f"          {clean(e['ref'], 120)}: {clean(e['text'], 300)}"))
        out.append(("", f"          fix: {clean(f['fix'], 400)}"))
    if doc.get("notes"):
        out += [("", ""), _section("Notes")]
        out += [("", f"  - {clean(n, 400)}") for n in doc["notes"]]
    out += [("", ""), _section("Checks")]
    out += [("dim", f"  {c['id']:<16} {c['status']:<8} {clean(c['reason'], 200)}") for c in doc["checks"]]
    return out
