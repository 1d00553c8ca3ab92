"""What the pictures and sections of a report show, read from the report (no judgement here).

Every human format (terminal text, Markdown, HTML) shows the same sections; this module reads
them once from a :class:`~oidc_doctor.pipeline.Report` into small records, so the renderers only
lay them out:

- :func:`fix_parts`: a fix's prose and its commands apart, so commands can stand on their own
  lines (copyable) or in code blocks;
- :func:`timeline`: the report's ``timeline`` list (the session's times, built by the diagnosis;
  ``None`` when the report carries none — the renderers then say so instead of guessing one);
- :func:`bindings_view`: the identity, the bindings that grant it and the near misses (a binding
  naming almost the identity), each near miss as expected vs got with the differing characters;
- :func:`settings_rows`: the API server's and the proxies' settings with the source of each value;
- :func:`input_rows`: the inputs, used, skipped or broken.

Strings here are as found (hostile): each renderer escapes them for its format.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from oidc_doctor.dates import datetime
from oidc_doctor.errors import UsageError
from oidc_doctor.record import FrozenRecord
from oidc_doctor.text import clean_lines, parse_time

if TYPE_CHECKING:
    from oidc_doctor.pipeline import Report

# --- fixes ---------------------------------------------------------------------------------------

#: Programs a fix's command may start with (the commands the catalogue and the checks print).
COMMAND_WORDS = (
    "kubectl",
    "kubectl-oidc_doctor",
    "oidc-doctor",
    "helm",
    "az",
    "aws",
    "gcloud",
    "eksctl",
    "curl",
    "sha256sum",
    "journalctl",
    "systemctl",
    "sudo",
    "talosctl",
    "oc",
)
_COMMAND_START = re.compile(r"(?:{}) \S".format("|".join(re.escape(w) for w in COMMAND_WORDS)))
_TICKED = re.compile(r"`([^`\n]+)`")


class FixPart(FrozenRecord):
    """One piece of a fix: ``prose`` to read or a ``command`` to paste as it is."""

    _fields = ("kind", "text")
    __slots__ = _fields
    kind: str  # prose | command
    text: str

    def __init__(self, kind: str, text: str) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "text", text)


def _command_end(text: str) -> int:
    """Where a command starting at ``text[0]`` ends: at an unquoted `` (``, ``)``, ``, `` or ``; ``.

    Commands are quoted by ``oidc_doctor/shell.py`` (POSIX single quotes), so an unquoted
    parenthesis or a comma followed by a space belongs to the prose around the command.
    """
    quote = ""
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "(":
            if i > 0 and text[i - 1] == " " and depth == 0:
                return i - 1
            depth += 1
        elif c == ")":
            if depth == 0:
                return i
            depth -= 1
        elif c in ",;" and text[i + 1 : i + 2] == " ":
            return i
        i += 1
    return len(text)


def _is_command(text: str) -> bool:
    """Whether ``text`` starts with a command: a known program, then words with an option among
    them (``kubectl -n dev create ...``; "kubectl is not needed" is prose)."""
    if not _COMMAND_START.match(text):
        return False
    return any(w.startswith("-") and len(w) > 1 for w in text[: _command_end(text)].split()[1:])


def _split_line(line: str) -> list[FixPart]:
    """A line of a fix as prose and commands (``prose: COMMAND (more prose)``)."""
    out: list[FixPart] = []
    rest = line.strip()
    while rest:
        if _is_command(rest):
            end = _command_end(rest)
            out.append(FixPart("command", rest[:end].rstrip()))
            rest = rest[end:].lstrip(" ,;").strip()
            continue
        m = next((m for m in re.finditer(r": ", rest) if _is_command(rest[m.end() :])), None)
        if m is None:
            out.append(FixPart("prose", rest))
            break
        out.append(FixPart("prose", rest[: m.start() + 1]))
        rest = rest[m.end() :]
    return out


def fix_parts(fix: str) -> list[FixPart]:
    """``fix`` as prose and commands, in order (each line cleaned of control characters).

    A command is a line, or the end of a line after ``: ``, that starts with a known program
    (:data:`COMMAND_WORDS`) and holds an option; a command quoted in backticks inside prose (`` `kubectl logs ...` ``)
    stays in the prose and is repeated as a command after it, so it can be copied whole.
    """
    parts: list[FixPart] = []
    for line in clean_lines(fix):
        pieces = _split_line(line)
        for p in pieces:
            parts.append(p)
            if p.kind == "prose":
                for m in _TICKED.finditer(p.text):
                    if _is_command(m.group(1)) and _command_end(m.group(1)) == len(m.group(1)):
                        parts.append(FixPart("command", m.group(1).strip()))
    # prose pieces of one line that follow each other read as one paragraph
    merged: list[FixPart] = []
    for p in parts:
        if p.text and merged and merged[-1].kind == p.kind == "prose" and not merged[-1].text.endswith(":"):
            merged[-1] = FixPart("prose", f"{merged[-1].text} {p.text}")
        elif p.text.strip("()., "):  # a lone ")" closing a parenthesis around a command is dropped
            merged.append(p)
    return merged


def commands(fix: str) -> list[str]:
    """The commands of ``fix`` (see :func:`fix_parts`)."""
    return [p.text for p in fix_parts(fix) if p.kind == "command"]


# --- timeline ------------------------------------------------------------------------------------

#: The kinds of time marks a report's timeline carries, and how each is drawn.
MARK_KINDS = {
    "token-iat": "token",
    "token-nbf": "token",
    "token-exp": "token",
    "token-auth-time": "token",
    "refresh": "proxy",
    "cookie-refresh": "proxy",
    "cookie-expire": "proxy",
    "session-expire": "proxy",
    "log-failure": "failure",
    "predicted-logout": "failure",
    "now": "now",
}


class Mark(FrozenRecord):
    """One moment of the report's timeline."""

    _fields = ("at", "kind", "what", "ref", "cause")
    __slots__ = _fields
    at: datetime
    kind: str
    what: str
    ref: str
    cause: str

    def __init__(self, at: datetime, kind: str, what: str, ref: str = "", cause: str = "") -> None:
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "what", what)
        object.__setattr__(self, "ref", ref)
        object.__setattr__(self, "cause", cause)

    @property
    def lane(self) -> str:
        """``token``, ``proxy``, ``failure``, ``now`` or ``other``: the row the mark is drawn on."""
        return MARK_KINDS.get(self.kind, "other")


