"""The ``token`` and ``predict`` commands' processes load none of the modules whose start-up cost was
removed.

``benchmarks/bench_token.py`` and ``bench_authn.py`` measure the time; this test keeps the import
graph from growing back (a dataclass, argparse or pathlib slipped into a shared module would cost
milliseconds again).
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
    # Python 3.11's datetime.py runs its pure-Python implementation first (oidc_doctor.dates)
    *(("datetime",) if sys.version_info < (3, 12) else ()),
)

#: What ``predict`` with flags, ``--jwks`` and JSON output does without: it derives the API server's
#: facts and writes no finding (bench_authn.py: 1.58 -> 1.52 of the cryptography-only verifier).
PREDICT_REMOVED = (
    *REMOVED,
    "oidc_doctor.pipeline",  # the checks' runner and ranking (derive_all is in oidc_doctor.derive)
    "oidc_doctor.causes",  # the cause catalogue: loaded by the first Finding
    "oidc_doctor.checks.authn",  # the findings; the deriver is checks.authn_facts
    "oidc_doctor.checks.token",
    "oidc_doctor.secrets",  # the masking policy: no finding, no free text to mask
    "oidc_doctor.commands.predict_view",  # the text and Markdown views
    "zlib",  # only a k3s log read for its flags may be a corrupt gzip
    "unicodedata",  # Go's %q of ASCII text needs no Unicode table
    "encodings.utf_8_sig",  # a UTF-8 byte-order mark is cut by hand
)

#: What ``logs`` on a plain log file does without: the bundle reader (with PyYAML and orjson) is for a
#: cloud's log export only, the log records are light (no ``dataclasses``), and no thread is started.
LOGS_REMOVED = (
    *(m for m in REMOVED if m not in ("pathlib", "urllib.parse")),  # the log readers take Paths
    "oidc_doctor.bundle",
    "yaml",
    "orjson",
    "threading",
)

CHILD = """
import json, sys
from oidc_doctor.cli import main
status = main(sys.argv[1:])
sys.stderr.write(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _token_and_jwks(tmp_path: Path) -> tuple[Path, Path]:
    """An RS256 token (``token.txt``, with a UTF-8 byte-order mark as PowerShell writes it) and its JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "k", "n": _b64(pub.n.to_bytes(256, "big")), "e": _b64(pub.e.to_bytes(3, "big"))}
    claims = {"iss": "https://idp.example", "sub": "alice", "aud": "kubernetes", "iat": 1700000000, "exp": 4102444800}
    signing_input = _b64(json.dumps({"alg": "RS256", "kid": "k"}).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    (tmp_path / "token.txt").write_bytes(f"\ufeff{signing_input}.{_b64(signature)}\n".encode())
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    return tmp_path / "token.txt", tmp_path / "jwks.json"


def _run(argv: list[str]) -> tuple[int, str, list[str]]:
    """Exit status, standard output and the modules loaded of one command in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    done = subprocess.run(
        [sys.executable, "-S", "-c", CHILD, *argv], capture_output=True, text=True, env=env, check=False, timeout=60
    )
    result = json.loads(done.stderr)
    return result["status"], done.stdout, result["modules"]


def test_a_verified_token_loads_none_of_the_removed_modules(tmp_path: Path) -> None:
    token, jwks = _token_and_jwks(tmp_path)
    status, out, modules = _run(["token", f"@{token}", "--jwks", str(jwks), "--format", "json"])
    assert status == 0, out
    assert json.loads(out)["signature"]["status"] == "valid"
    assert [m for m in REMOVED if m in modules] == []
    assert "oidc_doctor.commands.token" in modules


def test_a_prediction_from_flags_loads_neither_the_checks_nor_the_catalogue(tmp_path: Path) -> None:
    token, jwks = _token_and_jwks(tmp_path)
    flags = ["--apiserver-arg=--oidc-issuer-url=https://idp.example", "--apiserver-arg=--oidc-client-id=kubernetes"]
    argv = ["predict", "--token", f"@{token}", "--jwks", str(jwks), *flags, "--format", "json"]
    status, out, modules = _run([*argv, "--now", "2026-11-28T10:25:12Z"])
    assert status == 0, out
    doc = json.loads(out)
    assert doc["authenticated"] is True and doc["user"]["username"] == "https://idp.example#alice"
    assert [m for m in PREDICT_REMOVED if m in modules] == []
    assert {"oidc_doctor.derive", "oidc_doctor.checks.authn_facts", "oidc_doctor.authn.verify"} <= set(modules)


def test_a_plain_log_loads_neither_the_bundle_reader_nor_dataclasses(tmp_path: Path) -> None:
    log = tmp_path / "kube-apiserver.log"
    log.write_text(
        'E1128 10:25:12.000000       1 authentication.go:73] "Unable to authenticate the request" '
        'err="[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: '
        '2026-11-28 10:20:00 +0000 UTC)]"\n'
    )
    status, out, modules = _run(["logs", str(log), "--format", "json"])
    assert status == 1, out  # a failure was found
    assert json.loads(out)["auth_failures"] == 1
    assert [m for m in LOGS_REMOVED if m in modules] == []
    assert "oidc_doctor.logs.scan" in modules
