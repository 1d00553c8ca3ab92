"""``oidc-doctor proxy`` on bundles: report formats, exit codes, ``--token``/``--token-lifetime``, the patch dry run."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import yaml
from proxy_testkit import FIXTURES, PLAIN_ARGS, container, workload

from oidc_doctor.cli import main
from oidc_doctor.io import IO

NOW = "2026-11-28T10:25:12Z"


def _run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(stdin), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


def _token(lifetime: int) -> str:
    def part(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    iat = 1795861392
    claims = {
        "iss": "https://keycloak.example.com/realms/k8s",
        "sub": "a",
        "aud": "kubernetes",
        "iat": iat,
        "exp": iat + lifetime,
    }
    return (
        f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{base64.urlsafe_b64encode(b'sig').decode().rstrip('=')}"
    )


def _bundle(tmp_path: Path, *args: str) -> Path:
    d = tmp_path / "bundle"
    d.mkdir()
    (d / "proxy.yaml").write_text(yaml.safe_dump(workload(container(args=[*PLAIN_ARGS, *args]))))
    return d


def test_refresh_longer_than_the_token_given_with_token_stdin(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "--cookie-refresh=10m")
    status, out, _ = _run(
        ["proxy", "--bundle", str(bundle), "--now", NOW, "--token", "-", "--format", "json"], _token(300)
    )
    report = json.loads(out)
    assert status == 1
    assert report["findings"][0]["cause"] == "proxy-cookie-refresh-too-long"
    assert _token(300) not in out  # a token is never printed


def test_token_lifetime_option_and_a_healthy_proxy_exit_0(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    status, out, _ = _run(["proxy", "--bundle", str(bundle), "--now", NOW, "--token-lifetime", "5m"])
    assert status == 0
    assert "Checks:" in out and "proxy.cookie-refresh" not in out.split("Checks:")[1].split("Inputs")[0]


def test_markdown_report_and_output_file(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    for name in ("kubeapps-7.0.4-deployment.yaml", "kubeapps-7.0.4-release.yaml"):
        (bundle / name).write_text((FIXTURES / name).read_text())
    target = tmp_path / "report.md"
    status, out, err = _run(["proxy", "--bundle", str(bundle), "--now", NOW, "--format", "markdown", "-o", str(target)])
    assert status == 1 and out == "" and "report written" in err
    text = target.read_text()
    assert "proxy-cookie-refresh-missing" in text and "Zm9vYmFyYmF6cXV4cXV1eA" not in text


def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    status, _, err = _run(["proxy", "--bundle", str(bundle), "--token-lifetime", "soon"])
    assert status == 2 and "--token-lifetime" in err and err.count("\n") == 1
    status, _, err = _run(["proxy", "authz-header", "enable", "--bundle", str(bundle), "--apply"])
    assert status == 2 and "--apply patches a live cluster" in err


def test_alpha_config_proxy_is_not_patched_and_says_what_to_change(tmp_path: Path) -> None:
    d = tmp_path / "b"
    d.mkdir()
    (d / "p.yaml").write_text(yaml.safe_dump(workload(container(args=["--alpha-config=/etc/a.yaml"]))))
    status, out, _ = _run(["proxy", "authz-header", "enable", "--bundle", str(d)])
    assert status == 2 and "injectResponseHeaders" in out and "kubectl" not in out


def test_disable_dry_run_when_nothing_is_set(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    status, out, _ = _run(
        ["proxy", "authz-header", "disable", "--bundle", str(bundle), "-n", "auth", "-d", "oauth2-proxy"]
    )
    assert status == 0 and "Nothing to change" in out


def test_settings_listing_shows_sources_and_redacts_credentials(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "--client-secret=s3cr3t-value", "--cookie-secret-file=/etc/secret/cookie")
    status, out, _ = _run(["proxy", "--bundle", str(bundle), "--settings"])
    assert status == 0
    assert "--cookie-refresh=1m  [flag: deploy auth/oauth2-proxy container oauth2-proxy args[8]]" in out
    assert "--set-authorization-header=false  [default:" in out
    assert "--cookie-secret=<redacted>" in out and "--client-secret=<redacted>" in out
    assert "0123456789abcdef" not in out and "s3cr3t-value" not in out
    assert "--cookie-secret-file=/etc/secret/cookie" in out


def test_source_options_before_the_action_are_kept(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    status, out, _ = _run(["proxy", "--bundle", str(bundle), "-n", "auth", "authz-header", "enable"])
    assert status == 0 and "deployment auth/oauth2-proxy" in out
    status, _, err = _run(["proxy", "--bundle", str(bundle), "-n", "elsewhere", "authz-header", "enable"])
    assert status == 2 and "namespace elsewhere" in err
