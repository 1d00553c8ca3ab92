"""Reports of the bundled examples, built as ``diagnose`` builds them, for the renderer tests.

``with_timeline`` gives a report a ``timeline`` list of the shape the diagnosis writes
(``{"at", "kind", "what", "ref"?, "cause"?}``), so the time axis is tested whatever the diagnosis
of the day computes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from oidc_doctor import pipeline
from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context, Options
from oidc_doctor.commands.when import judge_time
from oidc_doctor.evidence import Evidence
from oidc_doctor.io import IO
from oidc_doctor.pipeline import Report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def example_report(name: str) -> Report:
    """The diagnosis of ``examples/NAME``, judged at the moment ``diagnose`` would choose."""
    ev = Evidence()
    read_bundle(EXAMPLES / name, ev)
    moment = judge_time(None, IO(stderr=io.StringIO(), env={}), ev, EXAMPLES / name)
    ctx = Context(now=moment.now, now_source=moment.source, options=Options(offline=True))
    return pipeline.run(ev, ctx)


class _Timed(Report):
    """A report whose JSON carries ``timeline``."""

    def __init__(self, base: Report, entries: list[dict[str, Any]]) -> None:
        super().__init__(base.ctx, base.findings, base.checks, base.inputs)
        self.entries = entries

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "timeline": self.entries}


def with_timeline(report: Report, entries: list[dict[str, Any]]) -> Report:
    """``report`` with a ``timeline`` of ``entries``."""
    return _Timed(report, entries)


class _Untimed(Report):
    """A report whose JSON carries no ``timeline`` key (one written by an older tool)."""

    def __init__(self, base: Report) -> None:
        super().__init__(base.ctx, base.findings, base.checks, base.inputs)

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out.pop("timeline", None)
        return out


def without_timeline(report: Report) -> Report:
    """``report`` without the ``timeline`` key."""
    return _Untimed(report)


#: The session of ``examples/kubeapps-audience-mismatch``: the token, the two 401s, a refresh-less proxy.
KUBEAPPS_TIMELINE: list[dict[str, Any]] = [
    {"at": "2026-11-28T10:23:07Z", "kind": "token-auth-time", "what": "login (auth_time)"},
    {"at": "2026-11-28T10:23:12Z", "kind": "token-iat", "what": "token iat", "ref": "id_token.txt sha256:6515fefe087c"},
    {
        "at": "2026-11-28T10:24:58Z",
        "kind": "log-failure",
        "what": "API server 401",
        "ref": "kube-apiserver.log:2",
        "cause": "audience-mismatch",
    },
    {
        "at": "2026-11-28T10:25:03Z",
        "kind": "log-failure",
        "what": "API server 401",
        "ref": "kube-apiserver.log:3",
        "cause": "audience-mismatch",
    },
    {"at": "2026-11-28T10:25:03Z", "kind": "now", "what": "judged at (newest log line)"},
    {"at": "2026-11-28T10:28:12Z", "kind": "token-exp", "what": "token exp"},
    {
        "at": "2026-11-28T10:28:12Z",
        "kind": "predicted-logout",
        "what": "user logged out: no --cookie-refresh",
        "cause": "proxy-cookie-refresh-missing",
    },
]
