"""The live client against the API server test double: kubeconfig, TLS, auth plugins, lists, patch, rollout."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from apiserver_double import ApiServerDouble
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidc_doctor.cli import main
from oidc_doctor.errors import InputError
from oidc_doctor.io import IO
from oidc_doctor.live.client import ApiClient, LiveError, rollout_status, wait_rollout, workload_path
from oidc_doctor.live.kubeconfig import load, merge
from oidc_doctor.loader import load_documents

FIXTURES = Path(__file__).parent.parent / "proxy" / "fixtures"


def _fixture(name: str) -> list[Any]:
    path = FIXTURES / name
    return [d.data for d in load_documents(path.read_text(), str(path))]


@pytest.fixture
def double() -> Iterator[ApiServerDouble]:
    with ApiServerDouble() as d:
        for obj in _fixture("kubeapps-8.0.0-deployment.yaml"):
            d.add(obj)
        yield d


def _client(double: ApiServerDouble, tmp_path: Path, user: dict[str, Any] | None = None) -> ApiClient:
    path = double.kubeconfig(tmp_path / "kubeconfig", user)
    return ApiClient(load(path=str(path), env={}))


def test_get_goes_through_real_tls_with_the_kubeconfig_token(double: ApiServerDouble, tmp_path: Path) -> None:
    with _client(double, tmp_path) as c:
        obj = c.get(workload_path("Deployment", "kubeapps", "kubeapps"))
    assert obj["metadata"]["labels"]["helm.sh/chart"] == "kubeapps-8.0.0"
    [rec] = double.requests
    assert rec.headers["Authorization"] == f"Bearer {double.token}"


def test_a_server_certificate_from_another_ca_is_refused(double: ApiServerDouble, tmp_path: Path) -> None:
    path = double.kubeconfig(tmp_path / "kubeconfig", ca=False)  # system trust store only
    with ApiClient(load(path=str(path), env={})) as c, pytest.raises(LiveError, match="cannot reach"):
        c.get("/api/v1/namespaces/kubeapps/configmaps")
    assert double.requests == []


def test_a_refused_token_reads_as_the_api_servers_401(double: ApiServerDouble, tmp_path: Path) -> None:
    with _client(double, tmp_path, {"token": "wrong"}) as c, pytest.raises(LiveError) as e:
        c.get(workload_path("Deployment", "kubeapps", "kubeapps"))
    assert e.value.status == 401 and "401 Unauthorized" in str(e.value)


def test_client_certificate_authentication(double: ApiServerDouble, tmp_path: Path) -> None:
    with _client(double, tmp_path, double.client_cert_user()) as c:
        c.get(workload_path("Deployment", "kubeapps", "kubeapps"))
    [rec] = double.requests
    assert rec.client_cert and "Authorization" not in rec.headers


def test_exec_plugin_v1_like_kubelogin(double: ApiServerDouble, tmp_path: Path) -> None:
    seen = tmp_path / "exec-info.json"
    plugin = tmp_path / "fake-get-token"
    plugin.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"open({str(seen)!r}, 'w').write(os.environ['KUBERNETES_EXEC_INFO'] + '|' + os.environ.get('EXTRA', ''))\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',\n"
        f"  'status': {{'token': {double.token!r}, 'expirationTimestamp': '2099-01-01T00:00:00Z'}}}}))\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "./fake-get-token",
            "args": ["get-token"],
            "env": [{"name": "EXTRA", "value": "yes"}],
            "interactiveMode": "Never",
        }
    }
    with _client(double, tmp_path, user) as c:
        c.get(workload_path("Deployment", "kubeapps", "kubeapps"))
        c.get(workload_path("Deployment", "kubeapps", "kubeapps"))
    info, extra = seen.read_text().split("|")
    assert json.loads(info)["kind"] == "ExecCredential" and extra == "yes"
    assert [r.headers["Authorization"] for r in double.requests] == [f"Bearer {double.token}"] * 2


def test_removed_auth_provider_plugins_are_explained(double: ApiServerDouble, tmp_path: Path) -> None:
    with pytest.raises(LiveError, match=r"auth-provider plugin 'azure', removed from kubectl in 1\.26"):
        _client(double, tmp_path, {"auth-provider": {"name": "azure", "config": {}}})
    with pytest.raises(LiveError, match="oidc auth-provider holds no id-token"):
        _client(double, tmp_path, {"auth-provider": {"name": "oidc", "config": {}}})


def test_oidc_auth_provider_sends_its_id_token(double: ApiServerDouble, tmp_path: Path) -> None:
    # kubectl still loads the oidc auth-provider (client-go plugin/pkg/client/auth/plugins.go).
    user = {"auth-provider": {"name": "oidc", "config": {"id-token": double.token, "idp-issuer-url": "https://x"}}}
    with _client(double, tmp_path, user) as c:
        c.get(workload_path("Deployment", "kubeapps", "kubeapps"))
    assert [r.headers["Authorization"] for r in double.requests] == [f"Bearer {double.token}"]


def test_lists_follow_continue_pages_and_keep_plain_json(double: ApiServerDouble, tmp_path: Path) -> None:
    for i in range(5):
        double.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{i}", "namespace": "kubeapps"}})
    with _client(double, tmp_path) as c:
        items = c.list("/api/v1/namespaces/kubeapps/configmaps", limit=2)
    assert [i["metadata"]["name"] for i in items] == [f"cm{i}" for i in range(5)]
    assert all(i["kind"] == "ConfigMap" and isinstance(i, dict) for i in items)
    assert [r.query.get("continue") for r in double.requests] == [None, ["2"], ["4"]]


def test_patch_then_wait_for_a_progressive_rollout(tmp_path: Path) -> None:
    with ApiServerDouble(rollout="progressive") as double:
        for obj in _fixture("kubeapps-8.0.0-deployment.yaml"):
            double.add(obj)
        slept: list[float] = []
        messages: list[str] = []
        path = workload_path("Deployment", "kubeapps", "kubeapps")
        with _client(double, tmp_path) as c:
            c.patch_json(path, [{"op": "add", "path": "/spec/template/spec/containers/1/args/-", "value": "--x=1"}])
            done = wait_rollout(c, "Deployment", "kubeapps", "kubeapps", sleep=slept.append, progress=messages.append)
    assert done == 'deployment "kubeapps" successfully rolled out'
    assert messages[0].startswith('Waiting for deployment "kubeapps" rollout to finish: 0 out of 2 new replicas')
    assert slept == [2.0]
    patch = next(r for r in double.requests if r.method == "PATCH")
    assert patch.headers["Content-Type"] == "application/json-patch+json"


def test_a_failed_test_op_is_refused_and_nothing_changes(double: ApiServerDouble, tmp_path: Path) -> None:
    before = double.get("Deployment", "kubeapps", "kubeapps")
    ops = [{"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "auth-proxy"}]
    with _client(double, tmp_path) as c, pytest.raises(LiveError) as e:
        c.patch_json(workload_path("Deployment", "kubeapps", "kubeapps"), ops)
    assert e.value.status == 422
    assert double.get("Deployment", "kubeapps", "kubeapps") == before


def test_rollout_wait_times_out_with_the_last_status(tmp_path: Path) -> None:
    with ApiServerDouble(rollout="progressive") as double:
        for obj in _fixture("kubeapps-8.0.0-deployment.yaml"):
            double.add(obj)
        ticks = iter([0.0, 10.0, 20.0])
        with _client(double, tmp_path) as c:
            c.patch_json(
                workload_path("Deployment", "kubeapps", "kubeapps"),
                [{"op": "replace", "path": "/spec/replicas", "value": 3}],
            )
            with pytest.raises(LiveError, match="rollout not finished after 5 s"):
                wait_rollout(
                    c,
                    "Deployment",
                    "kubeapps",
                    "kubeapps",
                    timeout_s=5,
                    sleep=lambda s: None,
                    clock=lambda: next(ticks),
                )


def test_rollout_rules_follow_kubectl() -> None:
    dep: dict[str, Any] = {
        "kind": "Deployment",
        "metadata": {"name": "d", "generation": 3},
        "spec": {"replicas": 2},
        "status": {"observedGeneration": 2},
    }
    assert rollout_status(dep) == (False, "Waiting for deployment spec update to be observed...")
    dep["status"] = {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}
    assert "1 old replicas are pending termination" in rollout_status(dep)[1]
    dep["status"]["conditions"] = [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]
    with pytest.raises(LiveError, match="exceeded its progress deadline"):
        rollout_status(dep)
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "s", "generation": 1},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": 1,
            "readyReplicas": 1,
            "currentRevision": "a",
            "updateRevision": "b",
            "updatedReplicas": 0,
        },
    }
    assert rollout_status(sts)[0] is False
    ds = {
        "kind": "DaemonSet",
        "metadata": {"name": "x", "generation": 1},
        "status": {
            "observedGeneration": 1,
            "desiredNumberScheduled": 3,
            "updatedNumberScheduled": 3,
            "numberAvailable": 3,
        },
    }
    assert rollout_status(ds) == (True, 'daemon set "x" successfully rolled out')


# --- kubeconfig ------------------------------------------------------------------------------


def test_kubeconfig_list_merges_like_kubectl_first_wins(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "sub" / "b"
    b.parent.mkdir()
    a.write_text(
        "clusters:\n- name: c\n  cluster: {server: 'https://a:6443', certificate-authority: ca.crt}\n"
        "users:\n- name: u\n  user: {token: aaa}\n"
        "contexts:\n- name: one\n  context: {cluster: c, user: u}\n"
    )
    b.write_text(
        "current-context: two\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://b:6443'}\n- name: d\n  cluster: {server: 'https://d:6443'}\n"
        "users:\n- name: v\n  user: {tokenFile: token.txt}\n"
        "contexts:\n- name: two\n  context: {cluster: d, user: v, namespace: team}\n"
        "- name: one\n  context: {cluster: d, user: v}\n"
    )
    env = {"KUBECONFIG": os.pathsep.join([str(a), str(b)])}
    two = load(env=env)
    assert (two.context, two.server, two.namespace) == ("two", "https://d:6443", "team")
    assert two.single.user.token_file == str(b.parent / "token.txt")
    one = load("one", env=env)
    assert one.server == "https://a:6443"  # first file's cluster c and context one win
    assert one.single.cluster.certificate_auth == str(tmp_path / "ca.crt")
    assert merge([{"current-context": "x"}, {"current-context": "y"}])["current-context"] == "x"


def test_kubeconfig_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("clusters: []\ncontexts: []\nusers: []\n")
    with pytest.raises(InputError, match="No current context"):
        load(path=str(path), env={})
    with pytest.raises(InputError, match="Context 'nope' not found"):
        load("nope", path=str(path), env={})
    path.write_text("clusters: [\n")
    with pytest.raises(InputError, match=f"^{path}: broken kubeconfig YAML"):
        load(path=str(path), env={})
    with pytest.raises(InputError, match="no kubeconfig found"):
        load(env={"HOME": str(tmp_path / "nohome")})


# --- the commands, end to end ------------------------------------------------------------------


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


def test_authz_header_enable_apply_then_disable_restores_the_deployment(
    double: ApiServerDouble, tmp_path: Path
) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    original = double.get("Deployment", "kubeapps", "kubeapps")
    status, out, err = _run(
        ["proxy", "authz-header", "enable", "--kubeconfig", kc, "-n", "kubeapps", "-d", "kubeapps", "--apply"]
    )
    assert status == 0, err
    args = double.get("Deployment", "kubeapps", "kubeapps")["spec"]["template"]["spec"]["containers"][1]["args"]
    assert args[-1] == "--set-authorization-header=true"
    assert 'deployment "kubeapps" successfully rolled out' in out
    assert "oidc-doctor token -" in out and "Network tab" in out
    assert "oidc-doctor proxy authz-header disable -n kubeapps -d kubeapps -c auth-proxy --apply" in err
    assert "authProxy.extraFlags" in out  # Helm manages it: say what to change instead
    assert [r.method for r in double.requests][:2] == ["GET", "PATCH"]
    # enabling again is a no-op: no second PATCH
    status, out, _ = _run(["proxy", "authz-header", "enable", "--kubeconfig", kc, "-d", "kubeapps", "--apply"])
    assert status == 0 and "Nothing to change" in out
    assert [r.method for r in double.requests].count("PATCH") == 1
    status, out, err = _run(["proxy", "authz-header", "disable", "--kubeconfig", kc, "-d", "kubeapps", "--apply"])
    assert status == 0, err
    restored = double.get("Deployment", "kubeapps", "kubeapps")
    assert restored["spec"] == original["spec"]


def test_authz_header_dry_run_prints_the_patch_and_changes_nothing(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = _run(["proxy", "authz-header", "enable", "--kubeconfig", kc])
    assert status == 0
    assert "kubectl -n kubeapps patch deployment kubeapps --type=json -p '" in out
    assert '"path": "/spec/template/spec/containers/1/args/-"' in out
    assert all(r.method == "GET" for r in double.requests)


def test_authz_header_dry_run_from_a_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "deploy.yaml").write_text((FIXTURES / "kubeapps-7.1.0-deployment.yaml").read_text())
    status, out, _ = _run(["proxy", "authz-header", "enable", "--bundle", str(bundle)])
    assert status == 0 and "authProxy.additionalFlags" in out and "Dry run" in out


def test_proxy_checks_read_a_live_cluster(double: ApiServerDouble, tmp_path: Path) -> None:
    double.objects.clear()
    for obj in [*_fixture("kubeapps-7.0.4-deployment.yaml"), *_fixture("kubeapps-7.0.4-release.yaml")]:
        double.add(obj)
    double.add(
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "other", "namespace": "kubeapps"}}
    )
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = _run(["proxy", "--kubeconfig", kc, "-n", "kubeapps", "--format", "json", "--token-lifetime", "5m"])
    report = json.loads(out)
    assert status == 1
    [f] = [f for f in report["findings"] if f["cause"] == "proxy-cookie-refresh-missing"]
    assert "chart 7.0.4" in json.dumps(f["evidence"])
    secrets = [r for r in double.requests if r.path.endswith("/secrets")]
    assert secrets and all(r.query["labelSelector"] == ["owner=helm"] for r in secrets)


def test_a_refused_list_makes_checks_unknown_not_pass(double: ApiServerDouble, tmp_path: Path) -> None:
    double.forbidden = {"/apis/apps/v1/namespaces/kubeapps/deployments"}
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = _run(["proxy", "--kubeconfig", kc, "-n", "kubeapps", "--format", "json"])
    report = json.loads(out)
    assert status == 0
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["proxy.cookie-refresh"] == "unknown"
    assert any(i["kind"] == "unreadable" for i in report["inputs"])


def test_context_selection_and_a_missing_context_is_one_line_exit_2(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig", context="prod"))
    status, out, _ = _run(["proxy", "--kubeconfig", kc, "--context", "prod", "-n", "kubeapps", "--format", "json"])
    assert status == 0 and json.loads(out)["schema"] == "oidc-doctor/report/v1"
    status, out, err = _run(["proxy", "--kubeconfig", kc, "--context", "staging"])
    assert status == 2 and out == ""
    assert err.strip() == f"oidc-doctor: {kc}: Context 'staging' not found"


def test_an_unreachable_api_server_is_one_line_exit_2(tmp_path: Path) -> None:
    with ApiServerDouble() as gone:
        kc = str(gone.kubeconfig(tmp_path / "kubeconfig"))
    status, _, err = _run(["proxy", "authz-header", "enable", "--kubeconfig", kc, "-d", "kubeapps"])
    assert status == 2 and err.count("\n") == 1 and "cannot reach https://127.0.0.1:" in err


def test_the_whole_answer_must_arrive_within_the_request_deadline(double: ApiServerDouble, tmp_path: Path) -> None:
    ticks = iter([0.0, 11.0])  # the body's first chunk arrives 11 s after the request started
    path = double.kubeconfig(tmp_path / "kubeconfig")
    with (
        ApiClient(load(path=str(path), env={}), clock=lambda: next(ticks)) as c,
        pytest.raises(LiveError, match="took longer than 10 s to answer"),
    ):
        c.get(workload_path("Deployment", "kubeapps", "kubeapps"))


def test_without_a_namespace_the_checks_read_every_namespace(double: ApiServerDouble, tmp_path: Path) -> None:
    other = _fixture("kubeapps-7.0.4-deployment.yaml")[0]
    other["metadata"]["namespace"] = "team-b"
    double.add(other)
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = _run(["proxy", "--kubeconfig", kc, "--format", "json", "--token-lifetime", "5m"])
    report = json.loads(out)
    assert status == 1
    titles = [f["title"] for f in report["findings"] if f["cause"] == "proxy-cookie-refresh-missing"]
    assert titles and all("team-b/kubeapps" in t for t in titles)
    paths = {r.path for r in double.requests}
    assert {"/apis/apps/v1/deployments", "/api/v1/configmaps", "/api/v1/secrets"} <= paths


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=15,
)
kubeconfig_like = st.fixed_dictionaries(
    {},
    optional={
        "clusters": st.lists(st.fixed_dictionaries({"name": st.text(max_size=5), "cluster": json_like}), max_size=2)
        | json_like,
        "users": st.lists(st.fixed_dictionaries({"name": st.text(max_size=5), "user": json_like}), max_size=2)
        | json_like,
        "contexts": st.lists(st.fixed_dictionaries({"name": st.text(max_size=5), "context": json_like}), max_size=2)
        | json_like,
        "current-context": st.text(max_size=5) | json_like,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=kubeconfig_like)
def test_any_kubeconfig_loads_or_fails_with_one_line_naming_the_file(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(doc))
    try:
        cfg = load(path=str(path), env={})
    except InputError as e:
        assert str(e).startswith(str(path))
    else:
        assert isinstance(cfg.server, str)
