"""The authn deriver and checks inside diagnose: facts for other areas, findings, blind spots."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from authn_support import public_jwk, sign

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import FailureSource, Origin, Status
from oidc_doctor.pipeline import Report, run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
ISS = "https://idp.example.com/realms/k8s"
T = int(NOW.timestamp())


def diagnose(ev: Evidence) -> Report:
    return run(ev, Context(now=NOW, now_source="flag"))


def check(report: Report, check_id: str) -> Any:
    return next(c.result for c in report.checks if c.id == check_id)


def pod(*flags: str) -> Item:
    data = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
        "spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", *flags]}]},
    }
    return Item(Kind.APISERVER_POD, "bundle/kube-apiserver.yaml Pod kube-system/kube-apiserver-cp1", data)


def token_item(**claims: Any) -> Item:
    c: dict[str, Any] = {"iss": ISS, "aud": "kubernetes", "sub": "u1", "email": "alice@example.com", "exp": T + 300}
    c.update(claims)
    return Item(Kind.TOKEN, "bundle/id_token.txt", sign(json.dumps(c), "rsa_1", "RS256"))


def jwks_item() -> Item:
    return Item(Kind.JWKS, "bundle/jwks.json", {"keys": [public_jwk("rsa_1", "RS256")]})


OIDC = (
    f"--oidc-issuer-url={ISS}",
    "--oidc-client-id=kubernetes",
    "--oidc-username-claim=email",
    "--oidc-username-prefix=oidc:",
    "--oidc-groups-claim=groups",
    "--oidc-groups-prefix=oidc:",
)


@pytest.mark.parametrize(
    ("example", "cause"),
    [
        ("claim-mapping-error-cel", "claim-mapping-error"),
        ("email-not-verified", "email-not-verified"),
        ("groups-claim-invalid", "groups-claim-invalid"),
        ("groups-claim-missing", "groups-claim-missing"),
        ("groups-distributed-claims", "groups-distributed-claims"),
        ("healthy", "token-accepted"),
        ("issuer-mismatch-trailing-slash", "issuer-mismatch"),
        ("kubeapps-audience-mismatch", "audience-mismatch"),
        ("oidc-not-configured", "oidc-not-configured"),
        ("oidc-config-invalid-http-issuer", "oidc-config-invalid"),
        ("discovery-issuer-mismatch", "discovery-issuer-mismatch"),
        ("required-claim-mismatch", "required-claim-mismatch"),
        ("signature-invalid", "signature-invalid"),
        ("signing-alg-es256-not-allowed", "signing-alg-not-allowed"),
        ("token-expired", "token-expired"),
        ("token-not-yet-valid", "token-not-yet-valid"),
        ("username-claim-missing", "username-claim-missing"),
    ],
)
def test_example_bundle_yields_the_authn_cause(example: str, cause: str) -> None:
    report = diagnose(read_bundle(EXAMPLES / example))
    # The authn checks' own results (the report may fold a prediction into an observation).
    causes = [f.cause for c in report.checks if c.id.startswith("authn.") for f in c.result.findings]
    assert cause in causes
    assert cause in [f.cause for f in report.findings]


def test_authenticators_summary_has_effective_prefixes() -> None:
    ctx = Context(now=NOW)
    ctx = run(Evidence([pod(f"--oidc-issuer-url={ISS}", "--oidc-client-id=kubernetes")]), ctx).ctx
    assert ctx.facts.authenticators is not None
    (a,) = ctx.facts.authenticators
    assert (a.issuer, a.audiences, a.username_claim, a.username_prefix) == (ISS, ("kubernetes",), "sub", ISS + "#")
    assert a.groups_claim is None
    assert ctx.facts.authenticators_ref.endswith("Pod kube-system/kube-apiserver-cp1")


def test_settings_without_jwt_authenticator_give_an_empty_list_and_not_configured() -> None:
    ctx = Context(now=NOW)
    report = run(Evidence([pod("--authorization-mode=Node,RBAC"), token_item()]), ctx)
    ctx = report.ctx
    assert ctx.facts.authenticators == ()
    assert report.findings[0].cause == "oidc-not-configured"
    assert report.findings[0].origin == Origin.CONFIG


def test_no_settings_source_is_unknown_never_not_configured() -> None:
    ctx = Context(now=NOW)
    report = run(Evidence([token_item()]), ctx)
    ctx = report.ctx
    assert ctx.facts.authenticators is None
    result = check(report, "authn.configured")
    assert result.status == Status.UNKNOWN
    assert "kube-apiserver" in result.reason
    assert "oidc-not-configured" not in [f.cause for f in report.findings]


def test_managed_control_plane_says_where_to_look() -> None:
    ev = Evidence(
        [
            token_item(),
            Item(
                Kind.ERROR_TEXT, "bundle/error.txt", "error: You must be logged in (https://ABC.gr7.eks.amazonaws.com)"
            ),
        ]
    )
    result = check(diagnose(ev), "authn.configured")
    assert result.status == Status.UNKNOWN
    assert "aws eks describe-identity-provider-config" in result.reason


def test_accepted_token_sets_the_predicted_identity() -> None:
    ctx = Context(now=NOW)
    report = run(Evidence([pod(*OIDC), token_item(groups=["dev"]), jwks_item()]), ctx)
    ctx = report.ctx
    assert ctx.facts.identity is not None
    ident = report.to_json()["identity"]
    assert ident == {
        "username": "oidc:alice@example.com",
        "groups": ["oidc:dev", "system:authenticated"],
        "uid": "",
        "extra": {},
        "source": "prediction",
    }
    (accepted,) = [f for f in report.findings if f.cause == "token-accepted"]
    assert "signature verified" in accepted.title


def test_without_jwks_the_acceptance_says_the_signature_was_not_checked() -> None:
    report = diagnose(Evidence([pod(*OIDC), token_item(groups=["dev"])]))
    (accepted,) = [f for f in report.findings if f.cause == "token-accepted"]
    assert "NOT checked" in accepted.title


def test_missing_groups_claim_explains_rbac_findings_and_names_both_sides() -> None:
    report = diagnose(Evidence([pod(*OIDC), token_item(), jwks_item()]))
    (f,) = [f for f in report.findings if f.cause == "groups-claim-missing"]
    assert {"rbac-no-binding", "group-name-mismatch"} <= set(f.explains)
    assert f.evidence[0].text == "groups" and f.evidence[0].ref.endswith("--oidc-groups-claim")
    assert f.evidence[1].text == "no 'groups' claim"


def test_rejection_finding_carries_the_exact_api_server_string() -> None:
    report = diagnose(Evidence([pod(*OIDC), token_item(aud="kubeapps"), jwks_item()]))
    f = report.findings[0]
    assert f.cause == "audience-mismatch"
    assert f.origin == Origin.PREDICTED
    assert f.title.startswith("The API server would reject the token: ")
    texts = [e.text for e in f.evidence]
    assert 'oidc: verify token: oidc: expected audience "kubernetes" got ["kubeapps"]' in texts
    assert '["kubernetes"]' in texts[0]
    assert texts[1] == '"kubeapps"'


def test_eks_settings_use_legacy_prefix_semantics() -> None:
    eks = {"identityProviderConfig": {"oidc": {"issuerUrl": ISS, "clientId": "kubernetes", "status": "ACTIVE"}}}
    ctx = Context(now=NOW)
    ctx = run(Evidence([Item(Kind.EKS_IDP, "bundle/eks.json", eks)]), ctx).ctx
    assert ctx.facts.authenticators is not None
    assert ctx.facts.authenticators[0].username_prefix == ISS + "#"


def test_invalid_settings_report_config_origin_with_kube_message() -> None:
    report = diagnose(Evidence([pod("--oidc-issuer-url=http://idp", "--oidc-client-id=k"), token_item()]))
    (f,) = [f for f in report.findings if f.cause == "oidc-config-invalid"]
    assert f.origin == Origin.CONFIG
    assert 'jwt[0].issuer.url: Invalid value: "http://idp": URL scheme must be https' in f.evidence[0].text


def test_an_observed_401_beside_an_accepting_prediction_is_an_endpoint_mismatch() -> None:
    error = Item(Kind.ERROR_TEXT, "bundle/error.txt", "error: You must be logged in to the server (Unauthorized)")
    report = run(Evidence([pod(*OIDC), token_item(groups=["dev"]), jwks_item(), error]), Context(now=NOW))
    causes = [f.cause for f in report.findings]
    # No "authentication works" beside a 401: the settings in hand accept the token, so the
    # request went to another server (or came with another token).
    assert "token-accepted" not in causes
    (f,) = [f for f in report.findings if f.cause == "apiserver-endpoint-mismatch"]
    assert "no API server log among the inputs" in f.title
    assert f.evidence[0].ref == "bundle/error.txt"


def _accepted_token_and_a_logged_401(tmp_path: Path) -> Report:
    """A token the settings accept, beside an API server log that refused a request."""
    path = tmp_path / "apiserver.log"
    path.write_text(
        'E1128 10:25:01.000000       1 authentication.go:73] "Unable to authenticate the request" '
        'err="[invalid bearer token, oidc: authenticator not initialized]"\n'
    )
    log = Item(Kind.APISERVER_LOG, "bundle/apiserver.log", None, path=path)
    return run(Evidence([pod(*OIDC), token_item(groups=["dev"]), jwks_item(), log]), Context(now=NOW))


def test_a_401_the_api_server_logged_is_left_to_its_log_finding(tmp_path: Path) -> None:
    report = _accepted_token_and_a_logged_401(tmp_path)
    causes = [f.cause for f in report.findings]
    assert "token-accepted" not in causes and "apiserver-endpoint-mismatch" not in causes
    assert "but the API server logged a 401" in check(report, "authn.prediction").reason


def test_where_a_401_was_seen_is_its_source_not_its_file_name(tmp_path: Path) -> None:
    report = _accepted_token_and_a_logged_401(tmp_path)
    assert [(f.source, f.ref) for f in report.ctx.facts.failures] == [
        (FailureSource.APISERVER_LOG, "bundle/apiserver.log:1")
    ]
    # An error text filed under a name that looks like a line of the API server's log is still what
    # the user saw: only a failure whose source is that log is the API server's word.
    quiet = tmp_path / "quiet.log"
    quiet.write_text('I1128 10:25:01.000000       1 controller.go:1] "Starting controller"\n')
    quiet_log = Item(Kind.APISERVER_LOG, "bundle/apiserver.log", None, path=quiet)
    error = Item(Kind.ERROR_TEXT, "bundle/apiserver.log:7", "error: You must be logged in to the server (Unauthorized)")
    report = run(Evidence([pod(*OIDC), token_item(groups=["dev"]), jwks_item(), quiet_log, error]), Context(now=NOW))
    assert [f.source for f in report.ctx.facts.failures] == [FailureSource.ERROR_TEXT]
    assert [f.cause for f in report.findings if f.cause == "apiserver-endpoint-mismatch"]


def test_control_plane_nodes_that_disagree_are_named() -> None:
    second = pod(f"--oidc-issuer-url={ISS}", "--oidc-client-id=other")
    second.ref = "bundle/kube-apiserver.yaml Pod kube-system/kube-apiserver-cp2"
    report = diagnose(Evidence([pod(*OIDC), second]))
    reason = check(report, "authn.configured").reason
    assert "disagree" in reason and "kube-apiserver-cp2" in reason
    (f,) = [f for f in report.findings if f.cause == "apiserver-endpoint-mismatch"]
    assert "--oidc-client-id=other" in " ".join(e.text for e in f.evidence)
    assert check(diagnose(Evidence([pod(*OIDC), pod(*OIDC)])), "authn.endpoints").status == Status.PASS


@pytest.mark.parametrize("status", ["CREATING", "DELETING"])
def test_eks_config_not_active_is_not_configured_yet(status: str) -> None:
    eks = {"identityProviderConfig": {"oidc": {"issuerUrl": ISS, "clientId": "kubernetes", "status": status}}}
    report = diagnose(Evidence([Item(Kind.EKS_IDP, "bundle/eks.json", eks), token_item(), jwks_item()]))
    first = report.findings[0]
    assert first.cause == "oidc-not-configured" and status in first.title
    assert "ACTIVE" in (first.fix or "")
    assert not any(f.cause == "token-accepted" for f in report.findings)


def test_kubeadm_config_that_differs_from_the_running_pod_is_named() -> None:
    cc = {
        "apiVersion": "kubeadm.k8s.io/v1beta3",
        "kind": "ClusterConfiguration",
        "apiServer": {"extraArgs": {"oidc-issuer-url": ISS, "oidc-client-id": "edited"}},
    }
    kubeadm = Item(Kind.KUBEADM_CONFIG, "bundle/kubeadm-config.yaml ConfigMap kube-system/kubeadm-config", cc)
    report = diagnose(Evidence([pod(*OIDC), kubeadm]))
    reason = check(report, "authn.configured").reason
    assert "kubeadm-config" in reason and "Pod's flags are in effect" in reason
    same = dict(cc, apiServer={"extraArgs": {f[2:].split("=", 1)[0]: f.split("=", 1)[1] for f in OIDC}})
    report = diagnose(Evidence([pod(*OIDC), Item(Kind.KUBEADM_CONFIG, kubeadm.ref, same)]))
    assert "differs" not in check(report, "authn.configured").reason
