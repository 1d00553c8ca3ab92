"""Every proxy check fires on its fixture, stays quiet on a healthy setup, and says unknown when blind."""

from __future__ import annotations

from typing import Any

from proxy_testkit import (
    ISSUER,
    PLAIN_ARGS,
    authenticator,
    configmap,
    container,
    context,
    evidence,
    fixture_docs,
    workload,
)

from oidc_doctor.checks import all_checks, clients
from oidc_doctor.checks.base import Context
from oidc_doctor.checks.proxy import CHECKS as PROXY_CHECKS
from oidc_doctor.checks.proxy import derive_proxies
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.model import CheckResult, ObservedFailure, Status
from oidc_doctor.pipeline import run

#: The proxy-only checks and the checks over every OIDC client (proxies included).
CHECKS = [*PROXY_CHECKS, *clients.CHECKS]
CLAIMS = {"iss": ISSUER, "aud": "kubernetes", "email": "alice@example.com", "groups": ["dev"], "sub": "a"}


def _plain(
    *args: str, drop: tuple[str, ...] = (), image: str = "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0"
) -> dict[str, Any]:
    base = [a for a in PLAIN_ARGS if not a.startswith(drop)] if drop else list(PLAIN_ARGS)
    return workload(container(image=image, args=[*base, *args]))


def _healthy_ctx(**over: Any) -> Context:
    kw: dict[str, Any] = {"claims": CLAIMS, "auths": [authenticator(audiences=("kubernetes", "kubeapps"))]}
    kw.update(over)
    return context(**kw)


def _check(check_id: str, ev: Evidence, ctx: Context) -> CheckResult:
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    [check] = [c for c in CHECKS if c.id == check_id]
    result = check.run(ev, ctx)
    for f in result.findings:
        assert f.cause in check.causes
    return result


def _causes(result: CheckResult) -> list[str]:
    return [f.cause for f in result.findings]


def _healthy_evidence() -> Evidence:
    return evidence(
        _plain(),
        *fixture_docs("kubeapps-8.0.0-deployment.yaml"),
        *fixture_docs("kubeapps-8.0.0-release.yaml"),
    )


def test_a_healthy_setup_passes_every_proxy_check() -> None:
    ev = _healthy_evidence()
    ctx = _healthy_ctx()
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    for check in CHECKS:
        result = check.run(ev, ctx)
        if check.id == "client.headlamp-refresh":  # no Headlamp in this setup
            assert result.status == Status.SKIPPED, result.reason
            continue
        assert result.status == Status.PASS, (check.id, result.reason, [f.title for f in result.findings])


def test_checks_without_proxies_are_skipped_not_passed() -> None:
    ctx = _healthy_ctx()
    ev = evidence(workload(container("web", "nginx:1.27")))
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    for check in CHECKS:
        assert check.run(ev, ctx).status == Status.SKIPPED, check.id


def test_without_api_server_settings_the_comparisons_are_unknown() -> None:
    ctx = _healthy_ctx(auths=None)
    for cid in ("client.audience", "client.issuer", "client.scopes"):
        r = _check(cid, evidence(_plain()), ctx)
        assert r.status == Status.UNKNOWN and "not in the evidence" in r.reason


# --- cookie refresh ---------------------------------------------------------------------------


def test_kubeapps_chart_before_7_1_has_no_cookie_refresh_and_the_fix_is_in_helm_terms() -> None:
    ev = evidence(*fixture_docs("kubeapps-7.0.4-deployment.yaml"), *fixture_docs("kubeapps-7.0.4-release.yaml"))
    r = _check("proxy.cookie-refresh", ev, _healthy_ctx())
    [f] = r.findings
    assert f.cause == "proxy-cookie-refresh-missing"
    assert "every 5m" in f.title
    assert "upgrade the chart to >= 7.1.0" in f.fix and "authProxy.additionalFlags" in f.fix
    assert "helm upgrade kubeapps bitnami/kubeapps -n kubeapps --version 7.0.4 --reuse-values" in f.fix
    assert any("chart 7.0.4" in e.text for e in f.evidence)


