"""Read Headlamp's own OIDC settings from its container (flags, env, Helm chart labels and values).

Headlamp (kubernetes-sigs/headlamp) logs users in itself when started with ``-oidc-client-id``,
``-oidc-client-secret``, ``-oidc-idp-issuer-url`` and ``-oidc-scopes``; it then sends the user's
id_token (or, with ``-oidc-use-access-token``, the access token) to the API server.

Upstream facts encoded here (``backend/pkg/config/config.go``):
- options are Go ``flag`` flags (``oidc_doctor.gosyntax``: ``-name=value``, ``--name=value``,
  ``-name value`` for non-booleans, bare ``-name`` for booleans; parsing stops at the first
  non-flag argument or ``--``);
- the environment is read through koanf with prefix ``HEADLAMP_CONFIG_``: the rest of the name is
  lower-cased and ``_`` becomes ``-`` (``HEADLAMP_CONFIG_OIDC_CLIENT_ID`` → ``oidc-client-id``);
- a flag given explicitly beats the environment, which beats the flag's default;
- ``-oidc-scopes`` is a comma-separated list, default ``profile,email``.

The Helm chart (``charts/headlamp/templates/deployment.yaml``) puts ``config.oidc.*`` into env
variables ``OIDC_CLIENT_ID``, ``OIDC_ISSUER_URL``, ``OIDC_SCOPES``, ``OIDC_USE_ACCESS_TOKEN``
(from the Secret ``config.oidc.secret.name`` when ``config.oidc.secret.create`` is true, the
chart's default; literal values otherwise; ``envFrom`` the Secret ``config.oidc.externalSecret.name``
with ``externalSecret.enabled``) and passes them as ``-oidc-client-id=$(OIDC_CLIENT_ID)`` and so
on, which the kubelet expands. Secrets are named here, never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oidc_doctor.clients import Setting
from oidc_doctor.gosyntax import Syntax, go_bool, split_flags
from oidc_doctor.proxy.helm import HelmRelease
from oidc_doctor.proxy.objects import as_dict, as_list, dicts
from oidc_doctor.proxy.settings import VALUES_WORKLOAD, Workload, pod_spec, workload_of

ENV_PREFIX = "HEADLAMP_CONFIG_"

#: Boolean flags of Headlamp (``f.Bool`` registrations in upstream ``config.go``).
BOOL_FLAGS = frozenset(
    {
        "version",
        "in-cluster",
        "dev",
        "cache-enabled",
        "no-browser",
        "insecure-ssl",
        "enable-dynamic-clusters",
        "allow-kubeconfig-changes",
        "watch-plugins-changes",
        "enable-helm",
        "enable-cluster-inventory",
        "unsafe-use-service-account-token",
        "oidc-skip-tls-verify",
        "oidc-use-access-token",
        "oidc-use-cookie",
        "oidc-use-pkce",
        "proxy-auth",
        "tracing-enabled",
        "metrics-enabled",
        "use-otlp-http",
        "stdout-trace-enabled",
    }
)

#: Defaults of the options the checks read (upstream ``config.go`` flag registrations).
DEFAULTS: dict[str, Any] = {
    "oidc-client-id": "",
    "oidc-idp-issuer-url": "",
    "oidc-scopes": "profile,email",
    "oidc-use-access-token": False,
}

#: Headlamp option → the chart's ``config.oidc`` key (``charts/headlamp/values.yaml``).
CHART_KEY = {
    "oidc-client-id": "clientID",
    "oidc-client-secret": "clientSecret",
    "oidc-idp-issuer-url": "issuerURL",
    "oidc-scopes": "scopes",
    "oidc-callback-url": "callbackURL",
    "oidc-use-access-token": "useAccessToken",
}

_VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def hsetting(name: str, value: str | bool | None, source: str, ref: str) -> Setting:
    """One Headlamp option's value and where it came from, spelled the Go ``flag`` way (``-name``).

    ``source``: ``flag``, ``env``, ``env-secret`` (the value lives in a Secret: named, not read),
    ``helm-values`` (read from the Helm release record for a Secret-held value), ``default`` or
    ``unknown`` (an ``envFrom`` Secret may set it).
    """
    return Setting(name, value, source, ref, dash="-", program="Headlamp", unset_by="flag or env")


@dataclass
class HelmChart:
    """What the chart labels (and, when present, the release record) say about a Headlamp install."""

    release: str
    namespace: str
    chart_version: str
    values: dict[str, Any] | None = None  # config.oidc from the release record, when it was in the evidence


@dataclass
class HeadlampConfig:
    """One Headlamp container's OIDC settings."""

    workload: Workload
    container_name: str
    image: str
    settings: dict[str, Setting] = field(default_factory=dict)
    #: ``envFrom`` Secrets: they may set any ``HEADLAMP_CONFIG_*`` or ``$(VAR)`` (named, never read).
    hidden: list[str] = field(default_factory=list)
    helm: HelmChart | None = None

    @property
    def ref(self) -> str:
        """``deploy headlamp/headlamp container headlamp`` (``Headlamp chart values FILE`` from values alone)."""
        if self.workload.kind == VALUES_WORKLOAD:
            return f"Headlamp chart values {self.workload.ref}"
        return f"{self.workload.short} container {self.container_name}"

    def get(self, name: str) -> Setting:
        """The effective setting; the default when nothing visible sets it and nothing hidden could."""
        s = self.settings.get(name)
        if s is not None:
            return s
        if self.hidden:
            return hsetting(name, None, "unknown", "; ".join(self.hidden))
        return hsetting(name, DEFAULTS.get(name), "default", self.ref)

    @property
    def uses_oidc(self) -> bool:
        """Whether any ``oidc-*`` login option is set (or may be, from an ``envFrom`` Secret)."""
        return any(k in self.settings for k in ("oidc-client-id", "oidc-idp-issuer-url")) or bool(self.hidden)


