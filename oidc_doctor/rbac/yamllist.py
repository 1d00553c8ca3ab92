"""Typed RBAC records straight from kubectl's YAML ``kind: List``, without building its tree.

``kubectl get clusterroles,roles,clusterrolebindings,rolebindings -A -o yaml`` of a big cluster
is tens of MB (55,000 bindings and 1,300 roles: 48 MB). A YAML reader spends about a second
building every mapping and scalar of it (``yaml-rs``, the fastest measured, 0.85 s; PyYAML's C
loader 6–10 s; ``docs/rbac.md``), and the engine reads only a binding's name, namespace, roleRef
and subjects, and a role's name, namespace, labels and rules.

kubectl prints YAML one way (sigs.k8s.io/yaml: JSON → go-yaml v2 with sorted keys, two-space
indentation, sequences in a mapping not indented, strings quoted only when they would read as
another type): so a binding is a fixed sequence of lines. Each item of the list is matched, in
place, by one regular expression that covers every line of it, the fields the engine reads
captured and the others (annotations, managedFields ...) stepped over line by line; a role's
labels and rules are read line by line too. An item the expressions do not describe exactly as
kubectl writes it (a quoted value with an escape, a plain scalar that could read as a number or
a bool, an unknown key, a ClusterRole with an aggregationRule) is cut out at its column-0
boundary, and all such items are
parsed together by the general YAML reader and converted into the same records; if any of them
fails, the whole file goes back to the general path. The file as a whole must be the List kubectl
writes (``apiVersion``, ``items``, ``kind: ...List``, ``metadata``, in that order), with nothing
on which a line-based reading and a YAML reader could disagree (carriage returns, the other
Unicode line breaks, characters YAML refuses).

So the records are the ones :func:`oidc_doctor.loader.typed_rbac` decodes from the JSON form, and
the reading is that of the general YAML path (PyYAML, the reference), or the file is not read
here at all (None): a property test writes random objects in many YAML styles and compares.
"""

from __future__ import annotations

import re
from typing import Any

from oidc_doctor.errors import InputError

# The YAML 1.1 (PyYAML) and 1.2 core (yaml-rs) spellings of null and bool that start with a
# letter: a plain scalar spelled so is not a string. Every other plain scalar that starts with a
# letter, '_' or '/' is a string in both (numbers, dates, '.inf' and '~' start otherwise).
_NOT_STR = "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|y|Y|n|N"
# A value on one line, as kubectl writes it, in three groups (plain, single-, double-quoted);
# exactly one takes part. Plain: starts with a letter, '_', '/' or a non-ASCII character; a ':'
# only before a non-space; a run of blanks only before a character that is none of '#', ':' or a
# blank (so a comment, a mapping indicator or a trailing blank ends the match, and the line then
# does not fit). Quoted: not empty, no escape, no doubled quote (those go to the general reader).
_PLAIN = (
    rf"(?!(?:{_NOT_STR})[ \t]*+\n)[A-Za-z_/\x80-\U0010ffff]"
    r"[^\n: \t]*+(?:(?::(?=\S)|[ \t]++(?=[^\s#:]))[^\n: \t]*+)*"
)
_V = rf"""(?:({_PLAIN})|'([^'\n]++)'|"([^"\\\n]++)")[ \t]*+\n"""
# The same, captured whole by none (a field the records do not keep, but whose form is checked).
_VN = rf"""(?:{_PLAIN}|'[^'\n]++'|"[^"\\\n]++")[ \t]*+\n"""

# The lines of ObjectMeta the records do not keep (annotations, labels, managedFields ...): a key
# at column 4 other than name and namespace, and every line deeper. Each line is read as YAML
# would read it, so that every line stepped over is one the YAML reader also gives to that key:
# a key (plain), then a value closed on its line (plain, quoted, '{}' or '[]'), or a block
# scalar's header and its deeper lines, or a quoted scalar over several lines whose continuation
# lines are deeper than its first. (PyYAML does not check a quoted scalar's or a flow
# collection's indentation: an unclosed quote or bracket with a continuation at column 4 would be
# read as part of that value there and as a key here; such a line does not fit, nor does a
# flow collection with content, an anchor, an alias or a tag.) One leniency, on text YAML
# refuses: a block scalar's content need only be deeper than its header line.
_KEY = r"[^\s'\"#&*!|>%@`\[\]{},?:-][^\n: \t]*+(?:(?::(?=\S)|[ \t]++(?=[^\s#:]))[^\n: \t]*+)*"
_VALUE = (
    r"""(?:'[^'\n]*+(?:''[^'\n]*+)*'|"[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*"|\{\}|\[\]"""
    r"""|(?!- )[^\s'"\[\]{}&*!%@`|>#,?][^\n:]*+(?::(?=\S)[^\n:]*+)*)?"""
)
_END = r"[ \t]*+(?:#[^\n]*+)?\n"
_LEAD = rf"(?:- )*(?:{_KEY}:(?=[ \t\n])[ \t]*+)?"
_MORE_Q = r"(?=(?P=q)[ ]|[ \t]*+\n)"  # a continuation line: deeper than the first, or blank
_QUOTED_LINES = (
    rf"""'[^'\n]*+(?:''[^'\n]*+)*\n{_MORE_Q}(?:[^'\n]*+(?:''[^'\n]*+)*\n{_MORE_Q})*[^'\n]*+(?:''[^'\n]*+)*'"""
    rf"""|"[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*\\?\n{_MORE_Q}(?:[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*\\?\n{_MORE_Q})*[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*\""""
)


