"""The manifest ``collect`` writes into a bundle: what each file is, and what could not be read and why.

It is ``.collect-manifest.json``: a dot-file, so the bundle reader, which skips hidden files, never
takes it for evidence. ``diagnose --bundle`` and ``rbac --bundle`` read it back with
:func:`apply_manifest`, so a bundle collected without RBAC rights says ``unknown`` offline exactly
as the live run did. This module imports no HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oidc_doctor.evidence import Evidence, InputRecord

MANIFEST = ".collect-manifest.json"
SCHEMA = "oidc-doctor/collect/v1"


@dataclass
class Note:
    """Something that could not be read, and why."""

    area: str  # the Evidence.blind key it concerns ("rbac", "proxy", "apiserver-config", "jwks"), or a label
    what: str  # "list /apis/rbac.authorization.k8s.io/v1/roles"
    outcome: str  # forbidden | absent | unauthorized | unreachable | error | not-readable
    reason: str
    blind: bool = True  # whether checks of ``area`` must say unknown

    def to_json(self) -> dict[str, Any]:
        """The manifest's shape."""
        return {
            "area": self.area,
            "what": self.what,
            "outcome": self.outcome,
            "reason": self.reason,
            "blind": self.blind,
        }


def apply_note(ev: Evidence, note: dict[str, Any], *, blind: bool) -> None:
    """One note into ``ev``: ``inputs`` always, ``blind[area]`` when checks depend on it."""
    # each field a string (a hand-edited or hostile manifest may hold anything), and short
    area, what, outcome, reason = (
        v if isinstance(v := note.get(k), str) else "" for k in ("area", "what", "outcome", "reason")
    )
    area, what, reason = area[:100], what[:500], reason[:2000]
    kind = "absent" if outcome == "absent" else "unreadable"
    ev.inputs.append(InputRecord(f"live {what}", kind, reason=reason))
    if blind and area:
        ev.blind[area] = "; ".join(filter(None, [ev.blind.get(area), f"{what}: {reason}" if what else reason]))


def apply_manifest(folder: Path, ev: Evidence) -> bool:
    """Read ``folder``'s collect manifest, if any, into ``ev`` (blind areas and failed reads)."""
    import orjson

    from oidc_doctor.errors import InputError
    from oidc_doctor.limits import read_small

    path = folder / MANIFEST
    if not path.exists() and not path.is_symlink():
        return False
    try:
        # a FIFO, a link to /dev/zero or a sparse 3 GiB file is refused before it is opened or read
        doc = orjson.loads(read_small(path))
    except InputError as e:
        ev.inputs.append(InputRecord(f"{folder.name}/{MANIFEST}", "skipped", reason=e.problem))
        return False
    except orjson.JSONDecodeError as e:
        ev.inputs.append(InputRecord(f"{folder.name}/{MANIFEST}", "broken", reason=str(e)))
        return False
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        ev.inputs.append(InputRecord(f"{folder.name}/{MANIFEST}", "unrecognised", reason=f"not {SCHEMA}"))
        return False
    notes = doc.get("notes")
    if notes is not None and not isinstance(notes, list):
        ev.inputs.append(InputRecord(f"{folder.name}/{MANIFEST}", "broken", reason="`notes` is not a list"))
        return False
    for note in notes or []:
        if isinstance(note, dict) and any(isinstance(note.get(k), str) and note[k] for k in ("what", "reason")):
            apply_note(ev, note, blind=note.get("blind") is True)
    return True
