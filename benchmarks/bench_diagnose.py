"""Benchmark: ``oidc-doctor diagnose`` on a big bundle against ``jq`` + ``grep -c`` run one after the other.

The bundle (generated on first use into ``benchmarks/data/diagnose/``, git-ignored) is a small
failing case (``examples/rbac-prefix-mismatch``: a 403 whose user carries a prefix the binding
lacks) plus what a real cluster adds around it: 55,000 bindings with a few hundred Roles and
ClusterRoles (``kubectl get ... -o json`` shape, about 74 MB, ``bench_rbac.generate``) and a 1 GiB
API server log of the day before (``bench_logs.generate``). The anchor is what a user types by hand
on the same files: ``jq`` selecting the user's bindings, then ``grep -c 'Unable to authenticate'``
on the log. The runs alternate; the medians, their ratio (goal <= 0.5), the peak memory of each
process (``ru_maxrss`` from ``wait4``, its waited-for children included; goal <= 250 MB) and the
first finding (it must stay ``username-prefix-mismatch``) are printed.

Run: ``.venv/bin/python benchmarks/bench_diagnose.py [--runs 5] [--quick]`` (``--quick`` or
``OIDC_DOCTOR_BENCH_QUICK=1``: 5,500 bindings and a 64 MiB log). ``--src DIR`` runs the tool from
another source tree (``PYTHONPATH``), e.g. an export of ``main``, for a before/after in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_logs  # noqa: E402
import bench_rbac  # noqa: E402

CASE = HERE.parent / "examples" / "rbac-prefix-mismatch"
NOW = "2026-11-28T10:25:12Z"
EXPECTED = "username-prefix-mismatch"
USER = "oidc:alice@example.com"
#: The tool's processes may write bytecode, as an installation compiles it: with
#: PYTHONDONTWRITEBYTECODE set (some machines do) every run would compile every module again.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def build(quick: bool) -> Path:
    """The bundle folder (made once per size)."""
    root = HERE / "data" / ("diagnose-quick" if quick else "diagnose")
    bundle = root / "bundle"
    done = root / ".complete"
    if done.exists():
        return bundle
    shutil.rmtree(root, ignore_errors=True)
    bundle.mkdir(parents=True)
    for f in CASE.iterdir():
        shutil.copy(f, bundle / f.name)
    scale = 10 if quick else 1
    tmp = root / "rbac"
    # Groups of another identity provider (LDAP, synced): the case's token carries no groups
    # claim, and bound OIDC groups would make that the first finding instead.
    path = bench_rbac.generate(
        tmp, bench_rbac.N_ROLEBINDINGS // scale, bench_rbac.N_CLUSTERROLEBINDINGS // scale, group_prefix="ldap:"
    )
    path.rename(bundle / "cluster-rbac.json")
    shutil.rmtree(tmp)
    size = (64 << 20) if quick else (1 << 30)
    # The day before the failure: the log is read whole but holds nothing about this failure.
    bench_logs.generate(
        bundle / "kube-apiserver-big.log", size, start=datetime(2026, 11, 27, 6, 0, tzinfo=UTC), discovery_failing=False
    )
    os.sync()
    done.touch()
    return bundle


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, bytes]:
    """Wall time and stdout of one process."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=False).stdout
    return time.perf_counter() - t0, out


def peak_rss_mb(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    """Peak RSS (MB) of one run of ``cmd`` and its children, started by a fresh small Python: a
    child forked from this process (which may hold generated data) would count its pages."""
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    helper = [sys.executable, "-c", code, *cmd]
    out = subprocess.run(helper, capture_output=True, text=True, check=True, env=env, cwd=cwd)
    return int(out.stdout.strip()) / 1024


def main() -> int:
    """Build the bundle if needed, alternate the runs, print medians, ratios and peaks."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", default=os.environ.get("OIDC_DOCTOR_BENCH_QUICK") == "1")
    ap.add_argument("--src", type=Path, help="run oidc-doctor from this source tree instead (PYTHONPATH)")
    args = ap.parse_args()
    bundle = build(args.quick)
    rbac_file = bundle / "cluster-rbac.json"
    log_file = bundle / "kube-apiserver-big.log"
    env = dict(ENV)
    cwd = None
    if args.src is not None:  # run from there: `-m` puts the working folder first on sys.path
        cwd = args.src.resolve()
        env["PYTHONPATH"] = str(cwd)
    ours = [sys.executable, "-m", "oidc_doctor", "diagnose", "--bundle", str(bundle), "--now", NOW, "--format", "json"]
    jq = ["jq", "-c", bench_rbac.jq_filter_for(USER, ()), str(rbac_file)]
    grep = ["grep", "-c", "Unable to authenticate", str(log_file)]

    _, out = run(ours, env, cwd)
    report = json.loads(out)
    first = report["findings"][0]["cause"] if report.get("findings") else None
    if first != EXPECTED:
        print(f"WRONG ROOT CAUSE: first finding {first!r}, expected {EXPECTED!r}", file=sys.stderr)
        return 1
    run(jq)
    run(grep)
    t_ours: list[float] = []
    t_anchor: list[float] = []
    for _ in range(args.runs):
        t_ours.append(run(ours, env, cwd)[0])
        t_anchor.append(run(jq)[0] + run(grep)[0])
    mo, ma = statistics.median(t_ours), statistics.median(t_anchor)
    rss_ours, rss_jq = [peak_rss_mb(ours, env, cwd)], [peak_rss_mb(jq)]
    load = os.getloadavg()
    print(
        f"bundle: {rbac_file.stat().st_size / 1e6:.0f} MB RBAC JSON, {log_file.stat().st_size / 2**20:.0f} MiB log; "
        f"{args.runs} runs each, alternating; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"oidc-doctor diagnose   median {mo:.3f} s  peak RSS {max(rss_ours):.0f} MB  first finding {first}")
    print(f"jq + grep -c           median {ma:.3f} s  (jq peak RSS {max(rss_jq):.0f} MB)")
    print(f"ratio diagnose / (jq + grep -c)  {mo / ma:.2f}  (goal <= 0.5; peak RSS goal <= 250 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
