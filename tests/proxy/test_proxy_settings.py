"""Finding oauth2-proxy containers and reading their settings with oauth2-proxy's precedence."""

from __future__ import annotations

from typing import Any

from proxy_testkit import PLAIN_ARGS, configmap, container, workload

from oidc_doctor.gosyntax import Syntax, go_duration, split_flags
from oidc_doctor.proxy.settings import (
    ProxyConfig,
    find_proxies,
    is_bool_flag,
    problems_from_validation,
    read_settings,
)
from oidc_doctor.secrets import secret_bytes


def _read(obj: dict[str, Any], *cms: dict[str, Any]) -> ProxyConfig:
    [inst] = find_proxies(obj, "in.yaml")
    return read_settings(inst, [(f"cm#{i}", cm) for i, cm in enumerate(cms)])


def test_finds_proxies_by_name_image_or_command_never_by_position() -> None:
    obj = workload(
        container("nginx", "bitnami/nginx:1.21"),
        container("sidecar", "busybox", command=["/bin/oauth2-proxy", "--provider=oidc"]),
        container("auth-proxy", "example/custom:1"),
        container("proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0-alpine"),
    )
    found = find_proxies(obj, "in.yaml")
    assert [(p.container_name, p.index) for p in found] == [("sidecar", 1), ("auth-proxy", 2), ("proxy", 3)]
    assert found[2].version == (7, 6, 0)


def test_statefulsets_and_daemonsets_are_searched_too() -> None:
    for kind in ("StatefulSet", "DaemonSet"):
        assert find_proxies(workload(container(), kind=kind), "x")[0].workload.kind == kind
    assert find_proxies({"kind": "Service", "metadata": {}}, "x") == []


def test_flags_beat_env_which_beats_the_config_file_which_beats_defaults() -> None:
    toml = 'cookie_refresh = "5m"\ncookie_expire = "12h"\nprovider = "github"\nscope = "openid"\n'
    obj = workload(
        container(
            args=["--config=/etc/oauth2-proxy/oauth2-proxy.cfg", "--cookie-refresh=1m"],
            env=[
                {"name": "OAUTH2_PROXY_COOKIE_REFRESH", "value": "3m"},
                {"name": "OAUTH2_PROXY_COOKIE_EXPIRE", "value": "8h"},
                {"name": "OAUTH2_PROXY_PROVIDER", "value": "oidc"},
            ],
            volumeMounts=[{"name": "cfg", "mountPath": "/etc/oauth2-proxy"}],
        ),
        volumes=[{"name": "cfg", "configMap": {"name": "proxy-cfg"}}],
    )
    cfg = _read(obj, configmap("proxy-cfg", {"oauth2-proxy.cfg": toml}))
    assert (cfg.get("cookie-refresh").value, cfg.get("cookie-refresh").source) == (60.0, "flag")
    assert (cfg.get("cookie-expire").value, cfg.get("cookie-expire").source) == (8 * 3600.0, "env")
    assert (cfg.get("provider").value, cfg.get("provider").source) == ("oidc", "env")
    assert (cfg.get("scope").value, cfg.get("scope").source) == ("openid", "config-file")
    assert "proxy-cfg" in cfg.get("scope").ref
    assert cfg.get("pass-authorization-header").source == "default"
    assert cfg.get("pass-authorization-header").value is False


def test_list_options_take_the_plural_env_name_and_the_singular_is_reported_ignored() -> None:
    obj = workload(
        container(
            env=[
                {"name": "OAUTH2_PROXY_EMAIL_DOMAINS", "value": "example.com,example.org"},
                {"name": "OAUTH2_PROXY_UPSTREAM", "value": "http://app:80/"},
            ]
        )
    )
    cfg = _read(obj)
    assert cfg.get("email-domain").value == ["example.com", "example.org"]
    assert cfg.get("upstream").source == "default"
    [problem] = cfg.problems
    assert "OAUTH2_PROXY_UPSTREAM is ignored" in problem.message
    assert "OAUTH2_PROXY_UPSTREAMS" in problem.message


