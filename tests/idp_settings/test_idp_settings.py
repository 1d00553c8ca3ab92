"""The identity provider's own settings (Dex config, Keycloak exports) judged against the API server.

The shapes are the providers' own: Dex's config file (dexidp/dex examples/config-dev.yaml) and its
Helm chart's ``config`` value, Keycloak's realm export (``kc.sh export`` / admin console "Partial
export") and one client's export. What the tool predicts from them is cited in oidc_doctor/idp/settings.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.idp.settings import DEX, KEYCLOAK, parse
from oidc_doctor.pipeline import run

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

APISERVER = """\
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp1
  namespace: kube-system
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.31.2
    command:
    - kube-apiserver
    - --oidc-issuer-url={issuer}
    - --oidc-client-id=kubernetes
    - --oidc-username-claim=email
    - --oidc-groups-claim=groups
    - "--oidc-username-prefix=oidc:"
    - "--oidc-groups-prefix=oidc:"
"""

BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dev-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "oidc:%s"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
"""

KC_ISSUER = "https://keycloak.example.com/realms/k8s"


def _groups_mapper(**conf: str) -> dict[str, Any]:
    config = {"claim.name": "groups", "full.path": "true", "id.token.claim": "true", "access.token.claim": "true"}
    config.update(conf)
    return {
        "name": "groups",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-group-membership-mapper",
        "config": config,
    }


def _realm(client_mappers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    realm: dict[str, Any] = {
        "realm": "k8s",
        "accessTokenLifespan": 300,
        "clients": [
            {
                "clientId": "kubernetes",
                "protocol": "openid-connect",
                "secret": "kc-client-secret-do-not-print",
                "protocolMappers": client_mappers,
                "defaultClientScopes": ["profile", "email"],
                "optionalClientScopes": ["offline_access"],
            }
        ],
    }
    realm.update(extra)
    return realm


def _bundle(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _diagnose(folder: Path) -> dict[str, Any]:
    ev = read_bundle(folder)
    report = run(ev, Context(now=NOW, now_source="flag"))
    out: dict[str, Any] = report.to_json()
    return out


def _codes(report: dict[str, Any]) -> list[str]:
    return [f["cause"] for f in report["findings"]]


def test_keycloak_full_group_path_against_bare_binding_names_is_the_first_cause(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(_realm([_groups_mapper()])),
            "rbac.yaml": BINDING % "dev",
        },
    )
    report = _diagnose(folder)
    assert _codes(report)[0] == "group-name-mismatch", _codes(report)
    first = report["findings"][0]
    assert "oidc:/dev" in first["title"] and "'oidc:dev'" in first["title"]
    assert "Full group path" in first["fix"]


def test_keycloak_full_path_matching_slashed_bindings_is_healthy(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(_realm([_groups_mapper()])),
            "rbac.yaml": BINDING % "/dev",
        },
    )
    report = _diagnose(folder)
    assert "group-name-mismatch" not in _codes(report)
    assert any(c["id"] == "idp.groups" and c["status"] == "pass" for c in report["checks"])


def test_keycloak_mapper_absent_from_the_id_token_means_no_groups(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(_realm([_groups_mapper(**{"id.token.claim": "false"})])),
        },
    )
    report = _diagnose(folder)
    assert _codes(report)[0] == "groups-claim-missing", _codes(report)
    assert "ID token" in report["findings"][0]["title"]


def test_keycloak_groups_mapper_with_another_claim_name(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(_realm([_groups_mapper(**{"claim.name": "roles"})])),
        },
    )
    report = _diagnose(folder)
    assert "groups-claim-missing" in _codes(report)
    assert "roles" in next(f for f in report["findings"] if f["cause"] == "groups-claim-missing")["title"]


def test_keycloak_mapper_in_a_default_client_scope_counts(tmp_path: Path) -> None:
    realm = _realm([])
    realm["clients"][0]["defaultClientScopes"].append("groups")
    realm["clientScopes"] = [{"name": "groups", "protocol": "openid-connect", "protocolMappers": [_groups_mapper()]}]
    settings = parse(realm, "realm.json")
    assert settings is not None and settings.product == KEYCLOAK
    client = settings.client("kubernetes")
    assert client is not None and [m.via for m in client.groups] == ["groups"]
    assert not client.groups[0].optional


def test_keycloak_realm_of_another_issuer_is_an_issuer_mismatch(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", "https://keycloak.example.com/realms/master"),
            "realm-export.json": json.dumps(_realm([_groups_mapper()])),
        },
    )
    report = _diagnose(folder)
    assert _codes(report)[0] == "issuer-mismatch", _codes(report)


def test_dex_issuer_with_a_trailing_slash_is_an_issuer_mismatch(tmp_path: Path) -> None:
    dex = (
        "issuer: https://dex.example.com/\n"
        "storage: {type: kubernetes, config: {inCluster: true}}\n"
        "connectors:\n- type: github\n  id: github\n  name: GitHub\n"
        "  config: {clientID: abc, clientSecret: gh-secret-do-not-print, redirectURI: https://dex.example.com/callback}\n"
        "staticClients:\n- id: kubernetes\n  name: Kubernetes\n  secret: dex-client-secret-do-not-print\n"
        "  redirectURIs: [http://localhost:8000]\n"
    )
    folder = _bundle(
        tmp_path, {"apiserver.yaml": APISERVER.replace("{issuer}", "https://dex.example.com"), "dex.yaml": dex}
    )
    report = _diagnose(folder)
    assert _codes(report)[0] == "issuer-mismatch", _codes(report)
    text = json.dumps(report)
    assert "do-not-print" not in text


