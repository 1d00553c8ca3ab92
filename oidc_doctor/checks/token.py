"""Token checks: each token of the evidence judged on its own (see :mod:`oidc_doctor.token.inspect`).

The token area's deriver (:mod:`oidc_doctor.checks.token_facts`) decodes and judges every token
once. Each check here then reports its aspect over all tokens: the engine's verdicts name the
problems, and this module writes the findings they stand for.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from oidc_doctor.causes import Severity
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.dates import datetime
from oidc_doctor.evidence import Evidence
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, Origin, Status
from oidc_doctor.text import clean, iso, relative
from oidc_doctor.token import inspect as ti


def aggregate(check_id: str, ctx: Context) -> CheckResult:
    """One check's result over every token: any fail, else any unknown, else pass."""
    reports = list(ctx.facts.tokens)
    if not reports:
        return CheckResult.skipped("no token among the inputs")
    results = [result_of(r, check_id) for r in reports]
    status = ti.worst([r.aspects[check_id] for r in reports])
    findings = [f for r in results for f in r.findings]
    if len(reports) == 1:
        reason = results[0].reason
    else:
        reason = "; ".join(
            f"{rep.label}: {res.reason}" for rep, res in zip(reports, results, strict=True) if res.status == status
        )
    if status == Status.FAIL:
        return CheckResult.failed(findings, reason)
    return CheckResult(status, reason, findings)


def _check(check_id: str, causes: tuple[str, ...], summary: str) -> Check:
    run: Callable[[Evidence, Context], CheckResult] = lambda ev, ctx: aggregate(check_id, ctx)  # noqa: E731
    return Check(check_id, causes, run, summary)


CHECKS: list[Check] = [
    _check(ti.DECODE, ("token-malformed",), "the token is a signed JWT the API server can parse"),
    _check(ti.EXPIRY, ("token-expired", "token-not-yet-valid"), "exp, nbf (60 s leeway) and iat against now"),
    _check(
        ti.SIGNATURE,
        ("signature-invalid", "signing-alg-not-allowed"),
        "the signature verifies with the issuer's keys and an accepted algorithm",
    ),
    _check(ti.ISSUER, ("issuer-mismatch", "discovery-issuer-mismatch"), "iss equals --issuer / discovery issuer"),
    _check(ti.AUDIENCE, ("audience-mismatch",), "aud contains --client-id"),
    _check(ti.EMAIL, ("email-not-verified",), "email_verified is not false"),
    Check(
        ti.TYPE,
        ("wrong-token-type",),
        lambda ev, ctx: _judge_type(ctx),
        "the token is an id_token, not an access token",
    ),
]


def _judge_type(ctx: Context) -> CheckResult:
    """The access-token signs are a guess; the API server's (predicted) acceptance outranks them."""
    result = aggregate(ti.TYPE, ctx)
    if result.status == Status.FAIL and len(ctx.facts.tokens) == 1 and ctx.facts.aks is not None:
        # (imported only with AKS inputs: the token command's start-up stays free of it)
        from oidc_doctor.checks.aks import entra_token

        if entra_token(ctx):
            # AKS-managed Entra ID validates access tokens: the type is judged by aks.entra-token.
            return CheckResult.passed(
                f"{result.reason}; AKS-managed Entra ID validates access tokens (aks.entra-token)"
            )
    pred = ctx.facts.prediction
    accepted = pred is not None and pred.authenticated
    if result.status == Status.FAIL and len(ctx.facts.tokens) == 1 and accepted:
        return CheckResult.passed(
            f"{result.reason}; but the API server accepts this token (predicted), so it validates this token type"
        )
    return result


# --- findings: what each problem a token verdict names means, in the words the user reads ---------


def _ev(report: ti.TokenReport, what: str, text: str) -> EvidenceRef:
    return EvidenceRef("token", f"{report.label} {what}".strip(), clean(text, 300))


def _when(now: datetime, now_source: str) -> str:
    return f"{iso(now)} (from the {now_source})"


