"""API server flags from a k3s / RKE2 server log (``journalctl -u k3s`` / ``-u rke2-server``).

k3s logs the whole kube-apiserver command line each time it starts it:
``logrus.Infof("Running kube-apiserver %s", config.ArgString(args))`` in k3s-io/k3s
``pkg/daemons/control/server.go`` (``apiServer``), where ``ArgString`` joins the
``--name=value`` words with single spaces, unquoted. The logrus text formatter quotes the
message (``msg="Running kube-apiserver --a=b ..."``, Go ``%q`` escapes); a terminal shows
``INFO[...] Running kube-apiserver --a=b ...``. RKE2 shares that control code: its static-pod
executor (rancher/rke2 ``pkg/podexecutor/staticpod.go`` ``APIServer``) receives the same args
after the line is logged and only adds non-authentication flags (audit log, cloud provider,
``--kubelet-preferred-address-types``), so ``journalctl -u rke2-server`` carries it too.

The **last** such line wins: each restart logs the flags it runs with. The file is read in
chunks (constant memory, gzip/BOM handled by :func:`oidc_doctor.logs.files.open_log`).
"""

from __future__ import annotations

from pathlib import Path

from oidc_doctor.authn.flags import Flag, parse_args, translate
from oidc_doctor.authn.model import ApiServerAuth
from oidc_doctor.logs.files import CHUNK, open_log
from oidc_doctor.logs.formats import go_unquote_at, strip_prefix
from oidc_doctor.secrets import REDACTED, looks_secret
from oidc_doctor.secrets import mask_text as mask

MARKER = b"Running kube-apiserver "
#: A command line longer than this is not a k3s start-up line (k3s' own is a few KiB).
MAX_LINE = 1 << 20


def _is_command_line(line: bytes, at: int) -> bool:
    return line[at + len(MARKER) : at + len(MARKER) + 2] == b"--"


def _last_in(block: bytes) -> int:
    """Offset of the last line start in ``block`` holding a k3s command line, or -1."""
    p = block.rfind(MARKER)
    while p != -1:
        ls = block.rfind(b"\n", 0, p) + 1
        if _is_command_line(block, p):
            return ls
        p = block.rfind(MARKER, 0, p)
    return -1


def last_command_line(path: Path) -> tuple[int, bytes] | None:
    """The last ``Running kube-apiserver --...`` line of a log: (1-based line number, line)."""
    best: tuple[int, bytes] | None = None
    lines_before = 0  # newlines before the start of ``carry``
    carry = b""
    with open_log(path) as f:
        while True:
            chunk = f.read(CHUNK)
            buf = carry + chunk
            if not chunk:
                complete, carry = buf, b""
            else:
                cut = buf.rfind(b"\n") + 1
                complete, carry = buf[:cut], buf[cut:]
                if len(carry) > MAX_LINE:  # one huge line: no command line of ours
                    lines_before += carry.count(b"\n")
                    carry = b""
            if complete:
                ls = _last_in(complete)
                if ls != -1:
                    le = complete.find(b"\n", ls)
                    line = complete[ls : le if le != -1 else len(complete)]
                    best = (lines_before + complete.count(b"\n", 0, ls) + 1, line[:MAX_LINE])
                lines_before += complete.count(b"\n")
            if not chunk:
                break
    return best


def command_words(line: bytes) -> list[str]:
    """The kube-apiserver words of a k3s ``Running kube-apiserver`` line (prefix and quoting undone)."""
    body, _, _ = strip_prefix(line.rstrip(b"\r"))
    text = body.decode("utf-8", "replace")
    q = text.find('msg="')
    if q != -1 and q < text.find("Running kube-apiserver"):
        msg, _ = go_unquote_at(text, q + 4)
    else:
        msg = text
    at = msg.find("Running kube-apiserver ")
    if at == -1:
        return []
    return msg[at + len("Running kube-apiserver ") :].split()


def _redact(flag: Flag) -> Flag:
    """A flag whose value may be a credential, masked (``--token-auth-file`` keeps its path).

    Everything the report prints from these flags goes through here first: k3s logs the
    command line verbatim, and ``--kube-apiserver-arg`` can carry anything.
    """
    if looks_secret(flag.name, flag.value) or looks_secret(flag.name):
        return Flag(flag.name, REDACTED, flag.ref)
    value = mask(flag.value)
    return flag if value == flag.value else Flag(flag.name, value, flag.ref)


def from_k3s_log(path: Path, where: str) -> ApiServerAuth | None:
    """Settings from the last kube-apiserver command line a k3s/RKE2 log holds (None: no such line).

    The reference is ``<where>:<line>`` so the evidence points at the exact line.
    """
    found = last_command_line(path)
    if found is None:
        return None
    lineno, line = found
    words = command_words(line)
    if not words:
        return None
    ref = f"{where}:{lineno}"
    flags = [_redact(f) for f in parse_args(words, ref)]
    auth = translate(flags, f"{ref} (k3s/RKE2 log: Running kube-apiserver)")
    auth.notes.append(
        f"the API server's flags were read from the last `Running kube-apiserver` line of {where} "
        f"(line {lineno}): they are the ones in effect unless k3s restarted after the log ends"
    )
    return auth
