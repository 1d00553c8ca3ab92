"""The token reader: every source, every wrapping people paste, and refusals naming the source."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from token_helpers import claims, raw_jws, sign

from oidc_doctor.errors import InputError
from oidc_doctor.io import IO
from oidc_doctor.token.source import (
    MAX_INPUT_BYTES,
    extract_token,
    is_credential_like,
    normalise,
    read_token_source,
)

TOKEN = sign(claims())


def _io(stdin: str = "", env: dict[str, str] | None = None) -> tuple[IO, io.StringIO]:
    err = io.StringIO()
    return IO(stdin=io.StringIO(stdin), stdout=io.StringIO(), stderr=err, env=env or {}), err


def test_dash_reads_stdin() -> None:
    stream, _ = _io(stdin=TOKEN + "\n")
    assert read_token_source("-", stream).strip() == TOKEN


def test_at_file_reads_the_file(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_text(TOKEN)
    stream, err = _io()
    assert read_token_source(f"@{f}", stream) == TOKEN
    assert err.getvalue() == ""


def test_no_source_reads_the_environment_variable() -> None:
    stream, _ = _io(env={"OIDC_DOCTOR_TOKEN": TOKEN})
    assert read_token_source(None, stream) == TOKEN


def test_no_source_and_no_variable_is_an_input_error() -> None:
    stream, _ = _io()
    with pytest.raises(InputError, match="OIDC_DOCTOR_TOKEN"):
        read_token_source(None, stream)


def test_raw_argument_is_accepted_with_a_shell_history_warning() -> None:
    stream, err = _io()
    assert read_token_source(TOKEN, stream) == TOKEN
    assert "shell history" in err.getvalue()
    assert TOKEN not in err.getvalue()


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    stream, _ = _io()
    with pytest.raises(InputError) as e:
        read_token_source(f"@{tmp_path}/absent.txt", stream)
    assert str(e.value).startswith(f"@{tmp_path}/absent.txt: cannot be read")


def test_directory_names_the_argument(tmp_path: Path) -> None:
    stream, _ = _io()
    with pytest.raises(InputError, match=f"^@{tmp_path}: cannot be read"):
        read_token_source(f"@{tmp_path}", stream)


def test_binary_file_is_refused_as_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "junk.bin"
    f.write_bytes(b"\xff\xfe\x00binary")
    stream, _ = _io()
    with pytest.raises(InputError, match="not UTF-8"):
        read_token_source(f"@{f}", stream)


def test_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    f = tmp_path / "big.log"
    f.write_bytes(b"a" * (MAX_INPUT_BYTES + 10))
    stream, _ = _io()
    with pytest.raises(InputError, match="larger than 4 MiB"):
        read_token_source(f"@{f}", stream)


def test_empty_stdin_is_an_input_error_naming_stdin() -> None:
    stream, _ = _io(stdin="  \n")
    with pytest.raises(InputError, match=r"^stdin: is empty"):
        read_token_source("-", stream)


@pytest.mark.parametrize(
    "wrapped",
    [
        f"  {TOKEN}\n",
        f'"{TOKEN}"',
        f"'{TOKEN}'",
        f"Bearer {TOKEN}",
        f"bearer   {TOKEN}",
        f"Authorization: Bearer {TOKEN}",
        f'authorization:Bearer "{TOKEN}"',
        f'"Authorization: Bearer {TOKEN}"',
        "\n".join(TOKEN[i : i + 64] for i in range(0, len(TOKEN), 64)),
        base64.b64encode(TOKEN.encode()).decode(),
        base64.b64encode((TOKEN + "\n").encode()).decode(),
        base64.urlsafe_b64encode(f"Bearer {TOKEN}".encode()).decode().rstrip("="),
    ],
)
def test_normalise_unwraps_what_people_paste(wrapped: str) -> None:
    assert normalise(wrapped) == TOKEN


def test_normalise_keeps_a_doubled_bearer_for_the_judge() -> None:
    assert normalise(f"Bearer Bearer {TOKEN}") == f"Bearer {TOKEN}"


def test_normalise_leaves_a_broken_token_broken() -> None:
    assert normalise("abc.def") == "abc.def"


@pytest.mark.parametrize(
    "text",
    [
        f"{TOKEN}\n",
        f"# pasted from the browser\nAuthorization: Bearer {TOKEN}\n",
        f"Bearer {TOKEN}",
        f"notes\n\n  {TOKEN}  \nmore notes",
    ],
)
def test_extract_token_finds_the_jwt_in_a_text_file(text: str) -> None:
    assert extract_token(text) == TOKEN


@pytest.mark.parametrize(
    "text",
    [
        "kube-apiserver.kube-system.svc\n",
        "E0723 18:32:12.123456 1 authentication.go:76] Unable to authenticate the request",
        "apiVersion: v1\nkind: Pod\n",
        "a.b.c",
        "",
    ],
)
def test_extract_token_ignores_text_without_a_jwt(text: str) -> None:
    assert extract_token(text) is None


def test_extract_token_reads_a_kubeconfig_id_token_field() -> None:
    kubeconfig = (
        "users:\n- name: alice\n  user:\n    auth-provider:\n      config:\n"
        f"        client-id: kubernetes\n        id-token: {TOKEN}\n      name: oidc\n"
    )
    assert extract_token(kubeconfig) == TOKEN


def test_extract_token_prefers_the_id_token_of_a_token_response() -> None:
    access = sign(claims(typ="Bearer"))
    response = json.dumps({"access_token": access, "token_type": "Bearer", "id_token": TOKEN})
    assert extract_token(response) == TOKEN
    assert extract_token(json.dumps({"access_token": access})) == access


def test_extract_token_returns_a_jwt_with_a_broken_payload_for_judging() -> None:
    broken = raw_jws({"alg": "RS256"}, b"not json")
    assert extract_token(broken + "\n") == broken


@pytest.mark.parametrize(
    "text",
    [
        "ya29.a0AfH6SMBx3kQ9ZlT0pR7vWcN2mE5uK8jH1gF4dS6aL0qP9oI3yT\n",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a\n",
        # A JWE: five parts.
        "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgck"
        ".48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ",
    ],
)
def test_opaque_credentials_are_credential_like(text: str) -> None:
    assert is_credential_like(text)


@pytest.mark.parametrize(
    "text",
    [
        TOKEN,
        "hello world",
        "kube-apiserver.kube-system.svc.cluster.local",
        "https://idp.example.com/realms/k8s",
        '{"keys": []}',
        "line one\nline two 1234567890abcdefABCDEF",
        "short1A",
        "Kubeapps logs me out every 5 minutes",
        "Bearer token expired after 5 minutes for user Alice",
    ],
)
def test_words_urls_documents_and_jwts_are_not_credential_like(text: str) -> None:
    assert not is_credential_like(text)


def test_kubelogin_exec_credential_and_token_responses_give_the_jwt() -> None:
    # `kubectl oidc-login get-token ... | oidc-doctor token -` (int128/kubelogin prints an ExecCredential).
    cred = {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {"interactive": False},
        "status": {"expirationTimestamp": "2026-11-28T10:30:00Z", "token": TOKEN},
    }
    assert normalise(json.dumps(cred) + "\n") == TOKEN
    assert normalise(json.dumps(cred, indent=4)) == TOKEN
    response = {"access_token": "opaque-not-a-jwt", "id_token": TOKEN, "token_type": "Bearer"}
    assert normalise(json.dumps(response)) == TOKEN


def test_windows_powershell_token_files_are_read(tmp_path: Path) -> None:
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(b"\xff\xfe" + (TOKEN + "\r\n").encode("utf-16-le"))
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + TOKEN.encode())
    io_, _ = _io()
    assert normalise(read_token_source(f"@{utf16}", io_)) == TOKEN
    assert normalise(read_token_source(f"@{bom}", io_)) == TOKEN
