"""Shared pieces of the security tests: a token to hunt for, a bundle that hides it everywhere, a
recording HTTPS server (a stranger: an issuer or a redirect target), and leak assertions.

The token is JWT-shaped with a long random payload and signature, so that any 20-character
window of either segment is unique enough to find in output, files and requests.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme
from tls_support import serve_https

from oidc_doctor.cli import main
from oidc_doctor.io import IO

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
WINDOW = 20


def b64(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(iss: str, **claims: Any) -> str:
    """A JWT-shaped token whose payload carries a random nonce and whose signature is random."""
    header = {"alg": "RS256", "kid": "k1", "typ": "JWT"}
    payload = {
        "iss": iss,
        "aud": "kubeapps",
        "sub": "alice",
        "email": "alice@example.com",
        "email_verified": True,
        "groups": ["dev"],
        "iat": 1_795_000_000,
        "exp": 1_795_000_300,
        "nonce": secrets.token_hex(24),
        **claims,
    }
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(secrets.token_bytes(256))]
    )


def windows(token: str) -> set[str]:
    """Every 20-character substring of the token's payload and signature segments."""
    out: set[str] = set()
    for seg in token.split(".")[1:3]:
        out.update(seg[i : i + WINDOW] for i in range(len(seg) - WINDOW + 1))
    return out


def leaks(text: str, secret_windows: set[str]) -> list[str]:
    """The secret windows found in ``text`` (empty: no leak)."""
    if not text:
        return []
    return sorted(w for w in secret_windows if w in text)[:3]


def run(argv: list[str], stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The CLI in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(stdin), stdout=out, stderr=err, env=env or {}))
    return status, out.getvalue(), err.getvalue()


