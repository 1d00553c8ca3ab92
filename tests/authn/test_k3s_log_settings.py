"""The API server's flags from a k3s/RKE2 journal: the last ``Running kube-apiserver`` line wins."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from oidc_doctor.authn import k3slog
from oidc_doctor.authn.k3slog import command_words, from_k3s_log, last_command_line
from oidc_doctor.authn.settings import read_settings
from oidc_doctor.evidence import Evidence, Item, Kind

ISSUER = "https://keycloak.example.com/realms/k8s"


def _line(pid: int, *flags: str, ts: str = "2026-11-28T09:01:02Z") -> str:
    words = " ".join(["--advertise-address=10.0.0.10", "--authorization-mode=Node,RBAC", *flags])
    return f'Nov 28 09:01:02 cp1 k3s[{pid}]: time="{ts}" level=info msg="Running kube-apiserver {words}"'


OLD = _line(700, f"--oidc-issuer-url={ISSUER}", "--oidc-client-id=old-client", "--oidc-username-prefix=oidc:")
NEW = _line(812, f"--oidc-issuer-url={ISSUER}", "--oidc-client-id=kubernetes", "--oidc-username-claim=email")
NOISE = "Nov 28 09:01:03 cp1 k3s[812]: I1128 09:01:03.204211     812 options.go:228] external host was not specified"


def _write(tmp_path: Path, lines: list[str], name: str = "journal.log") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _log_item(path: Path) -> Item:
    return Item(Kind.APISERVER_LOG, f"b/{path.name}", None, path)


def test_the_last_restart_flags_are_used_with_their_line_number(tmp_path: Path) -> None:
    p = _write(tmp_path, [NOISE, OLD, NOISE, NOISE, NEW, NOISE])
    auth = from_k3s_log(p, "b/journal.log")
    assert auth is not None
    assert auth.flags["oidc-client-id"] == [("kubernetes", "b/journal.log:5 --oidc-client-id")]
    a = auth.authenticators[0]
    assert a.issuer.audiences == ["kubernetes"]
    assert a.claim_mappings.username.claim == "email"
    # The old start's ``--oidc-username-prefix=oidc:`` is gone: the email claim gets no prefix.
    assert a.claim_mappings.username.prefix == ""


def test_lines_cut_by_chunk_boundaries_are_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(k3slog, "CHUNK", 37)
    p = _write(tmp_path, [NOISE] * 30 + [OLD] + [NOISE] * 7 + [NEW] + [NOISE] * 11)
    found = last_command_line(p)
    assert found is not None
    assert found[0] == 39
    assert found[1].decode() == NEW


def test_gzip_and_a_last_line_without_newline(tmp_path: Path) -> None:
    p = tmp_path / "journal.log.gz"
    p.write_bytes(gzip.compress(f"{NOISE}\n{OLD}\n{NEW}".encode(), mtime=0))
    found = last_command_line(p)
    assert found is not None and found[0] == 3 and found[1].decode() == NEW


def test_a_mention_that_is_not_a_command_line_is_ignored(tmp_path: Path) -> None:
    later = 'Nov 28 10:00:00 cp1 k3s[812]: time="2026-11-28T10:00:00Z" level=info msg="Running kube-apiserver failed"'
    p = _write(tmp_path, [OLD, later])
    found = last_command_line(p)
    assert found is not None and found[0] == 1
    assert last_command_line(_write(tmp_path, [NOISE, later], "other.log")) is None


def test_terminal_form_and_go_escapes_are_undone() -> None:
    tty = "INFO[2026-11-28T09:01:02.000000000Z] Running kube-apiserver --oidc-client-id=kubernetes --secure-port=6444"
    assert command_words(tty.encode()) == ["--oidc-client-id=kubernetes", "--secure-port=6444"]
    quoted = 'Nov 28 09:01:02 cp1 k3s[1]: time="x" level=info msg="Running kube-apiserver --a=\\"b\\" --c=d"'
    assert command_words(quoted.encode()) == ['--a="b"', "--c=d"]


def test_credentials_in_flags_are_masked(tmp_path: Path) -> None:
    line = _line(
        812,
        f"--oidc-issuer-url={ISSUER}",
        "--oidc-client-id=kubernetes",
        "--etcd-servers=postgres://k3s:S3cretPassw0rd@db.example.com:5432/k3s",
        "--some-webhook-token=hunter2",
        "--token-auth-file=/etc/k3s/tokens.csv",
    )
    auth = from_k3s_log(_write(tmp_path, [line]), "b/journal.log")
    assert auth is not None
    printed = repr(auth.flags)
    assert "S3cretPassw0rd" not in printed and "hunter2" not in printed
    assert auth.flags["token-auth-file"][0][0] == "/etc/k3s/tokens.csv"
    assert auth.flags["etcd-servers"][0][0].startswith("postgres://k3s:<masked sha256:")


def test_journal_settings_are_used_only_without_a_better_source(tmp_path: Path) -> None:
    log = _log_item(_write(tmp_path, [OLD, NEW]))
    view = read_settings(Evidence([log]))
    assert view.auth is not None and view.auth.ref.startswith("b/journal.log:2")
    assert view.auth.authenticators[0].issuer.audiences == ["kubernetes"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
        "spec": {
            "containers": [
                {
                    "name": "kube-apiserver",
                    "command": ["kube-apiserver", f"--oidc-issuer-url={ISSUER}", "--oidc-client-id=from-pod"],
                }
            ]
        },
    }
    view = read_settings(Evidence([log, Item(Kind.APISERVER_POD, "b/pod.yaml", pod)]))
    assert view.auth is not None and view.auth.authenticators[0].issuer.audiences == ["from-pod"]
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": ISSUER, "audiences": ["from-file"]},
                "claimMappings": {"username": {"claim": "sub", "prefix": ""}},
            }
        ],
    }
    view = read_settings(Evidence([log, Item(Kind.AUTH_CONFIG, "b/auth.yaml", config, Path("auth.yaml"))]))
    assert view.auth is not None and view.auth.authenticators[0].issuer.audiences == ["from-file"]


def test_a_logged_authentication_config_is_linked_or_named_missing(tmp_path: Path) -> None:
    log = _log_item(_write(tmp_path, [_line(812, "--authentication-config=/etc/rancher/k3s/auth.yaml")]))
    view = read_settings(Evidence([log]))
    assert view.auth is not None and "/etc/rancher/k3s/auth.yaml" in view.blind
    assert "journal.log:1" in view.blind
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": ISSUER, "audiences": ["linked"]},
                "claimMappings": {"username": {"claim": "sub", "prefix": ""}},
            }
        ],
    }
    view = read_settings(Evidence([log, Item(Kind.AUTH_CONFIG, "b/auth.yaml", config, Path("auth.yaml"))]))
    assert view.blind == ""
    assert view.auth is not None and view.auth.authenticators[0].issuer.audiences == ["linked"]
    assert "--authentication-config=/etc/rancher/k3s/auth.yaml" in view.auth.ref


def test_a_journal_without_the_line_leaves_the_settings_unseen(tmp_path: Path) -> None:
    view = read_settings(Evidence([_log_item(_write(tmp_path, [NOISE]))]))
    assert view.auth is None


def test_a_corrupt_gzip_journal_is_skipped_not_raised(tmp_path: Path) -> None:
    p = tmp_path / "journal.log.gz"
    p.write_bytes(gzip.compress(f"{NEW}\n".encode(), mtime=0)[:12] + b"\x00garbage")
    view = read_settings(Evidence([_log_item(p)]))
    assert view.auth is None
