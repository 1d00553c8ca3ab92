"""Installers' own files as API server settings: k0s, k0sctl, RKE1, kubespray, Cluster API, command lines.

Each case is a file as the installer's documentation shows it (cited in oidc_doctor/authn/platforms.py),
read through the bundle reader, so recognition by content and the flag translation are both proven.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oidc_doctor.authn.settings import read_settings
from oidc_doctor.bundle import read_bundle
from oidc_doctor.evidence import Kind

K0S = """\
apiVersion: k0s.k0sproject.io/v1beta1
kind: ClusterConfig
metadata:
  name: k0s
spec:
  api:
    address: 192.168.1.10
    extraArgs:
      oidc-issuer-url: https://dex.cluster.local
      oidc-client-id: kubernetes
      oidc-username-claim: email
      oidc-username-prefix: "oidc:"
"""

K0SCTL = """\
apiVersion: k0sctl.k0sproject.io/v1beta1
kind: Cluster
metadata:
  name: k0s-cluster
spec:
  hosts:
  - role: controller
    ssh: {address: 10.0.0.1}
  k0s:
    version: 1.27.4+k0s.0
    config:
      spec:
        api:
          extraArgs:
            oidc-issuer-url: https://keycloak.example.com/realms/k8s
            oidc-client-id: k0s
"""

RKE = """\
kubernetes_version: v1.24.10-rancher4-1
nodes:
- address: 10.0.0.1
  role: [controlplane, etcd, worker]
services:
  kube-api:
    extra_args:
      oidc-issuer-url: https://login.example.com
      oidc-client-id: rke
    extra_args_array:
      oidc-required-claim:
      - team=ops
"""

RANCHER_RKE = """\
name: prod
rancher_kubernetes_engine_config:
  kubernetes_version: v1.26.8-rancher1-1
  services:
    kube-api:
      extra_args:
        oidc-issuer-url: https://auth.example.com
        oidc-client-id: rancher
        oidc-groups-claim: groups
"""

KUBESPRAY_ON = """\
kube_version: v1.29.5
kube_oidc_auth: true
kube_oidc_url: https://dex.example.com/dex
kube_oidc_client_id: kubernetes
kube_oidc_ca_file: "{{ kube_cert_dir }}/ca.pem"
kube_oidc_username_claim: email
kube_oidc_groups_claim: groups
kube_oidc_username_prefix: "oidc:"
kube_kubeadm_apiserver_extra_args:
  oidc-groups-prefix: "oidc:"
"""

KUBESPRAY_OFF = """\
# kube_oidc_auth left at its default (false)
kube_oidc_url: https://dex.example.com/dex
kube_oidc_client_id: kubernetes
"""

KCP = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata:
  name: prod-control-plane
spec:
  version: v1.30.2
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        extraArgs:
          oidc-issuer-url: https://dex.prod.example.com
          oidc-client-id: dex-k8s-authenticator
          oidc-username-claim: email
"""

KCP_TEMPLATE_V1BETA2 = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlaneTemplate
metadata:
  name: tpl
spec:
  template:
    spec:
      kubeadmConfigSpec:
        clusterConfiguration:
          apiServer:
            extraArgs:
            - name: oidc-issuer-url
              value: https://issuer.example.com
            - name: oidc-client-id
              value: capi
"""

MICROK8S_ARGS = """\
--cert-dir=${SNAP_DATA}/certs
--service-cluster-ip-range=10.152.183.0/24
--authorization-mode=RBAC,Node
--oidc-issuer-url=https://keycloak.example.com/realms/microk8s
--oidc-client-id=microk8s
--oidc-username-claim=preferred_username
"""

SYSTEMD_UNIT = """\
[Unit]
Description=Kubernetes API Server

[Service]
ExecStart=/usr/local/bin/kube-apiserver \\
  --advertise-address=10.240.0.10 \\
  --authorization-mode=Node,RBAC \\
  --oidc-issuer-url=https://accounts.google.com \\
  --oidc-client-id=hard-way.apps.googleusercontent.com \\
  --oidc-username-claim email \\
  --v=2
