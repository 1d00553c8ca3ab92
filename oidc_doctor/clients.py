"""One model of an OIDC client that logs users in and sends their token to the API server.

oauth2-proxy (alone or inside Kubeapps), Headlamp's own login and kubelogin all do the same
thing: ask an identity provider (issuer) for tokens as one OAuth client (client id), with some
scopes, and send one of the tokens (the id_token, or the access token) to kube-apiserver. The
API server then takes the token only when its ``iss`` is exactly a configured issuer and its
``aud`` holds an accepted audience, and it maps groups only from a claim the scopes asked for.
:class:`OidcClient` holds those facts, each as a :class:`Setting` that says where it was set,
and *where the user sets options* (:data:`Where`): container args and env, an oauth2-proxy
config file or alpha config, Helm values, kubeconfig exec args. :func:`how_to_set` is the one
place that writes "how to set this option" in those terms, and :func:`shell_command` the one
place that quotes a command for the shell.

Records here are frozen and pure; the adapters in ``oidc_doctor.proxy.adapters`` build them from
the evidence, and ``oidc_doctor.checks.clients`` judges them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from oidc_doctor.gosyntax import go_duration_str


class ClientKind(StrEnum):
    """Which program the client is."""

    OAUTH2_PROXY = "oauth2-proxy"
    HEADLAMP = "headlamp"
    KUBELOGIN = "kubelogin"
    KUBECTL_OIDC = "kubectl-oidc"  # kubectl's own oidc auth-provider (client-go plugin/pkg/client/auth/oidc)


class TokenKind(StrEnum):
    """Which token the client puts in ``Authorization: Bearer`` towards the API server."""

    ID_TOKEN = "id_token"
    ACCESS_TOKEN = "access_token"


class Option(StrEnum):
    """The options every client has, whatever the program calls them."""

    ISSUER = "issuer"
    CLIENT_ID = "client-id"
    SCOPES = "scopes"
    TOKEN = "token"  # the setting that chooses the access token over the id_token


def _frozen(record: Any, *names: str) -> None:
    """Make the named mapping fields of a frozen dataclass read-only copies."""
    for name in names:
        object.__setattr__(record, name, MappingProxyType(dict(getattr(record, name))))


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return go_duration_str(value)  # durations are kept in seconds
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Setting:
    """One option's value and where it came from.

    ``source`` is ``flag``, ``env``, ``env-secret`` (the value lives in a Secret: named, never
    read), ``config-file``, ``alpha-config``, ``helm-values``, ``default`` or ``unknown`` (a
    source the tool could not see may set it). ``value`` is parsed (bool, str, list[str] or
    seconds); ``raw`` is the text as written when it differs. ``dash`` and ``program`` spell
    the option the way its program does (``--client-id`` for oauth2-proxy, ``-oidc-scopes`` for
    Headlamp); ``unset_by`` names the sources that were searched when the default applies.
    """

    flag: str
    value: Any
    source: str
    ref: str
    raw: str | None = None
    dash: str = "--"
    program: str = "oauth2-proxy"
    unset_by: str = "flag, env or config file"

    @property
    def secret(self) -> bool:
        """Whether the option holds a credential (client/cookie secret, password, token)."""
        if isinstance(self.value, bool) or self.flag.endswith("-file"):
            return False  # `--pass-access-token`, `-oidc-use-access-token`: switches, not secrets
        from oidc_doctor.secrets import looks_secret

        return looks_secret(self.flag) or "jwt-key" in self.flag

    @property
    def shown(self) -> str:
        """The value as written, or ``<redacted>`` for credentials (also inside URLs and lists)."""
        from oidc_doctor.secrets import REDACTED, mask_text

        if self.secret and self.value not in (None, ""):
            return REDACTED
        return mask_text(self.raw if self.raw is not None else _show(self.value))

    @property
    def known(self) -> bool:
        """Whether the value itself is known (not hidden in a Secret or an unseen file)."""
        return self.source not in ("env-secret", "unknown")

    @property
    def spelled(self) -> str:
        """``--client-id`` / ``-oidc-client-id``."""
        return f"{self.dash}{self.flag}"

    def describe(self) -> str:
        """``--cookie-refresh=2m (flag)``; where it was set is ``ref``."""
        if not self.known:
            return f"{self.spelled}: value not visible ({self.source})"
        if self.source == "default":
            return f"{self.spelled} not set by {self.unset_by}: {self.program}'s default {self.shown}"
        return f"{self.spelled}={self.shown} ({self.source})"


# --- where the user sets options ----------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    """Options set on a container: args (Go flag syntax), env, and files the program reads.

    ``env_names`` maps an option to its environment variable; ``file_keys`` to its key in the
    ``--config`` TOML file; ``alpha_paths`` to its path in oauth2-proxy's alpha config (the only
    place those options may be set once ``--alpha-config`` is given). ``files`` describes the
    files by source (``config-file``, ``alpha-config``) for the user to find them.
    """

    workload: str  # "deploy kubeapps/kubeapps"
    container: str
    env_names: Mapping[str, str] = field(default_factory=dict)
    file_keys: Mapping[str, str] = field(default_factory=dict)
    alpha_paths: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _frozen(self, "env_names", "file_keys", "alpha_paths", "files")


@dataclass(frozen=True)
class HelmValues:
    """Options set through a Helm chart's values, falling back to the container for the rest.

    ``paths`` maps an option to the values key the chart renders it from. ``flags_path`` is the
    values list the chart appends to the program's flags (``authProxy.extraFlags``) and
    ``flags`` its current items; ``flags_replace_defaults`` says that list replaces every flag
    the chart renders (Kubeapps' ``authProxy.args``). ``values_seen`` is False when the release
    record was not in the evidence (so ``flags`` may be incomplete).
    """

    release: str
    namespace: str
    chart: str  # "headlamp/headlamp", "bitnami/kubeapps"
    version: str | None
    container: Container
    paths: Mapping[str, str] = field(default_factory=dict)
    flags_path: str | None = None
    flags: tuple[str, ...] = ()
    flags_replace_defaults: bool = False
    values_seen: bool = True

    def __post_init__(self) -> None:
        _frozen(self, "paths")


@dataclass(frozen=True)
class KubeconfigExec:
    """Options set in the exec plugin args of a kubeconfig user (kubelogin)."""

    user: str
    file: str


@dataclass(frozen=True)
class KubeconfigAuthProvider:
    """Options set in the ``auth-provider`` config of a kubeconfig user (kubectl's oidc plugin)."""

    user: str
    file: str


Where = Container | HelmValues | KubeconfigExec | KubeconfigAuthProvider


@dataclass(frozen=True)
class OidcClient:
    """One OIDC client of the API server and its settings.

    ``settings`` holds every :class:`Option` (a default or ``unknown`` setting when nothing sets
    it). ``scopes`` are the scopes it requests (its default when unset) or None when not
    visible; ``scope_join`` is how the program writes a list of them (" " for oauth2-proxy,
    "," for Headlamp, "" for kubelogin's repeated ``--oidc-extra-scope``). ``token`` is the token
    it sends (None: not visible). ``groups_without_scope`` is True for providers that put groups
    in tokens whatever the scopes (Entra ID, Google...). ``provider`` is oauth2-proxy's
    ``--provider`` (empty for other programs).
    """

    kind: ClientKind
    ref: str  # "deploy kubeapps/kubeapps container auth-proxy", "kubeconfig user `oidc` (kubelogin)"
    source: str  # evidence source of its settings: proxy | dashboard | kubeconfig
    settings: Mapping[Option, Setting]
    where: Where
    scopes: tuple[str, ...] | None = None
    scope_join: str = " "
    token: TokenKind | None = TokenKind.ID_TOKEN
    extra_audiences: tuple[str, ...] = ()
    provider: str = ""
    groups_without_scope: bool = False
    builtin_issuer: bool = False  # an oauth2-proxy provider with a fixed issuer (google, github, ...)
    product: str = ""  # what users call it when it differs from the program (Kubeapps' auth proxy)

    def __post_init__(self) -> None:
        _frozen(self, "settings")

    def get(self, option: Option) -> Setting:
        """The setting of one option."""
        return self.settings[option]

    @property
    def label(self) -> str:
        """The name users know it by: ``oauth2-proxy``, ``Kubeapps``, ``Headlamp``, ``kubelogin``."""
        return self.product or {ClientKind.HEADLAMP: "Headlamp"}.get(self.kind, str(self.kind))

    def shown_scopes(self) -> str:
        """The scopes it requests, written the program's way (comma-separated for kubelogin)."""
        return (self.scope_join or ",").join(self.scopes or ())

    def how_to_set(self, option: Option, value: str | bool) -> str:
        """How to set one of its options, in the user's terms."""
        return how_to_set(self.where, self.get(option), value)

    def how_to_request(self, scope: str) -> str:
        """How to add one scope to what it requests."""
        s = self.get(Option.SCOPES)
        if self.scope_join == "":  # a repeated list flag: add one more
            return how_to_set(self.where, s, scope, add=True)
        # Setting the option replaces the program's default list: keep what it requests now
        # (oauth2-proxy with no default scope for its provider: `openid` plus the scope).
        scopes = list(self.scopes or (["openid"] if self.kind is ClientKind.OAUTH2_PROXY else []))
        return how_to_set(self.where, s, self.scope_join.join([*scopes, scope]))


# --- how to set an option -------------------------------------------------------------------------


def shell_command(words: Sequence[str | tuple[str, str]]) -> str:
    """A command line the user can paste (:func:`oidc_doctor.shell.join`: quoted, and a value that
    cannot be shown safely becomes a placeholder)."""
    from oidc_doctor.shell import join

    return join(words)


def helm_upgrade(h: HelmValues, *args: str) -> str:
    """``helm upgrade`` of the release with its chart version, keeping the deployed values.

    ``args`` are unquoted argument words (e.g. :func:`oidc_doctor.shell.helm_set`'s).
    """
    words: list[str | tuple[str, str]] = ["helm", "upgrade", (h.release, "release"), h.chart]
    words += ["-n", (h.namespace, "namespace")]
    if h.version:
        words += ["--version", (h.version, "chart version")]
    return shell_command([*words, "--reuse-values", *args])


def _text(value: str | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else value


def _toml(value: str | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else json.dumps(value)


def add_helm_flag(h: HelmValues, flag: str) -> str:
    """How to append one flag through the chart's flags list (``--set-json`` replaces the list).

    The flags already in the list are copied into the command, credentials excepted: those become
    placeholders, with a note naming them (a fix never copies a secret).
    """
    from oidc_doctor.shell import PLACEHOLDER_NOTE, helm_set, without_secrets

    path = h.flags_path or ""
    name = flag.split("=", 1)[0]
    kept, held = without_secrets([a for a in h.flags if a != name and not a.startswith(name + "=")])
    cmd = helm_upgrade(h, *helm_set(path, [*kept, flag]))
    note = f" ({PLACEHOLDER_NOTE}: {held})" if held else ""
    if h.flags_replace_defaults:
        return f"`{path}` replaces the chart's default flags, so add it there: {cmd}{note}"
    fix = f"add `{flag}` to `{path}`: {cmd}{note}"
    if not h.values_seen:
        get_values = shell_command(["helm", "get", "values", (h.release, "release"), "-n", (h.namespace, "namespace")])
        fix += (
            f" (the Helm release record was not in the evidence: first add the flags already in `{path}`, see "
            f"`{get_values}`)"
        )
    return fix


def how_to_set(where: Where, s: Setting, value: str | bool, add: bool = False) -> str:
    """How to give option ``s`` the value ``value``, in the terms of where the user sets it.

    ``add`` appends to a repeatable list flag instead of replacing it. The answer follows where
    the option is set now (a Helm value, an env variable, a config or alpha config file, a
    Secret) so the change lands where it takes effect; otherwise it sets the flag.
    """
    text = _text(value)
    flag_word = f"{s.spelled}={text}"
    if isinstance(where, KubeconfigAuthProvider):
        place = f"the auth-provider config of user `{where.user}` ({where.file})"
        if s.flag == "extra-scopes" and add:
            return f"add `{text}` to `extra-scopes` (comma-separated) in {place}, then log in again"
        return f"set `{s.flag}: {text}` in {place}, then log in again (the id-token there was issued before)"
    if isinstance(where, KubeconfigExec):
        place = f"the exec args of user `{where.user}` ({where.file})"
        if value is False:
            return f"remove `{s.spelled}` from {place}"
        return f"{'add' if add else 'set'} `{flag_word}` {'to' if add else 'in'} {place}"
    if isinstance(where, HelmValues):
        path = where.paths.get(s.flag)
        if path is not None:
            from oidc_doctor.shell import helm_set

            cmd = helm_upgrade(where, *helm_set(path, value))
            return f"set Helm value `{path}: {text}` (release {where.namespace}/{where.release}): {cmd}"
        if where.flags_path is not None:
            return f"{where.chart.rsplit('/', 1)[-1].capitalize()}: " + add_helm_flag(where, flag_word)
        where = where.container
    c = where
    on = f"container {c.container} of {c.workload}"
    if s.source == "alpha-config" or (s.flag in c.alpha_paths and "alpha-config" in c.files):
        return (
            f"set `{c.alpha_paths.get(s.flag, s.flag)}: {text}` in the alpha config {c.files.get('alpha-config', '')}"
        )
    if s.source == "config-file" and s.flag in c.file_keys:
        return f"set `{c.file_keys[s.flag]} = {_toml(value)}` in the --config file {c.files.get('config-file', '')}"
    if s.source == "env" and s.flag in c.env_names:
        return f"set env `{c.env_names[s.flag]}={text}` on {on}"
    if s.source == "env-secret":
        return f"set `{text}` in the Secret it is read from ({s.ref}), or set `{flag_word}` on {on}"
    return f"set `{flag_word}` on {on}"
