"""Log line shapes: prefixes, timestamps and the message of each format we read.

Formats (all handled per line, so a file may mix them):

- **klog text** (every Kubernetes component): ``E0614 00:29:57.960378       1 authentication.go:75] msg``.
  No year; the time is the server's local time, which is UTC in nearly every control-plane
  container (k8s.io/klog/v2 ``klog.go`` ``formatHeader``).
- **JSON logs** (``--logging-format=json``): one object per line, ``"ts"`` in Unix seconds
  (float), ``"msg"``, ``"err"`` (k8s.io/component-base/logs/json).
- **Prefixes** added by the collector, stripped before the line is read: ``kubectl logs
  --timestamps`` (RFC 3339 with nanoseconds), the CRI file format of ``/var/log/pods``
  (``<RFC 3339> stderr F ``), journald short (``Jul 22 11:41:09 host k3s[1234]: ``) and short-iso
  (``2022-07-22T11:41:09+0000 host k3s[1234]: ``).
- **oauth2-proxy**: standard log ``[2020/10/14 15:50:02] [file.go:NN] msg`` and auth log
  ``client - reqid - user [2020/10/14 15:50:02] [AuthSuccess] msg`` (oauth2-proxy
  ``docs/docs/configuration/overview.md`` "Logging Configuration").
- **nginx / ingress-nginx**: error log ``2020/10/14 15:50:02 [error] 38#38: *1 msg`` and access
  log ``ip - - [14/Oct/2020:15:50:02 +0000] "GET / HTTP/1.1" ...``.
"""

from __future__ import annotations

import re

from oidc_doctor.dates import UTC, datetime, timedelta

_MONTHS = {m: i for i, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), 1)}

# Collector prefixes. Group "ts" is a full timestamp when the prefix carries one.
_RFC3339 = rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_PREFIX = re.compile(
    rb"^(?:"
    # kubectl logs --timestamps, and the CRI log file format "<ts> stdout|stderr F|P ".
    rb"(?P<ts>" + _RFC3339 + rb") (?:(?:stdout|stderr) [FP] )?"
    # journald short / short-precise: "Jul 22 11:41:09[.123456] host ident[pid]: ".
    rb"|(?P<jmon>[A-Z][a-z]{2}) +(?P<jday>\d{1,2}) (?P<jtime>\d\d:\d\d:\d\d)(?:\.\d+)?"
    rb" \S+ [^\s:\[]+(?:\[\d+\])?: "
    # journald short-iso: "2022-07-22T11:41:09+0000 host ident[pid]: ".
    rb"|(?P<jiso>" + _RFC3339 + rb") \S+ [^\s:\[]+(?:\[\d+\])?: "
    rb")"
)
_KLOG = re.compile(rb"^([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6}) +\d+ ([^\]\s]+)\] ")
_PROXY_TS = re.compile(rb"\[(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)\]")
# nginx error log "2020/10/14 15:50:02 [error] ", and oauth2-proxy before v6 (Go's default logger,
# "2019/03/27 12:00:00 oauthproxy.go:782: ").
_NGINX_ERR = re.compile(rb"^(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) (?:\[\w+\] |[\w.-]+\.go:\d+: )")
_ACCESS_TS = re.compile(rb"\[(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]")
_BRACKET_TS = re.compile(rb"^\[(" + _RFC3339 + rb")\] ")
_JSON_TS = re.compile(rb'"(?:ts|time|timestamp)"\s*:\s*(?:(\d{9,}(?:\.\d+)?)|"(' + _RFC3339 + rb')")')


def strip_prefix(line: bytes) -> tuple[bytes, datetime | None, tuple[int, int, str] | None]:
    """Remove a collector prefix; return the rest, its full time if any, and a yearless time.

    The yearless time is ``(month, day, "hh:mm:ss")`` from a journald short prefix.
    """
    m = _PREFIX.match(line)
    if not m:
        return line, None, None
    rest = line[m.end() :]
    if m.group("ts") is not None:
        return rest, _rfc3339(m.group("ts")), None
    if m.group("jiso") is not None:
        return rest, _rfc3339(m.group("jiso")), None
    mon = _MONTHS.get(m.group("jmon").decode().lower())
    if mon is None:
        return line, None, None
    return rest, None, (mon, int(m.group("jday")), m.group("jtime").decode())


