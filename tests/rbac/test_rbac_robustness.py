"""Malformed RBAC objects from a bundle never crash the index, the authorizer or the analysis."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_doctor.rbac.index import RbacIndex, default_groups
from oidc_doctor.rbac.nearmiss import Who, analyze
from oidc_doctor.rbac.rules import Request

_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(["", "*", "get", "pods", "User", "Group", "a:b"]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(["kind", "name", "x"]), kids, max_size=3),
    max_leaves=8,
)
_subject = st.fixed_dictionaries(
    {"kind": st.sampled_from(["User", "Group", "ServiceAccount", "Other", 3]), "name": _junk | st.text(max_size=8)},
    optional={"namespace": _junk},
)
_rule = st.fixed_dictionaries(
    {},
    optional={
        "verbs": _junk | st.lists(st.sampled_from(["get", "list", "*"]), max_size=3),
        "apiGroups": _junk | st.lists(st.sampled_from(["", "apps", "*"]), max_size=2),
        "resources": _junk | st.lists(st.sampled_from(["pods", "*/status", "*", "pods/log"]), max_size=3),
        "resourceNames": _junk,
        "nonResourceURLs": _junk | st.lists(st.sampled_from(["/x", "/x/*", "*"]), max_size=2),
    },
)
_object = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"]),
        "metadata": _junk
        | st.fixed_dictionaries(
            {"name": st.sampled_from(["a", "b", "view"]) | _junk},
            optional={"namespace": st.sampled_from(["", "dev"]), "labels": st.dictionaries(st.text(max_size=3), _junk)},
        ),
    },
    optional={
        "subjects": _junk | st.lists(_subject | _junk, max_size=3),
        "roleRef": _junk
        | st.fixed_dictionaries({"kind": st.sampled_from(["Role", "ClusterRole", "X"]), "name": _junk}),
        "rules": _junk | st.lists(_rule | _junk, max_size=3),
        "aggregationRule": _junk
        | st.fixed_dictionaries(
            {
                "clusterRoleSelectors": _junk
                | st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "matchLabels": _junk | st.dictionaries(st.sampled_from(["a", "b"]), _junk),
                            "matchExpressions": _junk
                            | st.lists(
                                st.fixed_dictionaries(
                                    {"key": _junk, "operator": st.sampled_from(["In", "NotIn", "Exists", "X"])},
                                    optional={"values": _junk},
                                )
                            ),
                        },
                    ),
                    max_size=2,
                )
            }
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_object | _junk, max_size=6), st.sampled_from(["a", "oidc:a", "system:serviceaccount:dev:a"]))
def test_index_authorize_and_analysis_survive_junk(objects: list[Any], user: str) -> None:
    idx = RbacIndex.from_objects(objects)
    for obj in objects:  # the command adds the bundle's RBAC items directly
        if isinstance(obj, dict):
            idx.add(obj)
    groups = default_groups(user, ["g"])
    idx.applicable(user, groups)
    for req in (Request("get", "pods", namespace="dev"), Request("get", path="/x/y"), Request("list", "pods")):
        idx.authorize(user, groups, req)
        analyze(idx, Who(user, groups), req, {"email": "a", "groups": "g"}, None)
    analyze(idx, Who(user, groups, groups_known=False, source="forbidden-message"))
