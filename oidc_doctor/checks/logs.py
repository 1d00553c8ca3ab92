"""Checks on logs: what the API server, oauth2-proxy and the ingress said about the logins.

The deriver :func:`derive_logs` reads every log file of the evidence once (streaming, whole),
classifies the authentication lines by cause and returns :class:`LogFacts`: two summaries per log
kind (the whole files, and the lines within :data:`NEAR` of ``ctx.now``) and the failures near
``ctx.now`` (a 401 from the API server, a "logged out" from the proxy), which steer the ranking.

The checks turn each cause into a finding of origin OBSERVED: the server's own word outranks a
prediction when it carries a reason near ``ctx.now``. Lines far from that moment, and a bare
``invalid bearer token`` the other evidence cannot read (:func:`_bare_reading`), are marked
``bare``: they come after the prediction that explains them.
"""

from __future__ import annotations

from typing import TypedDict

from oidc_doctor.checks.authn import predicted_outcome
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.checks.controlplane import no_authenticator_counted
from oidc_doctor.dates import timedelta
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.logs.classify import INGRESS, PROXY
from oidc_doctor.logs.describe import fix, title
from oidc_doctor.logs.summary import CauseStats, Example, Summary
from oidc_doctor.model import CheckResult, EvidenceRef, FailureSource, Finding, ObservedFailure, Origin
from oidc_doctor.record import FrozenRecord
from oidc_doctor.text import shift

#: Lines within this time of ``ctx.now`` are "near": they weigh most.
NEAR = timedelta(minutes=5)

_LOG_KINDS = (Kind.APISERVER_LOG, Kind.PROXY_LOG, Kind.INGRESS_LOG)


class Unclassified(TypedDict):
    """A log line no rule recognised, shown as-is: where (``ref``), how often, and the line."""

    ref: str
    count: int
    line: str


class LogFacts(FrozenRecord):
    """What the logs say, per log kind (immutable record; the summaries are read-only by contract).

    ``summary``: the whole files; ``near``: lines within :data:`NEAR` of ``ctx.now``; ``errors``:
    files that could not be read; ``unclassified``: lines shown as-is; ``failures``: the failures
    seen near ``ctx.now`` (a 401 from the API server, a "logged out" from the proxy).
    """

    _fields = ("summary", "near", "errors", "unclassified", "failures")
    __slots__ = _fields
    summary: dict[str, Summary]
    near: dict[str, Summary]
    errors: dict[str, list[str]]
    unclassified: tuple[Unclassified, ...]
    failures: tuple[ObservedFailure, ...]

    def __init__(
        self,
        summary: dict[str, Summary],
        near: dict[str, Summary],
        errors: dict[str, list[str]],
        unclassified: tuple[Unclassified, ...] = (),
        failures: tuple[ObservedFailure, ...] = (),
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "summary", summary)
        setattr_(self, "near", near)
        setattr_(self, "errors", errors)
        setattr_(self, "unclassified", tuple(unclassified))
        setattr_(self, "failures", tuple(failures))

    def __hash__(self) -> int:  # holds dicts: identity is enough
        return id(self)


