"""AKS: the readers (az aks show, az aks jwtauthenticator, Azure kubelogin kubeconfigs) by content, the
Entra token verdicts as AKS's webhook gives them, the checks on facts built directly, and no request
for kube-apiserver flags when AKS-managed Entra ID is in use."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixturekit import cloud
from fixturekit.clock import NOW

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks import aks as aks_checks
from oidc_doctor.checks.base import Context
from oidc_doctor.cli import main
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.facts import Facts
from oidc_doctor.io import IO
from oidc_doctor.managed import aks
from oidc_doctor.model import ObservedFailure, Status

T = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
GITHUB = "https://token.actions.githubusercontent.com"


def test_the_aks_applications_are_kubelogins_well_known_ids() -> None:
    # Azure/kubelogin docs/book/src/concepts/aks.md and pkg/internal/testutils/govcrutils.go.
    assert aks.AKS_SERVER_APP == "6dae42f8-4368-4678-94ff-3960e28e3630"
    assert aks.AKS_CLIENT_APP == "80faf920-1908-4b52-b5ef-a8e7bedfc67a"


def test_az_aks_show_is_read_for_its_aad_profile() -> None:
    obj = cloud.aks_cluster(azure_rbac=True, admin_groups=("g1", "g2"))
    assert aks.is_cluster(obj)
    c = aks.parse_cluster(obj, "show.json")
    assert (c.managed_entra, c.azure_rbac, c.tenant, c.admin_groups) == (True, True, cloud.TENANT, ("g1", "g2"))
    assert c.fqdn.endswith(".azmk8s.io") and c.resource_group == cloud.RG and c.name == cloud.CLUSTER
    plain = aks.parse_cluster(cloud.aks_cluster(managed=False), "x")
    assert not plain.managed_entra and not plain.legacy_aad
    legacy = dict(cloud.aks_cluster(), aadProfile={"clientAppId": "c", "serverAppId": "s", "tenantId": "t"})
    assert aks.parse_cluster(legacy, "x").legacy_aad
    assert not aks.is_cluster({"aadProfile": {}})  # no cluster fields
    assert not aks.is_cluster({"kind": "Pod"})


def test_a_jwt_authenticator_becomes_an_authentication_configuration_entry() -> None:
    obj = cloud.jwt_authenticator(
        "gh", "https://token.actions.githubusercontent.com", ["my-api"], "'aks:jwt:' + claims.sub"
    )
    obj["properties"]["claimMappings"]["uid"] = None  # ARM spells absent fields null
    assert aks.is_jwt_authenticator(obj)
    cfg = aks.authentication_configuration([obj, obj])
    assert cfg["kind"] == "AuthenticationConfiguration" and len(cfg["jwt"]) == 2
    entry = cfg["jwt"][0]
    assert set(entry) == {"issuer", "claimValidationRules", "claimMappings", "userValidationRules"}
    assert "uid" not in entry["claimMappings"] and "provisioningState" not in entry


@pytest.mark.parametrize(
    ("mapping", "prefix", "missing"),
    [
        ({"expression": "'aks:jwt:' + claims.sub"}, "aks:jwt:", False),
        ({"expression": '"aks:jwt:github:" + claims.sub'}, "aks:jwt:github:", False),
        ({"expression": "claims.groups.map(g, 'aks:jwt:' + g)"}, "aks:jwt:", False),
        (
            {"expression": "has(claims.groups) ? claims.groups.split(',').map(g, 'aks:jwt:' + g) : []"},
            "aks:jwt:",
            False,
        ),
        ({"expression": "'github:' + claims.sub"}, "github:", True),
        ({"expression": "claims.sub"}, None, False),  # not a literal: not judged
        ({"claim": "sub", "prefix": "aks:jwt:"}, "aks:jwt:", False),
        ({"claim": "sub", "prefix": ""}, "", True),
    ],
)
def test_the_literal_a_mapping_starts_with(mapping: dict[str, Any], prefix: str | None, missing: bool) -> None:
    got, _ = aks.mapping_prefix(mapping)
    assert got == prefix
    assert aks.JwtPrefix("a", "r", "username", got, "x").missing is missing


def test_azure_kubelogin_users_are_read_with_pflag_syntax() -> None:
    cfg = yaml.safe_load(cloud.aks_kubeconfig("--legacy"))
    (u,) = aks.azure_kubelogin_users(cfg, "kc")
    assert (u.server_id, u.login, u.legacy, u.tenant) == (aks.AKS_SERVER_APP, "devicecode", True, cloud.TENANT)
    assert u.server == f"https://{cloud.FQDN}:443"
    cfg["users"][0]["user"]["exec"]["args"] += ["--legacy=false", "--login=azurecli"]
    (u,) = aks.azure_kubelogin_users(cfg, "kc")
    assert not u.legacy and u.login == "azurecli"
    # int128/kubelogin (oidc-login) is not Azure's.
    oidc = {"users": [{"name": "u", "user": {"exec": {"args": ["oidc-login", "get-token", "--oidc-issuer-url=x"]}}}]}
    assert aks.azure_kubelogin_users(oidc, "kc") == []


def _codes(claims: dict[str, Any]) -> list[str]:
    return [c for c, _ in aks.judge_entra_token(claims).problems]


def test_entra_tokens_judged_as_aks_webhook_judges_them() -> None:
    good = cloud.entra_access_claims()
    assert aks.is_entra_token(good) and _codes(good) == []
    v2_id = {"aud": aks.AKS_CLIENT_APP, "iss": f"https://login.microsoftonline.com/{cloud.TENANT}/v2.0", "nonce": "n"}
    assert aks.is_entra_token(v2_id) and _codes(v2_id) == ["aks-entra-wrong-token-type"]
    arm = cloud.entra_access_claims(aud="https://management.azure.com/")
    ((code, words),) = aks.judge_entra_token(arm).problems
    assert code == "aks-entra-audience-mismatch" and "Azure Resource Manager" in words
    spn = cloud.entra_access_claims(aud=f"spn:{aks.AKS_SERVER_APP}")
    ((code, words),) = aks.judge_entra_token(spn).problems
    assert code == "aks-entra-audience-mismatch" and "--legacy" in words
    # Overage: a user's groups come from Graph (no problem); a service principal's token is refused.
    user = aks.judge_entra_token(cloud.overage(good))
    assert user.overage and not user.problems
    app = aks.judge_entra_token(cloud.overage(cloud.entra_access_claims(idtyp="app")))
    assert [c for c, _ in app.problems] == ["aks-entra-group-overage"]
    assert not aks.is_entra_token({"iss": "https://keycloak.example.com/realms/k8s"})
    assert not aks.is_entra_token({"iss": "https://sts.windows.net.evil.example/x/"})


def _ev(tmp_path: Path, files: dict[str, Any]) -> Evidence:
    folder = tmp_path / "b"
    folder.mkdir()
    for name, v in files.items():
        (folder / name).write_text(v if isinstance(v, str) else json.dumps(v, indent=2))
    return read_bundle(folder)


def test_aks_inputs_are_recognised_by_content(tmp_path: Path) -> None:
    jwt = cloud.jwt_authenticator("gh", GITHUB, ["a"], "'aks:jwt:' + claims.sub")
    ev = _ev(
        tmp_path,
        {
            "one": cloud.aks_cluster(),
            "two": [cloud.aks_cluster(), cloud.aks_cluster(managed=False)],  # az aks list
            "three": [jwt, jwt],  # az aks jwtauthenticator list
            "four": cloud.aks_kubeconfig(),
        },
    )
    kinds = sorted((r.ref, r.kind, r.objects) for r in ev.inputs)
    assert kinds == [
        ("b/four", "kubeconfig", 1),
        ("b/one", "aks-cluster", 1),
        ("b/three", "aks-jwtauthenticator", 2),
        ("b/two", "aks-cluster", 2),
    ]


def _diagnose(folder: Path, *extra: str) -> dict[str, Any]:
    out = io.StringIO()
    main(["diagnose", "--bundle", str(folder), "--now", "2026-11-28T10:25:12Z", "-o", "json", *extra],
         IO(stdout=out, stderr=io.StringIO(), env={}))  # fmt: skip
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


def test_aks_managed_entra_users_are_never_asked_for_apiserver_flags(tmp_path: Path) -> None:
    ev_files = {"aks.json": cloud.aks_cluster(), "token.txt": cloud.entra_token(cloud.entra_access_claims())}
    _ev(tmp_path, ev_files)
    doc = _diagnose(tmp_path / "b")
    assert not [f for f in doc["findings"] if f["severity"] in ("error", "warning")], doc["findings"]
    authn = [c for c in doc["checks"] if c["id"].startswith("authn.")]
    assert authn and all(
        "AKS-managed Microsoft Entra ID is in use" in c["reason"] for c in authn if c["status"] == "unknown"
    )
    assert all(c["status"] != "fail" for c in authn)
    assert "authn" not in [n["area"] for n in doc["not_judged"]]
    # The access token's scp is no sign of a wrong token type there.
    (ttype,) = [c for c in doc["checks"] if c["id"] == "token.type"]
    assert ttype["status"] == "pass"
    (entra,) = [c for c in doc["checks"] if c["id"] == "aks.entra-token"]
    assert entra["status"] == "pass"
    # The identity AKS's webhook maps the token to: upn and the group object IDs.
    ident = doc["identity"]
    assert (ident["username"], ident["source"]) == ("alice@example.com", "prediction")
    assert cloud.DEV_GROUP in ident["groups"]


def test_the_same_access_token_without_aks_context_is_still_a_wrong_type(tmp_path: Path) -> None:
    _ev(tmp_path, {"token.txt": cloud.entra_token(cloud.entra_access_claims())})
    doc = _diagnose(tmp_path / "b")
    (ttype,) = [c for c in doc["checks"] if c["id"] == "token.type"]
    assert ttype["status"] == "fail"


def _ctx(**facts: Any) -> Context:
    return Context(now=T, facts=Facts(**facts))


def test_entra_token_check_on_facts_built_directly() -> None:
    cluster = aks.parse_cluster(cloud.aks_cluster(), "show.json")
    verdict = aks.judge_entra_token(cloud.entra_access_claims(aud="https://management.azure.com/"))
    f = aks_checks.AksFacts(
        clusters=(cluster,), entra="show.json aadProfile.managed: true", verdicts=(("t.txt", verdict),)
    )
    res = aks_checks.check_entra_token(Evidence(), _ctx(aks=f))
    assert res.status == Status.FAIL
    (finding,) = res.findings
    assert finding.cause == "aks-entra-audience-mismatch"
    assert any(e.ref == "show.json aadProfile" for e in finding.evidence)
    # Not AKS-managed Entra ID: skipped; in use but no token: unknown, never pass.
    assert (
        aks_checks.check_entra_token(Evidence(), _ctx(aks=aks_checks.AksFacts(clusters=(cluster,)))).status
        == Status.SKIPPED
    )
    none = aks_checks.check_entra_token(Evidence(), _ctx(aks=aks_checks.AksFacts(clusters=(cluster,), entra="x")))
    assert none.status == Status.UNKNOWN


def test_a_legacy_kubeconfig_is_an_audience_mismatch_without_a_token() -> None:
    (user,) = aks.azure_kubelogin_users(yaml.safe_load(cloud.aks_kubeconfig("--legacy")), "kc")
    f = aks_checks.AksFacts(kubelogins=(user,), entra="kc")
    res = aks_checks.check_entra_token(Evidence(), _ctx(aks=f))
    assert [x.cause for x in res.findings] == ["aks-entra-audience-mismatch"]
    assert "spn:" in res.findings[0].title and "--legacy" in res.findings[0].fix


def test_azure_rbac_check_needs_an_observed_403() -> None:
    cluster = aks.parse_cluster(cloud.aks_cluster(azure_rbac=True), "show.json")
    f = aks_checks.AksFacts(clusters=(cluster,), entra="x")
    assert aks_checks.check_azure_rbac(Evidence(), _ctx(aks=f)).status == Status.PASS
    seen = ObservedFailure("forbidden", "error.txt", "pods is forbidden", status=403, user="bob@x", namespace="dev")
    res = aks_checks.check_azure_rbac(Evidence(), _ctx(aks=f, failures=(seen,)))
    (finding,) = res.findings
    assert finding.cause == "aks-azure-rbac" and "--assignee bob@x" in finding.fix and "/namespaces/dev" in finding.fix
    no_rbac = aks_checks.AksFacts(clusters=(aks.parse_cluster(cloud.aks_cluster(), "s"),))
    assert aks_checks.check_azure_rbac(Evidence(), _ctx(aks=no_rbac, failures=(seen,))).status == Status.SKIPPED


def test_azure_rbac_fix_quotes_hostile_names() -> None:
    obj = dict(cloud.aks_cluster(azure_rbac=True), resourceGroup="rg; rm -rf ~", name="$(touch PWNED)")
    f = aks_checks.AksFacts(clusters=(aks.parse_cluster(obj, "s"),))
    seen = ObservedFailure("forbidden", "e", "forbidden", status=403, user="a'b", namespace="dev")
    (finding,) = aks_checks.check_azure_rbac(Evidence(), _ctx(aks=f, failures=(seen,))).findings
    assert "-g 'rg; rm -rf ~'" in finding.fix and "-n '$(touch PWNED)'" in finding.fix
    assert """--assignee 'a'"'"'b'""" in finding.fix


def test_jwt_prefix_check_flags_mappings_and_bindings_on_facts_built_directly() -> None:
    good = aks.JwtPrefix("gh", "jwt.json claimMappings.username", "username", "aks:jwt:github:", "expression")
    bad = aks.JwtPrefix("gh", "jwt.json claimMappings.groups", "groups", "team:", "expression")
    rb = {
        "kind": "RoleBinding",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "x", "namespace": "dev"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [
            {"kind": "User", "name": "github:repo:a/b"},
            {"kind": "User", "name": "aks:jwt:github:repo:a/c"},
            {"kind": "Group", "name": "github:team"},
        ],
    }
    ev = Evidence([Item(Kind.RBAC, "rbac.yaml", rb)])
    res = aks_checks.check_jwt_prefix(ev, _ctx(aks=aks_checks.AksFacts(prefixes=(good, bad))))
    titles = [x.title for x in res.findings]
    assert len(titles) == 2, titles
    assert "maps groups to values starting with 'team:'" in titles[0]
    assert "rbac.yaml subjects[0] names User 'github:repo:a/b'" in titles[1]
    assert "--user=aks:jwt:github:repo:a/b" in res.findings[1].fix
    only_good = aks_checks.check_jwt_prefix(Evidence(), _ctx(aks=aks_checks.AksFacts(prefixes=(good,))))
    assert only_good.status == Status.PASS
    assert aks_checks.check_jwt_prefix(Evidence(), _ctx()).status == Status.SKIPPED


def test_jwt_authenticators_are_judged_by_the_emulator(tmp_path: Path) -> None:
    from fixturekit.jose import jwk, jwks, sign, signing_key

    jwt = cloud.jwt_authenticator(
        "gh", "https://token.actions.githubusercontent.com", ["my-api"], "'aks:jwt:github:' + claims.sub"
    )
    claims = {"iss": "https://token.actions.githubusercontent.com", "aud": "my-api", "sub": "repo:a/b:ref:main",
              "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 300}  # fmt: skip
    _ev(tmp_path, {"jwt.json": jwt, "token.txt": sign(claims, "k1"), "jwks.json": jwks(jwk(signing_key(), "k1"))})
    doc = _diagnose(tmp_path / "b")
    assert doc["identity"]["username"] == "aks:jwt:github:repo:a/b:ref:main"
    assert doc["identity"]["source"] == "prediction"
    wrong_aud = dict(claims, aud="other")
    (tmp_path / "b" / "token.txt").write_text(sign(wrong_aud, "k1"))
    doc = _diagnose(tmp_path / "b")
    assert doc["findings"][0]["cause"] == "audience-mismatch"


def test_azure_rbacs_own_deny_reason_names_the_cause_without_az_aks_show(tmp_path: Path) -> None:
    text = (
        'Error from server (Forbidden): nodes is forbidden: User "b4fc35ea-2903-41e3-9d55-c962247645cc" cannot '
        'list resource "nodes" in API group "" at the cluster scope: ' + aks_checks.AZURE_RBAC_DENIED + "\n"
    )
    _ev(tmp_path, {"error.txt": text})
    doc = _diagnose(tmp_path / "b")
    first = doc["findings"][0]
    assert first["cause"] == "aks-azure-rbac", [f["cause"] for f in doc["findings"]]
    assert "--assignee b4fc35ea-2903-41e3-9d55-c962247645cc" in first["fix"]
    assert "-g RESOURCE_GROUP -n CLUSTER" in first["fix"]
    # A plain 403 without that reason and without az aks show is not Azure RBAC's.
    (tmp_path / "b" / "error.txt").write_text(text.split(": User does not")[0] + "\n")
    doc = _diagnose(tmp_path / "b")
    assert "aks-azure-rbac" not in [f["cause"] for f in doc["findings"]]


@pytest.mark.parametrize(
    "obj",
    [
        dict(cloud.aks_cluster(), aadProfile="managed"),
        dict(cloud.aks_cluster(), aadProfile={"managed": "true", "adminGroupObjectIDs": "g", "tenantId": 7}),
        {"type": "Microsoft.ContainerService/ManagedClusters", "aadProfile": None},
        {"type": "Microsoft.ContainerService/managedClusters/jwtAuthenticators", "properties": None},
        {"type": "Microsoft.ContainerService/managedClusters/jwtAuthenticators", "properties": {"claimMappings": 5}},
        dict(
            cloud.jwt_authenticator("x", "https://idp.example.com", ["a"], "'aks:jwt:' + claims.sub"),
            properties={"issuer": {"url": 5, "audiences": "a"}, "claimMappings": {"username": {"expression": 3}}},
        ),
        {"users": [{"name": "u", "user": {"exec": {"args": ["get-token", "--server-id"]}}}], "kind": "Config"},
    ],
)
def test_malformed_aks_inputs_never_crash(tmp_path: Path, obj: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OIDC_DOCTOR_STRICT", "1")  # a crashing check fails the test instead of reading as unknown
    _ev(tmp_path, {"x.json": obj, "token.txt": cloud.entra_token(cloud.entra_access_claims())})
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(tmp_path / "b"), "--now", "2026-11-28T10:25:12Z", "-o", "json"],
        IO(stdout=out, stderr=err, env={"OIDC_DOCTOR_STRICT": "1"}),
    )
    assert status in (0, 1, 2), err.getvalue()
    if status != 2:
        json.loads(out.getvalue())
    assert "Traceback" not in err.getvalue()


def test_guard_lines_in_an_aks_export_name_the_aks_causes(tmp_path: Path) -> None:
    from fixturekit import logs

    from oidc_doctor.logs.classify import classify_line

    aud = (
        f'failed to verify token for azure: oidc: expected audience "{aks.AKS_SERVER_APP}" '
        'got ["https://management.azure.com/"]'
    )
    v2 = (
        "failed to verify token for azure: oidc: id token issued by a different provider, expected "
        f'"https://sts.windows.net/{cloud.TENANT}/" got "https://login.microsoftonline.com/{cloud.TENANT}/v2.0"'
    )
    spn = "[invalid bearer token, service principal with group membership exceeding 200 is not supported. See ...]"
    lines = [logs.klog("E", -20, "utils.go:130", aud), logs.klog("E", -10, "utils.go:130", v2), logs.unable(spn, -5)]
    codes = [v.code for v in (classify_line(x.encode()) for x in lines) if v is not None]
    assert codes == ["aks-entra-audience-mismatch", "aks-entra-wrong-token-type", "aks-entra-group-overage"]
    records = [("guard", -20, lines[0]), ("guard", -10, lines[1]), ("kube-apiserver", -5, lines[2])]
    _ev(tmp_path, {"aks.json": cloud.aks_cluster(), "PT1H.json": cloud.aks_resource_logs(records)})
    doc = _diagnose(tmp_path / "b")
    causes = [f["cause"] for f in doc["findings"]]
    assert set(causes) == {"aks-entra-audience-mismatch", "aks-entra-wrong-token-type", "aks-entra-group-overage"}
    guard = next(f for f in doc["findings"] if f["cause"] == "aks-entra-audience-mismatch")
    assert guard["title"].startswith("AKS's Entra ID webhook (guard) rejected the token")
    assert guard["evidence"][0]["ref"] == "b/PT1H.json line 1"


def test_jwt_prefix_check_uses_the_identity_when_the_mapping_has_no_longer_literal() -> None:
    from oidc_doctor.model import Identity

    groups = aks.JwtPrefix("dex", "jwt.json claimMappings.groups", "groups", "aks:jwt:", "expression")
    rb = {
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "devs"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "Group", "name": "devs"}, {"kind": "Group", "name": "aks:jwt:ops"}],
    }
    ev = Evidence([Item(Kind.RBAC, "rbac.yaml", rb)])
    ident = Identity("aks:jwt:alice", ["aks:jwt:devs", "aks:jwt:ops"], source="prediction")
    res = aks_checks.check_jwt_prefix(ev, _ctx(aks=aks_checks.AksFacts(prefixes=(groups,)), identity=ident))
    (finding,) = res.findings
    assert "names Group 'devs'; AKS calls this identity 'aks:jwt:devs'" in finding.title
    # Without the identity the bare group cannot be told from any other: no finding.
    assert aks_checks.check_jwt_prefix(ev, _ctx(aks=aks_checks.AksFacts(prefixes=(groups,)))).status == Status.PASS


def test_kubectls_removed_azure_auth_provider_is_read_and_its_spn_audience_named(tmp_path: Path) -> None:
    cfg = yaml.safe_load(cloud.aks_kubeconfig())
    cfg["users"][0]["user"] = {
        "auth-provider": {
            "name": "azure",
            "config": {
                "apiserver-id": aks.AKS_SERVER_APP,
                "client-id": aks.AKS_CLIENT_APP,
                "tenant-id": cloud.TENANT,
                "environment": "AzurePublicCloud",
            },
        }
    }
    (u,) = aks.azure_kubelogin_users(cfg, "kc")
    assert u.auth_provider and u.legacy and u.server_id == aks.AKS_SERVER_APP
    _ev(tmp_path, {"kubeconfig.yaml": yaml.safe_dump(cfg), "aks.json": cloud.aks_cluster()})
    doc = _diagnose(tmp_path / "b")
    first = doc["findings"][0]
    assert first["cause"] == "aks-entra-audience-mismatch" and "auth-provider: azure" in first["title"]
    cfg["users"][0]["user"]["auth-provider"]["config"]["config-mode"] = "1"
    (u,) = aks.azure_kubelogin_users(cfg, "kc")
    assert not u.legacy
