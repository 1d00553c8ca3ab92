"""CEL as kube-apiserver's JWT authenticator evaluates it: ``claims`` and ``user`` expressions.

Engine: ``cel-expr-python`` (Google's cel-cpp with Python bindings). It type-checks, has
optional types (``claims.?x``, ``claims[?"k"]``, ``orValue``) and the strings extension, and
its compile errors use cel-go's layout (``ERROR: <input>:1:1: undeclared reference to 'foo'
(in container '')`` with the caret lines). What kube-apiserver's environment adds
(k8s.io/apiserver pkg/authentication/cel/compile.go, pkg/cel/environment/base.go) is added
here: the ``sets`` library, ``__dot__``-style escaped field names (oidc.go
``unescapeWrapper``), and cel-go's runtime error wording (``no such key: hd``).
docs/authn.md records why this engine was chosen over cel-python and
common-expression-language, with measurements.

This module is imported only when a configuration has expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_optional, ext_strings

from oidc_doctor.authn import cel_k8s

CLAIMS = "claims"
USER = "user"

#: CEL reserved words that k8s escapes as ``__word__`` (k8s.io/apiserver pkg/cel/escaping.go).
_RESERVED = frozenset(
    (
        "true false null in as break const continue else for function if import let loop package namespace return var"
    ).split()
)
_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*\Z")


def escape(name: str) -> str | None:
    """k8s's CEL property-name escape (``a.b`` -> ``a__dot__b``), or None when not escapable."""
    if name in _RESERVED:
        return f"__{name}__"
    out = name.replace("__", "__underscores__").replace(".", "__dot__").replace("-", "__dash__")
    out = out.replace("/", "__slash__")
    return out if _IDENT.match(out) else None


def to_cel(value: Any) -> Any:
    """A decoded JSON value as kube-apiserver hands it to CEL.

    JSON numbers are doubles (Go decodes into ``float64``). Maps gain escaped aliases of keys
    that are not identifiers, so ``claims.kubernetes__dot__io`` finds ``"kubernetes.io"`` as
    oidc.go's ``unescapeMapper`` does. (Side effect: such maps report a larger ``size()``.)
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [to_cel(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        aliases: dict[str, Any] = {}
        for k, v in value.items():
            cv = to_cel(v)
            out[str(k)] = cv
            e = escape(str(k))
            if e is not None and e != k:
                aliases[e] = cv
        out.update(aliases)
        return out
    return value


def _same_members(a: list[Any], b: list[Any]) -> bool:
    return all(x in b for x in a) and all(y in a for y in b)


def _sets_extension() -> Any:
    # cel-go ext.Sets(): sets.contains(list, sub), sets.equivalent(a, b), sets.intersects(a, b).
    dyn_list = cel.Type.List(cel.Type.DYN)

    def fn(name: str, impl: Any) -> Any:
        return cel.FunctionDecl(
            f"sets.{name}",
            [cel.Overload(f"sets_{name}_list_list", cel.Type.BOOL, [dyn_list, dyn_list], impl=impl)],
        )

    return cel.CelExtension(
        "sets",
        [
            fn("contains", lambda a, b: all(y in list(a) for y in list(b))),
            fn("equivalent", lambda a, b: _same_members(list(a), list(b))),
            fn("intersects", lambda a, b: any(y in list(a) for y in list(b))),
        ],
    )


def _regex_extension() -> Any:
    # k8s library.Regex: "abc".find(re) (first match or ""), "abc".findAll(re[, n]).
    s, i = cel.Type.STRING, cel.Type.INT
    strings = cel.Type.List(s)

    def find(text: str, pattern: str) -> str:
        m = re.search(pattern, text)
        return m.group(0) if m else ""

    def find_all(text: str, pattern: str, n: int = -1) -> list[str]:
        found = [m.group(0) for m in re.finditer(pattern, text)]
        return found if n < 0 else found[:n]

    return cel.CelExtension(
        "k8s-regex",
        [
            cel.FunctionDecl("find", [cel.Overload("string_find_string", s, [s, s], is_member=True, impl=find)]),
            cel.FunctionDecl(
                "findAll",
                [
                    cel.Overload("string_find_all_string", strings, [s, s], is_member=True, impl=find_all),
                    cel.Overload("string_find_all_string_int", strings, [s, s, i], is_member=True, impl=find_all),
                ],
            ),
        ],
    )


def _lists_extension() -> Any:
    # k8s library.Lists (pkg/cel/library/lists.go), the parts a Python implementation can give:
    # isSorted, sum, min, max on claims/user values (dyn). cel-go's ext.Lists (distinct,
    # flatten, sort, ...) comes from cel-cpp's "lists" library (see _env).
    dyn = cel.Type.DYN
    lst = cel.Type.List(dyn)

    def member(name: str, ret: Any, params: list[Any], impl: Any) -> Any:
        def checked(*args: Any) -> Any:
            try:
                return impl(*args)
            except TypeError:
                # mixed element types: cel-go finds no overload for the comparison or addition
                raise ValueError("no such overload") from None

        return cel.FunctionDecl(name, [cel.Overload(f"list_{name}", ret, params, is_member=True, impl=checked)])

    return cel.CelExtension(
        "k8s-lists",
        [
            member("isSorted", cel.Type.BOOL, [lst], lambda a: list(a) == sorted(list(a))),
            member("sum", dyn, [lst], lambda a: sum(list(a))),
            member("min", dyn, [lst], lambda a: min(list(a))),
            member("max", dyn, [lst], lambda a: max(list(a))),
        ],
    )


_ENVS: dict[str, Any] = {}


def _env(var: str) -> Any:
    if var not in _ENVS:
        dyn = cel.Type.DYN
        # cel-cpp's two-variable comprehensions (all/exists/existsOne/transformList with
        # (index, value) or (key, value)); kube-apiserver enables them from 1.32 (base.go).
        # cel-cpp's "lists" library is cel-go's ext.Lists (distinct, flatten, range, reverse,
        # slice, sort, sortBy; kube-apiserver 1.34+) without first/last.
        config = cel.NewEnvConfigFromYaml(
            'name: "kube-apiserver"\nextensions:\n- name: "two-var-comprehensions"\n- name: "lists"\n'
        )
        _ENVS[var] = cel.NewEnv(
            config=config,
            variables={var: cel.Type.Map(cel.Type.STRING, dyn)},
            extensions=[
                cel_k8s.extension(),
                ext_optional.ExtOptional(),
                ext_strings.ExtStrings(),
                _sets_extension(),
                _regex_extension(),
                _lists_extension(),
            ],
        )
    return _ENVS[var]


class CompileError(Exception):
    """A CEL compile error in cel-go's wording (``compilation failed: ERROR: ...``)."""


