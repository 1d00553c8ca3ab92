"""``oidc-doctor rbac who|can|who-can``: who is bound, may an identity do something, who may.

``rbac who --user U [--group G]... --bundle DIR [-o FORMAT]`` lists every binding that
applies to the identity (``system:authenticated`` added as the API server does), once each, and
the near misses (a binding naming the user without its prefix, another claim's value, a group with
another spelling). ``rbac can VERB RESOURCE [-n NS] ...`` decides one request exactly as the RBAC
authorizer does and names the rule that grants it or the one that is missing. ``--as USER`` /
``--as-group GROUP`` name the identity as kubectl's impersonation flags do (the groups of
:func:`~oidc_doctor.rbac.index.impersonated_groups`).

The reverse questions need no identity: ``rbac who-can VERB RESOURCE [NAME] [-n NS] [-A]``
lists every subject the bindings allow (kubectl-who-can), ``rbac who --match SUBSTRING
[--kind K]`` the subjects whose name contains the substring, case-insensitive (rbac-lookup); both
in :mod:`oidc_doctor.rbac.whocan`.

Exit status: 0 no error-severity finding, 1 at least one (no binding, a near miss, a denied
request), 2 could not run. ``who-can`` and ``--match`` answer a question and exit 0, also when the
answer is nobody.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oidc_doctor.commands.result import Result
from oidc_doctor.errors import InputError, UsageError
from oidc_doctor.io import IO
from oidc_doctor.model import Finding
from oidc_doctor.text import clean

WHO_SCHEMA = "oidc-doctor/rbac-who/v1"
CAN_SCHEMA = "oidc-doctor/rbac-can/v1"

#: The last run's evidence and index. A command ends the process right after it returns: freeing
#: 55,000 objects one by one then costs 0.07 s, while the interpreter's exit does not free them.
#: Holding only the last run keeps in-process callers (tests) from accumulating memory.
_LAST_RUN: list[Any] = []


#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor rbac who --user oidc:alice@example.com --group oidc:dev --bundle DIR
  oidc-doctor rbac can list pods -n dev --token @id_token.txt --bundle DIR
  oidc-doctor rbac can get secrets -n dev --as oidc:alice@example.com --as-group oidc:dev --bundle DIR
  oidc-doctor rbac who-can delete pods -n dev --bundle DIR
  oidc-doctor rbac who --match alice --bundle DIR

exit status: 0 no error found, 1 no binding / a near miss / a denied request, 2 could not run."""

WHO_EPILOG = """examples:
  oidc-doctor rbac who --user oidc:alice@example.com --group oidc:dev --bundle DIR
  oidc-doctor rbac who --as oidc:alice@example.com --as-group oidc:dev --context prod -o yaml
  oidc-doctor rbac who --token @id_token.txt --bundle DIR --rules
  oidc-doctor rbac who --error 'User "oidc:alice" cannot list resource "pods"' --bundle DIR
  oidc-doctor rbac who --match alice --kind user --bundle DIR        (subjects by substring)

exit status: 0 a binding applies (or --match ran), 1 no binding applies or a near miss, 2 could not run."""

CAN_EPILOG = """examples:
  oidc-doctor rbac can list pods -n dev --user oidc:alice@example.com --group oidc:dev --bundle DIR
  oidc-doctor rbac can get secrets -n dev --as oidc:alice@example.com --as-group oidc:dev --context prod
  oidc-doctor rbac can update deployments.apps/scale -n dev --token @id_token.txt --bundle DIR
  oidc-doctor rbac can get /healthz --user oidc:alice@example.com --bundle DIR -o json

exit status: 0 allowed, 1 denied (or a near miss), 2 could not run."""

