"""Fixes as data: for a finding, the changes to the evidence that would fix it, best first.

Each proposal is a tuple of :class:`~oidc_doctor.change.Change` applied together (most are one
change; configuring an issuer takes two flags). The first single-change proposal becomes the
finding's ``change`` (the report's machine-applicable fix, beside the ``fix`` text);
``diagnose --try-fixes`` applies every proposal in turn and ranks them by what they fix and what else
they change. Proposals read the facts and the finding's evidence pointers; they never write either.

A cause without proposals here has a fix outside the evidence: a new token from the identity provider
(``signature-invalid``, ``wrong-token-type``, ``token-malformed``), a human rewriting a CEL
expression, a Role rule (the vocabulary changes subjects, not rules), or something seen only in an
observation (logs, metrics) that a changed setting cannot be judged against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeGuard, cast

from oidc_doctor.change import Change, Op, Target
from oidc_doctor.evidence import Kind
from oidc_doctor.rbac import is_record

if TYPE_CHECKING:
    from oidc_doctor.checks.base import Context
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.model import AuthenticatorSummary, Finding

Proposal = tuple[Change, ...]

_SUBJECT_REF = re.compile(r"(RoleBinding|ClusterRoleBinding) (\S+) subjects\[(\d+)\]$")


# --- where the API server's settings live -----------------------------------------------------


def _settings(ctx: Context) -> tuple[str, int | None]:
    """(source, jwt index): ``flags`` or ``authentication-config`` (with the entry for the token's
    issuer), or another source the vocabulary cannot change (EKS, GKE)."""
    authn = ctx.facts.authn
    auth = authn.view.auth if authn is not None else None
    if auth is None:
        return "", None
    iss = (ctx.facts.token_claims or {}).get("iss")
    index = next((i for i, a in enumerate(auth.authenticators) if a.issuer.url == iss), None)
    if index is None and len(auth.authenticators) == 1:
        index = 0
    return auth.source, index


def _server(ctx: Context, field: str, value: str | None) -> Change | None:
    """Set (or unset, ``value`` None) one claim-mapping or issuer setting where the settings live.

    ``field`` is the AuthenticationConfiguration path under ``jwt[i]``; the legacy flag follows
    kube-apiserver's names (``--oidc-username-prefix`` … ``claimMappings.username.prefix``). A legacy
    username prefix that is empty is spelled ``-`` (an empty flag means the ``<issuer>#`` default;
    kube-apiserver pkg/kubeapiserver/options/authentication.go).
    """
    source, index = _settings(ctx)
    if source == "authentication-config" and index is not None:
        path = f"jwt[{index}].{field}"
        if value is None:
            return Change(Target.AUTHCONFIG, Op.UNSET, path)
        return Change(Target.AUTHCONFIG, Op.SET, path, value)
    if source != "flags":
        return None
    flag = {
        "claimMappings.username.prefix": "--oidc-username-prefix",
        "claimMappings.username.claim": "--oidc-username-claim",
        "claimMappings.groups.prefix": "--oidc-groups-prefix",
        "claimMappings.groups.claim": "--oidc-groups-claim",
        "issuer.url": "--oidc-issuer-url",
        "issuer.audiences": "--oidc-client-id",
    }[field]
    if flag == "--oidc-username-prefix" and value == "":
        value = "-"
    if value is None:
        return Change(Target.APISERVER, Op.UNSET, flag)
    return Change(Target.APISERVER, Op.SET, flag, value)


def _auth(ctx: Context) -> AuthenticatorSummary | None:
    from oidc_doctor.checks.rbac import pick_authenticator

    return pick_authenticator(ctx)


def _bound_subjects(f: Finding, kind: str) -> list[tuple[str, str, str]]:
    """(binding ref, index, bound name) of every ``kind`` subject the finding's evidence points at."""
    out = []
    for e in f.evidence:
        m = _SUBJECT_REF.search(e.ref)
        word, _, name = e.text.partition(" ")
        if e.source == "rbac" and m and word == kind and name:
            out.append((f"{m.group(1)} {m.group(2)}", m.group(3), name))
    return out


