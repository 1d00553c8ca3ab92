"""Auth-proxy checks: oauth2-proxy and Kubeapps settings against the token and the API server.

The deriver :func:`derive_proxies` finds every oauth2-proxy container in the workloads, reads its
settings with oauth2-proxy's precedence (``oidc_doctor.proxy.settings``), decodes Helm release
records and attaches the Kubeapps chart facts. The checks then compare those settings with the
token's lifetime and size, the API server's authenticators and the failures observed. Fixes are
written in the user's terms: Helm values for Kubeapps, flags otherwise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from oidc_doctor.causes import Severity
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import AuthenticatorSummary, CheckResult, EvidenceRef, Finding, Origin
from oidc_doctor.proxy import helm
from oidc_doctor.proxy.kubeapps import (
    COOKIE_REFRESH_SINCE,
    DEFAULT_LARGE_CLIENT_HEADER_BUFFERS,
    KubeappsInfo,
    attach,
    parse_chart_version,
    show_chart,
)
from oidc_doctor.proxy.providers import DEFAULT_SCOPE, refresh_support, show
from oidc_doctor.proxy.settings import (
    ProxyConfig,
    Setting,
    as_dict,
    as_list,
    find_proxies,
    go_duration_str,
    problems_from_validation,
    read_settings,
)
from oidc_doctor.shell import helm_set, join, placeholder, unsafe
from oidc_doctor.text import clean, human_duration

KEY = "proxy.state"


@dataclass
class ProxyState:
    """What the deriver found, shared by the proxy checks (``ctx.facts.extra["proxy.state"]``)."""

    configs: list[ProxyConfig] = field(default_factory=list)
    releases: list[helm.HelmRelease] = field(default_factory=list)
    #: Kubeapps releases with the auth proxy enabled but no Deployment in the evidence.
    orphan_kubeapps: list[helm.HelmRelease] = field(default_factory=list)
    ingresses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: nginx ``large_client_header_buffers`` found in ConfigMaps: (ref, namespace, value).
    nginx_buffers: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Why the sources could not list proxies (a refused live list), empty when they could.
    blind: str = ""


def derive_proxies(ev: Evidence, ctx: Context) -> None:
    """Find proxies, read their settings and Helm values; store a :class:`ProxyState`."""
    state = ProxyState(blind=ev.blind.get("proxy", ""))
    configmaps = [(i.ref, i.data) for i in ev.of(Kind.CONFIGMAP) if isinstance(i.data, dict)]
    decoded = []
    for item in ev.of(Kind.HELM_RELEASE):
        try:
            decoded.append(helm.decode_release(item.data, item.ref))
        except InputError as e:
            state.errors.append(str(e))
    state.releases = helm.latest(decoded)
    found = [
        (item, inst)
        for item in ev.of(Kind.WORKLOAD)
        if isinstance(item.data, dict)
        for inst in find_proxies(item.data, item.ref)
    ]
    # Pods of a Deployment in the same bundle would repeat its findings: keep Pods only where no
    # workload with a proxy was given for their namespace.
    managed = {i.workload.namespace for _, i in found if i.workload.kind != "Pod"}
    for _item, inst in found:
        if inst.workload.kind == "Pod" and inst.workload.namespace in managed:
            continue
        cfg = read_settings(inst, configmaps)
        if inst.kubeapps:
            attach(cfg, state.releases)
        cfg.problems.extend(problems_from_validation(cfg))
        state.configs.append(cfg)
    seen = {
        (c.kubeapps.namespace, c.kubeapps.release_name) for c in state.configs if isinstance(c.kubeapps, KubeappsInfo)
    }
    for r in state.releases:
        ap_value = r.values.get("authProxy")
        ap: dict[str, Any] = ap_value if isinstance(ap_value, dict) else {}
        if r.chart == "kubeapps" and (r.namespace, r.name) not in seen and ap.get("enabled") and not ap.get("external"):
            state.orphan_kubeapps.append(r)
    state.ingresses = [(i.ref, i.data) for i in ev.of(Kind.INGRESS) if isinstance(i.data, dict)]
    for ref, cm in configmaps:
        ns = str(as_dict(cm.get("metadata")).get("namespace") or "default")
        for key, value in as_dict(cm.get("data")).items():
            if isinstance(value, str):
                m = re.search(r"large_client_header_buffers\s+(\d+\s+\d+[kKmM]?)\s*;", value)
                if m:
                    state.nginx_buffers.append((f"{ref} data.{key}", ns, m.group(1)))
    ctx.facts.extra[KEY] = state


def _state(ctx: Context) -> ProxyState:
    st = ctx.facts.extra.get(KEY)
    return st if isinstance(st, ProxyState) else ProxyState()


def _no_proxy(state: ProxyState) -> CheckResult | None:
    if not state.configs:
        if state.blind:
            return CheckResult.unknown(f"could not list proxies: {state.blind}")
        return CheckResult.skipped("no oauth2-proxy container in the evidence")
    return None


def _outcome(findings: list[Finding], unknown: list[str], passed: str) -> CheckResult:
    """Findings fail the check; otherwise any proxy that could not be judged makes it unknown."""
    if findings:
        return CheckResult.failed(findings)
    if unknown:
        return CheckResult.unknown("; ".join(unknown))
    return CheckResult.passed(passed)


def _ev(s: Setting) -> EvidenceRef:
    return EvidenceRef("proxy", clean(s.ref), clean(s.describe()))


def _chart_ev(info: KubeappsInfo) -> list[EvidenceRef]:
    if info.chart_version is None:
        return []
    return [EvidenceRef("proxy", clean(info.chart_version_ref), f"Kubeapps chart {show_chart(info.chart_version)}")]


def _flag_fix(cfg: ProxyConfig, flag: str) -> str:
    """How to set one flag on this proxy, in the user's terms."""
    info = cfg.kubeapps
    if isinstance(info, KubeappsInfo):
        return "Kubeapps: " + info.add_flag_fix(flag)
    inst = cfg.instance
    name, eq, value = flag.partition("=")
    if eq and unsafe(value):  # shown as an args entry to copy: never a value that cannot be shown
        flag = f"{name}={placeholder('value')}"
    if cfg.alpha_config:
        return f"set `{flag}` on container {inst.container_name} of {inst.workload.short} (or its alpha config)"
    return f"add `{flag}` to the args of container {inst.container_name} in {inst.workload.short}"


