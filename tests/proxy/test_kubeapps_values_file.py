"""A Kubeapps values file alone (the user's values.yaml, ``helm get values``) as evidence.

The values are bitnami/charts#10820's (chart 8.1.11, secrets replaced): ``authProxy`` with
``extraFlags``. Without the chart version only what the file sets can be judged: charts before
7.1.0 render no ``--cookie-refresh``, later ones default ``authProxy.cookieRefresh`` to ``2m``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.evidence import Kind
from oidc_doctor.pipeline import run

AUTH_PROXY: dict[str, Any] = {
    "enabled": True,
    "provider": "oidc",
    "clientID": "kubeapps",
    "clientSecret": "values-file-secret-do-not-print",
    "cookieSecret": "values-file-cookie-do-not-print",
    "skipKubeappsLoginPage": False,
    "extraFlags": ["--ssl-insecure-skip-verify", "--cookie-secure=false", "--scope=openid email groups"],
}
VALUES: dict[str, Any] = {
    "ingress": {"enabled": True, "hostname": "kubeapps.k8s.local", "tls": True},
    "authProxy": AUTH_PROXY,
    "postgresql": {"primary": {"persistence": {"enabled": True}}},
}


def _report(tmp_path: Path, values: dict[str, Any]) -> dict[str, Any]:
    (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
    ev = read_bundle(tmp_path)
    assert [i.kind for i in ev.items] == [Kind.HELM_VALUES]
    out: dict[str, Any] = run(ev, Context(now=datetime(2022, 6, 20, tzinfo=UTC), now_source="flag")).to_json()
    return out


def _refresh(report: dict[str, Any]) -> dict[str, str]:
    return next(c for c in report["checks"] if c["id"] == "proxy.cookie-refresh")


def test_values_without_chart_version_leave_the_refresh_unknown_and_say_why(tmp_path: Path) -> None:
    report = _report(tmp_path, VALUES)
    check = _refresh(report)
    assert check["status"] == "unknown" and "7.1.0" in check["reason"]
    assert "do-not-print" not in str(report)


def test_cookie_refresh_zero_in_the_values_is_a_finding(tmp_path: Path) -> None:
    values = {**VALUES, "authProxy": {**AUTH_PROXY, "cookieRefresh": "0"}}
    report = _report(tmp_path, values)
    assert report["findings"][0]["cause"] == "proxy-cookie-refresh-missing"
    assert "authProxy.cookieRefresh: 2m" in report["findings"][0]["fix"]


def test_args_replacing_the_flags_without_refresh_is_a_finding(tmp_path: Path) -> None:
    values = {**VALUES, "authProxy": {**AUTH_PROXY, "args": ["--provider=oidc", "--upstream=http://x"]}}
    report = _report(tmp_path, values)
    assert [f["cause"] for f in report["findings"]] == ["proxy-cookie-refresh-missing"]
    assert "authProxy.args" in report["findings"][0]["title"]


def test_refresh_in_the_extra_flags_passes(tmp_path: Path) -> None:
    ap = {**AUTH_PROXY, "extraFlags": [*AUTH_PROXY["extraFlags"], "--cookie-refresh=2m"]}
    report = _report(tmp_path, {**VALUES, "authProxy": ap})
    assert _refresh(report)["status"] == "pass"


def test_prose_yaml_with_an_auth_proxy_key_alone_is_not_kubeapps(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("authProxy:\n  enabled: true\n")
    assert not read_bundle(tmp_path).of(Kind.HELM_VALUES)


def test_values_file_stands_for_the_release_of_the_one_kubeapps_deployment(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "kubeapps-8.0.0-deployment.yaml"
    (tmp_path / "deploy.yaml").write_text(fixture.read_text())
    (tmp_path / "values.yaml").write_text(yaml.safe_dump(VALUES))
    ev = read_bundle(tmp_path)
    from oidc_doctor.derive import derive_all

    ctx = derive_all(ev, Context(now=datetime(2022, 6, 20, tzinfo=UTC), now_source="flag"), areas=("proxy",))
    state = ctx.facts.proxy
    assert state is not None and len(state.configs) == 1
    cfg = state.configs[0]
    assert cfg.kubeapps is not None and cfg.kubeapps.release is not None
    assert "values.yaml" in cfg.kubeapps.release.ref
    assert cfg.get("client-id").value == "kubeapps"
    assert not state.orphan_kubeapps  # judged once, through its Deployment
