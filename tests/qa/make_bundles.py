# ruff: noqa: E501  -- fixture data: long literal strings are kept whole, as the tools print them
"""Write the acceptance-test bundles in ``tests/qa/bundles/`` (run: ``python tests/qa/make_bundles.py``).

Each bundle is a folder shaped like what real tools print: ``kubectl get -o yaml`` Lists with
``managedFields``, ``status``, ``uid`` and ``resourceVersion``; ``kubectl get -o json`` with four-space
indentation; ``helm template`` output with ``# Source:`` comments; ``aws eks
describe-identity-provider-config --output json``; ``kubectl auth whoami -o yaml``; klog, JSON and
journald API server logs; oauth2-proxy logs; kubectl's error texts; kubelogin's ExecCredential. The
id_tokens carry the claim shapes of Keycloak, Dex, Azure AD v2, Okta, Google and GitLab.

The output is deterministic: the RSA key is derived from a fixed seed (primes found by a seeded
Miller-Rabin search) and RS256 (PKCS#1 v1.5) signatures are deterministic, so
``test_qa_bundles.py`` can check that the committed bundles are exactly what this script writes.
``EXPECTED`` (written to ``bundles/expected.json``) says per bundle which cause comes first.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oidc_doctor.jose import b64url_encode

HERE = Path(__file__).parent
OUT = HERE / "bundles"
NOW_DT = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
NOW = int(NOW_DT.timestamp())
#: The moment every bundle describes (tests pass it as ``--now``).
NOW_ISO = "2026-11-28T10:25:12Z"


# --- a deterministic RSA key -------------------------------------------------------------------


def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        n = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if n % 65537 != 1 and _is_probable_prime(n, rng):
            return n


def seeded_rsa_key(seed: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key derived from ``seed`` (test material only, never a secret)."""
    rng = random.Random(seed)
    p, q = _prime(rng, 1024), _prime(rng, 1024)
    e = 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    pub = rsa.RSAPublicNumbers(e, p * q)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), pub
    )
    return numbers.private_key()


KEY = seeded_rsa_key("oidc-doctor qa signing key 1")
ENC_KEY = seeded_rsa_key("oidc-doctor qa encryption key")


def jwk(key: rsa.RSAPrivateKey, kid: str, use: str = "sig", alg: str = "RS256") -> dict[str, Any]:
    """The public JWK of ``key``."""
    n = key.public_key().public_numbers()
    return {"kid": kid, "kty": "RSA", "alg": alg, "use": use, "n": b64url_encode(n.n.to_bytes(256, "big")), "e": "AQAB"}


def sign(claims: dict[str, Any], kid: str, typ: str | None = "JWT") -> str:
    """An RS256 JWS of ``claims`` (compact JSON, as identity providers emit)."""
    head: dict[str, Any] = {"alg": "RS256", "kid": kid}
    if typ:
        head["typ"] = typ
    h = b64url_encode(json.dumps(head, separators=(",", ":")).encode())
    p = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    sig = KEY.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{h}.{p}.{b64url_encode(sig)}"


def ts(delta_s: int = 0) -> str:
    """RFC 3339 time ``delta_s`` seconds from NOW, as Kubernetes prints it."""
    return (NOW_DT + timedelta(seconds=delta_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def uid(*parts: str) -> str:
    """A stable metadata.uid."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def rv(*parts: str) -> str:
    """A stable resourceVersion."""
    return str(int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:6], 16))


# --- identity providers ------------------------------------------------------------------------

KEYCLOAK = "https://keycloak.example.com/realms/k8s"
DEX = "https://dex.example.com/dex"
AZURE_TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
AZURE = f"https://login.microsoftonline.com/{AZURE_TID}/v2.0"
OKTA = "https://dev-48213957.okta.com/oauth2/default"
GOOGLE = "https://accounts.google.com"
GITLAB = "https://gitlab.com"


def keycloak_claims(**over: Any) -> dict[str, Any]:
    """A Keycloak 26 id_token for alice (client ``kubernetes``, groups mapper without full path)."""
    c: dict[str, Any] = {
        "exp": NOW + 180,
        "iat": NOW - 120,
        "auth_time": NOW - 125,
        "jti": "onrtac:5d0c6a1e-34c2-4a3e-9a4b-4f1f1c0a2b7e",
        "iss": KEYCLOAK,
        "aud": "kubernetes",
        "sub": "3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01",
        "typ": "ID",
        "azp": "kubernetes",
        "nonce": "Yj3m0pQ2rS8tU4vW",
        "sid": "b8c4e0f2-1a3d-4c5e-8f7a-9b0c1d2e3f40",
        "at_hash": "h1Xr2kPq9sTaV3wYz0bC4d",
        "acr": "1",
        "email_verified": True,
        "name": "Alice Liddell",
        "groups": ["dev", "platform"],
        "preferred_username": "alice",
        "given_name": "Alice",
        "family_name": "Liddell",
        "email": "alice@example.com",
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def keycloak_discovery(issuer: str = KEYCLOAK) -> dict[str, Any]:
    """The start of Keycloak's discovery document."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
        "token_endpoint": f"{issuer}/protocol/openid-connect/token",
        "introspection_endpoint": f"{issuer}/protocol/openid-connect/token/introspect",
        "userinfo_endpoint": f"{issuer}/protocol/openid-connect/userinfo",
        "end_session_endpoint": f"{issuer}/protocol/openid-connect/logout",
        "frontchannel_logout_session_supported": True,
        "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password", "client_credentials"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": [
            "PS384",
            "RS384",
            "EdDSA",
            "ES384",
            "HS256",
            "HS512",
            "ES256",
            "RS256",
            "HS384",
            "ES512",
            "PS256",
            "PS512",
            "RS512",
        ],
        "scopes_supported": [
            "openid",
            "profile",
            "email",
            "groups",
            "offline_access",
            "roles",
            "web-origins",
            "acr",
            "address",
            "phone",
            "microprofile-jwt",
            "basic",
            "organization",
        ],
        "claims_supported": [
            "aud",
            "sub",
            "iss",
            "auth_time",
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "email",
            "acr",
        ],
        "code_challenge_methods_supported": ["plain", "S256"],
    }


def keycloak_jwks(kid: str) -> dict[str, Any]:
    """Keycloak's certs endpoint: the signing key plus the realm's RSA-OAEP encryption key."""
    return {"keys": [jwk(ENC_KEY, "qYf0Vx3m-enc", use="enc", alg="RSA-OAEP"), jwk(KEY, kid)]}


def dex_claims(**over: Any) -> dict[str, Any]:
    """A Dex id_token (LDAP connector; ``sub`` is Dex's base64 protobuf of user id and connector)."""
    c: dict[str, Any] = {
        "iss": DEX,
        "sub": "CgVhbGljZRIEbGRhcA",
        "aud": "kubernetes",
        "exp": NOW + 86000,
        "iat": NOW - 400,
        "nonce": "c2f1e0d9",
        "at_hash": "p4UqD0wO7n3t3ePqkq8s9g",
        "c_hash": "m2ZbH8n1Yf6P0wq1Pj3rBQ",
        "email": "alice@example.com",
        "email_verified": True,
        "groups": ["acme:platform", "acme:sre"],
        "name": "alice",
        "preferred_username": "alice",
        "federated_claims": {"connector_id": "ldap", "user_id": "alice"},
    }
    c.update(over)
    return c


def azure_claims(**over: Any) -> dict[str, Any]:
    """An Azure AD (Entra ID) v2.0 id_token of a user in more than 200 groups: groups overage."""
    client = "6731de76-14a6-49ae-97bc-6eba6914391e"
    oid = "00000000-0000-0000-66f3-3332eca7ea81"
    c: dict[str, Any] = {
        "aud": client,
        "iss": AZURE,
        "iat": NOW - 300,
        "nbf": NOW - 300,
        "exp": NOW + 3300,
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": f"https://graph.windows.net/{AZURE_TID}/users/{oid}/getMemberObjects"}},
        "aio": "AXQAi/8UAAAAqxsuB+R4D2rFQqOETO4YdXbLD9kZ8xfXadeAM0Q2NkNT5izfg3JMRpT/8gsfCgbmGWBCpUafR+5ucelM/MpBoW+ltfQoE8k/Eqa+7zsjaB7uTF+NsHhC/hHsUDnbRb4qBO6K07f7nzXAXw5h03yR5g==",
        "name": "Alice Liddell",
        "nonce": "678910",
        "oid": oid,
        "preferred_username": "alice@contoso.onmicrosoft.com",
        "rh": "I",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "tid": AZURE_TID,
        "uti": "3Cgr3VbZIE2u4Kx1m9f6AA",
        "ver": "2.0",
    }
    c.update(over)
    return c


def okta_claims(**over: Any) -> dict[str, Any]:
    """An Okta custom authorization server id_token with a ``groups`` claim."""
    c: dict[str, Any] = {
        "sub": "00u1a2b3c4d5e6f7g8h9",
        "name": "Alice Liddell",
        "email": "alice@example.com",
        "email_verified": True,
        "ver": 1,
        "iss": OKTA,
        "aud": "0oa9x8w7v6u5t4s3r2q1",
        "iat": NOW - 60,
        "exp": NOW + 3540,
        "jti": "ID.4eAWJOCMB3SX8XewDfVR8H5lQ4C7rBHrmw9rd7pxNeM",
        "amr": ["pwd", "mfa", "otp"],
        "idp": "00o1n2m3l4k5j6i7h8g9",
        "nonce": "n-0S6_WzA2Mj",
        "preferred_username": "alice@example.com",
        "auth_time": NOW - 65,
        "at_hash": "dTz4Zz0Dq1aXj0CnlvC4mA",
        "groups": ["Everyone", "k8s-admins"],
    }
    c.update(over)
    return c


def google_claims(**over: Any) -> dict[str, Any]:
    """A Google id_token (no groups claim exists at Google)."""
    client = "407408718192-6b8f2nm1d3qkquej9ktmf0lbrcv5oh0a.apps.googleusercontent.com"
    c: dict[str, Any] = {
        "iss": GOOGLE,
        "azp": client,
        "aud": client,
        "sub": "110169484474386276334",
        "hd": "example.com",
        "email": "alice@example.com",
        "email_verified": True,
        "at_hash": "X_B3Z3Fi4udZ2mf75RWo3w",
        "name": "Alice Liddell",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocJ0",
        "given_name": "Alice",
        "family_name": "Liddell",
        "iat": NOW - 600,
        "exp": NOW + 3000,
    }
    c.update(over)
    return c


GITLAB_APP = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"


def gitlab_claims(**over: Any) -> dict[str, Any]:
    """A gitlab.com id_token (``groups_direct`` holds the group paths)."""
    c: dict[str, Any] = {
        "iss": GITLAB,
        "sub": "4815162",
        "aud": GITLAB_APP,
        "exp": NOW + 100,
        "iat": NOW - 20,
        "auth_time": NOW - 3600,
        "sub_legacy": "2ab8f4c3e5d6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2",
        "name": "Alice Liddell",
        "nickname": "alice",
        "preferred_username": "alice",
        "email": "alice@example.com",
        "email_verified": True,
        "website": "",
        "profile": "https://gitlab.com/alice",
        "picture": "https://secure.gravatar.com/avatar/0a1b2c?s=80&d=identicon",
        "groups_direct": ["acme/platform-team", "acme"],
    }
    c.update(over)
    return c


