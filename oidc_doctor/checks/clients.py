"""OIDC clients against the API server: issuer, audience (for the token each client sends), scopes.

Every client that logs users in and sends their token to kube-apiserver — oauth2-proxy (alone or
in Kubeapps), Headlamp's own login, kubelogin in a kubeconfig — is one
:class:`~oidc_doctor.clients.OidcClient`; the judgements here run once over all of them:

- the API server skips a token whose ``iss`` is not byte for byte a configured issuer
  (``oidc.go`` ``hasCorrectIssuer``: a bare ``invalid bearer token``, a 401);
- it refuses an ``aud`` with no accepted audience (``oidc: expected audience "kubernetes" got
  ["headlamp"]``, kubernetes-sigs/headlamp#670). An id_token's ``aud`` is the client id (plus what
  an audience mapper adds); an access token's is chosen by the identity provider, so for a client
  that sends the access token only the token itself can say;
- a groups claim the scopes do not ask for is silently absent (a 403, never a 401), and so is an
  ``email``/``profile`` username claim (a 401).

Fixes are written where the user sets the option (:func:`oidc_doctor.clients.how_to_set`).
"""

from __future__ import annotations

import re

from oidc_doctor.causes import Severity
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.checks.idp import auth_evidence, idp_groups_scope
from oidc_doctor.checks.proxy import find_headlamps, proxy_state
from oidc_doctor.clients import OidcClient, Option, Setting, TokenKind
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import AuthenticatorSummary, CheckResult, EvidenceRef, Finding, Origin
from oidc_doctor.proxy import helm
from oidc_doctor.proxy.adapters import from_headlamp, from_proxy
from oidc_doctor.proxy.headlamp import HeadlampConfig
from oidc_doctor.proxy.kubelogin import kubelogin_clients
from oidc_doctor.text import clean, human_duration

_PROFILE_CLAIMS = frozenset(
    {"preferred_username", "name", "given_name", "family_name", "nickname", "middle_name", "profile", "picture"}
)


def headlamps(ev: Evidence, ctx: Context | None = None) -> list[HeadlampConfig]:
    """Every Headlamp container with OIDC settings in the workloads of the evidence: the proxy
    deriver's when it ran (found once per run, with its Helm records), else found now."""
    if ctx is not None and ctx.facts.proxy is not None:
        return ctx.facts.proxy.headlamps
    return find_headlamps(ev, helm.latest_records([(i.data, i.ref) for i in ev.of(Kind.HELM_RELEASE)])[0])


def find_clients(ev: Evidence, ctx: Context) -> list[OidcClient]:
    """Every OIDC client in the evidence: oauth2-proxies (from the proxy facts), Headlamps, kubelogin users."""
    return [
        *(from_proxy(cfg) for cfg in proxy_state(ctx).configs),
        *(from_headlamp(cfg) for cfg in headlamps(ev, ctx)),
        *(c for item in ev.of(Kind.KUBECONFIG) for c in kubelogin_clients(item.data, item.ref)),
    ]


def _prepare(ev: Evidence, ctx: Context) -> tuple[list[OidcClient], list[AuthenticatorSummary]] | CheckResult:
    clients = find_clients(ev, ctx)
    if not clients:
        blind = proxy_state(ctx).blind
        if blind:
            return CheckResult.unknown(f"could not list proxies: {blind}")
        return CheckResult.skipped("no OIDC client (oauth2-proxy, Headlamp's own login, kubelogin) in the evidence")
    auths = ctx.facts.authenticators
    if auths is None:
        return CheckResult.unknown("the API server's OIDC settings are not in the evidence: nothing to compare with")
    if not auths:
        return CheckResult.skipped("the API server has no JWT authenticator")
    return clients, list(auths)


def _ev(client: OidcClient, s: Setting) -> EvidenceRef:
    return EvidenceRef(client.source, clean(s.ref), clean(s.describe()))


def _relevant(auths: list[AuthenticatorSummary], client: OidcClient) -> list[AuthenticatorSummary]:
    """The authenticators for the client's issuer; all of them when none matches (or it is unknown)."""
    issuer = client.get(Option.ISSUER)
    if issuer.known and issuer.value:
        same = [a for a in auths if a.issuer == issuer.value]
        if same:
            return same
    return auths


def _aud(claims: dict[str, object] | None) -> list[str]:
    aud = (claims or {}).get("aud")
    if isinstance(aud, str):
        return [aud]
    return [str(a) for a in aud] if isinstance(aud, list) else []


