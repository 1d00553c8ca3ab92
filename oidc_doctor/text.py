"""Helpers for showing hostile strings and times safely.

Every string from a token, log, manifest or identity provider is treated as hostile when
printed: control characters (ANSI escapes, carriage returns, ...) are removed.
"""

from __future__ import annotations

import re

from oidc_doctor.dates import UTC, datetime, timedelta
from oidc_doctor.errors import UsageError

#: Characters :func:`clean` removes: C0 controls but tab and newline, DEL, C1 controls, zero-width
#: and bidi controls. A ``str.translate`` table, not a regular expression: compiling a character
#: class with these ranges costs about 0.4 ms of every command's start-up.
_CONTROL = dict.fromkeys(
    [
        *range(0x00, 0x09),
        *range(0x0B, 0x20),
        *range(0x7F, 0xA0),
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)

#: Characters JSON encoders leave raw but a terminal acts on (DEL, C1 controls, bidi overrides, ...),
#: and lone surrogates (which no UTF-8 stream can carry). Compiled on first use by
#: :func:`json_text`: pure-ASCII output without DEL, the usual case, never needs it.
_UNSAFE_IN_JSON = r"[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def json_text(text: str) -> str:
    """JSON text with the characters a terminal would act on written as ``\\uXXXX`` escapes.

    JSON encoders escape C0 controls themselves; these others can only occur inside JSON
    strings, so escaping them keeps the document valid and equal while nothing hostile reaches a
    terminal.
    """
    if text.isascii() and "\x7f" not in text:
        return text  # the only unsafe ASCII character is DEL
    return re.sub(_UNSAFE_IN_JSON, lambda m: f"\\u{ord(m.group()):04x}", text)


def clean(value: object, limit: int | None = None) -> str:
    """``str(value)`` without control characters (tabs and newlines become spaces), maybe cut."""
    s = str(value)
    if not s.isprintable():  # every character removed or replaced here is unprintable
        s = s.translate(_CONTROL).replace("\t", " ").replace("\n", " ")
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def clean_lines(value: object) -> list[str]:
    """The lines of ``str(value)``, each cleaned (for multi-line fixes such as kubectl commands)."""
    return [clean(line) for line in str(value).splitlines() if line.strip()] or [""]


def parse_time(value: str, what: str = "--now") -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or an offset; no zone means UTC) into aware UTC."""
    v = value.strip()
    if v.endswith(("Z", "z")):
        v = v[:-1] + "+00:00"
    try:
        t = datetime.fromisoformat(v)
    except ValueError as e:
        raise UsageError(f"{what}: {value!r} is not an RFC 3339 time such as 2026-11-28T10:25:12Z") from e
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


#: The calendar limits, a day inside ``datetime.min``/``max`` so a little more arithmetic on a
#: clamped time (a microsecond, a minute of slack) cannot overflow either.
TIME_MIN = datetime(1, 1, 2, tzinfo=UTC)
TIME_MAX = datetime(9999, 12, 30, tzinfo=UTC)


def shift(t: datetime, by: timedelta) -> datetime:
    """``t + by``, clamped to the calendar (:data:`TIME_MIN`..:data:`TIME_MAX`) instead of overflowing."""
    try:
        moved = t + by
    except OverflowError:
        return TIME_MAX if by > timedelta(0) else TIME_MIN
    return min(max(moved, TIME_MIN), TIME_MAX)


def iso(t: datetime) -> str:
    """``2026-11-28T10:25:12Z`` form (UTC, seconds)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_duration(seconds: float) -> str:
    """A short duration: ``45s``, ``5m``, ``1h 30m``, ``3d 4h``."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m}m {r}s" if r else f"{m}m"
    if s < 86400:
        h, r = divmod(s, 3600)
        return f"{h}h {r // 60}m" if r // 60 else f"{h}h"
    d, r = divmod(s, 86400)
    return f"{d}d {r // 3600}h" if r // 3600 else f"{d}d"


def relative(t: datetime, now: datetime) -> str:
    """``in 5m`` or ``3h ago`` relative to ``now``."""
    delta = (t - now).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"in {human_duration(delta)}" if delta > 0 else f"{human_duration(delta)} ago"


def from_epoch(value: float) -> datetime | None:
    """A JWT NumericDate as aware UTC, or None when out of range."""
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=value)
    except (OverflowError, ValueError):
        return None


def parse_duration(value: str, what: str) -> float:
    """A Go-style duration (``2m``, ``1h30m``, ``90s``, ``168h0m0s``) or plain seconds, in seconds."""
    v = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", v):
        if not float(v) <= MAX_DURATION_S:
            raise UsageError(f"{what}: {value!r} is longer than 100 years")
        return float(v)
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)", v)
    if not parts or "".join(n + u for n, u in parts) != v.lstrip("+"):
        raise UsageError(f"{what}: {value!r} is not a duration such as 5m or 1h30m")
    seconds = sum(float(n) * units[u] for n, u in parts)
    if not seconds <= MAX_DURATION_S:  # also NaN/inf: datetime arithmetic would overflow
        raise UsageError(f"{what}: {value!r} is longer than 100 years")
    return seconds


#: The longest duration accepted from the command line: ``timedelta`` and the datetime arithmetic
#: around it overflow a little beyond (issue 14: a huge ``--window`` was an internal error).
MAX_DURATION_S = 100 * 365 * 86400.0
