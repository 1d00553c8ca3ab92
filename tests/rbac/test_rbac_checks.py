"""The rbac checks on the example bundles and on hand-made evidence: every near-miss kind, the
ranking of root causes before their consequences, and "unknown" when RBAC cannot be judged.

The token and authn engines fill ``facts.token_claims``/``facts.authenticators`` in the full
pipeline; here they are set by hand from the example's own token and apiserver flags, so these
tests do not depend on the other areas.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks import all_checks
from oidc_doctor.checks.base import Context, Options
from oidc_doctor.checks.rbac import CHECKS, derive_failures, derive_rbac
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.facts import Facts, identity_of
from oidc_doctor.model import AuthenticatorSummary, Finding, Identity, Origin, Status
from oidc_doctor.pipeline import rank, run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
KEYCLOAK = "https://keycloak.example.com/realms/k8s"


def _claims(example: str) -> dict[str, Any]:
    payload = (EXAMPLES / example / "id_token.txt").read_text().strip().split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def _auth(prefix: str = "oidc:", claim: str = "email", groups_claim: str | None = "groups") -> AuthenticatorSummary:
    return AuthenticatorSummary(
        issuer=KEYCLOAK,
        audiences=("kubernetes",),
        username_claim=claim,
        username_prefix=prefix,
        groups_claim=groups_claim,
        groups_prefix="oidc:",
        ref="kube-system/kube-apiserver --oidc-*",
    )


def _derive(ev: Evidence, ctx: Context) -> Context:
    """The RBAC area's facts on top of what the test set: failures, the identity, the analysis."""
    f = ctx.facts.but(failures=derive_failures(ev, ctx))
    ident = f.identity
    if ident is None or ident.source == "prediction":
        ident = identity_of(f) or ident
    ctx = ctx.but(facts=f.but(identity=ident))
    return ctx.but(facts=ctx.facts.but(rbac=derive_rbac(ev, ctx)))


def _run(ev: Evidence, ctx: Context) -> tuple[list[Finding], dict[str, Status]]:
    findings, statuses, _ = _run_ctx(ev, ctx)
    return findings, statuses


def _run_ctx(ev: Evidence, ctx: Context) -> tuple[list[Finding], dict[str, Status], Context]:
    ctx = _derive(ev, ctx)
    findings: list[Finding] = []
    statuses = {}
    for check in CHECKS:
        result = check.run(ev, ctx)
        statuses[check.id] = result.status
        for f in result.findings:
            f.check = check.id
        findings += result.findings
    return rank(findings, ctx), statuses, ctx


def _example(name: str, with_token: bool = True, **auth: Any) -> tuple[list[Finding], dict[str, Status], Context]:
    ev = read_bundle(EXAMPLES / name)
    ctx = Context(now=NOW)
    if with_token:
        ctx = ctx.but(facts=ctx.facts.but(token_claims=_claims(name)))
        ctx = ctx.but(facts=ctx.facts.but(authenticators=(_auth(**auth),)))
    return _run_ctx(ev, ctx)


def test_checks_are_registered() -> None:
    ids = [c.id for c in all_checks()]
    assert {"rbac.anonymous", "rbac.subjects", "rbac.binding", "rbac.permissions"} <= set(ids)


def test_prefix_mismatch_from_the_403_alone_names_both_sides_and_both_fixes() -> None:
    findings, _, ctx = _example("rbac-prefix-mismatch", with_token=False)
    assert ctx.facts.identity is not None and ctx.facts.identity.source == "forbidden-message"
    first = findings[0]
    assert first.cause == "username-prefix-mismatch"
    assert '"alice@example.com"' in first.title and '"oidc:alice@example.com"' in first.title
    assert first.origin == Origin.OBSERVED
    assert "kubectl -n dev patch rolebinding alice-view" in first.fix
    assert "--oidc-username-prefix=-" in first.fix  # the binding names the bare email
    assert "safer" in first.fix


