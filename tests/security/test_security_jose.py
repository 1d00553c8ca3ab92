"""Signatures judged as kube-apiserver judges them (issue 14): RSA keys under 1024 bits (Go 1.24's
crypto/rsa refuses them, golang/go#68762), a ``crit`` header go-jose does not understand, and RFC
7797's ``b64`` (go-jose signs and verifies the raw payload when it is false). A 512-bit key
declared for PS512 must not crash anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sec_kit import run

ISS = "https://idp.example.com/realms/k8s"
NOW = "2026-11-28T10:00:00Z"
CLAIMS = {"iss": ISS, "sub": "alice", "aud": "kubernetes", "iat": 1795860000 - 60, "exp": 1795860000 + 240}


def b64(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n: int) -> str:
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def _probable_prime(bits: int) -> int:
    while True:
        n = secrets.randbits(bits) | (3 << (bits - 2)) | 1  # two top bits: p*q has exactly 2*bits bits
        if all(pow(a, n - 1, n) == 1 for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)):
            return n


class SmallRsa:
    """An RSA key of any size (``cryptography`` refuses to make keys under 1024 bits)."""

    def __init__(self, bits: int) -> None:
        while True:
            p, q = _probable_prime(bits // 2), _probable_prime(bits // 2)
            phi = (p - 1) * (q - 1)
            if p != q and phi % 65537:
                break
        self.n, self.e, self.d = p * q, 65537, pow(65537, -1, phi)

    def jwk(self, kid: str, alg: str) -> dict[str, Any]:
        """The public JWK."""
        return {"kty": "RSA", "kid": kid, "alg": alg, "use": "sig", "n": _int(self.n), "e": _int(self.e)}

    def sign_rs256(self, data: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256, by hand (RFC 8017 9.2)."""
        digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(data).digest()
        k = (self.n.bit_length() + 7) // 8
        em = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
        return pow(int.from_bytes(em, "big"), self.d, self.n).to_bytes(k, "big")


_BIG = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def big_jwk(kid: str = "k1") -> dict[str, Any]:
    """The 2048-bit key's public JWK."""
    nums = _BIG.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": _int(nums.n), "e": _int(nums.e)}


def token(header: dict[str, Any], payload: bytes, signed_over: bytes | None = None, key: SmallRsa | None = None) -> str:
    """A compact JWS; the signature covers ``signed_over`` (default: the usual signing input)."""
    h = b64(json.dumps(header).encode())
    p = b64(payload)
    data = signed_over if signed_over is not None else f"{h}.{p}".encode()
    sig = key.sign_rs256(data) if key else _BIG.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return f"{h}.{p}.{b64(sig)}"


def verdicts(tmp_path: Path, tok: str, jwks: dict[str, Any]) -> tuple[str, bool | None]:
    """(the token command's signature status, predict's ``authenticated``)."""
    (tmp_path / "t").write_text(tok)
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    status, out, err = run(
        ["token", f"@{tmp_path / 't'}", "--jwks", str(tmp_path / "jwks.json"), "--format", "json", "--now", NOW]
    )
    assert status in (0, 1) and "internal error" not in err, err
    sig = json.loads(out)["signature"]["status"]
    status, out, err = run(
        [
            "predict",
            "--token",
            f"@{tmp_path / 't'}",
            "--jwks",
            str(tmp_path / "jwks.json"),
            f"--apiserver-arg=--oidc-issuer-url={ISS}",
            "--apiserver-arg=--oidc-client-id=kubernetes",
            "--format",
            "json",
            "--now",
            NOW,
        ]
    )
    assert status in (0, 1) and "internal error" not in err, err
    return sig, json.loads(out)["authenticated"]


PAYLOAD = json.dumps(CLAIMS).encode()


def test_a_correct_signature_by_a_512_bit_key_is_not_valid(tmp_path: Path) -> None:
    small = SmallRsa(512)
    tok = token({"alg": "RS256", "kid": "s"}, PAYLOAD, key=small)
    assert verdicts(tmp_path, tok, {"keys": [small.jwk("s", "RS256")]}) == ("invalid", False)


def test_a_1024_bit_key_still_verifies_as_upstream() -> None:
    from oidc_doctor.jose import MIN_RSA_BITS, verify_signature

    assert MIN_RSA_BITS == 1024
    k = SmallRsa(1024)
    pub = rsa.RSAPublicNumbers(k.e, k.n).public_key()
    assert verify_signature("RS256", pub, b"x.y", k.sign_rs256(b"x.y"))


@pytest.mark.parametrize("alg", ["PS512", "PS384", "RS512"])
def test_a_512_bit_key_declared_for_a_bigger_hash_does_not_crash(tmp_path: Path, alg: str) -> None:
    small = SmallRsa(512)
    h = b64(json.dumps({"alg": alg, "kid": "s"}).encode())
    tok = f"{h}.{b64(PAYLOAD)}.{b64(secrets.token_bytes(64))}"
    sig, authenticated = verdicts(tmp_path, tok, {"keys": [small.jwk("s", alg)]})
    assert sig != "valid" and authenticated is not True


def test_an_unknown_crit_header_is_refused_as_go_jose_refuses_it(tmp_path: Path) -> None:
    tok = token({"alg": "RS256", "kid": "k1", "crit": ["exp"], "exp": 1}, PAYLOAD)
    assert verdicts(tmp_path, tok, {"keys": [big_jwk()]}) == ("invalid", False)
    tok = token({"alg": "RS256", "kid": "k1", "crit": "b64"}, PAYLOAD)
    assert verdicts(tmp_path, tok, {"keys": [big_jwk()]}) == ("invalid", False)


def test_b64_false_is_verified_over_the_raw_payload_as_go_jose_does(tmp_path: Path) -> None:
    header = {"alg": "RS256", "kid": "k1", "b64": False, "crit": ["b64"]}
    h = b64(json.dumps(header).encode())
    # signed the RFC 7797 way (over the raw payload): go-jose verifies it
    raw_signed = token(header, PAYLOAD, signed_over=h.encode() + b"." + PAYLOAD)
    assert verdicts(tmp_path, raw_signed, {"keys": [big_jwk()]}) == ("valid", True)
    # signed over the base64url payload while claiming b64=false: go-jose does not verify it
    normal = token(header, PAYLOAD)
    assert verdicts(tmp_path, normal, {"keys": [big_jwk()]}) == ("invalid", False)


def test_crit_b64_with_b64_true_is_an_ordinary_token(tmp_path: Path) -> None:
    tok = token({"alg": "RS256", "kid": "k1", "b64": True, "crit": ["b64"]}, PAYLOAD)
    assert verdicts(tmp_path, tok, {"keys": [big_jwk()]}) == ("valid", True)