#: The fix for a malformed token, by what it is instead ("" leaves the catalogue's).
_MALFORMED_FIX = {
    "": "",
    "bearer": (
        "send the header as `Authorization: Bearer <token>` with one `Bearer ` (check the proxy's header settings)"
    ),
    "json": "take the `id_token` field out of the JSON and send that",
    "opaque": (
        "send the id_token (a JWT); an opaque access token cannot be validated by the API server "
        "(for oauth2-proxy: --pass-authorization-header, not the access token)"
    ),
    "encrypted": (
        "turn off id_token encryption for the client the cluster uses "
        "(id_token_encrypted_response_alg), so the identity provider sends a signed JWT"
    ),
}


def _time_finding(report: ti.TokenReport, p: ti.TimeOff) -> Finding:
    """A finding about one time claim, with the claim and the clock as evidence."""
    claim, now, at = p.claim, p.now, p.at
    evidence = [
        _ev(report, claim.name, f"{claim.value} = {iso(at)}"),
        EvidenceRef("clock", "now", _when(now, p.now_source)),
    ]
    if claim.name == "exp":
        title = f"The token expired at {iso(at)} ({relative(at, now)}); the API server allows no leeway on exp"
        return Finding("token-expired", title, evidence=evidence)
    if claim.name == "nbf":
        title = (
            f"The token is not valid before {iso(at)} ({relative(at, now)}), beyond the API "
            "server's 60 s leeway: a clock is wrong"
        )
        return Finding("token-not-yet-valid", title, evidence=evidence)
    title = (
        f"The token was issued in the future ({iso(at)}, {relative(at, now)}): clock skew "
        "between the identity provider and here (the API server itself ignores iat)"
    )
    return Finding("token-not-yet-valid", title, evidence=evidence, severity=Severity.WARNING)


def _alg_finding(report: ti.TokenReport, p: ti.AlgRejected) -> Finding:
    q = ti.quoted
    if p.why == "unreadable":
        alg_text = f"alg {q(p.alg)}" if p.alg else "no alg"
        return Finding(
            "signing-alg-not-allowed",
            f"The token is signed with {alg_text}; the API server accepts only RS, ES and PS algorithms",
            evidence=[_ev(report, "header alg", p.detail)],
            fix="make the identity provider sign id_tokens with RS256 (or another asymmetric algorithm "
            "the cluster allows)",
        )
    alg = p.alg or ""
    if p.why == "not-asymmetric":
        return Finding(
            "signing-alg-not-allowed",
            f"The token is signed with {q(alg)}; the API server accepts only RS256/384/512, "
            "ES256/384/512 and PS256/384/512",
            evidence=[_ev(report, "header alg", alg)],
            fix="make the identity provider sign id_tokens with RS256 (or ES256/PS256 and allow it)",
        )
    algs, algs_source = p.accepted, p.accepted_from
    fix = (
        f"allow it (`--oidc-signing-algs={','.join((*algs, alg))}`) or make the identity provider sign with {algs[0]}"
        if algs_source == "--signing-algs"
        else ""
    )
    return Finding(
        "signing-alg-not-allowed",
        f"The token is signed with {q(alg)}; the accepted algorithms are {', '.join(algs)} (from {algs_source})",
        evidence=[_ev(report, "header alg", alg), EvidenceRef("settings", algs_source, ", ".join(algs))],
        fix=fix,
    )


