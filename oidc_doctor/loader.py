"""Load JSON and YAML files into plain objects, fast, flattening ``kind: List``.

``kubectl get -o yaml`` output and multi-document files load the same way (as lightkube's
``codecs.load_all_yaml`` does). JSON goes through ``orjson``. Large YAML goes through ``yaml-rs``
(a Rust YAML reader: 0.6 s for the 43 MB benchmark file where PyYAML's C loader needs 6.5 s; the
readers measured are in ``docs/rbac.md``) when the text holds nothing on which it and PyYAML could
disagree. Everything else, and anything the fast reader rejects, goes through PyYAML (the C loader
when available), which also gives the error messages with line numbers: PyYAML stays the
reference and the fallback.

The garbage collector is paused while a file is parsed: parsing only allocates, and collection
passes over millions of fresh containers would double the time.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from oidc_doctor.errors import InputError

_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster

#: YAML below this size is read by PyYAML: the fast reader pays off only on big files.
FAST_YAML_MIN_BYTES = 256 * 1024

# Where PyYAML (YAML 1.1 rules, the reference) and the fast reader (YAML 1.2 core schema) could
# read a plain scalar differently: anchors, aliases, tags, merge keys, flow collections with
# content, the null/bool spellings other than JSON's, and scalars that look like numbers or dates
# (those are compared one by one, by letting both readers read the scalar alone). kubectl quotes
# every string that would resolve to another type and prints block style, so its output has none
# of the first kinds; a hand-written file that has them is read by PyYAML. A false alarm only
# costs speed. Candidates are found with regular expressions that start with a literal (the
# scanner then jumps between occurrences): one after ": " and one after "- ". Mapping keys are not
# scanned (a key `on:` is True for PyYAML and "on" for yaml-rs, `0E0:` the reverse); scanning every
# line start would cost 0.15-0.3 s more on 43 MB, and Kubernetes objects do not use such keys in
# the fields oidc-doctor reads.
_SPECIAL = (
    rb"(?P<v>[&*!~<]|[\[{][ \t]*[^\]}\s]"
    # a whole plain scalar that starts like a number (yaml-rs reads "_1" as 1 too; a uid such as
    # 0000-11-... does not match: '-' is allowed only in an exponent), or that looks like a date
    rb"|(?P<num>(?:[-+]?[0-9_](?:[0-9a-zA-Z_.:+]|(?<=[eE])-)*|[-+]?\.[0-9a-zA-Z_.]+"
    rb"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][^\n#]*)?))[ \t]*(?:$|#)"
    rb"|(?:Null|NULL|True|TRUE|False|FALSE|[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF)"
    rb"[ \t]*(?:$|#))"
)
_CANDIDATES = (
    re.compile(rb": +" + _SPECIAL, re.MULTILINE),
    re.compile(rb"- +" + _SPECIAL, re.MULTILINE),
)
# An empty block scalar at the very end of the text: "" for PyYAML, "\n" for yaml-rs.
_EMPTY_BLOCK_AT_END = re.compile(rb"[:-][ \t]+[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\s*\Z")
_DOC_MARKER = re.compile(rb"^---(?:[ \t]|$)", re.MULTILINE)
_CONTENT_LINE = re.compile(rb"^[ \t]*[^#\s]", re.MULTILINE)


@dataclass(slots=True)
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

    Raises :class:`InputError` naming ``where`` and the line when the content is broken, or
    nested deeper than :data:`oidc_doctor.limits.MAX_NESTING` levels.
    """
    from oidc_doctor.limits import check_nesting, check_nesting_shared

    raw = text.encode() if isinstance(text, str) else text
    stripped = raw.lstrip()
    with gc_paused():
        if stripped[:1] in (b"{", b"["):
            try:
                values = [orjson.loads(raw)]
                check_nesting(values, where)
                return values
            except orjson.JSONDecodeError as e:
                if stripped[:1] == b"{" and not _looks_like_yaml_flow(stripped):
                    raise InputError(where, f"broken JSON: {e}") from e
        if len(raw) >= FAST_YAML_MIN_BYTES:
            fast = fast_yaml(raw)
            if fast is not None:
                check_nesting(fast, where)  # no aliases here: nothing is shared
                return fast
        values = _pyyaml(raw, where)
        check_nesting_shared(values, where)  # aliases share objects: each is walked once
        return values


