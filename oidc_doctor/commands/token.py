"""``oidc-doctor token [SRC]``: decode and verify one token, and say what is wrong with it.

Exit status: 0 no error-severity finding, 1 at least one, 2 the token or an option could not be
read. The token itself is never printed: the output names it by its fingerprint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidc_doctor.errors import UsageError

if TYPE_CHECKING:
    import argparse

    from oidc_doctor.io import IO

SCHEMA = "oidc-doctor/token/v1"


#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor token @id_token.txt --jwks jwks.json --client-id kubernetes
  pbpaste | oidc-doctor token - --issuer https://idp.example.com/realms/k8s -o json

exit status: 0 no error found, 1 at least one error, 2 the token or an option could not be read."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    from oidc_doctor.commands import options

    options.token_option(parser, positional=True)
    parser.add_argument("--jwks", metavar="FILE", help="the issuer's JWKS (no network call is made)")
    parser.add_argument(
        "--issuer",
        metavar="URL",
        help="the issuer the API server is configured with (default: the token's iss)",
    )
    parser.add_argument("--client-id", metavar="ID", help="the audience the API server expects (--oidc-client-id)")
    parser.add_argument(
        "--signing-algs", metavar="A,B", help="accepted algorithms (--oidc-signing-algs), e.g. RS256,ES256"
    )
    parser.add_argument("--ca-file", metavar="FILE", help="CA bundle (PEM) to trust for the issuer's HTTPS")
    parser.add_argument("--offline", action="store_true", help="make no network call (signature stays unknown)")
    options.now_option(parser)
    options.output_options(parser)


def _signing_algs(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    from oidc_doctor.jose import ASYMMETRIC_ALGS

    algs = tuple(a.strip() for a in value.split(",") if a.strip())
    if not algs:
        raise UsageError("--signing-algs: empty; give e.g. RS256,ES256")
    for a in algs:
        if a not in ASYMMETRIC_ALGS:
            # kube-apiserver refuses any other value (oidc.go: "oidc: unsupported signing alg").
            raise UsageError(
                f"--signing-algs: {a!r} is not an algorithm the API server accepts ({', '.join(ASYMMETRIC_ALGS)})"
            )
    return algs


def run(args: argparse.Namespace, io: IO) -> int:
    """Read, decode, verify and judge one token; print the report."""
    from oidc_doctor.checks.base import Context, Options
    from oidc_doctor.checks.token import CHECKS
    from oidc_doctor.checks.token_facts import BLIND_JWKS
    from oidc_doctor.commands.options import read_token
    from oidc_doctor.commands.result import Result, write
    from oidc_doctor.commands.when import judge_time
    from oidc_doctor.evidence import Evidence, Item, Kind
    from oidc_doctor.pipeline import run
    from oidc_doctor.text import iso
    from oidc_doctor.token.inspect import TokenReport, decode_token
    from oidc_doctor.token.keys import KeyResolver
    from oidc_doctor.token.source import describe_source

    options = Options(
        client_id=args.client_id,
        issuer=args.issuer,
        signing_algs=_signing_algs(args.signing_algs),
        ca_file=args.ca_file,
        offline=args.offline,
    )
    ref = describe_source(args.src)
    token = read_token(args.src, io)

    decoded = decode_token(token, ref)
    resolver = KeyResolver(ca_file=args.ca_file, offline=args.offline)
    try:
        keys_in = resolver.resolve(
            jwks_file=args.jwks,
            issuer=args.issuer,
            token_iss=decoded.claims.get("iss") if decoded.claims else None,
            kid=decoded.parsed.kid,
        )
    finally:
        resolver.close()

    ev = Evidence()
    ev.add(Item(Kind.TOKEN, ref, token))
    moment = judge_time(args.now, io, ev)  # no bundle: --now, else the clock
    now, now_source = moment.now, moment.source
    if keys_in.jwks is not None:
        ev.add(Item(Kind.JWKS, keys_in.jwks_ref, keys_in.jwks))
    if keys_in.discovery is not None:
        ev.add(Item(Kind.DISCOVERY, keys_in.discovery_ref, keys_in.discovery))
    if keys_in.unavailable:
        ev.blind[BLIND_JWKS] = keys_in.unavailable
    # The same runner as diagnose, deriving only the token area.
    judged = run(ev, Context(now=now, now_source=now_source, options=options), CHECKS, areas=("tokens",))
    findings = judged.findings
    checks = [(c.id, c.result) for c in judged.checks]
    report: TokenReport = judged.ctx.facts.tokens[0]

    doc: dict[str, Any] = {"schema": SCHEMA, "now": iso(now), "now_source": now_source}
    doc.update(
        report.to_json(
            now,
            findings=[f.to_json() for f in findings],
            checks=[{"id": cid, "status": str(r.status), "reason": r.reason} for cid, r in checks],
        )
    )
    if isinstance(doc.get("claims"), dict):
        from oidc_doctor.secrets import mask_claims

        doc["claims"] = mask_claims(doc["claims"])
    doc["timeline"] = [e.to_json() for e in judged.timeline]
    status = 1 if any(f["severity"] == "error" for f in doc["findings"]) else 0

    def text() -> str:
        from oidc_doctor.token.render import lines_for

        return "".join(f"{line}\n" for _style, line in lines_for(doc))

    def styled() -> list[tuple[str, str]]:
        from oidc_doctor.token.render import lines_for

        return lines_for(doc)

    return write(Result("token", SCHEMA, status, doc, text, notes=moment.notes, styled=styled), args, io)
