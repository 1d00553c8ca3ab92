"""Checks for AKS: AKS-managed Microsoft Entra ID and AKS structured authentication.

The deriver :func:`derive_aks` reads the AKS inputs once (``az aks show``, ``az aks jwtauthenticator
show/list``, a kubeconfig running Azure kubelogin) and judges every Entra ID token as AKS's webhook
would (:func:`oidc_doctor.managed.aks.judge_entra_token`). The checks turn that into findings:

- ``aks.entra-token``: an id_token instead of an access token, an access token for another resource or
  with the ``spn:`` audience (also read from a kubeconfig's ``--legacy``/``--server-id`` without a token),
  a service principal's group overage;
- ``aks.azure-rbac``: with Azure RBAC, a 403 is not decided by the bindings in hand alone;
- ``aks.jwt-prefix``: a JWT authenticator mapping without ``aks:jwt:``, and bindings that name an
  external identity without it.

Such users are never asked for kube-apiserver flags: the settings view says AKS-managed Entra ID is in
use (``oidc_doctor.authn.settings.aks_entra_note``).
"""

from __future__ import annotations

import json

from oidc_doctor.authn.verify import UserInfo
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.managed import aks
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, Origin
from oidc_doctor.rbac.index import plain
from oidc_doctor.record import FrozenRecord
from oidc_doctor.shell import arg, option
from oidc_doctor.text import clean


class AksFacts(FrozenRecord):
    """What the AKS inputs say (immutable record).

    ``clusters``: ``az aks show`` readings; ``kubelogins``: Azure kubelogin users of kubeconfigs;
    ``entra``: why AKS-managed Entra ID is known to be in use (``""`` when it is not); ``verdicts``:
    ``(token label, verdict)`` for every Entra ID token; ``prefixes``: the username/groups mappings of the
    AKS JWT authenticators.
    """

    _fields = ("clusters", "kubelogins", "entra", "verdicts", "prefixes", "user")
    __slots__ = _fields
    clusters: tuple[aks.AksCluster, ...]
    kubelogins: tuple[aks.AzureKubelogin, ...]
    entra: str
    verdicts: tuple[tuple[str, aks.EntraVerdict], ...]
    prefixes: tuple[aks.JwtPrefix, ...]
    user: UserInfo | None

    def __init__(
        self,
        clusters: tuple[aks.AksCluster, ...] = (),
        kubelogins: tuple[aks.AzureKubelogin, ...] = (),
        entra: str = "",
        verdicts: tuple[tuple[str, aks.EntraVerdict], ...] = (),
        prefixes: tuple[aks.JwtPrefix, ...] = (),
        user: UserInfo | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "clusters", tuple(clusters))
        setattr_(self, "kubelogins", tuple(kubelogins))
        setattr_(self, "entra", entra)
        setattr_(self, "verdicts", tuple(verdicts))
        setattr_(self, "prefixes", tuple(prefixes))
        setattr_(self, "user", user)

    def __hash__(self) -> int:
        return id(self)


def derive_aks(ev: Evidence, ctx: Context) -> AksFacts | None:
    """The AKS facts; None when the evidence holds nothing about AKS."""
    clusters = tuple(aks.parse_cluster(i.data, i.ref) for i in ev.of(Kind.AKS_CLUSTER) if isinstance(i.data, dict))
    kubelogins = tuple(u for i in ev.of(Kind.KUBECONFIG) for u in aks.azure_kubelogin_users(i.data, i.ref))
    prefixes = tuple(
        p for i in ev.of(Kind.AKS_JWT) if isinstance(i.data, dict) for p in aks.jwt_prefixes(i.data, i.ref)
    )
    if not (clusters or kubelogins or prefixes):
        return None
    entra = ""
    managed = [c for c in clusters if c.managed_entra]
    if managed:
        entra = f"{managed[0].ref} aadProfile.managed: true"
    elif kubelogins and not clusters:
        entra = f"{kubelogins[0].ref}: kubelogin get-token --server-id {kubelogins[0].server_id}"
    verdicts = []
    if entra:
        for rep in ctx.facts.tokens:
            if rep.claims is not None and aks.is_entra_token(rep.claims):
                verdicts.append((f"{rep.ref} ({rep.fingerprint})", aks.judge_entra_token(rep.claims)))
    return AksFacts(clusters, kubelogins, entra, tuple(verdicts), prefixes, _user(entra, ctx.facts.token_claims))