def _other_line(kept: str) -> str:
    """A stepped-over line of ObjectMeta: at column 4 a key other than ``kept`` (alternatives), or
    deeper; its group ``q`` is the line's indentation."""
    column_4 = rf"(?:[ ]{{4}}(?![ ]|(?:{kept}):)|[ ]{{5,}})(?=\S)"
    return (
        rf"(?P<q>{column_4}){_LEAD}"
        rf"(?:{_VALUE}{_END}|[|>][-+0-9]*+{_END}(?:(?P=q)[ ][^\n]*+\n|[ \t]*+\n)*+|(?:{_QUOTED_LINES}){_END})"
        r"|[ \t]*+\n"
    )


# The ObjectMeta lines kubectl prints for nearly every object, as they are, tried first: each is
# a complete line the general alternatives below would also step over, and matching them by their
# literal start costs a fifth of the time (0.24 s -> 0.17 s for 55,000 bindings). The last-applied
# configuration is a literal block whose content kubectl indents by 8.
_COMMON_META = (
    r'    creationTimestamp: "[0-9TZ:.-]++"\n|    resourceVersion: "[0-9]++"\n|    uid: [0-9a-f-]++\n'
    r"|    (?:annotations|managedFields):\n"
    r"|      kubectl\.kubernetes\.io/last-applied-configuration: \|\n(?:        [^\n]*+\n)++"
)

# One subject (a "  - " line and its "    " lines) and one roleRef, each read whole by one match;
# the groups are the kept values, three per value (plain, single-, double-quoted). The same
# subject recurs in many bindings (55,000 bindings name 8,000 subjects), so each distinct text is
# read once and its record shared (the records are frozen).
_SUBJECT = re.compile(
    "  - (?=apiGroup:|kind:|name:|namespace:)"
    rf"(?:apiGroup: {_VN}(?:    (?=[a-z]))?)?"
    rf"(?:kind: {_V}(?:    (?=[a-z]))?)?"
    rf"(?:name: {_V}(?:    (?=[a-z]))?)?"
    rf"(?:namespace: {_V})?"
)
_ROLE_REF = re.compile(rf"(?:    apiGroup: {_V})?(?:    kind: {_V})?(?:    name: {_V})?")
_SUBJECT_TEXT = re.compile(r"  - [^\n]*+\n(?:    [^\n]*+\n)*+")
# One binding item, every line of it. The groups, in order: apiVersion, kind, the metadata name
# (3) and namespace (3), the indentation of a stepped-over line, the roleRef's lines, the
# subjects' lines.
# An item's first lines (the apiVersion captured; the kind, given, captured next) and its end: blank
# lines, then the next line at column 0 (or the end of the text).
_ITEM_API = r"- apiVersion: (rbac\.authorization\.k8s\.io/[A-Za-z0-9]+)[ \t]*\n"
_ITEM_END = r"(?:[ \t]*\n)*+(?<=\n)(?=[^ \t\n]|\Z)"
_BINDING = re.compile(
    _ITEM_API + r"  kind: (RoleBinding|ClusterRoleBinding)[ \t]*\n"
    r"  metadata:\n"
    rf"(?:{_COMMON_META}|    labels:\n|    name: {_V}|    namespace: {_V}|{_other_line('name|namespace')})++"
    r"  roleRef:\n((?:    [^\n]*+\n)*+)"
    r"(?:  subjects:\n(  - [^\n]*+\n(?:  - [^\n]*+\n|    [^\n]*+\n)*+))?" + _ITEM_END
)

