"""Proxy area benchmarks: live-client import cost, and the proxy checks over many workloads.

Run: ``python benchmarks/bench_proxy.py`` (or ``make bench``). Prints medians and ratios to the
baselines measured in the same run: ``python -c pass`` for imports, and ``jq`` extracting every
container's args from the same JSON for the checks (the manual way to look at proxy flags).
Generated data goes to ``benchmarks/data/`` (git-ignored).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DATA = HERE / "data"
FIXTURES = HERE.parent / "tests" / "proxy" / "fixtures"
RUNS = 7


def _time_cmd(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _import_cost(stmt: str) -> float:
    """Median in-process import time of ``stmt`` in a fresh interpreter."""
    code = f"import time; t=time.perf_counter(); {stmt}; print(time.perf_counter()-t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(RUNS)
    ]
    return statistics.median(times)


def imports() -> None:
    """How much a live command pays for its client, against the bare interpreter."""
    base = _time_cmd([sys.executable, "-c", "pass"])
    print(f"python -c pass (whole process): {base * 1000:.1f} ms")
    for stmt in (
        "import httpx",
        "import lightkube.config.kubeconfig",
        "import oidc_doctor.live.client",
        "import oidc_doctor.live.client, oidc_doctor.live.kubeconfig, lightkube.config.kubeconfig",
        "import oidc_doctor.checks.proxy",
    ):
        cost = _import_cost(stmt)
        print(f"{stmt:<90} {cost * 1000:6.1f} ms  ({cost / base:.2f}x python -c pass)")


def _workloads(n: int) -> dict[str, Any]:
    from oidc_doctor.loader import load_documents

    docs = []
    for name in ("kubeapps-7.0.4-deployment.yaml", "kubeapps-7.1.0-deployment.yaml", "kubeapps-8.0.0-deployment.yaml"):
        docs += [d.data for d in load_documents((FIXTURES / name).read_text(), name)]
    items = []
    for i in range(n):
        obj = json.loads(json.dumps(docs[i % len(docs)]))
        obj["metadata"]["name"] = f"kubeapps-{i}"
        obj["metadata"]["namespace"] = f"team-{i % 50}"
        items.append(obj)
    return {"apiVersion": "v1", "kind": "List", "items": items}


def checks(n: int = 2000) -> None:
    """The proxy deriver and checks over ``n`` Kubeapps Deployments, against jq reading the same file."""
    from datetime import UTC, datetime

    from oidc_doctor.checks.base import Context
    from oidc_doctor.checks.proxy import CHECKS, derive_proxies
    from oidc_doctor.evidence import Evidence, Item, Kind

    DATA.mkdir(exist_ok=True)
    path = DATA / f"proxy-workloads-{n}.json"
    doc = _workloads(n)
    path.write_text(json.dumps(doc))
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        loaded = json.loads(path.read_text())
        ev = Evidence([Item(Kind.WORKLOAD, f"w{i}", o) for i, o in enumerate(loaded["items"])])
        ctx = Context(now=datetime(2026, 11, 28, tzinfo=UTC))
        ctx = ctx.but(facts=ctx.facts.but(token_lifetime_s=300.0))
        ctx = ctx.but(facts=ctx.facts.but(token_size=900))
        ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
        for c in CHECKS:
            c.run(ev, ctx)
        times.append(time.perf_counter() - t)
    ours = statistics.median(times)
    print(f"proxy checks over {n} Deployments (load + derive + 9 checks): {ours * 1000:.1f} ms")
    jq = shutil.which("jq")
    if jq:
        base = _time_cmd([jq, "-c", ".items[].spec.template.spec.containers[].args", str(path)])
        print(f"jq extracting every container's args from the same file:      {base * 1000:.1f} ms")
        print(f"ratio: {ours / base:.2f}x jq")
    else:
        print("jq not installed: no baseline")


def _helm_records(n_releases: int, revisions: int) -> dict[str, Any]:
    """``kubectl get secret -l owner=helm -A -o json`` of ``n_releases`` releases of ``revisions``
    revisions each (Helm keeps ten), with chart values, templates and a rendered manifest."""
    import base64

    from oidc_doctor.proxy.helm import encode_release

    template = base64.b64encode(b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n" * 200).decode()
    items = []
    for r in range(n_releases):
        for v in range(1, revisions + 1):
            name, ns = f"rel-{r:03d}", f"ns-{r % 50}"
            status = "deployed" if v == revisions else "superseded"
            payload = {
                "name": name,
                "namespace": ns,
                "version": v,
                "info": {"status": status, "notes": "x" * 2000},
                "chart": {
                    "metadata": {"name": "kubeapps" if r == 7 else f"chart-{r % 40}", "version": f"1.{v}.0"},
                    "values": {f"key{i}": {"enabled": True, "image": f"img{i}:{v}", "replicas": i} for i in range(150)},
                    "templates": [{"name": f"templates/t{i}.yaml", "data": template} for i in range(20)],
                },
                "config": {"replicas": 2, "image": {"tag": f"v{v}"}},
                "manifest": "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n" * 300,
            }
            items.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "helm.sh/release.v1",
                    "metadata": {
                        "name": f"sh.helm.release.v1.{name}.v{v}",
                        "namespace": ns,
                        "labels": {"name": name, "owner": "helm", "status": status, "version": str(v)},
                    },
                    "data": {"release": base64.b64encode(encode_release(payload).encode()).decode()},
                }
            )
    return {"apiVersion": "v1", "kind": "List", "items": items}


def helm_records(n_releases: int = 200, revisions: int = 10) -> None:
    """The proxy deriver (and the Headlamp finder) over every Helm release record of a cluster."""
    from datetime import UTC, datetime

    from oidc_doctor.checks.base import Context
    from oidc_doctor.checks.clients import headlamps
    from oidc_doctor.checks.proxy import derive_proxies
    from oidc_doctor.evidence import Evidence, Item, Kind

    DATA.mkdir(exist_ok=True)
    path = DATA / f"helm-records-{n_releases}x{revisions}.json"
    if not path.exists():
        path.write_text(json.dumps(_helm_records(n_releases, revisions)))
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        loaded = json.loads(path.read_text())
        ev = Evidence([Item(Kind.HELM_RELEASE, f"s{i}", o) for i, o in enumerate(loaded["items"])])
        ctx = Context(now=datetime(2026, 11, 28, tzinfo=UTC))
        ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
        headlamps(ev, ctx)
        times.append(time.perf_counter() - t)
    ours = statistics.median(times)
    n = n_releases * revisions
    size = path.stat().st_size / 1e6
    print(f"proxy deriver + Headlamp finder over {n} Helm release records ({size:.0f} MB): {ours * 1000:.1f} ms")
    jq = shutil.which("jq")
    if jq:
        base = _time_cmd([jq, "-c", ".items[].metadata.labels", str(path)])
        print(f"jq listing the same records' labels:                               {base * 1000:.1f} ms")
        print(f"ratio: {ours / base:.2f}x jq")


def _pod(i: int) -> dict[str, Any]:
    """One Pod as ``kubectl get pods -A -o json`` prints it: labels, annotations, managedFields,
    owner, a container with env and probes' neighbours, the service-account volume, status."""
    ns, name = f"team-{i % 300}", f"app-{i:05d}-7d9f8c6b5-x{i % 97:02d}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-01T10:00:00Z"},
            "creationTimestamp": "2026-11-20T10:00:00Z",
            "labels": {"app.kubernetes.io/name": f"app-{i % 500}", "pod-template-hash": "7d9f8c6b5"},
            "managedFields": [
                {
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {"f:containers": {'k:{"name":"app"}': {}}}},
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "time": "2026-11-20T10:00:00Z",
                }
            ],
            "name": name,
            "namespace": ns,
            "ownerReferences": [{"apiVersion": "apps/v1", "controller": True, "kind": "ReplicaSet", "name": name[:-6]}],
            "resourceVersion": str(500000 + i),
            "uid": f"{i:08x}-1111-2222-3333-{i:012x}",
        },
        "spec": {
            "containers": [
                {
                    "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_HOST", "value": f"db.{ns}.svc"}],
                    "image": f"registry.example.com/team/app-{i % 500}:1.{i % 40}.0",
                    "name": "app",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                    "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/sa", "name": "kube-api"}],
                }
            ],
            "nodeName": f"node-{i % 40}",
            "serviceAccountName": "default",
            "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists"}],
            "volumes": [{"name": "kube-api", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
        },
        "status": {
            "conditions": [{"status": "True", "type": t} for t in ("Initialized", "Ready", "ContainersReady")],
            "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}],
            "phase": "Running",
            "podIP": "10.1.2.3",
            "startTime": "2026-11-20T10:00:00Z",
        },
    }


