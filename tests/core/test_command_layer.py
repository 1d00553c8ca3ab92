"""The command layer: the README's examples, the one ``now`` rule, the one writer, the output options.

- Every ``oidc-doctor`` example in README.md runs as written on the bundled examples with the
  clock moved a year ahead (so none of them depends on today's date): exit 0 or 1.
- The ``now`` rule: ``--now`` > newest log line > the bundle's collection time > the newest
  ``iat`` of the bundle's tokens > the clock, named in ``now_source``, with a note when the
  moment looks wrong.
- Every command in every format, on a token whose claims hold a lone surrogate and control
  characters: exit 0/1, never "internal error", and no raw control character in the output.
- kubectl's output conventions: ``-o FORMAT``, ``--output-file``, the old ``-o FILE``, ``schema``
  and ``version`` in every document; the forgiving token and log inputs.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shlex
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from oidc_doctor import __version__
from oidc_doctor.cli import main
from oidc_doctor.commands.when import SOURCES, judge_time
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.io import IO
from oidc_doctor.jose import b64url_encode

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOW = "2026-11-28T10:25:12Z"
#: A year after the examples were made: their tokens have all long expired by then.
A_YEAR_AHEAD = datetime(2027, 11, 28, 10, 25, 12, tzinfo=UTC)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(argv: list[str], *, clock: datetime | None = None, stdin: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        argv,
        IO(
            stdin=stdin if stdin is not None else io.StringIO(),
            stdout=out,
            stderr=err,
            env={},
            clock=(lambda: clock) if clock is not None else None,
        ),
    )
    return status, out.getvalue(), err.getvalue()


# --- the README's examples ------------------------------------------------------------------------


def _readme_commands() -> list[str]:
    """Every command line of the README: ``sh`` blocks' lines, and ``$ ``-prompted lines elsewhere."""
    text = (ROOT / "README.md").read_text()
    lines = []
    for lang, block in re.findall(r"```([a-z]*)\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                line = line[2:]
            elif lang != "sh":
                continue  # printed output
            line = line.strip()
            if line.startswith("oidc-doctor ") or " | oidc-doctor " in line:
                lines.append(line)
    return lines


def _needs_outside(line: str) -> str | None:
    """Why an example cannot run here (a live cluster, a pipe from the clipboard), or None."""
    if "--context" in line or "whoami" in line or " collect " in line:
        return "needs a live cluster"
    if "|" in line.split("oidc-doctor")[0]:
        return "reads a pasted token from a pipe"
    if "--apply" in line:
        return "patches a live cluster"
    return None


README_COMMANDS = _readme_commands()


def test_the_readme_has_runnable_examples_of_every_command() -> None:
    runnable = [c for c in README_COMMANDS if _needs_outside(c) is None]
    commands = {shlex.split(c.split("#")[0])[1] for c in runnable}
    assert {"diagnose", "token", "predict", "rbac", "logs", "proxy"} <= commands, commands


@pytest.mark.parametrize("line", README_COMMANDS)
def test_a_readme_example_runs_as_written_a_year_later(
    line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    why = _needs_outside(line)
    if why is not None:
        pytest.skip(why)
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)  # output files land here; examples/ resolves as in the repository
    argv = shlex.split(line, comments=True)[1:]
    status, out, err = _run(argv, clock=A_YEAR_AHEAD)
    assert status in (0, 1), f"{line}\n{err}"
    assert "internal error" not in err
    assert out or "written to" in err


def test_rbac_who_by_token_on_its_bundle_works_whatever_the_date() -> None:
    # issue 9: this README example exited 2 ("no API server OIDC settings") once the token expired
    argv = ["rbac", "who", "--token", f"@{EXAMPLES}/healthy/id_token.txt", "--bundle", str(EXAMPLES / "healthy")]
    status, out, err = _run([*argv, "-o", "json"], clock=A_YEAR_AHEAD)
    assert status == 0, err
    doc = json.loads(out)
    assert doc["user"] == "oidc:alice@example.com" and doc["source"] == "prediction"
    assert doc["now_source"] == "token"
    status, out, err = _run([*argv, "--now", NOW, "-o", "json"], clock=A_YEAR_AHEAD)
    assert status == 0 and json.loads(out)["now_source"] == "flag"


# --- the now rule ---------------------------------------------------------------------------------


def _token(**claims: Any) -> str:
    header = b64url_encode(json.dumps({"alg": "RS256", "kid": "k"}).encode())
    return f"{header}.{b64url_encode(json.dumps(claims).encode())}.c2ln"


def _io(clock: datetime) -> IO:
    return IO(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), clock=lambda: clock)


