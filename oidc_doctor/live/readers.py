"""Read what a diagnosis needs from a live cluster, into a bundle folder or straight into Evidence.

One set of readers serves ``collect`` (a :class:`~oidc_doctor.live.bundle_writer.BundleSink`
streams each group to a JSON List file) and ``diagnose --context`` / ``rbac --context`` (an
:class:`EvidenceSink` adds the same objects as a bundle would, recognised by
:func:`oidc_doctor.bundle.classify_object`). What is read:

- kube-apiserver Pods (``kube-system``, ``component=kube-apiserver``), the ``kubeadm-config``
  ConfigMap, Nodes reduced to their ``k3s.io/node-args`` / ``rke2.io/node-args`` annotations, and
  GKE's ``ClientConfig`` (``kube-public/default``) when the cluster has one;
- RBAC: ClusterRoles, ClusterRoleBindings, Roles, RoleBindings of all namespaces, page by page;
- workloads with an oauth2-proxy container and the ConfigMaps they mount or read, Ingresses,
  and Helm release records (``owner=helm``) reduced to chart name, version and masked values;
- with the API server's JWT settings known: each issuer's discovery document and JWKS, fetched
  with no credential at all (the issuer never receives a token);
- with the user's token: its SelfSubjectReview, sent only to the kubeconfig's API server;
- the API server's authentication metrics (``GET /metrics``, only those families kept), scraped
  again until no new ``apiserver_id_hash`` shows (through a load balancer each scrape reaches one
  API server), at most :data:`MAX_SCRAPES` times; and the API servers' identity Leases, which
  name every API server of the cluster (each ``apiserver_id_hash`` is the sha256 of one's name).

A read the API server refuses (403), an absent object (404) or an unreachable issuer becomes a
:class:`Note` and, where checks depend on it, ``Evidence.blind[area]``: never an abort.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from oidc_doctor.live.client import ApiClient, LiveError, core_path, workload_path
from oidc_doctor.live.manifest import Note
from oidc_doctor.live.redact import redact_args, redact_configmap, redact_ingress, redact_workload

NODE_ARGS_ANNOTATIONS = ("k3s.io/node-args", "rke2.io/node-args")
#: GKE Identity Service's per-cluster OIDC settings (``kubectl -n kube-public get clientconfig default``).
GKE_CLIENTCONFIG = "/apis/authentication.gke.io/v2alpha1/namespaces/kube-public/clientconfigs/default"
#: Pinniped Concierge (pinniped apis/concierge/authentication/v1alpha1) and OpenShift (openshift/api
#: config/v1) authenticators; both cluster-scoped.
PINNIPED_JWT = "/apis/authentication.concierge.pinniped.dev/v1alpha1/jwtauthenticators"
OPENSHIFT_AUTH = "/apis/config.openshift.io/v1/authentications"
RBAC_RESOURCES = ("clusterroles", "clusterrolebindings", "roles", "rolebindings")
#: SelfSubjectReview versions, newest first: v1 since Kubernetes 1.28, v1beta1 1.27, v1alpha1 1.26
#: (kubernetes ``staging/src/k8s.io/api/authentication/*/types.go``; ``kubectl auth whoami`` tries them so).
REVIEW_VERSIONS = ("v1", "v1beta1", "v1alpha1")
#: Scrapes of ``/metrics`` at most, and scrapes in a row that show no new API server before stopping.
MAX_SCRAPES = 8
QUIET_SCRAPES = 2
#: Why ``/metrics`` may be refused: the permission that allows it.
METRICS_PERMISSION = "needs `get` on the non-resource URL /metrics (ClusterRole system:monitoring)"
#: kube-apiserver identity Leases (pkg/controlplane/apiserver/server.go IdentityLeaseComponentLabelKey).
LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
LEASE_SELECTOR = "apiserver.kubernetes.io/identity=kube-apiserver"


def outcome_of(e: LiveError) -> str:
    """``forbidden`` / ``absent`` / ``unauthorized`` / ``unreachable`` for an API error."""
    return {403: "forbidden", 404: "absent", 401: "unauthorized"}.get(
        e.status or 0, "unreachable" if e.status is None else "error"
    )


class Group(Protocol):
    """One group of objects (one file of a bundle)."""

    def add(self, obj: dict[str, Any]) -> None:
        """Add one object."""

    def close(self) -> int:
        """Finish the group; the number of objects added."""


class Sink(Protocol):
    """Where readers put what they read."""

    def group(self, name: str, what: str) -> Group:
        """Start a group ``name`` (a file stem) of objects read by ``what``."""

    def note(self, note: Note) -> None:
        """Record something that could not be read."""

    def token(self, token: str) -> None:
        """The user's token, when it is to be kept (``--include-token``, or a diagnosis)."""


