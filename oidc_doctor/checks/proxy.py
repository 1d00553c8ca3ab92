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

from oidc_doctor.causes import fix_for
from oidc_doctor.change import Change, Op, Target
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.clients import Setting, how_to_set
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.gosyntax import go_duration_str
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, Origin
from oidc_doctor.proxy import helm
from oidc_doctor.proxy.adapters import where_proxy
from oidc_doctor.proxy.chart import is_oauth2_proxy_values
from oidc_doctor.proxy.headlamp import HeadlampConfig, is_headlamp_values, read_headlamp
from oidc_doctor.proxy.headlamp import from_values_file as headlamp_from_values
from oidc_doctor.proxy.kubeapps import (
    COOKIE_REFRESH_SINCE,
    DEFAULT_LARGE_CLIENT_HEADER_BUFFERS,
    KubeappsInfo,
    attach,
    parse_chart_version,
    show_chart,
)
from oidc_doctor.proxy.objects import as_dict, as_list
from oidc_doctor.proxy.providers import refresh_support, show
from oidc_doctor.proxy.settings import ProxyConfig, find_proxies, problems_from_validation, read_settings
from oidc_doctor.shell import helm_set, join, placeholder
from oidc_doctor.text import clean, human_duration


@dataclass
class ProxyState:
    """What the deriver found, shared by the proxy checks (``ctx.facts.proxy``)."""

    configs: list[ProxyConfig] = field(default_factory=list)
    releases: list[helm.HelmRelease] = field(default_factory=list)
    #: The current revision of each Helm release record (``releases`` without the values files).
    records: list[helm.HelmRelease] = field(default_factory=list)
    #: Every Headlamp container with OIDC settings (``checks.clients.headlamps``).
    headlamps: list[HeadlampConfig] = field(default_factory=list)
    #: Kubeapps releases with the auth proxy enabled but no Deployment in the evidence.
    orphan_kubeapps: list[helm.HelmRelease] = field(default_factory=list)
    ingresses: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    #: nginx ``large_client_header_buffers`` found in ConfigMaps: (ref, namespace, value).
    nginx_buffers: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Why the sources could not list proxies (a refused live list), empty when they could.
    blind: str = ""


def derive_proxies(ev: Evidence, ctx: Context) -> ProxyState:
    """Find proxies, read their settings and Helm values (the proxy area's facts)."""
    state = ProxyState(blind=ev.blind.get("proxy", ""))
    configmaps = [(i.ref, i.data) for i in ev.of(Kind.CONFIGMAP) if isinstance(i.data, dict)]
    state.records, state.errors = helm.latest_records([(i.data, i.ref) for i in ev.of(Kind.HELM_RELEASE)])
    values_files = [
        helm.from_values_file(i.data, i.ref)
        for i in ev.of(Kind.HELM_VALUES)
        if isinstance(i.data, dict) and helm.is_kubeapps_values(i.data)
    ]
    chart_proxies = [
        # named by the file (the item's ref ends with its kind)
        _from_chart_values(i.data, i.ref.removesuffix(f" {Kind.HELM_VALUES}"), configmaps)
        for i in ev.of(Kind.HELM_VALUES)
        if isinstance(i.data, dict) and is_oauth2_proxy_values(i.data)
    ]
    # latest(latest(records) + files) is latest(records + files): same winners, ties and order.
    state.releases = helm.latest([*state.records, *values_files])
    state.headlamps = find_headlamps(ev, state.records)
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
    for cfg in chart_proxies:
        cfg.problems.extend(problems_from_validation(cfg))
        state.configs.append(cfg)
    seen = {
        (c.kubeapps.namespace, c.kubeapps.release_name) for c in state.configs if isinstance(c.kubeapps, KubeappsInfo)
    }
    for r in state.releases:
        ap_value = r.values.get("authProxy")
        ap = as_dict(ap_value)
        attached = any(isinstance(c.kubeapps, KubeappsInfo) and c.kubeapps.release is r for c in state.configs)
        if (
            r.chart == "kubeapps"
            and (r.namespace, r.name) not in seen
            and not attached
            and ap.get("enabled")
            and not ap.get("external")
        ):
            state.orphan_kubeapps.append(r)
    state.ingresses = [(i.ref, i.data) for i in ev.of(Kind.INGRESS) if isinstance(i.data, dict)]
    for ref, cm in configmaps:
        ns = str(as_dict(cm.get("metadata")).get("namespace") or "default")
        for key, value in as_dict(cm.get("data")).items():
            if isinstance(value, str):
                m = re.search(r"large_client_header_buffers\s+(\d+\s+\d+[kKmM]?)\s*;", value)
                if m:
                    state.nginx_buffers.append((f"{ref} data.{key}", ns, m.group(1)))
    return state


