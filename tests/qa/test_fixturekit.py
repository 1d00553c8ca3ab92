"""The fixture vocabulary (``tests/fixturekit``) builds what the tools really print.

The generators' byte-for-byte tests (``test_qa_bundles.py``, ``tests/e2e/test_examples.py``) hold
the bundles still; these tests hold the builders to their word: tokens verify against the JWKS
published beside them and are deterministic, one list of OIDC settings renders the same settings
in every format, and the log lines are read by the log classifier as the failure they stand for.
"""

from __future__ import annotations

import json

import jwt
import pytest
import yaml
from fixturekit import idp, kube, logs
from fixturekit.clock import NOW
from fixturekit.jose import ec_jwk, foreign_key, jwk, sign, sign_es256, signing_key
from fixturekit.kube import Oidc
from fixturekit.out import as_written, to_yaml

from oidc_doctor.logs.classify import classify_line


def _verify(token: str, key: dict[str, object], alg: str) -> dict[str, object]:
    public = jwt.PyJWK.from_dict(key, algorithm=alg)
    return jwt.decode(token, public, algorithms=[alg], audience="kubernetes", options={"verify_exp": False})


def test_tokens_verify_against_the_published_keys_and_only_those() -> None:
    claims = idp.keycloak_short_claims()
    assert _verify(sign(claims, "k1"), jwk(signing_key(), "k1"), "RS256") == claims
    assert _verify(sign_es256(claims, "e1"), ec_jwk("e1"), "ES256") == claims
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(sign(claims, "k1", key=foreign_key()), jwk(signing_key(), "k1"), "RS256")


def test_signing_is_deterministic() -> None:
    claims = idp.keycloak_claims()
    assert sign(claims, "k1") == sign(claims, "k1")
    assert sign_es256(claims, "e1") == sign_es256(claims, "e1")


@pytest.mark.parametrize(
    "preset",
    [idp.keycloak_claims, idp.dex_claims, idp.azure_claims, idp.okta_claims, idp.google_claims, idp.gitlab_claims],
)
def test_claim_presets_are_valid_at_now_and_take_overrides(preset: object) -> None:
    assert callable(preset)
    claims = preset()
    assert claims["iat"] <= NOW < claims["exp"]
    changed = preset(email_verified=None, iss="https://other.example.com")
    assert "email_verified" not in changed and changed["iss"] == "https://other.example.com"


def test_one_list_of_settings_renders_the_same_settings_everywhere() -> None:
    oidc = Oidc(idp.KEYCLOAK, "kubernetes", "email", "oidc:", "groups", "oidc:", required_claim="hd=example.com")
    pairs = dict(oidc.pairs())
    assert dict(f[2:].split("=", 1) for f in oidc.flags()) == pairs
    assert oidc.kubeadm_v1beta3() == pairs
    assert {e["name"]: e["value"] for e in oidc.kubeadm_v1beta4()} == pairs
    args = oidc.k3s_args()
    assert args[::2] == ["--kube-apiserver-arg"] * len(pairs)
    assert dict(a.split("=", 1) for a in args[1::2]) == pairs
    assert yaml.safe_load(oidc.k3s_config())["kube-apiserver-arg"] == args[1::2]
    eks = kube.eks_config(oidc)["identityProviderConfig"]["oidc"]
    assert (eks["issuerUrl"], eks["clientId"], eks["usernameClaim"], eks["groupsPrefix"]) == (
        idp.KEYCLOAK,
        "kubernetes",
        "email",
        "oidc:",
    )


def test_unset_settings_are_left_out() -> None:
    oidc = Oidc(idp.KEYCLOAK, groups_claim="groups")
    assert oidc.flags() == [
        f"--oidc-issuer-url={idp.KEYCLOAK}",
        "--oidc-client-id=kubernetes",
        "--oidc-groups-claim=groups",
    ]
    assert "usernamePrefix" not in kube.eks_config(oidc)["identityProviderConfig"]["oidc"]


def test_kubectl_yaml_never_uses_anchors_for_values_built_twice() -> None:
    # Shared lists print as YAML anchors, which kubectl never writes; the builders make fresh ones.
    text = to_yaml(kube.rbac(kube.binding("b", "view", kube.group("g"), ns="dev")))
    assert "&id" not in text and "*id" not in text


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (logs.unable(logs.audience("kubernetes", "kubeapps"), -3), "audience-mismatch"),
        (logs.unable_legacy(logs.audience("kubernetes", "kubeapps"), -3), "audience-mismatch"),
        (
            logs.journald("Nov 28 10:25:03", "k3s-1", "k3s", 812, logs.unable(logs.expired(NOW - 600), -9, 812)),
            "token-expired",
        ),
        (
            logs.json_line(
                -2.0,
                "authentication/authentication.go:73",
                "Unable to authenticate the request",
                err=logs.NOT_INITIALIZED,
            ),
            "authenticator-not-initialized",
        ),
        (
            logs.oidc_init_failed(-60, idp.KEYCLOAK, "x509: certificate signed by unknown authority"),
            "issuer-ca-untrusted",
        ),
        (logs.proxy_cookie_settings("2026/11/28 10:20:02", "disabled"), "proxy-cookie-refresh-missing"),
        (
            logs.nginx_error("2026/11/28 10:24:59", 7, logs.TOO_BIG_HEADER, client="10.0.0.1", server="a.example.com"),
            "proxy-header-too-large",
        ),
    ],
)
def test_log_lines_read_as_the_failure_they_stand_for(line: str, code: str) -> None:
    verdict = classify_line(line.encode())
    assert verdict is not None and verdict.code == code, (line, verdict)


def test_files_written_by_hand_end_with_a_newline_and_json_is_indented() -> None:
    assert as_written("a.txt", "x") == "x\n"
    assert json.loads(as_written("a.json", {"a": [1]})) == {"a": [1]}
    assert as_written("a.json", {"a": 1}).startswith('{\n  "a"')
    assert list(yaml.safe_load_all(as_written("a.yaml", [{"a": 1}, {"b": 2}]))) == [{"a": 1}, {"b": 2}]
