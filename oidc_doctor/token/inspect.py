"""Decode one token tolerantly and judge it on its own, against an injected clock.

Each judging function looks at one aspect (structure, times, signature, issuer, audience, email,
token type) and returns this token's :class:`Verdict` on it, with the problems found as typed
records; :func:`inspect_token` runs them all, so every problem is reported at once, and
``oidc_doctor.checks.token`` turns the problems into findings. The API server's exact
rules are cited where they are encoded (reference: k8s.io/apiserver
``plugin/pkg/authenticator/token/oidc/oidc.go`` and coreos/go-oidc v2 ``verify.go``). The
authn engine predicts the full verdict under a cluster's settings; these judges only know the
token, its issuer's keys and the ``--issuer``/``--client-id``/``--signing-algs`` options.

Pure: no I/O, no wall clock. Verdicts never carry the token, only its fingerprint.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, Protocol

from oidc_doctor.dates import datetime, timedelta
from oidc_doctor.jose import (
    ASYMMETRIC_ALGS,
    VERIFIABLE_ALGS,
    Jwk,
    ParsedJWS,
    fingerprint,
    is_claims_only,
    parse_compact,
    parse_jwks,
    verify_signature,
)
from oidc_doctor.model import Status
from oidc_doctor.record import FrozenRecord, Record
from oidc_doctor.text import clean, from_epoch, human_duration, iso, relative

if TYPE_CHECKING:  # a Protocol class costs start-up time; the type checker alone needs it

    class Expectations(Protocol):
        """What the command line says the API server expects (``oidc_doctor.checks.base.Options``)."""

        @property
        def issuer(self) -> str | None:
            """``--issuer``: the issuer URL, exactly as configured."""

        @property
        def client_id(self) -> str | None:
            """``--client-id``: the audience expected."""

        @property
        def signing_algs(self) -> tuple[str, ...] | None:
            """``--signing-algs``: the accepted algorithms."""


#: Check ids, one per aspect; ``oidc_doctor.checks.token.CHECKS`` registers them.
DECODE = "token.decode"
EXPIRY = "token.expiry"
SIGNATURE = "token.signature"
ISSUER = "token.issuer"
AUDIENCE = "token.audience"
EMAIL = "token.email"
TYPE = "token.type"
ASPECTS: tuple[str, ...] = (DECODE, EXPIRY, SIGNATURE, ISSUER, AUDIENCE, EMAIL, TYPE)

#: kube-apiserver's HTTP server refuses request headers larger than 1 MiB
#: (k8s.io/apiserver pkg/server/secure_serving.go, SecureServingInfo.Serve: MaxHeaderBytes 1 << 20).
MAX_TOKEN_BYTES = 1 << 20
#: go-oidc v2 verify.go allows one minute of clock skew on ``nbf`` and none on ``exp``.
NBF_LEEWAY = timedelta(seconds=60)
#: Claims shown as times.
TIME_CLAIMS: tuple[str, ...] = ("iat", "nbf", "exp", "auth_time")
#: Above this size a token (and the cookie holding it) outgrows common proxy header buffers (4k/8k).
LARGE_TOKEN_BYTES = 4096
#: Google's issuer as tokens sometimes spell it; the API server reads it as the https URL
#: (oidc.go: "accounts.google.com" is treated as "https://accounts.google.com").
GOOGLE_ISSUER_ALIAS = ("accounts.google.com", "https://accounts.google.com")
_BEARER_WORD = re.compile(r"bearer\s", re.IGNORECASE)
#: A JSON number as Go's encoding/json accepts it inside a string for a json.Number (a pattern
#: compiled on first use: time claims are nearly always JSON numbers, not strings).
_GO_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"


class TimeClaim(Record):
    """One time claim: its raw value, the time it means (UTC), or what is wrong with it."""

    _fields = ("name", "value", "at", "problem")
    __slots__ = _fields
    name: str
    value: Any
    at: datetime | None
    problem: str | None

    def __init__(self, name: str, value: Any, at: datetime | None = None, problem: str | None = None) -> None:
        self.name = name
        self.value = value
        self.at = at
        self.problem = problem

    def to_json(self, now: datetime) -> dict[str, Any]:
        """``{"value", "utc", "relative"}`` or ``{"value", "problem"}``."""
        if self.at is None:
            return {"value": self.value, "problem": self.problem}
        return {"value": self.value, "utc": iso(self.at), "relative": relative(self.at, now)}


class Signature(Record):
    """The signature verdict: ``valid``, ``invalid`` or ``unknown`` (could not check), and why."""

    _fields = ("status", "reason", "kid", "alg", "accepted_algs", "algs_source", "keys_ref")
    __slots__ = _fields
    status: str
    reason: str
    kid: str | None
    alg: str | None
    accepted_algs: tuple[str, ...]
    algs_source: str
    keys_ref: str

    def __init__(
        self,
        status: str,
        reason: str,
        kid: str | None = None,
        alg: str | None = None,
        accepted_algs: tuple[str, ...] = (),
        algs_source: str = "",
        keys_ref: str = "",
    ) -> None:
        self.status = status
        self.reason = reason
        self.kid = kid
        self.alg = alg
        self.accepted_algs = accepted_algs
        self.algs_source = algs_source
        self.keys_ref = keys_ref

    def to_json(self) -> dict[str, Any]:
        """The ``signature`` object of the token command's JSON."""
        return {
            "status": self.status,
            "kid": self.kid,
            "alg": self.alg,
            "reason": self.reason,
            "accepted_algs": list(self.accepted_algs),
            "algs_source": self.algs_source,
            "keys": self.keys_ref,
        }


