"""Kubeapps (Bitnami chart) knowledge: where the auth-proxy's settings live in the Helm values.

Facts from ``bitnami/charts`` ``bitnami/kubeapps`` (``templates/frontend/deployment.yaml`` and
``values.yaml`` at chart 7.0.4, 7.1.0, 7.8.13 and 8.0.0):

- The frontend Deployment holds containers ``nginx`` then ``auth-proxy`` (when
  ``authProxy.enabled`` and not ``authProxy.external``); the Deployment carries the label
  ``helm.sh/chart: kubeapps-<version>``.
- Chart < 7.1.0 renders ``--scope=openid email groups`` and no ``--cookie-refresh``: sessions are
  never refreshed. 7.1.0 (bitnami/charts#6465) added ``authProxy.cookieRefresh`` (default ``2m``)
  and ``authProxy.scope`` and renders ``--cookie-refresh={{ .Values.authProxy.cookieRefresh }}``.
- Extra flags: ``authProxy.additionalFlags`` up to 7.x, renamed ``authProxy.extraFlags`` in 8.0.0.
- 8.0.0 added ``authProxy.args``: when non-empty it *replaces* every default flag, including
  ``--cookie-refresh`` and ``--pass-authorization-header=true``.
- Client id, client secret and cookie secret reach the container as ``OAUTH2_PROXY_CLIENT_ID``,
  ``..._CLIENT_SECRET`` and ``..._COOKIE_SECRET`` from a Secret built from ``authProxy.clientID``,
  ``clientSecret``, ``cookieSecret`` (or ``authProxy.existingOauth2Secret``).
- ``frontend.largeClientHeaderBuffers`` (default ``"4 32k"``) sets nginx's
  ``large_client_header_buffers`` in the frontend ConfigMap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oidc_doctor.clients import Container, HelmValues, Setting, add_helm_flag, helm_upgrade
from oidc_doctor.proxy.helm import VALUES_FILE, HelmRelease
from oidc_doctor.proxy.settings import ProxyConfig

ChartVersion = tuple[int, int, int]

COOKIE_REFRESH_SINCE: ChartVersion = (7, 1, 0)
EXTRA_FLAGS_SINCE: ChartVersion = (8, 0, 0)
ARGS_SINCE: ChartVersion = (8, 0, 0)
DEFAULT_LARGE_CLIENT_HEADER_BUFFERS = "4 32k"
#: The frontend sends oauth2-proxy's access token instead of the id_token with this value on.
ACCESS_TOKEN_VALUE = "proxypassAccessTokenAsBearer"

#: Values that render oauth2-proxy options (``values.yaml``, ``templates/frontend/deployment.yaml``)...
_PATHS = {
    "client-id": "authProxy.clientID",
    "provider": "authProxy.provider",
    ACCESS_TOKEN_VALUE: f"frontend.{ACCESS_TOKEN_VALUE}",
}
#: ... and from chart 7.1.0 on, while ``authProxy.args`` does not replace the rendered flags.
_PATHS_7_1 = {"scope": "authProxy.scope", "cookie-refresh": "authProxy.cookieRefresh"}


def parse_chart_version(text: str) -> ChartVersion | None:
    """``7.1.0`` or ``kubeapps-7.1.0`` → (7, 1, 0)."""
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def show_chart(v: ChartVersion | None) -> str:
    """``7.1.0`` or ``unknown``."""
    return "{}.{}.{}".format(*v) if v else "unknown"


@dataclass
class KubeappsInfo:
    """What the chart says about one Kubeapps auth-proxy."""

    release_name: str
    namespace: str
    chart_version: ChartVersion | None
    chart_version_ref: str
    release: HelmRelease | None = None
    auth_proxy_values: dict[str, Any] = field(default_factory=dict)
    frontend_values: dict[str, Any] = field(default_factory=dict)

    @property
    def values_seen(self) -> bool:
        """Whether the release's values were read."""
        return self.release is not None

    @property
    def flags_key(self) -> str:
        """The values key that appends flags: ``authProxy.additionalFlags`` (<= 7.x) or ``extraFlags``."""
        if self.chart_version is not None and self.chart_version < EXTRA_FLAGS_SINCE:
            return "additionalFlags"
        return "extraFlags"

    @property
    def has_cookie_refresh_value(self) -> bool:
        """Whether the chart knows ``authProxy.cookieRefresh`` (7.1.0 on)."""
        return self.chart_version is None or self.chart_version >= COOKIE_REFRESH_SINCE

    @property
    def args_override(self) -> list[str] | None:
        """``authProxy.args`` when it replaces the default flags (chart >= 8.0.0), else None."""
        args = self.auth_proxy_values.get("args")
        if isinstance(args, list) and args and (self.chart_version is None or self.chart_version >= ARGS_SINCE):
            return [str(a) for a in args]
        return None

    @property
    def extra_flags(self) -> list[str]:
        """The flags the user appended through ``additionalFlags``/``extraFlags``."""
        v = self.auth_proxy_values.get(self.flags_key)
        return [str(a) for a in v] if isinstance(v, list) else []

    @property
    def large_client_header_buffers(self) -> str | None:
        """``frontend.largeClientHeaderBuffers`` when the values were seen."""
        if not self.values_seen:
            return None
        v = self.frontend_values.get("largeClientHeaderBuffers")
        return str(v) if v else None

    def helm(self, container: Container | None = None) -> HelmValues:
        """Where this auth-proxy's options are set: the release's values, chart-version aware.

        ``container`` is the proxy container (for options no value renders); without it the
        release stands in for it (a release record without its Deployment).
        """
        override = self.args_override
        paths = dict(_PATHS)
        if override is None and self.has_cookie_refresh_value:
            paths.update(_PATHS_7_1)
        if override is not None:
            del paths["provider"]
        return HelmValues(
            release=self.release_name,
            namespace=self.namespace,
            chart="bitnami/kubeapps",
            version=show_chart(self.chart_version) if self.chart_version else None,
            container=container or Container(f"release {self.namespace}/{self.release_name}", "auth-proxy"),
            paths=paths,
            flags_path="authProxy.args" if override is not None else f"authProxy.{self.flags_key}",
            flags=tuple(override if override is not None else self.extra_flags),
            flags_replace_defaults=override is not None,
            values_seen=self.values_seen,
        )

    def helm_upgrade(self, *args: str) -> str:
        """The command that applies ``--set``-style arguments on top of the deployed values."""
        return helm_upgrade(self.helm(), *args)

    def add_flag_fix(self, flag: str) -> str:
        """How to add one oauth2-proxy flag in Helm terms for this chart version."""
        return add_helm_flag(self.helm(), flag)


