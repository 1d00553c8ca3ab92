"""Ranking, the report's shape and the honesty rules of the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, ObservedFailure, Origin, Status
from oidc_doctor.pipeline import SCHEMA, rank, run

NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)


def _ctx(*failures: str) -> Context:
    ctx = Context(now=NOW, now_source="flag")
    ctx = ctx.but(facts=ctx.facts.but(failures=[ObservedFailure(kind=k, ref="--error", text=k) for k in failures]))
    return ctx


def test_errors_come_before_warnings_and_info() -> None:
    fs = [
        Finding("token-accepted", "accepted"),
        Finding("proxy-authorization-header-exposed", "exposed"),
        Finding("token-expired", "expired"),
    ]
    assert [f.cause for f in rank(fs, _ctx())] == [
        "token-expired",
        "proxy-authorization-header-exposed",
        "token-accepted",
    ]


def test_the_api_servers_word_outranks_a_prediction() -> None:
    predicted = Finding("token-expired", "predicted expiry", origin=Origin.PREDICTED)
    observed = Finding("audience-mismatch", "log says audience", origin=Origin.OBSERVED)
    assert rank([predicted, observed], _ctx())[0] is observed


def test_a_403_puts_rbac_causes_before_token_causes() -> None:
    token = Finding("wrong-token-type", "access token")
    rbac = Finding("username-prefix-mismatch", "prefix")
    assert rank([token, rbac], _ctx("forbidden"))[0] is rbac
    assert rank([token, rbac], _ctx("unauthorized"))[0] is token


def test_a_403_keeps_a_missing_groups_claim_relevant() -> None:
    groups = Finding("groups-claim-missing", "no groups claim")
    token = Finding("token-expired", "expired")
    assert rank([token, groups], _ctx("forbidden"))[0] is groups


def test_a_root_cause_comes_before_an_observed_consequence() -> None:
    # An access token sent instead of the id_token: the log's audience line is a consequence.
    seen = Finding("audience-mismatch", 'expected audience "kubernetes" got ["account"]', origin=Origin.OBSERVED)
    root = Finding("wrong-token-type", "an access token was sent")
    assert rank([seen, root], _ctx("unauthorized")) == [root, seen]


def test_a_bare_observation_comes_after_the_prediction_that_explains_it() -> None:
    bare = Finding("issuer-mismatch", "invalid bearer token", origin=Origin.OBSERVED, bare=True)
    pred = Finding("email-not-verified", "email_verified is false")
    assert rank([bare, pred], _ctx("unauthorized"))[0] is pred


def test_a_root_cause_moves_before_what_it_explains() -> None:
    consequence = Finding("rbac-no-binding", "no binding", rank=10)
    root = Finding("groups-claim-missing", "no groups", rank=90, explains=("rbac-no-binding",))
    assert rank([consequence, root], _ctx())[0] is root


def test_logged_out_puts_session_causes_first() -> None:
    token = Finding("token-expired", "expired")
    proxy = Finding("proxy-cookie-refresh-missing", "no refresh")
    assert rank([token, proxy], _ctx("logged-out"))[0] is proxy


def _check(cid: str, result: CheckResult) -> Check:
    return Check(cid, ("token-expired",), lambda ev, ctx: result, "test check")


def test_report_json_has_every_contract_key_and_exit_status() -> None:
    finding = Finding(
        "token-expired", "expired 5m ago", [EvidenceRef("token", "id_token.txt claims.exp", "2026-11-28T10:20:12Z")]
    )
    report = run(
        Evidence(),
        _ctx(),
        [_check("t.one", CheckResult.failed([finding])), _check("t.two", CheckResult.unknown("no token"))],
    )
    data = report.to_json()
    assert data["schema"] == SCHEMA
    assert data["now"] == "2026-11-28T10:25:12Z" and data["now_source"] == "flag"
    assert data["identity"] is None
    assert data["findings"][0]["cause"] == "token-expired"
    assert data["findings"][0]["severity"] == "error"
    assert data["findings"][0]["evidence"] == [
        {"source": "token", "ref": "id_token.txt claims.exp", "text": "2026-11-28T10:20:12Z"}
    ]
    assert data["findings"][0]["fix"]  # the catalogue's default fix fills an empty one
    assert data["checks"] == [
        {"id": "t.one", "status": "fail", "reason": ""},
        {"id": "t.two", "status": "unknown", "reason": "no token"},
    ]
    assert report.exit_status() == 1


def test_warnings_alone_exit_zero() -> None:
    report = run(
        Evidence(), _ctx(), [_check("t.w", CheckResult.failed([Finding("proxy-authorization-header-exposed", "x")]))]
    )
    assert report.exit_status() == 0


def test_a_crashing_check_reads_as_unknown_never_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ev: Evidence, ctx: Context) -> CheckResult:
        raise RuntimeError("kaput")

    monkeypatch.delenv("OIDC_DOCTOR_STRICT", raising=False)
    report = run(Evidence(), _ctx(), [Check("t.boom", ("token-expired",), boom, "crashes")])
    assert report.checks[0].result.status == Status.UNKNOWN
    assert "kaput" in report.checks[0].result.reason
    monkeypatch.setenv("OIDC_DOCTOR_STRICT", "1")
    with pytest.raises(RuntimeError):
        run(Evidence(), _ctx(), [Check("t.boom", ("token-expired",), boom, "crashes")])


def test_unknown_cause_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown cause code"):
        Finding("not-a-code", "x")


def test_duplicate_findings_from_two_checks_are_reported_once() -> None:
    f1 = Finding("token-expired", "same")
    f2 = Finding("token-expired", "same")
    report = run(Evidence(), _ctx(), [_check("t.a", CheckResult.failed([f1])), _check("t.b", CheckResult.failed([f2]))])
    assert len(report.findings) == 1


def test_a_finding_whose_evidence_another_of_its_cause_contains_is_dropped() -> None:
    seen = EvidenceRef("error-text", "error.txt", 'User "system:anonymous"')
    setting = EvidenceRef("proxy", "deploy a/b args[3]", "--pass-authorization-header=false")
    generic = Finding("proxy-token-not-forwarded", "anonymous 403", [seen])
    specific = Finding("proxy-token-not-forwarded", "flag off, hence anonymous", [setting, seen])
    other = Finding("rbac-no-binding", "other cause, same evidence", [seen])
    report = run(
        Evidence(),
        _ctx(),
        [_check("t.a", CheckResult.failed([generic, other])), _check("t.b", CheckResult.failed([specific]))],
    )
    assert specific in report.findings and other in report.findings and generic not in report.findings


def test_a_prediction_is_folded_into_the_observation_of_the_same_cause() -> None:
    log = EvidenceRef("log", "apiserver.log:2", 'expected audience "kubernetes" got ["kubeapps"]')
    cfg = EvidenceRef("apiserver-config", "pod --oidc-client-id", '["kubernetes"]')
    observed = Finding("audience-mismatch", "the log says", [log], origin=Origin.OBSERVED)
    predicted = Finding("audience-mismatch", "we predict", [cfg], fix="use client id kubernetes")
    unrelated = Finding("token-expired", "expired", origin=Origin.PREDICTED)
    report = run(
        Evidence(),
        _ctx(),
        [_check("t.a", CheckResult.failed([predicted, unrelated])), _check("t.b", CheckResult.failed([observed]))],
    )
    assert [f.title for f in report.findings] == ["the log says", "expired"]
    assert report.findings[0].evidence == [log, cfg]
    assert report.findings[0].fix == "use client id kubernetes"


def test_the_api_servers_review_puts_predicted_authentication_causes_after_others() -> None:
    from oidc_doctor.model import Identity

    ctx = _ctx()
    predicted_authn = Finding("issuer-mismatch", "proxy issuer differs", origin=Origin.CONFIG)
    session = Finding("proxy-cookie-refresh-missing", "no refresh", origin=Origin.CONFIG, rank=90)
    assert rank([predicted_authn, session], ctx)[0] is predicted_authn
    ctx = ctx.but(facts=ctx.facts.but(identity=Identity("oidc:alice", ["oidc:dev"], source="selfsubjectreview")))
    assert rank([predicted_authn, session], ctx)[0] is session


def test_one_finding_per_cause_keeps_the_word_of_the_server_and_the_fix_of_the_setting() -> None:
    log = EvidenceRef("log", "apiserver.log:2", 'expected audience "kubernetes" got ["kubeapps"]')
    flag = EvidenceRef("proxy", "deploy kubeapps/kubeapps args[4]", "--client-id=kubeapps")
    observed = Finding("audience-mismatch", "the log says", [log], origin=Origin.OBSERVED)
    predicted = Finding("audience-mismatch", "we predict", fix="use client id kubernetes")
    setting = Finding(
        "audience-mismatch", "the proxy's client", [flag], fix="set --client-id=kubernetes", origin=Origin.CONFIG
    )
    checks = [_check(f"t.{i}", CheckResult.failed([f])) for i, f in enumerate((predicted, setting, observed))]
    report = run(Evidence(), _ctx(), checks)
    (only,) = report.findings
    assert only.title == "the log says" and only.fix == "set --client-id=kubernetes"
    assert {e.source for e in only.evidence} == {"log", "proxy"}
