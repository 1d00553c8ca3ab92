"""The root-cause catalogue: the single source of truth for every cause code.

Each code is a public contract (see ``docs/causes.md``, generated from this module by
``python -m oidc_doctor.causes``): scripts and reports depend on it, so a code is never renamed
or reused. A finding names one of these codes; its title and fix may be more specific than the
defaults kept here.
"""

from __future__ import annotations

from enum import StrEnum

from oidc_doctor.record import FrozenRecord


class Severity(StrEnum):
    """How much a finding matters: ``error`` explains a failure, ``warning`` is a risk."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Failure(StrEnum):
    """A kind of failure a user observes; each cause says which kinds it can answer."""

    UNAUTHORIZED = "unauthorized"  # 401: the API server rejected the credentials
    FORBIDDEN = "forbidden"  # 403: authenticated, but RBAC (or no credentials at all) refused
    LOGGED_OUT = "logged-out"  # the dashboard/proxy session ended


class Cause(FrozenRecord):
    """One root-cause code with its human knowledge and its relations (immutable).

    ``rank``: order among findings of equal standing (lower first). ``answers``: the kinds of observed
    failure this cause can explain (a 401, a 403, a logged-out session). ``explains``: the codes this
    cause is a root cause of — its consequences, which are ordered after it (the causal graph).
    ``fix`` is the cause's one fix template, with named slots (``{issuer}``) that checks fill with the
    values they found (:meth:`fix_text`, :func:`fix_for`); ``slots`` gives each slot the words used
    when nothing more is known (the default fix, shown in ``docs/causes.md``). A finding may still
    carry a more specific text of its own (a paste-ready command for one object).
    """

    _fields = ("code", "area", "meaning", "evidence", "fix", "severity", "rank", "answers", "explains", "slots")
    __slots__ = _fields
    code: str
    area: str
    meaning: str
    evidence: str
    fix: str
    severity: Severity
    rank: int
    answers: tuple[Failure, ...]
    explains: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]

    def __init__(
        self,
        code: str,
        area: str,
        meaning: str,
        evidence: str,
        fix: str,
        severity: Severity = Severity.ERROR,
        rank: int = 50,
        answers: tuple[str, ...] = (),
        explains: tuple[str, ...] = (),
        slots: tuple[tuple[str, str], ...] | dict[str, str] = (),
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "code", code)
        setattr_(self, "area", area)
        setattr_(self, "meaning", meaning)
        setattr_(self, "evidence", evidence)
        setattr_(self, "fix", fix)
        setattr_(self, "severity", severity)
        setattr_(self, "rank", rank)
        setattr_(self, "answers", tuple(Failure(a) for a in answers))
        setattr_(self, "explains", explains)
        setattr_(self, "slots", tuple(slots.items()) if isinstance(slots, dict) else tuple(slots))

    def slot_names(self) -> frozenset[str]:
        """The named slots of the fix template."""
        return template_slots(self.fix)

    def fix_text(self, **values: str) -> str:
        """The fix with its slots filled: ``values`` first, then the defaults. An unknown slot name, or
        a slot with neither, raises ``ValueError`` (a programming error the catalogue test catches)."""
        names = self.slot_names()
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"{self.code}: the fix template has no slot(s) {sorted(unknown)}")
        filled = {**dict(self.slots), **values}
        missing = names - set(filled)
        if missing:
            raise ValueError(f"{self.code}: no value for slot(s) {sorted(missing)}")
        return self.fix.format(**filled)


def template_slots(template: str) -> frozenset[str]:
    """The ``{name}`` slots of a template (``str.format`` syntax; ``{{`` is a literal brace)."""
    import string

    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


_AREAS = {
    "config": "API server configuration and reachability",
    "token": "The token",
    "rbac": "Identity and RBAC",
    "proxy": "Auth proxy and session (oauth2-proxy, Kubeapps, dashboards)",
    "managed": "Managed platforms (AKS-managed Microsoft Entra ID, AKS structured authentication)",
    "none": "Not a cause",
}

CATALOGUE: tuple[Cause, ...] = (
    Cause(
        "oidc-not-configured",
        "config",
        "the API server has no OIDC/JWT authenticator: no `--oidc-issuer-url` and no `jwt` entry in "
        "`--authentication-config` (or only claim flags set; managed cluster without an identity "
        "provider config)",
        "apiserver args / AuthenticationConfiguration / k3s node args / EKS config; log: bare `invalid bearer token`",
        "configure issuer and client id (`--oidc-issuer-url` and `--oidc-client-id`, an "
        "AuthenticationConfiguration `jwt` entry, or the EKS identity provider config)",
        rank=10,
        answers=("unauthorized",),
        explains=("issuer-mismatch", "token-malformed", "tokens-reach-no-authenticator"),
    ),
    Cause(
        "oidc-config-invalid",
        "config",
        "settings the API server refuses or silently ignores: `--oidc-*` together with "
        "`--authentication-config`, non-https issuer, structured `claim` without `prefix`, "
        "unsupported alg (HS256), duplicate issuers",
        "apiserver args; startup log",
        "change the setting the message names",
        rank=5,
        answers=("unauthorized",),
        explains=("oidc-not-configured", "issuer-mismatch", "issuer-unreachable", "auth-config-reload-failed"),
    ),
    Cause(
        "issuer-unreachable",
        "config",
        "the API server cannot fetch discovery or JWKS (DNS, network, wrong discoveryURL)",
        "log `oidc authenticator: initializing plugin: ...`; per request `oidc: authenticator not initialized`",
        "make the issuer reachable from the control plane, or set `issuer.discoveryURL`",
        rank=12,
        answers=("unauthorized",),
        explains=("stale-signing-keys",),
    ),
    Cause(
        "issuer-ca-untrusted",
        "config",
        "the issuer's TLS certificate is not trusted by the API server",
        "log `x509: certificate signed by unknown authority`; no `--oidc-ca-file` / `certificateAuthority`",
        "give the API server the issuer's CA: `--oidc-ca-file` or `issuer.certificateAuthority`",
        rank=11,
        answers=("unauthorized",),
        explains=("issuer-unreachable",),
    ),
    Cause(
        "discovery-issuer-mismatch",
        "config",
        "the discovery document's `issuer` differs from the configured URL (trailing slash, `/auth` path)",
        "discovery JSON; log `issuer did not match the issuer returned by provider`",
        "make the configured issuer URL exactly {issuer} (and the tokens' `iss` the same), or fix the "
        "identity provider's public URL so discovery reports the configured one",
        rank=8,
        answers=("unauthorized",),
        explains=("issuer-unreachable",),
        slots={"issuer": "the discovery document's `issuer`"},
    ),
    Cause(
        "apiserver-endpoint-mismatch",
        "config",
        "the request never reached the API server whose settings were judged: the kubeconfig or dashboard "
        "talks to another endpoint (an IP instead of the load balancer name, a node whose API server lacks "
        "the flags, a Rancher or other proxy in front), or the API servers of one cluster differ",
        "the prediction accepts the token while a 401 was observed and the API server log has no matching "
        "line; the kubeconfig's server URL vs the API server's advertise address and certificate names; "
        "API server Pods with different OIDC flags",
        "point the kubeconfig or dashboard at the API server that carries the OIDC settings (or give every "
        "API server of the cluster the same settings, and restart them)",
        rank=9,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "apiserver-config-drift",
        "config",
        "the AuthenticationConfiguration in hand is not the file the API server runs: its sha256 differs from "
        "the hash the API server reports for the configuration it loaded (an edit not yet picked up, a file "
        "on another node, a copy from elsewhere; a copy that differs only in bytes — re-indented, converted "
        "to JSON — reads as drift too)",
        "metric `apiserver_authentication_config_controller_last_config_info{apiserver_id_hash,hash}` vs "
        "`sha256sum` of the AuthenticationConfiguration file in hand",
        "judge the file the API server runs: on each control-plane node `sha256sum` the `--authentication-config` "
        "file and compare with the metric's `hash`; send that file (or fix it and let the API server reload it)",
        rank=6,
        answers=("unauthorized", "forbidden"),
        explains=("apiserver-endpoint-mismatch",),
    ),
    Cause(
        "auth-config-reload-failed",
        "config",
        "the API server's last automatic reload of the AuthenticationConfiguration failed: the file changed, "
        "but the previous configuration is still active (the new file does not parse, does not validate, "
        "changes `anonymous`, or the update timed out)",
        "metric `apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds"
        '{status="failure"}` newer than `{status="success"}`; log `failed to load / validate / update '
        "authentication config`",
        "read why in the API server log (`kubectl -n kube-system logs -l component=kube-apiserver | grep "
        "'authentication config'`), fix the file; the API server retries when the file changes again",
        rank=4,
        answers=("unauthorized", "forbidden"),
        explains=("apiserver-config-drift",),
    ),
    Cause(
        "apiserver-manifest-not-applied",
        "config",
        "the kube-apiserver static Pod manifest in hand cannot be parsed (a tab in the indentation, broken "
        "YAML, not a Pod): the kubelet cannot apply it and keeps the API server it already runs, so the flags "
        "in that file are not the running ones",
        "the manifest file (YAML error with its line); the kubelet log `Could not process manifest file`; "
        "the running Pod's flags (`kubectl -n kube-system get pod -l component=kube-apiserver -o yaml`)",
        "fix the file so that it parses (spaces, not tabs; `python3 -c 'import sys,yaml; "
        "yaml.safe_load(open(sys.argv[1]))' FILE`); the kubelet restarts the API server with it; then judge "
        "the running Pod",
        rank=3,
        answers=("unauthorized", "forbidden"),
        explains=("apiserver-config-drift", "apiserver-endpoint-mismatch", "oidc-not-configured"),
    ),
    Cause(
        "stale-signing-keys",
        "config",
        "the API server verifies with a key set that lacks the token's `kid`, while the issuer now serves a "
        "key set holding it: the keys were rotated and the API server kept the old set (go-oidc caches a "
        "JWKS until its HTTP expiry; a fetch that fails, or reaches another endpoint, keeps the old keys)",
        "metric `apiserver_authentication_jwt_authenticator_jwks_fetch_last_key_set_info{hash}` equal to the "
        "sha256 of an older JWKS in hand without the `kid`, the issuer's current JWKS with it; log `failed to "
        "verify id token signature`",
        "let the API server fetch the issuer's current JWKS: make the jwks_uri reachable from the control plane "
        "(same endpoint, same answer as for clients), lower the JWKS `Cache-Control: max-age`, or restart the "
        "API servers after a rotation; publish new keys before signing with them",
        rank=13,
        answers=("unauthorized",),
        explains=("signature-invalid", "apiserver-endpoint-mismatch"),
    ),
    Cause(
        "tokens-reach-no-authenticator",
        "config",
        "requests are rejected (401) and no JWT authenticator of the API server counted them: the tokens' `iss` "
        "matches no configured issuer (or they are no JWTs), so every authenticator declined them silently",
        "401s in the API server log or audit log vs `apiserver_authentication_jwt_authenticator_latency_seconds"
        "{jwt_issuer_hash}` (no count for the token's issuer hash, `sha256:` + hex of the `iss`)",
        "compare the token's `iss` with every configured issuer byte for byte (`oidc-doctor token` shows it, "
        "and its hash); send a JWT of a configured issuer",
        rank=14,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "reason-not-logged",
        "config",
        "the API server's log line says only `invalid bearer token`: the logger dropped the reason (zap/JSON "
        "loggers keep only the error's top text in `errorCauses`, kube-apiserver 1.34, vcluster), so the line "
        "alone cannot tell which check failed",
        "a bare `invalid bearer token` for a token whose `iss` is configured; `errorCauses` in the line",
        "read the reason elsewhere: `oidc-doctor predict --token @TOKEN` with the API server's settings, the "
        "JWT authenticator metrics (`kubectl get --raw /metrics | grep jwt_authenticator`), or a SelfSubjectReview "
        "(`kubectl auth whoami` with the token)",
        rank=95,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "token-malformed",
        "token",
        "not a signed JWT: opaque access token, JWE (5 parts), bad base64url/JSON, doubled `Bearer `",
        "the token itself; log: bare `invalid bearer token`, or `oidc: malformed jwt`",
        "send the id_token as a compact JWT (or a JWT access token the cluster accepts)",
        rank=10,
        answers=("unauthorized",),
        explains=("issuer-mismatch", "tokens-reach-no-authenticator"),
    ),
    Cause(
        "token-expired",
        "token",
        "`exp` is in the past at the time of the request",
        "`exp` vs now/log time; log `token is expired`",
        "get a fresh token: refresh it before it expires (see the proxy's `--cookie-refresh`), and check clocks",
        rank=20,
        answers=("unauthorized", "logged-out"),
        explains=(),
    ),
    Cause(
        "token-not-yet-valid",
        "token",
        "`nbf`/`iat` in the future: clock skew",
        "`nbf`/`iat`; log `before the nbf`",
        "fix the clocks (NTP) on the identity provider and the control plane",
        rank=21,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "issuer-mismatch",
        "token",
        "token `iss` is not exactly the configured issuer URL (the token is silently skipped)",
        "`iss` vs `--oidc-issuer-url` / `issuer.url` / proxy `--oidc-issuer-url`; log: bare `invalid bearer token`",
        "make the token's `iss` and the configured issuer URL the same string, byte for byte{example}",
        rank=15,
        answers=("unauthorized",),
        explains=("tokens-reach-no-authenticator",),
        slots={"example": ""},
    ),
    Cause(
        "audience-mismatch",
        "token",
        "no `aud` value is an accepted audience (dashboard/proxy client differs from `--oidc-client-id`)",
        "`aud` vs client id / `audiences`; proxy `--client-id`; log `expected audience`",
        "make the client that obtains the token use client id {audience} (one OAuth client for the client and "
        "the API server), or add an audience mapper in the identity provider emitting {audience}; with "
        "AuthenticationConfiguration you may list the token's audience in `issuer.audiences`",
        rank=16,
        answers=("unauthorized",),
        explains=(),
        slots={"audience": "the API server accepts"},
    ),
    Cause(
        "wrong-token-type",
        "token",
        "an access token (e.g. Keycloak `typ: Bearer`, `aud: account`, Azure `scp`) was sent where "
        "an id_token is validated, or the reverse",
        "token claims; Kubeapps `proxypassAccessTokenAsBearer`",
        "send the token type the cluster validates (normally the id_token)",
        rank=12,
        answers=("unauthorized", "forbidden"),
        explains=(
            "audience-mismatch",
            "issuer-mismatch",
            "username-claim-missing",
            "groups-claim-missing",
            "signature-invalid",
            "email-not-verified",
        ),
    ),
    Cause(
        "signing-alg-not-allowed",
        "token",
        "header `alg` not in the accepted algorithms (legacy default: RS256 only)",
        "header vs `--oidc-signing-algs`; log `unsupported algorithm`",
        "allow the algorithm: {flag} (or use AuthenticationConfiguration, which accepts every asymmetric "
        "algorithm), or make the identity provider sign with RS256",
        rank=30,
        answers=("unauthorized",),
        explains=("signature-invalid",),
        slots={"flag": "`--oidc-signing-algs=RS256,<the token's alg>`"},
    ),
    Cause(
        "signature-invalid",
        "token",
        "signature does not verify, or `kid` not in the issuer's JWKS (key rotation, other IdP with same `iss`)",
        "JWKS; log `failed to verify signature`",
        "the token was not signed by a key the issuer publishes: log in again for a freshly signed token; check "
        "the issuer's key rotation and that no other identity provider issues tokens with this `iss`",
        rank=31,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "username-claim-missing",
        "token",
        "the username claim (`--oidc-username-claim`, default `sub`) is absent",
        "claims; log `claim not present`",
        "request the scope that carries {claim}, add an identity provider mapper for it, or choose another "
        "username claim the token carries",
        rank=17,
        answers=("unauthorized",),
        explains=(),
        slots={"claim": "the claim"},
    ),
    Cause(
        "email-not-verified",
        "token",
        "username claim is `email` and `email_verified` is false",
        "claims; log `email not verified`; proxy `isn't verified`",
        "verify the email in the identity provider, or use another username claim",
        rank=19,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "groups-claim-missing",
        "token",
        "groups claim absent: scope not requested, no IdP mapper (silent on the server: a 403, never a 401)",
        "claims; proxy `--scope`; whoami shows only `system:authenticated`",
        "request the `groups` scope, add a groups mapper in the identity provider, or set "
        "`--oidc-groups-claim` to the claim that holds them",
        rank=5,
        answers=("forbidden",),
        explains=("rbac-no-binding", "rbac-insufficient-permissions", "group-name-mismatch"),
    ),
    Cause(
        "groups-claim-invalid",
        "token",
        "groups claim of a type the server cannot parse",
        "claims; log `parse groups claim`",
        "emit the groups claim as a string or an array of strings",
        rank=18,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "groups-distributed-claims",
        "token",
        "groups replaced by `_claim_names`/`_claim_sources` (Azure overage)",
        "claims; log `could not expand distributed claims`",
        "limit the groups the identity provider emits so they are in the token (Azure: "
        '`groupMembershipClaims=ApplicationGroup`, "groups assigned to the application"), or use another '
        "authentication path",
        rank=18,
        answers=("unauthorized", "forbidden"),
        explains=("rbac-no-binding", "rbac-insufficient-permissions", "group-name-mismatch", "groups-claim-missing"),
    ),
    Cause(
        "required-claim-mismatch",
        "token",
        "`--oidc-required-claim` / `claimValidationRules` (claim or CEL expression) not satisfied",
        "claims vs rules; log `required claim ...`, `error evaluating claim validation expression`",
        "fix the claim the identity provider emits, or the rule",
        rank=18,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "claim-mapping-error",
        "token",
        "structured-config CEL mapping fails, yields an empty username, or a `userValidationRules` rule fails",
        "AuthenticationConfiguration; log `error evaluating ... claim expression`, `empty username via CEL`",
        "fix the expression (use `has()`, or `claims.?x.orValue(...)` for optional claims)",
        rank=18,
        answers=("unauthorized",),
        explains=(),
    ),
    Cause(
        "username-prefix-mismatch",
        "rbac",
        "a binding names the user without (or with another) prefix than the server applies (`oidc:`, "
        "default `ISSUER#`)",
        "effective username vs binding subjects; 403 message",
        "bind the exact username the API server computes, or change the username prefix",
        rank=10,
        answers=("forbidden",),
        explains=("rbac-no-binding", "rbac-insufficient-permissions"),
    ),
    Cause(
        "username-claim-mismatch",
        "rbac",
        "a binding names another claim's value (email bound, server uses `sub`)",
        "claims vs subjects",
        "bind the value the server uses, or change the username claim",
        rank=10,
        answers=("forbidden",),
        explains=("rbac-no-binding", "rbac-insufficient-permissions"),
    ),
    Cause(
        "group-name-mismatch",
        "rbac",
        "a group binding nearly matches: missing groups prefix, Keycloak full path `/grp`, case, GUID vs name",
        "group values vs Group subjects",
        "bind the exact group name, or change the identity provider's mapper or the groups prefix",
        rank=12,
        answers=("forbidden",),
        explains=("rbac-no-binding", "rbac-insufficient-permissions"),
    ),
    Cause(
        "rbac-no-binding",
        "rbac",
        "no binding at all for the user or any of its groups",
        "RBAC",
        "create a binding for the user or one of its groups",
        rank=30,
        answers=("forbidden",),
        explains=(),
    ),
    Cause(
        "rbac-insufficient-permissions",
        "rbac",
        "bindings exist but do not allow the failing request",
        "roles' rules vs request (from `--error` or `--request`)",
        "grant the missing verb/resource",
        rank=40,
        answers=("forbidden",),
        explains=(),
    ),
    Cause(
        "proxy-cookie-refresh-missing",
        "proxy",
        "`--cookie-refresh` unset or 0: users are logged out when the token expires (Kubeapps chart < 7.1.0)",
        "proxy args/env/config; chart version; startup log `refresh:disabled`",
        "Kubeapps >= 7.1.0: `authProxy.cookieRefresh` (default 2m); older charts: upgrade, or "
        "`--cookie-refresh=2m` in `authProxy.additionalFlags` (<= 7.x; `authProxy.extraFlags` from "
        "8.0); plain oauth2-proxy: `--cookie-refresh=2m`",
        rank=10,
        answers=("logged-out",),
        explains=("token-expired",),
    ),
    Cause(
        "proxy-cookie-refresh-too-long",
        "proxy",
        "refresh interval not shorter than the token lifetime (e.g. Keycloak 5 min) or than `--cookie-expire`",
        "interval vs `exp - iat`; cookie-expire",
        "set `--cookie-refresh` shorter than the token lifetime and than `--cookie-expire`",
        rank=10,
        answers=("logged-out",),
        explains=("token-expired",),
    ),
    Cause(
        "proxy-refresh-unsupported",
        "proxy",
        "the proxy's provider cannot refresh sessions in this oauth2-proxy version (`github`, legacy "
        "`keycloak`; `keycloak-oidc` and `adfs` only from v7.2)",
        "`--provider`, proxy image version",
        "use `--provider=oidc` (or `keycloak-oidc` on oauth2-proxy >= 7.2)",
        rank=11,
        answers=("logged-out",),
        explains=("token-expired",),
    ),
    Cause(
        "proxy-token-not-forwarded",
        "proxy",
        "the proxy does not pass the id_token to the API (`--pass-authorization-header` off, header "
        "not forwarded by ingress)",
        "proxy args; ingress annotations; a 403 naming `system:anonymous`",
        "enable `--pass-authorization-header=true` (and forward `Authorization` at the ingress)",
        rank=6,
        answers=("forbidden", "unauthorized"),
        explains=(
            "rbac-no-binding",
            "rbac-insufficient-permissions",
            "groups-claim-missing",
            "username-prefix-mismatch",
            "username-claim-mismatch",
            "group-name-mismatch",
        ),
    ),
    Cause(
        "proxy-authorization-header-exposed",
        "proxy",
        "`--set-authorization-header=true` left on after debugging: the id_token reaches the browser",
        "proxy args",
        "remove it: `oidc-doctor proxy authz-header disable --apply`",
        Severity.WARNING,
        rank=20,
        answers=(),
        explains=(),
    ),
    Cause(
        "proxy-header-too-large",
        "proxy",
        "cookies/headers too large for the ingress (many groups, big tokens)",
        "token size; log `upstream sent too big header`",
        "raise the ingress header buffers (e.g. `proxy-buffer-size`, Kubeapps "
        "`frontend.largeClientHeaderBuffers`), or emit fewer claims",
        rank=9,
        answers=(),
        explains=(),
    ),
    Cause(
        "proxy-config-invalid",
        "proxy",
        "settings oauth2-proxy rejects (cookie secret length, refresh >= expire, ...)",
        "proxy config; startup log",
        "change the setting the message names",
        rank=7,
        answers=("logged-out",),
        explains=(),
    ),
    Cause(
        "aks-entra-wrong-token-type",
        "managed",
        "AKS-managed Entra ID: an id_token (a sign-in's token: no `scp`, `roles`, `appid` or `azp`) was sent "
        "where AKS's webhook accepts only an access token for the AKS server application",
        "token claims (`nonce`, `aud` a client application, v2.0 `iss` "
        "`https://login.microsoftonline.com/TENANT/v2.0`); "
        "`az aks show` `aadProfile.managed`; a kubeconfig running Azure kubelogin",
        "send the access token kubelogin gets (`kubelogin get-token --server-id 6dae42f8-4368-4678-94ff-3960e28e3630 "
        "...`, or `az account get-access-token --resource 6dae42f8-4368-4678-94ff-3960e28e3630`), not a sign-in's "
        "id_token (a dashboard behind oauth2-proxy: pass the access token, scope "
        "`6dae42f8-4368-4678-94ff-3960e28e3630/user.read`)",
        rank=5,
        answers=("unauthorized",),
        explains=("aks-entra-audience-mismatch", "wrong-token-type", "audience-mismatch", "issuer-mismatch"),
    ),
    Cause(
        "aks-entra-audience-mismatch",
        "managed",
        "AKS-managed Entra ID: the access token is not for the AKS server application "
        "`6dae42f8-4368-4678-94ff-3960e28e3630`: its `aud` is another resource (Azure Resource Manager, Microsoft "
        "Graph) or the `spn:`-prefixed form `kubelogin --legacy` asks for",
        "token `aud`; the kubeconfig's `kubelogin get-token --server-id ... [--legacy]`",
        "get the token for the AKS server application: `kubelogin get-token --server-id "
        "6dae42f8-4368-4678-94ff-3960e28e3630 ...` without `--legacy` (`kubelogin convert-kubeconfig -l azurecli` "
        "rewrites an old kubeconfig; `az account get-access-token --resource 6dae42f8-4368-4678-94ff-3960e28e3630`)",
        rank=6,
        answers=("unauthorized",),
        explains=("audience-mismatch", "issuer-mismatch", "wrong-token-type"),
    ),
    Cause(
        "aks-entra-group-overage",
        "managed",
        "AKS-managed Entra ID: the token carries the group overage pointer `_claim_names`/`_claim_sources` instead of "
        "`groups` (member of more than 200 groups): AKS reads a user's groups from Microsoft Graph, but refuses a "
        "service principal's token",
        "token `_claim_names.groups` and `idtyp: app`; AKS guard log `service principal with group membership "
        "exceeding 200 is not supported`",
        "keep the service principal in at most 200 groups (remove memberships, or grant access through a group "
        "it is in and application roles)",
        rank=7,
        answers=("unauthorized",),
        explains=("groups-distributed-claims",),
    ),
    Cause(
        "aks-azure-rbac",
        "managed",
        "AKS with Azure RBAC for Kubernetes authorization (`aadProfile.enableAzureRbac: true`): Azure role "
        "assignments on the cluster decide besides Kubernetes RBAC, so the bindings in hand do not decide a 403",
        "`az aks show` `aadProfile.enableAzureRbac`; a 403 the Kubernetes RBAC in hand does not explain",
        "assign an AKS RBAC role at the cluster or namespace scope: `az role assignment create --role "
        "'Azure Kubernetes Service RBAC Reader' --assignee OBJECT_ID --scope CLUSTER_ID/namespaces/NAMESPACE` "
        "(see them: `az role assignment list --scope CLUSTER_ID --include-inherited`)",
        rank=8,
        answers=("forbidden",),
        explains=("rbac-no-binding", "rbac-insufficient-permissions"),
    ),
    Cause(
        "aks-jwt-prefix-missing",
        "managed",
        "AKS structured authentication: every username and group a JWT authenticator maps must start with "
        "`aks:jwt:`; a claim mapping without it, or a binding that names the identity without it, never matches",
        "`az aks jwtauthenticator show` `properties.claimMappings`; RBAC subjects vs the mapped `aks:jwt:` names",
        "map with the prefix (`'aks:jwt:' + claims.sub`, `claims.groups.map(g, 'aks:jwt:' + g)`; `az aks "
        "jwtauthenticator update --config-file ...`) and bind the prefixed names "
        "(`kubectl create rolebinding ... --user='aks:jwt:...'`)",
        rank=6,
        answers=("unauthorized", "forbidden"),
        explains=("username-prefix-mismatch", "group-name-mismatch", "rbac-no-binding"),
    ),
    Cause(
        "token-accepted",
        "none",
        "informational: the API server (or the prediction) accepts the token; shows the identity",
        "SelfSubjectReview, prediction",
        "authentication works; if requests still fail with 403, the cause is in RBAC",
        Severity.INFO,
        rank=50,
        answers=(),
        explains=(),
    ),
)

BY_CODE: dict[str, Cause] = {c.code: c for c in CATALOGUE}


def fix_for(code: str, **values: str) -> str:
    """The fix of cause ``code`` with its slots filled by ``values`` (the checks' one way to word a fix
    the catalogue owns)."""
    return cause(code).fix_text(**values)


def consequences(code: str) -> frozenset[str]:
    """Every code ``code`` explains, directly or through other causes (the graph's closure)."""
    seen: set[str] = set()
    todo = list(BY_CODE[code].explains)
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo.extend(BY_CODE[c].explains)
    return frozenset(seen)


def cause(code: str) -> Cause:
    """Return the catalogue entry for ``code``; an unknown code is a programming error."""
    try:
        return BY_CODE[code]
    except KeyError as e:  # pragma: no cover - guarded by tests over every check
        raise ValueError(f"unknown cause code {code!r}") from e


def render_markdown() -> str:
    """The catalogue as the Markdown page kept in ``docs/causes.md``."""
    lines = [
        "# Root-cause codes",
        "",
        "Generated from `oidc_doctor/causes.py` by `python -m oidc_doctor.causes > docs/causes.md`;"
        " do not edit by hand.",
        "Default severity is `error` unless the table says otherwise.",
    ]
    for area, heading in _AREAS.items():
        lines += [
            "",
            f"## {heading}",
            "",
            "| code | severity | meaning | evidence | fix | answers | root cause of |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in CATALOGUE:
            if c.area == area:
                answers = ", ".join(str(a) for a in c.answers) or "—"
                explains = ", ".join(f"`{x}`" for x in c.explains) or "—"
                lines.append(
                    f"| `{c.code}` | {c.severity} | {c.meaning} | {c.evidence} | {c.fix_text()} | {answers} | "
                    f"{explains} |"
                )
        lines += ["", "Ranking: a cause comes before every cause it is the root cause of (directly or through others)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
