"""Write the example bundles in ``examples/`` (run: ``python examples/generate.py``).

Each bundle is a folder of the files a user would send: the API server's static manifest, RBAC and
the Kubeapps Deployment as written by hand, the id_token, the JWKS and discovery document, log
excerpts and the error they saw. The shapes come from ``tests/fixturekit`` (shared with
``tests/qa/make_bundles.py``). Tokens are signed with fixed (seeded) keys at fixed times around
``NOW``, so the output is the same on every run and the bundles are judged with
``--now 2026-11-28T10:25:12Z``.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1] / "tests") not in sys.path:  # run as a script: tests/ holds fixturekit
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixturekit import apps, cloud, idp, kube, logs, metrics
from fixturekit.clock import NOW
from fixturekit.idp import KEYCLOAK as ISSUER
from fixturekit.jose import ec_jwk, foreign_key, jwk, jwks, sign, sign_es256, signing_key
from fixturekit.kube import UNAUTHORIZED, binding, group, user
from fixturekit.out import as_written, write

HERE = Path(__file__).resolve().parent
KID = "demo-key-1"
EC_KID = "demo-ec-1"
OIDC = kube.KEYCLOAK_OIDC
ALICE = "oidc:alice@example.com"
VIEW_ROLE = kube.VIEW_WRITTEN


def token(**claims: Any) -> str:
    """alice's id_token (``idp.keycloak_short_claims``, ``claims`` changed), signed with the published key."""
    return sign(idp.keycloak_short_claims(**claims), KID)


def forbidden(user: str, verb: str = "list", resource: str = "pods", api_group: str = "", ns: str = "dev") -> str:
    """kubectl's 403 text, which quotes the username the API server computed."""
    return kube.forbidden(user, verb, resource, api_group, ns)


def dev_view(subject: dict[str, str]) -> list[dict[str, Any]]:
    """The ``view`` ClusterRole bound in namespace dev to ``subject``."""
    name = "dev-view" if subject["kind"] == "Group" else "alice-view"
    return [VIEW_ROLE, binding(name, "view", subject, ns="dev", live=False)]


def kubeapps(*extra: str, drop: tuple[str, ...] = (), chart: str = "kubeapps-12.2.10") -> dict[str, Any]:
    """The Kubeapps Deployment with ``extra`` auth-proxy flags, flags starting with ``drop`` removed."""
    return apps.kubeapps_written(chart, apps.replace_args(apps.KUBEAPPS_SHORT_PROXY_ARGS, *extra, drop=drop))


def init_failed(cause: str) -> str:
    """The API server log when the OIDC authenticator could not start: every token is then refused."""
    return logs.lines(
        logs.oidc_init_failed("1128 09:02:11.000000", ISSUER, cause),
        logs.unable(logs.NOT_INITIALIZED, "1128 10:25:01.000000"),
    )


