"""Facts derived once per run from the evidence, area by area, in one order: a frozen record.

Each area's deriver (in ``oidc_doctor/checks/<area>.py``; the token and API server areas' in
``checks/token_facts.py`` and ``checks/authn_facts.py``, apart from their checks, for ``predict``)
reads the evidence and the facts derived before it and returns its own record;
:func:`oidc_doctor.derive.derive_all` calls them in the order below (the order is its ``AREAS``
table, not a comment), and nothing writes into a facts record afterwards: checks only read.

1. logs — every log file scanned once: per-kind summaries, failures near the moment judged;
2. tokens — each token judged on its own; the one the other areas judge;
3. controlplane — API server metrics, audit events, identity Leases;
4. reviewed — the API server's own answer: a SelfSubjectReview, else an audit event for the token;
5. failures — the 401/403/logged-out seen: log lines, error texts, audit events;
6. authn — the API server's settings, their validation, the predicted verdict per token;
7. aks — AKS clusters, Azure kubelogin users, AKS JWT authenticators, each Entra token's verdict and
   the user AKS-managed Entra ID maps the judged token to;
8. identity — one precedence rule (:func:`identity_of`);
9. rbac — the bindings' index and the analysis of the identity;
10. idp — the identity provider's own settings (Dex config, Keycloak export);
11. proxy — oauth2-proxy and dashboard settings, Helm releases, ingresses.

The flat fields (``token_claims``, ``authenticators``, ...) are the few facts one area hands to the
others, each set once by its area's deriver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidc_doctor.record import FrozenRecord

if TYPE_CHECKING:
    from oidc_doctor.authn.verify import Prediction
    from oidc_doctor.checks.aks import AksFacts
    from oidc_doctor.checks.authn_facts import AuthnFacts
    from oidc_doctor.checks.controlplane import ControlPlaneFacts
    from oidc_doctor.checks.logs import LogFacts
    from oidc_doctor.checks.proxy import ProxyState
    from oidc_doctor.checks.rbac import RbacFacts
    from oidc_doctor.idp.settings import IdpSettings
    from oidc_doctor.model import AuthenticatorSummary, Identity, ObservedFailure
    from oidc_doctor.token.inspect import TokenReport


class Facts(FrozenRecord):
    """Everything derived from the evidence (immutable: :meth:`but` makes a changed copy).

    ``authenticators`` is None when the API server's settings could not be seen (checks that need
    them say ``unknown``) and empty when they were seen and hold no JWT authenticator.
    """

    _fields = (
        "logs",
        "reviewed",
        "tokens",
        "primary",
        "token_claims",
        "token_header",
        "token_ref",
        "token_lifetime_s",
        "token_size",
        "controlplane",
        "failures",
        "authn",
        "authenticators",
        "authenticators_ref",
        "identity",
        "rbac",
        "proxy",
        "idp",
        "aks",
    )
    __slots__ = _fields
    logs: LogFacts | None
    reviewed: Identity | None
    tokens: tuple[TokenReport, ...]
    primary: TokenReport | None  # the token the other areas judge, and its parts:
    token_claims: dict[str, Any] | None
    token_header: dict[str, Any] | None
    token_ref: str  # its label (file and fingerprint)
    token_lifetime_s: float | None  # exp - iat
    token_size: int | None  # bytes
    controlplane: ControlPlaneFacts | None
    failures: tuple[ObservedFailure, ...]
    authn: AuthnFacts | None
    authenticators: tuple[AuthenticatorSummary, ...] | None
    authenticators_ref: str
    identity: Identity | None
    rbac: RbacFacts | None
    proxy: ProxyState | None
    idp: tuple[IdpSettings, ...]
    aks: AksFacts | None

    def __init__(
        self,
        logs: LogFacts | None = None,
        reviewed: Identity | None = None,
        tokens: tuple[TokenReport, ...] = (),
        primary: TokenReport | None = None,
        token_claims: dict[str, Any] | None = None,
        token_header: dict[str, Any] | None = None,
        token_ref: str = "",
        token_lifetime_s: float | None = None,
        token_size: int | None = None,
        controlplane: ControlPlaneFacts | None = None,
        failures: tuple[ObservedFailure, ...] = (),
        authn: AuthnFacts | None = None,
        authenticators: tuple[AuthenticatorSummary, ...] | None = None,
        authenticators_ref: str = "",
        identity: Identity | None = None,
        rbac: RbacFacts | None = None,
        proxy: ProxyState | None = None,
        idp: tuple[IdpSettings, ...] = (),
        aks: AksFacts | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "logs", logs)
        setattr_(self, "reviewed", reviewed)
        setattr_(self, "tokens", tuple(tokens))
        setattr_(self, "primary", primary)
        setattr_(self, "token_claims", token_claims)
        setattr_(self, "token_header", token_header)
        setattr_(self, "token_ref", token_ref)
        setattr_(self, "token_lifetime_s", token_lifetime_s)
        setattr_(self, "token_size", token_size)
        setattr_(self, "controlplane", controlplane)
        setattr_(self, "failures", tuple(failures))
        setattr_(self, "authn", authn)
        setattr_(self, "authenticators", None if authenticators is None else tuple(authenticators))
        setattr_(self, "authenticators_ref", authenticators_ref)
        setattr_(self, "identity", identity)
        setattr_(self, "rbac", rbac)
        setattr_(self, "proxy", proxy)
        setattr_(self, "idp", tuple(idp))
        setattr_(self, "aks", aks)

    def __hash__(self) -> int:  # holds dicts and reports: identity is enough for one run's facts
        return id(self)

    def but(self, **changes: Any) -> Facts:
        """A copy with ``changes`` (field name → value)."""
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"Facts has no field(s) {sorted(unknown)}")
        return Facts(**{name: changes.get(name, getattr(self, name)) for name in self._fields})

    @property
    def prediction(self) -> Prediction | None:
        """The authn engine's verdict for the judged token (None without settings or token)."""
        return self.authn.prediction if self.authn is not None else None


def identity_of(facts: Facts) -> Identity | None:
    """Who the API server sees, by one precedence rule.

    The API server's own answer wins: a SelfSubjectReview (or an audit event of this token's ``jti``),
    then the user a 403 quotes (with the
    token's predicted groups when the prediction names that very user: a 403 never shows groups),
    then the prediction from the settings and the token.
    """
    from oidc_doctor.model import Identity

    if facts.reviewed is not None:
        return facts.reviewed
    p = facts.prediction
    user = p.user if p is not None and p.authenticated and p.user is not None else None
    if user is None and facts.aks is not None and facts.aks.user is not None:
        user = facts.aks.user  # AKS-managed Entra ID: the user AKS's webhook maps the Entra token to
    quoted = next((f.user for f in facts.failures if f.kind == "forbidden" and f.user is not None), None)
    if quoted is not None:
        if user is not None and user.username == quoted:
            groups = Identity(user.username, list(user.groups)).with_authenticated()  # as RBAC sees them
            return Identity(quoted, groups, uid=user.uid, extra=dict(user.extra), source="forbidden-message")
        return Identity(username=quoted, source="forbidden-message")
    if user is not None:
        return Identity(user.username, list(user.groups), uid=user.uid, extra=dict(user.extra), source="prediction")
    return None