class KeyInputs(Record):
    """What the judges know besides the token: keys, discovery, and why keys may be missing.

    ``unavailable`` says why no JWKS is at hand (offline, issuer unreachable, ...); None when
    there is one.
    """

    _fields = ("jwks", "jwks_ref", "discovery", "discovery_ref", "unavailable")
    __slots__ = _fields
    jwks: dict[str, Any] | None
    jwks_ref: str
    discovery: dict[str, Any] | None
    discovery_ref: str
    unavailable: str | None

    def __init__(
        self,
        jwks: dict[str, Any] | None = None,
        jwks_ref: str = "",
        discovery: dict[str, Any] | None = None,
        discovery_ref: str = "",
        unavailable: str | None = None,
    ) -> None:
        self.jwks = jwks
        self.jwks_ref = jwks_ref
        self.discovery = discovery
        self.discovery_ref = discovery_ref
        self.unavailable = unavailable


class TokenReport(Record):
    """Everything known about one token. ``aspects`` holds one verdict per check id."""

    _fields = (
        "ref",
        "fingerprint",
        "size",
        "parsed",
        "header",
        "claims",
        "times",
        "lifetime_s",
        "signature",
        "notes",
        "aspects",
    )
    __slots__ = _fields
    ref: str
    fingerprint: str
    size: int
    parsed: ParsedJWS
    header: dict[str, Any] | None
    claims: dict[str, Any] | None
    times: dict[str, TimeClaim]
    lifetime_s: float | None
    signature: Signature
    notes: list[str]
    aspects: dict[str, Verdict]

    def __init__(
        self,
        ref: str,
        fingerprint: str,
        size: int,
        parsed: ParsedJWS,
        header: dict[str, Any] | None,
        claims: dict[str, Any] | None,
        times: dict[str, TimeClaim],
        lifetime_s: float | None,
        signature: Signature,
        notes: list[str] | None = None,
        aspects: dict[str, Verdict] | None = None,
    ) -> None:
        self.ref = ref
        self.fingerprint = fingerprint
        self.size = size
        self.parsed = parsed
        self.header = header
        self.claims = claims
        self.times = times
        self.lifetime_s = lifetime_s
        self.signature = signature
        self.notes = [] if notes is None else notes
        self.aspects = {} if aspects is None else aspects

    @property
    def label(self) -> str:
        """How evidence names this token: its source and fingerprint, never its content."""
        return f"{self.ref} {self.fingerprint}"

    def to_json(self, now: datetime, findings: list[dict[str, Any]], checks: list[dict[str, str]]) -> dict[str, Any]:
        """The token command's JSON body (without the envelope), with the findings and the checks'
        results that judged it (``oidc_doctor.checks.token``)."""
        return {
            "ref": self.ref,
            "fingerprint": self.fingerprint,
            "size": self.size,
            "parts": self.parsed.parts,
            "header": self.header,
            "claims": self.claims,
            "times": {name: t.to_json(now) for name, t in self.times.items()},
            "lifetime_s": self.lifetime_s,
            "signature": self.signature.to_json(),
            "findings": findings,
            "checks": checks,
            "notes": list(self.notes),
        }


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def quoted(value: object) -> str:
    """A hostile value quoted for a sentence, control characters stripped and cut."""
    return clean(repr(value) if not isinstance(value, str) else f'"{value}"', 120)


def audiences(claims: dict[str, Any]) -> list[str] | None:
    """``aud`` as a list (a string is one audience); None when it has another type."""
    aud = claims.get("aud")
    if aud is None:
        return []
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    return None


