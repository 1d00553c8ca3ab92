"""Runs derivers and checks over the evidence, ranks the findings, and builds the report.

Ranking (DESIGN.md): the first finding should explain the observed failure.
1. ``error`` before ``warning`` before ``info``.
2. The API server's own word (a log line, a 403 message, a SelfSubjectReview) outranks a
   prediction, which outranks a configuration reading.
3. The kind of failure seen steers the order: a 401 puts authentication causes first, a 403
   identity and RBAC causes, "logged out" session causes.
4. A root cause comes before what it causes (``Finding.explains``).
"""

from __future__ import annotations

import os
from typing import Any

from oidc_doctor.causes import BY_CODE, Severity
from oidc_doctor.checks import all_checks, derivers
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, InputRecord
from oidc_doctor.model import CheckResult, Finding, Identity, Origin, Status
from oidc_doctor.record import Record
from oidc_doctor.text import iso

SCHEMA = "oidc-doctor/report/v1"

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_ORIGIN_ORDER = {Origin.OBSERVED: 0, Origin.PREDICTED: 1, Origin.CONFIG: 2}
# Which catalogue areas explain which kind of observed failure.
_AREAS_FOR_FAILURE = {
    "unauthorized": ("config", "token"),
    "forbidden": ("rbac",),
    "logged-out": ("proxy",),
}
# Cause codes that explain a 403 although their area is "token" (silent on the server).
_FORBIDDEN_TOKEN_CAUSES = frozenset(("groups-claim-missing", "proxy-token-not-forwarded"))


class CheckRecord(Record):
    """One line of the report's ``checks`` list."""

    _fields = ("id", "result")
    __slots__ = _fields
    id: str
    result: CheckResult

    def __init__(self, id: str, result: CheckResult) -> None:
        self.id = id
        self.result = result

    def to_json(self) -> dict[str, str]:
        """The REPORT.md shape."""
        return {"id": self.id, "status": str(self.result.status), "reason": self.result.reason}


class Report(Record):
    """The outcome of one diagnosis, in the order REPORT.md fixes."""

    _fields = ("ctx", "findings", "checks", "inputs")
    __slots__ = _fields
    ctx: Context
    findings: list[Finding]
    checks: list[CheckRecord]
    inputs: list[InputRecord]

    def __init__(
        self,
        ctx: Context,
        findings: list[Finding] | None = None,
        checks: list[CheckRecord] | None = None,
        inputs: list[InputRecord] | None = None,
    ) -> None:
        self.ctx = ctx
        self.findings = [] if findings is None else findings
        self.checks = [] if checks is None else checks
        self.inputs = [] if inputs is None else inputs

    @property
    def identity(self) -> Identity | None:
        """The best identity known: the API server's own answer beats a prediction."""
        return self.ctx.facts.identity

    def exit_status(self) -> int:
        """0 with no error-severity finding, else 1."""
        return 1 if any(f.severity == Severity.ERROR for f in self.findings) else 0

    def to_json(self) -> dict[str, Any]:
        """The REPORT.md object."""
        return {
            "schema": SCHEMA,
            "now": iso(self.ctx.now),
            "now_source": self.ctx.now_source,
            "identity": self.identity.to_json() if self.identity else None,
            "findings": [f.to_json() for f in self.findings],
            "checks": [c.to_json() for c in self.checks],
            "inputs": [i.to_json() for i in self.inputs],
        }


def _failure_kinds(ctx: Context) -> set[str]:
    return {f.kind for f in ctx.facts.failures}


def _relevance(f: Finding, kinds: set[str], reviewed: bool = False) -> int:
    """0 when the finding's area explains the kind of failure seen, 1 otherwise.

    ``reviewed``: the API server itself accepted the token (a SelfSubjectReview), so a predicted
    or configured authentication failure is contradicted by its own word and comes later.
    """
    area = BY_CODE[f.cause].area
    if reviewed and area in ("config", "token") and f.origin != Origin.OBSERVED:
        return 1
    if not kinds:
        return 0
    if "forbidden" in kinds and f.cause in _FORBIDDEN_TOKEN_CAUSES:
        return 0
    return 0 if any(area in _AREAS_FOR_FAILURE.get(k, ()) for k in kinds) else 1