@dataclass
class ReadOptions:
    """What to read."""

    namespaces: list[str] | None = None  # None: all namespaces
    rbac: bool = True
    proxies: bool = True
    issuer: bool = True  # fetch discovery and JWKS (no credentials)
    metrics: bool = True  # scrape the API server's authentication metrics
    token: str | None = None  # the user's token: its SelfSubjectReview


@dataclass
class Collected:
    """What the readers saw, for the caller's summary."""

    notes: list[Note] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    settings_objects: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] | None = None  # the SelfSubjectReview answered for the token
    review_error: LiveError | None = None


class _Reader:
    def __init__(self, client: ApiClient, sink: Sink, opts: ReadOptions) -> None:
        self.client = client
        self.sink = sink
        self.opts = opts
        self.out = Collected()

    def note(self, note: Note) -> None:
        self.out.notes.append(note)
        self.sink.note(note)

    def failed(self, area: str, what: str, e: LiveError, *, blind: bool = True) -> None:
        # "GET /path: the API server answered 403 ...": ``what`` names the request already
        text = str(e)
        method_path, sep, rest = text.partition(": ")
        short = rest if sep and method_path.split(" ", 1)[0] in ("GET", "POST") and " " in method_path else text
        if e.status == 403 and "needs `" not in short:
            needed = permission_for(what)
            short += f" ({needed})" if needed else ""
        self.note(Note(area, what, outcome_of(e), short, blind))

    def write(self, name: str, what: str, objs: Iterable[dict[str, Any]]) -> int:
        """Stream ``objs`` into group ``name``; a refused read mid-way is noted, what came is kept."""
        g = self.sink.group(name, what)
        try:
            for obj in objs:
                g.add(obj)
        finally:
            n = g.close()
            self.out.counts[name] = self.out.counts.get(name, 0) + n
        return n

    def paths(self, make: Any) -> list[str]:
        """One path per namespace asked for, or the all-namespaces path."""
        if self.opts.namespaces:
            return [make(ns) for ns in self.opts.namespaces]
        return [make(None)]

    # --- the API server's settings --------------------------------------------------------------

    def settings(self) -> None:
        path = core_path("pods", "kube-system")
        pods_err: LiveError | None = None
        try:
            pods = [redact_workload(p) for p in self.client.iter_list(path, "component=kube-apiserver")]
            self.write("apiserver-pods", f"list {path}?labelSelector=component=kube-apiserver", pods)
            self.out.settings_objects += pods
            for pod in pods:
                self._auth_config_note(pod)
        except LiveError as e:
            pods_err = e
            self.failed("apiserver-config", f"list {path}?labelSelector=component=kube-apiserver", e, blind=False)
        path = core_path("configmaps", "kube-system") + "/kubeadm-config"
        try:
            cm = self.client.get(path)
            cm.setdefault("kind", "ConfigMap")
            cm.setdefault("apiVersion", "v1")
            (cm.get("metadata") or {}).pop("managedFields", None)
            self.write("kubeadm-config", f"get {path}", [cm])
            self.out.settings_objects.append(cm)
        except LiveError as e:
            self.failed("apiserver-config", f"get {path}", e, blind=False)
        try:
            nodes = list(self._nodes())
            self.write("nodes", "list /api/v1/nodes (node-args annotations only)", nodes)
            self.out.settings_objects += nodes
        except LiveError as e:
            self.failed("apiserver-config", "list /api/v1/nodes", e, blind=False)
        try:
            cc = self.client.get(GKE_CLIENTCONFIG)
            (cc.get("metadata") or {}).pop("managedFields", None)
            self.write("gke-clientconfig", f"get {GKE_CLIENTCONFIG}", [cc])
            self.out.settings_objects.append(cc)
        except LiveError as e:
            # absent on every cluster that is not GKE with Identity Service: not worth a blind spot
            self.failed("gke", f"get {GKE_CLIENTCONFIG}", e, blind=False)
        # Authenticators that stand in for kube-apiserver's own (cluster-scoped; absent on most clusters:
        # a refusal or a 404 blinds nothing): Pinniped Concierge JWTAuthenticators with their status,
        # OpenShift's cluster Authentication (external OIDC when spec.type is OIDC).
        for name, path in (("pinniped-jwtauthenticators", PINNIPED_JWT), ("openshift-authentication", OPENSHIFT_AUTH)):
            try:
                objs = [_strip(o) for o in self.client.iter_list(path)]
            except LiveError as e:
                if e.status != 404:
                    self.failed("apiserver-config", f"list {path}", e, blind=False)
                continue
            if objs:
                self.write(name, f"list {path}", objs)
                self.out.settings_objects += objs
        if not self.out.settings_objects:
            server = self.client.cfg.server
            why = (
                f"the kube-apiserver Pods of {server} cannot be read ({pods_err})"
                if pods_err is not None and pods_err.status != 404
                else f"{server} shows no kube-apiserver Pod, kubeadm-config or k3s/RKE2 node args "
                "(a managed control plane hides them)"
            )
            self.note(Note("apiserver-config", "the API server's OIDC settings", "not-readable", why))

    def metrics(self) -> None:
        """Scrape ``/metrics`` until every API server behind the endpoint was seen (bounded); each
        scrape that shows a new ``apiserver_id_hash`` (and the first) is kept, as a Prometheus query
        result of the authentication series only.

        Through a load balancer each request reaches one API server. With the identity Leases read
        (N of them), scraping stops once every Lease's ``apiserver_id_hash`` was seen, after at most
        :func:`scrape_budget` (2N + 2) requests, and a note names the API servers never reached;
        without Leases it stops after :data:`QUIET_SCRAPES` scrapes in a row showing no new API server
        (at most :data:`MAX_SCRAPES`).
        """
        from oidc_doctor.controlplane.hashes import label_hash
        from oidc_doctor.controlplane.metrics import parse_text

        expected: dict[str, str] = {}  # apiserver_id_hash -> host (or the Lease name)
        try:
            leases = [_strip(x) for x in self.client.iter_list(LEASES, LEASE_SELECTOR)]
            self.write("apiserver-leases", f"list {LEASES}?labelSelector={LEASE_SELECTOR}", leases)
            expected = dict(lease_hosts(leases, label_hash))
        except LiveError as e:
            self.failed("metrics", f"list {LEASES}?labelSelector={LEASE_SELECTOR}", e, blind=False)
        seen: set[str] = set()
        quiet = 0
        kept: list[dict[str, Any]] = []
        budget = scrape_budget(len(expected))
        sent = 0
        for n in range(budget):
            sent = n + 1
            try:
                body = self.client.get_text("/metrics")
            except LiveError as e:
                if n == 0:
                    why = f"{e} ({METRICS_PERMISSION})" if e.status in (401, 403) else str(e)
                    self.failed("metrics", "get /metrics", LiveError(why, e.status, e.reason), blind=False)
                break
            samples = parse_text(body.splitlines(keepends=True))
            if not samples:
                self.note(
                    Note("metrics", "get /metrics", "absent", "no authentication series (kube-apiserver 1.30+)", False)
                )
                break
            ids = {s.labels["apiserver_id_hash"] for s in samples if s.labels.get("apiserver_id_hash")}
            if n == 0 or ids - seen:
                kept.append(
                    {
                        "status": "success",
                        "data": {
                            "resultType": "vector",
                            "result": [
                                {"metric": {"__name__": s.name, **s.labels}, "value": [0, s.shown or str(s.value)]}
                                for s in samples
                            ],
                        },
                    }
                )
                quiet = 0
            else:
                quiet += 1
            seen |= ids
            if not ids:
                break
            if expected and set(expected) <= seen:
                break  # every API server of the cluster was seen
            if not expected and quiet >= QUIET_SCRAPES:
                break
        if kept:
            names = ", ".join(sorted(expected.get(h, h[:19]) for h in seen))
            of = f" of {len(expected)}" if expected else ""
            what = f"get /metrics x{sent} (authentication series; API servers seen: {len(seen)}{of}: {names})"
            self.write("apiserver-metrics", what, kept)
        missing = sorted(host for h, host in expected.items() if h not in seen)
        if kept and missing:
            self.note(
                Note(
                    "metrics",
                    f"get /metrics x{sent}",
                    "not-readable",
                    f"{sent} scrapes through the endpoint reached {len(seen)} of the {len(expected)} API servers "
                    f"the identity Leases list; never reached: {', '.join(missing)} (scrape those directly, e.g. "
                    "`kubectl get --raw /metrics --server https://NODE:6443`)",
                    False,
                )
            )

    def _nodes(self) -> Iterator[dict[str, Any]]:
        for node in self.client.iter_list("/api/v1/nodes"):
            meta = node.get("metadata") or {}
            ann = meta.get("annotations") or {}
            kept = {k: ann[k] for k in NODE_ARGS_ANNOTATIONS if isinstance(ann.get(k), str)}
            if not kept:
                continue
            for k, v in kept.items():
                kept[k] = _redact_node_args(v)
            yield {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": meta.get("name", ""), "labels": meta.get("labels") or {}, "annotations": kept},
            }

    def _auth_config_note(self, pod: dict[str, Any]) -> None:
        from oidc_doctor.authn.sources import from_pod

        auth = from_pod(pod, "live")
        if auth is not None and auth.auth_config_path:
            name = (pod.get("metadata") or {}).get("name", "")
            self.note(
                Note(
                    "auth-config",
                    f"--authentication-config={auth.auth_config_path} of Pod kube-system/{name}",
                    "not-readable",
                    "a file on the control-plane node, not readable through the API: copy it into the bundle "
                    f"(ssh NODE cat {auth.auth_config_path})",
                    blind=False,
                )
            )

    # --- RBAC ----------------------------------------------------------------------------------

    def rbac(self) -> None:
        for res in RBAC_RESOURCES:
            path = f"/apis/rbac.authorization.k8s.io/v1/{res}"
            try:
                self.write(f"rbac-{res}", f"list {path}", self.client.iter_list(path))
            except LiveError as e:
                self.failed("rbac", f"list {path}", e)

    # --- proxies, ingresses, Helm ---------------------------------------------------------------

    def proxies(self) -> None:
        from oidc_doctor.authn.sources import kube_oidc_proxy_container
        from oidc_doctor.proxy.settings import find_proxies

        found: list[dict[str, Any]] = []
        for kind in ("Deployment", "StatefulSet", "DaemonSet"):
            for path in self.paths(lambda ns, k=kind: workload_path(k, ns or "")):
                try:
                    for obj in self.client.iter_list(path):
                        # oauth2-proxy in front of a dashboard, or kube-oidc-proxy in front of the API server
                        kop = kube_oidc_proxy_container(obj) is not None
                        if kop or find_proxies(obj, "live"):
                            found.append(redact_workload(obj))
                            if kop:
                                self.out.settings_objects.append(found[-1])  # its issuer is fetched too
                except LiveError as e:
                    self.failed("proxy", f"list {path}", e)
        self.write("proxy-workloads", "workloads with an oauth2-proxy or kube-oidc-proxy container", found)
        cms: list[dict[str, Any]] = []
        for ns, name in sorted(_configmap_refs(found)):
            path = core_path("configmaps", ns) + f"/{name}"
            try:
                cm = self.client.get(path)
            except LiveError as e:
                self.failed("proxy", f"get {path}", e, blind=e.status != 404)
                continue
            cm.setdefault("kind", "ConfigMap")
            cm.setdefault("apiVersion", "v1")
            cms.append(redact_configmap(cm))
        self.write("proxy-configmaps", "ConfigMaps the proxies mount or read", cms)
        for path in self.paths(
            lambda ns: (
                f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"
                if ns
                else "/apis/networking.k8s.io/v1/ingresses"
            )
        ):
            try:
                self.write("ingresses", f"list {path}", (redact_ingress(i) for i in self.client.iter_list(path)))
            except LiveError as e:
                self.failed("ingress", f"list {path}", e, blind=False)
        for path in self.paths(lambda ns: core_path("secrets", ns)):
            try:
                releases = (
                    reduce_helm_release(s)
                    for s in self.client.iter_list(path, "owner=helm")
                    if s.get("type") == "helm.sh/release.v1"
                )
                self.write("helm-releases", f"list {path}?labelSelector=owner=helm", (r for r in releases if r))
            except LiveError as e:
                self.failed("helm", f"list {path}?labelSelector=owner=helm", e, blind=False)

    # --- the issuer ----------------------------------------------------------------------------

    def issuer(self) -> None:
        from oidc_doctor.authn.remote import WELL_KNOWN, HttpFetcher
        from oidc_doctor.authn.settings import read_settings
        from oidc_doctor.authn.verify import FetchError
        from oidc_doctor.evidence import Evidence
        from oidc_doctor.live.sinks import EvidenceSink

        ev = Evidence()
        g = EvidenceSink(ev).group("settings", "the API server's settings")
        for obj in self.out.settings_objects:
            g.add(obj)
        view = read_settings(ev)
        if view.auth is None:
            return
        fetcher = HttpFetcher()
        seen: set[str] = set()
        for a in view.auth.authenticators:
            url = a.issuer.discovery_url or a.issuer.url.rstrip("/") + WELL_KNOWN
            if not a.issuer.url or url in seen:
                continue
            seen.add(url)
            ca = a.issuer.certificate_authority if "BEGIN CERTIFICATE" in a.issuer.certificate_authority else ""
            try:
                # no headers: the issuer never receives a credential
                status, text, body, _ = fetcher.get(url, {}, ca)
                doc = _json_object(body) if status == 200 else None
                if doc is None:
                    raise FetchError(f"{url}: {text if status != 200 else 'not a JSON object'}")
                self.write("issuer-discovery", f"GET {url} (no credentials)", [doc])
                jwks_uri = doc.get("jwks_uri")
                if not isinstance(jwks_uri, str) or not jwks_uri:
                    raise FetchError(f"{url}: the discovery document has no jwks_uri")
                status, text, body, _ = fetcher.get(jwks_uri, {}, ca)
                keys = _json_object(body) if status == 200 else None
                if keys is None or not isinstance(keys.get("keys"), list):
                    raise FetchError(f"{jwks_uri}: {text if status != 200 else 'not a JWKS'}")
                plain = [u for u in (url, jwks_uri) if u.startswith("http://") or u in fetcher.plain_http]
                if plain:
                    # keys anyone on the path could have sent never reach the bundle's checks
                    raise FetchError(f"{plain[0]}: answered over plain http; its keys are not used")
                from oidc_doctor.controlplane.hashes import JWKS_BODY_HASH, label_hash

                keys[JWKS_BODY_HASH] = label_hash(body)  # comparable with the key set hash the API server holds
                self.write("issuer-jwks", f"GET {jwks_uri} (no credentials)", [keys])
            except FetchError as e:
                self.note(
                    Note(
                        "jwks",
                        f"discovery and JWKS of {a.issuer.url}",
                        "unreachable",
                        f"fetched from this machine, not from the API server: {e}",
                    )
                )

    # --- the user's token ------------------------------------------------------------------------

    def review(self, token: str) -> None:
        self.sink.token(token)
        with ApiClient(self.client.cfg, token=token) as user_client:
            try:
                review = self_subject_review(user_client)
            except LiveError as e:
                self.out.review_error = e
                if e.status in (401, 403):
                    # the API server's own answer to the token: a bundle reads it as the error text
                    self.write("selfsubjectreview-status", "POST selfsubjectreviews with the token", [_status(e)])
                self.failed("token", "POST selfsubjectreviews with the token", e, blind=False)
                return
        self.out.review = review
        self.write("selfsubjectreview", "POST selfsubjectreviews with the token", [review])


