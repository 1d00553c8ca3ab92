"""Write the example bundles in ``examples/`` (run: ``python examples/generate.py``).

Each bundle is a folder of the files a user would send: ``kubectl get -o yaml`` output, the
id_token, the JWKS and discovery document, log excerpts and the error they saw. Tokens are
signed with a throw-away RSA key made on each run (only its public half is written), at fixed
times around ``NOW`` so the bundles are judged with ``--now 2026-11-28T10:25:12Z``.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oidc_doctor.jose import b64url_encode

HERE = Path(__file__).parent
NOW = int(datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC).timestamp())
ISSUER = "https://keycloak.example.com/realms/k8s"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "demo-key-1"


def sign(claims: dict[str, Any], kid: str = KID) -> str:
    """An RS256 id_token with ``claims``."""
    header = b64url_encode(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64url_encode(json.dumps(claims).encode())
    signature = KEY.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url_encode(signature)}"


def jwks() -> dict[str, Any]:
    """The public half of the demo key."""
    numbers = KEY.public_key().public_numbers()
    return {
        "keys": [
            {
                "kid": KID,
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "n": b64url_encode(numbers.n.to_bytes(256, "big")),
                "e": b64url_encode(numbers.e.to_bytes(3, "big")),
            }
        ]
    }


def discovery() -> dict[str, Any]:
    """A Keycloak-shaped discovery document."""
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
        "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
        "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }


def claims(**over: Any) -> dict[str, Any]:
    """Keycloak-like id_token claims for alice, issued 2 minutes before NOW, 5-minute lifetime."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01",
        "aud": "kubernetes",
        "azp": "kubernetes",
        "typ": "ID",
        "exp": NOW + 180,
        "iat": NOW - 120,
        "auth_time": NOW - 125,
        "email": "alice@example.com",
        "email_verified": True,
        "preferred_username": "alice",
        "groups": ["dev"],
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def apiserver_pod(*flags: str) -> dict[str, Any]:
    """A kubeadm static-pod manifest of kube-apiserver with ``flags`` added."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "kube-apiserver-cp1",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
        },
        "spec": {
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": "registry.k8s.io/kube-apiserver:v1.31.4",
                    "command": [
                        "kube-apiserver",
                        "--advertise-address=10.0.0.10",
                        "--authorization-mode=Node,RBAC",
                        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
                        "--secure-port=6443",
                        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                        *flags,
                    ],
                }
            ]
        },
    }


OIDC_FLAGS = (
    f"--oidc-issuer-url={ISSUER}",
    "--oidc-client-id=kubernetes",
    "--oidc-username-claim=email",
    "--oidc-username-prefix=oidc:",
    "--oidc-groups-claim=groups",
    "--oidc-groups-prefix=oidc:",
)


def binding(name: str, ns: str | None, role: str, *subjects: tuple[str, str]) -> dict[str, Any]:
    """A RoleBinding (with ``ns``) or ClusterRoleBinding to ClusterRole ``role``."""
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if ns else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": k, "name": n} for k, n in subjects],
    }


VIEW_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "view"},
    "rules": [
        {
            "apiGroups": [""],
            "resources": ["pods", "services", "configmaps", "namespaces"],
            "verbs": ["get", "list", "watch"],
        },
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
    ],
}


def kubeapps_deployment(chart: str, proxy_args: list[str]) -> dict[str, Any]:
    """The Kubeapps frontend Deployment with its nginx and auth-proxy containers."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "kubeapps",
            "namespace": "kubeapps",
            "labels": {"app.kubernetes.io/component": "frontend", "helm.sh/chart": chart},
        },
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "docker.io/bitnami/nginx:1.21.0"},
                        {
                            "name": "auth-proxy",
                            "image": "docker.io/bitnami/oauth2-proxy:7.1.3",
                            "args": proxy_args,
                            "env": [
                                {
                                    "name": "OAUTH2_PROXY_CLIENT_ID",
                                    "valueFrom": {"secretKeyRef": {"name": "kubeapps-oauth2", "key": "clientID"}},
                                },
                                {
                                    "name": "OAUTH2_PROXY_CLIENT_SECRET",
                                    "valueFrom": {"secretKeyRef": {"name": "kubeapps-oauth2", "key": "clientSecret"}},
                                },
                                {
                                    "name": "OAUTH2_PROXY_COOKIE_SECRET",
                                    "valueFrom": {"secretKeyRef": {"name": "kubeapps-oauth2", "key": "cookieSecret"}},
                                },
                            ],
                        },
                    ]
                }
            }
        },
    }


