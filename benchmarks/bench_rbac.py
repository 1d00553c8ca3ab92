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
#: The tool's processes may write bytecode, as an installation compiles it: with
#: PYTHONDONTWRITEBYTECODE set (some machines do) every run would compile every module again.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _meta(kind: str, name: str, namespace: str | None, i: int, body: dict[str, Any]) -> dict[str, Any]:
    # kubectl prints objects made by `kubectl apply` with the last-applied annotation; it is what
    # makes real dumps big. Half of the objects carry it here, which gives the 74 MB.
    # Helm-made ones carry its labels and annotations, and a few the managedFields that
    # `kubectl get --show-managed-fields` (or an older kubectl) prints.
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
    elif i % 5 == 1:
        meta["labels"] = {
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/instance": f"team-{i % 997:03d}",
            "helm.sh/chart": "tenant-0.4.2",
        }
        meta["annotations"] = {
            "meta.helm.sh/release-name": f"team-{i % 997:03d}",
            "meta.helm.sh/release-namespace": "tenants",
        }
    if i % 7 == 3:
        meta["managedFields"] = [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:roleRef": {}, "f:subjects": {}},
                "manager": "kubectl-client-side-apply",
                "operation": "Update",
                "time": f"2026-01-{1 + i % 28:02d}T10:00:00Z",
            }
        ]
    return dict(sorted(meta.items()))


def _subjects(i: int, group_prefix: str = "oidc:") -> list[dict[str, str]]:
    subjects = [
        {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "User",
            "name": f"oidc:user-{i % 5000:05d}@example.com",
        },
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"{group_prefix}team-{i % 997:03d}"},
    ]
    if i % 3 == 0:
        subjects.append({"kind": "ServiceAccount", "name": f"sa-{i % 50}", "namespace": f"ns-{i % 2000:04d}"})
    if i % 11 == 0:
        dept = f"{group_prefix}dept-{i % 31:02d}"
        subjects.append({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": dept})
    return subjects


#: ClusterRoles and Roles of the generated cluster (their names do not collide with the
#: built-in view/edit/admin the bindings also reference, nor with a small case's own roles).
N_CLUSTERROLES = 300
N_ROLES = 1_000


def _rules(i: int) -> list[dict[str, Any]]:
    groups = ("", "apps", "batch", "networking.k8s.io")
    return [
        {
            "apiGroups": [groups[i % 4]],
            "resources": ["pods", "services", "configmaps"],
            "verbs": ["get", "list", "watch"],
        },
        {"apiGroups": [groups[(i + 1) % 4]], "resources": ["deployments"], "verbs": ["get", "list"]},
    ]


def _roles() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(N_CLUSTERROLES):
        name = f"tenant-reader-{i:03d}"
        body: dict[str, Any] = {"rules": _rules(i)}
        if i % 50 == 0:  # an aggregated role, as the built-in admin/edit/view are
            body = {
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"example.com/aggregate-to": name}}]},
                "rules": [],
            }
        meta = _meta("ClusterRole", name, None, i, {"metadata": {"name": name}, **body})
        meta.setdefault("labels", {})["example.com/aggregate-to"] = f"tenant-reader-{i - i % 50:03d}"
        out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta, **body})
    for i in range(N_ROLES):
        name, ns = f"ns-reader-{i:04d}", f"ns-{i % 2000:04d}"
        body = {"rules": _rules(i)}
        meta = _meta("Role", name, ns, i, {"metadata": {"name": name, "namespace": ns}, **body})
        out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta, **body})
    return out


def _role_ref(i: int) -> dict[str, str]:
    builtin = ("view", "edit", "admin")
    if i % 10 == 7:
        return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"ns-reader-{i % N_ROLES:04d}"}
    if i % 10 == 8:
        return {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": f"tenant-reader-{i % N_CLUSTERROLES:03d}",
        }
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": builtin[i % 3]}


def generate(
    out: Path,
    n_rolebindings: int = N_ROLEBINDINGS,
    n_clusterrolebindings: int = N_CLUSTERROLEBINDINGS,
    group_prefix: str = "oidc:",
) -> Path:
    """Write ``json/bindings.json`` (``kubectl get clusterroles,roles,rolebindings,clusterrolebindings -A
    -o json`` shape): the bindings, and a few hundred Roles and ClusterRoles before them."""
    out.mkdir(parents=True, exist_ok=True)
    items: list[dict[str, Any]] = _roles()
    for i in range(n_rolebindings):
        name, ns = f"rb-{i:05d}", f"ns-{i % 2000:04d}"
        ref = _role_ref(i)
        if ref["kind"] == "Role":
            ns = f"ns-{i % N_ROLES % 2000:04d}"  # a Role is referenced from its own namespace
        body = {"roleRef": ref, "subjects": _subjects(i, group_prefix)}
        meta = _meta("RoleBinding", name, ns, i, {"metadata": {"name": name, "namespace": ns}, **body})
        items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta, **body})
    for i in range(n_clusterrolebindings):
        name = f"crb-{i:04d}"
        ref = _role_ref(i)
        if ref["kind"] == "Role":
            ref = {**ref, "kind": "ClusterRole", "name": "view"}
        body = {"roleRef": ref, "subjects": _subjects(i * 7 + 3, group_prefix)}
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


