"""Where a token comes from, and how pasted text becomes one token string.

People paste tokens in many wrappings: with quotes, with ``Bearer `` or a whole
``Authorization: Bearer`` header line, wrapped over several lines, or base64-encoded once more
(``echo $TOKEN | base64``, a Secret's ``data``). :func:`normalise` undoes exactly these
wrappings and nothing else, so a token that is really broken stays broken for the judge to
describe. A doubled ``Bearer Bearer`` is deliberately left with one ``Bearer `` in place: it is
what the API server would receive, and the judge names it.
"""

from __future__ import annotations

import base64
import binascii
import re

from oidc_doctor.errors import InputError
from oidc_doctor.io import IO

#: The environment variable read when no source is given.
ENV_VAR = "OIDC_DOCTOR_TOKEN"
#: Inputs larger than this are refused outright (a 2 GB log passed by mistake is not a token).
#: Tokens between 1 MiB and this are read and judged ``token-malformed`` (too big for the API server).
MAX_INPUT_BYTES = 4 * 1024 * 1024

_AUTH_HEADER = re.compile(r"^authorization\s*:\s*", re.IGNORECASE)
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)
_QUOTES = "\"'`"
# The patterns below are compiled on first use (re's cache): the token command needs none of them
# for a plain token, and compiling them all at import costs a visible share of its start-up.
_B64_CHARS = r"^[A-Za-z0-9+/_=-]+$"
#: A JWS or JWE in compact form: base64url segments joined by dots (header segment first).
_COMPACT = r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_=+/-]*){2,4}$"
#: A named field holding a compact JWS (kubeconfig ``id-token:``, JSON ``"id_token":``, ``token=``).
_NAMED = (
    r"""(?i)["']?\b(id[_-]?token|idtoken|access[_-]?token|token)["']?\s*[:=]\s*["']?"""
    r"([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)"
)
_CREDENTIAL = r"^[A-Za-z0-9._~+/=-]+$"


def describe_source(src: str | None) -> str:
    """How reports and messages name a source, never its content: ``stdin``, ``@FILE``, ..."""
    if src is None:
        return f"${ENV_VAR}"
    if src == "-":
        return "stdin"
    if src.startswith("@"):
        return src
    return "the token argument"


def _decode(data: bytes, where: str) -> str:
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(where, f"is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB: not a token")
    # Windows PowerShell writes `... > token.txt` as UTF-16 with a byte-order mark (5.1), or UTF-8
    # with one (Out-File -Encoding utf8). The "utf-16" codec consumes its mark; the UTF-8 mark is
    # cut here (as "utf-8-sig" would, whose codec module is not loaded for it at start-up; Python
    # reports a decoding error's byte after the mark either way).
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16"
    else:
        codec, data = "utf-8", data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        raise InputError(where, f"is not UTF-8 text (byte {e.start}): a token is ASCII text") from e


def read_token_source(src: str | None, io: IO) -> str:
    """The text of one token source (not yet normalised).

    ``-`` reads stdin, ``@FILE`` a file, None the variable ``OIDC_DOCTOR_TOKEN``; anything else is
    the token itself, accepted with a warning because it stays in the shell's history.
    Raises :class:`InputError` naming the source when it cannot be read or holds nothing.
    """
    where = describe_source(src)
    if src is None:
        text = io.env.get(ENV_VAR)
        if text is None:
            raise InputError("token", f"no token given: pass - (stdin) or @FILE, or set the variable {ENV_VAR}")
        if len(text) > MAX_INPUT_BYTES:
            raise InputError(where, f"is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB: not a token")
    elif src == "-":
        buffer = getattr(io.stdin, "buffer", None)
        if buffer is not None:
            text = _decode(buffer.read(MAX_INPUT_BYTES + 1), where)
        else:
            text = io.stdin.read(MAX_INPUT_BYTES + 1)
            if len(text) > MAX_INPUT_BYTES:
                raise InputError(where, f"is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB: not a token")
    elif src.startswith("@"):
        if not src[1:]:
            raise InputError(where, "names no file: write @FILE, e.g. @token.txt")
        try:
            # open(), not pathlib: importing pathlib costs about 2 ms of the command's start-up.
            with open(src[1:], "rb") as f:
                data = f.read(MAX_INPUT_BYTES + 1)
        except OSError as e:
            raise InputError(where, f"cannot be read: {e.strerror or e}") from e
        text = _decode(data, where)
    else:
        io.warn(
            "a token given as an argument stays in your shell history; prefer - (stdin), @FILE "
            f"or the variable {ENV_VAR}"
        )
        text = src
    if not text.strip():
        raise InputError(where, "is empty: no token in it")
    return text


def _strip_quotes(s: str) -> str:
    while len(s) >= 2 and s[0] == s[-1] and s[0] in _QUOTES:
        s = s[1:-1].strip()
    return s


