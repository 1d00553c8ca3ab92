"""``oidc-doctor completion bash|zsh|fish``: shell completion generated from the command line's own parser.

The script is built from the argparse tree (:func:`oidc_doctor.cli.walk`), so a new command, flag
or choice completes without editing a second list. It completes sub-commands, flags, the values of
flags with a fixed set (``-o FORMAT``, ``--kind``), file names for ``FILE`` values and
``@FILE`` token sources, and folder names for ``DIR`` values — for ``oidc-doctor`` and for the
kubectl plugin's file ``kubectl-oidc_doctor``.

- bash: a ``complete -F`` function (bash ≥ 3.2: no associative arrays);
- zsh: the same function through zsh's ``bashcompinit`` (zsh's documented emulation of bash's
  ``complete``/``compgen``, zshcompsys(1) "bashcompinit"). Its ``compgen`` calls the function
  under ``emulate -L sh`` (0-based arrays, as bash) and globs files from zsh's own ``PREFIX``,
  ignoring the word given: so ``@FILE`` token sources complete in bash and fish, not in zsh;
- fish: ``complete -c`` lines conditioned on the sub-commands typed (fish's own completion syntax,
  fishshell.com/docs/current/completions.html);
- kubectl ≥ 1.26: the console script ``kubectl_complete-oidc_doctor`` (:func:`kubectl_complete`).
  kubectl runs ``kubectl_complete-<plugin>`` from PATH with the words after the plugin's name,
  the last one being the word to complete, and reads one candidate per line, optionally ending
  with ``:N``, a Cobra ``ShellCompDirective`` (kubernetes ``staging/src/k8s.io/kubectl/pkg/cmd/
  plugin/plugin_completion.go`` ``pluginCompletion``/``getPluginCompletions``).

Exit status: 0 the script was written, 2 unknown shell.
"""

from __future__ import annotations

import argparse
from typing import Any

from oidc_doctor.io import IO

SHELLS = ("bash", "zsh", "fish")
#: The names the tool is run by: the console script and the kubectl plugin's file.
NAMES = ("oidc-doctor", "kubectl-oidc_doctor")

EPILOG = """examples:
  source <(oidc-doctor completion bash)                    # in ~/.bashrc
  oidc-doctor completion bash > ~/.local/share/bash-completion/completions/oidc-doctor
  source <(oidc-doctor completion zsh)                     # in ~/.zshrc
  oidc-doctor completion fish > ~/.config/fish/completions/oidc-doctor.fish

As a kubectl plugin, kubectl >= 1.26 completes `kubectl oidc-doctor ...` itself through the
program kubectl_complete-oidc_doctor, installed with the package (it must be on PATH).

exit status: 0 the script was written, 2 unknown shell."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``SHELL``."""
    p.add_argument("shell", choices=SHELLS, help="the shell to write the completion script for")


def run(args: argparse.Namespace, io: IO) -> int:
    """Write the script for ``args.shell`` to stdout."""
    from oidc_doctor.cli import build_parser

    tree = command_tree(build_parser())
    script = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[args.shell](tree)
    io.stdout.write(script)
    return 0


# --- the tree ------------------------------------------------------------------------------------------


class Node:
    """One parser of the tree: its sub-commands, flags, flag values and positional hints."""

    def __init__(self) -> None:
        self.subcommands: dict[str, str] = {}  # name -> one-line help
        self.flags: dict[str, str] = {}  # flag -> help
        self.valued: set[str] = set()  # flags that take a value
        self.choices: dict[str, tuple[str, ...]] = {}  # flag -> its fixed values
        self.files: set[str] = set()  # flags whose value is a file
        self.dirs: set[str] = set()  # flags whose value is a folder
        self.positional_choices: list[str] = []
        self.positional_files = False


def _value_kind(action: argparse.Action) -> str:
    """``file``, ``dir``, ``source`` (a token source: ``-``, ``@FILE``) or ``""``."""
    metavar = str(action.metavar or "")
    if "DIR" in metavar:
        return "dir"
    if "FILE" in metavar:
        return "file"
    if metavar == "SRC":
        return "source"
    return ""


