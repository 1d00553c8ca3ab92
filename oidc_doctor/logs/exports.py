"""Control-plane logs as the clouds' own CLIs export them: each entry's message, time and component.

Managed clusters keep the API server's log in the cloud's log service, and users hand over what its
CLI prints. Three shapes are read, each recognised by its content (never by the file's name):

- **EKS, CloudWatch Logs** — ``aws logs filter-log-events --log-group-name /aws/eks/NAME/cluster
  --output json`` prints ``{"events": [{"logStreamName", "timestamp", "message", "ingestionTime",
  "eventId"}], "searchedLogStreams": [...], "nextToken": ...}`` (``get-log-events`` prints the same
  ``events`` without ``logStreamName``). ``timestamp`` is milliseconds since the epoch (the AWS CLI
  reference of ``filter-log-events``). EKS writes one stream per component: ``kube-apiserver-<id>``,
  ``kube-apiserver-audit-<id>`` (each message one ``audit.k8s.io`` Event), ``authenticator-<id>``
  (aws-iam-authenticator), ``kube-controller-manager-<id>``, ``kube-scheduler-<id>``,
  ``cloud-controller-manager-<id>`` (docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html).
- **GKE, Cloud Logging** — ``gcloud logging read FILTER --format json`` prints a JSON list of
  ``LogEntry`` objects (``timestamp`` RFC 3339 with up to nine fraction digits, ``logName``,
  ``resource {type, labels}``, ``textPayload`` or ``jsonPayload``). The API server's log is
  ``logName: projects/P/logs/container.googleapis.com%2Fapiserver`` with ``resource.type:
  k8s_control_plane_component`` (GKE "control plane component logs"; the structured payload carries
  the klog message in ``jsonPayload.message``). GKE's audit log is Cloud Audit Logging, not
  ``audit.k8s.io`` Events: such entries are counted as other components.
- **AKS, Azure Monitor resource logs** — a diagnostic setting writes one JSON record per line to a
  storage account (``PT1H.json`` blobs) or ``{"records": [...]}`` to an Event Hub; each record has
  ``time``, ``resourceId``, ``category`` (``kube-apiserver``, ``kube-audit``, ``kube-audit-admin``,
  ``guard``, ...) and ``properties {log, stream, pod}``. A Log Analytics query printed with ``az
  monitor log-analytics query -o json`` is a JSON list of rows: the ``AzureDiagnostics`` table
  (``Category``, ``log_s``, ``TimeGenerated``) or the resource-specific ``AKSControlPlane`` table
  (``Category``, ``Message``, ``TimeGenerated``) (learn.microsoft.com/azure/aks/monitor-aks-reference,
  learn.microsoft.com/azure/azure-monitor/reference/tables/aks*).

Each entry keeps its index in the export: evidence names ``file events[i]`` (``file [i]`` for a
list, ``file line N`` for JSON lines), and its time comes from the export's own timestamp, not from
the message (a klog line has no year).

Bounded: an export is read whole, at most :data:`MAX_EXPORT_BYTES`, each message cut at
:data:`MAX_MESSAGE` bytes; anything larger, or a shape that is not one of these, fails closed with
one :class:`~oidc_doctor.errors.InputError` naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from oidc_doctor.dates import UTC, datetime, timedelta
from oidc_doctor.errors import InputError
from oidc_doctor.record import FrozenRecord

if TYPE_CHECKING:
    from oidc_doctor.logs.summary import Summary

#: Exports larger than this are refused (filter them in the cloud first: ``--filter-pattern``,
#: a ``gcloud logging read`` filter, a Log Analytics query).
MAX_EXPORT_BYTES = 512 * 1024 * 1024
#: At most this much of one message is kept (an audit Event at RequestResponse level can be long;
#: the same bound as an audit file's line, ``controlplane.audit.MAX_LINE``).
MAX_MESSAGE = 4 * 1024 * 1024

CLOUDWATCH = "eks-cloudwatch"
GCLOUD = "gke-cloud-logging"
AZURE = "aks-resource-logs"
AZURE_LA = "aks-log-analytics"

#: How each export is named in inputs and evidence.
PLATFORM_NAMES = {
    CLOUDWATCH: "EKS CloudWatch export (aws logs filter-log-events)",
    GCLOUD: "GKE Cloud Logging export (gcloud logging read)",
    AZURE: "AKS resource logs (diagnostic setting export)",
    AZURE_LA: "AKS Log Analytics query result (az monitor log-analytics query)",
}

APISERVER = "apiserver"
AUDIT = "audit"
AUTHENTICATOR = "authenticator"
OTHER = "other"

_CW_HEAD = re.compile(r'^\s*\{\s*"(?:events|searchedLogStreams|nextToken|nextForwardToken|nextBackwardToken)"\s*:')
_GCLOUD_KEYS = ('"logName"', '"resource"')
_GCLOUD_PAYLOAD = ('"textPayload"', '"jsonPayload"', '"protoPayload"')
_AZURE_RECORD = re.compile(r'"category"\s*:\s*"[^"]*"', re.IGNORECASE)
_AZURE_RECORDS_HEAD = re.compile(r'^\s*\{\s*"records"\s*:\s*\[')
_LA_KEYS = ('"TimeGenerated"', '"Category"')


class Entry(FrozenRecord):
    """One exported log entry: where it is in the export, when, from which component, what it says."""

    _fields = ("index", "at", "time", "source", "role", "message")
    __slots__ = _fields
    index: int
    at: str  # the reference inside the export: "events[3]", "[3]", "line 4"
    time: datetime | None
    source: str  # the stream, log name or category it came from
    role: str  # APISERVER | AUDIT | AUTHENTICATOR | OTHER
    message: str

    def __init__(self, index: int, at: str, time: datetime | None, source: str, role: str, message: str) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "index", index)
        setattr_(self, "at", at)
        setattr_(self, "time", time)
        setattr_(self, "source", source)
        setattr_(self, "role", role)
        setattr_(self, "message", message)


class LogExport(FrozenRecord):
    """The entries of one export that a diagnosis reads, and a count of the others."""

    _fields = ("platform", "entries", "other")
    __slots__ = _fields
    platform: str
    entries: tuple[Entry, ...]
    other: int  # entries of components that say nothing about logins (scheduler, ...)

    def __init__(self, platform: str, entries: tuple[Entry, ...], other: int = 0) -> None:
        object.__setattr__(self, "platform", platform)
        object.__setattr__(self, "entries", entries)
        object.__setattr__(self, "other", other)

    @property
    def name(self) -> str:
        """The export's human name."""
        return PLATFORM_NAMES.get(self.platform, self.platform)

    def of(self, *roles: str) -> list[Entry]:
        """The entries of the given roles, in export order."""
        return [e for e in self.entries if e.role in roles]

    def latest(self) -> datetime | None:
        """The newest entry time among the API server's and authenticators' entries."""
        times = [e.time for e in self.entries if e.time is not None and e.role in (APISERVER, AUTHENTICATOR)]
        return max(times) if times else None