def generic_discovery(issuer: str, jwks_uri: str) -> dict[str, Any]:
    """A minimal discovery document as most providers publish it."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/auth",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": jwks_uri,
        "response_types_supported": ["code", "id_token", "code id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "groups", "profile", "offline_access"],
    }


# --- Kubernetes objects ------------------------------------------------------------------------


def managed(manager: str, op: str, fields: dict[str, Any], api: str = "v1", sub: str | None = None) -> dict[str, Any]:
    """One managedFields entry."""
    e: dict[str, Any] = {
        "apiVersion": api,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
        "manager": manager,
        "operation": op,
    }
    if sub:
        e["subresource"] = sub
    e["time"] = ts(-86400 * 9)
    return e


def klist(items: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``kubectl get`` prints for several objects."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def apiserver_pod(
    node: str, flags: list[str], image: str = "registry.k8s.io/kube-apiserver:v1.31.4", kubeadm: bool = True
) -> dict[str, Any]:
    """The kube-apiserver mirror pod as ``kubectl -n kube-system get pod -o yaml`` prints it."""
    name = f"kube-apiserver-{node}"
    command = [
        "kube-apiserver",
        "--advertise-address=172.18.0.2",
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--enable-admission-plugins=NodeRestriction",
        "--enable-bootstrap-token-auth=true",
        "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
        "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
        "--etcd-servers=https://127.0.0.1:2379",
        "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        *flags,
        "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
        "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User",
        "--secure-port=6443",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    ]
    ann = {
        "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "172.18.0.2:6443",
        "kubernetes.io/config.hash": hashlib.sha256(name.encode()).hexdigest()[:32],
        "kubernetes.io/config.mirror": hashlib.sha256(name.encode()).hexdigest()[:32],
        "kubernetes.io/config.seen": "2026-11-19T08:14:03.512904871Z",
        "kubernetes.io/config.source": "file",
    }
    if not kubeadm:
        del ann["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": ann,
            "creationTimestamp": ts(-86400 * 9),
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
            "managedFields": [
                managed(
                    "kubelet",
                    "Update",
                    {
                        "f:metadata": {
                            "f:annotations": {
                                ".": {},
                                "f:kubernetes.io/config.hash": {},
                                "f:kubernetes.io/config.mirror": {},
                                "f:kubernetes.io/config.seen": {},
                                "f:kubernetes.io/config.source": {},
                            },
                            "f:labels": {".": {}, "f:component": {}, "f:tier": {}},
                            "f:ownerReferences": {".": {}, f'k:{{"uid":"{uid("node", node)}"}}': {}},
                        },
                        "f:spec": {
                            "f:containers": {
                                'k:{"name":"kube-apiserver"}': {".": {}, "f:command": {}, "f:image": {}, "f:name": {}}
                            }
                        },
                    },
                ),
                managed(
                    "kubelet",
                    "Update",
                    {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:podIP": {}}},
                    sub="status",
                ),
            ],
            "name": name,
            "namespace": "kube-system",
            "ownerReferences": [
                {"apiVersion": "v1", "controller": True, "kind": "Node", "name": node, "uid": uid("node", node)}
            ],
            "resourceVersion": rv("pod", name),
            "uid": uid("pod", name),
        },
        "spec": {
            "containers": [
                {
                    "command": command,
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "livenessProbe": {
                        "failureThreshold": 8,
                        "httpGet": {"host": "172.18.0.2", "path": "/livez", "port": 6443, "scheme": "HTTPS"},
                        "initialDelaySeconds": 10,
                        "periodSeconds": 10,
                        "successThreshold": 1,
                        "timeoutSeconds": 15,
                    },
                    "name": "kube-apiserver",
                    "resources": {"requests": {"cpu": "250m"}},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [
                        {"mountPath": "/etc/ssl/certs", "name": "ca-certs", "readOnly": True},
                        {"mountPath": "/etc/kubernetes/pki", "name": "k8s-certs", "readOnly": True},
                    ],
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "hostNetwork": True,
            "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 2000001000,
            "priorityClassName": "system-node-critical",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "operator": "Exists"}],
            "volumes": [
                {"hostPath": {"path": "/etc/ssl/certs", "type": "DirectoryOrCreate"}, "name": "ca-certs"},
                {"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"}, "name": "k8s-certs"},
            ],
        },
        "status": {
            "conditions": [
                {"lastProbeTime": None, "lastTransitionTime": ts(-3600), "status": "True", "type": "Initialized"},
                {"lastProbeTime": None, "lastTransitionTime": ts(-3590), "status": "True", "type": "Ready"},
                {"lastProbeTime": None, "lastTransitionTime": ts(-3590), "status": "True", "type": "ContainersReady"},
                {"lastProbeTime": None, "lastTransitionTime": ts(-3600), "status": "True", "type": "PodScheduled"},
            ],
            "containerStatuses": [
                {
                    "containerID": "containerd://" + hashlib.sha256(name.encode()).hexdigest(),
                    "image": image,
                    "imageID": image.split(":")[0] + "@sha256:" + hashlib.sha256(image.encode()).hexdigest(),
                    "lastState": {},
                    "name": "kube-apiserver",
                    "ready": True,
                    "restartCount": 1,
                    "started": True,
                    "state": {"running": {"startedAt": ts(-3600)}},
                }
            ],
            "hostIP": "172.18.0.2",
            "phase": "Running",
            "podIP": "172.18.0.2",
            "qosClass": "Burstable",
            "startTime": ts(-3600),
        },
    }


def kubeadm_configmap(cluster_config: str) -> dict[str, Any]:
    """``kubectl -n kube-system get cm kubeadm-config -o yaml``."""
    return {
        "apiVersion": "v1",
        "data": {"ClusterConfiguration": cluster_config},
        "kind": "ConfigMap",
        "metadata": {
            "creationTimestamp": ts(-86400 * 30),
            "managedFields": [managed("kubeadm", "Update", {"f:data": {".": {}, "f:ClusterConfiguration": {}}})],
            "name": "kubeadm-config",
            "namespace": "kube-system",
            "resourceVersion": rv("cm", "kubeadm-config", cluster_config),
            "uid": uid("cm", "kubeadm-config"),
        },
    }


def k3s_node(name: str, args: list[str], distro: str = "k3s", server: bool = True) -> dict[str, Any]:
    """A k3s/RKE2 Node with its ``<distro>.io/node-args`` annotation (a JSON array)."""
    version = "v1.31.4+k3s1" if distro == "k3s" else "v1.31.4+rke2r1"
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": distro,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": distro,
    }
    if server:
        labels.update(
            {
                "node-role.kubernetes.io/control-plane": "true",
                "node-role.kubernetes.io/master": "true",
                "node-role.kubernetes.io/etcd": "true",
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {
                "alpha.kubernetes.io/provided-node-ip": "10.0.0.11",
                f"{distro}.io/hostname": name,
                f"{distro}.io/internal-ip": "10.0.0.11",
                f"{distro}.io/node-args": json.dumps(args, separators=(",", ":")),
                f"{distro}.io/node-config-hash": "QH3RVX3S5PUL3WPNVBSU4AFLV5EHNYQSJGZMCAA2GGQRYGEEJF2Q====",
                f"{distro}.io/node-env": "{}",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
            "creationTimestamp": ts(-86400 * 40),
            "finalizers": ["wrangler.cattle.io/node"],
            "labels": labels,
            "managedFields": [
                managed(
                    distro,
                    "Update",
                    {
                        "f:metadata": {
                            "f:annotations": {
                                f"f:{distro}.io/node-args": {},
                                f"f:{distro}.io/node-config-hash": {},
                                f"f:{distro}.io/node-env": {},
                            }
                        }
                    },
                ),
                managed("kubelet", "Update", {"f:status": {"f:conditions": {}, "f:nodeInfo": {}}}, sub="status"),
            ],
            "name": name,
            "resourceVersion": rv("node", name),
            "uid": uid("node", name),
        },
        "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"], "providerID": f"{distro}://{name}"},
        "status": {
            "addresses": [{"address": "10.0.0.11", "type": "InternalIP"}, {"address": name, "type": "Hostname"}],
            "allocatable": {"cpu": "4", "ephemeral-storage": "39358207765", "memory": "8029328Ki", "pods": "110"},
            "capacity": {"cpu": "4", "ephemeral-storage": "40458684Ki", "memory": "8029328Ki", "pods": "110"},
            "conditions": [
                {
                    "lastHeartbeatTime": ts(-40),
                    "lastTransitionTime": ts(-86400),
                    "message": "kubelet is posting ready status",
                    "reason": "KubeletReady",
                    "status": "True",
                    "type": "Ready",
                },
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": uid("boot", name),
                "containerRuntimeVersion": "containerd://1.7.23-k3s2",
                "kernelVersion": "6.8.0-49-generic",
                "kubeProxyVersion": version,
                "kubeletVersion": version,
                "machineID": hashlib.sha256(name.encode()).hexdigest()[:32],
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.1 LTS",
                "systemUUID": uid("sys", name),
            },
        },
    }


def last_applied(obj: dict[str, Any]) -> str:
    """The ``kubectl.kubernetes.io/last-applied-configuration`` value kubectl apply stores."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True) + "\n"


def binding(
    kind: str, name: str, role_kind: str, role: str, subjects: list[dict[str, str]], ns: str | None = None
) -> dict[str, Any]:
    """A (Cluster)RoleBinding applied with kubectl apply, as ``kubectl get -o yaml`` shows it."""
    applied: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": {"annotations": {}, "name": name, **({"namespace": ns} if ns else {})},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects,
    }
    meta: dict[str, Any] = {
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied(applied)},
        "creationTimestamp": ts(-86400 * 3),
        "managedFields": [
            managed(
                "kubectl-client-side-apply",
                "Update",
                {
                    "f:metadata": {
                        "f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}
                    },
                    "f:roleRef": {},
                    "f:subjects": {},
                },
                api="rbac.authorization.k8s.io/v1",
            )
        ],
        "name": name,
        "resourceVersion": rv(kind, name),
        "uid": uid(kind, ns or "", name),
    }
    if ns:
        meta["namespace"] = ns
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": applied["roleRef"],
        "subjects": subjects,
    }


def cluster_role(name: str, rules: list[dict[str, Any]], aggregate_to: str | None = None) -> dict[str, Any]:
    """A bootstrap-style ClusterRole."""
    labels = {"kubernetes.io/bootstrapping": "rbac-defaults"}
    if aggregate_to:
        labels[f"rbac.authorization.k8s.io/aggregate-to-{aggregate_to}"] = "true"
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
            "creationTimestamp": ts(-86400 * 30),
            "labels": labels,
            "managedFields": [
                managed(
                    "kube-apiserver",
                    "Update",
                    {"f:metadata": {"f:annotations": {}, "f:labels": {}}, "f:rules": {}},
                    api="rbac.authorization.k8s.io/v1",
                )
            ],
            "name": name,
            "resourceVersion": rv("cr", name),
            "uid": uid("cr", name),
        },
        "rules": rules,
    }


CLUSTER_ADMIN = cluster_role(
    "cluster-admin",
    [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}],
)
EDIT = cluster_role(
    "edit",
    [
        {
            "apiGroups": [""],
            "resources": [
                "pods",
                "pods/log",
                "services",
                "configmaps",
                "secrets",
                "persistentvolumeclaims",
                "events",
                "namespaces",
            ],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": [""],
            "resources": ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
            "verbs": ["create", "delete", "deletecollection", "patch", "update"],
        },
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"],
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        },
    ],
)
VIEW = cluster_role(
    "view",
    [
        {
            "apiGroups": [""],
            "resources": [
                "pods",
                "pods/log",
                "services",
                "configmaps",
                "persistentvolumeclaims",
                "events",
                "namespaces",
            ],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"],
            "verbs": ["get", "list", "watch"],
        },
    ],
)


def rbac(*bindings: dict[str, Any]) -> dict[str, Any]:
    """``kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml`` (relevant part)."""
    return klist([CLUSTER_ADMIN, EDIT, VIEW, *bindings])


def whoami(username: str, groups: list[str], extra: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``kubectl auth whoami -o yaml``."""
    info: dict[str, Any] = {"groups": groups, "username": username}
    if extra:
        info["extra"] = extra
    return {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "SelfSubjectReview",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": info},
    }


def exec_credential(token: str, exp: int) -> dict[str, Any]:
    """What ``kubectl oidc-login get-token`` prints (kubelogin: client.authentication.k8s.io/v1beta1)."""
    expiry = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {"interactive": False},
        "status": {"expirationTimestamp": expiry, "token": token},
    }


def forbidden(user: str, verb: str, resource: str, group: str, ns: str | None) -> str:
    """kubectl's text for a 403 from the API server."""
    where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    res = resource.split(".")[0]
    return f'Error from server (Forbidden): {resource} is forbidden: User "{user}" cannot {verb} resource "{res}" in API group "{group}" {where}\n'


UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)\n"


def klog_time(delta_s: float) -> str:
    """klog's header time: ``MMDD hh:mm:ss.uuuuuu``."""
    t = NOW_DT + timedelta(seconds=delta_s)
    return t.strftime("%m%d %H:%M:%S.") + f"{t.microsecond:06d}"


def go_quote(s: str) -> str:
    """Go's %q for the ASCII strings used here."""
    return json.dumps(s)


def unable(err: str, delta_s: float, pid: int = 1) -> str:
    """klog line of a rejected bearer token (authentication.go, structured form)."""
    return f'E{klog_time(delta_s)}       {pid} authentication.go:73] "Unable to authenticate the request" err={go_quote(err)}'


# --- writing -----------------------------------------------------------------------------------


class YamlDumper(yaml.SafeDumper):
    """YAML the way kubectl prints it: block style, sorted keys, lists at the parent's indentation."""


def _str(dumper: yaml.SafeDumper, s: str) -> yaml.ScalarNode:
    if "\n" in s:
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|")
    plain_ok = s != "" and not s.startswith(("*", "!", "&", "{", "[", "'", '"', "%", "@", "`", "- ", "? ", "|", ">"))
    if plain_ok:
        try:
            plain_ok = yaml.safe_load(s) == s
        except yaml.YAMLError:
            plain_ok = False
    if not plain_ok or ": " in s or " #" in s or s.endswith(":"):
        # go-yaml (sigs.k8s.io/yaml) double-quotes a string that would read back as something else.
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", s)


YamlDumper.add_representer(str, _str)


def to_yaml(obj: Any) -> str:
    """kubectl-style YAML."""
    return yaml.dump(obj, Dumper=YamlDumper, sort_keys=True, default_flow_style=False, width=1 << 20)


def to_json(obj: Any) -> str:
    """``kubectl get -o json`` style: four-space indentation."""
    return json.dumps(obj, indent=4) + "\n"


Files = dict[str, str | bytes]
EXPECTED: dict[str, dict[str, Any]] = {}
BUILDERS: dict[str, Callable[[], Files]] = {}


def bundle(name: str, **expect: Any) -> Callable[[Callable[[], Files]], Callable[[], Files]]:
    """Register a bundle builder and what the diagnosis must say about it."""

    def deco(fn: Callable[[], Files]) -> Callable[[], Files]:
        BUILDERS[name] = fn
        EXPECTED[name] = expect
        return fn

    return deco


LEGACY_KEYCLOAK = [
    f"--oidc-issuer-url={KEYCLOAK}",
    "--oidc-client-id=kubernetes",
    "--oidc-username-claim=email",
    "--oidc-username-prefix=oidc:",
    "--oidc-groups-claim=groups",
    "--oidc-groups-prefix=oidc:",
]


@bundle(
    "kubeadm-v1beta3-keycloak-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    groups=["oidc:dev", "oidc:platform", "system:authenticated"],
    kinds={"apiserver-pod", "kubeadm-config", "rbac", "token", "jwks", "discovery", "live"},
)
def _kubeadm_v1beta3_healthy() -> Files:
    cc = to_yaml(
        {
            "apiServer": {
                "certSANs": ["cp1.example.com"],
                "extraArgs": dict(f[2:].split("=", 1) for f in LEGACY_KEYCLOAK),
            },
            "apiVersion": "kubeadm.k8s.io/v1beta3",
            "certificatesDir": "/etc/kubernetes/pki",
            "clusterName": "kubernetes",
            "controlPlaneEndpoint": "cp1.example.com:6443",
            "controllerManager": {},
            "dns": {},
            "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
            "imageRepository": "registry.k8s.io",
            "kind": "ClusterConfiguration",
            "kubernetesVersion": "v1.30.6",
            "networking": {"dnsDomain": "cluster.local", "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"},
            "scheduler": {},
        }
    )
    token = sign(keycloak_claims(), "rK3m-sig")
    return {
        "kube-apiserver-pods.yaml": to_yaml(
            klist([apiserver_pod("cp1", LEGACY_KEYCLOAK, "registry.k8s.io/kube-apiserver:v1.30.6")])
        ),
        "kubeadm-config.yaml": to_yaml(kubeadm_configmap(cc)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "oidc-platform-admins",
                    "ClusterRole",
                    "cluster-admin",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:platform"}],
                )
            )
        ),
        "id_token.txt": token + "\n",
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "openid-configuration.json": json.dumps(keycloak_discovery()),
        "whoami.yaml": to_yaml(whoami("oidc:alice@example.com", ["oidc:dev", "oidc:platform", "system:authenticated"])),
    }


@bundle(
    "kubeadm-v1beta4-dex-FAILS-group-name-mismatch",
    first="group-name-mismatch",
    username="dex:alice@example.com",
    groups=["dex:acme:platform", "dex:acme:sre", "system:authenticated"],
    kinds={"kubeadm-config", "rbac", "token", "jwks", "error-text"},
)
def _kubeadm_v1beta4_dex_groups() -> Files:
    args = [
        ("oidc-issuer-url", DEX),
        ("oidc-client-id", "kubernetes"),
        ("oidc-username-claim", "email"),
        ("oidc-username-prefix", "dex:"),
        ("oidc-groups-claim", "groups"),
        ("oidc-groups-prefix", "dex:"),
    ]
    cc = {
        "apiServer": {"extraArgs": [{"name": k, "value": v} for k, v in args]},
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "caCertificateValidityPeriod": "87600h0m0s",
        "certificateValidityPeriod": "8760h0m0s",
        "certificatesDir": "/etc/kubernetes/pki",
        "clusterName": "kubernetes",
        "controllerManager": {},
        "dns": {},
        "encryptionAlgorithm": "RSA-2048",
        "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
        "imageRepository": "registry.k8s.io",
        "kind": "ClusterConfiguration",
        "kubernetesVersion": "v1.31.4",
        "networking": {"dnsDomain": "cluster.local", "serviceSubnet": "10.96.0.0/12"},
        "proxy": {},
        "scheduler": {},
    }
    return {
        "kubeadm-config.yaml": to_yaml(kubeadm_configmap(to_yaml(cc))),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "platform-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "acme:platform"}],
                    ns="platform",
                )
            )
        ),
        "id_token.txt": sign(dex_claims(), "9d1c0f2e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d"),
        "keys.json": to_json({"keys": [jwk(KEY, "9d1c0f2e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d")]}),
        "kubectl-error.txt": forbidden("dex:alice@example.com", "list", "deployments.apps", "apps", "platform"),
    }


