"""Exceptions that end a command with exit status 2 and one clear line."""

from __future__ import annotations


class DoctorError(Exception):
    """Base class: the tool could not run. ``str()`` is the one line shown to the user."""


class InputError(DoctorError):
    """Bad input: the message starts with the file or argument at fault."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class UsageError(DoctorError):
    """Bad command-line usage."""


class NothingToJudge(DoctorError):
    """No check could look at anything: the inputs hold nothing usable. Not a healthy verdict."""
