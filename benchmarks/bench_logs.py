"""Benchmark: ``oidc-doctor logs FILE --format json`` against ``grep -c 'Unable to authenticate' FILE``.

One command::

    python benchmarks/bench_logs.py              # 1 GiB (OIDC_DOCTOR_BENCH_SIZE or --size to change)
    python benchmarks/bench_logs.py --size 64M   # a quick run

It writes a synthetic kube-apiserver log with realistic line shapes (request logs, traces,
reflector warnings, lease updates; 0.1 % authentication failures of several causes plus the
start-up ``oidc authenticator`` lines) to ``benchmarks/data/`` (git-ignored), runs both tools
``--repeat`` times in the same run, checks that the counts agree, and prints the medians, the
throughput, the ratio to grep and the peak memory (max RSS) of ``oidc-doctor``. The data file is
deleted afterwards unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
MARKER = "Unable to authenticate"
#: The tool's processes may write bytecode, as an installation compiles it: with
#: PYTHONDONTWRITEBYTECODE set (some machines do) every run would compile every module again.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

_USERS = [
    "kubelet/v1.30.2 (linux/amd64) kubernetes/3968350",
    "kube-controller-manager/v1.30.2",
    "kubectl/v1.30.1",
]
_URIS = [
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker-{n}?timeout=10s",
    "/api/v1/namespaces/default/pods?limit=500",
    "/api/v1/nodes/worker-{n}?resourceVersion=0&timeout=10s",
    "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
    "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication",
    "/apis/authentication.k8s.io/v1/tokenreviews",
    "/apis/discovery.k8s.io/v1/endpointslices?allowWatchBookmarks=true&watch=true",
]
_AUTH_ERRORS = [
    r"[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: {exp})]",
    r"[invalid bearer token, oidc: verify token: oidc: expected audience \"kubernetes\" got [\"kubeapps\"]]",
    r"[invalid bearer token, oidc: email not verified]",
    r"invalid bearer token",
    r"[invalid bearer token, oidc: authenticator not initialized]",
    r"[invalid bearer token, oidc: verify token: failed to verify signature: "
    r"failed to verify id token signature]",
]


def _klog(t: datetime, level: str, src: str, msg: str) -> str:
    return f"{level}{t:%m%d %H:%M:%S}.{t.microsecond:06d}       1 {src}] {msg}\n"


def _ordinary(rng: random.Random, t: datetime) -> str:
    k = rng.random()
    n = rng.randrange(1, 60)
    if k < 0.55:
        uri = rng.choice(_URIS).format(n=n)
        verb = rng.choice(("GET", "PUT", "LIST", "WATCH", "PATCH"))
        return _klog(
            t,
            "I",
            "httplog.go:132",
            f'"HTTP" verb="{verb}" URI="{uri}" latency="{rng.uniform(0.2, 40):.6f}ms" '
            f'userAgent="{rng.choice(_USERS)}" audit-ID="{rng.getrandbits(128):032x}" '
            f'srcIP="10.0.{n}.{rng.randrange(1, 250)}:{rng.randrange(30000, 60000)}" resp=200',
        )
    if k < 0.70:
        return _klog(
            t,
            "I",
            "trace.go:236",
            f'Trace[{rng.randrange(10**9)}]: "Update" accept:application/vnd.kubernetes.protobuf, */*,'
            f"audit-id:{rng.getrandbits(64):016x},client:10.0.0.{n},api-group:coordination.k8s.io,"
            f"api-version:v1,name:worker-{n},subresource:,namespace:kube-node-lease,protocol:HTTP/2.0,"
            f"resource:leases,scope:resource,url:/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/"
            f"leases/worker-{n},user-agent:kubelet/v1.30.2,verb:PUT (28-Nov-2026 10:00:00.000) "
            f"(total time: {rng.randrange(500, 900)}ms):",
        )
    if k < 0.80:
        return _klog(
            t,
            "W",
            "reflector.go:547",
            "k8s.io/client-go/informers/factory.go:159: failed to list *v1.Service: Get "
            '"https://127.0.0.1:6443/api/v1/services?limit=500&resourceVersion=0": dial tcp '
            "127.0.0.1:6443: connect: connection refused",
        )
    if k < 0.90:
        return _klog(
            t,
            "I",
            "controller.go:615",
            f"quota admission added evaluator for: {rng.choice(('leases', 'endpoints', 'events'))}.coordination.k8s.io",
        )
    return _klog(
        t,
        "E",
        "available_controller.go:460",
        "v1beta1.metrics.k8s.io failed with: failing or missing response from "
        "https://10.96.12.7:443/apis/metrics.k8s.io/v1beta1: Get "
        '"https://10.96.12.7:443/apis/metrics.k8s.io/v1beta1": context deadline exceeded',
    )


def generate(
    path: Path, size: int, seed: int = 7, start: datetime | None = None, discovery_failing: bool = True
) -> int:
    """Write about ``size`` bytes of apiserver log to ``path``; return the number of failure lines.

    ``start``: the time of the first line (default 2026-11-28 08:00 UTC); ``discovery_failing``:
    whether the OIDC authenticator's start-up keeps failing (a line every 10 s).
    """
    rng = random.Random(seed)
    t = start or datetime(2026, 11, 28, 8, 0, 0, tzinfo=UTC)
    failures = 0
    written = 0
    init = (
        'oidc authenticator: initializing plugin: Get "https://idp.example.com/.well-known/'
        'openid-configuration": tls: failed to verify certificate: x509: certificate signed by '
        "unknown authority"
    )
    buf: list[str] = [_klog(t, "E", "oidc.go:335", init)] if discovery_failing else []
    # Time advances so that the file spans a few hours whatever its size.
    step_us = max(1, int(4 * 3600 * 1e6 / max(1, size // 260)))
    next_init = t + timedelta(seconds=10)
    with path.open("w", encoding="utf-8") as out:
        while written < size:
            t += timedelta(microseconds=rng.randrange(step_us * 2))
            if discovery_failing and t >= next_init:  # discovery keeps failing: kube-apiserver retries every 10 s
                buf.append(_klog(t, "E", "oidc.go:335", init))
                next_init += timedelta(seconds=10)
            if rng.random() < 0.001:
                err = rng.choice(_AUTH_ERRORS).format(exp=f"{t - timedelta(minutes=3):%Y-%m-%d %H:%M:%S} +0000 UTC")
                buf.append(_klog(t, "E", "authentication.go:73", f'"Unable to authenticate the request" err="{err}"'))
                failures += 1
            else:
                buf.append(_ordinary(rng, t))
            if len(buf) >= 4096:
                chunk = "".join(buf)
                out.write(chunk)
                written += len(chunk)
                buf = []
        if buf:
            out.write("".join(buf))
    return failures


def _size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _run(cmd: list[str]) -> tuple[float, str, int]:
    """Wall time, stdout and max RSS (KiB) of one run of ``cmd``."""
    start = time.perf_counter()
    pid = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV)
    out, _ = pid.communicate()
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, out.decode(), int(usage.ru_maxrss)


def _peak_rss(cmd: list[str]) -> int:
    """Max RSS (KiB) of one run, measured alone so earlier children do not count."""
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True, env=ENV)
    return int(out.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    """Generate the data, run both tools, print medians and the ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = os.environ.get("OIDC_DOCTOR_BENCH_QUICK") == "1"
    p.add_argument(
        "--size", default=os.environ.get("OIDC_DOCTOR_BENCH_SIZE", "64M" if quick else "1G"), help="e.g. 64M, 1G"
    )
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the generated file")
    args = p.parse_args(argv)
    size = _size(args.size)
    DATA.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(DATA).free
    if free < size * 2:
        print(f"not enough disk: {free >> 20} MiB free, need {size * 2 >> 20} MiB", file=sys.stderr)
        return 2
    path = DATA / f"apiserver-{args.size}.log"
    try:
        if not path.exists() or path.stat().st_size < size:
            t0 = time.perf_counter()
            expected = generate(path, size)
            print(
                f"generated {path.name}: {path.stat().st_size / 2**20:.0f} MiB, {expected} failures, "
                f"{time.perf_counter() - t0:.1f} s"
            )
            os.sync()  # let write-back finish, or it slows the first timed runs
        nbytes = path.stat().st_size
        # The console script of a regular install, as users run it (bench_token.installed_python):
        # the development venv's editable finder and `python -m` would add to every start.
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_token import installed_python

        tool = str(installed_python().with_name("oidc-doctor"))
        ours = [tool, "logs", str(path), "--format", "json"]
        grep = ["grep", "-c", MARKER, str(path)]
        one = ["env", "OIDC_DOCTOR_LOG_WORKERS=1", *ours]
        # Warm the page cache once for each, then alternate.
        _run(grep)
        _run(ours)
        g_times: list[float] = []
        o_times: list[float] = []
        s_times: list[float] = []
        g_count = o_count = s_count = -1
        for _ in range(args.repeat):
            t, out, _rss = _run(grep)
            g_times.append(t)
            g_count = int(out.strip())
            t, out, _rss = _run(ours)
            o_times.append(t)
            o_count = int(json.loads(out)["auth_failures"])
            t, out, _rss = _run(one)
            s_times.append(t)
            s_count = int(json.loads(out)["auth_failures"])
        rss_kib = _peak_rss(ours)
        # A 30-minute window in the middle, found by bisection, against a full awk pass.
        middle = datetime(2026, 11, 28, 10, 0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        windowed = [*ours, "--around", middle, "--window", "15m"]
        awk = ["awk", f"/{MARKER}/ {{n++}} END {{print n+0}}", str(path)]
        w_times = [_run(windowed)[0] for _ in range(args.repeat)]
        a_times = [_run(awk)[0] for _ in range(args.repeat)]
        g_med, o_med, s_med = (statistics.median(x) for x in (g_times, o_times, s_times))
        print(f"file: {nbytes / 2**20:.0f} MiB, {args.repeat} runs each, {os.cpu_count()} CPUs")
        for name, med, count in (
            ("grep -c", g_med, g_count),
            ("oidc-doctor logs", o_med, o_count),
            ("  (one process)", s_med, s_count),
        ):
            print(f"{name:<17}: median {med * 1000:8.1f} ms  {nbytes / med / 1e9:5.2f} GB/s  count {count}")
        load = os.getloadavg()
        ratio, single = o_med / g_med, s_med / g_med
        print(f"ratio oidc-doctor/grep: {ratio:.2f}x (goal <= 1.0x on 2 idle cores); one process: {single:.2f}x")
        print(f"load average {load[0]:.2f} {load[1]:.2f} (with load, one process is used: see docs/logs.md)")
        print(
            f"30-minute window (--around {middle} --window 15m): median "
            f"{statistics.median(w_times) * 1000:.1f} ms; "
            f"full awk pass: {statistics.median(a_times) * 1000:.1f} ms"
        )
        print(f"peak memory oidc-doctor: {rss_kib / 1024:.1f} MiB (goal <= 50 MB)")
        # The time limit is for big files: on a quick run's 64 MiB, Python's start-up (about 50 ms)
        # outweighs grep's whole scan, and the ratio says nothing about throughput.
        timed = nbytes >= 256 << 20
        if not timed:
            print(f"(time not judged below 256 MiB: {nbytes >> 20} MiB is mostly start-up)")
        ok = g_count == o_count == s_count and (o_med <= 2 * g_med or not timed) and rss_kib * 1024 <= 50e6
        print("counts agree" if g_count == o_count == s_count else "COUNTS DIFFER")
        return 0 if ok else 1
    finally:
        if not args.keep and path.exists():
            path.unlink()


if __name__ == "__main__":
    sys.exit(main())
