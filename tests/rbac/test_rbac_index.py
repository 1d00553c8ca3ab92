"""The binding index: who is bound, role resolution, aggregation, service accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.bundle import read_bundle
from oidc_doctor.rbac.index import RbacIndex, default_groups, selector_matches
from oidc_doctor.rbac.rules import Request

FIXTURES = Path(__file__).parent / "fixtures"


def test_default_groups_add_authenticated_and_service_account_groups() -> None:
    assert default_groups("alice", ["dev"]) == ["dev", "system:authenticated"]
    assert default_groups("system:serviceaccount:ci:deployer", []) == [
        "system:serviceaccounts",
        "system:serviceaccounts:ci",
        "system:authenticated",
    ]
    assert default_groups("system:anonymous", []) == ["system:unauthenticated"]


def test_fixture_who_lists_each_applying_binding_once() -> None:
    ev = read_bundle(FIXTURES)
    assert [(i.kind, i.objects) for i in ev.inputs] == [("rbac", 13)]
    idx = RbacIndex.from_evidence(ev)
    applied = idx.applicable("oidc:alice@example.com", default_groups("oidc:alice@example.com", ["oidc:dev"]))
    names = [(a.kind, a.namespace, a.name) for a in applied]
    # dev-view names both the user and the group: it appears once, with both subjects.
    assert names.count(("RoleBinding", "dev", "dev-view")) == 1
    dev_view = next(a for a in applied if a.name == "dev-view")
    assert {s["kind"] for s in dev_view.subjects} == {"User", "Group"}
    assert ("ClusterRoleBinding", "", "system:basic-user") in names
    assert ("RoleBinding", "prod", "prod-admins") not in names


def test_aggregated_clusterrole_gets_the_rules_of_labelled_roles() -> None:
    idx = RbacIndex.from_evidence(read_bundle(FIXTURES))
    # "monitoring" has no rules of its own; it aggregates "monitoring-pods" (label match) and,
    # through it, nothing else; "unrelated" lacks the label.
    rules = idx.cluster_role_rules("monitoring")
    assert {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods", "pods/log"]} in rules
    assert all("secrets" not in r.get("resources", []) for r in rules)
    allowed = idx.authorize("bob", ["oidc:sre"], Request("list", "pods", namespace="anything"))
    assert allowed.allowed
    assert allowed.binding is not None and allowed.binding.name == "sre-monitoring"
    assert not idx.authorize("bob", ["oidc:sre"], Request("list", "secrets", namespace="anything")).allowed


def test_role_reference_resolves_in_the_binding_namespace() -> None:
    idx = RbacIndex.from_evidence(read_bundle(FIXTURES))
    # RoleBinding dev/deployer -> Role dev/deployer allows patching deployments/scale in dev only.
    sa = "system:serviceaccount:ci:deployer"
    groups = default_groups(sa, [])
    scale = Request("patch", "deployments", api_group="apps", subresource="scale", namespace="dev")
    assert idx.authorize(sa, groups, scale).allowed
    assert not idx.authorize(sa, groups, Request("patch", "deployments", api_group="apps", namespace="dev")).allowed
    assert not idx.authorize(sa, groups, Request("patch", "deployments", "apps", "scale", namespace="prod")).allowed


def test_missing_role_is_reported_as_an_error_not_silently_skipped() -> None:
    idx = RbacIndex.from_evidence(read_bundle(FIXTURES))
    d = idx.authorize("carol", ["system:authenticated"], Request("get", "pods", namespace="qa"))
    assert not d.allowed
    assert any('role.rbac.authorization.k8s.io "gone" not found' in e for e in d.errors)


def test_service_account_subject_without_namespace_defaults_to_the_rolebinding_namespace() -> None:
    rb: dict[str, Any] = {
        "kind": "RoleBinding",
        "metadata": {"name": "x", "namespace": "apps"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}],
    }
    crb: dict[str, Any] = {
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "y"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}],
    }
    idx = RbacIndex.from_objects([rb, crb])
    assert [a.name for a in idx.applicable("system:serviceaccount:apps:default", [])] == ["x"]
    assert idx.applicable("system:serviceaccount:other:default", []) == []


def test_label_selector_expressions() -> None:
    labels = {"a": "1", "b": "2"}
    assert selector_matches({}, labels)
    assert selector_matches({"matchLabels": {"a": "1"}}, labels)
    assert not selector_matches({"matchLabels": {"a": "2"}}, labels)
    assert selector_matches({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "3"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "b", "operator": "NotIn", "values": ["2"]}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "c", "operator": "Exists"}]}, labels)


def test_to_json_names_role_and_matching_subjects_only() -> None:
    idx = RbacIndex.from_evidence(read_bundle(FIXTURES))
    applied = {a.name: a for a in idx.applicable("bob", ["oidc:sre", "system:authenticated"])}
    j = applied["sre-monitoring"].to_json()
    assert j == {
        "kind": "ClusterRoleBinding",
        "namespace": None,
        "name": "sre-monitoring",
        "role": {"kind": "ClusterRole", "name": "monitoring"},
        "subjects": [{"kind": "Group", "name": "oidc:sre"}],
    }


# Ported from kubernetes/kubernetes pkg/controller/clusterroleaggregation/
# clusterroleaggregation_controller_test.go (TestSyncClusterRole).
HAMMER = [{"verbs": ["hammer"], "resources": ["nails"]}, {"verbs": ["hammer"], "resources": ["wedges"]}]
CHISEL = [{"verbs": ["chisel"], "resources": ["mortises"]}]
SAW = [{"verbs": ["saw"], "resources": ["boards"]}]


def _role(name: str, labels: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "ClusterRole", "metadata": {"name": name, "labels": labels}, "rules": rules}


def _combined(selectors: list[dict[str, str]], *rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "ClusterRole",
        "metadata": {"name": "combined"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": s} for s in selectors]},
        "rules": [r for rs in rules for r in rs],
    }


AGGREGATION_CASES = [
    ("remove dead rules", [_role("hammer", {"foo": "bar"}, HAMMER), _combined([{"foo": "bar"}], SAW)], HAMMER),
    ("strip rules", [_role("hammer", {"foo": "not-bar"}, HAMMER), _combined([{"foo": "bar"}], HAMMER)], []),
    (
        "select properly and put in order",
        [
            _role("hammer", {"foo": "bar"}, HAMMER),
            _role("chisel", {"foo": "bar"}, CHISEL),
            _role("saw", {"foo": "not-bar"}, SAW),
            _combined([{"foo": "bar"}]),
        ],
        CHISEL + HAMMER,
    ),
    (
        "select properly with multiple selectors",
        [
            _role("hammer", {"foo": "bar"}, HAMMER),
            _role("chisel", {"foo": "bar"}, CHISEL),
            _role("saw", {"foo": "not-bar"}, SAW),
            _combined([{"foo": "bar"}, {"foo": "not-bar"}]),
        ],
        CHISEL + HAMMER + SAW,
    ),
    (
        "select properly remove duplicates",
        [
            _role("hammer", {"foo": "bar"}, HAMMER),
            _role("chisel", {"foo": "bar"}, CHISEL),
            _role("saw", {"foo": "bar"}, SAW),
            _role("other-saw", {"foo": "not-bar"}, SAW),
            _combined([{"foo": "bar"}, {"foo": "not-bar"}]),
        ],
        CHISEL + HAMMER + SAW,
    ),
    ("no diff skip", [_role("hammer", {"foo": "bar"}, HAMMER), _combined([{"foo": "bar"}], HAMMER)], HAMMER),
]


@pytest.mark.parametrize(("name", "roles", "expected"), AGGREGATION_CASES, ids=[c[0] for c in AGGREGATION_CASES])
def test_aggregation_as_the_controller_writes_it(
    name: str, roles: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> None:
    assert RbacIndex.from_objects(roles).cluster_role_rules("combined") == expected


def test_aggregation_is_transitive_and_survives_cycles() -> None:
    roles = [
        _role("view-extra", {"agg-to-view": "true"}, SAW),
        {**_combined([{"agg-to-view": "true"}]), "metadata": {"name": "view", "labels": {"agg-to-edit": "true"}}},
        {
            **_combined([{"agg-to-edit": "true"}], CHISEL),
            "metadata": {"name": "edit", "labels": {"agg-to-view": "true"}},
        },
    ]
    idx = RbacIndex.from_objects(roles)
    assert SAW[0] in idx.cluster_role_rules("edit")


# Ported from kubernetes/kubernetes pkg/registry/rbac/validation/rule_test.go (TestAppliesTo).
APPLIES_TO: list[tuple[str, list[dict[str, str]], str, list[str], str, bool]] = [
    ("single subject that matches username", [{"kind": "User", "name": "foobar"}], "foobar", [], "", True),
    (
        "multiple subjects, one that matches username",
        [{"kind": "User", "name": "barfoo"}, {"kind": "User", "name": "foobar"}],
        "foobar",
        [],
        "",
        True,
    ),
    (
        "multiple subjects, none that match username",
        [{"kind": "User", "name": "barfoo"}, {"kind": "User", "name": "foobar"}],
        "zimzam",
        [],
        "",
        False,
    ),
    (
        "multiple subjects, one that match group",
        [{"kind": "User", "name": "barfoo"}, {"kind": "Group", "name": "foobar"}],
        "zimzam",
        ["foobar"],
        "",
        True,
    ),
    (
        "multiple subjects, one that match group, should ignore namespace",
        [{"kind": "User", "name": "barfoo"}, {"kind": "Group", "name": "foobar"}],
        "zimzam",
        ["foobar"],
        "namespace1",
        True,
    ),
    (
        "multiple subjects with a service account that matches",
        [
            {"kind": "User", "name": "barfoo"},
            {"kind": "Group", "name": "foobar"},
            {"kind": "ServiceAccount", "namespace": "kube-system", "name": "default"},
        ],
        "system:serviceaccount:kube-system:default",
        [],
        "default",
        True,
    ),
    ("* user subject name doesn't match all users", [{"kind": "User", "name": "*"}], "foobar", [], "default", False),
    (
        "binding to all authenticated and unauthenticated subjects matches authenticated user",
        [{"kind": "Group", "name": "system:authenticated"}, {"kind": "Group", "name": "system:unauthenticated"}],
        "foobar",
        ["system:authenticated"],
        "default",
        True,
    ),
    (
        "binding to all authenticated and unauthenticated subjects matches anonymous user",
        [{"kind": "Group", "name": "system:authenticated"}, {"kind": "Group", "name": "system:unauthenticated"}],
        "system:anonymous",
        ["system:unauthenticated"],
        "default",
        True,
    ),
]


@pytest.mark.parametrize(
    ("case", "subjects", "user", "groups", "ns", "applies"), APPLIES_TO, ids=[c[0] for c in APPLIES_TO]
)
def test_applies_to_upstream_table(
    case: str, subjects: list[dict[str, str]], user: str, groups: list[str], ns: str, applies: bool
) -> None:
    meta = {"name": "b", "namespace": ns} if ns else {"name": "b"}
    kind = "RoleBinding" if ns else "ClusterRoleBinding"
    binding = {"kind": kind, "metadata": meta, "roleRef": {"kind": "ClusterRole", "name": "r"}, "subjects": subjects}
    idx = RbacIndex.from_objects([binding])
    assert bool(idx.applicable(user, groups)) is applies
