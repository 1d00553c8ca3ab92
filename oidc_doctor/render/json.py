"""The JSON report of REPORT.md."""

from __future__ import annotations

import orjson

from oidc_doctor.pipeline import Report


def render_json(report: Report) -> str:
    """One JSON object, indented, newline-terminated."""
    return orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
