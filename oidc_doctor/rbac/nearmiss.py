"""Why RBAC denies an identity: near misses between the name the API server uses and the names
bindings carry, missing groups, no binding, or bindings that do not grant the failing request.

Every finding names both sides ("RoleBinding dev/view names `alice@example.com`; the API server
sees `oidc:alice@example.com`") and carries a fix ready to paste. Which cause explains which is the
cause catalogue's knowledge (``oidc_doctor/causes.py``), not this module's.

Outside facts used here (see also ``/work/shared/reference/kube-apiserver-oidc.md``):

- legacy flags: ``--oidc-username-prefix`` defaults to ``<issuer>#`` for every claim but
  ``email``; ``-`` disables it; structured config (``claimMappings.username.prefix``) has no
  default (kubernetes ``pkg/kubeapiserver/options/authentication.go``);
- groups come only from the configured groups claim; a missing claim is silent (a 403, never a
  401): ``plugin/pkg/authenticator/token/oidc/oidc.go``;
- ``system:anonymous`` is the user of a request without credentials
  (``k8s.io/apiserver/pkg/authentication/request/anonymous``), so a 403 naming it means no token
  reached the API server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oidc_doctor.authn.nested import nested_claim, nested_fix, nested_groups
from oidc_doctor.model import AuthenticatorSummary, EvidenceRef, Finding, Origin
from oidc_doctor.rbac import fixes
from oidc_doctor.rbac.index import Applied, Decision, RbacIndex, binding_label, is_record, namespace_name, role_ref
from oidc_doctor.rbac.rules import Request, describe_rule, rule_allows

#: Claims that commonly hold a user's name; a binding naming one of them is a claim mismatch.
USERNAME_CLAIMS = (
    "email",
    "sub",
    "preferred_username",
    "upn",
    "unique_name",
    "name",
    "oid",
    "username",
    "login",
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DEFAULT_GROUPS = frozenset(("system:authenticated", "system:unauthenticated", "system:serviceaccounts"))
_MAX_LISTED = 5


@dataclass
class Who:
    """The identity RBAC judges, and how well it is known."""

    username: str
    groups: list[str]  # as RBAC sees them (system:authenticated included)
    groups_known: bool = True
    source: str = "flag"  # selfsubjectreview | audit-event | prediction | forbidden-message | flag
    ref: str = ""

    @property
    def observed(self) -> bool:
        """Whether the API server itself said who this is."""
        return self.source in ("selfsubjectreview", "audit-event", "forbidden-message")

    def evidence(self) -> EvidenceRef:
        """Where the identity came from."""
        source = {
            "forbidden-message": "error-text",
            "selfsubjectreview": "live",
            "audit-event": "audit",
            "prediction": "token",
        }.get(self.source, "options")
        return EvidenceRef(source, self.ref or self.source, f"user {self.username}")


@dataclass
class Analysis:
    """What :func:`analyze` found, grouped by the check that reports it."""

    applied: list[Applied] = field(default_factory=list)
    meaningful: list[Applied] = field(default_factory=list)
    decision: Decision | None = None
    #: Why no verdict on "no binding"/"insufficient" could be given (groups unknown), if so.
    uncertain: str = ""
    anonymous: list[Finding] = field(default_factory=list)
    subjects: list[Finding] = field(default_factory=list)
    binding: list[Finding] = field(default_factory=list)
    permissions: list[Finding] = field(default_factory=list)


#: Group names no OIDC token brings: Kubernetes' own, kubeadm's client-certificate group
#: (`kubeadm:cluster-admins`, bound by default since kubeadm 1.29, which moved admin.conf to it and
#: added super-admin.conf), EKS's access-entry groups. A binding naming one does not mean the user
#: lacks OIDC groups.
NON_OIDC_GROUP_PREFIXES = ("system:", "kubeadm:", "eks:")


def is_default_group(group: str) -> bool:
    """Groups every authenticated user or service account carries: they do not make a binding 'yours'."""
    return group in _DEFAULT_GROUPS or group.startswith("system:serviceaccounts:")


def split_prefix(name: str, known: str | None = None) -> tuple[str, str]:
    """``(prefix, base)``: the known prefix when it applies, else ``issuer#`` or ``word:``."""
    if known and name.startswith(known):
        return known, name[len(known) :]
    if name.startswith("system:"):
        return "", name
    if "#" in name and name.startswith(("http://", "https://")):
        i = name.rindex("#") + 1
        return name[:i], name[i:]
    head, sep, tail = name.partition(":")
    if sep and head and tail and "/" not in head and "@" not in head:
        return head + sep, tail
    return "", name


