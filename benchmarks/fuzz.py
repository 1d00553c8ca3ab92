"""Fuzz run (``make fuzz``): Hypothesis over hostile bundles, token shapes, secret shapes and fix
quoting; at least 10,000 examples in all by default. Not part of ``make test`` (it takes minutes).

Each target asserts the project's promises, not an expected answer:

- ``bundles``: a folder of random files (seed files from ``benchmarks/fuzz_corpus/`` and the
  example bundles, mutated; random bytes; deep nesting; gzip; FIFOs; links to devices) →
  ``diagnose`` and ``rbac who`` exit 0, 1 or 2, never "internal error", one line when 2;
- ``tokens``: random headers and payloads (JSON of any shape, wrong types, huge numbers) →
  ``token --offline`` and ``predict`` the same;
- ``secrets``: a random credential planted in a random carrier → :func:`oidc_doctor.secrets.mask_text`
  never lets a 12-character piece of it through;
- ``live``: random answers (any status, JSON of any shape, reviews and lists with hostile fields,
  bytes) from an HTTPS API server on 127.0.0.1 → ``whoami`` and ``rbac who --kubeconfig`` keep
  the same promise;
- ``quoting``: random argument lists → :func:`oidc_doctor.shell.join` reads back as the same list
  (``shlex.split``), or holds a placeholder where a value could not be shown.

Run: ``.venv/bin/python benchmarks/fuzz.py [--examples N] [--only TARGET]``. Every failure is
printed with the input Hypothesis shrank it to; the exit status is the number of failing targets.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
NOW = "2026-11-28T10:25:12Z"


def _seeds() -> list[bytes]:
    seeds = [p.read_bytes() for p in sorted(CORPUS.iterdir()) if p.is_file()]
    for p in sorted((ROOT / "examples").glob("*/*")):
        if p.is_file() and p.stat().st_size < 64 * 1024:
            seeds.append(p.read_bytes())
    return seeds


SEEDS = _seeds()
NAMES = [
    "kube-apiserver.yaml",
    "auth-config.yaml",
    "rbac.json",
    "rbac.yaml",
    "id_token.txt",
    "kube-apiserver.log",
    "auth-proxy.log",
    "x.log.gz",
    "kubeconfig",
    "values.yaml",
    "what-i-saw.txt",
    "openid-configuration.json",
    "jwks.json",
    ".collect-manifest.json",
    "sub/dir/file.yaml",
]


def _run(argv: list[str]) -> tuple[int, str, str]:
    from oidc_doctor.cli import main
    from oidc_doctor.io import IO

    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


def _promise(argv: list[str]) -> None:
    status, _out, err = _run(argv)
    assert status in (0, 1, 2), (argv, status)
    assert "internal error" not in err and "Traceback" not in err, (argv, err)
    if status == 2:
        assert len(err.strip().splitlines()) == 1, (argv, err)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)


@st.composite
def file_content(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["seed", "mutated", "bytes", "json", "deep", "gzip"]))
    if kind == "seed":
        return draw(st.sampled_from(SEEDS))
    if kind == "mutated":
        data = bytearray(draw(st.sampled_from(SEEDS)))
        for pos, chunk in draw(st.lists(st.tuples(st.integers(0, 1 << 20), st.binary(max_size=8)), max_size=6)):
            at = pos % (len(data) + 1)
            data[at : at + len(chunk)] = chunk
        return bytes(data)
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "deep":
        n = draw(st.integers(1, 1200))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * n + ("1" if opener != "[" else "") + closer * n).encode()
    return gzip.compress(draw(st.sampled_from(SEEDS)) * draw(st.integers(1, 50)))


@st.composite
def bundle(draw: st.DrawFn) -> list[tuple[str, bytes | str]]:
    files: list[tuple[str, bytes | str]] = [
        (draw(st.sampled_from(NAMES)), draw(file_content())) for _ in range(draw(st.integers(1, 6)))
    ]
    if draw(st.booleans()):
        files.append((draw(st.sampled_from(NAMES)), draw(st.sampled_from(["FIFO", "/dev/zero", "/dev/null"]))))
    return files


def _write(root: Path, files: list[tuple[str, bytes | str]]) -> Path:
    b = Path(tempfile.mkdtemp(dir=root))
    for name, content in files:
        path = b / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            continue
        if content == "FIFO":
            os.mkfifo(path)
        elif isinstance(content, str):
            os.symlink(content, path)
        else:
            path.write_bytes(content)
    return b


def target_bundles(n: int, root: Path) -> None:
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(bundle())
    def check(files: list[tuple[str, bytes | str]]) -> None:
        b = _write(root, files)
        _promise(["diagnose", "--bundle", str(b), "--format", "json", "--now", NOW])
        _promise(["rbac", "who", "--bundle", str(b), "--user", "alice"])

    check()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def token_text(draw: st.DrawFn) -> str:
    header = draw(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"alg": st.sampled_from(["RS256", "PS512", "none", "HS256", ""])},
                optional={"crit": json_values, "b64": json_values, "kid": json_values},
            ),
        )
    )
    payload = draw(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"iss": st.sampled_from(["https://idp.example.com", "http://x", ""])},
                optional={
                    k: json_values
                    for k in ("aud", "exp", "iat", "nbf", "sub", "email", "groups", "_claim_names", "_claim_sources")
                },
            ),
        )
    )
    parts = [_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()), _b64(draw(st.binary(max_size=300)))]
    if draw(st.booleans()):
        parts = draw(st.lists(st.sampled_from([*parts, "", "!!", "eyJ"]), min_size=1, max_size=6))
    return ".".join(parts)


def target_tokens(n: int, root: Path) -> None:
    jwks = root / "jwks.json"
    jwks.write_bytes((CORPUS / "jwks.json").read_bytes())

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(token_text())
    def check(token: str) -> None:
        f = root / "token.txt"
        f.write_text(token)
        _promise(["token", f"@{f}", "--offline", "--format", "json", "--now", NOW])
        _promise(["token", f"@{f}", "--jwks", str(jwks), "--now", NOW])
        _promise(
            [
                "predict",
                "--token",
                f"@{f}",
                "--jwks",
                str(jwks),
                "--apiserver-arg=--oidc-issuer-url=https://idp.example.com",
                "--apiserver-arg=--oidc-client-id=kubernetes",
                "--format",
                "json",
                "--now",
                NOW,
            ]
        )

    check()


SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+/"
CARRIERS = [
    "--client-secret={}",
    "-client-secret={}",
    "--cookie-secret {}",
    'sh -c "oauth2-proxy --client-secret={} --upstream=http://x"',
    "redis://:{}@redis:6379",
    "https://user:{}@host/path",
    "GET /cb?access_token={}&x=1",
    "Authorization: Bearer {}",
    "_oauth2_proxy={}|1732789500|sig",
    '{{"clientSecret": "{}"}}',
    'client_secret = "{}"',
    "password: {}",
]


def target_secrets(n: int, _root: Path) -> None:
    from oidc_doctor.secrets import mask_args, mask_text

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(CARRIERS),
        st.text(alphabet=SECRET_ALPHABET, min_size=12, max_size=60).filter(lambda s: any(c.isdigit() for c in s)),
        st.text(max_size=30),
        st.text(max_size=30),
    )
    def check(carrier: str, secret: str, before: str, after: str) -> None:
        pieces = {secret[i : i + 12] for i in range(len(secret) - 11)}
        assume(not any(p in before + " " + after for p in pieces))  # the secret is only in the carrier
        text = f"{before} {carrier.format(secret)} {after}"
        out = mask_text(text)
        assert not any(p in out for p in pieces), (text, out)
        assert mask_text(out) == out or "<" in out  # marks are stable
        words = mask_args(["--provider=oidc", *carrier.format(secret).split(" ", 1)])
        assert not any(p in json.dumps(words) for p in pieces if carrier.startswith("-")), words

    check()


def target_quoting(n: int, _root: Path) -> None:
    from oidc_doctor.shell import helm_set, join, unsafe

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.text(max_size=40), min_size=1, max_size=6), st.text(max_size=40))
    def check(argv: list[str], value: str) -> None:
        line = join(["kubectl", *argv])
        back = shlex.split(line)
        assert back[0] == "kubectl" and len(back) == len(argv) + 1
        for given_word, read in zip(argv, back[1:], strict=True):
            assert read == ("<value>" if unsafe(given_word) else given_word)
        words = helm_set("a.b", value)
        assert len(words) == 2 and words[0] in ("--set", "--set-json")
        if words[0] == "--set-json":
            assert json.loads(words[1].split("=", 1)[1]) in (value, "<value>")

    check()


@st.composite
def live_answer(draw: st.DrawFn) -> tuple[int, bytes]:
    status = draw(st.sampled_from([200, 201, 204, 301, 401, 403, 404, 500]))
    body = draw(
        st.one_of(
            st.builds(lambda v: json.dumps(v).encode(), json_values),
            st.builds(
                lambda u, m: json.dumps(
                    {"kind": "SelfSubjectReview", "status": {"userInfo": u}, "metadata": m}
                ).encode(),
                json_values,
                json_values,
            ),
            st.builds(
                lambda items, cont: json.dumps(
                    {"kind": "List", "items": items, "metadata": {"continue": cont}}
                ).encode(),
                json_values,
                json_values,
            ),
            st.binary(max_size=300),
        )
    )
    return status, body


def target_live(n: int, root: Path) -> None:
    """Random answers from an HTTPS API server on 127.0.0.1 (every path) to ``whoami`` and ``rbac``."""
    from http.server import BaseHTTPRequestHandler

    import trustme
    import yaml

    sys.path.insert(0, str(ROOT / "tests"))
    from tls_support import serve_https

    current: list[tuple[int, bytes]] = [(200, b"{}")]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            del format, args

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            code, body = current[0]
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    ca = trustme.CA()
    server, _thread = serve_https(Handler, ca.issue_cert("127.0.0.1"))
    kc = root / "kubeconfig"
    cluster = {
        "server": f"https://127.0.0.1:{server.server_address[1]}",
        "certificate-authority-data": base64.b64encode(ca.cert_pem.bytes()).decode(),
    }
    kc.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "f", "cluster": cluster}],
                "users": [{"name": "f", "user": {"token": "fuzz-token-0123456789"}}],
                "contexts": [{"name": "f", "context": {"cluster": "f", "user": "f", "namespace": "default"}}],
                "current-context": "f",
            }
        )
    )

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(live_answer())
    def check(answer: tuple[int, bytes]) -> None:
        current[0] = answer
        _promise(["whoami", "--kubeconfig", str(kc), "--format", "json"])
        _promise(["rbac", "who", "--kubeconfig", str(kc), "--user", "alice"])

    try:
        check()
    finally:
        server.shutdown()
        server.server_close()


TARGETS: dict[str, tuple[Callable[[int, Path], None], float]] = {
    "bundles": (target_bundles, 0.25),
    "tokens": (target_tokens, 0.25),
    "secrets": (target_secrets, 0.25),
    "quoting": (target_quoting, 0.2),
    "live": (target_live, 0.05),
}


def main() -> int:
    """Run the targets; the exit status is the number that failed."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--examples", type=int, default=10_000, help="examples over all targets (default 10,000)")
    p.add_argument("--only", choices=sorted(TARGETS), help="run one target")
    args = p.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        for name, (target, share) in TARGETS.items():
            if args.only and name != args.only:
                continue
            n = max(1, round(args.examples * (1.0 if args.only else share)))
            start = time.monotonic()
            try:
                target(n, Path(d))
            except Exception as e:  # noqa: BLE001 - a fuzz failure is reported, then the next target runs
                failed += 1
                print(f"{name}: FAILED after shrinking: {type(e).__name__}: {e}", flush=True)
            else:
                print(f"{name}: {n} examples, no failure ({time.monotonic() - start:.0f} s)", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
