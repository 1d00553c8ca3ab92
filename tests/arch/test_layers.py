"""The layers of ``docs/architecture.md`` hold: who may import whom, no private names, no cycles."""

from __future__ import annotations

import ast
import collections

from layers import imports, layer, trees

#: What each layer must not import (see the module doc of ``layers.py``).
FORBIDDEN = {
    "source": {"judgement", "whatif", "render", "edge"},
    "contract": {"source", "engine", "judgement", "whatif", "render", "edge"},
    "engine": {"judgement", "whatif", "render", "edge"},
    "judgement": {"whatif", "render", "edge"},
    "whatif": {"render", "edge"},
    "render": {"source", "engine", "whatif", "edge"},
}

#: Cycles known on main and not yet broken. The list may only shrink: a new cycle fails the test.
KNOWN_CYCLES: set[frozenset[str]] = set()


def test_no_layer_imports_a_layer_it_must_not() -> None:
    bad = [
        f"{i.src} ({layer(i.src)}) imports {i.dst} ({layer(i.dst)}) at line {i.line}"
        for i in imports()
        if layer(i.dst) in FORBIDDEN.get(layer(i.src), set())
    ]
    assert not bad, bad


def test_no_module_imports_another_modules_private_name() -> None:
    bad = [
        f"{i.src} imports {i.dst}.{n}"
        for i in imports()
        for n in i.names
        if n.startswith("_") and not n.startswith("__") and i.dst != i.src
    ]
    assert not bad, bad


def _cycles() -> set[frozenset[str]]:
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for i in imports():
        if i.dst != i.src:
            graph[i.src].add(i.dst)
    found: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                found.add(frozenset(stack[stack.index(v) :]))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(graph):
        if u not in state:
            visit(u)
    return found


def test_no_new_import_cycle() -> None:
    cycles = _cycles()
    new = [sorted(c) for c in cycles if not any(k <= c for k in KNOWN_CYCLES)]
    assert not new, new


def test_the_runner_and_the_facts_form_no_cycle_with_the_checks() -> None:
    assert not any("oidc_doctor.facts" in c and any(m.startswith("oidc_doctor.checks") for m in c) for c in _cycles())


#: The modules that write findings: the checks, and the runner (a crashed check reads ``unknown``).
WRITERS = ("oidc_doctor.checks", "oidc_doctor.pipeline")
#: The types of a check's outcome: findings and check results.
OUTCOME_TYPES = frozenset(("Finding", "CheckResult"))


def _writes_findings(mod: str) -> bool:
    return any(mod == w or mod.startswith(w + ".") for w in WRITERS)


def _constructions(tree: ast.Module) -> list[tuple[int, str]]:
    """Calls that make a finding or a check result: ``Finding(...)``, ``CheckResult(...)``,
    ``CheckResult.failed(...)`` (also through a module: ``model.Finding(...)``)."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        names = []
        while isinstance(f, ast.Attribute):
            names.append(f.attr)
            f = f.value
        if isinstance(f, ast.Name):
            names.append(f.id)
        if OUTCOME_TYPES & set(names):
            out.append((node.lineno, ast.unparse(node.func)))
    return out


def test_only_the_checks_write_findings() -> None:
    """Engines return verdicts; only ``checks/`` (and the runner) make findings and check results."""
    bad = [
        f"{mod} line {line}: {what}(...)"
        for mod, tree in trees()
        if mod != "oidc_doctor.model" and not _writes_findings(mod)
        for line, what in _constructions(tree)
    ]
    assert not bad, bad


def test_engines_and_sources_neither_import_findings_nor_checks_even_for_typing() -> None:
    """An engine's verdict is its own type: no engine or source module imports the outcome types of
    a check, or ``checks`` itself, not even under ``if TYPE_CHECKING:``."""
    bad = [
        f"{i.src} ({layer(i.src)}) imports {i.dst} {', '.join(i.names)} at line {i.line}"
        for i in imports(typing=True)
        if layer(i.src) in ("engine", "source")
        and (
            (i.dst == "oidc_doctor.model" and OUTCOME_TYPES & set(i.names))
            or i.dst == "oidc_doctor.checks"
            or i.dst.startswith("oidc_doctor.checks.")
        )
    ]
    assert not bad, bad


def test_the_finding_rule_sees_a_construction_and_an_import() -> None:
    """The two rules above can fail: a construction and an import are recognised in any spelling."""
    tree = ast.parse(
        "from oidc_doctor.model import Finding\n"
        "import oidc_doctor.model as m\n"
        "def f():\n"
        "    a = Finding('x', 'y')\n"
        "    b = m.CheckResult.failed([a])\n"
        "    return m.Finding('x', 'z'), b\n"
    )
    assert [what for _, what in _constructions(tree)] == ["Finding", "m.CheckResult.failed", "m.Finding"]
    assert _writes_findings("oidc_doctor.checks.token") and _writes_findings("oidc_doctor.pipeline")
    assert not _writes_findings("oidc_doctor.token.inspect") and not _writes_findings("oidc_doctor.checksum")
