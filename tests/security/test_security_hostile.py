"""Hostile strings from tokens, logs, manifests, error texts and the command line: control
characters (ANSI escapes, CR, BEL, NUL, C1, bidi overrides, zero-width) never reach a terminal in
text, rich or Markdown output; JSON escapes them and stays valid; HTML and Markdown carry no
markup from the input, and Markdown tables keep their shape.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from sec_kit import EXAMPLES, make_token, run

from oidc_doctor.cli import main
from oidc_doctor.io import IO

#: Everything a terminal acts on, plus markup for HTML and Markdown.
EVIL = "\x1b[31mRED\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07\r\x00\x08\u202eGNP.exe\u200b\x9b2J"
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>|cell|```\n```\n`tick`"
HOSTILE = EVIL + MARKUP
#: Characters that must not appear raw in any output meant for a terminal or a viewer.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class _Tty(io.StringIO):
    """A stdout that says it is a terminal, so ``text`` output goes through the rich renderer."""

    def isatty(self) -> bool:
        return True


def _hostile_bundle(tmp_path: Path) -> tuple[Path, Path]:
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "kubeapps-audience-mismatch", bundle)
    token = make_token(
        "https://keycloak.example.com/realms/k8s",
        aud=["kubernetes", HOSTILE],
        sub=HOSTILE,
        email=HOSTILE + "@example.com",
        groups=[HOSTILE, "dev"],
        kid_note=HOSTILE,
    )
    (bundle / "id_token.txt").write_text(token)
    with (bundle / "kube-apiserver.log").open("a") as f:
        evil_log = HOSTILE.replace("\n", " ")
        f.write(
            'E1128 10:25:08.000000       1 authentication.go:73] "Unable to authenticate the request" '
            f'err="invalid bearer token, oidc: verify token: oidc: expected audience \\"{evil_log}\\""\n'
        )
        f.write(f"E1128 10:25:09.000000       1 unknown.go:1] {evil_log}\n")
    (bundle / "what-i-saw.txt").write_text(
        f'pods is forbidden: User "{EVIL}oidc:alice|x" cannot list resource "pods" in API group "" in the '
        f'namespace "{EVIL}"\n'
    )
    docs = list(yaml.safe_load_all((bundle / "kubeapps.yaml").read_text()))
    for doc in docs:
        if doc and doc.get("kind") == "Deployment":
            doc["metadata"]["name"] = "kubeapps" + EVIL
            for c in doc["spec"]["template"]["spec"]["containers"]:
                if c["name"] == "auth-proxy":
                    c["args"] += [f"--cookie-refresh={HOSTILE}", f"--scope={HOSTILE}", f"--upstream={HOSTILE}"]
    rbac = list(yaml.safe_load_all((bundle / "rbac.yaml").read_text()))
    rbac.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "evil" + HOSTILE},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" + EVIL},
            "subjects": [{"kind": "User", "name": "oidc:alice" + HOSTILE, "apiGroup": "rbac.authorization.k8s.io"}],
        }
    )
    (bundle / "rbac.yaml").write_text(yaml.safe_dump_all(rbac))
    (bundle / "kubeapps.yaml").write_text(yaml.safe_dump_all(docs))
    (bundle / ("evil" + "\u202e" + "name.txt")).write_text(EVIL)
    tok = tmp_path / "token.txt"
    tok.write_text(token)
    return bundle, tok


def _commands(bundle: Path, tok: Path) -> list[list[str]]:
    b, t = str(bundle), f"@{tok}"
    out: list[list[str]] = []
    for fmt in ("text", "json", "markdown", "html"):
        out += [
            ["diagnose", "--bundle", b, "--format", fmt, "--error", HOSTILE, "--request", f"get pods -n {EVIL}"],
            ["proxy", "--bundle", b, "--format", fmt],
        ]
    for fmt in ("text", "json"):
        out += [
            ["token", t, "--format", fmt, "--offline"],
            ["predict", "--bundle", b, "--format", fmt],
            ["predict", "--token", t, f"--apiserver-arg=--oidc-issuer-url={HOSTILE}", "--format", fmt],
            ["rbac", "who", "--bundle", b, "--user", "oidc:alice" + HOSTILE, "--group", EVIL, "--format", fmt],
            [
                "rbac",
                "can",
                "list",
                "pods/" + EVIL,  # a hostile subresource: an unknown resource word is now refused (exit 2)
                "-n",
                EVIL,
                "--bundle",
                b,
                "--user",
                "oidc:alice" + HOSTILE,
                "--format",
                fmt,
            ],
            ["logs", str(bundle / "kube-apiserver.log"), "--format", fmt],
        ]
    out += [
        ["proxy", "--bundle", b, "--settings"],
        ["proxy", "authz-header", "enable", "--bundle", b, "-d", "kubeapps" + EVIL],
        ["token", HOSTILE],
        ["diagnose", "--bundle", b, "--now", HOSTILE],
    ]
    return out


def _check_markdown(text: str) -> None:
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
            continue
        if fence:
            continue
        assert "<script" not in line.lower() and "<img" not in line.lower(), line
        if line.startswith("|"):
            # a table row: exactly the header's three columns (unescaped pipes)
            assert len(re.findall(r"(?<!\\)\|", line)) == 4, line
    assert not fence, "a code block left open: the rest of the ticket would be code"


@pytest.mark.parametrize("tty", [False, True])
def test_no_output_carries_control_characters_or_markup(tmp_path: Path, tty: bool) -> None:
    bundle, tok = _hostile_bundle(tmp_path)
    for argv in _commands(bundle, tok):
        fmt = argv[argv.index("--format") + 1] if "--format" in argv else "text"
        if tty and fmt != "text":
            continue
        out = _Tty() if tty else io.StringIO()
        err = io.StringIO()
        status = main(argv, IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={"TERM": "xterm"}))
        stdout, stderr = out.getvalue(), err.getvalue()
        assert status in (0, 1, 2), argv
        assert "Traceback" not in stderr and "internal error" not in stderr, (argv, stderr)
        assert not RAW_CONTROL.search(stderr), (argv, stderr)
        if tty:
            # rich adds its own SGR colour sequences: none may come from the input (OSC 8, CSI 2J)
            assert "\x1b]8" not in stdout and "\x1b[2J" not in stdout and "\x9b" not in stdout, argv
            assert not RAW_CONTROL.search(re.sub(r"\x1b\[[0-9;]*m", "", stdout)), (argv, stdout)
            continue
        assert not RAW_CONTROL.search(stdout.replace("\n", "")), (
            argv,
            [ln for ln in stdout.splitlines() if RAW_CONTROL.search(ln)][:2],
        )
        if fmt == "json":
            json.loads(stdout)
        if fmt == "html":
            assert "<script" not in stdout.lower() and "<img" not in stdout.lower(), argv
            assert "Content-Security-Policy content=\"default-src 'none'" in stdout
        if fmt == "markdown":
            _check_markdown(stdout)


def test_fix_commands_quote_names_from_the_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "proxy-cookie-refresh-too-long", bundle)
    text = (bundle / "kubeapps.yaml").read_text()
    label = "    app.kubernetes.io/component: frontend\n"
    assert label in text
    (bundle / "kubeapps.yaml").write_text(
        text.replace(label, label + "    app.kubernetes.io/instance: 'kubeapps;touch /tmp/pwned'\n", 1)
    )
    status, out, _ = run(["proxy", "--bundle", str(bundle), "--now", "2026-11-28T10:25:12Z", "--format", "json"])
    assert status == 1
    fixes = " ".join(f["fix"] for f in json.loads(out)["findings"])
    assert "helm upgrade 'kubeapps;touch /tmp/pwned' " in fixes
    assert "helm upgrade kubeapps;touch" not in fixes