def _origin(who: Who) -> Origin:
    return Origin.OBSERVED if who.observed else Origin.PREDICTED


def _subject_index(binding: dict[str, Any], kind: str, name: str) -> int | None:
    for i, s in enumerate(binding.get("subjects") or ()):
        if (isinstance(s, dict) or is_record(s)) and s.get("kind") == kind and s.get("name") == name:
            return i
    return None


def _rb_evidence(binding: dict[str, Any], kind: str, name: str) -> EvidenceRef:
    i = _subject_index(binding, kind, name)
    return EvidenceRef("rbac", fixes.describe_binding(binding, i), f"{kind} {name}")


def _grants(idx: RbacIndex, binding: dict[str, Any], req: Request | None) -> bool:
    """Whether a binding would allow ``req`` (any binding counts when there is no request, or when
    its role is not in the evidence: an unknown role is no evidence that it does not grant)."""
    if req is None:
        return True
    if binding.get("kind") == "RoleBinding":
        ns = namespace_name(binding)[0]
        if not req.namespace or ns != req.namespace:
            return False
    rules, missing = idx.role_rules(binding)
    if missing is not None:
        return True  # the role is not in the evidence: it may grant the request, so the binding still counts
    return any(rule_allows(r, req) for r in rules)


def _pick(idx: RbacIndex, bindings: list[dict[str, Any]], req: Request | None) -> list[dict[str, Any]]:
    """The bindings that would grant the failing request; all of them when no request is known."""
    granting = [b for b in bindings if _grants(idx, b, req)]
    return granting or ([] if req is not None else bindings)


def analyze(
    idx: RbacIndex,
    who: Who,
    request: Request | None = None,
    claims: dict[str, Any] | None = None,
    auth: AuthenticatorSummary | None = None,
) -> Analysis:
    """Everything RBAC can say about ``who`` (and the failing ``request``, when known)."""
    out = Analysis()
    if who.username == "system:anonymous":
        out.anonymous.append(anonymous_finding(who, request))
        return out
    out.applied = idx.applicable(who.username, who.groups)
    out.meaningful = [a for a in out.applied if any(not _is_default_subject(s) for s in a.subjects)]
    if request is not None:
        out.decision = idx.authorize(who.username, who.groups, request)
        if out.decision.allowed:
            return out  # nothing RBAC-side explains a failure of this request
    origin = _origin(who)
    out.subjects += _username_near_misses(idx, who, request, claims, auth, origin)
    out.subjects += _group_near_misses(idx, who, request, auth, origin)
    if not out.meaningful or request is not None:
        # A user bound in its own right, with no failing request known, misses nothing: the groups
        # bound elsewhere are other people's (kubeadm's default `kubeadm:cluster-admins`, say).
        out.subjects += _groups_claim_missing(idx, who, request, claims, auth, origin)
    group_bound = [n for n in idx.subject_names("Group") if not n.startswith("system:")]
    swapped = _kind_swapped(idx, who, request, origin)
    if swapped is not None and not out.meaningful and not out.subjects:
        out.binding.append(swapped)
        return out
    if not who.groups_known and group_bound and not out.subjects:
        # A 403 names the user, not its groups; without the token the groups stay unknown, and
        # some group binding might be the user's. Say so rather than guess.
        out.uncertain = (
            f'the groups of "{who.username}" are not known (a 403 does not show them; give the token) '
            f"and {len(group_bound)} group name(s) are bound, e.g. {group_bound[0]!r}"
        )
    elif not out.meaningful:
        out.binding.append(_no_binding(idx, who, request, origin))
    elif request is not None and out.decision is not None:
        out.permissions.append(_insufficient(idx, who, request, out.decision, origin))
    return out


