# ruff: noqa: E501  -- claim values are kept whole, as the identity providers issue them
"""Identity providers: issuers, id_token claims per provider, discovery documents and JWKS.

Each ``*_claims`` preset is one user (alice) as that provider issues her token at ``NOW``;
keyword arguments replace claims, and ``None`` removes one.
"""

from __future__ import annotations

from typing import Any

from fixturekit.clock import NOW
from fixturekit.jose import encryption_key, jwk, jwks, sign, signing_jwks, signing_key

KEYCLOAK = "https://keycloak.example.com/realms/k8s"
DEX = "https://dex.example.com/dex"
#: Dex as kind set-ups publish it (nip.io host name, NodePort).
DEX_KIND = "https://dex.127.0.0.1.nip.io:32000"
AZURE_TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
AZURE = f"https://login.microsoftonline.com/{AZURE_TID}/v2.0"
AZURE_CLIENT = "6731de76-14a6-49ae-97bc-6eba6914391e"
OKTA = "https://dev-48213957.okta.com/oauth2/default"
OKTA_CLIENT = "0oa9x8w7v6u5t4s3r2q1"
GOOGLE = "https://accounts.google.com"
GOOGLE_CLIENT = "407408718192-6b8f2nm1d3qkquej9ktmf0lbrcv5oh0a.apps.googleusercontent.com"
GITLAB = "https://gitlab.com"
GITLAB_APP = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
ALICE_SUB = "3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01"

#: The key ids each provider publishes its signing key under.
KID = {
    "keycloak": "rK3m-sig",
    "dex": "9d1c0f2e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
    "dex-kind": "9d1c0f2e",
    "azure": "nOo3ZDrODXEK1jKWhXslHR_KXEg",
    "okta": "kQ1mZx9Lr3v",
    "google": "1f40f0a8ef3d880978dc82f25c3ec317c6a5b781",
    "gitlab": "kewiQq9jiC84CvSsJYOB-N6A8WFLSV20Mb-y7IlWDSQ",
}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def keycloak_claims(**over: Any) -> dict[str, Any]:
    """A Keycloak 26 id_token for alice (client ``kubernetes``, groups mapper without full path)."""
    return _merge(
        {
            "exp": NOW + 180,
            "iat": NOW - 120,
            "auth_time": NOW - 125,
            "jti": "onrtac:5d0c6a1e-34c2-4a3e-9a4b-4f1f1c0a2b7e",
            "iss": KEYCLOAK,
            "aud": "kubernetes",
            "sub": ALICE_SUB,
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
        },
        over,
    )


def keycloak_short_claims(**over: Any) -> dict[str, Any]:
    """The claims a Keycloak id_token for alice needs (member of ``dev`` only), 5-minute lifetime."""
    return _merge(
        {
            "iss": KEYCLOAK,
            "sub": ALICE_SUB,
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
        },
        over,
    )


def keycloak_access_claims(**over: Any) -> dict[str, Any]:
    """A Keycloak access token (``typ: Bearer``) issued to the ``kubeapps`` client for the ``account`` audience."""
    return _merge(
        {
            "exp": NOW + 180,
            "iat": NOW - 120,
            "auth_time": NOW - 125,
            "jti": "onrtac:0f6d3c2a-1b4e-4f5a-9c8d-7e6f5a4b3c2d",
            "iss": KEYCLOAK,
            "aud": "account",
            "sub": ALICE_SUB,
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
        },
        over,
    )


def dex_claims(**over: Any) -> dict[str, Any]:
    """A Dex id_token (LDAP connector; ``sub`` is Dex's base64 protobuf of user id and connector)."""
    return _merge(
        {
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
        },
        over,
    )


AZURE_OID = "00000000-0000-0000-66f3-3332eca7ea81"


def azure_claims(**over: Any) -> dict[str, Any]:
    """An Azure AD (Entra ID) v2.0 id_token of a user in more than 200 groups: groups overage."""
    return _merge(
        {
            "aud": AZURE_CLIENT,
            "iss": AZURE,
            "iat": NOW - 300,
            "nbf": NOW - 300,
            "exp": NOW + 3300,
            "_claim_names": {"groups": "src1"},
            "_claim_sources": {
                "src1": {"endpoint": f"https://graph.windows.net/{AZURE_TID}/users/{AZURE_OID}/getMemberObjects"}
            },
            "aio": "AXQAi/8UAAAAqxsuB+R4D2rFQqOETO4YdXbLD9kZ8xfXadeAM0Q2NkNT5izfg3JMRpT/8gsfCgbmGWBCpUafR+5ucelM/MpBoW+ltfQoE8k/Eqa+7zsjaB7uTF+NsHhC/hHsUDnbRb4qBO6K07f7nzXAXw5h03yR5g==",
            "name": "Alice Liddell",
            "nonce": "678910",
            "oid": AZURE_OID,
            "preferred_username": "alice@contoso.onmicrosoft.com",
            "rh": "I",
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "tid": AZURE_TID,
            "uti": "3Cgr3VbZIE2u4Kx1m9f6AA",
            "ver": "2.0",
        },
        over,
    )


