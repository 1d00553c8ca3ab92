"""The session timeline: the moments that decide when a user is logged out, on one time axis.

A pure function of the facts (and, for Headlamp and kubelogin, of the settings in the evidence):
every token's ``iat``/``nbf``/``exp``/``auth_time`` (by fingerprint), a refresh token's expiry
where one is in the evidence, what each OIDC client does to refresh the session, the log
failures grouped by cause (first and last, with their count), the judged moment, and the
predicted logout with its reason. Renderers draw it; nothing here prints.

What each client does, read in its source:
- oauth2-proxy (``pkg/middleware/stored_session.go``): a session older than ``--cookie-refresh``
  is refreshed on the next request (``refreshSessionIfNeeded``); ``0`` (the default) never
  refreshes, so the id_token it forwards expires at its ``exp`` and the API server answers 401
  from then on. A provider without ``RefreshSession`` (``oidc_doctor.proxy.providers``) only
  re-validates the session, which ends when the token expires. The session cookie is signed with
  the session's ``CreatedAt`` and refused ``--cookie-expire`` after it
  (``pkg/sessions/cookie/session_store.go``); a refresh renews ``CreatedAt`` and rewrites it.
- Headlamp's own OIDC login (``backend/pkg/auth``): the refresh middleware renews the token with
  the refresh token on a cluster request when it is within ``JWTExpirationTTL`` (10 s) of
  ``exp``; releases with a reported broken refresh (``checks.clients.HEADLAMP_REFRESH_BROKEN``)
  end the session at ``exp``.
- kubelogin (int128/kubelogin ``pkg/jwt/token.go`` ``IsExpired``): the cached id_token is used
  until ``exp``; the next kubectl call after it refreshes with the refresh token, and opens the
  browser for a new login when that fails.
"""

from __future__ import annotations

from oidc_doctor.checks.base import Context
from oidc_doctor.dates import datetime, timedelta
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import TimelineEntry, TimelineKind
from oidc_doctor.text import clean, human_duration, shift

#: Headlamp refreshes a token this close to its ``exp`` (backend/pkg/auth ``JWTExpirationTTL``).
HEADLAMP_REFRESH_BEFORE = timedelta(seconds=10)

#: Order of kinds at the same moment: what happens before what it causes.
_KIND_ORDER = {
    k: i
    for i, k in enumerate(
        (
            TimelineKind.TOKEN_AUTH_TIME,
            TimelineKind.TOKEN_IAT,
            TimelineKind.TOKEN_NBF,
            TimelineKind.NOW,
            TimelineKind.COOKIE_REFRESH,
            TimelineKind.REFRESH,
            TimelineKind.LOG_FAILURE,
            TimelineKind.TOKEN_EXP,
            TimelineKind.COOKIE_EXPIRE,
            TimelineKind.SESSION_EXPIRE,
            TimelineKind.PREDICTED_LOGOUT,
        )
    )
}

_TIME_KINDS = {
    "iat": TimelineKind.TOKEN_IAT,
    "nbf": TimelineKind.TOKEN_NBF,
    "exp": TimelineKind.TOKEN_EXP,
    "auth_time": TimelineKind.TOKEN_AUTH_TIME,
}

_LOG_NAMES = {
    str(Kind.APISERVER_LOG): "API server",
    str(Kind.PROXY_LOG): "oauth2-proxy",
    str(Kind.INGRESS_LOG): "ingress",
}

_NOW_SOURCES = {
    "flag": "--now",
    "log": "the newest log line",
    "bundle": "the bundle's collection time",
    "token": "the newest iat of the tokens",
    "clock": "the current time",
}


def token_role(claims: dict[str, object] | None) -> str:
    """What a token is, from its claims: ``refresh token`` (Keycloak's ``typ``), ``access token``, ``id_token``."""
    if not claims:
        return "token"
    typ = claims.get("typ")
    if isinstance(typ, str):
        if typ.lower() in ("refresh", "offline"):
            return "refresh token"
        if typ.lower() == "bearer":
            return "access token"
        if typ.lower() == "id":
            return "id_token"
    if "nonce" in claims or "at_hash" in claims:
        return "id_token"
    return "token"


def _token_entries(ctx: Context) -> list[TimelineEntry]:
    out: list[TimelineEntry] = []
    for t in ctx.facts.tokens:
        role = token_role(t.claims)
        for name, tc in t.times.items():
            if tc.at is None or name not in _TIME_KINDS:
                continue
            kind = _TIME_KINDS[name]
            what = f"{role} {name}"
            if role == "refresh token" and name == "exp":
                kind = TimelineKind.SESSION_EXPIRE
                what = "refresh token exp: the identity provider's session ends"
            elif name == "exp" and t.lifetime_s is not None:
                what += f" (lifetime {human_duration(t.lifetime_s)})"
            out.append(TimelineEntry(tc.at, kind, what, clean(t.label)))
    return out