def _subject_change(binding: str, index: str, kind: str, name: str) -> Change:
    return Change(Target.BINDING, Op.CHANGE_SUBJECT, f"{binding} subjects[{index}]", f"{kind} {name}")


# --- per cause --------------------------------------------------------------------------------


def _username_bound(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """Bind the name the API server computes; or change the server's prefix / claim to the bound one."""
    ident = ctx.facts.identity
    if ident is None:
        return []
    out: list[Proposal] = []
    auth = _auth(ctx)
    for binding, index, bound in _bound_subjects(f, "User"):
        out.append((_subject_change(binding, index, "User", ident.username),))
        if auth is None:
            continue
        prefix = auth.username_prefix
        base = ident.username[len(prefix) :] if ident.username.startswith(prefix) else None
        if f.cause == "username-prefix-mismatch" and base and bound.endswith(base):
            c = _server(ctx, "claimMappings.username.prefix", bound[: len(bound) - len(base)])
            if c is not None:
                out.append((c,))
        if f.cause == "username-claim-mismatch":
            for claim, value in (ctx.facts.token_claims or {}).items():
                if (
                    isinstance(value, str)
                    and value
                    and bound in (value, prefix + value)
                    and claim != auth.username_claim
                ):
                    c = _server(ctx, "claimMappings.username.claim", claim)
                    if c is not None:
                        out.append((c,))
                    break
    return out


def _norm_group(name: str, prefix: str) -> str:
    if prefix and name.startswith(prefix):
        name = name[len(prefix) :]
    return name.lstrip("/").lower()


def _group_bound(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """Bind the group name the API server computes; or change the server's groups prefix."""
    ident = ctx.facts.identity
    auth = _auth(ctx)
    if ident is None:
        return []
    prefix = auth.groups_prefix if auth else ""
    out: list[Proposal] = []
    for binding, index, bound in _bound_subjects(f, "Group"):
        for g in ident.groups:
            if _norm_group(g, prefix) == _norm_group(bound, prefix) or _norm_group(g, prefix) == _norm_group(bound, ""):
                out.append((_subject_change(binding, index, "Group", g),))
                base = g[len(prefix) :] if g.startswith(prefix) else None
                if base and bound.endswith(base) and bound != g:
                    c = _server(ctx, "claimMappings.groups.prefix", bound[: len(bound) - len(base)])
                    if c is not None:
                        out.append((c,))
                break
    return out


class _MapLike(Protocol):
    """What the proposals read of an RBAC object: a dict, or a typed record read like one."""

    def get(self, key: str, default: object = None, /) -> object: ...


def _is_map(obj: object) -> TypeGuard[_MapLike]:
    """A dict, or a typed RBAC record read like one (``rbac/objects.py``: a big list's bindings are
    never turned into dicts; 56,000 of them took 0.3 s)."""
    return isinstance(obj, dict) or is_record(obj)


_EMPTY = cast("_MapLike", {})  # (dict's overloaded get does not match the protocol's for mypy)


def _bindings(ev: Evidence, ctx: Context) -> list[_MapLike]:
    """The bindings of the evidence, in order: dicts or typed records, both read with ``get``
    (the RBAC deriver's index holds them already when it ran)."""
    if ctx.facts.rbac is not None and ctx.facts.rbac.index is not None:
        return cast("list[_MapLike]", ctx.facts.rbac.index.bindings)
    return [
        d
        for d in (i.data for i in ev.of(Kind.RBAC))
        if _is_map(d) and d.get("kind") in ("RoleBinding", "ClusterRoleBinding")
    ]


def _binding_ref(b: _MapLike) -> str:
    meta = _meta(b)
    if b.get("kind") == "RoleBinding":
        return f"RoleBinding {meta.get('namespace') or 'default'}/{meta.get('name')}"
    return f"ClusterRoleBinding {meta.get('name')}"


#: How many existing bindings ``rbac-no-binding`` offers the user as a new subject of.
_MAX_BINDINGS = 6


def _no_binding(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """Add the user to an existing binding of the request's namespace (or a cluster-wide one)."""
    from oidc_doctor.checks.rbac import request_from_context

    ident = ctx.facts.identity
    if ident is None or ident.username == "system:anonymous":
        return []
    request = request_from_context(ctx)
    ns = request.namespace if request else ""
    # A namespace's bindings first (they grant least), then the cluster's, each in evidence order.
    here: list[_MapLike] = []
    cluster: list[_MapLike] = []
    for b in _bindings(ev, ctx):
        kind, namespace = _kind_and_namespace(b)
        if kind == "ClusterRoleBinding":
            cluster.append(b)
        elif ns and namespace == ns:
            here.append(b)
            if len(here) >= _MAX_BINDINGS:
                break  # the cluster's bindings would come after these
    candidates = here + cluster
    return [
        (Change(Target.BINDING, Op.ADD_SUBJECT, _binding_ref(b), f"User {ident.username}"),)
        for b in candidates[:_MAX_BINDINGS]
        if not str(_field(b, "roleRef").get("name", "")).startswith("system:")
    ]


def _kind_and_namespace(b: _MapLike) -> tuple[object, object]:
    """A binding's kind and namespace: a dict's values, or a typed record's attributes (its class is
    named after its kind, as ``rbac.index`` reads it too): 50,000 bindings are asked."""
    if isinstance(b, dict):
        return b.get("kind"), _meta(b).get("namespace")
    meta = getattr(b, "metadata", None)
    return type(b).__name__, (meta.namespace if meta is not None else None)


def _field(obj: _MapLike, key: str) -> _MapLike:
    raw = obj.get(key)
    return raw if _is_map(raw) else _EMPTY


def _subjects(binding: _MapLike) -> list[object]:
    raw = binding.get("subjects")
    return raw if isinstance(raw, list) else []


def _meta(obj: _MapLike) -> _MapLike:
    return _field(obj, "metadata")


def _breadth(rules: list[object]) -> int:
    """How much a role grants (wildcards count as much): the least one that allows the request wins."""
    total = 0
    for r in rules:
        if not isinstance(r, dict):
            continue
        n = 1
        for key in ("verbs", "resources", "apiGroups", "nonResourceURLs"):
            raw = r.get(key)
            values = raw if isinstance(raw, list) else []
            n *= 100 if "*" in values else max(1, len(values))
        total += n
    return total


def _grant(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """A new binding for the user to the least role in the evidence that allows the failing request."""
    from oidc_doctor.checks.rbac import request_from_context
    from oidc_doctor.rbac.fixes import object_name
    from oidc_doctor.rbac.rules import rule_allows

    ident = ctx.facts.identity
    request = request_from_context(ctx)
    index = ctx.facts.rbac.index if ctx.facts.rbac is not None else None
    if ident is None or ident.username == "system:anonymous" or request is None or index is None:
        return []
    roles: list[tuple[int, str, str]] = []
    from oidc_doctor.rbac.index import plain

    # The roles the index resolves roleRefs to (one per name; a cluster's list holds 50,000
    # bindings beside a few hundred roles, so the evidence is not walked again for them).
    candidates: list[tuple[str, str, object]] = [("ClusterRole", name, None) for name in index.cluster_roles]
    candidates += [
        ("Role", name, obj) for (ns, name), obj in index.roles.items() if (ns or "default") == request.namespace
    ]
    for kind, name, obj in candidates:
        if not name or name.startswith("system:"):
            continue
        if kind == "ClusterRole":
            rules: list[object] = list(index.cluster_role_rules(name))
        else:
            r = plain(obj)
            raw = r.get("rules") if r is not None else None
            rules = list(raw) if isinstance(raw, list) else []
        if any(isinstance(rule, dict) and rule_allows(rule, request) for rule in rules):
            roles.append((_breadth(rules), kind, name))
    out: list[Proposal] = []
    for _, kind, name in sorted(roles)[:3]:
        bname = object_name("oidc-doctor", name, ident.username)
        if request.namespace:
            ref = f"RoleBinding {request.namespace}/{bname}"
        elif kind == "ClusterRole":
            ref = f"ClusterRoleBinding {bname}"
        else:
            continue
        out.append((Change(Target.BINDING, Op.CREATE_BINDING, ref, f"{kind}/{name} User {ident.username}"),))
    return out


def _no_binding_or_grant(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    return _no_binding(f, ev, ctx) + _grant(f, ev, ctx)


def _bound_groups(ev: Evidence, ctx: Context, prefix: str) -> list[str]:
    """Group names the bindings give, as the identity provider would have to emit them (prefix off)."""
    out: list[str] = []
    for b in _bindings(ev, ctx):
        for s in _subjects(b):
            if not _is_map(s) or s.get("kind") != "Group":
                continue
            name = str(s.get("name") or "")
            if not name or name.startswith("system:") or (prefix and not name.startswith(prefix)):
                continue
            bare = name[len(prefix) :]
            if bare not in out:
                out.append(bare)
    return out


def _groups_claim(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """Simulate the token carrying the groups the bindings name; ask the clients for the scope."""
    auth = _auth(ctx)
    claim = (auth.groups_claim if auth else None) or "groups"
    out: list[Proposal] = []
    groups = _bound_groups(ev, ctx, auth.groups_prefix if auth else "")
    if groups:
        out.append((Change(Target.CLAIMS, Op.SET, claim, json.dumps(groups)),))
    value = (ctx.facts.token_claims or {}).get(claim)
    if f.cause == "groups-claim-invalid" and isinstance(value, dict):
        names = [str(k) for k, v in value.items() if v]
        out.insert(0, (Change(Target.CLAIMS, Op.SET, claim, json.dumps(names)),))
    if f.cause == "groups-claim-missing":
        out.append((Change(Target.SCOPE, Op.ADD, "groups", "groups"),))
    return out


def _email_verified(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    out: list[Proposal] = [(Change(Target.CLAIMS, Op.SET, "email_verified", "true"),)]
    if "sub" in (ctx.facts.token_claims or {}):
        c = _server(ctx, "claimMappings.username.claim", "sub")
        if c is not None:
            out.append((c,))
    return out


def _username_missing(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    claims = ctx.facts.token_claims or {}
    out: list[Proposal] = []
    for claim in ("sub", "preferred_username", "email"):
        if isinstance(claims.get(claim), str) and claims[claim]:
            c = _server(ctx, "claimMappings.username.claim", claim)
            if c is not None:
                out.append((c,))
            break
    return out


_REQUIRED = re.compile(r"required claim (\S+) value does not match\. Got = (.*), want = (.*)$")


def _required_claim(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    authn = ctx.facts.authn
    p = authn.prediction if authn is not None else None
    m = _REQUIRED.search(p.error or "") if p is not None else None
    if m is None:
        return []
    claim, got, want = m.group(1), m.group(2), m.group(3)
    out: list[Proposal] = [(Change(Target.CLAIMS, Op.SET, claim, json.dumps(want)),)]
    source, _ = _settings(ctx)
    if source == "flags":
        out.append((Change(Target.APISERVER, Op.SET, "--oidc-required-claim", f"{claim}={got}"),))
    return out


def _audience(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    auth = _auth(ctx)
    claims = ctx.facts.token_claims or {}
    aud = claims.get("aud")
    token_aud = (
        aud
        if isinstance(aud, str)
        else next((a for a in aud if isinstance(a, str)), None)
        if isinstance(aud, list)
        else None
    )
    out: list[Proposal] = []
    if auth is not None and auth.audiences:
        out.append((Change(Target.CLAIMS, Op.SET, "aud", json.dumps(auth.audiences[0])),))
    if token_aud:
        source, _ = _settings(ctx)
        if source == "authentication-config" and auth is not None:
            c = _server(ctx, "issuer.audiences", json.dumps([*auth.audiences, token_aud]))
        else:
            c = _server(ctx, "issuer.audiences", token_aud)
        if c is not None:
            out.append((c,))
    return out


def _issuer(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    claims = ctx.facts.token_claims or {}
    iss = claims.get("iss")
    auth = _auth(ctx)
    out: list[Proposal] = []
    if isinstance(iss, str) and iss:
        c = _server(ctx, "issuer.url", iss)
        if c is not None:
            out.append((c,))
    if auth is not None and auth.issuer and auth.issuer != iss:
        out.append((Change(Target.CLAIMS, Op.SET, "iss", json.dumps(auth.issuer)),))
    return out


def _discovery_issuer(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    authn = ctx.facts.authn
    out: list[Proposal] = []
    for _item, got in authn.discovery.values() if authn is not None else ():
        c = _server(ctx, "issuer.url", got)
        if c is None:
            continue
        iss = (ctx.facts.token_claims or {}).get("iss")
        # The tokens carry the issuer discovery names once the configured URL is the same string, and
        # every client must name that same issuer (oauth2-proxy checks the id_token's iss too).
        proposal = [c] if iss == got else [c, Change(Target.CLAIMS, Op.SET, "iss", json.dumps(got))]
        if _has_proxy(ev):
            proposal.append(Change(Target.PROXY, Op.SET, "--oidc-issuer-url", got))
        out.append(tuple(proposal))
    return out


def _has_proxy(ev: Evidence) -> bool:
    from oidc_doctor.proxy.settings import find_proxies

    return any(find_proxies(i.data, i.ref) for i in ev.of(Kind.WORKLOAD) if isinstance(i.data, dict))


def _signing_alg(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    authn = ctx.facts.authn
    auth = authn.view.auth if authn is not None else None
    alg = (ctx.facts.token_header or {}).get("alg")
    if auth is None or auth.source != "flags" or not isinstance(alg, str):
        return []
    return [(Change(Target.APISERVER, Op.SET, "--oidc-signing-algs", ",".join([*auth.signing_algs, alg])),)]


def _not_configured(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    claims = ctx.facts.token_claims or {}
    iss, aud = claims.get("iss"), claims.get("aud")
    aud = aud[0] if isinstance(aud, list) and aud else aud
    if not isinstance(iss, str) or not isinstance(aud, str) or not ev.of(Kind.APISERVER_POD, Kind.KUBEADM_CONFIG):
        return []
    flags = [
        Change(Target.APISERVER, Op.SET, "--oidc-issuer-url", iss),
        Change(Target.APISERVER, Op.SET, "--oidc-client-id", aud),
    ]
    # The claims and prefixes the bindings already assume: a group subject "oidc:dev" for a token
    # whose groups claim holds "dev" says --oidc-groups-claim=groups --oidc-groups-prefix=oidc:.
    groups = claims.get("groups")
    if isinstance(groups, list):
        for b in _bindings(ev, ctx):
            for s in _subjects(b):
                name = str(s.get("name") or "") if _is_map(s) and s.get("kind") == "Group" else ""
                hit = next((g for g in groups if isinstance(g, str) and g and name.endswith(g)), None)
                if hit is not None and not any(c.ref == "--oidc-groups-claim" for c in flags):
                    flags.append(Change(Target.APISERVER, Op.SET, "--oidc-groups-claim", "groups"))
                    if name != hit:
                        flags.append(
                            Change(Target.APISERVER, Op.SET, "--oidc-groups-prefix", name[: len(name) - len(hit)])
                        )
    return [tuple(flags)]


def _cookie_refresh(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """``--cookie-refresh`` shorter than the token's lifetime (the proxy checks attach their own,
    which :func:`propose` puts first); for a refresh/expire conflict, shorter than both."""
    from oidc_doctor.checks.proxy import refresh_interval

    if f.cause == "proxy-config-invalid" and "cookie_refresh" not in f.title and "cookie-refresh" not in f.title:
        return []
    lifetime = ctx.facts.token_lifetime_s
    return [(Change(Target.PROXY, Op.SET, "--cookie-refresh", refresh_interval(lifetime) if lifetime else "2m"),)]


def _refresh_unsupported(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    return [(Change(Target.PROXY, Op.SET, "--provider", "oidc"),)]


_OFF = re.compile(r"has --([a-z-]+) off")


def _not_forwarded(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    m = _OFF.search(f.title)
    return [(Change(Target.PROXY, Op.SET, f"--{m.group(1)}", "true"),)] if m else []


def _header_exposed(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    return [(Change(Target.PROXY, Op.UNSET, "--set-authorization-header"),)]


def _fresh_token(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """A token issued at the judged moment, as a refresh would bring (simulated)."""
    lifetime = ctx.facts.token_lifetime_s
    claims = ctx.facts.token_claims or {}
    if not lifetime or "exp" not in claims:
        return []
    now = int(ctx.now.timestamp())
    out = [
        Change(Target.CLAIMS, Op.SET, "iat", str(now)),
        Change(Target.CLAIMS, Op.SET, "exp", str(now + int(lifetime))),
    ]
    if "nbf" in claims:
        out.append(Change(Target.CLAIMS, Op.SET, "nbf", str(now)))
    return [tuple(out)]


_PROPOSERS: dict[str, Callable[[Finding, Evidence, Context], list[Proposal]]] = {
    "username-prefix-mismatch": _username_bound,
    "username-claim-mismatch": _username_bound,
    "group-name-mismatch": _group_bound,
    "rbac-no-binding": _no_binding_or_grant,
    "rbac-insufficient-permissions": _grant,
    "groups-claim-missing": _groups_claim,
    "groups-claim-invalid": _groups_claim,
    "groups-distributed-claims": _groups_claim,
    "email-not-verified": _email_verified,
    "username-claim-missing": _username_missing,
    "required-claim-mismatch": _required_claim,
    "audience-mismatch": _audience,
    "issuer-mismatch": _issuer,
    "discovery-issuer-mismatch": _discovery_issuer,
    "signing-alg-not-allowed": _signing_alg,
    "oidc-not-configured": _not_configured,
    "proxy-cookie-refresh-missing": _cookie_refresh,
    "proxy-cookie-refresh-too-long": _cookie_refresh,
    "proxy-config-invalid": _cookie_refresh,
    "proxy-refresh-unsupported": _refresh_unsupported,
    "proxy-token-not-forwarded": _not_forwarded,
    "proxy-authorization-header-exposed": _header_exposed,
    "token-expired": _fresh_token,
    "token-not-yet-valid": _fresh_token,
}


#: The causes that propose changes (the others' fixes lie outside the evidence).
PROPOSED_CAUSES = frozenset(_PROPOSERS)


def propose(f: Finding, ev: Evidence, ctx: Context) -> list[Proposal]:
    """Every change set that may fix ``f``, best first (the change its check attached, then the
    catalogue's proposals), without repeats (empty: a fix outside the evidence)."""
    fn = _PROPOSERS.get(f.cause)
    out: list[Proposal] = [(f.change,)] if f.change is not None else []
    for p in fn(f, ev, ctx) if fn else []:
        if p and p not in out:
            out.append(p)
    return out


def attach(findings: list[Finding], ev: Evidence, ctx: Context) -> None:
    """Give each finding its ``change``: the first proposal that is one change (None otherwise)."""
    for f in findings:
        if f.change is None:
            f.change = next((p[0] for p in propose(f, ev, ctx) if len(p) == 1), None)
