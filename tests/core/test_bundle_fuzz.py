"""Arbitrary file contents never crash the bundle reader: each file is used, listed or named as broken."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidc_doctor.bundle import read_bundle
from oidc_doctor.checks.base import Context
from oidc_doctor.pipeline import run

_YAMLISH = st.sampled_from(
    [
        "apiVersion: v1\nkind: Pod\n",
        "kind: List\nitems:\n",
        "---\n",
        '{"kind": "Status", "code": 401',
        "eyJhbGciOiJSUzI1NiJ9.",
        "Bearer ",
        "E1128 10:00:01.000000       1 authentication.go:73] ",
        "[2026/11/28 10:00:00] [oauthproxy.go:1] ",
        "  - ",
        ": ",
        "\x00",
        "\xff",
    ]
)
_CONTENT = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=400),
    st.lists(st.one_of(_YAMLISH, st.text(max_size=30)), max_size=12).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(_CONTENT, min_size=1, max_size=4))
def test_any_files_give_a_report_never_an_exception(files: list[str | bytes]) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        for i, content in enumerate(files):
            data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
            (folder / f"f{i}").write_bytes(data)
        ev = read_bundle(folder)
        # Every file is accounted for (a document of a multi-document file is named "f0#2").
        assert {r.ref.split("/", 1)[1].split("#")[0] for r in ev.inputs} == {f"f{i}" for i in range(len(files))}
        report = run(ev, Context(now=datetime(2026, 11, 28, tzinfo=UTC)))
        assert report.to_json()["schema"] == "oidc-doctor/report/v1"
