"""The API server's own lines about its authentication set-up, and the causes the control plane's
records prove: a failed reload of ``--authentication-config``, an authenticator that never
initialised (no ``jwks_uri``), a distributed-claims verifier, a logger that drops the reason, stale
signing keys and tokens that reach no authenticator.

Line shapes: kubernetes ``pkg/kubeapiserver/options/authentication.go`` (the reload loop, 1.30+:
``klog.ErrorS(err, "failed to load authentication config")`` ... ``klog.InfoS("reloaded
authentication config")``), k8s.io/apiserver ``plugin/pkg/authenticator/token/oidc/oidc.go``
(``klog.Errorf("provider did not return JWKS URL")``, 1.35; ``oidc authenticator: async token
verifier for issuer: %q: %v``), zap's ``errorCauses`` (go.uber.org/zap ``zapcore/error.go``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cp_shapes import AUTH_CONFIG, ISSUER, NOW_S, exposition, sign_token
from test_controlplane_checks import CP1, JWKS_INFO, JWKS_TS, UNAUTHORIZED, base, causes, check, diagnose

from oidc_doctor.controlplane.hashes import label_hash
from oidc_doctor.logs.classify import RELOAD, STARTUP, classify_line

VALIDATE = (
    'E1128 10:20:02.118842       1 authentication.go:812] "failed to validate authentication config" '
    'err="jwt[0].claimMappings.username.prefix: Required value: prefix is required when claim is set. It can be '
    'set to an empty string to disable prefixing"'
)
RELOADED = 'I1128 10:12:40.502113       1 authentication.go:827] "reloaded authentication config"'
NO_JWKS_URI = "E1128 10:24:51.300911       1 oidc.go:449] provider did not return JWKS URL"
NOT_INITIALIZED = (
    'E1128 10:24:58.123456       1 authentication.go:73] "Unable to authenticate the request" '
    'err="[invalid bearer token, oidc: authenticator not initialized]"'
)
ZAP_BARE = (
    "2026-11-28 10:24:58     ERROR   filters/authentication.go:75    Unable to authenticate the request      "
    '{"component": "vcluster", "error": "invalid bearer token", "errorCauses": [{"error": "invalid bearer token"}]}'
)


@pytest.mark.parametrize(
    ("line", "status", "step"),
    [
        (VALIDATE, "failure", "validate"),
        (RELOADED, "success", None),
        (
            '{"ts":1795861200.5,"caller":"options/authentication.go:797","msg":"failed to load authentication config",'
            '"err":"yaml: line 4: found character that cannot start any token"}',
            "failure",
            "load",
        ),
        (
            'E1128 10:20:02.118842       1 authentication.go:788] "failed to read authentication config file" '
            'err="open /etc/kubernetes/auth-config.yaml: no such file or directory"',
            "failure",
            "read",
        ),
        (
            'E1128 10:20:02.118842       1 authentication.go:819] "failed to update authentication config" '
            'err="context deadline exceeded"',
            "failure",
            "update",
        ),
    ],
)
def test_reload_lines_are_classified_with_their_step_and_reason(line: str, status: str, step: str | None) -> None:
    v = classify_line(line.encode())
    assert v is not None and v.kind == RELOAD
    assert v.detail["reload"] == status
    assert v.detail.get("step") == step
    assert v.code == ("auth-config-reload-failed" if status == "failure" else None)
    if step == "validate":  # the reason is kept, and a validation message inside is no config-invalid line
        assert v.detail["error"].startswith("jwt[0].claimMappings.username.prefix: Required value")


def test_init_and_distributed_claims_lines_are_start_up_causes() -> None:
    jwks = classify_line(NO_JWKS_URI.encode())
    assert jwks is not None and (jwks.kind, jwks.code) == (STARTUP, "issuer-unreachable")
    assert jwks.detail["jwks_uri"] == "missing"
    getting = classify_line(
        b"E1128 10:24:51.300911       1 oidc.go:444] oidc authenticator: error getting JWKS URL: json: cannot "
        b"unmarshal number into Go struct field .jwks_uri of type string"
    )
    assert getting is not None and getting.code == "issuer-unreachable"
    asynch = classify_line(
        b'E1128 10:24:51.300911       1 oidc.go:168] oidc authenticator: async token verifier for issuer: "https://sts'
        b'.windows.net/t1/": Get "https://sts.windows.net/t1/.well-known/openid-configuration": dial tcp: lookup '
        b"sts.windows.net: no such host"
    )
    assert asynch is not None and (asynch.kind, asynch.code) == (STARTUP, "groups-distributed-claims")
    assert asynch.detail["issuer"] == "https://sts.windows.net/t1/"
    assert asynch.detail["error"].startswith('Get "https://sts.windows.net/t1/')


def test_zap_error_causes_rebuild_the_aggregate_or_mark_the_reason_dropped() -> None:
    bare = classify_line(ZAP_BARE.encode())
    assert bare is not None and bare.code == "issuer-mismatch" and bare.detail == {"bare": "true", "logger": "zap"}
    fuller = ZAP_BARE.replace(
        '"errorCauses": [{"error": "invalid bearer token"}]',
        '"errorCauses": [{"error": "invalid bearer token"}, {"error": "oidc: verify token: oidc: token is expired '
        '(Token Expiry: 2026-11-28 10:20:00 +0000 UTC)"}]',
    )
    v = classify_line(fuller.encode())
    assert v is not None and v.code == "token-expired"
    assert v.error.startswith("[invalid bearer token, oidc: verify token:")


def _log(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_a_reload_that_failed_last_in_the_log_is_named_first_with_its_reason(tmp_path: Path) -> None:
    report = diagnose(tmp_path, base(**{"error.txt": UNAUTHORIZED, "kube-apiserver.log": _log(RELOADED, VALIDATE)}))
    assert causes(report)[0] == "auth-config-reload-failed"
    first = report["findings"][0]
    assert "failed to validate" in first["title"] and "prefix is required when claim is set" in first["title"]
    assert "since 2026-11-28T10:12:40Z" in first["title"] and "will not retry" in first["title"]
    assert first["evidence"][0]["ref"].endswith("kube-apiserver.log:2")


def test_a_reload_that_succeeded_after_a_failure_is_no_finding(tmp_path: Path) -> None:
    later = RELOADED.replace("I1128 10:12:40", "I1128 10:22:40")
    report = diagnose(tmp_path, base(**{"kube-apiserver.log": _log(VALIDATE, later)}))
    assert "auth-config-reload-failed" not in causes(report)
    found = check(report, "controlplane.reload")
    assert found["status"] == "pass" and "reloaded at 2026-11-28T10:22:40Z" in found["reason"]


def test_no_jwks_uri_explains_the_not_initialized_requests(tmp_path: Path) -> None:
    report = diagnose(tmp_path, base(**{"kube-apiserver.log": _log(NO_JWKS_URI, NOT_INITIALIZED)}))
    first = report["findings"][0]
    assert first["cause"] == "issuer-unreachable"
    assert (
        "no usable `jwks_uri`" in first["title"] and "1 request got `authenticator not initialized`" in first["title"]
    )


def test_a_logger_that_drops_the_reason_without_a_token_is_reason_not_logged(tmp_path: Path) -> None:
    files = base(**{"kube-apiserver.log": _log(ZAP_BARE), "id_token.txt": None})
    report = diagnose(tmp_path, files)
    assert causes(report)[0] == "reason-not-logged"
    assert "issuer-mismatch" not in causes(report)  # no guess from a line that cannot tell


def test_a_dropped_reason_leads_with_the_prediction(tmp_path: Path) -> None:
    expired = sign_token(exp=NOW_S - 600, iat=NOW_S - 900)
    report = diagnose(tmp_path, base(**{"kube-apiserver.log": _log(ZAP_BARE), "id_token.txt": expired}))
    assert causes(report)[0] == "token-expired"
    dropped = next(f for f in report["findings"] if f["cause"] == "reason-not-logged")
    assert "errorCauses" in dropped["title"] and "token-expired" in dropped["title"]


def _jwks(kid: str) -> str:
    return json.dumps({"keys": [{"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": "x" * 342, "e": "AQAB"}]})


def test_keys_held_from_before_a_rotation_are_stale_signing_keys(tmp_path: Path) -> None:
    old, new = _jwks("k0"), _jwks("k1")  # the token's kid is k1
    labels = {"apiserver_id_hash": CP1, "jwt_issuer_hash": label_hash(ISSUER)}
    series = [
        (JWKS_TS, {**labels, "result": "success"}, NOW_S - 3000),
        (JWKS_INFO, {**labels, "hash": label_hash(old)}, 1),
    ]
    files = {"jwks-before.json": old, "jwks.json": new, "metrics.txt": exposition(series), "error.txt": UNAUTHORIZED}
    report = diagnose(tmp_path, base(**files))
    first = report["findings"][0]
    assert first["cause"] == "stale-signing-keys"
    assert "jwks-before.json" in first["title"] and "'k1'" in first["title"]
    assert any(label_hash(old) in e["text"] for e in first["evidence"])


def test_a_held_set_matching_no_file_is_unknown_not_stale(tmp_path: Path) -> None:
    labels = {"apiserver_id_hash": CP1, "jwt_issuer_hash": label_hash(ISSUER)}
    series = [
        (JWKS_TS, {**labels, "result": "success"}, NOW_S - 60),
        (JWKS_INFO, {**labels, "hash": label_hash(_jwks("k1") + "\n")}, 1),  # a byte more than the file
    ]
    report = diagnose(tmp_path, base(**{"jwks.json": _jwks("k1"), "metrics.txt": exposition(series)}))
    assert "stale-signing-keys" not in causes(report)
    assert "whose bytes differ" in check(report, "controlplane.jwks")["reason"]


def test_401s_that_no_authenticator_counted_reach_no_authenticator(tmp_path: Path) -> None:
    series = [
        (
            "apiserver_authentication_config_controller_last_config_info",
            {"apiserver_id_hash": CP1, "hash": label_hash(AUTH_CONFIG)},
            1,
        ),
        ("authentication_attempts", {"result": "failure"}, 214),
    ]
    bare = (
        'E1128 10:24:58.123456       1 authentication.go:73] "Unable to authenticate the request" '
        'err="invalid bearer token"'
    )
    files = {"id_token.txt": None, "metrics.txt": exposition(series), "kube-apiserver.log": _log(bare, bare)}
    report = diagnose(tmp_path, base(**files))
    found = next(f for f in report["findings"] if f["cause"] == "tokens-reach-no-authenticator")
    assert ISSUER in found["title"] and any(e["source"] == "metrics" for e in found["evidence"])
    assert check(report, "controlplane.authenticators")["status"] == "fail"


def test_counts_for_some_issuer_without_a_token_are_unknown(tmp_path: Path) -> None:
    series = [
        (
            "apiserver_authentication_jwt_authenticator_latency_seconds",
            {"jwt_issuer_hash": label_hash(ISSUER), "result": "success"},
            9,
        ),
    ]
    report = diagnose(
        tmp_path, base(**{"id_token.txt": None, "metrics.txt": exposition(series), "error.txt": UNAUTHORIZED})
    )
    assert "tokens-reach-no-authenticator" not in causes(report)
    assert check(report, "controlplane.authenticators")["status"] == "unknown"


def test_stale_keys_on_facts_built_directly() -> None:
    from oidc_doctor.checks.base import Context
    from oidc_doctor.checks.controlplane import ControlPlaneFacts, check_jwks
    from oidc_doctor.controlplane import metrics
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.facts import Facts

    held = "sha256:" + "ab" * 32
    labels = {"apiserver_id_hash": CP1, "jwt_issuer_hash": label_hash(ISSUER)}
    summary = metrics.summarise(
        [
            metrics.Sample(JWKS_TS, {**labels, "result": "success"}, float(NOW_S - 60)),
            metrics.Sample(JWKS_INFO, {**labels, "hash": held}, 1.0, line=7),
        ]
    )
    cp = ControlPlaneFacts(
        metrics=summary,
        metrics_refs=("m.txt",),
        jwks_files=(("old.json", held, ("k0",)), ("new.json", "sha256:" + "cd" * 32, ("k0", "k1"))),
    )
    now = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
    facts = Facts(controlplane=cp, token_header={"alg": "RS256", "kid": "k1"}, token_claims={"iss": ISSUER})
    result = check_jwks(Evidence(), Context(now=now, facts=facts))
    assert [f.cause for f in result.findings] == ["stale-signing-keys"]
    assert result.findings[0].evidence[0].ref == "m.txt:7"
    # The token's kid in the held set itself: nothing stale.
    held_new = ControlPlaneFacts(metrics=summary, metrics_refs=("m.txt",), jwks_files=(("new.json", held, ("k1",)),))
    facts2 = Facts(controlplane=held_new, token_header={"kid": "k1"}, token_claims={"iss": ISSUER})
    assert check_jwks(Evidence(), Context(now=now, facts=facts2)).findings == []


MANIFEST_WITH_TAB = """apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=10.0.0.10
    - --oidc-issuer-url=https://keycloak.example.com/realms/k8s
