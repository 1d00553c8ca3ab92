"""A small Kubernetes API client: get, list (paged), JSON patch, rollout wait — plain JSON only.

Connection details come from :mod:`oidc_doctor.live.kubeconfig` (lightkube's config model); the
transport is ``httpx`` with TLS verification always on (CA from the kubeconfig, or the system
store), explicit timeouts (connect 5 s, whole request at most 10 s, DESIGN.md), client
certificates, bearer tokens, ``tokenFile`` and exec credential plugins of
``client.authentication.k8s.io`` v1, v1beta1 and v1alpha1 (kubelogin, ``aws eks get-token``).
Answers are read as plain JSON (``orjson``), never turned into generated models: large lists stay
cheap. Other live-mode work extends :class:`ApiClient` with more paths.
"""

from __future__ import annotations

import base64
import builtins
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from oidc_doctor.errors import DoctorError
from oidc_doctor.live.kubeconfig import LoadedConfig
from oidc_doctor.text import clean

CONNECT_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 10.0
_EXEC_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1alpha1",
)


class LiveError(DoctorError):
    """The API server could not be reached or refused a request; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def _ssl_context(cfg: LoadedConfig, *, client_cert: bool = True) -> ssl.SSLContext | bool:
    cluster = cfg.single.cluster
    user = cfg.single.user
    if cluster.insecure:
        # kubectl's insecure-skip-tls-verify; honoured because the user's kubeconfig asks for it
        return False
    try:
        if cluster.certificate_auth_data:
            pem = base64.b64decode(cluster.certificate_auth_data).decode("ascii", "replace")
            ctx = ssl.create_default_context(cadata=pem)
        elif cluster.certificate_auth:
            ctx = ssl.create_default_context(cafile=str(cluster.certificate_auth))
        else:
            ctx = ssl.create_default_context()
    except (ssl.SSLError, OSError, ValueError) as e:
        where = "" if cluster.certificate_auth_data else f" {cluster.certificate_auth}"
        why = e.strerror if isinstance(e, OSError) and e.strerror else e
        raise LiveError(f"kubeconfig cluster CA{where} for context {cfg.context!r} cannot be loaded: {why}") from e
    if client_cert and user is not None and (user.client_cert or user.client_cert_data):
        _load_client_cert(ctx, user, cfg.context)
    return ctx


def _load_client_cert(ctx: ssl.SSLContext, user: Any, context: str) -> None:
    try:
        if user.client_cert_data:
            # ssl loads certificates from files only: write them to a private temporary
            # directory, load, and delete at once.
            with tempfile.TemporaryDirectory(prefix="oidc-doctor-") as d:
                cert = Path(d) / "cert.pem"
                key = Path(d) / "key.pem"
                cert.write_bytes(base64.b64decode(user.client_cert_data))
                key.write_bytes(base64.b64decode(user.client_key_data or ""))
                os.chmod(key, 0o600)
                ctx.load_cert_chain(str(cert), str(key))
        else:
            ctx.load_cert_chain(str(user.client_cert), str(user.client_key) if user.client_key else None)
    except (ssl.SSLError, OSError, ValueError) as e:
        where = "" if user.client_cert_data else f" {user.client_cert}"
        why = e.strerror if isinstance(e, OSError) and e.strerror else e
        raise LiveError(f"kubeconfig client certificate{where} for context {context!r} cannot be loaded: {why}") from e


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the kubeconfig's bearer token."""
        request.headers["Authorization"] = self._header
        yield request


