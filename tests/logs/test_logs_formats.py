"""Timestamps and prefixes of every log format, and Go unquoting."""

from __future__ import annotations

from datetime import UTC, datetime

from oidc_doctor.logs.formats import go_unquote_at, infer_year, line_time, strip_prefix

REF = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_klog_time_takes_the_year_from_the_reference() -> None:
    t = line_time(b"E0722 11:41:09.420668       1 authentication.go:53] x", REF)
    assert t == datetime(2026, 7, 22, 11, 41, 9, 420668, tzinfo=UTC)


def test_december_klog_line_read_in_january_belongs_to_the_year_before() -> None:
    ref = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    t = line_time(b"E1231 23:59:58.000000       1 a.go:1] x", ref)
    assert t == datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC)
    assert infer_year(1, 1, ref) == 2027


def test_february_29_without_a_year_lands_in_a_leap_year() -> None:
    t = line_time(b"E0229 12:00:00.000000       1 a.go:1] x", datetime(2026, 3, 1, tzinfo=UTC))
    assert t is not None and (t.year, t.month, t.day) == (2024, 2, 29)


def test_kubectl_timestamps_prefix_gives_the_full_time_and_is_stripped() -> None:
    line = b"2022-07-22T11:41:09.420668123Z E0722 11:41:09.420668       1 authentication.go:53] msg"
    body, full, _ = strip_prefix(line)
    assert body.startswith(b"E0722 ")
    assert full == datetime(2022, 7, 22, 11, 41, 9, 420668, tzinfo=UTC)
    assert line_time(line, REF) == full  # the prefix's year wins over the reference's


def test_cri_log_file_prefix_is_stripped() -> None:
    line = b"2022-05-26T11:46:11.200645694Z stderr F E0526 11:46:11.200494       1 authentication.go:63] m"
    body, full, _ = strip_prefix(line)
    assert body.startswith(b"E0526 ")
    assert full == datetime(2022, 5, 26, 11, 46, 11, 200645, tzinfo=UTC)


def test_journald_short_prefix_uses_the_klog_time_inside() -> None:
    line = b"Jul 22 11:41:09 node1 k3s[1234]: E0722 11:41:09.420668    1234 authentication.go:63] m"
    body, full, yearless = strip_prefix(line)
    assert body.startswith(b"E0722") and full is None and yearless == (7, 22, "11:41:09")
    assert line_time(line, REF) == datetime(2026, 7, 22, 11, 41, 9, 420668, tzinfo=UTC)


def test_journald_short_iso_prefix() -> None:
    line = b"2022-07-22T13:41:09+0200 node1 k3s[1234]: plain message"
    assert line_time(line, REF) == datetime(2022, 7, 22, 11, 41, 9, tzinfo=UTC)


def test_json_log_ts_is_unix_seconds() -> None:
    line = b'{"ts":1658490069.420668,"caller":"filters/authentication.go:76","msg":"x","v":0}'
    t = line_time(line, None)
    assert t is not None and t.replace(microsecond=0) == datetime(2022, 7, 22, 11, 41, 9, tzinfo=UTC)


def test_oauth2_proxy_standard_and_auth_log_times() -> None:
    std = b"[2020/10/14 15:50:02] [oauthproxy.go:123] Cookie settings: refresh:disabled"
    auth = b"10.42.0.0:33470 - 1f2e - bob@example.com [2020/10/14 15:50:03] [AuthSuccess] ok"
    assert line_time(std, None) == datetime(2020, 10, 14, 15, 50, 2, tzinfo=UTC)
    assert line_time(auth, None) == datetime(2020, 10, 14, 15, 50, 3, tzinfo=UTC)


def test_nginx_error_and_access_log_times() -> None:
    err = b"2020/10/14 15:50:02 [error] 38#38: *1 upstream sent too big header while reading response"
    acc = b'10.0.0.1 - - [14/Oct/2020:17:50:02 +0200] "GET /oauth2/callback HTTP/1.1" 502 150'
    assert line_time(err, None) == datetime(2020, 10, 14, 15, 50, 2, tzinfo=UTC)
    assert line_time(acc, None) == datetime(2020, 10, 14, 15, 50, 2, tzinfo=UTC)


def test_line_without_time_gives_none() -> None:
    assert line_time(b"just some words", REF) is None
    assert line_time(b"", REF) is None


def test_go_unquote_undoes_strconv_quote() -> None:
    text = 'err="a \\"q\\" \\\\ \\n \\u00e9 \\x41 end" rest'
    value, end = go_unquote_at(text, text.index('"'))
    assert value == 'a "q" \\ \n é A end'
    assert text[end:] == " rest"


def test_go_unquote_of_a_cut_line_returns_what_is_there() -> None:
    value, end = go_unquote_at('err="[invalid bearer token, oidc: em', 4)
    assert value == "[invalid bearer token, oidc: em"
    assert end == len('err="[invalid bearer token, oidc: em')


def test_oauth2_proxy_v5_time() -> None:
    line = b"2019/03/27 12:00:00 oauthproxy.go:210: Cookie settings: refresh:disabled"
    assert line_time(line, None) == datetime(2019, 3, 27, 12, 0, tzinfo=UTC)
