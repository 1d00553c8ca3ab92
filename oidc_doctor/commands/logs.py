"""``oidc-doctor logs FILE|DIR... [--around T] [--window D] [-o FORMAT]``.

Classifies the authentication lines of kube-apiserver, oauth2-proxy and ingress-nginx logs
(plain or gzip) by cause. With ``--around`` only lines within ``--window`` of that time are read,
found by bisecting each file on its timestamps. Exit status: 0 when no cause was found, 1 when
at least one was, 2 when a file could not be read.
"""

from __future__ import annotations

import argparse
import time
from io import BytesIO, StringIO
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from oidc_doctor.dates import timedelta
from oidc_doctor.errors import InputError
from oidc_doctor.io import IO

if TYPE_CHECKING:
    from oidc_doctor.logs.exports import LogExport
    from oidc_doctor.logs.summary import Summary

_PROGRESS_MIN = 256 << 20  # files smaller than this get no progress bar


#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor logs kube-apiserver.log auth-proxy.log.gz
  oidc-doctor logs DIR --around 2026-11-28T10:25:00Z --window 5m -o json

exit status: 0 no cause found, 1 at least one cause found, 2 a file could not be read."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``oidc-doctor logs``."""
    from oidc_doctor.commands.options import output_options

    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="log files (plain or gzip) or folders (their files are read); - reads standard input",
    )
    p.add_argument("--around", metavar="TIME", help="RFC 3339 time of the login attempt")
    p.add_argument("--window", default="5m", metavar="D", help="keep lines within D of --around (default 5m)")
    p.add_argument("--year", type=int, help="year of klog/journald lines (default: from --around or the file)")
    output_options(p)


class _Bar:
    """A one-line progress bar on stderr (only for big files on a terminal)."""

    def __init__(self, out: TextIO, name: str) -> None:
        self.out = out
        self.name = name
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.2 and done < total:
            return
        self.shown = now
        frac = min(1.0, done / total) if total else 0.0
        bar = "#" * int(frac * 30)
        self.out.write(f"\r{self.name[-40:]} [{bar:<30}] {frac * 100:5.1f}%")
        if done >= total:
            self.out.write("\n")
        self.out.flush()


def run(args: argparse.Namespace, io: IO) -> int:
    """Scan the files and print the summary."""
    from oidc_doctor.logs.exports import scan_export
    from oidc_doctor.logs.scan import file_size, scan_files
    from oidc_doctor.logs.sniff import sniff_log
    from oidc_doctor.logs.summary import Summary
    from oidc_doctor.text import parse_duration, parse_time

    around = parse_time(args.around, "--around") if args.around else None
    window = timedelta(seconds=parse_duration(args.window, "--window"))
    ref = None
    if args.year:
        from oidc_doctor.dates import UTC, datetime

        ref = datetime(args.year, 12, 31, 23, 59, 59, tzinfo=UTC)
    paths: list[tuple[Path, str | None]] = []
    exported: list[tuple[str, LogExport]] = []
    for name in _expand(args.files):
        path = Path(name)
        if name == "-":
            paths.append((path, None))
            continue
        if not path.is_file():
            raise InputError(name, "no such file")
        try:
            with path.open("rb") as f:
                head = f.read(64 << 10)
            export = _export(path, name, head)
            if export is not None:
                exported.append((name, export))
                continue
            kind = sniff_log(head)
        except OSError as e:
            raise InputError(name, f"cannot read: {e.strerror or e}") from e
        paths.append((path, kind))
    tty = bool(getattr(io.stderr, "isatty", None) and io.stderr.isatty())

    def progress_for(path: Path) -> _Bar | None:
        if str(path) == "-":
            return None
        size = file_size(path)
        return _Bar(io.stderr, str(path)) if tty and size and size >= _PROGRESS_MIN else None

    stdin = getattr(io.stdin, "buffer", None)
    if stdin is None and "-" in args.files:  # a text stream (tests): encode what it holds
        stdin = BytesIO(io.stdin.read().encode("utf-8", "surrogateescape"))
    summary = scan_files(paths, around=around, window=window, ref=ref, progress_for=progress_for, stdin=stdin)
    for info, (path, kind) in zip(summary.files, paths, strict=False):
        info["kind"] = kind or ("not sniffed" if str(path) == "-" else "unrecognised")
    for name, export in exported:
        part = Summary(start=summary.start, end=summary.end)
        count = scan_export(export, name, [part])
        part.files.append({"file": name, "bytes": None, "gzip": False, "read": f"{count} entries", "kind": export.name})
        part.finish()
        summary.merge(part)
    from oidc_doctor.commands.result import Result, write

    def text() -> str:
        buf = StringIO()
        _text(summary, buf)
        return buf.getvalue()

    failed_reload = any(status == "failure" for status, _, _ in summary.last_reloads())
    status = 1 if summary.by_cause or failed_reload else 0
    return write(Result("logs", SCHEMA, status, summary.to_json(), text), args, io)


