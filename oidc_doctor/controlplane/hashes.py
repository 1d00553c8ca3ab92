"""The hashes kube-apiserver writes into its authentication metrics' labels, computed as it does.

Every label hash is ``"sha256:" + hex(sha256(data))`` of a string, and ``""`` for an empty string
(k8s.io/apiserver ``pkg/server/options/authenticationconfig/metrics/metrics.go`` and
``plugin/pkg/authenticator/token/oidc/metrics.go``, ``getHash``; read at commit
24a394e516bfda066d7e2221d7d92c052de27c54):

- ``jwt_issuer_hash``: of the issuer URL exactly as configured (``jwt[].issuer.url`` or
  ``--oidc-issuer-url``), the string ``newInstrumentedAuthenticator(issuerURL, ...)`` gets;
- ``hash`` of ``..._last_config_info``: of the AuthenticationConfiguration file's bytes as
  ``os.ReadFile`` returns them (kubernetes ``pkg/kubeapiserver/options/authentication.go``
  ``loadAuthenticationConfig`` and the reload loop: ``authConfigData := string(authConfigBytes)``);
- ``hash`` of ``..._jwks_fetch_last_key_set_info``: of the JWKS response body;
- ``apiserver_id_hash``: of the API server's identity, the name of its Lease in ``kube-system``
  (label ``apiserver.kubernetes.io/identity=kube-apiserver``), see :func:`apiserver_identity`.
"""

from __future__ import annotations

import base64
import hashlib

#: The key ``collect`` adds to a JWKS it fetched: the ``label_hash`` of the response body exactly as
#: received, the bytes the API server hashes for ``..._jwks_fetch_last_key_set_info{hash}``; the JWKS
#: written to the bundle is re-serialised, so its own bytes would not compare. JWKS readers ignore it.
JWKS_BODY_HASH = "x-oidc-doctor-body-sha256"


def label_hash(data: str | bytes) -> str:
    """``sha256:<hex>`` of ``data`` (UTF-8 for a string), ``""`` for empty data, as ``getHash`` does."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw:
        return ""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def apiserver_identity(hostname: str) -> str:
    """The identity (Lease name) of the kube-apiserver running on ``hostname``.

    k8s.io/apiserver ``pkg/server/config.go`` (``NewConfig``): sha256 over the hostname and the
    string ``kube-apiserver``, each prefixed with its length as a big-endian uint16 (cryptobyte's
    ``AddUint16LengthPrefixed``); the identity is ``"apiserver-"`` + the lower-case, unpadded base32
    of the first 16 bytes. A static-pod API server runs in the host network, so its hostname is
    the node's.
    """
    data = b""
    for part in (hostname.encode("utf-8"), b"kube-apiserver"):
        data += len(part).to_bytes(2, "big") + part
    digest = hashlib.sha256(data).digest()[:16]
    return "apiserver-" + base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def apiserver_id_hash(hostname: str) -> str:
    """The ``apiserver_id_hash`` label of the kube-apiserver on ``hostname``."""
    return label_hash(apiserver_identity(hostname))


def short(h: str) -> str:
    """A label hash shortened for titles: ``sha256:1a2b3c4d5e6f``."""
    return h[: len("sha256:") + 12] if h.startswith("sha256:") else h[:19]
