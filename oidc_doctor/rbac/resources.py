"""Resource names resolved as kubectl resolves them, from a built-in discovery table.

``kubectl auth can-i VERB RESOURCE`` (k8s.io/kubectl pkg/cmd/auth/cani.go) turns the word
through the discovery RESTMapper: plural, singular and short names, ``resource.group`` and
``resource.version.group``, case-insensitively; ``/SUBRESOURCE`` is kept; a word starting with
``/`` is a non-resource URL. RBAC rules match the resolved plural and API group (an empty
group is the core group), so ``deployments`` must become ``deployments`` in ``apps``, and
``po`` must become ``pods``.

The table holds the built-in resources of Kubernetes 1.29 to 1.34 as ``kubectl
api-resources`` lists them (names, short names, group, namespaced) and the subresources the
API server serves. CRDs and APIServices extend it (:func:`Discovery.extend`), e.g. those of a
bundle (:func:`discovery_for_bundle`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# plural singular shortnames(,) group namespaced(y/n) subresources(,)
_TABLE = """
bindings binding - - y -
componentstatuses componentstatus cs - n -
configmaps configmap cm - y -
endpoints endpoints ep - y -
events event ev - y -
limitranges limitrange limits - y -
namespaces namespace ns - n status,finalize
nodes node no - n status,proxy
persistentvolumeclaims persistentvolumeclaim pvc - y status
persistentvolumes persistentvolume pv - n status
pods pod po - y status,log,exec,attach,portforward,proxy,binding,eviction,ephemeralcontainers,resize
podtemplates podtemplate - - y -
replicationcontrollers replicationcontroller rc - y status,scale
resourcequotas resourcequota quota - y status
secrets secret - - y -
serviceaccounts serviceaccount sa - y token
services service svc - y status,proxy
mutatingwebhookconfigurations mutatingwebhookconfiguration - admissionregistration.k8s.io n -
validatingwebhookconfigurations validatingwebhookconfiguration - admissionregistration.k8s.io n -
validatingadmissionpolicies validatingadmissionpolicy - admissionregistration.k8s.io n status
validatingadmissionpolicybindings validatingadmissionpolicybinding - admissionregistration.k8s.io n -
customresourcedefinitions customresourcedefinition crd,crds apiextensions.k8s.io n status
apiservices apiservice - apiregistration.k8s.io n status
controllerrevisions controllerrevision - apps y -
daemonsets daemonset ds apps y status
deployments deployment deploy apps y status,scale
replicasets replicaset rs apps y status,scale
statefulsets statefulset sts apps y status,scale
selfsubjectreviews selfsubjectreview - authentication.k8s.io n -
tokenreviews tokenreview - authentication.k8s.io n -
localsubjectaccessreviews localsubjectaccessreview - authorization.k8s.io y -
selfsubjectaccessreviews selfsubjectaccessreview - authorization.k8s.io n -
selfsubjectrulesreviews selfsubjectrulesreview - authorization.k8s.io n -
subjectaccessreviews subjectaccessreview - authorization.k8s.io n -
horizontalpodautoscalers horizontalpodautoscaler hpa autoscaling y status
cronjobs cronjob cj batch y status
jobs job - batch y status
certificatesigningrequests certificatesigningrequest csr certificates.k8s.io n status,approval
leases lease - coordination.k8s.io y -
endpointslices endpointslice - discovery.k8s.io y -
events event ev events.k8s.io y -
flowschemas flowschema - flowcontrol.apiserver.k8s.io n status
prioritylevelconfigurations prioritylevelconfiguration - flowcontrol.apiserver.k8s.io n status
ingressclasses ingressclass - networking.k8s.io n -
ingresses ingress ing networking.k8s.io y status
networkpolicies networkpolicy netpol networking.k8s.io y -
ipaddresses ipaddress - networking.k8s.io n -
servicecidrs servicecidr - networking.k8s.io n status
runtimeclasses runtimeclass - node.k8s.io n -
poddisruptionbudgets poddisruptionbudget pdb policy y status
clusterrolebindings clusterrolebinding - rbac.authorization.k8s.io n -
clusterroles clusterrole - rbac.authorization.k8s.io n -
rolebindings rolebinding - rbac.authorization.k8s.io y -
roles role - rbac.authorization.k8s.io y -
priorityclasses priorityclass pc scheduling.k8s.io n -
csidrivers csidriver - storage.k8s.io n -
csinodes csinode - storage.k8s.io n -
csistoragecapacities csistoragecapacity - storage.k8s.io y -
storageclasses storageclass sc storage.k8s.io n -
volumeattachments volumeattachment - storage.k8s.io n status
volumeattributesclasses volumeattributesclass vac storage.k8s.io n -
deviceclasses deviceclass - resource.k8s.io n -
resourceclaims resourceclaim - resource.k8s.io y status
resourceclaimtemplates resourceclaimtemplate - resource.k8s.io y -
resourceslices resourceslice - resource.k8s.io n -
"""


@dataclass(frozen=True)
class ApiResource:
    """One resource as discovery lists it."""

    plural: str
    singular: str
    short_names: tuple[str, ...]
    group: str
    namespaced: bool
    subresources: tuple[str, ...] = ()


def _builtin() -> list[ApiResource]:
    out = []
    for line in _TABLE.strip().splitlines():
        plural, singular, short, group, ns, subs = line.split()
        out.append(
            ApiResource(
                plural,
                singular,
                tuple(s for s in short.split(",") if s != "-"),
                "" if group == "-" else group,
                ns == "y",
                tuple(s for s in subs.split(",") if s != "-"),
            )
        )
    return out


#: Resources RBAC rules name that discovery does not list (kubectl cani.go
#: nonStandardResourceNames: users, groups; impersonation also checks uids and userextras;
#: CSR signers are authorized as certificates.k8s.io "signers").
_NON_DISCOVERY = {"users": "", "groups": "", "uids": "", "userextras": "", "signers": "certificates.k8s.io"}


class UnknownResource(ValueError):
    """A resource word that discovery does not know; the message suggests close names."""


@dataclass
class Resolved:
    """A request's resource after resolution."""

    resource: str
    group: str
    subresource: str
    namespaced: bool


