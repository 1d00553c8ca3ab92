"""Whole-process time of ``oidc-doctor predict`` (flags, and a CEL AuthenticationConfiguration).

Compared in the same run, alternating, with two baselines: ``python -c pass`` and a Python
process that verifies the same RS256 token with ``cryptography`` alone (the floor of any Python
verifier). Prints the medians and the ratios predict/baseline.

The tool runs from a regular install of the current code (``bench_token.installed_python``),
as users run it. Run: ``.venv/bin/python benchmarks/bench_authn.py [--runs 21]``. Test data (a key, a token, a
JWKS, an AuthenticationConfiguration with CEL) is generated in ``benchmarks/data/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "authn"
#: The processes may write bytecode, as an installation compiles it: with PYTHONDONTWRITEBYTECODE
#: set (some machines do) every run would compile every module again.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

BASELINE = r"""
import base64, json, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
tok = open(sys.argv[1]).read().strip()
jwk = json.load(open(sys.argv[2]))["keys"][0]
d = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
n, e = (int.from_bytes(d(jwk[k]), "big") for k in ("n", "e"))
h, p, s = tok.split(".")
rsa.RSAPublicNumbers(e, n).public_key().verify(d(s), f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
json.loads(d(p))
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_data() -> None:
    """A key, an RS256 token, its JWKS and a CEL AuthenticationConfiguration."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    DATA.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    num = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "kid": "k1", "n": _b64(num.n.to_bytes(256, "big")), "e": _b64(b"\x01\x00\x01")}]}
    claims = {
        "iss": "https://idp.example.com",
        "aud": "kubernetes",
        "sub": "u1",
        "email": "a@example.com",
        "email_verified": True,
        "groups": ["dev"],
        "exp": 4102444800,
    }
    signing_input = _b64(json.dumps({"alg": "RS256", "kid": "k1"}).encode()) + "." + _b64(json.dumps(claims).encode())
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    (DATA / "token.jwt").write_text(signing_input + "." + _b64(sig))
    (DATA / "jwks.json").write_text(json.dumps(jwks))
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": "https://idp.example.com", "audiences": ["kubernetes"]},
                "claimValidationRules": [{"expression": "claims.email_verified == true", "message": "verify"}],
                "claimMappings": {
                    "username": {"expression": "'oidc:' + claims.email"},
                    "groups": {"expression": "claims.?groups.orValue([]).map(g, 'oidc:' + g)"},
                },
                "userValidationRules": [{"expression": "!user.username.startsWith('system:')"}],
            }
        ],
    }
    (DATA / "auth-config.json").write_text(json.dumps(config))


def main() -> int:
    """Alternate the commands ``--runs`` times and print medians and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    make_data()
    # Every process runs the interpreter of a regular install, as users get it (bench_token's
    # venv): the development venv's editable install adds an import finder of about 8 ms to every
    # start, the baselines' included.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_token import installed_python

    py = str(installed_python())
    tool = str(Path(py).with_name("oidc-doctor"))  # the console script users run
    tok, jwks = str(DATA / "token.jwt"), str(DATA / "jwks.json")
    common = ["--token", f"@{tok}", "--jwks", jwks, "--format", "json", "--now", "2026-11-28T10:25:12Z"]
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "cryptography verify (baseline)": [py, "-c", BASELINE, tok, jwks],
        "predict, legacy flags": [
            tool,
            "predict",
            *common,
            "--apiserver-arg=--oidc-issuer-url=https://idp.example.com",
            "--apiserver-arg=--oidc-client-id=kubernetes",
        ],
        "predict, CEL config": [
            tool,
            "predict",
            *common,
            "--auth-config",
            str(DATA / "auth-config.json"),
        ],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    peak: dict[str, float] = dict.fromkeys(commands, 0.0)
    for cmd in commands.values():  # write the bytecode caches once, as an installation does
        subprocess.run(cmd, capture_output=True, check=False, env=ENV)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            t = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
            assert p.stderr is not None
            err = p.stderr.read()
            _, status, usage = os.wait4(p.pid, 0)
            times[name].append((time.perf_counter() - t) * 1000)
            peak[name] = max(peak[name], usage.ru_maxrss / 1024)
            if os.waitstatus_to_exitcode(status) != 0:
                print(f"{name} failed: {err.decode()[:300]}", file=sys.stderr)
                return 1
    base = statistics.median(times["cryptography verify (baseline)"])
    load = os.getloadavg()
    print(f"runs: {args.runs} each, alternating; load {load[0]:.2f} {load[1]:.2f}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:34s} median {m:7.1f} ms   ratio to baseline {m / base:4.2f}   peak RSS {peak[name]:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
