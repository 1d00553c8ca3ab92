"""Readers: every place the API server's JWT settings live, turned into :class:`ApiServerAuth`.

- kube-apiserver Pods (static manifest or live; ``command`` and ``args``);
- kubeadm ``ClusterConfiguration`` ``apiServer.extraArgs`` (v1beta3 map, v1beta4 name/value
  list), alone or inside the ``kubeadm-config`` ConfigMap;
- k3s / RKE2 Nodes' ``k3s.io/node-args`` / ``rke2.io/node-args`` annotations
  (``--kube-apiserver-arg oidc-...=...``);
- ``AuthenticationConfiguration`` (apiserver.config.k8s.io v1alpha1, v1beta1, v1), decoded
  strictly as kube-apiserver does (unknown fields are start-up errors);
- ``aws eks describe-identity-provider-config`` JSON (EKS applies the legacy flag semantics);
- GKE ``ClientConfig`` (GKE Identity Service; same prefix semantics as the legacy flags).
"""

from __future__ import annotations

import json
from typing import Any

from oidc_doctor.authn import version
from oidc_doctor.authn.flags import Flag, parse_args, translate
from oidc_doctor.authn.model import (
    SOURCE_AUTH_CONFIG,
    SOURCE_EKS,
    SOURCE_GKE,
    AnonymousConfig,
    ApiServerAuth,
    ClaimOrExpression,
    ClaimValidationRule,
    ExtraMapping,
    JWTAuthenticator,
    PrefixedClaimOrExpression,
    UserValidationRule,
    all_signing_algs,
)

AUTH_CONFIG_GROUP = "apiserver.config.k8s.io"
AUTH_CONFIG_VERSIONS = ("v1alpha1", "v1beta1", "v1")


def _ref(where: str, obj: dict[str, Any]) -> str:
    name = _obj_name(obj)
    if not where:
        return name
    return where if name in where else f"{where} {name}"


def _obj_name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    ns, name = meta.get("namespace"), meta.get("name")
    kind = obj.get("kind", "object")
    if ns and name:
        return f"{kind} {ns}/{name}"
    return f"{kind} {name}" if name else str(kind)


def apiserver_container(pod: dict[str, Any]) -> dict[str, Any] | None:
    """The kube-apiserver container of a Pod (by name, image or command), if any."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    for c in containers:
        words = [str(w) for w in (c.get("command") or []) + (c.get("args") or [])]
        if c.get("name") == "kube-apiserver" or any("kube-apiserver" in w for w in words[:3]):
            return c
    for c in containers:
        if "kube-apiserver" in str(c.get("image", "")):
            return c
    return None


def from_pod(pod: dict[str, Any], where: str) -> ApiServerAuth | None:
    """Settings from a kube-apiserver Pod; None when it has no kube-apiserver container."""
    c = apiserver_container(pod)
    if c is None:
        return None
    words = [str(w) for w in (c.get("command") or []) + (c.get("args") or [])]
    ref = _ref(where, pod)
    auth = translate(parse_args(words, ref), ref)
    tag = version.from_image(str(c.get("image", "")))
    if tag:
        auth.kube_version, auth.kube_version_ref = tag, f"{ref} image {c.get('image')}"
    return auth


def cluster_configuration(obj: dict[str, Any]) -> dict[str, Any] | None:
    """A kubeadm ClusterConfiguration (the bundle reader unwraps the ``kubeadm-config`` ConfigMap)."""
    return obj if obj.get("kind") == "ClusterConfiguration" else None


def from_kubeadm(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """Settings from ``apiServer.extraArgs``: a map (v1beta3) or a name/value list (v1beta4)."""
    cc = cluster_configuration(obj)
    if cc is None:
        return None
    ref = f"{_ref(where, obj)} apiServer.extraArgs"
    api = cc.get("apiServer") if isinstance(cc.get("apiServer"), dict) else {}
    assert isinstance(api, dict)
    extra = api.get("extraArgs") or {}
    flags: list[Flag] = []
    if isinstance(extra, dict):
        for k, v in extra.items():
            flags.append(Flag(str(k), "" if v is None else str(v), f"{ref}.{k}"))
    elif isinstance(extra, list):
        for i, e in enumerate(extra):
            if isinstance(e, dict) and "name" in e:
                v = e.get("value")
                flags.append(Flag(str(e["name"]), "" if v is None else str(v), f"{ref}[{i}] {e['name']}"))
    auth = translate(flags, ref)
    kv = cc.get("kubernetesVersion")
    if isinstance(kv, str) and version.parse(kv):
        auth.kube_version, auth.kube_version_ref = kv, f"{_ref(where, obj)} kubernetesVersion"
    return auth


NODE_ARGS_ANNOTATIONS = ("k3s.io/node-args", "rke2.io/node-args")


def from_k3s_config(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """Settings from a k3s/RKE2 config file: ``kube-apiserver-arg`` is a list of ``name=value``
    (a single string is one value), ``kube-apiserver-arg+`` appends (drop-in files)."""
    flags: list[Flag] = []
    for key in ("kube-apiserver-arg", "kube-apiserver-arg+"):
        raw = obj.get(key)
        values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        for i, v in enumerate(values):
            if not isinstance(v, str):
                continue
            name, _, value = v.removeprefix("--").partition("=")
            flags.append(Flag(name, value, f"{where} {key}[{i}] {name}"))
    if not flags and not any(k in obj for k in ("kube-apiserver-arg", "kube-apiserver-arg+")):
        return None
    return translate(flags, f"{where} kube-apiserver-arg")


def is_vcluster_values(obj: dict[str, Any]) -> bool:
    """A vcluster release's values (``vcluster.yaml``, v0.20 and later): ``controlPlane.distro``."""
    cp = obj.get("controlPlane")
    return isinstance(cp, dict) and isinstance(cp.get("distro"), dict)


