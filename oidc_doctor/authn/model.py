"""One model of the API server's JWT authenticator settings, whatever file they came from.

It mirrors ``k8s.io/apiserver/pkg/apis/apiserver`` ``JWTAuthenticator`` (the internal type that
both the legacy ``--oidc-*`` flags and ``AuthenticationConfiguration`` v1alpha1/v1beta1/v1 are
turned into). Every authenticator remembers where each of its settings was read
(``origins``: field path -> "file, object, flag or field") so findings can cite them.
"""

from __future__ import annotations

from oidc_doctor.jose import ASYMMETRIC_ALGS
from oidc_doctor.record import dataclass, field


@dataclass
class ClaimOrExpression:
    """``claimMappings.uid``: a claim name or a CEL expression."""

    claim: str = ""
    expression: str = ""


@dataclass
class PrefixedClaimOrExpression:
    """``claimMappings.username``/``groups``: a claim with a prefix, or a CEL expression.

    ``prefix`` is None when the field is absent: structured config then refuses a claim
    without a prefix ("prefix is required when claim is set").
    """

    claim: str = ""
    prefix: str | None = None
    expression: str = ""


@dataclass
class ClaimValidationRule:
    """``claimValidationRules[]``: ``claim``/``requiredValue`` or ``expression``/``message``."""

    claim: str = ""
    required_value: str = ""
    expression: str = ""
    message: str = ""


@dataclass
class ExtraMapping:
    """``claimMappings.extra[]``."""

    key: str = ""
    value_expression: str = ""


@dataclass
class UserValidationRule:
    """``userValidationRules[]``."""

    expression: str = ""
    message: str = ""


@dataclass
class Issuer:
    """``issuer``: where tokens come from and who they must be for."""

    url: str = ""
    discovery_url: str = ""
    certificate_authority: str = ""
    audiences: list[str] = field(default_factory=list)
    audience_match_policy: str = ""
    egress_selector_type: str = ""


@dataclass
class ClaimMappings:
    """``claimMappings``."""

    username: PrefixedClaimOrExpression = field(default_factory=PrefixedClaimOrExpression)
    groups: PrefixedClaimOrExpression = field(default_factory=PrefixedClaimOrExpression)
    uid: ClaimOrExpression = field(default_factory=ClaimOrExpression)
    extra: list[ExtraMapping] = field(default_factory=list)


@dataclass
class JWTAuthenticator:
    """One ``jwt[]`` entry (or the one the legacy flags build)."""

    issuer: Issuer = field(default_factory=Issuer)
    claim_validation_rules: list[ClaimValidationRule] = field(default_factory=list)
    claim_mappings: ClaimMappings = field(default_factory=ClaimMappings)
    user_validation_rules: list[UserValidationRule] = field(default_factory=list)
    #: field path ("issuer.url", "claimMappings.username.prefix", ...) -> where it was read.
    origins: dict[str, str] = field(default_factory=dict)
    #: where the authenticator as a whole was read (file and object).
    ref: str = ""

    def origin(self, path: str) -> str:
        """Where ``path`` was set, or the authenticator's own reference (a default applies)."""
        return self.origins.get(path) or self.ref

    def has_expressions(self) -> bool:
        """Whether any CEL expression is configured (then the CEL engine must be loaded)."""
        m = self.claim_mappings
        return bool(
            m.username.expression
            or m.groups.expression
            or m.uid.expression
            or m.extra
            or self.user_validation_rules
            or any(r.expression for r in self.claim_validation_rules)
        )


#: Where the settings came from: legacy flags, an AuthenticationConfiguration, a managed service.
SOURCE_FLAGS = "flags"
SOURCE_AUTH_CONFIG = "authentication-config"
SOURCE_EKS = "eks"
SOURCE_GKE = "gke"


@dataclass
class ApiServerAuth:
    """Everything the API server's JWT authentication depends on, from one settings source.

    ``signing_algs`` is the allow-list kube-apiserver passes to every JWT authenticator:
    ``--oidc-signing-algs`` (default RS256) with flags, all nine asymmetric algorithms with
    ``--authentication-config`` (kubernetes pkg/kubeapiserver/options/authentication.go).
    ``startup_errors`` are the messages kube-apiserver would refuse to start with (flag
    validation, strict decoding); ``errors`` per authenticator come from validation.
    """

    source: str
    ref: str
    authenticators: list[JWTAuthenticator] = field(default_factory=list)
    signing_algs: list[str] = field(default_factory=lambda: ["RS256"])
    signing_algs_ref: str = ""
    disallowed_issuers: list[str] = field(default_factory=list)
    #: errors found before any authenticator exists (flags together, decode errors).
    startup_errors: list[str] = field(default_factory=list)
    #: The --authentication-config path named by the flags, if any.
    auth_config_path: str | None = None
    #: True when some setting could not be seen (a file referenced but not in the bundle).
    partial: str = ""
    #: Raw flags, name -> list of (value, where), for evidence.
    flags: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: Other facts worth reporting (e.g. "GKE identity service: users see this provider").
    notes: list[str] = field(default_factory=list)
    #: The ``anonymous`` section of an AuthenticationConfiguration, when present.
    anonymous: AnonymousConfig | None = None
    #: The ``apiVersion`` of the AuthenticationConfiguration file, when one was loaded.
    auth_config_api: str = ""
    #: The kube-apiserver version (``v1.30.2``) and where it was read; "" when unknown.
    kube_version: str = ""
    kube_version_ref: str = ""


@dataclass
class AnonymousConfig:
    """``anonymous``: ``enabled`` and the request paths of ``conditions[]``."""

    enabled: bool = False
    condition_paths: list[str] = field(default_factory=list)


def all_signing_algs() -> list[str]:
    """``oidc.AllValidSigningAlgorithms()``: sorted, as kube-apiserver passes them."""
    return sorted(ASYMMETRIC_ALGS)
