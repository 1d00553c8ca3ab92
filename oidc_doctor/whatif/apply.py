"""Apply one :class:`~oidc_doctor.change.Change` to an evidence snapshot: a new Evidence, the input untouched.

Every item a change touches is rebuilt from a deep copy of its data; untouched items are shared (no
one writes to them). Where a setting lives, and how the component reads it, are upstream facts:

- kube-apiserver flags: the kube-apiserver container's ``command``/``args`` of a static Pod
  (pflag: the last occurrence of a flag wins, so a set removes every earlier one), and kubeadm's
  ``apiServer.extraArgs`` (a map in v1beta3, a name/value list in v1beta4);
- the AuthenticationConfiguration: the field path as in the file (``jwt[0].claimMappings...``);
- RBAC: ``subjects`` of a RoleBinding or ClusterRoleBinding (rbac.authorization.k8s.io/v1);
- oauth2-proxy and Headlamp: a flag given on the command line beats the environment and the config
  file (oauth2-proxy ``docs/docs/configuration/overview.md``: "command line options will overwrite
  environment variables and environment variables will overwrite configuration file settings";
  Headlamp's ``backend/pkg/config/config.go`` lets an explicit flag win, see ``proxy/headlamp.py``), so
  a set replaces the option's flags and adds one; an unset also drops the option's environment variable;
- kubelogin: the exec ``args`` of each kubeconfig user that runs ``oidc-login``
  (``--oidc-extra-scope`` repeats: a set adds one);
- the token's claims: the payload is re-encoded; the signature is *not* re-made, so the JWKS is
  withheld from the changed evidence and the signature reads "not checked" (simulated).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from typing import Any

from oidc_doctor.change import Change, Op, Target
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.rbac.index import plain

#: Why the JWKS is withheld after a claims change (the signature check says so).
SIMULATED_SIGNATURE = (
    "the token's claims were changed by --what-if (simulated): its signature is not re-made, so it is not checked"
)


class NotApplicable(ValueError):
    """The change names something the evidence does not hold (one line: what is missing)."""


def _rebuilt(ev: Evidence, edit: Callable[[Item], Any | None]) -> tuple[Evidence, int]:
    """A new Evidence where ``edit(item)`` returned new data (None: keep the item as it is)."""
    items: list[Item] = []
    changed = 0
    for item in ev.items:
        data = edit(item)
        if data is None:
            items.append(item)
        else:
            items.append(Item(item.kind, item.ref, data, item.path, item.line))
            changed += 1
    return Evidence(items, list(ev.inputs), dict(ev.blind)), changed


# --- flags ------------------------------------------------------------------------------------


def _flag_name(word: str) -> str | None:
    if not word.startswith("-") or word in ("-", "--"):
        return None
    return word.lstrip("-").split("=", 1)[0]


def _without_flag(words: list[Any], name: str, takes_value: bool) -> list[Any]:
    """``words`` without every occurrence of flag ``name`` (``--name=v``, ``-name=v``, ``--name v``)."""
    out: list[Any] = []
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        s = str(w)
        if _flag_name(s) == name:
            if "=" not in s and takes_value:
                skip = True  # the value is the next word
            continue
        out.append(w)
    return out


def _set_words(container: dict[str, Any], name: str, value: str | None, dashes: str, repeatable: bool = False) -> None:
    """Set (value) or unset (None) a flag in a container's args (or command when it has no args)."""
    key = (
        "args"
        if isinstance(container.get("args"), list) or not isinstance(container.get("command"), list)
        else "command"
    )
    words = list(container.get(key) or [])
    if not repeatable:
        words = _without_flag(words, name, True)
        if key == "args" and isinstance(container.get("command"), list):
            container["command"] = _without_flag(list(container["command"]), name, True)
    if value is not None:
        words.append(f"{dashes}{name}={value}")
    container[key] = words