T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _bundle(tmp_path: Path, *, log: bool = False, manifest: bool = False) -> tuple[Evidence, Path]:
    ev = Evidence()
    ev.add(Item(Kind.TOKEN, "b/id_token.txt", _token(iat=int(T0.timestamp()), exp=int(T0.timestamp()) + 300)))
    if log:
        path = tmp_path / "kube-apiserver.log"
        path.write_text('E1128 10:20:00.000000       1 authentication.go:73] "Unable to authenticate the request"\n')
        ev.add(Item(Kind.APISERVER_LOG, "b/kube-apiserver.log", None, path))
    if manifest:
        (tmp_path / ".collect-manifest.json").write_text(
            json.dumps({"schema": "oidc-doctor/collect/v1", "collected_at": "2026-11-28T10:40:00Z"})
        )
    return ev, tmp_path


def test_now_rule_takes_the_flag_first(tmp_path: Path) -> None:
    ev, folder = _bundle(tmp_path, log=True, manifest=True)
    m = judge_time("2026-11-28T10:02:00Z", _io(A_YEAR_AHEAD), ev, folder)
    assert (m.now, m.source) == (T0 + timedelta(minutes=2), "flag") and m.source in SOURCES


def test_now_rule_takes_the_newest_log_line_before_the_collection_time(tmp_path: Path) -> None:
    ev, folder = _bundle(tmp_path, log=True, manifest=True)
    m = judge_time(None, _io(A_YEAR_AHEAD), ev, folder)
    assert m.source == "log" and (m.now.month, m.now.day, m.now.hour, m.now.minute) == (11, 28, 10, 20)


def test_now_rule_takes_the_collection_time_before_the_tokens(tmp_path: Path) -> None:
    ev, folder = _bundle(tmp_path, manifest=True)
    m = judge_time(None, _io(A_YEAR_AHEAD), ev, folder)
    assert (m.now, m.source, m.notes) == (T0 + timedelta(minutes=40), "bundle", ())


def test_now_rule_takes_the_newest_bundle_token_iat_and_says_so(tmp_path: Path) -> None:
    ev, folder = _bundle(tmp_path)
    m = judge_time(None, _io(A_YEAR_AHEAD), ev, folder)
    assert (m.now, m.source) == (T0, "token")
    assert len(m.notes) == 1 and "--now" in m.notes[0]


def test_now_rule_ignores_a_command_line_token_and_falls_back_to_the_clock(tmp_path: Path) -> None:
    ev = Evidence()
    ev.add(Item(Kind.TOKEN, "--token", _token(iat=int(T0.timestamp()), exp=int(T0.timestamp()) + 300)))
    m = judge_time(None, _io(A_YEAR_AHEAD), ev, tmp_path)
    assert (m.now, m.source) == (A_YEAR_AHEAD, "clock")
    # every token expired a year before: the report says so and suggests --now
    assert len(m.notes) == 1 and "expired long before" in m.notes[0] and "--now 2026-11-28T10:00:00Z" in m.notes[0]


def test_now_rule_notes_a_moment_long_before_every_token_was_issued() -> None:
    ev = Evidence()
    ev.add(Item(Kind.TOKEN, "--token", _token(iat=int(T0.timestamp()), exp=int(T0.timestamp()) + 300)))
    m = judge_time("2025-01-01T00:00:00Z", _io(A_YEAR_AHEAD), ev)
    assert m.source == "flag" and len(m.notes) == 1 and "before every token was issued" in m.notes[0]


def test_a_fresh_token_judged_by_the_clock_gets_no_note() -> None:
    ev = Evidence()
    ev.add(Item(Kind.TOKEN, "--token", _token(iat=int(T0.timestamp()), exp=int(T0.timestamp()) + 300)))
    assert judge_time(None, _io(T0 + timedelta(minutes=1)), ev).notes == ()


def test_the_report_carries_the_note_and_the_source_in_every_format() -> None:
    argv = ["diagnose", "--bundle", str(EXAMPLES / "token-expired")]
    _, out, _ = _run([*argv, "-o", "json"], clock=A_YEAR_AHEAD)
    doc = json.loads(out)
    assert doc["now_source"] == "token" and doc["notes"] and all(isinstance(n, str) for n in doc["notes"])
    assert all("--now" not in f["title"] for f in doc["findings"])  # a note, never a finding
    for fmt in ("text", "markdown", "html"):
        _, out, _ = _run([*argv, "-o", fmt], clock=A_YEAR_AHEAD)
        assert "pass --now with the time of the failure" in out, fmt


