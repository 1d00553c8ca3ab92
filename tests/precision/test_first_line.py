"""The first line names the real cause: regression bundles for the classes of issue 10.

Each case starts from a bundled example (``examples/``) and adds the evidence a user pastes in the
field, with the log lines in the form kube-apiserver prints them.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

from oidc_doctor.cli import main
from oidc_doctor.io import IO

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = "2026-11-28T10:25:12Z"


def _bundle(tmp_path: Path, example: str, **files: str) -> Path:
    dest = tmp_path / example
    shutil.copytree(EXAMPLES / example, dest)
    for name, text in files.items():
        (dest / name).write_text(text)
    return dest


def _diagnose(bundle: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(bundle), "--now", NOW, "--format", "json", *extra],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    assert status in (0, 1), err.getvalue()
    return status, json.loads(out.getvalue())


def _with_claims(token_file: Path, **claims: Any) -> str:
    """The token with claims changed (its signature no longer matches: judge it without keys)."""
    import base64

    head, body, sig = token_file.read_text().strip().split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(claims)
    raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{head}.{raw}.{sig}\n"


def _causes(report: dict[str, Any]) -> list[str]:
    return [f["cause"] for f in report["findings"]]


# kube-apiserver >= 1.21 klog text; 1.34 (kubernetes issue 136887) and some loggers keep only the
# bearer union's own "invalid bearer token", dropping the OIDC authenticator's reason.
BARE = (
    'E1128 10:25:01.000000       1 authentication.go:73] "Unable to authenticate the request" '
    'err="invalid bearer token"\n'
)


def test_a_bare_line_with_the_issuer_configured_lets_the_prediction_lead(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "email-not-verified", **{"kube-apiserver.log": BARE})
    _, report = _diagnose(bundle)
    causes = _causes(report)
    assert causes[0] == "email-not-verified", causes
    assert "issuer-mismatch" not in causes
    first = report["findings"][0]
    assert "reason was not logged" in first["title"]
    assert {e["source"] for e in first["evidence"]} >= {"log", "prediction"}
    assert causes.count("email-not-verified") == 1


def test_a_bare_line_without_any_authenticator_is_oidc_not_configured(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "oidc-not-configured", **{"kube-apiserver.log": BARE})
    _, report = _diagnose(bundle)
    causes = _causes(report)
    assert causes[0] == "oidc-not-configured", causes
    assert "issuer-mismatch" not in causes


def test_an_access_token_comes_before_the_audience_line_it_causes(tmp_path: Path) -> None:
    line = (
        'E1128 10:25:01.000000       1 authentication.go:73] "Unable to authenticate the request" '
        'err="[invalid bearer token, oidc: verify token: oidc: expected audience \\"kubernetes\\" '
        'got [\\"account\\"]]"\n'
    )
    bundle = _bundle(tmp_path, "wrong-token-type-access-token", **{"kube-apiserver.log": line})
    _, report = _diagnose(bundle)
    causes = _causes(report)
    assert causes[0] == "wrong-token-type", causes
    assert "audience-mismatch" in causes


def test_a_401_beside_settings_that_accept_the_token_names_the_endpoint(tmp_path: Path) -> None:
    _, report = _diagnose(EXAMPLES / "apiserver-endpoint-mismatch")
    causes = _causes(report)
    assert causes[0] == "apiserver-endpoint-mismatch", causes
    assert "token-accepted" not in causes


KUBEADM_ADMINS = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kubeadm:cluster-admins
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: kubeadm:cluster-admins
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-view
  namespace: dev
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: oidc:alice@example.com
"""


