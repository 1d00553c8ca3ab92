"""Terminal text: the real width (``COLUMNS``, the terminal's), colour only when wanted, and fix
commands on lines of their own, never wrapped or boxed, so they can be copied whole."""

from __future__ import annotations

import io
import re

import pytest
from render_kit import EXAMPLES, NAMES, example_report

from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.render import render
from oidc_doctor.render.text import COMMAND_INDENT
from oidc_doctor.render.view import commands
from oidc_doctor.render.whatif import shell_word

SGR = re.compile(r"\x1b\[[0-9;]*m")


class _Tty(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _run(argv: list[str], env: dict[str, str], tty: bool = False) -> str:
    out = _Tty() if tty else io.StringIO()
    main(argv, IO(stdin=io.StringIO(""), stdout=out, stderr=io.StringIO(), env=env))
    return out.getvalue()


@pytest.mark.parametrize("tty", [False, True], ids=["plain", "colour"])
@pytest.mark.parametrize("name", NAMES)
def test_at_80_columns_only_a_whole_command_passes_the_width(name: str, tty: bool) -> None:
    report = example_report(name)
    out = SGR.sub("", render(report, "text", tty=tty, width=80))
    lines = out.splitlines()
    fix_commands = [c for f in report.findings for c in commands(f.fix)]
    for cmd in fix_commands:
        # every command is one line of its own: not wrapped, not boxed, nothing before it
        assert COMMAND_INDENT + cmd in lines, (name, cmd)
    tries = [f"{COMMAND_INDENT}--what-if {shell_word(f.change.spec())}" for f in report.findings if f.change]
    whole = {COMMAND_INDENT + c for c in fix_commands} | set(tries)
    assert all(t in lines for t in tries), (name, tries)
    too_long = [line for line in lines if len(line) > 80 and line not in whole]
    assert too_long == [], (name, too_long)
    assert "│" not in out and "╭" not in out  # no panel frames around fixes


def test_examples_have_fix_commands_to_check() -> None:
    # the width test above must meet real commands, long ones among them
    found = [c for n in NAMES for f in example_report(n).findings for c in commands(f.fix)]
    assert len(found) >= 10 and any(len(c) > 80 for c in found)


BUNDLE = str(EXAMPLES / "rbac-prefix-mismatch")
ARGV = ["diagnose", "--bundle", BUNDLE, "--now", "2026-11-28T10:25:12Z"]


def test_columns_sets_the_width_of_text() -> None:
    out = _run(ARGV, {"COLUMNS": "60"})
    cmd = (
        "kubectl -n dev create rolebinding view-oidc-alice-example.com --clusterrole=view --user=oidc:alice@example.com"
    )
    assert COMMAND_INDENT + cmd in out.splitlines()
    whole = (COMMAND_INDENT + "kubectl", COMMAND_INDENT + "--what-if")  # commands and what-if specs stay whole
    wide = [line for line in out.splitlines() if len(line) > 60 and not line.startswith(whole)]
    assert wide == []


def test_a_pipe_without_columns_keeps_lines_whole() -> None:
    out = _run(ARGV, {})
    # the title of the root cause stays one line for grep
    lines = out.splitlines()
    assert any(line.startswith("1. [ERROR] username-prefix-mismatch: ") and len(line) > 100 for line in lines)


def test_a_terminal_gets_colour_and_the_terminal_width() -> None:
    out = _run(ARGV, {"TERM": "xterm"}, tty=True)
    assert "\x1b[" in out
    plain = SGR.sub("", out).splitlines()
    assert max(len(line) for line in plain if not line.startswith(COMMAND_INDENT + "kubectl")) <= 80


@pytest.mark.parametrize(
    ("extra", "env"),
    [(["--no-color"], {}), ([], {"NO_COLOR": "1"}), (["-o", "text"], {}), (["--format", "text"], {})],
    ids=["--no-color", "NO_COLOR", "-o text", "--format text"],
)
def test_no_colour_when_asked(extra: list[str], env: dict[str, str]) -> None:
    out = _run([*ARGV, *extra], {"TERM": "xterm", **env}, tty=True)
    assert "\x1b" not in out
    assert "Most likely root cause: username-prefix-mismatch" in out


def test_a_command_line_token_is_never_shown() -> None:
    token = (EXAMPLES / "healthy" / "id_token.txt").read_text().strip()
    out = _run(["diagnose", "--token", token, "--error", "Unauthorized", "-o", "markdown"], {})
    assert token.split(".")[1] not in out and "oidc-doctor diagnose --token" in out
    opaque = "opaque-access-token-value-1234567890"
    out = _run(["diagnose", f"--token={opaque}", "--error", "Unauthorized", "-o", "html"], {})
    assert opaque not in out and "--token=&lt;token&gt;" in out


class _TtyErr(io.StringIO):
    """A stderr that says it is a terminal (progress bars are drawn only there)."""

    def isatty(self) -> bool:
        return True


def test_progress_of_a_long_read_goes_to_stderr_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import oidc_doctor.commands.logs as logs_command

    log = str(EXAMPLES / "kubeapps-audience-mismatch" / "kube-apiserver.log")
    plain_out = io.StringIO()
    main(["logs", log], IO(stdout=plain_out, stderr=io.StringIO(), env={}))
    monkeypatch.setattr(logs_command, "_PROGRESS_MIN", 1)  # every file counts as big
    out, err = io.StringIO(), _TtyErr()
    main(["logs", log], IO(stdout=out, stderr=err, env={}))
    assert "kube-apiserver.log [" in err.getvalue() and "100.0%" in err.getvalue()
    assert out.getvalue() == plain_out.getvalue()
