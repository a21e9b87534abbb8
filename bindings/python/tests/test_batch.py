"""The batch C calls directly: keel_rows_fetch_batch and its buffer,
keel_stmt_execute_batch (keel_value rows) and keel_stmt_execute_batch_encoded.
The C calls are engine-agnostic, so most of these run on SQLite only; the
executemany test runs on every engine."""

from __future__ import annotations

import marshal
import pickle
from ctypes import byref, c_bool, c_size_t, c_void_p, string_at

import pytest

import keel
from keel._ffi import BatchFormat, ExecResult, Status, lib
from keel._values import encode_rows, pack_rows
from keel.connection import _error


def query(conn, sql):
    p = conn._conn.ptr
    st = c_void_p()
    assert lib.keel_conn_prepare(p, sql.encode(), byref(st), None) == 0
    rows = c_void_p()
    assert lib.keel_stmt_query(st, byref(rows), None) == 0
    return st, rows


def fetch(rows, max_rows, fmt=BatchFormat.PICKLE5):
    buf, n, end, err = c_void_p(), c_size_t(77), c_bool(), c_void_p()
    data_p, len_ = c_void_p(), c_size_t(88)
    st = lib.keel_rows_fetch_batch(rows, max_rows, fmt, byref(buf), byref(data_p), byref(len_), byref(n), byref(end), byref(err))
    if st:
        assert buf.value is None and n.value == 77 and len_.value == 88, "outputs untouched on failure"
        raise _error(st, err)
    try:
        assert data_p.value == lib.keel_buffer_data(buf) and len_.value == lib.keel_buffer_len(buf)
        data = string_at(data_p.value, len_.value)
    finally:
        lib.keel_buffer_free(buf)
    out = marshal.loads(data) if fmt == BatchFormat.MARSHAL2 else pickle.loads(data)
    assert len(out) == n.value
    return out, end.value


def test_marshal_carries_plain_results_and_refuses_the_rest_before_reading(sqlite_conn):
    conn = sqlite_conn
    conn.execute("CREATE TABLE m (i BIGINT, f REAL, s TEXT, b BLOB, flag BOOLEAN, j JSON, ts TIMESTAMP)")
    rows = [
        (-(2**63), 0.5, "héllo", b"\x00\xff", True, '{"a": 1}', "2024-01-02 03:04:05"),
        (2**63 - 1, -1e300, "", b"", False, "[]", None),
        (2**31, None, None, None, None, None, None),
        (-(2**31) - 1, float("inf"), "x" * 300, b"y" * 300, True, "1", None),
    ]
    conn.cursor().executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    plain = "SELECT i, f, s, b, flag, j FROM m ORDER BY rowid"
    st, r = query(conn, plain)
    got, end = fetch(r, 10, BatchFormat.MARSHAL2)
    assert end and got == [row[:6] for row in rows]
    assert [type(v) for v in got[0]] == [int, float, str, bytes, bool, str]
    lib.keel_rows_free(r)
    lib.keel_stmt_free(st)
    # The same values as pickle writes them.
    st, r = query(conn, plain)
    assert fetch(r, 10)[0] == got
    lib.keel_rows_free(r)
    lib.keel_stmt_free(st)
    # A timestamp column: refused before a row is read, so the rows are
    # all still there for pickle.
    st, r = query(conn, "SELECT i, ts FROM m ORDER BY rowid")
    with pytest.raises(keel.NotSupportedError, match="ts.*PICKLE5"):
        fetch(r, 10, BatchFormat.MARSHAL2)
    assert len(fetch(r, 10)[0]) == 4
    lib.keel_rows_free(r)
    lib.keel_stmt_free(st)


def test_marshal_parameter_rows(sqlite_conn):
    conn = sqlite_conn
    conn.execute("CREATE TABLE p (i BIGINT, f REAL, s TEXT, b BLOB, flag BOOLEAN)")
    rows = [(2**63 - 1, 1.5, "é", b"\x00", True), (-(2**63), None, "a" * 70000, b"", False)]
    p = conn._conn.ptr
    st = c_void_p()
    assert lib.keel_conn_prepare(p, b"INSERT INTO p VALUES (?, ?, ?, ?, ?)", byref(st), None) == 0
    data = marshal.dumps(rows, 2)
    err = c_void_p()
    assert lib.keel_stmt_execute_batch_encoded(st, BatchFormat.MARSHAL2, data, len(data), None, byref(err)) == 0
    cur = conn.cursor()
    cur.execute("SELECT i, f, s, b, flag FROM p ORDER BY rowid")
    assert cur.fetchall() == rows
    for bad, why in (
        (marshal.dumps([(2**64, 0.0, "", b"", True)], 2), "does not fit in 64 bits"),
        (marshal.dumps([({1}, 0.0, "", b"", True)], 2), "type code"),
        (marshal.dumps([(1, 0.0, "", b"", True)], 2)[:-3], "ends early"),
    ):
        e = c_void_p()
        s = lib.keel_stmt_execute_batch_encoded(st, BatchFormat.MARSHAL2, bad, len(bad), None, byref(e))
        assert s != 0
        with pytest.raises(keel.Error, match=why):
            raise _error(s, e)
    lib.keel_stmt_free(st)