WHO_CAN_EPILOG = """examples:
  oidc-doctor rbac who-can delete pods -n dev --bundle DIR
  oidc-doctor rbac who-can get secrets db-password -n prod --context prod -o json
  oidc-doctor rbac who-can list pods --all-namespaces --bundle DIR
  oidc-doctor rbac who-can get /metrics --bundle DIR

exit status: 0 answered (also when nobody may), 2 could not run."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``rbac who``, ``rbac can`` and ``rbac who-can``."""
    subs = parser.add_subparsers(dest="rbac_command", metavar="SUBCOMMAND")
    who = subs.add_parser(
        "who",
        help="the bindings that apply to a user and its groups; --match: subjects by substring",
        description="The bindings that apply to an identity, once each, and the near misses. With --match: "
        "every subject whose name contains the substring (case-insensitive), with the roles it is bound to.",
        epilog=WHO_EPILOG,
    )
    who.add_argument(
        "--rules",
        action="store_true",
        help="also show each binding's effective rules (aggregation applied; -o wide shows them too)",
    )
    _identity_args(who, match=True)
    can = subs.add_parser(
        "can",
        help="whether a user may do VERB on RESOURCE, and which rule decides",
        description="Decide one request as the RBAC authorizer does, naming the rule that grants it or what is "
        "missing.",
        epilog=CAN_EPILOG,
    )
    _request_args(can)
    _identity_args(can)
    who_can = subs.add_parser(
        "who-can",
        help="every subject that may do VERB on RESOURCE, with the binding and role that grant it",
        description="Every subject that may do VERB on RESOURCE (as kubectl-who-can), with the binding, role "
        "and rule that grant it. Members of system:masters may do anything (not RBAC: the API server's "
        "privileged group).",
        epilog=WHO_CAN_EPILOG,
    )
    _request_args(who_can)
    who_can.add_argument(
        "-A",
        "--all-namespaces",
        action="store_true",
        help="also the RoleBindings of every namespace (each asked about its own namespace)",
    )
    from oidc_doctor.commands import options

    options.source_options(who_can, bundle_help="folder of evidence (kubectl RBAC output, ...)")
    options.output_options(who_can)


def _request_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("verb", metavar="VERB")
    p.add_argument(
        "resource",
        metavar="RESOURCE",
        help="resource[.group][/subresource] (pods, deployments.apps/scale), or a path /healthz",
    )
    p.add_argument("name", metavar="NAME", nargs="?", default="", help="object name (resourceNames)")
    p.add_argument("-n", "--namespace", default="", help="namespace (omit for cluster scope)")
    p.add_argument("--subresource", default="", help="subresource, if not given as RESOURCE/SUB")


def _identity_args(p: argparse.ArgumentParser, *, match: bool = False) -> None:
    from oidc_doctor.commands import options

    # Not required by argparse: `who --match` needs no identity; run() says what is missing.
    ident = p.add_mutually_exclusive_group()
    ident.add_argument("--user", help="username exactly as the API server sees it (prefix included)")
    ident.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="the same as --user, as kubectl's impersonation flag (judged here against the RBAC objects; no "
        "impersonation request is sent)",
    )
    options.token_option(
        p,
        group=ident,
        help="the user's token (- stdin, @FILE, $NAME): its identity as the API server would compute it from "
        "the bundle's settings, or as a SelfSubjectReview / 403 text in the bundle says",
    )
    ident.add_argument("--error", metavar="TEXT", help="a 403 text: the user it names (groups unknown)")
    if match:
        ident.add_argument(
            "--match",
            metavar="SUBSTRING",
            help="list the subjects whose name contains SUBSTRING (case-insensitive), with their bindings, "
            "as rbac-lookup",
        )
        p.add_argument(
            "--kind",
            choices=("user", "group", "serviceaccount"),
            help="with --match: only subjects of this kind",
        )
    p.add_argument(
        "--group", action="append", default=[], help="a group of the user (repeatable; with --user or --error)"
    )
    p.add_argument(
        "--as-group",
        dest="as_group",
        action="append",
        default=[],
        metavar="GROUP",
        help="a group of the --as user (repeatable), as kubectl: given groups replace a service account's own",
    )
    options.source_options(p, bundle_help="folder of evidence (kubectl RBAC output, ...)")
    options.now_option(p)
    options.output_options(p)


