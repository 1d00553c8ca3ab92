"""Typed records that flow through the pipeline: findings, check outcomes, identities.

Checks produce these as data; renderers turn them into text or JSON and never decide anything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from oidc_doctor.dates import datetime
from oidc_doctor.record import FrozenRecord, Record
from oidc_doctor.text import iso

# The cause catalogue and the secrets policy are imported by the constructors that use them: the
# token engine reads this module's statuses, and ``predict`` starts (and answers) without a finding.

if TYPE_CHECKING:  # a Change is made only by the checks that propose one (1 ms of start-up)
    from oidc_doctor.causes import Severity
    from oidc_doctor.change import Change


class Origin(StrEnum):
    """Where a finding's knowledge comes from; the API server's own word outranks a prediction."""

    OBSERVED = "observed"  # the API server or proxy said so (log line, 403 text, SelfSubjectReview)
    PREDICTED = "predicted"  # we computed what the API server would do
    CONFIG = "config"  # read from settings, no request involved


class Status(StrEnum):
    """Outcome of one check. ``unknown``/``skipped`` mean the check could not look."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


class EvidenceRef(FrozenRecord):
    """One piece of evidence: where it was seen (``source``, ``ref``) and what was seen (immutable)."""

    _fields = ("source", "ref", "text")
    __slots__ = _fields
    source: str  # token | apiserver-config | rbac | log | proxy | discovery | jwks | error-text | live
    ref: str  # file, object and field, e.g. "kube-system/kube-apiserver-cp1 --oidc-username-prefix"
    text: str

    def __init__(self, source: str, ref: str, text: str) -> None:
        from oidc_doctor.secrets import mask_text  # (see the module's imports)

        object.__setattr__(self, "source", source)
        object.__setattr__(self, "ref", ref)
        # the one secrets policy at the one door every finding's evidence passes
        object.__setattr__(self, "text", mask_text(text) if isinstance(text, str) else text)

    def to_json(self) -> dict[str, str]:
        """The REPORT.md shape."""
        return {"source": self.source, "ref": self.ref, "text": self.text}


class Finding(Record):
    """A cause found, with both sides of the mismatch and the fix.

    ``severity``, ``fix``, ``rank`` and ``explains`` default to the catalogue's (``causes.py`` owns
    the relations between causes); an unknown cause code raises ``ValueError``. ``bare`` marks an
    observation that carries no reason (a bare ``invalid bearer token`` line) or lies far from the
    moment judged: it is the API server's word, but it does not say why, so a prediction that
    explains it comes first. ``change`` is the fix as data (``oidc_doctor.change``): what
    ``diagnose --what-if`` would apply; None when the fix lies outside the evidence.
    """

    _fields = ("cause", "title", "evidence", "fix", "severity", "origin", "rank", "explains", "check", "bare", "change")
    __slots__ = _fields
    cause: str
    title: str
    evidence: list[EvidenceRef]
    fix: str
    severity: Severity | None
    origin: Origin
    rank: int
    explains: tuple[str, ...]
    check: str
    bare: bool
    change: Change | None

    def __init__(
        self,
        cause: str,
        title: str,
        evidence: list[EvidenceRef] | None = None,
        fix: str = "",
        severity: Severity | None = None,
        origin: Origin = Origin.PREDICTED,
        rank: int | None = None,
        explains: tuple[str, ...] = (),
        check: str = "",
        bare: bool = False,
        change: Change | None = None,
    ) -> None:
        from oidc_doctor.causes import cause as _cause
        from oidc_doctor.secrets import mask_text

        entry = _cause(cause)  # raises on an unknown code
        self.cause = cause
        self.title = mask_text(title) if isinstance(title, str) else title
        self.evidence = [] if evidence is None else evidence
        self.fix = mask_text(fix) if fix else entry.fix_text()
        self.severity = entry.severity if severity is None else severity
        self.origin = origin
        self.rank = entry.rank if rank is None else rank
        self.explains = tuple(dict.fromkeys((*entry.explains, *explains)))
        self.check = check
        self.bare = bare
        self.change = change

    def to_json(self) -> dict[str, Any]:
        """The REPORT.md shape (plus ``origin`` and ``check``)."""
        return {
            "cause": self.cause,
            "severity": str(self.severity),
            "title": self.title,
            "evidence": [e.to_json() for e in self.evidence],
            "fix": self.fix,
            "change": self.change.to_json() if self.change is not None else None,
            "origin": str(self.origin),
            "check": self.check,
        }


