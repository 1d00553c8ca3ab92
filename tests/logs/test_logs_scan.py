"""The streaming scanner: counts, windows by bisection, midnight, unsorted files, gzip,
line numbers, tracing ``authenticator not initialized`` to its start-up line, parallel parts."""

from __future__ import annotations

import gc
import gzip
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from logtext import failure, filler, klog

from oidc_doctor.logs import files, latest_timestamp, scan
from oidc_doctor.logs.scan import scan_files
from oidc_doctor.logs.summary import MAX_UNKNOWN

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
EXPIRED = (
    "[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: 2026-11-28 07:00:00 +0000 UTC)]"
)
AUDIENCE = '[invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" got ["kubeapps"]]'
NOT_INIT = "[invalid bearer token, oidc: authenticator not initialized]"
CA_LINE = (
    'oidc authenticator: initializing plugin: Get "https://idp.example.com/.well-known/openid-'
    'configuration": tls: failed to verify certificate: x509: certificate signed by unknown authority'
)


def _sorted_log(path: Path, hours: int = 4, per_minute: int = 40) -> list[tuple[datetime, str]]:
    """A sorted apiserver log; a failure every 7 minutes alternating causes. Returns the failures."""
    failures: list[tuple[datetime, str]] = []
    lines: list[str] = []
    for minute in range(hours * 60):
        base = T0 + timedelta(minutes=minute)
        for k in range(per_minute):
            lines.append(filler(base + timedelta(seconds=k * 60 / per_minute), k))
        if minute % 7 == 3:
            t = base + timedelta(seconds=30, microseconds=123)
            err = EXPIRED if (minute // 7) % 2 else AUDIENCE
            lines.append(failure(t, err))
            failures.append((t, err))
    path.write_text("".join(lines))
    return failures


def test_whole_file_counts_every_failure_with_first_last_and_line_numbers(tmp_path: Path) -> None:
    log = tmp_path / "apiserver.log"
    fails = _sorted_log(log, hours=1)
    s = scan_files([(log, None)], ref=T0)
    assert s.auth_failures == len(fails)
    exp = s.by_cause["token-expired"]
    aud = s.by_cause["audience-mismatch"]
    assert exp.count + aud.count == len(fails)
    assert aud.first == fails[0][0]
    assert aud.example is not None
    lines = log.read_text().splitlines()
    assert aud.example.line is not None
    assert "expected audience" in lines[aud.example.line - 1]
    assert aud.example.ref == f"{log}:{aud.example.line}"


def test_gzip_file_gives_the_same_summary_as_plain(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _sorted_log(log, hours=1)
    gz = tmp_path / "a.log.gz"
    gz.write_bytes(gzip.compress(log.read_bytes()))
    plain = scan_files([(log, None)], ref=T0).to_json()
    packed = scan_files([(gz, None)], ref=T0).to_json()
    assert plain["auth_failures"] == packed["auth_failures"]
    for code, entry in plain["by_cause"].items():
        assert packed["by_cause"][code]["count"] == entry["count"]
        assert packed["by_cause"][code]["ref"].rsplit(":", 1)[1] == entry["ref"].rsplit(":", 1)[1]


def test_window_is_found_by_bisection_and_keeps_only_nearby_lines(tmp_path: Path) -> None:
    log = tmp_path / "apiserver.log"
    fails = _sorted_log(log, hours=6)
    around = T0 + timedelta(hours=3, minutes=10)
    window = timedelta(minutes=10)
    s = scan_files([(log, None)], around=around, window=window, ref=T0)
    expected = [f for f in fails if around - window <= f[0] <= around + window]
    assert s.auth_failures == len(expected) > 0
    read = str(s.files[0]["read"])
    assert "bisected" in read
    start, end = (int(x) for x in read.split()[1].split("-"))
    assert end - start < log.stat().st_size / 4  # only a small part of the file was read


def test_unsorted_file_is_read_whole_and_still_windowed(tmp_path: Path) -> None:
    log = tmp_path / "rotated.log"
    fails = _sorted_log(log, hours=4)
    lines = log.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    log.write_text("".join(lines[half:] + lines[:half]))  # "cat current older"
    around = T0 + timedelta(hours=1)
    window = timedelta(minutes=15)
    s = scan_files([(log, None)], around=around, window=window, ref=T0)
    expected = [f for f in fails if around - window <= f[0] <= around + window]
    assert s.auth_failures == len(expected) > 0
    assert "not in order" in str(s.files[0]["read"])


def test_window_across_midnight_new_year_takes_lines_from_both_days(tmp_path: Path) -> None:
    log = tmp_path / "newyear.log"
    start = datetime(2026, 12, 31, 23, 50, tzinfo=UTC)
    lines = []
    for i in range(20 * 60):
        t = start + timedelta(seconds=i)
        lines.append(filler(t, i))
        if i % 60 == 0:
            lines.append(failure(t, EXPIRED))
    log.write_text("".join(lines))
    around = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    s = scan_files([(log, None)], around=around, window=timedelta(minutes=3), ref=around)
    st = s.by_cause["token-expired"]
    assert st.first == datetime(2026, 12, 31, 23, 57, tzinfo=UTC)
    assert st.last == datetime(2027, 1, 1, 0, 3, tzinfo=UTC)
    assert s.auth_failures == 7


def test_not_initialized_in_the_window_is_traced_to_a_start_up_line_long_before(tmp_path: Path) -> None:
    log = tmp_path / "apiserver.log"
    lines = [klog(T0, CA_LINE, "E", "oidc.go:335")]
    t = T0
    for i in range(120_000):  # several MiB of ordinary traffic after the start-up line
        t = T0 + timedelta(milliseconds=100 * i)
        lines.append(filler(t, i))
        if i % 6000 == 5999:
            lines.append(failure(t, NOT_INIT))
    log.write_text("".join(lines))
    around = t - timedelta(minutes=2)
    s = scan_files([(log, None)], around=around, window=timedelta(minutes=5), ref=T0)
    assert "bisected" in str(s.files[0]["read"])
    st = s.by_cause["issuer-ca-untrusted"]
    assert st.requests == s.auth_failures > 0
    assert st.explained_by is not None
    assert st.explained_by.line == 1
    assert "x509" in st.explained_by.text


def test_not_initialized_follows_the_latest_start_up_line_before_it(tmp_path: Path) -> None:
    log = tmp_path / "apiserver.log"
    mismatch = (
        "oidc authenticator: initializing plugin: oidc: issuer did not match the issuer returned by "
        'provider, expected "https://idp.example.com" got "https://idp.example.com/"'
    )
    log.write_text(
        klog(T0, CA_LINE, "E", "oidc.go:335")
        + failure(T0 + timedelta(seconds=1), NOT_INIT)
        + klog(T0 + timedelta(seconds=10), mismatch, "E", "oidc.go:335")
        + failure(T0 + timedelta(seconds=11), NOT_INIT)
    )
    s = scan_files([(log, None)], ref=T0)
    assert s.by_cause["issuer-ca-untrusted"].requests == 1
    assert s.by_cause["discovery-issuer-mismatch"].requests == 1


def test_not_initialized_without_any_start_up_line_is_issuer_unreachable(tmp_path: Path) -> None:
    log = tmp_path / "apiserver.log"
    log.write_text(failure(T0, NOT_INIT))
    s = scan_files([(log, None)], ref=T0)
    assert s.by_cause["issuer-unreachable"].requests == 1
    assert s.by_cause["issuer-unreachable"].explained_by is None


def test_start_up_line_in_an_earlier_rotated_file_explains_a_later_file(tmp_path: Path) -> None:
    old, new = tmp_path / "apiserver.log.1", tmp_path / "apiserver.log"
    old.write_text(klog(T0, CA_LINE, "E", "oidc.go:335"))
    new.write_text(failure(T0 + timedelta(hours=2), NOT_INIT))
    s = scan_files([(old, None), (new, None)], ref=T0)
    st = s.by_cause["issuer-ca-untrusted"]
    assert st.requests == 1 and st.explained_by is not None and st.explained_by.file == str(old)


def test_tiny_buffer_gives_the_same_result_as_the_normal_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "a.log"
    _sorted_log(log, hours=1)
    with log.open("a") as f:
        f.write("x" * 5000 + "\n")  # a line longer than the buffer
        f.write(failure(T0 + timedelta(hours=2), EXPIRED).replace("\n", "\r\n"))
    normal = scan_files([(log, None)], ref=T0).to_json()
    monkeypatch.setattr(scan, "CHUNK", 1024)
    small = scan_files([(log, None)], ref=T0).to_json()
    assert small == normal


def test_parallel_parts_merge_to_the_single_process_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "a.log"
    _parallel_log(log)
    monkeypatch.setattr(scan, "PARALLEL_MIN", 64 << 10)
    monkeypatch.setenv("OIDC_DOCTOR_LOG_WORKERS", "1")
    single = scan_files([(log, None)], ref=T0).to_json()
    monkeypatch.delenv("OIDC_DOCTOR_LOG_WORKERS")
    monkeypatch.setattr(scan, "_workers", lambda nbytes: 3)
    gc.unfreeze()  # (an earlier test's loader may have frozen its documents)
    parallel = scan_files([(log, None)], ref=T0).to_json()
    assert parallel["files"][0].pop("workers") == 3
    assert parallel == single
    assert single["by_cause"]["issuer-ca-untrusted"]["requests"] == 20
    # The heap is frozen only while the children are forked (copy-on-write): the parent's objects
    # are the collector's again afterwards...
    assert gc.get_freeze_count() == 0
    # ...unless the process had frozen objects of its own (the loader's big documents): then they stay.
    gc.freeze()
    try:
        assert scan_files([(log, None)], ref=T0).to_json()["by_cause"] == single["by_cause"]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_unknown_lines_are_kept_as_is_and_bounded(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    lines = [failure(T0 + timedelta(seconds=i), f"[invalid bearer token, webhook: weird error {i}]") for i in range(60)]
    log.write_text("".join(lines))
    s = scan_files([(log, None)], ref=T0)
    assert s.auth_failures == 60
    assert len(s.unknown) == MAX_UNKNOWN
    assert s.unknown_dropped == 60 - MAX_UNKNOWN
    assert "webhook: weird error 0" in next(iter(s.unknown))


def test_latest_timestamp_reads_from_the_end(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    _sorted_log(log, hours=1)
    with log.open("a") as f:
        f.write("a trailing line without a time\n")
    last = latest_timestamp(log, 2026)
    assert last is not None and T0 + timedelta(minutes=59) <= last < T0 + timedelta(hours=1)
    gz = tmp_path / "a.log.gz"
    gz.write_bytes(gzip.compress(log.read_bytes()))
    assert latest_timestamp(gz, 2026) == last
    assert latest_timestamp(tmp_path / "missing.log") is None


def test_latest_timestamp_takes_the_year_from_the_file_time_without_a_hint(tmp_path: Path) -> None:
    import os

    log = tmp_path / "a.log"
    log.write_text(filler(datetime(2025, 12, 31, 23, 0, tzinfo=UTC)))
    mtime = datetime(2026, 1, 1, 1, 0, tzinfo=UTC).timestamp()
    os.utime(log, (mtime, mtime))
    assert latest_timestamp(log) == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


def test_every_wrapper_and_prefix_format_in_one_file(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    log.write_text(
        # kubectl logs --timestamps
        "2026-11-28T08:00:01.000000001Z "
        + failure(T0 + timedelta(seconds=1), EXPIRED)
        # journald (k3s)
        + "Nov 28 08:00:02 node1 k3s[1234]: "
        + failure(T0 + timedelta(seconds=2), AUDIENCE)
        # CRI file of /var/log/pods
        + "2026-11-28T08:00:03.000000000Z stderr F "
        + failure(T0 + timedelta(seconds=3), "invalid bearer token")
        # --logging-format=json
        + '{"ts":1795852804.5,"caller":"filters/authentication.go:76","msg":"Unable to authenticate the '
        'request","err":"[invalid bearer token, oidc: email not verified]"}\n'
        # <= 1.20
         + "E1128 08:00:05.000000       1 authentication.go:53] Unable to authenticate the request due to an "
        'error: [invalid bearer token, oidc: parse username claims "email": claim not present]\n'
    )
    s = scan_files([(log, None)], ref=T0)
    assert s.auth_failures == 5
    assert {c: st.first for c, st in s.by_cause.items()} == {
        "token-expired": T0 + timedelta(seconds=1),
        "audience-mismatch": T0 + timedelta(seconds=2),
        "issuer-mismatch": T0 + timedelta(seconds=3),
        "email-not-verified": datetime(2026, 11, 28, 8, 0, 4, 500000, tzinfo=UTC),
        "username-claim-missing": T0 + timedelta(seconds=5),
    }
    assert [st.example.line for st in s.by_cause.values() if st.example] == [1, 2, 3, 4, 5]


def test_masked_examples_never_hold_the_token(tmp_path: Path) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCJ9.c2lnbmF0dXJlLWJ5dGVzLTEyMzQ1Njc4"
    log = tmp_path / "a.log"
    log.write_text(
        failure(T0, f"[invalid bearer token, oidc: malformed jwt: bad token {token}]")
        + failure(T0, f"[invalid bearer token, webhook: token {token} refused]")
    )
    s = scan_files([(log, None)], ref=T0)
    shown = s.to_json()
    assert token not in str(shown)
    assert "<masked sha256:" in shown["unclassified"][0]["message"]
    assert "<masked sha256:" in shown["by_cause"]["token-malformed"]["example"]


def test_binary_junk_and_a_huge_failure_line_are_handled(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4000 + b"Unable to authenticate the request\x00\xff\n")
    s = scan_files([(junk, None)], ref=T0)
    assert s.auth_failures == 1
    huge = tmp_path / "huge.log"
    huge.write_text(failure(T0, "[invalid bearer token, webhook: " + "x" * 3_000_000 + "]"))
    s = scan_files([(huge, None)], ref=T0)
    (st,) = s.unknown.values()
    assert st.example is not None and len(st.example.raw) <= scan.MAX_KEPT
    assert len(st.example.text) <= 2000


def test_a_file_without_times_is_read_whole_for_a_window_and_has_no_latest_time(tmp_path: Path) -> None:
    log = tmp_path / "plain.log"
    log.write_text(
        ("no time here " * 10 + "\n") * 30_000 + 'x "Unable to authenticate the request" err="invalid bearer token"\n'
    )
    s = scan_files([(log, None)], around=T0, window=timedelta(minutes=5), ref=T0)
    assert "not in order" in str(s.files[0]["read"])
    assert s.auth_failures == 0 and s.untimed_skipped == 1  # no time: outside any window, but counted
    assert latest_timestamp(log, 2026) is None


def test_windows_powershell_utf16_log_is_transcoded(tmp_path: Path) -> None:
    # Windows PowerShell 5.1: `kubectl logs ... > apiserver.log` writes UTF-16 LE with a BOM.
    line = (
        'E1128 10:25:08.000000       1 authentication.go:73] "Unable to authenticate the request" '
        'err="[invalid bearer token, oidc: verify token: oidc: token is expired '
        '(Token Expiry: 2026-11-28 10:15:12 +0000 UTC)]"'
    )
    log = tmp_path / "apiserver.log"
    log.write_bytes(
        b"\xff\xfe" + ("I1128 10:00:00.000000       1 x.go:1] start\r\n" + line + "\r\n").encode("utf-16-le")
    )
    from oidc_doctor.logs.sniff import sniff_log

    assert sniff_log(log.read_bytes()) == "apiserver-log"
    with files.open_log(log) as f:
        assert f.read().splitlines()[1].decode().startswith("E1128 10:25:08")
    t = latest_timestamp(log, 2026)
    assert t is not None and (t.hour, t.minute, t.second) == (10, 25, 8)


def _parallel_log(path: Path) -> None:
    lines = [klog(T0, CA_LINE, "E", "oidc.go:335")]
    for i in range(20_000):
        t = T0 + timedelta(seconds=i)
        lines.append(filler(t, i))
        if i % 500 == 250:
            lines.append(failure(t, NOT_INIT if i % 1000 == 250 else EXPIRED))
        if i % 3000 == 2999:
            lines.append(failure(t, "[invalid bearer token, something nobody has seen]"))
    path.write_text("".join(lines))


def _scan_whole(path: Path, number: bool) -> tuple[dict[str, object], list[tuple[int, int | None]]]:
    from oidc_doctor.logs.summary import Summary

    whole, near = Summary(), Summary(start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=3))
    scan.scan_file(path, [whole, near], kind="apiserver-log", ref=T0, number=number)
    scan.number_lines(path, [*whole.examples(latest=True), *near.examples()])
    for s in (whole, near):
        s.finish()
    lines = sorted({(e.offset, e.line) for s in (whole, near) for e in s.examples(latest=True)})
    return {"whole": whole.to_json(), "near": near.to_json()}, lines


def _true_line(path: Path, offset: int) -> int:
    return path.read_bytes()[:offset].count(b"\n") + 1


def test_numbering_during_the_scan_matches_the_line_count_in_every_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "a.log"
    _parallel_log(log)
    monkeypatch.setattr(scan, "CHUNK", 4096)  # many chunks, marker lines near their edges
    _, afterwards = _scan_whole(log, number=False)
    assert all(line == _true_line(log, off) for off, line in afterwards if line is not None)
    serial = _scan_whole(log, number=True)
    # Every example is numbered, also those number_lines is not given (a pending cause's).
    assert all(line == _true_line(log, off) for off, line in serial[1])
    assert set(afterwards) - set(serial[1]) == {(off, None) for off, line in afterwards if line is None}
    monkeypatch.setattr(scan, "PARALLEL_MIN", 64 << 10)
    monkeypatch.setattr(scan, "_workers", lambda nbytes: 3)
    assert _scan_whole(log, number=True) == serial


def test_a_background_scan_gives_what_the_ordinary_scan_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "a.log"
    _parallel_log(log)
    ordinary = _scan_whole(log, number=True)
    monkeypatch.setattr(scan, "PREFETCH_MIN", 64 << 10)
    monkeypatch.setattr(scan, "_workers", lambda nbytes: 3)
    gc.unfreeze()  # (an earlier test's loader may have frozen its documents)
    assert scan.prefetch(log, "apiserver-log")
    assert gc.get_freeze_count() == 0  # frozen only while the children were forked
    assert not scan.prefetch(log, "apiserver-log")  # one scan per file
    taken: list[object] = []
    real_take = scan._take

    def take(path: Path, markers: tuple[bytes, ...]) -> list[scan.Hit] | None:
        hits = real_take(path, markers)
        taken.append(hits)
        return hits

    monkeypatch.setattr(scan, "_take", take)
    assert _scan_whole(log, number=True) == ordinary
    assert taken and isinstance(taken[0], list) and len(taken[0]) > 40  # the hits were used, not rescanned


def test_a_background_scan_is_not_used_for_a_changed_file_or_too_many_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "a.log"
    _parallel_log(log)
    monkeypatch.setattr(scan, "PREFETCH_MIN", 64 << 10)
    assert scan.prefetch(log, "apiserver-log")
    with log.open("a") as f:
        f.write(failure(T0 + timedelta(hours=9), EXPIRED))
    assert scan._take(log, scan.markers_for(log.stat().st_size, "apiserver-log")) is None
    assert scan.prefetch(log, "apiserver-log")
    monkeypatch.setattr(scan, "MAX_COLLECTED", 1000)  # only the children see it if set before: restart
    scan.discard_prefetches()
    assert scan.prefetch(log, "apiserver-log")
    assert scan._take(log, scan.markers_for(log.stat().st_size, "apiserver-log")) is None
    ordinary = _scan_whole(log, number=True)
    assert ordinary[0]["whole"]["auth_failures"] == 47  # type: ignore[index]  # 46, and the line added


def test_background_scans_nobody_takes_are_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    log = tmp_path / "a.log"
    _parallel_log(log)
    monkeypatch.setattr(scan, "PREFETCH_MIN", 64 << 10)
    assert scan.prefetch(log, "apiserver-log")
    (_, children) = next(iter(scan._JOBS.values()))
    scan.discard_prefetches()
    assert not scan._JOBS
    for pid, _ in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped


def test_no_temporary_file_means_no_background_scan_and_the_ordinary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    log = tmp_path / "a.log"
    _parallel_log(log)
    ordinary = _scan_whole(log, number=True)
    monkeypatch.setattr(scan, "PREFETCH_MIN", 64 << 10)

    def refuse() -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    assert not scan.prefetch(log, "apiserver-log")
    assert not scan._JOBS
    assert _scan_whole(log, number=True) == ordinary


def test_a_big_file_is_not_split_between_processes_while_another_thread_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    monkeypatch.delenv("OIDC_DOCTOR_LOG_WORKERS", raising=False)
    monkeypatch.setattr(scan, "_cpus", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    big = 4 * scan.PARALLEL_MIN
    assert scan._workers(big) == 4
    assert scan._workers(scan.PARALLEL_MIN - 1) == 1
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert scan._workers(big) == 1  # forking a threaded process can deadlock the child
    finally:
        stop.set()
        worker.join()
    assert scan._workers(big) == 4
