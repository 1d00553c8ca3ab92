"""What a check is, and the context it runs in.

A check is a pure function of (evidence, context): it never reads the wall clock (``ctx.now``
is injected), never does I/O and never prints. Facts shared between checks (the decoded token,
the API server's authenticators, the identity) are computed once by *derivers* that run before
the checks, in the order ``oidc_doctor.checks.DERIVERS`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from oidc_doctor.record import FrozenRecord, Record

if TYPE_CHECKING:
    from datetime import datetime

    from oidc_doctor.evidence import Evidence
    from oidc_doctor.model import AuthenticatorSummary, CheckResult, Identity, ObservedFailure


class Options(Record):
    """Settings from the command line that checks may use; None means not given.

    ``request`` is the failing request, e.g. {"verb": "list", "resource": "pods", "namespace": "default"}.
    """

    _fields = (
        "client_id",
        "issuer",
        "signing_algs",
        "ca_file",
        "offline",
        "token_lifetime_s",
        "error_texts",
        "request",
    )
    __slots__ = _fields
    client_id: str | None
    issuer: str | None
    signing_algs: tuple[str, ...] | None
    ca_file: str | None
    offline: bool
    token_lifetime_s: float | None
    error_texts: list[str]
    request: dict[str, str] | None

    def __init__(
        self,
        client_id: str | None = None,
        issuer: str | None = None,
        signing_algs: tuple[str, ...] | None = None,
        ca_file: str | None = None,
        offline: bool = False,
        token_lifetime_s: float | None = None,
        error_texts: list[str] | None = None,
        request: dict[str, str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.issuer = issuer
        self.signing_algs = signing_algs
        self.ca_file = ca_file
        self.offline = offline
        self.token_lifetime_s = token_lifetime_s
        self.error_texts = [] if error_texts is None else error_texts
        self.request = request


class Facts(Record):
    """Derived facts shared by checks; each deriver fills its own fields.

    ``authenticators`` is None when the API server's settings could not be seen (then checks
    that need them say ``unknown``), and an empty list when they were seen and hold no JWT
    authenticator. ``token_claims``/``token_header`` are the first decodable token's, for other
    areas (RBAC near misses, proxy). ``extra`` holds anything else a deriver wants to share, by a
    namespaced key ("logs.events", ...).
    """

    _fields = (
        "tokens",
        "token_claims",
        "token_header",
        "token_ref",
        "token_lifetime_s",
        "token_size",
        "authenticators",
        "authenticators_ref",
        "prediction",
        "identity",
        "failures",
        "extra",
    )
    __slots__ = _fields
    tokens: list[Any]  # one report per token input (token area)
    token_claims: dict[str, Any] | None
    token_header: dict[str, Any] | None
    token_ref: str
    token_lifetime_s: float | None  # exp - iat
    token_size: int | None  # bytes
    authenticators: list[AuthenticatorSummary] | None
    authenticators_ref: str
    prediction: Any  # the authn engine's result for the first token, if any
    identity: Identity | None
    failures: list[ObservedFailure]
    extra: dict[str, Any]

    def __init__(
        self,
        tokens: list[Any] | None = None,
        token_claims: dict[str, Any] | None = None,
        token_header: dict[str, Any] | None = None,
        token_ref: str = "",
        token_lifetime_s: float | None = None,
        token_size: int | None = None,
        authenticators: list[AuthenticatorSummary] | None = None,
        authenticators_ref: str = "",
        prediction: Any = None,
        identity: Identity | None = None,
        failures: list[ObservedFailure] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.tokens = [] if tokens is None else tokens
        self.token_claims = token_claims
        self.token_header = token_header
        self.token_ref = token_ref
        self.token_lifetime_s = token_lifetime_s
        self.token_size = token_size
        self.authenticators = authenticators
        self.authenticators_ref = authenticators_ref
        self.prediction = prediction
        self.identity = identity
        self.failures = [] if failures is None else failures
        self.extra = {} if extra is None else extra


class Context(Record):
    """What a check may read besides the evidence."""

    _fields = ("now", "now_source", "options", "facts")
    __slots__ = _fields
    now: datetime
    now_source: str  # flag | log | clock
    options: Options
    facts: Facts

    def __init__(
        self, now: datetime, now_source: str = "clock", options: Options | None = None, facts: Facts | None = None
    ) -> None:
        self.now = now
        self.now_source = now_source
        self.options = Options() if options is None else options
        self.facts = Facts() if facts is None else facts


class Check(FrozenRecord):
    """One registered check: a stable id, the cause codes it may report, and its function (immutable)."""

    _fields = ("id", "causes", "run", "summary")
    __slots__ = _fields
    id: str
    causes: tuple[str, ...]
    run: Callable[[Evidence, Context], CheckResult]
    summary: str

    def __init__(
        self, id: str, causes: tuple[str, ...], run: Callable[[Evidence, Context], CheckResult], summary: str
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "id", id)
        setattr_(self, "causes", causes)
        setattr_(self, "run", run)
        setattr_(self, "summary", summary)


Deriver = Callable[["Evidence", Context], None]
