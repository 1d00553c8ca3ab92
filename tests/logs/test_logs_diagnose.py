"""``oidc-doctor diagnose`` on the example bundles that hold logs: the logs' word comes first."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from oidc_doctor.cli import main
from oidc_doctor.io import IO

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("bundle", "cause", "ref"),
    [
        ("issuer-ca-untrusted", "issuer-ca-untrusted", "kube-apiserver.log:2"),
        ("issuer-unreachable", "issuer-unreachable", "kube-apiserver.log:"),
        ("kubeapps-audience-mismatch", "audience-mismatch", "kube-apiserver.log:"),
        ("proxy-header-too-large", "proxy-header-too-large", "ingress-nginx.log:"),
    ],
)
def test_diagnose_puts_the_cause_the_logs_reveal_first(bundle: str, cause: str, ref: str) -> None:
    out = io.StringIO()
    argv = ["diagnose", "--bundle", str(EXAMPLES / bundle), "--now", "2026-11-28T10:25:12Z", "--format", "json"]
    status = main(argv, IO(stdout=out, stderr=io.StringIO(), env={}))
    report = json.loads(out.getvalue())
    assert status == 1
    first = report["findings"][0]
    assert (first["cause"], first["origin"]) == (cause, "observed")
    assert first["evidence"][0]["source"] == "log"
    assert ref in first["evidence"][0]["ref"]
