"""What the control plane records, judged end to end on bundles: the running configuration's hash,
reloads, JWKS fetches, the authenticators' counts, and audit events."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import yaml
from cp_shapes import (
    AUTH_CONFIG,
    ISSUER,
    NOW,
    NOW_S,
    apiserver_pod,
    audit_event,
    exposition,
    failed_login,
    json_lines,
    sign_token,
)

from oidc_doctor.cli import main
from oidc_doctor.controlplane.hashes import apiserver_id_hash, label_hash
from oidc_doctor.io import IO

CP1, CP2 = apiserver_id_hash("cp1"), apiserver_id_hash("cp2")
CONFIG_FLAG = "--authentication-config=/etc/kubernetes/auth-config.yaml"
UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)\n"
INFO = "apiserver_authentication_config_controller_last_config_info"
RELOAD_TS = "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds"
RELOADS = "apiserver_authentication_config_controller_automatic_reloads_total"
JWT = "apiserver_authentication_jwt_authenticator_latency_seconds"
JWKS_TS = "apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds"


def diagnose(tmp_path: Path, files: dict[str, Any]) -> dict[str, Any]:
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name, content in files.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        (folder / name).write_text(text)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(folder), "--now", NOW, "--format", "json"],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    assert status in (0, 1), err.getvalue()
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def base(**over: Any) -> dict[str, Any]:
    files: dict[str, Any] = {
        "id_token.txt": sign_token(),
        "kube-apiserver-cp1.yaml": apiserver_pod("cp1", CONFIG_FLAG),
        "auth-config.yaml": AUTH_CONFIG,
    }
    files.update({k: v for k, v in over.items() if v is not None})
    return {k: v for k, v in files.items() if over.get(k, 0) is not None}


def causes(report: dict[str, Any]) -> list[str]:
    return [f["cause"] for f in report["findings"]]


def check(report: dict[str, Any], id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["id"] == id)
    return found


def running(*pairs: tuple[str, str]) -> list[tuple[str, dict[str, str], float]]:
    return [(INFO, {"apiserver_id_hash": a, "hash": h}, 1) for a, h in pairs]


def test_a_file_in_hand_that_the_api_server_does_not_run_is_drift_named_first(tmp_path: Path) -> None:
    edited = AUTH_CONFIG.replace('prefix: "oidc:"\n    groups', 'prefix: "sso:"\n    groups')
    report = diagnose(
        tmp_path,
        base(**{"error.txt": UNAUTHORIZED, "metrics.txt": exposition(running((CP1, label_hash(edited))))}),
    )
    assert causes(report)[0] == "apiserver-config-drift"
    drift = report["findings"][0]
    assert drift["origin"] == "observed"
    assert label_hash(AUTH_CONFIG) in drift["evidence"][0]["text"]
    assert any("(node cp1)" in drift["title"] or label_hash(edited) in e["text"] for e in drift["evidence"])


def test_the_same_bytes_are_no_drift_and_the_check_says_so(tmp_path: Path) -> None:
    report = diagnose(tmp_path, base(**{"metrics.txt": exposition(running((CP1, label_hash(AUTH_CONFIG))))}))
    assert "apiserver-config-drift" not in causes(report)
    assert check(report, "controlplane.config")["status"] == "pass"


def test_a_configmap_holding_the_file_hashes_its_data_value(tmp_path: Path) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "auth-config", "namespace": "kube-system"},
        "data": {"auth-config.yaml": AUTH_CONFIG},
    }
    report = diagnose(
        tmp_path, base(**{"auth-config.yaml": cm, "metrics.txt": exposition(running((CP1, label_hash(AUTH_CONFIG))))})
    )
    assert check(report, "controlplane.config")["status"] == "pass"


def test_api_servers_running_different_configurations_disagree(tmp_path: Path) -> None:
    metrics = exposition(running((CP1, label_hash(AUTH_CONFIG)), (CP2, label_hash(AUTH_CONFIG + "# old\n"))))
    report = diagnose(
        tmp_path,
        base(**{"kube-apiserver-cp2.yaml": apiserver_pod("cp2", CONFIG_FLAG), "metrics.txt": metrics}),
    )
    found = next(f for f in report["findings"] if f["cause"] == "apiserver-endpoint-mismatch")
    assert "(node cp1)" in found["title"] and "(node cp2)" in found["title"]
    assert "apiserver-config-drift" not in causes(report)  # the file in hand is what cp1 runs


def test_a_failed_reload_after_the_last_success_keeps_the_old_configuration(tmp_path: Path) -> None:
    series = [
        *running((CP1, label_hash("the old file"))),
        (RELOADS, {"apiserver_id_hash": CP1, "status": "success"}, 2),
        (RELOADS, {"apiserver_id_hash": CP1, "status": "failure"}, 1),
        (RELOAD_TS, {"apiserver_id_hash": CP1, "status": "success"}, NOW_S - 86400),
        (RELOAD_TS, {"apiserver_id_hash": CP1, "status": "failure"}, NOW_S - 600),
    ]
    report = diagnose(tmp_path, base(**{"error.txt": UNAUTHORIZED, "metrics.txt": exposition(series)}))
    assert causes(report)[:2] == ["auth-config-reload-failed", "apiserver-config-drift"]
    assert "2026-11-28T10:15:12Z" in report["findings"][0]["title"]


def test_a_reload_that_succeeded_last_is_no_finding(tmp_path: Path) -> None:
    series = [
        *running((CP1, label_hash(AUTH_CONFIG))),
        (RELOAD_TS, {"apiserver_id_hash": CP1, "status": "failure"}, NOW_S - 900),
        (RELOAD_TS, {"apiserver_id_hash": CP1, "status": "success"}, NOW_S - 600),
    ]
    report = diagnose(tmp_path, base(**{"metrics.txt": exposition(series)}))
    assert "auth-config-reload-failed" not in causes(report)
    assert check(report, "controlplane.reload")["status"] == "pass"


def test_jwks_fetch_failures_newer_than_successes_are_an_unreachable_issuer(tmp_path: Path) -> None:
    labels = {"apiserver_id_hash": CP1, "jwt_issuer_hash": label_hash(ISSUER)}
    series = [
        (JWKS_TS, {**labels, "result": "success"}, NOW_S - 7200),
        (JWKS_TS, {**labels, "result": "failure"}, NOW_S - 30),
        (JWT, {"jwt_issuer_hash": label_hash(ISSUER), "result": "failure"}, 3),
    ]
    report = diagnose(tmp_path, base(**{"error.txt": UNAUTHORIZED, "metrics.txt": exposition(series)}))
    assert causes(report)[0] == "issuer-unreachable"
    assert ISSUER in report["findings"][0]["title"]
    assert report["findings"][0]["origin"] == "observed"


def test_rejections_without_a_count_for_the_tokens_issuer_mean_no_authenticator_took_it(tmp_path: Path) -> None:
    other = label_hash("https://dex.example.com")
    series = [
        (JWT, {"jwt_issuer_hash": other, "result": "success"}, 40),
        ("authentication_attempts", {"result": "error"}, 25),
    ]
    pod = apiserver_pod("cp1", "--oidc-issuer-url=https://dex.example.com", "--oidc-client-id=kubernetes")
    report = diagnose(
        tmp_path,
        base(
            **{
                "kube-apiserver-cp1.yaml": pod,
                "auth-config.yaml": None,
                "metrics.txt": exposition(series),
                "error.txt": UNAUTHORIZED,
            }
        ),
    )
    mismatch = next(f for f in report["findings"] if f["cause"] == "issuer-mismatch")
    assert any(e["source"] == "metrics" for e in mismatch["evidence"])
    assert check(report, "controlplane.authenticators")["status"] == "fail"


def test_no_authenticator_at_all_is_oidc_not_configured_observed(tmp_path: Path) -> None:
    series = [*running((CP1, label_hash("x"))), ("authentication_attempts", {"result": "error"}, 25)]
    report = diagnose(
        tmp_path,
        base(
            **{
                "kube-apiserver-cp1.yaml": apiserver_pod("cp1"),
                "auth-config.yaml": None,
                "metrics.txt": exposition(series),
            }
        ),
    )
    assert causes(report)[0] == "oidc-not-configured"


def test_authenticator_failures_corroborate_the_predicted_rejection(tmp_path: Path) -> None:
    series = [(JWT, {"jwt_issuer_hash": label_hash(ISSUER), "result": "failure"}, 12)]
    report = diagnose(
        tmp_path,
        base(**{"id_token.txt": sign_token(exp=NOW_S - 600, iat=NOW_S - 900), "metrics.txt": exposition(series)}),
    )
    expired = report["findings"][0]
    assert expired["cause"] == "token-expired"
    assert any(e["source"] == "metrics" and "failure" in e["text"] for e in expired["evidence"])


def test_audit_401s_near_now_are_observed_failures(tmp_path: Path) -> None:
    events = [failed_login(f"a{i}", f"2026-11-28T10:2{i}:0{i}Z") for i in range(1, 5)]
    report = diagnose(tmp_path, base(**{"audit.log": json_lines(events)}))
    # The settings in hand accept the token, yet the API server audited 401s: another endpoint or token.
    assert causes(report)[0] == "apiserver-endpoint-mismatch"
    assert "4 failed authentication(s)" in check(report, "controlplane.audit")["reason"]
    assert "4 x 401" in check(report, "controlplane.audit")["reason"]


def test_an_audited_request_with_the_tokens_jti_is_the_api_servers_word_on_the_identity(tmp_path: Path) -> None:
    user = {
        "username": "oidc:alice@example.com",
        "uid": "",
        "groups": ["oidc:dev", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": ["JTI=5d0c3a8e-jti-alice"]},
    }
    events = [
        audit_event("b1", "2026-11-28T10:24:50Z", 200, user=user),
        audit_event("b2", "2026-11-28T10:25:01Z", 200, user={**user, "extra": {}}),
    ]
    report = diagnose(tmp_path, base(**{"audit.log": json_lines(events)}))
    assert report["identity"]["source"] == "audit-event"
    assert report["identity"]["username"] == "oidc:alice@example.com"
    accepted = next(f for f in report["findings"] if f["cause"] == "token-accepted")
    assert "1 time(s)" in accepted["title"] and accepted["evidence"][0]["ref"].endswith("audit.log:1")


def test_an_accepted_jti_beside_observed_401s_is_no_authentication_works_finding(tmp_path: Path) -> None:
    user = {
        "username": "oidc:alice@example.com",
        "groups": ["oidc:dev", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": ["JTI=5d0c3a8e-jti-alice"]},
    }
    events = [audit_event("b1", "2026-11-28T10:24:50Z", 200, user=user), failed_login("a1", "2026-11-28T10:25:00Z")]
    report = diagnose(tmp_path, base(**{"audit.log": json_lines(events)}))
    assert "token-accepted" not in causes(report)
    assert "yet 401s were seen" in check(report, "controlplane.audit")["reason"]
    assert report["identity"]["source"] == "audit-event"


def test_rejections_of_other_clients_alone_are_no_finding_for_this_token(tmp_path: Path) -> None:
    # 25 rejected requests cluster-wide (a stale service-account token, a bad certificate...) but no 401
    # for this user: the token's issuer simply has not been used since the API server started.
    series = [*running((CP1, label_hash(AUTH_CONFIG))), ("authentication_attempts", {"result": "error"}, 25)]
    report = diagnose(tmp_path, base(**{"metrics.txt": exposition(series)}))
    assert not [f for f in report["findings"] if f["severity"] in ("error", "warning")]
    assert check(report, "controlplane.authenticators")["status"] == "pass"


def test_checks_read_facts_built_directly() -> None:
    from datetime import UTC, datetime

    from oidc_doctor.checks.base import Context
    from oidc_doctor.checks.controlplane import ControlPlaneFacts, check_config, check_reload
    from oidc_doctor.controlplane import metrics
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.facts import Facts

    line = f'{RELOAD_TS}{{apiserver_id_hash="{CP2}",status="failure"}} 1.7958603124401e+09'
    sample = metrics.parse_line(line, 3)
    assert sample is not None and sample.text() == line  # the value as the input wrote it
    summary = metrics.summarise([sample, metrics.Sample(INFO, {"apiserver_id_hash": CP2, "hash": "sha256:1"}, 1)])
    cp = ControlPlaneFacts(
        metrics=summary, metrics_refs=("m.txt",), config_files=(("cfg.yaml", "sha256:1"),), nodes={CP2: "cp2"}
    )
    ctx = Context(now=datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC), facts=Facts(controlplane=cp))
    reload = check_reload(Evidence(), ctx)
    assert [f.cause for f in reload.findings] == ["auth-config-reload-failed"]
    assert "(node cp2)" in reload.findings[0].title and reload.findings[0].evidence[0].ref == "m.txt:3"
    assert str(check_config(Evidence(), ctx).status) == "pass"


def test_a_token_in_an_audited_uri_never_reaches_the_report(tmp_path: Path) -> None:
    token = sign_token()
    uri = f"/api/v1/namespaces/dev/pods/web/exec?command=sh&access_token={token}"
    events = [failed_login("a1", "2026-11-28T10:25:00Z", uri=uri, verb="get")]
    files = base(**{"audit.log": json_lines(events)})
    report = diagnose(tmp_path, files)
    text = json.dumps(report)
    assert token not in text and token.split(".")[1] not in text
    assert "access_token=<masked sha256:" in check(report, "controlplane.audit")["reason"]


JWKS_INFO = "apiserver_authentication_jwt_authenticator_jwks_fetch_last_key_set_info"


def test_the_control_plane_holding_exactly_the_jwks_in_hand_confirms_a_missing_kid(tmp_path: Path) -> None:
    n = "x" * 342  # a 2048-bit modulus' length in base64url; the token's kid "k1" is not in the set
    jwks = json.dumps({"keys": [{"kid": "rotated-2", "kty": "RSA", "alg": "RS256", "n": n, "e": "AQAB"}]})
    labels = {"apiserver_id_hash": CP1, "jwt_issuer_hash": label_hash(ISSUER)}
    series = [
        (JWKS_TS, {**labels, "result": "success"}, NOW_S - 60),
        (JWKS_INFO, {**labels, "hash": label_hash(jwks)}, 1),
    ]
    report = diagnose(
        tmp_path, base(**{"jwks.json": jwks, "metrics.txt": exposition(series), "error.txt": UNAUTHORIZED})
    )
    first = report["findings"][0]
    assert first["cause"] == "signature-invalid"
    assert any(e["source"] == "metrics" and label_hash(jwks) in e["text"] for e in first["evidence"])
    assert "holds exactly the keys of" in check(report, "controlplane.jwks")["reason"]


def test_a_re_serialised_jwks_says_nothing_about_the_keys_held(tmp_path: Path) -> None:
    jwks = {"keys": [{"kid": "k1", "kty": "RSA", "alg": "RS256", "n": "x" * 342, "e": "AQAB"}]}
    labels = {"apiserver_id_hash": CP1, "jwt_issuer_hash": label_hash(ISSUER)}
    served = json.dumps(jwks, separators=(",", ":"))
    series = [
        (JWKS_TS, {**labels, "result": "success"}, NOW_S - 60),
        (JWKS_INFO, {**labels, "hash": label_hash(served)}, 1),
    ]
    report = diagnose(tmp_path, base(**{"jwks.json": json.dumps(jwks, indent=2), "metrics.txt": exposition(series)}))
    reason = check(report, "controlplane.jwks")["reason"]
    assert "whose bytes differ from the JWKS in hand" in reason
    assert not [f for f in report["findings"] if f["check"] == "controlplane.jwks"]
    assert check(report, "controlplane.jwks")["status"] == "unknown"  # never "pass" for what it could not see
