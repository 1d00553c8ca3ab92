"""The ``token`` command's process loads none of the modules whose start-up cost was removed.

``benchmarks/bench_token.py`` measures the time; this test keeps the import graph from growing back
(a dataclass, argparse or pathlib slipped into a shared module would cost milliseconds again).
The child runs without ``site`` so the editable install's import finder (which itself imports
pathlib) stays out of the picture.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[2]

#: Modules the token command no longer needs, with what each cost.
REMOVED = (
    "dataclasses",  # pulls inspect, ast, dis, tokenize; class creation compiles code
    "inspect",
    # argparse (with gettext and locale) is used since the hand-written fast reader went (issue 9:
    # ~3 ms, not worth a second parser); its stock help formatter's shutil (bz2, lzma) stays out
    "shutil",
    "pathlib",  # with urllib.parse and ipaddress
    "urllib.parse",
    "hashlib",  # the fingerprint uses cryptography, loaded anyway
)

CHILD = """
import json, sys
from oidc_doctor.cli import main
status = main(sys.argv[1:])
sys.stderr.write(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_verified_token_loads_none_of_the_removed_modules(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "k", "n": _b64(pub.n.to_bytes(256, "big")), "e": _b64(pub.e.to_bytes(3, "big"))}
    claims = {"iss": "https://idp.example", "sub": "alice", "aud": "kubernetes", "iat": 1700000000, "exp": 4102444800}
    signing_input = _b64(json.dumps({"alg": "RS256", "kid": "k"}).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    (tmp_path / "token.txt").write_text(f"{signing_input}.{_b64(signature)}\n")
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    argv = ["token", f"@{tmp_path / 'token.txt'}", "--jwks", str(tmp_path / "jwks.json"), "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-S", "-c", CHILD, *argv], capture_output=True, text=True, env=env, check=False, timeout=60
    )
    result = json.loads(done.stderr)
    assert result["status"] == 0, done.stderr
    assert json.loads(done.stdout)["signature"]["status"] == "valid"
    assert [m for m in REMOVED if m in result["modules"]] == []
    assert "oidc_doctor.commands.token" in result["modules"]
