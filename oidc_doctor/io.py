"""The command's window on the world: streams and environment, injectable for tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from oidc_doctor.dates import UTC, datetime
from oidc_doctor.record import Record


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class IO(Record):
    """Streams, environment and clock a command uses; ``main`` builds the real one.

    Streams left out are the process's (``sys.stdin`` ... at construction); ``env`` defaults to
    an empty mapping; ``clock`` (the only reader of the wall clock in a command) defaults to the
    real UTC time, and tests move it to prove nothing depends on today's date.
    """

    _fields = ("stdin", "stdout", "stderr", "env", "clock")
    __slots__ = _fields
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]
    clock: Callable[[], datetime]

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.stdin = sys.stdin if stdin is None else stdin
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self.env = {} if env is None else env
        self.clock = _wall_clock if clock is None else clock

    def now(self) -> datetime:
        """The current time (aware UTC) from the injected clock."""
        return self.clock()

    @property
    def stdout_tty(self) -> bool:
        """Whether stdout is a terminal (rich output) rather than a pipe or file."""
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty()) and self.env.get("TERM") != "dumb"

    def warn(self, message: str) -> None:
        """One line on stderr, without control characters (messages quote files, servers, tokens)."""
        if not message.isprintable():
            from oidc_doctor.text import clean

            message = clean(message)
        if "eyJ" in message:  # a token quoted by an error (a kubeconfig field, a path): fingerprint only
            from oidc_doctor.secrets import mask_jwts

            message = mask_jwts(message)
        print(f"oidc-doctor: {message}", file=self.stderr)