# --- hostile text through the one writer ----------------------------------------------------------

HOSTILE = {"email": "alice\ud800@example.com", "name": "eve\x1b]0;owned\x07\x1b[2J\x01\x9b"}


@pytest.fixture(scope="module")
def hostile_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The healthy example re-signed with a key of our own, the token's claims made hostile."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "token"))
    from token_helpers import jwks, key, sign

    folder = tmp_path_factory.mktemp("hostile")
    for f in (EXAMPLES / "healthy").iterdir():
        shutil.copy(f, folder / f.name)
    part = (EXAMPLES / "healthy" / "id_token.txt").read_text().strip().split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    claims.update(HOSTILE)
    k = key("RS256", "hostile")
    (folder / "id_token.txt").write_text(sign(claims, k) + "\n")
    (folder / "jwks.json").write_text(json.dumps(jwks(k)))
    return folder


def _hostile_commands(bundle: Path) -> list[list[str]]:
    tok = f"@{bundle}/id_token.txt"
    b = str(bundle)
    return [
        ["diagnose", "--bundle", b, "--now", NOW],
        ["diagnose", "--bundle", b],
        ["diagnose", "--bundle", b, "--now", NOW, "--try-fixes", "--what-if", "apiserver:-oidc-groups-prefix"],
        ["token", tok, "--jwks", f"{b}/jwks.json", "--now", NOW],
        ["token", tok, "--offline"],
        ["predict", "--bundle", b, "--now", NOW],
        ["rbac", "who", "--token", tok, "--bundle", b, "--now", NOW],
        ["rbac", "can", "list", "pods", "-n", "dev", "--token", tok, "--bundle", b, "--now", NOW],
        ["proxy", "--bundle", b, "--token", tok, "--now", NOW],
        ["logs", str(EXAMPLES / "issuer-ca-untrusted" / "kube-apiserver.log")],
    ]


#: Characters no output may carry raw: C0 but tab/newline, DEL, C1, bidi and zero-width controls,
#: lone surrogates.
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


@pytest.mark.parametrize("fmt", ["text", "json", "yaml", "markdown", "html"])
def test_every_command_in_every_format_survives_a_hostile_claim(hostile_bundle: Path, fmt: str) -> None:
    for argv in _hostile_commands(hostile_bundle):
        status, out, err = _run([*argv, "-o", fmt], clock=A_YEAR_AHEAD)
        assert status in (0, 1), (argv, err)
        assert "internal error" not in err
        assert not RAW_CONTROL.search(out), (argv, fmt, RAW_CONTROL.search(out))
        out.encode("utf-8")  # a real stdout must be able to take it (a lone surrogate cannot)
        if fmt == "json":
            json.loads(out)
        if fmt == "yaml":
            yaml.safe_load(out)


def test_the_hostile_claim_is_shown_not_dropped(hostile_bundle: Path) -> None:
    argv = ["token", f"@{hostile_bundle}/id_token.txt", "--offline", "--now", NOW]
    _, out, _ = _run([*argv, "-o", "json"])
    assert json.loads(out)["claims"]["email"] == "alice\ud800@example.com"  # escaped, value kept
    _, out, _ = _run(argv)
    assert "alice\ufffd@example.com" in out and "\x1b" not in out


def test_rich_output_keeps_colours_but_not_hostile_escapes(hostile_bundle: Path) -> None:
    out, err = _Tty(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(hostile_bundle), "--now", NOW],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={"TERM": "xterm"}),
    )
    text = out.getvalue()
    assert status in (0, 1), err.getvalue()
    assert re.search("\x1b\\[[0-9;]*m", text)  # rich's colours
    assert "\x1b]" not in text and "\x1b[2J" not in text and "\x07" not in text


# --- output options --------------------------------------------------------------------------------

EVERY_COMMAND = [
    ["diagnose", "--bundle", str(EXAMPLES / "healthy"), "--now", NOW],
    ["token", f"@{EXAMPLES}/healthy/id_token.txt", "--offline", "--now", NOW],
    ["predict", "--bundle", str(EXAMPLES / "healthy"), "--now", NOW],
    ["rbac", "who", "--user", "oidc:alice@example.com", "--bundle", str(EXAMPLES / "healthy")],
    ["rbac", "can", "list", "pods", "-n", "dev", "--user", "x", "--bundle", str(EXAMPLES / "healthy")],
    ["logs", str(EXAMPLES / "issuer-ca-untrusted" / "kube-apiserver.log")],
    ["proxy", "--bundle", str(EXAMPLES / "proxy-cookie-refresh-too-long"), "--now", NOW],
    ["proxy", "--bundle", str(EXAMPLES / "proxy-cookie-refresh-too-long"), "--settings"],
    ["proxy", "authz-header", "enable", "--bundle", str(EXAMPLES / "proxy-cookie-refresh-too-long")],
]