def timeline(report: Report) -> list[Mark] | None:
    """The report's ``timeline`` in time order; None when the report carries none.

    Entries are ``{"at": RFC 3339, "kind": ..., "what": ..., "ref"?: ..., "cause"?: ...}``; an
    entry whose time cannot be read is left out (a renderer must not fail on one bad entry).
    """
    raw = report.to_json().get("timeline")
    if not isinstance(raw, list):
        return None
    marks = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("at"), str):
            continue
        try:
            at = parse_time(entry["at"], "timeline")
        except UsageError:
            continue
        marks.append(
            Mark(
                at,
                str(entry.get("kind") or "other"),
                str(entry.get("what") or entry.get("kind") or ""),
                str(entry.get("ref") or ""),
                str(entry.get("cause") or ""),
            )
        )
    return sorted(marks, key=lambda m: m.at)


# --- identity and bindings -----------------------------------------------------------------------

#: Causes whose finding names a binding subject that almost matches the identity.
NEAR_MISS_CAUSES = ("username-prefix-mismatch", "username-claim-mismatch", "group-name-mismatch")


class NearMiss(FrozenRecord):
    """A binding subject that almost names the identity: what the API server sees vs what is bound."""

    _fields = ("cause", "binding", "kind", "expected", "got")
    __slots__ = _fields
    cause: str
    binding: str  # "RoleBinding dev/view subjects[0]"
    kind: str  # User | Group
    expected: str  # the name the API server uses
    got: str  # the name the binding carries

    def __init__(self, cause: str, binding: str, kind: str, expected: str, got: str) -> None:
        for k, v in zip(self._fields, (cause, binding, kind, expected, got), strict=True):
            object.__setattr__(self, k, v)

    def diff(self) -> list[tuple[str, str, str]]:
        """``(op, expected piece, got piece)`` runs: op ``equal`` or ``differ`` (see :func:`diff`)."""
        return diff(self.expected, self.got)


