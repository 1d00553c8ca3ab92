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

    from oidc_doctor.net import Budget

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
        self._budget: Budget | None = None
        #: URLs whose answer came over plain http (a hop included): never enough for ``valid``.
        self.plain_http: set[str] = set()
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

    @property
    def budget(self) -> Budget:
        """The run's network budget, shared by every fetch of this resolver (made on first use:
        a ``--jwks`` run never loads the network module)."""
        if self._budget is None:
            from oidc_doctor.net import RUN_BUDGET_S, Budget

            self._budget = Budget(RUN_BUDGET_S)
        return self._budget

    @budget.setter
    def budget(self, value: Budget) -> None:
        self._budget = value

    def close(self) -> None:
        """Nothing to close: each GET uses its own connection (kept for callers)."""

    def get_json(self, url: str) -> dict[str, Any]:
        """GET ``url`` (no credentials) and parse a JSON object; :class:`FetchError` says why not.

        One bounded GET (:func:`oidc_doctor.net.get`): 5 s to connect, :data:`REQUEST_TIMEOUT_S` for
        the whole request headers included, all fetches of this resolver within one run budget;
        an https URL redirected to plain http is refused.
        """
        from oidc_doctor.net import Failure, NetError, get

        verify = self._ssl_context()  # in this thread: a bad --ca-file raises InputError here
        self.fetches.append(url)
        try:
            answer = get(
                url,
                verify=verify,
                headers={"Accept": "application/json"},
                connect=CONNECT_TIMEOUT_S,
                request=REQUEST_TIMEOUT_S,
                budget=self.budget,
                max_body=MAX_DOCUMENT_BYTES,
                refuse_https_to_http=True,
            )
        except NetError as e:
            if e.kind == Failure.TOO_LARGE:
                raise FetchError(f"{url} sent more than 1 MiB") from e
            if e.kind == Failure.TIMEOUT and e.cause is None:
                raise FetchError(f"{url} took longer than {REQUEST_TIMEOUT_S:g}s") from e
            if e.kind == Failure.TIMEOUT:
                raise FetchError(f"{url} {e.detail}") from e
            if e.kind == Failure.TRANSPORT:
                hint = ""
                if "CERTIFICATE_VERIFY_FAILED" in e.detail or "certificate" in e.detail.lower():
                    hint = " (pass the issuer's CA with --ca-file)"
                raise FetchError(f"{url} could not be reached: {e.detail}{hint}") from e
            raise FetchError(str(e)) from e
        if answer.status != 200:
            raise FetchError(f"{url} answered HTTP {answer.status}")
        if answer.plain_http:
            self.plain_http.add(url)
        try:
            doc = loads_strict(answer.body.decode("utf-8"))
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
        plain = [u for u in (url, jwks_uri) if u.startswith("http://") or u in self.plain_http]
        if plain:
            # anyone on the path could have sent these keys (or the jwks_uri naming them)
            keys_in.unavailable = (
                f"the keys came over plain http ({plain[0]}): anyone on the network path could have sent "
                "them, so they cannot show the signature is valid; serve the issuer over https"
            )
            return keys_in
        self._jwks[jwks_uri] = jwks
        keys_in.jwks = jwks
        return keys_in


def _kids(jwks: dict[str, Any]) -> set[str]:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        return set()
    return {k["kid"] for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}
