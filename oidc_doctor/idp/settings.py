"""Identity provider settings users paste: Dex's config and Keycloak's realm or client export.

They say what the provider will put into an id_token before any token is in hand: the issuer
(Dex), the audiences (Keycloak audience mappers, Dex trusted peers), the groups claim and the
shape of its values (Keycloak's "Full group path"), and the id_token lifetime. Only these facts
are kept: client secrets, connector credentials and users never leave the parser.

Outside facts, from the providers' sources:

- Dex (dexidp/dex ``cmd/dex/config.go``, ``server/server.go``): ``issuer`` is the ``iss`` of every
  token, byte for byte; ``expiry.idTokens`` is a Go duration, default ``24h``
  (``idTokensValidFor := value(c.IDTokensValidFor, 24*time.Hour)``); ``staticClients[].id``
  is the ``aud`` of the id_tokens it requests; a client listed in another client's ``trustedPeers``
  may ask for that client's audience with the scope ``audience:server:client_id:ID``
  (server/oauth2.go, ``scopeCrossClientPrefix``).
- Keycloak (keycloak/keycloak ``GroupMembershipMapper.java``, ``OIDCAttributeMapperHelper.java``,
  ``AudienceProtocolMapper.java``, ``TokenManager.java``): a group membership mapper puts the user's
  groups under ``claim.name``, as full paths (``/parent/child``) when ``full.path`` is the string
  ``"true"`` (the admin console's default), and into the id_token only when ``id.token.claim`` is
  ``"true"``; an audience mapper adds ``included.client.audience`` or ``included.custom.audience``;
  the id_token expires with the access token: the client's ``access.token.lifespan`` attribute, else
  the realm's ``accessTokenLifespan`` (seconds, default 300). A client gets the mappers of its own
  ``protocolMappers`` and of its default client scopes; an optional client scope's mappers only
  when the scope is requested. The issuer is ``BASE/realms/REALM`` (``BASE/auth/realms/REALM`` on
  Keycloak before 17 or with ``--http-relative-path=/auth``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oidc_doctor.gosyntax import go_duration

DEX = "Dex"
KEYCLOAK = "Keycloak"

#: Dex's default id_token lifetime (server/server.go).
DEX_DEFAULT_ID_TOKEN_S = 24 * 3600.0
#: Keycloak's default realm ``accessTokenLifespan`` (seconds).
KEYCLOAK_DEFAULT_ACCESS_TOKEN_S = 300.0

GROUP_MAPPER = "oidc-group-membership-mapper"
AUDIENCE_MAPPER = "oidc-audience-mapper"


@dataclass(frozen=True)
class GroupsMapper:
    """A Keycloak group membership mapper as it reaches one client's tokens."""

    claim: str
    full_path: bool
    in_id_token: bool
    via: str  # "client" or the client scope's name
    optional: bool  # from an optional client scope: only when that scope is requested
    ref: str


@dataclass(frozen=True)
class IdpClient:
    """One OAuth client of the provider and what its id_token will carry."""

    client_id: str
    ref: str
    #: Audiences added to the id_token besides the client id (Keycloak audience mappers with
    #: ``id.token.claim``), or peers that may request theirs (Dex ``trustedPeers`` of other clients).
    id_token_audiences: tuple[str, ...] = ()
    #: Dex: the clients that list this client among their trusted peers (cross-client audiences).
    trusted_by: tuple[str, ...] = ()
    groups: tuple[GroupsMapper, ...] = ()
    id_token_lifetime_s: float | None = None
    lifetime_ref: str = ""


@dataclass(frozen=True)
class IdpSettings:
    """One provider's settings from one file."""

    product: str  # DEX or KEYCLOAK
    ref: str
    issuer: str = ""  # Dex: exact; Keycloak: "" (the export does not hold the host)
    realm: str = ""  # Keycloak
    clients: tuple[IdpClient, ...] = ()
    id_token_lifetime_s: float | None = None
    lifetime_ref: str = ""

    def client(self, client_id: str) -> IdpClient | None:
        """The client with that id, if the export holds it."""
        return next((c for c in self.clients if c.client_id == client_id), None)

    def lifetime_for(self, client_id: str | None) -> tuple[float | None, str]:
        """The id_token lifetime of tokens made for ``client_id`` (the realm's when unknown) and its ref."""
        c = self.client(client_id) if client_id else None
        if c is not None and c.id_token_lifetime_s is not None:
            return c.id_token_lifetime_s, c.lifetime_ref
        return self.id_token_lifetime_s, self.lifetime_ref


def _dict(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: object) -> list[Any]:
    return v if isinstance(v, list) else []


def is_dex_config(obj: dict[str, Any]) -> bool:
    """Dex's config file (or a Dex Helm chart's ``config`` value): ``issuer`` beside storage/clients/connectors."""
    return isinstance(obj.get("issuer"), str) and any(k in obj for k in ("storage", "staticClients", "connectors"))


def is_keycloak_export(obj: dict[str, Any]) -> bool:
    """A Keycloak realm export (``realm`` + clients or token settings) or one client's export."""
    if isinstance(obj.get("realm"), str) and ("clients" in obj or "accessTokenLifespan" in obj):
        return True
    return (
        isinstance(obj.get("clientId"), str)
        and obj.get("protocol", "openid-connect") == "openid-connect"
        and ("protocolMappers" in obj or "defaultClientScopes" in obj)
    )


