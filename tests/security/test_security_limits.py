"""Input limits that fail closed (issue 14): FIFOs, devices and sockets in a bundle are named and
never opened; deep folders, deep nesting, gzip bombs, big alias expansions and a hostile collect
manifest end in a skipped input or one line with exit 2 — never a hang, a RecursionError or a
MemoryError.

Commands that could hang on the old code run in a subprocess with a timeout, so a regression fails
instead of stopping the suite.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from sec_kit import EXAMPLES, run

from oidc_doctor.errors import InputError
from oidc_doctor.limits import MAX_FOLDER_DEPTH, MAX_NESTING, BoundedGzip, walk

NOW = ["--now", "2026-11-28T10:25:12Z"]


def healthy(root: Path, name: str = "b") -> Path:
    """A copy of the healthy example."""
    b = root / name
    shutil.copytree(EXAMPLES / "healthy", b)
    return b


def cli(argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, killed after ``timeout`` seconds (a hang fails the test)."""
    return subprocess.run([sys.executable, "-m", "oidc_doctor", *argv], capture_output=True, text=True, timeout=timeout)


def inputs_of(bundle: Path) -> list[dict[str, Any]]:
    """The ``inputs`` of ``diagnose --format json`` on ``bundle`` (in-process)."""
    status, out, err = run(["diagnose", "--bundle", str(bundle), "--format", "json", *NOW])
    assert status in (0, 1), err
    inputs: list[dict[str, Any]] = json.loads(out)["inputs"]
    return inputs


def one_line(status: int, err: str) -> None:
    """Exit 2 with one line naming a file, nothing internal."""
    assert status == 2, err
    assert "internal error" not in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("oidc-doctor: "), err


# --- file kinds ---------------------------------------------------------------------------------


def test_a_fifo_in_a_bundle_is_named_and_never_opened(tmp_path: Path) -> None:
    b = healthy(tmp_path)
    os.mkfifo(b / "pipe.yaml")
    for argv in (
        ["diagnose", "--bundle", str(b), "--format", "json", *NOW],
        ["rbac", "who", "--bundle", str(b), "--user", "x"],
    ):
        p = cli(argv)
        assert p.returncode in (0, 1), p.stderr
    assert {"ref": "b/pipe.yaml", "kind": "skipped", "objects": 0, "reason": "a FIFO (named pipe): not opened"} in (
        inputs_of(b)
    )


def test_devices_and_sockets_in_a_bundle_are_skipped_with_their_reason(tmp_path: Path) -> None:
    b = healthy(tmp_path)
    os.symlink("/dev/zero", b / "zero.yaml")
    os.symlink("/dev/null", b / "null.json")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(b / "s.sock"))
    try:
        reasons = {i["ref"]: i.get("reason") for i in inputs_of(b) if i["kind"] == "skipped"}
    finally:
        sock.close()
    assert reasons == {
        "b/zero.yaml": "a device: not opened",
        "b/null.json": "a device: not opened",
        "b/s.sock": "a socket: not opened",
    }


def test_a_link_leaving_the_bundle_is_named(tmp_path: Path) -> None:
    b = healthy(tmp_path)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("error: You must be logged in to the server (Unauthorized)\n")
    os.symlink(outside, b / "seen.txt")
    (rec,) = [i for i in inputs_of(b) if i["ref"] == "b/seen.txt"]
    assert f"a link to {outside}, outside the bundle" in rec["reason"]


def test_deep_folders_and_folder_links_are_walked_without_recursion(tmp_path: Path) -> None:
    b = healthy(tmp_path)
    deep = b
    for _ in range(1000):
        deep = deep / "d"
        deep.mkdir()  # one at a time: os.makedirs recurses
    (deep / "token.txt").write_text("x")
    os.symlink(b, b / "loop")
    files, skipped = walk(b)
    assert all("/d/" not in str(f) for f in files)
    reasons = {str(p.relative_to(b)).count("d/") for p, why in skipped if "folders deep" in why}
    assert reasons == {MAX_FOLDER_DEPTH}
    assert (b / "loop", "a link to a folder: not followed") in skipped
    status, _, err = run(["diagnose", "--bundle", str(b), *NOW])
    assert status in (0, 1), err
    (deep / "token.txt").unlink()
    while deep != b:  # bottom-up, so no later clean-up recurses 1000 levels
        deep.rmdir()
        deep = deep.parent


# --- nesting ------------------------------------------------------------------------------------


