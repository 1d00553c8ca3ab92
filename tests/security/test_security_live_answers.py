"""Live answers are validated by shape (issue 14): a 2xx without a SelfSubjectReview is "could not
ask" (exit 2); answers of the wrong JSON types are no internal error; a ``continue`` that never
ends stops; slow headers from the API server are cut; an exec plugin that hangs, floods its
output or answers the wrong type is stopped; names going into request paths are Kubernetes names;
the write path patches exactly the object the user named.

The API server here is a small HTTPS server on 127.0.0.1 that answers what each test scripts.
"""

from __future__ import annotations

import base64
import json
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from sec_kit import run
from tls_support import serve_https

#: (status, content type, body) or a callable that writes the answer itself.
Answer = tuple[int, str, bytes] | Callable[[BaseHTTPRequestHandler], None]


def review(user: Any) -> bytes:
    """A SelfSubjectReview answer with ``status.userInfo`` = ``user``."""
    return json.dumps(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "status": {"userInfo": user}}
    ).encode()


@contextmanager
def api(
    tmp_path: Path, script: dict[tuple[str, str], Answer], user: dict[str, Any] | None = None
) -> Iterator[tuple[Path, list[str]]]:
    """A scripted API server: (method, path prefix) → answer; everything else 404. Yields a
    kubeconfig for it and the list of requests it received (``METHOD path``)."""
    seen: list[str] = []
    ca = trustme.CA()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            del format, args

        def _go(self, method: str) -> None:
            seen.append(f"{method} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            for (m, prefix), answer in script.items():
                if m == method and self.path.startswith(prefix):
                    if callable(answer):
                        answer(self)
                        return
                    code, ctype, body = answer
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
            body = json.dumps({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._go("GET")

        def do_POST(self) -> None:
            self._go("POST")

        def do_PATCH(self) -> None:
            self._go("PATCH")

    server, thread = serve_https(Handler, ca.issue_cert("127.0.0.1"))
    url = f"https://127.0.0.1:{server.server_address[1]}"
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "h",
                "cluster": {
                    "server": url,
                    "certificate-authority-data": base64.b64encode(ca.cert_pem.bytes()).decode(),
                },
            }
        ],
        "users": [{"name": "h", "user": user if user is not None else {"token": "opaque-test-token-0123456789"}}],
        "contexts": [{"name": "h", "context": {"cluster": "h", "user": "h", "namespace": "kubeapps"}}],
        "current-context": "h",
    }
    kc = tmp_path / "kubeconfig"
    kc.write_text(yaml.safe_dump(doc))
    try:
        yield kc, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


REVIEW = ("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews")
JSON = "application/json"


def one_line_exit_2(status: int, err: str) -> None:
    assert status == 2, err
    assert "internal error" not in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    "answer",
    [
        (200, "text/html", b"<html><body>Sign in</body></html>"),
        (201, JSON, b""),
        (201, JSON, b"{}"),
        (201, JSON, json.dumps({"kind": "SelfSubjectReview", "status": "authenticated"}).encode()),
        (201, JSON, review("alice")),
        (201, JSON, json.dumps({"kind": "Pod", "status": {"userInfo": {"username": "alice"}}}).encode()),
    ],
    ids=["html", "empty-201", "empty-object", "status-a-string", "userinfo-a-string", "another-kind"],
)
def test_a_2xx_without_a_review_is_could_not_ask(tmp_path: Path, answer: Answer) -> None:
    with api(tmp_path, {REVIEW: answer}) as (kc, _):
        for fmt in ("text", "json"):
            status, out, err = run(["whoami", "--kubeconfig", str(kc), "--format", fmt])
            one_line_exit_2(status, err)
            assert "could not ask" in err
            assert "Authenticated" not in out


