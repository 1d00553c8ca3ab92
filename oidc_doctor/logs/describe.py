"""One sentence per cause seen in the logs, naming both sides where the line does."""

from __future__ import annotations

from oidc_doctor.logs.classify import CLIENT, HEADLAMP, INGRESS, PROXY, REQUEST
from oidc_doctor.logs.summary import CauseStats
from oidc_doctor.secrets import mask_text as mask
from oidc_doctor.text import clean, iso

_SOURCE = {
    REQUEST: "the API server",
    PROXY: "oauth2-proxy",
    INGRESS: "the ingress",
    HEADLAMP: "Headlamp",
    CLIENT: "kubectl's oidc auth-provider",
}


def _d(st: CauseStats, key: str) -> str | None:
    for d in st.details:
        if key in d:
            return clean(mask(d[key]), limit=300)
    return None


def _core(err: str) -> str:
    """The OIDC error without the bearer union's ``[invalid bearer token, ...]`` wrapper."""
    core = err.strip()
    while core.startswith("[invalid bearer token, "):
        core = core[len("[invalid bearer token, ") :]
        core = core[:-1] if core.endswith("]") else core
    return core


def _times(st: CauseStats) -> str:
    n = st.count
    span = ""
    if st.first and st.last:
        span = f", {iso(st.first)}" if st.first == st.last else f", {iso(st.first)} .. {iso(st.last)}"
    return f"{n} line{'s' if n != 1 else ''}{span}"


def title(st: CauseStats) -> str:
    """The finding title for one cause (``st.code`` must be set)."""
    code = st.code or ""
    who = _SOURCE.get(st.kind, "the API server")
    err = clean(mask(st.error), limit=300)
    exp, got = _d(st, "expected"), _d(st, "got")
    if code == "issuer-mismatch" and any(d.get("bare") for d in st.details):
        text = (
            "the API server took no OIDC authenticator for the token (bare `invalid bearer token`): "
            "issuer mismatch or OIDC not configured"
        )
    elif code == "audience-mismatch" and exp and got:
        verb = "accepts audiences" if st.kind == PROXY else "expects audience"
        text = f"{who} {verb} {exp}; the token carries {got}"
    elif code == "signing-alg-not-allowed" and exp and got:
        text = f"the API server accepts signing algorithms {exp}; the token is signed with {got}"
    elif code == "token-expired":
        expiry = _d(st, "expiry")
        text = f"{who} rejected an expired token" + (f" (Token Expiry: {expiry})" if expiry else "")
    elif code == "token-not-yet-valid":
        text = "the API server rejected a token that is not valid yet (`nbf` in the future: clock skew)"
    elif code == "username-claim-missing":
        claim = _d(st, "claim")
        text = f"the token has no usable username claim{f' `{claim}`' if claim else ''}"
    elif code == "email-not-verified":
        text = f"{who} refused the token: the email is not verified (`email_verified` is false)"
    elif code == "groups-claim-invalid":
        claim = _d(st, "claim")
        text = f"the groups claim{f' `{claim}`' if claim else ''} has a type the API server cannot parse"
    elif code == "required-claim-mismatch":
        claim, want = _d(st, "claim"), _d(st, "want")
        text = "a required claim is not satisfied" + (f": `{claim}`" if claim else "")
        if got is not None and want is not None:
            text += f" is {got}, the API server wants {want}"
    elif code in ("issuer-unreachable", "issuer-ca-untrusted", "discovery-issuer-mismatch") and st.kind not in (
        PROXY,
        HEADLAMP,
        CLIENT,
    ):
        url = _d(st, "url")
        conf, disc = _d(st, "configured"), _d(st, "discovered")
        if code == "discovery-issuer-mismatch" and conf and disc:
            text = f"the API server is configured with issuer {conf!r}; discovery returns issuer {disc!r}"
        elif code == "issuer-ca-untrusted" and host_name_mismatch(_tls_text(st)):
            text = "the issuer's TLS certificate is not issued for the issuer's host name" + (
                f" ({url})" if url else ""
            )
        elif code == "issuer-ca-untrusted":
            text = "the API server does not trust the issuer's TLS certificate" + (f" ({url})" if url else "")
        elif _d(st, "jwks_uri") or (st.explained_by is not None and "JWKS URL" in st.explained_by.text):
            text = (
                "the API server's OIDC authenticator is not initialised: the issuer's discovery document gives "
                "no usable `jwks_uri`"
            )
        else:
            text = "the API server cannot fetch the issuer's discovery document" + (f" ({url})" if url else "")
        if st.requests:
            n = st.requests
            text += f"; {n} request{'s' if n != 1 else ''} got `authenticator not initialized`"
    elif code == "proxy-cookie-refresh-missing":
        text = "oauth2-proxy runs with cookie refresh disabled (`Cookie settings: ... refresh:disabled`)"
    elif code == "proxy-header-too-large":
        text = "the ingress rejected headers or cookies as too large"
    elif code == "signature-invalid":
        text = f"{who} could not verify the token's signature with the issuer's keys: {_core(err)}"
    elif code == "token-malformed":
        text = f"{who} could not parse the token as a signed JWT: {_core(err)}"
    elif code == "groups-distributed-claims" and _d(st, "issuer"):
        text = (
            f"the API server cannot initialise a verifier for the distributed-claims issuer {_d(st, 'issuer')!r}: "
            f"{_d(st, 'error') or _core(err)}; tokens with `_claim_names` fail until it can"
        )
    elif code == "groups-distributed-claims":
        text = f"{who} could not expand distributed group claims (`_claim_names`): {_core(err)}"
    elif code == "oidc-config-invalid":
        text = f"the API server refused its OIDC settings: {_core(err)}"
    elif code == "proxy-config-invalid":
        text = f"oauth2-proxy refused its settings: {_core(err)}"
    elif code == "proxy-refresh-unsupported":
        text = f"oauth2-proxy did not refresh the session before the token expired: {_core(err)}"
    elif code.startswith("aks-entra-") and "failed to verify token for azure" in err:
        text = f"AKS's Entra ID webhook (guard) rejected the token: {_core(err)}"
    elif st.kind == REQUEST:
        text = f"the API server rejected the token: {_core(err)}"
    else:
        text = f"{who}: {_core(err)}" if err else f"{who} logged {code}"
    if not text.startswith("oauth2-proxy"):  # a program's name keeps its case
        text = text[0].upper() + text[1:]
    return f"{text} ({_times(st)})"


