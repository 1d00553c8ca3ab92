"""Every log line quoted in the field notes and every authenticator message of the reference
classifies to the right cause code (shared/reference/field-notes.md (c),
shared/reference/kube-apiserver-oidc.md §3, §6, §7)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oidc_doctor.causes import BY_CODE
from oidc_doctor.logs.classify import (
    CONTEXT,
    INGRESS,
    NOT_INITIALIZED,
    PROXY,
    REQUEST,
    STARTUP,
    classify_line,
    classify_request_error,
    classify_startup_error,
)

# --- field notes (c.1): the wrapper formats, quoted exactly ------------------------------------
C1_LINES = [
    (
        "E0722 11:41:09.420668       1 authentication.go:53] Unable to authenticate the request due to an "
        "error: [invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: "
        "2022-07-22 11:40:27 +0000 UTC)]",
        "token-expired",
    ),
    (
        'E0614 00:29:57.960378       1 authentication.go:75] "Unable to authenticate the request" '
        'err="[invalid bearer token, oidc: email not verified]"',
        "email-not-verified",
    ),
    (
        '"Unable to authenticate the request" err="[invalid bearer token, oidc: verify token: oidc: '
        'expected audience \\"kubernetes\\" got [\\"headlamp\\"]]"',
        "audience-mismatch",
    ),
    (
        "Unable to authenticate the request due to an error: [invalid bearer token, [invalid bearer "
        "token, crypto/rsa: verification error]]",
        "signature-invalid",
    ),
    (
        "Unable to authenticate the request due to an error: [invalid bearer token, [invalid bearer "
        'token, oidc: parse username claims "username@gmail.com": claim not present]]',
        "username-claim-missing",
    ),
    (
        "Unable to authenticate the request due to an error: [invalid bearer token, [invalid bearer "
        "token, invalid bearer token]]",
        "issuer-mismatch",
    ),
    (
        "ERROR   filters/authentication.go:75    Unable to authenticate the request      "
        '{"component": "vcluster", "error": "invalid bearer token", "errorCauses": [{"error": '
        '"invalid bearer token"}]}',
        "issuer-mismatch",
    ),
]


@pytest.mark.parametrize(("line", "code"), C1_LINES)
def test_field_note_wrapper_lines_classify_to_their_cause(line: str, code: str) -> None:
    v = classify_line(line.encode())
    assert v is not None
    assert v.kind == REQUEST
    assert v.code == code
    assert v.failure == "unauthorized"


def test_audience_line_names_both_sides_after_go_unquoting() -> None:
    v = classify_line(C1_LINES[2][0].encode())
    assert v is not None
    assert v.detail == {"expected": '"kubernetes"', "got": '["headlamp"]'}


# --- field notes (c.2): inner cause strings ------------------------------------------------------
C2_INNER = [
    ("oidc: token is expired (Token Expiry: 2022-07-22 11:40:27 +0000 UTC)", "token-expired"),
    (
        "oidc: current time 2022-07-22 11:40:27 +0000 UTC m=+1.23 before the nbf (not before) time: "
        "2022-07-22 11:45:00 +0000 UTC",
        "token-not-yet-valid",
    ),
    ('oidc: expected audience "kubernetes" got ["kubeapps"]', "audience-mismatch"),
    ('oidc: expected audience in ["a" "b"] got ["kubeapps"]', "audience-mismatch"),
    (
        'oidc: id token signed with unsupported algorithm, expected ["RS256"] got "ES384"',
        "signing-alg-not-allowed",
    ),
    (
        'oidc: id token signed with unsupported algorithm, expected "RS256" got "ES384"',
        "signing-alg-not-allowed",
    ),
    ("failed to verify signature: failed to verify id token signature", "signature-invalid"),
    ("oidc: malformed jwt: square/go-jose: compact JWS format must have three parts", "token-malformed"),
    ("oidc: authenticator not initialized", NOT_INITIALIZED),
    ("oidc: email not verified", "email-not-verified"),
    (
        "oidc: parse 'email_verified' claim: json: cannot unmarshal string into Go value of type bool",
        "email-not-verified",
    ),
    ('oidc: parse username claims "email": claim not present', "username-claim-missing"),
    (
        'oidc: parse groups claim "groups": json: cannot unmarshal number into Go value of type string',
        "groups-claim-invalid",
    ),
    (
        'oidc: could not expand distributed claims: while getting distributed claim "groups": '
        "error while getting distributed claim JWT: 401 Unauthorized",
        "groups-distributed-claims",
    ),
    ("oidc: required claim hd not present in ID token", "required-claim-mismatch"),
    (
        "oidc: required claim hd value does not match. Got = example.org, want = example.com",
        "required-claim-mismatch",
    ),
    (
        "oidc: parse claim email_verified: json: cannot unmarshal bool into Go value of type string",
        "required-claim-mismatch",
    ),
    (
        "oidc: error evaluating claim validation expression: validation expression 'claims.hd == "
        '"example.com"\' failed: hd must be example.com',
        "required-claim-mismatch",
    ),
    (
        "oidc: error evaluating username claim expression: expression 'claims.foo' resulted in error: no such key: foo",
        "claim-mapping-error",
    ),
    ("oidc: empty username via CEL expression is not allowed", "claim-mapping-error"),
]


@pytest.mark.parametrize(("inner", "code"), C2_INNER)
def test_field_note_inner_causes_classify(inner: str, code: str) -> None:
    assert classify_request_error(f"[invalid bearer token, oidc: verify token: {inner}]").code == code
    assert classify_request_error(inner).code == code


# --- field notes (c.2) background/init lines and config errors; (c.3) ingress; (c.4) proxy --------
OTHER_LINES = [
    (
        'oidc authenticator: initializing plugin: Get "https://gitlab.com/.well-known/openid-configuration": '
        "tls: failed to verify certificate: x509: certificate signed by unknown authority",
        STARTUP,
        "issuer-ca-untrusted",
    ),
    (
        "oidc authenticator: initializing plugin: oidc: issuer did not match the issuer returned by "
        'provider, expected "https://idp.example.com/realms/k8s" got "https://idp.example.com/auth/realms/k8s"',
        STARTUP,
        "discovery-issuer-mismatch",
    ),
    (
        "oidc authenticator: failed to fetch provider discovery data: Get https://keycloak.xxxxx.com/auth/"
        "realms/k8s/.well-known/openid-configuration: x509: certificate signed by unknown authority",
        STARTUP,
        "issuer-ca-untrusted",
    ),
    (
        'Failed to fetch provider config, trying again in 3s: "issuer" in config (https://sample.auth0.com/) '
        "does not match provided issuer URL (https://sample.auth0.com)",
        STARTUP,
        "discovery-issuer-mismatch",
    ),
    ("id_token_signing_alg_values_supported must include 'RS256'", STARTUP, "signing-alg-not-allowed"),
    ("OIDC: No x509 certificates provided, will use host's root CA set", CONTEXT, None),
    ("authentication-config file and oidc-* flags are mutually exclusive", STARTUP, "oidc-config-invalid"),
    ("URL scheme must be https", STARTUP, "oidc-config-invalid"),
    ('oidc: unsupported signing alg: "HS256"', STARTUP, "oidc-config-invalid"),
    (
        "prefix is required when claim is set. It can be set to an empty string to disable prefixing",
        STARTUP,
        "oidc-config-invalid",
    ),
    (
        "upstream sent too big header while reading response header from upstream",
        INGRESS,
        "proxy-header-too-large",
    ),
    ("400 Bad Request Request Header Or Cookie Too Large", INGRESS, "proxy-header-too-large"),
    (
        "10.42.0.0:33470 - batiati@triadesolucoes.com.br [2020/10/14 15:50:02] [AuthSuccess] Authenticated "
        "via OAuth2: Session{email:batiati@triadesolucoes.com.br user:123 PreferredUsername:batiati "
        "token:true id_token:true created:2020-10-14 15:50:02 expires:2020-10-14 15:55:02}",
        CONTEXT,
        None,
    ),
    ("OAuthProxy configured for OpenID Connect Client ID: kubeapps", CONTEXT, None),
    (
        "Cookie settings: name:_oauth2_proxy secure(https):false httponly:true expiry:168h0m0s domains: "
        "path:/ samesite: refresh:disabled",
        PROXY,
        "proxy-cookie-refresh-missing",
    ),
    (
        "Cookie settings: name:_oauth2_proxy secure(https):true httponly:true expiry:168h0m0s domains: "
        "path:/ samesite: refresh:after 5m0s",
        CONTEXT,
        None,
    ),
    (
        "Error redeeming code during OAuth2 callback: email in id_token (lknite@home.net) isn't verified",
        PROXY,
        "email-not-verified",
    ),
    (
        "Error creating session during OAuth2 callback: audience from claim aud with value [account] does "
        "not match with any of allowed audiences map[oauth2-proxy:{}]",
        PROXY,
        "audience-mismatch",
    ),
    (
        "Error creating session during OAuth2 callback: audience claims [aud] do not exist in claims: ",
        PROXY,
        "audience-mismatch",
    ),
    (
        "Error redeeming code during OAuth2 callback: could not verify id_token: failed to verify token: "
        "failed to verify signature: failed to verify id token signature",
        PROXY,
        "signature-invalid",
    ),
    (
        'Error redeeming code during OAuth2 callback: error performing request: Post "https://www.googleapis'
        '.com/oauth2/v3/token": x509: certificate signed by unknown authority',
        PROXY,
        "issuer-ca-untrusted",
    ),
    (
        'Error redeeming code during OAuth2 callback: token exchange failed: Post "https://<publicdns>/realms'
        '/<my_realm>/protocol/openid-connect/token": EOF',
        PROXY,
        "issuer-unreachable",
    ),
    ('could not get claim "groups": failed to fetch claims from profile URL', PROXY, "groups-claim-missing"),
    ("[AuthFailure] Invalid authentication via OAuth2: unauthorized", PROXY, None),
    ("Error while parsing OAuth2 callback: access_denied", PROXY, None),
    (
        "Error retrieving session from token in Authorization header: [unable to verify bearer token, could "
        "not create session from token: audience from claim aud with value [MY_DEFAULT_CLIENT account] does "
        "not match with any of allowed audiences map[MY_DEFAULT_CLIENT:{}], ...]",
        PROXY,
        "audience-mismatch",
    ),
    (
        "Error retrieving session from token in Authorization header: email in id_token (<redacted>) isn't verified",
        PROXY,
        "email-not-verified",
    ),
    (
        "ERROR: Failed to initialise OAuth2 Proxy: error intiailising provider: could not create provider "
        "data: error building OIDC ProviderVerifier: could not get verifier builder: error while discovery "
        "OIDC configuration: failed to discover OIDC configuration: error performing request: Get "
        '"https://keycloak.domain/realms/Ludus_Prod/.well-known/openid-configuration": x509: unhandled '
        "critical extension",
        PROXY,
        "issuer-ca-untrusted",
    ),
    (
        'oidc: issuer did not match the issuer returned by provider, expected "https://a.example" got '
        '"https://a.example/"',
        STARTUP,
        "discovery-issuer-mismatch",
    ),
    (
        "invalid configuration:\n  cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 6 bytes",
        PROXY,
        "proxy-config-invalid",
    ),
    ("missing setting: cookie-secret or cookie-secret-file", PROXY, "proxy-config-invalid"),
    ('cookie_refresh ("5m0s") must be less than cookie_expire ("2m0s")', PROXY, "proxy-config-invalid"),
    (
        "[2021/01/05 10:00:00] [stored_session.go:94] Error loading cookied session: error refreshing access "
        "token for session (Session{email:a@b.c token:true id_token:true}): session is expired, removing "
        "session",
        PROXY,
        "proxy-refresh-unsupported",
    ),
    (
        "Error loading cookied session: error copying lz4 stream to buffer: lz4: bad magic number, removing session",
        PROXY,
        None,
    ),
    (
        "Unable to refresh session: error refreshing tokens: unable to redeem refresh token: failed to get "
        'token: oauth2: "invalid_client" "Invalid authentication method for accessing this endpoint."',
        PROXY,
        None,
    ),
    ("Refreshing session - User: alice; SessionAge: 5m0s", CONTEXT, None),
    (
        "Session not refreshed - User: alice; no refresh token available or provider returned false",
        PROXY,
        "proxy-refresh-unsupported",
    ),
    (
        "Fatal refresh error detected (session revoked or invalid), clearing session for user: alice",
        PROXY,
        None,
    ),
    (
        "Refreshing 16h55m6.351034896s old session cookie for Session{email:a@b.c} (refresh after 1h0m0s)",
        CONTEXT,
        None,
    ),
    ("Removing session: token expired Session{email:a@b.c}", PROXY, None),
]


@pytest.mark.parametrize(("line", "kind", "code"), OTHER_LINES)
def test_field_note_startup_proxy_and_ingress_lines_classify(line: str, kind: str, code: str | None) -> None:
    v = classify_line(line.encode())
    assert v is not None
    assert (v.kind, v.code) == (kind, code)


def test_session_expiry_and_refresh_failures_mean_logged_out() -> None:
    needles = ("session is expired", "bad magic number", "Unable to refresh session", "Fatal refresh error")
    lines = [line for line, _, _ in OTHER_LINES if any(n in line for n in needles)]
    assert len(lines) == len(needles)
    for line in lines:
        v = classify_line(line.encode())
        assert v is not None and v.failure == "logged-out", line


def test_client_side_error_texts_are_not_log_lines() -> None:
    # Field notes (c.3): what kubectl, kubelogin and the Kubeapps UI print is error text for the
    # error-text reader, not a server log line; the log classifier leaves it alone.
    for text in (
        "error: You must be logged in to the server (Unauthorized)",
        'Error from server (Forbidden): pods is forbidden: User "test" cannot list resource "pods" in API '
        'group "" in the namespace "default"',
        "Authorization required to get the Namespace 'default' due to 'Unauthorized'",
        'error: get-token: authentication error: oidc error: oidc discovery error: Get "https://accounts.'
        'google.com/.well-known/openid-configuration": x509: certificate signed by unknown authority',
        "you already have a valid token until 2021-09-23 17:21:28 +0200 CEST",
        "Forbidden to get the Namespace 'default' due to 'namespaces is forbidden'",
        "The current account does not have access to any namespaces",
        "There was an error connecting to the Kubernetes API. Please check that your token is valid.",
        "An error occurred: n['grpc-message'] is undefined",
        '10.42.0.1 - - [14/Oct/2020:15:50:02 +0000] "GET /api/clusters/default/ HTTP/1.1" 401 165',
    ):
        assert classify_line(text.encode()) is None


# --- reference §3, §6, §7: every authenticator message -----------------------------------------
REFERENCE = [
    ("oidc: verify token: oidc: malformed jwt: illegal base64 data at input byte 0", "token-malformed"),
    (
        "oidc: verify token: oidc: failed to unmarshal claims: json: cannot unmarshal string",
        "token-malformed",
    ),
    ("oidc: verify token: oidc: failed to obtain source from claim name", "groups-distributed-claims"),
    ("oidc: verify token: oidc: source does not exist", "groups-distributed-claims"),
    (
        'oidc: verify token: oidc: id token issued by a different provider, expected "https://a" got "https://b"',
        "issuer-mismatch",
    ),
    ('oidc: verify token: oidc: expected audience "my-client" got ["not-my-client"]', "audience-mismatch"),
    ('oidc: verify token: oidc: expected audience "my-client" got []', "audience-mismatch"),
    (
        "oidc: verify token: oidc: token is expired (Token Expiry: 0001-01-01 00:00:00 +0000 UTC)",
        "token-expired",
    ),
    (
        "oidc: verify token: oidc: current time 2009-11-10 23:00:00 +0000 UTC before the nbf (not before) "
        "time: 2009-11-10 23:05:00 +0000 UTC",
        "token-not-yet-valid",
    ),
    ("oidc: verify token: oidc: id token not signed", "token-malformed"),
    ("oidc: verify token: oidc: multiple signatures on id token not supported", "token-malformed"),
    (
        'oidc: verify token: oidc: id token signed with unsupported algorithm, expected ["RS256"] got "PS256"',
        "signing-alg-not-allowed",
    ),
    (
        "oidc: verify token: failed to verify signature: failed to verify id token signature",
        "signature-invalid",
    ),
    ("oidc: verify token: failed to verify signature: no keys matches jwk keyid", "signature-invalid"),
    (
        'oidc: verify token: failed to verify signature: fetching keys Get "https://idp/keys": dial tcp: i/o timeout',
        "issuer-unreachable",
    ),
    (
        'oidc: verify token: failed to verify signature: fetching keys Get "https://idp/keys": x509: '
        "certificate signed by unknown authority",
        "issuer-ca-untrusted",
    ),
    (
        'oidc: verify token: oidc: expected audience in ["my-client" "random-client"] got ["not-my-client"]',
        "audience-mismatch",
    ),
    ("oidc: authenticator not initialized", NOT_INITIALIZED),
    ("oidc: parse claims: unexpected end of JSON input", "token-malformed"),
    (
        'oidc: could not expand distributed claims: while getting distributed claim "groups": verifying '
        'untrusted issuer https://b failed: verifier not initialized for issuer: "https://b"',
        "groups-distributed-claims",
    ),
    (
        'oidc: could not expand distributed claims: jwt returned by distributed claim endpoint "https://c/g" '
        "did not contain claim: groups",
        "groups-distributed-claims",
    ),
    (
        'oidc: could not expand distributed claims: while getting distributed claim "groups": verify '
        'distributed claim token: oidc: expected audience "a" got ["b"]',
        "groups-distributed-claims",
    ),
    ('oidc: parse username claims "username": claim not present', "username-claim-missing"),
    (
        'oidc: parse username claims "username": json: cannot unmarshal number into Go value of type string',
        "username-claim-missing",
    ),
    (
        "oidc: parse 'email_verified' claim: json: cannot unmarshal string into Go value of type bool",
        "email-not-verified",
    ),
    ("oidc: email not verified", "email-not-verified"),
    (
        'oidc: parse groups claim "groups": json: cannot unmarshal array into Go value of type string',
        "groups-claim-invalid",
    ),
    ('oidc: parse uid claim "uid": claim not present', "claim-mapping-error"),
    ("oidc: required claim hd not present in ID token", "required-claim-mismatch"),
    (
        "oidc: parse claim hd: json: cannot unmarshal bool into Go value of type string",
        "required-claim-mismatch",
    ),
    (
        "oidc: required claim hd value does not match. Got = example.org, want = example.com",
        "required-claim-mismatch",
    ),
    (
        "oidc: error evaluating claim validation expression: expression 'claims.hd == \"x\"' resulted in "
        "error: no such key: hd",
        "required-claim-mismatch",
    ),
    (
        "oidc: error evaluating claim validation expression: validation expression 'claims.hd == \"x\"' failed: ",
        "required-claim-mismatch",
    ),
    (
        "oidc: error evaluating claim validation expression: validation expression must return a boolean",
        "required-claim-mismatch",
    ),
    (
        "oidc: error evaluating user info validation rule: validation expression "
        "'!user.username.startsWith(\"system:\")' failed: no system users",
        "claim-mapping-error",
    ),
    (
        "oidc: error evaluating user info validation rule: expression 'user.extra[\"x\"]' resulted in error: "
        "no such key: x",
        "claim-mapping-error",
    ),
    (
        "oidc: error evaluating username claim expression: username claim expression must return a string",
        "claim-mapping-error",
    ),
    ("oidc: empty username via CEL expression is not allowed", "claim-mapping-error"),
    (
        "oidc: error evaluating group claim expression: expression must return a string or a list of strings",
        "claim-mapping-error",
    ),
    (
        "oidc: error evaluating uid claim expression: uid claim expression must return a string",
        "claim-mapping-error",
    ),
    (
        "oidc: error evaluating extra claim expression: claims.foo: expression must return a string or a "
        "list of strings",
        "claim-mapping-error",
    ),
    ("expression 'claims.x' resulted in error: no such key: x", "claim-mapping-error"),
    ("oidc: invalid configuration, audiences cannot be empty", "oidc-config-invalid"),
    ('oidc: unsupported signing alg: "HS256"', "oidc-config-invalid"),
    (
        'oidc: authenticator for issuer "https://idp" is not healthy: Get "https://idp/.well-known/openid-'
        'configuration": x509: certificate signed by unknown authority',
        "issuer-ca-untrusted",
    ),
    (
        'oidc: authenticator for issuer "https://idp" is not healthy: oidc: issuer did not match the issuer '
        'returned by provider, expected "https://idp" got "https://idp/"',
        "discovery-issuer-mismatch",
    ),
    (
        'oidc: authenticator for issuer "https://idp" is not healthy: Get "https://idp/.well-known/openid-'
        'configuration": dial tcp: lookup idp: no such host',
        "issuer-unreachable",
    ),
    ("invalid bearer token", "issuer-mismatch"),
]


def _structured_line(error: str) -> bytes:
    """The kube-apiserver >= 1.21 line for ``error`` (json.dumps quotes ASCII as Go does)."""
    return (
        'E0723 18:32:12.123456       1 authentication.go:76] "Unable to authenticate the request" err='
        + json.dumps(error if error == "invalid bearer token" else f"[invalid bearer token, {error}]")
    ).encode()


@pytest.mark.parametrize(("error", "code"), REFERENCE)
def test_reference_authenticator_messages_classify_in_every_wrapper(error: str, code: str) -> None:
    wrapped = error if error == "invalid bearer token" else f"[invalid bearer token, {error}]"
    structured = classify_line(_structured_line(error))
    old = classify_line(
        f"E0723 18:32:12.123456       1 authentication.go:53] Unable to authenticate the request due to "
        f"an error: {wrapped}".encode()
    )
    as_json = classify_line(
        json.dumps(
            {
                "ts": 1690137132.123,
                "caller": "filters/authentication.go:76",
                "msg": "Unable to authenticate the request",
                "err": wrapped,
            }
        ).encode()
    )
    for v in (structured, old, as_json):
        assert v is not None
        assert v.kind == REQUEST
        assert v.code == code


def test_every_code_the_classifier_returns_is_in_the_catalogue() -> None:
    codes = {code for _, code in REFERENCE + C2_INNER} | {code for _, _, code in OTHER_LINES if code}
    codes |= {code for _, code in C1_LINES}
    codes.discard(NOT_INITIALIZED)
    assert codes <= set(BY_CODE)


def test_unknown_authentication_error_is_kept_with_no_code() -> None:
    v = classify_line(_structured_line("x509: certificate has expired or is not yet valid"))
    assert v is not None
    assert v.kind == REQUEST and v.code is None
    assert "certificate has expired" in v.error


def test_unrelated_line_is_not_classified() -> None:
    line = b'I1128 10:00:00.000000       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/pods" resp=200'
    assert classify_line(line) is None


@given(st.binary(max_size=400))
def test_classifier_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    classify_line(data)
    classify_line(b'E0101 00:00:00.000000 1 a.go:1] "Unable to authenticate the request" err="' + data)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (
            '{"ts":1690137132.1,"caller":"oidc/oidc.go:335","msg":"oidc authenticator: initializing '
            'plugin: Get \\"https://idp/.well-known/openid-configuration\\": x509: certificate signed by '
            'unknown authority"}',
            "issuer-ca-untrusted",
        ),
        (
            'E1128 10:00:00.000000       1 oidc.go:335] "oidc authenticator: initializing plugin" err="Get '
            '\\"https://idp/.well-known/openid-configuration\\": dial tcp: lookup idp: no such host"',
            "issuer-unreachable",
        ),
        (
            "Nov 28 10:00:00 node k3s[99]: E1128 10:00:00.000000    99 oidc.go:335] oidc authenticator: "
            "initializing plugin: oidc: issuer did not match the issuer returned by provider, "
            'expected "a" got "b"',
            "discovery-issuer-mismatch",
        ),
    ],
)
def test_start_up_lines_classify_in_json_structured_and_journald_forms(line: str, code: str) -> None:
    v = classify_line(line.encode())
    assert v is not None
    assert (v.kind, v.code) == (STARTUP, code)


def test_discovery_issuer_mismatch_names_both_issuers() -> None:
    v = classify_line(str(OTHER_LINES[1][0]).encode())
    assert v is not None
    assert v.detail["configured"] == "https://idp.example.com/realms/k8s"
    assert v.detail["discovered"] == "https://idp.example.com/auth/realms/k8s"


def test_only_unable_to_authenticate_lines_count_as_failures() -> None:
    v = classify_line(b"debug: request rejected, invalid bearer token")
    assert v is not None and v.kind == REQUEST and not v.failure_line
    w = classify_line(C1_LINES[0][0].encode())
    assert w is not None and w.failure_line


@pytest.mark.parametrize(
    ("error", "url"),
    [
        (
            'Get "https://dex.127.0.0.1.nip.io:32000/.well-known/openid-configuration": tls: failed to verify '
            "certificate: x509: certificate signed by unknown authority",
            "https://dex.127.0.0.1.nip.io:32000/.well-known/openid-configuration",
        ),
        (
            "Get https://idp.example.com:8443/.well-known/openid-configuration: x509: certificate signed by "
            "unknown authority",
            "https://idp.example.com:8443/.well-known/openid-configuration",
        ),
    ],
)
def test_startup_error_url_keeps_its_port(error: str, url: str) -> None:
    assert classify_startup_error(error).detail["url"] == url


def test_a_pre_1_10_union_names_the_oidc_error_not_the_service_account_authenticators() -> None:
    # kubernetes issue 48777 (1.7): every token authenticator's error is listed; the service-account
    # one (`crypto/rsa: verification error`) stands before the OIDC reason.
    union = (
        "[invalid bearer token, [invalid bearer token, [crypto/rsa: verification error, invalid bearer token, "
        "'email_verified' claim not present]]]"
    )
    assert classify_request_error(union).code == "email-not-verified"
    assert classify_request_error("[invalid bearer token, crypto/rsa: verification error]").code == "signature-invalid"