def test_kubeadm_default_admin_group_is_no_false_groups_alarm(tmp_path: Path) -> None:
    # kubeadm >= 1.29 binds the client-certificate group kubeadm:cluster-admins by default; with no
    # groups claim configured and alice bound by name, everything works.
    bundle = _bundle(tmp_path, "healthy", **{"kubeadm-rbac.yaml": KUBEADM_ADMINS})
    pod = (bundle / "kube-apiserver.yaml").read_text()
    pod = pod.replace("    - --oidc-groups-claim=groups\n", "").replace("    - '--oidc-groups-prefix=oidc:'\n", "")
    (bundle / "kube-apiserver.yaml").write_text(pod)
    status, report = _diagnose(bundle)
    assert status == 0, _causes(report)
    assert {f["severity"] for f in report["findings"]} == {"info"}, _causes(report)


def test_a_bundle_with_nothing_usable_is_not_called_healthy(tmp_path: Path) -> None:
    bundle = tmp_path / "stray"
    bundle.mkdir()
    (bundle / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-settings\ndata:\n  LOG_LEVEL: debug\n"
    )
    (bundle / "note.txt").write_text("hi, the login does not work, please help\n")
    out, err = io.StringIO(), io.StringIO()
    status = main(["diagnose", "--bundle", str(bundle)], IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    assert status == 2
    assert out.getvalue() == ""
    (line,) = err.getvalue().splitlines()
    assert "nothing to judge" in line and "cm.yaml" in line and "the token" in line


def test_blind_areas_are_named_as_not_judged(tmp_path: Path) -> None:
    bundle = tmp_path / "token-only"
    bundle.mkdir()
    shutil.copy(EXAMPLES / "healthy" / "id_token.txt", bundle / "id_token.txt")
    _, report = _diagnose(bundle)
    assert {n["area"] for n in report["not_judged"]} == {"authn", "rbac", "proxy"}


def test_every_id_token_of_a_bundle_gets_its_own_verdict(tmp_path: Path) -> None:
    # alice's id_token is fine; a second id_token, issued to the dashboard's own client, is not.
    second = (EXAMPLES / "kubeapps-audience-mismatch" / "id_token.txt").read_text()
    bundle = _bundle(tmp_path, "healthy", **{"id_token-dashboard.txt": second})
    status, report = _diagnose(bundle)
    assert status == 1
    (f,) = [f for f in report["findings"] if f["cause"] == "audience-mismatch"]
    assert f["title"].startswith(f"{bundle.name}/id_token-dashboard.txt: "), f["title"]
    assert status == 1 and "token-accepted" not in [g["cause"] for g in report["findings"] if g["severity"] == "error"]


def _quoted_flag(tmp_path: Path, flag: str) -> dict[str, Any]:
    bundle = _bundle(tmp_path, "healthy")
    if flag == "oidc-username-prefix":  # alice bound by name, not through her group
        rbac = (bundle / "rbac.yaml").read_text()
        (bundle / "rbac.yaml").write_text(
            rbac.replace("  kind: Group\n  name: oidc:dev", "  kind: User\n  name: oidc:alice@example.com")
        )
    pod = (bundle / "kube-apiserver.yaml").read_text()
    # A plain YAML list item keeps the quotes: kube-apiserver receives --oidc-...-prefix="oidc:".
    quoted = pod.replace(f"    - '--{flag}=oidc:'\n", f'    - --{flag}="oidc:"\n')
    assert quoted != pod
    (bundle / "kube-apiserver.yaml").write_text(quoted)
    return _diagnose(bundle)[1]


def test_a_quoted_groups_prefix_names_the_flag_not_a_quoted_binding(tmp_path: Path) -> None:
    report = _quoted_flag(tmp_path, "oidc-groups-prefix")
    first = report["findings"][0]
    assert first["cause"] == "group-name-mismatch", _causes(report)
    assert "quotes included" in first["title"]
    assert "Remove the quotes" in first["fix"] and "--oidc-groups-prefix=oidc:" in first["fix"]
    assert "kubectl" not in first["fix"]  # no binding for the quoted name


def test_a_quoted_username_prefix_names_the_flag(tmp_path: Path) -> None:
    report = _quoted_flag(tmp_path, "oidc-username-prefix")
    assert report["identity"]["username"] == '"oidc:"alice@example.com'
    first = report["findings"][0]
    assert first["cause"] == "username-prefix-mismatch", _causes(report)
    assert "Remove the quotes" in first["fix"] and "kubectl" not in first["fix"]


def test_a_nested_groups_claim_is_named_nested_with_a_cel_fix(tmp_path: Path) -> None:
    from oidc_doctor.authn.nested import nested_claim

    claims = {"realm_access": {"roles": ["dev", "offline_access"]}, "groups": None}
    assert nested_claim(claims, "realm_access.roles") == ["dev", "offline_access"]
    assert nested_claim(claims, "realm_access.missing") is None
    assert nested_claim({"realm_access.roles": ["x"]}, "realm_access.roles") is None  # a real top-level name
    bundle = _bundle(tmp_path, "healthy")
    pod = (bundle / "kube-apiserver.yaml").read_text()
    (bundle / "kube-apiserver.yaml").write_text(
        pod.replace("--oidc-groups-claim=groups", "--oidc-groups-claim=realm_access.roles")
    )
    # Keycloak's realm roles; the claims are changed, so the keys go (the signature is not judged).
    (bundle / "id_token.txt").write_text(_with_claims(bundle / "id_token.txt", realm_access={"roles": ["dev"]}))
    (bundle / "jwks.json").unlink()
    _, report = _diagnose(
        bundle,
        "--error",
        "Error from server (Forbidden): pods is forbidden: User "
        '"oidc:alice@example.com" cannot list resource "pods" in API group "" in the namespace "dev"',
    )
    first = report["findings"][0]
    assert first["cause"] == "groups-claim-missing", _causes(report)
    assert "path into nested claims" in first["title"]


def test_a_certificate_for_another_host_is_not_called_an_untrusted_ca(tmp_path: Path) -> None:
    log = (EXAMPLES / "issuer-ca-untrusted" / "kube-apiserver.log").read_text()
    log = log.replace(
        "x509: certificate signed by unknown authority",
        "x509: certificate is valid for ingress.local, not keycloak.example.com",
    )
    bundle = _bundle(tmp_path, "issuer-ca-untrusted", **{"kube-apiserver.log": log})
    _, report = _diagnose(bundle)
    first = report["findings"][0]
    assert first["cause"] == "issuer-ca-untrusted", _causes(report)
    assert "not issued for the issuer's host name" in first["title"]
    assert "subject alternative names" in first["fix"] and "--oidc-ca-file" not in first["fix"]


#: Examples whose cause needs the moment of the failure, which no file of theirs records: judged at
#: the token's issue time, a 401 there reads as an expiry (said so, with the alternative).
NEED_THE_MOMENT = {"apiserver-endpoint-mismatch", "token-not-yet-valid"}


def test_every_example_names_its_cause_first_without_now_whatever_the_clock() -> None:
    # An old bundle judged today: the bundle's own time is used (newest log line, collection time,
    # else the newest token's iat), never the wall clock, so the date the suite runs changes nothing.
    expected: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "expected.json").read_text())
    wrong = {}
    for name, expect in expected.items():
        out, err = io.StringIO(), io.StringIO()
        main(
            ["diagnose", "--bundle", str(EXAMPLES / name), "--format", "json"],
            IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
        )
        causes = [f["cause"] for f in json.loads(out.getvalue())["findings"]]
        if name not in NEED_THE_MOMENT and (not causes or causes[0] != expect["first"]):
            wrong[name] = causes[:3]
    assert not wrong, wrong