def _apiserver(ev: Evidence, c: Change) -> Evidence:
    from oidc_doctor.authn.sources import apiserver_container, cluster_configuration

    name = c.ref.lstrip("-")
    value = c.value if c.op == Op.SET else None

    def edit(item: Item) -> Any | None:
        if not isinstance(item.data, dict):
            return None
        if item.kind == Kind.APISERVER_POD:
            pod = copy.deepcopy(item.data)
            container = apiserver_container(pod)
            if container is None:
                return None
            _set_words(container, name, value, "--")
            return pod
        if item.kind == Kind.KUBEADM_CONFIG and cluster_configuration(item.data) is not None:
            cc = copy.deepcopy(item.data)
            api = cc.setdefault("apiServer", {})
            extra = api.get("extraArgs")
            if isinstance(extra, list):  # v1beta4: [{name, value}]
                extra = [e for e in extra if not (isinstance(e, dict) and e.get("name") == name)]
                if value is not None:
                    extra.append({"name": name, "value": value})
            else:
                extra = dict(extra or {})
                extra.pop(name, None)
                if value is not None:
                    extra[name] = value
            api["extraArgs"] = extra
            return cc
        return None

    out, n = _rebuilt(ev, edit)
    if not n:
        raise NotApplicable(
            f"{c.spec()}: the evidence holds no kube-apiserver Pod or kubeadm ClusterConfiguration to change"
        )
    return out


# --- AuthenticationConfiguration --------------------------------------------------------------

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?")


def _value(text: str) -> Any:
    """A field value: JSON when it reads as a list, object, number, boolean or quoted string; else text."""
    if text[:1] in '[{"' or text in ("true", "false", "null") or re.fullmatch(r"-?\d+", text):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _set_path(doc: dict[str, Any], path: str, value: Any, unset: bool) -> bool:
    """Set or remove ``path`` in ``doc``; False when a list index along the way does not exist."""
    steps = [(m.group(1), m.group(2)) for m in _STEP.finditer(path)]
    node: Any = doc
    for i, (key, index) in enumerate(steps):
        last = i == len(steps) - 1
        if not isinstance(node, dict):
            return False
        if index is None:
            if last:
                if unset:
                    node.pop(key, None)
                else:
                    node[key] = value
                return True
            node = node.setdefault(key, {})
            continue
        seq = node.get(key)
        if not isinstance(seq, list) or int(index) >= len(seq):
            return False
        if last:
            if unset:
                seq.pop(int(index))
            else:
                seq[int(index)] = value
            return True
        node = seq[int(index)]
    return False


def _authconfig(ev: Evidence, c: Change) -> Evidence:
    value = _value(c.value)
    missing: list[str] = []

    def edit(item: Item) -> Any | None:
        if item.kind != Kind.AUTH_CONFIG or not isinstance(item.data, dict):
            return None
        doc = copy.deepcopy(item.data)
        if not _set_path(doc, c.ref, value, c.op == Op.UNSET):
            missing.append(item.ref)
            return None
        return doc

    out, n = _rebuilt(ev, edit)
    if not n:
        why = f"{', '.join(missing)} has no {c.ref}" if missing else "the evidence holds no AuthenticationConfiguration"
        raise NotApplicable(f"{c.spec()}: {why}")
    return out


# --- RBAC -------------------------------------------------------------------------------------


def _subject_dict(kind: str, name: str) -> dict[str, Any]:
    if kind == "ServiceAccount":
        ns, _, sa = name.partition(":")
        return {"kind": "ServiceAccount", "name": sa or ns, "namespace": ns if sa else "default"}
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def _same_subject(s: object, kind: str, name: str) -> bool:
    if not isinstance(s, dict) or s.get("kind") != kind:
        return False
    if kind == "ServiceAccount":
        return f"{s.get('namespace')}:{s.get('name')}" == name or s.get("name") == name
    return s.get("name") == name