def nothing_read(got: Collected, server: str, context: str) -> str | None:
    """Why a run read nothing from the cluster (unreachable, credentials rejected), or None."""
    cluster = {k: n for k, n in got.counts.items() if not k.startswith(("issuer-", "selfsubjectreview"))}
    if any(cluster.values()):
        return None
    first = next((n for n in got.notes if n.outcome in ("unauthorized", "unreachable") and n.area != "jwks"), None)
    if first is None:
        return None
    why = f"nothing could be read from {server} (context {context}): {first.reason}"
    if first.outcome == "unauthorized":
        why += (
            "; the API server rejects this context's own credentials: if they are the OIDC login being "
            "debugged, that is the failure: run `oidc-doctor whoami --context "
            f"{context}`, or read the cluster with another context and pass the token with --token"
        )
    return why


def read_cluster(client: ApiClient, sink: Sink, opts: ReadOptions) -> Collected:
    """Read everything ``opts`` asks for into ``sink``; never raises for a refused or absent read."""
    r = _Reader(client, sink, opts)
    r.settings()
    if opts.rbac:
        r.rbac()
    if opts.proxies:
        r.proxies()
    if opts.issuer:
        r.issuer()
    if opts.metrics:
        r.metrics()
    if opts.token is not None:
        r.review(opts.token)
    return r.out


