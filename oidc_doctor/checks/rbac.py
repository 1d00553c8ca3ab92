"""RBAC checks: who the API server says the user is, what binds it, and why a request is denied.

The deriver :func:`derive_failures` reads the failure texts the user saw (``--error`` and error
text files) beside the logs' failures; a 403's quoted user becomes the identity (source
``forbidden-message``, :func:`oidc_doctor.facts.identity_of`) unless a SelfSubjectReview gave one:
the API server's own word outranks a prediction. :func:`derive_rbac` indexes the RBAC objects and
analyses that identity once. The checks then compare that identity with the RBAC objects of the
evidence (``oidc_doctor.rbac``).
"""

from __future__ import annotations

from typing import Any

from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import AuthenticatorSummary, CheckResult, ObservedFailure
from oidc_doctor.rbac.forbidden import parse_failures
from oidc_doctor.rbac.index import RbacIndex, default_groups
from oidc_doctor.rbac.nearmiss import Analysis, Who, analyze, anonymous_finding
from oidc_doctor.rbac.rules import Request
from oidc_doctor.record import FrozenRecord

_NO_RBAC = (
    "no RBAC objects in the evidence (add the output of `kubectl get clusterroles,clusterrolebindings,"
    "roles,rolebindings -A -o yaml` to the bundle)"
)
_NO_IDENTITY = (
    "no identity to judge: give the token (--token), the 403 text (--error) or a SelfSubjectReview, "
    "or use `oidc-doctor rbac who --user`"
)


def derive_failures(ev: Evidence, ctx: Context) -> tuple[ObservedFailure, ...]:
    """The failures seen: the logs' (near ``ctx.now``), then ``--error`` texts and error text files."""
    texts: list[tuple[str, str]] = [(t, "--error") for t in ctx.options.error_texts]
    texts += [(i.data, i.ref) for i in ev.of(Kind.ERROR_TEXT) if isinstance(i.data, str)]
    logs = ctx.facts.logs
    seen = list(logs.failures) if logs is not None else []
    return (*seen, *(f for text, ref in texts for f in parse_failures(text, ref)))


class RbacFacts(FrozenRecord):
    """The RBAC area's facts: the bindings' index (None without RBAC objects) and the analysis of
    the identity (or why none could be made)."""

    _fields = ("index", "analysis")
    __slots__ = _fields
    index: RbacIndex | None
    analysis: Analysis | str

    def __init__(self, index: RbacIndex | None, analysis: Analysis | str) -> None:
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "analysis", analysis)

    def __hash__(self) -> int:  # holds an index: identity is enough
        return id(self)


def derive_rbac(ev: Evidence, ctx: Context) -> RbacFacts:
    """Index the RBAC objects once and analyse the identity the facts name."""
    idx = RbacIndex.from_evidence(ev) if ev.has(Kind.RBAC) else None
    who = who_from_context(ctx)
    result: Analysis | str
    if idx is None:
        result = ev.blind.get("rbac", _NO_RBAC)
    elif who is None:
        p = ctx.facts.prediction
        if p is not None and p.handled and not p.authenticated:
            # The token in hand never gets past authentication: there is no user for RBAC to judge.
            result = f"the API server would reject the token ({p.error}): authentication fails before RBAC"
        else:
            result = _NO_IDENTITY
    else:
        result = analyze(idx, who, request_from_context(ctx), ctx.facts.token_claims, pick_authenticator(ctx))
    return RbacFacts(idx, result)


def rbac_index(ev: Evidence, ctx: Context) -> RbacIndex | None:
    """The index of the evidence's RBAC objects (built once per run), or None without any."""
    return ctx.facts.rbac.index if ctx.facts.rbac is not None else None


def pick_authenticator(ctx: Context) -> AuthenticatorSummary | None:
    """The authenticator for the token's issuer, or the only one."""
    auths = ctx.facts.authenticators or ()
    claims = ctx.facts.token_claims or {}
    for a in auths:
        if claims.get("iss") == a.issuer:
            return a
    return auths[0] if len(auths) == 1 else None


def _claim_groups(claims: dict[str, Any] | None, auth: AuthenticatorSummary | None) -> list[str] | None:
    if claims is None:
        return None
    claim = auth.groups_claim if auth else "groups"
    if auth is not None and claim is None:
        return []
    value = claims.get(claim or "groups")
    prefix = auth.groups_prefix if auth else ""
    if isinstance(value, str):
        return [prefix + value]
    if isinstance(value, list):
        return [prefix + v for v in value if isinstance(v, str)]
    return []


def who_from_context(ctx: Context) -> Who | None:
    """The identity RBAC should judge, from the facts (None when unknown)."""
    ident = ctx.facts.identity
    if ident is None:
        return None
    auth = pick_authenticator(ctx)
    groups, known = list(ident.groups), True
    if ident.source == "forbidden-message" and not groups:
        # A 403 names the user but not its groups: take them from the token, with the API
        # server's groups claim and prefix. Without the API server's settings the prefix is
        # unknown, and so are the groups (the claim alone would invent a mismatch).
        predicted = _claim_groups(ctx.facts.token_claims, auth) if auth is not None else None
        groups, known = (predicted or []), predicted is not None
    ref = next((f.ref for f in ctx.facts.failures if f.user == ident.username), ident.source)
    return Who(ident.username, default_groups(ident.username, groups), known, ident.source, ref)


