"""oauth2-proxy's own chart values alone: rendered as the chart renders them, judged, fixed in values.

The chart (github.com/oauth2-proxy/manifests helm/oauth2-proxy, templates/deployment.yaml and
_helpers.tpl, read at chart 10.7.0) turns ``extraArgs`` into flags (a map: ``--key=value`` in key
order; a list: as written), ``config.configFile`` into the ``--config`` file, ``alphaConfig`` into
``--alpha-config``, and ``config.clientID`` into ``OAUTH2_PROXY_CLIENT_ID`` through its Secret.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_doctor.bundle import classify_object
from oidc_doctor.cli import main
from oidc_doctor.evidence import Kind
from oidc_doctor.io import IO
from oidc_doctor.proxy.chart import is_oauth2_proxy_values, render

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-28T10:25:12Z"
CLIENT_SECRET = "s3cr3t-client-secret-value-0123456789"
COOKIE_SECRET = "c29tZS1jb29raWUtc2VjcmV0LTMyYnl0ZXM="


def _values(**over: Any) -> dict[str, Any]:
    v: dict[str, Any] = {
        "config": {"clientID": "kubernetes", "clientSecret": CLIENT_SECRET, "cookieSecret": COOKIE_SECRET},
        "extraArgs": {
            "provider": "oidc",
            "oidc-issuer-url": "https://keycloak.example.com/realms/k8s",
            "pass-authorization-header": True,
            "cookie-expire": "24h",
        },
        "image": {"tag": "v7.6.0"},
    }
    v.update(over)
    return v


def test_a_map_of_extra_args_becomes_flags_in_key_order_as_go_prints_them() -> None:
    r = render(_values(extraArgs={"upstream-timeout": 30, "skip-provider-button": True, "whitelist-domain": None}), "v")
    assert r.container["args"] == [
        "--http-address=0.0.0.0:4180",
        "--https-address=0.0.0.0:4443",
        "--skip-provider-button=true",
        "--upstream-timeout=30",
        "--whitelist-domain",
    ]
    assert r.arg_keys == {
        2: "extraArgs.skip-provider-button",
        3: "extraArgs.upstream-timeout",
        4: "extraArgs.whitelist-domain",
    }
    assert r.container["image"] == "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0"


def test_a_list_of_extra_args_is_passed_as_written() -> None:
    r = render(_values(extraArgs=["--provider=oidc", "--cookie-refresh=1m"]), "v")
    assert r.container["args"][2:] == ["--provider=oidc", "--cookie-refresh=1m"]
    assert r.extra_args_list == ("--provider=oidc", "--cookie-refresh=1m")
    assert r.arg_keys == {2: "extraArgs[0]", 3: "extraArgs[1]"}


def test_the_config_file_and_the_secrets_as_the_chart_mounts_them() -> None:
    config = {**_values()["config"], "configFile": 'cookie_refresh = "10m"\n'}
    r = render(_values(config=config), "v")
    assert r.container["args"][-1] == "--config=/etc/oauth2_proxy/oauth2_proxy.cfg"
    [(ref, cm)] = r.configmaps
    assert ref == "v config.configFile" and cm["data"] == {"oauth2_proxy.cfg": 'cookie_refresh = "10m"\n'}
    env = {e["name"]: e for e in r.container["env"]}
    assert env["OAUTH2_PROXY_CLIENT_ID"] == {"name": "OAUTH2_PROXY_CLIENT_ID", "value": "kubernetes"}
    assert "valueFrom" in env["OAUTH2_PROXY_CLIENT_SECRET"] and "valueFrom" in env["OAUTH2_PROXY_COOKIE_SECRET"]
    assert CLIENT_SECRET not in json.dumps(r.deployment) and COOKIE_SECRET not in json.dumps(r.deployment)
    existing = render(_values(config={**config, "existingConfig": "my-cfg", "existingSecret": "my-secret"}), "v")
    assert existing.configmaps == [] and existing.container["args"][-1].startswith("--config=")
    assert "valueFrom" in {e["name"]: e for e in existing.container["env"]}["OAUTH2_PROXY_CLIENT_ID"]


def test_alpha_config_replaces_the_address_flags() -> None:
    r = render(_values(alphaConfig={"enabled": True, "configData": {"injectResponseHeaders": []}}), "v")
    assert r.container["args"][0] == "--alpha-config=/etc/oauth2_proxy/oauth2_proxy.yml"
    assert not any(a.startswith("--http-address") for a in r.container["args"])
    assert [ref for ref, _ in r.configmaps] == ["v alphaConfig.configData"]


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (_values(), True),
        ({"config": {"clientID": "x"}, "image": {"repository": "oauth2-proxy/oauth2-proxy"}}, True),
        ({"authProxy": {"enabled": True}, "config": {"clientID": "x"}, "extraArgs": {}}, False),  # Kubeapps
        ({"config": {"oidc": {"clientID": "headlamp"}}, "extraArgs": {}}, False),  # Headlamp
        ({"config": {"issuer": "https://dex", "staticClients": []}}, False),  # Dex
        ({"config": {"clientID": "x"}}, False),  # no key of the chart beside it
    ],
)
def test_recognised_by_the_chart_keys_not_mistaken_for_other_charts(obj: dict[str, Any], expected: bool) -> None:
    assert is_oauth2_proxy_values(obj) is expected
    if expected:
        assert classify_object(obj)[0] is Kind.HELM_VALUES


def _bundle(tmp_path: Path, values: dict[str, Any]) -> Path:
    dst = tmp_path / "b"
    shutil.copytree(ROOT / "examples" / "healthy", dst)
    (dst / "oauth2-proxy-values.yaml").write_text(yaml.safe_dump(values))
    return dst


def _diagnose(bundle: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    main(["diagnose", "--bundle", str(bundle), "--now", NOW, "--format", "json", *extra], IO())
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_a_values_file_without_cookie_refresh_is_the_root_cause_with_the_values_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(tmp_path, _values())
    report = _diagnose(bundle, capsys)
    first = report["findings"][0]
    assert first["cause"] == "proxy-cookie-refresh-missing"
    assert "oauth2-proxy chart values b/oauth2-proxy-values.yaml" in first["title"]
    assert "`extraArgs.cookie-refresh: 2m`" in first["fix"]
    assert (
        "helm upgrade RELEASE oauth2-proxy/oauth2-proxy -n NAMESPACE --reuse-values --set extraArgs.cookie-refresh=2m"
        in first["fix"]
    )
    text = json.dumps(report)
    assert CLIENT_SECRET not in text and COOKIE_SECRET not in text
    # the fix, simulated on the values: the finding is gone
    after = _diagnose(bundle, capsys, "--what-if", "proxy:--cookie-refresh=2m")["what_if"]
    assert [g["cause"] for g in after["gone"]] == ["proxy-cookie-refresh-missing"]


def test_a_refresh_in_the_config_file_is_read_and_named_by_its_values_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {**_values()["config"], "configFile": 'email_domains = ["*"]\ncookie_refresh = "10m"\n'}
    report = _diagnose(_bundle(tmp_path, _values(config=config)), capsys)
    first = report["findings"][0]
    assert first["cause"] == "proxy-cookie-refresh-too-long"  # 10m against a 5m id_token
    assert any("config.configFile" in e["ref"] for e in first["evidence"])


def test_a_listed_extra_args_fix_adds_to_the_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = _values(extraArgs=["--provider=oidc", "--oidc-issuer-url=https://keycloak.example.com/realms/k8s"])
    first = _diagnose(_bundle(tmp_path, values), capsys)["findings"][0]
    assert first["cause"] == "proxy-cookie-refresh-missing"
    assert "add `--cookie-refresh=2m` to `extraArgs`" in first["fix"] and "--set-json" in first["fix"]


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_secrets_in_extra_args_and_the_config_file_are_never_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    values = _values()
    values["extraArgs"]["client-secret"] = "TOPSECRETVALUE123456789"
    values["config"]["configFile"] = 'client_secret = "FILESECRET99999999"\ncookie_refresh = "1m"\n'
    bundle = _bundle(tmp_path, values)
    main(["diagnose", "--bundle", str(bundle), "--now", NOW, "-o", fmt, "--what-if", "proxy:--cookie-refresh=2m"], IO())
    out = capsys.readouterr().out
    assert out and "TOPSECRETVALUE" not in out and "FILESECRET" not in out and CLIENT_SECRET not in out


_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False), st.text(max_size=12))
_JSONISH = st.recursive(
    _SCALAR,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=8), c, max_size=3)),
    max_leaves=8,
)
_CONFIG_KEY = st.sampled_from(
    ["configFile", "existingConfig", "existingSecret", "cookieName", "requiredSecretKeys", "x"]
)


@settings(max_examples=200, deadline=None)
@given(
    extra=st.one_of(
        st.dictionaries(st.text(max_size=15), _JSONISH, max_size=5), st.lists(_JSONISH, max_size=5), _JSONISH
    ),
    config=st.dictionaries(_CONFIG_KEY, _JSONISH, max_size=4),
    alpha=_JSONISH,
    image=_JSONISH,
)
def test_any_values_render_and_judge_without_a_crash(
    extra: Any, config: dict[str, Any], alpha: Any, image: Any
) -> None:
    from datetime import UTC, datetime

    from oidc_doctor.checks.base import Context
    from oidc_doctor.checks.proxy import CHECKS, derive_proxies
    from oidc_doctor.evidence import Evidence, Item

    values = {"config": {"clientID": "kubernetes", **config}, "extraArgs": extra, "alphaConfig": alpha, "image": image}
    assert is_oauth2_proxy_values(values)
    render(values, "v")
    ev = Evidence([Item(Kind.HELM_VALUES, "v.yaml helm-values", values)])
    ctx = Context(now=datetime(2026, 11, 28, tzinfo=UTC))
    ctx = ctx.but(facts=ctx.facts.but(proxy=derive_proxies(ev, ctx)))
    for check in CHECKS:
        check.run(ev, ctx)
