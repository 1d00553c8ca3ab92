"""The one write the tool makes: turn oauth2-proxy's ``--set-authorization-header`` on or off.

The Kubeapps debugging guide patches ``/spec/template/spec/containers/1/args/-``, assuming the
proxy is container 1. Here the container is looked up by name, and every JSON Patch (RFC 6902)
starts with a ``test`` operation on ``.../containers/<i>/name``: if the containers moved between
reading and patching, the API server refuses the patch instead of changing another container.
Building is pure and idempotent: enabling twice adds the flag once; disabling removes the flag
wherever it is (``command`` or ``args``, any value) and ``OAUTH2_PROXY_SET_AUTHORIZATION_HEADER``
set to true in ``env``. Removals run from the highest index down, each guarded by a ``test`` of
the value, so the patch never removes the wrong element.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from oidc_doctor.errors import UsageError
from oidc_doctor.gosyntax import go_bool
from oidc_doctor.proxy.objects import as_dict, as_list
from oidc_doctor.proxy.settings import is_oauth2_proxy, pod_spec

FLAG = "--set-authorization-header"
ENV = "OAUTH2_PROXY_SET_AUTHORIZATION_HEADER"
Action = Literal["enable", "disable"]
_KIND_ARG = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset"}


@dataclass
class PatchPlan:
    """A JSON Patch for one workload and what the user must know about it."""

    action: Action
    kind: str
    namespace: str
    name: str
    container: str
    index: int
    ops: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: True when the change cannot be made by patching flags (alpha config, a config file, a Secret).
    blocked: bool = False

    @property
    def changes(self) -> bool:
        """Whether the patch changes anything (beyond its ``test`` guards)."""
        return any(op["op"] != "test" for op in self.ops)

    def patch_json(self) -> str:
        """The patch as compact JSON."""
        return json.dumps(self.ops, separators=(",", ":"))

    def kubectl(self) -> str:
        """The equivalent ``kubectl patch`` command."""
        from oidc_doctor.shell import join

        kind = _KIND_ARG.get(self.kind, self.kind.lower())
        argv: list[str | tuple[str, str]] = ["kubectl", "-n", (self.namespace, "namespace"), "patch", kind]
        return join([*argv, (self.name, "name"), "--type=json", "-p", (self.patch_json(), "JSON patch")])


def _is_flag(word: str) -> bool:
    return word == FLAG or word.startswith(FLAG + "=")


def _flag_value(word: str) -> bool | None:
    if word == FLAG:
        return True
    return go_bool(word.split("=", 1)[1])


def choose_container(obj: dict[str, Any], name: str | None) -> tuple[int, dict[str, Any]]:
    """The container to patch, by name; without a name, the only oauth2-proxy container."""
    containers = [c for c in as_list(pod_spec(obj).get("containers")) if isinstance(c, dict)]
    meta = as_dict(obj.get("metadata"))
    where = f"{obj.get('kind', 'workload')} {meta.get('namespace', '')}/{meta.get('name', '')}"
    if name:
        for i, c in enumerate(containers):
            if c.get("name") == name:
                return i, c
        names = ", ".join(str(c.get("name")) for c in containers)
        raise UsageError(f"{where} has no container named {name!r} (containers: {names})")
    proxies = [(i, c) for i, c in enumerate(containers) if is_oauth2_proxy(c)]
    if len(proxies) == 1:
        return proxies[0]
    if not proxies:
        raise UsageError(f"{where} has no oauth2-proxy container; name it with -c CONTAINER")
    names = ", ".join(str(c.get("name")) for _, c in proxies)
    raise UsageError(f"{where} has several oauth2-proxy containers ({names}); choose one with -c CONTAINER")


def build(obj: dict[str, Any], action: Action, container: str | None = None) -> PatchPlan:
    """The JSON Patch that enables or disables the Authorization response header."""
    meta = as_dict(obj.get("metadata"))
    index, c = choose_container(obj, container)
    plan = PatchPlan(
        action=action,
        kind=str(obj.get("kind") or "Deployment"),
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or ""),
        container=str(c.get("name")),
        index=index,
    )
    base = f"/spec/template/spec/containers/{index}"
    guard = {"op": "test", "path": f"{base}/name", "value": plan.container}
    words = {label: [str(w) for w in as_list(c.get(label))] for label in ("command", "args")}
    env = as_list(c.get("env"))  # indices must stay those of the stored list
    alpha = any(w.startswith("--alpha-config") for ws in words.values() for w in ws)
    config_file = any(
        w.startswith("--config") and not w.startswith("--config-test") for ws in words.values() for w in ws
    )

    if alpha:
        plan.blocked = True
        plan.notes.append(
            "this proxy uses --alpha-config, where --set-authorization-header is refused; instead "
            + (
                "add to the alpha config's `injectResponseHeaders`: "
                "`- name: Authorization\\n  values:\\n  - claimSource: {claim: id_token, prefix: 'Bearer '}`"
                if action == "enable"
                else "remove the `Authorization` entry from the alpha config's `injectResponseHeaders`"
            )
        )
        return plan

    ops: list[dict[str, Any]] = []
    if action == "enable":
        flags = [(label, k, w) for label, ws in words.items() for k, w in enumerate(ws) if _is_flag(w)]
        env_on = [
            k
            for k, e in enumerate(env)
            if isinstance(e, dict) and e.get("name") == ENV and "value" in e and go_bool(str(e.get("value"))) is True
        ]
        if not flags and env_on:
            plan.notes.append(f"`{ENV}=true` already turns it on (container {plan.container} env[{env_on[-1]}])")
        elif flags and _flag_value(flags[-1][2]) is True:
            plan.notes.append(f"`{FLAG}` is already on (container {plan.container} {flags[-1][0]}[{flags[-1][1]}])")
        elif flags:
            label, k, w = flags[-1]
            ops += [
                {"op": "test", "path": f"{base}/{label}/{k}", "value": w},
                {"op": "replace", "path": f"{base}/{label}/{k}", "value": f"{FLAG}=true"},
            ]
        elif "args" in c and isinstance(c.get("args"), list):
            ops.append({"op": "add", "path": f"{base}/args/-", "value": f"{FLAG}=true"})
        elif words["command"]:
            ops.append({"op": "add", "path": f"{base}/args", "value": [f"{FLAG}=true"]})
        else:
            # No command and no args: adding args would replace the image's default arguments,
            # so the environment variable is the safe place.
            entry = {"name": ENV, "value": "true"}
            if "env" in c and isinstance(c.get("env"), list):
                ops.append({"op": "add", "path": f"{base}/env/-", "value": entry})
            else:
                ops.append({"op": "add", "path": f"{base}/env", "value": [entry]})
        if config_file and not ops and not flags:
            plan.notes.append("a --config file may also set set_authorization_header")
    else:
        removals: list[tuple[str, int, Any]] = []
        for label, ws in words.items():
            for k, w in enumerate(ws):
                if _is_flag(w):
                    removals.append((label, k, w))
        for k, e in enumerate(env):
            if not isinstance(e, dict) or e.get("name") != ENV:
                continue
            if "value" in e:
                if go_bool(str(e.get("value"))) is not False:
                    removals.append(("env", k, e))
            else:
                plan.notes.append(
                    f"{ENV} in container {plan.container} env[{k}] comes from "
                    "a Secret or ConfigMap; its value is not read: remove it there if it is true"
                )
        for label, k, value in sorted(removals, key=lambda r: (r[0], -r[1])):
            ops += [
                {"op": "test", "path": f"{base}/{label}/{k}", "value": value},
                {"op": "remove", "path": f"{base}/{label}/{k}"},
            ]
        if config_file:
            plan.notes.append(
                "this proxy also reads a --config file: if it has `set_authorization_header = true`, "
                "remove that line from its ConfigMap"
            )
        if not removals:
            plan.notes.append(f"`{FLAG}` is not set on container {plan.container}: nothing to remove")
    if ops:
        plan.ops = [guard, *ops]
    return plan


def helm_note(chart_flags_key: str, release: str, namespace: str, action: Action) -> str:
    """What to change instead when Helm manages the Deployment (a later upgrade reverts a patch)."""
    if action == "enable":
        return (
            f"Helm manages this Deployment: the next `helm upgrade` drops this patch. To keep the flag, add "
            f"`{FLAG}=true` to `authProxy.{chart_flags_key}` in the values of release {namespace}/{release}"
        )
    return (
        f"Helm manages this Deployment: also remove `{FLAG}=true` from `authProxy.{chart_flags_key}` in the "
        f"values of release {namespace}/{release}, or the next `helm upgrade` brings it back"
    )
