"""Index of RBAC objects by subject, role resolution (aggregation included) and authorization.

Behaviour follows kubernetes/kubernetes ``pkg/registry/rbac/validation/rule.go``
(``VisitRulesFor``, ``appliesToUser``, ``GetRoleReferenceRules``):

- ClusterRoleBindings apply in every namespace and at cluster scope; RoleBindings apply only to
  requests in their own namespace, also when they reference a ClusterRole.
- A ``User`` subject matches the username exactly, a ``Group`` subject one of the groups; a
  ``ServiceAccount`` subject matches the username ``system:serviceaccount:NS:NAME``, its namespace
  defaulting to the RoleBinding's (a ClusterRoleBinding's SA subject without namespace never
  matches), as ``k8s.io/apiserver/pkg/authentication/serviceaccount.MatchesUsername``.
- A Role reference resolves in the binding's namespace; a missing role is an error, not a denial
  of other rules.

ClusterRoles with an ``aggregationRule`` get the rules of every ClusterRole whose labels match one
of its selectors, in role-name order without duplicates, in place of the stored ones, as the
aggregation controller writes them (``pkg/controller/clusterroleaggregation``); applied
recursively, this is the controller's steady state, so live dumps (already aggregated) and
hand-written bundles (often ``rules: []``) read the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oidc_doctor.rbac import is_record as is_record  # (re-exported: callers import it from here)
from oidc_doctor.rbac.rules import Request, Rule, rule_allows

if TYPE_CHECKING:
    from oidc_doctor.evidence import Evidence

RBAC_KINDS = frozenset(("ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"))
BINDING_KINDS = frozenset(("ClusterRoleBinding", "RoleBinding"))
SA_PREFIX = "system:serviceaccount:"


def service_account_of(username: str) -> tuple[str, str] | None:
    """``(namespace, name)`` for ``system:serviceaccount:NS:NAME``, else None."""
    if not username.startswith(SA_PREFIX):
        return None
    parts = username[len(SA_PREFIX) :].split(":")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def default_groups(username: str, groups: Iterable[str]) -> list[str]:
    """Groups as the API server presents them to RBAC.

    Service account users carry ``system:serviceaccounts`` and ``system:serviceaccounts:NS``
    (``k8s.io/apiserver/pkg/authentication/serviceaccount.MakeGroupNames``); every authenticated
    user carries ``system:authenticated`` (``authenticated_group_adder.go``), the anonymous user
    ``system:unauthenticated`` instead.
    """
    out = list(dict.fromkeys(groups))
    sa = service_account_of(username)
    if sa:
        for g in ("system:serviceaccounts", f"system:serviceaccounts:{sa[0]}"):
            if g not in out:
                out.append(g)
    if username == "system:anonymous":
        if "system:unauthenticated" not in out:
            out.append("system:unauthenticated")
    elif "system:authenticated" not in out and "system:unauthenticated" not in out:
        out.append("system:authenticated")
    return out


def impersonated_groups(username: str, groups: Iterable[str]) -> list[str]:
    """Groups of an impersonated identity (``kubectl --as USER --as-group GROUP``).

    As the API server's impersonation filter computes them (k8s.io/apiserver
    ``pkg/endpoints/filters/impersonation.go``): a service account impersonated *without* groups
    gets ``system:serviceaccounts`` and ``system:serviceaccounts:NS``; with groups, only those.
    ``system:authenticated`` (``system:unauthenticated`` for the anonymous user) is added as
    :func:`default_groups` does.
    """
    given = list(dict.fromkeys(groups))
    if given and service_account_of(username):
        out = list(given)
        if "system:authenticated" not in out and "system:unauthenticated" not in out:
            out.append("system:authenticated")
        return out
    return default_groups(username, given)


def plain(obj: object) -> dict[str, Any] | None:
    """An RBAC object as a dict: the dict itself, a typed record's ``to_dict()``, else None."""
    if isinstance(obj, dict):
        return obj
    if is_record(obj):
        out: dict[str, Any] = obj.to_dict()  # type: ignore[attr-defined]
        return out
    return None


def namespace_name(obj: dict[str, Any]) -> tuple[str, str]:
    """``(namespace, name)`` of an object ("" for what is missing or malformed); ``obj`` may be a
    typed record (:mod:`oidc_doctor.rbac.objects`), whose metadata is typed too."""
    m = obj.get("metadata")
    if not isinstance(m, dict):
        if m is not None and is_record(m):
            return m.namespace, m.name
        return "", ""
    return str(m.get("namespace") or ""), str(m.get("name") or "")