def finding_for(report: ti.TokenReport, p: ti.Problem) -> Finding:
    """The finding one problem of a token's verdict stands for."""
    q = ti.quoted
    match p:
        case ti.Malformed():
            return Finding(
                "token-malformed",
                f"The token is malformed: {clean(p.problems[0], 200)}",
                evidence=[_ev(report, "structure", x) for x in p.problems],
                fix=_MALFORMED_FIX[p.form],
                origin=Origin.PREDICTED,
            )
        case ti.NoExpiry():
            return Finding(
                "token-expired",
                "The token has no 'exp': the API server reads the zero time (0001-01-01) and rejects it as expired",
                evidence=[_ev(report, "exp", "absent"), EvidenceRef("clock", "now", _when(p.now, p.now_source))],
                fix="have the identity provider issue tokens with an expiry (an OIDC id_token carries exp)",
            )
        case ti.TimeOff():
            return _time_finding(report, p)
        case ti.AlgRejected():
            return _alg_finding(report, p)
        case ti.SignatureMismatch():
            return Finding(
                "signature-invalid",
                f"The signature does not verify: {clean(p.reason, 200)}",
                evidence=[
                    _ev(report, "header", f"alg {p.alg}, kid {p.kid!r}"),
                    EvidenceRef("jwks", p.jwks_ref, ", ".join(clean(k or "(no kid)", 60) for k in p.key_ids)),
                ],
                fix=(
                    "the key that signed the token is gone from the JWKS (key rotation) or the token "
                    "comes from another identity provider with the same iss: log in again for a freshly "
                    "signed token and check that the JWKS is the issuer's"
                ),
            )
        case ti.IssuerMismatch():
            hint = ti.near_miss(ti.effective_issuer(p.iss), p.expected)
            if p.expected_from == "--issuer":
                return Finding(
                    "issuer-mismatch",
                    f"The token's iss {q(p.iss)} is not the issuer {q(p.expected)}"
                    f"{hint}: the API server silently skips the token",
                    evidence=[
                        _ev(report, "iss", p.iss),
                        EvidenceRef("settings", "--issuer", clean(p.expected)),
                    ],
                )
            return Finding(
                "issuer-mismatch",
                f"The token's iss {q(p.iss)} is not the discovery document's issuer {q(p.expected)}{hint}",
                evidence=[
                    _ev(report, "iss", p.iss),
                    EvidenceRef("discovery", p.discovery_ref, clean(p.expected)),
                ],
            )
        case ti.DiscoveryIssuerMismatch():
            return Finding(
                "discovery-issuer-mismatch",
                f"The discovery document says issuer {q(p.discovery_issuer)}, not {q(p.issuer)}"
                f"{ti.near_miss(p.discovery_issuer, p.issuer)}: the API server never initialises this "
                "authenticator",
                evidence=[
                    EvidenceRef("discovery", p.discovery_ref, clean(p.discovery_issuer)),
                    EvidenceRef("settings", "--issuer", clean(p.issuer)),
                ],
                origin=Origin.CONFIG,
            )
        case ti.AudienceMismatch():
            auds = ti.go_list(p.audiences)
            return Finding(
                "audience-mismatch",
                f"The API server expects audience {q(p.client_id)}; the token carries {auds}",
                evidence=[
                    _ev(report, "aud", auds),
                    EvidenceRef("settings", "--client-id", clean(p.client_id)),
                ],
            )
        case ti.EmailNotVerified():
            v = p.value
            if v is False or v is None:
                what = "false" if v is False else "null"
                message = "oidc: email not verified"
            else:
                what = f"{q(v)}, not a JSON boolean"
                message = "oidc: parse 'email_verified' claim: json: cannot unmarshal ... into Go value of type bool"
            return Finding(
                "email-not-verified",
                f"email_verified is {what}: an API server whose username claim is `email` rejects the token "
                f"({message})",
                evidence=[_ev(report, "email_verified", json.dumps(v))],
                severity=Severity.WARNING,
            )
        case ti.AccessTokenSigns():
            return Finding(
                "wrong-token-type",
                f"This looks like an access token, not an id_token: {p.signs[0]}",
                evidence=[_ev(report, "claims", s) for s in p.signs],
                fix="send the id_token (oauth2-proxy: --pass-authorization-header; Kubeapps: leave "
                "proxypassAccessTokenAsBearer off unless the cluster validates access tokens)",
            )


def result_of(report: ti.TokenReport, check_id: str) -> CheckResult:
    """One token's result for one check: its verdict, with a finding for every problem.

    The findings are the tool's prediction of the API server's judgement, except the discovery
    document's own issuer, which is a configuration reading.
    """
    verdict = report.aspects[check_id]
    findings = [finding_for(report, p) for p in verdict.problems]
    for f in findings:
        f.check = check_id
    if verdict.status != Status.FAIL:
        return CheckResult(verdict.status, verdict.reason, findings)
    return CheckResult.failed(findings, verdict.reason or "; ".join(f.title for f in findings))


def findings_of(report: ti.TokenReport) -> list[Finding]:
    """Every finding about one token, aspect by aspect (the token command and its tests read them)."""
    return [f for check_id in report.aspects for f in result_of(report, check_id).findings]
