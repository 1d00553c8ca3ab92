"""``oidc-doctor diagnose``: read everything given, run every check, name the root cause first."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from oidc_doctor.errors import InputError, UsageError
from oidc_doctor.io import IO

if TYPE_CHECKING:
    from oidc_doctor.evidence import Evidence


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``diagnose``."""
    p.add_argument("--bundle", metavar="DIR", help="folder of evidence files (recognised by content)")
    p.add_argument("--token", metavar="SRC", help="the token: - (stdin), @FILE, or the text itself")
    p.add_argument(
        "--error",
        metavar="TEXT",
        action="append",
        default=[],
        help="the error the user saw (kubectl, browser, Kubeapps); repeatable",
    )
    p.add_argument("--now", metavar="RFC3339", help="judge times against this moment (default: logs, else now)")
    p.add_argument("--client-id", help="the OAuth client id the API server should accept")
    p.add_argument("--issuer", help="the issuer URL the API server should accept")
    p.add_argument("--signing-algs", metavar="A,B", help="accepted signing algorithms")
    p.add_argument("--token-lifetime", metavar="DURATION", help="the id_token lifetime, e.g. 5m")
    p.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")


def _now(args: argparse.Namespace, ev: Evidence) -> tuple[datetime, str]:
    """``--now``, else the newest log line's time (a bundle describes a past moment), else the clock."""
    from oidc_doctor.text import parse_time

    if args.now:
        return parse_time(args.now), "flag"
    from oidc_doctor.evidence import Kind
    from oidc_doctor.logs.window import latest_timestamp

    times = [
        t
        for item in ev.of(Kind.APISERVER_LOG, Kind.PROXY_LOG, Kind.INGRESS_LOG)
        if item.path is not None and (t := latest_timestamp(item.path)) is not None
    ]
    if times:
        return max(times), "log"
    return datetime.now(UTC), "clock"


def run(args: argparse.Namespace, io: IO) -> int:
    """Build the evidence, run the pipeline, print the report; exit 1 on any error finding."""
    from oidc_doctor import pipeline
    from oidc_doctor.bundle import read_bundle
    from oidc_doctor.checks.base import Context, Options
    from oidc_doctor.evidence import Evidence, InputRecord, Item, Kind
    from oidc_doctor.render import render
    from oidc_doctor.text import parse_duration

    if not (args.bundle or args.token or args.error):
        raise UsageError("diagnose: give --bundle DIR, --token SRC or --error TEXT")
    ev = Evidence()
    if args.bundle:
        read_bundle(Path(args.bundle), ev)
    if args.token:
        from oidc_doctor.token.source import read_token_source

        token = read_token_source(args.token, io)
        ev.add(Item(Kind.TOKEN, "--token", token))
        ev.inputs.append(InputRecord("--token", str(Kind.TOKEN), objects=1))
    for i, text in enumerate(args.error, 1):
        ev.add(Item(Kind.ERROR_TEXT, f"--error[{i}]", text))
        ev.inputs.append(InputRecord(f"--error[{i}]", str(Kind.ERROR_TEXT), objects=1))
    now, now_source = _now(args, ev)
    options = Options(
        client_id=args.client_id,
        issuer=args.issuer,
        signing_algs=tuple(a.strip() for a in args.signing_algs.split(",") if a.strip()) if args.signing_algs else None,
        offline=True,
        token_lifetime_s=parse_duration(args.token_lifetime, "--token-lifetime") if args.token_lifetime else None,
    )
    ctx = Context(now=now, now_source=now_source, options=options)
    report = pipeline.run(ev, ctx)
    text = render(report, args.format, tty=io.stdout_tty and not args.output)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise InputError(args.output, f"cannot write the report: {e.strerror or e}") from e
        io.warn(f"report written to {args.output}")
    else:
        io.stdout.write(text)
    return report.exit_status()