class _TokenFile(httpx.Auth):
    def __init__(self, path: str) -> None:
        self._path = path

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Read the token file at each request (it may be rotated, as service account tokens are)."""
        from oidc_doctor.errors import InputError
        from oidc_doctor.limits import read_small

        try:
            # a FIFO or /dev/zero is refused unopened; a token file is a few KiB at most
            token = read_small(Path(self._path), 1 << 20).decode("utf-8", "replace").strip()
        except InputError as e:
            raise LiveError(f"kubeconfig tokenFile {self._path}: {e.problem}") from e
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


#: How long a non-interactive exec plugin may take (a token refresh takes a second or two), and
#: an interactive one (the user logs in); how much it may print (an ExecCredential is a few KiB).
EXEC_TIMEOUT_S = 60.0
EXEC_TIMEOUT_INTERACTIVE_S = 300.0
EXEC_MAX_OUTPUT = 1 << 20


def _bounded(proc: subprocess.Popen[bytes], timeout: float, limit: int) -> tuple[bytes, bytes, str]:
    """Read a child's stdout (and stderr when piped) up to ``limit`` bytes each within ``timeout``
    seconds: (stdout, stderr, "" or why it was stopped). A plugin that hangs or prints gigabytes is
    killed instead of hanging or filling memory."""
    import threading

    buffers: dict[str, bytearray] = {"out": bytearray(), "err": bytearray()}
    over: list[str] = []

    def drain(stream: Any, name: str) -> None:
        buf = buffers[name]
        while chunk := stream.read(65536):
            buf += chunk
            if len(buf) > limit:
                over.append(name)
                proc.kill()
                return

    readers = [
        threading.Thread(target=drain, args=(s, n), daemon=True)
        for s, n in ((proc.stdout, "out"), (proc.stderr, "err"))
        if s is not None
    ]
    for t in readers:
        t.start()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return b"", b"", f"did not finish within {timeout:g} s: stopped"
    for t in readers:
        t.join(5)
    if over:
        return b"", b"", f"printed more than {limit:,} bytes: stopped"
    return bytes(buffers["out"]), bytes(buffers["err"]), ""


def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both OSError and ValueError
        return False
    return True


class ExecAuth(httpx.Auth):
    """An exec credential plugin (client-go ``plugin/pkg/client/auth/exec``): run, read status.token.

    The token is cached until its ``expirationTimestamp`` or a 401, like client-go does.
    ``KUBERNETES_EXEC_INFO`` tells the plugin whether it may interact with the user.
    """

    def __init__(self, exec_cfg: Any, stderr: Any = None) -> None:
        self._exec = exec_cfg
        self._token: str | None = None
        self._stderr = stderr

    def _run(self) -> str:
        ex = self._exec
        if ex.apiVersion not in _EXEC_VERSIONS:
            raise LiveError(f"exec plugin apiVersion {ex.apiVersion!r} is not supported")
        env = dict(os.environ)
        for item in ex.env or []:
            env[item.name] = item.value
        interactive = bool(getattr(sys.stdin, "isatty", lambda: False)())
        env["KUBERNETES_EXEC_INFO"] = orjson.dumps(
            {"apiVersion": ex.apiVersion, "kind": "ExecCredential", "spec": {"interactive": interactive}}
        ).decode()
        argv = [ex.command, *(ex.args or [])]
        # The plugin talks to the user on stderr (kubelogin's browser prompt): hand it the real
        # stream; a stream without a file descriptor (an in-process caller's buffer) gets a copy.
        piped = self._stderr is not None and not _has_fileno(self._stderr)
        # a login may wait for the user (a browser, a device code); a non-interactive refresh not
        timeout = EXEC_TIMEOUT_INTERACTIVE_S if interactive else EXEC_TIMEOUT_S
        try:
            proc = subprocess.Popen(  # the user's own kubeconfig names this command
                argv,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if piped else self._stderr,
                stdin=sys.stdin if interactive else subprocess.DEVNULL,
            )
        except FileNotFoundError as e:
            hint = f" ({ex.installHint.strip()})" if ex.installHint else ""
            raise LiveError(f"exec plugin {ex.command!r} not found{hint}") from e
        except OSError as e:  # not executable, name too long, ...
            raise LiveError(f"exec plugin {ex.command!r} cannot be run: {e.strerror or e}") from e
        out, err, why = _bounded(proc, timeout, EXEC_MAX_OUTPUT)
        if why:
            raise LiveError(f"exec plugin {ex.command!r} {why}")
        returncode = proc.returncode
        if piped and err:
            from oidc_doctor.secrets import mask_jwts

            # the plugin's words, without control characters or a token it may have logged
            text = err.decode("utf-8", "replace")
            self._stderr.write("\n".join(mask_jwts(clean(line)) for line in text.split("\n")))
        if returncode != 0:
            raise LiveError(f"exec plugin {ex.command!r} exited with status {returncode}")
        try:
            status = orjson.loads(out).get("status") or {}
        except (orjson.JSONDecodeError, AttributeError) as e:
            raise LiveError(f"exec plugin {ex.command!r} printed no ExecCredential JSON") from e
        if not isinstance(status, dict):
            raise LiveError(f"exec plugin {ex.command!r} printed an ExecCredential whose status is not an object")
        token = status.get("token")
        if not isinstance(token, str) or not token:
            raise LiveError(
                f"exec plugin {ex.command!r} returned no status.token (client certificates from plugins "
                "are not supported)"
            )
        return token

    def ensure_token(self) -> None:
        """Run the plugin now if no token is cached (so a login is not timed as a request)."""
        if self._token is None:
            self._token = self._run()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send the cached token; on a 401 run the plugin again once, as client-go does."""
        if self._token is None:
            self._token = self._run()
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._token = self._run()
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


