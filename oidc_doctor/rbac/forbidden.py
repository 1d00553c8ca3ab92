"""Read the failure a user saw: 403 and 401 texts from kubectl, the API, Kubeapps and proxies.

The 403 message is built by kube-apiserver's ``responsewriters.forbiddenMessage``
(k8s.io/apiserver ``pkg/endpoints/handlers/responsewriters/errors.go``) and wrapped by
``apierrors.NewForbidden`` (``<resource>[ "<name>"] is forbidden: <message>``). Its forms:

- since 1.11: ``User "U" cannot VERB resource "RES[/SUB]" in API group "G" in the namespace "NS"``
  or ``... at the cluster scope``; non-resource: ``User "U" cannot VERB path "/P"``;
- 1.9-1.10: ``User "U" cannot VERB resource "RES" in the namespace "NS"`` (no API group);
- 1.6-1.8: ``User "U" [groups [...]] cannot VERB RES[.GROUP][/SUB] in the namespace "NS".``

The quoted user is the API server's own computed username (prefix included). Kubeapps wraps API
errors in ``plugins/pkg/connecterror``: ``Forbidden to VERB the RES 'ID' due to '<inner>'`` (403)
and ``Authorization required to VERB the RES 'ID' due to 'Unauthorized'`` (401).
"""

from __future__ import annotations

import re

import orjson

from oidc_doctor.model import ObservedFailure

_Q = r'"((?:[^"\\]|\\.)*)"'  # a Go %q string
_FORBIDDEN = re.compile(
    r"User " + _Q + r"(?: groups \[[^\]]*\])? cannot (?P<verb>[^\s\"]+) "
    r"(?:path "
    + _Q.replace("(", "(?P<path>", 1)
    + r"|resource "
    + _Q.replace("(", "(?P<res>", 1)
    + r"(?: in API group "
    + _Q.replace("(", "(?P<group>", 1)
    + r")?"
    r"|(?P<oldres>[^\s\"]+))"
    r"(?: in the namespace " + _Q.replace("(", "(?P<ns>", 1) + r"| at the cluster scope)?"
)
_WRAPPER = re.compile(r'(?P<gr>[a-z0-9.\-]+)(?: "(?P<name>[^"]*)")? is forbidden: User "')
_KUBEAPPS_FORBIDDEN = re.compile(r"Forbidden to (?P<verb>\S+) the (?P<res>\S+) '(?P<id>[^']*)' due to")
_KUBEAPPS_UNAUTH = re.compile(r"Authorization required to (?P<verb>\S+) the (?P<res>\S+) '(?P<id>[^']*)'")
_KUBEAPPS_NO_NAMESPACES = "The current account does not have access to any namespaces"
_UNAUTHORIZED = re.compile(
    r"You must be logged in to the server|\(Unauthorized\)|\b401 Unauthorized\b|"
    r"\"code\"\s*:\s*401|^\s*Unauthorized\s*$|Please check that your token is valid|"
    # the pinniped CLI: "Error: could not complete Concierge credential exchange: could not login: Unauthorized"
    r"credential exchange: .*\bUnauthorized\b",
    re.MULTILINE,
)
_LOGGED_OUT = re.compile(
    r"logged out|log(?:s|ged)? (?:me |you |us )?out|session (?:has |is )?expired|session expired|"
    r"(?:sign|log) ?in again|removing session",
    re.IGNORECASE,
)


def _unquote(s: str | None) -> str | None:
    if s is None:
        return None
    return re.sub(r"\\(.)", r"\1", s)


def _status_json(text: str) -> dict[str, object] | None:
    start = text.find("{")
    if start < 0 or '"Status"' not in text:
        return None
    try:
        v = orjson.loads(text[start : text.rfind("}") + 1])
    except orjson.JSONDecodeError:
        return None
    return v if isinstance(v, dict) and v.get("kind") == "Status" else None


