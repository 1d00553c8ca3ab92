"""The issuer's signing keys for the ``token`` command: a ``--jwks`` file, or discovery + JWKS.

This is the token area's only network code. It fetches the discovery document
(``ISSUER/.well-known/openid-configuration``, one trailing slash of the issuer trimmed as the API
server does) and the ``jwks_uri`` it names, with TLS verification always on (``--ca-file`` or the
system store), a 5 s connect timeout and at most 10 s for a whole request. The requests carry no
credentials: the issuer never receives the token. ``--offline`` forbids the network, and
``--jwks FILE`` alone makes no network call. When the token's ``kid`` is not in the JWKS, the JWKS
is fetched once more (the issuer may have just rotated its keys), as go-oidc's remote key set does.

A fetch that fails never raises: it leaves :attr:`KeyInputs.unavailable` with the reason, and the
signature stays ``unknown`` — never ``valid``. Only bad local files (``--jwks``, ``--ca-file``)
raise :class:`InputError`, which ends the command with exit status 2.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from oidc_doctor.errors import InputError
from oidc_doctor.jose import loads_strict
from oidc_doctor.token.inspect import KeyInputs, effective_issuer

if TYPE_CHECKING:
    import ssl

    import httpx

CONNECT_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 10.0
#: Discovery documents and JWKS are a few KiB; refuse anything absurd.
MAX_DOCUMENT_BYTES = 1 << 20
WELL_KNOWN = "/.well-known/openid-configuration"


class FetchError(Exception):
    """One fetch failed; the message says why in a sentence for the user."""


def load_jwks_file(path: str) -> dict[str, Any]:
    """A JWKS document from a file; :class:`InputError` naming ``--jwks FILE`` when it is not one."""
    where = f"--jwks {path}"
    try:
        # open(), not pathlib: importing pathlib costs about 2 ms of the command's start-up.
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_DOCUMENT_BYTES:
                raise InputError(where, "is larger than 1 MiB: not a JWKS")
            data = f.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as e:
        raise InputError(where, f"cannot be read: {e.strerror or e}") from e
    if len(data) > MAX_DOCUMENT_BYTES:  # a pipe or device reports no size
        raise InputError(where, "is larger than 1 MiB: not a JWKS")
    try:
        doc = loads_strict(data.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise InputError(where, f"is not JSON: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise InputError(where, "is not a JWKS: expected a JSON object with a 'keys' list")
    return doc


def discovery_url(issuer: str) -> str:
    """Where the API server looks for the discovery document (oidc.go trims one trailing slash)."""
    return issuer.removesuffix("/") + WELL_KNOWN


class KeyResolver:
    """Finds the keys for one or more tokens; remembers what it fetched (``fetches``)."""

    def __init__(self, ca_file: str | None = None, offline: bool = False) -> None:
        self.ca_file = ca_file
        self.offline = offline
        #: Every URL fetched, in order (tests read it; nothing else).
        self.fetches: list[str] = []
        self._client: httpx.Client | None = None
        self._jwks: dict[str, dict[str, Any]] = {}
        self._discovery: dict[str, dict[str, Any]] = {}

    def _ssl_context(self) -> ssl.SSLContext:
        import ssl

        if self.ca_file is None:
            return ssl.create_default_context()
        where = f"--ca-file {self.ca_file}"
        if not os.path.isfile(self.ca_file):
            raise InputError(where, "cannot be read: no such file")
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except (ssl.SSLError, OSError, ValueError) as e:
            raise InputError(where, f"holds no usable PEM certificate: {e}") from e

    def _http(self) -> httpx.Client:
        if self._client is None:
            from http.cookiejar import CookieJar, DefaultCookiePolicy

            import httpx

            self._client = httpx.Client(
                # no cookie is kept, so none is sent with a later fetch (DESIGN.md: the issuer
                # receives no credential)
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                verify=self._ssl_context(),
                timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
                follow_redirects=True,
                headers={"Accept": "application/json"},
            )
        return self._client

    def close(self) -> None:
        """Close the HTTP connections, if any were opened."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(self, url: str) -> dict[str, Any]:
        """GET ``url`` (no credentials) and parse a JSON object; :class:`FetchError` says why not.

        httpx's timeouts bound each connect and each read, not the whole request (a server that
        drips a byte at a time never trips them), so the request runs in a worker thread that
        is abandoned after :data:`REQUEST_TIMEOUT_S`.
        """
        import threading

        client = self._http()  # in this thread: a bad --ca-file raises InputError here
        self.fetches.append(url)
        outcome: list[dict[str, Any] | Exception] = []

        def work() -> None:
            try:
                outcome.append(self._fetch(client, url))
            except Exception as e:  # noqa: BLE001 - handed to the caller, which raises it
                outcome.append(e)

        worker = threading.Thread(target=work, name="oidc-doctor-fetch", daemon=True)
        worker.start()
        worker.join(REQUEST_TIMEOUT_S)
        if not outcome:
            self._client = None  # abandoned with its stuck request; a later fetch opens another
            raise FetchError(f"{url} took longer than {REQUEST_TIMEOUT_S:g}s")
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        return outcome[0]

    @staticmethod
    def _fetch(client: httpx.Client, url: str) -> dict[str, Any]:
        import httpx

        try:
            with client.stream("GET", url) as response:
                if url.startswith("https://") and response.url.scheme != "https":
                    # keys read over plain http could be anyone's: never let them make a signature valid
                    raise FetchError(f"{url} redirected to {response.url} (plain http): not used")
                if response.status_code != 200:
                    raise FetchError(f"{url} answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise FetchError(f"{url} sent more than 1 MiB")
        except httpx.TimeoutException as e:
            raise FetchError(f"{url} did not answer in time ({type(e).__name__})") from e
        except httpx.HTTPError as e:
            text = str(e) or type(e).__name__
            hint = ""
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
                hint = " (pass the issuer's CA with --ca-file)"
            raise FetchError(f"{url} could not be reached: {text}{hint}") from e
        try:
            doc = loads_strict(bytes(body).decode("utf-8"))
        except (ValueError, RecursionError) as e:
            raise FetchError(f"{url} did not return JSON") from e
        if not isinstance(doc, dict):
            raise FetchError(f"{url} returned JSON that is not an object")
        return doc

    def resolve(
        self,
        *,
        jwks_file: str | None = None,
        issuer: str | None = None,
        token_iss: object = None,
        kid: str | None = None,
    ) -> KeyInputs:
        """The keys for a token with ``token_iss`` and ``kid``: file, or discovery + JWKS."""
        if jwks_file is not None:
            return KeyInputs(jwks=load_jwks_file(jwks_file), jwks_ref=f"--jwks {jwks_file}")
        if self.offline:
            return KeyInputs(unavailable="--offline forbids fetching the issuer's keys and no --jwks FILE was given")
        if issuer is None:
            if not isinstance(token_iss, str):
                return KeyInputs(unavailable="the token has no iss and no --issuer was given: no keys to fetch")
            issuer = effective_issuer(token_iss)
        if not issuer.startswith(("https://", "http://")):
            return KeyInputs(unavailable=f"the issuer {issuer!r} is not an http(s) URL: no keys to fetch")
        url = discovery_url(issuer)
        try:
            discovery = self._discovery.get(url) or self.get_json(url)
        except FetchError as e:
            return KeyInputs(unavailable=f"no discovery document: {e}")
        self._discovery[url] = discovery
        keys_in = KeyInputs(discovery=discovery, discovery_ref=url)
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            keys_in.unavailable = f"the discovery document {url} names no http(s) jwks_uri"
            return keys_in
        keys_in.jwks_ref = jwks_uri
        try:
            jwks = self._jwks.get(jwks_uri) or self.get_json(jwks_uri)
            if kid is not None and kid not in _kids(jwks):
                jwks = self.get_json(jwks_uri)  # an unknown kid: the keys may have rotated; once
        except FetchError as e:
            keys_in.unavailable = f"no JWKS: {e}"
            return keys_in
        if not isinstance(jwks.get("keys"), list):
            keys_in.unavailable = f"{jwks_uri} is not a JWKS (no 'keys' list)"
            return keys_in
        self._jwks[jwks_uri] = jwks
        keys_in.jwks = jwks
        return keys_in


def _kids(jwks: dict[str, Any]) -> set[str]:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        return set()
    return {k["kid"] for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}
