"""kube-apiserver command lines: parsing, and the legacy ``--oidc-*`` translation.

The translation follows kubernetes ``pkg/kubeapiserver/options/authentication.go``
(``ToAuthenticationConfig`` and ``validateOIDCOptions``): the flags build one
``JWTAuthenticator`` only when both the issuer URL and the client id are set; the username
prefix defaults to ``<issuer-url>#`` unless the claim is ``email``; ``-`` means no prefix; a
groups mapping exists only with a groups claim; each ``--oidc-required-claim`` becomes a
claim rule; ``--oidc-signing-algs`` defaults to RS256. With ``--authentication-config`` every
asymmetric algorithm is allowed, and any ``--oidc-*`` flag is a start-up error.
"""

from __future__ import annotations

from oidc_doctor.authn.model import (
    SOURCE_AUTH_CONFIG,
    SOURCE_FLAGS,
    ApiServerAuth,
    ClaimValidationRule,
    JWTAuthenticator,
    PrefixedClaimOrExpression,
    all_signing_algs,
)
from oidc_doctor.record import dataclass

#: Boolean flags of kube-apiserver that may appear bare (``--flag`` followed by another flag
#: or by a positional word); a non-boolean flag in ``--flag value`` form takes the next word.
_BOOL_FLAGS = frozenset(
    (
        "allow-privileged",
        "anonymous-auth",
        "enable-bootstrap-token-auth",
        "enable-aggregator-routing",
        "enable-garbage-collector",
        "enable-logs-handler",
        "enable-priority-and-fairness",
        "profiling",
        "service-account-lookup",
        "service-account-extend-token-expiration",
        "contention-profiling",
        "logtostderr",
        "alsologtostderr",
        "v",
        "insecure-skip-tls-verify",
        "delete-collection-workers",
        "watch-cache",
    )
)

OIDC_FLAGS = (
    "oidc-issuer-url",
    "oidc-client-id",
    "oidc-ca-file",
    "oidc-username-claim",
    "oidc-username-prefix",
    "oidc-groups-claim",
    "oidc-groups-prefix",
    "oidc-signing-algs",
    "oidc-required-claim",
)

MUTUALLY_EXCLUSIVE = "authentication-config file and oidc-* flags are mutually exclusive"
TOGETHER = "oidc-issuer-url and oidc-client-id must be specified together when any oidc-* flags are set"


@dataclass
class Flag:
    """One flag occurrence: name (without dashes), value, and where it was read."""

    name: str
    value: str
    ref: str


def split_command(words: list[str]) -> list[str]:
    """Undo a shell wrapper: ``["sh", "-c", "kube-apiserver --a=b ..."]`` -> the words inside."""
    out: list[str] = []
    for w in words:
        if " --" in w and ("kube-apiserver" in w or w.lstrip().startswith("--")):
            import shlex  # here: most flags lists need no shell splitting

            try:
                out.extend(shlex.split(w))
            except ValueError:
                out.append(w)
        else:
            out.append(w)
    return out


def parse_args(words: list[str], ref: str) -> list[Flag]:
    """Flags of a command line, in order; both ``--flag=value`` and ``--flag value`` forms."""
    flags: list[Flag] = []
    words = split_command(words)
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if not w.startswith("--") or w == "--":
            continue
        body = w[2:]
        if "=" in body:
            name, value = body.split("=", 1)
        else:
            name = body
            if name not in _BOOL_FLAGS and i < len(words) and not words[i].startswith("--"):
                value = words[i]
                i += 1
            else:
                value = "true"
        flags.append(Flag(name, value, f"{ref} --{name}"))
    return flags


def _last(flags: list[Flag], name: str) -> Flag | None:
    found = [f for f in flags if f.name == name]
    return found[-1] if found else None


def _slice(flags: list[Flag], name: str) -> list[Flag]:
    return [f for f in flags if f.name == name]


