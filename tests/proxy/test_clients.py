"""One OIDC-client model: Go flag splitting, the one "how to set" builder, and the checks over every client."""

from __future__ import annotations

import dataclasses
import shlex
from typing import Any

import pytest
from proxy_testkit import ISSUER, PLAIN_ARGS, authenticator, configmap, container, context, evidence, workload

from oidc_doctor.causes import Severity
from oidc_doctor.checks.base import Context
from oidc_doctor.checks.clients import check_audience, check_issuer, check_scopes, find_clients
from oidc_doctor.checks.proxy import derive_proxies
from oidc_doctor.clients import (
    ClientKind,
    Container,
    HelmValues,
    KubeconfigExec,
    Option,
    Setting,
    TokenKind,
    how_to_set,
)
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.gosyntax import Syntax, split_flags
from oidc_doctor.model import CheckResult
from oidc_doctor.proxy import helm
from oidc_doctor.proxy.adapters import from_proxy
from oidc_doctor.proxy.kubeapps import attach
from oidc_doctor.proxy.settings import find_proxies, read_settings

HEADLAMP = "ghcr.io/headlamp-k8s/headlamp:v0.45.0"
BOOLS = frozenset({"insecure-ssl", "oidc-use-access-token"}).__contains__


# --- Go flag syntax -----------------------------------------------------------------------------


def test_go_flag_takes_one_or_two_dashes_and_stops_at_the_first_positional_word() -> None:
    argv = ["-in-cluster=true", "--oidc-client-id", "kubernetes", "-insecure-ssl", "false", "-oidc-scopes=a,b"]
    # `-insecure-ssl` is boolean: `false` is positional and ends the flags (Go's flag.Parse).
    assert split_flags(argv, BOOLS, Syntax.GO_FLAG) == [
        (0, "in-cluster", "true"),
        (1, "oidc-client-id", "kubernetes"),
        (3, "insecure-ssl", None),
    ]


def test_pflag_reads_flags_among_positional_words_and_stops_at_double_dash() -> None:
    argv = ["oidc-login", "get-token", "--oidc-issuer-url", ISSUER, "-v", "--oidc-use-access-token", "--", "--x=1"]
    assert split_flags(argv, BOOLS, Syntax.PFLAG) == [
        (2, "oidc-issuer-url", ISSUER),
        (4, "-v", None),  # a shorthand: returned whole
        (5, "oidc-use-access-token", None),
    ]


def test_a_value_flag_at_the_end_has_no_value() -> None:
    assert split_flags(["--client-id"], BOOLS, Syntax.PFLAG) == [(0, "client-id", None)]
    assert split_flags(["-oidc-client-id"], BOOLS, Syntax.GO_FLAG) == [(0, "oidc-client-id", None)]


# --- the one "how to set this option" builder ------------------------------------------------------


CONTAINER = Container(
    "deploy auth/oauth2-proxy",
    "oauth2-proxy",
    env_names={"client-id": "OAUTH2_PROXY_CLIENT_ID"},
    file_keys={"client-id": "client_id"},
    files={"config-file": "/etc/oauth2-proxy.cfg (ConfigMap auth/cfg key oauth2-proxy.cfg)"},
)


def _s(source: str, ref: str = "somewhere") -> Setting:
    return Setting("client-id", "headlamp", source, ref)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("flag", "set `--client-id=kubernetes` on container oauth2-proxy of deploy auth/oauth2-proxy"),
        ("default", "set `--client-id=kubernetes` on container oauth2-proxy of deploy auth/oauth2-proxy"),
        ("env", "set env `OAUTH2_PROXY_CLIENT_ID=kubernetes` on container oauth2-proxy of deploy auth/oauth2-proxy"),
        (
            "config-file",
            'set `client_id = "kubernetes"` in the --config file /etc/oauth2-proxy.cfg (ConfigMap auth/cfg key '
            "oauth2-proxy.cfg)",
        ),
    ],
)
def test_an_option_is_set_where_it_is_set_now(source: str, expected: str) -> None:
    assert how_to_set(CONTAINER, _s(source), "kubernetes") == expected