#: An alias token (``*name``) after a space, a flow opener or a comma: quoted '*' does not match.
#: (Literal first: the scanner jumps between '*'s, 14 ms on 48 MB.)
_ALIAS = re.compile(rb"\*(?<=[\s\[{,]\*)[^\s,\]}]")
#: How many more values aliases may add than the text holds. Kubernetes objects do not use
#: aliases; a "billion laughs" text (nine aliases of nine aliases ...) would add billions, and
#: every later walk over the values (flattening, flags, cleaning) would never end.
MAX_ALIAS_EXPANSION = 1_000_000


def check_aliases(values: list[Any], raw: bytes, where: str) -> None:
    """Raise :class:`InputError` when YAML aliases in ``raw`` make ``values`` expand too far."""
    if not _ALIAS.search(raw):
        return
    sizes: dict[int, int] = {}
    unique = 0

    def size(v: Any) -> int:
        nonlocal unique
        if not isinstance(v, dict | list):
            return 1
        known = sizes.get(id(v))
        if known is not None:
            return known
        sizes[id(v)] = 1  # a recursive alias counts once
        unique += 1
        children = v.values() if isinstance(v, dict) else v
        total = 1 + sum(size(c) for c in children)
        sizes[id(v)] = total
        return total

    try:
        expanded = sum(size(v) for v in values)
    except RecursionError as e:
        raise InputError(where, "YAML nested too deeply") from e
    if expanded - unique > MAX_ALIAS_EXPANSION:
        raise InputError(where, f"YAML aliases expand to {expanded:,} values: refused (a 'billion laughs' text?)")


