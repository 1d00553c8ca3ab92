"""Transcribe kube-apiserver's validation test tables into ``validation_cases.json``.

Source: kubernetes/apiserver ``pkg/apis/apiserver/validation/validation_test.go`` (the
``TestValidate*`` tables about JWT authenticators and AuthenticationConfiguration). The Go
file is read from a local checkout; this script parses the Go composite literals of each
table (``api.Issuer{URL: "x"}``, ``[]string{"a"}``, ``ptr.To("p")``, raw and quoted strings)
into plain data and renames Go field names to the JSON names of the v1 API
(``DiscoveryURL`` -> ``discoveryURL``). Entries the parser cannot turn into data (Go
``func`` literals) are written with ``"skip"`` and the reason.

Usage (regenerates the JSON next to this file)::

    git -C <apiserver checkout> show <commit>:pkg/apis/apiserver/validation/validation_test.go \
        > /tmp/validation_test.go
    python tests/authn/upstream/transcribe_validation.py /tmp/validation_test.go <commit>

The JSON is committed; the tests read only the JSON.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

# --- a small Go expression parser (composite literals, calls, strings) ----------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<comment>//[^\n]*|/\*.*?\*/)
    | (?P<raw>`[^`]*`)
    | (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<punct>\[\]|:=|[{}()\[\],:&*])
    | (?P<other>\S)
    )""",
    re.X | re.S,
)


class Call:
    """A Go call expression ``name(args)`` kept as data."""

    def __init__(self, name: str, args: list[Any]) -> None:
        self.name = name
        self.args = args

    def __repr__(self) -> str:
        return f"Call({self.name}, {self.args})"


class Unparsed:
    """A Go construct this transcriber does not turn into data (``func`` literals)."""

    def __init__(self, what: str) -> None:
        self.what = what


def tokens(src: str) -> list[tuple[str, str]]:
    """Go tokens (kind, text), comments dropped."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            if src[pos:].strip() == "":
                break
            raise ValueError(f"cannot tokenize at {src[pos : pos + 40]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "comment":
            out.append((kind, m.group(kind)))
    return out


def _go_string(kind: str, text: str) -> str:
    if kind == "raw":
        return text[1:-1]
    return str(json.loads(text))


class Parser:
    """Recursive descent over the token list."""

    def __init__(self, toks: list[tuple[str, str]]) -> None:
        self.t = toks
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, str]:
        return self.t[self.i + k] if self.i + k < len(self.t) else ("eof", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if text is not None and tok[1] != text:
            raise ValueError(f"expected {text!r}, got {tok!r} at token {self.i}")
        self.i += 1
        return tok

    def type_name(self) -> str:
        # []T, map[K]V, pkg.T, *T
        name = ""
        while True:
            kind, text = self.peek()
            if text in ("[]", "*", "&"):
                name += self.take()[1]
            elif text == "map":
                self.take()
                self.take("[")
                k = self.type_name()
                self.take("]")
                name += f"map[{k}]"
            elif kind == "ident":
                name += self.take()[1]
                return name
            else:
                return name

    def value(self) -> Any:
        kind, text = self.peek()
        if kind in ("raw", "str"):
            self.take()
            s = _go_string(kind, text)
            return s
        if kind == "num":
            self.take()
            return float(text) if "." in text else int(text)
        if text == "&":
            self.take()
            return self.value()
        if text == "{":
            return self.braces("")
        if kind == "ident" and text == "func":
            return self.skip_func()
        if kind == "ident" and text in ("true", "false", "nil"):
            self.take()
            return {"true": True, "false": False, "nil": None}[text]
        name = self.type_name()
        if self.peek()[1] == "{":
            return self.braces(name)
        if self.peek()[1] == "(":
            self.take("(")
            args: list[Any] = []
            while self.peek()[1] != ")":
                args.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take(")")
            return Call(name, args)
        return Call(name, [])  # a bare identifier (constant)

    def skip_func(self) -> Any:
        """A ``func() T { ... }`` literal: its constant when it only returns a string."""
        self.take("func")
        depth = 0
        body: list[tuple[str, str]] = []
        while True:
            tok = self.take()
            if tok[1] == "{":
                depth += 1
            elif tok[1] == "}":
                depth -= 1
                if depth == 0:
                    break
            if depth:
                body.append(tok)
        if len(body) == 3 and body[1][1] == "return" and body[2][0] in ("raw", "str"):
            return _go_string(*body[2])
        return Unparsed("Go func literal")

    def braces(self, type_name: str) -> Any:
        self.take("{")
        keyed: dict[str, Any] = {}
        items: list[Any] = []
        while self.peek()[1] != "}":
            if self.peek()[0] == "ident" and self.peek(1)[1] == ":":
                key = self.take()[1]
                self.take(":")
                keyed[key] = self.value()
            else:
                items.append(self.value())
            if self.peek()[1] == ",":
                self.take()
        self.take("}")
        if type_name.startswith("[]") or (items and not keyed):
            return items
        if type_name.startswith("map["):
            return keyed
        return {"__type__": type_name, **keyed}


# --- Go values -> the JSON form of the v1 API ------------------------------------------------


def json_name(go: str) -> str:
    """Go field name -> JSON name: ``URL`` -> ``url``, ``DiscoveryURL`` -> ``discoveryURL``."""
    if go.isupper():
        return go.lower()
    return go[0].lower() + go[1:]


def to_data(v: Any) -> Any:
    """Plain JSON data, or raises ValueError for what cannot be data."""
    if isinstance(v, Unparsed):
        raise ValueError(v.what)
    if isinstance(v, Call):
        if v.name in ("ptr.To", "sets.New") or v.name.startswith("api."):
            if v.name == "sets.New":
                return [to_data(a) for a in v.args]
            if len(v.args) != 1:
                raise ValueError(f"unexpected call {v.name}")
            return to_data(v.args[0])
        raise ValueError(f"call {v.name}")
    if isinstance(v, list):
        return [to_data(x) for x in v]
    if isinstance(v, dict):
        return {json_name(k): to_data(x) for k, x in v.items() if k != "__type__"}
    return v


def table(src: str, func: str) -> list[dict[str, Any]]:
    """The ``testCases`` literal of one test function, each case as raw parsed values."""
    start = src.index(f"func {func}(")
    body = src[start:]
    m = re.search(r"testCases\s*:?=\s*\[\]struct\s*\{", body)
    if not m:
        raise ValueError(f"{func}: no testCases table")
    # skip the anonymous struct type
    i = m.end()
    depth = 1
    while depth:
        depth += {"{": 1, "}": -1}.get(body[i], 0)
        i += 1
    p = Parser(tokens(body[i : _matching(body, i) + 1]))
    cases = p.braces("[]case")
    return [c for c in cases if isinstance(c, dict)]


def _matching(s: str, i: int) -> int:
    """Index of the brace closing the one at ``s[i]``, skipping strings."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c in "`\"":
            end = s.index(c, j + 1) if c == "`" else _str_end(s, j)
            j = end + 1
            continue
        if s.startswith("//", j):
            j = s.index("\n", j)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise ValueError("unbalanced braces")


