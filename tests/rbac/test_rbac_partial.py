"""RBAC read only in part (a refused list in a live read or a collected bundle): an absence is no evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.model import Status
from oidc_doctor.pipeline import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)


def test_no_binding_is_unknown_when_part_of_rbac_could_not_be_read() -> None:
    ev = read_bundle(EXAMPLES / "rbac-no-binding")
    full = run(ev, Context(now=NOW))
    assert "rbac-no-binding" in [f.cause for f in full.findings]

    ev = read_bundle(EXAMPLES / "rbac-no-binding")
    ev.blind["rbac"] = "list rolebindings in ops: 403 Forbidden"
    partial = run(ev, Context(now=NOW))
    status = {c.id: c.result for c in partial.checks}
    assert status["rbac.binding"].status == Status.UNKNOWN
    assert "403 Forbidden" in status["rbac.binding"].reason
    assert "rbac-no-binding" not in [f.cause for f in partial.findings]


def test_a_token_the_api_server_rejects_leaves_rbac_unjudged_and_says_why() -> None:
    report = run(read_bundle(EXAMPLES / "kubeapps-audience-mismatch"), Context(now=NOW))
    binding = {c.id: c.result for c in report.checks}["rbac.binding"]
    assert binding.status == Status.UNKNOWN
    assert "authentication fails before RBAC" in binding.reason and "expected audience" in binding.reason
