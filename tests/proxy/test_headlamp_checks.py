"""Headlamp's own OIDC login against the API server: audience (headlamp#670), issuer, groups scope."""

from __future__ import annotations

from typing import Any

from proxy_testkit import ISSUER, authenticator, container, context, evidence, workload

from oidc_doctor.causes import Severity
from oidc_doctor.checks.clients import check_audience, check_issuer, check_scopes

IMAGE = "ghcr.io/headlamp-k8s/headlamp:v0.45.0"
HELM_LABELS = {
    "helm.sh/chart": "headlamp-0.45.0",
    "app.kubernetes.io/name": "headlamp",
    "app.kubernetes.io/instance": "headlamp",
    "app.kubernetes.io/managed-by": "Helm",
}


def chart_deploy(client_id: str = "headlamp", issuer: str = ISSUER, scopes: str = "profile,email", **extra: Any) -> Any:
    """As chart 0.45.0 renders with ``config.oidc.secret.create=false``: literal env, ``$(VAR)`` args."""
    env = [
        {"name": "OIDC_CLIENT_ID", "value": client_id},
        {"name": "OIDC_CLIENT_SECRET", "value": "not-shown-123"},
        {"name": "OIDC_ISSUER_URL", "value": issuer},
        {"name": "OIDC_SCOPES", "value": scopes},
        *extra.pop("env", []),
    ]
    args = [
        "-in-cluster",
        "-oidc-client-id=$(OIDC_CLIENT_ID)",
        "-oidc-client-secret=$(OIDC_CLIENT_SECRET)",
        "-oidc-idp-issuer-url=$(OIDC_ISSUER_URL)",
        "-oidc-scopes=$(OIDC_SCOPES)",
        *extra.pop("args", []),
    ]
    return workload(container("headlamp", IMAGE, env=env, args=args), name="headlamp", ns="headlamp", **extra)


def test_issue_670_client_id_not_an_accepted_audience_fails_with_helm_fix() -> None:
    r = check_audience(evidence(chart_deploy(labels=HELM_LABELS)), context(auths=[authenticator()]))
    assert r.status == "fail"
    (f,) = r.findings
    assert f.cause == "audience-mismatch"
    assert "`headlamp`" in f.title and "`kubernetes`" in f.title
    assert "--set config.oidc.clientID=kubernetes" in f.fix  # shlex.quote leaves a plain word bare
    assert "helm upgrade headlamp headlamp/headlamp -n headlamp --version 0.45.0" in f.fix
    assert "not-shown-123" not in repr(f)


def test_without_helm_labels_the_fix_is_the_flag() -> None:
    r = check_audience(evidence(chart_deploy()), context(auths=[authenticator()]))
    assert "`-oidc-client-id=kubernetes` on container headlamp" in r.findings[0].fix


def test_accepted_client_id_passes() -> None:
    r = check_audience(evidence(chart_deploy("kubernetes")), context(auths=[authenticator()]))
    assert r.status == "pass"


def test_audience_mapper_in_the_token_passes() -> None:
    claims = {"aud": ["headlamp", "kubernetes"], "iss": ISSUER}
    r = check_audience(evidence(chart_deploy()), context(auths=[authenticator()], claims=claims))
    assert r.status == "pass"


def test_no_apiserver_settings_is_unknown_never_pass() -> None:
    for check in (check_audience, check_issuer, check_scopes):
        r = check(evidence(chart_deploy()), context(auths=None))
        assert r.status == "unknown", check


def test_no_headlamp_is_skipped() -> None:
    r = check_audience(evidence(workload(container())), context(auths=[authenticator()]))
    assert r.status == "skipped"


def test_access_token_mode_without_a_token_is_unknown_and_says_why() -> None:
    dep = chart_deploy(args=["-oidc-use-access-token=true"])
    r = check_audience(evidence(dep), context(auths=[authenticator()]))
    assert r.status == "unknown"
    assert "access token" in r.reason and "identity provider" in r.reason


def test_access_token_mode_judges_the_tokens_audience() -> None:
    dep = chart_deploy("kubernetes", args=["-oidc-use-access-token"])
    r = check_audience(evidence(dep), context(auths=[authenticator()], claims={"aud": "account"}))
    assert r.status == "fail"
    assert "access token" in r.findings[0].title and "account" in r.findings[0].title


def test_client_id_in_a_secret_is_unknown_and_names_the_secret() -> None:
    env = [{"name": "OIDC_CLIENT_ID", "valueFrom": {"secretKeyRef": {"name": "oidc", "key": "clientID"}}}]
    dep = workload(container("headlamp", IMAGE, env=env, args=["-oidc-client-id=$(OIDC_CLIENT_ID)"]))
    r = check_audience(evidence(dep), context(auths=[authenticator()]))
    assert r.status == "unknown" and "Secret oidc key clientID" in r.reason


def test_issuer_compared_byte_for_byte_and_trailing_slash_named() -> None:
    r = check_issuer(evidence(chart_deploy(issuer=ISSUER + "/")), context(auths=[authenticator()]))
    assert r.status == "fail"
    assert r.findings[0].cause == "issuer-mismatch"
    assert "trailing slash" in r.findings[0].title
    ok = check_issuer(evidence(chart_deploy(issuer=ISSUER)), context(auths=[authenticator()]))
    assert ok.status == "pass"


def test_scopes_without_groups_is_a_warning_with_a_helm_fix_helm_reads_back_whole() -> None:
    r = check_scopes(evidence(chart_deploy(labels=HELM_LABELS)), context(auths=[authenticator()]))
    (f,) = r.findings
    assert f.cause == "groups-claim-missing" and f.severity == Severity.WARNING
    # --set would split the commas: --set-json carries the string as one JSON value
    assert """--set-json 'config.oidc.scopes="profile,email,groups"'""" in f.fix


def test_scopes_without_groups_and_token_without_the_claim_is_an_error() -> None:
    r = check_scopes(evidence(chart_deploy()), context(auths=[authenticator()], claims={"email": "a@b"}))
    assert r.findings[0].severity == Severity.ERROR


def test_scopes_with_groups_or_no_groups_claim_pass() -> None:
    with_groups = chart_deploy(scopes="profile,email,groups")
    assert check_scopes(evidence(with_groups), context(auths=[authenticator()])).status == "pass"
    no_claim = [authenticator(groups_claim=None)]
    assert check_scopes(evidence(chart_deploy()), context(auths=no_claim)).status == "pass"