\t- --oidc-client-id=kubernetes
    image: registry.k8s.io/kube-apiserver:v1.34.1
    name: kube-apiserver
"""


def test_a_manifest_with_a_tab_is_recognised_by_content_and_named_first(tmp_path: Path) -> None:
    from cp_shapes import apiserver_pod

    files = {
        "manifest.yaml": MANIFEST_WITH_TAB,  # the name says nothing: the content does
        "running.yaml": apiserver_pod("cp1"),
        "auth-config.yaml": None,
        "kube-apiserver-cp1.yaml": None,
        "error.txt": UNAUTHORIZED,
    }
    report = diagnose(tmp_path, base(**files))
    assert causes(report)[0] == "apiserver-manifest-not-applied"
    first = report["findings"][0]
    assert "line 12" in first["title"] and "--oidc-client-id=kubernetes" in first["title"]
    assert "running.yaml" in first["title"]
    assert "oidc-not-configured" in causes(report)  # what the running Pod lacks, explained by the file
    kinds = {r["ref"].split("/")[-1]: r["kind"] for r in report["inputs"]}
    assert kinds["manifest.yaml"] == "apiserver-manifest-broken"


def test_broken_yaml_that_is_no_apiserver_manifest_stays_broken(tmp_path: Path) -> None:
    other = MANIFEST_WITH_TAB.replace("- kube-apiserver\n", "- etcd\n")
    report = diagnose(tmp_path, base(**{"etcd.yaml": other}))
    assert "apiserver-manifest-not-applied" not in causes(report)
    assert any(r["kind"] == "broken" and r["ref"].endswith("etcd.yaml") for r in report["inputs"])


def test_the_kubelet_line_for_an_unparsable_apiserver_manifest_is_classified() -> None:
    line = (
        b'E0418 12:54:45.660923    1533 file.go:187] "Could not process manifest file" err="/etc/kubernetes/manifests/'
        b"kube-apiserver.yaml: couldn't parse as pod(yaml: line 4: could not find expected ':'), please check config "
        b'file" path="/etc/kubernetes/manifests/kube-apiserver.yaml"'
    )
    v = classify_line(line)
    assert v is not None and (v.kind, v.code) == (STARTUP, "apiserver-manifest-not-applied")


def pinniped(conditions: list[dict[str, object]], generation: int = 3) -> dict[str, object]:
    """A Concierge JWTAuthenticator as `kubectl get jwtauthenticator -o yaml` shows it; conditions as the
    jwtcachefiller controller writes them (pinniped internal/controller/authenticator/jwtcachefiller)."""
    return {
        "apiVersion": "authentication.concierge.pinniped.dev/v1alpha1",
        "kind": "JWTAuthenticator",
        "metadata": {"name": "keycloak", "generation": generation},
        "spec": {"issuer": ISSUER, "audience": "kubernetes", "claims": {"username": "email", "groups": "groups"}},
        "status": {
            "phase": "Error" if any(c["status"] == "False" for c in conditions) else "Ready",
            "conditions": [
                {"lastTransitionTime": "2026-11-28T10:20:00Z", "observedGeneration": 3, **c} for c in conditions
            ],
        },
    }


def test_a_pinniped_authenticator_that_is_not_ready_names_why_from_its_own_condition(tmp_path: Path) -> None:
    tls = (
        f'could not perform oidc discovery on provider issuer: Get "{ISSUER}/.well-known/openid-configuration": '
        "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    )
    conditions: list[dict[str, object]] = [
        {"type": "TLSConfigurationValid", "status": "True", "reason": "Success", "message": "spec.tls is valid"},
        {"type": "IssuerURLValid", "status": "True", "reason": "Success", "message": "issuer is a valid URL"},
        {"type": "DiscoveryURLValid", "status": "False", "reason": "InvalidDiscoveryProbe", "message": tls},
        {"type": "JWKSURLValid", "status": "Unknown", "reason": "UnableToValidate", "message": "unable to validate"},
        {
            "type": "Ready",
            "status": "False",
            "reason": "NotReady",
            "message": "the JWTAuthenticator is not ready: see other conditions for details",
        },
    ]
    files = {
        "jwtauthenticator.yaml": pinniped(conditions),
        "kube-apiserver-cp1.yaml": None,
        "auth-config.yaml": None,
        "error.txt": UNAUTHORIZED,
    }
    report = diagnose(tmp_path, base(**files))
    first = report["findings"][0]
    assert first["cause"] == "issuer-ca-untrusted" and first["origin"] == "observed"
    assert "DiscoveryURLValid is False (InvalidDiscoveryProbe)" in first["title"]
    assert check(report, "controlplane.pinniped")["status"] == "fail"


def test_a_ready_pinniped_authenticator_passes_and_a_stale_status_is_said(tmp_path: Path) -> None:
    ready: list[dict[str, object]] = [
        {"type": "Ready", "status": "True", "reason": "Success", "message": "the JWTAuthenticator is ready"}
    ]
    files = {"jwtauthenticator.yaml": pinniped(ready, generation=4), "kube-apiserver-cp1.yaml": None}
    report = diagnose(tmp_path, base(**files))
    found = check(report, "controlplane.pinniped")
    assert found["status"] == "pass" and "older generation" in found["reason"]


def test_a_collected_jwks_compares_by_the_hash_of_the_body_as_served(tmp_path: Path) -> None:
    from oidc_doctor.controlplane.hashes import JWKS_BODY_HASH

    served_before = b'{"keys":[{"kid":"k0","kty":"RSA","n":"xx","e":"AQAB"}]}'
    collected_before = {"kind": "List", "apiVersion": "v1", "items": [json.loads(served_before)]}
    collected_before["items"][0][JWKS_BODY_HASH] = label_hash(served_before)
    labels = {"apiserver_id_hash": CP1, "jwt_issuer_hash": label_hash(ISSUER)}
    series = [
        (JWKS_TS, {**labels, "result": "success"}, NOW_S - 600),
        (JWKS_INFO, {**labels, "hash": label_hash(served_before)}, 1),
    ]
    files = {
        "issuer-jwks-before.json": json.dumps(collected_before, indent=4),  # re-serialised, as collect writes
        "jwks.json": _jwks("k1"),
        "metrics.txt": exposition(series),
        "error.txt": UNAUTHORIZED,
    }
    report = diagnose(tmp_path, base(**files))
    assert causes(report)[0] == "stale-signing-keys"


def test_the_logs_command_says_which_reload_came_last(tmp_path: Path) -> None:
    import io

    from oidc_doctor.cli import main
    from oidc_doctor.io import IO

    log = tmp_path / "kube-apiserver.log"
    log.write_text(_log(RELOADED, VALIDATE))
    out, err = io.StringIO(), io.StringIO()
    status = main(["logs", str(log)], IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    assert status == 1, err.getvalue()
    assert "auth-config-reload-failed: the API server failed to validate" in out.getvalue()
    log.write_text(_log(VALIDATE, RELOADED.replace("10:12:40", "10:22:40")))
    out = io.StringIO()
    status = main(["logs", str(log), "-o", "json"], IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    assert status == 0
    reloads = json.loads(out.getvalue())["reloads"][str(log)]
    assert reloads["success"]["time"] == "2026-11-28T10:22:40Z" and reloads["failure"]["ref"].endswith(":1")


def test_each_api_server_log_has_its_own_last_reload(tmp_path: Path) -> None:
    later_ok = RELOADED.replace("10:12:40", "10:22:40")  # cp1 reloaded after cp2 failed: cp2 still runs the old file
    files = {
        "kube-apiserver-cp1.log": _log(later_ok),
        "kube-apiserver-cp2.log": _log(VALIDATE),
        "error.txt": UNAUTHORIZED,
    }
    report = diagnose(tmp_path, base(**files))
    first = report["findings"][0]
    assert first["cause"] == "auth-config-reload-failed"
    assert first["evidence"][0]["ref"].endswith("kube-apiserver-cp2.log:1")
    assert "reloaded at 2026-11-28T10:22:40Z" in check(report, "controlplane.reload")["reason"]


def test_client_gos_oidc_auth_provider_metadata_failure_is_an_unreachable_issuer() -> None:
    line = (
        b'E1128 10:24:58.000000   4242 oidc.go:263] oidc: failed to query metadata endpoint 404 Not Found: "<html>'
        b'<head><title>404 Not Found</title></head>"'
    )
    v = classify_line(line)
    assert v is not None and (v.kind, v.code) == ("client", "issuer-unreachable")  # never explains the API server's
    assert v.detail["client"] == "kubectl auth-provider oidc"


def test_a_token_whose_issuer_no_authenticator_counted_without_settings_reaches_none(tmp_path: Path) -> None:
    other = label_hash("https://dex.example.com")
    series = [
        (
            "apiserver_authentication_jwt_authenticator_latency_seconds",
            {"jwt_issuer_hash": other, "result": "success"},
            40,
        ),
        ("authentication_attempts", {"result": "failure"}, 25),
    ]
    files = {"kube-apiserver-cp1.yaml": None, "auth-config.yaml": None}
    report = diagnose(tmp_path, base(**files, **{"metrics.txt": exposition(series), "error.txt": UNAUTHORIZED}))
    assert causes(report)[0] == "tokens-reach-no-authenticator"
    assert label_hash(ISSUER) in report["findings"][0]["title"] or any(
        label_hash(ISSUER) in e["text"] for e in report["findings"][0]["evidence"]
    )


def test_audited_401s_that_no_authenticator_counted_reach_no_authenticator(tmp_path: Path) -> None:
    from cp_shapes import failed_login, json_lines

    events = [failed_login(f"a{i}", f"2026-11-28T10:2{i}:0{i}Z") for i in range(1, 5)]
    series = [
        (
            "apiserver_authentication_config_controller_last_config_info",
            {"apiserver_id_hash": CP1, "hash": label_hash(AUTH_CONFIG)},
            1,
        ),
        ("authentication_attempts", {"result": "failure"}, 4),
    ]
    files = {"id_token.txt": None, "audit.log": json_lines(events), "metrics.txt": exposition(series)}
    report = diagnose(tmp_path, base(**files))
    found = next(f for f in report["findings"] if f["cause"] == "tokens-reach-no-authenticator")
    assert found["title"].startswith("requests were rejected (401; 1 observation(s)")
    audit = next(e for e in found["evidence"] if e["ref"].endswith("audit.log:4"))
    assert audit["text"].startswith("4 x 401 `Authentication failed, attempted: bearer`")


def test_bare_lines_without_settings_or_token_read_by_the_metrics_reach_no_authenticator(tmp_path: Path) -> None:
    series = [
        (
            "apiserver_authentication_config_controller_last_config_info",
            {"apiserver_id_hash": CP1, "hash": label_hash(AUTH_CONFIG)},
            1,
        ),
    ]
    bare = (
        'E1128 10:24:58.123456       1 authentication.go:73] "Unable to authenticate the request" '
        'err="invalid bearer token"'
    )
    files = {
        "id_token.txt": None,
        "kube-apiserver-cp1.yaml": None,
        "auth-config.yaml": None,
        "metrics.txt": exposition(series),
        "kube-apiserver.log": _log(bare),
    }
    report = diagnose(tmp_path, base(**files))
    assert causes(report)[0] == "tokens-reach-no-authenticator", causes(report)
    assert "issuer-mismatch" not in causes(report)  # no guess before what the counts prove
