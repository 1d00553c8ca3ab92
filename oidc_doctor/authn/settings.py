"""The API server's JWT settings as seen in an :class:`~oidc_doctor.evidence.Evidence`.

Picks the most direct source (the running kube-apiserver Pod, then kubeadm's
ClusterConfiguration, then k3s/RKE2 node args, then the last ``Running kube-apiserver`` line
of a k3s/RKE2 journal, then a lone AuthenticationConfiguration, then EKS or GKE settings),
links ``--authentication-config`` to an AuthenticationConfiguration in the same bundle, and
says where to look when the settings cannot be seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidc_doctor.authn.model import ApiServerAuth
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.record import dataclass, field

if TYPE_CHECKING:
    from pathlib import PurePosixPath

SETTINGS_KINDS = (
    Kind.APISERVER_POD,
    Kind.KUBEADM_CONFIG,
    Kind.NODE_ARGS,
    Kind.AUTH_CONFIG,
    Kind.EKS_IDP,
    Kind.GKE_CLIENTCONFIG,
    Kind.PINNIPED_JWT,
    Kind.OPENSHIFT_AUTH,
    Kind.AKS_JWT,
)

WHERE_TO_LOOK = (
    "kube-apiserver's flags: `kubectl -n kube-system get pod -l component=kube-apiserver -o yaml` "
    "(or /etc/kubernetes/manifests/kube-apiserver.yaml on a control-plane node), "
    "`kubectl -n kube-system get cm kubeadm-config -o yaml`, k3s/RKE2: `kubectl get nodes -o yaml` "
    "(or `journalctl -u k3s` / `journalctl -u rke2-server` from a server node), "
    "and the file named by --authentication-config"
)

MANAGED_HINTS: dict[str, tuple[tuple[str, ...], str]] = {
    "EKS": (
        ("eks.amazonaws.com", "amazonaws.com/eks", "oidc.eks.", "eks:", "arn:aws:eks"),
        "EKS hides kube-apiserver; its OIDC settings are an identity provider config: "
        "`aws eks list-identity-provider-configs --cluster-name CLUSTER` then "
        "`aws eks describe-identity-provider-config --cluster-name CLUSTER "
        "--identity-provider-config type=oidc,name=NAME --output json` (add that JSON to the bundle)",
    ),
    "GKE": (
        ("container.googleapis.com", "gke.io", "gke-", ".gke."),
        "GKE hides kube-apiserver; OIDC goes through GKE Identity Service: "
        "`kubectl -n kube-public get clientconfig default -o yaml` (add it to the bundle)",
    ),
    "AKS": (
        ("azmk8s.io", "aks-", "kubernetes.azure.com"),
        "AKS hides kube-apiserver; look at `az aks show -g RESOURCE_GROUP -n CLUSTER -o json` "
        "(aadProfile / structured authentication settings) and add what it shows to the bundle",
    ),
}


@dataclass
class SettingsView:
    """What the evidence says about the API server's JWT settings."""

    auth: ApiServerAuth | None  # None: no settings source seen
    items: list[Item] = field(default_factory=list)
    #: Why the settings cannot be judged (managed control plane, config file not in the bundle).
    blind: str = ""
    managed: str = ""  # EKS / GKE / AKS when hinted
    #: Facts worth saying beside the settings (e.g. control-plane nodes that disagree).
    notes: list[str] = field(default_factory=list)
    #: The kube-apiserver Pods of one cluster whose OIDC settings differ (ref, shape), if any.
    disagreeing: list[tuple[str, str]] = field(default_factory=list)


def _basename(p: str | None) -> str:
    from pathlib import PurePosixPath  # here: predict's start-up does not import pathlib (3 ms)

    return PurePosixPath(p).name if p else ""


def auth_from_item(item: Item) -> ApiServerAuth | None:
    """The settings one recognised evidence item holds (None when it holds none)."""
    from oidc_doctor.authn import sources  # here: predict's flags path does not load the readers (1 ms)

    data: Any = item.data
    if not isinstance(data, dict):
        return None
    where = item.ref
    if item.kind == Kind.APISERVER_POD:
        return sources.from_pod(data, where)
    if item.kind == Kind.KUBEADM_CONFIG:
        return sources.from_kubeadm(data, where)
    if item.kind == Kind.NODE_ARGS:
        return sources.from_node(data, where)
    if item.kind == Kind.AUTH_CONFIG:
        return sources.parse_auth_config(data, where, str(item.path) if item.path else None)
    if item.kind == Kind.PINNIPED_JWT:
        return sources.from_pinniped(data, where)
    if item.kind == Kind.AKS_JWT:
        return aks_jwt_settings([item])
    if item.kind == Kind.EKS_IDP:
        return sources.from_eks(data, where)
    if item.kind == Kind.GKE_CLIENTCONFIG:
        return sources.from_gke(data, where)
    if item.kind == Kind.OPENSHIFT_AUTH:
        return sources.from_openshift(data, where)
    if item.kind == Kind.WORKLOAD:
        return sources.from_kube_oidc_proxy(data, where)
    return None


