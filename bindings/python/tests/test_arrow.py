"""The Arrow PyCapsule interface of a cursor (``__arrow_c_stream__``), read
by pyarrow, polars and DuckDB, on every engine; ``fetch_arrow_table``; a
capsule dropped unread; an error in the middle of a stream; and that keel
itself never imports pyarrow."""

from __future__ import annotations

import datetime
import decimal
import os
import subprocess
import sys
import uuid

import pytest

import keel

pa = pytest.importorskip("pyarrow")


def _table(engine, cur, name: str) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {name}")
    cur.execute(
        f"CREATE TABLE {name} (id BIGINT, f {engine.double}, t {engine.text}, b {engine.blob}, "
        f"d DATE, ts {engine.timestamp}, flag BOOLEAN)"
    )
    rows = [
        (i, i / 4, f"text {i} é" if i % 3 else None, bytes([i, 0, 255]) if i % 4 else None,
         datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
         datetime.datetime(2021, 2, 3, 4, 5, 6, i), i % 2 == 0)
        for i in range(50)
    ]
    cur.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _expected(cur, name: str):
    cur.execute(f"SELECT id, f, t, b, d, ts, flag FROM {name} ORDER BY id")
    return cur.fetchall()


def test_pyarrow_table_matches_fetchall(engine, table):
    table_name = table
    with engine.connect(arrow_batch_rows="16") as conn:
        conn.autocommit = True
        cur = conn.cursor()
        _table(engine, cur, table_name)
        want = _expected(cur, table_name)
        cur.execute(f"SELECT id, f, t, b, d, ts, flag FROM {table_name} ORDER BY id")
        t = pa.table(cur)
        assert t.num_rows == 50
        assert t.schema.field("id").type == pa.int64()
        assert t.schema.field("f").type == pa.float64()
        assert t.schema.field("t").type == pa.string()
        assert t.schema.field("b").type == pa.binary()
        assert t.schema.field("d").type == pa.date32()
        assert t.schema.field("ts").type == pa.timestamp("us")
        got = [tuple(r.values()) for r in t.to_pylist()]
        want = [tuple(bool(v) if k == 6 and v is not None else v for k, v in enumerate(r)) for r in want]
        assert got == want
        assert cur.fetchone() is None  # the rows moved into the stream
        cur.execute(f"DROP TABLE {table_name}")


def test_fetch_arrow_table_and_polars(engine, table):
    table_name = table
    pl = pytest.importorskip("polars")
    with engine.connect() as conn:
        conn.autocommit = True
        cur = conn.cursor()
        _table(engine, cur, table_name)
        want = _expected(cur, table_name)
        cur.execute(f"SELECT id, t FROM {table_name} ORDER BY id")
        t = cur.fetch_arrow_table()
        assert t.column("id").to_pylist() == [r[0] for r in want]
        cur.execute(f"SELECT id, t FROM {table_name} ORDER BY id")
        df = pl.DataFrame(cur)
        assert df["id"].to_list() == [r[0] for r in want]
        assert df["t"].to_list() == [r[2] for r in want]
        cur.execute(f"DROP TABLE {table_name}")


def test_duckdb_reads_a_cursor(engine):
    duckdb = pytest.importorskip("duckdb")
    with engine.connect() as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3")
        reader = pa.RecordBatchReader.from_stream(cur)
        db = duckdb.connect()
        assert db.execute("SELECT sum(a) FROM reader").fetchone()[0] == 6
        db.close()


def test_types_with_extensions():
    with keel.connect("sqlite::memory:") as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (u UUID, j JSON, n NUMERIC(10,2) , tz TIMESTAMPTZ, tm TIME)")
        u = uuid.UUID("12345678-1234-4234-8234-123456789abc")
        cur.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                    (u, keel.Json('{"a": 1}') if hasattr(keel, "Json") else '{"a": 1}', decimal.Decimal("12.34"),
                     datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), datetime.time(1, 2, 3, 4)))
        cur.execute("SELECT u, j, n, tz, tm FROM t")
        t = pa.table(cur)
        f = t.schema
        assert f.field("u").type.byte_width == 16
        assert f.field("n").type == pa.decimal128(10, 2)
        assert f.field("tz").type == pa.timestamp("us", tz="UTC")
        assert f.field("tm").type == pa.time64("us")
        row = t.to_pylist()[0]
        assert row["n"] == decimal.Decimal("12.34")
        assert row["tz"] == datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        assert row["tm"] == datetime.time(1, 2, 3, 4)
        uu = row["u"]
        assert (uu.bytes if isinstance(uu, uuid.UUID) else uu) == u.bytes