@bundle(
    "k3s-node-args-FAILS-username-prefix-mismatch",
    first="username-prefix-mismatch",
    username=f"{KEYCLOAK}#alice",
    groups=["oidc:dev", "oidc:platform", "system:authenticated"],
    kinds={"node-args", "rbac", "token", "error-text", "apiserver-log"},
)
def _k3s_prefix() -> Files:
    args = [
        "server",
        "--cluster-init",
        "--disable",
        "traefik",
        "--kube-apiserver-arg",
        f"oidc-issuer-url={KEYCLOAK}",
        "--kube-apiserver-arg",
        "oidc-client-id=kubernetes",
        "--kube-apiserver-arg",
        "oidc-username-claim=preferred_username",
        "--kube-apiserver-arg",
        "oidc-groups-claim=groups",
        "--kube-apiserver-arg",
        "oidc-groups-prefix=oidc:",
        "--token",
        "********",
    ]
    nodes = klist(
        [
            k3s_node("k3s-server-1", args),
            k3s_node(
                "k3s-agent-1", ["agent", "--server", "https://10.0.0.11:6443", "--token", "********"], server=False
            ),
        ]
    )
    journal = [
        f'Nov 28 09:12:40 k3s-server-1 k3s[812]: time="2026-11-28T09:12:40Z" level=info msg="Running kube-apiserver --advertise-address=10.0.0.11 --anonymous-auth=false --authorization-mode=Node,RBAC --oidc-client-id=kubernetes --oidc-groups-claim=groups --oidc-groups-prefix=oidc: --oidc-issuer-url={KEYCLOAK} --oidc-username-claim=preferred_username --secure-port=6444"',
        "Nov 28 09:12:41 k3s-server-1 k3s[812]: I1128 09:12:41.204211     812 options.go:228] external host was not specified, using 10.0.0.11",
        'Nov 28 10:25:02 k3s-server-1 k3s[812]: I1128 10:25:02.118034     812 trace.go:236] Trace[1811536310]: "List" accept:application/json;as=Table;v=v1;g=meta.k8s.io,application/json;g=meta.k8s.io,application/json,audit-id:6c0f3e0e,client:10.0.0.50,api-group:,api-version:v1,name:,subresource:,namespace:dev,protocol:HTTP/2.0,resource:pods,scope:namespace,url:/api/v1/namespaces/dev/pods,user-agent:kubectl/v1.31.4 (linux/amd64) kubernetes/a78aa47,verb:LIST (28-Nov-2026 10:25:02.004) (total time: 113ms):',
    ]
    return {
        "nodes.yaml": to_yaml(nodes),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "alice-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
                    ns="dev",
                )
            )
        ),
        "token.txt": "Bearer " + sign(keycloak_claims(), "rK3m-sig") + "\n",
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "what-kubectl-said.txt": forbidden(f"{KEYCLOAK}#alice", "list", "pods", "", "dev"),
        "journalctl-k3s.log": "\n".join(journal) + "\n",
    }


@bundle(
    "rke2-okta-kubelogin-HEALTHY",
    healthy=True,
    username="alice@example.com",
    groups=["okta:Everyone", "okta:k8s-admins", "system:authenticated"],
    kinds={"node-args", "rbac", "token", "jwks", "discovery"},
)
def _rke2_healthy() -> Files:
    args = [
        "server",
        "--kube-apiserver-arg",
        f"oidc-issuer-url={OKTA}",
        "--kube-apiserver-arg",
        "oidc-client-id=0oa9x8w7v6u5t4s3r2q1",
        "--kube-apiserver-arg",
        "oidc-username-claim=email",
        "--kube-apiserver-arg",
        "oidc-groups-claim=groups",
        "--kube-apiserver-arg",
        "oidc-groups-prefix=okta:",
        "--tls-san",
        "rke2.example.com",
    ]
    claims = okta_claims()
    return {
        "nodes.json": to_json(klist([k3s_node("rke2-cp-1", args, distro="rke2")])),
        "rbac.json": to_json(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "okta-k8s-admins",
                    "ClusterRole",
                    "cluster-admin",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "okta:k8s-admins"}],
                )
            )
        ),
        "get-token.json": json.dumps(exec_credential(sign(claims, "kQ1mZx9Lr3v"), claims["exp"])) + "\n",
        "keys.json": json.dumps({"keys": [jwk(KEY, "kQ1mZx9Lr3v")]}),
        "openid-configuration.json": json.dumps(generic_discovery(OKTA, f"{OKTA}/v1/keys")),
    }


def eks_config(
    client_id: str,
    issuer: str,
    username_claim: str,
    username_prefix: str | None,
    groups_claim: str | None,
    groups_prefix: str | None,
) -> dict[str, Any]:
    """``aws eks describe-identity-provider-config --output json``."""
    oidc: dict[str, Any] = {
        "identityProviderConfigName": "corp-sso",
        "identityProviderConfigArn": "arn:aws:eks:eu-west-1:123456789012:identityproviderconfig/prod/oidc/corp-sso/6ac8f9a1-2b3c-4d5e-8f90-a1b2c3d4e5f6",
        "clusterName": "prod",
        "issuerUrl": issuer,
        "clientId": client_id,
        "usernameClaim": username_claim,
    }
    if username_prefix is not None:
        oidc["usernamePrefix"] = username_prefix
    if groups_claim is not None:
        oidc["groupsClaim"] = groups_claim
    if groups_prefix is not None:
        oidc["groupsPrefix"] = groups_prefix
    oidc.update({"requiredClaims": {}, "tags": {}, "status": "ACTIVE"})
    return {"identityProviderConfig": {"oidc": oidc}}


@bundle(
    "eks-google-HEALTHY",
    healthy=True,
    username="google:alice@example.com",
    kinds={"eks-idp", "rbac", "token", "jwks"},
)
def _eks_google_healthy() -> Files:
    claims = google_claims()
    return {
        "identity-provider-config.json": json.dumps(
            eks_config(claims["aud"], GOOGLE, "email", "google:", None, None), indent=4
        )
        + "\n",
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "alice-view",
                    "ClusterRole",
                    "view",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "google:alice@example.com"}],
                )
            )
        ),
        "id_token": sign(claims, "1f40f0a8ef3d880978dc82f25c3ec317c6a5b781"),
        "google-certs.json": json.dumps({"keys": [jwk(KEY, "1f40f0a8ef3d880978dc82f25c3ec317c6a5b781")]}),
    }


@bundle(
    "eks-okta-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"eks-idp", "token", "jwks", "error-text"},
)
def _eks_okta_aud() -> Files:
    claims = okta_claims(aud="0oaDashboardApp1234")
    return {
        "idp.json": json.dumps(eks_config("0oa9x8w7v6u5t4s3r2q1", OKTA, "email", "okta:", "groups", "okta:"), indent=4)
        + "\n",
        "id_token.txt": sign(claims, "kQ1mZx9Lr3v"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "kQ1mZx9Lr3v")]}),
        "error.txt": UNAUTHORIZED,
    }


def gke_clientconfig(groups_claim: str) -> dict[str, Any]:
    """``kubectl -n kube-public get clientconfig default -o yaml`` on GKE with Identity Service."""
    return {
        "apiVersion": "authentication.gke.io/v2alpha1",
        "kind": "ClientConfig",
        "metadata": {
            "creationTimestamp": ts(-86400 * 60),
            "generation": 3,
            "managedFields": [
                managed(
                    "kubectl-edit", "Update", {"f:spec": {"f:authentication": {}}}, api="authentication.gke.io/v2alpha1"
                )
            ],
            "name": "default",
            "namespace": "kube-public",
            "resourceVersion": rv("clientconfig"),
            "uid": uid("clientconfig"),
        },
        "spec": {
            "authentication": [
                {
                    "name": "oidc",
                    "oidc": {
                        "clientID": "kubernetes",
                        "cloudConsoleRedirectURI": "https://console.cloud.google.com/kubernetes/oidc",
                        "extraParams": "prompt=consent",
                        "groupPrefix": "kc:",
                        "groupsClaim": groups_claim,
                        "issuerURI": KEYCLOAK,
                        "kubectlRedirectURI": "http://localhost:10000/callback",
                        "scopes": "openid,email",
                        "userClaim": "email",
                        "userPrefix": "kc:",
                    },
                }
            ],
            "certificateAuthorityData": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvRENDQWVTZ0F3SUJBZ0lSQU5KdTZ1R3FJYjRVLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=",
            "name": "prod-gke",
            "server": "https://34.77.12.201:443",
        },
    }


@bundle(
    "gke-clientconfig-FAILS-groups-claim-missing",
    first="groups-claim-missing",
    kinds={"gke-clientconfig", "rbac", "token", "error-text"},
)
def _gke_groups_missing() -> Files:
    return {
        "clientconfig.yaml": to_yaml(gke_clientconfig("groups")),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kc:dev"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(groups=None), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": forbidden("kc:alice@example.com", "list", "pods", "", "dev"),
    }


def auth_config_pod(node: str) -> dict[str, Any]:
    """An API server started with ``--authentication-config``."""
    return apiserver_pod(
        node,
        ["--authentication-config=/etc/kubernetes/auth/auth-config.yaml"],
        "registry.k8s.io/kube-apiserver:v1.34.1",  # AuthenticationConfiguration v1 is served from 1.34
    )


@bundle(
    "authconfig-v1-keycloak-gitlab-cel-HEALTHY",
    healthy=True,
    username="gitlab:alice",
    groups=["gitlab:acme/platform-team", "gitlab:acme", "system:authenticated"],
    kinds={"apiserver-pod", "auth-config", "rbac", "token", "jwks"},
)
def _authconfig_v1_healthy() -> Files:
    cfg = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {KEYCLOAK}
    audiences:
    - kubernetes
  claimValidationRules:
  - expression: 'claims.email_verified == true'
    message: email must be verified
  claimMappings:
    username:
      claim: email
      prefix: "keycloak:"
    groups:
      claim: groups
      prefix: "keycloak:"
- issuer:
    url: {GITLAB}
    audiences:
    - {GITLAB_APP}
    audienceMatchPolicy: MatchAny
  claimValidationRules:
  - expression: 'has(claims.email_verified) && claims.email_verified'
    message: GitLab email must be verified
  claimMappings:
    username:
      expression: '"gitlab:" + claims.preferred_username'
    groups:
      expression: 'claims.groups_direct.map(g, "gitlab:" + g)'
    uid:
      claim: sub
    extra:
    - key: example.com/gitlab-profile
      valueExpression: claims.profile
  userValidationRules:
  - expression: "!user.username.startsWith('system:')"
    message: username cannot use reserved system prefix
