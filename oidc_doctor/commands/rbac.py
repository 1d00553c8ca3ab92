"""``oidc-doctor rbac who|can``: who is bound, and may an identity do something, from a bundle.

``rbac who --user U [--group G]... --bundle DIR [--format text|json]`` lists every binding that
applies to the identity (``system:authenticated`` added as the API server does), once each, and
the near misses (a binding naming the user without its prefix, another claim's value, a group with
another spelling). ``rbac can VERB RESOURCE [-n NS] ...`` decides one request exactly as the RBAC
authorizer does and names the rule that grants it or the one that is missing.

Exit status: 0 no error-severity finding, 1 at least one (no binding, a near miss, a denied
request), 2 could not run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oidc_doctor.errors import InputError, UsageError
from oidc_doctor.io import IO
from oidc_doctor.model import Finding
from oidc_doctor.text import clean


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``rbac who`` and ``rbac can``."""
    subs = parser.add_subparsers(dest="rbac_command", metavar="SUBCOMMAND")
    who = subs.add_parser("who", help="the bindings that apply to a user and its groups")
    who.add_argument(
        "--rules", action="store_true", help="also show each binding's effective rules (aggregation applied)"
    )
    _identity_args(who)
    can = subs.add_parser("can", help="whether a user may do VERB on RESOURCE, and which rule decides")
    can.add_argument("verb", metavar="VERB")
    can.add_argument(
        "resource",
        metavar="RESOURCE",
        help="resource[.group][/subresource] (pods, deployments.apps/scale), or a path /healthz",
    )
    can.add_argument("name", metavar="NAME", nargs="?", default="", help="object name (resourceNames)")
    can.add_argument("-n", "--namespace", default="", help="namespace (omit for cluster scope)")
    can.add_argument("--subresource", default="", help="subresource, if not given as RESOURCE/SUB")
    _identity_args(can)


def _identity_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", required=True, help="username exactly as the API server sees it (prefix included)")
    p.add_argument("--group", action="append", default=[], help="a group of the user (repeatable)")
    p.add_argument("--bundle", required=True, type=Path, help="folder of kubectl RBAC output (JSON/YAML)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _bundle_files(bundle: Path) -> list[Path]:
    if not bundle.is_dir():
        raise InputError(str(bundle), "not a folder")
    files = [p for p in sorted(bundle.rglob("*")) if p.is_file() and not any(x.startswith(".") for x in p.parts)]
    return files


def run(args: argparse.Namespace, io: IO) -> int:
    """Dispatch to ``who`` or ``can``."""
    if args.rbac_command is None:
        raise UsageError("rbac: choose a subcommand: who or can")
    from oidc_doctor.rbac.index import default_groups, load_paths
    from oidc_doctor.rbac.nearmiss import Who

    idx, counts = load_paths(_bundle_files(args.bundle))
    if len(idx) == 0:
        raise InputError(str(args.bundle), "no RBAC objects (ClusterRole, Role, ClusterRoleBinding, RoleBinding) found")
    who = Who(args.user, default_groups(args.user, args.group), True, "flag", "--user/--group")
    inputs = [{"ref": ref, "kind": "rbac" if n > 0 else "unrecognised", "objects": max(n, 0)} for ref, n in counts]
    if args.rbac_command == "who":
        return _who(idx, who, inputs, args, io)
    return _can(idx, who, inputs, args, io)


def _emit_json(io: IO, doc: dict[str, Any]) -> None:
    import orjson

    io.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")


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


def _who(idx: Any, who: Any, inputs: list[dict[str, Any]], args: argparse.Namespace, io: IO) -> int:
    from oidc_doctor.rbac.nearmiss import analyze
    from oidc_doctor.rbac.rules import describe_rule

    a = analyze(idx, who)
    findings = [*a.anonymous, *a.subjects, *a.binding]
    bindings = [x.to_json() for x in a.applied]
    if args.rules:
        for b, applied in zip(bindings, a.applied, strict=True):
            rules, err = idx.role_rules(applied.binding)
            b["rules"] = rules
            if err:
                b["error"] = err
    if args.format == "json":
        _emit_json(
            io,
            {
                "user": who.username,
                "groups": who.groups,
                "bindings": bindings,
                "findings": [f.to_json() for f in findings],
                "inputs": inputs,
            },
        )
        return _status(findings)
    out = [f"user {clean(who.username)}  groups {', '.join(clean(g) for g in who.groups)}", ""]
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
    if findings:
        out += ["", *_findings_text(findings)]
    io.stdout.write("\n".join(out) + "\n")
    return _status(findings)


def parse_resource(text: str, subresource: str = "") -> tuple[str, str, str]:
    """``(resource, api_group, subresource)`` from ``deployments.apps/scale`` (kubectl's form)."""
    base, _, sub = text.partition("/")
    resource, _, group = base.partition(".")
    return resource, group, sub or subresource


def _can(idx: Any, who: Any, inputs: list[dict[str, Any]], args: argparse.Namespace, io: IO) -> int:
    from oidc_doctor.rbac.index import role_ref
    from oidc_doctor.rbac.nearmiss import analyze
    from oidc_doctor.rbac.rules import Request, describe_rule

    if args.resource.startswith("/"):
        req = Request(verb=args.verb, path=args.resource)
    else:
        resource, group, sub = parse_resource(args.resource, args.subresource)
        req = Request(args.verb, resource, group, sub, args.name, args.namespace)
    a = analyze(idx, who, req)
    d = a.decision
    allowed = bool(d and d.allowed)
    findings = [*a.anonymous, *a.subjects, *a.binding, *a.permissions]
    granted = None
    if d and d.allowed and d.binding is not None and d.rule is not None:
        granted = {"binding": d.binding.to_json(), "rule": d.rule, "rule_text": describe_rule(d.rule)}
    if args.format == "json":
        _emit_json(
            io,
            {
                "allowed": allowed,
                "request": {
                    "verb": req.verb,
                    "resource": req.resource,
                    "api_group": req.api_group,
                    "subresource": req.subresource,
                    "name": req.name,
                    "namespace": req.namespace,
                    "path": req.path,
                },
                "user": who.username,
                "groups": who.groups,
                "granted_by": granted,
                "findings": [f.to_json() for f in findings],
                "inputs": inputs,
            },
        )
        return _status(findings)
    verdict = "yes" if allowed else "no"
    may = "may" if allowed else "may not"
    out = [f"{verdict}: {clean(who.username)} {may} {clean(req.describe())}"]
    if d is not None and d.allowed and d.binding is not None and d.rule is not None:
        b = d.binding
        where = f"{b.kind} {b.namespace + '/' if b.namespace else ''}{b.name}"
        role = "/".join(role_ref(b.binding))
        out.append(f"granted by {clean(where)} -> {clean(role)}: {clean(describe_rule(d.rule))}")
    if findings:
        out += ["", *_findings_text(findings)]
    io.stdout.write("\n".join(out) + "\n")
    return _status(findings)
