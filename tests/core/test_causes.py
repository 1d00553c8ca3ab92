"""The cause catalogue is complete, matches its generated doc, and every check names real codes."""

from __future__ import annotations

import re
from pathlib import Path

from oidc_doctor.causes import BY_CODE, CATALOGUE, Severity, render_markdown
from oidc_doctor.checks import all_checks

ROOT = Path(__file__).resolve().parents[2]
SHARED_CAUSES = ROOT.parent / "shared" / "CAUSES.md"


def test_docs_causes_md_is_generated_from_the_catalogue() -> None:
    assert (ROOT / "docs" / "causes.md").read_text() == render_markdown()


def test_codes_are_unique_and_kebab_case() -> None:
    codes = [c.code for c in CATALOGUE]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", c) for c in codes)


def test_default_severities_follow_the_contract() -> None:
    assert BY_CODE["proxy-authorization-header-exposed"].severity == Severity.WARNING
    assert BY_CODE["token-accepted"].severity == Severity.INFO
    others = [c for c in CATALOGUE if c.code not in ("proxy-authorization-header-exposed", "token-accepted")]
    assert all(c.severity == Severity.ERROR for c in others)


def test_every_contract_code_is_in_the_catalogue() -> None:
    # The contract lives beside the project (CI lays shared/ next to the clone); the copy of the
    # code list below keeps the test meaningful where shared/ is absent.
    contract = {
        "oidc-not-configured", "oidc-config-invalid", "issuer-unreachable", "issuer-ca-untrusted",
        "discovery-issuer-mismatch", "token-malformed", "token-expired", "token-not-yet-valid",
        "issuer-mismatch", "audience-mismatch", "wrong-token-type", "signing-alg-not-allowed",
        "signature-invalid", "username-claim-missing", "email-not-verified", "groups-claim-missing",
        "groups-claim-invalid", "groups-distributed-claims", "required-claim-mismatch",
        "claim-mapping-error", "username-prefix-mismatch", "username-claim-mismatch",
        "group-name-mismatch", "rbac-no-binding", "rbac-insufficient-permissions",
        "proxy-cookie-refresh-missing", "proxy-cookie-refresh-too-long", "proxy-refresh-unsupported",
        "proxy-token-not-forwarded", "proxy-authorization-header-exposed", "proxy-header-too-large",
        "proxy-config-invalid", "token-accepted",
    }  # fmt: skip
    if SHARED_CAUSES.exists():
        contract |= set(re.findall(r"^\| `([a-z-]+)` \|", SHARED_CAUSES.read_text(), re.MULTILINE))
    assert contract <= set(BY_CODE)


def test_check_ids_are_unique_and_name_known_causes() -> None:
    checks = all_checks()
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids))
    for c in checks:
        assert c.causes, c.id
        assert set(c.causes) <= set(BY_CODE), c.id
        assert re.fullmatch(r"[a-z]+\.[a-z0-9.-]+", c.id), c.id


def test_the_causal_graph_names_real_codes_and_has_no_cycle() -> None:
    from oidc_doctor.causes import Failure, consequences

    for c in CATALOGUE:
        assert set(c.explains) <= set(BY_CODE), c.code
        assert c.code not in consequences(c.code), f"{c.code} explains itself through {sorted(consequences(c.code))}"
        assert all(isinstance(a, Failure) for a in c.answers), c.code
        assert c.fix.strip(), f"{c.code} has no fix template"
    # Each failure kind is answered by some cause, and every error cause answers one (or is a session risk).
    for kind in Failure:
        assert any(kind in c.answers for c in CATALOGUE), kind


def test_a_root_cause_of_a_consequence_answers_what_the_consequence_answers_or_is_known_to_differ() -> None:
    # Guard against graph edges that would move an unrelated cause first: a root must share at least
    # one observed failure kind with what it explains, unless the consequence answers none.
    for c in CATALOGUE:
        for x in c.explains:
            theirs = set(BY_CODE[x].answers)
            assert not theirs or set(c.answers) & theirs, (c.code, x)


def test_every_cause_has_one_fix_template_whose_slots_all_have_defaults() -> None:
    from oidc_doctor.causes import template_slots

    for c in CATALOGUE:
        names = template_slots(c.fix)
        assert names == {k for k, _ in c.slots}, f"{c.code}: slots {sorted(names)} vs defaults {c.slots}"
        text = c.fix_text()
        assert text.strip() and "{" not in text and "}" not in text, c.code


def _fix_for_calls() -> list[tuple[str, str, set[str]]]:
    """(file:line, code, slot names) of every ``fix_for("code", slot=...)`` call in the package."""
    import ast

    out = []
    for path in sorted((ROOT / "oidc_doctor").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "fix_for"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                out.append((where, str(node.args[0].value), {k.arg for k in node.keywords if k.arg}))
    return out


def test_every_slot_a_check_fills_exists_and_renders() -> None:
    from oidc_doctor.causes import fix_for
    from oidc_doctor.checks.authn import FIX_SLOTS

    calls = _fix_for_calls()
    assert len(calls) >= 4, calls  # the checks word their fixes through the catalogue
    filled = [(w, code, names) for w, code, names in calls]
    filled += [("checks/authn.py FIX_SLOTS", code, set(names)) for code, names in FIX_SLOTS.items()]
    for where, code, names in filled:
        assert code in BY_CODE, where
        slots = BY_CODE[code].slot_names()
        assert names <= slots, f"{where}: {code} has no slot(s) {sorted(names - slots)}"
        text = fix_for(code, **{n: f"<{n}>" for n in names})
        assert all(f"<{n}>" in text for n in names) and "{" not in text, (where, text)


def test_a_missing_or_unknown_slot_is_refused() -> None:
    import pytest

    from oidc_doctor.causes import Cause

    c = Cause("x-test", "none", "m", "e", "set {flag} now")
    with pytest.raises(ValueError, match="no value for slot"):
        c.fix_text()
    with pytest.raises(ValueError, match="has no slot"):
        BY_CODE["token-accepted"].fix_text(flag="x")
    filled = Cause("x-test", "none", "m", "e", "set {flag} now", slots={"flag": "--a"})
    assert filled.fix_text(flag="--b") == "set --b now" and filled.fix_text() == "set --a now"
