"""Credentials inside log lines are masked before anything is shown."""

from __future__ import annotations

from oidc_doctor.jose import fingerprint
from oidc_doctor.secrets import mask_text as mask

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2lkcCIsInN1YiI6ImFsaWNlIn0."
    "c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIzNDU2Nzg5MA"
)


def test_a_jwt_inside_a_line_becomes_its_fingerprint() -> None:
    out = mask(f"request with token {JWT} failed")
    assert JWT not in out
    assert f"<masked {fingerprint(JWT)}>" in out


def test_authorization_header_value_is_masked() -> None:
    out = mask("Authorization: Bearer opaque-access-token-0123456789")
    assert "opaque-access-token" not in out
    assert out.startswith("Authorization: Bearer <masked sha256:")


def test_cookie_values_are_masked_and_names_kept() -> None:
    out = mask("Cookie: _oauth2_proxy=QUJDREVGR0hJSktMTU5PUA; theme=dark-mode-setting")
    assert "QUJDREVGR0hJSktMTU5PUA" not in out and "dark-mode-setting" not in out
    assert "_oauth2_proxy=<masked sha256:" in out and "theme=<masked" in out


def test_query_and_form_credentials_are_masked() -> None:
    out = mask("GET /oauth2/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=abc access_token=ya29.a0AfH6SMC")
    assert "SplxlOBeZQQYbYS6WxSbIA" not in out and "ya29.a0AfH6SMC" not in out


def test_ordinary_authentication_lines_are_unchanged() -> None:
    for line in (
        'err="[invalid bearer token, oidc: verify token: oidc: expected audience \\"kubernetes\\" got []]"',
        "Session{email:a@b.c token:true id_token:true}",
        "oidc: token is expired (Token Expiry: 2022-07-22 11:40:27 +0000 UTC)",
    ):
        assert mask(line) == line


def test_long_opaque_credential_run_is_masked() -> None:
    blob = "A1b2" * 30
    assert blob not in mask(f"session {blob} removed")
