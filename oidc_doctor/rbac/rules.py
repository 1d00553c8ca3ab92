"""Rule matching, ported from upstream Kubernetes.

Semantics follow kubernetes/kubernetes ``pkg/apis/rbac/v1/evaluation_helpers.go`` (VerbMatches,
APIGroupMatches, ResourceMatches with ``*/subresource``, ResourceNameMatches,
NonResourceURLMatches with a trailing ``*``) and ``plugin/pkg/auth/authorizer/rbac/rbac.go``
(RuleAllows: resource requests match verb, group, ``resource[/subresource]`` and name;
non-resource requests match verb and path). Rules are plain dicts (``verbs``, ``apiGroups``,
``resources``, ``resourceNames``, ``nonResourceURLs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Rule = dict[str, Any]


@dataclass(frozen=True)
class Request:
    """What is asked: a resource request (``resource`` set) or a non-resource one (``path`` set).

    ``namespace`` empty means cluster scope. ``name`` is the object name (resourceNames).
    """

    verb: str
    resource: str = ""
    api_group: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""
    path: str = ""

    @property
    def is_resource(self) -> bool:
        """A resource request (as opposed to a non-resource URL such as ``/healthz``)."""
        return not self.path

    def describe(self) -> str:
        """Human form: ``list pods (API group "") in namespace "default"``."""
        if not self.is_resource:
            return f'{self.verb} path "{self.path}"'
        res = self.resource + (f"/{self.subresource}" if self.subresource else "")
        named = f' named "{self.name}"' if self.name else ""
        scope = f' in namespace "{self.namespace}"' if self.namespace else " at the cluster scope"
        return f'{self.verb} {res} (API group "{self.api_group}"){named}{scope}'


def _strs(rule: Rule, key: str) -> list[str]:
    v = rule.get(key)
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def verb_matches(rule: Rule, verb: str) -> bool:
    """``*`` or the exact verb (case-sensitive, as upstream)."""
    verbs = _strs(rule, "verbs")
    return "*" in verbs or verb in verbs


def api_group_matches(rule: Rule, group: str) -> bool:
    """``*`` or the exact API group ("" is the core group)."""
    groups = _strs(rule, "apiGroups")
    return "*" in groups or group in groups


def resource_matches(rule: Rule, combined: str, subresource: str) -> bool:
    """``*``, the exact ``resource[/subresource]``, or ``*/subresource`` for any resource."""
    for r in _strs(rule, "resources"):
        if r == "*" or r == combined:
            return True
        if subresource and len(r) == len(subresource) + 2 and r.startswith("*/") and r.endswith(subresource):
            return True
    return False


def resource_name_matches(rule: Rule, name: str) -> bool:
    """No resourceNames means any name; otherwise the exact name (an empty name never matches)."""
    names = _strs(rule, "resourceNames")
    return not names or name in names


def non_resource_url_matches(rule: Rule, path: str) -> bool:
    """``*``, the exact path, or a prefix ending in ``*``."""
    for u in _strs(rule, "nonResourceURLs"):
        if u == "*" or u == path:
            return True
        if u.endswith("*") and path.startswith(u.rstrip("*")):
            return True
    return False


def rule_allows(rule: Rule, req: Request) -> bool:
    """Whether one rule allows the request (upstream ``RuleAllows``)."""
    if req.is_resource:
        combined = f"{req.resource}/{req.subresource}" if req.subresource else req.resource
        return (
            verb_matches(rule, req.verb)
            and api_group_matches(rule, req.api_group)
            and resource_matches(rule, combined, req.subresource)
            and resource_name_matches(rule, req.name)
        )
    return verb_matches(rule, req.verb) and non_resource_url_matches(rule, req.path)


def describe_rule(rule: Rule) -> str:
    """Compact form like upstream ``CompactString``: ``{APIGroups:[""], Resources:["pods"], ...}``."""
    parts = []
    for key, label in (
        ("apiGroups", "APIGroups"),
        ("resources", "Resources"),
        ("nonResourceURLs", "NonResourceURLs"),
        ("resourceNames", "ResourceNames"),
        ("verbs", "Verbs"),
    ):
        vals = _strs(rule, key)
        if vals:
            parts.append(f"{label}:[" + " ".join(f'"{v}"' for v in vals) + "]")
    return "{" + ", ".join(parts) + "}"
