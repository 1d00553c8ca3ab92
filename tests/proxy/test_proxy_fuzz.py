"""Hostile shapes never crash the proxy deriver, checks or patch builder."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from proxy_testkit import authenticator, configmap, container, context, evidence, workload

from oidc_doctor.checks import clients, proxy
from oidc_doctor.checks.proxy import derive_proxies
from oidc_doctor.errors import UsageError
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.proxy.patch import build

#: The proxy-only checks and the checks over every OIDC client (oauth2-proxy, Headlamp, kubelogin).
CHECKS = [*proxy.CHECKS, *clients.CHECKS]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
flag_words = st.sampled_from(
    [
        "--cookie-refresh",
        "--cookie-refresh=",
        "--provider",
        "--scope=",
        "--config=/c/x",
        "--alpha-config=/a/y",
        "--set-authorization-header",
        "--upstream=static://202",
        "-x",
        "--",
        "--pass-authorization-header=maybe",
        "$(X)",
        "--client-id=$(MISSING)",
        "--oidc-issuer-url",
        "--oidc-issuer-url=https://i",
        "-oidc-idp-issuer-url=https://i/",
        "-oidc-client-id",
        "--oidc-use-access-token=maybe",
        "-oidc-use-access-token",
        "--oidc-extra-scope=",
        "-oidc-scopes=a,,b",
    ]
) | st.text(max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    args=st.lists(flag_words, max_size=8),
    image=st.sampled_from(["quay.io/oauth2-proxy/oauth2-proxy:v7.6.0", "ghcr.io/headlamp-k8s/headlamp:v0.45.0"]),
    env=json_values,
    env_from=json_values,
    mounts=json_values,
    volumes=json_values,
    cm_data=st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=3),
)
def test_deriver_and_checks_survive_any_container_shape(
    args: list[str], image: str, env: Any, env_from: Any, mounts: Any, volumes: Any, cm_data: dict[str, str]
) -> None:
    c = container(
        image=image,
        args=args,
        env=env if isinstance(env, list) else [env],
        envFrom=env_from if isinstance(env_from, list) else [],
    )
    c["volumeMounts"] = mounts if isinstance(mounts, list) else [{"name": "c", "mountPath": "/c"}]
    obj = workload(c, volumes=volumes if isinstance(volumes, list) else [{"name": "c", "configMap": {"name": "x"}}])
    ev = evidence(obj, configmap("x", cm_data))
    ev.add(Item(Kind.KUBECONFIG, "fuzz", {"users": [{"name": "u", "user": {"exec": {"args": args}}}]}))
    ctx = context(auths=[authenticator()], claims={"aud": args[:1]})
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    for check in CHECKS:
        check.run(ev, ctx)
    for action in ("enable", "disable"):
        try:
            plan = build(obj, action)
        except UsageError as e:  # an ambiguous or missing container: one clear line
            assert "container" in str(e)
        else:
            assert plan.container


@settings(max_examples=100, deadline=None)
@given(obj=json_values)
def test_arbitrary_objects_as_workloads_configmaps_and_releases(obj: Any) -> None:
    ev = Evidence()
    for kind in (Kind.WORKLOAD, Kind.CONFIGMAP, Kind.HELM_RELEASE, Kind.INGRESS, Kind.KUBECONFIG):
        ev.add(Item(kind, "fuzz", obj))
        if isinstance(obj, dict):
            ev.add(
                Item(kind, "fuzz", {**obj, "kind": "Deployment", "spec": {"template": {"spec": {"containers": [obj]}}}})
            )
            ev.add(Item(kind, "fuzz", {"users": [obj, {"user": {"exec": obj}}]}))
    ctx = context(auths=[authenticator()])
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    for check in CHECKS:
        check.run(ev, ctx)


@settings(max_examples=100, deadline=None)
@given(
    values=st.dictionaries(st.sampled_from(["authProxy", "frontend", "x"]), json_values, max_size=3),
    ap=st.dictionaries(
        st.sampled_from(
            [
                "enabled",
                "args",
                "extraFlags",
                "additionalFlags",
                "clientID",
                "cookieRefresh",
                "external",
                "largeClientHeaderBuffers",
            ]
        ),
        json_values,
    ),
    chart=st.sampled_from(["7.0.4", "7.1.0", "8.0.0", "x", ""]),
)
def test_kubeapps_logic_survives_any_release_values(values: dict[str, Any], ap: dict[str, Any], chart: str) -> None:
    from oidc_doctor.proxy import helm

    payload = {
        "name": "kubeapps",
        "namespace": "kubeapps",
        "chart": {
            "metadata": {"name": "kubeapps", "version": chart},
            "values": {**values, "authProxy": ap, "frontend": ap},
        },
        "config": values,
    }
    secret = {
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {"namespace": "kubeapps"},
        "data": {"release": __import__("base64").b64encode(helm.encode_release(payload).encode()).decode()},
    }
    dep = workload(
        container("auth-proxy", args=["--provider=oidc"]),
        name="kubeapps",
        ns="kubeapps",
        labels={"helm.sh/chart": f"kubeapps-{chart}", "app.kubernetes.io/instance": "kubeapps"},
    )
    for ev in (evidence(dep, secret), evidence(secret)):
        ctx = context()
        ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
        for check in CHECKS:
            check.run(ev, ctx)


toml_like = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "cookie_refresh",
                "cookie_expire",
                "email_domains",
                "provider",
                "pass_authorization_header",
                "upstreams",
                "scope",
                "unknown_key",
                "cookie_secret",
            ]
        ),
        st.sampled_from(['"2m"', "120", "true", '["a", "b"]', '"x"', "{a = 1}", "1.5", '"0"', "[1, 2]", '""']),
    ),
    max_size=6,
).map(lambda kv: "\n".join(f"{k} = {v}" for k, v in kv))


@settings(max_examples=100, deadline=None)
@given(toml=st.one_of(toml_like, toml_like, st.text(max_size=80)), alpha=json_values | st.text(max_size=80))
def test_any_toml_or_alpha_config_text_is_read_without_crashing(toml: str, alpha: Any) -> None:
    import yaml

    alpha_text = alpha if isinstance(alpha, str) else yaml.safe_dump(alpha)
    for flag, text in (("--config=/cfg/f", toml), ("--alpha-config=/cfg/f", alpha_text)):
        obj = workload(
            container(
                args=[flag, "--cookie-secret=0123456789abcdef"], volumeMounts=[{"name": "c", "mountPath": "/cfg"}]
            ),
            volumes=[{"name": "c", "configMap": {"name": "cfg"}}],
        )
        ev = evidence(obj, configmap("cfg", {"f": text}))
        ctx = context()
        ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
        for check in CHECKS:
            check.run(ev, ctx)
