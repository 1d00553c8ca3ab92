"""Run every benchmark in this folder (``make bench``): each prints its medians and ratios.

``--quick`` (``make bench-quick``) sets ``OIDC_DOCTOR_BENCH_QUICK=1``: the big-input benchmarks
(diagnose, rbac, logs) then use a tenth of their data, for iterating.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    """Run ``bench_*.py`` one after the other; exit non-zero if any failed."""
    here = Path(__file__).parent
    args = [a for a in sys.argv[1:] if a != "--quick"]
    env = dict(os.environ)
    if "--quick" in sys.argv[1:]:
        env["OIDC_DOCTOR_BENCH_QUICK"] = "1"
    failed = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        failed |= subprocess.call([sys.executable, str(script), *args], env=env) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
