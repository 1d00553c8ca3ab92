"""The one quoting function for every command the tool prints for a user to paste.

Values in fixes come from bundles, tokens and API answers: hostile input. A fix command is built
as an argument list and joined here (``shlex.join``-style: POSIX single quotes, which bash, dash
and zsh all read literally), so a planted ``$(touch PWNED)`` or ``'; rm -rf ~`` stays one
argument. Values that no single-quoted word can carry as shown are replaced by a placeholder
the user fills in:

- control characters (newline, ESC, ...) and lone surrogates: every renderer removes control
  characters from what it prints (``text.clean``), so the command shown would not be the one meant;
- credentials (a JWT, a value the secrets policy masks): a fix never copies a secret.

Helm values are written with ``--set KEY=VALUE`` only when VALUE is a plain word that Helm's
``strvals`` parser reads back as the same string (upstream ``helm/helm`` ``pkg/strvals/parser.go``:
``,`` separates pairs, ``\\`` escapes, ``{…}`` is a list, and ``true``/``false``/``null``/numbers
are typed by ``typedVal``); anything else goes through ``--set-json KEY=JSON`` (Helm >= 3.10),
whose value is one JSON document decoded by ``encoding/json``, written ASCII-only.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from typing import Any

#: Characters a printed command cannot carry: C0/C1 controls, DEL, lone surrogates, bidi controls.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
#: A Helm ``--set`` value read back as the same string: no separators, escapes, lists or types.
_HELM_PLAIN = re.compile(r"(?=.*[A-Za-z_./:@+-])[A-Za-z0-9_./:@+-]+(?: [A-Za-z0-9_./:@+-]+)*")
_HELM_TYPED = frozenset({"true", "false", "null"})
#: The note a fix carries when it holds a placeholder.
PLACEHOLDER_NOTE = "replace the <…> placeholders before running it"


def placeholder(what: str) -> str:
    """``<what>``: a value the user fills in (``what`` is ours, never taken from input)."""
    return f"<{what}>"


def unsafe(value: str) -> bool:
    """Whether ``value`` cannot be shown in a pasteable command as it is (see the module doc)."""
    from oidc_doctor.secrets import mask_text

    return bool(_UNPRINTABLE.search(value)) or mask_text(value) != value


def arg(value: str, what: str = "value") -> str:
    """One shell word: ``value`` quoted, or the placeholder ``<what>`` (quoted) when it is unsafe."""
    return shlex.quote(placeholder(what) if unsafe(value) else value)


def join(argv: Sequence[str | tuple[str, str]]) -> str:
    """A command line from an argument list; an item ``(value, what)`` names its placeholder."""
    words = []
    for item in argv:
        value, what = item if isinstance(item, tuple) else (item, "value")
        words.append(arg(value, what))
    return " ".join(words)


def option(name: str, value: str, what: str = "value") -> str:
    """``--name=VALUE`` as one quoted word, written ``--name='…'`` so it reads like the flag it is."""
    return name + "=" + arg(value, what)


def json_arg(obj: Any) -> str:
    """ASCII-only JSON (a JSON patch, a ``--set-json`` value): printable, so quotable."""
    return json.dumps(obj, ensure_ascii=True)


def helm_set(key: str, value: Any, what: str = "value") -> list[str]:
    """The Helm arguments that set values key ``key`` to ``value`` (unquoted argv words)."""
    if isinstance(value, bool):  # --set reads true/false as booleans
        return ["--set", f"{key}={'true' if value else 'false'}"]
    if isinstance(value, str) and unsafe(value):
        value = placeholder(what)
    if isinstance(value, str) and _HELM_PLAIN.fullmatch(value) and value not in _HELM_TYPED:
        return ["--set", f"{key}={value}"]
    return ["--set-json", f"{key}={json_arg(value)}"]


def has_placeholder(command: str) -> bool:
    """Whether a joined command holds a placeholder (``'<…>'``)."""
    return "'<" in command


def without_secrets(flags: list[str]) -> tuple[list[str], str]:
    """The flags with every credential (``--client-secret``, ``--cookie-secret``, also as a separate
    word or a token-shaped value) replaced by a placeholder, and a note naming where to find them.

    A fix must never copy a secret (issue 14): ``--set-json`` replaces the whole list, so the
    user puts the values back from the release (``helm get values``) or, better, a Secret.
    """
    from oidc_doctor.secrets import looks_secret

    out: list[str] = []
    held: list[str] = []
    pending: str | None = None
    for word in flags:
        if pending is not None:  # Go's flag and pflag take the next word as the value, dash or not
            out.append(placeholder(f"value of {pending}"))
            held.append(pending)
            pending = None
            continue
        pending = None
        name, eq, value = word.partition("=")
        if word.startswith("-") and eq and looks_secret(name, value):
            out.append(f"{name}={placeholder(f'value of {name}')}")
            held.append(name)
        elif word.startswith("-") and not eq and looks_secret(name):
            pending = name
            out.append(word)
        elif unsafe(word):
            out.append(placeholder("a flag that cannot be shown safely"))
            held.append("a flag with control characters or a credential")
        else:
            out.append(word)
    note = ""
    if held:
        names = ", ".join(dict.fromkeys(held))
        note = f"the values of {names} are not copied into this command; take them from the release"
    return out, note
