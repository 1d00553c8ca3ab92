# ruff: noqa: E501  -- fixture data: long literal strings are kept whole, as the tools print them
"""Kubernetes objects as ``kubectl get -o yaml|json`` prints them, and the API server's OIDC settings.

``Oidc`` is one list of API server OIDC settings; it renders as kube-apiserver flags, kubeadm
``ClusterConfiguration`` ``extraArgs`` (v1beta3 map, v1beta4 list), k3s/RKE2 ``--kube-apiserver-arg``
node args and config file, and the EKS identity-provider config. Objects come with the metadata a
live cluster adds (``managedFields``, ``uid``, ``resourceVersion``, ``status``) unless asked without.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from fixturekit.clock import rfc3339, ts

RBAC_API = "rbac.authorization.k8s.io/v1"


def uid(*parts: str) -> str:
    """A stable metadata.uid."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def rv(*parts: str) -> str:
    """A stable resourceVersion."""
    return str(int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:6], 16))


def managed(manager: str, op: str, fields: dict[str, Any], api: str = "v1", sub: str | None = None) -> dict[str, Any]:
    """One managedFields entry (written nine days before NOW)."""
    e: dict[str, Any] = {
        "apiVersion": api,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
        "manager": manager,
        "operation": op,
    }
    if sub:
        e["subresource"] = sub
    e["time"] = ts(-86400 * 9)
    return e


