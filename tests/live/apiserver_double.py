"""A test double of the Kubernetes API server: real HTTPS on 127.0.0.1, fixed answers, recorded requests.

It is *not* a Kubernetes API server. It replays the JSON shapes ``kubectl get -o json`` shows for
the few paths oidc-doctor's live client uses — GET and list of workloads, ConfigMaps, Secrets
(label selectors by equality), Ingresses; PATCH of a workload with an RFC 6902 JSON Patch applied
honestly to the stored object by the independent ``jsonpatch`` library (a failed ``test`` op is a
422 like the API server's); and the workload status a rollout goes through. It speaks real TLS
with a ``trustme`` CA and is reached through the real client library with a real kubeconfig file.

It also answers GET and list of kube-apiserver Pods, Nodes, RBAC objects and GKE ClientConfigs
(cluster-scoped kinds at ``/api/v1/nodes``, ``/apis/rbac.authorization.k8s.io/v1/clusterroles``),
and POSTs of ``SelfSubjectReview`` (only the versions in ``review_versions``; others are 404 as on
an older API server) and ``SelfSubjectRulesReview`` with fixed answers.

Authentication is a fixed comparison, never our own code: a request passes when it carries
``Authorization: Bearer <the token given to the double>`` (the user ``ADMIN``), a token listed in
``users`` (the fixed userInfo given with it), or a TLS client certificate that the double's client
CA signed (verified by the ``ssl`` module). Anything else gets the API server's 401 Status. Paths
listed in ``forbidden`` get a 403 Status worded as kube-apiserver words it.
"""

from __future__ import annotations

import copy
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import jsonpatch
import trustme
import yaml
from tls_support import serve_https

Rollout = Literal["instant", "progressive"]

_GROUP_PATHS = {
    "Deployment": ("/apis/apps/v1", "deployments"),
    "StatefulSet": ("/apis/apps/v1", "statefulsets"),
    "DaemonSet": ("/apis/apps/v1", "daemonsets"),
    "ConfigMap": ("/api/v1", "configmaps"),
    "Secret": ("/api/v1", "secrets"),
    "Ingress": ("/apis/networking.k8s.io/v1", "ingresses"),
    "Pod": ("/api/v1", "pods"),
    "Lease": ("/apis/coordination.k8s.io/v1", "leases"),
    "Node": ("/api/v1", "nodes"),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles"),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings"),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings"),
    "ClientConfig": ("/apis/authentication.gke.io/v2alpha1", "clientconfigs"),
    "JWTAuthenticator": ("/apis/authentication.concierge.pinniped.dev/v1alpha1", "jwtauthenticators"),
    "Authentication": ("/apis/config.openshift.io/v1", "authentications"),
}
_CLUSTER_SCOPED = {"Node", "ClusterRole", "ClusterRoleBinding", "JWTAuthenticator", "Authentication"}
#: What the double answers a SelfSubjectReview with for the kubeconfig's own credentials.
ADMIN = {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]}


@dataclass
class Recorded:
    """One request as the double received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    client_cert: bool


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _forbidden_message(rec: Recorded, username: str) -> str:
    """kube-apiserver's 403 wording (k8s.io/apiserver ``responsewriters/errors.go`` forbiddenMessage,
    wrapped by ``errors.NewForbidden``) for the request's path."""
    parts = rec.path.strip("/").split("/")
    if parts[0] not in ("api", "apis"):  # a non-resource URL: Forbidden writes "cannot get path ..."
        return f'forbidden: User "{username}" cannot {rec.method.lower()} path "{rec.path}"'
    group = "" if parts[0] == "api" else parts[1]
    rest = parts[2:] if parts[0] == "api" else parts[3:]
    verb = {"GET": "list", "POST": "create", "PATCH": "patch"}[rec.method]
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource = rest[0] if rest else ""
    if len(rest) >= 2 and rec.method == "GET":
        verb = "get"
    qualified = f"{resource}.{group}" if group else resource
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    what = f'{qualified} "{rest[1]}"' if len(rest) >= 2 else qualified
    return f'{what} is forbidden: User "{username}" cannot {verb} resource "{resource}" in API group "{group}" {scope}'


