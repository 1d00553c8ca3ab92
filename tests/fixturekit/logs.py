# ruff: noqa: E501  -- log lines are kept whole, as the programs print them
"""Log lines as kube-apiserver, k3s/RKE2 (journald), oauth2-proxy and ingress-nginx print them."""

from __future__ import annotations

import json
from typing import Any

from fixturekit.clock import NOW, go_time, klog_time

#: A browser's User-Agent.
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"


def go_quote(s: str) -> str:
    """Go's %q for the ASCII strings used here (JSON's escaping is the same for them)."""
    return json.dumps(s)


def _when(at: float | str) -> str:
    return at if isinstance(at, str) else klog_time(at)


def klog(sev: str, at: float | str, caller: str, msg: str, pid: int = 1) -> str:
    """A klog text line: ``<sev><MMDD hh:mm:ss.uuuuuu> <pid> <file:line>] <msg>``.

    ``at``: seconds from NOW, or the header time as printed (``1128 10:24:58.123456``).
    """
    return f"{sev}{_when(at)} {pid:>7} {caller}] {msg}"


def unable(err: str, at: float | str, pid: int = 1) -> str:
    """kube-apiserver >= 1.21 rejecting a bearer token (structured klog, ``authentication.go:73``).

    ``err`` is the bearer-token union's error list: ``[invalid bearer token, oidc: ...]``.
    """
    return klog("E", at, "authentication.go:73", f'"Unable to authenticate the request" err={go_quote(err)}', pid)


def unable_legacy(err: str, at: float | str, pid: int = 1, line: int = 62) -> str:
    """kube-apiserver < 1.21 rejecting a bearer token (``klog.Errorf``, unquoted; seen in
    kubernetes/kubernetes#70601: ``authentication.go:62] Unable to authenticate the request due to an error: [...]``)."""
    return klog("E", at, f"authentication.go:{line}", f"Unable to authenticate the request due to an error: {err}", pid)


def oidc_init_failed(at: float | str, issuer: str, cause: str) -> str:
    """The OIDC authenticator failing to fetch discovery at start (``oidc.go:335``)."""
    return klog(
        "E",
        at,
        "oidc.go:335",
        f'oidc authenticator: initializing plugin: Get "{issuer}/.well-known/openid-configuration": {cause}',
    )


def expired(exp: int) -> str:
    """go-oidc's error for an expired token, as the API server wraps it."""
    return f"[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: {go_time(exp)})]"


def audience(want: str, got: str) -> str:
    """go-oidc's error for a token issued to another client, as the API server wraps it."""
    return f'[invalid bearer token, oidc: verify token: oidc: expected audience "{want}" got ["{got}"]]'


NOT_INITIALIZED = "[invalid bearer token, oidc: authenticator not initialized]"


def json_line(at: float, caller: str, msg: str, **fields: Any) -> str:
    """One ``--logging-format=json`` line (``ts`` in seconds from NOW)."""
    return json.dumps({"ts": NOW + at, "caller": caller, "msg": msg, **fields}, separators=(",", ":"))


def lines(*items: str) -> str:
    """A log file: the lines, each ending with a newline."""
    return "".join(f"{line}\n" for line in items)


def journald(stamp: str, host: str, unit: str, pid: int, text: str) -> str:
    """``journalctl`` short format: ``Nov 28 10:25:02 host unit[pid]: text``."""
    return f"{stamp} {host} {unit}[{pid}]: {text}"


def logrus(when: str, msg: str, level: str = "info") -> str:
    """A logrus text-formatter message as k3s/RKE2 print it."""
    return f'time="{when}" level={level} msg="{msg}"'


