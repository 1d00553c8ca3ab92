# ruff: noqa: E501  -- fixture data: long literal strings are kept whole, as the tools print them
"""Write the acceptance-test bundles in ``tests/qa/bundles/`` (run: ``python tests/qa/make_bundles.py``).

Each bundle is a folder shaped like what real tools print: ``kubectl get -o yaml`` Lists with
``managedFields``, ``status``, ``uid`` and ``resourceVersion``; ``kubectl get -o json`` with four-space
indentation; ``helm template`` output with ``# Source:`` comments; ``aws eks
describe-identity-provider-config --output json``; ``kubectl auth whoami -o yaml``; klog, JSON and
journald API server logs; oauth2-proxy logs; kubectl's error texts; kubelogin's ExecCredential. The
id_tokens carry the claim shapes of Keycloak, Dex, Azure AD v2, Okta, Google and GitLab.

The shapes come from ``tests/fixturekit`` (shared with ``examples/generate.py``); this file only
says what each bundle holds. The output is deterministic (seeded keys, deterministic signatures),
so ``test_qa_bundles.py`` checks that the committed bundles are exactly what this script writes.
``EXPECTED`` (written to ``bundles/expected.json``) says per bundle which cause comes first.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1]) not in sys.path:  # run as a script: tests/ holds fixturekit
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixturekit import apps, idp, kube, logs
from fixturekit.clock import NOW, go_time
from fixturekit.idp import AZURE, DEX_KIND, GITLAB, GITLAB_APP, GOOGLE, KEYCLOAK, OKTA, OKTA_CLIENT
from fixturekit.jose import ca_certificate_pem, sign
from fixturekit.kube import UNAUTHORIZED, Oidc, apiserver_pod, binding, forbidden, group, klist, rbac, user
from fixturekit.out import Files, compact, to_json, to_yaml, utf16
from fixturekit.out import write as write_folder

HERE = Path(__file__).parent
OUT = HERE / "bundles"
EXPECTED: dict[str, dict[str, Any]] = {}
BUILDERS: dict[str, Callable[[], Files]] = {}


def bundle(name: str, **expect: Any) -> Callable[[Callable[[], Files]], Callable[[], Files]]:
    """Register a bundle builder and what the diagnosis must say about it."""

    def deco(fn: Callable[[], Files]) -> Callable[[], Files]:
        BUILDERS[name] = fn
        EXPECTED[name] = expect
        return fn

    return deco


# --- the parts most bundles share --------------------------------------------------------------

KC = kube.KEYCLOAK_OIDC
LEGACY_KEYCLOAK = KC.flags()
#: ``kubectl -n kube-system get pod kube-apiserver-cp1 -o yaml`` with the usual Keycloak flags.
KEYCLOAK_POD = to_yaml(apiserver_pod("cp1", LEGACY_KEYCLOAK))
AUTH_CONFIG_POD = to_yaml(kube.auth_config_pod())
CERTS = compact(idp.keycloak_jwks())
ALICE_GROUPS = ["oidc:dev", "oidc:platform", "system:authenticated"]


def keycloak(name: str = "id_token.txt", **claims: Any) -> Files:
    """Keycloak's id_token for alice (``claims`` changed) in file ``name``, and its certs endpoint."""
    return {name: idp.keycloak_token(**claims), "certs.json": CERTS}


def signed(provider: str, claims: dict[str, Any], name: str = "id_token.txt", jwks_file: str = "keys.json") -> Files:
    """A provider's token in file ``name`` and its JWKS, as the provider serves it (one line)."""
    return {name: idp.token(provider, claims), jwks_file: compact(idp.provider_jwks(provider))}


def rbac_yaml(*bindings: dict[str, Any]) -> str:
    """The default ClusterRoles plus ``bindings``, as kubectl prints them."""
    return to_yaml(rbac(*bindings))


def dev_edit(prefix: str = "oidc:") -> str:
    """``edit`` in namespace dev for group ``<prefix>dev``."""
    return rbac_yaml(binding("dev-edit", "edit", group(f"{prefix}dev"), ns="dev"))


def eks_json(oidc: Oidc, status: str = "ACTIVE") -> str:
    """``aws eks describe-identity-provider-config --output json``."""
    return json.dumps(kube.eks_config(oidc, status), indent=4) + "\n"


OKTA_EKS = Oidc(OKTA, OKTA_CLIENT, "email", "okta:", "groups", "okta:")
GOOGLE_EKS = Oidc(GOOGLE, idp.GOOGLE_CLIENT, "email", "google:")
EXPIRED = dict(iat=NOW - 900, exp=NOW - 600, auth_time=NOW - 905)
TO_KUBEAPPS = dict(aud="kubeapps", azp="kubeapps")


# --- kubeadm, k3s, RKE2 ------------------------------------------------------------------------


@bundle(
    "kubeadm-v1beta3-keycloak-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    groups=ALICE_GROUPS,
    kinds={"apiserver-pod", "kubeadm-config", "rbac", "token", "jwks", "discovery", "live"},
)
def _kubeadm_v1beta3_healthy() -> Files:
    cc = kube.cluster_configuration(
        "v1beta3",
        KC.kubeadm_v1beta3(),
        apiServer={"certSANs": ["cp1.example.com"]},
        certificatesDir="/etc/kubernetes/pki",
        clusterName="kubernetes",
        controlPlaneEndpoint="cp1.example.com:6443",
        controllerManager={},
        dns={},
        etcd={"local": {"dataDir": "/var/lib/etcd"}},
        imageRepository="registry.k8s.io",
        kubernetesVersion="v1.30.6",
        networking={"dnsDomain": "cluster.local", "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"},
        scheduler={},
    )
    return {
        "kube-apiserver-pods.yaml": to_yaml(
            klist([apiserver_pod("cp1", LEGACY_KEYCLOAK, "registry.k8s.io/kube-apiserver:v1.30.6")])
        ),
        "kubeadm-config.yaml": to_yaml(kube.kubeadm_configmap(to_yaml(cc))),
        "rbac.yaml": rbac_yaml(binding("oidc-platform-admins", "cluster-admin", group("oidc:platform"))),
        "id_token.txt": idp.keycloak_token() + "\n",
        "certs.json": CERTS,
        "openid-configuration.json": compact(idp.keycloak_discovery()),
        "whoami.yaml": to_yaml(kube.whoami("oidc:alice@example.com", ALICE_GROUPS)),
    }


DEX_OIDC = Oidc(idp.DEX, "kubernetes", "email", "dex:", "groups", "dex:")
DEX_GROUPS = ["dex:acme:platform", "dex:acme:sre", "system:authenticated"]


def _kubeadm_v1beta4_dex(rbac_group: str) -> Files:
    cc = kube.cluster_configuration(
        "v1beta4",
        DEX_OIDC.kubeadm_v1beta4(),
        caCertificateValidityPeriod="87600h0m0s",
        certificateValidityPeriod="8760h0m0s",
        certificatesDir="/etc/kubernetes/pki",
        clusterName="kubernetes",
        controllerManager={},
        dns={},
        encryptionAlgorithm="RSA-2048",
        etcd={"local": {"dataDir": "/var/lib/etcd"}},
        imageRepository="registry.k8s.io",
        kubernetesVersion="v1.31.4",
        networking={"dnsDomain": "cluster.local", "serviceSubnet": "10.96.0.0/12"},
        proxy={},
        scheduler={},
    )
    return {
        "kubeadm-config.yaml": to_yaml(kube.kubeadm_configmap(to_yaml(cc))),
        "rbac.yaml": rbac_yaml(binding("platform-edit", "edit", group(rbac_group), ns="platform")),
        "id_token.txt": idp.token("dex", idp.dex_claims()),
        "keys.json": to_json(idp.provider_jwks("dex")),
    }


