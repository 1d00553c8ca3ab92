"""End to end: ``oidc-doctor diagnose`` on every example bundle names the expected root cause.

``examples/expected.json`` (written by ``examples/generate.py``) says, per bundle, which cause must
come first and which must be present; together the bundles cover every cause code.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.causes import BY_CODE
from oidc_doctor.cli import main
from oidc_doctor.io import IO

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "expected.json").read_text())
NOW = "2026-11-28T10:25:12Z"


def _diagnose(name: str) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(EXAMPLES / name), "--now", NOW, "--format", "json"],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    return status, json.loads(out.getvalue()), err.getvalue()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_bundle_names_its_cause(name: str) -> None:
    expect = EXPECTED[name]
    status, report, err = _diagnose(name)
    causes = [f["cause"] for f in report["findings"]]
    assert status == (1 if any(f["severity"] == "error" for f in report["findings"]) else 0), err
    if "first" in expect:
        assert causes and causes[0] == expect["first"], causes
    for code in expect.get("present", []):
        assert code in causes, causes
    if expect.get("no_errors"):
        assert status == 0
        assert all(f["severity"] != "error" for f in report["findings"]), report["findings"]
    assert all(r["kind"] not in ("unrecognised", "broken") for r in report["inputs"]), report["inputs"]
    assert all(c["status"] in ("pass", "fail", "unknown", "skipped") for c in report["checks"])


def test_the_examples_cover_every_cause_code() -> None:
    covered = {e["first"] for e in EXPECTED.values() if "first" in e}
    covered |= {c for e in EXPECTED.values() for c in e.get("present", [])}
    assert covered == set(BY_CODE)


def test_the_healthy_bundle_has_no_error_or_warning() -> None:
    status, report, _ = _diagnose("healthy")
    assert status == 0
    assert [f["severity"] for f in report["findings"]] == ["info"] * len(report["findings"])
    assert report["identity"]["username"] == "oidc:alice@example.com"


def test_a_request_steers_the_rbac_verdict() -> None:
    o, out, _ = _io_pair()
    bundle = str(EXAMPLES / "rbac-insufficient-permissions")
    args = ["diagnose", "--bundle", bundle, "--now", "2026-11-28T10:25:12Z", "--format", "json"]
    main([*args, "--request", "delete secrets -n dev"], o)
    findings = json.loads(out.getvalue())["findings"]
    assert any(f["cause"] == "rbac-insufficient-permissions" and "secrets" in f["title"] for f in findings), findings


def _io_pair() -> tuple[IO, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}), out, err


def test_the_generator_output_is_committed_as_is(tmp_path: Path) -> None:
    # examples/generate.py signs with seeded keys: a re-run writes the same bytes as committed.
    spec = importlib.util.spec_from_file_location("examples_generate", EXAMPLES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        module.main(tmp_path)
    finally:
        del sys.modules[spec.name]
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {
        p.relative_to(EXAMPLES): p.read_bytes()
        for p in EXAMPLES.rglob("*")
        if p.is_file() and p.name != "generate.py" and "__pycache__" not in p.parts
    }
    assert sorted(map(str, fresh)) == sorted(map(str, committed))
    changed = [str(k) for k in fresh if fresh[k] != committed[k]]
    assert not changed, f"run `python examples/generate.py` and commit: {changed}"