def _lifetime(ctx: Context) -> tuple[float | None, EvidenceRef | None]:
    if ctx.options.token_lifetime_s is not None:
        v = ctx.options.token_lifetime_s
        return v, EvidenceRef("token", "--token-lifetime", human_duration(v))
    if ctx.facts.token_lifetime_s is not None:
        v = ctx.facts.token_lifetime_s
        return v, EvidenceRef("token", clean(ctx.facts.token_ref or "token"), f"exp - iat = {human_duration(v)}")
    return None, None


# --- cookie refresh -------------------------------------------------------------------------


def _refresh_missing_fix(cfg: ProxyConfig) -> str:
    info = cfg.kubeapps
    if not isinstance(info, KubeappsInfo):
        return _flag_fix(cfg, "--cookie-refresh=2m") + " (shorter than the id_token lifetime)"
    if info.args_override is not None:
        return "Kubeapps: " + info.add_flag_fix("--cookie-refresh=2m")
    if info.chart_version is not None and info.chart_version < COOKIE_REFRESH_SINCE:
        return (
            f"Kubeapps chart {show_chart(info.chart_version)} predates `authProxy.cookieRefresh`: upgrade the chart to "
            f">= {show_chart(COOKIE_REFRESH_SINCE)} (it sets `--cookie-refresh` from `authProxy.cookieRefresh`, "
            f"default 2m), or {info.add_flag_fix('--cookie-refresh=2m')}"
        )
    return "Kubeapps: " + info.helm_upgrade(*helm_set("authProxy.cookieRefresh", "2m"))


def check_cookie_refresh(ev: Evidence, ctx: Context) -> CheckResult:
    """``--cookie-refresh`` is set, and shorter than the token lifetime and ``--cookie-expire``."""
    state = _state(ctx)
    findings: list[Finding] = []
    unknown: list[str] = []
    lifetime, lifetime_ev = _lifetime(ctx)
    # A Helm release record that does not decode may hide a Kubeapps chart without refresh.
    unknown.extend(f"Helm release record unreadable: {e}" for e in state.errors)
    for r in state.orphan_kubeapps:
        findings.extend(_orphan_refresh(r))
    if not state.configs and not state.orphan_kubeapps:
        if state.blind:
            return CheckResult.unknown(f"could not list proxies: {state.blind}")
        return CheckResult.skipped("no oauth2-proxy container or Kubeapps release in the evidence")
    for cfg in state.configs:
        s = cfg.get("cookie-refresh")
        inst = cfg.instance
        if not s.known:
            unknown.append(f"{inst.ref}: --cookie-refresh not visible ({s.ref})")
            continue
        chart = _chart_ev(cfg.kubeapps) if isinstance(cfg.kubeapps, KubeappsInfo) else []
        if not s.value:
            shown = "unset" if s.source == "default" else "0"
            findings.append(
                Finding(
                    "proxy-cookie-refresh-missing",
                    f"{inst.ref} has --cookie-refresh {shown}: sessions are never refreshed, so users are "
                    "logged out when the id_token expires"
                    + (f" (every {human_duration(lifetime)})" if lifetime else ""),
                    [_ev(s), *chart, *([lifetime_ev] if lifetime_ev else [])],
                    _refresh_missing_fix(cfg),
                    origin=Origin.CONFIG,
                    rank=10,
                    explains=("token-expired",),
                )
            )
            continue
        refresh = float(s.value)
        expire = cfg.get("cookie-expire")
        if lifetime is not None and refresh >= lifetime:
            findings.append(
                Finding(
                    "proxy-cookie-refresh-too-long",
                    f"{inst.ref} refreshes sessions every {human_duration(refresh)}, but the id_token lives "
                    f"{human_duration(lifetime)}: it expires before the proxy refreshes it",
                    [_ev(s), *([lifetime_ev] if lifetime_ev else [])],
                    _too_long_fix(cfg, lifetime),
                    origin=Origin.CONFIG,
                    rank=10,
                    explains=("token-expired",),
                )
            )
        if expire.known and isinstance(expire.value, float) and expire.value and refresh >= expire.value:
            findings.append(
                Finding(
                    "proxy-cookie-refresh-too-long",
                    f"{inst.ref} has --cookie-refresh={go_duration_str(refresh)} not shorter than "
                    f"--cookie-expire={go_duration_str(expire.value)}: oauth2-proxy refuses to start",
                    [_ev(s), _ev(expire)],
                    _too_long_fix(cfg, expire.value),
                    origin=Origin.CONFIG,
                    rank=12,
                )
            )
        if lifetime is None:
            unknown.append(
                f"{inst.ref}: --cookie-refresh={go_duration_str(refresh)}; the token lifetime is unknown "
                "(give a token or --token-lifetime)"
            )
    return _outcome(
        findings, unknown, f"cookie refresh shorter than the token lifetime ({human_duration(lifetime or 0)})"
    )


