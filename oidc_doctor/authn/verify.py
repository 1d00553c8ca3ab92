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
from types import MappingProxyType
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
from oidc_doctor.authn.validation import Compiled, ConfigVerdict, validate_settings
from oidc_doctor.dates import UTC, datetime, timedelta
from oidc_doctor.jose import Jwk, go_jose_signing_input, is_claims_only, parse_jwks, verify_signature
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


#: Where each step of the trace is done upstream (k8s.io/apiserver at the commit the module names,
#: and coreos/go-oidc v2 ``verify.go``): the trace cites these.
CITES = {
    "config": "k8s.io/apiserver pkg/apis/apiserver/validation/validation.go ValidateAuthenticationConfiguration; "
    "oidc.go New",
    "issuer": "oidc.go hasCorrectIssuer/untrustedIssuer; pkg/authentication/token/union/union.go (first answer wins)",
    "verifier": "oidc.go AuthenticateToken (idTokenVerifier not ready)",
    "parse": "go-oidc verify.go IDTokenVerifier.Verify (parseJWT, json.Unmarshal of the payload)",
    "claim-sources": "go-oidc verify.go (every _claim_names entry needs a _claim_sources source)",
    "audience": "go-oidc verify.go (one configured audience: ClientID, checked before expiry)",
    "audience-any": "oidc.go idTokenVerifier.verifyAudience (several audiences: audienceMatchPolicy MatchAny)",
    "expiry": "go-oidc verify.go (exp before now: expired, no leeway)",
    "nbf": "go-oidc verify.go (nbf more than 60 s after now)",
    "iat": "go-oidc verify.go (iat is read, never checked)",
    "alg": "go-oidc verify.go (SupportedSigningAlgs, checked before any key)",
    "signature": "go-oidc verify.go keySet.VerifySignature (remote_jwks.go)",
    "distributed": "oidc.go claimResolver.expand",
    "username": "oidc.go getUsername",
    "email-verified": "oidc.go getUsername (claim email: email_verified must be true when present)",
    "groups": "oidc.go getGroups",
    "uid": "oidc.go getUID",
    "extra": "oidc.go getExtra (and getCredentialID for jti)",
    "required-claim": "oidc.go AuthenticateToken (requiredClaims, after the mappings)",
    "claim-rule": "oidc.go AuthenticateToken (ClaimValidationRules, checkValidationRulesEvaluation)",
    "user-rule": "oidc.go AuthenticateToken (UserValidationRules over the mapped user)",
    "result": "oidc.go AuthenticateToken",
}


def _frozen_value(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_frozen_value(x) for x in v)
    if isinstance(v, dict):
        return MappingProxyType({str(k): _frozen_value(x) for k, x in v.items()})
    return v


def thawed(v: Any) -> Any:
    """A traced value as JSON, with any credential a string holds masked (the secrets policy)."""
    if isinstance(v, tuple):
        return [thawed(x) for x in v]
    if isinstance(v, MappingProxyType):
        return {k: thawed(x) for k, x in v.items()}
    if isinstance(v, str):
        from oidc_doctor.secrets import mask_text

        return mask_text(v)
    return v


@dataclass(frozen=True)
class TraceStep:
    """One step the authenticator took, recorded by the emulator while it ran (immutable).

    ``step`` is one of :data:`CITES`' keys; ``outcome`` is ``pass``, ``fail``, ``info``
    (a fact, nothing decided), ``skip`` (not configured), ``not-handled`` (the issuer did not
    match: not an error), ``not-tried`` (an earlier authenticator answered), ``unknown`` (the
    emulation cannot evaluate it). ``subject`` is what was checked (a claim, an expression, a
    setting), ``value`` what was seen or computed (JSON-like, read-only), ``decisive`` marks the
    step that decided the verdict, and ``error`` its exact message.
    """

    step: str
    outcome: str
    authenticator: int | None = None
    subject: str = ""
    value: Any = None
    detail: str = ""
    decisive: bool = False
    error: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _frozen_value(self.value))

    @property
    def cite(self) -> str:
        """Where upstream does this step."""
        return CITES.get(self.step, "")

    def to_json(self) -> dict[str, Any]:
        """``{"step", "outcome", "authenticator", "subject", "value", "detail", "decisive", "error", "cite"}``."""
        return {
            "step": self.step,
            "outcome": self.outcome,
            "authenticator": self.authenticator,
            "subject": thawed(self.subject),
            "value": thawed(self.value),
            "detail": thawed(self.detail),
            "decisive": self.decisive,
            "error": self.error,
            "cite": self.cite,
        }


