"""``oidc-doctor proxy``: oauth2-proxy / Kubeapps session checks, and the authz-header patch.

``oidc-doctor proxy [--bundle DIR | --context C] [-n NS] [--format ...]`` runs the proxy checks
(all of them also run in ``diagnose``). ``oidc-doctor proxy authz-header enable|disable`` builds
the JSON Patch that turns ``--set-authorization-header`` on or off on the proxy container (found
by name), prints it with the equivalent ``kubectl patch`` command, and only with ``--apply``
patches through the API and waits for the rollout.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oidc_doctor.errors import UsageError
from oidc_doctor.io import IO

if TYPE_CHECKING:
    from oidc_doctor.live.client import ApiClient
    from oidc_doctor.proxy.patch import PatchPlan


#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor proxy --bundle DIR
  oidc-doctor proxy --context prod -n kubeapps --settings
  oidc-doctor proxy authz-header enable -n kubeapps -d kubeapps          (dry run; add --apply)

exit status: 0 no error found, 1 at least one error, 2 could not run."""

AUTHZ_HEADER_EPILOG = """examples:
  oidc-doctor proxy authz-header enable -n kubeapps -d kubeapps               (dry run: the patch)
  oidc-doctor proxy authz-header enable -n kubeapps -d kubeapps --apply       (patch, wait for the rollout)
  oidc-doctor proxy authz-header disable -n kubeapps -d kubeapps --apply      (revert when done)
  oidc-doctor proxy authz-header enable --bundle DIR -o json

exit status: 0 planned, applied or nothing to change, 2 blocked (the reason is printed) or could not run."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``proxy`` and its ``authz-header`` action."""
    from oidc_doctor.commands import options

    _source_args(p)
    options.now_option(p)
    options.token_option(p, help="a token that went through the proxy (- stdin, @FILE, $NAME): its lifetime and size")
    p.add_argument("--token-lifetime", metavar="DURATION", help="the id_token lifetime (exp - iat), e.g. 5m")
    options.output_options(p)
    p.add_argument(
        "--settings",
        action="store_true",
        help="print each proxy's effective settings and where each came from (credentials redacted)",
    )
    subs = p.add_subparsers(dest="proxy_action", metavar="ACTION", parser_class=type(p))
    a = subs.add_parser(
        "authz-header",
        help="turn --set-authorization-header on (to copy the id_token from the browser) or off",
        description="Patch --set-authorization-header on the oauth2-proxy container, by container name. "
        "Dry run unless --apply.",
        epilog=AUTHZ_HEADER_EPILOG,
    )
    a.add_argument("state", choices=("enable", "disable"))
    _source_args(a, inherit=True)
    options.output_options(a, default=argparse.SUPPRESS)
    a.add_argument("-d", "--deployment", metavar="NAME", help="the workload (default: the one with a proxy)")
    a.add_argument(
        "--kind", choices=("deployment", "statefulset", "daemonset"), default="deployment", help="workload kind"
    )
    a.add_argument("-c", "--container", metavar="NAME", help="the proxy container (default: the only one)")
    a.add_argument("--apply", action="store_true", help="patch through the API and wait for the rollout")
    a.add_argument("--timeout", metavar="DURATION", default="5m", help="how long to wait for the rollout")


def _source_args(p: argparse.ArgumentParser, *, inherit: bool = False) -> None:
    # In the action's parser the defaults are suppressed, so `proxy -n NS authz-header ...` keeps NS.
    from oidc_doctor.commands.options import source_options

    d: dict[str, Any] = {"default": argparse.SUPPRESS} if inherit else {}
    source_options(p, **d)
    p.add_argument(
        "-n", "--namespace", metavar="NS", help="namespace (default: all for checks, context's for patches)", **d
    )


def run(args: argparse.Namespace, io: IO) -> int:
    """Dispatch to the checks or to ``authz-header``."""
    if getattr(args, "proxy_action", None) == "authz-header":
        return _authz_header(args, io)
    return _checks(args, io)


def _client(args: argparse.Namespace, io: IO) -> ApiClient:
    from oidc_doctor.live.client import ApiClient
    from oidc_doctor.live.kubeconfig import load

    cfg = load(args.context, args.kubeconfig, env=dict(io.env))
    return ApiClient(cfg, stderr=io.stderr)


# --- the checks -------------------------------------------------------------------------------


