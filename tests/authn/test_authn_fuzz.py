"""Hostile inputs never crash the settings readers, the validator or the authenticator."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_doctor.authn import sources
from oidc_doctor.authn.flags import parse_args, translate
from oidc_doctor.authn.validation import validate_settings
from oidc_doctor.authn.verify import Prediction, predict

NOW = datetime(2009, 11, 10, 23, 0, 0, tzinfo=UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
KEYS = ["issuer", "url", "audiences", "claimMappings", "username", "claim", "prefix", "expression", "groups", "extra"]


def _auth() -> Any:
    doc = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": "https://a", "audiences": ["x"]},
                "claimMappings": {"username": {"claim": "sub", "prefix": ""}},
            }
        ],
    }
    return sources.parse_auth_config(doc, "t")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6))
def test_any_jwt_entry_parses_and_validates_without_crashing(entry: dict[str, Any]) -> None:
    doc = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": [entry]}
    auth = sources.parse_auth_config(doc, "fuzz")
    verdict = validate_settings(auth)
    assert verdict.startup_error is None or isinstance(verdict.startup_error, str)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=8))
def test_any_command_line_translates_without_crashing(words: list[str]) -> None:
    auth = translate(parse_args(["kube-apiserver", *words], "fuzz"), "fuzz")
    validate_settings(auth)


def _b64(v: bytes) -> str:
    return base64.urlsafe_b64encode(v).decode().rstrip("=")


@settings(max_examples=200, deadline=None)
@given(json_values, st.text(max_size=40))
def test_any_token_gets_a_verdict(payload: Any, header: str) -> None:
    body = payload if not isinstance(payload, dict) else {"iss": "https://a", **payload}
    token = f"{_b64(header.encode())}.{_b64(json.dumps(body).encode())}.c2ln"
    p = predict(token, _auth(), NOW, lambda a: (None, None))
    assert isinstance(p, Prediction)
    # keys_for gives no key set here: nothing may be reported as verified
    assert p.signature != "verified"
