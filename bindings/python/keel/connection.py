"""``Connection`` and ``Cursor``: the PEP 249 objects over ``keel_conn``,
``keel_stmt`` and ``keel_rows``."""

from __future__ import annotations

import marshal
import os
import pickle
import re
import threading
import weakref
from ctypes import byref, c_bool, c_char, c_char_p, c_int32, c_size_t, c_uint64, c_void_p, string_at
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Type as _Type

from . import errors as _errors
from ._ffi import BatchFormat, Capability, Dialect, ExecResult, Isolation, Nullable, Status, TxLock, TxOptions, Type, lib, unchecked
from ._values import check_rows_values, encode_params, encode_rows, make_binder, marshal_params
from .errors import Error, InterfaceError, ProgrammingError, error_class

__all__ = ["Connection", "Cursor"]

Row = Tuple[Any, ...]
Description = Tuple[str, Type, None, None, None, None, Optional[bool]]

def no_nul(text: str, what: str) -> None:
    """Refuse ``text`` that holds a NUL character, with ValueError (as
    sqlite3 and psycopg do): C would read a NUL-terminated string only up
    to it, so ``DELETE FROM t\\0 WHERE ...`` would lose its WHERE."""
    i = text.find("\0")
    if i >= 0:
        raise ValueError(f"{what} contains a NUL character at offset {i}")


# On SQLite the implicit transaction opens before a statement that may
# write, never before a read, as the sqlite3 module does. A transaction
# that reads first holds a read (SHARED) lock, and SQLite refuses to turn
# it into the write lock while another connection writes: SQLITE_BUSY at
# once, without calling the busy handler (waiting could deadlock). And an
# idle reader's transaction keeps that lock, so every writer's COMMIT,
# which waits for all readers, fails after busy_timeout_ms. Statements
# that end or start transactions themselves (BEGIN IMMEDIATE as SQL),
# PRAGMAs (journal_mode=wal cannot run in a transaction), VACUUM, ATTACH
# and DETACH do not open it either. Anything else does, including a WITH
# that holds INSERT, UPDATE, DELETE or REPLACE.
_SQLITE_NO_TX_RE = re.compile(
    r"\A(?:\s|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*"
    r"(select|values|explain|pragma|with|begin|commit|end|rollback|savepoint|release|vacuum|attach|detach)\b",
    re.IGNORECASE | re.DOTALL,
)
_DML_RE = re.compile(r"\b(?:insert|update|delete|replace)\b", re.IGNORECASE)


def opens_sqlite_transaction(sql: str) -> bool:
    """Whether ``sql`` opens the implicit transaction on SQLite (see above)."""
    m = _SQLITE_NO_TX_RE.match(sql)
    if m is None:
        return True
    return m.group(1).lower() == "with" and bool(_DML_RE.search(sql))


_LOCKS = {m.name.lower(): m for m in TxLock}
_ISOLATIONS = {m.name.lower().replace("_", " "): m for m in Isolation}


def _choice(value: Any, table: Dict[str, Any], enum: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, enum):
        return int(value)
    if isinstance(value, str):
        v = table.get(value.strip().lower().replace("_", " ").replace("-", " "))
        if v is not None:
            return int(v)
    raise ValueError(f"unknown {what} {value!r}: use one of {', '.join(repr(k) for k in table)} or keel.{enum.__name__}")


def _error(status: int, err: c_void_p, where: str = "") -> Error:
    """Turn a failed status and its ``keel_error`` into an exception,
    freeing the error object."""
    e = err.value
    if e:
        err.value = None
        try:
            msg = (lib.keel_error_message(e) or b"").decode("utf-8", "replace")
            sqlstate = (lib.keel_error_sqlstate(e) or b"").decode("ascii", "replace")
            vendor = lib.keel_error_vendor_code(e)
            driver = (lib.keel_error_driver(e) or b"").decode("ascii", "replace")
            retry = lib.keel_error_retry_safety(e)
        finally:
            lib.keel_error_free(e)
    else:
        msg = (lib.keel_status_str(status) or b"").decode()
        sqlstate, vendor, driver, retry = "", 0, "keel", 0
    if where:
        msg = f"{where}: {msg}"
    return error_class(status, sqlstate)(
        msg, status=status, sqlstate=sqlstate, vendor_code=vendor, driver=driver, retry_safety=retry
    )


# The current process id, kept up to date across fork() so that handles
# need no getpid() system call each (glibc no longer caches it).
_pid = os.getpid()


def _after_fork_in_child() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def current_pid() -> int:
    return _pid


def _names(**names: Optional[str]) -> List[Optional[bytes]]:
    """Catalog call arguments, in the order given, as C strings (None:
    NULL)."""
    out: List[Optional[bytes]] = []
    for what, v in names.items():
        if v is None:
            out.append(None)
            continue
        if not isinstance(v, str):
            raise TypeError(f"{what} must be a str or None, not {type(v).__name__}")
        no_nul(v, what)
        out.append(v.encode("utf-8"))
    return out


def _required(v: Any, what: str) -> str:
    if v is None:
        raise TypeError(f"{what} is required")
    return v


class _Handle:
    """Owns one C pointer. ``close`` swaps it to None before freeing, so a
    second close (or a close from ``__del__``) does nothing; ``__del__``
    frees only in the process that created the handle (never in a forked
    child, where the parent's connections are not ours)."""

    __slots__ = ("ptr", "_free", "_pid", "__weakref__")

    def __init__(self, ptr: Optional[int], free: Callable[[int], None]) -> None:
        self.ptr: Optional[int] = ptr
        self._free = free
        self._pid = _pid

    def close(self) -> None:
        p, self.ptr = self.ptr, None
        if p is not None:
            self._free(p)

    def __del__(self) -> None:
        try:
            if self._pid == _pid:
                self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class _Hot:
    """The C calls of every query, unchecked (``_ffi.unchecked``): each is
    given ctypes objects of its declared types only."""

    query_peek: Any = None
    fetch_batch: Any = None
    pickle5 = c_int32(BatchFormat.PICKLE5)
    marshal2 = c_int32(BatchFormat.MARSHAL2)

    @classmethod
    def load(cls) -> None:
        if cls.fetch_batch is None:
            cls.query_peek = unchecked("keel_stmt_query_encoded_peek")
            cls.fetch_batch = unchecked("keel_rows_fetch_batch")


