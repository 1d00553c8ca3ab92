"""Input limits that fail closed: what a hostile file or folder may not make the tool do.

Every reader applies these before (or while) parsing, and a breach is one clear line naming the
file (:class:`~oidc_doctor.errors.InputError`, exit 2) or, inside a bundle, a skipped input with
its reason — never a hang, a ``RecursionError`` or a ``MemoryError``:

- **file kinds**: only regular files are read. FIFOs, devices and sockets are recognised with
  ``stat`` and never opened (opening a FIFO blocks until a writer comes; ``/dev/zero`` never ends).
- **folders**: a bundle is walked without recursion, at most :data:`MAX_FOLDER_DEPTH` folders
  deep and :data:`MAX_FILES` files; links to folders are not followed; a link to a file outside
  the bundle is read but named.
- **nesting**: a parsed document nested deeper than :data:`MAX_NESTING` levels is refused. The
  test is ``orjson.dumps``, whose own recursion limit is 255 (a C-speed walk: about 0.08 s for a
  57 MB RoleBinding list, where a Python walk costs 0.4 s), so the engines' recursive walkers
  never meet more than 255 levels.
- **gzip**: a compressed log inflates to at most :data:`MAX_INFLATED` bytes, and beyond
  :data:`BOMB_FLOOR` bytes at most :data:`BOMB_RATIO` times its compressed size (text logs compress
  10-30×; a bomb of zeros about 1000×).
- **small side files** (``.collect-manifest.json``, ...) are read only when regular and at most
  :data:`MAX_SIDE_FILE` bytes.

YAML alias expansion is bounded in :mod:`oidc_doctor.loader` (``MAX_ALIAS_EXPANSION``).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
from pathlib import Path
from typing import Any

from oidc_doctor.errors import InputError

#: How deep a parsed document may nest (orjson's serialisation limit, see the module doc).
MAX_NESTING = 255
#: How many folders deep a bundle is walked.
MAX_FOLDER_DEPTH = 32
#: How many files of a bundle are read (a collected bundle holds a few dozen).
MAX_FILES = 10_000
#: The most a gzip-compressed log inflates to.
MAX_INFLATED = 4 * 1024 * 1024 * 1024
#: Beyond this many inflated bytes, the ratio test applies.
BOMB_FLOOR = 4 * 1024 * 1024
#: The highest inflated/compressed ratio accepted beyond BOMB_FLOOR.
BOMB_RATIO = 200
#: Side files (the collect manifest) are small: larger ones are refused unread.
MAX_SIDE_FILE = 1024 * 1024


def not_regular(path: Path) -> str | None:
    """Why ``path`` must not be opened (a FIFO, a device, a socket, a folder), or None for a
    regular file. Uses ``stat`` only (it follows links, so a link to ``/dev/zero`` is a device);
    a missing file or a dangling link is left to the reader's own error."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe): not opened"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device: not opened"
    if stat.S_ISSOCK(mode):
        return "a socket: not opened"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file: not opened"


def require_regular(path: Path, where: str | None = None) -> None:
    """Raise :class:`InputError` unless ``path`` is a regular file (checked without opening it)."""
    why = not_regular(path)
    if why is not None:
        raise InputError(where or str(path), why)


def read_small(path: Path, limit: int = MAX_SIDE_FILE) -> bytes:
    """The bytes of a small regular file; :class:`InputError` when it is not one or is larger."""
    require_regular(path)
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from e
    if len(data) > limit:
        raise InputError(str(path), f"larger than {limit:,} bytes: refused unread")
    return data


