"""API server flags from the installers users paste: k0s, k0sctl, RKE1, kubespray, Cluster API, and
kube-apiserver command lines (microk8s args files, systemd units, ``ps`` output).

Each reader turns one platform's own file into :class:`ApiServerAuth` through the same
:func:`oidc_doctor.authn.flags.translate` the Pod reader uses, with every flag's ref naming the
field the user edits (``spec.api.extraArgs.oidc-issuer-url``, ``kube_oidc_url``), so a fix points at
the platform's file, not at a manifest the platform writes for itself.

Where each platform keeps the flags (outside facts):

- k0s ``ClusterConfig`` (k0s.k0sproject.io/v1beta1): ``spec.api.extraArgs``, a map of flag names
  without dashes to string values (docs.k0sproject.io, "Configuration options", ``spec.api``).
  k0sctl's ``Cluster`` (k0sctl.k0sproject.io/v1beta1) embeds it as ``spec.k0s.config``, beside
  ``spec.k0s.version``.
- RKE1 ``cluster.yml``: ``services.kube-api.extra_args`` (map) and ``extra_args_array`` (map of
  lists, RKE v1.3+); Rancher's cluster YAML nests it under ``rancher_kubernetes_engine_config``
  (rancher.com/docs/rke/latest/en/config-options/services/services-extras/).
- kubespray ``group_vars``: ``kube_oidc_*`` variables, written as ``--oidc-*`` flags only when
  ``kube_oidc_auth`` is true and both ``kube_oidc_url`` and ``kube_oidc_client_id`` are set
  (kubespray roles/kubernetes/control-plane/templates/kubeadm-config.v1beta3.yaml.j2), plus
  ``kube_kubeadm_apiserver_extra_args`` (a map, written after them).
- kOps ``Cluster`` (kops.k8s.io/v1alpha2): ``spec.kubeAPIServer.oidc*`` fields, each a flag
  (kops pkg/apis/kops/componentconfig.go: ``oidcIssuerURL`` → ``--oidc-issuer-url`` …,
  ``oidcRequiredClaim`` a list of ``key=value``), or ``spec.authentication.oidc`` (newer kOps:
  ``issuerURL``, ``clientID``, ``usernameClaim``, ``usernamePrefix``, ``groupsClaims`` (a list),
  ``groupsPrefix``, ``requiredClaims`` (a map)), with ``spec.kubernetesVersion``.
- minikube's profile (``~/.minikube/profiles/NAME/config.json``): ``KubernetesConfig.ExtraOptions``
  items of ``Component: apiserver``; on its command line ``--extra-config=apiserver.NAME=VALUE``.
- Cluster API ``KubeadmControlPlane`` / ``KubeadmControlPlaneTemplate``
  (controlplane.cluster.x-k8s.io): ``spec[.template.spec].kubeadmConfigSpec.clusterConfiguration``,
  a kubeadm ClusterConfiguration (``apiServer.extraArgs``: a map in v1beta1, a name/value list in
  v1beta2), with ``spec.version``.
- A kube-apiserver command line: ``/var/snap/microk8s/current/args/kube-apiserver`` (one flag per
  line), the manifest's lines a ``grep oidc`` printed (``- --oidc-issuer-url=...``), a systemd
  unit's ``ExecStart=…/kube-apiserver \\`` with continuation lines
  (kubernetes-the-hard-way), or a ``ps``/``/proc/PID/cmdline`` line.
"""

from __future__ import annotations

import re
from typing import Any

from oidc_doctor.authn import version
from oidc_doctor.authn.flags import Flag, translate
from oidc_doctor.authn.model import ApiServerAuth

K0S_API = "k0s.k0sproject.io/"
K0SCTL_API = "k0sctl.k0sproject.io/"
KOPS_API = "kops.k8s.io/"

