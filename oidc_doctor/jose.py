"""Minimal JOSE: compact JWS parsing (tolerant, reports every problem) and signature checks.

We parse JWS ourselves because a diagnosis must show a broken token and name *every* problem,
where JWT libraries stop at the first. Signatures are verified with ``cryptography`` directly.
The accepted algorithms always come from the caller (API server settings, discovery, JWKS) and
never from the token's own header (see PyJWT's security notes on algorithm confusion).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from oidc_doctor.record import Record

#: The nine asymmetric algorithms kube-apiserver can accept (k8s.io/apiserver oidc.go allowedSigningAlgs).
ASYMMETRIC_ALGS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512",
)
#: Algorithms this module can verify: the nine above plus EdDSA (some IdPs sign with Ed25519).
VERIFIABLE_ALGS: frozenset[str] = frozenset((*ASYMMETRIC_ALGS, "EdDSA"))
HMAC_ALGS: frozenset[str] = frozenset(("HS256", "HS384", "HS512"))
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def fingerprint(value: str) -> str:
    """``sha256:`` + the first 12 hex digits of the value's SHA-256: how reports name a token.

    Hashed with ``cryptography`` (a dependency, loaded anyway to verify the signature) rather
    than ``hashlib``, whose import (OpenSSL's ``_hashlib`` once more) costs about 2 ms of the
    ``token`` command's start-up.
    """
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SHA256())
    digest.update(value.encode("utf-8", "surrogateescape"))
    return "sha256:" + digest.finalize().hex()[:12]


def b64url_decode(part: str) -> tuple[bytes | None, str | None]:
    """Decode one base64url segment tolerantly.

    Returns ``(data, problem)``: data is None when nothing could be decoded; problem names what
    is wrong (padding present, standard-alphabet characters) even when decoding succeeded,
    because the API server's parser (Go ``base64.RawURLEncoding``) rejects both.
    """
    problem = None
    s = part
    if "=" in s:
        problem = "has '=' padding (a JWT uses unpadded base64url)"
        s = s.rstrip("=")
    if "+" in s or "/" in s:
        problem = "uses '+' or '/' (standard base64, not base64url)"
        s = s.replace("+", "-").replace("/", "_")
    if not _B64URL.fullmatch(s):
        # urlsafe_b64decode silently drops foreign characters; Go's RawURLEncoding refuses them.
        return None, "is not valid base64url (characters outside A-Z a-z 0-9 - _)"
    if len(s) % 4 == 1:
        return None, "has an impossible length for base64url (truncated?)"
    try:
        data = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except (binascii.Error, ValueError):
        return None, "is not valid base64url"
    # A strict decoder also refuses non-zero trailing bits; re-encoding tells us.
    if base64.urlsafe_b64encode(data).decode().rstrip("=") != s:
        return data, problem or "has non-canonical trailing bits"
    return data, problem


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as JWS uses."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class ParsedJWS(Record):
    """A compact JWS taken apart, with every problem found on the way.

    ``strict_ok`` is True when the API server's strict parser would accept the structure (3
    parts, clean base64url, JSON); ``alg_problem`` is the problem with the header's ``alg``
    (missing, not a string, ``none``, HMAC), also in ``problems``.
    """

    _fields = (
        "raw",
        "parts",
        "header",
        "payload",
        "payload_bytes",
        "signature",
        "signing_input",
        "problems",
        "strict_ok",
        "alg_problem",
    )
    __slots__ = _fields
    raw: str
    parts: int
    header: dict[str, Any] | None
    payload: dict[str, Any] | None
    payload_bytes: bytes | None
    signature: bytes | None
    signing_input: bytes
    problems: list[str]
    strict_ok: bool
    alg_problem: str | None

    def __init__(
        self,
        raw: str,
        parts: int,
        header: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        payload_bytes: bytes | None = None,
        signature: bytes | None = None,
        signing_input: bytes = b"",
        problems: list[str] | None = None,
        strict_ok: bool = False,
        alg_problem: str | None = None,
    ) -> None:
        self.raw = raw
        self.parts = parts
        self.header = header
        self.payload = payload
        self.payload_bytes = payload_bytes
        self.signature = signature
        self.signing_input = signing_input
        self.problems = [] if problems is None else problems
        self.strict_ok = strict_ok
        self.alg_problem = alg_problem

    @property
    def alg(self) -> str | None:
        """The header's ``alg`` if it is a string."""
        a = self.header.get("alg") if self.header else None
        return a if isinstance(a, str) else None

    @property
    def kid(self) -> str | None:
        """The header's ``kid`` if it is a string."""
        k = self.header.get("kid") if self.header else None
        return k if isinstance(k, str) else None