"""
    return {
        "kube-apiserver.yaml": to_yaml(auth_config_pod("cp1")),
        "auth-config.yaml": cfg,
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "gitlab-platform-team",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "gitlab:acme/platform-team"}],
                )
            )
        ),
        "id_token.txt": sign(gitlab_claims(), "kewiQq9jiC84CvSsJYOB-N6A8WFLSV20Mb-y7IlWDSQ"),
        "gitlab-jwks.json": json.dumps({"keys": [jwk(KEY, "kewiQq9jiC84CvSsJYOB-N6A8WFLSV20Mb-y7IlWDSQ")]}),
    }


@bundle(
    "authconfig-v1beta1-FAILS-required-claim-mismatch",
    first="required-claim-mismatch",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _authconfig_v1beta1_rule() -> Files:
    cfg = {
        "apiVersion": "apiserver.config.k8s.io/v1beta1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": KEYCLOAK, "audiences": ["kubernetes"]},
                "claimValidationRules": [
                    {"expression": "'k8s-users' in claims.groups", "message": "user is not in the k8s-users group"}
                ],
                "claimMappings": {
                    "username": {"claim": "email", "prefix": ""},
                    "groups": {"claim": "groups", "prefix": ""},
                },
            }
        ],
    }
    return {
        "kube-apiserver.yaml": to_yaml(auth_config_pod("cp1")),
        "authentication-config.yaml": to_yaml(cfg),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "authconfig-v1beta1-azure-FAILS-groups-distributed-claims",
    first="groups-distributed-claims",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _azure_overage() -> Files:
    claims = azure_claims()
    cfg = {
        "apiVersion": "apiserver.config.k8s.io/v1beta1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": AZURE, "audiences": [claims["aud"]]},
                "claimMappings": {
                    "username": {"claim": "oid", "prefix": "aad:"},
                    "groups": {"claim": "groups", "prefix": "aad:"},
                },
            }
        ],
    }
    return {
        "kube-apiserver.yaml": to_yaml(auth_config_pod("aks-like-cp")),
        "auth-config.yaml": to_yaml(cfg),
        "id_token.txt": sign(claims, "nOo3ZDrODXEK1jKWhXslHR_KXEg", typ="JWT"),
        "keys.json": json.dumps(
            {
                "keys": [
                    {**jwk(KEY, "nOo3ZDrODXEK1jKWhXslHR_KXEg"), "x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg", "issuer": AZURE}
                ]
            }
        ),
        "error.txt": UNAUTHORIZED,
    }


KUBEAPPS_AUTH_PROXY_ARGS = [
    "--provider=oidc",
    f"--oidc-issuer-url={KEYCLOAK}",
    "--upstream=http://localhost:8080/",
    "--http-address=0.0.0.0:3000",
    "--email-domain=*",
    "--pass-basic-auth=false",
    "--pass-access-token=true",
    "--pass-authorization-header=true",
    "--skip-auth-regex=^\\/config\\.json$",
    "--skip-auth-regex=^\\/site\\.webmanifest$",
    "--skip-auth-regex=^\\/custom_style\\.css$",
    "--skip-auth-regex=^\\/custom_locale\\.json$",
    "--skip-auth-regex=^\\/favicon.*\\.png$",
    "--skip-auth-regex=^\\/favicon.*\\.ico$",
    "--skip-auth-regex=^\\/android-chrome-.*\\.png$",
    "--skip-auth-regex=^\\/static\\/",
    "--skip-auth-regex=^\\/img\\/",
    "--skip-auth-regex=^\\/$",
    "--scope=openid email groups",
    "--cookie-secure=true",
]


def kubeapps_helm_template(chart: str, app_version: str, proxy_image: str, extra_args: list[str]) -> str:
    """``helm template kubeapps bitnami/kubeapps -n kubeapps --set authProxy.enabled=true ...`` (frontend part)."""
    labels = (
        "    app.kubernetes.io/instance: kubeapps\n"
        "    app.kubernetes.io/managed-by: Helm\n"
        "    app.kubernetes.io/name: kubeapps\n"
        f"    app.kubernetes.io/version: {app_version}\n"
        f"    helm.sh/chart: {chart}\n"
    )
    args = "".join(f"            - {a}\n" for a in [*KUBEAPPS_AUTH_PROXY_ARGS, *extra_args])
    return (
        "---\n"
        "# Source: kubeapps/templates/frontend/service.yaml\n"
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        "  name: kubeapps\n"
        '  namespace: "kubeapps"\n'
        "  labels:\n" + labels + "    app.kubernetes.io/component: frontend\n"
        "spec:\n"
        "  type: ClusterIP\n"
        "  ports:\n"
        "    - port: 80\n"
        "      targetPort: proxy\n"
        "      protocol: TCP\n"
        "      name: http\n"
        "  selector:\n"
        "    app.kubernetes.io/instance: kubeapps\n"
        "    app.kubernetes.io/name: kubeapps\n"
        "    app.kubernetes.io/component: frontend\n"
        "---\n"
        "# Source: kubeapps/templates/frontend/deployment.yaml\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: kubeapps\n"
        '  namespace: "kubeapps"\n'
        "  labels:\n" + labels + "    app.kubernetes.io/component: frontend\n"
        "spec:\n"
        "  replicas: 2\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app.kubernetes.io/instance: kubeapps\n"
        "      app.kubernetes.io/name: kubeapps\n"
        "      app.kubernetes.io/component: frontend\n"
        "  template:\n"
        "    metadata:\n"
        "      annotations:\n"
        "        checksum/config: 4b8f0f2b6f4f6a6d1c3e1e2c0b9a7d6e5f4c3b2a1908f7e6d5c4b3a291807f6e\n"
        "      labels:\n" + labels.replace("    ", "        ") + "        app.kubernetes.io/component: frontend\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: nginx\n"
        "          image: docker.io/bitnami/nginx:1.25.2-debian-11-r32\n"
        "          imagePullPolicy: IfNotPresent\n"
        "          ports:\n"
        "            - name: http\n"
        "              containerPort: 8080\n"
        "        - name: auth-proxy\n"
        f"          image: {proxy_image}\n"
        "          imagePullPolicy: IfNotPresent\n"
        "          args:\n" + args + "          env:\n"
        "            - name: OAUTH2_PROXY_CLIENT_ID\n"
        "              valueFrom:\n"
        "                secretKeyRef:\n"
        "                  name: kubeapps-oauth2\n"
        "                  key: clientID\n"
        "            - name: OAUTH2_PROXY_CLIENT_SECRET\n"
        "              valueFrom:\n"
        "                secretKeyRef:\n"
        "                  name: kubeapps-oauth2\n"
        "                  key: clientSecret\n"
        "            - name: OAUTH2_PROXY_COOKIE_SECRET\n"
        "              valueFrom:\n"
        "                secretKeyRef:\n"
        "                  name: kubeapps-oauth2\n"
        "                  key: cookieSecret\n"
        "          ports:\n"
        "            - name: proxy\n"
        "              containerPort: 3000\n"
    )


@bundle(
    "kubeapps-helm-template-FAILS-proxy-cookie-refresh-missing",
    first="proxy-cookie-refresh-missing",
    present=["token-expired"],
    kinds={"apiserver-pod", "workload", "token", "jwks", "apiserver-log", "proxy-log"},
)
def _kubeapps_refresh() -> Files:
    claims = keycloak_claims(aud="kubernetes", azp="kubernetes", iat=NOW - 420, exp=NOW - 120, auth_time=NOW - 425)
    apiserver_log = [
        f"I{klog_time(-3000)}       1 options.go:221] external host was not specified, using 10.0.0.10",
        unable(
            f"[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: {datetime.fromtimestamp(claims['exp'], UTC).strftime('%Y-%m-%d %H:%M:%S +0000 UTC')})]",
            -110,
        ),
        unable(
            f"[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: {datetime.fromtimestamp(claims['exp'], UTC).strftime('%Y-%m-%d %H:%M:%S +0000 UTC')})]",
            -20,
        ),
    ]
    proxy_log = [
        "[2026/11/28 09:05:11] [main.go:54] oauthproxy.go:160: OAuthProxy configured for OpenID Connect Client ID: kubernetes",
        "[2026/11/28 09:05:11] [oauthproxy.go:166] Cookie settings: name:_oauth2_proxy secure(https):true httponly:true expiry:168h0m0s domains: path:/ samesite: refresh:disabled",
        "10.42.0.17 - 0c1f3e5a-8d2b-4a4f-9c61-3b0d9e2f7a11 - alice@example.com [2026/11/28 10:18:00] [AuthSuccess] Authenticated via OAuth2: Session{email:alice@example.com user:3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01 PreferredUsername:alice token:true id_token:true created:2026-11-28 10:18:00 +0000 UTC expires:2026-11-28 10:23:00 +0000 UTC refresh_token:true groups:[dev platform]}",
        '10.42.0.17 - 8f4b2c1d-6e3a-4b5c-9d8e-7f6a5b4c3d2e - alice@example.com [2026/11/28 10:23:22] kubeapps.example.com GET - "/api/clusters/default/namespaces" HTTP/1.1 "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0" 401 84 0.011',
        '10.42.0.17 - 2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d - alice@example.com [2026/11/28 10:24:52] kubeapps.example.com GET - "/apis/kubeapps.apis/core/packages/v1alpha1/availablepackages" HTTP/1.1 "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0" 401 84 0.009',
    ]
    return {
        "helm-template-kubeapps.yaml": kubeapps_helm_template(
            "kubeapps-7.0.0", "2.3.2", "docker.io/bitnami/oauth2-proxy:7.1.3-debian-10-r66", []
        ),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(claims, "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "kube-apiserver.log": "\n".join(apiserver_log) + "\n",
        "auth-proxy.log": "\n".join(proxy_log) + "\n",
    }


@bundle(
    "kubeapps-helm-template-oauth2-proxy-7-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "token", "jwks", "rbac"},
)
def _kubeapps_healthy() -> Files:
    return {
        "helm-template-kubeapps.yaml": kubeapps_helm_template(
            "kubeapps-14.1.2", "2.9.0", "docker.io/bitnami/oauth2-proxy:7.5.1-debian-11-r11", ["--cookie-refresh=2m"]
        ),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "headlamp-oauth2-proxy-FAILS-proxy-token-not-forwarded",
    first="proxy-token-not-forwarded",
    kinds={"apiserver-pod", "workload", "token", "jwks", "error-text"},
)
def _headlamp_not_forwarded() -> Files:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/revision": "4",
                "meta.helm.sh/release-name": "oauth2-proxy",
                "meta.helm.sh/release-namespace": "headlamp",
            },
            "creationTimestamp": ts(-86400 * 5),
            "generation": 4,
            "labels": {
                "app": "oauth2-proxy",
                "app.kubernetes.io/component": "authentication-proxy",
                "app.kubernetes.io/instance": "oauth2-proxy",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "oauth2-proxy",
                "app.kubernetes.io/part-of": "oauth2-proxy",
                "app.kubernetes.io/version": "7.7.1",
                "helm.sh/chart": "oauth2-proxy-7.8.1",
            },
            "managedFields": [managed("helm", "Update", {"f:spec": {"f:template": {}}}, api="apps/v1")],
            "name": "oauth2-proxy",
            "namespace": "headlamp",
            "resourceVersion": rv("deploy", "oauth2-proxy"),
            "uid": uid("deploy", "oauth2-proxy"),
        },
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 1,
            "revisionHistoryLimit": 10,
            "selector": {
                "matchLabels": {"app.kubernetes.io/instance": "oauth2-proxy", "app.kubernetes.io/name": "oauth2-proxy"}
            },
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
            "template": {
                "metadata": {
                    "labels": {"app.kubernetes.io/instance": "oauth2-proxy", "app.kubernetes.io/name": "oauth2-proxy"}
                },
                "spec": {
                    "containers": [
                        {
                            "args": [
                                "--http-address=0.0.0.0:4180",
                                "--https-address=0.0.0.0:4443",
                                "--metrics-address=0.0.0.0:44180",
                                "--cookie-refresh=1m",
                                f"--oidc-issuer-url={KEYCLOAK}",
                                "--provider=oidc",
                                "--scope=openid email groups",
                                "--upstream=http://headlamp.headlamp.svc.cluster.local:80",
                                "--config=/etc/oauth2_proxy/oauth2_proxy.cfg",
                            ],
                            "env": [
                                {
                                    "name": "OAUTH2_PROXY_CLIENT_ID",
                                    "valueFrom": {"secretKeyRef": {"key": "client-id", "name": "oauth2-proxy"}},
                                },
                                {
                                    "name": "OAUTH2_PROXY_CLIENT_SECRET",
                                    "valueFrom": {"secretKeyRef": {"key": "client-secret", "name": "oauth2-proxy"}},
                                },
                                {
                                    "name": "OAUTH2_PROXY_COOKIE_SECRET",
                                    "valueFrom": {"secretKeyRef": {"key": "cookie-secret", "name": "oauth2-proxy"}},
                                },
                            ],
                            "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1",
                            "imagePullPolicy": "IfNotPresent",
                            "name": "oauth2-proxy",
                            "ports": [{"containerPort": 4180, "name": "http", "protocol": "TCP"}],
                            "volumeMounts": [
                                {
                                    "mountPath": "/etc/oauth2_proxy/oauth2_proxy.cfg",
                                    "name": "configmain",
                                    "subPath": "oauth2_proxy.cfg",
                                }
                            ],
                        }
                    ],
                    "volumes": [{"configMap": {"defaultMode": 420, "name": "oauth2-proxy"}, "name": "configmain"}],
                },
            },
        },
        "status": {
            "availableReplicas": 1,
            "observedGeneration": 4,
            "readyReplicas": 1,
            "replicas": 1,
            "updatedReplicas": 1,
        },
    }
    cm = {
        "apiVersion": "v1",
        "data": {"oauth2_proxy.cfg": 'email_domains = [ "*" ]\nupstreams = [ "file:///dev/null" ]'},
        "kind": "ConfigMap",
        "metadata": {
            "annotations": {"meta.helm.sh/release-name": "oauth2-proxy", "meta.helm.sh/release-namespace": "headlamp"},
            "creationTimestamp": ts(-86400 * 5),
            "labels": {
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "oauth2-proxy",
                "helm.sh/chart": "oauth2-proxy-7.8.1",
            },
            "name": "oauth2-proxy",
            "namespace": "headlamp",
            "resourceVersion": rv("cm", "oauth2-proxy"),
            "uid": uid("cm", "oauth2-proxy"),
        },
    }
    return {
        "headlamp-ns.yaml": to_yaml(klist([deploy, cm])),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": 'Failed to list namespaces: namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope\n',
    }


@bundle(
    "kind-json-log-FAILS-issuer-ca-untrusted",
    first="issuer-ca-untrusted",
    kinds={"apiserver-pod", "token", "apiserver-log"},
)
def _kind_ca() -> Files:
    dex = "https://dex.127.0.0.1.nip.io:32000"
    flags = [
        f"--oidc-issuer-url={dex}",
        "--oidc-client-id=kubernetes",
        "--oidc-username-claim=email",
        "--oidc-groups-claim=groups",
    ]
    pod = apiserver_pod("kind-control-plane", flags, "registry.k8s.io/kube-apiserver:v1.31.2")
    lines = [
        {"ts": NOW - 4000.123, "caller": "app/server.go:169", "msg": "Version: v1.31.2", "v": 0},
        {
            "ts": NOW - 3990.412,
            "caller": "oidc/oidc.go:335",
            "msg": f'oidc authenticator: initializing plugin: Get "{dex}/.well-known/openid-configuration": tls: failed to verify certificate: x509: certificate signed by unknown authority',
        },
        {
            "ts": NOW - 13.5081,
            "caller": "authentication/authentication.go:73",
            "msg": "Unable to authenticate the request",
            "err": "[invalid bearer token, oidc: authenticator not initialized]",
        },
    ]
    return {
        "kube-apiserver-kind-control-plane.yaml": to_yaml(pod),
        "kube-apiserver.log": "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines),
        "id_token.txt": sign(dex_claims(iss=dex), "9d1c0f2e"),
    }


@bundle(
    "minikube-klog-FAILS-token-expired",
    first="token-expired",
    kinds={"apiserver-pod", "token", "apiserver-log", "error-text"},
)
def _minikube_expired() -> Files:
    claims = keycloak_claims(iat=NOW - 900, exp=NOW - 600, auth_time=NOW - 905)
    pod = apiserver_pod(
        "minikube",
        [f"--oidc-issuer-url={KEYCLOAK}", "--oidc-client-id=kubernetes", "--oidc-username-claim=email"],
        "registry.k8s.io/kube-apiserver:v1.31.0",
        kubeadm=True,
    )
    expiry = datetime.fromtimestamp(claims["exp"], UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    log = [
        f"I{klog_time(-7200)}       1 options.go:228] external host was not specified, using 192.168.49.2",
        unable(f"[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: {expiry})]", -4),
    ]
    return {
        "pods.yaml": to_yaml(klist([pod])),
        "apiserver.log": "\n".join(log) + "\n",
        "kubeconfig-token.txt": sign(claims, "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "kubectl.txt": "E1128 10:25:08.318522   48211 memcache.go:265] couldn't get current server API group list: the server has asked for the client to provide credentials\n"
        + UNAUTHORIZED,
    }


@bundle(
    "kubeadm-google-legacy-iss-without-scheme-HEALTHY",
    healthy=True,
    username="alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _google_iss() -> Files:
    # Google may still issue `iss: accounts.google.com`; kube-apiserver's oidc.go coalesces it with
    # "https://accounts.google.com" (untrustedIssuer), and go-oidc accepts it: not a mismatch.
    claims = google_claims(iss="accounts.google.com")
    flags = [f"--oidc-issuer-url={GOOGLE}", f"--oidc-client-id={claims['aud']}", "--oidc-username-claim=email"]
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", flags)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "alice-view",
                    "ClusterRole",
                    "view",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}],
                )
            )
        ),
        "id_token.txt": sign(claims, "1f40f0a8ef3d880978dc82f25c3ec317c6a5b781"),
        "google-certs.json": json.dumps({"keys": [jwk(KEY, "1f40f0a8ef3d880978dc82f25c3ec317c6a5b781")]}),
    }


@bundle(
    "combo-kubeadm-FAILS-audience-mismatch-and-token-expired",
    first="audience-mismatch",
    present=["token-expired"],
    kinds={"apiserver-pod", "token", "jwks", "apiserver-log"},
)
def _combo_aud_expired() -> Files:
    claims = keycloak_claims(aud="kubeapps", azp="kubeapps", iat=NOW - 900, exp=NOW - 600)
    log = [
        unable('[invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" got ["kubeapps"]]', -3)
    ]
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(claims, "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "kube-apiserver.log": "\n".join(log) + "\n",
    }


@bundle(
    "combo-kind-FAILS-issuer-mismatch-before-groups-claim-missing",
    first="issuer-mismatch",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "error-text"},
)
def _combo_iss_groups() -> Files:
    flags = [
        f"--oidc-issuer-url={KEYCLOAK}/",
        "--oidc-client-id=kubernetes",
        "--oidc-username-claim=email",
        "--oidc-groups-claim=groups",
    ]
    return {
        "kube-apiserver.yaml": to_yaml(
            apiserver_pod("kind-control-plane", flags, "registry.k8s.io/kube-apiserver:v1.31.2")
        ),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "dev"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(groups=None), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": UNAUTHORIZED,
    }


# --- batch 2 ---------------------------------------------------------------------------------


@bundle(
    "k3s-nodes-json-journald-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"node-args", "token", "jwks", "apiserver-log"},
)
def _k3s_aud() -> Files:
    args = [
        "server",
        "--kube-apiserver-arg",
        f"oidc-issuer-url={KEYCLOAK}",
        "--kube-apiserver-arg",
        "oidc-client-id=kubernetes",
        "--kube-apiserver-arg",
        "oidc-username-claim=email",
        "--kube-apiserver-arg",
        "oidc-groups-claim=groups",
    ]
    err = '[invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" got ["kubeapps"]]'
    journal = [
        "Nov 28 10:20:01 k3s-server-1 k3s[812]: I1128 10:20:01.551203     812 controller.go:615] quota admission added evaluator for: leases.coordination.k8s.io",
        f'Nov 28 10:24:58 k3s-server-1 k3s[812]: E1128 10:24:58.412090     812 authentication.go:73] "Unable to authenticate the request" err={go_quote(err)}',
        f'Nov 28 10:25:03 k3s-server-1 k3s[812]: E1128 10:25:03.009871     812 authentication.go:73] "Unable to authenticate the request" err={go_quote(err)}',
    ]
    return {
        "nodes.json": to_json(klist([k3s_node("k3s-server-1", args)])),
        "journalctl-u-k3s.txt": "\n".join(journal) + "\n",
        "id_token.txt": sign(keycloak_claims(aud="kubeapps", azp="kubeapps"), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "authconfig-v1-azure-FAILS-claim-mapping-error-upn",
    first="claim-mapping-error",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _azure_upn() -> Files:
    claims = azure_claims(_claim_names=None, _claim_sources=None, groups=["f4b5c6d7-0000-4e8a-9c1f-2d6b8e4a7f01"])
    claims = {k: v for k, v in claims.items() if v is not None}
    cfg = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {AZURE}
    audiences:
    - {claims["aud"]}
  claimMappings:
    username:
      expression: '"aad:" + claims.upn'
    groups:
      claim: groups
      prefix: "aad:"
"""
    return {
        "kube-apiserver.yaml": to_yaml(auth_config_pod("cp1")),
        "structured-authn.yaml": cfg,
        "id_token.txt": sign(claims, "nOo3ZDrODXEK1jKWhXslHR_KXEg"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "nOo3ZDrODXEK1jKWhXslHR_KXEg")]}),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "keycloak-access-token-FAILS-wrong-token-type",
    first="wrong-token-type",
    kinds={"apiserver-pod", "token", "jwks", "error-text"},
)
def _keycloak_access_token() -> Files:
    claims = {
        "exp": NOW + 180,
        "iat": NOW - 120,
        "auth_time": NOW - 125,
        "jti": "onrtac:0f6d3c2a-1b4e-4f5a-9c8d-7e6f5a4b3c2d",
        "iss": KEYCLOAK,
        "aud": "account",
        "sub": "3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01",
        "typ": "Bearer",
        "azp": "kubeapps",
        "sid": "b8c4e0f2-1a3d-4c5e-8f7a-9b0c1d2e3f40",
        "acr": "1",
        "allowed-origins": ["https://kubeapps.example.com"],
        "realm_access": {"roles": ["offline_access", "default-roles-k8s", "uma_authorization"]},
        "resource_access": {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}},
        "scope": "openid email profile groups",
        "email_verified": True,
        "name": "Alice Liddell",
        "groups": ["dev", "platform"],
        "preferred_username": "alice",
        "email": "alice@example.com",
    }
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "access_token.txt": "Authorization: Bearer " + sign(claims, "rK3m-sig") + "\n",
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "azure-v1-sts-issuer-FAILS-issuer-mismatch",
    first="issuer-mismatch",
    kinds={"apiserver-pod", "token", "jwks", "error-text"},
)
def _azure_v1() -> Files:
    client = "6731de76-14a6-49ae-97bc-6eba6914391e"
    claims = {
        "aud": client,
        "iss": f"https://sts.windows.net/{AZURE_TID}/",
        "iat": NOW - 300,
        "nbf": NOW - 300,
        "exp": NOW + 3300,
        "amr": ["pwd", "mfa"],
        "family_name": "Liddell",
        "given_name": "Alice",
        "ipaddr": "203.0.113.7",
        "name": "Alice Liddell",
        "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "rh": "I",
        "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
        "tid": AZURE_TID,
        "unique_name": "alice@contoso.onmicrosoft.com",
        "upn": "alice@contoso.onmicrosoft.com",
        "uti": "Fk3Sb7CvGUWk9vGb1m5nAA",
        "ver": "1.0",
    }
    flags = [
        f"--oidc-issuer-url={AZURE}",
        f"--oidc-client-id={client}",
        "--oidc-username-claim=upn",
        "--oidc-username-prefix=aad:",
        "--oidc-groups-claim=groups",
    ]
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", flags)),
        "id_token.txt": sign(claims, "nOo3ZDrODXEK1jKWhXslHR_KXEg"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "nOo3ZDrODXEK1jKWhXslHR_KXEg")]}),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "azure-guid-groups-whoami-FAILS-group-name-mismatch",
    first="group-name-mismatch",
    username="aad:alice@contoso.onmicrosoft.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "live", "error-text"},
)
def _azure_guid_groups() -> Files:
    gids = ["f4b5c6d7-1a2b-4e8a-9c1f-2d6b8e4a7f01", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
    claims = azure_claims(_claim_names=None, _claim_sources=None, groups=gids)
    claims = {k: v for k, v in claims.items() if v is not None}
    flags = [
        f"--oidc-issuer-url={AZURE}",
        f"--oidc-client-id={claims['aud']}",
        "--oidc-username-claim=preferred_username",
        "--oidc-username-prefix=aad:",
        "--oidc-groups-claim=groups",
        "--oidc-groups-prefix=aad:",
    ]
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", flags)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "k8s-developers-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "aad:k8s-developers"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(claims, "nOo3ZDrODXEK1jKWhXslHR_KXEg"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "nOo3ZDrODXEK1jKWhXslHR_KXEg")]}),
        "whoami.json": to_json(
            whoami("aad:alice@contoso.onmicrosoft.com", [f"aad:{g}" for g in gids] + ["system:authenticated"])
        ),
        "error.txt": forbidden("aad:alice@contoso.onmicrosoft.com", "list", "pods", "", "dev"),
    }


