"""The one secrets policy: what looks like a credential, how it is masked, how a token is named.

Every value that leaves the tool — report text, JSON, Markdown, HTML, ``proxy --settings``, a
bundle written by ``collect`` — goes through the functions here, and no other module keeps its own
list of secret-looking names:

- :func:`looks_secret` judges an option, environment variable, config key or values key by name
  (``--client-secret``, ``-client-secret``, ``OAUTH2_PROXY_COOKIE_SECRET``, ``clientSecret``,
  ``"client_secret"``), and by value (booleans, empty values and file paths are not credentials).
- :func:`mask_text` masks credentials inside free text by shape: compact JWS/JWE, ``Bearer``/``Basic``
  values, cookies (oauth2-proxy's ``_oauth2_proxy`` value is ``payload|timestamp|signature``, so
  ``|`` is part of it), URL userinfo passwords and credential query parameters, option values of
  secret-looking options in any spelling (one or two dashes, ``=`` or a separate word, inside a
  ``sh -c`` string), ``key = value`` / ``"key": "value"`` pairs, and long opaque runs.
- :func:`mask_config` does the same for a whole config body (oauth2-proxy TOML, alpha config as
  JSON or YAML including block scalars), line by line.
- :func:`mask_args`, :func:`mask_env`, :func:`mask_tree` apply it to argument lists, environment
  entries and parsed documents of any depth (Helm values, claims).
- :func:`fingerprint` names a token: ``sha256:`` + 12 hex digits (defined in :mod:`oidc_doctor.jose`,
  which names the tokens it parses without loading this module).

Credentials found by shape (tokens, cookies, bearer values) become ``<masked sha256:…>`` so two
places holding one token show the same mark; values found by name become ``<redacted>`` (a short
client secret's hash would be an offline guessing oracle, so it is never fingerprinted).

Only ``re`` and :mod:`oidc_doctor.jose` are imported at module level and patterns compile on first
use: every command that writes a finding imports this module, and one-shot commands must start fast.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from oidc_doctor.jose import fingerprint as fingerprint  # how a token is named (defined with the token parser)

REDACTED = "<redacted>"

#: Words that make a name a credential's name (after :func:`norm_name`).
_SECRET_WORDS = (
    "secret",
    "password",
    "passwd",
    "token",
    "credential",
    "jwt-key",
    "private-key",
    "privatekey",
    "api-key",
    "apikey",
    "datastore-endpoint",
    "bearer",
)
#: Name endings that make it a reference to a credential, not the credential: a file or folder
#: holding it, the name of the Secret holding it, the claim or header that carries it, a duration.
_NOT_SECRET_SUFFIXES = (
    "-file",
    "file",
    "-path",
    "-dir",
    "-name",
    "-ref",
    "-claim",
    "-header",
    "-storage",
    "-expiration",
    "-ttl",
    "-url",  # a URL is judged by its userinfo and query (mask_text), not by its option name
    "-audiences",
    "-key-ref",
    "-create",
)
#: Options whose name holds a secret word but whose value never is one (all booleans upstream:
#: oauth2-proxy ``pkg/apis/options/legacy_options.go``, kube-apiserver's ``--enable-bootstrap-token-auth``).
_NOT_SECRET_NAMES = frozenset(
    {
        "pass-access-token",
        "skip-jwt-bearer-tokens",
        "bearer-token-login-fallback",
        "enable-bootstrap-token-auth",
        "service-account-extend-token-expiration",
        "oidc-use-access-token",
        "use-access-token",
        "secret-key-ref",
        "existing-secret",
    }
)
_BOOL_WORDS = frozenset({"true", "false", "1", "0", "t", "f", "yes", "no", "on", "off"})


def norm_name(name: str) -> str:
    """``--Client_Secret`` / ``clientSecret`` / ``"client_secret"`` → ``client-secret``."""
    n = name.strip().strip("\"'").lstrip("-")
    n = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", n)
    return n.lower().replace("_", "-").replace(".", "-")


def _plain(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().strip("\"'")


@lru_cache(maxsize=8192)
def _secret_name(name: str) -> bool:
    """Whether the name alone says credential (cached: masking a text asks this of every option
    and key in it, and reports repeat the same few hundred names)."""
    n = norm_name(name)
    if n.startswith("oauth2-proxy-"):  # OAUTH2_PROXY_CLIENT_SECRET: the option's environment name
        n = n[len("oauth2-proxy-") :]
    if not n or n in _NOT_SECRET_NAMES or n.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return any(w in n for w in _SECRET_WORDS)


def looks_secret(name: str, value: Any = None) -> bool:
    """Whether an option, variable or key called ``name`` (holding ``value``, if known) is a credential.

    ``value`` rules out what cannot be a credential: booleans (``--pass-access-token=true``) and
    empty values. Without a value the name alone decides.
    """
    if not _secret_name(name):
        return False
    if value is None:
        return True
    if isinstance(value, (dict, list)):
        return False  # a section (``secret: {name: ..., create: true}``): judged key by key
    v = _plain(value)
    return v is not None and v != "" and v.lower() not in _BOOL_WORDS


def mark(value: str) -> str:
    """``<masked sha256:…>``: a token found by its shape, named so equal tokens match."""
    return f"<masked {fingerprint(value)}>"


def _is_masked(value: str) -> bool:
    v = value.strip("\"'")
    return v.startswith(("<masked", "<redacted", "sha256:", "<")) or v in ("", REDACTED)


def placeholder(name: str, value: str) -> str:
    """What replaces the value of the credential option ``name`` in a collected bundle.

    ``<redacted>``, except for a cookie secret: oauth2-proxy refuses cookie secrets that are not
    16, 24 or 32 bytes (``proxy-config-invalid``), so the placeholder keeps the decoded length
    and the collected bundle is judged like the cluster.
    """
    n = norm_name(name)
    if "cookie" in n and "secret" in n:
        size = len(secret_bytes(value.strip().strip("'\"")))
        # '<', '*', '>' are outside base64url: the placeholder is taken as raw bytes, like the value
        return ("<redacted" + "*" * max(0, size - 10) + ">")[:size] if size >= 10 else "*" * size
    return REDACTED


# --- free text ------------------------------------------------------------------------------

#: Query/form parameters that carry credentials (RFC 6750 ``access_token``, OAuth 2 ``code``,
#: ``client_secret`` in client_secret_post, ...).
_QUERY_KEYS = (
    "access_token|id_token|refresh_token|client_secret|cookie_secret|code|token|password|passwd|"
    "api_key|apikey|secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token"
)


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {
        # A compact JWS/JWE: base64url header starting with '{"' (eyJ), then 2 or 4 more parts.
        "jwt": re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2,4}"),
        # scheme://user:password@host — the password; a userinfo without ':' longer than 16
        # characters (a token used as user name, as GitHub and GitLab accept) as a whole.
        "userinfo": re.compile(r"(?i)([a-z][a-z0-9+.-]*://)([^/@\s:?#\"']*:)([^@\s\"']*)@"),
        "userinfo_token": re.compile(r"(?i)([a-z][a-z0-9+.-]*://)([^/@\s:?#\"']{17,})@"),
        "query": re.compile(rf"(?i)([?&;#](?:{_QUERY_KEYS})=)([^&#;\s\"'<>]+)"),
        # Header-like values that hold credentials.
        "auth": re.compile(
            r"(?i)(?P<key>\b(?:Bearer|Basic)\s+|\bauthorization[\"']?\s*[:=]\s*[\"']?(?:Bearer\s+|Basic\s+)?)"
            r"(?P<value>[A-Za-z0-9._~+/=%|-]{8,})"
        ),
        # A Cookie/Set-Cookie header: every value is masked, the names kept; and a bare
        # ``_oauth2_proxy...=value`` wherever it stands.
        "cookie": re.compile(r"(?i)\b((?:set-)?cookie\s*[:=]\s*)([^\r\n\"]+)"),
        "cookie_pair": re.compile(r"([^=;\s]+)=([^;\s]+)"),
        "oauth2_cookie": re.compile(r"\b(_oauth2_proxy[A-Za-z0-9_-]*=)([^;\s\"',]+)"),
        # An option in any spelling: -name=value, --name=value, --name value, quoted or not.
        "option": re.compile(
            r"(?<![\w./-])(-{1,2}[A-Za-z][A-Za-z0-9_.-]*)(=|[ \t]+(?=[^\s-]))(\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s\"',;]+)"
        ),
        # A separate value that starts with '-': Go's flag and spf13/pflag take the next word as
        # the value of a non-boolean flag whatever it looks like (``--cookie-secret -Zm9v...``).
        "option_dash": re.compile(r"(?<![\w./-])(-{1,2}[A-Za-z][A-Za-z0-9_.-]*)([ \t]+)(-[^\s\"',;]*)"),
        # key = value, key: value, "key": "value" (TOML, YAML, JSON, logfmt, Go struct dumps).
        "pair": re.compile(
            r"(?<![\w-])([\"']?)([A-Za-z][A-Za-z0-9_.-]*)\1(\s*[:=]\s*)"
            r"(\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s\"',;}\]]+)"
        ),
        # Any other very long opaque credential-looking run (opaque access tokens, session blobs).
        "opaque": re.compile(
            r"(?<![A-Za-z0-9_+/=-])(?=[A-Za-z0-9_+/=-]*\d)(?=[A-Za-z0-9_+/=-]*[A-Za-z])[A-Za-z0-9_+/=-]{80,}"
        ),
        # A YAML key opening a block scalar (``clientSecret: |``): mask_config masks its lines.
        "block_key": re.compile(r"^(\s*-?\s*)([\"']?)([A-Za-z0-9_.-]+)\2(\s*:\s*)([|>][-+0-9]*)\s*(#.*)?$"),
    }


def _keep_or_mark(value: str) -> str:
    if _is_masked(value) or value.lower() in ("true", "false", "null", "none"):
        return value
    return mark(value)


def _requote(raw: str, new: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return f"{raw[0]}{new}{raw[0]}"
    return new


def _auth(m: re.Match[str]) -> str:
    value = m.group("value")
    if value.isalpha() and value.islower():
        return m.group(0)  # "Basic authentication": prose
    return m.group("key") + _keep_or_mark(value)


def _option(m: re.Match[str]) -> str:
    name, sep, raw = m.group(1), m.group(2), m.group(3)
    if not looks_secret(name, raw) or _is_masked(raw):
        if len(raw) > 2 and raw[0] in "\"'" and raw[-1] == raw[0]:
            # a quoted command line (``sh -c "oauth2-proxy --client-secret=..."``): look inside
            return f"{name}{sep}{raw[0]}{mask_text(raw[1:-1])}{raw[0]}"
        return m.group(0)
    if sep != "=" and raw[:1] not in "\"'" and ((raw.isalpha() and raw.islower()) or raw.startswith("-")):
        return m.group(0)  # "--client-secret to the value ...": prose, not a separate value
    return f"{name}{sep}{_requote(raw, REDACTED)}"


def _pair(m: re.Match[str]) -> str:
    quote, key, sep, raw = m.group(1), m.group(2), m.group(3), m.group(4)
    if not looks_secret(key, raw) or _is_masked(raw):
        return m.group(0)
    quoted = raw[:1] in "\"'"
    if not quoted and (len(raw) < 8 or not re.search(r"[\d_/+=-]", raw)):
        return m.group(0)  # "verify token: oidc: ...": prose, not a credential
    return f"{quote}{key}{quote}{sep}{_requote(raw, REDACTED)}"


def mask_jwts(text: str) -> str:
    """``text`` with only JWT-shaped runs masked (for messages, where long paths must stay)."""
    if "eyJ" not in text:
        return text
    return _patterns()["jwt"].sub(lambda m: mark(m.group(0)), text)


def mask_text(text: str) -> str:
    """``text`` with every credential it holds by shape or by name masked (one line or many)."""
    if not text or not isinstance(text, str):
        return text
    p = _patterns()
    text = mask_jwts(text)
    if "://" in text:
        text = p["userinfo"].sub(lambda m: m.group(1) + m.group(2) + _keep_or_mark(m.group(3)) + "@", text)
        text = p["userinfo_token"].sub(lambda m: m.group(1) + _keep_or_mark(m.group(2)) + "@", text)
    if "=" in text:
        text = p["query"].sub(lambda m: m.group(1) + _keep_or_mark(m.group(2)), text)
        text = p["oauth2_cookie"].sub(lambda m: m.group(1) + _keep_or_mark(m.group(2)), text)
    text = p["cookie"].sub(
        lambda m: m.group(1) + p["cookie_pair"].sub(lambda c: f"{c.group(1)}={_keep_or_mark(c.group(2))}", m.group(2)),
        text,
    )
    text = p["auth"].sub(_auth, text)
    if "-" in text:
        text = p["option"].sub(_option, text)
        text = p["option_dash"].sub(
            lambda m: m.group(1) + m.group(2) + REDACTED if looks_secret(m.group(1)) else m.group(0), text
        )
    if ":" in text or "=" in text:
        text = p["pair"].sub(_pair, text)
    return p["opaque"].sub(lambda m: mark(m.group(0)), text)


# --- config bodies, argument lists, environment, documents ------------------------------------

def mask_config(text: str) -> str:
    """A config body (TOML, YAML, JSON, an env file) with credential values masked.

    Beyond :func:`mask_text`, a YAML block scalar under a secret-looking key (``clientSecret: |``)
    has all its more-indented lines replaced.
    """
    if not text or not isinstance(text, str):
        return text
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    block_indent: int | None = None
    for line in lines:
        body = line.rstrip("\r\n")
        if block_indent is not None:
            indent = len(body) - len(body.lstrip(" "))
            if not body.strip() or indent > block_indent:
                out.append(" " * indent + REDACTED + line[len(body) :] if body.strip() else line)
                continue
            block_indent = None
        m = _patterns()["block_key"].match(body)
        if m and looks_secret(m.group(3)):
            block_indent = len(m.group(1))  # the key's column: its value is every deeper line
            out.append(line)
            continue
        out.append(mask_text(line))
    return "".join(out)


def mask_args(argv: list[Any]) -> list[Any]:
    """An argument list with credential values masked.

    ``--name=value`` and ``-name=value``, ``--name value`` (the next word), and any word holding
    a whole command line (``sh -c "oauth2-proxy --client-secret=..."``) are handled; a word that
    is not a string is kept.
    """
    out: list[Any] = []
    pending: str | None = None
    for word in argv:
        if not isinstance(word, str):
            out.append(word)
            pending = None
            continue
        if pending is not None:
            # the next word is the value, even when it starts with '-' (Go flag, spf13/pflag)
            out.append(placeholder(pending, word) if looks_secret(pending, word) else mask_text(word))
            pending = None
            continue
        pending = None
        if word.startswith("-") and "=" in word and not any(c.isspace() for c in word):
            name, value = word.split("=", 1)
            out.append(
                f"{name}={placeholder(name, value)}" if looks_secret(name, value) else f"{name}={mask_text(value)}"
            )
            continue
        if word.startswith("-") and not any(c.isspace() for c in word) and looks_secret(word):
            pending = word
            out.append(word)
            continue
        out.append(mask_config(word) if "\n" in word else mask_text(word))
    return out


def mask_env(name: str, value: Any) -> Any:
    """One environment variable's value, masked when its name or its content is a credential."""
    if not isinstance(value, str):
        return value
    if looks_secret(name, value):
        return placeholder(name, value)
    return mask_config(value) if "\n" in value else mask_text(value)


