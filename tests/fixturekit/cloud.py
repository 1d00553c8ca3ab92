"""What the clouds' CLIs print: control-plane log exports, ``az aks show``, ``az aks jwtauthenticator``,
an AKS kubeconfig with kubelogin's Azure mode, Entra ID access tokens for the AKS server application.

Sources of each shape:
- ``aws logs filter-log-events --output json``: the AWS CLI reference of ``filter-log-events``
  (``events[].logStreamName/timestamp/message/ingestionTime/eventId``, ``searchedLogStreams``); EKS
  stream names from docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html.
- ``gcloud logging read --format json``: the Cloud Logging ``LogEntry`` (``logName``, ``resource``,
  ``timestamp``, ``textPayload``/``jsonPayload``, ``receiveTimestamp``, ``insertId``); GKE control plane
  component logs (``container.googleapis.com%2Fapiserver``, ``k8s_control_plane_component``).
- AKS resource logs: Azure Monitor's resource-log schema (``time``, ``resourceId``, ``category``,
  ``operationName``, ``properties.log/stream/pod``), one record per line in a storage account blob;
  ``az monitor log-analytics query -o json`` rows of ``AzureDiagnostics`` (``Category``, ``log_s``).
- ``az aks show -o json``: the ManagedCluster resource (``aadProfile.managed``, ``enableAzureRbac``,
  ``adminGroupObjectIDs``, ``tenantId``; ``fqdn`` ``*.hcp.REGION.azmk8s.io``).
- ``az aks jwtauthenticator show -o json``: the ``jwtAuthenticators`` ARM resource (azure-rest-api-specs
  example "JWTAuthenticators_CreateOrUpdate", API 2025-07-02-preview; the CLI's table format reads
  ``properties.issuer.url``/``audiences`` and ``provisioningState``, azure-cli-extensions
  ``src/aks-preview/azext_aks_preview/_format.py``).
- AKS kubeconfig: what ``az aks get-credentials`` writes for AKS-managed Entra ID since 1.24
  (``kubelogin get-token --environment AzurePublicCloud --server-id 6dae42f8-... --client-id
  80faf920-... --tenant-id ... --login devicecode``; Azure/kubelogin docs/book/src/concepts/aks.md).
- Entra ID v1 access token claims for the AKS server application: ``aud`` the server application id,
  ``iss`` ``https://sts.windows.net/TENANT/``, ``appid``, ``scp``, ``oid``, ``upn``, ``ver: "1.0"``;
  group overage replaces ``groups`` by ``_claim_names``/``_claim_sources``
  (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fixturekit.clock import NOW, NOW_DT
from fixturekit.jose import sign

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
AKS_CLIENT_APP = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
CLUSTER = "aks-prod"
RG = "rg-prod"
FQDN = "aks-prod-dns-4k2m1x9q.hcp.westeurope.azmk8s.io"
ADMIN_GROUP = "3f5c8a1e-2b7d-4e9a-8c6f-1d2e3f4a5b6c"
DEV_GROUP = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
ALICE_OID = "4c7d2e1f-8a9b-4c3d-9e8f-7a6b5c4d3e2f"
ENTRA_KID = "entra-demo-key"
CLUSTER_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RG}/providers/Microsoft.ContainerService/managedClusters/{CLUSTER}"
)
EKS_STREAM = "kube-apiserver-8c3a1f0e6b2d4a9c7e5f1b3d2a4c6e8f"
EKS_AUDIT_STREAM = "kube-apiserver-audit-8c3a1f0e6b2d4a9c7e5f1b3d2a4c6e8f"
EKS_AUTHENTICATOR_STREAM = "authenticator-8c3a1f0e6b2d4a9c7e5f1b3d2a4c6e8f"


def _ms(delta_s: float) -> int:
    return int((NOW_DT + timedelta(seconds=delta_s)).timestamp() * 1000)


def _azure_time(delta_s: float) -> str:
    t = NOW_DT + timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}0Z"  # Azure writes 7 fraction digits


def _google_time(delta_s: float) -> str:
    t = NOW_DT + timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}123Z"  # Google writes 9


def cloudwatch_export(events: Sequence[tuple[str, float, str]]) -> str:
    """``aws logs filter-log-events --output json``: ``events`` are ``(stream, seconds from NOW, message)``."""
    out = []
    for i, (stream, delta, message) in enumerate(events):
        out.append(
            {
                "logStreamName": stream,
                "timestamp": _ms(delta),
                "message": message,
                "ingestionTime": _ms(delta + 1.2),
                "eventId": f"3791{i:052d}",
            }
        )
    streams = sorted({s for s, _, _ in events})
    doc = {"events": out, "searchedLogStreams": [{"logStreamName": s, "searchedCompletely": True} for s in streams]}
    return json.dumps(doc, indent=4) + "\n"


def gcloud_export(
    entries: Sequence[tuple[str, float, str]], project: str = "prod-project", cluster: str = "gke-prod"
) -> str:
    """``gcloud logging read ... --format json``: ``entries`` are ``(component, seconds from NOW, klog message)``;
    ``apiserver`` entries carry the message in ``jsonPayload.message`` (structured logging), others in
    ``textPayload``. gcloud prints the newest entry first."""
    out = []
    for i, (component, delta, message) in enumerate(entries):
        entry: dict[str, Any] = {
            "insertId": f"g{i:04d}x1k2m3",
            "logName": f"projects/{project}/logs/container.googleapis.com%2F{component}",
            "receiveTimestamp": _google_time(delta + 0.5),
            "resource": {
                "labels": {
                    "cluster_name": cluster,
                    "component_location": "europe-west3",
                    "component_name": component,
                    "location": "europe-west3",
                    "project_id": project,
                },
                "type": "k8s_control_plane_component",
            },
            "severity": "ERROR" if message.startswith("E") else "INFO",
            "timestamp": _google_time(delta),
        }
        if component == "apiserver":
            entry["jsonPayload"] = {"message": message.split("] ", 1)[-1]}
            entry["sourceLocation"] = {"file": "authentication.go", "line": "73"}
        else:
            entry["textPayload"] = message
        out.append(entry)
    out.reverse()
    return json.dumps(out, indent=2) + "\n"


def aks_resource_id() -> str:
    """The cluster's ARM id as Azure Monitor writes it in resource logs (upper case)."""
    return (
        f"/SUBSCRIPTIONS/{SUBSCRIPTION}/RESOURCEGROUPS/{RG.upper()}/PROVIDERS/"
        f"MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/{CLUSTER.upper()}"
    )


