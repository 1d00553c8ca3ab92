"""The explicit registry of checks; a test enumerates it.

Checks run in list order, but their findings are ranked afterwards (``oidc_doctor.pipeline.rank``).
The facts they read are derived before, in the order :func:`oidc_doctor.derive.derive_all` fixes.
"""

from __future__ import annotations

from oidc_doctor.checks.base import Check


def all_checks() -> list[Check]:
    """Every registered check, in run order."""
    from oidc_doctor.checks import aks, authn, clients, controlplane, identity, idp, logs, proxy, rbac, token

    return [
        *identity.CHECKS,
        *token.CHECKS,
        *authn.CHECKS,
        *logs.CHECKS,
        *controlplane.CHECKS,
        *proxy.CHECKS,
        *clients.CHECKS,
        *idp.CHECKS,
        *rbac.CHECKS,
        *aks.CHECKS,
    ]
