"""Helm release records: decode a ``helm.sh/release.v1`` Secret into chart name, version and values.

Storage format (upstream ``helm/helm`` ``pkg/storage/driver/util.go``): ``encodeRelease`` is
``json.Marshal`` → gzip (best compression) → ``base64.StdEncoding``; ``decodeRelease`` skips the
gunzip when the gzip magic ``1f 8b 08`` is absent (releases stored before compression). The Secret
driver stores that string under ``data.release``, and like every Secret value Kubernetes
base64-encodes it once more. Only the chart name, version and the values are kept here: the
rendered manifest, templates and files are dropped, and any value under a key that looks secret
is replaced by ``<redacted>`` (BUNDLE.md).
"""

from __future__ import annotations

import base64
import binascii
import gzip
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson

from oidc_doctor.errors import InputError
from oidc_doctor.secrets import REDACTED as REDACTED
from oidc_doctor.secrets import mask_tree

_GZIP_MAGIC = b"\x1f\x8b\x08"


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (release records are hostile input)."""
    return value if isinstance(value, dict) else {}


@dataclass
class HelmRelease:
    """What the tool keeps of one Helm release record."""

    name: str
    namespace: str
    revision: int
    status: str
    chart: str
    chart_version: str
    app_version: str
    #: Effective values: the chart's defaults overlaid with the user-supplied values, masked.
    values: dict[str, Any] = field(default_factory=dict)
    #: Only what the user supplied (``helm get values``), masked.
    user_values: dict[str, Any] = field(default_factory=dict)
    ref: str = ""


def mask(value: Any) -> Any:
    """A copy of parsed values with every credential masked (the one policy: :mod:`oidc_doctor.secrets`)."""
    return mask_tree(value)


def merge_values(defaults: Any, overrides: Any) -> Any:
    """Helm's coalescing of user values over chart defaults: maps merge, everything else replaces."""
    if isinstance(defaults, dict) and isinstance(overrides, dict):
        out = dict(defaults)
        for k, v in overrides.items():
            out[k] = merge_values(defaults.get(k), v) if k in defaults else v
        return out
    return overrides if overrides is not None else defaults


#: Larger than any real release record (Secrets hold at most 1 MiB compressed).
MAX_RELEASE_BYTES = 128 << 20


def _payload_bytes(data: str | bytes, where: str) -> bytes:
    """Helm's own encoding (base64 of gzipped JSON) → the release JSON's bytes (bounded)."""
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as e:
        raise InputError(where, f"Helm release is not base64: {e}") from e
    if raw[:3] == _GZIP_MAGIC:
        import zlib

        # bounded: a gzip bomb in a bundle (or a hostile cluster) must not fill memory
        inflater = zlib.decompressobj(wbits=31)
        try:
            raw = inflater.decompress(raw, MAX_RELEASE_BYTES + 1)
        except zlib.error as e:
            raise InputError(where, f"Helm release is not valid gzip: {e}") from e
        if len(raw) > MAX_RELEASE_BYTES:
            raise InputError(where, "Helm release decompresses to more than 128 MiB: not read")
    return raw


def decode_payload(data: str | bytes, where: str) -> dict[str, Any]:
    """Helm's own encoding (base64 of gzipped JSON) → the release JSON object."""
    raw = _payload_bytes(data, where)
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise InputError(where, f"Helm release is not JSON after decoding: {e}") from e
    if not isinstance(obj, dict):
        raise InputError(where, "Helm release is not a JSON object")
    return obj


def _encoded(secret: Any, where: str) -> str | bytes:
    """The Helm-encoded release of a Secret (``data.release`` unwrapped once, or ``stringData``)."""
    secret = as_dict(secret)
    data = as_dict(secret.get("data"))
    if isinstance(data, dict) and isinstance(data.get("release"), str):
        try:
            return base64.b64decode(data["release"], validate=False)
        except (binascii.Error, ValueError) as e:
            raise InputError(where, f"data.release is not base64: {e}") from e
    string_data = as_dict(secret.get("stringData"))
    if isinstance(string_data, dict) and isinstance(string_data.get("release"), str):
        return str(string_data["release"])
    raise InputError(where, "Helm release Secret has no data.release")


def release_payload(secret: Any, where: str) -> dict[str, Any]:
    """The release JSON of a Secret of type ``helm.sh/release.v1`` (``data`` or ``stringData``)."""
    return decode_payload(_encoded(secret, where), where)


def _identity(payload: dict[str, Any], secret: Any) -> tuple[str, str, int, str]:
    """A release's name, namespace, revision and status: the payload's, else the Secret's labels."""
    meta = as_dict(as_dict(secret).get("metadata"))
    labels = as_dict(meta.get("labels"))
    info = as_dict(payload.get("info"))
    try:
        revision = int(payload.get("version") or labels.get("version") or 0)
    except (TypeError, ValueError):
        revision = 0
    return (
        str(payload.get("name") or labels.get("name") or ""),
        str(payload.get("namespace") or meta.get("namespace") or ""),
        revision,
        str(info.get("status") or labels.get("status") or ""),
    )


