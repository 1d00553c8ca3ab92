"""HTML reports of several examples in real headless Chromium: the root cause is in the first
screen, the time axis draws one mark per moment of the report's timeline, nothing is fetched,
nothing is logged to the console, the page fits 420 pixels, follows dark mode and prints its
folded evidence. A screenshot of each page is written under the test output folder
(:data:`browser_kit.OUTPUT`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from browser_kit import OUTPUT, check, chromium, node_ready, shots

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from render_kit import KUBEAPPS_TIMELINE, example_report, with_timeline

from oidc_doctor.pipeline import Report
from oidc_doctor.render import render
from oidc_doctor.render.common import Meta

EXAMPLES = (
    "kubeapps-audience-mismatch",
    "rbac-prefix-mismatch",
    "group-name-mismatch-keycloak-path",
    "proxy-cookie-refresh-missing",
    "token-expired",
    "healthy",
)


def _pages() -> list[tuple[str, Report]]:
    pages = [(name, example_report(name)) for name in EXAMPLES]
    # one page with the session's timeline given, so the axis is drawn whatever the diagnosis computes
    pages.append(
        ("kubeapps-timeline", with_timeline(example_report("kubeapps-audience-mismatch"), KUBEAPPS_TIMELINE))
    )
    return pages


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Report, dict[str, Any]]]:
    exe = chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")
    why = node_ready()
    assert not why, why
    work = tmp_path_factory.mktemp("pages")
    specs, reports = [], {}
    for name, report in _pages():
        html = work / f"{name}.html"
        html.write_text(render(report, "html", meta=Meta(("diagnose", "--bundle", f"examples/{name}", "-o", "html"))))
        specs.append({"name": name, "html": str(html), "shots": shots(name, OUTPUT)})
        reports[name] = report
    # a control page without our policy, which fetches and logs: proves the driver sees both
    control = work / "control.html"
    control.write_text(
        '<!doctype html><title>control</title><div id="verdict">x</div>'
        '<img src="http://127.0.0.1:9/x.png"><script>console.error("control")</script>'
    )
    specs.append({"name": "control", "html": str(control), "shots": shots("control", work)})
    reports["control"] = example_report("healthy")
    return {r["name"]: (reports[r["name"]], r) for r in check(specs, exe, work)}


def test_the_driver_sees_requests_and_console_errors(seen: dict[str, tuple[Report, dict[str, Any]]]) -> None:
    _, got = seen["control"]
    assert got["requests"] == ["http://127.0.0.1:9/x.png"]
    assert "control" in got["consoleErrors"]


@pytest.mark.parametrize("name", [*EXAMPLES, "kubeapps-timeline"])
def test_page_in_chromium(seen: dict[str, tuple[Report, dict[str, Any]]], name: str) -> None:
    report, got = seen[name]
    assert got["consoleErrors"] == [], got["consoleErrors"]
    assert got["requests"] == [], got["requests"]
    # the root cause is in the first screen (1280x800), whole
    box = got["verdict"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= got["viewport"]["height"], box
    first = next((f for f in report.findings if f.severity == "error"), None)
    if first is not None:
        assert f"Most likely root cause: {first.cause}" in got["verdictText"]
    # one drawn mark per moment of the timeline; without one, the page says so
    timeline = report.to_json().get("timeline")
    if timeline:
        assert len(got["marks"]) == len(timeline)
        assert all(m["w"] > 0 and m["h"] > 0 for m in got["marks"])
        assert not got["noTimeline"]
    else:
        assert got["marks"] == [] and got["noTimeline"]
    # no sideways scrolling at 420 pixels
    assert got["narrow"]["scrollWidth"] <= got["narrow"]["clientWidth"] <= 420, got["narrow"]
    assert got["light"] != got["dark"]
    if got["printShowsFolded"] is not None:
        assert got["printShowsFolded"], "folded evidence is hidden in print"
    for kind in ("wide", "narrow", "dark"):
        assert Path(shots(name, OUTPUT)[kind]).stat().st_size > 10_000


def test_the_timeline_page_draws_every_kind_of_moment(seen: dict[str, tuple[Report, dict[str, Any]]]) -> None:
    _, got = seen["kubeapps-timeline"]
    assert sorted(m["kind"] for m in got["marks"]) == sorted(e["kind"] for e in KUBEAPPS_TIMELINE)