def go_list(values: tuple[str, ...] | list[str]) -> str:
    """A list as the API server prints it in messages (Go %q of []string)."""
    return "[" + " ".join(f'"{clean(v, 80)}"' for v in values) + "]"


def read_times(claims: dict[str, Any] | None) -> tuple[dict[str, TimeClaim], float | None]:
    """The time claims present, as UTC times, and the lifetime ``exp - iat`` in seconds."""
    times: dict[str, TimeClaim] = {}
    if claims is None:
        return times, None
    for name in TIME_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        seconds: float
        if _is_number(value):
            seconds = value
        elif isinstance(value, str) and re.fullmatch(_GO_NUMBER, value):
            # go-oidc decodes these into a json.Number, which also takes a string holding a number.
            seconds = float(value)
        else:
            times[name] = TimeClaim(name, value, problem=f"'{name}' is not a number of seconds ({quoted(value)})")
            continue
        # go-oidc truncates fractional NumericDates to whole seconds (oidc.go jsonTime:
        # time.Unix(int64(f), 0)).
        at = from_epoch(int(seconds)) if abs(seconds) < 1e15 else None
        if at is None:
            times[name] = TimeClaim(name, value, problem=f"'{name}' is out of the range of dates")
        else:
            times[name] = TimeClaim(name, value, at=at)
    exp, iat = times.get("exp"), times.get("iat")
    lifetime = (exp.at - iat.at).total_seconds() if exp and iat and exp.at and iat.at else None
    return times, lifetime


def accepted_algs(
    options: Expectations, discovery: dict[str, Any] | None, keys: list[Jwk]
) -> tuple[tuple[str, ...], str]:
    """The algorithms a signature may use, and where they come from — never the token header.

    ``--signing-algs``, else the discovery document's ``id_token_signing_alg_values_supported``,
    else the ``alg`` the JWKS keys declare, else what the JWKS key types can sign with.
    """
    if options.signing_algs:
        return tuple(options.signing_algs), "--signing-algs"
    if discovery is not None:
        listed = discovery.get("id_token_signing_alg_values_supported")
        if isinstance(listed, list):
            algs = tuple(a for a in listed if isinstance(a, str))
            if algs:
                return algs, "the discovery document's id_token_signing_alg_values_supported"
    declared = tuple(dict.fromkeys(k.alg for k in keys if k.alg and k.key is not None))
    if declared:
        return declared, "the algorithms the JWKS keys declare"
    by_type: list[str] = []
    for k in keys:
        if k.key is None:
            continue
        if k.kty == "RSA":
            by_type += ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        elif k.kty == "EC":
            bits = getattr(getattr(k.key, "curve", None), "key_size", 0)
            by_type.append({256: "ES256", 384: "ES384", 521: "ES512"}.get(bits, ""))
        elif k.kty == "OKP":
            by_type.append("EdDSA")
    algs = tuple(a for a in dict.fromkeys(by_type) if a)
    return algs, ("the JWKS key types" if algs else "")


# ---------------------------------------------------------------------------------------------
# The verdicts: one per aspect, with the problems found as typed records (``oidc_doctor.checks.token``
# turns them into findings).


class Malformed(FrozenRecord):
    """The token cannot be parsed as the API server parses it (``token-malformed``).

    ``form`` says what it is instead, when that is recognised: ``bearer`` (a doubled ``Bearer``),
    ``json`` (a token response), ``opaque`` (fewer than three parts), ``encrypted`` (five parts, a JWE).
    """

    _fields = ("problems", "form")
    __slots__ = _fields
    problems: tuple[str, ...]
    form: Literal["", "bearer", "json", "opaque", "encrypted"]

    def __init__(
        self, problems: tuple[str, ...], form: Literal["", "bearer", "json", "opaque", "encrypted"] = ""
    ) -> None:
        object.__setattr__(self, "problems", problems)
        object.__setattr__(self, "form", form)


class NoExpiry(FrozenRecord):
    """The token carries no ``exp``: the API server reads the zero time (``token-expired``)."""

    _fields = ("now", "now_source")
    __slots__ = _fields
    now: datetime
    now_source: str

    def __init__(self, now: datetime, now_source: str) -> None:
        object.__setattr__(self, "now", now)
        object.__setattr__(self, "now_source", now_source)


