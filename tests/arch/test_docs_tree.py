"""``docs/architecture.md`` and the README's Layout paragraph describe the tree as it is.

Every top-level module (``name.py``) and package (``name/``) of ``oidc_doctor`` is named in the
architecture's layer table and in the README's Layout paragraph, and neither names one that is gone.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "oidc_doctor"


def tree(main: bool = True) -> set[str]:
    """``name.py`` for each top-level module (``__main__.py`` with ``main``), ``name/`` for each package."""
    names = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py" and (main or p.name != "__main__.py")}
    return names | {f"{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def named(text: str) -> set[str]:
    """The top-level names a text spells in backticks: `name.py`, `name/` (paths below them count
    for their top level: `commands/options.py` names `commands/`)."""
    out = set()
    for m in re.finditer(r"`(_*[a-z_]+)(\.py|/)[^`]*`", text):
        out.add(m.group(1) + m.group(2) if m.group(2) == "/" else m.group(1) + ".py")
    return out


def _layer_table() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    start = text.index("| layer |")
    return text[start : text.index("\n\n", start)]


def _readme_layout() -> str:
    text = (ROOT / "README.md").read_text() + "\n\n"
    start = text.index("Layout:")
    return text[start : text.index("\n\n", start)]


def test_the_layer_table_names_every_module_and_no_other() -> None:
    table = named(_layer_table())
    assert tree() - table == set(), "add these to the layer table of docs/architecture.md"
    assert table - tree() == set(), "the layer table names modules that are gone"


def test_the_readme_layout_names_every_module_and_no_other() -> None:
    layout = {n for n in named(_readme_layout()) if not (ROOT / n).exists()}  # not the repo's `docs/`
    assert tree(main=False) - layout == set(), "add these to the README's Layout paragraph"
    assert layout - tree() == set(), "the README's Layout paragraph names modules that are gone"


def test_names_are_read_as_their_top_level() -> None:
    assert named("`commands/options.py` and `bundle.py`, `render/` `docs/cli.md`") == {
        "commands/",
        "bundle.py",
        "render/",
        "docs/",
    }
    assert "docs/" not in tree() and "checks/" in tree() and "cli.py" in tree()