def _user(entra: str, claims: dict[str, object] | None) -> UserInfo | None:
    """The user AKS's webhook maps an accepted Entra token to: ``upn``, else ``oid`` (guard
    ``azureUsernameClaim``/``azureObjectIDClaim``), and the token's group object IDs (with an overage
    pointer AKS reads them from Microsoft Graph: not known here)."""
    if not entra or claims is None or not aks.is_entra_token(claims) or aks.judge_entra_token(claims).problems:
        return None
    name = claims.get("upn") if isinstance(claims.get("upn"), str) else claims.get("oid")
    if not isinstance(name, str) or not name:
        return None
    groups = claims.get("groups")
    return UserInfo(name, groups=[str(g) for g in groups] if isinstance(groups, list) else [])


def entra_token(ctx: Context) -> bool:
    """Whether the judged token is an Entra ID token on a cluster with AKS-managed Entra ID (other checks
    then leave its type and audience to ``aks.entra-token``)."""
    f = ctx.facts.aks
    claims = ctx.facts.token_claims
    return bool(f is not None and f.entra and claims is not None and aks.is_entra_token(claims))


def _claim_ref(label: str, claims: dict[str, object] | None, claim: str) -> EvidenceRef:
    value = (claims or {}).get(claim)
    text = json.dumps(value, ensure_ascii=False) if claim in (claims or {}) else f"no {claim!r} claim"
    return EvidenceRef("token", f"{label} claim {claim}", clean(text, 300))


def _context_refs(f: aks.AksCluster | None, users: tuple[aks.AzureKubelogin, ...]) -> list[EvidenceRef]:
    out = []
    if f is not None:
        out.append(
            EvidenceRef(
                "apiserver-config",
                f"{f.ref} aadProfile",
                f"managed: {str(f.managed_entra).lower()}, enableAzureRbac: {str(f.azure_rbac).lower()}, "
                f"tenantId: {f.tenant}",
            )
        )
    for u in users[:1]:
        if u.auth_provider:
            mode = "0 (spn: audience)" if u.legacy else "1"
            words = f"auth-provider azure, apiserver-id {u.server_id}, config-mode {mode}"
        else:
            legacy = " --legacy" if u.legacy else ""
            words = f"kubelogin get-token --server-id {u.server_id} --login {u.login}{legacy}"
        out.append(EvidenceRef("client", u.ref, words))
    return out


def _claims_of(ctx: Context, label: str) -> dict[str, object] | None:
    for rep in ctx.facts.tokens:
        if label.startswith(rep.ref):
            return rep.claims
    return None


def check_entra_token(ev: Evidence, ctx: Context) -> CheckResult:
    """AKS-managed Entra ID: the token is an access token for the AKS server application, and no
    service principal's group overage; a kubeconfig asks kubelogin for that audience."""
    f = ctx.facts.aks
    if f is None or not f.entra:
        return CheckResult.skipped(
            "AKS-managed Entra ID is not in use (no az aks show with aadProfile.managed, "
            "no kubeconfig running Azure kubelogin)"
        )
    cluster = next((c for c in f.clusters if c.managed_entra), None)
    context = _context_refs(cluster, f.kubelogins)
    findings: list[Finding] = []
    notes: list[str] = []
    for label, verdict in f.verdicts:
        claims = _claims_of(ctx, label)
        for code, words in verdict.problems:
            claim = {"aks-entra-group-overage": "_claim_names", "aks-entra-wrong-token-type": "scp"}.get(code, "aud")
            evidence = [_claim_ref(label, claims, claim)]
            if code != "aks-entra-audience-mismatch":
                evidence.append(_claim_ref(label, claims, "aud"))
            findings.append(Finding(code, f"{label}: {words}", evidence=evidence + context))
        if verdict.overage and not verdict.app_token:
            notes.append(
                f"{label} carries the group overage pointer: AKS reads the user's groups from Microsoft Graph, "
                "so the token does not show them (bind group object IDs)"
            )
    for u in f.kubelogins:
        if u.legacy or (u.server_id and u.server_id != aks.AKS_SERVER_APP and cluster is not None):
            if u.auth_provider:
                why = (
                    'kubectl\'s removed `auth-provider: azure` (config-mode not "1") asks for the audience '
                    f"`spn:{u.server_id}`"
                )
            elif u.legacy:
                why = f"`--legacy` asks for the audience `spn:{u.server_id}`"
            else:
                why = f"--server-id {u.server_id} is not the AKS server application {aks.AKS_SERVER_APP}"
            findings.append(
                Finding(
                    "aks-entra-audience-mismatch",
                    f"the kubeconfig's kubelogin asks for a token AKS-managed Entra ID refuses: {why}",
                    evidence=_context_refs(cluster, (u,)),
                    origin=Origin.CONFIG,
                    fix=f"drop `--legacy` and use `--server-id {aks.AKS_SERVER_APP}` in {clean(u.ref)} (or rewrite the "
                    "kubeconfig: `az aks get-credentials -g RG -n CLUSTER --overwrite-existing && kubelogin "
                    "convert-kubeconfig -l azurecli`)",
                )
            )
    if findings:
        return CheckResult.failed(findings, "; ".join(notes))
    if not f.verdicts:
        return CheckResult.unknown(
            "no Entra ID token among the inputs (add the token kubelogin prints: "
            f"`kubelogin get-token --server-id {aks.AKS_SERVER_APP} ... | jq -r .status.token`)"
        )
    reason = f"every Entra ID token is an access token for the AKS server application {aks.AKS_SERVER_APP}"
    return CheckResult.passed("; ".join([reason, *notes]))


