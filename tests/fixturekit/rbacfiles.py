"""The RBAC objects of the repository's fixture and example files, for the typed-reader parity tests.

Both typed readers (JSON: ``loader.typed_rbac``; kubectl's YAML: ``rbac.yamllist``) are held to the
answers the general path gives on these files, and to the same diagnosis of every example.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oidc_doctor.cli import main
from oidc_doctor.io import IO
from oidc_doctor.loader import load_documents

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_FILES = [
    ROOT / "tests" / "rbac" / "fixtures" / "cluster-rbac.yaml",
    ROOT / "tests" / "rbac" / "parity" / "docs-rbac.yaml",
    *sorted((ROOT / "examples").glob("*/rbac.yaml")),
]
RBAC_EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/rbac.yaml"))
RBAC_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def rbac_dicts(path: Path) -> list[dict[str, Any]]:
    """The RBAC objects of one file, as the general path reads them."""
    docs = [d.data for d in load_documents(path.read_bytes(), str(path))]
    return [d for d in docs if isinstance(d, dict) and d.get("kind") in RBAC_KINDS]


def diagnose_json(bundle_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``diagnose`` of a bundle at the examples' moment, as its JSON report."""
    main(["diagnose", "--bundle", str(bundle_dir), "--now", "2026-11-28T10:25:12Z", "--format", "json"], IO())
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out
