"""Opening log files: gzip, byte-order marks, chunk size, line starts (shared by the scanner and the
time-window bisection, so neither imports the other)."""

from __future__ import annotations

import io
from io import BufferedIOBase
from pathlib import Path
from typing import BinaryIO

from oidc_doctor.errors import InputError

CHUNK = 8 << 20
#: Bytes read per probe when looking for the next line start.
PROBE = 64 << 10
_GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    """Whether the file starts with the gzip magic bytes."""
    with path.open("rb") as f:
        return f.read(2) == _GZIP_MAGIC


def has_bom(path: Path) -> bool:
    """Whether the file starts with a UTF-16 or UTF-8 byte-order mark (Windows PowerShell output)."""
    with path.open("rb") as f:
        head = f.read(3)
    return head[:2] in (b"\xff\xfe", b"\xfe\xff") or head == b"\xef\xbb\xbf"


def open_log(path: Path) -> BufferedIOBase:
    """Open a log for binary reading, decompressing gzip and transcoding a BOM-marked file to UTF-8.

    Windows PowerShell 5.1's ``kubectl logs ... > file`` writes UTF-16 LE with a BOM: such a file
    is transcoded in memory (and read as a stream, like gzip).
    """
    try:
        if is_gzip(path):
            from oidc_doctor.limits import BoundedGzip

            return BoundedGzip(path)
        if has_bom(path):
            raw = path.read_bytes()
            codec = "utf-8-sig" if raw[:3] == b"\xef\xbb\xbf" else "utf-16"
            return io.BytesIO(raw.decode(codec, errors="replace").encode("utf-8"))
        return path.open("rb")
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from e


def line_start_after(f: BinaryIO, offset: int, size: int) -> int:
    """The offset of the first line that starts after ``offset`` (``size`` when none does)."""
    f.seek(offset)
    pos = offset
    while pos < size:
        block = f.read(PROBE)
        if not block:
            break
        nl = block.find(b"\n")
        if nl != -1:
            return pos + nl + 1
        pos += len(block)
    return size
