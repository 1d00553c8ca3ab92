"""The explicit registry of derivers and checks; a test enumerates it.

Order matters for derivers (later ones read what earlier ones derived); checks run in list order
but their findings are ranked afterwards (``oidc_doctor.pipeline.rank``).
"""

from __future__ import annotations

from oidc_doctor.checks.base import Check, Deriver


def derivers() -> list[Deriver]:
    """Derivers in the order they run."""
    from oidc_doctor.checks import authn, identity, logs, proxy, rbac, token

    return [
        logs.derive_logs,
        identity.derive_reviewed_identity,
        token.derive_tokens,
        rbac.derive_failures,  # after the token deriver, before the authn one (which predicts)
        authn.derive_authn,
        proxy.derive_proxies,
    ]


def all_checks() -> list[Check]:
    """Every registered check, in run order."""
    from oidc_doctor.checks import authn, clients, identity, logs, proxy, rbac, token

    return [
        *identity.CHECKS,
        *token.CHECKS,
        *authn.CHECKS,
        *logs.CHECKS,
        *proxy.CHECKS,
        *clients.CHECKS,
        *rbac.CHECKS,
    ]
