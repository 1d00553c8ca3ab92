"""The authz-header JSON Patch: by container name, idempotent, reversible, in every container layout."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import pytest
from proxy_testkit import container, fixture_docs, workload

from oidc_doctor.errors import UsageError
from oidc_doctor.proxy.patch import ENV, FLAG, build

PROXY_ARGS = ["--provider=oidc", "--upstream=http://localhost:8080/"]


def _layouts() -> dict[str, dict[str, Any]]:
    proxy = container("auth-proxy", "docker.io/bitnami/oauth2-proxy:7.2.1", args=list(PROXY_ARGS))
    nginx = container("nginx", "docker.io/bitnami/nginx:1.21")
    pinniped = container(
        "pinniped-proxy", "docker.io/bitnami/kubeapps-pinniped-proxy:2.4.3", command=["pinniped-proxy"]
    )
    return {
        "proxy-first": workload(copy.deepcopy(proxy), nginx),
        "proxy-second": workload(nginx, copy.deepcopy(proxy)),
        "proxy-last-of-three": workload(nginx, pinniped, copy.deepcopy(proxy)),
        "proxy-middle": workload(nginx, copy.deepcopy(proxy), pinniped),
    }


def _apply(obj: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = jsonpatch.apply_patch(obj, ops)
    return result


def _proxy(obj: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        c for c in obj["spec"]["template"]["spec"]["containers"] if c["name"] == "auth-proxy"
    ]
    return found[0]


@pytest.mark.parametrize("layout", sorted(_layouts()))
def test_enable_patches_the_named_container_in_every_layout_and_disable_reverts(layout: str) -> None:
    original = _layouts()[layout]
    plan = build(original, "enable", "auth-proxy")
    index = [c["name"] for c in original["spec"]["template"]["spec"]["containers"]].index("auth-proxy")
    assert plan.index == index
    assert plan.ops[0] == {"op": "test", "path": f"/spec/template/spec/containers/{index}/name", "value": "auth-proxy"}
    enabled = _apply(original, plan.ops)
    assert _proxy(enabled)["args"] == [*PROXY_ARGS, f"{FLAG}=true"]
    others = [c for c in enabled["spec"]["template"]["spec"]["containers"] if c["name"] != "auth-proxy"]
    assert others == [c for c in original["spec"]["template"]["spec"]["containers"] if c["name"] != "auth-proxy"]
    # idempotent: enabling again changes nothing
    again = build(enabled, "enable", "auth-proxy")
    assert not again.changes and again.ops == []
    # reversible: disable restores the original object exactly
    restored = _apply(enabled, build(enabled, "disable", "auth-proxy").ops)
    assert restored == original


def test_the_guard_refuses_a_patch_when_containers_moved() -> None:
    obj = _layouts()["proxy-second"]
    plan = build(obj, "enable", "auth-proxy")
    moved = _layouts()["proxy-first"]
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        _apply(moved, plan.ops)


def test_without_a_name_the_only_oauth2_proxy_container_is_chosen() -> None:
    plan = build(_layouts()["proxy-last-of-three"], "enable")
    assert (plan.container, plan.index) == ("auth-proxy", 2)


def test_ambiguous_or_missing_containers_are_usage_errors() -> None:
    two = workload(container("a"), container("b"))
    with pytest.raises(UsageError, match="several oauth2-proxy containers"):
        build(two, "enable")
    with pytest.raises(UsageError, match="no container named 'x'"):
        build(two, "enable", "x")
    with pytest.raises(UsageError, match="no oauth2-proxy container"):
        build(workload(container("web", "nginx")), "enable")


def test_an_explicit_false_is_replaced_not_duplicated() -> None:
    obj = workload(container(args=[*PROXY_ARGS, f"{FLAG}=false"]))
    plan = build(obj, "enable")
    patched = _apply(obj, plan.ops)
    args = patched["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [a for a in args if a.startswith(FLAG)] == [f"{FLAG}=true"]


def test_disable_removes_the_flag_wherever_it_is_and_a_true_env() -> None:
    obj = workload(
        container(
            command=["oauth2-proxy", FLAG],
            args=[f"{FLAG}=true", *PROXY_ARGS, f"{FLAG}=1"],
            env=[{"name": "A", "value": "1"}, {"name": ENV, "value": "true"}, {"name": "B", "value": "2"}],
        )
    )
    plan = build(obj, "disable")
    patched = _apply(obj, plan.ops)
    c = patched["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["oauth2-proxy"]
    assert c["args"] == PROXY_ARGS
    assert [e["name"] for e in c["env"]] == ["A", "B"]
    assert not build(patched, "disable").changes


def test_disable_leaves_a_false_env_and_names_an_env_from_a_secret() -> None:
    obj = workload(
        container(
            args=list(PROXY_ARGS),
            env=[
                {"name": ENV, "value": "false"},
                {"name": ENV, "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            ],
        )
    )
    plan = build(obj, "disable")
    assert not plan.changes
    assert any("Secret or ConfigMap" in n for n in plan.notes)


def test_a_container_without_args_or_command_gets_the_env_variable() -> None:
    obj = workload(container())
    plan = build(obj, "enable")
    patched = _apply(obj, plan.ops)
    assert patched["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": ENV, "value": "true"}]
    assert _apply(patched, build(patched, "disable").ops) == {
        **obj,
        "spec": {
            "replicas": 1,
            "template": {
                "metadata": {"labels": {"app": "oauth2-proxy"}},
                "spec": {"containers": [{**container(), "env": []}]},
            },
        },
    }


def test_alpha_config_proxies_are_told_what_to_change_instead() -> None:
    obj = workload(container(args=["--alpha-config=/etc/alpha.yaml"]))
    plan = build(obj, "enable")
    assert plan.blocked and not plan.ops
    assert "injectResponseHeaders" in plan.notes[0]


def test_kubectl_command_carries_the_patch_for_the_kubeapps_fixture() -> None:
    [dep] = fixture_docs("kubeapps-8.0.0-deployment.yaml")
    plan = build(dep, "enable", "auth-proxy")
    cmd = plan.kubectl()
    assert cmd.startswith("kubectl -n kubeapps patch deployment kubeapps --type=json -p '")
    assert json.loads(plan.patch_json())[1] == {
        "op": "add",
        "path": "/spec/template/spec/containers/1/args/-",
        "value": f"{FLAG}=true",
    }


def test_enable_sees_the_environment_variable_already_on() -> None:
    obj = workload(container(args=list(PROXY_ARGS), env=[{"name": ENV, "value": "true"}]))
    plan = build(obj, "enable")
    assert not plan.changes and "already turns it on" in plan.notes[0]