def test_postgres_arrays_are_lists(engine):
    if engine.name != "postgres":
        pytest.skip("arrays are PostgreSQL's")
    polars = pytest.importorskip("polars")
    with engine.connect() as conn:
        cur = conn.cursor()
        sql = ("SELECT ARRAY[1, NULL, 3]::int8[] AS i, NULL::text[] AS n, "
               "ARRAY[1.25, NULL]::numeric(5,2)[] AS d")
        cur.execute(sql)
        # The row cursor reads the server's array text, as before.
        assert cur.fetchall() == [("{1,NULL,3}", None, "{1.25,NULL}")]
        cur.execute(sql)
        t = pa.table(cur)
        assert t.schema.field("i").type == pa.list_(pa.int64())
        assert t.schema.field("d").type == pa.list_(pa.decimal128(5, 2))
        assert t.to_pylist() == [{"i": [1, None, 3], "n": None, "d": [decimal.Decimal("1.25"), None]}]
        cur.execute("SELECT ARRAY['a', 'b'] AS t")
        assert polars.DataFrame(cur)["t"].to_list() == [["a", "b"]]


def test_capsule_dropped_unread_frees_the_stream(engine):
    with engine.connect() as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 AS a UNION ALL SELECT 2")
        cap = cur.__arrow_c_stream__()
        assert type(cap).__name__ == "PyCapsule"
        del cap
        # Released: the connection runs the next statement.
        cur.execute("SELECT 7")
        assert cur.fetchall() == [(7,)]