def request_from_context(ctx: Context) -> Request | None:
    """The failing request: ``--request`` first, else the first 403 that names one."""
    r = ctx.options.request
    if r:
        return Request(
            verb=r.get("verb", ""),
            resource=r.get("resource", ""),
            api_group=r.get("api_group", r.get("group", "")),
            subresource=r.get("subresource", ""),
            name=r.get("name", ""),
            namespace=r.get("namespace", ""),
            path=r.get("path", ""),
        )
    for f in ctx.facts.failures:
        if f.kind == "forbidden" and f.verb and (f.resource or f.path):
            return Request(
                verb=f.verb,
                resource=f.resource or "",
                api_group=f.api_group or "",
                subresource=f.subresource or "",
                name=f.name or "",
                namespace=f.namespace or "",
                path=f.path or "",
            )
    return None


def _analysis(ev: Evidence, ctx: Context) -> Analysis | str:
    """The shared analysis, or the reason it could not be made."""
    return ctx.facts.rbac.analysis if ctx.facts.rbac is not None else _NO_RBAC


def check_anonymous(ev: Evidence, ctx: Context) -> CheckResult:
    """A 403 for ``system:anonymous``: no token reached the API server."""
    forbidden = [f for f in ctx.facts.failures if f.kind == "forbidden" and f.user]
    if not forbidden:
        return CheckResult.skipped("no 403 message naming a user was given")
    anon = [f for f in forbidden if f.user == "system:anonymous"]
    if not anon:
        return CheckResult.passed(f'the 403 names user "{forbidden[0].user}", so a credential arrived')
    who = Who("system:anonymous", [], False, "forbidden-message", anon[0].ref)
    return CheckResult.failed([anonymous_finding(who, request_from_context(ctx))])


def _prepared(ev: Evidence, ctx: Context) -> Analysis | CheckResult:
    """The shared analysis, or the result a check gives when there is none to read."""
    ident = ctx.facts.identity
    if ident is not None and ident.username == "system:anonymous":
        return CheckResult.skipped("the request reached the API server without a token (see rbac.anonymous)")
    a = _analysis(ev, ctx)
    return CheckResult.unknown(a) if isinstance(a, str) else a


def _partial(ev: Evidence) -> CheckResult | None:
    """``unknown`` when part of RBAC could not be read: an absence is then no evidence."""
    reason = ev.blind.get("rbac")
    if reason:
        return CheckResult.unknown(f"part of RBAC could not be read ({reason}): the missing grant may be there")
    return None


def check_subjects(ev: Evidence, ctx: Context) -> CheckResult:
    """Near misses: prefix, claim, group name; a groups claim that never arrives."""
    a = _prepared(ev, ctx)
    if isinstance(a, CheckResult):
        return a
    if a.decision is not None and a.decision.allowed:
        return CheckResult.passed("RBAC allows the failing request for this identity")
    if a.subjects:
        return CheckResult.failed(a.subjects)
    return CheckResult.passed("no binding nearly names this user or its groups")


def check_binding(ev: Evidence, ctx: Context) -> CheckResult:
    """Some binding beyond the defaults applies to the identity."""
    a = _prepared(ev, ctx)
    if isinstance(a, CheckResult):
        return a
    if a.binding:
        if partial := _partial(ev):
            return partial  # "no binding" may only mean the binding was in what could not be read
        return CheckResult.failed(a.binding)
    if a.uncertain:
        return CheckResult.unknown(a.uncertain)
    if a.decision is not None and a.decision.allowed and not a.meaningful:
        return CheckResult.passed("only default bindings apply, and they allow the request")
    return CheckResult.passed(f"{len(a.meaningful)} binding(s) apply to this identity")


def check_permissions(ev: Evidence, ctx: Context) -> CheckResult:
    """The bindings that apply allow the failing request."""
    a = _prepared(ev, ctx)
    if isinstance(a, CheckResult):
        return a
    if a.decision is None:
        return CheckResult.skipped(
            "no failing request known (give the 403 text the user saw: --error or an error text file)"
        )
    idx = rbac_index(ev, ctx)
    if idx is not None and not idx.cluster_roles and not idx.roles:
        return CheckResult.unknown("the evidence holds bindings but no Roles/ClusterRoles: rules cannot be read")
    if a.decision.allowed:
        by = a.decision.binding
        where = f" via {by.kind} {by.namespace + '/' if by.namespace else ''}{by.name}" if by else ""
        return CheckResult.passed(
            f"RBAC in the evidence allows {a.decision.request.describe()}{where}; if the API server still "
            "says 403, the evidence is older than the cluster or another authorizer denies it"
        )
    if a.permissions:
        if partial := _partial(ev):
            return partial
        return CheckResult.failed(a.permissions)
    if a.uncertain:
        return CheckResult.unknown(a.uncertain)
    return CheckResult.passed("no binding applies; see rbac.binding")


CHECKS: list[Check] = [
    Check(
        "rbac.anonymous",
        ("proxy-token-not-forwarded",),
        check_anonymous,
        "a 403 for system:anonymous means no token reached the API server",
    ),
    Check(
        "rbac.subjects",
        (
            "username-prefix-mismatch",
            "username-claim-mismatch",
            "group-name-mismatch",
            "groups-claim-missing",
        ),
        check_subjects,
        "bindings name the user or its groups exactly as the API server does",
    ),
    Check("rbac.binding", ("rbac-no-binding",), check_binding, "some binding applies to the identity"),
    Check(
        "rbac.permissions",
        ("rbac-insufficient-permissions",),
        check_permissions,
        "the bindings that apply allow the failing request",
    ),
]
