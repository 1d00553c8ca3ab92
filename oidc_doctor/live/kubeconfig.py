"""Kubeconfig loading: files, merging, context selection, with lightkube's config model.

lightkube's ``KubeConfig.from_dict`` / ``get`` parse the file and select the context (its typed
``Cluster``/``User`` records). Around it this module does what kubectl does and lightkube does
not (client-go ``tools/clientcmd/loader.go``):

- ``KUBECONFIG`` may list several files (``os.pathsep``-separated); they are merged, the first
  file to define a cluster, user or context name wins, and the first ``current-context`` set wins.
- Relative paths (certificate files, ``tokenFile``, an exec command containing a ``/``) resolve
  against the directory of the file that names them, before merging.

Credentials are never printed: errors name the file and the field, not the value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from oidc_doctor.errors import InputError

DEFAULT_PATH = "~/.kube/config"

_CLUSTER_PATHS = ("certificate-authority",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")


@dataclass
class LoadedConfig:
    """The selected context: lightkube's ``SingleConfig`` plus where it came from."""

    single: Any  # lightkube.config.kubeconfig.SingleConfig
    files: list[Path]
    context: str

    @property
    def server(self) -> str:
        """The API server URL of the context's cluster."""
        return str(self.single.cluster.server)

    @property
    def namespace(self) -> str:
        """The context's namespace (``default`` when unset)."""
        return str(self.single.namespace)


def config_paths(explicit: str | None, env: dict[str, str] | None = None) -> list[Path]:
    """The files to read: ``--kubeconfig``, else ``$KUBECONFIG`` (a list), else ``~/.kube/config``."""
    env = dict(os.environ) if env is None else env
    if explicit:
        return [Path(explicit).expanduser()]
    if env.get("KUBECONFIG"):
        return [Path(p).expanduser() for p in env["KUBECONFIG"].split(os.pathsep) if p]
    home = env.get("HOME")
    return [Path(home) / ".kube" / "config" if home else Path(DEFAULT_PATH).expanduser()]


def _resolve(entry: dict[str, Any], keys: tuple[str, ...], base: Path) -> None:
    for k in keys:
        v = entry.get(k)
        if isinstance(v, str) and v and not Path(v).expanduser().is_absolute():
            entry[k] = str(base / v)
        elif isinstance(v, str) and v.startswith("~"):
            entry[k] = str(Path(v).expanduser())


#: Larger than any real kubeconfig; a huge file given by mistake is refused before it is parsed.
MAX_KUBECONFIG_BYTES = 16 << 20


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_KUBECONFIG_BYTES:
                raise InputError(str(path), "is larger than 16 MiB: not a kubeconfig")
            text = f.read().decode("utf-8")
    except OSError as e:
        raise InputError(str(path), f"cannot read kubeconfig: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise InputError(str(path), "kubeconfig is not UTF-8 text") from e
    try:
        doc = yaml.safe_load(text) or {}
    except RecursionError as e:
        raise InputError(str(path), "kubeconfig YAML is nested too deeply") from e
    except ValueError as e:  # an integer of more than 4,300 digits
        raise InputError(str(path), f"broken kubeconfig YAML: {str(e).split(';')[0]}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(str(path), f"broken kubeconfig YAML{line}") from e
    if not isinstance(doc, dict):
        raise InputError(str(path), "kubeconfig is not a YAML mapping")
    from oidc_doctor.loader import check_aliases

    check_aliases([doc], text.encode(), str(path))
    _check_shape(doc, str(path))
    base = path.parent
    for c in doc.get("clusters") or []:
        if isinstance(c, dict) and isinstance(c.get("cluster"), dict):
            _resolve(c["cluster"], _CLUSTER_PATHS, base)
    for u in doc.get("users") or []:
        if isinstance(u, dict) and isinstance(u.get("user"), dict):
            _resolve(u["user"], _USER_PATHS, base)
            ex = u["user"].get("exec")
            # client-go resolves an exec command only when it contains a path separator
            if isinstance(ex, dict) and isinstance(ex.get("command"), str) and os.sep in ex["command"]:
                _resolve(ex, ("command",), base)
    return doc


_SECTIONS = {"clusters": "cluster", "users": "user", "contexts": "context"}


def _check_shape(doc: dict[str, Any], where: str) -> None:
    """Refuse shapes kubectl refuses, before lightkube (which trusts its input) sees them."""
    for section, payload in _SECTIONS.items():
        entries = doc.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise InputError(where, f"kubeconfig {section} is not a list")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise InputError(where, f"kubeconfig {section}[{i}] has no name")
            if not isinstance(entry.get(payload), dict):
                raise InputError(where, f"kubeconfig {section}[{i}] ({entry['name']}) has no {payload} mapping")
    cur = doc.get("current-context")
    if cur is not None and not isinstance(cur, str):
        raise InputError(where, "kubeconfig current-context is not a string")


def merge(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """kubectl's merge: first definition of each name wins; first current-context wins."""
    out: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
    seen: dict[str, set[str]] = {"clusters": set(), "users": set(), "contexts": set()}
    for doc in docs:
        if "current-context" not in out and doc.get("current-context"):
            out["current-context"] = doc["current-context"]
        for section in ("clusters", "users", "contexts"):
            for entry in doc.get(section) or []:
                if not isinstance(entry, dict) or "name" not in entry:
                    continue
                if entry["name"] not in seen[section]:
                    seen[section].add(entry["name"])
                    out[section].append(entry)
    return out


def load(context: str | None = None, path: str | None = None, env: dict[str, str] | None = None) -> LoadedConfig:
    """Load the kubeconfig and select ``context`` (default: the current context)."""
    import msgspec
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.core.exceptions import ConfigError

    paths = config_paths(path, env)
    docs = []
    for p in paths:
        if p.exists() or path:
            docs.append(_read(p))
    where = os.pathsep.join(str(p) for p in paths)
    if not docs:
        raise InputError(where, "no kubeconfig found (set --kubeconfig or KUBECONFIG)")
    merged = merge(docs)
    try:
        kc = KubeConfig.from_dict(merged, fname=paths[0])
        single = kc.get(context)
    except ConfigError as e:
        raise InputError(where, str(e)) from e
    except KeyError as e:
        raise InputError(where, f"context refers to a missing cluster or user {e}") from e
    except msgspec.ValidationError as e:
        raise InputError(where, f"invalid kubeconfig: {e}") from e
    except (TypeError, ValueError, AttributeError) as e:  # lightkube trusts its input's shape
        raise InputError(where, f"invalid kubeconfig: {type(e).__name__}") from e
    if single is None:  # pragma: no cover - get() raises instead when no default is given
        raise InputError(where, "no current context")
    if single.user is None:
        raise InputError(where, f"context {single.context_name!r} names no user")
    return LoadedConfig(single=single, files=paths, context=str(single.context_name))
