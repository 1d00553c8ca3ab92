"""oauth2-proxy's cookie validation table, ported case by case.

Source: oauth2-proxy/oauth2-proxy ``pkg/validation/cookie_test.go`` (TestValidateCookie, commit
11e219d44d3264657b8d4e5d3f4276da66824b50) against ``pkg/validation/cookie.go``. Each case sets the
same options on an oauth2-proxy container, as flags, and expects exactly the upstream messages of the
checks oidc-doctor models (the secret's size after ``encryption.SecretBytes``, refresh against
expire, a missing secret). Cases about what oidc-doctor does not judge (cookie name characters and
length, SameSite values, partitioned cookies, secret files on the proxy's disk) are listed in
``NOT_MODELLED`` with the reason, so the port stays complete.
"""

from __future__ import annotations

import pytest
from proxy_testkit import container, workload

from oidc_doctor.proxy.settings import find_proxies, problems_from_validation, read_settings

VALID_SECRET = "secretthirtytwobytes+abcdefghijk"
INVALID_SECRET = "abcdef"  # 6 bytes is not a valid size
VALID_BASE64_SECRET = "c2VjcmV0dGhpcnR5dHdvYnl0ZXMrYWJjZGVmZ2hpams"  # base64 of VALID_SECRET
INVALID_BASE64_SECRET = "YWJjZGVmCg"  # base64 of "abcdef\n": not an AES size once decoded, so its 10 raw bytes count

INVALID_SECRET_MSG = "cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 6 bytes"
INVALID_BASE64_SECRET_MSG = "cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 10 bytes"
REFRESH_LONGER_THAN_EXPIRE_MSG = 'cookie_refresh ("1h0m0s") must be less than cookie_expire ("15m0s")'
MISSING_SECRET_MSG = "missing setting: cookie-secret or cookie-secret-file"

#: (upstream case name, secret, expire, refresh, expected messages)
CASES = [
    ("with valid configuration", VALID_SECRET, "1h", "15m", []),
    ("with no cookie secret", "", "1h", "15m", [MISSING_SECRET_MSG]),
    ("with an invalid cookie secret", INVALID_SECRET, "1h", "15m", [INVALID_SECRET_MSG]),
    ("with a valid Base64 secret", VALID_BASE64_SECRET, "1h", "15m", []),
    ("with an invalid Base64 secret", INVALID_BASE64_SECRET, "1h", "15m", [INVALID_BASE64_SECRET_MSG]),
    ("with refresh longer than expire", VALID_SECRET, "15m", "1h", [REFRESH_LONGER_THAN_EXPIRE_MSG]),
    ("with session cookie configuration", VALID_SECRET, "0s", "15m", []),
    (
        "with a combination of configuration errors (the modelled part)",
        INVALID_SECRET,
        "15m",
        "1h",
        [INVALID_SECRET_MSG, REFRESH_LONGER_THAN_EXPIRE_MSG],
    ),
]

NOT_MODELLED = {
    "partitioned cookies require secure": "cookie_partitioned is not read",
    "with an invalid name": "cookie name characters are not judged",
    "with a name that is too long": "cookie name length is not judged",
    'with samesite "none"': "SameSite is not judged",
    'with samesite "lax"': "SameSite is not judged",
    'with samesite "strict"': "SameSite is not judged",
    'with samesite "invalid"': "SameSite is not judged",
    "with valid secret file": "the proxy's own files are not read (--cookie-secret-file only counts as set)",
    "with nonexistent secret file": "the proxy's own files are not read",
}


@pytest.mark.parametrize(("name", "secret", "expire", "refresh", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cookie_validation_matches_upstream(
    name: str, secret: str, expire: str, refresh: str, expected: list[str]
) -> None:
    args = ["--provider=oidc", f"--cookie-expire={expire}", f"--cookie-refresh={refresh}"]
    if secret:
        args.append(f"--cookie-secret={secret}")
    [inst] = find_proxies(workload(container(args=args)), "in.yaml")
    messages = [p.message for p in problems_from_validation(read_settings(inst, []))]
    assert sorted(messages) == sorted(expected), name


def test_the_port_covers_every_upstream_case() -> None:
    # TestValidateCookie has 17 cases; the combination case is counted once, as ported.
    assert len(CASES) + len(NOT_MODELLED) == 17
