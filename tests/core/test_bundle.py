"""The bundle reader recognises files by content, never by name, and never dies on bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from oidc_doctor.bundle import read_bundle
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Kind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3gifQ.c2lnbmF0dXJl"


def _bundle(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return tmp_path


def _kinds(folder: Path) -> dict[str, set[str]]:
    ev = read_bundle(folder)
    out: dict[str, set[str]] = {}
    for rec in ev.inputs:
        out.setdefault(rec.ref.split("/", 1)[1], set()).add(rec.kind)
    return out


def _pod(name: str, container: str, command: list[str]) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": {"containers": [{"name": container, "image": "x", "command": command}]},
    }


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (JWT, Kind.TOKEN),
        (f"Bearer {JWT}\n", Kind.TOKEN),
        (f"Authorization: Bearer {JWT}", Kind.TOKEN),
        ("ya29.a0AfH6SMBx3opaqueGoogleAccessToken_abc", Kind.TOKEN),
        (json.dumps({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}), Kind.JWKS),
        (json.dumps({"issuer": "https://x", "jwks_uri": "https://x/keys"}), Kind.DISCOVERY),
        (yaml.safe_dump(_pod("kube-apiserver-cp1", "kube-apiserver", ["kube-apiserver", "--a=b"])), Kind.APISERVER_POD),
        (
            yaml.safe_dump({"apiVersion": "kubeadm.k8s.io/v1beta3", "kind": "ClusterConfiguration", "apiServer": {}}),
            Kind.KUBEADM_CONFIG,
        ),
        (
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                    "data": {
                        "ClusterConfiguration": "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
                    },
                }
            ),
            Kind.KUBEADM_CONFIG,
        ),
        (
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {"name": "n", "annotations": {"k3s.io/node-args": "[]"}},
                }
            ),
            Kind.NODE_ARGS,
        ),
        (
            yaml.safe_dump(
                {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": []}
            ),
            Kind.AUTH_CONFIG,
        ),
        (json.dumps({"identityProviderConfig": {"oidc": {"issuerUrl": "https://x"}}}), Kind.EKS_IDP),
        (
            yaml.safe_dump({"apiVersion": "authentication.gke.io/v2alpha1", "kind": "ClientConfig", "spec": {}}),
            Kind.GKE_CLIENTCONFIG,
        ),
        (
            yaml.safe_dump(
                {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"}}
            ),
            Kind.RBAC,
        ),
        (
            yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1", "data": {}}),
            Kind.HELM_RELEASE,
        ),
        (
            yaml.safe_dump({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"}}),
            Kind.INGRESS,
        ),
        (
            yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "data": {"oauth2_proxy.cfg": "x = 1"}}),
            Kind.CONFIGMAP,
        ),
        (
            "I1128 10:00:00.000000       1 controller.go:1] x\nE1128 10:00:01.000000       1 authentication.go:73] "
            '"Unable to authenticate the request" err="invalid bearer token"\n',
            Kind.APISERVER_LOG,
        ),
        (
            "2026-11-28T10:00:00.123Z I1128 10:00:00.000000       1 controller.go:1] a\n"
            "2026-11-28T10:00:01.123Z I1128 10:00:01.000000       1 controller.go:1] b\n",
            Kind.APISERVER_LOG,
        ),
        (
            "[2026/11/28 10:00:00] [oauthproxy.go:162] OAuthProxy configured for OpenID Connect Client ID: kubeapps\n"
            "[2026/11/28 10:00:00] [oauthproxy.go:170] Cookie settings: name:_oauth2_proxy refresh:disabled\n",
            Kind.PROXY_LOG,
        ),
        (
            "2026/11/28 10:00:00 [error] 31#31: *9 upstream sent too big header while reading response header\n"
            '10.0.0.1 - - [28/Nov/2026:10:00:00 +0000] "GET /api HTTP/1.1" 502 150 "-" "curl"\n',
            Kind.INGRESS_LOG,
        ),
        ("error: You must be logged in to the server (Unauthorized)\n", Kind.ERROR_TEXT),
        (
            json.dumps(
                {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "Unauthorized", "code": 401}
            ),
            Kind.ERROR_TEXT,
        ),
    ],
)
def test_files_are_recognised_by_content_whatever_their_name(tmp_path: Path, content: str, kind: Kind) -> None:
    folder = _bundle(tmp_path, {"file-without-telling-name": content})
    assert _kinds(folder)["file-without-telling-name"] == {str(kind)}


def test_a_token_file_gives_the_bare_token(tmp_path: Path) -> None:
    ev = read_bundle(_bundle(tmp_path, {"t": f"  Authorization: Bearer {JWT}  \n"}))
    assert [i.data for i in ev.of(Kind.TOKEN)] == [JWT]


def test_multi_document_yaml_and_lists_are_unwrapped(tmp_path: Path) -> None:
    rb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "n"},
    }
    lst = {"apiVersion": "v1", "kind": "List", "items": [rb, rb]}
    ev = read_bundle(_bundle(tmp_path, {"a.yaml": yaml.safe_dump_all([rb, lst]), "b.json": json.dumps(lst)}))
    assert len(ev.of(Kind.RBAC)) == 5
    assert any(r.objects == 3 for r in ev.inputs if r.ref.endswith("a.yaml"))
    assert "RoleBinding n/b" in ev.of(Kind.RBAC)[0].ref


def test_unrecognised_broken_and_binary_files_are_listed_not_fatal(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {
            "notes.txt": "remember to buy milk\n",
            "broken.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n",
            "junk.bin": bytes(range(256)) * 4,
            "podless.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}),
            "other.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}),
        },
    )
    ev = read_bundle(folder)
    by = {r.ref.split("/", 1)[1]: r for r in ev.inputs}
    assert by["notes.txt"].kind == "unrecognised" and by["notes.txt"].reason == "no known content"
    assert by["broken.yaml"].kind == "broken" and "line" in by["broken.yaml"].reason
    assert by["junk.bin"].kind == "unrecognised" and "binary" in by["junk.bin"].reason
    assert by["podless.yaml"].kind == "broken" and "containers" in by["podless.yaml"].reason
    assert by["other.yaml"].kind == "unrecognised" and "Service" in by["other.yaml"].reason
    assert ev.items == []


def test_gzipped_logs_are_recognised(tmp_path: Path) -> None:
    log = b'E1128 10:00:01.000000       1 authentication.go:73] "Unable to authenticate the request" err="x"\n' * 50
    ev = read_bundle(_bundle(tmp_path, {"apiserver.log.gz": gzip.compress(log)}))
    assert [i.kind for i in ev.items] == [Kind.APISERVER_LOG]
    assert ev.items[0].path is not None


def test_a_missing_or_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        read_bundle(tmp_path / "nope")
    with pytest.raises(InputError, match="no files"):
        read_bundle(tmp_path)


@pytest.mark.parametrize("name", ["kubeapps-audience-mismatch", "rbac-prefix-mismatch", "healthy"])
def test_example_bundles_have_no_unrecognised_file(name: str) -> None:
    ev = read_bundle(EXAMPLES / name)
    assert all(r.kind not in ("unrecognised", "broken") for r in ev.inputs), ev.inputs
    assert ev.has(Kind.TOKEN) and ev.has(Kind.APISERVER_POD) and ev.has(Kind.RBAC)


def test_kubeconfig_id_token_and_token_responses_are_read_as_tokens(tmp_path: Path) -> None:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "users": [
            {"name": "cert-user", "user": {"client-key-data": "c2VjcmV0"}},
            {"name": "oidc", "user": {"auth-provider": {"name": "oidc", "config": {"id-token": JWT}}}},
        ],
    }
    folder = _bundle(tmp_path, {"config": yaml.safe_dump(kubeconfig), "resp.json": json.dumps({"id_token": JWT})})
    ev = read_bundle(folder)
    assert [i.data for i in ev.of(Kind.TOKEN)] == [JWT, JWT]


def test_a_base64_wrapped_token_is_unwrapped(tmp_path: Path) -> None:
    import base64

    ev = read_bundle(_bundle(tmp_path, {"t": base64.b64encode(JWT.encode()).decode()}))
    assert [i.data for i in ev.of(Kind.TOKEN)] == [JWT]


def test_yaml_with_leading_comments_is_read_as_objects(tmp_path: Path) -> None:
    rb = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"}}
    text = "# Source: chart/templates/rbac.yaml\n\n  # indented comment\n" + yaml.safe_dump(rb)
    ev = read_bundle(_bundle(tmp_path, {"rbac.yaml": text}))
    assert [i.kind for i in ev.items] == [Kind.RBAC]


def test_kubelogin_exec_credential_is_a_token(tmp_path: Path) -> None:
    # `kubectl oidc-login get-token` prints an ExecCredential (client.authentication.k8s.io/v1beta1).
    cred = {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {"interactive": False},
        "status": {"expirationTimestamp": "2026-11-28T10:30:00Z", "token": JWT},
    }
    ev = read_bundle(_bundle(tmp_path, {"get-token.json": json.dumps(cred)}))
    assert [i.data for i in ev.of(Kind.TOKEN)] == [JWT]
    assert [r.kind for r in ev.inputs] == ["token"]


def test_other_documents_of_a_used_file_are_ignored_not_unrecognised(tmp_path: Path) -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubeapps"}}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "kubeapps"},
        "spec": {"template": {"spec": {"containers": [{"name": "auth-proxy", "args": ["--provider=oidc"]}]}}},
    }
    text = "---\n# Source: kubeapps/templates/frontend/service.yaml\n" + yaml.safe_dump(svc)
    text += "---\n# Source: kubeapps/templates/frontend/deployment.yaml\n" + yaml.safe_dump(deploy)
    kinds = _kinds(_bundle(tmp_path, {"helm-template.yaml": text}))
    assert kinds["helm-template.yaml"] == {"workload", "ignored"}


def test_kubectl_stderr_with_its_klog_lines_is_the_error_text(tmp_path: Path) -> None:
    text = (
        "E1128 10:25:08.318522   48211 memcache.go:265] couldn't get current server API group list: "
        "the server has asked for the client to provide credentials\n"
        "error: You must be logged in to the server (Unauthorized)\n"
    )
    ev = read_bundle(_bundle(tmp_path, {"kubectl.txt": text}))
    assert [i.kind for i in ev.items] == [Kind.ERROR_TEXT]
    assert "Unauthorized" in ev.items[0].data


def test_service_account_issuer_discovery_is_not_the_identity_providers(tmp_path: Path) -> None:
    # `kubectl get --raw /.well-known/openid-configuration` answers for the service-account issuer.
    sa = {
        "issuer": "https://kubernetes.default.svc.cluster.local",
        "jwks_uri": "https://172.18.0.2:6443/openid/v1/jwks",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    idp = {"issuer": "https://idp.example.com", "jwks_uri": "https://idp.example.com/keys"}
    ev = read_bundle(_bundle(tmp_path, {"sa.json": json.dumps(sa), "idp.json": json.dumps(idp)}))
    assert [i.data["issuer"] for i in ev.of(Kind.DISCOVERY)] == ["https://idp.example.com"]
    by = {r.ref.split("/", 1)[1]: r for r in ev.inputs}
    assert by["sa.json"].kind == "unrecognised" and "service-account issuer" in by["sa.json"].reason


DESCRIBE = """Name:                 kube-apiserver-cp1
Namespace:            kube-system
Priority:             2000001000
Node:                 cp1/172.18.0.2
Labels:               component=kube-apiserver
                      tier=control-plane