def _forbidden(text: str, ref: str, original: str) -> ObservedFailure | None:
    m = _FORBIDDEN.search(text)
    if not m:
        return None
    user = _unquote(m.group(1))
    if user and user.startswith("eyJ"):
        # a token where the user's name belongs (a pasted mix-up) is a credential: shown and
        # matched by fingerprint only
        from oidc_doctor.secrets import mask_text as mask

        user = mask(user)
    f = ObservedFailure("forbidden", ref, original.strip(), status=403, user=user)
    f.verb = m.group("verb")
    # apierrors.NewForbidden's prefix: `<resource>[.<group>] ["<name>"] is forbidden: ...`
    wrapper = _WRAPPER.search(text[: m.start() + 6])
    if m.group("path") is not None:
        f.path = _unquote(m.group("path"))
        return f
    if m.group("res") is not None:
        res = _unquote(m.group("res")) or ""
        f.api_group = _unquote(m.group("group"))
        if f.api_group is None:  # 1.9/1.10 form: take the group from the wrapper's "res.group"
            f.api_group = wrapper.group("gr").partition(".")[2] if wrapper else ""
    else:  # 1.6-1.8 form: RES[.GROUP][/SUB]
        raw = m.group("oldres")
        base, _, sub = raw.partition("/")
        res_name, _, group = base.partition(".")
        res = f"{res_name}/{sub}" if sub else res_name
        f.api_group = group
    f.resource, _, sub = res.partition("/")
    f.subresource = sub or None
    f.namespace = _unquote(m.group("ns"))
    f.name = (wrapper.group("name") or None) if wrapper else None  # `pods "web" is forbidden`
    return f


def parse_failure(text: str, ref: str) -> ObservedFailure | None:
    """The failure described by ``text`` (a 403, a 401, a logout), or None when unrecognised."""
    body = text
    status = _status_json(text)
    code = status.get("code") if status else None
    if status and isinstance(status.get("message"), str):
        body = str(status["message"])
    f = _forbidden(body, ref, text)
    if f:
        return f  # also inside Kubeapps' "Forbidden to ... due to '<the API's message>'"
    km = _KUBEAPPS_FORBIDDEN.search(text)
    if km:  # the inner message was not a Kubernetes one: keep what Kubeapps says
        return ObservedFailure(
            "forbidden", ref, text.strip(), status=403, verb=km.group("verb"), resource=km.group("res")
        )
    if _KUBEAPPS_NO_NAMESPACES in text:
        # Kubeapps lists namespaces at cluster scope and says this when it may not.
        return ObservedFailure(
            "forbidden", ref, text.strip(), status=403, verb="list", resource="namespaces", api_group=""
        )
    if code == 403 or (status and status.get("reason") == "Forbidden"):
        return ObservedFailure("forbidden", ref, text.strip(), status=403)
    ku = _KUBEAPPS_UNAUTH.search(text)
    if ku or code == 401 or _UNAUTHORIZED.search(text):
        f = ObservedFailure("unauthorized", ref, text.strip(), status=401)
        if ku:
            f.verb, f.resource = ku.group("verb"), ku.group("res")
        return f
    if _LOGGED_OUT.search(text):
        return ObservedFailure("logged-out", ref, text.strip())
    return None


def parse_failures(text: str, ref: str) -> list[ObservedFailure]:
    """Every distinct failure in a text: the whole text first, then line by line."""
    whole = parse_failure(text, ref)
    out: list[ObservedFailure] = [whole] if whole else []
    if "\n" in text.strip() and not _status_json(text):
        seen = {(whole.kind, whole.user, whole.verb, whole.resource, whole.namespace)} if whole else set()
        for line in text.splitlines():
            f = parse_failure(line, ref) if line.strip() else None
            if f:
                key = (f.kind, f.user, f.verb, f.resource, f.namespace)
                if key not in seen:
                    seen.add(key)
                    out.append(f)
    return out
