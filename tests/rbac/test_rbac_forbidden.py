"""Parsing the 403/401/logged-out texts users paste (kubectl, API Status JSON, Kubeapps)."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oidc_doctor.rbac.forbidden import parse_failure, parse_failures

FORBIDDEN = [
    # kubectl, since 1.11 (responsewriters.forbiddenMessage; int128/kubelogin#266)
    (
        'Error from server (Forbidden): pods is forbidden: User "oidc:alice@example.com" cannot list '
        'resource "pods" in API group "" in the namespace "default"',
        {
            "user": "oidc:alice@example.com",
            "verb": "list",
            "resource": "pods",
            "api_group": "",
            "namespace": "default",
        },
    ),
    (
        'Error from server (Forbidden): nodes is forbidden: User "alice" cannot list resource "nodes" in API '
        'group "" at the cluster scope',
        {"user": "alice", "verb": "list", "resource": "nodes", "namespace": None},
    ),
    (
        'Error from server (Forbidden): User "https://idp.example.com/r/k8s#8f2c" cannot get path "/api"',
        {"user": "https://idp.example.com/r/k8s#8f2c", "verb": "get", "path": "/api", "resource": None},
    ),
    (
        'deployments.apps "web" is forbidden: User "bob" cannot patch resource "deployments/scale" in API '
        'group "apps" in the namespace "dev"',
        {
            "user": "bob",
            "verb": "patch",
            "resource": "deployments",
            "subresource": "scale",
            "api_group": "apps",
        },
    ),
    # 1.9/1.10: no API group in the message; taken from the wrapper
    (
        'deployments.apps is forbidden: User "bob" cannot list resource "deployments" in the namespace "dev"',
        {"user": "bob", "resource": "deployments", "api_group": "apps", "namespace": "dev"},
    ),
    # 1.6-1.8 forms
    (
        'services is forbidden: User "system:serviceaccount:default:default" cannot list services in the '
        'namespace "kube-system"',
        {"user": "system:serviceaccount:default:default", "resource": "services", "namespace": "kube-system"},
    ),
    (
        'User "x" groups [a b] cannot get pods/log in the namespace "ns".',
        {"user": "x", "resource": "pods", "subresource": "log", "api_group": ""},
    ),
    # Kubeapps (plugins/pkg/connecterror) wrapping the API's message
    (
        "Forbidden to list the Namespace 'all' due to 'namespaces is forbidden: User \"oidc:a\" cannot list "
        'resource "namespaces" in API group "" at the cluster scope\'',
        {"user": "oidc:a", "verb": "list", "resource": "namespaces", "namespace": None},
    ),
    (
        "The current account does not have access to any namespaces",
        {"user": None, "verb": "list", "resource": "namespaces"},
    ),
]


@pytest.mark.parametrize(("text", "want"), FORBIDDEN)
def test_forbidden_texts_give_user_verb_resource_scope(text: str, want: dict[str, str | None]) -> None:
    f = parse_failure(text, "error-text")
    assert f is not None
    assert f.kind == "forbidden" and f.status == 403
    for key, value in want.items():
        assert getattr(f, key) == value, key


def test_status_json_with_escaped_quotes() -> None:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" '
        'in API group "" at the cluster scope',
        "reason": "Forbidden",
        "details": {"kind": "namespaces"},
        "code": 403,
    }
    f = parse_failure(orjson.dumps(status).decode(), "status.json")
    assert f is not None and f.user == "system:anonymous" and f.resource == "namespaces"


def test_go_quoted_user_is_unescaped() -> None:
    f = parse_failure(r'User "we\"ird" cannot get path "/"', "x")
    assert f is not None and f.user == 'we"ird'


@pytest.mark.parametrize(
    "text",
    [
        "error: You must be logged in to the server (Unauthorized)",
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized",'
        '"reason":"Unauthorized","code":401}',
        "Authorization required to get the Namespace 'default' due to 'Unauthorized'",
        "There was an error connecting to the Kubernetes API. Please check that your token is valid.",
    ],
)
def test_unauthorized_texts(text: str) -> None:
    f = parse_failure(text, "x")
    assert f is not None and f.kind == "unauthorized" and f.status == 401


@pytest.mark.parametrize(
    "text", ["Users are logged out every five minutes", "Your session has expired, please sign in again"]
)
def test_logged_out_texts(text: str) -> None:
    f = parse_failure(text, "x")
    assert f is not None and f.kind == "logged-out"


def test_unrelated_text_is_not_a_failure() -> None:
    assert parse_failure("the deployment rolled out fine", "x") is None


def test_several_failures_in_one_file_are_all_read() -> None:
    text = (
        'Error from server (Forbidden): pods is forbidden: User "a" cannot list resource "pods" in API group '
        '"" in the namespace "x"\n'
        'Error from server (Forbidden): secrets is forbidden: User "a" cannot get resource "secrets" in API '
        'group "" in the namespace "x"\n'
    )
    assert [f.resource for f in parse_failures(text, "x")] == ["pods", "secrets"]


@given(st.text(max_size=300))
def test_parser_never_crashes(text: str) -> None:
    parse_failures(text, "fuzz")


def _go_quote(s: str) -> str:
    """Go's %q for the printable ASCII strategies below."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


_NAME = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)


@given(_NAME, _WORD, _WORD, st.sampled_from(["", "apps", "rbac.authorization.k8s.io"]), st.sampled_from(["", "status"]),
       st.one_of(st.just(""), _WORD))  # fmt: skip
def test_round_trip_of_the_upstream_message(user: str, verb: str, res: str, group: str, sub: str, ns: str) -> None:
    # responsewriters.forbiddenMessage (since 1.11), wrapped by apierrors.NewForbidden
    resource = f"{res}/{sub}" if sub else res
    scope = f"in the namespace {_go_quote(ns)}" if ns else "at the cluster scope"
    qualified = f"{res}.{group}" if group else res
    text = (
        f"Error from server (Forbidden): {qualified} is forbidden: User {_go_quote(user)} cannot {verb} "
        f"resource {_go_quote(resource)} in API group {_go_quote(group)} {scope}"
    )
    f = parse_failure(text, "x")
    assert f is not None
    assert (f.user, f.verb, f.resource, f.api_group, f.subresource, f.namespace) == (
        user,
        verb,
        res,
        group,
        sub or None,
        ns or None,
    )
