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
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from oidc_doctor.jose import b64url_encode

HERE = Path(__file__).parent
NOW = int(datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC).timestamp())
ISSUER = "https://keycloak.example.com/realms/k8s"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
KID = "demo-key-1"
EC_KID = "demo-ec-1"


def sign(claims: dict[str, Any], kid: str = KID, key: rsa.RSAPrivateKey | None = None, typ: str = "JWT") -> str:
    """An RS256 id_token with ``claims`` (signed by ``key``, default the published demo key)."""
    header = b64url_encode(json.dumps({"alg": "RS256", "typ": typ, "kid": kid}).encode())
    payload = b64url_encode(json.dumps(claims).encode())
    signature = (key or KEY).sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url_encode(signature)}"


def sign_es256(claims: dict[str, Any]) -> str:
    """An ES256 id_token (raw r||s signature, as JWS wants)."""
    header = b64url_encode(json.dumps({"alg": "ES256", "typ": "JWT", "kid": EC_KID}).encode())
    payload = b64url_encode(json.dumps(claims).encode())
    r, s_ = decode_dss_signature(EC_KEY.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{payload}.{b64url_encode(r.to_bytes(32, 'big') + s_.to_bytes(32, 'big'))}"


def jwks() -> dict[str, Any]:
    """The public halves of the demo keys (RSA and EC)."""
    numbers = KEY.public_key().public_numbers()
    ec_numbers = EC_KEY.public_key().public_numbers()
    return {
        "keys": [
            {
                "kid": KID,
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "n": b64url_encode(numbers.n.to_bytes(256, "big")),
                "e": b64url_encode(numbers.e.to_bytes(3, "big")),
            },
            {
                "kid": EC_KID,
                "kty": "EC",
                "alg": "ES256",
                "use": "sig",
                "crv": "P-256",
                "x": b64url_encode(ec_numbers.x.to_bytes(32, "big")),
                "y": b64url_encode(ec_numbers.y.to_bytes(32, "big")),
            },
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
    """A kube-apiserver (>= 1.21) authentication failure line, Go-quoted.

    ``err`` is the bearer-token union's error list as the API server prints it:
    ``[invalid bearer token, oidc: ...]``.
    """
    quoted = err.replace("\\", "\\\\").replace('"', '\\"')
    return f'E{ts}       1 authentication.go:73] "Unable to authenticate the request" err="{quoted}"'


PROXY_ARGS = [
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
    "--cookie-refresh=2m",
]
BASE_RBAC = [VIEW_ROLE, binding("dev-view", "dev", "view", ("Group", "oidc:dev"))]
ERR_401 = "error: You must be logged in to the server (Unauthorized)"


def forbidden(user: str, verb: str = "list", resource: str = "pods", ns: str = "dev") -> str:
    """kubectl's 403 text, which quotes the username the API server computed."""
    return (
        f'Error from server (Forbidden): {resource} is forbidden: User "{user}" cannot {verb} resource '
        f'"{resource}" in API group "" in the namespace "{ns}"'
    )


def init_log(*lines: tuple[str, str, str]) -> str:
    """klog lines (severity, time, message) of kube-apiserver."""
    return "\n".join(f"{sev}{ts}       1 {msg}" for sev, ts, msg in lines)


def with_proxy(*extra: str, drop: tuple[str, ...] = (), chart: str = "kubeapps-12.2.10") -> dict[str, Any]:
    """The Kubeapps Deployment with ``extra`` auth-proxy flags and flags starting with ``drop`` removed."""
    args = [a for a in PROXY_ARGS if not a.startswith(drop)] if drop else list(PROXY_ARGS)
    return kubeapps_deployment(chart, [*args, *extra])


def base(**over: Any) -> dict[str, Any]:
    """A healthy bundle; ``over`` replaces or (with None) removes files."""
    files: dict[str, Any] = {
        "id_token.txt": sign(claims()),
        "kube-apiserver.yaml": apiserver_pod(*OIDC_FLAGS),
        "rbac.yaml": BASE_RBAC,
        "kubeapps.yaml": with_proxy(),
        "jwks.json": jwks(),
        "openid-configuration.json": discovery(),
    }
    for name, v in over.items():
        if v is None:
            files.pop(name, None)
        else:
            files[name] = v
    return files


def scenarios() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Bundle name -> (files, expectation). ``first``: the first finding's cause; ``present``: causes reported."""
    no_oidc = apiserver_pod()
    http_issuer = apiserver_pod(
        *(f.replace("https://", "http://") if f.startswith("--oidc-issuer") else f for f in OIDC_FLAGS)
    )
    legacy_sub = apiserver_pod(
        f"--oidc-issuer-url={ISSUER}",
        "--oidc-client-id=kubernetes",
        "--oidc-groups-claim=groups",
        "--oidc-groups-prefix=oidc:",
    )
    cel_config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": ISSUER, "audiences": ["kubernetes"]},
                "claimMappings": {
                    "username": {"expression": "'oidc:' + claims.upn"},
                    "groups": {"claim": "groups", "prefix": "oidc:"},
                },
            }
        ],
    }
    cel_pod = apiserver_pod("--authentication-config=/etc/kubernetes/auth/auth-config.yaml")
    return {
        "kubeapps-audience-mismatch": (
            base(
                **{
                    "id_token.txt": sign(claims(aud="kubeapps", azp="kubeapps")),
                    "kubeapps.yaml": with_proxy(chart="kubeapps-7.0.0", drop=("--cookie-refresh",)),
                    "kube-apiserver.log": "\n".join(
                        [
                            "I1128 10:20:01.000000       1 controller.go:615] quota admission added evaluator",
                            klog(
                                "1128 10:24:58.123456",
                                "[invalid bearer token, oidc: verify token: oidc: expected "
                                'audience "kubernetes" got ["kubeapps"]]',
                            ),
                            klog(
                                "1128 10:25:03.654321",
                                "[invalid bearer token, oidc: verify token: oidc: expected "
                                'audience "kubernetes" got ["kubeapps"]]',
                            ),
                        ]
                    ),
                    "what-i-saw.txt": "Authorization required to get the Namespace 'default' due to 'Unauthorized'",
                }
            ),
            {"first": "audience-mismatch", "present": ["audience-mismatch", "proxy-cookie-refresh-missing"]},
        ),
        "healthy": (base(), {"first": "token-accepted", "no_errors": True}),
        "oidc-not-configured": (
            base(**{"kube-apiserver.yaml": no_oidc, "error.txt": ERR_401}),
            {"first": "oidc-not-configured"},
        ),
        "oidc-config-invalid-http-issuer": (
            base(**{"kube-apiserver.yaml": http_issuer}),
            {"first": "oidc-config-invalid"},
        ),
        "issuer-unreachable": (
            base(
                **{
                    "error.txt": ERR_401,
                    "kube-apiserver.log": init_log(
                        (
                            "E",
                            "1128 09:02:11.000000",
                            f"oidc.go:335] oidc authenticator: initializing plugin: Get "
                            f'"{ISSUER}/.well-known/openid-configuration": dial tcp: lookup keycloak.example.com on '
                            "10.96.0.10:53: no such host",
                        ),
                        (
                            "E",
                            "1128 10:25:01.000000",
                            'authentication.go:73] "Unable to authenticate the request" '
                            'err="[invalid bearer token, oidc: authenticator not initialized]"',
                        ),
                    ),
                }
            ),
            {"first": "issuer-unreachable"},
        ),
        "issuer-ca-untrusted": (
            base(
                **{
                    "error.txt": ERR_401,
                    "kube-apiserver.log": init_log(
                        (
                            "E",
                            "1128 09:02:11.000000",
                            f"oidc.go:335] oidc authenticator: initializing plugin: Get "
                            f'"{ISSUER}/.well-known/openid-configuration": tls: failed to verify certificate: x509: '
                            "certificate signed by unknown authority",
                        ),
                        (
                            "E",
                            "1128 10:25:01.000000",
                            'authentication.go:73] "Unable to authenticate the request" '
                            'err="[invalid bearer token, oidc: authenticator not initialized]"',
                        ),
                    ),
                }
            ),
            {"first": "issuer-ca-untrusted"},
        ),
        "discovery-issuer-mismatch": (
            base(**{"openid-configuration.json": {**discovery(), "issuer": ISSUER + "/"}, "error.txt": ERR_401}),
            {"first": "discovery-issuer-mismatch"},
        ),
        "token-malformed-opaque": (
            base(**{"id_token.txt": "Bearer 2YotnFZFEjr1zCsicMWpAA-opaque-access-token", "error.txt": ERR_401}),
            {"first": "token-malformed"},
        ),
        "token-expired": (
            base(**{"id_token.txt": sign(claims(iat=NOW - 900, exp=NOW - 600)), "error.txt": ERR_401}),
            {"first": "token-expired"},
        ),
        "token-not-yet-valid": (
            base(**{"id_token.txt": sign(claims(iat=NOW + 600, nbf=NOW + 600, exp=NOW + 900)), "error.txt": ERR_401}),
            {"first": "token-not-yet-valid"},
        ),
        "issuer-mismatch-trailing-slash": (
            base(**{"id_token.txt": sign(claims(iss=ISSUER + "/")), "error.txt": ERR_401}),
            {"first": "issuer-mismatch"},
        ),
        "wrong-token-type-access-token": (
            base(
                **{
                    "id_token.txt": sign(
                        claims(typ="Bearer", aud="account", azp="kubeapps", scope="openid email profile"), typ="JWT"
                    ),
                    "error.txt": ERR_401,
                }
            ),
            {"first": "wrong-token-type"},
        ),
        "signing-alg-es256-not-allowed": (
            base(**{"id_token.txt": sign_es256(claims()), "error.txt": ERR_401}),
            {"first": "signing-alg-not-allowed"},
        ),
        "signature-invalid": (
            base(**{"id_token.txt": sign(claims(), key=OTHER_KEY), "error.txt": ERR_401}),
            {"first": "signature-invalid"},
        ),
        "username-claim-missing": (
            base(**{"id_token.txt": sign(claims(email=None, email_verified=None)), "error.txt": ERR_401}),
            {"first": "username-claim-missing"},
        ),
        "email-not-verified": (
            base(**{"id_token.txt": sign(claims(email_verified=False)), "error.txt": ERR_401}),
            {"first": "email-not-verified"},
        ),
        "groups-claim-missing": (
            base(**{"id_token.txt": sign(claims(groups=None)), "error.txt": forbidden("oidc:alice@example.com")}),
            {"first": "groups-claim-missing", "present": ["groups-claim-missing"]},
        ),
        "groups-claim-invalid": (
            base(**{"id_token.txt": sign(claims(groups={"dev": True})), "error.txt": ERR_401}),
            {"first": "groups-claim-invalid"},
        ),
        "groups-distributed-claims": (
            base(
                **{
                    "id_token.txt": sign(
                        claims(
                            groups=None,
                            _claim_names={"groups": "src1"},
                            _claim_sources={"src1": {"endpoint": "https://graph.example.com/getMemberObjects"}},
                        )
                    ),
                    "error.txt": ERR_401,
                }
            ),
            {"first": "groups-distributed-claims"},
        ),
        "required-claim-mismatch": (
            base(
                **{
                    "kube-apiserver.yaml": apiserver_pod(*OIDC_FLAGS, "--oidc-required-claim=hd=example.com"),
                    "id_token.txt": sign(claims(hd="example.org")),
                    "error.txt": ERR_401,
                }
            ),
            {"first": "required-claim-mismatch"},
        ),
        "claim-mapping-error-cel": (
            base(**{"kube-apiserver.yaml": cel_pod, "auth-config.yaml": cel_config, "error.txt": ERR_401}),
            {"first": "claim-mapping-error"},
        ),
        "rbac-prefix-mismatch": (
            base(
                **{
                    "rbac.yaml": [VIEW_ROLE, binding("alice-view", "dev", "view", ("User", "alice@example.com"))],
                    "id_token.txt": "Authorization: Bearer " + sign(claims(groups=[])),
                    "error.txt": forbidden("oidc:alice@example.com"),
                }
            ),
            {"first": "username-prefix-mismatch"},
        ),
        "rbac-default-issuer-prefix": (
            base(
                **{
                    "kube-apiserver.yaml": legacy_sub,
                    "rbac.yaml": [
                        VIEW_ROLE,
                        binding("alice-view", "dev", "view", ("User", "3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01")),
                    ],
                    "id_token.txt": sign(claims(groups=[])),
                }
            ),
            {"first": "username-prefix-mismatch"},
        ),
        "username-claim-mismatch": (
            base(
                **{
                    "rbac.yaml": [VIEW_ROLE, binding("alice-view", "dev", "view", ("User", "oidc:alice"))],
                    "id_token.txt": sign(claims(groups=[])),
                    "error.txt": forbidden("oidc:alice@example.com"),
                }
            ),
            {"first": "username-claim-mismatch"},
        ),
        "group-name-mismatch-keycloak-path": (
            base(**{"id_token.txt": sign(claims(groups=["/dev"])), "error.txt": forbidden("oidc:alice@example.com")}),
            {"first": "group-name-mismatch"},
        ),
        "rbac-no-binding": (
            base(
                **{
                    "rbac.yaml": [VIEW_ROLE, binding("ops-view", "ops", "view", ("Group", "oidc:ops"))],
                    "error.txt": forbidden("oidc:alice@example.com"),
                }
            ),
            {"first": "rbac-no-binding"},
        ),
        "rbac-insufficient-permissions": (
            base(
                **{
                    "error.txt": forbidden("oidc:alice@example.com", verb="create", resource="deployments").replace(
                        'API group ""', 'API group "apps"'
                    )
                }
            ),
            {"first": "rbac-insufficient-permissions"},
        ),
        "proxy-cookie-refresh-missing": (
            base(
                **{
                    "kubeapps.yaml": with_proxy(chart="kubeapps-7.0.0", drop=("--cookie-refresh",)),
                    "what-i-saw.txt": "Kubeapps logs me out every 5 minutes",
                }
            ),
            {"first": "proxy-cookie-refresh-missing"},
        ),
        "proxy-cookie-refresh-too-long": (
            base(**{"kubeapps.yaml": with_proxy("--cookie-refresh=10m", drop=("--cookie-refresh",))}),
            {"first": "proxy-cookie-refresh-too-long"},
        ),
        "proxy-refresh-unsupported": (
            base(**{"kubeapps.yaml": with_proxy("--provider=keycloak", drop=("--provider",))}),
            {"first": "proxy-refresh-unsupported"},
        ),
        "proxy-token-not-forwarded": (
            base(
                **{
                    "kubeapps.yaml": with_proxy(
                        "--pass-authorization-header=false", drop=("--pass-authorization-header",)
                    ),
                    "error.txt": forbidden("system:anonymous", ns="default"),
                }
            ),
            {"first": "proxy-token-not-forwarded"},
        ),
        "proxy-authorization-header-exposed": (
            base(**{"kubeapps.yaml": with_proxy("--set-authorization-header=true")}),
            {"first": "proxy-authorization-header-exposed", "no_errors": True},
        ),
        "proxy-header-too-large": (
            base(
                **{
                    "ingress-nginx.log": "2026/11/28 10:25:01 [error] 31#31: *9 upstream sent too big header "
                    "while reading response header from upstream, client: 10.0.0.1, server: kubeapps.example.com, "
                    'request: "GET /api/clusters/default/ HTTP/1.1", upstream: "http://10.42.0.7:3000/"\n'
                    '10.0.0.1 - - [28/Nov/2026:10:25:01 +0000] "GET /api/clusters/default/ HTTP/1.1" 502 150 "-" '
                    '"Mozilla/5.0"'
                }
            ),
            {"first": "proxy-header-too-large"},
        ),
        "apiserver-endpoint-mismatch": (
            # The settings in hand accept the token, yet kubectl got a 401: the kubeconfig talks to
            # another endpoint (a node IP, a proxy in front, an API server without the flags).
            base(**{"error.txt": "error: You must be logged in to the server (Unauthorized)\n"}),
            {"first": "apiserver-endpoint-mismatch"},
        ),
        "proxy-config-invalid": (
            base(
                **{"kubeapps.yaml": with_proxy("--cookie-refresh=2h", "--cookie-expire=1h", drop=("--cookie-refresh",))}
            ),
            {"first": "proxy-config-invalid"},
        ),
        **controlplane_scenarios(),
    }


