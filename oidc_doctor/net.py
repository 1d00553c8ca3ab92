"""One bounded HTTPS GET with typed failures, for discovery, JWKS and distributed claims.

Limits (DESIGN.md "Network calls have explicit timeouts"):

- connect at most :data:`CONNECT_S` (5 s);
- one request, headers and body included, at most :data:`REQUEST_S` (10 s). httpx's timeouts bound
  each connect and each socket read, not the whole request: a server that sends one header byte
  every 4 s (slow-loris) or body chunks 9 s apart never trips them. So the request runs in a
  worker thread that is abandoned at the deadline, and the body loop checks the deadline per chunk;
- all requests of one run share a :class:`Budget` (:data:`RUN_BUDGET_S`, 20 s by default): three
  answers each just under 10 s cannot make one ``token`` run last 27 s;
- at most :data:`MAX_BODY` bytes (1 MiB: a discovery document or JWKS is a few KiB);
- no cookies kept, no proxy or ``.netrc`` from the environment, TLS always verified.

:class:`Answer` says whether any hop was plain ``http://`` (a redirect included): keys fetched so
could be anyone's, and callers never let them make a signature ``valid``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

CONNECT_S = 5.0
REQUEST_S = 10.0
RUN_BUDGET_S = 20.0
MAX_BODY = 1 << 20


class Failure(StrEnum):
    """Why a GET gave no answer."""

    TIMEOUT = "timeout"  # the request's own limit (headers or body too slow)
    BUDGET = "budget"  # the run's network budget is spent
    TOO_LARGE = "too-large"
    INSECURE_REDIRECT = "insecure-redirect"  # https redirected to plain http (when refused)
    TRANSPORT = "transport"  # DNS, refused, TLS, reset: ``cause`` holds the library's error


class NetError(Exception):
    """A GET that gave no usable answer: ``kind``, the URL, a sentence, and the underlying error."""

    def __init__(
        self, kind: Failure, url: str, detail: str, cause: BaseException | None = None, in_body: bool = False
    ) -> None:
        super().__init__(f"{url}: {detail}")
        self.kind = kind
        self.url = url
        self.detail = detail
        self.cause = cause
        #: whether the limit struck while the body was read (headers had arrived)
        self.in_body = in_body


class Budget:
    """The network time one run may spend, shared by all its requests; starts at first use.

    A plain class, not a dataclass: the ``token`` command imports this module and must not pay
    for ``dataclasses`` (tests/perf/test_import_graph.py).
    """

    def __init__(self, seconds: float = RUN_BUDGET_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._end: float | None = None

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        if self._end is None:
            self._end = self.clock() + self.seconds
        return max(0.0, self._end - self.clock())


class Answer:
    """One HTTP answer, read whole: the final URL (after redirects), status, body, content type,
    and whether the request or any redirect hop used plain http."""

    __slots__ = ("body", "content_type", "plain_http", "status", "url")

    def __init__(self, url: str, status: int, body: bytes, content_type: str, plain_http: bool) -> None:
        self.url = url
        self.status = status
        self.body = body
        self.content_type = content_type
        self.plain_http = plain_http


def get(
    url: str,
    *,
    verify: ssl.SSLContext,
    headers: dict[str, str] | None = None,
    connect: float = CONNECT_S,
    request: float = REQUEST_S,
    budget: Budget | None = None,
    max_body: int = MAX_BODY,
    refuse_https_to_http: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> Answer:
    """GET ``url`` within the limits above; :class:`NetError` says why there is no answer.

    ``clock`` is what the per-chunk body deadline is read from (tests move it instead of waiting).
    """
    limit = request
    kind = Failure.TIMEOUT
    if budget is not None:
        left = budget.remaining()
        if left <= 0:
            raise NetError(Failure.BUDGET, url, f"not fetched: the run's {budget.seconds:g} s network budget is spent")
        if left < limit:
            limit, kind = left, Failure.BUDGET
    outcome: list[Answer | BaseException] = []
    stop = threading.Event()
    headers_seen = threading.Event()

    def work() -> None:
        try:
            outcome.append(
                _fetch(
                    url,
                    verify,
                    headers or {},
                    connect,
                    limit,
                    max_body,
                    refuse_https_to_http,
                    clock,
                    stop,
                    headers_seen,
                )
            )
        except BaseException as e:  # noqa: BLE001 - handed to the caller, which raises it
            outcome.append(e)

    worker = threading.Thread(target=work, name="oidc-doctor-get", daemon=True)
    worker.start()
    worker.join(limit)
    if not outcome:
        stop.set()  # the worker drops the answer if it ever comes; its socket dies with the server
        where = "reading the body" if headers_seen.is_set() else "waiting for the headers"
        if kind == Failure.BUDGET and budget is not None:
            detail = f"the run's {budget.seconds:g} s network budget ran out while {where}"
        else:
            detail = f"took longer than {limit:g}s ({where})"
        raise NetError(kind, url, detail, in_body=headers_seen.is_set())
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _fetch(
    url: str,
    verify: ssl.SSLContext,
    headers: dict[str, str],
    connect: float,
    limit: float,
    max_body: int,
    refuse_https_to_http: bool,
    clock: Callable[[], float],
    stop: threading.Event,
    headers_seen: threading.Event,
) -> Answer:
    from http.cookiejar import CookieJar, DefaultCookiePolicy

    import httpx

    deadline = clock() + limit
    try:
        with (
            httpx.Client(
                verify=verify,
                timeout=httpx.Timeout(limit, connect=min(connect, limit)),
                follow_redirects=True,
                trust_env=False,
                # no cookie is kept, so none is sent with a later request
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            ) as client,
            client.stream("GET", url, headers=headers) as r,
        ):
            headers_seen.set()
            hops = [str(h.url) for h in r.history] + [str(r.url)]
            plain = any(h.startswith("http://") for h in hops)
            if refuse_https_to_http and url.startswith("https://") and plain:
                raise NetError(Failure.INSECURE_REDIRECT, url, f"redirected to {r.url} (plain http): not used")
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if stop.is_set():
                    raise NetError(Failure.TIMEOUT, url, "abandoned", in_body=True)
                if clock() > deadline:
                    raise NetError(
                        Failure.TIMEOUT, url, f"took longer than {limit:g}s (reading the body)", in_body=True
                    )
                if len(body) > max_body:
                    raise NetError(Failure.TOO_LARGE, url, f"sent more than {max_body:,} bytes")
            return Answer(str(r.url), r.status_code, bytes(body), r.headers.get("content-type", ""), plain)
    except httpx.TimeoutException as e:
        raise NetError(
            Failure.TIMEOUT, url, f"did not answer in time ({type(e).__name__})", e, headers_seen.is_set()
        ) from e
    except httpx.HTTPError as e:
        raise NetError(Failure.TRANSPORT, url, str(e) or type(e).__name__, e) from e
