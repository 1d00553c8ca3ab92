"""The fast command-line reader gives exactly argparse's namespace, or leaves the line to argparse."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_doctor.cli import _ArgError, _ArgExit, build_parser, fast_args, main
from oidc_doctor.commands import COMMANDS
from oidc_doctor.io import IO


@contextmanager
def _quiet() -> Iterator[None]:
    """argparse prints usage to the sys streams before it raises (the CLI swaps them too)."""
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        yield
    finally:
        sys.stdout, sys.stderr = old


def _argparse(argv: list[str]) -> dict[str, object] | None:
    """argparse's namespace as a dict, or None when argparse refuses the line (or prints help)."""
    with _quiet():
        try:
            return vars(build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv))
        except (_ArgError, _ArgExit):
            return None


TOKEN_LINES = [
    ["token", "@t.txt", "--jwks", "j.json", "--format", "json"],
    ["token", "--jwks", "j.json", "@t.txt"],
    ["token", "--jwks=j.json", "--offline", "-"],
    ["token"],
    ["token", "--jwks", "-", "@t"],
    ["token", "--client-id", "kubernetes", "--issuer", "https://idp", "--signing-algs", "RS256,ES256", "@t"],
    ["token", "--now", "2026-11-28T10:25:12Z", "--ca-file", "ca.pem", "--offline", "--offline"],
    ["token", "--format", "text", "--format", "json", "eyJ.a.b"],
    ["token", ""],
]


@pytest.mark.parametrize("argv", TOKEN_LINES, ids=" ".join)
def test_plain_token_lines_are_read_as_argparse_reads_them(argv: list[str]) -> None:
    fast = fast_args(argv)
    assert fast is not None, "a plain token command line should not need argparse"
    assert vars(fast) == _argparse(argv)


REFUSED = [
    ["token", "--help"],
    ["token", "-h"],
    ["token", "--jw", "j.json"],  # an abbreviation: argparse's rules
    ["token", "--format", "yaml"],  # outside the choices: argparse's error
    ["token", "--format"],  # value missing
    ["token", "--jwks", "-x"],  # a value that looks like an option
    ["token", "--offline=yes"],
    ["token", "--jwks="],
    ["token", "a", "b"],  # two positionals
    ["token", "--", "a"],
    ["token", "-5"],
    ["token", "--bogus"],
    ["--version"],
    ["nonsense"],
    [],
]


@pytest.mark.parametrize("argv", REFUSED, ids=lambda a: " ".join(a) or "(empty)")
def test_anything_unusual_is_left_to_argparse(argv: list[str]) -> None:
    assert fast_args(argv) is None


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "token"])
def test_commands_with_other_declarations_go_to_argparse(command: str) -> None:
    # append actions, typed options, groups, sub-commands and nargs="+" are argparse's alone
    assert fast_args([command, "--format", "json"]) is None


WORDS = st.sampled_from(
    [
        "--jwks",
        "--jwks=f",
        "--jwks=",
        "--issuer",
        "--client-id",
        "--signing-algs",
        "--ca-file",
        "--offline",
        "--offline=1",
        "--now",
        "--format",
        "--format=json",
        "--format=xml",
        "--form",
        "json",
        "text",
        "-",
        "--",
        "-h",
        "-1",
        "@tok",
        "f",
        "",
        "a b",
        "-x y",
        "token",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=7))
def test_any_line_is_argparse_s_namespace_or_left_to_argparse(words: list[str]) -> None:
    argv = ["token", *words]
    fast = fast_args(argv)
    if fast is not None:
        assert vars(fast) == _argparse(argv)


def test_the_token_command_runs_from_the_fast_reader_with_argparse_s_errors_kept() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["token", "--format", "yaml"], IO(stdout=out, stderr=err, env={}))
    assert status == 2
    assert "invalid choice: 'yaml'" in err.getvalue()
