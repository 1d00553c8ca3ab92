"""Only each Helm release's current revision is decoded whole (issue 16), with the answer of before.

Helm keeps ten revisions of a release; a cluster's ``kubectl get secret -l owner=helm -A`` holds
them all, and decoding and masking every one (twice: the proxy deriver and the Headlamp finder)
took 13.8 s on 2,000 records. ``helm.latest_records`` ranks the revisions by their header and
decodes only the winners; it must give what ``latest([decode_release(...)])`` gave: the same
winners, ties, order and errors (except damage inside a revision that is not current, which is
no longer decoded: said in docs/proxy.md).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_doctor.errors import InputError
from oidc_doctor.proxy import helm


def _secret(payload: Any, labels: dict[str, str] | None = None, raw: str | None = None) -> dict[str, Any]:
    encoded = raw if raw is not None else helm.encode_release(payload)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {"namespace": "ns", "labels": labels or {}},
        "data": {"release": base64.b64encode(encoded.encode()).decode()},
    }


def _payload(name: str, version: Any, status: Any, chart_version: str = "1.0.0") -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "ns",
        "version": version,
        "info": {"status": status},
        "chart": {
            "metadata": {"name": "kubeapps", "version": chart_version},
            "values": {"authProxy": {"enabled": True, "clientSecret": "s3cr3t-value-1"}},
            "templates": [{"name": "t.yaml", "data": base64.b64encode(b"kind: x\n" * 50).decode()}],
        },
        "config": {"authProxy": {"cookieRefresh": "2m"}},
        "manifest": "---\nkind: ConfigMap\n" * 50,
    }


def _before(records: list[tuple[Any, str]]) -> tuple[list[helm.HelmRelease], list[str]]:
    decoded, errors = [], []
    for secret, where in records:
        try:
            decoded.append(helm.decode_release(secret, where))
        except InputError as e:
            errors.append(str(e))
    return helm.latest(decoded), errors


_RECORD = st.one_of(
    st.builds(
        lambda n, v, s, cv: _secret(_payload(n, v, s, cv)),
        st.sampled_from(["a", "b", ""]),
        st.one_of(st.integers(0, 12), st.sampled_from(["3", "x", None])),
        st.sampled_from(["deployed", "superseded", "failed", None]),
        st.sampled_from(["1.0.0", "2.0.0"]),
    ),
    # the payload leaves name, version and status to the Secret's labels
    st.builds(
        lambda n, v: _secret({"chart": {"metadata": {"name": "c"}}}, {"name": n, "version": v, "status": "deployed"}),
        st.sampled_from(["a", "b"]),
        st.sampled_from(["1", "2", "9"]),
    ),
    # broken records
    st.sampled_from(
        [
            {"kind": "Secret", "type": "helm.sh/release.v1", "data": {}},
            _secret(None, raw="!!! not base64 !!!"),
            _secret(None, raw=base64.b64encode(b"[1, 2]").decode()),
            _secret(None, raw=base64.b64encode(b"{not json").decode()),
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_RECORD, max_size=8))
def test_the_same_current_revisions_and_errors_as_decoding_them_all(secrets: list[dict[str, Any]]) -> None:
    records = [(s, f"r{i}") for i, s in enumerate(secrets)]
    assert helm.latest_records(records) == _before(records)


def test_only_the_current_revision_is_decoded_whole(monkeypatch: Any) -> None:
    records = [(_secret(_payload("a", v, "superseded" if v < 9 else "deployed")), f"v{v}") for v in range(1, 10)]
    whole: list[str] = []
    decode = helm.decode_release

    def counting(secret: Any, where: str) -> helm.HelmRelease:
        whole.append(where)
        return decode(secret, where)

    monkeypatch.setattr(helm, "decode_release", counting)
    (current,), errors = helm.latest_records(records)
    assert (current.revision, current.status, errors) == (9, "deployed", [])
    assert whole == ["v9"]
    assert current.values["authProxy"]["clientSecret"] == helm.REDACTED


def test_a_current_revision_whose_header_reads_but_whose_record_does_not_is_left_out_as_before() -> None:
    # 1e999 is infinity to msgspec (the header reader) and an error to orjson (the whole record).
    bad = json.dumps(_payload("a", 5, "deployed")).replace('"manifest"', '"x": 1e999, "manifest"')
    records = [
        (_secret(_payload("a", 4, "deployed")), "v4"),
        (_secret(None, raw=base64.b64encode(bad.encode()).decode()), "v5"),
    ]
    assert helm.latest_records(records) == _before(records)
    (current,), (error,) = helm.latest_records(records)
    assert current.revision == 4 and "v5" in error