def _is_default_subject(s: dict[str, Any]) -> bool:
    return s.get("kind") == "Group" and is_default_group(str(s.get("name")))


def anonymous_finding(who: Who, req: Request | None) -> Finding:
    """The finding for a 403 naming ``system:anonymous``."""
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


def unquoted(prefix: str) -> str | None:
    """The prefix without the quotes a manifest passed along, when it has them (else None).

    In YAML, ``- --oidc-groups-prefix="oidc:"`` is a plain scalar: the quotes reach kube-apiserver
    and become part of every name (``"oidc:"dev``). Shells remove them; YAML list items do not.
    """
    if len(prefix) >= 2 and prefix[0] == prefix[-1] and prefix[0] in "\"'":
        return prefix[1:-1]
    return None


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


def _username_near_misses(
    idx: RbacIndex,
    who: Who,
    req: Request | None,
    claims: dict[str, Any] | None,
    auth: AuthenticatorSummary | None,
    origin: Origin,
) -> list[Finding]:
    user = who.username
    if idx.by_subject.get(("User", user)):
        bound = [b for b in idx.bindings_naming("User", user) if _grants(idx, b, req)]
        if bound:
            return []  # the user is bound by its exact name where it matters
    prefix, base = split_prefix(user, auth.username_prefix if auth else None)
    out: list[Finding] = []
    seen: set[str] = set()
    claim_values: dict[str, str] = {}
    if claims:
        for c in USERNAME_CLAIMS:
            v = claims.get(c)
            if isinstance(v, str) and v:
                claim_values.setdefault(c, v)
    server_claim = auth.username_claim if auth and auth.username_claim else None
    if server_claim is None:
        server_claim = next((c for c, v in claim_values.items() if v == base), None)
    for name in idx.subject_names("User"):
        if name == user or name in seen:
            continue
        other_prefix, other_base = split_prefix(name)
        if name == base or (other_base == base and other_prefix != prefix):
            seen.add(name)
            bindings = _pick(idx, idx.bindings_naming("User", name), req)
            if bindings:
                out.append(
                    _prefix_finding(idx, who, name, prefix, base, name[: len(name) - len(base)], bindings, auth, origin)
                )
            continue
        for c, v in claim_values.items():
            if c == server_claim or v == base:
                continue
            if name == v or (other_base == v and name.startswith(prefix)) or name == prefix + v:
                seen.add(name)
                bindings = _pick(idx, idx.bindings_naming("User", name), req)
                if bindings:
                    out.append(_claim_finding(idx, who, name, c, v, server_claim, bindings, auth, origin))
                break
    return out


def _prefix_finding(
    idx: RbacIndex,
    who: Who,
    bound: str,
    prefix: str,
    base: str,
    bound_prefix: str,
    bindings: list[dict[str, Any]],
    auth: AuthenticatorSummary | None,
    origin: Origin,
) -> Finding:
    b = bindings[0]
    i = _subject_index(b, "User", bound) or 0
    where = binding_label(b) + (f" (and {len(bindings) - 1} more)" if len(bindings) > 1 else "")
    server = f'username prefix "{prefix}"' if prefix else "no username prefix"
    if unquoted(prefix) == bound_prefix:
        server = f"its username prefix is {prefix}, quotes included"
        return Finding(
            "username-prefix-mismatch",
            f'{where} names user "{bound}"; the API server sees "{who.username}" ({server})',
            [who.evidence(), _rb_evidence(b, "User", bound)]
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
        [who.evidence(), *[_rb_evidence(x, "User", bound) for x in bindings[:_MAX_LISTED]]]
        + ([EvidenceRef("apiserver-config", auth.ref, f"username prefix {auth.username_prefix!r}")] if auth else []),
        fix=fix,
        origin=origin,
    )