class TimeOff(FrozenRecord):
    """A time claim that fails against now: ``exp`` passed (no leeway), ``nbf`` ahead beyond the
    60 s leeway, or ``iat`` in the future (the API server ignores iat: a clock-skew warning)."""

    _fields = ("claim", "now", "now_source")
    __slots__ = _fields
    claim: TimeClaim
    now: datetime
    now_source: str

    def __init__(self, claim: TimeClaim, now: datetime, now_source: str) -> None:
        object.__setattr__(self, "claim", claim)
        object.__setattr__(self, "now", now)
        object.__setattr__(self, "now_source", now_source)

    @property
    def at(self) -> datetime:
        """The time the claim means (a :class:`TimeOff` is only made for a readable claim)."""
        assert self.claim.at is not None
        return self.claim.at


class AlgRejected(FrozenRecord):
    """The signing algorithm is refused (``signing-alg-not-allowed``).

    ``why``: ``unreadable`` (the header's alg is missing or not a string; ``detail`` says how),
    ``not-asymmetric`` (not one of the nine RS/ES/PS algorithms), ``not-accepted`` (not among
    ``accepted``, which come from ``accepted_from``).
    """

    _fields = ("why", "alg", "detail", "accepted", "accepted_from")
    __slots__ = _fields
    why: Literal["unreadable", "not-asymmetric", "not-accepted"]
    alg: str | None
    detail: str
    accepted: tuple[str, ...]
    accepted_from: str

    def __init__(
        self,
        why: Literal["unreadable", "not-asymmetric", "not-accepted"],
        alg: str | None,
        detail: str = "",
        accepted: tuple[str, ...] = (),
        accepted_from: str = "",
    ) -> None:
        object.__setattr__(self, "why", why)
        object.__setattr__(self, "alg", alg)
        object.__setattr__(self, "detail", detail)
        object.__setattr__(self, "accepted", accepted)
        object.__setattr__(self, "accepted_from", accepted_from)


class SignatureMismatch(FrozenRecord):
    """The signature does not verify with the issuer's keys (``signature-invalid``)."""

    _fields = ("reason", "alg", "kid", "key_ids", "jwks_ref")
    __slots__ = _fields
    reason: str
    alg: str
    kid: str | None
    key_ids: tuple[str | None, ...]  # the kids of the JWKS's keys, in order
    jwks_ref: str

    def __init__(self, reason: str, alg: str, kid: str | None, key_ids: tuple[str | None, ...], jwks_ref: str) -> None:
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "alg", alg)
        object.__setattr__(self, "kid", kid)
        object.__setattr__(self, "key_ids", key_ids)
        object.__setattr__(self, "jwks_ref", jwks_ref)


class IssuerMismatch(FrozenRecord):
    """``iss`` is not the issuer expected (``issuer-mismatch``): ``--issuer`` or the discovery document's."""

    _fields = ("iss", "expected", "expected_from", "discovery_ref")
    __slots__ = _fields
    iss: str
    expected: str
    expected_from: Literal["--issuer", "discovery"]
    discovery_ref: str

    def __init__(
        self, iss: str, expected: str, expected_from: Literal["--issuer", "discovery"], discovery_ref: str = ""
    ) -> None:
        object.__setattr__(self, "iss", iss)
        object.__setattr__(self, "expected", expected)
        object.__setattr__(self, "expected_from", expected_from)
        object.__setattr__(self, "discovery_ref", discovery_ref)


class DiscoveryIssuerMismatch(FrozenRecord):
    """The discovery document names another issuer than ``--issuer`` (``discovery-issuer-mismatch``)."""

    _fields = ("discovery_issuer", "issuer", "discovery_ref")
    __slots__ = _fields
    discovery_issuer: str
    issuer: str
    discovery_ref: str

    def __init__(self, discovery_issuer: str, issuer: str, discovery_ref: str) -> None:
        object.__setattr__(self, "discovery_issuer", discovery_issuer)
        object.__setattr__(self, "issuer", issuer)
        object.__setattr__(self, "discovery_ref", discovery_ref)


class AudienceMismatch(FrozenRecord):
    """``aud`` lacks the client id the API server expects (``audience-mismatch``)."""

    _fields = ("client_id", "audiences")
    __slots__ = _fields
    client_id: str
    audiences: tuple[str, ...]

    def __init__(self, client_id: str, audiences: tuple[str, ...]) -> None:
        object.__setattr__(self, "client_id", client_id)
        object.__setattr__(self, "audiences", audiences)


class EmailNotVerified(FrozenRecord):
    """``email_verified`` is false, null or not a boolean (``email-not-verified``)."""

    _fields = ("value",)
    __slots__ = _fields
    value: object

    def __init__(self, value: object) -> None:
        object.__setattr__(self, "value", value)


