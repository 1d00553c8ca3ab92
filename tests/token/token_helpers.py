"""Keys and tokens made in the tests (signed with PyJWT, an independent implementation)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.jose import b64url_encode

#: The fixed clock of offline tests.
NOW = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
NOW_S = int(NOW.timestamp())
ISSUER = "https://idp.example.com/realms/k8s"


@dataclass
class Key:
    """A private key, its kid and alg, and its public JWK."""

    private: Any
    kid: str
    alg: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with kid, alg and use."""
        algo = jwt.algorithms.RSAAlgorithm if self.alg[:2] in ("RS", "PS") else jwt.algorithms.ECAlgorithm
        jwk: dict[str, Any] = json.loads(json.dumps(algo.to_jwk(self.private.public_key(), as_dict=True)))
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return jwk


_cache: dict[str, Key] = {}


def key(alg: str = "RS256", kid: str | None = None) -> Key:
    """A key for ``alg`` (cached per alg and kid: RSA generation is slow)."""
    kid = kid or f"{alg.lower()}-test"
    name = f"{alg}/{kid}"
    if name not in _cache:
        if alg[:2] in ("RS", "PS"):
            private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
            private = ec.generate_private_key(curve)
        _cache[name] = Key(private, kid, alg)
    return _cache[name]


def jwks(*keys: Key) -> dict[str, Any]:
    """A JWKS holding these keys' public halves."""
    return {"keys": [k.public_jwk for k in keys]}


def claims(**over: Any) -> dict[str, Any]:
    """A healthy id_token payload at :data:`NOW`, with overrides (None removes a claim)."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "kubernetes",
        "iat": NOW_S - 60,
        "exp": NOW_S + 240,
        "email": "alice@example.com",
        "email_verified": True,
        "groups": ["dev"],
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], k: Key | None = None, headers: dict[str, Any] | None = None) -> str:
    """A compact JWS signed by PyJWT with ``k`` (default RS256), kid in the header."""
    k = k or key()
    h = {"kid": k.kid, **(headers or {})}
    return jwt.encode(payload, k.private, algorithm=k.alg, headers=h)


def raw_jws(header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes, signature: bytes = b"sig") -> str:
    """A compact JWS from parts, unsigned (for structure tests)."""
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    p = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ".".join((b64url_encode(h), b64url_encode(p), b64url_encode(signature)))


@dataclass
class Run:
    """The outcome of one in-process CLI run."""

    status: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        """stdout parsed as JSON."""
        doc: dict[str, Any] = json.loads(self.out)
        return doc

    def causes(self) -> list[str]:
        """The cause codes of the JSON findings, in order."""
        return [f["cause"] for f in self.json()["findings"]]


def run_cli(argv: list[str], stdin: bytes | str = b"", env: dict[str, str] | None = None) -> Run:
    """``main(argv)`` in-process with captured streams."""
    out, err = io.StringIO(), io.StringIO()
    data = stdin.encode() if isinstance(stdin, str) else stdin
    stdin_stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    status = main(argv, IO(stdin=stdin_stream, stdout=out, stderr=err, env=env or {}))
    return Run(status, out.getvalue(), err.getvalue())
