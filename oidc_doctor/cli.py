"""Command-line entry: ``main(argv, io) -> exit status``.

Exit status everywhere: 0 no ``error``-severity finding, 1 at least one, 2 the tool could not
run. argparse is used (not click/typer) because one-shot commands must start near the bare
``cryptography`` import floor (see README, Benchmarks).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from oidc_doctor import __version__
from oidc_doctor.commands import COMMANDS
from oidc_doctor.errors import DoctorError
from oidc_doctor.io import IO


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` owns the exit status."""

    def error(self, message: str) -> NoReturn:
        raise _ArgError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message, file=sys.stderr, end="")
        raise _ArgExit(status)


class _ArgError(Exception):
    pass


class _ArgExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _chosen(argv: Sequence[str]) -> str | None:
    for a in argv:
        if not a.startswith("-"):
            return a if a in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that sub-command's options are loaded (fast start)."""
    parser = _Parser(
        prog="oidc-doctor",
        description="Find out why an OIDC login to Kubernetes fails, and how to fix it.",
    )
    parser.add_argument("--version", action="version", version=f"oidc-doctor {__version__}")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        # With a command chosen, only its parser is built: each sub-parser costs about a
        # millisecond, a visible share of a one-shot command's start-up.
        if only is None or only == name:
            sub = subs.add_parser(name, help=help_text, description=help_text)
            importlib.import_module(module).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None, io: IO | None = None) -> int:
    """Run one command and return its exit status; never lets a traceback out."""
    io = io or IO(env=dict(os.environ))
    argv = list(sys.argv[1:] if argv is None else argv)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.stdout, io.stderr  # argparse prints help/usage to sys streams
    try:
        try:
            args = build_parser(_chosen(argv)).parse_args(argv)
        except _ArgError as e:
            # argparse names the (sub-)command: "oidc-doctor rbac who: ..." reads "rbac who: ...".
            io.warn(str(e).removeprefix("oidc-doctor").lstrip(": "))
            return 2
        except _ArgExit as e:
            return e.status
        if not args.command:
            build_parser().print_help(io.stdout)
            return 2
        module = importlib.import_module(COMMANDS[args.command][0])
        status: int = module.run(args, io)
        return status
    except DoctorError as e:
        io.warn(str(e))
        return 2
    except KeyboardInterrupt:
        io.warn("interrupted")
        return 2
    except BrokenPipeError:
        return 2
    except Exception as e:  # noqa: BLE001 - last line of defence: one line, exit 2, never a traceback
        io.warn(f"internal error: {type(e).__name__}: {e} (set OIDC_DOCTOR_DEBUG=1 for details)")
        if io.env.get("OIDC_DOCTOR_DEBUG"):
            import traceback

            traceback.print_exc(file=io.stderr)
        return 2
    finally:
        sys.stdout, sys.stderr = old_out, old_err


def entry() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())