def derive_logs(ev: Evidence, ctx: Context) -> LogFacts | None:
    """Scan every log file into per-kind summaries and the failures near ``ctx.now``."""
    from oidc_doctor.logs.exports import LogExport, scan_export
    from oidc_doctor.logs.scan import number_lines, scan_file

    items = [i for i in ev.of(*_LOG_KINDS) if i.path is not None or isinstance(i.data, LogExport)]
    if not items:
        return None
    whole: dict[str, Summary] = {}
    near: dict[str, Summary] = {}
    errors: dict[str, list[str]] = {}
    for item in items:
        kind = str(item.kind)
        w = Summary()
        n = Summary(start=shift(ctx.now, -NEAR), end=shift(ctx.now, NEAR))
        if isinstance(item.data, LogExport):
            # A cloud's export: entries timed by the export, named by their index (no line numbers).
            count = scan_export(item.data, item.ref, [w, n])
            read = f"{item.data.name}, {count} entries"
            w.files.append({"file": item.ref, "bytes": None, "gzip": False, "read": read})
            whole.setdefault(kind, Summary()).merge(w)
            near.setdefault(kind, Summary(start=n.start, end=n.end)).merge(n)
            continue
        assert item.path is not None
        try:
            # Each cause's latest line is shown, from anywhere in the file: number during the scan.
            info = scan_file(item.path, [w, n], label=item.ref, kind=kind, ref=ctx.now, number=True)
            number_lines(item.path, [*w.examples(latest=True), *n.examples()])
        except InputError as e:
            errors.setdefault(kind, []).append(str(e))
            continue
        w.files.append(info)
        whole.setdefault(kind, Summary()).merge(w)
        near.setdefault(kind, Summary(start=n.start, end=n.end)).merge(n)
    for s in [*whole.values(), *near.values()]:
        s.finish()
    unclassified = [
        Unclassified(ref=st.example.ref, count=st.count, line=st.example.text)
        for s in whole.values()
        for st in s.unknown.values()
        if st.example is not None
    ]
    failures = []
    for kind, s in near.items():
        for st in [*s.by_cause.values(), *s.unknown.values()]:
            ex = st.latest or st.example
            if st.failure is None or ex is None:
                continue
            status = 401 if st.failure == "unauthorized" else None
            failures.append(
                ObservedFailure(kind=st.failure, ref=ex.ref, text=ex.text, status=status, source=FailureSource(kind))
            )
    return LogFacts(whole, near, errors, tuple(unclassified), tuple(failures))


def _evidence(ex: Example | None, what: str = "") -> list[EvidenceRef]:
    if ex is None:
        return []
    return [EvidenceRef("log", ex.ref + (f" ({what})" if what else ""), ex.text)]


#: Why a bare ``invalid bearer token`` may carry no reason although a JWT authenticator took the token.
_REASON_DROPPED = (
    "the reason was not logged (kube-apiserver 1.34 logs only `invalid bearer token`, kubernetes issue "
    "136887; some loggers, e.g. vcluster's, drop it too)"
)


def _bare_reading(ctx: Context) -> tuple[str, str, bool]:
    """What a bare ``invalid bearer token`` line means with the other evidence: (cause, words, bare).

    The line alone cannot tell an issuer mismatch from OIDC not configured or a dropped reason. The
    settings and the token can: no authenticator → not configured; an ``iss`` no authenticator has →
    issuer mismatch; an ``iss`` one has → the reason was dropped, and the prediction names it. ``bare``
    stays True when the reading is the prediction's, not the line's.
    """
    auths = ctx.facts.authenticators
    unsure = "issuer mismatch or OIDC not configured"
    iss = (ctx.facts.token_claims or {}).get("iss")
    if not isinstance(iss, str) and (auths is None or auths) and no_authenticator_counted(ctx):
        # The API server's own counts settle the guess: no JWT authenticator took any token.
        issuers = ", ".join(repr(a.issuer) for a in auths) if auths else "the configured issuers (settings not in hand)"
        return (
            "tokens-reach-no-authenticator",
            "no JWT authenticator of the API server counted a single token (its metrics), so the rejected "
            f"tokens' iss is none of {issuers}",
            False,
        )
    if auths is None:
        return "issuer-mismatch", unsure, True
    if not auths:
        where = ctx.facts.authenticators_ref or "seen"
        return "oidc-not-configured", f"the API server settings ({where}) hold no OIDC authenticator", False
    issuers = ", ".join(repr(a.issuer) for a in auths)
    if not isinstance(iss, str):
        return "issuer-mismatch", f"{unsure}; the API server's issuer is {issuers}", True
    if iss not in [a.issuer for a in auths]:
        return "issuer-mismatch", f"the token's iss {iss!r} is not the configured issuer {issuers}", False
    outcome = predicted_outcome(ctx)
    if outcome == "accepted":
        return (
            "apiserver-endpoint-mismatch",
            f"the token's iss {iss!r} is configured and the settings in hand accept the token: {_REASON_DROPPED}, "
            "or the failing request carried another token or reached an API server with other settings",
            True,
        )
    if outcome is not None:
        words = f"the token's iss {iss!r} is configured: {_REASON_DROPPED}; the prediction says `{outcome}`"
        return outcome, words, True
    return "issuer-mismatch", f"the token's iss {iss!r} is configured: {_REASON_DROPPED}", True


