"""Finding and loading libkeel, and the one table of its C signatures.

Everything that knows the C ABI lives here: ``SIGNATURES`` (name,
argtypes, restype) mirrors ``include/keel.h`` and a test checks the two
against each other, so they cannot drift. The enums below mirror the
header's ``KEEL_*`` constants the same way.

The library is found, in order, by: :func:`set_library_path`, the
``KEEL_LIBRARY`` environment variable, a copy shipped inside this package
(``keel/_lib/``), and cargo's build tree of a checkout (``target/release``,
then ``target/debug``).
"""

from __future__ import annotations

import os
import sys
import threading
from ctypes import (
    CDLL,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
    sizeof,
)
from enum import IntEnum
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

__all__ = ["lib", "set_library_path", "library_path", "Status", "Type", "RetrySafety", "Capability"]


class Status(IntEnum):
    """``keel_status``."""

    OK = 0
    UNKNOWN = 1
    NOT_IMPLEMENTED = 2
    NOT_FOUND = 3
    ALREADY_EXISTS = 4
    INVALID_ARGUMENT = 5
    INVALID_STATE = 6
    INVALID_DATA = 7
    INTEGRITY = 8
    INTERNAL = 9
    IO = 10
    CANCELLED = 11
    TIMEOUT = 12
    UNAUTHENTICATED = 13
    UNAUTHORIZED = 14
    BUSY = 15
    NULL_ARGUMENT = 16
    PANIC = 17


class RetrySafety(IntEnum):
    """``keel_retry_safety``: whether a failed call's statement can have run."""

    UNKNOWN = 0
    NOT_SENT = 1
    MAY_HAVE_RUN = 2


class Dialect(IntEnum):
    """``keel_dialect``."""

    UNKNOWN = 0
    SQLITE = 1
    POSTGRES = 2
    MYSQL = 3
    MSSQL = 4


class Type(IntEnum):
    """``keel_type``: the type codes found in ``Cursor.description``."""

    NULL = 0
    BOOL = 1
    INT64 = 2
    UINT64 = 3
    DOUBLE = 4
    TEXT = 5
    BYTES = 6
    DATE = 7
    TIME = 8
    TIMESTAMP = 9
    TIMESTAMPTZ = 10
    UUID = 11
    JSON = 12
    DECIMAL = 13


class Nullable(IntEnum):
    """``keel_nullable``."""

    UNKNOWN = 0
    NO = 1
    YES = 2


class Isolation(IntEnum):
    """``keel_isolation``."""

    DEFAULT = 0
    READ_UNCOMMITTED = 1
    READ_COMMITTED = 2
    REPEATABLE_READ = 3
    SNAPSHOT = 4
    SERIALIZABLE = 5


class TxLock(IntEnum):
    """``keel_tx_lock``."""

    DEFAULT = 0
    DEFERRED = 1
    IMMEDIATE = 2
    EXCLUSIVE = 3


class BatchFormat(IntEnum):
    """``keel_batch_format``."""

    PICKLE5 = 1


class Capability(IntEnum):
    """``keel_capability``: what :meth:`keel.Connection.supports` is asked."""

    SEVERAL_CURSORS = 1
    COLUMNS_AFTER_PREPARE = 2


# C enum name -> binding class, for the drift test and for readers.
ENUMS = {
    "keel_status": Status,
    "keel_dialect": Dialect,
    "keel_retry_safety": RetrySafety,
    "keel_type": Type,
    "keel_nullable": Nullable,
    "keel_isolation": Isolation,
    "keel_tx_lock": TxLock,
    "keel_batch_format": BatchFormat,
    "keel_capability": Capability,
}


class Value(Structure):
    """``keel_value``."""

    _fields_ = [
        ("kind", c_int32),
        ("int_value", c_int64),
        ("uint_value", c_uint64),
        ("double_value", c_double),
        ("data", c_void_p),
        ("len", c_size_t),
    ]


