"""From a log line to a cause code (CAUSES.md).

Three sources speak about OIDC logins:

- **kube-apiserver** logs one line per rejected request (``pkg/endpoints/filters/authentication.go``:
  ``klog.Errorf("Unable to authenticate the request due to an error: %v", err)`` up to 1.20,
  ``klog.ErrorS(err, "Unable to authenticate the request")`` from 1.21). The error is the bearer
  union's aggregate ``[invalid bearer token, <oidc error>]``; the OIDC part comes from
  k8s.io/apiserver ``plugin/pkg/authenticator/token/oidc/oidc.go`` and coreos/go-oidc
  ``verify.go`` (see reference/kube-apiserver-oidc.md §3, §7). A bare ``invalid bearer token``
  means no authenticator took the token: the issuer does not match (``hasCorrectIssuer`` declines
  silently) or no OIDC authenticator is configured — the line cannot tell which.
  In the background it logs ``oidc authenticator: initializing plugin: <err>`` every 10 s until
  discovery works; meanwhile each request gets ``oidc: authenticator not initialized``.
- **oauth2-proxy** logs callback, session and refresh errors and ``Cookie settings: ...
  refresh:disabled`` at start-up (``pkg/apis/options/cookie.go``, ``oauthproxy.go``,
  ``pkg/middleware/stored_session.go``).
- **nginx / ingress-nginx** logs ``upstream sent too big header`` when the proxy's cookies or
  headers outgrow its buffers.

An authentication line that matches no rule is kept (``code`` None) and shown as-is.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from oidc_doctor.logs.formats import go_unquote_at, klog_message, strip_prefix
from oidc_doctor.record import dataclass, field, replace

#: Pseudo-code for a per-request ``authenticator not initialized``: resolved to the cause the
#: start-up line gives (issuer-ca-untrusted, discovery-issuer-mismatch, issuer-unreachable).
NOT_INITIALIZED = "authenticator-not-initialized"

REQUEST = "request"  # an "Unable to authenticate the request" line of the API server
STARTUP = "startup"  # API server background/start-up lines (discovery, configuration)
PROXY = "proxy"  # oauth2-proxy
INGRESS = "ingress"  # nginx / ingress-nginx
CONTEXT = "context"  # not a failure, but worth knowing (AuthSuccess, refresh interval, ...)
RELOAD = "reload"  # the API server's automatic reload of --authentication-config (success or failure)
CLIENT = "client"  # a Kubernetes client's own line (client-go's oidc auth-provider in kubectl)
HEADLAMP = "headlamp"  # Headlamp's backend (its own OIDC login: discovery, code exchange, id_token check)

REQUEST_MARKER = "Unable to authenticate the request"


@dataclass(frozen=True)
class Verdict:
    """What one line says: the cause (None when unknown), the error text, details for titles."""

    kind: str
    code: str | None
    error: str
    failure: str | None = None  # "unauthorized" | "logged-out" | None
    detail: dict[str, str] = field(default_factory=dict)
    #: True for an "Unable to authenticate the request" line: the ones ``auth_failures`` counts.
    failure_line: bool = False


# Per-request OIDC errors, first match wins. The order puts wrapping messages first: a
# distributed-claims failure quotes the inner verifier's "expected audience", and "fetching keys"
# is a JWKS download failure wrapped in "failed to verify signature".
_REQUEST_RULES: tuple[tuple[str, str], ...] = (
    # AKS-managed Entra ID's webhook (kubeguard/guard auth/providers/azure/azure.go, Check): a service
    # principal's token with the group overage pointer; the API server logs the webhook's status.error.
    ("group membership exceeding 200 is not supported", "aks-entra-group-overage"),
    # The same webhook's own log (AKS diagnostic category `guard`): `klog.Errorln(err)` of
    # "failed to verify token for azure: <go-oidc error>" (guard server/utils.go, auth/providers/azure/
    # azure.go). It verifies against the tenant's v1 issuer (sts.windows.net), so a v2 issuer is a
    # sign-in's id_token; an audience error names a token for another resource.
    ("failed to verify token for azure: oidc: expected audience", "aks-entra-audience-mismatch"),
    ("failed to verify token for azure: oidc: id token issued by a different provider", "aks-entra-wrong-token-type"),
    ("could not expand distributed claims", "groups-distributed-claims"),
    ("failed to obtain source from claim name", "groups-distributed-claims"),
    ("oidc: source does not exist", "groups-distributed-claims"),
    ("authenticator not initialized", NOT_INITIALIZED),
    ("token is expired", "token-expired"),
    ("before the nbf", "token-not-yet-valid"),
    ("expected audience", "audience-mismatch"),
    ("invalid claim value: 'aud'", "audience-mismatch"),  # go-oidc v1
    ("signed with unsupported algorithm", "signing-alg-not-allowed"),
    ("failed to verify signature", "signature-invalid"),
    ("failed to verify id token signature", "signature-invalid"),
    ("signature verification failed", "signature-invalid"),
    ("no keys matches jwk keyid", "signature-invalid"),
    ("id token not signed", "token-malformed"),
    ("multiple signatures on id token", "token-malformed"),
    ("malformed jwt", "token-malformed"),
    ("failed to unmarshal claims", "token-malformed"),
    ("oidc: parse claims", "token-malformed"),
    ("issued by a different provider", "issuer-mismatch"),
    ("'iss' claim does not match", "issuer-mismatch"),  # go-oidc v1
    ("issuer did not match the issuer returned by provider", "discovery-issuer-mismatch"),
    ("email not verified", "email-not-verified"),
    ("'email_verified' claim not present", "email-not-verified"),  # kube-apiserver <= 1.9 (go-oidc v1)
    ("parse 'email_verified' claim", "email-not-verified"),
    ("parse username claims", "username-claim-missing"),
    ("parse groups claim", "groups-claim-invalid"),
    ("group claim expression", "claim-mapping-error"),
    ("parse uid claim", "claim-mapping-error"),
    ("claim validation expression", "required-claim-mismatch"),
    ("required claim", "required-claim-mismatch"),
    ("oidc: parse claim ", "required-claim-mismatch"),
    ("username claim expression", "claim-mapping-error"),
    ("uid claim expression", "claim-mapping-error"),
    ("extra claim expression", "claim-mapping-error"),
    ("user info validation rule", "claim-mapping-error"),
    ("empty username via CEL", "claim-mapping-error"),
    ("resulted in error", "claim-mapping-error"),  # extra-mapping runtime errors come unwrapped
    ("must return a string", "claim-mapping-error"),
    ("validation expression must return a boolean", "required-claim-mismatch"),
    ("audiences cannot be empty", "oidc-config-invalid"),
    ("unsupported signing alg", "oidc-config-invalid"),
    # Last: before 1.10 the union lists every token authenticator's error, and the service-account
    # authenticator's `crypto/rsa: verification error` stands beside the OIDC one (kubernetes
    # issue 48777); alone it is go-oidc v1's signature failure.
    ("verification error", "signature-invalid"),
)

# Settings the API server refuses at start-up (kubernetes pkg/kubeapiserver/options/authentication.go,
# k8s.io/apiserver pkg/apis/apiserver/validation). Checked on lines that mention OIDC or
# authentication configuration.
_CONFIG_RULES: tuple[str, ...] = (
    "flags are mutually exclusive",
    "must be specified together",
    "URL scheme must be https",
    "prefix is required when claim is set",
    "unsupported signing alg",
    "invalid authentication config",
    "audienceMatchPolicy must be",
    "at least one issuer.audiences is required",
    "discoveryURL must be different from URL",
    "must not overlap with disallowed issuers",
    "does not contain any valid RSA or ECDSA certificates",
    "claim and expression can't both be set",
    "claims.email_verified must be used",
    "audiences cannot be empty",
)

# oauth2-proxy messages, first match wins (oauth2-proxy oauthproxy.go, providers/oidc.go,
# pkg/providers/oidc/verifier.go, pkg/validation/*.go, pkg/middleware/stored_session.go).
_PROXY_RULES: tuple[tuple[str, str | None, str | None], ...] = (
    ("isn't verified", "email-not-verified", None),
    ("does not match with any of allowed audiences", "audience-mismatch", None),
    ("audience claims", "audience-mismatch", None),
    ("expected audience", "audience-mismatch", None),
    ("failed to verify signature", "signature-invalid", None),
    ("failed to verify id token signature", "signature-invalid", None),
    ("issuer did not match", "discovery-issuer-mismatch", None),
    ("issued by a different provider", "issuer-mismatch", None),
    ("token is expired", "token-expired", None),
    ("x509:", "issuer-ca-untrusted", None),
    ("tls: failed to verify certificate", "issuer-ca-untrusted", None),
    ('could not get claim "groups"', "groups-claim-missing", None),
    ("cookie_secret must be", "proxy-config-invalid", None),
    ("missing setting:", "proxy-config-invalid", None),
    ("must be less than cookie_expire", "proxy-config-invalid", None),
    ("invalid configuration:", "proxy-config-invalid", None),
    # The loader refreshes only when the session is older than --cookie-refresh; if the provider
    # did not refresh (no refresh token, or refresh not implemented) it then validates the old
    # session and fails with "session is expired" (pkg/middleware/stored_session.go).
    ("session is expired", "proxy-refresh-unsupported", "logged-out"),
    ("no refresh token available or provider returned false", "proxy-refresh-unsupported", None),
    ("Unable to refresh session", None, "logged-out"),
    ("Fatal refresh error detected", None, "logged-out"),
    ("Removing session", None, "logged-out"),
    ("bad magic number", None, "logged-out"),  # cookie written with another secret
    ("Error loading cookied session", None, "logged-out"),
    ("token exchange failed", "issuer-unreachable", None),
    ("failed to discover OIDC configuration", "issuer-unreachable", None),
    ("error performing request", "issuer-unreachable", None),
)

_INGRESS_RULES: tuple[str, ...] = (
    "upstream sent too big header",
    "Request Header Or Cookie Too Large",
    "client sent too long header line",
    "client intended to send too large",
    "too large header",
)

_AUD = re.compile(r'expected audience (?:in )?(\[[^\]]*\]|"(?:[^"\\]|\\.)*") got (\[[^\]]*\])')
_EXPIRY = re.compile(r"Token Expiry: ([^)]*)\)")
_ALG = re.compile(r'unsupported algorithm, expected (\[[^\]]*\]|"[^"]*") got ("[^"]*")')
_CLAIM_Q = re.compile(r'(?:parse (?:username claims|groups claim|uid claim)) "([^"]*)"')
_REQ_CLAIM = re.compile(
    r"required claim (\S+) (?:not present|value does not match\. Got = (.*?), want = (.*?))(?:\]|$| in ID)"
)
_PROXY_AUD = re.compile(r"with value (\[[^\]]*\]) does not match with any of allowed audiences map\[([^\]]*)\]")
_REFRESH = re.compile(r"refresh:(disabled|after [0-9hms.]+)")
_CLIENT_ID = re.compile(r"Client ID: (\S+)")


def _is_bare(error: str) -> bool:
    """Whether the error says nothing but ``invalid bearer token`` (possibly nested, go-oidc v1)."""
    rest = error.replace("invalid bearer token", "")
    return not rest.strip(" ,[]\t")


def request_error(text: str) -> str:
    """The error of an ``Unable to authenticate the request`` line, in any wrapper format."""
    old = text.find("Unable to authenticate the request due to an error:")
    if old != -1:
        return text[old + len("Unable to authenticate the request due to an error:") :].strip()
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            for key in ("err", "error"):
                if isinstance(obj.get(key), str):
                    return str(obj[key])
    q = text.find(' err="')
    if q != -1:
        return go_unquote_at(text, q + 5)[0]
    at = text.find(REQUEST_MARKER)
    tail = text[at + len(REQUEST_MARKER) :] if at != -1 else text
    brace = tail.find("{")
    if brace != -1:  # zap console output with a JSON field map (vcluster)
        try:
            obj = json.loads(tail[brace:])
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("error"), str):
            return _with_causes(str(obj["error"]), obj.get("errorCauses"))
    return tail.strip(" \t:\"'")


#: kube-oidc-proxy's access log words (jetstack/kube-oidc-proxy pkg/proxy/logging/accesslog.go).
KOP_FAIL = "] AuFail src:["
KOP_SUCCESS = "] AuSuccess src:["

#: Marker added to the detail of a line whose logger keeps only the error's top text (zap's
#: ``errorCauses``): a bare ``invalid bearer token`` there says nothing about the reason.
ZAP_CAUSES = "errorCauses"


def _with_causes(error: str, causes: object) -> str:
    """The aggregate as klog prints it, rebuilt from zap's ``errorCauses`` when they say more.

    zap (go.uber.org/zap ``zapcore/error.go`` ``encodeError``) writes an error that lists others
    (``Errors() []error``, as Kubernetes' ``utilerrors.Aggregate`` does) as ``error`` plus an
    ``errorCauses`` array of ``{"error": ...}``; klog prints the same aggregate as ``[e1, e2]``.
    """
    if not isinstance(causes, list):
        return error
    parts = [str(c["error"]) for c in causes if isinstance(c, dict) and isinstance(c.get("error"), str)]
    if len(parts) > 1:
        return "[" + ", ".join(parts) + "]"
    if len(parts) == 1 and parts[0] != error and _is_bare(error):
        return f"[{error}, {parts[0]}]"
    return error


def classify_request_error(error: str, *, logger: str = "") -> Verdict:
    """Classify the inner error of a rejected request; ``logger`` names a logger that drops reasons."""
    if _is_bare(error):
        detail = {"bare": "true", "logger": logger} if logger else {"bare": "true"}
        return Verdict(REQUEST, "issuer-mismatch", error, "unauthorized", detail)
    if "is not healthy" in error:
        v = classify_startup_error(error)
        return Verdict(REQUEST, v.code, error, "unauthorized", v.detail)
    if "fetching keys" in error:  # go-oidc could not download the JWKS
        code = "issuer-ca-untrusted" if _tls_trust(error) else "issuer-unreachable"
        return Verdict(REQUEST, code, error, "unauthorized")
    for needle, code in _REQUEST_RULES:
        if needle in error:
            return Verdict(REQUEST, code, error, "unauthorized", _details(code, error))
    return Verdict(REQUEST, None, error, "unauthorized")


def _tls_trust(error: str) -> bool:
    return "x509:" in error or "tls: failed to verify certificate" in error or "certificate signed by" in error


def classify_startup_error(error: str) -> Verdict:
    """Classify why OIDC discovery failed: TLS trust, issuer mismatch, or reachability."""
    if "issuer did not match" in error or "does not match provided issuer URL" in error:
        code = "discovery-issuer-mismatch"
    elif _tls_trust(error):
        code = "issuer-ca-untrusted"
    elif "id_token_signing_alg_values_supported" in error:
        code = "signing-alg-not-allowed"
    else:
        code = "issuer-unreachable"
    detail: dict[str, str] = {}
    m = re.search(r'expected "([^"]*)" got "([^"]*)"', error)
    if m:
        detail = {"configured": m.group(1), "discovered": m.group(2)}
    # Go's url.Error: `Get "URL": err` (Go >= 1.14), `Get URL: err` before; the URL may hold a port.
    m = re.search(r'Get "(https?://[^"]+)"', error) or re.search(r"Get (https?://\S+?):(?:\s|$)", error)
    if m:
        detail["url"] = m.group(1)
    return Verdict(STARTUP, code, error, None, detail)


def _details(code: str, error: str) -> dict[str, str]:
    d: dict[str, str] = {}
    if code == "audience-mismatch":
        m = _AUD.search(error)
        if m:
            d = {"expected": m.group(1), "got": m.group(2)}
    elif code == "token-expired":
        m = _EXPIRY.search(error)
        if m:
            d = {"expiry": m.group(1)}
    elif code == "signing-alg-not-allowed":
        m = _ALG.search(error)
        if m:
            d = {"expected": m.group(1), "got": m.group(2)}
    elif code in ("username-claim-missing", "groups-claim-invalid", "claim-mapping-error"):
        m = _CLAIM_Q.search(error)
        if m:
            d = {"claim": m.group(1)}
    elif code == "required-claim-mismatch":
        m = _REQ_CLAIM.search(error)
        if m:
            d = {"claim": m.group(1)}
            if m.group(2) is not None:
                d |= {"got": m.group(2), "want": m.group(3)}
    return d


def _message(body: str) -> str:
    """The human message of a line: klog message, JSON ``msg`` (+ ``err``), or the text."""
    s = body.lstrip()
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError:
            return body
        if isinstance(obj, dict):
            msg = str(obj.get("msg", obj.get("message", "")))
            err = obj.get("err", obj.get("error"))
            return f"{msg}: {err}" if isinstance(err, str) and err else msg
    return body


def classify_line(line: bytes) -> Verdict | None:
    """Classify one raw log line; None when it is not about authentication at all."""
    body_b, _, _ = strip_prefix(line.rstrip(b"\r\n"))
    text = klog_message(body_b).decode("utf-8", "replace")
    return _classify_cached(text) if len(text) <= _CACHED_TEXT else _classify_text(text)


def _classify_text(text: str) -> Verdict | None:
    """:func:`classify_line` after the line's prefixes."""
    if KOP_FAIL in text:
        # kube-oidc-proxy (jetstack pkg/proxy/logging/accesslog.go LogFailedRequest): every failed
        # authentication, whatever the reason, as `[time] AuFail src:[ip / xff] URI:...` — no reason.
        v = classify_request_error("invalid bearer token", logger="kube-oidc-proxy")
        return replace(v, error=text.strip(), failure_line=True)
    if KOP_SUCCESS in text:
        # LogSuccessfulRequest: `AuSuccess src:[...] URI:... inbound:[user / groups / extras]`.
        return Verdict(CONTEXT, None, text.strip(), None, {"auth": "success"})
    if REQUEST_MARKER in text:
        logger = "zap" if ZAP_CAUSES in text else ""
        return replace(classify_request_error(request_error(text), logger=logger), failure_line=True)
    msg = _message(text)
    if msg.startswith('"') and not text.lstrip().startswith("{"):
        # klog structured: "message" key="value" ... -> message plus an unquoted err.
        first, end = go_unquote_at(msg, 0)
        q = msg.find(' err="', end - 1)
        msg = f"{first}: {go_unquote_at(msg, q + 5)[0]}" if q != -1 else first
    return classify_message(msg)


#: A log repeats the same message thousands of times behind different timestamps (3,832 failure
#: lines of a GiB: 40 ms, then 10 ms): messages up to this length are classified once each.
#: Verdicts are frozen, so the cached one is shared; the bound keeps the cache small.
_CACHED_TEXT = 4096
_classify_cached = lru_cache(maxsize=1024)(_classify_text)


def classify_message(msg: str) -> Verdict | None:
    """Classify a message that is not a per-request failure (start-up, proxy, ingress)."""
    if _is_proxy_failure(msg):
        for needle, code, failure in _PROXY_RULES:
            if needle in msg:
                d: dict[str, str] = {}
                m = _PROXY_AUD.search(msg)
                if code == "audience-mismatch" and m:
                    d = {"got": m.group(1), "expected": m.group(2).replace(":{}", "")}
                return Verdict(PROXY, code, msg, failure, d)
        return Verdict(PROXY, None, msg)
    reload = classify_reload(msg)
    if reload is not None:
        return reload
    headlamp = classify_headlamp(msg)
    if headlamp is not None:
        return headlamp
    if "Could not process manifest file" in msg and "kube-apiserver" in msg:
        # The kubelet (kubernetes pkg/kubelet/config/file.go): the static Pod file does not parse; the
        # running Pod stays as it was.
        return Verdict(STARTUP, "apiserver-manifest-not-applied", msg, None)
    if "async token verifier for issuer" in msg:
        # k8s.io/apiserver oidc.go newAsyncIDTokenVerifier: the verifier of a distributed-claims
        # issuer (the endpoint's JWT ``iss``) failed to initialise; it retries every 10 s.
        m = re.search(r'async token verifier for issuer: "([^"]*)": ?(.*)$', msg)
        detail = {"issuer": m.group(1), "error": m.group(2)} if m else {}
        return Verdict(STARTUP, "groups-distributed-claims", msg, None, detail)
    if "error getting JWKS URL" in msg or "provider did not return JWKS URL" in msg:
        # k8s.io/apiserver oidc.go New (1.35, StructuredAuthenticationConfigurationJWKSMetrics):
        # discovery answered but its jwks_uri is missing or unreadable; the authenticator stays
        # uninitialised and retries every 10 s.
        v = classify_startup_error(msg)
        if v.code == "issuer-unreachable":
            return replace(v, detail={**v.detail, "jwks_uri": "missing"})
        return v
    if "oidc: failed to query metadata endpoint" in msg:
        # Not the API server: client-go's `auth-provider: oidc` (kubectl), which fetches discovery to
        # refresh the id_token (k8s.io/client-go plugin/pkg/client/auth/oidc/oidc.go: "oidc: failed to
        # query metadata endpoint %s: %q"): the client cannot reach the issuer's discovery document.
        v = classify_startup_error(msg)
        return Verdict(CLIENT, v.code, msg, None, {**v.detail, "client": "kubectl auth-provider oidc"})
    for marker in (
        "oidc authenticator: initializing plugin:",
        "oidc authenticator: failed to fetch provider",
    ):
        at = msg.find(marker)
        if at != -1:
            return classify_startup_error(msg[at + len(marker) :].strip(" :"))
    if "oidc authenticator: initializing plugin" in msg or "Failed to fetch provider config" in msg:
        return classify_startup_error(msg)
    if "id_token_signing_alg_values_supported" in msg or "issuer did not match the issuer returned" in msg:
        return classify_startup_error(msg)
    if "is not healthy" in msg and "authenticator for issuer" in msg:
        return classify_startup_error(msg)
    if "OIDC: No x509 certificates provided" in msg:
        return Verdict(CONTEXT, None, msg, None, {"note": "no-ca-file"})
    for needle in _INGRESS_RULES:
        if needle in msg:
            return Verdict(INGRESS, "proxy-header-too-large", msg)
    if "Cookie settings:" in msg:
        m = _REFRESH.search(msg)
        if m and m.group(1) == "disabled":
            return Verdict(PROXY, "proxy-cookie-refresh-missing", msg, None, {"refresh": "disabled"})
        return Verdict(CONTEXT, None, msg, None, {"refresh": m.group(1) if m else "unknown"})
    if "OAuthProxy configured for" in msg:
        m = _CLIENT_ID.search(msg)
        return Verdict(CONTEXT, None, msg, None, {"client_id": m.group(1)} if m else {})
    if "[AuthSuccess]" in msg:
        return Verdict(CONTEXT, None, msg, None, {"auth": "success"})
    if "Refreshing" in msg and "session" in msg:
        return Verdict(CONTEXT, None, msg, None, {"refresh": "attempted"})
    for needle in _CONFIG_RULES:
        if needle in msg:
            return Verdict(STARTUP, "oidc-config-invalid", msg)
    for needle, code in _REQUEST_RULES:
        # An authenticator message quoted outside the usual wrapper (kube-oidc-proxy, a paste).
        if needle in msg and ("oidc" in msg or "invalid bearer token" in msg):
            if code == NOT_INITIALIZED:
                return Verdict(REQUEST, code, msg, "unauthorized")
            return Verdict(REQUEST, code, msg, "unauthorized", _details(code, msg))
    if "invalid bearer token" in msg:
        # No rule matched above, so the aggregate is bare (issuer mismatch) or unknown.
        return classify_request_error(msg[msg.find("invalid bearer token") :])
    return None


# The reload loop of --authentication-config (kubernetes pkg/kubeapiserver/options/authentication.go,
# ApplyTo, 1.30+): klog.ErrorS(err, "<message>") on each failure, klog.InfoS("reloaded authentication
# config") on success. A failed load or validation is not retried until the file changes again; a
# failed read or update is retried every minute.
_RELOAD_FAILED = (
    ("failed to read authentication config file", "read"),
    ("failed to load authentication config", "load"),
    ("failed to validate authentication config", "validate"),
    ("failed to update authentication config", "update"),
)


def classify_reload(msg: str) -> Verdict | None:
    """A line of the API server's automatic reload of ``--authentication-config``, or None."""
    if "reloaded authentication config" in msg:
        return Verdict(RELOAD, None, msg, None, {"reload": "success"})
    for needle, step in _RELOAD_FAILED:
        at = msg.find(needle)
        if at != -1:
            reason = msg[at + len(needle) :].lstrip(" :")
            return Verdict(
                RELOAD, "auth-config-reload-failed", msg, None, {"reload": "failure", "step": step, "error": reason}
            )
    return None


# Headlamp's backend logs its own OIDC login through zerolog as JSON (`"message"`, `"error"`; kubernetes-sigs/
# headlamp backend/pkg/logger/logger.go); the messages of backend/cmd/headlamp.go's OIDC handlers:
_HEADLAMP_OIDC = (
    "failed to get provider",  # oidc.NewProvider: discovery of --oidc-idp-issuer-url failed
    "failed to exchange token",  # the code exchange at the token endpoint
    "failed to verify ID Token",  # go-oidc v3 IDTokenVerifier.Verify (audience, expiry, signature)
    "no id_token field in oauth2 token",
    "no access_token field in oauth2 token",
    "reading oidc ca file",
)


def classify_headlamp(msg: str) -> Verdict | None:
    """A Headlamp backend OIDC line (its own login, before any request reaches the API server)."""
    head = next((m for m in _HEADLAMP_OIDC if msg.startswith(m)), None)
    if head is None:
        return None
    error = msg[len(head) :].lstrip(": ")
    if head == "failed to get provider":
        v = classify_startup_error(error)
        return Verdict(HEADLAMP, v.code, msg, None, v.detail)
    if head == "failed to verify ID Token":
        for needle, code in _REQUEST_RULES:
            if needle in error and code != NOT_INITIALIZED:
                return Verdict(HEADLAMP, code, msg, None, _details(code, error))
        return Verdict(HEADLAMP, None, msg)
    if head == "failed to exchange token":
        return Verdict(HEADLAMP, "issuer-ca-untrusted" if _tls_trust(error) else None, msg)
    if head.startswith("no "):
        return Verdict(HEADLAMP, "wrong-token-type", msg)
    return Verdict(HEADLAMP, None, msg)


_PROXY_WORDS = (
    "[AuthFailure]",
    "[AuthError]",
    "OAuth2 callback",
    "Error redeeming code",
    "Error creating session",
    "Error retrieving session",
    "Error loading cookied session",
    "error refreshing",
    "Unable to refresh session",
    "Session not refreshed",
    "Fatal refresh error",
    "Removing session",
    "Failed to initialise OAuth2 Proxy",
    "invalid configuration:",
    "cookie_secret must be",
    "missing setting:",
    "must be less than cookie_expire",
    'could not get claim "groups"',
)


def _is_proxy_failure(msg: str) -> bool:
    return any(w in msg for w in _PROXY_WORDS)


#: Byte markers the scanner looks for; a line holding none of them is not read at all. Each
#: marker is one more ``bytes.find`` pass over the data, so the sets are kept small: CORE is
#: searched in every file (and is all a big API server log gets); the others by log kind.
CORE_MARKERS: tuple[bytes, ...] = (
    REQUEST_MARKER.encode(),
    # "oidc authenticator: initializing plugin", "... error getting JWKS URL", "... async token verifier"
    # (every klog line of k8s.io/apiserver plugin/pkg/authenticator/token/oidc/oidc.go that names the
    # authenticator starts so): one marker, so a big log pays no extra pass for them. The whole
    # prefix, not "authenticator: ": bytes.find skips ahead by the needle's length, and the longer
    # needle costs 0.31 s per GiB instead of 0.40.
    b"oidc authenticator: ",
)
APISERVER_MARKERS: tuple[bytes, ...] = (
    b"oidc",  # oidc authenticator: ..., oidc: unsupported signing alg, oidc-* flags
    b"OIDC",  # OIDC: No x509 certificates provided
    b"ailed to fetch provider",  # old discovery failures
    b"id_token_signing_alg",
    b"authentication config",  # invalid authentication config(uration): jwt[0]...; the reload lines
    b"JWKS URL",  # 1.35: "provider did not return JWKS URL" (the authenticator never initialises)
    b"jwt[",
    b"invalid bearer token",  # an authenticator message outside the usual wrapper
    b"process manifest file",  # the kubelet: a static Pod file that does not parse
    b"] AuFail src:[",  # kube-oidc-proxy: a failed authentication, without its reason
    b"ID Token",  # Headlamp's backend: "failed to verify ID Token"
    b"failed to get provider",  # Headlamp's backend: discovery
    b"failed to exchange token",  # Headlamp's backend: the code exchange
)
PROXY_MARKERS: tuple[bytes, ...] = (
    b"oidc",
    b"OIDC",
    b"[Auth",
    b"Cookie settings",
    b"OAuthProxy configured",
    b"OAuth2",  # callback errors, initialisation
    b"ession",  # session / Session: loading, refreshing, removing
    b"invalid configuration",
    b"cookie_",
    b"missing setting",
    b'claim "groups"',
)
INGRESS_MARKERS: tuple[bytes, ...] = (b"too big header", b"Too Large", b"too large", b"too long header")