def idp_config_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The provider config inside ``obj``: itself, or a Dex Helm chart's ``config`` value."""
    if is_dex_config(obj) or is_keycloak_export(obj):
        return obj
    inner = obj.get("config")
    if isinstance(inner, dict) and is_dex_config(inner):
        return inner
    return None


def parse(obj: dict[str, Any], ref: str) -> IdpSettings | None:
    """The settings in one parsed file (None when it is no provider config)."""
    cfg = idp_config_of(obj)
    if cfg is None:
        return None
    if is_dex_config(cfg):
        return _dex(cfg, ref)
    return _keycloak(cfg, ref)


def _dex(cfg: dict[str, Any], ref: str) -> IdpSettings:
    expiry = _dict(cfg.get("expiry"))
    raw = expiry.get("idTokens")
    lifetime, lifetime_ref = DEX_DEFAULT_ID_TOKEN_S, f"{ref} expiry.idTokens (unset: Dex's default 24h)"
    if isinstance(raw, str) and go_duration(raw) is not None:
        lifetime, lifetime_ref = float(go_duration(raw) or 0), f"{ref} expiry.idTokens: {raw}"
    statics = [c for c in _list(cfg.get("staticClients")) if isinstance(c, dict) and isinstance(c.get("id"), str)]
    trusted_by: dict[str, list[str]] = {}
    for c in statics:
        for peer in _list(c.get("trustedPeers")):
            if isinstance(peer, str):
                trusted_by.setdefault(peer, []).append(c["id"])
    clients = tuple(
        IdpClient(
            client_id=c["id"],
            ref=f"{ref} staticClients[{i}] {c['id']}",
            trusted_by=tuple(trusted_by.get(c["id"], ())),
            id_token_lifetime_s=lifetime,
            lifetime_ref=lifetime_ref,
        )
        for i, c in enumerate(statics)
    )
    return IdpSettings(
        DEX,
        ref,
        issuer=str(cfg["issuer"]),
        clients=clients,
        id_token_lifetime_s=lifetime,
        lifetime_ref=lifetime_ref,
    )


def _seconds(v: object) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float) and v > 0:
        return float(v)
    if isinstance(v, str) and v.strip().isdigit() and int(v) > 0:
        return float(int(v))
    return None


def _mappers(mappers: object, via: str, optional: bool, ref: str) -> tuple[list[GroupsMapper], list[str]]:
    groups: list[GroupsMapper] = []
    audiences: list[str] = []
    for i, m in enumerate(_list(mappers)):
        if not isinstance(m, dict):
            continue
        conf = {str(k): str(v) for k, v in _dict(m.get("config")).items()}
        kind = m.get("protocolMapper")
        in_id = conf.get("id.token.claim") == "true"
        where = f"{ref} protocolMappers[{i}] {m.get('name', kind)}"
        if kind == GROUP_MAPPER and conf.get("claim.name"):
            groups.append(
                GroupsMapper(conf["claim.name"], conf.get("full.path") == "true", in_id, via, optional, where)
            )
        elif kind == AUDIENCE_MAPPER and in_id:
            audiences += [a for a in (conf.get("included.client.audience"), conf.get("included.custom.audience")) if a]
    return groups, audiences


def _keycloak(cfg: dict[str, Any], ref: str) -> IdpSettings:
    realm = str(cfg.get("realm", ""))
    realm_lifetime = _seconds(cfg.get("accessTokenLifespan"))
    realm_ref = f"{ref} accessTokenLifespan"
    if realm_lifetime is None and "realm" in cfg:
        realm_lifetime, realm_ref = KEYCLOAK_DEFAULT_ACCESS_TOKEN_S, f"{ref} accessTokenLifespan (unset: 300 s)"
    scopes = {str(s.get("name")): s for s in _list(cfg.get("clientScopes")) if isinstance(s, dict) and s.get("name")}
    raw_clients = _list(cfg.get("clients")) if "realm" in cfg else [cfg]
    clients: list[IdpClient] = []
    for i, c in enumerate(raw_clients):
        if not isinstance(c, dict) or not isinstance(c.get("clientId"), str):
            continue
        cref = f"{ref} clients[{i}] {c['clientId']}" if "realm" in cfg else f"{ref} client {c['clientId']}"
        groups, audiences = _mappers(c.get("protocolMappers"), "client", False, cref)
        for key, optional in (("defaultClientScopes", False), ("optionalClientScopes", True)):
            for name in _list(c.get(key)):
                scope = scopes.get(str(name))
                if scope is None:
                    continue
                g, a = _mappers(scope.get("protocolMappers"), str(name), optional, f"{ref} clientScopes {name}")
                groups += g
                audiences += [] if optional else a
        own = _seconds(_dict(c.get("attributes")).get("access.token.lifespan"))
        clients.append(
            IdpClient(
                client_id=c["clientId"],
                ref=cref,
                id_token_audiences=tuple(dict.fromkeys(audiences)),
                groups=tuple(groups),
                id_token_lifetime_s=own if own is not None else realm_lifetime,
                lifetime_ref=f"{cref} attributes.access.token.lifespan" if own is not None else realm_ref,
            )
        )
    return IdpSettings(
        KEYCLOAK,
        ref,
        realm=realm,
        clients=tuple(clients),
        id_token_lifetime_s=realm_lifetime,
        lifetime_ref=realm_ref if realm_lifetime is not None else "",
    )


def keycloak_realm_of(issuer: str) -> str | None:
    """The realm named by a Keycloak issuer URL (``…/realms/NAME``), else None."""
    parts = issuer.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "realms" and parts[-1]:
        return parts[-1]
    return None