def test_a_value_held_in_a_secret_names_the_secret() -> None:
    fix = how_to_set(CONTAINER, _s("env-secret", "env[0] OAUTH2_PROXY_CLIENT_ID from Secret o key id"), "kubernetes")
    assert "from Secret o key id" in fix and "`--client-id=kubernetes`" in fix


def test_helm_values_strvals_would_split_go_as_json_and_are_quoted_for_the_shell() -> None:
    h = HelmValues("rel; rm -rf /", "ns", "headlamp/headlamp", "0.45.0", CONTAINER, {"client-id": "config.oidc.x"})
    fix = how_to_set(h, _s("flag"), "a,b c")
    cmd = fix[fix.index("helm upgrade") :]
    # The pasted command has exactly these words: the hostile release name is one word, and a value
    # Helm's strvals would split (a comma) goes through --set-json.
    assert shlex.split(cmd) == [
        "helm",
        "upgrade",
        "rel; rm -rf /",
        "headlamp/headlamp",
        "-n",
        "ns",
        "--version",
        "0.45.0",
        "--reuse-values",
        "--set-json",
        'config.oidc.x="a,b c"',
    ]


def test_an_option_the_chart_does_not_render_goes_into_its_flags_list() -> None:
    h = HelmValues("kubeapps", "kubeapps", "bitnami/kubeapps", None, CONTAINER, {}, "authProxy.extraFlags", ("--a=1",))
    fix = how_to_set(h, Setting("cookie-refresh", 0.0, "default", "x"), "2m")
    assert fix.startswith("Kubeapps: add `--cookie-refresh=2m` to `authProxy.extraFlags`")
    assert '--set-json \'authProxy.extraFlags=["--a=1", "--cookie-refresh=2m"]\'' in fix


def test_kubeconfig_exec_args_are_set_added_or_removed() -> None:
    k = KubeconfigExec("oidc", "kubeconfig.yaml")
    assert how_to_set(k, Setting("oidc-client-id", "", "default", "x"), "kubernetes") == (
        "set `--oidc-client-id=kubernetes` in the exec args of user `oidc` (kubeconfig.yaml)"
    )
    add = how_to_set(k, Setting("oidc-extra-scope", [], "default", "x"), "groups", add=True)
    assert add == "add `--oidc-extra-scope=groups` to the exec args of user `oidc` (kubeconfig.yaml)"
    off = how_to_set(k, Setting("oidc-use-access-token", True, "flag", "x"), False)
    assert off == "remove `--oidc-use-access-token` from the exec args of user `oidc` (kubeconfig.yaml)"


# --- oauth2-proxy settings from env, a config file, alpha config ------------------------------------


def _proxy(*, args: list[str], **extra: Any) -> dict[str, Any]:
    return workload(container(args=args, **extra), volumes=extra.pop("volumes", None))


def _run(check: Any, ev: Evidence, ctx: Context) -> CheckResult:
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    result: CheckResult = check(ev, ctx)
    return result


def test_client_id_from_env_is_fixed_in_the_env() -> None:
    args = [a for a in PLAIN_ARGS if not a.startswith("--client-id")]
    ev = evidence(_proxy(args=args, env=[{"name": "OAUTH2_PROXY_CLIENT_ID", "value": "headlamp"}]))
    [f] = _run(check_audience, ev, context(auths=[authenticator()])).findings
    assert "set env `OAUTH2_PROXY_CLIENT_ID=kubernetes` on container oauth2-proxy" in f.fix
    assert f.evidence[0].text == "--client-id=headlamp (env)"


