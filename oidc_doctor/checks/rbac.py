"""RBAC checks: who the API server says the user is, what binds it, and why a request is denied.

The deriver :func:`derive_failures` reads the failure texts the user saw (``--error`` and error
text files) beside the logs' failures; a 403's quoted user becomes the identity (source
``forbidden-message``, :func:`oidc_doctor.facts.identity_of`) unless a SelfSubjectReview gave one:
the API server's own word outranks a prediction. :func:`derive_rbac` indexes the RBAC objects and
analyses that identity once (``oidc_doctor.rbac.nearmiss``: verdicts, no findings). The checks then
report that analysis: this module words each verdict as a finding, with both sides and a fix.
"""

from __future__ import annotations

from oidc_doctor.authn.nested import nested_fix
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import AuthenticatorSummary, CheckResult, EvidenceRef, Finding, ObservedFailure, Origin
from oidc_doctor.rbac import fixes
from oidc_doctor.rbac.forbidden import parse_failures
from oidc_doctor.rbac.index import RbacIndex, binding_label, default_groups, role_ref
from oidc_doctor.rbac.nearmiss import (
    Analysis,
    Anonymous,
    BindingMiss,
    ClaimMismatch,
    GroupIdsNotNames,
    GroupMismatch,
    GroupsClaimMissing,
    Insufficient,
    IssuerHashName,
    KindSwapped,
    NoBinding,
    PrefixMismatch,
    SubjectMiss,
    Who,
    analyze,
    is_default_group,
    split_prefix,
    subject_index,
    unquoted,
)
from oidc_doctor.rbac.rules import Request, describe_rule
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


def index_rbac(ev: Evidence) -> RbacIndex | None:
    """The index of the evidence's RBAC objects, None without any (it reads no facts, so it may be
    built before the facts it analyses are: while a big log is still being searched)."""
    return RbacIndex.from_evidence(ev) if ev.has(Kind.RBAC) else None


def derive_rbac(ev: Evidence, ctx: Context, index: RbacIndex | None = None) -> RbacFacts:
    """Analyse the identity the facts name against the RBAC objects (``index``: built already by
    :func:`index_rbac`, else indexed now)."""
    idx = index if index is not None else index_rbac(ev)
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


def _claim_groups(claims: dict[str, object] | None, auth: AuthenticatorSummary | None) -> list[str] | None:
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
    return CheckResult.failed([anonymous_finding(Anonymous(who, request_from_context(ctx)))])


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
        return CheckResult.failed([finding_for(p) for p in a.subjects])
    return CheckResult.passed("no binding nearly names this user or its groups")


def check_binding(ev: Evidence, ctx: Context) -> CheckResult:
    """Some binding beyond the defaults applies to the identity."""
    a = _prepared(ev, ctx)
    if isinstance(a, CheckResult):
        return a
    if a.binding:
        if partial := _partial(ev):
            return partial  # "no binding" may only mean the binding was in what could not be read
        return CheckResult.failed([finding_for(p) for p in a.binding])
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
        return CheckResult.failed([finding_for(p) for p in a.permissions])
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


# --- findings: what each miss of the analysis means, both sides named, with a fix to paste ---------

#: At most this many bindings (or groups) are named in one finding.
_MAX_LISTED = 5


def _origin(who: Who) -> Origin:
    return Origin.OBSERVED if who.observed else Origin.PREDICTED


def who_evidence(who: Who) -> EvidenceRef:
    """Where the identity came from."""
    source = {
        "forbidden-message": "error-text",
        "selfsubjectreview": "live",
        "audit-event": "audit",
        "prediction": "token",
    }.get(who.source, "options")
    return EvidenceRef(source, who.ref or who.source, f"user {who.username}")


def _rb_evidence(binding: dict[str, object], kind: str, name: str) -> EvidenceRef:
    i = subject_index(binding, kind, name)
    return EvidenceRef("rbac", fixes.describe_binding(binding, i), f"{kind} {name}")


def _quote_fix(flag: str, prefix: str, auth: AuthenticatorSummary | None) -> str:
    inner = unquoted(prefix) or prefix
    where = f" ({auth.ref})" if auth else ""
    return (
        f"Remove the quotes from the flag value{where}: `- --{flag}={prefix}` in a YAML list passes the quotes "
        f"to kube-apiserver, which then puts {prefix} (quotes included) before every name. Write "
        f"`- --{flag}={inner}` (or quote the whole item: `- '--{flag}={inner}'`); the API server restarts with "
        "the manifest. Do not bind the quoted names: they are the bug."
    )


