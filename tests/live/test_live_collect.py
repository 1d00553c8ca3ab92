"""``oidc-doctor collect`` against the API server test double: the bundle, its redaction, its notes."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from apiserver_double import ApiServerDouble
from live_testkit import (
    ALICE,
    CLIENT_SECRET,
    COOKIE_SECRET,
    HELM_SECRET,
    OPAQUE_SECRET,
    TOML_SECRET,
    USER_TOKEN,
    populate,
    run,
)

from oidc_doctor.bundle import read_bundle
from oidc_doctor.evidence import Kind
from oidc_doctor.live.manifest import MANIFEST
from oidc_doctor.proxy.helm import decode_release, release_payload


@pytest.fixture
def double() -> Iterator[ApiServerDouble]:
    with ApiServerDouble(users={USER_TOKEN: ALICE}) as d:
        populate(d)
        yield d


def _collect(double: ApiServerDouble, tmp_path: Path, *extra: str) -> tuple[int, str, str, Path]:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    out = tmp_path / "bundle"
    status, stdout, stderr = run(["collect", "-o", str(out), "--kubeconfig", kc, "--no-issuer", *extra])
    return status, stdout, stderr, out


def _manifest(bundle: Path) -> dict[str, object]:
    doc = json.loads((bundle / MANIFEST).read_text())
    assert isinstance(doc, dict)
    return doc


def test_a_collected_bundle_round_trips_through_diagnose_with_no_unrecognised_file(
    double: ApiServerDouble, tmp_path: Path
) -> None:
    status, out, err, bundle = _collect(double, tmp_path)
    assert status == 0, err
    ev = read_bundle(bundle)
    bad = [i for i in ev.inputs if i.kind in ("unrecognised", "broken", "unreadable")]
    assert bad == []
    kinds = {i.kind for i in ev.items}
    assert {Kind.APISERVER_POD, Kind.RBAC, Kind.WORKLOAD, Kind.CONFIGMAP, Kind.HELM_RELEASE, Kind.INGRESS} <= kinds
    assert len(ev.of(Kind.RBAC)) == 13  # every ClusterRole, binding, Role and RoleBinding of the fixture
    # every written file is named in the manifest, and the other way round
    written = {p.name for p in bundle.iterdir() if not p.name.startswith(".")}
    files = _manifest(bundle)["files"]
    assert isinstance(files, list)
    assert {f["file"] for f in files} == written
    status, out, err = run(["diagnose", "--bundle", str(bundle), "--format", "json", "--token-lifetime", "5m"])
    report = json.loads(out)
    assert status == 1, err
    assert "proxy-cookie-refresh-missing" in [f["cause"] for f in report["findings"]]
    assert not [i for i in report["inputs"] if i["kind"] in ("unrecognised", "broken")]


def test_only_the_nodes_args_annotations_are_kept(double: ApiServerDouble, tmp_path: Path) -> None:
    double.add(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": "server-1",
                "annotations": {
                    "k3s.io/node-args": json.dumps(
                        ["server", "--kube-apiserver-arg", "oidc-client-id=kubernetes", "--token", "K10abc::server:x"]
                    ),
                    "other/annotation": "kept-out",
                },
            },
            "status": {"addresses": [{"address": "10.0.0.5"}]},
        }
    )
    status, _, err, bundle = _collect(double, tmp_path)
    assert status == 0, err
    text = (bundle / "nodes.json").read_text()
    [node] = json.loads(text)["items"]  # worker-1 has no node-args: not written
    assert node["metadata"]["name"] == "server-1" and "status" not in node
    assert list(node["metadata"]["annotations"]) == ["k3s.io/node-args"]
    assert json.loads(node["metadata"]["annotations"]["k3s.io/node-args"])[-1] == "<redacted>"
    assert "K10abc" not in text and "kept-out" not in text


def test_no_credential_reaches_the_bundle(double: ApiServerDouble, tmp_path: Path) -> None:
    status, _, err, bundle = _collect(double, tmp_path, "--token", f"@{_token_file(tmp_path)}")
    assert status == 0, err
    blob = b"".join(p.read_bytes() for p in bundle.iterdir())
    for secret in (CLIENT_SECRET, OPAQUE_SECRET, TOML_SECRET, COOKIE_SECRET, USER_TOKEN):
        assert secret.encode() not in blob, secret
    # Helm records are re-encoded: decode them to look inside
    ev = read_bundle(bundle)
    payloads = [release_payload(i.data, i.ref) for i in ev.of(Kind.HELM_RELEASE)]
    assert payloads and all(HELM_SECRET not in json.dumps(p) for p in payloads)
    assert all("manifest" not in p for p in payloads)
    dex = next(decode_release(i.data, i.ref) for i in ev.of(Kind.HELM_RELEASE) if "dex" in i.ref)
    assert (dex.chart, dex.chart_version) == ("dex", "0.19.1")
    assert dex.user_values["config"]["staticClients"][0] == {"id": "kubeapps", "secret": "<redacted>"}
    # only Secrets labelled owner=helm were ever asked for
    secrets = [r for r in double.requests if r.path.endswith("/secrets")]
    assert secrets and all(r.query["labelSelector"] == ["owner=helm"] for r in secrets)
    # what the checks need stays: the boolean flag, and a cookie secret of the same length
    workload = (bundle / "proxy-workloads.json").read_text()
    assert "--pass-access-token=true" in workload and "--client-secret=<redacted>" in workload
    status, out, _ = run(["diagnose", "--bundle", str(bundle), "--format", "json"])
    assert "proxy-config-invalid" not in [f["cause"] for f in json.loads(out)["findings"]]


def _token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token.jwt"
    path.write_text(USER_TOKEN + "\n")
    return path


def test_the_token_is_written_only_with_include_token(double: ApiServerDouble, tmp_path: Path) -> None:
    status, out, err, bundle = _collect(double, tmp_path, "--token", f"@{_token_file(tmp_path)}", "--include-token")
    assert status == 0, err
    token_file = bundle / "token.txt"
    assert token_file.read_text().strip() == USER_TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert USER_TOKEN not in out and "sha256:" in out
    manifest = _manifest(bundle)
    assert manifest["token"] == {"fingerprint": "sha256:" + _sha(USER_TOKEN), "included": True}
    ev = read_bundle(bundle)
    assert [i.data for i in ev.of(Kind.TOKEN)] == [USER_TOKEN]
    [review] = ev.of(Kind.LIVE)
    assert review.data["status"]["userInfo"]["username"] == "oidc:alice@example.com"
    # the token went to the double (the kubeconfig's server) as a SelfSubjectReview, nowhere else
    with_token = [r for r in double.requests if r.headers.get("Authorization") == f"Bearer {USER_TOKEN}"]
    assert [r.path for r in with_token] == ["/apis/authentication.k8s.io/v1/selfsubjectreviews"]


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def test_include_token_without_a_token_is_a_usage_error(double: ApiServerDouble, tmp_path: Path) -> None:
    status, out, err, _ = _collect(double, tmp_path, "--include-token")
    assert status == 2 and out == "" and "--include-token needs --token" in err


def test_a_rejected_token_is_kept_as_the_api_servers_401(double: ApiServerDouble, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jwt"
    bad.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln\n")
    status, out, err, bundle = _collect(double, tmp_path, "--token", f"@{bad}")
    assert status == 0, err
    ev = read_bundle(bundle)
    [error] = ev.of(Kind.ERROR_TEXT)
    assert '"code":401' in error.data
    assert "[unauthorized] POST selfsubjectreviews with the token" in out


def test_refused_and_absent_reads_are_recorded_and_never_abort(double: ApiServerDouble, tmp_path: Path) -> None:
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    double.forbidden = {f"{rbac}/clusterroles", f"{rbac}/clusterrolebindings", f"{rbac}/roles", f"{rbac}/rolebindings"}
    status, out, err, bundle = _collect(double, tmp_path)
    assert status == 0, err
    assert not list(bundle.glob("rbac-*.json"))
    notes = _manifest(bundle)["notes"]
    assert isinstance(notes, list)
    forbidden = [n for n in notes if n["outcome"] == "forbidden"]
    assert {n["what"] for n in forbidden} == {f"list {p}" for p in double.forbidden}
    assert all(n["area"] == "rbac" and n["blind"] for n in forbidden)
    assert 'User "kubernetes-admin" cannot list resource "roles"' in out
    absent = {n["what"]: n for n in notes if n["outcome"] == "absent"}
    assert "get /api/v1/namespaces/kube-system/configmaps/kubeadm-config" in absent
    # offline, the bundle says unknown where the live read was refused, with the reason
    status, out, _ = run(["diagnose", "--bundle", str(bundle), "--format", "json", "--error", "Forbidden"])
    report = json.loads(out)
    rbac_checks = [c for c in report["checks"] if c["id"].startswith("rbac.") and c["status"] == "unknown"]
    assert rbac_checks and any("forbidden" in c["reason"] for c in rbac_checks)
    assert not [c for c in report["checks"] if c["id"].startswith("rbac.") and c["status"] == "pass"]


def test_namespaces_limit_proxies_ingresses_and_releases_not_rbac(double: ApiServerDouble, tmp_path: Path) -> None:
    status, _, err, bundle = _collect(double, tmp_path, "-n", "kubeapps", "-n", "team-b")
    assert status == 0, err
    paths = {r.path for r in double.requests}
    assert "/apis/apps/v1/namespaces/kubeapps/deployments" in paths
    assert "/apis/apps/v1/namespaces/team-b/deployments" in paths
    assert "/apis/apps/v1/deployments" not in paths
    assert "/apis/rbac.authorization.k8s.io/v1/rolebindings" in paths  # RBAC: every namespace
    releases = json.loads((bundle / "helm-releases.json").read_text())["items"]
    assert {r["metadata"]["namespace"] for r in releases} == {"kubeapps"}


def test_big_lists_are_paged_and_streamed(double: ApiServerDouble, tmp_path: Path) -> None:
    for i in range(1203):
        double.add(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": f"rb-{i:04d}", "namespace": "bulk"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "User", "name": f"user-{i}"}],
            }
        )
    status, _, err, bundle = _collect(double, tmp_path)
    assert status == 0, err
    pages = [r for r in double.requests if r.path == "/apis/rbac.authorization.k8s.io/v1/rolebindings"]
    assert len(pages) == 3 and all(r.query["limit"] == ["500"] for r in pages)
    items = json.loads((bundle / "rbac-rolebindings.json").read_text())["items"]
    assert len(items) == 1203 + 5 and all(i["kind"] == "RoleBinding" for i in items)


def test_an_existing_folder_with_files_is_refused(double: ApiServerDouble, tmp_path: Path) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "mine.txt").write_text("keep me")
    status, out, err, bundle = _collect(double, tmp_path)
    assert status == 2 and out == ""
    assert err.strip() == f"oidc-doctor: {bundle}: exists and is not an empty folder (collect writes a new bundle)"
    assert [p.name for p in bundle.iterdir()] == ["mine.txt"]


def test_rejected_kubeconfig_credentials_end_with_one_line_and_exit_2(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig", {"token": "not-accepted"}))
    status, out, err = run(["collect", "-o", str(tmp_path / "b"), "--kubeconfig", kc, "--no-issuer"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "nothing could be read from https://127.0.0.1:" in err and "401 Unauthorized" in err


def test_an_unreachable_api_server_ends_with_one_line_and_exit_2(tmp_path: Path) -> None:
    with ApiServerDouble() as gone:
        kc = str(gone.kubeconfig(tmp_path / "kubeconfig"))
    status, out, err = run(["collect", "-o", str(tmp_path / "b"), "--kubeconfig", kc, "--no-issuer"])
    assert status == 2 and out == "" and err.count("\n") == 1 and "cannot reach https://127.0.0.1:" in err


def test_kubeadm_config_and_a_gke_clientconfig_are_collected_when_present(
    double: ApiServerDouble, tmp_path: Path
) -> None:
    from live_testkit import docs

    for obj in [
        *docs("authn/fixtures/kubeadm-config-configmap-OK.yaml"),
        *docs("authn/fixtures/gke-clientconfig-OK.yaml"),
    ]:
        double.add(obj)
    status, _, err, bundle = _collect(double, tmp_path)
    assert status == 0, err
    ev = read_bundle(bundle)
    assert len(ev.of(Kind.KUBEADM_CONFIG)) == 1 and len(ev.of(Kind.GKE_CLIENTCONFIG)) == 1
    notes = _manifest(bundle)["notes"]
    assert isinstance(notes, list)
    assert not [n for n in notes if "kubeadm-config" in n["what"] or "clientconfigs" in n["what"]]


def test_a_refused_read_names_the_permission_that_would_allow_it(tmp_path: Path) -> None:
    from oidc_doctor.live.manifest import MANIFEST

    roles = "/apis/rbac.authorization.k8s.io/v1/clusterroles"
    leases = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
    with ApiServerDouble(forbidden={roles, leases}) as double:
        populate(double)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        status, _out, err = run(["collect", "-o", str(tmp_path / "b"), "--kubeconfig", kc, "--no-issuer"])
    assert status == 0, err
    notes = {n["what"].split("?")[0]: n for n in json.loads((tmp_path / "b" / MANIFEST).read_text())["notes"]}
    assert notes[f"list {roles}"]["reason"].endswith(
        "(needs `list` on clusterroles.rbac.authorization.k8s.io at the cluster scope "
        "(kubectl auth can-i list clusterroles.rbac.authorization.k8s.io))"
    )
    assert "needs `list` on leases.coordination.k8s.io in namespace kube-system" in notes[f"list {leases}"]["reason"]
    assert "needs `list` on leases.coordination.k8s.io" in _out  # the summary lists it too


def test_permission_for_reads_the_api_path() -> None:
    from oidc_doctor.live.readers import permission_for

    assert permission_for("list /api/v1/namespaces/kube-system/pods?labelSelector=component=kube-apiserver") == (
        "needs `list` on pods in namespace kube-system (kubectl auth can-i list pods -n kube-system)"
    )
    assert permission_for("get /metrics") == (
        "needs `get` on the non-resource URL /metrics (kubectl auth can-i get /metrics)"
    )
    assert permission_for("workloads with an oauth2-proxy container") == ""


def test_collect_reads_the_authenticators_that_stand_in_for_the_api_servers(tmp_path: Path) -> None:
    jwt_authenticator = {
        "apiVersion": "authentication.concierge.pinniped.dev/v1alpha1",
        "kind": "JWTAuthenticator",
        "metadata": {"name": "keycloak", "generation": 2},
        "spec": {"issuer": "https://keycloak.example.com/realms/k8s", "audience": "kubernetes"},
        "status": {
            "phase": "Error",
            "conditions": [
                {
                    "type": "JWKSFetchValid",
                    "status": "False",
                    "reason": "InvalidCouldNotFetchJWKS",
                    "message": "could not fetch keys: fetching keys oidc: get keys failed: 503 Service Unavailable",
                    "observedGeneration": 2,
                }
            ],
        },
    }
    openshift = {
        "apiVersion": "config.openshift.io/v1",
        "kind": "Authentication",
        "metadata": {"name": "cluster"},
        "spec": {"type": "IntegratedOAuth"},
    }
    with ApiServerDouble() as double:
        populate(double)
        double.add(jwt_authenticator)
        double.add(openshift)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        status, _out, err = run(["collect", "-o", str(tmp_path / "b"), "--kubeconfig", kc, "--no-issuer"])
    assert status == 0, err
    ev = read_bundle(tmp_path / "b")
    [pinniped] = ev.of(Kind.PINNIPED_JWT)
    assert pinniped.data["status"]["conditions"][0]["type"] == "JWKSFetchValid"
    assert any(r.ref.endswith("openshift-authentication.json") for r in ev.inputs)
    status, out, _ = run(["diagnose", "--bundle", str(tmp_path / "b"), "--format", "json"])
    report = json.loads(out)
    found = [f for f in report["findings"] if f["check"] == "controlplane.pinniped"]
    assert [f["cause"] for f in found] == ["issuer-unreachable"]


def test_collect_keeps_a_kube_oidc_proxy_deployment(tmp_path: Path) -> None:
    from fixturekit.apps import kube_oidc_proxy

    kop = kube_oidc_proxy("https://dex.example.com")
    with ApiServerDouble() as double:
        populate(double)
        double.add(kop)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        status, _out, err = run(["collect", "-o", str(tmp_path / "b"), "--kubeconfig", kc, "--no-issuer"])
    assert status == 0, err
    ev = read_bundle(tmp_path / "b")
    names = [i.data["metadata"]["name"] for i in ev.of(Kind.WORKLOAD)]
    assert "kube-oidc-proxy" in names
