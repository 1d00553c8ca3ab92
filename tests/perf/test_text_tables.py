"""``clean`` and ``json_text`` without start-up regexes still remove/escape exactly what the patterns did."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_doctor.text import clean, json_text

#: The patterns the functions used before (kept here as the specification).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

#: Text rich in the characters at stake, and in their neighbours.
EDGES = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0xFF),
        st.characters(min_codepoint=0x2000, max_codepoint=0x2070),
        st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010),
        st.characters(),
    ),
    max_size=60,
)


@settings(max_examples=500)
@given(EDGES)
def test_clean_removes_exactly_the_control_characters(text: str) -> None:
    assert clean(text) == CONTROL.sub("", text).replace("\t", " ").replace("\n", " ")


@settings(max_examples=500)
@given(EDGES)
def test_json_text_escapes_exactly_the_unsafe_characters(text: str) -> None:
    assert json_text(text) == UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def test_every_boundary_character() -> None:
    for cp in [*range(0, 0xA1), *range(0x2000, 0x2070), 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0x10FFFF]:
        ch = f"a{chr(cp)}b"
        assert clean(ch) == CONTROL.sub("", ch).replace("\t", " ").replace("\n", " "), hex(cp)
        assert json_text(ch) == UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", ch), hex(cp)
