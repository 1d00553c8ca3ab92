"""A real OpenID provider for the tests: panva's npm ``oidc-provider`` 9.13.3 as a subprocess.

Registered from ``tests/conftest.py`` (``pytest_plugins``), so every area's tests may use it;
import its names as ``from idp_fixture import IdP``.

Fixtures
--------
``idp`` (session)
    The provider over plain HTTP on ``127.0.0.1`` (a free port). Issuer ``http://127.0.0.1:PORT``.
``idp_https`` (session)
    The same over HTTPS with a certificate from a ``trustme`` CA; ``idp_https.ca_file`` is the CA's
    PEM file. Pass it explicitly (``--ca-file``, ``ssl.create_default_context(cafile=...)``): this
    machine sets ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE`` to the system store, which does not trust
    the test CA.
``idp_factory`` (session)
    ``idp_factory(https=False)`` starts a fresh provider of your own (stopped at session end). Use
    it for tests that change the provider's state, such as :meth:`IdP.rotate`.

The :class:`IdP` handle
-----------------------
- ``issuer``, ``discovery_url``, ``jwks_uri``, ``ca_file`` (None over HTTP), ``kids`` (alg -> kid).
- ``mint(claims=None, alg="RS256", aud="kubernetes", lifetime=None) -> str``: one POST to the
  token endpoint with the test-only grant ``urn:oidc-doctor:mint`` (``provider.registerGrantType``
  in ``server.js``); the provider signs the id_token with its own keys and ``IdToken`` model.
  ``claims`` is merged into the payload (``sub`` defaults to ``alice``; ``iat``/``nbf`` may be
  set, ``iss`` may not); ``aud`` is a string or a list; ``lifetime`` is seconds until ``exp``
  (negative: already expired; non-zero); ``alg`` is one of :data:`ALGS`.
- ``jwks()`` the public JWKS the provider serves; ``private_jwks`` the keys it signs with.
- ``rotate()`` replaces every key (new kids) and sends SIGHUP; the provider re-reads its keys on
  the same port, so a token minted before no longer finds its ``kid`` in the JWKS.

The provider needs ``node`` and ``tests/idp/node_modules``; when the modules are missing the
fixture runs ``npm ci`` once (``package-lock.json`` pins every package). Without ``node`` the
tests that use it are skipped with that reason.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from oidc_doctor.jose import b64url_encode

HERE = Path(__file__).resolve().parent
MINT_GRANT = "urn:oidc-doctor:mint"
#: Algorithms the provider signs with in the tests (one key each).
ALGS: tuple[str, ...] = ("RS256", "ES256", "ES384", "PS256")
#: How long to wait for the provider to say it is ready or rotated (not a sleep: a deadline).
READY_TIMEOUT_S = 60.0


def _int(n: int) -> str:
    return b64url_encode(n.to_bytes((n.bit_length() + 7) // 8 or 1, "big"))


def _ec_coord(n: int, size: int) -> str:
    return b64url_encode(n.to_bytes(size, "big"))


def private_jwk(alg: str, kid: str) -> dict[str, Any]:
    """A fresh private JWK for ``alg`` (RSA 2048 or the EC curve the alg names)."""
    if alg[:2] in ("RS", "PS"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        priv = key.private_numbers()
        pub = priv.public_numbers
        return {
            "kty": "RSA",
            "kid": kid,
            "alg": alg,
            "use": "sig",
            "n": _int(pub.n),
            "e": _int(pub.e),
            "d": _int(priv.d),
            "p": _int(priv.p),
            "q": _int(priv.q),
            "dp": _int(priv.dmp1),
            "dq": _int(priv.dmq1),
            "qi": _int(priv.iqmp),
        }
    curve: ec.EllipticCurve
    curve, crv, size = {
        "ES256": (ec.SECP256R1(), "P-256", 32),
        "ES384": (ec.SECP384R1(), "P-384", 48),
    }[alg]
    eckey = ec.generate_private_key(curve)
    numbers = eckey.private_numbers()
    return {
        "kty": "EC",
        "kid": kid,
        "alg": alg,
        "use": "sig",
        "crv": crv,
        "x": _ec_coord(numbers.public_numbers.x, size),
        "y": _ec_coord(numbers.public_numbers.y, size),
        "d": _ec_coord(numbers.private_value, size),
    }


def _read_line(proc: subprocess.Popen[bytes], what: str) -> dict[str, Any]:
    """The next JSON line the provider prints, within :data:`READY_TIMEOUT_S`."""
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    buf = b""
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([proc.stdout], [], [], max(left, 0))
        if not ready:
            raise RuntimeError(f"the test OpenID provider did not report {what} in {READY_TIMEOUT_S:.0f}s")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            raise RuntimeError(f"the test OpenID provider exited before reporting {what}")
        buf += chunk
    line: dict[str, Any] = json.loads(buf)
    return line


@dataclass
class IdP:
    """A running provider; see the module docstring for what tests can do with it."""

    issuer: str
    ca_file: str | None
    keys_file: Path
    private_jwks: dict[str, Any]
    proc: subprocess.Popen[bytes]
    generation: int = 1
    kids: dict[str, str] = field(default_factory=dict)

    @property
    def discovery_url(self) -> str:
        """Where the discovery document is served."""
        return self.issuer + "/.well-known/openid-configuration"

    @property
    def jwks_uri(self) -> str:
        """Where the public JWKS is served (oidc-provider's default route)."""
        return self.issuer + "/jwks"

    def _client(self) -> httpx.Client:
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
        return httpx.Client(verify=verify, trust_env=False, timeout=httpx.Timeout(10.0, connect=5.0))

    def mint(
        self,
        claims: dict[str, Any] | None = None,
        alg: str = "RS256",
        aud: str | list[str] = "kubernetes",
        lifetime: int | None = None,
    ) -> str:
        """An id_token signed by the provider with these claims, algorithm, audience and lifetime."""
        if lifetime == 0:
            raise ValueError("lifetime must be non-zero (the provider reads 0 as its default)")
        form = {
            "grant_type": MINT_GRANT,
            "client_id": "minter",
            "claims": json.dumps(claims or {}),
            "alg": alg,
            "aud": json.dumps(aud),
        }
        if lifetime is not None:
            form["lifetime"] = str(lifetime)
        with self._client() as client:
            r = client.post(self.issuer + "/token", data=form)
        if r.status_code != 200:
            raise RuntimeError(f"mint failed: HTTP {r.status_code}: {r.text}")
        token: str = r.json()["id_token"]
        return token

    def jwks(self) -> dict[str, Any]:
        """The public JWKS the provider serves now."""
        with self._client() as client:
            doc: dict[str, Any] = client.get(self.jwks_uri).raise_for_status().json()
        return doc

    def discovery(self) -> dict[str, Any]:
        """The discovery document the provider serves."""
        with self._client() as client:
            doc: dict[str, Any] = client.get(self.discovery_url).raise_for_status().json()
        return doc

    def rotate(self) -> None:
        """Replace every signing key (new kids) and make the provider re-read them (SIGHUP)."""
        self.generation += 1
        self.private_jwks, self.kids = _write_keys(self.keys_file, self.generation)
        self.proc.send_signal(signal.SIGHUP)
        answer = _read_line(self.proc, "the key rotation")
        if not answer.get("rotated"):
            raise RuntimeError(f"the provider refused the new keys: {answer}")

    def stop(self) -> None:
        """Stop the provider process."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def _write_keys(path: Path, generation: int) -> tuple[dict[str, Any], dict[str, str]]:
    kids = {alg: f"{alg.lower()}-gen{generation}" for alg in ALGS}
    jwks = {"keys": [private_jwk(alg, kid) for alg, kid in kids.items()]}
    path.write_text(json.dumps(jwks))
    path.chmod(0o600)
    return jwks, kids


_npm_checked = False


def ensure_node_modules() -> str:
    """The ``node`` binary, after installing the pinned packages with ``npm ci`` if needed."""
    global _npm_checked
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the real OpenID provider cannot run")
    if not _npm_checked and not (HERE / "node_modules" / "oidc-provider").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("node is installed but npm is not: cannot install tests/idp's packages")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in tests/idp failed: {done.stderr[-2000:]}")
    _npm_checked = True
    return node


def start_idp(workdir: Path, https: bool = False, ttl: int = 300) -> IdP:
    """Start one provider in ``workdir`` (keys, certificate and log live there)."""
    node = ensure_node_modules()
    keys_file = workdir / "keys.json"
    private_jwks, kids = _write_keys(keys_file, 1)
    argv = [node, str(HERE / "server.js"), "--keys", str(keys_file), "--ttl", str(ttl)]
    ca_file = None
    if https:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_path = workdir / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        cert.cert_chain_pems[0].write_to_path(str(workdir / "cert.pem"))
        cert.private_key_pem.write_to_path(str(workdir / "key.pem"))
        argv += ["--cert", str(workdir / "cert.pem"), "--key", str(workdir / "key.pem")]
        ca_file = str(ca_path)
    log = (workdir / "idp.log").open("wb")
    proc = subprocess.Popen(argv, cwd=HERE, stdout=subprocess.PIPE, stderr=log)
    log.close()
    try:
        ready = _read_line(proc, "readiness")
    except RuntimeError as e:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{e}; its log: {(workdir / 'idp.log').read_text()[-2000:]}") from e
    return IdP(
        issuer=ready["issuer"],
        ca_file=ca_file,
        keys_file=keys_file,
        private_jwks=private_jwks,
        proc=proc,
        kids=kids,
    )


@pytest.fixture(scope="session")
def idp_factory() -> Iterator[Callable[..., IdP]]:
    """Start providers of your own: ``idp_factory(https=False, ttl=300)``; all stop at session end."""
    started: list[IdP] = []
    dirs: list[tempfile.TemporaryDirectory[str]] = []

    def make(https: bool = False, ttl: int = 300) -> IdP:
        d = tempfile.TemporaryDirectory(prefix="oidc-doctor-idp-")
        dirs.append(d)
        p = start_idp(Path(d.name), https=https, ttl=ttl)
        started.append(p)
        return p

    yield make
    for p in started:
        p.stop()
    for d in dirs:
        d.cleanup()


@pytest.fixture(scope="session")
def idp(idp_factory: Callable[..., IdP]) -> IdP:
    """The shared provider over HTTP; do not rotate it (use ``idp_factory`` for that)."""
    return idp_factory()


@pytest.fixture(scope="session")
def idp_https(idp_factory: Callable[..., IdP]) -> IdP:
    """The shared provider over HTTPS with a trustme CA (``idp_https.ca_file``)."""
    return idp_factory(https=True)
