"""The JSON report of REPORT.md."""

from __future__ import annotations

import json
from typing import Any

from oidc_doctor.pipeline import Report
from oidc_doctor.text import json_text


def render_json(report: Report, notes: tuple[str, ...] = ()) -> str:
    """One JSON object, indented, newline-terminated; terminal-active characters are escaped.

    The standard library encoder is used because it accepts any ``str`` (orjson refuses lone
    surrogates, which a hostile token's claims can carry).
    """
    return json_text(json.dumps(report_document(report, notes), indent=2, ensure_ascii=False)) + "\n"


def report_document(report: Report, notes: tuple[str, ...] = ()) -> dict[str, Any]:
    """REPORT.md's object with the tool ``version`` after ``schema``, and ``notes`` when there are any."""
    from oidc_doctor import __version__

    body = report.to_json()
    doc: dict[str, Any] = {"schema": body.pop("schema"), "version": __version__, **body}
    if notes:
        doc["notes"] = list(notes)
    return doc