def test_default_issuer_prefix_with_a_predicted_identity() -> None:
    ev = read_bundle(EXAMPLES / "rbac-default-issuer-prefix")
    ctx = Context(now=NOW)
    claims = _claims("rbac-default-issuer-prefix")
    ctx = ctx.but(facts=ctx.facts.but(token_claims=claims))
    ctx = ctx.but(facts=ctx.facts.but(authenticators=[_auth(prefix=KEYCLOAK + "#", claim="sub")]))
    ctx = ctx.but(facts=ctx.facts.but(identity=Identity(f"{KEYCLOAK}#{claims['sub']}", source="prediction")))
    findings, _ = _run(ev, ctx)
    assert findings[0].cause == "username-prefix-mismatch"
    assert findings[0].origin == Origin.PREDICTED
    assert f"--user={KEYCLOAK}#{claims['sub']}" in findings[0].fix.replace("'", "")


def test_username_claim_mismatch_names_the_claim_the_binding_used() -> None:
    findings, _, _ = _example("username-claim-mismatch")
    first = findings[0]
    assert first.cause == "username-claim-mismatch"
    assert "`preferred_username`" in first.title and '"oidc:alice@example.com"' in first.title
    assert "--oidc-username-claim=preferred_username" in first.fix


def test_groups_claim_missing_ranks_before_no_binding() -> None:
    findings, statuses, _ = _example("groups-claim-missing")
    causes = [f.cause for f in findings]
    assert causes[0] == "groups-claim-missing"
    assert "rbac-no-binding" in causes and causes.index("groups-claim-missing") < causes.index("rbac-no-binding")
    assert '"oidc:dev"' in findings[0].title
    assert statuses["rbac.binding"] == Status.FAIL


def test_keycloak_full_group_path() -> None:
    findings, _, _ = _example("group-name-mismatch-keycloak-path")
    first = findings[0]
    assert first.cause == "group-name-mismatch"
    assert '"oidc:dev"' in first.title and '"oidc:/dev"' in first.title
    assert "Keycloak" in first.title
    assert '"value":"oidc:/dev"' in first.fix


def test_no_binding_when_nothing_is_near() -> None:
    findings, _, _ = _example("rbac-no-binding")
    assert [f.cause for f in findings] == ["rbac-no-binding"]
    assert "kubectl -n dev create rolebinding" in findings[0].fix
    assert "--user=oidc:alice@example.com" in findings[0].fix


def test_insufficient_permissions_names_the_missing_rule() -> None:
    findings, statuses, _ = _example("rbac-insufficient-permissions")
    assert [f.cause for f in findings] == ["rbac-insufficient-permissions"]
    title = findings[0].title
    assert 'missing rule {APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}' in title
    assert "RoleBinding dev/dev-view -> ClusterRole view" in title
    assert "--resource=deployments.apps" in findings[0].fix
    assert statuses["rbac.subjects"] == Status.PASS


def test_anonymous_403_means_the_token_was_not_forwarded() -> None:
    findings, statuses, _ = _example("proxy-token-not-forwarded", with_token=False)
    assert findings[0].cause == "proxy-token-not-forwarded"
    assert findings[0].origin == Origin.OBSERVED
    assert statuses["rbac.binding"] == Status.SKIPPED


def test_without_rbac_objects_the_checks_say_unknown() -> None:
    ev = Evidence([Item(Kind.ERROR_TEXT, "error.txt", 'User "bob" cannot get path "/"')])
    findings, statuses = _run(ev, Context(now=NOW))
    assert findings == []
    assert statuses["rbac.subjects"] == Status.UNKNOWN
    assert statuses["rbac.binding"] == Status.UNKNOWN


def test_groups_unknown_without_a_token_is_unknown_not_no_binding() -> None:
    findings, statuses, _ = _example("rbac-insufficient-permissions", with_token=False)
    assert findings == []
    assert statuses["rbac.binding"] == Status.UNKNOWN
    assert statuses["rbac.permissions"] == Status.UNKNOWN


def _rb(ns: str | None, name: str, role: str, *subjects: tuple[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if ns else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"kind": k, "name": n} for k, n in subjects],
    }


VIEW = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "view"},
    "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}],
}


