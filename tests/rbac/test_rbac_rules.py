"""Rule matching and authorization, ported from upstream Kubernetes test tables.

``TestRuleMatches`` and ``TestAuthorizer`` of kubernetes/kubernetes
``plugin/pkg/auth/authorizer/rbac/rbac_test.go`` are reproduced case by case.
"""

from __future__ import annotations

from typing import Any

import pytest

from oidc_doctor.rbac.index import RbacIndex
from oidc_doctor.rbac.rules import Request, Rule, describe_rule, rule_allows


def rule(verbs: str, groups: str | None = None, resources: str = "", urls: str = "") -> Rule:
    """Like upstream ``newRule``/``NewRule``: comma-separated lists; "" groups is the core group."""
    out: Rule = {"verbs": verbs.split(",")}
    if groups is not None:
        out["apiGroups"] = groups.split(",")
    if resources:
        out["resources"] = resources.split(",")
    if urls:
        out["nonResourceURLs"] = urls.split(",")
    return out


def res(verb: str, group: str, resource: str, sub: str = "") -> Request:
    return Request(verb=verb, api_group=group, resource=resource, subresource=sub)


def url(verb: str, path: str) -> Request:
    return Request(verb=verb, path=path)


RULE_MATCHES: list[tuple[str, Rule, dict[Request, bool]]] = [
    (
        "star verb, exact match other",
        rule("*", "group1", "resource1"),
        {
            res("verb1", "group1", "resource1"): True,
            res("verb1", "group2", "resource1"): False,
            res("verb1", "group1", "resource2"): False,
            res("verb1", "group2", "resource2"): False,
            res("verb2", "group1", "resource1"): True,
            res("verb2", "group2", "resource1"): False,
            res("verb2", "group1", "resource2"): False,
            res("verb2", "group2", "resource2"): False,
        },
    ),
    (
        "star group, exact match other",
        rule("verb1", "*", "resource1"),
        {
            res("verb1", "group1", "resource1"): True,
            res("verb1", "group2", "resource1"): True,
            res("verb1", "group1", "resource2"): False,
            res("verb1", "group2", "resource2"): False,
            res("verb2", "group1", "resource1"): False,
            res("verb2", "group2", "resource1"): False,
        },
    ),
    (
        "star resource, exact match other",
        rule("verb1", "group1", "*"),
        {
            res("verb1", "group1", "resource1"): True,
            res("verb1", "group2", "resource1"): False,
            res("verb1", "group1", "resource2"): True,
            res("verb1", "group2", "resource2"): False,
            res("verb2", "group1", "resource1"): False,
        },
    ),
    (
        "tuple expansion",
        rule("verb1,verb2", "group1,group2", "resource1,resource2"),
        {
            res(v, g, r): True
            for v in ("verb1", "verb2")
            for g in ("group1", "group2")
            for r in ("resource1", "resource2")
        },
    ),
    (
        "subresource expansion",
        rule("*", "*", "resource1/subresource1"),
        {
            res("verb1", "group1", "resource1", "subresource1"): True,
            res("verb1", "group2", "resource1", "subresource2"): False,
            res("verb1", "group1", "resource2", "subresource1"): False,
            res("verb1", "group2", "resource2", "subresource1"): False,
            res("verb2", "group1", "resource1", "subresource1"): True,
            res("verb2", "group2", "resource1", "subresource2"): False,
        },
    ),
    (
        "star nonresource, exact match other",
        rule("verb1", urls="*"),
        {
            url("verb1", "/foo"): True,
            url("verb1", "/foo/bar"): True,
            url("verb1", "/foo/baz/one"): True,
            url("verb2", "/foo"): False,
            url("verb2", "/foo/bar/one"): False,
        },
    ),
    (
        "star nonresource subpath",
        rule("verb1", urls="/foo/*"),
        {
            url("verb1", "/foo"): False,
            url("verb1", "/foo/bar"): True,
            url("verb1", "/foo/baz"): True,
            url("verb1", "/foo/bar/one"): True,
            url("verb1", "/foo/baz/one"): True,
            url("verb1", "/notfoo"): False,
            url("verb1", "/notfoo/bar"): False,
            url("verb1", "/notfoo/baz/one"): False,
        },
    ),
    (
        "star verb, exact nonresource",
        rule("*", urls="/foo,/foo/bar/one"),
        {
            url("verb1", "/foo"): True,
            url("verb1", "/foo/bar"): False,
            url("verb1", "/foo/baz"): False,
            url("verb1", "/foo/bar/one"): True,
            url("verb1", "/foo/baz/one"): False,
            url("verb2", "/foo"): True,
            url("verb2", "/foo/bar/one"): True,
        },
    ),
    # Beyond the upstream table: */subresource, resourceNames.
    (
        "star slash subresource matches that subresource of any resource only",
        rule("get", "", "*/status"),
        {
            res("get", "", "pods", "status"): True,
            res("get", "", "nodes", "status"): True,
            res("get", "", "pods", "log"): False,
            res("get", "", "pods"): False,
            res("get", "", "status"): False,
        },
    ),
]


@pytest.mark.parametrize(("name", "r", "cases"), RULE_MATCHES, ids=[c[0] for c in RULE_MATCHES])
def test_rule_matches_upstream_table(name: str, r: Rule, cases: dict[Request, bool]) -> None:
    for request, expected in cases.items():
        assert rule_allows(r, request) is expected, (name, request)