def _auth(cfg: LoadedConfig, stderr: Any) -> httpx.Auth | None:
    user = cfg.single.user
    if user is None:
        return None
    if user.token_file:
        return _TokenFile(str(user.token_file))
    if user.token:
        return _Bearer(str(user.token))
    if user.exec:
        return ExecAuth(user.exec, stderr)
    if user.username and user.password:
        return httpx.BasicAuth(str(user.username), str(user.password))
    if user.auth_provider:
        provider = user.auth_provider or {}
        name = provider.get("name", "?")
        raw_config = provider.get("config")
        config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
        if name == "oidc":
            # client-go's oidc auth-provider (still loaded by kubectl: client-go
            # plugin/pkg/client/auth/plugins.go) sends config `id-token` as the bearer token and
            # refreshes it with `refresh-token` at `idp-issuer-url` when it expires; refreshing would
            # send the refresh token to the identity provider, so oidc-doctor only uses the id-token.
            token = config.get("id-token")
            if isinstance(token, str) and token.strip():
                return _Bearer(token.strip())
            raise LiveError(
                "kubeconfig user's oidc auth-provider holds no id-token (oidc-doctor does not refresh it): "
                "run one kubectl command to refresh it, or pass --token"
            )
        raise LiveError(
            f"kubeconfig user uses the auth-provider plugin {name!r}, removed from kubectl in 1.26 (gcp: use "
            "gke-gcloud-auth-plugin; azure: `kubelogin convert-kubeconfig`); switch to an exec plugin"
        )
    return None