def test_review_fields_of_the_wrong_type_are_no_internal_error(tmp_path: Path) -> None:
    user = {"username": "alice", "groups": "dev", "extra": ["x"], "uid": {"a": 1}}
    rules = json.dumps({"kind": "SelfSubjectRulesReview", "status": ["not", "an", "object"]}).encode()
    script: dict[tuple[str, str], Answer] = {
        REVIEW: (201, JSON, review(user)),
        ("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"): (201, JSON, rules),
    }
    with api(tmp_path, script) as (kc, _):
        for fmt in ("text", "json"):
            status, _out, err = run(["whoami", "--kubeconfig", str(kc), "--format", fmt])
            assert status == 0 and "internal error" not in err, err


def test_a_continue_that_never_ends_stops(tmp_path: Path) -> None:
    page = json.dumps({"kind": "ClusterRoleBindingList", "items": [7, "x", None], "metadata": {"continue": "again"}})
    script: dict[tuple[str, str], Answer] = {
        ("GET", "/apis/rbac.authorization.k8s.io/v1/"): (200, JSON, page.encode()),
        ("GET", "/api/v1/"): (200, JSON, json.dumps({"kind": "List", "items": [], "metadata": "a string"}).encode()),
    }
    start = time.monotonic()
    with api(tmp_path, script) as (kc, seen):
        status, _, err = run(["rbac", "who", "--kubeconfig", str(kc), "--user", "alice"])
    assert "internal error" not in err, err
    assert status in (0, 1, 2)
    assert time.monotonic() - start < 20
    assert len([s for s in seen if "continue=again" in s]) <= 4  # one repeat per list, then stopped


def test_the_page_guard_and_item_shapes_in_the_client(tmp_path: Path) -> None:
    from oidc_doctor.live.client import ApiClient, LiveError
    from oidc_doctor.live.kubeconfig import load

    counter = iter(range(10**6))

    def fresh_continue(h: BaseHTTPRequestHandler) -> None:
        body = json.dumps(
            {"kind": "PodList", "items": [{"metadata": "x"}, {}], "metadata": {"continue": f"c{next(counter)}"}}
        )
        h.send_response(200)
        h.send_header("Content-Type", JSON)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body.encode())

    with api(tmp_path, {("GET", "/api/v1/pods"): fresh_continue}) as (kc, _):
        import oidc_doctor.live.client as live_client

        cfg = load(path=str(kc))
        old = live_client.MAX_PAGES
        live_client.MAX_PAGES = 5
        try:
            with ApiClient(cfg) as client, pytest.raises(LiveError, match="more than 5 pages"):
                items = list(client.iter_list("/api/v1/pods"))
                assert items  # never reached
        finally:
            live_client.MAX_PAGES = old


