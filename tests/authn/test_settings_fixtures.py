"""Every settings source format, legacy-flag translation and validation message, by fixture.

Each file in ``fixtures/`` is named by its expected outcome and ends with
``# expect: {json}``: the start-up error kube-apiserver would print (or null) and the
effective settings (issuer, audiences, username claim and prefix, groups claim and prefix,
required claims, signing algorithms, number of authenticators). The file goes through the real
bundle reader (recognition by content), :func:`read_settings` and :func:`validate_settings`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.authn.settings import read_settings
from oidc_doctor.authn.validation import validate_settings
from oidc_doctor.bundle import read_bundle

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.yaml"))


def _expect(path: Path) -> dict[str, Any]:
    first = path.read_text().splitlines()[-1]
    assert first.startswith("# expect: ")
    value: dict[str, Any] = json.loads(first.removeprefix("# expect: "))
    return value


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_fixture_reads_and_validates_as_kube_apiserver(path: Path, tmp_path: Path) -> None:
    expect = _expect(path)
    shutil.copy(path, tmp_path / path.name)
    ev = read_bundle(tmp_path)
    view = read_settings(ev)
    auth = view.auth
    assert auth is not None, [i.to_json() for i in ev.inputs]
    verdict = validate_settings(auth)
    error = verdict.startup_error
    if error is not None:
        error = error.replace(str(tmp_path / path.name), path.name)
    assert error == expect["error"]
    if "authenticators" in expect:
        assert len(auth.authenticators) == expect["authenticators"]
    keys = {"issuer", "audiences", "username_claim", "prefix", "groups_claim", "groups_prefix", "required"}
    if keys & set(expect):
        a = auth.authenticators[0]
        m = a.claim_mappings
        got = {
            "issuer": a.issuer.url,
            "audiences": a.issuer.audiences,
            "username_claim": m.username.claim,
            "prefix": m.username.prefix,
            "groups_claim": m.groups.claim or None,
            "groups_prefix": m.groups.prefix or "",
            "required": {r.claim: r.required_value for r in a.claim_validation_rules if r.claim},
        }
        for k in keys & set(expect):
            assert got[k] == expect[k], k
    if "algs" in expect:
        assert sorted(auth.signing_algs) == sorted(expect["algs"])


def test_every_setting_keeps_where_it_came_from(tmp_path: Path) -> None:
    src = Path(__file__).parent / "fixtures" / "apiserver-prefix-oidc-OK.yaml"
    shutil.copy(src, tmp_path / "kube-apiserver.yaml")
    view = read_settings(read_bundle(tmp_path))
    assert view.auth is not None
    a = view.auth.authenticators[0]
    assert a.origin("issuer.url").endswith("Pod kube-system/kube-apiserver-cp1 --oidc-issuer-url")
    assert a.origin("claimMappings.username.prefix").endswith("--oidc-username-prefix")
    assert a.origin("claimMappings.groups.claim").endswith("--oidc-groups-claim")
    assert "kube-apiserver.yaml" in a.origin("issuer.url")


def test_default_prefix_origin_says_it_is_the_legacy_default(tmp_path: Path) -> None:
    shutil.copy(
        Path(__file__).parent / "fixtures" / "apiserver-default-prefix-issuer-hash-OK.yaml", tmp_path / "a.yaml"
    )
    view = read_settings(read_bundle(tmp_path))
    assert view.auth is not None
    assert "default prefix <issuer-url>#" in view.auth.authenticators[0].origin("claimMappings.username.prefix")


def test_authentication_config_is_linked_to_the_flag_naming_it(tmp_path: Path) -> None:
    fx = Path(__file__).parent / "fixtures"
    pod = (fx / "apiserver-no-oidc-flags-NOT-CONFIGURED.yaml").read_text()
    pod = pod.replace(
        "- --advertise-address=10.0.0.10",
        "- --authentication-config=/etc/kubernetes/authn/authn.yaml\n    - --advertise-address=10.0.0.10",
    )
    (tmp_path / "kube-apiserver.yaml").write_text(pod)
    shutil.copy(fx / "authconfig-v1-OK.yaml", tmp_path / "authn.yaml")
    view = read_settings(read_bundle(tmp_path))
    assert view.auth is not None
    assert view.auth.auth_config_path == "/etc/kubernetes/authn/authn.yaml"
    assert len(view.auth.authenticators) == 1
    assert view.auth.disallowed_issuers == ["https://kubernetes.default.svc.cluster.local"]
    assert "--authentication-config=/etc/kubernetes/authn/authn.yaml" in view.auth.ref


def test_authentication_config_named_but_missing_is_blind_not_unconfigured(tmp_path: Path) -> None:
    fx = Path(__file__).parent / "fixtures"
    pod = (fx / "apiserver-no-oidc-flags-NOT-CONFIGURED.yaml").read_text()
    pod = pod.replace(
        "- --advertise-address=10.0.0.10",
        "- --authentication-config=/etc/k/authn.yaml\n    - --advertise-address=10.0.0.10",
    )
    (tmp_path / "kube-apiserver.yaml").write_text(pod)
    view = read_settings(read_bundle(tmp_path))
    assert view.blind and "/etc/k/authn.yaml" in view.blind


def test_vcluster_values_give_the_virtual_api_servers_flags() -> None:
    # vcluster.yaml (v0.20+): the k8s distro's API server flags, and k3s's --kube-apiserver-arg items.
    from oidc_doctor.authn.sources import from_node

    values = {
        "controlPlane": {
            "distro": {
                "k8s": {
                    "enabled": True,
                    "version": "v1.34.1",
                    "apiServer": {
                        "extraArgs": ["--oidc-issuer-url=https://idp.example.org/realms/paas", "--oidc-client-id=kube"]
                    },
                },
                "k3s": {"extraArgs": ["--kube-apiserver-arg=oidc-username-claim=email", "--disable=traefik"]},
            }
        }
    }
    auth = from_node(values, "bundle/vcluster.yaml")
    assert auth is not None and len(auth.authenticators) == 1
    a = auth.authenticators[0]
    assert (a.issuer.url, a.issuer.audiences) == ("https://idp.example.org/realms/paas", ["kube"])
    assert a.claim_mappings.username.claim == "email"
    assert auth.kube_version == "v1.34.1"
    assert from_node({"controlPlane": {"distro": {"k8s": {"enabled": True}}}}, "v.yaml") is not None


def test_a_pinniped_jwtauthenticator_is_read_as_the_authenticator_that_judges_the_token() -> None:
    from oidc_doctor.authn.sources import from_pinniped

    obj = {
        "apiVersion": "authentication.concierge.pinniped.dev/v1alpha1",
        "kind": "JWTAuthenticator",
        "metadata": {"name": "supervisor"},
        "spec": {"issuer": "https://sv.example.com/issuer", "audience": "cluster-f1a6", "claims": {"groups": "grp"}},
    }
    auth = from_pinniped(obj, "bundle/jwtauthenticator.yaml")
    assert auth is not None and len(auth.authenticators) == 1
    a = auth.authenticators[0]
    assert (a.issuer.url, a.issuer.audiences) == ("https://sv.example.com/issuer", ["cluster-f1a6"])
    # Pinniped's defaults: the `username` claim, no prefixes; groups from the claim named.
    assert (a.claim_mappings.username.claim, a.claim_mappings.username.prefix) == ("username", "")
    assert (a.claim_mappings.groups.claim, a.claim_mappings.groups.prefix) == ("grp", "")
    assert "ES256" in auth.signing_algs