def self_subject_review(client: ApiClient) -> dict[str, Any]:
    """POST a SelfSubjectReview (v1, else v1beta1, else v1alpha1 on 404); the answer with kind set."""
    last: LiveError | None = None
    for version in REVIEW_VERSIONS:
        api = f"authentication.k8s.io/{version}"
        try:
            answer = client.post(f"/apis/{api}/selfsubjectreviews", {"apiVersion": api, "kind": "SelfSubjectReview"})
        except LiveError as e:
            if e.status == 404:
                last = e
                continue
            raise
        answer.setdefault("apiVersion", api)
        answer.setdefault("kind", "SelfSubjectReview")
        status = answer.get("status")
        info = status.get("userInfo") if isinstance(status, dict) else None
        if (
            answer.get("kind") != "SelfSubjectReview"
            or not isinstance(info, dict)
            or not isinstance(info.get("username"), str)
        ):
            # a 2xx that is not a review (an HTML login page from a proxy, a 201 with no body)
            # says nothing about who the token is: "could not ask", never "authenticated"
            raise LiveError(
                f"POST /apis/{api}/selfsubjectreviews: the answer is not a SelfSubjectReview with "
                "status.userInfo.username: could not ask who the token is"
            )
        return answer
    assert last is not None
    raise LiveError(
        "the API server serves no SelfSubjectReview API (authentication.k8s.io v1, v1beta1, v1alpha1: "
        "Kubernetes older than 1.26, or the APISelfSubjectReview feature is off)",
        404,
        "NotFound",
    )


