"""AKS: AKS-managed Microsoft Entra ID and AKS structured authentication, as Microsoft documents them.

**AKS-managed Entra ID** is not OIDC flags. The API server hands every bearer token to a webhook
(Guard, kubeguard/guard ``auth/providers/azure/azure.go``) that verifies an Entra ID **access token**
for the AKS server application and maps it to the user's ``upn`` (else ``oid``) and group object IDs:

- AKS uses two first-party applications, the same in every tenant: the **server** application
  ``6dae42f8-4368-4678-94ff-3960e28e3630`` ("the access token accessing AKS clusters need to be issued
  for this app") and the public **client** ``80faf920-1908-4b52-b5ef-a8e7bedfc67a`` that kubelogin signs
  in with (Azure/kubelogin ``docs/book/src/concepts/aks.md``). ``az aks get-credentials`` writes a
  kubeconfig whose user runs ``kubelogin get-token --server-id 6dae42f8-... --client-id 80faf920-...
  --tenant-id ... --login devicecode`` (clusters from 1.24 on; learn.microsoft.com/azure/aks/
  kubelogin-authentication), against ``https://NAME.hcp.REGION.azmk8s.io``.
- ``kubelogin --legacy`` asks for a token "with 'spn:' prefix in audience claim"; such a token "is not
  compatible with AKS Managed AAD" (Azure/kubelogin ``pkg/internal/token/options.go``,
  ``docs/book/src/concepts/login-modes/devicecode.md``; kubernetes/kubernetes#86410).
- Guard verifies against the tenant's v1 issuer (``https://sts.windows.net/TENANT/``, from the tenant's
  v1 discovery document), so an id_token — v2 ``iss`` ``https://login.microsoftonline.com/TENANT/v2.0``,
  ``aud`` a client application, no ``scp``/``roles`` — is refused.
- Group overage: Entra puts at most 200 groups in a JWT and otherwise ``_claim_names``/``_claim_sources``
  (learn.microsoft.com/entra/identity-platform/access-token-claims-reference). Guard then reads a user's
  groups from Microsoft Graph, but refuses a service principal (``idtyp: app``): "service principal with
  group membership exceeding 200 is not supported" (guard ``getGroupsAndCheckOverage``, ``isAppToken``;
  the limitation in learn.microsoft.com/azure/aks/kubelogin-authentication).
- ``aadProfile.enableAzureRbac: true`` adds Azure RBAC as an authorizer: Azure role assignments on the
  cluster grant access besides Kubernetes RBAC (learn.microsoft.com/azure/aks/manage-azure-rbac).

**AKS structured authentication** (preview): ``az aks jwtauthenticator add/update/show/list`` manage
``Microsoft.ContainerService/managedClusters/jwtAuthenticators`` resources whose ``properties`` are the
upstream ``JWTAuthenticator`` (``issuer``, ``claimValidationRules``, ``claimMappings``,
``userValidationRules``; azure-rest-api-specs ``JWTAuthenticators_CreateOrUpdate``). AKS requires every
mapped username and group to carry the ``aks:jwt:`` prefix "to prevent conflicts with other
authentication methods" (learn.microsoft.com troubleshooting "AKS control plane authentication using
external identity providers", issue 4; learn.microsoft.com/azure/aks/external-identity-provider-
authentication-overview).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
AKS_CLIENT_APP = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"
JWT_PREFIX = "aks:jwt:"
CLUSTER_TYPE = "microsoft.containerservice/managedclusters"
JWT_AUTHENTICATOR_TYPE = "microsoft.containerservice/managedclusters/jwtauthenticators"
#: Well-known resources a token is often issued for by mistake (az account get-access-token's default,
#: Microsoft Graph), named in findings.
KNOWN_RESOURCES = {
    "https://management.azure.com/": "Azure Resource Manager (az account get-access-token's default)",
    "https://management.core.windows.net/": "Azure Resource Manager",
    "00000003-0000-0000-c000-000000000000": "Microsoft Graph",
    "https://graph.microsoft.com": "Microsoft Graph",
    AKS_CLIENT_APP: "the AKS client application (an id_token of kubelogin's sign-in)",
}
_ENTRA_ISSUERS = re.compile(
    r"^https://(?:sts\.windows\.net|login\.microsoftonline\.(?:com|us)|sts\.chinacloudapi\.cn"
    r"|login\.chinacloudapi\.cn|login\.partner\.microsoftonline\.cn)/[0-9a-fA-F-]{36}/(?:v2\.0/?)?$"
)


@dataclass(frozen=True)
class AksCluster:
    """What ``az aks show -o json`` says about authentication and authorization."""

    ref: str
    name: str
    id: str
    resource_group: str
    fqdn: str
    version: str
    managed_entra: bool  # aadProfile.managed
    azure_rbac: bool  # aadProfile.enableAzureRbac
    tenant: str
    admin_groups: tuple[str, ...]
    local_accounts_disabled: bool
    legacy_aad: bool  # aadProfile without managed: the retired server/client app integration


def is_cluster(obj: Any) -> bool:
    """Whether a parsed object is ``az aks show`` output (one ManagedCluster)."""
    if not isinstance(obj, dict):
        return False
    if str(obj.get("type", "")).lower() == CLUSTER_TYPE:
        return True
    return "aadProfile" in obj and ("fqdn" in obj or "kubernetesVersion" in obj or "agentPoolProfiles" in obj)


def parse_cluster(obj: dict[str, Any], ref: str) -> AksCluster:
    """The authentication facts of one ManagedCluster (absent fields read as off)."""
    aad = obj.get("aadProfile") if isinstance(obj.get("aadProfile"), dict) else None
    groups = aad.get("adminGroupObjectIDs") if aad else None
    fqdn = obj.get("fqdn") or obj.get("privateFqdn") or ""
    return AksCluster(
        ref=ref,
        name=str(obj.get("name", "")),
        id=str(obj.get("id", "")),
        resource_group=str(obj.get("resourceGroup") or _segment(str(obj.get("id", "")), "resourcegroups")),
        fqdn=str(fqdn),
        version=str(obj.get("currentKubernetesVersion") or obj.get("kubernetesVersion") or ""),
        managed_entra=bool(aad and aad.get("managed") is True),
        azure_rbac=bool(aad and aad.get("enableAzureRbac") is True),
        tenant=str(aad.get("tenantId") or "") if aad else "",
        admin_groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        local_accounts_disabled=obj.get("disableLocalAccounts") is True,
        legacy_aad=bool(aad and aad.get("managed") is not True),
    )


def _segment(arm_id: str, key: str) -> str:
    """The path segment after ``key`` in an ARM resource id (case-insensitive key)."""
    parts = arm_id.split("/")
    for i, p in enumerate(parts[:-1]):
        if p.lower() == key:
            return parts[i + 1]
    return ""


def is_jwt_authenticator(obj: Any) -> bool:
    """Whether a parsed object is ``az aks jwtauthenticator show`` output (one list item)."""
    if not isinstance(obj, dict):
        return False
    if str(obj.get("type", "")).lower() == JWT_AUTHENTICATOR_TYPE:
        return True
    props = obj.get("properties")
    return (
        isinstance(props, dict)
        and isinstance(props.get("issuer"), dict)
        and isinstance(props.get("claimMappings"), dict)
        and "/jwtauthenticators/" in str(obj.get("id", "")).lower()
    )


def _drop_nulls(value: Any) -> Any:
    """ARM output spells absent fields ``null``; an AuthenticationConfiguration omits them."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value if v is not None]
    return value


