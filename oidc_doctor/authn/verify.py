"""One token through kube-apiserver's JWT authenticators, in the API server's order and words.

Ported behaviour (read, not copied): k8s.io/apiserver ``plugin/pkg/authenticator/token/oidc/
oidc.go`` (``AuthenticateToken``, ``untrustedIssuer``, claim mappings, distributed claims, CEL
rules) at commit 24a394e516bfda066d7e2221d7d92c052de27c54, and coreos/go-oidc v2 ``verify.go``
(``IDTokenVerifier.Verify``) and ``remote_jwks.go``. The order is:

issuer pre-check (mismatch: not handled) -> verifier ready -> go-oidc: JWS parse, claims JSON,
``_claim_names`` sources, issuer, audience (one configured audience only), expiry, nbf (60 s
leeway), signature count, algorithm allow-list (before any key), signature -> several
audiences (MatchAny) -> distributed claims -> username -> groups -> uid -> extra -> required
claims -> claim validation rules -> user validation rules.

Pure: keys and HTTP come in through :class:`KeySet` and :class:`Fetcher` objects; the bundle
deriver passes static keys (or none) and no fetcher, so it never touches the network.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from oidc_doctor.authn.goformat import (
    GO_ZERO_TIME,
    quote,
    quote_list,
    time_string,
    unix_time,
    unmarshal_error,
    unmarshal_field_error,
)
from oidc_doctor.authn.model import ApiServerAuth, JWTAuthenticator
from oidc_doctor.authn.validation import Compiled, validate_settings
from oidc_doctor.jose import Jwk, go_jose_signing_input, parse_jwks, verify_signature
from oidc_doctor.record import dataclass, field

CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id"
NBF_LEEWAY = timedelta(minutes=1)


@dataclass
class UserInfo:
    """``user.DefaultInfo`` as the authenticator returns it (before ``system:authenticated``)."""

    username: str
    uid: str = ""
    groups: list[str] = field(default_factory=list)
    extra: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"username", "uid", "groups", "extra"}``."""
        return {"username": self.username, "uid": self.uid, "groups": list(self.groups), "extra": dict(self.extra)}