def command_tree(parser: argparse.ArgumentParser) -> dict[str, Node]:
    """``{"": root, "rbac": ..., "rbac who": ...}`` from the parser."""
    from oidc_doctor.cli import walk
    from oidc_doctor.commands.options import FORMATS

    tree: dict[str, Node] = {}
    for path, p in walk(parser):
        node = tree.setdefault(" ".join(path), Node())
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: str(c.help or "") for c in action._choices_actions}
                node.subcommands.update((name, helps.get(name, "")) for name in action.choices)
                continue
            kind = _value_kind(action)
            if not action.option_strings:
                if action.choices:
                    node.positional_choices += [str(c) for c in action.choices]
                if kind in ("file", "source"):
                    node.positional_files = True
                continue
            takes_value = action.nargs != 0
            for flag in action.option_strings:
                node.flags[flag] = str(action.help or "") if action.help != argparse.SUPPRESS else ""
                if not takes_value:
                    continue
                node.valued.add(flag)
                if action.choices:
                    node.choices[flag] = tuple(str(c) for c in action.choices)
                elif action.metavar == "FORMAT":  # -o/--output: free text (the old -o FILE), formats offered
                    node.choices[flag] = FORMATS
                elif kind == "dir":
                    node.dirs.add(flag)
                elif kind in ("file", "source"):
                    node.files.add(flag)
    return tree


# --- bash (and zsh through bashcompinit) -------------------------------------------------------------


def _case(pairs: list[tuple[str, str]]) -> str:
    lines = [f'        "{key}") printf "%s" "{value}" ;;' for key, value in pairs if value]
    return "\n".join(lines) if lines else '        "") ;;'


def _words(items: Any) -> str:
    return " ".join(sorted(items))


def bash_script(tree: dict[str, Node]) -> str:
    """A bash completion function over ``tree``."""
    subs = [(k, _words(n.subcommands)) for k, n in tree.items()]
    flags = [(k, _words(n.flags)) for k, n in tree.items()]
    valued = [(k, " " + _words(n.valued) + " ") for k, n in tree.items() if n.valued]
    choices = [(f"{k}|{flag}", " ".join(c)) for k, n in tree.items() for flag, c in n.choices.items()]
    files = [(f"{k}|{flag}", "file") for k, n in tree.items() for flag in n.files]
    files += [(f"{k}|{flag}", "dir") for k, n in tree.items() for flag in n.dirs]
    positional = [(k, " ".join(n.positional_choices)) for k, n in tree.items()]
    positional_files = [(k, "file") for k, n in tree.items() if n.positional_files]
    return f"""# oidc-doctor completion for bash (and zsh through bashcompinit).
# Generated by `oidc-doctor completion bash` from the tool's own options: regenerate after an upgrade.

_oidc_doctor_subcommands() {{
    case "$1" in
{_case(subs)}
    esac
}}

_oidc_doctor_flags() {{
    case "$1" in
{_case(flags)}
    esac
}}

_oidc_doctor_valued() {{
    case "$1" in
{_case(valued)}
    esac
}}

_oidc_doctor_choices() {{
    case "$1" in
{_case(choices)}
    esac
}}

_oidc_doctor_value_kind() {{
    case "$1" in
{_case(files)}
    esac
}}

_oidc_doctor_positional() {{
    case "$1" in
{_case(positional)}
    esac
}}

_oidc_doctor_positional_files() {{
    case "$1" in
{_case(positional_files)}
    esac
}}

_oidc_doctor_files() {{
    # $1: file or dir; $2: the word, maybe @FILE (a token source)
    local at="" word="$2"
    if [[ "$word" == @* ]]; then at="@"; word="${{word#@}}"; fi
    local IFS=$'\\n' f
    if [[ "$1" == dir ]]; then
        for f in $(compgen -d -- "$word"); do COMPREPLY+=("$at$f"); done
    else
        for f in $(compgen -f -- "$word"); do COMPREPLY+=("$at$f"); done
    fi
}}

_oidc_doctor() {{
    COMPREPLY=()
    local cur="${{COMP_WORDS[COMP_CWORD]}}"
    local prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local path="" word i subs skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        if ((skip)); then skip=0; continue; fi
        case "$(_oidc_doctor_valued "$path")" in *" $word "*) skip=1; continue ;; esac
        subs=" $(_oidc_doctor_subcommands "$path") "
        if [[ "$word" != -* && "$subs" == *" $word "* ]]; then
            path="${{path:+$path }}$word"
        fi
    done
    if ((skip)); then
        local values kind
        values="$(_oidc_doctor_choices "$path|$prev")"
        if [[ -n "$values" ]]; then
            COMPREPLY=($(compgen -W "$values" -- "$cur"))
            return 0
        fi
        kind="$(_oidc_doctor_value_kind "$path|$prev")"
        if [[ -n "$kind" ]]; then _oidc_doctor_files "$kind" "$cur"; fi
        return 0
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_oidc_doctor_flags "$path")" -- "$cur"))
        return 0
    fi
    COMPREPLY=($(compgen -W "$(_oidc_doctor_subcommands "$path") $(_oidc_doctor_positional "$path")" -- "$cur"))
    if [[ -n "$(_oidc_doctor_positional_files "$path")" ]]; then _oidc_doctor_files file "$cur"; fi
    return 0
}}

complete -o filenames -F _oidc_doctor {" ".join(NAMES)}
"""


