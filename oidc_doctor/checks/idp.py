"""The identity provider's settings against the API server's and the bindings, before any token.

With a token in hand the token is the truth (the token and authn checks judge it); these checks
speak only when no token's claims are known, and predict what the provider's tokens will carry:

- ``idp.issuer``: Dex's ``issuer`` (the ``iss`` of every token, byte for byte) or the Keycloak realm
  that holds the API server's client must be the issuer an API server authenticator accepts;
- ``idp.groups``: the Keycloak groups mapper of the client that logs in puts its claim where the API
  server reads groups, into the id_token, and in the form the bindings name (``/dev`` with
  "Full group path" on, ``dev`` without).

:func:`idp_lifetime` and :func:`idp_audiences` hand the provider's id_token lifetime and extra
audiences to the proxy and client checks.
"""

from __future__ import annotations

from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.idp.settings import DEX, GroupsMapper, IdpClient, IdpSettings, keycloak_realm_of, parse
from oidc_doctor.model import AuthenticatorSummary, CheckResult, EvidenceRef, Finding, Origin
from oidc_doctor.text import clean

_NO_IDP = "no identity provider settings (Dex config, Keycloak realm or client export) in the evidence"


def derive_idp(ev: Evidence) -> tuple[IdpSettings, ...]:
    """Every provider config of the evidence, parsed once (secrets are never kept)."""
    out: list[IdpSettings] = []
    for item in ev.of(Kind.IDP_CONFIG):
        if isinstance(item.data, dict):
            s = parse(item.data, item.ref)
            if s is not None:
                out.append(s)
    return tuple(out)


def _ev(ref: str, text: str) -> EvidenceRef:
    return EvidenceRef("idp-config", clean(ref), clean(text))


def auth_evidence(a: AuthenticatorSummary, text: str) -> EvidenceRef:
    """Evidence that authenticator ``a`` (its settings' place) says ``text``."""
    return EvidenceRef("apiserver-config", clean(a.ref), clean(text))


def _clients_for(
    s: IdpSettings, auths: tuple[AuthenticatorSummary, ...]
) -> list[tuple[IdpClient, AuthenticatorSummary]]:
    """The provider's clients whose id is an audience an authenticator accepts, with that authenticator."""
    return [(c, a) for a in auths for c in s.clients if c.client_id in a.audiences]


def idp_lifetime(ctx: Context, client_ids: list[str]) -> tuple[float | None, EvidenceRef | None]:
    """The id_token lifetime the provider settings give tokens of one of ``client_ids`` (else the realm's)."""
    for s in ctx.facts.idp:
        for cid in client_ids:
            c = s.client(cid)
            if c is not None and c.id_token_lifetime_s is not None:
                return c.id_token_lifetime_s, _ev(c.lifetime_ref, f"id_token lifetime {c.id_token_lifetime_s:g} s")
        if s.id_token_lifetime_s is not None:
            return s.id_token_lifetime_s, _ev(s.lifetime_ref, f"id_token lifetime {s.id_token_lifetime_s:g} s")
    return None, None


def idp_audiences(ctx: Context, client_id: str) -> tuple[tuple[str, ...], str]:
    """Audiences the provider adds to ``client_id``'s id_token (Keycloak audience mappers), and where."""
    for s in ctx.facts.idp:
        c = s.client(client_id)
        if c is not None and c.id_token_audiences:
            return c.id_token_audiences, c.ref
    return (), ""


def idp_groups_scope(ctx: Context, client_id: str, claim: str) -> tuple[bool, str] | None:
    """How the Keycloak export says ``client_id``'s id_token gets claim ``claim``: ``(True, where)``
    always (a client mapper or a default client scope), ``(False, SCOPE)`` only when scope ``SCOPE`` is
    requested (an optional client scope); None when the provider settings do not say."""
    for s in ctx.facts.idp:
        c = s.client(client_id)
        if c is None:
            continue
        mappers = [m for m in c.groups if m.claim == claim and m.in_id_token]
        sure = [m for m in mappers if not m.optional]
        if sure:
            return True, sure[0].ref
        if mappers:
            return False, mappers[0].via
    return None