def _prefix_alternative(new_prefix: str, auth: AuthenticatorSummary | None = None) -> str:
    # Legacy flags spell "no prefix" as "-" (an empty flag means the issuer# default); the
    # AuthenticationConfiguration spells it "" (kubernetes pkg/kubeapiserver/options/authentication.go).
    flag = new_prefix if new_prefix else "-"
    ref = auth.ref if auth else ""
    if "node-args" in ref or "kube-apiserver-arg" in ref:
        return (
            f"`oidc-username-prefix={flag}` in the `kube-apiserver-arg` list of /etc/rancher/k3s/config.yaml "
            "(RKE2: /etc/rancher/rke2/config.yaml) on every server node, then restart k3s/rke2-server"
        )
    if " EKS " in f" {ref} ":
        return (
            f'`usernamePrefix: "{flag}"` in a new EKS identity provider config (the settings of an associated '
            "one cannot be edited: disassociate it and associate the new one)"
        )
    return (
        f'`--oidc-username-prefix={flag}` (flags) or `claimMappings.username.prefix: "{new_prefix}"` '
        "(AuthenticationConfiguration)"
    )


def _kubeapps_note(req: Request | None) -> str:
    if req and req.is_resource and req.verb == "list" and req.resource == "namespaces" and not req.namespace:
        return (
            " Kubeapps lists namespaces with a cluster-scope `list namespaces`: a RoleBinding cannot grant "
            "it, only a ClusterRole bound by a ClusterRoleBinding."
        )
    return ""


def anonymous_finding(p: Anonymous) -> Finding:
    """The finding for a 403 naming ``system:anonymous``."""
    who, req = p.who, p.request
    what = f" to {req.describe()}" if req else ""
    return Finding(
        "proxy-token-not-forwarded",
        f'The API server saw user "system:anonymous"{what}: no token reached it',
        [
            EvidenceRef("error-text", who.ref or "error text", 'User "system:anonymous" in the 403 message'),
        ],
        fix="The request carried no credentials. Make the proxy pass the id_token to the API server: "
        "oauth2-proxy `--pass-authorization-header=true` (Kubeapps: `authProxy.extraFlags` / "
        "`additionalFlags`), and let the ingress forward the `Authorization` header.",
        origin=Origin.OBSERVED,
    )


def _prefix_finding(p: PrefixMismatch) -> Finding:
    who, bound, prefix, bound_prefix, bindings, auth = p.who, p.bound, p.prefix, p.bound_prefix, p.bindings, p.auth
    origin = _origin(who)
    b = bindings[0]
    i = subject_index(b, "User", bound) or 0
    where = binding_label(b) + (f" (and {len(bindings) - 1} more)" if len(bindings) > 1 else "")
    server = f'username prefix "{prefix}"' if prefix else "no username prefix"
    if p.quoted:
        server = f"its username prefix is {prefix}, quotes included"
        return Finding(
            "username-prefix-mismatch",
            f'{where} names user "{bound}"; the API server sees "{who.username}" ({server})',
            [who_evidence(who), _rb_evidence(b, "User", bound)]
            + ([EvidenceRef("apiserver-config", auth.ref, f"username prefix {prefix!r}")] if auth else []),
            fix=_quote_fix("oidc-username-prefix", prefix, auth),
            origin=origin,
        )
    fix = (
        "Bind the name the API server uses (safer: changes one binding):\n"
        f"  {fixes.patch_subject(b, i, who.username)}\n"
        f"  or add a binding: {fixes.same_grant_for(b, 'User', who.username)}\n"
        f"Alternative on the API server side: {_prefix_alternative(bound_prefix, auth)} so that "
        f'users are named "{bound}" — this renames every OIDC user'
        + ("." if auth and " EKS " in f" {auth.ref} " else " and needs an API server restart.")
    )
    return Finding(
        "username-prefix-mismatch",
        f'{where} names user "{bound}"; the API server sees "{who.username}" ({server})',
        [who_evidence(who), *[_rb_evidence(x, "User", bound) for x in bindings[:_MAX_LISTED]]]
        + ([EvidenceRef("apiserver-config", auth.ref, f"username prefix {auth.username_prefix!r}")] if auth else []),
        fix=fix,
        origin=origin,
    )