def run(args: argparse.Namespace, io: IO) -> int:
    """Dispatch to ``who``, ``can`` or ``who-can``."""
    if args.rbac_command is None:
        raise UsageError("rbac: choose a subcommand: who, can or who-can")
    from oidc_doctor.bundle import read_bundle
    from oidc_doctor.loader import gc_paused
    from oidc_doctor.rbac.index import RbacIndex

    reverse = args.rbac_command == "who-can" or getattr(args, "match", None) is not None
    if not reverse:
        _identity_flags(args)
    elif args.rbac_command == "who" and (args.group or args.as_group or args.rules or args.now):
        # a search of subject names has no identity to give groups to, and no moment to judge
        raise UsageError("rbac who --match: --group, --as-group, --rules and --now go with an identity, not a search")
    from oidc_doctor.commands.options import is_live, read_token

    live = is_live(args)
    args.bundle = Path(args.bundle) if args.bundle is not None else None
    args.token_text = None
    if getattr(args, "token", None) is not None:  # read once: stdin cannot be read twice
        args.token_text = read_token(args.token, io)
    if args.bundle is None and not live:
        raise UsageError(f"rbac {args.rbac_command}: give --bundle DIR or --context NAME")
    from oidc_doctor.evidence import Evidence

    ev = Evidence()
    with gc_paused():  # 55,000 bindings become 55,000 items: nothing to collect while reading
        if args.bundle is not None:
            read_bundle(args.bundle, ev)
        if live:
            _read_live(args, io, ev)
        idx = RbacIndex.from_evidence(ev)
    if len(idx) == 0:
        where = str(args.bundle) if args.bundle is not None else f"context {args.context or '(current)'}"
        why = ev.blind.get("rbac")
        raise InputError(
            where,
            f"RBAC cannot be read: {why}"
            if why
            else "no RBAC objects (ClusterRole, Role, ClusterRoleBinding, RoleBinding) found",
        )
    if reverse:
        from oidc_doctor.commands.result import write

        _LAST_RUN[:] = [ev, idx]
        inputs = [i.to_json() for i in ev.inputs]
        if args.rbac_command == "who-can":
            return write(_who_can(idx, inputs, args), args, io)
        return write(_match(idx, inputs, args), args, io)
    claims: dict[str, Any] | None = None
    auth = None
    failed = None  # the request a 403 in --error (or in the bundle) names
    moment = None
    if args.user is not None:
        from oidc_doctor.rbac.index import default_groups, impersonated_groups
        from oidc_doctor.rbac.nearmiss import Who

        given = [*args.group, *args.as_group]
        if args.as_user is not None:  # kubectl --as: the impersonation filter's groups
            who = Who(args.user, impersonated_groups(args.user, given), True, "flag", "--as/--as-group")
        else:
            who = Who(args.user, default_groups(args.user, given), True, "flag", "--user/--group")
    else:
        from oidc_doctor.commands.when import judge_time
        from oidc_doctor.evidence import Item, Kind

        if args.token is not None:
            from oidc_doctor.token.source import describe_source

            ev.add_first(Item(Kind.TOKEN, describe_source(args.token), args.token_text))
        else:
            ev.add_first(Item(Kind.ERROR_TEXT, "--error", args.error))
        # the token's identity depends on the moment (an expired token has none): the one rule
        moment = judge_time(args.now, io, ev, args.bundle)
        who, claims, auth, failed = _derived_identity(ev, args, moment.now, moment.source)
        if args.error is not None and (args.group or args.as_group):
            from oidc_doctor.rbac.index import default_groups

            # The 403 names the user; the person running the command knows its groups.
            who.groups, who.groups_known = default_groups(who.username, [*args.group, *args.as_group]), True
    inputs = [i.to_json() for i in ev.inputs]
    _LAST_RUN[:] = [ev, idx]
    if args.rbac_command == "who":
        result = _who(idx, who, claims, auth, failed, inputs, args)
    else:
        result = _can(idx, who, claims, auth, inputs, args)
    if moment is not None:
        from oidc_doctor.text import iso

        result.doc.update(now=iso(moment.now), now_source=moment.source)
        result.notes = moment.notes
    from oidc_doctor.commands.result import write

    return write(result, args, io)


def _identity_flags(args: argparse.Namespace) -> None:
    """Check the identity flags of ``who``/``can`` and fold ``--as`` into ``--user``.

    kubectl refuses impersonated groups without an impersonated user (client-go
    ``rest/transport.go``: "requesting uid, groups or user-extra ... without impersonating a
    user"); so does ``--as-group`` here, unless the user comes from ``--user`` or ``--error``.
    """
    if args.as_user is not None:
        args.user = args.as_user
    if getattr(args, "kind", None) is not None:
        raise UsageError(f"rbac {args.rbac_command}: --kind goes with --match")
    if args.as_group and args.user is None and args.error is None:
        raise UsageError("--as-group: give --as USER too (kubectl refuses groups without an impersonated user)")
    if args.user is None and args.token is None and args.error is None:
        more = ", --error TEXT or --match SUBSTRING" if args.rbac_command == "who" else " or --error TEXT"
        raise UsageError(f"rbac {args.rbac_command}: whose? give --user/--as USER, --token SRC{more}")
    if args.user is not None and args.user.startswith("eyJ") and args.user.count(".") >= 2:
        # a token pasted as the user name would be echoed in every line: say where it belongs
        flag = "--as" if args.as_user is not None else "--user"
        raise UsageError(f"{flag}: this is a token, not a user name: pass it with --token - (stdin) or --token @FILE")