def write(folder: str, files: dict[str, Any]) -> None:
    """Write one bundle; YAML lists become multi-document files."""
    target = HERE / folder
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name, content in files.items():
        path = target / name
        if isinstance(content, str):
            path.write_text(content if content.endswith("\n") else content + "\n")
        elif name.endswith(".json"):
            path.write_text(json.dumps(content, indent=2) + "\n")
        else:
            docs = content if isinstance(content, list) else [content]
            path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def klog(ts: str, err: str) -> str:
    """A kube-apiserver (>= 1.21) authentication failure line, Go-quoted."""
    quoted = err.replace("\\", "\\\\").replace('"', '\\"')
    return f'E{ts}       1 authentication.go:73] "Unable to authenticate the request" err="{quoted}"'


def main() -> None:
    """Write every example bundle."""
    proxy_args = [
        "--provider=oidc",
        f"--oidc-issuer-url={ISSUER}",
        "--upstream=http://localhost:8080/",
        "--http-address=0.0.0.0:3000",
        "--email-domain=*",
        "--pass-basic-auth=false",
        "--pass-access-token=true",
        "--pass-authorization-header=true",
        "--skip-auth-regex=^\\/config\\.js$",
        "--scope=openid email groups",
    ]
    # Kubeapps logs in through its own OAuth client "kubeapps"; the API server accepts only
    # "kubernetes": every request gets 401 and the API server log says why.
    write(
        "kubeapps-audience-mismatch",
        {
            "id_token.txt": sign(claims(aud="kubeapps", azp="kubeapps")),
            "kube-apiserver.yaml": apiserver_pod(*OIDC_FLAGS),
            "rbac.yaml": [VIEW_ROLE, binding("dev-view", "dev", "view", ("Group", "oidc:dev"))],
            "kubeapps.yaml": kubeapps_deployment("kubeapps-7.0.0", proxy_args),
            "jwks.json": jwks(),
            "openid-configuration.json": discovery(),
            "kube-apiserver.log": "\n".join(
                [
                    "I1128 10:20:01.000000       1 controller.go:615] quota admission added evaluator",
                    klog(
                        "1128 10:24:58.123456",
                        'invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" '
                        'got ["kubeapps"]',
                    ),
                    klog(
                        "1128 10:25:03.654321",
                        'invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" '
                        'got ["kubeapps"]',
                    ),
                ]
            ),
            "what-i-saw.txt": "Authorization required to get the Namespace 'default' due to 'Unauthorized'",
        },
    )
    # The login works, but the RoleBinding names the user without the "oidc:" prefix.
    write(
        "rbac-prefix-mismatch",
        {
            "token.txt": "Authorization: Bearer " + sign(claims()),
            "apiserver-pods.yaml": {"apiVersion": "v1", "kind": "List", "items": [apiserver_pod(*OIDC_FLAGS)]},
            "rbac.yaml": [VIEW_ROLE, binding("alice-view", "dev", "view", ("User", "alice@example.com"))],
            "jwks.json": jwks(),
            "error.txt": 'Error from server (Forbidden): pods is forbidden: User "oidc:alice@example.com" '
            'cannot list resource "pods" in API group "" in the namespace "dev"',
        },
    )
    # Everything lines up: no error or warning finding.
    write(
        "healthy",
        {
            "id_token.txt": sign(claims()),
            "kube-apiserver.yaml": apiserver_pod(*OIDC_FLAGS),
            "rbac.yaml": [VIEW_ROLE, binding("dev-view", "dev", "view", ("Group", "oidc:dev"))],
            "kubeapps.yaml": kubeapps_deployment("kubeapps-12.2.10", [*proxy_args, "--cookie-refresh=2m"]),
            "jwks.json": jwks(),
            "openid-configuration.json": discovery(),
        },
    )


if __name__ == "__main__":
    main()
