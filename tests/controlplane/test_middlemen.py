"""Middle-men whose settings or logs stand in for kube-apiserver's, recognised by content and fed into
the one settings model the emulator judges: a Talos machine configuration, a kube-oidc-proxy
Deployment and its access log, an OpenShift external-OIDC ``Authentication``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cp_shapes import ISSUER, apiserver_pod, sign_token
from fixturekit import apps
from test_controlplane_checks import UNAUTHORIZED, causes, check, diagnose

from oidc_doctor.logs.classify import CONTEXT, classify_line
from oidc_doctor.logs.formats import line_time
from oidc_doctor.logs.sniff import sniff_log


def talos_config(**extra_args: str) -> dict[str, Any]:
    """A controlplane machine config as `talosctl gen config` writes it (secrets left out), v1alpha1."""
    return {
        "version": "v1alpha1",
        "debug": False,
        "persist": True,
        "machine": {"type": "controlplane", "install": {"disk": "/dev/sda"}},
        "cluster": {
            "clusterName": "prod",
            "controlPlane": {"endpoint": "https://10.0.0.10:6443"},
            "apiServer": {"image": "registry.k8s.io/kube-apiserver:v1.31.2", "extraArgs": extra_args},
        },
    }


def test_a_talos_machine_config_is_the_api_servers_settings(tmp_path: Path) -> None:
    config = talos_config(
        **{
            "oidc-issuer-url": ISSUER,
            "oidc-client-id": "talos-k8s",
            "oidc-username-claim": "email",
            "oidc-username-prefix": "oidc:",
        }
    )
    files = {"controlplane.yaml": config, "id_token.txt": sign_token(), "error.txt": UNAUTHORIZED}
    report = diagnose(tmp_path, files)
    assert causes(report)[0] == "audience-mismatch"
    first = report["findings"][0]
    assert any("cluster.apiServer.extraArgs (Talos)" in e["ref"] for e in first["evidence"]), first["evidence"]
    assert any(i["kind"] == "node-args" and i["ref"].endswith("controlplane.yaml") for i in report["inputs"])


KOP = apps.kube_oidc_proxy(ISSUER, "kube-oidc-proxy", "--oidc-username-claim=email", "--oidc-groups-claim=groups")


def test_a_kube_oidc_proxy_in_front_of_an_api_server_without_oidc_judges_the_token(tmp_path: Path) -> None:
    files = {
        "kube-apiserver-cp1.yaml": apiserver_pod("cp1"),  # EKS-like: no OIDC of its own
        "kube-oidc-proxy.yaml": KOP,
        "id_token.txt": sign_token(),
        "error.txt": UNAUTHORIZED,
    }
    report = diagnose(tmp_path, files)
    assert causes(report)[0] == "audience-mismatch", causes(report)
    assert "oidc-not-configured" not in causes(report)
    first = report["findings"][0]
    assert any("(kube-oidc-proxy)" in e["ref"] and "kube-oidc-proxy" in e["text"] for e in first["evidence"])


AUFAIL = "[2026-11-28T10:24:58+0000] AuFail src:[10.0.0.7 / ] URI:/api/v1/namespaces/dev/pods?limit=500"
AUSUCCESS = (
    "[2026-11-28T10:20:03+0000] AuSuccess src:[10.0.0.7 / ] URI:/api/v1/namespaces/dev/pods inbound:"
    "[alice@example.com / dev|system:authenticated / ]"
)


def test_kube_oidc_proxy_access_log_lines_are_read_by_content() -> None:
    text = ("I1128 10:00:01.000000       1 proxy.go:160] proxy ready\n" + AUSUCCESS + "\n" + AUFAIL + "\n").encode()
    assert sniff_log(text) == "apiserver-log"
    fail = classify_line(AUFAIL.encode())
    assert fail is not None and fail.failure_line and fail.detail == {"bare": "true", "logger": "kube-oidc-proxy"}
    ok = classify_line(AUSUCCESS.encode())
    assert ok is not None and ok.kind == CONTEXT
    t = line_time(AUFAIL.encode(), None)
    assert t is not None and t.isoformat() == "2026-11-28T10:24:58+00:00"


def test_kube_oidc_proxy_failures_without_a_token_say_the_reason_is_not_logged(tmp_path: Path) -> None:
    files = {
        "kube-apiserver-cp1.yaml": apiserver_pod("cp1"),
        "kube-oidc-proxy.yaml": KOP,
        "kube-oidc-proxy.log": AUSUCCESS + "\n" + AUFAIL + "\n" + AUFAIL.replace("10:24:58", "10:25:04") + "\n",
    }
    report = diagnose(tmp_path, files)
    assert causes(report)[0] == "reason-not-logged"
    assert "kube-oidc-proxy logged" in report["findings"][0]["title"]
    assert check(report, "logs.apiserver")["status"] == "fail"


def openshift(rules: list[dict[str, Any]] | None = None, **username: Any) -> dict[str, Any]:
    """`oc get authentication.config cluster -o yaml` with external OIDC (4.15+), one provider."""
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "Authentication",
        "metadata": {"name": "cluster"},
        "spec": {
            "type": "OIDC",
            "oidcProviders": [
                {
                    "name": "keycloak",
                    "issuer": {"issuerURL": ISSUER, "audiences": ["openshift-console", "kubernetes"]},
                    "claimMappings": {"username": username, "groups": {"claim": "groups", "prefix": "oidc:"}},
                    "claimValidationRules": rules or [],
                }
            ],
        },
    }


def _identity(tmp_path: Path, auth: dict[str, Any], name: str) -> str:
    folder = tmp_path / name
    folder.mkdir()
    files = {"authentication.yaml": auth}
    report = diagnose(folder, files | {"id_token.txt": sign_token()})
    ident = report["identity"]
    assert ident is not None, report["checks"]
    return str(ident["username"])


def test_openshift_external_oidc_maps_usernames_as_its_prefix_policy_says(tmp_path: Path) -> None:
    # prefixPolicy omitted: "{issuerURL}#" unless the claim is email (openshift/api types_authentication.go).
    assert _identity(tmp_path, openshift(claim="sub"), "a") == f"{ISSUER}#f3b1"
    assert _identity(tmp_path, openshift(claim="email"), "b") == "alice@example.com"
    assert _identity(tmp_path, openshift(claim="sub", prefixPolicy="NoPrefix"), "c") == "f3b1"
    prefixed = openshift(claim="email", prefixPolicy="Prefix", prefix={"prefixString": "sso:"})
    assert _identity(tmp_path, prefixed, "d") == "sso:alice@example.com"


def test_openshift_required_claims_are_judged(tmp_path: Path) -> None:
    rules = [{"type": "RequiredClaim", "requiredClaim": {"claim": "hd", "requiredValue": "example.com"}}]
    files = {"id_token.txt": sign_token(), "error.txt": UNAUTHORIZED}
    report = diagnose(tmp_path, files | {"authentication.yaml": openshift(rules, claim="email")})
    assert causes(report)[0] == "required-claim-mismatch"
    assert any("(OpenShift)" in e["ref"] for e in report["findings"][0]["evidence"])


def test_an_openshift_integrated_oauth_is_not_taken_for_oidc(tmp_path: Path) -> None:
    auth = {"apiVersion": "config.openshift.io/v1", "kind": "Authentication", "metadata": {"name": "cluster"}}
    auth["spec"] = {"type": "IntegratedOAuth"}
    report = diagnose(tmp_path, {"authentication.yaml": auth, "id_token.txt": sign_token()})
    [rec] = [i for i in report["inputs"] if i["ref"].endswith("authentication.yaml")]
    assert rec["kind"] == "unrecognised" and "not OIDC" in rec["reason"]


# Headlamp's backend (zerolog JSON, kubernetes-sigs/headlamp backend/pkg/logger/logger.go) during its own
# OIDC login (backend/cmd/headlamp.go: "failed to get provider", "failed to verify ID Token").
HEADLAMP_LOG = "\n".join(
    [
        '{"level":"info","source":"/headlamp/backend/cmd/headlamp.go","line":300,"time":"2026-11-28T10:20:00Z",'
        '"message":"Creating Headlamp handler"}',
        '{"level":"error","idpIssuerURL":"https://keycloak.example.com/realms/k8s","source":"/headlamp/backend/cmd/'
        'headlamp.go","line":1064,"error":"Get \\"https://keycloak.example.com/realms/k8s/.well-known/openid-'
        'configuration\\": tls: failed to verify certificate: x509: certificate signed by unknown authority",'
        '"time":"2026-11-28T10:24:58Z","message":"failed to get provider"}',
        "",
    ]
)


def test_headlamp_backend_oidc_lines_are_classified_as_headlamps_own_login() -> None:
    audience = (
        '{"level":"error","source":"/headlamp/backend/cmd/headlamp.go","line":1213,"error":"oidc: expected audience '
        '\\"headlamp\\" got [\\"kubernetes\\"]","time":"2026-11-28T10:24:58Z","message":"failed to verify ID Token"}'
    )
    v = classify_line(audience.encode())
    assert v is not None and (v.kind, v.code) == ("headlamp", "audience-mismatch")
    assert v.detail == {"expected": '"headlamp"', "got": '["kubernetes"]'}


def test_headlamp_that_cannot_reach_its_issuer_is_named_with_headlamps_fix(tmp_path: Path) -> None:
    report = diagnose(tmp_path, {"headlamp.log": HEADLAMP_LOG, "id_token.txt": sign_token()})
    first = report["findings"][0]
    assert first["cause"] == "issuer-ca-untrusted", causes(report)
    assert first["title"].startswith("Headlamp: failed to get provider")
    assert "--oidc-ca-file" in first["fix"]


def test_a_talos_kube_authentication_config_document_is_the_authentication_configuration(tmp_path: Path) -> None:
    doc = {
        "apiVersion": "v1alpha1",
        "kind": "KubeAuthenticationConfig",
        "configuration": {
            "apiVersion": "apiserver.config.k8s.io/v1beta1",
            "kind": "AuthenticationConfiguration",
            "anonymous": {"enabled": True, "conditions": [{"path": "/livez"}, {"path": "/readyz"}]},
            "jwt": [
                {
                    "issuer": {"url": ISSUER, "audiences": ["talos-k8s"]},
                    "claimMappings": {"username": {"claim": "email", "prefix": ""}},
                }
            ],
        },
    }
    files = {"talos-auth.yaml": doc, "id_token.txt": sign_token(), "error.txt": UNAUTHORIZED}
    report = diagnose(tmp_path, files)
    assert causes(report)[0] == "audience-mismatch"
    assert any(i["kind"] == "auth-config" and i["ref"].endswith("talos-auth.yaml") for i in report["inputs"])


def test_predict_takes_each_middle_man_as_the_api_server_manifest(tmp_path: Path) -> None:
    import io
    import json

    import yaml

    from oidc_doctor.cli import main
    from oidc_doctor.io import IO

    token = tmp_path / "token.txt"
    token.write_text(sign_token() + "\n")
    jwks = tmp_path / "jwks.json"  # keys in hand: no discovery from here (the token's key is not among them)
    jwks.write_text(json.dumps({"keys": [{"kid": "other", "kty": "RSA", "n": "x" * 342, "e": "AQAB"}]}))
    for name, obj in (
        ("talos.yaml", talos_config(**{"oidc-issuer-url": ISSUER, "oidc-client-id": "kubernetes"})),
        ("kop.yaml", KOP),
        ("ocp.yaml", openshift(claim="email")),
    ):
        (tmp_path / name).write_text(yaml.safe_dump(obj))
        out, err = io.StringIO(), io.StringIO()
        args = ["predict", "--apiserver-manifest", str(tmp_path / name), "--token", f"@{token}", "--jwks", str(jwks)]
        args += ["-o", "json"]
        main([*args, "--now", "2026-11-28T10:25:12Z"], IO(stdin=io.StringIO(), stdout=out, stderr=err, env={}))
        result = json.loads(out.getvalue())
        assert result["handled"] is True, (name, err.getvalue())
        if name == "kop.yaml":  # its client id is kube-oidc-proxy: the token's aud is kubernetes
            assert "expected audience" in str(result["error"])
