"""kubectl's own oidc auth-provider as an OIDC client of the API server.

The kubeconfig is the one int128/kubelogin#26 pasted (client secret replaced), with the grepped
kube-apiserver manifest lines of the same thread; the issuer is made to differ to prove the
comparison runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.clients import Option
from oidc_doctor.evidence import Kind
from oidc_doctor.pipeline import run
from oidc_doctor.proxy.kubelogin import kubelogin_clients

KUBECONFIG = """\
apiVersion: v1
current-context: admin-cluster.local
kind: Config
preferences: {}
users:
- name: admin-cluster.local
  user:
    auth-provider:
      config:
        client-id: kubernetes
        client-secret: not-a-real-secret
        extra-scopes: profile,groups
        idp-issuer-url: %s
      name: oidc
"""

GREPPED = """\
$ cat /etc/kubernetes/manifests/kube-apiserver.manifest  | grep oidc
    - --oidc-issuer-url=https://xxx/auth/realms/yyy
    - --oidc-client-id=kubernetes
    - --oidc-groups-claim=groups
"""


def test_auth_provider_user_is_a_client_with_its_scopes() -> None:
    import yaml

    config = yaml.safe_load(KUBECONFIG % "https://xxx/auth/realms/yyy")
    [client] = kubelogin_clients(config, "kubeconfig")
    assert client.kind == "kubectl-oidc"
    assert client.scopes == ("openid", "profile", "groups")
    issuer = client.get(Option.ISSUER)
    assert (issuer.program, issuer.spelled, issuer.value) == (
        "kubectl",
        "idp-issuer-url",
        "https://xxx/auth/realms/yyy",
    )


def test_kubeconfig_without_id_token_is_read_and_its_issuer_compared(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG % "https://xxx/auth/realms/yyy/")
    (tmp_path / "grep.txt").write_text(GREPPED)
    ev = read_bundle(tmp_path)
    assert ev.of(Kind.KUBECONFIG) and ev.of(Kind.APISERVER_POD)
    report = run(ev, Context(now=datetime(2018, 11, 16, tzinfo=UTC), now_source="flag")).to_json()
    first = report["findings"][0]
    assert first["cause"] == "issuer-mismatch", [f["cause"] for f in report["findings"]]
    assert "idp-issuer-url" in first["fix"] and "auth-provider config" in first["fix"]
    assert "not-a-real-secret" not in str(report)


def test_kubeconfig_with_an_id_token_is_both_the_token_and_the_client(tmp_path: Path) -> None:
    text = KUBECONFIG % "https://xxx/auth/realms/yyy"
    text = text.replace("        client-id: kubernetes\n", "        client-id: kubernetes\n        id-token: a.b.c\n")
    (tmp_path / "kubeconfig").write_text(text)
    ev = read_bundle(tmp_path)
    assert [i.kind for i in ev.items] == [Kind.TOKEN, Kind.KUBECONFIG]
    assert ev.of(Kind.TOKEN)[0].data == "a.b.c"