def _pyyaml(raw: bytes, where: str) -> list[Any]:
    try:
        docs = [d for d in yaml.load_all(raw, Loader=_YamlLoader) if d is not None]
        check_aliases(docs, raw, where)
        return docs
    except ValueError as e:  # a scalar no constructor takes: an integer of more than 4,300 digits
        raise InputError(where, f"broken YAML: {str(e).split(';')[0]}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(where, f"broken YAML{line}: {problem}") from e


def _fast_reader() -> Callable[[str], Any] | None:
    try:
        import yaml_rs  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    # parse_datetime=False: yaml-rs would turn even *quoted* "2026-01-01T10:00:00Z" into a
    # datetime; plain timestamps are then left to PyYAML by the scan (they read differently).
    def loads(text: str) -> Any:
        return yaml_rs.loads(text, parse_datetime=False)

    return loads


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types (``True == 1`` and ``1 == 1.0`` do not count)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _scalar_agrees(loads: Callable[[str], Any], value: bytes, cache: dict[bytes, bool]) -> bool:
    """Whether a plain scalar reads the same in both readers (each reads ``v: <scalar>``)."""
    known = cache.get(value)
    if known is not None:
        return known
    text = "v: " + value.decode("utf-8", "replace")
    try:
        ours = loads(text)
        ref = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - the safe (C) loader
        agrees = _same(ours, ref)
    except Exception:  # noqa: BLE001 - a scalar either reader cannot read alone: not sure
        agrees = False
    cache[value] = agrees
    return agrees


def fast_yaml_applies(raw: bytes) -> bool:
    """Whether the fast reader may read ``raw``: nothing in it on which the readers disagree."""
    loads = _fast_reader()
    if loads is None or b":\t" in raw:  # a tab after a colon escapes the scan below
        return False
    if _EMPTY_BLOCK_AT_END.search(raw[-256:]):
        return False
    cache: dict[bytes, bool] = {}
    for pattern in _CANDIDATES:
        for m in pattern.finditer(raw):
            num = m.group("num")
            if num is None or not _scalar_agrees(loads, num, cache):
                return False
    return True


def _document_count(raw: bytes) -> int:
    """How many documents the text holds (``---`` lines; content before the first counts)."""
    markers = list(_DOC_MARKER.finditer(raw))
    if not markers:
        return 1
    before = _CONTENT_LINE.search(raw, 0, markers[0].start())
    return len(markers) + (1 if before else 0)


def fast_yaml(raw: bytes) -> list[Any] | None:
    """The documents read by the fast reader, or None when it is absent, unsure or fails."""
    loads = _fast_reader()
    if loads is None or _ALIAS.search(raw) or not fast_yaml_applies(raw):
        return None  # an alias anywhere: PyYAML reads it and bounds the expansion (check_aliases)
    try:
        text = raw.decode("utf-8")
        value = loads(text)
    except BaseException as e:  # a Rust panic is a BaseException; then PyYAML decides
        if isinstance(e, KeyboardInterrupt | SystemExit):
            raise
        return None
    # yaml-rs returns the document itself for one document and a list for several.
    count = _document_count(raw)
    if count <= 1:
        docs = [value]
    elif isinstance(value, list) and len(value) == count:
        docs = value
    else:
        return None
    out = [d for d in docs if d is not None]
    return out if out or not _CONTENT_LINE.search(raw) else None


def _looks_like_yaml_flow(data: bytes) -> bool:
    # '{a: 1}' is valid YAML flow style but not JSON.
    return b'"' not in data[:200]


def flatten(values: list[Any]) -> Iterator[Any]:
    """Unwrap ``kind: List`` / ``*List`` objects (``kubectl get -o yaml``) and JSON arrays."""
    out: list[Any] = []
    _flatten_into(values, out)
    return iter(out)


def _flatten_into(values: list[Any], out: list[Any]) -> None:
    # A loop into one list rather than nested generators: 55,000 items of a List cost one
    # append each instead of a generator hop per nesting level.
    for v in values:
        if type(v) is dict:
            items = v.get("items")
            if type(items) is list and str(v.get("kind", "")).endswith("List"):
                _flatten_into(items, out)
            else:
                out.append(v)
        elif type(v) is list:
            _flatten_into(v, out)
        else:
            out.append(v)


#: JSON files from this size on are first tried as a list of RBAC objects decoded into typed
#: records (:mod:`oidc_doctor.rbac.objects`); smaller ones are parsed into dicts as always.
TYPED_MIN_BYTES = 1024 * 1024


def typed_rbac(raw: bytes, where: str) -> list[Any] | None:
    """The RBAC records of a JSON ``kind: List`` whose items are all RBAC objects, or None.

    Decoded in one pass straight from the bytes into compact records, every field the RBAC
    engine does not read skipped by the decoder (no dict tree is built). None when the text is
    not such a list, or when anything in it is not as upstream writes it (another kind, a value of
    another type, a nested List, an apiVersion outside ``rbac.authorization.k8s.io``): the caller
    then parses it into dicts and judges it as it judges every file, so the typed path never
    changes an answer. The free-form values kept (rules, aggregation rules) pass the same nesting
    limit as every parsed document.
    """
    import msgspec

    from oidc_doctor.limits import check_nesting
    from oidc_doctor.rbac.objects import ClusterRole, RbacList, Role

    if raw[:64].lstrip()[:1] != b"{" or (b'"items"' not in raw[:HEAD_PROBE] and b'"items"' not in raw[-HEAD_PROBE:]):
        return None
    try:
        with gc_paused():
            doc = msgspec.json.decode(raw, type=RbacList)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    if not doc.items or not (doc.kind or "").endswith("List"):
        return None  # an empty list: the dict path says what it is
    versions = {item.apiVersion for item in doc.items}
    if not all((v or "").startswith("rbac.authorization.k8s.io/") for v in versions):
        return None
    roles = [[i.rules, i.aggregationRule] for i in doc.items if type(i) is Role or type(i) is ClusterRole]
    try:
        check_nesting(roles, where)
    except InputError:
        return None  # the dict path refuses it, with its own words
    return doc.items


#: How far from either end of a JSON text ``"items"`` is looked for (kubectl writes it first;
#: ``json.dumps(sort_keys=True)`` after ``apiVersion``; Go's encoder of a v1.List in field order).
HEAD_PROBE = 4096


def load_documents(text: str | bytes, where: str) -> list[Document]:
    """Every object of a JSON/YAML text, Lists flattened, numbered in file order.

    A text nested deeper than :data:`oidc_doctor.limits.MAX_NESTING` levels is refused.
    """
    out: list[Any] = []
    _flatten_into(parse_text(text, where), out)
    return [Document(i, d) for i, d in enumerate(out)]
