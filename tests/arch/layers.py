"""The import graph of ``oidc_doctor``, read from the source (no import executed).

Layers, from the edge inwards (``docs/architecture.md``):
- edge: ``cli``, ``commands``, ``__main__`` — may import anything;
- sources (I/O into Evidence): ``bundle``, ``loader``, ``live``, ``token.source``, ``token.keys``,
  ``io`` — never ``checks``, ``facts``, ``pipeline``, ``render``;
- contracts: ``evidence``, ``model``, ``causes``, ``change``, ``record``, ``errors``, ``text``, ``jose``, and the
  shared modules of outside facts (``secrets``, ``shell``, ``limits``, ``net``, ``gosyntax``,
  ``dates``) —
  import only other contracts;
- engines (pure): ``authn``, ``token``, ``rbac``, ``logs``, ``proxy`` — never ``checks``,
  ``facts``, ``pipeline``, ``render``, ``commands``, ``cli``;
- judgement: ``facts``, ``derive``, ``checks``, ``pipeline`` — never ``whatif``, ``render``, ``commands``, ``cli``;
- what-if: ``whatif`` (changes applied to the evidence, judged again by the runner) — never ``render``,
  ``commands``, ``cli``;
- ``render`` — only contracts and ``pipeline``'s report type.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "oidc_doctor"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}


class Import:
    """One import of a package module: who, what, which names, at module level or inside a function."""

    def __init__(self, src: str, dst: str, names: tuple[str, ...], top: bool, line: int) -> None:
        self.src, self.dst, self.names, self.top, self.line = src, dst, names, top, line


@functools.cache
def trees() -> tuple[tuple[str, ast.Module], ...]:
    """Every module of the package, parsed: (module name, syntax tree)."""
    return tuple((module_name(p), ast.parse(p.read_text(), str(p))) for p in sorted(PACKAGE.rglob("*.py")))


@functools.cache
def imports(typing: bool = False) -> tuple[Import, ...]:
    """Every runtime import of an ``oidc_doctor`` module by an ``oidc_doctor`` module (with
    ``typing``, also those made only for the type checker, under ``if TYPE_CHECKING:``)."""
    out: list[Import] = []
    for mod, tree in trees():
        is_pkg = PACKAGE.parent.joinpath(*mod.split("."), "__init__.py").exists()
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not typing and _in_type_checking(node, parents):
                continue
            top = parents.get(node) is tree
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("oidc_doctor"):
                        out.append(Import(mod, a.name, (), top, node.lineno))
            elif isinstance(node, ast.ImportFrom):
                dst = _resolve(mod, is_pkg, node)
                if not dst.startswith("oidc_doctor"):
                    continue
                # `from package import submodule` imports the submodule, not the package's names.
                subs = [a.name for a in node.names if f"{dst}.{a.name}" in MODULES]
                names = tuple(a.name for a in node.names if a.name not in subs)
                out += [Import(mod, f"{dst}.{n}", (), top, node.lineno) for n in subs]
                if names:
                    out.append(Import(mod, dst, names, top, node.lineno))
    return tuple(out)


def layer(mod: str) -> str:
    """The layer a module belongs to."""
    rest = mod.split(".")[1:] or ["__init__"]
    head = rest[0]
    if head in ("cli", "commands", "__main__"):
        return "edge"
    if head in ("bundle", "loader", "live", "io") or mod in ("oidc_doctor.token.source", "oidc_doctor.token.keys"):
        return "source"
    if head in ("evidence", "model", "causes", "change", "record", "errors", "text", "jose", "__init__"):
        return "contract"
    if head in ("secrets", "shell", "limits", "net", "gosyntax", "dates"):
        return "contract"  # shared modules: one outside fact each, importable by every layer
    if head in ("facts", "derive", "checks", "pipeline"):
        return "judgement"
    if head == "render":
        return "render"
    if head == "whatif":
        return "whatif"
    return "engine"
