"""Python values → C parameters: one value at a time (``execute``) and a
whole table of rows at once (``executemany``, as one ``keel_value``
array for ``keel_stmt_execute_batch``)."""

from __future__ import annotations

import datetime as _dt
import io
import marshal
import pickle
import struct
import uuid as _uuid
from array import array
from ctypes import c_char_p, c_void_p, cast, sizeof
from decimal import Decimal
from types import FunctionType as _FunctionType
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _wire
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
    elif isinstance(v, _CONTAINERS):
        raise container_error(v)
    else:
        raise ProgrammingError(
            f"cannot bind a value of type {t.__module__}.{t.__qualname__}; "
            "use None, bool, int, float, str, bytes, Decimal, date, time, datetime, UUID or keel.Json"
        )
    keep.append(data)
    addr = _address(data)
    return kind, 0, 0, 0.0, addr, len(data)


# --- one value at a time: the typed keel_stmt_bind_* calls -------------


def make_binder(lib: Any) -> Callable[[Optional[int], Sequence[Any], Any, Any], None]:
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
    bind_tstz_offset = lib.keel_stmt_bind_timestamptz_offset
    bind_uuid = lib.keel_stmt_bind_uuid
    bind_json = lib.keel_stmt_bind_json
    bind_decimal = lib.keel_stmt_bind_decimal

    def bind(stmt: Optional[int], params: Sequence[Any], perr: Any, check: Callable[[int, str], None]) -> None:
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
                if isinstance(v, _CONTAINERS):
                    raise container_error(v, f"parameter {i}: ")
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
                    # A zone other than UTC travels with the instant
                    # (SQL Server's datetimeoffset keeps it).
                    off = v.utcoffset()
                    if off:
                        s = bind_tstz_offset(stmt, i, iv, int(off.total_seconds()), perr)
                    else:
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
                    # A str subclass (a str Enum, ...) binds its text, not
                    # what its __str__ says.
                    b = v.encode("utf-8")
                    s = bind_text(stmt, i, b, len(b), perr)
                else:  # pragma: no cover - value_fields covers every kind
                    raise ProgrammingError(f"parameter {i}: unsupported kind {kind}")
            if s:
                check(s, "")  # the library's message names the parameter

    return bind


# --- many rows at once ----------------------------------------------------


class _RowPickler(pickle.Pickler):
    """Pickles parameter rows for ``keel_stmt_execute_batch_encoded``.

    None, bool, and exact int, float, str, bytes, tuple and list go through
    the C pickler's own fast paths; ``reducer_override`` sees only the rest
    and turns each into a ``keel._wire`` tag. ``fast`` mode skips the memo,
    which rows of plain values never need.
    """

    def reducer_override(self, v: Any) -> Any:
        if type(v) is _FunctionType:
            return NotImplemented  # the _wire tags themselves, saved by name
        if isinstance(v, _dt.datetime):
            kind, us = timestamp_micros(v)
            return (_wire.timestamptz if kind == Type.TIMESTAMPTZ else _wire.timestamp, (us,))
        if isinstance(v, _dt.date):
            return (_wire.date, (date_days(v),))
        if isinstance(v, _dt.time):
            return (_wire.time, (time_micros(v),))
        if isinstance(v, Decimal):
            return (_wire.decimal, (str(v),))
        if isinstance(v, _uuid.UUID):
            return (_wire.uuid, (v.bytes,))
        if isinstance(v, Json):
            return (_wire.json, (v.dumps(),))
        # Subclasses of int, float and str (IntEnum, ...) as their base value.
        if isinstance(v, int):
            return (_wire.int, (int(v),))
        if isinstance(v, float):
            return (_wire.float, (float(v),))
        if isinstance(v, str):
            # Its text, not its __str__ (a str Enum's is "Color.RED").
            return (_wire.str, (str.__str__(v),))
        if isinstance(v, (bytearray, memoryview)):
            return (_wire.bytes, (bytes(v),))
        if isinstance(v, (tuple, list)):
            return NotImplemented
        t = type(v)
        raise ProgrammingError(
            f"cannot bind a value of type {t.__module__}.{t.__qualname__}; "
            "use None, bool, int, float, str, bytes, Decimal, date, time, datetime, UUID or keel.Json"
        )


