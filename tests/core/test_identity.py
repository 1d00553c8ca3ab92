"""A saved SelfSubjectReview is the API server's own word about the identity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.pipeline import run

REVIEW = {
    "apiVersion": "authentication.k8s.io/v1",
    "kind": "SelfSubjectReview",
    "metadata": {"creationTimestamp": None},
    "status": {
        "userInfo": {
            "username": "oidc:alice@example.com",
            "groups": ["oidc:dev", "system:authenticated"],
            "extra": {"authentication.kubernetes.io/credential-id": ["JTI=abc"]},
        }
    },
}


def test_selfsubjectreview_sets_the_identity_and_reports_token_accepted(tmp_path: Path) -> None:
    (tmp_path / "whoami.yaml").write_text(yaml.safe_dump(REVIEW))
    report = run(read_bundle(tmp_path), Context(now=datetime(2026, 11, 28, tzinfo=UTC)))
    data = report.to_json()
    assert data["identity"] == {
        "username": "oidc:alice@example.com",
        "groups": ["oidc:dev", "system:authenticated"],
        "uid": "",
        "extra": {"authentication.kubernetes.io/credential-id": ["JTI=abc"]},
        "source": "selfsubjectreview",
    }
    accepted = [f for f in data["findings"] if f["cause"] == "token-accepted"]
    assert accepted and accepted[0]["severity"] == "info" and accepted[0]["origin"] == "observed"
    assert report.exit_status() == 0
