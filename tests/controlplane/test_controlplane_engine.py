"""The control-plane readers: hashes as kube-apiserver computes them, metrics text and query results,
audit events (plain and gzip), and their recognition by content in a bundle."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from cp_shapes import audit_event, exposition, failed_login, json_lines

from oidc_doctor.bundle import read_bundle
from oidc_doctor.controlplane import audit, metrics
from oidc_doctor.controlplane.hashes import apiserver_id_hash, apiserver_identity, label_hash
from oidc_doctor.evidence import Kind

# Values from k8s.io/apiserver's own tests (commit 24a394e516bfda066d7e2221d7d92c052de27c54):
# pkg/server/options/authenticationconfig/metrics/metrics_test.go and
# plugin/pkg/authenticator/token/oidc/metrics_test.go.
UPSTREAM_CONFIG = """
apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: https://test-issuer
    audiences: [ "aud" ]
  claimMappings:
    username:
      claim: sub
      prefix: ""
"""


def test_label_hashes_equal_upstreams_test_values() -> None:
    assert label_hash("testAPIServerID") == "sha256:14f9d63e669337ac6bfda2e2162915ee6a6067743eddd4e5c374b572f951ff37"
    assert label_hash("testIssuer") == "sha256:29b34beedc55b972f2428f21bc588f9d38e5e8f7a7af825486e7bb4fd9caa2ad"
    assert label_hash(UPSTREAM_CONFIG) == "sha256:ccbcaf98557c273dfc779222d54a5bd3e785ea5330048f3bf4278cf3997b669c"
    keyset = '{"keys":[{"kty":"RSA","use":"sig","kid":"test"}]}'
    assert label_hash(keyset) == "sha256:d132d414ef2da3d863abd7bf0165c00403ef1d3510faf8fdf1d7cf335c888e53"
    assert label_hash("") == ""  # getHash returns "" for empty data


def test_issuer_hash_is_of_the_exact_url_a_trailing_slash_changes_it() -> None:
    url = "https://keycloak.example.com/realms/k8s"
    assert label_hash(url) == "sha256:" + hashlib.sha256(url.encode()).hexdigest()
    assert label_hash(url) != label_hash(url + "/")


def test_apiserver_identity_is_the_lease_name_made_from_the_hostname() -> None:
    # pkg/server/config.go: sha256(uint16-length-prefixed hostname || "kube-apiserver"), base32 of 16 bytes.
    data = len(b"cp1").to_bytes(2, "big") + b"cp1" + len(b"kube-apiserver").to_bytes(2, "big") + b"kube-apiserver"
    import base64

    expected = "apiserver-" + base64.b32encode(hashlib.sha256(data).digest()[:16]).decode().rstrip("=").lower()
    assert apiserver_identity("cp1") == expected
    assert len(expected) == len("apiserver-") + 26  # 128 bits in base32 without padding
    assert apiserver_id_hash("cp1") == label_hash(expected)
    assert apiserver_identity("cp2") != apiserver_identity("cp1")


def test_text_exposition_keeps_only_the_authentication_families() -> None:
    iss = label_hash("https://issuer.example")
    text = exposition(
        [
            (
                "apiserver_authentication_jwt_authenticator_latency_seconds",
                {"jwt_issuer_hash": iss, "result": "failure"},
                7,
            ),
            ("authentication_attempts", {"result": "error"}, 9),
            (
                "apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds",
                {"jwt_issuer_hash": iss, "apiserver_id_hash": "sha256:aa", "result": "failure"},
                1.7643251e9,
            ),
        ]
    )
    samples = metrics.parse_text(text.encode().splitlines(keepends=True))
    assert {s.name for s in samples} == {
        "apiserver_authentication_jwt_authenticator_latency_seconds_count",
        "authentication_attempts",
        "apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds",
    }  # buckets, sums and other families are skipped
    s = metrics.summarise(samples)
    assert s.jwt == {iss: {"failure": 7.0}}
    assert s.rejected() == 9.0
    assert s.jwks[0].failing() and s.jwks[0].at["failure"] == 1.7643251e9
    line = next(x for x in samples if x.name == "authentication_attempts").line
    assert text.splitlines()[line - 1].startswith("authentication_attempts{")


def test_label_values_are_unescaped_and_a_space_before_the_brace_is_read() -> None:
    x = metrics.parse_line(
        'apiserver_authentication_config_controller_last_config_info {apiserver_id_hash="a\\"b",hash="sha256:1"} 1'
    )
    assert x is not None and x.labels == {"apiserver_id_hash": 'a"b', "hash": "sha256:1"}
    assert metrics.parse_line('authentication_attempts{result="success"} NaN') is None
    assert metrics.parse_line("# TYPE authentication_attempts counter") is None


def test_reload_failed_last_only_when_the_failure_is_newer() -> None:
    h = "sha256:aa"
    name = "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds"
    older = metrics.summarise(
        [
            metrics.Sample(name, {"apiserver_id_hash": h, "status": "failure"}, 100.0),
            metrics.Sample(name, {"apiserver_id_hash": h, "status": "success"}, 200.0),
        ]
    )
    newer = metrics.summarise([metrics.Sample(name, {"apiserver_id_hash": h, "status": "failure"}, 300.0)])
    assert not older.apiservers[h].reload_failed_last()
    assert newer.apiservers[h].reload_failed_last()


def _scrape(server: str, rejected: float, reloads: float) -> list[metrics.Sample]:
    """One `kubectl get --raw /metrics` of one API server (its id hash on the reload families)."""
    return [
        metrics.Sample(metrics.ATTEMPTS, {"result": "error"}, rejected),
        metrics.Sample(metrics.RELOADS, {"apiserver_id_hash": server, "status": "success"}, reloads),
    ]


def test_two_scrapes_of_one_apiserver_count_its_requests_once() -> None:
    # The same API server scraped twice (an uneven load balancer, or the command run twice): its
    # counters only grew between the scrapes, so the later values stand, not their sum.
    readings = metrics.one_per_apiserver([_scrape("sha256:aa", 10.0, 1.0), _scrape("sha256:aa", 12.0, 2.0)])
    summary = metrics.summarise(metrics.iter_samples(readings))
    assert summary.rejected() == 12.0
    assert summary.apiservers["sha256:aa"].reloads == {"success": 2.0}


def test_different_apiservers_add_up_and_anonymous_scrapes_are_kept() -> None:
    unnamed = [metrics.Sample(metrics.ATTEMPTS, {"result": "error"}, 5.0)]
    readings = metrics.one_per_apiserver(
        [_scrape("sha256:aa", 10.0, 1.0), [], unnamed, _scrape("sha256:bb", 7.0, 3.0), _scrape("sha256:aa", 11.0, 1.0)]
    )
    assert [len(r) for r in readings] == [2, 0, 1, 2]  # aa's two scrapes became one, in aa's place
    summary = metrics.summarise(metrics.iter_samples(readings))
    assert summary.rejected() == 11.0 + 5.0 + 7.0
    reloads = {h: a.reloads for h, a in summary.apiservers.items()}
    assert reloads == {"sha256:aa": {"success": 1.0}, "sha256:bb": {"success": 3.0}}


def test_prometheus_query_result_vector_and_matrix() -> None:
    vector = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {
                        "__name__": "apiserver_authentication_config_controller_last_config_info",
                        "apiserver_id_hash": "sha256:aa",
                        "hash": "sha256:bb",
                        "instance": "10.0.0.11:6443",
                        "job": "apiserver",
                    },
                    "value": [1764325500.123, "1"],
                },
                {"metric": {"__name__": "up", "job": "apiserver"}, "value": [1764325500.123, "1"]},
            ],
        },
    }
    samples = metrics.parse_query_result(vector)
    assert [s.name for s in samples] == ["apiserver_authentication_config_controller_last_config_info"]
    assert metrics.summarise(samples).apiservers["sha256:aa"].config_hash == "sha256:bb"
    matrix = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"__name__": "authentication_attempts", "result": "failure"},
                    "values": [[1764325400, "3"], [1764325500, "5"]],
                }
            ],
        },
    }
    assert metrics.summarise(metrics.parse_query_result(matrix)).attempts == {"failure": 5.0}


def test_audit_events_once_per_request_with_the_token_jti(tmp_path: Path) -> None:
    user = {
        "username": "oidc:alice@example.com",
        "groups": ["oidc:dev", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": ["JTI=abc-123"]},
    }
    events = [
        {**failed_login("a1", "2026-11-28T10:24:00Z"), "stage": "RequestReceived", "responseStatus": None},
        failed_login("a1", "2026-11-28T10:24:00Z"),
        failed_login("a2", "2026-11-28T10:24:30Z", agent="Go-http-client/1.1", ip="10.0.0.9"),
        failed_login("a3", "2026-11-28T08:00:00Z"),
        audit_event("b1", "2026-11-28T10:25:00Z", 200, user=user),
        audit_event(
            "c1",
            "2026-11-28T10:25:05Z",
            403,
            user=user,
            verb="create",
            annotations={"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""},
        ),
    ]
    for obj in events:
        if obj.get("responseStatus") is None:
            obj.pop("responseStatus")
    path = tmp_path / "audit.log.gz"
    path.write_bytes(gzip.compress((json_lines(events) + "not json\n").encode()))
    read, skipped = audit.read_events(path)
    assert [e.audit_id for e in read] == ["a1", "a2", "a3", "b1", "c1"] and skipped == 1
    now = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
    from datetime import timedelta

    s = audit.summarise(read, "abc-123", now - timedelta(minutes=5), now + timedelta(minutes=5))
    assert s.failed == 3
    assert sorted(g.count for g in s.failed_near.values()) == [1, 1]  # a3 is two hours away
    assert s.accepted.count == 1 and s.accepted.last is not None
    assert s.accepted.last.username == "oidc:alice@example.com"
    assert [e.decision for e in s.forbidden] == ["forbid"]
    assert audit.summarise(read, "other", now - timedelta(minutes=5), now).accepted.count == 0


def test_bundle_recognises_metrics_and_audit_by_content(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    text = exposition([("authentication_attempts", {"result": "error"}, 3)])
    (folder / "scrape.txt").write_text(text)
    (folder / "big.prom.gz").write_bytes(gzip.compress((text * 2000).encode()))  # > 64 KiB, gzip
    (folder / "events.log").write_text(json_lines([failed_login("a1", "2026-11-28T10:24:00Z")]))
    pretty = audit_event("p1", "2026-11-28T10:24:00Z", 200, user={"username": "bob"})
    (folder / "one-event.json").write_text(json.dumps(pretty, indent=2))
    (folder / "query.json").write_text(
        json.dumps(
            {
                "status": "success",
                "data": {
                    "resultType": "vector",
                    "result": [
                        {"metric": {"__name__": "authentication_attempts", "result": "failure"}, "value": [1, "2"]}
                    ],
                },
            }
        )
    )
    (folder / "other.prom").write_text(
        "# HELP process_cpu_seconds_total Total user and system CPU time.\n"
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n"
    )
    ev = read_bundle(folder)
    kinds = {i.ref.split()[0]: i.kind for i in ev.items}
    assert kinds == {
        "b/big.prom.gz": Kind.APISERVER_METRICS,
        "b/events.log": Kind.AUDIT_EVENTS,
        "b/one-event.json": Kind.AUDIT_EVENTS,
        "b/query.json": Kind.APISERVER_METRICS,
        "b/scrape.txt": Kind.APISERVER_METRICS,
    }
    big = next(i for i in ev.items if i.ref == "b/big.prom.gz")
    assert len(big.data) == 2000
    other = next(r for r in ev.inputs if r.ref == "b/other.prom")
    assert other.kind == "unrecognised" and "authentication metrics" in other.reason


def test_only_kube_apiserver_identity_leases_are_taken(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    leases = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": "apiserver-x", "labels": {"apiserver.kubernetes.io/identity": "kube-apiserver"}},
            },
            {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "kube-scheduler"}},
        ],
    }
    (folder / "leases.json").write_text(json.dumps(leases))
    ev = read_bundle(folder)
    assert [i.data["metadata"]["name"] for i in ev.of(Kind.APISERVER_LEASE)] == ["apiserver-x"]
