"""oauth2-proxy (and Kubeapps) and Headlamp settings as :class:`~oidc_doctor.clients.OidcClient` records.

The settings themselves are read by ``oidc_doctor.proxy.settings`` (oauth2-proxy: args,
``OAUTH2_PROXY_*`` env, TOML, alpha config), ``oidc_doctor.proxy.kubeapps`` (the Kubeapps chart's
values) and ``oidc_doctor.proxy.headlamp`` (Headlamp: flags, ``HEADLAMP_CONFIG_*`` env, chart
values); this module only says which of them is the issuer, the client id, the scopes and the
token sent, and where the user sets each option. kubelogin's adapter is
``oidc_doctor.proxy.kubelogin``.
"""

from __future__ import annotations

from oidc_doctor.clients import ClientKind, Container, HelmValues, OidcClient, Option, Setting, TokenKind, Where
from oidc_doctor.proxy.alpha import ALPHA_PATHS
from oidc_doctor.proxy.headlamp import CHART_KEY, ENV_PREFIX, HeadlampConfig, scopes_of
from oidc_doctor.proxy.kubeapps import ACCESS_TOKEN_VALUE, KubeappsInfo
from oidc_doctor.proxy.options import OPTIONS, option
from oidc_doctor.proxy.providers import DEFAULT_SCOPE
from oidc_doctor.proxy.settings import ProxyConfig

#: oauth2-proxy providers whose groups do not depend on a requested scope (Entra ID / Azure emit
#: them by app setting; Google, GitHub and GitLab groups come from their APIs).
GROUPS_WITHOUT_SCOPE = frozenset({"azure", "entra-id", "adfs", "google", "github", "gitlab"})


def proxy_container(cfg: ProxyConfig) -> Container:
    """Where a plain oauth2-proxy container's options are set: args, env, ``--config``, alpha config."""
    inst = cfg.instance
    files = {}
    if cfg.config_file:
        files["config-file"] = f"{cfg.config_file} ({cfg.config_file_ref or cfg.config_file_why})"
    if cfg.alpha_config:
        files["alpha-config"] = f"{cfg.alpha_config} ({cfg.alpha_config_ref or 'file not in the evidence'})"
    return Container(
        workload=inst.workload.short,
        container=inst.container_name,
        env_names=ENV_NAMES,
        file_keys=FILE_KEYS,
        alpha_paths=ALPHA_PATHS if cfg.alpha_config else {},
        files=files,
    )


#: oauth2-proxy option -> its environment variable and its ``--config`` key (``options.py``).
ENV_NAMES = {flag: option(flag).env for flag in OPTIONS}
FILE_KEYS = {flag: cfg_key for flag, (cfg_key, _) in OPTIONS.items()}


def where_proxy(cfg: ProxyConfig) -> Where:
    """Where the user sets this proxy's options."""
    if isinstance(cfg.chart, HelmValues):
        return cfg.chart
    container = proxy_container(cfg)
    return cfg.kubeapps.helm(container) if isinstance(cfg.kubeapps, KubeappsInfo) else container


def _token(cfg: ProxyConfig) -> tuple[Setting, TokenKind]:
    info = cfg.kubeapps
    if isinstance(info, KubeappsInfo):
        # bitnami/kubeapps frontend nginx: with frontend.proxypassAccessTokenAsBearer it sends
        # oauth2-proxy's X-Forwarded-Access-Token as the bearer token instead of the id_token.
        on = bool(info.frontend_values.get(ACCESS_TOKEN_VALUE))
        ref = f"{info.release.ref} frontend.{ACCESS_TOKEN_VALUE}" if info.release else cfg.instance.ref
        source = "helm-values" if info.values_seen else "default"
        s = Setting(
            ACCESS_TOKEN_VALUE, on, source, ref, dash="frontend.", program="the Kubeapps chart", unset_by="values"
        )
        return s, TokenKind.ACCESS_TOKEN if on else TokenKind.ID_TOKEN
    return cfg.get("pass-authorization-header"), TokenKind.ID_TOKEN


def from_proxy(cfg: ProxyConfig) -> OidcClient:
    """The OIDC client an oauth2-proxy (plain or Kubeapps') is."""
    inst = cfg.instance
    sc, prov = cfg.get("scope"), cfg.get("provider")
    provider = str(prov.value or "") if prov.known else ""
    scopes: tuple[str, ...] | None = None
    if sc.known and prov.known:
        if not sc.value:
            # the provider's own default applies (providers/*.go); say so in the evidence
            sc = Setting(
                "scope", DEFAULT_SCOPE.get(provider, ""), "default", sc.ref, program=f"the {provider} provider"
            )
        scopes = tuple(str(sc.value or "").split())
    token_setting, token = _token(cfg)
    iss = cfg.get("oidc-issuer-url")
    aud = cfg.get("oidc-extra-audience")
    return OidcClient(
        kind=ClientKind.OAUTH2_PROXY,
        ref=inst.ref,
        source="proxy",
        settings={
            Option.ISSUER: iss,
            Option.CLIENT_ID: cfg.get("client-id"),
            Option.SCOPES: sc,
            Option.TOKEN: token_setting,
        },
        where=where_proxy(cfg),
        scopes=scopes,
        scope_join=" ",
        token=token,
        extra_audiences=tuple(str(a) for a in aud.value) if aud.known and isinstance(aud.value, list) else (),
        provider=provider,
        groups_without_scope=provider in GROUPS_WITHOUT_SCOPE,
        builtin_issuer=iss.known and not iss.value,
        product="Kubeapps" if isinstance(cfg.kubeapps, KubeappsInfo) else "",
    )


def from_headlamp(cfg: HeadlampConfig) -> OidcClient:
    """The OIDC client Headlamp's own login is."""
    sc, uat = cfg.get("oidc-scopes"), cfg.get("oidc-use-access-token")
    container = Container(
        workload=cfg.workload.short,
        container=cfg.container_name,
        env_names={flag: ENV_PREFIX + flag.upper().replace("-", "_") for flag in CHART_KEY},
    )
    ch = cfg.helm
    where: Where = container
    if ch is not None:
        where = HelmValues(
            release=ch.release,
            namespace=ch.namespace,
            chart="headlamp/headlamp",
            version=ch.chart_version,
            container=container,
            paths={flag: f"config.oidc.{key}" for flag, key in CHART_KEY.items()},
        )
    token = None if not uat.known else TokenKind.ACCESS_TOKEN if uat.value is True else TokenKind.ID_TOKEN
    return OidcClient(
        kind=ClientKind.HEADLAMP,
        ref=cfg.ref,
        source="dashboard",
        settings={
            Option.ISSUER: cfg.get("oidc-idp-issuer-url"),
            Option.CLIENT_ID: cfg.get("oidc-client-id"),
            Option.SCOPES: sc,
            Option.TOKEN: uat,
        },
        where=where,
        scopes=tuple(scopes_of(sc.value)) if sc.known else None,
        scope_join=",",
        token=token,
    )
