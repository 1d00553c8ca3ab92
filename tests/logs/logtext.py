"""Helpers that write small kube-apiserver logs for the log engine's tests."""

from __future__ import annotations

import json
from datetime import datetime

STRUCTURED = '"Unable to authenticate the request" err='


def klog(t: datetime, msg: str, level: str = "I", src: str = "httplog.go:132") -> str:
    """One klog text line at ``t``."""
    return f"{level}{t:%m%d %H:%M:%S}.{t.microsecond:06d}       1 {src}] {msg}\n"


def failure(t: datetime, error: str) -> str:
    """The >= 1.21 authentication failure line for ``error`` (already the aggregate)."""
    return klog(t, STRUCTURED + json.dumps(error), "E", "authentication.go:76")


def filler(t: datetime, n: int = 0) -> str:
    """An ordinary request-log line."""
    return klog(t, f'"HTTP" verb="GET" URI="/api/v1/namespaces/default/pods/p{n}" latency="1ms" resp=200')
