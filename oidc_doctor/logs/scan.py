"""The streaming scanner: find the few authentication lines of a multi-GB log fast.

The file is read in 1 MiB chunks into one reused buffer (constant memory). Instead of looking
at every line, each chunk is searched with ``bytes.find`` for a few fixed markers (``Unable to
authenticate the request``, ``authenticator: initializing plugin``, ...); only the lines holding
one are classified. On 256 MiB, one marker over 8 MiB chunks ran at 3.98 GB/s, a Python loop
over the lines at 0.8 GB/s (measured in docs/logs.md); a chunk that stays in the CPU cache
between the searches of its markers (1 MiB rather than 8) took 12 % less CPU on 1 GiB with two
markers and line numbering. Line numbers are counted afterwards, only up to the examples
that are shown (``number_lines``), because counting newlines costs more than the search; or,
for callers that show examples from anywhere (``diagnose``), during the scan, in parallel.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from io import BufferedIOBase
from pathlib import Path
from typing import Any, BinaryIO

from oidc_doctor.dates import datetime, timedelta
from oidc_doctor.errors import InputError
from oidc_doctor.logs.classify import (
    APISERVER_MARKERS,
    CORE_MARKERS,
    INGRESS_MARKERS,
    PROXY_MARKERS,
    classify_line,
)
from oidc_doctor.logs.files import has_bom, is_gzip, line_start_after, open_log
from oidc_doctor.logs.formats import line_time
from oidc_doctor.logs.summary import Example, Summary
from oidc_doctor.record import dataclass
from oidc_doctor.text import shift

#: The scanning buffer (see the module doc). A line longer than this is searched in pieces.
CHUNK = 1 << 20

#: API server logs below this size are searched for every API server marker; above it only for
#: the core ones (each extra marker is one more pass over the data).
SMALL = 64 << 20

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
#: Examples keep at most this much of a line (a pathological line can be megabytes long).
MAX_KEPT = 16 << 10

#: A marker line found in the background: (byte offset, line number or None, the line).
Hit = tuple[int, int | None, bytes]
#: The most marker-line bytes a background scan hands back; a log with more (every line a
#: marker line) is scanned the ordinary way, into bounded summaries.
MAX_COLLECTED = 64 << 20


class Hits(list[Hit]):
    """Marker lines collected by a background scan, with their size so far."""

    size = 0


class _TooMany(Exception):
    """More marker lines than :data:`MAX_COLLECTED` bytes: the background scan gives up."""


@dataclass
class ScanRange:
    """Part of a file to read: byte offsets (decompressed for gzip)."""

    start: int = 0
    end: int | None = None  # None = to the end


def markers_for(size: int | None, kind: str | None) -> tuple[bytes, ...]:
    """Which markers to search, by log kind; a big API server log gets only the core ones.

    An unrecognised file gets every marker (it may mix the three sources).
    """
    if kind == "apiserver-log":
        return CORE_MARKERS if size is not None and size >= SMALL else CORE_MARKERS + APISERVER_MARKERS
    if kind == "proxy-log":
        return CORE_MARKERS + PROXY_MARKERS + INGRESS_MARKERS
    if kind == "ingress-log":
        return CORE_MARKERS + INGRESS_MARKERS
    return tuple(dict.fromkeys(CORE_MARKERS + APISERVER_MARKERS + PROXY_MARKERS + INGRESS_MARKERS))


def scan_stream(
    stream: BufferedIOBase,
    label: str,
    sinks: list[Summary],
    *,
    markers: tuple[bytes, ...],
    ref: datetime | None,
    rng: ScanRange | None = None,
    progress: Progress | None = None,
    total: int = 0,
    number: bool = False,
    collect: Hits | None = None,
) -> int | None:
    """Read ``stream`` from its current position (``rng.start``) and feed every sink.

    With ``number`` examples get their line numbers as they are found, counted from the position
    the stream starts at (a stream that cannot be read again, such as standard input, or a
    segment of a file whose earlier newlines are added afterwards); the count of newlines read is
    returned (None without ``number``). With ``collect`` the marker lines are appended to it as
    :data:`Hit` tuples instead of being classified into the sinks.
    """
    rng = rng or ScanRange()
    newlines: int | None = 0 if number else None  # newlines before buf[0]
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    keep = 0  # bytes of an unfinished line carried at the front of the buffer
    base = rng.start  # stream offset of buf[0]
    remaining = None if rng.end is None else rng.end - rng.start
    done = 0
    try:
        while True:
            want = len(buf) - keep
            if remaining is not None:
                want = min(want, remaining)
            n = stream.readinto(view[keep : keep + want]) if want > 0 else 0
            if remaining is not None:
                remaining -= n
            filled = keep + n
            if n == 0:
                if keep:
                    _search(buf, 0, keep, base, label, sinks, markers, ref, newlines, collect)
                break
            last_nl = buf.rfind(b"\n", 0, filled)
            if last_nl == -1:
                if filled < len(buf) and (remaining is None or remaining > 0):
                    keep = filled
                    continue
                end = filled  # one line longer than the buffer: search what we have
            else:
                end = last_nl + 1
            at = _search(buf, 0, end, base, label, sinks, markers, ref, newlines, collect)
            if newlines is not None:  # the newlines up to the last marker line were counted there
                newlines = at[1] + buf.count(b"\n", at[0], end)
            tail = filled - end
            if tail:
                buf[0:tail] = buf[end:filled]
            keep = tail
            base += end
            done += n
            if progress is not None:
                progress(done, total)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise InputError(label, f"cannot read past byte {base}: {e}") from e
    finally:
        view.release()
    return newlines


def _search(
    buf: bytearray,
    lo: int,
    hi: int,
    base: int,
    label: str,
    sinks: list[Summary],
    markers: tuple[bytes, ...],
    ref: datetime | None,
    newlines: int | None = None,
    collect: Hits | None = None,
) -> tuple[int, int]:
    """Find marker lines in ``buf[lo:hi]`` (whole lines) and classify them in file order.

    ``newlines`` (when numbering) is the count of newlines before ``buf[0]``; with ``collect``
    the lines are appended there instead (at most :data:`MAX_COLLECTED` bytes of them).
    Returns where the numbering stopped: the start of the last marker line (``lo`` without one)
    and the newlines before it, so the caller counts only the rest of the buffer.
    """
    lines: dict[int, int] = {}
    for marker in markers:
        p = buf.find(marker, lo, hi)
        while p != -1:
            start = buf.rfind(b"\n", lo, p) + 1
            if start < lo:
                start = lo
            end = buf.find(b"\n", p, hi)
            if end == -1:
                end = hi
            lines[start] = end
            p = buf.find(marker, end, hi)
    counted, at = newlines, lo
    for start in sorted(lines):
        raw = bytes(buf[start : lines[start]])
        line = None
        if counted is not None:
            counted += buf.count(b"\n", at, start)
            at = start
            line = counted + 1
        if collect is not None:
            collect.append((base + start, line, raw))
            collect.size += len(raw) + 64
            if collect.size > MAX_COLLECTED:
                raise _TooMany
            continue
        _handle(raw, base + start, label, sinks, ref, line)
    return at, counted or 0


def _handle(
    raw: bytes, offset: int, label: str, sinks: list[Summary], ref: datetime | None, line: int | None = None
) -> None:
    verdict = classify_line(raw)
    if verdict is None:
        return
    ex = Example(label, offset, line_time(raw, ref), raw[:MAX_KEPT], line)
    for sink in sinks:
        sink.add(ex, verdict)


def _all_examples(summary: Summary) -> list[Example]:
    """Every example a summary holds, once each (the same line may be a cause's first and latest)."""
    stats = [*summary.by_cause.values(), *summary.unknown.values()]
    if summary.pending is not None:
        stats.append(summary.pending)
    found = [e for st in stats for e in (st.example, st.latest, st.explained_by) if e is not None]
    found += summary.context
    found += summary.startup.values()
    return list({id(e): e for e in found}.values())


def _shift_lines(summaries: list[Summary], newlines: int) -> None:
    """Add the newlines before a segment to the line numbers counted inside it (once per line:
    the sinks of one segment share the example of a line that belongs to several)."""
    unique = {id(e): e for s in summaries for e in _all_examples(s)}
    for ex in unique.values():
        if ex.line is not None:
            ex.line += newlines


def number_lines(path: Path, examples: Iterable[Example]) -> None:
    """Give each example its 1-based line number by counting newlines up to its offset.

    Only the prefix of the file up to the last example is read, into one reused buffer.
    """
    todo = sorted((e for e in examples if e.line is None), key=lambda e: e.offset)
    if not todo:
        return
    buf = bytearray(CHUNK)
    with open_log(path) as f:
        pos = 0
        lines = 0
        i = 0
        while i < len(todo):
            n = f.readinto(buf)
            if not n:
                break
            end = pos + n
            while i < len(todo) and todo[i].offset <= end:
                todo[i].line = lines + buf.count(b"\n", 0, todo[i].offset - pos) + 1
                i += 1
            if i < len(todo):
                lines += buf.count(b"\n", 0, n)
            pos = end


def file_size(path: Path) -> int | None:
    """Size of a plain file; None for gzip or a BOM-marked file (read as a transcoded stream)."""
    try:
        return None if is_gzip(path) or has_bom(path) else path.stat().st_size
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from e


def scan_file(
    path: Path,
    sinks: list[Summary],
    *,
    label: str | None = None,
    kind: str | None = None,
    ref: datetime | None = None,
    progress: Progress | None = None,
    number: bool = False,
) -> dict[str, object]:
    """Scan one file into the sinks; bisect to the sinks' windows when they all have one.

    With ``number`` every example gets its line number during the scan (newlines are counted in
    each segment, by the process that scans it), for callers that show examples from anywhere
    in the file (each cause's latest line): :func:`number_lines` then has nothing left to read.
    Without it, only the examples shown are numbered afterwards, by reading up to the last of
    them (cheaper when they all lie early in the file).
    Returns a description of what was read (for the report's file list).
    """
    from oidc_doctor.logs import window as win

    label = label or str(path)
    size = file_size(path)
    markers = markers_for(size, kind)
    info: dict[str, object] = {"file": label, "bytes": size, "gzip": size is None and is_gzip(path), "read": "whole"}
    bounded = bool(sinks) and all(s.start is not None and s.end is not None for s in sinks)
    rng = ScanRange()
    if bounded and size is not None:
        lo = min(s.start for s in sinks if s.start is not None) - win.SLACK
        hi = max(s.end for s in sinks if s.end is not None) + win.SLACK
        with path.open("rb") as f:
            found = win.byte_range(f, size, lo, hi, ref)
        if found is not None:
            rng = ScanRange(*found)
            info["read"] = f"bytes {found[0]}-{found[1]} (bisected)"
        else:
            info["read"] = "whole (timestamps not in order)"
    end = rng.end if rng.end is not None else size
    workers = _workers(end - rng.start if end is not None else 0)
    number = number and rng.start == 0  # a bisected range: the newlines before it are not read
    hits = _take(path, markers) if not bounded and size is not None else None
    if hits is not None:  # found in the background (prefetch): classify them now, in file order
        for offset, line, raw in hits:
            _handle(raw, offset, label, sinks, ref, line if number else None)
        return info
    if size is not None and end is not None and workers > 1:
        info["workers"] = workers
        _scan_parallel(path, label, sinks, markers, ref, rng.start, end, workers, progress, number)
    else:
        with open_log(path) as stream:
            if rng.start:
                stream.seek(rng.start)
            scan_stream(
                stream,
                label,
                sinks,
                markers=markers,
                ref=ref,
                rng=rng,
                progress=progress,
                total=(end or 0) - rng.start,
                number=number,
            )
    waiting = [s for s in sinks if s.pending is not None]
    if rng.start > 0 and waiting:
        # A request "not initialized" in the window is explained by a start-up line, however
        # long before: look backwards for the last one.
        with path.open("rb") as f:
            hit = win.last_startup_before(f, rng.start)
        if hit is not None:
            _handle(hit[1], hit[0], label, waiting, ref)
            for sink in waiting:
                sink.finish()
    return info


#: Plain files from this size on are split between processes (one per CPU, at most 4): the
#: search is CPU-bound and ``bytes.find`` holds the GIL, so threads would not help.
PARALLEL_MIN = 128 << 20


def _threaded() -> bool:
    """Whether other threads run: forking a threaded process can deadlock the child. Threads are
    started through `threading`: when nothing imported it there are none (and the `logs` command
    does not import it, 0.6 ms)."""
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Freeze the heap while children are forked (Python's ``gc.freeze`` advice for fork without exec).

    The children share the parent's heap copy-on-write: frozen, its objects are out of the reach of
    a collection in a child, which would write into every one of them. The parent takes them back
    afterwards, unless it had frozen objects itself (the loader freezes big documents for the whole
    run). A child leaves through ``os._exit``, never through this block's end.
    """
    import gc

    had_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not had_frozen:
            gc.unfreeze()


def _workers(nbytes: int) -> int:
    if nbytes < PARALLEL_MIN or not hasattr(os, "fork") or os.environ.get("OIDC_DOCTOR_LOG_WORKERS") == "1":
        return 1
    if _threaded():
        return 1
    cpus = _cpus()
    try:
        # CPUs other programs keep busy do not help: with the machine loaded, one more process
        # only adds the cost of splitting (measured in docs/logs.md).
        idle = round(cpus - os.getloadavg()[0]) + 1
    except OSError:
        idle = cpus
    return max(1, min(4, cpus, idle, nbytes // (PARALLEL_MIN // 2)))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _scan_parallel(
    path: Path,
    label: str,
    sinks: list[Summary],
    markers: tuple[bytes, ...],
    ref: datetime | None,
    start: int,
    end: int,
    workers: int,
    progress: Progress | None,
    number: bool = False,
) -> None:
    """Scan ``[start, end)`` in ``workers`` segments (forked children), then merge in order.

    With ``number`` each segment numbers its examples from its own start and counts its
    newlines; the parent then adds the newlines of the segments before each one.
    """
    import pickle

    with path.open("rb") as f:
        cuts = [start]
        for i in range(1, workers):
            cuts.append(max(cuts[-1], line_start_after(f, start + (end - start) * i // workers, end)))
        cuts.append(end)
    children: list[tuple[int, int]] = []  # (pid, read fd)
    with _frozen_heap():
        for i in range(1, workers):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # child: scan one segment, send the summaries back, exit
                os.close(r)
                status = 0
                try:
                    parts = [Summary(start=s.start, end=s.end) for s in sinks]
                    with path.open("rb") as stream:
                        stream.seek(cuts[i])
                        lines = scan_stream(
                            stream,
                            label,
                            parts,
                            markers=markers,
                            ref=ref,
                            rng=ScanRange(cuts[i], cuts[i + 1]),
                            number=number,
                        )
                    payload = pickle.dumps(("ok", (parts, lines)))
                except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
                    payload = pickle.dumps(("error", f"{type(e).__name__}: {e}"))
                    status = 1
                with os.fdopen(w, "wb") as out:
                    out.write(payload)
                os._exit(status)
            os.close(w)
            children.append((pid, r))
    own = [Summary(start=s.start, end=s.end) for s in sinks]
    try:
        with path.open("rb") as stream:
            stream.seek(cuts[0])
            newlines = scan_stream(
                stream,
                label,
                own,
                markers=markers,
                ref=ref,
                rng=ScanRange(cuts[0], cuts[1]),
                progress=(lambda d, t: progress(d * workers, t)) if progress else None,
                total=(cuts[1] - cuts[0]) * workers,
                number=number,
            )
    finally:
        results = []
        for pid, r in children:
            with os.fdopen(r, "rb") as inp:
                data = inp.read()
            os.waitpid(pid, 0)
            results.append(data)
    for sink, mine in zip(sinks, own, strict=True):
        sink.merge(mine)
    for data in results:
        state, answer = pickle.loads(data)  # noqa: S301 - our own child's output
        if state != "ok":
            raise InputError(label, f"cannot scan: {answer}")
        parts, lines = answer
        if newlines is not None:
            _shift_lines(parts, newlines)
        for sink, part in zip(sinks, parts, strict=True):
            sink.merge(part)
        if newlines is not None:
            newlines += lines


# -- background scans ------------------------------------------------------------------------

#: Plain log files from this size on may be scanned in the background (:func:`prefetch`).
PREFETCH_MIN = PARALLEL_MIN

#: Background scans by path: (size, mtime, markers) when started, and the children (pid and the
#: unlinked temporary file each writes its marker lines to).
_JOBS: dict[str, tuple[tuple[object, ...], list[tuple[int, BinaryIO]]]] = {}
_ATEXIT: list[bool] = []  # whether discard_prefetches is registered to run at exit


def prefetch(path: Path, kind: str | None) -> bool:
    """Start finding the marker lines of a big plain log in forked children, at once.

    A caller that is about to build big heaps (55,000 RBAC bindings) calls this first: the
    children then share no heap with it (a process forked later copies its page tables and makes
    it fault on every page it writes), and they search while it parses. :func:`scan_file` later
    classifies the lines they found instead of reading the file; the time window, the reference
    time and the line numbers are applied then, so nothing of the judgement moves here. Each
    child writes to an unlinked temporary file (a pipe would block once full, before anyone
    reads it). Returns whether a scan started (not for gzip, small files, or without ``fork``).
    """
    import tempfile

    key = str(path)
    if not hasattr(os, "fork") or key in _JOBS or _threaded():
        return False
    try:
        size = file_size(path)
        mtime = os.stat(path).st_mtime_ns
    except (InputError, OSError):
        return False
    if size is None or size < PREFETCH_MIN:
        return False
    markers = markers_for(size, kind)
    # The caller mostly waits for these children (it parses meanwhile, then needs their answer):
    # at least two even on a loaded machine, where _workers would keep the scan in one process.
    workers = max(_workers(size), min(2, _cpus(), size // PARALLEL_MIN))
    try:
        with path.open("rb") as f:
            cuts = [0]
            for i in range(1, workers):
                cuts.append(max(cuts[-1], line_start_after(f, size * i // workers, size)))
            cuts.append(size)
    except OSError:
        return False
    if not _ATEXIT:
        import atexit

        atexit.register(discard_prefetches)
        _ATEXIT.append(True)
    children: list[tuple[int, BinaryIO]] = []
    _JOBS[key] = ((size, mtime, markers), children)
    try:
        with _frozen_heap():
            for i in range(workers):
                out = tempfile.TemporaryFile()
                try:
                    pid = os.fork()
                except OSError:
                    out.close()
                    raise
                if pid == 0:  # child: find the marker lines of one segment, write them, exit
                    _prefetch_child(path, markers, cuts[i], cuts[i + 1], out)
                children.append((pid, out))
    except OSError:  # no temporary file, no process: the ordinary scan will do
        _discard(_JOBS.pop(key)[1])
        return False
    return True


def _prefetch_child(path: Path, markers: tuple[bytes, ...], start: int, end: int, out: BinaryIO) -> None:
    import pickle

    status = 0
    try:
        hits = Hits()
        with path.open("rb") as stream:
            stream.seek(start)
            lines = scan_stream(
                stream, str(path), [], markers=markers, ref=None, rng=ScanRange(start, end), number=True, collect=hits
            )
        payload: tuple[object, ...] = ("ok", list(hits), lines)
    except _TooMany:
        payload = ("too-many",)
    except Exception as e:  # noqa: BLE001 - the parent then scans the ordinary way and meets it itself
        payload = ("error", f"{type(e).__name__}: {e}")
        status = 1
    try:
        pickle.dump(payload, out)
        out.flush()
    finally:
        os._exit(status)


def _take(path: Path, markers: tuple[bytes, ...]) -> list[Hit] | None:
    """The marker lines a background scan of ``path`` found, in file order with absolute line
    numbers; None when there was none, or the file changed since, or it gave up."""
    import pickle

    job = _JOBS.pop(str(path), None)
    if job is None:
        return None
    started, children = job
    answers: list[Any] = []
    for pid, out in children:
        os.waitpid(pid, 0)
        with out:
            out.seek(0)
            data = out.read()
        answers.append(pickle.loads(data) if data else ("error", "no answer"))  # noqa: S301 - our own child's
    try:
        now = (os.stat(path).st_size, os.stat(path).st_mtime_ns, markers)
    except OSError:
        return None
    if now != started or any(a[0] != "ok" for a in answers):
        return None
    hits: list[Hit] = []
    newlines = 0
    for _, part, lines in answers:
        hits += [(off, None if line is None else line + newlines, raw) for off, line, raw in part]
        newlines += lines
    return hits


def discard_prefetches() -> None:
    """Stop and reap the background scans nobody took (at exit, or when a command ends early)."""

    while _JOBS:
        _, (_, children) = _JOBS.popitem()
        _discard(children)


def _discard(children: list[tuple[int, BinaryIO]]) -> None:
    import signal

    for pid, out in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        out.close()


def scan_files(
    paths: list[tuple[Path, str | None]],
    *,
    around: datetime | None = None,
    window: timedelta | None = None,
    ref: datetime | None = None,
    progress_for: Callable[[Path], Progress | None] | None = None,
    stdin: BufferedIOBase | None = None,
) -> Summary:
    """Scan files (``(path, kind)``) into one summary; with ``around``, only ``around ± window``.

    The path ``-`` is ``stdin``, read once as a stream (no bisection, plain text).
    """
    if around is not None:
        w = window or timedelta(minutes=5)
        summary = Summary(start=shift(around, -w), end=shift(around, w))
    else:
        summary = Summary()
    reference = ref or around
    for path, kind in paths:
        part = Summary(start=summary.start, end=summary.end)
        if str(path) == "-":
            if stdin is None:
                raise InputError("-", "no standard input to read")
            scan_stream(stdin, "-", [part], markers=markers_for(None, kind), ref=reference, number=True)
            part.files.append({"file": "-", "bytes": None, "gzip": False, "read": "whole (standard input)"})
            summary.merge(part)
            continue
        info = scan_file(
            path,
            [part],
            kind=kind,
            ref=reference or _mtime(path),
            progress=progress_for(path) if progress_for else None,
        )
        part.files.append(info)
        number_lines(path, part.examples())
        summary.merge(part)
    summary.finish()
    return summary


def _mtime(path: Path) -> datetime | None:
    try:
        from oidc_doctor.dates import UTC

        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    except OSError:
        return None
