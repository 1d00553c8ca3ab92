"""``rbac who-can``, ``rbac who --match`` and kubectl's ``--as``/``--as-group`` on ``rbac who|can``.

On the hand-checked fixture ``fixtures/cluster-rbac.yaml`` (ClusterRole ``monitoring`` aggregates
``monitoring-pods``; ``dev-view`` binds ``view`` in ``dev``; ``deployer`` Roles exist only in
``dev``; ``admin`` and ``gone`` are missing) and on the bundled examples.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.rbac.index import RbacIndex, impersonated_groups
from oidc_doctor.rbac.rules import Request
from oidc_doctor.rbac.whocan import subjects_matching, who_can

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture()
def bundle(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "cluster-rbac.yaml", tmp_path / "rbac.yaml")
    return tmp_path


@pytest.fixture()
def idx() -> RbacIndex:
    return RbacIndex.from_objects(_objects(FIXTURES / "cluster-rbac.yaml"))


def _objects(path: Path) -> list[Any]:
    out: list[Any] = []
    for doc in yaml.safe_load_all(path.read_text()):
        out.extend(doc["items"] if doc.get("kind") == "List" else [doc])
    return out


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


def _grants(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (f"{g['subject']['kind']} {g['subject']['name']}", g["binding"]["name"], g["binding"]["role"]["name"])
        for g in doc["grants"]
    ]


# --- who-can ---------------------------------------------------------------------------------------


def test_who_can_names_every_subject_with_the_binding_and_role(bundle: Path) -> None:
    status, out, err = _run("rbac", "who-can", "list", "pods", "-n", "dev", "--bundle", str(bundle), "-o", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "oidc-doctor/rbac-who-can/v1"
    # the aggregated ClusterRole counts (monitoring <- monitoring-pods); the RoleBinding in dev counts
    assert _grants(doc) == [
        ("Group oidc:sre", "sre-monitoring", "monitoring"),
        ("User oidc:alice@example.com", "dev-view", "view"),
        ("Group oidc:dev", "dev-view", "view"),
    ]
    assert (
        doc["grants"][0]["rule_text"] == '{APIGroups:[""], Resources:["pods" "pods/log"], Verbs:["get" "list" "watch"]}'
    )


def test_who_can_at_cluster_scope_ignores_role_bindings(idx: RbacIndex) -> None:
    answer = who_can(idx, Request("list", "pods"))
    assert [g.binding["metadata"]["name"] for g in answer.grants] == ["sre-monitoring"]


def test_who_can_all_namespaces_asks_each_role_binding_about_its_own_namespace(idx: RbacIndex) -> None:
    answer = who_can(idx, Request("patch", "deployments", "apps", "scale"), all_namespaces=True)
    # only dev has the Role "deployer": prod's binding of it cannot be resolved and is said so
    assert [
        (g.subject["kind"], g.subject.get("namespace"), g.binding["metadata"]["namespace"]) for g in answer.grants
    ] == [("ServiceAccount", "ci", "dev")]
    assert any(
        'RoleBinding prod/deployer: role.rbac.authorization.k8s.io "deployer" not found' == e for e in answer.errors
    )


def test_who_can_a_path_is_granted_by_cluster_role_bindings_only(idx: RbacIndex) -> None:
    answer = who_can(idx, Request(verb="get", path="/healthz"), all_namespaces=True)
    assert [g.subject["name"] for g in answer.grants] == ["system:authenticated"]


def test_who_can_a_named_object_respects_resource_names(tmp_path: Path) -> None:
    objs = [
        {
            "kind": "Role",
            "metadata": {"name": "one", "namespace": "ns"},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["db"], "verbs": ["get"]}],
        },
        {
            "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "ns"},
            "roleRef": {"kind": "Role", "name": "one"},
            "subjects": [{"kind": "User", "name": "u"}],
        },
    ]
    idx = RbacIndex.from_objects(objs)
    assert [g.subject["name"] for g in who_can(idx, Request("get", "secrets", name="db", namespace="ns")).grants] == [
        "u"
    ]
    assert who_can(idx, Request("get", "secrets", name="other", namespace="ns")).grants == []


def test_who_can_text_and_yaml_from_the_one_writer(bundle: Path) -> None:
    status, out, _ = _run("rbac", "who-can", "get", "pods/log", "-n", "dev", "--bundle", str(bundle))
    assert status == 0
    assert out.splitlines()[0] == 'who may get pods/log (API group "") in namespace "dev":'
    assert "Group oidc:sre" in out and "ClusterRoleBinding sre-monitoring" in out and "dev-view" not in out
    assert "system:masters may do anything" in out
    _, out_j, _ = _run("rbac", "who-can", "get", "pods/log", "-n", "dev", "--bundle", str(bundle), "-o", "json")
    _, out_y, _ = _run("rbac", "who-can", "get", "pods/log", "-n", "dev", "--bundle", str(bundle), "-o", "yaml")
    assert yaml.safe_load(out_y) == json.loads(out_j)


def test_who_can_nobody_is_an_answer_not_an_error(bundle: Path) -> None:
    status, out, _ = _run("rbac", "who-can", "delete", "nodes", "--bundle", str(bundle))
    assert status == 0 and "no binding allows it" in out


def test_who_can_an_unknown_resource_is_a_usage_error(bundle: Path) -> None:
    status, out, err = _run("rbac", "who-can", "list", "podz", "--bundle", str(bundle))
    assert status == 2 and out == "" and "podz" in err


def test_who_can_on_an_example_agrees_with_rbac_can() -> None:
    healthy = str(EXAMPLES / "healthy")
    status, out, err = _run("rbac", "who-can", "list", "pods", "-n", "dev", "--bundle", healthy, "-o", "json")
    assert status == 0, err
    assert json.loads(out)["subjects"] == [{"kind": "Group", "name": "oidc:dev"}]
    can = ["rbac", "can", "list", "pods", "-n", "dev", "--bundle", healthy, "--as", "someone"]
    assert _run(*can, "--as-group", "oidc:dev")[0] == 0
    assert _run(*can, "--as-group", "oidc:ops")[0] == 1


def test_match_finds_the_binding_written_without_the_prefix() -> None:
    # rbac-prefix-mismatch: the API server calls the user oidc:alice@example.com, the binding alice@example.com
    status, out, _ = _run("rbac", "who", "--match", "ALICE", "--bundle", str(EXAMPLES / "rbac-prefix-mismatch"))
    assert status == 0
    assert out.splitlines()[1].split() == [
        "User",
        "alice@example.com",
        "dev",
        "ClusterRole/view",
        "RoleBinding",
        "alice-view",
    ]


# --- who --match -------------------------------------------------------------------------------------


def test_match_is_a_case_insensitive_substring_over_every_kind(idx: RbacIndex) -> None:
    found = subjects_matching(idx, "DEPLOY")
    assert [f.subject for f in found] == [{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}]
    assert [b["metadata"]["namespace"] for b in found[0].bindings] == ["dev", "prod"]
    assert subjects_matching(idx, "Oidc:SRE")[0].subject == {"kind": "Group", "name": "oidc:sre"}


def test_match_orders_by_kind_then_name_and_filters_by_kind(idx: RbacIndex) -> None:
    found = subjects_matching(idx, "oidc:")
    assert [(f.subject["kind"], f.subject["name"]) for f in found] == [
        ("User", "oidc:alice@example.com"),
        ("Group", "oidc:dev"),
        ("Group", "oidc:prod-admins"),
        ("Group", "oidc:sre"),
    ]
    assert [f.subject["name"] for f in subjects_matching(idx, "oidc:", "User")] == ["oidc:alice@example.com"]


def test_who_match_command_lists_subject_scope_role_and_binding(bundle: Path) -> None:
    status, out, err = _run("rbac", "who", "--match", "Alice", "--bundle", str(bundle))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["SUBJECT", "SCOPE", "ROLE", "BINDING"]
    assert lines[1].split() == ["User", "oidc:alice@example.com", "dev", "ClusterRole/view", "RoleBinding", "dev-view"]
    status, out, _ = _run("rbac", "who", "--match", "sre", "--kind", "group", "--bundle", str(bundle), "-o", "json")
    doc = json.loads(out)
    assert doc["schema"] == "oidc-doctor/rbac-who-match/v1"
    assert doc["subjects"] == [
        {
            "subject": {"kind": "Group", "name": "oidc:sre"},
            "bindings": [
                {
                    "kind": "ClusterRoleBinding",
                    "namespace": None,
                    "name": "sre-monitoring",
                    "role": {"kind": "ClusterRole", "name": "monitoring"},
                    "scope": "cluster-wide",
                }
            ],
        }
    ]


def test_who_match_finding_nothing_says_so(bundle: Path) -> None:
    status, out, _ = _run("rbac", "who", "--match", "nobody-here", "--bundle", str(bundle))
    assert status == 0 and "no subject's name contains 'nobody-here'" in out


def test_match_and_an_identity_are_exclusive_and_kind_needs_match(bundle: Path) -> None:
    status, _, err = _run("rbac", "who", "--match", "a", "--user", "b", "--bundle", str(bundle))
    assert status == 2 and "not allowed with" in err
    status, _, err = _run("rbac", "who", "--user", "b", "--kind", "user", "--bundle", str(bundle))
    assert status == 2 and "--kind goes with --match" in err


def test_who_without_any_identity_names_the_choices(bundle: Path) -> None:
    status, out, err = _run("rbac", "who", "--bundle", str(bundle))
    assert status == 2 and out == "" and "--user/--as USER" in err and "--match" in err


# --- --as / --as-group -------------------------------------------------------------------------------


def test_as_and_as_group_are_the_identity_as_kubectl_names_it(bundle: Path) -> None:
    base = ["rbac", "can", "list", "pods", "-n", "dev", "--bundle", str(bundle), "-o", "json"]
    status, out, _ = _run(*base, "--as", "oidc:bob", "--as-group", "oidc:dev")
    doc = json.loads(out)
    assert status == 0 and doc["allowed"] and doc["user"] == "oidc:bob"
    assert doc["groups"] == ["oidc:dev", "system:authenticated"] and doc["granted_by"]["binding"]["name"] == "dev-view"
    status, out, _ = _run(*base, "--as", "oidc:bob")
    assert status == 1 and not json.loads(out)["allowed"]
    # --as-group is repeatable
    status, out, _ = _run(*base, "--as", "oidc:bob", "--as-group", "x", "--as-group", "oidc:sre")
    assert status == 0 and json.loads(out)["groups"] == ["x", "oidc:sre", "system:authenticated"]


def test_as_on_rbac_who_gives_the_same_bindings_as_user(bundle: Path) -> None:
    as_doc = json.loads(_run("rbac", "who", "--as", "oidc:alice@example.com", "--bundle", str(bundle), "-o", "json")[1])
    user_doc = json.loads(
        _run("rbac", "who", "--user", "oidc:alice@example.com", "--bundle", str(bundle), "-o", "json")[1]
    )
    assert as_doc["bindings"] == user_doc["bindings"] and as_doc["bindings"]


def test_as_group_without_as_is_refused_as_kubectl_does(bundle: Path) -> None:
    status, out, err = _run("rbac", "can", "list", "pods", "--as-group", "oidc:dev", "--bundle", str(bundle))
    assert status == 2 and out == "" and "--as-group: give --as USER too" in err


def test_as_and_user_are_exclusive(bundle: Path) -> None:
    status, _, err = _run("rbac", "who", "--as", "a", "--user", "b", "--bundle", str(bundle))
    assert status == 2 and "not allowed with" in err


def test_a_token_given_to_as_is_refused_without_echo(bundle: Path) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    status, out, err = _run("rbac", "who", "--as", token, "--bundle", str(bundle))
    assert status == 2 and "--as: this is a token" in err and token not in out + err


def test_impersonated_service_account_groups_follow_the_impersonation_filter() -> None:
    sa = "system:serviceaccount:ci:deployer"
    assert impersonated_groups(sa, []) == [
        "system:serviceaccounts",
        "system:serviceaccounts:ci",
        "system:authenticated",
    ]
    # groups given replace the service account's own groups
    assert impersonated_groups(sa, ["team"]) == ["team", "system:authenticated"]
    assert impersonated_groups("alice", ["team"]) == ["team", "system:authenticated"]
    assert impersonated_groups("system:anonymous", []) == ["system:unauthenticated"]


def test_match_refuses_the_options_of_an_identity(bundle: Path) -> None:
    for extra in (["--group", "g"], ["--as-group", "g"], ["--rules"], ["--now", "2026-11-28T10:25:12Z"]):
        status, out, err = _run("rbac", "who", "--match", "a", *extra, "--bundle", str(bundle))
        assert status == 2 and out == "" and "go with an identity, not a search" in err, extra


@pytest.mark.parametrize("fmt", ["text", "wide", "json", "yaml", "markdown", "html"])
def test_a_hostile_subject_name_is_shown_without_its_control_characters(tmp_path: Path, fmt: str) -> None:
    hostile = "evil\x1b[31m\u202eadmin\x07"
    objs = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "kind": "ClusterRole",
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "metadata": {"name": "r"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
            },
            {
                "kind": "ClusterRoleBinding",
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "metadata": {"name": "b"},
                "roleRef": {"kind": "ClusterRole", "name": "r"},
                "subjects": [{"kind": "User", "name": hostile}],
            },
        ],
    }
    (tmp_path / "rbac.json").write_text(json.dumps(objs))
    for argv in (["rbac", "who-can", "list", "pods"], ["rbac", "who", "--match", "EVIL"]):
        status, out, err = _run(*argv, "--bundle", str(tmp_path), "-o", fmt)
        assert status == 0, err
        assert "evil" in out and "admin" in out  # shown ...
        assert not any(c in out for c in ("\x1b", "\u202e", "\x07"))  # ... without its controls