def test_env_from_a_secret_is_named_but_never_read() -> None:
    obj = workload(
        container(
            env=[
                {
                    "name": "OAUTH2_PROXY_CLIENT_ID",
                    "valueFrom": {"secretKeyRef": {"name": "oauth", "key": "client-id"}},
                }
            ]
        )
    )
    cfg = _read(obj)
    s = cfg.get("client-id")
    assert not s.known and s.value is None and s.source == "env-secret"
    assert "Secret oauth key client-id" in s.ref
    assert cfg.secret_env == ["OAUTH2_PROXY_CLIENT_ID (Secret oauth key client-id)"]


def test_env_from_secret_hides_every_option_not_set_by_a_flag() -> None:
    obj = workload(container(args=["--cookie-refresh=1m"], envFrom=[{"secretRef": {"name": "proxy-env"}}]))
    cfg = _read(obj)
    assert cfg.get("cookie-refresh").known
    assert not cfg.get("scope").known
    assert "Secret proxy-env" in cfg.get("scope").ref


def test_env_from_a_configmap_is_read_and_an_explicit_env_entry_wins() -> None:
    obj = workload(
        container(
            envFrom=[{"configMapRef": {"name": "proxy-env"}}],
            env=[{"name": "OAUTH2_PROXY_SCOPE", "value": "openid email groups"}],
        )
    )
    cfg = _read(obj, configmap("proxy-env", {"OAUTH2_PROXY_SCOPE": "openid", "OAUTH2_PROXY_COOKIE_REFRESH": "90s"}))
    assert cfg.get("scope").value == "openid email groups"
    assert cfg.get("cookie-refresh").value == 90.0
    assert "envFrom[0] ConfigMap proxy-env" in cfg.get("cookie-refresh").ref


