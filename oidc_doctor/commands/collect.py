"""``oidc-doctor collect -o DIR``: write a redacted bundle (BUNDLE.md) from a live cluster.

Reads what ``diagnose`` needs (:mod:`oidc_doctor.live.readers`) with the kubeconfig's
credentials and writes one JSON List per group, plus ``.collect-manifest.json`` naming each file
and each read that was refused (403), absent (404) or unreachable — those never abort the
collection. Secret data is never copied except the chart name, version and masked values of Helm
release records. With ``--token`` the user's token is sent to the kubeconfig's API server (and
nowhere else) as a SelfSubjectReview; the token itself is written only with ``--include-token``.

Exit status: 0 the bundle was written, 2 nothing could be read (unreachable server, rejected
credentials) or the folder cannot be written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from oidc_doctor.errors import UsageError
from oidc_doctor.io import IO

#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor collect -o bundle --context prod --token @id_token.txt

exit status: 0 the bundle was written, 2 nothing could be read or the folder cannot be written."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``collect``."""
    from oidc_doctor.commands import options

    # -o is a folder here (kubectl cp-like); the report commands' -o is a format
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="the new bundle folder (must not hold files)")
    options.live_options(p)
    p.add_argument(
        "-n",
        "--namespace",
        metavar="NS",
        action="extend",
        nargs="+",
        default=None,
        help="namespaces of proxies, ingresses and Helm releases (repeatable; default: all). RBAC is read "
        "in every namespace, kube-apiserver in kube-system",
    )
    options.token_option(p, help="the user's token (- stdin, @FILE, $NAME): its SelfSubjectReview is kept")
    p.add_argument("--include-token", action="store_true", help="also write the token itself into the bundle")
    p.add_argument("--no-issuer", action="store_true", help="do not fetch the issuer's discovery document and JWKS")


def run(args: argparse.Namespace, io: IO) -> int:
    """Read the cluster into a new bundle folder; print what was written and what was not."""
    import orjson

    from oidc_doctor.live.client import ApiClient, LiveError
    from oidc_doctor.live.kubeconfig import load
    from oidc_doctor.live.manifest import MANIFEST, SCHEMA
    from oidc_doctor.live.readers import ReadOptions, nothing_read, read_cluster
    from oidc_doctor.live.sinks import BundleSink, private_open

    if args.include_token and not args.token:
        raise UsageError("collect: --include-token needs --token SRC")
    token = None
    if args.token:
        from oidc_doctor.commands.options import read_token

        token = read_token(args.token, io)
    cfg = load(args.context, args.kubeconfig, env=dict(io.env))
    folder = Path(args.output)
    sink = BundleSink(folder, include_token=args.include_token)
    opts = ReadOptions(namespaces=args.namespace, issuer=not args.no_issuer, token=token)
    with ApiClient(cfg, stderr=io.stderr) as client:
        got = read_cluster(client, sink, opts)
    manifest = {
        "schema": SCHEMA,
        # read back by the now rule (commands/when.py): a bundle is judged at its collection time
        "collected_at": io.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "context": cfg.context,
        "server": cfg.server,
        "namespaces": args.namespace,
        "files": sink.files,
        "notes": [n.to_json() for n in got.notes],
        "token": {"fingerprint": sink.token_fingerprint, "included": bool(args.include_token)}
        if sink.token_fingerprint
        else None,
    }
    with private_open(folder / MANIFEST) as mf:
        mf.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    why = nothing_read(got, cfg.server, cfg.context)
    if why is not None:
        raise LiveError(f"collect: {why}")
    from oidc_doctor.text import clean

    lines = [f"Bundle written to {folder} from context {clean(cfg.context)} ({clean(cfg.server)}):"]
    lines += [f"  {f['file']:<32} {f['objects']:>6}  {clean(str(f['what']))}" for f in sink.files]
    if got.notes:
        lines.append(f"Not collected (recorded in {MANIFEST}):")
        for n in got.notes:
            blind = f" [a blind spot for the {n.area} checks]" if n.blind else ""
            lines.append(f"  [{n.outcome}] {clean(n.what)}: {clean(n.reason)}{blind}")
    if sink.token_fingerprint:
        kept = "written to token.txt" if args.include_token else "not written (add --include-token to keep it)"
        lines.append(f"Token {sink.token_fingerprint}: {kept}")
    lines.append(f"Diagnose it with: oidc-doctor diagnose --bundle {folder}")
    from oidc_doctor.commands.result import Result, write

    text = "\n".join(lines) + "\n"
    # -o is the bundle folder here, so the summary is text on stdout; the manifest is the document
    return write(Result("collect", SCHEMA, 0, manifest, lambda: text), args, io, fmt="text")