# A list value of a rule ("    - get"; "" is the core API group) and a rule's keys, each with its
# list ("verbs:\n    - get\n") or "[]". The groups: the key, "[]", the list's lines.
_V_EMPTY_OK = rf"""(?:({_PLAIN})|'([^'\n]*+)'|"([^"\\\n]*+)")[ \t]*+\n"""  # _V, and "" or '' too
_LIST_VALUE = re.compile(rf"    - {_V_EMPTY_OK}")
_RULE_KEY = re.compile(
    r"(?:  - |    )(apiGroups|nonResourceURLs|resourceNames|resources|verbs):"
    r"(?: (\[\]))?[ \t]*+\n((?:    - [^\n]*+\n)*+)"
)
# A label ("      app.kubernetes.io/name: x"): a key that reads as a string (a letter first, not a bool).
_LABEL = re.compile(rf"      (?!(?:{_NOT_STR}):)([A-Za-z][A-Za-z0-9._/-]*+): {_V_EMPTY_OK}")
# One Role or ClusterRole item without an aggregationRule. The groups: apiVersion, kind, name (3),
# namespace (3), the labels' lines, the stepped-over line's indentation, "[]" for no rules, the
# rules' lines.
_ROLE = re.compile(
    _ITEM_API + r"  kind: (Role|ClusterRole)[ \t]*\n"
    r"  metadata:\n"
    rf"(?:{_COMMON_META}|    name: {_V}|    namespace: {_V}|    labels:\n((?:      [^\n]*+\n)*+)"
    rf"|{_other_line('name|namespace|labels')})++"
    r"(?:  rules:(?: (\[\])[ \t]*+\n|\n(  - [^\n]*+\n(?:  - [^\n]*+\n|    [^\n]*+\n)*+)))?" + _ITEM_END
)

