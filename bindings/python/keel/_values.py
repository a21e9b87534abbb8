"""Python values → C parameters: one value at a time (``execute``) and a
whole table of rows at once (``executemany``, as one ``keel_value``
array for ``keel_stmt_execute_batch``)."""

from __future__ import annotations

import datetime as _dt
import struct
import sys
import uuid as _uuid
from array import array
from ctypes import c_char_p, c_void_p, cast, sizeof
from decimal import Decimal
from itertools import accumulate
from typing import Any, Callable, Dict, List, Sequence, Tuple

from ._ffi import Type, Value
from ._types import Json
from .errors import DataError, NotSupportedError, ProgrammingError

_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = _dt.timedelta(microseconds=1)
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
_I64_MIN, _I64_MAX, _U64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


def timestamp_micros(v: _dt.datetime) -> Tuple[int, int]:
    """(kind, microseconds since the epoch) of a datetime: aware values
    are instants (TIMESTAMPTZ), naive ones wall-clock times (TIMESTAMP)."""
    if v.tzinfo is not None and v.utcoffset() is not None:
        return Type.TIMESTAMPTZ, (v - _EPOCH_UTC) // _US
    return Type.TIMESTAMP, (v - _EPOCH) // _US


def time_micros(v: _dt.time) -> int:
    if v.tzinfo is not None and v.utcoffset() is not None:
        raise NotSupportedError("a time of day with a time zone cannot be bound; drop tzinfo or use a datetime")
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond


def date_days(v: _dt.date) -> int:
    return v.toordinal() - _EPOCH_ORDINAL


def _address(b: bytes) -> int:
    """The address of a bytes object's contents (valid while it lives)."""
    return cast(c_char_p(b), c_void_p).value or 0


def _int_kind(v: int) -> Tuple[int, int, int]:
    """(kind, int_value, uint_value) of a Python int."""
    if _I64_MIN <= v <= _I64_MAX:
        return Type.INT64, v, 0
    if 0 <= v <= _U64_MAX:
        return Type.UINT64, 0, v
    raise DataError(f"integer {v} does not fit in 64 bits", sqlstate="22003")


def value_fields(v: Any, keep: List[Any]) -> Tuple[int, int, int, float, int, int]:
    """One parameter as the fields of a ``keel_value``: (kind, int_value,
    uint_value, double_value, data address, len). Bytes whose address is
    taken are appended to ``keep``, which must outlive the C call."""
    if v is None:
        return Type.NULL, 0, 0, 0.0, 0, 0
    t = type(v)
    if t is bool:
        return Type.BOOL, int(v), 0, 0.0, 0, 0
    if isinstance(v, int):
        k, i, u = _int_kind(v)
        return k, i, u, 0.0, 0, 0
    if isinstance(v, float):
        return Type.DOUBLE, 0, 0, v, 0, 0
    kind: int
    if isinstance(v, str):
        kind, data = Type.TEXT, v.encode("utf-8")
    elif isinstance(v, (bytes, bytearray, memoryview)):
        kind, data = Type.BYTES, bytes(v)
    elif isinstance(v, _dt.datetime):
        kind, us = timestamp_micros(v)
        return kind, us, 0, 0.0, 0, 0
    elif isinstance(v, _dt.date):
        return Type.DATE, date_days(v), 0, 0.0, 0, 0
    elif isinstance(v, _dt.time):
        return Type.TIME, time_micros(v), 0, 0.0, 0, 0
    elif isinstance(v, Decimal):
        kind, data = Type.DECIMAL, str(v).encode("ascii")
    elif isinstance(v, _uuid.UUID):
        kind, data = Type.UUID, v.bytes
    elif isinstance(v, Json):
        kind, data = Type.JSON, v.dumps().encode("utf-8")
    else:
        raise ProgrammingError(
            f"cannot bind a value of type {t.__module__}.{t.__qualname__}; "
            "use None, bool, int, float, str, bytes, Decimal, date, time, datetime, UUID or keel.Json"
        )
    keep.append(data)
    addr = _address(data)
    return kind, 0, 0, 0.0, addr, len(data)


# --- one value at a time: the typed keel_stmt_bind_* calls -------------


