"""kube-apiserver's authentication metrics: read from ``/metrics`` text or a Prometheus query result.

Only these families are kept (everything else in the multi-megabyte exposition is skipped):

- ``apiserver_authentication_jwt_authenticator_latency_seconds{result,jwt_issuer_hash}``
  (histogram; ``_count`` per result). Recorded only for tokens whose ``iss`` matched that
  authenticator: a token of another issuer returns "not mine" and is not counted
  (k8s.io/apiserver ``plugin/pkg/authenticator/token/oidc/metrics.go``,
  ``instrumentedAuthenticator.AuthenticateToken``), and only on a token-cache miss;
- ``apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds{result,
  jwt_issuer_hash,apiserver_id_hash}`` and ``..._jwks_fetch_last_key_set_info{jwt_issuer_hash,
  apiserver_id_hash,hash}`` (1.35; same file, ``metricsRoundTripper``: a transport error, a
  non-200 answer or a body that is no key set is a ``failure``);
- ``apiserver_authentication_config_controller_automatic_reloads_total{status,apiserver_id_hash}``,
  ``..._automatic_reload_last_timestamp_seconds{status,apiserver_id_hash}`` and
  ``..._last_config_info{apiserver_id_hash,hash}`` (``pkg/server/options/authenticationconfig/
  metrics/metrics.go``; the info series is set at start-up and after each successful reload);
- ``authentication_attempts{result}`` (``pkg/endpoints/filters/metrics.go``: ``error`` when an
  authenticator returned an error, ``failure`` when none accepted, ``success``) — all requests.

Label hashes are described in :mod:`oidc_doctor.controlplane.hashes`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

JWT_LATENCY = "apiserver_authentication_jwt_authenticator_latency_seconds"
JWKS_FETCH_TS = "apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds"
JWKS_KEY_SET = "apiserver_authentication_jwt_authenticator_jwks_fetch_last_key_set_info"
RELOADS = "apiserver_authentication_config_controller_automatic_reloads_total"
RELOAD_TS = "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds"
CONFIG_INFO = "apiserver_authentication_config_controller_last_config_info"
ATTEMPTS = "authentication_attempts"

#: Series names kept (a histogram's ``_count``; its buckets and sums say nothing about causes).
KEPT = (
    JWT_LATENCY + "_count",
    JWKS_FETCH_TS,
    JWKS_KEY_SET,
    RELOADS,
    RELOAD_TS,
    CONFIG_INFO,
    ATTEMPTS,
)
_PREFIXES = tuple(
    n.encode()
    for n in ("apiserver_authentication_jwt_authenticator_", "apiserver_authentication_config_controller_", ATTEMPTS)
)

# The text exposition format (prometheus/docs content/docs/instrumenting/exposition_formats.md):
# name, optional {label="value",...} (values escape \\ \" \n), a float, an optional timestamp.
_SAMPLE = re.compile(
    r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$",
)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_COMMENT = re.compile(r"^# (?:HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* ")


@dataclass(frozen=True)
class Sample:
    """One series' value: its name, labels and value; ``line`` is its line in the file (1-based, or 0)."""

    name: str
    labels: dict[str, str]
    value: float
    line: int = 0
    shown: str = ""  # the value as the input wrote it

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.labels.items())), self.value, self.line))

    def text(self) -> str:
        """The series as the exposition prints it (labels sorted, the value as written)."""
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        value = self.shown or (repr(self.value) if not self.value.is_integer() else str(int(self.value)))
        return f"{self.name}{{{labels}}} {value}" if labels else f"{self.name} {value}"