def test_resource_names_restrict_to_named_objects_and_never_match_a_list() -> None:
    r = {"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["kubeapps"]}
    assert rule_allows(r, Request("get", "configmaps", name="kubeapps"))
    assert not rule_allows(r, Request("get", "configmaps", name="other"))
    assert not rule_allows(r, Request("list", "configmaps"))
    assert not rule_allows(r, Request("get", "configmaps"))  # no name: a named rule does not apply


def test_verbs_are_case_sensitive_as_upstream() -> None:
    assert not rule_allows(rule("get", "", "pods"), res("GET", "", "pods"))


def test_describe_rule_is_compact() -> None:
    assert describe_rule(rule("get,list", "", "pods")) == '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}'


def _binding(kind: str, ns: str | None, role_kind: str, role: str, *subjects: str) -> dict[str, Any]:
    subs = []
    for s in subjects:
        k, _, n = s.partition(":")
        subs.append({"kind": k, "name": n})
    meta: dict[str, Any] = {"name": f"b-{role}-{len(subjects)}"}
    if ns:
        meta["namespace"] = ns
    return {"kind": kind, "metadata": meta, "roleRef": {"kind": role_kind, "name": role}, "subjects": subs}


def _cr(name: str, *rules: Rule) -> dict[str, Any]:
    return {"kind": "ClusterRole", "metadata": {"name": name}, "rules": list(rules)}


def _allowed(idx: RbacIndex, user: str, groups: list[str], req: Request) -> bool:
    return idx.authorize(user, groups, req).allowed


def test_authorizer_rolebinding_to_clusterrole_applies_in_its_namespace_only() -> None:
    # upstream TestAuthorizer case 0
    idx = RbacIndex.from_objects(
        [
            _cr("admin", rule("*", "*", "*", "*")),
            _binding("RoleBinding", "ns1", "ClusterRole", "admin", "User:admin", "Group:admins"),
        ]
    )
    ok = [
        ("admin", [], Request("get", "Pods", namespace="ns1")),
        ("admin", [], Request("watch", "Pods", namespace="ns1")),
        ("admin", ["group1"], Request("watch", "Foobar", namespace="ns1")),
        ("joe", ["admins"], Request("watch", "Foobar", namespace="ns1")),
        ("joe", ["group1", "admins"], Request("watch", "Foobar", namespace="ns1")),
    ]
    bad = [
        ("admin", [], Request("GET", "Pods", namespace="ns2")),
        ("admin", [], Request("GET", "Nodes")),
        ("admin", ["admins"], Request("GET", "Pods", namespace="ns2")),
        ("admin", ["admins"], Request("GET", "Nodes")),
    ]
    for u, g, r in ok:
        assert _allowed(idx, u, g, r), r
    for u, g, r in bad:
        assert not _allowed(idx, u, g, r), r


def test_authorizer_non_resource_urls() -> None:
    # upstream TestAuthorizer case 1
    idx = RbacIndex.from_objects(
        [
            _cr("non-resource-url-getter", rule("get", urls="/apis")),
            _cr("non-resource-url", rule("*", urls="/apis")),
            _cr("non-resource-url-prefix", rule("get", urls="/apis/*")),
            _binding("ClusterRoleBinding", None, "ClusterRole", "non-resource-url-getter", "User:foo", "Group:bar"),
            _binding("ClusterRoleBinding", None, "ClusterRole", "non-resource-url", "User:admin", "Group:admin"),
            _binding(
                "ClusterRoleBinding",
                None,
                "ClusterRole",
                "non-resource-url-prefix",
                "User:prefixed",
                "Group:prefixed",
            ),
        ]
    )
    ok = [
        ("foo", [], url("get", "/apis")),
        ("", ["bar"], url("get", "/apis")),
        ("admin", [], url("get", "/apis")),
        ("", ["admin"], url("get", "/apis")),
        ("admin", [], url("watch", "/apis")),
        ("", ["admin"], url("watch", "/apis")),
        ("prefixed", [], url("get", "/apis/v1")),
        ("", ["prefixed"], url("get", "/apis/v1")),
        ("prefixed", [], url("get", "/apis/v1/foobar")),
        ("", ["prefixed"], url("get", "/apis/v1/foorbar")),
    ]
    bad = [
        ("foo", [], url("watch", "/apis")),
        ("", ["bar"], url("watch", "/apis")),
        ("foo", [], url("get", "/api/v1")),
        ("", ["bar"], url("get", "/api/v1")),
        ("admin", [], url("get", "/api/v1")),
        ("", ["admin"], url("get", "/api/v1")),
        ("prefixed", [], url("get", "/api/v1")),
        ("", ["prefixed"], url("get", "/api/v1")),
    ]
    for u, g, r in ok:
        assert _allowed(idx, u, g, r), (u, g, r)
    for u, g, r in bad:
        assert not _allowed(idx, u, g, r), (u, g, r)


def test_authorizer_subresources_need_their_own_rule() -> None:
    # upstream TestAuthorizer cases 2 and 3
    pods = RbacIndex.from_objects(
        [
            _cr("admin", rule("*", "*", "pods", "*")),
            _binding("RoleBinding", "ns1", "ClusterRole", "admin", "User:admin"),
        ]
    )
    assert _allowed(pods, "admin", [], Request("get", "pods", namespace="ns1"))
    assert not _allowed(pods, "admin", [], Request("get", "pods", subresource="status", namespace="ns1"))
    status = RbacIndex.from_objects(
        [
            _cr("admin", rule("*", "*", "pods/status", "*")),
            _binding("RoleBinding", "ns1", "ClusterRole", "admin", "User:admin"),
        ]
    )
    assert _allowed(status, "admin", [], Request("get", "pods", subresource="status", namespace="ns1"))
    assert not _allowed(status, "admin", [], Request("get", "pods", namespace="ns1"))