@bundle(
    "kubeadm-v1beta4-dex-FAILS-group-name-mismatch",
    first="group-name-mismatch",
    username="dex:alice@example.com",
    groups=DEX_GROUPS,
    kinds={"kubeadm-config", "rbac", "token", "jwks", "error-text"},
)
def _kubeadm_v1beta4_dex_groups() -> Files:
    error = forbidden("dex:alice@example.com", "list", "deployments.apps", "apps", "platform")
    return {**_kubeadm_v1beta4_dex("acme:platform"), "kubectl-error.txt": error}


@bundle(
    "kubeadm-v1beta4-dex-HEALTHY",
    healthy=True,
    username="dex:alice@example.com",
    groups=DEX_GROUPS,
    kinds={"kubeadm-config", "rbac", "token", "jwks", "live"},
)
def _kubeadm_v1beta4_healthy() -> Files:
    return {
        **_kubeadm_v1beta4_dex("dex:acme:platform"),
        "whoami.yaml": to_yaml(kube.whoami("dex:alice@example.com", DEX_GROUPS)),
    }


K3S_PREFERRED = Oidc(KEYCLOAK, "kubernetes", "preferred_username", None, "groups", "oidc:")


@bundle(
    "k3s-node-args-FAILS-username-prefix-mismatch",
    first="username-prefix-mismatch",
    username=f"{KEYCLOAK}#alice",
    groups=ALICE_GROUPS,
    kinds={"node-args", "rbac", "token", "error-text", "apiserver-log"},
)
def _k3s_prefix() -> Files:
    args = ["server", "--cluster-init", "--disable", "traefik", *K3S_PREFERRED.k3s_args(), "--token", "********"]
    agent = ["agent", "--server", "https://10.0.0.11:6443", "--token", "********"]
    nodes = klist([kube.k3s_node("k3s-server-1", args), kube.k3s_node("k3s-agent-1", agent, server=False)])
    flags = " ".join(
        sorted(
            [
                "--advertise-address=10.0.0.11",
                "--anonymous-auth=false",
                "--authorization-mode=Node,RBAC",
                *K3S_PREFERRED.flags(),
                "--secure-port=6444",
            ]
        )
    )
    journal = [
        logs.journald(
            "Nov 28 09:12:40",
            "k3s-server-1",
            "k3s",
            812,
            logs.logrus("2026-11-28T09:12:40Z", f"Running kube-apiserver {flags}"),
        ),
        logs.journald(
            "Nov 28 09:12:41",
            "k3s-server-1",
            "k3s",
            812,
            logs.klog(
                "I", "1128 09:12:41.204211", "options.go:228", "external host was not specified, using 10.0.0.11", 812
            ),
        ),
        logs.journald(
            "Nov 28 10:25:02",
            "k3s-server-1",
            "k3s",
            812,
            logs.klog(
                "I",
                "1128 10:25:02.118034",
                "trace.go:236",
                'Trace[1811536310]: "List" accept:application/json;as=Table;v=v1;g=meta.k8s.io,application/json;g=meta.k8s.io,application/json,audit-id:6c0f3e0e,client:10.0.0.50,api-group:,api-version:v1,name:,subresource:,namespace:dev,protocol:HTTP/2.0,resource:pods,scope:namespace,url:/api/v1/namespaces/dev/pods,user-agent:kubectl/v1.31.4 (linux/amd64) kubernetes/a78aa47,verb:LIST (28-Nov-2026 10:25:02.004) (total time: 113ms):',
                812,
            ),
        ),
    ]
    return {
        "nodes.yaml": to_yaml(nodes),
        "rbac.yaml": rbac_yaml(binding("alice-edit", "edit", user("alice"), ns="dev")),
        "token.txt": "Bearer " + idp.keycloak_token() + "\n",
        "certs.json": CERTS,
        "what-kubectl-said.txt": forbidden(f"{KEYCLOAK}#alice", "list", "pods", "", "dev"),
        "journalctl-k3s.log": logs.lines(*journal),
    }


@bundle(
    "k3s-nodes-json-journald-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"node-args", "token", "jwks", "apiserver-log"},
)
def _k3s_aud() -> Files:
    args = ["server", *Oidc(KEYCLOAK, "kubernetes", "email", None, "groups").k3s_args()]
    err = logs.audience("kubernetes", "kubeapps")

    def line(stamp: str, text: str) -> str:
        return logs.journald(stamp, "k3s-server-1", "k3s", 812, text)

    journal = [
        line(
            "Nov 28 10:20:01",
            logs.klog(
                "I",
                "1128 10:20:01.551203",
                "controller.go:615",
                "quota admission added evaluator for: leases.coordination.k8s.io",
                812,
            ),
        ),
        line("Nov 28 10:24:58", logs.unable(err, "1128 10:24:58.412090", 812)),
        line("Nov 28 10:25:03", logs.unable(err, "1128 10:25:03.009871", 812)),
    ]
    return {
        "nodes.json": to_json(klist([kube.k3s_node("k3s-server-1", args)])),
        "journalctl-u-k3s.txt": logs.lines(*journal),
        **keycloak(**TO_KUBEAPPS),
    }


@bundle(
    "rke2-okta-kubelogin-HEALTHY",
    healthy=True,
    username="alice@example.com",
    groups=["okta:Everyone", "okta:k8s-admins", "system:authenticated"],
    kinds={"node-args", "rbac", "token", "jwks", "discovery"},
)
def _rke2_healthy() -> Files:
    args = [
        "server",
        *Oidc(OKTA, OKTA_CLIENT, "email", None, "groups", "okta:").k3s_args(),
        "--tls-san",
        "rke2.example.com",
    ]
    claims = idp.okta_claims()
    return {
        "nodes.json": to_json(klist([kube.k3s_node("rke2-cp-1", args, distro="rke2")])),
        "rbac.json": to_json(rbac(binding("okta-k8s-admins", "cluster-admin", group("okta:k8s-admins")))),
        "get-token.json": json.dumps(kube.exec_credential(idp.token("okta", claims), claims["exp"])) + "\n",
        "keys.json": compact(idp.provider_jwks("okta")),
        "openid-configuration.json": compact(idp.generic_discovery(OKTA, f"{OKTA}/v1/keys")),
    }


@bundle(
    "k3s-config-file-HEALTHY",
    healthy=True,
    username="alice@example.com",
    groups=ALICE_GROUPS,
    kinds={"node-args", "token", "jwks", "rbac"},
)
def _k3s_config_healthy() -> Files:
    head = ['write-kubeconfig-mode: "0644"', "tls-san:", '  - "k3s.example.com"', "disable:", "  - traefik"]
    return {
        "etc-rancher-k3s-config.yaml": Oidc(KEYCLOAK, "kubernetes", "email", None, "groups", "oidc:").k3s_config(*head),
        "rbac.yaml": dev_edit(),
        **keycloak(),
    }


