"""``oidc-doctor token [SRC]``: decode and verify one token, and say what is wrong with it.

Exit status: 0 no error-severity finding, 1 at least one, 2 the token or an option could not be
read. The token itself is never printed: the output names it by its fingerprint.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from oidc_doctor.errors import UsageError
from oidc_doctor.text import json_text

if TYPE_CHECKING:
    import argparse

    from oidc_doctor.io import IO

SCHEMA = "oidc-doctor/token/v1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument(
        "src",
        nargs="?",
        metavar="SRC",
        help="- (stdin) or @FILE; default: the variable OIDC_DOCTOR_TOKEN. A token given here "
        "directly works but stays in your shell history",
    )
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
    parser.add_argument("--now", metavar="TIME", help="judge at this RFC 3339 time instead of the clock")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


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
    from oidc_doctor.checks.token import BLIND_JWKS, CHECKS, derive_tokens
    from oidc_doctor.evidence import Evidence, Item, Kind
    from oidc_doctor.pipeline import rank
    from oidc_doctor.text import iso, parse_time
    from oidc_doctor.token.inspect import TokenReport, decode_token
    from oidc_doctor.token.keys import KeyResolver
    from oidc_doctor.token.source import describe_source, normalise, read_token_source

    options = Options(
        client_id=args.client_id,
        issuer=args.issuer,
        signing_algs=_signing_algs(args.signing_algs),
        ca_file=args.ca_file,
        offline=args.offline,
    )
    now, now_source = (parse_time(args.now), "flag") if args.now else (datetime.now(UTC), "clock")
    ref = describe_source(args.src)
    token = normalise(read_token_source(args.src, io))

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
    if keys_in.jwks is not None:
        ev.add(Item(Kind.JWKS, keys_in.jwks_ref, keys_in.jwks))
    if keys_in.discovery is not None:
        ev.add(Item(Kind.DISCOVERY, keys_in.discovery_ref, keys_in.discovery))
    if keys_in.unavailable:
        ev.blind[BLIND_JWKS] = keys_in.unavailable
    ctx = Context(now=now, now_source=now_source, options=options)
    derive_tokens(ev, ctx)
    checks = [(c.id, c.run(ev, ctx)) for c in CHECKS]
    findings = rank([f for _, r in checks for f in r.findings], ctx)
    report: TokenReport = ctx.facts.tokens[0]

    doc: dict[str, Any] = {"schema": SCHEMA, "now": iso(now), "now_source": now_source}
    doc.update(report.to_json(now))
    if isinstance(doc.get("claims"), dict):
        from oidc_doctor.secrets import mask_claims

        doc["claims"] = mask_claims(doc["claims"])
    doc["findings"] = [f.to_json() for f in findings]
    doc["checks"] = [{"id": cid, "status": str(r.status), "reason": r.reason} for cid, r in checks]
    if args.format == "json":
        # The standard library, not orjson: one small document, and orjson's import alone costs
        # more start-up than the whole verification (see benchmarks/bench_token.py).
        import json

        io.stdout.write(json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n")
    else:
        from oidc_doctor.token.render import lines_for, write

        write(io, lines_for(doc))
    return 1 if any(f["severity"] == "error" for f in doc["findings"]) else 0