def k3s_running_line(when: str, host: str, unit: str, pid: int, extra: list[str], data_dir: str) -> str:
    """k3s' ``Running kube-apiserver`` journal line: ``--name=value`` words sorted by name, joined
    with spaces (k3s-io/k3s pkg/daemons/control/server.go ``config.ArgString``), as a logrus
    text-formatter message."""
    tls = f"{data_dir}/server/tls"
    args = {
        "admission-control-config-file": f"{data_dir}/server/psa.yaml",
        "advertise-address": "10.0.0.11",
        "advertise-port": "6443",
        "allow-privileged": "true",
        "anonymous-auth": "false",
        "api-audiences": "https://kubernetes.default.svc.cluster.local,k3s",
        "authorization-mode": "Node,RBAC",
        "bind-address": "127.0.0.1",
        "cert-dir": f"{tls}/temporary-certs",
        "client-ca-file": f"{tls}/client-ca.crt",
        "egress-selector-config-file": f"{data_dir}/server/etc/egress-selector-config.yaml",
        "enable-admission-plugins": "NodeRestriction",
        "enable-aggregator-routing": "true",
        "enable-bootstrap-token-auth": "true",
        "etcd-cafile": f"{tls}/etcd/server-ca.crt",
        "etcd-certfile": f"{tls}/etcd/client.crt",
        "etcd-keyfile": f"{tls}/etcd/client.key",
        "etcd-servers": "https://127.0.0.1:2379",
        "profiling": "false",
        "secure-port": "6444",
        "service-account-issuer": "https://kubernetes.default.svc.cluster.local",
        "service-account-key-file": f"{tls}/service.key",
        "service-account-signing-key-file": f"{tls}/service.current.key",
        "service-cluster-ip-range": "10.43.0.0/16",
        "service-node-port-range": "30000-32767",
        "storage-backend": "etcd3",
        "tls-cert-file": f"{tls}/serving-kube-apiserver.crt",
        "tls-private-key-file": f"{tls}/serving-kube-apiserver.key",
    }
    for e in extra:
        k, _, v = e.partition("=")
        args[k] = v
    words = " ".join(f"--{k}={v}" for k, v in sorted(args.items()))
    day, hms = when.split("T")
    stamp = f"Nov {int(day[-2:])} {hms[:8]}"
    return journald(stamp, host, unit, pid, logrus(when, f"Running kube-apiserver {words}"))


# --- oauth2-proxy (pkg/logger: standard, auth and request formats) ----------------------------


def proxy_std(at: str, caller: str, msg: str) -> str:
    """oauth2-proxy's standard log line: ``[2026/11/28 10:20:02] [file.go:166] msg``."""
    return f"[{at}] [{caller}] {msg}"


def proxy_cookie_settings(at: str, refresh: str) -> str:
    """The ``Cookie settings`` line oauth2-proxy prints at start (``refresh:disabled`` or ``refresh:after 2m0s``)."""
    return proxy_std(
        at,
        "oauthproxy.go:166",
        f"Cookie settings: name:_oauth2_proxy secure(https):true httponly:true expiry:168h0m0s domains: path:/ samesite: refresh:{refresh}",
    )


def proxy_auth(at: str, request_id: str, user: str, status: str, msg: str, client: str = "10.42.0.17") -> str:
    """oauth2-proxy's auth log line (``[AuthSuccess]``, ``[AuthFailure]``...)."""
    return f"{client} - {request_id} - {user} [{at}] [{status}] {msg}"


def proxy_request(
    at: str,
    request_id: str,
    user: str,
    path: str,
    status: int,
    size: int,
    seconds: str,
    host: str = "kubeapps.example.com",
    client: str = "10.42.0.17",
) -> str:
    """oauth2-proxy's request log line (``GET``, HTTP/1.1, Firefox)."""
    return (
        f'{client} - {request_id} - {user} [{at}] {host} GET - "{path}" HTTP/1.1 "{FIREFOX}" {status} {size} {seconds}'
    )


# --- ingress-nginx ---------------------------------------------------------------------------


def nginx_error(at: str, conn: int, msg: str, **context: str) -> str:
    """nginx's error log line; ``client`` and ``server`` are printed bare, the rest quoted (ngx_http_log_error)."""
    ctx = ", ".join(f"{k}: {v}" if k in ("client", "server") else f'{k}: "{v}"' for k, v in context.items())
    return f"{at} [error] 31#31: *{conn} {msg}, {ctx}"


def nginx_access(
    client: str, at: str, request: str, status: int, size: int, referrer: str, agent: str, tail: str = ""
) -> str:
    """nginx's access log line (``combined``, plus ingress-nginx's upstream fields in ``tail``)."""
    line = f'{client} - - [{at}] "{request}" {status} {size} "{referrer}" "{agent}"'
    return f"{line} {tail}" if tail else line


TOO_BIG_HEADER = "upstream sent too big header while reading response header from upstream"

INGRESS_NGINX_BANNER = [
    "-------------------------------------------------------------------------------",
    "NGINX Ingress controller",
    "  Release:       v1.11.3",
    "  Build:         0106de65cfccb74405a6dfa7d9daffc6f0a6ef1a",
    "  Repository:    https://github.com/kubernetes/ingress-nginx",
    "  nginx version: nginx/1.25.5",
    "",
    "-------------------------------------------------------------------------------",
    "",
]
