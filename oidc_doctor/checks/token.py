"""Token checks: each token of the evidence judged on its own (see :mod:`oidc_doctor.token.inspect`).

:func:`derive_tokens` decodes and judges every ``Kind.TOKEN`` item once, with the JWKS and
discovery documents the evidence holds (no network: a bundle is judged offline; without a JWKS the
signature is ``unknown``), and shares the first decodable token's claims, header, size and
lifetime in ``ctx.facts`` for other areas. Each check then reports its aspect over all tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import CheckResult, Status
from oidc_doctor.token import inspect as ti

#: ``Evidence.blind`` key under which a source says why it has no JWKS (e.g. issuer unreachable).
BLIND_JWKS = "jwks"


def _merged_jwks(ev: Evidence) -> tuple[dict[str, Any] | None, str]:
    """All keys of all JWKS items as one key set (a bundle may hold several issuers' keys)."""
    items = [i for i in ev.of(Kind.JWKS) if isinstance(i.data, dict) and isinstance(i.data.get("keys"), list)]
    if not items:
        return None, ""
    keys = [k for i in items for k in i.data["keys"]]
    return {"keys": keys}, ", ".join(i.ref for i in items)


def _discovery_for(ev: Evidence, iss: object, issuer: str | None) -> tuple[dict[str, Any] | None, str]:
    """The discovery document for this token: the one naming its issuer, else the first."""
    docs = [i for i in ev.of(Kind.DISCOVERY) if isinstance(i.data, dict)]
    if not docs:
        return None, ""
    wanted = {x for x in (issuer, ti.effective_issuer(iss) if isinstance(iss, str) else None) if x}
    for d in docs:
        if d.data.get("issuer") in wanted:
            return d.data, d.ref
    return docs[0].data, docs[0].ref


def primary_report(reports: list[ti.TokenReport]) -> ti.TokenReport | None:
    """The token the other areas judge when there are several: one named on the command line
    (it comes first), else the first decodable one without access-token signs — the API server
    validates id_tokens, and a bundle often holds both (``access_token.txt`` sorts first) — else
    the first decodable one."""
    decodable = [r for r in reports if r.claims is not None]
    for r in decodable:
        kind = r.aspects.get("token.type")
        if r.ref.startswith("--") or kind is None or kind.status != Status.FAIL:
            return r
    return decodable[0] if decodable else None


def derive_tokens(ev: Evidence, ctx: Context) -> dict[str, Any]:
    """A :class:`~oidc_doctor.token.inspect.TokenReport` per token, and the one other areas judge
    (``tokens`` and ``primary`` of the facts).

    A ``Kind.TOKEN`` item's data is the token as ``oidc_doctor.token.source.extract_token`` or
    ``normalise`` returned it (normalising twice would hide a doubled ``Bearer``).
    """
    jwks, jwks_ref = _merged_jwks(ev)
    reports: list[ti.TokenReport] = []
    for item in ev.of(Kind.TOKEN):
        if not isinstance(item.data, str):
            continue
        decoded = ti.decode_token(item.data, item.ref)
        iss = decoded.claims.get("iss") if decoded.claims else None
        discovery, discovery_ref = _discovery_for(ev, iss, ctx.options.issuer)
        unavailable = None
        if jwks is None:
            unavailable = ev.blind.get(BLIND_JWKS) or "no JWKS among the inputs (add the issuer's JWKS to the bundle)"
        keys_in = ti.KeyInputs(jwks, jwks_ref, discovery, discovery_ref, unavailable)
        reports.append(ti.inspect_token(item.data, item.ref, ctx.now, ctx.options, keys_in, ctx.now_source))
    first = primary_report(reports)
    if first is None:
        return {"tokens": tuple(reports)}
    return {
        "tokens": tuple(reports),
        "primary": first,
        "token_claims": first.claims,
        "token_header": first.header,
        "token_ref": first.label,
        "token_lifetime_s": first.lifetime_s,
        "token_size": first.size,
    }


def aggregate(check_id: str, ctx: Context) -> CheckResult:
    """One check's result over every token: any fail, else any unknown, else pass."""
    reports = list(ctx.facts.tokens)
    if not reports:
        return CheckResult.skipped("no token among the inputs")
    results = [r.aspects[check_id] for r in reports]
    status = ti.worst(results)
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