class _RowsHandle:
    """Owns one ``keel_rows`` pointer, kept in a ``c_void_p`` (``cptr``)
    that the query calls take back and set in place (their
    ``rows_inout``, passed as ``pref``): a cursor runs its statement again
    into the same handle with no pointer copied in Python. Closing frees
    the C cursor and leaves the handle empty, ready for the next query;
    as :class:`_Handle`, ``__del__`` frees only in the process that
    created it."""

    __slots__ = ("cptr", "pref", "_pid", "__weakref__")

    def __init__(self) -> None:
        self.cptr = c_void_p()
        self.pref = byref(self.cptr)
        self._pid = _pid

    @property
    def ptr(self) -> Optional[int]:
        return self.cptr.value

    def close(self) -> None:
        p = self.cptr.value
        if p is not None:
            self.cptr.value = None
            lib.keel_rows_free(p)

    __del__ = _Handle.__del__


class _Stmt(_Handle):
    """A statement from the connection's statement cache in libkeel
    (``keel_conn_prepare_cached``); freeing it puts it back there.
    ``shape`` is what libkeel said about statements of this SQL (see
    :func:`_shape`)."""

    __slots__ = ("sql", "n_params", "returns_rows", "opens_tx", "marshal", "cptr")

    def __init__(self, ptr: Optional[int], sql: str, shape: "Shape") -> None:
        super().__init__(ptr, lib.keel_stmt_free)
        # The pointer as a ctypes object, for the unchecked calls (`_Hot`).
        self.cptr = c_void_p(ptr)
        self.sql = sql
        self.n_params, self.returns_rows, self.opens_tx, self.marshal = shape


#: What a statement of some SQL text is (see :func:`_shape`).
Shape = Tuple[int, Optional[bool], bool, bool]

#: An empty list as marshal writes it: the batch of a cursor with no rows.
_EMPTY_BATCH = marshal.dumps([], 2)

#: Whether fetchall reads the next batch on a helper thread while it
#: decodes the last (``Cursor._read_rest``): only where there is a second
#: core to run it.
_OVERLAP = (os.cpu_count() or 1) > 1

#: The column types whose values marshal carries (KEEL_BATCH_FORMAT_MARSHAL2).
_MARSHAL_TYPES = frozenset((Type.NULL, Type.BOOL, Type.INT64, Type.UINT64, Type.DOUBLE, Type.TEXT, Type.BYTES, Type.JSON))


def _shape(ptr: Optional[int], sql: str, sqlite: bool, err: c_void_p) -> Shape:
    """What a prepared statement of ``sql`` is: its parameter count;
    whether it returns rows (statements that do run through keel_stmt_query
    and a cursor, the rest through keel_stmt_execute, which reports rows
    affected and the last insert id), as the engine says from the prepared
    statement (keel_stmt_column_count), None when it cannot tell before the
    statement runs; whether it opens the implicit transaction; and whether
    its rows are read as marshal (KEEL_BATCH_FORMAT_MARSHAL2: every column
    of a type marshal carries, as the prepared statement says), which
    ``marshal.loads`` turns into objects faster than ``pickle.loads``."""
    n = _column_count(ptr, err)
    return (
        lib.keel_stmt_param_count(ptr),
        None if n is None else n > 0,
        opens_sqlite_transaction(sql) if sqlite else True,
        n is not None and n > 0 and _marshal_columns(ptr, n, err),
    )


def _column_count(ptr: Optional[int], err: c_void_p) -> Optional[int]:
    """The prepared statement's result columns, or None when the engine
    cannot tell before it runs (KEEL_STATUS_NOT_IMPLEMENTED)."""
    n = c_size_t()
    st = lib.keel_stmt_column_count(ptr, byref(n), byref(err))
    if st == Status.NOT_IMPLEMENTED:
        lib.keel_error_free(err.value)
        err.value = None
        return None
    if st:
        raise _error(st, err)
    return n.value


def _marshal_columns(ptr: Optional[int], n: int, err: c_void_p) -> bool:
    """Whether each of the prepared statement's ``n`` columns is of a type
    marshal carries (False when a type is not known before it runs)."""
    kind = c_int32()
    for i in range(n):
        st = lib.keel_stmt_column_type(ptr, i, byref(kind), byref(err))
        if st:
            lib.keel_error_free(err.value)
            err.value = None
            return False
        if kind.value not in _MARSHAL_TYPES:
            return False
    return True


#: The largest first row (encoded) that comes with its query.
_PEEK_BYTES = 4096

#: SQL texts whose statement shape a connection remembers (oldest first out).
_SHAPES_KEPT = 512