def _too_long_fix(cfg: ProxyConfig, limit: float) -> str:
    target = max(60.0, math.floor(limit * 0.4 / 60) * 60) if limit >= 120 else max(1.0, limit / 2)
    value = go_duration_str(target).replace("m0s", "m") if target >= 60 else f"{int(target)}s"
    info = cfg.kubeapps
    if isinstance(info, KubeappsInfo) and info.args_override is None and info.has_cookie_refresh_value:
        return f"a shorter interval: Kubeapps: {info.helm_upgrade(*helm_set('authProxy.cookieRefresh', value))}"
    return "a shorter interval: " + _flag_fix(cfg, f"--cookie-refresh={value}")


def _orphan_refresh(r: helm.HelmRelease) -> list[Finding]:
    """Kubeapps releases whose Deployment is not in the evidence: judge from chart and values."""
    ap = as_dict(r.values.get("authProxy"))
    version = parse_chart_version(r.chart_version)
    info = KubeappsInfo(r.name, r.namespace, version, f"{r.ref} chart kubeapps-{r.chart_version}", r, ap, {})
    flags = [str(f) for f in as_list(ap.get(info.flags_key))] + [str(a) for a in (info.args_override or [])]
    if any(f.startswith("--cookie-refresh=") and f.split("=", 1)[1] not in ("0", "0s") for f in flags):
        return []
    if (
        info.args_override is None
        and info.has_cookie_refresh_value
        and str(ap.get("cookieRefresh") or "0") not in ("0", "0s")
    ):
        return []
    refresh_value = ap.get("cookieRefresh")
    title = (
        f"Helm release {r.namespace}/{r.name} (chart kubeapps-{r.chart_version}) runs the auth proxy without "
        "--cookie-refresh: users are logged out when the id_token expires"
    )
    ev = [
        EvidenceRef("proxy", clean(r.ref), f"chart kubeapps-{r.chart_version}; authProxy.cookieRefresh={refresh_value}")
    ]
    fix = (
        f"upgrade the chart to >= {show_chart(COOKIE_REFRESH_SINCE)}, or {info.add_flag_fix('--cookie-refresh=2m')}"
        if version is not None and version < COOKIE_REFRESH_SINCE
        else info.helm_upgrade(*helm_set("authProxy.cookieRefresh", "2m"))
    )
    return [Finding("proxy-cookie-refresh-missing", title, ev, fix, origin=Origin.CONFIG, rank=10)]


# --- provider refresh support ----------------------------------------------------------------


def check_refresh_support(ev: Evidence, ctx: Context) -> CheckResult:
    """The provider can refresh sessions in the proxy's oauth2-proxy release."""
    state = _state(ctx)
    if (r := _no_proxy(state)) is not None:
        return r
    findings: list[Finding] = []
    unknown: list[str] = []
    for cfg in state.configs:
        p = cfg.get("provider")
        inst = cfg.instance
        if not p.known or not p.value:
            unknown.append(f"{inst.ref}: provider not visible ({p.ref})")
            continue
        support = refresh_support(str(p.value), inst.version)
        if support.refreshes is None:
            unknown.append(f"{inst.ref}: {support.reason}")
            continue
        if support.refreshes:
            continue
        version = show(inst.version) if inst.version else "unknown"
        findings.append(
            Finding(
                "proxy-refresh-unsupported",
                f"{inst.ref} uses --provider={p.value} on oauth2-proxy {version}: {support.reason}, so "
                "--cookie-refresh cannot keep sessions alive",
                [_ev(p), EvidenceRef("proxy", f"{inst.ref} image", clean(inst.image))],
                _provider_fix(cfg, str(p.value)),
                origin=Origin.CONFIG,
                rank=11,
            )
        )
    return _outcome(findings, unknown, "every proxy's provider refreshes sessions")


def _provider_fix(cfg: ProxyConfig, provider: str) -> str:
    info = cfg.kubeapps
    v = cfg.instance.version
    if provider in ("keycloak-oidc", "adfs", "entra-id", "cidaas") and v is not None:
        target = {"entra-id": "v7.8.0", "cidaas": "v7.12.0"}.get(provider, "v7.2.0")
        upgrade = f"run oauth2-proxy >= {target}"
        if isinstance(info, KubeappsInfo):
            tag = helm_set("authProxy.image.tag", placeholder("a 7.x tag >= " + target))
            return f"{upgrade}: Kubeapps: {info.helm_upgrade(*tag)}"
        return f"{upgrade} (image of container {cfg.instance.container_name}), or use --provider=oidc"
    if isinstance(info, KubeappsInfo):
        return (
            "use the generic OIDC provider: Kubeapps: "
            + info.helm_upgrade(*helm_set("authProxy.provider", "oidc"))
            + " (with --oidc-issuer-url in the flags), or keycloak-oidc on oauth2-proxy >= v7.2.0"
        )
    return "use --provider=oidc with --oidc-issuer-url (or keycloak-oidc on oauth2-proxy >= v7.2.0)"


