"""Test support for the authn engine: keys, JWS signing, and a local trustme HTTPS issuer.

The HTTPS server plays upstream oidc_test.go's ``newClaimServer``: it serves discovery
(``/.well-known/openid-configuration`` and ``/c/d/bar/.well-known/openid-configuration``),
keys (``/.testing/keys``) and signed distributed-claim JWTs (``/groups``, ``/rabbits``) on
127.0.0.1 only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler
from typing import Any

import trustme
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from tls_support import serve_https

_CURVES: dict[str, ec.EllipticCurve] = {"256": ec.SECP256R1(), "384": ec.SECP384R1(), "512": ec.SECP521R1()}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def b64(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@cache
def private_key(name: str, alg: str) -> Any:
    """A key per upstream test-data name (rsa_1, ecdsa_2, ...), generated once per run."""
    if name.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(_CURVES[alg[2:]])


def kid(name: str) -> str:
    """A stable key id per key name (upstream uses the JWK thumbprint; only equality matters)."""
    return f"kid-{name}"


def public_jwk(name: str, alg: str) -> dict[str, Any]:
    """The public JWK of ``name`` (use sig, alg as given)."""
    key = private_key(name, alg)
    pub = key.public_key()
    d: dict[str, Any] = {"use": "sig", "alg": alg, "kid": kid(name)}
    if isinstance(pub, rsa.RSAPublicKey):
        n = pub.public_numbers()
        d.update(kty="RSA", n=b64(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")), e=b64(n.e.to_bytes(3, "big")))
    else:
        assert isinstance(pub, ec.EllipticCurvePublicKey)
        num = pub.public_numbers()
        size = (pub.curve.key_size + 7) // 8
        crv = {256: "P-256", 384: "P-384", 521: "P-521"}[pub.curve.key_size]
        d.update(kty="EC", crv=crv, x=b64(num.x.to_bytes(size, "big")), y=b64(num.y.to_bytes(size, "big")))
    return d


def sign(payload: str, name: str, alg: str, *, header: dict[str, Any] | None = None) -> str:
    """A compact JWS over ``payload`` exactly as given (bytes of the text), signed with ``name``."""
    h = header if header is not None else {"alg": alg, "kid": kid(name)}
    signing_input = (b64(json.dumps(h).encode()) + "." + b64(payload.encode())).encode()
    key = private_key(name, alg)
    hash_ = _HASHES[alg[2:]]()
    if alg.startswith("RS"):
        sig = key.sign(signing_input, padding.PKCS1v15(), hash_)
    elif alg.startswith("PS"):
        sig = key.sign(signing_input, padding.PSS(padding.MGF1(hash_), hash_.digest_size), hash_)
    else:
        der = key.sign(signing_input, ec.ECDSA(hash_))
        r, s = decode_dss_signature(der)
        size = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return signing_input.decode() + "." + b64(sig)


@dataclass
class Issuer:
    """What the local HTTPS issuer serves; fill it before requests arrive."""

    openid_config: str = ""
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    claim_responses: dict[str, str] = field(default_factory=dict)
    signer: tuple[str, str] | None = None  # (key name, alg) signing distributed-claim JWTs
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization header)
    url: str = ""
    ca_pem: str = ""


@contextmanager
def https_issuer() -> Iterator[Issuer]:
    """A trustme-certified HTTPS server on 127.0.0.1 playing upstream's ``newClaimServer``."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    state = Issuer(ca_pem=ca.cert_pem.bytes().decode())

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path
            state.requests.append((path, self.headers.get("Authorization", "")))
            if path == "/.testing/keys":
                self._send(200, json.dumps(state.jwks).encode())
            elif path == "/.testing/invalidkeys":
                self._send(200, b"")
            elif path == "/.testing/keys/badstatus":
                self._send(500, b"")
            elif path in ("/.well-known/openid-configuration", "/c/d/bar/.well-known/openid-configuration"):
                self._send(200, state.openid_config.encode())
            elif path in ("/groups", "/rabbits") and state.signer is not None:
                claim = path[1:]
                token = sign(state.claim_responses[claim], *state.signer)
                self._send(200, token.encode(), "application/jwt")
            else:
                self._send(404, f"unexpected URL: {path}".encode(), "text/plain")

    server, thread = serve_https(Handler, cert)
    state.url = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
