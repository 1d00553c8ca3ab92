"""The RBAC engine: load RBAC objects, index bindings by subject, decide requests as Kubernetes does.

Pure library (no I/O except :func:`oidc_doctor.rbac.index.load_paths`): the ``rbac`` checks and
the ``rbac who``/``rbac can`` commands use it. Objects stay plain dicts as ``orjson``/YAML gave
them, so 55,000 bindings index in tens of milliseconds (no per-object model classes).
"""
