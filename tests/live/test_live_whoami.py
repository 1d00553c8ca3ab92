"""``oidc-doctor whoami`` against the API server test double: reviews, fallbacks, 401 and 403."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from apiserver_double import ADMIN, ApiServerDouble
from live_testkit import ALICE, USER_TOKEN, run

REVIEW = "/apis/authentication.k8s.io/{}/selfsubjectreviews"
RULES = {
    "resourceRules": [
        {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "services"]},
        {"verbs": ["create"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]},
    ],
    "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
    "incomplete": False,
}


@pytest.fixture
def double() -> Iterator[ApiServerDouble]:
    with ApiServerDouble(users={USER_TOKEN: ALICE}, rules={ALICE["username"]: RULES}) as d:
        yield d


def _token(tmp_path: Path, token: str = USER_TOKEN) -> str:
    path = tmp_path / "token.jwt"
    path.write_text(token + "\n")
    return f"@{path}"


def test_the_api_servers_identity_and_rules_for_the_token(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, err = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path), "-n", "dev"])
    assert status == 0, err
    assert "Authenticated (SelfSubjectReview authentication.k8s.io/v1):" in out
    assert "  Username  oidc:alice@example.com" in out
    assert "  Groups    oidc:dev, system:authenticated" in out
    assert "  Extra     authentication.kubernetes.io/credential-id: JTI=4f1c" in out
    assert "May do in namespace dev (SelfSubjectRulesReview):" in out
    assert "pods, services" in out and "deployments.apps" in out and "[web]" in out and "[/healthz]" in out
    assert USER_TOKEN not in out + err
    review, rules = double.requests
    assert review.method == "POST" and review.path == REVIEW.format("v1")
    assert json.loads(review.body) == {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    assert json.loads(rules.body)["spec"] == {"namespace": "dev"}
    assert all(r.headers["Authorization"] == f"Bearer {USER_TOKEN}" for r in double.requests)


def test_the_token_replaces_the_kubeconfigs_client_certificate(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig", double.client_cert_user()))
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path), "--format", "json"])
    assert status == 0
    assert json.loads(out)["user"]["username"] == "oidc:alice@example.com"
    assert not any(r.client_cert for r in double.requests)


def test_json_output(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path), "--format", "json"])
    doc = json.loads(out)
    assert status == 0
    assert doc["authenticated"] is True and doc["status"] == 201
    assert doc["review_api"] == "authentication.k8s.io/v1"
    assert doc["user"] == ALICE
    assert doc["rules"]["namespace"] == "kubeapps"  # the context's namespace
    assert doc["rules"]["resourceRules"] == RULES["resourceRules"]
    assert doc["credentials"]["fingerprint"].startswith("sha256:") and USER_TOKEN not in out
    assert doc["error"] is None and doc["explanation"] is None


def test_without_a_token_the_kubeconfig_credentials_are_reviewed(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--format", "json"])
    doc = json.loads(out)
    assert status == 0 and doc["user"]["username"] == ADMIN["username"]
    assert doc["credentials"]["source"] == "kubeconfig context double: token"
    assert doc["rules"]["resourceRules"] == []


@pytest.mark.parametrize(("served", "used"), [({"v1beta1"}, "v1beta1"), ({"v1alpha1"}, "v1alpha1")])
def test_older_api_servers_answer_an_older_review_version(
    double: ApiServerDouble, tmp_path: Path, served: set[str], used: str
) -> None:
    double.review_versions = served
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path), "--format", "json"])
    assert status == 0 and json.loads(out)["review_api"] == f"authentication.k8s.io/{used}"
    tried = [r.path for r in double.requests if "selfsubjectreviews" in r.path]
    assert tried[0] == REVIEW.format("v1") and tried[-1] == REVIEW.format(used)


def test_no_review_api_at_all_is_exit_2(double: ApiServerDouble, tmp_path: Path) -> None:
    double.review_versions = set()
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, err = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path)])
    assert status == 2 and out == "" and "serves no SelfSubjectReview API" in err


def test_a_rejected_token_is_explained_not_guessed(double: ApiServerDouble, tmp_path: Path) -> None:
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    token = _token(tmp_path, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln")
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", token])
    assert status == 1
    assert "Authentication failed:" in out and "401 Unauthorized" in out
    assert "never says why" in out
    assert "oidc-doctor predict" in out and "oidc-doctor diagnose" in out and "invalid bearer token" in out
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", token, "--format", "json"])
    doc = json.loads(out)
    assert (doc["authenticated"], doc["status"], doc["user"]) == (False, 401, None)
    # nothing else is tried with a rejected token
    assert [r.path for r in double.requests] == [REVIEW.format("v1")] * 2


def test_rbac_forbidding_the_self_review_is_a_403_naming_the_user(double: ApiServerDouble, tmp_path: Path) -> None:
    double.forbidden = {REVIEW.format("v1")}
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path), "--format", "json"])
    doc = json.loads(out)
    assert status == 1
    assert (doc["authenticated"], doc["status"]) == (True, 403)
    assert doc["user"]["username"] == "oidc:alice@example.com"
    assert "system:basic-user" in doc["explanation"]
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path)])
    assert status == 1 and "Forbidden:" in out and "authenticated the user as 'oidc:alice@example.com'" in out


def test_hostile_names_are_cleaned_before_printing(double: ApiServerDouble, tmp_path: Path) -> None:
    double.users[USER_TOKEN] = {"username": "eve\x1b[31m", "groups": ["g\x07"]}
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path)])
    assert status == 0 and "\x1b" not in out and "\x07" not in out
    assert "Only system:authenticated" not in out


def test_only_system_authenticated_says_groups_are_missing(double: ApiServerDouble, tmp_path: Path) -> None:
    double.users[USER_TOKEN] = {"username": "oidc:bob", "groups": ["system:authenticated"]}
    kc = str(double.kubeconfig(tmp_path / "kubeconfig"))
    status, out, _ = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path)])
    assert status == 0 and "Only system:authenticated" in out
    assert "nothing: no rule allows this user anything in this namespace" in out


def test_an_exec_plugin_login_like_kubelogin_is_reviewed(double: ApiServerDouble, tmp_path: Path) -> None:
    import stat
    import sys

    plugin = tmp_path / "kubectl-oidc_login"
    plugin.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "print('Please visit the following URL in your browser', file=sys.stderr)\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',\n"
        f"  'status': {{'token': {USER_TOKEN!r}}}}}))\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "./kubectl-oidc_login"}}
    kc = str(double.kubeconfig(tmp_path / "kubeconfig", user))
    status, out, err = run(["whoami", "--kubeconfig", kc, "--format", "json"])
    assert out, err
    assert "Please visit the following URL" in err  # the plugin's own prompt reaches the user
    doc = json.loads(out)
    assert status == 0 and doc["user"]["username"] == "oidc:alice@example.com"
    assert doc["credentials"] == {"source": f"kubeconfig context double: exec plugin {plugin}", "fingerprint": None}
    assert all(r.headers["Authorization"] == f"Bearer {USER_TOKEN}" for r in double.requests)


@pytest.mark.parametrize("fmt", ["text", "json", "yaml", "markdown", "html"])
def test_a_hostile_username_from_the_api_server_is_written_safely_in_every_format(tmp_path: Path, fmt: str) -> None:
    import re

    # Go's encoding/json never writes a lone surrogate (invalid UTF-8 becomes U+FFFD), so the
    # API server's hostile text is control characters, escapes and bidi overrides.
    hostile = {**ALICE, "username": "oidc:alice\u202e\x1b]0;owned\x07\x1b[2J\x9b@example.com"}
    with ApiServerDouble(users={USER_TOKEN: hostile}, rules={hostile["username"]: RULES}) as d:
        kc = str(d.kubeconfig(tmp_path / "kubeconfig"))
        status, out, err = run(["whoami", "--kubeconfig", kc, "--token", _token(tmp_path), "-o", fmt])
    assert status == 0, err
    assert "internal error" not in err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff]", out)
    out.encode("utf-8")
    if fmt == "json":
        assert json.loads(out)["user"]["username"] == hostile["username"]  # escaped, the value kept
