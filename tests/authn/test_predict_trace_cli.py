"""``predict --trace`` and ``predict --compare`` end to end: text, JSON (``trace``, ``compare``) and Markdown.

The configuration has three issuers and CEL mappings (``test_trace.multi_config``); the token is
signed with the test key and the JWKS is given, so nothing touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from authn_support import public_jwk, sign
from test_predict_command import cli
from test_trace import IAT, claims_b, multi_config

NOW = "2026-11-28T10:01:00Z"
OLD_FLAGS = (
    "--oidc-issuer-url=https://idp-b.example/realms/dev --oidc-client-id=headlamp "
    "--oidc-username-claim=email --oidc-groups-claim=groups"
)


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "auth.yaml").write_text(yaml.safe_dump(multi_config(), sort_keys=False))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [public_jwk("rsa_1", "RS256")]}))
    return {"dir": str(tmp_path), "auth": str(tmp_path / "auth.yaml"), "jwks": str(tmp_path / "jwks.json")}


def token(setup: dict[str, str], **over: Any) -> str:
    path = Path(setup["dir"]) / "t.jwt"
    path.write_text(sign(json.dumps(claims_b(**over)), "rsa_1", "RS256") + "\n")
    return f"@{path}"


def predict(setup: dict[str, str], *extra: str, **claims: Any) -> tuple[int, str, str]:
    return cli(
        "predict",
        "--token",
        token(setup, **claims),
        "--auth-config",
        setup["auth"],
        "--jwks",
        setup["jwks"],
        "--now",
        NOW,
        *extra,
    )


def test_json_trace_is_the_engines_record_and_agrees_with_the_verdict(setup: dict[str, str]) -> None:
    status, out, _ = predict(setup, "--trace", "-o", "json", email_verified=False)
    doc = json.loads(out)
    assert status == 1 and doc["authenticated"] is False
    decisive = [s for s in doc["trace"] if s["decisive"]]
    assert len(decisive) == 1 and decisive[0]["error"] == doc["error"]
    assert decisive[0]["step"] == "claim-rule" and decisive[0]["subject"] == "claims.email_verified == true"
    assert decisive[0]["cite"].startswith("oidc.go AuthenticateToken")
    username = next(s for s in doc["trace"] if s["step"] == "username")
    assert username["value"] == "oidc:alice@example.com"
    assert [s["outcome"] for s in doc["trace"] if s["step"] == "issuer"] == ["not-handled", "pass", "not-tried"]
    # without --trace the JSON contract is unchanged
    _, out, _ = predict(setup, "-o", "json")
    assert "trace" not in json.loads(out)


def test_text_trace_marks_where_it_stopped(setup: dict[str, str]) -> None:
    status, out, _ = predict(setup, "--trace", hd="example.org")
    assert status == 1
    assert "trace (kube-apiserver's order" in out
    stop = [line for line in out.splitlines() if line.startswith(" >")]
    assert len(stop) == 1 and "required-claim" in stop[0] and "FAIL" in stop[0]
    assert out.rstrip().splitlines()[-1].startswith("stopped at step ")
    assert "Got = example.org, want = example.com" in out.rstrip().splitlines()[-1]


def test_markdown_trace_is_a_table(setup: dict[str, str]) -> None:
    status, out, _ = predict(setup, "--trace", "-o", "markdown")
    assert status == 0
    assert "## Trace" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "jwt[1]" in line]
    assert any("| username | pass |" in r and "oidc:alice@example.com" in r for r in rows)
    assert "accepted by jwt[1]" in out


def test_markdown_cells_are_inert(setup: dict[str, str]) -> None:
    cfg = multi_config()
    cfg["jwt"][1]["claimMappings"]["username"] = {"expression": "'a|<b>' + claims.email"}
    Path(setup["auth"]).write_text(yaml.safe_dump(cfg))
    _, out, _ = predict(setup, "--trace", "-o", "markdown")
    row = next(line for line in out.splitlines() if "| username |" in line)
    assert "a\\|&lt;b&gt;" in row and "<b>" not in row


def test_compare_flags_against_the_structured_file(setup: dict[str, str]) -> None:
    status, out, _ = predict(setup, "--compare-flags", OLD_FLAGS, "-o", "json")
    doc = json.loads(out)
    assert status == 0
    cmp = doc["compare"]
    assert cmp["old"]["source"] == "flags" and cmp["new"]["source"] == "authentication-config"
    assert cmp["old"]["prediction"]["user"]["username"] == "alice@example.com"
    assert cmp["new"]["prediction"]["user"]["username"] == "oidc:alice@example.com"
    fields = {d["field"]: d for d in cmp["differences"]}
    assert fields["username"]["old"] == "alice@example.com" and fields["username"]["new"] == "oidc:alice@example.com"
    assert fields["groups"]["old"] == ["dev", "ops"] and fields["groups"]["new"] == ["oidc:dev", "oidc:ops"]
    assert fields["signing_algs"]["old"] == ["RS256"]
    assert cmp["same"] is False
    assert "verdict" not in fields  # both accept


def test_compare_text_names_the_differences(setup: dict[str, str]) -> None:
    status, out, _ = predict(setup, "--compare-flags", OLD_FLAGS)
    assert status == 0
    assert "compare (the same token, judged under both settings):" in out
    assert "username: alice@example.com -> oidc:alice@example.com" in out
    assert "groups: -dev, -ops, +oidc:dev, +oidc:ops" in out


def test_compare_shows_a_verdict_that_changes(setup: dict[str, str]) -> None:
    # the old flags accept the token; the new file's claim rule rejects it
    status, out, _ = predict(setup, "--compare-flags", OLD_FLAGS, "--trace", "-o", "json", groups=["ops"])
    doc = json.loads(out)
    assert status == 1  # the new settings' verdict
    cmp = doc["compare"]
    verdict = next(d for d in cmp["differences"] if d["field"] == "verdict")
    assert verdict["old"] == "authenticated"
    assert verdict["new"].startswith("rejected: oidc: error evaluating claim validation expression")
    # the rejected side has no user: its identity is one difference (the username), not four
    assert {d["field"] for d in cmp["differences"]} == {"verdict", "username", "signing_algs"}
    assert next(d for d in cmp["differences"] if d["field"] == "username")["new"] is None
    assert cmp["old"]["trace"][-1]["step"] == "result" and cmp["old"]["trace"][-1]["outcome"] == "pass"
    assert any(s["decisive"] for s in cmp["new"]["trace"])


def test_compare_with_an_apiserver_manifest(setup: dict[str, str], tmp_path: Path) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "kube-apiserver-cp1",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver"},
        },
        "spec": {
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": "registry.k8s.io/kube-apiserver:v1.31.0",
                    "command": ["kube-apiserver", *OLD_FLAGS.split(), "--oidc-username-prefix=-"],
                }
            ]
        },
    }
    (tmp_path / "kube-apiserver.yaml").write_text(yaml.safe_dump(pod))
    status, out, _ = predict(setup, "--compare", str(tmp_path / "kube-apiserver.yaml"), "-o", "json")
    assert status == 0
    cmp = json.loads(out)["compare"]
    assert cmp["old"]["source"] == "flags"
    assert cmp["old"]["prediction"]["user"]["username"] == "alice@example.com"


def test_compare_with_another_structured_file(setup: dict[str, str], tmp_path: Path) -> None:
    old = multi_config()
    old["jwt"][1]["claimMappings"]["username"] = {"claim": "sub", "prefix": "dev:"}
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old))
    status, out, _ = predict(setup, "--compare", str(tmp_path / "old.yaml"), "-o", "json")
    cmp = json.loads(out)["compare"]
    assert status == 0
    assert [(d["field"], d["old"], d["new"]) for d in cmp["differences"]] == [
        ("username", "dev:u-123", "oidc:alice@example.com")
    ]


def test_compare_of_identical_settings_says_same(setup: dict[str, str]) -> None:
    status, out, _ = predict(setup, "--compare", setup["auth"])
    assert status == 0
    assert "differences: none" in out


def test_compare_needs_a_token_and_one_old_setting(setup: dict[str, str]) -> None:
    status, _, err = cli("predict", "--auth-config", setup["auth"], "--compare-flags", OLD_FLAGS)
    assert status == 2 and "--compare needs a token" in err
    status, _, err = predict(setup, "--compare", setup["auth"], "--compare-flags", OLD_FLAGS)
    assert status == 2 and "give one of --compare FILE and --compare-flags" in err


def test_expired_token_trace_shows_exp_and_now(setup: dict[str, str]) -> None:
    status, out, _ = predict(setup, "--trace", "-o", "json", exp=IAT + 30)
    doc = json.loads(out)
    assert status == 1 and doc["stage"] == "expired"
    (step,) = [s for s in doc["trace"] if s["decisive"]]
    assert step["step"] == "expiry" and step["value"] == "2026-11-28T10:00:30Z"
    assert "before now 2026-11-28T10:01:00Z" in step["detail"]


def test_a_credential_in_a_traced_value_is_masked(setup: dict[str, str]) -> None:
    cfg = multi_config()
    cfg["jwt"][1]["claimMappings"]["extra"] = [{"key": "example.com/t", "valueExpression": "claims.team"}]
    Path(setup["auth"]).write_text(yaml.safe_dump(cfg))
    leaked = sign(json.dumps({"sub": "inner"}), "rsa_1", "RS256")  # a JWT inside a claim
    _, out, _ = predict(setup, "--trace", "-o", "json", team=leaked)
    trace = json.dumps(json.loads(out)["trace"])
    assert leaked not in trace and leaked.split(".")[2] not in trace
    _, text, _ = predict(setup, "--trace", team=leaked)
    assert leaked.split(".")[2] not in text.split("trace (", 1)[1]


def test_flags_are_traced_as_the_one_jwt_authenticator_they_build(setup: dict[str, str]) -> None:
    status, out, _ = cli(
        "predict",
        "--token",
        token(setup),
        "--apiserver-arg=--oidc-issuer-url=https://idp-b.example/realms/dev",
        "--apiserver-arg=--oidc-client-id=headlamp",
        "--jwks",
        setup["jwks"],
        "--now",
        NOW,
        "--trace",
        "-o",
        "json",
    )
    doc = json.loads(out)
    assert status == 0
    steps = {s["step"]: s for s in doc["trace"]}
    # the legacy default: claim sub, prefix "<issuer-url>#" (kube-apiserver's flag translation)
    assert steps["username"]["subject"] == "claim: sub, prefix 'https://idp-b.example/realms/dev#'"
    assert steps["username"]["value"] == "https://idp-b.example/realms/dev#u-123"
    assert "--oidc-signing-algs default RS256" in steps["alg"]["subject"]
    assert steps["audience"]["outcome"] == "pass" and "audienceMatchPolicy plays no part" in steps["audience"]["detail"]
    assert steps["groups"]["outcome"] == "skip"