def encode_rows(rows: List[Sequence[Any]]) -> bytes:
    """Parameter rows as one pickle stream (``KEEL_BATCH_FORMAT_PICKLE5``)."""
    f = io.BytesIO()
    p = _RowPickler(f, protocol=5)
    p.fast = True
    p.dump(rows)
    return f.getvalue()


_PLAIN = frozenset((str, float, type(None), bool, bytes))

# Containers the pickler writes as themselves, never asking
# `_RowPickler.reducer_override`: inside a row libkeel would refuse them
# with the stream's own terms ("opcode 0x7d is not accepted").
_CONTAINERS = (dict, list, tuple, set, frozenset)


def container_error(v: Any, where: str = "") -> ProgrammingError:
    """The error for a dict, list, tuple or set given as one parameter
    value: keel binds no arrays or records; JSON goes in ``keel.Json``."""
    t = type(v)
    json = "keel.Json(list(value))" if isinstance(v, (set, frozenset)) else "keel.Json(value)"
    return ProgrammingError(
        f"{where}cannot bind a value of type {t.__qualname__}: a parameter is one value, and keel binds "
        f"no arrays or rows; to store it as JSON, pass {json}"
    )


def check_rows_values(rows: Sequence[Sequence[Any]]) -> None:
    """Raise :func:`container_error` for the first dict, list, tuple or
    set among the values of ``rows``, naming its row and parameter. Run
    only after libkeel refused a batch, so that rows of plain values pay
    nothing for it."""
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, _CONTAINERS):
                raise container_error(v, f"row {i}, parameter {j}: ")
_dumps = pickle.dumps


_PLAIN_ROW, _TAGGED_ROW, _BY_VALUE_ROW = 0, 1, 2


def _row_kind(params: Sequence[Any]) -> int:
    """Whether a parameter row holds plain values only (exactly int, of
    64 bits, float, str, bytes, bool or None), values that need a tag
    (:func:`encode_rows`), or one that must be bound value by value: an
    aware datetime off UTC, whose offset no stream carries (SQL Server
    keeps it). An int past 64 bits raises DataError, naming it."""
    kind = _PLAIN_ROW
    for v in params:
        t = type(v)
        if t is int:
            if not _I64_MIN <= v <= _U64_MAX:
                _int_kind(v)  # raises DataError, naming the value
        elif t not in _PLAIN:
            if isinstance(v, _dt.datetime) and v.utcoffset():
                return _BY_VALUE_ROW
            if isinstance(v, _CONTAINERS):
                raise container_error(v, f"parameter {params.index(v)}: ")
            kind = _TAGGED_ROW
    return kind


def encode_params(params: Sequence[Any]) -> Optional[bytes]:
    """One parameter row as a stream of one row (``KEEL_BATCH_FORMAT_PICKLE5``,
    for ``keel_stmt_query_encoded``). Plain values go through the C
    pickler alone; a row holding any other value goes through
    :func:`encode_rows`. None when the row must be bound value by value
    (:func:`make_binder`)."""
    kind = _row_kind(params)
    if kind == _BY_VALUE_ROW:
        return None
    return _dumps([params], 5) if kind == _PLAIN_ROW else encode_rows([params])


_marshal_dumps = marshal.dumps


def marshal_params(params: Sequence[Any]) -> Optional[bytes]:
    """One parameter row of plain values as a marshal stream of one row
    (``KEEL_BATCH_FORMAT_MARSHAL2``); None for any other row (then
    :func:`encode_params`). ``marshal.dumps`` writes a row in about a
    quarter of ``pickle.dumps``' time."""
    return _marshal_dumps([params], 2) if _row_kind(params) == _PLAIN_ROW else None


_VALUE = struct.Struct("@iqQdPN")
assert _VALUE.size == sizeof(Value), "keel_value layout"


def pack_rows(rows: Sequence[Sequence[Any]], n_cols: int) -> Tuple[Any, List[Any]]:
    """Pack ``rows`` (each of ``n_cols`` values) into a ``keel_value``
    array, row after row, for ``keel_stmt_execute_batch``. Returns (array,
    keep): ``keep`` holds the bytes the array points into and must live
    until the C call returns."""
    total = len(rows) * n_cols
    buf = bytearray(sizeof(Value) * max(total, 1))
    keep: List[Any] = [buf]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            _VALUE.pack_into(buf, sizeof(Value) * (i * n_cols + j), *value_fields(v, keep))
    return (Value * max(total, 1)).from_buffer(buf), keep