class Connection:
    """A connection (PEP 249). Made by :func:`keel.connect` or
    :meth:`keel.Pool.connection`; use it from one thread at a time (keel
    refuses only two calls at the same moment on one of its handles; the
    results of threads taking turns may mix), except :meth:`cancel`, which
    another thread calls to stop what it runs.

    ``autocommit`` starts False: the first statement opens a transaction
    (as in psycopg), which :meth:`commit` or :meth:`rollback` ends; on
    SQLite the first statement that may write opens it, and reads before
    it run on their own (as in the sqlite3 module), so that concurrent
    writers wait for each other's locks. :meth:`begin` opens one with
    options (``lock="immediate"`` on SQLite). Used as a context manager it
    commits on success or rolls back on an exception, then closes (returns
    to its pool).
    """

    # PEP 249 optional extension: the exceptions as attributes.
    Warning = _errors.Warning
    Error = _errors.Error
    InterfaceError = _errors.InterfaceError
    DatabaseError = _errors.DatabaseError
    DataError = _errors.DataError
    OperationalError = _errors.OperationalError
    IntegrityError = _errors.IntegrityError
    InternalError = _errors.InternalError
    ProgrammingError = _errors.ProgrammingError
    NotSupportedError = _errors.NotSupportedError

    def __init__(self, db: _Handle, conn_ptr: Optional[int], *, owns_db: bool, autocommit: bool = False) -> None:
        self._db = db
        self._owns_db = owns_db
        self._conn = _Handle(conn_ptr, lib.keel_conn_return)
        # The cancel handle is made here, on the thread that opened the
        # connection and before it runs anything (keel.h: it needs no I/O),
        # so that cancel(), called from another thread while this
        # connection's thread is inside a C call, never touches the
        # connection's own handle, which two threads must not use at once.
        # The lock keeps close() from freeing it while cancel() uses it.
        self._cancel_lock = threading.Lock()
        self._cancel = _Handle(None, lib.keel_cancel_free)
        out = c_void_p()
        err = c_void_p()
        st = lib.keel_conn_cancel_handle(conn_ptr, byref(out), byref(err))
        if st:
            raise _error(st, err, "cancel handle")
        self._cancel.ptr = out.value
        self._autocommit = bool(autocommit)
        self._cursors: "weakref.WeakSet[Cursor]" = weakref.WeakSet()
        # What libkeel said about the statement of each SQL text run here
        # (_shape), so that taking it from libkeel's statement cache again
        # costs one call, not three. Facts about SQL text, not statements:
        # the statements live in libkeel's cache alone.
        self._shapes: "Dict[str, Shape]" = {}
        self._err = c_void_p()
        self._perr = byref(self._err)
        self._bind = make_binder(lib)
        self._sqlite = lib.keel_conn_dialect(conn_ptr) == Dialect.SQLITE
        # Where the engine carries one result per connection (keel.h:
        # KEEL_CAPABILITY_SEVERAL_CURSORS; PostgreSQL, MySQL, SQL Server), a
        # cursor left unfinished is read to its end (into its own buffer,
        # as psycopg's client-side cursors hold their rows) before the
        # connection runs anything else; elsewhere (SQLite) cursors stream
        # side by side.
        self._one_cursor = not self.supports(Capability.SEVERAL_CURSORS)
        self._tx_known_open = False
        self._streaming: "Optional[weakref.ref[Cursor]]" = None
        # Where keel_stmt_query_encoded_peek writes a query's first row,
        # read at once by the cursor that ran it (pickle.loads and
        # marshal.loads ignore the bytes after the object; reading the row
        # from here saves a ctypes.string_at, about 1 us).
        self._peek = bytearray(_PEEK_BYTES)
        self._peek_c = (c_char * _PEEK_BYTES).from_buffer(self._peek)
        self._peek_cap = c_size_t(_PEEK_BYTES)

    # --- state -------------------------------------------------------------

    def _ptr(self) -> int:
        p = self._conn.ptr
        if p is None:
            raise InterfaceError("the connection is closed")
        return p

    def _check(self, status: int, where: str = "") -> None:
        if status:
            raise _error(status, self._err, where)

    @property
    def closed(self) -> bool:
        return self._conn.ptr is None

    def cancel(self) -> None:
        """Ask the server to stop the statement this connection is running
        (``keel_cancel_request``): call it from another thread while this
        connection's thread waits in ``execute``, ``executemany`` or a
        fetch, which then raises :class:`keel.OperationalError` with
        ``status`` ``keel.Status.CANCELLED``; the connection stays usable
        (an open transaction stays open, though PostgreSQL has aborted it:
        roll it back). The request is delivered when this returns, but the
        statement may stop a moment later, and a statement that ended just
        before may have run to its end. When nothing runs, it does nothing
        (a cancel that reaches PostgreSQL or MySQL just as a statement
        ends may stop the connection's next one instead, as libpq's
        ``PQcancel`` may). The one method of a connection that another
        thread may call; a closed connection raises InterfaceError."""
        with self._cancel_lock:
            p = self._cancel.ptr
            if p is None:
                raise InterfaceError("the connection is closed: there is nothing to cancel")
            # An error object of its own: the connection's (`_err`) belongs
            # to the thread running the statement.
            err = c_void_p()
            st = lib.keel_cancel_request(p, byref(err))
        if st:
            raise _error(st, err, "cancel")

    @property
    def autocommit(self) -> bool:
        """When True every statement commits by itself; when False (the
        default) the first statement opens a transaction."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        p = self._ptr()
        if bool(value) != self._autocommit and lib.keel_conn_in_transaction(p):
            raise ProgrammingError("cannot change autocommit inside a transaction; commit or roll back first")
        self._autocommit = bool(value)
        self._tx_known_open = False

    @property
    def in_transaction(self) -> bool:
        return bool(lib.keel_conn_in_transaction(self._ptr()))

    @property
    def dialect(self) -> Dialect:
        return Dialect(lib.keel_conn_dialect(self._ptr()))

    def supports(self, capability: Capability) -> bool:
        """Whether the connection's engine has ``capability``
        (``keel_conn_supports``): ``keel.Capability.SEVERAL_CURSORS`` (cursors
        of one connection stream side by side: SQLite; elsewhere this
        package reads an unfinished cursor to its end before the connection
        runs anything else) or ``keel.Capability.COLUMNS_AFTER_PREPARE`` (a
        statement's result columns are known before it runs)."""
        out = c_bool()
        self._check(lib.keel_conn_supports(self._ptr(), int(capability), byref(out), self._perr), "supports")
        return out.value

    # --- the catalog ---------------------------------------------------------
    #
    # Each returns a cursor over the answer, with the columns keel.h lists
    # for the C call of the same name (``keel_conn_tables``, ...), read as
    # any other result (``fetchall``, iteration, ``description``). Patterns
    # take ``%`` and ``_``, with a backslash before either to mean it literally,
    # and compare with case; None matches everything.

    def catalogs(self) -> "Cursor":
        """The catalogs (SQLite's databases, PostgreSQL's database; none on
        MySQL/MariaDB): ``keel_conn_catalogs``."""
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_catalogs(p, out, err))

    def schemas(self, schema: Optional[str] = None, *, catalog: Optional[str] = None) -> "Cursor":
        """Schemas whose name matches the pattern ``schema``: ``keel_conn_schemas``."""
        a = _names(catalog=catalog, schema=schema)
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_schemas(p, *a, out, err))

    def tables(
        self,
        table: Optional[str] = None,
        *,
        schema: Optional[str] = None,
        catalog: Optional[str] = None,
        types: Optional[Sequence[str]] = None,
    ) -> "Cursor":
        """Tables and views whose name matches the pattern ``table``, of the
        ``types`` given (``"TABLE"``, ``"VIEW"``, ``"MATERIALIZED VIEW"``,
        ``"FOREIGN TABLE"``, ``"TEMPORARY"``, ``"SYSTEM TABLE"``; None:
        all): ``keel_conn_tables``."""
        kinds = None if types is None else ",".join([types] if isinstance(types, str) else list(types))
        a = _names(catalog=catalog, schema=schema, table=table, types=kinds)
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_tables(p, *a, out, err))

    def columns(
        self,
        table: Optional[str] = None,
        column: Optional[str] = None,
        *,
        schema: Optional[str] = None,
        catalog: Optional[str] = None,
    ) -> "Cursor":
        """Columns of the tables whose name matches the pattern ``table``:
        ``keel_conn_columns``."""
        a = _names(catalog=catalog, schema=schema, table=table, column=column)
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_columns(p, *a, out, err))

    def primary_keys(self, table: str, *, schema: Optional[str] = None, catalog: Optional[str] = None) -> "Cursor":
        """The primary key of the table named exactly ``table``:
        ``keel_conn_primary_keys``."""
        a = _names(catalog=catalog, schema=schema, table=_required(table, "table"))
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_primary_keys(p, *a, out, err))

    def foreign_keys(
        self,
        table: str,
        *,
        exported: bool = False,
        schema: Optional[str] = None,
        catalog: Optional[str] = None,
    ) -> "Cursor":
        """The foreign keys the table named exactly ``table`` holds, or with
        ``exported=True`` those that reference it: ``keel_conn_foreign_keys``."""
        a = _names(catalog=catalog, schema=schema, table=_required(table, "table"))
        d = 1 if exported else 0
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_foreign_keys(p, *a, d, out, err))

    def indexes(self, table: str, *, schema: Optional[str] = None, catalog: Optional[str] = None) -> "Cursor":
        """The indexes of the table named exactly ``table``, a row per key
        column: ``keel_conn_indexes``."""
        a = _names(catalog=catalog, schema=schema, table=_required(table, "table"))
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_indexes(p, *a, out, err))

    def unique_constraints(self, table: str, *, schema: Optional[str] = None, catalog: Optional[str] = None) -> "Cursor":
        """The UNIQUE constraints of the table named exactly ``table``, a row
        per key column: ``keel_conn_unique_constraints``."""
        a = _names(catalog=catalog, schema=schema, table=_required(table, "table"))
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_unique_constraints(p, *a, out, err))

    def check_constraints(self, table: str, *, schema: Optional[str] = None, catalog: Optional[str] = None) -> "Cursor":
        """The CHECK constraints of the table named exactly ``table``, with
        their condition's text: ``keel_conn_check_constraints``."""
        a = _names(catalog=catalog, schema=schema, table=_required(table, "table"))
        return self.cursor()._catalog(lambda p, out, err: lib.keel_conn_check_constraints(p, *a, out, err))

    @property
    def server_version(self) -> str:
        out = c_char_p()
        self._check(lib.keel_conn_server_version(self._ptr(), byref(out), self._perr))
        return (out.value or b"").decode("utf-8", "replace")

    def _settle(self) -> None:
        """On one-cursor engines, finish the cursor still streaming."""
        ref, self._streaming = self._streaming, None
        cur = ref() if ref is not None else None
        if cur is not None:
            cur._drain()

    def _begin_if_needed(self, p: int, st: _Stmt, query: bool) -> None:
        # A query cannot end a transaction, so after a query (or a BEGIN
        # keel made) the transaction is known to be open and the call to
        # ask is skipped; any other statement may have been COMMIT or
        # ROLLBACK, so the next statement asks again. On SQLite a read
        # opens none (see opens_sqlite_transaction).
        if self._autocommit or (query and self._tx_known_open) or not st.opens_tx:
            return
        if not lib.keel_conn_in_transaction(p):
            self._check(lib.keel_conn_begin(p, None, self._perr), "begin")
        self._tx_known_open = query

    # --- statements ----------------------------------------------------------

    def _take_stmt(self, p: int, sql: str) -> _Stmt:
        """The statement for ``sql`` from libkeel's statement cache of this
        connection (``keel_conn_prepare_cached``, the cache
        ``stmt_cache_size`` sizes), prepared when the cache has none.
        Closing it puts it back."""
        if not isinstance(sql, str):
            # Else None fails in no_nul ("no attribute 'find'") and bytes
            # in its find ("should be integer or bytes-like object").
            raise TypeError(f"the SQL must be a str, not {type(sql).__name__}" + (
                "; decode it first (sql.decode())" if isinstance(sql, (bytes, bytearray)) else ""))
        no_nul(sql, "the SQL")
        b = sql.encode("utf-8")
        out = c_void_p()
        self._check(lib.keel_conn_prepare_cached(p, b, len(b), byref(out), self._perr))
        shape = self._shapes.get(sql)
        if shape is None:
            try:
                shape = _shape(out.value, sql, self._sqlite, self._err)
            except BaseException:
                lib.keel_stmt_free(out.value)
                raise
            if len(self._shapes) >= _SHAPES_KEPT:
                self._shapes.pop(next(iter(self._shapes)))
            self._shapes[sql] = shape
        return _Stmt(out.value, sql, shape)

    # --- PEP 249 -------------------------------------------------------------

    def cursor(self) -> "Cursor":
        self._ptr()
        c = Cursor(self)
        self._cursors.add(c)
        return c

    def execute(self, operation: str, parameters: Optional[Sequence[Any]] = None) -> "Cursor":
        """Shortcut: a new cursor, executed (as sqlite3 and psycopg have)."""
        return self.cursor().execute(operation, parameters)

    def ingest(self, table: str, data: Any, mode: str = "create") -> int:
        """Load ``data`` (any object with ``__arrow_c_stream__``: a pyarrow
        Table or RecordBatchReader, a polars DataFrame, a keel cursor) into
        ``table``; the number of rows loaded. ``mode`` is ``"create"``
        (make the table; it must not exist), ``"append"`` (it must
        exist), ``"replace"`` (drop it if it exists, make it again) or
        ``"create_append"``, as ``keel_conn_ingest`` (keel.h) describes,
        with its column types and value conversions. Inside the
        transaction the connection has or opens (as for ``execute``) unless
        ``autocommit``: ``commit()`` keeps the rows."""
        from . import _arrow

        modes = {"create": 1, "append": 2, "replace": 3, "create_append": 4}
        if mode not in modes:
            raise ProgrammingError(f"mode {mode!r} is not one of {', '.join(modes)}")
        # The name goes to C NUL-terminated: cut at a NUL,
        # "keep\0_other" with mode="replace" would drop and remake keep.
        (name,) = _names(table=_required(table, "table"))
        export = getattr(data, "__arrow_c_stream__", None)
        if export is None:
            raise TypeError(
                "data must be an Arrow stream source, an object with __arrow_c_stream__ (a pyarrow Table "
                f"or RecordBatchReader, a polars DataFrame, a keel cursor), not {type(data).__name__}"
            )
        p = self._ptr()
        if self._one_cursor:
            self._settle()
        capsule = export()
        stream = _arrow.stream_of(capsule)
        if not self._autocommit and not lib.keel_conn_in_transaction(p):
            self._check(lib.keel_conn_begin(p, None, self._perr), "begin")
        self._tx_known_open = False
        n = c_uint64()
        # libkeel takes the stream (it sets its release to NULL), so the
        # capsule's destructor finds nothing left to release.
        self._check(lib.keel_conn_ingest(p, name, stream, modes[mode], byref(n), self._perr), "ingest")
        return n.value

    def begin(self, *, lock: Any = None, isolation: Any = None, read_only: bool = False) -> None:
        """Open a transaction now, with options, whatever ``autocommit``
        says; :meth:`commit` or :meth:`rollback` ends it. ``lock`` (SQLite
        only: ``"deferred"``, ``"immediate"``, ``"exclusive"`` or a
        :class:`keel.TxLock`) says when SQLite takes the write lock:
        ``"immediate"`` takes it here, waiting up to ``busy_timeout_ms``,
        which a transaction that reads before it writes needs when other
        connections write to the same file. ``isolation`` is a level name
        (``"serializable"``, ``"read committed"``, ...) or a
        :class:`keel.Isolation`; ``read_only`` opens a read-only
        transaction. A transaction already open is a ProgrammingError."""
        p = self._ptr()
        opts = TxOptions(
            isolation=_choice(isolation, _ISOLATIONS, Isolation, "isolation level"),
            read_only=bool(read_only),
            lock=_choice(lock, _LOCKS, TxLock, "lock"),
        )
        if self._one_cursor:
            self._settle()
        self._check(lib.keel_conn_begin(p, byref(opts), self._perr), "begin")
        self._tx_known_open = True

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        p = self._ptr()
        if self._one_cursor:
            self._settle()
        self._tx_known_open = False
        if lib.keel_conn_in_transaction(p):
            self._check(lib.keel_conn_commit(p, self._perr), "commit")

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        p = self._ptr()
        if self._one_cursor:
            self._settle()
        self._tx_known_open = False
        if lib.keel_conn_in_transaction(p):
            self._check(lib.keel_conn_rollback(p, self._perr), "rollback")

    def close(self, discard: bool = False) -> None:
        """Close the connection: its cursors close, an open transaction is
        rolled back, and it returns to its pool. Closing twice is fine.

        ``discard=True`` closes its session instead of returning it
        (``keel_conn_close``): for a session whose state you changed
        (``SET search_path``, temporary tables) or no longer trust. An open
        transaction ends without effect, and the pool opens a new session
        when it needs one."""
        if self._conn.ptr is None:
            return
        with self._cancel_lock:
            self._cancel.close()
        for c in list(self._cursors):
            c.close()
        status = 0
        if discard:
            p, self._conn.ptr = self._conn.ptr, None
            status = lib.keel_conn_close(p, self._perr)
        else:
            self._conn.close()
        if self._owns_db:
            self._db.close()
        if status:
            # The handle is freed and its session closed all the same.
            raise _error(status, self._err, "close")

    def __enter__(self) -> "Connection":
        self._ptr()
        return self

    def __exit__(self, exc_type: Optional[_Type[BaseException]], exc: Any, tb: Any) -> None:
        try:
            if self._conn.ptr is not None:
                if exc_type is None:
                    self.commit()
                else:
                    self.rollback()
        finally:
            self.close()

    def __repr__(self) -> str:
        return f"<keel.Connection {'closed' if self.closed else 'open'}>"


