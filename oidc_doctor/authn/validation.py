"""Validation of JWT authenticators with kube-apiserver's own messages.

Ported behaviour: k8s.io/apiserver ``pkg/apis/apiserver/validation/validation.go``
(``validateJWTAuthenticator`` and helpers) and ``oidc.New`` (signing algorithms), with
apimachinery's ``field.Error`` text (``issuer.url: Invalid value: "http://x": URL scheme must
be https``). ``oidc.New`` reports paths relative to the authenticator; the file loader prefixes
``jwt[i].`` and wraps the list as ``invalid authentication configuration: ...``.
"""

from __future__ import annotations

import re
from typing import Any

from oidc_doctor.authn.goformat import aggregate, list_v, quote
from oidc_doctor.authn.model import AnonymousConfig, ApiServerAuth, JWTAuthenticator, PrefixedClaimOrExpression
from oidc_doctor.jose import ASYMMETRIC_ALGS
from oidc_doctor.record import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One apimachinery ``field.Error``: path and body (``Invalid value: "x": detail``)."""

    path: str
    body: str

    def text(self, prefix: str = "") -> str:
        """``<prefix><path>: <body>``."""
        p = f"{prefix}{self.path}" if self.path else prefix.rstrip(".")
        return f"{p}: {self.body}"


def required(path: str, detail: str = "") -> FieldError:
    """``field.Required``."""
    return FieldError(path, "Required value" + (f": {detail}" if detail else ""))


def invalid(path: str, value: str, detail: str) -> FieldError:
    """``field.Invalid`` with a string value (printed ``%q``)."""
    return FieldError(path, f"Invalid value: {quote(value)}: {detail}")


def duplicate(path: str, value: str) -> FieldError:
    """``field.Duplicate``."""
    return FieldError(path, f"Duplicate value: {quote(value)}")


@dataclass
class Compiled:
    """The CEL programs of one authenticator (None where no expression is configured)."""

    username: Any = None
    groups: Any = None
    uid: Any = None
    extra: list[tuple[str, str, Any]] = field(default_factory=list)  # (key, expression, program)
    claim_rules: list[tuple[str, str, Any]] = field(default_factory=list)  # (expression, message, program)
    user_rules: list[tuple[str, str, Any]] = field(default_factory=list)


@dataclass
class Validated:
    """Validation outcome of one authenticator: field errors, the construction error, programs."""

    errors: list[FieldError] = field(default_factory=list)
    init_error: str | None = None  # oidc.New's error after validation (unsupported alg)
    compiled: Compiled = field(default_factory=Compiled)

    @property
    def ok(self) -> bool:
        """No error at all."""
        return not self.errors and self.init_error is None

    def message(self) -> str | None:
        """What ``oidc.New`` returns: the aggregated field errors, else the init error."""
        if self.errors:
            return aggregate([e.text() for e in self.errors])
        return self.init_error


# --- URLs (Go net/url.Parse, the parts that matter here) ------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*\Z")


@dataclass
class GoURL:
    """The pieces of a URL validation.go looks at."""

    scheme: str
    user: bool
    query: str
    fragment: str


def go_url_parse(raw: str) -> tuple[GoURL | None, str | None]:
    """Parse like Go's ``url.Parse``; returns (url, error text ``parse "<raw>": ...``)."""

    def err(why: str) -> tuple[None, str]:
        return None, f"parse {quote(raw)}: {why}"

    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        return err("net/url: invalid control character in URL")
    rest, _, frag = raw.partition("#")
    scheme = ""
    idx = rest.find(":")
    if idx == 0:
        return err("missing protocol scheme")
    if idx > 0 and _SCHEME.match(rest[:idx]):
        scheme, rest = rest[:idx].lower(), rest[idx + 1 :]
    rest, _, query = rest.partition("?")
    user = False
    if rest.startswith("//"):
        authority = rest[2:].split("/", 1)[0]
        if "@" in authority:
            user = True
            authority = authority.rsplit("@", 1)[1]
        host = authority
        if host.startswith("["):
            end = host.find("]")
            if end < 0:
                return err("missing ']' in host")
            port = host[end + 1 :]
        else:
            port = host[host.rfind(":") :] if ":" in host else ""
        if port and (not port.startswith(":") or not port[1:].isdigit()) and port != ":":
            return err(f"invalid port {quote(port)} after host")
    if re.search(r"%(?![0-9A-Fa-f]{2})", rest):
        bad = re.search(r"%.{0,2}", rest[rest.find("%") :])
        return err(f"invalid URL escape {quote(bad.group(0) if bad else '%')}")
    return GoURL(scheme=scheme, user=user, query=query, fragment=frag), None


