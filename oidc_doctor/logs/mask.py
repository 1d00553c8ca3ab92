"""Mask credentials inside log lines before they are stored or shown.

Log lines may carry a token (a debug log of a request, a callback URL with ``code=``, a proxy
error quoting a header). A token is a credential: it is replaced by ``<masked sha256:…>`` — the
same fingerprint reports use for tokens (``oidc_doctor.jose.fingerprint``), so two lines with one
token still show the same mark, and nobody can use it.
"""

from __future__ import annotations

import re

from oidc_doctor.jose import fingerprint

# A compact JWS/JWE: base64url header starting with '{"' (eyJ), then 2 or 4 more parts.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2,4}")
# Header-like and form/query/JSON values that hold credentials.
_VALUE = re.compile(
    r"(?i)(?P<key>\bBearer\s+|\bBasic\s+|\bauthorization[\"']?\s*[:=]\s*[\"']?(?:Bearer\s+|Basic\s+)?"
    r"|\b(?:access_token|id_token|refresh_token|client_secret|cookie_secret|code|token|password)"
    r"[\"']?\s*[=:]\s*[\"']?"
    r"|\b_oauth2_proxy[A-Za-z0-9_-]*=)"
    r"(?P<value>[A-Za-z0-9._~+/=%-]{8,})"
)
# A Cookie/Set-Cookie header: every value is masked, the names kept.
_COOKIE = re.compile(r"(?i)\b((?:set-)?cookie\s*[:=]\s*)([^\r\n\"]+)")
_COOKIE_PAIR = re.compile(r"([^=;\s]+)=([^;\s]+)")
# Any other very long opaque credential-looking run (opaque access tokens, session blobs).
_OPAQUE = re.compile(r"(?<![A-Za-z0-9_+/=-])(?=[A-Za-z0-9_+/=-]*\d)(?=[A-Za-z0-9_+/=-]*[A-Za-z])[A-Za-z0-9_+/=-]{80,}")


def _mark(secret: str) -> str:
    return f"<masked {fingerprint(secret)}>"


def mask(text: str) -> str:
    """``text`` with every token, cookie value or Authorization value replaced by a mark."""
    if not text:
        return text
    text = _JWT.sub(lambda m: _mark(m.group(0)), text)
    text = _COOKIE.sub(
        lambda m: m.group(1) + _COOKIE_PAIR.sub(lambda p: f"{p.group(1)}={_keep(p.group(2))}", m.group(2)),
        text,
    )
    text = _VALUE.sub(lambda m: m.group("key") + _keep(m.group("value")), text)
    return _OPAQUE.sub(lambda m: _mark(m.group(0)), text)


def mask_jwts(text: str) -> str:
    """``text`` with only JWT-shaped runs masked (for messages, where long paths must stay)."""
    return _JWT.sub(lambda m: _mark(m.group(0)), text)


def _keep(value: str) -> str:
    """Mask a value unless it already is a mark or a harmless boolean."""
    if value.startswith("<masked") or value.lower() in ("true", "false", "null", "none"):
        return value
    return _mark(value)
