"""A fix as data: one machine-applicable change to the evidence, and its command-line vocabulary.

A finding's ``fix`` is text for a person; its ``change`` is the same fix (or its first step) as a
typed, frozen record that ``oidc_doctor.whatif`` applies to an evidence snapshot to show the verdict
*after* the change, before anyone touches the cluster. ``diagnose --what-if CHANGE`` takes the
vocabulary :func:`parse_change` reads; :meth:`Change.spec` writes it back, so every change a report
proposes can be pasted as a ``--what-if`` argument.

| spec | target | op | ref | value |
|---|---|---|---|---|
| ``apiserver:--oidc-username-prefix=oidc:`` | apiserver | set | ``--oidc-username-prefix`` | ``oidc:`` |
| ``apiserver:-oidc-username-prefix`` | apiserver | unset | ``--oidc-username-prefix`` | |
| ``authconfig:jwt[0].claimMappings.username.prefix=oidc:`` | authconfig | set | the field path | ``oidc:`` |
| ``authconfig:-jwt[0].claimValidationRules`` | authconfig | unset | the field path | |
| ``binding:dev/dev-view+=Group:oidc:dev`` | binding | add-subject | ``RoleBinding dev/dev-view`` | ``Group oidc:dev`` |
| ``binding:dev/dev-view[0]=User:oidc:alice`` | binding | change-subject | ``... subjects[0]`` | ``User oidc:alice`` |
| ``binding:dev/dev-view-=Group:dev`` | binding | remove-subject | ``RoleBinding dev/dev-view`` | ``Group dev`` |
| ``clusterbinding:NAME+=User:x`` | binding | add-subject | ``ClusterRoleBinding NAME`` | ``User x`` |
| ``binding:dev/a:=ClusterRole/view,User:u`` | binding | create-binding | ``... dev/a`` | ``ClusterRole/view User u`` |
| ``proxy:--cookie-refresh=2m`` / ``proxy:-cookie-refresh`` | proxy | set / unset | ``--cookie-refresh`` | ``2m`` |
| ``headlamp:-oidc-scopes=profile,email,groups`` | headlamp | set | ``-oidc-scopes`` | ``profile,email,groups`` |
| ``kubelogin:--oidc-extra-scope=groups`` | kubelogin | set | ``--oidc-extra-scope`` | ``groups`` |
| ``claims:groups=["dev"]`` / ``claims:-email`` | claims | set / unset | ``groups`` | ``["dev"]`` (JSON) |
| ``scope:+groups`` | scope | add | ``groups`` | ``groups`` |

A claims change is *simulated*: the token's payload is changed, its signature is not re-made (so it
is not checked). A scope change asks every OIDC client in the evidence for one more scope; it changes
future tokens, not the token in hand, and is simulated too.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

from oidc_doctor.record import FrozenRecord


class Target(StrEnum):
    """What a change changes."""

    APISERVER = "apiserver"  # a kube-apiserver flag (static Pod, kubeadm ClusterConfiguration)
    AUTHCONFIG = "authconfig"  # a field of the AuthenticationConfiguration
    BINDING = "binding"  # a subject of a RoleBinding or ClusterRoleBinding
    PROXY = "proxy"  # an oauth2-proxy option
    HEADLAMP = "headlamp"  # a Headlamp option
    KUBELOGIN = "kubelogin"  # a kubelogin option in the kubeconfig's exec args
    CLAIMS = "claims"  # a claim of the token (simulated: the signature is not re-made)
    SCOPE = "scope"  # a scope every OIDC client requests (simulated: future tokens)


class Op(StrEnum):
    """How a change changes its target."""

    SET = "set"
    UNSET = "unset"
    ADD = "add"  # a scope
    ADD_SUBJECT = "add-subject"
    CHANGE_SUBJECT = "change-subject"
    REMOVE_SUBJECT = "remove-subject"
    CREATE_BINDING = "create-binding"  # value: "ROLEKIND/ROLE KIND NAME"


#: The targets whose value is an option given as a flag (the spec keeps the flag's dashes).
_OPTION_TARGETS = (Target.APISERVER, Target.PROXY, Target.HEADLAMP, Target.KUBELOGIN)

#: Subject kinds of RBAC (rbac.authorization.k8s.io/v1 Subject.kind).
SUBJECT_KINDS = ("User", "Group", "ServiceAccount")

_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?)*")
_FLAG = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9_.-]*")
_CLAIM = re.compile(r"[^\s=\[\]]+")


class Change(FrozenRecord):
    """One change to the evidence (immutable). ``value`` is text: a flag value, a subject
    (``User oidc:alice``), or a claim value as JSON. ``simulated``: the change is made on decoded
    data that the real system would produce differently (a token's claims: the signature is not re-made)."""

    _fields = ("target", "op", "ref", "value", "simulated")
    __slots__ = _fields
    target: Target
    op: Op
    ref: str
    value: str
    simulated: bool

    def __init__(self, target: Target, op: Op, ref: str, value: str = "", simulated: bool | None = None) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "target", Target(target))
        setattr_(self, "op", Op(op))
        setattr_(self, "ref", ref)
        setattr_(self, "value", value)
        setattr_(self, "simulated", self.target in (Target.CLAIMS, Target.SCOPE) if simulated is None else simulated)

    def to_json(self) -> dict[str, Any]:
        """The report's ``change`` object (docs/what-if.md)."""
        return {
            "target": str(self.target),
            "op": str(self.op),
            "ref": self.ref,
            "value": self.value,
            "simulated": self.simulated,
            "spec": self.spec(),
            "text": self.describe(),
        }

    def binding(self) -> tuple[str, str, str, int | None]:
        """For a binding change: (kind, namespace, name, subject index or None)."""
        m = re.fullmatch(
            r"(RoleBinding|ClusterRoleBinding) (?:([^/\s]+)/)?([^/\s\[]+)(?: subjects\[(\d+)\])?", self.ref
        )
        if m is None:  # pragma: no cover - refs are built by parse_change and the proposers
            raise ValueError(f"not a binding reference: {self.ref!r}")
        return m.group(1), m.group(2) or "", m.group(3), int(m.group(4)) if m.group(4) else None

    def subject(self) -> tuple[str, str]:
        """For a binding change: the subject's (kind, name)."""
        value = self.value.split(" ", 1)[1] if self.op == Op.CREATE_BINDING else self.value
        kind, _, name = value.partition(" ")
        return kind, name

    def role(self) -> tuple[str, str]:
        """For a new binding: its roleRef's (kind, name)."""
        kind, _, name = self.value.split(" ", 1)[0].partition("/")
        return kind, name

    def spec(self) -> str:
        """The change in the ``--what-if`` vocabulary (:func:`parse_change` reads it back)."""
        t = self.target
        if t in _OPTION_TARGETS:
            if self.op == Op.UNSET:
                return f"{t}:-{self.ref.lstrip('-')}"
            return f"{t}:{self.ref}={self.value}"
        if t in (Target.AUTHCONFIG, Target.CLAIMS):
            return f"{t}:-{self.ref}" if self.op == Op.UNSET else f"{t}:{self.ref}={self.value}"
        if t == Target.SCOPE:
            return f"scope:+{self.value}"
        kind, ns, name, index = self.binding()
        where = f"binding:{ns}/{name}" if kind == "RoleBinding" else f"clusterbinding:{name}"
        skind, sname = self.subject()
        who = f"{skind}:{sname}"
        if self.op == Op.ADD_SUBJECT:
            return f"{where}+={who}"
        if self.op == Op.REMOVE_SUBJECT:
            return f"{where}-={who}"
        if self.op == Op.CREATE_BINDING:
            return f"{where}:={self.value.split(' ', 1)[0]},{who}"
        return f"{where}[{index}]={who}"

    def describe(self) -> str:
        """One line for a person: what changes where."""
        t = self.target
        sim = " (simulated)" if self.simulated else ""
        if t == Target.BINDING and self.op == Op.CREATE_BINDING:
            rk, rn = self.role()
            sk, sn = self.subject()
            return f"create {self.ref} granting {rk} {rn} to {sk} {sn}"
        if t == Target.BINDING:
            verb = {Op.ADD_SUBJECT: "add", Op.CHANGE_SUBJECT: "set", Op.REMOVE_SUBJECT: "remove"}[self.op]
            return f"{self.ref}: {verb} subject {self.value}"
        where = {
            Target.APISERVER: "API server",
            Target.AUTHCONFIG: "AuthenticationConfiguration",
            Target.PROXY: "oauth2-proxy",
            Target.HEADLAMP: "Headlamp",
            Target.KUBELOGIN: "kubelogin",
            Target.CLAIMS: "token claim",
            Target.SCOPE: "every OIDC client",
        }[t]
        if self.op == Op.UNSET:
            return f"{where}: unset {self.ref}{sim}"
        if t == Target.SCOPE:
            return f"{where}: request scope {self.value}{sim}"
        return f"{where}: {self.ref}={self.value}{sim}"


