"""Network side of the emulation, used only by ``oidc-doctor predict``: discovery, JWKS and
distributed claims, with the issuer's CA and explicit timeouts (connect 5 s, whole request
10 s). The bundle deriver never imports this module.

Behaviour follows coreos/go-oidc v2 (``NewProvider``: discovery at ``<url without trailing
/>/.well-known/openid-configuration`` or ``issuer.discoveryURL``, the discovered ``issuer`` must
equal the configured URL) and oidc.go's ``claimResolver`` (``getClaimJWT``, ``untrustedIssuer``,
a verifier per distributed-claim issuer built by discovery with the same audiences).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from oidc_doctor.authn.goformat import quote
from oidc_doctor.authn.model import JWTAuthenticator
from oidc_doctor.authn.verify import (
    FetchError,
    KeySet,
    Rejected,
    RemoteKeys,
    Verifier,
    reject,
    unmarshal_resp_error,
    untrusted_issuer_or_error,
)
from oidc_doctor.dates import datetime
from oidc_doctor.record import dataclass, field

if TYPE_CHECKING:
    from oidc_doctor.net import Budget

WELL_KNOWN = "/.well-known/openid-configuration"


def _status_text(code: int) -> str:
    from http import HTTPStatus

    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


#: The most a discovery document, JWKS or distributed-claim answer may hold (a hostile or broken
#: endpoint must not fill memory).
MAX_BODY_BYTES = 1 << 20


@dataclass
class HttpFetcher:
    """GET over HTTPS (:func:`oidc_doctor.net.get`); the CA is the configured one, else the host's roots.

    All requests of one fetcher share one run budget (20 s), and each is bounded whole, headers
    included (10 s), as Go's ``http.Client.Timeout`` bounds it.
    """

    connect_timeout: float = 5.0
    total_timeout: float = 10.0
    #: The clock the whole-request deadline is read from while the body arrives (tests move it).
    clock: Callable[[], float] = time.monotonic
    #: The run's network budget, shared by every request of this fetcher (made at the first
    #: request: a prediction with keys in hand may never fetch, and need not import the network).
    budget: Budget | None = None
    #: URLs whose answer came over plain http (a redirect hop included): their keys never count.
    plain_http: set[str] = field(default_factory=set)

    def get(self, url: str, headers: dict[str, str], ca_pem: str) -> tuple[int, str, bytes, str]:
        """One request; failures raise :class:`FetchError` with Go's ``Get "<url>": ...`` text."""
        import ssl

        from oidc_doctor.net import Budget, Failure, NetError, get

        if self.budget is None:
            self.budget = Budget()
        budget = self.budget
        ctx = ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
        try:
            answer = get(
                url,
                verify=ctx,
                headers=headers,
                connect=self.connect_timeout,
                request=self.total_timeout,
                budget=budget,
                max_body=MAX_BODY_BYTES,
                clock=self.clock,
            )
        except NetError as e:
            if e.kind == Failure.TOO_LARGE:
                raise FetchError(f"Get {quote(url)}: the answer is larger than 1 MiB") from e
            if e.kind in (Failure.TIMEOUT, Failure.BUDGET):
                why = (
                    "Client.Timeout or context cancellation while reading body"
                    if e.in_body
                    else "Client.Timeout exceeded while awaiting headers"
                )
                if e.kind == Failure.BUDGET:
                    why += f"; oidc-doctor's {budget.seconds:g} s budget for this run's requests"
                raise FetchError(f"Get {quote(url)}: context deadline exceeded ({why})") from e
            raise FetchError(f"Get {quote(url)}: {_why(e.cause or e, url)}") from e
        if answer.plain_http:
            self.plain_http.add(url)
        return answer.status, _status_text(answer.status), answer.body, answer.content_type


def _why(e: BaseException, url: str) -> str:
    """Go net/http's words for the common failures (what kube-apiserver's log shows)."""
    from urllib.parse import urlsplit

    text = str(e)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if "Hostname mismatch" in text or "doesn't match" in text:
        return f"tls: failed to verify certificate: x509: certificate is not valid for {host}"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    if any(s in text for s in ("Name or service not known", "nodename nor servname", "No address associated")):
        return f"dial tcp: lookup {host}: no such host"
    if "Connection refused" in text or "connection refused" in text:
        return f"dial tcp {host}:{port}: connect: connection refused"
    return text or type(e).__name__


