"""Open HTML reports in the system's Chromium through ``check_pages.mjs`` (playwright-core).

The browser is Debian's ``chromium`` package (``apt-get install -y chromium``; ``.ci/run`` installs
it), never one downloaded by Playwright; ``playwright-core`` comes from ``package-lock.json`` here
(``npm ci``, run by ``make browser-deps``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPT = HERE / "check_pages.mjs"
#: Where screenshots go: ``$OIDC_DOCTOR_TEST_OUTPUT/browser`` or ``build/test-output/browser``.
OUTPUT = Path(os.environ.get("OIDC_DOCTOR_TEST_OUTPUT") or ROOT / "build" / "test-output") / "browser"


def chromium() -> str | None:
    """The system Chromium's path, or None when it is not installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def node_ready() -> str:
    """Why the driver cannot run ("" when it can): node missing or ``npm ci`` not run here."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (HERE / "node_modules" / "playwright-core" / "package.json").exists():
        return f"playwright-core is not installed: run `make browser-deps` (npm ci in {HERE})"
    return ""


def check(pages: list[dict[str, Any]], executable: str, workdir: Path) -> list[dict[str, Any]]:
    """Run the driver over ``pages`` (``name``, ``html``, ``shots``) and return what it saw."""
    spec = workdir / "spec.json"
    spec.write_text(json.dumps({"executable": executable, "pages": pages}))
    done = subprocess.run(
        ["node", str(SCRIPT), str(spec)],
        capture_output=True,
        text=True,
        cwd=HERE,
        timeout=300,
        check=False,
        env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
    )
    if done.returncode != 0:
        raise AssertionError(f"check_pages.mjs failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def shots(name: str, folder: Path) -> dict[str, str]:
    """The screenshot files of one page."""
    folder.mkdir(parents=True, exist_ok=True)
    return {kind: str(folder / f"{name}-{kind}.png") for kind in ("wide", "narrow", "dark")}
