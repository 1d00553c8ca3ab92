"""Which kube-apiserver version the settings run on, and the start-up rules that depend on it.

The version is read from the evidence (the kube-apiserver image tag of a static Pod, kubeadm's
``kubernetesVersion``, a k3s/RKE2 node's ``status.nodeInfo.kubeletVersion``, whose API server
is built in) or given with ``--kube-version``. Without a version the newest rules apply.

Version-dependent rules (kubernetes ``pkg/kubeapiserver/options/authentication.go`` and
k8s.io/apiserver ``pkg/apis/apiserver`` across releases; feature-gate defaults from the
Kubernetes feature-gate reference):

- ``--authentication-config`` exists from 1.29; before, pflag refuses it (``unknown flag``).
- 1.29: the StructuredAuthenticationConfiguration gate is alpha (off) and the file needs
  ``--feature-gates=StructuredAuthenticationConfiguration=true``; beta (on) from 1.30.
- ``apiserver.config.k8s.io`` serves AuthenticationConfiguration as v1alpha1 from 1.29,
  v1beta1 from 1.30 and v1 from 1.34; another version fails to load.
- ``anonymous`` exists from 1.31 (AnonymousAuthConfigurableEndpoints: alpha, off, in 1.31;
  beta, on, from 1.32); ``issuer.discoveryURL`` and ``issuer.audienceMatchPolicy`` from 1.30;
  ``issuer.egressSelectorType`` from 1.34 (first release tags holding the fields in
  k8s.io/apiserver ``pkg/apis/apiserver/v1alpha1/types.go``). Before, strict decoding refuses
  them (``unknown field "jwt[0].issuer.discoveryURL"``).
"""

from __future__ import annotations

import re

from oidc_doctor.authn.model import SOURCE_AUTH_CONFIG, ApiServerAuth
from oidc_doctor.record import dataclass

#: Compiled on first use (by re's cache): predict without --kube-version reads no version.
_VERSION = r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+\-]*)?\Z"


@dataclass(frozen=True)
class KubeVersion:
    """A Kubernetes release (major.minor) as written where it was read."""

    major: int
    minor: int
    text: str

    def at_least(self, minor: int) -> bool:
        """Whether this is 1.<minor> or newer."""
        return (self.major, self.minor) >= (1, minor)


def parse(text: str) -> KubeVersion | None:
    """``v1.30.2``, ``1.30``, ``v1.30.2+k3s1``, ``v1.30.0-eks-036c24b`` -> 1.30; else None."""
    m = re.match(_VERSION, text.strip())
    if not m:
        return None
    return KubeVersion(int(m.group(1)), int(m.group(2)), text.strip())


def from_image(image: str) -> str:
    """The tag of a kube-apiserver image (``registry.k8s.io/kube-apiserver:v1.30.2``), or ""."""
    name, _, tag = image.split("@", 1)[0].rpartition(":")
    if "/" in tag or not name or ("kube-apiserver" not in name and "hyperkube" not in name):
        return ""
    return tag if parse(tag) else ""


def _gate(auth: ApiServerAuth, gate: str) -> bool | None:
    """The value ``--feature-gates`` gives ``gate`` (last occurrence wins), or None."""
    value: bool | None = None
    for raw, _where in auth.flags.get("feature-gates", []):
        for part in raw.split(","):
            k, _, v = part.strip().partition("=")
            if k.strip() == gate:
                value = v.strip().lower() == "true"
    return value


def anonymous_section_enabled(auth: ApiServerAuth) -> bool:
    """Whether AnonymousAuthConfigurableEndpoints is on (unknown version: the newest, on)."""
    v = parse(auth.kube_version) if auth.kube_version else None
    if v is None or v.at_least(32):
        return True
    return v.minor == 31 and _gate(auth, "AnonymousAuthConfigurableEndpoints") is True


#: kube-apiserver's refusal of ``--anonymous-auth`` next to an ``anonymous:`` section
#: (kubernetes pkg/kubeapiserver/options/authentication.go ToAuthenticationConfig, when
#: AnonymousAuthConfigurableEndpoints is on).
ANONYMOUS_FLAG_AND_FILE = (
    "--anonymous-auth flag cannot be set when anonymous field is configured in authentication configuration file"
)


