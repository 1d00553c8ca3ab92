"""Load JSON and YAML files into plain objects, fast, flattening ``kind: List``.

``kubectl get -o yaml`` output and multi-document files load the same way (as lightkube's
``codecs.load_all_yaml`` does). JSON goes through ``orjson``. Large YAML goes through
``rapidyaml`` (parsed in C++, emitted as JSON, read with ``orjson``: 0.86 s for 63 MB where
PyYAML's C loader needs 9.5 s, see ``docs/rbac.md``) when the text holds nothing on which the two
readers could disagree; everything else, and anything ``rapidyaml`` rejects, goes through PyYAML
(the C loader when available), which also gives the error messages with line numbers.

The garbage collector is paused while a file is parsed: parsing only allocates, and collection
passes over millions of fresh containers would double the time.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from oidc_doctor.errors import InputError

_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster

#: YAML below this size is read by PyYAML: the fast reader pays off only on big files.
FAST_YAML_MIN_BYTES = 256 * 1024

# Where PyYAML (YAML 1.1 rules, the fallback) and rapidyaml's JSON emitter (JSON's true/false/
# null and numbers only) could read a plain scalar differently: anchors, aliases, tags, merge keys,
# ~ and the other null/bool spellings, and scalars starting like a
# number (checked one by one with PyYAML's own resolver below). kubectl quotes every string that
# would resolve to another type, so its output has none of the first kinds; a hand-written file
# that does is read by PyYAML. A false alarm only costs speed. The candidates are found with two
# regular expressions that start with a literal (fast) rather than one that starts anywhere.
_SPECIAL = (
    rb"(?P<v>[&*!~<]"
    # a whole plain scalar that starts like a number (a uid such as 0000-11-... does not match:
    # '-' is allowed only in an exponent), or that looks like a date
    rb"|(?:[-+]?[0-9](?:[0-9a-zA-Z_.:+]|(?<=[eE])-)*|[-+]?\.[0-9a-zA-Z_.]+"
    rb"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][^\n#,\]}]*)?)[ \t]*(?:$|#|[,\]}])"
    rb"|(?:Null|NULL|True|TRUE|False|FALSE|[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF)"
    rb"[ \t]*(?:$|#|[,\]}]))"
)
_CANDIDATES = (
    re.compile(rb": +" + _SPECIAL, re.MULTILINE),
    re.compile(rb"- +" + _SPECIAL, re.MULTILINE),
    # inside flow collections; one pattern per opening literal (a class start is 3x slower)
    re.compile(rb"\[ *" + _SPECIAL, re.MULTILINE),
    re.compile(rb"\{ *" + _SPECIAL, re.MULTILINE),
    re.compile(rb", *" + _SPECIAL, re.MULTILINE),
)
_SCALAR_END = re.compile(rb"[ \t]*(?:[,\]}]|#|$)", re.MULTILINE)
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
# A superset of what PyYAML's implicit resolvers turn into int, float or timestamp; anything else
# is a string for it, and the (slow) resolver need not be asked.
_MAYBE_NOT_STR = re.compile(r"[-+]?[0-9a-fA-FxXoO_.:]*|[-+]?\.[a-zA-Z]+|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*")
_resolver = yaml.resolver.Resolver()


def _number_like_agrees(raw: bytes, start: int) -> bool:
    """Whether a plain scalar starting like a number reads the same in both readers."""
    m = _SCALAR_END.search(raw, start)
    value = raw[start : m.start() if m else len(raw)].decode("utf-8", "replace")
    if value.startswith("- ") or value == "-":
        return True  # a nested sequence item, not a scalar
    if _PLAIN_DECIMAL.fullmatch(value):
        return True  # an int or float for both
    if _MAYBE_NOT_STR.fullmatch(value) is None:
        return _JSON_NUMBER.fullmatch(value) is None  # a string for PyYAML; for rapidyaml too?
    tag = _resolver.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if tag == "tag:yaml.org,2002:str":
        return _JSON_NUMBER.fullmatch(value) is None  # rapidyaml would emit a number
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return _PLAIN_DECIMAL.fullmatch(value) is not None
    return False  # null, bool, timestamp


@dataclass
class Document:
    """One object of a file: its index in the file (after List flattening) and its data."""

    index: int
    data: Any
    line: int | None = None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the garbage collector (if it was on) for a burst of allocations.

    On the way out the surviving objects are frozen (``gc.freeze``): the loaded documents live
    until the command ends, and the first collection would otherwise walk all of them (0.13 s
    for 55,000 bindings). Frozen objects are still freed when no longer referenced.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.enable()


def parse_text(text: str | bytes, where: str) -> list[Any]:
    """Parse JSON (one value) or YAML (any number of documents) into a list of values.

    Raises :class:`InputError` naming ``where`` and the line when the content is broken.
    """
    raw = text.encode() if isinstance(text, str) else text
    stripped = raw.lstrip()
    with gc_paused():
        if stripped[:1] in (b"{", b"["):
            try:
                return [orjson.loads(raw)]
            except orjson.JSONDecodeError as e:
                if stripped[:1] == b"{" and not _looks_like_yaml_flow(stripped):
                    raise InputError(where, f"broken JSON: {e}") from e
        if len(raw) >= FAST_YAML_MIN_BYTES:
            fast = _fast_yaml(raw)
            if fast is not None:
                return fast
        return _pyyaml(raw, where)


def _pyyaml(raw: bytes, where: str) -> list[Any]:
    try:
        return [d for d in yaml.load_all(raw, Loader=_YamlLoader) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(where, f"broken YAML{line}: {problem}") from e


def fast_yaml_applies(raw: bytes) -> bool:
    """Whether the fast reader may read ``raw``: nothing in it on which the readers disagree."""
    if b":\t" in raw:
        return False  # a tab after the colon: the candidate scan below only looks after spaces
    for pattern in _CANDIDATES:
        for m in pattern.finditer(raw):
            first = raw[m.start("v") : m.start("v") + 1]
            if first not in b"-+.0123456789" or not _number_like_agrees(raw, m.start("v")):
                return False
    return True


def _fast_yaml(raw: bytes) -> list[Any] | None:
    """Documents read by rapidyaml, or None when it is absent, unsure or fails (use PyYAML)."""
    if not fast_yaml_applies(raw):
        return None
    try:
        import ryml  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        with _quiet_stderr():  # rapidyaml prints parse errors on fd 2; PyYAML will report them
            tree = ryml.parse_in_arena(raw)
        root = tree.root_id()
        if tree.is_stream(root):
            nodes = []
            child = tree.first_child(root)
            while child != ryml.NONE:
                nodes.append(child)
                child = tree.next_sibling(child)
        else:
            nodes = [root]
        texts = [ryml.emit_json_malloc(tree, n) for n in nodes]
        del tree  # free the parse tree before the objects are built: lower peak memory
        docs = [orjson.loads(t) for t in texts]
    except Exception:  # noqa: BLE001 - any failure of the fast path means: let PyYAML read it
        return None
    return [d for d in docs if d is not None]


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


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
