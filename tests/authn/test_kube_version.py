"""The kube-apiserver version: read from the evidence or ``--kube-version``, and the rules it changes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from oidc_doctor.authn import sources, version
from oidc_doctor.authn.validation import validate_settings
from oidc_doctor.cli import main
from oidc_doctor.io import IO

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONFIG = """apiVersion: apiserver.config.k8s.io/{v}
kind: AuthenticationConfiguration
jwt:
- issuer: {{url: https://issuer.example, audiences: [k]}}
  claimMappings: {{username: {{claim: sub, prefix: ""}}}}
{extra}"""


@pytest.mark.parametrize(
    ("text", "minor"),
    [("v1.30.2", 30), ("1.29", 29), ("v1.31.4+k3s1", 31), ("v1.30.0-eks-036c24b", 30), ("v1.34.1-gke.1000", 34)],
)
def test_versions_are_read_as_major_minor(text: str, minor: int) -> None:
    v = version.parse(text)
    assert v is not None and (v.major, v.minor) == (1, minor)


def test_bad_versions_and_foreign_images_are_ignored() -> None:
    assert version.parse("latest") is None
    assert version.from_image("registry.k8s.io/kube-apiserver:v1.31.4") == "v1.31.4"
    assert version.from_image("registry.k8s.io/kube-apiserver:v1.31.4@sha256:abc") == "v1.31.4"
    assert version.from_image("docker.io/bitnami/nginx:1.21.0") == ""
    assert version.from_image("localhost:5000/kube-apiserver") == ""


def _predict(tmp: Path, api: str, kube: str, *more: str, extra: str = "") -> dict[str, object]:
    path = tmp / "auth.yaml"
    path.write_text(CONFIG.format(v=api, extra=extra))
    args = ["predict", "--auth-config", str(path), f"--apiserver-arg=--authentication-config={path}"]
    args += [*more, "--kube-version", kube, "--format", "json"] if kube else [*more, "--format", "json"]
    out, err = io.StringIO(), io.StringIO()
    status = main(args, IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}))
    assert status in (0, 1), err.getvalue()
    got: dict[str, object] = json.loads(out.getvalue())
    return got


@pytest.mark.parametrize(
    ("api", "kube", "error"),
    [
        ("v1", "v1.34.0", None),
        ("v1", "", None),  # no version known: the newest rules
        ("v1beta1", "v1.30.1", None),
        ("v1alpha1", "v1.29.3", "set --feature-gates=StructuredAuthenticationConfiguration=true"),
        (
            "v1",
            "v1.33.2",
            'no kind "AuthenticationConfiguration" is registered for version "apiserver.config.k8s.io/v1"',
        ),
        ("v1beta1", "v1.28.9", "unknown flag: --authentication-config"),
    ],
)
def test_the_configuration_api_version_must_be_served(tmp_path: Path, api: str, kube: str, error: str | None) -> None:
    got = _predict(tmp_path, api, kube)
    if error is None:
        assert got["startup_error"] is None
    else:
        assert isinstance(got["startup_error"], str) and error in got["startup_error"]
    if kube:
        assert any(kube in str(n) and "--kube-version" in str(n) for n in got["notes"])  # type: ignore[attr-defined]


def test_the_1_29_feature_gate_flag_lets_the_file_load(tmp_path: Path) -> None:
    got = _predict(
        tmp_path, "v1alpha1", "v1.29.3", "--apiserver-arg=--feature-gates=StructuredAuthenticationConfiguration=true"
    )
    assert got["startup_error"] is None


def test_anonymous_depends_on_the_version(tmp_path: Path) -> None:
    extra = "anonymous: {enabled: true, conditions: [{path: /livez}]}\n"
    assert _predict(tmp_path, "v1beta1", "v1.32.0", extra=extra)["startup_error"] is None
    old = _predict(tmp_path, "v1beta1", "v1.30.4", extra=extra)["startup_error"]
    assert isinstance(old, str) and old.endswith('strict decoding error: unknown field "anonymous"')
    alpha = _predict(tmp_path, "v1beta1", "v1.31.4", "--apiserver-arg=--anonymous-auth=true", extra=extra)[
        "startup_error"
    ]
    assert alpha == (
        "invalid authentication configuration: anonymous: Forbidden: anonymous is not supported when "
        "AnonymousAuthConfigurableEndpoints feature gate is disabled"
    )


def test_the_version_is_read_from_a_pod_kubeadm_and_a_k3s_node() -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
        "spec": {
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": "registry.k8s.io/kube-apiserver:v1.33.1",
                    "command": ["kube-apiserver", "--authentication-config=/etc/a.yaml"],
                }
            ]
        },
    }
    a = sources.from_pod(pod, "pod.yaml")
    assert a is not None and a.kube_version == "v1.33.1" and "image" in a.kube_version_ref
    kubeadm = {"kind": "ClusterConfiguration", "kubernetesVersion": "v1.30.4", "apiServer": {"extraArgs": {}}}
    k = sources.from_kubeadm(kubeadm, "kubeadm.yaml")
    assert k is not None and k.kube_version == "v1.30.4"
    node = {
        "kind": "Node",
        "metadata": {
            "name": "s1",
            "annotations": {"k3s.io/node-args": '["server","--kube-apiserver-arg","oidc-client-id=k"]'},
        },
        "status": {"nodeInfo": {"kubeletVersion": "v1.31.4+k3s1"}},
    }
    n = sources.from_node(node, "nodes.yaml")
    assert n is not None and n.kube_version == "v1.31.4+k3s1"
    # linked with a v1 file, the 1.33 Pod refuses to start
    config = sources.parse_auth_config(
        {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration"}, "a.yaml", "a.yaml"
    )
    linked = sources.link_auth_config(a, config)
    verdict = validate_settings(linked)
    assert verdict.startup_error is not None and "apiserver.config.k8s.io/v1" in verdict.startup_error


def test_a_bundle_prints_the_version_it_assumed() -> None:
    out, err = io.StringIO(), io.StringIO()
    main(
        ["predict", "--bundle", str(EXAMPLES / "healthy"), "--now", "2026-11-28T10:25:12Z"],
        IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}),
    )
    assert "rules of kube-apiserver 1.31 applied (v1.31.4 from" in out.getvalue()


def test_fields_newer_than_the_version_fail_strict_decoding(tmp_path: Path) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(
        "apiVersion: apiserver.config.k8s.io/v1alpha1\nkind: AuthenticationConfiguration\njwt:\n"
        "- issuer: {url: https://issuer.example, discoveryURL: https://idp.svc/.well-known/openid-configuration,"
        " audiences: [k], egressSelectorType: cluster}\n"
        '  claimMappings: {username: {claim: sub, prefix: ""}}\n'
    )
    args = ["predict", "--auth-config", str(path), f"--apiserver-arg=--authentication-config={path}"]
    args += ["--apiserver-arg=--feature-gates=StructuredAuthenticationConfiguration=true", "--format", "json"]
    out = io.StringIO()
    main([*args, "--kube-version", "1.29.0"], IO(stdin=io.StringIO(""), stdout=out, stderr=io.StringIO(), env={}))
    assert json.loads(out.getvalue())["startup_error"] == (
        f'failed to load authentication configuration from file "{path}": strict decoding error: '
        'unknown field "jwt[0].issuer.discoveryURL", unknown field "jwt[0].issuer.egressSelectorType"'
    )
    out = io.StringIO()
    main([*args, "--kube-version", "1.33.0"], IO(stdin=io.StringIO(""), stdout=out, stderr=io.StringIO(), env={}))
    assert json.loads(out.getvalue())["startup_error"].endswith('unknown field "jwt[0].issuer.egressSelectorType"')
    out = io.StringIO()
    main([*args, "--kube-version", "1.34.2"], IO(stdin=io.StringIO(""), stdout=out, stderr=io.StringIO(), env={}))
    assert json.loads(out.getvalue())["startup_error"] is None


def test_anonymous_auth_flag_conflicts_only_where_the_section_is_on(tmp_path: Path) -> None:
    extra = "anonymous: {enabled: true}\n"
    got = _predict(tmp_path, "v1beta1", "v1.32.0", "--apiserver-arg=--anonymous-auth=true", extra=extra)
    assert got["startup_error"] == (
        "--anonymous-auth flag cannot be set when anonymous field is configured in authentication configuration file"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty config data"),
        ("apiVersion: apiserver.config.k8s.io/v1beta1\njwt: []\n", "Object 'Kind' is missing in '"),
    ],
)
def test_a_bundle_whose_named_config_does_not_load_predicts_the_load_error(
    tmp_path: Path, content: str, reason: str
) -> None:
    # kube-apiserver reads the file --authentication-config names and refuses to start.
    import shutil

    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "claim-mapping-error-cel", bundle)
    (bundle / "auth-config.yaml").write_text(content)
    out = io.StringIO()
    status = main(
        ["predict", "--bundle", str(bundle), "--format", "json", "--offline"],
        IO(stdin=io.StringIO(""), stdout=out, stderr=io.StringIO(), env={}),
    )
    got = json.loads(out.getvalue())
    assert status == 1
    assert got["startup_error"].startswith(
        'failed to load authentication configuration from file "/etc/kubernetes/auth/auth-config.yaml": ' + reason
    )


def _pod(image: str, *flags: str) -> dict[str, object]:
    return {
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
        "spec": {"containers": [{"name": "kube-apiserver", "image": image, "command": ["kube-apiserver", *flags]}]},
    }


@pytest.mark.parametrize(
    ("image", "flags", "startup", "ignored"),
    [
        # Claim flags alone: 1.29+ refuses to start; older servers ran without OIDC (k3s-io/k3s#5278, v1.22).
        ("v1.31.0", ["--oidc-username-claim=email"], "must be specified together when any oidc-* flags", False),
        ("v1.22.7", ["--oidc-username-claim=email"], None, True),
        # One of the two without the other was refused by every version, in the old words before 1.29.
        ("v1.22.7", ["--oidc-client-id=k8s"], "oidc-issuer-url and oidc-client-id should be specified together", False),
    ],
)
def test_claim_flags_without_issuer_follow_the_api_servers_version(
    image: str, flags: list[str], startup: str | None, ignored: bool
) -> None:
    auth = sources.from_pod(_pod(f"registry.k8s.io/kube-apiserver:{image}", *flags), "pod.yaml")
    assert auth is not None
    verdict = validate_settings(auth)
    assert (verdict.startup_error is None) if startup is None else (startup in (verdict.startup_error or ""))
    _, note = version.legacy_flag_errors(auth)
    assert (note is not None and "no OIDC authenticator" in note) == ignored
