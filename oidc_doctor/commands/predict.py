"""``oidc-doctor predict``: what kube-apiserver's JWT authenticator would do with one token.

Settings come from ``--bundle DIR``, ``--auth-config FILE``, ``--apiserver-manifest FILE`` or
repeated ``--apiserver-arg=--flag=value`` (combinable with ``--auth-config``). Without
``--token`` only the configuration is validated. This is the one place the authn engine may
use the network: discovery, JWKS and distributed claims, with the configured CA and explicit
timeouts; ``--jwks FILE`` (or a JWKS in the bundle) keeps it offline, ``--offline`` forbids it.

``--trace`` adds every step the authenticator took, in the API server's order, as the emulator
recorded it (``oidc_doctor.authn.verify.TraceStep``). ``--compare OLD`` (a file: an
AuthenticationConfiguration or a kube-apiserver manifest) or ``--compare-flags 'FLAGS'`` judges
the same token under a second set of settings and shows both identities and verdicts, and what
differs (the usual migration from ``--oidc-*`` flags to a structured file).

Exit status: 0 authenticated (or, without a token, a valid configuration), 1 not, 2 could not run;
with ``--compare`` the status is the one of the new settings.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any

from oidc_doctor.errors import InputError, UsageError

if TYPE_CHECKING:
    from oidc_doctor.authn.model import ApiServerAuth, JWTAuthenticator
    from oidc_doctor.authn.verify import KeySet, Prediction
    from oidc_doctor.evidence import Evidence, Item
    from oidc_doctor.io import IO


#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor predict --bundle DIR --now 2026-11-28T10:25:12Z
  oidc-doctor predict --token @t.txt --apiserver-arg=--oidc-issuer-url=https://idp --apiserver-arg=--oidc-client-id=k8s
  oidc-doctor predict --token @t.txt --auth-config auth.yaml --jwks jwks.json --trace
  oidc-doctor predict --token @t.txt --auth-config new.yaml --compare-flags '--oidc-issuer-url=https://idp ...'

exit status: 0 authenticated (without --token: a valid configuration), 1 not, 2 could not run."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``predict``."""
    from oidc_doctor.commands import options

    options.token_option(parser, help="the token: - (stdin), @FILE, $NAME; default: the bundle's token")
    src = parser.add_argument_group("API server settings (one of, --apiserver-arg combines with --auth-config)")
    src.add_argument("--bundle", metavar="DIR", help="an evidence folder (settings, token and JWKS are read from it)")
    src.add_argument("--auth-config", metavar="FILE", help="an AuthenticationConfiguration file")
    src.add_argument("--apiserver-manifest", metavar="FILE", help="a kube-apiserver Pod / static pod manifest")
    src.add_argument(
        "--apiserver-arg",
        metavar="--FLAG=VALUE",
        action="append",
        default=[],
        help="one kube-apiserver flag, e.g. --apiserver-arg=--oidc-issuer-url=https://idp (repeatable)",
    )
    parser.add_argument("--jwks", metavar="FILE", help="the issuer's JWKS (no network then)")
    parser.add_argument(
        "--trace", action="store_true", help="show every step of the authenticator, in the API server's order"
    )
    cmp = parser.add_argument_group("compare with other settings (the same token, judged under both)")
    cmp.add_argument(
        "--compare", metavar="OLD", help="the old settings: an AuthenticationConfiguration or kube-apiserver manifest"
    )
    cmp.add_argument(
        "--compare-flags",
        metavar="'FLAGS'",
        help="the old settings as kube-apiserver flags in one word: '--oidc-issuer-url=URL --oidc-client-id=ID'",
    )
    parser.add_argument(
        "--kube-version",
        metavar="V",
        help="the kube-apiserver version (v1.30.2) whose rules apply (default: read from the evidence, else newest)",
    )
    parser.add_argument("--ca-file", metavar="FILE", help="CA bundle for the issuer when the settings name a file")
    parser.add_argument("--offline", action="store_true", help="never use the network (signature/claims unchecked)")
    options.now_option(parser)
    options.output_options(parser)


#: The largest settings file read (a ``kubectl get nodes -o yaml`` of a big cluster fits; a 2 GB
#: file given by mistake is refused before it is read).
MAX_SETTINGS_BYTES = 256 << 20


def _read_file(path: str) -> str:
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_SETTINGS_BYTES:
                raise InputError(path, "is larger than 256 MiB: not a settings file")
            return f.read().decode("utf-8")
    except IsADirectoryError as e:
        raise InputError(path, "is a folder, not a file") from e
    except OSError as e:
        raise InputError(path, e.strerror or "cannot read") from e
    except UnicodeDecodeError as e:
        raise InputError(path, "not UTF-8 text") from e


