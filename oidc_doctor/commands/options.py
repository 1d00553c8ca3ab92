"""Option groups declared once and used by every command (as kubelogin's ``addFlags`` groups).

- :func:`token_option`: ``--token SRC`` (or the positional ``SRC`` of ``token``), read by
  :func:`read_token` (``-`` stdin, ``@FILE``, ``$NAME``, the variable ``OIDC_DOCTOR_TOKEN``);
- :func:`now_option`: ``--now`` on every judging command, read by
  :func:`oidc_doctor.commands.when.judge_time` (the one ``now`` rule);
- :func:`source_options`: the evidence, ``--bundle DIR`` and/or live ``--context``/``--kubeconfig``;
- :func:`live_options`: ``--context``/``--kubeconfig`` alone (live-only commands);
- :func:`output_options`: kubectl's ``-o/--output FORMAT`` (``--format`` kept as an alias),
  ``--output-file FILE`` (``-`` = stdout), ``-q/--quiet`` and ``--no-color``, read by :func:`output_choice`.

This module imports nothing heavy: the ``token`` command's start-up runs through it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from oidc_doctor.errors import InputError, UsageError

if TYPE_CHECKING:
    import argparse

    from oidc_doctor.io import IO

#: Every format every command writes (``yaml`` is the JSON document as YAML; ``wide`` is kubectl's
#: text with more detail: the text, with more where a command has more to show, see :func:`wants_wide`).
FORMATS = ("text", "wide", "json", "yaml", "markdown", "html")


def token_option(p: Any, *, positional: bool = False, help: str | None = None, group: Any = None) -> None:
    """``--token SRC`` (or ``SRC`` as the positional argument of ``token``)."""
    text = help or "the token: - (stdin), @FILE, $NAME (an environment variable) or the text itself"
    target = group if group is not None else p
    if positional:
        target.add_argument(
            "src",
            nargs="?",
            metavar="SRC",
            help="- (stdin) or @FILE; default: the variable OIDC_DOCTOR_TOKEN. A token given here "
            "directly works but stays in your shell history",
        )
    else:
        target.add_argument("--token", metavar="SRC", help=text)


def now_option(p: Any) -> None:
    """``--now TIME``: the moment to judge at."""
    p.add_argument(
        "--now",
        metavar="RFC3339",
        help="judge at this moment (default: the newest log line, else the bundle's collection time, else "
        "the newest iat of the bundle's tokens, else the clock; the report says which)",
    )


def live_options(p: Any, **extra: Any) -> None:
    """``--context`` and ``--kubeconfig``."""
    p.add_argument(
        "--context", metavar="NAME", help="kubeconfig context to read live (default: the current one)", **extra
    )
    p.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)", **extra
    )


def source_options(p: Any, *, bundle_help: str | None = None, **extra: Any) -> None:
    """The evidence: ``--bundle DIR`` and/or the live cluster of ``--context``."""
    p.add_argument(
        "--bundle", metavar="DIR", help=bundle_help or "folder of evidence files (recognised by content)", **extra
    )
    live_options(p, **extra)


def is_live(args: argparse.Namespace) -> bool:
    """Whether the command line asks for the live cluster."""
    return bool(getattr(args, "context", None) or getattr(args, "kubeconfig", None))


def output_options(p: Any, **extra: Any) -> None:
    """``-o/--output FORMAT``, ``--format FORMAT`` (alias) and ``--output-file FILE``.

    ``extra`` is passed to every option (a sub-command's copy uses ``default=SUPPRESS`` so that
    ``proxy -o json authz-header ...`` and ``proxy authz-header ... -o json`` both work).
    """
    p.add_argument(
        "-o",
        "--output",
        metavar="FORMAT",
        help=f"output format: {'|'.join(FORMATS)} (- = stdout; a file name here is the old form of --output-file)",
        **extra,
    )
    p.add_argument("--format", choices=FORMATS, help="the same as -o FORMAT", **extra)
    p.add_argument("--output-file", metavar="FILE", help="write the output to FILE (- = stdout)", **extra)
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing: the exit status answers (as kubectl auth can-i --quiet)",
        **extra,
    )
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no colour on a terminal (as the variable NO_COLOR does)",
        **extra,
    )


def output_choice(args: argparse.Namespace, io: IO) -> tuple[str, str | None]:
    """(format, file or None for stdout) from ``-o``, ``--format`` and ``--output-file``.

    ``-o VALUE`` that is not a format name is the old ``-o FILE``: still honoured, with a
    deprecation note on stderr.
    """
    fmt: str | None = getattr(args, "format", None)
    out = getattr(args, "output", None)
    file: str | None = getattr(args, "output_file", None)
    choices = "|".join(FORMATS)
    if out == "-":  # stdout, as --output-file -: never a file named "-"
        out = None
        if file is not None and file != "-":
            raise UsageError(f"-o - (standard output) and --output-file {file} disagree: give one")
    if out is not None:
        if out in FORMATS:
            if fmt is not None and fmt != out:
                raise UsageError(f"-o {out} and --format {fmt} disagree: give one format")
            fmt = out
        elif not _looks_like_a_file(out):
            raise UsageError(f"-o {out}: unknown output format: choose one of {choices} (a file: --output-file {out})")
        else:
            if file is not None:
                raise UsageError(f"-o {out} is not a format ({choices}), and --output-file is given too")
            io.warn(f"-o FILE is deprecated: use --output-file {out} (and -o {choices} for the format)")
            file = out
    if file == "-":
        file = None
    if getattr(args, "quiet", False) and file is not None:
        raise UsageError(f"-q (print nothing) and --output-file {file} disagree: give one")
    if fmt == "wide":  # the text; a command with more to show asks wants_wide()
        fmt = "text"
    return fmt or "text", file


def wants_wide(args: argparse.Namespace) -> bool:
    """Whether ``-o wide`` (or ``--format wide``) asks for the text with more detail."""
    return "wide" in (getattr(args, "output", None), getattr(args, "format", None))


def _looks_like_a_file(value: str) -> bool:
    """Whether ``-o VALUE`` is the old ``-o FILE``: a path, a name with an extension, or an existing file.

    A bare word (``-o jsn``, ``-o table``) is a mistyped format and gets the list of formats.
    """
    return "/" in value or os.sep in value or "." in value.lstrip(".") or os.path.exists(value)


def read_token(src: str | None, io: IO) -> str:
    """One token, normalised, from ``-``, ``@FILE``, ``$NAME``, the argument, or ``$OIDC_DOCTOR_TOKEN``.

    Forgiving where a person errs: a path given without its ``@`` is named as such (never judged
    as a malformed token), and ``-`` on a terminal says that it waits for the token.
    """
    from oidc_doctor.token.source import ENV_VAR, normalise, read_token_source

    if src is not None and src.startswith("$") and len(src) > 1:
        name = src[1:]
        if name != ENV_VAR:
            text = io.env.get(name, "")
            if not text:
                raise UsageError(f"--token {src}: the environment variable is empty or unset")
            return _nonempty(normalise(text), src)
        src = None
    if src is not None and src != "-" and not src.startswith("@"):
        if os.path.isfile(src):
            raise InputError(src, f"this is a file — did you mean @{src}?")
        if os.path.isdir(src):
            raise InputError(src, "is a folder, not a token (give @FILE, - for stdin, or the token)")
        if src.count(".") < 2 and ("/" in src or src.endswith((".txt", ".jwt", ".json", ".token"))):
            from oidc_doctor.token.source import is_credential_like

            # A JWT has two dots and no slash: this is a path that does not exist, unless it looks
            # like an opaque credential (base64 may hold '/'), which is judged, never echoed.
            if not is_credential_like(src):
                raise InputError(src, f"no such file, and not a token (did you mean @{src}?)")
    if src == "-":
        isatty = getattr(io.stdin, "isatty", None)
        if isatty is not None and isatty():
            io.warn("reading the token from standard input: paste it, then press Ctrl-D (Ctrl-Z Enter on Windows)")
    text = read_token_source(src, io)
    if text.lstrip().startswith(("{", "You got")) or "following claims:" in text:
        from oidc_doctor.token.source import pasted_claims

        claims_only = pasted_claims(text)  # decoded claims pasted without the token: judged, header never
        if claims_only is not None:
            return claims_only
    return _nonempty(normalise(text), src or f"${ENV_VAR}")


def _nonempty(token: str, where: str) -> str:
    if not token:
        raise InputError(where, "no token found")
    return token