def from_vcluster(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """Settings from a vcluster's values: the virtual API server's flags are
    ``controlPlane.distro.k8s.apiServer.extraArgs`` (k8s distro) or ``--kube-apiserver-arg=…`` items of
    ``controlPlane.distro.k3s.extraArgs`` (k3s distro) (vcluster docs, config reference ``controlPlane.distro``)."""
    distro = obj["controlPlane"]["distro"]
    flags: list[Flag] = []
    k8s: dict[str, Any] = distro["k8s"] if isinstance(distro.get("k8s"), dict) else {}
    api: dict[str, Any] = k8s["apiServer"] if isinstance(k8s.get("apiServer"), dict) else {}
    for i, v in enumerate(api.get("extraArgs") or []):
        if isinstance(v, str) and v.startswith("--"):
            name, _, value = v.removeprefix("--").partition("=")
            flags.append(Flag(name, value, f"{where} controlPlane.distro.k8s.apiServer.extraArgs[{i}] {name}"))
    k3s: dict[str, Any] = distro["k3s"] if isinstance(distro.get("k3s"), dict) else {}
    for i, v in enumerate(k3s.get("extraArgs") or []):
        if isinstance(v, str) and v.startswith("--kube-apiserver-arg="):
            name, _, value = v.removeprefix("--kube-apiserver-arg=").removeprefix("--").partition("=")
            flags.append(Flag(name, value, f"{where} controlPlane.distro.k3s.extraArgs[{i}] {name}"))
    auth = translate(flags, f"{where} controlPlane.distro (vcluster)")
    kv = k8s.get("version")
    if isinstance(kv, str) and version.parse(kv):
        auth.kube_version, auth.kube_version_ref = kv, f"{where} controlPlane.distro.k8s.version"
    return auth


def is_talos_config(obj: dict[str, Any]) -> bool:
    """A Talos machine configuration (``talosctl get machineconfig -o yaml`` spec, or the file
    ``talosctl gen config`` writes): ``version: v1alpha1`` with ``machine`` and ``cluster`` sections."""
    return (
        obj.get("version") == "v1alpha1"
        and isinstance(obj.get("machine"), dict)
        and isinstance(obj.get("cluster"), dict)
    )


def from_talos(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """Settings from a Talos machine configuration: ``cluster.apiServer.extraArgs`` is a map of flag name
    to value (a list of values in newer releases) given to kube-apiserver (Talos docs, v1alpha1
    ``APIServerConfig.extraArgs``). Talos 1.14+ refuses ``oidc-*`` extra args there and configures the
    JWT authenticator in a ``KubeAuthenticationConfig`` document instead (siderolabs/talos#14279,
    #14352: ``kube-apiserver extra argument "oidc-signing-algs" is not allowed: use
    KubeAuthenticationConfig``); that document is read as an AuthenticationConfiguration (bundle.py)."""
    cluster = obj["cluster"]
    api = cluster.get("apiServer") if isinstance(cluster.get("apiServer"), dict) else {}
    assert isinstance(api, dict)
    extra = api.get("extraArgs")
    ref = f"{where} cluster.apiServer.extraArgs (Talos)"
    flags: list[Flag] = []
    for k, v in extra.items() if isinstance(extra, dict) else []:
        values = v if isinstance(v, list) else [v]
        for value in values:
            flags.append(Flag(str(k).removeprefix("--"), "" if value is None else str(value), f"{ref}.{k}"))
    auth = translate(flags, ref)
    image = api.get("image")
    if isinstance(image, str) and ":" in image:
        tag = image.rsplit(":", 1)[1]
        if version.parse(tag):
            auth.kube_version, auth.kube_version_ref = tag, f"{where} cluster.apiServer.image"
    return auth


def kube_oidc_proxy_container(workload: dict[str, Any]) -> dict[str, Any] | None:
    """The kube-oidc-proxy container of a Deployment/StatefulSet/DaemonSet/Pod: its image names
    ``kube-oidc-proxy``, or its command runs it with ``--oidc-issuer-url`` (jetstack/kube-oidc-proxy
    ``cmd/app/options``: the OIDC flags are kube-apiserver's own, vendored from k8s.io/apiserver)."""
    spec = workload.get("spec") if isinstance(workload.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    template = spec.get("template") if isinstance(spec.get("template"), dict) else None
    pod_spec = template.get("spec") if isinstance(template, dict) else spec
    containers = pod_spec.get("containers") if isinstance(pod_spec, dict) else None
    for c in containers if isinstance(containers, list) else []:
        if not isinstance(c, dict):
            continue
        words = [str(w) for w in (c.get("command") or []) + (c.get("args") or []) if isinstance(w, str | int)]
        image = str(c.get("image") or "")
        if "kube-oidc-proxy" in image or any(w.endswith("kube-oidc-proxy") for w in words[:1]):
            if any(w.startswith("--oidc-issuer-url") for w in words):
                return c
    return None


def from_kube_oidc_proxy(workload: dict[str, Any], where: str) -> ApiServerAuth | None:
    """The JWT settings of a kube-oidc-proxy: its ``--oidc-*`` flags, judged as kube-apiserver judges
    its own (kube-oidc-proxy builds the same authenticator from them), then it impersonates the user."""
    c = kube_oidc_proxy_container(workload)
    if c is None:
        return None
    ref = f"{_ref(where, workload)} container {c.get('name', '?')} (kube-oidc-proxy)"
    words = [str(w) for w in (c.get("command") or []) + (c.get("args") or []) if isinstance(w, str | int)]
    flags: list[Flag] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if not w.startswith("--oidc-"):
            continue
        name, eq, value = w.removeprefix("--").partition("=")
        if not eq and i < len(words) and not words[i].startswith("--"):
            value, i = words[i], i + 1
        flags.append(Flag(name, value, f"{ref} {w.split('=', 1)[0]}"))
    return translate(flags, ref)


#: OpenShift ``authentications.config.openshift.io`` (openshift/api config/v1/types_authentication.go):
#: with ``spec.type: OIDC`` (4.15+ external OIDC) kube-apiserver runs a JWT authenticator per
#: ``spec.oidcProviders[]``.
def is_openshift_oidc(obj: dict[str, Any]) -> bool:
    """An OpenShift cluster ``Authentication`` with ``spec.type: OIDC``."""
    spec = obj.get("spec")
    return (
        obj.get("kind") == "Authentication"
        and str(obj.get("apiVersion", "")).startswith("config.openshift.io/")
        and isinstance(spec, dict)
        and spec.get("type") == "OIDC"
    )


def from_openshift(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """The JWT authenticators of an OpenShift external-OIDC ``Authentication``, as an
    AuthenticationConfiguration: ``issuer.issuerURL`` and ``audiences``; ``claimMappings.username``
    with ``prefixPolicy`` ``Prefix`` (``prefix.prefixString``), ``NoPrefix``, or omitted — "the platform
    prepends `{issuerURL}#` to the value of the JWT claim when the claim is not 'email'"
    (types_authentication.go); ``claimMappings.groups`` ``{claim, prefix}``; ``claimValidationRules``
    of type ``RequiredClaim``."""
    if not is_openshift_oidc(obj):
        return None
    ref = _ref(where, obj)
    jwt: list[dict[str, Any]] = []
    for provider in obj["spec"].get("oidcProviders") or []:
        if not isinstance(provider, dict):
            continue
        issuer = provider.get("issuer") if isinstance(provider.get("issuer"), dict) else {}
        assert isinstance(issuer, dict)
        url = str(issuer.get("issuerURL") or "")
        audiences = [str(a) for a in issuer.get("audiences") or [] if isinstance(a, str)]
        cm = provider.get("claimMappings") if isinstance(provider.get("claimMappings"), dict) else {}
        assert isinstance(cm, dict)
        user = cm.get("username") if isinstance(cm.get("username"), dict) else {}
        assert isinstance(user, dict)
        claim = str(user.get("claim") or "sub")
        policy = user.get("prefixPolicy") or ""
        if policy == "Prefix":
            pfx = user.get("prefix")
            prefix = str(pfx.get("prefixString", "")) if isinstance(pfx, dict) else ""
        elif policy == "NoPrefix":
            prefix = ""
        else:
            prefix = "" if claim == "email" else f"{url}#"
        mappings: dict[str, Any] = {"username": {"claim": claim, "prefix": prefix}}
        groups = cm.get("groups")
        if isinstance(groups, dict) and groups.get("claim"):
            mappings["groups"] = {"claim": str(groups["claim"]), "prefix": str(groups.get("prefix") or "")}
        rules = []
        for r in provider.get("claimValidationRules") or []:
            req = r.get("requiredClaim") if isinstance(r, dict) else None
            if isinstance(req, dict) and req.get("claim"):
                rules.append({"claim": str(req["claim"]), "requiredValue": str(req.get("requiredValue") or "")})
        entry: dict[str, Any] = {
            "issuer": {"url": url, "audiences": audiences}
            | ({"audienceMatchPolicy": "MatchAny"} if len(audiences) > 1 else {}),
            "claimMappings": mappings,
        }
        if rules:
            entry["claimValidationRules"] = rules
        jwt.append(entry)
    config = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": jwt}
    return parse_auth_config(config, f"{ref} spec.oidcProviders (OpenShift)")


def from_node(node: dict[str, Any], where: str) -> ApiServerAuth | None:
    """Settings from a k3s/RKE2 server node's ``node-args`` annotation, a k3s/RKE2 config file, a
    vcluster's values (the virtual API server's flags), a Talos machine configuration, or an
    installer's file (k0s, k0sctl, kOps, RKE1, kubespray, minikube: :mod:`oidc_doctor.authn.platforms`)."""
    from oidc_doctor.authn import platforms  # (installers' files: not on predict's flags path)

    from_installer = platforms.from_platform(node, where)
    if from_installer is not None:
        return from_installer
    if "kind" not in node:
        if is_vcluster_values(node):
            return from_vcluster(node, where)
        if is_talos_config(node):
            return from_talos(node, where)
        return from_k3s_config(node, where)
    meta = node.get("metadata") if isinstance(node.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    ann = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    assert isinstance(ann, dict)
    for key in NODE_ARGS_ANNOTATIONS:
        raw = ann.get(key)
        if not isinstance(raw, str):
            continue
        try:
            words = json.loads(raw)
        except json.JSONDecodeError:
            words = raw.split()
        if not isinstance(words, list):
            continue
        ref = f"{_ref(where, node)} {key}"
        flags: list[Flag] = []
        from oidc_doctor.authn import platforms

        for value in platforms.kube_apiserver_args([str(w) for w in words]):
            name, _, v = value.partition("=")
            flags.append(Flag(name, v, f"{ref} --kube-apiserver-arg {name}"))
        auth = translate(flags, ref)
        status = node.get("status") if isinstance(node.get("status"), dict) else {}
        assert isinstance(status, dict)
        info = status.get("nodeInfo") if isinstance(status.get("nodeInfo"), dict) else {}
        assert isinstance(info, dict)
        kubelet = info.get("kubeletVersion")
        if isinstance(kubelet, str) and version.parse(kubelet):
            # k3s/RKE2 run the API server in the same binary as the kubelet.
            auth.kube_version, auth.kube_version_ref = kubelet, f"{_ref(where, node)} status.nodeInfo.kubeletVersion"
        return auth
    return None


# --- AuthenticationConfiguration -------------------------------------------------------------

_KNOWN: dict[str, tuple[str, ...]] = {
    "": ("apiVersion", "kind", "jwt", "anonymous"),
    "jwt": ("issuer", "claimValidationRules", "claimMappings", "userValidationRules"),
    "issuer": (
        "url",
        "discoveryURL",
        "certificateAuthority",
        "audiences",
        "audienceMatchPolicy",
        "egressSelectorType",
    ),
    "claimValidationRules": ("claim", "requiredValue", "expression", "message"),
    "claimMappings": ("username", "groups", "uid", "extra"),
    "username": ("claim", "prefix", "expression"),
    "groups": ("claim", "prefix", "expression"),
    "uid": ("claim", "expression"),
    "extra": ("key", "valueExpression"),
    "userValidationRules": ("expression", "message"),
    "anonymous": ("enabled", "conditions"),
    "conditions": ("path",),
}


class _Decoder:
    """Strict decoding of an AuthenticationConfiguration, collecting kube's error texts."""

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.type_errors: list[str] = []

    def check_keys(self, obj: dict[str, Any], section: str, path: str) -> None:
        for k in obj:
            if k not in _KNOWN[section]:
                self.unknown.append(f"{path}.{k}" if path else str(k))

    def obj(self, v: object, path: str, go_type: str) -> dict[str, Any]:
        if v is None:
            return {}
        if not isinstance(v, dict):
            self.type_errors.append(_type_error(v, path, go_type))
            return {}
        return v

    def lst(self, v: object, path: str, go_type: str) -> list[Any]:
        if v is None:
            return []
        if not isinstance(v, list):
            self.type_errors.append(_type_error(v, path, go_type))
            return []
        return v

    def str_(self, d: dict[str, Any], key: str, path: str, struct: str) -> str:
        v = d.get(key)
        if v is None:
            return ""
        if not isinstance(v, str):
            self.type_errors.append(_type_error(v, f"{path}.{key}" if path else key, "string", struct))
            return ""
        return v


def _type_error(v: object, path: str, go_type: str, struct: str = "") -> str:
    from oidc_doctor.authn.goformat import json_kind

    where = f"Go struct field {struct}.{path}" if struct else "Go value"
    return f"json: cannot unmarshal {json_kind(v)} into {where} of type {go_type}"


def is_auth_config(obj: object) -> bool:
    """Whether ``obj`` is an AuthenticationConfiguration of a version kube-apiserver reads."""
    if not isinstance(obj, dict) or obj.get("kind") != "AuthenticationConfiguration":
        return False
    api = str(obj.get("apiVersion", ""))
    return api.split("/")[0] == AUTH_CONFIG_GROUP


def parse_auth_config(obj: dict[str, Any], where: str, path: str | None = None) -> ApiServerAuth:
    """An AuthenticationConfiguration as kube-apiserver loads it (strict decoding).

    Decode errors become ``startup_errors`` in kube-apiserver's words:
    ``failed to load authentication configuration from file "<path>": strict decoding error:
    unknown field "jwt[0].issuer.foo"``.
    """
    ref = where or "AuthenticationConfiguration"
    auth = ApiServerAuth(source=SOURCE_AUTH_CONFIG, ref=ref, auth_config_path=path)
    auth.signing_algs = all_signing_algs()
    auth.signing_algs_ref = f"{ref} (all asymmetric algorithms are allowed with --authentication-config)"
    api = str(obj.get("apiVersion", ""))
    auth.auth_config_api = api
    version = api.split("/", 1)[1] if "/" in api else ""
    prefix = f'failed to load authentication configuration from file "{path or where}": '
    if version not in AUTH_CONFIG_VERSIONS:
        auth.startup_errors.append(
            prefix + f'no kind "AuthenticationConfiguration" is registered for version "{api}" '
            'in scheme "pkg/runtime/scheme.go:100"'
        )
        return auth
    d = _Decoder()
    d.check_keys(obj, "", "")
    for i, raw in enumerate(d.lst(obj.get("jwt"), "jwt", "[]v1.JWTAuthenticator")):
        p = f"jwt[{i}]"
        j = d.obj(raw, p, "v1.JWTAuthenticator")
        d.check_keys(j, "jwt", p)
        a = JWTAuthenticator(ref=f"{ref} {p}")
        iss = d.obj(j.get("issuer"), f"{p}.issuer", "v1.Issuer")
        d.check_keys(iss, "issuer", f"{p}.issuer")
        a.issuer.url = d.str_(iss, "url", "jwt.issuer", "JWTAuthenticator")
        a.issuer.discovery_url = d.str_(iss, "discoveryURL", "jwt.issuer", "JWTAuthenticator")
        a.issuer.certificate_authority = d.str_(iss, "certificateAuthority", "jwt.issuer", "JWTAuthenticator")
        a.issuer.audience_match_policy = d.str_(iss, "audienceMatchPolicy", "jwt.issuer", "JWTAuthenticator")
        a.issuer.egress_selector_type = d.str_(iss, "egressSelectorType", "jwt.issuer", "JWTAuthenticator")
        auds = d.lst(iss.get("audiences"), f"{p}.issuer.audiences", "[]string")
        a.issuer.audiences = ["" if x is None else x if isinstance(x, str) else str(x) for x in auds]
        for key in ("url", "discoveryURL", "audiences", "audienceMatchPolicy", "certificateAuthority"):
            a.origins[f"issuer.{key}"] = f"{ref} {p}.issuer.{key}"
        for k, rr in enumerate(d.lst(j.get("claimValidationRules"), f"{p}.claimValidationRules", "[]")):
            rp = f"{p}.claimValidationRules[{k}]"
            r = d.obj(rr, rp, "v1.ClaimValidationRule")
            d.check_keys(r, "claimValidationRules", rp)
            a.claim_validation_rules.append(
                ClaimValidationRule(
                    claim=d.str_(r, "claim", rp, "ClaimValidationRule"),
                    required_value=d.str_(r, "requiredValue", rp, "ClaimValidationRule"),
                    expression=d.str_(r, "expression", rp, "ClaimValidationRule"),
                    message=d.str_(r, "message", rp, "ClaimValidationRule"),
                )
            )
            a.origins[f"claimValidationRules[{k}]"] = f"{ref} {rp}"
        cm = d.obj(j.get("claimMappings"), f"{p}.claimMappings", "v1.ClaimMappings")
        d.check_keys(cm, "claimMappings", f"{p}.claimMappings")
        for name in ("username", "groups"):
            mp = f"{p}.claimMappings.{name}"
            m = d.obj(cm.get(name), mp, "v1.PrefixedClaimOrExpression")
            d.check_keys(m, name, mp)
            pce = PrefixedClaimOrExpression(
                claim=d.str_(m, "claim", mp, "PrefixedClaimOrExpression"),
                expression=d.str_(m, "expression", mp, "PrefixedClaimOrExpression"),
            )
            if "prefix" in m:
                # A present-but-null prefix decodes to a nil pointer in Go.
                pce.prefix = None if m["prefix"] is None else d.str_(m, "prefix", mp, "PrefixedClaimOrExpression")
            setattr(a.claim_mappings, name, pce)
            for key in ("claim", "prefix", "expression"):
                a.origins[f"claimMappings.{name}.{key}"] = f"{ref} {mp}.{key}"
        up = f"{p}.claimMappings.uid"
        u = d.obj(cm.get("uid"), up, "v1.ClaimOrExpression")
        d.check_keys(u, "uid", up)
        a.claim_mappings.uid = ClaimOrExpression(
            claim=d.str_(u, "claim", up, "ClaimOrExpression"),
            expression=d.str_(u, "expression", up, "ClaimOrExpression"),
        )
        a.origins["claimMappings.uid.claim"] = f"{ref} {up}.claim"
        a.origins["claimMappings.uid.expression"] = f"{ref} {up}.expression"
        for k, ee in enumerate(d.lst(cm.get("extra"), f"{p}.claimMappings.extra", "[]")):
            ep = f"{p}.claimMappings.extra[{k}]"
            e = d.obj(ee, ep, "v1.ExtraMapping")
            d.check_keys(e, "extra", ep)
            a.claim_mappings.extra.append(
                ExtraMapping(
                    key=d.str_(e, "key", ep, "ExtraMapping"),
                    value_expression=d.str_(e, "valueExpression", ep, "ExtraMapping"),
                )
            )
            a.origins[f"claimMappings.extra[{k}]"] = f"{ref} {ep}"
        for k, uu in enumerate(d.lst(j.get("userValidationRules"), f"{p}.userValidationRules", "[]")):
            vp = f"{p}.userValidationRules[{k}]"
            v = d.obj(uu, vp, "v1.UserValidationRule")
            d.check_keys(v, "userValidationRules", vp)
            a.user_validation_rules.append(
                UserValidationRule(
                    expression=d.str_(v, "expression", vp, "UserValidationRule"),
                    message=d.str_(v, "message", vp, "UserValidationRule"),
                )
            )
            a.origins[f"userValidationRules[{k}]"] = f"{ref} {vp}"
        auth.authenticators.append(a)
    if obj.get("anonymous") is not None:
        anon = d.obj(obj.get("anonymous"), "anonymous", "v1.AnonymousAuthConfig")
        d.check_keys(anon, "anonymous", "anonymous")
        auth.anonymous = AnonymousConfig(enabled=anon.get("enabled") is True)
        for k, cc in enumerate(d.lst(anon.get("conditions"), "anonymous.conditions", "[]v1.AnonymousAuthCondition")):
            cp = f"anonymous.conditions[{k}]"
            c = d.obj(cc, cp, "v1.AnonymousAuthCondition")
            d.check_keys(c, "conditions", cp)
            auth.anonymous.condition_paths.append(d.str_(c, "path", cp, "AnonymousAuthCondition"))
    if d.type_errors:
        auth.startup_errors.append(prefix + d.type_errors[0])
    elif d.unknown:
        # k8s.io/apimachinery strict decoding: all unknown fields, in one message.
        auth.startup_errors.append(
            prefix + "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in d.unknown)
        )
    if len(auth.authenticators) > 64:
        auth.startup_errors.append(
            f"invalid authentication configuration: jwt: Too many: {len(auth.authenticators)}: "
            "must have at most 64 items"
        )
    return auth


def link_auth_config(flags_auth: ApiServerAuth, config: ApiServerAuth) -> ApiServerAuth:
    """Combine a Pod's flags (naming ``--authentication-config``) with the file's content."""
    config.ref = f"{config.ref} (--authentication-config={flags_auth.auth_config_path} of {flags_auth.ref})"
    if config.auth_config_path and flags_auth.auth_config_path:
        old, new = (
            f"from file {json.dumps(config.auth_config_path)}",
            f"from file {json.dumps(flags_auth.auth_config_path)}",
        )
        config.startup_errors = [e.replace(old, new) for e in config.startup_errors]
    config.auth_config_path = flags_auth.auth_config_path
    config.disallowed_issuers = list(flags_auth.disallowed_issuers)
    config.flags = flags_auth.flags
    config.startup_errors = [*flags_auth.startup_errors, *config.startup_errors]
    config.kube_version, config.kube_version_ref = flags_auth.kube_version, flags_auth.kube_version_ref
    return config


#: Kinds the API server's config scheme knows in apiserver.config.k8s.io besides
#: AuthenticationConfiguration (k8s.io/apiserver pkg/apis/apiserver/v1*/register.go); a file of
#: one of these decodes, then is refused as the wrong type.
_OTHER_CONFIG_KINDS = {"AuthorizationConfiguration": "*apiserver.AuthorizationConfiguration"}


def load_auth_config_file(text: str, docs: list[Any], path: str) -> ApiServerAuth:
    """The file named by ``--authentication-config``, loaded as kube-apiserver loads it.

    kubernetes ``pkg/kubeapiserver/options/authentication.go`` ``loadAuthenticationConfig``:
    empty data, a missing ``kind`` or ``apiVersion``, an unregistered group, version or kind
    are start-up failures ``failed to load authentication configuration from file "<path>":
    <reason>`` (apimachinery ``runtime.NewMissingKindErr`` etc. quote the file's text). They
    come back as ``startup_errors`` of an empty configuration, never as an input error.
    """
    loadable = [d for d in docs if is_auth_config(d)]
    if loadable:
        return parse_auth_config(loadable[0], path, path)
    auth = ApiServerAuth(source=SOURCE_AUTH_CONFIG, ref=path, auth_config_path=path)
    auth.signing_algs = all_signing_algs()
    prefix = f'failed to load authentication configuration from file "{path}": '
    first = docs[0] if docs else None
    if not text:
        reason = "empty config data"
    elif not isinstance(first, dict) or not first.get("kind"):
        # The serializer checks kind before apiVersion and quotes the original bytes.
        reason = f"Object 'Kind' is missing in '{text}'"
    elif not first.get("apiVersion"):
        reason = f"Object 'apiVersion' is missing in '{text}'"
    else:
        api, kind = str(first["apiVersion"]), str(first["kind"])
        version = api.split("/", 1)[1] if "/" in api else ""
        if api.split("/")[0] == AUTH_CONFIG_GROUP and version in AUTH_CONFIG_VERSIONS and kind in _OTHER_CONFIG_KINDS:
            reason = f"expected AuthenticationConfiguration, got {_OTHER_CONFIG_KINDS[kind]}"
        else:
            reason = f'no kind "{kind}" is registered for version "{api}" in scheme "pkg/runtime/scheme.go:100"'
    auth.startup_errors.append(prefix + reason)
    return auth


#: The algorithms a Pinniped JWTAuthenticator accepts are not read from it; every asymmetric one is
#: assumed (Pinniped's Supervisor signs ES256), so no algorithm finding is made up for it.
_PINNIPED_ALGS = "RS256,RS384,RS512,ES256,ES384,ES512,PS256,PS384,PS512"


def from_pinniped(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """A Pinniped Concierge ``JWTAuthenticator``: the Concierge, not kube-apiserver, validates the token
    (``spec.issuer``, one ``spec.audience``, ``spec.claims.username``/``groups``, defaults ``username`` and
    ``groups``, no prefixes; pinniped ``apis/concierge/authentication/v1alpha1`` JWTAuthenticatorSpec)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    name = meta.get("name") or ""
    ref = where if "JWTAuthenticator" in where else f"{where} Pinniped JWTAuthenticator {name}".strip()
    claims = spec.get("claims") if isinstance(spec.get("claims"), dict) else {}
    assert isinstance(claims, dict)
    flags = [
        Flag("oidc-username-prefix", "-", f"{ref} (no prefix)"),
        Flag("oidc-signing-algs", _PINNIPED_ALGS, f"{ref} (algorithms not read)"),
    ]
    for key, flag, default in (
        ("issuer", "oidc-issuer-url", None),
        ("audience", "oidc-client-id", None),
        ("username", "oidc-username-claim", "username"),
        ("groups", "oidc-groups-claim", "groups"),
    ):
        src = spec if key in ("issuer", "audience") else claims
        v = src.get(key) or default
        if isinstance(v, str) and v:
            flags.append(Flag(flag, v, f"{ref} spec.{'' if src is spec else 'claims.'}{key}"))
    return translate(flags, ref)


def from_eks(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """``aws eks describe-identity-provider-config`` output: EKS runs the legacy OIDC flags."""
    ipc = obj.get("identityProviderConfig")
    oidc = ipc.get("oidc") if isinstance(ipc, dict) else None
    if not isinstance(oidc, dict):
        return None
    name = oidc.get("identityProviderConfigName") or "identity provider config"
    ref = f"{where} EKS {name}" if where else f"EKS {name}"
    flags: list[Flag] = []
    mapping = {
        "issuerUrl": "oidc-issuer-url",
        "clientId": "oidc-client-id",
        "usernameClaim": "oidc-username-claim",
        "usernamePrefix": "oidc-username-prefix",
        "groupsClaim": "oidc-groups-claim",
        "groupsPrefix": "oidc-groups-prefix",
    }
    for key, flag in mapping.items():
        v = oidc.get(key)
        if isinstance(v, str) and v != "":
            flags.append(Flag(flag, v, f"{ref} oidc.{key}"))
    req = oidc.get("requiredClaims")
    if isinstance(req, dict):
        for k, v in req.items():
            flags.append(Flag("oidc-required-claim", f"{k}={v}", f"{ref} oidc.requiredClaims.{k}"))
    status = oidc.get("status")
    if isinstance(status, str) and status != "ACTIVE":
        # CREATING (associating takes 20-40 minutes) or DELETING: the control plane does not run
        # these settings, so no OIDC token is accepted yet (aws eks describe-identity-provider-config).
        auth = translate([], ref, SOURCE_EKS)
        auth.notes.append(f"EKS reports the identity provider config as {status}: it is not in effect")
        return auth
    return translate(flags, ref, SOURCE_EKS)


def from_gke(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """A GKE ``ClientConfig``: each ``spec.authentication[].oidc`` is one authenticator."""
    if obj.get("kind") != "ClientConfig":
        return None
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    ref = _ref(where, obj)
    auth = ApiServerAuth(source=SOURCE_GKE, ref=ref)
    auth.signing_algs = ["RS256"]
    auth.signing_algs_ref = f"{ref} (GKE Identity Service)"
    for i, entry in enumerate(spec.get("authentication") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("oidc"), dict):
            continue
        o = entry["oidc"]
        eref = f"{ref} spec.authentication[{i}].oidc"
        flags = [
            Flag(flag, str(o[key]), f"{eref}.{key}")
            for key, flag in (
                ("issuerURI", "oidc-issuer-url"),
                ("clientID", "oidc-client-id"),
                ("userClaim", "oidc-username-claim"),
                ("userPrefix", "oidc-username-prefix"),
                ("groupsClaim", "oidc-groups-claim"),
                ("groupPrefix", "oidc-groups-prefix"),
            )
            if isinstance(o.get(key), str) and o.get(key) != ""
        ]
        sub = translate(flags, eref, SOURCE_GKE)
        auth.authenticators.extend(sub.authenticators)
        auth.startup_errors.extend(sub.startup_errors)
    auth.notes.append(
        "GKE Identity Service validates these tokens, not kube-apiserver's own authenticator: "
        "the rules are the same, its log wording may differ"
    )
    return auth
