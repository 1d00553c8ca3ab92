"""Every module takes the datetime types from ``oidc_doctor.dates`` (see its docstring: on Python 3.11
``import datetime`` costs a one-shot command about 1 ms of start-up)."""

from __future__ import annotations

import ast
import sys

from layers import trees


def _datetime_imports() -> list[str]:
    out = []
    for mod, tree in trees():
        if mod == "oidc_doctor.dates":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "datetime" and node.level == 0:
                out.append(f"{mod} line {node.lineno}")
            elif isinstance(node, ast.Import) and any(a.name == "datetime" for a in node.names):
                out.append(f"{mod} line {node.lineno}")
    return out


def test_no_module_but_dates_imports_the_datetime_module() -> None:
    assert _datetime_imports() == []


def test_the_types_are_the_datetime_modules_own() -> None:
    import datetime

    from oidc_doctor import dates

    assert dates.datetime is datetime.datetime
    assert dates.timedelta is datetime.timedelta
    assert dates.UTC is datetime.UTC


def test_on_python_3_11_the_pure_python_module_is_not_run() -> None:
    import subprocess

    child = "import sys, oidc_doctor.dates as d; print(d.datetime.now(d.UTC).year > 2000, 'datetime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "True"
    # 3.12 and later: datetime.py is the light module that loads _datetime, and is what dates imports
    assert out[1] == ("True" if sys.version_info >= (3, 12) else "False")
