"""(Re)write the token, JWKS and discovery files of the field bundles (run: ``python tests/field/build_bundles.py``).

The field bundles under ``tests/field/bundles/`` are rebuilt from public bug reports (the thread of
each is in ``cases.json``). Their text files — API server manifests, k3s Nodes, Helm values, logs,
the error the user saw — are static files written by hand from the thread. Only what must be
signed is written here: the id_tokens (with the thread's claims and times), and the JWKS and
discovery documents that go with them, so the signatures verify against the bundle's own keys.

Output is deterministic: the RSA keys come from fixed seeds (``seeded_rsa_key`` of the QA
generator), RS256 signatures are deterministic, and the one ECDSA signature (ES384, kubelogin#1210)
uses a nonce derived from the key and the message (RFC 6979's idea, simplified), so
``test_field_cases.py`` can check that the committed files are exactly what this script writes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oidc_doctor.jose import b64url_encode

HERE = Path(__file__).resolve().parent
OUT = HERE / "bundles"


# The one builder kit (tests/fixturekit): its seeded keys and JWK helper. A script run puts tests/ on the path.
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))
from fixturekit import jose as QA  # noqa: E402

KEY: rsa.RSAPrivateKey = QA.seeded_rsa_key("oidc-doctor field key 1")
OTHER_KEY: rsa.RSAPrivateKey = QA.seeded_rsa_key("oidc-doctor field key 2 (rotated away)")


def ep(when: str) -> int:
    """Seconds since the epoch of an RFC 3339 time."""
    return int(datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp())


def sign(claims: dict[str, Any], kid: str, typ: str | None = "JWT", key: rsa.RSAPrivateKey | None = None) -> str:
    """An RS256 JWS of ``claims`` (compact JSON, as identity providers emit)."""
    head: dict[str, Any] = {"alg": "RS256", "kid": kid}
    if typ:
        head["typ"] = typ
    h = b64url_encode(json.dumps(head, separators=(",", ":")).encode())
    p = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    sig = (key or KEY).sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{h}.{p}.{b64url_encode(sig)}"


def jwks(*keys: tuple[str, rsa.RSAPrivateKey]) -> dict[str, Any]:
    """A JWKS with the public halves of ``keys`` (kid, key)."""
    return {"keys": [QA.jwk(key, kid) for kid, key in keys]}


# --- ES384 (P-384), deterministic, for the one thread whose IdP signs with it -----------------

_P = 2**384 - 2**128 - 2**96 + 2**32 - 1
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973
_A = _P - 3
_G = (
    0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
    0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
)
EC_D = int.from_bytes(hashlib.sha384(b"oidc-doctor field ec key 1").digest(), "big") % _N


def _add(p: tuple[int, int] | None, q: tuple[int, int] | None) -> tuple[int, int] | None:
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _P == 0:
        return None
    if p == q:
        m = (3 * p[0] * p[0] + _A) * pow(2 * p[1], -1, _P) % _P
    else:
        m = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (m * m - p[0] - q[0]) % _P
    return x, (m * (p[0] - x) - p[1]) % _P


def _mul(k: int, point: tuple[int, int]) -> tuple[int, int]:
    result: tuple[int, int] | None = None
    addend: tuple[int, int] | None = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    assert result is not None
    return result


def sign_es384(claims: dict[str, Any], kid: str) -> str:
    """An ES384 JWS (raw r||s), nonce derived from the key and the message."""
    h = b64url_encode(json.dumps({"alg": "ES384", "typ": "JWT", "kid": kid}, separators=(",", ":")).encode())
    p = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    msg = f"{h}.{p}".encode()
    z = int.from_bytes(hashlib.sha384(msg).digest(), "big")
    k = int.from_bytes(hashlib.sha512(EC_D.to_bytes(48, "big") + msg).digest(), "big") % (_N - 1) + 1
    r = _mul(k, _G)[0] % _N
    s = pow(k, -1, _N) * (z + r * EC_D) % _N
    return f"{h}.{p}.{b64url_encode(r.to_bytes(48, 'big') + s.to_bytes(48, 'big'))}"


def ec_jwk(kid: str) -> dict[str, Any]:
    """The public JWK of the P-384 key."""
    x, y = _mul(EC_D, _G)
    return {
        "kty": "EC",
        "use": "sig",
        "kid": kid,
        "alg": "ES384",
        "crv": "P-384",
        "x": b64url_encode(x.to_bytes(48, "big")),
        "y": b64url_encode(y.to_bytes(48, "big")),
    }


# --- discovery documents ------------------------------------------------------------------------


def discovery(issuer: str, jwks_uri: str, algs: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """The start of a discovery document."""
    base = issuer.rstrip("/")
    doc: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/auth",
        "token_endpoint": f"{base}/token",
        "jwks_uri": jwks_uri,
        "userinfo_endpoint": f"{base}/userinfo",
        "response_types_supported": ["code", "id_token", "code id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs or ["RS256"],
        "scopes_supported": ["openid", "email", "groups", "profile", "offline_access"],
    }
    doc.update(extra)
    return doc


def keycloak_discovery(issuer: str) -> dict[str, Any]:
    """Keycloak's discovery document (its endpoint layout)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
        "token_endpoint": f"{issuer}/protocol/openid-connect/token",
        "userinfo_endpoint": f"{issuer}/protocol/openid-connect/userinfo",
        "end_session_endpoint": f"{issuer}/protocol/openid-connect/logout",
        "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password", "client_credentials"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token"],
        "id_token_signing_alg_values_supported": [
            "PS384",
            "ES384",
            "RS384",
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
    }