def _oidc_flags(auth: ApiServerAuth) -> str:
    """The OIDC flags of one API server, as a user reads them."""
    flags = [f"--{k}={v}" for k, vals in sorted(auth.flags.items()) if k.startswith("oidc-") for v, _ in vals]
    if auth.auth_config_path:
        flags.append(f"--authentication-config={auth.auth_config_path}")
    return " ".join(flags) or "no OIDC flags"


def _shape(auth: ApiServerAuth) -> str:
    oidc = {k: [v for v, _ in vals] for k, vals in sorted(auth.flags.items()) if k.startswith("oidc-")}
    return repr((oidc, auth.auth_config_path, auth.signing_algs))


def managed_hint(ev: Evidence) -> str:
    """EKS, GKE or AKS when something in the evidence points to a managed control plane."""
    texts: list[str] = []
    for item in ev.items:
        texts.append(item.ref)
        if isinstance(item.data, str) and item.kind != Kind.TOKEN:
            texts.append(item.data[:4000])
        elif isinstance(item.data, str):
            from oidc_doctor.authn.verify import untrusted_issuer

            texts.append(untrusted_issuer(item.data) or "")
    texts.extend(ev.blind.values())
    blob = "\n".join(texts).lower()
    for name, (needles, _) in MANAGED_HINTS.items():
        if any(n in blob for n in needles):
            return name
    return ""


def _from_logs(ev: Evidence) -> tuple[Item, ApiServerAuth] | None:
    """The flags of the last ``Running kube-apiserver`` line among the API server logs (k3s/RKE2)."""
    import zlib  # here: only a log read for its flags can be a corrupt gzip (not on predict's start-up)

    from oidc_doctor.authn.k3slog import from_k3s_log

    found: list[tuple[Item, ApiServerAuth]] = []
    for item in ev.of(Kind.APISERVER_LOG):
        if item.path is None or item.data is not None:
            continue  # a cloud's log export (managed control planes print no k3s command line)
        try:
            auth = from_k3s_log(item.path, item.ref)
        except (InputError, OSError, EOFError, zlib.error):
            continue  # unreadable or corrupt (truncated gzip): the logs check says so
        if auth is not None:
            found.append((item, auth))
    return found[-1] if found else None


def read_settings(ev: Evidence) -> SettingsView:
    """The effective settings from the evidence (see the module docstring for the order); a
    kube-oidc-proxy in front of an API server without JWT authenticators judges the tokens instead."""
    view = _read_settings(ev)
    if view.auth is not None and view.auth.authenticators:
        return view
    for item in ev.of(Kind.WORKLOAD):
        proxy = auth_from_item(item) if isinstance(item.data, dict) else None
        if proxy is not None and proxy.authenticators:
            # kube-oidc-proxy validates the token itself and impersonates the user towards an API
            # server that has no OIDC settings of its own (jetstack/kube-oidc-proxy README).
            before = view.auth.ref if view.auth is not None else ""
            proxy.notes.append(
                f"the tokens are judged by the kube-oidc-proxy of {item.ref}"
                + (f" ({before} has no JWT authenticator)" if before else "")
            )
            return SettingsView(auth=proxy, items=[*view.items, item], notes=view.notes)
    return view