def klist(items: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``kubectl get`` prints for several objects."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


# --- the API server's OIDC settings ------------------------------------------------------------


@dataclass(frozen=True)
class Oidc:
    """The ``--oidc-*`` settings of one API server; ``None`` leaves a setting out."""

    issuer: str
    client_id: str = "kubernetes"
    username_claim: str | None = None
    username_prefix: str | None = None
    groups_claim: str | None = None
    groups_prefix: str | None = None
    required_claim: str | None = None
    ca_file: str | None = None

    def pairs(self) -> list[tuple[str, str]]:
        """(flag name without dashes, value), in the order kubeadm and the docs list them."""
        named = [
            ("oidc-issuer-url", self.issuer),
            ("oidc-client-id", self.client_id),
            ("oidc-username-claim", self.username_claim),
            ("oidc-username-prefix", self.username_prefix),
            ("oidc-groups-claim", self.groups_claim),
            ("oidc-groups-prefix", self.groups_prefix),
            ("oidc-required-claim", self.required_claim),
            ("oidc-ca-file", self.ca_file),
        ]
        return [(k, v) for k, v in named if v is not None]

    def flags(self) -> list[str]:
        """kube-apiserver command-line flags."""
        return [f"--{k}={v}" for k, v in self.pairs()]

    def kv(self) -> list[str]:
        """``name=value`` words (k3s ``kube-apiserver-arg`` values)."""
        return [f"{k}={v}" for k, v in self.pairs()]

    def k3s_args(self) -> list[str]:
        """k3s/RKE2 server args: ``--kube-apiserver-arg name=value`` per setting."""
        return [w for a in self.kv() for w in ("--kube-apiserver-arg", a)]

    def kubeadm_v1beta3(self) -> dict[str, str]:
        """``apiServer.extraArgs`` of a kubeadm v1beta3 ClusterConfiguration (a map)."""
        return dict(self.pairs())

    def kubeadm_v1beta4(self) -> list[dict[str, str]]:
        """``apiServer.extraArgs`` of a kubeadm v1beta4 ClusterConfiguration (a list of name/value)."""
        return [{"name": k, "value": v} for k, v in self.pairs()]

    def k3s_config(self, *head: str) -> str:
        """``/etc/rancher/k3s/config.yaml``: ``head`` lines, then ``kube-apiserver-arg``."""
        return "\n".join([*head, "kube-apiserver-arg:", *(f'  - "{a}"' for a in self.kv()), ""])


#: Keycloak as most bundles configure it: email as username, groups, both prefixed ``oidc:``.
KEYCLOAK_OIDC = Oidc(
    "https://keycloak.example.com/realms/k8s",
    username_claim="email",
    username_prefix="oidc:",
    groups_claim="groups",
    groups_prefix="oidc:",
)


def eks_config(oidc: Oidc, status: str = "ACTIVE") -> dict[str, Any]:
    """``aws eks describe-identity-provider-config --output json`` of ``oidc``."""
    cfg: dict[str, Any] = {
        "identityProviderConfigName": "corp-sso",
        "identityProviderConfigArn": "arn:aws:eks:eu-west-1:123456789012:identityproviderconfig/prod/oidc/corp-sso/6ac8f9a1-2b3c-4d5e-8f90-a1b2c3d4e5f6",
        "clusterName": "prod",
        "issuerUrl": oidc.issuer,
        "clientId": oidc.client_id,
        "usernameClaim": oidc.username_claim,
    }
    for key, value in (
        ("usernamePrefix", oidc.username_prefix),
        ("groupsClaim", oidc.groups_claim),
        ("groupsPrefix", oidc.groups_prefix),
    ):
        if value is not None:
            cfg[key] = value
    cfg.update({"requiredClaims": {}, "tags": {}, "status": status})
    return {"identityProviderConfig": {"oidc": cfg}}


def gke_clientconfig(oidc: Oidc, scopes: str = "openid,email") -> dict[str, Any]:
    """``kubectl -n kube-public get clientconfig default -o yaml`` on GKE with Identity Service."""
    return {
        "apiVersion": "authentication.gke.io/v2alpha1",
        "kind": "ClientConfig",
        "metadata": {
            "creationTimestamp": ts(-86400 * 60),
            "generation": 3,
            "managedFields": [
                managed(
                    "kubectl-edit", "Update", {"f:spec": {"f:authentication": {}}}, api="authentication.gke.io/v2alpha1"
                )
            ],
            "name": "default",
            "namespace": "kube-public",
            "resourceVersion": rv("clientconfig"),
            "uid": uid("clientconfig"),
        },
        "spec": {
            "authentication": [
                {
                    "name": "oidc",
                    "oidc": {
                        "clientID": oidc.client_id,
                        "cloudConsoleRedirectURI": "https://console.cloud.google.com/kubernetes/oidc",
                        "extraParams": "prompt=consent",
                        "groupPrefix": oidc.groups_prefix,
                        "groupsClaim": oidc.groups_claim,
                        "issuerURI": oidc.issuer,
                        "kubectlRedirectURI": "http://localhost:10000/callback",
                        "scopes": scopes,
                        "userClaim": oidc.username_claim,
                        "userPrefix": oidc.username_prefix,
                    },
                }
            ],
            "certificateAuthorityData": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvRENDQWVTZ0F3SUJBZ0lSQU5KdTZ1R3FJYjRVLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=",
            "name": "prod-gke",
            "server": "https://34.77.12.201:443",
        },
    }


# --- the API server ----------------------------------------------------------------------------

APISERVER_IMAGE = "registry.k8s.io/kube-apiserver:v1.31.4"
AUTH_CONFIG_FLAG = "--authentication-config=/etc/kubernetes/auth/auth-config.yaml"


def _kubeadm_command(flags: list[str]) -> list[str]:
    return [
        "kube-apiserver",
        "--advertise-address=172.18.0.2",
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--enable-admission-plugins=NodeRestriction",
        "--enable-bootstrap-token-auth=true",
        "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
        "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
        "--etcd-servers=https://127.0.0.1:2379",
        "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        *flags,
        "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
        "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User",
        "--secure-port=6443",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    ]


def apiserver_pod(node: str, flags: list[str], image: str = APISERVER_IMAGE, kubeadm: bool = True) -> dict[str, Any]:
    """The kube-apiserver mirror pod as ``kubectl -n kube-system get pod -o yaml`` prints it."""
    name = f"kube-apiserver-{node}"
    digest = hashlib.sha256(name.encode()).hexdigest()
    ann = {
        "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "172.18.0.2:6443",
        "kubernetes.io/config.hash": digest[:32],
        "kubernetes.io/config.mirror": digest[:32],
        "kubernetes.io/config.seen": "2026-11-19T08:14:03.512904871Z",
        "kubernetes.io/config.source": "file",
    }
    if not kubeadm:
        del ann["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"]
    annotation_fields: dict[str, Any] = {
        ".": {},
        **{f"f:{k}": {} for k in sorted(ann) if k.startswith("kubernetes.io/")},
    }
    pod_fields: dict[str, Any] = {
        "f:metadata": {
            "f:annotations": annotation_fields,
            "f:labels": {".": {}, "f:component": {}, "f:tier": {}},
            "f:ownerReferences": {".": {}, f'k:{{"uid":"{uid("node", node)}"}}': {}},
        },
        "f:spec": {
            "f:containers": {'k:{"name":"kube-apiserver"}': {".": {}, "f:command": {}, "f:image": {}, "f:name": {}}}
        },
    }
    status_fields: dict[str, Any] = {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:podIP": {}}}

    def condition(kind: str, at: int) -> dict[str, Any]:
        return {"lastProbeTime": None, "lastTransitionTime": ts(at), "status": "True", "type": kind}

    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": ann,
            "creationTimestamp": ts(-86400 * 9),
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
            "managedFields": [
                managed("kubelet", "Update", pod_fields),
                managed("kubelet", "Update", status_fields, sub="status"),
            ],
            "name": name,
            "namespace": "kube-system",
            "ownerReferences": [
                {"apiVersion": "v1", "controller": True, "kind": "Node", "name": node, "uid": uid("node", node)}
            ],
            "resourceVersion": rv("pod", name),
            "uid": uid("pod", name),
        },
        "spec": {
            "containers": [
                {
                    "command": _kubeadm_command(flags),
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "livenessProbe": {
                        "failureThreshold": 8,
                        "httpGet": {"host": "172.18.0.2", "path": "/livez", "port": 6443, "scheme": "HTTPS"},
                        "initialDelaySeconds": 10,
                        "periodSeconds": 10,
                        "successThreshold": 1,
                        "timeoutSeconds": 15,
                    },
                    "name": "kube-apiserver",
                    "resources": {"requests": {"cpu": "250m"}},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [
                        {"mountPath": "/etc/ssl/certs", "name": "ca-certs", "readOnly": True},
                        {"mountPath": "/etc/kubernetes/pki", "name": "k8s-certs", "readOnly": True},
                    ],
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "hostNetwork": True,
            "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 2000001000,
            "priorityClassName": "system-node-critical",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "operator": "Exists"}],
            "volumes": [
                {"hostPath": {"path": "/etc/ssl/certs", "type": "DirectoryOrCreate"}, "name": "ca-certs"},
                {"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"}, "name": "k8s-certs"},
            ],
        },
        "status": {
            "conditions": [
                condition("Initialized", -3600),
                condition("Ready", -3590),
                condition("ContainersReady", -3590),
                condition("PodScheduled", -3600),
            ],
            "containerStatuses": [
                {
                    "containerID": "containerd://" + digest,
                    "image": image,
                    "imageID": image.split(":")[0] + "@sha256:" + hashlib.sha256(image.encode()).hexdigest(),
                    "lastState": {},
                    "name": "kube-apiserver",
                    "ready": True,
                    "restartCount": 1,
                    "started": True,
                    "state": {"running": {"startedAt": ts(-3600)}},
                }
            ],
            "hostIP": "172.18.0.2",
            "phase": "Running",
            "podIP": "172.18.0.2",
            "qosClass": "Burstable",
            "startTime": ts(-3600),
        },
    }


