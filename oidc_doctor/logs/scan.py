"""The streaming scanner: find the few authentication lines of a multi-GB log fast.

The file is read in 8 MiB chunks into one reused buffer (constant memory). Instead of looking
at every line, each chunk is searched with ``bytes.find`` for a few fixed markers (``Unable to
authenticate the request``, ``authenticator: initializing plugin``, ...); only the lines holding
one are classified. On 256 MiB, one marker over 8 MiB chunks ran at 3.98 GB/s, a Python loop
over the lines at 0.8 GB/s (measured in docs/logs.md). Line numbers are counted afterwards, only up to the examples
that are shown (``number_lines``), because counting newlines costs more than the search.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BufferedIOBase
from pathlib import Path

from oidc_doctor.errors import InputError
from oidc_doctor.logs.classify import (
    APISERVER_MARKERS,
    CORE_MARKERS,
    INGRESS_MARKERS,
    PROXY_MARKERS,
    classify_line,
)
from oidc_doctor.logs.files import CHUNK, has_bom, is_gzip, line_start_after, open_log
from oidc_doctor.logs.formats import line_time
from oidc_doctor.logs.summary import Example, Summary
from oidc_doctor.text import shift

#: API server logs below this size are searched for every API server marker; above it only for
#: the core ones (each extra marker is one more pass over the data).
SMALL = 64 << 20

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
#: Examples keep at most this much of a line (a pathological line can be megabytes long).
MAX_KEPT = 16 << 10


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
) -> None:
    """Read ``stream`` from its current position (``rng.start``) and feed every sink.

    With ``number`` (a stream read from its start that cannot be read again, such as standard
    input) examples get their line numbers as they are found.
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
                    _search(buf, 0, keep, base, label, sinks, markers, ref, newlines)
                break
            last_nl = buf.rfind(b"\n", 0, filled)
            if last_nl == -1:
                if filled < len(buf) and (remaining is None or remaining > 0):
                    keep = filled
                    continue
                end = filled  # one line longer than the buffer: search what we have
            else:
                end = last_nl + 1
            _search(buf, 0, end, base, label, sinks, markers, ref, newlines)
            if newlines is not None:
                newlines += buf.count(b"\n", 0, end)
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
) -> None:
    """Find marker lines in ``buf[lo:hi]`` (whole lines) and classify them in file order.

    ``newlines`` (when numbering) is the count of newlines before ``buf[0]``.
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
    counted, at = newlines, 0
    for start in sorted(lines):
        raw = bytes(buf[start : lines[start]])
        line = None
        if counted is not None:
            counted += buf.count(b"\n", at, start)
            at = start
            line = counted + 1
        _handle(raw, base + start, label, sinks, ref, line)


def _handle(
    raw: bytes, offset: int, label: str, sinks: list[Summary], ref: datetime | None, line: int | None = None
) -> None:
    verdict = classify_line(raw)
    if verdict is None:
        return
    ex = Example(label, offset, line_time(raw, ref), raw[:MAX_KEPT], line)
    for sink in sinks:
        sink.add(ex, verdict)


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
) -> dict[str, object]:
    """Scan one file into the sinks; bisect to the sinks' windows when they all have one.

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
    if size is not None and end is not None and workers > 1:
        info["workers"] = workers
        _scan_parallel(path, label, sinks, markers, ref, rng.start, end, workers, progress)
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


def _workers(nbytes: int) -> int:
    import threading

    if nbytes < PARALLEL_MIN or not hasattr(os, "fork") or os.environ.get("OIDC_DOCTOR_LOG_WORKERS") == "1":
        return 1
    if threading.active_count() > 1:  # forking a threaded process can deadlock the child
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        # CPUs other programs keep busy do not help: with the machine loaded, one more process
        # only adds the cost of splitting (measured in docs/logs.md).
        idle = round(cpus - os.getloadavg()[0]) + 1
    except OSError:
        idle = cpus
    return max(1, min(4, cpus, idle, nbytes // (PARALLEL_MIN // 2)))


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
) -> None:
    """Scan ``[start, end)`` in ``workers`` segments (forked children), then merge in order."""
    import pickle


    with path.open("rb") as f:
        cuts = [start]
        for i in range(1, workers):
            cuts.append(max(cuts[-1], line_start_after(f, start + (end - start) * i // workers, end)))
        cuts.append(end)
    children: list[tuple[int, int]] = []  # (pid, read fd)
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
                    scan_stream(stream, label, parts, markers=markers, ref=ref, rng=ScanRange(cuts[i], cuts[i + 1]))
                payload = pickle.dumps(("ok", parts))
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
            scan_stream(
                stream,
                label,
                own,
                markers=markers,
                ref=ref,
                rng=ScanRange(cuts[0], cuts[1]),
                progress=(lambda d, t: progress(d * workers, t)) if progress else None,
                total=(cuts[1] - cuts[0]) * workers,
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
        state, parts = pickle.loads(data)  # noqa: S301 - our own child's output
        if state != "ok":
            raise InputError(label, f"cannot scan: {parts}")
        for sink, part in zip(sinks, parts, strict=True):
            sink.merge(part)


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
        from datetime import UTC

        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    except OSError:
        return None