def _read_live(args: argparse.Namespace, io: IO, ev: Any) -> None:
    """RBAC (and, with ``--token``, the token's SelfSubjectReview and the API server settings) read live."""
    from oidc_doctor.commands.diagnose import read_live

    read_live(args, io, ev, args.token_text, rbac_only=True)


def _derived_identity(ev: Any, args: argparse.Namespace, now: Any, now_source: str) -> tuple[Any, Any, Any, Any]:
    """The identity the pipeline's facts find from ``--token`` or ``--error`` and the bundle.

    The username of a token is what the authn engine predicts from the API server's settings in
    the bundle, or what a SelfSubjectReview or a 403 text in the bundle says; this command does
    not guess it.
    """
    from oidc_doctor.checks.base import Context
    from oidc_doctor.checks.rbac import pick_authenticator, request_from_context, who_from_context
    from oidc_doctor.derive import derive_all
    from oidc_doctor.text import iso

    # Up to the identity only: this command indexes and analyses RBAC itself (once, not twice).
    ctx = derive_all(ev, Context(now=now, now_source=now_source), areas=("identity",))
    who = who_from_context(ctx)
    if who is None:
        where = "--token" if args.token is not None else "--error"
        prediction = ctx.facts.prediction
        if args.token is None:
            why = "names no user (not a 403 message); pass --user"
        elif prediction is not None and prediction.handled and not prediction.authenticated:
            why = (
                f"the API server would reject this token at {iso(now)} ({now_source}): "
                f"{prediction.error or ''}; so it has no user (pass --now with the time of the failure, "
                "or --user)"
            )
        else:
            why = (
                "the username the API server gives this token cannot be computed: the bundle holds no API "
                "server OIDC settings, SelfSubjectReview or 403 text that names it; pass --user"
            )
        raise InputError(where, why)
    return who, ctx.facts.token_claims, pick_authenticator(ctx), request_from_context(ctx)


def _findings_text(findings: list[Finding]) -> list[str]:
    lines = []
    for f in findings:
        lines.append(f"[{f.severity}] {f.cause}: {clean(f.title)}")
        for e in f.evidence:
            lines.append(f"    {e.source}: {clean(e.ref)}: {clean(e.text)}")
        for fix_line in f.fix.splitlines():
            lines.append(
                f"    fix: {clean(fix_line)}" if fix_line == f.fix.splitlines()[0] else f"         {clean(fix_line)}"
            )
    return lines


def _status(findings: list[Finding]) -> int:
    return 1 if any(str(f.severity) == "error" for f in findings) else 0


def _who(
    idx: Any,
    who: Any,
    claims: Any,
    auth: Any,
    failed: Any,
    inputs: list[dict[str, Any]],
    args: argparse.Namespace,
) -> Result:
    from oidc_doctor.checks.rbac import findings_of
    from oidc_doctor.rbac.nearmiss import analyze

    a = analyze(idx, who, failed, claims, auth)  # the 403's request, when --error names one
    findings = findings_of(a)
    bindings = [x.to_json() for x in a.applied]
    from oidc_doctor.commands.options import wants_wide

    if args.rules or wants_wide(args):  # -o wide: the effective rules too
        for b, applied in zip(bindings, a.applied, strict=True):
            rules, err = idx.role_rules(applied.binding)
            b["rules"] = rules
            if err:
                b["error"] = err
    doc = {**_identity_json(who), "bindings": bindings, **_outcome_json(findings, a, inputs)}
    return Result("rbac who", WHO_SCHEMA, _status(findings), doc, lambda: _who_text(who, bindings, a, findings))


