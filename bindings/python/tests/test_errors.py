"""Errors map from SQLSTATE class, then status, and keep their details."""

from __future__ import annotations

from ctypes import byref, c_void_p

import pytest

import keel
from keel import _ffi
from keel.connection import _error
from keel.errors import error_class

S = keel.Status


@pytest.mark.parametrize(
    "status,sqlstate,cls",
    [
        (S.INTEGRITY, "23505", keel.IntegrityError),
        (S.UNKNOWN, "23000", keel.IntegrityError),
        (S.IO, "08001", keel.OperationalError),
        (S.INVALID_ARGUMENT, "42000", keel.ProgrammingError),
        (S.INVALID_ARGUMENT, "42P01", keel.ProgrammingError),
        (S.NOT_IMPLEMENTED, "0A000", keel.NotSupportedError),
        (S.INVALID_ARGUMENT, "22003", keel.DataError),
        (S.BUSY, "40001", keel.TransactionRollbackError),
        (S.BUSY, "40P01", keel.TransactionRollbackError),
        (S.UNKNOWN, "XX001", keel.InternalError),
        (S.NULL_ARGUMENT, "", keel.InterfaceError),
        (S.INVALID_ARGUMENT, "", keel.ProgrammingError),
        (S.INVALID_STATE, "", keel.ProgrammingError),
        (S.INVALID_DATA, "", keel.DataError),
        (S.PANIC, "", keel.InternalError),
        (S.INTERNAL, "", keel.InternalError),
        (S.PANIC, "42000", keel.InternalError),
        (S.BUSY, "", keel.OperationalError),
        (S.IO, "", keel.OperationalError),
        (S.TIMEOUT, "", keel.OperationalError),
        (S.NOT_IMPLEMENTED, "", keel.NotSupportedError),
        (S.UNKNOWN, "", keel.DatabaseError),
        (S.IO, "HY000", keel.OperationalError),
        # keel says INTERNAL for classes 53, 54 and XX; psycopg's classes decide.
        (S.INTERNAL, "53300", keel.OperationalError),  # too many connections
        (S.INTERNAL, "53200", keel.OperationalError),  # out of memory
        (S.IO, "53100", keel.OperationalError),  # disk full
        (S.INVALID_DATA, "54000", keel.OperationalError),  # program limit exceeded
        (S.INTERNAL, "XX000", keel.InternalError),
        (S.INVALID_DATA, "XX001", keel.InternalError),
        (S.INTERNAL, "HY001", keel.InternalError),  # SQL Server out of memory: by status
        (S.NOT_FOUND, "HY000", keel.OperationalError),  # ODBC's general class: by status
        (S.INVALID_ARGUMENT, "HY000", keel.ProgrammingError),
        (S.INVALID_STATE, "XAE07", keel.ProgrammingError),  # MySQL XA: by status
        (S.INVALID_ARGUMENT, "3B001", keel.OperationalError),  # no such savepoint
        (S.UNKNOWN, "26000", keel.ProgrammingError),
        (S.UNKNOWN, "27000", keel.OperationalError),
        (S.UNKNOWN, "2F005", keel.OperationalError),
        (S.UNKNOWN, "34000", keel.ProgrammingError),
        (S.UNKNOWN, "38001", keel.OperationalError),
        (S.UNKNOWN, "39P01", keel.OperationalError),
        (S.UNKNOWN, "F0001", keel.OperationalError),
        (S.UNKNOWN, "HV00N", keel.OperationalError),
        (S.UNKNOWN, "P0001", keel.ProgrammingError),  # RAISE EXCEPTION
        (S.UNKNOWN, "72000", keel.DatabaseError),  # not in psycopg's table either
        (S.INVALID_ARGUMENT, "07009", keel.ProgrammingError),
        (999, "", keel.DatabaseError),
    ],
)
def test_error_class_table(status, sqlstate, cls):
    assert error_class(status, sqlstate) is cls