class _Trace:
    """The steps recorded so far (the emulator appends as it runs; the prediction freezes them)."""

    def __init__(self) -> None:
        self.steps: list[TraceStep] = []
        self.authenticator: int | None = None
        #: The step running now (named when an expression cannot be evaluated).
        self.current = ""

    def add(
        self,
        step: str,
        outcome: str,
        subject: str = "",
        value: Any = None,
        detail: str = "",
        error: str | None = None,
    ) -> None:
        """Record one step of the current authenticator (``error`` makes it the decisive one)."""
        self.steps.append(
            TraceStep(
                step, outcome, self.authenticator, subject, value, detail, decisive=error is not None, error=error
            )
        )

    def fail(
        self,
        step: str,
        message: str,
        subject: str = "",
        value: Any = None,
        detail: str = "",
        stage: str | None = None,
        claim: str | None = None,
    ) -> _Reject:
        """Record the decisive failure and return the rejection to raise (``stage``: the prediction's)."""
        self.add(step, "fail", subject, value, detail, error=message)
        return _Reject(stage or step, message, claim)

    @property
    def stopped(self) -> bool:
        """Whether a decisive step was recorded."""
        return any(s.decisive for s in self.steps)


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
    #: Every step taken, in the API server's order, as the emulator recorded it.
    trace: tuple[TraceStep, ...] = ()

    def trace_json(self) -> list[dict[str, Any]]:
        """The trace as JSON (``predict --trace``)."""
        return [s.to_json() for s in self.trace]

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
    #: Where the steps are recorded (a throwaway record when nobody reads them).
    trace: _Trace = field(default_factory=lambda: _Trace())
    #: Where the allow-list comes from (for the trace): a flag, or structured config's nine.
    algs_ref: str = ""

    def verify(self, token: str) -> tuple[_IDToken, str]:
        """Verified claims and the signature state; raises :class:`_Reject` with go-oidc's text."""
        tr = self.trace
        header, signing_input, sig, t = _parse_id_token(token)
        tr.add(
            "parse",
            "pass",
            "JWS and claims",
            {"alg": header.get("alg"), "kid": header.get("kid")},
            "a compact JWS whose claims decode (aud, exp, iat, nbf of the right JSON types)",
        )
        names = t.claims.get("_claim_names") or {}
        sources = t.claims.get("_claim_sources") or {}
        for _cn, src in names.items():
            if src == "" or src is None:
                raise tr.fail(
                    "claim-sources", "oidc: failed to obtain source from claim name", str(_cn), stage="distributed"
                )
            if src not in sources:
                raise tr.fail("claim-sources", "oidc: source does not exist", str(_cn), src, stage="distributed")
        if names:
            tr.add(
                "claim-sources",
                "pass",
                "_claim_names",
                sorted(map(str, names)),
                "every distributed claim names a source",
            )
        iss = t.issuer
        if iss != self.issuer and not (self.issuer == "https://accounts.google.com" and iss == "accounts.google.com"):
            raise tr.fail(
                "issuer",
                f"oidc: id token issued by a different provider, expected {quote(self.issuer)} got {quote(iss)}",
                "iss",
                iss,
            )
        if len(self.audiences) == 1:
            want = self.audiences[0]
            detail = (
                f"one audience configured ({want!r}): go-oidc requires it in aud before checking expiry; "
                "audienceMatchPolicy plays no part"
            )
            if want not in t.audience:
                raise tr.fail(
                    "audience",
                    f"oidc: expected audience {quote(want)} got {quote_list(t.audience)}",
                    f"aud contains {want!r}",
                    t.audience,
                    detail,
                    claim="aud",
                )
            tr.add("audience", "pass", f"aud contains {want!r}", t.audience, detail)
        else:
            tr.add(
                "audience",
                "info",
                f"aud meets one of {quote_list(sorted(set(self.audiences)))}",
                t.audience,
                f"{len(self.audiences)} audiences configured: checked after the signature "
                "(audienceMatchPolicy MatchAny)",
            )
        exp_shown = iso_or_raw(t.expiry, t.expiry_unix)
        if t.expiry < self.now:
            shown = (
                time_string(t.expiry)
                if t.expiry_unix is None or unix_time(t.expiry_unix)
                else time_string(None, unix=t.expiry_unix)
            )
            raise tr.fail(
                "expiry",
                f"oidc: token is expired (Token Expiry: {shown})",
                "exp",
                exp_shown,
                f"exp {exp_shown} is before now {iso_or_raw(self.now, None)} (no leeway)",
                stage="expired",
                claim="exp",
            )
        tr.add("expiry", "pass", "exp", exp_shown, f"exp {exp_shown} is not before now {iso_or_raw(self.now, None)}")
        if t.nbf is not None and t.nbf - self.now > NBF_LEEWAY:  # no overflow at the calendar's end
            raise tr.fail(
                "nbf",
                f"oidc: current time {time_string(self.now)} before the nbf (not before) time: {time_string(t.nbf)}",
                "nbf",
                iso_or_raw(t.nbf, None),
                "nbf is more than 60 s after now",
                claim="nbf",
            )
        if t.nbf is not None:
            tr.add("nbf", "pass", "nbf", iso_or_raw(t.nbf, None), "nbf is at most 60 s after now")
        else:
            tr.add("nbf", "skip", "nbf", None, "no nbf claim: nothing to check")
        iat = t.claims.get("iat")
        tr.add(
            "iat",
            "info",
            "iat",
            iat if isinstance(iat, int | float) and not isinstance(iat, bool) else None,
            "the API server does not check iat",
        )
        alg = header.get("alg") if isinstance(header.get("alg"), str) else ""
        assert isinstance(alg, str)
        allowed = "alg on the allow-list" + (f" ({self.algs_ref})" if self.algs_ref else "")
        claims_only = is_claims_only(header)
        if claims_only:
            # Claims pasted without their token: neither the alg nor the signature can be judged.
            tr.add("alg", "unknown", allowed, None, "claims pasted without their token: the header is not known")
        elif alg not in self.algs:
            raise tr.fail(
                "alg",
                f"oidc: id token signed with unsupported algorithm, expected {quote_list(self.algs)} got {quote(alg)}",
                allowed,
                alg,
                f"allowed: {quote_list(self.algs)}; the allow-list is checked before any key",
            )
        if not claims_only:
            tr.add("alg", "pass", allowed, alg, f"allowed: {quote_list(self.algs)}")
        state = "not-checked"
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        if claims_only:
            why = "claims pasted without their token: no signature to verify"
        elif self.keys is not None:
            try:
                err = self.keys.verify(header, signing_input, sig, alg)
            except NoKeys as e:
                err = None
                why = str(e) or "no keys (JWKS) were available"
            else:
                if err is not None:
                    raise tr.fail("signature", f"failed to verify signature: {err}", "kid", kid, f"keys: {err}")
                state = "verified"
        else:
            why = "no key set"
        if state == "verified":
            tr.add("signature", "pass", "kid", kid, f"verified with a key of the issuer ({alg})")
        else:
            tr.add("signature", "unknown", "kid", kid, f"not checked: {why}")
        if len(self.audiences) > 1:
            subject = f"aud meets one of {quote_list(sorted(set(self.audiences)))} (MatchAny)"
            if not set(self.audiences) & set(t.audience):
                raise tr.fail(
                    "audience-any",
                    f"oidc: expected audience in {quote_list(sorted(set(self.audiences)))} "
                    f"got {quote_list(t.audience)}",
                    subject,
                    t.audience,
                    stage="audience",
                    claim="aud",
                )
            tr.add("audience-any", "pass", subject, t.audience, "at least one audience matches")
        return t, state


