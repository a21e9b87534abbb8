"""PEP 249 type objects and constructors, and the :class:`Json` wrapper."""

from __future__ import annotations

import datetime as _dt
import time as _time
from typing import Any, FrozenSet

from ._ffi import Type

__all__ = [
    "DBAPITypeObject",
    "STRING",
    "BINARY",
    "NUMBER",
    "DATETIME",
    "ROWID",
    "Date",
    "Time",
    "Timestamp",
    "DateFromTicks",
    "TimeFromTicks",
    "TimestampFromTicks",
    "Binary",
    "Json",
]


class DBAPITypeObject:
    """Compares equal to every ``Cursor.description`` type code it groups."""

    def __init__(self, name: str, *codes: Type) -> None:
        self.name = name
        self.values: FrozenSet[int] = frozenset(int(c) for c in codes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self.values == other.values
        return other in self.values

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.values)

    def __repr__(self) -> str:
        return f"<keel type {self.name}>"


STRING = DBAPITypeObject("STRING", Type.TEXT, Type.JSON)
BINARY = DBAPITypeObject("BINARY", Type.BYTES)
NUMBER = DBAPITypeObject("NUMBER", Type.BOOL, Type.INT64, Type.UINT64, Type.DOUBLE, Type.DECIMAL)
DATETIME = DBAPITypeObject("DATETIME", Type.DATE, Type.TIME, Type.TIMESTAMP, Type.TIMESTAMPTZ)
#: Row ids are 64-bit integers on every engine keel speaks to.
ROWID = DBAPITypeObject("ROWID", Type.INT64)

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime
Binary = bytes


def DateFromTicks(ticks: float) -> _dt.date:
    """The local date at ``ticks`` seconds since the epoch (PEP 249)."""
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _dt.time:
    """The local time of day at ``ticks`` seconds since the epoch (PEP 249)."""
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _dt.datetime:
    """The local date and time at ``ticks`` seconds since the epoch (PEP 249)."""
    return Timestamp(*_time.localtime(ticks)[:6])


class Json:
    """Wrap a value to bind it as JSON: ``cur.execute(sql, [Json({"a": 1})])``.

    The object is serialized with :func:`json.dumps`; a ``str`` is taken as
    JSON text already (``Json("123")`` is the number 123, ``Json("hello")``
    invalid JSON): for the JSON string ``"hello"``, pass
    ``Json(json.dumps("hello"))``. JSON comes back from queries as ``str``.
    """

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def dumps(self) -> str:
        if isinstance(self.obj, str):
            return self.obj
        import json

        return json.dumps(self.obj)

    def __repr__(self) -> str:
        return f"Json({self.obj!r})"
