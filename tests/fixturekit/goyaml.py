"""YAML as kubectl prints it: ``kubectl get -o yaml`` through sigs.k8s.io/yaml (go-yaml v2).

sigs.k8s.io/yaml turns the object into JSON and the JSON into YAML with go-yaml v2, so: keys
sorted, two spaces of indentation, a sequence inside a mapping not indented ("key:\\n- item"),
a string plain where it can be and reads back as a string (go-yaml encode.go ``stringv``),
double-quoted where a plain scalar would read as another type (``"123"``, ``"true"``, ``""``),
single-quoted where the emitter refuses a plain scalar for its characters (``'*x'``, ``'a: b'``),
and a literal block (``|``, ``|-``) for a string with a line break. PyYAML's dumper, which the
other fixtures use, writes single quotes and folds long strings instead; both shapes are read.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import yaml

_INDICATOR_START = set("-?:,[]{}#&*!|>'\"%@`")


@functools.lru_cache(maxsize=65536)
def _reads_as_other(s: str) -> bool:
    try:
        return bool(yaml.safe_load(s) != s)
    except yaml.YAMLError:
        return True


def _plain_ok(s: str) -> bool:
    return (
        bool(s)
        and s[0] not in _INDICATOR_START
        and s == s.strip()
        and ": " not in s
        and " #" not in s
        and not s.endswith(":")
        and "\t" not in s
        and s.isprintable()
    )


def scalar(s: str, indent: int) -> str:
    """A string as go-yaml v2 writes it after ``key: `` (a block scalar spans the next lines)."""
    if "\n" in s and all(c.isprintable() for c in s.replace("\n", "")) and not s.startswith((" ", "\n")):
        if s.endswith("\n\n"):
            chomp, body = "+", s[:-1]
        elif s.endswith("\n"):
            chomp, body = "", s[:-1]
        else:
            chomp, body = "-", s
        pad = " " * (indent + 2)
        return "|" + chomp + "\n" + "\n".join(pad + line if line else "" for line in body.split("\n"))
    if _reads_as_other(s) or not s.isprintable():
        return json.dumps(s, ensure_ascii=False)
    if _plain_ok(s):
        return s
    return "'" + s.replace("'", "''") + "'"


def _value(v: Any, indent: int) -> str:
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int | float):
        return json.dumps(v)
    return scalar(str(v), indent)


def _key(k: str) -> str:
    return k if _plain_ok(k) and not _reads_as_other(k) else json.dumps(k, ensure_ascii=False)


def dump(obj: Any, indent: int = 0) -> str:
    """``obj`` (JSON values) as kubectl's YAML, ending in a newline."""
    out: list[str] = []
    _emit(obj, indent, out)
    return "".join(out)


def _emit(obj: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            out.append(pad + "{}\n")
        for k in sorted(obj):
            v = obj[k]
            if isinstance(v, dict) and v:
                out.append(f"{pad}{_key(k)}:\n")
                _emit(v, indent + 2, out)
            elif isinstance(v, list) and v:
                out.append(f"{pad}{_key(k)}:\n")
                _emit(v, indent, out)  # go-yaml v2: a sequence in a mapping is not indented
            elif isinstance(v, dict | list):
                out.append(f"{pad}{_key(k)}: {'{}' if isinstance(v, dict) else '[]'}\n")
            else:
                out.append(f"{pad}{_key(k)}: {_value(v, indent)}\n")
        return
    if isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict | list) and item:
                inner: list[str] = []
                _emit(item, indent + 2, inner)
                text = "".join(inner)
                out.append(pad + "- " + text[indent + 2 :])
            else:
                out.append(f"{pad}- {_value(item, indent) if not isinstance(item, dict | list) else '{}'}\n")
        return
    out.append(pad + _value(obj, indent) + "\n")