def _who_text(who: Any, bindings: list[dict[str, Any]], a: Any, findings: list[Finding]) -> str:
    from oidc_doctor.rbac.rules import describe_rule

    out = [_identity_line(who), ""]
    if bindings:
        out.append(f"{'KIND':<19} {'NAMESPACE':<16} {'NAME':<28} {'ROLE':<30} SUBJECTS")
        for b in bindings:
            role = f"{b['role']['kind']}/{b['role']['name']}"
            subjects = ", ".join(f"{s['kind']} {s['name']}" for s in b["subjects"])
            out.append(
                f"{b['kind']:<19} {clean(b['namespace'] or '-'):<16} {clean(b['name']):<28} "
                f"{clean(role):<30} {clean(subjects)}"
            )
            if "error" in b:
                out.append(f"    ! {clean(b['error'])}")
            for r in b.get("rules", ()):
                out.append(f"    {clean(describe_rule(r))}")
    else:
        out.append("no binding applies")
    return _finish_text(out, a, findings)


def _finish_text(out: list[str], a: Any, findings: list[Finding]) -> str:
    """The lines with the verdict notes and findings appended, as one text."""
    if a.uncertain:
        out += ["", f"undecided: {clean(a.uncertain)}"]
    if findings:
        out += ["", *_findings_text(findings)]
    return "\n".join(out) + "\n"


def _identity_json(who: Any) -> dict[str, Any]:
    return {"user": who.username, "groups": who.groups, "groups_known": who.groups_known, "source": who.source}


def _outcome_json(findings: list[Finding], a: Any, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"findings": [f.to_json() for f in findings], "undecided": a.uncertain or None, "inputs": inputs}


def _identity_line(who: Any) -> str:
    groups = ", ".join(clean(g) for g in who.groups)
    note = "" if who.groups_known else " (other groups unknown: a 403 does not list them)"
    source = "" if who.source == "flag" else f"  [from {who.source}]"
    return f"user {clean(who.username)}  groups {groups}{note}{source}"


def parse_resource(text: str, subresource: str = "", bundle: Path | None = None) -> tuple[str, str, str]:
    """``(resource, api_group, subresource)`` from ``deployments.apps/scale`` (kubectl's form)."""
    from oidc_doctor.rbac.resources import UnknownResource, discovery_for_bundle

    try:
        r = discovery_for_bundle(bundle).resolve(text)
    except UnknownResource as e:
        raise UsageError(str(e)) from e
    return r.resource, r.group, r.subresource or subresource


def _can(idx: Any, who: Any, claims: Any, auth: Any, inputs: list[dict[str, Any]], args: argparse.Namespace) -> Result:
    from oidc_doctor.checks.rbac import findings_of
    from oidc_doctor.rbac.nearmiss import analyze
    from oidc_doctor.rbac.rules import describe_rule

    req = _request(args)
    a = analyze(idx, who, req, claims, auth)
    d = a.decision
    allowed = bool(d and d.allowed)
    findings = findings_of(a)
    granted = None
    if d and d.allowed and d.binding is not None and d.rule is not None:
        granted = {"binding": d.binding.to_json(), "rule": d.rule, "rule_text": describe_rule(d.rule)}
    doc = {
        "allowed": allowed,
        "request": _request_json(req),
        **_identity_json(who),
        "granted_by": granted,
        **_outcome_json(findings, a, inputs),
    }

    def text() -> str:
        return _can_text(who, req, d, allowed, a, findings)

    return Result("rbac can", CAN_SCHEMA, _status(findings), doc, text)


def _can_text(who: Any, req: Any, d: Any, allowed: bool, a: Any, findings: list[Finding]) -> str:
    from oidc_doctor.rbac.index import role_ref
    from oidc_doctor.rbac.rules import describe_rule

    verdict = "yes" if allowed else "no"
    may = "may" if allowed else "may not"
    out = [f"{verdict}: {clean(who.username)} {may} {clean(req.describe())}"]
    if d is not None and d.allowed and d.binding is not None and d.rule is not None:
        b = d.binding
        where = f"{b.kind} {b.namespace + '/' if b.namespace else ''}{b.name}"
        role = "/".join(role_ref(b.binding))
        out.append(f"granted by {clean(where)} -> {clean(role)}: {clean(describe_rule(d.rule))}")
    return _finish_text(out, a, findings)


WHO_CAN_SCHEMA = "oidc-doctor/rbac-who-can/v1"
MATCH_SCHEMA = "oidc-doctor/rbac-who-match/v1"


