"""Field cases: bundles rebuilt from public bug reports; the first finding must be the cause the thread confirmed.

``cases.json`` holds, per bundle, the thread (``url``), what it confirmed, the expected first cause
(``first``; ``null`` for a healthy setup) and the moment to judge at. Cases the tool gets wrong
today are listed in ``WRONG_TODAY`` with the reason: they are strict xfails, so the suite stays green
and a fixed case fails until it is removed from the list.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fieldcases as field

#: Cases the tool gets wrong today: name -> what it puts first and why. Remove a line when it passes.
WRONG_TODAY: dict[str, str] = {}

#: Cases whose report names one cause more than once today (issue 10: one finding per cause).
DUPLICATED_TODAY: set[str] = set()


def _param(name: str) -> object:
    if name in WRONG_TODAY:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=WRONG_TODAY[name]))
    return name


@pytest.mark.parametrize("name", [_param(n) for n in sorted(field.CASES)])
def test_field_case_names_the_confirmed_cause_first(name: str) -> None:
    outcome = field.judge(name)
    assert outcome.ok, (outcome.problems, outcome.causes[:3])


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="a cause reported twice"))
        if n in DUPLICATED_TODAY
        else n
        for n in sorted(field.CASES)
        if field.CASES[n].get("exit") != 2
    ],
)
def test_no_cause_is_reported_twice(name: str) -> None:
    causes = field.judge(name).causes
    assert len(causes) == len(set(causes)), causes


def test_every_case_has_a_bundle_and_every_bundle_a_case() -> None:
    on_disk = {p.name for p in field.BUNDLES.iterdir() if p.is_dir()}
    assert on_disk == set(field.CASES)
    assert set(WRONG_TODAY) <= set(field.CASES)


def test_every_case_names_its_thread_and_what_it_confirmed() -> None:
    from oidc_doctor.causes import BY_CODE

    for name, case in field.CASES.items():
        assert str(case["url"]).startswith("https://"), name
        assert case["confirmed"] and case["platform"], name
        codes = [case["first"], *case.get("also", [])] if case.get("first") else case.get("also", [])
        for code in codes:
            assert code in BY_CODE or case.get("proposed_code") == code, (name, code)


def test_the_builder_output_is_committed_as_is(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("field_build", Path(__file__).resolve().parent / "build_bundles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        written = module.write(tmp_path)
    finally:
        del sys.modules[spec.name]
    changed = [
        str(p.relative_to(tmp_path))
        for p in written
        if (field.BUNDLES / p.relative_to(tmp_path)).read_bytes() != p.read_bytes()
    ]
    assert not changed, f"run `python tests/field/build_bundles.py` and commit: {changed}"
