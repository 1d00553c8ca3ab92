"""``oidc-doctor completion bash|zsh|fish`` and kubectl's ``kubectl_complete-oidc_doctor``.

The bash script is sourced in a real bash and asked, as bash's programmable completion asks
(``COMP_WORDS``/``COMP_CWORD``), to complete a command, a flag, a flag's values, a folder and an
``@FILE`` token source. The tree it is built from is the parser's own: a flag added to a command
completes without a second list.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from oidc_doctor.cli import build_parser, main
from oidc_doctor.commands.completion import DEFAULT, FILTER_DIRS, NO_FILES, command_tree, complete
from oidc_doctor.io import IO

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash")


def _script(shell: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(["completion", shell], IO(stdin=io.StringIO(), stdout=out, stderr=err, env={})) == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("completion") / "oidc-doctor.bash"
    path.write_text(_script("bash"))
    return path


def _bash_complete(script: Path, *words: str, cwd: Path = ROOT) -> list[str]:
    """COMPREPLY for ``oidc-doctor WORDS...`` (the last word is the one being completed)."""
    assert BASH is not None
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in ("oidc-doctor", *words))
    # as an interactive shell runs a completion function: no errexit (compgen fails when nothing matches)
    program = f"""source '{script}' || exit 3
COMP_WORDS=({quoted})
COMP_CWORD={len(words)}
_oidc_doctor || exit 4
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(
        [BASH, "--norc", "-c", program], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


@needs_bash
def test_bash_completes_a_command(bash_script: Path) -> None:
    assert _bash_complete(bash_script, "rb") == ["rbac"]
    assert set(_bash_complete(bash_script, "")) >= {"token", "diagnose", "rbac", "examples", "completion"}


@needs_bash
def test_bash_completes_a_sub_command_and_a_flag(bash_script: Path) -> None:
    assert _bash_complete(bash_script, "rbac", "who-") == ["who-can"]
    assert _bash_complete(bash_script, "rbac", "who", "--ma") == ["--match"]
    assert _bash_complete(bash_script, "rbac", "can", "get", "pods", "--as") == ["--as", "--as-group"]


@needs_bash
def test_bash_skips_flag_values_when_finding_the_sub_command(bash_script: Path) -> None:
    # `-n dev` is a value, not a sub-command: the path stays "proxy authz-header"
    assert _bash_complete(bash_script, "proxy", "-n", "dev", "authz-header", "--app") == ["--apply"]
    assert _bash_complete(bash_script, "proxy", "authz-header", "") == ["enable", "disable"]


@needs_bash
def test_bash_completes_flag_values_folders_and_token_files(bash_script: Path) -> None:
    assert _bash_complete(bash_script, "diagnose", "-o", "y") == ["yaml"]
    assert _bash_complete(bash_script, "rbac", "who", "--kind", "") == ["user", "group", "serviceaccount"]
    assert _bash_complete(bash_script, "diagnose", "--bundle", "examples/heal") == ["examples/healthy"]
    assert _bash_complete(bash_script, "token", "@examples/healthy/id_") == ["@examples/healthy/id_token.txt"]


@needs_bash
def test_bash_registers_both_names(bash_script: Path) -> None:
    assert BASH is not None
    done = subprocess.run(
        [BASH, "--norc", "-c", f"source '{bash_script}'; complete -p oidc-doctor kubectl-oidc_doctor"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.count("-F _oidc_doctor") == 2


def test_zsh_uses_bashcompinit_with_the_same_function() -> None:
    zsh = _script("zsh")
    assert "bashcompinit && bashcompinit" in zsh and _script("bash") in zsh
    if shutil.which("zsh"):
        done = subprocess.run(["zsh", "-n", "-c", zsh], capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, done.stderr


def test_fish_has_a_line_per_command_and_flag() -> None:
    fish = _script("fish")
    # fish's single quotes take \\' for a quote: the condition is `__oidc_doctor_is ''` (nothing typed yet)
    assert "complete -c oidc-doctor -f -n '__oidc_doctor_is \\'\\'' -a rbac" in fish
    assert "complete -c kubectl-oidc_doctor" in fish
    assert "-n '__oidc_doctor_at \\'rbac who\\'' -l match -x" in fish
    assert "-l kind -x -a 'user group serviceaccount'" in fish
    if shutil.which("fish"):
        done = subprocess.run(
            ["fish", "--no-execute", "-c", fish], capture_output=True, text=True, timeout=30, check=False
        )
        assert done.returncode == 0, done.stderr


def test_an_unknown_shell_is_refused_with_the_choices() -> None:
    err = io.StringIO()
    status = main(["completion", "tcsh"], IO(stdin=io.StringIO(), stdout=io.StringIO(), stderr=err, env={}))
    assert status == 2 and "bash" in err.getvalue() and "fish" in err.getvalue()


# --- kubectl_complete-oidc_doctor ---------------------------------------------------------------------------

TREE = command_tree(build_parser())


def test_kubectl_protocol_candidates_and_directives() -> None:
    assert complete(TREE, ["rb"]) == (["rbac"], NO_FILES)
    assert complete(TREE, ["rbac", "who", "--ma"]) == (["--match"], NO_FILES)
    assert complete(TREE, ["diagnose", "--bundle", ""]) == ([], FILTER_DIRS)
    assert complete(TREE, ["diagnose", "--kubeconfig", ""]) == ([], DEFAULT)  # files: the shell's own
    assert complete(TREE, ["diagnose", "-o", "j"]) == (["json"], NO_FILES)
    assert complete(TREE, ["logs", ""])[1] == DEFAULT  # logs FILE...


def test_kubectl_complete_console_script_prints_lines_and_a_directive(tmp_path: Path) -> None:
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from oidc_doctor.commands.completion import kubectl_complete; "
            "sys.argv = ['kubectl_complete-oidc_doctor', 'rbac', '']; kubectl_complete()",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["who", "can", "who-can", ":4"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_runs_the_function_as_bashcompinit_calls_it(tmp_path: Path) -> None:
    # bashcompinit's compgen calls the -F function under `emulate -L sh` (0-based arrays) and leaves
    # the filtering by the typed word to zsh: the sub-command path must still be found.
    script = tmp_path / "oidc-doctor.zsh"
    script.write_text(_script("zsh"))
    program = f"""source '{script}'
t() {{
    emulate -L sh; setopt kshglob noshglob braceexpand
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _oidc_doctor; print -r -- "${{COMPREPLY[*]}}"
}}
t oidc-doctor rbac ''
t oidc-doctor rbac who --ma
print -r -- "${{_comps[oidc-doctor]}}"
"""
    done = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    subs, flags, registered = done.stdout.splitlines()
    assert sorted(subs.split()) == ["can", "who", "who-can"]
    assert "--match" in flags.split() and "--apply" not in flags.split()  # the flags of `rbac who`
    assert registered == "_bash_complete -o filenames -F _oidc_doctor"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_flags_and_values(tmp_path: Path) -> None:
    script = tmp_path / "oidc-doctor.fish"
    script.write_text(_script("fish"))

    def candidates(line: str) -> list[str]:
        done = subprocess.run(
            ["fish", "--no-config", "-c", f"source '{script}'; complete -C '{line}'"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return [c.split("\t")[0] for c in done.stdout.splitlines()]

    assert candidates("oidc-doctor rb") == ["rbac"]
    assert sorted(candidates("oidc-doctor rbac ")) == ["can", "who", "who-can"]
    assert candidates("oidc-doctor rbac who --ma") == ["--match"]
    assert sorted(candidates("oidc-doctor rbac who --kind ")) == ["group", "serviceaccount", "user"]
    assert candidates("kubectl-oidc_doctor diagnose -o y") == ["yaml"]