@bundle(
    "k3s-journald-only-FAILS-username-prefix-mismatch",
    first="username-prefix-mismatch",
    username=f"{KEYCLOAK}#alice",
    groups=ALICE_GROUPS,
    kinds={"apiserver-log", "rbac", "token", "jwks"},
)
def _k3s_journald_prefix() -> Files:
    """Only ``journalctl -u k3s``: the first start had ``oidc-username-prefix=oidc:``; the restart
    after editing config.yaml dropped it, so the last start's flags make ``<issuer>#alice``. No
    kubectl output: the username comes from the flags alone."""
    common = K3S_PREFERRED.kv()
    d = "/var/lib/rancher/k3s"
    journal = [
        "Nov 27 16:40:11 k3s-server-1 systemd[1]: Starting k3s.service - Lightweight Kubernetes...",
        'Nov 27 16:40:12 k3s-server-1 k3s[655]: time="2026-11-27T16:40:12Z" level=info msg="Starting k3s v1.31.4+k3s1 (a4cb1b1d)"',
        logs.k3s_running_line(
            "2026-11-27T16:40:14Z", "k3s-server-1", "k3s", 655, [*common, "oidc-username-prefix=oidc:"], d
        ),
        "Nov 27 16:40:15 k3s-server-1 k3s[655]: I1127 16:40:15.102334     655 options.go:228] external host was not specified, using 10.0.0.11",
        "Nov 28 09:58:30 k3s-server-1 systemd[1]: Stopping k3s.service - Lightweight Kubernetes...",
        "Nov 28 09:58:31 k3s-server-1 systemd[1]: Starting k3s.service - Lightweight Kubernetes...",
        'Nov 28 09:58:32 k3s-server-1 k3s[812]: time="2026-11-28T09:58:32Z" level=info msg="Starting k3s v1.31.4+k3s1 (a4cb1b1d)"',
        logs.k3s_running_line("2026-11-28T09:58:34Z", "k3s-server-1", "k3s", 812, common, d),
        "Nov 28 09:58:35 k3s-server-1 k3s[812]: I1128 09:58:35.204211     812 options.go:228] external host was not specified, using 10.0.0.11",
        'Nov 28 09:58:41 k3s-server-1 k3s[812]: time="2026-11-28T09:58:41Z" level=info msg="k3s is up and running"',
    ]
    return {
        "journalctl-u-k3s.log": logs.lines(*journal),
        "rbac.yaml": rbac_yaml(binding("alice-edit", "edit", user("oidc:alice"), ns="dev")),
        "id_token.txt": idp.keycloak_token() + "\n",
        "certs.json": CERTS,
    }


@bundle(
    "rke2-journald-only-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-log", "token", "jwks"},
)
def _rke2_journald_aud() -> Files:
    """Only ``journalctl -u rke2-server`` (gzip, no failure logged yet): RKE2 logs the same line as
    k3s; the client id is ``kubernetes``, the token was issued to ``kubeapps``."""
    flags = Oidc(KEYCLOAK, "kubernetes", "email", None, "groups", "oidc:").kv()
    journal = [
        'Nov 28 08:02:10 rke2-cp-1 rke2[1502]: time="2026-11-28T08:02:10Z" level=info msg="Starting rke2 v1.31.4+rke2r1 (2c3e9ac8)"',
        logs.k3s_running_line("2026-11-28T08:02:19Z", "rke2-cp-1", "rke2", 1502, flags, "/var/lib/rancher/rke2"),
        'Nov 28 08:02:19 rke2-cp-1 rke2[1502]: time="2026-11-28T08:02:19Z" level=info msg="Waiting for API server to become available"',
    ]
    return {
        "journalctl-u-rke2-server.log.gz": gzip.compress(logs.lines(*journal).encode(), mtime=0),
        **keycloak(**TO_KUBEAPPS),
    }


# --- EKS and GKE -------------------------------------------------------------------------------


@bundle(
    "eks-google-HEALTHY",
    healthy=True,
    username="google:alice@example.com",
    kinds={"eks-idp", "rbac", "token", "jwks"},
)
def _eks_google_healthy() -> Files:
    return {
        "identity-provider-config.json": eks_json(GOOGLE_EKS),
        "rbac.yaml": rbac_yaml(binding("alice-view", "view", user("google:alice@example.com"))),
        **signed("google", idp.google_claims(), "id_token", "google-certs.json"),
    }


@bundle(
    "eks-google-FAILS-username-prefix-mismatch",
    first="username-prefix-mismatch",
    username="google:alice@example.com",
    kinds={"eks-idp", "rbac", "token", "jwks", "error-text"},
)
def _eks_prefix() -> Files:
    return {
        "identity-provider-config.json": eks_json(GOOGLE_EKS),
        "rbac.yaml": rbac_yaml(binding("alice-view", "view", user("alice@example.com"))),
        **signed("google", idp.google_claims(), "id_token", "google-certs.json"),
        "error.txt": forbidden("google:alice@example.com", "list", "pods", "", "default"),
    }


@bundle(
    "eks-okta-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"eks-idp", "token", "jwks", "error-text"},
)
def _eks_okta_aud() -> Files:
    return {
        "idp.json": eks_json(OKTA_EKS),
        **signed("okta", idp.okta_claims(aud="0oaDashboardApp1234")),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "okta-access-token-eks-FAILS-wrong-token-type",
    first="wrong-token-type",
    kinds={"eks-idp", "token", "jwks", "error-text"},
)
def _okta_access_token() -> Files:
    return {
        "idp.json": eks_json(OKTA_EKS),
        **signed("okta", idp.okta_access_claims(), "token.txt"),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "eks-config-creating-FAILS-oidc-not-configured",
    first="oidc-not-configured",
    kinds={"eks-idp", "token", "jwks", "error-text"},
)
def _eks_creating() -> Files:
    return {"idp.json": eks_json(OKTA_EKS, "CREATING"), **signed("okta", idp.okta_claims()), "error.txt": UNAUTHORIZED}


GKE = Oidc(KEYCLOAK, "kubernetes", "email", "kc:", "groups", "kc:")


@bundle(
    "gke-clientconfig-FAILS-groups-claim-missing",
    first="groups-claim-missing",
    kinds={"gke-clientconfig", "rbac", "token", "error-text"},
)
def _gke_groups_missing() -> Files:
    return {
        "clientconfig.yaml": to_yaml(kube.gke_clientconfig(GKE)),
        "rbac.yaml": dev_edit("kc:"),
        **keycloak(groups=None),
        "error.txt": forbidden("kc:alice@example.com", "list", "pods", "", "dev"),
    }


@bundle(
    "gke-clientconfig-HEALTHY",
    healthy=True,
    kinds={"gke-clientconfig", "token", "jwks", "rbac"},
)
def _gke_healthy() -> Files:
    return {"clientconfig.yaml": to_yaml(kube.gke_clientconfig(GKE)), "rbac.yaml": dev_edit("kc:"), **keycloak()}


# --- structured authentication configuration ---------------------------------------------------


@bundle(
    "authconfig-v1-keycloak-gitlab-cel-HEALTHY",
    healthy=True,
    username="gitlab:alice",
    groups=["gitlab:acme/platform-team", "gitlab:acme", "system:authenticated"],
    kinds={"apiserver-pod", "auth-config", "rbac", "token", "jwks"},
)
def _authconfig_v1_healthy() -> Files:
    cfg = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {KEYCLOAK}
    audiences:
    - kubernetes
  claimValidationRules:
  - expression: 'claims.email_verified == true'
    message: email must be verified
  claimMappings:
    username:
      claim: email
      prefix: "keycloak:"
    groups:
      claim: groups
      prefix: "keycloak:"
- issuer:
    url: {GITLAB}
    audiences:
    - {GITLAB_APP}
    audienceMatchPolicy: MatchAny
  claimValidationRules:
  - expression: 'has(claims.email_verified) && claims.email_verified'
    message: GitLab email must be verified
  claimMappings:
    username:
      expression: '"gitlab:" + claims.preferred_username'
    groups:
      expression: 'claims.groups_direct.map(g, "gitlab:" + g)'
    uid:
      claim: sub
    extra:
    - key: example.com/gitlab-profile
      valueExpression: claims.profile
  userValidationRules:
  - expression: "!user.username.startsWith('system:')"
    message: username cannot use reserved system prefix
