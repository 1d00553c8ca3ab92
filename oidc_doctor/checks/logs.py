"""Checks on logs: what the API server, oauth2-proxy and the ingress said about the logins.

The deriver :func:`derive_logs` reads every log file of the evidence once (streaming, whole),
classifies the authentication lines by cause and stores two summaries per log kind in
``ctx.facts.extra``: ``logs.summary`` (the whole files) and ``logs.near`` (lines within
:data:`NEAR` of ``ctx.now``). Failures near ``ctx.now`` become ``ctx.facts.failures`` (a 401 from
the API server, a "logged out" from the proxy), which steers the ranking of every finding.

The checks turn each cause into a finding of origin OBSERVED: the server's own word outranks a
prediction. Causes seen near ``ctx.now`` get a lower rank than old ones, and a bare ``invalid
bearer token`` (issuer mismatch or no OIDC at all: the line cannot tell) comes after specific
causes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oidc_doctor.checks.base import Check, Context
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.logs.classify import INGRESS, PROXY
from oidc_doctor.logs.describe import fix, title
from oidc_doctor.logs.summary import CauseStats, Example, Summary
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, ObservedFailure, Origin
from oidc_doctor.text import shift

#: Lines within this time of ``ctx.now`` are "near": they weigh most.
NEAR = timedelta(minutes=5)
SUMMARY = "logs.summary"  # dict[kind, Summary]: the whole files
NEAR_SUMMARY = "logs.near"  # dict[kind, Summary]: lines near ctx.now
ERRORS = "logs.errors"  # dict[kind, list[str]]: files that could not be read
UNCLASSIFIED = "logs.unclassified"  # list of {"ref", "count", "line"}: shown as-is

_LOG_KINDS = (Kind.APISERVER_LOG, Kind.PROXY_LOG, Kind.INGRESS_LOG)
_RANK_NEAR, _RANK_OLD, _RANK_CONFIG = 10, 40, 30
_BARE_PENALTY = 8  # a bare "invalid bearer token" after the specific causes
#: A proxy that does not refresh sessions is why the API server later sees expired tokens.
_EXPLAINS = {
    "proxy-cookie-refresh-missing": ("token-expired",),
    "proxy-refresh-unsupported": ("token-expired",),
}


def derive_logs(ev: Evidence, ctx: Context) -> None:
    """Scan every log file into per-kind summaries and record the failures near ``ctx.now``."""
    from oidc_doctor.logs.scan import number_lines, scan_file

    items = [i for i in ev.of(*_LOG_KINDS) if i.path is not None]
    if not items:
        return
    whole: dict[str, Summary] = {}
    near: dict[str, Summary] = {}
    errors: dict[str, list[str]] = {}
    for item in items:
        assert item.path is not None
        kind = str(item.kind)
        w = Summary()
        n = Summary(start=shift(ctx.now, -NEAR), end=shift(ctx.now, NEAR))
        try:
            info = scan_file(item.path, [w, n], label=item.ref, kind=kind, ref=ctx.now)
            number_lines(item.path, [*w.examples(latest=True), *n.examples()])
        except InputError as e:
            errors.setdefault(kind, []).append(str(e))
            continue
        w.files.append(info)
        whole.setdefault(kind, Summary()).merge(w)
        near.setdefault(kind, Summary(start=n.start, end=n.end)).merge(n)
    for s in [*whole.values(), *near.values()]:
        s.finish()
    ctx.facts.extra[SUMMARY] = whole
    ctx.facts.extra[NEAR_SUMMARY] = near
    ctx.facts.extra[ERRORS] = errors
    ctx.facts.extra[UNCLASSIFIED] = [
        {"ref": st.example.ref, "count": st.count, "line": st.example.text}
        for s in whole.values()
        for st in s.unknown.values()
        if st.example is not None
    ]
    for s in near.values():
        for st in [*s.by_cause.values(), *s.unknown.values()]:
            ex = st.latest or st.example
            if st.failure is None or ex is None:
                continue
            status = 401 if st.failure == "unauthorized" else None
            ctx.facts.failures.append(ObservedFailure(kind=st.failure, ref=ex.ref, text=ex.text, status=status))


def _evidence(ex: Example | None, what: str = "") -> list[EvidenceRef]:
    if ex is None:
        return []
    return [EvidenceRef("log", ex.ref + (f" ({what})" if what else ""), ex.text)]


def _bare_context(ctx: Context) -> str:
    """What the other evidence adds to a bare ``invalid bearer token``, naming both sides."""
    auths = ctx.facts.authenticators
    if auths is None:
        return ""
    if not auths:
        return f"; the API server settings ({ctx.facts.authenticators_ref or 'seen'}) hold no OIDC authenticator"
    issuers = ", ".join(repr(a.issuer) for a in auths)
    iss = (ctx.facts.token_claims or {}).get("iss")
    if isinstance(iss, str):
        if iss not in [a.issuer for a in auths]:
            return f"; the token's iss {iss!r} is not the configured issuer {issuers}"
        return f"; the token's iss {iss!r} is configured, so the token itself was not usable as a JWT"
    return f"; the API server's issuer is {issuers}"


def _finding(code: str, st: CauseStats, near: CauseStats | None, ctx: Context) -> Finding:
    shown = near.example if near is not None and near.example is not None else (st.latest or st.example)
    evidence = _evidence(shown)
    if st.explained_by is not None and st.explained_by is not shown:
        evidence += _evidence(st.explained_by, "start-up line behind `authenticator not initialized`")
    bare = code == "issuer-mismatch" and any(d.get("bare") for d in st.details)
    if st.kind in (PROXY, INGRESS) and st.failure is None:
        rank = _RANK_CONFIG
    else:
        rank = _RANK_NEAR if near is not None else _RANK_OLD
    if bare:
        rank += _BARE_PENALTY
    text = title(near if near is not None else st)
    if bare:
        text += _bare_context(ctx)
    return Finding(
        cause=code,
        title=text,
        evidence=evidence,
        fix=fix(st),
        origin=Origin.OBSERVED,
        rank=rank,
        explains=_EXPLAINS.get(code, ()),
    )


def _check(ev: Evidence, ctx: Context, log_kind: Kind, what: str) -> CheckResult:
    if not ev.of(log_kind):
        return CheckResult.skipped(f"no {what} among the inputs")
    whole: Summary | None = ctx.facts.extra.get(SUMMARY, {}).get(str(log_kind))
    near_all: Summary | None = ctx.facts.extra.get(NEAR_SUMMARY, {}).get(str(log_kind))
    errors: list[str] = ctx.facts.extra.get(ERRORS, {}).get(str(log_kind), [])
    if whole is None:
        reason = "; ".join(errors) if errors else f"the {what} was not read"
        return CheckResult.unknown(reason)
    findings = []
    for code, st in whole.by_cause.items():
        near = near_all.by_cause.get(code) if near_all is not None else None
        findings.append(_finding(code, st, near, ctx))
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


def report_extra(ctx: Context) -> dict[str, Any] | None:
    """The logs part a report may add under an extra key: per log kind, the ``oidc-doctor logs``
    JSON of the whole files and of the lines near ``ctx.now``; None when no log was read."""
    whole: dict[str, Summary] = ctx.facts.extra.get(SUMMARY, {})
    if not whole:
        return None
    near: dict[str, Summary] = ctx.facts.extra.get(NEAR_SUMMARY, {})
    return {
        kind: {"whole": s.to_json(), "near_now": near[kind].to_json() if kind in near else None}
        for kind, s in whole.items()
    }
