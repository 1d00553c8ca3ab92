"""Read an evidence folder ("bundle") and recognise every file by its content (BUNDLE.md).

Names are free: a file is taken for what it holds. YAML files may hold several documents and
``kind: List`` objects are unwrapped. A file that is not recognised is listed with the reason and
skipped; a recognised but broken file is listed with the file, line and problem — neither is fatal.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from oidc_doctor.errors import DoctorError, InputError
from oidc_doctor.evidence import Evidence, InputRecord, Item, Kind
from oidc_doctor.limits import outside, walk
from oidc_doctor.loader import TYPED_MIN_BYTES, load_documents, typed_rbac

HEAD_BYTES = 64 * 1024
#: Structured (JSON/YAML) files larger than this are not parsed whole.
MAX_STRUCTURED_BYTES = 1024 * 1024 * 1024

_ERROR_TEXT = re.compile(
    r"Unauthorized|Forbidden|forbidden:"
    r"|cannot (?:get|list|watch|create|update|patch|delete|deletecollection) "
    r"|You must be logged in|Authorization required|logged out|log(?:s|ged)? me out|session (?:has )?expired"
    r"|401|403|error: ",
    re.IGNORECASE,
)

#: The last line kubectl prints when a request fails (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go).
_KUBECTL_ERROR = re.compile(r"(?:error: |Error from server \()")
#: What only a failure report says (no bare status numbers: a ps line holds PIDs).
_SAYS_FAILURE = re.compile(r"Unauthorized|Forbidden|You must be logged in|error: |Error from server", re.IGNORECASE)

#: Blank lines and YAML comment lines before a document's first key.
_LEADING_COMMENTS = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*")

_RBAC_KINDS = {"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"}
_WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}


def describe(obj: dict[str, Any]) -> str:
    """``Kind namespace/name`` of a Kubernetes object, for evidence references."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    name = meta.get("name", "")
    ns = meta.get("namespace")
    kind = obj.get("kind", "object")
    return f"{kind} {ns}/{name}" if ns else f"{kind} {name}".rstrip()


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Containers of a Pod or of a workload's pod template; None when the shape is wrong."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    if obj.get("kind") != "Pod":
        template = spec.get("template")
        spec = template.get("spec") if isinstance(template, dict) else None
        if not isinstance(spec, dict):
            return None
    containers = spec.get("containers")
    if not isinstance(containers, list):
        return None
    return [c for c in containers if isinstance(c, dict)]


def _not_a_string(obj: dict[str, Any], containers: list[dict[str, Any]]) -> str | None:
    """Why the kubelet cannot decode this Pod: a ``command``/``args`` item that is not a string, or None.

    The classic case: ``- --oidc-username-prefix=oidc:`` unquoted is a YAML mapping (a key ending
    in ``:``), not a string, so the kubelet cannot decode the manifest (Container.command is
    ``[]string``) and does not apply it: the flags in this file are not the running ones.
    """
    for c in containers:
        for key in ("command", "args"):
            items = c.get(key)
            for i, v in enumerate(items if isinstance(items, list) else []):
                if isinstance(v, str):
                    continue
                if isinstance(v, dict) and len(v) == 1:
                    k, val = next(iter(v.items()))
                    shown = f"{k}:" if val is None else f"{k}: {val}"
                    return (
                        f"{describe(obj)} container {c.get('name', '?')} {key}[{i}] is a YAML mapping, not a "
                        f"string: `- {shown}` unquoted ends in ':' so the kubelet cannot decode the manifest "
                        f"and does not apply it; quote the item: `- \"{shown}\"`"
                    )
                return (
                    f"{describe(obj)} container {c.get('name', '?')} {key}[{i}] is a {type(v).__name__}, not a "
                    "string: the kubelet cannot decode the manifest"
                )
    return None


