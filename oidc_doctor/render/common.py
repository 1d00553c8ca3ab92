"""Pieces shared by the human-readable renderers."""

from __future__ import annotations

from collections import Counter

from oidc_doctor.model import Status
from oidc_doctor.pipeline import Report
from oidc_doctor.record import FrozenRecord
from oidc_doctor.render.view import BROKEN_KINDS, SKIPPED_KINDS
from oidc_doctor.text import clean, iso

NOW_SOURCE = {
    "flag": "from --now",
    "log": "from the newest log line",
    "bundle": "the bundle's collection time",
    "token": "the newest iat of the bundle's tokens",
    "clock": "the current time",
}


def headline(report: Report) -> str:
    """One line: what the diagnosis concluded."""
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    if errors:
        return f"Most likely root cause: {errors[0].cause} — {clean(errors[0].title)}"
    if warnings:
        return f"No failure explained; {len(warnings)} warning(s)."
    blind = sum(1 for c in report.checks if c.result.status == Status.UNKNOWN)
    seen = [f for f in report.ctx.facts.failures if f.status in (401, 403)]
    if seen and blind:
        # The user saw a 401/403: "no problem" would contradict them; say what is missing instead.
        return (
            f"The {seen[0].status} you saw is not explained by this evidence: {blind} check(s) could not look "
            "(the `unknown` lines below say what to add)."
        )
    if blind:
        return f"No problem found in what could be checked; {blind} check(s) could not look (see `unknown` below)."
    return "No problem found."


def when(report: Report) -> str:
    """``2026-11-28T10:25:12Z (from --now)``."""
    return f"{iso(report.ctx.now)} ({NOW_SOURCE.get(report.ctx.now_source, report.ctx.now_source)})"


def identity_line(report: Report) -> str | None:
    """The identity in one line, or None."""
    ident = report.identity
    if ident is None:
        return None
    data = ident.to_json()
    groups = ", ".join(clean(g) for g in data["groups"]) or "none"
    return f"{clean(data['username'])}  groups: {groups}  (source: {data['source']})"


def check_counts(report: Report) -> str:
    """``12 pass, 1 fail, 3 unknown, 2 skipped``."""
    counts = Counter(str(c.result.status) for c in report.checks)
    return ", ".join(f"{counts.get(str(s), 0)} {s}" for s in Status)


def blind_checks(report: Report) -> list[tuple[str, str, str]]:
    """Checks that could not look: (ids, status, reason), the checks that share one reason on one row
    (``authn.configured, authn.config-valid``: the same missing input is said once)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for c in report.checks:
        if c.result.status in (Status.UNKNOWN,):
            rows.setdefault((str(c.result.status), clean(c.result.reason)), []).append(c.id)
    return [(", ".join(ids), status, reason) for (status, reason), ids in rows.items()]


#: The kinds of an input that was not used: skipped (not recognised) or broken.
NOT_USED_KINDS = SKIPPED_KINDS + BROKEN_KINDS


def skipped_inputs(report: Report) -> list[tuple[str, str, str]]:
    """Inputs not used: (kind, ref, reason), cleaned."""
    return [(i.kind, clean(i.ref), clean(i.reason)) for i in report.inputs if i.kind in NOT_USED_KINDS]


def inputs_summary(report: Report) -> str | None:
    """``9 files: rbac 1234, token 1, ...`` — what the used inputs were taken for, by kind."""
    used = [i for i in report.inputs if i.kind not in NOT_USED_KINDS]
    if not used:
        return None
    by_kind: dict[str, int] = {}
    for i in used:
        by_kind[i.kind] = by_kind.get(i.kind, 0) + max(i.objects, 1)
    files = len({i.ref.split("#")[0] for i in used})
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{files} input(s) used: {kinds}"


class Meta(FrozenRecord):
    """What a report says about its making: the tool's version and the command line that ran.

    ``argv`` is shown as typed but with every credential masked: ``hidden`` names the tokens typed
    on the command line (the writer takes them from the parsed options), each shown as
    ``<token>``, as is the value of any ``--token`` that is not a reference (``@FILE``, ``$NAME``,
    ``-``); any other credential is masked by :func:`oidc_doctor.secrets.mask_text`.
    """

    _fields = ("argv", "prog", "version", "hidden")
    __slots__ = _fields
    argv: tuple[str, ...]
    prog: str
    version: str
    hidden: frozenset[str]

    def __init__(
        self,
        argv: tuple[str, ...] = (),
        prog: str = "oidc-doctor",
        version: str | None = None,
        hidden: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        from oidc_doctor import __version__

        object.__setattr__(self, "argv", tuple(argv))
        object.__setattr__(self, "prog", prog)
        object.__setattr__(self, "version", __version__ if version is None else version)
        object.__setattr__(self, "hidden", frozenset(h for h in hidden if h))

    def command_line(self) -> str:
        """The command line, quoted for a POSIX shell, credentials masked, control characters removed."""
        import shlex

        from oidc_doctor.secrets import mask_text

        if not self.argv:
            return ""
        words = []
        after_token = False
        for a in self.argv:
            value = a.split("=", 1)[1] if a.startswith("--token=") else a
            typed = (after_token or a.startswith("--token=")) and value[:1] not in ("@", "$", "-", "")
            if typed or value in self.hidden:
                # a token typed on the command line itself: never repeated, even without a JWT's shape
                shown = "--token=<token>" if a.startswith("--token=") else "<token>"
            elif after_token or a.startswith("--token="):
                shown = a  # a reference to the token (a file, a variable, stdin), not the token
            else:
                shown = mask_text(a)
            after_token = a == "--token"
            words.append(shlex.quote(shown))
        return clean(" ".join([self.prog, *words]))

    def tool(self) -> str:
        """``oidc-doctor 0.1.0``."""
        return f"oidc-doctor {self.version}"
