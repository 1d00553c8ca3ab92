"""Load JSON and YAML files into plain objects, fast, flattening ``kind: List``.

``kubectl get -o yaml`` output and multi-document files load the same way (as lightkube's
``codecs.load_all_yaml`` does). JSON goes through ``orjson``; YAML through PyYAML's C loader
when available.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from oidc_doctor.errors import InputError

_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster


@dataclass
class Document:
    """One object of a file: its index in the file (after List flattening) and its data."""

    index: int
    data: Any
    line: int | None = None


def parse_text(text: str | bytes, where: str) -> list[Any]:
    """Parse JSON (one value) or YAML (any number of documents) into a list of values.

    Raises :class:`InputError` naming ``where`` and the line when the content is broken.
    """
    raw = text.encode() if isinstance(text, str) else text
    stripped = raw.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            return [orjson.loads(raw)]
        except orjson.JSONDecodeError as e:
            if stripped[:1] == b"{" and not _looks_like_yaml_flow(stripped):
                raise InputError(where, f"broken JSON: {e}") from e
    try:
        return [d for d in yaml.load_all(raw, Loader=_YamlLoader) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(where, f"broken YAML{line}: {problem}") from e


def _looks_like_yaml_flow(data: bytes) -> bool:
    # '{a: 1}' is valid YAML flow style but not JSON.
    return b'"' not in data[:200]


def flatten(values: list[Any]) -> Iterator[Any]:
    """Unwrap ``kind: List`` / ``*List`` objects (``kubectl get -o yaml``) and JSON arrays."""
    for v in values:
        is_list = isinstance(v, dict) and str(v.get("kind", "")).endswith("List")
        if is_list and isinstance(v.get("items"), list):
            yield from flatten(v["items"])
        elif isinstance(v, list):
            yield from flatten(v)
        else:
            yield v


def load_documents(text: str | bytes, where: str) -> list[Document]:
    """Every object of a JSON/YAML text, Lists flattened, numbered in file order."""
    return [Document(i, d) for i, d in enumerate(flatten(parse_text(text, where)))]
