"""Why RBAC denies an identity: near misses between the name the API server uses and the names
bindings carry, missing groups, no binding, or bindings that do not grant the failing request.

:func:`analyze` returns verdicts: typed records that name both sides (the binding and the name it
carries; the name the API server uses) and what a fix needs. ``oidc_doctor.checks.rbac`` turns them
into findings with a fix ready to paste. Which cause explains which is the cause catalogue's
knowledge (``oidc_doctor/causes.py``), not this module's.

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

from oidc_doctor.authn.nested import nested_claim, nested_groups
from oidc_doctor.model import AuthenticatorSummary
from oidc_doctor.rbac.index import Applied, Decision, RbacIndex, is_record, namespace_name
from oidc_doctor.rbac.rules import Request, rule_allows

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


# --- verdicts: what analyze finds, one record per miss (``oidc_doctor.checks.rbac`` words them) --------


@dataclass(frozen=True, slots=True)
class Anonymous:
    """A 403 for ``system:anonymous``: no token reached the API server (``proxy-token-not-forwarded``)."""

    who: Who
    request: Request | None


@dataclass(frozen=True, slots=True)
class PrefixMismatch:
    """Bindings name the user with another prefix than the API server's (``username-prefix-mismatch``).

    ``prefix``/``base``: the API server's name split; ``bound_prefix``: the prefix the bound name
    ``bound`` carries instead (``quoted``: the server's prefix is ``bound_prefix`` in quotes a YAML
    list passed along).
    """

    who: Who
    bound: str
    prefix: str
    base: str
    bound_prefix: str
    bindings: tuple[dict[str, Any], ...]
    auth: AuthenticatorSummary | None

    @property
    def quoted(self) -> bool:
        """The API server's prefix is the bound one with the quotes of a YAML list item."""
        return unquoted(self.prefix) == self.bound_prefix


@dataclass(frozen=True, slots=True)
class IssuerHashName:
    """A binding names the user in the ``<issuer>#<claim value>`` form kube-apiserver gives usernames
    when ``--oidc-username-prefix`` is unset and the claim is not ``email`` (the binding ``kubectl
    oidc-login setup`` proposes), while this API server's prefix never makes such a name
    (``username-prefix-mismatch``). ``issuer_near`` is set when the bound issuer is not the API
    server's but nearly is (a typo the binding carries)."""

    who: Who
    bound: str
    bound_issuer: str
    issuer_near: bool
    bindings: tuple[dict[str, Any], ...]
    auth: AuthenticatorSummary


@dataclass(frozen=True, slots=True)
class ClaimMismatch:
    """Bindings name the value of another claim than the one the username comes from
    (``username-claim-mismatch``)."""

    who: Who
    bound: str
    claim: str
    value: str
    server_claim: str | None
    bindings: tuple[dict[str, Any], ...]
    auth: AuthenticatorSummary | None


@dataclass(frozen=True, slots=True)
class GroupMismatch:
    """A binding names a group nearly as the API server spells one of the user's (``group-name-mismatch``).

    ``kind`` says how they differ (prefix, Keycloak path, case, spelling); ``quoted_prefix`` is the
    server's groups prefix when it holds the quotes of a YAML list item and that is the whole difference.
    """

    who: Who
    bound: str
    group: str
    bindings: tuple[dict[str, Any], ...]
    auth: AuthenticatorSummary | None
    kind: str
    quoted_prefix: str | None


@dataclass(frozen=True, slots=True)
class GroupIdsNotNames:
    """The token's groups are object IDs; bindings name groups by name (``group-name-mismatch``)."""

    who: Who
    mine: tuple[str, ...]  # the user's own groups (object IDs)
    named: tuple[str, ...]  # bound group names that would grant the request
    binding: dict[str, Any]  # the first binding naming ``named[0]``


@dataclass(frozen=True, slots=True)
class GroupsClaimMissing:
    """Bindings name groups, but the token brings none (``groups-claim-missing``).

    ``claim``: the API server's groups claim (None: it maps none); ``nested``: what a dotted
    ``claim`` reaches in nested claims; ``nested_path``: where group names sit nested instead;
    ``overage``: Entra ID's ``_claim_names`` points the groups elsewhere.
    """

    who: Who
    claim: str | None
    granting: tuple[str, ...]  # bound group names that would grant the request
    binding: dict[str, Any]  # the first binding naming ``granting[0]``
    auth: AuthenticatorSummary | None
    nested: object = None
    nested_path: str | None = None
    overage: bool = False


@dataclass(frozen=True, slots=True)
class KindSwapped:
    """A binding names the user as a Group (or a group as a User): it never applies (``rbac-no-binding``)."""

    who: Who
    binding: dict[str, Any]
    index: int  # the subject's index in the binding
    kind: str  # the kind the binding gives the subject
    name: str
    other: str  # "user" or "group": what the API server sees under that name
    right: str  # the kind the subject must have


