"""Checks on what the control plane itself records: API server metrics and audit events.

The deriver :func:`derive_controlplane` reads every metrics reading and audit file once and returns
:class:`ControlPlaneFacts`: the authentication metrics by API server and issuer hash, the hash of
each AuthenticationConfiguration file in hand (computed as the API server computes it, see
:mod:`oidc_doctor.controlplane.hashes`), the failed authentications the audit log holds near
``ctx.now`` (observed 401s) and the requests the judged token's ``jti`` made (the identity the API
server accepted it as).

The checks compare: the running configuration's hash with the file in hand (``apiserver-config-drift``)
and between API servers (``apiserver-endpoint-mismatch``), the last reload (``auth-config-reload-failed``),
the JWKS fetches (``issuer-unreachable``), and the per-issuer authenticator counts with the token's
issuer (a rejection the prediction names is corroborated; 401s with no count for the token's issuer
mean its tokens never reached an authenticator).
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import TYPE_CHECKING

from oidc_doctor.checks.authn import predicted_outcome
from oidc_doctor.checks.base import Check, Context
from oidc_doctor.controlplane.hashes import JWKS_BODY_HASH, apiserver_id_hash, label_hash, short
from oidc_doctor.dates import timedelta
from oidc_doctor.errors import InputError
from oidc_doctor.evidence import Evidence, Kind
from oidc_doctor.model import (
    CheckResult,
    EvidenceRef,
    FailureSource,
    Finding,
    Identity,
    ObservedFailure,
    Origin,
    Status,
)
from oidc_doctor.record import FrozenRecord
from oidc_doctor.text import from_epoch, iso

if TYPE_CHECKING:
    from oidc_doctor.controlplane.audit import AuditEvent, AuditSummary
    from oidc_doctor.controlplane.metrics import MetricsSummary, Sample

#: Audit events within this time of ``ctx.now`` are the failures judged (as log lines are).
NEAR = timedelta(minutes=5)


class ControlPlaneFacts(FrozenRecord):
    """What the control plane recorded (immutable record; the summaries are read-only by contract).

    ``metrics``: the authentication metrics (None without a metrics input); ``metrics_refs``: where they
    were read; ``config_files``: ``(ref, hash)`` of each AuthenticationConfiguration file in hand whose
    bytes are known; ``jwks_files``: ``(ref, hash, kids)`` of each JWKS file in hand; ``nodes``:
    ``apiserver_id_hash`` → the node of an API server Pod or identity
    Lease in hand; ``leases``: the ``apiserver_id_hash`` of each identity Lease (every API server);
    ``audit``: the audit summary (None without audit events); ``audit_refs``; ``errors``: files that
    could not be read; ``accepted``: the identity the audit log shows the judged token accepted as;
    ``failures``: the failed authentications near ``ctx.now``, one per client.
    """

    _fields = (
        "metrics",
        "metrics_refs",
        "config_files",
        "jwks_files",
        "nodes",
        "leases",
        "audit",
        "audit_refs",
        "errors",
        "accepted",
        "failures",
    )
    __slots__ = _fields
    metrics: MetricsSummary | None
    metrics_refs: tuple[str, ...]
    config_files: tuple[tuple[str, str], ...]
    jwks_files: tuple[tuple[str, str, tuple[str, ...]], ...]
    nodes: dict[str, str]
    leases: tuple[str, ...]
    audit: AuditSummary | None
    audit_refs: tuple[str, ...]
    errors: tuple[str, ...]
    accepted: Identity | None
    failures: tuple[ObservedFailure, ...]

    def __init__(
        self,
        metrics: MetricsSummary | None = None,
        metrics_refs: tuple[str, ...] = (),
        config_files: tuple[tuple[str, str], ...] = (),
        jwks_files: tuple[tuple[str, str, tuple[str, ...]], ...] = (),
        nodes: dict[str, str] | None = None,
        leases: tuple[str, ...] = (),
        audit: AuditSummary | None = None,
        audit_refs: tuple[str, ...] = (),
        errors: tuple[str, ...] = (),
        accepted: Identity | None = None,
        failures: tuple[ObservedFailure, ...] = (),
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "metrics", metrics)
        setattr_(self, "metrics_refs", tuple(metrics_refs))
        setattr_(self, "config_files", tuple(config_files))
        setattr_(self, "jwks_files", tuple(jwks_files))
        setattr_(self, "nodes", {} if nodes is None else nodes)
        setattr_(self, "leases", tuple(leases))
        setattr_(self, "audit", audit)
        setattr_(self, "audit_refs", tuple(audit_refs))
        setattr_(self, "errors", tuple(errors))
        setattr_(self, "accepted", accepted)
        setattr_(self, "failures", tuple(failures))

    def __hash__(self) -> int:  # holds summaries: identity is enough
        return id(self)


def config_file_hash(raw: bytes, ref: str) -> str | None:
    """The ``hash`` the API server would report for the file ``raw`` holds, or None when unknown.

    A file that is the AuthenticationConfiguration: the hash of its bytes. A ConfigMap holding it:
    the hash of that data value (what a configMap volume writes to the file). A document of a
    multi-document file: unknown (its own bytes are not the file's).
    """
    from oidc_doctor.loader import load_documents

    try:
        docs = load_documents(raw, ref)
    except InputError:
        return None
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        return None
    obj = docs[0].data
    if obj.get("kind") == "AuthenticationConfiguration":
        return label_hash(raw)
    data = obj.get("data") if obj.get("kind") == "ConfigMap" else None
    for value in data.values() if isinstance(data, dict) else []:
        if isinstance(value, str) and "AuthenticationConfiguration" in value:
            return label_hash(value)
    return None


def _nodes(ev: Evidence) -> dict[str, str]:
    """``apiserver_id_hash`` → node, for each kube-apiserver Pod in hand with a node name (static Pods
    run in the host network: the hostname their identity is made from is the node's) and each
    identity Lease (its name is the identity; label ``kubernetes.io/hostname`` the host)."""
    out = {}
    for item in ev.of(Kind.APISERVER_LEASE):
        meta = item.data.get("metadata") if isinstance(item.data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if isinstance(name, str) and name:
            labels = meta.get("labels") if isinstance(meta, dict) and isinstance(meta.get("labels"), dict) else {}
            assert isinstance(labels, dict)
            out[label_hash(name)] = str(labels.get("kubernetes.io/hostname") or name)
    for item in ev.of(Kind.APISERVER_POD):
        data = item.data if isinstance(item.data, dict) else {}
        spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
        node = spec.get("nodeName") if isinstance(spec, dict) else None
        if isinstance(node, str) and node:
            out[apiserver_id_hash(node)] = node
    return out


def _lease_hashes(ev: Evidence) -> list[str]:
    out = []
    for item in ev.of(Kind.APISERVER_LEASE):
        meta = item.data.get("metadata") if isinstance(item.data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if isinstance(name, str) and name:
            out.append(label_hash(name))
    return out


def _audit(ev: Evidence, ctx: Context, errors: list[str]) -> tuple[AuditSummary | None, list[str]]:
    from oidc_doctor.controlplane import audit

    items = ev.of(Kind.AUDIT_EVENTS)
    if not items:
        return None, []
    claims = ctx.facts.token_claims or {}
    jti = claims.get("jti") if isinstance(claims.get("jti"), str) else None
    summary = audit.AuditSummary()
    refs = []
    for item in items:
        events: list[AuditEvent]
        if isinstance(item.data, list):
            events = [e if e.ref else replace(e, ref=item.ref) for e in item.data]
        elif item.path is not None:
            try:
                events, _skipped = audit.read_events(item.path, item.ref)
            except (OSError, EOFError, zlib.error, InputError) as e:  # unreadable, corrupt gzip, gzip bomb
                errors.append(f"{item.ref}: {e}")
                continue
        else:
            continue
        audit.summarise(events, jti, ctx.now - NEAR, ctx.now + NEAR, into=summary)
        summary.refs.append(item.ref)
        refs.append(item.ref)
    return summary, refs


def _event_ref(ev: AuditEvent) -> str:
    ref = ev.ref or "audit"
    return f"{ref}:{ev.line}" if ev.line else ref


def _failures(summary: AuditSummary | None) -> list[ObservedFailure]:
    out: list[ObservedFailure] = []
    if summary is None:
        return out
    for (agent, ip), g in summary.failed_near.items():
        last = g.last
        if last is None:
            continue
        when = iso(last.time) if last.time else "?"
        text = (
            f"{g.count} x 401 `{last.message}` from {ip or '?'} ({agent or 'no user agent'}), last {when} "
            f"{last.verb} {last.uri}"
        )
        out.append(
            ObservedFailure(
                kind="unauthorized", ref=_event_ref(last), text=text, status=401, source=FailureSource.AUDIT
            )
        )
    for ev in summary.forbidden[-3:]:
        out.append(
            ObservedFailure(
                kind="forbidden",
                ref=_event_ref(ev),
                text=f"403 {ev.verb} {ev.uri}: {ev.reason or ev.message}",
                status=403,
                user=ev.username or None,
                verb=ev.verb or None,
                resource=ev.resource or None,
                api_group=ev.api_group or None,
                namespace=ev.namespace or None,
                source=FailureSource.AUDIT,
            )
        )
    return out


def _accepted(summary: AuditSummary | None) -> Identity | None:
    last = summary.accepted.last if summary is not None else None
    if last is None or not last.username:
        return None
    # The audited user is the request's user after authentication, groups already including
    # system:authenticated (the group adder wraps the authenticators): as a SelfSubjectReview shows it.
    return Identity(last.username, list(last.groups), uid=last.uid, extra=dict(last.extra), source="audit-event")


def derive_controlplane(ev: Evidence, ctx: Context) -> ControlPlaneFacts | None:
    """Read the metrics and audit inputs once (audit files streaming), hash the configuration files in hand."""
    from oidc_doctor.controlplane import metrics

    readings = [i for i in ev.of(Kind.APISERVER_METRICS) if isinstance(i.data, list)]
    if not readings and not ev.has(Kind.AUDIT_EVENTS):
        return None
    errors: list[str] = []
    summary = (
        metrics.summarise(metrics.iter_samples(metrics.one_per_apiserver([i.data for i in readings])))
        if readings
        else None
    )
    files = []
    for item in ev.of(Kind.AUTH_CONFIG) if readings else []:
        if item.path is None:
            continue
        try:
            raw = item.path.read_bytes()
        except OSError as e:
            errors.append(f"{item.ref}: {e.strerror or e}")
            continue
        h = config_file_hash(raw, item.ref)
        if h is not None:
            files.append((item.ref, h))
    keysets = []
    for item in ev.of(Kind.JWKS) if summary is not None and summary.jwks else []:
        if not isinstance(item.data, dict):
            continue
        keys = item.data.get("keys")
        kids = tuple(str(k.get("kid")) for k in keys if isinstance(k, dict)) if isinstance(keys, list) else ()
        fetched = item.data.get(JWKS_BODY_HASH)
        if isinstance(fetched, str) and fetched.startswith("sha256:"):
            keysets.append((item.ref, fetched, kids))  # collected: the hash of the body as served
            continue
        if item.path is None or "#" in item.ref.split(" ", 1)[0]:
            continue  # one document of several: its own bytes are unknown
        try:
            raw = item.path.read_bytes()
        except OSError as e:
            errors.append(f"{item.ref}: {e.strerror or e}")
            continue
        keysets.append((item.ref, label_hash(raw), kids))
    audit, audit_refs = _audit(ev, ctx, errors)
    return ControlPlaneFacts(
        metrics=summary,
        metrics_refs=tuple(i.ref for i in readings),
        config_files=tuple(files),
        jwks_files=tuple(keysets),
        nodes=_nodes(ev),
        leases=tuple(_lease_hashes(ev)),
        audit=audit,
        audit_refs=tuple(audit_refs),
        errors=tuple(errors),
        accepted=_accepted(audit),
        failures=tuple(_failures(audit)),
    )


def audit_failures(cp: ControlPlaneFacts | None) -> tuple[ObservedFailure, ...]:
    """The failures the audit log shows near ``ctx.now`` (for the failures facts)."""
    return cp.failures if cp is not None else ()


def audit_identity(cp: ControlPlaneFacts | None) -> Identity | None:
    """The identity the audit log shows the judged token accepted as (for the reviewed identity)."""
    return cp.accepted if cp is not None else None


# --- checks ---------------------------------------------------------------------------------------


def _metrics(ctx: Context) -> tuple[ControlPlaneFacts, MetricsSummary] | None:
    cp = ctx.facts.controlplane
    if cp is None or cp.metrics is None:
        return None
    return cp, cp.metrics


def _apiserver(cp: ControlPlaneFacts, id_hash: str) -> str:
    node = cp.nodes.get(id_hash)
    return f"API server {short(id_hash)}" + (f" (node {node})" if node else "")


def _sample_ref(cp: ControlPlaneFacts, x: Sample) -> EvidenceRef:
    ref = cp.metrics_refs[0] if len(cp.metrics_refs) == 1 else "metrics"
    return EvidenceRef("metrics", f"{ref}:{x.line}" if x.line else ref, x.text())


def _when(ts: float | None) -> str:
    t = from_epoch(ts) if ts is not None else None
    return iso(t) if t is not None else "never"


def check_config(ev: Evidence, ctx: Context) -> CheckResult:
    """The running AuthenticationConfiguration's hash against the file in hand, and between API servers."""
    got = _metrics(ctx)
    if got is None:
        return CheckResult.skipped("no API server metrics (kubectl get --raw /metrics) among the inputs")
    cp, m = got
    running = {h: a for h, a in m.apiservers.items() if a.config_hash}
    if not running:
        return CheckResult.unknown(
            "the metrics hold no apiserver_authentication_config_controller_last_config_info: the API server "
            "runs without --authentication-config, or is older than 1.32"
        )
    findings = []
    distinct = {a.config_hash for a in running.values()}
    info = [s for a in running.values() for s in a.samples if s.name.endswith("_last_config_info")]
    if len(distinct) > 1:
        which = "; ".join(f"{_apiserver(cp, h)} runs {short(a.config_hash or '')}" for h, a in running.items())
        findings.append(
            Finding(
                "apiserver-endpoint-mismatch",
                f"the API servers run different authentication configurations: {which}",
                [_sample_ref(cp, s) for s in info],
                fix="give every control-plane node the same --authentication-config file (the API server "
                "reloads it when it changes); until then requests succeed or fail by the API server they reach",
                origin=Origin.OBSERVED,
            )
        )
    if cp.config_files:
        matching = [(ref, h) for ref, h in cp.config_files if h in distinct]
        if not matching:
            ref, h = cp.config_files[0]
            findings.append(
                Finding(
                    "apiserver-config-drift",
                    f"the AuthenticationConfiguration in hand ({ref}, {short(h)}) is not the file the API server "
                    f"runs ({', '.join(short(x or '') for x in sorted(distinct, key=str))}): the settings judged "
                    "here are not the ones in force",
                    [
                        EvidenceRef("apiserver-config", ref, f"sha256 of the file: {h}"),
                        *(_sample_ref(cp, s) for s in info),
                    ],
                    origin=Origin.OBSERVED,
                    bare=True,
                )
            )
    unseen = sorted(cp.nodes.get(h, short(h)) for h in cp.leases if h not in running)
    if unseen:
        findings_note = f"; no metrics from the API server(s) on {', '.join(unseen)}: scrape each of them"
    else:
        findings_note = ""
    if findings:
        return CheckResult.failed(findings, findings_note.lstrip("; "))
    if not cp.config_files:
        return CheckResult.unknown(
            f"{len(running)} API server(s) run configuration {short(next(iter(distinct)) or '')}; no "
            "AuthenticationConfiguration file in hand whose bytes could be compared" + findings_note
        )
    return CheckResult.passed(f"the file in hand is the configuration {len(running)} API server(s) run" + findings_note)


def _reload_from_log(ctx: Context) -> tuple[list[Finding], str]:
    """The API server logs' reload lines, per log file (one API server each): its latest decides
    (``failed to ... authentication config`` newer than ``reloaded authentication config`` → the
    previous configuration is still active on that API server)."""
    logs = ctx.facts.logs
    summary = logs.summary.get(str(Kind.APISERVER_LOG)) if logs is not None else None
    if summary is None or not summary.reloads:
        return [], ""
    findings: list[Finding] = []
    notes: list[str] = []
    for status, ex, detail in summary.last_reloads():
        when = iso(ex.time) if ex.time else "an unknown time"
        ok = summary.reloads.get(ex.file, {}).get("success")
        if status == "success":
            notes.append(f"the API server log shows the configuration reloaded at {when} ({ex.ref})")
            continue
        since = f"since {iso(ok[0].time)}" if ok is not None and ok[0].time else "since the API server started"
        step = detail.get("step", "")
        reason = detail.get("error", "")
        retry = (
            "it will not retry until the file changes again"
            if step in ("load", "validate")
            else "it retries every minute"
        )
        title = (
            f"the API server failed to {step or 'reload'} the changed authentication configuration at {when}"
            + (f": {reason}" if reason else "")
            + f"; it still runs the configuration it loaded {since} ({retry})"
        )
        refs = [EvidenceRef("log", ex.ref, ex.text)]
        if ok is not None:
            refs.append(EvidenceRef("log", ok[0].ref + " (last successful reload)", ok[0].text))
        findings.append(Finding("auth-config-reload-failed", title, refs, origin=Origin.OBSERVED))
    return findings, "; ".join(notes)


def check_reload(ev: Evidence, ctx: Context) -> CheckResult:
    """Whether the last automatic reload of the AuthenticationConfiguration failed (old configuration active):
    from the metrics of each API server and from the API server log's reload lines."""
    logged, log_note = _reload_from_log(ctx)
    got = _metrics(ctx)
    seen = [a for a in got[1].apiservers.values() if a.reload_at or a.reloads] if got is not None else []
    if not seen and not logged and not log_note:
        if got is None and not ev.has(Kind.APISERVER_LOG):
            return CheckResult.skipped("no API server metrics or log among the inputs")
        return CheckResult.skipped("no automatic reload of the authentication configuration recorded")
    findings = list(logged)
    for a in seen:
        assert got is not None
        cp = got[0]
        if not a.reload_failed_last():
            continue
        failed, ok = a.reload_at.get("failure"), a.reload_at.get("success")
        since = f"since {_when(ok)}" if ok else "since the API server started"
        findings.append(
            Finding(
                "auth-config-reload-failed",
                f"{_apiserver(cp, a.id_hash)} failed to reload the authentication configuration at {_when(failed)}: "
                f"it still runs the configuration it loaded {since}"
                + (f" ({short(a.config_hash)})" if a.config_hash else ""),
                [_sample_ref(cp, s) for s in a.samples if "reload" in s.name],
                origin=Origin.OBSERVED,
            )
        )
    if findings:
        return CheckResult.failed(findings, log_note)
    words = [f"the last automatic reload succeeded on {len(seen)} API server(s)"] if seen else []
    return CheckResult.passed("; ".join([*words, *([log_note] if log_note else [])]))


def _issuer_names(ctx: Context) -> dict[str, str]:
    """``jwt_issuer_hash`` → issuer URL, for every issuer URL known (configured, the token's, ``--issuer``)."""
    urls: list[str] = [a.issuer for a in ctx.facts.authenticators or ()]
    iss = (ctx.facts.token_claims or {}).get("iss")
    urls += [iss] if isinstance(iss, str) else []
    urls += [ctx.options.issuer] if ctx.options.issuer else []
    return {label_hash(u): u for u in urls if u}


def _issuer(names: dict[str, str], h: str) -> str:
    return repr(names[h]) if h in names else f"with hash {short(h)}"


def check_jwks(ev: Evidence, ctx: Context) -> CheckResult:
    """Whether an API server's last JWKS fetch failed (newer than its last success)."""
    got = _metrics(ctx)
    if got is None:
        return CheckResult.skipped("no API server metrics among the inputs")
    cp, m = got
    if not m.jwks:
        return CheckResult.skipped("no JWKS fetch recorded (kube-apiserver 1.35+ records them)")
    names = _issuer_names(ctx)
    iss = (ctx.facts.token_claims or {}).get("iss")
    mine = label_hash(iss) if isinstance(iss, str) else None
    findings = []
    for st in m.jwks:
        if not st.failing():
            continue
        ok = st.at.get("success")
        findings.append(
            Finding(
                "issuer-unreachable",
                f"{_apiserver(cp, st.apiserver_id_hash)} failed to fetch the JWKS of issuer "
                f"{_issuer(names, st.issuer_hash)} at {_when(st.at.get('failure'))} (last success: {_when(ok)}): "
                + ("it verifies with the keys it fetched then" if ok else "it holds no keys for it"),
                [_sample_ref(cp, s) for s in st.samples],
                origin=Origin.OBSERVED,
                bare=mine is not None and st.issuer_hash != mine,
            )
        )
    notes, held = _key_sets(cp, m, ctx)
    findings += held
    if findings:
        return CheckResult.failed(findings, notes)
    kid = (ctx.facts.token_header or {}).get("kid")
    hashes = {st.key_set_hash for st in m.jwks if st.key_set_hash}
    if isinstance(kid, str) and cp.jwks_files and hashes and not hashes & {h for _r, h, _k in cp.jwks_files}:
        # Fetches work, but no key set held matches a JWKS in hand byte for byte: whether the control
        # plane holds the token's kid cannot be told (the same keys re-serialised hash differently).
        return CheckResult.unknown(
            f"the last JWKS fetch succeeded for {len(m.jwks)} issuer/API server pair(s); {notes}: whether the API "
            f"server holds the token's kid {kid!r} is unknown (save the JWKS with `curl -o`, or collect it)"
        )
    return CheckResult.passed(
        f"the last JWKS fetch succeeded for {len(m.jwks)} issuer/API server pair(s)" + (f"; {notes}" if notes else "")
    )


def _key_sets(cp: ControlPlaneFacts, m: MetricsSummary, ctx: Context) -> tuple[str, list[Finding]]:
    """The key set each API server holds against the JWKS files in hand (by the hash of their bytes).

    Equal hashes: the control plane holds exactly those keys, so a token ``kid`` absent from them is
    absent from the control plane's too. Different hashes say nothing: the same keys re-serialised
    (``jq``, another key order) hash differently.
    """
    if not cp.jwks_files:
        return "", []
    kid = (ctx.facts.token_header or {}).get("kid")
    notes: list[str] = []
    findings: list[Finding] = []
    for st in m.jwks:
        if not st.key_set_hash:
            continue
        same = next(((ref, kids) for ref, h, kids in cp.jwks_files if h == st.key_set_hash), None)
        who = _apiserver(cp, st.apiserver_id_hash)
        if same is None:
            notes.append(f"{who} holds a key set ({short(st.key_set_hash)}) whose bytes differ from the JWKS in hand")
            continue
        ref, kids = same
        notes.append(f"{who} holds exactly the keys of {ref}")
        newer = next(((r, k) for r, h, k in cp.jwks_files if r != ref and isinstance(kid, str) and kid in k), None)
        if isinstance(kid, str) and kid not in kids and newer is not None:
            # go-oidc v2 remoteKeySet.verify (coreos/go-oidc jwks.go): an unknown kid is refetched only
            # once the cached set's HTTP expiry has passed; until then `failed to verify id token
            # signature`. A failed refetch, or one that reaches an endpoint serving the old set, keeps it.
            info = [s for s in st.samples if s.name.endswith("_key_set_info")]
            fetched = st.at.get("success")
            findings.append(
                Finding(
                    "stale-signing-keys",
                    f"{who} verifies with the key set of {ref} (same sha256; kids {', '.join(kids) or 'none'}), "
                    f"which lacks the token's kid {kid!r}; {newer[0]} holds it: the issuer rotated its keys and the "
                    f"API server still holds the old set (last successful JWKS fetch: {_when(fetched)})",
                    [
                        *(_sample_ref(cp, s) for s in info),
                        EvidenceRef("jwks", ref, f"kids: {', '.join(kids)}"),
                        EvidenceRef("jwks", newer[0], f"kids: {', '.join(newer[1])}"),
                    ],
                    origin=Origin.OBSERVED,
                )
            )
            continue
        if isinstance(kid, str) and kid not in kids and predicted_outcome(ctx) == "signature-invalid":
            info = [s for s in st.samples if s.name.endswith("_key_set_info")]
            findings.append(
                Finding(
                    "signature-invalid",
                    f"{who} holds exactly the keys of {ref} (same sha256), and none has the token's kid {kid!r}: "
                    "the API server cannot verify this token",
                    [*(_sample_ref(cp, s) for s in info), EvidenceRef("jwks", ref, f"kids: {', '.join(kids)}")],
                    origin=Origin.OBSERVED,
                    bare=True,
                )
            )
    return "; ".join(notes), findings


def _never_reached(ctx: Context, iss: str) -> tuple[str, str, bool]:
    """Why the token's issuer has no authenticator count while requests are rejected: (cause, words, bare)."""
    auths = ctx.facts.authenticators
    if auths is None:
        return (
            "tokens-reach-no-authenticator",
            "no JWT authenticator of the API server takes the token's issuer (the settings are not in hand to "
            "say which issuers they configure)",
            False,
        )
    if not auths:
        where = ctx.facts.authenticators_ref or "in hand"
        return "oidc-not-configured", f"the API server settings ({where}) hold no JWT authenticator", False
    configured = [a.issuer for a in auths]
    if iss not in configured:
        return (
            "issuer-mismatch",
            f"the token's iss is not a configured issuer ({', '.join(map(repr, configured))})",
            False,
        )
    return (
        "apiserver-endpoint-mismatch",
        "the settings in hand configure that issuer, so the API servers measured run other settings "
        "(compare the running configuration hash) or the failing requests carry another token",
        True,
    )


#: The causes :func:`check_authenticators` may name: a predicted rejection it corroborates, or why no
#: authenticator took the token's issuer.
AUTHENTICATOR_CAUSES = (
    "tokens-reach-no-authenticator",
    "issuer-mismatch",
    "oidc-not-configured",
    "apiserver-endpoint-mismatch",
    "token-expired",
    "token-not-yet-valid",
    "audience-mismatch",
    "signing-alg-not-allowed",
    "signature-invalid",
    "token-malformed",
    "username-claim-missing",
    "email-not-verified",
    "groups-claim-missing",
    "groups-claim-invalid",
    "groups-distributed-claims",
    "required-claim-mismatch",
    "claim-mapping-error",
    "wrong-token-type",
    "issuer-unreachable",
)


def no_authenticator_counted(ctx: Context) -> bool:
    """The metrics in hand are recent enough to count JWT authenticators (1.30+: the configuration or
    JWKS series are there) and no JWT authenticator counted a single token."""
    got = _metrics(ctx)
    if got is None:
        return False
    m = got[1]
    return bool(m.apiservers or m.jwks) and not any(v for by in m.jwt.values() for v in by.values())


def _no_token_reached(cp: ControlPlaneFacts, m: MetricsSummary, ctx: Context) -> CheckResult:
    """Without a token: 401s were seen, the metrics are recent enough to count JWT authenticators, and
    none counted a single token — the rejected tokens reached no authenticator."""
    seen = [f for f in ctx.facts.failures if f.kind == "unauthorized"]
    if not seen:
        return CheckResult.skipped("no token with an iss claim to look up in the metrics, and no 401 seen")
    counted = sum(v for by in m.jwt.values() for v in by.values())
    if counted:
        per = ", ".join(f"{short(h)}: {int(sum(by.values()))}" for h, by in sorted(m.jwt.items()))
        return CheckResult.unknown(
            f"{len(seen)} 401(s) seen and JWT authenticators counted tokens ({per}): without the token, its "
            "issuer cannot be told apart (give --token to compare its iss hash)"
        )
    if not (m.apiservers or m.jwks):
        return CheckResult.unknown(
            "the metrics hold no JWT authenticator series at all (kube-apiserver before 1.30, or no token ever "
            "reached one): cannot tell whether the 401s reached an authenticator"
        )
    auths = ctx.facts.authenticators
    configured = ", ".join(repr(a.issuer) for a in auths or ()) or "none in hand"
    attempts = [_sample_ref(cp, s) for s in m.attempt_samples if s.labels.get("result") in ("error", "failure")]
    return CheckResult.failed(
        [
            Finding(
                "tokens-reach-no-authenticator",
                f"requests were rejected (401; {len(seen)} observation(s): log, audit or error text), yet no JWT "
                "authenticator of the API server counted a single "
                f"token (no apiserver_authentication_jwt_authenticator_latency_seconds series): the tokens' iss "
                f"matches no configured issuer (configured: {configured}), or they are no JWTs",
                [*attempts, *(EvidenceRef("observed", f.ref, f.text) for f in seen[:3])],
                origin=Origin.OBSERVED,
            )
        ]
    )


def check_authenticators(ev: Evidence, ctx: Context) -> CheckResult:
    """The JWT authenticators' own counts for the token's issuer: a failure corroborates the predicted
    rejection; a 401 seen with no count for that issuer: its tokens never reached an authenticator."""
    got = _metrics(ctx)
    if got is None:
        return CheckResult.skipped("no API server metrics among the inputs")
    cp, m = got
    iss = (ctx.facts.token_claims or {}).get("iss")
    if not isinstance(iss, str):
        return _no_token_reached(cp, m, ctx)
    h = label_hash(iss)
    counts = m.jwt.get(h)
    if counts is not None:
        failed, ok = counts.get("failure", 0.0), counts.get("success", 0.0)
        words = f"the JWT authenticator of {iss!r} counted {int(ok)} success(es) and {int(failed)} failure(s)"
        outcome = predicted_outcome(ctx)
        if failed and outcome is not None and outcome in AUTHENTICATOR_CAUSES:
            return CheckResult.failed(
                [
                    Finding(
                        outcome,
                        f"{words}: the API server rejects tokens of this issuer, as the prediction says",
                        [_sample_ref(cp, s) for s in m.jwt_samples.get(h, [])],
                        origin=Origin.OBSERVED,
                        bare=True,  # the metric has no reason: the prediction gives it
                    )
                ]
            )
        return CheckResult.passed(words + " (the count has no reason)")
    # authentication_attempts counts every credential type cluster-wide since start: it supports a 401
    # the user saw, it is no 401 of this user by itself.
    if not any(f.kind == "unauthorized" for f in ctx.facts.failures):
        return CheckResult.passed(
            f"no JWT authenticator count for {iss!r} ({int(m.rejected())} rejected request(s) of any kind), "
            "and no 401 seen for this token"
        )
    modern = bool(m.jwt) or bool(m.apiservers) or bool(m.jwks)
    if not modern:
        return CheckResult.unknown(
            "the metrics hold no JWT authenticator series at all (kube-apiserver before 1.30, or no token ever "
            "reached one): cannot tell whether the token's issuer reached an authenticator"
        )
    cause, words, bare = _never_reached(ctx, iss)
    if any(st.issuer_hash == h for st in m.jwks):
        cause, bare = "apiserver-endpoint-mismatch", True
        words = (
            "the API server has an authenticator for it (it fetches its JWKS), so the failing requests carry "
            "another token or reach another API server"
        )
    seen = ", ".join(sorted(short(x) for x in m.jwt)) or "none"
    attempts = [_sample_ref(cp, s) for s in m.attempt_samples if s.labels.get("result") in ("error", "failure")]
    return CheckResult.failed(
        [
            Finding(
                cause,
                f"requests were rejected, yet no JWT authenticator of the API server ever took a token of issuer "
                f"{iss!r} ({short(h)}; counted issuers: {seen}): {words}",
                [*attempts, EvidenceRef("token", ctx.facts.token_ref or "token", f"iss {iss} → {h}")],
                origin=Origin.OBSERVED,
                bare=bare,
            )
        ]
    )


def check_audit(ev: Evidence, ctx: Context) -> CheckResult:
    """What the audit log shows: the judged token's accepted requests (by ``jti``), failed logins near now."""
    cp = ctx.facts.controlplane
    if cp is None or cp.audit is None:
        return CheckResult.skipped("no audit events (audit.k8s.io/v1 JSON lines) among the inputs")
    a = cp.audit
    notes = [f"{a.events} audited request(s), {a.failed} failed authentication(s)"]
    notes += [f"near the moment judged: {f.text}" for f in cp.failures if f.kind == "unauthorized"]
    notes += [f"could not read {e}" for e in cp.errors]
    reason = "; ".join(notes)
    last = a.accepted.last
    if last is None:
        jti = (ctx.facts.token_claims or {}).get("jti")
        if not isinstance(jti, str):
            reason += "; the token has no jti: its requests cannot be told apart"
        else:
            reason += "; no request of this token (its jti) was audited as accepted"
        return CheckResult.passed(reason) if a.events else CheckResult.unknown(reason)
    groups = ", ".join(last.groups) or "none"
    accepted = f"this token (its jti) was accepted {a.accepted.count} time(s) as user {last.username!r}"
    if any(f.kind == "unauthorized" for f in ctx.facts.failures):
        # Accepted by some requests, 401 for others: never "authentication works" beside a 401 (the
        # ranking shows the endpoint or token mismatch the settings and the prediction name).
        return CheckResult.passed(f"{reason}; {accepted}, yet 401s were seen")
    return CheckResult(
        status=Status.PASS,
        reason=reason,
        findings=[
            Finding(
                "token-accepted",
                f"The API server accepted this token (its jti) {a.accepted.count} time(s) as user {last.username!r} "
                f"(groups: {groups}), last at {iso(last.time) if last.time else '?'}",
                [
                    EvidenceRef(
                        "audit",
                        _event_ref(last),
                        f"{last.verb} {last.uri} → {last.code}; "
                        f"user.extra credential-id {', '.join(last.credential_ids)}",
                    )
                ],
                fix="authentication works for this token; if requests still fail with 403, the cause is in RBAC",
                origin=Origin.OBSERVED,
            )
        ],
    )


def check_manifests(ev: Evidence, ctx: Context) -> CheckResult:
    """A kube-apiserver static Pod manifest in hand that does not parse: the kubelet cannot apply it,
    so the API server it runs was started from an earlier file (the flags in hand are not running)."""
    broken = [i for i in ev.of(Kind.APISERVER_MANIFEST_BROKEN) if isinstance(i.data, dict)]
    if not broken:
        return CheckResult.skipped("no kube-apiserver manifest in hand that fails to parse")
    running = [i.ref for i in ev.of(Kind.APISERVER_POD)]
    findings = []
    for item in broken:
        problem = str(item.data.get("problem", ""))
        flags = [str(f) for f in item.data.get("flags", [])]
        shown = ", ".join(flags) if flags else "none found"
        also = (
            f"; the Pod running now is the one in {', '.join(running)}"
            if running
            else "; judge the running Pod instead (kubectl -n kube-system get pod -l component=kube-apiserver -o yaml)"
        )
        findings.append(
            Finding(
                "apiserver-manifest-not-applied",
                f"{item.ref} is a kube-apiserver manifest the kubelet cannot decode ({problem}): it cannot apply "
                f"it and keeps the API server it started from an earlier file, so its authentication flags ({shown}) "
                "are not the running ones" + also,
                [
                    EvidenceRef("apiserver-config", item.ref, problem),
                    *(EvidenceRef("apiserver-config", item.ref, f) for f in flags[:6]),
                ],
                origin=Origin.CONFIG,
            )
        )
    return CheckResult.failed(findings)


#: Pinniped Concierge JWTAuthenticator condition types, in the order the controller checks them
#: (pinniped internal/controller/authenticator/jwtcachefiller/jwtcachefiller.go: typeTLSConfigurationValid,
#: typeIssuerURLValid, typeDiscoveryValid, typeJWKSURLValid, typeJWKSFetchValid, typeAuthenticatorValid,
#: then typeReady). A False one leaves the authenticator out of the Concierge's cache: every token fails.
PINNIPED_CONDITIONS = (
    "TLSConfigurationValid",
    "IssuerURLValid",
    "DiscoveryURLValid",
    "JWKSURLValid",
    "JWKSFetchValid",
    "AuthenticatorValid",
    "Ready",
)


def _pinniped_cause(ctype: str, message: str) -> str:
    from oidc_doctor.logs.classify import classify_startup_error

    if ctype in ("IssuerURLValid", "AuthenticatorValid"):
        return "oidc-config-invalid"
    if ctype == "TLSConfigurationValid":
        return "issuer-ca-untrusted" if "x509" in message or "certificate" in message else "oidc-config-invalid"
    code = classify_startup_error(message).code
    return code if code in ("issuer-ca-untrusted", "discovery-issuer-mismatch") else "issuer-unreachable"


def check_pinniped(ev: Evidence, ctx: Context) -> CheckResult:
    """A Pinniped Concierge ``JWTAuthenticator``'s own status: a condition that is not True means the
    Concierge does not run the spec in hand (the first False condition says why)."""
    items = [i for i in ev.of(Kind.PINNIPED_JWT) if isinstance(i.data, dict)]
    if not items:
        return CheckResult.skipped("no Pinniped JWTAuthenticator among the inputs")
    findings = []
    notes = []
    for item in items:
        status = item.data.get("status") if isinstance(item.data.get("status"), dict) else None
        conds = status.get("conditions") if isinstance(status, dict) else None
        if not isinstance(conds, list):
            notes.append(f"{item.ref}: no status (copy it with `kubectl get jwtauthenticator NAME -o yaml`)")
            continue
        by_type = {str(c.get("type")): c for c in conds if isinstance(c, dict)}
        meta = item.data.get("metadata") if isinstance(item.data.get("metadata"), dict) else {}
        generation = meta.get("generation") if isinstance(meta, dict) else None
        stale = [
            t
            for t, c in by_type.items()
            if isinstance(generation, int)
            and isinstance(c.get("observedGeneration"), int)
            and c["observedGeneration"] < generation
        ]
        failed = [by_type[t] for t in PINNIPED_CONDITIONS if t in by_type and by_type[t].get("status") == "False"]
        if not failed:
            phase = status.get("phase") if isinstance(status, dict) else None
            notes.append(f"{item.ref}: phase {phase or '?'}, every condition True")
            if stale:
                notes.append(
                    f"{item.ref}: the status is of an older generation ({', '.join(stale)}): not reconciled yet"
                )
            continue
        first = next((c for c in failed if c.get("type") != "Ready"), failed[0])
        ctype, reason, message = str(first.get("type")), str(first.get("reason", "")), str(first.get("message", ""))
        findings.append(
            Finding(
                _pinniped_cause(ctype, message),
                f"the Pinniped Concierge does not run {item.ref}: condition {ctype} is False ({reason}): {message}"
                + (" (the status is of an older generation)" if stale else ""),
                [
                    EvidenceRef(
                        "apiserver-config",
                        f"{item.ref} status.conditions[{c.get('type')}]",
                        f"{c.get('status')} {c.get('reason', '')}: {c.get('message', '')}",
                    )
                    for c in failed
                ],
                origin=Origin.OBSERVED,
            )
        )
    if findings:
        return CheckResult.failed(findings, "; ".join(notes))
    return CheckResult.passed("; ".join(notes)) if notes else CheckResult.unknown("no status to read")


def report_extra(ctx: Context) -> dict[str, object] | None:
    """Per API server: running configuration hash and reloads (for a report's extra section)."""
    cp = ctx.facts.controlplane
    if cp is None or cp.metrics is None:
        return None
    return {
        h: {"config_hash": a.config_hash, "reloads": dict(a.reloads), "node": cp.nodes.get(h)}
        for h, a in cp.metrics.apiservers.items()
    }


CHECKS: list[Check] = [
    Check(
        "controlplane.config",
        ("apiserver-config-drift", "apiserver-endpoint-mismatch"),
        check_config,
        "the running authentication configuration's hash vs the file in hand, and between API servers",
    ),
    Check(
        "controlplane.manifest",
        ("apiserver-manifest-not-applied",),
        check_manifests,
        "every kube-apiserver manifest in hand parses (a file the kubelet cannot apply is not the running one)",
    ),
    Check(
        "controlplane.pinniped",
        ("oidc-config-invalid", "issuer-ca-untrusted", "discovery-issuer-mismatch", "issuer-unreachable"),
        check_pinniped,
        "a Pinniped Concierge JWTAuthenticator's own status: is the spec in hand the one it runs",
    ),
    Check(
        "controlplane.reload",
        ("auth-config-reload-failed",),
        check_reload,
        "whether the last automatic reload of the authentication configuration failed",
    ),
    Check(
        "controlplane.jwks",
        ("issuer-unreachable", "signature-invalid", "stale-signing-keys"),
        check_jwks,
        "whether the control plane can fetch each JWKS, and whether it holds the keys in hand",
    ),
    Check(
        "controlplane.authenticators",
        AUTHENTICATOR_CAUSES,
        check_authenticators,
        "the JWT authenticators' own success/failure counts for the token's issuer",
    ),
    Check(
        "controlplane.audit", ("token-accepted",), check_audit, "the audit log: this token's requests, failed logins"
    ),
]
