"""The ``--what-if`` vocabulary: every form reads into a typed change and writes back the same; bad
syntax is one clear line and exit 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from oidc_doctor.change import Change, Op, Target, parse_change
from oidc_doctor.cli import main
from oidc_doctor.io import IO

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD = {
    "apiserver:--oidc-username-prefix=oidc:": (Target.APISERVER, Op.SET, "--oidc-username-prefix", "oidc:"),
    "apiserver:-oidc-username-prefix": (Target.APISERVER, Op.UNSET, "--oidc-username-prefix", ""),
    "authconfig:jwt[0].claimMappings.username.prefix=oidc:": (
        Target.AUTHCONFIG,
        Op.SET,
        "jwt[0].claimMappings.username.prefix",
        "oidc:",
    ),
    "authconfig:-jwt[0].claimValidationRules": (Target.AUTHCONFIG, Op.UNSET, "jwt[0].claimValidationRules", ""),
    "binding:dev/dev-view+=Group:oidc:dev": (
        Target.BINDING,
        Op.ADD_SUBJECT,
        "RoleBinding dev/dev-view",
        "Group oidc:dev",
    ),
    "binding:dev/dev-view-=Group:dev": (Target.BINDING, Op.REMOVE_SUBJECT, "RoleBinding dev/dev-view", "Group dev"),
    "binding:dev/dev-view[1]=User:oidc:alice": (
        Target.BINDING,
        Op.CHANGE_SUBJECT,
        "RoleBinding dev/dev-view subjects[1]",
        "User oidc:alice",
    ),
    "clusterbinding:admins+=User:x": (Target.BINDING, Op.ADD_SUBJECT, "ClusterRoleBinding admins", "User x"),
    "binding:dev/view-a:=ClusterRole/view,User:a": (
        Target.BINDING,
        Op.CREATE_BINDING,
        "RoleBinding dev/view-a",
        "ClusterRole/view User a",
    ),
    "proxy:--cookie-refresh=2m": (Target.PROXY, Op.SET, "--cookie-refresh", "2m"),
    "proxy:-set-authorization-header": (Target.PROXY, Op.UNSET, "--set-authorization-header", ""),
    "headlamp:-oidc-scopes=profile,email,groups": (Target.HEADLAMP, Op.SET, "-oidc-scopes", "profile,email,groups"),
    "kubelogin:--oidc-extra-scope=groups": (Target.KUBELOGIN, Op.SET, "--oidc-extra-scope", "groups"),
    'claims:groups=["dev"]': (Target.CLAIMS, Op.SET, "groups", '["dev"]'),
    "claims:email_verified=true": (Target.CLAIMS, Op.SET, "email_verified", "true"),
    "claims:hd=example.com": (Target.CLAIMS, Op.SET, "hd", '"example.com"'),
    "claims:-email": (Target.CLAIMS, Op.UNSET, "email", ""),
    "scope:+groups": (Target.SCOPE, Op.ADD, "groups", "groups"),
}


@pytest.mark.parametrize("spec", sorted(GOOD))
def test_every_form_reads_into_its_change_and_writes_back(spec: str) -> None:
    c = parse_change(spec)
    assert (c.target, c.op, c.ref, c.value) == GOOD[spec]
    assert parse_change(c.spec()) == c
    doc = c.to_json()
    assert {"target", "op", "ref", "value", "simulated", "spec", "text"} <= set(doc)
    assert doc["simulated"] is (c.target in (Target.CLAIMS, Target.SCOPE))


def test_a_change_is_frozen() -> None:
    c = parse_change("proxy:--cookie-refresh=2m")
    with pytest.raises(AttributeError):
        setattr(c, "value", "5m")  # noqa: B010 - the assignment a frozen record refuses
    assert hash(c) == hash(Change(Target.PROXY, Op.SET, "--cookie-refresh", "2m"))


BAD = {
    "nonsense": "expected TARGET:CHANGE",
    "apiserver:--oidc-username-prefix": "to unset it",
    "binding:dev+=User:x": "NAMESPACE/NAME",
    "binding:dev/x+=Robot:x": "KIND:NAME",
    "clusterbinding:a/b+=User:x": "no namespace",
    'claims:groups=["dev"': "not valid JSON",
    "scope:groups": "scope:+SCOPE",
    "authconfig:foo": "FIELD.PATH=VALUE",
    "cluster:x=y": "unknown target",
}


@pytest.mark.parametrize("spec", sorted(BAD))
def test_bad_syntax_is_one_clear_line_and_exit_2(spec: str) -> None:
    with pytest.raises(ValueError, match=BAD[spec].replace("[", r"\[").replace("+", r"\+")):
        parse_change(spec)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(EXAMPLES / "healthy"), "--what-if", spec],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    assert status == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and "--what-if" in lines[0] and "Traceback" not in err.getvalue(), lines
    assert out.getvalue() == ""


def test_a_change_the_evidence_cannot_take_is_one_line_and_exit_2() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["diagnose", "--bundle", str(EXAMPLES / "healthy"), "--what-if", "binding:ops/nothing+=User:x"],
        IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}),
    )
    assert status == 2
    assert "the evidence holds no RoleBinding ops/nothing" in err.getvalue()
    assert len(err.getvalue().strip().splitlines()) == 1


def test_proposals_name_real_causes_and_every_error_cause_is_either_proposed_or_known_outside() -> None:
    from oidc_doctor.causes import BY_CODE, Severity
    from oidc_doctor.checks.changes import PROPOSED_CAUSES

    assert PROPOSED_CAUSES <= set(BY_CODE)
    outside = {
        "issuer-unreachable",  # seen in the API server log; the control plane's network is not emulated
        "issuer-ca-untrusted",  # trust in the issuer's certificate is not emulated
        "apiserver-endpoint-mismatch",  # the request went to another API server
        "apiserver-config-drift",  # the file the API server runs is not in the evidence
        "auth-config-reload-failed",  # idem
        "token-malformed",  # needs the id_token
        "wrong-token-type",  # idem
        "signature-invalid",  # needs a token signed anew
        "claim-mapping-error",  # needs a person to rewrite the CEL expression
        "oidc-config-invalid",  # the message names the setting; the fix depends on it
        "proxy-header-too-large",  # buffer sizes are not emulated
        "stale-signing-keys",  # the key set the control plane caches is not emulated
        "tokens-reach-no-authenticator",  # seen in metrics and logs only
        "reason-not-logged",  # a property of the logger, not of the settings
        "apiserver-manifest-not-applied",  # the kubelet's decoding of the file in hand is not re-run
        # AKS-managed Entra ID: Guard's webhook and Azure RBAC are not emulated by the what-if layer
        "aks-entra-wrong-token-type",
        "aks-entra-audience-mismatch",
        "aks-entra-group-overage",
        "aks-azure-rbac",
        "aks-jwt-prefix-missing",
    }
    errors = {c.code for c in BY_CODE.values() if c.severity != Severity.INFO}
    assert errors - PROPOSED_CAUSES == outside