def discover(issuer_url: str, discovery_url: str, ca_pem: str, fetcher: Any) -> tuple[KeySet | None, str | None]:
    """go-oidc ``NewProvider``: (remote key set, None) or (None, why the verifier never initialises)."""
    url = discovery_url or issuer_url.rstrip("/") + WELL_KNOWN
    try:
        status, status_text, body, ctype = fetcher.get(url, {}, ca_pem)
    except FetchError as e:
        return None, str(e)
    if status != 200:
        return None, f"{status_text}: {body.decode('utf-8', 'replace')}"
    try:
        doc = json.loads(body)
    except ValueError:
        return None, f"oidc: failed to decode provider discovery object: {unmarshal_resp_error(ctype, body)}"
    if not isinstance(doc, dict):
        return None, "oidc: failed to decode provider discovery object: not a JSON object"
    got = doc.get("issuer") if isinstance(doc.get("issuer"), str) else ""
    assert isinstance(got, str)
    if got != issuer_url:
        return None, (
            f"oidc: issuer did not match the issuer returned by provider, expected {quote(issuer_url)} got {quote(got)}"
        )
    jwks = doc.get("jwks_uri") if isinstance(doc.get("jwks_uri"), str) else ""
    assert isinstance(jwks, str)
    keys = RemoteKeys(jwks, fetcher, ca_pem)
    if url.startswith("http://") or url in getattr(fetcher, "plain_http", ()):
        # the jwks_uri itself came over plain http: whatever keys it names could be anyone's
        keys.plain_http = f"the discovery document came over plain http ({url})"
    return keys, None


@dataclass
class DistributedResolver:
    """oidc.go ``claimResolver.resolve`` for one authenticator."""

    config: JWTAuthenticator
    algs: list[str]
    now: datetime
    fetcher: Any

    def __call__(self, claim: str, ep: dict[str, Any], _authn: Any) -> Any:
        """The distributed value of ``claim``; errors are raised in oidc.go's words."""
        url = str(ep.get("endpoint"))
        headers = {}
        token = ep.get("access_token")
        if isinstance(token, str) and token:
            headers["Authorization"] = f"Bearer {token}"
        ca = self.config.issuer.certificate_authority
        try:
            status, status_text, body, _ = self.fetcher.get(url, headers, ca)
        except FetchError as e:
            raise reject("distributed", f"while getting distributed claim {quote(claim)}: {e}") from None
        if status < 200 or status > 226:
            raise reject(
                "distributed",
                f"while getting distributed claim {quote(claim)}: "
                f"error while getting distributed claim JWT: {status_text}",
            )
        jwt = body.decode("utf-8", "replace")
        iss, why = untrusted_issuer_or_error(jwt)
        if iss is None:
            raise reject(
                "distributed", f"getting untrusted issuer from endpoint {url} failed for claim {quote(claim)}: {why}"
            )
        keys, _why = discover(iss, "", ca, self.fetcher)
        if keys is None:
            raise reject(
                "distributed",
                f"verifying untrusted issuer {iss} failed: verifier not initialized for issuer: {quote(iss)}",
            )
        verifier = Verifier(iss, list(self.config.issuer.audiences), list(self.algs), keys, self.now)
        try:
            t, _state = verifier.verify(jwt)
        except Rejected as e:
            raise reject("distributed", f"verify distributed claim token: {e.message}") from None
        if claim not in t.claims:
            raise reject(
                "distributed",
                f"jwt returned by distributed claim endpoint {quote(url)} did not contain claim: {claim}",
            )
        return t.claims[claim]


def read_local_ca(path: str) -> str:
    """A CA file named by ``--oidc-ca-file`` when it exists on this machine, else "".

    The path comes from a bundle (a hostile one may name any file): only a regular file of at
    most 1 MiB that holds a PEM certificate is used.
    """
    from pathlib import Path

    from oidc_doctor.errors import InputError
    from oidc_doctor.limits import read_small

    try:
        text = read_small(Path(path)).decode("utf-8", "replace")
    except InputError:
        return ""
    return text if "-----BEGIN CERTIFICATE-----" in text else ""


def online(
    auth: Any, now: datetime, static: KeySet | None, fetcher: Any, ca_override: str | None = None
) -> tuple[Any, Any]:
    """``keys_for`` and ``resolver_for`` callbacks for :func:`oidc_doctor.authn.verify.predict`.

    Static keys (``--jwks``) win; else discovery and the issuer's JWKS are fetched. A fetcher of
    None means offline: no keys (signature not checked) and distributed claims not fetched.
    """
    from oidc_doctor.authn.verify import NoKeySet
    from oidc_doctor.record import replace

    def ca_of(a: JWTAuthenticator) -> str:
        if ca_override is not None:
            return ca_override
        if a.issuer.certificate_authority:
            return a.issuer.certificate_authority
        ca_flag = auth.flags.get("oidc-ca-file")
        return read_local_ca(ca_flag[-1][0]) if ca_flag else ""

    def keys_for(a: JWTAuthenticator) -> tuple[KeySet | None, str | None]:
        if static is not None:
            return static, None
        if fetcher is None:
            return NoKeySet(), None
        return discover(a.issuer.url, a.issuer.discovery_url, ca_of(a), fetcher)

    def resolver_for(a: JWTAuthenticator, _v: Verifier) -> Any:
        if fetcher is None:
            return None
        cfg = replace(a, issuer=replace(a.issuer, certificate_authority=ca_of(a)))
        return DistributedResolver(cfg, list(auth.signing_algs), now, fetcher)

    return keys_for, resolver_for
