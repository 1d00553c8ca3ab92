"""Where the live readers put what they read: a bundle folder (``collect``) or an Evidence (``diagnose``).

:class:`BundleSink` streams each group to ``NAME.json``, a ``kind: List`` written item by item (an
RBAC list of 55,000 bindings never sits in memory as one document), creates files only when a
group has objects (an empty List is not evidence), and ends with the manifest
(:mod:`oidc_doctor.live.manifest`) naming every file and every read that failed.
:class:`EvidenceSink` recognises each object exactly as the bundle reader does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import orjson

from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Evidence, InputRecord, Item
from oidc_doctor.live.manifest import Note, apply_note

TOKEN_FILE = "token.txt"


def private_open(path: Path) -> IO[bytes]:
    """A new file only its owner can read: a bundle holds cluster configuration (and maybe a token)."""
    # O_EXCL and O_NOFOLLOW: a file or symlink planted in the folder after it was found empty
    # (a shared folder) must not receive the bundle, which may hold the token
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as e:
        raise InputError(str(path), f"cannot create a new private file: {e.strerror or e}") from e
    return os.fdopen(fd, "wb")


class _FileGroup:
    def __init__(self, sink: BundleSink, name: str, what: str) -> None:
        self.sink = sink
        self.name = name
        self.what = what
        self.count = 0
        self._f: IO[bytes] | None = None
        self.file = ""

    def add(self, obj: dict[str, Any]) -> None:
        """Append one object to the List (the file is created at the first one)."""
        if self._f is None:
            self.file = self.sink.file_name(self.name)
            self._f = private_open(self.sink.folder / self.file)
            self._f.write(b'{"apiVersion": "v1", "kind": "List", "items": [\n')
        else:
            self._f.write(b",\n")
        self._f.write(orjson.dumps(obj))
        self.count += 1

    def close(self) -> int:
        """End the List; record the file in the manifest."""
        if self._f is not None:
            self._f.write(b"\n]}\n")
            self._f.close()
            self._f = None
            self.sink.files.append({"file": self.file, "what": self.what, "objects": self.count})
        return self.count


class BundleSink:
    """Writes a bundle folder."""

    def __init__(self, folder: Path, *, include_token: bool = False) -> None:
        self.folder = folder
        self.include_token = include_token
        self.files: list[dict[str, Any]] = []
        self.notes: list[Note] = []
        self.token_fingerprint: str | None = None
        self._used: set[str] = set()
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise InputError(str(folder), "exists and is not an empty folder (collect writes a new bundle)")
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as e:
            raise InputError(str(folder), f"cannot create the bundle folder: {e.strerror or e}") from e

    def file_name(self, stem: str) -> str:
        """``stem.json``, or ``stem-2.json`` when the group was written before (one per namespace)."""
        name, i = f"{stem}.json", 1
        while name in self._used:
            i += 1
            name = f"{stem}-{i}.json"
        self._used.add(name)
        return name

    def group(self, name: str, what: str) -> _FileGroup:
        """A List file for one group."""
        return _FileGroup(self, name, what)

    def note(self, note: Note) -> None:
        """Keep for the manifest."""
        self.notes.append(note)

    def token(self, token: str) -> None:
        """Write the token only when asked (``--include-token``); always keep its fingerprint."""
        from oidc_doctor.jose import fingerprint

        self.token_fingerprint = fingerprint(token)
        if self.include_token:
            with private_open(self.folder / TOKEN_FILE) as f:
                f.write(token.encode() + b"\n")
            self._used.add(TOKEN_FILE)
            self.files.append({"file": TOKEN_FILE, "what": "the user's token (--include-token)", "objects": 1})


class _EvidenceGroup:
    def __init__(self, ev: Evidence, what: str) -> None:
        self.ev = ev
        self.what = what
        self.counts: dict[str, int] = {}

    def add(self, obj: dict[str, Any]) -> None:
        """Recognise the object as the bundle reader would and add it."""
        from oidc_doctor.bundle import Broken, classify_object, describe

        ref = f"live {self.what}"
        try:
            kind, _why, data = classify_object(obj)
        except (Broken, InputError) as e:
            self.ev.inputs.append(InputRecord(ref, "broken", reason=str(e)))
            return
        if kind is None:
            return
        self.ev.add(Item(kind, f"{ref}: {describe(obj)}", data))
        self.counts[str(kind)] = self.counts.get(str(kind), 0) + 1

    def close(self) -> int:
        """Record what was read in the report's inputs."""
        for kind, n in self.counts.items():
            self.ev.inputs.append(InputRecord(f"live {self.what}", kind, objects=n))
        return sum(self.counts.values())


class EvidenceSink:
    """Fills an :class:`Evidence` the way :func:`oidc_doctor.bundle.read_bundle` would."""

    def __init__(self, ev: Evidence) -> None:
        self.ev = ev

    def group(self, name: str, what: str) -> _EvidenceGroup:
        """Objects become items."""
        return _EvidenceGroup(self.ev, what)

    def note(self, note: Note) -> None:
        """A failed read: an input record, and a blind area when checks depend on it."""
        apply_note(self.ev, note.to_json(), blind=note.blind)

    def token(self, token: str) -> None:
        """The command adds the token itself (``--token``): nothing to do."""
