"""Cloud log exports (EKS CloudWatch, GKE Cloud Logging, AKS resource logs and Log Analytics): recognised
by content, parsed with each entry's own time and index, fed to the log classifier, bounded and
failing closed with one line naming the file."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixturekit import cloud, logs
from fixturekit.clock import NOW_DT

from oidc_doctor.bundle import read_bundle
from oidc_doctor.cli import main
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Kind
from oidc_doctor.io import IO
from oidc_doctor.logs import exports
from oidc_doctor.logs.summary import Summary

AUD = logs.audience("kubernetes", "kubeapps")
FAIL = logs.unable(AUD, -14)
FILLER = logs.klog("I", -60, "controller.go:615", "quota admission added evaluator")


def _audit_401(delta: int) -> str:
    return json.dumps(
        {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": "Metadata",
            "auditID": f"a1b2c3d4-0000-4000-8000-{delta + 1000:012d}",
            "stage": "ResponseStarted",
            "requestURI": "/api/v1/namespaces/dev/pods",
            "verb": "list",
            "user": {},
            "sourceIPs": ["203.0.113.7"],
            "userAgent": "kubectl/v1.31.0",
            "responseStatus": {"metadata": {}, "status": "Failure", "message": "Authentication failed", "code": 401},
            "requestReceivedTimestamp": "2026-11-28T10:24:58.000000Z",
            "stageTimestamp": "2026-11-28T10:24:58.001000Z",
        },
        separators=(",", ":"),
    )


def test_each_export_is_recognised_by_its_first_bytes_only() -> None:
    cw = cloud.cloudwatch_export([(cloud.EKS_STREAM, -14, FAIL)])
    gc = cloud.gcloud_export([("apiserver", -14, FAIL)])
    az = cloud.aks_resource_logs([("kube-apiserver", -14, FAIL)])
    la = cloud.aks_log_analytics([("kube-apiserver", -14, FAIL)])
    assert exports.sniff_export(cw) == exports.CLOUDWATCH
    assert exports.sniff_export(gc) == exports.GCLOUD
    assert exports.sniff_export(az) == exports.AZURE
    assert exports.sniff_export(la) == exports.AZURE_LA
    assert exports.sniff_export('{"records": [' + az.splitlines()[0] + "]}") == exports.AZURE
    # Not exports: a JWKS, a Kubernetes List, a JSON log line, an audit event line.
    for other in (
        '{"keys": []}',
        '{"apiVersion": "v1", "kind": "List", "items": []}',
        '{"ts": 1, "msg": "Unable to authenticate the request"}',
        _audit_401(0),
        "[]",
    ):
        assert exports.sniff_export(other) is None, other


def test_cloudwatch_entries_keep_their_stream_role_time_and_index() -> None:
    text = cloud.cloudwatch_export(
        [
            (cloud.EKS_STREAM, -60, FILLER),
            ("kube-scheduler-8c3a1f0e6b2d4a9c7e5f1b3d2a4c6e8f", -30, "I1128 scheduled"),
            (cloud.EKS_AUDIT_STREAM, -14, _audit_401(1)),
            (cloud.EKS_AUTHENTICATOR_STREAM, -13, 'time="2026-11-28T10:24:59Z" level=info msg="access granted"'),
            (cloud.EKS_STREAM, -14, FAIL),
        ]
    )
    ex = exports.read_export(text.encode(), "eks.json")
    assert ex.platform == exports.CLOUDWATCH
    assert ex.other == 1  # the scheduler's entry
    assert [(e.at, e.role) for e in ex.entries] == [
        ("events[0]", exports.APISERVER),
        ("events[2]", exports.AUDIT),
        ("events[3]", exports.AUTHENTICATOR),
        ("events[4]", exports.APISERVER),
    ]
    # The time is the export's (milliseconds since the epoch), not the klog header's.
    assert ex.entries[-1].time == datetime(2026, 11, 28, 10, 24, 58, tzinfo=UTC)
    assert ex.latest() == datetime(2026, 11, 28, 10, 24, 59, tzinfo=UTC)


def test_gcloud_entries_read_text_and_json_payloads_and_nine_fraction_digits() -> None:
    text = cloud.gcloud_export([("apiserver", -14, FAIL), ("scheduler", -10, "I1128 scheduled pod")])
    ex = exports.read_export(text.encode(), "gke.json")
    assert ex.other == 1
    (entry,) = ex.entries
    assert entry.role == exports.APISERVER
    assert entry.message.startswith('"Unable to authenticate the request" err=')
    assert entry.at == "[1]"  # gcloud prints the newest first
    assert entry.time == datetime(2026, 11, 28, 10, 24, 58, tzinfo=UTC)


def test_aks_records_as_lines_event_hub_and_log_analytics() -> None:
    records = [("kube-apiserver", -14, FAIL), ("kube-audit", -14, _audit_401(2)), ("cluster-autoscaler", -5, "x")]
    lines = exports.read_export(cloud.aks_resource_logs(records).encode(), "PT1H.json")
    assert [(e.at, e.role) for e in lines.entries] == [("line 1", exports.APISERVER), ("line 2", exports.AUDIT)]
    assert lines.other == 1
    assert lines.entries[0].time == datetime(2026, 11, 28, 10, 24, 58, tzinfo=UTC)  # 7 fraction digits
    hub = '{"records": [' + ",".join(cloud.aks_resource_logs(records).splitlines()) + "]}"
    assert [e.at for e in exports.read_export(hub.encode(), "hub.json").entries] == ["records[0]", "records[1]"]
    la = exports.read_export(cloud.aks_log_analytics(records).encode(), "la.json")
    assert la.platform == exports.AZURE_LA
    assert [(e.at, e.role) for e in la.entries] == [("[0]", exports.APISERVER), ("[1]", exports.AUDIT)]


def test_scan_export_classifies_the_api_server_lines_named_by_their_index() -> None:
    text = cloud.cloudwatch_export([(cloud.EKS_STREAM, -60, FILLER), (cloud.EKS_STREAM, -14, FAIL)])
    ex = exports.read_export(text.encode(), "x")
    s = Summary()
    assert exports.scan_export(ex, "bundle/eks.json", [s]) == 2
    st = s.by_cause["audience-mismatch"]
    assert st.count == 1 and st.example is not None
    assert st.example.ref == "bundle/eks.json events[1]"
    assert st.first == NOW_DT.replace(second=58, minute=24)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"events": {"not": "a list"}, "searchedLogStreams": [], "message": 1, "timestamp": 2}', "without an"),
        ('{"events": [{"logStreamName": "kube-apiserver-x", "timestamp": 1, "message": "a"', "broken JSON"),
        ('[{"logName": "x", "resource": {}, "textPayload": "y"}', "broken JSON"),
        ("[" * 5000 + "]" * 5000, "not a CloudWatch"),
    ],
)
def test_broken_exports_fail_closed_naming_the_file(text: str, problem: str) -> None:
    with pytest.raises(InputError) as e:
        exports.read_export(text.encode(), "bundle/eks.json")
    assert str(e.value).startswith("bundle/eks.json")
    assert problem in str(e.value)


def test_hostile_entries_are_skipped_and_messages_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {
        "events": [
            "a string",
            {"logStreamName": "kube-apiserver-x", "timestamp": "not a number", "message": 7},
            {"logStreamName": "kube-apiserver-x", "timestamp": 1e300, "message": "E" + "x" * 100},
            {"logStreamName": "kube-apiserver-x", "timestamp": True, "message": "ok"},
        ]
    }
    monkeypatch.setattr(exports, "MAX_MESSAGE", 10)
    ex = exports.read_export(json.dumps(doc).encode(), "x")
    assert ex.other == 2
    assert [e.time for e in ex.entries] == [None, None]  # out of range / a bool are no times
    assert len(ex.entries[0].message) == 10


def test_an_export_over_the_limit_is_refused_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "MAX_EXPORT_BYTES", 100)
    text = cloud.cloudwatch_export([(cloud.EKS_STREAM, -14, FAIL)] * 5).encode()
    with pytest.raises(InputError) as e:
        exports.read_export(text, "big.json")
    assert "over the" in str(e.value) and str(e.value).startswith("big.json")


def test_json_lines_with_many_broken_lines_are_refused() -> None:
    good = cloud.aks_resource_logs([("kube-apiserver", -14, FAIL)])
    with pytest.raises(InputError, match="more than 10 lines"):
        exports.read_export((good + "{not json\n" * 11).encode(), "PT1H.json", exports.AZURE)


def _bundle(tmp_path: Path, name: str, text: str | bytes) -> Path:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def test_a_bundle_takes_each_export_for_an_api_server_log_and_audit_events(tmp_path: Path) -> None:
    text = cloud.cloudwatch_export([(cloud.EKS_STREAM, -14, FAIL), (cloud.EKS_AUDIT_STREAM, -14, _audit_401(3))])
    ev = read_bundle(_bundle(tmp_path, "whatever.txt", gzip.compress(text.encode(), mtime=0)))
    kinds = {(r.kind, r.objects) for r in ev.inputs}
    assert ("apiserver-log", 1) in kinds and ("audit-events", 1) in kinds
    (log,) = ev.of(Kind.APISERVER_LOG)
    assert isinstance(log.data, exports.LogExport)
    (audit,) = ev.of(Kind.AUDIT_EVENTS)
    assert audit.data[0].ref == "b/whatever.txt events[1]" and audit.data[0].code == 401


def test_a_broken_export_in_a_bundle_is_named_never_fatal(tmp_path: Path) -> None:
    ev = read_bundle(_bundle(tmp_path, "eks.json", '{"events": [{"logStreamName": "kube-apiserver-x", "message": "'))
    (rec,) = ev.inputs
    assert rec.kind == "broken" and "broken JSON" in rec.reason


def test_an_export_of_other_components_only_is_unrecognised_with_the_reason(tmp_path: Path) -> None:
    ev = read_bundle(_bundle(tmp_path, "gke.json", cloud.gcloud_export([("scheduler", -10, "I1128 x")])))
    (rec,) = ev.inputs
    assert rec.kind == "unrecognised" and "1 entries of other components" in rec.reason


def _diagnose(folder: Path, *extra: str) -> dict[str, object]:
    out = io.StringIO()
    main(["diagnose", "--bundle", str(folder), "-o", "json", *extra], IO(stdout=out, stderr=io.StringIO(), env={}))
    doc: dict[str, object] = json.loads(out.getvalue())
    return doc


@pytest.mark.parametrize(
    "text",
    [
        cloud.cloudwatch_export([(cloud.EKS_STREAM, -60, FILLER), (cloud.EKS_STREAM, -14, FAIL)]),
        cloud.gcloud_export([("apiserver", -60, FILLER), ("apiserver", -14, FAIL)]),
        cloud.aks_resource_logs([("kube-apiserver", -60, FILLER), ("kube-apiserver", -14, FAIL)]),
        cloud.aks_log_analytics([("kube-apiserver", -60, FILLER), ("kube-apiserver", -14, FAIL)]),
    ],
)
def test_diagnose_reads_the_export_and_judges_at_its_newest_entry(tmp_path: Path, text: str) -> None:
    doc = _diagnose(_bundle(tmp_path, "export.json", text))
    assert doc["now_source"] == "log" and doc["now"] == "2026-11-28T10:24:58Z"
    findings = doc["findings"]
    assert isinstance(findings, list)
    first = findings[0]
    assert first["cause"] == "audience-mismatch"
    refs = [e["ref"] for e in first["evidence"]]
    at = {r.split(" ", 1)[1] for r in refs if r.startswith("b/export.json ")}
    assert at & {"events[1]", "[0]", "[1]", "line 2"}, refs


def test_logs_command_reads_an_export_and_a_broken_one_exits_2_naming_it(tmp_path: Path) -> None:
    good = tmp_path / "eks.json"
    good.write_text(cloud.cloudwatch_export([(cloud.EKS_STREAM, -14, FAIL)]))
    out, err = io.StringIO(), io.StringIO()
    status = main(["logs", str(good), "-o", "json"], IO(stdout=out, stderr=err, env={}))
    doc = json.loads(out.getvalue())
    assert status == 1
    assert doc["by_cause"]["audience-mismatch"]["ref"] == f"{good} events[0]"
    assert doc["files"][0]["kind"] == "EKS CloudWatch export (aws logs filter-log-events)"
    bad = tmp_path / "bad.json"
    bad.write_text('{"events": [{"logStreamName": "kube-apiserver-x", "timestamp": 1, "message": "x"}')
    out, err = io.StringIO(), io.StringIO()
    assert main(["logs", str(bad)], IO(stdout=out, stderr=err, env={})) == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and str(bad) in err.getvalue()


def test_a_huge_export_in_a_bundle_is_named_broken_plain_or_gzip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "MAX_EXPORT_BYTES", 2000)
    text = cloud.cloudwatch_export([(cloud.EKS_STREAM, -14, FAIL)] * 20).encode()
    for name, data in (("plain.json", text), ("packed.json.gz", gzip.compress(text, mtime=0))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_bytes(data)
        (rec,) = read_bundle(folder).inputs
        assert rec.kind == "broken" and "over the" in rec.reason, (name, rec.reason)
