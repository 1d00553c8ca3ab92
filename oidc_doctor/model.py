"""Typed records that flow through the pipeline: findings, check outcomes, identities.

Checks produce these as data; renderers turn them into text or JSON and never decide anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oidc_doctor.causes import Severity, cause


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


@dataclass(frozen=True)
class EvidenceRef:
    """One piece of evidence: where it was seen (``source``, ``ref``) and what was seen."""

    source: str  # token | apiserver-config | rbac | log | proxy | discovery | jwks | error-text | live
    ref: str  # file, object and field, e.g. "kube-system/kube-apiserver-cp1 --oidc-username-prefix"
    text: str

    def to_json(self) -> dict[str, str]:
        """The REPORT.md shape."""
        return {"source": self.source, "ref": self.ref, "text": self.text}


@dataclass
class Finding:
    """A cause found, with both sides of the mismatch and the fix.

    ``rank`` is a hint for ordering within the same origin: lower comes first. ``explains``
    lists the cause codes this finding is the root cause of (they are ordered after it).
    """

    cause: str
    title: str
    evidence: list[EvidenceRef] = field(default_factory=list)
    fix: str = ""
    severity: Severity | None = None
    origin: Origin = Origin.PREDICTED
    rank: int = 50
    explains: tuple[str, ...] = ()
    check: str = ""

    def __post_init__(self) -> None:
        entry = cause(self.cause)  # raises on an unknown code
        if self.severity is None:
            self.severity = entry.severity
        if not self.fix:
            self.fix = entry.fix

    def to_json(self) -> dict[str, Any]:
        """The REPORT.md shape (plus ``origin`` and ``check``)."""
        return {
            "cause": self.cause,
            "severity": str(self.severity),
            "title": self.title,
            "evidence": [e.to_json() for e in self.evidence],
            "fix": self.fix,
            "origin": str(self.origin),
            "check": self.check,
        }


@dataclass
class CheckResult:
    """What one check reports: its status, why, and its findings."""

    status: Status
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)

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
    def failed(cls, findings: list[Finding], reason: str = "") -> CheckResult:
        """The check looked and found causes."""
        return cls(Status.FAIL, reason, findings)


@dataclass
class Identity:
    """A Kubernetes user as the API server sees it (or as we predict it)."""

    username: str
    groups: list[str] = field(default_factory=list)
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)
    source: str = "prediction"  # selfsubjectreview | prediction | forbidden-message

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


@dataclass(frozen=True)
class AuthenticatorSummary:
    """One JWT authenticator of the API server, reduced to what other areas need.

    The authn engine produces these from flags, AuthenticationConfiguration, k3s args, EKS or
    GKE settings; RBAC and proxy checks compare against them.
    """

    issuer: str
    audiences: tuple[str, ...]
    username_claim: str | None  # None when the username comes from a CEL expression
    username_prefix: str  # the effective prefix (legacy default already applied)
    groups_claim: str | None
    groups_prefix: str
    ref: str  # where the settings were read, for evidence
    username_expression: str | None = None
    groups_expression: str | None = None


@dataclass
class ObservedFailure:
    """A failure the user saw or a server logged, parsed from text.

    ``status`` is 401, 403 or None; ``user`` is the quoted username of a 403 (the API server's
    own computed name); ``kind`` is e.g. "unauthorized", "forbidden", "logged-out".
    """

    kind: str
    ref: str
    text: str
    status: int | None = None
    user: str | None = None
    verb: str | None = None
    resource: str | None = None
    api_group: str | None = None
    namespace: str | None = None
    subresource: str | None = None
    path: str | None = None
