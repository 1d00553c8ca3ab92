"""Print the field cases' top-1 accuracy and a table of (case, expected, the first three causes).

Run: ``python tests/field/score.py`` (``--markdown`` for a Markdown table). A case counts as
right when every expectation of ``cases.json`` holds (see ``field.judge``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fieldcases as field


def main(argv: list[str]) -> int:
    """Score every case and print the table; exit 0."""
    markdown = "--markdown" in argv
    rows: list[tuple[str, str, str, str]] = []
    right = 0
    for name in sorted(field.CASES):
        case = field.CASES[name]
        outcome = field.judge(name)
        right += outcome.ok
        expected = "exit 2" if case.get("exit") == 2 else (case["first"] or "healthy")
        got = ", ".join(f"{c}({s[0]})" for c, s in zip(outcome.causes[:3], outcome.severities[:3], strict=True))
        got = got or f"(none, exit {outcome.status})"
        rows.append(("ok" if outcome.ok else "WRONG", name, expected, got))
    if markdown:
        print("| | case | expected | got (first 3; e/w/i = severity) |")
        print("|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
    else:
        width = max(len(r[1]) for r in rows)
        for r in rows:
            print(f"{r[0]:5}  {r[1]:{width}}  {r[2]:32}  {r[3]}")
    total = len(rows)
    print(f"\ntop-1: {right}/{total} = {100 * right / total:.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