"""
    return {
        "kube-apiserver.yaml": AUTH_CONFIG_POD,
        "auth-config.yaml": cfg,
        "rbac.yaml": rbac_yaml(binding("gitlab-platform-team", "edit", group("gitlab:acme/platform-team"))),
        **signed("gitlab", idp.gitlab_claims(), jwks_file="gitlab-jwks.json"),
    }


def auth_config(version: str, *jwt: dict[str, Any]) -> dict[str, Any]:
    """An ``AuthenticationConfiguration`` (``apiserver.config.k8s.io/<version>``)."""
    return {"apiVersion": f"apiserver.config.k8s.io/{version}", "kind": "AuthenticationConfiguration", "jwt": list(jwt)}


@bundle(
    "authconfig-v1beta1-FAILS-required-claim-mismatch",
    first="required-claim-mismatch",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _authconfig_v1beta1_rule() -> Files:
    rule = {"expression": "'k8s-users' in claims.groups", "message": "user is not in the k8s-users group"}
    cfg = auth_config(
        "v1beta1",
        {
            "issuer": {"url": KEYCLOAK, "audiences": ["kubernetes"]},
            "claimValidationRules": [rule],
            "claimMappings": {
                "username": {"claim": "email", "prefix": ""},
                "groups": {"claim": "groups", "prefix": ""},
            },
        },
    )
    return {
        "kube-apiserver.yaml": AUTH_CONFIG_POD,
        "authentication-config.yaml": to_yaml(cfg),
        **keycloak(),
        "error.txt": UNAUTHORIZED,
    }


def azure_token(**claims: Any) -> dict[str, Any]:
    """Azure claims with groups inline (no overage)."""
    return idp.azure_claims(_claim_names=None, _claim_sources=None, **claims)


@bundle(
    "authconfig-v1beta1-azure-FAILS-groups-distributed-claims",
    first="groups-distributed-claims",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _azure_overage() -> Files:
    claims = idp.azure_claims()
    mapping = {"username": {"claim": "oid", "prefix": "aad:"}, "groups": {"claim": "groups", "prefix": "aad:"}}
    cfg = auth_config("v1beta1", {"issuer": {"url": AZURE, "audiences": [claims["aud"]]}, "claimMappings": mapping})
    kid = idp.KID["azure"]
    key = {**idp.provider_jwks("azure")["keys"][0], "x5t": kid, "issuer": AZURE}
    return {
        "kube-apiserver.yaml": to_yaml(kube.auth_config_pod("aks-like-cp")),
        "auth-config.yaml": to_yaml(cfg),
        "id_token.txt": idp.token("azure", claims),
        "keys.json": compact({"keys": [key]}),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "authconfig-v1-azure-FAILS-claim-mapping-error-upn",
    first="claim-mapping-error",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _azure_upn() -> Files:
    claims = azure_token(groups=["f4b5c6d7-0000-4e8a-9c1f-2d6b8e4a7f01"])
    cfg = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {AZURE}
    audiences:
    - {claims["aud"]}
  claimMappings:
    username:
      expression: '"aad:" + claims.upn'
    groups:
      claim: groups
      prefix: "aad:"
"""
    return {
        "kube-apiserver.yaml": AUTH_CONFIG_POD,
        "structured-authn.yaml": cfg,
        **signed("azure", claims),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "authconfig-v1-discovery-url-in-cluster-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "discovery", "rbac"},
)
def _authconfig_discovery_url() -> Files:
    # The API server reaches Keycloak through its Service (issuer.discoveryURL); the discovery
    # document still names the public issuer, which must equal issuer.url.
    ca = "".join(f"      {line}\n" for line in ca_certificate_pem().splitlines())
    cfg = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {KEYCLOAK}
    discoveryURL: https://keycloak.keycloak.svc.cluster.local:8443/realms/k8s/.well-known/openid-configuration
    certificateAuthority: |
{ca}    audiences:
    - kubernetes
  claimMappings:
    username:
      claim: email
      prefix: "oidc:"
    groups:
      claim: groups
      prefix: "oidc:"