class ApiClient:
    """Reads and patches Kubernetes objects as plain JSON."""

    def __init__(
        self,
        cfg: LoadedConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        stderr: Any = None,
        timeout_s: float = REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        token: str | None = None,
    ) -> None:
        self.cfg = cfg
        self._timeout_s = timeout_s
        self._clock = clock
        # ``token``: the user's own token (``--token``) replaces every kubeconfig credential, the
        # client certificate included: kube-apiserver's union authenticator tries x509 before
        # bearer tokens, so a certificate sent along would answer for the token.
        self._auth = _Bearer(token) if token is not None else _auth(cfg, stderr)
        self._own_token = token
        if str(cfg.server).startswith("http://") and stderr is not None:
            stderr.write(
                f"oidc-doctor: warning: the API server of context {clean(cfg.context)!r} is plain http: "
                "credentials are sent unencrypted\n"
            )
        if cfg.single.cluster.insecure and stderr is not None:
            # honoured as kubectl honours it, but never silently: credentials go to whoever answers
            stderr.write(
                f"oidc-doctor: warning: kubeconfig cluster of context {clean(cfg.context)!r} sets "
                "insecure-skip-tls-verify: the API server's certificate is NOT verified\n"
            )
        self._http = httpx.Client(
            base_url=cfg.server,
            verify=_ssl_context(cfg, client_cert=token is None),
            auth=self._auth,
            timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "oidc-doctor"},
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """One API call; the JSON object answered, or :class:`LiveError` with the server's reason."""
        headers = {"Content-Type": content_type} if content_type else None
        resp, content = self._exchange(method, path, params=params, body=body, headers=headers)
        try:
            data = orjson.loads(bytes(content)) if content else {}
        except orjson.JSONDecodeError:
            data = {}
        self._raise_for_status(method, path, resp, data)
        if not isinstance(data, dict):
            raise LiveError(f"{method} {path}: the answer is not a JSON object")
        if not isinstance(data.get("metadata", {}), dict):
            # every reader takes metadata for an object: an answer where it is not is no Kubernetes object
            raise LiveError(f"{method} {path}: the answer's metadata is not a JSON object")
        return data

    def get_text(self, path: str, max_bytes: int = 64 * 1024 * 1024) -> bytes:
        """GET a text answer (``/metrics``): its bytes, at most ``max_bytes`` (a longer answer is an error)."""
        resp, content = self._exchange("GET", path, headers={"Accept": "text/plain"}, max_bytes=max_bytes)
        try:
            data = orjson.loads(bytes(content)) if resp.status_code >= 300 and content else {}
        except orjson.JSONDecodeError:
            data = {}
        self._raise_for_status("GET", path, resp, data)
        return bytes(content)

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """Send one request and read its whole body against the deadline (and ``max_bytes``)."""
        if isinstance(self._auth, ExecAuth):
            # A login through the plugin may take as long as the user needs: not part of the request
            self._auth.ensure_token()
        # httpx's timeouts bound each read, not the whole answer: a server dripping bytes would
        # never trip them, so the body is read in chunks against a deadline (DESIGN.md: 10 s).
        try:
            resp, content = self._send(method, path, params, body, headers, max_bytes)
        except httpx.TimeoutException as e:
            raise LiveError(f"{method} {path}: no answer from {self.cfg.server} within the timeout") from e
        except httpx.HTTPError as e:
            raise LiveError(f"{method} {path}: cannot reach {self.cfg.server}: {e}") from e
        except (UnicodeError, ValueError) as e:  # a server URL no client can use (idna, port)
            raise LiveError(
                f"{method} {path}: the kubeconfig server {self.cfg.server!r} is not a usable URL: {e}"
            ) from e
        except ssl.SSLError as e:  # pragma: no cover - httpx wraps these as ConnectError
            raise LiveError(f"{method} {path}: TLS error with {self.cfg.server}: {e}") from e
        return resp, content

    def _raise_for_status(self, method: str, path: str, resp: httpx.Response, data: Any) -> None:
        if 300 <= resp.status_code < 400:
            # Never followed (httpx's default, kept on purpose): the auth flow would put the
            # credentials on the redirected request, wherever it points. An empty 3xx body must
            # not read as an empty success either.
            where = clean(resp.headers.get("location", ""), 200)
            raise LiveError(
                f"{method} {path}: the API server answered {resp.status_code} {resp.reason_phrase}, a redirect "
                f"to {where or '(no location)'}: not followed, so credentials stay with {self.cfg.server}",
                resp.status_code,
                "Redirect",
            )
        if resp.status_code >= 400:
            reason = str(data.get("reason") or resp.reason_phrase) if isinstance(data, dict) else resp.reason_phrase
            message = str(data.get("message") or "") if isinstance(data, dict) else ""
            text = f"{method} {path}: the API server answered {resp.status_code} {reason}"
            if message:
                text += f": {message}"
            # a proxy or webhook in front may echo the request's Authorization header or cookie
            # back: whatever this text reaches (stderr, a collected bundle), no credential does
            from oidc_doctor.secrets import mask_text as mask

            raise LiveError(self._unsay(mask(text)), resp.status_code, self._unsay(mask(reason)))

    def _unsay(self, text: str) -> str:
        """``text`` without any credential this client sends (an opaque token a server echoed
        back in its error is no JWT and may be short, so it is replaced by its exact value)."""
        from oidc_doctor.secrets import mark

        bearer = getattr(self._auth, "_header", "")
        held = [self._own_token, getattr(self._auth, "_token", None), str(bearer).removeprefix("Bearer ")]
        for secret in held:
            if isinstance(secret, str) and len(secret) >= 8 and secret in text:
                text = text.replace(secret, mark(secret))
        return text

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        body: bytes | None,
        headers: dict[str, str] | None,
        max_bytes: int | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """The answer and its body within the whole-request limit, headers included.

        httpx's timeouts bound each read, not the whole answer: a server sending one header byte
        every few seconds (slow-loris), or dripping the body, would never trip them. So the
        request runs in a worker thread abandoned at the deadline, and the body is read in chunks
        against the same deadline (DESIGN.md: 10 s).
        """
        import threading

        deadline = self._clock() + self._timeout_s
        outcome: list[tuple[httpx.Response, bytes] | BaseException] = []
        headers_seen = threading.Event()

        def work() -> None:
            try:
                with self._http.stream(method, path, params=params, content=body, headers=headers) as resp:
                    headers_seen.set()
                    content = bytearray()
                    for chunk in resp.iter_bytes():
                        content += chunk
                        if self._clock() > deadline:
                            raise LiveError(
                                f"{method} {path}: {self.cfg.server} took longer than {self._timeout_s:g} s to answer"
                            )
                        if max_bytes is not None and len(content) > max_bytes:
                            raise LiveError(f"{method} {path}: the answer is larger than {max_bytes} bytes")
                outcome.append((resp, bytes(content)))
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                outcome.append(e)

        worker = threading.Thread(target=work, name="oidc-doctor-api", daemon=True)
        worker.start()
        worker.join(self._timeout_s)
        if not outcome:
            stage = "sending the body" if headers_seen.is_set() else "sending the headers"
            raise LiveError(f"{method} {path}: {self.cfg.server} took longer than {self._timeout_s:g} s ({stage})")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET one object."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST one JSON object (a review: SelfSubjectReview, SelfSubjectRulesReview)."""
        return self.request("POST", path, body=orjson.dumps(body), content_type="application/json")

    def list(self, path: str, label_selector: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Every item of a collection, following ``metadata.continue`` pages."""
        return list(self.iter_list(path, label_selector, limit))

    def iter_list(self, path: str, label_selector: str | None = None, limit: int = 500) -> Iterator[dict[str, Any]]:
        """Items of a collection page by page."""
        params: dict[str, str] = {"limit": str(limit)}
        if label_selector:
            params["labelSelector"] = label_selector
        seen: set[str] = set()
        for _page in range(MAX_PAGES):
            page = self.get(path, params)
            kind = str(page.get("kind") or "").removesuffix("List")
            api_version = page.get("apiVersion")
            items = page.get("items")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("metadata", {}), dict):
                    # list items carry no kind/apiVersion; add them like kubectl get -o json does
                    item.setdefault("kind", kind)
                    if api_version:
                        item.setdefault("apiVersion", api_version)
                    yield item
            meta = page.get("metadata")
            cont = meta.get("continue") if isinstance(meta, dict) else None
            if not cont or not isinstance(cont, str):
                return
            if cont in seen:
                # an API server (or something posing as one) that hands back a token it gave
                # before would page forever
                raise LiveError(f"GET {path}: the API server repeated a continue token: paging stopped")
            seen.add(cont)
            params["continue"] = cont
        raise LiveError(f"GET {path}: more than {MAX_PAGES} pages of {limit}: paging stopped")

    def patch_json(self, path: str, ops: builtins.list[dict[str, Any]]) -> dict[str, Any]:
        """Apply an RFC 6902 JSON Patch; the API server's ``test`` ops guard it."""
        return self.request("PATCH", path, body=orjson.dumps(ops), content_type="application/json-patch+json")


#: The most pages one list may take (500 items each: 5 million objects, far beyond any cluster's
#: RoleBindings); a ``continue`` that never ends is stopped here.
MAX_PAGES = 10_000

_PLURAL = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}


