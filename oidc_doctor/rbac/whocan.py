"""Reverse RBAC questions: who may do a request, and which subjects' names contain a word.

- :func:`who_can` answers kubectl-who-can's question (aquasecurity/kubectl-who-can
  ``pkg/cmd/list.go``): every subject of every binding whose role has a rule allowing the request,
  with that binding, role and rule. Scope follows the RBAC authorizer
  (kubernetes ``pkg/registry/rbac/validation/rule.go`` ``VisitRulesFor``): ClusterRoleBindings
  grant everywhere; a RoleBinding grants only requests in its own namespace, so it never grants a
  cluster-scope request nor a non-resource URL. With ``all_namespaces`` (kubectl-who-can's
  ``--all-namespaces``) every RoleBinding is asked about the request in its own namespace.
- :func:`subjects_matching` answers rbac-lookup's question (FairwindsOps/rbac-lookup
  ``lookup/lister.go``): the subjects whose name contains a word, with the role each binding gives
  them and where. rbac-lookup compares case-sensitively (``strings.Contains``); this compares
  case-insensitively, so ``alice`` finds ``oidc:Alice@example.com`` — the case slip is one of the
  mistakes this tool looks for.

Both reuse :class:`~oidc_doctor.rbac.index.RbacIndex` (role resolution with aggregation) and
:func:`~oidc_doctor.rbac.rules.rule_allows`; neither decides anything the index does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from oidc_doctor.rbac.index import RbacIndex, binding_label, namespace_name, role_ref
from oidc_doctor.rbac.rules import Request, Rule, describe_rule, rule_allows

#: kube-apiserver authorizes this group before RBAC (``pkg/kubeapiserver/authorizer/config.go``:
#: ``authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)``): its members may do
#: anything, whatever the bindings say.
PRIVILEGED_GROUP = "system:masters"

SUBJECT_KINDS = ("User", "Group", "ServiceAccount")


def _subject(s: Any, binding_ns: str) -> dict[str, str] | None:
    """A subject as ``{"kind", "name"[, "namespace"]}``, or None when it names nobody.

    A ServiceAccount's namespace defaults to the RoleBinding's; in a ClusterRoleBinding it must be
    given (upstream ``appliesToUser``).
    """
    if not isinstance(s, dict):
        return None
    kind, name = s.get("kind"), s.get("name")
    if kind not in SUBJECT_KINDS or not isinstance(name, str) or not name:
        return None
    if kind != "ServiceAccount":
        return {"kind": kind, "name": name}
    ns = s.get("namespace") or binding_ns
    if not isinstance(ns, str) or not ns:
        return None
    return {"kind": kind, "name": name, "namespace": ns}


def subject_label(s: dict[str, str]) -> str:
    """``User alice``, ``Group dev``, ``ServiceAccount ns/name``."""
    ns = s.get("namespace")
    return f"{s['kind']} {ns}/{s['name']}" if ns else f"{s['kind']} {s['name']}"


def _binding_json(b: dict[str, Any]) -> dict[str, Any]:
    ns, name = namespace_name(b)
    kind, role = role_ref(b)
    return {"kind": b.get("kind"), "namespace": ns or None, "name": name, "role": {"kind": kind, "name": role}}


@dataclass(frozen=True)
class Grant:
    """One subject allowed by one binding's rule."""

    subject: dict[str, str]
    binding: dict[str, Any]
    rule: Rule
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        """``{"subject", "binding": {kind, namespace, name, role}, "rule", "rule_text"}``."""
        return {
            "subject": self.subject,
            "binding": _binding_json(self.binding),
            "rule": self.rule,
            "rule_text": describe_rule(self.rule),
        }


@dataclass
class WhoCan:
    """The answer of :func:`who_can`: the grants, and the roles that could not be resolved."""

    request: Request
    grants: list[Grant] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def subjects(self) -> list[dict[str, str]]:
        """Every distinct subject allowed, in the order found."""
        seen: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        for g in self.grants:
            seen.setdefault(tuple(sorted(g.subject.items())), g.subject)
        return list(seen.values())


def who_can(idx: RbacIndex, req: Request, *, all_namespaces: bool = False) -> WhoCan:
    """Every subject the bindings of ``idx`` allow to make ``req``, with the binding and rule."""
    out = WhoCan(req)
    for pos, b in enumerate(idx.bindings):
        kind = b.get("kind")
        ns = namespace_name(b)[0]
        asked = req
        if kind == "RoleBinding":
            if not req.is_resource:
                continue  # non-resource URLs are cluster-scope requests
            if all_namespaces:
                asked = replace(req, namespace=ns)
            elif not req.namespace or req.namespace != ns:
                continue
        elif kind != "ClusterRoleBinding":
            continue
        rules, err = idx.role_rules(b)
        if err:
            out.errors.append(f"{binding_label(b)}: {err}")
            continue
        rule = next((r for r in rules if rule_allows(r, asked)), None)
        if rule is None:
            continue
        for s in b.get("subjects") or ():
            subject = _subject(s, ns)
            if subject is not None:
                out.grants.append(Grant(subject, b, rule, idx.sources[pos]))
    return out


@dataclass(frozen=True)
class SubjectBindings:
    """A subject whose name matched, and every binding naming it."""

    subject: dict[str, str]
    bindings: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        """``{"subject", "bindings": [{kind, namespace, name, role, scope}]}``."""
        rows = []
        for b in self.bindings:
            row = _binding_json(b)
            row["scope"] = row["namespace"] or "cluster-wide"
            rows.append(row)
        return {"subject": self.subject, "bindings": rows}


def subjects_matching(idx: RbacIndex, word: str, kind: str | None = None) -> list[SubjectBindings]:
    """Subjects whose name contains ``word`` (case-insensitive), optionally of one kind, by kind and name."""
    needle = word.casefold()
    found = []
    for key, positions in idx.by_subject.items():
        skind, name = key[0], key[-1]
        if kind is not None and skind != kind:
            continue
        if needle not in name.casefold():
            continue
        subject = {"kind": skind, "name": name}
        if skind == "ServiceAccount":
            subject["namespace"] = key[1]
        found.append(SubjectBindings(subject, tuple(idx.bindings[p] for p in positions)))
    order = {k: i for i, k in enumerate(SUBJECT_KINDS)}
    found.sort(key=lambda sb: (order[sb.subject["kind"]], sb.subject.get("namespace", ""), sb.subject["name"]))
    return found
