"""Nested claims: kube-apiserver reads a claim by its top-level name; only CEL reaches inside objects."""

from __future__ import annotations

from typing import Any


def nested_claim(claims: dict[str, Any], dotted: str) -> object | None:
    """The value at ``dotted`` (``realm_access.roles``) inside nested claims, or None.

    kube-apiserver reads the groups claim by its top-level name only (``--oidc-groups-claim`` and
    ``claimMappings.groups.claim``); a dot is part of the name, never a path. Only a CEL expression
    (``claims.realm_access.roles``) reaches into nested objects.
    """
    if "." not in dotted or dotted in claims:
        return None
    value: object = claims
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def nested_fix(dotted: str) -> str:
    """How to reach a nested claim: a CEL mapping (structured config), or a flat claim from the IdP."""
    expr = "claims." + dotted
    return (
        "map it with a CEL expression in an AuthenticationConfiguration (kube-apiserver >= 1.30): "
        f"`claimMappings.groups.expression: '{expr}'` (with a prefix: `'oidc:' + g` in a map: "
        f"`{expr}.map(g, 'oidc:' + g)`), or make the IdP emit a flat claim (Keycloak: a \"User Realm Role\" "
        "mapper with Token Claim Name `groups`, multivalued) and set the groups claim to it"
    )
