"""TLS and the network: verification is on unless the kubeconfig itself says otherwise (and then a
warning says so), an untrusted issuer never yields a `valid` signature, every client has explicit
timeouts, and an ``HTTPS_PROXY`` only ever sees a CONNECT to the host, never the token.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "live"))

from apiserver_double import ApiServerDouble
from live_testkit import ALICE
from sec_kit import Stranger, leaks, make_token, run, windows


@pytest.fixture
def token() -> str:
    return make_token("https://idp.example.com", aud="kubernetes")


@pytest.fixture
def double(token: str) -> Iterator[ApiServerDouble]:
    with ApiServerDouble(users={token: ALICE}) as d:
        yield d


def _token_file(tmp_path: Path, token: str) -> str:
    (tmp_path / "t.jwt").write_text(token)
    return f"@{tmp_path / 't.jwt'}"


def test_an_api_server_with_an_unknown_certificate_gets_no_request(
    double: ApiServerDouble, token: str, tmp_path: Path
) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig", ca=False))  # no CA: the system store does not know it
    status, out, err = run(["whoami", "--kubeconfig", kc, "--token", _token_file(tmp_path, token)])
    assert status == 2 and out == ""
    assert "CERTIFICATE_VERIFY_FAILED" in err or "certificate" in err.lower(), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert double.requests == []  # the handshake failed before any header was sent


def test_insecure_skip_tls_verify_from_the_kubeconfig_is_honoured_but_never_silent(
    double: ApiServerDouble, token: str, tmp_path: Path
) -> None:
    kc = double.kubeconfig(tmp_path / "kubeconfig", ca=False)
    doc = yaml.safe_load(kc.read_text())
    doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    kc.write_text(yaml.safe_dump(doc))
    status, _out, err = run(["whoami", "--kubeconfig", str(kc), "--token", _token_file(tmp_path, token)])
    assert status == 0
    assert "insecure-skip-tls-verify" in err and "NOT verified" in err


def test_an_untrusted_issuer_never_makes_a_signature_valid(tmp_path: Path) -> None:
    with Stranger() as issuer:  # its CA is not trusted here
        token = make_token(issuer.url)
        status, out, err = run(["token", _token_file(tmp_path, token), "--format", "json"])
    assert status in (0, 1), err
    report = json.loads(out)
    text = json.dumps(report)
    assert '"valid"' not in text.replace('"invalid"', "")
    assert "certificate" in text.lower()
    assert issuer.seen == []  # no request completed: the TLS handshake failed


def test_every_http_client_has_explicit_timeouts() -> None:
    from oidc_doctor.authn.remote import HttpFetcher
    from oidc_doctor.live import client
    from oidc_doctor.token import keys

    assert (client.CONNECT_TIMEOUT_S, client.REQUEST_TIMEOUT_S) == (5.0, 10.0)
    assert (keys.CONNECT_TIMEOUT_S, keys.REQUEST_TIMEOUT_S) == (5.0, 10.0)
    fetcher = HttpFetcher()
    assert (fetcher.connect_timeout, fetcher.total_timeout) == (5.0, 10.0)
    root = Path(client.__file__).resolve().parent.parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        for needle in ("verify=False", "CERT_NONE", "check_hostname = False", "httpx.get(", "urlopen("):
            assert needle not in text, (path, needle)
        if "httpx.Client(" in text:
            assert "httpx.Timeout(" in text, path


class _RecordingProxy:
    """A forward proxy on 127.0.0.1 that records what a client sends it and refuses CONNECT."""

    def __init__(self) -> None:
        self.received = b""
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://proxyuser:proxy-password-Zz9@127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.received += data
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def __enter__(self) -> _RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._sock.close()


def test_https_proxy_sees_a_connect_to_the_host_and_never_the_token(
    double: ApiServerDouble, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    with _RecordingProxy() as proxy:
        for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            monkeypatch.setenv(var, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        status, out, err = run(["whoami", "--kubeconfig", kc, "--token", _token_file(tmp_path, token)])
        received = proxy.received.decode("latin-1")
    assert received.startswith("CONNECT 127.0.0.1:"), received
    assert "Authorization" not in received.replace("Proxy-Authorization", "")
    assert not leaks(received, windows(token))
    assert status == 2 and double.requests == []
    assert "proxy-password-Zz9" not in out + err and "Traceback" not in err
    assert not leaks(out + err, windows(token))


def test_the_emulations_fetcher_bounds_the_whole_answer_in_time_and_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oidc_doctor.authn.remote import HttpFetcher
    from oidc_doctor.authn.verify import FetchError

    ticks = iter([0.0, 11.0, 11.0, 11.0])
    with Stranger() as issuer:
        ca = issuer.ca.cert_pem.bytes().decode()
        status, *_ = HttpFetcher().get(issuer.url + "/jwks", {}, ca)
        assert status == 200
        slow = HttpFetcher(clock=lambda: next(ticks))  # the deadline passes while the body arrives
        with pytest.raises(FetchError, match="context deadline exceeded"):
            slow.get(issuer.url + "/jwks", {}, ca)
        with pytest.raises(FetchError, match="larger than 1 MiB"):
            HttpFetcher().get(issuer.url + "/big", {}, ca)


def test_an_issuer_redirect_to_plain_http_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from test_security_live import _Redirector

    class Plain(BaseHTTPRequestHandler):
        """Plain-http discovery and an empty JWKS."""

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            body = json.dumps({"issuer": "x", "jwks_uri": "http://127.0.0.1/jwks", "keys": []}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    plain = ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=plain.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with _Redirector(f"http://127.0.0.1:{plain.server_address[1]}") as redirector:
            ca = tmp_path / "ca.pem"
            redirector.ca.cert_pem.write_to_path(str(ca))
            token = make_token(redirector.url)
            status, out, err = run(["token", _token_file(tmp_path, token), "--ca-file", str(ca), "--format", "json"])
    finally:
        plain.shutdown()
        plain.server_close()
    assert status in (0, 1), err
    assert "plain http" in out and not leaks(out, windows(token))


def test_a_plain_http_api_server_is_never_silent(token: str, tmp_path: Path) -> None:
    kc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "kubeconfig-token"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    (tmp_path / "kc").write_text(yaml.safe_dump(kc))
    status, _out, err = run(["whoami", "--kubeconfig", str(tmp_path / "kc"), "--token", _token_file(tmp_path, token)])
    assert status == 2
    assert "plain http: credentials are sent unencrypted" in err