def _load(path: str) -> list[Any]:
    from oidc_doctor.loader import load_documents

    return [d.data for d in load_documents(_read_file(path), path)]


def _settings(args: argparse.Namespace) -> tuple[ApiServerAuth | None, str, Any, Item | None]:
    """(settings, why they could not be seen, evidence of a bundle, token found in a bundle)."""
    from oidc_doctor.authn.flags import Flag, parse_args, translate

    if args.bundle and (args.apiserver_manifest or args.auth_config or args.apiserver_arg):
        raise UsageError("--bundle brings its own settings: do not combine it with other settings options")
    if args.bundle:
        from pathlib import Path  # here: the token and flags path does not import pathlib (3 ms)

        from oidc_doctor.authn.settings import read_settings
        from oidc_doctor.bundle import read_bundle
        from oidc_doctor.evidence import Kind

        ev = read_bundle(Path(args.bundle))
        view = read_settings(ev)
        tokens = ev.of(Kind.TOKEN)
        token = tokens[0] if tokens and isinstance(tokens[0].data, str) else None
        return view.auth, view.blind, ev, token
    # Flags: from a manifest (Pod, kubeadm, k3s/RKE2 node), then --apiserver-arg, then --auth-config
    # as the file --authentication-config names.
    flags: list[Flag] | None = None
    ref = "--apiserver-arg"
    if args.apiserver_manifest:
        found = _manifest_settings(args.apiserver_manifest)
        # A Pod, kubeadm config or k3s/RKE2 node is a command line that more flags may join;
        # an AuthenticationConfiguration, EKS or GKE document is complete by itself.
        from_flags = found.source == "flags" or (found.source == "authentication-config" and bool(found.flags))
        if not from_flags:
            if args.apiserver_arg or args.auth_config:
                raise UsageError(
                    f"{args.apiserver_manifest} holds complete settings: do not add --apiserver-arg/--auth-config"
                )
            return found, "", None, None
        flags = [Flag(name, value, where) for name, values in found.flags.items() for value, where in values]
        ref = found.ref
    if args.apiserver_arg:
        words = [w if w.startswith("--") else f"--{w}" for w in args.apiserver_arg]
        flags = [*(flags or []), *parse_args(words, "--apiserver-arg")]
    if args.auth_config and flags is not None and not any(f.name == "authentication-config" for f in flags):
        flags.append(Flag("authentication-config", args.auth_config, "--auth-config"))
    flags_auth = translate(flags, ref) if flags is not None else None
    if args.auth_config:
        from oidc_doctor.authn import sources

        text = _read_file(args.auth_config)
        config = sources.load_auth_config_file(text, _load(args.auth_config) if text else [], args.auth_config)
        if flags_auth is not None:
            return sources.link_auth_config(flags_auth, config), "", None, None
        return config, "", None, None
    if flags_auth is not None:
        if flags_auth.auth_config_path:
            why = (
                f"--authentication-config={flags_auth.auth_config_path} is named but its content was not given "
                "(add --auth-config FILE)"
            )
            return flags_auth, why, None, None
        return flags_auth, "", None, None
    raise UsageError("give the API server settings: --bundle, --auth-config, --apiserver-manifest or --apiserver-arg")


def _manifest_settings(path: str) -> ApiServerAuth:
    """The API server settings held by a manifest file, recognised as the bundle reader does."""
    from pathlib import Path

    from oidc_doctor.authn.settings import SETTINGS_KINDS, auth_from_item
    from oidc_doctor.bundle import Broken, classify_object, describe_pod
    from oidc_doctor.evidence import Item, Kind

    broken = ""
    described = describe_pod(_read_file(path).strip())  # `kubectl describe pod` text is not YAML
    if described is not None:
        auth = auth_from_item(Item(Kind.APISERVER_POD, path, described, Path(path)))
        if auth is not None:
            return auth
    for doc in _load(path):
        try:
            kind, _why, data = classify_object(doc)
        except Broken as e:  # a Pod without containers: named, never an internal error
            broken = f" ({e})"
            continue
        if kind in SETTINGS_KINDS or kind == Kind.WORKLOAD:  # a workload: a kube-oidc-proxy's --oidc-* flags
            auth = auth_from_item(Item(kind, path, data, Path(path)))
            if auth is not None:
                return auth
    raise InputError(path, f"no kube-apiserver Pod (or other API server settings) in this file{broken}")


def _version_note(auth: ApiServerAuth) -> str | None:
    """The kube-apiserver version whose rules the prediction applied (oidc_doctor/authn/version.py)."""
    from oidc_doctor.authn import version

    return version.describe(auth)


