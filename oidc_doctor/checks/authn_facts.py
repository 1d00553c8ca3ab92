"""The API server area's deriver: its settings, their validation and the predicted verdict per token.

``derive_authn`` reads every API server settings source in the evidence (or the settings a command
was given), validates them as kube-apiserver does, and runs each id_token through the emulated JWT
authenticator (:mod:`oidc_doctor.authn`). Keys come from ``ctx.options.keys`` (``predict``: its
``--jwks`` or the issuer), else only from a JWKS in the evidence, offline: without one the
signature is reported as not checked, never as verified.

The deriver lives apart from the checks (:mod:`oidc_doctor.checks.authn`) so that ``predict``, which
needs the facts but writes no findings, does not load the judgement layer (the cause catalogue, the
finding builders): about 2 ms of a one-shot command's start-up (``benchmarks/bench_authn.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oidc_doctor.authn.settings import SettingsView, discovery_for, discovery_init_error, read_settings
from oidc_doctor.authn.validation import ConfigVerdict, validate_settings
from oidc_doctor.authn.verify import BundleKeys, KeyLookup, KeySet, NoKeySet, Prediction, predict
from oidc_doctor.checks.token_facts import BLIND_JWKS
from oidc_doctor.dates import datetime
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.jose import is_claims_only, parse_compact, parse_jwks
from oidc_doctor.model import AuthenticatorSummary, Status
from oidc_doctor.record import dataclass, field, replace

if TYPE_CHECKING:  # for the type checker only: a TypedDict compiles its annotations when created
    from typing import TypedDict

    from oidc_doctor.authn.model import JWTAuthenticator
    from oidc_doctor.checks.base import Context
    from oidc_doctor.token.inspect import TokenReport


@dataclass(frozen=True)
class AuthnFacts:
    """What ``derive_authn`` found, for the checks (``ctx.facts.authn``)."""

    view: SettingsView
    now: datetime  # ctx.now: checks never read the wall clock
    verdict: ConfigVerdict | None = None
    token_item: Item | None = None
    claims: dict[str, object] | None = None
    prediction: Prediction | None = None
    #: issuer url -> (discovery item, discovered issuer) for documents that belong to it.
    discovery: dict[str, tuple[Item, str]] = field(default_factory=dict)
    keys_ref: str = ""
    #: Why no key could check the signature (no JWKS, or the JWKS withheld by a simulated claims change).
    keys_unavailable: str = "no JWKS among the inputs"
    now_source: str = "clock"
    #: refs of the API server logs among the inputs (a 401 they hold is the server's own word).
    apiserver_logs: tuple[str, ...] = ()
    #: every other id_token of the inputs, each with its own prediction (item, claims, prediction).
    others: tuple[tuple[Item, dict[str, object] | None, Prediction], ...] = ()


def summarize(a: JWTAuthenticator) -> AuthenticatorSummary:
    """The summary other areas use: effective prefixes (legacy default already applied)."""
    m = a.claim_mappings
    return AuthenticatorSummary(
        issuer=a.issuer.url,
        audiences=tuple(a.issuer.audiences),
        username_claim=m.username.claim or None if not m.username.expression else None,
        username_prefix=m.username.prefix or "",
        groups_claim=m.groups.claim or None,
        groups_prefix=m.groups.prefix or "",
        ref=a.ref,  # the settings object; each consumer says which field its evidence shows
        username_expression=m.username.expression or None,
        groups_expression=m.groups.expression or None,
    )


if TYPE_CHECKING:

    class AuthnArea(TypedDict, total=False):
        """The API server area's facts (fields of :class:`oidc_doctor.facts.Facts`)."""

        authn: AuthnFacts
        authenticators: tuple[AuthenticatorSummary, ...] | None
        authenticators_ref: str


def derive_authn(ev: Evidence, ctx: Context) -> AuthnArea:
    """The API server area's facts: ``authn`` (settings, validation, predictions) and the summary
    ``authenticators`` other areas compare against (None when the settings cannot be seen)."""
    view = ctx.options.apiserver if ctx.options.apiserver is not None else read_settings(ev)
    auth = view.auth
    logs = tuple(i.ref for i in ev.of(Kind.APISERVER_LOG))
    seen = AuthnFacts(view=view, now=ctx.now, now_source=ctx.now_source, apiserver_logs=logs)
    if auth is None or (view.blind and not auth.authenticators):
        return {"authn": seen, "authenticators": None, "authenticators_ref": auth.ref if auth else ""}
    summary: AuthnArea = {
        "authenticators": tuple(summarize(a) for a in auth.authenticators),
        "authenticators_ref": auth.ref,
    }
    discovery = discovery_for(ev, auth)
    verdict = validate_settings(auth)  # once: every token below is predicted with it
    seen = replace(seen, verdict=verdict, discovery=discovery)
    tokens = [i for i in ev.of(Kind.TOKEN) if isinstance(i.data, str)]
    if not tokens:
        return {"authn": seen, **summary}
    # The token area picked the one to judge (command line first, an id_token before an access token).
    primary = ctx.facts.primary.ref if ctx.facts.primary is not None else None
    token = next((i for i in tokens if i.ref == primary), tokens[0])
    jwks_items = ev.of(Kind.JWKS)
    lookup = ctx.options.keys
    if lookup is None:  # offline: a JWKS of the evidence, judged as the API server judges its fetched keys
        keys: KeySet = (
            BundleKeys([k for item in jwks_items for k in parse_jwks(item.data)]) if jwks_items else NoKeySet()
        )

        def keys_for(a: JWTAuthenticator) -> tuple[KeySet | None, str | None]:
            why = discovery_init_error(discovery, a)
            return (None, why) if why else (keys, None)

        lookup = KeyLookup(keys_for)

    # Every other token that looks like an id_token gets its own verdict (access tokens beside an
    # id_token are not what the API server receives; the token checks judge them on their own).
    access = {r.ref for r in ctx.facts.tokens if _looks_like_access_token(r)}

    def predicted(data: str) -> Prediction:
        return predict(data, auth, ctx.now, lookup.keys_for, lookup.resolver_for, verdict)

    parsed = parse_compact(token.data)
    facts = replace(
        seen,
        token_item=token,
        claims=parsed.payload,
        prediction=predicted(token.data),
        keys_ref=", ".join(i.ref for i in jwks_items),
        keys_unavailable=(
            "the claims were pasted without their token"
            if is_claims_only(parsed.header)
            else ev.blind.get(BLIND_JWKS) or seen.keys_unavailable
        ),
        others=tuple(
            (i, parse_compact(i.data).payload, predicted(i.data))
            for i in tokens
            if i is not token and i.ref not in access
        ),
    )
    return {"authn": facts, **summary}


def _looks_like_access_token(report: TokenReport) -> bool:
    """The token checks found signs of an access token (the API server receives id_tokens)."""
    aspect = report.aspects.get("token.type")
    return aspect is not None and aspect.status == Status.FAIL
