"""``oidc-doctor whoami``: ask the API server who the user is (SelfSubjectReview) and what it may do.

The user's token (``--token SRC``, else the kubeconfig user's own credentials: token, tokenFile,
exec plugin such as kubelogin, client certificate) goes only to the kubeconfig's API server, TLS
verified, with explicit timeouts. The API server answers a SelfSubjectReview
(``authentication.k8s.io`` v1, else v1beta1, else v1alpha1 — what ``kubectl auth whoami`` does)
and a SelfSubjectRulesReview for the namespace (``kubectl auth can-i --list``).

A 401 means authentication failed; the API server never tells the client why, so the output
points at ``oidc-doctor predict`` / ``diagnose`` and the API server's log. A 403 means the
credentials were accepted but RBAC forbids even the self review.

Exit status: 0 authenticated, 1 rejected (401) or forbidden (403), 2 could not ask.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from oidc_doctor.io import IO
from oidc_doctor.text import clean

if TYPE_CHECKING:
    from oidc_doctor.live.kubeconfig import LoadedConfig

_HOW_401 = [
    "The API server never says why it rejects a token (the client only sees 401 Unauthorized). To find out:",
    "  oidc-doctor predict --token SRC --bundle DIR     what its JWT authenticator does with this token, from its "
    "settings",
    "  oidc-doctor diagnose --context CTX --token SRC   reads those settings live and names the cause",
    "  the API server's log at that moment: `kubectl -n kube-system logs kube-apiserver-NODE | grep "
    '"Unable to authenticate the request"` (the reason follows `invalid bearer token`)',
]
_HOW_403 = [
    "The credentials were accepted, but RBAC forbids even a self review. Kubernetes grants "
    "`create selfsubjectreviews` and `create selfsubjectrulesreviews` to every authenticated user through "
    "the ClusterRole system:basic-user bound to the group system:authenticated: that binding was changed or "
    "removed, or an authorizer webhook denies it.",
    "  oidc-doctor rbac who --context CTX --user USER   which bindings apply to the user the message names",
]


#: The end of ``--help``: examples and the exit status.
EPILOG = """examples:
  oidc-doctor whoami --context prod --token @id_token.txt -n dev

exit status: 0 authenticated, 1 rejected (401) or forbidden (403), 2 could not ask."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``whoami``."""
    from oidc_doctor.commands import options

    options.live_options(p)
    options.token_option(
        p, help="the token to test (- stdin, @FILE, $NAME); default: the kubeconfig user's credentials"
    )
    p.add_argument("-n", "--namespace", metavar="NS", help="namespace of the rules review (default: the context's)")
    options.now_option(p)
    options.output_options(p)


def _credentials(cfg: LoadedConfig, token_src: str | None, token: str | None) -> dict[str, Any]:
    from oidc_doctor.jose import fingerprint

    if token is not None:
        from oidc_doctor.token.source import describe_source

        return {"source": f"--token {describe_source(token_src)}", "fingerprint": fingerprint(token)}
    user = cfg.single.user
    what = "no credentials"
    if user is not None:
        if user.token_file:
            what = f"tokenFile {user.token_file}"
        elif user.token:
            what = "token"
        elif user.exec:
            what = f"exec plugin {user.exec.command}"
        elif user.client_cert or user.client_cert_data:
            what = "client certificate"
        elif user.username:
            what = "basic auth"
    fp = fingerprint(str(user.token)) if user is not None and user.token else None
    return {"source": f"kubeconfig context {cfg.context}: {what}", "fingerprint": fp}


def run(args: argparse.Namespace, io: IO) -> int:
    """Send the reviews, print the identity or explain the refusal."""
    from oidc_doctor.live.client import ApiClient, LiveError
    from oidc_doctor.live.kubeconfig import load
    from oidc_doctor.live.readers import self_subject_review, self_subject_rules_review

    token = None
    if args.token:
        from oidc_doctor.commands.options import read_token

        token = read_token(args.token, io)
    cfg = load(args.context, args.kubeconfig, env=dict(io.env))
    namespace = args.namespace or cfg.namespace
    doc: dict[str, Any] = {
        "context": cfg.context,
        "server": cfg.server,
        "credentials": _credentials(cfg, args.token, token),
        "authenticated": None,
        "status": None,
        "review_api": None,
        "user": None,
        "rules": None,
        "rules_error": None,
        "error": None,
        "explanation": None,
    }
    with ApiClient(cfg, stderr=io.stderr, token=token) as client:
        try:
            review = self_subject_review(client)
        except LiveError as e:
            if e.status not in (401, 403):
                raise
            doc.update(status=e.status, error=str(e), authenticated=e.status == 403)
            doc["explanation"] = "\n".join(_HOW_401 if e.status == 401 else _HOW_403)
            if e.status == 403:
                doc["user"] = _forbidden_user(str(e))
        else:
            info = (review.get("status") or {}).get("userInfo") or {}
            doc.update(status=201, authenticated=True, review_api=review.get("apiVersion"), user=_user(info))
            try:
                rules = self_subject_rules_review(client, namespace)
                rules_status = rules.get("status")
                doc["rules"] = {"namespace": namespace, **(rules_status if isinstance(rules_status, dict) else {})}
            except LiveError as e:
                if e.status is None:
                    raise
                doc["rules_error"] = str(e)
    from oidc_doctor.commands.result import Result, write
    from oidc_doctor.commands.when import judge_time
    from oidc_doctor.evidence import Evidence, Item, Kind
    from oidc_doctor.text import iso

    ev = Evidence()
    if token is not None:
        ev.add(Item(Kind.TOKEN, "--token", token))
    moment = judge_time(args.now, io, ev)
    doc.update(now=iso(moment.now), now_source=moment.source)
    if doc["status"] == 401 and token is not None:
        expired = _expired_note(token, moment.now)
        if expired:
            doc["explanation"] = f"{expired}\n{doc['explanation']}"
    status = 0 if doc["status"] == 201 else 1
    return write(Result("whoami", SCHEMA, status, doc, lambda: _text(doc), notes=moment.notes), args, io)