class AccessTokenSigns(FrozenRecord):
    """Signs that the token is an access token, not an id_token (``wrong-token-type``)."""

    _fields = ("signs",)
    __slots__ = _fields
    signs: tuple[str, ...]

    def __init__(self, signs: tuple[str, ...]) -> None:
        object.__setattr__(self, "signs", signs)


#: What a verdict may find wrong with a token.
Problem = (
    Malformed
    | NoExpiry
    | TimeOff
    | AlgRejected
    | SignatureMismatch
    | IssuerMismatch
    | DiscoveryIssuerMismatch
    | AudienceMismatch
    | EmailNotVerified
    | AccessTokenSigns
)


class Verdict(FrozenRecord):
    """One aspect of one token, judged: its status, why, and the problems found.

    A failed verdict's ``reason`` is empty when the problems' own sentences say why (the check that
    reports it joins them); otherwise it is this engine's account.
    """

    _fields = ("status", "reason", "problems")
    __slots__ = _fields
    status: Status
    reason: str
    problems: tuple[Problem, ...]

    def __init__(self, status: Status, reason: str = "", problems: tuple[Problem, ...] = ()) -> None:
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "problems", problems)

    @classmethod
    def passed(cls, reason: str) -> Verdict:
        """Looked and found nothing wrong."""
        return cls(Status.PASS, reason)

    @classmethod
    def unknown(cls, reason: str) -> Verdict:
        """Could not look."""
        return cls(Status.UNKNOWN, reason)

    @classmethod
    def skipped(cls, reason: str) -> Verdict:
        """Does not apply."""
        return cls(Status.SKIPPED, reason)

    @classmethod
    def failed(cls, problems: list[Problem], reason: str = "") -> Verdict:
        """Looked and found ``problems``."""
        return cls(Status.FAIL, reason, tuple(problems))


# ---------------------------------------------------------------------------------------------
# The judges. Each returns this token's verdict on one aspect.


def judge_decode(report: TokenReport) -> Verdict:
    """Structure: three base64url parts, JSON header and payload, claim types the server parses."""
    parsed = report.parsed
    problems: list[str] = []
    form: Literal["", "bearer", "json", "opaque", "encrypted"] = ""
    raw = parsed.raw
    if report.size > MAX_TOKEN_BYTES:
        problems.append(f"it is {report.size} bytes, over the 1 MiB the API server accepts in request headers")
    if _BEARER_WORD.match(raw):
        problems.append("it carries a second 'Bearer ' prefix (doubled): the API server reads 'Bearer' as the token")
        form = "bearer"
    elif raw.lstrip().startswith("{"):
        problems.append("it is JSON, not a token (a token response?): the API server ignores it")
        form = "json"
    else:
        # An unsigned token parses; the API server rejects it for its alg or its signature.
        problems += [
            p for p in parsed.problems if p != parsed.alg_problem and not p.startswith("the signature part is empty")
        ]
        if parsed.parts < 3:
            problems.append("it looks like an opaque access token, not a JWT")
            form = "opaque"
        elif parsed.parts == 5:
            form = "encrypted"
    claims = report.claims
    if claims is not None:
        # go-oidc decodes these into typed fields: a wrong JSON type fails the whole token with
        # "oidc: failed to unmarshal claims" (coreos/go-oidc v2 oidc.go idToken struct).
        if "iss" in claims and not isinstance(claims["iss"], str):
            problems.append(f"'iss' is not a string ({quoted(claims['iss'])}): the API server ignores the token")
        if audiences(claims) is None:
            problems.append(f"'aud' is neither a string nor a list of strings ({quoted(claims['aud'])})")
        problems += [t.problem for t in report.times.values() if t.problem and t.name != "auth_time"]
    if not problems and is_claims_only(parsed.header):
        return Verdict.passed("claims pasted without their token (decoded JSON): header and signature not known")
    if not problems:
        return Verdict.passed(f"a signed JWT (3 parts, JSON header and payload), {report.size} bytes")
    return Verdict.failed([Malformed(tuple(problems), form)], "; ".join(problems))


def judge_expiry(report: TokenReport, now: datetime, now_source: str) -> Verdict:
    """exp (no leeway), nbf (60 s leeway) and iat (a clock-skew warning; the server ignores it)."""
    if report.claims is None:
        return Verdict.unknown("the payload could not be decoded")
    problems: list[Problem] = []
    exp = report.times.get("exp")
    if exp is None:
        problems.append(NoExpiry(now, now_source))
    elif exp.at is None:
        return Verdict.unknown(exp.problem or "exp cannot be read")
    elif now > exp.at:
        # go-oidc v2 verify.go: expired when exp is before now; no leeway.
        problems.append(TimeOff(exp, now, now_source))
    nbf = report.times.get("nbf")
    if nbf is not None and nbf.at is not None and nbf.at - now > NBF_LEEWAY:  # no overflow at the calendar's end
        problems.append(TimeOff(nbf, now, now_source))
    iat = report.times.get("iat")
    if iat is not None and iat.at is not None and iat.at > now:
        problems.append(TimeOff(iat, now, now_source))
    if problems:
        return Verdict.failed(problems)
    assert exp is not None and exp.at is not None
    return Verdict.passed(f"valid until {iso(exp.at)} ({relative(exp.at, now)})")