def decode_release(secret: Any, where: str) -> HelmRelease:
    """Decode one Helm release Secret; raises :class:`InputError` naming ``where`` when broken."""
    payload = release_payload(secret, where)
    chart = as_dict(payload.get("chart"))
    chart_meta = as_dict(chart.get("metadata"))
    defaults = as_dict(chart.get("values"))
    user = as_dict(payload.get("config"))
    name, namespace, revision, status = _identity(payload, secret)
    return HelmRelease(
        name=name,
        namespace=namespace,
        revision=revision,
        status=status,
        chart=str(chart_meta.get("name") or ""),
        chart_version=str(chart_meta.get("version") or ""),
        app_version=str(chart_meta.get("appVersion") or ""),
        values=mask(merge_values(defaults if isinstance(defaults, dict) else {}, user)),
        user_values=mask(user if isinstance(user, dict) else {}),
        ref=where,
    )


class _Header(msgspec.Struct):
    """The fields of a release JSON that :func:`latest` ranks by; the decoder skips the rest (the
    chart's templates and files, the rendered manifest: most of a record)."""

    name: Any = None
    namespace: Any = None
    version: Any = None
    info: Any = None


_HEADER = msgspec.json.Decoder(_Header)


def _rank_of(secret: Any, where: str) -> tuple[tuple[str, str], tuple[bool, int]]:
    """The key and rank :func:`latest` gives a record, from its header alone when that decodes;
    otherwise from the whole record (which raises, with its own words, when it is broken)."""
    try:
        h = _HEADER.decode(_payload_bytes(_encoded(secret, where), where))
        payload = {"name": h.name, "namespace": h.namespace, "version": h.version, "info": h.info}
    except (msgspec.DecodeError, InputError):
        r = decode_release(secret, where)
        return (r.namespace, r.name), (r.status == "deployed", r.revision)
    name, namespace, revision, status = _identity(payload, secret)
    return (namespace, name), (status == "deployed", revision)


def latest_records(records: list[tuple[Any, str]]) -> tuple[list[HelmRelease], list[str]]:
    """``latest`` of the decoded records ``(secret, where)``, and the errors of those that do not
    decode, as ``[decode_release(...)]`` then :func:`latest` would give them. Helm keeps ten
    revisions of each release: only each release's current one is decoded and masked whole (its
    values are all the checks read); the others are ranked by their header."""
    best: dict[tuple[str, str], tuple[tuple[bool, int], Any, str]] = {}
    errors: list[str] = []
    for secret, where in records:
        try:
            key, rank = _rank_of(secret, where)
        except InputError as e:
            errors.append(str(e))
            continue
        cur = best.get(key)
        if cur is None or rank > cur[0]:
            best[key] = (rank, secret, where)
    try:
        return [decode_release(secret, where) for _, secret, where in best.values()], errors
    except InputError:
        # A current revision whose header decodes but whose whole record does not: rank them all
        # the slow way, which leaves that one out as it always did.
        decoded: list[HelmRelease] = []
        errors = []
        for secret, where in records:
            try:
                decoded.append(decode_release(secret, where))
            except InputError as e:
                errors.append(str(e))
        return latest(decoded), errors


def encode_release(payload: dict[str, Any]) -> str:
    """Helm's encoding of a release JSON (for building test fixtures and round trips)."""
    import json

    return base64.b64encode(gzip.compress(json.dumps(payload).encode(), compresslevel=9)).decode()


#: ``HelmRelease.status`` of a release made from a values file alone (no record, no chart version).
VALUES_FILE = "values file"

#: Top-level keys of the Kubeapps chart's values besides ``authProxy`` (bitnami/kubeapps values.yaml).
_KUBEAPPS_KEYS = ("frontend", "dashboard", "apprepository", "kubeappsapis", "kubeops", "packaging", "postgresql")


def is_kubeapps_values(obj: dict[str, Any]) -> bool:
    """A Kubeapps values file (``helm get values`` or the user's values.yaml): ``authProxy`` beside
    another key of the chart, or ``authProxy`` with the auth proxy's own keys."""
    ap = obj.get("authProxy")
    if not isinstance(ap, dict):
        return False
    own = ("provider", "clientID", "cookieRefresh", "extraFlags", "additionalFlags", "cookieSecret", "oauthLoginURI")
    return any(k in obj for k in _KUBEAPPS_KEYS) or sum(k in ap for k in own) >= 2


def from_values_file(values: dict[str, Any], ref: str) -> HelmRelease:
    """A Kubeapps release known only by its user values: no name, namespace or chart version, and
    none of the chart's defaults (what the file leaves out depends on the chart version)."""
    masked = mask(values)
    return HelmRelease(
        name="",
        namespace="",
        revision=0,
        status=VALUES_FILE,
        chart="kubeapps",
        chart_version="",
        app_version="",
        values=masked,
        user_values=masked,
        ref=ref,
    )


def latest(releases: list[HelmRelease]) -> list[HelmRelease]:
    """The current revision of each release: the highest ``deployed`` one, else the highest."""
    best: dict[tuple[str, str], HelmRelease] = {}
    for r in releases:
        key = (r.namespace, r.name)
        cur = best.get(key)
        rank = (r.status == "deployed", r.revision)
        if cur is None or rank > (cur.status == "deployed", cur.revision):
            best[key] = r
    return list(best.values())
