"""Facts are derived once, in one order, and never written afterwards; checks run on facts built directly.

"Built directly" means by the engines (inspect a token, predict, index and analyse RBAC, scan a log,
parse metrics, read a proxy's settings) with no ``derive_*`` of ``checks/`` called: every check
module must reach a verdict from such facts, so a check never depends on how a deriver ran.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks import all_checks
from oidc_doctor.checks.base import Context
from oidc_doctor.derive import derive_all
from oidc_doctor.evidence import Evidence
from oidc_doctor.facts import Facts, identity_of
from oidc_doctor.model import AuthenticatorSummary, Identity, ObservedFailure, Status

NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_writing_to_a_facts_record_or_the_context_raises() -> None:
    ctx = derive_all(read_bundle(EXAMPLES / "healthy"), Context(now=NOW))
    with pytest.raises(AttributeError, match="frozen"):
        ctx.facts.identity = None
    with pytest.raises(AttributeError, match="frozen"):
        ctx.facts = Facts()
    assert ctx.facts.authn is not None
    with pytest.raises(AttributeError):
        ctx.facts.authn.prediction = None  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field"):
        ctx.facts.but(extra={})


def test_derive_all_fills_every_area_of_a_bundle() -> None:
    f = derive_all(read_bundle(EXAMPLES / "healthy"), Context(now=NOW)).facts
    assert f.primary is not None and f.token_claims is not None and f.token_claims["email"] == "alice@example.com"
    assert f.authenticators is not None and f.authenticators[0].username_prefix == "oidc:"
    assert f.prediction is not None and f.prediction.authenticated
    assert f.identity is not None and (f.identity.username, f.identity.source) == (
        "oidc:alice@example.com",
        "prediction",
    )
    assert f.rbac is not None and f.rbac.index is not None and not isinstance(f.rbac.analysis, str)
    assert f.proxy is not None and f.proxy.configs


def test_identity_precedence_is_one_rule() -> None:
    quoted = ObservedFailure("forbidden", "error.txt", "pods is forbidden", status=403, user="oidc:bob")
    reviewed = Identity("oidc:alice", ["oidc:dev"], source="selfsubjectreview")
    assert identity_of(Facts()) is None
    assert identity_of(Facts(reviewed=reviewed, failures=(quoted,))) is reviewed
    from_403 = identity_of(Facts(failures=(quoted,)))
    assert from_403 is not None and (from_403.username, from_403.source) == ("oidc:bob", "forbidden-message")


def test_every_check_runs_on_facts_built_directly_without_derivers() -> None:
    auth = AuthenticatorSummary("https://idp.example.com", ("kubernetes",), "email", "oidc:", "groups", "oidc:", "pod")
    facts = Facts(
        token_claims={"iss": "https://idp.example.com", "email": "alice@example.com", "groups": ["dev"]},
        token_ref="id_token.txt",
        token_lifetime_s=300.0,
        token_size=900,
        authenticators=(auth,),
        identity=Identity("oidc:alice@example.com", ["oidc:dev"]),
        failures=(ObservedFailure("unauthorized", "--error", "Unauthorized", status=401),),
    )
    ctx = Context(now=NOW, facts=facts)
    for check in all_checks():
        result = check.run(Evidence(), ctx)
        # Nothing to look at beyond the facts: no check may claim a pass it could not see.
        assert result.status in (Status.PASS, Status.FAIL, Status.UNKNOWN, Status.SKIPPED), check.id
        assert all(f.cause in check.causes for f in result.findings), check.id
    assert ctx.facts is facts  # checks only read


def _facts_built_directly(tmp_path: Path) -> tuple[Evidence, Facts]:
    """Every area's facts made by the engines themselves, no deriver called: the healthy example's
    token, settings, RBAC objects and Kubeapps proxy, an API server log line, control-plane metrics,
    and the API server's own word on who the user is."""
    from oidc_doctor.authn.settings import SettingsView, auth_from_item
    from oidc_doctor.authn.validation import validate_settings
    from oidc_doctor.authn.verify import BundleKeys, KeySet, predict
    from oidc_doctor.checks.authn_facts import AuthnFacts, summarize
    from oidc_doctor.checks.base import Options
    from oidc_doctor.checks.controlplane import ControlPlaneFacts
    from oidc_doctor.checks.logs import LogFacts
    from oidc_doctor.checks.proxy import ProxyState
    from oidc_doctor.checks.rbac import RbacFacts
    from oidc_doctor.controlplane.metrics import parse_text, summarise
    from oidc_doctor.evidence import Item, Kind
    from oidc_doctor.jose import parse_compact, parse_jwks
    from oidc_doctor.logs.scan import scan_file
    from oidc_doctor.logs.summary import Summary
    from oidc_doctor.proxy.settings import find_proxies, read_settings
    from oidc_doctor.rbac.index import RbacIndex, default_groups
    from oidc_doctor.rbac.nearmiss import Who, analyze
    from oidc_doctor.token import inspect as ti

    ev = read_bundle(EXAMPLES / "healthy")  # a source: it reads files, derives nothing
    (token,) = ev.of(Kind.TOKEN)
    (jwks,) = ev.of(Kind.JWKS)
    report = ti.inspect_token(token.data, token.ref, NOW, Options(), ti.KeyInputs(jwks.data, jwks.ref), "flag")
    auth = auth_from_item(ev.of(Kind.APISERVER_POD)[0])
    assert auth is not None
    keys = BundleKeys(parse_jwks(jwks.data))

    def keys_for(_a: object) -> tuple[KeySet | None, str | None]:
        return keys, None

    prediction = predict(token.data, auth, NOW, keys_for)
    assert prediction.user is not None
    identity = Identity(prediction.user.username, list(prediction.user.groups), source="prediction")
    idx = RbacIndex.from_evidence(ev)
    who = Who(identity.username, default_groups(identity.username, identity.groups), True, "prediction")
    proxies = [
        read_settings(inst, [])
        for item in ev.of(Kind.WORKLOAD)
        if isinstance(item.data, dict)
        for inst in find_proxies(item.data, item.ref)
    ]
    log = tmp_path / "kube-apiserver.log"
    log.write_text(
        'E1128 10:25:01.000000       1 authentication.go:73] "Unable to authenticate the request" '
        'err="[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: 2026-11-28 10:20:00 '
        '+0000 UTC)]"\n'
    )
    ev.add(Item(Kind.APISERVER_LOG, "kube-apiserver.log", None, path=log))
    review = {"kind": "SelfSubjectReview", "status": {"userInfo": {"username": identity.username, "groups": []}}}
    ev.add(Item(Kind.LIVE, "whoami.yaml", review))
    whole, near = Summary(), Summary(start=NOW - timedelta(minutes=10), end=NOW + timedelta(minutes=10))
    scan_file(log, [whole, near], label="kube-apiserver.log", kind="apiserver-log", ref=NOW)
    whole.finish()
    near.finish()
    metrics = summarise(
        parse_text(
            [
                b'apiserver_authentication_config_controller_automatic_reloads_total{apiserver_id_hash="sha256:aa",'
                b'status="success"} 1\n'
            ]
        )
    )
    claims = parse_compact(token.data).payload
    facts = Facts(
        logs=LogFacts({"apiserver-log": whole}, {"apiserver-log": near}, {}),
        reviewed=Identity(identity.username, source="selfsubjectreview"),
        tokens=(report,),
        primary=report,
        token_claims=report.claims,
        token_header=report.header,
        token_ref=report.label,
        token_lifetime_s=report.lifetime_s,
        token_size=report.size,
        controlplane=ControlPlaneFacts(metrics=metrics, metrics_refs=("metrics.txt",)),
        failures=(ObservedFailure("unauthorized", "--error", "Unauthorized", status=401),),
        authn=AuthnFacts(
            view=SettingsView(auth=auth),
            now=NOW,
            verdict=validate_settings(auth),
            token_item=token,
            claims=claims,
            prediction=prediction,
        ),
        authenticators=tuple(summarize(a) for a in auth.authenticators),
        authenticators_ref=auth.ref,
        identity=identity,
        rbac=RbacFacts(idx, analyze(idx, who, None, claims)),
        proxy=ProxyState(configs=proxies),
    )
    return ev, facts


