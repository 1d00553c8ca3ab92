"""Dashboard checks: Headlamp's own OIDC login against the API server's authenticators.

Headlamp sends the user's id_token to the API server, so its ``-oidc-client-id`` must be an
audience the API server accepts (kubernetes-sigs/headlamp#670: ``oidc: expected audience
"kubernetes" got ["headlamp"]``), its ``-oidc-idp-issuer-url`` must be the API server's issuer
byte for byte, and its ``-oidc-scopes`` must ask for the groups claim the API server maps. The
settings are read by ``oidc_doctor.proxy.headlamp``; fixes are given as Helm values when the chart
labels say Helm manages the Deployment.
"""

from __future__ import annotations

from typing import Any

from oidc_doctor.causes import Severity
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.checks.proxy import near_issuer
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import AuthenticatorSummary, CheckResult, EvidenceRef, Finding, Origin
from oidc_doctor.proxy import helm
from oidc_doctor.proxy.headlamp import CHART_KEY, HeadlampConfig, HSetting, read_headlamp, scopes_of
from oidc_doctor.shell import helm_set, join, option, placeholder, unsafe
from oidc_doctor.text import clean


def headlamps(ev: Evidence) -> list[HeadlampConfig]:
    """Every Headlamp container with OIDC settings in the workloads of the evidence."""
    releases = []
    for item in ev.of(Kind.HELM_RELEASE):
        try:
            releases.append(helm.decode_release(item.data, item.ref))
        except InputError:
            continue  # the proxy deriver reports undecodable release records
    latest = helm.latest(releases)
    found = [
        cfg
        for item in ev.of(Kind.WORKLOAD)
        if isinstance(item.data, dict)
        for cfg in read_headlamp(item.data, item.ref, latest)
        if cfg.uses_oidc
    ]
    # A Pod of a Deployment in the same evidence would repeat its findings.
    managed = {c.workload.namespace for c in found if c.workload.kind != "Pod"}
    return [c for c in found if c.workload.kind != "Pod" or c.workload.namespace not in managed]


def _prepare(ev: Evidence, ctx: Context) -> tuple[list[HeadlampConfig], list[AuthenticatorSummary]] | CheckResult:
    configs = headlamps(ev)
    if not configs:
        return CheckResult.skipped("no Headlamp container with OIDC settings in the evidence")
    auths = ctx.facts.authenticators
    if auths is None:
        return CheckResult.unknown("the API server's OIDC settings are not in the evidence")
    if not auths:
        return CheckResult.skipped("the API server has no JWT authenticator")
    return configs, auths


def _ev(s: HSetting) -> EvidenceRef:
    return EvidenceRef("dashboard", clean(s.ref), clean(s.describe()))


def _auth_ev(a: AuthenticatorSummary, text: str) -> EvidenceRef:
    return EvidenceRef("apiserver-config", clean(a.ref), clean(text))


def _relevant(auths: list[AuthenticatorSummary], issuer: HSetting) -> list[AuthenticatorSummary]:
    if issuer.known and issuer.value:
        same = [a for a in auths if a.issuer == issuer.value]
        if same:
            return same
    return auths


def _fix(cfg: HeadlampConfig, flag: str, value: str) -> str:
    """How to set one Headlamp option, in Helm values terms when Helm manages the Deployment."""
    key = CHART_KEY.get(flag)
    ch = cfg.helm
    if ch is not None and key:
        argv: list[str | tuple[str, str]] = ["helm", "upgrade", (ch.release, "release"), "headlamp/headlamp"]
        argv += ["-n", (ch.namespace, "namespace")]
        if ch.chart_version:
            argv += ["--version", (ch.chart_version, "chart version")]
        how = join([*argv, "--reuse-values", *helm_set(f"config.oidc.{key}", value)])
        shown = placeholder("value") if unsafe(value) else value
        return f"set Helm value `config.oidc.{key}: {shown}`: {how}"
    return f"set `{option('-' + flag, value)}` on container {cfg.container_name} of {cfg.workload.short}"


