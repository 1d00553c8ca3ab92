"""Compact typed records of RBAC objects, decoded straight from a big list's bytes.

A ``kubectl get clusterroles,roles,clusterrolebindings,rolebindings -A -o json`` dump of a big
cluster is tens of MB (55,000 bindings: 74 MB), most of it annotations (the last-applied
configuration), labels and managedFields that RBAC never reads. Decoded whole into dicts it
takes 430 MB and most of the run; decoded by ``msgspec`` into these records, with every field
the engine does not read skipped in the decoder, it takes a fraction of both.

The records answer the few dict operations the engine applies to an RBAC object (``get``,
``[]``, ``in``), so :mod:`oidc_doctor.rbac.index` and its callers read a record and a dict (from
a small file, a live read, or another engine) alike. The fields are those of the upstream types
the engine reads (k8s.io/api/rbac/v1 types.go: ``Subject``, ``RoleRef``, ``RoleBinding``,
``ClusterRoleBinding``, ``Role``, ``ClusterRole``, ``AggregationRule``); a value of another type
than upstream's makes the decoder fail, and the caller then reads the file the general way, so a
strange or hostile shape is judged exactly as before.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _DictLike:
    """The dict-like reading of a record: a field that is None reads as missing."""

    __slots__ = ()
    __struct_fields__: tuple[str, ...]
    __struct_config__: Any

    def get(self, key: str, default: Any = None) -> Any:
        """The field ``key`` (``kind`` is the tag of a tagged record), or ``default``."""
        if key in self.__struct_fields__:
            value = getattr(self, key)
            return default if value is None else value
        if key == "kind":
            tag = self.__struct_config__.tag
            return tag if isinstance(tag, str) else default
        return default

    def __getitem__(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON values (missing fields left out)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out


class _Fields(_DictLike, msgspec.Struct, gc=False):
    """A record read like a dict."""


class _Frozen(_DictLike, msgspec.Struct, gc=False, frozen=True):
    """A record read like a dict that is never changed, so it can be shared."""


class Subject(_Frozen, gc=False, frozen=True):
    """``rbac/v1.Subject``: who a binding names (its ``apiGroup`` is not read). Frozen: the YAML
    reader gives every binding that names the same subject one shared record."""

    kind: str | None = None
    name: str | None = None
    namespace: str | None = None


class RoleRef(_Frozen, gc=False, frozen=True):
    """``rbac/v1.RoleRef`` (frozen, shared as :class:`Subject` is)."""

    kind: str | None = None
    name: str | None = None
    apiGroup: str | None = None


class BindingMeta(_Fields, gc=False):
    """The part of a binding's ObjectMeta the engine reads. A missing name or namespace reads as
    "" (as the dict path reads it); a null one is not accepted (the dict path judges it)."""

    name: str = ""
    namespace: str = ""


class RoleMeta(_Fields, gc=False):
    """The part of a role's ObjectMeta the engine reads (labels: ClusterRole aggregation)."""

    name: str = ""
    namespace: str = ""
    labels: dict[str, str] | None = None


class _Binding(_Fields, gc=False, tag_field="kind"):
    apiVersion: str | None = None
    metadata: BindingMeta | None = None
    subjects: list[Subject] | None = None
    roleRef: RoleRef | None = None


class RoleBinding(_Binding, gc=False, tag="RoleBinding"):
    """``rbac/v1.RoleBinding``."""


class ClusterRoleBinding(_Binding, gc=False, tag="ClusterRoleBinding"):
    """``rbac/v1.ClusterRoleBinding``."""


class _Role(_Fields, gc=False, tag_field="kind"):
    apiVersion: str | None = None
    metadata: RoleMeta | None = None
    # Rules and selectors are few and small: kept as the plain values the engine matches.
    rules: list[dict[str, Any]] | None = None
    aggregationRule: dict[str, Any] | None = None


class Role(_Role, gc=False, tag="Role"):
    """``rbac/v1.Role``."""


class ClusterRole(_Role, gc=False, tag="ClusterRole"):
    """``rbac/v1.ClusterRole``."""


#: Any of the four RBAC records.
RbacRecord = RoleBinding | ClusterRoleBinding | Role | ClusterRole
RECORD_TYPES = (RoleBinding, ClusterRoleBinding, Role, ClusterRole)


class RbacList(msgspec.Struct, gc=False):
    """A ``kind: List`` (or ``*List``) whose items are all RBAC objects."""

    items: list[RbacRecord]
    kind: str | None = None


def is_record(obj: object) -> bool:
    """Whether ``obj`` is one of the typed RBAC records."""
    return isinstance(obj, _DictLike)


#: The kind of each record type (its tag).
KIND_OF: dict[type, str] = {t: str(t.__struct_config__.tag) for t in RECORD_TYPES}
BINDING_TYPES = (RoleBinding, ClusterRoleBinding)


def label(obj: RbacRecord) -> str:
    """``Kind namespace/name`` (as :func:`oidc_doctor.bundle.describe` writes it for a dict)."""
    meta = obj.metadata
    kind = KIND_OF[type(obj)]
    if meta is None:
        return kind
    ns = meta.namespace
    return f"{kind} {ns}/{meta.name}" if ns else f"{kind} {meta.name}".rstrip()