Restart=on-failure
"""

PS_LINE = (
    "root      1893  4.1  9.8 1115608 398076 ?      Ssl  Oct28 312:01 kube-apiserver --advertise-address=10.0.0.5 "
    "--oidc-issuer-url=https://gitlab.example.com --oidc-client-id=0a1b2c --oidc-groups-claim=groups "
    "--service-cluster-ip-range=10.96.0.0/12\n"
    "root      1950  1.0  2.0  811300  81220 ?      Ssl  Oct28  50:10 kube-scheduler --bind-address=127.0.0.1\n"
)


def _settings(tmp_path: Path, name: str, text: str) -> tuple[Kind, dict[str, list[tuple[str, str]]], str, list[str]]:
    (tmp_path / name).write_text(text)
    ev = read_bundle(tmp_path)
    view = read_settings(ev)
    assert view.auth is not None, [(i.ref, i.kind) for i in ev.items]
    kinds = [i.kind for i in ev.items]
    assert len(kinds) == 1, kinds
    return kinds[0], view.auth.flags, view.auth.kube_version, view.auth.notes


def _value(flags: dict[str, list[tuple[str, str]]], name: str) -> tuple[str, str]:
    assert name in flags, sorted(flags)
    return flags[name][-1]


@pytest.mark.parametrize(
    ("name", "text", "kind", "issuer", "where", "kube_version"),
    [
        ("k0s.yaml", K0S, Kind.NODE_ARGS, "https://dex.cluster.local", "spec.api.extraArgs.oidc-issuer-url", ""),
        (
            "k0sctl.yaml",
            K0SCTL,
            Kind.NODE_ARGS,
            "https://keycloak.example.com/realms/k8s",
            "spec.k0s.config spec.api.extraArgs.oidc-issuer-url",
            "1.27.4+k0s.0",
        ),
        (
            "cluster.yml",
            RKE,
            Kind.NODE_ARGS,
            "https://login.example.com",
            "services.kube-api.extra_args.oidc-issuer-url",
            "v1.24.10-rancher4-1",
        ),
        (
            "rancher-cluster.yaml",
            RANCHER_RKE,
            Kind.NODE_ARGS,
            "https://auth.example.com",
            "rancher_kubernetes_engine_config.services.kube-api.extra_args.oidc-issuer-url",
            "v1.26.8-rancher1-1",
        ),
        ("k8s-cluster.yml", KUBESPRAY_ON, Kind.NODE_ARGS, "https://dex.example.com/dex", "kube_oidc_url", "v1.29.5"),
        (
            "kcp.yaml",
            KCP,
            Kind.KUBEADM_CONFIG,
            "https://dex.prod.example.com",
            "KubeadmControlPlane prod-control-plane apiServer.extraArgs.oidc-issuer-url",
            "v1.30.2",
        ),
        (
            "kcpt.yaml",
            KCP_TEMPLATE_V1BETA2,
            Kind.KUBEADM_CONFIG,
            "https://issuer.example.com",
            "apiServer.extraArgs[0] oidc-issuer-url",
            "",
        ),
        ("kube-apiserver", MICROK8S_ARGS, Kind.APISERVER_POD, "https://keycloak.example.com/realms/microk8s", "", ""),
        ("kube-apiserver.service", SYSTEMD_UNIT, Kind.APISERVER_POD, "https://accounts.google.com", "", ""),
        ("ps.txt", PS_LINE, Kind.APISERVER_POD, "https://gitlab.example.com", "", ""),
    ],
)
def test_installer_file_gives_the_api_server_flags(
    tmp_path: Path, name: str, text: str, kind: Kind, issuer: str, where: str, kube_version: str
) -> None:
    got_kind, flags, got_version, _ = _settings(tmp_path, name, text)
    assert got_kind == kind
    value, ref = _value(flags, "oidc-issuer-url")
    assert value == issuer
    assert where in ref, ref
    assert got_version == kube_version


def test_k0s_quoted_prefix_value_is_the_string_k0s_passes(tmp_path: Path) -> None:
    _, flags, _, _ = _settings(tmp_path, "k0s.yaml", K0S)
    assert _value(flags, "oidc-username-prefix")[0] == "oidc:"


def test_rke_extra_args_array_is_repeated_flags(tmp_path: Path) -> None:
    _, flags, _, _ = _settings(tmp_path, "cluster.yml", RKE)
    value, ref = _value(flags, "oidc-required-claim")
    assert value == "team=ops" and "extra_args_array.oidc-required-claim[0]" in ref


def test_kubespray_extra_args_follow_the_oidc_variables(tmp_path: Path) -> None:
    _, flags, _, _ = _settings(tmp_path, "k8s-cluster.yml", KUBESPRAY_ON)
    assert _value(flags, "oidc-username-prefix")[0] == "oidc:"
    assert _value(flags, "oidc-groups-prefix")[1].endswith("kube_kubeadm_apiserver_extra_args.oidc-groups-prefix")
    # The Jinja expression is what the file says; kubespray renders it on the node.
    assert _value(flags, "oidc-ca-file")[0] == "{{ kube_cert_dir }}/ca.pem"


def test_kubespray_without_kube_oidc_auth_writes_no_oidc_flags_and_says_why(tmp_path: Path) -> None:
    _, flags, _, notes = _settings(tmp_path, "k8s-cluster.yml", KUBESPRAY_OFF)
    assert not any(k.startswith("oidc-") for k in flags)
    assert any("kube_oidc_auth is not true" in n for n in notes), notes


def test_systemd_unit_flag_with_a_separate_value_is_joined(tmp_path: Path) -> None:
    _, flags, _, _ = _settings(tmp_path, "kube-apiserver.service", SYSTEMD_UNIT)
    assert _value(flags, "oidc-username-claim")[0] == "email"
    assert "Restart" not in " ".join(flags)


def test_ps_output_stops_at_the_next_process(tmp_path: Path) -> None:
    _, flags, _, _ = _settings(tmp_path, "ps.txt", PS_LINE)
    assert "bind-address" not in flags  # kube-scheduler's, on the next line
    assert _value(flags, "oidc-groups-claim")[0] == "groups"


@pytest.mark.parametrize(
    "text",
    [
        "--verbose\n--dry-run\n",  # flags, but no API server flag among them
        "kube-apiserver is the API server of Kubernetes.\n",  # prose naming the binary
        "kube-scheduler --bind-address=127.0.0.1 --leader-elect=true\n",
    ],
)
def test_text_that_is_no_api_server_command_line_is_not_taken_for_one(tmp_path: Path, text: str) -> None:
    (tmp_path / "notes.txt").write_text(text)
    ev = read_bundle(tmp_path)
    assert not ev.of(Kind.APISERVER_POD)


def test_k3s_journal_running_line_stays_a_log(tmp_path: Path) -> None:
    line = (
        'Mar 23 19:15:01 debian11-vm k3s[2651062]: time="2022-03-23T19:15:01Z" level=info msg="Running '
        'kube-apiserver --advertise-port=6443 --oidc-issuer-url=https://sso.example.com --oidc-client-id=k3s"\n'
    )
    (tmp_path / "k3s.log").write_text(line * 3)
    ev = read_bundle(tmp_path)
    assert not ev.of(Kind.APISERVER_POD)
    assert ev.of(Kind.APISERVER_LOG)


def test_unquoted_flag_ending_in_a_colon_is_a_manifest_the_kubelet_cannot_run(tmp_path: Path) -> None:
    (tmp_path / "kube-apiserver.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n"
        "  containers:\n  - name: kube-apiserver\n    command:\n    - kube-apiserver\n"
        "    - --oidc-issuer-url=https://dex.example.com\n    - --oidc-username-prefix=oidc:\n"
    )
    ev = read_bundle(tmp_path)
    assert not ev.of(Kind.APISERVER_POD)
    [broken] = ev.of(Kind.APISERVER_MANIFEST_BROKEN)
    assert "command[2] is a YAML mapping" in broken.data["problem"]
    assert '- "--oidc-username-prefix=oidc:"' in broken.data["problem"]
    assert broken.data["flags"] == ["--oidc-issuer-url=https://dex.example.com", "--oidc-username-prefix=oidc:"]


GREPPED = """\
$ cat /etc/kubernetes/manifests/kube-apiserver.manifest  | grep oidc
    - --oidc-issuer-url=https://xxx/auth/realms/yyy
    - --oidc-client-id=kubernetes
    - --oidc-groups-claim=groups
    - "--oidc-groups-prefix='oidcgroup:'"
