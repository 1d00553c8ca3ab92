"""Regenerate the README's picture of an HTML report (``make screenshot``).

Runs ``oidc-doctor diagnose -o html`` on a bundled example, opens the page in the system's
Chromium (``check_pages.mjs``, the browser test's driver) and copies its first screen to the
path given (default ``docs/img/html-report.png``).

Usage: python tests/browser/screenshot.py [OUT.png] [EXAMPLE]
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path

from browser_kit import ROOT, check, chromium, node_ready, shots

from oidc_doctor.cli import main as doctor
from oidc_doctor.io import IO

NOW = "2026-11-28T10:25:12Z"


def main(argv: list[str]) -> int:
    """Write the screenshot; 2 when Chromium or the driver is missing or the report cannot be made."""
    out = Path(argv[0]) if argv else ROOT / "docs" / "img" / "html-report.png"
    example = argv[1] if len(argv) > 1 else "rbac-prefix-mismatch"
    exe = chromium()
    why = "Chromium is not installed (apt-get install -y chromium)" if exe is None else node_ready()
    if exe is None or why:
        print(f"screenshot: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        page = work / f"{example}.html"
        html = io.StringIO()
        status = doctor(
            ["diagnose", "--bundle", f"examples/{example}", "--now", NOW, "-o", "html"],
            IO(stdout=html, stderr=io.StringIO(), env={}),
        )
        if status not in (0, 1):
            print(f"screenshot: oidc-doctor diagnose exited {status}", file=sys.stderr)
            return 2
        page.write_text(html.getvalue())
        pngs = shots(example, work)
        check([{"name": example, "html": str(page), "shots": pngs}], exe, work)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pngs["wide"], out)
    print(f"screenshot: {out}")
    return 0


if __name__ == "__main__":
    import os

    os.chdir(ROOT)  # the example is named relative to the project, as the README shows it
    sys.exit(main(sys.argv[1:]))
