"""Command-line entry: ``main(argv, io) -> exit status``.

Exit status everywhere: 0 no ``error``-severity finding, 1 at least one, 2 the tool could not
run. argparse is used (not click/typer) because one-shot commands must start near the bare
``cryptography`` import floor (see README, Benchmarks). Two things keep it cheap: only the chosen
command's module and sub-parser are loaded, and a *quiet* help formatter: argparse builds a
formatter for every ``add_argument``, and the stock one imports ``shutil`` (with ``bz2``/``lzma``)
to ask the terminal's width; ours asks ``os.get_terminal_size`` once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
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


_WIDTH: list[int] = []


def _width() -> int:
    """The help text's width: ``COLUMNS``, else the terminal's, else 80 (asked once)."""
    if not _WIDTH:
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            _WIDTH.append(int(columns))
        else:
            try:
                _WIDTH.append(os.get_terminal_size(sys.stdout.fileno()).columns)
            except (OSError, ValueError, AttributeError):  # not a terminal, or a stream without a descriptor
                _WIDTH.append(80)
    return max(_WIDTH[0] - 2, 40)


def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse that raises instead of exiting (``main`` owns the exit status), with the quiet formatter."""
    import argparse

    class _Formatter(argparse.RawDescriptionHelpFormatter):
        def __init__(
            self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
        ) -> None:
            super().__init__(prog, indent_increment, max_help_position, width or _width())

    class _Parser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("formatter_class", _Formatter)
            super().__init__(*args, **kwargs)

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


_EPILOG = """examples:
  oidc-doctor diagnose --bundle DIR                 the whole walk, root cause first
  oidc-doctor token @id_token.txt                   decode and verify one token
  oidc-doctor rbac who --user USER --bundle DIR     the bindings that apply to a user

exit status: 0 no error found, 1 at least one error found, 2 the tool could not run.
Output: -o text|json|yaml|markdown|html, --output-file FILE (- = stdout)."""


def _prog() -> str:
    """``kubectl oidc-doctor`` when run as the kubectl plugin (``kubectl-oidc_doctor``), else ``oidc-doctor``."""
    name = os.path.basename(sys.argv[0] if sys.argv else "")
    return "kubectl oidc-doctor" if name.startswith("kubectl-") else "oidc-doctor"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that sub-command's options are loaded (fast start)."""
    parser_class = _parser_class()
    parser = parser_class(
        prog=_prog(),
        description="Find out why an OIDC login to Kubernetes fails, and how to fix it.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"oidc-doctor {__version__}")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    for name, (module, help_text) in COMMANDS.items():
        # With a command chosen, only its parser is built: each sub-parser costs about a
        # millisecond, a visible share of a one-shot command's start-up.
        if only is None or only == name:
            mod = _module(module)
            sub = subs.add_parser(name, help=help_text, description=help_text, epilog=getattr(mod, "EPILOG", None))
            mod.add_arguments(sub)
    if parser.prog.startswith("kubectl "):
        # kubectl finds the plugin `kubectl-oidc_doctor` for `kubectl oidc-doctor` (a dash in the
        # command is an underscore in the file name: kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins):
        # the examples must say what the user types.
        import re

        plugin = re.compile(r"(?<![\w/-])oidc-doctor(?= )")
        for _, p in walk(parser):
            for attr in ("epilog", "description"):
                text = getattr(p, attr)
                if text:
                    setattr(p, attr, plugin.sub("kubectl oidc-doctor", text))
    return parser


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the tree with its command path: ``()``, ``("rbac",)``, ``("rbac", "who")``..."""
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, (*path, name))


def _command_path(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """The sub-command words of ``argv`` (``["rbac", "who"]``), found in the parser tree."""
    children: dict[tuple[str, ...], set[str]] = {}
    for found, _ in walk(parser):
        if found:
            children.setdefault(found[:-1], set()).add(found[-1])
    path: tuple[str, ...] = ()
    for word in argv:
        if word in children.get(path, ()):
            path = (*path, word)
    return list(path)


def main(argv: Sequence[str] | None = None, io: IO | None = None) -> int:
    """Run one command and return its exit status; never lets a traceback out."""
    io = io or IO(env=dict(os.environ))
    argv = list(sys.argv[1:] if argv is None else argv)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.stdout, io.stderr  # argparse prints help/usage to sys streams
    try:
        try:
            parser = build_parser(_chosen(argv))
            args, extra = parser.parse_known_args(argv)
            if extra:
                # argparse reports words no sub-parser took at the top ("oidc-doctor: unrecognized
                # arguments"): name the (sub-)command they were given to, as its own errors do.
                where = " ".join(_command_path(parser, argv))
                raise _ArgError(f"{where}: unrecognized arguments: {' '.join(extra)}")
        except _ArgError as e:
            # argparse names the (sub-)command: "oidc-doctor rbac who: ..." reads "rbac who: ...".
            io.warn(str(e).removeprefix("kubectl ").removeprefix("oidc-doctor").lstrip(": "))
            return 2
        except _ArgExit as e:
            return e.status
        if not args.command:
            build_parser().print_help(io.stdout)
            return 2
        # the command line a report shows (render.common.Meta masks a token typed in it)
        args.argv, args.prog = tuple(argv), _prog()
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


#: The collector's first threshold for a command's process (the default is 700 allocations).
GC_THRESHOLD = 20_000


def entry() -> NoReturn:
    """Console-script entry point (also ``python -m oidc_doctor`` and the kubectl plugin's launcher).

    A command runs in a process of its own, so the cyclic garbage collector is tuned for that. The
    tool's modules and classes are made at start-up and live until exit: with the first threshold
    at its default the collector ran about 20 times while ``predict`` started, rescanning them each
    time; at 20,000 it still collects cyclic garbage, later. At exit the interpreter's own
    collections pass over every object once more; ``gc.freeze()`` moves them out of their reach
    (the memory goes back with the process, and files are closed by their ``with`` blocks, not by
    the collector). Together 54 -> 45 ms of a prediction, 9 ms of every command
    (``benchmarks/bench_authn.py``); the big bundles' loader pauses the collector anyway.
    """
    import gc

    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    status = main()
    gc.freeze()
    sys.exit(status)
