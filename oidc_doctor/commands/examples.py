"""``oidc-doctor examples list|path NAME``: the example bundles shipped with the tool.

Each example is a bundle folder showing one failure (or a healthy setup), named by the cause the
diagnosis names first (``examples/expected.json``). A wheel carries them in
``oidc_doctor/_examples`` (copied there by ``setup.py``); a source checkout or an editable install
uses the repository's ``examples/``. So ``pip install`` users can try the tool at once::

    oidc-doctor diagnose --bundle "$(oidc-doctor examples path kubeapps-audience-mismatch)"

Exit status: 0 listed / found, 2 no such example (the names are listed) or none shipped.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from oidc_doctor.commands.result import Result
from oidc_doctor.errors import InputError, UsageError
from oidc_doctor.io import IO

SCHEMA = "oidc-doctor/examples/v1"

EPILOG = """examples:
  oidc-doctor examples list
  oidc-doctor examples path kubeapps-audience-mismatch
  oidc-doctor diagnose --bundle "$(oidc-doctor examples path kubeapps-audience-mismatch)"
  oidc-doctor examples list -o json

exit status: 0 listed / found, 2 no such example (the names are listed) or none shipped."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``list`` and ``path NAME``."""
    from oidc_doctor.commands.options import output_options

    subs = p.add_subparsers(dest="examples_action", metavar="ACTION")
    lst = subs.add_parser(
        "list",
        help="the example bundles and the cause each shows",
        description="The example bundles shipped with the tool, and the cause the diagnosis names first.",
        epilog="""examples:
  oidc-doctor examples list
  oidc-doctor examples list -o yaml

exit status: 0 listed, 2 no example is shipped with this installation.""",
    )
    output_options(lst)
    path = subs.add_parser(
        "path",
        help="the folder of one example bundle (for --bundle)",
        description="Print the folder of one example bundle, to pass to --bundle.",
        epilog="""examples:
  oidc-doctor examples path healthy
  oidc-doctor diagnose --bundle "$(oidc-doctor examples path rbac-prefix-mismatch)"

exit status: 0 found, 2 no such example (the names are listed).""",
    )
    path.add_argument("name", metavar="NAME", help="the example's name (see: examples list)")
    output_options(path)


def examples_root() -> Path | None:
    """The folder of the example bundles: the installed package's, else the source checkout's."""
    from importlib.resources import files

    packaged = Path(str(files("oidc_doctor") / "_examples"))
    if (packaged / "expected.json").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "examples"  # editable install / source tree
    if (checkout / "expected.json").is_file():
        return checkout
    return None


def catalogue(root: Path) -> dict[str, str]:
    """``{name: the cause named first}`` for every example folder, by name."""
    where = root / "expected.json"
    try:
        expected = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(str(where), f"cannot be read: {e}") from e
    out = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        entry = expected.get(folder.name) if isinstance(expected, dict) else None
        first = entry.get("first") if isinstance(entry, dict) else None
        out[folder.name] = str(first) if first else "-"
    return out


def run(args: argparse.Namespace, io: IO) -> int:
    """List the examples, or print one example's folder."""
    from oidc_doctor.commands.result import write

    if args.examples_action is None:
        raise UsageError("examples: choose an action: list or path NAME")
    root = examples_root()
    if root is None:
        raise InputError(
            "examples", "no example bundles are shipped with this installation (a wheel built without them)"
        )
    names = catalogue(root)
    if args.examples_action == "list":
        doc = {
            "folder": str(root),
            "examples": [{"name": n, "shows": c, "path": str(root / n)} for n, c in names.items()],
        }

        def text() -> str:
            width = max(len(n) for n in names) if names else 0
            lines = [f"{'NAME':<{width}}  SHOWS"] + [f"{n:<{width}}  {c}" for n, c in names.items()]
            return "\n".join(lines) + f"\n\n(folder: {root}; try: oidc-doctor examples path NAME)\n"

        return write(Result("examples list", SCHEMA, 0, doc, text), args, io)
    if args.name not in names:
        import difflib

        close = difflib.get_close_matches(args.name, list(names), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise InputError(args.name, f"no such example ({hint}examples: {', '.join(names)})")
    folder = root / args.name
    doc = {"name": args.name, "shows": names[args.name], "path": str(folder)}
    return write(Result("examples path", SCHEMA, 0, doc, lambda: f"{folder}\n"), args, io)