def self_subject_rules_review(client: ApiClient, namespace: str) -> dict[str, Any]:
    """POST a SelfSubjectRulesReview for ``namespace`` (authorization.k8s.io/v1)."""
    api = "authorization.k8s.io/v1"
    return client.post(
        f"/apis/{api}/selfsubjectrulesreviews",
        {"apiVersion": api, "kind": "SelfSubjectRulesReview", "spec": {"namespace": namespace}},
    )


def _status(e: LiveError) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": e.reason,
        "code": e.status,
        "message": str(e),
    }


def _json_object(body: bytes) -> dict[str, Any] | None:
    import orjson

    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def permission_for(what: str) -> str:
    """The RBAC permission a refused read needs, from the request ``what`` names (``list /apis/G/V/
    namespaces/NS/RESOURCE?...``, ``get /api/v1/...``, ``get /metrics``), with the ``kubectl auth can-i``
    line that checks it; "" when ``what`` is no API request. The paths are the Kubernetes API's own
    (``/api/v1`` for the core group, ``/apis/GROUP/VERSION`` otherwise; ``namespaces/NS/`` before a
    namespaced resource)."""
    verb, _, rest = what.partition(" ")
    path = rest.split("?", 1)[0]
    if verb not in ("get", "list", "watch") or not path.startswith("/"):
        return ""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, parts = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, parts = parts[1], parts[3:]
    else:
        return f"needs `{verb}` on the non-resource URL {path} (kubectl auth can-i {verb} {path})"
    ns = ""
    if len(parts) >= 2 and parts[0] == "namespaces" and len(parts) > 2:
        ns, parts = parts[1], parts[2:]
    if not parts:
        return ""
    resource = parts[0] + (f".{group}" if group else "")
    name = f" {parts[1]}" if len(parts) > 1 else ""
    where = f" in namespace {ns}" if ns else " at the cluster scope"
    check = f"kubectl auth can-i {verb} {resource}{name}" + (f" -n {ns}" if ns else "")
    return f"needs `{verb}` on {resource}{where} ({check})"


