"""The API server's own answer about who the user is: a SelfSubjectReview (``kubectl auth whoami``).

It outranks every prediction: when the bundle (or the live probe) holds one, it fills the report's
``identity`` with ``source: selfsubjectreview``.
"""

from __future__ import annotations

from oidc_doctor.causes import fix_for
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, Identity, Origin, Status


def _reviewed(item: Item) -> Identity | None:
    """The user a SelfSubjectReview's ``status.userInfo`` names (None when it names none)."""
    data: object = item.data
    status = data.get("status") if isinstance(data, dict) else None
    info = status.get("userInfo") if isinstance(status, dict) else None
    if not isinstance(info, dict):
        return None
    username, groups, extra = info.get("username"), info.get("groups"), info.get("extra")
    if not isinstance(username, str):
        return None
    return Identity(
        username=username,
        groups=[str(g) for g in groups] if isinstance(groups, list) else [],
        uid=str(info.get("uid") or ""),
        extra={str(k): [str(x) for x in v] for k, v in extra.items() if isinstance(v, list)}
        if isinstance(extra, dict)
        else {},
        source="selfsubjectreview",
    )


def derive_reviewed_identity(ev: Evidence) -> Identity | None:
    """The identity of the first SelfSubjectReview in the evidence (None without one)."""
    for item in ev.of(Kind.LIVE):
        ident = _reviewed(item)
        if ident is not None:
            return ident
    return None


def check_reviewed(ev: Evidence, ctx: Context) -> CheckResult:
    """Report the API server's accepted identity as ``token-accepted`` (info)."""
    reviews = [(i, _reviewed(i)) for i in ev.of(Kind.LIVE)]
    found = [(i, ident) for i, ident in reviews if ident is not None]
    if not found:
        return CheckResult.skipped("no SelfSubjectReview (kubectl auth whoami -o yaml) among the inputs")
    item, ident = found[0]
    groups = ", ".join(ident.groups) or "none"
    return CheckResult(
        status=Status.PASS,
        reason="the API server authenticated the token",
        findings=[
            Finding(
                "token-accepted",
                f"The API server accepted the token as user {ident.username!r} (groups: {groups})",
                [EvidenceRef("live", f"{item.ref} status.userInfo", f"username={ident.username} groups=[{groups}]")],
                fix=fix_for("token-accepted"),
                origin=Origin.OBSERVED,
            )
        ],
    )


CHECKS: list[Check] = [
    Check("identity.selfsubjectreview", ("token-accepted",), check_reviewed, "the API server's own whoami answer"),
]
