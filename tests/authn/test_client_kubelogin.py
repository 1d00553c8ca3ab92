"""kubelogin users of a kubeconfig are compared with the API server's issuers and audiences."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from oidc_doctor.authn.sources import kubelogin_users
from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import Status
from oidc_doctor.pipeline import Report, run

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


def result(report: Report) -> Any:
    return next(c.result for c in report.checks if c.id == "client.kubelogin")


FLAGS = (f"--oidc-issuer-url={ISS}", "--oidc-client-id=kubernetes")


def test_both_flag_spellings_are_read() -> None:
    cfg = kubeconfig("oidc-login", "get-token", "--oidc-issuer-url", ISS, "--oidc-client-id=kubectl")
    assert kubelogin_users(cfg) == [{"user": "oidc", "issuer": ISS, "client_id": "kubectl"}]


def test_other_client_id_is_an_audience_mismatch() -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}", "--oidc-client-id=kubectl")
    report = diagnose(pod(*FLAGS), Item(Kind.KUBECONFIG, "bundle/kubeconfig.yaml Config", cfg))
    assert report.findings[0].cause == "audience-mismatch"
    assert "'kubectl'" in report.findings[0].title and "kubernetes" in report.findings[0].title


def test_trailing_slash_issuer_is_an_issuer_mismatch() -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}/", "--oidc-client-id=kubernetes")
    report = diagnose(pod(*FLAGS), Item(Kind.KUBECONFIG, "bundle/kubeconfig.yaml Config", cfg))
    assert report.findings[0].cause == "issuer-mismatch"


def test_matching_settings_pass_and_missing_settings_are_unknown() -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}", "--oidc-client-id=kubernetes")
    item = Item(Kind.KUBECONFIG, "bundle/kubeconfig.yaml Config", cfg)
    assert result(diagnose(pod(*FLAGS), item)).status == Status.PASS
    assert result(diagnose(item)).status == Status.UNKNOWN


def test_a_kubelogin_kubeconfig_file_is_recognised(tmp_path: Path) -> None:
    cfg = kubeconfig("oidc-login", "get-token", f"--oidc-issuer-url={ISS}")
    (tmp_path / "config").write_text(yaml.safe_dump(cfg))
    ev = read_bundle(tmp_path)
    assert [i.kind for i in ev.items] == [Kind.KUBECONFIG]
