"""Conformance: kube-apiserver's option tests and CEL compile tests, as data.

``upstream/options_cases.json`` holds, transcribed by hand (see its ``note``), the cases of
kubernetes/kubernetes ``pkg/kubeapiserver/options/authentication_test.go``
(``TestValidateOIDCOptions``, ``TestAuthenticationValidate``, ``TestToAuthenticationConfig*``,
``TestLoadAuthenticationConfig``) and of kubernetes/apiserver
``pkg/authentication/cel/compile_test.go``. Each runs through the same code ``predict`` uses:
flags are parsed and translated, the named file is loaded as kube-apiserver loads it, and the
start-up verdict is compared with upstream's expected error (a substring, as upstream's tests
compare) or expected authenticators.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.authn import sources
from oidc_doctor.authn.flags import parse_args, translate
from oidc_doctor.authn.model import JWTAuthenticator
from oidc_doctor.authn.validation import _Compiler, validate_settings
from oidc_doctor.loader import load_documents

DATA = json.loads((Path(__file__).parent / "upstream" / "options_cases.json").read_text())
CASES: list[dict[str, Any]] = DATA["cases"]
RUN = [c for c in CASES if "skip" not in c]


def _as_config(a: JWTAuthenticator) -> dict[str, Any]:
    """An authenticator in the JSON form of the v1 API, empty fields left out."""
    out: dict[str, Any] = {"issuer": {"url": a.issuer.url}}
    if a.issuer.audiences:
        out["issuer"]["audiences"] = a.issuer.audiences
    m = a.claim_mappings
    cm: dict[str, Any] = {}
    for name in ("username", "groups"):
        p = getattr(m, name)
        if p.claim or p.expression:
            d: dict[str, Any] = {"claim": p.claim} if p.claim else {"expression": p.expression}
            if p.prefix is not None:
                d["prefix"] = p.prefix
            cm[name] = d
    if cm:
        out["claimMappings"] = cm
    if a.claim_validation_rules:
        out["claimValidationRules"] = [
            {"claim": r.claim, "requiredValue": r.required_value} for r in a.claim_validation_rules
        ]
    return out


def _settings(case: dict[str, Any], tmp: Path) -> Any:
    words = list(case.get("args", []))
    if "file" in case:
        path = tmp / "config"
        path.write_text(case["file"])
        words.append(f"--authentication-config={path}")
    flags_auth = translate(parse_args(words, "--apiserver-arg"), "--apiserver-arg")
    if "file" not in case:
        return flags_auth
    text = case["file"]
    docs = [d.data for d in load_documents(text, str(path))] if text else []
    config = sources.load_auth_config_file(text, docs, str(path))
    return sources.link_auth_config(flags_auth, config)


@pytest.mark.parametrize("case", RUN, ids=[f"{c['test']}/{c['name']}" for c in RUN])
def test_upstream_option_case(case: dict[str, Any], tmp_path: Path) -> None:
    if "env" in case:
        comp = _Compiler()
        prog = comp.compile(case["expression"], case["env"], "expr", want_bool=case["kind"] == "validation")
        got = [e.body for e in comp.errors]
        if case["expect_err"]:
            assert any(case["expect_err"] in g for g in got), got
        else:
            assert got == [] and prog is not None
        return
    auth = _settings(case, tmp_path)
    if case["test"] == "TestLoadAuthenticationConfig":
        # loadAuthenticationConfig only: decoding, no validation.
        errors = auth.startup_errors
        if case["expect_err"]:
            assert len(errors) == 1 and case["expect_err"] in errors[0]
            assert errors[0].startswith('failed to load authentication configuration from file "')
        else:
            assert errors == []
    else:
        verdict = validate_settings(auth)
        if case.get("expect_err"):
            assert verdict.startup_error is not None and case["expect_err"] in verdict.startup_error
        else:
            assert verdict.startup_error is None
    if "expect_jwt" in case:
        assert [_as_config(a) for a in auth.authenticators] == case["expect_jwt"]
    if "expect_algs" in case:
        assert auth.signing_algs == case["expect_algs"]
    if "expect_anonymous" in case:
        assert auth.anonymous is not None
        assert {"enabled": auth.anonymous.enabled, "conditions": auth.anonymous.condition_paths} == case[
            "expect_anonymous"
        ]


def test_every_skip_has_a_reason_and_most_cases_run() -> None:
    skipped = [c for c in CASES if "skip" in c]
    assert all(len(c["skip"]) > 20 for c in skipped)
    assert len(RUN) >= 65
