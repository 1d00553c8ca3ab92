"""Acceptance: ``oidc-doctor diagnose`` on bundles shaped like real tool output names the right cause.

The bundles under ``tests/qa/bundles/`` are written by ``make_bundles.py`` (kubectl Lists with
managedFields, ``helm template`` output, EKS JSON, GKE ClientConfig, k3s/RKE2 Nodes, klog / JSON /
journald logs, kubelogin's ExecCredential; tokens shaped like Keycloak, Dex, Azure AD, Okta, Google
and GitLab ones). ``bundles/expected.json`` says, per bundle, the first cause (or that the setup is
healthy), the identity, and which kinds of input each bundle must be read as.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.cli import main
from oidc_doctor.io import IO

HERE = Path(__file__).resolve().parent
BUNDLES = HERE / "bundles"
EXPECTED: dict[str, dict[str, Any]] = json.loads((BUNDLES / "expected.json").read_text())
NOW = "2026-11-28T10:25:12Z"


def _diagnose(name: str) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(BUNDLES / name), "--now", NOW, "--format", "json"],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    return status, json.loads(out.getvalue()), err.getvalue()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bundle_names_its_first_cause_and_reads_every_file(name: str) -> None:
    expect = EXPECTED[name]
    status, report, err = _diagnose(name)
    causes = [f["cause"] for f in report["findings"]]
    if expect.get("healthy"):
        assert status == 0, (causes, err)
        assert all(f["severity"] == "info" for f in report["findings"]), report["findings"]
        assert "token-accepted" in causes
    else:
        assert status == 1, (causes, err)
        assert causes and causes[0] == expect["first"], causes
    for code in expect.get("present", []):
        assert code in causes, causes
    unused = {f"{name}/{f}" for f in expect.get("unused", [])}
    kinds = {r["kind"] for r in report["inputs"] if r["ref"] not in unused}
    assert not kinds & {"unrecognised", "broken", "unreadable"}, report["inputs"]
    # Files a user may send that are not the evidence asked for are named as not used.
    assert {r["ref"] for r in report["inputs"] if r["kind"] == "unrecognised"} == unused
    assert set(expect["kinds"]) <= kinds, report["inputs"]
    if "username" in expect:
        assert report["identity"] is not None and report["identity"]["username"] == expect["username"]
    if "groups" in expect:
        assert report["identity"]["groups"] == expect["groups"]


def test_every_bundle_fails_or_is_healthy_by_its_name() -> None:
    for name, expect in EXPECTED.items():
        assert ("-HEALTHY" in name) == bool(expect.get("healthy")), name
        if "-FAILS-" in name:
            assert name.split("-FAILS-", 1)[1].startswith(expect["first"]), name


def test_the_generator_output_is_committed_as_is(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("qa_make_bundles", HERE / "make_bundles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        module.write(tmp_path / "bundles")
    finally:
        del sys.modules[spec.name]
    fresh = {
        p.relative_to(tmp_path / "bundles"): p.read_bytes() for p in (tmp_path / "bundles").rglob("*") if p.is_file()
    }
    committed = {p.relative_to(BUNDLES): p.read_bytes() for p in BUNDLES.rglob("*") if p.is_file()}
    assert sorted(map(str, fresh)) == sorted(map(str, committed))
    changed = [str(k) for k in fresh if fresh[k] != committed[k]]
    assert not changed, f"run `python tests/qa/make_bundles.py` and commit: {changed}"