#: The fields of an AKS ``JWTAuthenticatorProperties`` that are the upstream JWTAuthenticator's.
_JWT_FIELDS = ("issuer", "claimValidationRules", "claimMappings", "userValidationRules")


def authentication_configuration(objs: list[dict[str, Any]]) -> dict[str, Any]:
    """The AuthenticationConfiguration the JWT authenticators amount to (one ``jwt`` entry each, in order).

    ``apiserver.config.k8s.io/v1beta1`` (Kubernetes 1.30+, the versions AKS offers the feature on);
    ``provisioningState`` and the ARM envelope are not part of it.
    """
    jwt = []
    for obj in objs:
        props = obj.get("properties") if isinstance(obj.get("properties"), dict) else {}
        assert isinstance(props, dict)
        jwt.append({k: _drop_nulls(props[k]) for k in _JWT_FIELDS if k in props and props[k] is not None})
    return {"apiVersion": "apiserver.config.k8s.io/v1beta1", "kind": "AuthenticationConfiguration", "jwt": jwt}


_LITERAL = re.compile(r"""^\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*\+""")


def mapping_prefix(mapping: Any) -> tuple[str | None, str]:
    """The literal every value of a username/groups mapping starts with, and where it is.

    ``claim`` + ``prefix``: the prefix. ``expression``: a leading string literal concatenated to the
    rest (``'aks:jwt:' + claims.sub``), or the literal inside a ``map`` (``claims.groups.map(g,
    'aks:jwt:' + g)``). None when the expression is not of those forms (unknown, not judged).
    """
    if not isinstance(mapping, dict):
        return None, ""
    if isinstance(mapping.get("claim"), str):
        prefix = mapping.get("prefix")
        return (prefix if isinstance(prefix, str) else ""), "prefix"
    expr = mapping.get("expression")
    if not isinstance(expr, str):
        return None, ""
    m = _LITERAL.match(expr)
    if m:
        return m.group(1) if m.group(1) is not None else m.group(2), "expression"
    inner = re.search(r"\.map\(\s*\w+\s*,(.*)\)\s*(?::\s*\[\s*\])?\s*$", expr, re.DOTALL)
    if inner:
        m = _LITERAL.match(inner.group(1))
        if m:
            return m.group(1) if m.group(1) is not None else m.group(2), "expression"
    return None, "expression"