# --- the control plane's own lines (issue 13) -----------------------------------------------------
# zap's console encoder (vcluster): the aggregate's reason is lost, `errorCauses` repeats the top text.
ZAP_BARE = (
    "2026-11-28 10:25:01     ERROR   filters/authentication.go:75    Unable to authenticate the request      "
    '{"component": "vcluster", "error": "invalid bearer token", "errorCauses": [{"error": "invalid bearer token"}]}\n'
)


def test_a_logger_that_drops_the_reason_lets_the_prediction_lead_and_says_so(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "email-not-verified", **{"vcluster.log": ZAP_BARE})
    _, report = _diagnose(bundle)
    causes = _causes(report)
    assert causes[0] == "email-not-verified", causes
    assert "reason-not-logged" in causes and "issuer-mismatch" not in causes


def test_a_failed_reload_line_names_the_reload_first(tmp_path: Path) -> None:
    line = (
        'E1128 10:05:12.410233       1 authentication.go:812] "failed to validate authentication config" '
        'err="jwt[0].issuer.url: Invalid value: \\"http://keycloak.example.com/realms/k8s\\": URL scheme must be '
        'https"\n'
    )
    bundle = _bundle(tmp_path, "auth-config-reload-failed", **{"kube-apiserver.log": line})
    _, report = _diagnose(bundle)
    causes = _causes(report)
    assert causes[0] == "auth-config-reload-failed", causes
    assert "URL scheme must be https" in report["findings"][0]["title"] or any(
        "URL scheme must be https" in e["text"] for e in report["findings"][0]["evidence"]
    )