def run(args: argparse.Namespace, io: IO) -> int:
    """Predict, print, and return 0 (authenticated / valid), 1 (not) or 2 (could not run)."""
    from oidc_doctor.authn import verify
    from oidc_doctor.commands.options import read_token
    from oidc_doctor.commands.when import judge_time
    from oidc_doctor.evidence import Evidence, Item, Kind
    from oidc_doctor.jose import parse_jwks
    from oidc_doctor.token.source import describe_source

    auth, blind, ev, bundle_token = _settings(args)
    judged = Evidence()  # the token judged: --token, else the bundle's first
    if args.token:
        judged.add(Item(Kind.TOKEN, describe_source(args.token), read_token(args.token, io)))
    elif bundle_token is not None:
        judged.add(bundle_token)
    token = judged.items[0].data if judged.items else None
    if args.bundle:
        from pathlib import Path

        moment = judge_time(args.now, io, ev, Path(args.bundle))
    else:
        moment = judge_time(args.now, io, ev, None)
    now = moment.now
    if auth is None or (blind and not auth.authenticators and not auth.startup_errors):
        reason = blind or "no API server settings were found"
        raise InputError(args.bundle or "settings", f"the API server's JWT settings cannot be seen: {reason}")
    if args.kube_version:
        auth.kube_version, auth.kube_version_ref = args.kube_version, "--kube-version"

    static = None
    if args.jwks:
        try:
            static = verify.StaticKeys(parse_jwks(json.loads(_read_file(args.jwks))))
        except (ValueError, RecursionError) as e:  # RecursionError: nested too deeply
            raise InputError(args.jwks, f"not JSON: {e}") from e
    elif ev is not None and ev.of(Kind.JWKS):
        static = verify.StaticKeys([k for item in ev.of(Kind.JWKS) for k in parse_jwks(item.data)])
    old = _compare_settings(args)
    if old is not None and token is None:
        raise UsageError("--compare needs a token (--token SRC, or a bundle holding one)")
    if old is not None and args.kube_version:
        old.kube_version, old.kube_version_ref = args.kube_version, "--kube-version"
    pred = _predict(auth, judged, now, moment.source, blind or "", args, ev, static)
    if args.offline and token is not None and pred.handled:
        pred.notes.append("--offline: discovery, JWKS and distributed claims were not fetched")
    if token is None:
        status = 0 if pred.error is None else 1
    elif pred.stage in verify.UNKNOWN_STAGES:
        status = 2  # no verdict: the notes say what could not be done
    else:
        status = 0 if pred.authenticated else 1
    from oidc_doctor.commands.result import Result, write
    from oidc_doctor.text import iso

    doc = pred.to_json()
    doc.update(settings=auth.ref, signing_algs=list(auth.signing_algs), now=iso(now), now_source=moment.source)
    if args.trace:
        doc["trace"] = pred.trace_json()
    had_token = token is not None
    # The views are loaded only to write text or Markdown (not for JSON: predict's start-up).
    if old is not None:
        from oidc_doctor.commands import predict_view as view

        old_pred = _predict(old, judged, now, moment.source, "", args, None, static)
        cmp = view.Comparison(old, old_pred, auth, pred)
        doc["compare"] = cmp.to_json(args.trace)

        def text() -> str:
            return _text(pred, had_token, auth, args.trace) + "\n" + view.compare_text(cmp, args.trace)

        def markdown() -> str:
            return view.predict_markdown(pred, auth, args.trace) + "\n" + view.compare_markdown(cmp, args.trace)
    else:

        def text() -> str:
            return _text(pred, had_token, auth, args.trace)

        def markdown() -> str:
            from oidc_doctor.commands.predict_view import predict_markdown

            return predict_markdown(pred, auth, args.trace)

    rich_md = markdown if (args.trace or old is not None) else None  # else the plain text, fenced
    result = Result("predict", SCHEMA, status, doc, text, notes=moment.notes, markdown=rich_md)
    return write(result, args, io)