def zsh_script(tree: dict[str, Node]) -> str:
    """The bash function under zsh's ``bashcompinit``."""
    return (
        "# oidc-doctor completion for zsh: source it from ~/.zshrc (it uses zsh's bashcompinit).\n"
        "if ! (( $+functions[compdef] )); then autoload -U +X compinit && compinit; fi\n"
        "autoload -U +X bashcompinit && bashcompinit\n\n" + bash_script(tree)
    )


# --- fish ----------------------------------------------------------------------------------------------


def _fish_quote(text: str) -> str:
    """A fish single-quoted string (fish: backslash escapes only ``\\`` and ``'`` inside quotes)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish_script(tree: dict[str, Node]) -> str:
    """``complete -c`` lines: sub-commands after their parent path, flags under their path."""
    out = [
        "# oidc-doctor completion for fish. Generated by `oidc-doctor completion fish` from the tool's own options.",
        "function __oidc_doctor_path --description 'the sub-command words typed so far'",
        "    set -l words (commandline -opc)",
        "    set -e words[1]",
        "    string join ' ' -- (string match -v -- '-*' $words)",
        "end",
        "function __oidc_doctor_is --argument-names path",
        "    # true when the words typed so far are exactly the sub-commands $path",
        "    set -l typed (__oidc_doctor_path)",
        '    test "$path" = "$typed"',
        "end",
        "function __oidc_doctor_at --argument-names path",
        "    # true when the words typed so far start with the sub-commands $path (flag values follow them)",
        "    set -l typed (__oidc_doctor_path)",
        '    test "$path" = "$typed"; and return 0',
        '    string match -q -- "$path *" "$typed"',
        "end",
    ]
    for name in NAMES:
        for path, node in tree.items():
            cond = f"-n {_fish_quote(f'__oidc_doctor_at {_fish_quote(path)}')}"
            exact = f"-n {_fish_quote(f'__oidc_doctor_is {_fish_quote(path)}')}"
            for sub, help_text in node.subcommands.items():
                out.append(f"complete -c {name} -f {exact} -a {sub} -d {_fish_quote(help_text)}")
            for value in node.positional_choices:
                out.append(f"complete -c {name} -f {exact} -a {_fish_quote(value)}")
            for flag, help_text in node.flags.items():
                spec = f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}"
                extra = ""
                if flag in node.choices:
                    extra = f" -x -a {_fish_quote(' '.join(node.choices[flag]))}"
                elif flag in node.files or flag in node.dirs:
                    extra = " -r -F"
                elif flag in node.valued:
                    extra = " -x"
                out.append(f"complete -c {name} {cond} {spec}{extra} -d {_fish_quote(help_text[:80])}")
    return "\n".join(out) + "\n"


# --- kubectl's plugin completion -------------------------------------------------------------------------

#: Cobra's ShellCompDirective values (spf13/cobra ``completions.go``).
DEFAULT, NO_FILES, FILTER_DIRS = 0, 4, 16


def complete(tree: dict[str, Node], words: list[str]) -> tuple[list[str], int]:
    """Candidates for the last of ``words`` (the words after the command), and a Cobra directive.

    The same walk as the bash function: sub-commands extend the path, a flag that takes a value
    skips the next word; then a flag's fixed values, files/folders (left to the shell), flags, or
    sub-commands and positional choices.
    """
    *typed, cur = words or [""]
    path, skip, prev = "", False, ""
    for word in typed:
        prev = word
        node = tree.get(path)
        if skip:
            skip = False
            continue
        if node is not None and word in node.valued:
            skip = True
            continue
        if node is not None and not word.startswith("-") and word in node.subcommands:
            path = f"{path} {word}".strip()
    node = tree.get(path) or Node()
    if skip:
        if prev in node.choices:
            return [c for c in node.choices[prev] if c.startswith(cur)], NO_FILES
        if prev in node.dirs:
            return [], FILTER_DIRS
        return [], DEFAULT if prev in node.files else NO_FILES
    if cur.startswith("-"):
        return sorted(f for f in node.flags if f.startswith(cur)), NO_FILES
    words_here = [*node.subcommands, *node.positional_choices]
    found = [w for w in words_here if w.startswith(cur)]
    return found, DEFAULT if node.positional_files else NO_FILES


def kubectl_complete() -> None:
    """Console script ``kubectl_complete-oidc_doctor``: kubectl's plugin completion protocol."""
    import sys

    from oidc_doctor.cli import build_parser

    found, directive = complete(command_tree(build_parser()), sys.argv[1:])
    sys.stdout.write("".join(f"{w}\n" for w in found) + f":{directive}\n")