@dataclass
class Discovery:
    """The resources an API server serves: the built-in table, plus CRDs and APIServices."""

    resources: list[ApiResource] = field(default_factory=_builtin)
    #: API groups served by an APIService (aggregated APIs): their resources are not listed.
    aggregated_groups: set[str] = field(default_factory=set)

    def extend(self, objects: list[Any]) -> None:
        """Add CustomResourceDefinitions and APIServices (dicts as ``kubectl get -o yaml`` gives)."""
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            assert isinstance(spec, dict)
            if obj.get("kind") == "CustomResourceDefinition":
                names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
                assert isinstance(names, dict)
                plural = str(names.get("plural", "")).lower()
                if not plural:
                    continue
                versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
                subs: set[str] = set()
                for v in versions or []:
                    if isinstance(v, dict) and isinstance(v.get("subresources"), dict):
                        subs.update(str(k) for k in v["subresources"])
                self.resources.append(
                    ApiResource(
                        plural,
                        str(names.get("singular", "") or str(names.get("kind", "")).lower()),
                        tuple(str(s).lower() for s in names.get("shortNames") or []),
                        str(spec.get("group", "")),
                        spec.get("scope", "Namespaced") == "Namespaced",
                        tuple(sorted(subs)),
                    )
                )
            elif obj.get("kind") == "APIService" and spec.get("group"):
                self.aggregated_groups.add(str(spec["group"]))

    def resolve(self, word: str) -> Resolved:
        """``RESOURCE[.VERSION][.GROUP][/SUBRESOURCE]`` as kubectl's RESTMapper resolves it."""
        base, _, sub = word.partition("/")
        base = base.lower()
        if base == "*":
            # kubectl cani.go resourceFor: "*" is every resource, not looked up.
            return Resolved("*", "", sub, True)
        if base in _NON_DISCOVERY:
            return Resolved(base, _NON_DISCOVERY[base], sub, False)
        name, _, group = base.partition(".")
        candidates = self._match(name, group)
        if not candidates and group:
            # RESOURCE.VERSION.GROUP (deployments.v1.apps)
            version, _, rest = group.partition(".")
            if rest and version[:1] == "v" and version[1:2].isdigit():
                group = rest
                candidates = self._match(name, group)
        if not candidates:
            if group and (group in self.aggregated_groups or "." in group):
                # An API group this table does not list (a CRD or aggregated API not in the
                # evidence): RBAC matches the words as given.
                return Resolved(name, group, sub, True)
            raise UnknownResource(self._unknown_message(word, name))
        # kubectl prefers the core group, then the first group in discovery order.
        r = next((c for c in candidates if c.group == ""), candidates[0])
        return Resolved(r.plural, r.group, sub, r.namespaced)

    def _match(self, name: str, group: str) -> list[ApiResource]:
        def fits(r: ApiResource) -> bool:
            return (not group or r.group == group) and (name in (r.plural, r.singular) or name in r.short_names)

        return [r for r in self.resources if fits(r)]

    def _unknown_message(self, word: str, name: str) -> str:
        words = {w for r in self.resources for w in (r.plural, r.singular, *r.short_names)}
        close = difflib.get_close_matches(name, sorted(words), n=3, cutoff=0.75)
        plurals = []
        for c in close:
            p = next(r for r in self.resources if c in (r.plural, r.singular, *r.short_names))
            text = f"{p.plural}.{p.group}" if p.group else p.plural
            if text not in plurals:
                plurals.append(text)
        hint = f"; did you mean {' or '.join(plurals)}?" if plurals else "; give it as RESOURCE.GROUP"
        return f'the server doesn\'t have a resource type "{word}"{hint}'