def test_a_release_record_alone_reveals_the_missing_refresh() -> None:
    r = _check("proxy.cookie-refresh", evidence(*fixture_docs("kubeapps-7.0.4-release.yaml")), _healthy_ctx())
    assert _causes(r) == ["proxy-cookie-refresh-missing"]
    quiet = _check("proxy.cookie-refresh", evidence(*fixture_docs("kubeapps-7.1.0-release.yaml")), _healthy_ctx())
    assert quiet.findings == []


def test_chart_8_args_override_drops_cookie_refresh() -> None:
    ev = evidence(
        *fixture_docs("kubeapps-8.0.0-args-deployment.yaml"), *fixture_docs("kubeapps-8.0.0-args-release.yaml")
    )
    [f] = _check("proxy.cookie-refresh", ev, _healthy_ctx()).findings
    assert f.cause == "proxy-cookie-refresh-missing"
    assert "authProxy.args" in f.fix


def test_plain_proxy_with_refresh_zero_gets_the_flag() -> None:
    [f] = _check("proxy.cookie-refresh", evidence(_plain("--cookie-refresh=0")), _healthy_ctx()).findings
    assert f.cause == "proxy-cookie-refresh-missing"
    assert "--cookie-refresh=2m" in f.fix and "container oauth2-proxy" in f.fix


def test_refresh_not_shorter_than_the_token_lifetime() -> None:
    ev = evidence(_plain("--cookie-refresh=10m", drop=("--cookie-refresh",)))
    [f] = _check("proxy.cookie-refresh", ev, _healthy_ctx()).findings
    assert f.cause == "proxy-cookie-refresh-too-long"
    assert "every 10m" in f.title and "lives 5m" in f.title
    assert "--cookie-refresh=2m" in f.fix
    # --token-lifetime wins over the token in the bundle
    r = _check("proxy.cookie-refresh", ev, _healthy_ctx(option_lifetime=3600.0))
    assert r.status == Status.PASS


def test_refresh_not_shorter_than_cookie_expire() -> None:
    ev = evidence(_plain("--cookie-refresh=2h", "--cookie-expire=1h", drop=("--cookie-refresh",)))
    titles = [f.title for f in _check("proxy.cookie-refresh", ev, _healthy_ctx(lifetime=None)).findings]
    assert any("not shorter than --cookie-expire=1h0m0s" in t for t in titles)


def test_refresh_without_a_token_lifetime_is_unknown() -> None:
    r = _check("proxy.cookie-refresh", evidence(_plain()), _healthy_ctx(lifetime=None))
    assert r.status == Status.UNKNOWN and "--token-lifetime" in r.reason


# --- provider refresh support ------------------------------------------------------------------


def test_keycloak_oidc_before_7_2_and_github_cannot_refresh() -> None:
    ev = evidence(
        _plain("--provider=keycloak-oidc", drop=("--provider",), image="quay.io/oauth2-proxy/oauth2-proxy:v7.1.3"),
    )
    [f] = _check("proxy.refresh-support", ev, _healthy_ctx()).findings
    assert f.cause == "proxy-refresh-unsupported"
    assert "v7.1.3" in f.title and "v7.2.0" in f.fix
    gh = _check("proxy.refresh-support", evidence(_plain("--provider=github", drop=("--provider",))), _healthy_ctx())
    assert _causes(gh) == ["proxy-refresh-unsupported"]
    ok = evidence(
        _plain("--provider=keycloak-oidc", drop=("--provider",), image="quay.io/oauth2-proxy/oauth2-proxy:v7.2.0")
    )
    assert _check("proxy.refresh-support", ok, _healthy_ctx()).status == Status.PASS


def test_unknown_image_version_with_a_late_provider_is_unknown() -> None:
    ev = evidence(_plain("--provider=adfs", drop=("--provider",), image="registry.local/oauth2-proxy:latest"))
    assert _check("proxy.refresh-support", ev, _healthy_ctx()).status == Status.UNKNOWN


# --- client id, issuer, scopes ------------------------------------------------------------------


def test_client_id_not_among_the_audiences_names_both_sides() -> None:
    ev = evidence(_plain("--client-id=headlamp", drop=("--client-id",)))
    ctx = _healthy_ctx(auths=[authenticator()], claims={**CLAIMS, "aud": "headlamp"})
    [f] = _check("client.audience", ev, ctx).findings
    assert f.cause == "audience-mismatch"
    assert "client `headlamp`" in f.title and "`kubernetes`" in f.title
    assert "--client-id=kubernetes" in f.fix


