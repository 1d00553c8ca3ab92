"""``collect`` and ``diagnose --context`` scrape the API server's authentication metrics from the HTTPS
test double: every API server behind the endpoint (bounded), only the authentication series kept,
a refused scrape noted with the permission that would allow it."""

from __future__ import annotations

import json
from pathlib import Path

from apiserver_double import ApiServerDouble
from live_testkit import populate, run

from oidc_doctor.bundle import read_bundle
from oidc_doctor.controlplane.hashes import label_hash
from oidc_doctor.evidence import Kind
from oidc_doctor.live.manifest import MANIFEST
from oidc_doctor.live.readers import MAX_SCRAPES

INFO = "apiserver_authentication_config_controller_last_config_info"


def scrape(apiserver: str, config: str) -> str:
    return (
        "# HELP apiserver_audit_event_total [ALPHA] Counter of audit events generated and sent to the audit backend.\n"
        "# TYPE apiserver_audit_event_total counter\n"
        "apiserver_audit_event_total 118\n"
        f"# HELP {INFO} [ALPHA] Information about the last applied authentication configuration with hash as "
        "label, split by apiserver identity.\n"
        f"# TYPE {INFO} gauge\n"
        f'{INFO}{{apiserver_id_hash="{label_hash(apiserver)}",hash="{label_hash(config)}"}} 1\n'
    )


def collect(double: ApiServerDouble, tmp_path: Path) -> tuple[int, str, Path]:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    out = tmp_path / "bundle"
    status, _stdout, stderr = run(["collect", "-o", str(out), "--kubeconfig", kc, "--no-issuer"])
    return status, stderr, out


def test_collect_scrapes_until_no_new_api_server_shows_and_keeps_only_authentication_series(tmp_path: Path) -> None:
    # Behind a load balancer: cp1, cp2, cp1, cp2, ... — two API servers that run different files.
    with ApiServerDouble(metrics=[scrape("apiserver-aaa", "old"), scrape("apiserver-bbb", "new")]) as double:
        populate(double)
        status, err, bundle = collect(double, tmp_path)
        scrapes = [r for r in double.requests if r.path == "/metrics"]
    assert status == 0, err
    assert 2 < len(scrapes) <= MAX_SCRAPES  # stopped after scrapes that showed no new API server
    assert scrapes[0].headers.get("Accept") == "text/plain"
    ev = read_bundle(bundle)
    readings = ev.of(Kind.APISERVER_METRICS)
    assert len(readings) == 2  # one per API server seen
    seen = {s.labels["apiserver_id_hash"]: s.labels["hash"] for r in readings for s in r.data}
    assert seen == {label_hash("apiserver-aaa"): label_hash("old"), label_hash("apiserver-bbb"): label_hash("new")}
    assert all(s.name == INFO for r in readings for s in r.data)  # apiserver_audit_event_total is not kept
    assert not [i for i in ev.inputs if i.kind in ("unrecognised", "broken")]
    status, out, _ = run(["diagnose", "--bundle", str(bundle), "--format", "json"])
    report = json.loads(out)
    mismatch = [f for f in report["findings"] if f["check"] == "controlplane.config"]
    assert [f["cause"] for f in mismatch] == ["apiserver-endpoint-mismatch"]


def test_a_refused_scrape_is_noted_with_the_permission_that_allows_it(tmp_path: Path) -> None:
    with ApiServerDouble(metrics=[scrape("apiserver-aaa", "x")], forbidden={"/metrics"}) as double:
        populate(double)
        status, err, bundle = collect(double, tmp_path)
    assert status == 0, err
    notes = json.loads((bundle / MANIFEST).read_text())["notes"]
    [note] = [n for n in notes if n["area"] == "metrics"]
    assert note["outcome"] == "forbidden" and note["blind"] is False
    assert 'cannot get path "/metrics"' in note["reason"] and "system:monitoring" in note["reason"]


def test_diagnose_context_reads_the_metrics_into_the_same_evidence(tmp_path: Path) -> None:
    with ApiServerDouble(metrics=[scrape("apiserver-aaa", "x")]) as double:
        populate(double)
        kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
        _status, out, err = run(["diagnose", "--kubeconfig", kc, "--format", "json"])
    report = json.loads(out)
    assert any(i["kind"] == "apiserver-metrics" for i in report["inputs"]), err
    assert any(c["id"] == "controlplane.config" and c["status"] != "skipped" for c in report["checks"])