@dataclass(frozen=True, slots=True)
class NoBinding:
    """No binding beyond the defaults names the user or its groups (``rbac-no-binding``).

    ``role``: the least-privileged ClusterRole of the evidence that allows the request ("" when none
    does, ``view`` without a request); ``searched``: how many bindings were searched.
    """

    who: Who
    request: Request | None
    role: str
    searched: int


@dataclass(frozen=True, slots=True)
class Insufficient:
    """The bindings that apply do not allow the failing request (``rbac-insufficient-permissions``).

    ``elsewhere``: namespaces where the user's RoleBindings would allow it.
    """

    who: Who
    request: Request
    decision: Decision
    elsewhere: tuple[str, ...]


#: What :func:`analyze` may find under each heading.
SubjectMiss = PrefixMismatch | IssuerHashName | ClaimMismatch | GroupMismatch | GroupIdsNotNames | GroupsClaimMissing
BindingMiss = KindSwapped | NoBinding


@dataclass
class Analysis:
    """What :func:`analyze` found, grouped by the check that reports it."""

    applied: list[Applied] = field(default_factory=list)
    meaningful: list[Applied] = field(default_factory=list)
    decision: Decision | None = None
    #: Why no verdict on "no binding"/"insufficient" could be given (groups unknown), if so.
    uncertain: str = ""
    anonymous: list[Anonymous] = field(default_factory=list)
    subjects: list[SubjectMiss] = field(default_factory=list)
    binding: list[BindingMiss] = field(default_factory=list)
    permissions: list[Insufficient] = field(default_factory=list)


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


def subject_index(binding: dict[str, Any], kind: str, name: str) -> int | None:
    """Where in ``binding``'s subjects the subject ``kind``/``name`` is (None when absent)."""
    for i, s in enumerate(binding.get("subjects") or ()):
        if (isinstance(s, dict) or is_record(s)) and s.get("kind") == kind and s.get("name") == name:
            return i
    return None


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
        out.anonymous.append(Anonymous(who, request))
        return out
    out.applied = idx.applicable(who.username, who.groups)
    out.meaningful = [a for a in out.applied if any(not _is_default_subject(s) for s in a.subjects)]
    if request is not None:
        out.decision = idx.authorize(who.username, who.groups, request)
        if out.decision.allowed:
            return out  # nothing RBAC-side explains a failure of this request
    out.subjects += _username_near_misses(idx, who, request, claims, auth)
    out.subjects += _group_near_misses(idx, who, request, auth)
    if not out.meaningful or request is not None:
        # A user bound in its own right, with no failing request known, misses nothing: the groups
        # bound elsewhere are other people's (kubeadm's default `kubeadm:cluster-admins`, say).
        out.subjects += _groups_claim_missing(idx, who, request, claims, auth)
    group_bound = [n for n in idx.subject_names("Group") if not n.startswith("system:")]
    swapped = _kind_swapped(idx, who, request)
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
        out.binding.append(NoBinding(who, request, _best_clusterrole(idx, request), len(idx.bindings)))
    elif request is not None and out.decision is not None:
        out.permissions.append(_insufficient(idx, who, request, out.decision))
    return out


def _is_default_subject(s: dict[str, Any]) -> bool:
    return s.get("kind") == "Group" and is_default_group(str(s.get("name")))


def unquoted(prefix: str) -> str | None:
    """The prefix without the quotes a manifest passed along, when it has them (else None).

    In YAML, ``- --oidc-groups-prefix="oidc:"`` is a plain scalar: the quotes reach kube-apiserver
    and become part of every name (``"oidc:"dev``). Shells remove them; YAML list items do not.
    """
    if len(prefix) >= 2 and prefix[0] == prefix[-1] and prefix[0] in "\"'":
        return prefix[1:-1]
    return None


def _username_near_misses(
    idx: RbacIndex,
    who: Who,
    req: Request | None,
    claims: dict[str, Any] | None,
    auth: AuthenticatorSummary | None,
) -> list[SubjectMiss]:
    user = who.username
    if idx.by_subject.get(("User", user)):
        bound = [b for b in idx.bindings_naming("User", user) if _grants(idx, b, req)]
        if bound:
            return []  # the user is bound by its exact name where it matters
    prefix, base = split_prefix(user, auth.username_prefix if auth else None)
    out: list[SubjectMiss] = []
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
                bound_prefix = name[: len(name) - len(base)]
                out.append(PrefixMismatch(who, name, prefix, base, bound_prefix, tuple(bindings), auth))
            continue
        for c, v in claim_values.items():
            if c == server_claim or v == base:
                continue
            if name == v or (other_base == v and name.startswith(prefix)) or name == prefix + v:
                seen.add(name)
                bindings = _pick(idx, idx.bindings_naming("User", name), req)
                if bindings:
                    out.append(ClaimMismatch(who, name, c, v, server_claim, tuple(bindings), auth))
                break
    if not out and auth is not None and not auth.username_prefix.endswith("#"):
        out += _issuer_hash_names(idx, who, req, auth)
    return out


