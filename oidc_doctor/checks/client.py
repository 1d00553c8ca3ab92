"""The kubectl side: a kubeconfig whose user runs kubelogin (``kubectl oidc-login get-token``).

``kubectl config view --minify --raw`` shows the exec plugin's arguments: the issuer and client id
kubelogin asks for. A token obtained that way carries ``iss`` = that issuer and (for Keycloak, Dex,
Okta, Azure AD, Google...) ``aud`` = that client id, so both can be compared with the API server's
authenticators before any token is at hand. Flag names: int128/kubelogin pkg/cmd/get_token.go
(``--oidc-issuer-url``, ``--oidc-client-id``; ``--flag value`` and ``--flag=value`` both parse).
"""

from __future__ import annotations

from oidc_doctor.authn.sources import kubelogin_users
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import CheckResult, EvidenceRef, Finding, Origin
from oidc_doctor.shell import option, placeholder
from oidc_doctor.text import clean


def check_kubelogin(ev: Evidence, ctx: Context) -> CheckResult:
    """kubelogin's issuer and client id against the API server's issuers and audiences."""
    items = ev.of(Kind.KUBECONFIG)
    if not items:
        return CheckResult.skipped("no kubeconfig with a kubelogin (oidc-login) user among the inputs")
    auths = ctx.facts.authenticators
    if auths is None:
        return CheckResult.unknown("the API server's OIDC settings are not in the evidence: nothing to compare with")
    claims = ctx.facts.token_claims or {}
    aud = claims.get("aud")
    token_auds = (
        [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []
    )
    findings: list[Finding] = []
    for item in items:
        for u in kubelogin_users(item.data if isinstance(item.data, dict) else {}):
            ref = f"{item.ref} users[{u['user']}].exec.args"
            if u["client_id"] and u["client_id"] in token_auds:
                continue  # the token in the evidence came from this client: the token checks judge it
            same = [a for a in auths if a.issuer == u["issuer"]]
            if not same:
                configured = ", ".join(repr(a.issuer) for a in auths) or "none"
                findings.append(
                    Finding(
                        "issuer-mismatch",
                        f"kubelogin asks issuer {u['issuer']!r} for user {u['user']!r}; the API server's "
                        f"issuer(s): {configured}: its tokens carry an iss no authenticator takes (401)",
                        [
                            EvidenceRef("kubeconfig", clean(ref), f"--oidc-issuer-url={clean(u['issuer'])}"),
                            *(EvidenceRef("apiserver-config", clean(a.ref), clean(a.issuer)) for a in auths),
                        ],
                        fix="make kubelogin's --oidc-issuer-url exactly the API server's issuer URL "
                        "(scheme, host, path, trailing slash)",
                        origin=Origin.CONFIG,
                        rank=30,
                    )
                )
                continue
            audiences = [x for a in same for x in a.audiences]
            if u["client_id"] and u["client_id"] not in audiences:
                want = audiences[0] if audiences else placeholder("the API server client id")
                findings.append(
                    Finding(
                        "audience-mismatch",
                        f"kubelogin logs in as client {u['client_id']!r} (user {u['user']!r}); the API server "
                        f"accepts audience(s) {audiences}: the id_token's aud is the client id, so it is "
                        "rejected unless the identity provider adds the API server's audience",
                        [
                            EvidenceRef("kubeconfig", clean(ref), f"--oidc-client-id={clean(u['client_id'])}"),
                            *(
                                EvidenceRef("apiserver-config", clean(a.ref), f"audiences {list(a.audiences)}")
                                for a in same
                            ),
                        ],
                        fix=f"use {option('--oidc-client-id', want, 'the API server client id')} in "
                        "the kubeconfig, or add an audience mapper / list the client in `issuer.audiences`",
                        origin=Origin.CONFIG,
                        rank=30,
                    )
                )
    if findings:
        return CheckResult.failed(findings)
    return CheckResult.passed("kubelogin's issuer and client id match the API server's settings")


CHECKS: list[Check] = [
    Check(
        "client.kubelogin",
        ("issuer-mismatch", "audience-mismatch"),
        check_kubelogin,
        "kubelogin's --oidc-issuer-url and --oidc-client-id match the API server",
    ),
]