def test_authz_header_dry_run_as_a_document() -> None:
    argv = ["proxy", "authz-header", "enable", "--bundle", str(EXAMPLES / "proxy-cookie-refresh-too-long")]
    status, out, err = _run([*argv, "-o", "json"])
    doc = json.loads(out)
    assert status == 0 and doc["schema"] == "oidc-doctor/proxy-authz-header/v1"
    assert doc["outcome"] == "dry-run" and doc["kubectl"].startswith("kubectl -n kubeapps patch deployment kubeapps")
    assert doc["patch"][0]["op"] == "test" and "--set-authorization-header=true" in json.dumps(doc["patch"])
    assert "turn it off when done" in err


@pytest.mark.parametrize("argv", EVERY_COMMAND, ids=lambda a: " ".join(a[:3]))
def test_o_json_and_yaml_are_one_document_with_schema_and_version(argv: list[str]) -> None:
    status_j, out_j, err = _run([*argv, "-o", "json"])
    assert status_j in (0, 1), err
    doc = json.loads(out_j)
    assert list(doc)[:2] == ["schema", "version"] and doc["version"] == __version__
    assert doc["schema"].startswith("oidc-doctor/")
    status_y, out_y, _ = _run([*argv, "-o", "yaml"])
    assert status_y == status_j and yaml.safe_load(out_y) == doc
    _, out_f, _ = _run([*argv, "--format", "json", "--output-file", "-"])
    assert json.loads(out_f) == doc


@pytest.mark.parametrize("argv", EVERY_COMMAND, ids=lambda a: " ".join(a[:3]))
def test_output_file_writes_the_chosen_format(argv: list[str], tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    status, out, err = _run([*argv, "-o", "markdown", "--output-file", str(target)])
    assert status in (0, 1) and out == "" and "written to" in err
    assert target.read_text().startswith("# oidc-doctor")


def test_the_old_o_file_form_still_writes_with_a_deprecation_note(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    status, out, err = _run(["diagnose", "--bundle", str(EXAMPLES / "healthy"), "--now", NOW, "-o", str(target)])
    assert status == 0 and out == "" and "deprecated" in err and "--output-file" in err
    assert target.read_text().startswith("oidc-doctor diagnosis at")


def test_o_json_no_longer_writes_a_file_named_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, _ = _run(["diagnose", "--bundle", str(EXAMPLES / "healthy"), "--now", NOW, "-o", "json"])
    assert status == 0 and json.loads(out)["schema"] == "oidc-doctor/report/v1"
    assert not (tmp_path / "json").exists()


def test_disagreeing_formats_are_refused() -> None:
    status, _, err = _run(["token", f"@{EXAMPLES}/healthy/id_token.txt", "-o", "json", "--format", "yaml"])
    assert status == 2 and "disagree" in err


# --- forgiving input --------------------------------------------------------------------------------


def test_a_token_file_without_its_at_sign_is_named_as_a_file() -> None:
    path = f"{EXAMPLES}/healthy/id_token.txt"
    status, out, err = _run(["token", path])
    assert status == 2 and out == ""
    assert f"this is a file — did you mean @{path}?" in err


def test_a_missing_token_file_without_its_at_sign_is_not_judged_as_a_token() -> None:
    status, _, err = _run(["token", "no/such/token.txt"])
    assert status == 2 and "did you mean @no/such/token.txt?" in err and "malformed" not in err


def test_an_opaque_token_with_a_slash_is_judged_and_never_echoed() -> None:
    opaque = "ya29.A0ARrdaM9x/Qz8Kp2LmN4vB7cD1eF3gH5jK6"  # base64 may hold '/': not a path
    status, out, err = _run(["token", opaque, "--offline", "-o", "json"])
    assert status == 1 and "token-malformed" in [f["cause"] for f in json.loads(out)["findings"]]
    assert opaque not in out + err and "did you mean" not in err


def test_token_dash_on_a_terminal_says_it_waits_for_stdin() -> None:
    tty = _Tty(_token(iat=1, exp=2))
    status, _, err = _run(["token", "-", "--offline"], stdin=tty)
    assert status in (0, 1) and "reading the token from standard input" in err


def test_token_dash_from_a_pipe_says_nothing_about_waiting() -> None:
    status, _, err = _run(["token", "-", "--offline"], stdin=io.StringIO(_token(iat=1, exp=2)))
    assert status in (0, 1) and "standard input" not in err


def test_logs_reads_the_files_of_a_folder(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "issuer-ca-untrusted" / "kube-apiserver.log", tmp_path / "a.log")
    shutil.copy(EXAMPLES / "proxy-header-too-large" / "ingress-nginx.log", tmp_path / "b.log")
    (tmp_path / ".hidden").write_text("x\n")
    status, out, err = _run(["logs", str(tmp_path), "-o", "json"])
    assert status == 1, err
    files = [f["file"] for f in json.loads(out)["files"]]
    assert [Path(f).name for f in files] == ["a.log", "b.log"]


def test_logs_on_an_empty_folder_says_so(tmp_path: Path) -> None:
    status, _, err = _run(["logs", str(tmp_path)])
    assert status == 2 and "folder with no files" in err


def test_rbac_and_whoami_accept_now() -> None:
    for argv in (["rbac", "who", "--help"], ["whoami", "--help"], ["proxy", "--help"], ["predict", "--help"]):
        status, out, _ = _run(argv)
        assert status == 0 and "--now" in out and "--output-file" in out, argv


# --- colour ----------------------------------------------------------------------------------------


def _on_terminal(argv: list[str], env: dict[str, str]) -> str:
    out = _Tty()
    status = main(argv, IO(stdin=io.StringIO(), stdout=out, stderr=io.StringIO(), env=env))
    assert status in (0, 1)
    return out.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["diagnose", "--bundle", str(EXAMPLES / "healthy"), "--now", NOW],
        ["token", f"@{EXAMPLES}/healthy/id_token.txt", "--offline", "--now", NOW],
    ],
    ids=["diagnose", "token"],
)
def test_colour_on_a_terminal_unless_asked_for_plain_text(argv: list[str]) -> None:
    sgr = re.compile("\x1b\\[[0-9;]*m")
    assert sgr.search(_on_terminal(argv, {"TERM": "xterm"}))
    assert not sgr.search(_on_terminal(argv, {"TERM": "xterm", "NO_COLOR": "1"}))
    assert not sgr.search(_on_terminal([*argv, "-o", "text"], {"TERM": "xterm"}))
    assert not sgr.search(_on_terminal(argv, {"TERM": "dumb"}))