def _str_end(s: str, j: int) -> int:
    k = j + 1
    while s[k] != '"':
        k += 2 if s[k] == "\\" else 1
    return k


# --- per-table shaping ----------------------------------------------------------------------

#: test function -> (what the table's ``in`` is, the field path upstream's test passes)
FRAGMENTS: dict[str, tuple[str, str]] = {
    "TestValidateIssuerURL": ("issuer.url", "issuer.url"),
    "TestValidateIssuerDiscoveryURL": ("issuer.discoveryURL", "issuer.discoveryURL"),
    "TestValidateAudiences": ("issuer.audiences", "issuer.audiences"),
    "TestValidateCertificateAuthority": ("issuer.certificateAuthority", "issuer.certificateAuthority"),
    "TestValidateClaimValidationRules": ("claimValidationRules", "issuer.claimValidationRules"),
    "TestValidateClaimMappings": ("claimMappings", "issuer.claimMappings"),
    "TestValidateUserValidationRules": ("userValidationRules", "issuer.userValidationRules"),
}


def shape(func: str, raw: dict[str, Any]) -> dict[str, Any]:
    """One case as committed: name, input, expectation, or a skip with its reason."""
    out: dict[str, Any] = {"test": func, "name": raw.get("name", "")}
    want = raw.get("want", "")
    out["want"] = want if isinstance(want, str) else ""
    try:
        if func == "TestValidateAuthenticationConfiguration":
            out["config"] = to_data(raw.get("in", {}))
            out["disallowed_issuers"] = to_data(raw.get("disallowedIssuers", [])) or []
            if raw.get("structuredAuthnEgressSelectorFeatureOverride") is not None or raw.get("gaOnly"):
                out["skip"] = (
                    "needs the StructuredAuthenticationConfigurationEgressSelector feature gate turned off "
                    "(or all alpha/beta gates off); the CLI has no feature-gate setting"
                )
        else:
            field, path = FRAGMENTS[func]
            out["field"] = field
            out["field_path"] = path
            out["in"] = to_data(raw.get("in"))
            for extra in ("issuerURL", "matchPolicy", "disallowedIssuers", "usesEmailVerifiedClaim"):
                if extra in raw:
                    out[extra] = to_data(raw[extra])
            for flag in ("wantUsesEmailVerifiedClaim",):
                if flag in raw:
                    out[flag] = to_data(raw[flag])
    except ValueError as e:
        if func == "TestValidateCertificateAuthority":
            # The Go code builds a self-signed ECDSA P-256 CA; the test builds one likewise.
            out["in"] = None
            out["generate_ca"] = True
        else:
            out["skip"] = f"input is Go code ({e}), not data"
    return out


def main(argv: list[str]) -> int:
    """Read the Go file named in argv[1], write validation_cases.json."""
    src = Path(argv[1]).read_text()
    commit = argv[2]
    funcs = ["TestValidateAuthenticationConfiguration", *FRAGMENTS]
    cases = [shape(f, c) for f in funcs for c in table(src, f)]
    doc = {
        "source": "kubernetes/apiserver pkg/apis/apiserver/validation/validation_test.go",
        "commit": commit,
        "note": "transcribed by tests/authn/upstream/transcribe_validation.py; Go field names renamed to JSON",
        "cases": cases,
    }
    out = Path(__file__).parent / "validation_cases.json"
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
