"""Helm release records and the Kubeapps chart logic, on reconstructed chart 7.0.4, 7.1.0 and 8.0.0 output."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from proxy_testkit import fixture_docs

from oidc_doctor.errors import InputError
from oidc_doctor.proxy import helm
from oidc_doctor.proxy.kubeapps import KubeappsInfo, attach, parse_chart_version
from oidc_doctor.proxy.providers import refresh_support, version_from_image
from oidc_doctor.proxy.settings import find_proxies, read_settings


def _release(version: str, variant: str = "") -> helm.HelmRelease:
    [secret] = fixture_docs(f"kubeapps-{version}{variant}-release.yaml")
    return helm.decode_release(secret, f"kubeapps-{version}-release.yaml")


def test_decodes_a_release_record_stored_as_helm_stores_it() -> None:
    r = _release("7.1.0")
    assert (r.name, r.namespace, r.revision, r.status) == ("kubeapps", "kubeapps", 1, "deployed")
    assert (r.chart, r.chart_version, r.app_version) == ("kubeapps", "7.1.0", "2.3.2")
    ap = r.values["authProxy"]
    assert ap["enabled"] is True and ap["clientID"] == "kubeapps"
    assert ap["cookieRefresh"] == "2m"  # a chart default under the user's values
    assert ap["additionalFlags"] == ["--oidc-issuer-url=https://keycloak.example.com/realms/k8s"]


def test_secret_values_are_masked_and_never_kept() -> None:
    [secret] = fixture_docs("kubeapps-7.1.0-release.yaml")
    r = helm.decode_release(secret, "x")
    assert r.values["authProxy"]["clientSecret"] == helm.REDACTED
    assert r.values["authProxy"]["cookieSecret"] == helm.REDACTED
    assert r.user_values["authProxy"]["clientSecret"] == helm.REDACTED
    text = json.dumps([r.values, r.user_values])
    assert "Zm9vYmFyYmF6cXV4cXV1eA" not in text and "b2F1dGgycHJveHljb29raWVzZWNyZXQ" not in text
    assert "manifest" not in vars(r)


def test_the_record_is_double_base64_around_gzip_json() -> None:
    [secret] = fixture_docs("kubeapps-8.0.0-release.yaml")
    helm_text = base64.b64decode(secret["data"]["release"])
    raw = base64.b64decode(helm_text)
    assert raw[:3] == b"\x1f\x8b\x08"
    assert json.loads(gzip.decompress(raw))["chart"]["metadata"]["version"] == "8.0.0"


def test_uncompressed_records_from_old_helm_still_decode() -> None:
    payload = {
        "name": "kubeapps",
        "namespace": "kubeapps",
        "version": 3,
        "info": {"status": "superseded"},
        "chart": {"metadata": {"name": "kubeapps", "version": "5.2.1"}, "values": {}},
        "config": {},
    }
    plain = base64.b64encode(json.dumps(payload).encode()).decode()
    secret: dict[str, Any] = {
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {},
        "data": {"release": base64.b64encode(plain.encode()).decode()},
    }
    r = helm.decode_release(secret, "old")
    assert (r.chart_version, r.revision, r.status) == ("5.2.1", 3, "superseded")


def test_round_trip_with_helm_encoding() -> None:
    payload = {"name": "a", "chart": {"metadata": {"name": "c", "version": "1.2.3"}}, "config": {"x": 1}}
    assert helm.decode_payload(helm.encode_release(payload), "rt") == payload


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "has no data.release"),
        ({"release": base64.b64encode(b"!!!not base64").decode()}, "Helm release is not base64"),
        ({"release": base64.b64encode(base64.b64encode(b"plain text")).decode()}, "not JSON"),
        ({"release": base64.b64encode(base64.b64encode(b"\x1f\x8b\x08garbage")).decode()}, "not valid gzip"),
    ],
)
def test_broken_records_name_the_input(data: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message) as e:
        helm.decode_release({"kind": "Secret", "data": data}, "bundle/helm.yaml#0")
    assert str(e.value).startswith("bundle/helm.yaml#0: ")


def test_latest_picks_the_highest_deployed_revision() -> None:
    def rel(rev: int, status: str) -> helm.HelmRelease:
        return helm.HelmRelease("k", "ns", rev, status, "kubeapps", "1.0.0", "")

    assert helm.latest([rel(1, "superseded"), rel(3, "failed"), rel(2, "deployed")])[0].revision == 2
    assert helm.latest([rel(1, "superseded"), rel(2, "failed")])[0].revision == 2


def _kubeapps(version: str, variant: str = "") -> tuple[KubeappsInfo, Any]:
    [dep] = fixture_docs(f"kubeapps-{version}{variant}-deployment.yaml")
    [inst] = find_proxies(dep, "dep.yaml")
    cfg = read_settings(inst, [])
    return attach(cfg, [_release(version, variant)]), cfg


def test_chart_version_shows_in_the_deployment_label_and_the_release() -> None:
    [dep] = fixture_docs("kubeapps-7.0.4-deployment.yaml")
    [inst] = find_proxies(dep, "dep.yaml")
    assert inst.kubeapps and inst.container_name == "auth-proxy" and inst.index == 1
    info = attach(read_settings(inst, []), [])
    assert info.chart_version == (7, 0, 4) and "helm.sh/chart=kubeapps-7.0.4" in info.chart_version_ref
    assert not info.values_seen


def test_chart_7_0_has_no_cookie_refresh_and_uses_additional_flags() -> None:
    info, cfg = _kubeapps("7.0.4")
    assert not info.has_cookie_refresh_value
    assert info.flags_key == "additionalFlags"
    assert cfg.get("cookie-refresh").value == 0.0 and cfg.get("cookie-refresh").source == "default"
    fix = info.add_flag_fix("--cookie-refresh=2m")
    assert "authProxy.additionalFlags" in fix
    flags = '["--oidc-issuer-url=https://keycloak.example.com/realms/k8s", "--cookie-refresh=2m"]'
    assert f"--set-json 'authProxy.additionalFlags={flags}'" in fix


def test_chart_7_1_renders_cookie_refresh_from_values() -> None:
    info, cfg = _kubeapps("7.1.0")
    assert info.has_cookie_refresh_value and info.flags_key == "additionalFlags"
    assert cfg.get("cookie-refresh").value == 120.0
    assert cfg.get("client-id").value == "kubeapps" and cfg.get("client-id").source == "helm-values"


def test_chart_8_renames_the_flags_value_to_extra_flags() -> None:
    info, cfg = _kubeapps("8.0.0")
    assert info.flags_key == "extraFlags"
    assert info.extra_flags == ["--oidc-issuer-url=https://keycloak.example.com/realms/k8s"]
    assert info.args_override is None
    assert cfg.instance.version == (7, 2, 1)


def test_chart_8_args_replace_the_defaults() -> None:
    info, cfg = _kubeapps("8.0.0", "-args")
    assert info.args_override is not None and "--provider=oidc" in info.args_override
    assert cfg.get("cookie-refresh").source == "default"
    assert cfg.get("pass-authorization-header").value is False
    fix = info.add_flag_fix("--cookie-refresh=2m")
    assert "authProxy.args" in fix and "--cookie-refresh=2m" in fix


def test_chart_versions_parse_from_labels() -> None:
    assert parse_chart_version("kubeapps-12.2.10") == (12, 2, 10)
    assert parse_chart_version("kubeapps") is None


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("quay.io/oauth2-proxy/oauth2-proxy:v7.6.0", (7, 6, 0)),
        ("quay.io/oauth2-proxy/oauth2-proxy:v7.2.0-alpine", (7, 2, 0)),
        ("docker.io/bitnami/oauth2-proxy:7.1.3-debian-10-r23", (7, 1, 3)),
        ("registry:5000/oauth2-proxy", None),
        ("quay.io/oauth2-proxy/oauth2-proxy:latest", None),
        ("quay.io/oauth2-proxy/oauth2-proxy@sha256:" + "a" * 64, None),
    ],
)
def test_version_from_image_tag(image: str, version: tuple[int, int, int] | None) -> None:
    assert version_from_image(image) == version


@pytest.mark.parametrize(
    ("provider", "version", "refreshes"),
    [
        ("oidc", (7, 1, 3), True),
        ("keycloak-oidc", (7, 1, 3), False),
        ("keycloak-oidc", (7, 2, 0), True),
        ("adfs", (7, 1, 0), False),
        ("adfs", (7, 2, 1), True),
        ("keycloak", (7, 6, 0), False),
        ("github", (7, 6, 0), False),
        ("azure", (6, 1, 1), False),
        ("azure", (7, 0, 0), True),
        ("entra-id", (7, 8, 0), True),
        ("keycloak-oidc", None, None),
        ("oidc", None, True),
        ("made-up", (7, 6, 0), None),
    ],
)
def test_provider_refresh_table(provider: str, version: tuple[int, int, int] | None, refreshes: bool | None) -> None:
    assert refresh_support(provider, version).refreshes is refreshes
