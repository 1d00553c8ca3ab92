"""The datetime types every module uses: ``datetime``, ``timedelta`` and ``UTC``.

Import them from here, not from :mod:`datetime`. On Python 3.11, ``import datetime`` first runs the
whole pure-Python implementation (about 2,600 lines of ``Lib/datetime.py``) and only then replaces
its classes with the C module's (``from _datetime import *`` at the end of the file): about 1 ms of
every one-shot command's start-up, a thirtieth of the cryptography-only verifier that
``benchmarks/bench_authn.py`` and ``bench_token.py`` compare against. Python 3.12 split the pure
implementation out (``_pydatetime``), so there ``datetime`` is the light module and is used as is.

The classes are the same objects either way (``datetime.datetime is _datetime.datetime``), so values
made here mix with values made by any other module.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

__all__ = ["UTC", "datetime", "timedelta"]

if TYPE_CHECKING or sys.version_info >= (3, 12):
    from datetime import UTC, datetime, timedelta
else:
    try:
        from _datetime import UTC, datetime, timedelta
    except ImportError:  # an implementation without CPython's C module
        from datetime import UTC, datetime, timedelta