def _claim_value(text: str, spec: str) -> str:
    """A claim value as canonical JSON text: JSON when it parses, else the text as a string."""
    try:
        value = json.loads(text)
    except ValueError:
        if text[:1] in '[{"':
            raise ValueError(f"{spec!r}: the claim value {text!r} is not valid JSON") from None
        value = text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _subject(text: str, spec: str) -> str:
    kind, sep, name = text.partition(":")
    if not sep or kind not in SUBJECT_KINDS or not name:
        raise ValueError(
            f"{spec!r}: a subject is KIND:NAME with KIND one of {', '.join(SUBJECT_KINDS)} (e.g. Group:oidc:dev)"
        )
    return f"{kind} {name}"


def _option(target: Target, body: str, spec: str) -> Change:
    name, sep, value = body.partition("=")
    if not _FLAG.fullmatch(name):
        raise ValueError(f"{spec!r}: expected {target}:--FLAG=VALUE (set) or {target}:-FLAG (unset)")
    if sep:
        ref = name if target == Target.HEADLAMP else "--" + name.lstrip("-")
        return Change(target, Op.SET, ref, value)
    if name.startswith("--"):
        raise ValueError(f"{spec!r}: write {target}:{name}=VALUE to set the option, or {target}:{name[1:]} to unset it")
    return Change(target, Op.UNSET, "-" + name.lstrip("-") if target == Target.HEADLAMP else "--" + name.lstrip("-"))


