"""``oidc-doctor predict`` end to end, in-process: settings inputs, token inputs, output, exit status."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from authn_support import public_jwk, sign

from oidc_doctor.cli import main
from oidc_doctor.io import IO

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ISS = "https://idp.example.com/realms/k8s"
NOW = "2026-11-28T10:25:12Z"
T = int(datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC).timestamp())


def cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), IO(stdin=io.StringIO(stdin), stdout=out, stderr=err, env=env or {}))
    return status, out.getvalue(), err.getvalue()


def write_token(tmp: Path, **claims: Any) -> str:
    c: dict[str, Any] = {"iss": ISS, "aud": "kubernetes", "sub": "u1", "email": "alice@example.com", "exp": T + 300}
    c.update(claims)
    (tmp / "t.jwt").write_text(sign(json.dumps(c), "rsa_1", "RS256") + "\n")
    (tmp / "jwks.json").write_text(json.dumps({"keys": [public_jwk("rsa_1", "RS256")]}))
    return f"@{tmp / 't.jwt'}"


FLAGS = [
    f"--apiserver-arg=--oidc-issuer-url={ISS}",
    "--apiserver-arg=--oidc-client-id=kubernetes",
    "--apiserver-arg=--oidc-username-claim=email",
    "--apiserver-arg=--oidc-groups-claim=groups",
    "--apiserver-arg=--oidc-groups-prefix=oidc:",
]


def test_flags_accept_a_token_and_print_the_json_contract(tmp_path: Path) -> None:
    tok = write_token(tmp_path, groups=["dev"])
    status, out, _ = cli(
        "predict", "--token", tok, *FLAGS, "--jwks", str(tmp_path / "jwks.json"), "--now", NOW, "--format", "json"
    )
    got = json.loads(out)
    assert status == 0
    assert {k: got[k] for k in ("handled", "authenticated", "user", "error")} == {
        "handled": True,
        "authenticated": True,
        "user": {"username": "alice@example.com", "uid": "", "groups": ["oidc:dev"], "extra": {}},
        "error": None,
    }
    assert got["signature"] == "verified"


def test_rejection_exits_1_with_the_exact_error(tmp_path: Path) -> None:
    tok = write_token(tmp_path, exp=T - 60)
    status, out, _ = cli(
        "predict", "--token", tok, *FLAGS, "--jwks", str(tmp_path / "jwks.json"), "--now", NOW, "--format", "json"
    )
    assert status == 1
    assert (
        json.loads(out)["error"]
        == "oidc: verify token: oidc: token is expired (Token Expiry: 2026-11-28 10:24:12 +0000 UTC)"
    )


def test_unhandled_token_has_no_error_and_exits_1(tmp_path: Path) -> None:
    tok = write_token(tmp_path, iss=ISS + "/")
    status, out, _ = cli("predict", "--token", tok, *FLAGS, "--offline", "--now", NOW, "--format", "json")
    got = json.loads(out)
    assert status == 1
    assert (got["handled"], got["authenticated"], got["user"], got["error"]) == (False, False, None, None)


def test_without_token_only_the_configuration_is_validated() -> None:
    status, out, _ = cli("predict", *FLAGS, "--format", "json")
    assert status == 0 and json.loads(out)["error"] is None
    status, out, _ = cli(
        "predict",
        "--apiserver-arg=--oidc-issuer-url=http://x",
        "--apiserver-arg=--oidc-client-id=k",
        "--format",
        "json",
    )
    got = json.loads(out)
    assert status == 1
    assert got["error"] == 'issuer.url: Invalid value: "http://x": URL scheme must be https'
    assert got["authenticated"] is False and got["user"] is None


def test_flags_with_auth_config_are_mutually_exclusive() -> None:
    status, out, _ = cli(
        "predict",
        "--auth-config",
        str(FIXTURES / "authconfig-v1-OK.yaml"),
        "--apiserver-arg=--oidc-client-id=x",
        "--format",
        "json",
    )
    assert status == 1
    assert json.loads(out)["error"] == "authentication-config file and oidc-* flags are mutually exclusive"


def test_service_account_issuer_is_a_disallowed_jwt_issuer(tmp_path: Path) -> None:
    doc = yaml.safe_load("\n".join(line for line in (FIXTURES / "authconfig-v1-OK.yaml").read_text().splitlines()))
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(doc))
    status, out, _ = cli(
        "predict",
        "--auth-config",
        str(tmp_path / "a.yaml"),
        f"--apiserver-arg=--service-account-issuer={ISS}",
        "--format",
        "json",
    )
    assert status == 1
    assert json.loads(out)["error"] == (
        f'issuer.url: Invalid value: "{ISS}": URL must not overlap with disallowed issuers: [{ISS}]'
    )


def test_manifest_input_and_text_output(tmp_path: Path) -> None:
    tok = write_token(tmp_path, groups="admins")
    status, out, _ = cli(
        "predict",
        "--token",
        tok,
        "--apiserver-manifest",
        str(FIXTURES / "apiserver-prefix-oidc-OK.yaml"),
        "--jwks",
        str(tmp_path / "jwks.json"),
        "--now",
        NOW,
    )
    assert status == 0
    assert "authenticated: yes" in out
    assert "username:      oidc:alice@example.com" in out
    assert "groups:        [oidc:admins] (+ system:authenticated, added by the API server)" in out


def test_bundle_supplies_settings_token_and_keys() -> None:
    status, out, _ = cli("predict", "--bundle", str(EXAMPLES / "email-not-verified"), "--now", NOW, "--format", "json")
    assert status == 1
    assert json.loads(out)["error"] == "oidc: email not verified"


def test_token_from_stdin_and_environment(tmp_path: Path) -> None:
    raw = Path(write_token(tmp_path)[1:]).read_text()
    args = [*FLAGS, "--jwks", str(tmp_path / "jwks.json"), "--now", NOW, "--format", "json"]
    status, out, _ = cli("predict", "--token", "-", *args, stdin="Bearer " + raw)
    assert status == 0, out
    status, _, _ = cli("predict", "--token", "$OIDC_DOCTOR_TOKEN", *args, env={"OIDC_DOCTOR_TOKEN": raw})
    assert status == 0


def test_missing_settings_and_bad_files_exit_2(tmp_path: Path) -> None:
    assert cli("predict", "--token", "x.y.z")[0] == 2
    status, _, err = cli("predict", "--auth-config", str(tmp_path / "nope.yaml"))
    assert status == 2 and "nope.yaml" in err
    (tmp_path / "pod.yaml").write_text("kind: ConfigMap\napiVersion: v1\n")
    assert cli("predict", "--apiserver-manifest", str(tmp_path / "pod.yaml"))[0] == 2


def test_bundle_without_settings_says_it_cannot_see_them(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "healthy" / "id_token.txt", tmp_path / "id_token.txt")
    status, _, err = cli("predict", "--bundle", str(tmp_path))
    assert status == 2
    assert "cannot be seen" in err


def test_manifest_naming_authentication_config_links_auth_config_file(tmp_path: Path) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
        "spec": {
            "containers": [
                {"name": "kube-apiserver", "command": ["kube-apiserver", "--authentication-config=/etc/k/a.yaml"]}
            ]
        },
    }
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(pod))
    manifest = ["--apiserver-manifest", str(tmp_path / "pod.yaml")]
    status, out, _ = cli(
        "predict", *manifest, "--auth-config", str(FIXTURES / "authconfig-v1-OK.yaml"), "--format", "json"
    )
    assert status == 0 and json.loads(out)["error"] is None
    status, _, err = cli("predict", *manifest)
    assert status == 2 and "--authentication-config=/etc/k/a.yaml" in err
    status, out, _ = cli(
        "predict",
        *manifest,
        "--apiserver-arg=--oidc-issuer-url=https://x",
        "--auth-config",
        str(FIXTURES / "authconfig-v1-OK.yaml"),
    )
    assert status == 1 and "mutually exclusive" in out


def test_bundle_cannot_be_combined_with_other_settings() -> None:
    status, _, err = cli("predict", "--bundle", str(EXAMPLES / "healthy"), "--apiserver-arg=--oidc-client-id=x")
    assert status == 2 and "--bundle" in err


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_fixture_works_as_an_apiserver_manifest(path: Path) -> None:
    expect = json.loads(path.read_text().splitlines()[-1].removeprefix("# expect: "))
    status, out, err = cli("predict", "--apiserver-manifest", str(path), "--format", "json")
    got = json.loads(out) if out else {}
    if expect["error"] is None:
        assert status == 0, err
        assert got["error"] is None
    else:
        assert status == 1, err
        assert got["startup_error"] == expect["error"].replace(path.name, str(path)) or got["error"] == expect["error"]


def test_kubectl_describe_output_works_as_an_apiserver_manifest(tmp_path: Path) -> None:
    tok = write_token(tmp_path, groups="admins")
    describe = tmp_path / "describe.txt"
    pod = yaml.safe_load((FIXTURES / "apiserver-prefix-oidc-OK.yaml").read_text().split("\n# expect:")[0])
    words = pod["spec"]["containers"][0]["command"]
    describe.write_text(
        "Name:         kube-apiserver-cp1\nNamespace:    kube-system\nContainers:\n  kube-apiserver:\n"
        "    Image:         registry.k8s.io/kube-apiserver:v1.31.4\n    Command:\n"
        + "".join(f"      {w}\n" for w in words)
        + "    State:          Running\nEvents:  <none>\n"
    )
    status, out, _ = cli(
        "predict",
        "--token",
        tok,
        "--apiserver-manifest",
        str(describe),
        "--jwks",
        str(tmp_path / "jwks.json"),
        "--now",
        NOW,
    )
    assert status == 0, out
    assert "username:      oidc:alice@example.com" in out


def test_predict_judges_through_the_runner_deriving_only_the_api_server_area(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oidc_doctor import derive

    calls: list[tuple[Any, ...]] = []
    derive_all = derive.derive_all

    def recording(ev: Any, ctx: Any, areas: Any = None) -> Any:
        out = derive_all(ev, ctx, areas)
        assert out.facts.authn is not None
        calls.append((tuple(areas or ()), [i.ref for i in ev.items], out.facts.authn.prediction))
        return out

    monkeypatch.setattr(derive, "derive_all", recording)
    tok = write_token(tmp_path, groups=["dev"])
    jwks = str(tmp_path / "jwks.json")
    status, out, _ = cli("predict", "--token", tok, *FLAGS, "--jwks", jwks, "--now", NOW, "-o", "json")
    assert status == 0
    ((areas, refs, prediction),) = calls
    # The command's settings and keys reach the runner's authn deriver; its prediction is the output.
    assert areas == ("authn",) and refs == [tok]
    assert prediction is not None and prediction.user is not None
    assert json.loads(out)["user"]["username"] == prediction.user.username == "alice@example.com"
    calls.clear()
    status, out, _ = cli("predict", *FLAGS, "--now", NOW, "-o", "json")  # no token: the settings alone
    assert (status, json.loads(out)["stage"]) == (0, "config-only")
    assert calls == [(("authn",), [], None)]


def test_the_settings_are_validated_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The deriver validates the settings and hands the verdict to every prediction (CEL compiles
    # there): the engine validates again only when called without one.
    from oidc_doctor.authn import validation, verify
    from oidc_doctor.checks import authn_facts

    calls: list[object] = []
    real = validation.validate_settings

    def counting(auth: Any) -> Any:
        calls.append(auth)
        return real(auth)

    monkeypatch.setattr(authn_facts, "validate_settings", counting)
    monkeypatch.setattr(verify, "validate_settings", counting)
    tok = write_token(tmp_path, groups=["dev"])
    status, out, _ = cli("predict", "--token", tok, *FLAGS, "--jwks", str(tmp_path / "jwks.json"), "--now", NOW)
    assert status == 0, out
    assert len(calls) == 1