def iso_or_raw(t: datetime, unix: int | None) -> str:
    """A time as RFC 3339 UTC, or the raw seconds when Python's calendar cannot hold it."""
    if unix is not None and unix_time(unix) is None:
        return f"{unix} (seconds since 1970)"
    if t in (_FAR_FUTURE, _FAR_PAST):
        return "beyond the calendar"
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    #: Where the steps are recorded (shared with the verifier).
    trace: _Trace = field(default_factory=lambda: _Trace())

    def authenticate(self, token: str) -> Prediction:
        """``AuthenticateToken``."""
        tr = self.trace
        url = self.config.issuer.url
        if untrusted_issuer(token) != url:
            return Prediction(handled=False, authenticated=False, stage="issuer", issuer=url, authenticator=self.index)
        base = Prediction(handled=True, authenticated=False, issuer=url, authenticator=self.index)
        if self.verifier is None:
            base.error = "oidc: authenticator not initialized"
            base.stage = "not-initialized"
            why = self.init_error or "discovery or JWKS not fetched"
            tr.add("verifier", "fail", "discovery and JWKS", None, why, error=base.error)
            if self.init_error:
                base.notes.append(f"oidc: authenticator for issuer {quote(url)} is not healthy: {self.init_error}")
            return base
        self.verifier.trace = tr
        try:
            t, sig_state = self.verifier.verify(token)
        except _Reject as r:
            if not tr.stopped:  # a parse failure inside go-oidc: recorded where it stopped
                tr.add(r.stage, "fail", "", None, "", error=f"oidc: verify token: {r.message}")
            else:  # the step recorded go-oidc's own words; the API server wraps them
                last = tr.steps[-1]
                tr.steps[-1] = TraceStep(
                    last.step,
                    last.outcome,
                    last.authenticator,
                    last.subject,
                    last.value,
                    last.detail,
                    True,
                    f"oidc: verify token: {r.message}",
                )
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
            tr.add(
                tr.current or "result",
                "unknown",
                u.source,
                None,
                f"uses {u.feature}, which this emulation cannot evaluate",
            )
            return base
        except _Unfetched as u:
            base.stage, base.claim = "distributed-unfetched", u.claim
            base.notes.append(
                f"the {u.claim!r} claim is distributed: the API server would fetch {u.endpoint} and verify the JWT "
                "it returns; that was not done offline, so the outcome is unknown"
            )
            tr.add("distributed", "unknown", u.claim, u.endpoint, "not fetched offline: the outcome is unknown")
            return base
        except _Reject as r:
            if not tr.stopped:
                tr.add(r.stage, "fail", r.claim or "", None, "", error=r.message)
            base.error, base.stage, base.claim = r.message, r.stage, r.claim
            return base
        base.authenticated = True
        base.user = user
        base.stage = "accepted"
        return base

    def _expand(self, claims: dict[str, Any]) -> None:
        tr = self.trace
        tr.current = "distributed"
        gclaim = self.config.claim_mappings.groups.claim
        if not gclaim or gclaim in claims or "_claim_names" not in claims:
            return
        names = claims.get("_claim_names") or {}
        sources = claims.get("_claim_sources")
        if sources is None:
            raise tr.fail(
                "distributed", "oidc: could not expand distributed claims: oidc: no claim sources", gclaim, claim=gclaim
            )
        src = names.get(gclaim)
        if src is None:
            tr.add("distributed", "skip", gclaim, None, f"_claim_names has no entry for {gclaim!r}: no groups from it")
            return
        ep = sources.get(src)
        if not isinstance(ep, dict):
            raise tr.fail(
                "distributed",
                f"oidc: could not expand distributed claims: id token _claim_names contained a source {src} "
                "missing in _claims_sources",
                gclaim,
                claim=gclaim,
            )
        endpoint = ep.get("endpoint") or ""
        if not endpoint:
            tr.add("distributed", "skip", gclaim, None, "an aggregated claim (no endpoint): ignored by the API server")
            return  # an aggregated claim (JWT): not supported, silently ignored
        if self.resolver is None:
            raise _Unfetched(str(endpoint), gclaim)
        try:
            value = self.resolver(gclaim, ep, self)
        except _Reject as r:
            raise tr.fail(
                "distributed",
                f"oidc: could not expand distributed claims: {r.message}",
                gclaim,
                str(endpoint),
                claim=gclaim,
            ) from None
        tr.add("distributed", "pass", gclaim, value, f"fetched from {endpoint}")
        claims[gclaim] = value

    def _map(self, claims: dict[str, Any]) -> UserInfo:
        tr = self.trace
        m = self.config.claim_mappings
        c = self.compiled
        cel_claims: Any = None
        if c.username or c.groups or c.uid or c.extra or c.claim_rules:
            from oidc_doctor.authn.cel import to_cel

            cel_claims = to_cel(claims)
        # username
        tr.current = "username"
        if c.username is not None:
            subject = f"expression: {m.username.expression}"
            r = _run(c.username, cel_claims)
            if r.kind == "error":
                raise tr.fail(
                    "username",
                    f"oidc: error evaluating username claim expression: expression '{m.username.expression}' "
                    f"resulted in error: {r.value}",
                    subject,
                )
            if r.kind != "string":
                raise tr.fail(
                    "username",
                    "oidc: error evaluating username claim expression: username claim expression must return a string",
                    subject,
                    r.value,
                )
            if r.value == "":
                raise tr.fail("username", "oidc: empty username via CEL expression is not allowed", subject, "")
            username = r.value
            tr.add("username", "pass", subject, username)
        else:
            claim = m.username.claim
            prefix = m.username.prefix or ""
            subject = f"claim: {claim}" + (f", prefix {prefix!r}" if prefix else ", no prefix")
            try:
                username = _as_string(claims, claim)
            except ValueError as e:
                raise tr.fail(
                    "username", f"oidc: parse username claims {quote(claim)}: {e}", subject, claim=claim
                ) from None
            if claim == "email" and "email_verified" in claims:
                try:
                    verified = _as_bool(claims, "email_verified")
                except ValueError as e:
                    raise tr.fail(
                        "email-verified",
                        f"oidc: parse 'email_verified' claim: {e}",
                        "email_verified",
                        claims.get("email_verified"),
                        claim="email_verified",
                    ) from None
                if not verified:
                    raise tr.fail(
                        "email-verified",
                        "oidc: email not verified",
                        "email_verified",
                        claims.get("email_verified"),
                        claim="email_verified",
                    )
                tr.add(
                    "email-verified", "pass", "email_verified", True, "the username claim is email: it must be verified"
                )
            elif claim == "email":
                tr.add("email-verified", "skip", "email_verified", None, "absent: the API server accepts the email")
            if m.username.prefix:
                username = m.username.prefix + username
            tr.add("username", "pass", subject, username)
        user = UserInfo(username=username)
        # groups
        tr.current = "groups"
        gclaim = m.groups.claim
        if gclaim and gclaim in claims:
            gprefix = m.groups.prefix or ""
            subject = f"claim: {gclaim}" + (f", prefix {gprefix!r}" if gprefix else ", no prefix")
            try:
                groups = _string_or_array(claims[gclaim])
            except ValueError as e:
                raise tr.fail(
                    "groups", f"oidc: parse groups claim {quote(gclaim)}: {e}", subject, claim=gclaim
                ) from None
            if m.groups.prefix:
                groups = [m.groups.prefix + g for g in groups]
            user.groups = groups
            tr.add("groups", "pass", subject, groups)
        elif gclaim:
            tr.add(
                "groups", "pass", f"claim: {gclaim}", [], f"the token has no {gclaim!r} claim: no groups (not an error)"
            )
        elif c.groups is not None:
            subject = f"expression: {m.groups.expression}"
            r = _run(c.groups, cel_claims)
            if r.kind == "error":
                raise tr.fail(
                    "groups",
                    f"oidc: error evaluating group claim expression: expression '{m.groups.expression}' "
                    f"resulted in error: {r.value}",
                    subject,
                )
            try:
                user.groups = _cel_strings(r)
            except ValueError as e:
                raise tr.fail(
                    "groups", f"oidc: error evaluating group claim expression: {e}", subject, r.value
                ) from None
            tr.add("groups", "pass", subject, list(user.groups))
        else:
            tr.add("groups", "skip", "claimMappings.groups", None, "no groups mapping configured")
        # uid
        tr.current = "uid"
        if m.uid.claim:
            subject = f"claim: {m.uid.claim}"
            try:
                user.uid = _as_string(claims, m.uid.claim)
            except ValueError as e:
                raise tr.fail(
                    "uid", f"oidc: parse uid claim {quote(m.uid.claim)}: {e}", subject, claim=m.uid.claim
                ) from None
            tr.add("uid", "pass", subject, user.uid)
        elif c.uid is not None:
            subject = f"expression: {m.uid.expression}"
            r = _run(c.uid, cel_claims)
            if r.kind == "error":
                raise tr.fail(
                    "uid",
                    f"oidc: error evaluating uid claim expression: expression '{m.uid.expression}' "
                    f"resulted in error: {r.value}",
                    subject,
                )
            if r.kind != "string":
                raise tr.fail(
                    "uid",
                    "oidc: error evaluating uid claim expression: uid claim expression must return a string",
                    subject,
                    r.value,
                )
            user.uid = r.value
            tr.add("uid", "pass", subject, user.uid)
        else:
            tr.add("uid", "skip", "claimMappings.uid", None, "no uid mapping configured")
        # extra
        tr.current = "extra"
        extra: dict[str, list[str]] = {}
        jti = claims.get("jti")
        if isinstance(jti, str) and jti:
            extra[CREDENTIAL_ID_KEY] = [f"JTI={jti}"]
            tr.add("extra", "pass", CREDENTIAL_ID_KEY, extra[CREDENTIAL_ID_KEY], "added from jti by the API server")
        results = []
        for key, expr, prog in c.extra:
            r = _run(prog, cel_claims)
            if r.kind == "error":
                # oidc.go returns the mapper's error unwrapped here.
                raise tr.fail("extra", f"expression '{expr}' resulted in error: {r.value}", f"{key}: {expr}")
            results.append((key, expr, r))
        for key, expr, r in results:
            try:
                values = _cel_strings(r)
            except ValueError as e:
                raise tr.fail(
                    "extra", f"oidc: error evaluating extra claim expression: {expr}: {e}", f"{key}: {expr}", r.value
                ) from None
            if values:
                extra[key] = values
            tr.add("extra", "pass", f"{key}: {expr}", values, "" if values else "empty: the key is left out")
        user.extra = extra
        # required claims (claimValidationRules with claim)
        tr.current = "required-claim"
        for rule in self.config.claim_validation_rules:
            if not rule.claim:
                continue
            subject = f"{rule.claim} == {rule.required_value!r}"
            if rule.claim not in claims:
                raise tr.fail(
                    "required-claim",
                    f"oidc: required claim {rule.claim} not present in ID token",
                    subject,
                    claim=rule.claim,
                )
            try:
                value = _as_string(claims, rule.claim)
            except ValueError as e:
                raise tr.fail(
                    "required-claim",
                    f"oidc: parse claim {rule.claim}: {e}",
                    subject,
                    claims[rule.claim],
                    claim=rule.claim,
                ) from None
            if value != rule.required_value:
                raise tr.fail(
                    "required-claim",
                    f"oidc: required claim {rule.claim} value does not match. Got = {value}, want = "
                    f"{rule.required_value}",
                    subject,
                    value,
                    claim=rule.claim,
                )
            tr.add("required-claim", "pass", subject, value)
        # CEL claim validation rules: evaluate all (first runtime error wins), then first false.
        if c.claim_rules:
            tr.current = "claim-rule"
            self._rules(c.claim_rules, cel_claims, "oidc: error evaluating claim validation expression: ", "claim-rule")
        if c.user_rules:
            from oidc_doctor.authn.cel import to_cel

            tr.current = "user-rule"
            uval = to_cel(
                {"username": user.username, "uid": user.uid, "groups": list(user.groups), "extra": dict(user.extra)}
            )
            self._rules(c.user_rules, uval, "oidc: error evaluating user info validation rule: ", "user-rule")
        return user

    def _rules(self, rules: list[tuple[str, str, Any]], value: Any, prefix: str, stage: str) -> None:
        tr = self.trace
        results: list[tuple[str, str, Any]] = []
        for expr, message, prog in rules:
            r = _run(prog, value)
            if r.kind == "error":
                for e, _m, done in results:  # the rules evaluated before the error, with their values
                    tr.add(stage, "info", e, done.value, "evaluated; a later rule's error decides")
                raise tr.fail(
                    stage, f"{prefix}expression '{expr}' resulted in error: {r.value}", expr, None, "runtime error"
                )
            results.append((expr, message, r))
        stop: _Reject | None = None
        for expr, message, r in results:
            if stop is not None:
                tr.add(stage, "info", expr, r.value, "evaluated; an earlier rule decided")
                continue
            if r.kind != "bool":
                stop = tr.fail(stage, f"{prefix}validation expression must return a boolean", expr, r.value)
            elif not r.value:
                stop = tr.fail(
                    stage,
                    f"{prefix}validation expression '{expr}' failed: {message}",
                    expr,
                    False,
                    f"message: {message}" if message else "no message",
                )
            else:
                tr.add(stage, "pass", expr, True)
        if stop is not None:
            raise stop