def is_headlamp(container: dict[str, Any]) -> bool:
    """A container running the Headlamp server image (``ghcr.io/headlamp-k8s/headlamp``)."""
    image = str(container.get("image") or "")
    repo = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return repo == "headlamp"


def _env(container: dict[str, Any], where: str) -> tuple[dict[str, tuple[str | None, str]], list[str]]:
    """name → (literal value or None when from a Secret/ConfigMap, origin); and envFrom Secrets."""
    env: dict[str, tuple[str | None, str]] = {}
    for i, e in enumerate(dicts(container.get("env"))):
        name = str(e.get("name") or "")
        if not name:
            continue
        vf = as_dict(e.get("valueFrom"))
        if vf:
            sk = as_dict(vf.get("secretKeyRef"))
            cm = as_dict(vf.get("configMapKeyRef"))
            if sk:
                env[name] = (None, f"{where} env[{i}] {name} from Secret {sk.get('name')} key {sk.get('key')}")
            elif cm:
                env[name] = (None, f"{where} env[{i}] {name} from ConfigMap {cm.get('name')} key {cm.get('key')}")
            else:
                env[name] = (None, f"{where} env[{i}] {name} from a field reference")
        else:
            env[name] = (str(e.get("value") if e.get("value") is not None else ""), f"{where} env[{i}] {name}")
    hidden = []
    for i, ef in enumerate(dicts(container.get("envFrom"))):
        sr = as_dict(ef.get("secretRef"))
        cr = as_dict(ef.get("configMapRef"))
        if sr:
            hidden.append(f"{where} envFrom[{i}] Secret {sr.get('name')} (never read)")
        elif cr:
            hidden.append(f"{where} envFrom[{i}] ConfigMap {cr.get('name')} (not in the evidence)")
    return env, hidden


def _parse(name: str, raw: str) -> str | bool | None:
    if name in BOOL_FLAGS:
        return go_bool(raw)
    return raw


def read_headlamp(obj: dict[str, Any], ref: str, releases: list[HelmRelease] | None = None) -> list[HeadlampConfig]:
    """Every Headlamp container of one workload with its OIDC settings (containers without any too)."""
    if not isinstance(obj, dict) or not any(is_headlamp(c) for c in dicts(as_list(pod_spec(obj).get("containers")))):
        return []  # most workloads of a cluster: no Workload record is built for them
    wl = workload_of(obj, ref)
    if wl is None:
        return []
    chart = _chart(wl, releases or [])
    out = []
    for ci, c in enumerate(dicts(as_list(pod_spec(obj).get("containers")))):
        if not is_headlamp(c):
            continue
        cname = str(c.get("name") or f"#{ci}")
        where = f"{wl.short} container {cname}"
        env, hidden = _env(c, where)
        cfg = HeadlampConfig(wl, cname, str(c.get("image") or ""), hidden=hidden, helm=chart)
        for name, (value, origin) in env.items():
            if not name.startswith(ENV_PREFIX):
                continue
            opt = name[len(ENV_PREFIX) :].lower().replace("_", "-")
            cfg.settings[opt] = (
                hsetting(opt, _parse(opt, value), "env", origin)
                if value is not None
                else _from_secret(opt, origin, chart)
            )
        command = [str(x) for x in as_list(c.get("command"))]
        args = [str(x) for x in as_list(c.get("args"))]
        head = command[1:]  # command[0] is the program; its flags come before args
        for idx, name, raw in split_flags(head + args, BOOL_FLAGS.__contains__, Syntax.GO_FLAG):
            loc = f"{where} command[{idx + 1}]" if idx < len(head) else f"{where} args[{idx - len(head)}]"
            if raw is None:
                cfg.settings[name] = hsetting(name, True if name in BOOL_FLAGS else "", "flag", loc)
                continue
            cfg.settings[name] = _expand_flag(name, raw, loc, env, hidden, chart)
        out.append(cfg)
    return out


