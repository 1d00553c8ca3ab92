"""Claims pasted without their token (a decoded payload, ``kubectl oidc-login setup``'s output).

Public threads show claims far more often than tokens (a token is a credential): the claims are
judged as the API server would judge them, and the header and signature are never judged — neither
"valid" nor a false "algorithm not allowed".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.cli import main
from oidc_doctor.evidence import Kind
from oidc_doctor.io import IO
from oidc_doctor.jose import is_claims_only, parse_compact
from oidc_doctor.pipeline import run

NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
CLAIMS = {
    "iss": "https://keycloak.example.com/realms/k8s",
    "sub": "3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01",
    "aud": "kubernetes",
    "exp": 1795861692,
    "iat": 1795861392,
    "email": "alice@example.com",
    "email_verified": True,
    "groups": ["dev"],
}
APISERVER = """\
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp1
  namespace: kube-system
spec:
  containers:
  - name: kube-apiserver
    command:
    - kube-apiserver
    - --oidc-issuer-url=https://keycloak.example.com/realms/k8s
    - --oidc-client-id=kubernetes
    - --oidc-username-claim=email
    - --oidc-groups-claim=groups
    - --oidc-signing-algs=ES256
"""
SETUP_OUTPUT = (
    "## 2. Verify authentication\n\nYou got a token with the following claims:\n\n"
    + json.dumps(CLAIMS, indent=2)
    + "\n\n## 3. Bind a cluster role\n\nRun the following command:\n"
)


def _report(tmp_path: Path, name: str, text: str) -> dict[str, object]:
    (tmp_path / "kube-apiserver.yaml").write_text(APISERVER)
    (tmp_path / name).write_text(text)
    ev = read_bundle(tmp_path)
    [token] = ev.of(Kind.TOKEN)
    assert is_claims_only(parse_compact(token.data).header)
    out: dict[str, object] = run(ev, Context(now=NOW, now_source="flag")).to_json()
    return out


@pytest.mark.parametrize(("name", "text"), [("claims.json", json.dumps(CLAIMS)), ("setup.txt", SETUP_OUTPUT)])
def test_pasted_claims_are_judged_and_the_signature_never(tmp_path: Path, name: str, text: str) -> None:
    report = _report(tmp_path, name, text)
    checks = {c["id"]: c for c in report["checks"]}  # type: ignore[attr-defined]
    assert checks["token.signature"]["status"] == "unknown"
    assert "pasted without their token" in checks["token.signature"]["reason"]
    causes = [f["cause"] for f in report["findings"]]  # type: ignore[attr-defined]
    # --oidc-signing-algs=ES256: a header oidc-doctor does not know must not be judged against it
    assert "signing-alg-not-allowed" not in causes and "token-malformed" not in causes
    assert report["identity"]["username"] == "alice@example.com"  # type: ignore[index]
    accepted = next(f for f in report["findings"] if f["cause"] == "token-accepted")  # type: ignore[attr-defined]
    assert "signature NOT checked: the claims were pasted without their token" in accepted["title"]


def test_claims_of_another_audience_are_still_judged(tmp_path: Path) -> None:
    report = _report(tmp_path, "claims.json", json.dumps({**CLAIMS, "aud": "kubeapps"}))
    assert report["findings"][0]["cause"] == "audience-mismatch"  # type: ignore[index]


@pytest.mark.parametrize(
    "obj",
    [
        {"issuer": "https://idp", "jwks_uri": "https://idp/keys", "authorization_endpoint": "https://idp/auth"},
        {"iss": "https://idp", "sub": "x"},  # no audience, no time: not enough to be a token's claims
        {"iss": "https://idp", "sub": "x", "aud": "k", "kind": "Something"},
    ],
)
def test_other_json_is_not_taken_for_claims(tmp_path: Path, obj: dict[str, object]) -> None:
    (tmp_path / "x.json").write_text(json.dumps(obj))
    assert not read_bundle(tmp_path).of(Kind.TOKEN)


def test_the_token_command_judges_pasted_claims(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "claims.json").write_text(json.dumps(CLAIMS))
    status = main(["token", f"@{tmp_path / 'claims.json'}", "--now", "2026-11-28T10:25:12Z", "-o", "json"], IO())
    doc = json.loads(capsys.readouterr().out)
    assert status == 0
    assert {c["id"]: c["status"] for c in doc["checks"]}["token.decode"] == "pass"
    assert doc["signature"]["status"] == "unknown"
