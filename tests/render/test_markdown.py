"""Markdown for tickets: every example's fix in a code block, its inputs listed, log lines verbatim
(klog's ``\\"`` escapes kept), evidence folded, the tool version and the command line."""

from __future__ import annotations

import io
import re

import pytest
from render_kit import EXAMPLES, NAMES, example_report

from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.render import render
from oidc_doctor.render.common import Meta
from oidc_doctor.render.view import commands


def _blocks(md: str) -> list[tuple[str, list[str]]]:
    """The fenced code blocks: (info string, lines), read as CommonMark does (a fence closes only
    on a run of at least its own length)."""
    out: list[tuple[str, list[str]]] = []
    fence, lang = "", ""
    body: list[str] = []
    for line in md.splitlines():
        m = re.match(r"^(`{3,})(.*)$", line)
        if not fence and m:
            fence, lang, body = m.group(1), m.group(2).strip(), []
        elif fence and re.fullmatch(rf"`{{{len(fence)},}}\s*", line):
            out.append((lang, body))
            fence = ""
        elif fence:
            body.append(line)
    assert not fence, "a code block left open"
    return out


def _section(md: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", md, re.M | re.S)
    assert m, title
    return m.group(1)


@pytest.mark.parametrize("name", NAMES)
def test_every_example_has_its_fix_in_a_code_block_and_its_inputs_listed(name: str) -> None:
    report = example_report(name)
    md = render(report, "markdown", meta=Meta(("diagnose", "--bundle", f"examples/{name}")))
    blocks = _blocks(md)
    first = report.findings[0]
    cmds = commands(first.fix)
    if cmds:
        for c in cmds:
            assert ("sh", [c]) in blocks, (name, c)
    else:
        # a fix without a command: its words, verbatim, in a text block
        assert any(lang == "text" and " ".join(body) in first.fix.replace("\n", " ") for lang, body in blocks), name
    inputs = _section(md, "Inputs")
    for i in report.inputs:
        assert i.ref in inputs, (name, i.ref)
    assert "## Tool" in md and "oidc-doctor diagnose --bundle examples/" + name in md


def test_log_lines_keep_their_escapes_in_code_blocks() -> None:
    md = render(example_report("kubeapps-audience-mismatch"), "markdown")
    log = (EXAMPLES / "kubeapps-audience-mismatch" / "kube-apiserver.log").read_text().splitlines()[1]
    assert '\\"kubernetes\\"' in log
    assert ("text", [log.strip()]) in _blocks(md)
    # evidence is folded, with its count
    assert "<details><summary>Evidence (5)</summary>" in md and md.count("</details>") == md.count("<details>")


def test_backticks_a_check_wrote_stay_code_and_nothing_shows_a_backslash() -> None:
    md = render(example_report("kubeapps-audience-mismatch"), "markdown")
    assert "`authProxy.cookieRefresh`" in md
    assert "\\`" not in md


def test_hostile_backticks_and_markup_stay_inert() -> None:
    from datetime import UTC, datetime

    from oidc_doctor.checks.base import Check, Context
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.model import CheckResult, EvidenceRef, Finding
    from oidc_doctor.pipeline import run

    hostile = "```\n<img src=x onerror=alert(1)> `<b>x</b>` ``` |"
    f = Finding("audience-mismatch", f"aud {hostile}", [EvidenceRef("token", f"ref {hostile}", hostile)], fix=hostile)
    ctx = Context(now=datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC), now_source="flag")
    rep = run(Evidence(), ctx, [Check("t.a", ("audience-mismatch",), lambda ev, c: CheckResult.failed([f]), "a")])
    md = render(rep, "markdown")
    outside = []
    fence = ""
    for line in md.splitlines():
        m = re.match(r"^(`{3,})", line)
        if m and (not fence or len(m.group(1)) >= len(fence)):
            fence = "" if fence else m.group(1)
            continue
        if not fence:
            outside.append(line)
    text = "\n".join(outside)
    assert "<img" not in text and "<b>" not in text
    _blocks(md)  # every block closes


def test_timeline_section_is_a_table() -> None:
    report = example_report("kubeapps-audience-mismatch")
    md = render(report, "markdown")
    m = re.search(r"^## Session timeline[^\n]*\n(.*?)(?=^## |\Z)", md, re.M | re.S)
    assert m, md
    rows = [line for line in m.group(1).splitlines() if line.startswith("| ") and not line.startswith("| time")]
    assert len(rows) == len(report.timeline) > 2
    assert any("log-failure" in r and "kube-apiserver.log" in r for r in rows)


def test_near_misses_mark_the_differing_characters() -> None:
    md = render(example_report("rbac-prefix-mismatch"), "markdown")
    block = next(body for lang, body in _blocks(md) if body and body[0].startswith("API server"))
    assert block == [
        "API server  oidc:alice@example.com",
        "binding          alice@example.com",
        "            ^^^^^",
    ]


def test_settings_name_their_source() -> None:
    md = render(example_report("kubeapps-audience-mismatch"), "markdown")
    settings = _section(md, "Settings and where each came from")
    assert "| --cookie-refresh | 0s | default: deploy kubeapps/kubeapps container auth-proxy |" in settings
    assert "| --provider | oidc | flag: deploy kubeapps/kubeapps container auth-proxy args[0] |" in settings


def test_skipped_and_broken_inputs_are_listed_with_why(tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    shutil.copytree(EXAMPLES / "healthy", tmp_path / "b")
    (tmp_path / "b" / "notes.txt").write_text("remember the milk\n")
    (tmp_path / "b" / "rbac2.yaml").write_text("kind: RoleBinding\nmetadata: [\n")
    out = io.StringIO()
    main(["diagnose", "--bundle", str(tmp_path / "b"), "-o", "markdown"], IO(stdout=out, stderr=io.StringIO(), env={}))
    inputs = _section(out.getvalue(), "Inputs")
    assert "**Skipped** (1)" in inputs and "b/notes.txt" in inputs and "no known content" in inputs
    assert "**Broken**" in inputs and "b/rbac2.yaml" in inputs


def test_backslashes_in_running_text_are_shown_not_eaten() -> None:
    from datetime import UTC, datetime

    from oidc_doctor.checks.base import Check, Context
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.model import CheckResult, Finding
    from oidc_doctor.pipeline import run

    title = 'the log says err="expected audience \\"kubernetes\\"" and `a\\b` in code'
    f = Finding("audience-mismatch", title)
    ctx = Context(now=datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC), now_source="flag")
    rep = run(Evidence(), ctx, [Check("t.a", ("audience-mismatch",), lambda ev, c: CheckResult.failed([f]), "a")])
    md = render(rep, "markdown")
    # GitHub shows "\\" as one backslash in running text, and a code span as it is
    assert 'err="expected audience \\\\"kubernetes\\\\"" and `a\\b` in code' in md


def test_other_commands_pages_carry_version_and_command_line_without_a_typed_token() -> None:
    from oidc_doctor import __version__

    opaque = "opaque-access-token-abcdefghijklmnop"
    for fmt in ("markdown", "html"):
        out = io.StringIO()
        main(["token", "--offline", opaque, "-o", fmt], IO(stdout=out, stderr=io.StringIO(), env={}))
        page = out.getvalue()
        assert f"oidc-doctor {__version__}" in page
        assert "oidc-doctor token --offline" in page and opaque not in page