def test_an_audience_mapper_that_adds_the_accepted_audience_keeps_it_quiet() -> None:
    ev = evidence(_plain("--client-id=headlamp", drop=("--client-id",)))
    ctx = _healthy_ctx(auths=[authenticator()], claims={**CLAIMS, "aud": ["headlamp", "kubernetes"]})
    assert _check("client.audience", ev, ctx).status == Status.PASS


def test_kubeapps_client_id_comes_from_helm_values() -> None:
    ev = evidence(*fixture_docs("kubeapps-7.1.0-deployment.yaml"), *fixture_docs("kubeapps-7.1.0-release.yaml"))
    [f] = _check("client.audience", ev, _healthy_ctx(auths=[authenticator()], claims=None)).findings
    assert "client `kubeapps`" in f.title
    assert "--set authProxy.clientID=kubernetes" in f.fix
    assert "use the API server's client in Kubeapps: set Helm value `authProxy.clientID: kubernetes`" in f.fix
    # Without the release the client id stays in its Secret: unknown, not pass.
    blind = evidence(*fixture_docs("kubeapps-7.1.0-deployment.yaml"))
    assert _check("client.audience", blind, _healthy_ctx(auths=[authenticator()])).status == Status.UNKNOWN


def test_issuer_differing_by_a_trailing_slash() -> None:
    ev = evidence(_plain(f"--oidc-issuer-url={ISSUER}/", drop=("--oidc-issuer-url",)))
    [f] = _check("client.issuer", ev, _healthy_ctx()).findings
    assert f.cause == "issuer-mismatch"
    assert "trailing slash" in f.title and f"`{ISSUER}/`" in f.title


def test_scope_without_groups_or_email() -> None:
    ev = evidence(_plain("--scope=openid", drop=("--scope",)))
    predicted = _check("client.scopes", ev, _healthy_ctx(claims=None)).findings
    assert sorted(f.cause for f in predicted) == ["groups-claim-missing", "username-claim-missing"]
    assert all(f.severity == "warning" for f in predicted)
    assert any("--scope=openid groups" in f.fix for f in predicted)
    seen = _check("client.scopes", ev, _healthy_ctx(claims={"sub": "a", "email": "a@example.com"})).findings
    assert [(f.cause, f.severity) for f in seen] == [("groups-claim-missing", "error")]


def test_default_scope_of_the_provider_is_used_when_unset() -> None:
    ev = evidence(_plain(drop=("--scope",)))
    [f] = _check("client.scopes", ev, _healthy_ctx(claims=None)).findings
    assert "`openid email profile`" in f.title and f.cause == "groups-claim-missing"


# --- forwarding and exposure -------------------------------------------------------------------


def test_pass_authorization_header_off() -> None:
    ev = evidence(_plain("--pass-authorization-header=false", drop=("--pass-authorization-header",)))
    [f] = _check("proxy.token-forwarded", ev, _healthy_ctx()).findings
    assert f.cause == "proxy-token-not-forwarded" and "--pass-authorization-header=true" in f.fix


def test_ingress_auth_response_headers_without_authorization() -> None:
    ing: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "headlamp",
            "namespace": "headlamp",
            "annotations": {
                "nginx.ingress.kubernetes.io/auth-url": "https://auth.example.com/oauth2/auth",
                "nginx.ingress.kubernetes.io/auth-response-headers": "X-Auth-Request-User, X-Auth-Request-Email",
            },
        },
    }
    [f] = _check("proxy.token-forwarded", evidence(ing), _healthy_ctx()).findings
    assert "Ingress headlamp/headlamp" in f.title and "auth-response-headers: Authorization" in f.fix
    ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-response-headers"] = "Authorization"
    assert _check("proxy.token-forwarded", evidence(ing), _healthy_ctx()).status == Status.PASS


