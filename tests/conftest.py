"""Shared test configuration: the real OpenID provider plugin (see ``tests/idp/fixture.py``)."""

pytest_plugins = ["idp.fixture"]