class CheckResult(Record):
    """What one check reports: its status, why, and its findings."""

    _fields = ("status", "reason", "findings")
    __slots__ = _fields
    status: Status
    reason: str
    findings: list[Finding]

    def __init__(self, status: Status, reason: str = "", findings: list[Finding] | None = None) -> None:
        self.status = status
        self.reason = reason
        self.findings = [] if findings is None else findings

    @classmethod
    def unknown(cls, reason: str) -> CheckResult:
        """The check could not look (input missing, forbidden, unreachable)."""
        return cls(Status.UNKNOWN, reason)

    @classmethod
    def skipped(cls, reason: str) -> CheckResult:
        """The check does not apply to these inputs."""
        return cls(Status.SKIPPED, reason)

    @classmethod
    def passed(cls, reason: str = "") -> CheckResult:
        """The check looked and found nothing wrong."""
        return cls(Status.PASS, reason)

    @classmethod
    def outcome(cls, findings: list[Finding], unknown: list[str], passed: str) -> CheckResult:
        """Findings fail the check; otherwise any item that could not be judged makes it unknown."""
        if findings:
            return cls.failed(findings)
        if unknown:
            return cls.unknown("; ".join(unknown))
        return cls.passed(passed)

    @classmethod
    def failed(cls, findings: list[Finding], reason: str = "") -> CheckResult:
        """The check looked and found causes."""
        return cls(Status.FAIL, reason, findings)


class Identity(Record):
    """A Kubernetes user as the API server sees it (or as we predict it)."""

    _fields = ("username", "groups", "uid", "extra", "source")
    __slots__ = _fields
    username: str
    groups: list[str]
    uid: str
    extra: dict[str, list[str]]
    source: str  # selfsubjectreview | audit-event | prediction | forbidden-message

    def __init__(
        self,
        username: str,
        groups: list[str] | None = None,
        uid: str = "",
        extra: dict[str, list[str]] | None = None,
        source: str = "prediction",
    ) -> None:
        self.username = username
        self.groups = [] if groups is None else groups
        self.uid = uid
        self.extra = {} if extra is None else extra
        self.source = source

    def with_authenticated(self) -> list[str]:
        """Groups as RBAC sees them: the API server adds ``system:authenticated``.

        kube-apiserver's group adder appends it unless the user is ``system:anonymous`` or the
        groups already hold ``system:authenticated``/``system:unauthenticated``
        (k8s.io/apiserver pkg/authentication/group/authenticated_group_adder.go).
        """
        if self.username == "system:anonymous" or {"system:authenticated", "system:unauthenticated"} & set(self.groups):
            return list(self.groups)
        return [*self.groups, "system:authenticated"]

    def to_json(self) -> dict[str, Any]:
        """The REPORT.md ``identity`` shape."""
        return {
            "username": self.username,
            "groups": self.with_authenticated() if self.source == "prediction" else list(self.groups),
            "uid": self.uid,
            "extra": {k: list(v) for k, v in self.extra.items()},
            "source": self.source,
        }


class AuthenticatorSummary(FrozenRecord):
    """One JWT authenticator of the API server, reduced to what other areas need (immutable).

    The authn engine produces these from flags, AuthenticationConfiguration, k3s args, EKS or
    GKE settings; RBAC and proxy checks compare against them.
    """

    _fields = (
        "issuer",
        "audiences",
        "username_claim",
        "username_prefix",
        "groups_claim",
        "groups_prefix",
        "ref",
        "username_expression",
        "groups_expression",
    )
    __slots__ = _fields
    issuer: str
    audiences: tuple[str, ...]
    username_claim: str | None  # None when the username comes from a CEL expression
    username_prefix: str  # the effective prefix (legacy default already applied)
    groups_claim: str | None
    groups_prefix: str
    ref: str  # where the settings were read, for evidence
    username_expression: str | None
    groups_expression: str | None

    def __init__(
        self,
        issuer: str,
        audiences: tuple[str, ...],
        username_claim: str | None,
        username_prefix: str,
        groups_claim: str | None,
        groups_prefix: str,
        ref: str,
        username_expression: str | None = None,
        groups_expression: str | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "issuer", issuer)
        setattr_(self, "audiences", audiences)
        setattr_(self, "username_claim", username_claim)
        setattr_(self, "username_prefix", username_prefix)
        setattr_(self, "groups_claim", groups_claim)
        setattr_(self, "groups_prefix", groups_prefix)
        setattr_(self, "ref", ref)
        setattr_(self, "username_expression", username_expression)
        setattr_(self, "groups_expression", groups_expression)