def rank(findings: list[Finding], ctx: Context) -> list[Finding]:
    """Order findings so the first is the most likely root cause of the failure seen."""
    kinds = _failure_kinds(ctx)
    ident = ctx.facts.identity
    reviewed = ident is not None and ident.source == "selfsubjectreview"
    ordered = sorted(
        enumerate(findings),
        key=lambda p: (
            _SEVERITY_ORDER[p[1].severity or Severity.ERROR],
            _ORIGIN_ORDER[p[1].origin],
            _relevance(p[1], kinds, reviewed),
            p[1].rank,
            p[0],
        ),
    )
    out = [f for _, f in ordered]
    # A root cause moves before the first finding it explains (stable, one pass per root).
    for root in [f for f in out if f.explains]:
        targets = [i for i, f in enumerate(out) if f.cause in root.explains and f is not root]
        here = out.index(root)
        if targets and targets[0] < here and root.severity == out[targets[0]].severity:
            out.pop(here)
            out.insert(targets[0], root)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop findings that add nothing: the same cause and title, or the same cause with evidence
    (by source and place) wholly contained in another finding's (several checks may see one fact,
    one of them with more context)."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for f in findings:
        key = (f.cause, f.title)
        if key not in seen:
            seen.add(key)
            unique.append(f)

    def places(f: Finding) -> set[tuple[str, str]]:
        return {(e.source, e.ref) for e in f.evidence}

    out = []
    for f in unique:
        mine = places(f)
        covered = mine and any(
            g is not f and g.cause == f.cause and mine < places(g) and g.severity == f.severity for g in unique
        )
        if not covered:
            out.append(f)
    return out


def _corroborate(findings: list[Finding]) -> list[Finding]:
    """Fold a prediction into the observation of the same cause: one finding, both kinds of evidence.

    When the API server's own word (a log line) and our prediction name the same cause, the
    observed finding keeps its title and gains the prediction's evidence; the prediction's fix
    is kept when it is more specific than the catalogue's default.
    """
    observed = {f.cause: f for f in findings if f.origin == Origin.OBSERVED}
    out = []
    for f in findings:
        seen = observed.get(f.cause)
        if seen is None or f.origin != Origin.PREDICTED or f.severity != seen.severity:
            out.append(f)
            continue
        known = {(e.source, e.ref, e.text) for e in seen.evidence}
        seen.evidence += [e for e in f.evidence if (e.source, e.ref, e.text) not in known]
        if seen.fix == BY_CODE[seen.cause].fix and f.fix:
            seen.fix = f.fix
    return out


def run(ev: Evidence, ctx: Context, checks: list[Check] | None = None) -> Report:
    """Derive facts, run every check, rank the findings.

    A check that raises is recorded as ``unknown`` with the error (never as a pass); with
    ``OIDC_DOCTOR_STRICT=1`` (the test suite) the error propagates instead.
    """
    strict = os.environ.get("OIDC_DOCTOR_STRICT") == "1"
    for derive in derivers():
        derive(ev, ctx)
    report = Report(ctx=ctx, inputs=list(ev.inputs))
    findings: list[Finding] = []
    for check in checks if checks is not None else all_checks():
        try:
            result = check.run(ev, ctx)
        except Exception as e:  # a crash must read as "could not look", not as a pass
            if strict:
                raise
            result = CheckResult(Status.UNKNOWN, f"the check failed: {type(e).__name__}: {e}")
        for f in result.findings:
            f.check = f.check or check.id
        report.checks.append(CheckRecord(check.id, result))
        findings.extend(result.findings)
    report.findings = rank(_corroborate(_dedupe(findings)), ctx)
    return report