#: Files larger than this are not searched for CRDs (the bundle reader itself keeps logs of
#: any size; a CRD list of this size is not a realistic bundle).
MAX_DISCOVERY_FILE_BYTES = 64 * 1024 * 1024


def discovery_for_bundle(folder: str | Path | None) -> Discovery:
    """The built-in table extended by the CRDs and APIServices found in a bundle folder.

    Walks the folder as the bundle reader does (recursively, hidden files skipped) but parses
    only files that mention ``CustomResourceDefinition`` or ``APIService``; a file that does
    not parse is left to the bundle reader to report.
    """
    from oidc_doctor.errors import DoctorError
    from oidc_doctor.loader import load_documents

    d = Discovery()
    if folder is None:
        return d
    root = Path(folder)
    if not root.is_dir():
        return d
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        try:
            if path.stat().st_size > MAX_DISCOVERY_FILE_BYTES:
                continue
            raw = path.read_bytes()
        except OSError:
            continue
        if b"CustomResourceDefinition" not in raw and b"APIService" not in raw:
            continue
        try:
            docs = load_documents(raw, str(path))
        except DoctorError:
            continue
        d.extend([doc.data for doc in docs])
    return d


def parse_request(text: str, discovery: Discovery | None = None) -> dict[str, str]:
    """``VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME] [-n NS]`` or ``VERB /PATH``, resolved.

    Returns the keys ``verb``, ``resource``, ``api_group``, ``subresource``, ``name``,
    ``namespace`` or ``verb``, ``path``. Raises ValueError (:class:`UnknownResource` for an
    unknown resource word) with a one-line reason.
    """
    words = text.split()
    if len(words) < 2:
        raise ValueError(f"{text!r} needs a verb and a resource, e.g. 'list pods -n dev'")
    out = {"verb": words[0].lower()}
    rest = words[1:]
    while rest:
        w = rest.pop(0)
        if w in ("-n", "--namespace"):
            if not rest:
                raise ValueError(f"{w} needs a namespace")
            out["namespace"] = rest.pop(0)
        elif w.startswith(("--namespace=", "-n=")):
            out["namespace"] = w.split("=", 1)[1]
        elif "resource" not in out and "path" not in out:
            if w.startswith("/"):
                out["path"] = w
                continue
            r = (discovery or Discovery()).resolve(w)
            out.update(resource=r.resource, api_group=r.group, subresource=r.subresource)
        elif "name" not in out:
            out["name"] = w
        else:
            raise ValueError(f"unexpected {w!r} in {text!r}")
    return out