def sniff_export(head: str) -> str | None:
    """Which export the start of a file is, or None: decided from its first bytes only."""
    body = head.lstrip()
    if body[:1] not in ("{", "["):
        return None
    window = body[:16384]
    if _CW_HEAD.match(body) and '"message"' in window and ('"timestamp"' in window or '"events": []' in window):
        return CLOUDWATCH
    if body.startswith("[") and all(k in window for k in _GCLOUD_KEYS) and any(p in window for p in _GCLOUD_PAYLOAD):
        return GCLOUD
    if body.startswith("[") and all(k in window for k in _LA_KEYS) and ('"log_s"' in window or '"Message"' in window):
        return AZURE_LA
    first = body.split("\n", 1)[0]
    if _AZURE_RECORDS_HEAD.match(body) or (
        first.startswith("{") and _AZURE_RECORD.search(first) and '"properties"' in first and '"time"' in first
    ):
        return AZURE
    return None


def read_export(raw: bytes, where: str, platform: str | None = None) -> LogExport:
    """Parse an export's bytes; raise :class:`InputError` naming ``where`` when it is not one."""
    if len(raw) > MAX_EXPORT_BYTES:
        raise InputError(
            where, f"log export of {len(raw):,} bytes is over the {MAX_EXPORT_BYTES >> 20} MiB limit: filter it first"
        )
    text_head = raw[:65536].decode("utf-8", "replace")
    kind = platform or sniff_export(text_head)
    if kind is None:
        raise InputError(where, "not a CloudWatch, Cloud Logging or Azure Monitor log export")
    if kind == AZURE and not _AZURE_RECORDS_HEAD.match(text_head):
        return _export(kind, _azure_lines(raw, where))
    doc = _load(raw, where)
    if kind == CLOUDWATCH:
        return _export(kind, _cloudwatch(doc, where))
    if kind == GCLOUD:
        return _export(kind, _gcloud(doc, where))
    if kind == AZURE_LA:
        return _export(kind, _log_analytics(doc, where))
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise InputError(where, 'Azure Monitor export without a "records" list')
    return _export(kind, (_azure(rec, i, f"records[{i}]") for i, rec in enumerate(records)))


def _export(kind: str, entries: Iterable[Entry | None]) -> LogExport:
    kept: list[Entry] = []
    other = 0
    for e in entries:
        if e is None:
            other += 1
        elif e.role == OTHER:
            other += 1
        else:
            kept.append(e)
    return LogExport(kind, tuple(kept), other)


def _load(raw: bytes, where: str) -> Any:
    import orjson

    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:  # includes nesting deeper than orjson's limit
        raise InputError(where, f"broken JSON in a log export: {e}") from e