class _Sized(Structure):
    """A struct that starts with its own ``size`` (keel.h, ABI STABILITY):
    made with ``size`` set to the size this binding declares."""

    def __init__(self, **fields: object) -> None:
        super().__init__(size=sizeof(self), **fields)


class ExecResult(_Sized):
    """``keel_exec_result``."""

    _fields_ = [
        ("size", c_size_t),
        ("rows_affected", c_uint64),
        ("last_insert_id", c_int64),
        ("has_last_insert_id", c_bool),
    ]


class TxOptions(_Sized):
    """``keel_tx_options``."""

    _fields_ = [
        ("size", c_size_t),
        ("isolation", c_int32),
        ("lock", c_int32),
        ("read_only", c_bool),
    ]


class PoolStats(_Sized):
    """``keel_pool_stats``."""

    _fields_ = [
        ("size", c_size_t),
        ("open", c_uint64),
        ("in_use", c_uint64),
        ("idle", c_uint64),
        ("wait_count", c_uint64),
        ("wait_duration_us", c_uint64),
        ("wait_timeouts", c_uint64),
        ("closed_max_idle", c_uint64),
        ("closed_max_lifetime", c_uint64),
        ("closed_max_idle_time", c_uint64),
        ("closed_broken", c_uint64),
        ("stmt_cache_hits", c_uint64),
        ("stmt_cache_misses", c_uint64),
    ]


class Option(Structure):
    """``keel_option``."""

    _fields_ = [("key", c_char_p), ("value", c_char_p)]


STRUCTS = {
    "keel_value": Value,
    "keel_exec_result": ExecResult,
    "keel_tx_options": TxOptions,
    "keel_pool_stats": PoolStats,
    "keel_option": Option,
}

# Opaque handles (keel_db *, keel_conn *, ...) are plain c_void_p: Python
# ints (or None) on the way out, checked by the library on the way in.
_H = c_void_p
_HH = POINTER(c_void_p)  # T ** out-parameters, and keel_error **err_out
_STATUS = c_int32
_STR = c_char_p
_SIZE = c_size_t
_PSIZE = POINTER(c_size_t)
_PBOOL = POINTER(c_bool)

