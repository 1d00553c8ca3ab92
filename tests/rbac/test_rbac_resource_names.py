"""A 403 that names its object (`pods "web" is forbidden`) is judged against resourceNames rules."""

from __future__ import annotations

from datetime import UTC, datetime

from oidc_doctor.checks.base import Context
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import Status
from oidc_doctor.pipeline import run
from oidc_doctor.rbac.forbidden import parse_failure

NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
USER = "oidc:alice@example.com"


def _forbidden(name: str) -> str:
    return (
        f'Error from server (Forbidden): pods "{name}" is forbidden: User "{USER}" cannot delete resource "pods" '
        'in API group "" in the namespace "dev"'
    )


def test_the_object_name_is_read_from_the_403() -> None:
    f = parse_failure(_forbidden("web"), "error.txt")
    assert f is not None and (f.name, f.verb, f.resource, f.namespace) == ("web", "delete", "pods", "dev")
    g = parse_failure(
        f'pods is forbidden: User "{USER}" cannot list resource "pods" in API group "" in the namespace "dev"', "e"
    )
    assert g is not None and g.name is None


def _evidence(name: str) -> Evidence:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "delete-web", "namespace": "dev"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"], "verbs": ["delete"]}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "alice-delete-web", "namespace": "dev"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "delete-web"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": USER}],
    }
    return Evidence(
        [
            Item(Kind.RBAC, "rbac.yaml#1 Role dev/delete-web", role),
            Item(Kind.RBAC, "rbac.yaml#2 RoleBinding dev/alice-delete-web", binding),
            Item(Kind.ERROR_TEXT, "error.txt", _forbidden(name)),
        ]
    )


def test_resource_names_decide_the_verdict() -> None:
    other = run(_evidence("db"), Context(now=NOW))
    perms = {c.id: c.result for c in other.checks}["rbac.permissions"]
    assert perms.status == Status.FAIL
    assert any(f.cause == "rbac-insufficient-permissions" for f in other.findings)

    allowed = run(_evidence("web"), Context(now=NOW))
    perms = {c.id: c.result for c in allowed.checks}["rbac.permissions"]
    assert perms.status == Status.PASS, perms.reason