@dataclass(frozen=True)
class KeyLookup:
    """Where a prediction gets an authenticator's keys (``keys_for``, as :func:`predict` takes it) and
    its distributed-claims resolver (``resolver_for``; None: distributed claims are not fetched)."""

    keys_for: Callable[[JWTAuthenticator], tuple[KeySet | None, str | None]]
    resolver_for: Callable[[JWTAuthenticator, Verifier], Any] | None = None


def _config_passed(tr: _Trace, auth: ApiServerAuth) -> None:
    tr.add(
        "config",
        "pass",
        auth.ref,
        None,
        f"{len(auth.authenticators)} JWT authenticator(s), tried in order; signing algorithms "
        f"{quote_list(list(auth.signing_algs))}",
    )


def settings_prediction(auth: ApiServerAuth, verdict: ConfigVerdict, tr: _Trace | None = None) -> Prediction:
    """What the settings decide before any token: kube-apiserver refuses to start (stage ``config``,
    with its message), or they are valid (``config-only``); the trace records that step."""
    tr = tr if tr is not None else _Trace()
    if verdict.startup_error is not None:
        msg = verdict.startup_error
        if len(auth.authenticators) == 1 and verdict.per_authenticator[0].message():
            # oidc.New's own wording (relative paths), as upstream oidc_test.go asserts it.
            msg = verdict.per_authenticator[0].message() or msg
        p = Prediction(handled=False, authenticated=False, error=msg, stage="config")
        p.startup_error = verdict.startup_error
        if msg != verdict.startup_error:
            p.notes.append(f"kube-apiserver refuses to start: {verdict.startup_error}")
        tr.add("config", "fail", auth.ref, None, "kube-apiserver refuses this configuration", error=msg)
        p.trace = tuple(tr.steps)
        return p
    _config_passed(tr, auth)
    return Prediction(handled=False, authenticated=False, stage="config-only", trace=tuple(tr.steps))