@dataclass
class Prediction:
    """What the API server would do with one token.

    ``stage`` names the step that decided (``issuer``, ``audience``, ``expired``, ``nbf``,
    ``alg``, ``signature``, ``username``, ``email-verified``, ``groups``, ``uid``, ``extra``,
    ``required-claim``, ``claim-rule``, ``user-rule``, ``distributed``, ``claims-json``,
    ``malformed``, ``not-initialized``, ``config``, ``accepted``). ``signature`` is
    ``verified``, ``failed``, ``not-checked`` (no keys: said, never pretended) or ``n/a``.
    """

    handled: bool
    authenticated: bool
    user: UserInfo | None = None
    error: str | None = None
    stage: str = ""
    authenticator: int | None = None
    issuer: str | None = None
    signature: str = "n/a"
    claim: str | None = None
    notes: list[str] = field(default_factory=list)
    #: What a server whose keys come from the issuer's JWKS would log, when it differs.
    remote_error: str | None = None
    #: Configuration errors: kube-apiserver's whole start-up message (``error`` holds the
    #: authenticator's own validation message, as ``oidc.New`` returns it).
    startup_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``predict`` JSON (contract keys first, extras after)."""
        return {
            "handled": self.handled,
            "authenticated": self.authenticated,
            "user": self.user.to_json() if self.user else None,
            "error": self.error,
            "authenticator": self.authenticator,
            "issuer": self.issuer,
            "stage": self.stage,
            "signature": self.signature,
            "startup_error": self.startup_error,
            "remote_error": self.remote_error,
            "notes": list(self.notes),
        }


class FetchError(Exception):
    """An HTTP request failed before a response (Go's ``url.Error`` text)."""


class Fetcher(Protocol):
    """HTTP GET with the issuer's CA and explicit timeouts (only ``predict`` has one)."""

    def get(self, url: str, headers: dict[str, str], ca_pem: str) -> tuple[int, str, bytes, str]:
        """(status code, Go status text such as ``404 Not Found``, body, content type)."""
        ...


class KeySet(Protocol):
    """Where signature keys come from."""

    def verify(self, header: dict[str, Any], signing_input: bytes, signature: bytes, alg: str) -> str | None:
        """None when verified, else go-oidc's ``VerifySignature`` error text; raises NoKeys."""
        ...


class NoKeys(Exception):
    """No key material at all: the signature cannot be checked offline."""


class NoKeySet:
    """A key set with no keys: the signature is reported ``not-checked``, never verified."""

    def verify(self, header: dict[str, Any], signing_input: bytes, signature: bytes, alg: str) -> str | None:
        """Always raises :class:`NoKeys`."""
        raise NoKeys


def _verifies(keys: list[Jwk], kid: str | None, alg: str, signing_input: bytes, sig: bytes) -> bool:
    # go-oidc remote_jwks.go: keys whose kid matches, or every key when the token has no kid.
    return any(
        k.key is not None and (not kid or k.kid == kid) and verify_signature(alg, k.key, signing_input, sig)
        for k in keys
    )


@dataclass
class StaticKeys:
    """Keys given out of band (``--jwks``, a JWKS in the bundle).

    Behaves as upstream oidc_test.go's ``staticKeySet`` (the key set TestToken asserts):
    the key whose ``kid`` equals the token's is used; none gives ``no keys matches jwk keyid``.
    A real API server refetches its JWKS instead and says ``failed to verify id token
    signature`` (see :attr:`Prediction.remote_error`).
    """

    keys: list[Jwk]

    def verify(self, header: dict[str, Any], signing_input: bytes, signature: bytes, alg: str) -> str | None:
        """Check with the key of the token's ``kid``."""
        kid = header.get("kid") if isinstance(header.get("kid"), str) else ""
        for k in self.keys:
            if (k.kid or "") == kid:
                if k.key is not None and verify_signature(alg, k.key, signing_input, signature):
                    return None
                return "go-jose/go-jose: error in cryptographic primitive"
        return "no keys matches jwk keyid"


@dataclass
class BundleKeys:
    """A JWKS copied into a bundle, judged as kube-apiserver judges its fetched key set.

    go-oidc's remote key set tries the keys whose ``kid`` matches (all keys when the token has
    none); when none verifies it refetches and then says ``failed to verify id token
    signature``. Offline there is no refetch: the copy is what the issuer served.
    """

    keys: list[Jwk]

    def verify(self, header: dict[str, Any], signing_input: bytes, signature: bytes, alg: str) -> str | None:
        """None when a key verifies, else the remote key set's final error."""
        if not any(k.key is not None for k in self.keys):
            raise NoKeys
        kid = header.get("kid") if isinstance(header.get("kid"), str) else ""
        if _verifies(self.keys, kid, alg, signing_input, signature):
            return None
        return "failed to verify id token signature"


@dataclass
class RemoteKeys:
    """go-oidc v2 ``remoteKeySet``: cached keys, then one refetch from ``jwks_uri``."""

    jwks_uri: str
    fetcher: Fetcher
    ca_pem: str
    cached: list[Jwk] = field(default_factory=list)
    #: Why these keys came over plain http ("" when they did not): then they never verify a
    #: signature for this tool, which reports it not checked (kube-apiserver would use them).
    plain_http: str = ""

    def verify(self, header: dict[str, Any], signing_input: bytes, signature: bytes, alg: str) -> str | None:
        """Cached keys first; on a miss, refetch and retry (remote_jwks.go)."""
        kid = header.get("kid") if isinstance(header.get("kid"), str) else ""
        if self.plain_http:
            raise NoKeys(self.plain_http)
        if _verifies(self.cached, kid, alg, signing_input, signature):
            return None
        try:
            status, status_text, body, ctype = self.fetcher.get(self.jwks_uri, {}, self.ca_pem)
        except FetchError as e:
            return f"fetching keys oidc: get keys failed {e}"
        if status != 200:
            return f"fetching keys oidc: get keys failed: {status_text} {body.decode('utf-8', 'replace')}"
        try:
            doc = json.loads(body)
        except ValueError:
            text = body.decode("utf-8", "replace")
            return f"fetching keys oidc: failed to decode keys: {unmarshal_resp_error(ctype, body)} {text}"
        self.cached = parse_jwks(doc)
        if self.jwks_uri.startswith("http://") or self.jwks_uri in getattr(self.fetcher, "plain_http", ()):
            self.plain_http = self.plain_http or f"the JWKS came over plain http ({self.jwks_uri})"
        if self.plain_http:
            self.cached = []
            raise NoKeys(self.plain_http)
        if _verifies(self.cached, kid, alg, signing_input, signature):
            return None
        return "failed to verify id token signature"


def unmarshal_resp_error(ctype: str, body: bytes) -> str:
    """go-oidc ``unmarshalResp``'s error for a body that is not JSON."""
    err = _go_json_syntax(body)
    mt = ctype.split(";")[0].strip().lower()
    if mt == "application/json":
        return f"got Content-Type = application/json, but could not unmarshal as JSON: {err}"
    return f"expected Content-Type = application/json, got {quote(ctype)}: {err}"


# --- token pieces -----------------------------------------------------------------------------


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _raw_url_decode(seg: str) -> bytes | None:
    # Go base64.RawURLEncoding: no padding, URL alphabet (trailing bits are not checked).
    if len(seg) % 4 == 1 or not set(seg) <= _B64URL:
        return None
    try:
        return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
    except (binascii.Error, ValueError):
        return None


def _no_constants(name: str) -> Any:
    raise ValueError(f"invalid character in {name}")  # Go's JSON has no NaN/Infinity


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        v = json.loads(data.decode("utf-8", "replace"), parse_constant=_no_constants)
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def untrusted_issuer_or_error(token: str) -> tuple[str | None, str]:
    """oidc.go ``untrustedIssuer``: (unverified ``iss``, "") or (None, its error text)."""
    if token.strip().startswith("{"):
        return None, "token is not compact JWT"
    parts = token.split(".")
    if len(parts) != 3:
        return None, "malformed token"
    payload = _raw_url_decode(parts[1])
    if payload is None:
        return None, f"error decoding token: {_go_b64_error(parts[1])}"
    claims = _json_object(payload)
    if claims is None:
        try:
            value = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            return None, f"while unmarshaling token: {_go_json_syntax(payload)}"
        return None, "while unmarshaling token: " + unmarshal_error(value, 'struct { Issuer string "json:\\"iss\\"" }')
    iss: Any = ""
    for key, value in claims.items():
        if key.lower() == "iss":  # encoding/json matches struct tags case-insensitively
            if value is not None and not isinstance(value, str):
                return None, "while unmarshaling token: " + unmarshal_field_error(value, "", "iss", "string")
            iss = value or ""
    return ("https://accounts.google.com" if iss == "accounts.google.com" else iss), ""


def untrusted_issuer(token: str) -> str | None:
    """The unverified ``iss`` (Google's bare form mapped), or None when the token is not a JWT."""
    return untrusted_issuer_or_error(token)[0]


class _Unfetched(Exception):
    """Offline: the API server would fetch a distributed claim here; its answer is unknown."""

    def __init__(self, endpoint: str, claim: str) -> None:
        super().__init__(endpoint)
        self.endpoint = endpoint
        self.claim = claim


class _Unsupported(Exception):
    """An expression uses a CEL feature this engine lacks: the outcome is unknown."""

    def __init__(self, source: str, feature: str) -> None:
        super().__init__(feature)
        self.source = source
        self.feature = feature


def _run(prog: Any, value: Any) -> Any:
    r = prog.eval(value)
    if r.kind == "unsupported":
        raise _Unsupported(prog.source, str(r.value))
    return r


class _Reject(Exception):
    def __init__(self, stage: str, message: str, claim: str | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.claim = claim


def _json_time(v: Any, name: str) -> datetime:
    # go-oidc jsonTime: a JSON number (int, or float truncated), or a string holding one.
    if v is None:
        raise _Reject("claims-json", 'oidc: failed to unmarshal claims: strconv.ParseFloat: parsing "": invalid syntax')
    if isinstance(v, bool) or isinstance(v, dict | list):
        raise _Reject("claims-json", "oidc: failed to unmarshal claims: " + unmarshal_error(v, "json.Number"))
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            raise _Reject(
                "claims-json",
                f"oidc: failed to unmarshal claims: json: invalid number literal, trying to unmarshal "
                f"{quote(json.dumps(v))} into Number",
            ) from None
        v = f
    return _go_unix(_go_seconds(v))


def _go_seconds(v: float | int) -> int:
    # json.Number.Int64(), else int64(Float64()): out-of-range floats become math.MinInt64 on amd64.
    if isinstance(v, int) and -(2**63) <= v < 2**63:
        return v
    f = float(v)
    return int(f) if -(2**63) <= f < 2**63 else -(2**63)


_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_FAR_PAST = datetime.min.replace(tzinfo=UTC)


def _go_unix(seconds: int) -> datetime:
    """``time.Unix(seconds, 0)``; beyond Python's years it compares as far future/past."""
    t = unix_time(seconds)
    if t is not None:
        return t
    return _FAR_FUTURE if seconds > 0 else _FAR_PAST


@dataclass
class _IDToken:
    claims: dict[str, Any]
    audience: list[str]
    expiry: datetime
    expiry_unix: int | None
    nbf: datetime | None
    issuer: str = ""


def _go_b64_error(seg: str) -> str:
    # base64.RawURLEncoding's CorruptInputError: the offset of the first byte it cannot use.
    for i, ch in enumerate(seg):
        if ch not in _B64URL:
            return f"illegal base64 data at input byte {i}"
    return f"illegal base64 data at input byte {len(seg) - 1 if len(seg) % 4 == 1 else len(seg)}"


def _go_json_syntax(data: bytes) -> str:
    text = data.decode("utf-8", "replace").lstrip(" \t\r\n")
    if not text:
        return "unexpected end of JSON input"
    ch = text[0]
    for literal in ("null", "true", "false"):
        if ch == literal[0]:
            for i, want in enumerate(literal):
                if i >= len(text):
                    return "unexpected end of JSON input"
                if text[i] != want:
                    return f"invalid character '{text[i]}' in literal {literal} (expecting '{want}')"
    if ch not in '{["-0123456789':
        return f"invalid character '{ch}' looking for beginning of value"
    return "unexpected end of JSON input"


def _jose_parse(token: str) -> tuple[dict[str, Any], bytes]:
    """go-jose v2 ``ParseSigned`` (compact): the protected header and the signature."""
    parts = token.split(".")
    decoded = []
    for seg in parts:
        raw = seg.rstrip("=")
        data = _raw_url_decode(raw)
        if data is None:
            raise _Reject("malformed", f"oidc: malformed jwt: {_go_b64_error(raw)}")
        decoded.append(data)
    header_b, _payload, sig = decoded
    if not header_b:
        return {}, sig
    header = _json_object(header_b)
    if header is None:
        raise _Reject(
            "malformed",
            "oidc: malformed jwt: go-jose/go-jose: invalid protected header: "
            f"{_go_json_syntax(header_b)}, {header_b.decode('utf-8', 'replace')}",
        )
    return header, sig


_STRING_FIELDS = ("iss", "sub", "nonce", "at_hash")
_TIME_FIELDS = ("exp", "iat", "nbf")


def _parse_id_token(token: str) -> tuple[dict[str, Any], bytes, bytes, _IDToken]:
    parts = token.split(".")
    header, sig = _jose_parse(token)
    payload = _raw_url_decode(parts[1])
    claims = _json_object(payload or b"") or {}
    # json.Unmarshal(payload, &idToken): keys match struct tags case-insensitively (the last
    # match wins); a custom UnmarshalJSON (aud, exp, iat, nbf) failing aborts at once, while a
    # plain type error is remembered and returned at the end.
    fields: dict[str, Any] = {}
    first_type_error: str | None = None
    for key, v in claims.items():
        name = key.lower()
        if name in _STRING_FIELDS:
            if v is not None and not isinstance(v, str):
                first_type_error = first_type_error or unmarshal_field_error(v, "idToken", name, "string")
        elif name == "aud":
            if v is not None and not isinstance(v, str):
                if not isinstance(v, list):
                    raise _Reject("claims-json", "oidc: failed to unmarshal claims: " + unmarshal_error(v, "[]string"))
                for x in v:
                    if x is not None and not isinstance(x, str):
                        raise _Reject(
                            "claims-json", "oidc: failed to unmarshal claims: " + unmarshal_error(x, "string")
                        )
        elif name in _TIME_FIELDS:
            if not (name == "nbf" and v is None):
                _json_time(v, name)
        elif name == "_claim_names" and v is not None:
            if not isinstance(v, dict):
                first_type_error = first_type_error or unmarshal_field_error(
                    v, "idToken", "_claim_names", "map[string]string"
                )
            else:
                for x in v.values():
                    if x is not None and not isinstance(x, str):
                        first_type_error = first_type_error or unmarshal_field_error(
                            x, "idToken", "_claim_names", "string"
                        )
        elif name == "_claim_sources" and v is not None:
            if not isinstance(v, dict):
                first_type_error = first_type_error or unmarshal_field_error(
                    v, "idToken", "_claim_sources", "map[string]oidc.claimSource"
                )
            else:
                for src in v.values():
                    if src is not None and not isinstance(src, dict):
                        first_type_error = first_type_error or unmarshal_field_error(
                            src, "idToken", "_claim_sources", "oidc.claimSource"
                        )
                    elif isinstance(src, dict):
                        for fk in ("endpoint", "access_token"):
                            fv = src.get(fk)
                            if fv is not None and not isinstance(fv, str):
                                first_type_error = first_type_error or unmarshal_field_error(
                                    fv, "claimSource", f"_claim_sources.{fk}", "string"
                                )
        else:
            continue
        fields[name] = v
    if first_type_error is not None:
        raise _Reject("claims-json", "oidc: failed to unmarshal claims: " + first_type_error)
    aud_raw = fields.get("aud")
    if "aud" in fields and aud_raw is None:
        audience = [""]  # go-oidc's audience.UnmarshalJSON turns null into one empty string
    elif isinstance(aud_raw, str):
        audience = [aud_raw]
    else:
        audience = ["" if x is None else x for x in aud_raw or []]
    exp_raw = fields.get("exp")
    expiry = _json_time(exp_raw, "exp") if "exp" in fields else GO_ZERO_TIME
    expiry_unix = None
    if isinstance(exp_raw, int | float | str) and not isinstance(exp_raw, bool):
        expiry_unix = _go_seconds(float(exp_raw) if isinstance(exp_raw, str) else exp_raw)
    nbf = _json_time(fields["nbf"], "nbf") if fields.get("nbf") is not None else None
    return (
        header,
        go_jose_signing_input(header, parts[0], parts[1], payload),
        sig,
        _IDToken(claims, audience, expiry, expiry_unix, nbf, str(fields.get("iss") or "")),
    )


@dataclass
class Verifier:
    """go-oidc ``IDTokenVerifier`` plus oidc.go's multi-audience check."""

    issuer: str
    audiences: list[str]
    algs: list[str]
    keys: KeySet | None
    now: datetime

    def verify(self, token: str) -> tuple[_IDToken, str]:
        """Verified claims and the signature state; raises :class:`_Reject` with go-oidc's text."""
        header, signing_input, sig, t = _parse_id_token(token)
        names = t.claims.get("_claim_names") or {}
        sources = t.claims.get("_claim_sources") or {}
        for _cn, src in names.items():
            if src == "" or src is None:
                raise _Reject("distributed", "oidc: failed to obtain source from claim name")
            if src not in sources:
                raise _Reject("distributed", "oidc: source does not exist")
        iss = t.issuer
        if iss != self.issuer and not (self.issuer == "https://accounts.google.com" and iss == "accounts.google.com"):
            raise _Reject(
                "issuer",
                f"oidc: id token issued by a different provider, expected {quote(self.issuer)} got {quote(iss)}",
            )
        if len(self.audiences) == 1 and self.audiences[0] not in t.audience:
            raise _Reject(
                "audience", f"oidc: expected audience {quote(self.audiences[0])} got {quote_list(t.audience)}", "aud"
            )
        if t.expiry < self.now:
            shown = (
                time_string(t.expiry)
                if t.expiry_unix is None or unix_time(t.expiry_unix)
                else time_string(None, unix=t.expiry_unix)
            )
            raise _Reject("expired", f"oidc: token is expired (Token Expiry: {shown})", "exp")
        if t.nbf is not None and t.nbf - self.now > NBF_LEEWAY:  # no overflow at the calendar's end
            raise _Reject(
                "nbf",
                f"oidc: current time {time_string(self.now)} before the nbf (not before) time: {time_string(t.nbf)}",
                "nbf",
            )
        alg = header.get("alg") if isinstance(header.get("alg"), str) else ""
        assert isinstance(alg, str)
        if alg not in self.algs:
            raise _Reject(
                "alg",
                f"oidc: id token signed with unsupported algorithm, expected {quote_list(self.algs)} got {quote(alg)}",
            )
        state = "not-checked"
        if self.keys is not None:
            try:
                err = self.keys.verify(header, signing_input, sig, alg)
            except NoKeys:
                err = None
            else:
                if err is not None:
                    raise _Reject("signature", f"failed to verify signature: {err}")
                state = "verified"
        if len(self.audiences) > 1 and not set(self.audiences) & set(t.audience):
            raise _Reject(
                "audience",
                f"oidc: expected audience in {quote_list(sorted(set(self.audiences)))} got {quote_list(t.audience)}",
                "aud",
            )
        return t, state


# --- claims decoding (Go encoding/json into string / bool / []string) ------------------------


def _as_string(claims: dict[str, Any], name: str) -> str:
    if name not in claims:
        raise ValueError("claim not present")
    v = claims[name]
    if v is None:
        return ""
    if not isinstance(v, str):
        raise ValueError(unmarshal_error(v, "string"))
    return v


def _as_bool(claims: dict[str, Any], name: str) -> bool:
    v = claims[name]
    if v is None:
        return False
    if not isinstance(v, bool):
        raise ValueError(unmarshal_error(v, "bool"))
    return v


def _string_or_array(v: Any) -> list[str]:
    # oidc.go stringOrArray: []string first, then string; the string attempt's error is returned.
    if v is None:
        return []
    if isinstance(v, list) and all(x is None or isinstance(x, str) for x in v):
        return ["" if x is None else x for x in v]
    if isinstance(v, str):
        return [v]
    raise ValueError(unmarshal_error(v, "string"))


def _cel_strings(result: Any) -> list[str]:
    # convertCELValueToStringList: "", [] and null are "none"; empty list elements are dropped.
    if result.kind == "string":
        return [result.value] if result.value else []
    if result.kind == "list":
        out: list[str] = []
        for x in result.value:
            if not isinstance(x, str):
                raise ValueError("expression must return a string or a list of strings")
            if x:
                out.append(x)
        return out
    if result.kind == "null":
        return []
    raise ValueError("expression must return a string or a list of strings")


# --- the authenticator ------------------------------------------------------------------------


@dataclass
class Authenticator:
    """One configured JWT authenticator, ready to judge tokens."""

    config: JWTAuthenticator
    compiled: Compiled
    verifier: Verifier | None  # None: not initialised (discovery failed)
    index: int = 0
    init_error: str | None = None
    #: Fetches a distributed claim: (claim, _claim_sources entry, this authenticator) -> value.
    resolver: Callable[[str, dict[str, Any], Any], Any] | None = None

    def authenticate(self, token: str) -> Prediction:
        """``AuthenticateToken``."""
        url = self.config.issuer.url
        if untrusted_issuer(token) != url:
            return Prediction(handled=False, authenticated=False, stage="issuer", issuer=url, authenticator=self.index)
        base = Prediction(handled=True, authenticated=False, issuer=url, authenticator=self.index)
        if self.verifier is None:
            base.error = "oidc: authenticator not initialized"
            base.stage = "not-initialized"
            if self.init_error:
                base.notes.append(f"oidc: authenticator for issuer {quote(url)} is not healthy: {self.init_error}")
            return base
        try:
            t, sig_state = self.verifier.verify(token)
        except _Reject as r:
            base.error = f"oidc: verify token: {r.message}"
            base.stage, base.claim = r.stage, r.claim
            if r.stage == "signature":
                base.signature = "failed"
                base.remote_error = (
                    "oidc: verify token: failed to verify signature: failed to verify id token signature"
                )
            return base
        base.signature = sig_state
        if sig_state == "not-checked":
            why = getattr(self.verifier.keys, "plain_http", "") or "no keys (JWKS) were available"
            base.notes.append(f"the signature was not checked: {why}")
        claims = dict(t.claims)
        try:
            self._expand(claims)
            user = self._map(claims)
        except _Unsupported as u:
            base.stage = "cel-unsupported"
            base.notes.append(
                f"the expression '{u.source}' uses {u.feature}, which this emulation cannot evaluate: "
                "the outcome is unknown"
            )
            return base
        except _Unfetched as u:
            base.stage, base.claim = "distributed-unfetched", u.claim
            base.notes.append(
                f"the {u.claim!r} claim is distributed: the API server would fetch {u.endpoint} and verify the JWT "
                "it returns; that was not done offline, so the outcome is unknown"
            )
            return base
        except _Reject as r:
            base.error, base.stage, base.claim = r.message, r.stage, r.claim
            return base
        base.authenticated = True
        base.user = user
        base.stage = "accepted"
        return base

    def _expand(self, claims: dict[str, Any]) -> None:
        gclaim = self.config.claim_mappings.groups.claim
        if not gclaim or gclaim in claims or "_claim_names" not in claims:
            return
        names = claims.get("_claim_names") or {}
        sources = claims.get("_claim_sources")
        if sources is None:
            raise _Reject("distributed", "oidc: could not expand distributed claims: oidc: no claim sources", gclaim)
        src = names.get(gclaim)
        if src is None:
            return
        ep = sources.get(src)
        if not isinstance(ep, dict):
            raise _Reject(
                "distributed",
                f"oidc: could not expand distributed claims: id token _claim_names contained a source {src} "
                "missing in _claims_sources",
                gclaim,
            )
        endpoint = ep.get("endpoint") or ""
        if not endpoint:
            return  # an aggregated claim (JWT): not supported, silently ignored
        if self.resolver is None:
            raise _Unfetched(str(endpoint), gclaim)
        try:
            value = self.resolver(gclaim, ep, self)
        except _Reject as r:
            raise _Reject("distributed", f"oidc: could not expand distributed claims: {r.message}", gclaim) from None
        claims[gclaim] = value

    def _map(self, claims: dict[str, Any]) -> UserInfo:
        m = self.config.claim_mappings
        c = self.compiled
        cel_claims: Any = None
        if c.username or c.groups or c.uid or c.extra or c.claim_rules:
            from oidc_doctor.authn.cel import to_cel

            cel_claims = to_cel(claims)
        # username
        if c.username is not None:
            r = _run(c.username, cel_claims)
            if r.kind == "error":
                raise _Reject(
                    "username",
                    f"oidc: error evaluating username claim expression: expression '{m.username.expression}' "
                    f"resulted in error: {r.value}",
                )
            if r.kind != "string":
                raise _Reject(
                    "username",
                    "oidc: error evaluating username claim expression: username claim expression must return a string",
                )
            if r.value == "":
                raise _Reject("username", "oidc: empty username via CEL expression is not allowed")
            username = r.value
        else:
            claim = m.username.claim
            try:
                username = _as_string(claims, claim)
            except ValueError as e:
                raise _Reject("username", f"oidc: parse username claims {quote(claim)}: {e}", claim) from None
            if claim == "email" and "email_verified" in claims:
                try:
                    verified = _as_bool(claims, "email_verified")
                except ValueError as e:
                    raise _Reject(
                        "email-verified", f"oidc: parse 'email_verified' claim: {e}", "email_verified"
                    ) from None
                if not verified:
                    raise _Reject("email-verified", "oidc: email not verified", "email_verified")
            if m.username.prefix:
                username = m.username.prefix + username
        user = UserInfo(username=username)
        # groups
        gclaim = m.groups.claim
        if gclaim and gclaim in claims:
            try:
                groups = _string_or_array(claims[gclaim])
            except ValueError as e:
                raise _Reject("groups", f"oidc: parse groups claim {quote(gclaim)}: {e}", gclaim) from None
            if m.groups.prefix:
                groups = [m.groups.prefix + g for g in groups]
            user.groups = groups
        elif c.groups is not None:
            r = _run(c.groups, cel_claims)
            if r.kind == "error":
                raise _Reject(
                    "groups",
                    f"oidc: error evaluating group claim expression: expression '{m.groups.expression}' "
                    f"resulted in error: {r.value}",
                )
            try:
                user.groups = _cel_strings(r)
            except ValueError as e:
                raise _Reject("groups", f"oidc: error evaluating group claim expression: {e}") from None
        # uid
        if m.uid.claim:
            try:
                user.uid = _as_string(claims, m.uid.claim)
            except ValueError as e:
                raise _Reject("uid", f"oidc: parse uid claim {quote(m.uid.claim)}: {e}", m.uid.claim) from None
        elif c.uid is not None:
            r = _run(c.uid, cel_claims)
            if r.kind == "error":
                raise _Reject(
                    "uid",
                    f"oidc: error evaluating uid claim expression: expression '{m.uid.expression}' "
                    f"resulted in error: {r.value}",
                )
            if r.kind != "string":
                raise _Reject(
                    "uid", "oidc: error evaluating uid claim expression: uid claim expression must return a string"
                )
            user.uid = r.value
        # extra
        extra: dict[str, list[str]] = {}
        jti = claims.get("jti")
        if isinstance(jti, str) and jti:
            extra[CREDENTIAL_ID_KEY] = [f"JTI={jti}"]
        results = []
        for key, expr, prog in c.extra:
            r = _run(prog, cel_claims)
            if r.kind == "error":
                # oidc.go returns the mapper's error unwrapped here.
                raise _Reject("extra", f"expression '{expr}' resulted in error: {r.value}")
            results.append((key, expr, r))
        for key, expr, r in results:
            try:
                values = _cel_strings(r)
            except ValueError as e:
                raise _Reject("extra", f"oidc: error evaluating extra claim expression: {expr}: {e}") from None
            if values:
                extra[key] = values
        user.extra = extra
        # required claims (claimValidationRules with claim)
        for rule in self.config.claim_validation_rules:
            if not rule.claim:
                continue
            if rule.claim not in claims:
                raise _Reject(
                    "required-claim", f"oidc: required claim {rule.claim} not present in ID token", rule.claim
                )
            try:
                value = _as_string(claims, rule.claim)
            except ValueError as e:
                raise _Reject("required-claim", f"oidc: parse claim {rule.claim}: {e}", rule.claim) from None
            if value != rule.required_value:
                raise _Reject(
                    "required-claim",
                    f"oidc: required claim {rule.claim} value does not match. Got = {value}, want = "
                    f"{rule.required_value}",
                    rule.claim,
                )
        # CEL claim validation rules: evaluate all (first runtime error wins), then first false.
        if c.claim_rules:
            self._rules(c.claim_rules, cel_claims, "oidc: error evaluating claim validation expression: ", "claim-rule")
        if c.user_rules:
            from oidc_doctor.authn.cel import to_cel

            uval = to_cel(
                {"username": user.username, "uid": user.uid, "groups": list(user.groups), "extra": dict(user.extra)}
            )
            self._rules(c.user_rules, uval, "oidc: error evaluating user info validation rule: ", "user-rule")
        return user

    @staticmethod
    def _rules(rules: list[tuple[str, str, Any]], value: Any, prefix: str, stage: str) -> None:
        results = []
        for expr, message, prog in rules:
            r = _run(prog, value)
            if r.kind == "error":
                raise _Reject(stage, f"{prefix}expression '{expr}' resulted in error: {r.value}")
            results.append((expr, message, r))
        for expr, message, r in results:
            if r.kind != "bool":
                raise _Reject(stage, f"{prefix}validation expression must return a boolean")
            if not r.value:
                raise _Reject(stage, f"{prefix}validation expression '{expr}' failed: {message}")


def predict(
    token: str | None,
    auth: ApiServerAuth,
    now: datetime,
    keys_for: Callable[[JWTAuthenticator], tuple[KeySet | None, str | None]],
    resolver_for: Callable[[JWTAuthenticator, Verifier], Any] | None = None,
) -> Prediction:
    """Run the API server's JWT authenticators over ``token`` (None: validate the config only).

    ``keys_for`` returns the key set of an authenticator, or (None, init error) when its
    verifier would not initialise (discovery failed) — the token then gets ``oidc:
    authenticator not initialized``. Without any key material pass a key set raising
    :class:`NoKeys`: the signature is then reported ``not-checked``.
    """
    verdict = validate_settings(auth)
    if verdict.startup_error is not None:
        msg = verdict.startup_error
        if len(auth.authenticators) == 1 and verdict.per_authenticator[0].message():
            # oidc.New's own wording (relative paths), as upstream oidc_test.go asserts it.
            msg = verdict.per_authenticator[0].message() or msg
        p = Prediction(handled=False, authenticated=False, error=msg, stage="config")
        p.startup_error = verdict.startup_error
        if msg != verdict.startup_error:
            p.notes.append(f"kube-apiserver refuses to start: {verdict.startup_error}")
        return p
    if token is None:
        return Prediction(handled=False, authenticated=False, stage="config-only")
    for i, (a, v) in enumerate(zip(auth.authenticators, verdict.per_authenticator, strict=True)):
        if untrusted_issuer(token) != a.issuer.url:
            continue
        keys, init_error = keys_for(a)
        verifier = None
        if init_error is None:
            verifier = Verifier(a.issuer.url, list(a.issuer.audiences), list(auth.signing_algs), keys, now)
        authn = Authenticator(a, v.compiled, verifier, i, init_error)
        if resolver_for is not None and verifier is not None:
            authn.resolver = resolver_for(a, verifier)
        return authn.authenticate(token)
    p = Prediction(handled=False, authenticated=False, stage="issuer")
    iss, why = untrusted_issuer_or_error(token)
    if iss is None:
        p.notes.append(
            f"no JWT authenticator reads this token ({why}): kube-apiserver logs only `invalid bearer token`"
        )
    elif iss in auth.disallowed_issuers:
        p.notes.append(
            f"the token's iss {iss!r} is a --service-account-issuer: kube-apiserver's service-account "
            "authenticator judges it, not a JWT authenticator"
        )
    return p


#: Stages where the emulation could not reach a verdict (the outcome is unknown, not a rejection).
UNKNOWN_STAGES = frozenset(("cel-unsupported", "distributed-unfetched"))

#: The exception a failed step raises; ``.stage`` and ``.message`` say where and what.
Rejected = _Reject


def reject(stage: str, message: str) -> Exception:
    """An error for resolvers to raise (wrapped as ``oidc: could not expand distributed claims``)."""
    return _Reject(stage, message)
