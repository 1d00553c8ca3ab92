"""Reading Headlamp's OIDC settings: Go flag forms, HEADLAMP_CONFIG_* env, $(VAR) expansion, Secrets."""

from __future__ import annotations

import base64
from typing import Any

from proxy_testkit import container, evidence, workload

from oidc_doctor.checks.clients import headlamps
from oidc_doctor.proxy import helm
from oidc_doctor.proxy.headlamp import is_headlamp, read_headlamp, scopes_of

IMAGE = "ghcr.io/headlamp-k8s/headlamp:v0.45.0"
HELM_LABELS = {
    "helm.sh/chart": "headlamp-0.45.0",
    "app.kubernetes.io/name": "headlamp",
    "app.kubernetes.io/instance": "hl",
    "app.kubernetes.io/managed-by": "Helm",
}


def one(obj: dict[str, Any], releases: list[helm.HelmRelease] | None = None) -> Any:
    (cfg,) = read_headlamp(obj, "in.yaml", releases)
    return cfg


def test_image_identifies_headlamp_but_not_its_plugin_sidecar() -> None:
    assert is_headlamp({"image": IMAGE})
    assert is_headlamp({"image": "registry.local/mirror/headlamp@sha256:" + "0" * 64})
    assert not is_headlamp({"image": "docker.io/library/node:lts-alpine"})
    assert not is_headlamp({"image": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0"})


def test_go_flag_forms_single_and_double_dash_and_separate_value() -> None:
    args = [
        "-in-cluster",
        "--oidc-client-id=headlamp",
        "-oidc-idp-issuer-url",
        "https://idp/x",
        "-oidc-use-access-token",
    ]
    cfg = one(workload(container("headlamp", IMAGE, args=args), name="headlamp", ns="headlamp"))
    assert cfg.get("oidc-client-id").value == "headlamp"
    assert cfg.get("oidc-client-id").ref.endswith("args[1]")
    assert cfg.get("oidc-idp-issuer-url").value == "https://idp/x"
    assert cfg.get("oidc-use-access-token").value is True
    assert cfg.get("in-cluster").value is True


def test_flag_parsing_stops_at_the_first_non_flag_like_go() -> None:
    cfg = one(workload(container("headlamp", IMAGE, args=["stray", "-oidc-client-id=x"])))
    assert cfg.get("oidc-client-id").source == "default"


def test_headlamp_config_env_is_read_and_an_explicit_flag_wins() -> None:
    env = [
        {"name": "HEADLAMP_CONFIG_OIDC_CLIENT_ID", "value": "from-env"},
        {"name": "HEADLAMP_CONFIG_OIDC_SCOPES", "value": "profile,email,groups"},
    ]
    cfg = one(workload(container("headlamp", IMAGE, env=env, args=["-oidc-client-id=from-flag"])))
    assert cfg.get("oidc-client-id").value == "from-flag"
    assert cfg.get("oidc-client-id").source == "flag"
    assert cfg.get("oidc-scopes").source == "env"
    assert "HEADLAMP_CONFIG_OIDC_SCOPES" in cfg.get("oidc-scopes").ref
    assert scopes_of(cfg.get("oidc-scopes").value) == ["profile", "email", "groups"]


def test_default_scopes_are_profile_and_email() -> None:
    cfg = one(workload(container("headlamp", IMAGE, args=["-oidc-client-id=x"])))
    assert cfg.get("oidc-scopes").source == "default"
    assert scopes_of(cfg.get("oidc-scopes").value) == ["profile", "email"]


def test_dollar_var_expands_from_literal_env_and_names_its_origin() -> None:
    env = [{"name": "OIDC_CLIENT_ID", "value": "headlamp"}]
    cfg = one(workload(container("headlamp", IMAGE, env=env, args=["-oidc-client-id=$(OIDC_CLIENT_ID)"])))
    s = cfg.get("oidc-client-id")
    assert s.value == "headlamp" and s.source == "flag"
    assert "env[0] OIDC_CLIENT_ID" in s.ref


def test_value_from_secret_is_named_never_read_and_client_secret_is_redacted() -> None:
    env = [
        {"name": "OIDC_CLIENT_ID", "valueFrom": {"secretKeyRef": {"name": "oidc", "key": "clientID"}}},
        {"name": "OIDC_CLIENT_SECRET", "value": "s3cr3t-value"},
    ]
    args = ["-oidc-client-id=$(OIDC_CLIENT_ID)", "-oidc-client-secret=$(OIDC_CLIENT_SECRET)"]
    cfg = one(workload(container("headlamp", IMAGE, env=env, args=args)))
    cid = cfg.get("oidc-client-id")
    assert not cid.known and cid.value is None
    assert "Secret oidc key clientID" in cid.ref
    assert "s3cr3t-value" not in cfg.get("oidc-client-secret").describe()
    assert "<redacted>" in cfg.get("oidc-client-secret").describe()


def test_env_from_secret_makes_unset_options_unknown() -> None:
    c = container("headlamp", IMAGE, envFrom=[{"secretRef": {"name": "headlamp-oidc"}}], args=["-in-cluster"])
    cfg = one(workload(c))
    s = cfg.get("oidc-client-id")
    assert s.source == "unknown" and "headlamp-oidc" in s.ref
    assert cfg.uses_oidc


def test_helm_release_values_stand_for_the_chart_secret() -> None:
    payload = {
        "name": "hl",
        "namespace": "auth",
        "version": 1,
        "info": {"status": "deployed"},
        "chart": {
            "metadata": {"name": "headlamp", "version": "0.45.0"},
            "values": {"config": {"oidc": {"secret": {"create": True, "name": "oidc"}, "clientID": ""}}},
        },
        "config": {"config": {"oidc": {"clientID": "headlamp", "clientSecret": "zzz"}}},
    }
    secret = {
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {"namespace": "auth"},
        "data": {"release": base64.b64encode(helm.encode_release(payload).encode()).decode()},
    }
    env = [{"name": "OIDC_CLIENT_ID", "valueFrom": {"secretKeyRef": {"name": "oidc", "key": "clientID"}}}]
    dep = workload(
        container("headlamp", IMAGE, env=env, args=["-oidc-client-id=$(OIDC_CLIENT_ID)"]), name="hl", labels=HELM_LABELS
    )
    (cfg,) = headlamps(evidence(dep, secret))
    s = cfg.get("oidc-client-id")
    assert (s.value, s.source) == ("headlamp", "helm-values")
    assert "config.oidc.clientID" in s.ref
    assert cfg.helm is not None and cfg.helm.release == "hl" and cfg.helm.chart_version == "0.45.0"


def test_headlamp_without_oidc_is_not_listed() -> None:
    assert headlamps(evidence(workload(container("headlamp", IMAGE, args=["-in-cluster"])))) == []