def scrape_budget(leases: int) -> int:
    """How many ``/metrics`` requests to send: 2N + 2 with N identity Leases (a load balancer that spreads
    requests evenly shows N API servers in about N requests; twice that, and two more, tolerates
    uneven spreading), else :data:`MAX_SCRAPES`."""
    return 2 * leases + 2 if leases else MAX_SCRAPES


def lease_hosts(leases: list[dict[str, Any]], hash_of: Callable[[str], str]) -> list[tuple[str, str]]:
    """``(apiserver_id_hash, host)`` of each identity Lease: the Lease's name is the API server's
    identity, hashed as the metrics label is; label ``kubernetes.io/hostname`` is its host."""
    out = []
    for lease in leases:
        meta = lease.get("metadata") if isinstance(lease, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if not isinstance(name, str) or not name:
            continue
        labels = meta.get("labels") if isinstance(meta, dict) else None
        host = labels.get("kubernetes.io/hostname") if isinstance(labels, dict) else None
        out.append((hash_of(name), host if isinstance(host, str) and host else name))
    return out


def _strip(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without ``managedFields`` (bulk a bundle does not need)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


def _redact_node_args(value: str) -> str:
    """k3s/RKE2 node-args is a JSON list of the server's argv (k3s masks ``--token`` itself; be sure)."""
    import orjson

    try:
        argv = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value
    if not isinstance(argv, list):
        return value
    return orjson.dumps(redact_args(argv)).decode()


def _configmap_refs(workloads: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(namespace, name) of every ConfigMap a workload mounts (volumes, projected) or reads (env)."""
    out: set[tuple[str, str]] = set()
    for obj in workloads:
        ns = str((obj.get("metadata") or {}).get("namespace") or "default")
        tmpl = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        for vol in tmpl.get("volumes") or []:
            if not isinstance(vol, dict):
                continue
            if isinstance(vol.get("configMap"), dict) and vol["configMap"].get("name"):
                out.add((ns, str(vol["configMap"]["name"])))
            for src in (vol.get("projected") or {}).get("sources") or []:
                if isinstance(src, dict) and isinstance(src.get("configMap"), dict) and src["configMap"].get("name"):
                    out.add((ns, str(src["configMap"]["name"])))
        for c in [*(tmpl.get("containers") or []), *(tmpl.get("initContainers") or [])]:
            if not isinstance(c, dict):
                continue
            for ef in c.get("envFrom") or []:
                if isinstance(ef, dict) and isinstance(ef.get("configMapRef"), dict) and ef["configMapRef"].get("name"):
                    out.add((ns, str(ef["configMapRef"]["name"])))
            for env in c.get("env") or []:
                ref = ((env or {}).get("valueFrom") or {}).get("configMapKeyRef") if isinstance(env, dict) else None
                if isinstance(ref, dict) and ref.get("name"):
                    out.add((ns, str(ref["name"])))
    return out


def reduce_helm_release(secret: dict[str, Any]) -> dict[str, Any] | None:
    """A Helm release Secret with only chart name, version and masked values, encoded as Helm does.

    The rendered manifest, templates, files, hooks and notes are dropped; values under
    secret-looking keys become ``<redacted>`` (BUNDLE.md). The result is again a valid
    ``helm.sh/release.v1`` Secret, so the bundle reader and the proxy checks read it unchanged.
    """
    from oidc_doctor.errors import InputError
    from oidc_doctor.proxy.helm import as_dict, encode_release, mask, release_payload

    meta = as_dict(secret.get("metadata"))
    where = f"Secret {meta.get('namespace', '')}/{meta.get('name', '')}"
    try:
        payload = release_payload(secret, where)
    except InputError:
        return None
    chart = as_dict(payload.get("chart"))
    chart_meta = as_dict(chart.get("metadata"))
    info = as_dict(payload.get("info"))
    reduced = {
        "name": payload.get("name"),
        "namespace": payload.get("namespace"),
        "version": payload.get("version"),
        "info": {"status": info.get("status")},
        "chart": {
            "metadata": {k: chart_meta[k] for k in ("name", "version", "appVersion") if k in chart_meta},
            "values": mask(copy.deepcopy(as_dict(chart.get("values")))),
        },
        "config": mask(copy.deepcopy(as_dict(payload.get("config")))),
    }
    labels = as_dict(meta.get("labels"))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": meta.get("name", ""),
            "namespace": meta.get("namespace", ""),
            "labels": {k: v for k, v in labels.items() if k in ("name", "owner", "status", "version")},
        },
        # Kubernetes base64-encodes Secret data over Helm's own base64 (pkg/storage/driver/secrets.go)
        "data": {"release": base64.b64encode(encode_release(reduced).encode()).decode()},
    }