# The C ABI: (name, argtypes, restype). Byte pointers the caller passes in
# (`const char *`, `const uint8_t *`) are c_char_p so Python bytes go in
# without a copy; pointers the library returns are c_void_p.
SIGNATURES: List[Tuple[str, Sequence[Any], Any]] = [
    # version
    ("keel_version", [], _STR),
    ("keel_version_number", [], c_uint32),
    ("keel_driver_available", [_STR], c_bool),
    # errors
    ("keel_error_free", [_H], None),
    ("keel_error_status", [_H], _STATUS),
    ("keel_error_message", [_H], _STR),
    ("keel_error_sqlstate", [_H], _STR),
    ("keel_error_vendor_code", [_H], c_int32),
    ("keel_error_driver", [_H], _STR),
    ("keel_error_retry_safety", [_H], c_int32),
    ("keel_status_str", [c_int32], _STR),
    # db
    ("keel_db_open", [_STR, _HH, _HH], _STATUS),
    ("keel_db_free", [_H], None),
    ("keel_db_checkout", [_H, _HH, _HH], _STATUS),
    ("keel_db_exec", [_H, _STR, POINTER(Value), _SIZE, POINTER(ExecResult), _HH], _STATUS),
    ("keel_db_query", [_H, _STR, POINTER(Value), _SIZE, _HH, _HH], _STATUS),
    ("keel_db_exec_len", [_H, _STR, _SIZE, POINTER(Value), _SIZE, POINTER(ExecResult), _HH], _STATUS),
    ("keel_db_query_len", [_H, _STR, _SIZE, POINTER(Value), _SIZE, _HH, _HH], _STATUS),
    ("keel_db_dialect", [_H], c_int32),
    ("keel_db_open_options", [_STR, POINTER(Option), _SIZE, _HH, _HH], _STATUS),
    ("keel_db_stats", [_H, POINTER(PoolStats), _HH], _STATUS),
    # cancel
    ("keel_conn_cancel_handle", [_H, _HH, _HH], _STATUS),
    ("keel_cancel_request", [_H, _HH], _STATUS),
    ("keel_cancel_free", [_H], None),
    # conn
    ("keel_conn_free", [_H], None),
    ("keel_conn_return", [_H], None),
    ("keel_conn_close", [_H, _HH], _STATUS),
    ("keel_conn_exec", [_H, _STR, POINTER(Value), _SIZE, POINTER(ExecResult), _HH], _STATUS),
    ("keel_conn_exec_len", [_H, _STR, _SIZE, POINTER(Value), _SIZE, POINTER(ExecResult), _HH], _STATUS),
    ("keel_conn_query", [_H, _STR, POINTER(Value), _SIZE, _HH, _HH], _STATUS),
    ("keel_conn_query_len", [_H, _STR, _SIZE, POINTER(Value), _SIZE, _HH, _HH], _STATUS),
    ("keel_conn_prepare", [_H, _STR, _HH, _HH], _STATUS),
    ("keel_conn_prepare_len", [_H, _STR, _SIZE, _HH, _HH], _STATUS),
    ("keel_conn_prepare_cached", [_H, _STR, _SIZE, _HH, _HH], _STATUS),
    ("keel_conn_begin", [_H, POINTER(TxOptions), _HH], _STATUS),
    ("keel_conn_commit", [_H, _HH], _STATUS),
    ("keel_conn_rollback", [_H, _HH], _STATUS),
    ("keel_conn_savepoint", [_H, _STR, _HH], _STATUS),
    ("keel_conn_release", [_H, _STR, _HH], _STATUS),
    ("keel_conn_savepoint_release", [_H, _STR, _HH], _STATUS),
    ("keel_conn_rollback_to", [_H, _STR, _HH], _STATUS),
    ("keel_conn_ping", [_H, _HH], _STATUS),
    ("keel_conn_in_transaction", [_H], c_bool),
    ("keel_conn_dialect", [_H], c_int32),
    ("keel_conn_supports", [_H, c_int32, _PBOOL, _HH], _STATUS),
    ("keel_conn_server_version", [_H, POINTER(c_char_p), _HH], _STATUS),
    # stmt
    ("keel_stmt_free", [_H], None),
    ("keel_stmt_param_count", [_H], _SIZE),
    ("keel_stmt_column_count", [_H, _PSIZE, _HH], _STATUS),
    ("keel_stmt_column_name", [_H, _SIZE, POINTER(c_char_p), _HH], _STATUS),
    ("keel_stmt_column_engine_type", [_H, _SIZE, POINTER(c_char_p), _HH], _STATUS),
    ("keel_stmt_column_type", [_H, _SIZE, POINTER(c_int32), _HH], _STATUS),
    ("keel_stmt_column_nullable", [_H, _SIZE, POINTER(c_int32), _HH], _STATUS),
    ("keel_stmt_bind_null", [_H, _SIZE, _HH], _STATUS),
    ("keel_stmt_bind_bool", [_H, _SIZE, c_bool, _HH], _STATUS),
    ("keel_stmt_bind_int64", [_H, _SIZE, c_int64, _HH], _STATUS),
    ("keel_stmt_bind_uint64", [_H, _SIZE, c_uint64, _HH], _STATUS),
    ("keel_stmt_bind_double", [_H, _SIZE, c_double, _HH], _STATUS),
    ("keel_stmt_bind_text", [_H, _SIZE, _STR, _SIZE, _HH], _STATUS),
    ("keel_stmt_bind_bytes", [_H, _SIZE, _STR, _SIZE, _HH], _STATUS),
    ("keel_stmt_bind_date", [_H, _SIZE, c_int32, _HH], _STATUS),
    ("keel_stmt_bind_time", [_H, _SIZE, c_int64, _HH], _STATUS),
    ("keel_stmt_bind_timestamp", [_H, _SIZE, c_int64, _HH], _STATUS),
    ("keel_stmt_bind_timestamptz", [_H, _SIZE, c_int64, _HH], _STATUS),
    ("keel_stmt_bind_timestamptz_offset", [_H, _SIZE, c_int64, c_int32, _HH], _STATUS),
    ("keel_stmt_bind_uuid", [_H, _SIZE, _STR, _HH], _STATUS),
    ("keel_stmt_bind_json", [_H, _SIZE, _STR, _SIZE, _HH], _STATUS),
    ("keel_stmt_bind_decimal", [_H, _SIZE, _STR, _SIZE, _HH], _STATUS),
    ("keel_stmt_bind_value", [_H, _SIZE, POINTER(Value), _HH], _STATUS),
    ("keel_stmt_clear_bindings", [_H, _HH], _STATUS),
    ("keel_stmt_execute", [_H, POINTER(ExecResult), _HH], _STATUS),
    ("keel_stmt_query", [_H, _HH, _HH], _STATUS),
    ("keel_stmt_execute_batch", [_H, POINTER(Value), _SIZE, _SIZE, POINTER(ExecResult), _HH], _STATUS),
    ("keel_stmt_execute_batch_encoded", [_H, c_int32, _STR, _SIZE, POINTER(ExecResult), _HH], _STATUS),
    # rows
    ("keel_rows_free", [_H], None),
    ("keel_rows_next", [_H, _PBOOL, _HH], _STATUS),
    ("keel_rows_next_values", [_H, POINTER(Value), _SIZE, _PBOOL, _HH], _STATUS),
    ("keel_rows_column_count", [_H], _SIZE),
    ("keel_rows_column_name", [_H, _SIZE, POINTER(c_char_p), _HH], _STATUS),
    ("keel_rows_column_index", [_H, _STR, _SIZE, _PSIZE, _HH], _STATUS),
    ("keel_rows_column_engine_type", [_H, _SIZE, POINTER(c_char_p), _HH], _STATUS),
    ("keel_rows_column_type", [_H, _SIZE, POINTER(c_int32), _HH], _STATUS),
    ("keel_rows_column_nullable", [_H, _SIZE, POINTER(c_int32), _HH], _STATUS),
    ("keel_rows_column_is_null", [_H, _SIZE, _PBOOL, _HH], _STATUS),
    ("keel_rows_column_int64", [_H, _SIZE, POINTER(c_int64), _HH], _STATUS),
    ("keel_rows_column_uint64", [_H, _SIZE, POINTER(c_uint64), _HH], _STATUS),
    ("keel_rows_column_double", [_H, _SIZE, POINTER(c_double), _HH], _STATUS),
    ("keel_rows_column_bool", [_H, _SIZE, _PBOOL, _HH], _STATUS),
    ("keel_rows_column_text", [_H, _SIZE, POINTER(c_void_p), _PSIZE, _HH], _STATUS),
    ("keel_rows_column_bytes", [_H, _SIZE, POINTER(c_void_p), _PSIZE, _HH], _STATUS),
    ("keel_rows_column_date", [_H, _SIZE, POINTER(c_int32), _HH], _STATUS),
    ("keel_rows_column_time", [_H, _SIZE, POINTER(c_int64), _HH], _STATUS),
    ("keel_rows_column_timestamp", [_H, _SIZE, POINTER(c_int64), _HH], _STATUS),
    ("keel_rows_column_tz_offset", [_H, _SIZE, POINTER(c_int32), _HH], _STATUS),
    ("keel_rows_column_uuid", [_H, _SIZE, POINTER(c_uint8), _HH], _STATUS),
    ("keel_rows_column_value", [_H, _SIZE, POINTER(Value), _HH], _STATUS),
    ("keel_rows_fetch_batch", [_H, _SIZE, c_int32, _HH, POINTER(c_void_p), _PSIZE, _PSIZE, _PBOOL, _HH], _STATUS),
    # buffers
    ("keel_buffer_data", [_H], c_void_p),
    ("keel_buffer_len", [_H], _SIZE),
    ("keel_buffer_free", [_H], None),
]