#: The Azure RBAC authorizer's deny reason, which kubectl prints after the 403 (kubeguard/guard
#: ``authz/providers/azure/rbac/checkaccessreqhelper.go`` ``AccessNotAllowedVerdict``).
AZURE_RBAC_DENIED = "User does not have access to the resource in Azure. Update role assignment to allow access."


def check_azure_rbac(ev: Evidence, ctx: Context) -> CheckResult:
    """Azure RBAC for Kubernetes authorization: a 403 is decided by Azure role assignments too. The
    authorizer's own deny reason in a pasted 403 says so even without ``az aks show``."""
    f = ctx.facts.aks
    cluster = next((c for c in f.clusters if c.azure_rbac), None) if f is not None else None
    forbidden = [x for x in ctx.facts.failures if x.kind == "forbidden"]
    said = next((x for x in forbidden if AZURE_RBAC_DENIED[:46] in x.text), None)
    if cluster is None and said is None:
        return CheckResult.skipped(
            "no AKS cluster with aadProfile.enableAzureRbac among the inputs, and no 403 of Azure RBAC's"
        )
    if not forbidden:
        assert cluster is not None
        return CheckResult.passed(
            f"{cluster.ref}: Azure RBAC authorizes too (no 403 observed; the bindings in hand are not the whole answer)"
        )
    seen = said or forbidden[0]
    who = seen.user or "OBJECT_ID"
    # The cluster's ARM id, asked of az rather than printed (a long id reads as an opaque secret to the
    # masking policy); resource group, name and namespace are quoted words.
    rg = cluster.resource_group if cluster is not None and cluster.resource_group else None
    name = cluster.name if cluster is not None and cluster.name else None
    cluster_id = (
        f'"$(az aks show -g {arg(rg) if rg else "RESOURCE_GROUP"} -n {arg(name) if name else "CLUSTER"} '
        '--query id -o tsv)"'
    )
    scope = cluster_id + (arg(f"/namespaces/{seen.namespace}", "namespace") if seen.namespace else "")
    role = arg("Azure Kubernetes Service RBAC Reader")
    listing = f"az role assignment list --scope {cluster_id} --include-inherited -o table"
    grant = f"az role assignment create --role {role} --assignee {arg(who, 'object id')} --scope {scope}"
    evidence = [EvidenceRef("error-text", seen.ref, clean(seen.text, 400))]
    if cluster is not None:
        evidence.insert(0, EvidenceRef("apiserver-config", f"{cluster.ref} aadProfile.enableAzureRbac", "true"))
        title = (
            f"{cluster.name or cluster.ref} authorizes with Azure RBAC (enableAzureRbac: true): the 403 is decided "
            "by Azure role assignments as well as by the Kubernetes bindings in hand"
        )
    else:
        title = (
            "the 403 comes from AKS's Azure RBAC authorizer (`User does not have access to the resource in Azure`): "
            "Azure role assignments decide, not only the Kubernetes bindings in hand"
        )
    finding = Finding(
        "aks-azure-rbac",
        title,
        evidence=evidence,
        origin=Origin.OBSERVED if said is not None else Origin.CONFIG,
        fix=f"see the Azure role assignments: `{listing}`; grant one: `{grant}`",
    )
    return CheckResult.failed([finding], "a 403 was observed on a cluster that authorizes with Azure RBAC")


