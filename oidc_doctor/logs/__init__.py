"""The log engine: kube-apiserver, oauth2-proxy and ingress-nginx logs, classified by cause.

Modules: ``formats`` (line shapes and timestamps), ``classify`` (message -> cause code),
``mask`` (credentials out of lines), ``summary`` (per-cause counts and examples), ``scan``
(streaming scanner), ``window`` (time windows by bisection), ``sniff`` (is this file a log?).
"""

from __future__ import annotations

from oidc_doctor.logs.window import latest_timestamp

__all__ = ["latest_timestamp"]
