"""Time windows by bisection: find ``T ± D`` in a multi-GB log without reading all of it.

A log is (nearly) sorted by time, so the byte offset where a time starts can be found by
bisecting the file: seek, skip to the next line start, read the first line that carries a time,
compare, repeat — about 30 probes of a few KiB for a GiB. Lines from several goroutines may be a
little out of order, so the range is widened by :data:`SLACK` and every line is still checked
against the window. Files that are not in order (rotated files concatenated in the wrong order,
merged logs) are detected by sampling and then read whole.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from oidc_doctor.dates import UTC, datetime, timedelta
from oidc_doctor.errors import InputError
from oidc_doctor.logs.files import line_start_after
from oidc_doctor.logs.formats import line_time

#: Widening of a window before bisection, and the disorder tolerated between samples.
SLACK = timedelta(seconds=60)
_PROBE = 64 << 10  # bytes read per probe to find one timed line
_PROBE_MAX = 1 << 20  # a probe gives up after this many bytes without a timed line
_TAIL_MAX = 16 << 20  # latest_timestamp looks this far back from the end of a plain file
_SAMPLES = 33
_STOP = 64 << 10  # bisection stops when the interval is this small; the rest is read


def _time_at(f: BinaryIO, offset: int, size: int, ref: datetime | None) -> datetime | None:
    """The time of the first timed line starting at or after ``offset``.

    Looks at most :data:`_PROBE_MAX` bytes: a file without times must not be read once per probe.
    """
    pos = offset
    f.seek(pos)
    skip_partial = pos > 0
    stop = min(size, offset + _PROBE_MAX)
    while pos < stop:
        block = f.read(_PROBE)
        if not block:
            break
        start = 0
        if skip_partial:
            nl = block.find(b"\n")
            if nl == -1:
                pos += len(block)
                continue
            start = nl + 1
            skip_partial = False
        while True:
            nl = block.find(b"\n", start)
            if nl == -1:
                break
            t = line_time(block[start:nl], ref)
            if t is not None:
                return t
            start = nl + 1
        if start == 0:  # a line longer than a probe: skip it
            skip_partial = True
        pos += start
        f.seek(pos)
    return None


def in_order(f: BinaryIO, size: int, ref: datetime | None) -> bool:
    """Whether evenly spaced samples of the file are in time order (within SLACK)."""
    last: datetime | None = None
    for i in range(_SAMPLES):
        t = _time_at(f, size * i // _SAMPLES, size, ref)
        if t is None:
            continue
        if last is not None and t - last < -SLACK:  # a difference never overflows; last - SLACK can
            return False
        last = max(last, t) if last else t
    return last is not None


def _bisect(f: BinaryIO, size: int, target: datetime, ref: datetime | None) -> tuple[int, int]:
    """Offsets ``lo <= hi`` with every line before ``lo`` older than ``target`` and the first timed
    line at or after ``hi`` not older (for a sorted file); ``hi - lo`` is at most a few probes."""
    lo, hi = 0, size
    while hi - lo > _STOP:
        mid = (lo + hi) // 2
        t = _time_at(f, mid, size, ref)
        if t is None or t >= target:
            hi = mid
        else:
            lo = mid
    return lo, hi




def byte_range(f: BinaryIO, size: int, start: datetime, end: datetime, ref: datetime | None) -> tuple[int, int] | None:
    """Byte offsets covering ``[start, end]`` of a sorted plain file; None if it is not sorted."""
    if size == 0:
        return (0, 0)
    if not in_order(f, size, ref):
        return None
    lo, _ = _bisect(f, size, start, ref)
    _, hi = _bisect(f, size, end + timedelta(microseconds=1), ref)
    first = 0 if lo == 0 else line_start_after(f, lo, size)
    last = size if hi >= size else line_start_after(f, hi, size)
    return (first, max(first, last))


# "ailed to fetch provider" covers both "oidc authenticator: failed to fetch provider discovery data"
# and the older "Failed to fetch provider config".
_STARTUP_MARKERS = (b"authenticator: initializing plugin", b"ailed to fetch provider", b"JWKS URL")


def last_startup_before(f: BinaryIO, offset: int) -> tuple[int, bytes] | None:
    """The last API server start-up (discovery) line before ``offset``: (line offset, line).

    Read backwards in 8 MiB blocks, however far back it is.
    """
    from oidc_doctor.logs.classify import STARTUP, classify_line

    block_size = 8 << 20
    end = offset
    while end > 0:
        start = max(0, end - block_size)
        f.seek(start)
        block = f.read(end - start + _PROBE)  # a little past ``end`` to finish a cut line
        limit = end - start
        best, best_line = -1, b""
        for marker in _STARTUP_MARKERS:
            p = block.rfind(marker, 0, limit)
            while p != -1:
                ls = block.rfind(b"\n", 0, p) + 1
                if ls == 0 and start > 0:
                    break  # the line starts in the block before; the overlap reads it whole
                le = block.find(b"\n", p)
                raw = block[ls : le if le != -1 else len(block)]
                v = classify_line(raw)
                if v is not None and v.kind == STARTUP:
                    if ls > best:
                        best, best_line = ls, raw
                    break
                if ls == 0:
                    break
                p = block.rfind(marker, 0, ls)
        if best != -1:
            return start + best, best_line
        if start == 0:
            break
        end = start + _PROBE  # overlap so a line cut at ``start`` is seen whole
    return None


def latest_timestamp(path: Path, year_hint: int | None = None) -> datetime | None:
    """The time of the last timed line of a log, read from the file's end (gzip: streamed).

    klog and journald lines carry no year: ``year_hint`` gives it; without one the file's
    modification time is the reference (a December line in a file written in January belongs to
    the year before).
    """
    from oidc_doctor.logs.files import CHUNK, has_bom, is_gzip, open_log

    try:
        ref = (
            datetime(year_hint, 12, 31, 23, 59, 59, tzinfo=UTC)
            if year_hint is not None
            else datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
        )
        if is_gzip(path) or has_bom(path):
            last: datetime | None = None
            with open_log(path) as g:
                tail = b""
                while True:
                    chunk = g.read(CHUNK)
                    if not chunk:
                        break
                    data = tail + chunk
                    cut = data.rfind(b"\n")
                    t = _last_time_in(data[: cut + 1] if cut != -1 else b"", ref)
                    last = t or last
                    tail = data[cut + 1 :] if cut != -1 else data
                return _last_time_in(tail, ref) or last
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            end = size
            while end > max(0, size - _TAIL_MAX):
                start = max(0, end - _PROBE)
                f.seek(start)
                block = f.read(end - start)
                if start > 0:
                    nl = block.find(b"\n")
                    if nl == -1:
                        end = start
                        continue
                    body = block[nl + 1 :]
                    next_end = start + nl + 1
                else:
                    body, next_end = block, 0
                t = _last_time_in(body, ref)
                if t is not None:
                    return t
                end = next_end if next_end < end else start
    except (OSError, InputError):  # InputError: a gzip bomb stopped (limits.BoundedGzip)
        return None
    return None


def _last_time_in(data: bytes, ref: datetime | None) -> datetime | None:
    for line in reversed(data.splitlines()):
        t = line_time(line, ref)
        if t is not None:
            return t
    return None