def auth_config_pod(node: str = "cp1") -> dict[str, Any]:
    """An API server (v1.34) started with ``--authentication-config`` (AuthenticationConfiguration v1 is
    served from 1.34)."""
    return apiserver_pod(node, [AUTH_CONFIG_FLAG], "registry.k8s.io/kube-apiserver:v1.34.1")


def static_manifest(*flags: str) -> dict[str, Any]:
    """``/etc/kubernetes/manifests/kube-apiserver.yaml`` as a user copies it: few flags, no status."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "kube-apiserver-cp1",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
        },
        "spec": {
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": APISERVER_IMAGE,
                    "command": [
                        "kube-apiserver",
                        "--advertise-address=10.0.0.10",
                        "--authorization-mode=Node,RBAC",
                        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
                        "--secure-port=6443",
                        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                        *flags,
                    ],
                }
            ]
        },
    }


def cluster_configuration(version: str, extra_args: Any, **fields: Any) -> dict[str, Any]:
    """A kubeadm ``ClusterConfiguration`` (``kubeadm.k8s.io/<version>``) with ``apiServer.extraArgs``."""
    api_server = {**fields.pop("apiServer", {}), "extraArgs": extra_args}
    return {
        "apiServer": api_server,
        "apiVersion": f"kubeadm.k8s.io/{version}",
        "kind": "ClusterConfiguration",
        **fields,
    }


def kubeadm_configmap(cluster_config: str) -> dict[str, Any]:
    """``kubectl -n kube-system get cm kubeadm-config -o yaml``."""
    return {
        "apiVersion": "v1",
        "data": {"ClusterConfiguration": cluster_config},
        "kind": "ConfigMap",
        "metadata": {
            "creationTimestamp": ts(-86400 * 30),
            "managedFields": [managed("kubeadm", "Update", {"f:data": {".": {}, "f:ClusterConfiguration": {}}})],
            "name": "kubeadm-config",
            "namespace": "kube-system",
            "resourceVersion": rv("cm", "kubeadm-config", cluster_config),
            "uid": uid("cm", "kubeadm-config"),
        },
    }


def k3s_node(name: str, args: list[str], distro: str = "k3s", server: bool = True) -> dict[str, Any]:
    """A k3s/RKE2 Node with its ``<distro>.io/node-args`` annotation (a JSON array)."""
    version = "v1.31.4+k3s1" if distro == "k3s" else "v1.31.4+rke2r1"
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": distro,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": distro,
    }
    if server:
        for role in ("control-plane", "master", "etcd"):
            labels[f"node-role.kubernetes.io/{role}"] = "true"
    args_fields: dict[str, Any] = {f"f:{distro}.io/{k}": {} for k in ("node-args", "node-config-hash", "node-env")}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {
                "alpha.kubernetes.io/provided-node-ip": "10.0.0.11",
                f"{distro}.io/hostname": name,
                f"{distro}.io/internal-ip": "10.0.0.11",
                f"{distro}.io/node-args": json.dumps(args, separators=(",", ":")),
                f"{distro}.io/node-config-hash": "QH3RVX3S5PUL3WPNVBSU4AFLV5EHNYQSJGZMCAA2GGQRYGEEJF2Q====",
                f"{distro}.io/node-env": "{}",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
            "creationTimestamp": ts(-86400 * 40),
            "finalizers": ["wrangler.cattle.io/node"],
            "labels": labels,
            "managedFields": [
                managed(distro, "Update", {"f:metadata": {"f:annotations": args_fields}}),
                managed("kubelet", "Update", {"f:status": {"f:conditions": {}, "f:nodeInfo": {}}}, sub="status"),
            ],
            "name": name,
            "resourceVersion": rv("node", name),
            "uid": uid("node", name),
        },
        "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"], "providerID": f"{distro}://{name}"},
        "status": {
            "addresses": [{"address": "10.0.0.11", "type": "InternalIP"}, {"address": name, "type": "Hostname"}],
            "allocatable": {"cpu": "4", "ephemeral-storage": "39358207765", "memory": "8029328Ki", "pods": "110"},
            "capacity": {"cpu": "4", "ephemeral-storage": "40458684Ki", "memory": "8029328Ki", "pods": "110"},
            "conditions": [
                {
                    "lastHeartbeatTime": ts(-40),
                    "lastTransitionTime": ts(-86400),
                    "message": "kubelet is posting ready status",
                    "reason": "KubeletReady",
                    "status": "True",
                    "type": "Ready",
                },
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": uid("boot", name),
                "containerRuntimeVersion": "containerd://1.7.23-k3s2",
                "kernelVersion": "6.8.0-49-generic",
                "kubeProxyVersion": version,
                "kubeletVersion": version,
                "machineID": hashlib.sha256(name.encode()).hexdigest()[:32],
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.1 LTS",
                "systemUUID": uid("sys", name),
            },
        },
    }


# --- RBAC --------------------------------------------------------------------------------------


def group(name: str) -> dict[str, str]:
    """An RBAC Group subject."""
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def user(name: str) -> dict[str, str]:
    """An RBAC User subject."""
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def last_applied(obj: dict[str, Any]) -> str:
    """The ``kubectl.kubernetes.io/last-applied-configuration`` value kubectl apply stores."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True) + "\n"