"""
    return {
        "kube-apiserver.yaml": AUTH_CONFIG_POD,
        "auth-config.yaml": cfg,
        "rbac.yaml": dev_edit(),
        **keycloak(),
        "openid-configuration.json": compact(idp.keycloak_discovery()),
    }


def _okta_keycloak_config(okta_rules: list[dict[str, str]]) -> dict[str, Any]:
    keycloak_jwt = {
        "issuer": {"url": KEYCLOAK, "audiences": ["kubernetes"]},
        "claimMappings": {
            "username": {"claim": "email", "prefix": "kc:"},
            "groups": {"claim": "groups", "prefix": "kc:"},
        },
    }
    okta_jwt = {
        "issuer": {"url": OKTA, "audiences": [OKTA_CLIENT, "0oaDashboardApp1234"], "audienceMatchPolicy": "MatchAny"},
        "claimValidationRules": okta_rules,
        "claimMappings": {
            "username": {"expression": "'okta:' + claims.email"},
            "groups": {"expression": "claims.groups.map(g, 'okta:' + g)"},
            "uid": {"claim": "sub"},
        },
        "userValidationRules": [
            {"expression": "user.groups.exists(g, g == 'okta:k8s-admins')", "message": "only k8s-admins may log in"}
        ],
    }
    return auth_config("v1beta1", keycloak_jwt, okta_jwt)


OKTA_RULES = [
    {"expression": "claims.ver == 1", "message": "only Okta v1 tokens"},
    {"expression": "claims.email_verified == true", "message": "the email must be verified"},
    {"expression": "'pwd' in claims.amr && 'mfa' in claims.amr", "message": "MFA is required"},
]


@bundle(
    "authconfig-v1beta1-okta-keycloak-rules-HEALTHY",
    healthy=True,
    username="okta:alice@example.com",
    groups=["okta:Everyone", "okta:k8s-admins", "system:authenticated"],
    kinds={"apiserver-pod", "auth-config", "rbac", "token", "jwks"},
)
def _authconfig_v1beta1_healthy() -> Files:
    return {
        "kube-apiserver.yaml": AUTH_CONFIG_POD,
        "auth-config.yaml": to_yaml(_okta_keycloak_config(OKTA_RULES)),
        "rbac.yaml": rbac_yaml(binding("okta-admins", "cluster-admin", group("okta:k8s-admins"))),
        **signed("okta", idp.okta_claims()),
    }


@bundle(
    "authconfig-v1beta1-FAILS-oidc-config-invalid-email-without-email-verified",
    first="oidc-config-invalid",
    kinds={"apiserver-pod", "auth-config", "token", "jwks", "error-text"},
)
def _authconfig_email_unverified_rule() -> Files:
    rules = [r for r in OKTA_RULES if "email_verified" not in r["expression"]]
    refused = (
        "The connection to the server cp1.example.com:6443 was refused - did you specify the right host or port?\n"
    )
    return {
        "kube-apiserver.yaml": AUTH_CONFIG_POD,
        "auth-config.yaml": to_yaml(_okta_keycloak_config(rules)),
        **signed("okta", idp.okta_claims()),
        "error.txt": refused + UNAUTHORIZED,
    }


# --- Kubeapps, Headlamp, oauth2-proxy ----------------------------------------------------------

OLD_PROXY = "docker.io/bitnami/oauth2-proxy:7.1.3-debian-10-r66"


@bundle(
    "kubeapps-helm-template-FAILS-proxy-cookie-refresh-missing",
    first="proxy-cookie-refresh-missing",
    present=["token-expired"],
    kinds={"apiserver-pod", "workload", "token", "jwks", "apiserver-log", "proxy-log"},
)
def _kubeapps_refresh() -> Files:
    claims = idp.keycloak_claims(iat=NOW - 420, exp=NOW - 120, auth_time=NOW - 425)
    apiserver_log = [
        logs.klog("I", -3000, "options.go:221", "external host was not specified, using 10.0.0.10"),
        logs.unable(logs.expired(claims["exp"]), -110),
        logs.unable(logs.expired(claims["exp"]), -20),
    ]
    session = "Session{email:alice@example.com user:3f2a9c1e-7b5d-4e8a-9c1f-2d6b8e4a7f01 PreferredUsername:alice token:true id_token:true created:2026-11-28 10:18:00 +0000 UTC expires:2026-11-28 10:23:00 +0000 UTC refresh_token:true groups:[dev platform]}"
    proxy_log = [
        logs.proxy_std(
            "2026/11/28 09:05:11",
            "main.go:54",
            "oauthproxy.go:160: OAuthProxy configured for OpenID Connect Client ID: kubernetes",
        ),
        logs.proxy_cookie_settings("2026/11/28 09:05:11", "disabled"),
        logs.proxy_auth(
            "2026/11/28 10:18:00",
            "0c1f3e5a-8d2b-4a4f-9c61-3b0d9e2f7a11",
            "alice@example.com",
            "AuthSuccess",
            f"Authenticated via OAuth2: {session}",
        ),
        logs.proxy_request(
            "2026/11/28 10:23:22",
            "8f4b2c1d-6e3a-4b5c-9d8e-7f6a5b4c3d2e",
            "alice@example.com",
            "/api/clusters/default/namespaces",
            401,
            84,
            "0.011",
        ),
        logs.proxy_request(
            "2026/11/28 10:24:52",
            "2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "alice@example.com",
            "/apis/kubeapps.apis/core/packages/v1alpha1/availablepackages",
            401,
            84,
            "0.009",
        ),
    ]
    return {
        "helm-template-kubeapps.yaml": apps.kubeapps_helm_template("kubeapps-7.0.0", "2.3.2", OLD_PROXY, []),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "id_token.txt": sign(claims, idp.KID["keycloak"]),
        "certs.json": CERTS,
        "kube-apiserver.log": logs.lines(*apiserver_log),
        "auth-proxy.log": logs.lines(*proxy_log),
    }


@bundle(
    "kubeapps-helm-template-oauth2-proxy-7-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "token", "jwks", "rbac"},
)
def _kubeapps_healthy() -> Files:
    return {
        "helm-template-kubeapps.yaml": apps.kubeapps_helm_template(
            "kubeapps-14.1.2", "2.9.0", "docker.io/bitnami/oauth2-proxy:7.5.1-debian-11-r11", ["--cookie-refresh=2m"]
        ),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "rbac.yaml": dev_edit(),
        **keycloak(),
    }


@bundle(
    "combo-kubeapps-FAILS-audience-mismatch-before-proxy-cookie-refresh-missing",
    first="audience-mismatch",
    present=["proxy-cookie-refresh-missing"],
    kinds={"apiserver-pod", "workload", "token", "jwks", "apiserver-log"},
)
def _combo_aud_refresh() -> Files:
    return {
        "helm-template-kubeapps.yaml": apps.kubeapps_helm_template("kubeapps-7.0.0", "2.3.2", OLD_PROXY, []),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(**TO_KUBEAPPS),
        "kube-apiserver.log": logs.lines(logs.unable(logs.audience("kubernetes", "kubeapps"), -3)),
    }


@bundle(
    "kubeapps-helm-release-secrets-FAILS-proxy-cookie-refresh-missing",
    first="proxy-cookie-refresh-missing",
    kinds={"apiserver-pod", "workload", "helm-release", "token", "jwks", "error-text"},
)
def _kubeapps_release() -> Files:
    flags = [f"--oidc-issuer-url={KEYCLOAK}", "--scope=openid email groups"]
    config = {
        "authProxy": {
            "enabled": True,
            "provider": "oidc",
            "clientID": "kubernetes",
            "clientSecret": "not-the-real-secret",
            "cookieSecret": "bm90LXRoZS1yZWFsLXNlY3JldA==",
            "additionalFlags": flags,
        }
    }
    release = ("kubeapps", "kubeapps")
    secrets = klist(
        [
            apps.helm_release_secret(
                *release, 1, "superseded", "kubeapps", "7.0.0", "2.3.2", {"authProxy": {"enabled": False}}
            ),
            apps.helm_release_secret(*release, 2, "deployed", "kubeapps", "7.0.0", "2.3.2", config),
        ]
    )
    return {
        "helm-secrets.yaml": to_yaml(secrets),
        "kubeapps-deploy.yaml": to_yaml(apps.kubeapps_deployment("kubeapps-7.0.0", OLD_PROXY, flags)),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(),
        "what-users-say.txt": "Kubeapps logs me out every 5 minutes and shows 'Unauthorized' until I log in again\n",
    }


def headlamp_proxy(*extra: str) -> str:
    """The oauth2-proxy chart in front of Headlamp; ``extra`` args go after ``--cookie-refresh``."""
    args = apps.HEADLAMP_PROXY_ARGS
    return to_yaml(apps.oauth2_proxy_chart([*args[:4], *extra, *args[4:]]))


@bundle(
    "headlamp-oauth2-proxy-FAILS-proxy-token-not-forwarded",
    first="proxy-token-not-forwarded",
    kinds={"apiserver-pod", "workload", "token", "jwks", "error-text"},
)
def _headlamp_not_forwarded() -> Files:
    return {
        "headlamp-ns.yaml": headlamp_proxy(),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(),
        "error.txt": kube.ANONYMOUS_NAMESPACES,
    }


@bundle(
    "combo-headlamp-FAILS-proxy-token-not-forwarded-before-groups-claim-missing",
    first="proxy-token-not-forwarded",
    kinds={"apiserver-pod", "token", "jwks", "workload", "rbac", "error-text"},
)
def _combo_anon_groups() -> Files:
    return {
        "headlamp-ns.yaml": headlamp_proxy(),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(groups=None),
        "error.txt": kube.ANONYMOUS_NAMESPACES,
        "rbac.yaml": rbac_yaml(binding("oidc-dev-view", "view", group("oidc:dev"))),
    }


@bundle(
    "headlamp-oauth2-proxy-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "token", "jwks", "rbac", "live"},
)
def _headlamp_healthy() -> Files:
    return {
        "headlamp-ns.yaml": headlamp_proxy("--pass-authorization-header=true"),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(),
        "rbac.yaml": rbac_yaml(binding("oidc-platform-view", "view", group("oidc:platform"))),
        "whoami.yaml": to_yaml(kube.whoami("oidc:alice@example.com", ALICE_GROUPS)),
    }


def auth_request_proxy() -> str:
    """oauth2-proxy chart in auth_request mode (the chart's config keeps `upstreams = [ "file:///dev/null" ]`)."""
    args = [a for a in apps.HEADLAMP_PROXY_ARGS if not a.startswith("--upstream=")]
    return to_yaml(
        apps.oauth2_proxy_chart(
            [*args, "--reverse-proxy=true", "--set-xauthrequest=true", "--set-authorization-header=true"]
        )
    )


@bundle(
    "headlamp-ingress-auth-url-oauth2-proxy-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "ingress", "token", "jwks", "rbac"},
)
def _headlamp_auth_url_healthy() -> Files:
    return {
        "oauth2-proxy.yaml": auth_request_proxy(),
        "headlamp-ingress.yaml": to_yaml(apps.headlamp_ingress(apps.auth_url_annotations("Authorization"))),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "rbac.yaml": rbac_yaml(binding("oidc-platform-view", "view", group("oidc:platform"))),
        **keycloak(),
    }


@bundle(
    "headlamp-ingress-auth-url-FAILS-proxy-token-not-forwarded",
    first="proxy-token-not-forwarded",
    kinds={"apiserver-pod", "workload", "ingress", "token", "jwks", "error-text"},
)
def _headlamp_auth_url_missing_header() -> Files:
    annotations = apps.auth_url_annotations("X-Auth-Request-User,X-Auth-Request-Email")
    return {
        "oauth2-proxy.yaml": auth_request_proxy(),
        "headlamp-ingress.yaml": to_yaml(apps.headlamp_ingress(annotations)),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(),
        "error.txt": kube.ANONYMOUS_NAMESPACES,
    }


@bundle(
    "oauth2-proxy-cfg-FAILS-proxy-cookie-refresh-too-long",
    first="proxy-cookie-refresh-too-long",
    kinds={"apiserver-pod", "token", "jwks", "workload", "configmap"},
)
def _refresh_too_long() -> Files:
    cfg = "\n".join(
        [
            'provider = "oidc"',
            f'oidc_issuer_url = "{KEYCLOAK}"',
            'client_id = "kubernetes"',
            'email_domains = [ "*" ]',
            'upstreams = [ "http://headlamp.headlamp.svc.cluster.local:80" ]',
            "pass_authorization_header = true",
            'cookie_refresh = "1h"',
            'cookie_expire = "168h"',
            'scope = "openid email groups"',
        ]
    )
    return {
        "oauth2-proxy.yaml": to_yaml(apps.oauth2_proxy_with_config_file(cfg)),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(),
    }


@bundle(
    "oauth2-proxy-log-FAILS-email-not-verified",
    first="email-not-verified",
    kinds={"apiserver-pod", "token", "jwks", "proxy-log"},
)
def _email_not_verified() -> Files:
    proxy_log = [
        logs.proxy_cookie_settings("2026/11/28 10:20:02", "after 2m0s"),
        logs.proxy_std(
            "2026/11/28 10:24:40",
            "oauthproxy.go:899",
            "Error creating session during OAuth2 callback: email in id_token (alice@example.com) isn't verified",
        ),
        logs.proxy_request(
            "2026/11/28 10:24:40",
            "7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
            "-",
            "/oauth2/callback?code=REDACTED&state=REDACTED",
            500,
            2987,
            "0.041",
        ),
    ]
    pod = apiserver_pod("cp1", Oidc(KEYCLOAK, "kubernetes", "email").flags())
    return {
        "kube-apiserver.yaml": to_yaml(pod),
        **keycloak(email_verified=False),
        "oauth2-proxy.log": logs.lines(*proxy_log),
    }


@bundle(
    "ingress-nginx-FAILS-proxy-header-too-large",
    first="proxy-header-too-large",
    kinds={"apiserver-pod", "token", "jwks", "ingress-log", "ingress"},
)
def _header_too_large() -> Files:
    groups = [f"team-{i:03d}-{'x' * 24}" for i in range(160)]
    callback = "/oauth2/callback?code=REDACTED&state=REDACTED"
    log = [
        *logs.INGRESS_NGINX_BANNER,
        logs.nginx_access(
            "203.0.113.7",
            "28/Nov/2026:10:24:59 +0000",
            f"GET {callback} HTTP/2.0",
            502,
            150,
            "https://keycloak.example.com/",
            logs.FIREFOX,
            "1342 0.038 [kubeapps-kubeapps-http] [] 10.42.1.17:3000 0 0.037 502 4c0b7f2e9d1a8b3c6e5f4a2d1c0b9a8e",
        ),
        logs.nginx_error(
            "2026/11/28 10:24:59",
            51207,
            logs.TOO_BIG_HEADER,
            client="203.0.113.7",
            server="kubeapps.example.com",
            request=f"GET {callback} HTTP/2.0",
            upstream=f"http://10.42.1.17:3000{callback}",
            host="kubeapps.example.com",
            referrer="https://keycloak.example.com/",
        ),
    ]
    return {
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "ingress.yaml": to_yaml(klist([apps.kubeapps_ingress()])),
        "ingress-nginx-controller.log": logs.lines(*log),
        **keycloak(groups=groups),
    }


@bundle(
    "headlamp-oidc-helm-template-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-pod", "workload", "token", "apiserver-log"},
)
def _headlamp_oidc_670() -> Files:
    """kubernetes-sigs/headlamp#670: Headlamp logs in with its own client; the API server wants `kubernetes`."""
    err = logs.audience("kubernetes", "headlamp")
    oidc = {
        "clientID": "headlamp",
        "clientSecret": "9pXf2kQ7vR4mW8sT1yB6nC3jH5dL0aZe",
        "issuerURL": KEYCLOAK,
        "scopes": "profile,email",
    }
    return {
        "helm-template-headlamp.yaml": apps.headlamp_helm_template(oidc),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "id_token.txt": idp.keycloak_token(aud="headlamp", azp="headlamp"),
        "kube-apiserver.log": logs.lines(logs.unable(err, -40), logs.unable(err, -5)),
    }


