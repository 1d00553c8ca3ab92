"""Per-cause summary of classified log lines, in constant memory.

A :class:`Summary` is fed one classified line at a time and keeps, per cause, the count, the
first and last time, one example (the first occurrence, masked) and the most recent one; unknown
authentication lines are kept by message (a bounded number of distinct ones) and shown as-is.
A per-request ``authenticator not initialized`` is resolved to the cause its start-up line gives
(the latest one before it, however long before), or stays pending until the end.
"""

from __future__ import annotations

from typing import Any

from oidc_doctor.dates import datetime
from oidc_doctor.logs.classify import (
    CONTEXT,
    NOT_INITIALIZED,
    RELOAD,
    REQUEST,
    STARTUP,
    Verdict,
)
from oidc_doctor.record import Record, dataclass, field
from oidc_doctor.secrets import mask_text as mask
from oidc_doctor.text import clean, iso

#: Distinct unknown messages kept (the rest are only counted), and distinct details per cause.
MAX_UNKNOWN = 50
MAX_DETAILS = 5
MAX_CONTEXT = 20
_STARTUP_CODES = (
    "issuer-ca-untrusted",
    "discovery-issuer-mismatch",
    "issuer-unreachable",
    "signing-alg-not-allowed",
)


class Example(Record):
    """One line shown as evidence: where it is and what it says.

    The raw line is kept and masked only when shown (``text``), so counting millions of lines
    costs no masking; nothing unmasked ever leaves this object. (A record with a hand-written
    ``__init__``: one is made per marker line, and ``dataclasses`` is not imported on start-up.)
    """

    _fields = ("file", "offset", "time", "raw", "line", "at")
    __slots__ = _fields
    file: str
    offset: int
    time: datetime | None
    raw: bytes
    line: int | None  # filled by ``number_lines`` after the scan
    at: str | None  # an entry of a cloud log export ("events[3]"): no line numbers there

    def __init__(
        self, file: str, offset: int, time: datetime | None, raw: bytes, line: int | None = None, at: str | None = None
    ) -> None:
        self.file = file
        self.offset = offset
        self.time = time
        self.raw = raw
        self.line = line
        self.at = at

    @property
    def text(self) -> str:
        """The line, decoded, masked, without control characters, cut at 2000 characters."""
        return clean(mask(self.raw.decode("utf-8", "replace").rstrip("\r\n")), limit=2000)

    @property
    def ref(self) -> str:
        """``file:line`` (or ``file@byte`` while the line number is unknown; ``file events[i]`` for an
        entry of a cloud log export)."""
        if self.at is not None:
            return f"{self.file} {self.at}"
        return f"{self.file}:{self.line}" if self.line is not None else f"{self.file}@{self.offset}"

    def to_json(self) -> dict[str, Any]:
        """JSON shape used by ``oidc-doctor logs``."""
        return {"ref": self.ref, "time": iso(self.time) if self.time else None, "line": self.text}


@dataclass
class CauseStats:
    """What the logs say about one cause (or one unknown message)."""

    code: str | None
    kind: str
    count: int = 0
    requests: int = 0  # how many of them are "Unable to authenticate the request" lines
    first: datetime | None = None
    last: datetime | None = None
    example: Example | None = None
    latest: Example | None = None
    error: str = ""  # the inner error of the example (raw: mask before showing)
    details: list[dict[str, str]] = field(default_factory=list)
    failure: str | None = None
    explained_by: Example | None = None  # the start-up line behind "authenticator not initialized"
    example_is_request: bool = False  # a rejected request is a better example than a start-up line

    def add(self, ex: Example, verdict: Verdict) -> None:
        """Count one more line."""
        self.count += 1
        if verdict.failure_line:
            self.requests += 1
        t = ex.time
        if t is not None:
            if self.first is None or t < self.first:
                self.first = t
            if self.last is None or t >= self.last:
                self.last = t
                self.latest = ex
        elif self.latest is None:
            self.latest = ex
        if self.example is None or (verdict.failure_line and not self.example_is_request):
            self.example = ex
            self.error = verdict.error[:8192]
            self.example_is_request = verdict.failure_line
        if verdict.failure and not self.failure:
            self.failure = verdict.failure
        if verdict.detail and verdict.detail not in self.details and len(self.details) < MAX_DETAILS:
            self.details.append(dict(verdict.detail))

    def merge(self, other: CauseStats) -> None:
        """Fold ``other`` (a later part of the input) into this one."""
        self.count += other.count
        self.requests += other.requests
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first
        if other.last is not None and (self.last is None or other.last >= self.last):
            self.last = other.last
            self.latest = other.latest
        if self.example is None or (other.example_is_request and not self.example_is_request):
            self.example, self.error = other.example, other.error
            self.example_is_request = other.example_is_request
        self.failure = self.failure or other.failure
        self.explained_by = self.explained_by or other.explained_by
        for d in other.details:
            if d not in self.details and len(self.details) < MAX_DETAILS:
                self.details.append(d)

    def to_json(self) -> dict[str, Any]:
        """``by_cause`` entry of ``oidc-doctor logs --format json``."""
        out: dict[str, Any] = {
            "count": self.count,
            "requests": self.requests,
            "first": iso(self.first) if self.first else None,
            "last": iso(self.last) if self.last else None,
            "example": self.example.text if self.example else "",
            "ref": self.example.ref if self.example else "",
            "error": clean(mask(self.error), limit=2000),
        }
        if self.details:
            out["details"] = [{k: clean(mask(v), limit=300) for k, v in d.items()} for d in self.details]
        if self.explained_by is not None:
            out["explained_by"] = self.explained_by.to_json()
        return out


