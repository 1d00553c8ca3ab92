"""The session timeline (``timeline`` in the report): one test per refresh case on the proxy examples,
then Headlamp, kubelogin, a visible refresh token, grouped log failures and the shape.

Expected moments are computed from the bundle's own token (its ``iat``/``exp``) and the proxy's
settings, never copied from the output.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from oidc_doctor.causes import BY_CODE
from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.model import TimelineKind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


def claims_of(path: Path) -> dict[str, Any]:
    payload = path.read_text().strip().split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timeline(bundle: Path, *extra: str) -> list[dict[str, Any]]:
    status, out, err = cli("diagnose", "--bundle", str(bundle), "-o", "json", *extra)
    assert status in (0, 1), err
    entries: list[dict[str, Any]] = json.loads(out)["timeline"]
    return entries


def of(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["kind"] == kind]


def assert_shape(entries: list[dict[str, Any]]) -> None:
    """The documented shape: sorted, RFC 3339 UTC, known kinds and causes, ref/cause absent or set."""
    kinds = {str(k) for k in TimelineKind}
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    for e in entries:
        assert set(e) <= {"at", "kind", "what", "ref", "cause"} and {"at", "kind", "what"} <= set(e)
        datetime.strptime(e["at"], "%Y-%m-%dT%H:%M:%SZ")
        assert e["kind"] in kinds and e["what"]
        assert e.get("ref", "x") and e.get("cause", "proxy-config-invalid") in BY_CODE


def example(name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    entries = timeline(EXAMPLES / name)
    assert_shape(entries)
    return entries, claims_of(EXAMPLES / name / "id_token.txt")


def test_cookie_refresh_unset_logs_out_at_the_token_expiry() -> None:
    entries, c = example("proxy-cookie-refresh-missing")
    (logout,) = of(entries, "predicted-logout")
    assert logout["at"] == utc(c["exp"])
    assert logout["cause"] == "proxy-cookie-refresh-missing"
    assert "--cookie-refresh unset" in logout["what"]
    assert of(entries, "refresh") == [] and of(entries, "cookie-refresh") == []
    (exp,) = of(entries, "token-exp")
    assert exp["at"] == utc(c["exp"]) and exp["ref"].endswith("sha256:" + exp["ref"].rsplit("sha256:", 1)[1])


def test_cookie_refresh_shorter_than_the_token_refreshes_and_predicts_no_logout() -> None:
    entries, c = example("healthy")
    args = yaml.safe_load_all((EXAMPLES / "healthy" / "kubeapps.yaml").read_text())
    refresh = next(
        a.split("=", 1)[1]
        for d in args
        if d
        for ct in d["spec"]["template"]["spec"]["containers"]
        for a in ct.get("args", [])
        if a.startswith("--cookie-refresh=")
    )
    assert refresh == "2m"
    (r,) = of(entries, "refresh")
    assert r["at"] == utc(c["iat"] + 120)
    assert r["at"] < utc(c["exp"])
    assert "--cookie-refresh=2m" in r["what"] and "--provider=oidc" in r["what"]
    assert of(entries, "predicted-logout") == []  # no refresh token in the evidence: the IdP session is not visible
    (cookie,) = of(entries, "cookie-expire")
    assert cookie["at"] == utc(c["iat"] + 168 * 3600)


def test_cookie_refresh_longer_than_the_token_logs_out_at_expiry_before_the_refresh() -> None:
    entries, c = example("proxy-cookie-refresh-too-long")
    (due,) = of(entries, "cookie-refresh")
    assert due["at"] == utc(c["iat"] + 600) and "--cookie-refresh=10m" in due["what"]
    (logout,) = of(entries, "predicted-logout")
    assert logout["at"] == utc(c["exp"]) and logout["at"] < due["at"]
    assert logout["cause"] == "proxy-cookie-refresh-too-long"
    assert of(entries, "refresh") == []


def test_provider_that_cannot_refresh_logs_out_at_expiry() -> None:
    entries, c = example("proxy-refresh-unsupported")
    (due,) = of(entries, "cookie-refresh")
    assert due["at"] == utc(c["iat"] + 120)
    (logout,) = of(entries, "predicted-logout")
    assert logout["at"] == utc(c["exp"])
    assert logout["cause"] == "proxy-refresh-unsupported"
    assert "`keycloak`" in logout["what"]
    assert of(entries, "refresh") == []


def test_every_token_time_is_on_the_axis_with_its_fingerprint() -> None:
    entries, c = example("healthy")
    got = {e["kind"]: e["at"] for e in entries if e["kind"].startswith("token-")}
    assert got == {
        "token-iat": utc(c["iat"]),
        "token-exp": utc(c["exp"]),
        "token-auth-time": utc(c["auth_time"]),
    }
    assert len(of(entries, "now")) == 1


def _fake_jwt(claims: dict[str, Any]) -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}.c2ln"


def test_a_visible_refresh_token_bounds_the_session(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", bundle)
    c = claims_of(bundle / "id_token.txt")
    rt = {"iss": c["iss"], "typ": "Refresh", "iat": c["iat"], "exp": c["iat"] + 1800, "sub": c["sub"]}
    (bundle / "refresh_token.txt").write_text(_fake_jwt(rt) + "\n")
    entries = timeline(bundle)
    assert_shape(entries)
    (session,) = of(entries, "session-expire")
    assert session["at"] == utc(c["iat"] + 1800) and "refresh token" in session["what"]
    (logout,) = of(entries, "predicted-logout")
    assert logout["at"] == utc(c["iat"] + 1800) and "refresh token expires" in logout["what"]
    # the session's token is still the id_token, not the refresh token
    (r,) = of(entries, "refresh")
    assert r["at"] == utc(c["iat"] + 120)


def _headlamp(image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "headlamp", "namespace": "headlamp"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "headlamp",
                            "image": image,
                            "args": [
                                "-in-cluster",
                                "-oidc-client-id=kubernetes",
                                "-oidc-idp-issuer-url=https://keycloak.example.com/realms/k8s",
                                "-oidc-scopes=profile,email,groups",
                            ],
                        }
                    ]
                }
            }
        },
    }


@pytest.mark.parametrize(
    ("image", "broken"),
    [("ghcr.io/headlamp-k8s/headlamp:v0.30.0", True), ("ghcr.io/headlamp-k8s/headlamp:v0.36.0", False)],
)
def test_headlamp_refreshes_near_expiry_unless_its_release_is_broken(tmp_path: Path, image: str, broken: bool) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", bundle)
    (bundle / "kubeapps.yaml").unlink()
    (bundle / "headlamp.yaml").write_text(yaml.safe_dump(_headlamp(image)))
    c = claims_of(bundle / "id_token.txt")
    entries = timeline(bundle)
    assert_shape(entries)
    if broken:
        (logout,) = of(entries, "predicted-logout")
        assert logout["at"] == utc(c["exp"]) and logout["cause"] == "proxy-refresh-unsupported"
        assert "headlamp#3143" in logout["what"]
        assert of(entries, "refresh") == []
    else:
        (r,) = of(entries, "refresh")
        assert r["at"] == utc(c["exp"] - 10) and "Headlamp" in r["what"]
        assert of(entries, "predicted-logout") == []


def test_kubelogin_refreshes_on_the_first_call_after_expiry(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", bundle)
    (bundle / "kubeapps.yaml").unlink()
    exec_ = {
        "command": "kubectl",
        "args": ["oidc-login", "get-token", "--oidc-issuer-url=https://keycloak.example.com/realms/k8s"],
    }
    kubeconfig = {"apiVersion": "v1", "kind": "Config", "users": [{"name": "oidc", "user": {"exec": exec_}}]}
    (bundle / "kubeconfig.yaml").write_text(yaml.safe_dump(kubeconfig))
    c = claims_of(bundle / "id_token.txt")
    entries = timeline(bundle)
    (r,) = of(entries, "refresh")
    assert r["at"] == utc(c["exp"]) and r["what"].startswith("kubelogin:")
    assert r["ref"] == "kubelogin (user `oidc` of b/kubeconfig.yaml Config)"
    assert of(entries, "predicted-logout") == []


def test_without_any_client_the_token_expiry_is_the_predicted_logout(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", bundle)
    (bundle / "kubeapps.yaml").unlink()
    c = claims_of(bundle / "id_token.txt")
    (logout,) = of(timeline(bundle), "predicted-logout")
    assert logout["at"] == utc(c["exp"]) and "cause" not in logout


def _klog(t: datetime, err: str) -> str:
    stamp = t.strftime("%m%d %H:%M:%S.000000")
    return f'E{stamp}       1 authentication.go:73] "Unable to authenticate the request" err="{err}"\n'


def test_log_failures_are_grouped_per_cause_first_and_last(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "healthy", bundle)
    c = claims_of(bundle / "id_token.txt")
    t0 = datetime.fromtimestamp(c["iat"], UTC)
    aud = '[invalid bearer token, oidc: verify token: oidc: expected audience \\"kubernetes\\" got [\\"kubeapps\\"]]'
    lines = [_klog(t0 + timedelta(seconds=10 * i), aud) for i in range(300)]
    lines.append(_klog(t0 + timedelta(seconds=7), "[invalid bearer token, oidc: email not verified]"))
    (bundle / "kube-apiserver.log").write_text("".join(lines))
    entries = timeline(bundle, "--now", utc(c["iat"] + 60))
    assert_shape(entries)
    fails = of(entries, "log-failure")
    aud_entries = [e for e in fails if e["cause"] == "audience-mismatch"]
    assert [e["at"] for e in aud_entries] == [utc(c["iat"]), utc(c["iat"] + 2990)]
    assert "first of 300" in aud_entries[0]["what"] and "last of 300" in aud_entries[1]["what"]
    assert aud_entries[1]["ref"].endswith("kube-apiserver.log:300")
    (email,) = [e for e in fails if e["cause"] == "email-not-verified"]
    assert email["at"] == utc(c["iat"] + 7) and email["what"] == "API server 401 (email-not-verified)"
    assert len(fails) == 3  # 301 lines, three entries


def test_text_and_markdown_show_a_compact_section() -> None:
    _, out, _ = cli("diagnose", "--bundle", str(EXAMPLES / "proxy-cookie-refresh-missing"))
    section = out.split("Session timeline (UTC", 1)[1].split("\n\n", 1)[0].splitlines()
    assert any(line.startswith(" => ") and "predicted-logout" in line for line in section)
    assert len(section) <= 10
    _, md, _ = cli("diagnose", "--bundle", str(EXAMPLES / "proxy-cookie-refresh-missing"), "-o", "markdown")
    assert "## Session timeline (UTC" in md
    assert any(line.startswith("| ") and "**predicted-logout**" in line for line in md.splitlines())


def test_token_command_carries_the_tokens_timeline() -> None:
    c = claims_of(EXAMPLES / "healthy" / "id_token.txt")
    status, out, err = cli(
        "token",
        f"@{EXAMPLES / 'healthy' / 'id_token.txt'}",
        "--jwks",
        str(EXAMPLES / "healthy" / "jwks.json"),
        "--now",
        utc(c["iat"] + 10),
        "-o",
        "json",
    )
    assert status == 0, err
    entries = json.loads(out)["timeline"]
    assert_shape(entries)
    assert [e["kind"] for e in entries] == ["token-auth-time", "token-iat", "now", "token-exp", "predicted-logout"]


def test_proxy_command_carries_the_timeline() -> None:
    status, out, err = cli("proxy", "--bundle", str(EXAMPLES / "proxy-refresh-unsupported"), "-o", "json")
    assert status in (0, 1), err
    entries = json.loads(out)["timeline"]
    assert [e["cause"] for e in of(entries, "predicted-logout")] == ["proxy-refresh-unsupported"]


def test_a_token_judged_after_its_expiry_names_the_expiry_as_the_cause() -> None:
    c = claims_of(EXAMPLES / "healthy" / "id_token.txt")
    token = f"@{EXAMPLES / 'healthy' / 'id_token.txt'}"
    jwks = str(EXAMPLES / "healthy" / "jwks.json")
    _, out, _ = cli("token", token, "--jwks", jwks, "--now", utc(c["exp"] + 60), "-o", "json")
    (logout,) = of(json.loads(out)["timeline"], "predicted-logout")
    assert logout["at"] == utc(c["exp"]) and logout["cause"] == "token-expired"
