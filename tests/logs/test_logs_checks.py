"""The ``logs.*`` checks and the deriver, through the real pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from logtext import failure, filler, klog

from oidc_doctor import pipeline
from oidc_doctor.causes import BY_CODE
from oidc_doctor.checks import all_checks
from oidc_doctor.checks.base import Context
from oidc_doctor.checks.logs import (
    CHECKS,
    LOG_CAUSES,
    check_apiserver,
    derive_logs,
)
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import Origin, Status

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EXPIRED = (
    "[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: 2026-11-28 11:00:00 +0000 UTC)]"
)
AUDIENCE = '[invalid bearer token, oidc: verify token: oidc: expected audience "kubernetes" got ["kubeapps"]]'
CA_LINE = (
    'oidc authenticator: initializing plugin: Get "https://idp.example.com/.well-known/openid-'
    'configuration": tls: failed to verify certificate: x509: certificate signed by unknown authority'
)


def _evidence(tmp_path: Path, kind: Kind, text: str, name: str) -> Evidence:
    p = tmp_path / name
    p.write_text(text)
    return Evidence(items=[Item(kind, f"bundle/{name}", None, path=p)])


def _apiserver_log(tmp_path: Path) -> Evidence:
    old = NOW - timedelta(hours=3)
    text = (
        filler(old)
        + failure(old, EXPIRED)  # long ago
        + failure(NOW - timedelta(minutes=1), "invalid bearer token")  # near, but bare
        + failure(NOW - timedelta(minutes=1), AUDIENCE)  # near and specific
        + failure(NOW, "[invalid bearer token, webhook: strange thing]")  # unknown
        + filler(NOW)
    )
    return _evidence(tmp_path, Kind.APISERVER_LOG, text, "apiserver.log")


def test_log_checks_are_registered_with_catalogue_causes() -> None:
    ids = [c.id for c in all_checks()]
    assert {"logs.apiserver", "logs.proxy", "logs.ingress"} <= set(ids)
    assert len(ids) == len(set(ids))
    assert set(LOG_CAUSES) <= set(BY_CODE)


def test_observed_findings_rank_near_specific_then_near_bare_then_old(tmp_path: Path) -> None:
    report = pipeline.run(_apiserver_log(tmp_path), Context(now=NOW), checks=CHECKS)
    codes = [f.cause for f in report.findings]
    assert codes == ["audience-mismatch", "issuer-mismatch", "token-expired"]
    assert all(f.origin == Origin.OBSERVED for f in report.findings)
    aud, bare, _ = report.findings
    assert aud.title.startswith('The API server expects audience "kubernetes"; the token carries ["kubeapps"]')
    assert "issuer mismatch or OIDC not configured" in bare.title
    assert aud.evidence[0].source == "log"
    assert aud.evidence[0].ref == "bundle/apiserver.log:4"
    assert "expected audience" in aud.evidence[0].text


def test_failures_near_now_are_recorded_for_ranking(tmp_path: Path) -> None:
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(logs=derive_logs(_apiserver_log(tmp_path), ctx)))
    logs = ctx.facts.logs
    assert logs is not None
    kinds = {(f.kind, f.status) for f in logs.failures}
    assert kinds == {("unauthorized", 401)}
    refs = {f.ref for f in logs.failures}
    assert "bundle/apiserver.log:2" not in refs  # the expired token of three hours ago is not "near"
    assert set(logs.summary) == {"apiserver-log"}
    assert set(logs.near["apiserver-log"].by_cause) == {
        "audience-mismatch",
        "issuer-mismatch",
    }


def test_unknown_authentication_lines_are_shown_in_the_check_reason(tmp_path: Path) -> None:
    report = pipeline.run(_apiserver_log(tmp_path), Context(now=NOW), checks=CHECKS)
    record = next(c for c in report.checks if c.id == "logs.apiserver")
    assert record.result.status == Status.FAIL
    assert "webhook: strange thing" in record.result.reason
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(logs=derive_logs(_apiserver_log(tmp_path), ctx)))
    assert ctx.facts.logs is not None and "webhook: strange thing" in ctx.facts.logs.unclassified[0]["line"]


def test_only_unknown_lines_make_the_check_unknown_not_pass(tmp_path: Path) -> None:
    ev = _evidence(tmp_path, Kind.APISERVER_LOG, failure(NOW, "[invalid bearer token, webhook: 500]"), "a.log")
    report = pipeline.run(ev, Context(now=NOW), checks=CHECKS)
    record = next(c for c in report.checks if c.id == "logs.apiserver")
    assert record.result.status == Status.UNKNOWN
    assert "webhook: 500" in record.result.reason


def test_not_initialized_is_reported_as_the_start_up_cause_with_both_lines(tmp_path: Path) -> None:
    text = klog(NOW - timedelta(days=1), CA_LINE, "E", "oidc.go:335") + failure(
        NOW, "[invalid bearer token, oidc: authenticator not initialized]"
    )
    report = pipeline.run(_evidence(tmp_path, Kind.APISERVER_LOG, text, "a.log"), Context(now=NOW), checks=CHECKS)
    (f,) = report.findings
    assert f.cause == "issuer-ca-untrusted"
    assert "1 request got `authenticator not initialized`" in f.title
    assert [e.ref for e in f.evidence] == [
        "bundle/a.log:2",
        "bundle/a.log:1 (start-up line behind `authenticator not initialized`)",
    ]


def test_proxy_cookie_refresh_disabled_and_session_expiry(tmp_path: Path) -> None:
    text = (
        "[2026/11/28 11:00:00] [oauthproxy.go:160] Cookie settings: name:_oauth2_proxy secure(https):false "
        "httponly:true expiry:168h0m0s domains: path:/ samesite: refresh:disabled\n"
        "[2026/11/28 11:59:00] [stored_session.go:94] Error loading cookied session: error refreshing access "
        "token for session (Session{email:a@b.c}): session is expired, removing session\n"
    )
    ctx = Context(now=NOW)
    report = pipeline.run(_evidence(tmp_path, Kind.PROXY_LOG, text, "proxy.log"), ctx, checks=CHECKS)
    codes = {f.cause for f in report.findings}
    assert codes == {"proxy-cookie-refresh-missing", "proxy-refresh-unsupported"}
    assert {f.kind for f in report.ctx.facts.failures} == {"logged-out"}


def test_ingress_header_too_large(tmp_path: Path) -> None:
    text = (
        "2026/11/28 11:59:30 [error] 38#38: *1 upstream sent too big header while reading response header "
        'from upstream, client: 10.0.0.1, server: kubeapps.example.com, request: "GET /oauth2/callback"\n'
    )
    report = pipeline.run(_evidence(tmp_path, Kind.INGRESS_LOG, text, "ingress.log"), Context(now=NOW), checks=CHECKS)
    assert [f.cause for f in report.findings] == ["proxy-header-too-large"]


def test_without_logs_the_checks_are_skipped_and_a_clean_log_passes(tmp_path: Path) -> None:
    report = pipeline.run(Evidence(), Context(now=NOW), checks=CHECKS)
    assert {c.result.status for c in report.checks} == {Status.SKIPPED}
    ev = _evidence(tmp_path, Kind.APISERVER_LOG, filler(NOW), "ok.log")
    report = pipeline.run(ev, Context(now=NOW), checks=CHECKS)
    record = next(c for c in report.checks if c.id == "logs.apiserver")
    assert record.result.status == Status.PASS


def test_unreadable_log_makes_the_check_unknown(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"junk" * 20)
    ev = Evidence(items=[Item(Kind.APISERVER_LOG, "bundle/broken.gz", None, path=bad)])
    report = pipeline.run(ev, Context(now=NOW), checks=CHECKS)
    record = next(c for c in report.checks if c.id == "logs.apiserver")
    assert record.result.status == Status.UNKNOWN
    assert "bundle/broken.gz" in record.result.reason


def test_disabled_cookie_refresh_comes_before_the_expired_tokens_it_causes(tmp_path: Path) -> None:
    api = tmp_path / "apiserver.log"
    api.write_text(failure(NOW - timedelta(minutes=1), EXPIRED))
    proxy = tmp_path / "proxy.log"
    proxy.write_text(
        "[2026/11/28 09:00:00] [oauthproxy.go:160] Cookie settings: name:_oauth2_proxy secure(https):true "
        "httponly:true expiry:168h0m0s domains: path:/ samesite: refresh:disabled\n"
    )
    ev = Evidence(
        items=[
            Item(Kind.APISERVER_LOG, "bundle/apiserver.log", None, path=api),
            Item(Kind.PROXY_LOG, "bundle/proxy.log", None, path=proxy),
        ]
    )
    report = pipeline.run(ev, Context(now=NOW), checks=CHECKS)
    assert [f.cause for f in report.findings] == ["proxy-cookie-refresh-missing", "token-expired"]


def test_bare_invalid_bearer_token_names_both_issuers_when_the_settings_are_known(tmp_path: Path) -> None:
    from oidc_doctor.model import AuthenticatorSummary

    ev = _evidence(tmp_path, Kind.APISERVER_LOG, failure(NOW, "invalid bearer token"), "a.log")
    auth = AuthenticatorSummary("https://idp.example.com/realms/k8s", ("kubernetes",), "email", "", None, "", "pod")
    # The check alone: other areas' derivers (which fill these facts) are not part of this test.
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(logs=derive_logs(ev, ctx)))
    ctx = ctx.but(facts=ctx.facts.but(authenticators=(auth,)))
    ctx = ctx.but(facts=ctx.facts.but(token_claims={"iss": "https://idp.example.com/realms/k8s/"}))
    (f,) = check_apiserver(ev, ctx).findings
    assert f.cause == "issuer-mismatch" and not f.bare  # the settings and the token confirm the reading
    assert (
        "the token's iss 'https://idp.example.com/realms/k8s/' is not the configured issuer "
        "'https://idp.example.com/realms/k8s'" in f.title
    )
    ctx = ctx.but(facts=ctx.facts.but(authenticators=()))
    ctx = ctx.but(facts=ctx.facts.but(authenticators_ref="kube-system/kube-apiserver-cp1"))
    (f,) = check_apiserver(ev, ctx).findings
    assert f.title.endswith("the API server settings (kube-system/kube-apiserver-cp1) hold no OIDC authenticator")
    assert f.cause == "oidc-not-configured"  # not an issuer mismatch: there is no issuer to mismatch
    ctx = ctx.but(facts=ctx.facts.but(authenticators=None))
    (f,) = check_apiserver(ev, ctx).findings
    assert f.cause == "issuer-mismatch" and f.bare and "issuer mismatch or OIDC not configured" in f.title


def test_report_extra_gives_the_logs_json_per_kind(tmp_path: Path) -> None:
    from oidc_doctor.checks.logs import report_extra

    ctx = Context(now=NOW)
    assert report_extra(ctx) is None
    ctx = ctx.but(facts=ctx.facts.but(logs=derive_logs(_apiserver_log(tmp_path), ctx)))
    extra = report_extra(ctx)
    assert extra is not None
    near = extra["apiserver-log"]["near_now"]
    assert extra["apiserver-log"]["whole"]["auth_failures"] == 4
    assert near is not None and near["auth_failures"] == 3