@bundle(
    "headlamp-oidc-helm-template-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "workload", "token", "jwks"},
)
def _headlamp_oidc_healthy() -> Files:
    oidc = {
        "clientID": "kubernetes",
        "clientSecret": "4hT8wQ2nV6xK0rM3pY7cJ1sF5gB9dLzA",
        "issuerURL": KEYCLOAK,
        "scopes": "profile,email,groups",
    }
    return {
        "helm-template-headlamp.yaml": apps.headlamp_helm_template(oidc),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(),
    }


# --- kind, minikube, plain kubeadm -------------------------------------------------------------

KIND_DEX = Oidc(DEX_KIND, "kubernetes", "email", None, "groups")


def _kind_ca(aud: str = "kubernetes") -> Files:
    pod = apiserver_pod("kind-control-plane", KIND_DEX.flags(), "registry.k8s.io/kube-apiserver:v1.31.2")
    cause = "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    lines = [
        logs.json_line(-4000.123, "app/server.go:169", "Version: v1.31.2", v=0),
        logs.json_line(
            -3990.412,
            "oidc/oidc.go:335",
            f'oidc authenticator: initializing plugin: Get "{DEX_KIND}/.well-known/openid-configuration": {cause}',
        ),
        logs.json_line(
            -13.5081,
            "authentication/authentication.go:73",
            "Unable to authenticate the request",
            err=logs.NOT_INITIALIZED,
        ),
    ]
    return {
        "kube-apiserver-kind-control-plane.yaml": to_yaml(pod),
        "kube-apiserver.log": logs.lines(*lines),
        "id_token.txt": idp.token("dex-kind", idp.dex_claims(iss=DEX_KIND, aud=aud)),
    }


@bundle(
    "kind-json-log-FAILS-issuer-ca-untrusted",
    first="issuer-ca-untrusted",
    kinds={"apiserver-pod", "token", "apiserver-log"},
)
def _kind_ca_untrusted() -> Files:
    return _kind_ca()


@bundle(
    "combo-kind-FAILS-issuer-ca-untrusted-before-audience-mismatch",
    first="issuer-ca-untrusted",
    kinds={"apiserver-pod", "token", "apiserver-log"},
)
def _combo_ca_aud() -> Files:
    return _kind_ca("headlamp")


