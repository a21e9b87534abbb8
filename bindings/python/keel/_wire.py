"""Value tags for parameter rows sent to ``keel_stmt_execute_batch_encoded``.

``executemany`` pickles its rows with these functions standing in for
values pickle has no plain opcode for; libkeel recognizes them by name
(``keel._wire.date`` ...) and never imports or calls them. They are real
functions only so that pickle can name them, and so that unpickling such a
stream in Python gives the original values back.
"""

from __future__ import annotations

import datetime as _dt
import uuid as _uuid
from decimal import Decimal

_EPOCH = _dt.datetime(1970, 1, 1)
_US = _dt.timedelta(microseconds=1)


def date(days: "builtins.int") -> _dt.date:
    return _dt.date.fromordinal(days + 719163)


def time(micros: "builtins.int") -> _dt.time:
    s, us = divmod(micros, 1_000_000)
    return _dt.time(s // 3600, s // 60 % 60, s % 60, us)


def timestamp(micros: "builtins.int") -> _dt.datetime:
    return _EPOCH + micros * _US


def timestamptz(micros: "builtins.int") -> _dt.datetime:
    return (_EPOCH + micros * _US).replace(tzinfo=_dt.timezone.utc)


def decimal(text: "builtins.str") -> Decimal:
    return Decimal(text)


def uuid(b: "builtins.bytes") -> _uuid.UUID:
    return _uuid.UUID(bytes=b)


def json(text: "builtins.str") -> "builtins.str":
    return text


# Plain values, for subclasses (IntEnum, str enums) that pickle would
# otherwise write as their class. Named after builtins on purpose.
def bytes(b: "builtins.bytes") -> "builtins.bytes":  # noqa: A001
    return b


def int(n: "builtins.int") -> "builtins.int":  # noqa: A001
    return n


def float(x: "builtins.float") -> "builtins.float":  # noqa: A001
    return x


def str(s: "builtins.str") -> "builtins.str":  # noqa: A001
    return s


import builtins  # noqa: E402  (for the annotations above)