def _checks(args: argparse.Namespace, io: IO) -> int:
    from oidc_doctor import pipeline
    from oidc_doctor.bundle import read_bundle
    from oidc_doctor.checks import clients
    from oidc_doctor.checks.base import Context, Options
    from oidc_doctor.checks.proxy import CHECKS
    from oidc_doctor.commands.result import report_result, write
    from oidc_doctor.commands.when import judge_time
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.text import parse_duration

    ev = Evidence()
    if args.bundle:
        read_bundle(Path(args.bundle), ev)
    if args.context or args.kubeconfig or not args.bundle:
        from oidc_doctor.live.sources import read_proxy_objects

        with _client(args, io) as client:
            read_proxy_objects(client, args.namespace, ev)
    if args.token:
        from oidc_doctor.commands.options import read_token
        from oidc_doctor.evidence import InputRecord, Item, Kind

        ev.add_first(Item(Kind.TOKEN, "--token", read_token(args.token, io)))
        ev.inputs.append(InputRecord("--token", str(Kind.TOKEN), objects=1))
    moment = judge_time(args.now, io, ev, Path(args.bundle) if args.bundle else None)
    lifetime = parse_duration(args.token_lifetime, "--token-lifetime") if args.token_lifetime else None
    ctx = Context(now=moment.now, now_source=moment.source, options=Options(token_lifetime_s=lifetime, offline=True))
    # Every OIDC client vs the API server too; only the areas these checks read (no RBAC index).
    checks = [*CHECKS, *clients.CHECKS]
    report = pipeline.run(ev, ctx, checks=checks, areas=("proxy", "authn", "failures"))
    if args.settings:
        from oidc_doctor.commands.result import Result

        state = report.ctx.facts.proxy
        doc = {"proxies": _settings_doc(state)}
        return write(Result("proxy", SETTINGS_SCHEMA, 0, doc, lambda: _settings_text(state)), args, io)
    return write(report_result("proxy", report, moment.notes), args, io)


#: Options shown even when left at their default: the ones the checks judge.
_SHOWN_DEFAULTS = (
    "provider",
    "client-id",
    "oidc-issuer-url",
    "scope",
    "cookie-refresh",
    "cookie-expire",
    "pass-authorization-header",
    "set-authorization-header",
    "pass-access-token",
    "upstream",
)


SETTINGS_SCHEMA = "oidc-doctor/proxy-settings/v1"


def _settings_doc(state: Any) -> list[dict[str, Any]]:
    """Every proxy's settings as JSON: the same values, sources and places as the text, masked."""
    from oidc_doctor.checks.proxy import ProxyState
    from oidc_doctor.secrets import mask_text as mask

    if not isinstance(state, ProxyState):
        return []
    out = []
    for cfg in state.configs:
        inst = cfg.instance
        settings = {}
        for name in sorted(set(cfg.settings) | set(_SHOWN_DEFAULTS)):
            s = cfg.get(name)
            settings[name] = {"value": mask(str(s.shown)) if s.known else None, "source": s.source, "ref": s.ref}
        out.append(
            {
                "ref": inst.ref,
                "image": inst.image,
                "settings": settings,
                "from_secrets": list(cfg.secret_env),
                "problems": [p.message for p in cfg.problems],
            }
        )
    return out


def _settings_text(state: Any) -> str:
    """Every proxy's settings: value, source and where it was set, credentials redacted."""
    from oidc_doctor.checks.proxy import ProxyState
    from oidc_doctor.proxy.kubeapps import KubeappsInfo, show_chart
    from oidc_doctor.proxy.providers import show
    from oidc_doctor.secrets import mask_text as mask
    from oidc_doctor.text import clean

    if not isinstance(state, ProxyState) or not state.configs:
        return "No oauth2-proxy container found.\n"
    out: list[str] = []
    for cfg in state.configs:
        inst = cfg.instance
        version = show(inst.version) if inst.version else "unknown version"
        out.append(f"{clean(inst.ref)} — {clean(inst.image)} ({version})")
        if isinstance(cfg.kubeapps, KubeappsInfo):
            k = cfg.kubeapps
            seen = "values read from the release record" if k.values_seen else "release record not seen"
            out.append(
                clean(
                    f"  Kubeapps chart {show_chart(k.chart_version)}, release {k.namespace}/{k.release_name} ({seen})"
                )
            )
        names = sorted(set(cfg.settings) | set(_SHOWN_DEFAULTS))
        for name in names:
            s = cfg.get(name)
            value = s.shown if s.known else "(not visible)"
            # a value may hold a token even where no credential belongs (a pasted id_token): mask
            # before cutting, so no piece of it shows
            out.append(f"  --{name}={clean(mask(str(value)), 120)}  [{s.source}: {clean(s.ref, 160)}]")
        for name in cfg.secret_env:
            out.append(f"  from a Secret (never read): {clean(name)}")
        for p in cfg.problems:
            out.append(f"  problem: {clean(mask(p.message))}")
        out.append("")
    return "\n".join(out)