_lock = threading.Lock()
_explicit: Optional[str] = None
_lib: Optional[CDLL] = None
_lib_path: Optional[str] = None


def _lib_names() -> List[str]:
    if sys.platform == "win32":
        return ["keel.dll"]
    if sys.platform == "darwin":
        return ["libkeel.dylib"]
    return ["libkeel.so"]


def set_library_path(path: "os.PathLike[str] | str") -> None:
    """Use the libkeel at ``path`` (a file). Call it before the first
    connection; once the library is loaded it cannot be swapped."""
    global _explicit
    with _lock:
        p = os.fspath(path)
        if _lib is not None and os.path.realpath(p) != os.path.realpath(_lib_path or ""):
            raise RuntimeError(f"libkeel is already loaded from {_lib_path}; set_library_path must come first")
        _explicit = p


def _checkout_roots() -> List[Path]:
    """Directories of a keel checkout above this package or the current
    directory (a directory with Cargo.toml naming the keel crate)."""
    roots: List[Path] = []
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for d in (start, *start.parents):
            cargo = d / "Cargo.toml"
            if d in roots or not cargo.is_file():
                continue
            try:
                text = cargo.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if 'name = "keel"' in text:
                roots.append(d)
                break
    return roots


def candidates() -> List[Tuple[str, str]]:
    """Every place the library is looked for, in order, as (why, path)."""
    out: List[Tuple[str, str]] = []
    if _explicit is not None:
        out.append(("keel.set_library_path()", _explicit))
    env = os.environ.get("KEEL_LIBRARY")
    if env:
        out.append(("KEEL_LIBRARY", env))
    here = Path(__file__).resolve().parent / "_lib"
    for name in _lib_names():
        out.append(("bundled in the package", str(here / name)))
    for root in _checkout_roots():
        for profile in ("release", "debug"):
            for name in _lib_names():
                out.append((f"cargo build tree ({profile})", str(root / "target" / profile / name)))
    return out