def _predict(
    auth: ApiServerAuth,
    judged: Evidence,
    now: Any,
    now_source: str,
    blind: str,
    args: argparse.Namespace,
    ev: Any,
    static: KeySet | None,
) -> Prediction:
    """The authenticator's verdict for the token of ``judged`` under ``auth`` (keys: ``static``, else
    the issuer's), through the runner."""
    from oidc_doctor.authn import verify
    from oidc_doctor.authn.remote import online
    from oidc_doctor.authn.settings import SettingsView
    from oidc_doctor.authn.validation import validate_settings
    from oidc_doctor.checks.base import Context, Options
    from oidc_doctor.derive import derive_all
    from oidc_doctor.evidence import Kind
    from oidc_doctor.record import replace

    fetcher = None
    if not args.offline:
        from oidc_doctor.authn.remote import HttpFetcher

        fetcher = HttpFetcher()  # discovery/JWKS when no keys were given; distributed claims always
    ca_override = _read_file(args.ca_file) if args.ca_file else None
    keys_for, resolver_for = online(auth, now, static, fetcher, ca_override)
    if ev is not None and static is not None and ev.of(Kind.DISCOVERY):
        # Offline keys from a bundle: its discovery document stands in for the issuer's.
        from oidc_doctor.authn.settings import discovery_for, discovery_init_error

        found = discovery_for(ev, auth)
        online_keys_for = keys_for

        def keys_for(a: JWTAuthenticator) -> tuple[KeySet | None, str | None]:
            why = discovery_init_error(found, a)
            return (None, why) if why else online_keys_for(a)

    # The same runner as diagnose, deriving only the API server's area (and the token it reads), with
    # the settings and keys this command was given.
    options = Options(apiserver=SettingsView(auth=auth, blind=blind), keys=verify.KeyLookup(keys_for, resolver_for))
    facts = derive_all(judged, Context(now=now, now_source=now_source, options=options), areas=("authn",)).facts
    seen = facts.authn
    if seen is not None and seen.prediction is not None:
        pred = seen.prediction
    else:  # no token, or settings that cannot be seen but that kube-apiserver refuses anyway
        pred = verify.settings_prediction(auth, seen.verdict if seen and seen.verdict else validate_settings(auth))
    notes = [n for n in [_version_note(auth)] if n]
    return replace(pred, notes=[*pred.notes, *notes])


def _compare_settings(args: argparse.Namespace) -> ApiServerAuth | None:
    """The settings of ``--compare FILE`` or ``--compare-flags 'FLAGS'``, or None."""
    if args.compare and args.compare_flags:
        raise UsageError("give one of --compare FILE and --compare-flags 'FLAGS'")
    if args.compare_flags:
        import shlex

        from oidc_doctor.authn.flags import parse_args, translate

        try:
            words = shlex.split(args.compare_flags)
        except ValueError as e:
            raise UsageError(f"--compare-flags: {e}") from e
        if not words:
            raise UsageError("--compare-flags: no flags given")
        words = [w if w.startswith("-") else f"--{w}" for w in words]
        auth = translate(parse_args(words, "--compare-flags"), "--compare-flags")
        if auth.auth_config_path:
            raise UsageError("--compare-flags names --authentication-config: give that file as --compare FILE")
        return auth
    if args.compare:
        auth = _manifest_settings(args.compare)
        if auth.auth_config_path and not auth.authenticators:
            raise InputError(
                args.compare,
                f"names --authentication-config={auth.auth_config_path}: give that file as --compare instead",
            )
        return auth
    return None


SCHEMA = "oidc-doctor/predict/v1"


def _text(pred: Prediction, had_token: bool, auth: ApiServerAuth, trace: bool = False) -> str:
    from oidc_doctor.text import clean

    lines = [f"settings:      {clean(auth.ref)} ({auth.source}, {len(auth.authenticators)} JWT authenticator(s))"]
    if not had_token:
        lines.append("configuration: " + ("valid" if pred.error is None else "INVALID"))
        if pred.error:
            lines.append(f"error:         {clean(pred.error)}")
    else:
        which = f" (jwt[{pred.authenticator}], issuer {clean(pred.issuer)})" if pred.handled else ""
        lines.append(f"handled:       {'yes' if pred.handled else 'no'}{which}")
        lines.append(f"authenticated: {'yes' if pred.authenticated else 'no'}")
        if pred.error:
            lines.append(f"error:         {clean(pred.error)}")
        elif not pred.handled and not auth.authenticators:
            lines.append(
                "error:         (none: no JWT authenticator is configured; the API server answers 401 and logs "
                "only `invalid bearer token`)"
            )
        elif not pred.handled and pred.notes and pred.notes[0].startswith("no JWT authenticator reads"):
            lines.append("error:         (none: the token is not a compact JWT with a readable iss)")
        elif not pred.handled and pred.stage == "issuer":
            lines.append(
                "error:         (none from this authenticator: the token's iss matches no configured issuer; "
                "the API server answers 401 and logs only `invalid bearer token`)"
            )
        if pred.user is not None:
            lines.append(f"username:      {clean(pred.user.username)}")
            lines.append(f"uid:           {clean(pred.user.uid)}")
            groups = ", ".join(clean(g) for g in pred.user.groups)
            lines.append(f"groups:        [{groups}] (+ system:authenticated, added by the API server)")
            for k, v in pred.user.extra.items():
                lines.append(f"extra:         {clean(k)} = {[clean(x) for x in v]}")
        if pred.handled:
            lines.append(f"signature:     {pred.signature}")
    for n in pred.notes:
        lines.append(f"note:          {clean(n)}")
    if trace:
        from oidc_doctor.commands.predict_view import trace_text

        lines += ["", *trace_text(pred)]
    return "\n".join(lines) + "\n"