def _issuer_hash_finding(p: IssuerHashName) -> Finding:
    who, bound, bindings, auth = p.who, p.bound, p.bindings, p.auth
    b = bindings[0]
    i = subject_index(b, "User", bound) or 0
    server = f'username prefix "{auth.username_prefix}"' if auth.username_prefix else "no username prefix"
    claim = f"claim `{auth.username_claim}`" if auth.username_claim else "its username expression"
    typo = f"; its issuer part `{p.bound_issuer}` is not even the API server's `{auth.issuer}`" if p.issuer_near else ""
    fix = (
        "Bind the name the API server uses (safer: changes one binding):\n"
        f"  {fixes.patch_subject(b, i, who.username)}\n"
        f"  or add a binding: {fixes.same_grant_for(b, 'User', who.username)}"
    )
    return Finding(
        "username-prefix-mismatch",
        f'{binding_label(b)} names user "{bound}", the `<issuer>#<claim>` form kube-apiserver uses only when '
        f"--oidc-username-prefix is unset (the binding `kubectl oidc-login setup` proposes); this API server "
        f'has {server} and takes {claim}: it sees "{who.username}"{typo}',
        [
            who_evidence(who),
            *[_rb_evidence(x, "User", bound) for x in bindings[:_MAX_LISTED]],
            EvidenceRef(
                "apiserver-config", auth.ref, f"username prefix {auth.username_prefix!r}, issuer {auth.issuer}"
            ),
        ],
        fix=fix,
        origin=_origin(who),
    )


def _claim_finding(p: ClaimMismatch) -> Finding:
    who, bound, claim, value, server_claim, bindings = p.who, p.bound, p.claim, p.value, p.server_claim, p.bindings
    b = bindings[0]
    i = subject_index(b, "User", bound) or 0
    uses = f"the `{server_claim}` claim" if server_claim else "another claim"
    flag = f"`--oidc-username-claim={claim}` (flags) or `claimMappings.username.claim: {claim}`"
    prefix_note = (
        " (with legacy flags a claim other than `email` gets the `<issuer>#` prefix unless "
        "`--oidc-username-prefix` is set)"
        if claim != "email"
        else ""
    )
    fix = (
        "Bind the name the API server uses (safer: changes one binding):\n"
        f"  {fixes.patch_subject(b, i, who.username)}\n"
        f"  or add a binding: {fixes.same_grant_for(b, 'User', who.username)}\n"
        f"Alternative on the API server side: {flag}{prefix_note} — this renames every OIDC user."
    )
    return Finding(
        "username-claim-mismatch",
        f'{binding_label(b)} names "{bound}", the token\'s `{claim}` claim; the API server builds the '
        f'username from {uses}: "{who.username}"',
        [
            who_evidence(who),
            EvidenceRef("token", f"claim {claim}", value),
            *[_rb_evidence(x, "User", bound) for x in bindings[:_MAX_LISTED]],
        ],
        fix=fix,
        origin=_origin(who),
    )


def _group_finding(p: GroupMismatch) -> Finding:
    who, bound, group, bindings, auth, kind = p.who, p.bound, p.group, p.bindings, p.auth, p.kind
    origin = _origin(who)
    b = bindings[0]
    i = subject_index(b, "Group", bound) or 0
    quoted = p.quoted_prefix
    if quoted is not None:
        return Finding(
            "group-name-mismatch",
            f'{binding_label(b)} names group "{bound}"; the API server sees group "{group}" '
            f"(its groups prefix is {quoted}, quotes included)",
            [
                who_evidence(who),
                EvidenceRef(who_evidence(who).source, "groups", group),
                _rb_evidence(b, "Group", bound),
                EvidenceRef("apiserver-config", auth.ref if auth else "", f"groups prefix {quoted!r}"),
            ],
            fix=_quote_fix("oidc-groups-prefix", quoted, auth),
            origin=origin,
        )
    if "Keycloak" in kind:
        alt = (
            'in Keycloak, switch the groups mapper\'s "Full group path" to match the binding '
            f'(the token carries "{group}")'
        )
    elif "prefix" in kind:
        # The prefix that turns the token's group into the bound name ("" when bound bare).
        gprefix = auth.groups_prefix if auth else None
        base = group[len(gprefix) :] if gprefix and group.startswith(gprefix) else split_prefix(group)[1]
        if base and bound.endswith(base):
            prefix = bound[: len(bound) - len(base)]
        else:
            prefix = bound[: len(bound) - len(split_prefix(bound)[1])]
        if prefix:
            alt = f'`--oidc-groups-prefix={prefix}` (structured: `claimMappings.groups.prefix: "{prefix}"`)'
        else:
            alt = 'no groups prefix: drop `--oidc-groups-prefix` (structured: `claimMappings.groups.prefix: ""`)'
    else:
        alt = "rename the group in the identity provider"
    fix = (
        f"Bind the group name the API server uses (safer):\n  {fixes.patch_subject(b, i, group)}\n"
        f"  or add a binding: {fixes.same_grant_for(b, 'Group', group)}\n"
        f"Alternative: {alt} — this changes the group names of every user."
    )
    return Finding(
        "group-name-mismatch",
        f'{binding_label(b)} names group "{bound}"; the API server sees group "{group}" ({kind})',
        [who_evidence(who), EvidenceRef(who_evidence(who).source, "groups", group), _rb_evidence(b, "Group", bound)],
        fix=fix,
        origin=origin,
    )


