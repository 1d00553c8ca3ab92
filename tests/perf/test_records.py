"""The plain record classes behave like the dataclasses they replace: ==, repr, defaults, frozen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oidc_doctor.causes import BY_CODE, Severity
from oidc_doctor.checks.base import Check, Context, Options
from oidc_doctor.evidence import Evidence, Item, Kind
from oidc_doctor.facts import Facts
from oidc_doctor.model import AuthenticatorSummary, CheckResult, EvidenceRef, Finding, Identity, Origin, Status


def test_records_are_equal_field_by_field_and_only_to_their_own_class() -> None:
    a = Finding("audience-mismatch", "t", [EvidenceRef("token", "r", "x")])
    b = Finding("audience-mismatch", "t", [EvidenceRef("token", "r", "x")])
    assert a == b
    b.rank = 1
    assert a != b
    assert CheckResult(Status.PASS) != Identity("pass")
    assert Options() == Options() and Options(offline=True) != Options()


def test_repr_names_every_field_in_order() -> None:
    assert repr(EvidenceRef("token", "r", "x")) == "EvidenceRef(source='token', ref='r', text='x')"
    assert repr(Item(Kind.JWKS, "j", {})) == "Item(kind=<Kind.JWKS: 'jwks'>, ref='j', data={}, path=None, line=None)"


def test_mutable_defaults_are_fresh_for_each_record() -> None:
    one, two = Evidence(), Evidence()
    one.items.append(Item(Kind.TOKEN, "t", "x"))
    assert two.items == [] and Facts().failures == () and Context(datetime.now(UTC)).facts is not Facts()
    ctx = Context(datetime(2026, 1, 1, tzinfo=UTC))
    assert ctx.now_source == "clock" and ctx.options == Options() and ctx.facts.tokens == ()


def test_a_finding_takes_severity_and_fix_from_the_catalogue_and_refuses_unknown_codes() -> None:
    f = Finding("proxy-authorization-header-exposed", "t")
    assert f.severity == BY_CODE["proxy-authorization-header-exposed"].severity == Severity.WARNING
    assert f.fix == BY_CODE["proxy-authorization-header-exposed"].fix and f.origin == Origin.PREDICTED
    entry = BY_CODE["proxy-authorization-header-exposed"]
    assert f.rank == entry.rank and f.evidence == [] and f.explains == entry.explains and f.check == ""
    mine = Finding("proxy-authorization-header-exposed", "t", fix="mine", severity=Severity.ERROR)
    assert mine.fix == "mine" and mine.severity == Severity.ERROR
    with pytest.raises(ValueError, match="unknown cause code"):
        Finding("no-such-cause", "t")


def test_frozen_records_refuse_assignment_and_hash_by_fields() -> None:
    ref = EvidenceRef("token", "r", "x")
    with pytest.raises(AttributeError):
        ref.text = "y"
    with pytest.raises(AttributeError):
        BY_CODE["token-expired"].fix = "nothing"
    assert len({ref, EvidenceRef("token", "r", "x")}) == 1
    summary = AuthenticatorSummary("https://i", ("k",), "sub", "", "groups", "", "flags")
    assert summary.username_expression is None and hash(summary) == hash(
        AuthenticatorSummary("https://i", ("k",), "sub", "", "groups", "", "flags")
    )
    check = Check("x", (), lambda ev, ctx: CheckResult.passed(), "s")
    assert check.run(Evidence(), Context(datetime(2026, 1, 1, tzinfo=UTC))).status == Status.PASS


def test_mutable_records_are_unhashable_like_dataclasses() -> None:
    with pytest.raises(TypeError):
        hash(Finding("token-expired", "t"))


def test_records_survive_copy_and_pickle() -> None:
    import copy
    import pickle

    ref = EvidenceRef("token", "r", "x")
    assert copy.deepcopy(ref) == ref and pickle.loads(pickle.dumps(ref)) == ref  # noqa: S301 - our own bytes
    assert copy.copy(BY_CODE["token-expired"]) == BY_CODE["token-expired"]
    finding = Finding("token-expired", "t", [ref], rank=3)
    clone = copy.deepcopy(finding)
    assert clone == finding and clone.evidence is not finding.evidence
    assert pickle.loads(pickle.dumps(finding)) == finding  # noqa: S301 - our own bytes
