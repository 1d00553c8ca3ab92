"""Redaction of credentials in objects ``collect`` copies (BUNDLE.md "Secrets").

A bundle goes to someone outside the cluster, so values that look like credentials are replaced
before anything is written: ``--client-secret=...`` and ``--cookie-secret ...`` in container
args, literal ``OAUTH2_PROXY_*_SECRET`` env values, ``client_secret = "..."`` lines of an
oauth2-proxy TOML or alpha config, k3s/RKE2 ``--token`` and ``--datastore-endpoint`` (a database
URL with a password). Boolean flags (``--pass-access-token=true``) and file paths
(``--client-secret-file=...``) are kept: the checks read them and they hold no secret.

A cookie secret is replaced by a placeholder of the same decoded length, because oauth2-proxy
refuses secrets that are not 16, 24 or 32 bytes (``proxy-config-invalid``) and a placeholder of
another length would invent that finding.
"""

from __future__ import annotations

from typing import Any

from oidc_doctor.secrets import looks_secret, mask_args, mask_config, mask_env, mask_tree, placeholder


def redact_args(argv: list[Any]) -> list[Any]:
    """Container args or a k3s node-args list with credential values replaced."""
    return mask_args(argv)


def redact_text(text: str) -> str:
    """A config body (TOML, alpha config JSON/YAML) with credential values replaced."""
    return mask_config(text)


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    if obj.get("kind") == "Pod":
        return spec
    template = spec.get("template")
    inner = template.get("spec") if isinstance(template, dict) else None
    return inner if isinstance(inner, dict) else None


def redact_workload(obj: dict[str, Any]) -> dict[str, Any]:
    """A Pod or workload (changed in place) with credential args and literal env values redacted."""
    _redact_metadata(obj)
    spec = _pod_spec(obj)
    if spec is None:
        return obj
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if not isinstance(c, dict):
                continue
            for field in ("command", "args"):
                if isinstance(c.get(field), list):
                    c[field] = redact_args(c[field])
            for env in c.get("env") or []:
                if isinstance(env, dict) and isinstance(env.get("value"), str):
                    env["value"] = mask_env(str(env.get("name") or ""), env["value"])
    return obj


def redact_ingress(obj: dict[str, Any]) -> dict[str, Any]:
    """An Ingress (changed in place) with credentials in its annotations masked: an ingress-nginx
    ``configuration-snippet`` may set a static ``Authorization: Bearer ...`` header."""
    _redact_metadata(obj)
    return obj


def _redact_metadata(obj: dict[str, Any]) -> None:
    """No managedFields; annotations masked, and kubectl's last-applied copy of the whole object (secrets
    in args included) dropped."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        ann = meta.get("annotations")
        if isinstance(ann, dict):
            ann.pop("kubectl.kubernetes.io/last-applied-configuration", None)
            meta["annotations"] = mask_tree(ann)


def redact_configmap(obj: dict[str, Any]) -> dict[str, Any]:
    """A ConfigMap (changed in place) with secret-looking keys and config lines redacted."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    data = obj.get("data")
    if isinstance(data, dict):
        for k, v in list(data.items()):
            if isinstance(v, str):
                data[k] = placeholder(k, v) if looks_secret(k, v) and "\n" not in v else mask_config(v)
    obj.pop("binaryData", None)
    return obj