def test_issuer_from_a_toml_file_is_fixed_in_the_file() -> None:
    args = ["--config=/etc/oauth2-proxy/oauth2-proxy.cfg", *(a for a in PLAIN_ARGS if "issuer" not in a)]
    obj = workload(
        container(args=args, volumeMounts=[{"name": "cfg", "mountPath": "/etc/oauth2-proxy"}]),
        volumes=[{"name": "cfg", "configMap": {"name": "cfg"}}],
    )
    toml = f'oidc_issuer_url = "{ISSUER}/"\n'
    ev = evidence(obj, configmap("cfg", {"oauth2-proxy.cfg": toml}))
    [f] = _run(check_issuer, ev, context(auths=[authenticator()])).findings
    assert f'set `oidc_issuer_url = "{ISSUER}"` in the --config file /etc/oauth2-proxy/oauth2-proxy.cfg' in f.fix
    assert "trailing slash" in f.title


def test_client_id_from_alpha_config_is_fixed_in_the_alpha_config() -> None:
    alpha = f"providers:\n- id: kc\n  provider: oidc\n  clientID: headlamp\n  oidcConfig: {{issuerURL: {ISSUER}}}\n"
    obj = workload(
        container(
            args=["--alpha-config=/etc/alpha/alpha.yaml", "--cookie-secret=0123456789abcdef"],
            volumeMounts=[{"name": "a", "mountPath": "/etc/alpha"}],
        ),
        volumes=[{"name": "a", "configMap": {"name": "alpha"}}],
    )
    ev = evidence(obj, configmap("alpha", {"alpha.yaml": alpha}))
    [f] = _run(check_audience, ev, context(auths=[authenticator()])).findings
    assert "set `providers[0].clientID: kubernetes` in the alpha config /etc/alpha/alpha.yaml" in f.fix


# --- kubelogin ------------------------------------------------------------------------------------


def _kubeconfig(*args: str) -> Evidence:
    exec_ = {"command": "kubectl", "args": ["oidc-login", "get-token", f"--oidc-issuer-url={ISSUER}", *args]}
    cfg = {"kind": "Config", "users": [{"name": "oidc", "user": {"exec": exec_}}]}
    return Evidence([Item(Kind.KUBECONFIG, "kubeconfig.yaml", cfg)])


def test_kubelogin_without_the_groups_scope_gets_an_extra_scope_fix() -> None:
    ev = _kubeconfig("--oidc-client-id=kubernetes", "--oidc-extra-scope=email")
    [f] = _run(check_scopes, ev, context(auths=[authenticator()])).findings
    assert f.cause == "groups-claim-missing" and f.severity == Severity.WARNING
    assert "requests scopes `openid,email` without `groups`" in f.title
    assert "add `--oidc-extra-scope=groups` to the exec args of user `oidc`" in f.fix
    ok = _kubeconfig("--oidc-client-id=kubernetes", "--oidc-extra-scope", "email,groups")
    assert _run(check_scopes, ok, context(auths=[authenticator()])).status == "pass"


def test_kubelogin_sending_the_access_token_is_judged_by_the_tokens_audience() -> None:
    ev = _kubeconfig("--oidc-client-id=kubernetes", "--oidc-use-access-token")
    [client] = find_clients(ev, context())
    assert client.kind is ClientKind.KUBELOGIN and client.token is TokenKind.ACCESS_TOKEN
    blind = _run(check_audience, ev, context(auths=[authenticator()]))
    assert blind.status == "unknown" and "access token" in blind.reason
    [f] = _run(check_audience, ev, context(auths=[authenticator()], claims={"aud": "account"})).findings
    assert "sends the access token (--oidc-use-access-token), whose aud is ['account']" in f.title
    assert "remove `--oidc-use-access-token` from the exec args of user `oidc`" in f.fix


def test_a_client_record_cannot_be_changed() -> None:
    [client] = find_clients(_kubeconfig("--oidc-client-id=kubernetes"), context())
    with pytest.raises(dataclasses.FrozenInstanceError):
        client.provider = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        client.settings[Option.ISSUER] = client.settings[Option.CLIENT_ID]  # type: ignore[index]


