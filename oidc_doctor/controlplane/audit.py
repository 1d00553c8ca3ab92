"""kube-apiserver audit events (``audit.k8s.io/v1`` ``Event``), as the log backend writes them.

The log backend writes one JSON ``Event`` per line (k8s.io/apiserver ``plugin/pkg/audit/log/
backend.go``, format ``json``); managed platforms export the same objects. What this reads:

- failed authentication: the filter ``WithFailedAuthenticationAudit`` audits the request with an
  empty user, ``responseStatus.code`` 401 and the message ``Authentication failed, attempted:
  bearer`` (or ``..., no credentials provided``), never the reason (``pkg/endpoints/filters/
  authn_audit.go``, ``getAuthMethods``); the time, user agent and source IPs are there;
- accepted requests of a token with a ``jti``: ``user.extra["authentication.kubernetes.io/
  credential-id"] = ["JTI=<jti>"]`` (``pkg/authentication/user/user.go`` ``CredentialIDKey``;
  ``pkg/authentication/token/jwt/jwt.go`` ``CredentialIDForJTI``; kube-apiserver 1.32+): proof that
  this very token was accepted, and as whom;
- a 403 carries the authorizer's ``annotations["authorization.k8s.io/decision"]`` and
  ``["authorization.k8s.io/reason"]`` (``pkg/endpoints/filters/authorization.go``).

One request may be audited at several stages (``RequestReceived``, ``ResponseComplete``): events
are taken once per ``auditID``, the ones that carry a ``responseStatus``.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from oidc_doctor.dates import UTC, datetime

CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
DECISION = "authorization.k8s.io/decision"
REASON = "authorization.k8s.io/reason"
AUTHN_FAILED = "Authentication failed"

_HEAD = re.compile(r'^\s*\{.*"apiVersion"\s*:\s*"audit\.k8s\.io/v1(?:beta1)?"')
_KIND = re.compile(r'"kind"\s*:\s*"Event"')

#: Lines longer than this are skipped (a RequestResponse-level event can carry whole objects).
MAX_LINE = 4 * 1024 * 1024


@dataclass(frozen=True)
class AuditEvent:
    """One audited request, reduced to what a login diagnosis needs; ``line`` is its line in the file."""

    audit_id: str
    time: datetime | None
    code: int | None
    message: str
    username: str
    uid: str
    groups: tuple[str, ...]
    extra: dict[str, list[str]]
    source_ips: tuple[str, ...]
    user_agent: str
    verb: str
    uri: str
    resource: str
    namespace: str
    api_group: str
    decision: str
    reason: str
    line: int = 0
    ref: str = ""  # the input it was read from

    def __hash__(self) -> int:
        return hash((self.audit_id, self.ref, self.line))

    @property
    def authentication_failed(self) -> bool:
        """A 401 of the failed-authentication filter (no user, ``Authentication failed, ...``)."""
        return self.code == 401 and self.message.startswith(AUTHN_FAILED)

    @property
    def credential_ids(self) -> list[str]:
        """The ``authentication.kubernetes.io/credential-id`` values of the user (``JTI=...``)."""
        return list(self.extra.get(CREDENTIAL_ID, []))


def looks_like_audit(head: str) -> bool:
    """Whether a file's first line is an ``audit.k8s.io`` Event (JSON lines)."""
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    return bool(_HEAD.search(first[:2048]) or (_KIND.search(first) and "audit.k8s.io/" in first[:4096]))


def is_event(obj: Any) -> bool:
    """Whether a parsed object is an audit ``Event``."""
    return (
        isinstance(obj, dict)
        and obj.get("kind") == "Event"
        and str(obj.get("apiVersion", "")).startswith("audit.k8s.io/")
    )


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    v = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        t = datetime.fromisoformat(v)
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in value) if isinstance(value, list) else ()


def parse_event(obj: dict[str, Any], line: int = 0, ref: str = "") -> AuditEvent:
    """The fields of one ``Event`` object (missing fields are empty).

    The texts shown later are masked here: a WebSocket request may carry its bearer token in the
    URI (``?access_token=``, which the API server accepts, ``authn_audit.go`` ``getAuthMethods``).
    """
    from oidc_doctor.secrets import mask_text as mask

    user = obj.get("user") if isinstance(obj.get("user"), dict) else {}
    assert isinstance(user, dict)
    extra_raw = user.get("extra") if isinstance(user.get("extra"), dict) else {}
    assert isinstance(extra_raw, dict)
    status = obj.get("responseStatus") if isinstance(obj.get("responseStatus"), dict) else {}
    assert isinstance(status, dict)
    target = obj.get("objectRef") if isinstance(obj.get("objectRef"), dict) else {}
    assert isinstance(target, dict)
    ann = obj.get("annotations") if isinstance(obj.get("annotations"), dict) else {}
    assert isinstance(ann, dict)
    code = status.get("code")
    return AuditEvent(
        audit_id=str(obj.get("auditID", "")),
        time=_time(obj.get("stageTimestamp")) or _time(obj.get("requestReceivedTimestamp")),
        code=code if isinstance(code, int) else None,
        message=mask(str(status.get("message", ""))),
        username=str(user.get("username", "")),
        uid=str(user.get("uid", "")),
        groups=_strs(user.get("groups")),
        extra={str(k): list(_strs(v)) for k, v in extra_raw.items()},
        source_ips=_strs(obj.get("sourceIPs")),
        user_agent=mask(str(obj.get("userAgent", ""))),
        verb=str(obj.get("verb", "")),
        uri=mask(str(obj.get("requestURI", ""))),
        resource=str(target.get("resource", "")),
        namespace=str(target.get("namespace", "")),
        api_group=str(target.get("apiGroup", "")),
        decision=str(ann.get(DECISION, "")),
        reason=mask(str(ann.get(REASON, ""))),
        line=line,
        ref=ref,
    )


