"""Kubernetes' CEL libraries for URLs, IPs, CIDRs, quantities and semantic versions.

kube-apiserver's CEL environment (k8s.io/apiserver ``pkg/cel/environment/base.go``) adds
``pkg/cel/library`` ``urls.go`` (1.0+), ``quantity.go`` (1.28+), ``ip.go`` and ``cidr.go``
(1.30+) and ``semverlib.go`` (1.33+). cel-expr-python cannot carry opaque values through
Python functions, so a URL, IP, CIDR, quantity or semver value is a map tagged
``{"__k8s__": "<kind>", ...}`` whose member functions check the tag (an untagged value gets
cel-go's ``no such overload``).

Only inputs whose meaning is certain are evaluated: the parsers accept a conservative subset
of what Go's ``net/url``, ``net/netip``, ``k8s.io/apimachinery/pkg/api/resource`` and
``blang/semver/v4`` accept, and everything else (including every input those parsers reject,
whose error wording this module does not reproduce) raises :class:`Unknown`, which the
evaluator reports as an unknown outcome naming the expression.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Any

from cel_expr_python import cel

TAG = "__k8s__"
#: Marker of an evaluation this module refuses to guess (see :class:`Unknown`).
UNKNOWN_MARKER = "oidc-doctor-unknown: "

#: Function names this module declares (the compile step uses them to spot library use).
FUNCTIONS = frozenset(
    (
        "url isURL getScheme getHost getHostname getPort getEscapedPath getQuery "
        "ip isIP ip.isCanonical family isUnspecified isLoopback isLinkLocalMulticast isLinkLocalUnicast "
        "isGlobalUnicast cidr isCIDR containsIP containsCIDR prefixLength masked "
        "quantity isQuantity sign isGreaterThan isLessThan compareTo asApproximateFloat asInteger isInteger "
        "add sub semver isSemver major minor patch"
    ).split()
)


class Unknown(ValueError):
    """An input whose result (or error wording) in kube-apiserver is not certain here."""

    def __init__(self, why: str) -> None:
        super().__init__(UNKNOWN_MARKER + why)


def _no_overload() -> ValueError:
    return ValueError("no such overload")


def _tagged(value: Any, kind: str) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get(TAG) != kind:
        raise _no_overload()
    return value


# --- URLs (urls.go: url.ParseRequestURI then url.Parse) ---------------------------------------

_URL_ABS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<host>[A-Za-z0-9.\-]*)(?::(?P<port>[0-9]*))?"
    r"(?P<path>/[A-Za-z0-9\-._~/$&+,;=:@]*)?(?:\?(?P<query>[A-Za-z0-9\-._~/=&+,:@]*))?\Z"
)
_URL_PATH = re.compile(r"(?P<path>/[A-Za-z0-9\-._~/$&+,;=:@]*)(?:\?(?P<query>[A-Za-z0-9\-._~/=&+,:@]*))?\Z")
_GO_SCHEME_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _parse_url(s: str) -> dict[str, Any]:
    m = _URL_ABS.match(s)
    if m:
        host = m.group("host") + (f":{m.group('port')}" if m.group("port") is not None else "")
        return {
            TAG: "URL",
            "scheme": m.group("scheme").lower(),
            "host": host,
            "hostname": m.group("host"),
            "port": m.group("port") or "",
            "path": m.group("path") or "",
            "query": m.group("query") or "",
        }
    m = _URL_PATH.match(s)
    if m:
        return {
            TAG: "URL",
            "scheme": "",
            "host": "",
            "hostname": "",
            "port": "",
            "path": m.group("path"),
            "query": m.group("query") or "",
        }
    raise Unknown(f"url({s!r}): outside the URL forms this emulation parses")


def _is_url(s: str) -> bool:
    try:
        _parse_url(s)
        return True
    except Unknown:
        pass
    if s == "" or (not s.startswith("/") and not _GO_SCHEME_PREFIX.match(s)):
        return False  # Go: "empty url" / "invalid URI for request"
    raise Unknown(f"isURL({s!r}): outside the URL forms this emulation parses")


def _query(u: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in str(_tagged(u, "URL")["query"]).split("&"):
        if part == "":
            continue
        k, _, v = part.partition("=")
        out.setdefault(k.replace("+", " "), []).append(v.replace("+", " "))
    return out


# --- IPs and CIDRs (ip.go, cidr.go: net/netip) ------------------------------------------------

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_ip(s: str) -> _IP:
    if "%" in s or not re.fullmatch(r"[0-9A-Fa-f:.]+", s):
        raise Unknown(f"ip({s!r}): not an address this emulation parses")
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        raise Unknown(f"ip({s!r}): kube-apiserver's parse error") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise Unknown(f"ip({s!r}): IPv4-mapped IPv6 addresses are refused")
    return addr


def _ip_value(s: str) -> dict[str, Any]:
    return {TAG: "IP", "v": str(_parse_ip(s))}


def _addr(v: Any) -> _IP:
    return ipaddress.ip_address(str(_tagged(v, "IP")["v"]))


def _is_ip(s: str) -> bool:
    # ip.go isIP: any parse failure (zones and IPv4-mapped IPv6 included) is false.
    try:
        _parse_ip(s)
    except Unknown:
        return False
    return True


def _link_local_multicast(a: _IP) -> bool:
    if isinstance(a, ipaddress.IPv4Address):
        return a in ipaddress.ip_network("224.0.0.0/24")
    return (int(a) >> 112) & 0xFF0F == 0xFF02


def _global_unicast(a: _IP) -> bool:
    # netip.Addr.IsGlobalUnicast (private and ULA addresses count as global unicast).
    if isinstance(a, ipaddress.IPv4Address) and int(a) in (0, 0xFFFFFFFF):
        return False
    return not (a.is_unspecified or a.is_loopback or a.is_multicast or a.is_link_local)


def _parse_cidr(s: str) -> tuple[_IP, int]:
    m = re.fullmatch(r"([0-9A-Fa-f:.]+)/(0|[1-9][0-9]{0,2})", s)
    if not m:
        raise Unknown(f"cidr({s!r}): not a prefix this emulation parses")
    addr = _parse_ip(m.group(1))
    bits = int(m.group(2))
    if bits > addr.max_prefixlen:
        raise Unknown(f"cidr({s!r}): kube-apiserver's parse error")
    return addr, bits


def _cidr_value(s: str) -> dict[str, Any]:
    addr, bits = _parse_cidr(s)
    return {TAG: "CIDR", "v": f"{addr}/{bits}"}


def _network(v: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(str(_tagged(v, "CIDR")["v"]), strict=False)


def _contains_ip(c: Any, other: Any) -> bool:
    ip = _addr(_ip_value(other) if isinstance(other, str) else other)
    net = _network(c)
    return ip.version == net.version and ip in net


def _contains_cidr(c: Any, other: Any) -> bool:
    inner = _network(_cidr_value(other) if isinstance(other, str) else other)
    outer = _network(c)
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _is_cidr(s: str) -> bool:
    # cidr.go isCIDR: any parse failure is false.
    try:
        _parse_cidr(s)
    except Unknown:
        return False
    return True


def _cidr_ip(c: Any) -> dict[str, Any]:
    # netip.Prefix.Addr(): the address as written, not masked.
    return {TAG: "IP", "v": str(_tagged(c, "CIDR")["v"]).rsplit("/", 1)[0]}


def _string(v: Any) -> str:
    if isinstance(v, dict) and v.get(TAG) in ("IP", "CIDR"):
        return str(v["v"])
    raise _no_overload()


# --- quantities (quantity.go: resource.ParseQuantity) -----------------------------------------

_QUANTITY = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?\Z")
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def _parse_quantity(s: str) -> Decimal:
    m = _QUANTITY.match(s)
    if not m:
        raise Unknown(f"quantity({s!r}): not a quantity this emulation parses")
    suffix = m.group(3) or ""
    scale = Decimal(10) ** int(suffix[1:]) if suffix[:1] in ("e", "E") else _SUFFIX[suffix]
    value = Decimal(m.group(2)) * scale
    return -value if m.group(1) == "-" else value


def _quantity_value(s: str) -> dict[str, Any]:
    return {TAG: "Quantity", "v": str(_parse_quantity(s))}


def _q(v: Any) -> Decimal:
    return Decimal(str(_tagged(v, "Quantity")["v"]))


def _is_quantity(s: str) -> bool:
    if _QUANTITY.match(s):
        return True
    if not s or s[0] not in "+-.0123456789":
        return False
    raise Unknown(f"isQuantity({s!r}): outside the forms this emulation parses")


def _as_integer(v: Any) -> int:
    d = _q(v)
    if d != d.to_integral_value() or not -(2**63) <= d < 2**63:
        raise Unknown("asInteger(): kube-apiserver's conversion error")
    return int(d)


def _is_integer(v: Any) -> bool:
    d = _q(v)
    if d == d.to_integral_value() and -(2**63) <= d < 2**63:
        return True
    raise Unknown("isInteger(): depends on how resource.Quantity stores the value")


def _cmp(a: Any, b: Any) -> int:
    if isinstance(a, dict) and a.get(TAG) == "Semver":
        return _semver_cmp(_tagged(a, "Semver"), _tagged(b, "Semver"))
    x, y = _q(a), _q(b)
    return (x > y) - (x < y)


def _arith(a: Any, b: Any, sign: int) -> dict[str, Any]:
    other = Decimal(b) if isinstance(b, int) else _q(b)
    return {TAG: "Quantity", "v": str(_q(a) + sign * other)}


# --- semantic versions (semverlib.go: blang/semver/v4) ----------------------------------------

_NUM = r"(?:0|[1-9]\d*)"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[A-Za-z\-][0-9A-Za-z\-]*)"
_SEMVER = re.compile(
    rf"({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?\Z"
)


def _normalize(s: str) -> str:
    # semverlib.go normalizeAndParse
    s = s.removeprefix("v")
    parts = s.split(".", 2)
    for i, p in enumerate(parts):
        if len(p) > 1:
            p = p.lstrip("0")
            if not p or not p[0].isdigit():
                p = "0" + p
            parts[i] = p
    if len(parts) < 3:
        if any(c in parts[-1] for c in "+-"):
            raise Unknown("semver(): short version with pre-release or build metadata")
        parts += ["0"] * (3 - len(parts))
    return ".".join(parts)


def _semver_value(s: str, normalize: bool = False) -> dict[str, Any]:
    text = _normalize(s) if normalize else s
    m = _SEMVER.match(text)
    if not m or any(int(m.group(i)) >= 2**64 for i in (1, 2, 3)):
        raise Unknown(f"semver({s!r}): blang/semver's parse error")
    return {
        TAG: "Semver",
        "major": int(m.group(1)),
        "minor": int(m.group(2)),
        "patch": int(m.group(3)),
        "pre": m.group(4) or "",
    }


def _is_semver(s: str, normalize: bool = False) -> bool:
    try:
        _semver_value(s, normalize)
        return True
    except Unknown:
        return False


def _semver_cmp(a: dict[str, Any], b: dict[str, Any]) -> int:
    for k in ("major", "minor", "patch"):
        if a[k] != b[k]:
            return 1 if a[k] > b[k] else -1
    pa, pb = str(a["pre"]), str(b["pre"])
    if pa == pb:
        return 0
    if not pa or not pb:
        return 1 if not pa else -1  # a version without pre-release is greater
    xs, ys = pa.split("."), pb.split(".")
    for x, y in zip(xs, ys, strict=False):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return 1 if int(x) > int(y) else -1
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1  # numeric identifiers sort first
        return 1 if x > y else -1
    return (len(xs) > len(ys)) - (len(xs) < len(ys))


def _semver_field(name: str) -> Any:
    return lambda v: int(_tagged(v, "Semver")[name])


# --- declarations -----------------------------------------------------------------------------


def extension() -> Any:
    """The libraries as one cel-expr-python extension (tagged maps stand for the values)."""
    s, b, i, d = cel.Type.STRING, cel.Type.BOOL, cel.Type.INT, cel.Type.DOUBLE
    v = cel.Type.Map(s, cel.Type.DYN)
    query = cel.Type.Map(s, cel.Type.List(s))

    def glob(name: str, ret: Any, params: list[Any], impl: Any, oid: str) -> Any:
        return cel.Overload(oid, ret, params, impl=impl)

    def member(ret: Any, params: list[Any], impl: Any, oid: str) -> Any:
        return cel.Overload(oid, ret, params, is_member=True, impl=impl)

    def fn(name: str, *overloads: Any) -> Any:
        return cel.FunctionDecl(name, list(overloads))

    def url_field(key: str) -> Any:
        return lambda u: str(_tagged(u, "URL")[key])

    return cel.CelExtension(
        "k8s-url-ip-cidr-quantity-semver",
        [
            fn("url", glob("url", v, [s], _parse_url, "string_to_url")),
            fn("isURL", glob("isURL", b, [s], _is_url, "is_url_string")),
            fn("getScheme", member(s, [v], url_field("scheme"), "url_get_scheme")),
            fn("getHost", member(s, [v], url_field("host"), "url_get_host")),
            fn("getHostname", member(s, [v], url_field("hostname"), "url_get_hostname")),
            fn("getPort", member(s, [v], url_field("port"), "url_get_port")),
            fn("getEscapedPath", member(s, [v], url_field("path"), "url_get_escaped_path")),
            fn("getQuery", member(query, [v], _query, "url_get_query")),
            fn(
                "ip",
                glob("ip", v, [s], _ip_value, "string_to_ip"),
                member(v, [v], _cidr_ip, "cidr_ip"),
            ),
            fn("isIP", glob("isIP", b, [s], _is_ip, "is_ip")),
            fn("ip.isCanonical", glob("ip.isCanonical", b, [s], lambda x: str(_parse_ip(x)) == x, "ip_is_canonical")),
            fn("family", member(i, [v], lambda x: _addr(x).version, "ip_family")),
            fn("isUnspecified", member(b, [v], lambda x: _addr(x).is_unspecified, "ip_is_unspecified")),
            fn("isLoopback", member(b, [v], lambda x: _addr(x).is_loopback, "ip_is_loopback")),
            fn("isLinkLocalMulticast", member(b, [v], lambda x: _link_local_multicast(_addr(x)), "ip_llm")),
            fn("isLinkLocalUnicast", member(b, [v], lambda x: _addr(x).is_link_local, "ip_llu")),
            fn("isGlobalUnicast", member(b, [v], lambda x: _global_unicast(_addr(x)), "ip_gu")),
            fn("string", glob("string", s, [v], _string, "k8s_value_to_string")),
            fn("cidr", glob("cidr", v, [s], _cidr_value, "string_to_cidr")),
            fn("isCIDR", glob("isCIDR", b, [s], _is_cidr, "is_cidr")),
            fn(
                "containsIP",
                member(b, [v, s], _contains_ip, "cidr_contains_ip_string"),
                member(b, [v, v], _contains_ip, "cidr_contains_ip_ip"),
            ),
            fn(
                "containsCIDR",
                member(b, [v, s], _contains_cidr, "cidr_contains_cidr_string"),
                member(b, [v, v], _contains_cidr, "cidr_contains_cidr"),
            ),
            fn("prefixLength", member(i, [v], lambda c: _network(c).prefixlen, "cidr_prefix_length")),
            fn("masked", member(v, [v], lambda c: {TAG: "CIDR", "v": str(_network(c))}, "cidr_masked")),
            fn("quantity", glob("quantity", v, [s], _quantity_value, "string_to_quantity")),
            fn("isQuantity", glob("isQuantity", b, [s], _is_quantity, "is_quantity_string")),
            # quantity.go declares sign as a global overload (cel.Overload), though its comment
            # shows `<Quantity>.sign()`; cel-go resolves only `sign(q)` for such a declaration.
            fn("sign", glob("sign", i, [v], lambda q: (_q(q) > 0) - (_q(q) < 0), "quantity_sign")),
            fn("isGreaterThan", member(b, [v, v], lambda a, c: _cmp(a, c) > 0, "k8s_is_greater_than")),
            fn("isLessThan", member(b, [v, v], lambda a, c: _cmp(a, c) < 0, "k8s_is_less_than")),
            fn("compareTo", member(i, [v, v], _cmp, "k8s_compare_to")),
            fn("asApproximateFloat", member(d, [v], lambda q: float(_q(q)), "quantity_get_float")),
            fn("asInteger", member(i, [v], _as_integer, "quantity_get_int")),
            fn("isInteger", member(b, [v], _is_integer, "quantity_is_integer")),
            fn(
                "add",
                member(v, [v, v], lambda a, c: _arith(a, c, 1), "quantity_add"),
                member(v, [v, i], lambda a, c: _arith(a, c, 1), "quantity_add_int"),
            ),
            fn(
                "sub",
                member(v, [v, v], lambda a, c: _arith(a, c, -1), "quantity_sub"),
                member(v, [v, i], lambda a, c: _arith(a, c, -1), "quantity_sub_int"),
            ),
            fn(
                "semver",
                glob("semver", v, [s], _semver_value, "string_to_semver"),
                glob("semver", v, [s, b], _semver_value, "string_bool_to_semver"),
            ),
            fn(
                "isSemver",
                glob("isSemver", b, [s], _is_semver, "is_semver_string"),
                glob("isSemver", b, [s, b], _is_semver, "is_semver_string_bool"),
            ),
            fn("major", member(i, [v], _semver_field("major"), "semver_major")),
            fn("minor", member(i, [v], _semver_field("minor"), "semver_minor")),
            fn("patch", member(i, [v], _semver_field("patch"), "semver_patch")),
        ],
    )
