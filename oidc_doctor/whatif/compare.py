"""Judge the evidence before and after changes, with the same runner at the same judged moment.

Observations (API server, proxy and ingress logs, the error texts the user saw, audit events, live
answers, the API server's metrics) record what happened under the settings *before* a change: after
it, they no longer say what would happen. So the changed evidence is judged without them — the
"after" is a prediction — and, to compare like with like, so is a *baseline*: the unchanged evidence
judged the same way. The request a 403 named is kept (as ``--request``) so RBAC judges the same
request after the change. A cause the real report shows but the baseline does not was seen only in
an observation: the what-if cannot say whether a change fixes it, and says so (``unjudged``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from oidc_doctor.causes import Severity
from oidc_doctor.change import Change
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.record import FrozenRecord, Record
from oidc_doctor.whatif.apply import apply_all

if TYPE_CHECKING:
    from oidc_doctor.checks.base import Context
    from oidc_doctor.model import Finding
    from oidc_doctor.pipeline import Report

#: Items that record what happened under the settings before a change.
OBSERVATIONS = frozenset(
    {
        Kind.APISERVER_LOG,
        Kind.PROXY_LOG,
        Kind.INGRESS_LOG,
        Kind.ERROR_TEXT,
        Kind.AUDIT_EVENTS,
        Kind.LIVE,
        Kind.APISERVER_METRICS,
    }
)


def without_observations(ev: Evidence) -> Evidence:
    """The settings and the token only (a new Evidence; ``ev`` is untouched)."""
    return Evidence([i for i in ev.items if i.kind not in OBSERVATIONS], list(ev.inputs), dict(ev.blind))


def predictive_context(before: Report) -> Context:
    """The context of ``before`` (same moment, same options) with the failing request kept as ``--request``."""
    import copy

    from oidc_doctor.checks.base import Context
    from oidc_doctor.checks.rbac import request_from_context

    ctx = before.ctx
    o = ctx.options
    request = o.request
    if request is None:
        r = request_from_context(ctx)
        if r is not None:
            request = {
                k: v
                for k, v in {
                    "verb": r.verb,
                    "resource": r.resource,
                    "api_group": r.api_group,
                    "subresource": r.subresource,
                    "name": r.name,
                    "namespace": r.namespace,
                    "path": r.path,
                }.items()
                if v
            }
    options = copy.copy(o)  # every option as given (whatever fields Options gains), but:
    options.error_texts = []
    options.request = request
    return Context(now=ctx.now, now_source=ctx.now_source, options=options)


class Summary(FrozenRecord):
    """A report reduced to what a before/after comparison shows."""

    _fields = ("verdict", "errors", "username", "groups", "identity_source", "causes")
    __slots__ = _fields
    verdict: str  # "fails" (an error finding) | "ok"
    errors: int
    username: str | None
    groups: tuple[str, ...]
    identity_source: str | None
    causes: tuple[tuple[str, str, str], ...]  # (cause, severity, title) in ranked order

    def __init__(
        self,
        verdict: str,
        errors: int,
        username: str | None,
        groups: tuple[str, ...],
        identity_source: str | None,
        causes: tuple[tuple[str, str, str], ...],
    ) -> None:
        for name, value in zip(self._fields, (verdict, errors, username, groups, identity_source, causes), strict=True):
            object.__setattr__(self, name, value)

    @classmethod
    def of(cls, report: Report) -> Summary:
        """The summary of one report."""
        ident = report.identity
        errors = sum(1 for f in report.findings if f.severity == Severity.ERROR)
        return cls(
            "fails" if errors else "ok",
            errors,
            ident.username if ident else None,
            tuple(ident.with_authenticated() if ident.source == "prediction" else ident.groups) if ident else (),
            ident.source if ident else None,
            tuple((f.cause, str(f.severity), f.title) for f in report.findings),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``what_if`` before/after shape (docs/what-if.md)."""
        return {
            "verdict": self.verdict,
            "errors": self.errors,
            "identity": None
            if self.username is None
            else {"username": self.username, "groups": list(self.groups), "source": self.identity_source},
            "findings": [{"cause": c, "severity": s, "title": t} for c, s, t in self.causes],
        }