def test_discovery_without_a_jwks_uri_explains_not_initialized(tmp_path: Path) -> None:
    log = (
        "E1128 10:02:11.000000       1 oidc.go:449] provider did not return JWKS URL\n"
        'E1128 10:25:01.000000       1 authentication.go:73] "Unable to authenticate the request" '
        'err="[invalid bearer token, oidc: authenticator not initialized]"\n'
    )
    bundle = _bundle(tmp_path, "healthy", **{"kube-apiserver.log": log})
    _, report = _diagnose(bundle)
    causes = _causes(report)
    assert causes[0] == "issuer-unreachable", causes
    assert "jwks_uri" in report["findings"][0]["title"]
def _export_variants() -> dict[str, str]:
    """The kubeapps-audience-mismatch API server log as each cloud's CLI exports it (tests/fixturekit/cloud.py):
    each line at its own klog time, given to the export as the export's timestamp."""
    import sys

    tests = str(Path(__file__).resolve().parents[1])
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from datetime import UTC, datetime

    from fixturekit import cloud
    from fixturekit.clock import NOW_DT

    lines = (EXAMPLES / "kubeapps-audience-mismatch" / "kube-apiserver.log").read_text().splitlines()
    timed = []
    for line in lines:
        t = datetime.strptime("2026" + line[1:21], "%Y%m%d %H:%M:%S.%f").replace(tzinfo=UTC)
        timed.append(((t - NOW_DT).total_seconds(), line))
    return {
        "eks": cloud.cloudwatch_export([(cloud.EKS_STREAM, d, m) for d, m in timed]),
        "gke": cloud.gcloud_export([("apiserver", d, m) for d, m in timed]),
        "aks": cloud.aks_resource_logs([("kube-apiserver", d, m) for d, m in timed]),
        "aks-log-analytics": cloud.aks_log_analytics([("kube-apiserver", d, m) for d, m in timed]),
    }


def test_an_api_server_log_exported_by_a_cloud_leads_as_the_log_does(tmp_path: Path) -> None:
    for name, text in _export_variants().items():
        bundle = _bundle(tmp_path / name, "kubeapps-audience-mismatch", **{"kube-apiserver.log": text})
        out, err = io.StringIO(), io.StringIO()
        main(
            ["diagnose", "--bundle", str(bundle), "--format", "json"],
            IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
        )
        report = json.loads(out.getvalue())
        assert report["now_source"] == "log" and report["now"] == "2026-11-28T10:25:03Z", name
        first = report["findings"][0]
        assert first["cause"] == "audience-mismatch", (name, _causes(report))
        logs = [e for e in first["evidence"] if e["source"] == "log"]
        assert logs and logs[0]["ref"].startswith("kubeapps-audience-mismatch/kube-apiserver.log "), (name, logs)
