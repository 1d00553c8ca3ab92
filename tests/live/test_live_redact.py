"""What ``collect`` redacts before writing: credential values go, what the checks read stays."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from oidc_doctor.live.readers import reduce_helm_release
from oidc_doctor.live.redact import redact_args, redact_configmap, redact_text, redact_workload
from oidc_doctor.proxy.helm import decode_release, encode_release
from oidc_doctor.secrets import placeholder, secret_bytes

SECRET_FLAGS = ["--client-secret", "--cookie-secret", "--redis-password", "--token", "--datastore-endpoint"]
# values that are not booleans and do not start with "-" (a flag)
secret_values = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/@._", min_size=6)


@given(flag=st.sampled_from(SECRET_FLAGS), value=secret_values, joined=st.booleans())
def test_secret_flag_values_never_survive(flag: str, value: str, joined: bool) -> None:
    assume(value not in "--provider=oidc --upstream=http://x <redacted>" and value not in flag)
    argv = [f"{flag}={value}"] if joined else [flag, value]
    out = redact_args(["--provider=oidc", *argv, "--upstream=http://x"])
    assert value not in json.dumps(out)
    assert out[0] == "--provider=oidc" and out[-1] == "--upstream=http://x"


def test_booleans_files_and_other_flags_are_kept() -> None:
    argv = [
        "--pass-access-token=true",
        "--skip-jwt-bearer-tokens",
        "--cookie-refresh",
        "2m",
        "--client-secret-file=/etc/proxy/secret",
        "--oidc-issuer-url=https://idp.example.com",
    ]
    assert redact_args(argv) == argv


@given(st.sampled_from([16, 24, 32, 7, 40]))
def test_a_cookie_secret_placeholder_keeps_the_length_oauth2_proxy_checks(size: int) -> None:
    value = "a" * size
    stand_in = placeholder("--cookie-secret", value)
    assert value not in stand_in
    assert len(secret_bytes(stand_in)) == len(secret_bytes(value))


def test_toml_and_alpha_config_lines() -> None:
    text = (
        'provider = "oidc"\nclient_secret = "s3cr3t-value"\ncookie_secret = "0123456789abcdef"\n'
        "pass_access_token = true\n"
        "providers:\n- clientID: kubeapps\n  clientSecret: yaml-s3cr3t\n  clientSecretFile: /x\n"
    )
    out = redact_text(text)
    assert "s3cr3t-value" not in out and "yaml-s3cr3t" not in out and "0123456789abcdef" not in out
    assert 'client_secret = "<redacted>"' in out and "clientSecret: <redacted>" in out
    assert "pass_access_token = true" in out and "clientSecretFile: /x" in out and 'provider = "oidc"' in out


def test_workloads_lose_literal_env_secrets_and_last_applied_configuration() -> None:
    obj: dict[str, Any] = {
        "kind": "Deployment",
        "metadata": {
            "name": "p",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"secret": "leak"}'},
        },
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "oauth2-proxy",
                            "env": [
                                {"name": "OAUTH2_PROXY_CLIENT_SECRET", "value": "env-leak"},
                                {"name": "OAUTH2_PROXY_PASS_ACCESS_TOKEN", "value": "true"},
                                {"name": "OAUTH2_PROXY_CLIENT_ID", "value": "kubeapps"},
                                {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                            ],
                        }
                    ]
                }
            }
        },
    }
    text = json.dumps(redact_workload(obj))
    assert "leak" not in text and "managedFields" not in text
    assert '"OAUTH2_PROXY_PASS_ACCESS_TOKEN", "value": "true"' in text and '"kubeapps"' in text
    assert "secretKeyRef" in text


def test_configmap_binary_data_and_secret_keys() -> None:
    cm: dict[str, Any] = {
        "kind": "ConfigMap",
        "data": {"client-secret": "flat-leak", "oauth2_proxy.cfg": 'client_secret = "toml-leak"\n'},
        "binaryData": {"blob": "AAAA"},
    }
    text = json.dumps(redact_configmap(cm))
    assert "leak" not in text and "binaryData" not in text


def test_helm_records_keep_chart_and_masked_values_only() -> None:
    payload = {
        "name": "kubeapps",
        "namespace": "kubeapps",
        "version": 3,
        "info": {"status": "deployed", "notes": "visit ..."},
        "chart": {
            "metadata": {"name": "kubeapps", "version": "7.0.4", "appVersion": "2.4.0", "maintainers": []},
            "values": {"authProxy": {"enabled": False, "clientSecret": ""}},
            "templates": [{"name": "t", "data": "e30="}],
        },
        "config": {"authProxy": {"enabled": True, "clientSecret": "helm-leak", "cookieSecret": "c-leak"}},
        "manifest": "kind: Secret\ndata: {password: bGVhaw==}\n",
        "hooks": [{"manifest": "leak"}],
    }
    import base64

    secret = {
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {"name": "sh.helm.release.v1.kubeapps.v3", "namespace": "kubeapps", "annotations": {"a": "b"}},
        "data": {"release": base64.b64encode(encode_release(payload).encode()).decode()},
    }
    reduced = reduce_helm_release(secret)
    assert reduced is not None
    release = decode_release(reduced, "reduced")
    assert (release.chart, release.chart_version, release.app_version, release.revision) == (
        "kubeapps",
        "7.0.4",
        "2.4.0",
        3,
    )
    assert release.user_values["authProxy"] == {
        "enabled": True,
        "clientSecret": "<redacted>",
        "cookieSecret": "<redacted>",
    }
    from oidc_doctor.proxy.helm import release_payload

    inner = json.dumps(release_payload(reduced, "reduced"))
    assert "leak" not in inner and "templates" not in inner and "manifest" not in inner and "hooks" not in inner
    assert reduce_helm_release({"kind": "Secret", "data": {"release": "!!!"}}) is None