@bundle(
    "oauth2-proxy-log-FAILS-email-not-verified",
    first="email-not-verified",
    kinds={"apiserver-pod", "token", "jwks", "proxy-log"},
)
def _email_not_verified() -> Files:
    proxy_log = [
        "[2026/11/28 10:20:02] [oauthproxy.go:166] Cookie settings: name:_oauth2_proxy secure(https):true httponly:true expiry:168h0m0s domains: path:/ samesite: refresh:after 2m0s",
        "[2026/11/28 10:24:40] [oauthproxy.go:899] Error creating session during OAuth2 callback: email in id_token (alice@example.com) isn't verified",
        '10.42.0.17 - 7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a - - [2026/11/28 10:24:40] kubeapps.example.com GET - "/oauth2/callback?code=REDACTED&state=REDACTED" HTTP/1.1 "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0" 500 2987 0.041',
    ]
    return {
        "kube-apiserver.yaml": to_yaml(
            apiserver_pod(
                "cp1", [f"--oidc-issuer-url={KEYCLOAK}", "--oidc-client-id=kubernetes", "--oidc-username-claim=email"]
            )
        ),
        "id_token.txt": sign(keycloak_claims(email_verified=False), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "oauth2-proxy.log": "\n".join(proxy_log) + "\n",
    }


@bundle(
    "ingress-nginx-FAILS-proxy-header-too-large",
    first="proxy-header-too-large",
    kinds={"apiserver-pod", "token", "jwks", "ingress-log", "ingress"},
)
def _header_too_large() -> Files:
    groups = [f"team-{i:03d}-{'x' * 24}" for i in range(160)]
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "annotations": {
                "meta.helm.sh/release-name": "kubeapps",
                "meta.helm.sh/release-namespace": "kubeapps",
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "600",
            },
            "creationTimestamp": ts(-86400 * 20),
            "generation": 1,
            "labels": {
                "app.kubernetes.io/instance": "kubeapps",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "kubeapps",
                "helm.sh/chart": "kubeapps-14.1.2",
            },
            "name": "kubeapps",
            "namespace": "kubeapps",
            "resourceVersion": rv("ing", "kubeapps"),
            "uid": uid("ing", "kubeapps"),
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "kubeapps.example.com",
                    "http": {
                        "paths": [
                            {
                                "backend": {"service": {"name": "kubeapps", "port": {"name": "http"}}},
                                "path": "/",
                                "pathType": "ImplementationSpecific",
                            }
                        ]
                    },
                }
            ],
            "tls": [{"hosts": ["kubeapps.example.com"], "secretName": "kubeapps.example.com-tls"}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.40"}]}},
    }
    log = [
        "-------------------------------------------------------------------------------",
        "NGINX Ingress controller",
        "  Release:       v1.11.3",
        "  Build:         0106de65cfccb74405a6dfa7d9daffc6f0a6ef1a",
        "  Repository:    https://github.com/kubernetes/ingress-nginx",
        "  nginx version: nginx/1.25.5",
        "",
        "-------------------------------------------------------------------------------",
        "",
        '203.0.113.7 - - [28/Nov/2026:10:24:59 +0000] "GET /oauth2/callback?code=REDACTED&state=REDACTED HTTP/2.0" 502 150 "https://keycloak.example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0" 1342 0.038 [kubeapps-kubeapps-http] [] 10.42.1.17:3000 0 0.037 502 4c0b7f2e9d1a8b3c6e5f4a2d1c0b9a8e',
        '2026/11/28 10:24:59 [error] 31#31: *51207 upstream sent too big header while reading response header from upstream, client: 203.0.113.7, server: kubeapps.example.com, request: "GET /oauth2/callback?code=REDACTED&state=REDACTED HTTP/2.0", upstream: "http://10.42.1.17:3000/oauth2/callback?code=REDACTED&state=REDACTED", host: "kubeapps.example.com", referrer: "https://keycloak.example.com/"',
    ]
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "ingress.yaml": to_yaml(klist([ingress])),
        "ingress-nginx-controller.log": "\n".join(log) + "\n",
        "id_token.txt": sign(keycloak_claims(groups=groups), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "kubeadm-json-with-sa-issuer-discovery-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "live"},
    unused=["kubectl-get-raw-well-known.json"],
)
def _sa_discovery() -> Files:
    sa_discovery = {
        "issuer": "https://kubernetes.default.svc.cluster.local",
        "jwks_uri": "https://172.18.0.2:6443/openid/v1/jwks",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    return {
        "kube-apiserver-pods.json": to_json(klist([apiserver_pod("cp1", LEGACY_KEYCLOAK)])),
        "rbac.json": to_json(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                    ns="dev",
                )
            )
        ),
        "kubelogin-cache.json": json.dumps(
            {
                "id_token": sign(keycloak_claims(), "rK3m-sig"),
                "refresh_token": "eyJhbGciOiJIUzUxMiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJhYmMifQ.e30.c2ln",
            }
        ),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "kubectl-get-raw-well-known.json": json.dumps(sa_discovery),
        "whoami.json": to_json(whoami("oidc:alice@example.com", ["oidc:dev", "oidc:platform", "system:authenticated"])),
    }


@bundle(
    "oauth2-proxy-cfg-FAILS-proxy-cookie-refresh-too-long",
    first="proxy-cookie-refresh-too-long",
    kinds={"apiserver-pod", "token", "jwks", "workload", "configmap"},
)
def _refresh_too_long() -> Files:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "labels": {"app.kubernetes.io/name": "oauth2-proxy", "helm.sh/chart": "oauth2-proxy-7.8.1"},
            "name": "oauth2-proxy",
            "namespace": "auth",
            "resourceVersion": rv("d", "o2p"),
            "uid": uid("d", "o2p"),
        },
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "oauth2-proxy"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "oauth2-proxy"}},
                "spec": {
                    "containers": [
                        {
                            "args": [
                                "--http-address=0.0.0.0:4180",
                                "--metrics-address=0.0.0.0:44180",
                                "--config=/etc/oauth2_proxy/oauth2_proxy.cfg",
                            ],
                            "env": [
                                {
                                    "name": "OAUTH2_PROXY_CLIENT_SECRET",
                                    "valueFrom": {"secretKeyRef": {"key": "client-secret", "name": "oauth2-proxy"}},
                                },
                                {
                                    "name": "OAUTH2_PROXY_COOKIE_SECRET",
                                    "valueFrom": {"secretKeyRef": {"key": "cookie-secret", "name": "oauth2-proxy"}},
                                },
                            ],
                            "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1",
                            "name": "oauth2-proxy",
                            "volumeMounts": [
                                {
                                    "mountPath": "/etc/oauth2_proxy/oauth2_proxy.cfg",
                                    "name": "configmain",
                                    "subPath": "oauth2_proxy.cfg",
                                }
                            ],
                        }
                    ],
                    "volumes": [{"configMap": {"defaultMode": 420, "name": "oauth2-proxy"}, "name": "configmain"}],
                },
            },
        },
    }
    cfg = "\n".join(
        [
            'provider = "oidc"',
            f'oidc_issuer_url = "{KEYCLOAK}"',
            'client_id = "kubernetes"',
            'email_domains = [ "*" ]',
            'upstreams = [ "http://headlamp.headlamp.svc.cluster.local:80" ]',
            "pass_authorization_header = true",
            'cookie_refresh = "1h"',
            'cookie_expire = "168h"',
            'scope = "openid email groups"',
        ]
    )
    cm = {
        "apiVersion": "v1",
        "data": {"oauth2_proxy.cfg": cfg},
        "kind": "ConfigMap",
        "metadata": {
            "name": "oauth2-proxy",
            "namespace": "auth",
            "resourceVersion": rv("cm", "o2p"),
            "uid": uid("cm", "o2p"),
        },
    }
    return {
        "oauth2-proxy.yaml": to_yaml(klist([deploy, cm])),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "okta-access-token-eks-FAILS-wrong-token-type",
    first="wrong-token-type",
    kinds={"eks-idp", "token", "jwks", "error-text"},
)
def _okta_access_token() -> Files:
    claims = {
        "ver": 1,
        "jti": "AT.nLxM1cY2nC8xJ3q0fKdv9vRxm6W0Lq3fgX9jR8h2Bzc",
        "iss": OKTA,
        "aud": "api://default",
        "iat": NOW - 60,
        "exp": NOW + 3540,
        "cid": "0oa9x8w7v6u5t4s3r2q1",
        "uid": "00u1a2b3c4d5e6f7g8h9",
        "scp": ["openid", "email", "groups", "profile"],
        "auth_time": NOW - 65,
        "sub": "alice@example.com",
        "groups": ["Everyone", "k8s-admins"],
    }
    return {
        "idp.json": json.dumps(eks_config("0oa9x8w7v6u5t4s3r2q1", OKTA, "email", "okta:", "groups", "okta:"), indent=4)
        + "\n",
        "token.txt": sign(claims, "kQ1mZx9Lr3v"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "kQ1mZx9Lr3v")]}),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "combo-headlamp-FAILS-proxy-token-not-forwarded-before-groups-claim-missing",
    first="proxy-token-not-forwarded",
    kinds={"apiserver-pod", "token", "jwks", "workload", "rbac", "error-text"},
)
def _combo_anon_groups() -> Files:
    files = _headlamp_not_forwarded()
    files["id_token.txt"] = sign(keycloak_claims(groups=None), "rK3m-sig")
    files["rbac.yaml"] = to_yaml(
        rbac(
            binding(
                "ClusterRoleBinding",
                "oidc-dev-view",
                "ClusterRole",
                "view",
                [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
            )
        )
    )
    return files


@bundle(
    "eks-config-creating-FAILS-oidc-not-configured",
    first="oidc-not-configured",
    kinds={"eks-idp", "token", "jwks", "error-text"},
)
def _eks_creating() -> Files:
    cfg = eks_config("0oa9x8w7v6u5t4s3r2q1", OKTA, "email", "okta:", "groups", "okta:")
    cfg["identityProviderConfig"]["oidc"]["status"] = "CREATING"
    claims = okta_claims()
    return {
        "idp.json": json.dumps(cfg, indent=4) + "\n",
        "id_token.txt": sign(claims, "kQ1mZx9Lr3v"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "kQ1mZx9Lr3v")]}),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "k3s-config-file-HEALTHY",
    healthy=True,
    username="alice@example.com",
    groups=["oidc:dev", "oidc:platform", "system:authenticated"],
    kinds={"node-args", "token", "jwks", "rbac"},
)
def _k3s_config_healthy() -> Files:
    cfg = "\n".join(
        [
            'write-kubeconfig-mode: "0644"',
            "tls-san:",
            '  - "k3s.example.com"',
            "disable:",
            "  - traefik",
            "kube-apiserver-arg:",
            f'  - "oidc-issuer-url={KEYCLOAK}"',
            '  - "oidc-client-id=kubernetes"',
            '  - "oidc-username-claim=email"',
            '  - "oidc-groups-claim=groups"',
            '  - "oidc-groups-prefix=oidc:"',
            "",
        ]
    )
    return {
        "etc-rancher-k3s-config.yaml": cfg,
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "kind-config-dex-HEALTHY",
    healthy=True,
    username="alice@example.com",
    groups=["acme:platform", "acme:sre", "system:authenticated"],
    kinds={"kubeadm-config", "token", "jwks", "rbac"},
)
def _kind_config_healthy() -> Files:
    dex = "https://dex.127.0.0.1.nip.io:32000"
    cfg = f"""kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: oidc
nodes:
- role: control-plane
  kubeadmConfigPatches:
  - |
    kind: InitConfiguration
    nodeRegistration:
      kubeletExtraArgs:
        node-labels: "ingress-ready=true"
  - |
    kind: ClusterConfiguration
    apiServer:
      extraArgs:
        oidc-issuer-url: {dex}
        oidc-client-id: kubernetes
        oidc-username-claim: email
        oidc-groups-claim: groups
        oidc-ca-file: /etc/ca-certificates/dex/ca.pem
  extraMounts:
  - hostPath: ./dex-ca.pem
    containerPath: /etc/ca-certificates/dex/ca.pem
    readOnly: true
- role: worker
"""
    return {
        "kind-oidc.yaml": cfg,
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "acme-platform-admin",
                    "ClusterRole",
                    "cluster-admin",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "acme:platform"}],
                )
            )
        ),
        "id_token.txt": sign(dex_claims(iss=dex), "9d1c0f2e"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "9d1c0f2e")]}),
    }


