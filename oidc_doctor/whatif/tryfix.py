"""``diagnose --try-fixes``: apply every change the findings propose, alone, and rank the alternatives.

Ranking, best first: a change that leaves no error (and nothing only an observation showed) before
one that does not; then fewer errors left; then fewer new findings; then fewer *other* subjects and
users affected (a server-side change of the username or groups mapping renames every user of that
issuer: every binding subject that stops or starts matching is counted and named); then a change of
one object before a change on the API server (which renames every user of the issuer); then a real
change before a simulated one; then fewer changes; then the order the findings propose them.

After the single changes, one more line tries the first proposal of every cause together, since two
independent causes (a wrong audience and a missing cookie refresh) need two changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidc_doctor.change import Change, Target
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.rbac.index import plain
from oidc_doctor.record import Record
from oidc_doctor.whatif.compare import Comparison, Judge

if TYPE_CHECKING:
    from oidc_doctor.model import AuthenticatorSummary
    from oidc_doctor.pipeline import Report


class Affected(Record):
    """Binding subjects whose match with an issuer's users changes: ``stop`` matched before and no
    longer can; ``start`` could not match before and now can (both ``(binding, "Kind name")``)."""

    _fields = ("stop", "start", "note")
    __slots__ = _fields
    stop: list[tuple[str, str]]
    start: list[tuple[str, str]]
    note: str

    def __init__(
        self, stop: list[tuple[str, str]] | None = None, start: list[tuple[str, str]] | None = None, note: str = ""
    ) -> None:
        self.stop = [] if stop is None else stop
        self.start = [] if start is None else start
        self.note = note

    def count(self) -> int:
        """How many subjects the change affects."""
        return len(self.stop) + len(self.start)

    def to_json(self) -> dict[str, Any]:
        """The ``affected`` object of a ranked alternative."""
        return {
            "count": self.count(),
            "stop_matching": [{"binding": b, "subject": s} for b, s in self.stop],
            "start_matching": [{"binding": b, "subject": s} for b, s in self.start],
            "note": self.note,
        }


def _subjects(ev: Evidence) -> list[tuple[str, str, str]]:
    """(binding ref, subject kind, name) of every User and Group subject in the evidence."""
    out = []
    for item in ev.of(Kind.RBAC):
        b = plain(item.data)
        if not isinstance(b, dict) or b.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        meta = b.get("metadata") if isinstance(b.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        ref = (
            f"RoleBinding {meta.get('namespace') or 'default'}/{meta.get('name')}"
            if b["kind"] == "RoleBinding"
            else f"ClusterRoleBinding {meta.get('name')}"
        )
        for s in b.get("subjects") or []:
            if isinstance(s, dict) and s.get("kind") in ("User", "Group") and s.get("name"):
                out.append((ref, str(s["kind"]), str(s["name"])))
    return out


def _reachable(name: str, prefix: str) -> bool:
    """Whether an authenticator with ``prefix`` can produce ``name`` at all. ``system:`` names it never
    produces (structured config refuses them; they belong to Kubernetes' own components)."""
    if name.startswith("system:"):
        return False
    return name.startswith(prefix) if prefix else True


def _moves(name: str, p_old: str, p_new: str) -> str:
    """``stop`` when the user ``name`` denotes under ``p_old`` is named differently under ``p_new``
    (the binding no longer reaches that user); ``start`` when no user had that name under ``p_old``
    and one can have it under ``p_new``; "" otherwise."""
    if _reachable(name, p_old):
        return "stop" if p_new + name[len(p_old) :] != name else ""
    return "start" if _reachable(name, p_new) else ""


def affected(
    ev: Evidence,
    before: tuple[AuthenticatorSummary, ...],
    after: tuple[AuthenticatorSummary, ...],
    mine: set[tuple[str, str]],
) -> Affected:
    """Subjects whose match changes between two sets of authenticators (by issuer), except ``mine``
    (the subjects the failing user's own identity names: those are what the change is for)."""
    out = Affected()
    notes = []
    by_issuer = {a.issuer: a for a in after}
    subjects = _subjects(ev)
    for old in before:
        new = by_issuer.get(old.issuer)
        if new is None:
            continue
        for kind, p_old, p_new in (
            ("User", old.username_prefix, new.username_prefix),
            ("Group", old.groups_prefix, new.groups_prefix),
        ):
            if p_old == p_new:
                continue
            if kind == "User":
                notes.append(f"every user of {old.issuer} is renamed (username prefix {p_old!r} → {p_new!r})")
            else:
                notes.append(f"every group of {old.issuer} is renamed (groups prefix {p_old!r} → {p_new!r})")
            for ref, k, name in subjects:
                if k != kind or (k, name) in mine:
                    continue
                move = _moves(name, p_old, p_new)
                if move == "stop":
                    out.stop.append((ref, f"{k} {name}"))
                elif move == "start":
                    out.start.append((ref, f"{k} {name}"))
        if (old.username_claim, old.username_expression) != (new.username_claim, new.username_expression):
            users = [
                (ref, f"User {n}")
                for ref, k, n in subjects
                if k == "User" and ("User", n) not in mine and _reachable(n, new.username_prefix)
            ]
            notes.append(
                f"every user of {old.issuer} is renamed (username from {new.username_claim or 'an expression'} instead "
                f"of {old.username_claim or 'an expression'})"
            )
            out.stop += [u for u in users if u not in out.stop]
        if set(old.audiences) != set(new.audiences) and not set(old.audiences) <= set(new.audiences):
            notes.append(
                f"tokens for {', '.join(sorted(set(old.audiences) - set(new.audiences)))} are no longer accepted"
            )
    out.note = "; ".join(notes)
    return out


class Alternative(Record):
    """One proposal tried: the comparison, the subjects it affects, which findings proposed it."""

    _fields = ("comparison", "affected", "for_causes")
    __slots__ = _fields
    comparison: Comparison
    affected: Affected
    for_causes: list[str]

    def __init__(self, comparison: Comparison, affected: Affected, for_causes: list[str]) -> None:
        self.comparison = comparison
        self.affected = affected
        self.for_causes = for_causes

    def key(self, index: int) -> tuple[int, int, int, int, int, int, int, int]:
        """The ranking key (this module's docstring)."""
        c = self.comparison
        if c.after is None:
            return (2, 1 << 30, 0, 0, 0, 0, 0, index)
        simulated = any(ch.simulated for ch in c.changes)
        return (
            0 if c.fixes_all else 1,
            c.after.errors,
            len(c.new),
            self.affected.count(),
            int(any(_is_server_side(ch) for ch in c.changes)),
            int(simulated),
            len(c.changes),
            index,
        )

    def to_json(self) -> dict[str, Any]:
        """One entry of the report's ``try_fixes`` list."""
        out = self.comparison.to_json()
        out["for"] = list(self.for_causes)
        out["fixes_all"] = self.comparison.fixes_all
        out["affected"] = self.affected.to_json()
        return out


def _is_server_side(c: Change) -> bool:
    return c.target in (Target.APISERVER, Target.AUTHCONFIG)


#: How many rounds the combined proposal may take (each adds the first fix of a cause still left).
_ROUNDS = 4


def try_fixes(ev: Evidence, before: Report) -> list[Alternative]:
    """Every proposal of the report's findings applied alone, ranked; then, when none fixes everything,
    the best one completed round by round with the first proposal for each error still left."""
    from oidc_doctor.checks.changes import propose

    judge = Judge(ev, before)
    proposals: dict[tuple[Change, ...], list[str]] = {}
    for f in before.findings:
        for p in propose(f, judge.bare, before.ctx):
            proposals.setdefault(p, []).append(f.cause)
    ident = before.identity
    mine = {("User", ident.username)} | {("Group", g) for g in ident.groups} if ident else set()
    base_auths = judge.baseline_report.ctx.facts.authenticators or ()
    runs: dict[tuple[Change, ...], tuple[Alternative, Report | None, Evidence | None]] = {}

    def tried(changes: tuple[Change, ...], causes: list[str]) -> Alternative:
        comparison, report, changed = judge.run(changes)
        theirs = set(mine)
        if report is not None and report.identity is not None:
            theirs |= {("User", report.identity.username)} | {("Group", g) for g in report.identity.groups}
        server_side = report is not None and any(_is_server_side(c) for c in changes)
        after_auths = (report.ctx.facts.authenticators or ()) if server_side and report is not None else base_auths
        alt = Alternative(comparison, affected(judge.bare, base_auths, after_auths, theirs), causes)
        runs[changes] = (alt, report, changed)
        return alt

    for changes, causes in proposals.items():
        tried(changes, causes)
    ranked = sorted(runs.values(), key=lambda r: r[0].key(list(runs).index(r[0].comparison.changes)))
    if ranked and not any(r[0].comparison.fixes_all for r in ranked):
        alt, report, changed = next((r for r in ranked if r[1] is not None), (None, None, None))
        changes = alt.comparison.changes if alt is not None else ()
        for _ in range(_ROUNDS):
            if (
                report is None
                or changed is None
                or alt is None
                or alt.comparison.after is None
                or not alt.comparison.after.errors
            ):
                break
            more = [
                c
                for f in report.findings
                if str(f.severity) == "error"
                for p in propose(f, changed, report.ctx)[:1]
                for c in p
                if c not in changes
            ]
            if not more:
                break
            changes = (*changes, *dict.fromkeys(more))
            if changes in runs:
                break
            alt = tried(changes, ["together"])
            report, changed = runs[changes][1], runs[changes][2]
    order = list(runs)
    return [r[0] for r in sorted(runs.values(), key=lambda r: r[0].key(order.index(r[0].comparison.changes)))]


def section(ev: Evidence, before: Report) -> tuple[dict[str, Any], bool]:
    """The report's ``try_fixes`` object, and whether some alternative fixes everything."""
    from oidc_doctor.checks.changes import propose

    alternatives = try_fixes(ev, before)
    proposed = {c for a in alternatives for c in a.for_causes}
    outside = [
        {"cause": f.cause, "why": "no change to the evidence is known to fix it; the fix: " + f.fix.splitlines()[0]}
        for f in before.findings
        if str(f.severity) in ("error", "warning") and f.cause not in proposed and not propose(f, ev, before.ctx)
    ]
    doc = {"alternatives": [a.to_json() for a in alternatives], "outside": outside}
    return doc, any(a.comparison.fixes_all for a in alternatives)