def predict(
    token: str | None,
    auth: ApiServerAuth,
    now: datetime,
    keys_for: Callable[[JWTAuthenticator], tuple[KeySet | None, str | None]],
    resolver_for: Callable[[JWTAuthenticator, Verifier], Any] | None = None,
    verdict: ConfigVerdict | None = None,
) -> Prediction:
    """Run the API server's JWT authenticators over ``token`` (None: validate the config only).

    ``verdict`` is ``validate_settings(auth)`` when the caller has it already (the settings are
    validated once per run, however many tokens are predicted: CEL is compiled there).

    ``keys_for`` returns the key set of an authenticator, or (None, init error) when its
    verifier would not initialise (discovery failed) — the token then gets ``oidc:
    authenticator not initialized``. Without any key material pass a key set raising
    :class:`NoKeys`: the signature is then reported ``not-checked``.
    """
    tr = _Trace()
    if verdict is None:
        verdict = validate_settings(auth)
    if verdict.startup_error is not None or token is None:
        return settings_prediction(auth, verdict, tr)
    _config_passed(tr, auth)
    iss, why = untrusted_issuer_or_error(token)
    for i, (a, v) in enumerate(zip(auth.authenticators, verdict.per_authenticator, strict=True)):
        tr.authenticator = i
        subject = f"issuer.url {a.issuer.url!r}"
        if iss is None:
            tr.add("issuer", "not-handled", subject, None, f"the token has no readable iss ({why}): not handled")
            continue
        if iss != a.issuer.url:
            tr.add("issuer", "not-handled", subject, iss, _issuer_miss(iss, a.issuer.url))
            continue
        tr.add("issuer", "pass", subject, iss, "iss equals issuer.url byte for byte: this authenticator answers")
        keys, init_error = keys_for(a)
        verifier = None
        if init_error is None:
            verifier = Verifier(
                a.issuer.url, list(a.issuer.audiences), list(auth.signing_algs), keys, now, tr, auth.signing_algs_ref
            )
        authn = Authenticator(a, v.compiled, verifier, i, init_error, trace=tr)
        if resolver_for is not None and verifier is not None:
            authn.resolver = resolver_for(a, verifier)
        p = authn.authenticate(token)
        for j in range(i + 1, len(auth.authenticators)):
            tr.authenticator = j
            tr.add(
                "issuer",
                "not-tried",
                f"issuer.url {auth.authenticators[j].issuer.url!r}",
                None,
                f"jwt[{i}] answered first: the union of authenticators stops there",
            )
        tr.authenticator = i
        tr.add("result", _result_outcome(p), "", p.user.to_json() if p.user else None, _result_text(p))
        p.trace = tuple(tr.steps)
        return p
    tr.authenticator = None
    p = Prediction(handled=False, authenticated=False, stage="issuer")
    if iss is None:
        p.notes.append(
            f"no JWT authenticator reads this token ({why}): kube-apiserver logs only `invalid bearer token`"
        )
    elif iss in auth.disallowed_issuers:
        p.notes.append(
            f"the token's iss {iss!r} is a --service-account-issuer: kube-apiserver's service-account "
            "authenticator judges it, not a JWT authenticator"
        )
    tr.add("result", "not-handled", "", None, _result_text(p))
    p.trace = tuple(tr.steps)
    return p