def _ev(*objs: dict[str, Any], error: str = "") -> Evidence:
    ev = Evidence([Item(Kind.RBAC, f"rbac.yaml#{i}", o) for i, o in enumerate(objs)])
    if error:
        ev.add(Item(Kind.ERROR_TEXT, "error.txt", error))
    return ev


def test_guid_groups_against_named_group_bindings() -> None:
    guid = "6f1c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c"
    ev = _ev(VIEW, _rb("dev", "devs", "view", ("Group", "k8s-developers")))
    ctx = Context(now=NOW)
    ctx = ctx.but(
        facts=ctx.facts.but(identity=Identity("alice@contoso.com", groups=[guid], source="selfsubjectreview"))
    )
    ctx = ctx.but(options=Options(request={"verb": "list", "resource": "pods", "namespace": "dev"}))
    findings, _ = _run(ev, ctx)
    assert findings[0].cause == "group-name-mismatch"
    assert guid in findings[0].title and '"k8s-developers"' in findings[0].title
    assert f"--group={guid}" in findings[0].fix


def test_group_case_difference() -> None:
    ev = _ev(VIEW, _rb("dev", "devs", "view", ("Group", "Developers")))
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(identity=Identity("alice", groups=["developers"], source="selfsubjectreview")))
    findings, _ = _run(ev, ctx)
    assert findings[0].cause == "group-name-mismatch" and "letter case" in findings[0].title


def test_kubeapps_namespace_listing_needs_cluster_scope() -> None:
    error = (
        "Forbidden to list the Namespace 'all' due to 'namespaces is forbidden: User \"oidc:alice\" cannot list "
        'resource "namespaces" in API group "" at the cluster scope\''
    )
    ev = _ev(VIEW, _rb("dev", "alice-view", "view", ("User", "oidc:alice")), error=error)
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(token_claims={"iss": KEYCLOAK, "email": "alice", "groups": []}))
    ctx = ctx.but(facts=ctx.facts.but(authenticators=[_auth()]))
    findings, _ = _run(ev, ctx)
    assert findings[0].cause == "rbac-insufficient-permissions"
    assert "Kubeapps lists namespaces" in findings[0].title
    assert "RoleBindings grant it only in namespace(s) dev" in findings[0].title
    assert "kubectl create clusterrole" in findings[0].fix and "clusterrolebinding" in findings[0].fix


def test_selfsubjectreview_identity_outranks_the_forbidden_message_and_a_prediction_does_not() -> None:
    error = 'pods is forbidden: User "oidc:bob" cannot list resource "pods" in API group "" in the namespace "x"'
    ctx = Context(now=NOW)
    failures = derive_failures(_ev(error=error), ctx)
    reviewed = Identity("oidc:alice", source="selfsubjectreview")
    ident = identity_of(Facts(reviewed=reviewed, failures=failures))
    assert ident is not None and ident.username == "oidc:alice"
    ident = identity_of(Facts(failures=failures))
    assert ident is not None and (ident.username, ident.source) == ("oidc:bob", "forbidden-message")


def test_error_option_texts_are_read_and_unauthorized_recorded() -> None:
    ctx = Context(now=NOW, options=Options(error_texts=["error: You must be logged in to the server (Unauthorized)"]))
    failures = derive_failures(Evidence(), ctx)
    assert [(f.kind, f.ref) for f in failures] == [("unauthorized", "--error")]
    assert identity_of(Facts(failures=failures)) is None


def test_allowed_request_passes_with_the_granting_binding() -> None:
    ev = _ev(VIEW, _rb("dev", "alice-view", "view", ("User", "alice")))
    ctx = Context(now=NOW, options=Options(request={"verb": "get", "resource": "pods", "namespace": "dev"}))
    ctx = ctx.but(facts=ctx.facts.but(identity=Identity("alice", source="selfsubjectreview")))
    findings, statuses = _run(ev, ctx)
    assert findings == []
    assert statuses["rbac.permissions"] == Status.PASS


_EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
_RBAC_EXAMPLES = [
    "rbac-insufficient-permissions",
    "rbac-no-binding",
    "rbac-prefix-mismatch",
    "username-claim-mismatch",
    "group-name-mismatch-keycloak-path",
    "groups-claim-missing",
    "proxy-token-not-forwarded",
]