def _aud(claims: dict[str, Any] | None) -> list[str]:
    aud = (claims or {}).get("aud")
    if isinstance(aud, str):
        return [aud]
    return [str(a) for a in aud] if isinstance(aud, list) else []


def check_audience(ev: Evidence, ctx: Context) -> CheckResult:
    """Headlamp's ``-oidc-client-id`` is an audience the API server accepts (headlamp#670)."""
    prepared = _prepare(ev, ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    configs, auths = prepared
    findings: list[Finding] = []
    unknown: list[str] = []
    token_aud = _aud(ctx.facts.token_claims)
    for cfg in configs:
        cid = cfg.get("oidc-client-id")
        uat = cfg.get("oidc-use-access-token")
        relevant = _relevant(auths, cfg.get("oidc-idp-issuer-url"))
        accepted = sorted({a for au in relevant for a in au.audiences})
        if uat.known and uat.value is True:
            # The access token's audience is chosen by the identity provider (Keycloak: `account` unless
            # an audience mapper adds one), not by the client id: only the token itself can say.
            if not token_aud:
                unknown.append(
                    f"{cfg.ref} sends the access token (-oidc-use-access-token): its audience is set by the "
                    f"identity provider, not by client id `{_show(cid)}`; give the token to judge it"
                )
            elif not set(token_aud) & set(accepted):
                findings.append(_aud_finding(cfg, cid, accepted, relevant, token_aud, ctx, access=True))
            continue
        if not uat.known:
            unknown.append(f"{cfg.ref}: -oidc-use-access-token not visible ({uat.ref})")
            continue
        if not cid.known or not cid.value:
            unknown.append(f"{cfg.ref}: client id not visible ({cid.ref})")
            continue
        if str(cid.value) in accepted or set(token_aud) & set(accepted):
            continue  # an audience mapper may put an accepted audience into Headlamp's id_tokens
        findings.append(_aud_finding(cfg, cid, accepted, relevant, token_aud, ctx, access=False))
    if findings:
        return CheckResult.failed(findings)
    if unknown:
        return CheckResult.unknown("; ".join(unknown))
    return CheckResult.passed("Headlamp's client id is an audience the API server accepts")


def _show(s: HSetting) -> str:
    return str(s.value) if s.known and s.value else "(not visible)"


def _aud_finding(
    cfg: HeadlampConfig,
    cid: HSetting,
    accepted: list[str],
    relevant: list[AuthenticatorSummary],
    token_aud: list[str],
    ctx: Context,
    access: bool,
) -> Finding:
    shown = ", ".join(f"`{a}`" for a in accepted) or "none"
    if access:
        title = (
            f"{cfg.ref} sends the access token (-oidc-use-access-token), whose aud is {token_aud}; the API server "
            f"accepts audience {shown}"
        )
        fix = (
            f"add an audience mapper at the identity provider so Headlamp's access token carries `{accepted[0]}`, "
            f"or send the id_token: {_fix(cfg, 'oidc-use-access-token', 'false')}"
            if accepted
            else "accept the access token's audience on the API server"
        )
    else:
        title = (
            f'{cfg.ref} logs in with client `{cid.value}`, so its id_token has aud ["{cid.value}"]; the API '
            f"server accepts audience {shown}"
        )
        fix = (
            f"use the API server's client in Headlamp: {_fix(cfg, 'oidc-client-id', accepted[0])} (with that client's "
            f"secret); or add an audience mapper at the identity provider so the id_token's aud includes "
            f"`{accepted[0]}`"
            if accepted
            else "share one OAuth client"
        )
        fix += f"; or accept `{cid.value}` on the API server (AuthenticationConfiguration `jwt[].issuer.audiences`)"
    evidence = [_ev(cid), *(_auth_ev(a, f"audiences {list(a.audiences)}") for a in relevant)]
    if token_aud:
        evidence.append(EvidenceRef("token", clean(ctx.facts.token_ref or "token"), f"aud {token_aud}"))
    return Finding(
        "audience-mismatch",
        clean(title),
        evidence,
        clean(fix),
        origin=Origin.CONFIG,
        rank=5,
        explains=("audience-mismatch",),
    )


def check_issuer(ev: Evidence, ctx: Context) -> CheckResult:
    """Headlamp's ``-oidc-idp-issuer-url`` is exactly (byte for byte) an issuer the API server trusts."""
    prepared = _prepare(ev, ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    configs, auths = prepared
    findings: list[Finding] = []
    unknown: list[str] = []
    issuers = [a.issuer for a in auths]
    for cfg in configs:
        iss = cfg.get("oidc-idp-issuer-url")
        if not iss.known or not iss.value:
            unknown.append(f"{cfg.ref}: issuer not visible ({iss.ref})")
            continue
        if str(iss.value) in issuers:
            continue
        near = near_issuer(str(iss.value), issuers)
        findings.append(
            Finding(
                "issuer-mismatch",
                clean(
                    f"{cfg.ref} uses issuer `{iss.value}`; the API server trusts "
                    + ", ".join(f"`{i}`" for i in issuers)
                    + (f" ({near})" if near else "")
                ),
                [_ev(iss), *(_auth_ev(a, a.issuer) for a in auths)],
                clean(
                    f"make the strings identical (the API server compares them byte for byte with the token's "
                    f"`iss`): {_fix(cfg, 'oidc-idp-issuer-url', issuers[0])}, if that is what the identity "
                    "provider puts in `iss`; otherwise change the API server's issuer"
                ),
                origin=Origin.CONFIG,
                rank=5,
            )
        )
    if findings:
        return CheckResult.failed(findings)
    if unknown:
        return CheckResult.unknown("; ".join(unknown))
    return CheckResult.passed("Headlamp and the API server use the same issuer")


def check_scopes(ev: Evidence, ctx: Context) -> CheckResult:
    """Headlamp's ``-oidc-scopes`` ask for the groups claim the API server maps."""
    prepared = _prepare(ev, ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    configs, auths = prepared
    claims = ctx.facts.token_claims
    findings: list[Finding] = []
    unknown: list[str] = []
    for cfg in configs:
        sc = cfg.get("oidc-scopes")
        if not sc.known:
            unknown.append(f"{cfg.ref}: scopes not visible ({sc.ref})")
            continue
        scopes = scopes_of(sc.value)
        for a in _relevant(auths, cfg.get("oidc-idp-issuer-url")):
            gc = a.groups_claim
            if not gc or a.groups_expression is not None or "groups" in scopes:
                continue
            if claims is not None and gc in claims:
                continue  # the identity provider adds the claim without the scope
            seen = claims is not None
            new = ",".join([*scopes, "groups"])
            findings.append(
                Finding(
                    "groups-claim-missing",
                    clean(
                        f"{cfg.ref} requests scopes `{','.join(scopes)}` without `groups`; the API server reads "
                        f"groups from claim `{gc}`"
                        + (
                            ", and the token has none"
                            if seen
                            else ": unless the identity provider adds it by default, users get no groups "
                            "(a 403, never a 401)"
                        )
                    ),
                    [_ev(sc), _auth_ev(a, f"groups claim `{gc}`")],
                    clean(f"request `groups`: {_fix(cfg, 'oidc-scopes', new)}"),
                    severity=Severity.ERROR if seen else Severity.WARNING,
                    origin=Origin.CONFIG,
                    rank=8,
                    explains=("groups-claim-missing", "rbac-no-binding"),
                )
            )
    if findings:
        return CheckResult.failed(findings)
    if unknown:
        return CheckResult.unknown("; ".join(unknown))
    return CheckResult.passed("Headlamp requests the groups scope the API server needs")


CHECKS = [
    Check(
        "dashboard.headlamp-audience",
        ("audience-mismatch",),
        check_audience,
        "Headlamp's -oidc-client-id is an audience the API server accepts",
    ),
    Check(
        "dashboard.headlamp-issuer",
        ("issuer-mismatch",),
        check_issuer,
        "Headlamp and the API server use the same issuer",
    ),
    Check(
        "dashboard.headlamp-scopes",
        ("groups-claim-missing",),
        check_scopes,
        "Headlamp's -oidc-scopes ask for the groups claim",
    ),
]
