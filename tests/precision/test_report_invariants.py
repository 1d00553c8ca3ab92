"""Invariants every report keeps, over every bundled example and QA bundle.

- one finding per cause (all its evidence in one place);
- a healthy setup yields no error or warning;
- no "authentication works" finding beside a 401 that was observed;
- each finding's cause ranks before the causes it is the root cause of;
- no two findings' fixes contradict: no flag is proposed with two different values by two causes.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.causes import BY_CODE, consequences
from oidc_doctor.cli import main
from oidc_doctor.io import IO

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
QA = ROOT / "tests" / "qa" / "bundles"
NOW = "2026-11-28T10:25:12Z"

_EXAMPLES: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "expected.json").read_text())
_QA: dict[str, dict[str, Any]] = json.loads((QA / "expected.json").read_text())
# An example with no error may still warn (the authorization header left exposed is a risk).
BUNDLES = [(EXAMPLES / n, e.get("first") == "token-accepted") for n, e in _EXAMPLES.items()]
BUNDLES += [(QA / n, bool(e.get("healthy"))) for n, e in _QA.items()]


def _diagnose(bundle: Path) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(bundle), "--now", NOW, "--format", "json"],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    assert status in (0, 1), err.getvalue()
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


#: A flag a fix proposes, with its value (as the fix texts write them: `--flag=value`).
_PROPOSED = re.compile(r"(--oidc-[a-z-]+|--client-id|--scope|--cookie-refresh|--provider)=([^\s`'\"),;]+)")


@pytest.mark.parametrize(("bundle", "healthy"), BUNDLES, ids=[b.name for b, _ in BUNDLES])
def test_report_invariants(bundle: Path, healthy: bool) -> None:
    report = _diagnose(bundle)
    causes = [f["cause"] for f in report["findings"]]
    assert len(causes) == len(set(causes)), causes
    if healthy:
        assert {f["severity"] for f in report["findings"]} <= {"info"}, causes
    for i, code in enumerate(causes):
        later_roots = [c for c in causes[i + 1 :] if code in consequences(c)]
        same_severity = [
            c
            for c in later_roots
            if report["findings"][causes.index(c)]["severity"] == report["findings"][i]["severity"]
        ]
        assert not same_severity, (code, same_severity, causes)
    if "token-accepted" in causes:
        accepted = report["findings"][causes.index("token-accepted")]
        if accepted["origin"] == "predicted":
            # Nothing in this bundle showed a 401 that the prediction would contradict.
            refused = [
                f
                for f in report["findings"]
                if f["severity"] == "error"
                and f["origin"] == "observed"
                and BY_CODE[f["cause"]].answers == ("unauthorized",)
            ]
            assert not refused, causes
    proposed: dict[str, dict[str, set[str]]] = {}
    for f in report["findings"]:
        for flag, value in _PROPOSED.findall(f["fix"]):
            proposed.setdefault(flag, {}).setdefault(value, set()).add(f["cause"])
    for flag, values in proposed.items():
        by = set().union(*values.values())
        assert len(values) == 1 or len(by) == 1, (flag, values)
