"""Conformance: kube-apiserver's own validation tests, answered byte for byte.

``upstream/validation_cases.json`` holds every case of the ``TestValidate*`` tables about JWT
authenticators in kubernetes/apiserver ``pkg/apis/apiserver/validation/validation_test.go``
(commit in the JSON), transcribed by ``upstream/transcribe_validation.py``. Tables that test
one validation helper (``validateIssuerURL(in, ..., fldPath)``) are run by placing their input
into an otherwise valid authenticator, keeping the errors under that field and printing their
paths as upstream's test does (``issuer.claimValidationRules[0]...``). Cases that need a
feature gate turned off are skipped with the reason written in the JSON.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from oidc_doctor.authn import sources
from oidc_doctor.authn.goformat import aggregate
from oidc_doctor.authn.validation import validate_authenticator, validate_configuration
from oidc_doctor.cli import main
from oidc_doctor.io import IO

DATA = json.loads((Path(__file__).parent / "upstream" / "validation_cases.json").read_text())
CASES: list[dict[str, Any]] = DATA["cases"]
RUN = [c for c in CASES if "skip" not in c]
SKIPPED = [c for c in CASES if "skip" in c]
EMAIL_VERIFIED_ERROR = "claims.email_verified must be used"


def _doc(config: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", **config}


def _self_signed_ca() -> str:
    # What upstream's "valid certificate authority" case builds: an ECDSA P-256 CA.
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _fragment_authenticator(case: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An authenticator holding the case's input where upstream's helper reads it."""
    jwt: dict[str, Any] = {
        "issuer": {"url": "https://issuer-url", "audiences": ["audience"]},
        "claimMappings": {"username": {"claim": "sub", "prefix": ""}},
    }
    field, value = case["field"], copy.deepcopy(case.get("in"))
    disallowed: list[str] = list(case.get("disallowedIssuers") or [])
    if field == "issuer.url":
        jwt["issuer"]["url"] = value
    elif field == "issuer.discoveryURL":
        jwt["issuer"]["url"] = case.get("issuerURL", "")
        jwt["issuer"]["discoveryURL"] = value
    elif field == "issuer.audiences":
        jwt["issuer"]["audiences"] = value
        jwt["issuer"]["audienceMatchPolicy"] = case.get("matchPolicy", "")
    elif field == "issuer.certificateAuthority":
        jwt["issuer"]["certificateAuthority"] = value
    elif field == "claimValidationRules":
        jwt["claimValidationRules"] = value
        # Whether the rules count as using claims.email_verified shows in the username check.
        jwt["claimMappings"] = {"username": {"expression": "claims.email"}}
    elif field == "claimMappings":
        jwt["claimMappings"] = value
        if case.get("usesEmailVerifiedClaim"):
            jwt["claimValidationRules"] = [{"expression": "has(claims.email_verified)"}]
    elif field == "userValidationRules":
        jwt["userValidationRules"] = value
    return jwt, disallowed


def _fragment_errors(case: dict[str, Any]) -> list[str]:
    jwt, disallowed = _fragment_authenticator(case)
    auth = sources.parse_auth_config(_doc({"jwt": [jwt]}), "case")
    assert not auth.startup_errors, auth.startup_errors
    v = validate_authenticator(auth.authenticators[0], disallowed)
    field = case["field"]
    out = []
    for e in v.errors:
        mine = e.path == field or e.path.startswith((f"{field}.", f"{field}["))
        if field == "issuer.audiences":
            mine = mine or e.path == "issuer.audienceMatchPolicy"  # the same helper checks it
        if mine:
            out.append(case["field_path"] + e.text()[len(field) :] if e.path.startswith(field) else e.text())
    return out


def _config_errors(case: dict[str, Any]) -> list[str]:
    auth = sources.parse_auth_config(_doc(case["config"]), "case")
    assert not auth.startup_errors, auth.startup_errors
    return validate_configuration(auth.authenticators, case["disallowed_issuers"], auth.anonymous)