#: Why a token made from pasted claims has no signature verdict.
CLAIMS_ONLY_REASON = (
    "the claims were pasted without their token: its header and signature (alg, kid) cannot be judged; "
    "give the token itself (e.g. `kubectl oidc-login get-token` output) to judge them"
)


def judge_signature(report: TokenReport, options: Expectations, keys_in: KeyInputs) -> tuple[Verdict, Signature]:
    """The signature against the issuer's keys, with algorithms never taken from the header."""
    parsed = report.parsed
    alg, kid = parsed.alg, parsed.kid
    keys = parse_jwks(keys_in.jwks) if keys_in.jwks is not None else []
    algs, algs_source = accepted_algs(options, keys_in.discovery, keys)
    sig = Signature("unknown", "", kid=kid, alg=alg, accepted_algs=algs, algs_source=algs_source)
    sig.keys_ref = keys_in.jwks_ref
    if parsed.parts != 3 or parsed.header is None:
        sig.reason = "not a signed JWT" if parsed.parts != 3 else "the header could not be decoded"
        return Verdict.unknown(sig.reason), sig
    if is_claims_only(parsed.header):
        sig.alg, sig.reason = None, CLAIMS_ONLY_REASON
        return Verdict.unknown(sig.reason), sig
    problems: list[Problem] = []
    if parsed.alg_problem:
        sig.status, sig.reason = "invalid", parsed.alg_problem
        problems.append(AlgRejected("unreadable", alg, detail=parsed.alg_problem))
        return Verdict.failed(problems, sig.reason), sig
    assert alg is not None
    if alg not in ASYMMETRIC_ALGS:
        # kube-apiserver accepts only the nine RS/ES/PS algorithms (oidc.go allowedSigningAlgs).
        problems.append(AlgRejected("not-asymmetric", alg))
    if algs and alg not in algs:
        sig.status = "invalid"
        sig.reason = f"alg {quoted(alg)} is not among the accepted algorithms {', '.join(algs)} (from {algs_source})"
        if not problems:
            problems.append(AlgRejected("not-accepted", alg, accepted=algs, accepted_from=algs_source))
        return Verdict.failed(problems, sig.reason), sig
    if keys_in.jwks is None:
        sig.reason = keys_in.unavailable or "no JWKS: give --jwks FILE, or let the tool fetch the issuer's keys"
        if problems:
            return Verdict.failed(problems, sig.reason), sig
        return Verdict.unknown(f"signature not checked: {sig.reason}"), sig
    status, reason, used_kid = _verify(parsed, alg, kid, keys, keys_in.jwks_ref)
    sig.status, sig.reason = status, reason
    if used_kid is not None:
        sig.kid = used_kid
    if status == "invalid":
        problems.append(SignatureMismatch(reason, alg, kid, tuple(k.kid for k in keys), keys_in.jwks_ref))
    if problems:
        return Verdict.failed(problems, reason), sig
    if status == "unknown":
        return Verdict.unknown(f"signature not checked: {reason}"), sig
    return Verdict.passed(reason), sig


def _verify(parsed: ParsedJWS, alg: str, kid: str | None, keys: list[Jwk], ref: str) -> tuple[str, str, str | None]:
    """(status, reason, kid of the key that verified) for an accepted ``alg``."""
    if alg not in VERIFIABLE_ALGS:
        return "unknown", f"this tool cannot verify {alg}", None
    if not parsed.signature:
        return "invalid", "the signature part is empty", None
    if not keys:
        return "invalid", f"the JWKS ({ref}) holds no usable key", None
    # go-oidc tries the keys whose kid matches, or every key when the token has no kid.
    candidates = [k for k in keys if k.kid == kid] if kid is not None else keys
    if not candidates:
        kids = ", ".join(clean(k.kid or "(none)", 60) for k in keys)
        return "invalid", f"kid {quoted(kid)} is not in the JWKS ({ref}; kids: {kids})", None
    usable = [k for k in candidates if k.usable_for(alg)]
    if not usable:
        k = candidates[0]
        why = k.error or f"key type {k.kty} (alg {k.alg or 'unset'}, use {k.use or 'unset'}) cannot verify {alg}"
        return "invalid", f"key {quoted(k.kid or '(no kid)')} is unusable: {why}", None
    for k in usable:
        if verify_signature(alg, k.key, parsed.signing_input, parsed.signature):
            return "valid", f"verified with key {quoted(k.kid or '(no kid)')} ({alg}) from {ref}", k.kid
    names = ", ".join(quoted(k.kid or "(no kid)") for k in usable)
    return "invalid", f"the signature does not match key {names} ({alg})", None