def test_slow_headers_from_the_api_server_are_cut(tmp_path: Path) -> None:
    from oidc_doctor.live.client import ApiClient, LiveError
    from oidc_doctor.live.kubeconfig import load

    stop = threading.Event()

    def drip(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(200):  # 10 s at most, ended by the test long before
            if stop.wait(0.05):
                return
            h.wfile.write(b"a")
            h.wfile.flush()

    with api(tmp_path, {("GET", "/version"): drip}) as (kc, _):
        cfg = load(path=str(kc))
        start = time.monotonic()
        with ApiClient(cfg, timeout_s=0.5) as client, pytest.raises(LiveError, match=r"took longer than 0\.5 s"):
            client.get("/version")
        took = time.monotonic() - start
        stop.set()
    assert took < 4  # bounded: the drip alone would last far longer


def _plugin(tmp_path: Path, body: str) -> dict[str, Any]:
    plugin = tmp_path / "plugin"
    plugin.write_text(f"#!{sys.executable}\nimport sys, time, json\n{body}\n")
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    return {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin), "interactiveMode": "Never"}
    }


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("time.sleep(30)", "did not finish within 0.5 s"),
        ("sys.stdout.write('x' * (1 << 20))", "printed more than 65,536 bytes"),
        ("print(json.dumps({'kind': 'ExecCredential', 'status': ['token']}))", "status is not an object"),
    ],
    ids=["hangs", "floods", "status-a-list"],
)
def test_an_exec_plugin_is_bounded_in_time_and_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, words: str
) -> None:
    import oidc_doctor.live.client as live_client

    monkeypatch.setattr(live_client, "EXEC_TIMEOUT_S", 0.5)
    monkeypatch.setattr(live_client, "EXEC_MAX_OUTPUT", 1 << 16)
    start = time.monotonic()
    with api(tmp_path, {REVIEW: (201, JSON, review({"username": "alice"}))}, user=_plugin(tmp_path, body)) as (kc, _):
        status, _, err = run(["whoami", "--kubeconfig", str(kc)])
    one_line_exit_2(status, err)
    assert words in err
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("name", ["../../secrets/admin-token", "kubeapps/../x", "Kubeapps", "a" * 254, "x%2F..%2Fy"])
def test_names_going_into_request_paths_are_kubernetes_names(tmp_path: Path, name: str) -> None:
    with api(tmp_path, {}) as (kc, seen):
        status, _, err = run(["proxy", "authz-header", "enable", "--kubeconfig", str(kc), "-n", "kubeapps", "-d", name])
        one_line_exit_2(status, err)
        assert "is not a Kubernetes name" in err
        status, _, err = run(["proxy", "authz-header", "enable", "--kubeconfig", str(kc), "-n", "../x", "-d", "a"])
        one_line_exit_2(status, err)
    assert seen == []  # nothing was requested at all


def test_the_patch_target_is_exactly_the_object_named(tmp_path: Path) -> None:
    from sec_kit import EXAMPLES

    deploy = next(
        d
        for d in yaml.safe_load_all((EXAMPLES / "proxy-token-not-forwarded" / "kubeapps.yaml").read_text())
        if d and d.get("kind") == "Deployment"
    )
    deploy["metadata"]["namespace"] = "default"  # the answer claims another object
    script: dict[tuple[str, str], Answer] = {
        ("GET", "/apis/apps/v1/namespaces/kubeapps/deployments/kubeapps"): (200, JSON, json.dumps(deploy).encode())
    }
    with api(tmp_path, script) as (kc, seen):
        status, _, err = run(
            ["proxy", "authz-header", "enable", "--kubeconfig", str(kc), "-n", "kubeapps", "-d", "kubeapps", "--apply"]
        )
    one_line_exit_2(status, err)
    assert "nothing was patched" in err
    assert not [s for s in seen if s.startswith("PATCH")]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_token_file_that_is_no_file_is_one_line(tmp_path: Path, kind: str) -> None:
    import os

    token_file = tmp_path / "token"
    if kind == "fifo":
        os.mkfifo(token_file)
    else:
        os.symlink("/dev/zero", token_file)
    with api(tmp_path, {REVIEW: (201, JSON, review({"username": "alice"}))}, user={"tokenFile": str(token_file)}) as (
        kc,
        seen,
    ):
        status, _, err = run(["whoami", "--kubeconfig", str(kc)])
    one_line_exit_2(status, err)
    assert "tokenFile" in err and "not opened" in err
    assert seen == []


def test_a_401_that_echoes_an_opaque_token_does_not_show_it(tmp_path: Path) -> None:
    opaque = "opaque-test-token-0123456789"
    body = json.dumps(
        {
            "kind": "Status",
            "status": "Failure",
            "reason": "Unauthorized",
            "code": 401,
            "message": f"token {opaque} rejected",
        }
    ).encode()
    with api(tmp_path, {REVIEW: (401, JSON, body)}) as (kc, _):
        for fmt in ("text", "json"):
            status, out, err = run(["whoami", "--kubeconfig", str(kc), "--format", fmt])
            assert status == 1, err
            assert opaque not in out + err and opaque[:12] not in out + err
            assert "rejected" in out + err