def _from_chart_values(
    values: dict[str, object], ref: str, configmaps: list[tuple[str, dict[str, object]]]
) -> ProxyConfig:
    """The settings of a proxy known by its oauth2-proxy chart values alone: the container the chart
    renders, read as any container is, each setting named by the values key it came from."""
    from dataclasses import replace

    from oidc_doctor.clients import HelmValues
    from oidc_doctor.proxy.adapters import proxy_container
    from oidc_doctor.proxy.chart import CHART, CONTAINER, render
    from oidc_doctor.proxy.options import OPTIONS
    from oidc_doctor.proxy.providers import version_from_image
    from oidc_doctor.proxy.settings import VALUES_WORKLOAD, ProxyInstance, Workload

    rendered = render(values, ref)
    c = rendered.container
    inst = ProxyInstance(
        workload=Workload(VALUES_WORKLOAD, "NAMESPACE", "RELEASE", {}, ref, rendered.deployment),
        container=c,
        container_name=CONTAINER,
        index=0,
        image=str(c["image"]),
        version=version_from_image(str(c["image"])),
        kubeapps=False,
    )
    cfg = read_settings(inst, [*rendered.configmaps, *configmaps])
    keys = {f"{inst.ref} args[{i}]": f"{ref} {key}" for i, key in rendered.arg_keys.items()}
    for name, s in list(cfg.settings.items()):
        first = s.ref.split(", ", 1)[0]
        if first in keys:
            cfg.settings[name] = replace(s, ref=keys[first])
    for p in cfg.problems:
        p.ref = keys.get(p.ref, p.ref)
    listed = rendered.extra_args_list
    cfg.chart = HelmValues(
        release="RELEASE",
        namespace="NAMESPACE",
        chart=CHART,
        version=None,
        container=proxy_container(cfg),
        paths={} if listed is not None else {flag: f"extraArgs.{flag}" for flag in OPTIONS},
        flags_path="extraArgs" if listed is not None else None,
        flags=listed or (),
    )
    return cfg


def find_headlamps(ev: Evidence, records: list[helm.HelmRelease]) -> list[HeadlampConfig]:
    """Every Headlamp container with OIDC settings in the workloads of ``ev`` (``records``: the
    current Helm release records, for the chart's defaults), else Headlamp known by its values file."""
    found = [
        cfg
        for item in ev.of(Kind.WORKLOAD)
        if isinstance(item.data, dict)
        for cfg in read_headlamp(item.data, item.ref, records)
        if cfg.uses_oidc
    ]
    # A Pod of a Deployment in the same evidence would repeat its findings.
    managed = {c.workload.namespace for c in found if c.workload.kind != "Pod"}
    found = [c for c in found if c.workload.kind != "Pod" or c.workload.namespace not in managed]
    if not found:
        # Headlamp known only by its chart values (the user's values.yaml): its login settings.
        found = [
            cfg
            for item in ev.of(Kind.HELM_VALUES)
            if isinstance(item.data, dict) and is_headlamp_values(item.data)
            for cfg in [headlamp_from_values(item.data, item.ref)]
            if cfg.uses_oidc
        ]
    return found


def proxy_state(ctx: Context) -> ProxyState:
    """The proxies the deriver found (empty when it did not run)."""
    return ctx.facts.proxy if ctx.facts.proxy is not None else ProxyState()


def _no_proxy(state: ProxyState) -> CheckResult | None:
    if not state.configs:
        if state.blind:
            return CheckResult.unknown(f"could not list proxies: {state.blind}")
        return CheckResult.skipped("no oauth2-proxy container in the evidence")
    return None


def _ev(s: Setting) -> EvidenceRef:
    return EvidenceRef("proxy", clean(s.ref), clean(s.describe()))


def _chart_ev(info: KubeappsInfo) -> list[EvidenceRef]:
    if info.chart_version is None:
        return []
    return [EvidenceRef("proxy", clean(info.chart_version_ref), f"Kubeapps chart {show_chart(info.chart_version)}")]


