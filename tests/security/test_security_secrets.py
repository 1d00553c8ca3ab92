"""The one secrets policy (``oidc_doctor.secrets``): a corpus of secret shapes, each masked wherever
it rides, and the same shapes planted in a bundle that every offline command and ``collect``'s
redaction must keep out of their output.

The promise checked is issue 14's: no piece of a secret of 12 characters or more appears in any
output. Each corpus entry is one shape a real setup has (or an attack used); add one per new finding.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sec_kit import EXAMPLES, make_token, run

from oidc_doctor.live.readers import reduce_helm_release
from oidc_doctor.live.redact import redact_configmap, redact_ingress, redact_workload
from oidc_doctor.proxy.helm import encode_release
from oidc_doctor.secrets import (
    REDACTED,
    fingerprint,
    looks_secret,
    mask_args,
    mask_claims,
    mask_config,
    mask_env,
    mask_text,
    mask_tree,
)

PIECE = 12


def pieces(secret: str) -> set[str]:
    """Every 12-character substring of ``secret``."""
    return {secret[i : i + PIECE] for i in range(len(secret) - PIECE + 1)}


def leaked(out: str, secret: str) -> bool:
    """Whether any 12-character piece of ``secret`` is in ``out``."""
    return any(p in out for p in pieces(secret))


S = "Zq7-s3cr3t_V4lue+9xY/w"  # a realistic client secret: letters, digits, - _ + /
JWT = make_token("https://idp.example.com")

#: (what it is, the text carrying S) — free text: log lines, messages, option values.
TEXT_CORPUS: list[tuple[str, str]] = [
    ("double-dash =", f"--client-secret={S}"),
    ("single-dash = (Go flag package spelling)", f"-client-secret={S}"),
    ("double-dash separate", f"oauth2-proxy --client-secret {S} --upstream=http://x"),
    ("single-dash separate", f"headlamp -oidc-client-secret {S}"),
    ("quoted in sh -c", f"sh -c \"oauth2-proxy --cookie-secret='{S}' --provider=oidc\""),
    ("redis URL password", f"--redis-connection-url=redis://:{S}@redis:6379/0"),
    ("upstream URL userinfo", f"--upstream=https://user:{S}@up.example.com/"),
    ("issuer URL userinfo", f"https://admin:{S}@keycloak.example.com/realms/k8s"),
    ("access_token query", f"GET /callback?state=1&access_token={S}&x=1"),
    ("client_secret query", f"https://idp.example.com/token?client_secret={S}"),
    ("Bearer header", f"Authorization: Bearer {S}"),
    ("neutral env value", f"X_UPSTREAM_HEADER=Bearer {S}"),
    ("oauth2-proxy cookie with |", f"_oauth2_proxy=QUJD{S}|1732789512|{S}sig; Path=/"),
    ("Cookie header", f"Cookie: theme=dark; _oauth2_proxy_csrf={S}"),
    ("JSON pair", f'{{"clientSecret": "{S}", "clientID": "kubeapps"}}'),
    ("TOML quoted key", f'"client_secret" = "{S}"'),
    ("logfmt", f"level=error client_secret={S} msg=failed"),
    ("JWT anywhere", f"--client-id={JWT}"),
    ("ingress snippet", f'proxy_set_header Authorization "Bearer {S}";'),
    ("k3s datastore", f"--datastore-endpoint=postgres://k3s:{S}@db:5432/k3s"),
    # found by benchmarks/fuzz.py: a short option before the secret one, a value starting with '-'
    ("after a short option", f"-A --client-secret={S}"),
    ("separate value with a dash", f"--cookie-secret -{S}"),
]


@pytest.mark.parametrize(("what", "text"), TEXT_CORPUS, ids=[w for w, _ in TEXT_CORPUS])
def test_mask_text_hides_every_shape(what: str, text: str) -> None:
    secret = JWT if "JWT" in what else S
    out = mask_text(text)
    assert not leaked(out, secret), (what, out)
    assert out != text


#: Config bodies (TOML, alpha config JSON/YAML, env files) holding S.
CONFIG_CORPUS: list[tuple[str, str]] = [
    ("TOML", f'provider = "oidc"\nclient_secret = "{S}"\n'),
    ("TOML quoted key", f'provider = "oidc"\n"cookie_secret" = "{S}"\n'),
    ("alpha JSON", json.dumps({"providers": [{"id": "p", "clientSecret": S}]}, indent=2)),
    ("alpha YAML", f"providers:\n- id: p\n  clientSecret: {S}\n"),
    ("alpha YAML block scalar", f"providers:\n- id: p\n  clientSecret: |\n    {S}\n  clientID: x\n"),
    ("list item block scalar", f"- clientSecret: >-\n    {S}\n- id: p\n"),
    ("env file", f"OAUTH2_PROXY_CLIENT_SECRET={S}\nOAUTH2_PROXY_PROVIDER=oidc\n"),
]


@pytest.mark.parametrize(("what", "text"), CONFIG_CORPUS, ids=[w for w, _ in CONFIG_CORPUS])
def test_mask_config_hides_every_body(what: str, text: str) -> None:
    out = mask_config(text)
    assert not leaked(out, S), (what, out)
    assert "provider" in out.lower() or "id: p" in out  # the rest is kept


def test_a_block_scalar_ends_at_the_next_key() -> None:
    out = mask_config(f"p:\n  clientSecret: |\n    {S}\n  clientID: kubeapps\n")
    assert "clientID: kubeapps" in out and REDACTED in out


ARGV_CORPUS: list[list[str]] = [
    ["--client-secret", S],
    ["-client-secret", S],
    [f"-cookie-secret={S}"],
    ["--redis-password", S],
    ["sh", "-c", f"exec oauth2-proxy --client-secret={S} --upstream=http://x"],
    ["--upstream", f"https://u:{S}@x.example.com"],
    ["--client-secret", f"-{S}"],  # Go's flag and pflag take the next word whatever it starts with
]


@pytest.mark.parametrize("argv", ARGV_CORPUS, ids=lambda a: " ".join(a)[:30])
def test_mask_args_hides_every_spelling(argv: list[str]) -> None:
    out = mask_args(["--provider=oidc", *argv, "--cookie-refresh=2m"])
    assert not leaked(json.dumps(out), S), out
    assert out[0] == "--provider=oidc" and out[-1] == "--cookie-refresh=2m"


def test_mask_env_by_name_and_by_content() -> None:
    assert mask_env("OAUTH2_PROXY_CLIENT_SECRET", S) == REDACTED
    assert not leaked(mask_env("UPSTREAM_AUTH", f"Bearer {S}"), S)
    assert not leaked(mask_env("REDIS_URL", f"redis://:{S}@r:6379"), S)
    assert mask_env("OAUTH2_PROXY_PROVIDER", "oidc") == "oidc"


def test_mask_tree_walks_helm_values_at_any_depth() -> None:
    values = {
        "authProxy": {
            "enabled": True,
            "clientSecret": S,
            "extraFlags": ["--cookie-secret", S, f"-client-secret={S}", "--cookie-refresh=2m"],
            "additionalFlags": [f"--redis-connection-url=redis://:{S}@r"],
        },
        "config": {"configFile": f'client_secret = "{S}"\nemail_domains = ["*"]\n'},
        "deep": {"a": {"b": {"c": {"d": {"password": S, "apiKey": S}}}}},
        "ingress": {"annotations": {"snippet": f"proxy_set_header Authorization 'Bearer {S}';"}},
        "headlamp": {"config": {"oidc": {"secret": {"create": True, "name": "oidc"}, "clientSecret": S}}},
    }
    out = mask_tree(values)
    assert not leaked(json.dumps(out), S), out
    assert out["authProxy"]["enabled"] is True
    assert "--cookie-refresh=2m" in out["authProxy"]["extraFlags"]
    assert out["headlamp"]["config"]["oidc"]["secret"] == {"create": True, "name": "oidc"}  # a reference, kept


def test_mask_claims_fingerprints_nested_credentials() -> None:
    claims = {
        "sub": "alice",
        "idp": {"tokens": [{"clientSecret": S}], "accessToken": S},
        "_claim_sources": {"src1": {"endpoint": "https://x", "access_token": S}},
        "note": f"pasted {JWT}",
    }
    out = mask_claims(claims)
    text = json.dumps(out)
    assert not leaked(text, S) and not leaked(text, JWT)
    assert out["idp"]["accessToken"] == f"<masked {fingerprint(S)}>"
    assert out["sub"] == "alice"


@pytest.mark.parametrize(
    "name",
    ["--client-secret", "-client-secret", "OAUTH2_PROXY_COOKIE_SECRET", "clientSecret", '"client_secret"', "apiKey"],
)
def test_looks_secret_knows_every_spelling(name: str) -> None:
    assert looks_secret(name) and looks_secret(name, "x1")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("--pass-access-token", "true"),
        ("--skip-jwt-bearer-tokens", None),
        ("--client-secret-file", "/etc/secret"),
        ("--token-cache-dir", "/tmp"),
        ("tokenFile", "/var/run/token"),
        ("--client-secret", ""),
        ("existingSecret", "kubeapps-oauth2"),
        ("--oidc-username-claim", "email"),
    ],
)
def test_what_is_not_a_credential_is_kept(name: str, value: str | None) -> None:
    assert not looks_secret(name, value)


@pytest.mark.parametrize(
    "text",
    [
        'err="[invalid bearer token, oidc: verify token: oidc: expected audience \\"kubernetes\\" got []]"',
        "Session{email:a@b.c token:true id_token:true}",
        "oidc: token is expired (Token Expiry: 2022-07-22 11:40:27 +0000 UTC)",
        "cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 23 bytes",
        "set `--client-secret` to the client's secret",
        "--pass-access-token=true --oidc-issuer-url=https://idp.example.com/realms/k8s",
        "Token @examples/healthy/id_token.txt sha256:0123456789ab",
        "Basic authentication is not used",
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert mask_text(text) == text


# --- the same shapes planted in a bundle ---------------------------------------------------------

SECRETS = {k: f"{k}-S3cr3tV4lue-{i:04d}-xyz" for i, k in enumerate(
    ["single", "separate", "shc", "redis", "upstream", "envbearer", "ingress", "extraflags", "addflags",
     "configfile", "tomlq", "alphajson", "alphayaml", "cookiepipe", "claimsec", "sepsingle", "urlq", "helmsep"]
)}  # fmt: skip


def hostile_bundle(root: Path) -> Path:
    """kubeapps-audience-mismatch with every shape of SECRETS planted where a real setup puts it."""
    s = SECRETS
    b = root / "bundle"
    shutil.copytree(EXAMPLES / "kubeapps-audience-mismatch", b)
    docs = list(yaml.safe_load_all((b / "kubeapps.yaml").read_text()))
    for d in docs:
        if d and d.get("kind") == "Deployment":
            spec = d["spec"]["template"]["spec"]
            for c in spec["containers"]:
                if c["name"] == "auth-proxy":
                    c["args"] += [
                        f"-client-secret={s['single']}",
                        "--cookie-secret",
                        s["separate"],
                        f"--redis-connection-url=redis://:{s['redis']}@redis:6379",
                        f"--upstream=https://user:{s['upstream']}@up.example.com/",
                        f"--login-url=https://kc.example.com/auth?client_secret={s['urlq']}&x=1",
                        "-client-secret",
                        s["sepsingle"],
                        "--config=/etc/oauth2-proxy/oauth2_proxy.cfg",
                        "--alpha-config=/etc/alpha/alpha.yaml",
                    ]
                    c["env"].append({"name": "MY_HEADER", "value": f"Bearer {s['envbearer']}"})
                    c["volumeMounts"] = [
                        {"name": "cfg", "mountPath": "/etc/oauth2-proxy"},
                        {"name": "alpha", "mountPath": "/etc/alpha"},
                    ]
            spec["volumes"] = [
                {"name": "cfg", "configMap": {"name": "proxy-cfg"}},
                {"name": "alpha", "configMap": {"name": "proxy-alpha"}},
            ]
            spec["containers"].append(
                {
                    "name": "sidecar",
                    "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
                    "command": ["sh", "-c", f"oauth2-proxy --provider=oidc --client-secret={s['shc']}"],
                }
            )
    meta = {"name": "kubeapps", "namespace": "kubeapps"}
    snippet = f'proxy_set_header Authorization "Bearer {s["ingress"]}";'
    docs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {**meta, "annotations": {"nginx.ingress.kubernetes.io/configuration-snippet": snippet}},
            "spec": {"rules": [{"host": "kubeapps.example.com"}]},
        }
    )
    toml = f'"client_secret" = "{s["tomlq"]}"\nprovider = "oidc"\n'
    alpha_yaml = f"providers:\n- id: p\n  clientID: kubeapps\n  clientSecret: |\n    {s['alphayaml']}\n"
    alpha_json = json.dumps({"providers": [{"id": "p", "clientID": "x", "clientSecret": s["alphajson"]}]})
    for name, data in (
        ("proxy-cfg", {"oauth2_proxy.cfg": toml}),
        ("proxy-alpha", {"alpha.yaml": alpha_yaml, "alpha.json": alpha_json}),
    ):
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**meta, "name": name}, "data": data})
    release = {
        "name": "kubeapps",
        "namespace": "kubeapps",
        "version": 1,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "kubeapps", "version": "12.0.0"}, "values": {}},
        "config": {
            "authProxy": {
                "enabled": True,
                "extraFlags": [f"--client-secret={s['extraflags']}", "--cookie-secret", s["helmsep"]],
                "additionalFlags": [f"-client-secret={s['addflags']}"],
            },
            "config": {"configFile": f'client_secret = "{s["configfile"]}"\n'},
        },
    }
    labels = {"owner": "helm", "name": "kubeapps", "status": "deployed", "version": "1"}
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {"name": "sh.helm.release.v1.kubeapps.v1", "namespace": "kubeapps", "labels": labels},
            "data": {"release": base64.b64encode(encode_release(release).encode()).decode()},
        }
    )
    (b / "kubeapps.yaml").write_text(yaml.safe_dump_all(docs))
    pipe = s["cookiepipe"]
    (b / "auth-proxy.log").write_text(
        f'10.0.0.1 - - [2026/11/28 10:25:00] kubeapps.example.com GET - "/" HTTP/1.1 "x" 403 0 0.0 '
        f"_oauth2_proxy=QUJD{pipe}|1732789500|c2ln{pipe}\n"
    )
    token = make_token("https://keycloak.example.com/realms/k8s", idp={"clientSecret": s["claimsec"]})
    (b / "id_token.txt").write_text(token)
    return b


def _all_leaks(out: str) -> list[str]:
    return [k for k, v in SECRETS.items() if leaked(out, v)]


NOW = ["--now", "2026-11-28T10:25:12Z"]
COMMANDS: list[Callable[[Path], list[str]]] = [
    *(
        lambda b, f=f: ["diagnose", "--bundle", str(b), "--format", f, *NOW]
        for f in ("text", "json", "markdown", "html")
    ),
    lambda b: ["proxy", "--bundle", str(b), "--settings", *NOW],
    lambda b: ["proxy", "--bundle", str(b), "--format", "json", *NOW],
    lambda b: ["proxy", "--bundle", str(b), "--format", "markdown", *NOW],
    lambda b: ["logs", str(b / "auth-proxy.log"), "--format", "json"],
    lambda b: ["logs", str(b / "auth-proxy.log")],
    lambda b: ["token", f"@{b / 'id_token.txt'}", "--offline", "--format", "json", *NOW],
    lambda b: ["predict", "--bundle", str(b), "--format", "json", "--offline", *NOW],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c(Path("B"))[:5:2]))
def test_no_offline_command_shows_a_planted_secret(tmp_path: Path, command: Callable[[Path], list[str]]) -> None:
    bundle = hostile_bundle(tmp_path)
    argv = command(bundle)
    status, out, err = run(argv)
    assert status in (0, 1), (argv, err)
    assert "internal error" not in err
    assert _all_leaks(out + err) == [], (argv, _all_leaks(out + err))


def test_collect_redaction_keeps_every_planted_secret_out_of_the_bundle(tmp_path: Path) -> None:
    """What ``collect`` writes for workloads, ConfigMaps and Helm release records (the redaction
    functions it calls, applied to the hostile objects)."""
    bundle = hostile_bundle(tmp_path)
    written: list[Any] = []
    for doc in yaml.safe_load_all((bundle / "kubeapps.yaml").read_text()):
        if not doc:
            continue
        kind = doc.get("kind")
        if kind == "ConfigMap":
            written.append(redact_configmap(doc))
        elif kind == "Secret":
            written.append(reduce_helm_release(doc))
        elif kind == "Ingress":
            written.append(redact_ingress(doc))
        else:
            written.append(redact_workload(doc))
    text = json.dumps(written)
    for secret in (v for k, v in SECRETS.items() if k not in ("cookiepipe", "claimsec")):
        assert not leaked(text, secret)
    release = next(w for w in written if w and w.get("kind") == "Secret")
    assert release["type"] == "helm.sh/release.v1"  # still a release record the bundle reader reads


def test_collect_writes_no_planted_secret_end_to_end(tmp_path: Path) -> None:
    """The hostile bundle's objects served by the API server test double, then ``collect`` without
    ``--include-token``: no file of the written bundle holds a piece of any secret."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "live"))
    from apiserver_double import ApiServerDouble
    from live_testkit import populate
    from sec_kit import tree_text

    bundle = hostile_bundle(tmp_path)
    with ApiServerDouble(token="opaque-test-token-0123456789") as double:
        populate(double)
        for doc in yaml.safe_load_all((bundle / "kubeapps.yaml").read_text()):
            if doc and doc.get("kind") in ("Deployment", "ConfigMap", "Ingress", "Secret"):
                double.add(doc)
        kc = double.kubeconfig(tmp_path / "kubeconfig")
        out_dir = tmp_path / "collected"
        status, out, err = run(
            ["collect", "-o", str(out_dir), "--kubeconfig", str(kc), "--no-issuer", "-n", "kubeapps"]
        )
    assert status in (0, 1), err
    written = tree_text(out_dir)
    # the hostile objects were collected (so their secrets had a way out): the Ingress snippet,
    # the proxy's mounted config and the sidecar's shell line are in the bundle, masked
    assert "configuration-snippet" in written and "oauth2_proxy.cfg" in written
    assert "oauth2-proxy --provider=oidc --client-secret=<redacted>" in written
    found = [k for k, v in SECRETS.items() if k not in ("cookiepipe", "claimsec") and leaked(written + out + err, v)]
    assert found == []
