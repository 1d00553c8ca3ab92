"""Typed command results and the one writer every command's output goes through.

A command builds a :class:`Result` (its JSON document, how it reads as text, its exit status)
and returns ``write(result, args, io)``. The writer picks the format (``-o``/``--format``),
renders, applies the hostile-text policy (:func:`oidc_doctor.render.policy.safe_output`) to the
finished text of every format, and writes it to stdout or ``--output-file``. Every JSON (and
YAML) document carries ``schema`` and the tool ``version``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from oidc_doctor.record import Record

if TYPE_CHECKING:
    import argparse

    from oidc_doctor.io import IO
    from oidc_doctor.pipeline import Report
    from oidc_doctor.render.common import Meta


class Result(Record):
    """What one command produced.

    ``doc`` is the JSON document (without ``schema``/``version``: the writer adds them from
    ``schema``); ``text`` renders the human form (plain lines, no colour); ``report`` is set for
    the commands whose result is a full diagnosis, rendered by :mod:`oidc_doctor.render`;
    ``notes`` are report-level remarks (e.g. the judged moment looks wrong) shown in every format;
    ``styled`` optionally gives the text as (rich style, line) pairs for a colour terminal;
    ``markdown`` optionally gives a Markdown form of its own (else the text is fenced).
    """

    _fields = ("command", "schema", "status", "doc", "text", "report", "notes", "styled", "markdown")
    __slots__ = _fields
    command: str
    schema: str
    status: int
    doc: dict[str, Any]
    text: Callable[[], str]
    report: Report | None
    notes: tuple[str, ...]
    styled: Callable[[], list[tuple[str, str]]] | None
    markdown: Callable[[], str] | None

    def __init__(
        self,
        command: str,
        schema: str,
        status: int,
        doc: dict[str, Any],
        text: Callable[[], str],
        report: Report | None = None,
        notes: tuple[str, ...] = (),
        styled: Callable[[], list[tuple[str, str]]] | None = None,
        markdown: Callable[[], str] | None = None,
    ) -> None:
        self.command = command
        self.schema = schema
        self.status = status
        self.doc = doc
        self.text = text
        self.report = report
        self.notes = notes
        self.styled = styled
        self.markdown = markdown

    def document(self) -> dict[str, Any]:
        """The JSON document: ``schema`` and ``version`` first, the notes when there are any."""
        from oidc_doctor import __version__

        doc: dict[str, Any] = {"schema": self.schema, "version": __version__}
        doc.update((k, v) for k, v in self.doc.items() if k not in ("schema", "version"))
        if self.notes:
            doc["notes"] = list(self.notes)
        return doc


def report_result(command: str, report: Report, notes: tuple[str, ...] = ()) -> Result:
    """The result of a command whose outcome is a diagnosis report (``diagnose``, ``proxy``)."""
    from oidc_doctor.pipeline import SCHEMA

    def text() -> str:
        from oidc_doctor.render import render as render_report

        return render_report(report, "text", notes=notes)

    doc = report.to_json()
    return Result(command, SCHEMA, report.exit_status(), doc, text, report, notes)


def render(result: Result, fmt: str, *, tty: bool = False, width: int | None = None, meta: Meta | None = None) -> str:
    """The result as ``fmt`` text, before the hostile-text policy (``width``: wrap text there)."""
    if fmt == "json" and result.report is not None:
        from oidc_doctor.render.json import render_json

        return render_json(result.report, result.notes)
    if fmt == "json":
        import json

        from oidc_doctor.text import json_text

        # The standard library encoder: it accepts any str (orjson refuses lone surrogates, which a
        # hostile claim carries) and costs no import on the token command's path.
        return json_text(json.dumps(result.document(), indent=2, ensure_ascii=False)) + "\n"
    if fmt == "yaml":
        import yaml

        # allow_unicode=False: every non-ASCII character is written as an escape, so no terminal-
        # active character reaches the output raw; the document is the JSON one.
        return str(yaml.safe_dump(result.document(), sort_keys=False, allow_unicode=False, width=1 << 16))
    if result.report is not None:
        from oidc_doctor.render import render as render_report

        return render_report(result.report, fmt, tty=tty, notes=result.notes, width=width, meta=meta)
    if tty and fmt == "text" and result.styled is not None:
        return _rich_lines([*result.styled(), *(("yellow", f"note: {n}") for n in result.notes)])
    if fmt == "markdown" and result.markdown is not None:
        md = result.markdown()
        return md + "".join(f"\n> **Note:** {n}\n" for n in result.notes)
    from oidc_doctor.render.plain import as_html, as_markdown, with_notes

    body = with_notes(result.text(), result.notes)
    if fmt == "markdown":
        return as_markdown(f"oidc-doctor {result.command}", body, meta)
    if fmt == "html":
        return as_html(f"oidc-doctor {result.command}", body, meta)
    return body


def _rich_lines(lines: list[tuple[str, str]]) -> str:
    """Styled lines as terminal text (rich is imported only here: on a terminal)."""
    import io as _io

    from rich.console import Console
    from rich.text import Text

    buf = _io.StringIO()
    console = Console(file=buf, force_terminal=True, highlight=False, soft_wrap=True)
    for style, line in lines:
        console.print(Text(line, style=style))  # Text: no markup is interpreted in the line
    return buf.getvalue()


def colour(args: argparse.Namespace, io: IO, fmt: str, file: str | None) -> bool:
    """Whether to write colours: text on a terminal, not asked for plainly (``-o text``,
    ``--no-color``, ``NO_COLOR``)."""
    explicit = getattr(args, "format", None) == "text" or getattr(args, "output", None) == "text"
    plain = explicit or getattr(args, "no_color", False)
    # https://no-color.org: any non-empty NO_COLOR turns colour off
    return fmt == "text" and file is None and not plain and not io.env.get("NO_COLOR") and io.stdout_tty


def width(io: IO, file: str | None) -> int | None:
    """The columns text is wrapped to: ``COLUMNS`` when set, else the terminal's; None (no
    wrapping) for a pipe or a file, whose lines stay whole for grep and editors."""
    columns = io.env.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 20)
    if file is not None or not io.stdout_tty:
        return None
    import os

    try:
        return max(os.get_terminal_size(io.stdout.fileno()).columns, 20)
    except (OSError, ValueError, AttributeError):  # a stream that says it is a terminal but has no descriptor
        return 80


def meta(args: argparse.Namespace) -> Meta:
    """The version and the command line a report shows (``main`` keeps the arguments on ``args``)."""
    from oidc_doctor.render.common import Meta

    typed = {
        v
        for v in (getattr(args, "token", None), getattr(args, "src", None))
        if isinstance(v, str) and v[:1] not in ("@", "$", "-", "")
    }
    return Meta(tuple(getattr(args, "argv", ()) or ()), getattr(args, "prog", None) or "oidc-doctor", hidden=typed)


def write(result: Result, args: argparse.Namespace, io: IO, *, fmt: str | None = None) -> int:
    """Render ``result`` as the command line asks (or as ``fmt``), write it, and return its exit status.

    ``fmt`` is for a command without the output options (``collect``, whose ``-o`` is a folder):
    its result goes to stdout in that format.
    """
    from oidc_doctor.commands.options import output_choice
    from oidc_doctor.render.policy import safe_output

    file: str | None = None
    if fmt is None:
        fmt, file = output_choice(args, io)
    if getattr(args, "quiet", False):  # -q: the exit status is the answer
        return result.status
    tty = colour(args, io, fmt, file)
    # the version and command line are shown by reports and by Markdown/HTML pages only
    shown = meta(args) if result.report is not None or fmt in ("markdown", "html") else None
    text = safe_output(render(result, fmt, tty=tty, width=width(io, file), meta=shown), ansi=tty)
    if file is None:
        io.stdout.write(text)
        return result.status
    from oidc_doctor.errors import InputError

    try:
        with open(file, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise InputError(file, f"cannot write the report: {e.strerror or e}") from e
    io.warn(f"report written to {file}")
    return result.status