def main() -> None:
    """Write every example bundle and ``expected.json`` (what the end-to-end tests check)."""
    expected: dict[str, Any] = {}
    keep = {"generate.py", "expected.json"}
    for old in HERE.iterdir():
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old)
    for name, (files, expect) in scenarios().items():
        write(name, files)
        expected[name] = expect
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


# --- What the control plane records (issue 13): API server metrics, audit events ---------------------

#: The AuthenticationConfiguration of the structured-config examples, as the file on the node holds it
#: (its sha256 is what the API server reports in `..._last_config_info{hash}`).
AUTH_CONFIG_FILE = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {ISSUER}
    audiences:
    - kubernetes
  claimMappings:
    username:
      claim: email
      prefix: "oidc:"
    groups:
      claim: groups
      prefix: "oidc:"
"""

#: Help texts and types as kube-apiserver prints them (k8s.io/apiserver
#: pkg/server/options/authenticationconfig/metrics/metrics.go, plugin/pkg/authenticator/token/oidc/metrics.go,
#: pkg/endpoints/filters/metrics.go).
METRIC_HELP = {
    "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds": (
        "gauge",
        "[BETA] Timestamp of the last automatic reload of authentication configuration split by status and "
        "apiserver identity.",
    ),
    "apiserver_authentication_config_controller_automatic_reloads_total": (
        "counter",
        "[BETA] Total number of automatic reloads of authentication configuration split by status and "
        "apiserver identity.",
    ),
    "apiserver_authentication_config_controller_last_config_info": (
        "gauge",
        "[ALPHA] Information about the last applied authentication configuration with hash as label, split by "
        "apiserver identity.",
    ),
    "apiserver_authentication_jwt_authenticator_latency_seconds": (
        "histogram",
        "[ALPHA] Latency of jwt authentication operations in seconds. This is the time spent authenticating a "
        "token for cache miss only (i.e. when the token is not found in the cache).",
    ),
    "authentication_attempts": ("counter", "[ALPHA] Counter of authenticated attempts."),
}


def apiserver_metrics(series: list[tuple[str, dict[str, str], float]]) -> str:
    """An excerpt of `kubectl get --raw /metrics`: each family's HELP and TYPE, then its series (labels
    sorted); a histogram's buckets (upstream's: 1 ms to 10 s), sum and count, ``value`` being its count."""
    lines = [
        "# HELP aggregator_discovery_aggregation_count_total [ALPHA] Counter of number of times discovery was "
        "aggregated",
        "# TYPE aggregator_discovery_aggregation_count_total counter",
        "aggregator_discovery_aggregation_count_total 31",
    ]
    done: set[str] = set()
    for name, labels, value in series:
        kind, text = METRIC_HELP[name]
        if name not in done:
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            done.add(name)
        if kind == "histogram":
            for le in (".001", ".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5", "10", "+Inf"):
                shown = ",".join(f'{k}="{v}"' for k, v in sorted({**labels, "le": le}.items()))
                lines.append(f"{name}_bucket{{{shown}}} {int(value)}")
            shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines += [f"{name}_sum{{{shown}}} {go_float(0.0031 * value)}", f"{name}_count{{{shown}}} {int(value)}"]
        else:
            shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines.append(f"{name}{{{shown}}} {go_float(value)}")
    return "\n".join(lines) + "\n"


def go_float(value: float) -> str:
    """A float as Prometheus' Go client prints it: strconv.FormatFloat(v, 'g', -1, 64), the shortest
    digits, with an exponent when the decimal exponent is below -4 or at least 6 (Go's ftoa.go)."""
    from decimal import Decimal

    shortest = repr(float(value))
    if value == 0:
        return "0"
    exp = Decimal(shortest).adjusted()
    if -4 <= exp < 6:
        return shortest[:-2] if shortest.endswith(".0") else shortest
    digits = Decimal(shortest).normalize().as_tuple().digits
    mantissa, e = f"{value:.{max(len(digits) - 1, 0)}e}".split("e")
    return f"{mantissa}e{e[0]}{e[1:].zfill(2)}"


def _sha256(text: str) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _apiserver_id_hash(node: str) -> str:
    from oidc_doctor.controlplane.hashes import apiserver_id_hash

    return apiserver_id_hash(node)


def structured_pod(node: str = "cp1") -> dict[str, Any]:
    """The kube-apiserver Pod of ``node`` run with ``--authentication-config`` (as `kubectl get pod -o yaml`)."""
    pod = apiserver_pod("--authentication-config=/etc/kubernetes/auth/auth-config.yaml")
    pod["metadata"]["name"] = f"kube-apiserver-{node}"
    pod["spec"]["nodeName"] = node
    return pod


def controlplane_scenarios() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Bundles whose cause only the control plane's own records show."""
    cp1 = _apiserver_id_hash("cp1")
    # What the API server runs: the file before someone changed the username prefix (a byte-different file).
    # In the reload example the copy on the node no longer validates while the copy in hand does (an edit
    # made on the node only); with the API server's log line "failed to validate authentication config"
    # in the inputs, oidc-config-invalid would come first (it is the reload failure's root cause).
    running = AUTH_CONFIG_FILE.replace('prefix: "oidc:"\n    groups', 'prefix: "sso:"\n    groups')
    structured = {"kube-apiserver.yaml": structured_pod(), "auth-config.yaml": AUTH_CONFIG_FILE, "error.txt": ERR_401}
    reload_at = NOW - 20 * 60 + 0.4401123  # SetToCurrentTime: seconds with a fraction
    return {
        "apiserver-config-drift": (
            base(
                **structured,
                **{
                    "apiserver-metrics.txt": apiserver_metrics(
                        [
                            (
                                "apiserver_authentication_config_controller_last_config_info",
                                {"apiserver_id_hash": cp1, "hash": _sha256(running)},
                                1,
                            ),
                            ("authentication_attempts", {"result": "error"}, 42),
                            ("authentication_attempts", {"result": "success"}, 18230),
                        ]
                    )
                },
            ),
            {"first": "apiserver-config-drift"},
        ),
        "auth-config-reload-failed": (
            base(
                **structured,
                **{
                    "apiserver-metrics.txt": apiserver_metrics(
                        [
                            (
                                "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds",
                                {"apiserver_id_hash": cp1, "status": "failure"},
                                reload_at,
                            ),
                            (
                                "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds",
                                {"apiserver_id_hash": cp1, "status": "success"},
                                NOW - 3 * 86400 + 0.1187214,
                            ),
                            (
                                "apiserver_authentication_config_controller_automatic_reloads_total",
                                {"apiserver_id_hash": cp1, "status": "failure"},
                                1,
                            ),
                            (
                                "apiserver_authentication_config_controller_automatic_reloads_total",
                                {"apiserver_id_hash": cp1, "status": "success"},
                                1,
                            ),
                            (
                                "apiserver_authentication_config_controller_last_config_info",
                                {"apiserver_id_hash": cp1, "hash": _sha256(running)},
                                1,
                            ),
                            (
                                "apiserver_authentication_jwt_authenticator_latency_seconds",
                                {"jwt_issuer_hash": _sha256(ISSUER), "result": "success"},
                                311,
                            ),
                        ]
                    ),
                },
            ),
            {"first": "auth-config-reload-failed"},
        ),
    }


if __name__ == "__main__":
    main()