def generate_yaml(json_path: Path, out: Path, shape: str = "kubectl") -> Path:
    """The same objects as YAML: as kubectl prints it (sigs.k8s.io/yaml: double quotes, literal
    blocks; ``yaml/``), or as PyYAML's C dumper writes it (single quotes, multi-line quoted
    strings; ``yaml-pyyaml/``)."""
    import yaml

    path = out / ("yaml" if shape == "kubectl" else "yaml-pyyaml") / "bindings.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = json.loads(json_path.read_text())
    if shape == "kubectl":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from fixturekit import goyaml

        path.write_text(goyaml.dump(doc))
        return path
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with path.open("w") as f:
        yaml.dump(doc, f, Dumper=dumper, default_flow_style=False, sort_keys=True, width=10**9)
    return path


def jq_filter_for(user: str, groups: tuple[str, ...]) -> str:
    """The jq program selecting the bindings that apply to ``user``, ``groups`` and system:authenticated."""
    names = " or ".join(f'.name == "{g}"' for g in (*groups, "system:authenticated"))
    by_user = f'(.kind == "User" and .name == "{user}")'
    by_group = f'(.kind == "Group" and ({names}))'
    return f"[.items[] | select(any(.subjects[]?; {by_user} or {by_group})) | " + (
        "{kind, namespace: .metadata.namespace, name: .metadata.name}]"
    )


def jq_filter() -> str:
    """The jq program selecting the bindings that apply to USER, GROUPS and system:authenticated."""
    return jq_filter_for(USER, GROUPS)


def _time(cmd: list[str]) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, env=ENV).stdout
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
    """Peak resident memory of one run of ``cmd`` alone, in MB.

    A fresh, small Python starts it and reads its children's ``ru_maxrss`` (KiB): this process
    may hold the generated data, and a child forked from it would count those pages as its own
    before it executes the command.
    """
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,check=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True, env=ENV)
    return int(out.stdout.strip()) / 1024


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
    from oidc_doctor.loader import typed_rbac
    from oidc_doctor.rbac.yamllist import typed_rbac_yaml

    raw_json = json_path.read_bytes()
    typed_json = timed(lambda: typed_rbac(raw_json, "x"), runs)
    print(f"typed records from the JSON form (msgspec): {typed_json:.3f} s")
    for shape in ("kubectl", "pyyaml"):
        path = DATA / ("yaml" if shape == "kubectl" else "yaml-pyyaml") / "bindings.yaml"
        if not path.exists():
            generate_yaml(json_path, DATA, shape)
        text = path.read_bytes()
        typed = timed(lambda text=text: typed_rbac_yaml(text, "x"), runs)
        print(f"typed records from the YAML form ({shape}): {typed:.3f} s ({typed / typed_json:.2f}x JSON)")
    return 0


def main() -> int:
    """Generate data if needed, run both tools ``--runs`` times, print medians and ratios."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json-only", action="store_true", help="skip the YAML form of the data")
    ap.add_argument("--readers", action="store_true", help="time the YAML readers alone (PyYAML vs fast)")
    ap.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("OIDC_DOCTOR_BENCH_QUICK") == "1",
        help="5,500 bindings instead of 55,000",
    )
    args = ap.parse_args()
    if args.readers:
        return readers(args.runs)
    scale = 10 if args.quick else 1
    data = DATA.with_name("rbac-quick") if args.quick else DATA
    json_path = data / "json" / "bindings.json"
    if not json_path.exists():
        print("generating benchmark data ...", file=sys.stderr)
        generate(data, N_ROLEBINDINGS // scale, N_CLUSTERROLEBINDINGS // scale)
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
    jq_peak = _peak_rss_mb(jq_cmd)
    n = (N_ROLEBINDINGS + N_CLUSTERROLEBINDINGS) // scale
    load = os.getloadavg()
    print(f"data: {n} bindings, {size_mb:.0f} MB JSON; {len(want)} apply; load {load[0]:.2f} {load[1]:.2f}")
    print(f"jq                      median {jq_med:.3f} s  ({args.runs} runs, interleaved) peak RSS {jq_peak:.0f} MB")
    print(f"oidc-doctor rbac who    median {our_med:.3f} s  peak RSS {peak:.0f} MB")
    print(f"ratio oidc-doctor / jq  {our_med / jq_med:.2f}  (goal <= 0.3, peak RSS <= 200 MB)")
    if not args.json_only:
        for shape in ("kubectl", "pyyaml"):
            yaml_path = data / ("yaml" if shape == "kubectl" else "yaml-pyyaml") / "bindings.yaml"
            if not yaml_path.exists():
                print(f"generating the YAML form ({shape}) ...", file=sys.stderr)
                generate_yaml(json_path, data, shape)
            ycmd = _ours(yaml_path.parent)
            _, yout = _time(ycmd)
            if _keys(json.loads(yout)["bindings"]) != want:
                print(f"MISMATCH on the YAML form ({shape})", file=sys.stderr)
                return 1
            ytimes, jtimes = [], []
            for _ in range(args.runs):  # interleaved with the JSON form: the ratio is of the same moments
                ytimes.append(_time(ycmd)[0])
                jtimes.append(_time(ours_cmd)[0])
            ymed, jmed = statistics.median(ytimes), statistics.median(jtimes)
            ysize = yaml_path.stat().st_size / 1e6
            ypeak = _peak_rss_mb(ycmd)
            print(f"oidc-doctor on YAML ({shape:7}) median {ymed:.3f} s  ({ysize:.0f} MB, peak RSS {ypeak:.0f} MB)")
            print(f"ratio YAML ({shape}) / JSON {ymed / jmed:.2f}  (JSON {jmed:.3f} s in the same runs; goal <= 2)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