def _new_binding(kind: str, body: str, spec: str) -> Change:
    where, _, rest = body.partition(":=")
    role, sep, subject = rest.partition(",")
    rkind, rsep, rname = role.partition("/")
    allowed = ("ClusterRole",) if kind == "ClusterRoleBinding" else ("ClusterRole", "Role")
    if not sep or not rsep or rkind not in allowed or not rname:
        usage = (
            "binding:NAMESPACE/NAME:=ClusterRole/ROLE,KIND:NAME"
            if kind == "RoleBinding"
            else "clusterbinding:NAME:=ClusterRole/ROLE,KIND:NAME"
        )
        raise ValueError(f"{spec!r}: a new binding is {usage} (ROLE kind one of {', '.join(allowed)})")
    if kind == "RoleBinding":
        ns, nsep, name = where.partition("/")
        if not nsep or not ns or not name or "/" in name:
            raise ValueError(f"{spec!r}: a RoleBinding is named NAMESPACE/NAME")
        ref = f"RoleBinding {ns}/{name}"
    else:
        if not where or "/" in where:
            raise ValueError(f"{spec!r}: a ClusterRoleBinding has no namespace (clusterbinding:NAME:=...)")
        ref = f"ClusterRoleBinding {where}"
    return Change(Target.BINDING, Op.CREATE_BINDING, ref, f"{rkind}/{rname} {_subject(subject, spec)}")