def _guid_finding(p: GroupIdsNotNames) -> Finding:
    who, mine, named, b = p.who, p.mine, p.named, p.binding
    listed = ", ".join(f'"{n}"' for n in named[:_MAX_LISTED])
    fix = (
        "Bind the group's object ID (as the token carries it), e.g.:\n  "
        + fixes.same_grant_for(b, "Group", mine[0])
        + "\nAlternative: make the identity provider emit group names (Entra ID: emit `sAMAccountName` "
        "or cloud group names via the groups claim options) — only where names are unique."
    )
    return Finding(
        "group-name-mismatch",
        f"The token's groups are object IDs ({', '.join(mine[:3])}); bindings name groups by name ({listed})",
        [who_evidence(who), *[_rb_evidence(x, "Group", named[0]) for x in [b]]],
        fix=fix,
        origin=_origin(who),
    )


def _groups_claim_finding(p: GroupsClaimMissing) -> Finding:
    claim, granting, b, auth = p.claim, p.granting, p.binding, p.auth
    if claim is None:
        why = "the API server maps no groups claim (`--oidc-groups-claim` unset)"
        fix = (
            "Set `--oidc-groups-claim=groups` (structured: "
            '`claimMappings.groups: {claim: groups, prefix: ""}`) and make the token carry it'
        )
    elif (nested := p.nested) is not None:
        why = f"`{claim}` is a path into nested claims, which the API server never follows (found: {nested!r})"
        fix = "Reach the nested claim: " + nested_fix(claim)
    elif (path := p.nested_path) is not None:
        why = f"the token carries no `{claim}` claim; its names are nested under `{path}`, which no claim name reaches"
        fix = "Reach the nested claim: " + nested_fix(path)
    else:
        why = f"the token carries no `{claim}` claim"
        if p.overage:
            why += " (Entra ID group overage: `_claim_names` points to Graph, which the API server cannot call)"
        fix = (
            f"Make the token carry `{claim}`: request the `groups` scope (Kubeapps/oauth2-proxy `--scope`), "
            "add a groups mapper in the identity provider, or point `--oidc-groups-claim` at the claim "
            "that holds them"
        )
    listed = ", ".join(f'"{n}"' for n in granting[:_MAX_LISTED])
    return Finding(
        "groups-claim-missing",
        f"Bindings name groups ({listed}) but {why}: the user has no OIDC groups",
        [
            EvidenceRef("token", "claims", f"no {claim or 'groups'} claim"),
            _rb_evidence(b, "Group", granting[0]),
            *([EvidenceRef("apiserver-config", auth.ref, f"groups claim {auth.groups_claim!r}")] if auth else []),
        ],
        fix=fix,
        origin=_origin(p.who),
    )


def _kind_swapped_finding(p: KindSwapped) -> Finding:
    who, b, kind, name, other, right = p.who, p.binding, p.kind, p.name, p.other, p.right
    patch = fixes.patch_subject_kind(b, p.index, right)
    return Finding(
        "rbac-no-binding",
        f'{binding_label(b)} names {kind} "{name}", but the API server sees a {other} of that name: a subject '
        f"matches by kind and name, so no binding applies to it",
        [who_evidence(who), _rb_evidence(b, kind, name)],
        fix=f"Make the subject a {right}:\n  {patch}\n  or add a binding: " + fixes.same_grant_for(b, right, name),
        origin=_origin(who),
    )