def binding_label(b: dict[str, Any]) -> str:
    """``RoleBinding dev/view`` or ``ClusterRoleBinding admins``."""
    ns, name = namespace_name(b)
    return f"{b.get('kind')} {ns}/{name}" if ns else f"{b.get('kind')} {name}"


def role_ref(b: dict[str, Any]) -> tuple[str, str]:
    """``(kind, name)`` of a binding's roleRef."""
    ref = b.get("roleRef") or {}
    return str(ref.get("kind") or ""), str(ref.get("name") or "")


@dataclass
class Applied:
    """A binding that applies to an identity, with the subjects that make it apply."""

    binding: dict[str, Any]
    subjects: list[dict[str, Any]]
    source: str = ""

    @property
    def kind(self) -> str:
        """ClusterRoleBinding or RoleBinding."""
        return str(self.binding.get("kind"))

    @property
    def namespace(self) -> str:
        """The binding's namespace ("" for a ClusterRoleBinding)."""
        return namespace_name(self.binding)[0]

    @property
    def name(self) -> str:
        """The binding's name."""
        return namespace_name(self.binding)[1]

    def to_json(self) -> dict[str, Any]:
        """The ``rbac who --format json`` shape of one binding."""
        kind, name = role_ref(self.binding)
        return {
            "kind": self.kind,
            "namespace": self.namespace or None,
            "name": self.name,
            "role": {"kind": kind, "name": name},
            "subjects": [{k: s[k] for k in ("kind", "name", "namespace") if s.get(k)} for s in self.subjects],
        }


@dataclass
class Decision:
    """The outcome of :meth:`RbacIndex.authorize`: allowed or not, and why."""

    allowed: bool
    request: Request
    binding: Applied | None = None  # the binding that allowed it
    rule: Rule | None = None  # the rule that allowed it
    applied: list[Applied] = field(default_factory=list)  # bindings that apply in this scope
    errors: list[str] = field(default_factory=list)  # roles that could not be resolved