def _claim_finding(
    idx: RbacIndex,
    who: Who,
    bound: str,
    claim: str,
    value: str,
    server_claim: str | None,
    bindings: list[dict[str, Any]],
    auth: AuthenticatorSummary | None,
    origin: Origin,
) -> Finding:
    b = bindings[0]
    i = _subject_index(b, "User", bound) or 0
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
            who.evidence(),
            EvidenceRef("token", f"claim {claim}", value),
            *[_rb_evidence(x, "User", bound) for x in bindings[:_MAX_LISTED]],
        ],
        fix=fix,
        origin=origin,
    )


def _norm_group(name: str, prefix: str | None) -> str:
    if prefix and name.startswith(prefix):
        name = name[len(prefix) :]
    else:
        name = split_prefix(name)[1]
    return name.strip("/").rsplit("/", 1)[-1].lower()


def _bound_keys(name: str, prefix: str | None) -> list[str]:
    """Keys a bound group name may match: with a known server prefix the bound name may also be
    the bare group itself — group names often hold a colon (Dex's GitHub ``org:team``)."""
    keys = [_norm_group(name, prefix)]
    if prefix and not name.startswith(prefix):
        whole = name.strip("/").rsplit("/", 1)[-1].lower()
        if whole not in keys:
            keys.append(whole)
    return keys


def _group_near_misses(
    idx: RbacIndex, who: Who, req: Request | None, auth: AuthenticatorSummary | None, origin: Origin
) -> list[Finding]:
    mine = [g for g in who.groups if not is_default_group(g)]
    if not mine:
        return []
    have = set(who.groups)
    gprefix = auth.groups_prefix if auth else None
    by_norm: dict[str, list[str]] = {}
    for g in mine:
        by_norm.setdefault(_norm_group(g, gprefix), []).append(g)
    out: list[Finding] = []
    bound_names = [n for n in idx.subject_names("Group") if n not in have and not n.startswith("system:")]
    for name in bound_names:
        matches = [g for key in _bound_keys(name, gprefix) for g in by_norm.get(key, ())]
        for g in dict.fromkeys(matches):
            bindings = _pick(idx, idx.bindings_naming("Group", name), req)
            if bindings:
                out.append(_group_finding(idx, who, name, g, bindings, auth, origin))
    if not out and all(_GUID.match(split_prefix(g, gprefix)[1]) for g in mine):
        named = [n for n in bound_names if not _GUID.match(split_prefix(n, gprefix)[1])]
        granting = [n for n in named if _pick(idx, idx.bindings_naming("Group", n), req)]
        if granting:
            out.append(_guid_finding(idx, who, mine, granting, req, origin))
    return out


def _group_kind(bound: str, group: str, prefix: str | None) -> str:
    b = bound[len(prefix) :] if prefix and bound.startswith(prefix) else split_prefix(bound)[1]
    g = group[len(prefix) :] if prefix and group.startswith(prefix) else split_prefix(group)[1]
    if prefix and bound == g:
        return "groups prefix differs"  # "acme:platform" bound, the server makes "dex:acme:platform"
    if b.startswith("/") != g.startswith("/") or b.count("/") != g.count("/"):
        return "Keycloak full group path vs plain name"
    if bound.lower() == group.lower():
        return "letter case differs"
    if b == g:
        return "groups prefix differs"
    return "spelling differs"


