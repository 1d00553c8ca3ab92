"""Builders for proxy tests: workloads, ConfigMaps, evidence and contexts (test data only)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oidc_doctor.checks.base import Context, Options
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.loader import load_documents
from oidc_doctor.model import AuthenticatorSummary

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
ISSUER = "https://keycloak.example.com/realms/k8s"

PLAIN_ARGS = [
    "--provider=oidc",
    f"--oidc-issuer-url={ISSUER}",
    "--client-id=kubernetes",
    "--upstream=http://headlamp.headlamp.svc:80/",
    "--http-address=0.0.0.0:4180",
    "--email-domain=*",
    "--pass-authorization-header=true",
    "--scope=openid email groups",
    "--cookie-refresh=1m",
    "--cookie-secret=0123456789abcdef0123456789abcdef",
]


def container(
    name: str = "oauth2-proxy", image: str = "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0", **extra: Any
) -> dict[str, Any]:
    """One container; ``extra`` adds args, env, command, volumeMounts ..."""
    return {"name": name, "image": image, **extra}


def workload(
    *containers: dict[str, Any],
    kind: str = "Deployment",
    name: str = "oauth2-proxy",
    ns: str = "auth",
    labels: dict[str, str] | None = None,
    volumes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Deployment/StatefulSet/DaemonSet around ``containers``."""
    spec: dict[str, Any] = {"containers": list(containers)}
    if volumes:
        spec["volumes"] = volumes
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
        "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
    }


def configmap(name: str, data: dict[str, str], ns: str = "auth") -> dict[str, Any]:
    """A ConfigMap."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def fixture_docs(name: str) -> list[Any]:
    """The objects of one fixture file."""
    path = FIXTURES / name
    return [d.data for d in load_documents(path.read_text(), str(path))]


def evidence(*objs: dict[str, Any]) -> Evidence:
    """Evidence with each object filed under the kind the bundle reader gives it."""
    ev = Evidence()
    for i, obj in enumerate(objs):
        kind = {
            "Deployment": Kind.WORKLOAD,
            "StatefulSet": Kind.WORKLOAD,
            "DaemonSet": Kind.WORKLOAD,
            "ConfigMap": Kind.CONFIGMAP,
            "Secret": Kind.HELM_RELEASE,
            "Ingress": Kind.INGRESS,
        }[obj["kind"]]
        meta = obj.get("metadata") or {}
        ev.add(Item(kind, f"in.yaml#{i} {obj['kind']} {meta.get('namespace')}/{meta.get('name')}", obj))
    return ev


def authenticator(
    issuer: str = ISSUER,
    audiences: tuple[str, ...] = ("kubernetes",),
    username_claim: str | None = "email",
    groups_claim: str | None = "groups",
) -> AuthenticatorSummary:
    """What the authn engine would summarise from ``--oidc-*`` flags."""
    return AuthenticatorSummary(
        issuer=issuer,
        audiences=audiences,
        username_claim=username_claim,
        username_prefix="oidc:",
        groups_claim=groups_claim,
        groups_prefix="oidc:",
        ref="kube-system/kube-apiserver-cp1",
    )


def context(
    *,
    lifetime: float | None = 300.0,
    size: int | None = 900,
    claims: dict[str, Any] | None = None,
    auths: list[AuthenticatorSummary] | None = None,
    option_lifetime: float | None = None,
) -> Context:
    """A context with the token facts and authenticators other areas would derive."""
    ctx = Context(now=NOW, now_source="flag", options=Options(token_lifetime_s=option_lifetime))
    facts = ctx.facts.but(
        token_lifetime_s=lifetime,
        token_size=size,
        token_claims=claims,
        token_ref="id_token.txt",
        authenticators=None if auths is None else tuple(auths),
    )
    return ctx.but(facts=facts)
