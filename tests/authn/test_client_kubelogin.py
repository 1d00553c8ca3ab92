"""kubelogin users of a kubeconfig are compared with the API server's issuers and audiences."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.clients import Option
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import Status
from oidc_doctor.pipeline import Report, run
from oidc_doctor.proxy.kubelogin import kubelogin_clients

NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
ISS = "https://idp.example.com/realms/k8s"


def kubeconfig(*args: str) -> dict[str, Any]:
    exec_ = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubectl", "args": list(args)}
    return {"apiVersion": "v1", "kind": "Config", "users": [{"name": "oidc", "user": {"exec": exec_}}]}


def pod(*flags: str) -> Item:
    data = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
        "spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", *flags]}]},
    }
    return Item(Kind.APISERVER_POD, "bundle/kube-apiserver.yaml", data)


def diagnose(*items: Item) -> Report:
    return run(Evidence(list(items)), Context(now=NOW, now_source="flag"))


def result(report: Report, check_id: str = "client.audience") -> Any:
    return next(c.result for c in report.checks if c.id == check_id)


FLAGS = (f"--oidc-issuer-url={ISS}", "--oidc-client-id=kubernetes")


def test_both_flag_spellings_are_read() -> None:
    cfg = kubeconfig("oidc-login", "get-token", "--oidc-issuer-url", ISS, "--oidc-client-id=kubectl")
    [client] = kubelogin_clients(cfg, "kubeconfig")
    assert client.get(Option.ISSUER).value == ISS and client.get(Option.CLIENT_ID).value == "kubectl"
    assert client.get(Option.CLIENT_ID).ref == "kubeconfig users[oidc].exec.args[4]"


def test_other_client_id_is_an_audience_mismatch() -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}", "--oidc-client-id=kubectl")
    report = diagnose(pod(*FLAGS), Item(Kind.KUBECONFIG, "bundle/kubeconfig.yaml Config", cfg))
    assert report.findings[0].cause == "audience-mismatch"
    assert "`kubectl`" in report.findings[0].title and "`kubernetes`" in report.findings[0].title
    assert "set `--oidc-client-id=kubernetes` in the exec args of user `oidc`" in report.findings[0].fix


def test_trailing_slash_issuer_is_an_issuer_mismatch() -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}/", "--oidc-client-id=kubernetes")
    report = diagnose(pod(*FLAGS), Item(Kind.KUBECONFIG, "bundle/kubeconfig.yaml Config", cfg))
    assert report.findings[0].cause == "issuer-mismatch"


def test_matching_settings_pass_and_missing_settings_are_unknown() -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}", "--oidc-client-id=kubernetes")
    item = Item(Kind.KUBECONFIG, "bundle/kubeconfig.yaml Config", cfg)
    for check_id in ("client.audience", "client.issuer", "client.scopes"):
        assert result(diagnose(pod(*FLAGS), item), check_id).status == Status.PASS, check_id
        assert result(diagnose(item), check_id).status == Status.UNKNOWN, check_id


def test_a_kubelogin_kubeconfig_file_is_recognised(tmp_path: Path) -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}")
    (tmp_path / "config").write_text(yaml.safe_dump(cfg))
    ev = read_bundle(tmp_path)
    assert [i.kind for i in ev.items] == [Kind.KUBECONFIG]
