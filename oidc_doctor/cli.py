"""Command-line entry: ``main(argv, io) -> exit status``.

Exit status everywhere: 0 no ``error``-severity finding, 1 at least one, 2 the tool could not
run. argparse is used (not click/typer) because one-shot commands must start near the bare
``cryptography`` import floor (see README, Benchmarks).

Even argparse costs a one-shot command about 5 ms (it imports ``gettext`` and ``locale``, and its
help formatter, built for every ``add_argument``, imports ``shutil`` with ``bz2``/``lzma``).
So a command line that uses only plain options is read by :func:`fast_args`, from the same
``add_arguments`` declarations, into the namespace argparse would build; anything else (help,
abbreviations, errors, sub-commands, repeated or typed arguments) goes to argparse.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NoReturn

from oidc_doctor import __version__
from oidc_doctor.commands import COMMANDS
from oidc_doctor.errors import DoctorError
from oidc_doctor.io import IO

if TYPE_CHECKING:
    import argparse


def _module(name: str) -> Any:
    """The command module (``__import__`` with a fromlist returns the submodule itself)."""
    return __import__(name, fromlist=("run",))


def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse that raises instead of exiting, so ``main`` owns the exit status."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise _ArgError(f"{self.prog}: {message}")

        def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
            if message:
                print(message, file=sys.stderr, end="")
            raise _ArgExit(status)

    return _Parser


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
    parser_class = _parser_class()
    parser = parser_class(
        prog="oidc-doctor",
        description="Find out why an OIDC login to Kubernetes fails, and how to fix it.",
    )
    parser.add_argument("--version", action="version", version=f"oidc-doctor {__version__}")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    for name, (module, help_text) in COMMANDS.items():
        # With a command chosen, only its parser is built: each sub-parser costs about a
        # millisecond, a visible share of a one-shot command's start-up.
        if only is None or only == name:
            sub = subs.add_parser(name, help=help_text, description=help_text)
            _module(module).add_arguments(sub)
    return parser


class _Unsupported(Exception):
    """A declaration or a command line the fast reader leaves to argparse."""


class _Option:
    """One declared argument: its option strings (none for a positional) and what it stores."""

    __slots__ = ("choices", "default", "dest", "flag", "names", "optional")

    def __init__(self, names: tuple[str, ...], kwargs: dict[str, Any]) -> None:
        allowed = {"action", "nargs", "choices", "default", "metavar", "help", "dest"}
        if not names or set(kwargs) - allowed:
            raise _Unsupported
        action = kwargs.get("action", "store")
        nargs = kwargs.get("nargs")
        self.names = names
        self.optional = names[0].startswith("-")
        if self.optional:
            # argparse: the first long option names the attribute ("--client-id" -> client_id).
            if not all(n.startswith("-") and n != "-" and not n.startswith("---") for n in names):
                raise _Unsupported
            long = [n for n in names if n.startswith("--")]
            derived = (long[0] if long else names[0]).lstrip("-").replace("-", "_")
            if action not in ("store", "store_true") or nargs is not None:
                raise _Unsupported
        else:
            if len(names) != 1 or action != "store" or nargs not in (None, "?") or "dest" in kwargs:
                raise _Unsupported
            derived = names[0]
        self.dest: str = kwargs.get("dest") or derived
        self.flag = action == "store_true"
        self.default: Any = kwargs.get("default", False if self.flag else None)
        self.choices: tuple[Any, ...] | None = tuple(kwargs["choices"]) if kwargs.get("choices") is not None else None
        # A required positional (nargs None) is told apart by its default being "required".
        if not self.optional and nargs is None:
            self.default = _REQUIRED


_REQUIRED = object()


class _Recorder:
    """Stands in for the sub-parser while a command declares its arguments."""

    def __init__(self) -> None:
        self.options: list[_Option] = []

    def add_argument(self, *names: str, **kwargs: Any) -> None:
        self.options.append(_Option(names, kwargs))

    def __getattr__(self, name: str) -> Any:
        raise _Unsupported  # groups, sub-parsers, defaults: argparse's business


#: One-shot commands whose start-up time is measured (the token benchmark); every other command's
#: line is argparse's alone.
_FAST_COMMANDS = frozenset(("token",))


def fast_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """The namespace argparse would return for ``argv``, or None to let argparse read it.

    Only ``COMMAND [--option VALUE | --option=VALUE | --flag | ARG]...`` is read here, with
    options spelt out in full, values not starting with ``-`` (``-`` itself is fine), at most one
    positional argument and no option whose value breaks its ``choices``. Anything else,
    including every error, is argparse's, so messages and exit statuses stay argparse's.
    """
    if not argv or argv[0] not in _FAST_COMMANDS:
        return None
    recorder = _Recorder()
    try:
        _module(COMMANDS[argv[0]][0]).add_arguments(recorder)
    except (_Unsupported, AttributeError, TypeError):
        return None  # a declaration the reader does not know: argparse reads this command line
    positionals = [o for o in recorder.options if not o.optional]
    by_name = {n: o for o in recorder.options if o.optional for n in o.names}
    dests = [o.dest for o in recorder.options]
    if (
        len(positionals) > 1
        or len(by_name) != sum(len(o.names) for o in recorder.options if o.optional)
        or len(set(dests)) != len(dests)
        or "command" in dests
    ):
        return None
    values: dict[str, Any] = {"command": argv[0]}
    for o in recorder.options:
        values[o.dest] = o.default
    given: list[str] = []
    rest = list(argv[1:])
    i = 0
    while i < len(rest):
        arg = rest[i]
        i += 1
        if not arg.startswith("-") or arg == "-":
            given.append(arg)
            continue
        name, eq, value = arg.partition("=")
        option = by_name.get(name)
        if option is None or (eq and (option.flag or not value)):
            return None
        if option.flag:
            values[option.dest] = True
            continue
        if not eq:
            if i >= len(rest) or (rest[i].startswith("-") and rest[i] != "-"):
                return None
            value = rest[i]
            i += 1
        if option.choices is not None and value not in option.choices:
            return None
        values[option.dest] = value
    if len(given) > len(positionals):
        return None
    if positionals:
        if given:
            values[positionals[0].dest] = given[0]
        elif values[positionals[0].dest] is _REQUIRED:
            return None
    return SimpleNamespace(**values)


def main(argv: Sequence[str] | None = None, io: IO | None = None) -> int:
    """Run one command and return its exit status; never lets a traceback out."""
    io = io or IO(env=dict(os.environ))
    argv = list(sys.argv[1:] if argv is None else argv)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.stdout, io.stderr  # argparse prints help/usage to sys streams
    try:
        try:
            args: Any = fast_args(argv) or build_parser(_chosen(argv)).parse_args(argv)
        except _ArgError as e:
            # argparse names the (sub-)command: "oidc-doctor rbac who: ..." reads "rbac who: ...".
            io.warn(str(e).removeprefix("oidc-doctor").lstrip(": "))
            return 2
        except _ArgExit as e:
            return e.status
        if not args.command:
            build_parser().print_help(io.stdout)
            return 2
        module = _module(COMMANDS[args.command][0])
        status: int = module.run(args, io)
        io.stdout.flush()  # a full disk or a closed pipe shows here, not after main returned
        return status
    except DoctorError as e:
        io.warn(str(e))
        return 2
    except KeyboardInterrupt:
        io.warn("interrupted")
        return 2
    except BrokenPipeError:
        return 2
    except OSError as e:
        # ENOSPC on standard output (a full disk, /dev/full) and other write failures: one line
        where = e.filename if isinstance(e.filename, str) else "output"
        io.warn(f"{where}: cannot write: {e.strerror or e}")
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
