"""Start a local HTTPS test server on 127.0.0.1 with a trustme certificate, in a daemon thread.

Shared by the test doubles (API server, issuers, recording strangers) so each sets up real TLS
the same way. ``tests/`` is on ``sys.path`` (pytest inserts the directory of ``tests/conftest.py``).
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme


def serve_https(
    handler: type[BaseHTTPRequestHandler],
    cert: trustme.LeafCert,
    client_ca: trustme.CA | None = None,
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve ``handler`` over TLS with ``cert`` on a free port; with ``client_ca``, client
    certificates it issued are accepted (optional, as kube-apiserver asks for them)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    if client_ca is not None:
        client_ca.configure_trust(ctx)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread
