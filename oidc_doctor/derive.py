"""The runner's first half: every area's facts derived from the evidence, in one order.

:func:`derive_all` calls each area's deriver (``checks/<area>.py``; the token and API server
areas' in ``checks/token_facts.py`` and ``checks/authn_facts.py``) in the order of :data:`AREAS`;
each sees the facts derived before it and returns its own record (:mod:`oidc_doctor.facts`).
The second half, running the checks and ranking their findings, is :mod:`oidc_doctor.pipeline`.
They are apart so that a command that needs facts and ranks no findings (``predict``, ``rbac who``)
does not load the runner, and through it every check and the cause catalogue.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from oidc_doctor.facts import Facts, identity_of

if TYPE_CHECKING:
    from oidc_doctor.checks.base import Context
    from oidc_doctor.evidence import Evidence

#: The areas in the order they are derived, each with the areas whose facts its deriver reads.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logs", ()),
    ("tokens", ()),
    ("controlplane", ("tokens",)),
    ("reviewed", ("controlplane",)),
    ("failures", ("logs", "controlplane")),
    ("authn", ("tokens",)),
    ("aks", ("tokens",)),
    ("identity", ("reviewed", "failures", "authn", "aks")),
    ("rbac", ("tokens", "failures", "authn", "identity")),
    ("idp", ()),
    ("proxy", ("idp",)),
)


def _needed(areas: Collection[str]) -> set[str]:
    deps = dict(AREAS)
    unknown = set(areas) - set(deps)
    if unknown:
        raise ValueError(f"unknown area(s) {sorted(unknown)}")
    need: set[str] = set()
    todo = list(areas)
    while todo:
        a = todo.pop()
        if a not in need:
            need.add(a)
            todo.extend(deps[a])
    return need


def derive_all(ev: Evidence, ctx: Context, areas: Collection[str] | None = None) -> Context:
    """The context with every area's facts derived from ``ev``, in the order :mod:`oidc_doctor.facts`
    documents: each deriver sees the facts derived before it and returns its own record.

    ``areas`` limits the work to those areas and the ones they read (a command that judges only the
    token does not import or run the RBAC and proxy derivers).
    """
    need = _needed(areas) if areas is not None else {a for a, _ in AREAS}
    f = Facts()
    index = None
    if "rbac" in need:
        from oidc_doctor.checks import rbac

        # Indexed first: it reads no facts, and the logs' area below may wait for a background
        # search of a big log (a cluster's 50,000 bindings are indexed meanwhile).
        index = rbac.index_rbac(ev)
    for area, _deps in AREAS:
        if area not in need:
            continue
        c = ctx.but(facts=f)
        if area == "logs":
            from oidc_doctor.checks import logs

            f = f.but(logs=logs.derive_logs(ev, c))
        elif area == "tokens":
            from oidc_doctor.checks.token_facts import derive_tokens

            f = f.but(**derive_tokens(ev, c))
        elif area == "controlplane":
            from oidc_doctor.checks import controlplane

            f = f.but(controlplane=controlplane.derive_controlplane(ev, c))
        elif area == "reviewed":
            from oidc_doctor.checks import controlplane, identity

            # The API server's own answer: a SelfSubjectReview, else an audit event accepting the token's jti.
            f = f.but(reviewed=identity.derive_reviewed_identity(ev) or controlplane.audit_identity(f.controlplane))
        elif area == "failures":
            from oidc_doctor.checks import controlplane, rbac

            f = f.but(failures=(*rbac.derive_failures(ev, c), *controlplane.audit_failures(f.controlplane)))
        elif area == "authn":
            from oidc_doctor.checks.authn_facts import derive_authn

            f = f.but(**derive_authn(ev, c))
        elif area == "identity":
            f = f.but(identity=identity_of(f))
        elif area == "rbac":
            from oidc_doctor.checks import rbac

            f = f.but(rbac=rbac.derive_rbac(ev, c, index))
        elif area == "idp":
            from oidc_doctor.checks import idp

            f = f.but(idp=idp.derive_idp(ev))
        elif area == "proxy":
            from oidc_doctor.checks import proxy

            f = f.but(proxy=proxy.derive_proxies(ev, c))
        elif area == "aks":
            from oidc_doctor.checks import aks

            f = f.but(aks=aks.derive_aks(ev, c))
    return ctx.but(facts=f)