"""


def test_grepped_manifest_lines_are_the_flags_as_yaml_reads_them(tmp_path: Path) -> None:
    # kubelogin#26 pasted exactly this; the quoted prefix is from kubelogin#692 (quotes kept: YAML
    # removes only the outer double quotes).
    kind, flags, _, _ = _settings(tmp_path, "grep.txt", GREPPED)
    assert kind == Kind.APISERVER_POD
    assert _value(flags, "oidc-issuer-url")[0] == "https://xxx/auth/realms/yyy"
    assert _value(flags, "oidc-groups-prefix")[0] == "'oidcgroup:'"


def test_grepped_line_ending_in_a_colon_is_broken_as_in_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "grep.txt").write_text(
        "    - --oidc-issuer-url=https://dex.example.com\n    - --oidc-username-prefix=oidc:\n"
    )
    ev = read_bundle(tmp_path)
    assert not ev.of(Kind.APISERVER_POD)
    [broken] = ev.of(Kind.APISERVER_MANIFEST_BROKEN)
    assert "YAML mapping" in broken.data["problem"]


KOPS = """\
apiVersion: kops.k8s.io/v1alpha2
kind: Cluster
metadata:
  name: k8s.example.com
spec:
  kubernetesVersion: 1.13.5
  kubeAPIServer:
    oidcGroupsClaim: groups
    oidcGroupsPrefix: 'oidc:'
    oidcIssuerURL: https://openid-connect.onelogin.com/oidc
    oidcUsernameClaim: email
    oidcUsernamePrefix: 'oidc:'
    oidcClientID: XXXXX
