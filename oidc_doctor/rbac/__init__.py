"""The RBAC engine: index bindings by subject, decide requests as Kubernetes does, explain denials.

Pure library (no I/O): the ``rbac`` checks and the ``rbac who``/``rbac can`` commands use it.
Objects stay the plain dicts the loader gave, so 55,000 bindings index in about 0.15 s (no
per-object model classes).
"""
