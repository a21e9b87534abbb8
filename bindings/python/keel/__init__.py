"""keel: a DB-API 2.0 (PEP 249) driver over libkeel, through ctypes.

One package for SQLite (built in), PostgreSQL and MySQL/MariaDB (when the
library has them)::

    import keel

    with keel.connect("sqlite::memory:") as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        cur.executemany("INSERT INTO t (name) VALUES (?)", [("a",), ("b",)])
        cur.execute("SELECT id, name FROM t WHERE id > ?", [0])
        print(cur.fetchall())        # [(1, 'a'), (2, 'b')]

Values come back as native Python types: int, float, str, bytes, bool,
decimal.Decimal, datetime.date, datetime.time, datetime.datetime (naive for
TIMESTAMP; aware for TIMESTAMPTZ: in UTC, or at the offset a SQL Server
datetimeoffset was stored with), uuid.UUID, and None. An aware datetime
bound with ``execute`` keeps its offset on SQL Server (``executemany``
stores the instant in UTC). JSON comes back as ``str`` (not parsed); bind
JSON with :class:`keel.Json`.
"""

from __future__ import annotations

import os
from typing import Any

from ._ffi import Capability, Dialect, Isolation, RetrySafety, Status, TxLock, Type, library_path, set_library_path
from ._types import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Json,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)
from .connection import Connection, Cursor
from .errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    LibraryNotFound,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    TransactionRollbackError,
    Warning,
)
from .pool import Pool, checkout, open_db

__version__ = "0.2.0"

#: PEP 249 level.
apilevel = "2.0"
#: Threads may share the module, not connections: a connection (and its
#: cursors) must be used by one thread at a time. A Pool may be shared.
threadsafety = 1
#: ``?`` placeholders, on every engine (keel rewrites them per dialect).
paramstyle = "qmark"


def connect(url: str, *, autocommit: bool = False, **options: Any) -> Connection:
    """Open a connection to ``url`` (``sqlite::memory:``,
    ``sqlite:///path.db``, ``postgres://user:pw@host/db``, ...).

    Keyword ``options`` become URL query parameters, e.g.
    ``connect("sqlite:///a.db", busy_timeout_ms=1000, foreign_keys=False)``
    (``statement_cache_size`` is another name of ``stmt_cache_size``);
    an unknown option is a ProgrammingError, and a NUL character in the
    URL or an option is a ValueError. ``autocommit`` starts False.
    """
    return checkout(open_db(url, options), owns_db=True, autocommit=autocommit)


def driver_available(name: str) -> bool:
    """Whether the loaded libkeel has the driver ``name`` ("sqlite",
    "postgres", "mysql", or a URL scheme)."""
    from ._ffi import lib
    from .connection import no_nul

    no_nul(name, "the driver name")
    return bool(lib.keel_driver_available(name.encode("utf-8")))


def load_driver(path: "str | os.PathLike[str]") -> None:
    """Load a driver written outside keel (C, Zig, Odin, ...) from the
    shared library at ``path`` and register it (``keel_driver_load``), so
    that ``connect`` opens URLs of its schemes. A library that cannot be
    loaded, exports no ``keel_driver_entry``, was built for another driver
    ABI, or takes a scheme already taken raises an Error (its status and
    message say which); the library stays loaded once registered."""
    from ctypes import byref, c_void_p

    from ._ffi import lib
    from .connection import _error, no_nul

    p = os.fspath(path)
    no_nul(p, "the driver path")
    err = c_void_p()
    st = lib.keel_driver_load(p.encode("utf-8"), byref(err))
    if st != 0:
        raise _error(st, err)


def register_driver(table: int) -> None:
    """Register a driver whose ``keel_driver_v1`` table (keel_driver.h) is
    at address ``table`` in this process (``keel_driver_register``): for a
    driver linked into the program, e.g. found with ctypes. keel copies the
    table; its functions must stay loaded."""
    from ctypes import byref, c_void_p

    from ._ffi import lib
    from .connection import _error

    err = c_void_p()
    st = lib.keel_driver_register(c_void_p(table), byref(err))
    if st != 0:
        raise _error(st, err)


class LibraryVersion(str):
    """The loaded libkeel's version text (``"0.2.0"``), with where it was
    loaded from: ``path``, the file, and ``found_by``, how it was found
    ("bundled in the package", "KEEL_LIBRARY", "keel.set_library_path()",
    "cargo build tree (release)" or "(debug)")."""

    path: str
    found_by: str

    def __new__(cls, version: str, path: str, found_by: str) -> "LibraryVersion":
        self = super().__new__(cls, version)
        self.path = path
        self.found_by = found_by
        return self

    def describe(self) -> str:
        """``"libkeel 0.2.0 from /path/libkeel.so (bundled in the package)"``."""
        return f"libkeel {self} from {self.path} ({self.found_by})"


def library_version() -> LibraryVersion:
    """The loaded libkeel's version, e.g. ``"0.2.0"``, a ``str`` that also
    says where the library was loaded from (``.path``, ``.found_by``).
    Loads the library if needed (LibraryNotFound when it cannot)."""
    from ._ffi import lib, library_found_by

    version = (lib.keel_version() or b"").decode()
    return LibraryVersion(version, library_path(), library_found_by())


__all__ = [
    "apilevel",
    "threadsafety",
    "paramstyle",
    "connect",
    "load_driver",
    "register_driver",
    "Connection",
    "Cursor",
    "Pool",
    "Warning",
    "Error",
    "InterfaceError",
    "LibraryNotFound",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "TransactionRollbackError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "Date",
    "Time",
    "Timestamp",
    "DateFromTicks",
    "TimeFromTicks",
    "TimestampFromTicks",
    "Binary",
    "STRING",
    "BINARY",
    "NUMBER",
    "DATETIME",
    "ROWID",
    "Json",
    "Type",
    "Status",
    "Dialect",
    "Capability",
    "RetrySafety",
    "TxLock",
    "Isolation",
    "set_library_path",
    "library_path",
    "driver_available",
    "library_version",
    "LibraryVersion",
]