"""

KOPS_AUTH = """\
apiVersion: kops.k8s.io/v1alpha2
kind: Cluster
metadata:
  name: new.example.com
spec:
  authentication:
    oidc:
      issuerURL: https://dex.example.com
      clientID: kubernetes
      groupsClaims: [groups]
      requiredClaims:
        hd: example.com
"""


def test_kops_cluster_spec_gives_the_flags(tmp_path: Path) -> None:
    # kubelogin#37 pasted this kOps configuration (OneLogin).
    kind, flags, kube_version, _ = _settings(tmp_path, "cluster.yaml", KOPS)
    assert kind == Kind.NODE_ARGS and kube_version == "1.13.5"
    assert _value(flags, "oidc-issuer-url") == (
        "https://openid-connect.onelogin.com/oidc",
        f"{tmp_path.name}/cluster.yaml Cluster k8s.example.com spec.kubeAPIServer.oidcIssuerURL",
    )
    assert _value(flags, "oidc-username-prefix")[0] == "oidc:"


def test_kops_authentication_oidc_gives_the_flags(tmp_path: Path) -> None:
    _, flags, _, _ = _settings(tmp_path, "cluster.yaml", KOPS_AUTH)
    assert _value(flags, "oidc-groups-claim")[0] == "groups"
    assert _value(flags, "oidc-required-claim") == (
        "hd=example.com",
        f"{tmp_path.name}/cluster.yaml Cluster new.example.com spec.authentication.oidc.requiredClaims.hd",
    )


MINIKUBE_START = (
    "$ minikube start --kubernetes-version=v1.28.3 \\\n"
    "    --extra-config=apiserver.oidc-issuer-url=https://dex.example.com:32000 \\\n"
    "    --extra-config=apiserver.oidc-client-id=example-app \\\n"
    "    --extra-config=apiserver.oidc-username-claim=email\n"
)

K3S_INSTALL = (
    "curl -sfL https://get.k3s.io | sh -s - server "
    '--kube-apiserver-arg "oidc-issuer-url=https://sso.example.com/application/o/k3s/" '
    "--kube-apiserver-arg=oidc-client-id=k3s --kube-apiserver-arg oidc-username-claim=email\n"
)

MINIKUBE_PROFILE = {
    "Name": "minikube",
    "KubernetesConfig": {
        "KubernetesVersion": "v1.28.3",
        "ExtraOptions": [
            {"Component": "apiserver", "Key": "oidc-issuer-url", "Value": "https://keycloak.example.com/realms/dev"},
            {"Component": "apiserver", "Key": "oidc-client-id", "Value": "minikube"},
            {"Component": "kubelet", "Key": "max-pods", "Value": "200"},
        ],
    },
}


@pytest.mark.parametrize(
    ("text", "kind", "issuer", "client"),
    [
        (MINIKUBE_START, Kind.APISERVER_POD, "https://dex.example.com:32000", "example-app"),
        (K3S_INSTALL, Kind.NODE_ARGS, "https://sso.example.com/application/o/k3s/", "k3s"),
    ],
)
def test_installer_command_lines_pass_their_api_server_flags(
    tmp_path: Path, text: str, kind: Kind, issuer: str, client: str
) -> None:
    got, flags, _, _ = _settings(tmp_path, "how-i-started.txt", text)
    assert got == kind
    assert _value(flags, "oidc-issuer-url")[0] == issuer
    assert _value(flags, "oidc-client-id")[0] == client


def test_minikube_profile_extra_options_for_the_apiserver_only(tmp_path: Path) -> None:
    import json

    kind, flags, kube_version, _ = _settings(tmp_path, "config.json", json.dumps(MINIKUBE_PROFILE))
    assert kind == Kind.NODE_ARGS and kube_version == "v1.28.3"
    assert _value(flags, "oidc-client-id")[0] == "minikube"
    assert "max-pods" not in flags


def test_k3s_unit_line_without_a_backslash_ends_the_command(tmp_path: Path) -> None:
    # k3s#5278's unit: the first --kube-apiserver-arg line lacks its trailing backslash, so systemd
    # passes only that one; the next line is not part of ExecStart.
    unit = (
        "[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\\n"
        "    '--kube-apiserver-arg' 'oidc-username-claim=email'\n"
        "    '--kube-apiserver-arg' 'oidc-groups-claim=groups'\n"
    )
    kind, flags, _, _ = _settings(tmp_path, "k3s.service", unit)
    assert kind == Kind.NODE_ARGS
    assert _value(flags, "oidc-username-claim")[0] == "email"
    assert "oidc-groups-claim" not in flags


def test_a_node_wins_over_an_install_line_and_lends_its_version(tmp_path: Path) -> None:
    (tmp_path / "install.txt").write_text(K3S_INSTALL)
    (tmp_path / "nodes.yaml").write_text(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: server\n  annotations:\n"
        '    k3s.io/node-args: \'["server","--kube-apiserver-arg","oidc-issuer-url=https://running.example.com",'
        '"--kube-apiserver-arg","oidc-client-id=k3s"]\'\nstatus:\n  nodeInfo:\n    kubeletVersion: v1.27.4+k3s1\n'
    )
    view = read_settings(read_bundle(tmp_path))
    assert view.auth is not None
    assert view.auth.flags["oidc-issuer-url"][-1][0] == "https://running.example.com"
    assert view.auth.kube_version == "v1.27.4+k3s1"


def test_the_version_of_another_source_is_carried_over(tmp_path: Path) -> None:
    (tmp_path / "k3s.service").write_text(
        "[Service]\nExecStart=/usr/local/bin/k3s server --kube-apiserver-arg=oidc-issuer-url=https://x.example.com "
        "--kube-apiserver-arg=oidc-client-id=k3s\n"
    )
    (tmp_path / "kcp.yaml").write_text(KCP)  # a source that knows the version (v1.30.2)
    view = read_settings(read_bundle(tmp_path))
    assert view.auth is not None and view.auth.kube_version == "v1.30.2"


def test_prose_naming_an_installer_flag_stays_the_users_words(tmp_path: Path) -> None:
    text = (
        "I installed k3s with --kube-apiserver-arg oidc-issuer-url=https://sso.example.com and kubectl says\n"
        "error: You must be logged in to the server (Unauthorized)\n"
    )
    (tmp_path / "what-i-saw.txt").write_text(text)
    ev = read_bundle(tmp_path)
    assert not ev.of(Kind.NODE_ARGS) and ev.of(Kind.ERROR_TEXT)


def test_prose_naming_the_api_server_and_a_flag_stays_the_users_words(tmp_path: Path) -> None:
    text = "my kube-apiserver has --oidc-issuer-url=https://dex.example.com but kubectl get pods says Unauthorized\n"
    (tmp_path / "what-i-saw.txt").write_text(text)
    ev = read_bundle(tmp_path)
    assert not ev.of(Kind.APISERVER_POD) and ev.of(Kind.ERROR_TEXT)
