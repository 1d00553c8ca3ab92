"""The command's window on the world: streams and environment, injectable for tests."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class IO:
    """Streams and environment a command uses; ``main`` builds the real one."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def stdout_tty(self) -> bool:
        """Whether stdout is a terminal (rich output) rather than a pipe or file."""
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty()) and self.env.get("TERM") != "dumb"

    def warn(self, message: str) -> None:
        """One line on stderr."""
        print(f"oidc-doctor: {message}", file=self.stderr)