def test_a_403_for_system_anonymous_confirms_the_setting_that_explains_it() -> None:
    ctx = _healthy_ctx()
    text = 'pods is forbidden: User "system:anonymous" cannot list resource "pods"'
    ctx = ctx.but(
        facts=ctx.facts.but(
            failures=[ObservedFailure("forbidden", "error.txt", text, status=403, user="system:anonymous")]
        )
    )
    # With the proxy forwarding the token, the anonymous 403 is rbac.anonymous's finding alone.
    assert _check("proxy.token-forwarded", evidence(_plain()), ctx).findings == []
    ev = evidence(_plain("--pass-authorization-header=false", drop=("--pass-authorization-header",)))
    [f] = _check("proxy.token-forwarded", ev, ctx).findings
    assert f.origin == "observed" and "system:anonymous" in f.title
    assert any(e.source == "error-text" and "system:anonymous" in e.text for e in f.evidence)


def test_set_authorization_header_left_on_is_a_warning_with_the_revert_command() -> None:
    [f] = _check(
        "proxy.authz-header-exposed", evidence(_plain("--set-authorization-header=true")), _healthy_ctx()
    ).findings
    assert f.cause == "proxy-authorization-header-exposed" and f.severity == "warning"
    assert "oidc-doctor proxy authz-header disable -n auth -d oauth2-proxy -c oauth2-proxy --apply" in f.fix


def test_set_authorization_header_in_auth_request_mode_is_not_exposed() -> None:
    ev = evidence(_plain("--set-authorization-header=true", "--upstream=static://202", drop=("--upstream",)))
    assert _check("proxy.authz-header-exposed", ev, _healthy_ctx()).status == Status.PASS


def _auth_url_ingress() -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "headlamp",
            "namespace": "headlamp",
            "annotations": {
                "nginx.ingress.kubernetes.io/auth-url": "https://$host/oauth2/auth",
                "nginx.ingress.kubernetes.io/auth-response-headers": "Authorization",
            },
        },
    }


def test_dev_null_upstream_is_auth_request_mode_which_needs_set_authorization_header() -> None:
    # The oauth2-proxy chart's config says `upstreams = [ "file:///dev/null" ]`: the proxy only answers
    # the Ingress's auth requests, so --set-authorization-header is required, not an exposure, and
    # --pass-authorization-header does not matter.
    mode = ("--upstream=file:///dev/null",)
    on = evidence(_plain("--set-authorization-header=true", *mode, drop=("--upstream", "--pass-authorization-header")))
    on.add(Item(Kind.INGRESS, "ingress.yaml", _auth_url_ingress()))
    assert _check("proxy.authz-header-exposed", on, _healthy_ctx()).status == Status.PASS
    assert _check("proxy.token-forwarded", on, _healthy_ctx()).status == Status.PASS
    off = evidence(_plain(*mode, drop=("--upstream", "--pass-authorization-header")))
    off.add(Item(Kind.INGRESS, "ingress.yaml", _auth_url_ingress()))
    [f] = _check("proxy.token-forwarded", off, _healthy_ctx()).findings
    assert f.cause == "proxy-token-not-forwarded" and "--set-authorization-header=true" in f.fix


# --- sizes and validity ------------------------------------------------------------------------


def test_token_larger_than_kubeapps_nginx_buffers() -> None:
    ev = evidence(*fixture_docs("kubeapps-8.0.0-deployment.yaml"), *fixture_docs("kubeapps-8.0.0-release.yaml"))
    [f] = _check("proxy.header-size", ev, _healthy_ctx(size=30000)).findings
    assert f.cause == "proxy-header-too-large" and "32768 bytes" in f.title
    assert "--set 'frontend.largeClientHeaderBuffers=4 128k'" in f.fix


def test_nginx_buffers_from_the_frontend_configmap_win() -> None:
    vhost = "server {\n  large_client_header_buffers 4 8k;\n}\n"
    ev = evidence(
        *fixture_docs("kubeapps-8.0.0-deployment.yaml"),
        configmap("kubeapps-frontend-config", {"vhost.conf": vhost}, ns="kubeapps"),
    )
    [f] = _check("proxy.header-size", ev, _healthy_ctx(size=9000)).findings
    assert "8192 bytes" in f.title


def test_ingress_proxy_buffer_too_small_for_the_session_cookie() -> None:
    ing = {"kind": "Ingress", "metadata": {"name": "kubeapps", "namespace": "kubeapps", "annotations": {}}}
    ev = evidence(*fixture_docs("kubeapps-8.0.0-deployment.yaml"), ing)
    [f] = _check("proxy.header-size", ev, _healthy_ctx(size=4000)).findings
    assert "Ingress kubeapps/kubeapps" in f.title and "proxy-buffer-size" in f.fix
    assert _check("proxy.header-size", ev, _healthy_ctx(size=None)).status == Status.UNKNOWN