class RbacIndex:
    """Roles and bindings, indexed by subject. Build with :meth:`add` or :meth:`from_objects`."""

    def __init__(self) -> None:
        self.cluster_roles: dict[str, dict[str, Any]] = {}
        self.roles: dict[tuple[str, str], dict[str, Any]] = {}
        self.bindings: list[dict[str, Any]] = []
        #: where each binding came from: a ref, or the evidence item (its ref is made when asked)
        self.sources: list[Any] = []
        #: ("User", name) / ("Group", name) / ("ServiceAccount", ns, name) -> binding positions
        self.by_subject: dict[tuple[str, ...], list[int]] = {}
        self._aggregated: dict[str, list[Rule]] = {}

    @classmethod
    def from_evidence(cls, ev: Evidence) -> RbacIndex:
        """An index of the evidence's RBAC items (the bundle reader classified them already)."""
        from oidc_doctor.evidence import Kind

        idx = cls()
        add = idx.add
        for item in ev.items:
            if item.kind is Kind.RBAC and (type(item.data) is dict or is_record(item.data)):
                add(item.data, item)
        return idx

    @classmethod
    def from_objects(cls, objects: Iterable[Any], source: str = "") -> RbacIndex:
        """An index of every RBAC object in ``objects`` (others are ignored)."""
        idx = cls()
        idx.add_all(objects, source)
        return idx

    def add_all(self, objects: Iterable[Any], source: str = "") -> int:
        """Add every RBAC object of ``objects``; returns how many were RBAC objects."""
        n = 0
        kinds = RBAC_KINDS
        add = self.add
        for obj in objects:
            if is_record(obj) or (
                type(obj) is dict
                and type(obj.get("kind")) is str
                and obj["kind"] in kinds
                and type(obj.get("metadata")) is dict
            ):
                add(obj, source)
                n += 1
        return n

    def add(self, obj: dict[str, Any], source: Any = "") -> None:
        """Add one RBAC object, a dict or a typed record (the hot path of loading: 55,000
        bindings, keep it lean)."""
        if type(obj) is not dict:
            self._add_record(obj, source)
            return
        kind = obj.get("kind")
        if kind == "ClusterRoleBinding" or kind == "RoleBinding":
            pos = len(self.bindings)
            self.bindings.append(obj)
            self.sources.append(source)
            subjects = obj.get("subjects")
            if not subjects or type(subjects) is not list:
                return
            index = self.by_subject
            for s in subjects:
                try:
                    skind, name = s["kind"], s["name"]
                except (KeyError, TypeError):
                    continue
                if type(name) is not str:
                    continue  # a malformed subject names nobody
                key: tuple[str, ...]
                if skind == "User" or skind == "Group":
                    key = (skind, name)
                elif skind == "ServiceAccount":
                    sa_ns = s.get("namespace") or namespace_name(obj)[0]
                    if not sa_ns or type(sa_ns) is not str:
                        continue  # upstream: a cluster binding's SA subject needs a namespace
                    key = ("ServiceAccount", sa_ns, name)
                else:
                    continue
                lst = index.get(key)
                if lst is None:
                    index[key] = [pos]
                elif lst[-1] != pos:  # a subject listed twice in one binding counts once
                    lst.append(pos)
            return
        ns, name = namespace_name(obj)
        if kind == "ClusterRole":
            self.cluster_roles[name] = obj
            self._aggregated.clear()
        elif kind == "Role":
            self.roles[(ns, name)] = obj

    def _add_record(self, obj: Any, source: Any) -> None:
        """:meth:`add` for a typed record: the same index, read through attributes."""
        meta = obj.metadata
        ns, name = (meta.namespace, meta.name) if meta is not None else ("", "")
        kind = type(obj).__name__  # the record classes are named after their kinds
        if kind != "RoleBinding" and kind != "ClusterRoleBinding":
            if kind == "ClusterRole":
                self.cluster_roles[name] = obj
                self._aggregated.clear()
            else:
                self.roles[(ns, name)] = obj
            return
        pos = len(self.bindings)
        self.bindings.append(obj)
        self.sources.append(source)
        subjects = obj.subjects
        if not subjects:
            return
        index = self.by_subject
        for s in subjects:
            skind, sname = s.kind, s.name
            if sname is None:
                continue  # a subject without a name names nobody
            key: tuple[str, ...]
            if skind == "User" or skind == "Group":
                key = (skind, sname)
            elif skind == "ServiceAccount":
                sa_ns = s.namespace or ns
                if not sa_ns:
                    continue  # upstream: a cluster binding's SA subject needs a namespace
                key = ("ServiceAccount", sa_ns, sname)
            else:
                continue
            lst = index.get(key)
            if lst is None:
                index[key] = [pos]
            elif lst[-1] != pos:  # a subject listed twice in one binding counts once
                lst.append(pos)

    # -- queries -------------------------------------------------------------------------------

    def _subject_applies(self, s: Any, username: str, groups: set[str], binding_ns: str) -> bool:
        if not isinstance(s, dict) and not is_record(s):
            return False
        kind = s.get("kind")
        if kind == "User":
            return bool(s.get("name") == username)
        if kind == "Group":
            return s.get("name") in groups
        if kind == "ServiceAccount":
            sa_ns = s.get("namespace") or binding_ns
            return bool(sa_ns) and username == f"{SA_PREFIX}{sa_ns}:{s.get('name')}"
        return False

    def applicable(self, username: str, groups: Iterable[str]) -> list[Applied]:
        """Every binding that applies to the identity, once each, in input order.

        ``groups`` are used as given: pass them through :func:`default_groups` to add
        ``system:authenticated`` the way the API server does.
        """
        gset = set(groups)
        keys: list[tuple[str, ...]] = [("User", username), *(("Group", g) for g in gset)]
        sa = service_account_of(username)
        if sa:
            keys.append(("ServiceAccount", sa[0], sa[1]))
        positions: set[int] = set()
        for key in keys:
            positions.update(self.by_subject.get(key, ()))
        out = []
        for pos in sorted(positions):
            b = self.bindings[pos]
            ns = namespace_name(b)[0]
            subjects = [s for s in b.get("subjects") or () if self._subject_applies(s, username, gset, ns)]
            source = self.sources[pos]
            out.append(Applied(b, subjects, source if isinstance(source, str) else source.ref))
        return out

    def role_rules(self, b: dict[str, Any]) -> tuple[list[Rule], str | None]:
        """The rules a binding grants, and an error when its role cannot be found."""
        kind, name = role_ref(b)
        ns = namespace_name(b)[0]
        if kind == "ClusterRole":
            if name not in self.cluster_roles:
                if name in BOOTSTRAP_CLUSTER_ROLES:
                    return list(BOOTSTRAP_CLUSTER_ROLES[name]), None  # every cluster has it: users rarely send it
                return [], f'clusterrole.rbac.authorization.k8s.io "{name}" not found'
            return self.cluster_role_rules(name), None
        if kind == "Role":
            role = self.roles.get((ns, name))
            if role is None or b.get("kind") != "RoleBinding":
                return [], f'role.rbac.authorization.k8s.io "{name}" not found'
            return _rules(role), None
        return [], f'unsupported role reference kind: "{kind}"'

    def cluster_role_rules(self, name: str) -> list[Rule]:
        """A ClusterRole's rules, with aggregation applied (cached)."""
        cached = self._aggregated.get(name)
        if cached is None:
            cached = self._aggregate(name, set())
            self._aggregated[name] = cached
        return cached

    def _aggregate(self, name: str, visiting: set[str]) -> list[Rule]:
        role = self.cluster_roles.get(name)
        if role is None or name in visiting:
            return []
        visiting = visiting | {name}
        agg = role.get("aggregationRule")
        selectors = agg.get("clusterRoleSelectors") if isinstance(agg, dict) else None
        if not isinstance(selectors, list):
            return list(_rules(role))
        # The controller replaces the stored rules by the selected roles' rules, by role name,
        # without duplicates (syncClusterRole): stale stored rules do not count.
        rules: list[Rule] = []
        for other_name in sorted(self.cluster_roles):
            if other_name == name:
                continue
            meta = self.cluster_roles[other_name].get("metadata")
            labels = meta.get("labels") if meta is not None and (isinstance(meta, dict) or is_record(meta)) else None
            if not isinstance(labels, dict):
                labels = {}
            if any(isinstance(sel, dict) and selector_matches(sel, labels) for sel in selectors):
                for r in self._aggregate(other_name, visiting):
                    if r not in rules:
                        rules.append(r)
        return rules

    def authorize(self, username: str, groups: Iterable[str], req: Request) -> Decision:
        """Decide ``req`` for the identity as kube-apiserver's RBAC authorizer does."""
        gl = list(groups)
        decision = Decision(False, req)
        for a in self.applicable(username, gl):
            if a.kind == "RoleBinding" and (not req.namespace or a.namespace != req.namespace):
                continue  # a RoleBinding grants only inside its namespace
            decision.applied.append(a)
            rules, err = self.role_rules(a.binding)
            if err:
                decision.errors.append(f"{binding_label(a.binding)}: {err}")
            for r in rules:
                if rule_allows(r, req):
                    decision.allowed, decision.binding, decision.rule = True, a, r
                    return decision
        return decision

    def subject_names(self, kind: str) -> list[str]:
        """Every distinct User or Group name bound anywhere."""
        return [k[1] for k in self.by_subject if k[0] == kind]

    def bindings_naming(self, kind: str, name: str) -> list[dict[str, Any]]:
        """The bindings with a subject of that kind and name."""
        return [self.bindings[p] for p in self.by_subject.get((kind, name), ())]

    def __len__(self) -> int:
        return len(self.bindings) + len(self.roles) + len(self.cluster_roles)


