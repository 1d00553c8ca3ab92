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

import re
from typing import Any

REDACTED = "<redacted>"

_SECRET_WORD = re.compile(r"secret|password|passwd|token|jwt-key|private-key|datastore-endpoint", re.IGNORECASE)
_BOOL = {"true", "false", "1", "0", "t", "f", "True", "False", "TRUE", "FALSE"}
_TOML_LINE = re.compile(r"^(\s*)([A-Za-z0-9_.-]+)(\s*=\s*)(.+?)\s*$")
_YAML_LINE = re.compile(r"^(\s*-?\s*)([A-Za-z0-9_.-]+)(\s*:\s+)(\S.*?)\s*$")


def _norm(name: str) -> str:
    return name.lstrip("-").lower().replace("_", "-")


def looks_secret(name: str, value: str | None = None) -> bool:
    """Whether an option/variable/key named ``name`` holding ``value`` is a credential."""
    n = _norm(name)
    if not _SECRET_WORD.search(n) or n.endswith(("-file", "file")):
        return False
    if value is not None and value.strip().strip("'\"") in _BOOL:
        return False
    return value is None or value.strip().strip("'\"") != ""


def placeholder(name: str, value: str) -> str:
    """``<redacted>``, or for a cookie secret a placeholder oauth2-proxy would read as equally long."""
    n = _norm(name)
    if "cookie" in n and "secret" in n:
        from oidc_doctor.proxy.settings import secret_bytes

        size = len(secret_bytes(value.strip().strip("'\"")))
        # '<', '*', '>' are outside base64url: the placeholder is taken as raw bytes, like the value
        return ("<redacted" + "*" * max(0, size - 10) + ">")[:size] if size >= 10 else "*" * size
    return REDACTED


def redact_args(argv: list[Any]) -> list[Any]:
    """Container args or a k3s node-args list with credential values replaced."""
    out: list[Any] = []
    pending: str | None = None
    for word in argv:
        if not isinstance(word, str):
            out.append(word)
            pending = None
            continue
        if pending is not None and not word.startswith("-"):
            out.append(placeholder(pending, word))
            pending = None
            continue
        pending = None
        if word.startswith("-") and "=" in word:
            name, value = word.split("=", 1)
            out.append(f"{name}={placeholder(name, value)}" if looks_secret(name, value) else word)
            continue
        if word.startswith("-") and looks_secret(word):
            pending = word
        out.append(word)
    return out


def redact_text(text: str) -> str:
    """TOML (``key = value``) and YAML (``key: value``) lines whose key looks secret, redacted."""
    lines = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        for pattern in (_TOML_LINE, _YAML_LINE):
            m = pattern.match(body)
            if m and looks_secret(m.group(2), m.group(4)):
                value = m.group(4)
                quote = '"' if value.startswith('"') else ("'" if value.startswith("'") else "")
                new = placeholder(m.group(2), value)
                body = f"{m.group(1)}{m.group(2)}{m.group(3)}{quote}{new}{quote}"
                break
        lines.append(body + end)
    return "".join(lines)


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
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        ann = meta.get("annotations")
        if isinstance(ann, dict):
            # kubectl apply keeps the whole last-applied object here, secrets in args included
            ann.pop("kubectl.kubernetes.io/last-applied-configuration", None)
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
                    name = str(env.get("name") or "")
                    if looks_secret(name, env["value"]):
                        env["value"] = placeholder(name, env["value"])
    return obj


def redact_configmap(obj: dict[str, Any]) -> dict[str, Any]:
    """A ConfigMap (changed in place) with secret-looking keys and config lines redacted."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    data = obj.get("data")
    if isinstance(data, dict):
        for k, v in list(data.items()):
            if isinstance(v, str):
                data[k] = placeholder(k, v) if looks_secret(k, v) and "\n" not in v else redact_text(v)
    obj.pop("binaryData", None)
    return obj