def helm_release_secret(
    name: str, ns: str, revision: int, status: str, chart: str, version: str, app_version: str, config: dict[str, Any]
) -> dict[str, Any]:
    """A Helm 3 release record as ``kubectl get secret -l owner=helm -o yaml`` shows it."""
    import base64
    import gzip

    payload = {
        "name": name,
        "info": {
            "first_deployed": ts(-86400 * 30),
            "last_deployed": ts(-86400 * (3 - revision)),
            "deleted": "",
            "description": "Upgrade complete" if revision > 1 else "Install complete",
            "status": status,
        },
        "chart": {
            "metadata": {
                "name": chart,
                "version": version,
                "description": "Kubeapps is a web-based UI for launching and managing applications on Kubernetes clusters.",
                "apiVersion": "v2",
                "appVersion": app_version,
            },
            "values": {"authProxy": {"enabled": False, "provider": "", "additionalFlags": []}},
        },
        "config": config,
        "manifest": "---\n# Source: kubeapps/templates/frontend/deployment.yaml\n",
        "version": revision,
        "namespace": ns,
    }
    helm_text = base64.b64encode(gzip.compress(json.dumps(payload).encode(), compresslevel=9, mtime=0)).decode()
    secret_name = f"sh.helm.release.v1.{name}.v{revision}"
    return {
        "apiVersion": "v1",
        "data": {"release": base64.b64encode(helm_text.encode()).decode()},
        "kind": "Secret",
        "metadata": {
            "creationTimestamp": ts(-86400 * (3 - revision)),
            "labels": {
                "modifiedAt": str(NOW - 86400 * (3 - revision)),
                "name": name,
                "owner": "helm",
                "status": status,
                "version": str(revision),
            },
            "name": secret_name,
            "namespace": ns,
            "resourceVersion": rv("secret", secret_name),
            "uid": uid("secret", secret_name),
        },
        "type": "helm.sh/release.v1",
    }


def kubeapps_deployment(chart: str, proxy_image: str, extra_args: list[str]) -> dict[str, Any]:
    """The Kubeapps frontend Deployment as ``kubectl -n kubeapps get deploy kubeapps -o yaml`` shows it."""
    labels = {
        "app.kubernetes.io/component": "frontend",
        "app.kubernetes.io/instance": "kubeapps",
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/name": "kubeapps",
        "helm.sh/chart": chart,
    }
    env = [
        {"name": n, "valueFrom": {"secretKeyRef": {"key": k, "name": "kubeapps-oauth2"}}}
        for n, k in (
            ("OAUTH2_PROXY_CLIENT_ID", "clientID"),
            ("OAUTH2_PROXY_CLIENT_SECRET", "clientSecret"),
            ("OAUTH2_PROXY_COOKIE_SECRET", "cookieSecret"),
        )
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/revision": "2",
                "meta.helm.sh/release-name": "kubeapps",
                "meta.helm.sh/release-namespace": "kubeapps",
            },
            "creationTimestamp": ts(-86400 * 30),
            "generation": 2,
            "labels": labels,
            "managedFields": [
                managed(
                    "helm", "Update", {"f:metadata": {"f:labels": {}}, "f:spec": {"f:template": {}}}, api="apps/v1"
                ),
                managed("kube-controller-manager", "Update", {"f:status": {}}, api="apps/v1", sub="status"),
            ],
            "name": "kubeapps",
            "namespace": "kubeapps",
            "resourceVersion": rv("deploy", "kubeapps", chart),
            "uid": uid("deploy", "kubeapps"),
        },
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 2,
            "revisionHistoryLimit": 10,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/component": "frontend",
                    "app.kubernetes.io/instance": "kubeapps",
                    "app.kubernetes.io/name": "kubeapps",
                }
            },
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": labels},
                "spec": {
                    "containers": [
                        {
                            "image": "docker.io/bitnami/nginx:1.21.0-debian-10-r0",
                            "imagePullPolicy": "IfNotPresent",
                            "name": "nginx",
                            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                            "resources": {},
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                        },
                        {
                            "args": [*KUBEAPPS_AUTH_PROXY_ARGS, *extra_args],
                            "env": env,
                            "image": proxy_image,
                            "imagePullPolicy": "IfNotPresent",
                            "name": "auth-proxy",
                            "ports": [{"containerPort": 3000, "name": "proxy", "protocol": "TCP"}],
                            "resources": {},
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                        },
                    ],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
        "status": {
            "availableReplicas": 2,
            "conditions": [
                {
                    "lastTransitionTime": ts(-3600),
                    "lastUpdateTime": ts(-3600),
                    "message": "Deployment has minimum availability.",
                    "reason": "MinimumReplicasAvailable",
                    "status": "True",
                    "type": "Available",
                }
            ],
            "observedGeneration": 2,
            "readyReplicas": 2,
            "replicas": 2,
            "updatedReplicas": 2,
        },
    }


@bundle(
    "kubeapps-helm-release-secrets-FAILS-proxy-cookie-refresh-missing",
    first="proxy-cookie-refresh-missing",
    kinds={"apiserver-pod", "workload", "helm-release", "token", "jwks", "error-text"},
)
def _kubeapps_release() -> Files:
    config = {
        "authProxy": {
            "enabled": True,
            "provider": "oidc",
            "clientID": "kubernetes",
            "clientSecret": "not-the-real-secret",
            "cookieSecret": "bm90LXRoZS1yZWFsLXNlY3JldA==",
            "additionalFlags": [f"--oidc-issuer-url={KEYCLOAK}", "--scope=openid email groups"],
        }
    }
    secrets = klist(
        [
            helm_release_secret(
                "kubeapps", "kubeapps", 1, "superseded", "kubeapps", "7.0.0", "2.3.2", {"authProxy": {"enabled": False}}
            ),
            helm_release_secret("kubeapps", "kubeapps", 2, "deployed", "kubeapps", "7.0.0", "2.3.2", config),
        ]
    )
    return {
        "helm-secrets.yaml": to_yaml(secrets),
        "kubeapps-deploy.yaml": to_yaml(
            kubeapps_deployment(
                "kubeapps-7.0.0",
                "docker.io/bitnami/oauth2-proxy:7.1.3-debian-10-r66",
                [f"--oidc-issuer-url={KEYCLOAK}", "--scope=openid email groups"],
            )
        ),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "what-users-say.txt": "Kubeapps logs me out every 5 minutes and shows 'Unauthorized' until I log in again\n",
    }


@bundle(
    "headlamp-oauth2-proxy-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "token", "jwks", "rbac", "live"},
)
def _headlamp_healthy() -> Files:
    files = _headlamp_not_forwarded()
    original = files.pop("headlamp-ns.yaml")
    assert isinstance(original, str)
    text = original.replace(
        "- --cookie-refresh=1m\n", "- --cookie-refresh=1m\n          - --pass-authorization-header=true\n"
    )
    assert "--pass-authorization-header=true" in text
    files["headlamp-ns.yaml"] = text
    del files["error.txt"]
    files["rbac.yaml"] = to_yaml(
        rbac(
            binding(
                "ClusterRoleBinding",
                "oidc-platform-view",
                "ClusterRole",
                "view",
                [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:platform"}],
            )
        )
    )
    files["whoami.yaml"] = to_yaml(
        whoami("oidc:alice@example.com", ["oidc:dev", "oidc:platform", "system:authenticated"])
    )
    return files


@bundle(
    "gke-clientconfig-HEALTHY",
    healthy=True,
    kinds={"gke-clientconfig", "token", "jwks", "rbac"},
)
def _gke_healthy() -> Files:
    return {
        "clientconfig.yaml": to_yaml(gke_clientconfig("groups")),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kc:dev"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "kubeadm-config-edited-pod-not-restarted-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-pod", "kubeadm-config", "token", "jwks", "error-text"},
)
def _kubeadm_config_drift() -> Files:
    edited = [f if not f.startswith("--oidc-client-id=") else "--oidc-client-id=kubeapps" for f in LEGACY_KEYCLOAK]
    cc = to_yaml(
        {
            "apiServer": {"extraArgs": dict(f[2:].split("=", 1) for f in edited)},
            "apiVersion": "kubeadm.k8s.io/v1beta3",
            "kind": "ClusterConfiguration",
            "kubernetesVersion": "v1.30.6",
        }
    )
    return {
        "kube-apiserver-pods.yaml": to_yaml(klist([apiserver_pod("cp1", LEGACY_KEYCLOAK)])),
        "kubeadm-config.yaml": to_yaml(kubeadm_configmap(cc)),
        "id_token.txt": sign(keycloak_claims(aud="kubeapps", azp="kubeapps"), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "keycloak-access-token-with-audience-mapper-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _keycloak_access_token_accepted() -> Files:
    # Kubeapps' documented Keycloak set-up: the proxy forwards the access token, and an "Audience"
    # mapper puts the API server's client id into it: kube-apiserver accepts it (it never reads typ).
    claims = {
        "exp": NOW + 180,
        "iat": NOW - 120,
        "auth_time": NOW - 125,
        "jti": "onrtac:0f6d3c2a-1b4e-4f5a-9c8d-7e6f5a4b3c2d",
        "iss": KEYCLOAK,
        "aud": ["kubernetes", "account"],
        "sub": "3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01",
        "typ": "Bearer",
        "azp": "kubeapps",
        "sid": "b8c4e0f2-1a3d-4c5e-8f7a-9b0c1d2e3f40",
        "acr": "1",
        "allowed-origins": ["https://kubeapps.example.com"],
        "realm_access": {"roles": ["offline_access", "default-roles-k8s", "uma_authorization"]},
        "resource_access": {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}},
        "scope": "openid email profile groups",
        "email_verified": True,
        "name": "Alice Liddell",
        "groups": ["dev", "platform"],
        "preferred_username": "alice",
        "email": "alice@example.com",
    }
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                    ns="dev",
                )
            )
        ),
        "access_token.txt": sign(claims, "rK3m-sig") + "\n",
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


ADMIN_AGG = {
    "aggregationRule": {
        "clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]
    },
    **cluster_role(
        "admin",
        [
            {
                "apiGroups": ["apps"],
                "resources": ["deployments", "statefulsets"],
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            }
        ],
    ),
}
VIEW_AGG = {
    "aggregationRule": {
        "clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]
    },
    **cluster_role("view", []),
}
AGG_TO_VIEW = cluster_role(
    "system:aggregate-to-view",
    [
        {
            "apiGroups": [""],
            "resources": ["pods", "services", "configmaps", "endpoints", "persistentvolumeclaims"],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "deployments/scale", "replicasets", "statefulsets", "daemonsets"],
            "verbs": ["get", "list", "watch"],
        },
    ],
    aggregate_to="view",
)
BASIC_USER = cluster_role(
    "system:basic-user",
    [
        {
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            "verbs": ["create"],
        },
        {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]},
    ],
)
BASIC_USER_BINDING = binding(
    "ClusterRoleBinding",
    "system:basic-user",
    "ClusterRole",
    "system:basic-user",
    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}],
)


@bundle(
    "kubeadm-aggregated-rbac-FAILS-rbac-insufficient-permissions",
    first="rbac-insufficient-permissions",
    username="oidc:alice@example.com",
    groups=["oidc:dev", "oidc:platform", "system:authenticated"],
    kinds={"apiserver-pod", "token", "jwks", "rbac", "error-text"},
)
def _rbac_insufficient() -> Files:
    objs = klist(
        [
            CLUSTER_ADMIN,
            ADMIN_AGG,
            VIEW_AGG,
            AGG_TO_VIEW,
            BASIC_USER,
            BASIC_USER_BINDING,
            binding(
                "RoleBinding",
                "dev-view",
                "ClusterRole",
                "view",
                [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                ns="dev",
            ),
        ]
    )
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "rbac.yaml": to_yaml(objs),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": 'Error from server (Forbidden): deployments.apps "web" is forbidden: User "oidc:alice@example.com" cannot patch resource "deployments" in API group "apps" in the namespace "dev"\n',
    }


