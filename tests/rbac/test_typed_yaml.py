"""kubectl's YAML form of a big RBAC list is read into the typed records, exactly or not at all.

:mod:`oidc_doctor.rbac.yamllist` reads ``kubectl get ... -o yaml`` line by line instead of
building its tree (issue 16: the YAML form at most 2x the JSON form). Its contract: the records
are those the general path (PyYAML, the reference reader) gives after the typed conversion, or
None. Parity on every fixture and example (both in kubectl's shape and in PyYAML's), a property
test over random objects and styles, the texts on which a line reading and PyYAML part ways, and
the bundle reader taking the typed path with the same diagnosis.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from fixturekit import goyaml
from fixturekit.rbacfiles import FIXTURE_FILES, RBAC_EXAMPLES, ROOT, diagnose_json, rbac_dicts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidc_doctor import bundle
from oidc_doctor.bundle import read_bundle
from oidc_doctor.evidence import Kind
from oidc_doctor.rbac import objects
from oidc_doctor.rbac.index import RbacIndex
from oidc_doctor.rbac.objects import RbacRecord
from oidc_doctor.rbac.yamllist import typed_rbac_yaml


def _list(items: list[Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _kubectl(items: list[Any]) -> bytes:
    return goyaml.dump(_list(items)).encode()


def _pyyaml(items: list[Any], **style: Any) -> bytes:
    text: str = yaml.safe_dump(_list(items), default_flow_style=False, sort_keys=True, allow_unicode=True, **style)
    return text.encode()


def _reference(raw: bytes) -> list[Any] | None:
    """What the general path gives, converted as the typed JSON path converts: PyYAML's reading."""
    try:
        docs = list(yaml.load_all(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError:
        return None
    if len(docs) != 1 or not isinstance(docs[0], dict) or not isinstance(docs[0].get("items"), list):
        return None
    try:
        records = [msgspec.convert(i, type=RbacRecord) for i in docs[0]["items"]]
    except msgspec.ValidationError:
        return None
    if not all((r.apiVersion or "").startswith("rbac.authorization.k8s.io/") for r in records):
        return None
    return records


def _binding(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": "b",
            "namespace": "dev",
            "labels": {"x": "y"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"kind":"RoleBinding"}\n'},
            "creationTimestamp": "2026-01-01T10:00:00Z",
            "resourceVersion": "100",
        },
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "oidc:alice"}],
    }
    b.update(over)
    return b


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("shape", ["kubectl", "pyyaml"])
def test_records_are_the_general_paths(path: Path, shape: str) -> None:
    dicts = rbac_dicts(path)
    raw = _kubectl(dicts) if shape == "kubectl" else _pyyaml(dicts)
    records = typed_rbac_yaml(raw, "x")
    assert records is not None and all(objects.is_record(r) for r in records)
    assert records == _reference(raw)
    by_dict, by_record = RbacIndex.from_objects(dicts), RbacIndex.from_objects(records)
    assert by_record.by_subject == by_dict.by_subject
    assert sorted(by_record.cluster_roles) == sorted(by_dict.cluster_roles)


