"""The token checks inside the pipeline: derived facts, honest statuses, registry hygiene."""

from __future__ import annotations

from typing import Any

from token_helpers import ISSUER, NOW, NOW_S, claims, jwks, key, sign

from oidc_doctor import pipeline
from oidc_doctor.causes import BY_CODE
from oidc_doctor.checks import all_checks
from oidc_doctor.checks.base import Context, Options
from oidc_doctor.checks.token import CHECKS
from oidc_doctor.checks.token_facts import derive_tokens
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import Origin, Status
from oidc_doctor.token.inspect import ASPECTS, TokenReport


def evidence(*items: tuple[Kind, Any], blind: dict[str, str] | None = None) -> Evidence:
    ev = Evidence()
    for n, (kind, data) in enumerate(items):
        ev.add(Item(kind, f"bundle/file{n}", data))
    ev.blind.update(blind or {})
    return ev


def statuses(report: pipeline.Report) -> dict[str, Status]:
    return {c.id: c.result.status for c in report.checks if c.id.startswith("token.")}


def test_registry_holds_the_token_checks_with_unique_ids_and_catalogued_causes() -> None:
    ids = [c.id for c in all_checks()]
    assert len(ids) == len(set(ids))
    assert [c.id for c in CHECKS] == list(ASPECTS)
    for c in CHECKS:
        assert c.causes and all(code in BY_CODE for code in c.causes)
        assert c.summary


def test_no_token_skips_every_token_check() -> None:
    report = pipeline.run(Evidence(), Context(now=NOW), CHECKS)
    assert set(statuses(report).values()) == {Status.SKIPPED}


def test_bundle_token_with_jwks_and_discovery_is_judged_offline() -> None:
    k = key()
    token = sign(claims(exp=NOW_S - 30), k)
    ev = evidence(
        (Kind.TOKEN, token),
        (Kind.JWKS, jwks(k)),
        (Kind.DISCOVERY, {"issuer": ISSUER, "jwks_uri": "https://unreachable.invalid/jwks"}),
    )
    ctx = Context(now=NOW, now_source="flag", options=Options(client_id="kubernetes"))
    report = pipeline.run(ev, ctx, CHECKS)
    assert statuses(report) == {
        "token.decode": Status.PASS,
        "token.expiry": Status.FAIL,
        "token.signature": Status.PASS,
        "token.issuer": Status.PASS,
        "token.audience": Status.PASS,
        "token.email": Status.PASS,
        "token.type": Status.PASS,
    }
    assert [f.cause for f in report.findings] == ["token-expired"]
    assert report.findings[0].origin == Origin.PREDICTED
    assert report.findings[0].check == "token.expiry"
    assert report.exit_status() == 1


def test_bundle_without_jwks_leaves_the_signature_unknown_with_the_reason() -> None:
    ev = evidence((Kind.TOKEN, sign(claims())), blind={"jwks": "the collector could not reach the issuer"})
    report = pipeline.run(ev, Context(now=NOW), CHECKS)
    sig = next(c for c in report.checks if c.id == "token.signature")
    assert sig.result.status == Status.UNKNOWN
    assert "could not reach the issuer" in sig.result.reason
    assert statuses(report)["token.audience"] == Status.SKIPPED
    assert statuses(report)["token.issuer"] == Status.SKIPPED


def test_facts_come_from_the_first_decodable_token() -> None:
    good = sign(claims(groups=["ops"]))
    ev = evidence((Kind.TOKEN, "opaque-not-a-jwt-123456"), (Kind.TOKEN, good))
    ctx = Context(now=NOW)
    facts = ctx.facts.but(**derive_tokens(ev, ctx))
    assert len(facts.tokens) == 2 and all(isinstance(t, TokenReport) for t in facts.tokens)
    assert facts.token_claims is not None and facts.token_claims["groups"] == ["ops"]
    assert facts.token_header is not None and facts.token_header["alg"] == "RS256"
    assert facts.token_lifetime_s == 300
    assert facts.token_size == len(good)
    assert facts.token_ref.startswith("bundle/file1 sha256:")


def test_several_tokens_add_up_fail_over_pass() -> None:
    ev = evidence((Kind.TOKEN, sign(claims())), (Kind.TOKEN, "a.b.c.d.e"))
    report = pipeline.run(ev, Context(now=NOW), CHECKS)
    decode = next(c for c in report.checks if c.id == "token.decode")
    assert decode.result.status == Status.FAIL
    assert "bundle/file1" in decode.result.reason
    assert [f.cause for f in report.findings] == ["token-malformed"]


def test_discovery_naming_the_tokens_issuer_is_preferred() -> None:
    ev = evidence(
        (Kind.TOKEN, sign(claims())),
        (Kind.DISCOVERY, {"issuer": "https://other.example.com"}),
        (Kind.DISCOVERY, {"issuer": ISSUER}),
    )
    report = pipeline.run(ev, Context(now=NOW), CHECKS)
    assert statuses(report)["token.issuer"] == Status.PASS


def test_jwks_of_several_files_are_merged() -> None:
    k1, k2 = key("RS256", "one"), key("ES256", "two")
    ev = evidence((Kind.TOKEN, sign(claims(), k2)), (Kind.JWKS, jwks(k1)), (Kind.JWKS, jwks(k2)))
    ctx = Context(now=NOW)
    report: TokenReport = derive_tokens(ev, ctx)["tokens"][0]
    assert report.signature.status == "valid" and report.signature.kid == "two"


def _apiserver_pod() -> dict[str, Any]:
    flags = [f"--oidc-issuer-url={ISSUER}", "--oidc-client-id=kubernetes", "--oidc-username-claim=email"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
        "spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", *flags]}]},
    }


def test_access_token_signs_yield_to_the_api_servers_acceptance() -> None:
    # An RFC 9068 access token whose aud is the API server's client id is accepted by kube-apiserver
    # (it never looks at the header typ): the type guess must not be the root cause of a healthy setup.
    k = key()
    token = sign(claims(client_id="kubernetes", scope="openid email"), k, headers={"typ": "at+jwt"})
    ev = evidence((Kind.TOKEN, token), (Kind.JWKS, jwks(k)), (Kind.APISERVER_POD, _apiserver_pod()))
    report = pipeline.run(ev, Context(now=NOW))
    assert [f.cause for f in report.findings] == ["token-accepted"]
    (check,) = [c for c in report.checks if c.id == "token.type"]
    assert check.result.status == Status.PASS and "accepts this token" in check.result.reason
    # Without the API server's settings the guess stands.
    report = pipeline.run(evidence((Kind.TOKEN, token), (Kind.JWKS, jwks(k))), Context(now=NOW))
    assert "wrong-token-type" in [f.cause for f in report.findings]


def test_keycloak_id_token_with_an_account_audience_is_no_access_token() -> None:
    k = key()
    token = sign(claims(typ="ID", aud=["kubernetes", "account"]), k)
    report = pipeline.run(evidence((Kind.TOKEN, token), (Kind.JWKS, jwks(k))), Context(now=NOW), CHECKS)
    assert statuses(report)["token.type"] == Status.PASS