def _read_settings(ev: Evidence) -> SettingsView:
    from oidc_doctor.authn import sources

    items = ev.of(*SETTINGS_KINDS)
    view = SettingsView(auth=None, items=items)
    parsed: dict[Kind, list[tuple[Item, ApiServerAuth]]] = {}
    for item in items:
        a = auth_from_item(item)
        if a is not None:
            parsed.setdefault(item.kind, []).append((item, a))
    configs = parsed.get(Kind.AUTH_CONFIG, [])
    pods = parsed.get(Kind.APISERVER_POD, [])
    if len(pods) > 1:
        # HA control planes: a node whose flags differ answers the same token differently.
        shapes = {_shape(a): item.ref for item, a in pods}
        if len(shapes) > 1:
            view.disagreeing = [(item.ref, _oidc_flags(a)) for item, a in pods]
            view.notes.append(
                "the kube-apiserver Pods disagree on their OIDC settings (requests may succeed on one "
                f"control-plane node and fail on another): {'; '.join(shapes.values())}"
            )
    kubeadm = parsed.get(Kind.KUBEADM_CONFIG, [])
    if pods and kubeadm and _shape(pods[0][1]) != _shape(kubeadm[0][1]):
        # kubeadm reads kubeadm-config only on init/upgrade: editing it changes nothing running.
        view.notes.append(
            f"{kubeadm[0][0].ref} differs from the running {pods[0][0].ref}: the Pod's flags are in effect "
            "(kubeadm-config is read only by `kubeadm init/upgrade`; edit /etc/kubernetes/manifests/"
            "kube-apiserver.yaml on each control-plane node)"
        )
    if not any(k in parsed for k in (Kind.APISERVER_POD, Kind.KUBEADM_CONFIG, Kind.NODE_ARGS)):
        logged = _from_logs(ev)
        if logged is not None and (logged[1].auth_config_path or not configs):
            # k3s/RKE2 journal only: the last start's command line is the next best thing.
            parsed[Kind.APISERVER_LOG] = [logged]
            view.items = [*items, logged[0]]
    nodes = parsed.get(Kind.NODE_ARGS, [])
    # A Node's node-args annotation is what the running k3s/RKE2 server was started with: it wins
    # over a config file, unit file or install line in hand (which may not have been applied).
    nodes.sort(key=lambda pair: not (isinstance(pair[0].data, dict) and pair[0].data.get("kind") == "Node"))
    for kind in (Kind.APISERVER_POD, Kind.KUBEADM_CONFIG, Kind.NODE_ARGS, Kind.APISERVER_LOG):
        if kind in parsed:
            _item, auth = parsed[kind][0]
            if not auth.kube_version:
                # The version is the cluster's: any other settings source may tell it (a Node's
                # kubeletVersion beside a config file, an image tag beside a kubeadm config).
                known = next((a for pairs in parsed.values() for _i, a in pairs if a.kube_version), None)
                if known is not None:
                    auth.kube_version, auth.kube_version_ref = known.kube_version, known.kube_version_ref
            if auth.auth_config_path:
                match = [
                    c
                    for i, c in configs
                    if _basename(str(i.path) if i.path else "") == _basename(auth.auth_config_path)
                ]
                chosen = match[0] if match else (configs[0][1] if configs else None)
                if chosen is None:
                    # The named file may be in the bundle but not loadable (empty, no kind):
                    # kube-apiserver's own load error is then the answer.
                    chosen = _unloadable_config(ev, auth.auth_config_path)
                if chosen is None:
                    view.auth = auth
                    view.blind = (
                        f"{auth.ref} runs with --authentication-config={auth.auth_config_path}, "
                        "and that file is not in the bundle: add it (it holds the JWT authenticators)"
                    )
                    return view
                auth = sources.link_auth_config(auth, chosen)
            view.auth = auth
            return view
    for kind in (Kind.AUTH_CONFIG, Kind.EKS_IDP, Kind.GKE_CLIENTCONFIG, Kind.PINNIPED_JWT, Kind.OPENSHIFT_AUTH):
        if kind in parsed:
            view.auth = parsed[kind][0][1]
            return view
    if Kind.AKS_JWT in parsed:
        # Every JWT authenticator of the cluster is one jwt entry of the configuration AKS runs.
        view.auth = aks_jwt_settings([item for item, _ in parsed[Kind.AKS_JWT]])
        view.managed = "AKS"
        return view
    entra = aks_entra_note(ev)
    if entra:
        view.managed = "AKS"
        view.blind = entra
        return view
    view.managed = managed_hint(ev)
    if view.managed:
        view.blind = MANAGED_HINTS[view.managed][1]
    elif "apiserver-config" in ev.blind:
        view.blind = f"{ev.blind['apiserver-config']}; look at {WHERE_TO_LOOK}"
    return view


def aks_jwt_settings(items: list[Item]) -> ApiServerAuth:
    """AKS structured authentication: the JWT authenticators (``az aks jwtauthenticator show/list``) as
    the AuthenticationConfiguration they amount to, judged by the same emulator."""
    from oidc_doctor.authn import sources
    from oidc_doctor.managed.aks import authentication_configuration

    objs = [i.data for i in items if isinstance(i.data, dict)]
    names = ", ".join(str(o.get("name", "")) for o in objs)
    ref = items[0].ref if len(items) == 1 else f"AKS JWT authenticators {names} ({items[0].ref.split(' ', 1)[0]})"
    auth = sources.parse_auth_config(authentication_configuration(objs), ref)
    for a, item in zip(auth.authenticators, items, strict=False):
        a.ref = f"{item.ref} properties"
    auth.notes.append("AKS structured authentication (az aks jwtauthenticator): AKS runs these as jwt entries")
    return auth