def _group_finding(
    idx: RbacIndex,
    who: Who,
    bound: str,
    group: str,
    bindings: list[dict[str, Any]],
    auth: AuthenticatorSummary | None,
    origin: Origin,
) -> Finding:
    b = bindings[0]
    i = _subject_index(b, "Group", bound) or 0
    kind = _group_kind(bound, group, auth.groups_prefix if auth else None)
    quoted = auth.groups_prefix if auth and unquoted(auth.groups_prefix) is not None else None
    if quoted is not None and group.startswith(quoted) and bound == (unquoted(quoted) or "") + group[len(quoted) :]:
        return Finding(
            "group-name-mismatch",
            f'{binding_label(b)} names group "{bound}"; the API server sees group "{group}" '
            f"(its groups prefix is {quoted}, quotes included)",
            [
                who.evidence(),
                EvidenceRef(who.evidence().source, "groups", group),
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
            p = bound[: len(bound) - len(base)]
        else:
            p = bound[: len(bound) - len(split_prefix(bound)[1])]
        if p:
            alt = f'`--oidc-groups-prefix={p}` (structured: `claimMappings.groups.prefix: "{p}"`)'
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
        [who.evidence(), EvidenceRef(who.evidence().source, "groups", group), _rb_evidence(b, "Group", bound)],
        fix=fix,
        origin=origin,
    )


def _guid_finding(
    idx: RbacIndex, who: Who, mine: list[str], named: list[str], req: Request | None, origin: Origin
) -> Finding:
    b = idx.bindings_naming("Group", named[0])[0]
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
        [who.evidence(), *[_rb_evidence(x, "Group", named[0]) for x in [b]]],
        fix=fix,
        origin=origin,
    )


def _groups_claim_missing(
    idx: RbacIndex,
    who: Who,
    req: Request | None,
    claims: dict[str, Any] | None,
    auth: AuthenticatorSummary | None,
    origin: Origin,
) -> list[Finding]:
    if claims is None:
        return []
    claim = auth.groups_claim if auth else "groups"
    if auth is not None and claim is None and auth.groups_expression:
        return []  # groups come from a CEL expression: the authn checks judge it
    value = claims.get(claim) if claim else None
    if value not in (None, "", []):
        return []
    gprefix = auth.groups_prefix if auth else ""
    candidates = [
        n
        for n in idx.subject_names("Group")
        if not n.startswith(NON_OIDC_GROUP_PREFIXES) and (not gprefix or n.startswith(gprefix))
    ]
    granting = [n for n in candidates if _pick(idx, idx.bindings_naming("Group", n), req)]
    if not granting:
        return []
    b = idx.bindings_naming("Group", granting[0])[0]
    overage = isinstance(claims.get("_claim_names"), dict) and "groups" in claims["_claim_names"]
    if claim is None:
        why = "the API server maps no groups claim (`--oidc-groups-claim` unset)"
        fix = (
            "Set `--oidc-groups-claim=groups` (structured: "
            '`claimMappings.groups: {claim: groups, prefix: ""}`) and make the token carry it'
        )
    elif (nested := nested_claim(claims, claim)) is not None:
        why = f"`{claim}` is a path into nested claims, which the API server never follows (found: {nested!r})"
        fix = "Reach the nested claim: " + nested_fix(claim)
    elif (path := nested_groups(claims)) is not None:
        why = f"the token carries no `{claim}` claim; its names are nested under `{path}`, which no claim name reaches"
        fix = "Reach the nested claim: " + nested_fix(path)
    else:
        why = f"the token carries no `{claim}` claim"
        if overage:
            why += " (Entra ID group overage: `_claim_names` points to Graph, which the API server cannot call)"
        fix = (
            f"Make the token carry `{claim}`: request the `groups` scope (Kubeapps/oauth2-proxy `--scope`), "
            "add a groups mapper in the identity provider, or point `--oidc-groups-claim` at the claim "
            "that holds them"
        )
    listed = ", ".join(f'"{n}"' for n in granting[:_MAX_LISTED])
    return [
        Finding(
            "groups-claim-missing",
            f"Bindings name groups ({listed}) but {why}: the user has no OIDC groups",
            [
                EvidenceRef("token", "claims", f"no {claim or 'groups'} claim"),
                _rb_evidence(b, "Group", granting[0]),
                *([EvidenceRef("apiserver-config", auth.ref, f"groups claim {auth.groups_claim!r}")] if auth else []),
            ],
            fix=fix,
            origin=origin,
        )
    ]