def _authenticators(ctx: Context, instead: str) -> tuple[AuthenticatorSummary, ...] | CheckResult:
    """The API server's authenticators, or why an identity provider check does not look: no provider
    settings, a token in hand (the token is the truth), or no API server settings."""
    if not ctx.facts.idp:
        return CheckResult.skipped(_NO_IDP)
    if ctx.facts.token_claims is not None:
        return CheckResult.skipped(f"a token is in hand: {instead}")
    if ctx.facts.authenticators is None:
        return CheckResult.unknown("the API server's settings are not in the evidence")
    return ctx.facts.authenticators


def check_issuer(ev: Evidence, ctx: Context) -> CheckResult:
    """The provider's issuer is one an API server authenticator accepts."""
    auths = _authenticators(ctx, "its iss is judged instead of the provider's settings")
    if isinstance(auths, CheckResult):
        return auths
    if not auths:
        return CheckResult.skipped("the API server has no JWT authenticator (oidc-not-configured says so)")
    findings: list[Finding] = []
    unknown: list[str] = []
    for s in ctx.facts.idp:
        if s.product == DEX:
            if any(a.issuer == s.issuer for a in auths):
                continue
            a = auths[0]
            findings.append(
                Finding(
                    "issuer-mismatch",
                    f"Dex signs every token with iss {s.issuer!r} ({s.ref}); the API server accepts issuer "
                    f"{a.issuer!r}: it will reject them",
                    [_ev(f"{s.ref} issuer", s.issuer), *(auth_evidence(x, f"issuer {x.issuer}") for x in auths)],
                    fix=f"set the API server's issuer URL to exactly `{s.issuer}` (--oidc-issuer-url or "
                    "jwt[].issuer.url), or Dex's `issuer` to the API server's: the two strings must be equal, "
                    "trailing slash included",
                    origin=Origin.PREDICTED,
                )
            )
            continue
        matched = _clients_for(s, auths)
        if not matched:
            unknown.append(f"{s.ref}: realm {s.realm!r} holds none of the API server's client ids")
            continue
        for c, a in matched:
            realm = keycloak_realm_of(a.issuer)
            if realm is None or realm == s.realm:
                continue
            findings.append(
                Finding(
                    "issuer-mismatch",
                    f"the API server's client {c.client_id!r} lives in Keycloak realm {s.realm!r} ({s.ref}), but the "
                    f"API server accepts issuer {a.issuer!r} (realm {realm!r}): tokens from realm {s.realm!r} are "
                    "rejected",
                    [_ev(c.ref, f"realm {s.realm}"), auth_evidence(a, f"issuer {a.issuer}")],
                    fix=f"point the API server at realm {s.realm!r} (issuer `.../realms/{s.realm}`), or log in "
                    f"through realm {realm!r}",
                    origin=Origin.PREDICTED,
                )
            )
    return CheckResult.outcome(findings, unknown, "the provider's issuer is the one the API server accepts")