def effective_issuer(iss: str) -> str:
    """``iss`` as the API server compares it: only Google's bare host is rewritten (oidc.go)."""
    return GOOGLE_ISSUER_ALIAS[1] if iss == GOOGLE_ISSUER_ALIAS[0] else iss


def near_miss(a: str, b: str) -> str:
    """Why two issuers that look alike differ, as a parenthesis for a sentence ("" when unrelated)."""
    if a.rstrip("/") == b.rstrip("/"):
        return " (they differ only in a trailing slash, which matters)"
    if a.lower() == b.lower():
        return " (they differ only in case, which matters)"
    if a.replace("/auth/realms/", "/realms/") == b.replace("/auth/realms/", "/realms/"):
        return " (Keycloak /auth/realms vs /realms: Keycloak 17 dropped /auth)"
    return ""


def judge_issuer(report: TokenReport, options: Expectations, keys_in: KeyInputs) -> Verdict:
    """``iss`` against ``--issuer`` and the discovery document: exact strings, as the API server."""
    claims = report.claims
    if claims is None:
        return Verdict.unknown("the payload could not be decoded")
    iss = claims.get("iss")
    if not isinstance(iss, str):
        return Verdict.unknown("the token has no string 'iss'")
    eff = effective_issuer(iss)
    problems: list[Problem] = []
    disc_iss = keys_in.discovery.get("issuer") if keys_in.discovery is not None else None
    compared: list[str] = []
    if options.issuer is not None:
        compared.append("--issuer")
        if eff != options.issuer:
            problems.append(IssuerMismatch(iss, options.issuer, "--issuer"))
        if isinstance(disc_iss, str) and disc_iss != options.issuer:
            problems.append(DiscoveryIssuerMismatch(disc_iss, options.issuer, keys_in.discovery_ref))
    elif isinstance(disc_iss, str):
        compared.append("the discovery document")
        if eff != disc_iss:
            problems.append(IssuerMismatch(iss, disc_iss, "discovery", keys_in.discovery_ref))
    if not compared:
        return Verdict.skipped("no --issuer and no discovery document to compare iss with")
    if problems:
        return Verdict.failed(problems)
    return Verdict.passed(f"iss {quoted(iss)} matches {' and '.join(compared)}")


def judge_audience(report: TokenReport, options: Expectations) -> Verdict:
    """``aud`` must contain ``--client-id`` (go-oidc: any entry; azp is ignored)."""
    if options.client_id is None:
        return Verdict.skipped("no --client-id to compare aud with")
    if report.claims is None:
        return Verdict.unknown("the payload could not be decoded")
    auds = audiences(report.claims)
    if auds is None:
        return Verdict.unknown("'aud' has a type the API server cannot read")
    if options.client_id in auds:
        return Verdict.passed(f"aud contains {quoted(options.client_id)}")
    return Verdict.failed([AudienceMismatch(options.client_id, tuple(auds))])


def judge_email(report: TokenReport) -> Verdict:
    """``email_verified``: false, null or a non-boolean fails an API server whose username claim is email.

    oidc.go checks it only when the username claim is exactly ``email``, and only when present;
    the token alone does not say which claim the cluster uses, so this is a warning here.
    """
    claims = report.claims
    if claims is None:
        return Verdict.unknown("the payload could not be decoded")
    if "email" not in claims:
        return Verdict.passed("no email claim")
    if "email_verified" not in claims:
        return Verdict.passed("no email_verified claim (the API server accepts its absence)")
    v = claims["email_verified"]
    if v is True:
        return Verdict.passed("email_verified is true")
    return Verdict.failed([EmailNotVerified(v)])


