"""The network budget (issue 14): one request is bounded whole, headers included, against slow-loris
headers and slow body chunks; all requests of a run share one budget; keys that came over plain
http never make a signature valid.

Servers listen on 127.0.0.1 only. Limits are passed small (fractions of a second) so each test
takes well under a few seconds; the only waiting is the slow server's own.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from tls_support import serve_https

from oidc_doctor.net import Budget, Failure, NetError, get

PLAIN = ssl.create_default_context()


@contextmanager
def dripping(head: bytes, drip: bytes, every: float, then: bytes = b"") -> Iterator[str]:
    """A raw HTTP server that sends ``head``, then ``drip`` every ``every`` seconds (for up to 20 s,
    until the test ends), then ``then``."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(head)
            for _ in range(int(20 / every)):
                if stop.wait(every):
                    return
                try:
                    conn.sendall(drip)
                except OSError:
                    return
            conn.sendall(then)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/x"
    finally:
        stop.set()
        t.join(5)
        listener.close()


def timed(url: str, **kw: object) -> tuple[NetError, float]:
    """The NetError a GET raises, and how long it took."""
    start = time.monotonic()
    with pytest.raises(NetError) as info:
        get(url, verify=PLAIN, **kw)  # type: ignore[arg-type]
    return info.value, time.monotonic() - start


def test_slow_loris_headers_are_cut_at_the_request_limit() -> None:
    # one header byte every 0.05 s: each read is quick, only the whole-request limit can stop it
    with dripping(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", 0.05) as url:
        err, took = timed(url, request=0.4)
    assert err.kind == Failure.TIMEOUT and not err.in_body
    assert "waiting for the headers" in err.detail
    assert 0.35 < took < 3.0  # bounded: a hang would take the server's whole delay


def test_slow_body_chunks_are_cut_at_the_request_limit() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
    with dripping(head, b" ", 0.05) as url:
        err, took = timed(url, request=0.4)
    assert err.kind == Failure.TIMEOUT and err.in_body
    assert 0.35 < took < 3.0  # bounded: a hang would take the server's whole delay


class _SlowJson(BaseHTTPRequestHandler):
    delay = 0.25

    def do_GET(self) -> None:
        time.sleep(self.delay)  # the slow server's own waiting
        body = json.dumps({"ok": self.path, "keys": []}).encode()  # a JWKS too (an empty one)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@contextmanager
def slow_json() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowJson)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_one_budget_bounds_all_requests_of_a_run() -> None:
    budget = Budget(0.6)
    start = time.monotonic()
    with slow_json() as url:
        answers, errors = [], []
        for i in range(4):  # each answer takes 0.25 s, each within its own 10 s limit
            try:
                answers.append(get(f"{url}/{i}", verify=PLAIN, budget=budget))
            except NetError as e:
                errors.append(e)
    took = time.monotonic() - start
    # 0.6 s hold two 0.25 s answers on an idle machine, one on a loaded one; never all four.
    assert 1 <= len(answers) <= 2 and answers[0].status == 200
    # The request in flight when the budget runs out is cut at its end (a timeout); the later ones
    # are refused before they start (budget).
    assert len(errors) == 4 - len(answers)
    assert all(e.kind in (Failure.BUDGET, Failure.TIMEOUT) for e in errors)
    assert errors[-1].kind == Failure.BUDGET and "budget" in errors[-1].detail
    assert took < 3.0


def test_the_emulations_fetcher_shares_one_budget() -> None:
    from oidc_doctor.authn.remote import HttpFetcher
    from oidc_doctor.authn.verify import FetchError

    fetcher = HttpFetcher(budget=Budget(0.4))
    outcomes = []
    with slow_json() as url:
        for path in ("/a", "/b", "/c"):  # each answer takes 0.25 s
            try:
                assert fetcher.get(url + path, {}, "")[0] == 200
                outcomes.append("ok")
            except FetchError as e:
                outcomes.append("budget" if "budget" in str(e) else "deadline")
                assert outcomes[-1] == "budget" or "context deadline exceeded" in str(e), str(e)
    # In order: answers while the budget lasts, the request in flight cut at its end (Go's context
    # deadline wording), then refusals; on a loaded machine the first may already be cut.
    order = {"ok": 0, "deadline": 1, "budget": 2}
    assert outcomes[-1] == "budget" and [order[o] for o in outcomes] == sorted(order[o] for o in outcomes)


def test_the_token_resolvers_fetches_share_one_budget() -> None:
    from oidc_doctor.token.keys import KeyResolver

    resolver = KeyResolver()
    resolver.budget = Budget(0.3)
    start = time.monotonic()
    with slow_json() as url:
        got = resolver.resolve(issuer=url)
    assert got.jwks is None and got.unavailable is not None
    assert time.monotonic() - start < 3.0


# --- keys over plain http ---------------------------------------------------------------------


@contextmanager
def issuer_naming_plain_jwks() -> Iterator[tuple[str, str, str]]:
    """An HTTPS issuer whose discovery names an ``http://`` jwks_uri (a plain server that serves a
    JWKS): (issuer URL, jwks URL, CA file)."""
    import tempfile

    ca = trustme.CA()
    with slow_json() as plain:
        jwks_uri = plain + "/jwks"

        class Discovery(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"issuer": issuer, "jwks_uri": jwks_uri}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                del format, args

        server, _t = serve_https(Discovery, ca.issue_cert("127.0.0.1"))
        issuer = f"https://127.0.0.1:{server.server_address[1]}"
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
            f.write(ca.cert_pem.bytes().decode())
        try:
            yield issuer, jwks_uri, f.name
        finally:
            server.shutdown()
            server.server_close()


def test_an_https_discovery_naming_a_plain_http_jwks_never_gives_keys() -> None:
    from oidc_doctor.token.keys import KeyResolver

    with issuer_naming_plain_jwks() as (issuer, jwks_uri, ca_file):
        got = KeyResolver(ca_file=ca_file).resolve(issuer=issuer)
    assert got.jwks is None
    assert got.unavailable is not None and "plain http" in got.unavailable and jwks_uri in got.unavailable


def test_the_emulation_reports_keys_over_plain_http_as_not_checked() -> None:
    from oidc_doctor.authn.remote import HttpFetcher, discover
    from oidc_doctor.authn.verify import NoKeys, RemoteKeys

    with issuer_naming_plain_jwks() as (issuer, _jwks_uri, ca_file):
        ca = open(ca_file).read()
        keys, why = discover(issuer, "", ca, HttpFetcher())
        assert why is None and isinstance(keys, RemoteKeys)
        with pytest.raises(NoKeys, match="plain http"):
            keys.verify({"kid": "k"}, b"a.b", b"sig", "RS256")