class Cursor:
    """A cursor (PEP 249). Rows are read from the library in batches (one
    C call and one ``pickle.loads`` per batch), not one call per value."""

    #: Rows fetched by :meth:`fetchall` per C call.
    fetchall_batch = 65536

    def __init__(self, connection: Connection) -> None:
        self._conn: Optional[Connection] = connection
        # Kept after close, for `connection` (PEP 249, as sqlite3).
        self._connection = connection
        self._arraysize = 1
        self.rowcount = -1
        self.lastrowid: Optional[int] = None
        self._stmt: Optional[_Stmt] = None
        # The C cursor of the current result (empty between results).
        self._rows = _RowsHandle()
        self._has_result = False
        self._end = True
        self._buf: List[Row] = []
        self._pos = 0
        # fetchall handed rows of the current result out (it empties the
        # buffer, so `_pos` no longer shows it; every other fetch leaves
        # `_pos` past what it handed out, or reads past the first row, which
        # clears `_peeked`): the stream must skip the first row.
        self._taken = False
        # The result's rows come as marshal (KEEL_BATCH_FORMAT_MARSHAL2).
        self._marshal = False
        # The first row of the result came with the query
        # (keel_stmt_query_encoded_peek) and is still the C cursor's next
        # row: the next batch fetched starts with it again.
        self._peeked = False
        self._next_batch = 64
        self._desc: Optional[List[Description]] = None
        _Hot.load()
        self._o_max = c_size_t()
        self._o_params_len = c_size_t()
        self._o_data = c_void_p()
        self._o_len = c_size_t()
        self._o_n = c_size_t()
        self._o_end = c_bool()
        self._p_data = byref(self._o_data)
        self._p_len = byref(self._o_len)
        self._p_n = byref(self._o_n)
        self._p_end = byref(self._o_end)
        # The arguments of keel_stmt_query_encoded_peek after the params.
        self._peek_args = (self._rows.pref, connection._peek_c, connection._peek_cap, self._p_len, self._p_n, self._p_end, connection._perr)

    # --- state -------------------------------------------------------------

    @property
    def connection(self) -> Connection:
        """The connection that made this cursor, even once either is
        closed (as in sqlite3)."""
        return self._connection

    @property
    def arraysize(self) -> int:
        """Rows :meth:`fetchmany` fetches when given no size (default 1; a
        negative one fetches every remaining row)."""
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        # Checked here, as sqlite3 does, rather than failing later in
        # fetchmany with an error that does not name arraysize.
        if isinstance(value, bool) or not hasattr(type(value), "__index__"):
            raise TypeError(f"arraysize must be an int, not {type(value).__name__}")
        self._arraysize = value.__index__()

    @property
    def closed(self) -> bool:
        return self._conn is None or self._conn.closed

    def _live(self) -> Tuple[Connection, int]:
        c = self._conn
        if c is None:
            raise InterfaceError("the cursor is closed")
        p = c._conn.ptr
        if p is None:
            raise InterfaceError("the cursor's connection is closed")
        return c, p

    def _release(self, keep_stmt: bool = False) -> None:
        """Drop the current result: free the cursor and, unless
        ``keep_stmt``, give the statement back."""
        # A result read to its end leaves its handle here for the next run
        # of the same statement to reuse (`_query`); one not read to the
        # end is freed now, as it still holds the session on
        # PostgreSQL, MySQL and SQL Server.
        if not (keep_stmt and self._end):
            self._rows.close()
        if not keep_stmt:
            self._release_stmt()
        self._buf = []
        self._pos = 0
        self._taken = False
        self._peeked = False
        self._end = True
        self._has_result = False
        self._desc = None

    def _release_stmt(self) -> None:
        """Give the statement back to libkeel's statement cache (a cursor
        keeps the statement of its last execute until it runs other SQL
        or closes, so a loop over one SQL text takes it from the cache
        once)."""
        st, self._stmt = self._stmt, None
        if st is not None:
            st.close()

    def close(self) -> None:
        """Close the cursor; closing twice is fine."""
        if self._conn is None:
            return
        self._release()
        self._conn = None

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- execution -----------------------------------------------------------

    def execute(self, operation: str, parameters: Optional[Sequence[Any]] = None) -> "Cursor":
        """Run one statement with ``?`` placeholders bound to ``parameters``."""
        st = self._stmt
        conn = self._conn
        if (
            # The query this cursor ran last, again, on an engine whose
            # cursors stream side by side (SQLite), needing no BEGIN: what
            # the general path below does, minus what it would find
            # already done (one C call; a point query's row comes with it).
            st is not None
            and st.returns_rows
            and conn is not None
            and not conn._one_cursor
            and st.sql == operation
            and type(parameters) is tuple
            and len(parameters) == st.n_params
            and (not st.opens_tx or conn._autocommit or conn._tx_known_open)
            and st.ptr is not None
            and conn._conn.ptr is not None
        ):
            if not self._end:
                self._rows.close()
            self._desc = None
            try:
                self._query(conn, st, parameters)
            except BaseException:
                self._release()
                raise
            self._start_rows(conn)
            return self
        conn, p = self._live()
        st = self._stmt
        same = st is not None and st.sql == operation and st.ptr is not None
        self._release(keep_stmt=same)
        if conn._one_cursor:
            conn._settle()
        if not same:
            st = conn._take_stmt(p, operation)
            self._stmt = st
        assert st is not None
        try:
            conn._begin_if_needed(p, st, bool(st.returns_rows))
            params: Sequence[Any] = parameters if type(parameters) in (tuple, list) else _params(parameters)  # type: ignore[assignment]
            if len(params) != st.n_params:
                raise ProgrammingError(
                    f"the statement has {st.n_params} placeholder{'s' if st.n_params != 1 else ''} "
                    f"but {len(params)} parameter{'s were' if len(params) != 1 else ' was'} given"
                )
            if st.returns_rows is None:
                # The engine cannot tell before running it: run it as a
                # query and look at what came back. Without columns it was
                # a command, whose rows affected a cursor does not report.
                self._query(conn, st, params)
                self.rowcount = -1
                self.lastrowid = None
                if lib.keel_rows_column_count(self._rows.ptr) == 0:
                    self._release()
                    return self
                self._start_rows(conn)
            elif st.returns_rows:
                self._query(conn, st, params)
                self._start_rows(conn)
            else:
                if params:
                    conn._bind(st.ptr, params, conn._perr, conn._check)
                res = ExecResult()
                conn._check(lib.keel_stmt_execute(st.ptr, byref(res), conn._perr))
                self.rowcount = res.rows_affected
                self.lastrowid = res.last_insert_id if res.has_last_insert_id else None
        except BaseException:
            self._release()
            raise
        return self

    def _query(self, conn: Connection, st: _Stmt, params: Sequence[Any]) -> None:
        """Bind ``params``, run ``st`` and take its first row where libkeel
        holds it already (SQLite), in one C call
        (``keel_stmt_query_encoded_peek``), into the rows handle this
        cursor kept from its last run of the same statement when it has
        one (the call takes it back and may hand the same memory back).
        Then the cursor holds the result, nothing of it handed out yet."""
        # Marshal both ways where the statement's columns and the
        # parameters allow it (one format for both in the one call), else
        # pickle.
        fmt = _Hot.pickle5
        data = None
        if st.marshal:
            data = marshal_params(params) if params else None
            if data is not None or not params:
                fmt = _Hot.marshal2
        if data is None and params:
            data = encode_params(params)
            if data is None:
                # Bound value by value (a zone the stream cannot carry).
                conn._bind(st.ptr, params, conn._perr, conn._check)
        self._o_params_len.value = 0 if data is None else len(data)
        s = _Hot.query_peek(st.cptr, fmt, data, self._o_params_len, *self._peek_args)
        if s:
            conn._check(s)
        self._has_result = True
        self._pos = 0
        self._taken = False
        self._marshal = st.marshal
        if self._o_n.value:
            self._buf = marshal.loads(conn._peek) if fmt is _Hot.marshal2 else pickle.loads(conn._peek)
            self._peeked = True
        else:
            self._buf = []
        self._end = self._o_end.value

    def _catalog(self, call: Callable[[int, Any, Any], int]) -> "Cursor":
        """Open the answer of a catalog call (see ``Connection.tables``)."""
        conn, p = self._live()
        self._release()
        if conn._one_cursor:
            conn._settle()
        try:
            conn._check(call(p, self._rows.pref, conn._perr))
            self._marshal = False
            self._has_result = True
            self._end = False
            self._start_rows(conn)
        except BaseException:
            self._release()
            raise
        return self

    def _start_rows(self, conn: Connection) -> None:
        """The cursor just opened. Nothing is handed out yet: the first
        fetch takes the first row or batch, and ``__arrow_c_stream__`` can
        still take every row."""
        self.rowcount = -1
        self.lastrowid = None
        self._next_batch = 64
        if conn._one_cursor and not self._end:
            conn._streaming = weakref.ref(self)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence[Any]]) -> "Cursor":
        """Run one statement for every parameter row, in one C call: the
        rows are pickled (in C) and ``keel_stmt_execute_batch_encoded``
        binds and runs them (a plain ``INSERT ... VALUES`` as multi-row
        INSERTs on PostgreSQL and MySQL, other statements pipelined on
        PostgreSQL and sent by the bulk command on MariaDB). ``rowcount`` is the total of rows affected,
        ``lastrowid`` the last row's id. Stops at the first failing row
        (``row N:`` in the message; for a multi-row INSERT inside a
        PostgreSQL transaction, the failed chunk's rows); earlier rows stay
        done within the transaction."""
        conn, p = self._live()
        st = self._stmt
        same = st is not None and st.sql == operation and st.ptr is not None
        self._release(keep_stmt=same)
        rows = seq_of_parameters if isinstance(seq_of_parameters, (list, tuple)) else list(seq_of_parameters)
        if conn._one_cursor:
            conn._settle()
        if not same:
            st = conn._take_stmt(p, operation)
            self._stmt = st
        assert st is not None
        try:
            conn._begin_if_needed(p, st, False)
            n = st.n_params
            for i, r in enumerate(rows):
                # A str or bytes has a length and items, but as a row it
                # would bind its characters one by one.
                if type(r) not in (tuple, list) and (
                    isinstance(r, (str, bytes, bytearray)) or not isinstance(r, dict) and not _is_sequence(r)
                ):
                    raise TypeError(
                        f"row {i}: a row of parameters must be a sequence (a tuple or list) with one value "
                        f"per ? placeholder, not {type(r).__name__}; for one value a row, pass [(value,), ...]"
                    )
                if isinstance(r, dict) or len(r) != n:
                    raise ProgrammingError(
                        f"row {i}: the statement has {n} placeholder{'s' if n != 1 else ''} "
                        f"but the row has {len(r)} value{'s' if len(r) != 1 else ''}"
                        if not isinstance(r, dict)
                        else f"row {i}: named parameters are not supported (paramstyle is qmark)"
                    )
            self.rowcount = 0
            self.lastrowid = None
            if rows:
                data = encode_rows(rows if isinstance(rows, list) else list(rows))
                res = ExecResult()
                s = lib.keel_stmt_execute_batch_encoded(st.ptr, BatchFormat.PICKLE5, data, len(data), byref(res), conn._perr)
                if s:
                    e = _error(s, conn._err)
                    if s == Status.INVALID_ARGUMENT:
                        # libkeel names a dict, list or tuple value in the
                        # stream's terms (opcode, byte offset): say it in
                        # the caller's, found only now that it failed.
                        try:
                            check_rows_values(rows)
                        except ProgrammingError as clear:
                            raise clear from e
                    raise e
                self.rowcount = res.rows_affected
                self.lastrowid = res.last_insert_id if res.has_last_insert_id else None
        except BaseException:
            self._release()
            raise
        return self

    def callproc(self, procname: str, parameters: Sequence[Any] = ()) -> Sequence[Any]:
        raise _errors.NotSupportedError("callproc is not supported; use execute with CALL or SELECT")

    def nextset(self) -> Optional[bool]:
        """keel results have one set: there is never a next one."""
        self._live()
        return None

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored (PEP 249 allows that)."""

    def setoutputsize(self, size: int, column: Optional[int] = None) -> None:
        """Accepted and ignored (PEP 249 allows that)."""

    # --- results -------------------------------------------------------------

    def _fetch(self, max_rows: int) -> List[Row]:
        """One batch from the library: one C call and one ``loads``
        (marshal's or pickle's, as the result was encoded)."""
        return self._decode(self._fetch_raw(max_rows))

    @staticmethod
    def _decode(raw: Tuple[bytes, bool, bool]) -> List[Row]:
        """The rows of a batch ``_fetch_raw`` read."""
        data, as_marshal, skip = raw
        out: List[Row] = marshal.loads(data) if as_marshal else pickle.loads(data)
        if skip:
            del out[:1]
        return out

    def _fetch_into(self, box: List[Any]) -> None:
        """``_fetch_raw`` of a fetchall batch on a helper thread: its
        result, or the exception it raised, goes into ``box``."""
        try:
            box.append(self._fetch_raw(self.fetchall_batch))
        except BaseException as e:  # handed to the thread that waits
            box.append(e)

    def _read_rest(self, out: List[Row]) -> None:
        """Read the rest of the result onto ``out``, a fetchall batch at a
        time. While one batch is turned into rows (``loads``, which holds
        the GIL), the next is read from the library on a helper thread
        (ctypes lets go of the GIL for the C call), so on a machine with
        two cores or more the two overlap: only this thread touches the
        cursor between batches, and the helper only while this one waits
        for it or decodes bytes already copied out of the library."""
        if self._end:
            return
        raw = self._fetch_raw(self.fetchall_batch)
        while not self._end and _OVERLAP:
            box: List[Any] = []
            helper = threading.Thread(target=self._fetch_into, args=(box,), name="keel-fetch", daemon=True)
            try:
                helper.start()
            except RuntimeError:
                # No new thread (the interpreter is shutting down, or the
                # process is out of them): batch by batch, below.
                break
            try:
                out.extend(self._decode(raw))
            finally:
                helper.join()
            if isinstance(box[0], BaseException):
                raise box[0]
            raw = box[0]
        out.extend(self._decode(raw))
        while not self._end:
            out.extend(self._fetch(self.fetchall_batch))

    def _fetch_raw(self, max_rows: int) -> Tuple[bytes, bool, bool]:
        """One batch's bytes from the library (one C call), copied out of
        the cursor's buffer, with whether they are marshal (else pickle)
        and whether their first row is one already handed out."""
        rows = self._rows
        if rows.ptr is None:
            self._end = True
            return (_EMPTY_BATCH, True, False)
        conn = self._conn
        assert conn is not None
        # No buffer_out: the cursor keeps the bytes until its next batch,
        # so there is no buffer to free.
        o = rows.cptr
        m = self._o_max
        skip = self._peeked
        if skip:
            # The row that came with the query, already in the buffer.
            self._peeked = False
            max_rows += 1
        m.value = max_rows
        fmt = _Hot.marshal2 if self._marshal else _Hot.pickle5
        st = _Hot.fetch_batch(o, m, fmt, None, self._p_data, self._p_len, self._p_n, self._p_end, conn._perr)
        if st == Status.NOT_IMPLEMENTED and fmt is _Hot.marshal2:
            # The statement's columns changed type since it was described
            # (its table was made again): libkeel refused the result as
            # marshal before reading a row. Read it, and the statement's
            # later results, as pickle.
            lib.keel_error_free(conn._err.value)
            conn._err.value = None
            self._marshal = False
            if self._stmt is not None:
                self._stmt.marshal = False
                conn._shapes.pop(self._stmt.sql, None)
            fmt = _Hot.pickle5
            st = _Hot.fetch_batch(o, m, fmt, None, self._p_data, self._p_len, self._p_n, self._p_end, conn._perr)
        if st:
            self._end = True
            raise _error(st, conn._err)
        data = string_at(self._o_data.value or 0, self._o_len.value)
        if self._o_end.value:
            # The cursor keeps its (finished) rows handle for `description`.
            self._end = True
        return (data, fmt is _Hot.marshal2, skip)

    def _drain(self) -> None:
        """Read the rest of the result into this cursor's buffer, so the
        connection is free for other statements."""
        if self._end or self._rows.ptr is None:
            return
        rest = self._buf[self._pos :]
        self._read_rest(rest)
        self._buf, self._pos = rest, 0

    def _check_result(self) -> None:
        self._live()
        if not self._has_result:
            raise ProgrammingError("no result set: execute a query first")

    def fetchone(self) -> Optional[Row]:
        if self._pos < len(self._buf):
            r = self._buf[self._pos]
            self._pos += 1
            return r
        self._check_result()
        while not self._end:
            self._buf = self._fetch(self._next_batch)
            self._next_batch = min(self._next_batch * 4, 4096)
            self._pos = 0
            if self._buf:
                self._pos = 1
                return self._buf[0]
        return None

    def fetchmany(self, size: Optional[int] = None) -> List[Row]:
        self._check_result()
        want = self.arraysize if size is None else size
        if want < 0:
            # As the sqlite3 module does: a negative size is no limit.
            return self.fetchall()
        out = self._buf[self._pos : self._pos + want]
        self._pos += len(out)
        while len(out) < want and not self._end:
            self._buf = self._fetch(max(want - len(out), self._next_batch))
            self._pos = 0
            take = self._buf[: want - len(out)]
            self._pos = len(take)
            out.extend(take)
        return out

    def fetchall(self) -> List[Row]:
        self._check_result()
        out = self._buf[self._pos :]
        if out or self._pos:
            self._taken = True
        self._buf = []
        self._pos = 0
        self._read_rest(out)
        return out

    # --- Arrow ---------------------------------------------------------------

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The rest of the result as an Arrow C stream: a PyCapsule named
        ``"arrow_array_stream"`` (the Arrow PyCapsule interface), so
        ``pyarrow.table(cur)``, ``polars.DataFrame(cur)`` and DuckDB read it.
        Needs no pyarrow. The rows move into the stream (as
        ``keel_rows_export_arrow``): the cursor has none left afterwards.
        The stream holds the connection's session until it is released, so
        on PostgreSQL, MySQL/MariaDB and SQL Server the connection runs
        nothing else until the stream is read to its end or released.
        ``requested_schema`` is ignored: the Arrow types are those libkeel
        documents (keel.h, ``keel_conn_query_arrow``)."""
        from . import _arrow

        self._check_result()
        conn = self._conn
        assert conn is not None
        rows = self._rows
        if rows.ptr is None:
            raise ProgrammingError("no result set: execute a query first")
        if self._peeked:
            # The first row came with the query and the C cursor still
            # holds it: the stream starts with it, unless a fetch handed it
            # out (fetchall leaves no trace of it in `_pos`).
            if self._taken or self._pos:
                more = c_bool()
                conn._check(lib.keel_rows_next(rows.ptr, byref(more), conn._perr))
            self._peeked = False
        elif self._pos < len(self._buf):
            raise ProgrammingError(
                "rows of this result were already fetched into the cursor; export a result before fetching from it"
            )
        self.description  # kept: the exported cursor has no columns left to describe
        stream = _arrow.new_stream()
        status = lib.keel_rows_export_arrow(rows.ptr, byref(stream), conn._perr)
        # The rows left the C cursor whether or not a stream was made (a
        # value of the first batch that does not fit fails the export):
        # the cursor is at its end either way, so nothing drains it later.
        self._buf, self._pos, self._end = [], 0, True
        conn._check(status, "Arrow stream")
        return _arrow.capsule(stream)

    def fetch_arrow_table(self) -> Any:
        """The rest of the result as a ``pyarrow.Table`` (needs pyarrow)."""
        import pyarrow

        return pyarrow.table(self)

    def __iter__(self) -> Iterator[Row]:
        return self

    def __next__(self) -> Row:
        r = self.fetchone()
        if r is None:
            raise StopIteration
        return r

    @property
    def description(self) -> Optional[List[Description]]:
        """(name, type_code, None, None, None, None, null_ok) per column;
        ``type_code`` is a :class:`keel.Type` (compare it with
        ``keel.STRING``, ``keel.NUMBER``, ...). None when the last
        statement returned no rows."""
        if self._desc is not None:
            return self._desc
        rows = self._rows
        if not self._has_result or rows.ptr is None or self._conn is None:
            return None
        conn = self._conn
        n = lib.keel_rows_column_count(rows.ptr)
        if n == 0:
            return None
        desc: List[Description] = []
        name = c_char_p()
        kind = c_int32()
        nullable = c_int32()
        for i in range(n):
            conn._check(lib.keel_rows_column_name(rows.ptr, i, byref(name), conn._perr))
            conn._check(lib.keel_rows_column_type(rows.ptr, i, byref(kind), conn._perr))
            conn._check(lib.keel_rows_column_nullable(rows.ptr, i, byref(nullable), conn._perr))
            null_ok = {Nullable.NO: False, Nullable.YES: True}.get(Nullable(nullable.value))
            desc.append(((name.value or b"").decode("utf-8", "replace"), Type(kind.value), None, None, None, None, null_ok))
        self._desc = desc
        return desc

    def __repr__(self) -> str:
        return f"<keel.Cursor {'closed' if self.closed else 'open'}>"


def _params(parameters: Optional[Sequence[Any]]) -> Sequence[Any]:
    if parameters is None:
        return ()
    if isinstance(parameters, dict):
        raise ProgrammingError("named parameters are not supported: paramstyle is qmark, pass a sequence")
    if isinstance(parameters, (str, bytes)):
        raise ProgrammingError("parameters must be a sequence of values, not a single str or bytes")
    if not _is_sequence(parameters):
        raise TypeError(
            f"parameters must be a sequence (a tuple or list) with one value per ? placeholder, "
            f"not {type(parameters).__name__}; for one value, pass (value,)"
        )
    # The encoders take tuples and lists (a range or another sequence
    # would reach marshal or the pickler as itself).
    return tuple(parameters)


def _is_sequence(v: Any) -> bool:
    """Whether ``v`` has a length and items by position, as a row of
    parameters needs (a set, a generator or a number has not)."""
    t = type(v)
    return hasattr(t, "__len__") and hasattr(t, "__getitem__")
