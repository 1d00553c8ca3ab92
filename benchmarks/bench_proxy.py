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


if __name__ == "__main__":
    imports()
    checks()
    helm_records()