#: How deep :func:`mask_tree` walks; deeper levels are replaced (documents are depth-limited
#: when read, so only a hand-made object reaches this).
MAX_DEPTH = 200


def mask_tree(value: Any, depth: int = 0) -> Any:
    """A copy of a parsed document (Helm values, a config, claims) with every credential masked.

    A scalar under a secret-looking key is redacted; sections under such keys are walked key by
    key; every string is masked by shape (:func:`mask_text`, or :func:`mask_config` when it has
    several lines: a config file held in a value, as the oauth2-proxy chart's ``config.configFile``).
    An argument list (``extraFlags``) is masked as one, so ``--cookie-secret VALUE`` is caught.
    """
    if depth > MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if isinstance(k, str) and not isinstance(v, (dict, list)) and looks_secret(k, v):
                out[k] = v if isinstance(v, str) and _is_masked(v) else REDACTED
            elif isinstance(k, str) and isinstance(v, list) and looks_secret(k) and all(isinstance(x, str) for x in v):
                out[k] = [REDACTED if x else x for x in v]
            else:
                out[k] = mask_tree(v, depth + 1)
        return out
    if isinstance(value, list):
        if value and all(isinstance(x, str) for x in value) and any(x.startswith("-") for x in value):
            return mask_args(value)
        return [mask_tree(v, depth + 1) for v in value]
    if isinstance(value, str):
        return mask_config(value) if "\n" in value else mask_text(value)
    return value


def mask_claims(value: Any, depth: int = 0) -> Any:
    """Token claims with nested credentials (``_claim_sources.*.access_token``, a JWT in any claim,
    a ``clientSecret`` an IdP mapper copied in) masked; credential strings by fingerprint, so the
    ``token`` command can still tell two of them apart."""
    if depth > MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if isinstance(k, str) and isinstance(v, str) and v and looks_secret(k, v):
                out[k] = mark(v)
            else:
                out[k] = mask_claims(v, depth + 1)
        return out
    if isinstance(value, list):
        return [mask_claims(v, depth + 1) for v in value]
    if isinstance(value, str):
        return mask_jwts(value) if "eyJ" in value else value
    return value


def secret_bytes(secret: str) -> bytes:
    """oauth2-proxy's ``encryption.SecretBytes`` (pkg/encryption/utils.go): URL-safe base64
    decoding when that yields 16/24/32 bytes, else the raw bytes."""
    import base64
    import binascii

    s = secret.rstrip("=")
    try:
        b = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        # RawURLEncoding rejects the standard alphabet's + and /
        if "+" not in s and "/" not in s and len(b) in (16, 24, 32):
            return b
    except (binascii.Error, ValueError):
        pass
    return secret.encode()