def test_kubectl_bindings_and_roles_are_read_by_the_line_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fast reading must actually happen: the general reader is refused here, and bindings and
    # roles in kubectl's shape (annotations as a literal block, quoted numbers, "" and '*') still read.
    from oidc_doctor.rbac import yamllist

    def refuse(*_: Any) -> bool:
        raise AssertionError("the general reader was used")

    monkeypatch.setattr(yamllist, "_convert_others", refuse)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "reader", "namespace": "dev", "labels": {"app.kubernetes.io/name": "x", "v": "1.2"}},
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"], "resourceNames": []},
            {"nonResourceURLs": ["/healthz"], "verbs": ["get"]},
        ],
    }
    empty = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "e"}}
    empty["rules"] = []
    raw = _kubectl([_binding(), _binding(kind="ClusterRoleBinding", metadata={"name": "c"}), role, empty])
    records = typed_rbac_yaml(raw, "x")
    assert records == _reference(raw)
    assert records is not None and records[0]["subjects"][0]["name"] == "oidc:alice"
    assert records[1]["metadata"]["namespace"] == ""
    assert records[2]["rules"][1] == {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"], "resourceNames": []}
    assert records[2]["metadata"]["labels"] == {"app.kubernetes.io/name": "x", "v": "1.2"}
    assert records[3]["rules"] == [] and records[3]["metadata"].get("labels") is None


_TEXT = st.lists(
    st.sampled_from([*"abcXYZ019 :-#'\"*&!|>{}[],.?/@_\\é\t\n", "true", "null", "1e3", "0x1F", "~", "oidc:", "  "]),
    max_size=8,
).map("".join)
# Mostly names as clusters have them (so the line reader reads most items), some of anything.
_SAFE = st.from_regex(r"[a-zA-Z/_][a-z0-9:@./#-]{0,12}", fullmatch=True)
_TRICKY = st.sampled_from(["123", "yes", "no", "Off", "", "a: b", "x #y", " a", "a ", "é", "a:", "-a", "a\\b", "'q'"])
_NAME = st.one_of(_SAFE, _SAFE, _SAFE, _SAFE, _TEXT, _TRICKY)
_ANNOTATION = st.one_of(_SAFE, _TEXT, st.builds(lambda n: json.dumps({"kind": "RoleBinding", "name": n}) + "\n", _NAME))
_SUBJECT = st.fixed_dictionaries(
    {"kind": st.sampled_from(["User", "Group", "ServiceAccount"]), "name": _NAME},
    optional={"namespace": _NAME, "apiGroup": st.just("rbac.authorization.k8s.io")},
)
_META = st.fixed_dictionaries(
    {"name": _NAME},
    optional={
        "namespace": _NAME,
        "annotations": st.dictionaries(st.one_of(_SAFE, _TEXT.filter(bool)), _ANNOTATION, max_size=3),
        "labels": st.dictionaries(_SAFE, _NAME, max_size=2),
        "resourceVersion": st.just("100"),
    },
)
_ITEM = st.fixed_dictionaries(
    {
        "apiVersion": st.sampled_from(["rbac.authorization.k8s.io/v1"] * 5 + ["v1"]),
        "kind": st.sampled_from(["RoleBinding", "ClusterRoleBinding"] * 3 + ["ClusterRole", "Role"]),
        "metadata": _META,
        "roleRef": st.fixed_dictionaries(
            {"kind": st.sampled_from(["ClusterRole", "Role"]), "name": _NAME},
            optional={"apiGroup": st.just("rbac.authorization.k8s.io")},
        ),
    },
    optional={
        "subjects": st.lists(_SUBJECT, max_size=3),
        "rules": st.lists(
            st.fixed_dictionaries(
                {"verbs": st.lists(st.one_of(_NAME, st.just("*")), max_size=2)},
                optional={
                    "apiGroups": st.lists(st.sampled_from(["", "apps", "*"]), max_size=2),
                    "resources": st.just([]),
                },
            ),
            max_size=2,
        ),
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(_ITEM, min_size=1, max_size=4), style=st.sampled_from(["kubectl", "pyyaml", "narrow", "quoted"]))
def test_any_list_reads_as_the_general_path_or_not_at_all(items: list[dict[str, Any]], style: str) -> None:
    if style == "kubectl":
        raw = _kubectl(items)
    elif style == "narrow":
        raw = _pyyaml(items, width=20)  # long strings folded over lines
    elif style == "quoted":
        raw = _pyyaml(items, default_style='"')
    else:
        raw = _pyyaml(items)
    records = typed_rbac_yaml(raw, "x")
    if records is not None:
        assert records == _reference(raw)


def _list_text(item_lines: str) -> bytes:
    return f"apiVersion: v1\nitems:\n{item_lines}kind: List\nmetadata:\n  resourceVersion: \"\"\n".encode()


GOOD = (
    "- apiVersion: rbac.authorization.k8s.io/v1\n"
    "  kind: RoleBinding\n"
    "  metadata:\n"
    "    name: b\n"
    "    namespace: dev\n"
    "  roleRef:\n"
    "    apiGroup: rbac.authorization.k8s.io\n"
    "    kind: ClusterRole\n"
    "    name: view\n"
    "  subjects:\n"
    "  - kind: User\n"
    "    name: alice\n"
)

ROLE = (
    "- apiVersion: rbac.authorization.k8s.io/v1\n"
    "  kind: ClusterRole\n"
    "  metadata:\n"
    "    labels:\n"
    "      app: x\n"
    "    name: r\n"
    "  rules:\n"
    "  - apiGroups:\n"
    '    - ""\n'
    "    verbs:\n"
    "    - get\n"
)


@pytest.mark.parametrize(
    "item",
    [
        # PyYAML reads a quoted scalar or a flow collection on past its key's column (YAML 1.2
        # refuses it): the binding's name is then inside the annotation, and the binding has none.
        GOOD.replace("    name: b\n", "    annotations:\n      a: 'x\n    name: b'\n"),
        GOOD.replace("    name: b\n", '    uid: "x\n    name: b"\n'),
        GOOD.replace("    name: b\n", "    annotations: {a: b,\n    name: b}\n"),
        GOOD.replace("    name: b\n", "    finalizers: [a,\n    name: b]\n"),
        GOOD.replace("    name: b\n", "    annotations:\n      a: [x,\n    name: b]\n"),
        # values that are not strings, or not these strings
        GOOD.replace("name: alice", "name: 123"),
        GOOD.replace("name: alice", "name: true"),
        GOOD.replace("name: alice", "name: ~"),
        GOOD.replace("name: alice", "name: alice # a comment"),
        GOOD.replace("name: alice", 'name: "al\\x69ce"'),
        GOOD.replace("name: alice", "name: 'it''s'"),
        GOOD.replace("name: alice", "name: &a alice"),
        GOOD.replace("name: alice", "name: !!str alice"),
        GOOD.replace("    name: b\n", "    name: b\n    name: c\n"),  # a duplicate key: the last wins
        GOOD.replace("  kind: RoleBinding\n", "  kind: RoleBinding\n  extra: x\n"),
        GOOD.replace("  - kind: User\n", "  - kind: User\n    extra: x\n"),
        GOOD.replace("  roleRef:\n", "  roleRef:\n    extra: x\n"),
        GOOD + "  - {kind: Group, name: dev}\n",
        GOOD.replace("    apiGroup: rbac.authorization.k8s.io\n    kind: ClusterRole\n    name: view\n", ""),
        GOOD.replace("    name: b\n", "    name: b\n    labels:\n      a: |\n        x\n      b: >-\n        y\n"),
        GOOD.replace("    name: b\n", "    name: b\n    annotations:\n      a: 'multi\n\n        line'\n"),
        GOOD.replace("    name: b\n", "    name: b\n    finalizers:\n    - a\n    - 'b'\n"),
        # Roles: labels and rules are kept, so every line of them is read or the item is not
        ROLE,
        ROLE.replace("    labels:\n      app: x\n", "    labels: {}\n"),
        ROLE.replace("      app: x\n", "      123: x\n"),
        ROLE.replace("      app: x\n", "      yes: x\n"),
        ROLE.replace("      app: x\n", "      app: \"\"\n"),
        ROLE.replace("      app: x\n", "      app: 1.5\n"),
        ROLE.replace("    verbs:\n    - get\n", "    verbs: [get]\n"),
        ROLE.replace("    verbs:\n    - get\n", "    verbs:\n"),
        ROLE.replace("    verbs:\n    - get\n", "    verbs:\n    - get\n    extra: 1\n"),
        ROLE.replace("    - get\n", "    - get # c\n"),
        ROLE.replace("  rules:\n", "  rules:\n  - verbs: []\n"),
        ROLE.replace("  kind: ClusterRole\n", "  kind: ClusterRole\n  aggregationRule: {}\n"),
    ],
)
def test_texts_on_which_a_line_reading_could_differ_read_as_pyyaml_reads_them(item: str) -> None:
    raw = _list_text(GOOD + item)
    assert typed_rbac_yaml(raw, "x") == _reference(raw)


@pytest.mark.parametrize(
    "raw",
    [
        _list_text(GOOD).replace(b"\n", b"\r\n"),
        _list_text(GOOD).replace(b"alice", b"al\xc2\x85ice"),  # NEL: a line break to YAML
        _list_text(GOOD).replace(b"alice", b"al\x01ice"),
        b"\xef\xbb\xbf" + _list_text(GOOD),
        _list_text(GOOD) + b"---\nkind: Pod\n",
        _list_text(GOOD).replace(b"kind: List", b"kind: Secret"),
        _list_text(GOOD.replace("RoleBinding", "Pod")),
        _list_text(GOOD.replace("rbac.authorization.k8s.io/v1", "v1")),
        _list_text(""),
        GOOD.encode(),
        b"apiVersion: v1\nitems:\n  - kind: RoleBinding\nkind: List\n",  # indented items: not kubectl's shape
        _list_text(GOOD.replace("  kind: RoleBinding\n", "  kind: RoleBinding\n", 1)).replace(b"items:", b"items: []"),
    ],
)
def test_what_is_not_kubectls_list_goes_to_the_general_path(raw: bytes) -> None:
    assert typed_rbac_yaml(raw, "x") is None


def test_broken_items_send_the_whole_file_to_the_general_path() -> None:
    # An item the expression does not read is read by the general reader; when that fails, the
    # file is not read here at all (the general path then says what is wrong, with its line).
    broken = GOOD.replace("  subjects:\n", "  subjects: [\n")
    assert typed_rbac_yaml(_list_text(GOOD + broken), "x") is None
    deep = "x"
    for _ in range(300):
        deep = f"[{deep}]"
    role = (
        "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n"
        f"  metadata:\n    name: r\n  rules:\n  - verbs: {deep}\n"
    )
    assert typed_rbac_yaml(_list_text(GOOD + role), "x") is None


def test_hostile_lines_cost_linear_time() -> None:
    # Possessive repeats: a long run of stepped-over lines with open quotes, then a failure,
    # is read once (a backtracking expression would try 2^n splits of it).
    lines = "".join(f"      k{i}: 'v ''{i}'' x\n" for i in range(20000))
    item = GOOD.replace("    name: b\n", f"    name: b\n    annotations:\n{lines}    broken\n")
    assert typed_rbac_yaml(_list_text(item), "x") == _reference(_list_text(item))
    # lines that two alternatives of the List's tail both read, then one neither does: 28 of them
    # took 36 s before the tail's repeats were possessive
    tail = ("apiVersion: v1\nitems:\n" + GOOD + "kind: List\nmetadata:\n" + "  \n" * 5000 + "x").encode()
    assert typed_rbac_yaml(tail, "x") is None


def test_roles_and_odd_items_are_converted_in_one_batch() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r", "labels": {"agg": "yes"}},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "yes"}}]},
    }
    odd = _binding(metadata={"name": "2048-game", "namespace": "2048"})  # digits first: the general reader
    raw = _kubectl([role, _binding(), odd])
    records = typed_rbac_yaml(raw, "x")
    assert records == _reference(raw)
    assert records is not None and type(records[0]) is objects.ClusterRole
    assert records[2]["metadata"]["name"] == "2048-game"


def test_shared_subject_records_cannot_be_changed() -> None:
    raw = _kubectl([_binding(), _binding(metadata={"name": "c", "namespace": "dev"})])
    records = typed_rbac_yaml(raw, "x")
    assert records is not None
    first, second = records[0].subjects[0], records[1].subjects[0]
    assert first is second
    with pytest.raises(AttributeError):
        first.name = "mallory"




@pytest.mark.parametrize("example", RBAC_EXAMPLES, ids=lambda p: p.name)
def test_diagnosis_is_the_same_when_the_bundle_reader_takes_the_yaml_path(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dst = tmp_path / example.name
    shutil.copytree(example, dst)
    (dst / "rbac.yaml").write_bytes(_kubectl(rbac_dicts(dst / "rbac.yaml")))
    dict_path = diagnose_json(dst, capsys)
    monkeypatch.setattr(bundle, "TYPED_MIN_BYTES", 0)
    ev = read_bundle(dst)
    rbac_items = [i for i in ev.items if i.kind is Kind.RBAC]
    assert rbac_items and all(objects.is_record(i.data) for i in rbac_items)
    assert diagnose_json(dst, capsys) == dict_path


QA_LISTS = sorted(
    p
    for p in (ROOT / "tests" / "qa" / "bundles").glob("*/*.yaml")
    if p.read_bytes().startswith(b"apiVersion: v1\nitems:")
)


def test_the_qa_bundles_lists_are_read_by_the_line_reader_or_left_to_the_general_one() -> None:
    # The QA bundles are written by the fixture kit as kubectl prints them: every RBAC list among
    # them reads typed, exactly as PyYAML reads it, and every other list is left alone.
    typed = 0
    for path in QA_LISTS:
        raw = path.read_bytes()
        records = typed_rbac_yaml(raw, str(path))
        reference = _reference(raw)
        assert records == reference, path
        typed += records is not None
    assert typed >= 20 and len(QA_LISTS) > typed