@bundle(
    "keycloak-token-response-json-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _token_response() -> Files:
    refresh = "eyJhbGciOiJIUzUxMiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICIzZjFhIn0.eyJ0eXAiOiJSZWZyZXNoIn0.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
    response = {
        "access_token": sign(keycloak_claims(typ="Bearer", aud="account", azp="kubernetes"), "rK3m-sig"),
        "expires_in": 300,
        "refresh_expires_in": 1800,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "id_token": sign(keycloak_claims(), "rK3m-sig"),
        "not-before-policy": 0,
        "session_state": "b8c4e0f2-1a3d-4c5e-8f7a-9b0c1d2e3f40",
        "scope": "openid email profile groups",
    }
    objs = klist(
        [
            CLUSTER_ADMIN,
            VIEW_AGG,
            AGG_TO_VIEW,
            BASIC_USER,
            BASIC_USER_BINDING,
            binding(
                "RoleBinding",
                "dev-view",
                "ClusterRole",
                "view",
                [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                ns="dev",
            ),
        ]
    )
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "rbac.yaml": to_yaml(objs),
        "token-response.json": json.dumps(response),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


def kubectl_describe_apiserver(node: str, flags: list[str], image: str) -> str:
    """``kubectl -n kube-system describe pod kube-apiserver-<node>``."""
    pod = apiserver_pod(node, flags, image)
    command = "".join(f"      {w}\n" for w in pod["spec"]["containers"][0]["command"])
    return (
        f"Name:                 kube-apiserver-{node}\n"
        "Namespace:            kube-system\n"
        "Priority:             2000001000\n"
        "Priority Class Name:  system-node-critical\n"
        f"Node:                 {node}/192.168.49.2\n"
        "Start Time:           Sat, 28 Nov 2026 08:25:12 +0000\n"
        "Labels:               component=kube-apiserver\n"
        "                      tier=control-plane\n"
        "Annotations:          kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: 192.168.49.2:8443\n"
        f"                      kubernetes.io/config.hash: {pod['metadata']['annotations']['kubernetes.io/config.hash']}\n"
        "                      kubernetes.io/config.source: file\n"
        "Status:               Running\n"
        "SeccompProfile:       RuntimeDefault\n"
        "IP:                   192.168.49.2\n"
        "IPs:\n"
        "  IP:           192.168.49.2\n"
        f"Controlled By:  Node/{node}\n"
        "Containers:\n"
        "  kube-apiserver:\n"
        f"    Container ID:  containerd://{hashlib.sha256(node.encode()).hexdigest()}\n"
        f"    Image:         {image}\n"
        f"    Image ID:      {image.split(':')[0]}@sha256:{hashlib.sha256(image.encode()).hexdigest()}\n"
        "    Port:          <none>\n"
        "    Host Port:     <none>\n"
        "    Command:\n" + command + "    State:          Running\n"
        "      Started:      Sat, 28 Nov 2026 08:25:12 +0000\n"
        "    Ready:          True\n"
        "    Restart Count:  0\n"
        "    Requests:\n"
        "      cpu:        250m\n"
        "    Liveness:     http-get https://192.168.49.2:8443/livez delay=10s timeout=15s period=10s #success=1 #failure=8\n"
        "    Environment:  <none>\n"
        "    Mounts:\n"
        "      /etc/kubernetes/pki from k8s-certs (ro)\n"
        "Conditions:\n"
        "  Type                        Status\n"
        "  PodReadyToStartContainers   True \n"
        "  Initialized                 True \n"
        "  Ready                       True \n"
        "  ContainersReady             True \n"
        "  PodScheduled                True \n"
        "QoS Class:                   Burstable\n"
        "Node-Selectors:              <none>\n"
        "Tolerations:                 :NoExecute op=Exists\n"
        "Events:                      <none>\n"
    )


@bundle(
    "minikube-describe-pod-FAILS-username-claim-missing",
    first="username-claim-missing",
    kinds={"apiserver-pod", "token", "jwks", "error-text"},
)
def _minikube_describe() -> Files:
    flags = [
        f"--oidc-issuer-url={KEYCLOAK}",
        "--oidc-client-id=kubernetes",
        "--oidc-username-claim=upn",
        "--oidc-username-prefix=-",
    ]
    return {
        "describe-kube-apiserver.txt": kubectl_describe_apiserver(
            "minikube", flags, "registry.k8s.io/kube-apiserver:v1.31.0"
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": UNAUTHORIZED,
    }


def kubeconfig_kubelogin(issuer: str, client_id: str) -> str:
    """``kubectl config view --minify --raw`` for a user set up as the kubelogin README says."""
    return f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
    server: https://cp1.example.com:6443
  name: prod
contexts:
- context:
    cluster: prod
    user: oidc
  name: oidc@prod
current-context: oidc@prod
kind: Config
preferences: {{}}
users:
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - oidc-login
      - get-token
      - --oidc-issuer-url={issuer}
      - --oidc-client-id={client_id}
      - --oidc-extra-scope=email
      - --oidc-extra-scope=groups
      command: kubectl
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
"""


@bundle(
    "kubelogin-kubeconfig-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-pod", "kubeconfig", "error-text"},
)
def _kubelogin_client() -> Files:
    return {
        "kubeconfig.yaml": kubeconfig_kubelogin(KEYCLOAK, "kubectl"),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "kubelogin-kubeconfig-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "kubeconfig", "token", "jwks", "rbac"},
)
def _kubelogin_healthy() -> Files:
    claims = keycloak_claims()
    return {
        "kubeconfig.yaml": kubeconfig_kubelogin(KEYCLOAK, "kubernetes"),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                    ns="dev",
                )
            )
        ),
        "get-token.json": json.dumps(exec_credential(sign(claims, "rK3m-sig"), claims["exp"])) + "\n",
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "windows-powershell-utf16-files-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _windows_encodings() -> Files:
    # Windows PowerShell 5.1: `kubectl ... > file` writes UTF-16 LE with a BOM and CRLF line ends;
    # `Out-File -Encoding utf8` writes UTF-8 with a BOM.
    def utf16(text: str) -> bytes:
        return b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")

    return {
        "kube-apiserver.yaml": utf16(to_yaml(klist([apiserver_pod("cp1", LEGACY_KEYCLOAK)]))),
        "rbac.yaml": utf16(
            to_yaml(
                rbac(
                    binding(
                        "RoleBinding",
                        "dev-edit",
                        "ClusterRole",
                        "edit",
                        [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                        ns="dev",
                    )
                )
            )
        ),
        "id_token.txt": utf16(sign(keycloak_claims(), "rK3m-sig") + "\n"),
        "certs.json": b"\xef\xbb\xbf" + json.dumps(keycloak_jwks("rK3m-sig")).encode(),
    }


@bundle(
    "windows-powershell-utf16-log-FAILS-token-expired",
    first="token-expired",
    kinds={"apiserver-pod", "token", "apiserver-log"},
)
def _windows_log() -> Files:
    claims = keycloak_claims(iat=NOW - 900, exp=NOW - 600, auth_time=NOW - 905)
    expiry = datetime.fromtimestamp(claims["exp"], UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    log = [
        f"I{klog_time(-7200)}       1 options.go:228] external host was not specified, using 10.0.0.10",
        unable(f"[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: {expiry})]", -4),
    ]
    return {
        "kube-apiserver.yaml": b"\xff\xfe"
        + to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)).replace("\n", "\r\n").encode("utf-16-le"),
        "kubectl-logs-kube-apiserver.txt": b"\xff\xfe" + "\r\n".join([*log, ""]).encode("utf-16-le"),
        "id_token.txt": sign(claims, "rK3m-sig"),
    }


@bundle(
    "combo-kubeadm-FAILS-token-expired-before-rbac-no-binding",
    first="token-expired",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "error-text"},
)
def _combo_expired_rbac() -> Files:
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "ops-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:ops"}],
                    ns="ops",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(iat=NOW - 1200, exp=NOW - 900), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "combo-kind-FAILS-issuer-ca-untrusted-before-audience-mismatch",
    first="issuer-ca-untrusted",
    kinds={"apiserver-pod", "token", "apiserver-log"},
)
def _combo_ca_aud() -> Files:
    files = _kind_ca()
    dex = "https://dex.127.0.0.1.nip.io:32000"
    files["id_token.txt"] = sign(dex_claims(iss=dex, aud="headlamp"), "9d1c0f2e")
    return files


@bundle(
    "combo-kubeapps-FAILS-audience-mismatch-before-proxy-cookie-refresh-missing",
    first="audience-mismatch",
    present=["proxy-cookie-refresh-missing"],
    kinds={"apiserver-pod", "workload", "token", "jwks", "apiserver-log"},
)
def _combo_aud_refresh() -> Files:
    log = [
        unable('[invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" got ["kubeapps"]]', -3)
    ]
    return {
        "helm-template-kubeapps.yaml": kubeapps_helm_template(
            "kubeapps-7.0.0", "2.3.2", "docker.io/bitnami/oauth2-proxy:7.1.3-debian-10-r66", []
        ),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(keycloak_claims(aud="kubeapps", azp="kubeapps"), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "kube-apiserver.log": "\n".join(log) + "\n",
    }


@bundle(
    "kubeadm-azure-clock-skew-json-log-FAILS-token-not-yet-valid",
    first="token-not-yet-valid",
    kinds={"apiserver-pod", "token", "jwks", "apiserver-log"},
)
def _azure_skew() -> Files:
    # The identity provider's clock runs 3 minutes ahead: iat/nbf are in the control plane's future.
    claims = azure_claims(_claim_names=None, _claim_sources=None, iat=NOW + 180, nbf=NOW + 180, exp=NOW + 3780)
    claims = {k: v for k, v in claims.items() if v is not None}
    flags = [
        f"--oidc-issuer-url={AZURE}",
        f"--oidc-client-id={claims['aud']}",
        "--oidc-username-claim=oid",
        "--oidc-username-prefix=aad:",
    ]

    def go_time(t: int) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")

    err = f"[invalid bearer token, oidc: verify token: oidc: current time {go_time(NOW - 2)} before the nbf (not before) time: {go_time(NOW + 180)}]"
    lines = [
        {"ts": NOW - 5000.25, "caller": "app/server.go:169", "msg": "Version: v1.30.6", "v": 0},
        {
            "ts": NOW - 2.0,
            "caller": "authentication/authentication.go:73",
            "msg": "Unable to authenticate the request",
            "err": err,
        },
    ]
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", [*flags, "--logging-format=json"])),
        "kube-apiserver.log": "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines),
        "id_token.txt": sign(claims, "nOo3ZDrODXEK1jKWhXslHR_KXEg"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "nOo3ZDrODXEK1jKWhXslHR_KXEg")]}),
    }


def headlamp_ingress(annotations: dict[str, str]) -> dict[str, Any]:
    """Headlamp's Ingress (ingress-nginx) as ``kubectl -n headlamp get ingress headlamp -o yaml`` shows it."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "annotations": {
                "meta.helm.sh/release-name": "headlamp",
                "meta.helm.sh/release-namespace": "headlamp",
                **annotations,
            },
            "creationTimestamp": ts(-86400 * 4),
            "generation": 2,
            "labels": {
                "app.kubernetes.io/instance": "headlamp",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "headlamp",
                "helm.sh/chart": "headlamp-0.25.0",
            },
            "name": "headlamp",
            "namespace": "headlamp",
            "resourceVersion": rv("ing", "headlamp"),
            "uid": uid("ing", "headlamp"),
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "headlamp.example.com",
                    "http": {
                        "paths": [
                            {
                                "backend": {"service": {"name": "headlamp", "port": {"number": 80}}},
                                "path": "/",
                                "pathType": "Prefix",
                            }
                        ]
                    },
                }
            ],
            "tls": [{"hosts": ["headlamp.example.com"], "secretName": "headlamp-tls"}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.41"}]}},
    }


def oauth2_proxy_auth_request_deployment(extra_args: list[str]) -> dict[str, Any]:
    """oauth2-proxy chart in auth_request mode (the chart's config keeps `upstreams = [ "file:///dev/null" ]`)."""
    files = _headlamp_not_forwarded()
    text = files["headlamp-ns.yaml"]
    assert isinstance(text, str)
    objs = yaml.safe_load(text)["items"]
    deploy = objs[0]
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    c["args"] = [a for a in c["args"] if not a.startswith("--upstream=")] + [
        "--reverse-proxy=true",
        "--set-xauthrequest=true",
        *extra_args,
    ]
    return klist([deploy, objs[1]])


@bundle(
    "headlamp-ingress-auth-url-oauth2-proxy-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "ingress", "token", "jwks", "rbac"},
)
def _headlamp_auth_url_healthy() -> Files:
    ann = {
        "nginx.ingress.kubernetes.io/auth-url": "https://$host/oauth2/auth",
        "nginx.ingress.kubernetes.io/auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri",
        "nginx.ingress.kubernetes.io/auth-response-headers": "Authorization",
    }
    return {
        "oauth2-proxy.yaml": to_yaml(oauth2_proxy_auth_request_deployment(["--set-authorization-header=true"])),
        "headlamp-ingress.yaml": to_yaml(headlamp_ingress(ann)),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "oidc-platform-view",
                    "ClusterRole",
                    "view",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:platform"}],
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "headlamp-ingress-auth-url-FAILS-proxy-token-not-forwarded",
    first="proxy-token-not-forwarded",
    kinds={"apiserver-pod", "workload", "ingress", "token", "jwks", "error-text"},
)
def _headlamp_auth_url_missing_header() -> Files:
    ann = {
        "nginx.ingress.kubernetes.io/auth-url": "https://$host/oauth2/auth",
        "nginx.ingress.kubernetes.io/auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri",
        "nginx.ingress.kubernetes.io/auth-response-headers": "X-Auth-Request-User,X-Auth-Request-Email",
    }
    return {
        "oauth2-proxy.yaml": to_yaml(oauth2_proxy_auth_request_deployment(["--set-authorization-header=true"])),
        "headlamp-ingress.yaml": to_yaml(headlamp_ingress(ann)),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "error.txt": 'Failed to list namespaces: namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope\n',
    }


def ca_certificate_pem() -> str:
    """A self-signed CA certificate (RSA, PKCS#1 v1.5: deterministic) for ``certificateAuthority``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster-internal-ca")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ENC_KEY.public_key())
        .serial_number(0x51A7E)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2036, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ENC_KEY, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@bundle(
    "authconfig-v1-discovery-url-in-cluster-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "discovery", "rbac"},
)
def _authconfig_discovery_url() -> Files:
    # The API server reaches Keycloak through its Service (issuer.discoveryURL); the discovery
    # document still names the public issuer, which must equal issuer.url.
    ca = "".join(f"      {line}\n" for line in ca_certificate_pem().splitlines())
    cfg = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {KEYCLOAK}
    discoveryURL: https://keycloak.keycloak.svc.cluster.local:8443/realms/k8s/.well-known/openid-configuration
    certificateAuthority: |
{ca}    audiences:
    - kubernetes
  claimMappings:
    username:
      claim: email
      prefix: "oidc:"
    groups:
      claim: groups
      prefix: "oidc:"
"""
    return {
        "kube-apiserver.yaml": to_yaml(auth_config_pod("cp1")),
        "auth-config.yaml": cfg,
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "dev-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:dev"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
        "openid-configuration.json": json.dumps(keycloak_discovery()),
    }


@bundle(
    "eks-google-FAILS-username-prefix-mismatch",
    first="username-prefix-mismatch",
    username="google:alice@example.com",
    kinds={"eks-idp", "rbac", "token", "jwks", "error-text"},
)
def _eks_prefix() -> Files:
    claims = google_claims()
    return {
        "identity-provider-config.json": json.dumps(
            eks_config(claims["aud"], GOOGLE, "email", "google:", None, None), indent=4
        )
        + "\n",
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "alice-view",
                    "ClusterRole",
                    "view",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}],
                )
            )
        ),
        "id_token": sign(claims, "1f40f0a8ef3d880978dc82f25c3ec317c6a5b781"),
        "google-certs.json": json.dumps({"keys": [jwk(KEY, "1f40f0a8ef3d880978dc82f25c3ec317c6a5b781")]}),
        "error.txt": forbidden("google:alice@example.com", "list", "pods", "", "default"),
    }


@bundle(
    "kubeadm-v1beta4-dex-HEALTHY",
    healthy=True,
    username="dex:alice@example.com",
    groups=["dex:acme:platform", "dex:acme:sre", "system:authenticated"],
    kinds={"kubeadm-config", "rbac", "token", "jwks", "live"},
)
def _kubeadm_v1beta4_healthy() -> Files:
    files = _kubeadm_v1beta4_dex_groups()
    del files["kubectl-error.txt"]
    files["rbac.yaml"] = to_yaml(
        rbac(
            binding(
                "RoleBinding",
                "platform-edit",
                "ClusterRole",
                "edit",
                [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "dex:acme:platform"}],
                ns="platform",
            )
        )
    )
    files["whoami.yaml"] = to_yaml(
        whoami("dex:alice@example.com", ["dex:acme:platform", "dex:acme:sre", "system:authenticated"])
    )
    return files


