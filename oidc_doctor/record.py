"""Plain record classes: equality, ``repr`` and (when frozen) hashing by their fields.

The records every command loads (``model``, ``evidence``, ``checks.base``, ``causes``, ``io``,
``jose``, the token report, ``pipeline``) were dataclasses. Importing :mod:`dataclasses` pulls in
``inspect`` (and with it ``ast``, ``dis``, ``tokenize``), and each ``@dataclass`` compiles its
generated methods at import time: replacing them (and ``hashlib``) took the ``token`` command
from 60 to 40 ms (see ``benchmarks/bench_token.py``). These bases give the same behaviour from code
compiled once into the bytecode cache: a subclass lists its fields, in order, as ``_fields``
(and ``__slots__ = _fields``) and writes its ``__init__``; ``==`` compares records of the same
class field by field and ``repr`` reads like a dataclass's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform, overload


class Record:
    """Mutable record: ``==`` and ``repr`` by the fields named in ``_fields`` (unhashable).

    A subclass sets ``_fields`` (the field names in order) and ``__slots__ = _fields``.
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    __slots__ = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, Record)
            return self._values() == other._values()
        return NotImplemented

    # Defining __eq__ without __hash__ leaves the class unhashable, like a dataclass with eq=True.

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"


class FrozenRecord(Record):
    """Immutable record: assigning a field raises ``AttributeError``; hashable by its fields.

    ``__init__`` sets the fields with ``object.__setattr__``.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__qualname__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen {type(self).__qualname__}")

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[FrozenRecord], tuple[Any, ...]]:
        # copy, deepcopy and pickle rebuild through __init__ (assignment is refused); every frozen
        # record's __init__ takes its fields in order.
        return type(self), self._values()


# -- a light stand-in for @dataclass ---------------------------------------------------------------
#
# The authn engine's 27 dataclasses cost `predict` about 13 ms of start-up (importing
# `dataclasses` pulls in `inspect`, `ast`, `dis` and `tokenize`; each class then compiles the
# methods it generates). `dataclass` below gives the same behaviour for what the engine uses
# (plain and ``frozen=True`` classes, defaults, ``field(default=..., default_factory=...)``) from
# methods compiled once into the bytecode cache. Type checkers read it as a dataclass
# (``dataclass_transform``, PEP 681), and ``dataclasses.fields``/``replace``/``asdict`` still
# work on its classes: ``__dataclass_fields__`` is built, with the real module, on first use.

_MISSING: Any = object()
_T = TypeVar("_T")


class _FieldSpec:
    __slots__ = ("default", "default_factory")

    def __init__(self, default: Any, default_factory: Any) -> None:
        self.default = default
        self.default_factory = default_factory


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] = _MISSING) -> Any:
    """A field's default or default factory (as :func:`dataclasses.field`)."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _FieldSpec(default, default_factory)


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen class (as :class:`dataclasses.FrozenInstanceError`)."""


class _DataclassFields:
    """``__dataclass_fields__`` made on first use, with the real :mod:`dataclasses` (only code
    that asks for it, such as ``dataclasses.replace``, pays for the import)."""

    def __get__(self, obj: object, owner: type) -> dict[str, Any]:
        import dataclasses

        out: dict[str, Any] = {}
        for name in owner.__light_fields__:  # type: ignore[attr-defined]
            spec = owner.__light_defaults__.get(name)  # type: ignore[attr-defined]
            if spec is None:
                f = dataclasses.field()
            elif spec.default_factory is not _MISSING:
                f = dataclasses.field(default_factory=spec.default_factory)
            else:
                f = dataclasses.field(default=spec.default)
            f.name = name
            f.type = owner.__annotations__.get(name, Any)
            f._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # what fields() keeps
            out[name] = f
        type.__setattr__(owner, "__dataclass_fields__", out)
        return out


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    names: tuple[str, ...] = cls.__light_fields__
    if len(args) > len(names):
        raise TypeError(f"{cls.__qualname__}() takes {len(names)} positional arguments but {len(args)} were given")
    setter = object.__setattr__
    for name, value in zip(names, args, strict=False):
        setter(self, name, value)
    defaults = cls.__light_defaults__
    for name in names[len(args) :]:
        if name in kwargs:
            value = kwargs.pop(name)
        else:
            spec = defaults.get(name)
            if spec is None:
                raise TypeError(f"{cls.__qualname__}() missing required argument: {name!r}")
            value = spec.default_factory() if spec.default_factory is not _MISSING else spec.default
        setter(self, name, value)
    if kwargs:
        unknown = next(iter(kwargs))
        if unknown in names[: len(args)]:
            raise TypeError(f"{cls.__qualname__}() got multiple values for argument {unknown!r}")
        raise TypeError(f"{cls.__qualname__}() got an unexpected keyword argument {unknown!r}")
    post = getattr(cls, "__post_init__", None)
    if post is not None:
        post(self)  # as dataclasses does: after every field is set (a frozen class writes with object.__setattr__)


def _repr(self: Any) -> str:
    fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__light_fields__)
    return f"{type(self).__qualname__}({fields})"


def _values_of(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__light_fields__)


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        return bool(_values_of(self) == _values_of(other))
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values_of(self))


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _make(cls: type[_T], frozen: bool) -> type[_T]:
    names: list[str] = []
    defaults: dict[str, _FieldSpec] = {}
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 - inspect is what we avoid
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        names.append(name)
        if name in cls.__dict__:
            value = cls.__dict__[name]
            spec = value if isinstance(value, _FieldSpec) else _FieldSpec(value, _MISSING)
            if isinstance(spec.default, list | dict | set):
                raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed")
            defaults[name] = spec
            if isinstance(value, _FieldSpec):
                if spec.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, spec.default)
        elif defaults:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    cls.__light_fields__ = tuple(names)  # type: ignore[attr-defined]
    cls.__light_defaults__ = defaults  # type: ignore[attr-defined]
    cls.__match_args__ = tuple(names)  # type: ignore[attr-defined,misc]
    cls.__dataclass_fields__ = _DataclassFields()  # type: ignore[attr-defined]
    cls.__init__ = _init  # type: ignore[method-assign]
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = _repr  # type: ignore[method-assign]
    cls.__eq__ = _eq  # type: ignore[method-assign]
    if frozen:
        cls.__hash__ = _hash  # type: ignore[method-assign]
        cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign]
        cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign]
    else:
        cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable
    return cls


@overload
def dataclass(cls: type[_T], /) -> type[_T]: ...


@overload
def dataclass(*, frozen: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(field,))
def dataclass(cls: type[_T] | None = None, /, *, frozen: bool = False) -> Any:
    """``@dataclass`` / ``@dataclass(frozen=True)`` for the subset described above."""
    if cls is None:
        return lambda c: _make(c, frozen)
    return _make(cls, frozen)


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of ``obj`` (a :func:`dataclass` instance) with ``changes`` (as :func:`dataclasses.replace`)."""
    names: tuple[str, ...] = type(obj).__light_fields__  # type: ignore[attr-defined]
    values = {name: getattr(obj, name) for name in names}
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{type(obj).__qualname__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(obj)(**values)
