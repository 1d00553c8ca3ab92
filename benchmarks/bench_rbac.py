"""Benchmark: ``oidc-doctor rbac who`` on 55,000 bindings against ``jq`` selecting the same ones.

Run with one command (generates the data on first use into ``benchmarks/data/``, git-ignored)::

    .venv/bin/python benchmarks/bench_rbac.py [--runs 5] [--json-only] [--readers]

It prints the median wall time of each whole process (``oidc-doctor rbac who --user U --group G1
--group G2 --group G3 --bundle DIR --format json`` versus ``jq`` over the same file), their ratio
(goal <= 0.5), the peak memory of our process (``ru_maxrss``), and the same run on the YAML form
of the data (goal: within 3x of the JSON time). ``--readers`` times PyYAML's C loader against the
fast YAML path alone. Both tools must select the same
bindings; the script checks that before it prints a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "rbac"
USER = "oidc:user-00042@example.com"
GROUPS = ("oidc:team-007", "oidc:team-123", "oidc:team-450")
N_ROLEBINDINGS = 50_000
N_CLUSTERROLEBINDINGS = 5_000


def _meta(kind: str, name: str, namespace: str | None, i: int, body: dict[str, Any]) -> dict[str, Any]:
    # kubectl prints objects made by `kubectl apply` with the last-applied annotation; it is what
    # makes real dumps big. Half of the objects carry it here, which gives the issue's 74 MB.
    applied = json.dumps(
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, **body},
        sort_keys=True,
        separators=(",", ":"),
    )
    meta: dict[str, Any] = {
        "creationTimestamp": f"2026-01-{1 + i % 28:02d}T10:00:00Z",
        "name": name,
        "resourceVersion": str(100000 + i),
        "uid": f"{i:08x}-1111-4222-8333-{i:012x}",
    }
    if namespace is not None:
        meta["namespace"] = namespace
    if i % 2 == 0:
        meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": applied + "\n"}
    return dict(sorted(meta.items()))


def _subjects(i: int) -> list[dict[str, str]]:
    subjects = [
        {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "User",
            "name": f"oidc:user-{i % 5000:05d}@example.com",
        },
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"oidc:team-{i % 997:03d}"},
    ]
    if i % 3 == 0:
        subjects.append({"kind": "ServiceAccount", "name": f"sa-{i % 50}", "namespace": f"ns-{i % 2000:04d}"})
    return subjects


def generate(out: Path) -> Path:
    """Write ``bindings.json`` (kubectl get rolebindings,clusterrolebindings -A -o json shape)."""
    out.mkdir(parents=True, exist_ok=True)
    items: list[dict[str, Any]] = []
    roles = ("view", "edit", "admin")
    for i in range(N_ROLEBINDINGS):
        name, ns = f"rb-{i:05d}", f"ns-{i % 2000:04d}"
        body = {
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": roles[i % 3]},
            "subjects": _subjects(i),
        }
        meta = _meta("RoleBinding", name, ns, i, {"metadata": {"name": name, "namespace": ns}, **body})
        items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta, **body})
    for i in range(N_CLUSTERROLEBINDINGS):
        name = f"crb-{i:04d}"
        body = {
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": roles[i % 3]},
            "subjects": _subjects(i * 7 + 3),
        }
        meta = _meta("ClusterRoleBinding", name, None, i, {"metadata": {"name": name}, **body})
        items.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": meta,
                **body,
            }
        )
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    path = out / "json" / "bindings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=4) + "\n")
    return path


def generate_yaml(json_path: Path, out: Path) -> Path:
    """The same objects as YAML (kubectl get -o yaml shape), written with PyYAML's C dumper."""
    import yaml

    path = out / "yaml" / "bindings.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = json.loads(json_path.read_text())
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with path.open("w") as f:
        yaml.dump(doc, f, Dumper=dumper, default_flow_style=False, sort_keys=True, width=10**9)
    return path


def jq_filter() -> str:
    """The jq program selecting the bindings that apply to USER, GROUPS and system:authenticated."""
    groups = " or ".join(f'.name == "{g}"' for g in (*GROUPS, "system:authenticated"))
    user = f'(.kind == "User" and .name == "{USER}")'
    group = f'(.kind == "Group" and ({groups}))'
    return f"[.items[] | select(any(.subjects[]?; {user} or {group})) | " + (
        "{kind, namespace: .metadata.namespace, name: .metadata.name}]"
    )


def _time(cmd: list[str]) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True).stdout
    return time.perf_counter() - t0, out