def _load() -> CDLL:
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for why, path in candidates():
            if not os.path.isfile(path):
                tried.append(f"  {why}: {path} (no such file)")
                # An explicit choice that does not exist is an error, not a
                # reason to silently pick another library.
                if why in ("keel.set_library_path()", "KEEL_LIBRARY"):
                    break
                continue
            try:
                lib = CDLL(path)
            except OSError as e:
                tried.append(f"  {why}: {path} ({e})")
                if why in ("keel.set_library_path()", "KEEL_LIBRARY"):
                    break
                continue
            _declare(lib)
            _lib, _lib_path = lib, path
            return lib
        from .errors import LibraryNotFound

        raise LibraryNotFound(
            "cannot find libkeel. Looked in:\n"
            + "\n".join(tried)
            + "\nFix: build it (`cargo build --release` in the keel checkout), or set "
            "KEEL_LIBRARY=/path/to/" + _lib_names()[0] + ", or call "
            "keel.set_library_path(path) before connecting."
        )


def _declare(lib: CDLL) -> None:
    for name, argtypes, restype in SIGNATURES:
        f = getattr(lib, name)
        f.argtypes = list(argtypes)
        f.restype = restype


class _Lib:
    """The loaded library, loaded on first attribute access."""

    def __getattr__(self, name: str) -> Any:
        f = getattr(_load(), name)
        setattr(self, name, f)
        return f


lib: Any = _Lib()


def library_path() -> str:
    """Load libkeel if needed and return the path it was loaded from."""
    _load()
    assert _lib_path is not None
    return _lib_path


def __getattr__(name: str) -> Any:
    if name == "LibraryNotFound":
        from .errors import LibraryNotFound

        return LibraryNotFound
    raise AttributeError(name)