def _undecodable_manifest(obj: dict[str, Any], containers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The broken-manifest record (``Kind.APISERVER_MANIFEST_BROKEN``) of a Pod the kubelet cannot
    decode, with the authentication flags it would have set, or None when it decodes."""
    problem = _not_a_string(obj, containers)
    if problem is None:
        return None
    flags: list[str] = []
    for c in containers:
        for key in ("command", "args"):
            items = c.get(key)
            for v in items if isinstance(items, list) else []:
                text = v if isinstance(v, str) else "".join(f"{k}:" for k in v) if isinstance(v, dict) else ""
                if text.startswith(("--oidc-", "--authentication-config")):
                    flags.append(text)
    return {"problem": problem, "flags": flags}


def _is_apiserver_container(c: dict[str, Any]) -> bool:
    words = [str(c.get("name", "")), str(c.get("image", ""))]
    for key in ("command", "args"):
        v = c.get(key)
        if isinstance(v, list):
            words += [str(x) for x in v[:2]]
    return any("kube-apiserver" in w for w in words)


def classify_object(obj: Any) -> tuple[Kind | None, str, Any]:
    """Recognise one parsed JSON/YAML object: ``(kind, reason, data)``.

    ``kind`` is None when the object is not used; ``reason`` then says why. ``data`` may differ
    from ``obj`` (the ClusterConfiguration inside a kubeadm-config ConfigMap).
    """
    if not isinstance(obj, dict):
        return None, f"a {type(obj).__name__}, not an object", obj
    kind = obj.get("kind")
    api = str(obj.get("apiVersion", ""))
    if kind is None:
        if isinstance(obj.get("id_token"), str):  # a token endpoint's response
            return Kind.TOKEN, "", obj["id_token"]
        from oidc_doctor.jose import claims_only_token, looks_like_claims

        if looks_like_claims(obj):
            return Kind.TOKEN, "", claims_only_token(obj)  # a decoded payload pasted without its token
        if isinstance(obj.get("keys"), list):
            return Kind.JWKS, "", obj
        if isinstance(obj.get("issuer"), str) and ("jwks_uri" in obj or "authorization_endpoint" in obj):
            if _is_service_account_discovery(obj):
                return None, "the API server's own service-account issuer discovery, not the identity provider's", obj
            return Kind.DISCOVERY, "", obj
        if any(k in obj for k in K3S_CONFIG_KEYS):
            return Kind.NODE_ARGS, "", obj  # /etc/rancher/{k3s,rke2}/config.yaml
        from oidc_doctor.authn.platforms import platform_of

        if platform_of(obj):
            return Kind.NODE_ARGS, "", obj  # RKE1 cluster.yml, kubespray group_vars
        from oidc_doctor.authn.sources import is_vcluster_values

        if is_vcluster_values(obj):
            return Kind.NODE_ARGS, "", obj  # vcluster.yaml: the virtual API server's flags
        from oidc_doctor.authn.sources import is_talos_config

        if is_talos_config(obj):
            return Kind.NODE_ARGS, "", obj  # Talos machine config: cluster.apiServer.extraArgs
        idp = obj.get("identityProviderConfig")
        if isinstance(idp, dict) and isinstance(idp.get("oidc"), dict):
            return Kind.EKS_IDP, "", obj
        if isinstance(obj.get("oidc"), dict) and "identityProviderConfigName" in obj["oidc"]:
            return Kind.EKS_IDP, "", {"identityProviderConfig": obj}
        from oidc_doctor.managed import aks

        if aks.is_cluster(obj):
            return Kind.AKS_CLUSTER, "", obj  # az aks show -o json
        if aks.is_jwt_authenticator(obj):
            return Kind.AKS_JWT, "", obj  # az aks jwtauthenticator show/list -o json
        from oidc_doctor.controlplane import metrics

        if metrics.is_query_result(obj):
            samples = metrics.parse_query_result(obj)
            if samples:
                return Kind.APISERVER_METRICS, "", samples
            return None, "a Prometheus query result without kube-apiserver authentication metrics", obj
        from oidc_doctor.proxy.headlamp import is_headlamp_values
        from oidc_doctor.proxy.helm import is_kubeapps_values

        if is_kubeapps_values(obj) or is_headlamp_values(obj):
            return Kind.HELM_VALUES, "", obj  # the user's Kubeapps/Headlamp values.yaml / `helm get values`
        from oidc_doctor.proxy.chart import is_oauth2_proxy_values

        if is_oauth2_proxy_values(obj):
            return Kind.HELM_VALUES, "", obj  # the oauth2-proxy chart's values.yaml
        from oidc_doctor.idp.settings import idp_config_of

        if idp_config_of(obj) is not None:
            return Kind.IDP_CONFIG, "", obj  # Dex config (or its Helm values), Keycloak realm/client export
        return None, "JSON/YAML without a Kubernetes kind, JWKS, discovery or EKS shape", obj
    if kind == "Pod":
        containers = _containers(obj)
        if containers is None:
            raise Broken(f"{describe(obj)} has no spec.containers list")
        if any(_is_apiserver_container(c) for c in containers):
            broken = _undecodable_manifest(obj, containers)
            if broken is not None:
                return Kind.APISERVER_MANIFEST_BROKEN, "", broken
            return Kind.APISERVER_POD, "", obj
        return Kind.WORKLOAD, "", obj
    if kind == "ClusterConfiguration" and api.startswith("kubeadm.k8s.io"):
        return Kind.KUBEADM_CONFIG, "", obj
    from oidc_doctor.authn.platforms import capi_cluster_configuration, platform_of

    if platform_of(obj):
        return Kind.NODE_ARGS, "", obj  # k0s ClusterConfig, k0sctl Cluster
    capi = capi_cluster_configuration(obj)
    if capi is not None:
        return Kind.KUBEADM_CONFIG, "", capi  # Cluster API KubeadmControlPlane(Template)
    if kind == "Cluster" and api.startswith("kind.x-k8s.io"):
        return Kind.KUBEADM_CONFIG, "", _kind_cluster_configuration(obj)
    if kind == "Node":
        ann = (obj.get("metadata") or {}).get("annotations") or {}
        if isinstance(ann, dict) and ("k3s.io/node-args" in ann or "rke2.io/node-args" in ann):
            return Kind.NODE_ARGS, "", obj
        return None, "a Node without k3s.io/node-args or rke2.io/node-args", obj
    if kind == "AuthenticationConfiguration" and api.startswith("apiserver.config.k8s.io"):
        return Kind.AUTH_CONFIG, "", obj
    if kind == "KubeAuthenticationConfig" and api == "v1alpha1" and isinstance(obj.get("configuration"), dict):
        # Talos 1.14+ machine-config document: `configuration` is the literal AuthenticationConfiguration
        # Talos writes for --authentication-config (Talos docs, KubeAuthenticationConfig; it refuses
        # oidc-* extra args from then on, siderolabs/talos#14279).
        conf = obj["configuration"]
        return (
            Kind.AUTH_CONFIG,
            "",
            {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", **conf},
        )
    if kind == "JWTAuthenticator" and api.startswith("authentication.concierge.pinniped.dev"):
        return Kind.PINNIPED_JWT, "", obj
    if kind == "ClientConfig" and "gke.io" in api:
        return Kind.GKE_CLIENTCONFIG, "", obj
    if kind == "Authentication" and api.startswith("config.openshift.io/"):
        from oidc_doctor.authn.sources import is_openshift_oidc

        if is_openshift_oidc(obj):
            return Kind.OPENSHIFT_AUTH, "", obj
        return None, "an OpenShift Authentication whose spec.type is not OIDC (the integrated OAuth server)", obj
    if kind in _RBAC_KINDS and api.startswith("rbac.authorization.k8s.io"):
        return Kind.RBAC, "", obj
    if kind in _WORKLOAD_KINDS:
        if _containers(obj) is None:
            raise Broken(f"{describe(obj)} has no spec.template.spec.containers list")
        return Kind.WORKLOAD, "", obj
    if kind == "ConfigMap":
        return _classify_configmap(obj)
    if kind == "Secret":
        if obj.get("type") == "helm.sh/release.v1":
            return Kind.HELM_RELEASE, "", obj
        return None, "a Secret that is not a Helm release record (Secret data is never read)", obj
    if kind == "Ingress":
        return Kind.INGRESS, "", obj
    if kind == "Config" and isinstance(obj.get("users"), list):
        token = _kubeconfig_id_token(obj)
        if token:
            return Kind.TOKEN, "", token
        from oidc_doctor.managed.aks import azure_kubelogin_users
        from oidc_doctor.proxy.kubelogin import kubelogin_clients

        if kubelogin_clients(obj, "") or azure_kubelogin_users(obj, ""):
            return Kind.KUBECONFIG, "", obj
        return None, "a kubeconfig without an oidc auth-provider id-token or kubelogin user", obj
    if kind == "ExecCredential" and api.startswith("client.authentication.k8s.io"):
        # What an exec plugin prints, e.g. `kubectl oidc-login get-token` (int128/kubelogin):
        # {"kind":"ExecCredential",...,"status":{"expirationTimestamp":...,"token":"eyJ..."}}.
        status = obj.get("status")
        token = status.get("token") if isinstance(status, dict) else None
        if isinstance(token, str) and token.strip():
            return Kind.TOKEN, "", token.strip()
        return None, "an ExecCredential without status.token (client certificates are not used)", obj
    if kind == "Status" and obj.get("code") in (401, 403):
        return Kind.ERROR_TEXT, "", _status_text(obj)
    if kind == "SelfSubjectReview" and isinstance(obj.get("status"), dict):
        return Kind.LIVE, "", obj
    if kind == "Lease" and api.startswith("coordination.k8s.io"):
        labels = (obj.get("metadata") or {}).get("labels") or {}
        # kube-apiserver's identity Lease (pkg/controlplane/apiserver/server.go
        # IdentityLeaseComponentLabelKey; `k8s.io/component` before 1.27): its name is the identity
        # whose sha256 the metrics call apiserver_id_hash.
        if isinstance(labels, dict) and "kube-apiserver" in (
            labels.get("apiserver.kubernetes.io/identity"),
            labels.get("k8s.io/component"),
        ):
            return Kind.APISERVER_LEASE, "", obj
        return None, "a Lease that is no kube-apiserver identity Lease", obj
    if api.startswith("audit.k8s.io/") and kind in ("Event", "EventList"):
        from oidc_doctor.controlplane.audit import events_of

        items = obj.get("items") if kind == "EventList" else [obj]
        return Kind.AUDIT_EVENTS, "", events_of(items if isinstance(items, list) else [])
    return None, f"{kind} ({api or 'no apiVersion'}) is not used by oidc-doctor", obj


#: The keys of a k3s / RKE2 config file (/etc/rancher/k3s/config.yaml) that carry API server flags;
#: a ``+`` suffix appends in drop-in files (docs.k3s.io/installation/configuration).
K3S_CONFIG_KEYS = ("kube-apiserver-arg", "kube-apiserver-arg+")


def _is_service_account_discovery(obj: dict[str, Any]) -> bool:
    """``kubectl get --raw /.well-known/openid-configuration``: the service-account issuer's document.

    kube-apiserver serves it with only issuer, jwks_uri (path ``/openid/v1/jwks``), response types
    ``["id_token"]``, subject types and algorithms (pkg/serviceaccount/openidmetadata.go): no
    authorization or token endpoint, so nobody logs in there. Taking it for the OIDC issuer's
    document would invent an issuer mismatch.
    """
    if "authorization_endpoint" in obj or "token_endpoint" in obj:
        return False
    jwks_uri = obj.get("jwks_uri")
    return (isinstance(jwks_uri, str) and jwks_uri.endswith("/openid/v1/jwks")) or obj.get(
        "response_types_supported"
    ) == ["id_token"]


def _kind_cluster_configuration(obj: dict[str, Any]) -> dict[str, Any]:
    """The ClusterConfiguration a kind cluster config makes: its ``kubeadmConfigPatches``.

    kind merges each patch (a YAML string) into the kubeadm config it generates (kind
    pkg/cluster/internal/kubeadm/config.go; sigs.k8s.io/kind docs "kubeadmConfigPatches"):
    top-level patches apply to every node, a control-plane node's own patches to that node.
    Without a ClusterConfiguration patch the API server runs without OIDC flags.
    """
    patches: list[Any] = []
    top = obj.get("kubeadmConfigPatches")
    patches += top if isinstance(top, list) else []
    nodes = obj.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and node.get("role", "control-plane") == "control-plane":
            own = node.get("kubeadmConfigPatches")
            patches += own if isinstance(own, list) else []
            break  # the first control-plane node runs the API server the bundle is about
    args: dict[str, Any] = {}
    for patch in patches:
        if not isinstance(patch, str):
            continue
        for doc in load_documents(patch, describe(obj) + " kubeadmConfigPatches"):
            cc = doc.data
            if not (isinstance(cc, dict) and cc.get("kind") == "ClusterConfiguration"):
                continue
            api_server = cc.get("apiServer")
            extra = api_server.get("extraArgs") if isinstance(api_server, dict) else None
            if isinstance(extra, dict):
                args.update({str(k): v for k, v in extra.items()})
            elif isinstance(extra, list):
                args.update({str(e["name"]): e.get("value") for e in extra if isinstance(e, dict) and "name" in e})
    return {
        "apiVersion": "kubeadm.k8s.io/v1beta3",
        "kind": "ClusterConfiguration",
        "apiServer": {"extraArgs": args},
    }


def _kubeconfig_id_token(obj: dict[str, Any]) -> str | None:
    """The ``id-token`` of a kubeconfig's legacy ``oidc`` auth-provider (nothing else is read)."""
    for user in obj["users"]:
        provider = ((user or {}).get("user") or {}).get("auth-provider") if isinstance(user, dict) else None
        config = provider.get("config") if isinstance(provider, dict) else None
        token = config.get("id-token") if isinstance(config, dict) else None
        if isinstance(token, str) and token:
            return token
    return None


def _status_text(obj: dict[str, Any]) -> str:
    import orjson

    return orjson.dumps(obj).decode()


def _classify_configmap(obj: dict[str, Any]) -> tuple[Kind | None, str, Any]:
    data = obj.get("data")
    if isinstance(data, dict):
        inner = data.get("ClusterConfiguration")
        if isinstance(inner, str):
            docs = [d.data for d in load_documents(inner, describe(obj) + " data.ClusterConfiguration")]
            for d in docs:
                if isinstance(d, dict) and d.get("kind") == "ClusterConfiguration":
                    return Kind.KUBEADM_CONFIG, "", d
        for value in data.values():
            if isinstance(value, str) and "AuthenticationConfiguration" in value:
                try:
                    docs = [d.data for d in load_documents(value, describe(obj))]
                except InputError:
                    continue
                for d in docs:
                    if isinstance(d, dict) and d.get("kind") == "AuthenticationConfiguration":
                        return Kind.AUTH_CONFIG, "", d
        for value in data.values():
            # Dex's config.yaml mounted from a ConfigMap (older Dex charts and manifests).
            if isinstance(value, str) and "issuer:" in value and ("staticClients:" in value or "storage:" in value):
                from oidc_doctor.idp.settings import is_dex_config

                try:
                    docs = [d.data for d in load_documents(value, describe(obj))]
                except InputError:
                    continue
                for d in docs:
                    if isinstance(d, dict) and is_dex_config(d):
                        return Kind.IDP_CONFIG, "", d
    return Kind.CONFIGMAP, "", obj


class Broken(Exception):
    """A recognised object whose shape is broken (named in the inputs, never fatal)."""


def _transcode(raw: bytes) -> bytes:
    """UTF-8 without a byte-order mark: Windows PowerShell's ``kubectl ... > file`` writes UTF-16 LE
    with a BOM (5.1) or UTF-8 with a BOM (``Out-File -Encoding utf8``)."""
    if raw[:3] == b"\xef\xbb\xbf":
        return raw[3:]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16-le" if raw[:2] == b"\xff\xfe" else "utf-16-be"
        body = raw[2:]
        return body[: len(body) - len(body) % 2].decode(codec, errors="replace").encode("utf-8")
    return raw


def _decode_text(raw: bytes) -> str | None:
    if b"\x00" in raw[:HEAD_BYTES]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        # A head cut in the middle of a multi-byte character is still text.
        if e.start >= len(raw) - 3:
            return raw[: e.start].decode("utf-8")
        return None


def sniff_log(head: str | bytes) -> Kind | None:
    """Which kind of log a file's first bytes look like, if any (``oidc_doctor.logs.sniff``)."""
    from oidc_doctor.logs.sniff import sniff_log as sniff

    kind = sniff(head.encode("utf-8", "surrogateescape") if isinstance(head, str) else head)
    return Kind(kind) if kind else None


_DESCRIBE_CONTAINER = re.compile(r"^  (\S[^:]*):\s*$")
_DESCRIBE_LIST = re.compile(r"^    (Command|Args):\s*$")


def describe_pod(text: str) -> dict[str, Any] | None:
    """The Pod that ``kubectl describe pod`` printed, as far as oidc-doctor needs it, or None.

    kubectl's describe printer (k8s.io/kubectl pkg/describe/describe.go, describeContainerCommand)
    writes ``Name:``/``Namespace:`` at the top, each container as a two-space-indented
    ``name:`` under ``Containers:``, and its ``Command:``/``Args:`` one item per line, indented
    six spaces.
    """
    text = text.replace("\r\n", "\n")
    if not text.startswith("Name:") or "\nContainers:\n" not in text:
        return None
    meta: dict[str, str] = {}
    for key, field in (("Name", "name"), ("Namespace", "namespace")):
        m = re.search(rf"^{key}:[ \t]+(\S+)[ \t]*$", text, re.MULTILINE)
        if m:
            meta[field] = m.group(1)
    lines = text.splitlines()
    i = lines.index("Containers:") + 1
    containers: list[dict[str, Any]] = []
    while i < len(lines) and (not lines[i] or lines[i].startswith(" ")):
        line = lines[i]
        i += 1
        m = _DESCRIBE_CONTAINER.match(line)
        if m:
            containers.append({"name": m.group(1)})
            continue
        m = _DESCRIBE_LIST.match(line)
        if m and containers:
            values: list[str] = []
            while i < len(lines) and lines[i].startswith("      "):
                values.append(lines[i][6:])
                i += 1
            containers[-1][m.group(1).lower()] = values
    if not containers:
        return None
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": containers}}


def classify_text(text: str) -> tuple[Kind | None, Any]:
    """Recognise a text file: a token, a log, or the error text a user saw."""
    from oidc_doctor.token.source import extract_token, is_credential_like, normalise

    stripped = text.strip()
    lines = [ln.strip() for ln in stripped.splitlines() if ln.strip()]
    if not lines:
        return None, None
    described = describe_pod(stripped)
    if described is not None and any(_is_apiserver_container(c) for c in described["spec"]["containers"]):
        return Kind.APISERVER_POD, described
    log = sniff_log(text)
    if log is None and not _SAYS_FAILURE.search(stripped):  # a user's words about a failure stay error text
        from oidc_doctor.authn.platforms import command_line

        found = command_line(stripped)
        if found is not None and found[0] == "node-args":
            return Kind.NODE_ARGS, found[1]  # a k3s/RKE2 unit file or install line
        if found is not None:
            pod = found[1]
            broken = _undecodable_manifest(pod, pod["spec"]["containers"])
            if broken is not None:
                return Kind.APISERVER_MANIFEST_BROKEN, broken
            return Kind.APISERVER_POD, pod  # args file, grepped manifest lines, unit, ps line, minikube start
    if log is not None and len(lines) > 1:
        if len(stripped) <= HEAD_BYTES and _KUBECTL_ERROR.match(lines[-1]):
            # kubectl's own stderr: its klog lines ("E1128 ... memcache.go:265] couldn't get
            # current server API group list: ...") then the error it ends with.
            return Kind.ERROR_TEXT, stripped
        return log, None
    if "following claims:" in text:
        from oidc_doctor.token.source import pasted_claims

        claims_only = pasted_claims(text)  # `kubectl oidc-login setup` output: the claims it decoded
        if claims_only is not None:
            return Kind.TOKEN, claims_only
    if len(lines) <= 5:
        token = extract_token(text)
        if token is not None:
            return Kind.TOKEN, token
        if is_credential_like(text):
            return Kind.TOKEN, normalise(text)
    if log is not None:
        return log, None
    if len(stripped) <= HEAD_BYTES and _ERROR_TEXT.search(stripped):
        return Kind.ERROR_TEXT, stripped
    return None, None


def _is_unit_file(body: str) -> bool:
    """A systemd unit (``[Unit]``/``[Service]`` sections): starts like a YAML flow list, is INI text."""
    return re.match(r"^\[(?:Unit|Service|Install)\]\s*$", body, re.MULTILINE) is not None


def _read_head(path: Path) -> bytes:
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as g:
                return g.read(HEAD_BYTES)
        except (OSError, EOFError, zlib.error):  # a corrupt stream: not recognised, never a crash
            return b""
    return head


def read_file(path: Path, ref: str, ev: Evidence) -> None:
    """Recognise one file and add its items and input records to ``ev``."""
    try:
        size = path.stat().st_size
        head = _transcode(_read_head(path))
    except OSError as e:
        ev.inputs.append(InputRecord(ref, "unreadable", reason=e.strerror or str(e)))
        return
    with path.open("rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    text_head = _decode_text(head)
    if text_head is None:
        ev.inputs.append(InputRecord(ref, "unrecognised", reason="binary content"))
        return
    if _read_export(path, ref, text_head, gzipped, ev) or _read_controlplane(path, ref, text_head, gzipped, ev):
        return
    body = _LEADING_COMMENTS.sub("", text_head)  # "# Source: kubeapps/templates/..." (helm template)
    first = body[:1]
    structured = first in ("{", "[") or re.match(r"^(?:---|apiVersion:|kind:|[\w.+-]+:\s)", body)
    if gzipped or size > MAX_STRUCTURED_BYTES or (not structured and size > HEAD_BYTES):
        kind = sniff_log(text_head)
        if kind is None:
            ev.inputs.append(InputRecord(ref, "unrecognised", reason="no known content in its first lines"))
        else:
            ev.add(Item(kind, ref, None, path=path))
            ev.inputs.append(InputRecord(ref, str(kind), objects=1))
        return
    raw = _transcode(path.read_bytes())
    # Valid UTF-8 is all that is asked here; ASCII (kubectl's JSON) is, without decoding 74 MB.
    ascii_only = raw.isascii()
    text = None if ascii_only else _decode_text(raw)
    if text is None and not ascii_only:
        ev.inputs.append(InputRecord(ref, "unrecognised", reason="binary content"))
        return
    if len(raw) >= TYPED_MIN_BYTES and (first == "{" or body.startswith("apiVersion: v1")):
        records = typed_rbac(raw, ref) if first == "{" else _typed_rbac_yaml(raw, ref)
        if records is not None:
            _add_records(records, ref, path, ev)
            return
    if structured:
        strong = first in ("{", "[") or body.startswith(("apiVersion:", "kind:", "---"))
        try:
            docs = load_documents(raw, ref)
        except InputError as e:
            # "[2026/11/28 10:00:00] ..." (oauth2-proxy) starts like JSON but is a log.
            if strong and sniff_log(text_head) is None and not _is_unit_file(body):
                manifest = broken_apiserver_manifest(text if text is not None else raw.decode("ascii"), e.problem)
                if manifest is not None:
                    ev.add(Item(Kind.APISERVER_MANIFEST_BROKEN, ref, manifest, path=path))
                    ev.inputs.append(InputRecord(ref, str(Kind.APISERVER_MANIFEST_BROKEN), objects=1, reason=e.problem))
                    return
                ev.inputs.append(InputRecord(ref, "broken", reason=e.problem))
                return
            docs = []  # "key: value" prose that is not YAML: try it as text below
        if any(isinstance(d.data, dict) for d in docs):
            # Objects win when any is recognised; "error: ..." prose parsed as YAML falls through, and
            # so does a JSON log of one line (a document only by accident).
            recognised = any(_recognised(d.data) for d in docs)
            if recognised or (strong and sniff_log(text_head) is None):
                _add_documents(docs, ref, path, ev)
                return
    kind, data = classify_text(text if text is not None else raw.decode("ascii"))
    if kind is None:
        ev.inputs.append(InputRecord(ref, "unrecognised", reason="no known content"))
        return
    ev.add(Item(kind, ref, data, path=path))
    ev.inputs.append(InputRecord(ref, str(kind), objects=1))


_POD_KIND = re.compile(r"^kind:\s*Pod\s*$", re.M)
_APISERVER_CMD = re.compile(r"^\s*-\s*kube-apiserver\s*$", re.M)
_AUTH_FLAG = re.compile(r"^\s*-\s*[\"']?(--(?:oidc-[a-z-]+|authentication-config)=[^\"'\s]*)", re.M)


def _typed_rbac_yaml(raw: bytes, ref: str) -> list[Any] | None:
    from oidc_doctor.rbac.yamllist import typed_rbac_yaml  # here: its expressions take 30 ms to compile

    return typed_rbac_yaml(raw, ref)


def broken_apiserver_manifest(text: str, problem: str) -> dict[str, Any] | None:
    """A kube-apiserver static Pod manifest that does not parse (a tab, broken indentation), by content:
    ``kind: Pod`` and a ``- kube-apiserver`` command line; its authentication flags read line by line.

    The kubelet cannot apply such a file (kubernetes pkg/kubelet/config/file.go: ``"Could not process
    manifest file" err="...: couldn't parse as pod(yaml: ...)"``) and keeps the Pod it runs.
    """
    if not (_POD_KIND.search(text) and _APISERVER_CMD.search(text)):
        return None
    return {"problem": problem, "flags": _AUTH_FLAG.findall(text)}


def _read_export(path: Path, ref: str, head: str, gzipped: bool, ev: Evidence) -> bool:
    """A control-plane log exported by a cloud's CLI (EKS CloudWatch, GKE Cloud Logging, AKS resource
    logs; ``oidc_doctor.logs.exports``): its API server and authenticator entries become an API server
    log, its audit entries audit events. Read whole (bounded); a broken export is named, never fatal."""
    from oidc_doctor.logs import exports

    platform = exports.sniff_export(head)
    if platform is None:
        return False
    try:
        raw = read_export_bytes(path, gzipped)
        export = exports.read_export(raw, ref, platform)
    except InputError as e:
        ev.inputs.append(InputRecord(ref, "broken", reason=e.problem))
        return True
    except (OSError, EOFError, zlib.error) as e:
        ev.inputs.append(InputRecord(ref, "broken", reason=f"log export: {e}"))
        return True
    logs = export.of(exports.APISERVER, exports.AUTHENTICATOR)
    audit_entries = export.of(exports.AUDIT)
    if logs:
        ev.add(Item(Kind.APISERVER_LOG, ref, export, path=path))
        ev.inputs.append(InputRecord(ref, str(Kind.APISERVER_LOG), objects=len(logs), reason=export.name))
    if audit_entries:
        events = _export_audit(audit_entries, ref)
        ev.add(Item(Kind.AUDIT_EVENTS, ref, events, path=path))
        ev.inputs.append(InputRecord(ref, str(Kind.AUDIT_EVENTS), objects=len(events), reason=export.name))
    if not logs and not audit_entries:
        ev.inputs.append(
            InputRecord(
                ref,
                "unrecognised",
                reason=f"{export.name} without API server, authenticator or audit entries "
                f"({export.other} entries of other components)",
            )
        )
    return True


def read_export_bytes(path: Path, gzipped: bool) -> bytes:
    """The bytes of a cloud log export, gzip inflated, refused above the export size limit."""
    from oidc_doctor.logs.exports import MAX_EXPORT_BYTES

    if gzipped:
        from oidc_doctor.limits import BoundedGzip

        with BoundedGzip(path) as g:
            raw = g.read(MAX_EXPORT_BYTES + 1)
    else:
        if path.stat().st_size > MAX_EXPORT_BYTES:
            raise InputError(str(path), f"log export over the {MAX_EXPORT_BYTES >> 20} MiB limit: filter it first")
        raw = path.read_bytes()
    return _transcode(raw)


def _export_audit(entries: list[Any], ref: str) -> list[Any]:
    """The ``audit.k8s.io`` Events among exported audit entries (each message one Event, as EKS's
    ``kube-apiserver-audit-*`` streams and AKS's ``kube-audit`` category write them)."""
    import orjson

    from oidc_doctor.controlplane.audit import events_of

    objs = []
    for e in entries:
        try:
            objs.append((e, orjson.loads(e.message)))
        except orjson.JSONDecodeError:
            continue
    out = []
    for e, obj in objs:
        out += events_of([obj], ref=f"{ref} {e.at}")
    return out


class RecordItem(Item):
    """An RBAC item holding a typed record: its ``ref`` (``file#N Kind ns/name``, as the dict path
    writes it) is made when first read, not 55,000 times while the file is read."""

    __slots__ = ("_file", "_number", "_ref")

    def __init__(self, file: str, number: int, data: Any, path: Path) -> None:
        self.kind = Kind.RBAC
        self.data = data
        self.path = path
        self.line = None
        self._file = file
        self._number = number  # the document's number in the file, 0 for the only one
        self._ref: str | None = None

    @property
    def ref(self) -> str:
        """``file#N Kind namespace/name``."""
        if self._ref is None:
            from oidc_doctor.rbac.objects import label

            where = f"{self._file}#{self._number}" if self._number else self._file
            self._ref = f"{where} {label(self.data)}"
        return self._ref

    @ref.setter
    def ref(self, value: str) -> None:
        self._ref = value


def _add_records(records: list[Any], ref: str, path: Path, ev: Evidence) -> None:
    """The typed RBAC records of one file, as :func:`_add_documents` adds its dicts (same refs)."""
    if len(records) == 1:
        ev.add(RecordItem(ref, 0, records[0], path))
    else:
        for i, rec in enumerate(records, 1):
            ev.add(RecordItem(ref, i, rec, path))
    ev.inputs.append(InputRecord(ref, str(Kind.RBAC), objects=len(records)))


def _read_controlplane(path: Path, ref: str, head: str, gzipped: bool, ev: Evidence) -> bool:
    """What the control plane records, recognised by its first lines: API server metrics text
    (``kubectl get --raw /metrics``), audit events (JSON lines). Read whole here (metrics: only the
    authentication families are kept) or, for audit events, later by the deriver (streaming)."""
    from oidc_doctor.controlplane import audit, metrics

    if audit.looks_like_audit(head):
        ev.add(Item(Kind.AUDIT_EVENTS, ref, None, path=path))
        ev.inputs.append(InputRecord(ref, str(Kind.AUDIT_EVENTS), objects=1))
        return True
    if not metrics.looks_like_exposition(head):
        return False
    try:
        from oidc_doctor.limits import BoundedGzip

        with BoundedGzip(path) if gzipped else path.open("rb") as f:
            samples = metrics.parse_text(f)
    except (OSError, EOFError, zlib.error, InputError) as e:  # unreadable, corrupt gzip, gzip bomb
        ev.inputs.append(InputRecord(ref, "broken", reason=f"API server metrics: {e}"))
        return True
    if not samples:
        ev.inputs.append(
            InputRecord(ref, "unrecognised", reason="Prometheus metrics without kube-apiserver authentication metrics")
        )
        return True
    ev.add(Item(Kind.APISERVER_METRICS, ref, samples, path=path))
    ev.inputs.append(InputRecord(ref, str(Kind.APISERVER_METRICS), objects=len(samples)))
    return True


def _recognised(obj: Any) -> bool:
    try:
        return classify_object(obj)[0] is not None
    except (Broken, InputError):
        return True


def _add_documents(docs: list[Any], ref: str, path: Path, ev: Evidence) -> None:
    counts: Counter[str] = Counter()
    skipped: list[str] = []
    many = len(docs) > 1
    for doc in docs:
        where = f"{ref}#{doc.index + 1}" if many else ref
        try:
            kind, reason, data = classify_object(doc.data)
        except (Broken, InputError) as e:
            ev.inputs.append(InputRecord(where, "broken", reason=str(e)))
            continue
        if kind is None:
            skipped.append(reason)
            continue
        label = describe(doc.data) if isinstance(doc.data, dict) and "kind" in doc.data else str(kind)
        ev.add(Item(kind, f"{where} {label}", data, path=path))
        counts[str(kind)] += 1
        if kind == Kind.TOKEN and isinstance(doc.data, dict) and doc.data.get("kind") == "Config":
            from oidc_doctor.proxy.kubelogin import kubelogin_clients

            if kubelogin_clients(doc.data, ""):
                # a kubeconfig whose oidc auth-provider holds an id-token: the token, and the client
                # (issuer, client id, scopes) that asked for it
                ev.add(Item(Kind.KUBECONFIG, f"{where} {label}", doc.data, path=path))
                counts[str(Kind.KUBECONFIG)] += 1
    for kind_name, n in counts.items():
        ev.inputs.append(InputRecord(ref, kind_name, objects=n))
    if skipped and not counts:
        ev.inputs.append(InputRecord(ref, "unrecognised", reason=skipped[0]))
    elif skipped:
        # The other documents of a file that is used (the Services and ServiceAccounts of a
        # `helm template` or `kubectl get all` output) are expected there: ignored, not a problem.
        ev.inputs.append(InputRecord(ref, "ignored", objects=len(skipped), reason=skipped[0]))


def _prefetch_log(path: Path) -> None:
    """Start the background search of a big plain log (``oidc_doctor.logs.scan.prefetch``), as
    :func:`read_file` will recognise it: by its first bytes, when nothing else claims them."""
    from oidc_doctor.logs.scan import PREFETCH_MIN, prefetch

    try:
        if path.stat().st_size < PREFETCH_MIN:
            return
        head = _transcode(_read_head(path))
    except OSError:
        return
    text_head = _decode_text(head)
    if text_head is None:
        return
    from oidc_doctor.controlplane import audit, metrics

    if audit.looks_like_audit(text_head) or metrics.looks_like_exposition(text_head):
        return
    kind = sniff_log(text_head)
    if kind is not None:
        prefetch(path, str(kind))


def read_bundle(folder: Path, ev: Evidence | None = None, *, prefetch_logs: bool = False) -> Evidence:
    """Read every file under ``folder`` (recursively, in name order) into an :class:`Evidence`.

    With ``prefetch_logs`` (a command that will scan the logs) the search of big logs starts in
    the background before any file is parsed.
    """
    ev = ev if ev is not None else Evidence()
    if not folder.exists():
        raise InputError(str(folder), "no such folder")
    if not folder.is_dir():
        raise InputError(str(folder), "not a folder (give the folder that holds the evidence files)")
    base = folder.name or str(folder)
    files, skipped = walk(folder)
    if not files:
        raise InputError(str(folder), "the folder holds no files")
    for path, why in skipped:
        ev.inputs.append(InputRecord(f"{base}/{path.relative_to(folder).as_posix()}", "skipped", reason=why))
    if prefetch_logs:
        for path in files:
            _prefetch_log(path)
    for path in files:
        ref = f"{base}/{path.relative_to(folder).as_posix()}"
        first = len(ev.inputs)
        try:
            read_file(path, ref, ev)
        except DoctorError as e:
            ev.inputs.append(InputRecord(ref, "broken", reason=str(e)))
        target = outside(path, folder)
        if target is not None:
            # read (a user may link their logs in), but named: it is not part of the bundle
            for rec in ev.inputs[first:]:
                rec.reason = "; ".join(filter(None, [rec.reason, f"a link to {target}, outside the bundle"]))
    # A bundle written by `collect` says what it could not read: those areas stay blind offline.
    from oidc_doctor.live.manifest import apply_manifest

    apply_manifest(folder, ev)
    return ev