def _issuer_miss(iss: str, url: str) -> str:
    """Why a token's ``iss`` is not this issuer, in the terms people get wrong."""
    if iss.rstrip("/") == url.rstrip("/"):
        return "differs only in the trailing slash (the match is byte for byte): not handled"
    if iss.lower() == url.lower():
        return "differs only in letter case (the match is byte for byte): not handled"
    return "a different issuer: not handled, the next authenticator is tried"


def _result_outcome(p: Prediction) -> str:
    if p.authenticated:
        return "pass"
    if p.stage in UNKNOWN_STAGES:
        return "unknown"
    return "fail" if p.handled else "not-handled"


def _result_text(p: Prediction) -> str:
    if p.authenticated:
        return "authenticated (kube-apiserver then adds system:authenticated)"
    if p.stage in UNKNOWN_STAGES:
        return "no verdict: a step could not be evaluated offline"
    if p.handled:
        return f"rejected: {p.error}"
    return "no JWT authenticator handled the token: the API server answers 401 and logs `invalid bearer token`"


#: Stages where the emulation could not reach a verdict (the outcome is unknown, not a rejection).
UNKNOWN_STAGES = frozenset(("cel-unsupported", "distributed-unfetched"))

#: The exception a failed step raises; ``.stage`` and ``.message`` say where and what.
Rejected = _Reject


def reject(stage: str, message: str) -> Exception:
    """An error for resolvers to raise (wrapped as ``oidc: could not expand distributed claims``)."""
    return _Reject(stage, message)
