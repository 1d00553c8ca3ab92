"""Live-mode benchmarks against the API server test double (``tests/live/apiserver_double.py``).

Run: ``python benchmarks/bench_live.py [BINDINGS]`` (or ``make bench``). Prints medians and ratios
to baselines measured in the same run:

- ``oidc-doctor whoami`` as a whole process (kubeconfig, TLS, two reviews) against ``python -c pass``;
- ``oidc-doctor collect`` of a cluster with BINDINGS RoleBindings (default 20,000) against the
  floor of the same transport: fetching the same pages with ``httpx`` and parsing them with
  ``orjson``, nothing written. The double is a Python ``http.server`` in this process, so both
  sides pay its cost equally; a real API server answers faster, and the ratio is what collect adds.
  Collect's peak memory (max RSS of its process) shows the lists are streamed, not held.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "live"))
sys.path.insert(0, str(HERE.parent / "tests" / "idp"))
sys.path.insert(0, str(HERE.parent / "tests"))  # tls_support, which the double imports

from apiserver_double import ApiServerDouble  # noqa: E402

RUNS = 5
LIST_RUNS = 3  # the double answers big lists slowly: fewer rounds for the collect measurements


def _median_process(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _fill(double: ApiServerDouble, bindings: int) -> None:
    for i in range(bindings):
        double.add(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": f"rb-{i:06d}", "namespace": f"ns-{i % 300}", "uid": f"{i:032x}"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": f"oidc:user-{i}"}],
            }
        )


def _floor(double: ApiServerDouble) -> float:
    """Fetch every page of RoleBindings with httpx + orjson: the transport's own cost."""
    import ssl

    import httpx
    import orjson

    ctx = ssl.create_default_context(cadata=double.ca.cert_pem.bytes().decode())
    times = []
    for _ in range(LIST_RUNS):
        t = time.perf_counter()
        with httpx.Client(verify=ctx, headers={"Authorization": f"Bearer {double.token}"}) as c:
            params = {"limit": "500"}
            while True:
                page = orjson.loads(
                    c.get(double.url + "/apis/rbac.authorization.k8s.io/v1/rolebindings", params=params).content
                )
                cont = page["metadata"].get("continue")
                if not cont:
                    break
                params["continue"] = cont
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    """Measure and print."""
    bindings = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20_000
    base = _median_process([sys.executable, "-c", "pass"])
    print(f"python -c pass (whole process): {base * 1000:.1f} ms")
    with ApiServerDouble() as double, tempfile.TemporaryDirectory() as tmp:
        kc = str(double.kubeconfig(Path(tmp) / "kubeconfig"))
        cli = [sys.executable, "-m", "oidc_doctor"]
        whoami = _median_process([*cli, "whoami", "--kubeconfig", kc])
        print(f"oidc-doctor whoami (whole process, 2 reviews over TLS): {whoami * 1000:.1f} ms  ({whoami / base:.2f}x)")
        _fill(double, bindings)
        floor = _floor(double)
        print(f"httpx + orjson fetching {bindings} RoleBindings (floor): {floor * 1000:.1f} ms")
        times = []
        for i in range(LIST_RUNS):
            out = Path(tmp) / f"bundle-{i}"
            t = time.perf_counter()
            subprocess.run(
                [*cli, "collect", "-o", str(out), "--kubeconfig", kc, "--no-issuer"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - t)
        collect = statistics.median(times)
        size = (Path(tmp) / "bundle-0" / "rbac-rolebindings.json").stat().st_size
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"oidc-doctor collect (whole process, {bindings} RoleBindings, {size / 1e6:.1f} MB written): "
            f"{collect * 1000:.1f} ms  ({collect / floor:.2f}x the floor)"
        )
        print(f"largest child process max RSS (collect or whoami): {rss:.0f} MB")


if __name__ == "__main__":
    main()