class FailureSource(StrEnum):
    """Where a failure was seen: which kind of log, the audit log, or a text the user gave.

    The log kinds spell like :class:`oidc_doctor.evidence.Kind`'s log kinds.
    """

    APISERVER_LOG = "apiserver-log"  # kube-apiserver's own log: its word on the request
    PROXY_LOG = "proxy-log"  # an authenticating proxy's log (oauth2-proxy, Kubeapps, ...)
    INGRESS_LOG = "ingress-log"  # the ingress controller's access log
    AUDIT = "audit"  # the API server's audit log
    ERROR_TEXT = "error-text"  # what the user saw: --error, an error text file


class ObservedFailure(Record):
    """A failure the user saw or a server logged, parsed from text.

    ``status`` is 401, 403 or None; ``user`` is the quoted username of a 403 (the API server's
    own computed name); ``kind`` is e.g. "unauthorized", "forbidden", "logged-out"; ``source``
    says where it was seen (``ref`` names the file and line).
    """

    _fields = (
        "kind",
        "ref",
        "text",
        "status",
        "user",
        "verb",
        "resource",
        "api_group",
        "namespace",
        "subresource",
        "path",
        "name",
        "source",
    )
    __slots__ = _fields
    kind: str
    ref: str
    text: str
    status: int | None
    user: str | None
    verb: str | None
    resource: str | None
    api_group: str | None
    namespace: str | None
    subresource: str | None
    path: str | None
    name: str | None  # the object a 403 names: `pods "web" is forbidden` (for resourceNames rules)
    source: FailureSource

    def __init__(
        self,
        kind: str,
        ref: str,
        text: str,
        status: int | None = None,
        user: str | None = None,
        verb: str | None = None,
        resource: str | None = None,
        api_group: str | None = None,
        namespace: str | None = None,
        subresource: str | None = None,
        path: str | None = None,
        name: str | None = None,
        source: FailureSource = FailureSource.ERROR_TEXT,
    ) -> None:
        self.kind = kind
        self.ref = ref
        self.text = text
        self.status = status
        self.user = user
        self.verb = verb
        self.resource = resource
        self.api_group = api_group
        self.namespace = namespace
        self.subresource = subresource
        self.path = path
        self.name = name
        self.source = source


class TimelineKind(StrEnum):
    """What a moment of the session timeline is (docs/timeline.md)."""

    TOKEN_IAT = "token-iat"
    TOKEN_NBF = "token-nbf"
    TOKEN_EXP = "token-exp"
    TOKEN_AUTH_TIME = "token-auth-time"
    REFRESH = "refresh"
    COOKIE_REFRESH = "cookie-refresh"
    COOKIE_EXPIRE = "cookie-expire"
    SESSION_EXPIRE = "session-expire"
    LOG_FAILURE = "log-failure"
    PREDICTED_LOGOUT = "predicted-logout"
    NOW = "now"


class TimelineEntry(FrozenRecord):
    """One moment that decides when a user is logged out (immutable).

    JSON: ``{"at": RFC 3339 UTC, "kind", "what", "ref"?, "cause"?}`` — ``ref`` (the evidence)
    and ``cause`` (a cause code) are left out when there is none.
    """

    _fields = ("at", "kind", "what", "ref", "cause")
    __slots__ = _fields
    at: datetime  # timezone-aware
    kind: TimelineKind
    what: str
    ref: str | None
    cause: str | None

    def __init__(
        self, at: datetime, kind: TimelineKind, what: str, ref: str | None = None, cause: str | None = None
    ) -> None:
        if cause is not None:
            from oidc_doctor.causes import cause as _cause

            _cause(cause)  # raises on an unknown code
        from oidc_doctor.secrets import mask_text

        setattr_ = object.__setattr__
        setattr_(self, "at", at)
        setattr_(self, "kind", kind)
        setattr_(self, "what", mask_text(what))
        setattr_(self, "ref", ref)
        setattr_(self, "cause", cause)

    def to_json(self) -> dict[str, str]:
        """The report's ``timeline`` entry."""
        out = {"at": iso(self.at), "kind": str(self.kind), "what": self.what}
        if self.ref:
            out["ref"] = self.ref
        if self.cause:
            out["cause"] = self.cause
        return out
