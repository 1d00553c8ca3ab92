"""Live sources: read the objects the proxy checks need into the same Evidence a bundle gives.

Workloads (Deployments, StatefulSets, DaemonSets), ConfigMaps, Ingresses and Helm release
Secrets (label ``owner=helm``, type ``helm.sh/release.v1``; no other Secret is requested). A list
the API server refuses is recorded in ``ev.blind`` with its reason, so checks say ``unknown``.
"""

from __future__ import annotations

from oidc_doctor.evidence import Evidence, InputRecord, Item, Kind
from oidc_doctor.live.client import ApiClient, LiveError, core_path, workload_path

PROXY_BLIND_KEY = "proxy"


def _name(obj: dict[str, object]) -> str:
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        return f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    return "?"


def read_proxy_objects(client: ApiClient, namespace: str | None, ev: Evidence) -> None:
    """List what the proxy checks read, in ``namespace`` or all namespaces (None)."""
    ns = namespace or ""
    lists: list[tuple[Kind, str, str | None]] = [
        (Kind.WORKLOAD, workload_path("Deployment", ns), None),
        (Kind.WORKLOAD, workload_path("StatefulSet", ns), None),
        (Kind.WORKLOAD, workload_path("DaemonSet", ns), None),
        (Kind.CONFIGMAP, core_path("configmaps", namespace), None),
        (
            Kind.INGRESS,
            f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses" if ns else "/apis/networking.k8s.io/v1/ingresses",
            None,
        ),
        (Kind.HELM_RELEASE, core_path("secrets", namespace), "owner=helm"),
    ]
    for kind, path, selector in lists:
        where = f"live {path}" + (f"?labelSelector={selector}" if selector else "")
        try:
            items = client.list(path, label_selector=selector)
        except LiveError as e:
            reason = str(e)
            ev.blind[PROXY_BLIND_KEY] = "; ".join(filter(None, [ev.blind.get(PROXY_BLIND_KEY), reason]))
            ev.inputs.append(InputRecord(where, "unreadable", reason=reason))
            continue
        count = 0
        for obj in items:
            if kind == Kind.HELM_RELEASE and obj.get("type") != "helm.sh/release.v1":
                continue
            obj.setdefault("kind", "Secret" if kind == Kind.HELM_RELEASE else obj.get("kind"))
            ev.add(Item(kind, f"live {obj.get('kind')} {_name(obj)}", obj))
            count += 1
        ev.inputs.append(InputRecord(where, str(kind), objects=count))
