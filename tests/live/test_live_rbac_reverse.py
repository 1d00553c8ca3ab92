"""``rbac who-can``, ``rbac who --match`` and ``--as``/``--as-group`` read live, from the HTTPS API test double.

The double serves ``fixtures/cluster-rbac.yaml`` (rbac tests) as ``kubectl get -o json`` would;
the answers must equal the bundle's, and only RBAC is read.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apiserver_double import ApiServerDouble
from live_testkit import ALICE, USER_TOKEN, populate, run

FIXTURES = Path(__file__).resolve().parents[1] / "rbac" / "fixtures"


@pytest.fixture
def double() -> Iterator[ApiServerDouble]:
    with ApiServerDouble(users={USER_TOKEN: ALICE}) as d:
        yield d


@pytest.fixture
def bundle(tmp_path: Path) -> str:
    folder = tmp_path / "bundle"
    folder.mkdir()
    shutil.copy(FIXTURES / "cluster-rbac.yaml", folder / "rbac.yaml")
    return str(folder)


def _same_as_the_bundle(argv: list[str], kc: str, bundle: str) -> dict[str, Any]:
    status, out, err = run([*argv, "--kubeconfig", kc, "-o", "json"])
    assert status in (0, 1), err
    live = json.loads(out)
    status_b, out_b, _ = run([*argv, "--bundle", bundle, "-o", "json"])
    offline = json.loads(out_b)
    assert status_b == status
    live.pop("inputs"), offline.pop("inputs")
    assert live == offline
    result: dict[str, Any] = live
    return result


def test_who_can_live_equals_the_bundle(double: ApiServerDouble, tmp_path: Path, bundle: str) -> None:
    populate(double)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    doc = _same_as_the_bundle(["rbac", "who-can", "list", "pods", "-n", "dev"], kc, bundle)
    assert doc["subjects"] == [
        {"kind": "Group", "name": "oidc:sre"},
        {"kind": "User", "name": "oidc:alice@example.com"},
        {"kind": "Group", "name": "oidc:dev"},
    ]
    assert not any("/apis/apps/" in r.path for r in double.requests)  # RBAC only


def test_who_match_live_equals_the_bundle(double: ApiServerDouble, tmp_path: Path, bundle: str) -> None:
    populate(double)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    doc = _same_as_the_bundle(["rbac", "who", "--match", "DEPLOYER"], kc, bundle)
    assert doc["subjects"] and all(s["subject"]["name"] == "deployer" for s in doc["subjects"])


def test_as_and_as_group_live(double: ApiServerDouble, tmp_path: Path, bundle: str) -> None:
    populate(double)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    doc = _same_as_the_bundle(
        ["rbac", "can", "get", "pods", "-n", "dev", "--as", "oidc:bob", "--as-group", "oidc:dev"], kc, bundle
    )
    assert doc["allowed"] is True
    # no impersonation header reached the API server: the identity is judged against what was read
    assert all("Impersonate-User" not in r.headers for r in double.requests)