#: Kubernetes names (apimachinery ``validation.IsDNS1123Label`` / ``IsDNS1123Subdomain``):
#: namespaces are labels, most object names subdomains. Checked before a name goes into a request
#: path, so ``-d ../../secrets/admin-token`` can never address another resource.
_DNS1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")


def check_name(value: str, what: str, *, label: bool = False) -> str:
    """``value`` when it is a valid Kubernetes name (a DNS-1123 label for namespaces, else a
    subdomain of at most 253 characters); :class:`UsageError` naming ``what`` otherwise."""
    from oidc_doctor.errors import UsageError

    ok = _DNS1123_LABEL.fullmatch(value) if label else (len(value) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(value))
    if not ok:
        kind = "DNS-1123 label" if label else "DNS-1123 subdomain"
        raise UsageError(f"{what} {clean(value, 80)!r} is not a Kubernetes name ({kind}): nothing was requested")
    return value


def workload_path(kind: str, namespace: str, name: str = "") -> str:
    """``/apis/apps/v1/namespaces/NS/deployments/NAME`` (or the collection without a name).

    Namespace and name are checked to be Kubernetes names first (:func:`check_name`).
    """
    if namespace:
        check_name(namespace, "namespace", label=True)
    if name:
        check_name(name, f"{kind} name")
    plural = _PLURAL.get(kind, kind.lower() + "s")
    base = f"/apis/apps/v1/namespaces/{namespace}/{plural}" if namespace else f"/apis/apps/v1/{plural}"
    return f"{base}/{name}" if name else base