#: Go crypto/x509 HostnameError and its IP form (crypto/x509/verify.go): the chain is trusted, the
#: name is not in the certificate — a CA file does not help.
_HOST_NAME_ERRORS = (
    "certificate is valid for",
    "certificate is not valid for any names",
    "doesn't contain any IP SANs",
)


def _tls_text(st: CauseStats) -> str:
    """The TLS error: the line's own, or the start-up line behind `authenticator not initialized`."""
    return st.error + ("\n" + st.explained_by.text if st.explained_by is not None else "")


def host_name_mismatch(error: str) -> bool:
    """Whether a TLS error says the certificate names other hosts (not an untrusted CA)."""
    return any(m in error for m in _HOST_NAME_ERRORS)


def fix(st: CauseStats) -> str:
    """A fix more exact than the catalogue's when the line tells more; "" for the default."""
    code = st.code or ""
    if code == "issuer-ca-untrusted" and host_name_mismatch(_tls_text(st)):
        return (
            "the certificate does not name the host in the issuer URL: reissue it with that host name in its "
            "subject alternative names, or use an issuer URL whose host the certificate names (the issuer URL, "
            "the discovery `issuer` and the token's `iss` must then change together); a CA file does not help — "
            "the CA is trusted, the name is not"
        )
    if code == "issuer-mismatch" and any(d.get("bare") for d in st.details):
        return (
            "compare the token's `iss` with `--oidc-issuer-url` / `issuer.url` byte for byte (scheme, "
            "host, path, trailing slash); if the API server has no OIDC settings, configure "
            "`--oidc-issuer-url` and `--oidc-client-id` (or an AuthenticationConfiguration `jwt` entry)"
        )
    if st.kind == HEADLAMP and code in ("issuer-ca-untrusted", "issuer-unreachable", "discovery-issuer-mismatch"):
        return (
            "Headlamp's backend cannot complete its own OIDC login with the issuer: make "
            "`--oidc-idp-issuer-url` reachable from the Headlamp Pod and trusted (`--oidc-ca-file`), and equal to "
            "the discovery document's `issuer`"
        )
    if st.kind == HEADLAMP and code == "wrong-token-type":
        return (
            "let the identity provider return an id_token (request the `openid` scope), or set "
            "`--oidc-use-access-token`"
        )
    if st.kind == PROXY and code == "issuer-ca-untrusted":
        return "give oauth2-proxy the identity provider's CA: `--provider-ca-file=FILE`"
    if st.kind == PROXY and code == "email-not-verified":
        return (
            "verify the email in the identity provider; `--insecure-oidc-allow-unverified-email` only "
            "silences oauth2-proxy (the API server still refuses it with `--oidc-username-claim=email`)"
        )
    if st.kind == PROXY and code == "audience-mismatch":
        return (
            "let oauth2-proxy accept the token's audience (`--oidc-extra-audience`), or make the identity "
            "provider put oauth2-proxy's `--client-id` into `aud`"
        )
    return ""