# --- client id, issuer and scope against the API server --------------------------------------


def _proxies_and_authenticators(ctx: Context) -> tuple[ProxyState, list[AuthenticatorSummary]] | CheckResult:
    """The proxies and the API server's JWT authenticators, or why a comparison cannot be made."""
    state = _state(ctx)
    if (r := _no_proxy(state)) is not None:
        return r
    auths = ctx.facts.authenticators
    if auths is None:
        return CheckResult.unknown("the API server's OIDC settings are not in the evidence")
    if not auths:
        return CheckResult.skipped("the API server has no JWT authenticator")
    return state, auths


def _aud_list(claims: dict[str, Any] | None) -> list[str]:
    if not claims:
        return []
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [str(a) for a in aud]
    return []


def _relevant(auths: list[AuthenticatorSummary], issuer: Setting) -> list[AuthenticatorSummary]:
    if issuer.known and issuer.value:
        same = [a for a in auths if a.issuer == issuer.value]
        if same:
            return same
    return auths


def check_audience(ev: Evidence, ctx: Context) -> CheckResult:
    """The proxy's ``--client-id`` is an audience the API server accepts."""
    prepared = _proxies_and_authenticators(ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    state, auths = prepared
    findings: list[Finding] = []
    unknown: list[str] = []
    token_aud = _aud_list(ctx.facts.token_claims)
    for cfg in state.configs:
        cid = cfg.get("client-id")
        inst = cfg.instance
        if not cid.known or not cid.value:
            unknown.append(f"{inst.ref}: client id not visible ({cid.ref})")
            continue
        relevant = _relevant(auths, cfg.get("oidc-issuer-url"))
        accepted = sorted({a for au in relevant for a in au.audiences})
        if str(cid.value) in accepted:
            continue
        if set(token_aud) & set(accepted):
            continue  # an audience mapper adds an accepted audience to the proxy's tokens
        shown = ", ".join(f"`{a}`" for a in accepted) or "none"
        info = cfg.kubeapps
        if isinstance(info, KubeappsInfo):
            set_client = helm_set("authProxy.clientID", accepted[0], "the API server's client id") if accepted else []
            fix = (
                f"use the API server's client in Kubeapps: {info.helm_upgrade(*set_client)}"
                if accepted
                else "share one OAuth client"
            )
        else:
            fix = (
                f"set `--client-id={accepted[0]}` on container {inst.container_name}"
                if accepted
                else "share one client"
            )
        fix += (
            f"; or add an audience mapper at the identity provider so the id_token's aud includes `{accepted[0]}`"
            if accepted
            else ""
        )
        fix += f"; or accept `{cid.value}` on the API server (AuthenticationConfiguration `jwt[].issuer.audiences`)"
        findings.append(
            Finding(
                "audience-mismatch",
                f"{inst.ref} logs in with client `{cid.value}`; the API server accepts audience {shown}",
                [
                    _ev(cid),
                    *(
                        EvidenceRef("apiserver-config", clean(a.ref), f"audiences {list(a.audiences)}")
                        for a in relevant
                    ),
                ]
                + (
                    [EvidenceRef("token", clean(ctx.facts.token_ref or "token"), f"aud {token_aud}")]
                    if token_aud
                    else []
                ),
                fix,
                origin=Origin.CONFIG,
                rank=5,
                explains=("audience-mismatch",),
            )
        )
    return _outcome(findings, unknown, "every proxy's client id is an accepted audience")


def check_issuer(ev: Evidence, ctx: Context) -> CheckResult:
    """The proxy's ``--oidc-issuer-url`` is exactly an issuer the API server trusts."""
    prepared = _proxies_and_authenticators(ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    state, auths = prepared
    findings: list[Finding] = []
    unknown: list[str] = []
    looked = 0
    for cfg in state.configs:
        iss = cfg.get("oidc-issuer-url")
        inst = cfg.instance
        if not iss.known:
            unknown.append(f"{inst.ref}: issuer not visible ({iss.ref})")
            continue
        if not iss.value:
            continue  # a provider with a built-in issuer (google, github, ...)
        looked += 1
        issuers = [a.issuer for a in auths]
        if str(iss.value) in issuers:
            continue
        near = near_issuer(str(iss.value), issuers)
        fix = (
            f"make the strings identical: the API server's issuer `{issuers[0]}`, the proxy's `{iss.value}` and the "
            "token's `iss` (the API server compares them byte for byte)"
        )
        findings.append(
            Finding(
                "issuer-mismatch",
                f"{inst.ref} uses issuer `{iss.value}`; the API server trusts "
                + ", ".join(f"`{i}`" for i in issuers)
                + (f" ({near})" if near else ""),
                [_ev(iss), *(EvidenceRef("apiserver-config", clean(a.ref), clean(a.issuer)) for a in auths)],
                fix,
                origin=Origin.CONFIG,
                rank=5,
            )
        )
    if findings:
        return CheckResult.failed(findings)
    if unknown:
        return CheckResult.unknown("; ".join(unknown))
    if not looked:
        return CheckResult.skipped("no proxy sets --oidc-issuer-url")
    return CheckResult.passed("proxy and API server use the same issuer")


def near_issuer(proxy: str, issuers: list[str]) -> str:
    """Why ``proxy`` nearly equals one of ``issuers`` (slash, Keycloak ``/auth``, scheme), or ""."""
    for i in issuers:
        if proxy.rstrip("/") == i.rstrip("/"):
            return "they differ only by a trailing slash"
        if proxy.replace("/auth/realms/", "/realms/") == i.replace("/auth/realms/", "/realms/"):
            return "they differ by Keycloak's old `/auth` path prefix"
        if proxy.replace("http://", "https://") == i.replace("http://", "https://"):
            return "they differ by http vs https"
    return ""


_PROFILE_CLAIMS = frozenset(
    {"preferred_username", "name", "given_name", "family_name", "nickname", "middle_name", "profile", "picture"}
)
# Providers whose groups do not depend on a requested scope (Entra ID / Azure emit them by app setting).
_GROUPS_WITHOUT_SCOPE = frozenset({"azure", "entra-id", "adfs", "google", "github", "gitlab"})


def check_scope_claims(ev: Evidence, ctx: Context) -> CheckResult:
    """The proxy requests the scopes that put the API server's username and groups claims in the token."""
    prepared = _proxies_and_authenticators(ctx)
    if isinstance(prepared, CheckResult):
        return prepared
    state, auths = prepared
    claims = ctx.facts.token_claims
    findings: list[Finding] = []
    unknown: list[str] = []
    for cfg in state.configs:
        inst = cfg.instance
        sc = cfg.get("scope")
        prov = cfg.get("provider")
        if not sc.known or not prov.known:
            unknown.append(f"{inst.ref}: scope not visible ({sc.ref if not sc.known else prov.ref})")
            continue
        provider = str(prov.value or "")
        scope_text = str(sc.value or "") or DEFAULT_SCOPE.get(provider, "")
        scopes = set(scope_text.split())
        scope_ev = (
            _ev(sc)
            if sc.value
            else EvidenceRef("proxy", clean(sc.ref), f"--scope unset: {provider} default `{scope_text}`")
        )
        for a in _relevant(auths, cfg.get("oidc-issuer-url")):
            gc = a.groups_claim
            if gc and a.groups_expression is None and "groups" not in scopes and provider not in _GROUPS_WITHOUT_SCOPE:
                present = claims is not None and gc in claims
                if not present:
                    seen = claims is not None
                    findings.append(
                        Finding(
                            "groups-claim-missing",
                            f"{inst.ref} requests scope `{scope_text}` without `groups`; the API server reads groups "
                            f"from claim `{gc}`"
                            + (
                                ", and the token has none"
                                if seen
                                else ": unless the identity provider adds it by "
                                "default, users get no groups (a 403, never a 401)"
                            ),
                            [scope_ev, EvidenceRef("apiserver-config", clean(a.ref), f"groups claim `{gc}`")],
                            _scope_fix(cfg, scope_text, "groups"),
                            severity=Severity.ERROR if seen else Severity.WARNING,
                            origin=Origin.CONFIG,
                            rank=8,
                            explains=("groups-claim-missing", "rbac-no-binding"),
                        )
                    )
            uc = a.username_claim
            need = "email" if uc == "email" else "profile" if uc in _PROFILE_CLAIMS else None
            if uc and need and need not in scopes:
                present = claims is not None and uc in claims
                if not present:
                    seen = claims is not None
                    findings.append(
                        Finding(
                            "username-claim-missing",
                            f"{inst.ref} requests scope `{scope_text}` without `{need}`; the API server takes the "
                            f"username from claim `{uc}`" + (", and the token has none" if seen else ""),
                            [scope_ev, EvidenceRef("apiserver-config", clean(a.ref), f"username claim `{uc}`")],
                            _scope_fix(cfg, scope_text, need),
                            severity=Severity.ERROR if seen else Severity.WARNING,
                            origin=Origin.CONFIG,
                            rank=8,
                        )
                    )
    return _outcome(findings, unknown, "the proxy requests the scopes for the username and groups claims")


def _scope_fix(cfg: ProxyConfig, scope_text: str, add: str) -> str:
    new = " ".join([*scope_text.split(), add]) if scope_text else f"openid {add}"
    info = cfg.kubeapps
    if isinstance(info, KubeappsInfo) and info.args_override is None and info.has_cookie_refresh_value:
        return f"request `{add}`: Kubeapps: {info.helm_upgrade(*helm_set('authProxy.scope', new, 'scopes'))}"
    return f"request `{add}`: " + _flag_fix(cfg, f"--scope={new}")


# --- token forwarding and exposure -----------------------------------------------------------


def _reverse_proxy(cfg: ProxyConfig) -> bool | None:
    """Whether the proxy answers browsers itself (upstream mode) rather than an auth_request."""
    if cfg.instance.kubeapps:
        return True
    up = cfg.get("upstream")
    if not up.known:
        return None
    values = up.value if isinstance(up.value, list) else []
    # `static://202` and `file:///dev/null` (the oauth2-proxy chart's default config) serve no
    # application: the proxy only answers ingress-nginx's auth_request (auth-url) subrequests.
    return any(not str(v).startswith(("static://", "file:///dev/null")) for v in values)


def _ingress_auth(ing: dict[str, Any]) -> tuple[str | None, list[str] | None]:
    ann = as_dict(as_dict(ing.get("metadata")).get("annotations"))
    url = ann.get("nginx.ingress.kubernetes.io/auth-url")
    headers = ann.get("nginx.ingress.kubernetes.io/auth-response-headers")
    hs = [h.strip() for h in str(headers).split(",") if h.strip()] if headers is not None else None
    return (str(url) if url else None), hs


def _ing_name(ref: str, ing: dict[str, Any]) -> str:
    meta = as_dict(ing.get("metadata"))
    return f"Ingress {meta.get('namespace', 'default')}/{meta.get('name', '?')}"


def check_token_forwarded(ev: Evidence, ctx: Context) -> CheckResult:
    """The id_token reaches the API server: proxy passes it, the ingress forwards it, no anonymous 403."""
    state = _state(ctx)
    findings: list[Finding] = []
    unknown: list[str] = []
    looked = 0
    auth_url = any(_ingress_auth(ing)[0] for _, ing in state.ingresses)
    for cfg in state.configs:
        inst = cfg.instance
        rp = _reverse_proxy(cfg)
        if rp is False:
            if auth_url:
                # auth_request mode: ingress-nginx copies Authorization from the answer to
                # /oauth2/auth (auth-response-headers), which carries it only with
                # --set-authorization-header (oauth2-proxy docs, "Configuring for use with the Nginx
                # auth_request directive").
                s = cfg.get("set-authorization-header")
                if not s.known:
                    unknown.append(f"{inst.ref}: --set-authorization-header not visible ({s.ref})")
                    continue
                looked += 1
                if not s.value:
                    fix = (
                        "add an `Authorization` header from claim `id_token` (prefix `Bearer `) to the alpha "
                        "config's `injectResponseHeaders`"
                        if cfg.alpha_config
                        else _flag_fix(cfg, "--set-authorization-header=true")
                    )
                    findings.append(
                        Finding(
                            "proxy-token-not-forwarded",
                            f"{inst.ref} answers the Ingress's auth requests with --set-authorization-header off: "
                            "its answer carries no Authorization header for the Ingress to pass on, so the API "
                            "server sees system:anonymous",
                            [_ev(s)],
                            fix,
                            origin=Origin.CONFIG,
                            rank=6,
                        )
                    )
            continue
        info = cfg.kubeapps if isinstance(cfg.kubeapps, KubeappsInfo) else None
        by_access = bool(info and info.frontend_values.get("proxypassAccessTokenAsBearer"))
        flag = "pass-access-token" if by_access else "pass-authorization-header"
        s = cfg.get(flag)
        if not s.known:
            unknown.append(f"{inst.ref}: --{flag} not visible ({s.ref})")
            continue
        looked += 1
        if s.value:
            continue
        what = "the access token (frontend.proxypassAccessTokenAsBearer)" if by_access else "the id_token"
        if info is not None and info.args_override is not None:
            fix = "Kubeapps: " + info.add_flag_fix(f"--{flag}=true")
        elif cfg.alpha_config:
            fix = (
                "add an `Authorization` header from claim `id_token` (prefix `Bearer `) to the alpha config's "
                "`injectRequestHeaders`"
            )
        else:
            fix = _flag_fix(cfg, f"--{flag}=true")
        findings.append(
            Finding(
                "proxy-token-not-forwarded",
                f"{inst.ref} has --{flag} off: {what} never reaches the API server, which then sees system:anonymous",
                [_ev(s)],
                fix,
                origin=Origin.CONFIG,
                rank=6,
            )
        )
    for ref, ing in state.ingresses:
        url, headers = _ingress_auth(ing)
        if not url:
            continue
        looked += 1
        if headers is not None and any(h.lower() == "authorization" for h in headers):
            continue
        name = _ing_name(ref, ing)
        findings.append(
            Finding(
                "proxy-token-not-forwarded",
                f"{name} authenticates through {clean(url)} but its auth-response-headers "
                + (f"({', '.join(headers)})" if headers else "annotation is absent")
                + " do not include Authorization: the backend never receives the token",
                [EvidenceRef("proxy", clean(ref), f"auth-response-headers: {', '.join(headers or []) or '(none)'}")],
                "add `nginx.ingress.kubernetes.io/auth-response-headers: Authorization` to the Ingress (and run "
                "oauth2-proxy with `--set-authorization-header=true` so the auth answer carries it)",
                origin=Origin.CONFIG,
                rank=6,
            )
        )
    # A 403 for system:anonymous is the API server's own word that no token arrived. The standalone
    # finding is rbac.anonymous's; here it confirms (and promotes) the proxy setting that explains it.
    anonymous = [f for f in ctx.facts.failures if f.status == 403 and f.user == "system:anonymous"]
    if anonymous:
        seen = EvidenceRef("error-text", clean(anonymous[0].ref), clean(anonymous[0].text, 300))
        for finding in findings:
            finding.evidence.append(seen)
            finding.origin = Origin.OBSERVED
            finding.rank = 0
            finding.explains = ("rbac-no-binding", "rbac-insufficient-permissions")
    if findings:
        return CheckResult.failed(findings)
    if unknown:
        return CheckResult.unknown("; ".join(unknown))
    if not looked:
        if state.blind:
            return CheckResult.unknown(f"could not list proxies: {state.blind}")
        return CheckResult.skipped("no reverse-proxying oauth2-proxy or auth-url Ingress in the evidence")
    return CheckResult.passed("the proxy forwards the token")


def check_header_exposed(ev: Evidence, ctx: Context) -> CheckResult:
    """``--set-authorization-header`` is not left on where responses go to browsers."""
    state = _state(ctx)
    if (r := _no_proxy(state)) is not None:
        return r
    findings: list[Finding] = []
    unknown: list[str] = []
    for cfg in state.configs:
        inst = cfg.instance
        s = cfg.get("set-authorization-header")
        if not s.known:
            unknown.append(f"{inst.ref}: --set-authorization-header not visible ({s.ref})")
            continue
        if not s.value or _reverse_proxy(cfg) is False:
            continue
        ns = inst.workload.namespace
        disable = join(
            [
                *("oidc-doctor", "proxy", "authz-header", "disable"),
                *("-n", (ns, "namespace"), "-d", (inst.workload.name, "deployment")),
                *("-c", (inst.container_name, "container"), "--apply"),
            ]
        )
        info = cfg.kubeapps if isinstance(cfg.kubeapps, KubeappsInfo) else None
        if info is not None and any(f.startswith("--set-authorization-header") for f in info.extra_flags):
            fix = (
                f"remove `--set-authorization-header=true` from `authProxy.{info.flags_key}` "
                f"(release {info.namespace}/{info.release_name}), or run `{disable}` until the next helm upgrade"
            )
        elif s.source == "alpha-config":
            fix = "remove the `Authorization` entry from the alpha config's `injectResponseHeaders`"
        elif s.source == "config-file":
            fix = "remove `set_authorization_header = true` from the proxy's config file"
        else:
            fix = f"remove it: `{disable}`"
        findings.append(
            Finding(
                "proxy-authorization-header-exposed",
                f"{inst.ref} has --set-authorization-header on: every response carries the user's id_token to "
                "the browser",
                [_ev(s)],
                fix,
                origin=Origin.CONFIG,
                rank=20,
            )
        )
    return _outcome(findings, unknown, "no proxy exposes the id_token to browsers")


# --- header sizes ------------------------------------------------------------------------------


def _size(text: str) -> int | None:
    m = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)\s*", text)
    if not m:
        return None
    n = int(m.group(1))
    return n * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2).lower()]