def _request(args: argparse.Namespace) -> Any:
    """The request of ``can``/``who-can``, resolved as kubectl does (``deployments.apps/scale``, ``/healthz``)."""
    from oidc_doctor.rbac.rules import Request

    if args.resource.startswith("/"):
        return Request(verb=args.verb, path=args.resource)
    resource, group, sub = parse_resource(args.resource, args.subresource, args.bundle)
    return Request(args.verb, resource, group, sub, args.name, args.namespace)


def _who_can(idx: Any, inputs: list[dict[str, Any]], args: argparse.Namespace) -> Result:
    """``rbac who-can``: every subject the bindings allow to make the request."""
    from oidc_doctor.rbac.whocan import PRIVILEGED_GROUP, who_can

    req = _request(args)
    answer = who_can(idx, req, all_namespaces=args.all_namespaces)
    doc = {
        "request": _request_json(req),
        "all_namespaces": args.all_namespaces,
        "subjects": answer.subjects(),
        "grants": [g.to_json() for g in answer.grants],
        "unresolved_roles": answer.errors,
        "privileged_group": PRIVILEGED_GROUP,
        "inputs": inputs,
    }
    return Result("rbac who-can", WHO_CAN_SCHEMA, 0, doc, lambda: _who_can_text(req, answer, args.all_namespaces))


def _who_can_text(req: Any, answer: Any, all_namespaces: bool) -> str:
    from oidc_doctor.rbac.whocan import PRIVILEGED_GROUP, subject_label

    asked = req.describe()
    if all_namespaces:  # each RoleBinding was asked about its own namespace
        asked = asked.replace(" at the cluster scope", "") + " in any namespace (RoleBindings of every namespace)"
    out = [f"who may {clean(asked)}:", ""]
    if answer.grants:
        out.append(f"{'SUBJECT':<44} {'BINDING':<44} ROLE")
        for g in answer.grants:
            b = g.to_json()["binding"]
            where = f"{b['kind']} {b['namespace'] + '/' if b['namespace'] else ''}{b['name']}"
            role = f"{b['role']['kind']}/{b['role']['name']}"
            out.append(f"{clean(subject_label(g.subject)):<44} {clean(where):<44} {clean(role)}")
    else:
        out.append("no binding allows it")
    if answer.errors:
        out += ["", "roles that cannot be read (their bindings may allow it too):"]
        out += [f"    ! {clean(e)}" for e in answer.errors]
    out += ["", f"note: members of {PRIVILEGED_GROUP} may do anything: the API server allows them before RBAC"]
    return "\n".join(out) + "\n"


def _request_json(req: Any) -> dict[str, Any]:
    return {
        "verb": req.verb,
        "resource": req.resource,
        "api_group": req.api_group,
        "subresource": req.subresource,
        "name": req.name,
        "namespace": req.namespace,
        "path": req.path,
    }


_KINDS = {"user": "User", "group": "Group", "serviceaccount": "ServiceAccount"}


def _match(idx: Any, inputs: list[dict[str, Any]], args: argparse.Namespace) -> Result:
    """``rbac who --match``: subjects whose name contains the substring, with their bindings."""
    from oidc_doctor.rbac.whocan import subjects_matching

    if not args.match:
        raise UsageError("--match: give a non-empty substring")
    found = subjects_matching(idx, args.match, _KINDS.get(args.kind) if args.kind else None)
    doc = {"match": args.match, "kind": args.kind, "subjects": [f.to_json() for f in found], "inputs": inputs}
    return Result("rbac who", MATCH_SCHEMA, 0, doc, lambda: _match_text(args.match, doc["subjects"]))


def _match_text(word: str, subjects: list[dict[str, Any]]) -> str:
    from oidc_doctor.rbac.whocan import subject_label

    if not subjects:
        return f"no subject's name contains {clean(word)!r} (case-insensitive)\n"
    out = [f"{'SUBJECT':<44} {'SCOPE':<20} {'ROLE':<34} BINDING"]
    for s in subjects:
        for b in s["bindings"]:
            role = f"{b['role']['kind']}/{b['role']['name']}"
            out.append(
                f"{clean(subject_label(s['subject'])):<44} {clean(b['scope']):<20} {clean(role):<34} "
                f"{b['kind']} {clean(b['name'])}"
            )
    return "\n".join(out) + "\n"