def _unescape(v: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def _float(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def parse_line(line: str, number: int = 0) -> Sample | None:
    """One exposition line as a :class:`Sample`, or None (a comment, another family, a bad line)."""
    m = _SAMPLE.match(line)
    if not m or m.group(1) not in KEPT:
        return None
    value = _float(m.group(3))
    if value is None or math.isnan(value):
        return None
    labels = {k: _unescape(v) for k, v in _LABEL.findall(m.group(2) or "")}
    return Sample(m.group(1), labels, value, number, m.group(3))


def parse_text(lines: Iterable[bytes]) -> list[Sample]:
    """The kept samples of a text exposition, read line by line (bytes, as a file yields them)."""
    out = []
    for n, raw in enumerate(lines, 1):
        if not raw.startswith(_PREFIXES):
            continue
        sample = parse_line(raw.decode("utf-8", "replace").rstrip("\r\n"), n)
        if sample is not None:
            out.append(sample)
    return out


def looks_like_exposition(head: str) -> bool:
    """Whether a file's first lines are Prometheus text (``# HELP``/``# TYPE`` lines and samples).

    ``kubectl get --raw /metrics`` starts with ``# HELP`` and ``# TYPE`` lines; a ``grep`` of the
    authentication families keeps only sample lines.
    """
    lines = [ln for ln in head.splitlines()[:40] if ln.strip()]
    if len(lines) > 1 and not head.endswith("\n"):
        lines = lines[:-1]
    if not lines:
        return False
    good = sum(1 for ln in lines if _COMMENT.match(ln) or _is_sample(ln))
    ours = any(ln.startswith(KEPT_PREFIXES) for ln in lines) or any(_COMMENT.match(ln) for ln in lines)
    return ours and good >= max(1, (len(lines) * 4) // 5)


def _is_sample(line: str) -> bool:
    m = _SAMPLE.match(line)
    return m is not None and _float(m.group(3)) is not None


KEPT_PREFIXES = tuple(p.decode() for p in _PREFIXES)


def is_query_result(obj: Any) -> bool:
    """Whether ``obj`` is a Prometheus HTTP API answer (``/api/v1/query``): ``status`` and ``data.resultType``."""
    return (
        isinstance(obj, dict)
        and obj.get("status") == "success"
        and isinstance(obj.get("data"), dict)
        and isinstance(obj["data"].get("resultType"), str)
    )


def parse_query_result(obj: dict[str, Any]) -> list[Sample]:
    """The kept samples of a Prometheus query result (vector: ``value``; matrix: the last of ``values``).

    Shape: prometheus/docs ``content/docs/prometheus/latest/querying/api.md`` ("Instant vectors",
    "Range vectors"): ``{"metric": {"__name__": ..., labels}, "value": [time, "1"]}``. The
    ``instance``/``job`` labels Prometheus adds are kept as they are.
    """
    result = obj["data"].get("result")
    out = []
    for series in result if isinstance(result, list) else []:
        if not isinstance(series, dict) or not isinstance(series.get("metric"), dict):
            continue
        labels = {str(k): str(v) for k, v in series["metric"].items()}
        name = labels.pop("__name__", "")
        if name not in KEPT:
            continue
        point = series.get("value")
        values = series.get("values")
        if point is None and isinstance(values, list) and values:
            point = values[-1]
        if not (isinstance(point, list) and len(point) == 2):
            continue
        value = _float(str(point[1]))
        if value is not None and not math.isnan(value):
            out.append(Sample(name, labels, value, shown=str(point[1])))
    return out


@dataclass
class ApiServerState:
    """One API server (by ``apiserver_id_hash``): its running configuration and reloads."""

    id_hash: str
    config_hash: str | None = None
    reloads: dict[str, float] = field(default_factory=dict)  # status -> count
    reload_at: dict[str, float] = field(default_factory=dict)  # status -> unix time
    samples: list[Sample] = field(default_factory=list)

    def reload_failed_last(self) -> bool:
        """The last automatic reload failed: the file changed and the API server kept the previous configuration."""
        failed = self.reload_at.get("failure")
        return failed is not None and failed > self.reload_at.get("success", -1.0)


@dataclass
class JwksState:
    """The JWKS fetches of one issuer's authenticator in one API server."""

    issuer_hash: str
    apiserver_id_hash: str
    at: dict[str, float] = field(default_factory=dict)  # result -> unix time
    key_set_hash: str | None = None
    samples: list[Sample] = field(default_factory=list)

    def failing(self) -> bool:
        """The last fetch failed (newer than any success)."""
        failed = self.at.get("failure")
        return failed is not None and failed > self.at.get("success", -1.0)


@dataclass
class MetricsSummary:
    """What the authentication metrics say, by API server and by issuer hash."""

    apiservers: dict[str, ApiServerState] = field(default_factory=dict)
    jwt: dict[str, dict[str, float]] = field(default_factory=dict)  # issuer hash -> result -> count
    jwt_samples: dict[str, list[Sample]] = field(default_factory=dict)
    jwks: list[JwksState] = field(default_factory=list)
    attempts: dict[str, float] = field(default_factory=dict)  # result -> count
    attempt_samples: list[Sample] = field(default_factory=list)

    def rejected(self) -> float:
        """Requests no authenticator accepted (``authentication_attempts`` ``error`` + ``failure``)."""
        return self.attempts.get("error", 0.0) + self.attempts.get("failure", 0.0)


def summarise(samples: Iterable[Sample]) -> MetricsSummary:
    """Group samples by API server and issuer; counters of several scrapes add up per series name."""
    s = MetricsSummary()
    jwks: dict[tuple[str, str], JwksState] = {}
    for x in samples:
        lb = x.labels
        if x.name in (RELOADS, RELOAD_TS, CONFIG_INFO):
            api = s.apiservers.setdefault(
                lb.get("apiserver_id_hash", ""), ApiServerState(lb.get("apiserver_id_hash", ""))
            )
            api.samples.append(x)
            if x.name == CONFIG_INFO and x.value:
                api.config_hash = lb.get("hash", "")
            elif x.name == RELOADS:
                api.reloads[lb.get("status", "")] = api.reloads.get(lb.get("status", ""), 0.0) + x.value
            elif x.name == RELOAD_TS and x.value > 0:
                status = lb.get("status", "")
                api.reload_at[status] = max(api.reload_at.get(status, 0.0), x.value)
        elif x.name == JWT_LATENCY + "_count":
            issuer = lb.get("jwt_issuer_hash", "")
            by = s.jwt.setdefault(issuer, {})
            by[lb.get("result", "")] = by.get(lb.get("result", ""), 0.0) + x.value
            s.jwt_samples.setdefault(issuer, []).append(x)
        elif x.name in (JWKS_FETCH_TS, JWKS_KEY_SET):
            key = (lb.get("jwt_issuer_hash", ""), lb.get("apiserver_id_hash", ""))
            st = jwks.get(key)
            if st is None:
                st = jwks[key] = JwksState(*key)
                s.jwks.append(st)
            st.samples.append(x)
            if x.name == JWKS_KEY_SET and x.value:
                st.key_set_hash = lb.get("hash", "")
            elif x.name == JWKS_FETCH_TS and x.value > 0:
                st.at[lb.get("result", "")] = max(st.at.get(lb.get("result", ""), 0.0), x.value)
        elif x.name == ATTEMPTS:
            s.attempts[lb.get("result", "")] = s.attempts.get(lb.get("result", ""), 0.0) + x.value
            s.attempt_samples.append(x)
    return s


def iter_samples(items: Iterable[Iterable[Sample]]) -> Iterator[Sample]:
    """Every sample of several readings, in order."""
    for samples in items:
        yield from samples


def one_per_apiserver(readings: Iterable[list[Sample]]) -> list[list[Sample]]:
    """The readings with repeated scrapes of one API server made one, so its counters count once.

    Counters of different API servers add up (a request is counted by the one that served it),
    but two scrapes of the same one (``kubectl get --raw /metrics`` twice, or ``collect`` asking an
    uneven load balancer until every identity Lease has answered) would count its requests twice. A
    reading names its API server when all its ``apiserver_id_hash`` labels agree; readings that
    name the same one are merged series by series, keeping the highest value (counters only grow,
    and the timestamps and info gauges of the later scrape are the higher or the same). A reading
    that names none (no structured authentication configuration, no JWKS metrics) cannot be told
    apart from another server's and is kept as it is.
    """
    out: list[list[Sample] | str] = []  # a reading, or the server whose merged reading goes there
    by_server: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], Sample]] = {}
    for reading in readings:
        ids = {x.labels["apiserver_id_hash"] for x in reading if "apiserver_id_hash" in x.labels}
        if len(ids) != 1:
            out.append(reading)
            continue
        (server,) = ids
        merged = by_server.get(server)
        if merged is None:
            merged = by_server[server] = {}
            out.append(server)  # its place: where the server's first scrape was
        for x in reading:
            key = (x.name, tuple(sorted(x.labels.items())))
            kept = merged.get(key)
            if kept is None or x.value > kept.value:
                merged[key] = x
    return [list(by_server[r].values()) if isinstance(r, str) else r for r in out]