def _buffers(text: str) -> int | None:
    """The size of one buffer of nginx ``large_client_header_buffers N SIZE``."""
    parts = text.split()
    return _size(parts[-1]) if len(parts) == 2 else None


#: ingress-nginx's default ``proxy-buffer-size`` (docs: ConfigMap option ``proxy-buffer-size: "4k"``).
INGRESS_PROXY_BUFFER_DEFAULT = "4k"


def check_header_size(ev: Evidence, ctx: Context) -> CheckResult:
    """The token fits the nginx header buffers it crosses (Kubeapps frontend, ingress-nginx)."""
    state = _state(ctx)
    if not state.configs and not state.ingresses:
        if state.blind:
            return CheckResult.unknown(f"could not list proxies: {state.blind}")
        return CheckResult.skipped("no proxy or Ingress in the evidence")
    size = ctx.facts.token_size
    if size is None:
        return CheckResult.unknown("no token in the evidence to measure")
    header_line = len("Authorization: Bearer ") + size
    # The session cookie holds at least the encrypted id_token, base64-encoded (4/3), so this is
    # a lower bound: access and refresh tokens, when stored, add to it.
    cookie = math.ceil(size * 4 / 3) + len("_oauth2_proxy=")
    token_ev = EvidenceRef("token", clean(ctx.facts.token_ref or "token"), f"{size} bytes")
    findings: list[Finding] = []
    looked = 0
    for cfg in state.configs:
        info = cfg.kubeapps if isinstance(cfg.kubeapps, KubeappsInfo) else None
        if info is None:
            continue
        ns = cfg.instance.workload.namespace
        cm = [b for b in state.nginx_buffers if b[1] == ns]
        if cm:
            ref, _, value = cm[0]
        elif info.large_client_header_buffers:
            ref, value = (
                f"{info.release.ref if info.release else ''} frontend.largeClientHeaderBuffers",
                info.large_client_header_buffers,
            )
        else:
            ref, value = "Kubeapps chart default frontend.largeClientHeaderBuffers", DEFAULT_LARGE_CLIENT_HEADER_BUFFERS
        limit = _buffers(value)
        if limit is None:
            continue
        looked += 1
        worst = max(header_line, cookie)
        if worst > limit:
            bigger = _bigger(worst)
            findings.append(
                Finding(
                    "proxy-header-too-large",
                    f"the token makes a {worst}-byte request header; Kubeapps' nginx ({cfg.instance.workload.short}) "
                    f"takes headers up to {limit} bytes (large_client_header_buffers {value})",
                    [token_ev, EvidenceRef("proxy", clean(ref), f"large_client_header_buffers {value}")],
                    "Kubeapps: "
                    + info.helm_upgrade(*helm_set("frontend.largeClientHeaderBuffers", f"4 {bigger}"))
                    + "; or emit "
                    "fewer claims (groups) in the token",
                    origin=Origin.PREDICTED,
                    rank=9,
                )
            )
    proxy_namespaces = {c.instance.workload.namespace for c in state.configs}
    for ref, ing in state.ingresses:
        meta = as_dict(ing.get("metadata"))
        ann = as_dict(meta.get("annotations"))
        in_front = _ingress_auth(ing)[0] or str(meta.get("namespace") or "default") in proxy_namespaces
        if not in_front or not _is_nginx(ing):
            continue  # unrelated to any proxy, or another controller without these buffers
        value = str(ann.get("nginx.ingress.kubernetes.io/proxy-buffer-size") or INGRESS_PROXY_BUFFER_DEFAULT)
        limit = _size(value)
        if limit is None:
            continue
        looked += 1
        url, headers = _ingress_auth(ing)
        # Responses through the ingress carry the session Set-Cookie; an auth_request answer also
        # carries the Authorization header when it is forwarded.
        auth_header = header_line if url and headers and any(h.lower() == "authorization" for h in headers) else 0
        need = cookie + auth_header + 512  # other response headers
        if need > limit:
            name = _ing_name(ref, ing)
            findings.append(
                Finding(
                    "proxy-header-too-large",
                    f"responses through {name} carry about {need} bytes of headers (session cookie"
                    + (" and Authorization" if auth_header else "")
                    + f"); ingress-nginx buffers {limit} bytes (proxy-buffer-size {value}): "
                    '"upstream sent too big header", a 502',
                    [token_ev, EvidenceRef("proxy", clean(ref), f"proxy-buffer-size {value}")],
                    f'annotate the Ingress `nginx.ingress.kubernetes.io/proxy-buffer-size: "{_bigger(need)}"`; or emit '
                    "fewer claims in the token",
                    origin=Origin.PREDICTED,
                    rank=9,
                )
            )
    if findings:
        return CheckResult.failed(findings)
    if not looked:
        return CheckResult.skipped("no nginx header buffer (Kubeapps frontend, ingress-nginx) in front of a proxy")
    return CheckResult.passed(f"a {size}-byte token fits the header buffers seen")