@pytest.mark.parametrize("command", ["diagnose", "token", "predict", "logs", "proxy", "rbac", "whoami", "collect"])
def test_every_commands_help_has_examples_and_exit_status(command: str) -> None:
    status, out, _ = _run([command, "--help"])
    assert status == 0 and "examples:" in out and "exit status: 0" in out and f"oidc-doctor {command}" in out


def test_the_kubectl_plugin_says_kubectl_oidc_doctor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["/usr/local/bin/kubectl-oidc_doctor", "token", "--help"])
    status, out, _ = _run(["token", "--help"])
    assert status == 0 and out.startswith("usage: kubectl oidc-doctor token")


def _audit_line(audit_id: str, when: str) -> str:
    return json.dumps(
        {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": "Metadata",
            "auditID": audit_id,
            "stage": "ResponseComplete",
            "requestURI": "/api/v1/namespaces/dev/pods",
            "verb": "list",
            "user": {},
            "responseStatus": {"metadata": {}, "code": 401},
            "requestReceivedTimestamp": when,
            "stageTimestamp": when,
        }
    )


@pytest.mark.parametrize("big", [False, True], ids=["whole", "tail"])
def test_now_rule_takes_the_newest_audited_request_as_a_log_time(tmp_path: Path, big: bool) -> None:
    ev, folder = _bundle(tmp_path, manifest=True)
    path = tmp_path / "audit.log"
    filler = [_audit_line(f"a{i}", "2026-11-28T10:05:00.000000Z") for i in range(6000 if big else 1)]
    path.write_text("\n".join([*filler, _audit_line("last", "2026-11-28T10:30:00.123456Z")]) + "\n")
    assert path.stat().st_size > 1024 * 1024 if big else True
    ev.add(Item(Kind.AUDIT_EVENTS, "b/audit.log", None, path))
    m = judge_time(None, _io(A_YEAR_AHEAD), ev, folder)
    assert m.source == "log" and (m.now.hour, m.now.minute) == (10, 30)  # before the collection time (10:40)