def dex_discovery(issuer: str) -> dict[str, Any]:
    """Dex's discovery document."""
    return discovery(
        issuer,
        f"{issuer}/keys",
        ["RS256"],
        claims_supported=[
            "iss",
            "sub",
            "aud",
            "iat",
            "exp",
            "email",
            "email_verified",
            "locale",
            "name",
            "preferred_username",
            "at_hash",
        ],
    )


def keycloak_id(issuer: str, iat: int, life: int = 300, **over: Any) -> dict[str, Any]:
    """A Keycloak id_token's claims."""
    c: dict[str, Any] = {
        "exp": iat + life,
        "iat": iat,
        "auth_time": iat - 4,
        "jti": "8d1a7c3e-2b4f-4e61-9a0d-5c7e3f1b2a90",
        "iss": issuer,
        "aud": "kubernetes",
        "sub": "e11fd586-e3ba-4bce-ad9d-3a826c6dba95",
        "typ": "ID",
        "azp": "kubernetes",
        "session_state": "ce1fdf9f-c3e5-41a5-a725-fa747b45cd7e",
        "acr": "1",
        "email_verified": True,
        "preferred_username": "test",
        "email": "test@gmail.com",
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def dex_id(issuer: str, iat: int, life: int = 86400, **over: Any) -> dict[str, Any]:
    """A Dex id_token's claims (LDAP connector)."""
    c: dict[str, Any] = {
        "iss": issuer,
        "sub": "CgVtZGVib2USBGxkYXA",
        "aud": "kubernetes",
        "exp": iat + life,
        "iat": iat,
        "at_hash": "p3VxK0S8l0g1bZ3nQ9w5Aw",
        "c_hash": "2JX4cB6Sxw9mZ3qV0n8f1g",
        "email": "matt.deboer@example.org",
        "email_verified": True,
        "groups": ["k8s-admins"],
        "name": "Matt DeBoer",
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


# --- the bundles ------------------------------------------------------------------------------------

DEX_670 = "https://dex.example.org/dex"
KC_97741 = "https://keycloak.example.com/auth/realms/k8s"
LOGTO = "https://k8s-demo.logto.app/oidc"
KC_754 = "https://my-oidc-host.int/auth/realms/kubernetes"
VC_ISS = "https://auth.example.org/realms/paas"
DEX_4195 = "https://login.owncloud.ai/dex"
EKSA_ISS = "https://keycloak.corp.example/realms/eksa"
DEX_1432 = "https://se-cluster-dex.se.k8s.work/identity"
KC_2686 = "https://keycloak.example.com/auth/realms/kubeapps"
AZ_TID = "4ee07d4d-79a8-4a9e-a038-e7c2e314b532"
AZ_V1 = f"https://sts.windows.net/{AZ_TID}/"
GOOGLE = "https://accounts.google.com"
GOOGLE_CLIENT = "407408718192-ghs8vd9q0t5a7l1p3m4k2c6e8u0i1o3r.apps.googleusercontent.com"
CILOGON = "https://test.cilogon.org"
GLOBUS = "https://auth.globus.org"
KIND_ISS = "https://our-openid-connect.tld"
UAA = "https://uaa.kubo.example.com:8443/oauth/token"
KC_4940 = "https://keycloak.k8s.local/realms/kubeapps"
KC_2848 = "https://keycloak.example.com/realms/eks"
GITLAB = "https://gitlab.com"
KC_2111 = "https://auth.kc.stage.example.org/realms/example"
KC_3437 = "https://keycloak-server.example.com/realms/myrealm"
COGNITO = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_jQ766r6X0"
OKTA_250 = "https://dev-71384462.okta.com/oauth2/aus3k2jd9xQp2LmN85d7"
KC_114 = "https://172.16.105.1:8082/auth/realms/hdls"
OU_27 = "https://k8sou.10-128-36-50.nip.io/auth/idp/k8sIdp"
KC_3143 = "https://oidc.kind.local:8443/realms/master"
AUTHENTIK = "http://sso.server.company.com/application/o/kubernetes/"
AUTHENTIK_TLS = "https://sso.example.com/application/o/kubernetes/"
KC_KUBEADM = "https://keycloak.example.com/realms/k8s"
KC_14279 = "https://sso.example.net/realms/infra"
SUPERVISOR = "https://pinniped-supervisor.example.com/issuer"
KC_905 = "https://sso.mj.example.com/realms/mj-kubernetes"
ENTRA_TID = "6c3f2a1b-0e9d-4c8b-a7f6-5e4d3c2b1a09"
ENTRA = f"https://login.microsoftonline.com/{ENTRA_TID}/v2.0"
ENTRA_CLIENT = "2d7e8f90-1a2b-4c3d-9e8f-0a1b2c3d4e5f"
AKS_TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

Files = dict[str, Any]


def bundles() -> dict[str, Files]:
    """Per bundle: file name -> content (str: a token file; dict: JSON)."""
    b: dict[str, Files] = {}

    # kubernetes-sigs/headlamp#670: Headlamp's own client "headlamp" is not the API server's "kubernetes".
    iat = ep("2022-08-17T09:52:10Z")
    b["headlamp-670-dex-audience"] = {
        "id_token": sign(dex_id(DEX_670, iat, aud="headlamp"), "a6d0c6f3c1b6e4d5"),
        "jwks.json": jwks(("a6d0c6f3c1b6e4d5", KEY)),
        "openid-configuration.json": dex_discovery(DEX_670),
    }
    b["headlamp-670-dex-shared-audience-HEALTHY"] = {
        "id_token": sign(dex_id(DEX_670, iat, aud=["headlamp", "kubernetes"], azp="headlamp"), "a6d0c6f3c1b6e4d5"),
        "jwks.json": jwks(("a6d0c6f3c1b6e4d5", KEY)),
        "openid-configuration.json": dex_discovery(DEX_670),
    }
    b["regression-old-bundle-no-logs-headlamp-670"] = {
        "id_token": sign(dex_id(DEX_670, iat, aud="headlamp"), "a6d0c6f3c1b6e4d5"),
        "jwks.json": jwks(("a6d0c6f3c1b6e4d5", KEY)),
        "openid-configuration.json": dex_discovery(DEX_670),
    }
    b["regression-duplicate-cause-headlamp-670"] = {
        "id_token": sign(dex_id(DEX_670, iat, aud="headlamp"), "a6d0c6f3c1b6e4d5"),
        "jwks.json": jwks(("a6d0c6f3c1b6e4d5", KEY)),
        "openid-configuration.json": dex_discovery(DEX_670),
    }

    # int128/kubelogin#1210: Logto signs with ES384, the API server accepts RS256 only.
    iat = ep("2024-12-31T13:02:44Z")
    logto = {
        "jti": "qM3Zx8d1-tZk4bS0oWvE2",
        "sub": "m8x2kq0vz1fj",
        "iat": iat,
        "exp": iat + 3600,
        "scope": "openid profile email roles",
        "client_id": "n5w0qk3j4c1yb7x2",
        "iss": LOGTO,
        "aud": "n5w0qk3j4c1yb7x2",
        "roles": ["admin"],
        "name": None,
        "username": "slava",
        "email": "slava@example.net",
        "email_verified": True,
        "at_hash": "0Uj3mB1ZV3a3sX0qw2s8Gw",
    }
    logto = {k: v for k, v in logto.items() if v is not None}
    logto_disc = discovery(LOGTO, f"{LOGTO}/jwks", ["ES384"])
    b["k3s-kubelogin-1210-logto-es384"] = {
        "id_token": sign_es384(logto, "lR2o6WoFfqXf1UuB1wW3Yh7dYf3OkxQbOa8mB4Lw9U0"),
        "jwks.json": {"keys": [ec_jwk("lR2o6WoFfqXf1UuB1wW3Yh7dYf3OkxQbOa8mB4Lw9U0")]},
        "openid-configuration.json": logto_disc,
    }
    b["k3s-kubelogin-1210-signing-algs-es384-HEALTHY"] = dict(b["k3s-kubelogin-1210-logto-es384"])

    # int128/kubelogin#754: a cached Keycloak token expired seconds before the request.
    exp = ep("2022-07-22T11:40:27Z")
    b["kubelogin-754-keycloak-token-expired"] = {
        "id_token": sign(
            keycloak_id(KC_754, exp - 300, preferred_username="timoses", email="timoses@example.com"),
            "mJ0Zq3sYb9cV0kL7vT1xW5rN2pA8dF4hG6jK3lQ9uE0",
        ),
        "certs.json": jwks(("mJ0Zq3sYb9cV0kL7vT1xW5rN2pA8dF4hG6jK3lQ9uE0", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_754),
    }

    # kubernetes/kubernetes#136887: vcluster's logger drops "oidc: email not verified".
    iat = ep("2026-02-09T15:18:02Z")
    b["vcluster-136887-email-not-verified"] = {
        "id_token": sign(
            keycloak_id(
                VC_ISS,
                iat,
                aud="kubeapi-client",
                azp="kubeapi-client",
                email_verified=False,
                email="gberche@example.org",
                preferred_username="gberche",
            ),
            "Vq7kX2bN9mR4tY8wZ1cL5pD3fH6jS0aE",
        ),
        "jwks.json": jwks(("Vq7kX2bN9mR4tY8wZ1cL5pD3fH6jS0aE", KEY)),
        "openid-configuration.json": keycloak_discovery(VC_ISS),
    }

    # kubernetes/kubernetes#97741: YAML keeps the quotes of --oidc-groups-prefix="oidc:".
    iat = ep("2021-01-06T14:31:05Z")
    kc = keycloak_id(KC_97741, iat, groups=["/Platform Administrators"])
    b["kubeadm-97741-quoted-groups-prefix"] = {
        "id_token": sign(kc, "kX0c3Vn5bQ8mT1yR4wE7uI2oP6aS9dF3"),
        "jwks.json": jwks(("kX0c3Vn5bQ8mT1yR4wE7uI2oP6aS9dF3", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_97741),
    }
    b["kubeadm-97741-quoted-whole-arg-HEALTHY"] = dict(b["kubeadm-97741-quoted-groups-prefix"])

    # k3s-io/k3s#5278: only claim flags, no --oidc-issuer-url (authentik issuer ends with "/").
    iat = ep("2022-03-17T10:12:40Z")
    authentik = {
        "iss": AUTHENTIK,
        "sub": "8d3c2f0a9e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
        "aud": "79cd0f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b72",
        "exp": iat + 300,
        "iat": iat,
        "auth_time": iat - 2,
        "acr": "goauthentik.io/providers/oauth2/default",
        "email": "mohamed@company.com",
        "email_verified": True,
        "name": "Mohamed Amine",
        "given_name": "Mohamed Amine",
        "preferred_username": "mohamed",
        "nickname": "mohamed",
        "groups": ["authentik Admins", "k8s-admins"],
    }
    b["k3s-5278-claim-flags-without-issuer"] = {
        "id_token": sign(authentik, "3c9b1f0e2d8a7c6b5a4f3e2d1c0b9a88"),
        "jwks.json": jwks(("3c9b1f0e2d8a7c6b5a4f3e2d1c0b9a88", KEY)),
        "openid-configuration.json": discovery(
            AUTHENTIK, "http://sso.server.company.com/application/o/kubernetes/jwks/"
        ),
    }
    authentik_tls = dict(authentik, iss=AUTHENTIK_TLS, aud="kubernetes")
    b["regression-trailing-slash-issuer-authentik"] = {
        "id_token": sign(authentik_tls, "3c9b1f0e2d8a7c6b5a4f3e2d1c0b9a88"),
        "jwks.json": jwks(("3c9b1f0e2d8a7c6b5a4f3e2d1c0b9a88", KEY)),
        "openid-configuration.json": discovery(AUTHENTIK_TLS, "https://sso.example.com/application/o/kubernetes/jwks/"),
    }

    # xunholy/k8s-gitops#4195: Talos, --oidc-required-claim=email_verified=true vs Dex's boolean claim.
    iat = ep("2026-09-10T08:14:51Z")
    dex4195 = dex_id(
        DEX_4195,
        iat,
        email="xunholy@owncloud.ai",
        name="xunholy",
        groups=["owncloud:admins"],
        sub="CgY0NTY3ODkSBmdpdGh1Yg",
    )
    b["talos-gitops-4195-required-claim-bool"] = {
        "id_token": sign(dex4195, "5f0a3c9d2b1e8f7a6c4d0e9b8a7f6e5d"),
        "jwks.json": jwks(("5f0a3c9d2b1e8f7a6c4d0e9b8a7f6e5d", KEY)),
        "openid-configuration.json": dex_discovery(DEX_4195),
    }
    b["talos-gitops-4195-after-fix-HEALTHY"] = dict(b["talos-gitops-4195-required-claim-bool"])

    # aws/eks-anywhere#6724: the API server does not trust the IdP's private CA.
    iat = ep("2023-09-23T07:41:10Z")
    b["eksa-6724-issuer-ca-unknown-authority"] = {
        "id_token": sign(
            keycloak_id(EKSA_ISS, iat, email="rajat@corp.example", preferred_username="rajat"),
            "wP3tR7yU1iO5pA9sD2fG6hJ0kL4zX8cV",
        ),
    }

    # coreos/tectonic-installer#1432: Dex rotated its keys away; the token's kid is in no JWKS.
    iat = ep("2017-07-18T17:20:11Z")
    b["tectonic-1432-dex-no-matching-keys"] = {
        "id_token": sign(
            dex_id(DEX_1432, iat, aud="tectonic-kubectl", email="dcooley@example.com", groups=["admin"]),
            "e2b1f7c88a94dcd1d7a3ab7b5e1f9f0ad1e0bd3c",
            key=OTHER_KEY,
        ),
        "keys.json": jwks(("4f0c2a77d83f3bb4d8b05a3b7a2a01a7e4d31f9e", KEY)),
        "openid-configuration.json": dex_discovery(DEX_1432),
    }

    # vmware-tanzu/kubeapps#2686: chart without --cookie-refresh; Keycloak's 1-minute tokens.
    iat = ep("2021-05-24T10:17:44Z")
    b["kubeapps-2686-cookie-refresh-missing"] = {
        "id_token": sign(
            keycloak_id(
                KC_2686,
                iat,
                life=60,
                aud="kubeapps",
                azp="kubeapps",
                email="user@example.com",
                preferred_username="user",
                groups=["kubeapps-operators"],
            ),
            "Gk2dL8pQ4rS0tV6wX1yZ3aB5cD7eF9hJ",
        ),
        "jwks.json": jwks(("Gk2dL8pQ4rS0tV6wX1yZ3aB5cD7eF9hJ", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_2686),
    }

    # Azure/kubelogin#328: "issuer#upn" because no --oidc-username-prefix.
    iat = ep("2023-08-25T08:02:13Z")
    azure_v1 = {
        "aud": "59237398-07f6-4b9f-925b-8cb0428c4f26",
        "iss": AZ_V1,
        "iat": iat,
        "nbf": iat,
        "exp": iat + 4485,
        "aio": "ATQAy/8UAAAA3Xq2",
        "amr": ["pwd", "mfa"],
        "family_name": "Brauer",
        "given_name": "Martin",
        "ipaddr": "203.0.113.24",
        "name": "Martin Brauer",
        "oid": "1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90",
        "rh": "0.AQ8ATX3gTqh5nkqgOOfC4xS1M5hzI1n-B59Jkl-MsEKMTyYPAI8.",
        "sub": "qS0m3VgF1x8Zt4Hk2nYpL7cRw9bJ6uD5eA0iO3lT2yE",
        "tid": AZ_TID,
        "unique_name": "name@domain.com",
        "upn": "name@domain.com",
        "uti": "xT3kQ9mZb0e5h2VvR8wNAA",
        "ver": "1.0",
    }
    b["azure-kubelogin-328-issuer-hash-upn"] = {
        "id_token": sign(azure_v1, "-KI3Q9nNR7bRofxmeZoXqbHZGew"),
        "keys.json": jwks(("-KI3Q9nNR7bRofxmeZoXqbHZGew", KEY)),
        "openid-configuration.json": discovery(AZ_V1, "https://login.microsoftonline.com/common/discovery/keys"),
    }

    # kubernetes/kubernetes#65317: Google's "accounts.google.com" iss (no scheme) on 1.10.4.
    iat = ep("2018-06-21T09:03:30Z")
    google = {
        "azp": GOOGLE_CLIENT,
        "aud": GOOGLE_CLIENT,
        "sub": "104812359876012345678",
        "hd": "getyourguide.com",
        "email": "fernando.cainelli@getyourguide.com",
        "email_verified": True,
        "at_hash": "Sb9kQ3n0T1m4Jx2pYz8cVw",
        "exp": iat + 3600,
        "iss": "accounts.google.com",
        "jti": "9f3c0e4b1a2d8e7f6c5b4a3d2e1f0a9b8c7d6e5f",
        "iat": iat,
    }
    google_disc = discovery(GOOGLE, "https://www.googleapis.com/oauth2/v3/certs", ["RS256"])
    b["kubernetes-65317-google-iss-without-scheme-1.10"] = {
        "id_token": sign(google, "8289d54280b76712de41cd2ef95972b123be9ac0"),
        "certs.json": jwks(("8289d54280b76712de41cd2ef95972b123be9ac0", KEY)),
        "openid-configuration.json": google_disc,
    }

    # kubernetes/kubernetes#48777: CILogon sends no email_verified; 1.7 requires it.
    iat = ep("2017-07-10T22:58:31Z")
    cilogon = {
        "iss": CILOGON,
        "sub": "http://cilogon.org/serverA/users/1234567",
        "aud": "myproxy:oa4mp,2012:/client_id/6e3c1a7bf3ad0e2d9b2c1f1b7e1d6a0c",
        "auth_time": str(iat - 5),
        "exp": iat + 900,
        "iat": iat,
        "email": "dimm@ucsd.edu",
        "given_name": "Dmitry",
        "family_name": "Mishin",
        "idp": "urn:mace:incommon:ucsd.edu",
        "idp_name": "University of California, San Diego",
    }
    b["kubernetes-48777-cilogon-email-verified-absent-1.7"] = {
        "id_token": sign(cilogon, "244B235F6B28E34108D101EAC7362C4E"),
        "jwks.json": jwks(("244B235F6B28E34108D101EAC7362C4E", KEY)),
        "openid-configuration.json": discovery(CILOGON, f"{CILOGON}/oauth2/certs", ["RS256"]),
    }

    # kubernetes/kubernetes#57806: Globus signs with RS512 and discovery lists only RS512 (1.8/1.9).
    iat = ep("2018-01-03T21:01:13Z")
    globus = {
        "sub": "c8aad43e-d274-11e5-bf98-8b02896cf782",
        "organization": "University of Chicago",
        "name": "Nick Saint",
        "preferred_username": "nickolaus@globusid.org",
        "identity_provider": "41143743-f3c8-4d60-bbdb-eeecaba85bd9",
        "identity_provider_display_name": "Globus ID",
        "email": "nick@globus.org",
        "last_authentication": iat - 20,
        "identity_set": [],
        "iss": GLOBUS,
        "aud": "78f75a6d-486a-45bc-8967-01c153fb3340",
        "exp": iat + 172800,
        "iat": iat,
        "at_hash": "AtY4Pn1rN0bJz3dXq9Gg2sB2f5mWc6hRkE1vT8uI7oA",
    }
    head = {"alg": "RS512", "typ": "JWT"}
    h = b64url_encode(json.dumps(head, separators=(",", ":")).encode())
    p = b64url_encode(json.dumps(globus, separators=(",", ":")).encode())
    sig = KEY.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA512())
    b["kubernetes-57806-globus-rs512-1.9"] = {
        "id_token": f"{h}.{p}.{b64url_encode(sig)}",
        "jwks.json": {"keys": [QA.jwk(KEY, "defaultRSA", alg="RS512")]},
        "openid-configuration.json": discovery(GLOBUS, f"{GLOBUS}/jwk.json", ["RS512"]),
    }

    # kubernetes/kubernetes#115954: no --oidc-groups-claim, so the groups claim is never read.
    iat = ep("2023-02-22T09:40:12Z")
    b["kubernetes-115954-kind-no-groups-claim"] = {
        "id_token": sign(
            {
                "iss": KIND_ISS,
                "sub": "john.doe",
                "aud": "ourKubernetes",
                "exp": iat + 600,
                "iat": iat,
                "groups": ["fake-users"],
                "email": "john.doe@example.com",
                "email_verified": True,
            },
            "our-key-2023",
        ),
        "jwks.json": jwks(("our-key-2023", KEY)),
        "openid-configuration.json": discovery(KIND_ISS, f"{KIND_ISS}/keys"),
    }

    # cloudfoundry-incubator/kubo-release#232: --oidc-username-claim set to a value, not a claim name.
    iat = ep("2018-07-20T06:10:41Z")
    uaa = {
        "sub": "7ed1e5a2-7f0e-4b2e-9f6a-1c2b3d4e5f60",
        "user_name": "username@gmail.com",
        "origin": "uaa",
        "iss": UAA,
        "client_id": "kubernetes",
        "aud": ["kubernetes"],
        "zid": "uaa",
        "user_id": "7ed1e5a2-7f0e-4b2e-9f6a-1c2b3d4e5f60",
        "azp": "kubernetes",
        "scope": ["openid"],
        "auth_time": iat - 3,
        "exp": iat + 43200,
        "iat": iat,
        "jti": "b3e0c4e2f1a04d5c9e8f7a6b5c4d3e2f",
        "email": "username@gmail.com",
        "rev_sig": "4b2c1d0e",
        "cid": "kubernetes",
        "email_verified": True,
        "previous_logon_time": None,
    }
    uaa = {k: v for k, v in uaa.items() if v is not None}
    b["kubo-232-username-claim-is-a-value"] = {
        "id_token": sign(uaa, "uaa-jwt-key-1"),
        "token_keys.json": jwks(("uaa-jwt-key-1", KEY)),
        "openid-configuration.json": discovery(UAA, "https://uaa.kubo.example.com:8443/token_keys"),
    }

    # vmware-tanzu/kubeapps#4940: binding names "oidc:admin", the API server adds no groups prefix.
    iat = ep("2023-03-07T16:05:33Z")
    b["kubeapps-4940-keycloak-group-oidc-prefix"] = {
        "id_token": sign(
            keycloak_id(
                KC_4940,
                iat,
                aud="kubeapps",
                azp="kubeapps",
                email="admin@example.com",
                preferred_username="admin",
                groups=["admin"],
            ),
            "Tz4nM8bV2cX6kL0pQ3wE7rY1uI5oA9sD",
        ),
        "jwks.json": jwks(("Tz4nM8bV2cX6kL0pQ3wE7rY1uI5oA9sD", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_4940),
    }

    # kubernetes-sigs/headlamp#2848 (drduker): EKS trusts client "kubernetes", Headlamp logs in as "headlamp".
    iat = ep("2025-08-20T12:31:09Z")
    b["headlamp-2848-eks-keycloak-separate-client"] = {
        "id_token": sign(
            keycloak_id(
                KC_2848,
                iat,
                aud="headlamp",
                azp="headlamp",
                email="drduker@example.com",
                preferred_username="drduker",
                groups=["eks-admins"],
            ),
            "Hx1cV5bN9mQ3wE7rT2yU6iO0pA4sD8fG",
        ),
        "jwks.json": jwks(("Hx1cV5bN9mQ3wE7rT2yU6iO0pA4sD8fG", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_2848),
    }

    # vmware-tanzu/kubeapps#2111 (kvaps): the proxy's Keycloak access token vs kubelogin's id_token.
    iat = ep("2020-10-14T15:54:12Z")
    access = {
        "jti": "2c6c0e12-c2f3-44c6-acd2-42d032062105",
        "exp": 1602691152,
        "nbf": 0,
        "iat": 1602690852,
        "iss": KC_2111,
        "aud": ["Someapp", "account"],
        "sub": "1cdd3e59-a195-4f61-957f-8e737179b3eb",
        "typ": "Bearer",
        "azp": "kubeapps",
        "auth_time": 1602690852,
        "session_state": "34d4da0d-6a0e-4fe2-87a9-7ad8bb92c947",
        "acr": "1",
        "allowed-origins": ["https://kubeapps-stage.example.org"],
        "realm_access": {"roles": ["offline_access", "uma_authorization"]},
        "resource_access": {
            "Someapp": {"roles": ["admin", "onlyoffice"]},
            "account": {"roles": ["manage-account", "manage-account-links", "view-profile"]},
        },
        "scope": "openid email profile",
        "email_verified": True,
        "name": "Andrei Kvapil",
        "preferred_username": "kvaps",
        "given_name": "Andrei",
        "family_name": "Kvapil",
        "email": "kvaps@example.org",
    }
    idt = {
        "jti": "77d9f41d-3f29-4657-a3ce-4feddfbab006",
        "exp": 1602691125,
        "nbf": 0,
        "iat": 1602690825,
        "iss": KC_2111,
        "aud": "kubeapps",
        "sub": "1cdd3e59-a195-4f61-957f-8e737179b3eb",
        "typ": "ID",
        "azp": "kubeapps",
        "nonce": "Xzd3fBXD1YuM4z1gUeWagkowCpqjTXzXAFq0zLMYjUg",
        "auth_time": 1602690825,
        "session_state": "0b7f3b1c-5c9e-4b8d-a1f2-3e4d5c6b7a89",
        "acr": "1",
        "email_verified": True,
        "name": "Andrei Kvapil",
        "preferred_username": "kvaps",
        "given_name": "Andrei",
        "family_name": "Kvapil",
        "email": "kvaps@example.org",
    }
    kc2111 = {
        "certs.json": jwks(("yQ0aV3nX8cE2rT6uI1oP5sD9fG3hJ7kL", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_2111),
    }
    b["kubeapps-2111-keycloak-access-token"] = {
        "access_token": sign(access, "yQ0aV3nX8cE2rT6uI1oP5sD9fG3hJ7kL"),
        **kc2111,
    }
    b["regression-two-tokens-second-bad-kubeapps-2111"] = {
        "1-kubelogin-id_token": sign(idt, "yQ0aV3nX8cE2rT6uI1oP5sD9fG3hJ7kL"),
        "2-kubeapps-token": sign(access, "yQ0aV3nX8cE2rT6uI1oP5sD9fG3hJ7kL"),
        **kc2111,
    }
    del iat

    # rancher-archives/rke#3437: kubectl talks to Rancher's authorized cluster endpoint (kube-api-auth).
    iat = ep("2023-11-16T18:49:52Z")
    b["rke-3437-rancher-kube-api-auth"] = {
        "id_token": sign(
            keycloak_id(
                KC_3437,
                iat,
                aud="test-cluster",
                azp="test-cluster",
                email="groucho@example.com",
                preferred_username="groucho",
                groups=["k8s-admins"],
            ),
            "Rk5tY9uI3oP7aS1dF5gH9jK3lZ7xC1vB",
        ),
        "jwks.json": jwks(("Rk5tY9uI3oP7aS1dF5gH9jK3lZ7xC1vB", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_3437),
    }

    # int128/kubelogin#505: EKS + Cognito, after the binding was made to match the Cognito group.
    iat = ep("2021-03-17T06:42:20Z")
    cognito = {
        "at_hash": "kQ0b3mZ1Vn8cX5tR2wE7yU",
        "sub": "5f1b0c2d-3e4a-4b5c-8d6e-7f8091a2b3c4",
        "cognito:groups": ["k8s-admin"],
        "email_verified": True,
        "iss": COGNITO,
        "cognito:username": "wooosgo",
        "aud": "7krqldp3cso0621gt8dk6dlmnj",
        "token_use": "id",
        "auth_time": iat - 6,
        "exp": iat + 3600,
        "iat": iat,
        "jti": "0e6f3d2c-1b0a-4987-a6b5-c4d3e2f1a0b9",
        "email": "wooosgo@example.com",
    }
    b["eks-kubelogin-505-cognito-groups-HEALTHY"] = {
        "id_token": sign(cognito, "abcdEFGH1234ijklMNOP5678qrstUVWX90yzABCDEFg="),
        "jwks.json": jwks(("abcdEFGH1234ijklMNOP5678qrstUVWX90yzABCDEFg=", KEY)),
    }

    # int128/kubelogin#250: kubelogin's setup proposes "issuer#sub"; the API server maps preferred_username.
    iat = ep("2020-07-21T17:43:29Z")
    okta = {
        "sub": "00u1ab2cd3EF4gh5I6j7",
        "ver": 1,
        "iss": OKTA_250,
        "aud": "0oa1kq2rs3TU4vw5X6y7",
        "iat": iat,
        "exp": iat + 3600,
        "jti": "ID.vQ3k0bZ1n8cX5tR2wE7yU4iO0pA9sD3fG6hJ1kL5zX8",
        "amr": ["pwd"],
        "idp": "00o1ab2cd3EF4gh5I6j7",
        "nonce": "masyGO7-Qx2Zb0n8c-N12rqi4",
        "preferred_username": "grebois@example.com",
        "auth_time": iat - 1847,
        "at_hash": "MeOImAIPr3PZOzZBS-8S-A",
        "groups": ["Everyone", "squad_core", "Jenkins Dev"],
    }
    b["regression-issuer-hash-sub-vs-preferred-username-kubelogin-250"] = {
        "id_token": sign(okta, "ok-250-kid"),
        "keys.json": jwks(("ok-250-kid", KEY)),
        "openid-configuration.json": discovery(OKTA_250, f"{OKTA_250}/v1/keys"),
    }

    # int128/kubelogin#114: Keycloak roles are nested under realm_access.roles.
    iat = 1563778391
    kc114 = {
        "jti": "9a38950f-1817-414b-bc71-40c3956ef3a1",
        "exp": 1563778691,
        "nbf": 0,
        "iat": iat,
        "iss": KC_114,
        "aud": "kubernetes",
        "sub": "e11fd586-e3ba-4bce-ad9d-3a826c6dba95",
        "typ": "ID",
        "azp": "kubernetes",
        "auth_time": 0,
        "session_state": "ce1fdf9f-c3e5-41a5-a725-fa747b45cd7e",
        "acr": "1",
        "email_verified": False,
        "realm_access": {"roles": ["kubernetes:admin", "offline_access", "uma_authorization"]},
        "preferred_username": "test",
    }
    b["regression-nested-groups-claim-kubelogin-114"] = {
        "id_token": sign(kc114, "hdls-rs256"),
        "jwks.json": jwks(("hdls-rs256", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_114),
    }

    # OpenUnison/openunison-k8s#27: the IdP's certificate names another host.
    iat = ep("2022-03-07T17:20:44Z")
    b["regression-cert-hostname-openunison-27"] = {
        "id_token": sign(
            {
                "iss": OU_27,
                "aud": "kube-poc-auth",
                "exp": iat + 60,
                "jti": "x1bYq3nV7cM0kL4pZ8wT2g",
                "iat": iat,
                "nbf": iat - 120,
                "sub": "cocagne",
                "name": "cocagne",
                "groups": ["k8s-cluster-admins"],
                "preferred_username": "cocagne",
                "email": "cocagne@example.com",
            },
            "RSA256-ou",
        ),
    }

    # kubernetes-sigs/headlamp#3143: Headlamp >= 0.28.1 stops refreshing; Keycloak tokens live 2 minutes.
    iat = ep("2025-04-18T09:12:30Z")
    b["regression-headlamp-own-refresh-3143"] = {
        "id_token": sign(
            keycloak_id(
                KC_3143,
                iat,
                life=120,
                aud="kube",
                azp="kube",
                email="jrbushell@example.com",
                preferred_username="jrbushell",
            ),
            "mst3r-rs256",
        ),
        "jwks.json": jwks(("mst3r-rs256", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_3143),
    }

    # kubeadm >= 1.29 with the default kubeadm:cluster-admins binding; alice bound by name.
    iat = ep("2026-11-28T10:20:12Z")
    b["kubeadm-1.31-cluster-admins-default-HEALTHY"] = {
        "id_token": sign(
            keycloak_id(KC_KUBEADM, iat, email="alice@example.com", preferred_username="alice"), "kc-k8s-rs256"
        ),
        "jwks.json": jwks(("kc-k8s-rs256", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_KUBEADM),
    }

    # siderolabs/talos#14279: structured authentication config (accepts every algorithm).
    iat = ep("2026-09-07T11:02:00Z")
    b["talos-14279-authconfig-es384-HEALTHY"] = {
        "id_token": sign_es384(
            keycloak_id(
                KC_14279, iat, email="silenium@example.net", preferred_username="silenium", groups=["infra-admins"]
            ),
            "infra-es384",
        ),
        "jwks.json": {"keys": [ec_jwk("infra-es384")]},
        "openid-configuration.json": keycloak_discovery(KC_14279),
    }

    # vmware/pinniped#2089: the Concierge kept validating the old JWTAuthenticator audience.
    iat = ep("2024-11-04T19:27:05Z")
    pinniped = {
        "iss": SUPERVISOR,
        "sub": "ldaps://ldap.example.com:636?base=ou%3Dusers%2Cdc%3Dexample%2Cdc%3Dcom&sub=dXNlcjE",
        "aud": ["my-workload-cluster-f1a6e5ae"],
        "azp": "pinniped-cli",
        "exp": iat + 120,
        "iat": iat,
        "rat": iat - 3,
        "jti": "e7b9c9e2-4b0f-4f61-8a7e-2d1c3b4a5f60",
        "username": "pinny",
        "groups": ["developers"],
        "additionalClaims": {},
    }
    b["pinniped-2089-concierge-stale-audience"] = {
        "id_token": sign(pinniped, "pinniped-supervisor-1730743200"),
        "jwks.json": jwks(("pinniped-supervisor-1730743200", KEY)),
        "openid-configuration.json": discovery(SUPERVISOR, f"{SUPERVISOR}/jwks.json", ["ES256", "RS256"]),
    }

    # MicrosoftDocs/azure-docs#28105: AKS (legacy AAD) names the user by object id; the binding names the email.
    iat = ep("2019-03-27T08:11:52Z")
    aks = {
        "aud": "a6b0c8d1-2e3f-4a5b-9c7d-8e9f0a1b2c3d",
        "iss": f"https://sts.windows.net/{AKS_TID}/",
        "iat": iat,
        "nbf": iat,
        "exp": iat + 3600,
        "acr": "1",
        "aio": "42JgYJi2uv3n",
        "amr": ["pwd"],
        "appid": "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
        "appidacr": "0",
        "family_name": "Zhou",
        "given_name": "Yuwei",
        "ipaddr": "203.0.113.77",
        "name": "Yuwei Zhou",
        "oid": "9f1c2d3e-4b5a-6978-8c9d-0e1f2a3b4c5d",
        "scp": "user.read",
        "sub": "hV3n0bZ1m8cX5tR2wE7yU4iO0pA9sD3fG6hJ1kL5zX8",
        "tid": AKS_TID,
        "unique_name": "yuwzho@microsoft.com",
        "upn": "yuwzho@microsoft.com",
        "ver": "1.0",
    }
    b["aks-docs-28105-object-id-vs-email"] = {"access_token": sign(aks, "nbCwW11w3XkB-xUaXwKRSLjMHGQ")}

    # int128/kubelogin#1145: Entra ID v2.0 id_tokens carry no `upn`; preferred_username needs the profile scope.
    iat = ep("2025-01-15T09:20:31Z")
    entra = {
        "aud": ENTRA_CLIENT,
        "iss": ENTRA,
        "iat": iat,
        "nbf": iat,
        "exp": iat + 3898,
        "aio": "AWQAm/8YAAAA9Xq2",
        "nonce": "Jf0m3kQ9bZ1n8cX5tR2wE7yU4iO0pA9sD3fG6hJ1kL5",
        "rh": "1.AQ8ATX3gTqh5nkqgOOfC4xS1M5hzI1n-B59Jkl-MsEKMTyYPAI8.",
        "roles": ["K8S_Dev_Admin"],
        "sid": "003c7a4d-1e2f-4b5a-9c8d-7e6f5a4b3c2d",
        "sub": "Zb9kQ3n0T1m4Jx2pYz8cVwA7sD4fG1hJ6kL0zX3cV5",
        "tid": ENTRA_TID,
        "uti": "Wq2xF8kN3Umb0pV7Ra1eAA",
        "ver": "2.0",
    }
    b["kubelogin-1145-entra-upn-claim-absent"] = {
        "id_token": sign(entra, "imi0Y2z0dYKxBttAqK_Tt5hYBTk"),
        "keys.json": jwks(("imi0Y2z0dYKxBttAqK_Tt5hYBTk", KEY)),
        "openid-configuration.json": discovery(
            ENTRA, f"https://login.microsoftonline.com/{ENTRA_TID}/discovery/v2.0/keys"
        ),
    }
    b["kubelogin-1145-entra-preferred-username-HEALTHY"] = {
        "id_token": sign(
            dict(entra, name="Schluggi", preferred_username="schluggi@example.onmicrosoft.com"),
            "imi0Y2z0dYKxBttAqK_Tt5hYBTk",
        ),
        "keys.json": jwks(("imi0Y2z0dYKxBttAqK_Tt5hYBTk", KEY)),
        "openid-configuration.json": discovery(
            ENTRA, f"https://login.microsoftonline.com/{ENTRA_TID}/discovery/v2.0/keys"
        ),
    }

    # int128/kubelogin#905: the roles are nested (realm_access.roles); the legacy flag cannot reach them.
    iat = ep("2023-03-10T15:02:41Z")
    kc905 = keycloak_id(
        KC_905,
        iat,
        email="brent.rose@example.com",
        preferred_username="brose",
        realm_access={
            "roles": ["k8s-dev-cluster-admin", "default-roles-mj-kubernetes", "offline_access", "uma_authorization"]
        },
    )
    b["kubelogin-905-keycloak-nested-realm-roles"] = {
        "id_token": sign(kc905, "mj-k8s-rs256"),
        "jwks.json": jwks(("mj-k8s-rs256", KEY)),
        "openid-configuration.json": keycloak_discovery(KC_905),
    }
    return b


def _render(content: Any) -> str:
    if isinstance(content, str):
        return content + "\n"
    return json.dumps(content, indent=2) + "\n"


def write(out: Path = OUT) -> list[Path]:
    """Write the signed files of every bundle under ``out``; returns the paths written."""
    written: list[Path] = []
    for name, files in bundles().items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for fname, content in files.items():
            path = folder / fname
            path.write_text(_render(content))
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write():
        print(p.relative_to(HERE))