def _ours(bundle: Path) -> list[str]:
    exe = shutil.which("oidc-doctor", path=str(Path(sys.executable).parent)) or "oidc-doctor"
    cmd = [exe, "rbac", "who", "--user", USER]
    for g in GROUPS:
        cmd += ["--group", g]
    return [*cmd, "--bundle", str(bundle), "--format", "json"]


def _keys(bindings: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(b["kind"], b.get("namespace") or "", b["name"]) for b in bindings}


def _peak_rss_mb(cmd: list[str]) -> float:
    """Peak resident memory of one run of ``cmd`` in MB (Linux ru_maxrss is in KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def readers(runs: int) -> int:
    """Parse the YAML form with PyYAML's C loader and with the fast reader, in this process."""
    import gc

    import yaml

    from oidc_doctor import loader

    json_path = DATA / "json" / "bindings.json"
    if not json_path.exists():
        generate(DATA)
    yaml_path = DATA / "yaml" / "bindings.yaml"
    if not yaml_path.exists():
        generate_yaml(json_path, DATA)
    raw = yaml_path.read_bytes()
    c_loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def timed(fn: Any, n: int) -> float:
        times = []
        for _ in range(n):
            gc.disable()
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
            gc.enable()
        return statistics.median(times)

    scan = timed(lambda: loader.fast_yaml_applies(raw), runs)
    fast = timed(lambda: loader.fast_yaml(raw), runs)
    slow = timed(lambda: list(yaml.load_all(raw, Loader=c_loader)), 1)
    print(f"YAML {len(raw) / 1e6:.0f} MB: PyYAML C loader {slow:.2f} s; fast path {fast:.2f} s (scan {scan:.2f} s)")
    print(f"ratio fast / PyYAML {fast / slow:.3f}")
    return 0


def main() -> int:
    """Generate data if needed, run both tools ``--runs`` times, print medians and ratios."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json-only", action="store_true", help="skip the YAML form of the data")
    ap.add_argument("--readers", action="store_true", help="time the YAML readers alone (PyYAML vs fast)")
    args = ap.parse_args()
    if args.readers:
        return readers(args.runs)
    json_path = DATA / "json" / "bindings.json"
    if not json_path.exists():
        print("generating benchmark data ...", file=sys.stderr)
        generate(DATA)
    size_mb = json_path.stat().st_size / 1e6
    jq_cmd = ["jq", "-c", jq_filter(), str(json_path)]
    ours_cmd = _ours(json_path.parent)

    # Both must select the same bindings before any figure counts.
    _, jq_out = _time(jq_cmd)
    _, our_out = _time(ours_cmd)
    want = _keys(json.loads(jq_out))
    got = _keys(json.loads(our_out)["bindings"])
    if want != got:
        print(f"MISMATCH: jq selects {len(want)} bindings, oidc-doctor {len(got)}", file=sys.stderr)
        return 1

    jq_times, our_times = [], []
    for _ in range(args.runs):  # interleaved so both see the same machine state
        jq_times.append(_time(jq_cmd)[0])
        our_times.append(_time(ours_cmd)[0])
    jq_med, our_med = statistics.median(jq_times), statistics.median(our_times)
    peak = _peak_rss_mb(ours_cmd)
    print(f"data: {N_ROLEBINDINGS + N_CLUSTERROLEBINDINGS} bindings, {size_mb:.0f} MB JSON; {len(want)} apply")
    print(f"jq                      median {jq_med:.3f} s  ({args.runs} runs)")
    print(f"oidc-doctor rbac who    median {our_med:.3f} s  peak RSS {peak:.0f} MB")
    print(f"ratio oidc-doctor / jq  {our_med / jq_med:.2f}  (goal <= 0.5)")
    if not args.json_only:
        yaml_path = DATA / "yaml" / "bindings.yaml"
        if not yaml_path.exists():
            print("generating YAML form ...", file=sys.stderr)
            generate_yaml(json_path, DATA)
        ycmd = _ours(yaml_path.parent)
        _, yout = _time(ycmd)
        if _keys(json.loads(yout)["bindings"]) != want:
            print("MISMATCH on the YAML form", file=sys.stderr)
            return 1
        ytimes = [_time(ycmd)[0] for _ in range(args.runs)]
        ymed = statistics.median(ytimes)
        ysize = yaml_path.stat().st_size / 1e6
        ypeak = _peak_rss_mb(ycmd)
        print(f"oidc-doctor on YAML     median {ymed:.3f} s  ({ysize:.0f} MB YAML, peak RSS {ypeak:.0f} MB)")
        print(f"ratio YAML / JSON       {ymed / our_med:.2f}  (goal <= 3)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
