"""``oidc-doctor examples list|path NAME`` and the example bundles inside the wheel.

The wheel test builds the package from a copy of the source (``pip wheel --no-deps
--no-build-isolation``: no network), lists the wheel's files, installs it into a folder and runs
``examples path`` from there: the folder it prints is the installed package's, not the checkout's.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from oidc_doctor.cli import main
from oidc_doctor.io import IO

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


def test_list_names_every_example_and_the_cause_it_shows() -> None:
    status, out, err = _run("examples", "list", "-o", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "oidc-doctor/examples/v1"
    expected = json.loads((EXAMPLES / "expected.json").read_text())
    assert [e["name"] for e in doc["examples"]] == EXAMPLE_NAMES
    for e in doc["examples"]:
        assert e["shows"] == expected[e["name"]]["first"]
        assert Path(e["path"]).is_dir()
    status, text, _ = _run("examples", "list")
    assert status == 0 and text.splitlines()[0].split() == ["NAME", "SHOWS"]
    assert "kubeapps-audience-mismatch" in text


def test_path_prints_a_folder_the_diagnosis_reads() -> None:
    status, out, _ = _run("examples", "path", "rbac-prefix-mismatch")
    folder = out.strip()
    assert status == 0 and Path(folder).samefile(EXAMPLES / "rbac-prefix-mismatch")
    status, out, _ = _run("diagnose", "--bundle", folder, "-o", "json")
    first = json.loads((EXAMPLES / "expected.json").read_text())["rbac-prefix-mismatch"]["first"]
    assert status == 1 and json.loads(out)["findings"][0]["cause"] == first


def test_an_unknown_example_gets_the_closest_name_and_the_list() -> None:
    status, out, err = _run("examples", "path", "helthy")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "did you mean healthy?" in err and "kubeapps-audience-mismatch" in err


def test_examples_without_an_action_is_a_usage_error() -> None:
    status, _, err = _run("examples")
    assert status == 2 and "list or path NAME" in err


# --- the wheel -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("oidc_doctor", "examples"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = out.glob("kube_oidc_doctor-*.whl")
    return built


def test_the_wheel_ships_every_example_bundle_and_the_console_scripts(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "oidc_doctor/_examples/expected.json" in names
    for example in EXAMPLE_NAMES:
        for f in (EXAMPLES / example).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts:
                assert f"oidc_doctor/_examples/{f.relative_to(EXAMPLES).as_posix()}" in names, f
    assert not any(n.endswith("generate.py") for n in names if n.startswith("oidc_doctor/_examples/"))
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    for script in ("oidc-doctor = ", "kubectl-oidc_doctor = ", "kubectl_complete-oidc_doctor = "):
        assert script in scripts


def test_the_installed_wheel_finds_its_own_examples(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-m", "oidc_doctor", "examples", "path", "healthy"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert folder == target / "oidc_doctor" / "_examples" / "healthy"
    assert (folder / "id_token.txt").is_file()