def aks_entra_note(ev: Evidence) -> str:
    """Why the settings are not OIDC flags when AKS-managed Entra ID is in use (``az aks show`` with
    ``aadProfile.managed``, or a kubeconfig running Azure kubelogin), else ``""``."""
    from oidc_doctor.managed import aks

    for item in ev.of(Kind.AKS_CLUSTER):
        if isinstance(item.data, dict) and aks.parse_cluster(item.data, item.ref).managed_entra:
            return (
                f"AKS-managed Microsoft Entra ID is in use ({item.ref} aadProfile.managed): the API server has no "
                "--oidc flags to read; it hands tokens to AKS's webhook, which accepts Entra access tokens for "
                f"the AKS server application {aks.AKS_SERVER_APP} (the aks.* checks judge them)"
            )
    for item in ev.of(Kind.KUBECONFIG):
        for user in aks.azure_kubelogin_users(item.data, item.ref):
            return (
                f"the kubeconfig runs Azure kubelogin (`{user.ref}`: --server-id {user.server_id}): the cluster "
                "uses AKS-managed Microsoft Entra ID, which has no --oidc flags to read (the aks.* checks judge "
                "the token; `az aks show -o json` adds the cluster's aadProfile)"
            )
    return ""


#: Largest bundle file re-read as a possible AuthenticationConfiguration.
_MAX_CONFIG_BYTES = 16 * 1024 * 1024


def _bundle_root(ev: Evidence) -> tuple[str, PurePosixPath] | None:
    """(the bundle's name in refs, its folder), from any item read from a file."""
    from pathlib import PurePosixPath

    for item in ev.items:
        if item.path is None:
            continue
        rel = PurePosixPath(item.ref.split(" ", 1)[0].split("#", 1)[0])
        parts = rel.parts
        path = PurePosixPath(item.path.as_posix())
        if len(parts) >= 2 and path.parts[-(len(parts) - 1) :] == parts[1:]:
            root = PurePosixPath(*path.parts[: len(path.parts) - (len(parts) - 1)])
            return parts[0], root
    return None


def _unloadable_config(ev: Evidence, config_path: str) -> ApiServerAuth | None:
    """The bundle file named like ``config_path`` that the reader could not recognise, loaded
    as kube-apiserver loads it (``failed to load authentication configuration ...``)."""
    from pathlib import Path, PurePosixPath

    from oidc_doctor.authn import sources
    from oidc_doctor.errors import DoctorError
    from oidc_doctor.loader import load_documents

    found = _bundle_root(ev)
    if found is None:
        return None
    base, root = found
    want = _basename(config_path)
    for rec in ev.inputs:
        ref = rec.ref.split(" ", 1)[0]
        if rec.kind not in ("unrecognised", "broken", "ignored") or _basename(ref) != want:
            continue
        rel = PurePosixPath(ref)
        if not rel.parts or rel.parts[0] != base:
            continue
        file = Path(str(root.joinpath(*rel.parts[1:])))
        try:
            if file.stat().st_size > _MAX_CONFIG_BYTES:
                return None
            text = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        try:
            docs = [d.data for d in load_documents(text, ref)] if text else []
        except DoctorError:
            return None  # not YAML: the bundle reader already says so
        return sources.load_auth_config_file(text, docs, config_path)
    return None


def discovery_for(ev: Evidence, auth: ApiServerAuth) -> dict[str, tuple[Item, str]]:
    """Discovery documents of the evidence by the configured issuer they belong to.

    A document belongs to an authenticator when its ``issuer`` is the configured URL or on the
    same host (a mismatch is then what it shows), or when there is one of each.
    """
    docs: list[tuple[Item, str]] = []
    for i in ev.of(Kind.DISCOVERY):
        d = i.data.get("issuer") if isinstance(i.data, dict) else None
        if isinstance(d, str):
            docs.append((i, d))
    out: dict[str, tuple[Item, str]] = {}
    if not docs:
        return out  # (before importing urllib: 2 ms of predict's start-up)
    from urllib.parse import urlsplit

    for a in auth.authenticators:
        url = a.issuer.url
        near = [(i, d) for i, d in docs if d == url]
        near = near or [(i, d) for i, d in docs if urlsplit(d).netloc == urlsplit(url).netloc]
        if not near and len(docs) == 1 and len(auth.authenticators) == 1:
            near = docs
        if near:
            out[url] = near[0]
    return out


def discovery_init_error(found: dict[str, tuple[Item, str]], a: Any) -> str | None:
    """go-oidc ``NewProvider``'s error when the discovered issuer is not the configured URL."""
    from oidc_doctor.authn.goformat import quote

    doc = found.get(a.issuer.url)
    if doc is None or doc[1] == a.issuer.url:
        return None
    return (
        "oidc: issuer did not match the issuer returned by provider, "
        f"expected {quote(a.issuer.url)} got {quote(doc[1])}"
    )
