"""Go semantics the tool needs to read Go programs' settings: flag splitting, bools, durations.

Flags: a Go program's command line is split the way Go's ``flag`` package or ``spf13/pflag`` does.

oauth2-proxy (``pkg/apis/options``) and kubelogin (cobra) parse with pflag; Headlamp
(``backend/pkg/config/config.go``) with the standard ``flag`` package. The two differ:

- ``flag``: ``-name`` and ``--name`` are the same; parsing stops at the first word that is not a
  flag (or at ``-``/``--``), so later words are positional (``flag.go`` ``parseOne``).
- ``pflag``: only ``--name`` is a long flag; one dash means shorthand letters; words that are not
  flags are positional but parsing goes on after them (``interspersed``), so
  ``oidc-login get-token --oidc-issuer-url=...`` reads the flag; ``--`` ends the flags
  (``flag.go`` ``parseArgs``).

In both, ``name=value`` and ``name value`` give a value, except that a boolean flag never takes
the next word (``IsBoolFlag`` in ``flag``, ``NoOptDefVal`` in pflag): ``-insecure-ssl false``
leaves ``false`` as a positional argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum


class Syntax(StrEnum):
    """Which Go flag parser a program uses."""

    GO_FLAG = "flag"
    PFLAG = "pflag"


#: One flag seen: (index of its word in argv, name without dashes, raw value or None when bare).
FlagWord = tuple[int, str, str | None]


def split_flags(argv: list[str], is_bool: Callable[[str], bool], syntax: Syntax) -> list[FlagWord]:
    """The flags of ``argv`` in order. A non-boolean flag without ``=`` takes the next word.

    pflag shorthand words (one dash) are returned whole (``-v``) with no value: none of the
    programs read here define shorthands. A non-boolean flag that is the last word has no value
    (Go refuses to start: ``flag needs an argument``); it is returned with None.
    """
    out: list[FlagWord] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            break
        if syntax is Syntax.GO_FLAG:
            if not word.startswith("-") or word == "-":
                break
            body = word[2:] if word.startswith("--") else word[1:]
        elif word.startswith("--") and len(word) > 2:
            body = word[2:]
        else:
            if word.startswith("-") and len(word) > 1:
                out.append((i, word, None))
            i += 1  # pflag: a positional word (or shorthand); keep parsing
            continue
        name, eq, value = body.partition("=")
        if eq:
            out.append((i, name, value))
        elif is_bool(name) or i + 1 >= len(argv):
            out.append((i, name, None))
        else:
            out.append((i, name, argv[i + 1]))
            i += 1
        i += 1
    return out


_GO_DURATION = re.compile(r"^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration(text: str) -> float | None:
    """Seconds of a Go ``time.ParseDuration`` string (``2m``, ``1h30m``, ``0``); None if invalid.

    Go accepts a bare ``0`` but no other unit-less number (``time.ParseDuration``).
    """
    t = text.strip()
    if t in ("0", "+0", "-0"):
        return 0.0
    if not _GO_DURATION.match(t):
        return None
    total = sum(float(n) * _UNITS[u] for n, u in _DURATION_PART.findall(t))
    return -total if t.startswith("-") else total


def go_bool(text: str) -> bool | None:
    """Go ``strconv.ParseBool``: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def go_duration_str(seconds: float) -> str:
    """Go's ``Duration.String()`` for whole seconds: ``2m0s``, ``168h0m0s``, ``0s``."""
    s = int(seconds)
    if s == 0:
        return "0s"
    h, rest = divmod(abs(s), 3600)
    m, sec = divmod(rest, 60)
    sign = "-" if s < 0 else ""
    if h:
        return f"{sign}{h}h{m}m{sec}s"
    if m:
        return f"{sign}{m}m{sec}s"
    return f"{sign}{sec}s"