@dataclass(frozen=True)
class JwtPrefix:
    """One mapping of an AKS JWT authenticator and the literal its values start with."""

    authenticator: str  # its name
    ref: str
    field: str  # "username" | "groups"
    prefix: str | None  # None: not a literal (not judged)
    where: str  # "prefix" | "expression"

    @property
    def missing(self) -> bool:
        """Whether the mapping's values do not start with ``aks:jwt:`` (known only for a literal)."""
        return self.prefix is not None and not self.prefix.startswith(JWT_PREFIX)


def jwt_prefixes(obj: dict[str, Any], ref: str) -> list[JwtPrefix]:
    """The username and groups mappings of one ``jwtAuthenticators`` resource."""
    props = obj.get("properties") if isinstance(obj.get("properties"), dict) else {}
    assert isinstance(props, dict)
    cm = props.get("claimMappings") if isinstance(props.get("claimMappings"), dict) else {}
    assert isinstance(cm, dict)
    name = str(obj.get("name", ""))
    out = []
    for fld in ("username", "groups"):
        if fld in cm and cm[fld] is not None:
            prefix, where = mapping_prefix(cm[fld])
            out.append(JwtPrefix(name, f"{ref} properties.claimMappings.{fld}", fld, prefix, where))
    return out


@dataclass(frozen=True)
class AzureKubelogin:
    """A kubeconfig user whose exec plugin is Azure kubelogin (``kubelogin get-token --server-id``)."""

    ref: str
    user: str
    server_id: str
    login: str
    legacy: bool
    tenant: str
    client_id: str
    server: str  # the cluster URL of the contexts that use this user, when known
    auth_provider: bool = False  # the removed `auth-provider: azure` of kubectl < 1.26, not kubelogin


def azure_kubelogin_users(config: Any, file: str) -> list[AzureKubelogin]:
    """The Azure kubelogin users of a kubeconfig (``--server-id`` is what marks Azure's kubelogin;
    int128/kubelogin's ``oidc-login`` takes ``--oidc-issuer-url`` instead)."""
    if not isinstance(config, dict) or not isinstance(config.get("users"), list):
        return []
    servers = _servers_by_user(config)
    out = []
    for u in config["users"]:
        user = u.get("user") if isinstance(u, dict) else None
        legacy_provider = _azure_auth_provider(u, file, servers)
        if legacy_provider is not None:
            out.append(legacy_provider)
            continue
        exec_ = user.get("exec") if isinstance(user, dict) else None
        args = exec_.get("args") if isinstance(exec_, dict) else None
        if not isinstance(args, list):
            continue
        words = [str(a) for a in args]
        flags = _flags(words)
        if "server-id" not in flags or "get-token" not in words:
            continue
        name = str(u.get("name", ""))
        legacy_raw = flags.get("legacy")
        out.append(
            AzureKubelogin(
                ref=f"{file} users[{name}].exec.args",
                user=name,
                server_id=flags.get("server-id") or "",
                login=flags.get("login") or flags.get("l") or "devicecode",
                legacy=legacy_raw is not None and legacy_raw.lower() not in ("false", "0"),
                tenant=flags.get("tenant-id") or flags.get("t") or "",
                client_id=flags.get("client-id") or "",
                server=servers.get(name, ""),
            )
        )
    return out


def _azure_auth_provider(u: Any, file: str, servers: dict[str, str]) -> AzureKubelogin | None:
    """A user of kubectl's built-in ``auth-provider: azure`` (removed in kubectl 1.26: "The azure auth
    plugin has been removed"). Its tokens carry the ``spn:`` audience unless ``config-mode`` is ``"1"``
    (Azure/kubelogin ``pkg/internal/converter/convert.go``: ``config-mode`` empty or ``"0"`` converts to
    ``--legacy``); ``kubelogin convert-kubeconfig`` rewrites it."""
    user = u.get("user") if isinstance(u, dict) else None
    provider = user.get("auth-provider") if isinstance(user, dict) else None
    if not isinstance(provider, dict) or provider.get("name") != "azure":
        return None
    cfg = provider.get("config") if isinstance(provider.get("config"), dict) else {}
    assert isinstance(cfg, dict)
    name = str(u.get("name", ""))
    return AzureKubelogin(
        ref=f"{file} users[{name}].auth-provider.config",
        user=name,
        server_id=str(cfg.get("apiserver-id") or ""),
        login="devicecode",
        legacy=str(cfg.get("config-mode") or "0") == "0",
        tenant=str(cfg.get("tenant-id") or ""),
        client_id=str(cfg.get("client-id") or ""),
        server=servers.get(name, ""),
        auth_provider=True,
    )


