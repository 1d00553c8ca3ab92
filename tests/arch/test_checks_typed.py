"""No ``Any`` in ``checks/``: the checks read typed facts, and JSON through ``object`` and narrowing.

The JSON a check reads (claims, Kubernetes objects, log summaries) is typed as ``object``/
``dict[str, object]`` and narrowed with ``isinstance``, or given a ``TypedDict`` (issue 9: "no
``Any`` is left in ``checks/``"). This test reads the source, not the runtime: an ``Any`` imported,
named in an annotation (also inside a string annotation) or reached as ``typing.Any`` fails it.
"""

from __future__ import annotations

import ast
from pathlib import Path

CHECKS = Path(__file__).resolve().parents[2] / "oidc_doctor" / "checks"


def any_uses(source: str) -> list[int]:
    """The lines where ``Any`` is imported or named (``Any``, ``typing.Any``, ``"dict[str, Any]"``)."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and any(a.name == "Any" for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "Any":
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "Any":
            lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _in_annotation(node.value):
            lines.append(node.lineno)
    return sorted(set(lines))


def _in_annotation(text: str) -> bool:
    """A string annotation that names ``Any`` (a docstring or message never parses as one)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Name) and n.id == "Any" for n in ast.walk(tree))


def test_no_module_of_checks_uses_any() -> None:
    bad = [
        f"{path.relative_to(CHECKS.parents[1])}:{line}"
        for path in sorted(CHECKS.rglob("*.py"))
        for line in any_uses(path.read_text())
    ]
    assert not bad, f"Any in checks/ (type the JSON with object + isinstance, or a TypedDict): {bad}"


def test_the_rule_sees_every_spelling_of_any() -> None:
    source = (
        "from typing import Any\n"
        "import typing\n"
        "x: Any = 1\n"
        "def f(a: typing.Any) -> 'dict[str, Any]':\n"
        "    '''Any docstring mentioning Any is fine.'''\n"
        "    return {}\n"
    )
    assert any_uses(source) == [1, 3, 4]
    assert any_uses("def f(a: dict[str, object]) -> None:\n    'Any reader'\n") == []
