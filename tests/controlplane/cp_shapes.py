"""Control-plane output shapes for tests: metrics text as kube-apiserver prints it, audit events as
the log backend writes them.

Metrics: the exposition format of k8s.io/component-base (``# HELP name [STABILITY] help``, ``# TYPE``,
then the series, labels sorted by name), help texts from k8s.io/apiserver
``pkg/server/options/authenticationconfig/metrics/metrics.go`` and
``plugin/pkg/authenticator/token/oidc/metrics.go``. Audit: ``audit.k8s.io/v1`` ``Event`` objects
(k8s.io/apiserver ``pkg/apis/audit/v1/types.go``), one JSON per line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fixturekit import metrics

HELP = metrics.HELP

BUCKETS = (".001", ".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5", "10")


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e9 else f"{v:.10g}"


def exposition(series: Sequence[tuple[str, dict[str, str], float]], noise: bool = True) -> str:
    """Prometheus text: each family's HELP/TYPE once, then its series; a histogram gets its buckets,
    sum and count (``series`` gives its count). ``noise`` adds families oidc-doctor must skip."""
    lines: list[str] = []
    if noise:
        lines += [
            "# HELP aggregator_discovery_aggregation_count_total [ALPHA] Counter of number of times discovery was "
            "aggregated",
            "# TYPE aggregator_discovery_aggregation_count_total counter",
            "aggregator_discovery_aggregation_count_total 12",
            "# HELP apiserver_audit_event_total [ALPHA] Counter of audit events generated and sent to the audit "
            "backend.",
            "# TYPE apiserver_audit_event_total counter",
            "apiserver_audit_event_total 2417",
        ]
    done: set[str] = set()
    for name, labels, value in series:
        if name not in done:
            kind, text = HELP[name]
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            done.add(name)
        if HELP[name][0] == "histogram":
            for le in BUCKETS:
                lines.append(f"{name}_bucket{_labels({**labels, 'le': le})} {_num(value)}")
            lines.append(f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {_num(value)}")
            lines.append(f"{name}_sum{_labels(labels)} {0.0042 * value:.6g}")
            lines.append(f"{name}_count{_labels(labels)} {_num(value)}")
        else:
            lines.append(f"{name}{_labels(labels)} {_num(value)}")
    if noise:
        lines += [
            "# HELP rest_client_requests_total [ALPHA] Number of HTTP requests, partitioned by status code, method, "
            "and host.",
            "# TYPE rest_client_requests_total counter",
            'rest_client_requests_total{code="200",host="[::1]:6443",method="GET"} 5193',
        ]
    return "\n".join(lines) + "\n"


def audit_event(
    audit_id: str,
    when: str,
    code: int,
    *,
    user: dict[str, Any] | None = None,
    message: str = "",
    verb: str = "list",
    uri: str = "/api/v1/namespaces/dev/pods?limit=500",
    resource: str = "pods",
    namespace: str = "dev",
    agent: str = "kubectl/v1.34.1 (linux/amd64) kubernetes/a1b2c3d",
    ip: str = "10.0.0.7",
    annotations: dict[str, str] | None = None,
    stage: str = "ResponseComplete",
) -> dict[str, Any]:
    """One audit Event at level Metadata, as the log backend writes it."""
    status: dict[str, Any] = {"metadata": {}, "code": code}
    if message:
        status["message"] = message
    ev: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": audit_id,
        "stage": stage,
        "requestURI": uri,
        "verb": verb,
        "user": user or {},
        "sourceIPs": [ip],
        "userAgent": agent,
        "objectRef": {"resource": resource, "namespace": namespace, "apiVersion": "v1"},
        "responseStatus": status,
        "requestReceivedTimestamp": when.replace("Z", ".100000Z"),
        "stageTimestamp": when.replace("Z", ".104211Z"),
    }
    if annotations:
        ev["annotations"] = annotations
    return ev


def failed_login(audit_id: str, when: str, **kw: Any) -> dict[str, Any]:
    """The event of a rejected bearer token (pkg/endpoints/filters/authn_audit.go)."""
    return audit_event(audit_id, when, 401, message="Authentication failed, attempted: bearer", **kw)


def json_lines(events: list[dict[str, Any]]) -> str:
    """Events one per line, compact, as the JSON log backend writes them."""
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)


# --- a small bundle around the control-plane inputs --------------------------------------------------

ISSUER = "https://keycloak.example.com/realms/k8s"
NOW = "2026-11-28T10:25:12Z"
NOW_S = 1795861512  # NOW as a Unix time

AUTH_CONFIG = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {ISSUER}
    audiences:
    - kubernetes
  claimMappings:
    username:
      claim: email
      prefix: "oidc:"
    groups:
      claim: groups
      prefix: "oidc:"
"""


def apiserver_pod(node: str = "cp1", *flags: str) -> dict[str, Any]:
    """A kube-apiserver static Pod (as ``kubectl get pod -o yaml`` shows it, with its node)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"kube-apiserver-{node}", "namespace": "kube-system"},
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": "registry.k8s.io/kube-apiserver:v1.34.1",
                    "command": ["kube-apiserver", "--secure-port=6443", *flags],
                }
            ],
        },
    }


def sign_token(**over: Any) -> str:
    """An RS256 id_token for alice of :data:`ISSUER` around :data:`NOW` (a throw-away key; no JWKS given)."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "kubernetes",
        "sub": "f3b1",
        "email": "alice@example.com",
        "email_verified": True,
        "groups": ["dev"],
        "iat": NOW_S - 120,
        "exp": NOW_S + 180,
        "jti": "5d0c3a8e-jti-alice",
    }
    claims.update(over)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64(json.dumps({k: v for k, v in claims.items() if v is not None}).encode())
    sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64(sig)}"