class Grant(FrozenRecord):
    """A binding that applies to the identity: the binding, its role and the subjects that match."""

    _fields = ("binding", "role", "subjects")
    __slots__ = _fields
    binding: str
    role: str
    subjects: tuple[str, ...]

    def __init__(self, binding: str, role: str, subjects: tuple[str, ...]) -> None:
        object.__setattr__(self, "binding", binding)
        object.__setattr__(self, "role", role)
        object.__setattr__(self, "subjects", subjects)


class BindingsView(FrozenRecord):
    """The identity picture: who the API server sees, what grants it, what almost names it."""

    _fields = ("username", "groups", "source", "grants", "near", "rbac_seen")
    __slots__ = _fields
    username: str
    groups: tuple[str, ...]
    source: str
    grants: tuple[Grant, ...]
    near: tuple[NearMiss, ...]
    rbac_seen: bool

    def __init__(
        self,
        username: str,
        groups: tuple[str, ...],
        source: str,
        grants: tuple[Grant, ...],
        near: tuple[NearMiss, ...],
        rbac_seen: bool,
    ) -> None:
        for k, v in zip(self._fields, (username, groups, source, grants, near, rbac_seen), strict=True):
            object.__setattr__(self, k, v)


def diff(expected: str, got: str) -> list[tuple[str, str, str]]:
    """Runs of ``(op, expected piece, got piece)``: ``equal`` pieces are the same text, ``differ``
    pieces are what one side has and the other has not (either may be empty)."""
    runs: list[tuple[str, str, str]] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, expected, got, autojunk=False).get_opcodes():
        kind = "equal" if op == "equal" else "differ"
        if runs and runs[-1][0] == kind == "differ":
            _, a, b = runs.pop()
            runs.append((kind, a + expected[a0:a1], b + got[b0:b1]))
        else:
            runs.append((kind, expected[a0:a1], got[b0:b1]))
    return runs


def aligned(expected: str, got: str) -> tuple[str, str, str]:
    """``expected`` and ``got`` padded so equal runs line up, and a marker line (``^`` under
    every differing column), for monospaced text."""
    top, bottom, marks = [], [], []
    for op, a, b in diff(expected, got):
        width = max(len(a), len(b))
        top.append(a.ljust(width))
        bottom.append(b.ljust(width))
        marks.append(("^" if op == "differ" else " ") * width)
    return "".join(top).rstrip(), "".join(bottom).rstrip(), "".join(marks).rstrip()


def _near_misses(report: Report, username: str, groups: tuple[str, ...]) -> list[NearMiss]:
    out: list[NearMiss] = []
    for f in report.findings:
        if f.cause not in NEAR_MISS_CAUSES:
            continue
        for e in f.evidence:
            kind, _, name = e.text.partition(" ")
            if e.source != "rbac" or kind not in ("User", "Group") or not name:
                continue
            if kind == "User":
                expected = username
            else:
                # the identity's group this binding almost names: the most similar one
                choices = [g for g in groups if g != "system:authenticated"] or list(groups)
                if not choices:
                    continue
                expected = max(choices, key=lambda g: difflib.SequenceMatcher(None, g, name).ratio())
            if expected and expected != name:
                out.append(NearMiss(f.cause, e.ref, kind, expected, name))
    return out


def _grants(report: Report) -> tuple[list[Grant], bool]:
    """The bindings that apply to the identity (as the RBAC facts hold them), and whether RBAC was seen."""
    rbac = report.ctx.facts.rbac
    if rbac is None or rbac.index is None:
        return [], False
    analysis = rbac.analysis
    if isinstance(analysis, str):
        return [], True
    out = []
    for a in analysis.meaningful or analysis.applied:
        data: dict[str, Any] = a.to_json()
        ns = f"{data['namespace']}/" if data.get("namespace") else ""
        role = data.get("role") or {}
        subjects = tuple(f"{s.get('kind')} {s.get('name')}" for s in data.get("subjects") or [])
        out.append(Grant(f"{data['kind']} {ns}{data['name']}", f"{role.get('kind')} {role.get('name')}", subjects))
    return out, True