def test_no_client_at_all_is_skipped_and_no_api_server_settings_unknown() -> None:
    empty = Evidence()
    for check in (check_audience, check_issuer, check_scopes):
        assert _run(check, empty, context(auths=[authenticator()])).status == "skipped"
        assert _run(check, _kubeconfig(), context(auths=None)).status == "unknown"


# --- Kubeapps sending the access token ------------------------------------------------------------


def test_kubeapps_proxypass_access_token_makes_the_access_tokens_audience_decide() -> None:
    from proxy_testkit import fixture_docs

    [dep] = fixture_docs("kubeapps-8.0.0-deployment.yaml")
    [secret] = fixture_docs("kubeapps-8.0.0-release.yaml")
    release = helm.decode_release(secret, "release.yaml")
    release.values.setdefault("frontend", {})["proxypassAccessTokenAsBearer"] = True
    [inst] = find_proxies(dep, "dep.yaml")
    cfg = read_settings(inst, [])
    attach(cfg, [release])
    client = from_proxy(cfg)
    assert client.token is TokenKind.ACCESS_TOKEN
    assert client.get(Option.TOKEN).describe() == "frontend.proxypassAccessTokenAsBearer=true (helm-values)"
    fix = client.how_to_set(Option.TOKEN, False)
    assert "--set frontend.proxypassAccessTokenAsBearer=false" in fix


def test_headlamp_and_a_proxy_are_judged_by_one_check() -> None:
    headlamp = workload(
        container(
            "headlamp", HEADLAMP, args=["-in-cluster", "-oidc-client-id=headlamp", f"-oidc-idp-issuer-url={ISSUER}"]
        ),
        name="headlamp",
        ns="headlamp",
    )
    proxy = workload(container(args=[a.replace("client-id=kubernetes", "client-id=dash") for a in PLAIN_ARGS]))
    result = _run(check_audience, evidence(headlamp, proxy), context(auths=[authenticator()]))
    assert sorted(f.title.split(" logs in")[0] for f in result.findings) == [
        "deploy auth/oauth2-proxy container oauth2-proxy",
        "deploy headlamp/headlamp container headlamp",
    ]


def test_commands_in_proxy_fixes_quote_hostile_names() -> None:
    from oidc_doctor.checks.proxy import CHECKS

    obj = workload(container(args=[*PLAIN_ARGS, "--set-authorization-header=true"]), name="x; rm -rf ~")
    ev = evidence(obj)
    ctx = context(auths=[authenticator()])
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    [check] = [c for c in CHECKS if c.id == "proxy.authz-header-exposed"]
    [f] = check.run(ev, ctx).findings
    cmd = f.fix[f.fix.index("oidc-doctor") : f.fix.rindex("`")]
    assert shlex.split(cmd)[6:8] == ["-d", "x; rm -rf ~"]


@pytest.mark.parametrize(
    ("image", "broken"),
    [
        ("ghcr.io/headlamp-k8s/headlamp:v0.28.0", False),  # refreshes (kubernetes-sigs/headlamp#3143)
        ("ghcr.io/headlamp-k8s/headlamp:v0.28.1", True),
        ("ghcr.io/headlamp-k8s/headlamp:v0.30.0", True),
        ("ghcr.io/headlamp-k8s/headlamp:v0.35.0", True),  # kubernetes-sigs/headlamp#3918
        ("ghcr.io/headlamp-k8s/headlamp:v0.36.0", False),
        ("ghcr.io/headlamp-k8s/headlamp@sha256:abcd", None),  # no version to judge
    ],
)
def test_headlamp_releases_with_a_reported_broken_refresh(image: str, broken: bool | None) -> None:
    from oidc_doctor.checks.clients import HEADLAMP_REFRESH_BROKEN, image_version

    v = image_version(image)
    if broken is None:
        assert v is None
        return
    assert v is not None
    assert any(lo <= v <= hi for lo, hi, _ in HEADLAMP_REFRESH_BROKEN) == broken