def test_fetch_batch_pages_through_a_result(sqlite_conn):
    conn = sqlite_conn
    conn.execute("CREATE TABLE t (n INTEGER, s TEXT)")
    conn.cursor().executemany("INSERT INTO t VALUES (?, ?)", [(i, str(i)) for i in range(5)])
    st, rows = query(conn, "SELECT n, s FROM t ORDER BY n")
    assert fetch(rows, 2) == ([(0, "0"), (1, "1")], False)
    assert fetch(rows, 2) == ([(2, "2"), (3, "3")], False)
    assert fetch(rows, 2) == ([(4, "4")], True)
    assert fetch(rows, 2) == ([], True)
    lib.keel_rows_free(rows)
    lib.keel_stmt_free(st)


def test_fetch_batch_argument_errors(sqlite_conn):
    conn = sqlite_conn
    st, rows = query(conn, "SELECT 1")
    with pytest.raises(keel.ProgrammingError, match="max_rows is 0"):
        fetch(rows, 0)
    with pytest.raises(keel.ProgrammingError, match="format 9"):
        fetch(rows, 1, fmt=9)
    err = c_void_p()
    assert lib.keel_rows_fetch_batch(rows, 1, 1, None, None, None, byref(c_size_t()), None, byref(err)) == Status.NULL_ARGUMENT
    assert "buffer_out" in str(_error(Status.NULL_ARGUMENT, err))
    assert lib.keel_rows_fetch_batch(None, 1, 1, byref(c_void_p()), None, None, byref(c_size_t()), None, None) == Status.NULL_ARGUMENT
    assert fetch(rows, 1) == ([(1,)], False)
    lib.keel_rows_free(rows)
    lib.keel_stmt_free(st)
    lib.keel_buffer_free(None)
    assert lib.keel_buffer_len(None) == 0 and lib.keel_buffer_data(None) is None


def test_dates_python_cannot_hold_are_a_data_error(sqlite_conn):
    conn = sqlite_conn
    conn.execute("CREATE TABLE t (ts TIMESTAMP)")
    conn.execute("INSERT INTO t VALUES (?)", (10**12,))  # Unix seconds: year 33658
    with pytest.raises(keel.DataError) as e:
        conn.execute("SELECT ts FROM t").fetchall()
    assert e.value.sqlstate == "22008" and "9999" in str(e.value)


def test_rows_before_a_failing_row_come_out_before_its_error(sqlite_conn):
    conn = sqlite_conn
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, ts TIMESTAMP)")
    for i in range(1, 301):
        # Unix seconds; row 200 is in the year 33658, which datetime cannot hold.
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, 10**12 if i == 200 else 1_700_000_000 + i))
    cur = conn.execute("SELECT id, ts FROM t ORDER BY id")
    seen = []
    with pytest.raises(keel.DataError) as e:
        for row in cur:
            seen.append(row[0])
    assert seen == list(range(1, 200)), "every row before the failing one, in order"
    assert e.value.sqlstate == "22008" and "9999" in str(e.value)
    with pytest.raises(keel.DataError):
        conn.execute("SELECT id, ts FROM t ORDER BY id").fetchall()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (300,), "the connection goes on"


def test_large_values_and_many_batches(sqlite_conn):
    conn = sqlite_conn
    big = "é" * 100_000
    conn.execute("CREATE TABLE t (n INTEGER, s TEXT, b BLOB)")
    conn.cursor().executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, big, big.encode()) for i in range(300)])
    got = conn.execute("SELECT n, s, b FROM t ORDER BY n").fetchall()
    assert len(got) == 300 and got[-1] == (299, big, big.encode())


