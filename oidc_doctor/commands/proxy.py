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
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oidc_doctor.errors import UsageError
from oidc_doctor.io import IO

if TYPE_CHECKING:
    from oidc_doctor.live.client import ApiClient
    from oidc_doctor.proxy.patch import PatchPlan


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``proxy`` and its ``authz-header`` action."""
    _source_args(p)
    p.add_argument("--now", metavar="RFC3339", help="judge times against this moment")
    p.add_argument(
        "--token", metavar="SRC", help="a token that went through the proxy (- stdin, @FILE): its lifetime and size"
    )
    p.add_argument("--token-lifetime", metavar="DURATION", help="the id_token lifetime (exp - iat), e.g. 5m")
    p.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
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
    )
    a.add_argument("state", choices=("enable", "disable"))
    _source_args(a, inherit=True)
    a.add_argument("-d", "--deployment", metavar="NAME", help="the workload (default: the one with a proxy)")
    a.add_argument(
        "--kind", choices=("deployment", "statefulset", "daemonset"), default="deployment", help="workload kind"
    )
    a.add_argument("-c", "--container", metavar="NAME", help="the proxy container (default: the only one)")
    a.add_argument("--apply", action="store_true", help="patch through the API and wait for the rollout")
    a.add_argument("--timeout", metavar="DURATION", default="5m", help="how long to wait for the rollout")


def _source_args(p: argparse.ArgumentParser, *, inherit: bool = False) -> None:
    # In the action's parser the defaults are suppressed, so `proxy -n NS authz-header ...` keeps NS.
    d: dict[str, Any] = {"default": argparse.SUPPRESS} if inherit else {}
    p.add_argument("--bundle", metavar="DIR", help="folder of evidence files (recognised by content)", **d)
    p.add_argument("--context", metavar="NAME", help="kubeconfig context to read live", **d)
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)", **d)
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
    from oidc_doctor.checks import dashboard
    from oidc_doctor.checks.base import Context, Options
    from oidc_doctor.checks.proxy import CHECKS
    from oidc_doctor.evidence import Evidence
    from oidc_doctor.render import emit
    from oidc_doctor.text import parse_duration, parse_time

    ev = Evidence()
    if args.bundle:
        read_bundle(Path(args.bundle), ev)
    if args.context or args.kubeconfig or not args.bundle:
        from oidc_doctor.live.sources import read_proxy_objects

        with _client(args, io) as client:
            read_proxy_objects(client, args.namespace, ev)
    if args.token:
        from oidc_doctor.evidence import InputRecord, Item, Kind
        from oidc_doctor.token.source import read_token_source

        ev.add_first(Item(Kind.TOKEN, "--token", read_token_source(args.token, io)))
        ev.inputs.append(InputRecord("--token", str(Kind.TOKEN), objects=1))
    now, source = (parse_time(args.now), "flag") if args.now else (datetime.now(UTC), "clock")
    lifetime = parse_duration(args.token_lifetime, "--token-lifetime") if args.token_lifetime else None
    ctx = Context(now=now, now_source=source, options=Options(token_lifetime_s=lifetime, offline=True))
    report = pipeline.run(ev, ctx, checks=[*CHECKS, *dashboard.CHECKS])  # dashboards' own OIDC clients too
    if args.settings:
        io.stdout.write(_settings_text(ctx.facts.extra.get("proxy.state")))
        return 0
    return emit(report, args.format, args.output, io)


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


class _CleanLines:
    """A text stream that strips control characters from every line written through it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with each line cleaned (line breaks kept)."""
        from oidc_doctor.text import clean

        return int(self._stream.write("\n".join(clean(line) for line in text.split("\n"))))

    def flush(self) -> None:
        """Flush the underlying stream."""
        self._stream.flush()


def _authz_header(args: argparse.Namespace, io: IO) -> int:
    from oidc_doctor.proxy.kubeapps import parse_chart_version
    from oidc_doctor.proxy.patch import build, helm_note
    from oidc_doctor.text import clean, parse_duration

    kind = _KINDS[args.kind]
    if args.apply and args.bundle:
        raise UsageError("proxy authz-header: --apply patches a live cluster; drop --bundle")
    client = None if args.bundle else _client(args, io)
    try:
        obj = _from_bundle(args, kind) if args.bundle else _from_live(client, args, kind)  # type: ignore[arg-type]
        plan = build(obj, args.state, args.container)
        labels = (obj.get("metadata") or {}).get("labels") or {}
        out = _CleanLines(io.stdout)  # names, notes and the kubectl command come from the workload
        target = f"{plan.kind.lower()} {plan.namespace}/{plan.name}"
        print(f"Container {clean(plan.container)} (index {plan.index}) of {clean(target)}.", file=out)
        for note in plan.notes:
            print(f"Note: {clean(note)}", file=out)
        if plan.blocked:
            return 2
        chart_label = str(labels.get("helm.sh/chart", ""))
        release = str(labels.get("app.kubernetes.io/instance") or plan.name)
        if chart_label.startswith("kubeapps-"):
            chart = parse_chart_version(chart_label)
            key = "additionalFlags" if chart is not None and chart < (8, 0, 0) else "extraFlags"
            print(f"Note: {helm_note(key, release, plan.namespace, args.state)}", file=out)
        elif labels.get("app.kubernetes.io/managed-by") == "Helm" or chart_label:
            print(
                f"Note: Helm manages this workload (release {plan.namespace}/{release}): a later `helm upgrade` "
                "reverts this patch; to keep the change, set the flag in the chart's values",
                file=out,
            )
        if not plan.changes:
            print("Nothing to change.", file=out)
            if args.state == "enable":
                _after_enable(plan, io)
            return 0
        if not args.apply:
            print("Dry run: nothing was changed. Apply it with --apply, or run:\n", file=out)
            print(f"  {plan.kubectl()}\n", file=out)
            print("JSON patch:", file=out)
            from oidc_doctor.text import json_text

            print(json_text(json.dumps(plan.ops, indent=2)), file=out)
        else:
            assert client is not None
            _apply(client, plan, parse_duration(args.timeout, "--timeout"), io)
        if args.state == "enable":
            _after_enable(plan, io)
        return 0
    finally:
        if client is not None:
            client.close()


def _apply(client: ApiClient, plan: PatchPlan, timeout_s: float, io: IO) -> None:
    from oidc_doctor.live.client import LiveError, wait_rollout, workload_path

    answer = client.patch_json(workload_path(plan.kind, plan.namespace, plan.name), plan.ops)
    meta = answer.get("metadata")
    if not isinstance(meta, dict) or (meta.get("namespace"), meta.get("name")) != (plan.namespace, plan.name):
        raise LiveError(
            f"the PATCH of {plan.kind.lower()} {plan.namespace}/{plan.name} was answered with another object: "
            "check the workload with kubectl before anything else"
        )
    print(f"Patched {plan.kind.lower()} {plan.namespace}/{plan.name}; waiting for the rollout...", file=io.stdout)
    message = wait_rollout(
        client,
        plan.kind,
        plan.namespace,
        plan.name,
        timeout_s=timeout_s,
        progress=lambda m: print(f"  {m}", file=io.stderr),
    )
    print(message, file=io.stdout)


def _after_enable(plan: PatchPlan, io: IO) -> None:
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
    print(
        "\nTo copy the token: open the dashboard in the browser, open the developer tools (F12), Network tab, "
        "reload, select a request to the dashboard, and under Response Headers copy the value of "
        "`Authorization` after `Bearer `. Then run\n\n"
        "  oidc-doctor token -\n\n"
        "paste the token and press Ctrl-D. Do not paste it into a web site.",
        file=io.stdout,
    )
