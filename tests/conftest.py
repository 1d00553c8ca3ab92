"""Shared test configuration: the real OpenID provider plugin (``tests/idp/idp_fixture.py``).

``tests/idp`` goes on ``sys.path`` so tests import the provider's handle as ``from idp_fixture
import IdP`` (one module name for pytest and mypy in this ``__init__``-free layout).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "idp"))

pytest_plugins = ["idp_fixture"]
