"""Facts are derived once, in one order, and never written afterwards; checks run on facts built directly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks import all_checks
from oidc_doctor.checks.base import Context
from oidc_doctor.evidence import Evidence
from oidc_doctor.facts import Facts, identity_of
from oidc_doctor.model import AuthenticatorSummary, Identity, ObservedFailure, Status
from oidc_doctor.pipeline import derive_all

NOW = datetime(2026, 11, 28, 10, 25, 12, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_writing_to_a_facts_record_or_the_context_raises() -> None:
    ctx = derive_all(read_bundle(EXAMPLES / "healthy"), Context(now=NOW))
    with pytest.raises(AttributeError, match="frozen"):
        ctx.facts.identity = None
    with pytest.raises(AttributeError, match="frozen"):
        ctx.facts = Facts()
    assert ctx.facts.authn is not None
    with pytest.raises(AttributeError):
        ctx.facts.authn.prediction = None  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field"):
        ctx.facts.but(extra={})


def test_derive_all_fills_every_area_of_a_bundle() -> None:
    f = derive_all(read_bundle(EXAMPLES / "healthy"), Context(now=NOW)).facts
    assert f.primary is not None and f.token_claims is not None and f.token_claims["email"] == "alice@example.com"
    assert f.authenticators is not None and f.authenticators[0].username_prefix == "oidc:"
    assert f.prediction is not None and f.prediction.authenticated
    assert f.identity is not None and (f.identity.username, f.identity.source) == (
        "oidc:alice@example.com",
        "prediction",
    )
    assert f.rbac is not None and f.rbac.index is not None and not isinstance(f.rbac.analysis, str)
    assert f.proxy is not None and f.proxy.configs


def test_identity_precedence_is_one_rule() -> None:
    quoted = ObservedFailure("forbidden", "error.txt", "pods is forbidden", status=403, user="oidc:bob")
    reviewed = Identity("oidc:alice", ["oidc:dev"], source="selfsubjectreview")
    assert identity_of(Facts()) is None
    assert identity_of(Facts(reviewed=reviewed, failures=(quoted,))) is reviewed
    from_403 = identity_of(Facts(failures=(quoted,)))
    assert from_403 is not None and (from_403.username, from_403.source) == ("oidc:bob", "forbidden-message")


def test_every_check_runs_on_facts_built_directly_without_derivers() -> None:
    auth = AuthenticatorSummary("https://idp.example.com", ("kubernetes",), "email", "oidc:", "groups", "oidc:", "pod")
    facts = Facts(
        token_claims={"iss": "https://idp.example.com", "email": "alice@example.com", "groups": ["dev"]},
        token_ref="id_token.txt",
        token_lifetime_s=300.0,
        token_size=900,
        authenticators=(auth,),
        identity=Identity("oidc:alice@example.com", ["oidc:dev"]),
        failures=(ObservedFailure("unauthorized", "--error", "Unauthorized", status=401),),
    )
    ctx = Context(now=NOW, facts=facts)
    for check in all_checks():
        result = check.run(Evidence(), ctx)
        # Nothing to look at beyond the facts: no check may claim a pass it could not see.
        assert result.status in (Status.PASS, Status.FAIL, Status.UNKNOWN, Status.SKIPPED), check.id
        assert all(f.cause in check.causes for f in result.findings), check.id
    assert ctx.facts is facts  # checks only read
