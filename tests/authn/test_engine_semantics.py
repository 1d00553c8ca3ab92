"""The authenticator's order and edge semantics beyond upstream TestToken, one fact per test.

Expected strings follow oidc.go / go-oidc v2 verify.go and Go's encoding/json and fmt rules
(see reference/kube-apiserver-oidc.md sections 3-4).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from authn_support import https_issuer, public_jwk, sign

from oidc_doctor.authn import goformat, sources
from oidc_doctor.authn.flags import parse_args, translate
from oidc_doctor.authn.model import ApiServerAuth
from oidc_doctor.authn.remote import HttpFetcher, online
from oidc_doctor.authn.verify import BundleKeys, Prediction, StaticKeys, predict, untrusted_issuer
from oidc_doctor.jose import parse_jwks

ISS = "https://auth.example.com"
NOW = datetime(2009, 11, 10, 23, 0, 0, tzinfo=UTC)
T = 1257894000  # NOW as a Unix time
VALID = T + 3600


def structured(jwt: dict[str, Any]) -> ApiServerAuth:
    base: dict[str, Any] = {
        "issuer": {"url": ISS, "audiences": ["my-client"]},
        "claimMappings": {"username": {"claim": "username", "prefix": ""}},
    }
    base.update(jwt)
    doc = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": [base]}
    auth = sources.parse_auth_config(doc, "test")
    assert not auth.startup_errors
    return auth


def run(auth: ApiServerAuth, claims: dict[str, Any] | str, alg: str = "RS256", keys: Any = "static") -> Prediction:
    payload = claims if isinstance(claims, str) else json.dumps(claims)
    token = sign(payload, "rsa_1" if alg[0] in "RP" else "ecdsa_1", alg)
    jwks = {"keys": [public_jwk("rsa_1", "RS256")]}
    static: Any = StaticKeys(parse_jwks(jwks)) if keys == "static" else keys
    keys_for, resolver_for = online(auth, NOW, static, None)
    return predict(token, auth, NOW, keys_for, resolver_for)


def claims(**extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"iss": ISS, "aud": "my-client", "username": "jane", "exp": VALID}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not ...}


def test_nbf_within_the_60s_leeway_is_accepted() -> None:
    assert run(structured({}), claims(nbf=T + 59)).authenticated


def test_nbf_beyond_the_leeway_prints_go_times() -> None:
    p = run(structured({}), claims(nbf=T + 120))
    assert p.error == (
        "oidc: verify token: oidc: current time 2009-11-10 23:00:00 +0000 UTC before the nbf (not before) "
        "time: 2009-11-10 23:02:00 +0000 UTC"
    )


def test_missing_exp_is_the_go_zero_time() -> None:
    p = run(structured({}), claims(exp=...))
    assert p.error == "oidc: verify token: oidc: token is expired (Token Expiry: 0001-01-01 00:00:00 +0000 UTC)"


def test_float_exp_is_truncated() -> None:
    p = run(structured({}), claims(exp=T - 0.5))
    assert p.error == "oidc: verify token: oidc: token is expired (Token Expiry: 2009-11-10 22:59:59 +0000 UTC)"


def test_missing_aud_prints_an_empty_go_list() -> None:
    p = run(structured({}), claims(aud=...))
    assert p.error == 'oidc: verify token: oidc: expected audience "my-client" got []'


def test_single_audience_is_checked_before_expiry() -> None:
    p = run(structured({}), claims(aud="other", exp=T - 10))
    assert p.error == 'oidc: verify token: oidc: expected audience "my-client" got ["other"]'


def test_several_audiences_are_checked_after_expiry() -> None:
    auth = structured({"issuer": {"url": ISS, "audiences": ["b", "a"], "audienceMatchPolicy": "MatchAny"}})
    p = run(auth, claims(aud="other", exp=T - 10))
    assert p.stage == "expired"
    p = run(auth, claims(aud=["x", "y"]))
    assert p.error == 'oidc: verify token: oidc: expected audience in ["a" "b"] got ["x" "y"]'


def test_algorithm_is_refused_before_any_key_is_looked_at() -> None:
    p = run(structured({}), claims(), alg="ES256")
    auth = structured({})
    auth.signing_algs = ["RS256"]
    p = run(auth, claims(), alg="ES256")
    assert (
        p.error
        == 'oidc: verify token: oidc: id token signed with unsupported algorithm, expected ["RS256"] got "ES256"'
    )
    assert p.signature == "n/a"


def test_structured_config_accepts_es256_when_the_key_verifies() -> None:
    auth = structured({})
    jwks = {"keys": [public_jwk("ecdsa_1", "ES256")]}
    assert run(auth, claims(), alg="ES256", keys=StaticKeys(parse_jwks(jwks))).authenticated


def test_bundle_keys_fail_as_a_real_server_does() -> None:
    wrong = BundleKeys(parse_jwks({"keys": [public_jwk("rsa_2", "RS256")]}))
    p = run(structured({}), claims(), keys=wrong)
    assert p.error == "oidc: verify token: failed to verify signature: failed to verify id token signature"


def test_without_keys_the_signature_is_reported_not_checked() -> None:
    p = run(structured({}), claims(), keys=None)
    assert p.authenticated and p.signature == "not-checked"
    assert any("not checked" in n for n in p.notes)


def test_null_username_becomes_the_prefix_alone() -> None:
    auth = structured({"claimMappings": {"username": {"claim": "username", "prefix": "p:"}}})
    p = run(auth, claims(username=None))
    assert p.user is not None and p.user.username == "p:"


def test_null_email_verified_is_not_verified() -> None:
    auth = structured({"claimMappings": {"username": {"claim": "email", "prefix": ""}}})
    assert run(auth, claims(email="a@b", email_verified=None)).error == "oidc: email not verified"


def test_email_verified_is_checked_only_for_the_email_claim() -> None:
    assert run(structured({}), claims(email_verified=False)).authenticated


@pytest.mark.parametrize(
    ("value", "groups", "error"),
    [
        (["a", None], ["g:a", "g:"], None),
        (None, [], None),
        ("", ["g:"], None),
        (
            ["a", 1],
            None,
            'oidc: parse groups claim "groups": json: cannot unmarshal array into Go value of type string',
        ),
        (
            {"a": 1},
            None,
            'oidc: parse groups claim "groups": json: cannot unmarshal object into Go value of type string',
        ),
        (True, None, 'oidc: parse groups claim "groups": json: cannot unmarshal bool into Go value of type string'),
    ],
)
def test_groups_claim_decodes_like_go(value: Any, groups: list[str] | None, error: str | None) -> None:
    auth = structured(
        {
            "claimMappings": {
                "username": {"claim": "username", "prefix": ""},
                "groups": {"claim": "groups", "prefix": "g:"},
            }
        }
    )
    p = run(auth, claims(groups=value))
    assert p.error == error
    if groups is not None:
        assert p.user is not None and p.user.groups == groups


def test_required_claim_null_equals_empty_and_non_string_is_a_json_error() -> None:
    auth = structured({"claimValidationRules": [{"claim": "hd", "requiredValue": ""}]})
    assert run(auth, claims(hd=None)).authenticated
    p = run(auth, claims(hd=True))
    assert p.error == "oidc: parse claim hd: json: cannot unmarshal bool into Go value of type string"


def test_configured_uid_claim_is_required() -> None:
    auth = structured({"claimMappings": {"username": {"claim": "username", "prefix": ""}, "uid": {"claim": "uid"}}})
    assert run(auth, claims()).error == 'oidc: parse uid claim "uid": claim not present'


def test_mapping_errors_mask_required_claim_errors() -> None:
    auth = structured(
        {
            "claimValidationRules": [{"claim": "hd", "requiredValue": "x"}],
            "claimMappings": {"username": {"claim": "username", "prefix": ""}, "uid": {"claim": "uid"}},
        }
    )
    assert run(auth, claims()).stage == "uid"


def test_a_later_rules_runtime_error_beats_an_earlier_false() -> None:
    auth = structured(
        {"claimValidationRules": [{"expression": "false", "message": "m"}, {"expression": "claims.hd == 'x'"}]}
    )
    p = run(auth, claims())
    assert p.error == (
        "oidc: error evaluating claim validation expression: expression 'claims.hd == 'x'' resulted in error: "
        "no such key: hd"
    )


def test_optional_types_and_sets_evaluate_like_kube_apiserver() -> None:
    auth = structured(
        {
            "claimValidationRules": [
                {"expression": 'claims.?hd.orValue("none") == "none"'},
                {"expression": 'claims[?"kubernetes.io"].orValue({}).size() == 0'},
                {"expression": 'sets.contains(claims.roles, ["a"]) && sets.intersects(claims.roles, ["b", "z"])'},
                {"expression": 'sets.equivalent(claims.roles, ["b", "a", "a"])'},
            ]
        }
    )
    assert run(auth, claims(roles=["a", "b"])).authenticated


def test_escaped_claim_names_reach_dotted_keys() -> None:
    auth = structured(
        {"claimMappings": {"username": {"expression": "claims.kubernetes__dot__io.name + claims.__in__"}}}
    )
    p = run(auth, claims(**{"kubernetes.io": {"name": "a"}, "in": "b"}))
    assert p.user is not None and p.user.username == "ab"


def test_extra_runtime_errors_are_not_prefixed() -> None:
    auth = structured(
        {
            "claimMappings": {
                "username": {"claim": "username", "prefix": ""},
                "extra": [{"key": "example.org/x", "valueExpression": "claims.x"}],
            }
        }
    )
    assert run(auth, claims()).error == "expression 'claims.x' resulted in error: no such key: x"


def test_jti_sets_the_credential_id_only_when_a_non_empty_string() -> None:
    p = run(structured({}), claims(jti="abc"))
    assert p.user is not None and p.user.extra == {"authentication.kubernetes.io/credential-id": ["JTI=abc"]}
    p = run(structured({}), claims(jti=5))
    assert p.user is not None and p.user.extra == {}


@pytest.mark.parametrize(
    "token",
    [
        "{}.e30.x",
        "a.b",
        "a.b.c.d.e",
        "x.eyJpc3MiOjV9.x",  # iss is a number
        "x.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20vIn0.x",  # trailing slash
    ],
)
def test_tokens_failing_the_issuer_pre_check_are_not_handled(token: str) -> None:
    auth = structured({})
    p = predict(token, auth, NOW, lambda a: (None, None))
    assert (p.handled, p.authenticated, p.error) == (False, False, None)


def test_google_issuer_alias() -> None:
    assert untrusted_issuer(sign(json.dumps({"iss": "accounts.google.com"}), "rsa_1", "RS256")) == (
        "https://accounts.google.com"
    )


def test_legacy_flags_username_prefix_rule() -> None:
    def prefix(*flags: str) -> str | None:
        auth = translate(
            parse_args(["kube-apiserver", f"--oidc-issuer-url={ISS}", "--oidc-client-id=c", *flags], "x"), "x"
        )
        return auth.authenticators[0].claim_mappings.username.prefix

    assert prefix() == ISS + "#"
    assert prefix("--oidc-username-claim=email") == ""
    assert prefix("--oidc-username-claim=email", "--oidc-username-prefix=oidc:") == "oidc:"
    assert prefix("--oidc-username-prefix=-") == ""
    assert prefix("--oidc-username-claim=email", "--oidc-username-prefix=-") == ""


def test_discovery_issuer_mismatch_leaves_the_authenticator_uninitialised() -> None:
    with https_issuer() as srv:
        srv.openid_config = json.dumps({"issuer": srv.url + "/", "jwks_uri": srv.url + "/.testing/keys"})
        auth = structured({"issuer": {"url": srv.url, "audiences": ["my-client"], "certificateAuthority": srv.ca_pem}})
        token = sign(json.dumps(claims(iss=srv.url)), "rsa_1", "RS256")
        keys_for, resolver_for = online(auth, NOW, None, HttpFetcher())
        p = predict(token, auth, NOW, keys_for, resolver_for)
    assert p.error == "oidc: authenticator not initialized"
    assert p.notes == [
        f'oidc: authenticator for issuer "{srv.url}" is not healthy: oidc: issuer did not match the issuer '
        f'returned by provider, expected "{srv.url}" got "{srv.url}/"'
    ]


def test_remote_jwks_miss_says_what_a_real_server_says() -> None:
    with https_issuer() as srv:
        srv.openid_config = json.dumps({"issuer": srv.url, "jwks_uri": srv.url + "/.testing/keys"})
        srv.jwks = {"keys": [public_jwk("rsa_2", "RS256")]}
        auth = structured({"issuer": {"url": srv.url, "audiences": ["my-client"], "certificateAuthority": srv.ca_pem}})
        token = sign(json.dumps(claims(iss=srv.url)), "rsa_1", "RS256")
        keys_for, resolver_for = online(auth, NOW, None, HttpFetcher())
        p = predict(token, auth, NOW, keys_for, resolver_for)
    assert p.error == "oidc: verify token: failed to verify signature: failed to verify id token signature"


def test_untrusted_ca_fails_discovery_with_go_wording() -> None:
    with https_issuer() as srv:
        auth = structured({"issuer": {"url": srv.url, "audiences": ["my-client"]}})
        token = sign(json.dumps(claims(iss=srv.url)), "rsa_1", "RS256")
        keys_for, resolver_for = online(auth, NOW, None, HttpFetcher())
        p = predict(token, auth, NOW, keys_for, resolver_for)
    assert p.error == "oidc: authenticator not initialized"
    assert "x509: certificate signed by unknown authority" in p.notes[0]


def test_go_formatting_helpers() -> None:
    assert goformat.quote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'
    assert goformat.quote_list(["a", "b"]) == '["a" "b"]'
    assert goformat.quote_list([]) == "[]"
    assert goformat.time_string(datetime(2009, 11, 10, 22, 0, tzinfo=UTC)) == "2009-11-10 22:00:00 +0000 UTC"
    assert goformat.time_string(datetime(2009, 11, 10, 22, 0, 0, 500000, tzinfo=UTC)) == (
        "2009-11-10 22:00:00.5 +0000 UTC"
    )
    assert goformat.aggregate(["a", "b", "a"]) == "[a, b]"


def test_null_aud_is_one_empty_audience_as_go_oidc_decodes_it() -> None:
    assert (
        run(structured({}), claims(aud=None)).error
        == 'oidc: verify token: oidc: expected audience "my-client" got [""]'
    )


def test_claims_json_errors_follow_encoding_json_order() -> None:
    # A failing custom unmarshaler (exp) aborts at once; a plain type error (sub) is reported at the end.
    p = run(structured({}), claims(sub=5, exp="abc"))
    assert p.error == (
        "oidc: verify token: oidc: failed to unmarshal claims: "
        'json: invalid number literal, trying to unmarshal "\\"abc\\"" into Number'
    )
    p = run(structured({}), claims(sub=5))
    assert p.error == (
        "oidc: verify token: oidc: failed to unmarshal claims: "
        "json: cannot unmarshal number into Go struct field idToken.sub of type string"
    )


def test_malformed_header_uses_go_jose_wording() -> None:
    good = sign(json.dumps(claims()), "rsa_1", "RS256").split(".")
    auth = structured({})
    keys_for, _ = online(auth, NOW, None, None)
    token = "bm90IGpzb24." + good[1] + "." + good[2]  # header "not json"
    p = predict(token, auth, NOW, keys_for)
    assert p.error == (
        "oidc: verify token: oidc: malformed jwt: go-jose/go-jose: invalid protected header: "
        "invalid character 'o' in literal null (expecting 'u'), not json"
    )


@pytest.mark.parametrize(
    ("jwks_path", "error"),
    [
        (
            "/.testing/keys/badstatus",
            "oidc: verify token: failed to verify signature: "
            "fetching keys oidc: get keys failed: 500 Internal Server Error ",
        ),
        (
            "/.testing/invalidkeys",
            "oidc: verify token: failed to verify signature: fetching keys oidc: failed to decode keys: "
            "got Content-Type = application/json, but could not unmarshal as JSON: unexpected end of JSON input ",
        ),
    ],
)
def test_jwks_fetch_failures_as_upstream_jwks_metrics_cases(jwks_path: str, error: str) -> None:
    # upstream TestJWKSMetricsKeySetError only asserts that these fail; the text is go-oidc v2's.
    with https_issuer() as srv:
        srv.openid_config = json.dumps({"issuer": srv.url, "jwks_uri": srv.url + jwks_path})
        auth = structured({"issuer": {"url": srv.url, "audiences": ["my-client"], "certificateAuthority": srv.ca_pem}})
        token = sign(json.dumps(claims(iss=srv.url)), "rsa_1", "RS256")
        keys_for, resolver_for = online(auth, NOW, None, HttpFetcher())
        assert predict(token, auth, NOW, keys_for, resolver_for).error == error


def test_unreachable_issuer_leaves_the_authenticator_uninitialised_with_go_wording() -> None:
    import socket

    with socket.socket() as s:  # a port on 127.0.0.1 that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"https://127.0.0.1:{port}"
    auth = structured({"issuer": {"url": url, "audiences": ["my-client"]}})
    token = sign(json.dumps(claims(iss=url)), "rsa_1", "RS256")
    keys_for, resolver_for = online(auth, NOW, None, HttpFetcher())
    p = predict(token, auth, NOW, keys_for, resolver_for)
    assert p.error == "oidc: authenticator not initialized"
    assert p.notes == [
        f'oidc: authenticator for issuer "{url}" is not healthy: Get "{url}/.well-known/openid-configuration": '
        f"dial tcp 127.0.0.1:{port}: connect: connection refused"
    ]


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("claims.hd == 'x'", "no such key: hd"),
        ("claims.username.first == 'x'", "no such key: first"),
        ("claims.roles[5] == 'x'", "index out of bounds: 5"),
        ("int(claims.exp) / 0 == 1", "division by zero"),
    ],
)
def test_cel_runtime_errors_read_as_cel_go_writes_them(expression: str, error: str) -> None:
    auth = structured({"claimValidationRules": [{"expression": expression}]})
    p = run(auth, claims(roles=["a"]))
    assert (
        p.error
        == f"oidc: error evaluating claim validation expression: expression '{expression}' resulted in error: {error}"
    )


def test_claim_decode_errors_never_include_the_claim_value() -> None:
    # upstream TestUnmarshalClaimError: error strings must not leak claim values.
    secret = "96bb299a-02e9-11e8-8673-54ee7553240e"
    auth = structured({"claimMappings": {"username": {"claim": "email", "prefix": ""}}})
    p = run(auth, claims(email="a@b", email_verified=secret))
    assert p.error == "oidc: parse 'email_verified' claim: json: cannot unmarshal string into Go value of type bool"
    auth = structured({"claimValidationRules": [{"claim": "hd", "requiredValue": "x"}]})
    p = run(auth, claims(hd={"k": secret}))
    assert p.error is not None and secret not in p.error


def test_list_and_regex_helpers_of_the_kube_apiserver_environment() -> None:
    auth = structured(
        {
            "claimMappings": {
                "username": {"claim": "username", "prefix": ""},
                "groups": {"expression": "claims.roles.distinct().sort()"},
                "extra": [{"key": "example.org/domain", "valueExpression": "claims.upn.find('@.*$')"}],
            },
            "claimValidationRules": [{"expression": "claims.roles.size() > 0 && lists.range(2).size() == 2"}],
        }
    )
    p = run(auth, claims(roles=["b", "a", "b"], upn="al@corp"))
    assert p.user is not None
    assert p.user.groups == ["a", "b"]
    assert p.user.extra == {"example.org/domain": ["@corp"]}


def test_cel_features_this_engine_lacks_give_unknown_never_a_config_error() -> None:
    expr = "claims.roles.transformMap(k, v, v).size() > 0"
    auth = structured({"claimValidationRules": [{"expression": expr}]})
    p = run(auth, claims(roles={"a": "b"}))
    assert (p.handled, p.authenticated, p.error, p.stage) == (True, False, None, "cel-unsupported")
    assert "transformMap" in p.notes[-1] and expr in p.notes[-1]


def test_k8s_url_library_is_evaluated() -> None:
    # k8s.io/apiserver pkg/cel/library/urls.go: url(...).getHost() is host[:port].
    auth = structured({"claimValidationRules": [{"expression": "url(claims.site).getHost() == 'corp.example'"}]})
    assert run(auth, claims(site="https://corp.example/x")).authenticated
    p = run(auth, claims(site="https://other.example/x"))
    assert (p.authenticated, p.stage) == (False, "claim-rule")
