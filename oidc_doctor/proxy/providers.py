"""oauth2-proxy providers: which ones refresh sessions, since which release, and default scopes.

Facts read from upstream oauth2-proxy's git history (``providers/*.go`` at each release tag):
a provider refreshes when its type implements ``RefreshSession`` (``RefreshSessionIfNeeded``
before v7.2) or embeds ``*OIDCProvider``, which does. Every other provider inherits
``ProviderData``'s default that returns ``ErrNotImplemented``; ``pkg/middleware/stored_session.go``
then only resets the refresh timer and re-validates, so users are logged out when the token
expires although ``--cookie-refresh`` is set.

- ``oidc``, ``google``, ``gitlab``: own refresh in every v6/v7 release checked (v6.1.1 on).
- ``azure``: refresh from v7.0.0 (``providers/azure.go``).
- ``keycloak-oidc`` and ``adfs``: added in v7.2.0, both embedding ``*OIDCProvider``
  (``providers/keycloak_oidc.go``, ``providers/adfs.go``); they do not exist before v7.2.0.
- ``entra-id``: added in v7.8.0 (``providers/ms_entra_id.go``), embeds ``*OIDCProvider``.
- ``cidaas``: added in v7.12.0 (``providers/cidaas.go``), embeds ``*OIDCProvider``.
- ``keycloak`` (legacy), ``github``, ``bitbucket``, ``digitalocean``, ``facebook``, ``linkedin``,
  ``login.gov``, ``nextcloud``, ``sourcehut``: no refresh in any release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Version = tuple[int, int, int]

#: provider type -> first release whose provider refreshes sessions.
REFRESH_SINCE: dict[str, Version] = {
    "oidc": (6, 0, 0),
    "google": (6, 0, 0),
    "gitlab": (6, 0, 0),
    "azure": (7, 0, 0),
    "keycloak-oidc": (7, 2, 0),
    "adfs": (7, 2, 0),
    "entra-id": (7, 8, 0),
    "cidaas": (7, 12, 0),
}

#: provider type -> first release that knows the type (``providers/providers.go``); older
#: releases reject or ignore an unknown ``--provider``.
EXISTS_SINCE: dict[str, Version] = {
    "keycloak-oidc": (7, 2, 0),
    "adfs": (7, 2, 0),
    "entra-id": (7, 8, 0),
    "cidaas": (7, 12, 0),
}

NEVER_REFRESH = frozenset(
    {
        "keycloak",
        "github",
        "bitbucket",
        "digitalocean",
        "facebook",
        "linkedin",
        "login.gov",
        "nextcloud",
        "sourcehut",
    }
)

#: Default ``--scope`` per provider when none is set (the ``*DefaultScope`` constants of
#: upstream ``providers/*.go``; ``keycloak-oidc`` and ``entra-id`` use the OIDC default).
DEFAULT_SCOPE: dict[str, str] = {
    "oidc": "openid email profile",
    "keycloak-oidc": "openid email profile",
    "entra-id": "openid email profile",
    "adfs": "openid email profile",
    "azure": "openid",
    "gitlab": "openid email",
    "google": "profile email",
    "cidaas": "openid email profile roles groups",
    "keycloak": "api",
    "github": "user:email read:org",
    "login.gov": "email openid",
}

_VERSION = re.compile(r"(?:^|[^0-9.])v?(\d+)\.(\d+)\.(\d+)")


def version_from_image(image: str) -> Version | None:
    """The oauth2-proxy release in an image reference, from its tag; None for digests or ``latest``.

    Handles ``quay.io/oauth2-proxy/oauth2-proxy:v7.6.0``, ``...:v7.6.0-alpine`` and Bitnami's
    ``bitnami/oauth2-proxy:7.1.3-debian-10-r23``.
    """
    ref = image.split("@", 1)[0]
    _, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return None
    m = _VERSION.search(tag)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)))


def show(v: Version) -> str:
    """``v7.2.0``."""
    return "v{}.{}.{}".format(*v)


@dataclass(frozen=True)
class RefreshSupport:
    """Whether a provider refreshes sessions in a release: True, False, or None (cannot tell)."""

    refreshes: bool | None
    reason: str


def refresh_support(provider: str, version: Version | None) -> RefreshSupport:
    """Look the provider up in the table, for the release when it is known."""
    p = provider.strip().lower()
    if p in NEVER_REFRESH:
        return RefreshSupport(False, f"provider `{p}` has no session refresh in any oauth2-proxy release")
    since = REFRESH_SINCE.get(p)
    if since is None:
        return RefreshSupport(None, f"provider `{p}` is not in the refresh table")
    if version is None:
        if since <= (7, 0, 0):
            return RefreshSupport(True, f"provider `{p}` refreshes sessions")
        return RefreshSupport(
            None, f"provider `{p}` refreshes only from oauth2-proxy {show(since)}; the image has no version tag"
        )
    if version >= since:
        return RefreshSupport(True, f"provider `{p}` refreshes sessions since {show(since)}")
    exists = EXISTS_SINCE.get(p)
    if exists is not None and version < exists:
        return RefreshSupport(
            False, f"provider `{p}` does not exist before oauth2-proxy {show(exists)}; the image is {show(version)}"
        )
    return RefreshSupport(
        False, f"provider `{p}` refreshes sessions only from oauth2-proxy {show(since)}; the image is {show(version)}"
    )
