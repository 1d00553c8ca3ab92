"""Help, the kubectl plugin name, the krew manifest and its launcher.

- Every command's and sub-command's ``--help`` (each parser of the tree) ends with examples and
  the exit status.
- Run as ``kubectl-oidc_doctor`` (the console script pyproject installs), usage *and* examples
  say ``kubectl oidc-doctor``.
- ``deploy/krew/oidc-doctor.yaml`` is a krew manifest naming that binary, at the package version,
  and its launcher runs the installed package under the plugin's name.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from oidc_doctor import __version__
from oidc_doctor.cli import build_parser, main, walk
from oidc_doctor.io import IO

ROOT = Path(__file__).resolve().parents[2]
KREW = ROOT / "deploy" / "krew"
PLUGIN_BIN = "kubectl-oidc_doctor"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


PATHS = [path for path, _ in walk(build_parser())]


def test_the_tree_has_the_sub_commands() -> None:
    assert {("rbac", "who-can"), ("proxy", "authz-header"), ("examples", "path"), ("completion",)} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "(top)")
def test_every_parsers_help_has_examples_and_exit_status(path: tuple[str, ...]) -> None:
    status, out, _ = _run([*path, "--help"])
    assert status == 0
    assert out.startswith(f"usage: oidc-doctor {' '.join(path)}".rstrip())
    examples = out.split("\nexamples:\n", 1)
    assert len(examples) == 2, "no examples"
    # the examples run this very (sub-)command
    assert f"oidc-doctor {' '.join(path)}".rstrip() in examples[1]
    assert re.search(r"^exit status: 0 .*\b2 ", examples[1], flags=re.M | re.S), "no exit status"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "(top)")
def test_as_the_kubectl_plugin_usage_and_examples_say_kubectl_oidc_doctor(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", [f"/home/u/.krew/bin/{PLUGIN_BIN}"])
    status, out, _ = _run([*path, "--help"])
    assert status == 0 and out.startswith("usage: kubectl oidc-doctor")
    # every example line names the plugin form; none names the bare command
    for line in out.split("\nexamples:\n", 1)[1].splitlines():
        if "oidc-doctor " in line:
            assert re.sub(r"kubectl oidc-doctor ", "", line).count("oidc-doctor ") == 0, line


def test_the_plugin_binary_is_a_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[PLUGIN_BIN] == scripts["oidc-doctor"] == "oidc_doctor.cli:entry"


# --- krew ----------------------------------------------------------------------------------------------


def test_the_krew_manifest_parses_and_names_the_plugin_binary() -> None:
    path = KREW / "oidc-doctor.yaml"
    manifest = yaml.safe_load(path.read_text())
    assert manifest["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert manifest["kind"] == "Plugin"
    name = manifest["metadata"]["name"]
    assert path.name == f"{name}.yaml"  # krew: the manifest is named after the plugin
    # kubectl runs kubectl-<name with _ for -> for `kubectl <name>`
    assert f"kubectl-{name.replace('-', '_')}" == PLUGIN_BIN
    spec = manifest["spec"]
    assert spec["version"] == f"v{__version__}"  # krew wants a semver with its v
    assert spec["shortDescription"] and spec["description"] and spec["caveats"]
    assert spec["platforms"]
    for platform in spec["platforms"]:
        assert platform["bin"] == PLUGIN_BIN
        assert platform["selector"]
        assert re.fullmatch(r"[0-9a-f]{64}", platform["sha256"])
        assert platform["uri"].startswith("https://") and f"v{__version__}" in platform["uri"]
        for f in platform["files"]:
            assert (KREW / f["from"]).is_file()  # what the archive holds is in the repository
        assert PLUGIN_BIN in [f["from"] for f in platform["files"]]


def _launcher(env_extra: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), **env_extra}
    return subprocess.run(
        ["sh", str(KREW / PLUGIN_BIN), *argv], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_krew_launcher_runs_the_package_as_the_plugin() -> None:
    done = _launcher({"OIDC_DOCTOR_PYTHON": sys.executable}, "rbac", "who-can", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: kubectl oidc-doctor rbac who-can")
    assert "kubectl oidc-doctor rbac who-can delete pods" in done.stdout


def test_the_krew_launcher_without_the_package_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "python3").write_text("#!/bin/sh\nexit 1\n")  # a python without the package
    (tmp_path / "python3").chmod(0o755)
    done = _launcher({"PATH": f"{tmp_path}:/bin"})
    assert done.returncode == 2 and done.stdout == ""
    assert "pip install kube-oidc-doctor" in done.stderr