def _flag_fix(cfg: ProxyConfig, flag: str) -> str:
    """How to set one flag (``--name=value``) on this proxy, in the user's terms."""
    name, _, value = flag.removeprefix("--").partition("=")
    return how_to_set(where_proxy(cfg), cfg.get(name), value)


def _lifetime(ctx: Context, client_ids: list[str] | None = None) -> tuple[float | None, EvidenceRef | None]:
    """The id_token lifetime: ``--token-lifetime``, else the token's exp - iat, else the identity
    provider's setting for the proxies' clients (Keycloak, Dex)."""
    if ctx.options.token_lifetime_s is not None:
        v = ctx.options.token_lifetime_s
        return v, EvidenceRef("token", "--token-lifetime", human_duration(v))
    if ctx.facts.token_lifetime_s is not None:
        v = ctx.facts.token_lifetime_s
        return v, EvidenceRef("token", clean(ctx.facts.token_ref or "token"), f"exp - iat = {human_duration(v)}")
    from oidc_doctor.checks.idp import idp_lifetime

    return idp_lifetime(ctx, client_ids or [])


# --- cookie refresh -------------------------------------------------------------------------


def _refresh_missing_fix(cfg: ProxyConfig) -> str:
    info = cfg.kubeapps
    if isinstance(info, KubeappsInfo) and info.args_override is None and not info.has_cookie_refresh_value:
        return (
            f"Kubeapps chart {show_chart(info.chart_version)} predates `authProxy.cookieRefresh`: upgrade the chart to "
            f">= {show_chart(COOKIE_REFRESH_SINCE)} (it sets `--cookie-refresh` from `authProxy.cookieRefresh`, "
            f"default 2m), or {info.add_flag_fix('--cookie-refresh=2m')}"
        )
    fix = _flag_fix(cfg, "--cookie-refresh=2m")
    return fix if isinstance(info, KubeappsInfo) else f"{fix} (shorter than the id_token lifetime)"


def check_cookie_refresh(ev: Evidence, ctx: Context) -> CheckResult:
    """``--cookie-refresh`` is set, and shorter than the token lifetime and ``--cookie-expire``."""
    state = proxy_state(ctx)
    findings: list[Finding] = []
    unknown: list[str] = []
    client_ids = [str(c.get("client-id").value) for c in state.configs if c.get("client-id").value]
    lifetime, lifetime_ev = _lifetime(ctx, client_ids)
    # A Helm release record that does not decode may hide a Kubeapps chart without refresh.
    unknown.extend(f"Helm release record unreadable: {e}" for e in state.errors)
    for r in state.orphan_kubeapps:
        if r.status == helm.VALUES_FILE and not parse_chart_version(r.chart_version):
            found, why = _values_file_refresh(r)
            findings.extend(found)
            unknown.extend(why)
            continue
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
                    change=_refresh_change("2m"),
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
                    change=_refresh_change(refresh_interval(lifetime)),
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
                    change=_refresh_change(refresh_interval(expire.value)),
                )
            )
        if lifetime is None:
            unknown.append(
                f"{inst.ref}: --cookie-refresh={go_duration_str(refresh)}; the token lifetime is unknown "
                "(give a token or --token-lifetime)"
            )
    return CheckResult.outcome(
        findings, unknown, f"cookie refresh shorter than the token lifetime ({human_duration(lifetime or 0)})"
    )


def refresh_interval(limit: float) -> str:
    """A ``--cookie-refresh`` comfortably shorter than ``limit`` seconds (whole minutes when it can)."""
    target = max(60.0, math.floor(limit * 0.4 / 60) * 60) if limit >= 120 else max(1.0, limit / 2)
    return go_duration_str(target).replace("m0s", "m") if target >= 60 else f"{int(target)}s"


def _refresh_change(value: str) -> Change:
    return Change(Target.PROXY, Op.SET, "--cookie-refresh", value)


def _too_long_fix(cfg: ProxyConfig, limit: float) -> str:
    return "a shorter interval: " + _flag_fix(cfg, f"--cookie-refresh={refresh_interval(limit)}")


