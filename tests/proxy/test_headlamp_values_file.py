"""Headlamp known only by its chart values (the user's values.yaml): its own OIDC login as a client.

The values are kubernetes-sigs/headlamp#2848's (secret replaced), with the EKS identity provider
config of the same thread; without the Deployment the client is judged from ``config.oidc.*``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.evidence import Kind
from oidc_doctor.pipeline import run

FIELD = Path(__file__).resolve().parents[1] / "field" / "bundles" / "headlamp-2848-eks-keycloak-separate-client"


def test_values_alone_make_headlamp_a_client_and_name_the_audience_mismatch(tmp_path: Path) -> None:
    for name in ("headlamp-values.yaml", "identity-provider-config.json", "rbac.yaml"):
        (tmp_path / name).write_text((FIELD / name).read_text())
    ev = read_bundle(tmp_path)
    assert ev.of(Kind.HELM_VALUES)
    report = run(ev, Context(now=datetime(2025, 2, 13, tzinfo=UTC), now_source="flag")).to_json()
    first = report["findings"][0]
    assert first["cause"] == "audience-mismatch", [f["cause"] for f in report["findings"]]
    assert "Headlamp chart values" in first["title"]
    assert "--set config.oidc.clientID=kubernetes" in first["fix"] and "RELEASE" in first["fix"]
    assert "clientSecret" not in json.dumps(report["findings"])


def test_the_deployment_wins_over_the_values_file(tmp_path: Path) -> None:
    for name in ("headlamp-values.yaml", "headlamp-deployment.yaml", "identity-provider-config.json"):
        (tmp_path / name).write_text((FIELD / name).read_text())
    from oidc_doctor.checks.clients import headlamps

    found = headlamps(read_bundle(tmp_path))
    assert found and all("Headlamp chart values" not in c.ref for c in found)


def test_values_without_oidc_keys_are_not_headlamp(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("config:\n  inCluster: true\nreplicaCount: 1\n")
    assert not read_bundle(tmp_path).of(Kind.HELM_VALUES)
