"""What a check is, and the context it runs in.

A check is a pure function of (evidence, context): it never reads the wall clock (``ctx.now``
is injected), never does I/O, never prints and never writes to the facts. Facts shared between
checks (the decoded token, the API server's authenticators, the identity) are derived once, area
by area, by :func:`oidc_doctor.derive.derive_all`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from oidc_doctor.record import FrozenRecord, Record

if TYPE_CHECKING:
    from oidc_doctor.authn.settings import SettingsView
    from oidc_doctor.authn.verify import KeyLookup
    from oidc_doctor.dates import datetime
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.facts import Facts
    from oidc_doctor.model import CheckResult


class Options(Record):
    """Settings from the command line that checks may use; None means not given.

    ``request`` is the failing request, e.g. {"verb": "list", "resource": "pods", "namespace": "default"}.
    ``apiserver`` are API server settings given on the command line (``predict``'s settings options),
    judged instead of those the evidence holds; ``keys`` is where predictions get the issuer's keys
    (``predict``: ``--jwks``, or fetched from the issuer); None: only a JWKS of the evidence, offline.
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
        "apiserver",
        "keys",
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
    apiserver: SettingsView | None
    keys: KeyLookup | None

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
        apiserver: SettingsView | None = None,
        keys: KeyLookup | None = None,
    ) -> None:
        self.client_id = client_id
        self.issuer = issuer
        self.signing_algs = signing_algs
        self.ca_file = ca_file
        self.offline = offline
        self.token_lifetime_s = token_lifetime_s
        self.error_texts = [] if error_texts is None else error_texts
        self.request = request
        self.apiserver = apiserver
        self.keys = keys


class Context(FrozenRecord):
    """What a check may read besides the evidence (immutable: :meth:`but` makes a changed copy).

    ``facts`` are derived once per run by :func:`oidc_doctor.derive.derive_all`.
    """

    _fields = ("now", "now_source", "options", "facts")
    __slots__ = _fields
    now: datetime
    now_source: str  # flag | log | bundle | token | clock (commands/when.py)
    options: Options
    facts: Facts

    def __init__(
        self, now: datetime, now_source: str = "clock", options: Options | None = None, facts: Facts | None = None
    ) -> None:
        from oidc_doctor.facts import Facts

        setattr_ = object.__setattr__
        setattr_(self, "now", now)
        setattr_(self, "now_source", now_source)
        setattr_(self, "options", Options() if options is None else options)
        setattr_(self, "facts", Facts() if facts is None else facts)

    def __hash__(self) -> int:  # options are mutable: identity is enough for a run's context
        return id(self)

    def but(
        self,
        *,
        now: datetime | None = None,
        now_source: str | None = None,
        options: Options | None = None,
        facts: Facts | None = None,
    ) -> Context:
        """A copy with the fields given changed."""
        return Context(
            now=self.now if now is None else now,
            now_source=self.now_source if now_source is None else now_source,
            options=self.options if options is None else options,
            facts=self.facts if facts is None else facts,
        )


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
