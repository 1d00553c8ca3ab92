"""How ``predict --trace`` and ``predict --compare`` read: the trace as lines or a Markdown table, and
the same token judged under two sets of settings, side by side with what differs.

Nothing here judges: the steps are the emulator's own record (``oidc_doctor.authn.verify.TraceStep``)
and the comparison sets two of its predictions next to each other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from oidc_doctor.record import dataclass
from oidc_doctor.secrets import mask_text
from oidc_doctor.text import clean

if TYPE_CHECKING:
    from oidc_doctor.authn.model import ApiServerAuth
    from oidc_doctor.authn.verify import Prediction, TraceStep


def show_value(value: Any, limit: int = 160) -> str:
    """A traced value as one line: strings and lists as JSON (credentials masked), nothing for an absent value."""
    if value is None:
        return ""
    from oidc_doctor.authn.verify import thawed

    value = thawed(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=lambda v: dict(v) if hasattr(v, "items") else str(v))
    except (TypeError, ValueError):
        text = str(value)
    return clean(text, limit)


def _who(step: TraceStep) -> str:
    return f"jwt[{step.authenticator}]" if step.authenticator is not None else "-"


def _outcome(step: TraceStep) -> str:
    return "FAIL" if step.decisive else step.outcome


def trace_text(pred: Prediction) -> list[str]:
    """The trace as aligned lines, the decisive step marked, and where it stopped."""
    lines = ["trace (kube-apiserver's order: oidc.go AuthenticateToken, go-oidc Verify):"]
    for n, s in enumerate(pred.trace, 1):
        mark = ">" if s.decisive else " "
        value = show_value(s.value)
        what = clean(mask_text(s.subject), 120)
        if value:
            what = f"{what} = {value}" if what else value
        lines.append(f" {mark}{n:>3} {_who(s):<7} {s.step:<15} {_outcome(s):<11} {what}")
        if s.detail:
            lines.append(f"{'':>29}{clean(mask_text(s.detail), 240)}")
        if s.error:
            lines.append(f"{'':>29}error: {clean(s.error, 400)}")
    lines.append(stopped_line(pred))
    return lines


def stopped_line(pred: Prediction) -> str:
    """Where the authenticator stopped, in one sentence."""
    decisive = next(((n, s) for n, s in enumerate(pred.trace, 1) if s.decisive), None)
    if decisive is not None:
        n, s = decisive
        return f"stopped at step {n} ({_who(s)} {s.step}): {clean(pred.error or s.error or '', 400)}"
    if pred.authenticated:
        return f"accepted by jwt[{pred.authenticator}] after {len(pred.trace)} steps"
    if pred.trace and pred.trace[-1].outcome == "unknown":
        return "no verdict: " + clean(pred.trace[-1].detail)
    if pred.stage == "config-only":
        return "configuration valid (no token given)"
    if pred.trace and pred.trace[-1].step == "result":
        return "not handled: " + clean(pred.trace[-1].detail)
    return "not handled: no authenticator's issuer is the token's iss (the API server logs `invalid bearer token`)"


def _md(s: str) -> str:
    """Hostile text as inert Markdown in a table cell."""
    return (
        clean(s)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
    )


def trace_markdown(pred: Prediction) -> list[str]:
    """The trace as a Markdown table (the decisive step in bold)."""
    out = ["| # | authenticator | step | outcome | checked | value | why |", "|---|---|---|---|---|---|---|"]
    for n, s in enumerate(pred.trace, 1):
        outcome = "**FAIL**" if s.decisive else s.outcome
        why = mask_text(s.detail) + (f" — error: {s.error}" if s.error else "")
        out.append(
            f"| {n} | {_who(s)} | {s.step} | {outcome} | {_md(clean(mask_text(s.subject), 160))} | "
            f"{_md(show_value(s.value))} | {_md(clean(why, 400))} |"
        )
    out += ["", _md(stopped_line(pred))]
    return out


def _verdict(pred: Prediction) -> str:
    if pred.authenticated:
        return "authenticated"
    if pred.stage in ("cel-unsupported", "distributed-unfetched"):
        return "unknown (could not be evaluated offline)"
    if pred.stage == "config":
        return f"configuration refused: {pred.error}"
    if not pred.handled:
        return "not handled (401, `invalid bearer token`)"
    return f"rejected: {pred.error}"


def _identity_rows(pred: Prediction) -> list[tuple[str, str]]:
    rows = [("verdict", _verdict(pred))]
    who = f"jwt[{pred.authenticator}] {pred.issuer}" if pred.handled else "none"
    rows.append(("authenticator", who))
    u = pred.user
    rows += [
        ("username", u.username if u else ""),
        ("uid", u.uid if u else ""),
        ("groups", show_value(list(u.groups)) if u else ""),
        ("extra", show_value(dict(u.extra)) if u and u.extra else ""),
    ]
    return rows


def predict_markdown(pred: Prediction, auth: ApiServerAuth, trace: bool) -> str:
    """``predict`` as Markdown: the verdict and identity, then the trace table."""
    out = [
        "# oidc-doctor predict",
        "",
        f"Settings: {_md(auth.ref)} ({auth.source}, {len(auth.authenticators)} JWT authenticator(s))",
        "",
    ]
    out += ["| | |", "|---|---|"]
    out += [f"| {k} | {_md(v)} |" for k, v in _identity_rows(pred) if v]
    out.append("")
    out += [f"> {_md(n)}" for n in pred.notes]
    if trace:
        out += ["", "## Trace", "", *trace_markdown(pred)]
    return "\n".join(out).rstrip() + "\n"


@dataclass(frozen=True)
class Comparison:
    """The same token under old and new settings."""

    old_auth: ApiServerAuth
    old: Prediction
    new_auth: ApiServerAuth
    new: Prediction

    def differences(self) -> list[tuple[str, Any, Any]]:
        """``(field, old, new)`` for every part of the verdict or identity that differs."""
        a, b = self.old, self.new
        pairs: list[tuple[str, Any, Any]] = [
            ("verdict", _verdict(a), _verdict(b)),
            ("authenticator", a.issuer if a.handled else None, b.issuer if b.handled else None),
        ]
        if a.user is not None and b.user is not None:
            pairs += [
                ("username", a.user.username, b.user.username),
                ("uid", a.user.uid, b.user.uid),
                ("groups", list(a.user.groups), list(b.user.groups)),
                ("extra", dict(a.user.extra), dict(b.user.extra)),
            ]
        elif a.user is not None or b.user is not None:  # one side has no user at all: its name says it
            pairs.append(("username", a.user.username if a.user else None, b.user.username if b.user else None))
        pairs.append(("signing_algs", list(self.old_auth.signing_algs), list(self.new_auth.signing_algs)))
        return [(name, x, y) for name, x, y in pairs if x != y]

    def to_json(self, trace: bool) -> dict[str, Any]:
        """``{"old": {...}, "new": {...}, "differences": [...], "same": bool}``."""

        def side(auth: ApiServerAuth, pred: Prediction) -> dict[str, Any]:
            d: dict[str, Any] = {
                "settings": auth.ref,
                "source": auth.source,
                "signing_algs": list(auth.signing_algs),
                "prediction": pred.to_json(),
            }
            if trace:
                d["trace"] = pred.trace_json()
            return d

        diffs = self.differences()
        return {
            "old": side(self.old_auth, self.old),
            "new": side(self.new_auth, self.new),
            "differences": [{"field": f, "old": x, "new": y} for f, x, y in diffs],
            "same": not [d for d in diffs if d[0] != "signing_algs"],
        }


def _diff_text(field: str, old: Any, new: Any) -> str:
    if field == "groups" and isinstance(old, list) and isinstance(new, list):
        gone = [g for g in old if g not in new]
        added = [g for g in new if g not in old]
        parts = [*(f"-{g}" for g in gone), *(f"+{g}" for g in added)] or ["order"]
        return f"groups: {', '.join(parts)}"
    if field == "username" and old and new:
        return f"username: {old} -> {new} (RBAC subjects naming {old} no longer match)"
    if field == "signing_algs":
        return f"signing algorithms: {show_value(old)} -> {show_value(new)}"
    return f"{field}: {show_value(old) or '(none)'} -> {show_value(new) or '(none)'}"


def compare_text(cmp: Comparison, trace: bool) -> str:
    """Both verdicts and identities, then the differences (and the old trace with ``--trace``)."""
    lines = ["compare (the same token, judged under both settings):"]
    for label, auth in (("old", cmp.old_auth), ("new", cmp.new_auth)):
        lines.append(f"  {label}: {clean(auth.ref)} ({auth.source}, {len(auth.authenticators)} JWT authenticator(s))")
    old_rows, new_rows = _identity_rows(cmp.old), _identity_rows(cmp.new)
    diffs = cmp.differences()
    differing = {f for f, _x, _y in diffs}
    for (name, x), (_, y) in zip(old_rows, new_rows, strict=True):
        if not x and not y:
            continue
        lines.append(f"  {name:<14} old: {clean(x, 300) or '(none)'}")
        lines.append(f"  {'':<14} new: {clean(y, 300) or '(none)'}{'   (differs)' if name in differing else ''}")
    if diffs:
        lines.append("differences:")
        lines += [f"  - {clean(_diff_text(f, x, y), 400)}" for f, x, y in diffs]
    else:
        lines.append("differences: none (the same verdict and identity)")
    if trace:
        lines += ["", "old settings' trace:", *trace_text(cmp.old)[1:]]
    return "\n".join(lines) + "\n"


def compare_markdown(cmp: Comparison, trace: bool) -> str:
    """The comparison as Markdown: a table of both sides and the list of differences."""
    out = [
        "## Compare",
        "",
        f"Old: {_md(cmp.old_auth.ref)} ({cmp.old_auth.source}); new: {_md(cmp.new_auth.ref)} ({cmp.new_auth.source})",
        "",
        "| | old | new |",
        "|---|---|---|",
    ]
    for (name, x), (_, y) in zip(_identity_rows(cmp.old), _identity_rows(cmp.new), strict=True):
        if x or y:
            out.append(f"| {name} | {_md(x)} | {_md(y)} |")
    out.append("")
    diffs = cmp.differences()
    out += [f"- {_md(_diff_text(f, x, y))}" for f, x, y in diffs] or ["No difference in verdict or identity."]
    if trace:
        out += ["", "### Trace under the old settings", "", *trace_markdown(cmp.old)]
    return "\n".join(out).rstrip() + "\n"