#: Header key of a token oidc-doctor made from claims pasted without their token (a decoded payload
#: from jwt.io, ``kubectl oidc-login setup``'s "You got a token with the following claims"): its header
#: and signature are not known, so neither is judged.
CLAIMS_ONLY = "x-oidc-doctor-claims-only"


def claims_only_token(claims: dict[str, Any]) -> str:
    """A compact token carrying ``claims`` and the :data:`CLAIMS_ONLY` header (no real signature)."""
    import json

    header = {"alg": "", "typ": "JWT", CLAIMS_ONLY: True}
    parts = [json.dumps(header, separators=(",", ":")), json.dumps(claims, separators=(",", ":"))]
    return ".".join([*(b64url_encode(p.encode()) for p in parts), b64url_encode(b"claims-only")])


def looks_like_claims(obj: dict[str, Any]) -> bool:
    """A token's decoded claims (jwt.io's payload, ``kubectl oidc-login setup``'s "You got a token with
    the following claims"): ``iss`` and ``sub`` strings with ``aud`` or a time, and nothing of a
    discovery document, JWKS or Kubernetes object."""
    if not (isinstance(obj.get("iss"), str) and isinstance(obj.get("sub"), str)):
        return False
    if any(k in obj for k in ("jwks_uri", "authorization_endpoint", "keys", "apiVersion", "kind", "id_token")):
        return False
    return "aud" in obj or any(isinstance(obj.get(t), int | float) for t in ("exp", "iat"))


def is_claims_only(header: dict[str, Any] | None) -> bool:
    """Whether a parsed header is that of :func:`claims_only_token`."""
    return bool(header) and header.get(CLAIMS_ONLY) is True  # type: ignore[union-attr]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def loads_strict(text: str) -> Any:
    """JSON as Go's encoding/json reads it: no NaN/Infinity, no number beyond float64.

    The standard library's parser, not orjson: one token's header and payload are tiny, and
    importing orjson costs ~10 ms of the ``token`` command's start-up (it pulls in uuid and
    platform), more than the whole verification.
    """
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite)


def _json_object(data: bytes, what: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"the {what} is not UTF-8 text")
        return None
    try:
        value = loads_strict(text)
    except (ValueError, RecursionError):
        problems.append(f"the {what} is not JSON (starts {text[:20]!r})")
        return None
    if not isinstance(value, dict):
        problems.append(f"the {what} is JSON but not an object ({type(value).__name__})")
        return None
    return value


#: The ``crit`` names go-jose understands (go-jose/go-jose ``signing.go`` ``DetachedVerify`` checks
#: ``signature.protected.checkSupportedCritical(supportedCritical)``; only RFC 7797's ``b64``).
SUPPORTED_CRIT = frozenset({"b64"})
#: A signing input that no signature matches: a token go-jose refuses to verify gets it.
UNVERIFIABLE = b"\x00refused by the JOSE header rules"


def jws_header_problem(header: dict[str, Any]) -> str | None:
    """Why go-jose (kube-apiserver's JOSE library) refuses to verify a JWS with this protected
    header, or None: a ``crit`` that is not a list of names it supports (RFC 7515 4.1.11 says the
    recipient MUST reject unknown critical parameters; go-jose returns ErrCryptoFailure), or a
    ``b64`` that is not a boolean."""
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            return "the header's 'crit' is not a list of names"
        unknown = [c for c in crit if c not in SUPPORTED_CRIT]
        if unknown:
            return f"the header's 'crit' names {', '.join(map(repr, unknown))}, which go-jose does not support"
    if "b64" in header and not isinstance(header["b64"], bool):
        return "the header's 'b64' is not a boolean"
    return None


def go_jose_signing_input(
    header: dict[str, Any], header_segment: str, payload_segment: str, payload: bytes | None
) -> bytes:
    """The signing input as go-jose computes it (``jws.go`` ``computeAuthData``): with
    ``"b64": false`` the decoded payload itself follows the dot (RFC 7797), not its base64url form;
    a header go-jose refuses (:func:`jws_header_problem`) gets :data:`UNVERIFIABLE`, so no key
    verifies it."""
    if jws_header_problem(header) is not None:
        return UNVERIFIABLE
    if header.get("b64") is False and payload is not None:
        return header_segment.encode("ascii", "replace") + b"." + payload
    return (header_segment + "." + payload_segment).encode("ascii", "replace")


