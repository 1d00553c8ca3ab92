"""A small cluster for the live tests: objects stored in the API server test double, and a CLI runner.

The objects come from the other areas' fixtures (the kube-apiserver Pod of the authn fixtures, the
RBAC list of the rbac fixtures, the Kubeapps 7.0.4 Deployment and Helm release of the proxy
fixtures) plus a few with credentials in them, so tests can prove what a bundle must not hold.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from apiserver_double import ApiServerDouble

from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.loader import load_documents
from oidc_doctor.proxy.helm import encode_release

TESTS = Path(__file__).resolve().parent.parent


def _jwt(claims: dict[str, Any]) -> str:
    """A JWT-shaped string whose signature nobody made: the double compares it, never verifies it."""
    import json

    def part(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.{part('not-a-signature')}"


#: The user's token: claims that agree with what the double's SelfSubjectReview answers (ALICE).
USER_TOKEN = _jwt(
    {
        "iss": "https://idp.example.com/realms/k8s",
        "aud": "kubernetes",
        "sub": "alice",
        "email": "alice@example.com",
        "email_verified": True,
        "groups": ["dev"],
        "iat": 1_700_000_000,
        "exp": 4_100_000_000,
    }
)
ALICE: dict[str, Any] = {
    "username": "oidc:alice@example.com",
    "uid": "0e5f2c",
    "groups": ["oidc:dev", "system:authenticated"],
    "extra": {"authentication.kubernetes.io/credential-id": ["JTI=4f1c"]},
}
#: Credentials planted in the cluster; none may appear in a bundle.
CLIENT_SECRET = "client-secret-Zq8w"
OPAQUE_SECRET = "opaque-secret-data-Xy7"
HELM_SECRET = "helm-value-secret-Pp3"
TOML_SECRET = "toml-client-secret-Kk1"
COOKIE_SECRET = "0123456789abcdef0123456789abcdef"  # 32 bytes: oauth2-proxy accepts it


def docs(relative: str) -> list[Any]:
    """The documents of a fixture file under ``tests/``."""
    path = TESTS / relative
    return [d.data for d in load_documents(path.read_text(), str(path))]


def apiserver_pod(issuer: str = "https://idp.example.com/realms/k8s") -> dict[str, Any]:
    """The authn fixture's kube-apiserver Pod, labelled as kubeadm labels it, with ``issuer``."""
    [pod] = docs("authn/fixtures/apiserver-prefix-oidc-OK.yaml")
    assert isinstance(pod, dict)
    pod["metadata"]["labels"] = {"component": "kube-apiserver", "tier": "control-plane"}
    cmd = pod["spec"]["containers"][0]["command"]
    pod["spec"]["containers"][0]["command"] = [
        f"--oidc-issuer-url={issuer}" if a.startswith("--oidc-issuer-url=") else a for a in cmd
    ]
    return pod


def populate(double: ApiServerDouble, *, issuer: str = "https://idp.example.com/realms/k8s") -> None:
    """Store a kubeadm-like cluster with RBAC, Kubeapps 7.0.4 and a few planted credentials."""
    double.add(apiserver_pod(issuer))
    double.add(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "worker-1", "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
        }
    )
    for obj in docs("rbac/fixtures/cluster-rbac.yaml"):
        double.add(obj)
    deploy, *_ = docs("proxy/fixtures/kubeapps-7.0.4-deployment.yaml")
    proxy = next(c for c in deploy["spec"]["template"]["spec"]["containers"] if c["name"] == "auth-proxy")
    proxy["args"] = [*proxy.get("args", []), f"--client-secret={CLIENT_SECRET}", "--pass-access-token=true"]
    proxy.setdefault("env", []).append({"name": "OAUTH2_PROXY_COOKIE_SECRET", "value": COOKIE_SECRET})
    deploy["spec"]["template"]["spec"].setdefault("volumes", []).append(
        {"name": "proxy-config", "configMap": {"name": "proxy-config"}}
    )
    double.add(deploy)
    for obj in docs("proxy/fixtures/kubeapps-7.0.4-release.yaml"):
        double.add(obj)
    double.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "proxy-config", "namespace": "kubeapps"},
            "data": {"oauth2_proxy.cfg": f'provider = "oidc"\nclient_secret = "{TOML_SECRET}"\n'},
        }
    )
    double.add(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "db", "namespace": "kubeapps"},
            "data": {"password": base64.b64encode(OPAQUE_SECRET.encode()).decode()},
        }
    )
    release = {
        "name": "dex",
        "namespace": "dex",
        "version": 1,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "dex", "version": "0.19.1"}, "values": {"replicas": 1}},
        "config": {"config": {"staticClients": [{"id": "kubeapps", "secret": HELM_SECRET}]}},
        "manifest": f"apiVersion: v1\nkind: Secret\nstringData:\n  secret: {HELM_SECRET}\n",
    }
    double.add(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {
                "name": "sh.helm.release.v1.dex.v1",
                "namespace": "dex",
                "labels": {"owner": "helm", "name": "dex", "status": "deployed", "version": "1"},
            },
            "data": {"release": base64.b64encode(encode_release(release).encode()).decode()},
        }
    )
    double.add(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "kubeapps", "namespace": "kubeapps"},
            "spec": {"rules": [{"host": "kubeapps.example.com"}]},
        }
    )


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """The CLI in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(stdin), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()