#: kOps ``spec.kubeAPIServer`` fields and their flags (componentconfig.go ``flag:`` tags).
KOPS_APISERVER_FIELDS = (
    ("oidcIssuerURL", "oidc-issuer-url"),
    ("oidcClientID", "oidc-client-id"),
    ("oidcUsernameClaim", "oidc-username-claim"),
    ("oidcUsernamePrefix", "oidc-username-prefix"),
    ("oidcGroupsClaim", "oidc-groups-claim"),
    ("oidcGroupsPrefix", "oidc-groups-prefix"),
    ("oidcCAFile", "oidc-ca-file"),
    ("oidcRequiredClaim", "oidc-required-claim"),
    ("authenticationConfigFile", "authentication-config"),
)
#: kOps ``spec.authentication.oidc`` fields and their flags.
KOPS_AUTH_FIELDS = (
    ("issuerURL", "oidc-issuer-url"),
    ("clientID", "oidc-client-id"),
    ("usernameClaim", "oidc-username-claim"),
    ("usernamePrefix", "oidc-username-prefix"),
    ("groupsClaims", "oidc-groups-claim"),
    ("groupsPrefix", "oidc-groups-prefix"),
)
CAPI_KCP_API = "controlplane.cluster.x-k8s.io/"
CAPI_KCP_KINDS = ("KubeadmControlPlane", "KubeadmControlPlaneTemplate")

#: kubespray's OIDC variables and the flag each becomes (kubeadm-config.v1beta3.yaml.j2).
KUBESPRAY_OIDC_VARS = (
    ("kube_oidc_url", "oidc-issuer-url"),
    ("kube_oidc_client_id", "oidc-client-id"),
    ("kube_oidc_ca_file", "oidc-ca-file"),
    ("kube_oidc_username_claim", "oidc-username-claim"),
    ("kube_oidc_groups_claim", "oidc-groups-claim"),
    ("kube_oidc_username_prefix", "oidc-username-prefix"),
    ("kube_oidc_groups_prefix", "oidc-groups-prefix"),
)
KUBESPRAY_EXTRA_ARGS = "kube_kubeadm_apiserver_extra_args"