class Unsupported(Exception):
    """The expression uses a part of kube-apiserver's CEL environment this engine lacks."""


#: Functions kube-apiserver's environment has (cel-go ext.Lists v3 sortBy/first/last, k8s's
#: format library) and this engine does not; URL/IP/CIDR/quantity/semver are in cel_k8s.
K8S_ONLY_FUNCTIONS = frozenset("sortBy first last format".split())
#: Two-variable macros cel-cpp type-checks but cannot plan (``cel.@mapInsert`` has no overload).
_TWO_VAR = re.compile(r"\.\s*(transformMap|transformMapEntry)\s*\(\s*\w+\s*,\s*\w+\s*,")
_BIND = re.compile(r"\bcel\s*\.\s*bind\s*\(")


def _unsupported_feature(source: str, message: str) -> str | None:
    if "Unsupported map key type" in message:
        # cel-go type-checks a map literal keyed by an optional (`{claims.?email: "x"}`,
        # upstream validation_test.go); cel-cpp refuses it.
        return "a map literal with an optional key"
    code = _without_strings(source)
    if _BIND.search(code):
        # k8s.io/apiserver pkg/cel/environment/base.go enables no ext.Bindings.
        return (
            "cel.bind, which kube-apiserver's CEL environment does not enable "
            "(the API server most likely refuses it)"
        )
    if _TWO_VAR.search(code):
        return "transformMap/transformMapEntry (two-variable comprehensions building maps)"
    used = {n for n in re.findall(r"[A-Za-z_][A-Za-z0-9_.]*(?=\s*\()", code)} & cel_k8s.FUNCTIONS
    if used and "ERROR" in message:
        # A compile error in an expression using the k8s libraries: cel-go names their types
        # (kubernetes.URL, ...) where this engine has tagged maps; do not guess the wording.
        return f"the k8s CEL libraries ({', '.join(sorted(used))}) with a type error whose wording is not emulated"
    names: list[str] = re.findall(r"undeclared reference to '([\w.]+)'", message)
    return next((n for n in names if n.split(".")[-1] in K8S_ONLY_FUNCTIONS), None)