def _rfc3339(raw: bytes) -> datetime | None:
    s = raw.decode("ascii", "replace").replace(" ", "T", 1)
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    elif len(s) >= 5 and s[-5] in "+-" and s[-4:].isdigit() and ":" not in s[-5:]:
        s = s[:-2] + ":" + s[-2:]  # journald short-iso "+0000"
    head, dot, frac = s.partition(".")
    if dot:  # Python accepts at most 6 fractional digits; kubectl prints 9.
        digits = "".join(ch for ch in frac if ch.isdigit())
        zone = frac[len(digits) :]
        s = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def infer_year(month: int, day: int, ref: datetime | None) -> int:
    """The year of a yearless ``month/day`` seen in a log read at time ``ref``.

    A log never runs ahead of the moment it is read, so a date more than two days after
    ``ref`` belongs to the year before (a December line read in January).
    """
    if ref is None:
        return datetime.now(UTC).year
    year = ref.year
    try:
        if datetime(year, month, day, tzinfo=UTC) - ref > timedelta(days=2):  # no overflow near year 9999
            year -= 1
    except ValueError:  # 29 February in a non-leap reference year
        year -= 1
    return year


def _yearless(month: int, day: int, hms: tuple[int, int, int], micro: int, ref: datetime | None) -> datetime | None:
    year = infer_year(month, day, ref)
    for y in (year, year - 1, year - 2, year - 3):  # 29 February needs a leap year
        try:
            return datetime(y, month, day, *hms, micro, tzinfo=UTC)
        except ValueError:
            continue
    return None


def line_time(line: bytes, ref: datetime | None) -> datetime | None:
    """The time of one raw log line (any format), or None when it carries none.

    ``ref`` supplies the year for formats without one (klog, journald short).
    """
    body, full, jl = strip_prefix(line)
    if full is not None:
        return full
    m = _KLOG.match(body)
    if m:
        g = m.groups()
        return _yearless(int(g[1]), int(g[2]), (int(g[3]), int(g[4]), int(g[5])), int(g[6]), ref)
    if jl is not None:
        h, mi, s = (int(x) for x in jl[2].split(":"))
        return _yearless(jl[0], jl[1], (h, mi, s), 0, ref)
    if body.startswith(b"{"):
        m = _JSON_TS.search(body)
        if m:
            if m.group(1):
                try:
                    return datetime.fromtimestamp(float(m.group(1)), UTC)
                except (OverflowError, ValueError, OSError):
                    return None
            return _rfc3339(m.group(2))
    m = _BRACKET_TS.match(body)
    if m:  # kube-oidc-proxy's access log: "[2006-01-02T15:04:05-0700] AuFail ..."
        return _rfc3339(m.group(1))
    m = _NGINX_ERR.match(body) or _PROXY_TS.search(body, 0, 200)
    if m:
        y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
        try:
            return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
        except ValueError:
            return None
    m = _ACCESS_TS.search(body, 0, 200)
    if m:
        mon = _MONTHS.get(m.group(2).decode().lower())
        if mon is None:
            return None
        try:
            t = datetime.strptime(
                f"{m.group(3).decode()}-{mon:02d}-{m.group(1).decode()}T{m.group(4).decode()}:"
                f"{m.group(5).decode()}:{m.group(6).decode()}{m.group(7).decode()}",
                "%Y-%m-%dT%H:%M:%S%z",
            )
        except ValueError:
            return None
        return t.astimezone(UTC)
    m = _JSON_TS.search(body, 0, 300)  # a JSON object after a prefix (vcluster's zap output)
    if m and m.group(2):
        return _rfc3339(m.group(2))
    return None


def klog_source(body: bytes) -> str | None:
    """``file.go:NN`` of a klog line (after prefix stripping), or None."""
    m = _KLOG.match(body)
    return m.group(8).decode("utf-8", "replace") if m else None


def klog_message(body: bytes) -> bytes:
    """The message part of a klog line, or the body unchanged."""
    m = _KLOG.match(body)
    return body[m.end() :] if m else body


_GO_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}


def go_unquote_at(text: str, start: int) -> tuple[str, int]:
    """Undo Go ``strconv.Quote`` for the string whose opening quote is at ``start``.

    Returns the value and the index after the closing quote (or the end of the text when the
    line was cut). klog's structured ``err="..."`` values are quoted this way
    (k8s.io/klog/v2 ``internal/serialize``).
    """
    close = text.find('"', start + 1)
    if close != -1 and text.find("\\", start + 1, close) == -1:
        return text[start + 1 : close], close + 1  # nothing escaped: the common case
    out: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = text[i + 1]
        if e in _GO_ESCAPES:
            out.append(_GO_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = text[i + 2 : i + 2 + width]
            try:
                code = int(digits, 16)
                out.append(chr(code) if e != "x" else bytes([code]).decode("latin-1"))
                i += 2 + width
            except ValueError:
                out.append(c)
                i += 1
        elif e in "01234567" and i + 3 < n:
            try:
                out.append(chr(int(text[i + 1 : i + 4], 8)))
                i += 4
            except ValueError:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out), n