Status:               Running
Controlled By:  Node/cp1
Containers:
  kube-apiserver:
    Container ID:  containerd://3b1f0e2d4c5a
    Image:         registry.k8s.io/kube-apiserver:v1.30.6
    Port:          <none>
    Command:
      kube-apiserver
      --advertise-address=172.18.0.2
      --oidc-client-id=kubernetes
      --oidc-issuer-url=https://idp.example.com
    State:          Running
    Ready:          True
    Mounts:
      /etc/kubernetes/pki from k8s-certs (ro)
Conditions:
  Type              Status
  Ready             True
Events:            <none>
"""


def test_kubectl_describe_of_the_apiserver_pod_gives_its_command(tmp_path: Path) -> None:
    ev = read_bundle(_bundle(tmp_path, {"describe.txt": DESCRIBE}))
    (item,) = ev.of(Kind.APISERVER_POD)
    assert item.data["metadata"] == {"name": "kube-apiserver-cp1", "namespace": "kube-system"}
    (c,) = item.data["spec"]["containers"]
    assert c["name"] == "kube-apiserver" and c["command"][-2:] == [
        "--oidc-client-id=kubernetes",
        "--oidc-issuer-url=https://idp.example.com",
    ]
    other = DESCRIBE.replace("kube-apiserver", "coredns")
    ev = read_bundle(_bundle(tmp_path / "other", {"describe.txt": other}))
    assert ev.of(Kind.APISERVER_POD) == []


def test_windows_powershell_encodings_are_read(tmp_path: Path) -> None:
    # PowerShell 5.1 `kubectl get ... > file` writes UTF-16 LE with a BOM; Out-File -Encoding utf8 a UTF-8 BOM.
    pod = yaml.safe_dump(
        _pod("kube-apiserver-cp1", "kube-apiserver", ["kube-apiserver", "--oidc-issuer-url=https://x"])
    )
    files: dict[str, str | bytes] = {
        "pods.yaml": b"\xff\xfe" + pod.replace("\n", "\r\n").encode("utf-16-le"),
        "token.txt": b"\xef\xbb\xbf" + JWT.encode() + b"\r\n",
        "jwks.json": b"\xfe\xff" + json.dumps({"keys": []}).encode("utf-16-be"),
    }
    ev = read_bundle(_bundle(tmp_path, files))
    assert sorted(str(i.kind) for i in ev.items) == ["apiserver-pod", "jwks", "token"]
    assert ev.of(Kind.TOKEN)[0].data == JWT