def _values_file_refresh(r: helm.HelmRelease) -> tuple[list[Finding], list[str]]:
    """A Kubeapps values file without its chart version: only what the file itself sets can be judged.

    Kubeapps charts before 7.1.0 render no ``--cookie-refresh``; from 7.1.0 ``authProxy.cookieRefresh``
    renders it (default ``2m``); from 8.0.0 a non-empty ``authProxy.args`` replaces every default flag.
    """
    ap = as_dict(r.values.get("authProxy"))
    flags = [str(f) for key in ("extraFlags", "additionalFlags", "args") for f in as_list(ap.get(key))]
    refresh = [f.split("=", 1)[1] for f in flags if f.startswith("--cookie-refresh=")]
    if refresh and refresh[-1] not in ("0", "0s"):
        return [], []
    explicit = ap.get("cookieRefresh")
    zero = (refresh and refresh[-1] in ("0", "0s")) or str(explicit) in ("0", "0s")
    replaced = isinstance(ap.get("args"), list) and bool(ap.get("args")) and not refresh
    if zero or replaced:
        what = "authProxy.args replaces the chart's flags without one" if replaced else "it is set to 0"
        ev = [EvidenceRef("proxy", clean(r.ref), clean(f"authProxy: cookieRefresh={explicit}; flags {flags}"))]
        title = (
            f"The Kubeapps values in {r.ref} run the auth proxy without --cookie-refresh ({what}): users are "
            "logged out when the id_token expires"
        )
        fix = (
            "set `authProxy.cookieRefresh: 2m` (chart >= 7.1.0; with `authProxy.args` add `--cookie-refresh=2m` to it)"
        )
        return [Finding("proxy-cookie-refresh-missing", clean(title), ev, fix, origin=Origin.CONFIG)], []
    return [], [
        f"{r.ref}: Kubeapps values without the chart version: charts before {show_chart(COOKIE_REFRESH_SINCE)} set no "
        "--cookie-refresh (users are logged out when the id_token expires), later ones default authProxy.cookieRefresh "
        "to 2m; add the release record (`kubectl -n NAMESPACE get secret -l owner=helm -o yaml`) or the Deployment"
    ]


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
    return [Finding("proxy-cookie-refresh-missing", title, ev, fix, origin=Origin.CONFIG)]


# --- provider refresh support ----------------------------------------------------------------


def check_refresh_support(ev: Evidence, ctx: Context) -> CheckResult:
    """The provider can refresh sessions in the proxy's oauth2-proxy release."""
    state = proxy_state(ctx)
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
            )
        )
    return CheckResult.outcome(findings, unknown, "every proxy's provider refreshes sessions")


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
    return (
        f"use the generic OIDC provider: {_flag_fix(cfg, '--provider=oidc')} (with --oidc-issuer-url set), or "
        "keycloak-oidc on oauth2-proxy >= v7.2.0"
    )


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


def _ingress_auth(ing: dict[str, object]) -> tuple[str | None, list[str] | None]:
    ann = as_dict(as_dict(ing.get("metadata")).get("annotations"))
    url = ann.get("nginx.ingress.kubernetes.io/auth-url")
    headers = ann.get("nginx.ingress.kubernetes.io/auth-response-headers")
    hs = [h.strip() for h in str(headers).split(",") if h.strip()] if headers is not None else None
    return (str(url) if url else None), hs


def _ing_name(ref: str, ing: dict[str, object]) -> str:
    meta = as_dict(ing.get("metadata"))
    return f"Ingress {meta.get('namespace', 'default')}/{meta.get('name', '?')}"


def check_token_forwarded(ev: Evidence, ctx: Context) -> CheckResult:
    """The id_token reaches the API server: proxy passes it, the ingress forwards it, no anonymous 403."""
    state = proxy_state(ctx)
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
        if cfg.alpha_config:
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
    state = proxy_state(ctx)
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
            )
        )
    return CheckResult.outcome(findings, unknown, "no proxy exposes the id_token to browsers")


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
    state = proxy_state(ctx)
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
                )
            )
    if findings:
        return CheckResult.failed(findings)
    if not looked:
        return CheckResult.skipped("no nginx header buffer (Kubeapps frontend, ingress-nginx) in front of a proxy")
    return CheckResult.passed(f"a {size}-byte token fits the header buffers seen")


def _is_nginx(ing: dict[str, object]) -> bool:
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
    state = proxy_state(ctx)
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
                fix = fix_for("proxy-config-invalid")
            findings.append(
                Finding(
                    "proxy-config-invalid",
                    f"{inst.ref}: {clean(p.message)}",
                    [EvidenceRef("proxy", clean(p.ref), clean(p.message))],
                    fix,
                    origin=Origin.CONFIG,
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
