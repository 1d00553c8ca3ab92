"""``record.dataclass`` behaves like ``dataclasses.dataclass`` for what the authn engine uses, and
``predict`` no longer imports :mod:`dataclasses` (issue 16: start-up)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.record import FrozenInstanceError, dataclass, field, replace

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Inner:
    claim: str = ""
    prefix: str | None = None


@dataclass
class Outer:
    name: str
    inner: Inner = field(default_factory=Inner)
    tags: list[str] = field(default_factory=list)
    algs: list[str] = field(default_factory=lambda: ["RS256"])
    count: int = 0


@dataclass(frozen=True)
class Version:
    major: int
    minor: int = 0


@dataclasses.dataclass
class RealOuter:
    name: str
    inner: Inner = dataclasses.field(default_factory=Inner)
    tags: list[str] = dataclasses.field(default_factory=list)
    algs: list[str] = dataclasses.field(default_factory=lambda: ["RS256"])
    count: int = 0


def test_construction_defaults_and_repr_match_the_real_dataclass() -> None:
    ours, real = Outer("a", count=2), RealOuter("a", count=2)
    assert repr(ours).replace("Outer", "X") == repr(real).replace("RealOuter", "X")
    assert Outer("a").tags is not Outer("a").tags  # fresh factory values
    assert Outer("a", Inner("email"), ["x"]).inner == Inner("email", None)
    assert Outer.count == 0 and Outer.__match_args__ == ("name", "inner", "tags", "algs", "count")
    outer: Any = Outer  # the type checker refuses these calls too
    inner: Any = Inner
    for args, kwargs in (((), {}), (("a",), {"nope": 1}), (("a",), {"name": "b"})):
        with pytest.raises(TypeError):
            outer(*args, **kwargs)
    with pytest.raises(TypeError):
        inner("", "", 1)


def test_equality_hashing_and_frozen_fields() -> None:
    other: object = RealOuter("a")
    assert Outer("a") == Outer("a") and Outer("a") != Outer("b") and Outer("a") != other
    with pytest.raises(TypeError):
        hash(Outer("a"))  # mutable, compared by value: unhashable, as a dataclass
    assert hash(Version(1, 2)) == hash(Version(1, 2)) and {Version(1): 1}[Version(1, 0)] == 1
    v = Version(1)
    with pytest.raises(FrozenInstanceError):
        v.major = 2  # type: ignore[misc]
    assert isinstance(FrozenInstanceError(), AttributeError)
    o = Outer("a")
    o.count = 3
    assert o.count == 3


def test_replace_and_the_dataclasses_module_functions_work_on_them() -> None:
    o = Outer("a", tags=["t"])
    assert replace(o, count=5) == Outer("a", tags=["t"], count=5)
    with pytest.raises(TypeError):
        replace(o, nope=1)
    assert dataclasses.is_dataclass(o)
    assert [f.name for f in dataclasses.fields(o)] == ["name", "inner", "tags", "algs", "count"]
    assert dataclasses.replace(o, name="b") == Outer("b", tags=["t"])
    assert dataclasses.asdict(o) == {
        "name": "a",
        "inner": {"claim": "", "prefix": None},
        "tags": ["t"],
        "algs": ["RS256"],
        "count": 0,
    }
    assert dataclasses.replace(Version(1), minor=3) == Version(1, 3)


def test_a_mutable_default_is_refused_as_by_dataclasses() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @dataclass
        class Bad:
            items: list[str] = []  # noqa: RUF012


CHILD = """
import json, sys
from oidc_doctor.cli import main
status = main(sys.argv[1:])
sys.stderr.write(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def test_predict_with_flags_imports_no_dataclasses(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_authn
    finally:
        sys.path.pop(0)
    bench_authn.DATA = tmp_path
    bench_authn.make_data()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    argv = [
        "predict",
        "--token",
        f"@{tmp_path / 'token.jwt'}",
        "--jwks",
        str(tmp_path / "jwks.json"),
        "--format",
        "json",
        "--now",
        "2026-11-28T10:25:12Z",
        "--apiserver-arg=--oidc-issuer-url=https://idp.example.com",
        "--apiserver-arg=--oidc-client-id=kubernetes",
    ]
    done = subprocess.run(
        [sys.executable, "-S", "-c", CHILD, *argv], capture_output=True, text=True, env=env, check=False, timeout=60
    )
    result = json.loads(done.stderr)
    assert result["status"] == 0, done.stderr
    assert "oidc_doctor.authn.verify" in result["modules"]
    assert [m for m in ("dataclasses", "inspect") if m in result["modules"]] == []


def test_post_init_runs_after_the_fields_are_set() -> None:
    from oidc_doctor.record import dataclass as light

    @light(frozen=True)
    class Masked:
        value: str = ""

        def __post_init__(self) -> None:
            object.__setattr__(self, "value", self.value.upper())

    assert Masked("secret").value == "SECRET"
    assert Masked(value="x").value == "X"
