"""Shapes shared by the proxy readers: safe access to hostile manifest dicts, and a refused setting.

Kept apart from ``settings.py`` so that the alpha-config reader and the settings reader can both
use them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one: manifests are hostile input."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def dicts(value: Any) -> list[dict[str, Any]]:
    """The mappings of a list (other elements, and non-lists, are ignored)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass
class ConfigProblem:
    """A setting oauth2-proxy refuses or silently ignores; ``message`` is upstream's text when known."""

    message: str
    ref: str
    setting: str = ""