def attach(cfg: ProxyConfig, releases: list[HelmRelease]) -> KubeappsInfo:
    """Find the release behind a Kubeapps auth-proxy and fold its values into the settings."""
    wl = cfg.instance.workload
    release_name = wl.labels.get("app.kubernetes.io/instance") or wl.name
    label = wl.labels.get("helm.sh/chart", "")
    version = parse_chart_version(label) if label.startswith("kubeapps-") else None
    version_ref = f"{wl.short} label helm.sh/chart={label}" if version else ""
    info = KubeappsInfo(release_name, wl.namespace, version, version_ref)
    matching = [r for r in releases if r.chart == "kubeapps" and r.name == release_name and r.namespace == wl.namespace]
    # A values file names no release: it stands for the one Kubeapps install when no record does.
    files = [r for r in releases if r.chart == "kubeapps" and r.status == VALUES_FILE]
    chosen = (matching or files)[:1]
    for r in chosen:
        info.release = r
        rv = parse_chart_version(r.chart_version)
        if rv is not None:
            info.chart_version = rv
            info.chart_version_ref = f"{r.ref} chart kubeapps-{r.chart_version}"
        ap = r.values.get("authProxy")
        info.auth_proxy_values = ap if isinstance(ap, dict) else {}
        fe = r.values.get("frontend")
        info.frontend_values = fe if isinstance(fe, dict) else {}
    cfg.kubeapps = info
    # The client id hides in a Secret; the chart builds that Secret from authProxy.clientID.
    cid = cfg.settings.get("client-id")
    ap = info.auth_proxy_values
    if (
        (cid is None or not cid.known)
        and info.values_seen
        and ap.get("clientID")
        and not ap.get("existingOauth2Secret")
    ):
        cfg.settings["client-id"] = Setting(
            "client-id",
            str(ap["clientID"]),
            "helm-values",
            f"{info.release.ref if info.release else ''} authProxy.clientID",
        )
    return info