def _apply_jws_header_rules(parsed: ParsedJWS, payload: bytes | None, header_segment: str) -> None:
    assert parsed.header is not None
    segments = parsed.raw.split(".")
    parsed.signing_input = go_jose_signing_input(parsed.header, header_segment, segments[1], payload)


def parse_compact(token: str) -> ParsedJWS:
    """Take a compact JWS apart and describe everything that is wrong with it."""
    segments = token.split(".")
    parsed = ParsedJWS(raw=token, parts=len(segments))
    problems = parsed.problems
    if len(segments) == 5:
        problems.append("it has 5 parts: an encrypted JWE, not a signed JWT; the API server cannot read it")
    elif len(segments) != 3:
        problems.append(f"it has {len(segments)} dot-separated part(s); a signed JWT has exactly 3")
    if len(segments) < 2:
        return parsed
    names = ("header", "payload", "signature")
    decoded: list[bytes | None] = []
    clean = len(segments) == 3
    for i, seg in enumerate(segments[:3]):
        name = names[i]
        if seg == "" and i < 2:
            problems.append(f"the {name} part is empty")
            decoded.append(None)
            clean = False
            continue
        data, problem = b64url_decode(seg)
        if problem:
            problems.append(f"the {name} part {problem}")
            clean = False
        decoded.append(data)
    if len(decoded) > 0 and decoded[0] is not None:
        parsed.header = _json_object(decoded[0], "header", problems)
    if len(decoded) > 1 and decoded[1] is not None:
        parsed.payload_bytes = decoded[1]
        parsed.payload = _json_object(decoded[1], "payload", problems)
    if len(decoded) > 2:
        parsed.signature = decoded[2]
        if decoded[2] == b"" and segments[2] == "":
            problems.append("the signature part is empty (an unsigned token)")
    parsed.signing_input = (segments[0] + "." + segments[1]).encode("ascii", "replace")
    if parsed.header is not None:
        _apply_jws_header_rules(parsed, decoded[1] if len(decoded) > 1 else None, segments[0])
    parsed.strict_ok = clean and parsed.header is not None and parsed.payload is not None
    if parsed.header is not None:
        alg = parsed.header.get("alg")
        if alg is None:
            parsed.alg_problem = "the header has no 'alg'"
        elif not isinstance(alg, str):
            parsed.alg_problem = "the header's 'alg' is not a string"
        elif alg.lower() == "none":
            parsed.alg_problem = "the header says alg 'none': the token is not signed"
        elif alg in HMAC_ALGS:
            parsed.alg_problem = f"the header says alg {alg!r}: HMAC tokens are never accepted by the API server"
        if parsed.alg_problem:
            problems.append(parsed.alg_problem)
    return parsed


class KeyError_(Exception):
    """A JWK that cannot be turned into a public key."""


class Jwk(Record):
    """One key of a JWKS, with its public key or the reason it is unusable."""

    _fields = ("kid", "kty", "alg", "use", "key", "error")
    __slots__ = _fields
    kid: str | None
    kty: str | None
    alg: str | None
    use: str | None
    key: Any
    error: str | None

    def __init__(
        self,
        kid: str | None,
        kty: str | None,
        alg: str | None,
        use: str | None,
        key: Any = None,
        error: str | None = None,
    ) -> None:
        self.kid = kid
        self.kty = kty
        self.alg = alg
        self.use = use
        self.key = key
        self.error = error

    def usable_for(self, alg: str) -> bool:
        """Whether this key's type fits ``alg`` (and its declared ``alg``, if any)."""
        if self.key is None or (self.alg is not None and self.alg != alg) or self.use not in (None, "sig"):
            return False
        family = {"R": "RSA", "P": "RSA", "E": "EC"}.get(alg[0], "OKP") if alg != "EdDSA" else "OKP"
        return self.kty == family


def _b64int(v: object, name: str) -> int:
    if not isinstance(v, str):
        raise KeyError_(f"'{name}' is missing or not a string")
    data, problem = b64url_decode(v)
    if data is None:
        raise KeyError_(f"'{name}' {problem}")
    return int.from_bytes(data, "big")


