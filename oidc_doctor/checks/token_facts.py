"""The token area's deriver: each token of the evidence decoded and judged once, and the one the
other areas judge.

:func:`derive_tokens` decodes and judges every ``Kind.TOKEN`` item once, with the JWKS and
discovery documents the evidence holds (no network: a bundle is judged offline; without a JWKS the
signature is ``unknown``), and shares the first decodable token's claims, header, size and
lifetime in ``ctx.facts`` for other areas. The checks that write findings from these reports are in
:mod:`oidc_doctor.checks.token`; the deriver lives apart so that ``predict``, which needs the facts
but no findings, does not load them (nor the cause catalogue they use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import Status
from oidc_doctor.token import inspect as ti

if TYPE_CHECKING:
    # For the type checker only: creating a TypedDict compiles each annotation (a ForwardRef under
    # postponed annotations), about 1 ms of the token command's start-up budget.
    from typing import TypedDict

    from oidc_doctor.checks.base import Context

    class TokenArea(TypedDict, total=False):
        """The token area's facts (fields of :class:`oidc_doctor.facts.Facts`): every token's report,
        and the one other areas judge with its parts."""

        tokens: tuple[ti.TokenReport, ...]
        primary: ti.TokenReport
        token_claims: dict[str, object] | None
        token_header: dict[str, object] | None
        token_ref: str
        token_lifetime_s: float | None
        token_size: int


#: ``Evidence.blind`` key under which a source says why it has no JWKS (e.g. issuer unreachable).
BLIND_JWKS = "jwks"


def _merged_jwks(ev: Evidence) -> tuple[dict[str, object] | None, str]:
    """All keys of all JWKS items as one key set (a bundle may hold several issuers' keys)."""
    items = [i for i in ev.of(Kind.JWKS) if isinstance(i.data, dict) and isinstance(i.data.get("keys"), list)]
    if not items:
        return None, ""
    keys = [k for i in items for k in i.data["keys"]]
    return {"keys": keys}, ", ".join(i.ref for i in items)


def _discovery_for(ev: Evidence, iss: object, issuer: str | None) -> tuple[dict[str, object] | None, str]:
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


def derive_tokens(ev: Evidence, ctx: Context) -> TokenArea:
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