@pytest.mark.parametrize(
    "sqlstate,cls,status",
    [
        ("53300", keel.OperationalError, S.INTERNAL),  # too many connections
        ("54001", keel.OperationalError, S.INTERNAL),  # statement too complex
        ("XX000", keel.InternalError, S.INTERNAL),
        ("P0001", keel.ProgrammingError, S.UNKNOWN),  # RAISE EXCEPTION
    ],
)
def test_server_sqlstates_map_as_in_psycopg(engine, sqlstate, cls, status):
    if engine.name != "postgres":
        pytest.skip("skipped: PL/pgSQL raises any SQLSTATE; the other engines cannot")
    with engine.connect(autocommit=True) as c:
        with pytest.raises(keel.Error) as e:
            c.execute(f"DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '{sqlstate}'; END $$")
        assert type(e.value) is cls, e.value
        assert (e.value.sqlstate, e.value.status) == (sqlstate, status)


def test_every_status_has_a_class():
    for s in S:
        if s is not S.OK:
            assert issubclass(error_class(s, ""), keel.Error)


def test_integrity_error_carries_details(conn, engine, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    cur.execute(f"INSERT INTO {table} VALUES (?)", (1,))
    conn.commit()
    with pytest.raises(keel.IntegrityError) as e:
        cur.execute(f"INSERT INTO {table} VALUES (?)", (1,))
    err = e.value
    assert err.sqlstate.startswith("23")
    assert err.status == S.INTEGRITY
    assert err.driver == engine.name
    if engine.name == "sqlite":
        assert err.sqlstate == "23505"
        assert err.vendor_code == 1555  # SQLITE_CONSTRAINT_PRIMARYKEY
        assert "UNIQUE constraint failed" in str(err)
    assert f"[SQLSTATE {err.sqlstate}]" in str(err)
    # The server refused it while running: keel says no more than the status.
    assert err.retry_safety == keel.RetrySafety.UNKNOWN and not err.retry_safe
    # The connection stays usable once the failed transaction is rolled back.
    conn.rollback()
    assert cur.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)


def test_syntax_error_is_a_programming_error(conn):
    with pytest.raises(keel.ProgrammingError) as e:
        conn.execute("SELEC 1")
    assert e.value.sqlstate[:2] == "42"
    assert "SELEC 1" in str(e.value), "the message quotes the SQL"
    conn.rollback()  # PostgreSQL aborts the transaction on any error
    with pytest.raises(keel.ProgrammingError):
        conn.execute("SELECT * FROM no_such_table")


def test_sqlite_busy_is_retryable(tmp_path):
    url = f"sqlite:///{tmp_path}/busy.db"
    a = keel.connect(url, busy_timeout_ms=0)
    b = keel.connect(url, busy_timeout_ms=0)
    a.execute("CREATE TABLE t (x INTEGER)")
    a.commit()
    a.execute("INSERT INTO t VALUES (1)")  # a holds the write lock
    with pytest.raises(keel.OperationalError) as e:
        b.execute("INSERT INTO t VALUES (2)")
    assert isinstance(e.value, keel.TransactionRollbackError)
    assert e.value.status == S.BUSY
    b.rollback()
    a.commit()
    b.execute("INSERT INTO t VALUES (2)")
    b.commit()
    a.close()
    b.close()


def test_null_argument_from_the_library_is_an_interface_error():
    err = c_void_p()
    st = _ffi.lib.keel_db_open(None, byref(c_void_p()), byref(err))
    assert st == S.NULL_ARGUMENT
    e = _error(st, err)
    assert isinstance(e, keel.InterfaceError)
    assert "argument url is NULL" in str(e)
    assert err.value is None, "the error object was freed and cleared"
    # A failed status without an error object still maps, with static text.
    e = _error(S.PANIC, c_void_p())
    assert isinstance(e, keel.InternalError) and str(e) == "internal panic"


