"""Derives the facts, runs the checks over the evidence, ranks the findings, and builds the report.

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
from collections.abc import Collection
from typing import Any

from oidc_doctor.causes import BY_CODE, Severity, consequences
from oidc_doctor.checks import all_checks
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.derive import derive_all
from oidc_doctor.errors import NothingToJudge
from oidc_doctor.evidence import Evidence, InputRecord
from oidc_doctor.model import CheckResult, Finding, Identity, Origin, Status, TimelineEntry
from oidc_doctor.record import Record
from oidc_doctor.text import iso

SCHEMA = "oidc-doctor/report/v1"

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


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
    """The outcome of one diagnosis, in the order REPORT.md fixes.

    ``timeline`` is the session timeline (``oidc_doctor.checks.timeline``), sorted by time.
    """

    _fields = ("ctx", "findings", "checks", "inputs", "timeline", "extra")
    __slots__ = _fields
    ctx: Context
    findings: list[Finding]
    checks: list[CheckRecord]
    inputs: list[InputRecord]
    timeline: tuple[TimelineEntry, ...]
    extra: dict[str, Any]  # added sections of the JSON object (``what_if``, ``try_fixes``), already JSON

    def __init__(
        self,
        ctx: Context,
        findings: list[Finding] | None = None,
        checks: list[CheckRecord] | None = None,
        inputs: list[InputRecord] | None = None,
        timeline: tuple[TimelineEntry, ...] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.ctx = ctx
        self.findings = [] if findings is None else findings
        self.checks = [] if checks is None else checks
        self.inputs = [] if inputs is None else inputs
        self.timeline = tuple(timeline)
        self.extra = {} if extra is None else extra

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
            "timeline": [e.to_json() for e in self.timeline],
            "checks": [c.to_json() for c in self.checks],
            "inputs": [i.to_json() for i in self.inputs],
            "not_judged": [{"area": a, "add": what} for a, what in not_judged(self.checks)],
            **self.extra,
        }


def _failure_kinds(ctx: Context) -> set[str]:
    return {f.kind for f in ctx.facts.failures}


def _standing(f: Finding) -> int:
    """How strongly the evidence speaks: the API server's word with a reason, then a prediction, then
    a configuration reading or a word without a reason (a bare ``invalid bearer token``, a line far
    from the moment judged)."""
    if f.bare:
        return 2
    if f.origin == Origin.OBSERVED:
        return 0
    return 1 if f.origin == Origin.PREDICTED else 2


def _relevance(f: Finding, kinds: set[str], reviewed: bool = False) -> int:
    """0 when the cause can answer the kind of failure seen (the catalogue's ``answers``), 1 otherwise.

    ``reviewed``: the API server itself accepted the token (a SelfSubjectReview), so a predicted
    or configured authentication failure is contradicted by its own word and comes later.
    """
    entry = BY_CODE[f.cause]
    if reviewed and entry.area in ("config", "token") and f.origin != Origin.OBSERVED:
        return 1
    if not kinds:
        return 0
    return 0 if kinds & {str(a) for a in entry.answers} else 1


def _before(a: Finding, b: Finding) -> bool:
    """``a`` must come before ``b``: ``a``'s cause is a root cause of ``b``'s (the catalogue's graph)."""
    return (
        a.severity == b.severity and a.cause != b.cause and (b.cause in consequences(a.cause) or b.cause in a.explains)
    )


def rank(findings: list[Finding], ctx: Context) -> list[Finding]:
    """Order findings so the first is the most likely root cause of the failure seen.

    Sort by severity, by whether the cause answers the failure seen, by the standing of the evidence
    and by the catalogue's rank; then let every root cause come before its consequences (a stable
    topological order over the catalogue's causal graph).
    """
    kinds = _failure_kinds(ctx)
    ident = ctx.facts.identity
    reviewed = ident is not None and ident.source in ("selfsubjectreview", "audit-event")
    ordered = [
        f
        for _, f in sorted(
            enumerate(findings),
            key=lambda p: (
                _SEVERITY_ORDER[p[1].severity or Severity.ERROR],
                _relevance(p[1], kinds, reviewed),
                _standing(p[1]),
                p[1].rank,
                p[0],
            ),
        )
    ]
    out: list[Finding] = []
    while ordered:
        pick = next(
            (f for f in ordered if not any(_before(g, f) for g in ordered if g is not f)),
            ordered[0],  # a cycle cannot happen (the catalogue test forbids it); stay total anyway
        )
        ordered.remove(pick)
        out.append(pick)
    return out


def _representative_key(f: Finding, i: int, group: list[Finding]) -> tuple[int, int, int, int, int]:
    """Which finding of one cause speaks for it: the word of the API server when a prediction confirms it."""
    corroborated = any(g.origin == Origin.PREDICTED and not g.bare for g in group)
    standing = 0 if corroborated and f.origin == Origin.OBSERVED else _standing(f)
    return (_SEVERITY_ORDER[f.severity or Severity.ERROR], standing, f.rank, -len(f.evidence), i)


def _one_per_cause(findings: list[Finding]) -> list[Finding]:
    """One finding per cause, with all its evidence (several checks may see one fact).

    The representative is the finding with the strongest standing (the API server's word with a
    reason, then a prediction, ...); the others give it their evidence. The fix is the most exact one
    (:func:`_best_fix`). When the API server's word without a reason and a prediction
    name the same cause, together they are a reasoned observation.
    """
    by_cause: dict[str, list[Finding]] = {}
    for f in findings:
        by_cause.setdefault(f.cause, []).append(f)
    out = []
    for group in by_cause.values():
        rep = min(enumerate(group), key=lambda p: _representative_key(p[1], p[0], group))[1]
        known = {(e.source, e.ref, e.text) for e in rep.evidence}
        for f in group:
            if f is rep:
                continue
            if rep.origin == Origin.OBSERVED and f.origin == Origin.PREDICTED and not f.bare:
                rep.bare = False  # a reasoned prediction gives the server's word its reason
            fresh = [e for e in f.evidence if (e.source, e.ref, e.text) not in known]
            rep.evidence += fresh
            known |= {(e.source, e.ref, e.text) for e in fresh}
            rep.explains = tuple(dict.fromkeys((*rep.explains, *f.explains)))
        rep.fix = _best_fix(group, rep)
        out.append(rep)
    return out


#: Whose fix a merged finding keeps: a setting read from the configuration names exactly what to change
#: (the proxy's client id, the flag), a prediction names the rule, a log line only the symptom.
_FIX_ORDER = {Origin.CONFIG: 0, Origin.PREDICTED: 1, Origin.OBSERVED: 2}


def _best_fix(group: list[Finding], rep: Finding) -> str:
    default = BY_CODE[rep.cause].fix_text()
    specific = [f for f in group if f.fix and f.fix != default and f.severity == rep.severity]
    if not specific:
        return rep.fix
    return min(specific, key=lambda f: (_FIX_ORDER[f.origin], f is not rep)).fix


def run(ev: Evidence, ctx: Context, checks: list[Check] | None = None, areas: Collection[str] | None = None) -> Report:
    """Derive facts, run every check, rank the findings.

    A check that raises is recorded as ``unknown`` with the error (never as a pass); with
    ``OIDC_DOCTOR_STRICT=1`` (the test suite) the error propagates instead.
    """
    strict = os.environ.get("OIDC_DOCTOR_STRICT") == "1"
    ctx = derive_all(ev, ctx, areas)
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
    report.findings = rank(_one_per_cause(findings), ctx)
    if report.findings:  # (a healthy token's run does not import the proposals: 1 ms of start-up)
        from oidc_doctor.checks import changes

        changes.attach(report.findings, ev, ctx)
    from oidc_doctor.checks.timeline import build_timeline

    report.timeline = build_timeline(ev, ctx)
    return report


def require_judged(report: Report) -> Report:
    """The report, unless no check could look at anything: nothing judged is not healthy (exit 2)."""
    if not any(c.result.status in (Status.PASS, Status.FAIL) for c in report.checks):
        raise NothingToJudge(_nothing_judged(report))
    return report


#: The areas a diagnosis stands on, by check-id prefix, and what to add when one is blind.
JUDGED_AREAS = {
    "token": "the token (id_token.txt, or --token @FILE)",
    "authn": "the API server's OIDC settings (kube-apiserver Pod/manifest, AuthenticationConfiguration, ...)",
    "rbac": "the RBAC bindings (kubectl get clusterrolebindings,rolebindings -A -o yaml)",
    "proxy": "the auth proxy (the oauth2-proxy Deployment or its Helm values)",
}


def not_judged(checks: list[CheckRecord]) -> list[tuple[str, str]]:
    """The areas no check of which could look: ``(area, what to add)``, for the report to say so."""
    out = []
    # With AKS-managed Entra ID there are no OIDC flags: the aks.* checks judge the token instead.
    aks_judged = any(c.id == "aks.entra-token" and c.result.status in (Status.PASS, Status.FAIL) for c in checks)
    for area, what in JUDGED_AREAS.items():
        if area == "authn" and aks_judged:
            continue
        mine = [c for c in checks if c.id.split(".", 1)[0] == area]
        if mine and all(c.result.status in (Status.UNKNOWN, Status.SKIPPED) for c in mine):
            out.append((area, what))
    return out


def _nothing_judged(report: Report) -> str:
    used = [i.ref for i in report.inputs if i.kind not in ("unrecognised", "broken", "unreadable")]
    skipped = [i for i in report.inputs if i.kind in ("unrecognised", "broken", "unreadable")]
    seen = (
        f"{len(used)} input(s) read ({', '.join(used[:3])}{', ...' if len(used) > 3 else ''})"
        if used
        else "no input read"
    )
    why = f" ({skipped[0].ref}: {skipped[0].reason})" if skipped and skipped[0].reason else ""
    return f"nothing to judge: {seen}, {len(skipped)} skipped{why}, and no check could look at them; add " + "; ".join(
        what for _, what in not_judged(report.checks)
    )
