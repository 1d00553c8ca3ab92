"""``diagnose --context`` and ``rbac who|can --context``: the live cluster read into the same Evidence.

The issuer is the real OpenID provider of ``tests/idp`` over HTTPS (its test CA trusted through
``SSL_CERT_FILE``, as an operator's machine trusts its issuer), or a recording issuer double
where the test proves what an issuer receives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apiserver_double import ApiServerDouble, IssuerDouble
from idp_fixture import IdP
from live_testkit import ALICE, USER_TOKEN, populate, run

from oidc_doctor.bundle import read_bundle
from oidc_doctor.controlplane.hashes import JWKS_BODY_HASH, label_hash
from oidc_doctor.evidence import Kind

RBAC = "/apis/rbac.authorization.k8s.io/v1"
ALL_RBAC = {f"{RBAC}/clusterroles", f"{RBAC}/clusterrolebindings", f"{RBAC}/roles", f"{RBAC}/rolebindings"}


@pytest.fixture
def double() -> Iterator[ApiServerDouble]:
    with ApiServerDouble(users={USER_TOKEN: ALICE}) as d:
        yield d


def _file(tmp_path: Path, text: str, name: str = "token.jwt") -> str:
    path = tmp_path / name
    path.write_text(text + "\n")
    return f"@{path}"


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"]}


def test_diagnose_context_reads_the_cluster_the_issuer_and_the_tokens_review(
    double: ApiServerDouble, tmp_path: Path, idp_https: IdP, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert idp_https.ca_file is not None
    monkeypatch.setenv("SSL_CERT_FILE", idp_https.ca_file)
    populate(double, issuer=idp_https.issuer)
    token = idp_https.mint({"email": "alice@example.com", "email_verified": True, "groups": ["dev"]}, lifetime=600)
    double.users[token] = ALICE
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, err = run(["diagnose", "--kubeconfig", kc, "--token", _file(tmp_path, token), "--format", "json"])
    report = json.loads(out)
    assert status in (0, 1), err
    assert report["identity"] == {**ALICE, "source": "selfsubjectreview"}
    checks = _checks(report)
    # the JWKS was fetched live, without any credential
    assert checks["token.signature"]["status"] == "pass", checks["token.signature"]
    assert checks["identity.selfsubjectreview"]["status"] == "pass"
    kinds = {i["kind"] for i in report["inputs"]}
    assert {"apiserver-pod", "rbac", "workload", "helm-release", "discovery", "jwks", "live"} <= kinds
    assert all(i["ref"].startswith("live ") or i["ref"] == "--token" for i in report["inputs"])
    assert "token-accepted" in [f["cause"] for f in report["findings"]]
    assert token not in out + err
    with_token = [r for r in double.requests if r.headers.get("Authorization") == f"Bearer {token}"]
    assert [r.path for r in with_token] == ["/apis/authentication.k8s.io/v1/selfsubjectreviews"]


def test_the_issuer_receives_no_credential(
    double: ApiServerDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with IssuerDouble() as issuer:
        ca = tmp_path / "issuer-ca.pem"
        issuer.ca.cert_pem.write_to_path(str(ca))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        populate(double, issuer=issuer.issuer)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        bundle = tmp_path / "bundle"
        status, out, err = run(
            ["collect", "-o", str(bundle), "--kubeconfig", kc, "--token", _file(tmp_path, USER_TOKEN)]
        )
    assert status == 0, err
    assert "issuer-discovery.json" in out and "issuer-jwks.json" in out
    assert len(issuer.headers) == 2  # discovery, then JWKS
    for headers in issuer.headers:
        lowered = {k.lower(): v for k, v in headers.items()}
        assert "authorization" not in lowered and "cookie" not in lowered
        assert all(USER_TOKEN not in v and "double-token" not in v for v in lowered.values())
    ev = read_bundle(bundle)
    assert [i.data["issuer"] for i in ev.of(Kind.DISCOVERY)] == [issuer.issuer]
    # the key set as served, and the sha256 of its body as the API server's key-set metric hashes it
    assert [i.data for i in ev.of(Kind.JWKS)] == [{"keys": [], JWKS_BODY_HASH: label_hash(b'{"keys": []}')}]


def test_an_unreachable_issuer_leaves_the_signature_unknown_with_the_reason(
    double: ApiServerDouble, tmp_path: Path
) -> None:
    with IssuerDouble() as gone:
        closed = gone.issuer  # the port is closed once the double stops
    populate(double, issuer=closed)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    _status, out, err = run(
        ["diagnose", "--kubeconfig", kc, "--token", _file(tmp_path, USER_TOKEN), "--format", "json"]
    )
    check = _checks(json.loads(out))["token.signature"]
    assert check["status"] == "unknown", err
    assert "fetched from this machine" in check["reason"] and "connection refused" in check["reason"]


def test_refused_rbac_reads_make_rbac_checks_unknown_live(double: ApiServerDouble, tmp_path: Path) -> None:
    populate(double)
    double.forbidden = set(ALL_RBAC)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    error = 'pods is forbidden: User "oidc:alice@example.com" cannot list resource "pods" in the namespace "dev"'
    _status, out, _ = run(["diagnose", "--kubeconfig", kc, "--error", error, "--format", "json", "-n", "kubeapps"])
    report = json.loads(out)
    rbac = {k: c for k, c in _checks(report).items() if k.startswith("rbac.") and k != "rbac.anonymous"}
    assert rbac and all(c["status"] in ("unknown", "skipped") for c in rbac.values())
    assert any('cannot list resource "rolebindings"' in c["reason"] for c in rbac.values())
    refused = [i for i in report["inputs"] if i["kind"] == "unreadable"]
    assert {i["ref"] for i in refused} >= {f"live list {p}" for p in ALL_RBAC}


def test_bundle_and_context_combine(double: ApiServerDouble, tmp_path: Path) -> None:
    populate(double)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "what-i-saw.txt").write_text("error: You must be logged in to the server (Unauthorized)\n")
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    _status, out, _ = run(["diagnose", "--bundle", str(bundle), "--kubeconfig", kc, "--format", "json"])
    refs = [i["ref"] for i in json.loads(out)["inputs"]]
    assert "bundle/what-i-saw.txt" in refs
    assert any(r.startswith("live list /apis/rbac.authorization.k8s.io/v1/") for r in refs)


def test_a_rejected_token_becomes_the_api_servers_own_401(double: ApiServerDouble, tmp_path: Path) -> None:
    populate(double)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    bad = _file(tmp_path, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln")
    status, out, _ = run(["diagnose", "--kubeconfig", kc, "--token", bad, "--format", "json", "--no-issuer"])
    assert status == 2  # --no-issuer is a collect option: diagnose refuses it as usage
    status, out, _ = run(["diagnose", "--kubeconfig", kc, "--token", bad, "--format", "json"])
    report = json.loads(out)
    errors = [i for i in report["inputs"] if i["kind"] == "error-text"]
    assert errors and "selfsubjectreviews" in errors[0]["ref"]
    assert report["identity"] is None or report["identity"]["source"] != "selfsubjectreview"


def test_no_apiserver_settings_in_the_cluster_make_authn_checks_unknown(
    double: ApiServerDouble, tmp_path: Path
) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    _status, out, _ = run(["diagnose", "--kubeconfig", kc, "--token", _file(tmp_path, USER_TOKEN), "--format", "json"])
    report = json.loads(out)
    unknown = [c for c in report["checks"] if c["id"].startswith("authn.") and c["status"] == "unknown"]
    assert unknown and any("shows no kube-apiserver Pod" in c["reason"] for c in unknown)


def test_rbac_who_and_can_read_rbac_live(double: ApiServerDouble, tmp_path: Path) -> None:
    populate(double)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    user = ["--user", "oidc:alice@example.com", "--group", "oidc:dev"]
    status, out, err = run(["rbac", "who", "--kubeconfig", kc, *user, "--format", "json"])
    assert status == 0, err
    assert "dev-view" in out
    status, out, err = run(["rbac", "can", "get", "pods", "-n", "dev", "--kubeconfig", kc, *user])
    assert status == 0, err
    status, out, err = run(["rbac", "can", "delete", "nodes", "--kubeconfig", kc, *user])
    assert status == 1, err
    assert not any("/apis/apps/" in r.path for r in double.requests)  # RBAC only: no proxies read


def test_rbac_who_with_the_token_uses_the_api_servers_answer(double: ApiServerDouble, tmp_path: Path) -> None:
    populate(double)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, err = run(["rbac", "who", "--kubeconfig", kc, "--token", "-", "--format", "json"], stdin=USER_TOKEN)
    assert status == 0, err
    assert "oidc:alice@example.com" in out and "dev-view" in out


def test_rbac_live_without_rights_is_one_line_and_exit_2(double: ApiServerDouble, tmp_path: Path) -> None:
    populate(double)
    double.forbidden = set(ALL_RBAC)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig", context="prod"))
    status, out, err = run(["rbac", "who", "--kubeconfig", kc, "--context", "prod", "--user", "x"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "context prod: RBAC cannot be read:" in err and "forbidden" in err


def test_rbac_needs_a_bundle_or_a_context(tmp_path: Path) -> None:
    status, _, err = run(["rbac", "who", "--user", "x"])
    assert status == 2 and "give --bundle DIR or --context NAME" in err


def test_rejected_context_credentials_say_that_this_is_the_failure(double: ApiServerDouble, tmp_path: Path) -> None:
    populate(double)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig", {"token": "expired-oidc-login"}, context="oidc"))
    status, out, err = run(["diagnose", "--kubeconfig", kc, "--context", "oidc"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "401 Unauthorized" in err and "oidc-doctor whoami --context oidc" in err


def test_a_managed_control_plane_is_recognised_from_the_server_url() -> None:
    from oidc_doctor.authn.settings import read_settings
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.live.manifest import Note
    from oidc_doctor.live.sinks import EvidenceSink

    ev = Evidence()
    server = "https://0123ABCD.gr7.eu-west-1.eks.amazonaws.com"
    EvidenceSink(ev).note(
        Note(
            "apiserver-config",
            "the API server's OIDC settings",
            "not-readable",
            f"{server} shows no kube-apiserver Pod, kubeadm-config or k3s/RKE2 node args",
        )
    )
    view = read_settings(ev)
    assert view.managed == "EKS" and "describe-identity-provider-config" in view.blind