def exec_values(conn, sql, rows, n_cols):
    p = conn._conn.ptr
    st = c_void_p()
    assert lib.keel_conn_prepare(p, sql.encode(), byref(st), None) == 0
    arr, keep = pack_rows(rows, n_cols)
    res, err = ExecResult(), c_void_p()
    s = lib.keel_stmt_execute_batch(st, arr, len(rows), n_cols, byref(res), byref(err))
    lib.keel_stmt_free(st)
    if s:
        raise _error(s, err)
    return res


def test_execute_batch_with_keel_values(sqlite_conn):
    conn = sqlite_conn
    import datetime as dt
    from decimal import Decimal

    conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c DATE, d DECIMAL TEXT, e BLOB)")
    rows = [(i, f"v{i}", dt.date(2020, 1, 1 + i), Decimal(f"{i}.5"), bytes([i])) for i in range(5)]
    res = exec_values(conn, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows, 5)
    assert res.rows_affected == 5 and res.has_last_insert_id and res.last_insert_id == 4
    assert conn.execute("SELECT * FROM t ORDER BY a").fetchall() == rows
    with pytest.raises(keel.IntegrityError, match=r"^row 2: UNIQUE"):
        exec_values(conn, "INSERT INTO t (a) VALUES (?)", [(10,), (11,), (1,), (12,)], 1)
    assert conn.execute("SELECT count(*) FROM t WHERE a >= 10").fetchone() == (2,), "rows before the error stay done"
    with pytest.raises(keel.ProgrammingError, match="n_cols is 2 but the statement has 1 parameter"):
        exec_values(conn, "INSERT INTO t (a) VALUES (?)", [(1, 2)], 2)
    assert exec_values(conn, "INSERT INTO t (a) VALUES (?)", [], 1).rows_affected == 0


def test_executemany_errors_name_the_row(conn, engine, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v {engine.text})")
    conn.commit()
    # Inside PostgreSQL's transaction, which the error aborts, the failed
    # multi-row INSERT cannot run again row by row to find the row.
    where = r"rows 0 to 4, run as one multi-row INSERT: " if engine.name == "postgres" else r"row 3: "
    with pytest.raises(keel.IntegrityError, match=where) as e:
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "c"), (1, "dup"), (4, "d")])
    assert e.value.sqlstate.startswith("23")
    if engine.name != "postgres":  # PostgreSQL aborts the whole transaction
        assert cur.execute(f"SELECT count(*) FROM {table}").fetchone() == (3,), "earlier rows stay done"
    conn.rollback()
    with pytest.raises(keel.ProgrammingError, match="row 1: the statement has 2 placeholders but the row has 1 value"):
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(1, "a"), (2,)])
    cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", iter([(5, "e"), (6, None)]))
    assert cur.rowcount == 2
    cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [])
    assert cur.rowcount == 0
    # Over 1000 rows: pickle splits the list into several APPENDS groups.
    cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(i, "x") for i in range(10, 5010)])
    assert cur.rowcount == 5000
    assert cur.execute(f"SELECT count(*) FROM {table}").fetchone() == (5002,)


def test_encoded_stream_reader_accepts_plain_pickle_and_refuses_others(sqlite_conn):
    conn = sqlite_conn
    conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    p = conn._conn.ptr
    st = c_void_p()
    assert lib.keel_conn_prepare(p, b"INSERT INTO t VALUES (?, ?)", byref(st), None) == 0
    s = "shared"

    def run(data):
        res, err = ExecResult(), c_void_p()
        rc = lib.keel_stmt_execute_batch_encoded(st, BatchFormat.PICKLE5, data, len(data), byref(res), byref(err))
        if rc:
            raise _error(rc, err)
        return res.rows_affected

    # Memoized, framed, protocol 2 and 4 streams as pickle.dumps writes them.
    for proto in (2, 4, 5):
        assert run(pickle.dumps([(1, s), (2, s), [3, s]], protocol=proto)) == 3
    assert run(encode_rows([(4, "x")])) == 1
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (10,)
    with pytest.raises(keel.ProgrammingError, match="names builtins.print"):
        run(pickle.dumps([(print, 1)], protocol=5))
    with pytest.raises(keel.ProgrammingError, match="not accepted"):
        run(pickle.dumps([({"a": 1}, 1)], protocol=5))
    with pytest.raises(keel.ProgrammingError, match="truncated"):
        run(pickle.dumps([(1, "a")], protocol=5)[:-3])
    with pytest.raises(keel.ProgrammingError, match="format"):
        lib_rc = lib.keel_stmt_execute_batch_encoded(st, 0, b"", 0, None, byref(err := c_void_p()))
        raise _error(lib_rc, err)
    lib.keel_stmt_free(st)
