"""The console-script entry tunes the cyclic collector for a one-shot process (``cli.entry``).

``benchmarks/bench_authn.py`` measures the time (a prediction 54 -> 45 ms); this test keeps the
tuning: the first threshold raised while the command runs, and every object frozen before the
interpreter's exit-time collections.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from oidc_doctor.cli import GC_THRESHOLD

HEALTHY = Path(__file__).resolve().parents[2] / "examples" / "healthy"

#: What the child reports from an exit handler (atexit runs after sys.exit, before finalization).
CHILD = """
import atexit, gc, json, sys
def report():
    sys.stderr.write(json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
atexit.register(report)
sys.argv[0] = "oidc-doctor"
from oidc_doctor.cli import entry
entry()
"""


def test_entry_raises_the_first_threshold_and_freezes_before_exit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("oidc-doctor ")
    seen = json.loads(done.stderr)
    assert seen["threshold"][0] == GC_THRESHOLD
    assert seen["frozen"] > 1000  # the tool's modules, classes and functions


def test_a_command_run_by_entry_writes_its_whole_output(tmp_path: Path) -> None:
    # Output goes through the streams main() flushes and files closed by their `with` blocks, not
    # through objects left to the collector at exit.
    out = tmp_path / "report.json"
    token, jwks = HEALTHY / "id_token.txt", HEALTHY / "jwks.json"
    argv = ["token", f"@{token}", "--jwks", str(jwks), "--now", "2026-11-28T10:25:12Z", "-o", "json"]
    for extra in ([], ["--output-file", str(out)]):
        cmd = [sys.executable, "-m", "oidc_doctor", *argv, *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 0, done.stderr
        doc = json.loads(out.read_text() if extra else done.stdout)
        assert doc["signature"]["status"] == "valid"