def _open(path: Path) -> BinaryIO | gzip.GzipFile:
    with path.open("rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    if gz:
        from oidc_doctor.limits import BoundedGzip  # a gzip bomb stops with InputError

        return BoundedGzip(path)
    return path.open("rb")


def read_events(path: Path, ref: str = "") -> tuple[list[AuditEvent], int]:
    """The events of a JSON-lines file (plain or gzip) that carry a response, once per ``auditID``,
    and the number of lines that were not audit events (bad JSON, other objects, too long).

    Raises ``OSError``/``EOFError``/``zlib.error`` when the file cannot be read, ``InputError`` on a
    gzip bomb.
    """
    import orjson

    seen: set[str] = set()
    events: list[AuditEvent] = []
    skipped = 0
    with _open(path) as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            if len(raw) > MAX_LINE:
                skipped += 1
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                skipped += 1
                continue
            if not is_event(obj):
                skipped += 1
                continue
            if not isinstance(obj.get("responseStatus"), dict):
                continue  # the RequestReceived stage: the same request's later stage says how it ended
            ev = parse_event(obj, n, ref)
            if ev.audit_id and ev.audit_id in seen:
                continue
            seen.add(ev.audit_id)
            events.append(ev)
    return events, skipped


#: Bytes read from the end of a big plain audit log for its newest time (its last events are its newest).
TAIL_BYTES = 256 * 1024


def latest_time(path: Path) -> datetime | None:
    """The newest ``stageTimestamp`` (else ``requestReceivedTimestamp``) of an audit log: the whole
    file when it is gzip or small, else its last :data:`TAIL_BYTES`. None when no event has a time;
    raises ``OSError``/``EOFError``/``zlib.error``/``InputError`` as :func:`read_events` does."""
    import orjson

    with path.open("rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
        size = f.seek(0, 2)
        if gz or size <= 4 * TAIL_BYTES:
            lines: list[bytes] = []
        else:
            f.seek(size - TAIL_BYTES)
            lines = f.read().split(b"\n")[1:]  # the first piece may be a line's tail
    if gz or size <= 4 * TAIL_BYTES:
        events, _ = read_events(path)
        times = [e.time for e in events if e.time is not None]
        return max(times) if times else None
    newest: datetime | None = None
    for raw in lines:
        if not raw.strip() or len(raw) > MAX_LINE:
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict) and is_event(obj):
            t = _time(obj.get("stageTimestamp")) or _time(obj.get("requestReceivedTimestamp"))
            if t is not None and (newest is None or t > newest):
                newest = t
    return newest


def events_of(objects: Iterable[Any], ref: str = "") -> list[AuditEvent]:
    """The events among already parsed objects (an ``Event`` file, an ``EventList``'s ``items``)."""
    out = []
    seen: set[str] = set()
    for obj in objects:
        if is_event(obj) and isinstance(obj.get("responseStatus"), dict):
            ev = parse_event(obj, ref=ref)
            if ev.audit_id and ev.audit_id in seen:
                continue
            seen.add(ev.audit_id)
            out.append(ev)
    return out


@dataclass
class Group:
    """Events alike (one client's failed logins, one token's accepted requests): count, first, last."""

    count: int = 0
    first: AuditEvent | None = None
    last: AuditEvent | None = None

    def add(self, ev: AuditEvent) -> None:
        """Count one more event; keep the earliest and the latest."""
        self.count += 1
        if self.first is None or (ev.time and self.first.time and ev.time < self.first.time):
            self.first = ev
        if self.last is None or (ev.time and self.last.time and ev.time >= self.last.time):
            self.last = ev


@dataclass
class AuditSummary:
    """What the audit events say: failed authentications (all, and by client near the moment judged),
    the token's accepted and forbidden requests (by its ``jti``)."""

    events: int = 0
    failed: int = 0
    failed_near: dict[tuple[str, str], Group] = field(default_factory=dict)  # (user agent, source IP)
    accepted: Group = field(default_factory=Group)
    forbidden: list[AuditEvent] = field(default_factory=list)  # the token's 403s, latest last
    refs: list[str] = field(default_factory=list)


def summarise(
    events: Iterator[AuditEvent] | list[AuditEvent],
    jti: str | None,
    start: datetime,
    end: datetime,
    into: AuditSummary | None = None,
) -> AuditSummary:
    """Count failed authentications (by user agent and first source IP within ``[start, end]``) and the
    requests whose credential id is this token's ``JTI=<jti>``."""
    s = into if into is not None else AuditSummary()
    want = "JTI=" + jti if jti else None
    for ev in events:
        s.events += 1
        if ev.authentication_failed:
            s.failed += 1
            if ev.time is not None and start <= ev.time <= end:
                key = (ev.user_agent, ev.source_ips[0] if ev.source_ips else "")
                s.failed_near.setdefault(key, Group()).add(ev)
            continue
        if want is None or want not in ev.credential_ids:
            continue
        if ev.code == 403:
            s.forbidden.append(ev)
        elif ev.code is None or ev.code < 400:
            s.accepted.add(ev)
    s.forbidden.sort(key=lambda e: e.time or datetime.min.replace(tzinfo=UTC))
    return s
