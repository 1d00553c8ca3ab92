"""Token checks (filled in by the token inspector work)."""

from __future__ import annotations

from oidc_doctor.checks.base import Check, Context
from oidc_doctor.evidence import Evidence


def derive_tokens(ev: Evidence, ctx: Context) -> None:
    """Decode every token of the evidence into ``ctx.facts.tokens``."""


CHECKS: list[Check] = []
