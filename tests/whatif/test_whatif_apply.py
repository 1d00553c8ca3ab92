"""Applying a change builds a new Evidence: the input is never modified, and each target lands where
the component reads it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.bundle import read_bundle
from oidc_doctor.change import parse_change
from oidc_doctor.checks.token_facts import BLIND_JWKS
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.jose import parse_compact
from oidc_doctor.whatif.apply import NotApplicable, apply

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _bundle(name: str) -> Evidence:
    ev = Evidence()
    read_bundle(EXAMPLES / name, ev)
    return ev


def _snapshot(ev: Evidence) -> Any:
    return [(i.kind, i.ref, copy.deepcopy(i.data)) for i in ev.items], dict(ev.blind), list(ev.inputs)


def _container(ev: Evidence, kind: Kind, name: str) -> dict[str, Any]:
    for item in ev.of(kind):
        spec = item.data["spec"]
        spec = spec.get("template", {}).get("spec", spec)
        for c in spec["containers"]:
            if c["name"] == name:
                return dict(c)
    raise AssertionError(name)


SPECS = {
    "healthy": [
        "apiserver:--oidc-username-prefix=x:",
        "apiserver:-oidc-username-prefix",
        "binding:dev/dev-view+=Group:oidc:ops",
        "binding:dev/dev-view[0]=Group:dev",
        "binding:dev/dev-view-=Group:oidc:dev",
        "binding:dev/new:=ClusterRole/view,User:u",
        "proxy:--cookie-refresh=1m",
        "proxy:-cookie-refresh",
        'claims:groups=["a"]',
        "claims:-email",
        "scope:+offline_access",
    ],
    "claim-mapping-error-cel": ["authconfig:jwt[0].claimMappings.username.expression=claims.email"],
}


@pytest.mark.parametrize(("name", "spec"), [(n, s) for n, specs in SPECS.items() for s in specs])
def test_apply_never_modifies_its_input(name: str, spec: str) -> None:
    ev = _bundle(name)
    before = _snapshot(ev)
    out = apply(ev, parse_change(spec))
    assert _snapshot(ev) == before
    assert out is not ev and _snapshot(out) != before


def test_an_apiserver_flag_set_replaces_every_earlier_occurrence_and_unset_removes_it() -> None:
    ev = _bundle("healthy")
    out = apply(ev, parse_change("apiserver:--oidc-username-prefix=corp:"))
    words = _container(out, Kind.APISERVER_POD, "kube-apiserver")["command"]
    assert [w for w in words if "username-prefix" in w] == ["--oidc-username-prefix=corp:"]
    gone = apply(out, parse_change("apiserver:-oidc-username-prefix"))
    assert not [w for w in _container(gone, Kind.APISERVER_POD, "kube-apiserver")["command"] if "username-prefix" in w]


@pytest.mark.parametrize("v1beta4", [False, True])
def test_kubeadm_extra_args_in_both_shapes(v1beta4: bool) -> None:
    extra: Any = (
        [{"name": "oidc-issuer-url", "value": "https://a"}, {"name": "oidc-username-prefix", "value": "x:"}]
        if v1beta4
        else {"oidc-issuer-url": "https://a", "oidc-username-prefix": "x:"}
    )
    cc: dict[str, Any] = {"kind": "ClusterConfiguration", "apiServer": {"extraArgs": extra}}
    ev = Evidence([Item(Kind.KUBEADM_CONFIG, "cc", cc)])
    out = apply(ev, parse_change("apiserver:--oidc-username-prefix=y:"))
    got = out.items[0].data["apiServer"]["extraArgs"]
    if v1beta4:
        assert {"name": "oidc-username-prefix", "value": "y:"} in got and len(got) == 2
    else:
        assert got["oidc-username-prefix"] == "y:"
    assert cc["apiServer"]["extraArgs"] == extra  # the input is untouched


def test_a_claims_change_keeps_the_signature_and_withholds_the_keys() -> None:
    ev = _bundle("healthy")
    token = next(i.data for i in ev.of(Kind.TOKEN))
    out = apply(ev, parse_change('claims:groups=["ops"]'))
    new = next(i.data for i in out.of(Kind.TOKEN))
    assert new.split(".")[2] == token.split(".")[2]  # not re-signed
    payload, original = parse_compact(new).payload or {}, parse_compact(token).payload or {}
    assert payload["groups"] == ["ops"]
    assert payload["email"] == original["email"]
    assert not out.of(Kind.JWKS) and ev.of(Kind.JWKS)
    assert "simulated" in out.blind[BLIND_JWKS]


def test_a_proxy_unset_drops_the_flag_and_its_environment_variable() -> None:
    container = {
        "name": "oauth2-proxy",
        "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
        "args": ["--cookie-refresh", "1h", "--provider=oidc"],
        "env": [{"name": "OAUTH2_PROXY_COOKIE_REFRESH", "value": "1h"}, {"name": "OTHER", "value": "1"}],
    }
    dep = {"kind": "Deployment", "metadata": {"name": "p"}, "spec": {"template": {"spec": {"containers": [container]}}}}
    ev = Evidence([Item(Kind.WORKLOAD, "dep", dep)])
    out = apply(ev, parse_change("proxy:-cookie-refresh"))
    c = _container(out, Kind.WORKLOAD, "oauth2-proxy")
    assert c["args"] == ["--provider=oidc"]
    assert c["env"] == [{"name": "OTHER", "value": "1"}]
    assert container["args"] == ["--cookie-refresh", "1h", "--provider=oidc"]


def test_kubelogin_extra_scope_is_added_once_and_headlamp_takes_single_dash_flags() -> None:
    kubeconfig = {
        "users": [
            {
                "name": "oidc",
                "user": {
                    "exec": {
                        "command": "kubectl",
                        "args": ["oidc-login", "get-token", "--oidc-issuer-url=https://idp", "--oidc-client-id=k"],
                    }
                },
            }
        ]
    }
    ev = Evidence([Item(Kind.KUBECONFIG, "kubeconfig", kubeconfig)])
    once = apply(ev, parse_change("kubelogin:--oidc-extra-scope=groups"))
    twice = apply(once, parse_change("kubelogin:--oidc-extra-scope=groups"))
    args = twice.items[0].data["users"][0]["user"]["exec"]["args"]
    assert args.count("--oidc-extra-scope=groups") == 1
    headlamp = {
        "name": "headlamp",
        "image": "ghcr.io/headlamp-k8s/headlamp:v0.25.0",
        "args": ["-in-cluster", "-oidc-scopes=profile,email"],
    }
    dep = {"kind": "Deployment", "metadata": {"name": "h"}, "spec": {"template": {"spec": {"containers": [headlamp]}}}}
    hl = apply(Evidence([Item(Kind.WORKLOAD, "dep", dep)]), parse_change("scope:+groups"))
    assert _container(hl, Kind.WORKLOAD, "headlamp")["args"] == ["-in-cluster", "-oidc-scopes=profile,email,groups"]


@pytest.mark.parametrize(
    "spec",
    [
        "authconfig:jwt[0].issuer.url=https://x",  # healthy has flags, no AuthenticationConfiguration
        "binding:dev/dev-view[5]=User:x",
        "headlamp:-oidc-scopes=a",
        "kubelogin:--oidc-extra-scope=groups",
        "binding:dev/dev-view:=ClusterRole/view,User:x",  # exists already
    ],
)
def test_a_change_whose_target_is_missing_says_so(spec: str) -> None:
    with pytest.raises(NotApplicable, match=r"^\S+: "):
        apply(_bundle("healthy"), parse_change(spec))


def test_a_new_binding_is_a_plain_rbac_object() -> None:
    out = apply(_bundle("healthy"), parse_change("binding:dev/view-u:=ClusterRole/view,User:u"))
    new = out.items[-1]
    assert new.kind == Kind.RBAC
    assert json.loads(json.dumps(new.data)) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "view-u", "namespace": "dev"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "u"}],
    }