def test_a_failed_export_leaves_the_connection_free(engine):
    """An export whose first batch holds a value its Arrow type cannot take
    fails, the rows are gone (keel.h), and the connection runs the next
    statement at once, on the one-cursor engines too."""
    bad = {
        "sqlite": "SELECT 1 AS x UNION ALL SELECT 'a'",
        "postgres": "SELECT 'NaN'::numeric(10,2) AS x",
        "mysql": "SELECT CAST('-01:00:00' AS TIME) AS x",
    }.get(engine.name)
    if bad is None:
        pytest.skip(f"no value on {engine.name} that its Arrow type refuses")
    with engine.connect(autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute(bad)
        with pytest.raises(keel.DataError, match="row"):
            pa.table(cur)
        assert cur.fetchall() == []
        for _ in range(2):
            assert conn.execute("SELECT 2").fetchall() == [(2,)]


def test_error_mid_stream_reaches_the_reader():
    with keel.connect("sqlite::memory:", arrow_batch_rows="4") as conn:
        cur = conn.cursor()
        cur.execute(
            "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 20) "
            "SELECT CASE WHEN x < 10 THEN x ELSE 'ten' END AS v FROM c"
        )
        reader = pa.RecordBatchReader.from_stream(cur)
        assert reader.read_next_batch().num_rows == 4
        assert reader.read_next_batch().num_rows == 4
        with pytest.raises(Exception, match="row 10"):
            reader.read_next_batch()


# A result whose third row (the second batch, at arrow_batch_rows=2) holds
# a value its column's Arrow type cannot take, on each engine.
_LATE_BAD = {
    "sqlite": "WITH v(o, x) AS (VALUES (1, 1), (2, 2), (3, 'a')) SELECT x FROM v ORDER BY o",
    "postgres": "SELECT x::date AS x FROM (VALUES (1, '2020-01-01'), (2, '2020-01-02'), (3, 'infinity')) v(o, x) ORDER BY o",
    "mysql": "SELECT CAST(x AS TIME) AS x FROM (SELECT 1 o, '01:00:00' x UNION ALL SELECT 2, '02:00:00' "
    "UNION ALL SELECT 3, '-01:00:00') v ORDER BY o",
}


@pytest.fixture
def unraisable(monkeypatch):
    """What reached sys.unraisablehook ("Exception ignored in ...") during
    the test."""
    seen: list = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def test_an_error_in_a_later_batch_reaches_the_caller_of_pyarrow_table(engine, unraisable):
    """pyarrow (Cython) drops the capsule while its exception is pending; a
    destructor running Python code then would lose that exception, leaving
    "SystemError: returned NULL without setting an exception" and keel's
    message only printed as "Exception ignored"."""
    with engine.connect(autocommit=True, arrow_batch_rows="2") as conn:
        cur = conn.cursor()
        for read in (pa.table, lambda c: c.fetch_arrow_table(), lambda c: pa.chunked_array(c)):
            cur.execute(_LATE_BAD[engine.name])
            with pytest.raises(pa.ArrowInvalid, match=r'keel: invalid data: row 2, column 0 \("x"\)'):
                read(cur)
            assert conn.execute("SELECT 2").fetchall() == [(2,)]
        pl = pytest.importorskip("polars")
        cur.execute(_LATE_BAD[engine.name])
        with pytest.raises(pl.exceptions.ComputeError, match="keel: invalid data: row 2"):
            pl.DataFrame(cur)
        assert conn.execute("SELECT 2").fetchall() == [(2,)]
    assert unraisable == []


def test_an_error_of_pyarrow_itself_reaches_the_caller(engine, unraisable):
    with engine.connect(autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 AS x UNION ALL SELECT 2")
        with pytest.raises(ValueError, match="field names"):
            pa.table(cur, schema=pa.schema([("y", pa.string())]))
        # The stream was released: the connection runs the next statement.
        assert conn.execute("SELECT 2").fetchall() == [(2,)]
    assert unraisable == []


def test_each_stream_is_released_once_however_it_is_read(engine):
    """The capsule's stream is released exactly once: by the consumer that
    moved it out (pyarrow, polars, libkeel's ingest), or by the capsule's
    destructor when it was read in place or not at all."""
    import ctypes

    from keel import _abi, _arrow

    with engine.connect(autocommit=True) as conn:
        cur = conn.cursor()
        sql = "SELECT 1 AS x UNION ALL SELECT 2"

        def free() -> bool:
            # The stream no longer holds the session (one-result engines),
            # and keel keeps nothing of it.
            return conn.execute("SELECT 3").fetchall() == [(3,)] and not _arrow._LIVE and not _arrow._BY_PRIVATE

        cur.execute(sql)
        assert pa.table(cur).num_rows == 2 and free()
        cur.execute(sql)
        cap = cur.__arrow_c_stream__()
        reader = pa.RecordBatchReader._import_from_c_capsule(cap)
        # Moved out: the capsule now holds a released stream.
        assert not _arrow.stream_of(cap).contents.release
        assert reader.read_all().num_rows == 2
        del reader, cap
        assert free()
        # Read in place (its schema asked for without a move), then dropped:
        # the destructor releases it.
        cur.execute(sql)
        cap = cur.__arrow_c_stream__()
        stream = _arrow.stream_of(cap)
        schema = _abi.ArrowSchema()
        assert stream.contents.get_schema(stream, ctypes.byref(schema)) == 0
        assert schema.n_children == 1
        schema.release(ctypes.byref(schema))
        assert stream.contents.release
        del stream, cap
        assert free()
        # Asked for its schema in place, then moved: the move is still seen.
        cur.execute(sql)
        cap = cur.__arrow_c_stream__()
        stream = _arrow.stream_of(cap)
        schema = _abi.ArrowSchema()
        assert stream.contents.get_schema(stream, ctypes.byref(schema)) == 0
        schema.release(ctypes.byref(schema))
        reader = pa.RecordBatchReader._import_from_c_capsule(cap)
        del stream, cap
        assert reader.read_all().num_rows == 2
        del reader
        assert free()


def test_export_after_fetch_is_refused():
    with keel.connect("sqlite::memory:") as conn:
        cur = conn.cursor()
        sql = "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"
        # The stream takes the rows not fetched yet. The first row came
        # with the query on SQLite and the C cursor still holds it: after a
        # fetch that took only that row the stream is exactly the rest.
        for fetch in (lambda c: c.fetchone(), lambda c: c.fetchmany(1), lambda c: next(iter(c))):
            cur.execute(sql)
            fetch(cur)
            assert pa.table(cur).column(0).to_pylist() == [2, 3]
        # A fetch past it reads a batch into the cursor, which the stream
        # could not hold.
        for fetch in (lambda c: (c.fetchone(), c.fetchone()), lambda c: c.fetchmany(2)):
            cur.execute(sql)
            fetch(cur)
            with pytest.raises(keel.ProgrammingError, match="already fetched"):
                cur.__arrow_c_stream__()
        # After fetchall nothing is left.
        cur.execute(sql)
        cur.fetchall()
        assert pa.table(cur).num_rows == 0
        with pytest.raises(keel.ProgrammingError):
            conn.cursor().__arrow_c_stream__()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_result_read_by_fetchall_never_reaches_a_stream_again(n):
    """A result of one row comes whole with the query on SQLite; reading
    it to its end and then asking for a stream must not hand a row out a
    second time."""
    with keel.connect("sqlite::memory:") as conn:
        cur = conn.cursor()
        sql = " UNION ALL ".join(f"SELECT {i}" for i in range(1, n + 1))
        cur.execute(sql)
        assert cur.fetchall() == [(i,) for i in range(1, n + 1)]
        assert cur.fetch_arrow_table().num_rows == 0
        cur.execute(sql)
        assert [cur.fetchone() for _ in range(n)] + cur.fetchall() == [(i,) for i in range(1, n + 1)]
        assert pa.table(cur).num_rows == 0
        assert cur.fetchall() == []


def test_first_row_comes_with_the_query_and_stays_in_the_result():
    """On SQLite the first row comes with the query
    (keel_stmt_query_encoded_peek): every way of reading the result sees it
    once, and a result of one row leaves no read lock behind."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.db")
        with keel.connect("sqlite:///" + path) as conn:
            cur = conn.cursor()
            cur.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
            cur.executemany("INSERT INTO t VALUES (?, ?)", [(i, "x" * i) for i in range(1, 201)])
            conn.commit()
            sql = "SELECT a, b FROM t WHERE a >= ? ORDER BY a"
            everything = [(i, "x" * i) for i in range(1, 201)]
            cur.execute(sql, (1,))
            assert pa.table(cur).column(0).to_pylist() == list(range(1, 201))
            cur.execute(sql, (1,))
            assert cur.fetchall() == everything
            cur.execute(sql, (1,))
            assert [cur.fetchone() for _ in range(3)] + cur.fetchmany(2) + cur.fetchall() == everything
            cur.execute(sql, (1,))
            assert list(cur) == everything
            cur.execute(sql, (200,))
            assert cur.fetchone() == (200, "x" * 200)
            # The one row is held by keel, not by SQLite: another connection
            # can write (a reader's lock would make its commit fail with
            # "database is locked").
            other = sqlite3.connect(path, timeout=0)
            other.execute("INSERT INTO t VALUES (201, 'y')")
            other.commit()
            other.close()
            assert cur.fetchone() is None
            assert pa.table(cur).num_rows == 0
            cur.execute(sql, (200,))
            assert pa.table(cur).column(0).to_pylist() == [200, 201]
            # A first row too large to come with the query is fetched as
            # any other.
            cur.execute("SELECT ?", ("z" * 100_000,))
            assert cur.fetchone() == ("z" * 100_000,)
            cur.execute("SELECT ?", ("z" * 100_000,))
            assert pa.table(cur).column(0).to_pylist() == ["z" * 100_000]
            cur.execute(sql, (999,))
            assert cur.fetchone() is None and cur.description is not None


def test_keel_does_not_import_pyarrow():
    code = (
        "import sys, keel\n"
        "c = keel.connect('sqlite::memory:').cursor()\n"
        "c.execute('SELECT 1')\n"
        "cap = c.__arrow_c_stream__()\n"
        "assert 'pyarrow' not in sys.modules, 'keel imported pyarrow'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_readme_arrow_example_runs():
    """The example of bindings/python/README.md's Arrow section, as written."""
    pytest.importorskip("polars")
    pytest.importorskip("duckdb")
    readme = os.path.join(os.path.dirname(__file__), "..", "README.md")
    text = open(readme, encoding="utf-8").read()
    section = text[text.index("## Arrow: pyarrow, polars, DuckDB") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    scope: dict = {}
    exec(compile(code, "README.md (Arrow)", "exec"), scope)
    assert scope["table"].num_rows == 2
    assert scope["df"].shape == (1, 1)


def test_ingest_every_mode(engine, table):
    t = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": pa.array(["a", None, "c"])})
    with engine.connect(autocommit=True) as conn:
        assert conn.ingest(table, t) == 3
        with pytest.raises(keel.Error):
            conn.ingest(table, t, mode="create")
        assert conn.ingest(table, t, mode="append") == 3
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 6
        assert conn.ingest(table, t.slice(0, 1), mode="replace") == 1
        assert conn.ingest(table, t, mode="create_append") == 3
        rows = conn.execute(f"SELECT id, name FROM {table} ORDER BY id, name").fetchall()
        assert rows == [(1, "a"), (1, "a"), (2, None), (3, "c")]
        with pytest.raises(keel.ProgrammingError):
            conn.ingest(table, t, mode="upsert")


def test_ingest_of_something_that_is_no_arrow_stream_says_what_is_accepted(sqlite_conn):
    for data, name in (([(1, "a")], "list"), ({"id": [1]}, "dict"), (None, "NoneType")):
        with pytest.raises(TypeError, match=rf"data must be an Arrow stream source, an object with __arrow_c_stream__ .*not {name}"):
            sqlite_conn.ingest("t", data)
    with pytest.raises(TypeError, match="table must be a str"):
        sqlite_conn.ingest(1, pa.table({"id": [1]}))  # type: ignore[arg-type]
    # Nothing was made.
    assert sqlite_conn.tables("t").fetchall() == []


def test_ingest_lists(engine, table):
    t = pa.table({"id": pa.array([1, 2], pa.int64()),
                  "l": pa.array([[1, None, 3], None], pa.list_(pa.int64())),
                  "s": pa.array([["a,b", '"q"'], []], pa.list_(pa.string()))})
    with engine.connect(autocommit=True) as conn:
        if engine.name != "postgres":
            # Only PostgreSQL has array columns.
            with pytest.raises(keel.NotSupportedError, match="array"):
                conn.ingest(table, t)
            return
        assert conn.ingest(table, t) == 2
        back = pa.table(conn.execute(f"SELECT id, l, s FROM {table} ORDER BY id"))
        assert back.to_pylist() == t.to_pylist()


def test_ingest_polars_and_a_cursor_in_a_transaction(engine, table):
    pl = pytest.importorskip("polars")
    df = pl.DataFrame({"n": [10, 20, 30], "f": [0.5, 1.5, None]})
    with engine.connect() as conn:
        assert conn.ingest(table, df) == 3
        conn.commit()
        assert conn.ingest(table, df, mode="append") == 3
        conn.rollback()  # the append was in the connection's transaction
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 3
        # A keel cursor is a stream too (read here into a table first: on
        # one-result-at-a-time engines the stream holds the connection).
        cur = conn.cursor()
        cur.execute(f"SELECT n * 2 AS n, f FROM {table} ORDER BY n")
        assert conn.ingest(table, pa.table(cur), mode="append") == 3
        conn.commit()
        got = conn.execute(f"SELECT n, f FROM {table} ORDER BY n, f").fetchall()
        assert got == [(10, 0.5), (20, 0.5), (20, 1.5), (30, None), (40, 1.5), (60, None)]


def test_readme_ingest_example_runs(capsys):
    """The ingest example of bindings/python/README.md, as written."""
    readme = os.path.join(os.path.dirname(__file__), "..", "README.md")
    text = open(readme, encoding="utf-8").read()
    section = text[text.index("Into a table: `conn.ingest") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    exec(compile(code, "README.md (ingest)", "exec"), {})
    assert capsys.readouterr().out == "2 [('Ada',), ('Grace',)]\n"


MSSQL_URL = os.environ.get("KEEL_TEST_MSSQL_URL", "")


@pytest.mark.skipif(not MSSQL_URL, reason="KEEL_TEST_MSSQL_URL is not set")
def test_sql_server_round_trip_through_the_bulk_load():
    """Every keel type SQL Server has, from a pyarrow table into a table
    ``conn.ingest`` makes (SQL Server's TDS bulk load) and back out as Arrow
    (``make test`` runs it against the TDS test peer)."""
    t = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "b": pa.array([True, None, False]),
        "f": pa.array([1.5, None, -2.25]),
        "s": pa.array(["é漢", None, ""]),
        "y": pa.array([b"\x00\xff", None, b""]),
        "d": pa.array([datetime.date(2024, 2, 29), None, datetime.date(1, 1, 1)]),
        "tm": pa.array([datetime.time(23, 59, 59, 999999), None, datetime.time(0, 0)], pa.time64("us")),
        "ts": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5, 6), None, datetime.datetime(1900, 1, 1)], pa.timestamp("us")),
        "n": pa.array([decimal.Decimal("12.34"), None, decimal.Decimal("-0.01")], pa.decimal128(10, 2)),
    })
    name = f"kpybulk{os.getpid()}"
    with keel.connect(MSSQL_URL, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
        try:
            assert conn.ingest(name, t) == 3
            back = pa.table(conn.execute(f"SELECT * FROM {name} ORDER BY id"))
            for col in t.column_names:
                want = t.column(col).to_pylist()
                if col == "n":
                    # SQL Server's decimals come as their text (README, "Arrow").
                    want = [None if v is None else str(v) for v in want]
                assert back.column(col).to_pylist() == want, col
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {name}")