def _log_entries(ctx: Context) -> list[TimelineEntry]:
    logs = ctx.facts.logs
    if logs is None:
        return []
    out: list[TimelineEntry] = []
    for kind, summary in logs.summary.items():
        who = _LOG_NAMES.get(kind, kind)
        for code, st in summary.by_cause.items():
            if st.first is None or st.last is None or code is None:
                continue
            status = " 401" if st.failure == "unauthorized" else " logged out" if st.failure == "logged-out" else ""
            label = f"{who}{status} ({code})"
            first_ref = st.example.ref if st.example is not None and st.example.time == st.first else None
            last_ref = st.latest.ref if st.latest is not None else None
            if st.count == 1 or st.first == st.last:
                what = label if st.count == 1 else f"{label} x{st.count}"
                out.append(TimelineEntry(st.first, TimelineKind.LOG_FAILURE, what, first_ref or last_ref, code))
                continue
            out.append(
                TimelineEntry(st.first, TimelineKind.LOG_FAILURE, f"{label}: first of {st.count}", first_ref, code)
            )
            out.append(TimelineEntry(st.last, TimelineKind.LOG_FAILURE, f"{label}: last of {st.count}", last_ref, code))
    return out


class _Anchor:
    """The session's id_token: issued at login or at the last refresh (``iat``), expiring at ``exp``."""

    def __init__(self, iat: datetime | None, exp: datetime | None, ref: str) -> None:
        self.iat, self.exp, self.ref = iat, exp, ref

    @property
    def lifetime(self) -> float | None:
        return (self.exp - self.iat).total_seconds() if self.iat and self.exp else None


def _anchor(ctx: Context) -> _Anchor | None:
    """The token the session holds: the judged token, unless it is a refresh token."""
    candidates = [t for t in ctx.facts.tokens if token_role(t.claims) != "refresh token"]
    primary = ctx.facts.primary
    t = primary if primary is not None and primary in candidates else (candidates[0] if candidates else None)
    if t is None:
        return None
    iat, exp = t.times.get("iat"), t.times.get("exp")
    a = _Anchor(iat.at if iat else None, exp.at if exp else None, clean(t.label))
    return a if a.exp is not None else None


def _refresh_token_exp(ctx: Context) -> tuple[datetime, str] | None:
    """When the identity provider's session ends, from a refresh token in the evidence (Keycloak's is a JWT)."""
    found = [
        (tc.at, clean(t.label))
        for t in ctx.facts.tokens
        if token_role(t.claims) == "refresh token"
        for name, tc in t.times.items()
        if name == "exp" and tc.at is not None
    ]
    return min(found) if found else None


def _end_by_idp(ctx: Context, who: str) -> list[TimelineEntry]:
    """While refreshes work, the session ends with the identity provider's session, when visible."""
    rt = _refresh_token_exp(ctx)
    if rt is None:
        return []
    at, ref = rt
    return [
        TimelineEntry(
            at,
            TimelineKind.PREDICTED_LOGOUT,
            f"{who}: logged out when the refresh token expires (the identity provider's session ends)",
            ref,
        )
    ]


def _proxy_entries(ctx: Context, a: _Anchor) -> list[TimelineEntry]:
    out: list[TimelineEntry] = []
    state = ctx.facts.proxy
    if state is None or not state.configs or a.exp is None:
        return out
    from oidc_doctor.proxy.providers import refresh_support

    for cfg in state.configs:
        who = "Kubeapps auth proxy" if cfg.instance.kubeapps else "oauth2-proxy"
        refresh, expire, provider = cfg.get("cookie-refresh"), cfg.get("cookie-expire"), cfg.get("provider")
        login = a.iat or a.exp
        if expire.known and isinstance(expire.value, float) and expire.value > 0:
            out.append(
                TimelineEntry(
                    shift(login, timedelta(seconds=expire.value)),
                    TimelineKind.COOKIE_EXPIRE,
                    f"{who}: session cookie expires (--cookie-expire={expire.shown} after it was written; "
                    "a refresh rewrites it)",
                    clean(expire.ref),
                )
            )
        if not refresh.known:
            continue  # the refresh interval lives in a Secret or an unseen file: no prediction
        if not refresh.value:
            out.append(
                TimelineEntry(
                    a.exp,
                    TimelineKind.PREDICTED_LOGOUT,
                    f"{who}: logged out — --cookie-refresh {'unset' if refresh.source == 'default' else '0'}: "
                    "nothing refreshes the id_token, the API server rejects it from exp",
                    clean(refresh.ref),
                    "proxy-cookie-refresh-missing",
                )
            )
            continue
        every = float(refresh.value)
        due = shift(login, timedelta(seconds=every))
        support = (
            refresh_support(str(provider.value), cfg.instance.version) if provider.known and provider.value else None
        )
        lifetime = a.lifetime
        works = support is not None and support.refreshes and not (lifetime is not None and every >= lifetime)
        if not works:
            out.append(
                TimelineEntry(
                    due,
                    TimelineKind.COOKIE_REFRESH,
                    f"{who}: session refresh due on the next request (--cookie-refresh={refresh.shown})",
                    clean(refresh.ref),
                )
            )
        if support is not None and support.refreshes is False:
            out.append(
                TimelineEntry(
                    a.exp,
                    TimelineKind.PREDICTED_LOGOUT,
                    f"{who}: logged out — {support.reason}: the session ends at the id_token's exp",
                    clean(provider.ref),
                    "proxy-refresh-unsupported",
                )
            )
        elif lifetime is not None and every >= lifetime:
            out.append(
                TimelineEntry(
                    a.exp,
                    TimelineKind.PREDICTED_LOGOUT,
                    f"{who}: logged out — the id_token ({human_duration(lifetime)}) expires before the refresh is "
                    f"due ({human_duration(every)}): 401 until a later request refreshes",
                    clean(refresh.ref),
                    "proxy-cookie-refresh-too-long",
                )
            )
        elif support is not None and support.refreshes:
            out.append(
                TimelineEntry(
                    due,
                    TimelineKind.REFRESH,
                    f"{who}: session refresh on the next request (--cookie-refresh={refresh.shown}, "
                    f"--provider={provider.shown}), then every {human_duration(every)} of use",
                    clean(refresh.ref),
                )
            )
            out += _end_by_idp(ctx, who)
    return out


