"""Parity with ``kubectl auth can-i``: resource words resolved through discovery, then RBAC.

Roles and bindings are the examples of the Kubernetes documentation "Using RBAC
Authorization" (``parity/docs-rbac.yaml``); the expected yes/no of each request is
what the documentation states for that role (pod-reader may get/watch/list pods in default
and nothing else; a RoleBinding to a ClusterRole grants only in its namespace; resourceNames
restrict to the named object; ``pods/log`` is a separate resource; a ``/healthz/*`` rule
covers sub-paths). The request words are those ``kubectl auth can-i`` accepts: plural,
singular and short names, ``resource.group``, ``resource.version.group``, ``/subresource``,
so a wrong resolution (``deployments`` in the core group) shows as a wrong answer.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.rbac.resources import Discovery, UnknownResource, parse_request

FIXTURE = Path(__file__).parent / "parity" / "docs-rbac.yaml"

# (user, groups, verb, resource word, name, namespace, expected)
CASES: list[tuple[str, str, str, str, str, str, bool]] = [
    ("jane", "", "get", "pods", "", "default", True),
    ("jane", "", "list", "pod", "", "default", True),
    ("jane", "", "watch", "po", "", "default", True),
    ("jane", "", "get", "pods.v1.", "", "default", False),  # not a valid word: see unknown test
    ("jane", "", "delete", "pods", "", "default", False),
    ("jane", "", "get", "pods", "", "kube-system", False),
    ("jane", "", "get", "pods/log", "", "default", False),
    ("jane", "", "list", "deployments", "", "default", False),
    ("jane", "", "get", "secrets", "", "default", False),
    ("dave", "", "get", "secrets", "", "development", True),
    ("dave", "", "list", "secret", "", "development", True),
    ("dave", "", "get", "secrets", "", "default", False),
    ("dave", "", "delete", "secrets", "", "development", False),
    ("mona", "manager", "get", "secrets", "", "any-namespace", True),
    ("mona", "manager", "watch", "secrets", "", "", True),
    ("mona", "manager", "create", "secrets", "", "default", False),
    ("lara", "", "get", "pods/log", "", "default", True),
    ("lara", "", "get", "po/log", "", "default", True),
    ("lara", "", "list", "pods", "", "default", True),
    ("lara", "", "create", "pods/exec", "", "default", False),
    ("carl", "", "get", "configmaps", "my-configmap", "default", True),
    ("carl", "", "update", "cm", "my-configmap", "default", True),
    ("carl", "", "update", "configmap", "other", "default", False),
    ("carl", "", "list", "configmaps", "", "default", False),
    ("dan", "oidc:dev", "list", "deployments", "", "dev", True),
    ("dan", "oidc:dev", "create", "deploy", "", "dev", True),
    ("dan", "oidc:dev", "patch", "deployment", "web", "dev", True),
    ("dan", "oidc:dev", "delete", "deployments.apps", "", "dev", True),
    ("dan", "oidc:dev", "get", "deployments.v1.apps", "", "dev", True),
    ("dan", "oidc:dev", "list", "deployments", "", "prod", False),
    ("dan", "oidc:dev", "update", "deployments/scale", "", "dev", False),
    ("dan", "oidc:dev", "list", "pods", "", "dev", True),
    ("dan", "oidc:dev", "delete", "pods", "", "dev", False),
    ("dan", "oidc:dev", "create", "jobs", "", "dev", True),
    ("dan", "oidc:dev", "create", "jobs.batch", "", "dev", True),
    ("dan", "oidc:dev", "create", "cronjobs", "", "dev", False),
    ("dan", "oidc:dev", "create", "cj", "", "dev", False),
    ("dan", "oidc:dev", "list", "replicasets", "", "dev", False),
    ("olga", "", "delete", "rs", "", "ops", True),
    ("olga", "", "update", "sts/scale", "", "ops", True),
    ("olga", "", "get", "daemonsets.apps", "", "ops", True),
    ("olga", "", "get", "pods", "", "ops", False),
    ("olga", "", "get", "deploy", "", "default", False),
    ("olga", "", "*", "deployments", "", "ops", True),  # kubectl auth can-i '*' deployments
    ("olga", "", "*", "*", "", "ops", False),  # '*' '*' is every resource in the core group too
    ("max", "monitoring", "get", "/healthz", "", "", True),
    ("max", "monitoring", "get", "/healthz/etcd", "", "", True),
    ("max", "monitoring", "post", "/healthz", "", "", True),
    ("max", "monitoring", "get", "/metrics", "", "", False),
    ("max", "monitoring", "delete", "/healthz", "", "", False),
]
RUN = [c for c in CASES if c[3] != "pods.v1."]


def _ids(c: tuple[str, str, str, str, str, str, bool]) -> str:
    return f"{c[0]}-{c[2]}-{c[3]}-{c[5] or 'cluster'}"


@pytest.mark.parametrize("case", RUN, ids=[_ids(c) for c in RUN])
def test_kubectl_auth_can_i_parity(case: tuple[str, str, str, str, str, str, bool], tmp_path: Path) -> None:
    user, groups, verb, word, name, ns, expected = case
    shutil.copy(FIXTURE, tmp_path / "rbac.yaml")
    argv = ["rbac", "can", verb, word, "--user", user, "--bundle", str(tmp_path)]
    if name:
        argv[4:4] = [name]
    if groups:
        argv += ["--group", groups]
    if ns:
        argv += ["-n", ns]
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}))
    assert status == (0 if expected else 1), out.getvalue() + err.getvalue()
    assert out.getvalue().startswith("yes" if expected else "no")


def test_the_parity_table_has_at_least_40_cases() -> None:
    assert len(RUN) >= 40
    assert {c[6] for c in RUN} == {True, False}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("get po web -n dev", {"verb": "get", "resource": "pods", "api_group": "", "subresource": "", "name": "web"}),
        ("list deploy", {"verb": "list", "resource": "deployments", "api_group": "apps", "subresource": ""}),
        ("get hpa", {"verb": "get", "resource": "horizontalpodautoscalers", "api_group": "autoscaling"}),
        ("get ing", {"verb": "get", "resource": "ingresses", "api_group": "networking.k8s.io"}),
        ("get Pods/Log", {"verb": "get", "resource": "pods", "subresource": "Log"}),
        ("get events", {"resource": "events", "api_group": ""}),
        ("get crd", {"resource": "customresourcedefinitions", "api_group": "apiextensions.k8s.io"}),
        ("get widgets.example.com", {"resource": "widgets", "api_group": "example.com"}),
        ("get /version", {"verb": "get", "path": "/version"}),
        ("'*' '*'".replace("'", ""), {"verb": "*", "resource": "*", "api_group": ""}),
        ("impersonate users", {"resource": "users", "api_group": ""}),
        ("impersonate userextras/scopes", {"resource": "userextras", "subresource": "scopes"}),
        ("approve signers.certificates.k8s.io", {"resource": "signers", "api_group": "certificates.k8s.io"}),
    ],
)
def test_request_words_resolve_as_kubectl_resolves_them(text: str, want: dict[str, str]) -> None:
    got = parse_request(text)
    assert {k: got.get(k) for k in want} == want


def test_unknown_word_suggests_close_names() -> None:
    with pytest.raises(UnknownResource, match=r'"deploymnets"; did you mean deployments\.apps\?'):
        parse_request("list deploymnets -n dev")
    with pytest.raises(UnknownResource, match=r"give it as RESOURCE\.GROUP"):
        parse_request("list zzqx")


def test_crds_and_apiservices_extend_discovery() -> None:
    d = Discovery()
    d.extend(
        [
            {
                "kind": "CustomResourceDefinition",
                "spec": {
                    "group": "stable.example.com",
                    "scope": "Namespaced",
                    "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
                    "versions": [{"name": "v1", "subresources": {"status": {}}}],
                },
            },
            {"kind": "APIService", "spec": {"group": "metrics.k8s.io", "version": "v1beta1"}},
        ]
    )
    r = d.resolve("ct/status")
    assert (r.resource, r.group, r.subresource) == ("crontabs", "stable.example.com", "status")
    assert d.resolve("crontab").group == "stable.example.com"
    assert d.resolve("nodes.metrics.k8s.io").group == "metrics.k8s.io"
    with pytest.raises(UnknownResource):
        Discovery().resolve("ct")


def test_healthy_example_with_a_deployments_request_has_no_error() -> None:
    # examples/healthy binds oidc:dev to a Role on deployments in apps; read literally,
    # "deployments" would be looked up in the core group and wrongly denied.
    example = Path(__file__).resolve().parents[2] / "examples" / "healthy"
    out, err = io.StringIO(), io.StringIO()
    argv = ["diagnose", "--bundle", str(example), "--now", "2026-11-28T10:25:12Z"]
    status = main(
        [*argv, "--request", "list deployments -n dev", "--format", "json"],
        IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}),
    )
    report = json.loads(out.getvalue())
    assert status == 0, err.getvalue()
    assert [f["cause"] for f in report["findings"] if f["severity"] == "error"] == []
    assert "token-accepted" in [f["cause"] for f in report["findings"]]


CRD_BUNDLE = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions: [{name: v1, served: true, storage: true, subresources: {status: {}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: dev, name: crontab-editor}
rules:
- apiGroups: ["stable.example.com"]
  resources: ["crontabs"]
  verbs: ["get", "list", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {namespace: dev, name: crontab-editor}
subjects: [{kind: User, name: cora, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: crontab-editor, apiGroup: rbac.authorization.k8s.io}
"""


@pytest.mark.parametrize(
    ("word", "verb", "expected"),
    [
        ("ct", "list", True),
        ("crontab", "get", True),
        ("crontabs.stable.example.com", "update", True),
        ("ct", "delete", False),
        ("ct/status", "update", False),
    ],
)
def test_crds_in_the_bundle_resolve_their_short_names(tmp_path: Path, word: str, verb: str, expected: bool) -> None:
    (tmp_path / "cluster.yaml").write_text(CRD_BUNDLE)
    argv = ["rbac", "can", verb, word, "-n", "dev", "--user", "cora", "--bundle", str(tmp_path)]
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}))
    assert status == (0 if expected else 1), out.getvalue() + err.getvalue()