def _is_nginx(ing: dict[str, Any]) -> bool:
    """An Ingress served by ingress-nginx: its class says nginx, or it carries nginx annotations."""
    meta = as_dict(ing.get("metadata"))
    ann = as_dict(meta.get("annotations"))
    cls = str(as_dict(ing.get("spec")).get("ingressClassName") or ann.get("kubernetes.io/ingress.class") or "")
    if cls:
        return "nginx" in cls
    return any(str(k).startswith("nginx.ingress.kubernetes.io/") for k in ann) or not ann


def _bigger(need: int) -> str:
    k = 8
    while k * 1024 < need * 2:
        k *= 2
    return f"{k}k"


# --- settings oauth2-proxy refuses ------------------------------------------------------------


def check_config_valid(ev: Evidence, ctx: Context) -> CheckResult:
    """Settings oauth2-proxy refuses at start or silently ignores."""
    state = _state(ctx)
    if (r := _no_proxy(state)) is not None:
        return r
    findings: list[Finding] = []
    for cfg in state.configs:
        inst = cfg.instance
        for p in cfg.problems:
            if p.setting in ("cookie-refresh", "cookie-expire"):
                fix = "make --cookie-refresh shorter than --cookie-expire (or --cookie-expire=0)"
            elif p.setting == "cookie-secret":
                fix = "a cookie secret of 16, 24 or 32 bytes: `openssl rand -base64 32 | tr -- '+/' '-_'`" + (
                    " in `authProxy.cookieSecret`" if inst.kubeapps else ""
                )
            else:
                fix = "change the setting the message names"
            findings.append(
                Finding(
                    "proxy-config-invalid",
                    f"{inst.ref}: {clean(p.message)}",
                    [EvidenceRef("proxy", clean(p.ref), clean(p.message))],
                    fix,
                    origin=Origin.CONFIG,
                    rank=7,
                )
            )
    if findings:
        return CheckResult.failed(findings)
    return CheckResult.passed("no setting oauth2-proxy would refuse")


