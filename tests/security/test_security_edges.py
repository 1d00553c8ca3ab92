"""Dates and sizes at their limits, and output that cannot be written (issue 14): one line and exit
2, or a normal report — never an internal error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sec_kit import EXAMPLES, run

LOG = (
    'I0101 00:00:30.000000       1 x.go:1] "Unable to authenticate the request" err="invalid bearer token"\n'
    '{"ts":"0001-01-01T00:00:10Z","msg":"Unable to authenticate the request","err":"x"}\n'
    '{"ts":"9999-12-31T23:59:59Z","msg":"Unable to authenticate the request","err":"x"}\n'
    '{"ts":"99999-01-01T00:00:00Z","msg":"Unable to authenticate the request","err":"x"}\n'
    '{"ts":"-0005-01-01T00:00:00Z","msg":"Unable to authenticate the request","err":"x"}\n'
    '{"ts":1e300,"msg":"Unable to authenticate the request","err":"x"}\n'
)
EDGES = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00"]


def _no_internal_error(argv: list[str]) -> int:
    status, _, err = run(argv)
    assert "internal error" not in err and "Traceback" not in err, (argv, err)
    if status == 2:
        assert len(err.strip().splitlines()) == 1, err
    return status


@pytest.mark.parametrize("now", EDGES)
def test_now_at_the_calendars_limits(tmp_path: Path, now: str) -> None:
    b = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", b)
    (b / "kube-apiserver.log").write_text(LOG)
    for argv in (
        ["diagnose", "--bundle", str(b), "--now", now],
        ["diagnose", "--bundle", str(b), "--now", now, "--format", "json", "--token-lifetime", "36500d"],
        ["predict", "--bundle", str(b), "--offline", "--now", now],
        ["token", f"@{b / 'id_token.txt'}", "--offline", "--now", now],
        ["logs", str(b / "kube-apiserver.log"), "--around", now, "--window", "36500d"],
    ):
        assert _no_internal_error(argv) in (0, 1), argv


def test_log_lines_in_impossible_years_are_read_without_error(tmp_path: Path) -> None:
    f = tmp_path / "x.log"
    f.write_text(LOG)
    assert _no_internal_error(["logs", str(f)]) in (0, 1)
    assert _no_internal_error(["logs", str(f), "--format", "json"]) in (0, 1)
    b = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", b)
    shutil.copy(f, b / "kube-apiserver.log")
    assert _no_internal_error(["diagnose", "--bundle", str(b)]) in (0, 1)  # "now" from the newest line


@pytest.mark.parametrize("window", ["999999999999d", "99999999999999999999m", "100000000000", "1e400h"])
def test_a_huge_window_is_one_line(tmp_path: Path, window: str) -> None:
    f = tmp_path / "x.log"
    f.write_text(LOG)
    status, _, err = run(["logs", str(f), "--around", "2026-11-28T10:00:00Z", "--window", window])
    assert status == 2 and err.startswith("oidc-doctor: --window: ") and len(err.splitlines()) == 1, err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_disk_on_standard_output_is_one_line() -> None:
    with open("/dev/full", "w") as full:
        p = subprocess.run(
            [sys.executable, "-m", "oidc_doctor", "diagnose", "--bundle", str(EXAMPLES / "healthy")],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == ["oidc-doctor: output: cannot write: No space left on device"]


def test_a_closed_pipe_ends_quietly_with_exit_2() -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "oidc_doctor", "diagnose", "--bundle", str(EXAMPLES / "healthy"), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # the reader went away before anything was written
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 2
    assert "internal error" not in err and "Traceback" not in err