def bindings_view(report: Report) -> BindingsView | None:
    """The identity picture, or None when no identity is known."""
    ident = report.identity
    if ident is None:
        return None
    data = ident.to_json()
    groups = tuple(str(g) for g in data["groups"])
    grants, seen = _grants(report)
    near = _near_misses(report, str(data["username"]), groups)
    return BindingsView(str(data["username"]), groups, str(data["source"]), tuple(grants), tuple(near), seen)


# --- settings provenance -------------------------------------------------------------------------


class SettingRow(FrozenRecord):
    """One setting: which component, its name and value, and where the value came from."""

    _fields = ("component", "name", "value", "source")
    __slots__ = _fields
    component: str
    name: str
    value: str
    source: str

    def __init__(self, component: str, name: str, value: str, source: str) -> None:
        for k, v in zip(self._fields, (component, name, value, source), strict=True):
            object.__setattr__(self, k, v)


#: The oauth2-proxy options a session's story turns on, shown with their source.
PROXY_SETTINGS = (
    "provider",
    "oidc-issuer-url",
    "client-id",
    "scope",
    "cookie-refresh",
    "cookie-expire",
    "pass-authorization-header",
    "set-authorization-header",
)


def settings_rows(report: Report) -> list[SettingRow]:
    """The API server's JWT settings and the proxies' main options, each with its source."""
    from oidc_doctor.secrets import mask_text

    rows: list[SettingRow] = []
    for a in report.ctx.facts.authenticators or ():
        comp = f"API server authenticator {a.issuer}"
        values = [
            ("issuer", a.issuer),
            ("audiences", ", ".join(a.audiences)),
            ("username claim", a.username_claim or (f"CEL {a.username_expression}" if a.username_expression else "")),
            ("username prefix", repr(a.username_prefix)),
            ("groups claim", a.groups_claim or (f"CEL {a.groups_expression}" if a.groups_expression else "(none)")),
            ("groups prefix", repr(a.groups_prefix)),
        ]
        rows += [SettingRow(comp, n, v, a.ref) for n, v in values]
    proxy = report.ctx.facts.proxy
    for cfg in proxy.configs if proxy is not None else ():
        comp = f"oauth2-proxy {cfg.instance.ref}"
        for name in PROXY_SETTINGS:
            s = cfg.get(name)
            value = mask_text(str(s.shown)) if s.known else "(not visible)"
            rows.append(SettingRow(comp, f"--{name}", value, f"{s.source}: {s.ref}"))
    return rows


# --- inputs --------------------------------------------------------------------------------------

#: Input kinds of a file recognised but broken, and of one not recognised (``evidence.InputRecord``).
BROKEN_KINDS = ("broken", "unreadable")
SKIPPED_KINDS = ("unrecognised", "ignored")


class InputRow(FrozenRecord):
    """One input: ``used``, ``skipped`` or ``broken``, what it was taken for or why not."""

    _fields = ("status", "ref", "kind", "detail")
    __slots__ = _fields
    status: str
    ref: str
    kind: str
    detail: str

    def __init__(self, status: str, ref: str, kind: str, detail: str) -> None:
        for k, v in zip(self._fields, (status, ref, kind, detail), strict=True):
            object.__setattr__(self, k, v)


def input_rows(report: Report) -> list[InputRow]:
    """Every input, used ones first, then skipped, then broken."""
    rows = []
    for i in report.inputs:
        if i.kind in BROKEN_KINDS:
            rows.append(InputRow("broken", i.ref, i.kind, i.reason))
        elif i.kind in SKIPPED_KINDS:
            rows.append(InputRow("skipped", i.ref, i.kind, i.reason))
        else:
            detail = f"{i.objects} object(s)" if i.objects > 1 else (i.reason or "")
            rows.append(InputRow("used", i.ref, i.kind, detail))
    order = {"used": 0, "skipped": 1, "broken": 2}
    return sorted(rows, key=lambda r: order[r.status])


def first_error(report: Report) -> str:
    """The cause code of the most likely root cause, or ``""`` when no error was found."""
    return next((f.cause for f in report.findings if f.severity == "error"), "")
