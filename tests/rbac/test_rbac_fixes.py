"""Fix commands are ready to paste: valid object names, every value shell-quoted."""

from __future__ import annotations

import shlex

from oidc_doctor.rbac.fixes import create_binding, grant_request, object_name, patch_subject
from oidc_doctor.rbac.rules import Request


def test_hostile_names_stay_one_shell_word() -> None:
    user = "alice'; rm -rf / #"
    cmd = create_binding("RoleBinding", object_name("view", user), "dev", "ClusterRole", "view", "User", user)
    words = shlex.split(cmd)
    assert f"--user={user}" in words
    assert words[:5] == ["kubectl", "-n", "dev", "create", "rolebinding"]


def test_object_names_are_dns_subdomains() -> None:
    name = object_name("view", "https://idp.example.com/realms/k8s#3f2a/ÄÖ")
    assert name == "view-https-idp.example.com-realms-k8s-3f2a"
    assert len(object_name("x" * 100)) <= 63


def test_service_account_subjects_use_the_serviceaccount_flag() -> None:
    cmd = create_binding("ClusterRoleBinding", "b", "", "ClusterRole", "view", "User", "system:serviceaccount:ci:bot")
    assert cmd.endswith("--serviceaccount=ci:bot")


def test_patch_replaces_one_subject_with_valid_json() -> None:
    import json

    binding = {"kind": "RoleBinding", "metadata": {"name": "v", "namespace": "dev"}}
    words = shlex.split(patch_subject(binding, 1, 'oidc:"x"'))
    patch = json.loads(words[words.index("-p") + 1])
    assert patch == [{"op": "replace", "path": "/subjects/1/name", "value": 'oidc:"x"'}]
    assert words[:5] == ["kubectl", "-n", "dev", "patch", "rolebinding"]


def test_grant_request_for_subresource_names_and_urls() -> None:
    ns = grant_request(Request("get", "pods", "", "log", "web", "dev"), "Group", "oidc:dev")
    assert "--resource=pods/log --resource-name=web" in ns[0] and ns[0].startswith("kubectl -n dev create role ")
    assert "create rolebinding" in ns[1] and "--role=" in ns[1] and "--group=oidc:dev" in ns[1]
    url = grant_request(Request("get", path="/metrics"), "User", "u")
    assert "--non-resource-url=/metrics" in url[0] and "clusterrolebinding" in url[1]
    scale = grant_request(Request("patch", "deployments", "apps", "scale"), "User", "u")
    assert "--resource=deployments.apps/scale" in scale[0] and scale[0].startswith("kubectl create clusterrole ")
