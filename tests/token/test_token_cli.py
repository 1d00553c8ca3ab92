"""``oidc-doctor token`` in-process: every option, every exit status, and nothing secret printed."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from token_helpers import ISSUER, NOW_S, Run, claims, jwks, key, raw_jws, run_cli, sign

from oidc_doctor.cli import main
from oidc_doctor.io import IO

NOW_FLAG = ["--now", "2026-11-28T10:00:00Z"]


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    f = tmp_path / "jwks.json"
    f.write_text(json.dumps(jwks(key(), key("ES256"))))
    return f


def token_file(tmp_path: Path, token: str, name: str = "token.txt") -> str:
    f = tmp_path / name
    f.write_text(token + "\n")
    return f"@{f}"


def assert_secret_free(run: Run, token: str) -> None:
    for part in token.split("."):
        if len(part) > 8:
            assert part not in run.out and part not in run.err


def test_healthy_token_exits_0_with_valid_signature(tmp_path: Path, keys_file: Path) -> None:
    token = sign(claims())
    r = run_cli(["token", token_file(tmp_path, token), "--jwks", str(keys_file), "--format", "json", *NOW_FLAG])
    assert r.status == 0, r.err
    doc = r.json()
    assert doc["signature"]["status"] == "valid"
    assert doc["signature"]["kid"] == "rs256-test"
    assert re.fullmatch(r"sha256:[0-9a-f]{12}", doc["fingerprint"])
    assert doc["size"] == len(token)
    assert doc["header"]["alg"] == "RS256"
    assert doc["claims"]["sub"] == "alice"
    assert doc["times"]["exp"]["utc"] == "2026-11-28T10:04:00Z"
    assert doc["now_source"] == "flag"
    assert doc["findings"] == []
    assert {c["id"] for c in doc["checks"]} >= {"token.decode", "token.expiry", "token.signature"}
    assert_secret_free(r, token)


def test_expired_token_exits_1(tmp_path: Path, keys_file: Path) -> None:
    token = sign(claims(exp=NOW_S - 60))
    r = run_cli(["token", token_file(tmp_path, token), "--jwks", str(keys_file), "--format", "json", *NOW_FLAG])
    assert r.status == 1
    assert r.causes() == ["token-expired"]


def test_warning_only_exits_0(tmp_path: Path, keys_file: Path) -> None:
    token = sign(claims(email_verified=False))
    r = run_cli(["token", token_file(tmp_path, token), "--jwks", str(keys_file), "--format", "json", *NOW_FLAG])
    assert r.status == 0
    assert r.causes() == ["email-not-verified"]


def test_stdin_source(keys_file: Path) -> None:
    token = sign(claims())
    r = run_cli(["token", "-", "--jwks", str(keys_file), "--format", "json", *NOW_FLAG], stdin=f"Bearer {token}\n")
    assert r.status == 0 and r.json()["ref"] == "stdin"


def test_environment_variable_source(keys_file: Path) -> None:
    token = sign(claims())
    r = run_cli(["token", "--jwks", str(keys_file), "--format", "json", *NOW_FLAG], env={"OIDC_DOCTOR_TOKEN": token})
    assert r.status == 0 and r.json()["ref"] == "$OIDC_DOCTOR_TOKEN"


def test_raw_argument_warns_about_shell_history(keys_file: Path) -> None:
    token = sign(claims())
    r = run_cli(["token", token, "--jwks", str(keys_file), "--format", "json", *NOW_FLAG])
    assert r.status == 0
    assert "shell history" in r.err
    assert_secret_free(r, token)


def test_client_id_option_judges_the_audience(tmp_path: Path, keys_file: Path) -> None:
    src = token_file(tmp_path, sign(claims(aud="kubeapps")))
    r = run_cli(["token", src, "--jwks", str(keys_file), "--client-id", "kubernetes", "--format", "json", *NOW_FLAG])
    assert r.status == 1 and r.causes() == ["audience-mismatch"]
    ok = run_cli(["token", src, "--jwks", str(keys_file), "--client-id", "kubeapps", "--format", "json", *NOW_FLAG])
    assert ok.status == 0


def test_issuer_option_judges_iss(tmp_path: Path, keys_file: Path) -> None:
    src = token_file(tmp_path, sign(claims()))
    r = run_cli(["token", src, "--jwks", str(keys_file), "--issuer", ISSUER + "/", "--format", "json", *NOW_FLAG])
    assert r.status == 1 and r.causes() == ["issuer-mismatch"]


def test_signing_algs_option_judges_the_algorithm(tmp_path: Path, keys_file: Path) -> None:
    src = token_file(tmp_path, sign(claims(), key("ES256")))
    r = run_cli(["token", src, "--jwks", str(keys_file), "--signing-algs", "RS256", "--format", "json", *NOW_FLAG])
    assert r.status == 1 and r.causes() == ["signing-alg-not-allowed"]
    ok = run_cli(
        [
            "token",
            src,
            "--jwks",
            str(keys_file),
            "--signing-algs",
            "RS256,ES256",
            "--format",
            "json",
            *NOW_FLAG,
        ]
    )
    assert ok.status == 0 and ok.json()["signature"]["accepted_algs"] == ["RS256", "ES256"]


@pytest.mark.parametrize("value", ["HS256", "RS256,none", ","])
def test_signing_algs_the_api_server_refuses_exit_2(tmp_path: Path, value: str) -> None:
    r = run_cli(["token", token_file(tmp_path, sign(claims())), "--signing-algs", value, "--offline"])
    assert r.status == 2
    assert r.err.startswith("oidc-doctor: --signing-algs:")
    assert len(r.err.strip().splitlines()) == 1


def test_offline_leaves_the_signature_unknown_and_makes_no_call(tmp_path: Path) -> None:
    # The token's iss points at a port nothing listens on: a network attempt would say "unreachable".
    token = sign(claims(iss="http://127.0.0.1:9/never"))
    r = run_cli(["token", token_file(tmp_path, token), "--offline", "--format", "json", *NOW_FLAG])
    assert r.status == 0
    sig = r.json()["signature"]
    assert sig["status"] == "unknown"
    assert "--offline" in sig["reason"]


def test_unreachable_issuer_leaves_the_signature_unknown(tmp_path: Path) -> None:
    token = sign(claims(iss="http://127.0.0.1:9"))
    r = run_cli(["token", token_file(tmp_path, token), "--format", "json", *NOW_FLAG])
    assert r.status == 0
    sig = r.json()["signature"]
    assert sig["status"] == "unknown"
    assert "127.0.0.1:9/.well-known/openid-configuration" in sig["reason"]
    check = next(c for c in r.json()["checks"] if c["id"] == "token.signature")
    assert check["status"] == "unknown"


def test_now_option_moves_the_clock(tmp_path: Path, keys_file: Path) -> None:
    src = token_file(tmp_path, sign(claims()))
    later = run_cli(["token", src, "--jwks", str(keys_file), "--now", "2026-11-28T11:00:00+01:00", "--format", "json"])
    assert later.status == 0 and later.json()["now"] == "2026-11-28T10:00:00Z"
    after = run_cli(["token", src, "--jwks", str(keys_file), "--now", "2026-11-28T10:05:00Z", "--format", "json"])
    assert after.status == 1 and after.causes() == ["token-expired"]


def test_bad_now_exits_2_with_one_line(tmp_path: Path) -> None:
    r = run_cli(["token", token_file(tmp_path, sign(claims())), "--now", "yesterday", "--offline"])
    assert r.status == 2
    assert "--now" in r.err and len(r.err.strip().splitlines()) == 1


def test_missing_jwks_file_exits_2_naming_it(tmp_path: Path) -> None:
    r = run_cli(["token", token_file(tmp_path, sign(claims())), "--jwks", str(tmp_path / "nope.json")])
    assert r.status == 2
    assert r.err.strip() == f"oidc-doctor: --jwks {tmp_path / 'nope.json'}: cannot be read: No such file or directory"


@pytest.mark.parametrize("content", ["{not json", '{"issuer": "x"}', "[1,2]"])
def test_jwks_file_that_is_not_a_jwks_exits_2(tmp_path: Path, content: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content)
    r = run_cli(["token", token_file(tmp_path, sign(claims())), "--jwks", str(f)])
    assert r.status == 2 and r.err.startswith(f"oidc-doctor: --jwks {f}:")


def test_missing_ca_file_exits_2_naming_it(tmp_path: Path) -> None:
    token = sign(claims(iss="https://127.0.0.1:9"))
    r = run_cli(["token", token_file(tmp_path, token), "--ca-file", str(tmp_path / "ca.pem")])
    assert r.status == 2
    assert r.err.startswith(f"oidc-doctor: --ca-file {tmp_path / 'ca.pem'}:")


def test_ca_file_without_certificates_exits_2(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate\n")
    token = sign(claims(iss="https://127.0.0.1:9"))
    r = run_cli(["token", token_file(tmp_path, token), "--ca-file", str(ca)])
    assert r.status == 2 and "--ca-file" in r.err


def test_unreadable_token_file_exits_2_naming_it(tmp_path: Path) -> None:
    r = run_cli(["token", f"@{tmp_path}/absent"])
    assert r.status == 2
    assert r.err.startswith(f"oidc-doctor: @{tmp_path}/absent: cannot be read")
    assert "Traceback" not in r.err


def test_no_token_at_all_exits_2() -> None:
    r = run_cli(["token"])
    assert r.status == 2 and "OIDC_DOCTOR_TOKEN" in r.err


def test_unknown_format_exits_2() -> None:
    r = run_cli(["token", "-", "--format", "xml"])
    assert r.status == 2 and "--format" in r.err


def test_malformed_token_exits_1_with_a_finding(tmp_path: Path) -> None:
    r = run_cli(["token", token_file(tmp_path, "a.b.c.d.e"), "--offline", "--format", "json"])
    assert r.status == 1
    assert r.causes() == ["token-malformed"]


def test_text_output_has_the_sections_and_no_token(tmp_path: Path, keys_file: Path) -> None:
    token = sign(claims(exp=NOW_S - 60))
    r = run_cli(["token", token_file(tmp_path, token), "--jwks", str(keys_file), *NOW_FLAG])
    assert r.status == 1
    for section in ("Header", "Claims", "Signature", "Findings", "Checks"):
        assert re.search(rf"^{section}$", r.out, re.M), section
    assert "exp" in r.out and "2026-11-28T09:59:00Z (1m ago)" in r.out
    assert "error   token-expired" in r.out
    assert "fix: " in r.out
    assert "valid: verified with key" in r.out
    assert "\x1b[" not in r.out  # plain when piped
    assert_secret_free(r, token)


def test_control_characters_from_claims_never_reach_the_terminal(tmp_path: Path, keys_file: Path) -> None:
    evil = "mallory\x1b[2J\x1b]0;pwned\x07\r\u202eevil"
    token = sign(claims(sub=evil, groups=[evil], **{"x\x1b[31m": evil}), headers={"kid": "rs256-test", "x": evil})
    for fmt in ("text", "json"):
        r = run_cli(["token", token_file(tmp_path, token), "--jwks", str(keys_file), "--format", fmt, *NOW_FLAG])
        assert r.status == 0
        for ch in ("\x1b", "\x07", "\r", "\u202e"):
            assert ch not in r.out and ch not in r.err
        if fmt == "json":
            assert r.json()["claims"]["sub"] == evil  # escaped, not lost
    assert "mallory" in r.out


def test_json_output_is_the_documented_shape(tmp_path: Path, keys_file: Path) -> None:
    r = run_cli(
        [
            "token",
            token_file(tmp_path, sign(claims(aud="x", exp=NOW_S - 5))),
            "--jwks",
            str(keys_file),
            "--client-id",
            "kubernetes",
            "--format",
            "json",
            *NOW_FLAG,
        ]
    )
    doc = r.json()
    assert doc["schema"] == "oidc-doctor/token/v1"
    for k in ("header", "claims", "fingerprint", "size", "times", "signature", "findings", "checks", "notes"):
        assert k in doc
    assert set(doc["signature"]) >= {"status", "kid", "alg", "reason"}
    for f in doc["findings"]:
        assert set(f) >= {"cause", "severity", "title", "evidence", "fix"}
        for e in f["evidence"]:
            assert set(e) == {"source", "ref", "text"}
    # Ranked: errors first, in the judges' rank order.
    assert r.causes() == ["audience-mismatch", "token-expired"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_lone_surrogate_escape_in_a_claim_is_printable(tmp_path: Path, fmt: str) -> None:
    payload = json.dumps(claims(sub="x")).replace('"x"', '"\\ud800 alice"').encode()
    token = raw_jws({"alg": "RS256", "kid": "k"}, payload)
    r = run_cli(["token", token_file(tmp_path, token), "--offline", "--format", fmt, *NOW_FLAG])
    assert r.status == 0, r.err
    r.out.encode("utf-8")  # no lone surrogate reached the stream
    if fmt == "json":
        assert r.json()["claims"]["sub"] == "\ud800 alice"
    else:
        assert "\ufffd alice" in r.out


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400"])
def test_json_numbers_go_rejects_make_the_payload_malformed(tmp_path: Path, literal: str) -> None:
    payload = json.dumps(claims()).replace('"sub": "alice"', f'"sub": {literal}').encode()
    token = raw_jws({"alg": "RS256"}, payload)
    r = run_cli(["token", token_file(tmp_path, token), "--offline", "--format", "json", *NOW_FLAG])
    assert r.status == 1
    assert r.causes() == ["token-malformed"]


class _Terminal(io.StringIO):
    """A stdout that says it is a terminal (the rich path)."""

    def isatty(self) -> bool:
        return True


def test_terminal_output_is_styled_but_hostile_claims_are_still_stripped(tmp_path: Path, keys_file: Path) -> None:
    token = sign(claims(sub="mallory\x1b]0;pwned\x07\x1b[2J"))
    out, err = _Terminal(), io.StringIO()
    status = main(
        ["token", token_file(tmp_path, token), "--jwks", str(keys_file), *NOW_FLAG],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={"TERM": "xterm"}),
    )
    text = out.getvalue()
    assert status == 0, err.getvalue()
    assert "Signature" in text and "mallory" in text
    assert "\x1b]0;pwned" not in text and "\x07" not in text and "\x1b[2J" not in text
    assert_secret_free(Run(status, text, err.getvalue()), token)
