"""oauth2-proxy's own Helm chart: its values file alone, rendered as the chart renders the container.

Users of the ``oauth2-proxy/oauth2-proxy`` chart (github.com/oauth2-proxy/manifests,
``helm/oauth2-proxy``) paste their ``values.yaml`` when sessions end every five minutes. The chart
turns those values into the container's arguments, environment and files
(``templates/deployment.yaml``, ``templates/_helpers.tpl``; read at chart 10.7.0), and what matters
to a login is the same in the chart versions before it:

- ``extraArgs`` as a map: one ``--key=value`` per key, in key order (Go templates range over a
  map's keys sorted), the value through ``toString`` (``true``, ``30``); a null value is the bare
  ``--key``. As a list: its items, as written.
- ``config.configFile``: the TOML ``--config`` file (``/etc/oauth2_proxy/oauth2_proxy.cfg``), from
  a ConfigMap of the release; ``config.existingConfig`` names a ConfigMap the user made (not in the
  evidence). Without either, the chart's own file sets no option a login depends on
  (``email_domains``, ``upstreams``): it is left out.
- ``alphaConfig.enabled``: ``--alpha-config`` (the YAML of ``alphaConfig.configFile``, or of
  ``alphaConfig.configData``), and no ``--http-address``.
- ``config.clientID`` becomes ``OAUTH2_PROXY_CLIENT_ID`` through the release's Secret (its value is
  the client id: kept); the client and cookie secrets come from that Secret and are never read.
  ``extraEnv`` is added as written.
- ``image.repository`` and ``image.tag`` (without a tag the version is the chart's appVersion,
  which a values file does not say: unknown).

The release name and namespace are not in a values file: the rendered workload and the fixes say
``RELEASE`` and ``NAMESPACE``. Every argument remembers the values key it came from, so settings
name that key, not an argument position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from oidc_doctor.proxy.objects import as_dict, as_list

#: The chart, as ``helm upgrade`` names it.
CHART = "oauth2-proxy/oauth2-proxy"
CONFIG_FILE = "/etc/oauth2_proxy/oauth2_proxy.cfg"
ALPHA_FILE = "/etc/oauth2_proxy/oauth2_proxy.yml"
CONTAINER = "oauth2-proxy"

_CONFIG_KEYS = ("clientID", "clientSecret", "cookieSecret", "configFile", "existingSecret", "existingConfig")
_CHART_KEYS = ("extraArgs", "alphaConfig", "sessionStorage", "proxyVarsAsSecrets", "extraEnv", "httpScheme")


def is_oauth2_proxy_values(obj: dict[str, Any]) -> bool:
    """The values of the oauth2-proxy chart: its ``config`` section with a client or cookie key,
    beside one of the chart's own top-level keys (or its image). Kubeapps (``authProxy``) and
    Headlamp (``config.oidc``) values are not."""
    config = obj.get("config")
    if not isinstance(config, dict) or "authProxy" in obj or isinstance(config.get("oidc"), dict):
        return False
    if not any(k in config for k in _CONFIG_KEYS):
        return False
    image = str(as_dict(obj.get("image")).get("repository") or "")
    return any(k in obj for k in _CHART_KEYS) or "oauth2-proxy" in image


@dataclass
class Rendered:
    """The container the chart renders from the values, and where each argument came from."""

    deployment: dict[str, Any]
    #: ConfigMaps the chart makes from the values, with the values key that holds their text.
    configmaps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Argument position -> the values key that set it (``extraArgs.cookie-refresh``).
    arg_keys: dict[int, str] = field(default_factory=dict)
    #: ``extraArgs`` as a list (the flags it holds), or None when it is a map (or absent).
    extra_args_list: tuple[str, ...] | None = None

    @property
    def container(self) -> dict[str, Any]:
        """The rendered oauth2-proxy container."""
        spec: dict[str, Any] = self.deployment["spec"]["template"]["spec"]
        first: dict[str, Any] = spec["containers"][0]
        return first


def _to_string(value: Any) -> str:
    """Go template ``toString`` of a YAML value (booleans lower case, integers without a point)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def render(values: dict[str, Any], ref: str) -> Rendered:
    """The chart's container for these values (see the module doc for what is rendered)."""
    config = as_dict(values.get("config"))
    alpha = as_dict(values.get("alphaConfig"))
    alpha_on = bool(alpha.get("enabled"))
    out = Rendered(deployment={})
    args: list[str] = []
    if alpha_on:
        args.append(f"--alpha-config={ALPHA_FILE}")
    else:
        args += ["--http-address=0.0.0.0:4180", "--https-address=0.0.0.0:4443"]
    if config.get("cookieName"):
        out.arg_keys[len(args)] = "config.cookieName"
        args.append(f"--cookie-name={_to_string(config['cookieName'])}")
    extra = values.get("extraArgs")
    if isinstance(extra, dict):
        for key in sorted(extra, key=str):
            out.arg_keys[len(args)] = f"extraArgs.{key}"
            value = extra[key]
            args.append(f"--{key}" if value is None else f"--{key}={_to_string(value)}")
    elif isinstance(extra, list):
        out.extra_args_list = tuple(str(a) for a in extra)
        for i, a in enumerate(extra):
            out.arg_keys[len(args)] = f"extraArgs[{i}]"
            args.append(str(a))
    mounts: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    legacy = None if alpha_on and not config.get("forceLegacyConfig") else config
    if legacy is not None and (legacy.get("existingConfig") or legacy.get("configFile")):
        name = str(legacy.get("existingConfig") or "RELEASE")
        args.append(f"--config={CONFIG_FILE}")
        mounts.append({"mountPath": CONFIG_FILE, "name": "configmain", "subPath": "oauth2_proxy.cfg"})
        volumes.append({"name": "configmain", "configMap": {"name": name}})
        if not legacy.get("existingConfig"):
            cm = _configmap(name, "oauth2_proxy.cfg", str(legacy["configFile"]))
            out.configmaps.append((f"{ref} config.configFile", cm))
    if alpha_on:
        mounts.append({"mountPath": ALPHA_FILE, "name": "configalpha", "subPath": "oauth2_proxy.yml"})
        volumes.append({"name": "configalpha", "configMap": {"name": "RELEASE-alpha"}})
        text = _alpha_text(alpha)
        if text is not None:
            key = "alphaConfig.configFile" if alpha.get("configFile") else "alphaConfig.configData"
            out.configmaps.append((f"{ref} {key}", _configmap("RELEASE-alpha", "oauth2_proxy.yml", text)))
    env: list[dict[str, Any]] = []
    secret = str(config.get("existingSecret") or "RELEASE")
    required = as_list(config.get("requiredSecretKeys")) or ["client-id", "client-secret", "cookie-secret"]
    if values.get("proxyVarsAsSecrets", True):
        for key, name in (
            ("client-id", "OAUTH2_PROXY_CLIENT_ID"),
            ("client-secret", "OAUTH2_PROXY_CLIENT_SECRET"),
            ("cookie-secret", "OAUTH2_PROXY_COOKIE_SECRET"),
        ):
            if key not in required:
                continue
            if key == "client-id" and not config.get("existingSecret") and config.get("clientID"):
                # the chart's Secret holds config.clientID: an identifier, not a credential
                env.append({"name": name, "value": _to_string(config["clientID"])})
            else:
                env.append({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
    env += [e for e in as_list(values.get("extraEnv")) if isinstance(e, dict)]
    image = as_dict(values.get("image"))
    repository = str(image.get("repository") or "oauth2-proxy/oauth2-proxy")
    tag = _to_string(image["tag"]) if image.get("tag") not in (None, "") else ""
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": f"quay.io/{repository}:{tag}" if tag else f"quay.io/{repository}",
        "args": args,
        "env": env,
        "volumeMounts": mounts,
    }
    if isinstance(values.get("envFrom"), list):
        container["envFrom"] = values["envFrom"]
    out.deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "RELEASE", "namespace": "NAMESPACE"},
        "spec": {"template": {"spec": {"containers": [container], "volumes": volumes}}},
    }
    return out


def _configmap(name: str, key: str, text: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": "NAMESPACE"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {key: text}}


def _alpha_text(alpha: dict[str, Any]) -> str | None:
    """The alpha config the chart writes: ``configFile`` as written, else ``configData`` as YAML."""
    if alpha.get("configFile"):
        return str(alpha["configFile"])
    data = alpha.get("configData")
    if isinstance(data, dict) and data:
        import yaml

        text: str = yaml.safe_dump(data, default_flow_style=False, sort_keys=False)
        return text
    return None