def lease(identity: str, host: str) -> dict[str, object]:
    """An identity Lease as kube-apiserver writes it (pkg/controlplane/apiserver/server.go)."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": identity,
            "namespace": "kube-system",
            "labels": {"apiserver.kubernetes.io/identity": "kube-apiserver", "kubernetes.io/hostname": host},
        },
        "spec": {"holderIdentity": f"{identity}_6f1b0e2c", "leaseDurationSeconds": 3600},
    }


def test_identity_leases_name_the_api_servers_and_the_ones_never_scraped(tmp_path: Path) -> None:
    with ApiServerDouble(metrics=[scrape("apiserver-aaa", "x")]) as double:
        populate(double)
        double.add(lease("apiserver-aaa", "cp1"))
        double.add(lease("apiserver-ccc", "cp3"))
        status, err, bundle = collect(double, tmp_path)
    assert status == 0, err
    ev = read_bundle(bundle)
    assert len(ev.of(Kind.APISERVER_LEASE)) == 2
    status, out, _ = run(["diagnose", "--bundle", str(bundle), "--format", "json"])
    [config] = [c for c in json.loads(out)["checks"] if c["id"] == "controlplane.config"]
    assert "no metrics from the API server(s) on cp3" in config["reason"]


def _collect_with_leases(tmp_path: Path, answers: list[str], hosts: dict[str, str]) -> tuple[int, Path, int]:
    with ApiServerDouble(metrics=answers) as double:
        populate(double)
        for identity, host in hosts.items():
            double.add(lease(identity, host))
        status, err, bundle = collect(double, tmp_path)
        sent = sum(1 for r in double.requests if r.path == "/metrics")
    assert status == 0, err
    return status, bundle, sent


def test_with_leases_scraping_stops_as_soon_as_every_api_server_was_seen(tmp_path: Path) -> None:
    # An uneven load balancer: cp1 twice, then cp2, cp1 again, then cp3 (and round again).
    answers = [
        scrape(i, "x") for i in ("apiserver-aaa", "apiserver-aaa", "apiserver-bbb", "apiserver-aaa", "apiserver-ccc")
    ]
    hosts = {"apiserver-aaa": "cp1", "apiserver-bbb": "cp2", "apiserver-ccc": "cp3"}
    _, bundle, sent = _collect_with_leases(tmp_path, answers, hosts)
    assert sent == 5  # the fifth answer showed the last API server: no sixth request
    manifest = json.loads((bundle / MANIFEST).read_text())
    assert not [n for n in manifest["notes"] if n["area"] == "metrics"]
    ev = read_bundle(bundle)
    seen = {s.labels["apiserver_id_hash"] for r in ev.of(Kind.APISERVER_METRICS) for s in r.data}
    assert seen == {label_hash(i) for i in hosts}
    [entry] = [f for f in manifest["files"] if f["file"].startswith("apiserver-metrics")]
    assert entry["what"] == "get /metrics x5 (authentication series; API servers seen: 3 of 3: cp1, cp2, cp3)"


def test_with_leases_an_api_server_never_reached_is_named_after_2n_plus_2_requests(tmp_path: Path) -> None:
    from oidc_doctor.live.readers import scrape_budget

    answers = [scrape("apiserver-aaa", "x"), scrape("apiserver-bbb", "x")]  # cp3 sits behind no load balancer
    hosts = {"apiserver-aaa": "cp1", "apiserver-bbb": "cp2", "apiserver-ccc": "cp3"}
    _, bundle, sent = _collect_with_leases(tmp_path, answers, hosts)
    assert sent == scrape_budget(3) == 8
    notes = json.loads((bundle / MANIFEST).read_text())["notes"]
    [note] = [n for n in notes if n["area"] == "metrics"]
    assert "reached 2 of the 3 API servers" in note["reason"] and "never reached: cp3" in note["reason"]
    assert note["blind"] is False


def test_the_lease_hash_is_the_metric_label_of_that_api_server() -> None:
    from oidc_doctor.controlplane.hashes import apiserver_id_hash, apiserver_identity
    from oidc_doctor.live.readers import lease_hosts

    identity = apiserver_identity("cp1")
    pairs = lease_hosts([lease(identity, "cp1"), {"metadata": {}}], label_hash)
    assert pairs == [(apiserver_id_hash("cp1"), "cp1")]