#: ClusterRoles whose rules every cluster has, used when a bundle names one without sending it. Only
#: those whose rules are fixed: ``cluster-admin`` (kubernetes plugin/pkg/auth/authorizer/rbac/
#: bootstrappolicy/policy.go: every verb on every resource of every group, and every non-resource URL).
#: ``admin``/``edit``/``view`` are aggregated and change with installed CRDs: they stay unknown.
BOOTSTRAP_CLUSTER_ROLES: dict[str, tuple[Rule, ...]] = {
    "cluster-admin": (
        {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
        {"verbs": ["*"], "nonResourceURLs": ["*"]},
    ),
}


def _rules(role: dict[str, Any]) -> list[Rule]:
    rules = role.get("rules")
    return [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []


def selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A metav1.LabelSelector (matchLabels and matchExpressions In/NotIn/Exists/DoesNotExist).

    An empty selector matches everything (``LabelSelectorAsSelector``), as upstream.
    """
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return False  # malformed: the API server would have rejected it; select nothing
    for k, v in match_labels.items():
        if labels.get(k) != v:
            return False
    for e in expressions:
        if not isinstance(e, dict):
            return False
        key, op, values = str(e.get("key")), e.get("operator"), e.get("values") or []
        if not isinstance(values, list):
            return False
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