def binding(
    name: str, role: str, *subjects: dict[str, str], ns: str | None = None, live: bool = True
) -> dict[str, Any]:
    """A RoleBinding (with ``ns``) or ClusterRoleBinding to ClusterRole ``role``.

    ``live``: as ``kubectl get -o yaml`` shows one made by ``kubectl apply`` (last-applied
    annotation, managedFields, uid); otherwise as the user wrote it.
    """
    kind = "RoleBinding" if ns else "ClusterRoleBinding"
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}
    subject_list = list(subjects)
    if not live:
        return {
            "apiVersion": RBAC_API,
            "kind": kind,
            "metadata": {"name": name, **({"namespace": ns} if ns else {})},
            "roleRef": role_ref,
            "subjects": subject_list,
        }
    applied: dict[str, Any] = {
        "apiVersion": RBAC_API,
        "kind": kind,
        "metadata": {"annotations": {}, "name": name, **({"namespace": ns} if ns else {})},
        "roleRef": role_ref,
        "subjects": subject_list,
    }
    fields: dict[str, Any] = {
        "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}},
        "f:roleRef": {},
        "f:subjects": {},
    }
    meta: dict[str, Any] = {
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied(applied)},
        "creationTimestamp": ts(-86400 * 3),
        "managedFields": [managed("kubectl-client-side-apply", "Update", fields, api=RBAC_API)],
        "name": name,
        "resourceVersion": rv(kind, name),
        "uid": uid(kind, ns or "", name),
    }
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": RBAC_API, "kind": kind, "metadata": meta, "roleRef": role_ref, "subjects": subject_list}


