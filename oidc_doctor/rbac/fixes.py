"""Fixes ready to paste: ``kubectl create rolebinding|clusterrolebinding``, ``kubectl patch`` of an
existing binding's subject, roles for a missing rule, and the API server side alternative.

Flag syntax is kubectl's (``kubectl create rolebinding NAME --clusterrole=NAME|--role=NAME
[--user=U] [--group=G] [--serviceaccount=NS:NAME]``; ``kubectl create role NAME --verb=V
--resource=R[.GROUP][/SUB] [--resource-name=N]``; ``kubectl create clusterrole NAME
--non-resource-url=/P``). Every value is shell-quoted: names come from tokens and manifests.
"""

from __future__ import annotations

import re
from typing import Any

from oidc_doctor.rbac.index import binding_label, namespace_name, role_ref, service_account_of
from oidc_doctor.rbac.rules import Request

_DNS = re.compile(r"[^a-z0-9.]+")


def object_name(*parts: str) -> str:
    """A valid object name (DNS subdomain, at most 63 chars here) built from free text."""
    raw = "-".join(p for p in parts if p).lower()
    name = _DNS.sub("-", raw).strip("-.")
    return (name[:63].rstrip("-.")) or "oidc-doctor"


def q(value: str) -> str:
    """One shell word (:func:`oidc_doctor.shell.arg`: quoted, or a placeholder when it cannot be
    shown safely)."""
    from oidc_doctor.shell import arg

    return arg(value)


def subject_flag(kind: str, name: str) -> str:
    """``--user=...``, ``--group=...`` or ``--serviceaccount=NS:NAME``."""
    if kind == "User":
        sa = service_account_of(name)
        if sa:
            return f"--serviceaccount={q(sa[0] + ':' + sa[1])}"
        return f"--user={q(name)}"
    return f"--group={q(name)}"


def create_binding(
    kind: str, name: str, namespace: str, role_kind: str, role_name: str, subject_kind: str, subject: str
) -> str:
    """``kubectl [-n NS] create rolebinding|clusterrolebinding NAME --clusterrole=R --user=U``."""
    role_flag = f"--role={q(role_name)}" if role_kind == "Role" else f"--clusterrole={q(role_name)}"
    if kind == "RoleBinding":
        subj = subject_flag(subject_kind, subject)
        return f"kubectl -n {q(namespace)} create rolebinding {q(name)} {role_flag} {subj}"
    return f"kubectl create clusterrolebinding {q(name)} {role_flag} {subject_flag(subject_kind, subject)}"


def patch_subject(binding: dict[str, Any], index: int, new_name: str) -> str:
    """``kubectl patch`` replacing the name of ``subjects[index]`` of an existing binding."""
    ns, name = namespace_name(binding)
    patch = f'[{{"op":"replace","path":"/subjects/{index}/name","value":{_json_str(new_name)}}}]'
    target = "rolebinding" if binding.get("kind") == "RoleBinding" else "clusterrolebinding"
    ns_flag = f"-n {q(ns)} " if ns else ""
    return f"kubectl {ns_flag}patch {target} {q(name)} --type=json -p {q(patch)}"



def patch_subject_kind(binding: dict[str, Any], index: int, new_kind: str) -> str:
    """``kubectl patch`` replacing the kind of ``subjects[index]`` (``User`` and ``Group`` share the
    ``rbac.authorization.k8s.io`` apiGroup, so only the kind changes)."""
    ns, name = namespace_name(binding)
    patch = f'[{{"op":"replace","path":"/subjects/{index}/kind","value":{_json_str(new_kind)}}}]'
    target = "rolebinding" if binding.get("kind") == "RoleBinding" else "clusterrolebinding"
    ns_flag = f"-n {q(ns)} " if ns else ""
    return f"kubectl {ns_flag}patch {target} {q(name)} --type=json -p {q(patch)}"

def _json_str(s: str) -> str:
    import json  # only when a fix is written

    return json.dumps(s)


def same_grant_for(binding: dict[str, Any], subject_kind: str, subject: str) -> str:
    """A new binding granting ``binding``'s role to another subject, in the same scope."""
    rk, rn = role_ref(binding)
    ns = namespace_name(binding)[0]
    name = object_name(rn, subject)
    return create_binding(str(binding.get("kind")), name, ns, rk, rn, subject_kind, subject)


def resource_arg(req: Request) -> str:
    """``pods``, ``deployments.apps/scale`` for ``--resource``."""
    res = req.resource + (f".{req.api_group}" if req.api_group else "")
    return res + (f"/{req.subresource}" if req.subresource else "")


def grant_request(req: Request, subject_kind: str, subject: str) -> list[str]:
    """The commands that grant exactly ``req`` to one subject (role + binding)."""
    role = object_name("oidc-doctor", req.verb, req.resource or "path", req.subresource)
    if not req.is_resource:
        return [
            f"kubectl create clusterrole {q(role)} --verb={q(req.verb)} --non-resource-url={q(req.path)}",
            create_binding(
                "ClusterRoleBinding",
                object_name(role, subject),
                "",
                "ClusterRole",
                role,
                subject_kind,
                subject,
            ),
        ]
    names = f" --resource-name={q(req.name)}" if req.name else ""
    if req.namespace:
        return [
            f"kubectl -n {q(req.namespace)} create role {q(role)} --verb={q(req.verb)} "
            f"--resource={q(resource_arg(req))}{names}",
            create_binding(
                "RoleBinding", object_name(role, subject), req.namespace, "Role", role, subject_kind, subject
            ),
        ]
    return [
        f"kubectl create clusterrole {q(role)} --verb={q(req.verb)} --resource={q(resource_arg(req))}{names}",
        create_binding(
            "ClusterRoleBinding", object_name(role, subject), "", "ClusterRole", role, subject_kind, subject
        ),
    ]


def describe_binding(binding: dict[str, Any], index: int | None = None) -> str:
    """``RoleBinding dev/view subjects[0]`` for evidence references."""
    label = binding_label(binding)
    return f"{label} subjects[{index}]" if index is not None else label