def _no_binding_finding(p: NoBinding) -> Finding:
    who, req, role = p.who, p.request, p.role
    groups = [g for g in who.groups if not is_default_group(g)]
    gtext = f" or its groups {groups}" if groups else (" (its groups are not known)" if not who.groups_known else "")
    subject_kind, subject = "User", who.username
    lines = []
    if req is not None and not role:
        lines = fixes.grant_request(req, subject_kind, subject)
    else:
        role = role or "view"
        if req is not None and req.namespace:
            name = fixes.object_name(role, subject)
            lines = [
                fixes.create_binding("RoleBinding", name, req.namespace, "ClusterRole", role, subject_kind, subject)
            ]
        else:
            name = fixes.object_name(role, subject)
            lines = [fixes.create_binding("ClusterRoleBinding", name, "", "ClusterRole", role, subject_kind, subject)]
            if req is None:
                ns_cmd = fixes.create_binding(
                    "RoleBinding", name, "NAMESPACE", "ClusterRole", role, subject_kind, subject
                )
                lines.append(f"(or only in one namespace: {ns_cmd})")
    if groups:
        lines.append(
            f"(or bind a group instead of the user: replace --user=... by {fixes.subject_flag('Group', groups[0])})"
        )
    what = f" (needed: {req.describe()})" if req else ""
    return Finding(
        "rbac-no-binding",
        f'No binding names user "{who.username}"{gtext}; only the defaults for every authenticated user '
        f"apply{what}.{_kubeapps_note(req)}",
        [who_evidence(who), EvidenceRef("rbac", "all bindings", f"{p.searched} bindings searched")],
        fix="\n".join(lines),
        origin=_origin(who),
    )


def _insufficient_finding(p: Insufficient) -> Finding:
    who, req, d = p.who, p.request, p.decision
    missing = {"verbs": [req.verb]}
    if req.is_resource:
        missing = {
            "apiGroups": [req.api_group],
            "resources": [f"{req.resource}/{req.subresource}" if req.subresource else req.resource],
            "verbs": [req.verb],
            **({"resourceNames": [req.name]} if req.name else {}),
        }
    else:
        missing = {"nonResourceURLs": [req.path], "verbs": [req.verb]}
    evidence = [who_evidence(who)]
    have = []
    for a in d.applied[:_MAX_LISTED] if d.applied else []:
        rk, rn = role_ref(a.binding)
        have.append(f"{binding_label(a.binding)} -> {rk} {rn}")
        evidence.append(EvidenceRef("rbac", binding_label(a.binding), f"{rk} {rn}"))
    notes = ""
    if p.elsewhere:
        notes += f" RoleBindings grant it only in namespace(s) {', '.join(p.elsewhere[:_MAX_LISTED])}."
    if d.errors:
        notes += " Unresolved role references: " + "; ".join(d.errors[:_MAX_LISTED]) + "."
        evidence += [EvidenceRef("rbac", e.split(":", 1)[0], e.split(": ", 1)[-1]) for e in d.errors[:_MAX_LISTED]]
    scope = "here" if not d.applied else "; bindings that apply here: " + ", ".join(have)
    subject_kind, subject = "User", who.username
    mine = [g for g in who.groups if not is_default_group(g)]
    lines = fixes.grant_request(req, subject_kind, subject)
    if mine:
        lines.append(f"(or grant it to a group: replace --user=... by {fixes.subject_flag('Group', mine[0])})")
    return Finding(
        "rbac-insufficient-permissions",
        f'User "{who.username}" may not {req.describe()}: missing rule {describe_rule(missing)}{scope}.'
        f"{notes}{_kubeapps_note(req)}",
        evidence,
        fix="\n".join(lines),
        origin=_origin(who),
    )


def finding_for(p: Anonymous | SubjectMiss | BindingMiss | Insufficient) -> Finding:
    """The finding one verdict of the RBAC analysis stands for."""
    match p:
        case Anonymous():
            return anonymous_finding(p)
        case PrefixMismatch():
            return _prefix_finding(p)
        case IssuerHashName():
            return _issuer_hash_finding(p)
        case ClaimMismatch():
            return _claim_finding(p)
        case GroupMismatch():
            return _group_finding(p)
        case GroupIdsNotNames():
            return _guid_finding(p)
        case GroupsClaimMissing():
            return _groups_claim_finding(p)
        case KindSwapped():
            return _kind_swapped_finding(p)
        case NoBinding():
            return _no_binding_finding(p)
        case Insufficient():
            return _insufficient_finding(p)


def findings_of(a: Analysis) -> list[Finding]:
    """Every finding of one analysis, in the order the checks report them (``rbac who``/``rbac can``)."""
    return [finding_for(p) for p in [*a.anonymous, *a.subjects, *a.binding, *a.permissions]]