def _dict(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _text(v: object) -> str:
    """A YAML scalar as the Go side reads it into a string flag (``true`` → ``true``)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def platform_of(obj: dict[str, Any]) -> str:
    """The installer whose settings file ``obj`` is ("" when none): k0s, k0sctl, rke, kubespray."""
    api, kind = str(obj.get("apiVersion", "")), obj.get("kind")
    if kind == "ClusterConfig" and api.startswith(K0S_API):
        return "k0s"
    if kind == "Cluster" and api.startswith(K0SCTL_API):
        return "k0sctl"
    if kind == "Cluster" and api.startswith(KOPS_API):
        return "kops"
    if kind is None:
        rke = _dict(obj.get("rancher_kubernetes_engine_config")) or obj
        if isinstance(_dict(rke.get("services")).get("kube-api"), dict):
            return "rke"
        if any(k in obj for k, _ in KUBESPRAY_OIDC_VARS) or "kube_oidc_auth" in obj or KUBESPRAY_EXTRA_ARGS in obj:
            return "kubespray"
        if isinstance(_dict(obj.get("KubernetesConfig")).get("ExtraOptions"), list):
            return "minikube"
    return ""


def _with_version(auth: ApiServerAuth, value: object, ref: str) -> ApiServerAuth:
    """``auth`` with the Kubernetes version a platform file names (when it parses as one)."""
    if isinstance(value, str) and version.parse(value):
        auth.kube_version, auth.kube_version_ref = value, ref
    return auth


def _extra_args_map(extra: object, ref: str) -> list[Flag]:
    return [Flag(str(k), _text(v), f"{ref}.{k}") for k, v in _dict(extra).items()]


def _k0s_flags(config: dict[str, Any], ref: str) -> list[Flag]:
    api = _dict(_dict(config.get("spec")).get("api"))
    return _extra_args_map(api.get("extraArgs"), f"{ref} spec.api.extraArgs")


def from_platform(obj: dict[str, Any], where: str) -> ApiServerAuth | None:
    """The API server settings an installer's file holds, or None when ``obj`` is none of them."""
    platform = platform_of(obj)
    if platform == "k0s":
        return translate(_k0s_flags(obj, where), f"{where} (k0s ClusterConfig spec.api.extraArgs)")
    if platform == "k0sctl":
        k0s = _dict(_dict(obj.get("spec")).get("k0s"))
        ref = f"{where} spec.k0s.config"
        auth = translate(_k0s_flags(_dict(k0s.get("config")), ref), f"{ref} (k0sctl)")
        return _with_version(auth, k0s.get("version"), f"{where} spec.k0s.version")
    if platform == "rke":
        return _from_rke(obj, where)
    if platform == "kops":
        return _from_kops(obj, where)
    if platform == "minikube":
        return _from_minikube(obj, where)
    if platform == "kubespray":
        return _from_kubespray(obj, where)
    return None


def _from_rke(obj: dict[str, Any], where: str) -> ApiServerAuth:
    nested = "rancher_kubernetes_engine_config" in obj
    root = _dict(obj.get("rancher_kubernetes_engine_config")) if nested else obj
    base = f"{where} {'rancher_kubernetes_engine_config.' if nested else ''}services.kube-api"
    api = _dict(_dict(root.get("services")).get("kube-api"))
    flags = _extra_args_map(api.get("extra_args"), f"{base}.extra_args")
    for name, values in _dict(api.get("extra_args_array")).items():
        for i, v in enumerate(values if isinstance(values, list) else [values]):
            flags.append(Flag(str(name), _text(v), f"{base}.extra_args_array.{name}[{i}]"))
    auth = translate(flags, f"{base} (RKE)")
    return _with_version(auth, root.get("kubernetes_version"), f"{where} kubernetes_version")


def _from_kops(obj: dict[str, Any], where: str) -> ApiServerAuth:
    spec = _dict(obj.get("spec"))
    flags: list[Flag] = []
    api = _dict(spec.get("kubeAPIServer"))
    for field, flag in KOPS_APISERVER_FIELDS:
        v = api.get(field)
        for i, item in enumerate(v if isinstance(v, list) else [] if v is None else [v]):
            ref = f"{where} spec.kubeAPIServer.{field}" + (f"[{i}]" if isinstance(v, list) else "")
            flags.append(Flag(flag, _text(item), ref))
    oidc = _dict(_dict(spec.get("authentication")).get("oidc"))
    for field, flag in KOPS_AUTH_FIELDS:
        v = oidc.get(field)
        if isinstance(v, list):  # groupsClaims: kOps writes the list as one comma-joined flag value
            v = ",".join(_text(x) for x in v)
        if v is not None:
            flags.append(Flag(flag, _text(v), f"{where} spec.authentication.oidc.{field}"))
    for k, v in _dict(oidc.get("requiredClaims")).items():
        flags.append(
            Flag("oidc-required-claim", f"{k}={_text(v)}", f"{where} spec.authentication.oidc.requiredClaims.{k}")
        )
    auth = translate(flags, f"{where} (kOps Cluster spec)")
    return _with_version(auth, spec.get("kubernetesVersion"), f"{where} spec.kubernetesVersion")


def _from_minikube(obj: dict[str, Any], where: str) -> ApiServerAuth:
    """``~/.minikube/profiles/NAME/config.json``: ``KubernetesConfig.ExtraOptions`` items with
    ``Component: apiserver`` are its flags (minikube pkg/minikube/config/types.go, ExtraOption)."""
    kc = _dict(obj.get("KubernetesConfig"))
    flags = [
        Flag(str(o.get("Key")), _text(o.get("Value")), f"{where} KubernetesConfig.ExtraOptions[{i}] {o.get('Key')}")
        for i, o in enumerate(kc.get("ExtraOptions") or [])
        if isinstance(o, dict) and o.get("Component") == "apiserver" and o.get("Key")
    ]
    auth = translate(flags, f"{where} (minikube profile)")
    return _with_version(auth, kc.get("KubernetesVersion"), f"{where} KubernetesConfig.KubernetesVersion")


def _truthy(v: object) -> bool:
    # Ansible's bool filter: true/yes/on/1 (strings too); kubespray tests `kube_oidc_auth|default(false)`.
    return v is True or (isinstance(v, str | int) and str(v).strip().lower() in ("true", "yes", "on", "1"))


def _from_kubespray(obj: dict[str, Any], where: str) -> ApiServerAuth:
    flags: list[Flag] = []
    enabled = _truthy(obj.get("kube_oidc_auth"))
    written = enabled and obj.get("kube_oidc_url") is not None and obj.get("kube_oidc_client_id") is not None
    if written:
        flags += [Flag(flag, _text(obj[var]), f"{where} {var}") for var, flag in KUBESPRAY_OIDC_VARS if var in obj]
    flags += _extra_args_map(obj.get(KUBESPRAY_EXTRA_ARGS), f"{where} {KUBESPRAY_EXTRA_ARGS}")
    auth = translate(flags, f"{where} (kubespray group_vars)")
    if not written and any(var in obj for var, _ in KUBESPRAY_OIDC_VARS):
        why = "kube_oidc_auth is not true" if not enabled else "kube_oidc_url and kube_oidc_client_id are not both set"
        auth.notes.append(
            f"{where}: kubespray writes the kube_oidc_* variables as --oidc-* flags only when kube_oidc_auth "
            f"is true and kube_oidc_url and kube_oidc_client_id are set; here {why}, so the API server gets "
            "no OIDC flags from them"
        )
    return _with_version(auth, obj.get("kube_version"), f"{where} kube_version")


def capi_cluster_configuration(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The kubeadm ClusterConfiguration a Cluster API KubeadmControlPlane(Template) gives its machines."""
    if obj.get("kind") not in CAPI_KCP_KINDS or not str(obj.get("apiVersion", "")).startswith(CAPI_KCP_API):
        return None
    spec = _dict(obj.get("spec"))
    if obj.get("kind") == "KubeadmControlPlaneTemplate":
        spec = _dict(_dict(spec.get("template")).get("spec"))
    cc = dict(_dict(_dict(spec.get("kubeadmConfigSpec")).get("clusterConfiguration")))
    cc["apiVersion"], cc["kind"] = "kubeadm.k8s.io/v1beta3", "ClusterConfiguration"
    meta = _dict(obj.get("metadata"))
    cc["metadata"] = {"name": f"{obj['kind']} {meta.get('name', '')}".strip()}
    if isinstance(spec.get("version"), str) and "kubernetesVersion" not in cc:
        cc["kubernetesVersion"] = spec["version"]
    return cc


# --- kube-apiserver command lines --------------------------------------------------------------

#: The word that starts the command (a path ending in kube-apiserver, or hyperkube's subcommand).
_BINARY = re.compile(r"(?:^|[\s=/])kube-apiserver(?=\s|\\|$)")
#: Flags only kube-apiserver takes: one of them makes a bare flag list an API server's.
_APISERVER_ONLY = (
    "--oidc-",
    "--authentication-config",
    "--etcd-servers",
    "--service-cluster-ip-range",
    "--service-account-issuer",
    "--authorization-mode",
)
#: Most lines a command-line file may have (an args file of microk8s has ~30).
_MAX_LINES = 400


def _words(text: str) -> list[str]:
    import shlex  # here: predict's start-up reads no installer line

    joined = re.sub(r"\\\r?\n", " ", text)
    try:
        return shlex.split(joined, comments=False, posix=True)
    except ValueError:  # an unbalanced quote: ps output is not shell syntax
        return joined.split()


def command_line_pod(text: str) -> dict[str, Any] | None:
    """A kube-apiserver Pod made from a command line in ``text``, or None when there is none.

    Accepted: an args file (every non-comment line a ``--flag[=value]``, one of them a flag only
    kube-apiserver takes), or text naming the ``kube-apiserver`` binary followed by ``--flags``
    (a systemd unit's ExecStart with ``\\`` continuations, a ``ps`` line). Installers' command
    lines are :func:`command_line`'s.
    """
    text = text.replace("\r\n", "\n")
    lines = _lines(text)
    if not lines or len(lines) > _MAX_LINES:
        return None
    grepped = [ln for ln in lines if not ln.startswith("$ ")]  # drop a pasted shell prompt line
    if grepped and all(ln.startswith(("- --", '- "--', "- '--")) for ln in grepped):
        # `grep oidc /etc/kubernetes/manifests/kube-apiserver.yaml`: the manifest's list items, read as
        # YAML reads them (quotes inside a plain scalar stay; an item ending in ':' is a mapping).
        items = [_item(ln) for ln in grepped]
        if not any(isinstance(i, str) and i.startswith(_APISERVER_ONLY) for i in items):
            return None
        return _pod("manifest lines", items)
    if all(ln.startswith("--") for ln in lines):
        if not any(ln.startswith(_APISERVER_ONLY) for ln in lines):
            return None
        args = [w for ln in lines for w in _words(ln)]
        where = "args file"
    else:
        m = _BINARY.search(text)
        if m is None:
            return None
        # The command ends at the first line break not escaped by a backslash (a systemd unit's
        # continuation lines, or one line of ps output).
        segment = re.split(r"(?<!\\)\n", text[m.end() :], maxsplit=1)[0]
        args = []
        for w in _words(segment):
            if w.startswith("-"):
                args.append(w)
            elif args and "=" not in args[-1]:
                args[-1] = f"{args[-1]}={w}"  # `--flag value`: pflag accepts both forms
        if not any(a.startswith(_APISERVER_ONLY) for a in args):
            return None
        where = "command line"
    return _pod(where, list(args))


def _lines(text: str) -> list[str]:
    """The non-empty, non-comment lines of ``text``, stripped."""
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def command_line(text: str) -> tuple[str, dict[str, Any]] | None:
    """What a command line pasted in ``text`` configures, or None when there is none:
    ``("pod", a kube-apiserver Pod)`` (:func:`command_line_pod`, or ``minikube start
    --extra-config=apiserver.…``), or ``("node-args", {"kube-apiserver-arg": [...]})`` for a k3s/RKE2
    unit file or install line (the same list as /etc/rancher/k3s/config.yaml's).
    """
    pod = command_line_pod(text)
    if pod is not None:
        return "pod", pod
    found = installer_command(text)
    if found is None:
        return None
    name, args = found
    if name == "k3s":
        return "node-args", {"kube-apiserver-arg": [a.removeprefix("--") for a in args]}
    if len(_lines(text.replace("\r\n", "\n"))) > _MAX_LINES or not any(a.startswith(_APISERVER_ONLY) for a in args):
        return None
    return "pod", _pod("minikube start", list(args))


#: How a pasted installer command line starts: a prompt, env assignments, sudo/curl/sh, the
#: installer itself (a path ending in it), or a systemd ExecStart.
_COMMAND_START = re.compile(
    r"^\s*(?:\$\s+)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:ExecStart=|(?:sudo\s+)?(?:\S*/)?(?:minikube|k3s|rke2|curl|sh|bash)\b)"
)


def installer_command(text: str) -> tuple[str, list[str]] | None:
    """The API server flags a ``minikube start`` / ``k3s server`` / get.k3s.io install line passes:
    ``("minikube" | "k3s", ["--name=value", ...])``, or None.

    minikube's ``--extra-config=apiserver.NAME=VALUE`` (minikube docs, "Configuring Kubernetes"),
    k3s/RKE2's ``--kube-apiserver-arg NAME=VALUE`` (docs.k3s.io, "Customized flags for Kubernetes
    processes"). Only the logical line naming the installer counts: a line that does not end in a
    backslash ends the command, as in a shell or a systemd unit.
    """
    for logical in re.split(r"(?<!\\)\n", text.replace("\r\n", "\n")):
        m = re.search(r"\b(minikube|k3s|rke2)\b", logical)
        if m is None or not _COMMAND_START.match(logical):
            continue  # prose that names the installer ("I started k3s with ...") is no command line
        args = ["--" + a for a in kube_apiserver_args(_words(logical), extra_config=True)]
        if args:
            return ("minikube" if m.group(1) == "minikube" else "k3s"), args
    return None


def kube_apiserver_args(words: list[str], extra_config: bool = False) -> list[str]:
    """The ``NAME=VALUE`` each ``--kube-apiserver-arg NAME=VALUE`` / ``--kube-apiserver-arg=NAME=VALUE``
    in ``words`` passes (k3s/RKE2; a leading ``--`` on NAME dropped), in order; with
    ``extra_config``, minikube's ``--extra-config=apiserver.NAME=VALUE`` too.
    """
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if extra_config and w.startswith("--extra-config=apiserver."):
            out.append(w.removeprefix("--extra-config=apiserver."))
        elif w.startswith("--kube-apiserver-arg="):
            out.append(w.removeprefix("--kube-apiserver-arg=").removeprefix("--"))
        elif w == "--kube-apiserver-arg" and i < len(words):
            out.append(words[i].removeprefix("--"))
            i += 1
    return out


def _item(line: str) -> object:
    """One ``- item`` line of a YAML list, as YAML reads it (a string, or a mapping for ``- --x=y:``)."""
    import yaml  # here: predict's start-up does not read grep output (9 ms of imports)

    try:
        loaded = yaml.safe_load(line)
    except yaml.YAMLError:
        return line[2:].strip()
    return loaded[0] if isinstance(loaded, list) and len(loaded) == 1 else line[2:].strip()


def _pod(where: str, args: list[object]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"kube-apiserver ({where})"},
        "spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", *args]}]},
    }