@pytest.mark.parametrize("name", _RBAC_EXAMPLES)
def test_full_pipeline_puts_the_expected_cause_first(name: str) -> None:
    """The whole pipeline (every registered deriver and check, the ranking) on the example bundle.

    The API server's authenticator is given as the authn engine would summarise the example's
    flags (that engine is another area's); the token facts come from the real token deriver.
    """
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(authenticators=[_auth()]))
    report = run(read_bundle(EXAMPLES / name), ctx)
    causes = [f.cause for f in report.findings]
    assert causes, name
    assert causes[0] == _EXPECTED[name]["first"], causes


def test_group_with_a_colon_bound_without_the_servers_groups_prefix() -> None:
    # Dex's GitHub connector emits "org:team"; with --oidc-groups-prefix=oidc: the server sees
    # "oidc:acme:platform". A binding of the bare "acme:platform" is a prefix near miss, not "no binding".
    ev = _ev(VIEW, _rb("dev", "platform", "view", ("Group", "acme:platform")))
    ctx = Context(now=NOW)
    ctx = ctx.but(
        facts=ctx.facts.but(identity=Identity("oidc:alice", groups=["oidc:acme:platform"], source="selfsubjectreview"))
    )
    ctx = ctx.but(facts=ctx.facts.but(authenticators=[_auth()]))
    findings, _ = _run(ev, ctx)
    assert findings[0].cause == "group-name-mismatch", [f.cause for f in findings]
    assert "groups prefix differs" in findings[0].title
    assert '"acme:platform"' in findings[0].title and '"oidc:acme:platform"' in findings[0].title
    assert "no groups prefix" in (findings[0].fix or "") and "--oidc-groups-prefix=acme:" not in (findings[0].fix or "")


def test_no_binding_fix_suggests_the_least_privileged_role_not_cluster_admin() -> None:
    # Real view/edit roles list dozens of rules, cluster-admin two wildcard ones: fewer rules is not less power.
    admin = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "cluster-admin"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}],
    }
    extra: list[dict[str, Any]] = [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["list"]},
    ]
    view = dict(VIEW, rules=[*VIEW["rules"], *extra])
    error = 'pods is forbidden: User "oidc:alice" cannot list resource "pods" in API group "" in the namespace "dev"'
    ev = _ev(admin, view, error=error)
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(identity=Identity("oidc:alice", groups=["oidc:dev"], source="selfsubjectreview")))
    findings, _ = _run(ev, ctx)
    assert findings[0].cause == "rbac-no-binding"
    assert "--clusterrole=view" in (findings[0].fix or ""), findings[0].fix


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("nodes.yaml Node k3s-server-1 k3s.io/node-args", "`oidc-username-prefix=-` in the `kube-apiserver-arg` list"),
        ("idp.json EKS corp-sso", '`usernamePrefix: "-"` in a new EKS identity provider config'),
        ("kube-system/kube-apiserver --oidc-*", "`--oidc-username-prefix=-` (flags)"),
    ],
)
def test_the_prefix_alternative_is_spelled_for_the_platform(ref: str, expected: str) -> None:
    ev = _ev(VIEW, _rb("dev", "alice-view", "view", ("User", "alice")))
    ctx = Context(now=NOW)
    ctx = ctx.but(facts=ctx.facts.but(identity=Identity(f"{KEYCLOAK}#alice", groups=[], source="selfsubjectreview")))
    auth = AuthenticatorSummary(
        issuer=KEYCLOAK,
        audiences=("kubernetes",),
        username_claim="preferred_username",
        username_prefix=f"{KEYCLOAK}#",
        groups_claim=None,
        groups_prefix="",
        ref=ref,
    )
    ctx = ctx.but(facts=ctx.facts.but(authenticators=[auth]))
    findings, _ = _run(ev, ctx)
    assert findings[0].cause == "username-prefix-mismatch"
    assert expected in (findings[0].fix or ""), findings[0].fix
