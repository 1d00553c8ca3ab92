"""Fixed keys and signing: the same claims always give the same token.

RSA keys are derived from a seed (primes found by a seeded Miller-Rabin search) and RS256
(PKCS#1 v1.5) signatures are deterministic; the EC key is derived from a seed too and ES256 uses
RFC 6979 deterministic nonces (``cryptography`` >= 44). Test material only, never a secret.
"""

from __future__ import annotations

import hashlib
import json
import random
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from oidc_doctor.jose import b64url_encode


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


@cache
def seeded_rsa_key(seed: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key derived from ``seed`` (made once per process)."""
    rng = random.Random(seed)
    p, q = _prime(rng, 1024), _prime(rng, 1024)
    e = 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    pub = rsa.RSAPublicNumbers(e, p * q)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), pub
    )
    return numbers.private_key()


@cache
def seeded_ec_key(seed: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key derived from ``seed``."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def signing_key() -> rsa.RSAPrivateKey:
    """The key every identity provider in the bundles signs with (its public half is in their JWKS)."""
    return seeded_rsa_key("oidc-doctor qa signing key 1")


def encryption_key() -> rsa.RSAPrivateKey:
    """Keycloak's realm encryption key (RSA-OAEP, ``use: enc``), also the test CA's key."""
    return seeded_rsa_key("oidc-doctor qa encryption key")


def foreign_key() -> rsa.RSAPrivateKey:
    """A key no JWKS publishes: tokens signed with it fail signature verification."""
    return seeded_rsa_key("oidc-doctor key of nobody")


def ec_key() -> ec.EllipticCurvePrivateKey:
    """The P-256 signing key (ES256)."""
    return seeded_ec_key("oidc-doctor ec signing key 1")


def _segment(obj: dict[str, Any]) -> str:
    # Compact JSON, as identity providers emit it.
    return b64url_encode(json.dumps(obj, separators=(",", ":")).encode())


def sign(claims: dict[str, Any], kid: str, typ: str | None = "JWT", key: rsa.RSAPrivateKey | None = None) -> str:
    """An RS256 JWS of ``claims`` signed by ``key`` (default: ``signing_key()``)."""
    head: dict[str, Any] = {"alg": "RS256", "kid": kid}
    if typ:
        head["typ"] = typ
    signing_input = f"{_segment(head)}.{_segment(claims)}"
    sig = (key or signing_key()).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(sig)}"


def sign_es256(claims: dict[str, Any], kid: str) -> str:
    """An ES256 JWS (raw ``r||s`` signature, as JWS wants) by ``ec_key()``."""
    signing_input = f"{_segment({'alg': 'ES256', 'kid': kid, 'typ': 'JWT'})}.{_segment(claims)}"
    der = ec_key().sign(signing_input.encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def jwk(key: rsa.RSAPrivateKey, kid: str, use: str = "sig", alg: str = "RS256") -> dict[str, Any]:
    """The public JWK of an RSA ``key``."""
    n = key.public_key().public_numbers()
    return {"kid": kid, "kty": "RSA", "alg": alg, "use": use, "n": b64url_encode(n.n.to_bytes(256, "big")), "e": "AQAB"}


def ec_jwk(kid: str) -> dict[str, Any]:
    """The public JWK of ``ec_key()``."""
    n = ec_key().public_key().public_numbers()
    return {
        "kid": kid,
        "kty": "EC",
        "alg": "ES256",
        "use": "sig",
        "crv": "P-256",
        "x": b64url_encode(n.x.to_bytes(32, "big")),
        "y": b64url_encode(n.y.to_bytes(32, "big")),
    }


def jwks(*keys: dict[str, Any]) -> dict[str, Any]:
    """A JWK Set."""
    return {"keys": list(keys)}


def signing_jwks(kid: str) -> dict[str, Any]:
    """The JWK Set holding only the signing key under ``kid``."""
    return jwks(jwk(signing_key(), kid))


def ca_certificate_pem() -> str:
    """A self-signed CA certificate (RSA, PKCS#1 v1.5: deterministic) on ``encryption_key()``."""
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster-internal-ca")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(encryption_key().public_key())
        .serial_number(0x51A7E)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2036, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(encryption_key(), hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