# --- authz-header -------------------------------------------------------------------------------

_KINDS = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}


def _from_bundle(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    from oidc_doctor.bundle import read_bundle
    from oidc_doctor.evidence import Kind
    from oidc_doctor.proxy.settings import find_proxies

    ev = read_bundle(Path(args.bundle))
    candidates = []
    for item in ev.of(Kind.WORKLOAD):
        obj = item.data
        if not isinstance(obj, dict) or obj.get("kind") != kind:
            continue
        meta = obj.get("metadata") or {}
        if args.namespace and meta.get("namespace", "default") != args.namespace:
            continue
        if args.deployment and meta.get("name") != args.deployment:
            continue
        if args.deployment or find_proxies(obj, item.ref):
            candidates.append(obj)
    return _one(candidates, kind, args, f"the bundle {args.bundle}")


def _one(candidates: list[dict[str, Any]], kind: str, args: argparse.Namespace, where: str) -> dict[str, Any]:
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        what = f"{kind} {args.deployment}" if args.deployment else f"{kind} with an oauth2-proxy container"
        raise UsageError(f"no {what} in {where}" + (f" namespace {args.namespace}" if args.namespace else ""))
    names = ", ".join(
        f"{(c.get('metadata') or {}).get('namespace')}/{(c.get('metadata') or {}).get('name')}" for c in candidates
    )
    raise UsageError(f"several {kind}s with an oauth2-proxy container ({names}): choose one with -n and -d")


def _from_live(client: ApiClient, args: argparse.Namespace, kind: str) -> dict[str, Any]:
    from oidc_doctor.live.client import LiveError, workload_path
    from oidc_doctor.proxy.settings import find_proxies
    from oidc_doctor.text import clean

    ns = args.namespace or client.cfg.namespace
    if args.deployment:
        obj = client.get(workload_path(kind, ns, args.deployment))
        obj.setdefault("kind", kind)
        meta = obj.get("metadata")
        got = (meta.get("namespace"), meta.get("name")) if isinstance(meta, dict) else (None, None)
        if got != (ns, args.deployment) or obj.get("kind") != kind:
            # the write path patches exactly what the user named, never what an answer claims
            raise LiveError(
                f"asked for {kind} {ns}/{args.deployment}, the API server answered with "
                f"{clean(obj.get('kind'), 40)} {clean(got[0], 80)}/{clean(got[1], 80)}: nothing was patched"
            )
        return obj
    found = [o for o in client.list(workload_path(kind, ns)) if find_proxies(o, "live")]
    return _one(found, kind, args, f"namespace {ns} of context {client.cfg.context}")


AUTHZ_SCHEMA = "oidc-doctor/proxy-authz-header/v1"


def _authz_header(args: argparse.Namespace, io: IO) -> int:
    from oidc_doctor.commands.result import Result, write
    from oidc_doctor.proxy.kubeapps import parse_chart_version
    from oidc_doctor.proxy.patch import build, helm_note
    from oidc_doctor.text import parse_duration

    kind = _KINDS[args.kind]
    if args.apply and args.bundle:
        raise UsageError("proxy authz-header: --apply patches a live cluster; drop --bundle")
    client = None if args.bundle else _client(args, io)
    try:
        obj = _from_bundle(args, kind) if args.bundle else _from_live(client, args, kind)  # type: ignore[arg-type]
        plan = build(obj, args.state, args.container)
        labels = (obj.get("metadata") or {}).get("labels") or {}
        # names, notes and the kubectl command come from the workload: the writer cleans them
        target = f"{plan.kind.lower()} {plan.namespace}/{plan.name}"
        lines = [f"Container {plan.container} (index {plan.index}) of {target}."]
        notes = list(plan.notes)
        chart_label = str(labels.get("helm.sh/chart", ""))
        release = str(labels.get("app.kubernetes.io/instance") or plan.name)
        if plan.blocked:
            pass
        elif chart_label.startswith("kubeapps-"):
            chart = parse_chart_version(chart_label)
            key = "additionalFlags" if chart is not None and chart < (8, 0, 0) else "extraFlags"
            notes.append(helm_note(key, release, plan.namespace, args.state))
        elif labels.get("app.kubernetes.io/managed-by") == "Helm" or chart_label:
            notes.append(
                f"Helm manages this workload (release {plan.namespace}/{release}): a later `helm upgrade` "
                "reverts this patch; to keep the change, set the flag in the chart's values"
            )
        lines += [f"Note: {n}" for n in notes]
        outcome = "blocked" if plan.blocked else "unchanged" if not plan.changes else "dry-run"
        if outcome == "unchanged":
            lines.append("Nothing to change.")
        elif outcome == "dry-run" and not args.apply:
            lines += ["Dry run: nothing was changed. Apply it with --apply, or run:", "", f"  {plan.kubectl()}", ""]
            from oidc_doctor.text import json_text

            lines += ["JSON patch:", json_text(json.dumps(plan.ops, indent=2))]
        elif outcome == "dry-run":
            assert client is not None
            lines.append(_apply(client, plan, parse_duration(args.timeout, "--timeout"), io))
            outcome = "applied"
        if args.state == "enable" and outcome != "blocked":
            lines += _after_enable(plan, io)
        doc = {
            "target": {"kind": plan.kind, "namespace": plan.namespace, "name": plan.name},
            "container": {"name": plan.container, "index": plan.index},
            "state": args.state,
            "outcome": outcome,
            "notes": notes,
            "patch": plan.ops,
            "kubectl": plan.kubectl() if plan.changes else None,
        }
        text = "\n".join(lines) + "\n"
        status = 2 if plan.blocked else 0
        return write(Result("proxy authz-header", AUTHZ_SCHEMA, status, doc, lambda: text), args, io)
    finally:
        if client is not None:
            client.close()


def _apply(client: ApiClient, plan: PatchPlan, timeout_s: float, io: IO) -> str:
    """Patch exactly the object named, wait for the rollout (progress on stderr), return the outcome line."""
    from oidc_doctor.live.client import LiveError, wait_rollout, workload_path

    answer = client.patch_json(workload_path(plan.kind, plan.namespace, plan.name), plan.ops)
    meta = answer.get("metadata")
    if not isinstance(meta, dict) or (meta.get("namespace"), meta.get("name")) != (plan.namespace, plan.name):
        raise LiveError(
            f"the PATCH of {plan.kind.lower()} {plan.namespace}/{plan.name} was answered with another object: "
            "check the workload with kubectl before anything else"
        )
    print(f"Patched {plan.kind.lower()} {plan.namespace}/{plan.name}; waiting for the rollout...", file=io.stderr)
    message = wait_rollout(
        client,
        plan.kind,
        plan.namespace,
        plan.name,
        timeout_s=timeout_s,
        progress=lambda m: print(f"  {m}", file=io.stderr),
    )
    return f"Patched {plan.kind.lower()} {plan.namespace}/{plan.name}: {message}"


def _after_enable(plan: PatchPlan, io: IO) -> list[str]:
    """Warn (stderr) that the token is exposed, and return how to copy it (for the output)."""
    from oidc_doctor.shell import join

    disable = join(
        [
            *("oidc-doctor", "proxy", "authz-header", "disable"),
            *("-n", (plan.namespace, "namespace"), "-d", (plan.name, "deployment")),
            *("-c", (plan.container, "container"), "--apply"),
        ]
    )
    io.warn(
        "while this is on, every response of the proxy carries the user's id_token to the browser; "
        f"turn it off when done: {disable}"
    )
    return [
        "",
        "To copy the token: open the dashboard in the browser, open the developer tools (F12), Network tab, "
        "reload, select a request to the dashboard, and under Response Headers copy the value of "
        "`Authorization` after `Bearer `. Then run",
        "",
        "  oidc-doctor token -",
        "",
        "paste the token and press Ctrl-D. Do not paste it into a web site.",
    ]