def _expand_flag(
    name: str,
    raw: str,
    loc: str,
    env: dict[str, tuple[str | None, str]],
    hidden: list[str],
    chart: HelmChart | None,
) -> Setting:
    """A flag value after the kubelet's ``$(VAR)`` expansion, with where its value came from."""
    refs = _VAR_REF.findall(raw)
    if not refs:
        return hsetting(name, _parse(name, raw), "flag", loc)
    origins = []
    text = raw
    for var in refs:
        if var in env:
            value, origin = env[var]
            if value is None:
                if raw == f"$({var})":
                    return _from_secret(name, f"{loc} = $({var}); {origin}", chart)
                return hsetting(name, None, "env-secret", f"{loc} = {raw}; {origin}")
            text = text.replace(f"$({var})", value)
            origins.append(origin)
        elif hidden:
            return hsetting(name, None, "unknown", f"{loc} = {raw}; $({var}) may come from " + "; ".join(hidden))
        # an undefined variable stays as written (the kubelet leaves $(VAR) unexpanded)
    where = f"{loc} = {raw}" + (f" via {', '.join(origins)}" if origins else "")
    return hsetting(name, _parse(name, text), "flag", where)


def _from_secret(name: str, origin: str, chart: HelmChart | None) -> Setting:
    """A Secret-held value: from the Helm release values when the chart created that Secret, else unseen."""
    key = CHART_KEY.get(name)
    if chart is not None and chart.values is not None and key and "secret" not in name:
        secret_name = str(as_dict(chart.values.get("secret")).get("name") or "oidc")
        if f"Secret {secret_name} key {key}" in origin and key in chart.values:
            value = chart.values[key]
            parsed = _parse(name, str(value).lower() if isinstance(value, bool) else str(value))
            return hsetting(
                name,
                parsed,
                "helm-values",
                f"{origin}; release {chart.namespace}/{chart.release} config.oidc.{key}",
            )
    return hsetting(name, None, "env-secret", origin)


def _chart(wl: Workload, releases: list[HelmRelease]) -> HelmChart | None:
    """The Headlamp chart install that renders this workload, from its labels (``headlamp.labels``)."""
    label = wl.labels.get("helm.sh/chart", "")
    if not label.startswith("headlamp-") or wl.labels.get("app.kubernetes.io/managed-by") != "Helm":
        return None
    release = wl.labels.get("app.kubernetes.io/instance") or wl.name
    chart = HelmChart(release, wl.namespace, label[len("headlamp-") :])
    for r in releases:
        if r.chart == "headlamp" and r.name == release and r.namespace == wl.namespace:
            oidc = as_dict(as_dict(r.values.get("config")).get("oidc"))
            chart.values = oidc
    return chart


def scopes_of(value: str | bool | None) -> list[str]:
    """Headlamp's comma-separated ``-oidc-scopes`` (``strings.Split`` on ``,``, blanks dropped)."""
    return [s.strip() for s in str(value or "").split(",") if s.strip()]


def is_headlamp_values(obj: dict[str, Any]) -> bool:
    """A Headlamp chart values file: ``config.oidc`` with the chart's keys (``charts/headlamp/values.yaml``)."""
    oidc = as_dict(as_dict(obj.get("config")).get("oidc"))
    return any(k in oidc for k in ("clientID", "issuerURL", "scopes", "useAccessToken"))


def from_values_file(values: dict[str, Any], ref: str) -> HeadlampConfig:
    """Headlamp's OIDC settings from its chart values alone (no Deployment, no release record).

    The chart renders ``config.oidc.*`` as ``-oidc-*`` options (through the ``oidc`` Secret), so each
    key set there is that option; unset keys keep Headlamp's defaults. The release name and
    namespace are not in a values file: fixes say RELEASE and NAMESPACE.
    """
    oidc = as_dict(as_dict(values.get("config")).get("oidc"))
    image = as_dict(values.get("image"))
    tag = str(image.get("tag") or "")
    wl = Workload(VALUES_WORKLOAD, "NAMESPACE", "RELEASE", {}, ref, values)
    cfg = HeadlampConfig(wl, "headlamp", f"ghcr.io/headlamp-k8s/headlamp:{tag}" if tag else "", helm=None)
    cfg.helm = HelmChart("RELEASE", "NAMESPACE", "", {k: v for k, v in oidc.items() if "secret" not in k.lower()})
    for name, key in CHART_KEY.items():
        if key in oidc and "secret" not in name:
            value = oidc[key]
            parsed = _parse(name, str(value).lower() if isinstance(value, bool) else str(value))
            cfg.settings[name] = hsetting(name, parsed, "helm-values", f"{ref} config.oidc.{key}")
    return cfg
