"""The evidence snapshot: everything the sources found, the same for a bundle or a live cluster.

Sources (the bundle reader, the live collector, command-line options) fill an :class:`Evidence`;
checks only read it. Each :class:`Item` carries its kind (what the content is, recognised from
the content, not the file name), a human reference for evidence, and the parsed data.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from oidc_doctor.record import Record

if TYPE_CHECKING:
    from pathlib import Path


class Kind(StrEnum):
    """What an input is. The values appear in the report's ``inputs`` list."""

    TOKEN = "token"  # data: str, the raw credential-like string (never printed)
    JWKS = "jwks"  # data: dict
    DISCOVERY = "discovery"  # data: dict
    APISERVER_POD = "apiserver-pod"  # data: Pod dict with a kube-apiserver container
    KUBEADM_CONFIG = "kubeadm-config"  # data: ClusterConfiguration dict
    NODE_ARGS = "node-args"  # data: Node dict with k3s.io/node-args or rke2.io/node-args
    AUTH_CONFIG = "auth-config"  # data: AuthenticationConfiguration dict
    EKS_IDP = "eks-idp"  # data: aws eks describe-identity-provider-config JSON
    PINNIPED_JWT = "pinniped-jwtauthenticator"  # data: a Pinniped Concierge JWTAuthenticator
    GKE_CLIENTCONFIG = "gke-clientconfig"  # data: ClientConfig dict
    OPENSHIFT_AUTH = "openshift-authentication"  # data: an authentications.config.openshift.io with type OIDC
    RBAC = "rbac"  # data: ClusterRole/Role/ClusterRoleBinding/RoleBinding dict, or its typed record
    # (oidc_doctor.rbac.objects, read like the dict) when it came from a big JSON List
    WORKLOAD = "workload"  # data: Deployment/StatefulSet/DaemonSet dict
    CONFIGMAP = "configmap"  # data: ConfigMap dict (not a kubeadm one)
    HELM_RELEASE = "helm-release"  # data: Secret dict of type helm.sh/release.v1
    HELM_VALUES = "helm-values"  # data: a chart's values file as the user wrote it (Kubeapps: ``authProxy``)
    INGRESS = "ingress"  # data: Ingress dict
    APISERVER_LOG = "apiserver-log"  # data: None (read the file at ``path``) or a logs.exports.LogExport
    PROXY_LOG = "proxy-log"  # data: None; read the file at ``path``
    INGRESS_LOG = "ingress-log"  # data: None; read the file at ``path``
    ERROR_TEXT = "error-text"  # data: str, what the user saw
    LIVE = "live"  # data: dict of live API answers (SelfSubjectReview, ...)
    KUBECONFIG = "kubeconfig"  # data: kubeconfig dict whose user runs kubelogin (no token in it)
    APISERVER_METRICS = "apiserver-metrics"  # data: list of controlplane.metrics.Sample (authentication families)
    APISERVER_LEASE = "apiserver-lease"  # data: an API server identity Lease dict (kube-system)
    IDP_CONFIG = "idp-config"  # data: Dex config / Keycloak realm or client export dict (see oidc_doctor.idp)
    #: data: {"problem": the YAML error, "flags": the authentication flags read from its lines}: a
    #: kube-apiserver static Pod manifest that does not parse (the kubelet cannot apply it)
    APISERVER_MANIFEST_BROKEN = "apiserver-manifest-broken"
    AKS_CLUSTER = "aks-cluster"  # data: az aks show JSON (a ManagedCluster)
    AKS_JWT = "aks-jwtauthenticator"  # data: az aks jwtauthenticator show JSON (one jwtAuthenticators resource)
    AUDIT_EVENTS = "audit-events"  # data: list of controlplane.audit.AuditEvent, or None: read the file at ``path``


class Item(Record):
    """One recognised input: a file, or one document of a multi-document file."""

    _fields = ("kind", "ref", "data", "path", "line")
    __slots__ = _fields
    kind: Kind
    ref: str  # e.g. "bundle/apiserver.yaml#2 Pod kube-system/kube-apiserver-cp1"
    data: Any
    path: Path | None
    line: int | None

    def __init__(self, kind: Kind, ref: str, data: Any, path: Path | None = None, line: int | None = None) -> None:
        self.kind = kind
        self.ref = ref
        self.data = data
        self.path = path
        self.line = line


class InputRecord(Record):
    """A line of the report's ``inputs``: what a file was taken for, or why it was skipped."""

    _fields = ("ref", "kind", "objects", "reason")
    __slots__ = _fields
    ref: str
    kind: str
    objects: int
    reason: str

    def __init__(self, ref: str, kind: str, objects: int = 0, reason: str = "") -> None:
        self.ref = ref
        self.kind = kind
        self.objects = objects
        self.reason = reason

    def to_json(self) -> dict[str, Any]:
        """The REPORT.md shape."""
        out: dict[str, Any] = {"ref": self.ref, "kind": self.kind, "objects": self.objects}
        if self.reason:
            out["reason"] = self.reason
        return out


class Evidence(Record):
    """Everything the sources found. Checks read it; only sources write it.

    ``blind``: places the sources could not look, by area ("apiserver-config", "rbac", ...), with
    the reason.
    """

    _fields = ("items", "inputs", "blind")
    __slots__ = (*_fields, "_by_kind")
    items: list[Item]
    inputs: list[InputRecord]
    blind: dict[str, str]
    #: ``of()``'s index: the item list it was built from, its length then, the items by kind.
    _by_kind: tuple[list[Item], int, dict[Kind, list[Item]]] | None

    def __init__(
        self,
        items: list[Item] | None = None,
        inputs: list[InputRecord] | None = None,
        blind: dict[str, str] | None = None,
    ) -> None:
        self.items = [] if items is None else items
        self.inputs = [] if inputs is None else inputs
        self.blind = {} if blind is None else blind
        self._by_kind = None

    def of(self, *kinds: Kind) -> list[Item]:
        """Items of the given kinds, in input order (a new list).

        Checks ask this about forty times a run; a cluster's bundle holds 50,000 items, so the
        items are indexed by kind once, and again whenever the list was replaced or grew.
        """
        items = self.items
        index = self._by_kind
        if index is None or index[0] is not items or index[1] != len(items):
            by_kind: dict[Kind, list[Item]] = {}
            for i in items:
                by_kind.setdefault(i.kind, []).append(i)
            index = self._by_kind = (items, len(items), by_kind)
        if len(kinds) == 1:
            return list(index[2].get(kinds[0], ()))
        return [i for i in items if i.kind in kinds]

    def has(self, *kinds: Kind) -> bool:
        """Whether any item of the given kinds exists."""
        return any(i.kind in kinds for i in self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def add(self, item: Item) -> None:
        """Record one item."""
        self.items.append(item)

    def add_first(self, item: Item) -> None:
        """Record an item the command line names: it comes before the files' own (a ``--token``
        outranks a token found in the bundle, which checks take first)."""
        self.items.insert(0, item)
