"""The RBAC engine: index bindings by subject, decide requests as Kubernetes does, explain denials.

Pure library (no I/O): the ``rbac`` checks and the ``rbac who``/``rbac can`` commands use it.
Objects are the plain dicts the loader gave, or, for a big list, compact typed records read like
dicts (:mod:`oidc_doctor.rbac.objects`); the engine reads both.
"""


def is_record(obj: object) -> bool:
    """Whether ``obj`` is a typed record of :mod:`oidc_doctor.rbac.objects` (tested without
    importing it: ``msgspec`` is loaded only by a command that reads a big list; this package's
    ``__init__`` is light enough for any path)."""
    return hasattr(type(obj), "__struct_fields__")