def _dropped_by_logger(st: CauseStats) -> bool:
    """The bare lines come from a logger that drops the reason (zap's ``errorCauses``, kube-oidc-proxy's
    ``AuFail``)."""
    return any(d.get("bare") and d.get("logger") for d in st.details)


def _logger(st: CauseStats) -> str:
    return next((d["logger"] for d in st.details if d.get("logger")), "")


#: A logger that keeps the reason: a bare line is then the API server's own word (an issuer mismatch...).
_PLAIN = ("the API server", "a bare `invalid bearer token`", "")
#: What each reason-dropping logger writes, for titles: (who logged, what, why no reason).
_DROPPING = {
    "zap": (
        "the API server",
        "a bare `invalid bearer token`",
        "its logger keeps only the error's top text (`errorCauses` holds no more)",
    ),
    "kube-oidc-proxy": (
        "kube-oidc-proxy",
        "`AuFail`",
        "kube-oidc-proxy logs every failed authentication as `AuFail` without its reason "
        "(jetstack/kube-oidc-proxy pkg/proxy/logging/accesslog.go)",
    ),
}


def _reason_not_logged(st: CauseStats, near: CauseStats | None, ctx: Context, reading: str) -> Finding | None:
    """A ``reason-not-logged`` finding for bare lines whose reason must have been dropped: their logger
    drops reasons, or the token's ``iss`` is configured (a JWT authenticator took it, so it failed for a
    reason the line does not carry). It stands after the prediction (``bare``)."""
    auths = ctx.facts.authenticators or ()
    iss = (ctx.facts.token_claims or {}).get("iss")
    configured = isinstance(iss, str) and iss in [a.issuer for a in auths]
    dropping = _dropped_by_logger(st)
    if not (dropping or configured):
        return None
    shown = near.example if near is not None and near.example is not None else (st.latest or st.example)
    who, what, why = _DROPPING.get(_logger(st), _PLAIN)
    if not dropping:
        why = f"a JWT authenticator takes the token's iss {iss!r}, so it failed for a reason the line does not carry"
    lead = f"; read it from the prediction: `{reading}`" if reading and reading != "reason-not-logged" else ""
    return Finding(
        cause="reason-not-logged",
        title=f"{who} logged {what} ({st.count} line(s)): {why}{lead}",
        evidence=_evidence(shown),
        origin=Origin.OBSERVED,
        bare=True,
    )


def _finding(code: str, st: CauseStats, near: CauseStats | None, ctx: Context) -> Finding:
    shown = near.example if near is not None and near.example is not None else (st.latest or st.example)
    evidence = _evidence(shown)
    if st.explained_by is not None and st.explained_by is not shown:
        evidence += _evidence(st.explained_by, "start-up line behind `authenticator not initialized`")
    bare = code == "issuer-mismatch" and any(d.get("bare") for d in st.details)
    text = title(near if near is not None else st)
    weak = near is None and not (st.kind in (PROXY, INGRESS) and st.failure is None)  # far from the moment judged
    if bare:
        code, words, weak_reading = _bare_reading(ctx)
        who, what, _why = _DROPPING.get(_logger(st), _PLAIN)
        if weak_reading and code == "issuer-mismatch" and _dropped_by_logger(st):
            # A guess from a line whose logger drops every reason: no guess at all.
            code = "reason-not-logged"
            words = "its logger drops the reason, and the settings and token in hand do not name it"
        text = f"{who} logged {what}: " + words
        weak = weak or weak_reading
    return Finding(
        cause=code, title=text, evidence=evidence, fix="" if bare else fix(st), origin=Origin.OBSERVED, bare=weak
    )


