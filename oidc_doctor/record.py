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

from typing import Any, ClassVar


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