def test_kubelet_expands_var_references_in_args() -> None:
    obj = workload(
        container(
            args=["--client-id=$(CLIENT)", "--cookie-secret=$(SECRET)"],
            env=[
                {"name": "CLIENT", "value": "kubernetes"},
                {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            ],
        )
    )
    cfg = _read(obj)
    assert cfg.get("client-id").value == "kubernetes"
    assert not cfg.get("cookie-secret").known


def test_pflag_forms_space_separated_values_and_bare_booleans() -> None:
    words = [
        "oauth2-proxy",
        "--provider",
        "oidc",
        "--pass-authorization-header",
        "--scope=openid email",
        "--cookie-refresh",
        "1m",
    ]
    assert [(n, v) for _, n, v in split_flags(words, is_bool_flag, Syntax.PFLAG)] == [
        ("provider", "oidc"),
        ("pass-authorization-header", None),
        ("scope", "openid email"),
        ("cookie-refresh", "1m"),
    ]
    obj = workload(container(command=["oauth2-proxy"], args=["--provider", "oidc", "--pass-authorization-header"]))
    cfg = _read(obj)
    assert cfg.get("provider").value == "oidc"
    assert cfg.get("pass-authorization-header").value is True


def test_a_single_dash_is_a_pflag_shorthand_error() -> None:
    cfg = _read(workload(container(args=["-cookie-refresh=1m"])))
    assert [p.message for p in cfg.problems] == ["unknown shorthand flag: 'c' in -cookie-refresh=1m"]
    assert cfg.get("cookie-refresh").source == "default"


def test_three_dashes_are_pflag_bad_flag_syntax_not_a_crash() -> None:
    # spf13/pflag parseLongArg: a long flag's name may not start with '-' (found by the chart
    # values' hypothesis test: an extraArgs key "-" renders as "---")
    for word in ("---", "---cookie-refresh=1m"):
        cfg = _read(workload(container(args=[word])))
        assert [p.message for p in cfg.problems] == [f"bad flag syntax: {word}"]
        assert cfg.get("cookie-refresh").source == "default"


def test_repeated_list_flags_accumulate_and_scalars_keep_the_last() -> None:
    cfg = _read(workload(container(args=["--upstream=http://a/", "--upstream=http://b/", "--scope=a", "--scope=b"])))
    assert cfg.get("upstream").value == ["http://a/", "http://b/"]
    assert cfg.get("scope").value == "b"


def test_go_durations_and_invalid_values_are_reported_like_pflag() -> None:
    assert go_duration("1h30m") == 5400.0
    assert go_duration("0") == 0.0
    assert go_duration("90") is None  # Go needs a unit
    cfg = _read(workload(container(args=["--cookie-refresh=90", "--pass-authorization-header=yes"])))
    messages = [p.message for p in cfg.problems]
    assert 'invalid argument "90" for "--cookie-refresh" flag: invalid duration \'90\'' in messages
    assert any("--pass-authorization-header" in m for m in messages)


def test_toml_unknown_keys_and_integer_durations_follow_viper() -> None:
    toml = 'cookie_refresh = 60000000000\nemail_domains = ["*"]\ncookie_refersh = "1m"\n'
    obj = workload(
        container(
            args=["--config=/cfg/proxy.toml"],
            volumeMounts=[{"name": "c", "mountPath": "/cfg/proxy.toml", "subPath": "proxy.toml"}],
        ),
        volumes=[{"name": "c", "configMap": {"name": "toml"}}],
    )
    cfg = _read(obj, configmap("toml", {"proxy.toml": toml}))
    assert cfg.get("cookie-refresh").value == 60.0  # a bare integer is nanoseconds
    assert cfg.get("email-domain").value == ["*"]
    assert any("invalid keys: cookie_refersh" in p.message for p in cfg.problems)


def test_a_config_file_not_in_the_evidence_makes_unset_options_unknown() -> None:
    obj = workload(
        container(
            args=["--config=/cfg/proxy.toml", "--provider=oidc"], volumeMounts=[{"name": "c", "mountPath": "/cfg"}]
        ),
        volumes=[{"name": "c", "configMap": {"name": "absent"}}],
    )
    cfg = _read(obj)
    assert cfg.get("provider").value == "oidc"
    s = cfg.get("cookie-refresh")
    assert not s.known and "--config=/cfg/proxy.toml" in s.ref


ALPHA = """
upstreamConfig:
  upstreams:
  - id: dashboard
    path: /
    uri: http://headlamp.headlamp.svc
injectRequestHeaders:
- name: Authorization
  values:
  - claimSource:
      claim: id_token
      prefix: "Bearer "
providers:
- id: keycloak
  provider: keycloak-oidc
  clientID: headlamp
  scope: openid email
  oidcConfig:
    issuerURL: https://keycloak.example.com/realms/k8s/
    groupsClaim: groups
"""


def test_alpha_config_supplies_provider_and_header_options() -> None:
    obj = workload(
        container(
            args=["--alpha-config=/etc/alpha/config.yaml", "--cookie-refresh=1m"],
            volumeMounts=[{"name": "alpha", "mountPath": "/etc/alpha"}],
        ),
        volumes=[
            {"name": "alpha", "configMap": {"name": "alpha", "items": [{"key": "alpha.yaml", "path": "config.yaml"}]}}
        ],
    )
    cfg = _read(obj, configmap("alpha", {"alpha.yaml": ALPHA}))
    assert cfg.get("client-id").value == "headlamp"
    assert cfg.get("client-id").source == "alpha-config"
    assert cfg.get("provider").value == "keycloak-oidc"
    assert cfg.get("oidc-issuer-url").value == "https://keycloak.example.com/realms/k8s/"
    assert cfg.get("pass-authorization-header").value is True
    assert cfg.get("set-authorization-header").value is False
    assert cfg.get("upstream").value == ["http://headlamp.headlamp.svc"]
    assert cfg.problems == []


def test_legacy_flags_next_to_alpha_config_are_refused() -> None:
    obj = workload(
        container(
            args=["--alpha-config=/etc/alpha/config.yaml", "--client-id=other"],
            env=[{"name": "OAUTH2_PROXY_SCOPE", "value": "openid"}],
            volumeMounts=[{"name": "alpha", "mountPath": "/etc/alpha"}],
        ),
        volumes=[
            {"name": "alpha", "configMap": {"name": "alpha", "items": [{"key": "alpha.yaml", "path": "config.yaml"}]}}
        ],
    )
    cfg = _read(obj, configmap("alpha", {"alpha.yaml": ALPHA}))
    assert cfg.get("client-id").value == "headlamp"
    messages = [p.message for p in cfg.problems]
    assert any("failed to parse flags: unknown flag: --client-id" in m for m in messages)
    assert "OAUTH2_PROXY_SCOPE is ignored with --alpha-config (set it in the alpha config)" in messages
    assert cfg.get("scope").value == "openid email"


def test_cookie_validation_messages_match_upstream() -> None:
    cfg = _read(workload(container(args=["--cookie-refresh=2h", "--cookie-expire=1h", "--cookie-secret=short"])))
    messages = [p.message for p in problems_from_validation(cfg)]
    assert 'cookie_refresh ("2h0m0s") must be less than cookie_expire ("1h0m0s")' in messages
    assert "cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 5 bytes" in messages
    missing = _read(workload(container(args=["--provider=oidc"])))
    assert [p.message for p in problems_from_validation(missing)] == [
        "missing setting: cookie-secret or cookie-secret-file"
    ]
    healthy = _read(workload(container(args=PLAIN_ARGS)))
    assert problems_from_validation(healthy) == []


def test_secret_bytes_decodes_url_safe_base64_only_to_aes_sizes() -> None:
    assert len(secret_bytes("0123456789abcdef")) == 16  # raw 16 bytes
    assert len(secret_bytes("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo0NTY3ODk")) == 32  # base64 of 32 bytes
    assert len(secret_bytes("abcd")) == 4


def test_a_config_file_mounted_from_a_secret_is_never_read_and_says_so() -> None:
    obj = workload(
        container(args=["--config=/cfg/proxy.toml"], volumeMounts=[{"name": "c", "mountPath": "/cfg"}]),
        volumes=[{"name": "c", "secret": {"secretName": "proxy-config"}}],
    )
    s = _read(obj).get("cookie-refresh")
    assert not s.known and "mounted from Secret proxy-config, which is never read" in s.ref


def test_pods_are_searched_with_their_own_spec() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "oauth2-proxy-abc", "namespace": "auth"},
        "spec": {
            "containers": [container(args=["--config=/cfg/c.toml"], volumeMounts=[{"name": "c", "mountPath": "/cfg"}])],
            "volumes": [{"name": "c", "configMap": {"name": "cfg"}}],
        },
    }
    [inst] = find_proxies(pod, "pod.yaml")
    assert inst.ref == "pod auth/oauth2-proxy-abc container oauth2-proxy"
    cfg = read_settings(inst, [("cm", configmap("cfg", {"c.toml": 'cookie_refresh = "1m"'}))])
    assert cfg.get("cookie-refresh").value == 60.0


def test_toml_values_of_the_wrong_type_are_reported_like_viper_would_refuse_them() -> None:
    toml = (
        'cookie_refresh = {a = 1}\nemail_domains = "a.com,b.com"\n'
        "pass_authorization_header = 1\ncookie_expire = 3600000000000\n"
    )
    obj = workload(
        container(args=["--config=/cfg/f"], volumeMounts=[{"name": "c", "mountPath": "/cfg"}]),
        volumes=[{"name": "c", "configMap": {"name": "cfg"}}],
    )
    cfg = _read(obj, configmap("cfg", {"f": toml}))
    assert "cookie_refresh: cannot decode dict into a duration option" in [p.message for p in cfg.problems]
    assert cfg.get("email-domain").value == ["a.com", "b.com"]
    assert cfg.get("pass-authorization-header").value is True
    assert cfg.get("cookie-expire").value == 3600.0