def cluster_pods(n: int = 10_000) -> None:
    """``diagnose`` (whole process) of a small failing case beside ``kubectl get pods -A -o json`` of
    ``n`` Pods, against the case alone and against ``jq`` looking for an oauth2-proxy in the Pods."""
    root = DATA / f"cluster-pods-{n}"
    case = HERE.parent / "examples" / "rbac-prefix-mismatch"
    alone, beside = root / "alone", root / "beside"
    if not (beside / "pods.json").exists():
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(case, alone)
        shutil.copytree(case, beside)
        doc = {"apiVersion": "v1", "kind": "List", "items": [_pod(i) for i in range(n)], "metadata": {}}
        (beside / "pods.json").write_text(json.dumps(doc, indent=4))
    cli = [sys.executable, "-m", "oidc_doctor", "diagnose", "--now", "2026-11-28T10:25:12Z", "-o", "json"]

    def timed(argv: list[str]) -> float:
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    base = timed([*cli, "--bundle", str(alone)])
    ours = timed([*cli, "--bundle", str(beside)])
    size = (beside / "pods.json").stat().st_size / 1e6
    print(f"diagnose of a small case: {base * 1000:.0f} ms; beside {n} Pods ({size:.0f} MB JSON): {ours * 1000:.0f} ms")
    jq = shutil.which("jq")
    if jq:
        sel = '.items[] | select(any(.spec.containers[]; .image | test("oauth2-proxy"))) | .metadata.name'
        anchor = _time_cmd([jq, "-c", sel, str(beside / "pods.json")])
        print(f"jq looking for an oauth2-proxy container in the same Pods: {anchor * 1000:.0f} ms")
        print(f"ratio: {ours / anchor:.2f}x jq (what the Pods add: {(ours - base) / anchor:.2f}x jq)")


if __name__ == "__main__":
    imports()
    checks()
    helm_records()
    cluster_pods()
