"""``oidc-doctor diagnose``: read everything given, run every check, name the root cause first."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from oidc_doctor.errors import UsageError
from oidc_doctor.io import IO

if TYPE_CHECKING:
    from oidc_doctor.evidence import Evidence


#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor diagnose --bundle DIR
  oidc-doctor diagnose --bundle DIR --token @id_token.txt --error "... (Unauthorized)"
  oidc-doctor diagnose --context prod --token @id_token.txt -o markdown --output-file report.md
  oidc-doctor diagnose --bundle DIR --what-if 'apiserver:--oidc-username-prefix=oidc:'
  oidc-doctor diagnose --bundle DIR --try-fixes

exit status: 0 no error found, 1 at least one error (the first is the most likely root cause),
2 could not run (bad arguments, unreadable input)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``diagnose``."""
    from oidc_doctor.commands import options

    options.source_options(p)
    p.add_argument(
        "-n",
        "--namespace",
        metavar="NS",
        action="extend",
        nargs="+",
        default=None,
        help="live: namespaces of proxies, ingresses and Helm releases (default: all)",
    )
    options.token_option(
        p, help="the token: - (stdin), @FILE, $NAME or the text itself; with --context its SelfSubjectReview is asked"
    )
    p.add_argument(
        "--error",
        metavar="TEXT",
        action="append",
        default=[],
        help="the error the user saw (kubectl, browser, Kubeapps); repeatable",
    )
    options.now_option(p)
    p.add_argument("--client-id", help="the OAuth client id the API server should accept")
    p.add_argument("--issuer", help="the issuer URL the API server should accept")
    p.add_argument("--signing-algs", metavar="A,B", help="accepted signing algorithms")
    p.add_argument("--token-lifetime", metavar="DURATION", help="the id_token lifetime, e.g. 5m")
    p.add_argument(
        "--request",
        metavar="'VERB RESOURCE [NAME] [-n NS]'",
        help="the request that failed, as for kubectl auth can-i: 'create deployments.apps -n dev', "
        "'get pods/log web -n dev', 'get /healthz'",
    )
    p.add_argument(
        "--what-if",
        metavar="CHANGE",
        action="append",
        default=[],
        help="judge the evidence again with this change made (repeatable; applied together), e.g. "
        "'apiserver:--oidc-username-prefix=oidc:', 'binding:dev/dev-view+=Group:oidc:dev', "
        "'proxy:--cookie-refresh=2m', 'claims:groups=[\"dev\"]' (docs/what-if.md lists the vocabulary)",
    )
    p.add_argument(
        "--try-fixes",
        action="store_true",
        help="apply each change the findings propose, alone, and rank them by what they fix and what else "
        "they change",
    )
    options.output_options(p)


def parse_request(text: str, bundle: str | None = None) -> dict[str, str]:
    """``VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME] [-n NS]`` or ``VERB /PATH``, resolved as kubectl does."""
    from oidc_doctor.rbac.resources import discovery_for_bundle
    from oidc_doctor.rbac.resources import parse_request as resolve_request

    try:
        return resolve_request(text, discovery_for_bundle(bundle))
    except ValueError as e:
        raise UsageError(f"--request: {e}") from e


def read_live(args: argparse.Namespace, io: IO, ev: Evidence, token: str | None, *, rbac_only: bool = False) -> None:
    """Read the cluster of ``--context`` into ``ev`` (and the token's SelfSubjectReview).

    Refused reads make the areas that need them blind (checks say unknown); an unreachable API
    server or a kubeconfig problem ends the command (exit 2).
    """
    from oidc_doctor.live.client import ApiClient
    from oidc_doctor.live.kubeconfig import load
    from oidc_doctor.live.readers import ReadOptions, nothing_read, read_cluster
    from oidc_doctor.live.sinks import EvidenceSink

    cfg = load(args.context, args.kubeconfig, env=dict(io.env))
    opts = ReadOptions(
        # ``rbac can -n NS`` names the request's namespace, not namespaces to read
        namespaces=None if rbac_only else args.namespace,
        proxies=not rbac_only,
        issuer=not rbac_only,
        token=token,
    )
    with ApiClient(cfg, stderr=io.stderr) as client:
        got = read_cluster(client, EvidenceSink(ev), opts)
    why = nothing_read(got, cfg.server, cfg.context)
    if why is not None:
        from oidc_doctor.live.client import LiveError

        raise LiveError(why)


def run(args: argparse.Namespace, io: IO) -> int:
    """Build the evidence, run the pipeline, print the report; exit 1 on any error finding."""
    from oidc_doctor import pipeline
    from oidc_doctor.bundle import read_bundle
    from oidc_doctor.checks.base import Context, Options
    from oidc_doctor.commands.options import is_live, read_token
    from oidc_doctor.commands.result import report_result, write
    from oidc_doctor.commands.when import judge_time
    from oidc_doctor.evidence import Evidence, InputRecord, Item, Kind
    from oidc_doctor.text import parse_duration

    live = is_live(args)
    from oidc_doctor.change import parse_change

    try:
        changes = [parse_change(spec) for spec in args.what_if]
    except ValueError as e:
        raise UsageError(f"--what-if {e}") from e
    if not (args.bundle or args.token or args.error or live):
        raise UsageError("diagnose: give --bundle DIR, --context NAME, --token SRC or --error TEXT")
    ev = Evidence()
    if args.bundle:
        read_bundle(Path(args.bundle), ev, prefetch_logs=True)  # the logs are scanned below
    token = None
    if args.token:
        # normalised once, as the bundle reader does (a file's trailing newline is not the token's)
        token = read_token(args.token, io)
        ev.add_first(Item(Kind.TOKEN, "--token", token))
        ev.inputs.append(InputRecord("--token", str(Kind.TOKEN), objects=1))
    if live:
        read_live(args, io, ev, token)
    for i, text in enumerate(args.error, 1):
        ev.add(Item(Kind.ERROR_TEXT, f"--error[{i}]", text))
        ev.inputs.append(InputRecord(f"--error[{i}]", str(Kind.ERROR_TEXT), objects=1))
    moment = judge_time(args.now, io, ev, Path(args.bundle) if args.bundle else None)
    options = Options(
        client_id=args.client_id,
        issuer=args.issuer,
        signing_algs=tuple(a.strip() for a in args.signing_algs.split(",") if a.strip()) if args.signing_algs else None,
        offline=True,
        token_lifetime_s=parse_duration(args.token_lifetime, "--token-lifetime") if args.token_lifetime else None,
    )
    if args.request:
        options.request = parse_request(args.request, args.bundle)
    ctx = Context(now=moment.now, now_source=moment.source, options=options)
    report = pipeline.require_judged(pipeline.run(ev, ctx))
    # REPORT.md's rule holds with --what-if and --try-fixes too: the exit status is that of the
    # report's findings (the real diagnosis); the after verdicts are in the report (docs/what-if.md).
    if changes:
        from oidc_doctor.whatif.compare import what_if

        comparison = what_if(ev, report, changes)
        if comparison.after is None:
            raise UsageError(f"--what-if {comparison.error}")
        report.extra["what_if"] = comparison.to_json()
    if args.try_fixes:
        from oidc_doctor.whatif import tryfix

        report.extra["try_fixes"], _ = tryfix.section(ev, report)
    result = report_result("diagnose", report, moment.notes)
    return write(result, args, io)