def _unwrap_base64(s: str) -> str | None:
    """The JWT inside a base64 wrapping of a whole token, or None when ``s`` is not one."""
    if "." in s or len(s) < 16 or not re.match(_B64_CHARS, s):
        return None
    padded = s.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        data = base64.b64decode(padded + "=" * (-len(padded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        inner = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    inner = _strip_prefixes(_strip_quotes(inner))
    return inner if re.match(_COMPACT, inner) else None


def _strip_prefixes(s: str) -> str:
    """Remove one ``Authorization:`` header name and one ``Bearer `` scheme word."""
    s = _AUTH_HEADER.sub("", s, count=1).strip()
    s = _strip_quotes(s)
    return _BEARER.sub("", s, count=1).strip()


def normalise(text: str) -> str:
    """One token string from pasted text.

    Strips surrounding whitespace and quotes, one ``Authorization:`` header name, one ``Bearer ``,
    the line breaks of a wrapped token, and a base64 wrapping of a whole JWT. A second ``Bearer ``
    is kept (the judge reports the doubled prefix).
    """
    if text.lstrip().startswith("{"):
        # JSON holding the token: `kubectl oidc-login get-token` prints an ExecCredential
        # (status.token, int128/kubelogin), a token endpoint answers with id_token.
        named = _named_token(text)
        if named is not None:
            return named
    s = _strip_prefixes(_strip_quotes(text.strip()))
    s = _strip_quotes(s)
    if _BEARER.match(s):
        return s  # doubled "Bearer Bearer": leave it for the judge to name
    s = re.sub(r"\s+", "", s)
    inner = _unwrap_base64(s)
    return inner if inner is not None else s


def _looks_like_jws(candidate: str) -> bool:
    """A compact JWS/JWE whose first segment decodes to a JSON object (a JOSE header)."""
    from oidc_doctor.jose import b64url_decode

    if not re.match(_COMPACT, candidate):
        return False
    data, _ = b64url_decode(candidate.split(".", 1)[0])
    if data is None:
        return False
    stripped = data.lstrip()
    return stripped.startswith(b"{") and stripped.rstrip().endswith(b"}")


def extract_token(text: str) -> str | None:
    """A JWT found in a text file, or None.

    A line qualifies when, after normalising, it is a compact JWS (three parts) whose header
    decodes to a JSON object: a bare token, ``Bearer x``, ``Authorization: Bearer x``, quoted or
    not. A whole file that is one base64-wrapped token qualifies too. Failing those, a named
    field holding a JWS: ``id-token: x`` (a kubeconfig's oidc auth-provider), ``"id_token": "x"``
    (a token response), ``access_token``/``token`` fields — the id_token first.
    """
    whole = normalise(text) if text.strip() else ""
    candidates = [whole] if whole and whole.count(".") == 2 else []
    candidates += [normalise(line) for line in text.splitlines() if line.strip()]
    for c in candidates:
        if c.count(".") == 2 and _looks_like_jws(c):
            return c
    return _named_token(text) or pasted_claims(text)


#: What ``kubectl oidc-login setup`` prints before the decoded claims (int128/kubelogin
#: pkg/usecases/setup: "You got a token with the following claims:").
#: (compiled on first use, by re's cache: a pasted token is the common case)
_SETUP_CLAIMS = r"(?s)following claims:\s*(\{.*?\n\})"


def pasted_claims(text: str) -> str | None:
    """A token made from claims pasted without it (a JSON object of claims, or kubelogin's setup
    output), marked so that its header and signature are never judged; None when there are none."""
    import json

    from oidc_doctor.jose import claims_only_token, looks_like_claims

    m = re.search(_SETUP_CLAIMS, text)
    body = m.group(1) if m else text.strip()
    if not body.startswith("{") or len(body) > 64 * 1024:
        return None
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return claims_only_token(obj) if isinstance(obj, dict) and looks_like_claims(obj) else None


def _named_token(text: str) -> str | None:
    """The JWS in a named field (``id_token`` first, then ``access_token``/``token``), or None."""
    named = sorted(re.finditer(_NAMED, text), key=lambda m: 0 if "id" in m.group(1).lower() else 1)
    for m in named:
        c = m.group(2)
        if c.count(".") == 2 and _looks_like_jws(c):
            return c
    return None


def is_credential_like(text: str) -> bool:
    """Whether ``text`` holds one opaque credential-like string that is not a JWT.

    Such a file (an opaque access token such as Google's ``ya29.…``, a 5-part JWE) is what a
    user pastes when the proxy hands out the wrong token; the bundle reader takes it as the
    token to be judged ``token-malformed``. Words, host names, URLs and JSON/YAML are not.
    """
    if not text.strip() or len(text.strip().splitlines()) != 1:
        return False
    if re.search(r"\S\s+\S", _strip_prefixes(_strip_quotes(text.strip()))):
        return False  # words separated by spaces: a sentence ("logs me out every 5 minutes"), not a credential
    s = normalise(text)
    if len(s) < 20 or not re.match(_CREDENTIAL, s) or "://" in s:
        return False
    if s.count(".") == 2 and _looks_like_jws(s):
        return False  # a JWT: extract_token's business
    if not (re.search(r"[0-9]", s) and re.search(r"[A-Za-z]", s)):
        return False
    # Host names and dotted identifiers are lower-case words; credentials mix case or are long.
    mixed_case = bool(re.search(r"[a-z]", s) and re.search(r"[A-Z]", s))
    return mixed_case or len(s) >= 32
