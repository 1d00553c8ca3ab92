"""Run ``oidc-doctor diagnose`` on one field bundle and judge the result against ``cases.json``.

Shared by ``test_field_cases.py`` (pytest) and ``score.py`` (the top-1 table). A case says which
cause must come FIRST (``first``), which must also appear (``also``), the moment to judge at
(``now``; absent when the bundle carries its own time), for the class "nothing usable" the
exit status 2, ``unique`` (no cause reported twice), ``not_in_first_fix`` (a fix the thread
shows is wrong must not be proposed first) and ``first_says`` (a word the first finding's title or
fix must use, for near misses whose code is right but whose explanation is not).
``first: null`` means healthy: no error or warning finding at all.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oidc_doctor.cli import main
from oidc_doctor.io import IO

HERE = Path(__file__).resolve().parent
BUNDLES = HERE / "bundles"
CASES: dict[str, dict[str, Any]] = json.loads((HERE / "cases.json").read_text())


@dataclass
class Outcome:
    """What ``diagnose`` said about one bundle, and whether it is what the thread confirmed."""

    status: int
    causes: list[str]
    severities: list[str]
    problems: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when the case's expectations all hold."""
        return not self.problems


def diagnose(name: str) -> tuple[int, dict[str, Any] | None, str]:
    """``diagnose --bundle`` in-process, JSON report; the case's ``now`` when it has one."""
    case = CASES[name]
    args = ["diagnose", "--bundle", str(BUNDLES / name), "--format", "json"]
    if case.get("now"):
        args += ["--now", case["now"]]
    out, err = io.StringIO(), io.StringIO()
    status = main(args, IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    text = out.getvalue()
    return status, (json.loads(text) if text.strip() else None), err.getvalue()


def judge(name: str) -> Outcome:
    """Run one case and list every expectation it misses."""
    case = CASES[name]
    status, report, err = diagnose(name)
    findings = report["findings"] if report else []
    causes = [str(f["cause"]) for f in findings]
    severities = [str(f["severity"]) for f in findings]
    outcome = Outcome(status, causes, severities, report=report)
    problems = outcome.problems
    if case.get("exit") == 2:
        if status != 2:
            problems.append(f"exit {status}, expected 2 (nothing usable): {causes}")
        return outcome
    if status == 2:
        problems.append(f"exit 2: {err.strip()[:200]}")
        return outcome
    first = case["first"]
    if first is None:
        bad = [c for c, s in zip(causes, severities, strict=True) if s in ("error", "warning")]
        if bad or status != 0:
            problems.append(f"healthy expected; got exit {status} with {bad}")
    else:
        if not causes or causes[0] != first:
            problems.append(f"first {causes[:1]}, expected {first}")
        wanted = case.get("first_says")
        if wanted and findings:
            said = f"{findings[0].get('title', '')} {findings[0].get('fix', '')}".lower()
            if str(wanted).lower() not in said:
                problems.append(f"the first finding does not say {wanted!r}: {str(findings[0].get('title'))[:120]}")
        banned = case.get("not_in_first_fix")
        if banned and findings and banned in str(findings[0].get("fix", "")):
            problems.append(f"the first fix proposes {banned!r}, which the thread shows is not the fix")
        missing = [c for c in case.get("also", []) if c not in causes]
        if missing:
            problems.append(f"missing {missing}")
    if case.get("unique"):
        dup = sorted({c for c in causes if causes.count(c) > 1})
        if dup:
            problems.append(f"reported more than once: {dup}")
    return outcome