def _new_binding(ev: Evidence, c: Change) -> Evidence:
    """A new RoleBinding/ClusterRoleBinding item (refused when one of that name is in the evidence)."""
    kind, ns, name, _ = c.binding()
    for item in ev.of(Kind.RBAC):
        d = plain(item.data)
        meta = d.get("metadata") if isinstance(d, dict) and isinstance(d.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        if (
            isinstance(d, dict)
            and d.get("kind") == kind
            and meta.get("name") == name
            and (kind == "ClusterRoleBinding" or (meta.get("namespace") or "default") == ns)
        ):
            raise NotApplicable(f"{c.spec()}: {c.ref} already exists ({item.ref}); add a subject to it with +=")
    rkind, rname = c.role()
    skind, sname = c.subject()
    metadata: dict[str, Any] = {"name": name, **({"namespace": ns} if kind == "RoleBinding" else {})}
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": rkind, "name": rname},
        "subjects": [_subject_dict(skind, sname)],
    }
    return Evidence([*ev.items, Item(Kind.RBAC, f"--what-if {c.ref}", obj)], list(ev.inputs), dict(ev.blind))


def _binding(ev: Evidence, c: Change) -> Evidence:
    if c.op == Op.CREATE_BINDING:
        return _new_binding(ev, c)
    kind, ns, name, index = c.binding()
    skind, sname = c.subject()
    problems: list[str] = []

    def edit(item: Item) -> Any | None:
        d = plain(item.data) if item.kind == Kind.RBAC else item.data
        if item.kind != Kind.RBAC or not isinstance(d, dict) or d.get("kind") != kind:
            return None
        meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        if meta.get("name") != name or (kind == "RoleBinding" and (meta.get("namespace") or "default") != ns):
            return None
        b = copy.deepcopy(d)
        subjects: list[Any] = list(b["subjects"]) if isinstance(b.get("subjects"), list) else []
        if c.op == Op.ADD_SUBJECT:
            if not any(_same_subject(s, skind, sname) for s in subjects):
                subjects.append(_subject_dict(skind, sname))
        elif c.op == Op.REMOVE_SUBJECT:
            kept = [s for s in subjects if not _same_subject(s, skind, sname)]
            if len(kept) == len(subjects):
                problems.append(f"{c.ref} has no subject {c.value}")
                return None
            subjects = kept
        else:
            assert index is not None
            if index >= len(subjects):
                problems.append(f"{c.ref.split(' subjects[')[0]} has {len(subjects)} subject(s)")
                return None
            subjects[index] = _subject_dict(skind, sname)
        b["subjects"] = subjects
        return b

    out, n = _rebuilt(ev, edit)
    if not n:
        raise NotApplicable(
            f"{c.spec()}: {problems[0] if problems else 'the evidence holds no ' + c.ref.split(' subjects[')[0]}"
        )
    return out


# --- proxies and clients ----------------------------------------------------------------------


def _proxy_env(name: str) -> str:
    # oauth2-proxy's environment variable for a flag: OAUTH2_PROXY_ + upper case, "-" -> "_"
    # (oauth2-proxy docs/docs/configuration/overview.md, "Environment variables").
    return "OAUTH2_PROXY_" + name.upper().replace("-", "_")


def _headlamp_env(name: str) -> str:
    from oidc_doctor.proxy.headlamp import ENV_PREFIX

    return ENV_PREFIX + name.upper().replace("-", "_")


def _containers_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    from oidc_doctor.proxy.settings import pod_spec

    cs = pod_spec(obj).get("containers")
    return [c for c in cs if isinstance(c, dict)] if isinstance(cs, list) else []


