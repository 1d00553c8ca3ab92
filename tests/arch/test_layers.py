"""The layers of ``docs/architecture.md`` hold: who may import whom, no private names, no cycles."""

from __future__ import annotations

import collections

from layers import imports, layer

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