def judge_type(report: TokenReport) -> Verdict:
    """Signs of an access token sent where an id_token is expected."""
    claims, header = report.claims, report.header or {}
    if claims is None:
        return Verdict.unknown("the payload could not be decoded")
    signs: list[str] = []
    typ = claims.get("typ")
    if isinstance(typ, str) and typ.lower() == "bearer":
        signs.append("payload typ 'Bearer' (a Keycloak access token; id_tokens say 'ID')")
    htyp = header.get("typ")
    if isinstance(htyp, str) and htyp.lower() in ("at+jwt", "application/at+jwt"):
        signs.append(f"header typ {quoted(htyp)} (an RFC 9068 access token)")
    if "scp" in claims:
        signs.append("an 'scp' claim (an Azure/Okta access token)")
    if claims.get("token_use") == "access":
        signs.append("token_use 'access' (an AWS Cognito access token)")
    auds = audiences(claims) or []
    if "account" in auds and not (isinstance(typ, str) and typ.lower() == "id"):
        # Keycloak marks its id_tokens `typ: ID`; an audience mapper may add `account` to one.
        signs.append("aud 'account' (Keycloak's access-token audience)")
    if not signs:
        return Verdict.passed("no sign of an access token")
    return Verdict.failed([AccessTokenSigns(tuple(signs))], "; ".join(signs))


def _notes(report: TokenReport) -> list[str]:
    notes: list[str] = []
    claims = report.claims
    if report.lifetime_s is not None:
        notes.append(
            f"lifetime {human_duration(report.lifetime_s)} (exp - iat): a proxy must refresh the session "
            "more often than that (oauth2-proxy --cookie-refresh)"
        )
    alg = report.parsed.alg
    if alg in ASYMMETRIC_ALGS and alg != "RS256":
        notes.append(
            f"signed with {alg}: an API server set up with --oidc-* flags accepts only RS256 unless "
            f"--oidc-signing-algs lists {alg}; an AuthenticationConfiguration accepts all nine RS/ES/PS "
            "algorithms"
        )
    if claims is None:
        return notes
    if "sub" not in claims:
        notes.append("no 'sub' claim: the API server's default username claim is sub")
    groups = claims.get("groups")
    names = claims.get("_claim_names")
    if isinstance(names, dict) and "groups" in names and "groups" not in claims:
        notes.append(
            "groups are distributed claims (_claim_names/_claim_sources, e.g. Azure overage): the API "
            "server must fetch them and usually cannot"
        )
    elif "groups" not in claims:
        notes.append(
            "no 'groups' claim: if the API server maps groups from it (--oidc-groups-claim=groups) the "
            "user gets no groups (a 403 from RBAC, never a 401)"
        )
    elif not (
        groups is None
        or isinstance(groups, str)
        or (isinstance(groups, list) and all(isinstance(g, str) for g in groups))
    ):
        notes.append("'groups' is neither a string nor a list of strings: the API server fails to parse it")
    elif isinstance(groups, list):
        notes.append(f"{len(groups)} group(s) in 'groups'")
    if report.size > LARGE_TOKEN_BYTES:
        notes.append(
            f"the token is {report.size} bytes: with the proxy's cookies it may outgrow ingress header "
            "buffers (4k/8k by default)"
        )
    return notes


def decode_token(token: str, ref: str) -> TokenReport:
    """Decode without judging: header, claims, times, size, fingerprint."""
    parsed = parse_compact(token)
    times, lifetime = read_times(parsed.payload)
    return TokenReport(
        ref=ref,
        fingerprint=fingerprint(token),
        size=len(token.encode("utf-8", "surrogateescape")),
        parsed=parsed,
        header=parsed.header,
        claims=parsed.payload,
        times=times,
        lifetime_s=lifetime,
        signature=Signature("unknown", "not checked"),
    )


def inspect_token(
    token: str,
    ref: str,
    now: datetime,
    options: Expectations,
    keys_in: KeyInputs,
    now_source: str = "clock",
) -> TokenReport:
    """Decode and judge one token: every aspect's verdict, and notes."""
    report = decode_token(token, ref)
    report.aspects[DECODE] = judge_decode(report)
    report.aspects[EXPIRY] = judge_expiry(report, now, now_source)
    report.aspects[SIGNATURE], report.signature = judge_signature(report, options, keys_in)
    report.aspects[ISSUER] = judge_issuer(report, options, keys_in)
    report.aspects[AUDIENCE] = judge_audience(report, options)
    report.aspects[EMAIL] = judge_email(report)
    report.aspects[TYPE] = judge_type(report)
    report.notes = _notes(report)
    return report


def worst(verdicts: list[Verdict]) -> Status:
    """The status several tokens' verdicts add up to: any fail, else any unknown, else pass."""
    statuses = {r.status for r in verdicts}
    for s in (Status.FAIL, Status.UNKNOWN, Status.PASS):
        if s in statuses:
            return s
    return Status.SKIPPED