@dataclass
class Program:
    """A compiled expression and its static output type (``bool``, ``dyn``, ...)."""

    source: str
    var: str
    expr: Any
    output: str

    def eval(self, value: Any) -> Result:
        """Evaluate against ``claims`` or ``user``; runtime errors come back in cel-go's words."""
        try:
            r = self.expr.eval(data={self.var: value})
        except RuntimeError as e:
            if cel_k8s.UNKNOWN_MARKER in str(e):
                return Result(kind="unsupported", value=str(e).split(cel_k8s.UNKNOWN_MARKER, 1)[1])
            return Result(kind="error", value=go_runtime_error(str(e)))
        kind = str(r.type().name())
        if kind == "ERROR":
            try:
                msg = r.value()
            except TypeError:
                return Result(kind="optional", value=None)  # an optional value has no Python form
            text = go_runtime_error(str(msg))
            if cel_k8s.UNKNOWN_MARKER in text:
                return Result(kind="unsupported", value=text.split(cel_k8s.UNKNOWN_MARKER, 1)[1])
            if text == _SELECT_ON_VALUE:
                text = self._missing_select(value) or "no such overload"
            return Result(kind="error", value=text)
        if "optional_type" in self.output and not self.output.startswith("optional_type"):
            # A list or map holding optional values (`{"k": claims.?x}`): cel-cpp's
            # plain_value() crashes the process on these, and no claim mapping can use them.
            return Result(kind="other", value=None)
        try:
            plain = r.plain_value()
        except TypeError:
            return Result(kind="other", value=None)
        if isinstance(plain, dict) and cel_k8s.TAG in plain:
            # A URL/IP/CIDR/quantity/semver value itself: cel-go would name its type.
            return Result(kind="unsupported", value=f"a {plain[cel_k8s.TAG]} value as the result")
        return Result(kind=_kind(kind), value=plain)

    def _missing_select(self, value: Any) -> str | None:
        # cel-go qualifies a field on a non-map value as a missing key ("no such key: f",
        # interpreter/attributes.go refQualify); cel-cpp does not name the field, so find the
        # first selection in a `var.a.b.c` chain whose operand is not a map.
        for m in _CHAIN.finditer(_without_strings(self.source)):
            if m.group(1) != self.var:
                continue
            current = value
            for name in re.findall(r"[_A-Za-z][_A-Za-z0-9]*", m.group(2)):
                if not isinstance(current, dict):
                    return f"no such key: {name}"
                if name not in current:
                    break
                current = current[name]
        return None


_CHAIN = re.compile(r"\b([_A-Za-z][_A-Za-z0-9]*)((?:\s*\.\s*[_A-Za-z][_A-Za-z0-9]*(?!\s*\())+)")
_SELECT_ON_VALUE = "select on a value that is not a map"


@dataclass
class UnsupportedProgram:
    """Stands in for an expression this engine cannot run; evaluating it says so."""

    source: str
    feature: str
    output: str = "dyn"

    def eval(self, value: Any) -> Result:
        """Always an ``unsupported`` result naming the missing feature."""
        return Result(kind="unsupported", value=self.feature)


@dataclass
class Result:
    """An evaluation result: kind is string, bool, list, null, map, number, error, other."""

    kind: str
    value: Any


def _kind(type_name: str) -> str:
    t = type_name.upper()
    if t == "STRING":
        return "string"
    if t == "BOOL":
        return "bool"
    if t.startswith("LIST"):
        return "list"
    if t.startswith("NULL"):
        return "null"
    if t.startswith("MAP"):
        return "map"
    if t in ("INT", "UINT", "DOUBLE", "INT64", "UINT64"):
        return "number"
    return "other"


_USER_FIELDS = frozenset(("username", "uid", "groups", "extra"))
_USER_SELECT = re.compile(r"\buser\s*(\.)\s*\??\s*([_A-Za-z][_A-Za-z0-9]*)")


def _user_field_error(source: str) -> str | None:
    # kube-apiserver declares `user` as the object type kubernetes.UserInfo, so cel-go's checker
    # refuses unknown fields at compile time ("undefined field 'x'"); here `user` is a map.
    code = _without_strings(source)
    for m in _USER_SELECT.finditer(code):
        if m.group(2) not in _USER_FIELDS:
            col = m.start(1)
            return f"ERROR: <input>:1:{col + 1}: undefined field '{m.group(2)}'\n | {source}\n | {'.' * col}^"
    return None