def _deep_json(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def _deep_list(levels: int) -> str:
    return "[" * levels + "]" * levels


def _deep_yaml(levels: int) -> str:
    return "".join("  " * i + "a:\n" for i in range(levels)) + "  " * levels + "b: 1\n"


@pytest.mark.parametrize(
    "text", [_deep_json(1000), _deep_list(1000), _deep_yaml(1000)], ids=["json-map", "json-list", "yaml"]
)
def test_1000_levels_fail_closed_in_every_reader(tmp_path: Path, text: str) -> None:
    f = tmp_path / "deep.json"
    f.write_text(text)
    b = healthy(tmp_path)
    shutil.copy(f, b / "deep.yaml")
    for argv in (
        ["diagnose", "--bundle", str(b), *NOW],
        ["proxy", "--bundle", str(b), *NOW],
        ["predict", "--bundle", str(b), "--offline", *NOW],
        ["rbac", "who", "--bundle", str(b), "--user", "alice"],
    ):
        status, _, err = run(argv)
        assert status in (0, 1), (argv, err)
    for slot in ("--auth-config", "--apiserver-manifest"):
        status, _, err = run(["predict", slot, str(f), *NOW])
        one_line(status, err)
        assert str(f) in err


def test_nesting_just_under_the_limit_is_read_without_crashing(tmp_path: Path) -> None:
    b = healthy(tmp_path)
    (b / "deep.json").write_text(_deep_json(MAX_NESTING - 5))
    (b / "deep.yaml").write_text(_deep_yaml(MAX_NESTING - 5))
    for argv in (["diagnose", "--bundle", str(b), "--format", f, *NOW] for f in ("text", "json", "html")):
        status, _, err = run(argv)
        assert status in (0, 1), (argv, err)


def test_a_token_claim_nested_500_deep_is_no_internal_error(tmp_path: Path) -> None:
    def b64(d: bytes) -> str:
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()

    claims = {"iss": "https://keycloak.example.com/realms/k8s", "sub": "a", "aud": "kubernetes"}
    claims["deep"] = json.loads(_deep_json(500))
    claims["deeplist"] = json.loads(_deep_list(500))
    header = b64(b'{"alg": "RS256"}')
    token = f"{header}.{b64(json.dumps(claims).encode())}.{b64(b'x' * 256)}"
    src = tmp_path / "t.txt"
    src.write_text(token)
    b = healthy(tmp_path)
    (b / "id_token.txt").write_text(token)
    for argv in (
        ["token", f"@{src}", "--offline", *NOW],
        ["token", f"@{src}", "--offline", "--format", "json", *NOW],
        ["diagnose", "--bundle", str(b), "--format", "json", *NOW],
        ["diagnose", "--bundle", str(b), *NOW],
        ["predict", "--bundle", str(b), "--offline", *NOW],
        ["rbac", "who", "--bundle", str(b), "--token", f"@{src}", "--user", "a"],
    ):
        status, _, err = run(argv)
        assert "internal error" not in err and status in (0, 1, 2), (argv, err)


# --- gzip, aliases ------------------------------------------------------------------------------


def _bomb(path: Path, inflated: int) -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    chunk = b"\0" * (1 << 20)
    with path.open("wb") as f:
        f.write(comp.compress(b"I1128 10:24:58.123456       1 x.go:1] start\n"))
        for _ in range(inflated >> 20):
            f.write(comp.compress(chunk))
        f.write(comp.flush())


def test_a_gzip_bomb_is_stopped_by_ratio(tmp_path: Path) -> None:
    f = tmp_path / "bomb.log.gz"
    _bomb(f, 80 << 20)
    assert f.stat().st_size < 200_000
    status, _, err = run(["logs", str(f)])
    one_line(status, err)
    assert "gzip bomb" in err and str(f) in err
    b = healthy(tmp_path)
    shutil.copy(f, b / "kube-apiserver.log.gz")
    status, _, err = run(["diagnose", "--bundle", str(b), *NOW])
    assert status in (0, 1), err


def test_bounded_gzip_caps_the_inflated_size_and_reads_honest_logs(tmp_path: Path) -> None:
    f = tmp_path / "x.gz"
    f.write_bytes(gzip.compress(os.urandom(1 << 16) * 8))  # 512 KiB, compresses 8x: not a bomb by ratio
    with BoundedGzip(f, max_inflated=1 << 20, floor=1 << 10) as g:
        assert len(g.read()) == 1 << 19
    with BoundedGzip(f, max_inflated=1 << 18, floor=1 << 10) as g, pytest.raises(InputError, match="inflates"):
        while g.read(1 << 14):
            pass


def test_aliases_of_a_big_scalar_are_no_memory_bomb(tmp_path: Path) -> None:
    b = healthy(tmp_path)
    (b / "big.yaml").write_text('a: &a "' + "x" * (1 << 20) + '"\nb: [' + ",".join(["*a"] * 2000) + "]\n")
    p = cli(["diagnose", "--bundle", str(b), *NOW], timeout=20)
    assert p.returncode in (0, 1), p.stderr


# --- the collect manifest -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "sparse-3g", "notes-not-a-list", "fields-of-wrong-type"])
def test_a_hostile_collect_manifest_is_refused_unread(tmp_path: Path, kind: str) -> None:
    b = healthy(tmp_path)
    m = b / ".collect-manifest.json"
    if kind == "fifo":
        os.mkfifo(m)
    elif kind == "dev-zero":
        os.symlink("/dev/zero", m)
    elif kind == "sparse-3g":
        with m.open("wb") as f:
            f.truncate(3 << 30)
    elif kind == "notes-not-a-list":
        m.write_text('{"schema": "oidc-doctor/collect/v1", "notes": "x"}')
    else:
        m.write_text('{"schema": "oidc-doctor/collect/v1", "notes": [{"area": [1], "what": {"a": 1}, "blind": 1}]}')
    p = cli(["diagnose", "--bundle", str(b), "--format", "json", *NOW], timeout=20)
    assert p.returncode in (0, 1), p.stderr
    recs = [i for i in json.loads(p.stdout)["inputs"] if "collect-manifest" in i["ref"] or i["ref"].startswith("live")]
    if kind == "fields-of-wrong-type":
        assert recs == []
    else:
        assert len(recs) == 1 and recs[0]["kind"] in ("skipped", "broken"), recs


def test_a_bomb_of_empty_lines_after_real_ones_leaves_the_logs_check_unknown(tmp_path: Path) -> None:
    line = (
        b'E1128 10:24:58.123456       1 authentication.go:73] "Unable to authenticate the request" '
        b'err="invalid bearer token, oidc: verify token: oidc: token is expired"\n'
    )
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    b = healthy(tmp_path)
    with (b / "kube-apiserver.log.gz").open("wb") as f:
        f.write(comp.compress(line * 300))
        for _ in range(80):  # 80 MiB of newlines: 80 million lines for a line-by-line reader
            f.write(comp.compress(b"\n" * (1 << 20)))
        f.write(comp.flush())
    p = cli(["diagnose", "--bundle", str(b), "--format", "json"], timeout=30)
    assert p.returncode in (0, 1), p.stderr
    (check,) = [c for c in json.loads(p.stdout)["checks"] if c["id"] == "logs.apiserver"]
    assert check["status"] == "unknown" and "gzip bomb" in check["reason"]


def _corrupt_late(payload: bytes) -> bytes:
    """gzip of ``payload`` whose head inflates fine but whose later deflate blocks are corrupt."""
    data = bytearray(gzip.compress(payload, compresslevel=1))
    for i in range(len(data) * 2 // 3, len(data) * 2 // 3 + 64):
        data[i] ^= 0x5A
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "line"),
    [
        # found by `make fuzz`: zlib.error escaped the readers as "internal error"
        (
            "apiserver.log.gz",
            (
                'E1128 10:25:01.000000       1 authentication.go:73] "Unable to authenticate the request" '
                'err="invalid bearer token"\n'
            ),
        ),
        (
            "audit.log.gz",
            '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","requestURI":"/api","verb":"get","user":{},"responseStatus":{"code":401}}\n',
        ),
        (
            "metrics.txt.gz",
            (
                "apiserver_authentication_jwt_authenticator_latency_seconds_count"
                '{jwt_issuer_hash="sha256:00",result="error"} 1\n'
            ),
        ),
    ],
)
def test_a_corrupt_gzip_in_a_bundle_is_one_line_never_internal_error(tmp_path: Path, name: str, line: str) -> None:
    import random

    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", bundle)
    rng = random.Random(7)
    noise = "".join(f"# {rng.random()}\n" for _ in range(4000))
    (bundle / name).write_bytes(_corrupt_late((line * 50 + noise + line * 50).encode()))
    status, _out, err = run(["diagnose", "--bundle", str(bundle), "--now", "2026-11-28T10:25:12Z", "--format", "json"])
    assert status in (0, 1, 2), err
    assert "internal error" not in err