def _headlamp_entries(ev: Evidence, ctx: Context, a: _Anchor) -> list[TimelineEntry]:
    from oidc_doctor.checks.clients import HEADLAMP_REFRESH_BROKEN, headlamps, image_version

    out: list[TimelineEntry] = []
    if a.exp is None:
        return out
    for cfg in headlamps(ev, ctx):
        who = "Headlamp"
        v = image_version(cfg.image)
        broken = next((th for lo, hi, th in HEADLAMP_REFRESH_BROKEN if v is not None and lo <= v <= hi), None)
        if broken is not None and v is not None:
            out.append(
                TimelineEntry(
                    a.exp,
                    TimelineKind.PREDICTED_LOGOUT,
                    f"{who}: logged out — {'.'.join(map(str, v))}'s session refresh is reported broken ({broken}): "
                    "the session ends at the id_token's exp",
                    clean(f"{cfg.ref} image"),
                    "proxy-refresh-unsupported",
                )
            )
            continue
        out.append(
            TimelineEntry(
                shift(a.exp, -HEADLAMP_REFRESH_BEFORE),
                TimelineKind.REFRESH,
                f"{who}: token refresh on the next cluster request within 10 s of exp",
                clean(f"{cfg.ref} image"),
            )
        )
        out += _end_by_idp(ctx, who)
    return out


def _kubelogin_entries(ev: Evidence, ctx: Context, a: _Anchor) -> list[TimelineEntry]:
    from oidc_doctor.proxy.kubelogin import kubelogin_clients

    out: list[TimelineEntry] = []
    if a.exp is None:
        return out
    for item in ev.of(Kind.KUBECONFIG):
        for c in kubelogin_clients(item.data, item.ref):
            who = "kubelogin"
            out.append(
                TimelineEntry(
                    a.exp,
                    TimelineKind.REFRESH,
                    f"{who}: the next kubectl call after exp refreshes the id_token (a failed refresh opens "
                    "the browser)",
                    clean(c.ref),
                )
            )
            rt = _refresh_token_exp(ctx)
            if rt is not None:
                out.append(
                    TimelineEntry(
                        rt[0],
                        TimelineKind.PREDICTED_LOGOUT,
                        f"{who}: refresh token expires — the next kubectl call opens the browser for a new login",
                        rt[1],
                    )
                )
    return out


def build_timeline(ev: Evidence, ctx: Context) -> tuple[TimelineEntry, ...]:
    """Every moment that decides when the user is logged out, sorted by time.

    Reads the facts (tokens, logs, proxies) and, for Headlamp and kubelogin, their settings in
    the evidence. Without any client that refreshes, the judged id_token's ``exp`` is the
    predicted logout: from then on the API server rejects it.
    """
    entries: list[TimelineEntry] = [
        TimelineEntry(ctx.now, TimelineKind.NOW, f"judged moment ({_NOW_SOURCES.get(ctx.now_source, ctx.now_source)})")
    ]
    entries += _token_entries(ctx)
    entries += _log_entries(ctx)
    a = _anchor(ctx)
    if a is not None:
        sessions = _proxy_entries(ctx, a)
        # Headlamp and kubelogin settings are read only when such objects are in the evidence (the
        # token command's start-up never loads them).
        if ev.of(Kind.WORKLOAD):
            sessions += _headlamp_entries(ev, ctx, a)
        if ev.of(Kind.KUBECONFIG):
            sessions += _kubelogin_entries(ev, ctx, a)
        entries += sessions
        clients = bool(sessions) or bool(ctx.facts.proxy and ctx.facts.proxy.configs)
        if not clients and a.exp is not None:
            expired = a.exp < ctx.now  # go-oidc: expired when exp is before now
            entries.append(
                TimelineEntry(
                    a.exp,
                    TimelineKind.PREDICTED_LOGOUT,
                    "the API server rejects this token from its exp; no client in the evidence refreshes it",
                    a.ref,
                    "token-expired" if expired else None,
                )
            )
    return tuple(sorted(entries, key=lambda e: (e.at, _KIND_ORDER[e.kind])))