def check_nesting(values: list[Any], where: str) -> None:
    """Raise :class:`InputError` when a parsed value nests deeper than :data:`MAX_NESTING`."""
    import orjson

    for value in values:
        if not isinstance(value, (dict, list)):
            continue
        try:
            orjson.dumps(value, default=_opaque, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError as e:
            if "ecursion" in str(e):
                raise InputError(where, f"nested deeper than {MAX_NESTING} levels: refused") from None
            raise InputError(where, f"unreadable content: {e}") from None


def check_nesting_shared(values: list[Any], where: str) -> None:
    """:func:`check_nesting` for values that may share objects (YAML aliases): an iterative walk
    that visits each container once, so a million aliases of one big node cost one visit."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(v, 1) for v in values if isinstance(v, (dict, list))]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            raise InputError(where, f"nested deeper than {MAX_NESTING} levels: refused")
        if id(value) in seen:
            continue
        seen.add(id(value))
        children = value.values() if isinstance(value, dict) else value
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def _opaque(value: Any) -> Any:
    # YAML gives sets, bytes (!!binary) and dates orjson cannot write: only the depth matters here
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return None


class BoundedGzip(gzip.GzipFile):
    """A :class:`gzip.GzipFile` that stops a gzip bomb: :class:`InputError` once the inflated
    size passes :data:`MAX_INFLATED`, or passes :data:`BOMB_FLOOR` at more than
    :data:`BOMB_RATIO` times the compressed bytes read."""

    def __init__(self, path: Path, *, max_inflated: int = MAX_INFLATED, floor: int = BOMB_FLOOR) -> None:
        super().__init__(path, "rb")
        self._where = str(path)
        self._max = max_inflated
        self._floor = floor
        self._inflated = 0  # counted here: GzipFile.tell() is seek(0, 1), which would recurse

    def _check(self, inflated: int) -> None:
        self._inflated = inflated
        if inflated <= self._floor:
            return
        raw = 0
        with contextlib.suppress(OSError, AttributeError):  # a pipe: only the absolute cap applies
            raw = int(getattr(self.fileobj, "tell")())  # noqa: B009 - typeshed's union lacks tell
        if inflated > self._max or (raw and inflated > BOMB_RATIO * raw):
            raise InputError(
                self._where,
                f"inflates to more than {inflated:,} bytes from {raw:,} (a gzip bomb?): stopped",
            )

    def read(self, size: int | None = -1) -> bytes:
        """``GzipFile.read``, bounded."""
        data = super().read(size)
        self._check(self._inflated + len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        """``GzipFile.read1``, bounded."""
        data = super().read1(size)
        self._check(self._inflated + len(data))
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """``GzipFile.readline``, bounded."""
        data = super().readline(size)
        self._check(self._inflated + len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        """``GzipFile.seek`` (which inflates up to ``offset``), bounded."""
        if whence == 0 and offset > self._max:
            raise InputError(self._where, f"an offset past {self._max:,} inflated bytes: refused")
        pos = super().seek(offset, whence)
        self._check(pos)
        return pos


def walk(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files of a bundle folder in name order, and the entries skipped with the reason.

    Iterative (no recursion), hidden names skipped, links to folders not followed, at most
    :data:`MAX_FOLDER_DEPTH` deep and :data:`MAX_FILES` files; non-regular files are skipped
    without being opened.
    """
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    stack: list[tuple[Path, int]] = [(folder, 0)]
    while stack:
        here, depth = stack.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as e:
            skipped.append((here, f"folder not readable: {e.strerror or e}"))
            continue
        subfolders: list[tuple[Path, int]] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth + 1 > MAX_FOLDER_DEPTH:
                        skipped.append((path, f"more than {MAX_FOLDER_DEPTH} folders deep: not read"))
                    else:
                        subfolders.append((path, depth + 1))
                    continue
                if entry.is_symlink() and os.path.isdir(path):
                    skipped.append((path, "a link to a folder: not followed"))
                    continue
            except OSError as e:
                skipped.append((path, f"not readable: {e.strerror or e}"))
                continue
            why = not_regular(path)
            if why is not None:
                skipped.append((path, why))
                continue
            if not os.path.exists(path):
                skipped.append((path, "a link to nothing (dangling)"))
                continue
            if len(files) >= MAX_FILES:
                skipped.append((path, f"more than {MAX_FILES:,} files: not read"))
                continue
            files.append(path)
        stack.extend(reversed(subfolders))
    files.sort()
    return files, skipped


def outside(path: Path, folder: Path) -> str | None:
    """Where a link inside ``folder`` leads when that is outside ``folder`` (None: it stays inside)."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
        root = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return None if target.is_relative_to(root) else str(target)