def _workload_option(ev: Evidence, c: Change, headlamp: bool) -> Evidence:
    from oidc_doctor.proxy.headlamp import is_headlamp
    from oidc_doctor.proxy.settings import is_oauth2_proxy

    name = c.ref.lstrip("-")
    value = c.value if c.op == Op.SET else None
    env_name = _headlamp_env(name) if headlamp else _proxy_env(name)
    wanted = is_headlamp if headlamp else is_oauth2_proxy

    def edit(item: Item) -> Any | None:
        if not headlamp and item.kind == Kind.HELM_VALUES and isinstance(item.data, dict):
            return _chart_values(item.data, name, value)
        if item.kind != Kind.WORKLOAD or not isinstance(item.data, dict):
            return None
        obj = copy.deepcopy(item.data)
        hit = False
        for container in _containers_of(obj):
            if not wanted(container):
                continue
            hit = True
            _set_words(container, name, value, "-" if headlamp else "--")
            if value is None and isinstance(container.get("env"), list):
                container["env"] = [
                    e for e in container["env"] if not (isinstance(e, dict) and e.get("name") == env_name)
                ]
        return obj if hit else None

    out, n = _rebuilt(ev, edit)
    if not n:
        what = "Headlamp" if headlamp else "oauth2-proxy"
        raise NotApplicable(f"{c.spec()}: the evidence holds no workload with an {what} container")
    return out


def _chart_values(values: dict[str, Any], name: str, value: Any) -> dict[str, Any] | None:
    """oauth2-proxy chart values with one option changed where the chart takes it: ``extraArgs``
    (a key of the map, or a word of the list); None for values of another chart."""
    from oidc_doctor.proxy.chart import is_oauth2_proxy_values

    if not is_oauth2_proxy_values(values):
        return None
    out = copy.deepcopy(values)
    extra = out.get("extraArgs")
    if isinstance(extra, list):
        words = [w for w in extra if _flag_name(str(w)) != name]
        out["extraArgs"] = words if value is None else [*words, f"--{name}={value}"]
    else:
        extra = dict(extra) if isinstance(extra, dict) else {}
        extra.pop(name, None)
        if value is not None:
            extra[name] = value
        out["extraArgs"] = extra
    return out


def _kubelogin(ev: Evidence, c: Change) -> Evidence:
    name = c.ref.lstrip("-")
    value = c.value if c.op == Op.SET else None

    def edit(item: Item) -> Any | None:
        if item.kind != Kind.KUBECONFIG or not isinstance(item.data, dict):
            return None
        cfg = copy.deepcopy(item.data)
        hit = False
        for u in cfg.get("users") or []:
            exec_ = (u.get("user") or {}).get("exec") if isinstance(u, dict) else None
            if not isinstance(exec_, dict) or not isinstance(exec_.get("args"), list):
                continue
            if not any(str(a).startswith("--oidc-issuer-url") for a in exec_["args"]):
                continue
            hit = True
            words = exec_["args"]
            repeatable = name == "oidc-extra-scope" and value is not None
            if repeatable and f"--{name}={value}" in words:
                continue
            tmp = {"args": words}
            _set_words(tmp, name, value, "--", repeatable=repeatable)
            exec_["args"] = tmp["args"]
        return cfg if hit else None

    out, n = _rebuilt(ev, edit)
    if not n:
        raise NotApplicable(f"{c.spec()}: the evidence holds no kubeconfig user running kubelogin")
    return out


def _scope(ev: Evidence, c: Change) -> Evidence:
    """Ask every OIDC client in the evidence for one more scope (future tokens: simulated)."""
    out = Evidence(list(ev.items), list(ev.inputs), dict(ev.blind))
    done = 0
    for target, ref, join in ((Target.PROXY, "--scope", " "), (Target.HEADLAMP, "-oidc-scopes", ",")):
        current = _current_scopes(out, target == Target.HEADLAMP)
        if current is None:
            continue
        if c.value in current:
            done += 1
            continue
        out = _workload_option(
            out, Change(target, Op.SET, ref, join.join([*current, c.value])), target == Target.HEADLAMP
        )
        done += 1
    if any(i.kind == Kind.KUBECONFIG for i in out.items):
        try:
            out = _kubelogin(out, Change(Target.KUBELOGIN, Op.SET, "--oidc-extra-scope", c.value))
            done += 1
        except NotApplicable:
            pass  # a kubeconfig without kubelogin: nothing to ask
    if not done:
        raise NotApplicable(f"{c.spec()}: the evidence holds no OIDC client (oauth2-proxy, Headlamp, kubelogin) to ask")
    return out


