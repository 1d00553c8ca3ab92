"""Key resolution's network behaviour: the issuer never sees the token; silence is not validity."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from token_helpers import claims, jwks, key, run_cli, sign

from oidc_doctor.token import keys as token_keys
from oidc_doctor.token.keys import KeyResolver, discovery_url


class _Recorder(BaseHTTPRequestHandler):
    """Serves discovery and JWKS for its own URL and records every request it receives."""

    requests: list[bytes]
    body_for: dict[str, bytes]

    def do_GET(self) -> None:
        self.requests.append(self.requestline.encode() + b"\n" + bytes(self.headers))
        body = self.body_for.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b"{}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.requests.append(self.requestline.encode() + b"\n" + bytes(self.headers) + self.rfile.read(length))
        self.send_response(405)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def recording_issuer() -> Iterator[tuple[str, list[bytes], dict[str, bytes]]]:
    requests: list[bytes] = []
    body_for: dict[str, bytes] = {}
    handler = type("Handler", (_Recorder,), {"requests": requests, "body_for": body_for})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    body_for["/.well-known/openid-configuration"] = json.dumps(
        {"issuer": url, "jwks_uri": url + "/jwks", "id_token_signing_alg_values_supported": ["RS256"]}
    ).encode()
    body_for["/jwks"] = json.dumps(jwks(key())).encode()
    yield url, requests, body_for
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_issuer_never_receives_the_token(
    recording_issuer: tuple[str, list[bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    url, requests, _ = recording_issuer
    token = sign(claims(iss=url))
    f = tmp_path / "t"
    f.write_text(token)
    r = run_cli(["token", f"@{f}", "--format", "json", "--now", "2026-11-28T10:00:00Z"])
    assert r.status == 0, r.err
    # the keys came over plain http: fetched, never enough for "valid"
    assert r.json()["signature"]["status"] == "unknown"
    assert "plain http" in r.json()["signature"]["reason"]
    assert [q.split(b"\n", 1)[0] for q in requests] == [
        b"GET /.well-known/openid-configuration HTTP/1.1",
        b"GET /jwks HTTP/1.1",
    ]
    wire = b"".join(requests)
    for part in token.split("."):
        assert part.encode() not in wire
    assert b"authorization" not in wire.lower()


def test_discovery_url_trims_one_trailing_slash_as_the_api_server() -> None:
    assert discovery_url("https://x/realms/a/") == "https://x/realms/a/.well-known/openid-configuration"
    assert discovery_url("https://x") == "https://x/.well-known/openid-configuration"


def test_discovery_without_jwks_uri_leaves_keys_unavailable(
    recording_issuer: tuple[str, list[bytes], dict[str, bytes]],
) -> None:
    url, _, body_for = recording_issuer
    body_for["/.well-known/openid-configuration"] = json.dumps({"issuer": url}).encode()
    got = KeyResolver().resolve(issuer=url)
    assert got.jwks is None and got.discovery == {"issuer": url}
    assert got.unavailable is not None and "jwks_uri" in got.unavailable


def test_http_error_leaves_keys_unavailable(
    recording_issuer: tuple[str, list[bytes], dict[str, bytes]],
) -> None:
    url, _, _ = recording_issuer
    got = KeyResolver().resolve(issuer=url + "/missing")
    assert got.jwks is None
    assert got.unavailable is not None and "HTTP 404" in got.unavailable


def test_non_json_discovery_leaves_keys_unavailable(
    recording_issuer: tuple[str, list[bytes], dict[str, bytes]],
) -> None:
    url, _, body_for = recording_issuer
    body_for["/.well-known/openid-configuration"] = b"<html>login</html>"
    got = KeyResolver().resolve(issuer=url)
    assert got.unavailable is not None and "did not return JSON" in got.unavailable


def test_silent_issuer_leaves_the_signature_unknown_never_valid(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A socket that accepts connections (the backlog) but never answers. The timeout is cut so
    # the test is quick; the command's own limits (5 s connect, 10 s a request) are constants.
    monkeypatch.setattr(token_keys, "REQUEST_TIMEOUT_S", 0.3)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        f = tmp_path / "t"
        f.write_text(sign(claims(iss=url)))
        r = run_cli(["token", f"@{f}", "--format", "json", "--now", "2026-11-28T10:00:00Z"])
    assert r.status == 0, r.err
    sig = r.json()["signature"]
    assert sig["status"] == "unknown"
    # The read timeout and the whole-request limit are equal here: either may speak first.
    assert "did not answer in time" in sig["reason"] or "took longer than" in sig["reason"]


def test_timeouts_are_the_documented_ones() -> None:
    assert (token_keys.CONNECT_TIMEOUT_S, token_keys.REQUEST_TIMEOUT_S) == (5.0, 10.0)


def test_issuer_that_is_not_a_url_is_not_fetched() -> None:
    resolver = KeyResolver()
    got = resolver.resolve(token_iss="not a url")
    assert got.unavailable is not None and "not an http(s) URL" in got.unavailable
    assert resolver.fetches == []


def test_token_without_iss_and_no_issuer_is_not_fetched() -> None:
    resolver = KeyResolver()
    got = resolver.resolve(token_iss=None)
    assert got.unavailable is not None and "no iss" in got.unavailable
    assert resolver.fetches == []


def test_a_dripping_issuer_is_cut_off_after_the_whole_request_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each byte arrives well within the read timeout, so only the whole-request limit can stop it.
    monkeypatch.setattr(token_keys, "REQUEST_TIMEOUT_S", 0.5)
    stop = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"

        def drip() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{")
                for _ in range(400):  # at most 20 s, ended by the test long before
                    if stop.wait(0.05):
                        return
                    conn.sendall(b" ")

        server = threading.Thread(target=drip, daemon=True)
        server.start()
        resolver = KeyResolver()
        got = resolver.resolve(issuer=url)
        stop.set()
        server.join()
    assert got.jwks is None
    assert got.unavailable is not None and "took longer than 0.5s" in got.unavailable
