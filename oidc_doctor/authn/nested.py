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


def nested_groups(claims: dict[str, Any]) -> str | None:
    """The dotted path of a list of names nested in the claims that looks like groups or roles
    (Keycloak's ``realm_access.roles`` and ``resource_access.<client>.roles``, others' ``*.groups``),
    or None: where a missing top-level groups claim most likely went."""
    for path, value in _walk(claims, (), depth=3):
        if len(path) > 1 and path[-1] in ("roles", "groups") and isinstance(value, list):
            if value and all(isinstance(v, str) for v in value):
                return ".".join(path)
    return None


def _walk(value: object, path: tuple[str, ...], depth: int) -> list[tuple[tuple[str, ...], object]]:
    if not isinstance(value, dict) or depth == 0:
        return []
    out: list[tuple[tuple[str, ...], object]] = []
    for k, v in value.items():
        if isinstance(k, str):
            out.append(((*path, k), v))
            out += _walk(v, (*path, k), depth - 1)
    return out


def nested_fix(dotted: str) -> str:
    """How to reach a nested claim: a CEL mapping (structured config), or a flat claim from the IdP."""
    expr = "claims." + dotted
    return (
        "map it with a CEL expression in an AuthenticationConfiguration (kube-apiserver >= 1.30): "
        f"`claimMappings.groups.expression: '{expr}'` (with a prefix: `'oidc:' + g` in a map: "
        f"`{expr}.map(g, 'oidc:' + g)`), or make the IdP emit a flat claim (Keycloak: a \"User Realm Role\" "
        "mapper with Token Claim Name `groups`, multivalued) and set the groups claim to it"
    )