def _best_clusterrole(idx: RbacIndex, req: Request | None) -> str:
    """A ClusterRole of the evidence that allows the request, least privilege first, else ``view``.

    Roles with wildcard rules (``cluster-admin``: two rules, everything) come last: counting rules
    alone would pick them over ``view``/``edit``, which list every resource one by one.
    """
    if req is None:
        return "view"
    best: tuple[int, int, str] | None = None
    for name in idx.cluster_roles:
        if name.startswith("system:"):
            continue
        rules = idx.cluster_role_rules(name)
        if any(rule_allows(r, req) for r in rules):
            wild = sum(1 for r in rules if any("*" in (r.get(k) or []) for k in ("verbs", "resources", "apiGroups")))
            cand = (wild, len(rules), name)
            best = cand if best is None or cand < best else best
    return best[2] if best else ""


def _kubeapps_note(req: Request | None) -> str:
    if req and req.is_resource and req.verb == "list" and req.resource == "namespaces" and not req.namespace:
        return (
            " Kubeapps lists namespaces with a cluster-scope `list namespaces`: a RoleBinding cannot grant "
            "it, only a ClusterRole bound by a ClusterRoleBinding."
        )
    return ""


def _kind_swapped(idx: RbacIndex, who: Who, req: Request | None, origin: Origin) -> Finding | None:
    """A binding that names the user's very name as a Group (or one of its groups as a User): RBAC
    matches a subject by kind and name, so it never applies (Azure object IDs, service principals)."""
    for kind, name, other in (("Group", who.username, "user"), *(("User", g, "group") for g in who.groups)):
        bindings = _pick(idx, idx.bindings_naming(kind, name), req)
        if not bindings or is_default_group(name):
            continue
        b = bindings[0]
        i = _subject_index(b, kind, name) or 0
        right = "User" if kind == "Group" else "Group"
        patch = fixes.patch_subject_kind(b, i, right)
        return Finding(
            "rbac-no-binding",
            f'{binding_label(b)} names {kind} "{name}", but the API server sees a {other} of that name: a subject '
            f"matches by kind and name, so no binding applies to it",
            [who.evidence(), _rb_evidence(b, kind, name)],
            fix=f"Make the subject a {right}:\n  {patch}\n  or add a binding: "
            + fixes.same_grant_for(b, right, name),
            origin=origin,
        )
    return None


def _no_binding(idx: RbacIndex, who: Who, req: Request | None, origin: Origin) -> Finding:
    groups = [g for g in who.groups if not is_default_group(g)]
    gtext = f" or its groups {groups}" if groups else (" (its groups are not known)" if not who.groups_known else "")
    subject_kind, subject = "User", who.username
    lines = []
    role = _best_clusterrole(idx, req)
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
        [who.evidence(), EvidenceRef("rbac", "all bindings", f"{len(idx.bindings)} bindings searched")],
        fix="\n".join(lines),
        origin=origin,
    )


def _insufficient(idx: RbacIndex, who: Who, req: Request, d: Decision, origin: Origin) -> Finding:
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
    evidence = [who.evidence()]
    have = []
    for a in d.applied[:_MAX_LISTED] if d.applied else []:
        rk, rn = role_ref(a.binding)
        have.append(f"{binding_label(a.binding)} -> {rk} {rn}")
        evidence.append(EvidenceRef("rbac", binding_label(a.binding), f"{rk} {rn}"))
    elsewhere = [
        a
        for a in idx.applicable(who.username, who.groups)
        if a.kind == "RoleBinding" and a.namespace != req.namespace and _grants_anywhere(idx, a, req)
    ]
    notes = ""
    if elsewhere:
        ns = sorted({a.namespace for a in elsewhere})
        notes += f" RoleBindings grant it only in namespace(s) {', '.join(ns[:_MAX_LISTED])}."
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
        origin=origin,
    )


def _grants_anywhere(idx: RbacIndex, a: Applied, req: Request) -> bool:
    rules, _ = idx.role_rules(a.binding)
    probe = Request(req.verb, req.resource, req.api_group, req.subresource, req.name, a.namespace, req.path)
    return any(rule_allows(r, probe) for r in rules)
