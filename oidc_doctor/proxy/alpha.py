"""oauth2-proxy alpha configuration (``--alpha-config``, YAML) mapped onto the legacy option names.

Structure from upstream ``pkg/apis/options/alpha_options.go``, ``providers.go`` and
``header.go``: ``upstreamConfig.upstreams[]`` hold ``uri`` (or ``static``);
``providers[]`` hold ``provider`` (the type), ``clientID``, ``scope`` and
``oidcConfig.{issuerURL,groupsClaim,emailClaim,userIDClaim,extraAudiences}``;
``injectRequestHeaders`` / ``injectResponseHeaders`` list headers whose ``values`` take a
``claimSource.claim``. The legacy ``--pass-authorization-header`` is an ``Authorization`` request
header from claim ``id_token`` with prefix ``Bearer `` and ``--set-authorization-header`` the same
response header (``legacy_options.go`` ``getAuthorizationHeader``).
"""

from __future__ import annotations

from typing import Any

import yaml

from oidc_doctor.clients import Setting
from oidc_doctor.proxy.objects import ConfigProblem, as_dict, as_list
from oidc_doctor.text import clean

_PROVIDER_FIELDS = {
    "provider": "provider",
    "clientID": "client-id",
    "scope": "scope",
}
_OIDC_FIELDS = {
    "issuerURL": "oidc-issuer-url",
    "groupsClaim": "oidc-groups-claim",
    "emailClaim": "oidc-email-claim",
    "userIDClaim": "user-id-claim",
    "extraAudiences": "oidc-extra-audience",
}

#: Legacy flag name -> where alpha config sets it (for fixes written in alpha config terms).
ALPHA_PATHS: dict[str, str] = {
    **{flag: f"providers[0].{key}" for key, flag in _PROVIDER_FIELDS.items()},
    **{flag: f"providers[0].oidcConfig.{key}" for key, flag in _OIDC_FIELDS.items()},
}


def _header_from_claim(headers: Any, name: str, claim: str) -> tuple[bool, str]:
    """Whether the header list sets ``name`` from ``claim``; and where."""
    if not isinstance(headers, list):
        return False, ""
    for i, h in enumerate(headers):
        if not isinstance(h, dict) or str(h.get("name", "")).lower() != name.lower():
            continue
        for j, v in enumerate(as_list(h.get("values"))):
            src = (v or {}).get("claimSource") if isinstance(v, dict) else None
            if isinstance(src, dict) and src.get("claim") == claim:
                return True, f"[{i}].values[{j}]"
    return False, ""


def alpha_settings(text: str, ref: str) -> tuple[dict[str, Any] | None, dict[str, Setting], list[ConfigProblem]]:
    """Parse alpha config YAML; returns (document, settings by legacy flag name, problems)."""
    problems: list[ConfigProblem] = []
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        problems.append(ConfigProblem(f"failed to load alpha options: {clean(e, 200)}", ref))
        return None, {}, problems
    if not isinstance(doc, dict):
        problems.append(ConfigProblem("failed to load alpha options: the file is not a YAML mapping", ref))
        return None, {}, problems
    out: dict[str, Setting] = {}
    providers = as_list(doc.get("providers"))
    # Messages of upstream pkg/validation/providers.go validateProviders / validateProvider.
    if not isinstance(providers, list) or not providers:
        problems.append(ConfigProblem("at least one provider has to be defined", f"{ref} providers"))
    else:
        for i, prov in enumerate(providers):
            if isinstance(prov, dict) and not prov.get("id"):
                problems.append(
                    ConfigProblem("provider has empty id: ids are required for all providers", f"{ref} providers[{i}]")
                )
            if isinstance(prov, dict) and not prov.get("clientID"):
                problems.append(ConfigProblem("provider missing setting: client-id", f"{ref} providers[{i}]"))
        p = providers[0] if isinstance(providers[0], dict) else {}
        for key, flag in _PROVIDER_FIELDS.items():
            if key in p and p[key] is not None:
                out[flag] = Setting(flag, str(p[key]), "alpha-config", f"{ref} providers[0].{key}", str(p[key]))
        oidc = as_dict(p.get("oidcConfig"))
        if isinstance(oidc, dict):
            for key, flag in _OIDC_FIELDS.items():
                if key not in oidc or oidc[key] is None:
                    continue
                v = oidc[key]
                value: Any = [str(x) for x in v] if isinstance(v, list) else str(v)
                out[flag] = Setting(flag, value, "alpha-config", f"{ref} providers[0].oidcConfig.{key}")
    ups = as_dict(doc.get("upstreamConfig")).get("upstreams") if isinstance(doc.get("upstreamConfig"), dict) else None
    if isinstance(ups, list):
        uris = [str(u.get("uri")) for u in ups if isinstance(u, dict) and u.get("uri")]
        statics = ["static://" for u in ups if isinstance(u, dict) and u.get("static")]
        out["upstream"] = Setting("upstream", uris + statics, "alpha-config", f"{ref} upstreamConfig.upstreams")
    for flag, section, claim in (
        ("pass-authorization-header", "injectRequestHeaders", "id_token"),
        ("set-authorization-header", "injectResponseHeaders", "id_token"),
        ("pass-access-token", "injectRequestHeaders", "access_token"),
    ):
        header = "X-Forwarded-Access-Token" if claim == "access_token" else "Authorization"
        on, where = _header_from_claim(doc.get(section), header, claim)
        out[flag] = Setting(flag, on, "alpha-config", f"{ref} {section}{where}" if on else f"{ref} {section}")
    return doc, out, problems
