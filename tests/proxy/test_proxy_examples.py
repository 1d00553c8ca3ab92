"""``diagnose`` reports the proxy causes on the example bundles (end to end through the CLI)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from oidc_doctor.cli import main
from oidc_doctor.io import IO

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
NOW = "2026-11-28T10:25:12Z"


def _diagnose(bundle: str) -> tuple[int, dict[str, object]]:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(EXAMPLES / bundle), "--now", NOW, "--format", "json"],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    report: dict[str, object] = json.loads(out.getvalue())
    return status, report


@pytest.mark.parametrize(
    ("bundle", "cause"),
    [
        ("proxy-cookie-refresh-missing", "proxy-cookie-refresh-missing"),
        ("proxy-cookie-refresh-too-long", "proxy-cookie-refresh-too-long"),
        ("proxy-refresh-unsupported", "proxy-refresh-unsupported"),
        ("proxy-token-not-forwarded", "proxy-token-not-forwarded"),
        ("proxy-authorization-header-exposed", "proxy-authorization-header-exposed"),
        ("proxy-config-invalid", "proxy-config-invalid"),
        ("kubeapps-audience-mismatch", "proxy-cookie-refresh-missing"),
    ],
)
def test_diagnose_reports_the_proxy_cause(bundle: str, cause: str) -> None:
    status, report = _diagnose(bundle)
    findings = report["findings"]
    assert isinstance(findings, list)
    assert cause in [f["cause"] for f in findings]
    assert status == (0 if cause == "proxy-authorization-header-exposed" else 1)


def test_the_healthy_example_has_no_proxy_finding_and_every_proxy_check_looked() -> None:
    status, report = _diagnose("healthy")
    assert status == 0
    findings = report["findings"]
    checks = report["checks"]
    assert isinstance(findings, list) and isinstance(checks, list)
    assert not [f for f in findings if f["check"].startswith("proxy.")]
    statuses = {c["id"]: c["status"] for c in checks if c["id"].startswith("proxy.")}
    assert statuses["proxy.cookie-refresh"] == "pass"
    assert "fail" not in statuses.values()
