"""Live commands against the API server test double: the token goes to the user's API server and
nowhere else, no output or written file holds it, only reviews are POSTed, only ``proxy
authz-header --apply`` writes (a JSON Patch by container name guarded by a ``test`` op), and a
redirect cannot carry the token to another host.
"""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "live"))

from apiserver_double import ApiServerDouble
from live_testkit import ALICE, populate
from sec_kit import PROXY_SECRETS, Stranger, leaks, make_token, run, tree_text, windows
from tls_support import serve_https

REVIEWS = {
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
}


@pytest.fixture
def stranger() -> Iterator[Stranger]:
    with Stranger() as s:
        yield s


@pytest.fixture
def env(stranger: Stranger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    ca = tmp_path / "stranger-ca.pem"
    stranger.ca.cert_pem.write_to_path(str(ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the issuer is trusted, as an operator's machine trusts it
    return {"SSL_CERT_FILE": str(ca)}


def _exec_user(tmp_path: Path, token: str) -> dict[str, Any]:
    """A kubeconfig user whose exec plugin prints an ExecCredential holding ``token``."""
    plugin = tmp_path / "get-token"
    cred = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": token}}
    plugin.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(cred))})\n")
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    return {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin), "interactiveMode": "Never"}
    }


def test_every_live_command_keeps_the_token_between_the_user_and_the_api_server(
    stranger: Stranger, env: dict[str, str], tmp_path: Path
) -> None:
    user_token = make_token(stranger.url, aud="kubernetes")
    kube_token = make_token(stranger.url, sub="kubeconfig-user")
    import live_testkit as kit

    planted = {kit.CLIENT_SECRET, kit.OPAQUE_SECRET, kit.HELM_SECRET, kit.TOML_SECRET, kit.COOKIE_SECRET}
    secret = windows(user_token) | windows(kube_token) | set(PROXY_SECRETS) | planted
    with ApiServerDouble(token=kube_token, users={user_token: ALICE}) as double:
        populate(double, issuer=stranger.url)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        exec_kc = str(double.kubeconfig(tmp_path / "exec-kubeconfig", _exec_user(tmp_path, kube_token)))
        tok = tmp_path / "token.jwt"
        tok.write_text(user_token + "\n")
        src = f"@{tok}"
        commands = [
            ["whoami", "--kubeconfig", kc, "--token", src],
            ["whoami", "--kubeconfig", kc, "--token", src, "--format", "json"],
            ["whoami", "--kubeconfig", exec_kc],
            ["collect", "-o", str(tmp_path / "b1"), "--kubeconfig", kc, "--token", src],
            ["collect", "-o", str(tmp_path / "b2"), "--kubeconfig", exec_kc],
            ["diagnose", "--kubeconfig", kc, "--token", src],
            ["diagnose", "--kubeconfig", exec_kc, "--token", src, "--format", "html", "-o", str(tmp_path / "r.html")],
            ["diagnose", "--kubeconfig", kc, "--token", src, "--format", "markdown"],
            ["rbac", "who", "--kubeconfig", kc, "--token", src, "--format", "json"],
            ["rbac", "can", "list", "pods", "-n", "dev", "--kubeconfig", kc, "--token", src],
            ["proxy", "--kubeconfig", kc, "-n", "kubeapps", "--settings"],
            ["proxy", "--kubeconfig", kc, "-n", "kubeapps", "--format", "json"],
            ["proxy", "authz-header", "enable", "--kubeconfig", kc, "-n", "kubeapps", "-d", "kubeapps"],
        ]
        for argv in commands:
            status, out, err = run(argv, env=env)
            assert status in (0, 1), (argv, err)
            assert not leaks(out + err, secret), (argv, leaks(out + err, secret))
        for bundle in ("b1", "b2"):
            assert not leaks(tree_text(tmp_path / bundle), secret), bundle
        assert not leaks((tmp_path / "r.html").read_text(), secret)
        # the user's token reached the API server, and only in reviews
        with_user = {r.path for r in double.requests if user_token in r.headers.get("Authorization", "")}
        assert with_user and with_user <= REVIEWS
        # read-only: GETs, and POSTs of reviews only
        assert {r.method for r in double.requests} == {"GET", "POST"}
        assert {r.path for r in double.requests if r.method == "POST"} <= REVIEWS
    # the issuer was asked (discovery and JWKS) and received no credential, cookie or token piece
    assert stranger.seen, "the issuer was never fetched: the test proves nothing about it"
    assert {s.method for s in stranger.seen} == {"GET"}
    for s in stranger.seen:
        assert not {k.lower() for k in s.headers} & {"authorization", "cookie", "proxy-authorization"}
    assert not leaks(stranger.everything(), secret)
    assert "double-token" not in stranger.everything()