def cluster_role(
    name: str, rules: list[dict[str, Any]], aggregate_to: str | None = None, live: bool = True
) -> dict[str, Any]:
    """A ClusterRole: bootstrap-style as the API server keeps it (``live``) or as written."""
    if not live:
        return {"apiVersion": RBAC_API, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}
    labels = {"kubernetes.io/bootstrapping": "rbac-defaults"}
    if aggregate_to:
        labels[f"rbac.authorization.k8s.io/aggregate-to-{aggregate_to}"] = "true"
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {
            "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
            "creationTimestamp": ts(-86400 * 30),
            "labels": labels,
            "managedFields": [
                managed(
                    "kube-apiserver",
                    "Update",
                    {"f:metadata": {"f:annotations": {}, "f:labels": {}}, "f:rules": {}},
                    api=RBAC_API,
                )
            ],
            "name": name,
            "resourceVersion": rv("cr", name),
            "uid": uid("cr", name),
        },
        "rules": rules,
    }


def aggregated(name: str, to: str, role: dict[str, Any]) -> dict[str, Any]:
    """``role`` with an ``aggregationRule`` selecting ``aggregate-to-<to>`` roles."""
    selector = {"matchLabels": {f"rbac.authorization.k8s.io/aggregate-to-{to}": "true"}}
    return {"aggregationRule": {"clusterRoleSelectors": [selector]}, **role}


def rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    """One PolicyRule (fresh lists: a list shared between objects would print as a YAML anchor)."""
    return {"apiGroups": list(groups), "resources": list(resources), "verbs": list(verbs)}


READ = ["get", "list", "watch"]
CLUSTER_ADMIN = cluster_role(
    "cluster-admin",
    [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}],
)
EDIT = cluster_role(
    "edit",
    [
        rule(
            [""],
            ["pods", "pods/log", "services", "configmaps", "secrets", "persistentvolumeclaims", "events", "namespaces"],
            READ,
        ),
        rule(
            [""],
            ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
            ["create", "delete", "deletecollection", "patch", "update"],
        ),
        rule(
            ["apps"],
            ["deployments", "replicasets", "statefulsets", "daemonsets"],
            ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        ),
    ],
)
VIEW = cluster_role(
    "view",
    [
        rule(
            [""], ["pods", "pods/log", "services", "configmaps", "persistentvolumeclaims", "events", "namespaces"], READ
        ),
        rule(["apps"], ["deployments", "replicasets", "statefulsets", "daemonsets"], READ),
    ],
)
ADMIN_AGG = aggregated(
    "admin",
    "admin",
    cluster_role(
        "admin",
        [
            rule(
                ["apps"],
                ["deployments", "statefulsets"],
                ["create", "delete", "get", "list", "patch", "update", "watch"],
            )
        ],
    ),
)
VIEW_AGG = aggregated("view", "view", cluster_role("view", []))
AGG_TO_VIEW = cluster_role(
    "system:aggregate-to-view",
    [
        rule([""], ["pods", "services", "configmaps", "endpoints", "persistentvolumeclaims"], READ),
        rule(["apps"], ["deployments", "deployments/scale", "replicasets", "statefulsets", "daemonsets"], READ),
    ],
    aggregate_to="view",
)
BASIC_USER = cluster_role(
    "system:basic-user",
    [
        rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
        rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
    ],
)
BASIC_USER_BINDING = binding("system:basic-user", "system:basic-user", group("system:authenticated"))
#: The ``view`` ClusterRole as a user writes it (no managedFields).
VIEW_WRITTEN = cluster_role(
    "view",
    [rule([""], ["pods", "services", "configmaps", "namespaces"], READ), rule(["apps"], ["deployments"], READ)],
    live=False,
)


def rbac(*bindings: dict[str, Any]) -> dict[str, Any]:
    """``kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml`` (relevant part)."""
    return klist([CLUSTER_ADMIN, EDIT, VIEW, *bindings])


# --- what kubectl and kubelogin print ----------------------------------------------------------


