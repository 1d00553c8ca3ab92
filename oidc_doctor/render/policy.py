"""The hostile-text policy applied to every finished output, whatever its format.

Strings from tokens, logs, manifests and identity providers reach every renderer. Renderers clean
the strings they place, but one missed path is enough to lose a report (a lone surrogate such as
``"\\ud800"`` cannot be encoded to UTF-8, so writing it to a real stdout raises) or to hand a
terminal an escape sequence. So the writer passes each finished text through :func:`safe_output`:

- lone surrogates (no UTF-8 stream can carry them) become U+FFFD;
- C0 controls other than tab and newline, DEL, C1 controls, zero-width and bidi controls are
  removed;
- escape sequences are removed too, except, in coloured terminal output, the SGR colour codes
  (``ESC [ ... m``) rich itself writes (hostile strings were cleaned before rich saw them).

JSON documents are encoded with these characters as ``\\uXXXX`` escapes
(:func:`oidc_doctor.text.json_text`) before this pass, so the document's values are kept.
"""

from __future__ import annotations

import re

#: Characters removed from output: C0 but tab/newline (ESC handled apart), DEL, C1, zero-width and
#: bidi controls; lone surrogates are replaced.
_UNSAFE = "[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
_SURROGATE = "[\ud800-\udfff]"
_ESC_ANY = "\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|[@-_]?)"
_SGR = "\x1b\\[[0-9;]*m"


def safe_output(text: str, *, ansi: bool = False) -> str:
    """``text`` with the policy above applied; ``ansi`` keeps SGR colour codes (rich output)."""
    # Unprintable is exactly what the policy looks for (controls, format characters such as the
    # bidi ones, separators, surrogates): printable text, the usual case, is returned untouched.
    if not text.replace("\n", "").replace("\t", "").isprintable():
        if ansi:
            text = re.sub(_ESC_ANY, lambda m: m.group() if re.fullmatch(_SGR, m.group()) else "", text)
        else:
            text = re.sub(_ESC_ANY, "", text)
        text = re.sub(_UNSAFE, "", text)
        text = re.sub(_SURROGATE, "\ufffd", text)
    return text


def is_safe(text: str, *, ansi: bool = False) -> bool:
    """Whether ``text`` already obeys the policy (tests and assertions)."""
    return safe_output(text, ansi=ansi) == text
