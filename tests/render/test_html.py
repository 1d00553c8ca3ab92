"""The HTML page: the pictures (time axis, identity and bindings), settings with their sources,
inputs, version and command line; self-contained, escaped, responsive, dark and printable."""

from __future__ import annotations

import re

import pytest
from render_kit import KUBEAPPS_TIMELINE, NAMES, example_report, with_timeline, without_timeline

from oidc_doctor import __version__
from oidc_doctor.render import render
from oidc_doctor.render.common import Meta

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\''


def _page(name: str = "kubeapps-audience-mismatch", timeline: list[dict[str, str]] | None = None) -> str:
    report = example_report(name)
    if timeline is not None:
        report = with_timeline(report, timeline)
    return render(report, "html", meta=Meta(("diagnose", "--bundle", f"examples/{name}", "-o", "html")))


def test_the_time_axis_has_one_mark_per_moment_on_its_lane() -> None:
    page = _page(timeline=KUBEAPPS_TIMELINE)
    svg = re.search(r'<svg [^>]*class="timeline".*?</svg>', page, re.S)
    assert svg
    marks = re.findall(r'<g class="mark (\w+)" data-kind="([\w-]+)">', svg.group())
    assert len(marks) == len(KUBEAPPS_TIMELINE)
    assert ("failure", "log-failure") in marks and ("failure", "predicted-logout") in marks
    assert ("token", "token-exp") in marks and ("now", "now") in marks
    # each mark says when and what on hover, and the list under the picture says it in words
    assert "<title>3. 2026-11-28T10:24:58Z API server 401 (audience-mismatch)</title>" in svg.group()
    assert page.count("<li value=") == len(KUBEAPPS_TIMELINE)


def test_failures_are_drawn_on_a_row_per_cause() -> None:
    page = _page(timeline=KUBEAPPS_TIMELINE)
    rows = re.findall(r'<text class="lanename" [^>]*>([^<]*)</text>', page)
    assert rows == ["token", "failures: audience-mismatch", "predicted logout: proxy-cookie-refresh-missing", "now"]


def test_marks_at_one_moment_do_not_overlap() -> None:
    page = _page(timeline=KUBEAPPS_TIMELINE)
    centres = re.findall(r'<g class="mark (\w+)"[^>]*><title>[^<]*</title><circle cx="([\d.]+)" cy="([\d.]+)"', page)
    points = [(float(x), float(y)) for _, x, y in centres]
    for i, (x1, y1) in enumerate(points):
        for x2, y2 in points[i + 1 :]:
            assert abs(x1 - x2) >= 16 or abs(y1 - y2) >= 16


def test_a_burst_of_failures_keeps_the_picture_small() -> None:
    burst = [
        {"at": f"2026-11-28T10:24:{s:02d}Z", "kind": "log-failure", "what": "401", "cause": "audience-mismatch"}
        for s in range(60)
    ]
    page = _page(timeline=burst)
    assert len(re.findall(r'<g class="mark failure"', page)) == 60
    height = float(re.search(r'viewBox="0 0 700 ([\d.]+)"', page).group(1))  # type: ignore[union-attr]
    assert height < 200


def test_without_a_timeline_the_page_says_why() -> None:
    report = without_timeline(example_report("kubeapps-audience-mismatch"))
    page = render(report, "html", meta=Meta(("diagnose",)))
    assert '<svg role="img"' not in page
    assert 'id="no-timeline">No time axis: this report carries no timeline' in page


def test_a_bad_timeline_entry_is_left_out_not_fatal() -> None:
    entries = [*KUBEAPPS_TIMELINE[:2], {"at": "yesterday", "kind": "now", "what": "x"}, {"kind": "now"}]
    page = _page(timeline=entries)
    assert len(re.findall(r'<g class="mark ', page)) == 2


def test_hostile_timeline_text_is_escaped() -> None:
    entries = [{"at": "2026-11-28T10:23:12Z", "kind": HOSTILE, "what": HOSTILE, "ref": HOSTILE, "cause": HOSTILE}]
    page = _page(timeline=entries)
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page


def test_near_miss_marks_the_differing_characters() -> None:
    page = _page("rbac-prefix-mismatch")
    assert '<code class="exp"><mark>oidc:</mark>alice@example.com</code>' in page
    assert '<code class="got"><mark class="gap" title="missing here"></mark>alice@example.com</code>' in page
    page = _page("group-name-mismatch-keycloak-path")
    assert '<code class="exp">oidc:<mark>/</mark>dev</code>' in page


def test_the_bindings_that_grant_are_shown_beside_the_identity() -> None:
    page = _page("healthy")
    ident = re.search(r'<section id="identity">.*?</section>', page, re.S)
    assert ident
    assert "<code>oidc:alice@example.com</code>" in ident.group()
    assert '<span class="chip">oidc:dev</span>' in ident.group()
    assert "grants</strong> RoleBinding dev/dev-view → ClusterRole view" in ident.group()


def test_settings_inputs_version_and_command_line() -> None:
    page = _page()
    settings = re.search(r'<section id="settings">.*?</section>', page, re.S)
    assert settings
    assert '<td>--cookie-refresh</td><td class="v">0s</td><td>default: deploy kubeapps/kubeapps' in settings.group()
    inputs = re.search(r'<section id="inputs">.*?</section>', page, re.S)
    assert inputs and "kubeapps-audience-mismatch/kube-apiserver.log" in inputs.group()
    assert "<h3>Used (8)</h3>" in inputs.group()
    footer = re.search(r'<footer id="tool">.*?</footer>', page, re.S)
    assert footer and f"<p>oidc-doctor {__version__}</p>" in footer.group()
    assert "oidc-doctor diagnose --bundle examples/kubeapps-audience-mismatch -o html" in footer.group()


@pytest.mark.parametrize("name", NAMES)
def test_every_page_is_self_contained_responsive_dark_and_printable(name: str) -> None:
    page = _page(name)
    assert "<script" not in page.lower()
    assert "Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline';" in page
    assert '<meta name=viewport content="width=device-width, initial-scale=1">' in page
    assert "@media (prefers-color-scheme:dark)" in page and "@media print" in page
    # nothing is fetched: no external source or link, no url() in the style
    assert not re.search(r'(?:src|href|action)="(?!#)', page) and "url(" not in page
    # the root cause comes before anything else the page shows
    first = example_report(name).findings[0]
    if first.severity == "error":
        assert page.index(f"Most likely root cause: <code>{first.cause}</code>") < page.index('id="timeline"')