def whoami(username: str, groups: list[str], extra: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``kubectl auth whoami -o yaml``."""
    info: dict[str, Any] = {"groups": groups, "username": username}
    if extra:
        info["extra"] = extra
    return {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "SelfSubjectReview",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": info},
    }


def exec_credential(token: str, exp: int) -> dict[str, Any]:
    """What ``kubectl oidc-login get-token`` prints (kubelogin: client.authentication.k8s.io/v1beta1)."""
    return {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {"interactive": False},
        "status": {"expirationTimestamp": rfc3339(exp), "token": token},
    }


def forbidden(user: str, verb: str, resource: str, group: str = "", ns: str | None = None, name: str = "") -> str:
    """kubectl's text for a 403 from the API server (``resource`` as ``<plural>[.<group>]``)."""
    where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    res = resource.split(".")[0]
    what = f'{resource} "{name}"' if name else resource
    return f'Error from server (Forbidden): {what} is forbidden: User "{user}" cannot {verb} resource "{res}" in API group "{group}" {where}\n'


#: kubectl's text for a 401 from the API server.
UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)\n"
#: The error a dashboard shows when its requests reach the API server without a token.
ANONYMOUS_NAMESPACES = 'Failed to list namespaces: namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope\n'


def kubeconfig_kubelogin(issuer: str, client_id: str) -> str:
    """``kubectl config view --minify --raw`` for a user set up as the kubelogin README says."""
    return f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
    server: https://cp1.example.com:6443
  name: prod
contexts:
- context:
    cluster: prod
    user: oidc
  name: oidc@prod
current-context: oidc@prod
kind: Config
preferences: {{}}
users:
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - oidc-login
      - get-token
      - --oidc-issuer-url={issuer}
      - --oidc-client-id={client_id}
      - --oidc-extra-scope=email
      - --oidc-extra-scope=groups
      command: kubectl
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
"""


def describe_apiserver(node: str, flags: list[str], image: str) -> str:
    """``kubectl -n kube-system describe pod kube-apiserver-<node>``."""
    pod = apiserver_pod(node, flags, image)
    command = "".join(f"      {w}\n" for w in pod["spec"]["containers"][0]["command"])
    return (
        f"Name:                 kube-apiserver-{node}\n"
        "Namespace:            kube-system\n"
        "Priority:             2000001000\n"
        "Priority Class Name:  system-node-critical\n"
        f"Node:                 {node}/192.168.49.2\n"
        "Start Time:           Sat, 28 Nov 2026 08:25:12 +0000\n"
        "Labels:               component=kube-apiserver\n"
        "                      tier=control-plane\n"
        "Annotations:          kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: 192.168.49.2:8443\n"
        f"                      kubernetes.io/config.hash: {pod['metadata']['annotations']['kubernetes.io/config.hash']}\n"
        "                      kubernetes.io/config.source: file\n"
        "Status:               Running\n"
        "SeccompProfile:       RuntimeDefault\n"
        "IP:                   192.168.49.2\n"
        "IPs:\n"
        "  IP:           192.168.49.2\n"
        f"Controlled By:  Node/{node}\n"
        "Containers:\n"
        "  kube-apiserver:\n"
        f"    Container ID:  containerd://{hashlib.sha256(node.encode()).hexdigest()}\n"
        f"    Image:         {image}\n"
        f"    Image ID:      {image.split(':')[0]}@sha256:{hashlib.sha256(image.encode()).hexdigest()}\n"
        "    Port:          <none>\n"
        "    Host Port:     <none>\n"
        "    Command:\n" + command + "    State:          Running\n"
        "      Started:      Sat, 28 Nov 2026 08:25:12 +0000\n"
        "    Ready:          True\n"
        "    Restart Count:  0\n"
        "    Requests:\n"
        "      cpu:        250m\n"
        "    Liveness:     http-get https://192.168.49.2:8443/livez delay=10s timeout=15s period=10s #success=1 #failure=8\n"
        "    Environment:  <none>\n"
        "    Mounts:\n"
        "      /etc/kubernetes/pki from k8s-certs (ro)\n"
        "Conditions:\n"
        "  Type                        Status\n"
        "  PodReadyToStartContainers   True \n"
        "  Initialized                 True \n"
        "  Ready                       True \n"
        "  ContainersReady             True \n"
        "  PodScheduled                True \n"
        "QoS Class:                   Burstable\n"
        "Node-Selectors:              <none>\n"
        "Tolerations:                 :NoExecute op=Exists\n"
        "Events:                      <none>\n"
    )