def _override(files: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``files`` with ``over`` applied: a value replaces the file, None removes it."""
    for name, v in over.items():
        if v is None:
            files.pop(name, None)
        else:
            files[name] = v
    return files


def base(**over: Any) -> dict[str, Any]:
    """A healthy bundle; ``over`` replaces or (with None) removes files."""
    files: dict[str, Any] = {
        "id_token.txt": token(),
        "kube-apiserver.yaml": kube.static_manifest(*OIDC.flags()),
        "rbac.yaml": dev_view(group("oidc:dev")),
        "kubeapps.yaml": kubeapps(),
        "jwks.json": jwks(jwk(signing_key(), KID), ec_jwk(EC_KID)),
        "openid-configuration.json": idp.keycloak_short_discovery(),
    }
    return _override(files, over)


def failed(**over: Any) -> dict[str, Any]:
    """``base(**over)`` plus kubectl's 401."""
    return base(**{"error.txt": UNAUTHORIZED, **over})


def scenarios() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Bundle name -> (files, expectation). ``first``: the first finding's cause; ``present``: causes reported."""
    aud_err = logs.audience("kubernetes", "kubeapps")
    cel_config = {
        "apiVersion": "apiserver.config.k8s.io/v1beta1",  # served from 1.30; v1 only from 1.34
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {"url": ISSUER, "audiences": ["kubernetes"]},
                "claimMappings": {
                    "username": {"expression": "'oidc:' + claims.upn"},
                    "groups": {"claim": "groups", "prefix": "oidc:"},
                },
            }
        ],
    }
    no_refresh = kubeapps(chart="kubeapps-7.0.0", drop=("--cookie-refresh",))
    distributed = {
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": "https://graph.example.com/getMemberObjects"}},
    }
    too_big = logs.lines(
        logs.nginx_error(
            "2026/11/28 10:25:01", 9, logs.TOO_BIG_HEADER, client="10.0.0.1", server="kubeapps.example.com",
            request="GET /api/clusters/default/ HTTP/1.1", upstream="http://10.42.0.7:3000/",
        ),
        logs.nginx_access(
            "10.0.0.1", "28/Nov/2026:10:25:01 +0000", "GET /api/clusters/default/ HTTP/1.1", 502, 150, "-",
            "Mozilla/5.0",
        ),
    )  # fmt: skip
    return {
        "kubeapps-audience-mismatch": (
            base(
                **{
                    "id_token.txt": token(aud="kubeapps", azp="kubeapps"),
                    "kubeapps.yaml": no_refresh,
                    "kube-apiserver.log": logs.lines(
                        logs.klog("I", "1128 10:20:01.000000", "controller.go:615", "quota admission added evaluator"),
                        logs.unable(aud_err, "1128 10:24:58.123456"),
                        logs.unable(aud_err, "1128 10:25:03.654321"),
                    ),
                    "what-i-saw.txt": "Authorization required to get the Namespace 'default' due to 'Unauthorized'",
                }
            ),
            {"first": "audience-mismatch", "present": ["audience-mismatch", "proxy-cookie-refresh-missing"]},
        ),
        "healthy": (base(), {"first": "token-accepted", "no_errors": True}),
        "oidc-not-configured": (
            failed(**{"kube-apiserver.yaml": kube.static_manifest()}),
            {"first": "oidc-not-configured"},
        ),
        "oidc-config-invalid-http-issuer": (
            base(
                **{
                    "kube-apiserver.yaml": kube.static_manifest(
                        *replace(OIDC, issuer=ISSUER.replace("https://", "http://")).flags()
                    )
                }
            ),
            {"first": "oidc-config-invalid"},
        ),
        "issuer-unreachable": (
            failed(
                **{
                    "kube-apiserver.log": init_failed(
                        "dial tcp: lookup keycloak.example.com on 10.96.0.10:53: no such host"
                    )
                }
            ),
            {"first": "issuer-unreachable"},
        ),
        "issuer-ca-untrusted": (
            failed(
                **{
                    "kube-apiserver.log": init_failed(
                        "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                    )
                }
            ),
            {"first": "issuer-ca-untrusted"},
        ),
        "discovery-issuer-mismatch": (
            failed(**{"openid-configuration.json": idp.keycloak_short_discovery() | {"issuer": ISSUER + "/"}}),
            {"first": "discovery-issuer-mismatch"},
        ),
        "token-malformed-opaque": (
            failed(**{"id_token.txt": "Bearer 2YotnFZFEjr1zCsicMWpAA-opaque-access-token"}),
            {"first": "token-malformed"},
        ),
        "token-expired": (failed(**{"id_token.txt": token(iat=NOW - 900, exp=NOW - 600)}), {"first": "token-expired"}),
        "token-not-yet-valid": (
            failed(**{"id_token.txt": token(iat=NOW + 600, nbf=NOW + 600, exp=NOW + 900)}),
            {"first": "token-not-yet-valid"},
        ),
        "issuer-mismatch-trailing-slash": (
            failed(**{"id_token.txt": token(iss=ISSUER + "/")}),
            {"first": "issuer-mismatch"},
        ),
        "wrong-token-type-access-token": (
            failed(
                **{"id_token.txt": token(typ="Bearer", aud="account", azp="kubeapps", scope="openid email profile")}
            ),
            {"first": "wrong-token-type"},
        ),
        "signing-alg-es256-not-allowed": (
            failed(**{"id_token.txt": sign_es256(idp.keycloak_short_claims(), EC_KID)}),
            {"first": "signing-alg-not-allowed"},
        ),
        "signature-invalid": (
            failed(**{"id_token.txt": sign(idp.keycloak_short_claims(), KID, key=foreign_key())}),
            {"first": "signature-invalid"},
        ),
        "username-claim-missing": (
            failed(**{"id_token.txt": token(email=None, email_verified=None)}),
            {"first": "username-claim-missing"},
        ),
        "email-not-verified": (
            failed(**{"id_token.txt": token(email_verified=False)}),
            {"first": "email-not-verified"},
        ),
        "groups-claim-missing": (
            base(**{"id_token.txt": token(groups=None), "error.txt": forbidden(ALICE)}),
            {"first": "groups-claim-missing", "present": ["groups-claim-missing"]},
        ),
        "groups-claim-invalid": (
            failed(**{"id_token.txt": token(groups={"dev": True})}),
            {"first": "groups-claim-invalid"},
        ),
        "groups-distributed-claims": (
            failed(**{"id_token.txt": token(groups=None, **distributed)}),
            {"first": "groups-distributed-claims"},
        ),
        "required-claim-mismatch": (
            failed(
                **{
                    "kube-apiserver.yaml": kube.static_manifest(*OIDC.flags(), "--oidc-required-claim=hd=example.com"),
                    "id_token.txt": token(hd="example.org"),
                }
            ),
            {"first": "required-claim-mismatch"},
        ),
        "claim-mapping-error-cel": (
            failed(
                **{"kube-apiserver.yaml": kube.static_manifest(kube.AUTH_CONFIG_FLAG), "auth-config.yaml": cel_config}
            ),
            {"first": "claim-mapping-error"},
        ),
        "rbac-prefix-mismatch": (
            base(
                **{
                    "rbac.yaml": dev_view(user("alice@example.com")),
                    "id_token.txt": "Authorization: Bearer " + token(groups=[]),
                    "error.txt": forbidden(ALICE),
                }
            ),
            {"first": "username-prefix-mismatch"},
        ),
        "rbac-default-issuer-prefix": (
            base(
                **{
                    "kube-apiserver.yaml": kube.static_manifest(
                        *kube.Oidc(ISSUER, groups_claim="groups", groups_prefix="oidc:").flags()
                    ),
                    "rbac.yaml": dev_view(user(idp.ALICE_SUB)),
                    "id_token.txt": token(groups=[]),
                }
            ),
            {"first": "username-prefix-mismatch"},
        ),
        "username-claim-mismatch": (
            base(
                **{
                    "rbac.yaml": dev_view(user("oidc:alice")),
                    "id_token.txt": token(groups=[]),
                    "error.txt": forbidden(ALICE),
                }
            ),
            {"first": "username-claim-mismatch"},
        ),
        "group-name-mismatch-keycloak-path": (
            base(**{"id_token.txt": token(groups=["/dev"]), "error.txt": forbidden(ALICE)}),
            {"first": "group-name-mismatch"},
        ),
        "rbac-no-binding": (
            base(
                **{
                    "rbac.yaml": [VIEW_ROLE, binding("ops-view", "view", group("oidc:ops"), ns="ops", live=False)],
                    "error.txt": forbidden(ALICE),
                }
            ),
            {"first": "rbac-no-binding"},
        ),
        "rbac-insufficient-permissions": (
            base(**{"error.txt": forbidden(ALICE, "create", "deployments", "apps")}),
            {"first": "rbac-insufficient-permissions"},
        ),
        "proxy-cookie-refresh-missing": (
            base(**{"kubeapps.yaml": no_refresh, "what-i-saw.txt": "Kubeapps logs me out every 5 minutes"}),
            {"first": "proxy-cookie-refresh-missing"},
        ),
        "proxy-chart-values-cookie-refresh-missing": (
            base(
                **{
                    "kubeapps.yaml": None,
                    # the oauth2-proxy chart's values file alone (oauth2-proxy/manifests helm/oauth2-proxy)
                    "oauth2-proxy-values.yaml": {
                        "config": {
                            "clientID": "kubernetes",
                            "clientSecret": "REPLACE-WITH-THE-CLIENT-SECRET",
                            "cookieSecret": "REPLACE-WITH-32-RANDOM-BYTES-B64",
                        },
                        "extraArgs": {
                            "provider": "oidc",
                            "oidc-issuer-url": ISSUER,
                            "pass-authorization-header": True,
                            "cookie-expire": "24h",
                        },
                        "image": {"tag": "v7.6.0"},
                    },
                    "what-i-saw.txt": "The dashboard logs me out every 5 minutes since the auth proxy chart",
                }
            ),
            {"first": "proxy-cookie-refresh-missing"},
        ),
        "proxy-cookie-refresh-too-long": (
            base(**{"kubeapps.yaml": kubeapps("--cookie-refresh=10m", drop=("--cookie-refresh",))}),
            {"first": "proxy-cookie-refresh-too-long"},
        ),
        "proxy-refresh-unsupported": (
            base(**{"kubeapps.yaml": kubeapps("--provider=keycloak", drop=("--provider",))}),
            {"first": "proxy-refresh-unsupported"},
        ),
        "proxy-token-not-forwarded": (
            base(
                **{
                    "kubeapps.yaml": kubeapps(
                        "--pass-authorization-header=false", drop=("--pass-authorization-header",)
                    ),
                    "error.txt": forbidden("system:anonymous", ns="default"),
                }
            ),
            {"first": "proxy-token-not-forwarded"},
        ),
        "proxy-authorization-header-exposed": (
            base(**{"kubeapps.yaml": kubeapps("--set-authorization-header=true")}),
            {"first": "proxy-authorization-header-exposed", "no_errors": True},
        ),
        "proxy-header-too-large": (base(**{"ingress-nginx.log": too_big}), {"first": "proxy-header-too-large"}),
        "apiserver-endpoint-mismatch": (
            # The settings in hand accept the token, yet kubectl got a 401: the kubeconfig talks to
            # another endpoint (a node IP, a proxy in front, an API server without the flags).
            failed(),
            {"first": "apiserver-endpoint-mismatch"},
        ),
        "proxy-config-invalid": (
            base(
                **{"kubeapps.yaml": kubeapps("--cookie-refresh=2h", "--cookie-expire=1h", drop=("--cookie-refresh",))}
            ),
            {"first": "proxy-config-invalid"},
        ),
        **controlplane_scenarios(),
        **aks_scenarios(),
    }


def main(out: Path = HERE) -> None:
    """Write every example bundle and ``expected.json`` (what the end-to-end tests check) under ``out``."""
    expected: dict[str, Any] = {}
    keep = {"generate.py", "expected.json"}
    for old in out.iterdir() if out.exists() else ():
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old)
    for name, (files, expect) in scenarios().items():
        write(out / name, {n: as_written(n, v) for n, v in files.items()})
        expected[name] = expect
    (out / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    (out / "SOURCES.md").write_text(SOURCES)


# --- What the control plane records (issue 13): API server metrics, audit events ---------------------

#: The AuthenticationConfiguration of the structured-config examples, as the file on the node holds it
#: (its sha256 is what the API server reports in `..._last_config_info{hash}`).
AUTH_CONFIG_FILE = f"""apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {ISSUER}
    audiences:
    - kubernetes
  claimMappings:
    username:
      claim: email
      prefix: "oidc:"
    groups:
      claim: groups
      prefix: "oidc:"
"""

#: Help texts and types as kube-apiserver prints them (tests/fixturekit/metrics.py says where from).
METRIC_HELP = metrics.HELP


def apiserver_metrics(series: list[tuple[str, dict[str, str], float]]) -> str:
    """An excerpt of `kubectl get --raw /metrics`: each family's HELP and TYPE, then its series (labels
    sorted); a histogram's buckets (upstream's: 1 ms to 10 s), sum and count, ``value`` being its count."""
    lines = [
        "# HELP aggregator_discovery_aggregation_count_total [ALPHA] Counter of number of times discovery was "
        "aggregated",
        "# TYPE aggregator_discovery_aggregation_count_total counter",
        "aggregator_discovery_aggregation_count_total 31",
    ]
    done: set[str] = set()
    for name, labels, value in series:
        kind, text = METRIC_HELP[name]
        if name not in done:
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            done.add(name)
        if kind == "histogram":
            for le in (".001", ".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5", "10", "+Inf"):
                shown = ",".join(f'{k}="{v}"' for k, v in sorted({**labels, "le": le}.items()))
                lines.append(f"{name}_bucket{{{shown}}} {int(value)}")
            shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines += [f"{name}_sum{{{shown}}} {go_float(0.0031 * value)}", f"{name}_count{{{shown}}} {int(value)}"]
        else:
            shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines.append(f"{name}{{{shown}}} {go_float(value)}")
    return "\n".join(lines) + "\n"


def go_float(value: float) -> str:
    """A float as Prometheus' Go client prints it: strconv.FormatFloat(v, 'g', -1, 64), the shortest
    digits, with an exponent when the decimal exponent is below -4 or at least 6 (Go's ftoa.go)."""
    from decimal import Decimal

    shortest = repr(float(value))
    if value == 0:
        return "0"
    exp = Decimal(shortest).adjusted()
    if -4 <= exp < 6:
        return shortest[:-2] if shortest.endswith(".0") else shortest
    digits = Decimal(shortest).normalize().as_tuple().digits
    mantissa, e = f"{value:.{max(len(digits) - 1, 0)}e}".split("e")
    return f"{mantissa}e{e[0]}{e[1:].zfill(2)}"


def _sha256(text: str) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _apiserver_id_hash(node: str) -> str:
    from oidc_doctor.controlplane.hashes import apiserver_id_hash

    return apiserver_id_hash(node)


def structured_pod(node: str = "cp1") -> dict[str, Any]:
    """The kube-apiserver Pod of ``node`` run with ``--authentication-config`` (as `kubectl get pod -o yaml`)."""
    pod = kube.static_manifest(kube.AUTH_CONFIG_FLAG)
    # AuthenticationConfiguration v1 is served from kube-apiserver 1.34 (v1beta1 from 1.30).
    pod["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-apiserver:v1.34.1"
    pod["metadata"]["name"] = f"kube-apiserver-{node}"
    pod["spec"]["nodeName"] = node
    return pod


def controlplane_scenarios() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Bundles whose cause only the control plane's own records show."""
    cp1 = _apiserver_id_hash("cp1")
    # What the API server runs: the file before someone changed the username prefix (a byte-different file).
    # In the reload example the copy on the node no longer validates while the copy in hand does (an edit
    # made on the node only); with the API server's log line "failed to validate authentication config"
    # in the inputs, oidc-config-invalid would come first (it is the reload failure's root cause).
    running = AUTH_CONFIG_FILE.replace('prefix: "oidc:"\n    groups', 'prefix: "sso:"\n    groups')
    structured = {
        "kube-apiserver.yaml": structured_pod(),
        "auth-config.yaml": AUTH_CONFIG_FILE,
        "error.txt": UNAUTHORIZED,
    }
    reload_at = NOW - 20 * 60 + 0.4401123  # SetToCurrentTime: seconds with a fraction
    return {
        "apiserver-config-drift": (
            base(
                **structured,
                **{
                    "apiserver-metrics.txt": apiserver_metrics(
                        [
                            (
                                "apiserver_authentication_config_controller_last_config_info",
                                {"apiserver_id_hash": cp1, "hash": _sha256(running)},
                                1,
                            ),
                            ("authentication_attempts", {"result": "error"}, 42),
                            ("authentication_attempts", {"result": "success"}, 18230),
                        ]
                    )
                },
            ),
            {"first": "apiserver-config-drift"},
        ),
        "auth-config-reload-failed": (
            base(
                **structured,
                **{
                    "apiserver-metrics.txt": apiserver_metrics(
                        [
                            (
                                "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds",
                                {"apiserver_id_hash": cp1, "status": "failure"},
                                reload_at,
                            ),
                            (
                                "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds",
                                {"apiserver_id_hash": cp1, "status": "success"},
                                NOW - 3 * 86400 + 0.1187214,
                            ),
                            (
                                "apiserver_authentication_config_controller_automatic_reloads_total",
                                {"apiserver_id_hash": cp1, "status": "failure"},
                                1,
                            ),
                            (
                                "apiserver_authentication_config_controller_automatic_reloads_total",
                                {"apiserver_id_hash": cp1, "status": "success"},
                                1,
                            ),
                            (
                                "apiserver_authentication_config_controller_last_config_info",
                                {"apiserver_id_hash": cp1, "hash": _sha256(running)},
                                1,
                            ),
                            (
                                "apiserver_authentication_jwt_authenticator_latency_seconds",
                                {"jwt_issuer_hash": _sha256(ISSUER), "result": "success"},
                                311,
                            ),
                        ]
                    ),
                },
            ),
            {"first": "auth-config-reload-failed"},
        ),
        **_issue13_scenarios(cp1),
    }


def broken_manifest() -> str:
    """``/etc/kubernetes/manifests/kube-apiserver.yaml`` after an edit that added the OIDC flags with a tab
    (YAML forbids tabs in indentation: the kubelet logs ``Could not process manifest file ... couldn't
    parse as pod(yaml: ...)`` and keeps the Pod it runs, kubernetes pkg/kubelet/config/file.go)."""
    text = as_written("kube-apiserver.yaml", kube.static_manifest(*OIDC.flags()))
    return text.replace("    - --oidc-client-id=", "\t- --oidc-client-id=", 1)


#: A line of vcluster's zap console logger rejecting a bearer token: the aggregate's reason is lost
#: (kubernetes/kubernetes#136887; zap writes `errorCauses`, go.uber.org/zap zapcore/error.go).
def zap_bare(at: str) -> str:
    return (
        f"{at}     ERROR   filters/authentication.go:75    Unable to authenticate the request      "
        '{"component": "vcluster", "error": "invalid bearer token", "errorCauses": [{"error": "invalid bearer token"}]}'
    )


def _issue13_scenarios(cp1: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """One bundle per cause added with the control plane's lines and metrics (issue 13)."""
    bare = logs.unable("invalid bearer token", -14)
    # Keys before the rotation: an RSA key with another kid (the issuer's served body, saved with curl -o).
    before = as_written("jwks-before-rotation.json", json.dumps(jwks(jwk(foreign_key(), "demo-key-0"))))
    issuer_labels = {"apiserver_id_hash": cp1, "jwt_issuer_hash": _sha256(ISSUER)}
    running_pod = kube.apiserver_pod("cp1", [])  # the Pod the kubelet still runs: no OIDC flags
    return {
        "apiserver-manifest-not-applied": (
            failed(**{"kube-apiserver.yaml": broken_manifest(), "kube-apiserver-running.yaml": running_pod}),
            {"first": "apiserver-manifest-not-applied", "present": ["oidc-not-configured"]},
        ),
        "stale-signing-keys": (
            failed(
                **{
                    "jwks-before-rotation.json": before,
                    "kube-apiserver.log": logs.lines(
                        logs.unable(
                            "[invalid bearer token, oidc: verify token: failed to verify signature: failed to verify "
                            "id token signature]",
                            -11,
                        )
                    ),
                    "apiserver-metrics.txt": apiserver_metrics(
                        [
                            (
                                "apiserver_authentication_jwt_authenticator_jwks_fetch_last_key_set_info",
                                {**issuer_labels, "hash": _sha256(before)},
                                1,
                            ),
                            (
                                "apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds",
                                {**issuer_labels, "result": "success"},
                                NOW - 2 * 3600 + 0.2519311,
                            ),
                            (
                                "apiserver_authentication_jwt_authenticator_latency_seconds",
                                {"jwt_issuer_hash": _sha256(ISSUER), "result": "failure"},
                                57,
                            ),
                        ]
                    ),
                }
            ),
            {"first": "stale-signing-keys", "present": ["signature-invalid"]},
        ),
        "tokens-reach-no-authenticator": (
            failed(
                **{
                    "id_token.txt": None,
                    "kube-apiserver.yaml": structured_pod(),
                    "auth-config.yaml": AUTH_CONFIG_FILE,
                    "kube-apiserver.log": logs.lines(bare, logs.unable("invalid bearer token", -3)),
                    "apiserver-metrics.txt": apiserver_metrics(
                        [
                            (
                                "apiserver_authentication_config_controller_last_config_info",
                                {"apiserver_id_hash": cp1, "hash": _sha256(AUTH_CONFIG_FILE)},
                                1,
                            ),
                            ("authentication_attempts", {"result": "failure"}, 214),
                            ("authentication_attempts", {"result": "success"}, 18230),
                        ]
                    ),
                }
            ),
            {"first": "tokens-reach-no-authenticator"},
        ),
        "reason-not-logged": (
            failed(
                **{
                    "id_token.txt": None,
                    "vcluster.log": logs.lines(zap_bare("2026-11-28 10:24:58"), zap_bare("2026-11-28 10:25:03")),
                }
            ),
            {"first": "reason-not-logged"},
        ),
    }


# --- AKS: AKS-managed Microsoft Entra ID and structured authentication (issue 13) ----------------------
# Each shape's source is in tests/fixturekit/cloud.py and, per example, in examples/SOURCES.md.


#: examples/SOURCES.md: where each AKS example's shapes come from (beside the bundles, never inside one:
#: a bundle reads every file it holds).
SOURCES = (
    "# Where the shapes of the AKS examples come from\n"
    "\n"
    "The bundles are written by `examples/generate.py` from `tests/fixturekit/cloud.py` (deterministic:\n"
    "tokens signed with seeded keys at fixed times). These notes live beside the bundles, not in them: a\n"
    "bundle reads every file it holds.\n"
    "\n"
    "| example | files | shape and its source |\n"
    "|---|---|---|\n"
    "| every `aks-*` | `aks-show.json` | `az aks show -g RG -n NAME -o json`: the ManagedCluster "
    "resource, `aadProfile {managed, enableAzureRbac, adminGroupObjectIDs, tenantId}`, `fqdn` "
    "`*.hcp.REGION.azmk8s.io` (learn.microsoft.com/azure/aks/enable-authentication-microsoft-entra-id, "
    "learn.microsoft.com/cli/azure/aks#az-aks-show) |\n"
    "| every `aks-entra-*`, `aks-azure-rbac` | `kubeconfig.yaml` | what `az aks get-credentials` writes "
    "since Kubernetes 1.24: exec `kubelogin get-token --environment AzurePublicCloud --server-id "
    "6dae42f8-4368-4678-94ff-3960e28e3630 --client-id 80faf920-1908-4b52-b5ef-a8e7bedfc67a --tenant-id "
    "... --login devicecode` (learn.microsoft.com/azure/aks/kubelogin-authentication; Azure/kubelogin "
    "`docs/book/src/concepts/aks.md`, `pkg/internal/converter/convert.go`) |\n"
    "| `aks-entra-wrong-token-type` | `token.txt` | an Entra ID v2.0 id_token (`iss` "
    "`https://login.microsoftonline.com/TENANT/v2.0`, `aud` the client application, `nonce`, no `scp`) — "
    "learn.microsoft.com/entra/identity-platform/id-token-claims-reference |\n"
    "| `aks-entra-audience-mismatch` | `kubeconfig.yaml`, `token.txt` | `--legacy` added to kubelogin's "
    "args, and the v1 access token it gets with `aud: spn:6dae42f8-...` (Azure/kubelogin "
    "`pkg/internal/token/options.go`: \"get token with 'spn:' prefix in audience claim\"; "
    "`docs/book/src/concepts/login-modes/devicecode.md`: not compatible with AKS-managed AAD) |\n"
    "| `aks-entra-group-overage` | `token.txt`, `PT1H.json` | a service principal's v1 access token "
    "(`idtyp: app`, `appid`) with `_claim_names`/`_claim_sources` instead of `groups` "
    '(learn.microsoft.com/entra/identity-platform/access-token-claims-reference, "Groups overage claim");'
    " the storage-account blob of the cluster's resource logs, one record per line (`time`, `resourceId`,"
    " `category: kube-apiserver`, `operationName`, `properties {log, stream, pod}`), whose API server "
    "line carries AKS's webhook error (kubeguard/guard `auth/providers/azure/azure.go`: \"service "
    "principal with group membership exceeding 200 is not supported\") as the request's error |\n"
    "| `aks-azure-rbac` | `aks-show.json`, `error.txt` | `enableAzureRbac: true`; kubectl's 403 with "
    "AKS's Azure RBAC suffix \"User does not have access to the resource in Azure. Update role assignment "
    'to allow access." (learn.microsoft.com/azure/aks/manage-azure-rbac) |\n'
    "| `aks-jwt-prefix-missing` | `jwtauthenticator.json`, `rbac.yaml`, `error.txt` | `az aks "
    "jwtauthenticator show -o json`: the `Microsoft.ContainerService/managedClusters/jwtAuthenticators` "
    "resource (azure-rest-api-specs example `JWTAuthenticators_CreateOrUpdate`, API 2025-07-02-preview; "
    "azure-cli-extensions `src/aks-preview/azext_aks_preview/_format.py` reads `properties.issuer.url`), "
    "with the GitHub Actions mapping `'aks:jwt:github:' + claims.sub` of Microsoft's troubleshooting "
    'article "AKS control plane authentication using external identity providers" (issue 4: the '
    "`aks:jwt:` prefix); the RoleBinding names the identity without it |\n"
)

HEALTHZ = '"HTTP" verb="GET" URI="/healthz" latency="412.6µs" resp=200'


def aks_base(**over: Any) -> dict[str, Any]:
    """What an AKS user sends: `az aks show -o json`, the kubeconfig `az aks get-credentials` wrote, kubectl's 401;
    ``over`` replaces or (with None) removes files."""
    files: dict[str, Any] = {
        "aks-show.json": cloud.aks_cluster(),
        "kubeconfig.yaml": cloud.aks_kubeconfig(),
        "error.txt": UNAUTHORIZED,
    }
    return _override(files, over)


def aks_scenarios() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """AKS bundles: Entra ID token mistakes, Azure RBAC, the `aks:jwt:` prefix."""
    v2_id_token = {
        "aud": cloud.AKS_CLIENT_APP,
        "iss": f"https://login.microsoftonline.com/{cloud.TENANT}/v2.0",
        "iat": NOW - 600,
        "nbf": NOW - 600,
        "exp": NOW + 3000,
        "aio": "AWQAm/8YAAAA",
        "name": "Alice Example",
        "nonce": "7c1e0b5a9d2f4e3b",
        "oid": cloud.ALICE_OID,
        "preferred_username": "alice@example.com",
        "rh": "0.AXEAv4j5cvGGr0GRqy180BHbRyD5-oAIGVJLte-o577GZ3pxAAA.",
        "sub": "Zq3mK8yNw1vF4tHb7cXe2dRj5sLp9aGu0iOk6nMh3Qw",
        "tid": cloud.TENANT,
        "uti": "kE2rT9yUiOpA3sDfGhJkLq",
        "ver": "2.0",
    }
    spn_claims = cloud.overage(
        cloud.entra_access_claims(
            appid="b3c8e2d1-7f6a-4e5d-9c8b-1a2f3e4d5c6b",
            appidacr="1",
            idtyp="app",
            oid="e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9",
            sub="e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9",
            roles=None,
            scp=None,
            upn=None,
            unique_name=None,
            name=None,
            family_name=None,
            given_name=None,
            amr=None,
            acr=None,
            ipaddr=None,
        )
    )
    guard_err = (
        "[invalid bearer token, service principal with group membership exceeding 200 is not supported. See "
        "https://learn.microsoft.com/en-us/azure/aks/kubelogin-authentication#kubelogin-authentication-in-aks-limitations]"
    )
    azure_rbac_403 = kube.forbidden("alice@example.com", "list", "pods", ns="dev").rstrip("\n") + (
        ": User does not have access to the resource in Azure. Update role assignment to allow access.\n"
    )
    github_sub = "repo:contoso/app:ref:refs/heads/main"
    ops_view = binding("ops-view", "view", group(cloud.ADMIN_GROUP), ns="dev", live=False)
    # The binding names the GitHub identity as the mapping writes it, but without `aks:jwt:`.
    deployer_view = binding("deployer-view", "view", user(f"github:{github_sub}"), ns="dev", live=False)
    return {
        "aks-entra-wrong-token-type": (
            aks_base(**{"token.txt": cloud.entra_token(v2_id_token)}),
            {"first": "aks-entra-wrong-token-type"},
        ),
        "aks-entra-audience-mismatch": (
            aks_base(
                **{
                    "kubeconfig.yaml": cloud.aks_kubeconfig("--legacy"),
                    "token.txt": cloud.entra_token(cloud.entra_access_claims(aud=f"spn:{cloud.AKS_SERVER_APP}")),
                }
            ),
            {"first": "aks-entra-audience-mismatch"},
        ),
        "aks-entra-group-overage": (
            aks_base(
                **{
                    "kubeconfig.yaml": cloud.aks_kubeconfig(
                        "--client-id", "b3c8e2d1-7f6a-4e5d-9c8b-1a2f3e4d5c6b", login="spn"
                    ),
                    "token.txt": cloud.entra_token(spn_claims),
                    # A storage account blob of the cluster's resource logs (category kube-apiserver).
                    "PT1H.json": cloud.aks_resource_logs(
                        [
                            ("kube-apiserver", -90, logs.klog("I", -90, "httplog.go:132", HEALTHZ)),
                            ("kube-apiserver", -14, logs.unable(guard_err, -14)),
                        ]
                    ),
                }
            ),
            {"first": "aks-entra-group-overage"},
        ),
        "aks-azure-rbac": (
            aks_base(
                **{
                    "aks-show.json": cloud.aks_cluster(azure_rbac=True),
                    "token.txt": cloud.entra_token(cloud.entra_access_claims()),
                    "rbac.yaml": [VIEW_ROLE, ops_view],
                    "error.txt": azure_rbac_403,
                }
            ),
            {"first": "aks-azure-rbac"},
        ),
        "aks-jwt-prefix-missing": (
            {
                "aks-show.json": cloud.aks_cluster(managed=False),
                "jwtauthenticator.json": cloud.jwt_authenticator(
                    "github-actions",
                    "https://token.actions.githubusercontent.com",
                    ["my-api"],
                    "'aks:jwt:github:' + claims.sub",
                ),
                "rbac.yaml": [VIEW_ROLE, deployer_view],
                "error.txt": kube.forbidden(f"aks:jwt:github:{github_sub}", "list", "pods", ns="dev"),
            },
            {"first": "aks-jwt-prefix-missing"},
        ),
    }


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
