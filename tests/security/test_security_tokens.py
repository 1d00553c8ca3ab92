"""Offline commands on inputs that hide a known token everywhere: no output stream, written report
or request to anyone but the user's API server holds any 20-character piece of the token's
payload or signature, nor the proxy's client or cookie secret. The issuer (a recording HTTPS
server) is fetched for discovery and JWKS, and receives no credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sec_kit import PROXY_SECRETS, Stranger, leaks, make_token, run, token_bundle, windows


@pytest.fixture
def stranger() -> Iterator[Stranger]:
    with Stranger() as s:
        yield s


def test_no_offline_command_shows_writes_or_sends_the_token(
    stranger: Stranger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = tmp_path / "issuer-ca.pem"
    stranger.ca.cert_pem.write_to_path(str(ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    netrc = tmp_path / "netrc"  # credentials for the issuer's host that no fetch may pick up
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password-Xq1\n")
    monkeypatch.setenv("NETRC", str(netrc))
    token = make_token(stranger.url)
    good_aud = make_token(stranger.url, aud="kubernetes")
    secret = windows(token) | windows(good_aud) | set(PROXY_SECRETS)
    bundle = token_bundle(tmp_path, token, stranger.url)
    src = tmp_path / "t.txt"
    src.write_text(f"Bearer {token}\n")
    src2 = tmp_path / "t2.txt"
    src2.write_text(good_aud)
    b, t, t2 = str(bundle), f"@{src}", f"@{src2}"
    reports = [tmp_path / f"report.{ext}" for ext in ("txt", "json", "md", "html")]
    commands = [
        ["token", t],
        ["token", t, "--format", "json"],
        ["token", t, "--ca-file", str(ca), "--client-id", "kubernetes"],
        ["token", "-"],
        ["diagnose", "--bundle", b],
        *(["diagnose", "--bundle", b, "--format", f] for f in ("json", "markdown", "html")),
        *(
            ["diagnose", "--bundle", b, "--token", t2, "--error", f"Bearer {token}", "--format", f, "-o", str(r)]
            for f, r in zip(("text", "json", "markdown", "html"), reports, strict=True)
        ),
        ["predict", "--bundle", b],
        ["predict", "--bundle", b, "--token", t2, "--format", "json"],
        [
            "predict",
            "--token",
            t,
            f"--apiserver-arg=--oidc-issuer-url={stranger.url}",
            "--apiserver-arg=--oidc-client-id=x",
        ],
        ["rbac", "who", "--bundle", b, "--token", t2],
        ["rbac", "can", "list", "pods", "--bundle", b, "--token", t2, "--format", "json"],
        ["rbac", "who", "--bundle", b, "--error", f'pods is forbidden: User "{token}" cannot list resource "pods"'],
        ["logs", str(bundle / "kube-apiserver.log"), str(bundle / "auth-proxy.log")],
        ["logs", str(bundle / "kube-apiserver.log"), str(bundle / "auth-proxy.log"), "--format", "json"],
        ["proxy", "--bundle", b],
        ["proxy", "--bundle", b, "--settings"],
        ["proxy", "--bundle", b, "--settings", "-o", "json"],
        ["proxy", "--bundle", b, "--format", "markdown"],
        ["proxy", "--bundle", b, "--format", "html"],
        ["proxy", "authz-header", "enable", "--bundle", b],
    ]
    for argv in commands:
        status, out, err = run(argv, stdin=token if argv[-1] == "-" else "")
        assert status in (0, 1, 2), argv
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
        assert not leaks(out + err, secret), (argv, leaks(out + err, secret))
    for report in reports:
        assert report.stat().st_size > 0 and not leaks(report.read_text(), secret), report
    assert {s.path for s in stranger.seen} >= {"/.well-known/openid-configuration", "/jwks"}
    for s in stranger.seen:
        assert s.method == "GET" and not {k.lower() for k in s.headers} & {"authorization", "cookie"}
    assert not leaks(stranger.everything(), secret)
    assert "netrc" not in stranger.everything() and "bmV0cmM" not in stranger.everything()


def test_proxy_settings_mask_a_token_pasted_into_a_flag(tmp_path: Path) -> None:
    token = make_token("https://idp.example.com")
    bundle = token_bundle(tmp_path, token, "https://idp.example.com")
    status, out, _ = run(["proxy", "--bundle", str(bundle), "--settings"])
    assert status == 0
    [line] = [ln for ln in out.splitlines() if "--extra-jwt-issuers=" in ln]
    assert "<masked sha256:" in line and not leaks(line, windows(token))


def test_a_credential_riding_inside_the_tokens_claims_is_masked(tmp_path: Path) -> None:
    import shutil

    from sec_kit import EXAMPLES

    inner = make_token("https://graph.example.com")
    token = make_token(
        "https://keycloak.example.com/realms/k8s",
        aud="kubernetes",
        groups=["dev", inner],
        refresh_token=inner,
        _claim_names={"roles": "src1"},
        _claim_sources={"src1": {"endpoint": "https://127.0.0.1:9/claims", "access_token": inner}},
    )
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "healthy", bundle)
    (bundle / "id_token.txt").write_text(token)
    src = tmp_path / "t.txt"
    src.write_text(token)
    runs = [["token", f"@{src}", "--offline"], ["token", f"@{src}", "--offline", "--format", "json"]]
    runs += [["diagnose", "--bundle", str(bundle), "--format", f] for f in ("text", "json", "markdown", "html")]
    runs += [["predict", "--bundle", str(bundle), "--format", "json", "--offline"]]
    runs += [["rbac", "who", "--bundle", str(bundle), "--token", f"@{src}", "--format", "json"]]
    for argv in runs:
        status, out, err = run(argv)
        assert status in (0, 1, 2), (argv, err)
        assert not leaks(out + err, windows(inner)), (argv, leaks(out + err, windows(inner)))
    status, out, _ = run(["token", f"@{src}", "--offline", "--format", "json"])
    assert '"access_token": "<masked sha256:' in out and '"refresh_token": "<masked sha256:' in out


def test_proxy_secrets_in_env_toml_and_alpha_config_never_show(tmp_path: Path) -> None:
    import yaml
    from sec_kit import CLIENT_SECRET, COOKIE_SECRET

    bundle = token_bundle(tmp_path, make_token("https://idp.example.com"), "https://idp.example.com")
    docs = list(yaml.safe_load_all((bundle / "kubeapps.yaml").read_text()))
    for doc in docs:
        if doc and doc.get("kind") == "Deployment":
            spec = doc["spec"]["template"]["spec"]
            for c in spec["containers"]:
                if c["name"] == "auth-proxy":
                    c["args"] = [a for a in c["args"] if "secret" not in a]
                    c["args"] += ["--config=/etc/oauth2-proxy/oauth2_proxy.cfg", "--alpha-config=/etc/alpha/alpha.yaml"]
                    c["env"] = [{"name": "OAUTH2_PROXY_CLIENT_SECRET", "value": CLIENT_SECRET + "-env"}]
                    c["volumeMounts"] = [
                        {"name": "cfg", "mountPath": "/etc/oauth2-proxy"},
                        {"name": "alpha", "mountPath": "/etc/alpha"},
                    ]
            spec["volumes"] = [
                {"name": "cfg", "configMap": {"name": "proxy-cfg"}},
                {"name": "alpha", "configMap": {"name": "proxy-alpha"}},
            ]
    toml = f'client_secret = "{CLIENT_SECRET}-toml"\ncookie_secret = "{COOKIE_SECRET}-toml"\n'
    alpha = f"providers:\n- id: oidc\n  clientID: kubeapps\n  clientSecret: {CLIENT_SECRET}-alpha\n"
    for name, key, text in (("proxy-cfg", "oauth2_proxy.cfg", toml), ("proxy-alpha", "alpha.yaml", alpha)):
        meta = {"name": name, "namespace": "kubeapps"}
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {key: text}})
    (bundle / "kubeapps.yaml").write_text(yaml.safe_dump_all(docs))
    for argv in (
        ["proxy", "--bundle", str(bundle), "--settings"],
        ["proxy", "--bundle", str(bundle), "--settings", "-o", "json"],
        ["proxy", "--bundle", str(bundle), "--settings", "-o", "yaml"],
        ["proxy", "--bundle", str(bundle), "--format", "json"],
        ["diagnose", "--bundle", str(bundle), "--format", "markdown"],
        ["diagnose", "--bundle", str(bundle), "--format", "html"],
    ):
        status, out, err = run(argv)
        assert status in (0, 1), err
        assert CLIENT_SECRET not in out + err and COOKIE_SECRET not in out + err, argv
    _status, out, _ = run(["proxy", "--bundle", str(bundle), "--settings"])
    assert "--cookie-secret=<redacted>" in out  # read (its length is judged), never shown


def test_reports_name_the_token_by_its_sha256_fingerprint_only(tmp_path: Path) -> None:
    import re

    from oidc_doctor.jose import fingerprint

    token = make_token("https://keycloak.example.com/realms/k8s")
    bundle = token_bundle(tmp_path, token, "https://keycloak.example.com/realms/k8s")
    mark = fingerprint(token)
    assert re.fullmatch(r"sha256:[0-9a-f]{12}", mark)
    for fmt in ("text", "json", "markdown", "html"):
        status, out, _ = run(["diagnose", "--bundle", str(bundle), "--format", fmt])
        assert status == 1 and mark in out, fmt
        assert not leaks(out, windows(token))


def test_a_token_given_where_a_name_belongs_is_refused_and_not_echoed() -> None:
    token = make_token("https://idp.example.com")
    for argv in (
        ["rbac", "who", "--user", token, "--bundle", "examples/healthy"],
        ["rbac", "can", "list", "pods", "--user", token, "--bundle", "examples/healthy"],
        ["token", token, "--format", token],
        ["diagnose", "--bogus", token],
        ["diagnose", "--bundle", token],
        ["whoami", "--context", token, "--kubeconfig", "/nonexistent"],
    ):
        status, out, err = run(argv)
        assert status == 2 and not leaks(out + err, windows(token)), (argv, err)
    _status, _out, err = run(["rbac", "who", "--user", token, "--bundle", "examples/healthy"])
    assert "pass it with --token" in err
