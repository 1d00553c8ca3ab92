"""The authenticator's trace is what the emulator did: its values agree with the verdict.

A property over every portable upstream ``TestToken`` case (the conformance table): exactly one
decisive step when there is an error, holding that very error; the mapped values in the trace
are the user the prediction returns; the steps come in the API server's order. Then structured
configurations with several issuers and CEL mappings, traced step by step.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from authn_support import Issuer, public_jwk, sign
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_upstream_testtoken import NOW, PORTABLE, _auth_config, _setup, _token, srv  # noqa: F401

from oidc_doctor.authn import sources
from oidc_doctor.authn.model import ApiServerAuth, JWTAuthenticator
from oidc_doctor.authn.remote import HttpFetcher, online
from oidc_doctor.authn.verify import UNKNOWN_STAGES, KeySet, Prediction, StaticKeys, TraceStep, predict
from oidc_doctor.jose import parse_jwks

#: The API server's order of steps within one authenticator (oidc.go AuthenticateToken, go-oidc Verify).
ORDER = [
    "config",
    "issuer",
    "verifier",
    "parse",
    "malformed",
    "claims-json",
    "claim-sources",
    "audience",
    "expiry",
    "nbf",
    "iat",
    "alg",
    "signature",
    "audience-any",
    "distributed",
    "username",
    "email-verified",
    "groups",
    "uid",
    "extra",
    "required-claim",
    "claim-rule",
    "user-rule",
    "result",
]


def _mapped(steps: tuple[TraceStep, ...], name: str) -> list[TraceStep]:
    return [s for s in steps if s.step == name and s.outcome == "pass"]


def assert_trace_agrees(p: Prediction) -> None:
    """The trace and the verdict say the same thing."""
    steps = p.trace
    assert steps, "every prediction carries a trace"
    decisive = [s for s in steps if s.decisive]
    if p.error is not None:
        assert len(decisive) == 1, [s.to_json() for s in steps]
        assert decisive[0].error == p.error
        assert decisive[0].outcome == "fail"
    else:
        assert decisive == []
    if p.stage == "config" or p.stage == "config-only":
        return
    # the handling authenticator's steps follow the API server's order
    mine = [s for s in steps if s.authenticator == p.authenticator and s.outcome != "not-tried"]
    ranks = [ORDER.index(s.step) for s in mine if s.step != "email-verified"]
    assert ranks == sorted(ranks), [s.step for s in mine]
    assert steps[-1].step == "result"
    if p.stage in UNKNOWN_STAGES:
        assert steps[-1].outcome == "unknown"
        return
    if not p.handled:
        assert all(s.outcome == "not-handled" for s in steps if s.step == "issuer")
        assert steps[-1].outcome == "not-handled"
        return
    issuers = [s for s in steps if s.step == "issuer"]
    assert [s.outcome for s in issuers].count("pass") == 1
    if p.authenticated:
        assert p.user is not None
        assert steps[-1].outcome == "pass"
        assert _mapped(steps, "username")[-1].value == p.user.username
        groups = _mapped(steps, "groups")
        assert (list(groups[-1].value) if groups else []) == p.user.groups
        uid = _mapped(steps, "uid")
        assert (uid[-1].value if uid else "") == p.user.uid
        extra = {s.subject.split(": ", 1)[0]: list(s.value) for s in _mapped(steps, "extra") if s.value}
        assert extra == p.user.extra
        assert steps[-1].to_json()["value"] == p.user.to_json()
        for rule in [s for s in steps if s.step in ("required-claim", "claim-rule", "user-rule")]:
            assert rule.outcome == "pass"
    else:
        assert steps[-1].outcome == "fail"
        # nothing after the decisive step decided anything
        after = steps[steps.index(decisive[0]) + 1 :]
        assert all(s.outcome in ("info", "not-tried") or s.step == "result" for s in after)


@pytest.mark.parametrize("case", PORTABLE, ids=[c["name"] for c in PORTABLE])
def test_trace_agrees_with_the_verdict_on_every_upstream_case(case: dict[str, Any], srv: Issuer) -> None:  # noqa: F811
    c = _setup(case, srv)
    auth = sources.parse_auth_config(_auth_config(c, srv.ca_pem), "case")
    auth.signing_algs = list(c.get("signing_algs") or ["RS256"])
    auth.disallowed_issuers = list(c.get("disallowed_issuers") or [])
    static = None if c.get("fetch_keys_from_remote") else StaticKeys(parse_jwks(srv.jwks))
    keys_for, resolver_for = online(auth, NOW, static, HttpFetcher())
    p = predict(_token(c), auth, NOW, keys_for, resolver_for)
    assert_trace_agrees(p)
    # the trace is frozen: a step cannot be changed afterwards
    with pytest.raises(AttributeError):
        p.trace[0].outcome = "pass"  # type: ignore[misc]
    json.dumps(p.trace_json())  # JSON-able


# --- several issuers, CEL mappings ---------------------------------------------------------------

T0 = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
IAT = int(T0.timestamp())


def multi_config(**overrides: Any) -> dict[str, Any]:
    """Three issuers: legacy-style claims, a CEL one with rules, and a multi-audience one."""
    cfg: dict[str, Any] = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": "https://idp-a.example", "audiences": ["kubernetes"]},
                "claimMappings": {"username": {"claim": "sub", "prefix": "a:"}},
            },
            {
                "issuer": {
                    "url": "https://idp-b.example/realms/dev",
                    "audiences": ["kubernetes", "headlamp"],
                    "audienceMatchPolicy": "MatchAny",
                },
                "claimValidationRules": [
                    {"claim": "hd", "requiredValue": "example.com"},
                    {"expression": "claims.email_verified == true", "message": "email must be verified"},
                    {"expression": "'dev' in claims.groups", "message": "only developers"},
                ],
                "claimMappings": {
                    "username": {"expression": "'oidc:' + claims.email"},
                    "groups": {"expression": "claims.groups.map(g, 'oidc:' + g)"},
                    "uid": {"expression": "claims.sub"},
                    "extra": [{"key": "example.com/team", "valueExpression": "claims.?team.orValue('')"}],
                },
                "userValidationRules": [
                    {"expression": "!user.username.startsWith('system:')", "message": "no system names"}
                ],
            },
            {
                "issuer": {"url": "https://idp-c.example", "audiences": ["k8s"]},
                "claimMappings": {
                    "username": {"claim": "email", "prefix": ""},
                    "groups": {"claim": "roles", "prefix": "c:"},
                },
            },
        ],
    }
    cfg.update(overrides)
    return cfg


def claims_b(**over: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "iss": "https://idp-b.example/realms/dev",
        "aud": ["headlamp"],
        "sub": "u-123",
        "email": "alice@example.com",
        "email_verified": True,
        "hd": "example.com",
        "groups": ["dev", "ops"],
        "team": "blue",
        "iat": IAT,
        "exp": IAT + 300,
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def run(claims: dict[str, Any], cfg: dict[str, Any] | None = None, at: datetime = T0) -> Prediction:
    auth: ApiServerAuth = sources.parse_auth_config(cfg or multi_config(), "auth-config.yaml")
    auth.signing_algs = ["RS256"]
    keys = StaticKeys(parse_jwks({"keys": [public_jwk("rsa_1", "RS256")]}))

    def keys_for(a: JWTAuthenticator) -> tuple[KeySet | None, str | None]:
        return keys, None

    token = sign(json.dumps(claims), "rsa_1", "RS256")
    p = predict(token, auth, at, keys_for)
    assert_trace_agrees(p)
    return p


def by_step(p: Prediction, name: str) -> list[TraceStep]:
    return [s for s in p.trace if s.step == name]


def test_second_issuer_takes_the_token_and_the_others_say_why_not() -> None:
    p = run(claims_b())
    assert p.authenticated and p.authenticator == 1
    issuers = by_step(p, "issuer")
    assert [(s.authenticator, s.outcome) for s in issuers] == [(0, "not-handled"), (1, "pass"), (2, "not-tried")]
    assert "different issuer" in issuers[0].detail
    assert "jwt[1] answered first" in issuers[2].detail


def test_cel_mappings_show_each_result() -> None:
    p = run(claims_b())
    assert p.user is not None
    (username,) = by_step(p, "username")
    assert username.subject == "expression: 'oidc:' + claims.email"
    assert username.value == "oidc:alice@example.com" == p.user.username
    (groups,) = by_step(p, "groups")
    assert list(groups.value) == ["oidc:dev", "oidc:ops"]
    (uid,) = by_step(p, "uid")
    assert uid.value == "u-123"
    (extra,) = by_step(p, "extra")
    assert extra.subject.startswith("example.com/team") and list(extra.value) == ["blue"]
    rules = by_step(p, "claim-rule")
    assert [(r.subject, r.value) for r in rules] == [
        ("claims.email_verified == true", True),
        ("'dev' in claims.groups", True),
    ]
    (required,) = by_step(p, "required-claim")
    assert required.subject == "hd == 'example.com'" and required.value == "example.com"
    (user_rule,) = by_step(p, "user-rule")
    assert user_rule.outcome == "pass"


def test_multi_audience_is_checked_after_the_signature_with_match_any() -> None:
    p = run(claims_b(aud=["other"], exp=IAT - 10))  # expired AND the wrong audience
    # several audiences: expiry (inside go-oidc) wins over the audience (checked afterwards)
    assert p.stage == "expired"
    (aud,) = by_step(p, "audience")
    assert aud.outcome == "info" and "MatchAny" in aud.detail
    assert by_step(p, "audience-any") == []
    p = run(claims_b(aud=["other"]))
    (decisive,) = [s for s in p.trace if s.decisive]
    assert decisive.step == "audience-any"
    assert decisive.error == 'oidc: verify token: oidc: expected audience in ["headlamp" "kubernetes"] got ["other"]'
    assert [s.step for s in p.trace].index("signature") < [s.step for s in p.trace].index("audience-any")


def test_single_audience_is_checked_before_expiry() -> None:
    claims = {"iss": "https://idp-a.example", "aud": "nope", "sub": "x", "iat": IAT, "exp": IAT - 10}
    p = run(claims)
    (decisive,) = [s for s in p.trace if s.decisive]
    assert decisive.step == "audience" and decisive.value == ("nope",)
    assert by_step(p, "expiry") == []  # never reached


def test_a_false_claim_rule_stops_with_its_message_and_later_rules_are_shown() -> None:
    p = run(claims_b(email_verified=False))
    assert p.error == (
        "oidc: error evaluating claim validation expression: validation expression "
        "'claims.email_verified == true' failed: email must be verified"
    )
    rules = by_step(p, "claim-rule")
    assert rules[0].decisive and rules[0].value is False
    assert rules[1].outcome == "info" and rules[1].value is True
    # mappings ran before the rules (oidc.go): their values are in the trace
    assert by_step(p, "username")[0].value == "oidc:alice@example.com"
    assert by_step(p, "user-rule") == []


def test_a_runtime_error_in_a_later_rule_beats_an_earlier_false() -> None:
    cfg = multi_config()
    cfg["jwt"][1]["claimValidationRules"].append({"expression": "claims.missing == 'x'", "message": "m"})
    p = run(claims_b(email_verified=False), cfg)
    (decisive,) = [s for s in p.trace if s.decisive]
    assert decisive.subject == "claims.missing == 'x'"
    assert "no such key: missing" in (decisive.error or "")


def test_required_claim_mismatch_names_both_values() -> None:
    p = run(claims_b(hd="example.org"))
    (decisive,) = [s for s in p.trace if s.decisive]
    assert decisive.step == "required-claim" and decisive.value == "example.org"
    assert decisive.error == "oidc: required claim hd value does not match. Got = example.org, want = example.com"


def test_user_validation_rule_sees_the_mapped_username() -> None:
    cfg = multi_config()
    cfg["jwt"][1]["claimMappings"]["username"] = {"expression": "'system:' + claims.email"}
    p = run(claims_b(), cfg)
    (decisive,) = [s for s in p.trace if s.decisive]
    assert decisive.step == "user-rule" and decisive.subject == "!user.username.startsWith('system:')"
    assert by_step(p, "username")[0].value == "system:alice@example.com"


def test_claim_mappings_with_prefixes_and_email_verified() -> None:
    claims = {
        "iss": "https://idp-c.example",
        "aud": "k8s",
        "email": "bob@example.com",
        "email_verified": True,
        "roles": ["admin"],
        "iat": IAT,
        "exp": IAT + 60,
    }
    p = run(claims)
    assert p.user is not None and p.user.groups == ["c:admin"]
    (ev,) = by_step(p, "email-verified")
    assert ev.outcome == "pass"
    assert by_step(p, "groups")[0].subject == "claim: roles, prefix 'c:'"
    p = run({**claims, "email_verified": False})
    (decisive,) = [s for s in p.trace if s.decisive]
    assert decisive.step == "email-verified" and decisive.error == "oidc: email not verified"


def test_trailing_slash_miss_is_named() -> None:
    p = run(claims_b(iss="https://idp-a.example/"))
    assert not p.handled
    first = by_step(p, "issuer")[0]
    assert "trailing slash" in first.detail and first.value == "https://idp-a.example/"


def test_time_steps_carry_the_times() -> None:
    p = run(claims_b(nbf=IAT))
    (exp,) = by_step(p, "expiry")
    assert exp.value == "2026-11-28T10:05:00Z" and exp.outcome == "pass"
    (nbf,) = by_step(p, "nbf")
    assert nbf.outcome == "pass"
    (iat,) = by_step(p, "iat")
    assert iat.outcome == "info" and iat.value == IAT
    (sig,) = by_step(p, "signature")
    assert sig.outcome == "pass" and sig.value == "kid-rsa_1"
    p = run(claims_b(), at=datetime(2026, 11, 28, 10, 6, tzinfo=UTC))
    (decisive,) = [s for s in p.trace if s.decisive]
    assert decisive.step == "expiry" and p.stage == "expired"


def test_invalid_configuration_stops_at_config() -> None:
    cfg = multi_config()
    cfg["jwt"][2]["issuer"]["url"] = "https://idp-a.example"  # a duplicate issuer
    auth = sources.parse_auth_config(cfg, "auth-config.yaml")
    p = predict("a.b.c", auth, T0, lambda a: (None, None))
    assert p.stage == "config"
    (step,) = p.trace
    assert step.step == "config" and step.decisive and step.error == p.error


# --- a property over random claims: whatever the token says, the trace agrees with the verdict ----

_values = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["dev", "", "example.com", "x@y"])
_claims = st.fixed_dictionaries(
    {
        "iss": st.sampled_from(
            ["https://idp-a.example", "https://idp-b.example/realms/dev", "https://idp-c.example", "https://other"]
        ),
        "aud": st.sampled_from(["kubernetes", "headlamp", "k8s", "nope"]) | st.lists(st.sampled_from(["k8s", "x"])),
        "exp": st.integers(IAT - 100, IAT + 600),
    },
    optional={
        "sub": _values,
        "email": _values,
        "email_verified": _values,
        "hd": _values,
        "groups": _values | st.lists(_values, max_size=3),
        "roles": _values | st.lists(_values, max_size=3),
        "team": _values,
        "nbf": st.integers(IAT - 10, IAT + 300),
        "jti": _values,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_claims)
def test_trace_agrees_with_the_verdict_for_any_claims(claims: dict[str, Any]) -> None:
    run(claims)  # run() asserts the agreement
