"""kubelogin users of a kubeconfig as :class:`~oidc_doctor.clients.OidcClient` records.

``kubectl config view --minify --raw`` shows the exec plugin's arguments: the issuer and client
id kubelogin asks for, the extra scopes it requests and whether it sends the access token. Facts
from int128/kubelogin (``pkg/cmd/get_token.go``, ``pkg/cmd/authentication.go``, cobra/pflag):
``--oidc-issuer-url``, ``--oidc-client-id``, ``--oidc-extra-scope`` (a string slice: repeated
and comma-separated values accumulate), ``--oidc-use-access-token`` (boolean: send the access
token instead of the id_token); ``openid`` is always requested before the extra scopes
(``pkg/oidc/client``). The exec command may be ``kubectl`` with ``oidc-login get-token`` or
``kubelogin get-token``: pflag reads flags among those positional words.

kubectl's own ``oidc`` auth-provider (client-go ``plugin/pkg/client/auth/oidc/oidc.go``, still
loaded by kubectl) is the older form of the same client: ``auth-provider.config`` holds
``idp-issuer-url``, ``client-id``, ``extra-scopes`` (comma-separated; ``openid`` is always asked) and
the ``id-token`` it sends.
"""

from __future__ import annotations

from typing import Any

from oidc_doctor.clients import (
    ClientKind,
    KubeconfigAuthProvider,
    KubeconfigExec,
    OidcClient,
    Option,
    Setting,
    TokenKind,
)
from oidc_doctor.gosyntax import Syntax, go_bool, split_flags

#: kubelogin's boolean flags (they never take the next word).
BOOL_FLAGS = frozenset(
    {"oidc-use-access-token", "oidc-use-pkce", "insecure-skip-tls-verify", "skip-open-browser", "force-refresh"}
)

_NAMES = {
    Option.ISSUER: "oidc-issuer-url",
    Option.CLIENT_ID: "oidc-client-id",
    Option.SCOPES: "oidc-extra-scope",
    Option.TOKEN: "oidc-use-access-token",
}
_DEFAULTS: dict[Option, Any] = {Option.ISSUER: "", Option.CLIENT_ID: "", Option.SCOPES: [], Option.TOKEN: False}


def _setting(name: str, value: Any, source: str, ref: str) -> Setting:
    return Setting(name, value, source, ref, program="kubelogin", unset_by="the exec args")


def _auth_provider_client(u: dict[str, Any], file: str) -> OidcClient | None:
    """kubectl's oidc auth-provider of one kubeconfig user, as a client (None for other users)."""
    user = u.get("user") if isinstance(u.get("user"), dict) else {}
    provider = user.get("auth-provider") if isinstance(user, dict) else None
    if not isinstance(provider, dict) or provider.get("name") != "oidc":
        return None
    raw = provider.get("config")
    config: dict[str, Any] = raw if isinstance(raw, dict) else {}
    name = str(u.get("name", ""))
    base = f"{file} users[{name}].user.auth-provider.config"

    def setting(key: str, value: Any, default: Any) -> Setting:
        if key in config:
            return Setting(
                key, value, "kubeconfig", f"{base}.{key}", dash="", program="kubectl", unset_by="the kubeconfig"
            )
        return Setting(key, default, "default", base, dash="", program="kubectl", unset_by="the kubeconfig")

    scopes = [s for s in str(config.get("extra-scopes", "")).split(",") if s]
    settings = {
        Option.ISSUER: setting("idp-issuer-url", str(config.get("idp-issuer-url", "")), ""),
        Option.CLIENT_ID: setting("client-id", str(config.get("client-id", "")), ""),
        Option.SCOPES: setting("extra-scopes", scopes, []),
        Option.TOKEN: Setting(
            "id-token", False, "default", base, dash="", program="kubectl", unset_by="the kubeconfig"
        ),
    }
    return OidcClient(
        kind=ClientKind.KUBECTL_OIDC,
        ref=f"kubectl oidc auth-provider (user `{name}` of {file})",
        source="kubeconfig",
        settings=settings,
        where=KubeconfigAuthProvider(name, file),
        scopes=("openid", *scopes),
        scope_join=",",
        token=TokenKind.ID_TOKEN,  # client-go sends the id-token, never an access token
    )


def kubelogin_clients(config: Any, file: str) -> list[OidcClient]:
    """One client per kubeconfig user whose exec plugin passes ``--oidc-issuer-url`` (kubelogin), or
    whose ``auth-provider`` is kubectl's ``oidc``."""
    out: list[OidcClient] = []
    users = config.get("users") if isinstance(config, dict) else None
    for u in users if isinstance(users, list) else []:
        legacy = _auth_provider_client(u, file) if isinstance(u, dict) else None
        if legacy is not None:
            out.append(legacy)
            continue
        user = u.get("user") if isinstance(u, dict) else None
        exec_ = user.get("exec") if isinstance(user, dict) else None
        args = exec_.get("args") if isinstance(exec_, dict) else None
        if not isinstance(args, list):
            continue
        name = str(u.get("name", ""))
        words = [str(a) for a in args]
        base = f"{file} users[{name}].exec.args"
        found: dict[str, Setting] = {}
        for i, flag, raw in split_flags(words, BOOL_FLAGS.__contains__, Syntax.PFLAG):
            ref = f"{base}[{i}]"
            if flag == "oidc-extra-scope":
                prev = found.get(flag)
                items = [s for s in (raw or "").split(",") if s]
                value = [*(prev.value if prev else []), *items]
                found[flag] = _setting(flag, value, "flag", f"{prev.ref}, [{i}]" if prev else ref)
            elif flag in BOOL_FLAGS:
                found[flag] = _setting(flag, True if raw is None else go_bool(raw), "flag", ref)
            elif raw is not None:
                found[flag] = _setting(flag, raw, "flag", ref)
        if "oidc-issuer-url" not in found:
            continue
        settings = {
            opt: found.get(flag) or _setting(flag, _DEFAULTS[opt], "default", base) for opt, flag in _NAMES.items()
        }
        use_access = settings[Option.TOKEN].value
        out.append(
            OidcClient(
                kind=ClientKind.KUBELOGIN,
                ref=f"kubelogin (user `{name}` of {file})",
                source="kubeconfig",
                settings=settings,
                where=KubeconfigExec(name, file),
                scopes=("openid", *settings[Option.SCOPES].value),
                scope_join="",
                token=None if use_access is None else TokenKind.ACCESS_TOKEN if use_access else TokenKind.ID_TOKEN,
            )
        )
    return out
