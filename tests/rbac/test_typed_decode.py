"""The typed decoding of big RBAC lists gives the answers of the dict path, and fails closed.

A JSON ``kind: List`` of RBAC objects from :data:`oidc_doctor.loader.TYPED_MIN_BYTES` on is
decoded into compact records (:mod:`oidc_doctor.rbac.objects`) instead of dicts. Parity: the RBAC
objects of every fixture and example bundle, written as one such List, give the same index, the
same bindings, the same decisions and the same diagnosis whichever path reads them. Fail-closed:
a List with anything the records do not describe as upstream writes it (another kind, another
type, another apiVersion, nesting beyond the limit) is read by the dict path, which judges it as
before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fixturekit.rbacfiles import FIXTURE_FILES, RBAC_EXAMPLES, diagnose_json, rbac_dicts

from oidc_doctor import bundle, loader
from oidc_doctor.bundle import read_bundle
from oidc_doctor.cli import main
from oidc_doctor.evidence import Kind
from oidc_doctor.io import IO
from oidc_doctor.loader import typed_rbac
from oidc_doctor.rbac import objects
from oidc_doctor.rbac.index import RbacIndex, default_groups, namespace_name
from oidc_doctor.rbac.rules import Request

REQUESTS = [
    Request("get", "pods", namespace="default"),
    Request("list", "pods", namespace="dev"),
    Request("list", "deployments", api_group="apps", namespace="dev"),
    Request("get", "secrets", namespace="development"),
    Request("watch", "secrets"),
    Request("get", "configmaps", name="my-configmap", namespace="default"),
    Request("create", "pods", namespace="prod"),
]



def _as_list(items: list[dict[str, Any]]) -> bytes:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {}}).encode()


def _identities(idx: RbacIndex) -> list[tuple[str, list[str]]]:
    users = [*idx.subject_names("User"), "nobody", "system:serviceaccount:dev:deployer"]
    groups = idx.subject_names("Group")
    return [(u, default_groups(u, groups[i % max(1, len(groups)) :][:2])) for i, u in enumerate(users)]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.parent.name)
def test_typed_records_answer_as_the_dicts_do(path: Path) -> None:
    dicts = rbac_dicts(path)
    assert dicts, path
    records = typed_rbac(_as_list(dicts), "x")
    assert records is not None and len(records) == len(dicts)
    assert all(objects.is_record(r) for r in records)
    by_dict, by_record = RbacIndex.from_objects(dicts), RbacIndex.from_objects(records)
    assert len(by_record) == len(by_dict) > 0
    assert by_record.by_subject == by_dict.by_subject
    assert sorted(by_record.cluster_roles) == sorted(by_dict.cluster_roles)
    assert sorted(by_record.roles) == sorted(by_dict.roles)
    for name in by_dict.cluster_roles:
        assert by_record.cluster_role_rules(name) == by_dict.cluster_role_rules(name)
    for b_dict, b_rec in zip(by_dict.bindings, by_record.bindings, strict=True):
        assert namespace_name(b_rec) == namespace_name(b_dict)
        assert by_record.role_rules(b_rec) == by_dict.role_rules(b_dict)
    for user, groups in _identities(by_dict):
        want = [a.to_json() for a in by_dict.applicable(user, groups)]
        assert [a.to_json() for a in by_record.applicable(user, groups)] == want
        for req in REQUESTS:
            d, r = by_dict.authorize(user, groups, req), by_record.authorize(user, groups, req)
            assert (r.allowed, r.rule, r.errors) == (d.allowed, d.rule, d.errors)
            assert [a.to_json() for a in r.applied] == [a.to_json() for a in d.applied]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv, IO())
    return status, capsys.readouterr().out


@pytest.mark.parametrize("path", FIXTURE_FILES[:3], ids=lambda p: p.parent.name)
def test_rbac_commands_answer_the_same_on_either_path(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dicts = rbac_dicts(path)
    (tmp_path / "rbac.json").write_bytes(_as_list(dicts))
    idx = RbacIndex.from_objects(dicts)
    runs = []
    for user, groups in _identities(idx)[:6]:
        flags = ["--user", user, *(x for g in groups if not g.startswith("system:") for x in ("--group", g))]
        runs.append(["rbac", "who", *flags, "--bundle", str(tmp_path), "--format", "json"])
        runs.append(["rbac", "can", "list", "pods", "-n", "dev", *flags, "--bundle", str(tmp_path), "--format", "json"])
    by_dict = [_run(a, capsys) for a in runs]
    monkeypatch.setattr(bundle, "TYPED_MIN_BYTES", 0)
    assert all(objects.is_record(i.data) for i in read_bundle(tmp_path).items)
    assert [_run(a, capsys) for a in runs] == by_dict


def test_the_fixtures_are_not_vacuous() -> None:
    # Parity means something only if the fixtures bind people and deny and allow requests.
    idx = RbacIndex.from_objects(rbac_dicts(FIXTURE_FILES[1]))
    decisions = {idx.authorize(u, g, r).allowed for u, g in _identities(idx) for r in REQUESTS}
    assert decisions == {True, False}


def _bundle_with_json_rbac(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    rbac = dst / "rbac.yaml"
    items = rbac_dicts(rbac)
    rbac.unlink()
    (dst / "rbac.json").write_bytes(_as_list(items))




@pytest.mark.parametrize("example", RBAC_EXAMPLES, ids=lambda p: p.name)
def test_diagnosis_is_the_same_on_either_path(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _bundle_with_json_rbac(example, tmp_path / example.name)
    dict_path = diagnose_json(tmp_path / example.name, capsys)
    monkeypatch.setattr(bundle, "TYPED_MIN_BYTES", 0)
    ev = read_bundle(tmp_path / example.name)
    rbac_items = [i for i in ev.items if i.kind is Kind.RBAC]
    assert rbac_items and all(objects.is_record(i.data) for i in rbac_items)
    assert diagnose_json(tmp_path / example.name, capsys) == dict_path


def _binding(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "dev", "labels": {"x": "y"}, "annotations": {"a": "b" * 100}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:subjects": {}}}],
    }
    b.update(over)
    return b


def test_unknown_fields_are_skipped_and_missing_ones_read_as_the_dict_path_reads_them() -> None:
    records = typed_rbac(_as_list([_binding(), _binding(subjects=None, metadata={"name": "n"})]), "x")
    assert records is not None
    first, second = records
    assert first.get("kind") == "RoleBinding" and first["subjects"][0]["name"] == "alice"
    assert first.get("managedFields") is None and "annotations" not in first["metadata"]
    assert namespace_name(second) == ("", "n") and second.get("subjects") is None


@pytest.mark.parametrize(
    "hostile",
    [
        _binding(subjects=[{"kind": "User", "name": 42}]),  # another type than upstream's
        _binding(subjects=["alice"]),
        _binding(metadata={"name": None}),
        _binding(roleRef="view"),
        _binding(kind="Pod"),  # another kind in the list
        _binding(apiVersion="v1"),  # not the RBAC API group: not an RBAC object
        {"kind": "List", "items": [_binding()]},  # a nested List
        _binding(rules=[{"verbs": ["get"]}], kind="ClusterRole", metadata={"labels": {"a": 1}}),
    ],
)
def test_shapes_the_records_do_not_describe_go_to_the_dict_path(hostile: dict[str, Any]) -> None:
    assert typed_rbac(_as_list([_binding(), hostile]), "x") is None


def test_not_a_list_or_not_json_goes_to_the_dict_path() -> None:
    assert typed_rbac(json.dumps(_binding()).encode(), "x") is None
    assert typed_rbac(b'{"kind": "RoleBindingList", "items": [' + b"{" * 10, "x") is None
    assert typed_rbac(b"apiVersion: v1\nkind: List\nitems: []\n", "x") is None
    assert typed_rbac(json.dumps({"kind": "Secret", "items": [_binding()]}).encode(), "x") is None
    assert typed_rbac(json.dumps({"kind": "List", "items": []}).encode(), "x") is None


def test_nesting_beyond_the_limit_goes_to_the_dict_path_which_refuses_it(tmp_path: Path) -> None:
    deep: Any = "x"
    for _ in range(300):
        deep = [deep]
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "deep"},
        "rules": [{"verbs": ["get"], "resources": deep}],
    }
    raw = _as_list([_binding(), role])
    assert typed_rbac(raw, "x") is None
    (tmp_path / "rbac.json").write_bytes(raw + b" " * loader.TYPED_MIN_BYTES)
    ev = read_bundle(tmp_path)
    assert [(r.kind, "nested" in r.reason) for r in ev.inputs] == [("broken", True)]


def test_a_big_list_is_read_typed_by_the_bundle_reader(tmp_path: Path) -> None:
    items = [_binding(metadata={"name": f"b{i}", "namespace": "dev"}) for i in range(4000)]
    raw = _as_list(items)
    assert len(raw) >= loader.TYPED_MIN_BYTES
    (tmp_path / "rbac.json").write_bytes(raw)
    ev = read_bundle(tmp_path)
    assert [(r.kind, r.objects) for r in ev.inputs] == [("rbac", 4000)]
    assert ev.items[7].ref == f"{tmp_path.name}/rbac.json#8 RoleBinding dev/b7"
    assert all(objects.is_record(i.data) for i in ev.items)
    idx = RbacIndex.from_evidence(ev)
    assert len(idx.bindings_naming("User", "alice")) == 4000