def test_settings_oauth2_proxy_refuses_are_reported_with_its_message() -> None:
    ev = evidence(
        _plain(
            "--cookie-refresh=2h",
            "--cookie-expire=1h",
            "--cookie-secret=tooshort",
            drop=("--cookie-refresh", "--cookie-secret"),
        )
    )
    titles = [f.title for f in _check("proxy.config-valid", ev, _healthy_ctx()).findings]
    assert any('cookie_refresh ("2h0m0s") must be less than cookie_expire ("1h0m0s")' in t for t in titles)
    assert any("but is 8 bytes" in t for t in titles)


def test_the_registry_holds_the_proxy_checks_and_diagnose_reports_proxy_causes() -> None:
    ids = [c.id for c in all_checks()]
    assert {c.id for c in CHECKS} <= set(ids)
    ev = evidence(*fixture_docs("kubeapps-7.0.4-deployment.yaml"), *fixture_docs("kubeapps-7.0.4-release.yaml"))
    report = run(ev, _healthy_ctx())
    causes = [f.cause for f in report.findings]
    assert "proxy-cookie-refresh-missing" in causes
    assert report.exit_status() == 1
    assert {c.id for c in report.checks} >= {c.id for c in CHECKS}


def test_pods_of_a_deployment_in_the_same_namespace_do_not_repeat_findings() -> None:
    dep = _plain("--cookie-refresh=0")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "oauth2-proxy-1", "namespace": "auth"},
        "spec": dep["spec"]["template"]["spec"],
    }
    ev = evidence(dep)
    ev.add(Item(Kind.WORKLOAD, "pod.yaml", pod))
    assert len(_check("proxy.cookie-refresh", ev, _healthy_ctx()).findings) == 1
    only_pod = Evidence()
    only_pod.add(Item(Kind.WORKLOAD, "pod.yaml", pod))
    [f] = _check("proxy.cookie-refresh", only_pod, _healthy_ctx()).findings
    assert "pod auth/oauth2-proxy-1" in f.title


ALPHA_NO_AUTH = """
upstreamConfig:
  upstreams:
  - {id: app, path: /, uri: "http://headlamp.headlamp.svc"}
injectResponseHeaders:
- name: Authorization
  values:
  - claimSource: {claim: id_token, prefix: "Bearer "}
providers:
- id: kc
  provider: oidc
  clientID: kubernetes
  scope: openid email groups
  oidcConfig: {issuerURL: "https://keycloak.example.com/realms/k8s"}
"""


def test_alpha_config_proxies_get_fixes_in_alpha_config_terms() -> None:
    obj = workload(
        container(
            args=["--alpha-config=/etc/alpha/alpha.yaml", "--cookie-refresh=1m", "--cookie-secret=0123456789abcdef"],
            volumeMounts=[{"name": "a", "mountPath": "/etc/alpha"}],
        ),
        volumes=[{"name": "a", "configMap": {"name": "alpha"}}],
    )
    ev = evidence(obj, configmap("alpha", {"alpha.yaml": ALPHA_NO_AUTH}))
    [fwd] = _check("proxy.token-forwarded", ev, _healthy_ctx()).findings
    assert "injectRequestHeaders" in fwd.fix
    [exposed] = _check("proxy.authz-header-exposed", ev, _healthy_ctx()).findings
    assert "injectResponseHeaders" in exposed.fix
    assert _check("client.audience", ev, _healthy_ctx()).status == Status.PASS
    assert _check("proxy.config-valid", ev, _healthy_ctx()).status == Status.PASS


def test_header_size_skips_other_ingress_controllers_and_proxies_without_nginx() -> None:
    traefik = {
        "kind": "Ingress",
        "metadata": {"name": "kubeapps", "namespace": "auth"},
        "spec": {"ingressClassName": "traefik"},
    }
    r = _check("proxy.header-size", evidence(_plain(), traefik), _healthy_ctx(size=6000))
    assert r.status == Status.SKIPPED and r.findings == []
