"""The moment every bundle describes, and the time formats the tools print."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOW_DT = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
NOW = int(NOW_DT.timestamp())
#: The moment every bundle describes (tests pass it as ``--now``).
NOW_ISO = "2026-11-28T10:25:12Z"


def ts(delta_s: int = 0) -> str:
    """RFC 3339 time ``delta_s`` seconds from NOW, as Kubernetes prints it."""
    return (NOW_DT + timedelta(seconds=delta_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def klog_time(delta_s: float) -> str:
    """klog's header time: ``MMDD hh:mm:ss.uuuuuu``."""
    t = NOW_DT + timedelta(seconds=delta_s)
    return t.strftime("%m%d %H:%M:%S.") + f"{t.microsecond:06d}"


def go_time(epoch: int) -> str:
    """Go's ``time.Time.String()`` of a UTC time (``2026-11-28 10:25:12 +0000 UTC``), as go-oidc errors print it."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def rfc3339(epoch: int) -> str:
    """RFC 3339 UTC time of a Unix time."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
