"""``oidc-doctor logs`` end to end, in-process."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from logtext import failure, filler, klog

from oidc_doctor.cli import main
from oidc_doctor.io import IO

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCIsInN1YiI6ImFsaWNlIn0.c2lnbmF0dXJlLWJ5dGVz"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["logs", *argv], IO(stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "apiserver.log"
    lines = []
    for i in range(600):
        t = T0 + timedelta(seconds=i)
        lines.append(filler(t, i))
        if i % 100 == 0:
            lines.append(failure(t, "[invalid bearer token, oidc: email not verified]"))
    lines.append(failure(T0 + timedelta(minutes=9), "invalid bearer token"))
    lines.append(
        klog(T0 + timedelta(minutes=9), f"debug: Authorization: Bearer {TOKEN} rejected, invalid bearer token")
    )
    log.write_text("".join(lines))
    return log


def test_json_has_auth_failures_and_by_cause_with_count_first_last_example(tmp_path: Path) -> None:
    status, out, _ = _run(str(_log(tmp_path)), "--format", "json")
    doc = json.loads(out)
    assert status == 1
    assert doc["auth_failures"] == 7
    email = doc["by_cause"]["email-not-verified"]
    assert email["count"] == 6
    assert email["first"] == "2026-11-28T10:00:00Z"
    assert email["last"] == "2026-11-28T10:08:20Z"
    assert "oidc: email not verified" in email["example"]
    assert email["ref"].endswith("apiserver.log:2")
    assert doc["by_cause"]["issuer-mismatch"]["count"] == 2
    assert TOKEN not in out


def test_around_and_window_keep_only_the_lines_near_the_attempt(tmp_path: Path) -> None:
    status, out, _ = _run(
        str(_log(tmp_path)), "--around", "2026-11-28T10:09:00Z", "--window", "30s", "--format", "json"
    )
    doc = json.loads(out)
    assert status == 1
    assert doc["auth_failures"] == 1
    assert set(doc["by_cause"]) == {"issuer-mismatch"}
    assert doc["window"] == {"start": "2026-11-28T10:08:30Z", "end": "2026-11-28T10:09:30Z"}


def test_text_output_names_the_cause_the_file_line_and_the_fix_without_the_token(tmp_path: Path) -> None:
    status, out, _ = _run(str(_log(tmp_path)))
    assert status == 1
    assert "email-not-verified:" in out
    assert "issuer mismatch or OIDC not configured" in out
    assert "apiserver.log:2:" in out
    assert "fix: verify the email" in out
    assert TOKEN not in out


def test_clean_log_exits_zero(tmp_path: Path) -> None:
    log = tmp_path / "ok.log"
    log.write_text(filler(T0) * 3)
    status, out, _ = _run(str(log), "--format", "json")
    assert status == 0
    assert json.loads(out)["auth_failures"] == 0


def test_missing_file_and_bad_time_exit_two_with_one_line(tmp_path: Path) -> None:
    status, out, err = _run(str(tmp_path / "nope.log"))
    assert status == 2 and out == "" and "nope.log: no such file" in err
    log = tmp_path / "ok.log"
    log.write_text(filler(T0))
    status, _, err = _run(str(log), "--around", "yesterday")
    assert status == 2 and "--around" in err
    status, _, err = _run(str(log), "--around", "2026-11-28T10:00:00Z", "--window", "soon")
    assert status == 2 and "--window" in err


def test_corrupt_gzip_exits_two_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.log.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 10)
    status, _, err = _run(str(bad))
    assert status == 2
    assert "broken.log.gz" in err
    assert len(err.strip().splitlines()) == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_goes_to_stderr_only_on_a_terminal_for_big_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oidc_doctor.commands import logs as logs_command

    log = _log(tmp_path)
    monkeypatch.setattr(logs_command, "_PROGRESS_MIN", 1)
    out, err = io.StringIO(), _Terminal()
    assert main(["logs", str(log), "--format", "json"], IO(stdout=out, stderr=err, env={})) == 1
    assert "100.0%" in err.getvalue() and "apiserver.log" in err.getvalue()
    assert json.loads(out.getvalue())["auth_failures"] == 7
    piped = io.StringIO()
    assert main(["logs", str(log), "--format", "json"], IO(stdout=io.StringIO(), stderr=piped, env={})) == 1
    assert piped.getvalue() == ""


def test_standard_input_is_read_with_line_numbers(tmp_path: Path) -> None:
    text = _log(tmp_path).read_text()
    out = io.StringIO()
    status = main(["logs", "-", "--format", "json"], IO(stdin=io.StringIO(text), stdout=out, stderr=io.StringIO()))
    doc = json.loads(out.getvalue())
    assert status == 1
    assert doc["auth_failures"] == 7
    assert doc["by_cause"]["email-not-verified"]["ref"] == "-:2"
    expected = 1 + text.splitlines().index(next(ln for ln in text.splitlines() if 'err="invalid bearer token"' in ln))
    assert doc["by_cause"]["issuer-mismatch"]["ref"] == f"-:{expected}"