@dataclass
class Summary:
    """Everything the logs say, by cause, within an optional time window."""

    start: datetime | None = None  # window; None = unbounded
    end: datetime | None = None
    auth_failures: int = 0  # "Unable to authenticate the request" lines in the window
    lines_classified: int = 0
    untimed_skipped: int = 0  # candidate lines without a time, left out of a window
    by_cause: dict[str, CauseStats] = field(default_factory=dict)
    unknown: dict[str, CauseStats] = field(default_factory=dict)  # raw error start -> stats
    unknown_dropped: int = 0  # unknown lines whose message was not kept (over MAX_UNKNOWN)
    context: list[Example] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # client_id, refresh, no-ca-file
    startup: dict[str, Example] = field(default_factory=dict)  # latest start-up line per code
    pending: CauseStats | None = None  # "not initialized" without a start-up line before it
    #: Per log file (one API server each), the latest line of each outcome of the automatic reload of
    #: --authentication-config ("success", "failure"), kept whatever the window: the last decides what runs.
    reloads: dict[str, dict[str, tuple[Example, dict[str, str]]]] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)

    def in_window(self, t: datetime | None) -> bool:
        """Whether a line at ``t`` belongs to this summary."""
        if self.start is None and self.end is None:
            return True
        if t is None:
            return False
        return (self.start is None or t >= self.start) and (self.end is None or t <= self.end)

    def add(self, ex: Example, verdict: Verdict) -> None:
        """Record one classified line (already masked in ``ex``)."""
        if verdict.kind == STARTUP and verdict.code in _STARTUP_CODES:
            # Remember start-up lines even outside the window: they explain later requests.
            prev = self.startup.get(verdict.code)
            if prev is None or prev.time is None or (ex.time is not None and ex.time >= prev.time):
                self.startup[verdict.code] = ex
        if verdict.kind == RELOAD:
            self._reload(ex, verdict)
            return
        if not self.in_window(ex.time):
            if ex.time is None:
                self.untimed_skipped += 1
            return
        self.lines_classified += 1
        if verdict.failure_line:
            self.auth_failures += 1
        if verdict.kind == CONTEXT:
            for k, v in verdict.detail.items():
                self.notes[k] = v
            if len(self.context) < MAX_CONTEXT:
                self.context.append(ex)
            return
        code = verdict.code
        if code == NOT_INITIALIZED:
            cause = self.explaining_startup(ex.time)
            if cause is None:
                if self.pending is None:
                    self.pending = CauseStats(NOT_INITIALIZED, REQUEST)
                self.pending.add(ex, verdict)
                return
            stats = self._stats(cause[0], verdict.kind)
            stats.add(ex, verdict)
            stats.explained_by = stats.explained_by or cause[1]
            return
        if code is None:
            # Keyed by the raw start of the error (masking every line of a flood costs too
            # much); the key is masked when shown.
            key = verdict.error[:300]
            stats_u = self.unknown.get(key)
            if stats_u is None:
                if len(self.unknown) >= MAX_UNKNOWN:
                    self.unknown_dropped += 1
                    return
                stats_u = self.unknown[key] = CauseStats(None, verdict.kind)
            stats_u.add(ex, verdict)
            return
        self._stats(code, verdict.kind).add(ex, verdict)

    def _reload(self, ex: Example, verdict: Verdict) -> None:
        status = verdict.detail.get("reload", "")
        mine = self.reloads.setdefault(ex.file, {})
        prev = mine.get(status)
        if prev is None or prev[0].time is None or (ex.time is not None and ex.time >= prev[0].time):
            mine[status] = (ex, dict(verdict.detail))

    def last_reloads(self) -> list[tuple[str, Example, dict[str, str]]]:
        """Per log file, its latest reload line: (``success``|``failure``, the line, its detail)."""
        out = []
        for by_status in self.reloads.values():
            best: tuple[str, Example, dict[str, str]] | None = None
            for status, (ex, detail) in by_status.items():
                if best is None or (ex.time is not None and (best[1].time is None or ex.time >= best[1].time)):
                    best = (status, ex, detail)
            if best is not None:
                out.append(best)
        return out

    def _stats(self, code: str, kind: str) -> CauseStats:
        stats = self.by_cause.get(code)
        if stats is None:
            stats = self.by_cause[code] = CauseStats(code, kind)
        return stats

    def explaining_startup(self, t: datetime | None) -> tuple[str, Example] | None:
        """The latest start-up line at or before ``t`` (any, when times are unknown)."""
        best: tuple[str, Example] | None = None
        for code, ex in self.startup.items():
            if t is not None and ex.time is not None and ex.time > t:
                continue
            if best is None or (ex.time is not None and (best[1].time is None or ex.time > best[1].time)):
                best = (code, ex)
        return best

    def _explain(self, pending: CauseStats, code: str, startup: Example | None) -> None:
        """Count ``not initialized`` requests under the cause their start-up line gives."""
        stats = self._stats(code, REQUEST)
        stats.merge(pending)
        stats.explained_by = stats.explained_by or startup

    def finish(self) -> None:
        """Resolve pending ``not initialized`` lines: the start-up line, or issuer-unreachable."""
        if self.pending is None:
            return
        pending, self.pending = self.pending, None
        cause = self.explaining_startup(pending.first) or self.explaining_startup(None)
        if cause is None:
            self._explain(pending, "issuer-unreachable", None)
        else:
            self._explain(pending, *cause)

    def merge(self, later: Summary) -> None:
        """Fold the summary of a later part of the input (file segment or next file) in."""
        self.auth_failures += later.auth_failures
        self.lines_classified += later.lines_classified
        self.untimed_skipped += later.untimed_skipped
        if later.pending is not None:
            # Requests of the later part that saw no start-up line there: ours may explain them.
            cause = self.explaining_startup(later.pending.first)
            if cause is not None:
                self._explain(later.pending, *cause)
            elif self.pending is None:
                self.pending = later.pending
            else:
                self.pending.merge(later.pending)
        for code, st in later.by_cause.items():
            mine = self.by_cause.get(code)
            if mine is None:
                self.by_cause[code] = st
            else:
                mine.merge(st)
        for key, st in later.unknown.items():
            mine = self.unknown.get(key)
            if mine is not None:
                mine.merge(st)
            elif len(self.unknown) < MAX_UNKNOWN:
                self.unknown[key] = st
            else:
                self.unknown_dropped += st.count
        self.unknown_dropped += later.unknown_dropped
        self.context.extend(later.context[: max(0, MAX_CONTEXT - len(self.context))])
        self.notes.update(later.notes)
        for by_status in later.reloads.values():
            for ex, detail in by_status.values():
                self._reload(ex, Verdict(RELOAD, None, "", None, detail))
        for code, ex in later.startup.items():
            prev = self.startup.get(code)
            if prev is None or prev.time is None or (ex.time is not None and ex.time >= prev.time):
                self.startup[code] = ex
        self.files.extend(later.files)

    def examples(self, *, latest: bool = False) -> list[Example]:
        """The examples shown (to give them line numbers); ``latest`` adds each cause's last line."""
        out: list[Example] = []
        for st in [*self.by_cause.values(), *self.unknown.values()]:
            out += [e for e in (st.example, st.explained_by) if e is not None]
            if latest and st.latest is not None:
                out.append(st.latest)
        out += [ex for by_status in self.reloads.values() for ex, _ in by_status.values()]
        out += self.context
        return out

    def to_json(self) -> dict[str, Any]:
        """The ``oidc-doctor logs --format json`` object."""
        return {
            "window": {
                "start": iso(self.start) if self.start else None,
                "end": iso(self.end) if self.end else None,
            }
            if self.start or self.end
            else None,
            "files": self.files,
            "auth_failures": self.auth_failures,
            "by_cause": {code: st.to_json() for code, st in sorted(self.by_cause.items(), key=_order)},
            "unclassified": [
                {"kind": st.kind, "message": clean(mask(key), limit=300), **st.to_json()}
                for key, st in self.unknown.items()
            ],
            "unclassified_not_kept": self.unknown_dropped,
            "untimed_skipped": self.untimed_skipped,
            "notes": {k: clean(mask(v), limit=300) for k, v in self.notes.items()},
            **(
                {
                    "reloads": {
                        file: {status: ex.to_json() for status, (ex, _) in sorted(by_status.items())}
                        for file, by_status in sorted(self.reloads.items())
                    }
                }
                if self.reloads
                else {}
            ),
        }


def _order(item: tuple[str, CauseStats]) -> tuple[int, str]:
    return (-item[1].count, item[0])