class Comparison(Record):
    """Before → after for one set of changes."""

    _fields = ("changes", "before", "baseline", "after", "gone", "new", "unjudged", "error")
    __slots__ = _fields
    changes: tuple[Change, ...]
    before: Summary  # the real diagnosis, observations included
    baseline: Summary  # the unchanged evidence judged without observations
    after: Summary | None  # None when the change could not be applied (see error)
    gone: tuple[tuple[str, str, str], ...]  # judged causes the change removes
    new: tuple[tuple[str, str, str], ...]  # causes the change brings
    unjudged: tuple[tuple[str, str, str], ...]  # error/warning causes seen only in observations
    error: str  # why the change could not be applied ("" when it was)

    def __init__(
        self,
        changes: tuple[Change, ...],
        before: Summary,
        baseline: Summary,
        after: Summary | None,
        error: str = "",
    ) -> None:
        self.changes = changes
        self.before = before
        self.baseline = baseline
        self.after = after
        self.error = error
        judged = {c for c, _, _ in baseline.causes}
        mine = {c for c, _, _ in after.causes} if after else judged
        self.gone = tuple(x for x in baseline.causes if x[0] not in mine) if after else ()
        self.new = tuple(x for x in after.causes if x[0] not in judged) if after else ()
        self.unjudged = tuple(x for x in before.causes if x[0] not in judged and x[1] != str(Severity.INFO))

    @property
    def unjudged_errors(self) -> bool:
        """Whether an error cause was seen only in observations (the change cannot be judged against it)."""
        return any(s == str(Severity.ERROR) for _, s, _ in self.unjudged)

    @property
    def fixes_all(self) -> bool:
        """The change leaves no error finding and nothing unjudged."""
        return self.after is not None and self.after.errors == 0 and not self.unjudged_errors

    def to_json(self) -> dict[str, Any]:
        """The report's ``what_if`` object (docs/what-if.md)."""
        out: dict[str, Any] = {
            "changes": [c.to_json() for c in self.changes],
            "before": self.before.to_json(),
            "baseline": self.baseline.to_json(),
            "after": self.after.to_json() if self.after else None,
            "gone": [{"cause": c, "severity": s, "title": t} for c, s, t in self.gone],
            "new": [{"cause": c, "severity": s, "title": t} for c, s, t in self.new],
            "unjudged": [{"cause": c, "severity": s, "title": t} for c, s, t in self.unjudged],
        }
        if self.error:
            out["error"] = self.error
        return out


class Judge:
    """Runs the walk on changed evidence: the baseline once, then one run per set of changes."""

    def __init__(self, ev: Evidence, before: Report) -> None:
        from oidc_doctor import pipeline

        self.before = before
        self.bare = without_observations(ev)
        self.ctx = predictive_context(before)
        self.baseline_report = pipeline.run(self.bare, self.ctx)
        self.before_summary = Summary.of(before)
        self.baseline = Summary.of(self.baseline_report)

    def run(self, changes: Sequence[Change]) -> tuple[Comparison, Report | None, Evidence | None]:
        """The comparison for ``changes`` applied together, the after report and the changed evidence."""
        from oidc_doctor import pipeline
        from oidc_doctor.whatif.apply import NotApplicable

        try:
            changed = apply_all(self.bare, tuple(changes))
        except NotApplicable as e:
            return Comparison(tuple(changes), self.before_summary, self.baseline, None, str(e)), None, None
        report = pipeline.run(changed, self.ctx)
        return Comparison(tuple(changes), self.before_summary, self.baseline, Summary.of(report)), report, changed


def what_if(ev: Evidence, before: Report, changes: Sequence[Change]) -> Comparison:
    """Before → after for ``changes`` applied together to ``ev`` (``ev`` is not modified)."""
    return Judge(ev, before).run(changes)[0]


def finding_key(f: Finding) -> tuple[str, str, str]:
    """How a finding appears in a summary."""
    return (f.cause, str(f.severity), f.title)