def test_dex_helm_values_config_is_read() -> None:
    values = {
        "replicaCount": 1,
        "config": {
            "issuer": "https://dex.example.com",
            "storage": {"type": "memory"},
            "expiry": {"idTokens": "10m"},
            "staticClients": [{"id": "kubeapps"}],
        },
    }
    s = parse(values, "values.yaml")
    assert s is not None and s.product == DEX
    assert s.id_token_lifetime_s == 600.0
    assert s.lifetime_for("kubeapps") == (600.0, "values.yaml expiry.idTokens: 10m")


def test_dex_default_id_token_lifetime_is_a_day() -> None:
    s = parse({"issuer": "https://dex.example.com", "storage": {"type": "memory"}}, "dex.yaml")
    assert s is not None and s.id_token_lifetime_s == 24 * 3600


def test_keycloak_client_lifespan_overrides_the_realm() -> None:
    realm = _realm([])
    realm["clients"][0]["attributes"] = {"access.token.lifespan": "900"}
    s = parse(realm, "realm.json")
    assert s is not None
    assert s.lifetime_for("kubernetes")[0] == 900.0
    assert s.lifetime_for("other")[0] == 300.0


PROXY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: oauth2-proxy, namespace: auth}
spec:
  template:
    spec:
      containers:
      - name: oauth2-proxy
        image: quay.io/oauth2-proxy/oauth2-proxy:v7.6.0
        args:
        - --provider=oidc
        - --oidc-issuer-url=%s
        - --client-id=oauth2-proxy
        - --upstream=http://headlamp.auth.svc
        - --pass-authorization-header=true
        - --scope=openid email groups
        - --cookie-refresh=%s
"""


def test_keycloak_audience_mapper_makes_another_client_id_acceptable(tmp_path: Path) -> None:
    realm = _realm([_groups_mapper()])
    aud_config = {"included.client.audience": "kubernetes", "id.token.claim": "true"}
    audience = {"name": "aud", "protocolMapper": "oidc-audience-mapper", "config": aud_config}
    realm["clients"].append(
        {"clientId": "oauth2-proxy", "protocol": "openid-connect", "protocolMappers": [_groups_mapper(), audience]}
    )
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(realm),
            "proxy.yaml": PROXY % (KC_ISSUER, "2m"),
        },
    )
    assert "audience-mismatch" not in _codes(_diagnose(folder))
    aud_config["id.token.claim"] = "false"  # only in the access token: the id_token's aud stays
    (tmp_path / "realm-export.json").write_text(json.dumps(realm))
    assert "audience-mismatch" in _codes(_diagnose(folder))


def test_keycloak_lifespan_judges_the_proxy_refresh_without_a_token(tmp_path: Path) -> None:
    realm = _realm([_groups_mapper()])
    realm["clients"].append({"clientId": "oauth2-proxy", "protocol": "openid-connect"})
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(realm),
            "proxy.yaml": PROXY % (KC_ISSUER, "10m"),
        },
    )
    report = _diagnose(folder)
    found = [f for f in report["findings"] if f["cause"] == "proxy-cookie-refresh-too-long"]
    assert found, _codes(report)
    assert any(e["source"] == "idp-config" and "accessTokenLifespan" in e["ref"] for e in found[0]["evidence"])


def test_dex_config_in_a_configmap_is_read(tmp_path: Path) -> None:
    cm = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dex\n  namespace: dex\ndata:\n  config.yaml: |\n"
        "    issuer: https://dex.example.com/dex\n    storage:\n      type: kubernetes\n"
        "    staticClients:\n    - id: kubernetes\n      secret: dex-cm-secret-do-not-print\n"
    )
    folder = _bundle(
        tmp_path, {"apiserver.yaml": APISERVER.replace("{issuer}", "https://dex.example.com"), "cm.yaml": cm}
    )
    report = _diagnose(folder)
    assert _codes(report)[0] == "issuer-mismatch", _codes(report)
    assert "do-not-print" not in json.dumps(report)


PROXY_NO_GROUPS = PROXY.replace("- --scope=openid email groups", "- --scope=openid email").replace(
    "--client-id=oauth2-proxy", "--client-id=kubernetes"
)


def test_a_groups_mapper_on_the_client_needs_no_groups_scope(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(_realm([_groups_mapper(**{"full.path": "false"})])),
            "proxy.yaml": PROXY_NO_GROUPS % (KC_ISSUER, "2m"),
        },
    )
    assert "groups-claim-missing" not in _codes(_diagnose(folder))


def test_a_groups_mapper_in_an_optional_scope_needs_that_scope(tmp_path: Path) -> None:
    realm = _realm([])
    realm["clients"][0]["optionalClientScopes"].append("groups")
    realm["clientScopes"] = [
        {"name": "groups", "protocol": "openid-connect", "protocolMappers": [_groups_mapper(**{"full.path": "false"})]}
    ]
    folder = _bundle(
        tmp_path,
        {
            "apiserver.yaml": APISERVER.replace("{issuer}", KC_ISSUER),
            "realm-export.json": json.dumps(realm),
            "proxy.yaml": PROXY_NO_GROUPS % (KC_ISSUER, "2m"),
        },
    )
    report = _diagnose(folder)
    found = [f for f in report["findings"] if f["cause"] == "groups-claim-missing"]
    assert found and found[0]["severity"] == "error", _codes(report)
    assert "only for scope `groups`" in found[0]["title"]