def core_path(resource: str, namespace: str | None) -> str:
    """``/api/v1/namespaces/NS/configmaps`` or ``/api/v1/configmaps`` (all namespaces)."""
    if namespace:
        check_name(namespace, "namespace", label=True)
    return f"/api/v1/namespaces/{namespace}/{resource}" if namespace else f"/api/v1/{resource}"


def rollout_status(obj: dict[str, Any]) -> tuple[bool, str]:
    """kubectl's rollout status rules (``kubectl/pkg/polymorphichelpers/rollout_status.go``).

    Returns (done, message); raises :class:`LiveError` when the rollout failed for good.
    """
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    st = obj.get("status") or {}
    name = meta.get("name")
    gen = int(meta.get("generation") or 0)
    observed = int(st.get("observedGeneration") or 0)
    if kind == "Deployment":
        if gen > observed:
            return False, "Waiting for deployment spec update to be observed..."
        for cond in st.get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
                raise LiveError(f'deployment "{name}" exceeded its progress deadline')
        want = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
        updated = int(st.get("updatedReplicas") or 0)
        replicas = int(st.get("replicas") or 0)
        available = int(st.get("availableReplicas") or 0)
        if updated < want:
            return False, (
                f'Waiting for deployment "{name}" rollout to finish: '
                f"{updated} out of {want} new replicas have been updated..."
            )
        if replicas > updated:
            return False, (
                f'Waiting for deployment "{name}" rollout to finish: '
                f"{replicas - updated} old replicas are pending termination..."
            )
        if available < updated:
            return False, (
                f'Waiting for deployment "{name}" rollout to finish: '
                f"{available} of {updated} updated replicas are available..."
            )
        return True, f'deployment "{name}" successfully rolled out'
    if kind == "DaemonSet":
        if gen > observed:
            return False, "Waiting for daemon set spec update to be observed..."
        desired = int(st.get("desiredNumberScheduled") or 0)
        updated = int(st.get("updatedNumberScheduled") or 0)
        available = int(st.get("numberAvailable") or 0)
        if updated < desired:
            return (
                False,
                f'Waiting for daemon set "{name}" rollout to finish: '
                f"{updated} out of {desired} new pods have been updated...",
            )
        if available < desired:
            return (
                False,
                f'Waiting for daemon set "{name}" rollout to finish: '
                f"{available} of {desired} updated pods are available...",
            )
        return True, f'daemon set "{name}" successfully rolled out'
    if kind == "StatefulSet":
        if observed == 0 or gen > observed:
            return False, "Waiting for statefulset spec update to be observed..."
        want = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
        ready = int(st.get("readyReplicas") or 0)
        if ready < want:
            return False, f"Waiting for {want - ready} pods to be ready..."
        if st.get("updateRevision") != st.get("currentRevision"):
            return False, (
                f"waiting for statefulset rolling update to complete {int(st.get('updatedReplicas') or 0)} pods "
                f"at revision {st.get('updateRevision')}..."
            )
        return (
            True,
            f"statefulset rolling update complete {int(st.get('currentReplicas') or 0)} pods "
            f"at revision {st.get('currentRevision')}...",
        )
    raise LiveError(f"no rollout status for kind {kind!r}")


def wait_rollout(
    client: ApiClient,
    kind: str,
    namespace: str,
    name: str,
    *,
    timeout_s: float = 300.0,
    poll_s: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Poll the workload until kubectl would call the rollout done; returns the final message."""
    deadline = clock() + timeout_s
    last = ""
    path = workload_path(kind, namespace, name)
    while True:
        done, message = rollout_status(client.get(path))
        if not done and message != last and progress is not None:
            progress(message)
        last = message
        if done:
            return message
        if clock() >= deadline:
            raise LiveError(f"{kind} {namespace}/{name}: rollout not finished after {timeout_s:.0f} s: {message}")
        sleep(poll_s)