@bundle(
    "kind-config-dex-HEALTHY",
    healthy=True,
    username="alice@example.com",
    groups=["acme:platform", "acme:sre", "system:authenticated"],
    kinds={"kubeadm-config", "token", "jwks", "rbac"},
)
def _kind_config_healthy() -> Files:
    extra_args = "".join(
        f"        {k}: {v}\n"
        for k, v in Oidc(
            DEX_KIND, "kubernetes", "email", None, "groups", ca_file="/etc/ca-certificates/dex/ca.pem"
        ).pairs()
    )
    cfg = f"""kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: oidc
nodes:
- role: control-plane
  kubeadmConfigPatches:
  - |
    kind: InitConfiguration
    nodeRegistration:
      kubeletExtraArgs:
        node-labels: "ingress-ready=true"
  - |
    kind: ClusterConfiguration
    apiServer:
      extraArgs:
{extra_args}  extraMounts:
  - hostPath: ./dex-ca.pem
    containerPath: /etc/ca-certificates/dex/ca.pem
    readOnly: true
- role: worker
"""
    return {
        "kind-oidc.yaml": cfg,
        "rbac.yaml": rbac_yaml(binding("acme-platform-admin", "cluster-admin", group("acme:platform"))),
        **signed("dex-kind", idp.dex_claims(iss=DEX_KIND)),
    }


@bundle(
    "combo-kind-FAILS-issuer-mismatch-before-groups-claim-missing",
    first="issuer-mismatch",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "error-text"},
)
def _combo_iss_groups() -> Files:
    flags = Oidc(f"{KEYCLOAK}/", "kubernetes", "email", None, "groups").flags()
    return {
        "kube-apiserver.yaml": to_yaml(
            apiserver_pod("kind-control-plane", flags, "registry.k8s.io/kube-apiserver:v1.31.2")
        ),
        "rbac.yaml": rbac_yaml(binding("dev-edit", "edit", group("dev"), ns="dev")),
        **keycloak(groups=None),
        "error.txt": UNAUTHORIZED,
    }


def _expired_log(host_ip: str) -> str:
    return logs.lines(
        logs.klog("I", -7200, "options.go:228", f"external host was not specified, using {host_ip}"),
        logs.unable(logs.expired(NOW - 600), -4),
    )


@bundle(
    "minikube-klog-FAILS-token-expired",
    first="token-expired",
    kinds={"apiserver-pod", "token", "apiserver-log", "error-text"},
)
def _minikube_expired() -> Files:
    pod = apiserver_pod(
        "minikube", Oidc(KEYCLOAK, "kubernetes", "email").flags(), "registry.k8s.io/kube-apiserver:v1.31.0"
    )
    kubectl = "E1128 10:25:08.318522   48211 memcache.go:265] couldn't get current server API group list: the server has asked for the client to provide credentials\n"
    return {
        "pods.yaml": to_yaml(klist([pod])),
        "apiserver.log": _expired_log("192.168.49.2"),
        **keycloak("kubeconfig-token.txt", **EXPIRED),
        "kubectl.txt": kubectl + UNAUTHORIZED,
    }


@bundle(
    "minikube-describe-pod-FAILS-username-claim-missing",
    first="username-claim-missing",
    kinds={"apiserver-pod", "token", "jwks", "error-text"},
)
def _minikube_describe() -> Files:
    flags = Oidc(KEYCLOAK, "kubernetes", "upn", "-").flags()
    return {
        "describe-kube-apiserver.txt": kube.describe_apiserver(
            "minikube", flags, "registry.k8s.io/kube-apiserver:v1.31.0"
        ),
        **keycloak(),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "minikube-describe-pod-HEALTHY",
    healthy=True,
    username="alice",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _minikube_healthy() -> Files:
    flags = Oidc(KEYCLOAK, "kubernetes", "preferred_username", "-", "groups").flags()
    return {
        "describe-kube-apiserver.txt": kube.describe_apiserver(
            "minikube", flags, "registry.k8s.io/kube-apiserver:v1.31.0"
        ),
        "rbac.yaml": rbac_yaml(binding("alice-admin", "cluster-admin", user("alice"))),
        **keycloak(),
    }


@bundle(
    "kubeadm-google-legacy-iss-without-scheme-HEALTHY",
    healthy=True,
    username="alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _google_iss() -> Files:
    # Google may still issue `iss: accounts.google.com`; kube-apiserver's oidc.go coalesces it with
    # "https://accounts.google.com" (untrustedIssuer), and go-oidc accepts it: not a mismatch.
    claims = idp.google_claims(iss="accounts.google.com")
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", Oidc(GOOGLE, claims["aud"], "email").flags())),
        "rbac.yaml": rbac_yaml(binding("alice-view", "view", user("alice@example.com"))),
        **signed("google", claims, jwks_file="google-certs.json"),
    }


@bundle(
    "combo-kubeadm-FAILS-audience-mismatch-and-token-expired",
    first="audience-mismatch",
    present=["token-expired"],
    kinds={"apiserver-pod", "token", "jwks", "apiserver-log"},
)
def _combo_aud_expired() -> Files:
    return {
        "kube-apiserver.yaml": KEYCLOAK_POD,
        **keycloak(**TO_KUBEAPPS, iat=NOW - 900, exp=NOW - 600),
        "kube-apiserver.log": logs.lines(logs.unable(logs.audience("kubernetes", "kubeapps"), -3)),
    }


@bundle(
    "combo-kubeadm-FAILS-token-expired-before-rbac-no-binding",
    first="token-expired",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "error-text"},
)
def _combo_expired_rbac() -> Files:
    return {
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "rbac.yaml": rbac_yaml(binding("ops-edit", "edit", group("oidc:ops"), ns="ops")),
        **keycloak(iat=NOW - 1200, exp=NOW - 900),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "kubeadm-config-edited-pod-not-restarted-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-pod", "kubeadm-config", "token", "jwks", "error-text"},
)
def _kubeadm_config_drift() -> Files:
    edited = Oidc(KEYCLOAK, "kubeapps", "email", "oidc:", "groups", "oidc:")
    cc = kube.cluster_configuration("v1beta3", edited.kubeadm_v1beta3(), kubernetesVersion="v1.30.6")
    return {
        "kube-apiserver-pods.yaml": to_yaml(klist([apiserver_pod("cp1", LEGACY_KEYCLOAK)])),
        "kubeadm-config.yaml": to_yaml(kube.kubeadm_configmap(to_yaml(cc))),
        **keycloak(**TO_KUBEAPPS),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "kubeadm-json-with-sa-issuer-discovery-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "live"},
    unused=["kubectl-get-raw-well-known.json"],
)
def _sa_discovery() -> Files:
    cache = {
        "id_token": idp.keycloak_token(),
        "refresh_token": "eyJhbGciOiJIUzUxMiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJhYmMifQ.e30.c2ln",
    }
    return {
        "kube-apiserver-pods.json": to_json(klist([apiserver_pod("cp1", LEGACY_KEYCLOAK)])),
        "rbac.json": to_json(rbac(binding("dev-edit", "edit", group("oidc:dev"), ns="dev"))),
        "kubelogin-cache.json": compact(cache),
        "certs.json": CERTS,
        "kubectl-get-raw-well-known.json": compact(idp.SERVICE_ACCOUNT_DISCOVERY),
        "whoami.json": to_json(kube.whoami("oidc:alice@example.com", ALICE_GROUPS)),
    }


@bundle(
    "kubeadm-aggregated-rbac-FAILS-rbac-insufficient-permissions",
    first="rbac-insufficient-permissions",
    username="oidc:alice@example.com",
    groups=ALICE_GROUPS,
    kinds={"apiserver-pod", "token", "jwks", "rbac", "error-text"},
)
def _rbac_insufficient() -> Files:
    objs = [
        kube.CLUSTER_ADMIN,
        kube.ADMIN_AGG,
        kube.VIEW_AGG,
        kube.AGG_TO_VIEW,
        kube.BASIC_USER,
        kube.BASIC_USER_BINDING,
    ]
    return {
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "rbac.yaml": to_yaml(klist([*objs, binding("dev-view", "view", group("oidc:dev"), ns="dev")])),
        **keycloak(),
        "error.txt": forbidden("oidc:alice@example.com", "patch", "deployments.apps", "apps", "dev", name="web"),
    }


