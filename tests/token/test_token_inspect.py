"""The judges, offline, against a fixed clock; every verdict cross-checked with PyJWT where it has one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from token_helpers import ISSUER, NOW, NOW_S, claims, jwks, key, raw_jws, sign

from oidc_doctor.causes import Severity
from oidc_doctor.checks.base import Options
from oidc_doctor.checks.token import findings_of
from oidc_doctor.jose import b64url_encode, parse_jwks
from oidc_doctor.model import Status
from oidc_doctor.token import inspect as ti


def judge(token: str, options: Options | None = None, keys: dict[str, Any] | None = None, **kw: Any) -> ti.TokenReport:
    keys_in = ti.KeyInputs(jwks=keys, jwks_ref="test-jwks.json", **kw)
    if keys is None and "unavailable" not in kw:
        keys_in.unavailable = "no JWKS in this test"
    return ti.inspect_token(token, "test", NOW, options or Options(), keys_in, "flag")


def causes(r: ti.TokenReport) -> list[str]:
    return [f.cause for f in findings_of(r)]


def pyjwt_accepts(token: str, k: Any, alg: str, audience: str | None = None) -> bool:
    """PyJWT's verdict on signature, algorithm and audience.

    Times are not compared here: PyJWT reads the wall clock and these tokens live at :data:`NOW`;
    the expiry verdicts are cross-checked with PyJWT on the real provider's tokens (test_token_idp).
    """
    try:
        jwt.decode(
            token,
            k,
            algorithms=[alg],
            audience=audience,
            options={
                "verify_aud": audience is not None,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError:
        return False
    return True


def test_healthy_token_passes_every_aspect_that_could_look() -> None:
    k = key()
    token = sign(claims(), k)
    r = judge(token, Options(issuer=ISSUER, client_id="kubernetes"), jwks(k))
    assert findings_of(r) == []
    assert {cid: res.status for cid, res in r.aspects.items()} == {
        ti.DECODE: Status.PASS,
        ti.EXPIRY: Status.PASS,
        ti.SIGNATURE: Status.PASS,
        ti.ISSUER: Status.PASS,
        ti.AUDIENCE: Status.PASS,
        ti.EMAIL: Status.PASS,
        ti.TYPE: Status.PASS,
    }
    assert r.signature.status == "valid" and r.signature.kid == k.kid
    assert r.lifetime_s == 300
    assert pyjwt_accepts(token, k.private.public_key(), "RS256", "kubernetes")


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS512", "ES256", "ES384", "ES512"])
def test_signature_verifies_for_every_algorithm_like_pyjwt(alg: str) -> None:
    k = key(alg)
    token = sign(claims(), k)
    r = judge(token, keys=jwks(k))
    assert r.signature.status == "valid"
    assert pyjwt_accepts(token, k.private.public_key(), alg)


def test_signature_by_another_key_with_the_same_kid_is_invalid_like_pyjwt() -> None:
    signer, published = key("RS256", "same"), key("RS256", "same-other")
    token = sign(claims(), signer)
    impostor = dict(published.public_jwk, kid="same")
    r = judge(token, keys={"keys": [impostor]})
    assert r.signature.status == "invalid"
    assert causes(r) == ["signature-invalid"]
    assert not pyjwt_accepts(token, published.private.public_key(), "RS256")


def test_tampered_payload_is_signature_invalid() -> None:
    k = key()
    h, _, s = sign(claims(), k).split(".")
    forged = ".".join((h, b64url_encode(b'{"iss":"%s","sub":"admin","exp":%d}' % (ISSUER.encode(), NOW_S + 60)), s))
    r = judge(forged, keys=jwks(k))
    assert r.signature.status == "invalid" and "does not match" in r.signature.reason


def test_kid_missing_from_the_jwks_names_the_kids_it_has() -> None:
    token = sign(claims(), key("RS256", "old"))
    r = judge(token, keys=jwks(key("RS256", "new")))
    assert r.signature.status == "invalid"
    assert "'old'" in r.signature.reason or '"old"' in r.signature.reason
    assert "new" in r.signature.reason
    assert causes(r) == ["signature-invalid"]


def test_token_without_kid_tries_every_key() -> None:
    k = key("ES256", "only")
    token = jwt.encode(claims(), k.private, algorithm="ES256")  # no kid
    r = judge(token, keys=jwks(key("RS256"), k))
    assert r.signature.status == "valid"


def test_no_jwks_leaves_the_signature_unknown_with_the_reason() -> None:
    r = judge(sign(claims()), unavailable="the issuer could not be reached")
    assert r.signature.status == "unknown"
    assert r.aspects[ti.SIGNATURE].status == Status.UNKNOWN
    assert "could not be reached" in r.aspects[ti.SIGNATURE].reason
    assert causes(r) == []


def test_accepted_algorithms_come_from_options_then_discovery_then_keys_never_the_header() -> None:
    keys = parse_jwks(jwks(key("RS256"), key("ES256")))
    assert ti.accepted_algs(
        Options(signing_algs=("PS256",)), {"id_token_signing_alg_values_supported": ["RS256"]}, keys
    ) == (
        ("PS256",),
        "--signing-algs",
    )
    algs, source = ti.accepted_algs(Options(), {"id_token_signing_alg_values_supported": ["RS256"]}, keys)
    assert algs == ("RS256",) and "discovery" in source
    algs, source = ti.accepted_algs(Options(), None, keys)
    assert algs == ("RS256", "ES256") and "declare" in source
    undeclared = parse_jwks({"keys": [{k: v for k, v in key("ES384").public_jwk.items() if k != "alg"}]})
    assert ti.accepted_algs(Options(), None, undeclared) == (("ES384",), "the JWKS key types")


def test_alg_outside_signing_algs_is_not_allowed_even_with_a_good_key() -> None:
    k = key("ES256")
    token = sign(claims(), k)
    r = judge(token, Options(signing_algs=("RS256",)), jwks(k))
    assert causes(r) == ["signing-alg-not-allowed"]
    assert r.signature.status == "invalid"
    assert "--oidc-signing-algs=RS256,ES256" in findings_of(r)[0].fix
    assert not pyjwt_accepts(token, k.private.public_key(), "RS256")


def test_alg_outside_the_discovery_list_is_not_allowed() -> None:
    k = key("PS256")
    r = judge(
        sign(claims(), k),
        keys=jwks(k),
        discovery={"issuer": ISSUER, "id_token_signing_alg_values_supported": ["RS256"]},
    )
    assert causes(r) == ["signing-alg-not-allowed"]
    assert "discovery" in findings_of(r)[0].title


def test_signing_algs_judge_without_keys() -> None:
    r = judge(sign(claims(), key("ES256")), Options(signing_algs=("RS256",)))
    assert causes(r) == ["signing-alg-not-allowed"]


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_alg_none_and_hmac_are_never_allowed(alg: str) -> None:
    token = raw_jws({"alg": alg, "typ": "JWT"}, claims(), b"" if alg == "none" else b"mac")
    r = judge(token, keys=jwks(key()))
    assert "signing-alg-not-allowed" in causes(r)
    assert "token-malformed" not in causes(r)
    assert r.signature.status == "invalid"


def test_hmac_token_is_refused_by_pyjwt_with_an_rsa_key_too() -> None:
    k = key()
    token = jwt.encode(claims(), "secret-of-32-bytes-for-hmac-sha256!", algorithm="HS256")
    assert judge(token, keys=jwks(k)).signature.status == "invalid"
    assert not pyjwt_accepts(token, k.private.public_key(), "RS256")


def test_exp_in_the_past_is_expired_with_no_leeway() -> None:
    k = key()
    token = sign(claims(exp=NOW_S - 1), k)
    r = judge(token, keys=jwks(k))
    assert causes(r) == ["token-expired"]
    assert findings_of(r)[0].severity == Severity.ERROR
    assert "1s ago" in findings_of(r)[0].title


def test_exp_equal_to_now_is_still_valid_as_the_api_server_reads_it() -> None:
    k = key()
    token = sign(claims(exp=NOW_S), k)
    assert causes(judge(token, keys=jwks(k))) == []


def test_missing_exp_is_expired_as_the_zero_time() -> None:
    r = judge(sign(claims(exp=None)))
    assert causes(r) == ["token-expired"]
    assert "0001-01-01" in findings_of(r)[0].title


def test_fractional_exp_is_truncated_like_go_oidc() -> None:
    # go-oidc reads exp as time.Unix(int64(f), 0): NOW + 0.9 is NOW (not expired), NOW - 0.5 is NOW - 1.
    assert causes(judge(sign(claims(exp=NOW_S + 0.9)))) == []
    assert causes(judge(sign(claims(exp=NOW_S - 0.5)))) == ["token-expired"]


def test_nbf_within_sixty_seconds_is_tolerated_and_beyond_is_not_yet_valid() -> None:
    assert causes(judge(sign(claims(nbf=NOW_S + 60)))) == []
    r = judge(sign(claims(nbf=NOW_S + 61)))
    assert causes(r) == ["token-not-yet-valid"]
    assert findings_of(r)[0].severity == Severity.ERROR


def test_iat_in_the_future_is_only_a_clock_skew_warning() -> None:
    r = judge(sign(claims(iat=NOW_S + 30)))
    assert causes(r) == ["token-not-yet-valid"]
    assert findings_of(r)[0].severity == Severity.WARNING
    assert "ignores iat" in findings_of(r)[0].title


def test_times_are_shown_in_utc_and_relative_to_now() -> None:
    r = judge(sign(claims(auth_time=NOW_S - 3600)))
    doc = r.to_json(NOW, [], [])
    assert doc["times"]["exp"] == {"value": NOW_S + 240, "utc": "2026-11-28T10:04:00Z", "relative": "in 4m"}
    assert doc["times"]["auth_time"]["relative"] == "1h ago"
    assert doc["lifetime_s"] == 300


def test_exp_as_a_string_holding_a_number_is_read_as_go_oidc_does() -> None:
    r = judge(sign(claims(exp=str(NOW_S - 5))))
    assert causes(r) == ["token-expired"]
    assert judge(sign(claims(exp=str(NOW_S + 5)))).aspects[ti.DECODE].status == Status.PASS


def test_non_numeric_exp_is_malformed_and_expiry_unknown() -> None:
    r = judge(sign(claims(exp="tomorrow")))
    assert "token-malformed" in causes(r)
    assert r.aspects[ti.EXPIRY].status == Status.UNKNOWN


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("opaque-access-token-1234567890", "1 dot-separated part"),
        ("a.b", "2 dot-separated part"),
        ("a.b.c.d.e", "JWE"),
        (raw_jws({"alg": "RS256"}, b"[1, 2]"), "not an object"),
        (raw_jws({"alg": "RS256"}, b"not json"), "not JSON"),
        (raw_jws(b"\xff\xfe", claims()), "not UTF-8"),
        ("eyJhbGciOiJSUzI1NiJ9.@@@.sig", "not valid base64url"),
        (raw_jws({"alg": "RS256"}, claims()).replace(".", "==.", 1), "padding"),
        (raw_jws({"alg": "RS256"}, claims(aud=42)), "'aud' is neither"),
        (raw_jws({"alg": "RS256"}, claims(iss=["x"])), "'iss' is not a string"),
        ('{"id_token": "x"}', "JSON, not a token"),
        ("Bearer " + raw_jws({"alg": "RS256"}, claims()), "second 'Bearer '"),
    ],
)
def test_malformed_tokens_say_exactly_what_is_wrong(token: str, says: str) -> None:
    r = judge(token)
    assert "token-malformed" in causes(r)
    finding = next(f for f in findings_of(r) if f.cause == "token-malformed")
    assert any(says in e.text for e in finding.evidence), [e.text for e in finding.evidence]
    assert token not in " ".join(e.text + e.ref for e in finding.evidence)


def test_five_part_jwe_gets_an_encryption_fix_and_no_signature_verdict() -> None:
    r = judge("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", keys=jwks(key()))
    assert causes(r) == ["token-malformed"]
    assert "encryption" in findings_of(r)[0].fix
    assert r.signature.status == "unknown"


def test_big_token_with_many_groups_is_valid() -> None:
    k = key()
    groups = [f"group-{i:05d}-with-a-long-name" for i in range(20000)]
    token = sign(claims(groups=groups), k)
    assert 500_000 < len(token) < 1 << 20
    r = judge(token, keys=jwks(k))
    assert causes(r) == []
    assert r.signature.status == "valid"
    assert any("20000 group(s)" in n for n in r.notes)


def test_token_over_one_mebibyte_is_malformed() -> None:
    token = sign(claims(groups=[f"g{i:07d}" for i in range(120000)]))
    assert len(token) > 1 << 20
    r = judge(token)
    assert "token-malformed" in causes(r)
    assert "1 MiB" in findings_of(r)[0].title


def test_issuer_must_match_exactly() -> None:
    r = judge(sign(claims()), Options(issuer=ISSUER + "/"))
    assert causes(r) == ["issuer-mismatch"]
    assert "trailing slash" in findings_of(r)[0].title
    assert {e.text for e in findings_of(r)[0].evidence} == {ISSUER, ISSUER + "/"}


def test_google_bare_issuer_means_the_https_url() -> None:
    r = judge(sign(claims(iss="accounts.google.com")), Options(issuer="https://accounts.google.com"))
    assert causes(r) == []
    assert r.aspects[ti.ISSUER].status == Status.PASS


def test_issuer_is_compared_with_the_discovery_document_without_option() -> None:
    r = judge(
        sign(claims()),
        discovery={"issuer": ISSUER.replace("/realms", "/auth/realms")},
        discovery_ref="disc.json",
    )
    assert causes(r) == ["issuer-mismatch"]
    assert "Keycloak" in findings_of(r)[0].title


def test_discovery_issuer_differing_from_option_is_a_discovery_mismatch() -> None:
    r = judge(sign(claims()), Options(issuer=ISSUER), discovery={"issuer": ISSUER + "/"}, discovery_ref="disc.json")
    assert causes(r) == ["discovery-issuer-mismatch"]


def test_issuer_check_is_skipped_without_anything_to_compare() -> None:
    assert judge(sign(claims())).aspects[ti.ISSUER].status == Status.SKIPPED


def test_audience_mismatch_names_both_sides_like_pyjwt() -> None:
    k = key()
    token = sign(claims(aud=["kubeapps", "account-x"]), k)
    r = judge(token, Options(client_id="kubernetes"), jwks(k))
    assert causes(r) == ["audience-mismatch"]
    assert (
        findings_of(r)[0].title
        == 'The API server expects audience "kubernetes"; the token carries ["kubeapps" "account-x"]'
    )
    assert not pyjwt_accepts(token, k.private.public_key(), "RS256", audience="kubernetes")
    assert pyjwt_accepts(token, k.private.public_key(), "RS256", audience="kubeapps")


def test_missing_aud_is_an_empty_list() -> None:
    r = judge(sign(claims(aud=None)), Options(client_id="kubernetes"))
    assert findings_of(r)[0].title.endswith("carries []")


def test_audience_is_skipped_without_client_id() -> None:
    assert judge(sign(claims())).aspects[ti.AUDIENCE].status == Status.SKIPPED


@pytest.mark.parametrize(("value", "says"), [(False, "false"), (None, "null"), ("true", "not a JSON boolean")])
def test_unverified_email_is_a_warning(value: object, says: str) -> None:
    r = judge(sign(claims(email_verified=value) if value is not None else {**claims(), "email_verified": None}))
    assert causes(r) == ["email-not-verified"]
    assert findings_of(r)[0].severity == Severity.WARNING
    assert says in findings_of(r)[0].title


def test_absent_email_verified_is_accepted() -> None:
    assert judge(sign(claims(email_verified=None))).aspects[ti.EMAIL].status == Status.PASS


@pytest.mark.parametrize(
    ("over", "header", "says"),
    [
        ({"typ": "Bearer"}, {}, "Keycloak access token"),
        ({"aud": "account"}, {}, "aud 'account'"),
        ({"scp": "User.Read"}, {}, "scp"),
        ({"token_use": "access"}, {}, "Cognito"),
        ({}, {"typ": "at+jwt"}, "RFC 9068"),
    ],
)
def test_access_token_signs_are_wrong_token_type(over: dict[str, Any], header: dict[str, Any], says: str) -> None:
    r = judge(sign(claims(**over), headers=header))
    assert "wrong-token-type" in causes(r)
    assert says in findings_of(r)[causes(r).index("wrong-token-type")].title


def test_notes_cover_groups_lifetime_and_algorithm() -> None:
    r = judge(sign(claims(groups=None), key("ES256")))
    text = " ".join(r.notes)
    assert "no 'groups' claim" in text
    assert "lifetime 5m" in text
    assert "--oidc-signing-algs lists ES256" in text
    overage = judge(sign(claims(groups=None, _claim_names={"groups": "src1"}, _claim_sources={"src1": {}})))
    assert any("distributed claims" in n for n in overage.notes)


def test_evidence_never_holds_the_token() -> None:
    token = sign(claims(exp=NOW_S - 10, aud="x", email_verified=False, typ="Bearer"))
    r = judge(token, Options(client_id="kubernetes", issuer="https://other"), jwks(key("RS256", "zzz")))
    assert len(findings_of(r)) >= 5
    blob = repr([f.to_json() for f in findings_of(r)]) + repr(r.to_json(NOW, [], []))
    for part in token.split("."):
        assert part not in blob


def test_now_boundary_uses_the_injected_clock() -> None:
    token = sign(claims())
    later = ti.inspect_token(token, "t", NOW + timedelta(minutes=5), Options(), ti.KeyInputs(), "flag")
    assert [f.cause for f in findings_of(later)] == ["token-expired"]