def _check(ev: Evidence, ctx: Context, log_kind: Kind, what: str) -> CheckResult:
    if not ev.of(log_kind):
        return CheckResult.skipped(f"no {what} among the inputs")
    logs = ctx.facts.logs
    whole = logs.summary.get(str(log_kind)) if logs else None
    near_all = logs.near.get(str(log_kind)) if logs else None
    errors: list[str] = logs.errors.get(str(log_kind), []) if logs else []
    if whole is None:
        reason = "; ".join(errors) if errors else f"the {what} was not read"
        return CheckResult.unknown(reason)
    findings = []
    for code, st in whole.by_cause.items():
        near = near_all.by_cause.get(code) if near_all is not None else None
        found = _finding(code, st, near, ctx)
        findings.append(found)
        if code == "issuer-mismatch" and any(d.get("bare") for d in st.details) and found.cause != "reason-not-logged":
            dropped = _reason_not_logged(st, near, ctx, found.cause)
            findings += [dropped] if dropped is not None else []
    unknown = [st for st in whole.unknown.values() if st.example is not None]
    notes = []
    if unknown:
        shown = "; ".join(f"{st.count} x {st.example.ref}: {st.example.text}" for st in unknown[:5] if st.example)
        more = f" (and {len(unknown) - 5} more kinds)" if len(unknown) > 5 else ""
        notes.append(
            f"{sum(st.count for st in unknown)} authentication lines not recognised, shown as-is: {shown}{more}"
        )
    if errors:
        notes.append("could not read: " + "; ".join(errors))
    reason = " ".join(notes)
    if findings:
        return CheckResult.failed(findings, reason)
    if unknown or errors:
        return CheckResult.unknown(reason)
    read = ", ".join(str(f.get("file")) for f in whole.files)
    return CheckResult.passed(f"no authentication failure in {read}")


def check_apiserver(ev: Evidence, ctx: Context) -> CheckResult:
    """What the API server logged about rejected tokens and its OIDC start-up."""
    return _check(ev, ctx, Kind.APISERVER_LOG, "API server log")


def check_proxy(ev: Evidence, ctx: Context) -> CheckResult:
    """What oauth2-proxy logged: callback failures, session refresh, cookie settings."""
    return _check(ev, ctx, Kind.PROXY_LOG, "oauth2-proxy log")


def check_ingress(ev: Evidence, ctx: Context) -> CheckResult:
    """What the ingress logged about oversized headers."""
    return _check(ev, ctx, Kind.INGRESS_LOG, "ingress log")


#: Every cause the classifier can name; each check reports whatever its files reveal (a proxy
#: line inside a file taken for an API server log is not dropped).
LOG_CAUSES = (
    "token-expired",
    "token-not-yet-valid",
    "audience-mismatch",
    "signing-alg-not-allowed",
    "signature-invalid",
    "token-malformed",
    "username-claim-missing",
    "email-not-verified",
    "groups-claim-missing",
    "groups-claim-invalid",
    "groups-distributed-claims",
    "required-claim-mismatch",
    "claim-mapping-error",
    "issuer-unreachable",
    "issuer-ca-untrusted",
    "discovery-issuer-mismatch",
    "oidc-config-invalid",
    "issuer-mismatch",
    "proxy-cookie-refresh-missing",
    "proxy-refresh-unsupported",
    "proxy-config-invalid",
    "proxy-header-too-large",
    "reason-not-logged",
    "wrong-token-type",
    "tokens-reach-no-authenticator",
    "apiserver-manifest-not-applied",
    "apiserver-endpoint-mismatch",
    "oidc-not-configured",
    "aks-entra-group-overage",
    "aks-entra-audience-mismatch",
    "aks-entra-wrong-token-type",
)

CHECKS: list[Check] = [
    Check(
        "logs.apiserver",
        LOG_CAUSES,
        check_apiserver,
        "the API server's own words: why it rejected tokens, and why OIDC did not start",
    ),
    Check("logs.proxy", LOG_CAUSES, check_proxy, "oauth2-proxy's callback, session and refresh errors"),
    Check("logs.ingress", LOG_CAUSES, check_ingress, "oversized headers or cookies at the ingress"),
]


class KindLogs(TypedDict):
    """One log kind in a report's extra section: the ``oidc-doctor logs`` JSON of the whole files and
    of the lines near ``ctx.now`` (None when none is near)."""

    whole: dict[str, object]
    near_now: dict[str, object] | None


def report_extra(ctx: Context) -> dict[str, KindLogs] | None:
    """The logs part a report may add under an extra key: per log kind, the ``oidc-doctor logs``
    JSON of the whole files and of the lines near ``ctx.now``; None when no log was read."""
    logs = ctx.facts.logs
    if logs is None or not logs.summary:
        return None
    whole, near = logs.summary, logs.near
    return {
        kind: KindLogs(whole=s.to_json(), near_now=near[kind].to_json() if kind in near else None)
        for kind, s in whole.items()
    }