# --- what users paste: access tokens, token responses, kubeconfigs, Windows files ---------------


@bundle(
    "keycloak-access-token-FAILS-wrong-token-type",
    first="wrong-token-type",
    kinds={"apiserver-pod", "token", "jwks", "error-text"},
)
def _keycloak_access_token() -> Files:
    return {
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "access_token.txt": "Authorization: Bearer " + idp.token("keycloak", idp.keycloak_access_claims()) + "\n",
        "certs.json": CERTS,
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "keycloak-access-token-with-audience-mapper-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _keycloak_access_token_accepted() -> Files:
    # Kubeapps' documented Keycloak set-up: the proxy forwards the access token, and an "Audience"
    # mapper puts the API server's client id into it: kube-apiserver accepts it (it never reads typ).
    claims = idp.keycloak_access_claims(aud=["kubernetes", "account"])
    return {
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "rbac.yaml": dev_edit(),
        "access_token.txt": idp.token("keycloak", claims) + "\n",
        "certs.json": CERTS,
    }


@bundle(
    "keycloak-token-response-json-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _token_response() -> Files:
    response = {
        "access_token": idp.keycloak_token(typ="Bearer", aud="account", azp="kubernetes"),
        "expires_in": 300,
        "refresh_expires_in": 1800,
        "refresh_token": "eyJhbGciOiJIUzUxMiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICIzZjFhIn0.eyJ0eXAiOiJSZWZyZXNoIn0.c2lnbmF0dXJlLW5vdC1jaGVja2Vk",
        "token_type": "Bearer",
        "id_token": idp.keycloak_token(),
        "not-before-policy": 0,
        "session_state": "b8c4e0f2-1a3d-4c5e-8f7a-9b0c1d2e3f40",
        "scope": "openid email profile groups",
    }
    objs = [kube.CLUSTER_ADMIN, kube.VIEW_AGG, kube.AGG_TO_VIEW, kube.BASIC_USER, kube.BASIC_USER_BINDING]
    return {
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "rbac.yaml": to_yaml(klist([*objs, binding("dev-view", "view", group("oidc:dev"), ns="dev")])),
        "token-response.json": compact(response),
        "certs.json": CERTS,
    }


@bundle(
    "azure-v1-sts-issuer-FAILS-issuer-mismatch",
    first="issuer-mismatch",
    kinds={"apiserver-pod", "token", "jwks", "error-text"},
)
def _azure_v1() -> Files:
    flags = Oidc(AZURE, idp.AZURE_CLIENT, "upn", "aad:", "groups").flags()
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", flags)),
        **signed("azure", idp.azure_v1_claims()),
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "azure-guid-groups-whoami-FAILS-group-name-mismatch",
    first="group-name-mismatch",
    username="aad:alice@contoso.onmicrosoft.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac", "live", "error-text"},
)
def _azure_guid_groups() -> Files:
    gids = ["f4b5c6d7-1a2b-4e8a-9c1f-2d6b8e4a7f01", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
    claims = azure_token(groups=gids)
    flags = Oidc(AZURE, claims["aud"], "preferred_username", "aad:", "groups", "aad:").flags()
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", flags)),
        "rbac.yaml": rbac_yaml(binding("k8s-developers-edit", "edit", group("aad:k8s-developers"), ns="dev")),
        **signed("azure", claims),
        "whoami.json": to_json(
            kube.whoami("aad:alice@contoso.onmicrosoft.com", [f"aad:{g}" for g in gids] + ["system:authenticated"])
        ),
        "error.txt": forbidden("aad:alice@contoso.onmicrosoft.com", "list", "pods", "", "dev"),
    }


@bundle(
    "kubeadm-azure-clock-skew-json-log-FAILS-token-not-yet-valid",
    first="token-not-yet-valid",
    kinds={"apiserver-pod", "token", "jwks", "apiserver-log"},
)
def _azure_skew() -> Files:
    # The identity provider's clock runs 3 minutes ahead: iat/nbf are in the control plane's future.
    claims = azure_token(iat=NOW + 180, nbf=NOW + 180, exp=NOW + 3780)
    flags = Oidc(AZURE, claims["aud"], "oid", "aad:").flags()
    err = f"[invalid bearer token, oidc: verify token: oidc: current time {go_time(NOW - 2)} before the nbf (not before) time: {go_time(NOW + 180)}]"
    lines = [
        logs.json_line(-5000.25, "app/server.go:169", "Version: v1.30.6", v=0),
        logs.json_line(-2.0, "authentication/authentication.go:73", "Unable to authenticate the request", err=err),
    ]
    return {
        "kube-apiserver.yaml": to_yaml(apiserver_pod("cp1", [*flags, "--logging-format=json"])),
        "kube-apiserver.log": logs.lines(*lines),
        **signed("azure", claims),
    }


@bundle(
    "kubelogin-kubeconfig-FAILS-audience-mismatch",
    first="audience-mismatch",
    kinds={"apiserver-pod", "kubeconfig", "error-text"},
)
def _kubelogin_client() -> Files:
    return {
        "kubeconfig.yaml": kube.kubeconfig_kubelogin(KEYCLOAK, "kubectl"),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "error.txt": UNAUTHORIZED,
    }


@bundle(
    "kubelogin-kubeconfig-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "kubeconfig", "token", "jwks", "rbac"},
)
def _kubelogin_healthy() -> Files:
    claims = idp.keycloak_claims()
    return {
        "kubeconfig.yaml": kube.kubeconfig_kubelogin(KEYCLOAK, "kubernetes"),
        "kube-apiserver.yaml": KEYCLOAK_POD,
        "rbac.yaml": dev_edit(),
        "get-token.json": json.dumps(kube.exec_credential(idp.token("keycloak", claims), claims["exp"])) + "\n",
        "certs.json": CERTS,
    }


@bundle(
    "windows-powershell-utf16-files-HEALTHY",
    healthy=True,
    username="oidc:alice@example.com",
    kinds={"apiserver-pod", "token", "jwks", "rbac"},
)
def _windows_encodings() -> Files:
    # Windows PowerShell 5.1: `kubectl ... > file` writes UTF-16 LE with a BOM and CRLF line ends;
    # `Out-File -Encoding utf8` writes UTF-8 with a BOM.
    return {
        "kube-apiserver.yaml": utf16(to_yaml(klist([apiserver_pod("cp1", LEGACY_KEYCLOAK)]))),
        "rbac.yaml": utf16(dev_edit()),
        "id_token.txt": utf16(idp.keycloak_token() + "\n"),
        "certs.json": b"\xef\xbb\xbf" + CERTS.encode(),
    }


@bundle(
    "windows-powershell-utf16-log-FAILS-token-expired",
    first="token-expired",
    kinds={"apiserver-pod", "token", "apiserver-log"},
)
def _windows_log() -> Files:
    return {
        "kube-apiserver.yaml": utf16(KEYCLOAK_POD),
        "kubectl-logs-kube-apiserver.txt": utf16(_expired_log("10.0.0.10")),
        "id_token.txt": idp.keycloak_token(**EXPIRED),
    }


def write(out: Path = OUT) -> None:
    """(Re)write every bundle and ``expected.json`` under ``out``."""
    write_folder(out, {})
    for name, build in BUILDERS.items():
        write_folder(out / name, build())
    expected = {n: {k: (sorted(v) if isinstance(v, set) else v) for k, v in e.items()} for n, e in EXPECTED.items()}
    (out / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
