"""Exit statuses as README.md states them, per command: 0 nothing of error severity (or
authenticated, or allowed), 1 at least one error (or rejected, or denied), 2 could not run."""

from __future__ import annotations

import pytest
from sec_kit import run

NOW = "2026-11-28T10:25:12Z"
EX = "examples"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["diagnose", "--bundle", f"{EX}/healthy", "--now", NOW], 0),
        (["diagnose", "--bundle", f"{EX}/kubeapps-audience-mismatch", "--now", NOW], 1),
        (["diagnose", "--bundle", f"{EX}/missing-folder"], 2),
        (["predict", "--bundle", f"{EX}/healthy", "--now", NOW], 0),
        (["predict", "--bundle", f"{EX}/kubeapps-audience-mismatch", "--now", NOW], 1),
        (["predict", "--auth-config", f"{EX}/missing.yaml"], 2),
        (["token", f"@{EX}/healthy/id_token.txt", "--jwks", f"{EX}/healthy/jwks.json", "--now", NOW], 0),
        (["token", f"@{EX}/token-expired/id_token.txt", "--jwks", f"{EX}/token-expired/jwks.json", "--now", NOW], 1),
        (["token", f"@{EX}/missing.txt"], 2),
        (["proxy", "--bundle", f"{EX}/healthy", "--now", NOW], 0),
        (["proxy", "--bundle", f"{EX}/proxy-cookie-refresh-too-long", "--now", NOW], 1),
        (["proxy", "--bundle", f"{EX}/missing-folder"], 2),
        (["logs", f"{EX}/healthy/kube-apiserver.yaml"], 0),
        (["logs", f"{EX}/kubeapps-audience-mismatch/kube-apiserver.log"], 1),
        (["logs", f"{EX}/missing.log"], 2),
        (
            [
                "rbac",
                "can",
                "list",
                "pods",
                "-n",
                "dev",
                "--user",
                "oidc:alice@example.com",
                "--group",
                "oidc:dev",
                "--bundle",
                f"{EX}/healthy",
            ],
            0,
        ),
        (["rbac", "can", "delete", "nodes", "--user", "oidc:alice@example.com", "--bundle", f"{EX}/healthy"], 1),
        (["rbac", "who", "--user", "x", "--bundle", f"{EX}/missing-folder"], 2),
        (["whoami", "--kubeconfig", f"{EX}/missing-kubeconfig"], 2),
        (["collect", "-o", "/nonexistent/out", "--kubeconfig", f"{EX}/missing-kubeconfig"], 2),
        (["no-such-command"], 2),
    ],
)
def test_exit_status(argv: list[str], expected: int) -> None:
    status, _out, err = run(argv)
    assert status == expected, err
    if expected == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