def aks_resource_logs(records: Sequence[tuple[str, float, str]]) -> str:
    """A storage account blob of AKS resource logs: one JSON record per line; ``records`` are
    ``(category, seconds from NOW, log line)``."""
    lines = []
    for category, delta, log in records:
        pod = "guard-6f7d8c9b5-x2k4p" if category == "guard" else "kube-apiserver-7d9f8b6c4-q8w2z"
        rec = {
            "attrs": "{}",
            "category": category,
            "ccpNamespace": "65f1c2b3a4d5e6f7a8b9c0d1",
            "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
            "properties": {"containerID": "4e8f" * 16, "log": log, "pod": pod, "stream": "stderr"},
            "resourceId": aks_resource_id(),
            "time": _azure_time(delta),
        }
        lines.append(json.dumps(rec, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def aks_log_analytics(rows: Sequence[tuple[str, float, str]]) -> str:
    """``az monitor log-analytics query -o json`` over the ``AzureDiagnostics`` table."""
    out = [
        {
            "Category": category,
            "ResourceId": aks_resource_id(),
            "TableName": "PrimaryResult",
            "TimeGenerated": _azure_time(delta),
            "log_s": log,
            "pod_s": "kube-apiserver-7d9f8b6c4-q8w2z",
            "stream_s": "stderr",
        }
        for category, delta, log in rows
    ]
    return json.dumps(out, indent=2) + "\n"


def aks_cluster(
    *,
    managed: bool = True,
    azure_rbac: bool = False,
    admin_groups: tuple[str, ...] = (ADMIN_GROUP,),
    version: str = "1.31.2",
    local_accounts: bool = True,
) -> dict[str, Any]:
    """``az aks show -g RG -n NAME -o json`` (the fields a login diagnosis reads, in the CLI's order)."""
    aad: dict[str, Any] | None = (
        {
            "adminGroupObjectIDs": list(admin_groups),
            "adminUsers": None,
            "clientAppId": None,
            "enableAzureRbac": azure_rbac,
            "managed": True,
            "serverAppId": None,
            "serverAppSecret": None,
            "tenantId": TENANT,
        }
        if managed
        else None
    )
    return {
        "aadProfile": aad,
        "azurePortalFqdn": FQDN.replace(".hcp.", ".portal.hcp."),
        "currentKubernetesVersion": version,
        "disableLocalAccounts": not local_accounts,
        "dnsPrefix": "aks-prod-dns",
        "enableRbac": True,
        "fqdn": FQDN,
        "id": CLUSTER_ID,
        "kubernetesVersion": version,
        "location": "westeurope",
        "name": CLUSTER,
        "nodeResourceGroup": f"MC_{RG}_{CLUSTER}_westeurope",
        "oidcIssuerProfile": {"enabled": False, "issuerUrl": None},
        "provisioningState": "Succeeded",
        "resourceGroup": RG,
        "type": "Microsoft.ContainerService/ManagedClusters",
    }


def jwt_authenticator(
    name: str,
    issuer: str,
    audiences: list[str],
    username_expression: str,
    groups_expression: str | None = None,
) -> dict[str, Any]:
    """``az aks jwtauthenticator show -g RG --cluster-name NAME --name AUTH -o json``."""
    mappings: dict[str, Any] = {"username": {"expression": username_expression}}
    if groups_expression is not None:
        mappings["groups"] = {"expression": groups_expression}
    return {
        "id": f"{CLUSTER_ID}/jwtAuthenticators/{name}",
        "name": name,
        "properties": {
            "claimMappings": mappings,
            "claimValidationRules": [{"expression": "has(claims.sub)", "message": "must have sub claim"}],
            "issuer": {"audiences": audiences, "url": issuer},
            "provisioningState": "Succeeded",
            "userValidationRules": [],
        },
        "resourceGroup": RG,
        "systemData": None,
        "type": "Microsoft.ContainerService/managedClusters/jwtAuthenticators",
    }


def aks_kubeconfig(*extra: str, login: str = "devicecode", server_id: str = AKS_SERVER_APP) -> str:
    """The kubeconfig ``az aks get-credentials`` writes for AKS-managed Entra ID (exec: kubelogin)."""
    args = [
        "get-token",
        "--environment",
        "AzurePublicCloud",
        "--server-id",
        server_id,
        "--client-id",
        AKS_CLIENT_APP,
        "--tenant-id",
        TENANT,
        "--login",
        login,
        *extra,
    ]
    arg_lines = "".join(f"      - {a}\n" for a in args)
    return (
        "apiVersion: v1\n"
        "clusters:\n"
        "- cluster:\n"
        "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=\n"
        f"    server: https://{FQDN}:443\n"
        f"  name: {CLUSTER}\n"
        "contexts:\n"
        "- context:\n"
        f"    cluster: {CLUSTER}\n"
        f"    user: clusterUser_{RG}_{CLUSTER}\n"
        f"  name: {CLUSTER}\n"
        f"current-context: {CLUSTER}\n"
        "kind: Config\n"
        "preferences: {}\n"
        "users:\n"
        f"- name: clusterUser_{RG}_{CLUSTER}\n"
        "  user:\n"
        "    exec:\n"
        "      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      args:\n"
        f"{arg_lines}"
        "      command: kubelogin\n"
        "      env: null\n"
        "      installHint: |2\n\n"
        "        kubelogin is not installed which is required to connect to AAD enabled cluster.\n"
        "      interactiveMode: IfAvailable\n"
        "      provideClusterInfo: false\n"
    )


def entra_access_claims(**over: Any) -> dict[str, Any]:
    """An Entra ID v1 access token for the AKS server application, as kubelogin gets it for alice."""
    claims: dict[str, Any] = {
        "aud": AKS_SERVER_APP,
        "iss": f"https://sts.windows.net/{TENANT}/",
        "iat": NOW - 600,
        "nbf": NOW - 600,
        "exp": NOW + 3000,
        "acr": "1",
        "aio": "AVQAq/8YAAAA",
        "amr": ["pwd", "mfa"],
        "appid": AKS_CLIENT_APP,
        "appidacr": "0",
        "family_name": "Example",
        "given_name": "Alice",
        "groups": [DEV_GROUP],
        "ipaddr": "203.0.113.7",
        "name": "Alice Example",
        "oid": ALICE_OID,
        "rh": "0.AXEAv4j5cvGGr0GRqy180BHbR0f-QW1oQ3hGlP85YOjjNjA.",
        "scp": "user.read",
        "sub": "Zq3mK8yNw1vF4tHb7cXe2dRj5sLp9aGu0iOk6nMh3Qw",
        "tid": TENANT,
        "unique_name": "alice@example.com",
        "upn": "alice@example.com",
        "uti": "kE2rT9yUiOpA3sDfGhJkLq",
        "ver": "1.0",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def overage(claims: dict[str, Any]) -> dict[str, Any]:
    """The same token for a member of more than 200 groups: Entra drops ``groups`` and points to Graph."""
    out = {k: v for k, v in claims.items() if k != "groups"}
    out["_claim_names"] = {"groups": "src1"}
    out["_claim_sources"] = {
        "src1": {"endpoint": f"https://graph.windows.net/{TENANT}/users/{ALICE_OID}/getMemberObjects"}
    }
    return out


def entra_token(claims: dict[str, Any]) -> str:
    """Signed with the seeded demo key (no JWKS is shipped: AKS's webhook holds Entra's keys)."""
    return sign(claims, ENTRA_KID)
