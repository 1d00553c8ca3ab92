"""A binding in the ``<issuer>#<claim>`` form while the API server's prefix never makes one.

kube-apiserver names users ``<issuer>#<value>`` only when ``--oidc-username-prefix`` is unset and the
claim is not ``email`` (kubernetes pkg/kubeapiserver/options/authentication.go); ``kubectl oidc-login
setup`` proposes bindings in that form. int128/kubelogin#266 bound such a name while the server ran
``--oidc-username-prefix=-``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.pipeline import run

FLAGS = """\
    - --oidc-issuer-url=https://sso.example.com/realms/k8s
    - --oidc-client-id=kubernetes
    - --oidc-username-claim=preferred_username
    - --oidc-username-prefix={prefix}
"""
BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: oidc-admin
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: "{name}"}}
"""
ERROR = (
    'Error from server (Forbidden): pods is forbidden: User "{user}" cannot list resource "pods" in API group "" '
    'in the namespace "default"\n'
)


def _first(tmp_path: Path, prefix: str, bound: str, user: str) -> dict[str, str]:
    (tmp_path / "flags.txt").write_text(FLAGS.format(prefix=prefix))
    (tmp_path / "rbac.yaml").write_text(BINDING.format(name=bound))
    (tmp_path / "error.txt").write_text(ERROR.format(user=user))
    report = run(read_bundle(tmp_path), Context(now=datetime(2026, 11, 28, tzinfo=UTC), now_source="flag")).to_json()
    first: dict[str, str] = report["findings"][0]
    return first


@pytest.mark.parametrize(
    ("bound", "typo"),
    [
        ("https://sso.example.com/realms/k8s#4f1c2a9e-0b7d-4e55-9a10-6d2b3c4e5f60", False),
        ("https://sso.example.com.com/realms/k8s#4f1c2a9e-0b7d-4e55-9a10-6d2b3c4e5f60", True),
    ],
)
def test_an_issuer_hash_binding_on_a_server_without_that_prefix(tmp_path: Path, bound: str, typo: bool) -> None:
    first = _first(tmp_path, "-", bound, "alice")
    assert first["cause"] == "username-prefix-mismatch"
    assert 'it sees "alice"' in first["title"]
    assert ("is not even the API server's" in first["title"]) is typo
    assert '"value":"alice"' in first["fix"]


def test_another_issuers_hash_name_is_not_taken_for_this_one(tmp_path: Path) -> None:
    first = _first(tmp_path, "-", "https://login.other.org/tenant#4f1c2a9e", "alice")
    assert first["cause"] == "rbac-no-binding"
