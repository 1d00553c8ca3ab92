"""The JSON report of REPORT.md."""

from __future__ import annotations

import json

from oidc_doctor.pipeline import Report
from oidc_doctor.text import json_text


def render_json(report: Report) -> str:
    """One JSON object, indented, newline-terminated; terminal-active characters are escaped.

    The standard library encoder is used because it accepts any ``str`` (orjson refuses lone
    surrogates, which a hostile token's claims can carry).
    """
    return json_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False)) + "\n"
