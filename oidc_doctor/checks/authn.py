"""The API server's view of the token: settings, validation and the predicted verdict.

The area's deriver (:mod:`oidc_doctor.checks.authn_facts`) reads the settings, validates them as
kube-apiserver does and predicts its verdict for each token. The checks here turn the outcome into
findings that name the configured value, the token's value and the exact string the API server
logs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from oidc_doctor.authn.goformat import quote
from oidc_doctor.authn.model import SOURCE_EKS, ApiServerAuth, JWTAuthenticator
from oidc_doctor.authn.nested import nested_claim, nested_fix, nested_groups
from oidc_doctor.authn.settings import WHERE_TO_LOOK, discovery_init_error
from oidc_doctor.authn.verify import Prediction, untrusted_issuer
from oidc_doctor.authn.version import legacy_flag_errors
from oidc_doctor.causes import Severity, fix_for
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.dates import UTC, datetime
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.jose import fingerprint, parse_compact
from oidc_doctor.model import (
    CheckResult,
    EvidenceRef,
    FailureSource,
    Finding,
    ObservedFailure,
    Origin,
    Status,
)
from oidc_doctor.record import replace
from oidc_doctor.text import clean, iso

if TYPE_CHECKING:
    from oidc_doctor.checks.authn_facts import AuthnFacts

LOG_PREFIX = 'kube-apiserver log (predicted): "Unable to authenticate the request" err='


# --- helpers for findings ----------------------------------------------------------------------


def _facts(ctx: Context) -> AuthnFacts | None:
    return ctx.facts.authn


def _blind_result(f: AuthnFacts | None) -> CheckResult:
    if f is not None and f.view.blind:
        return CheckResult.unknown(f"the API server's JWT settings cannot be seen: {f.view.blind}")
    return CheckResult.unknown(f"no API server settings among the inputs; look at {WHERE_TO_LOOK}")


def _config_ref(a: JWTAuthenticator, path: str, value: str) -> EvidenceRef:
    return EvidenceRef("apiserver-config", clean(a.origin(path)), clean(value))


def _token_ref(f: AuthnFacts, claim: str | None) -> EvidenceRef:
    item = f.token_item
    assert item is not None
    fp = fingerprint(item.data)
    claims = f.claims or {}
    if claim is None:
        return EvidenceRef("token", f"{item.ref} ({fp})", "")
    if claim in claims:
        text = json.dumps(claims[claim], ensure_ascii=False)
    else:
        text = f"no {claim!r} claim"
    return EvidenceRef("token", f"{item.ref} ({fp}) claim {claim}", clean(text, 300))


def _log_ref(message: str) -> EvidenceRef:
    return EvidenceRef("prediction", "kube-apiserver log (predicted)", clean(message))


def _log_line_ref(message: str) -> EvidenceRef:
    """The log line to grep for: the bearer-token union aggregates the authenticator's error after
    its own ``invalid bearer token`` (seen in the field up to 1.33; kubernetes issue 136887 reports
    1.34 logging only ``invalid bearer token``)."""
    line = f'"Unable to authenticate the request" err={quote("[invalid bearer token, " + message + "]")}'
    return EvidenceRef("prediction", "kube-apiserver log line (predicted, klog text format)", clean(line))


def _authenticator(f: AuthnFacts) -> JWTAuthenticator | None:
    p = f.prediction
    auth = f.view.auth
    if p is None or auth is None or p.authenticator is None:
        return None
    return auth.authenticators[p.authenticator]


# --- checks ------------------------------------------------------------------------------------


def check_configured(ev: Evidence, ctx: Context) -> CheckResult:
    """``oidc-not-configured`` only when the settings were seen; unknown when they cannot be."""
    f = _facts(ctx)
    if f is None or f.view.auth is None or (f.view.blind and not f.view.auth.authenticators):
        return _blind_result(f)
    auth = f.view.auth
    errors, ignored = legacy_flag_errors(auth)
    if auth.authenticators or errors:
        n = len(auth.authenticators)
        notes = "".join(f"; {note}" for note in f.view.notes)
        return CheckResult.passed(f"{n} JWT authenticator(s) configured in {auth.ref}{notes}")
    oidc_flags = [name for name in auth.flags if name.startswith("oidc-")]
    detail = f" (only {', '.join('--' + n for n in oidc_flags)} set)" if oidc_flags else ""
    detail += "".join(f" ({note})" for note in [*auth.notes, *([ignored] if ignored else [])])
    finding = Finding(
        "oidc-not-configured",
        f"The API server has no OIDC/JWT authenticator{detail}: every OIDC token is answered 401",
        [
            EvidenceRef(
                "apiserver-config", clean(auth.ref), "no --oidc-issuer-url / --oidc-client-id and no jwt entry"
            ),
            _log_ref("invalid bearer token (no authenticator handles the token)"),
        ],
        origin=Origin.CONFIG,
    )
    if auth.source == SOURCE_EKS and auth.notes:
        finding.fix = (
            "wait until `aws eks describe-identity-provider-config` shows status ACTIVE (associating an "
            "identity provider takes 20-40 minutes); a config being deleted must be associated again"
        )
    return CheckResult.failed([finding])


def check_config_valid(ev: Evidence, ctx: Context) -> CheckResult:
    """``oidc-config-invalid``: settings kube-apiserver refuses (with its start-up message)."""
    f = _facts(ctx)
    if f is None or f.view.auth is None or f.verdict is None:
        return _blind_result(f)
    auth = f.view.auth
    msg = f.verdict.startup_error
    if msg is None:
        return CheckResult.passed(f"kube-apiserver accepts the JWT settings in {auth.ref}")
    evidence = [EvidenceRef("apiserver-config", clean(auth.ref), clean(msg, 2000))]
    for v, a in zip(f.verdict.per_authenticator, auth.authenticators, strict=True):
        for e in v.errors[:5]:
            evidence.append(EvidenceRef("apiserver-config", clean(_nearest_origin(a, e.path)), clean(e.text())))
    first = msg if len(msg) < 200 else msg[:199] + "…"
    finding = Finding(
        "oidc-config-invalid",
        f"kube-apiserver refuses these JWT settings: {clean(first)}",
        evidence,
        fix=_config_fix(msg),
        origin=Origin.CONFIG,
    )
    return CheckResult.failed([finding])


def _nearest_origin(a: JWTAuthenticator, path: str) -> str:
    """Where the setting at ``path`` (or the nearest enclosing one that was recorded) was read."""
    p = path
    while p:
        if p in a.origins:
            return a.origins[p]
        cut = max(p.rfind("."), p.rfind("["))
        p = p[:cut] if cut > 0 else ""
    return a.ref


def _config_fix(msg: str) -> str:
    if "mutually exclusive" in msg:
        return "remove every --oidc-* flag and move the settings into the AuthenticationConfiguration jwt entry"
    if "must be specified together" in msg:
        return "set both --oidc-issuer-url and --oidc-client-id (or remove all --oidc-* flags)"
    if "URL scheme must be https" in msg:
        return "serve the issuer over https and use the https URL (identical to the tokens' iss)"
    if "prefix is required when claim is set" in msg:
        return 'add prefix: "" (no prefix) or prefix: "oidc:" next to the claim'
    if "unsupported signing alg" in msg:
        return "list only asymmetric algorithms (RS256/384/512, ES256/384/512, PS256/384/512) in --oidc-signing-algs"
    if "disallowed issuers" in msg:
        return "use an issuer URL different from --service-account-issuer"
    return "change the setting named in the message; kube-apiserver does not start until it is valid"


def check_discovery(ev: Evidence, ctx: Context) -> CheckResult:
    """``discovery-issuer-mismatch``: the bundled discovery document vs the configured URL."""
    f = _facts(ctx)
    if f is None or f.view.auth is None:
        return _blind_result(f)
    if not ev.of(Kind.DISCOVERY):
        return CheckResult.skipped("no discovery document (.well-known/openid-configuration) among the inputs")
    if f.verdict is not None and f.verdict.startup_error is not None:
        return CheckResult.skipped("the settings are invalid (see authn.config-valid)")
    findings = []
    for a in f.view.auth.authenticators:
        message = discovery_init_error(f.discovery, a)
        if message is None:
            continue
        item, got = f.discovery[a.issuer.url]
        findings.append(
            Finding(
                "discovery-issuer-mismatch",
                f"The API server's authenticator never initialises: discovery says issuer {got!r}, "
                f"the API server is configured with {a.issuer.url!r}",
                [
                    _config_ref(a, "issuer.url", a.issuer.url),
                    EvidenceRef("discovery", f"{item.ref} issuer", clean(got)),
                    _log_ref(f"oidc authenticator: initializing plugin: {message}"),
                    _log_ref("oidc: authenticator not initialized (for every token of this issuer)"),
                ],
                fix=fix_for("discovery-issuer-mismatch", issuer=repr(got)),
            )
        )
    if findings:
        return CheckResult.failed(findings)
    return CheckResult.passed("the discovery document's issuer equals the configured URL")


_STAGE_CAUSE = {
    "audience": "audience-mismatch",
    "alg": "signing-alg-not-allowed",
    "signature": "signature-invalid",
    "email-verified": "email-not-verified",
    "required-claim": "required-claim-mismatch",
    "claim-rule": "required-claim-mismatch",
    "user-rule": "claim-mapping-error",
    "extra": "claim-mapping-error",
    "uid": "claim-mapping-error",
    "expired": "token-expired",
    "nbf": "token-not-yet-valid",
    "distributed": "groups-distributed-claims",
    "distributed-unfetched": "groups-distributed-claims",
    "claims-json": "token-malformed",
    "malformed": "token-malformed",
}


def _stage_cause(p: Prediction, a: JWTAuthenticator) -> str | None:
    """The cause code of a rejection at ``p.stage`` (None when the stage names no cause)."""
    if p.stage == "username":
        return "claim-mapping-error" if a.claim_mappings.username.expression else "username-claim-missing"
    if p.stage == "groups":
        return "claim-mapping-error" if a.claim_mappings.groups.expression else "groups-claim-invalid"
    return _STAGE_CAUSE.get(p.stage)


def predicted_outcome(ctx: Context) -> str | None:
    """The prediction for the judged token in one word: ``"accepted"``, the cause code of the
    rejection, or None when there is no prediction (no settings, no token, could not evaluate)."""
    f = _facts(ctx)
    if f is None or f.prediction is None or f.view.auth is None:
        return None
    p = f.prediction
    if p.authenticated:
        return "accepted"
    if not p.handled:
        return "token-malformed" if f.token_item is None or untrusted_issuer(f.token_item.data) is None else None
    a = _authenticator(f)
    return _stage_cause(p, a) if a is not None else None


def check_prediction(ev: Evidence, ctx: Context) -> CheckResult:
    """The predicted verdict for the judged token, as a finding with the exact log string; every other
    id_token of the inputs is predicted too, and its rejection reported under its own name."""
    f = _facts(ctx)
    result = _judge_prediction(f, ctx)
    if f is None or not f.others:
        return result
    extra: list[Finding] = []
    for item, claims, pred in f.others:
        other = _judge_prediction(replace(f, token_item=item, claims=claims, prediction=pred), ctx)
        for finding in other.findings:
            if finding.severity == Severity.ERROR:
                finding.title = f"{item.ref}: {finding.title}"
                extra.append(finding)
    if f.token_item is not None:  # several verdicts: each names its token
        for finding in result.findings:
            finding.title = f"{f.token_item.ref}: {finding.title}"
    if not extra:
        return result
    why = f"{len(f.others) + 1} tokens; {f.token_item.ref if f.token_item else '?'} is the one judged first"
    return CheckResult.failed([*result.findings, *extra], f"{result.reason}; {why}" if result.reason else why)


def _judge_prediction(f: AuthnFacts | None, ctx: Context) -> CheckResult:
    if f is None or f.view.auth is None or (f.view.blind and not f.view.auth.authenticators):
        return _blind_result(f)
    if f.token_item is None:
        return CheckResult.skipped("no token among the inputs")
    p = f.prediction
    if p is None or p.stage in ("config", "config-only"):
        return CheckResult.skipped("the settings are invalid (see authn.config-valid): no prediction")
    auth = f.view.auth
    if not auth.authenticators:
        return CheckResult.skipped("no JWT authenticator configured (see authn.configured)")
    if not p.handled:
        return _not_handled(f, auth)
    a = _authenticator(f)
    assert a is not None
    if p.authenticated and p.user is not None:
        return _accepted(f, a, p, ctx)
    if p.stage == "cel-unsupported":
        return CheckResult.unknown("; ".join(p.notes) or "an expression could not be evaluated here")
    if p.stage == "not-initialized":
        return CheckResult.unknown(
            "the API server's authenticator would not initialise (see authn.discovery); every token of this "
            "issuer gets: oidc: authenticator not initialized"
        )
    cause = _stage_cause(p, a)
    if cause is None:
        return CheckResult.unknown(f"prediction stopped at {p.stage}: {p.error}")
    return CheckResult.failed([_rejection(f, a, p, cause)])


def _not_handled(f: AuthnFacts, auth: ApiServerAuth) -> CheckResult:
    from oidc_doctor.shell import json_arg, option  # (fix texts only: not on start-up)

    assert f.token_item is not None
    iss = untrusted_issuer(f.token_item.data)
    if iss is None:
        return CheckResult.failed(
            [
                Finding(
                    "token-malformed",
                    "The API server would not even try the token: it is not a compact JWT with a readable iss",
                    [_token_ref(f, None), _log_ref("invalid bearer token")],
                )
            ]
        )
    configured = [a.issuer.url for a in auth.authenticators]
    a0 = auth.authenticators[0]
    return CheckResult.failed(
        [
            Finding(
                "issuer-mismatch",
                f"The API server would skip the token: its iss {iss!r} is not exactly a configured issuer "
                f"({', '.join(repr(c) for c in configured)})",
                [
                    _config_ref(a0, "issuer.url", a0.issuer.url),
                    _token_ref(f, "iss"),
                    _log_ref("invalid bearer token (no JWT authenticator handles this iss; not an oidc: error)"),
                ],
                fix=fix_for(
                    "issuer-mismatch",
                    example=f" (e.g. {option('--oidc-issuer-url', iss, 'the issuer URL')} "
                    f"or issuer.url: {json_arg(iss)})",
                ),
            )
        ]
    )


def _configured_value(a: JWTAuthenticator, auth: ApiServerAuth, p: Prediction, cause: str) -> EvidenceRef:
    m = a.claim_mappings
    if cause == "audience-mismatch":
        return _config_ref(a, "issuer.audiences", json.dumps(a.issuer.audiences))
    if cause == "signing-alg-not-allowed":
        return EvidenceRef("apiserver-config", clean(auth.signing_algs_ref or auth.ref), json.dumps(auth.signing_algs))
    if cause in ("username-claim-missing", "email-not-verified"):
        return _config_ref(a, "claimMappings.username.claim", m.username.claim or m.username.expression)
    if cause in ("groups-claim-invalid", "groups-distributed-claims"):
        return _config_ref(a, "claimMappings.groups.claim", m.groups.claim or m.groups.expression)
    if cause == "required-claim-mismatch":
        for i, r in enumerate(a.claim_validation_rules):
            if (r.claim and r.claim == p.claim) or (r.expression and r.expression in (p.error or "")):
                value = f"{r.claim}={r.required_value}" if r.claim else r.expression
                return _config_ref(a, f"claimValidationRules[{i}]", value)
    if cause == "claim-mapping-error":
        for path, expr in (
            ("claimMappings.username.expression", m.username.expression),
            ("claimMappings.groups.expression", m.groups.expression),
            ("claimMappings.uid.expression", m.uid.expression),
        ):
            if expr and expr in (p.error or ""):
                return _config_ref(a, path, expr)
        for i, e in enumerate(m.extra):
            if e.value_expression and e.value_expression in (p.error or ""):
                return _config_ref(a, f"claimMappings.extra[{i}]", e.value_expression)
        for i, u in enumerate(a.user_validation_rules):
            if u.expression in (p.error or ""):
                return _config_ref(a, f"userValidationRules[{i}]", u.expression)
    return _config_ref(a, "issuer.url", a.issuer.url)


_TOKEN_CLAIM = {
    "audience-mismatch": "aud",
    "token-expired": "exp",
    "token-not-yet-valid": "nbf",
    "email-not-verified": "email_verified",
}

#: The slot values a rejection fills in its cause's fix template (``causes.py`` owns the words).
FIX_SLOTS = {
    "audience-mismatch": ("audience",),
    "signing-alg-not-allowed": ("flag",),
    "username-claim-missing": ("claim",),
}


def _rejection(f: AuthnFacts, a: JWTAuthenticator, p: Prediction, cause: str) -> Finding:
    from oidc_doctor.shell import option  # (fix texts only: not on start-up)

    auth = f.view.auth
    assert auth is not None
    error = p.error or ""
    claim = _TOKEN_CLAIM.get(cause, p.claim)
    evidence = [_configured_value(a, auth, p, cause), _token_ref(f, claim)]
    if cause in ("token-expired", "token-not-yet-valid"):
        leeway = " (60 s leeway for nbf)" if cause == "token-not-yet-valid" else " (no leeway for exp)"
        evidence[0] = EvidenceRef("clock", f"now ({f.now_source})", f"{iso(f.now)}{leeway}")
    if cause == "signing-alg-not-allowed" and f.token_item is not None:
        header = parse_compact(f.token_item.data).header or {}
        evidence[1] = EvidenceRef("token", f"{f.token_item.ref} header alg", clean(str(header.get("alg"))))
    if error:
        evidence.append(_log_ref(error))
        evidence.append(_log_line_ref(error))
    if p.remote_error and p.remote_error != error:
        evidence.append(_log_ref(p.remote_error))
    for n in p.notes:
        evidence.append(EvidenceRef("prediction", "note", clean(n)))
    if p.stage == "distributed-unfetched":
        title = (
            f"The API server would have to fetch the {p.claim!r} claim from its distributed-claims endpoint "
            "(groups overage): the token does not carry the groups"
        )
    else:
        title = f"The API server would reject the token: {clean(error, 220)}"
    want = json.dumps(a.issuer.audiences[0]) if a.issuer.audiences else "the configured client id"
    alg = ""
    if f.token_item is not None:
        alg = str((parse_compact(f.token_item.data).header or {}).get("alg", ""))
    algs = option("--oidc-signing-algs", ",".join([*auth.signing_algs, alg]), "algorithms")
    found = {"audience": want, "flag": algs, "claim": repr(p.claim) if p.claim else ""}
    fix = fix_for(cause, **{k: found[k] for k in FIX_SLOTS.get(cause, ()) if found[k]})
    return Finding(
        cause,
        title,
        evidence,
        fix=fix,
        origin=Origin.PREDICTED,
    )


def _accepted(f: AuthnFacts, a: JWTAuthenticator, p: Prediction, ctx: Context) -> CheckResult:
    assert p.user is not None
    u = p.user
    groups = ", ".join(u.groups) or "none"
    sig = {"verified": "signature verified", "not-checked": f"signature NOT checked: {f.keys_unavailable}"}.get(
        p.signature, p.signature
    )
    evidence = [
        EvidenceRef("prediction", "predicted user", clean(f"username={u.username} uid={u.uid} groups=[{groups}]")),
        _config_ref(a, "claimMappings.username.prefix", repr(a.claim_mappings.username.prefix or "")),
        _token_ref(f, a.claim_mappings.username.claim or None),
    ]
    # The API server's own word beats this prediction. A 401 it logged with a reason is its own
    # finding (checks/logs.py), and "authentication works" beside it would contradict it.
    refused = [x for x in ctx.facts.failures if x.kind == "unauthorized"]
    from_log = [x for x in refused if x.source == FailureSource.APISERVER_LOG]
    if from_log:
        return CheckResult.passed(
            f"predicted: accepted as {u.username!r}; but the API server logged a 401 ({clean(from_log[0].text, 160)})"
        )
    if refused:
        exp = (f.claims or {}).get("exp")
        if ctx.now_source != "token" or not isinstance(exp, int | float) or isinstance(exp, bool):
            unchecked = []
            if p.signature != "verified":
                unchecked.append("the signature (add the issuer's JWKS)")
            if not f.discovery:
                unchecked.append("the discovery document's issuer (add .well-known/openid-configuration)")
            return CheckResult.failed([_endpoint_mismatch(f, u.username, refused[0], evidence, unchecked)])
        # The moment judged is only the token's issue time (no --now, no log, no collection time): the
        # 401 came later, and a token that has expired by then is the common cause. It is a reading
        # without a time (bare): evidence that carries a reason comes first.
        expires = datetime.fromtimestamp(float(exp), tz=UTC)
        expired = Finding(
            "token-expired",
            f"A 401 was seen and the bundle does not say when: the token is accepted when issued, but it expires "
            f"at {iso(expires)}; any request after that gets exactly this 401",
            [EvidenceRef("error-text", clean(refused[0].ref), clean(refused[0].text, 300)), _token_ref(f, "exp")],
            fix="pass --now with the time of the failure to confirm; if it was after the expiry, refresh the token "
            "before it expires (kubelogin refreshes on its own; a proxy needs --cookie-refresh shorter than the "
            "token's lifetime); if it was before, the request reached an API server without these settings "
            "(apiserver-endpoint-mismatch)",
            origin=Origin.PREDICTED,
            bare=True,
        )
        return CheckResult.failed([expired])
    findings = [
        Finding(
            "token-accepted",
            f"The API server would accept the token as {u.username!r} (groups: {groups}; {sig})",
            evidence,
            fix=fix_for("token-accepted"),
            origin=Origin.PREDICTED,
        )
    ]
    return CheckResult(Status.PASS, f"accepted as {u.username!r}; {sig}", findings)


def _endpoint_mismatch(
    f: AuthnFacts, username: str, seen: ObservedFailure, evidence: list[EvidenceRef], unchecked: list[str]
) -> Finding:
    """A 401 was seen, yet the settings judged accept the token: the request went elsewhere.

    Either the client talks to another endpoint than the API server whose settings are in hand (a
    node IP, a Rancher/other proxy, an API server without the flags), or the API servers differ.
    ``unchecked`` names what the prediction could not check (the signature without a JWKS, the
    discovery document): then the acceptance is only partial, and the finding says so and stands
    back (``bare``) behind any finding with a reason.
    """
    where = (
        "the API server log in the inputs holds no authentication failure near that time"
        if f.apiserver_logs
        else "no API server log among the inputs to confirm which server answered"
    )
    if unchecked:
        where += f"; not checked here: {', '.join(unchecked)}, which would give the same 401"
    return Finding(
        "apiserver-endpoint-mismatch",
        f"A 401 was seen, but the API server settings in hand accept the token as {username!r}: the request "
        f"did not reach an API server with these settings ({where})",
        [EvidenceRef("error-text", clean(seen.ref), clean(seen.text, 300)), *evidence],
        fix="compare the kubeconfig's (or dashboard's) server URL with the API server that carries these OIDC "
        "settings (`kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'`); point it at that "
        "server, or give every API server of the cluster the same settings; if the 401 came from another "
        "token, add that token to the inputs"
        + (
            ""
            if f.apiserver_logs
            else "; and read the API server's log (`kubectl -n kube-system logs -l component=kube-apiserver | grep "
            "oidc`): an API server that cannot reach or trust the issuer answers every OIDC token 401 "
            "(`oidc authenticator: initializing plugin: ...`)"
        ),
        origin=Origin.PREDICTED,
        bare=bool(unchecked),
    )


def check_groups_claim(ev: Evidence, ctx: Context) -> CheckResult:
    """``groups-claim-missing``: a configured groups claim absent from the token (silent on the server)."""
    f = _facts(ctx)
    if f is None or f.view.auth is None or (f.view.blind and not f.view.auth.authenticators):
        return _blind_result(f)
    if f.token_item is None or f.prediction is None:
        return CheckResult.skipped("no token among the inputs")
    a = _authenticator(f)
    if a is None or not f.prediction.handled:
        return CheckResult.skipped("no configured authenticator handles the token")
    gclaim = a.claim_mappings.groups.claim
    if not gclaim:
        if a.claim_mappings.groups.expression:
            return CheckResult.skipped("groups come from a CEL expression")
        return CheckResult.skipped("no groups claim is configured (--oidc-groups-claim): the user has no OIDC groups")
    claims = f.claims or {}
    if gclaim in claims:
        return CheckResult.passed(f"the token carries the {gclaim!r} claim")
    if f.prediction.error is not None:
        return CheckResult.skipped(
            f"the token has no {gclaim!r} claim, but the API server rejects it before groups matter (authn.prediction)"
        )
    names = claims.get("_claim_names")
    if isinstance(names, dict) and gclaim in names:
        return CheckResult.passed(f"the {gclaim!r} claim is distributed (see authn.prediction)")
    nested = nested_claim(claims, gclaim)
    path = nested_groups(claims) if nested is None else None
    if nested is not None:
        shown = clean(json.dumps(nested, ensure_ascii=False), 120)
        why = (
            f"{gclaim!r} is a path into nested claims, and a claim name is never a path "
            f"(the token carries {shown} there)"
        )
        seen, fix = gclaim, nested_fix(gclaim)
    elif path is not None:
        why = (
            f"the token has no {gclaim!r} claim, but carries names nested under `{path}`, "
            "which a claim name never reaches"
        )
        seen, fix = path, nested_fix(path)
    else:
        why = (
            f"the token has no {gclaim!r} claim (configured groups claim; the API server says nothing, RBAC then "
            "finds no group binding)"
        )
        seen = gclaim
        fix = (
            f"request the scope that carries {gclaim!r} (often `groups`) in the proxy/client, add a groups mapper "
            "in the IdP, or point the groups claim at a claim the token has"
        )
    finding = Finding(
        "groups-claim-missing",
        f"The API server would see no groups: {why}",
        [_config_ref(a, "claimMappings.groups.claim", gclaim), _token_ref(f, seen.split(".", 1)[0])],
        fix=fix,
        origin=Origin.PREDICTED,
    )
    return CheckResult.failed([finding])


def check_endpoints(ev: Evidence, ctx: Context) -> CheckResult:
    """The API servers of one cluster carry the same OIDC settings (else a login works on one node only)."""
    f = _facts(ctx)
    if f is None or f.view.auth is None:
        return _blind_result(f)
    pods = [i for i in f.view.items if i.kind == Kind.APISERVER_POD]
    if len(pods) < 2:
        return CheckResult.skipped("one API server Pod (or none) among the inputs: nothing to compare")
    if not f.view.disagreeing:
        return CheckResult.passed(f"{len(pods)} kube-apiserver Pods carry the same OIDC settings")
    evidence = [EvidenceRef("apiserver-config", clean(ref), clean(flags, 400)) for ref, flags in f.view.disagreeing]
    finding = Finding(
        "apiserver-endpoint-mismatch",
        f"The {len(f.view.disagreeing)} kube-apiserver Pods disagree on their OIDC settings: a request succeeds or "
        "fails depending on the control-plane node the load balancer picks",
        evidence,
        fix="give every control-plane node the same OIDC flags (edit /etc/kubernetes/manifests/kube-apiserver.yaml "
        "on each node; the kubelet restarts the Pod), or point the kubeconfig at the node that has them",
        origin=Origin.CONFIG,
    )
    return CheckResult.failed([finding])


CHECKS: list[Check] = [
    Check("authn.configured", ("oidc-not-configured",), check_configured, "the API server has a JWT authenticator"),
    Check("authn.config-valid", ("oidc-config-invalid",), check_config_valid, "kube-apiserver accepts the settings"),
    Check(
        "authn.endpoints",
        ("apiserver-endpoint-mismatch",),
        check_endpoints,
        "every kube-apiserver Pod carries the same OIDC settings",
    ),
    Check(
        "authn.discovery",
        ("discovery-issuer-mismatch",),
        check_discovery,
        "the discovery document's issuer is the configured URL",
    ),
    Check(
        "authn.prediction",
        (
            "issuer-mismatch",
            "audience-mismatch",
            "signing-alg-not-allowed",
            "signature-invalid",
            "username-claim-missing",
            "email-not-verified",
            "groups-claim-invalid",
            "groups-distributed-claims",
            "required-claim-mismatch",
            "claim-mapping-error",
            "token-expired",
            "token-not-yet-valid",
            "token-malformed",
            "discovery-issuer-mismatch",
            "token-accepted",
            "apiserver-endpoint-mismatch",
        ),
        check_prediction,
        "what the API server's JWT authenticator would do with the token",
    ),
    Check(
        "authn.groups-claim",
        ("groups-claim-missing",),
        check_groups_claim,
        "the configured groups claim is in the token",
    ),
]