def jwk_from_dict(d: dict[str, Any]) -> Jwk:
    """Build a :class:`Jwk` from its JSON form; errors are recorded, not raised.

    Each key type's module is imported only when such a key appears: importing ``ec`` alone
    costs about 5 ms, a third of the ``token`` command's start-up budget.
    """

    def s(k: str) -> str | None:
        v = d.get(k)
        return v if isinstance(v, str) else None

    jwk = Jwk(kid=s("kid"), kty=s("kty"), alg=s("alg"), use=s("use"))
    try:
        if jwk.kty == "RSA":
            from cryptography.hazmat.primitives.asymmetric import rsa

            jwk.key = rsa.RSAPublicNumbers(_b64int(d.get("e"), "e"), _b64int(d.get("n"), "n")).public_key()
        elif jwk.kty == "EC":
            from cryptography.hazmat.primitives.asymmetric import ec

            curves: dict[str, ec.EllipticCurve] = {
                "P-256": ec.SECP256R1(),
                "P-384": ec.SECP384R1(),
                "P-521": ec.SECP521R1(),
            }
            crv = s("crv")
            if crv not in curves:
                raise KeyError_(f"unsupported EC curve {crv!r}")
            jwk.key = ec.EllipticCurvePublicNumbers(
                _b64int(d.get("x"), "x"), _b64int(d.get("y"), "y"), curves[crv]
            ).public_key()
        elif jwk.kty == "OKP":
            crv = s("crv")
            x, problem = b64url_decode(s("x") or "")
            if x is None:
                raise KeyError_(f"'x' {problem}")
            if crv == "Ed25519":
                from cryptography.hazmat.primitives.asymmetric import ed25519

                jwk.key = ed25519.Ed25519PublicKey.from_public_bytes(x)
            elif crv == "Ed448":
                from cryptography.hazmat.primitives.asymmetric import ed448

                jwk.key = ed448.Ed448PublicKey.from_public_bytes(x)
            else:
                raise KeyError_(f"unsupported OKP curve {crv!r}")
        else:
            raise KeyError_(f"unsupported key type {jwk.kty!r}")
    except (KeyError_, ValueError) as e:
        jwk.error = str(e)
    return jwk


def parse_jwks(doc: object) -> list[Jwk]:
    """All keys of a JWKS document (``{"keys": [...]}``); non-objects are skipped."""
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        return []
    return [jwk_from_dict(k) for k in doc["keys"] if isinstance(k, dict)]


#: Go 1.24's crypto/rsa refuses keys under 1024 bits for every operation, verification
#: included ("crypto/rsa: 1024-bit keys minimum", golang/go#68762; GODEBUG rsa1024min=0 undoes it),
#: and kube-apiserver >= 1.33 is built with Go >= 1.24. Keys of 1024-2047 bits still verify there.
MIN_RSA_BITS = 1024


def verify_signature(alg: str, key: Any, signing_input: bytes, signature: bytes) -> bool:
    """Check one JWS signature with ``cryptography``; False on any mismatch or misuse."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes

    hash_for: dict[str, type[hashes.HashAlgorithm]] = {
        "256": hashes.SHA256,
        "384": hashes.SHA384,
        "512": hashes.SHA512,
    }
    family = alg[:2]
    try:
        # Per-family imports keep an RS256 check from loading the EC and EdDSA modules.
        if family in ("RS", "PS") and alg[2:] in hash_for:
            from cryptography.hazmat.primitives.asymmetric import padding, rsa

            if not isinstance(key, rsa.RSAPublicKey):
                return False
            if key.key_size < MIN_RSA_BITS:
                return False
            h = hash_for[alg[2:]]()
            pad = padding.PKCS1v15() if family == "RS" else padding.PSS(padding.MGF1(h), h.digest_size)
            key.verify(signature, signing_input, pad, h)
        elif family == "ES" and alg[2:] in hash_for:
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

            if not isinstance(key, ec.EllipticCurvePublicKey):
                return False
            size = (key.curve.key_size + 7) // 8
            expected_curve = {"256": 256, "384": 384, "512": 521}[alg[2:]]
            if key.curve.key_size != expected_curve or len(signature) != 2 * size:
                return False
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hash_for[alg[2:]]()))
        elif alg == "EdDSA":
            from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

            if not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
                return False
            key.verify(signature, signing_input)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        # ValueError: a key too small for the padding (a 512-bit key declared for PS512)
        return False
    return True
