"""Go's formatting rules, so predicted error strings match what kube-apiserver logs byte for byte.

kube-apiserver's messages are built with Go's ``fmt`` verbs (``%q`` on strings and string
slices, ``%v`` on ``time.Time``) and carry ``encoding/json`` error texts. This module renders
the same text from Python values.
"""

from __future__ import annotations

from oidc_doctor.dates import UTC, datetime, timedelta

_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _go_printable(ch: str) -> bool:
    # strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    if " " <= ch <= "~":
        return True  # printable ASCII (the common case: no Unicode table needed)
    import unicodedata  # here: predict's start-up does not need the table for ASCII text

    return unicodedata.category(ch)[0] in "LMNPS"


def quote(s: str) -> str:
    """Go's ``strconv.Quote`` / ``fmt`` ``%q`` of a string."""
    out = ['"']
    for ch in s:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif _go_printable(ch):
            out.append(ch)
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\\ufffd")  # Go strings hold no lone surrogates; they decode as U+FFFD
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def quote_list(items: list[str] | tuple[str, ...]) -> str:
    """``%q`` of a ``[]string``: ``["a" "b"]``; an empty or nil slice prints ``[]``."""
    return "[" + " ".join(quote(i) for i in items) + "]"


def list_v(items: list[str] | tuple[str, ...]) -> str:
    """``%v``/``%s`` of a ``[]string``: ``[a b]``."""
    return "[" + " ".join(items) + "]"


GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def unix_time(seconds: int) -> datetime | None:
    """``time.Unix(seconds, 0)`` as aware UTC; None when Python cannot represent it."""
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except OverflowError:
        return None


def time_string(t: datetime | None, *, unix: int | None = None) -> str:
    """Go's ``time.Time.String()`` in UTC: ``2009-11-10 22:00:00 +0000 UTC``.

    Go prints the server's local zone; a control plane runs in UTC, and the tool states that
    assumption. Fractional seconds are printed with trailing zeros trimmed, as Go does.
    ``unix`` renders an out-of-range Unix time the way Go would still print a year.
    """
    if t is None:
        return _far_time(unix or 0)
    t = t.astimezone(UTC)
    frac = ""
    if t.microsecond:
        frac = ("." + f"{t.microsecond:06d}").rstrip("0")
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t:%H:%M:%S}{frac} +0000 UTC"


def _far_time(seconds: int) -> str:
    # Civil-from-days (H. Hinnant's algorithm) for years Python's datetime cannot hold.
    days, rem = divmod(seconds, 86400)
    days += 719468
    era = (days if days >= 0 else days - 146096) // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    if m <= 2:
        y += 1
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    return f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d} +0000 UTC"


def json_kind(value: object) -> str:
    """The JSON kind name Go's ``UnmarshalTypeError`` prints: number, string, bool, array, object."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def unmarshal_error(value: object, go_type: str) -> str:
    """``json: cannot unmarshal <kind> into Go value of type <type>``."""
    return f"json: cannot unmarshal {json_kind(value)} into Go value of type {go_type}"


def unmarshal_field_error(value: object, struct: str, field: str, go_type: str) -> str:
    """The struct-field form: ``json: cannot unmarshal number into Go struct field idToken.sub of type string``."""
    return f"json: cannot unmarshal {json_kind(value)} into Go struct field {struct}.{field} of type {go_type}"


def aggregate(messages: list[str]) -> str:
    """``utilerrors.NewAggregate(...).Error()``: one message as is, several as ``[a, b]`` (deduplicated)."""
    seen: list[str] = []
    for m in messages:
        if m not in seen:
            seen.append(m)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"