def _binding(kind: str, body: str, spec: str) -> Change:
    if ":=" in body.split("=", 1)[0] + "=":
        return _new_binding(kind, body, spec)
    m = re.fullmatch(r"([^\s+\-=\[\]]+(?:-[^\s+\-=\[\]]+)*?)(\+=|-=|\[(\d+)\]=)(.+)", body)
    if m is None:
        usage = "binding:NAMESPACE/NAME" if kind == "RoleBinding" else "clusterbinding:NAME"
        raise ValueError(
            f"{spec!r}: expected {usage}+=KIND:NAME (add), -=KIND:NAME (remove) or [INDEX]=KIND:NAME (change)"
        )
    where, op, index, subject = m.group(1), m.group(2), m.group(3), m.group(4)
    if kind == "RoleBinding":
        ns, sep, name = where.partition("/")
        if not sep or not ns or not name or "/" in name:
            raise ValueError(
                f"{spec!r}: a RoleBinding is named NAMESPACE/NAME (e.g. binding:dev/dev-view+=Group:oidc:dev)"
            )
        ref = f"RoleBinding {ns}/{name}"
    else:
        if "/" in where:
            raise ValueError(f"{spec!r}: a ClusterRoleBinding has no namespace (clusterbinding:NAME+=KIND:NAME)")
        ref = f"ClusterRoleBinding {where}"
    value = _subject(subject, spec)
    if op == "+=":
        return Change(Target.BINDING, Op.ADD_SUBJECT, ref, value)
    if op == "-=":
        return Change(Target.BINDING, Op.REMOVE_SUBJECT, ref, value)
    return Change(Target.BINDING, Op.CHANGE_SUBJECT, f"{ref} subjects[{index}]", value)


def parse_change(spec: str) -> Change:
    """Read one ``--what-if`` argument; ``ValueError`` with one line saying what is wrong."""
    head, sep, body = spec.partition(":")
    targets = ", ".join([*(str(t) for t in Target if t != Target.BINDING), "binding", "clusterbinding"])
    if not sep or not body:
        raise ValueError(f"{spec!r}: expected TARGET:CHANGE with TARGET one of {targets}")
    if head in [str(t) for t in _OPTION_TARGETS]:
        return _option(Target(head), body, spec)
    if head == "binding":
        return _binding("RoleBinding", body, spec)
    if head == "clusterbinding":
        return _binding("ClusterRoleBinding", body, spec)
    if head == "authconfig":
        if body.startswith("-"):
            path = body[1:]
            if not _PATH.fullmatch(path):
                raise ValueError(
                    f"{spec!r}: expected authconfig:-FIELD.PATH (e.g. authconfig:-jwt[0].claimMappings.username.prefix)"
                )
            return Change(Target.AUTHCONFIG, Op.UNSET, path)
        path, sep, value = body.partition("=")
        if not sep or not _PATH.fullmatch(path) or not path.startswith(("jwt[", "anonymous")):
            raise ValueError(
                f"{spec!r}: expected authconfig:FIELD.PATH=VALUE, "
                "e.g. authconfig:jwt[0].claimMappings.username.prefix=oidc:"
            )
        return Change(Target.AUTHCONFIG, Op.SET, path, value)
    if head == "claims":
        if body.startswith("-"):
            name = body[1:]
            if not _CLAIM.fullmatch(name):
                raise ValueError(f"{spec!r}: expected claims:-NAME")
            return Change(Target.CLAIMS, Op.UNSET, name)
        name, sep, value = body.partition("=")
        if not sep or not _CLAIM.fullmatch(name):
            raise ValueError(f'{spec!r}: expected claims:NAME=JSON (e.g. claims:groups=["dev"]) or claims:-NAME')
        return Change(Target.CLAIMS, Op.SET, name, _claim_value(value, spec))
    if head == "scope":
        scope = body.removeprefix("+")
        if not body.startswith("+") or not re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+", scope):
            raise ValueError(f"{spec!r}: expected scope:+SCOPE (e.g. scope:+groups)")
        return Change(Target.SCOPE, Op.ADD, scope, scope)
    raise ValueError(f"{spec!r}: unknown target {head!r}; expected one of {targets}")
