"""The one rule that decides the moment a command judges at ("now"), and says where it came from.

A bundle describes a past moment: judging its token against today's clock makes every token look
expired and buries the real cause. So, first found wins:

1. ``--now`` (``flag``);
2. the newest timed line of the API server, proxy or ingress logs in the evidence, or the newest
   audited request of an audit log (``log``);
3. the bundle's collection time, ``collected_at`` of the ``.collect-manifest.json`` that
   ``oidc-doctor collect`` writes (``bundle``);
4. the newest ``iat`` of the tokens found in the bundle itself (``token``): the moment the user
   had the token in hand; a token given with ``--token`` does not count (it is being judged now);
5. the injected clock (``clock``).

The report names the source (``now_source``) and carries a note when the moment looks wrong for
the evidence: every token expired long before it, or was issued long after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oidc_doctor.dates import datetime, timedelta
from oidc_doctor.record import FrozenRecord

if TYPE_CHECKING:
    from pathlib import Path

    from oidc_doctor.evidence import Evidence
    from oidc_doctor.io import IO

#: How far a token's lifetime may lie from the judged moment before the moment is called suspect.
#: A day: sessions and refreshes are minutes to hours; a day apart means another moment was meant.
SUSPECT_GAP = timedelta(days=1)

#: ``now_source`` values, in the order the rule tries them.
SOURCES = ("flag", "log", "bundle", "token", "clock")


class Moment(FrozenRecord):
    """The judged moment, where it came from, and notes about it for the report."""

    _fields = ("now", "source", "notes")
    __slots__ = _fields
    now: datetime
    source: str
    notes: tuple[str, ...]

    def __init__(self, now: datetime, source: str, notes: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "now", now)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "notes", notes)


def _log_time(ev: Evidence) -> datetime | None:
    from oidc_doctor.evidence import Kind
    items = [i for i in ev.of(Kind.APISERVER_LOG, Kind.PROXY_LOG, Kind.INGRESS_LOG) if i.path is not None]
    if not items:
        return None
    from oidc_doctor.logs.exports import LogExport
    from oidc_doctor.logs.window import latest_timestamp

    times = []
    for i in items:
        # A cloud's log export carries its own timestamps: the newest entry's is the log's time.
        t = i.data.latest() if isinstance(i.data, LogExport) else latest_timestamp(i.path) if i.path else None
        if t is not None:
            times.append(t)
    return max(times) if times else None


def _audit_time(ev: Evidence) -> datetime | None:
    """The newest audited request's time: an audit log is the API server's own log of requests."""
    from oidc_doctor.evidence import Kind

    items = ev.of(Kind.AUDIT_EVENTS)
    if not items:
        return None  # the token command's start-up imports nothing more
    import zlib

    from oidc_doctor.controlplane.audit import AuditEvent, latest_time
    from oidc_doctor.errors import InputError

    times: list[datetime] = []
    for item in items:
        if isinstance(item.data, list):
            times += [e.time for e in item.data if isinstance(e, AuditEvent) and e.time is not None]
        elif item.path is not None:
            try:
                t = latest_time(item.path)
            except (OSError, EOFError, zlib.error, InputError):
                continue  # the controlplane area names an unreadable audit log
            if t is not None:
                times.append(t)
    return max(times) if times else None


def collected_at(folder: Path) -> datetime | None:
    """``collected_at`` of the folder's collect manifest, or None (no manifest, or unreadable)."""
    import json

    from oidc_doctor.errors import DoctorError
    from oidc_doctor.live.manifest import MANIFEST
    from oidc_doctor.text import parse_time

    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the bundle reader names a broken manifest among the inputs
    value = doc.get("collected_at") if isinstance(doc, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value, MANIFEST)
    except DoctorError:
        return None  # a hand-edited manifest: the next source of the rule decides


def _token_times(ev: Evidence) -> list[tuple[str, datetime | None, datetime | None]]:
    """(ref, iat, exp) of every decodable token in the evidence."""
    from oidc_doctor.evidence import Kind
    from oidc_doctor.jose import parse_compact
    from oidc_doctor.text import from_epoch

    out = []
    for item in ev.of(Kind.TOKEN):
        if not isinstance(item.data, str):
            continue
        payload = parse_compact(item.data).payload or {}
        times: list[datetime | None] = []
        for name in ("iat", "exp"):
            v = payload.get(name)
            times.append(from_epoch(float(v)) if isinstance(v, int | float) and not isinstance(v, bool) else None)
        out.append((item.ref, times[0], times[1]))
    return out


def _is_flag_ref(ref: str) -> bool:
    return ref.startswith("--") or ref in ("-", "stdin") or ref.startswith(("@", "$"))


def judge_time(flag: str | None, io: IO, ev: Evidence | None = None, bundle: Path | None = None) -> Moment:
    """The moment to judge at, by the rule in this module's docstring, with notes when it looks wrong."""
    from oidc_doctor.text import parse_time

    tokens = _token_times(ev) if ev is not None else []
    now: datetime | None = None
    source = "clock"
    if flag:
        now, source = parse_time(flag), "flag"
    if now is None and ev is not None:
        seen = [t for t in (_log_time(ev), _audit_time(ev)) if t is not None]
        if seen:
            now, source = max(seen), "log"
    if now is None and bundle is not None and (t := collected_at(bundle)) is not None:
        now, source = t, "bundle"
    if now is None and bundle is not None:
        iats = [iat for ref, iat, _ in tokens if iat is not None and not _is_flag_ref(ref)]
        if iats:
            now, source = max(iats), "token"
    if now is None:
        now = io.now()
    return Moment(now, source, _notes(now, source, tokens))


def _notes(now: datetime, source: str, tokens: list[tuple[str, datetime | None, datetime | None]]) -> tuple[str, ...]:
    from oidc_doctor.text import human_duration, iso

    exps = [exp for _, _, exp in tokens if exp is not None]
    iats = [iat for _, iat, _ in tokens if iat is not None]
    how = {"flag": "--now", "clock": "the clock"}.get(source, f"the {source}")
    if exps and all(exp + SUSPECT_GAP < now for exp in exps):
        newest = max(exps)
        hint = iso(max(iats) if iats else newest)
        return (
            f"every token expired long before the judged moment {iso(now)} (from {how}; the newest expired "
            f"{human_duration((now - newest).total_seconds())} earlier, at {iso(newest)}): if the failure happened "
            f"while the token was fresh, judge at that moment with --now, e.g. --now {hint}",
        )
    if iats and all(iat - SUSPECT_GAP > now for iat in iats):
        return (
            f"the judged moment {iso(now)} (from {how}) is more than a day before every token was issued "
            f"(the first at {iso(min(iats))}): pass --now with the time of the failure",
        )
    if source == "token":
        return (
            f"judged at {iso(now)}, when the bundle's newest token was issued (no --now, no log line, no "
            "collection time): a token that had expired by the time of the failure is not seen as expired; "
            "pass --now with the time of the failure",
        )
    return ()
