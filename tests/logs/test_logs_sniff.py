"""Log files are recognised from their content (for the bundle reader)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from oidc_doctor.logs.formats import line_time
from oidc_doctor.logs.sniff import sniff_log

KLOG = (
    b'I1128 10:00:00.000000       1 httplog.go:132] "HTTP" verb="GET" URI="/api" resp=200\n'
    b'E1128 10:00:01.000000       1 authentication.go:76] "Unable to authenticate the request" '
    b'err="invalid bearer token"\n'
)


def test_klog_text_is_an_apiserver_log() -> None:
    assert sniff_log(KLOG) == "apiserver-log"


def test_json_logs_are_an_apiserver_log() -> None:
    head = b'{"ts":1690137132.1,"caller":"x.go:1","msg":"Unable to authenticate the request","err":"x"}\n'
    assert sniff_log(head * 3) == "apiserver-log"


def test_journald_k3s_lines_are_an_apiserver_log() -> None:
    head = b'Jul 22 11:41:09 node1 k3s[1234]: time="2022-07-22T11:41:09Z" level=info msg="Starting k3s"\n'
    assert sniff_log(head * 2) == "apiserver-log"


def test_kubectl_timestamped_klog_is_an_apiserver_log() -> None:
    head = b"2022-07-22T11:41:09.420668123Z " + KLOG.splitlines(keepends=True)[0]
    assert sniff_log(head) == "apiserver-log"


def test_oauth2_proxy_logs_are_a_proxy_log() -> None:
    head = (
        b'[2020/10/14 15:50:00] [proxy.go:89] mapping path "/" => upstream "http://localhost:8080/"\n'
        b"[2020/10/14 15:50:00] [oauthproxy.go:157] OAuthProxy configured for OpenID Connect Client ID: k\n"
        b"10.42.0.0:33470 - 5a1 - bob@example.com [2020/10/14 15:50:02] [AuthSuccess] Authenticated\n"
    )
    assert sniff_log(head) == "proxy-log"


def test_nginx_error_and_access_logs_are_an_ingress_log() -> None:
    head = (
        b"2020/10/14 15:50:02 [error] 38#38: *1 upstream sent too big header while reading response header\n"
        b'10.0.0.1 - - [14/Oct/2020:15:50:02 +0000] "GET /oauth2/callback HTTP/1.1" 502 150 "-" "curl"\n'
    )
    assert sniff_log(head) == "ingress-log"


def test_ingress_nginx_controller_mixing_klog_and_access_lines_is_an_ingress_log() -> None:
    head = (
        b'I1128 10:00:00.000000       7 controller.go:190] "Configuration changes detected"\n'
        + b'10.0.0.1 - - [28/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 15 "-" "curl"\n' * 3
    )
    assert sniff_log(head) == "ingress-log"


def test_gzip_head_is_decompressed() -> None:
    raw = gzip.compress(KLOG * 50)
    assert sniff_log(raw[:200]) == "apiserver-log"


def test_yaml_jwt_prose_and_binary_are_not_logs() -> None:
    assert sniff_log(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n") is None
    assert sniff_log(b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\n") is None
    assert sniff_log(b"The login fails every five minutes, please help.\n") is None
    assert sniff_log(b"\x00\x01\x02\x03" * 100) is None
    assert sniff_log(b"") is None


def test_a_single_pasted_failure_line_is_an_apiserver_log() -> None:
    line = b'"Unable to authenticate the request" err="[invalid bearer token, oidc: email not verified]"'
    assert sniff_log(line) == "apiserver-log"


def test_oauth2_proxy_v5_lines_with_gos_default_logger_are_a_proxy_log() -> None:
    head = (
        b"2019/03/27 12:00:00 oauthproxy.go:200: OAuthProxy configured for OpenID Connect Client ID: k\n"
        b"2019/03/27 12:00:00 oauthproxy.go:210: Cookie settings: name:_oauth2_proxy secure(https):true "
        b"httponly:true expiry:168h0m0s domain: path:/ refresh:disabled\n"
    )
    assert sniff_log(head) == "proxy-log"


@given(st.binary(max_size=2000))
def test_sniff_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    assert sniff_log(data) in (None, "apiserver-log", "proxy-log", "ingress-log")
    assert sniff_log(b"\x1f\x8b" + data) in (None, "apiserver-log", "proxy-log", "ingress-log")


@given(st.text(max_size=500))
def test_time_parsing_never_crashes_on_arbitrary_text(text: str) -> None:
    line_time(text.encode(), None)
    line_time(b"E" + text.encode(), datetime(2026, 1, 1, tzinfo=UTC))


def test_a_timestamp_message_json_log_is_a_log_even_on_one_line(tmp_path: Path) -> None:
    # Pinniped's Concierge (kubernetes-sigs style JSON: "timestamp"/"message"), pinniped#2089.
    line = (
        '{"level":"info","timestamp":"2024-11-04T19:27:15.786298Z","message":"Trace[1]: failure '
        'msg:oidc: verify token: oidc: expected audience \\"a\\" got [\\"b\\"]"}\n'
    )
    assert sniff_log(line.encode()) == "apiserver-log"
    from oidc_doctor.bundle import read_bundle

    (tmp_path / "concierge.log").write_text(line)
    ev = read_bundle(tmp_path)
    assert [i.kind for i in ev.inputs] == ["apiserver-log"]