def make_binder(lib: Any) -> Callable[[int, Sequence[Any], Any, Any], None]:
    """Return ``bind(stmt, params, perr, check)`` that binds every
    parameter with one typed call each; ``check(status, where)`` raises."""
    bind_null = lib.keel_stmt_bind_null
    bind_bool = lib.keel_stmt_bind_bool
    bind_int64 = lib.keel_stmt_bind_int64
    bind_uint64 = lib.keel_stmt_bind_uint64
    bind_double = lib.keel_stmt_bind_double
    bind_text = lib.keel_stmt_bind_text
    bind_bytes = lib.keel_stmt_bind_bytes
    bind_date = lib.keel_stmt_bind_date
    bind_time = lib.keel_stmt_bind_time
    bind_ts = lib.keel_stmt_bind_timestamp
    bind_tstz = lib.keel_stmt_bind_timestamptz
    bind_uuid = lib.keel_stmt_bind_uuid
    bind_json = lib.keel_stmt_bind_json
    bind_decimal = lib.keel_stmt_bind_decimal

    def bind(stmt: int, params: Sequence[Any], perr: Any, check: Callable[[int, str], None]) -> None:
        for i, v in enumerate(params):
            t = type(v)
            if t is int:
                if _I64_MIN <= v <= _I64_MAX:
                    s = bind_int64(stmt, i, v, perr)
                else:
                    k, _, u = _int_kind(v)
                    s = bind_uint64(stmt, i, u, perr)
            elif t is str:
                b = v.encode("utf-8")
                s = bind_text(stmt, i, b, len(b), perr)
            elif v is None:
                s = bind_null(stmt, i, perr)
            elif t is float:
                s = bind_double(stmt, i, v, perr)
            elif t is bool:
                s = bind_bool(stmt, i, v, perr)
            elif t is bytes:
                s = bind_bytes(stmt, i, v, len(v), perr)
            else:
                kind, iv, uv, dv, _, _ = value_fields(v, [])
                if kind == Type.INT64:
                    s = bind_int64(stmt, i, iv, perr)
                elif kind == Type.UINT64:
                    s = bind_uint64(stmt, i, uv, perr)
                elif kind == Type.DOUBLE:
                    s = bind_double(stmt, i, dv, perr)
                elif kind == Type.DATE:
                    s = bind_date(stmt, i, iv, perr)
                elif kind == Type.TIME:
                    s = bind_time(stmt, i, iv, perr)
                elif kind == Type.TIMESTAMP:
                    s = bind_ts(stmt, i, iv, perr)
                elif kind == Type.TIMESTAMPTZ:
                    s = bind_tstz(stmt, i, iv, perr)
                elif kind == Type.BYTES:
                    b = bytes(v)
                    s = bind_bytes(stmt, i, b, len(b), perr)
                elif kind == Type.UUID:
                    s = bind_uuid(stmt, i, v.bytes, perr)
                elif kind == Type.DECIMAL:
                    b = str(v).encode("ascii")
                    s = bind_decimal(stmt, i, b, len(b), perr)
                elif kind == Type.JSON:
                    b = v.dumps().encode("utf-8")
                    s = bind_json(stmt, i, b, len(b), perr)
                elif kind == Type.TEXT:
                    b = str(v).encode("utf-8")
                    s = bind_text(stmt, i, b, len(b), perr)
                else:  # pragma: no cover - value_fields covers every kind
                    raise ProgrammingError(f"parameter {i}: unsupported kind {kind}")
            if s:
                check(s, f"parameter {i}")

    return bind


# --- many rows at once: a keel_value array --------------------------------

_VALUE = struct.Struct("@iqQdPN")
assert _VALUE.size == sizeof(Value), "keel_value layout"
_WORDS = sizeof(Value) // 8  # 8-byte words per keel_value: kind, int, uint, double, data, len
_FAST = sys.byteorder == "little" and sizeof(Value) == 48
_NoneType = type(None)
_SIMPLE = {int: Type.INT64, bool: Type.BOOL, float: Type.DOUBLE, str: Type.TEXT, bytes: Type.BYTES}


def pack_rows(rows: Sequence[Sequence[Any]], n_cols: int) -> Tuple[Any, List[Any]]:
    """Pack ``rows`` (each of ``n_cols`` values) into a ``keel_value``
    array, row after row. Returns (array, keep): ``keep`` holds the bytes
    the array points into and must live until the C call returns.

    Columns whose values are all one simple type (int, bool, float, str,
    bytes, each optionally mixed with None) are packed column-wise with C
    loops (array, bytes.join, strided memoryview writes); others value by
    value."""
    n = len(rows)
    total = n * n_cols
    buf = bytearray(sizeof(Value) * total)
    keep: List[Any] = [buf]
    words = memoryview(buf).cast("q") if _FAST else None
    for j in range(n_cols):
        col = [r[j] for r in rows]
        if words is not None and _pack_column(words, col, j, n_cols, keep):
            continue
        stride = sizeof(Value) * n_cols
        off = sizeof(Value) * j
        for i, v in enumerate(col):
            try:
                _VALUE.pack_into(buf, off + i * stride, *value_fields(v, keep))
            except (ProgrammingError, DataError, NotSupportedError) as e:
                raise type(e)(f"row {i}, parameter {j}: {e}", sqlstate=e.sqlstate) from None
    arr = (Value * total).from_buffer(buf) if total else (Value * 1)()
    return arr, keep


def _pack_column(words: memoryview, col: List[Any], j: int, n_cols: int, keep: List[Any]) -> bool:
    types = set(map(type, col))
    nulls = _NoneType in types
    types.discard(_NoneType)
    if len(types) > 1:
        return False
    n = len(col)
    stride = _WORDS * n_cols
    base = _WORDS * j
    t = types.pop() if types else _NoneType
    kind = _SIMPLE.get(t, Type.NULL if t is _NoneType else None)
    if kind is None:
        return False
    if kind == Type.NULL:
        return True  # all zero: KEEL_TYPE_NULL
    if kind in (Type.INT64, Type.BOOL):
        try:
            ints = array("q", [0 if v is None else v for v in col] if nulls else col)
        except OverflowError:
            return False
        words[base + 1 :: stride] = ints
    elif kind == Type.DOUBLE:
        words.cast("B").cast("d")[base + 3 :: stride] = array("d", [0.0 if v is None else v for v in col] if nulls else col)
    else:
        if kind == Type.TEXT:
            enc = [b"" if v is None else v.encode("utf-8") for v in col]
        else:
            enc = [b"" if v is None else v for v in col] if nulls else col
        blob = b"".join(enc)
        keep.append(blob)
        addr = _address(blob)
        lens = array("q", map(len, enc))
        starts = array("q", accumulate(lens, initial=addr))
        del starts[-1]
        words[base + 4 :: stride] = starts
        words[base + 5 :: stride] = lens
    if nulls:
        words[base::stride] = array("q", [Type.NULL if v is None else kind for v in col])
    else:
        words[base::stride] = array("q", [kind]) * n
    return True
