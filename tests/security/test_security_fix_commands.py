"""Every command a fix tells the user to paste runs only the intended program (issue 14).

Each fix of each example and QA bundle, and of attack variants of them (a planted
``$(touch PWNED)`` and friends in the API server's client id, the proxy's scope, Kubeapps'
``extraFlags``/``additionalFlags``, Headlamp's values, namespace and Deployment names, a token's
``iss``), is cut into the commands it holds. Each command is checked by ``bash -n`` and then run by
a real bash in an empty folder where ``kubectl``, ``helm`` and ``oidc-doctor`` are shell functions
that do nothing: the canary file ``PWNED`` must never appear. Secrets planted in the bundle must
not be copied into any fix.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from sec_kit import EXAMPLES, make_token, run

from oidc_doctor.proxy.helm import encode_release
from oidc_doctor.shell import helm_set, join, option

QA = Path(__file__).resolve().parent.parent / "qa" / "bundles"
NOW = ["--now", "2026-11-28T10:25:12Z"]
BASH = shutil.which("bash")
PROGRAMS = ("kubectl", "helm", "oidc-doctor")
#: One value carrying every way out of a shell word: command substitution in both spellings,
#: breaking out of single and double quotes, and a command separator.
PAYLOAD = "x'\"$(touch PWNED)`touch PWNED`;touch PWNED"
SECRET = "planted-Cl1ent-S3cret-value-42"

pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def commands_in(fix: str) -> list[str]:
    """The commands a fix text holds: from a program name to the end of the command, read with
    shell quoting (so nothing inside quotes ends it), ended by an unquoted newline, backtick,
    `` (`` or ``; `` that starts prose, or the ``)`` that closes a parenthesis opened before it."""
    out: list[str] = []
    i = 0
    while i < len(fix):
        starts = [j for p in PROGRAMS for j in [fix.find(p + " ", i)] if j >= 0 and (j == 0 or fix[j - 1] in " \n`(:")]
        if not starts:
            break
        start = min(starts)
        in_paren = fix[:start].count("(") > fix[:start].count(")")
        quote = ""
        j = start
        while j < len(fix):
            c = fix[j]
            if quote == "'":
                quote = "" if c == "'" else quote
            elif quote == '"':
                if c == "\\":
                    j += 1
                elif c == '"':
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c == "\\":
                j += 1
            elif c in "\n`" or (c == ")" and in_paren) or fix.startswith((" (", "; "), j):
                break
            j += 1
        out.append(fix[start:j].rstrip(" ,."))
        i = j + 1
    return out


def test_the_extractor_reads_shell_quoting() -> None:
    fix = "run `kubectl get x --y='a`b (c)'` now; or helm upgrade r c --set 'k=v; x' (note)\n(or kubectl a b)"
    assert commands_in(fix) == ["kubectl get x --y='a`b (c)'", "helm upgrade r c --set 'k=v; x'", "kubectl a b"]


def paste(commands: list[str], where: Path) -> list[str]:
    """Check and run ``commands`` in a real bash in ``where``; the problems found (empty: none)."""
    problems = []
    stubs = "".join(f"{p}() {{ :; }}\n" for p in PROGRAMS)
    for cmd in commands:
        syntax = subprocess.run([BASH or "bash", "-n", "-c", cmd], capture_output=True, text=True, timeout=10)
        if syntax.returncode != 0:
            problems.append(f"bash -n: {cmd!r}: {syntax.stderr.strip()}")
        subprocess.run(
            [BASH or "bash", "--norc", "--noprofile", "-c", stubs + cmd],
            cwd=where,
            capture_output=True,
            timeout=10,
            env={"PATH": "/usr/bin:/bin"},
        )
        if (where / "PWNED").exists():
            problems.append(f"ran the planted command: {cmd!r}")
            (where / "PWNED").unlink()
    return problems


def fixes_of(bundle: Path) -> list[str]:
    """Every fix ``diagnose`` and ``proxy`` print for a bundle (JSON, so nothing is cut)."""
    fixes = []
    for argv in (
        ["diagnose", "--bundle", str(bundle), "--format", "json", *NOW],
        ["proxy", "--bundle", str(bundle), "--format", "json", *NOW],
    ):
        status, out, err = run(argv)
        assert status in (0, 1, 2), (argv, err)
        assert "internal error" not in err, (argv, err)
        if status == 2:
            continue
        doc = json.loads(out)
        fixes += [f["fix"] for f in doc.get("findings", []) if f.get("fix")]
    return fixes


def plant(src: Path, dst: Path) -> Path:
    """A copy of ``src`` with PAYLOAD appended to the API server's client id and the proxy's scope."""
    shutil.copytree(src, dst)
    for f in dst.rglob("*"):
        if not f.is_file() or f.suffix not in (".yaml", ".yml", ".json", ".txt", ".log", ".cfg", ".toml", ""):
            continue
        try:
            text = f.read_text()
        except UnicodeDecodeError:
            continue
        new = text.replace("--oidc-client-id=kubernetes", f"--oidc-client-id=kubernetes{PAYLOAD}")
        new = new.replace("--scope=openid email", f"--scope=openid {PAYLOAD} email")
        if new != text:
            f.write_text(new)
    return dst


BUNDLES = sorted(p for p in EXAMPLES.iterdir() if p.is_dir()) + sorted(p for p in QA.iterdir() if p.is_dir())


def test_every_fix_of_every_bundle_and_its_attack_variant_is_safe_to_paste(tmp_path: Path) -> None:
    problems: list[str] = []
    attacked = 0
    pasted = 0
    for bundle in BUNDLES:
        for variant in (bundle, plant(bundle, tmp_path / "attack" / bundle.name)):
            cmds = [c for fix in fixes_of(variant) for c in commands_in(fix)]
            pasted += len(cmds)
            attacked += variant != bundle and any("touch PWNED" in c for c in cmds)
            problems += [f"{variant.name}: {p}" for p in paste(cmds, tmp_path)]
    assert problems == []
    assert pasted > 50  # the fixes were really read
    assert attacked >= 3  # the planted value reached commands (quoted), so the test is not vacuous


def _kubeapps_release(bundle: Path, chart: str, flags_key: str, flags: list[str]) -> None:
    docs = list(yaml.safe_load_all((bundle / "kubeapps.yaml").read_text()))
    release = {
        "name": "kubeapps",
        "namespace": "kubeapps",
        "version": 1,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "kubeapps", "version": chart}, "values": {}},
        "config": {"authProxy": {"enabled": True, flags_key: flags}},
    }
    labels = {"owner": "helm", "name": "kubeapps", "status": "deployed", "version": "1"}
    for d in docs:
        if d and d.get("kind") == "Deployment":
            d["metadata"]["labels"]["helm.sh/chart"] = f"kubeapps-{chart}"
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {"name": "sh.helm.release.v1.kubeapps.v1", "namespace": "kubeapps", "labels": labels},
            "data": {"release": base64.b64encode(encode_release(release).encode()).decode()},
        }
    )
    (bundle / "kubeapps.yaml").write_text(yaml.safe_dump_all(docs))


@pytest.mark.parametrize(("chart", "key"), [("7.0.0", "additionalFlags"), ("12.2.10", "extraFlags")])
def test_kubeapps_flag_fixes_quote_the_list_and_never_copy_secrets(tmp_path: Path, chart: str, key: str) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "proxy-token-not-forwarded", bundle)
    flags = [
        f"--skip-auth-regex={PAYLOAD}",
        f"--client-secret={SECRET}",
        "--cookie-secret",
        SECRET + "-cookie",
        f"-redis-password={SECRET}",
    ]
    _kubeapps_release(bundle, chart, key, flags)
    fixes = [f for f in fixes_of(bundle) if f"authProxy.{key}" in f and "helm upgrade" in f]
    assert fixes, fixes_of(bundle)
    for fix in fixes:
        assert SECRET[:12] not in fix and "<redacted>" not in fix
        assert "<value of --client-secret>" in fix and "not copied" in fix
        assert paste(commands_in(fix), tmp_path) == []


def test_names_from_the_bundle_in_the_authz_header_command_are_quoted(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "proxy-authorization-header-exposed", bundle)
    for f in bundle.glob("*.yaml"):
        text = f.read_text()
        text = text.replace("namespace: kubeapps", f"namespace: kubeapps{PAYLOAD}")
        text = text.replace("name: auth-proxy", f"name: auth-proxy{PAYLOAD}")
        f.write_text(text)
    cmds = [c for fix in fixes_of(bundle) for c in commands_in(fix) if c.startswith("oidc-doctor")]
    assert cmds and all("touch PWNED" in c for c in cmds)
    assert paste(cmds, tmp_path) == []


def test_a_hostile_token_iss_in_the_issuer_fix_is_quoted(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "issuer-mismatch-trailing-slash", bundle)
    (bundle / "id_token.txt").write_text(make_token(f"https://keycloak.example.com/realms/k8s/{PAYLOAD}"))
    fixes = [f for f in fixes_of(bundle) if "--oidc-issuer-url=" in f]
    assert fixes
    for fix in fixes:
        flag = fix[fix.index("--oidc-issuer-url=") :].split(" or ")[0]
        assert paste([f"kubectl {flag}"], tmp_path) == []


def test_values_that_cannot_be_shown_become_placeholders() -> None:
    assert join(["kubectl", ("a\nb", "namespace")]) == "kubectl '<namespace>'"
    assert option("--oidc-client-id", make_token("https://x")) == "--oidc-client-id='<value>'"
    assert helm_set("authProxy.clientID", "kubernetes") == ["--set", "authProxy.clientID=kubernetes"]
    assert helm_set("authProxy.clientID", "true") == ["--set-json", 'authProxy.clientID="true"']
    assert helm_set("a", "x,y") == ["--set-json", 'a="x,y"']
    assert helm_set("a", "\x1b[31m", "client id") == ["--set-json", 'a="<client id>"']


def test_headlamp_values_with_a_payload_give_safe_commands_and_never_the_client_secret(tmp_path: Path) -> None:
    src = QA / "headlamp-oidc-helm-template-FAILS-audience-mismatch"
    bundle = tmp_path / "b"
    shutil.copytree(src, bundle)
    f = bundle / "helm-template-headlamp.yaml"
    quoted = "'" + PAYLOAD.replace("'", "''") + "'"
    text = f.read_text()
    secret = "9pXf2kQ7vR4mW8sT1yB6nC3jH5dL0aZe"  # the bundle's own OIDC_CLIENT_SECRET
    assert secret in text
    text = text.replace("value: profile,email", f"value: {quoted}").replace("value: headlamp\n", f"value: {quoted}\n")
    f.write_text(text)
    fixes = fixes_of(bundle)
    cmds = [c for fix in fixes for c in commands_in(fix)]
    assert any(c.startswith("helm upgrade headlamp") for c in cmds), fixes
    assert paste(cmds, tmp_path) == []
    for fmt in ("text", "json", "markdown", "html"):
        _status, out, err = run(["diagnose", "--bundle", str(bundle), "--format", fmt, *NOW])
        assert secret[:12] not in out + err and secret[-12:] not in out + err