def _flags(words: list[str]) -> dict[str, str]:
    """pflag's reading of kubelogin's arguments (``--legacy`` is its only boolean flag read here)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if not w.startswith("-") or w == "-":
            continue
        name, eq, value = w.lstrip("-").partition("=")
        if eq:
            out[name] = value
        elif name == "legacy":
            out[name] = "true"
        elif i < len(words):
            out[name] = words[i]
            i += 1
    return out


def _servers_by_user(config: dict[str, Any]) -> dict[str, str]:
    clusters = {
        str(c.get("name", "")): str((c.get("cluster") or {}).get("server", ""))
        for c in config.get("clusters") or []
        if isinstance(c, dict) and isinstance(c.get("cluster"), dict)
    }
    out: dict[str, str] = {}
    for ctx in config.get("contexts") or []:
        c = ctx.get("context") if isinstance(ctx, dict) else None
        if isinstance(c, dict) and c.get("user") is not None:
            out.setdefault(str(c["user"]), clusters.get(str(c.get("cluster", "")), ""))
    return out


def is_entra_token(claims: dict[str, Any]) -> bool:
    """Whether the token was issued by Microsoft Entra ID (its ``iss`` is a tenant's v1 or v2 issuer)."""
    iss = claims.get("iss")
    return isinstance(iss, str) and bool(_ENTRA_ISSUERS.match(iss))


@dataclass(frozen=True)
class EntraVerdict:
    """What AKS-managed Entra ID makes of one Entra token: the mistakes found, in cause order."""

    access_token: bool
    audiences: tuple[str, ...]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (cause code, words)
    overage: bool = False
    app_token: bool = False  # a service principal's or managed identity's token (idtyp: app)


def judge_entra_token(claims: dict[str, Any]) -> EntraVerdict:
    """AKS-managed Entra ID's verdict on a token's claims (signature and times are judged elsewhere).

    An access token carries ``scp`` (delegated) or ``roles`` (application) and ``appid`` (v1) or
    ``azp`` (v2); an id_token carries none of them (and usually ``nonce``).
    """
    access = any(k in claims for k in ("scp", "roles", "appid", "azp"))
    aud = claims.get("aud")
    auds = tuple(str(a) for a in aud) if isinstance(aud, list) else (str(aud),) if aud is not None else ()
    names = claims.get("_claim_names")
    overage = isinstance(names, dict) and "groups" in names and "groups" not in claims
    app = str(claims.get("idtyp", "")).lower() == "app"
    problems: list[tuple[str, str]] = []
    if not access:
        kind = "an id_token" + (" (v2.0)" if claims.get("ver") == "2.0" else "")
        problems.append(
            (
                "aks-entra-wrong-token-type",
                f"the token is {kind}: no `scp`, `roles`, `appid` or `azp` claim, audience {_q(auds)}; "
                f"AKS validates an access token for the AKS server application {AKS_SERVER_APP}",
            )
        )
    elif AKS_SERVER_APP not in auds:
        if f"spn:{AKS_SERVER_APP}" in auds:
            words = (
                f"the token's audience is `spn:{AKS_SERVER_APP}` (kubelogin --legacy): AKS-managed Entra ID "
                f"expects `{AKS_SERVER_APP}` without the `spn:` prefix"
            )
        else:
            what = "; ".join(f"{a} is {KNOWN_RESOURCES[a]}" for a in auds if a in KNOWN_RESOURCES)
            words = (
                f"the token is an access token for {_q(auds)}"
                + (f" ({what})" if what else "")
                + f", not for the AKS server application {AKS_SERVER_APP}"
            )
        problems.append(("aks-entra-audience-mismatch", words))
    if overage and app:
        problems.append(
            (
                "aks-entra-group-overage",
                "the token of a service principal carries `_claim_names.groups` (more than 200 groups) instead "
                "of `groups`: AKS refuses it (guard: `service principal with group membership exceeding 200 "
                "is not supported`)",
            )
        )
    return EntraVerdict(access, auds, problems, overage, app)


def _q(auds: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{a}"' for a in auds) + "]" if auds else "no aud"