def azure_v1_claims(**over: Any) -> dict[str, Any]:
    """An Azure AD v1.0 token: issuer ``https://sts.windows.net/<tenant>/``, ``upn`` and ``unique_name``."""
    return _merge(
        {
            "aud": AZURE_CLIENT,
            "iss": f"https://sts.windows.net/{AZURE_TID}/",
            "iat": NOW - 300,
            "nbf": NOW - 300,
            "exp": NOW + 3300,
            "amr": ["pwd", "mfa"],
            "family_name": "Liddell",
            "given_name": "Alice",
            "ipaddr": "203.0.113.7",
            "name": "Alice Liddell",
            "oid": AZURE_OID,
            "rh": "I",
            "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
            "tid": AZURE_TID,
            "unique_name": "alice@contoso.onmicrosoft.com",
            "upn": "alice@contoso.onmicrosoft.com",
            "uti": "Fk3Sb7CvGUWk9vGb1m5nAA",
            "ver": "1.0",
        },
        over,
    )


def okta_claims(**over: Any) -> dict[str, Any]:
    """An Okta custom authorization server id_token with a ``groups`` claim."""
    return _merge(
        {
            "sub": "00u1a2b3c4d5e6f7g8h9",
            "name": "Alice Liddell",
            "email": "alice@example.com",
            "email_verified": True,
            "ver": 1,
            "iss": OKTA,
            "aud": OKTA_CLIENT,
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
        },
        over,
    )


def okta_access_claims(**over: Any) -> dict[str, Any]:
    """An Okta access token (``aud: api://default``, ``scp``, ``cid``)."""
    return _merge(
        {
            "ver": 1,
            "jti": "AT.nLxM1cY2nC8xJ3q0fKdv9vRxm6W0Lq3fgX9jR8h2Bzc",
            "iss": OKTA,
            "aud": "api://default",
            "iat": NOW - 60,
            "exp": NOW + 3540,
            "cid": OKTA_CLIENT,
            "uid": "00u1a2b3c4d5e6f7g8h9",
            "scp": ["openid", "email", "groups", "profile"],
            "auth_time": NOW - 65,
            "sub": "alice@example.com",
            "groups": ["Everyone", "k8s-admins"],
        },
        over,
    )


def google_claims(**over: Any) -> dict[str, Any]:
    """A Google id_token (no groups claim exists at Google)."""
    return _merge(
        {
            "iss": GOOGLE,
            "azp": GOOGLE_CLIENT,
            "aud": GOOGLE_CLIENT,
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
        },
        over,
    )


def gitlab_claims(**over: Any) -> dict[str, Any]:
    """A gitlab.com id_token (``groups_direct`` holds the group paths)."""
    return _merge(
        {
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
        },
        over,
    )


def token(provider: str, claims: dict[str, Any], typ: str | None = "JWT") -> str:
    """``claims`` signed as ``provider`` signs them (its key id from ``KID``)."""
    return sign(claims, KID[provider], typ=typ)


def keycloak_token(**over: Any) -> str:
    """A signed Keycloak id_token (``keycloak_claims(**over)``)."""
    return sign(keycloak_claims(**over), KID["keycloak"])


def keycloak_jwks(kid: str = KID["keycloak"]) -> dict[str, Any]:
    """Keycloak's certs endpoint: the realm's RSA-OAEP encryption key plus the signing key."""
    return jwks(jwk(encryption_key(), "qYf0Vx3m-enc", use="enc", alg="RSA-OAEP"), jwk(signing_key(), kid))


def provider_jwks(provider: str) -> dict[str, Any]:
    """The JWK Set of ``provider``: its signing key under its key id."""
    return keycloak_jwks() if provider == "keycloak" else signing_jwks(KID[provider])


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


def keycloak_short_discovery(issuer: str = KEYCLOAK, algs: tuple[str, ...] = ("RS256", "ES256")) -> dict[str, Any]:
    """The five fields of Keycloak's discovery document the API server and the doctor read."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
        "token_endpoint": f"{issuer}/protocol/openid-connect/token",
        "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
        "id_token_signing_alg_values_supported": list(algs),
    }


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


#: The API server's own service-account issuer discovery (``kubectl get --raw /.well-known/openid-configuration``).
SERVICE_ACCOUNT_DISCOVERY = {
    "issuer": "https://kubernetes.default.svc.cluster.local",
    "jwks_uri": "https://172.18.0.2:6443/openid/v1/jwks",
    "response_types_supported": ["id_token"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["RS256"],
}