def _subjects(ev: Evidence) -> list[tuple[str, str, str]]:
    """(kind, name, where) of every User and Group subject of the bindings in the evidence."""
    out = []
    for item in ev.of(Kind.RBAC):
        obj = plain(item.data)
        if not isinstance(obj, dict) or not str(obj.get("kind", "")).endswith("Binding"):
            continue
        for i, s in enumerate(obj.get("subjects") or []):
            if isinstance(s, dict) and s.get("kind") in ("User", "Group") and isinstance(s.get("name"), str):
                out.append((str(s["kind"]), s["name"], f"{item.ref} subjects[{i}]"))
    return out


def check_jwt_prefix(ev: Evidence, ctx: Context) -> CheckResult:
    """AKS structured authentication: every mapped username and group starts with ``aks:jwt:``, and the
    bindings name them so."""
    f = ctx.facts.aks
    if f is None or not f.prefixes:
        return CheckResult.skipped("no AKS JWT authenticator (az aks jwtauthenticator show) among the inputs")
    findings = []
    for p in f.prefixes:
        if p.missing:
            findings.append(
                Finding(
                    "aks-jwt-prefix-missing",
                    f"AKS JWT authenticator {p.authenticator!r} maps {p.field} to values starting with "
                    f"{p.prefix!r}, without the `aks:jwt:` prefix AKS requires",
                    evidence=[EvidenceRef("apiserver-config", p.ref, f"{p.where}: {p.prefix!r}")],
                    origin=Origin.CONFIG,
                )
            )
    kind_of = {"username": "User", "groups": "Group"}
    subjects = _subjects(ev)
    for p in f.prefixes:
        if p.prefix is None or p.missing:
            continue
        rest = p.prefix[len(aks.JWT_PREFIX) :]
        if not rest:
            continue  # 'aks:jwt:' + claim: without a token the unprefixed names cannot be told
        for kind, name, where in subjects:
            if kind == kind_of[p.field] and name.startswith(rest) and not name.startswith(p.prefix):
                findings.append(
                    Finding(
                        "aks-jwt-prefix-missing",
                        f"{where} names {kind} {name!r}; AKS JWT authenticator {p.authenticator!r} maps it to "
                        f"{aks.JWT_PREFIX + name!r}: the binding never matches",
                        evidence=[
                            EvidenceRef("rbac", where, f"{kind} {name}"),
                            EvidenceRef("apiserver-config", p.ref, f"{p.where}: {p.prefix!r}"),
                        ],
                        origin=Origin.CONFIG,
                        fix=f"bind {kind} {aks.JWT_PREFIX + name!r} instead (e.g. `kubectl create rolebinding ... "
                        f"{option('--' + kind.lower(), aks.JWT_PREFIX + name, 'name')}`)",
                    )
                )
    # With the identity known (predicted, or quoted by a 403): bindings naming its names without the prefix.
    seen_where = {e.ref for x in findings for e in x.evidence if e.source == "rbac"}
    ident = ctx.facts.identity
    names = [("User", ident.username)] + [("Group", g) for g in ident.groups] if ident is not None else []
    for kind, full in names:
        if not full.startswith(aks.JWT_PREFIX):
            continue
        bare = full[len(aks.JWT_PREFIX) :]
        for skind, name, where in subjects:
            if skind == kind and name == bare and where not in seen_where:
                findings.append(
                    Finding(
                        "aks-jwt-prefix-missing",
                        f"{where} names {kind} {name!r}; AKS calls this identity {full!r}: the binding never matches",
                        evidence=[
                            EvidenceRef("rbac", where, f"{kind} {name}"),
                            EvidenceRef("identity", f"{ident.source if ident else ''} identity", f"{kind} {full}"),
                        ],
                        origin=Origin.CONFIG,
                        fix=f"bind {kind} {full!r} instead (e.g. `kubectl create rolebinding ... "
                        f"{option('--' + kind.lower(), full, 'name')}`)",
                    )
                )
    if findings:
        return CheckResult.failed(findings)
    return CheckResult.passed(f"{len(f.prefixes)} mapping(s) start with `aks:jwt:`, and no binding misses it")


CHECKS: list[Check] = [
    Check(
        "aks.entra-token",
        ("aks-entra-wrong-token-type", "aks-entra-audience-mismatch", "aks-entra-group-overage"),
        check_entra_token,
        "AKS-managed Entra ID: an access token for the AKS server application (not an id_token, no spn: audience)",
    ),
    Check("aks.azure-rbac", ("aks-azure-rbac",), check_azure_rbac, "Azure RBAC decides besides Kubernetes RBAC"),
    Check(
        "aks.jwt-prefix",
        ("aks-jwt-prefix-missing",),
        check_jwt_prefix,
        "AKS structured authentication: usernames, groups and bindings carry `aks:jwt:`",
    ),
]