@pytest.mark.parametrize("case", RUN, ids=[f"{c['test']}/{c['name']}" for c in RUN])
def test_upstream_validation_case(case: dict[str, Any]) -> None:
    if case["test"] == "TestValidateAuthenticationConfiguration":
        errs = _config_errors(case)
    else:
        if case.get("generate_ca"):
            case = {**case, "in": _self_signed_ca()}
        errs = _fragment_errors(case)
    got = aggregate(errs) if errs else ""
    assert got == case["want"]


EMAIL_CASES = [c for c in RUN if "wantUsesEmailVerifiedClaim" in c]


@pytest.mark.parametrize("case", EMAIL_CASES, ids=[c["name"] for c in EMAIL_CASES])
def test_claim_rules_count_as_email_verified_use_as_upstream_says(case: dict[str, Any]) -> None:
    # upstream asserts state.usesEmailVerifiedClaim; with a username of claims.email that
    # state decides whether the email_verified error appears.
    jwt, _ = _fragment_authenticator(case)
    auth = sources.parse_auth_config(_doc({"jwt": [jwt]}), "case")
    v = validate_authenticator(auth.authenticators[0], [])
    flagged = any(EMAIL_VERIFIED_ERROR in e.body for e in v.errors)
    assert flagged is not case["wantUsesEmailVerifiedClaim"]


def test_the_table_is_complete_and_skips_say_why() -> None:
    names = {c["test"] for c in CASES}
    assert names == {
        "TestValidateAuthenticationConfiguration",
        "TestValidateIssuerURL",
        "TestValidateIssuerDiscoveryURL",
        "TestValidateAudiences",
        "TestValidateCertificateAuthority",
        "TestValidateClaimValidationRules",
        "TestValidateClaimMappings",
        "TestValidateUserValidationRules",
    }
    assert len(RUN) >= 100
    assert all("feature gate" in c["skip"] for c in SKIPPED)


CLI_CASES = [c for c in RUN if c["test"] == "TestValidateAuthenticationConfiguration"]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c["name"] for c in CLI_CASES])
def test_predict_states_the_start_up_failure_and_never_crashes(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(yaml.safe_dump(_doc(case["config"])))
    args = ["predict", "--auth-config", str(path), "--format", "json"]
    for issuer in case["disallowed_issuers"]:
        args.append(f"--apiserver-arg=--service-account-issuer={issuer}")
    if case["disallowed_issuers"]:
        args.append(f"--apiserver-arg=--authentication-config={path}")
    out, err = io.StringIO(), io.StringIO()
    status = main(args, IO(stdin=io.StringIO(""), stdout=out, stderr=err, env={}))
    assert status in (0, 1), err.getvalue()
    got = json.loads(out.getvalue())
    if case["want"] and "disallowed issuers" not in case["want"]:
        assert got["startup_error"] == "invalid authentication configuration: " + case["want"]
    elif not case["want"]:
        assert got["startup_error"] is None


FRAGMENT_CASES = [c for c in RUN if c["test"] != "TestValidateAuthenticationConfiguration"]


@pytest.mark.parametrize("case", FRAGMENT_CASES, ids=[f"{c['test']}/{c['name']}" for c in FRAGMENT_CASES])
def test_predict_never_crashes_on_the_helper_tables(case: dict[str, Any], tmp_path: Path) -> None:
    if case.get("generate_ca"):
        case = {**case, "in": _self_signed_ca()}
    jwt, _ = _fragment_authenticator(case)
    path = tmp_path / "auth.yaml"
    path.write_text(yaml.safe_dump(_doc({"jwt": [jwt]})))
    out, err = io.StringIO(), io.StringIO()
    status = main(["predict", "--auth-config", str(path), "--format", "json"], IO(io.StringIO(""), out, err, {}))
    assert status in (0, 1), err.getvalue()
    got = json.loads(out.getvalue())
    want = case["want"]
    if want and case["field"] != "issuer.audiences" and "disallowed" not in want:
        # the helper's error is among the file's errors, under jwt[0].
        tail = want.split(": ", 1)[1] if ": " in want else want
        assert got["startup_error"] is not None and tail.split("\n")[0][:40] in got["startup_error"]