def _message(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value[:MAX_MESSAGE].rstrip("\r\n")


def _epoch_ms(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    except (OverflowError, ValueError):
        return None


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:?\d\d)?$")


def rfc3339(value: Any) -> datetime | None:
    """An RFC 3339 time with any number of fraction digits (Azure writes 7, Google 9), or None."""
    if not isinstance(value, str):
        return None
    m = _RFC3339.match(value.strip())
    if not m:
        return None
    base, frac, zone = m.groups()
    micro = (frac or "")[:6].ljust(6, "0")
    z = "+00:00" if zone in (None, "Z", "z") else zone
    try:
        t = datetime.fromisoformat(f"{base.replace(' ', 'T')}.{micro}{z}")
    except ValueError:
        return None
    return t.astimezone(UTC)


def _cloudwatch(doc: Any, where: str) -> Iterator[Entry | None]:
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise InputError(where, 'CloudWatch export without an "events" list')
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            yield None
            continue
        msg = _message(ev.get("message"))
        if msg is None:
            yield None
            continue
        stream = str(ev.get("logStreamName", ""))
        yield Entry(i, f"events[{i}]", _epoch_ms(ev.get("timestamp")), stream, _eks_role(stream, msg), msg)


def _eks_role(stream: str, message: str) -> str:
    """The component of an EKS log stream; without a stream name (``get-log-events``), the message's shape."""
    if stream.startswith("kube-apiserver-audit"):
        return AUDIT
    if stream.startswith("kube-apiserver"):
        return APISERVER
    if stream.startswith("authenticator"):
        return AUTHENTICATOR
    if stream:
        return OTHER
    return AUDIT if '"audit.k8s.io/' in message[:400] else APISERVER


def _gcloud(doc: Any, where: str) -> Iterator[Entry | None]:
    if not isinstance(doc, list):
        raise InputError(where, "Cloud Logging export is not a JSON list of log entries")
    for i, entry in enumerate(doc):
        if not isinstance(entry, dict):
            yield None
            continue
        log_name = str(entry.get("logName", ""))
        resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else {}
        assert isinstance(resource, dict)
        component = log_name.rsplit("/", 1)[-1].replace("%2F", "/").replace("%2f", "/")
        msg = _message(entry.get("textPayload"))
        payload = entry.get("jsonPayload")
        if msg is None and isinstance(payload, dict):
            msg = _message(payload.get("message")) or _message(payload.get("msg"))
        if msg is None:
            yield None
            continue
        role = (
            APISERVER
            if component == "container.googleapis.com/apiserver"
            and resource.get("type")
            in (
                "k8s_control_plane_component",
                None,
            )
            else OTHER
        )
        yield Entry(i, f"[{i}]", rfc3339(entry.get("timestamp")), component, role, msg)


_AZURE_ROLES = {
    "kube-apiserver": APISERVER,
    "kube-audit": AUDIT,
    "kube-audit-admin": AUDIT,
    "guard": AUTHENTICATOR,
}


def _azure(rec: Any, index: int, at: str) -> Entry | None:
    if not isinstance(rec, dict):
        return None
    props = rec.get("properties")
    if isinstance(props, str):  # some exporters keep properties as a JSON string
        import orjson

        try:
            props = orjson.loads(props[:MAX_MESSAGE])
        except orjson.JSONDecodeError:
            props = None
    msg = _message(props.get("log")) if isinstance(props, dict) else None
    if msg is None:
        return None
    category = str(rec.get("category", rec.get("Category", "")))
    return Entry(index, at, rfc3339(rec.get("time")), category, _AZURE_ROLES.get(category.lower(), OTHER), msg)


def _azure_lines(raw: bytes, where: str) -> Iterator[Entry | None]:
    import orjson

    broken = 0
    for n, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            broken += 1
            if broken > 10:
                raise InputError(where, f"line {n}: more than 10 lines are not JSON records ({e})") from e
            yield None
            continue
        yield _azure(rec, n - 1, f"line {n}")


def _log_analytics(doc: Any, where: str) -> Iterator[Entry | None]:
    if not isinstance(doc, list):
        raise InputError(where, "Log Analytics query result is not a JSON list of rows")
    for i, row in enumerate(doc):
        if not isinstance(row, dict):
            yield None
            continue
        msg = _message(row.get("log_s")) or _message(row.get("Message"))
        if msg is None:
            yield None
            continue
        category = str(row.get("Category", ""))
        role = _AZURE_ROLES.get(category.lower(), OTHER)
        yield Entry(i, f"[{i}]", rfc3339(row.get("TimeGenerated")), category, role, msg)


def scan_export(
    export: LogExport, label: str, sinks: list[Summary], roles: tuple[str, ...] = (APISERVER, AUTHENTICATOR)
) -> int:
    """Classify the export's entries of ``roles`` into every sink, as the scanner does for a log file.

    Each example is named ``label events[i]`` and timed by the export's own timestamp. Returns how
    many entries were looked at.
    """
    from oidc_doctor.logs.classify import classify_line
    from oidc_doctor.logs.scan import MAX_KEPT
    from oidc_doctor.logs.summary import Example

    n = 0
    for e in export.of(*roles):
        n += 1
        raw = e.message.encode("utf-8", "surrogatepass")
        verdict = classify_line(raw)
        if verdict is None:
            continue
        ex = Example(label, e.index, e.time, raw[:MAX_KEPT], None, at=e.at)
        for sink in sinks:
            sink.add(ex, verdict)
    return n
