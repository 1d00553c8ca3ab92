"""hypothesis drives the token reader with arbitrary text and bytes: clean findings or exit 2."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from token_helpers import Run, claims, raw_jws, run_cli, sign

from oidc_doctor.causes import BY_CODE
from oidc_doctor.jose import b64url_encode
from oidc_doctor.token.source import extract_token, is_credential_like, normalise

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ARGS = ["token", "-", "--offline", "--format", "json", "--now", "2026-11-28T10:00:00Z"]
_TEXT_ARGS = ["token", "-", "--offline", "--now", "2026-11-28T10:00:00Z"]

segment = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/", max_size=40),
    st.binary(max_size=60).map(b64url_encode),
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text()),
        max_size=4,
    ).map(lambda d: b64url_encode(json.dumps(d).encode())),
)
tokenish = st.builds(lambda parts: ".".join(parts), st.lists(segment, min_size=1, max_size=6))
wrapped = st.builds(
    lambda prefix, body, suffix: prefix + body + suffix,
    st.sampled_from(["", "Bearer ", "Authorization: Bearer ", '"', "Bearer Bearer ", " \n"]),
    tokenish,
    st.sampled_from(["", '"', "\n", "\r\n\t", "\x1b[31m"]),
)


def assert_clean(r: Run, as_json: bool) -> None:
    assert r.status in (0, 1, 2)
    assert "Traceback" not in r.err and "internal error" not in r.err
    if r.status == 2:
        assert r.out == ""
        assert len(r.err.strip().splitlines()) == 1 and r.err.startswith("oidc-doctor: ")
        return
    assert not _UNSAFE.search(r.out.replace("\n", ""))
    if as_json:
        doc = r.json()
        assert all(f["cause"] in BY_CODE for f in doc["findings"])
        assert (r.status == 1) == any(f["severity"] == "error" for f in doc["findings"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_on_stdin(data: bytes) -> None:
    assert_clean(run_cli(_ARGS, stdin=data), as_json=True)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_on_stdin_in_text_format(text: str) -> None:
    assert_clean(run_cli(_TEXT_ARGS, stdin=text.encode("utf-8", "surrogatepass")), as_json=False)


@settings(max_examples=200, deadline=None)
@given(wrapped)
def test_token_shaped_text(text: str) -> None:
    assert_clean(run_cli(_ARGS, stdin=text.encode()), as_json=True)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_source_helpers_never_raise(text: str) -> None:
    assert isinstance(normalise(text), str)
    found = extract_token(text)
    assert found is None or found.count(".") == 2
    assert isinstance(is_credential_like(text), bool)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
            max_leaves=8,
        ),
        max_size=6,
    )
)
def test_arbitrary_claims_in_a_signed_token(extra: dict[str, object]) -> None:
    payload = {**claims(), **extra}
    tokens = [raw_jws({"alg": "RS256", "kid": "x"}, payload)]
    if isinstance(payload.get("iss"), str):  # PyJWT refuses to sign a non-string iss (the raw JWS keeps it)
        tokens.append(sign(payload))
    for token in tokens:
        assert_clean(run_cli(_ARGS, stdin=token.encode()), as_json=True)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_in_a_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "token.bin"
        path.write_bytes(data)
        r = run_cli(["token", f"@{path}", *_ARGS[2:]])
    assert_clean(r, as_json=True)
    if r.status == 2:
        assert str(path) in r.err