#: Before 1.29, kube-apiserver only refused one of ``--oidc-issuer-url``/``--oidc-client-id`` without
#: the other (``BuiltInAuthenticationOptions.Validate``); claim flags without both were silently
#: ignored and the server ran with no OIDC authenticator. The "when any oidc-* flags are set"
#: refusal came with ``--authentication-config`` (kubernetes PR 119142, v1.29).
LEGACY_TOGETHER = "oidc-issuer-url and oidc-client-id should be specified together"


def legacy_flag_errors(auth: ApiServerAuth) -> tuple[list[str], str | None]:
    """``auth.startup_errors`` as the API server's version words them, and a note when an older
    server silently ignored claim flags without issuer and client id (instead of refusing them)."""
    from oidc_doctor.authn.flags import TOGETHER

    v = parse(auth.kube_version) if auth.kube_version else None
    if v is None or v.major != 1 or v.at_least(29) or TOGETHER not in auth.startup_errors:
        return list(auth.startup_errors), None
    has_issuer = bool(auth.flags.get("oidc-issuer-url") and auth.flags["oidc-issuer-url"][-1][0])
    has_client = bool(auth.flags.get("oidc-client-id") and auth.flags["oidc-client-id"][-1][0])
    out = [e for e in auth.startup_errors if e != TOGETHER]
    if has_issuer != has_client:
        return [*out, LEGACY_TOGETHER], None
    note = (
        f"kube-apiserver {v.major}.{v.minor} ({auth.kube_version_ref}) ignores --oidc-* flags without "
        "--oidc-issuer-url and --oidc-client-id and runs with no OIDC authenticator (1.29 and later refuse "
        "to start instead)"
    )
    return out, note


def startup_errors(auth: ApiServerAuth) -> list[str]:
    """kube-apiserver's refusals that follow from the flags, the file and the version."""
    if auth.anonymous is not None and "anonymous-auth" in auth.flags and anonymous_section_enabled(auth):
        return [ANONYMOUS_FLAG_AND_FILE, *_version_errors(auth)]
    return _version_errors(auth)


def _version_errors(auth: ApiServerAuth) -> list[str]:
    v = parse(auth.kube_version) if auth.kube_version else None
    if v is None or v.major != 1 or auth.source != SOURCE_AUTH_CONFIG or not auth.auth_config_path:
        return []
    # A file given alone (predict --auth-config) has no command line to judge.
    flags_seen = bool(auth.flags)
    if flags_seen and not v.at_least(29):
        return ["unknown flag: --authentication-config"]
    if flags_seen and v.minor == 29 and _gate(auth, "StructuredAuthenticationConfiguration") is not True:
        return ["set --feature-gates=StructuredAuthenticationConfiguration=true to use authentication-config file"]
    if any(e.startswith("failed to load authentication configuration") for e in auth.startup_errors):
        return []
    prefix = f'failed to load authentication configuration from file "{auth.auth_config_path}": '
    served = {"v1alpha1": 29, "v1beta1": 30, "v1": 34}
    api = auth.auth_config_api
    version = api.split("/", 1)[1] if "/" in api else ""
    if version in served and not v.at_least(served[version]):
        return [
            prefix + f'no kind "AuthenticationConfiguration" is registered for version "{api}" '
            'in scheme "pkg/runtime/scheme.go:100"'
        ]
    unknown = [
        f"jwt[{i}].issuer.{name}"
        for i, a in enumerate(auth.authenticators)
        for name, value, since in (
            ("discoveryURL", a.issuer.discovery_url, 30),
            ("audienceMatchPolicy", a.issuer.audience_match_policy, 30),
            ("egressSelectorType", a.issuer.egress_selector_type, 34),
        )
        if value and not v.at_least(since)
    ]
    if auth.anonymous is not None and not v.at_least(31):
        unknown.append("anonymous")
    if unknown:
        return [prefix + "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown)]
    if auth.anonymous is not None:
        if v.minor == 31 and _gate(auth, "AnonymousAuthConfigurableEndpoints") is not True:
            return [
                "invalid authentication configuration: anonymous: Forbidden: anonymous is not supported "
                "when AnonymousAuthConfigurableEndpoints feature gate is disabled"
            ]
    return []


def describe(auth: ApiServerAuth) -> str | None:
    """A note naming the version the prediction assumed, or None when none is known."""
    if not auth.kube_version:
        return None
    v = parse(auth.kube_version)
    if v is None:
        return f"kube-apiserver version {auth.kube_version!r} ({auth.kube_version_ref}) is not a version: ignored"
    return f"rules of kube-apiserver {v.major}.{v.minor} applied ({v.text} from {auth.kube_version_ref})"