CHECKS: list[Check] = [
    Check(
        "proxy.cookie-refresh",
        ("proxy-cookie-refresh-missing", "proxy-cookie-refresh-too-long"),
        check_cookie_refresh,
        "--cookie-refresh is set and shorter than the token lifetime and --cookie-expire",
    ),
    Check(
        "proxy.refresh-support",
        ("proxy-refresh-unsupported",),
        check_refresh_support,
        "the provider refreshes sessions in this oauth2-proxy release",
    ),
    Check(
        "proxy.client-audience",
        ("audience-mismatch",),
        check_audience,
        "the proxy's --client-id is an audience the API server accepts",
    ),
    Check("proxy.issuer", ("issuer-mismatch",), check_issuer, "proxy and API server use the same issuer"),
    Check(
        "proxy.scope-claims",
        ("groups-claim-missing", "username-claim-missing"),
        check_scope_claims,
        "--scope asks for the claims the API server reads",
    ),
    Check(
        "proxy.token-forwarded",
        ("proxy-token-not-forwarded",),
        check_token_forwarded,
        "the id_token reaches the API server",
    ),
    Check(
        "proxy.authz-header-exposed",
        ("proxy-authorization-header-exposed",),
        check_header_exposed,
        "--set-authorization-header is not left on",
    ),
    Check(
        "proxy.header-size",
        ("proxy-header-too-large",),
        check_header_size,
        "the token fits the nginx header buffers",
    ),
    Check(
        "proxy.config-valid",
        ("proxy-config-invalid",),
        check_config_valid,
        "no setting oauth2-proxy refuses",
    ),
]