SCHEMA = "oidc-doctor/whoami/v1"


def _expired_note(token: str, now: Any) -> str | None:
    """A line naming the token's expiry when it is before the judged moment (the likely 401)."""
    from oidc_doctor.jose import parse_compact
    from oidc_doctor.text import from_epoch, iso

    exp = (parse_compact(token).payload or {}).get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return None
    at = from_epoch(float(exp))
    if at is None or at >= now:
        return None
    # go-oidc verify.go: a token whose exp is before now is refused, with no leeway
    return f"The token expired at {iso(at)}, before {iso(now)}: the API server rejects expired tokens."


def _user(info: dict[str, Any]) -> dict[str, Any]:
    groups = info.get("groups")
    extra = info.get("extra")
    return {
        "username": str(info.get("username") or ""),
        "uid": str(info.get("uid") or ""),
        "groups": [str(g) for g in groups] if isinstance(groups, list) else [],
        "extra": {str(k): [str(x) for x in v] for k, v in extra.items() if isinstance(v, list)}
        if isinstance(extra, dict)
        else {},
    }


def _forbidden_user(message: str) -> dict[str, Any] | None:
    """The user a 403 message names (``User "oidc:alice" cannot create ...``); groups unknown."""
    from oidc_doctor.rbac.forbidden import parse_failure

    failure = parse_failure(message, "whoami")
    if failure is None or not failure.user:
        return None
    return {"username": failure.user, "uid": "", "groups": [], "extra": {}}


def _text(doc: dict[str, Any]) -> str:
    lines = [
        f"Context {clean(doc['context'])} ({clean(doc['server'])}), credentials: {clean(doc['credentials']['source'])}"
        + (f" [{doc['credentials']['fingerprint']}]" if doc["credentials"]["fingerprint"] else ""),
        "",
    ]
    user = doc["user"]
    if doc["status"] == 201:
        lines.append(f"Authenticated (SelfSubjectReview {doc['review_api']}):")
        lines += _user_lines(user)
        lines.append("")
        lines += _rules_lines(doc)
    elif doc["status"] == 401:
        lines.append(f"Authentication failed: {clean(doc['error'])}")
        lines.append("")
        lines += doc["explanation"].splitlines()
    else:
        lines.append(f"Forbidden: {clean(doc['error'])}")
        if user:
            lines.append(f"The API server authenticated the user as {clean(user['username'])!r} (groups not shown).")
        lines.append("")
        lines += doc["explanation"].splitlines()
    return "\n".join(lines) + "\n"


def _user_lines(user: dict[str, Any]) -> list[str]:
    lines = [f"  Username  {clean(user['username'])}"]
    if user["uid"]:
        lines.append(f"  UID       {clean(user['uid'])}")
    lines.append(f"  Groups    {', '.join(clean(g) for g in user['groups']) or '(none)'}")
    for k, v in sorted(user["extra"].items()):
        lines.append(f"  Extra     {clean(k)}: {', '.join(clean(x) for x in v)}")
    if user["groups"] == ["system:authenticated"] or not user["groups"]:
        lines.append(
            "  Only system:authenticated: the token carried no groups the API server maps "
            "(groups claim missing or not configured); group bindings cannot apply."
        )
    return lines


def _rules_lines(doc: dict[str, Any]) -> list[str]:
    if doc["rules"] is None:
        return [f"Rules review not answered: {clean(doc['rules_error'] or '')}"]
    rules = doc["rules"]
    rows: list[tuple[str, str, str, str]] = []

    def words(r: dict[str, Any], key: str) -> str:
        return f"[{' '.join(str(x) for x in r.get(key) or [])}]"

    for r in rules.get("resourceRules") or []:
        groups = r.get("apiGroups") or [""]
        res = [f"{x}.{g}" if g else x for x in r.get("resources") or [] for g in groups]
        rows.append((", ".join(res), "", words(r, "resourceNames"), words(r, "verbs")))
    for r in rules.get("nonResourceRules") or []:
        rows.append(("", words(r, "nonResourceURLs"), "[]", words(r, "verbs")))
    lines = [f"May do in namespace {clean(rules['namespace'])} (SelfSubjectRulesReview):"]
    if not rows:
        lines.append("  nothing: no rule allows this user anything in this namespace")
    header = ("Resources", "Non-Resource URLs", "Resource Names", "Verbs")
    widths = [max(len(header[i]), *(len(clean(r[i])) for r in rows)) if rows else len(header[i]) for i in range(4)]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(clean(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if rules.get("incomplete"):
        lines.append(
            "  (incomplete: an authorizer that cannot list rules, e.g. a webhook, may allow more"
            + (f"; {clean(str(rules.get('evaluationError')))}" if rules.get("evaluationError") else "")
            + ")"
        )
    return lines