def _current_scopes(ev: Evidence, headlamp: bool) -> list[str] | None:
    """The scopes the first proxy (or Headlamp) container asks for, or None when there is none."""
    from oidc_doctor.proxy.chart import is_oauth2_proxy_values, render
    from oidc_doctor.proxy.headlamp import is_headlamp
    from oidc_doctor.proxy.settings import is_oauth2_proxy

    wanted = is_headlamp if headlamp else is_oauth2_proxy
    flag = "oidc-scopes" if headlamp else "scope"
    containers = [c for i in ev.of(Kind.WORKLOAD) if isinstance(i.data, dict) for c in _containers_of(i.data)]
    if not headlamp:  # a proxy known by its chart values: the container the chart renders
        containers += [
            render(i.data, i.ref).container
            for i in ev.of(Kind.HELM_VALUES)
            if isinstance(i.data, dict) and is_oauth2_proxy_values(i.data)
        ]
    for container in containers:
        if not wanted(container):
            continue
        for w in [str(x) for x in (container.get("command") or []) + (container.get("args") or [])]:
            if _flag_name(w) == flag and "=" in w:
                value = w.split("=", 1)[1]
                return [s for s in re.split(r"[ ,]+", value) if s]
        # oauth2-proxy's oidc default scope is "openid email profile"; Headlamp's "profile,email"
        return ["profile", "email"] if headlamp else ["openid", "email", "profile"]
    return None


# --- claims -----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _claims(ev: Evidence, c: Change) -> Evidence:
    from oidc_doctor.checks.token_facts import BLIND_JWKS
    from oidc_doctor.jose import parse_compact

    done = False

    def edit(item: Item) -> Any | None:
        nonlocal done
        if done or item.kind != Kind.TOKEN or not isinstance(item.data, str):
            return None
        parts = item.data.split(".")
        payload = parse_compact(item.data).payload
        if len(parts) != 3 or not isinstance(payload, dict):
            return None
        claims = dict(payload)
        if c.op == Op.UNSET:
            claims.pop(c.ref, None)
        else:
            claims[c.ref] = json.loads(c.value)
        done = True  # the first token is the one judged (a --token comes first)
        return ".".join((parts[0], _b64(json.dumps(claims, separators=(",", ":")).encode()), parts[2]))

    out, _ = _rebuilt(ev, edit)
    if not done:
        raise NotApplicable(f"{c.spec()}: the evidence holds no decodable JWT whose claims could change")
    out = Evidence([i for i in out.items if i.kind != Kind.JWKS], out.inputs, out.blind)
    out.blind[BLIND_JWKS] = SIMULATED_SIGNATURE
    return out


_APPLY: dict[Target, Callable[[Evidence, Change], Evidence]] = {
    Target.APISERVER: _apiserver,
    Target.AUTHCONFIG: _authconfig,
    Target.BINDING: _binding,
    Target.PROXY: lambda ev, c: _workload_option(ev, c, headlamp=False),
    Target.HEADLAMP: lambda ev, c: _workload_option(ev, c, headlamp=True),
    Target.KUBELOGIN: _kubelogin,
    Target.CLAIMS: _claims,
    Target.SCOPE: _scope,
}


def apply(ev: Evidence, change: Change) -> Evidence:
    """A new Evidence with ``change`` made; :class:`NotApplicable` when the evidence lacks its target."""
    return _APPLY[change.target](ev, change)


def apply_all(ev: Evidence, changes: tuple[Change, ...] | list[Change]) -> Evidence:
    """Every change in order, each on the result of the one before."""
    for c in changes:
        ev = apply(ev, c)
    return ev
