"""What a check is, and the context it runs in.

A check is a pure function of (evidence, context): it never reads the wall clock (``ctx.now``
is injected), never does I/O and never prints. Facts shared between checks (the decoded token,
the API server's authenticators, the identity) are computed once by *derivers* that run before
the checks, in the order ``oidc_doctor.checks.DERIVERS`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oidc_doctor.model import AuthenticatorSummary, CheckResult, Identity, ObservedFailure

if TYPE_CHECKING:
    from oidc_doctor.evidence import Evidence


@dataclass
class Options:
    """Settings from the command line that checks may use; None means not given."""

    client_id: str | None = None
    issuer: str | None = None
    signing_algs: tuple[str, ...] | None = None
    ca_file: str | None = None
    offline: bool = False
    token_lifetime_s: float | None = None
    error_texts: list[str] = field(default_factory=list)
    #: The failing request, e.g. {"verb": "list", "resource": "pods", "namespace": "default"}.
    request: dict[str, str] | None = None


@dataclass
class Facts:
    """Derived facts shared by checks; each deriver fills its own fields.

    ``authenticators`` is None when the API server's settings could not be seen (then checks
    that need them say ``unknown``), and an empty list when they were seen and hold no JWT
    authenticator.
    """

    tokens: list[Any] = field(default_factory=list)  # one report per token input (token area)
    #: The first decodable token's claims and header, for other areas (RBAC near misses, proxy).
    token_claims: dict[str, Any] | None = None
    token_header: dict[str, Any] | None = None
    token_ref: str = ""
    token_lifetime_s: float | None = None  # exp - iat
    token_size: int | None = None  # bytes
    authenticators: list[AuthenticatorSummary] | None = None
    authenticators_ref: str = ""
    prediction: Any = None  # the authn engine's result for the first token, if any
    identity: Identity | None = None
    failures: list[ObservedFailure] = field(default_factory=list)
    #: Anything else a deriver wants to share, by a namespaced key ("logs.events", ...).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What a check may read besides the evidence."""

    now: datetime
    now_source: str = "clock"  # flag | log | clock
    options: Options = field(default_factory=Options)
    facts: Facts = field(default_factory=Facts)


@dataclass(frozen=True)
class Check:
    """One registered check: a stable id, the cause codes it may report, and its function."""

    id: str
    causes: tuple[str, ...]
    run: Callable[[Evidence, Context], CheckResult]
    summary: str


Deriver = Callable[["Evidence", Context], None]