def test_every_check_module_judges_facts_built_directly_without_derivers(tmp_path: Path) -> None:
    from oidc_doctor.checks import all_checks

    ev, facts = _facts_built_directly(tmp_path)
    ctx = Context(now=NOW, now_source="flag", facts=facts)
    looked: dict[str, list[str]] = {}
    for check in all_checks():
        result = check.run(ev, ctx)
        assert all(f.cause in check.causes for f in result.findings), check.id
        if result.status in (Status.PASS, Status.FAIL):
            module = check.run.__module__.rsplit(".", 1)[-1]
            looked.setdefault(module, []).append(check.id)
    assert ctx.facts is facts  # checks only read
    # The identity provider's settings are judged only when no token is in hand (the token is the truth).
    from oidc_doctor.checks import idp as idp_checks
    from oidc_doctor.idp.settings import parse as parse_idp

    dex = parse_idp({"issuer": "https://dex.example.com", "storage": {"type": "memory"}}, "dex.yaml")
    assert dex is not None
    untokened = Context(now=NOW, now_source="flag", facts=facts.but(token_claims=None, idp=(dex,)))
    for check in idp_checks.CHECKS:
        result = check.run(ev, untokened)
        if result.status in (Status.PASS, Status.FAIL):
            looked.setdefault("idp", []).append(check.id)
    # AKS-managed Entra ID: a managed cluster and an access token for the AKS server application.
    from oidc_doctor.checks import aks as aks_checks
    from oidc_doctor.checks.aks import AksFacts
    from oidc_doctor.managed import aks as aks_engine

    cluster = aks_engine.parse_cluster(
        {"name": "c1", "aadProfile": {"managed": True, "tenantId": "t"}}, "aks-show.json"
    )
    entra = {"aud": aks_engine.AKS_SERVER_APP, "iss": "https://sts.windows.net/t/", "scp": "user.read", "upn": "a@b"}
    aks_facts = AksFacts(
        (cluster,), (), "aks-show.json aadProfile.managed: true", (("t.txt", aks_engine.judge_entra_token(entra)),)
    )
    on_aks = Context(now=NOW, now_source="flag", facts=facts.but(aks=aks_facts))
    for check in aks_checks.CHECKS:
        if check.run(ev, on_aks).status in (Status.PASS, Status.FAIL):
            looked.setdefault("aks", []).append(check.id)
    # Every check module reads its area's facts and reaches a verdict, not only "could not look".
    import importlib

    from oidc_doctor import checks

    modules = {
        p.stem
        for p in Path(checks.__file__).parent.glob("*.py")
        if p.stem not in ("__init__", "base")
        and hasattr(importlib.import_module(f"oidc_doctor.checks.{p.stem}"), "CHECKS")
    }
    assert modules - set(looked) == set(), looked
    got = {c.id: c.run(ev, ctx) for c in all_checks()}
    assert [f.cause for f in got["logs.apiserver"].findings] == ["token-expired"]  # the scanned line
    assert got["controlplane.reload"].status == Status.PASS  # the parsed metrics
    assert got["token.signature"].status == Status.PASS and got["rbac.binding"].status == Status.PASS


def test_the_checks_read_the_facts_not_the_evidence(tmp_path: Path) -> None:
    """Same evidence, other facts built directly: another identity, analysed by the engine, has no binding."""
    from oidc_doctor.checks import rbac
    from oidc_doctor.rbac.index import default_groups
    from oidc_doctor.rbac.nearmiss import Who, analyze

    ev, facts = _facts_built_directly(tmp_path)
    assert facts.rbac is not None and facts.rbac.index is not None
    idx = facts.rbac.index
    mallory = Who("oidc:mallory", default_groups("oidc:mallory", []), True, "prediction")
    other = facts.but(identity=Identity("oidc:mallory"), rbac=rbac.RbacFacts(idx, analyze(idx, mallory)))
    before = rbac.check_binding(ev, Context(now=NOW, facts=facts))
    after = rbac.check_binding(ev, Context(now=NOW, facts=other))
    assert (before.status, after.status) == (Status.PASS, Status.FAIL)
    assert [f.cause for f in after.findings] == ["rbac-no-binding"] and "oidc:mallory" in after.findings[0].title
