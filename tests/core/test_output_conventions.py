"""kubectl's output conventions on the commands issue 12 added, and the forgiving ``-o``.

- ``-o json|yaml`` on ``rbac who-can``, ``rbac who --match`` and ``examples``: one document with
  ``schema`` and ``version``; ``--output-file -`` and ``-o -`` write to stdout, never a file named ``-``.
- ``-o`` with an unknown bare word lists the formats (exit 2); a file name is still the old
  ``-o FILE`` form; ``-o wide`` is the text with more detail where a command has more.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from oidc_doctor import __version__
from oidc_doctor.cli import main
from oidc_doctor.commands.options import FORMATS
from oidc_doctor.io import IO

ROOT = Path(__file__).resolve().parents[2]
HEALTHY = str(ROOT / "examples" / "healthy")
NOW = "2026-11-28T10:25:12Z"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
    return status, out.getvalue(), err.getvalue()


NEW_COMMANDS = [
    ["rbac", "who-can", "list", "pods", "-n", "dev", "--bundle", HEALTHY],
    ["rbac", "who", "--match", "dev", "--bundle", HEALTHY],
    ["examples", "list"],
    ["examples", "path", "healthy"],
]


@pytest.mark.parametrize("argv", NEW_COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_json_and_yaml_are_one_document_with_schema_and_version(argv: list[str]) -> None:
    status, out_j, err = _run([*argv, "-o", "json"])
    assert status == 0, err
    doc = json.loads(out_j)
    assert list(doc)[:2] == ["schema", "version"] and doc["version"] == __version__
    assert _run([*argv, "-o", "yaml"])[1] and yaml.safe_load(_run([*argv, "-o", "yaml"])[1]) == doc
    assert json.loads(_run([*argv, "--format", "json", "--output-file", "-"])[1]) == doc


@pytest.mark.parametrize("argv", NEW_COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_dash_is_stdout_never_a_file(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = _run([*argv, "-o", "-"])
    assert status == 0 and out and err == ""  # no deprecation note: `-` is stdout
    status, out, err = _run([*argv, "--output-file", "-", "-o", "json"])
    assert status == 0 and json.loads(out)
    assert not (tmp_path / "-").exists()


def test_an_unknown_format_lists_the_formats() -> None:
    status, out, err = _run(["diagnose", "--bundle", HEALTHY, "--now", NOW, "-o", "jsn"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "-o jsn: unknown output format" in err and "|".join(FORMATS) in err and "--output-file jsn" in err


def test_a_file_name_after_o_is_still_the_old_form(tmp_path: Path) -> None:
    target = tmp_path / "report"  # no extension, but a path
    status, out, err = _run(["token", f"@{HEALTHY}/id_token.txt", "--offline", "--now", NOW, "-o", str(target)])
    assert status in (0, 1) and out == "" and "deprecated" in err and target.is_file()


def test_dash_o_with_another_output_file_disagrees() -> None:
    status, _, err = _run(["examples", "list", "-o", "-", "--output-file", "x.json"])
    assert status == 2 and "disagree" in err


def test_wide_is_text_and_adds_the_rules_to_rbac_who() -> None:
    argv = ["rbac", "who", "--user", "x", "--group", "oidc:dev", "--bundle", HEALTHY]
    _, text, _ = _run(argv)
    status, wide, _ = _run([*argv, "-o", "wide"])
    assert status == 0 and wide.startswith(text.splitlines()[0]) and len(wide) > len(text)
    assert "Verbs:[" in wide and "Verbs:[" not in text
    # a command with nothing more to show writes its text
    assert _run(["examples", "list", "-o", "wide"])[1] == _run(["examples", "list"])[1]


def test_quiet_prints_nothing_and_the_exit_status_answers() -> None:
    can = ["rbac", "can", "list", "pods", "-n", "dev", "--user", "x", "--bundle", HEALTHY]
    assert _run([*can, "--group", "oidc:dev", "-q"]) == (0, "", "")
    assert _run([*can, "--quiet"]) == (1, "", "")
    status, out, _ = _run(["diagnose", "--bundle", str(ROOT / "examples" / "kubeapps-audience-mismatch"), "-q"])
    assert status == 1 and out == ""


def test_quiet_with_an_output_file_disagrees(tmp_path: Path) -> None:
    status, out, err = _run(["examples", "list", "-q", "--output-file", str(tmp_path / "x")])
    assert status == 2 and out == "" and "disagree" in err and not (tmp_path / "x").exists()
