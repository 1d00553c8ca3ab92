"""The fast YAML path reads exactly what PyYAML reads, or steps aside."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_doctor import loader
from oidc_doctor.errors import InputError


def _pyyaml(raw: bytes) -> list[Any]:
    return [d for d in yaml.safe_load_all(raw) if d is not None]


KUBECTL_LIKE = b"""apiVersion: v1
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata:
    annotations:
      note: 'it''s "quoted"'
    creationTimestamp: "2026-01-01T10:00:00Z"
    name: rb-1
    namespace: dev
    resourceVersion: "1234"
    uid: 00000000-1111-4222-8333-000000000000
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: view
  subjects:
  - kind: User
    name: "oidc:alice"
  - kind: Group
    name: 'true'
  rules:
  - verbs:
    - '*'
    resources: []
    nonResourceURLs: {}
    replicas: 3
    ratio: 1.5
    empty:
    nothing: null
    block: |
      line one
      line two
kind: List
metadata:
  resourceVersion: ""
---
second: doc
"""


def test_fast_reader_equals_pyyaml_on_kubectl_output() -> None:
    assert loader.fast_yaml_applies(KUBECTL_LIKE)
    fast = loader.fast_yaml(KUBECTL_LIKE)
    assert fast is not None and loader._same(fast, _pyyaml(KUBECTL_LIKE))


@pytest.mark.parametrize(
    "snippet",
    [
        b"a: ~\n",
        b"a: yes\n",
        b"a: True\n",
        b"a: 0o17\n",
        b"a: 012\n",
        b"a: 1e3\n",
        b"a: &x 1\nb: *x\n",
        b"a: !!str 1\n",
        b"- NO\n",
        b"a: [yes, 1]\n",
        b"a: 1:20\n",
        b"a:\tyes\n",
    ],
)
def test_fast_reader_steps_aside_where_yaml_1_1_differs(snippet: bytes) -> None:
    assert not loader.fast_yaml_applies(snippet)


@pytest.mark.parametrize(
    "snippet", [b"a: 1.2.3\n", b"a: 00000000-1111\n", b"a: -12\n", b"a: null\n", b"a: 1.5\n", b"- 3\n"]
)
def test_where_the_fast_reader_applies_it_reads_what_pyyaml_reads(snippet: bytes) -> None:
    assert loader.fast_yaml_applies(snippet)
    assert loader.fast_yaml(snippet) == _pyyaml(snippet)


def test_big_yaml_goes_through_the_fast_path_and_matches_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "FAST_YAML_MIN_BYTES", 0)
    assert loader.parse_text(KUBECTL_LIKE, "x") == _pyyaml(KUBECTL_LIKE)
    tricky = b"a: yes\nb: ~\n"
    assert loader.parse_text(tricky, "x") == [{"a": True, "b": None}]


def test_broken_yaml_still_names_file_and_line_with_the_fast_path_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "FAST_YAML_MIN_BYTES", 0)
    with pytest.raises(InputError) as e:
        loader.parse_text(b"a: [1, 2\nb: c\n", "bundle/rbac.yaml")
    assert str(e.value).startswith("bundle/rbac.yaml: broken YAML at line")


_SCALAR_CHARS = "0123456789abcdefxoEeINFinfaNYyesnoTruFlsO.-+_:~ |>#'\"[]{},"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=_SCALAR_CHARS, min_size=1, max_size=12), min_size=1, max_size=4))
def test_plain_scalars_either_read_alike_or_go_to_pyyaml(values: list[str]) -> None:
    # values only: a mapping key such as `on:` is a documented limit of the fast path
    raw = "".join(f"k{i}: {v}\n" for i, v in enumerate(values)).encode()
    try:
        expected = _pyyaml(raw)
    except (yaml.YAMLError, ValueError):
        # not YAML PyYAML can read (ValueError: `0b_` resolves as a binary int and fails)
        return
    if loader.fast_yaml_applies(raw):
        fast = loader.fast_yaml(raw)
        assert fast is None or loader._same(fast, expected), raw


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        # keys as Kubernetes fields and label keys look (mapping keys are not scanned: docs/rbac.md)
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.dictionaries(st.from_regex(r"[a-zA-Z][a-zA-Z0-9./-]{0,8}", fullmatch=True), kids, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_pyyaml_dumped_documents_read_alike(value: Any) -> None:
    raw = yaml.safe_dump({"v": value}).encode()
    if loader.fast_yaml_applies(raw):
        fast = loader.fast_yaml(raw)
        assert fast is None or loader._same(fast, _pyyaml(raw)), raw