def test_library_not_found_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(_ffi, "_lib", None)
    monkeypatch.setattr(_ffi, "_explicit", str(tmp_path / "nope.so"))
    with pytest.raises(keel.InterfaceError) as e:
        _ffi._load()
    assert isinstance(e.value, OSError) and isinstance(e.value, keel.LibraryNotFound)
    msg = str(e.value)
    assert "keel.set_library_path(): " + str(tmp_path / "nope.so") in msg
    assert "KEEL_LIBRARY" in msg and "cargo build --release" in msg


def test_library_search_order(tmp_path, monkeypatch):
    monkeypatch.setattr(_ffi, "_explicit", "/explicit/libkeel.so")
    monkeypatch.setenv("KEEL_LIBRARY", "/env/libkeel.so")
    whys = [w for w, _ in _ffi.candidates()]
    assert whys[:3] == ["keel.set_library_path()", "KEEL_LIBRARY", "bundled in the package"]
    rest = whys[3:]
    if rest:
        assert rest[0] == "cargo build tree (release)" and rest[1] == "cargo build tree (debug)"


def test_errors_raised_before_sending_are_retry_safe(conn, engine):
    cur = conn.cursor()
    with pytest.raises(keel.ProgrammingError) as e:
        cur.execute("SELECT ?, ?", (1,))
    assert e.value.retry_safety == keel.RetrySafety.NOT_SENT
    assert e.value.retry_safe
    conn.rollback()


def test_a_server_nobody_answers_is_retry_safe():
    # Port 1 on loopback: connection refused, nothing was sent.
    with pytest.raises(keel.OperationalError) as e:
        keel.connect("postgres://u:pw@127.0.0.1:1/db")
    assert e.value.retry_safe, e.value


def test_load_driver_reports_what_went_wrong(tmp_path):
    with pytest.raises(keel.Error) as e:
        keel.load_driver(tmp_path / "libnothing.so")
    assert e.value.status == S.NOT_FOUND
    assert "cannot load the driver library" in str(e.value)
    not_a_driver = tmp_path / "empty.so"
    not_a_driver.write_bytes(b"not an ELF file")
    with pytest.raises(keel.Error) as e:
        keel.load_driver(str(not_a_driver))
    assert e.value.status == S.NOT_FOUND
    with pytest.raises(ValueError):
        keel.load_driver("a\0b")
    with pytest.raises(keel.Error) as e:
        keel.register_driver(0)
    assert e.value.status == S.NULL_ARGUMENT
def test_a_write_a_read_only_transaction_refuses_did_not_commit(conn, engine, table):
    # PostgreSQL's 25006 (what a standby answers after a failover) ends the
    # transaction uncommitted: running it again cannot apply it twice.
    if engine.name != "postgres":
        pytest.skip("SQLSTATE 25006 with NOT_COMMITTED is PostgreSQL's")
    cur = conn.cursor()
    cur.execute("SET TRANSACTION READ ONLY")
    with pytest.raises(keel.Error) as e:
        cur.execute(f"CREATE TABLE {table} (id INT)")
    assert e.value.sqlstate == "25006", e.value
    assert e.value.retry_safety == keel.RetrySafety.NOT_COMMITTED
    assert e.value.retry_safe
    conn.rollback()


def test_errors_raised_by_the_package_carry_a_status_too():
    """The README promises `.status` on every exception, also on those the
    package raises before calling libkeel (nothing was sent)."""
    conn = keel.connect("sqlite::memory:")
    with pytest.raises(keel.ProgrammingError) as e:
        conn.execute("SELECT ?, ?", [1])
    assert e.value.status == keel.Status.INVALID_ARGUMENT
    assert e.value.retry_safety == keel.RetrySafety.NOT_SENT
    with pytest.raises(keel.NotSupportedError) as e:
        conn.cursor().callproc("p")
    assert e.value.status == keel.Status.NOT_IMPLEMENTED
    conn.close()
    with pytest.raises(keel.InterfaceError) as e:
        conn.execute("SELECT 1")
    assert e.value.status == keel.Status.INVALID_STATE
    assert e.value.retry_safety == keel.RetrySafety.NOT_SENT