@bundle(
    "minikube-describe-pod-HEALTHY",
    healthy=True,
    username="alice",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _minikube_healthy() -> Files:
    flags = [
        f"--oidc-issuer-url={KEYCLOAK}",
        "--oidc-client-id=kubernetes",
        "--oidc-username-claim=preferred_username",
        "--oidc-username-prefix=-",
        "--oidc-groups-claim=groups",
    ]
    return {
        "describe-kube-apiserver.txt": kubectl_describe_apiserver(
            "minikube", flags, "registry.k8s.io/kube-apiserver:v1.31.0"
        ),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "alice-admin",
                    "ClusterRole",
                    "cluster-admin",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "authconfig-v1beta1-okta-keycloak-rules-HEALTHY",
    healthy=True,
    username="okta:alice@example.com",
    groups=["okta:Everyone", "okta:k8s-admins", "system:authenticated"],
    kinds={"apiserver-pod", "auth-config", "rbac", "token", "jwks"},
)
def _authconfig_v1beta1_healthy() -> Files:
    cfg = {
        "apiVersion": "apiserver.config.k8s.io/v1beta1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": KEYCLOAK, "audiences": ["kubernetes"]},
                "claimMappings": {
                    "username": {"claim": "email", "prefix": "kc:"},
                    "groups": {"claim": "groups", "prefix": "kc:"},
                },
            },
            {
                "issuer": {
                    "url": OKTA,
                    "audiences": ["0oa9x8w7v6u5t4s3r2q1", "0oaDashboardApp1234"],
                    "audienceMatchPolicy": "MatchAny",
                },
                "claimValidationRules": [
                    {"expression": "claims.ver == 1", "message": "only Okta v1 tokens"},
                    {"expression": "claims.email_verified == true", "message": "the email must be verified"},
                    {"expression": "'pwd' in claims.amr && 'mfa' in claims.amr", "message": "MFA is required"},
                ],
                "claimMappings": {
                    "username": {"expression": "'okta:' + claims.email"},
                    "groups": {"expression": "claims.groups.map(g, 'okta:' + g)"},
                    "uid": {"claim": "sub"},
                },
                "userValidationRules": [
                    {
                        "expression": "user.groups.exists(g, g == 'okta:k8s-admins')",
                        "message": "only k8s-admins may log in",
                    }
                ],
            },
        ],
    }
    claims = okta_claims()
    return {
        "kube-apiserver.yaml": to_yaml(auth_config_pod("cp1")),
        "auth-config.yaml": to_yaml(cfg),
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "ClusterRoleBinding",
                    "okta-admins",
                    "ClusterRole",
                    "cluster-admin",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "okta:k8s-admins"}],
                )
            )
        ),
        "id_token.txt": sign(claims, "kQ1mZx9Lr3v"),
        "keys.json": json.dumps({"keys": [jwk(KEY, "kQ1mZx9Lr3v")]}),
    }


@bundle(
    "authconfig-v1beta1-FAILS-oidc-config-invalid-email-without-email-verified",
    first="oidc-config-invalid",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _authconfig_email_unverified_rule() -> Files:
    files = _authconfig_v1beta1_healthy()
    text = files["auth-config.yaml"]
    assert isinstance(text, str)
    cfg = yaml.safe_load(text)
    rules = cfg["jwt"][1]["claimValidationRules"]
    cfg["jwt"][1]["claimValidationRules"] = [r for r in rules if "email_verified" not in r["expression"]]
    files["auth-config.yaml"] = to_yaml(cfg)
    files["error.txt"] = (
        "The connection to the server cp1.example.com:6443 was refused - did you specify the right host or port?\n"
        + UNAUTHORIZED
    )
    del files["rbac.yaml"]
    return files


# --- Headlamp's own OIDC login (kubernetes-sigs/headlamp) --------------------------------------


def headlamp_helm_template(oidc: dict[str, str]) -> str:
    """``helm template headlamp headlamp/headlamp -n headlamp --version 0.45.0 --set config.oidc.secret.create=false
    --set config.oidc.clientID=... ...`` (Service and Deployment), as chart 0.45.0 renders it: the
    ``config.oidc`` values become literal ``OIDC_*`` env and ``-oidc-*=$(OIDC_*)`` args
    (``charts/headlamp/templates/deployment.yaml``)."""
    labels = (
        "    helm.sh/chart: headlamp-0.45.0\n"
        "    app.kubernetes.io/name: headlamp\n"
        "    app.kubernetes.io/instance: headlamp\n"
        '    app.kubernetes.io/version: "0.45.0"\n'
        "    app.kubernetes.io/managed-by: Helm\n"
    )
    selector = "app.kubernetes.io/name: headlamp\n{i}app.kubernetes.io/instance: headlamp\n"
    env_names = {
        "clientID": "OIDC_CLIENT_ID",
        "clientSecret": "OIDC_CLIENT_SECRET",
        "issuerURL": "OIDC_ISSUER_URL",
        "scopes": "OIDC_SCOPES",
    }
    flags = {
        "clientID": "-oidc-client-id",
        "clientSecret": "-oidc-client-secret",
        "issuerURL": "-oidc-idp-issuer-url",
        "scopes": "-oidc-scopes",
    }
    env = "".join(
        f"            - name: {env_names[k]}\n              value: {oidc[k]}\n" for k in env_names if oidc.get(k)
    )
    args = "".join(
        "            # Check if " + k + " is non empty either from env or oidc.config\n"
        f'            - "{flags[k]}=$({env_names[k]})"\n'
        for k in env_names
        if oidc.get(k)
    )
    return (
        "---\n"
        "# Source: headlamp/templates/service.yaml\n"
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        "  name: headlamp\n"
        "  namespace: headlamp\n"
        "  labels:\n" + labels + "spec:\n"
        "  type: ClusterIP\n"
        "  ports:\n"
        "    - port: 80\n"
        "      targetPort: http\n"
        "      protocol: TCP\n"
        "      name: http\n"
        "  selector:\n"
        "    " + selector.format(i="    ") + "---\n"
        "# Source: headlamp/templates/deployment.yaml\n"
        "# This block of code is used to extract the values from the env.\n"
        "# This is done to check if the values are non-empty and if they are, they are used in the deployment.yaml.\n"
        "\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: headlamp\n"
        "  namespace: headlamp\n"
        "  labels:\n" + labels + "spec:\n"
        "  replicas: 1\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      " + selector.format(i="      ") + "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        " + selector.format(i="        ") + "    spec:\n"
        "      serviceAccountName: headlamp\n"
        "      automountServiceAccountToken: true\n"
        "      hostUsers: true\n"
        "      securityContext:\n"
        "        {}\n"
        "      containers:\n"
        "        - name: headlamp\n"
        "          securityContext:\n"
        "            privileged: false\n"
        "            runAsGroup: 101\n"
        "            runAsNonRoot: true\n"
        "            runAsUser: 100\n"
        '          image: "ghcr.io/headlamp-k8s/headlamp:v0.45.0"\n'
        "          imagePullPolicy: IfNotPresent\n"
        "          \n"
        "          env:\n" + env + "          args:\n"
        '            - "-in-cluster"\n'
        '            - "-in-cluster-context-name=main"\n'
        '            - "-plugins-dir=/headlamp/plugins"\n'
        '            - "-session-ttl=86400"\n'
        "            # Check if externalSecret is disabled\n" + args + "          ports:\n"
        "            - name: http\n"
        "              containerPort: 4466\n"
        "              protocol: TCP\n"
        "          livenessProbe:\n"
        "            httpGet:\n"
        '              path: "/"\n'
        "              port: http\n"
        "              scheme: HTTP\n"
        "            initialDelaySeconds: 0\n"
        "            periodSeconds: 10\n"
        "            timeoutSeconds: 1\n"
        "            successThreshold: 1\n"
        "            failureThreshold: 3\n"
        "          readinessProbe:\n"
        "            httpGet:\n"
        '              path: "/"\n'
        "              port: http\n"
        "              scheme: HTTP\n"
        "            initialDelaySeconds: 0\n"
        "            periodSeconds: 10\n"
        "            timeoutSeconds: 1\n"
        "            successThreshold: 1\n"
        "            failureThreshold: 3\n"
        "          resources:\n"
        "            {}\n"
    )


@bundle(
    "headlamp-oidc-helm-template-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-pod", "workload", "token", "apiserver-log"},
)
def _headlamp_oidc_670() -> Files:
    """kubernetes-sigs/headlamp#670: Headlamp logs in with its own client; the API server wants `kubernetes`."""
    log = [
        unable(
            '[invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" got ["headlamp"]]', -40
        ),
        unable('[invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" got ["headlamp"]]', -5),
    ]
    return {
        "helm-template-headlamp.yaml": headlamp_helm_template(
            {
                "clientID": "headlamp",
                "clientSecret": "9pXf2kQ7vR4mW8sT1yB6nC3jH5dL0aZe",
                "issuerURL": KEYCLOAK,
                "scopes": "profile,email",
            }
        ),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(keycloak_claims(aud="headlamp", azp="headlamp"), "rK3m-sig"),
        "kube-apiserver.log": "\n".join(log) + "\n",
    }


@bundle(
    "headlamp-oidc-helm-template-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "token", "jwks"},
)
def _headlamp_oidc_healthy() -> Files:
    return {
        "helm-template-headlamp.yaml": headlamp_helm_template(
            {
                "clientID": "kubernetes",
                "clientSecret": "4hT8wQ2nV6xK0rM3pY7cJ1sF5gB9dLzA",
                "issuerURL": KEYCLOAK,
                "scopes": "profile,email,groups",
            }
        ),
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK)),
        "id_token.txt": sign(keycloak_claims(aud="kubernetes", azp="kubernetes"), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


# --- k3s / RKE2 journal only ---------------------------------------------------------------------


def k3s_running_line(when: str, host: str, unit: str, pid: int, extra: list[str], data_dir: str) -> str:
    """k3s' ``Running kube-apiserver`` journal line: ``--name=value`` words sorted by name, joined
    with spaces (k3s-io/k3s pkg/daemons/control/server.go ``config.ArgString``), as a logrus
    text-formatter message."""
    tls = f"{data_dir}/server/tls"
    args = {
        "admission-control-config-file": f"{data_dir}/server/psa.yaml",
        "advertise-address": "10.0.0.11",
        "advertise-port": "6443",
        "allow-privileged": "true",
        "anonymous-auth": "false",
        "api-audiences": "https://kubernetes.default.svc.cluster.local,k3s",
        "authorization-mode": "Node,RBAC",
        "bind-address": "127.0.0.1",
        "cert-dir": f"{tls}/temporary-certs",
        "client-ca-file": f"{tls}/client-ca.crt",
        "egress-selector-config-file": f"{data_dir}/server/etc/egress-selector-config.yaml",
        "enable-admission-plugins": "NodeRestriction",
        "enable-aggregator-routing": "true",
        "enable-bootstrap-token-auth": "true",
        "etcd-cafile": f"{tls}/etcd/server-ca.crt",
        "etcd-certfile": f"{tls}/etcd/client.crt",
        "etcd-keyfile": f"{tls}/etcd/client.key",
        "etcd-servers": "https://127.0.0.1:2379",
        "profiling": "false",
        "secure-port": "6444",
        "service-account-issuer": "https://kubernetes.default.svc.cluster.local",
        "service-account-key-file": f"{tls}/service.key",
        "service-account-signing-key-file": f"{tls}/service.current.key",
        "service-cluster-ip-range": "10.43.0.0/16",
        "service-node-port-range": "30000-32767",
        "storage-backend": "etcd3",
        "tls-cert-file": f"{tls}/serving-kube-apiserver.crt",
        "tls-private-key-file": f"{tls}/serving-kube-apiserver.key",
    }
    for e in extra:
        k, _, v = e.partition("=")
        args[k] = v
    words = " ".join(f"--{k}={v}" for k, v in sorted(args.items()))
    day, hms = when.split("T")
    stamp = f"Nov {int(day[-2:])} {hms[:8]}"
    return f'{stamp} {host} {unit}[{pid}]: time="{when}" level=info msg="Running kube-apiserver {words}"'


@bundle(
    "k3s-journald-only-FAILS-username-prefix-mismatch",
    first="username-prefix-mismatch",
    username=f"{KEYCLOAK}#alice",
    groups=["oidc:dev", "oidc:platform", "system:authenticated"],
    kinds={"apiserver-log", "rbac", "token", "jwks"},
)
def _k3s_journald_prefix() -> Files:
    """Only ``journalctl -u k3s``: the first start had ``oidc-username-prefix=oidc:``; the restart
    after editing config.yaml dropped it, so the last start's flags make ``<issuer>#alice``. No
    kubectl output: the username comes from the flags alone."""
    common = [
        f"oidc-issuer-url={KEYCLOAK}",
        "oidc-client-id=kubernetes",
        "oidc-username-claim=preferred_username",
        "oidc-groups-claim=groups",
        "oidc-groups-prefix=oidc:",
    ]
    d = "/var/lib/rancher/k3s"
    journal = [
        "Nov 27 16:40:11 k3s-server-1 systemd[1]: Starting k3s.service - Lightweight Kubernetes...",
        'Nov 27 16:40:12 k3s-server-1 k3s[655]: time="2026-11-27T16:40:12Z" level=info msg="Starting k3s v1.31.4+k3s1 (a4cb1b1d)"',
        k3s_running_line(
            "2026-11-27T16:40:14Z", "k3s-server-1", "k3s", 655, [*common, "oidc-username-prefix=oidc:"], d
        ),
        "Nov 27 16:40:15 k3s-server-1 k3s[655]: I1127 16:40:15.102334     655 options.go:228] external host was not specified, using 10.0.0.11",
        "Nov 28 09:58:30 k3s-server-1 systemd[1]: Stopping k3s.service - Lightweight Kubernetes...",
        "Nov 28 09:58:31 k3s-server-1 systemd[1]: Starting k3s.service - Lightweight Kubernetes...",
        'Nov 28 09:58:32 k3s-server-1 k3s[812]: time="2026-11-28T09:58:32Z" level=info msg="Starting k3s v1.31.4+k3s1 (a4cb1b1d)"',
        k3s_running_line("2026-11-28T09:58:34Z", "k3s-server-1", "k3s", 812, common, d),
        "Nov 28 09:58:35 k3s-server-1 k3s[812]: I1128 09:58:35.204211     812 options.go:228] external host was not specified, using 10.0.0.11",
        'Nov 28 09:58:41 k3s-server-1 k3s[812]: time="2026-11-28T09:58:41Z" level=info msg="k3s is up and running"',
    ]
    return {
        "journalctl-u-k3s.log": "\n".join(journal) + "\n",
        "rbac.yaml": to_yaml(
            rbac(
                binding(
                    "RoleBinding",
                    "alice-edit",
                    "ClusterRole",
                    "edit",
                    [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "oidc:alice"}],
                    ns="dev",
                )
            )
        ),
        "id_token.txt": sign(keycloak_claims(), "rK3m-sig") + "\n",
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


@bundle(
    "rke2-journald-only-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-log", "token", "jwks"},
)
def _rke2_journald_aud() -> Files:
    """Only ``journalctl -u rke2-server`` (gzip, no failure logged yet): RKE2 logs the same line as
    k3s; the client id is ``kubernetes``, the token was issued to ``kubeapps``."""
    d = "/var/lib/rancher/rke2"
    flags = [
        f"oidc-issuer-url={KEYCLOAK}",
        "oidc-client-id=kubernetes",
        "oidc-username-claim=email",
        "oidc-groups-claim=groups",
        "oidc-groups-prefix=oidc:",
    ]
    journal = [
        'Nov 28 08:02:10 rke2-cp-1 rke2[1502]: time="2026-11-28T08:02:10Z" level=info msg="Starting rke2 v1.31.4+rke2r1 (2c3e9ac8)"',
        k3s_running_line("2026-11-28T08:02:19Z", "rke2-cp-1", "rke2", 1502, flags, d),
        'Nov 28 08:02:19 rke2-cp-1 rke2[1502]: time="2026-11-28T08:02:19Z" level=info msg="Waiting for API server to become available"',
    ]
    return {
        "journalctl-u-rke2-server.log.gz": gzip.compress(("\n".join(journal) + "\n").encode(), mtime=0),
        "id_token.txt": sign(keycloak_claims(aud="kubeapps", azp="kubeapps"), "rK3m-sig"),
        "certs.json": json.dumps(keycloak_jwks("rK3m-sig")),
    }


def write(out: Path = OUT) -> None:
    """(Re)write every bundle and ``expected.json`` under ``out``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, build in BUILDERS.items():
        folder = out / name
        folder.mkdir()
        for fname, text in build().items():
            if isinstance(text, bytes):
                (folder / fname).write_bytes(text)
            else:
                (folder / fname).write_text(text)
    expected = {n: {k: (sorted(v) if isinstance(v, set) else v) for k, v in e.items()} for n, e in EXPECTED.items()}
    (out / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
