"""Serialising as the tools do, and writing a bundle folder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

#: A bundle: file name -> exact content.
Files = dict[str, str | bytes]


class YamlDumper(yaml.SafeDumper):
    """YAML the way kubectl prints it: block style, sorted keys, lists at the parent's indentation."""


def _str(dumper: yaml.SafeDumper, s: str) -> yaml.ScalarNode:
    if "\n" in s:
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|")
    plain_ok = s != "" and not s.startswith(("*", "!", "&", "{", "[", "'", '"', "%", "@", "`", "- ", "? ", "|", ">"))
    if plain_ok:
        try:
            plain_ok = yaml.safe_load(s) == s
        except yaml.YAMLError:
            plain_ok = False
    if not plain_ok or ": " in s or " #" in s or s.endswith(":"):
        # go-yaml (sigs.k8s.io/yaml) double-quotes a string that would read back as something else.
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", s)


YamlDumper.add_representer(str, _str)


def to_yaml(obj: Any) -> str:
    """kubectl-style YAML (``kubectl get -o yaml``)."""
    return yaml.dump(obj, Dumper=YamlDumper, sort_keys=True, default_flow_style=False, width=1 << 20)


def to_json(obj: Any) -> str:
    """``kubectl get -o json`` style: four-space indentation."""
    return json.dumps(obj, indent=4) + "\n"


def compact(obj: Any) -> str:
    """JSON as an HTTP endpoint returns it (one line, no newline at the end)."""
    return json.dumps(obj)


def as_written(name: str, content: Any) -> str:
    """A file as a user writes it by hand: text ends with a newline, ``.json`` is indented by two,
    anything else is YAML in the order given (a list becomes a multi-document file)."""
    if isinstance(content, str):
        return content if content.endswith("\n") else content + "\n"
    if name.endswith(".json"):
        return json.dumps(content, indent=2) + "\n"
    docs = content if isinstance(content, list) else [content]
    return yaml.safe_dump_all(docs, sort_keys=False)


def utf16(text: str) -> bytes:
    """What Windows PowerShell 5.1's ``kubectl ... > file`` writes: UTF-16 LE, a BOM, CRLF line ends."""
    return b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")


def write(folder: Path, files: Mapping[str, str | bytes]) -> None:
    """(Re)write ``folder`` to hold exactly ``files`` (text written as given, not re-encoded)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")