SCHEMA = "oidc-doctor/logs/v1"


def _export(path: Path, name: str, head: bytes) -> LogExport | None:
    """A cloud's log export (``oidc_doctor.logs.exports``), read whole and bounded, or None."""
    from oidc_doctor.logs.exports import read_export, sniff_export

    gzipped = head[:2] == b"\x1f\x8b"
    if gzipped:
        import zlib

        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 64 << 10)
        except zlib.error:
            return None
    platform = sniff_export(head.decode("utf-8", "replace"))
    if platform is None:
        return None
    from oidc_doctor.bundle import read_export_bytes  # (the bundle reader: 17 ms, not for a plain log)

    return read_export(read_export_bytes(path, gzipped), name, platform)


def _expand(names: list[str]) -> list[str]:
    """The files named, with a folder replaced by the regular files in it (sorted, hidden ones skipped).

    ``kubectl logs`` output saved per Pod, a support bundle's ``logs/`` folder: people pass the
    folder. Sub-folders are not walked (a bundle's other evidence is ``diagnose --bundle``'s).
    """
    out: list[str] = []
    for name in names:
        path = Path(name)
        if name != "-" and path.is_dir():
            files = sorted(str(p) for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(name, "is a folder with no files in it")
            out += files
        else:
            out.append(name)
    return out


def _text(summary: Summary, out: TextIO) -> None:
    from oidc_doctor.causes import cause
    from oidc_doctor.logs.describe import fix, title
    from oidc_doctor.text import iso

    if summary.start and summary.end:
        out.write(f"Window: {iso(summary.start)} .. {iso(summary.end)}\n")
    for info in summary.files:
        out.write(f"{info['file']}: {info.get('kind')}, read {info['read']}\n")
    out.write(f"Authentication failures (Unable to authenticate the request): {summary.auth_failures}\n")
    lasts = summary.last_reloads()
    for status, ex, detail in lasts:
        # The reload of --authentication-config: per API server log, the latest line decides what runs.
        when = iso(ex.time) if ex.time else "?"
        if status == "success":
            out.write(f"Authentication config: reloaded at {when} ({ex.ref})\n")
        else:
            out.write(
                f"\nauth-config-reload-failed: the API server failed to {detail.get('step') or 'reload'} the changed "
                f"authentication config at {when}; the previous configuration is still active\n  {ex.ref}: {ex.text}\n"
                f"  fix: {cause('auth-config-reload-failed').fix}\n"
            )
    if not summary.by_cause and not summary.unknown:
        if any(status == "failure" for status, _, _ in lasts):
            return
        out.write("No authentication problem found in these lines.\n")
        return
    for code, st in sorted(summary.by_cause.items(), key=lambda kv: (-kv[1].count, kv[0])):
        out.write(f"\n{code}: {title(st)}\n")
        if st.example:
            out.write(f"  {st.example.ref}: {st.example.text}\n")
        if st.explained_by:
            out.write(f"  explained by {st.explained_by.ref}: {st.explained_by.text}\n")
        out.write(f"  fix: {fix(st) or cause(code).fix_text()}\n")
    if summary.unknown:
        out.write("\nAuthentication lines not recognised (shown as-is):\n")
        for st in summary.unknown.values():
            if st.example:
                out.write(f"  {st.count} x {st.example.ref}: {st.example.text}\n")
    if summary.unknown_dropped:
        out.write(f"  ... and {summary.unknown_dropped} more unrecognised lines\n")
