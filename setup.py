"""Build hook: ship the example bundles inside the package (``oidc_doctor/_examples``).

The examples live at the top of the repository (``examples/``), where the tests, the README and
``examples/generate.py`` use them. ``package-data`` can only take files from inside a package, so
``build_py`` copies each example folder and ``expected.json`` into the built package; an
editable install finds the checkout's ``examples/`` instead (``oidc_doctor/commands/examples.py``).
Everything else is configured in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithExamples(build_py):
    """``build_py`` that also copies the example bundles into ``oidc_doctor/_examples``."""

    def run(self) -> None:
        super().run()
        source = HERE / "examples"
        if not source.is_dir():  # a build from an sdist made without them: nothing to ship
            return
        target = Path(self.build_lib) / "oidc_doctor" / "_examples"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copy2(source / "expected.json", target / "expected.json")
        for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            shutil.copytree(folder, target / folder.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithExamples})
