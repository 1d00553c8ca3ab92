"""Renderers show findings safely; the command line owns its exit status and never leaks a traceback."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oidc_doctor.checks.base import Check, Context
from oidc_doctor.cli import main
from oidc_doctor.evidence import Evidence
from oidc_doctor.io import IO
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, Identity
from oidc_doctor.pipeline import run
from oidc_doctor.render import render

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HOSTILE = "evil\x1b[31mred\x07\r<script>alert(1)</script>"


#: A token for commands that need something to judge (the healthy example's id_token).
TOKEN_ARG = "@" + str(Path(__file__).resolve().parents[2] / "examples" / "healthy" / "id_token.txt")


def _report() -> object:
    ctx = Context(now=datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC), now_source="flag")
    f = Finding(
        "audience-mismatch",
        f"the API server expects audience `kubernetes`; the token carries [{HOSTILE!r}]",
        [EvidenceRef("token", "id_token.txt claims.aud", HOSTILE)],
        fix="share one client",
    )
    check = Check("t.aud", ("audience-mismatch",), lambda ev, c: CheckResult.failed([f]), "aud")
    unknown = Check("t.rbac", ("rbac-no-binding",), lambda ev, c: CheckResult.unknown("no RBAC in the bundle"), "r")
    report = run(Evidence(), ctx, [check, unknown])
    # The identity a renderer shows, as the facts would hold it (no token here to predict it from).
    report.ctx = report.ctx.but(facts=report.ctx.facts.but(identity=Identity("oidc:alice", ["oidc:dev"])))
    return report


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_every_format_strips_control_characters(fmt: str) -> None:
    out = render(_report(), fmt)  # type: ignore[arg-type]
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "audience-mismatch" in out


def test_rich_text_for_terminals_escapes_hostile_text() -> None:
    out = render(_report(), "text", tty=True)  # type: ignore[arg-type]
    assert "\x1b[31mred" not in out  # colour comes from us, never from the token
    assert "audience-mismatch" in out


def test_html_escapes_markup() -> None:
    out = render(_report(), "html")  # type: ignore[arg-type]
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_text_names_the_root_cause_first_and_the_checks_that_could_not_look() -> None:
    out = render(_report(), "text")  # type: ignore[arg-type]
    assert out.splitlines()[1].startswith("Most likely root cause: audience-mismatch")
    assert "unknown: t.rbac — no RBAC in the bundle" in out
    assert "oidc:alice  groups: oidc:dev, system:authenticated  (source: prediction)" in out


def _io(stdin: str = "") -> tuple[IO, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return IO(stdin=io.StringIO(stdin), stdout=out, stderr=err, env={}), out, err


def test_no_command_prints_help_and_exits_2() -> None:
    o, out, _ = _io()
    assert main([], o) == 2
    assert "diagnose" in out.getvalue()


def test_help_exits_0_and_version_prints() -> None:
    o, out, _ = _io()
    assert main(["--help"], o) == 0
    assert "COMMAND" in out.getvalue()
    o, out, _ = _io()
    assert main(["--version"], o) == 0


def test_bad_option_is_one_line_and_exit_2() -> None:
    o, _, err = _io()
    assert main(["diagnose", "--format", "yaml"], o) == 2
    assert len(err.getvalue().strip().splitlines()) == 1
    assert "Traceback" not in err.getvalue()


def test_diagnose_needs_some_input() -> None:
    o, _, err = _io()
    assert main(["diagnose"], o) == 2
    assert "--bundle" in err.getvalue()


def test_diagnose_names_a_missing_folder(tmp_path: Path) -> None:
    o, _, err = _io()
    assert main(["diagnose", "--bundle", str(tmp_path / "missing")], o) == 2
    assert err.getvalue().strip() == f"oidc-doctor: {tmp_path / 'missing'}: no such folder"


def test_diagnose_rejects_a_bad_now() -> None:
    o, _, err = _io()
    assert main(["diagnose", "--error", "Unauthorized", "--now", "yesterday"], o) == 2
    assert "RFC 3339" in err.getvalue()


def test_diagnose_json_report_on_an_example_bundle(tmp_path: Path) -> None:
    o, out, _ = _io()
    status = main(
        [
            "diagnose",
            "--bundle",
            str(EXAMPLES / "kubeapps-audience-mismatch"),
            "--now",
            "2026-11-28T10:25:12Z",
            "--format",
            "json",
        ],
        o,
    )
    data = json.loads(out.getvalue())
    assert status in (0, 1)
    assert status == (1 if any(f["severity"] == "error" for f in data["findings"]) else 0)
    assert data["now"] == "2026-11-28T10:25:12Z" and data["now_source"] == "flag"
    assert {i["kind"] for i in data["inputs"]} >= {"token", "apiserver-pod", "rbac", "workload", "apiserver-log"}
    # The report never carries the token.
    token = (EXAMPLES / "kubeapps-audience-mismatch" / "id_token.txt").read_text().strip()
    assert token.split(".")[2] not in out.getvalue()


def test_diagnose_writes_the_report_to_a_file(tmp_path: Path) -> None:
    o, out, err = _io()
    target = tmp_path / "report.html"
    main(["diagnose", "--token", TOKEN_ARG, "--error", "Unauthorized", "--format", "html", "-o", str(target)], o)
    assert target.read_text().startswith("<!doctype html>")
    assert out.getvalue() == "" and "report written" in err.getvalue()


def test_diagnose_reports_an_unwritable_output_as_exit_2(tmp_path: Path) -> None:
    o, _, err = _io()
    argv = ["diagnose", "--token", TOKEN_ARG, "--error", "Unauthorized", "-o", str(tmp_path / "no" / "such" / "r.txt")]
    assert main(argv, o) == 2
    assert "cannot write the report" in err.getvalue()


def test_without_now_the_newest_log_line_sets_the_time() -> None:
    o, out, _ = _io()
    main(["diagnose", "--bundle", str(EXAMPLES / "kubeapps-audience-mismatch"), "--format", "json"], o)
    data = json.loads(out.getvalue())
    assert data["now_source"] == "log"
    assert data["now"] == "2026-11-28T10:25:03Z"


def test_without_now_or_logs_the_clock_is_used_and_said() -> None:
    o, out, _ = _io()
    main(["diagnose", "--token", TOKEN_ARG, "--error", "Unauthorized", "--format", "json"], o)
    assert json.loads(out.getvalue())["now_source"] == "clock"


def test_an_error_text_alone_is_nothing_to_judge() -> None:
    o, out, err = _io()
    assert main(["diagnose", "--error", "Unauthorized"], o) == 2
    assert out.getvalue() == "" and "nothing to judge: 1 input(s) read (--error[1])" in err.getvalue()


def test_multi_line_fixes_keep_their_lines() -> None:
    ctx = Context(now=datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC), now_source="flag")
    f = Finding("rbac-no-binding", "no binding", fix="create one:\nkubectl create rolebinding a --user=x\nor b")
    rep = run(Evidence(), ctx, [Check("t.x", ("rbac-no-binding",), lambda ev, c: CheckResult.failed([f]), "x")])
    text = render(rep, "text")
    assert "   fix: create one:\n        kubectl create rolebinding a --user=x\n        or b\n" in text
    html = render(rep, "html")
    cmd = '<pre class="cmd"><code>kubectl create rolebinding a --user=x</code></pre>'
    assert f"<p>create one:</p>{cmd}<p>or b</p>" in html
    markdown = render(rep, "markdown")
    assert "create one:\n\n```sh\nkubectl create rolebinding a --user=x\n```\n\nor b\n" in markdown


def test_sub_command_errors_name_the_command_once() -> None:
    o, _, err = _io()
    assert main(["rbac", "who", "--bogus"], o) == 2
    line = err.getvalue().strip()
    assert line.startswith("oidc-doctor: rbac who: ") and line.count("oidc-doctor") == 1


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (
            "list pods -n dev",
            {"verb": "list", "resource": "pods", "api_group": "", "subresource": "", "namespace": "dev"},
        ),
        (
            "create deployments.apps/scale web --namespace=prod",
            {
                "verb": "create",
                "resource": "deployments",
                "api_group": "apps",
                "subresource": "scale",
                "name": "web",
                "namespace": "prod",
            },
        ),
        ("GET /healthz", {"verb": "get", "path": "/healthz"}),
    ],
)
def test_request_is_read_as_kubectl_auth_can_i_takes_it(text: str, parsed: dict[str, str]) -> None:
    from oidc_doctor.commands.diagnose import parse_request

    assert parse_request(text) == parsed


def test_a_token_on_the_command_line_outranks_the_bundles_own(tmp_path: Path) -> None:
    expired = (EXAMPLES / "token-expired" / "id_token.txt").read_text().strip()
    (tmp_path / "t.txt").write_text(expired)
    o, out, _ = _io()
    bundle = str(EXAMPLES / "healthy")
    main(
        [
            "diagnose",
            "--bundle",
            bundle,
            "--token",
            f"@{tmp_path / 't.txt'}",
            "--now",
            "2026-11-28T10:25:12Z",
            "--format",
            "json",
        ],
        o,
    )
    report = json.loads(out.getvalue())
    assert report["findings"][0]["cause"] == "token-expired"
    # The API server's verdict is predicted for the named token, not for the bundle's healthy one.
    assert report["identity"] is None
    assert not any(f["cause"] == "token-accepted" for f in report["findings"])


def test_a_401_the_evidence_cannot_explain_is_not_called_no_problem(tmp_path: Path) -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln"
    (tmp_path / "token.txt").write_text(jwt + "\n")
    (tmp_path / "error.txt").write_text("error: You must be logged in to the server (Unauthorized)\n")
    o, out, _ = _io()
    assert main(["diagnose", "--bundle", str(tmp_path), "--now", "2026-11-28T10:25:12Z"], o) == 0
    headline = out.getvalue().splitlines()[1]
    assert headline.startswith("The 401 you saw is not explained by this evidence") and "could not look" in headline
    (tmp_path / "error.txt").unlink()
    o, out, _ = _io()
    main(["diagnose", "--bundle", str(tmp_path), "--now", "2026-11-28T10:25:12Z"], o)
    assert out.getvalue().splitlines()[1].startswith("No problem found in what could be checked")


def test_text_sums_the_inputs_by_kind_and_names_each_skipped_file(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(EXAMPLES / "kubeapps-audience-mismatch", tmp_path / "b")
    (tmp_path / "b" / "notes.txt").write_text("remember the milk\n")
    o, out, _ = _io()
    main(["diagnose", "--bundle", str(tmp_path / "b"), "--now", "2026-11-28T10:25:12Z"], o)
    text = out.getvalue()
    assert "Inputs: 8 input(s) used: rbac 2, apiserver-log 1, apiserver-pod 1, discovery 1, error-text 1," in text
    assert "  unrecognised: b/notes.txt — no known content" in text


def test_with_an_access_token_beside_the_id_token_the_id_token_is_judged(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(EXAMPLES / "healthy", tmp_path / "b")
    access = (EXAMPLES / "wrong-token-type-access-token" / "id_token.txt").read_text()
    (tmp_path / "b" / "access_token.txt").write_text(access)  # sorts before id_token.txt
    o, out, _ = _io()
    main(["diagnose", "--bundle", str(tmp_path / "b"), "--now", "2026-11-28T10:25:12Z", "--format", "json"], o)
    report = json.loads(out.getvalue())
    assert report["identity"]["username"] == "oidc:alice@example.com"
    assert any(f["cause"] == "token-accepted" for f in report["findings"])
    assert any(f["cause"] == "wrong-token-type" and "access_token.txt" in json.dumps(f) for f in report["findings"])
