"""Is this file a log, and of what? Decided from the content of its first bytes.

The bundle reader calls :func:`sniff_log` with the first (up to 64 KiB) bytes of every file,
raw (gzip is decompressed here). A file counts as a log when a good share of its first lines
have one of the known log shapes; which shapes win decides the kind:

- ``apiserver-log``: klog lines, Kubernetes JSON log lines (``"ts"`` and ``"msg"``), journald
  lines of ``k3s``/``rke2``/``kube-apiserver``, or any ``Unable to authenticate the request``;
- ``proxy-log``: oauth2-proxy standard or auth log lines (``[2020/10/14 15:50:02] [file.go:NN]``,
  ``[AuthSuccess]``), ``OAuthProxy configured``, ``Cookie settings:``;
- ``ingress-log``: nginx error-log lines (``2020/10/14 15:50:02 [error] 38#38:``), access-log
  lines (``ip - - [14/Oct/2020:15:50:02 +0000] "GET ...``), the ingress-nginx banner.
"""

from __future__ import annotations

import re
import zlib

from oidc_doctor.logs.formats import strip_prefix

_KLOG = re.compile(rb"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ \S+:\d+\] ")
# zap/logr JSON (ts/time + msg); Pinniped's and others' (timestamp + message) too.
_JSONLOG = re.compile(
    rb'^\{.*"(?:ts|time|timestamp)"\s*:.*"(?:msg|message)"\s*:|^\{.*"(?:msg|message)"\s*:.*"(?:ts|time|timestamp)"\s*:'
)
# oauth2-proxy >= v6 "[2020/10/14 15:50:02] [file.go:NN] ", older "2019/03/27 12:00:00 file.go:NN: ".
_PROXY_STD = re.compile(
    rb"^(?:\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\] \[[\w.-]+:\d+\] "
    rb"|\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [\w.-]+\.go:\d+: )"
)
_PROXY_AUTH = re.compile(
    rb"\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\] (?:\[Auth\w+\]|\S+ (?:GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH) )"
)
_NGINX_ERR = re.compile(
    rb"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?:emerg|alert|crit|error|warn|notice|info|debug)\] \d+#\d+: "
)
_ACCESS = re.compile(rb'^\S+ - \S+ \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "[A-Z]+ ')
_PROXY_WORDS = (
    b"OAuthProxy configured",
    b"Cookie settings:",
    b"oauth2-proxy",
    b"[AuthSuccess]",
    b"[AuthFailure]",
)
_INGRESS_WORDS = (b"NGINX Ingress controller", b"ingress-nginx", b"upstream sent too big header")
# kube-oidc-proxy authenticates in the API server's place: its access log counts as an API server log.
_APISERVER_WORDS = (
    b"Unable to authenticate the request",
    b"oidc authenticator:",
    b"] AuFail src:[",
    b"] AuSuccess src:[",
)
_MAX_LINES = 200


def _decompress(head: bytes) -> bytes:
    if head[:3] == b"\xef\xbb\xbf":
        return head[3:]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a BOM (Windows PowerShell redirection)
        body = head[2:]
        codec = "utf-16-le" if head[:2] == b"\xff\xfe" else "utf-16-be"
        return body[: len(body) - len(body) % 2].decode(codec, errors="replace").encode("utf-8")
    if head[:2] != b"\x1f\x8b":
        return head
    d = zlib.decompressobj(wbits=31)
    try:
        return d.decompress(head, 256 << 10)
    except zlib.error:
        return b""


def sniff_log(head: bytes) -> str | None:
    """``"apiserver-log"``, ``"proxy-log"``, ``"ingress-log"`` or None for the start of a file."""
    data = _decompress(head)
    if not data or b"\x00" in data[:4096]:
        return None
    lines = [ln for ln in data.split(b"\n")[:_MAX_LINES] if ln.strip()]
    if not lines and data.strip():
        lines = [data.strip()]
    if len(lines) > 1 and not data.endswith(b"\n"):
        lines = lines[:-1]  # cut by the head limit
    if not lines:
        return None
    api = proxy = ingress = 0
    for raw in lines:
        line, _, _ = strip_prefix(raw)
        if _KLOG.match(line) or _JSONLOG.match(line):
            # ingress-nginx's controller also logs klog lines; they count for both.
            api += 1
        elif _PROXY_STD.match(line) or _PROXY_AUTH.search(line, 0, 300):
            proxy += 1
        elif _NGINX_ERR.match(line) or _ACCESS.match(line):
            ingress += 1
        elif line is not raw and (b"k3s" in raw[:120] or b"rke2" in raw[:120] or b"kube-apiserver" in raw[:120]):
            api += 1
        if any(w in line for w in _APISERVER_WORDS):
            api += 1
        elif any(w in line for w in _PROXY_WORDS):
            proxy += 1
        elif any(w in line for w in _INGRESS_WORDS):
            ingress += 1
    recognised = api + proxy + ingress
    if recognised == 0 or recognised * 10 < len(lines) * 3:  # under 30 %: prose, YAML, ...
        return None
    if ingress and ingress >= proxy and (ingress * 4 >= api or not api):
        return "ingress-log"
    if proxy and proxy >= ingress and (proxy * 4 >= api or not api):
        return "proxy-log"
    if api:
        return "apiserver-log"
    return "proxy-log" if proxy >= ingress else "ingress-log"