def compile_expression(source: str, var: str) -> Program:
    """Compile ``source`` over ``claims`` or ``user``; raises :class:`CompileError`."""
    if var == USER and "\n" not in source:
        bad = _user_field_error(source)
        if bad is not None:
            raise CompileError("compilation failed: " + bad)
    if _TWO_VAR.search(_without_strings(source)):
        raise Unsupported("transformMap/transformMapEntry (two-variable comprehensions building maps)")
    try:
        expr = _env(var).compile(source)
    except RuntimeError as e:
        feature = _unsupported_feature(source, str(e))
        if feature is not None:
            raise Unsupported(feature) from e
        raise CompileError("compilation failed: " + go_type_names(_go_issues(_strip_status(str(e))))) from e
    try:
        out = str(expr.return_type().name()).lower()
    except RuntimeError as e:
        # cel-cpp checks the expression but cannot name some result types (a map keyed by
        # an optional); cel-go accepts these, so this engine only cannot run them.
        raise Unsupported(_unsupported_feature(source, str(e)) or "a result type this engine lacks") from e
    return Program(source=source, var=var, expr=expr, output="bool" if out == "bool" else out)


def go_type_names(text: str) -> str:
    """cel-cpp's type names as cel-go prints them for kube-apiserver's declarations.

    kube-apiserver declares ``claims`` as ``map(string, any)`` (k8s.io/apiserver
    pkg/authentication/cel/compile.go, ``NewMapType(StringType, AnyType)``); this engine
    declares it ``map(string, dyn)``, which type-checks alike (cel-go treats ``any`` as
    dynamic) but prints differently.
    """
    return text.replace("map(string, dyn)", "map(string, any)")


def _strip_status(text: str) -> str:
    # cel-cpp wraps messages as "INVALID_ARGUMENT: <cel-go-like text> [INVALID_ARGUMENT]".
    text = re.sub(r"^[A-Z_]+: ", "", text)
    return re.sub(r" \[[A-Z_]+\]$", "", text)


_UNDECLARED = re.compile(
    r"ERROR: <input>:(\d+):(\d+): undeclared reference to '([\w.]+)' \(in container '([^']*)'\)"
    r"\n \| ([^\n]*)\n \| [. ]*\^"
)


def _go_issues(text: str) -> str:
    """cel-go names the leftmost identifier of an unresolved qualified name (``'claims'``, not
    ``'claims.x'``), at that identifier's column; cel-cpp names the whole path."""

    def fix(m: re.Match[str]) -> str:
        line, name, container, src = m.group(1), m.group(3), m.group(4), m.group(5)
        if "." not in name:
            return m.group(0)
        first = name.split(".")[0]
        pos = src.find(name)
        pos = pos if pos >= 0 else max(int(m.group(2)) - 1, 0)
        head = f"ERROR: <input>:{line}:{pos + 1}: undeclared reference to '{first}' (in container '{container}')"
        return f"{head}\n | {src}\n | {'.' * pos}^"

    return _UNDECLARED.sub(fix, text)


_KEY_NOT_FOUND = re.compile(r'Key not found in map\s*:\s*"?(.*?)"?\s*$')
_INDEX = re.compile(r"index=(-?\d+) size=(\d+)")


def go_runtime_error(text: str) -> str:
    """cel-cpp's runtime error text rewritten to cel-go's (what kube-apiserver logs)."""
    t = _strip_status(text)
    m = _KEY_NOT_FOUND.search(t)
    if m:
        return f"no such key: {m.group(1)}"
    if "No matching overloads" in t or "no matching overload" in t:
        return "no such overload"
    m = _INDEX.search(t)
    if m:
        # An index on a claims/user attribute is qualified by cel-go's attribute resolver, which
        # says "index out of bounds: N" (interpreter/attributes.go missingIndex).
        return f"index out of bounds: {m.group(1)}"
    if t == "divide by zero":
        return "division by zero"
    if t.startswith("Applying SELECT to non-message type"):
        return _SELECT_ON_VALUE
    return t


def _selects(source: str, field: str) -> bool:
    # validation.go hasSelectExp(ast, "claims", field): a select (or optional select `.?`)
    # of `field` whose operand is the identifier `claims` itself, so `claims.email` and
    # `claims.?email` count but `claims.other.claims.email` does not (there the operand of
    # `.email` is a select expression, not the identifier).
    pattern = re.compile(r"(?<![\w.])(\.?)\s*claims\s*\.\s*\??\s*" + field + r"(?![A-Za-z0-9_])")
    code = _without_strings(source)
    for m in pattern.finditer(code):
        if m.group(1):
            continue  # `.claims` is a field of something else, or a leading-dot global name
        before = code[: m.start()].rstrip()
        if before.endswith("."):
            continue  # `x . claims.email`
        return True
    return False


def uses_email(source: str) -> bool:
    """Whether an expression selects ``claims.email`` (validation.go ``usesEmailClaim``)."""
    return _selects(source, "email")


def uses_email_verified(source: str) -> bool:
    """Whether an expression selects ``claims.email_verified``."""
    return _selects(source, "email_verified")


def _without_strings(source: str) -> str:
    return re.sub(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", '""', source)