# The List around the items, as kubectl writes it. Items start at column 0 ("- "), and the next
# column-0 line ends the item.
_HEAD = re.compile(r"apiVersion: v1[ \t]*\nitems:[ \t]*\n(?=- )")
_TAIL = re.compile(r"kind: ([A-Za-z]*List)[ \t]*+\n(?:metadata:[ \t]*+\n(?:  [^\n]*+\n|[ \t]*+\n)*+)?\Z")
_NEXT_COLUMN_0 = re.compile(r"\n(?=[^ \t\n])")
# What a line-based reading and a YAML reader could see differently: CR and the other line breaks
# YAML knows (NEL, LS, PS), a BOM, and the characters PyYAML refuses (its Reader.NON_PRINTABLE).
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n"
_UNSAFE = re.compile("[\r\x85\u2028\u2029\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def typed_rbac_yaml(raw: bytes, where: str) -> list[Any] | None:
    """The RBAC records of kubectl's YAML ``kind: List`` whose items are all RBAC objects, or None.

    The records and the fail-closed rule are those of :func:`oidc_doctor.loader.typed_rbac`: None
    whenever the text is not such a list, or holds anything this reader does not describe exactly;
    the caller then reads it the general way.
    """
    if not raw.startswith(b"apiVersion: v1"):
        return None
    if raw.isascii():
        # Every byte a printable character, a tab or a line feed (bytes.translate deletes
        # those, in C: 30 ms for 43 MB where a regular expression takes 110 ms).
        if raw.translate(None, _PRINTABLE_ASCII):
            return None
        text = raw.decode("ascii")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if _UNSAFE.search(text):
            return None
    head = _HEAD.match(text)
    if head is None:
        return None
    return _items(text, head.end(), where)


def _items(text: str, pos: int, where: str) -> list[Any] | None:
    """Match items from ``pos`` on; the rest are read by the general reader (then converted)."""
    from oidc_doctor.rbac.objects import BindingMeta, ClusterRoleBinding, RoleBinding, RoleRef, Subject

    records: list[Any] = []
    others: list[tuple[int, str]] = []  # (index in records, the item's text)
    match, chunks = _BINDING.match, _SUBJECT_TEXT.findall
    subjects: dict[str, Any] = {}  # a subject's text -> its record, or None when it does not fit
    refs: dict[str, Any] = {}
    end = len(text)
    while pos < end and text.startswith("- ", pos):
        m = match(text, pos)
        if m is not None:
            api, kind, n1, n2, n3, s1, s2, s3, _, ref_text, block = m.groups()
            ref = refs.get(ref_text, False)
            if ref is False:
                ref = refs[ref_text] = _record(_ROLE_REF, ref_text, RoleRef, (1, 2, 0)) if ref_text else None
            fits = ref is not False
            subs = None
            if block is not None:
                subs = []
                for chunk in chunks(block):
                    sub = subjects.get(chunk)
                    if sub is None:
                        sub = subjects[chunk] = _record(_SUBJECT, chunk, Subject, (0, 1, 2))
                    fits = fits and sub is not False
                    subs.append(sub)
            if not fits:
                m = None
        if m is None:
            role = _ROLE.match(text, pos)
            rec = False if role is None else _role(role)
            if rec is not False:
                records.append(rec)
                pos = role.end()  # type: ignore[union-attr]
                continue
            nxt = _NEXT_COLUMN_0.search(text, pos)
            stop = end if nxt is None else nxt.end()
            others.append((len(records), text[pos:stop]))
            records.append(None)
            pos = stop
            continue
        cls = RoleBinding if kind == "RoleBinding" else ClusterRoleBinding
        records.append(cls(api, BindingMeta(n1 or n2 or n3 or "", s1 or s2 or s3 or ""), subs, ref))
        pos = m.end()
    tail = _TAIL.match(text, pos)
    if tail is None or not records:
        return None
    if others and not _convert_others(records, others, where):
        return None
    return records


def _record(rx: re.Pattern[str], text: str, cls: Any, order: tuple[int, ...]) -> Any:
    """The record ``cls`` of a subject's or a roleRef's text, its fields the values in ``order``
    (the expression's values are group triples), or False when the text is not one ``rx`` reads."""
    m = rx.fullmatch(text)
    if m is None:
        return False
    g = m.groups()
    return cls(*(g[3 * i] or g[3 * i + 1] or g[3 * i + 2] or None for i in order))


def _values(lines: str) -> list[str] | None:
    """The strings of a rule's list lines ("    - get"), or None when a line is not one of them."""
    values = [a or b or c for a, b, c in _LIST_VALUE.findall(lines)]
    return values if len(values) == lines.count("\n") else None


def _role(m: re.Match[str]) -> Any:
    """The Role or ClusterRole record of a match of :data:`_ROLE`, or False when its labels or
    rules hold a line the expressions do not read (the general reader then reads the item)."""
    from oidc_doctor.rbac.objects import ClusterRole, Role, RoleMeta

    api, kind, n1, n2, n3, s1, s2, s3, label_lines, _, no_rules, rule_lines = m.groups()
    labels = None
    if label_lines:
        found = _LABEL.findall(label_lines)
        if len(found) != label_lines.count("\n"):
            return False
        labels = {k: a or b or c for k, a, b, c in found}
    rules: list[dict[str, Any]] | None = [] if no_rules or rule_lines else None
    if rule_lines:
        for chunk in _SUBJECT_TEXT.findall(rule_lines):
            parts = _RULE_KEY.split(chunk)
            if any(parts[::4]):  # a line that is not a rule key or one of its values
                return False
            rule: dict[str, Any] = {}
            for key, empty, lines in zip(parts[1::4], parts[2::4], parts[3::4], strict=True):
                if empty and lines:
                    return False
                values = _values(lines) if lines else ([] if empty else None)
                if values is None and not (empty is None and not lines):
                    return False
                rule[key] = values
            rules.append(rule)  # type: ignore[union-attr]  # a list when there are rule lines
    cls = Role if kind == "Role" else ClusterRole
    return cls(api, RoleMeta(n1 or n2 or n3 or "", s1 or s2 or s3 or "", labels), rules, None)


def _convert_others(records: list[Any], others: list[tuple[int, str]], where: str) -> bool:
    """Read the items the expression does not describe with the general YAML reader, all at once,
    and put their records in place. False when any of them is not an RBAC object as upstream
    writes it (the typed JSON decoder's rule) or the text does not parse."""
    import msgspec

    from oidc_doctor.limits import check_nesting
    from oidc_doctor.loader import parse_text
    from oidc_doctor.rbac.objects import RbacRecord

    try:
        docs = parse_text("items:\n" + "".join(t for _, t in others), where)
    except InputError:
        return False
    items = docs[0].get("items") if len(docs) == 1 and isinstance(docs[0], dict) else None
    if not isinstance(items, list) or len(items) != len(others):
        return False
    try:
        converted = [msgspec.convert(item, type=RbacRecord) for item in items]
    except msgspec.ValidationError:
        return False
    if not all((rec.apiVersion or "").startswith("rbac.authorization.k8s.io/") for rec in converted):
        return False
    roles = [[rec.rules, rec.aggregationRule] for rec in converted if hasattr(rec, "rules")]
    try:
        check_nesting(roles, where)
    except InputError:
        return False
    for (index, _), rec in zip(others, converted, strict=True):
        records[index] = rec
    return True