def _shown(values: list[str]) -> str:
    return ", ".join(f"`{v}`" for v in values) or "none"


# --- audience -------------------------------------------------------------------------------------


def check_audience(ev: Evidence, ctx: Context) -> CheckResult:
    """The token each client sends carries an audience the API server accepts."""
    prepared = _prepare(ev, ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    clients, auths = prepared
    token_aud = _aud(ctx.facts.token_claims)
    findings: list[Finding] = []
    unknown: list[str] = []
    for client in clients:
        cid, tok = client.get(Option.CLIENT_ID), client.get(Option.TOKEN)
        relevant = _relevant(auths, client)
        accepted = sorted({a for au in relevant for a in au.audiences})
        if client.token is None:
            unknown.append(f"{client.ref}: {tok.spelled} not visible ({tok.ref})")
            continue
        if client.token is TokenKind.ACCESS_TOKEN:
            # The access token's audience is chosen by the identity provider (Keycloak: `account`
            # unless an audience mapper adds one), not by the client id: only the token can say.
            if not token_aud:
                shown = str(cid.value) if cid.known and cid.value else "(not visible)"
                unknown.append(
                    f"{client.ref} sends the access token ({tok.spelled}): its audience is set by the identity "
                    f"provider, not by client id `{shown}`; give the token to judge it"
                )
            elif not set(token_aud) & set(accepted):
                findings.append(_aud_finding(client, tok, accepted, relevant, token_aud, ctx))
            continue
        if not cid.known:
            unknown.append(f"{client.ref}: client id not visible ({cid.ref})")
            continue
        if not cid.value:
            unknown.append(f"{client.ref}: no client id set ({cid.describe()})")
            continue
        if str(cid.value) in accepted or set(token_aud) & set(accepted):
            continue  # an audience mapper may put an accepted audience into the client's tokens
        if not token_aud:
            from oidc_doctor.checks.idp import idp_audiences

            added, _where = idp_audiences(ctx, str(cid.value))
            if set(added) & set(accepted):
                continue  # the provider's audience mapper adds an accepted audience to this client's id_token
        findings.append(_aud_finding(client, cid, accepted, relevant, token_aud, ctx))
    return CheckResult.outcome(findings, unknown, "every client's token carries an audience the API server accepts")


def _aud_finding(
    client: OidcClient,
    s: Setting,
    accepted: list[str],
    relevant: list[AuthenticatorSummary],
    token_aud: list[str],
    ctx: Context,
) -> Finding:
    shown = _shown(accepted)
    if client.token is TokenKind.ACCESS_TOKEN:
        title = (
            f"{client.ref} sends the access token ({s.spelled}), whose aud is {token_aud}; the API server accepts "
            f"audience {shown}"
        )
        fix = (
            f"add an audience mapper at the identity provider so {client.label}'s access token carries "
            f"`{accepted[0]}`, or send the id_token: {client.how_to_set(Option.TOKEN, False)}"
            if accepted
            else "accept the access token's audience on the API server"
        )
    else:
        cid = str(s.value)
        title = (
            f'{client.ref} logs in with client `{cid}`, so its id_token has aud ["{cid}"]; the API server accepts '
            f"audience {shown}"
        )
        fix = (
            f"use the API server's client in {client.label}: {client.how_to_set(Option.CLIENT_ID, accepted[0])} "
            f"(with that client's secret, if it has one); or add an audience mapper at the identity provider so "
            f"the id_token's aud includes `{accepted[0]}`"
            if accepted
            else "share one OAuth client"
        )
        fix += f"; or accept `{cid}` on the API server (AuthenticationConfiguration `jwt[].issuer.audiences`)"
    evidence = [_ev(client, s), *(auth_evidence(a, f"audiences {list(a.audiences)}") for a in relevant)]
    if token_aud:
        evidence.append(EvidenceRef("token", clean(ctx.facts.token_ref or "token"), f"aud {token_aud}"))
    return Finding(
        "audience-mismatch",
        clean(title),
        evidence,
        clean(fix),
        origin=Origin.CONFIG,
    )


# --- issuer -----------------------------------------------------------------------------------------


def nearest_issuer(value: str, issuers: list[str]) -> tuple[str, str]:
    """The issuer ``value`` nearly equals and why (slash, Keycloak ``/auth``, scheme), or ("", "")."""
    for i in issuers:
        if value.rstrip("/") == i.rstrip("/"):
            return i, "they differ only by a trailing slash"
        if value.replace("/auth/realms/", "/realms/") == i.replace("/auth/realms/", "/realms/"):
            return i, "they differ by Keycloak's old `/auth` path prefix"
        if value.replace("http://", "https://") == i.replace("http://", "https://"):
            return i, "they differ by http vs https"
    return "", ""


def check_issuer(ev: Evidence, ctx: Context) -> CheckResult:
    """Each client's issuer is exactly (byte for byte) an issuer the API server trusts."""
    prepared = _prepare(ev, ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    clients, auths = prepared
    issuers = [a.issuer for a in auths]
    findings: list[Finding] = []
    unknown: list[str] = []
    looked = 0
    for client in clients:
        iss = client.get(Option.ISSUER)
        if not iss.known:
            unknown.append(f"{client.ref}: issuer not visible ({iss.ref})")
            continue
        if not iss.value:
            if not client.builtin_issuer:
                unknown.append(f"{client.ref}: no issuer set ({iss.describe()})")
            continue  # an oauth2-proxy provider with a built-in issuer (google, github, ...)
        looked += 1
        value = str(iss.value)
        if value in issuers:
            continue
        near, why = nearest_issuer(value, issuers)
        findings.append(
            Finding(
                "issuer-mismatch",
                clean(
                    f"{client.ref} uses issuer `{value}`; the API server trusts {_shown(issuers)}"
                    + (f" ({why})" if why else "")
                    + ": it skips the client's tokens (a bare `invalid bearer token`, 401)"
                ),
                [_ev(client, iss), *(auth_evidence(a, a.issuer) for a in auths)],
                clean(
                    f"make the strings identical (the API server compares them byte for byte with the token's "
                    f"`iss`): {client.how_to_set(Option.ISSUER, near or issuers[0])}, if that is what the identity "
                    "provider puts in `iss`; otherwise change the API server's issuer"
                ),
                origin=Origin.CONFIG,
            )
        )
    if findings or unknown or looked:
        return CheckResult.outcome(findings, unknown, "every client uses an issuer the API server trusts")
    return CheckResult.skipped("no client sets an issuer (oauth2-proxy providers with a built-in issuer)")


# --- scopes ------------------------------------------------------------------------------------------


def check_scopes(ev: Evidence, ctx: Context) -> CheckResult:
    """Each client requests the scopes that put the API server's groups and username claims in tokens."""
    prepared = _prepare(ev, ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    clients, auths = prepared
    claims = ctx.facts.token_claims
    seen = claims is not None
    findings: list[Finding] = []
    unknown: list[str] = []
    for client in clients:
        sc = client.get(Option.SCOPES)
        if client.scopes is None:
            why = sc.ref if not sc.known else "the provider, whose default scope applies, is not visible"
            unknown.append(f"{client.ref}: scopes not visible ({why})")
            continue
        scopes = set(client.scopes)
        asked = f"{client.ref} requests scopes `{client.shown_scopes()}`"
        for a in _relevant(auths, client):
            gc = a.groups_claim
            # The identity provider's own settings may say which scope brings the claim (Keycloak: a
            # client mapper or default client scope always does; an optional client scope only when asked).
            cid = client.get(Option.CLIENT_ID)
            told = idp_groups_scope(ctx, str(cid.value), gc) if gc and cid.known and cid.value else None
            if told is not None and told[0]:
                continue  # the provider adds the claim whatever the scopes
            scope = told[1] if told is not None else "groups"
            missing_groups = gc and a.groups_expression is None and scope not in scopes
            if missing_groups and not client.groups_without_scope and not (seen and gc in (claims or {})):
                unless = (
                    f": the identity provider adds it only for scope `{scope}`, so users get no groups "
                    "(a 403, never a 401)"
                    if told is not None
                    else ": unless the identity provider adds it by default, users get no groups (a 403, never a 401)"
                )
                findings.append(
                    Finding(
                        "groups-claim-missing",
                        clean(
                            f"{asked} without `{scope}`; the API server reads groups from claim `{gc}`"
                            + (", and the token has none" if seen else unless)
                        ),
                        [_ev(client, sc), auth_evidence(a, f"groups claim `{gc}`")],
                        clean(f"request `{scope}`: {client.how_to_request(scope)}"),
                        severity=Severity.ERROR if seen or told is not None else Severity.WARNING,
                        origin=Origin.CONFIG,
                    )
                )
            uc = a.username_claim
            need = "email" if uc == "email" else "profile" if uc in _PROFILE_CLAIMS else None
            if uc and need and need not in scopes and not (seen and uc in (claims or {})):
                findings.append(
                    Finding(
                        "username-claim-missing",
                        clean(
                            f"{asked} without `{need}`; the API server takes the username from claim `{uc}`"
                            + (", and the token has none" if seen else "")
                        ),
                        [_ev(client, sc), auth_evidence(a, f"username claim `{uc}`")],
                        clean(f"request `{need}`: {client.how_to_request(need)}"),
                        severity=Severity.ERROR if seen else Severity.WARNING,
                        origin=Origin.CONFIG,
                    )
                )
    return CheckResult.outcome(findings, unknown, "every client requests the scopes for the username and groups claims")


#: Headlamp releases whose own OIDC session refresh users reported broken: the session ends when the
#: id_token expires ("Lost connection to the cluster", back to the login dialog). Reported ranges,
#: inclusive, each with its thread: kubernetes-sigs/headlamp#3143 (0.28.0 refreshes; 0.28.1, 0.29.0
#: and 0.30.0 do not) and #3918 (0.35.0, labelled regression).
HEADLAMP_REFRESH_BROKEN: tuple[tuple[tuple[int, int, int], tuple[int, int, int], str], ...] = (
    ((0, 28, 1), (0, 30, 0), "kubernetes-sigs/headlamp#3143"),
    ((0, 35, 0), (0, 35, 0), "kubernetes-sigs/headlamp#3918"),
)
_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def image_version(image: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of an image's tag (``…/headlamp:v0.30.0``), or None (a digest, no tag)."""
    m = _SEMVER.search(image.rsplit(":", 1)[-1]) if ":" in image else None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def check_headlamp_refresh(ev: Evidence, ctx: Context) -> CheckResult:
    """Headlamp's own OIDC login refreshes its session in a release where that works.

    Headlamp keeps the session itself (no oauth2-proxy): oauth2-proxy's ``--cookie-refresh`` does not
    apply, and a release whose refresh is broken logs users out when the id_token expires.
    """
    configs = headlamps(ev, ctx)
    if not configs:
        return CheckResult.skipped("no Headlamp container with OIDC settings in the evidence")
    findings: list[Finding] = []
    unknown: list[str] = []
    lifetime = ctx.facts.token_lifetime_s
    for cfg in configs:
        v = image_version(cfg.image)
        if v is None:
            unknown.append(f"{cfg.ref}: Headlamp version not visible in image {clean(cfg.image)!r}")
            continue
        broken = next((thread for lo, hi, thread in HEADLAMP_REFRESH_BROKEN if lo <= v <= hi), None)
        if broken is None:
            continue
        when = f" (every {human_duration(lifetime)}, the token's lifetime)" if lifetime else ""
        findings.append(
            Finding(
                "proxy-refresh-unsupported",
                f"{cfg.ref} runs Headlamp {'.'.join(map(str, v))}, whose own OIDC session refresh is reported "
                f"broken ({broken}): users lose the cluster and return to the login dialog when the id_token "
                f"expires{when}",
                [EvidenceRef("dashboard", clean(f"{cfg.ref} image"), clean(cfg.image))],
                fix="upgrade Headlamp to a release outside the reported ranges (or 0.28.0); an auth proxy's "
                "refresh setting does not apply to Headlamp's own login; a longer id_token lifetime in the "
                "identity provider only delays the logout",
                origin=Origin.CONFIG,
            )
        )
    return CheckResult.outcome(findings, unknown, "no Headlamp release with a reported broken session refresh")


CHECKS: list[Check] = [
    Check(
        "client.audience",
        ("audience-mismatch",),
        check_audience,
        "the token each OIDC client sends (its client id, or the access token) has an audience the API server accepts",
    ),
    Check(
        "client.issuer",
        ("issuer-mismatch",),
        check_issuer,
        "each OIDC client (oauth2-proxy, Headlamp, kubelogin) uses the API server's issuer byte for byte",
    ),
    Check(
        "client.headlamp-refresh",
        ("proxy-refresh-unsupported",),
        check_headlamp_refresh,
        "Headlamp's own OIDC login runs a release whose session refresh works",
    ),
    Check(
        "client.scopes",
        ("groups-claim-missing", "username-claim-missing"),
        check_scopes,
        "each OIDC client requests the scopes for the claims the API server reads",
    ),
]