def test_authz_header_apply_is_the_only_write_a_json_patch_by_container_name_with_a_test_op(
    tmp_path: Path,
) -> None:
    with ApiServerDouble() as double:
        populate(double)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        status, _out, err = run(
            ["proxy", "authz-header", "enable", "--kubeconfig", kc, "-n", "kubeapps", "-d", "kubeapps", "--apply"]
        )
        assert status == 0, err
        [patch] = [r for r in double.requests if r.method not in ("GET",)]
    assert patch.method == "PATCH" and patch.headers["Content-Type"] == "application/json-patch+json"
    ops = json.loads(patch.body)
    assert ops[0]["op"] == "test" and ops[0]["path"].endswith("/name") and ops[0]["value"] == "auth-proxy"
    assert all(o["op"] in ("test", "add", "replace", "remove") for o in ops)


class _Redirector:
    """An HTTPS 'API server' that answers every request with a 307 to ``target`` (same path)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.ca = trustme.CA()
        self.seen: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> _Redirector:
        me = self

        class Handler(BaseHTTPRequestHandler):
            """307 to the target."""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                me.seen.append(f"{self.command} {self.path}")
                self.send_response(307)
                self.send_header("Location", me.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PATCH = _any

        self._server, _ = serve_https(Handler, self.ca.issue_cert("127.0.0.1"))
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def kubeconfig(self, path: Path, token: str) -> Path:
        import base64

        cluster = {
            "server": self.url,
            "certificate-authority-data": base64.b64encode(self.ca.cert_pem.bytes()).decode(),
        }
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "r", "cluster": cluster}],
            "users": [{"name": "r", "user": {"token": token}}],
            "contexts": [{"name": "r", "context": {"cluster": "r", "user": "r", "namespace": "dev"}}],
            "current-context": "r",
        }
        path.write_text(yaml.safe_dump(doc))
        return path

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["whoami", "--token", "@TOKEN"], {2}),
        (["whoami", "--format", "json"], {2}),
        (["collect", "-o", "OUT", "--token", "@TOKEN", "--no-issuer"], {0}),  # every read becomes a note
        (["diagnose", "--token", "@TOKEN"], {1, 2}),
        (["rbac", "who", "--user", "alice"], {2}),
    ],
)
def test_a_redirect_to_another_host_does_not_carry_the_token(
    stranger: Stranger, tmp_path: Path, argv: list[str], expected: set[int]
) -> None:
    token = make_token("https://idp.example.com", aud="kubernetes")
    (tmp_path / "t.jwt").write_text(token)
    with _Redirector(stranger.url) as redirector:
        kc = str(redirector.kubeconfig(tmp_path / "kubeconfig", token))
        argv = [a.replace("@TOKEN", f"@{tmp_path / 't.jwt'}").replace("OUT", str(tmp_path / "out")) for a in argv]
        status, out, err = run([*argv, "--kubeconfig", kc])
        assert redirector.seen, "the command never asked the API server"
    assert stranger.seen == [], [s.path for s in stranger.seen]
    assert status in expected, (status, out, err)
    assert "307 Temporary Redirect" in out + err and "not followed" in out + err, (out, err)
    assert "Traceback" not in err and not leaks(out + err, windows(token))


def test_a_status_body_echoing_the_token_reaches_no_output_and_no_bundle(tmp_path: Path) -> None:
    from apiserver_double import Recorded, _status

    token = make_token("https://idp.example.com", aud="kubernetes")
    with ApiServerDouble(users={token: ALICE}) as double:
        populate(double)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        answer = double.answer

        def echo(rec: Recorded) -> tuple[int, dict[str, Any]]:
            # a proxy in front of the API server that quotes the request's credentials back
            if rec.method == "POST":
                auth = rec.headers.get("Authorization", "")
                return 401, _status(401, f"Unauthorized {auth}", f"Unauthorized: {auth}; Cookie: s={token}")
            return answer(rec)

        double.answer = echo  # type: ignore[method-assign]
        for argv in (
            ["whoami", "--token", token],  # also a raw token argument: warned about, never echoed
            ["whoami", "--token", token, "--format", "json"],
            ["diagnose", "--token", token, "--format", "json"],
            ["rbac", "who", "--token", token],
            ["collect", "-o", str(tmp_path / "b"), "--token", token, "--no-issuer"],
        ):
            status, out, err = run([*argv, "--kubeconfig", kc])
            assert status in (0, 1, 2) and "Traceback" not in err
            assert not leaks(out + err, windows(token)), (argv, leaks(out + err, windows(token)))
    assert "401" in tree_text(tmp_path / "b") and not leaks(tree_text(tmp_path / "b"), windows(token))


def test_hostile_strings_from_the_api_server_are_cleaned(tmp_path: Path) -> None:
    from apiserver_double import Recorded, _status
    from test_security_hostile import EVIL, RAW_CONTROL

    token = make_token("https://idp.example.com", aud="kubernetes")
    user: dict[str, Any] = {
        "username": "oidc:alice" + EVIL,
        "uid": EVIL,
        "groups": ["dev" + EVIL],
        "extra": {"k" + EVIL: [EVIL]},
    }
    rules: dict[str, Any] = {
        "resourceRules": [{"verbs": ["get" + EVIL], "apiGroups": [EVIL], "resources": ["pods" + EVIL]}],
        "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/x" + EVIL]}],
        "incomplete": False,
    }
    with ApiServerDouble(users={token: user}, rules={user["username"]: rules}) as double:
        populate(double)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        runs = [
            ["whoami", "--token", token],
            ["whoami", "--token", token, "--format", "json"],
            ["diagnose", "--token", token],
            ["rbac", "who", "--token", token],
        ]
        outputs = [run([*argv, "--kubeconfig", kc]) for argv in runs]
        answer = double.answer

        def hostile(rec: Recorded) -> tuple[int, dict[str, Any]]:
            if rec.method == "POST" or "rbac" in rec.path:
                return 403, _status(403, "Forbidden" + EVIL, "forbidden" + EVIL)
            return answer(rec)

        double.answer = hostile  # type: ignore[method-assign]
        for argv in (runs[0], runs[3], ["collect", "-o", str(tmp_path / "b"), "--token", token, "--no-issuer"]):
            outputs.append(run([*argv, "--kubeconfig", kc]))
    for status, out, err in outputs:
        assert status in (0, 1, 2)
        assert not RAW_CONTROL.search(out.replace("\n", "")), out
        assert not RAW_CONTROL.search(err.replace("\n", "")), err


def test_bundle_files_are_created_new_and_never_through_a_planted_symlink(tmp_path: Path) -> None:
    from oidc_doctor.errors import InputError
    from oidc_doctor.live.sinks import private_open

    target = tmp_path / "elsewhere.txt"
    target.write_text("someone else's file\n")
    target.chmod(0o666)
    (tmp_path / "token.txt").symlink_to(target)
    with pytest.raises(InputError, match="cannot create a new private file"):
        private_open(tmp_path / "token.txt")
    (tmp_path / "planted.json").write_text("")
    with pytest.raises(InputError):
        private_open(tmp_path / "planted.json")
    assert target.read_text() == "someone else's file\n"
    with private_open(tmp_path / "new.json") as f:
        f.write(b"{}")
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o600


def test_an_exec_plugins_stderr_is_passed_on_cleaned_and_without_the_token(tmp_path: Path) -> None:
    token = make_token("https://idp.example.com", aud="kubernetes")
    plugin = tmp_path / "chatty-get-token"
    cred = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": token}}
    plugin.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"sys.stderr.write('\\x1b[2Jopen the browser; got {token}\\n')\n"
        f"print({json.dumps(json.dumps(cred))})\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    user = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin), "interactiveMode": "Never"}
    }
    with ApiServerDouble(token=token) as double:
        kc = str(double.kubeconfig(tmp_path / "kubeconfig", user))
        status, out, err = run(["whoami", "--kubeconfig", kc])
    assert status == 0, err
    assert "open the browser; got <masked sha256:" in err
    assert "\x1b" not in err and not leaks(out + err, windows(token))