def tree_text(root: Path) -> str:
    """All bytes of every file under ``root`` (decoded leniently), for leak searches."""
    parts = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            parts.append((Path(dirpath) / name).read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


@dataclass
class Seen:
    """One request a stranger received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Stranger:
    """An HTTPS server on 127.0.0.1 that is *not* the user's API server: it records everything.

    It answers an OpenID discovery document (naming itself) and an empty JWKS, so it can stand
    for the issuer; anything else is 404 (a redirect target sees what followed the redirect).
    Every answer sets a cookie, so a client that keeps cookies between fetches is caught.
    """

    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ca = trustme.CA()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def everything(self) -> str:
        """Every path, header and body it received, as one text."""
        return "\n".join(
            f"{s.method} {s.path}\n{json.dumps(s.headers)}\n{s.body.decode('utf-8', 'replace')}" for s in self.seen
        )

    def __enter__(self) -> Stranger:
        me = self

        class Handler(BaseHTTPRequestHandler):
            """Record, then answer discovery, JWKS or 404."""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                me.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                if self.path == "/.well-known/openid-configuration":
                    doc: dict[str, Any] | None = {"issuer": me.url, "jwks_uri": me.url + "/jwks"}
                elif self.path == "/jwks":
                    doc = {"keys": []}
                elif self.path == "/big":
                    doc = {"keys": [], "padding": "x" * (2 << 20)}
                else:
                    doc = None
                data = json.dumps(doc or {"kind": "Status", "code": 404}).encode()
                self.send_response(200 if doc else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                # a session cookie: a client that kept it would send it with the next fetch
                self.send_header("Set-Cookie", "issuer_session=s3ss10n-cookie-value; Path=/; Secure")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        self._server, _ = serve_https(Handler, self.ca.issue_cert("127.0.0.1"))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


CLIENT_SECRET = "client-secret-value-Q7r2Zx9w"
COOKIE_SECRET = "cookie-secret-0123456789abcdefXYZ"  # neither 16, 24 nor 32 bytes: also invalid


def token_bundle(root: Path, token: str, issuer: str) -> Path:
    """A bundle that hides ``token`` (and proxy secrets) in every kind of file a bundle may hold."""
    import shutil

    import yaml

    from oidc_doctor.proxy.helm import encode_release

    bundle = root / "bundle"
    shutil.copytree(EXAMPLES / "kubeapps-audience-mismatch", bundle)
    for name in ("id_token.txt", "jwks.json", "openid-configuration.json"):
        (bundle / name).unlink()
    pod = (bundle / "kube-apiserver.yaml").read_text().replace("https://keycloak.example.com/realms/k8s", issuer)
    (bundle / "kube-apiserver.yaml").write_text(pod)
    (bundle / "id_token.txt").write_text(f"Authorization: Bearer {token}\n")
    auth = f"Bearer {token}"
    (bundle / "kube-apiserver.log").write_text(
        'E1128 10:24:58.123456       1 authentication.go:73] "Unable to authenticate the request" '
        'err="invalid bearer token, oidc: verify token: oidc: expected audience \\"kubernetes\\" got [\\"kubeapps\\"]"'
        f' token="{token}"\n'
        f'E1128 10:24:59.000000       1 authentication.go:73] "Unable to authenticate the request" err="{token}"\n'
    )
    (bundle / "auth-proxy.log").write_text(
        f'[2026/11/28 10:25:00] [oauthproxy.go:1013] Error loading cookied session: Authorization: "{auth}" '
        f"Cookie: _oauth2_proxy={token}; _oauth2_proxy_csrf={token}\n"
        f'10.0.0.1 - 4f1c - alice@example.com [2026/11/28 10:25:01] kubeapps.example.com GET - "/api" '
        f'HTTP/1.1 "Mozilla" 401 21 0.001 access_token={token}\n'
    )
    (bundle / "what-i-saw.txt").write_text(
        f"error: You must be logged in to the server (Unauthorized)\nsent Authorization: {auth}\n"
    )
    (bundle / "status.json").write_text(
        json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": f"Unauthorized: {token}",
                "reason": "Unauthorized",
                "code": 401,
            }
        )
    )
    (bundle / "exec-credential.json").write_text(
        json.dumps(
            {
                "kind": "ExecCredential",
                "apiVersion": "client.authentication.k8s.io/v1",
                "status": {"token": token, "expirationTimestamp": "2026-11-28T10:30:00Z"},
            }
        )
    )
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://203.0.113.10:6443"}}],
        "users": [
            {
                "name": "u",
                "user": {
                    "auth-provider": {"name": "oidc", "config": {"id-token": token, "client-secret": CLIENT_SECRET}}
                },
            },
            {"name": "t", "user": {"token": token}},
        ],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    (bundle / "kubeconfig.yaml").write_text(yaml.safe_dump(kubeconfig))
    docs = list(yaml.safe_load_all((bundle / "kubeapps.yaml").read_text()))
    for doc in docs:
        if doc and doc.get("kind") == "Deployment":
            for c in doc["spec"]["template"]["spec"]["containers"]:
                if c["name"] == "auth-proxy":
                    c["args"] += [
                        f"--client-secret={CLIENT_SECRET}",
                        f"--cookie-secret={COOKIE_SECRET}",
                        f"--extra-jwt-issuers={issuer}={token}",
                    ]
                    c["env"].append({"name": "OAUTH2_PROXY_COOKIE_SECRET", "value": COOKIE_SECRET})
    release = {
        "name": "kubeapps",
        "namespace": "kubeapps",
        "version": 1,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "kubeapps", "version": "7.0.0"}, "values": {}},
        "config": {
            "authProxy": {"enabled": True, "clientSecret": CLIENT_SECRET, "cookieSecret": COOKIE_SECRET},
            "extra": {"token": token, "note": token},
        },
        "manifest": f"token: {token}\n",
    }
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {
                "name": "sh.helm.release.v1.kubeapps.v1",
                "namespace": "kubeapps",
                "labels": {"owner": "helm", "name": "kubeapps", "status": "deployed", "version": "1"},
            },
            "data": {"release": base64.b64encode(encode_release(release).encode()).decode()},
        }
    )
    (bundle / "kubeapps.yaml").write_text(yaml.safe_dump_all(docs))
    return bundle


#: What must never show: the proxy secrets (whole) besides the token windows.
PROXY_SECRETS = (CLIENT_SECRET, COOKIE_SECRET)