def check_groups(ev: Evidence, ctx: Context) -> CheckResult:
    """The Keycloak groups mapper feeds the API server's groups claim, in the form the bindings name."""
    auths = _authenticators(ctx, "its groups claim is judged instead")
    if isinstance(auths, CheckResult):
        return auths
    findings: list[Finding] = []
    unknown: list[str] = []
    looked = False
    for s in ctx.facts.idp:
        if s.product == DEX:
            continue  # Dex's groups come from its connectors: nothing in its config fixes their form
        for c, a in _clients_for(s, auths):
            if not a.groups_claim:
                continue
            looked = True
            mappers = [m for m in c.groups if m.claim == a.groups_claim]
            sure = [m for m in mappers if not m.optional]
            if not mappers:
                others = ", ".join(sorted({m.claim for m in c.groups})) or "none"
                findings.append(
                    Finding(
                        "groups-claim-missing",
                        f"Keycloak client {c.client_id!r} has no groups mapper writing claim {a.groups_claim!r} "
                        f"(its group mappers write: {others}); the API server reads groups from "
                        f"{a.groups_claim!r}, so users get no groups",
                        [
                            _ev(c.ref, f"group mapper claims: {others}"),
                            auth_evidence(a, f"groups claim {a.groups_claim}"),
                        ],
                        fix=f"add a 'Group Membership' mapper to client {c.client_id!r} (or to a default client "
                        f"scope) with Token Claim Name `{a.groups_claim}` and 'Add to ID token' on",
                        origin=Origin.PREDICTED,
                    )
                )
                continue
            if not any(m.in_id_token for m in mappers):
                m = mappers[0]
                findings.append(
                    Finding(
                        "groups-claim-missing",
                        f"Keycloak's groups mapper for client {c.client_id!r} ({m.ref}) does not add claim "
                        f"{m.claim!r} to the ID token (id.token.claim is not true); the API server reads the "
                        "id_token, so users get no groups",
                        [_ev(m.ref, "id.token.claim: false"), auth_evidence(a, f"groups claim {a.groups_claim}")],
                        fix=f"turn on 'Add to ID token' in mapper {m.ref.rsplit(' ', 1)[-1]!r}",
                        origin=Origin.PREDICTED,
                    )
                )
                continue
            if not sure:
                unknown.append(
                    f"{c.ref}: claim {a.groups_claim!r} comes from an optional client scope "
                    f"({mappers[0].via}): only logins that request scope {mappers[0].via!r} get it"
                )
            findings.extend(_group_form(ctx, c, a, [m for m in mappers if m.in_id_token]))
    if not looked and not findings:
        return CheckResult.skipped("no Keycloak client of the API server with a groups claim to compare")
    return CheckResult.outcome(
        findings, unknown, "the provider's groups reach the API server as the bindings name them"
    )


def _group_form(ctx: Context, c: IdpClient, a: AuthenticatorSummary, ms: list[GroupsMapper]) -> list[Finding]:
    """Full paths (``/dev``) against bindings naming bare names (``dev``), or the reverse."""
    rbac = ctx.facts.rbac
    if not ms or rbac is None or rbac.index is None:
        return []
    prefix = a.groups_prefix
    named = [g[len(prefix) :] for g in rbac.index.subject_names("Group") if g.startswith(prefix)]
    named = [g for g in named if g and not g.startswith("system:")]
    if not named:
        return []
    full = all(m.full_path for m in ms)
    bare = not any(m.full_path for m in ms)
    slashed = [g for g in named if g.startswith("/")]
    plain = [g for g in named if not g.startswith("/")]
    m = ms[0]
    if full and plain and not slashed:
        example = plain[0]
        return [
            Finding(
                "group-name-mismatch",
                f"Keycloak sends full group paths for client {c.client_id!r} ('Full group path' on in {m.ref}): "
                f"a member of {example!r} arrives as {prefix}/{example}, but the bindings name "
                f"{', '.join(repr(prefix + g) for g in plain[:3])}",
                [_ev(m.ref, "full.path: true"), EvidenceRef("rbac", "Group subjects", clean(", ".join(plain[:5])))],
                fix=f"turn 'Full group path' off in mapper {m.ref.rsplit(' ', 1)[-1]!r}, or bind the paths "
                f"(Group `{prefix}/{example}`)",
                origin=Origin.PREDICTED,
            )
        ]
    if bare and slashed and not plain:
        example = slashed[0]
        return [
            Finding(
                "group-name-mismatch",
                f"Keycloak sends bare group names for client {c.client_id!r} ('Full group path' off in {m.ref}), "
                f"but the bindings name paths such as {prefix + example!r}",
                [_ev(m.ref, "full.path: false"), EvidenceRef("rbac", "Group subjects", clean(", ".join(slashed[:5])))],
                fix=f"turn 'Full group path' on in mapper {m.ref.rsplit(' ', 1)[-1]!r}, or bind the bare names "
                f"(Group `{prefix}{example.rsplit('/', 1)[-1]}`)",
                origin=Origin.PREDICTED,
            )
        ]
    return []


CHECKS: list[Check] = [
    Check(
        "idp.issuer",
        ("issuer-mismatch",),
        check_issuer,
        "the identity provider's issuer (Dex `issuer`, the Keycloak realm of the API server's client) is accepted",
    ),
    Check(
        "idp.groups",
        ("groups-claim-missing", "group-name-mismatch"),
        check_groups,
        "the Keycloak groups mapper writes the API server's groups claim, into the id_token, as the bindings name it",
    ),
]
