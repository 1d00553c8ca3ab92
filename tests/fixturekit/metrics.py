"""kube-apiserver's authentication metrics as it prints them: each family's help text and type.

Help texts and types from k8s.io/apiserver ``pkg/server/options/authenticationconfig/metrics/metrics.go``,
``plugin/pkg/authenticator/token/oidc/metrics.go`` (the JWKS families since 1.35) and
``pkg/endpoints/filters/metrics.go``, with the stability prefix component-base adds (``[ALPHA]``, ``[BETA]``).
"""

from __future__ import annotations

#: family -> (type, help text as `# HELP` prints it)
HELP: dict[str, tuple[str, str]] = {
    "apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds": (
        "gauge",
        "[BETA] Timestamp of the last automatic reload of authentication configuration split by status and "
        "apiserver identity.",
    ),
    "apiserver_authentication_config_controller_automatic_reloads_total": (
        "counter",
        "[BETA] Total number of automatic reloads of authentication configuration split by status and "
        "apiserver identity.",
    ),
    "apiserver_authentication_config_controller_last_config_info": (
        "gauge",
        "[ALPHA] Information about the last applied authentication configuration with hash as label, split by "
        "apiserver identity.",
    ),
    "apiserver_authentication_jwt_authenticator_latency_seconds": (
        "histogram",
        "[ALPHA] Latency of jwt authentication operations in seconds. This is the time spent authenticating a "
        "token for cache miss only (i.e. when the token is not found in the cache).",
    ),
    "apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds": (
        "gauge",
        "[ALPHA] Timestamp of the last successful or failed JWKS fetch split by result, api server identity and "
        "jwt issuer for the JWT authenticator.",
    ),
    "apiserver_authentication_jwt_authenticator_jwks_fetch_last_key_set_info": (
        "gauge",
        "[ALPHA] Information about the last JWKS fetched by the JWT authenticator with hash as label, split by "
        "api server identity and jwt issuer.",
    ),
    "authentication_attempts": ("counter", "[ALPHA] Counter of authenticated attempts."),
}