@dataclass
class ApiServerDouble:
    """The double's state: stored objects, recorded requests, and how it answers."""

    token: str = "double-token"
    rollout: Rollout = "instant"
    forbidden: set[str] = field(default_factory=set)
    #: Other accepted bearer tokens and the userInfo a SelfSubjectReview answers for each (fixed).
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The SelfSubjectRulesReview ``status`` answered per username (fixed; default: no rules).
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    review_versions: set[str] = field(default_factory=lambda: {"v1", "v1beta1", "v1alpha1"})
    #: ``GET /metrics`` answers (Prometheus text), one per request in turn, as API servers behind a
    #: load balancer answer; empty: 404 as for any unknown path.
    metrics: list[str] = field(default_factory=list)
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    #: GETs left before a progressive rollout reports done, per object key.
    _pending: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ca = trustme.CA()
        self.client_ca = trustme.CA()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- objects -----------------------------------------------------------------------------

    def add(self, obj: dict[str, Any]) -> None:
        """Store one object (a workload gets a completed rollout status)."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if obj["kind"] in _CLUSTER_SCOPED:
            meta["namespace"] = ""
        meta.setdefault("namespace", "default")
        meta.setdefault("generation", 1)
        meta.setdefault("resourceVersion", "1000")
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            self._complete(obj)
        self.objects[(obj["kind"], meta["namespace"], meta["name"])] = obj

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """The stored object (a copy)."""
        return copy.deepcopy(self.objects[(kind, namespace, name)])

    @staticmethod
    def _complete(obj: dict[str, Any]) -> None:
        gen = obj["metadata"]["generation"]
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        if obj["kind"] == "DaemonSet":
            obj["status"] = {
                "observedGeneration": gen,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 2,
                "numberAvailable": 2,
            }
        elif obj["kind"] == "StatefulSet":
            obj["status"] = {
                "observedGeneration": gen,
                "replicas": replicas,
                "readyReplicas": replicas,
                "currentReplicas": replicas,
                "updatedReplicas": replicas,
                "currentRevision": f"r{gen}",
                "updateRevision": f"r{gen}",
            }
        else:
            obj["status"] = {
                "observedGeneration": gen,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
            }

    # --- server ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ApiServerDouble:
        """Listen on 127.0.0.1 (an ephemeral port) in a background thread."""
        double = self

        class Handler(BaseHTTPRequestHandler):
            """Records each request and answers it from the double's state."""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, code: int, body: dict[str, Any] | str) -> None:
                text = isinstance(body, str)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain; version=0.0.4" if text else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
                rec = Recorded(method, parts.path, parse_qs(parts.query), dict(self.headers), body, bool(peer))
                with double._lock:
                    double.requests.append(rec)
                    code, answer = double.answer(rec)
                    text = double.text_answer(rec) if code == 404 else None  # after authn and authz
                if text is not None:
                    self._answer(200, text)
                else:
                    self._answer(code, answer)

            def do_GET(self) -> None:
                """GET an object or a list."""
                self._handle("GET")

            def do_PATCH(self) -> None:
                """PATCH an object with a JSON Patch."""
                self._handle("PATCH")

            def do_POST(self) -> None:
                """POST a review."""
                self._handle("POST")

        self._server, self._thread = serve_https(Handler, self.ca.issue_cert("127.0.0.1", "localhost"), self.client_ca)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ApiServerDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answers -----------------------------------------------------------------------------

    def _user(self, rec: Recorded) -> dict[str, Any] | None:
        auth = rec.headers.get("Authorization") or ""
        if auth == f"Bearer {self.token}":
            return ADMIN
        if auth.startswith("Bearer ") and auth[7:] in self.users:
            return self.users[auth[7:]]
        if rec.client_cert and not auth:
            return {"username": "alice@example.com", "groups": ["system:authenticated"]}
        return None

    def answer(self, rec: Recorded) -> tuple[int, dict[str, Any]]:
        """The fixed answer for one request."""
        user = self._user(rec)
        if user is None:
            return 401, _status(401, "Unauthorized", "Unauthorized")
        if rec.path in self.forbidden:
            return 403, _status(403, "Forbidden", _forbidden_message(rec, user["username"]))
        if rec.method == "POST":
            return self._review(rec, user)
        route = self._route(rec.path)
        if route is None:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        kind, namespace, name = route
        if rec.method == "GET" and name:
            key = (kind, namespace, name)
            if key not in self.objects:
                return 404, _status(404, "NotFound", f'{_GROUP_PATHS[kind][1]} "{name}" not found')
            self._advance(key)
            return 200, copy.deepcopy(self.objects[key])
        if rec.method == "GET":
            return 200, self._list(kind, namespace, rec.query)
        if rec.method == "PATCH" and name:
            return self._patch((kind, namespace, name), rec)
        return 405, _status(405, "MethodNotAllowed", "the double does not answer this method")

    def text_answer(self, rec: Recorded) -> str | None:
        """``GET /metrics``: the next of :attr:`metrics` in turn (None: not a text path, or none given)."""
        if rec.path != "/metrics" or rec.method != "GET" or not self.metrics:
            return None
        scrapes = sum(1 for r in self.requests if r.path == "/metrics") - 1
        return self.metrics[scrapes % len(self.metrics)]

    def _review(self, rec: Recorded, user: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = rec.path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "apis":
            return 405, _status(405, "MethodNotAllowed", "the double only takes reviews by POST")
        group, version, plural = parts[1], parts[2], parts[3]
        body = json.loads(rec.body or b"{}")
        if group == "authentication.k8s.io" and plural == "selfsubjectreviews" and version in self.review_versions:
            return 201, {
                "kind": "SelfSubjectReview",
                "apiVersion": f"{group}/{version}",
                "metadata": {"creationTimestamp": None},
                "status": {"userInfo": copy.deepcopy(user)},
            }
        if group == "authorization.k8s.io" and version == "v1" and plural == "selfsubjectrulesreviews":
            empty = {"resourceRules": [], "nonResourceRules": [], "incomplete": False}
            status = self.rules.get(user["username"], empty)
            return 201, {
                "kind": "SelfSubjectRulesReview",
                "apiVersion": "authorization.k8s.io/v1",
                "metadata": {"creationTimestamp": None},
                "spec": body.get("spec") or {},
                "status": copy.deepcopy(status),
            }
        return 404, _status(404, "NotFound", "the server could not find the requested resource")

    @staticmethod
    def _route(path: str) -> tuple[str, str, str] | None:
        for kind, (prefix, plural) in _GROUP_PATHS.items():
            if not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix) + 1 :].split("/")
            if rest == [plural]:
                return kind, "", ""
            if kind in _CLUSTER_SCOPED and len(rest) == 2 and rest[0] == plural:
                return kind, "", rest[1]
            if len(rest) in (3, 4) and rest[0] == "namespaces" and rest[2] == plural:
                return kind, rest[1], rest[3] if len(rest) == 4 else ""
        return None

    def _list(self, kind: str, namespace: str, query: dict[str, list[str]]) -> dict[str, Any]:
        selector = dict(p.split("=", 1) for p in (query.get("labelSelector") or [""])[0].split(",") if "=" in p)
        items = []
        for (k, ns, _), obj in sorted(self.objects.items()):
            labels = (obj.get("metadata") or {}).get("labels") or {}
            if (
                k == kind
                and (not namespace or ns == namespace)
                and all(labels.get(a) == b for a, b in selector.items())
            ):
                item = copy.deepcopy(obj)
                # list items carry no kind/apiVersion in the API's answer
                item.pop("kind", None)
                item.pop("apiVersion", None)
                items.append(item)
        start = int((query.get("continue") or ["0"])[0])
        limit = int((query.get("limit") or ["0"])[0]) or len(items)
        page = items[start : start + limit]
        meta: dict[str, Any] = {"resourceVersion": "2000"}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
        prefix = _GROUP_PATHS[kind][0]
        api = prefix.removeprefix("/apis/").removeprefix("/api/")
        return {"kind": f"{kind}List", "apiVersion": api, "metadata": meta, "items": page}

    def _patch(self, key: tuple[str, str, str], rec: Recorded) -> tuple[int, dict[str, Any]]:
        if key not in self.objects:
            return 404, _status(404, "NotFound", f'"{key[2]}" not found')
        if rec.headers.get("Content-Type") != "application/json-patch+json":
            return 415, _status(415, "UnsupportedMediaType", "the double only takes JSON patches")
        obj = self.objects[key]
        try:
            patched = jsonpatch.apply_patch(obj, json.loads(rec.body))
        except jsonpatch.JsonPatchTestFailed as e:
            return 422, _status(422, "Invalid", f"the server rejected our request due to an error in our request: {e}")
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, ValueError) as e:
            return 422, _status(422, "Invalid", f"invalid JSON patch: {e}")
        if patched.get("spec") != obj.get("spec"):
            meta = patched["metadata"]
            meta["generation"] = int(meta.get("generation", 1)) + 1
            meta["resourceVersion"] = str(int(meta.get("resourceVersion", "1000")) + 1)
            if self.rollout == "instant":
                self._complete(patched)
            else:
                self._pending[key] = 2
        self.objects[key] = patched
        return 200, copy.deepcopy(patched)

    def _advance(self, key: tuple[str, str, str]) -> None:
        """A progressive rollout: observed first, then complete on the next read."""
        left = self._pending.get(key)
        if left is None:
            return
        obj = self.objects[key]
        if left == 2:
            st = obj.setdefault("status", {})
            st["observedGeneration"] = obj["metadata"]["generation"]
            st["updatedReplicas"] = 0
            self._pending[key] = 1
        else:
            self._complete(obj)
            del self._pending[key]

    # --- kubeconfig --------------------------------------------------------------------------

    def kubeconfig(
        self, path: Path, user: dict[str, Any] | None = None, *, ca: bool = True, context: str = "double"
    ) -> Path:
        """Write a kubeconfig pointing at the double (token user by default)."""
        import base64

        cluster: dict[str, Any] = {"server": self.url}
        if ca:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca.cert_pem.bytes()).decode()
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": user if user is not None else {"token": self.token}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context, "namespace": "kubeapps"}}],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(doc))
        return path

    def client_cert_user(self) -> dict[str, Any]:
        """A kubeconfig user with a client certificate the double's client CA signed."""
        import base64

        cert = self.client_ca.issue_cert("alice@example.com")
        return {
            "client-certificate-data": base64.b64encode(cert.cert_chain_pems[0].bytes()).decode(),
            "client-key-data": base64.b64encode(cert.private_key_pem.bytes()).decode(),
        }


class IssuerDouble:
    """An OpenID issuer that serves a fixed discovery document and JWKS over HTTPS and records headers.

    Used to prove what reaches an issuer (never a credential); the real provider in ``tests/idp``
    covers real keys and tokens.
    """

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.headers: list[dict[str, str]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        """``https://127.0.0.1:PORT``."""
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> IssuerDouble:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            """Discovery at the well-known path, an empty key set at /jwks."""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                """Answer and record."""
                issuer.headers.append(dict(self.headers))
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {"issuer": issuer.issuer, "jwks_uri": issuer.issuer + "/jwks"}
                elif self.path == "/jwks":
                    body = {"keys": []}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server, _ = serve_https(Handler, self.ca.issue_cert("127.0.0.1"))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