def _issuer_hash_names(idx: RbacIndex, who: Who, req: Request | None, auth: AuthenticatorSummary) -> list[SubjectMiss]:
    """Bound users named ``<issuer>#<value>`` for this API server's issuer (or a near miss of it),
    which a server whose username prefix is not ``<issuer>#`` never produces."""
    out: list[SubjectMiss] = []
    issuer = auth.issuer.rstrip("/")
    for name in idx.subject_names("User"):
        if "#" not in name or not name.startswith(("https://", "http://")):
            continue
        url = name[: name.rindex("#")]
        near = url.rstrip("/") != issuer
        if near and not _nearly(url.rstrip("/"), issuer):
            continue  # another issuer's user: not about this API server
        bindings = _pick(idx, idx.bindings_naming("User", name), req)
        if bindings:
            out.append(IssuerHashName(who, name, url, near, tuple(bindings), auth))
    return out


def _nearly(a: str, b: str) -> bool:
    """Two URLs a few characters apart (a repeated ``.com``, a dropped letter): a typo, not another host."""
    import difflib

    return abs(len(a) - len(b)) <= 8 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.9


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
    idx: RbacIndex, who: Who, req: Request | None, auth: AuthenticatorSummary | None
) -> list[SubjectMiss]:
    mine = [g for g in who.groups if not is_default_group(g)]
    if not mine:
        return []
    have = set(who.groups)
    gprefix = auth.groups_prefix if auth else None
    by_norm: dict[str, list[str]] = {}
    for g in mine:
        by_norm.setdefault(_norm_group(g, gprefix), []).append(g)
    out: list[SubjectMiss] = []
    bound_names = [n for n in idx.subject_names("Group") if n not in have and not n.startswith("system:")]
    for name in bound_names:
        matches = [g for key in _bound_keys(name, gprefix) for g in by_norm.get(key, ())]
        for g in dict.fromkeys(matches):
            bindings = _pick(idx, idx.bindings_naming("Group", name), req)
            if bindings:
                out.append(_group_mismatch(who, name, g, bindings, auth))
    if not out and all(_GUID.match(split_prefix(g, gprefix)[1]) for g in mine):
        named = [n for n in bound_names if not _GUID.match(split_prefix(n, gprefix)[1])]
        granting = [n for n in named if _pick(idx, idx.bindings_naming("Group", n), req)]
        if granting:
            b = idx.bindings_naming("Group", granting[0])[0]
            out.append(GroupIdsNotNames(who, tuple(mine), tuple(granting), b))
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


def _group_mismatch(
    who: Who,
    bound: str,
    group: str,
    bindings: list[dict[str, Any]],
    auth: AuthenticatorSummary | None,
) -> GroupMismatch:
    kind = _group_kind(bound, group, auth.groups_prefix if auth else None)
    quoted = auth.groups_prefix if auth and unquoted(auth.groups_prefix) is not None else None
    if quoted is not None and group.startswith(quoted) and bound == (unquoted(quoted) or "") + group[len(quoted) :]:
        return GroupMismatch(who, bound, group, tuple(bindings), auth, kind, quoted)
    return GroupMismatch(who, bound, group, tuple(bindings), auth, kind, None)


def _groups_claim_missing(
    idx: RbacIndex,
    who: Who,
    req: Request | None,
    claims: dict[str, Any] | None,
    auth: AuthenticatorSummary | None,
) -> list[SubjectMiss]:
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
    nested = nested_claim(claims, claim) if claim is not None else None
    path = nested_groups(claims) if claim is not None and nested is None else None
    return [GroupsClaimMissing(who, claim, tuple(granting), b, auth, nested, path, overage)]


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


def _kind_swapped(idx: RbacIndex, who: Who, req: Request | None) -> KindSwapped | None:
    """A binding that names the user's very name as a Group (or one of its groups as a User): RBAC
    matches a subject by kind and name, so it never applies (Azure object IDs, service principals)."""
    for kind, name, other in (("Group", who.username, "user"), *(("User", g, "group") for g in who.groups)):
        bindings = _pick(idx, idx.bindings_naming(kind, name), req)
        if not bindings or is_default_group(name):
            continue
        b = bindings[0]
        i = subject_index(b, kind, name) or 0
        right = "User" if kind == "Group" else "Group"
        return KindSwapped(who, b, i, kind, name, other, right)
    return None


def _insufficient(idx: RbacIndex, who: Who, req: Request, d: Decision) -> Insufficient:
    elsewhere = [
        a
        for a in idx.applicable(who.username, who.groups)
        if a.kind == "RoleBinding" and a.namespace != req.namespace and _grants_anywhere(idx, a, req)
    ]
    return Insufficient(who, req, d, tuple(sorted({a.namespace for a in elsewhere})))


def _grants_anywhere(idx: RbacIndex, a: Applied, req: Request) -> bool:
    rules, _ = idx.role_rules(a.binding)
    probe = Request(req.verb, req.resource, req.api_group, req.subresource, req.name, a.namespace, req.path)
    return any(rule_allows(r, probe) for r in rules)