def _validate_url(url: str, disallowed: list[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if url in disallowed:
        errs.append(
            invalid(path, url, f"URL must not overlap with disallowed issuers: {list_v(sorted(set(disallowed)))}")
        )
    u, perr = go_url_parse(url)
    if u is None:
        errs.append(invalid(path, url, perr or "invalid URL"))
        return errs
    if u.scheme != "https":
        errs.append(invalid(path, url, "URL scheme must be https"))
    if u.user:
        errs.append(invalid(path, url, "URL must not contain a username or password"))
    if u.query:
        errs.append(invalid(path, url, "URL must not contain a query"))
    if u.fragment:
        errs.append(invalid(path, url, "URL must not contain a fragment"))
    return errs


def _validate_ca(pem: str, path: str) -> list[FieldError]:
    if not pem:
        return []
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        certs = []
    if not certs:
        return [
            FieldError(path, 'Invalid value: "<omitted>": data does not contain any valid RSA or ECDSA certificates')
        ]
    return []


# Patterns of a rare check, compiled on first use (by re's cache), not on predict's start-up.
_DNS1123 = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
_HTTP_PATH = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+\Z"
_DNS1123_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def _domain_prefixed_path(path: str, key: str) -> list[FieldError]:
    # apimachinery util/validation IsDomainPrefixedPath.
    if not key:
        return [required(path)]
    segs = key.split("/", 1)
    if len(segs) != 2 or not segs[0] or not segs[1]:
        return [invalid(path, key, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    errs: list[FieldError] = []
    host = segs[0]
    if len(host) > 253:
        errs.append(invalid(path, host, "must be no more than 253 characters"))
    if not re.match(_DNS1123, host):
        errs.append(invalid(path, host, _DNS1123_MSG))
    if not re.match(_HTTP_PATH, segs[1]):
        errs.append(
            invalid(path, segs[1], "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')")
        )
    return errs


def _k8s_domain(key: str) -> bool:
    parts = key.split("/", 1)
    d = parts[0] if len(parts) == 2 else ""
    return d in ("kubernetes.io", "k8s.io") or d.endswith((".kubernetes.io", ".k8s.io"))


# --- the authenticator ------------------------------------------------------------------------


class _Compiler:
    """Compiles lazily: the CEL engine is imported only when an expression exists."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def compile(self, source: str, var: str, path: str, want_bool: bool) -> Any:
        from oidc_doctor.authn import cel

        try:
            prog = cel.compile_expression(source, var)
        except cel.CompileError as e:
            self.errors.append(invalid(path, source, str(e)))
            return None
        except cel.Unsupported as e:
            # kube-apiserver accepts it; only this engine cannot run it (never a config error).
            return cel.UnsupportedProgram(source, str(e), "bool" if want_bool else "dyn")
        if want_bool and prog.output != "bool":
            self.errors.append(invalid(path, source, "must evaluate to bool"))
            return None
        return prog


def validate_authenticator(
    a: JWTAuthenticator, disallowed: list[str], signing_algs: list[str] | None = None
) -> Validated:
    """``CompileAndValidateJWTAuthenticator`` then ``oidc.New``'s algorithm check."""
    out = Validated()
    errs = out.errors
    comp = _Compiler()
    iss = a.issuer
    # issuer
    if not iss.url:
        errs.append(required("issuer.url"))
    else:
        errs.extend(_validate_url(iss.url, disallowed, "issuer.url"))
    if iss.discovery_url:
        if iss.url and iss.url.rstrip("/") == iss.discovery_url.rstrip("/"):
            errs.append(invalid("issuer.discoveryURL", iss.discovery_url, "discoveryURL must be different from URL"))
        errs.extend(_validate_url(iss.discovery_url, [], "issuer.discoveryURL"))
    if not iss.audiences:
        errs.append(required("issuer.audiences", "at least one issuer.audiences is required"))
    else:
        seen: set[str] = set()
        for i, aud in enumerate(iss.audiences):
            if not aud:
                errs.append(required(f"issuer.audiences[{i}]"))
            if aud in seen:
                errs.append(duplicate(f"issuer.audiences[{i}]", aud))
            seen.add(aud)
        if len(iss.audiences) > 1 and iss.audience_match_policy != "MatchAny":
            errs.append(
                invalid(
                    "issuer.audienceMatchPolicy",
                    iss.audience_match_policy,
                    "audienceMatchPolicy must be MatchAny for multiple audiences",
                )
            )
        if len(iss.audiences) == 1 and iss.audience_match_policy not in ("", "MatchAny"):
            errs.append(
                invalid(
                    "issuer.audienceMatchPolicy",
                    iss.audience_match_policy,
                    "audienceMatchPolicy must be empty or MatchAny for single audience",
                )
            )
    errs.extend(_validate_ca(iss.certificate_authority, "issuer.certificateAuthority"))
    if iss.egress_selector_type and iss.egress_selector_type not in ("controlplane", "cluster"):
        errs.append(
            invalid(
                "issuer.egressSelectorType",
                iss.egress_selector_type,
                "egress selector must be either controlplane or cluster",
            )
        )

    uses_email_verified = False
    # claimValidationRules
    seen_claims: set[str] = set()
    seen_exprs: set[str] = set()
    for i, r in enumerate(a.claim_validation_rules):
        p = f"claimValidationRules[{i}]"
        if r.claim and r.expression:
            errs.append(invalid(p, r.claim, "claim and expression can't both be set"))
        elif not r.claim and not r.expression:
            errs.append(required(p, "claim or expression is required"))
        elif r.claim:
            if r.message:
                errs.append(invalid(f"{p}.message", r.message, "may not be specified when claim is set"))
            if r.claim in seen_claims:
                errs.append(duplicate(f"{p}.claim", r.claim))
            seen_claims.add(r.claim)
        else:
            if r.required_value:
                errs.append(
                    invalid(f"{p}.requiredValue", r.required_value, "may not be specified when expression is set")
                )
            if r.expression in seen_exprs:
                errs.append(duplicate(f"{p}.expression", r.expression))
                continue
            seen_exprs.add(r.expression)
            comp.errors = []
            prog = comp.compile(r.expression, "claims", f"{p}.expression", want_bool=True)
            errs.extend(comp.errors)
            if prog is not None:
                out.compiled.claim_rules.append((r.expression, r.message, prog))
                uses_email_verified = uses_email_verified or _email_verified(r.expression)

    # claimMappings
    m = a.claim_mappings
    uses_email = False
    prog = _prefixed(m.username, "claimMappings.username", True, comp, errs)
    if prog is not None:
        out.compiled.username = prog
        uses_email = _email(m.username.expression)
        uses_email_verified = uses_email_verified or _email_verified(m.username.expression)
    prog = _prefixed(m.groups, "claimMappings.groups", False, comp, errs)
    if prog is not None:
        out.compiled.groups = prog
    if m.uid.claim and m.uid.expression:
        errs.append(invalid("claimMappings.uid", "", "claim and expression can't both be set"))
    elif m.uid.expression:
        comp.errors = []
        prog = comp.compile(m.uid.expression, "claims", "claimMappings.uid.expression", want_bool=False)
        errs.extend(comp.errors)
        out.compiled.uid = prog
    seen_keys: set[str] = set()
    for i, e in enumerate(m.extra):
        p = f"claimMappings.extra[{i}]"
        errs.extend(_domain_prefixed_path(f"{p}.key", e.key))
        if e.key != e.key.lower():
            errs.append(invalid(f"{p}.key", e.key, "must be lowercase"))
        if _k8s_domain(e.key):
            errs.append(
                invalid(f"{p}.key", e.key, "k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use")
            )
        if e.key in seen_keys:
            errs.append(duplicate(f"{p}.key", e.key))
            continue
        seen_keys.add(e.key)
        if not e.value_expression:
            errs.append(required(f"{p}.valueExpression"))
            continue
        comp.errors = []
        prog = comp.compile(e.value_expression, "claims", f"{p}.valueExpression", want_bool=False)
        errs.extend(comp.errors)
        if prog is not None:
            out.compiled.extra.append((e.key, e.value_expression, prog))
            uses_email_verified = uses_email_verified or _email_verified(e.value_expression)
    if uses_email and not uses_email_verified:
        errs.append(
            invalid(
                "claimMappings.username.expression",
                m.username.expression,
                "claims.email_verified must be used in claimMappings.username.expression or "
                "claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when "
                "claims.email is used in claimMappings.username.expression",
            )
        )

    # userValidationRules
    seen_exprs = set()
    for i, u in enumerate(a.user_validation_rules):
        p = f"userValidationRules[{i}]"
        if not u.expression:
            errs.append(required(f"{p}.expression"))
            continue
        if u.expression in seen_exprs:
            errs.append(duplicate(f"{p}.expression", u.expression))
            continue
        seen_exprs.add(u.expression)
        comp.errors = []
        prog = comp.compile(u.expression, "user", f"{p}.expression", want_bool=True)
        errs.extend(comp.errors)
        if prog is not None:
            out.compiled.user_rules.append((u.expression, u.message, prog))

    if not errs:
        # oidc.New: an empty list means RS256; anything outside the nine is refused.
        for alg in signing_algs or ["RS256"]:
            if alg not in ASYMMETRIC_ALGS:
                out.init_error = f"oidc: unsupported signing alg: {quote(alg)}"
                break
    return out


def _email(expr: str) -> bool:
    from oidc_doctor.authn import cel

    return cel.uses_email(expr)


def _email_verified(expr: str) -> bool:
    from oidc_doctor.authn import cel

    return cel.uses_email_verified(expr)


def _prefixed(m: PrefixedClaimOrExpression, path: str, needed: bool, comp: _Compiler, errs: list[FieldError]) -> Any:
    if m.expression and m.claim:
        errs.append(invalid(path, "", "claim and expression can't both be set"))
    elif not m.expression and not m.claim and needed:
        errs.append(required(path, "claim or expression is required"))
    elif m.expression:
        if m.prefix is not None:
            errs.append(invalid(f"{path}.prefix", m.prefix, "may not be specified when expression is set"))
        comp.errors = []
        prog = comp.compile(m.expression, "claims", f"{path}.expression", want_bool=False)
        errs.extend(comp.errors)
        return prog
    elif m.claim and m.prefix is None:
        errs.append(
            required(
                f"{path}.prefix",
                "prefix is required when claim is set. It can be set to an empty string to disable prefixing",
            )
        )
    return None


@dataclass
class ConfigVerdict:
    """Validation of a whole settings source, per authenticator and as kube-apiserver says it."""

    per_authenticator: list[Validated]
    #: The message the API server would refuse to start with, or None when it starts.
    startup_error: str | None


def validate_configuration(
    authenticators: list[JWTAuthenticator],
    disallowed: list[str],
    anonymous: AnonymousConfig | None = None,
    per: list[Validated] | None = None,
) -> list[str]:
    """``ValidateAuthenticationConfiguration``: every field error of a configuration, as text.

    k8s.io/apiserver ``pkg/apis/apiserver/validation/validation.go``: more than 64
    authenticators is the only error then; otherwise each authenticator's errors under
    ``jwt[i].``, duplicate issuer and discovery URLs, and an ``anonymous`` section with
    conditions but without ``enabled: true``. ``per`` reuses validations already made.
    """
    if len(authenticators) > 64:
        return [FieldError("jwt", f"Too many: {len(authenticators)}: must have at most 64 items").text()]
    out: list[str] = []
    seen_urls: set[str] = set()
    seen_disc: set[str] = set()
    for i, a in enumerate(authenticators):
        v = per[i] if per is not None else validate_authenticator(a, disallowed)
        out.extend(e.text(f"jwt[{i}].") for e in v.errors)
        if a.issuer.url in seen_urls:
            out.append(duplicate(f"jwt[{i}].issuer.url", a.issuer.url).text())
        seen_urls.add(a.issuer.url)
        if a.issuer.discovery_url:
            if a.issuer.discovery_url in seen_disc:
                out.append(duplicate(f"jwt[{i}].issuer.discoveryURL", a.issuer.discovery_url).text())
            seen_disc.add(a.issuer.discovery_url)
    if anonymous is not None and not anonymous.enabled and anonymous.condition_paths:
        # field.Invalid with a struct slice: apimachinery prints it with %#v.
        conds = ", ".join(f"apiserver.AnonymousAuthCondition{{Path:{quote(p)}}}" for p in anonymous.condition_paths)
        out.append(
            FieldError(
                "anonymous.conditions",
                f"Invalid value: []apiserver.AnonymousAuthCondition{{{conds}}}: "
                "enabled should be set to true when conditions are defined",
            ).text()
        )
    return out


def validate_settings(auth: ApiServerAuth) -> ConfigVerdict:
    """Validate every authenticator; build the start-up message kube-apiserver would print."""
    from oidc_doctor.authn import version

    per = [validate_authenticator(a, auth.disallowed_issuers, auth.signing_algs) for a in auth.authenticators]
    startup = [*version.legacy_flag_errors(auth)[0], *version.startup_errors(auth)]
    if startup:
        return ConfigVerdict(per, aggregate(startup))
    # The service-account issuers reach oidc.New, not this file-level check (below).
    file_errors = [
        e
        for e in validate_configuration(auth.authenticators, [], auth.anonymous, per)
        if "disallowed issuers" not in e
    ]
    if file_errors:
        return ConfigVerdict(per, "invalid authentication configuration: " + aggregate(file_errors))
    for v in per:
        # Errors only oidc.New sees (service-account issuers are passed there, unsupported algs).
        msg = v.message()
        if msg:
            return ConfigVerdict(per, msg)
    return ConfigVerdict(per, None)