def translate(flags: list[Flag], ref: str, source: str = SOURCE_FLAGS) -> ApiServerAuth:
    """Build the API server's JWT settings from its flags, as kube-apiserver does.

    With ``--authentication-config`` the authenticators live in that file: the caller links
    it (see :func:`oidc_doctor.authn.sources.link_auth_config`).
    """
    auth = ApiServerAuth(source=source, ref=ref)
    for f in flags:
        auth.flags.setdefault(f.name, []).append((f.value, f.ref))
    auth.disallowed_issuers = [f.value for f in _slice(flags, "service-account-issuer")]
    oidc_set = [f for f in flags if f.name in OIDC_FLAGS]
    config_file = _last(flags, "authentication-config")
    if config_file is not None and config_file.value:
        auth.source = SOURCE_AUTH_CONFIG
        auth.auth_config_path = config_file.value
        auth.signing_algs = all_signing_algs()
        auth.signing_algs_ref = f"{config_file.ref} (all asymmetric algorithms are allowed)"
        if oidc_set:
            auth.startup_errors.append(MUTUALLY_EXCLUSIVE)
        return auth

    issuer = _last(flags, "oidc-issuer-url")
    client = _last(flags, "oidc-client-id")
    issuer_url = issuer.value if issuer else ""
    client_id = client.value if client else ""
    if oidc_set and (not issuer_url or not client_id):
        auth.startup_errors.append(TOGETHER)

    algs = _slice(flags, "oidc-signing-algs")
    if algs:
        # pflag StringSlice: the first occurrence replaces the default, later ones append.
        auth.signing_algs = [a for f in algs for a in f.value.split(",") if a != ""]
        auth.signing_algs_ref = algs[-1].ref
    else:
        auth.signing_algs = ["RS256"]
        auth.signing_algs_ref = f"{ref} (--oidc-signing-algs default RS256)"

    if not (issuer_url and client_id):
        return auth

    uclaim_f = _last(flags, "oidc-username-claim")
    uprefix_f = _last(flags, "oidc-username-prefix")
    username_claim = uclaim_f.value if uclaim_f else "sub"
    flag_prefix = uprefix_f.value if uprefix_f else ""
    prefix = flag_prefix
    if flag_prefix == "" and username_claim != "email":
        # Legacy behaviour (kubernetes issue 31380): prefix every claim but email with the issuer.
        prefix = issuer_url + "#"
    if flag_prefix == "-":
        prefix = ""

    a = JWTAuthenticator(ref=ref)
    a.issuer.url = issuer_url
    a.issuer.audiences = [client_id]
    a.claim_mappings.username = PrefixedClaimOrExpression(claim=username_claim, prefix=prefix)
    a.origins["issuer.url"] = issuer.ref if issuer else ref
    a.origins["issuer.audiences"] = client.ref if client else ref
    a.origins["claimMappings.username.claim"] = uclaim_f.ref if uclaim_f else f"{ref} (default sub)"
    if uprefix_f is not None and flag_prefix not in ("", "-"):
        a.origins["claimMappings.username.prefix"] = uprefix_f.ref
    elif flag_prefix == "-":
        a.origins["claimMappings.username.prefix"] = f"{uprefix_f.ref if uprefix_f else ref} ('-': no prefix)"
    elif username_claim == "email":
        a.origins["claimMappings.username.prefix"] = f"{ref} (claim email: no default prefix)"
    else:
        a.origins["claimMappings.username.prefix"] = f"{ref} (default prefix <issuer-url>#)"

    gclaim_f = _last(flags, "oidc-groups-claim")
    gprefix_f = _last(flags, "oidc-groups-prefix")
    if gclaim_f is not None and gclaim_f.value:
        a.claim_mappings.groups = PrefixedClaimOrExpression(
            claim=gclaim_f.value, prefix=gprefix_f.value if gprefix_f else ""
        )
        a.origins["claimMappings.groups.claim"] = gclaim_f.ref
        a.origins["claimMappings.groups.prefix"] = gprefix_f.ref if gprefix_f else f"{ref} (no groups prefix)"

    ca = _last(flags, "oidc-ca-file")
    if ca is not None and ca.value:
        a.origins["issuer.certificateAuthority"] = ca.ref

    required: dict[str, tuple[str, str]] = {}
    for f in _slice(flags, "oidc-required-claim"):
        # cliflag.MapStringStringNoSplit: one key=value per occurrence, not split on commas.
        if "=" in f.value:
            k, v = f.value.split("=", 1)
            required[k.strip()] = (v.strip(), f.ref)
        else:
            auth.startup_errors.append(
                f'invalid argument "{f.value}" for "--oidc-required-claim" flag: malformed pair, expect string=string'
            )
    for i, (k, (v, where)) in enumerate(required.items()):
        a.claim_validation_rules.append(ClaimValidationRule(claim=k, required_value=v))
        a.origins[f"claimValidationRules[{i}]"] = where
    auth.authenticators.append(a)
    return auth
