"""``oidc-doctor token`` (placeholder on main until the token inspector lands)."""

from __future__ import annotations

import argparse

from oidc_doctor.errors import UsageError
from oidc_doctor.io import IO


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``token``."""
    p.add_argument("src", nargs="?")


def run(args: argparse.Namespace, io: IO) -> int:
    """Not available yet."""
    raise UsageError("token: not available in this build")
