"""keel as an ADBC 1.1 driver: libkeel loaded by ``adbc_driver_manager``
(from PyPI) through its ``AdbcKeelInit`` entry point, on every engine.

The cases follow arrow-adbc's validation suite (``c/validation``): the
connection group (autocommit, commit/rollback, GetInfo, GetTableTypes,
GetTableSchema, GetObjects at every depth with constraints), the statement
group (queries, prepared statements with bound parameters, ExecuteSchema,
cancel) and errors (SQLSTATE, vendor code). SQL Server runs against
KEEL_TEST_MSSQL_URL (``make test`` points it at the TDS test peer, which
answers keel's catalog queries).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from typing import Iterator

import pytest

pa = pytest.importorskip("pyarrow")
dbapi = pytest.importorskip("adbc_driver_manager.dbapi")
import adbc_driver_manager  # noqa: E402

import keel  # noqa: E402

from conftest import required  # noqa: E402

LIB = os.environ.get("KEEL_LIBRARY", "")

# name, URL variable, the engine's own placeholder for the first parameter,
# a statement that runs until cancelled, a column type for text.
ENGINES = {
    "sqlite": ("", "?1", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"),
    "postgres": ("KEEL_TEST_POSTGRES_URL", "$1", "SELECT pg_sleep(30)"),
    "mysql": ("KEEL_TEST_MYSQL_URL", "?", "SELECT SLEEP(30)"),
    "mssql": ("KEEL_TEST_MSSQL_URL", "@P1", "WAITFOR DELAY '00:00:30'"),
}


def _params():
    out = []
    for name, (var, _, _) in ENGINES.items():
        marks = []
        if var and not os.environ.get(var) and not required(name):
            marks = [pytest.mark.skip(reason=f"{var} is not set")]
        out.append(pytest.param(name, id=name, marks=marks))
    return out


_counter = itertools.count()


class Engine:
    def __init__(self, name: str, url: str):
        self.name = name
        self.url = url
        self.native, self.slow = ENGINES[name][1], ENGINES[name][2]

    def connect(self, **kw):
        return dbapi.connect(driver=LIB, entrypoint="AdbcKeelInit", db_kwargs={"uri": self.url, **kw})


@pytest.fixture(params=_params())
def engine(request, tmp_path) -> Engine:
    name = request.param
    if not LIB:
        pytest.skip("KEEL_LIBRARY is not set")
    var = ENGINES[name][0]
    if name == "sqlite":
        # A file, so that two connections see one database.
        return Engine(name, f"sqlite:{tmp_path / 'adbc.db'}")
    if not os.environ.get(var):
        pytest.fail(f"{name} is required (KEEL_TEST_REQUIRE) but {var} is not set")
    return Engine(name, os.environ[var])


@pytest.fixture
def conn(engine: Engine) -> Iterator:
    c = engine.connect()
    yield c
    c.close()


@pytest.fixture
def table(engine: Engine) -> Iterator[str]:
    name = f"adbc_py_{os.getpid()}_{next(_counter)}"
    yield name
    with engine.connect() as c:
        c.adbc_connection.set_autocommit(True)
        with c.cursor() as cur:
            for t in (f"{name}_child", name):
                cur.execute(f"DROP TABLE IF EXISTS {t}")


def test_queries_with_portable_and_native_placeholders(engine, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 1 AS a, 'x' AS b")
        assert cur.fetchall() == [(1, "x")]
        cur.execute("SELECT ? AS a", (41,))
        assert int(cur.fetchone()[0]) == 41  # PostgreSQL types an untyped parameter as text
        cur.execute(f"SELECT {engine.native} AS a", (42,))
        assert int(cur.fetchone()[0]) == 42


def test_the_driver_manager_finds_the_entry_point_itself(engine):
    # From the file name (libkeel -> AdbcKeelInit), with uri= as the
    # DB-API's own argument.
    with dbapi.connect(driver=LIB, uri=engine.url) as c, c.cursor() as cur:
        cur.execute("SELECT 7")
        assert cur.fetchone()[0] == 7
    with pytest.raises(adbc_driver_manager.ProgrammingError, match="uri"):
        dbapi.connect(driver=LIB, entrypoint="AdbcKeelInit")


def test_prepared_statements_bind_arrow_rows(engine, conn, table):
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY, name VARCHAR(20), v FLOAT)")
        # executemany: a bound batch, run once per row; rows affected summed.
        cur.executemany(f"INSERT INTO {table} (id, name, v) VALUES (?, ?, ?)", [(1, "a", 1.5), (2, None, 2.5)])
        assert cur.rowcount == 2
        # A record batch and a stream of them (bind_stream).
        batch = pa.record_batch([pa.array([3, 4], pa.int32()), pa.array(["c", "d"]), pa.array([None, 4.5])], names=["id", "name", "v"])
        cur.executemany(f"INSERT INTO {table} (id, name, v) VALUES (?, ?, ?)", batch)
        assert cur.rowcount == 2
        keys = pa.record_batch([pa.array([3, 4]), pa.array(["c", "x"])], names=["id", "name"])
        reader = pa.RecordBatchReader.from_batches(keys.schema, [keys.slice(0, 1), keys.slice(1, 1)])
        cur.adbc_prepare(f"UPDATE {table} SET v = 0 WHERE id = ? AND name = ?")
        cur.adbc_statement.bind_stream(reader)
        assert cur.adbc_statement.execute_update() == 1
        cur.execute(f"SELECT id, name, v FROM {table} ORDER BY id")
        assert cur.fetchall() == [(1, "a", 1.5), (2, None, 2.5), (3, "c", 0.0), (4, "d", 4.5)]
        # A query with several rows of parameters runs once per row, the
        # results one after the other (arrow-adbc's SqlPrepareSelectParams).
        cur.adbc_statement.set_sql_query(f"SELECT id, name FROM {table} WHERE id = ? OR id = ? ORDER BY id")
        cur.adbc_statement.bind(pa.record_batch([pa.array([1, 3]), pa.array([2, 9])], names=["a", "b"]))
        stream, _ = cur.adbc_statement.execute_query()
        got = pa.RecordBatchReader._import_from_c(stream.address).read_all()
        assert got.column("id").to_pylist() == [1, 2, 3]
        assert got.column("name").to_pylist() == ["a", None, "c"]


def test_ingest_creates_appends_and_replaces(engine, conn, table):
    conn.adbc_connection.set_autocommit(True)
    data = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "name": pa.array(["a", None, "c"]),
        "v": pa.array([1.5, 2.5, None]),
        "d": pa.array([None, 19000, 19001], pa.date32()),
    })
    with conn.cursor() as cur:
        assert cur.adbc_ingest(table, data, mode="create") == 3
        # create again: the table exists.
        with pytest.raises(adbc_driver_manager.Error):
            cur.adbc_ingest(table, data, mode="create")
        assert cur.adbc_ingest(table, data.slice(0, 1), mode="append") == 1
        assert cur.adbc_ingest(table, data.to_reader(max_chunksize=2), mode="append") == 3
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == 7
        assert cur.adbc_ingest(table, data.slice(1, 2), mode="replace") == 2
        cur.execute(f"SELECT id, name, v, d FROM {table} ORDER BY id")
        got = cur.fetch_arrow_table()
        assert got.column("id").to_pylist() == [2, 3]
        assert got.column("name").to_pylist() == [None, "c"]
        assert got.column("v").to_pylist() == [2.5, None]
        assert got.column("d").cast(pa.int32()).to_pylist() == [19000, 19001]
        if engine.name == "mssql":
            with pytest.raises(adbc_driver_manager.NotSupportedError, match="create_append"):
                cur.adbc_ingest(table, data, mode="create_append")
        else:
            assert cur.adbc_ingest(table, data, mode="create_append") == 3
        # A type keel cannot bind (a struct) is refused by name.
        with pytest.raises(adbc_driver_manager.NotSupportedError, match="Arrow"):
            cur.adbc_ingest(table + "_x", pa.table({"st": pa.array([{"a": 1}])}), mode="create")
        # ... before anything runs: replace drops nothing.
        cur.execute(f"SELECT count(*) FROM {table}")
        before = cur.fetchone()[0]
        with pytest.raises(adbc_driver_manager.NotSupportedError, match="Arrow"):
            cur.adbc_ingest(table, pa.table({"st": pa.array([{"a": 1}])}), mode="replace")
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == before


def test_ingest_into_a_schema_and_inside_a_transaction(engine, conn, table):
    """Rows go through keel's ingest (COPY on PostgreSQL) into a table named
    alone, and through a batch of the INSERT into one named with its schema;
    either way inside the connection's transaction when autocommit is off,
    so a rollback takes them back."""
    data = pa.table({"id": pa.array(range(2500), pa.int64()), "s": pa.array([f"r{i}" for i in range(2500)])})
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        assert cur.adbc_ingest(table, data, mode="create") == 2500
        if engine.name == "postgres":
            assert cur.adbc_ingest(table, data.to_reader(max_chunksize=1000), mode="append", db_schema_name="public") == 2500
            cur.execute(f"SELECT count(*), count(DISTINCT id), min(s) FROM {table}")
            assert cur.fetchone() == (5000, 2500, "r0")
    conn.adbc_connection.set_autocommit(False)
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        before = cur.fetchone()[0]
        assert cur.adbc_ingest(table, data.slice(0, 10), mode="append") == 10
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == before + 10
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == before
    conn.rollback()


def test_a_failed_ingest_with_autocommit_leaves_nothing(engine, conn, table):
    """With autocommit on, an ingest is one unit: a stream that fails after
    its first batch leaves neither rows nor (where DDL is transactional)
    the table it created."""
    schema = pa.schema([("id", pa.int64()), ("v", pa.string())])

    def batches():
        yield pa.record_batch({"id": [1, 2], "v": ["a", "b"]}, schema=schema)
        raise ValueError("the producer failed")

    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        with pytest.raises(Exception, match="producer failed"):
            cur.adbc_ingest(table, pa.RecordBatchReader.from_batches(schema, batches()), mode="create")
        if engine.name == "mysql":
            # MySQL commits CREATE TABLE by itself: the table stays, empty.
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone()[0] == 0
        else:
            with pytest.raises(Exception):
                cur.execute(f"SELECT count(*) FROM {table}")
        # And a good one afterwards goes in whole.
        mode = "append" if engine.name == "mysql" else "create"
        assert cur.adbc_ingest(table, pa.table({"id": [5], "v": ["e"]}), mode=mode) == 1
        cur.execute(f"SELECT id, v FROM {table}")
        assert cur.fetchall() == [(5, "e")]


def test_ingest_on_a_loaded_driver(tmp_path):
    """On a driver loaded at run time (keel's DuckDB driver), ADBC ingest
    makes the table with the driver's column types (its column_types) and
    loads the rows through the driver's appender; they read back as they
    went in, uint64 as DuckDB's UBIGINT."""
    import datetime as dt
    import decimal

    path = os.environ.get("KEEL_TEST_DUCKDB_DRIVER")
    if not path:
        if required("duckdb"):
            pytest.fail("duckdb is required (KEEL_TEST_REQUIRE) but KEEL_TEST_DUCKDB_DRIVER is not set")
        pytest.skip("KEEL_TEST_DUCKDB_DRIVER is not set")
    if not LIB:
        pytest.skip("KEEL_LIBRARY is not set")
    # The driver manager loads the same libkeel as the keel package (one
    # path, one copy in the process), so the driver loaded here serves it.
    if not keel.driver_available("duckdb"):
        keel.load_driver(path)
    n = 3000
    data = pa.table(
        {
            "k": pa.array(range(n), pa.int64()),
            "s": pa.array([None if i % 7 == 0 else f"text {i}" for i in range(n)]),
            "f": pa.array([i / 4 for i in range(n)], pa.float64()),
            "b": pa.array([i % 2 == 0 for i in range(n)]),
            "d": pa.array([dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)]),
            "ts": pa.array([dt.datetime(2024, 1, 1, 0, 0, 0, i) for i in range(n)], pa.timestamp("us")),
            "n": pa.array([decimal.Decimal(i) / 100 for i in range(n)], pa.decimal128(10, 2)),
            "y": pa.array([bytes([i % 256, 0]) for i in range(n)]),
            "u": pa.array([2**64 - 1 - i for i in range(n)], pa.uint64()),
        }
    )
    uri = f"duckdb://{tmp_path / 'adbc.duckdb'}"
    with dbapi.connect(driver=LIB, entrypoint="AdbcKeelInit", db_kwargs={"uri": uri}) as conn:
        with conn.cursor() as cur:
            assert cur.adbc_ingest("loaded", data.to_reader(max_chunksize=1000), mode="create") == n
            conn.commit()
            cur.execute("SELECT * FROM loaded ORDER BY k")
            got = cur.fetch_arrow_table()
            assert cur.adbc_ingest("loaded", data.slice(0, 5), mode="append") == 5
            conn.commit()
            cur.execute("SELECT count(*) FROM loaded")
            assert cur.fetchone() == (n + 5,)
        # The driver's catalog (its catalog_queries) serves GetObjects and
        # GetTableSchema.
        objects = conn.adbc_get_objects(depth="all", table_name_filter="loaded").read_all().to_pylist()
        tables = [t for c in objects for s in c["catalog_db_schemas"] or [] for t in s["db_schema_tables"] or []]
        assert [t["table_name"] for t in tables] == ["loaded"]
        assert [c["column_name"] for c in tables[0]["table_columns"]] == data.column_names
        assert conn.adbc_get_table_schema("loaded").names == data.column_names
    assert got.column_names == data.column_names
    for name in data.column_names:
        assert got.column(name).to_pylist() == data.column(name).to_pylist(), name


def test_bound_arrow_types_round_trip(engine, conn, table):
    import datetime as dt
    import decimal

    conn.adbc_connection.set_autocommit(True)
    data = pa.table({
        "k": pa.array([1, 2]),
        "b": pa.array([True, None]),
        "i": pa.array([1, None], pa.int32()),
        "f": pa.array([1.5, None]),
        "s": pa.array(["x", None]),
        "y": pa.array([b"\x00\x01", None]),
        "d": pa.array([dt.date(2024, 1, 2), None]),
        "t": pa.array([dt.time(12, 34, 56, 789000), None], pa.time64("us")),
        "ts": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 6), None], pa.timestamp("us")),
        "n": pa.array([decimal.Decimal("12.34"), None], pa.decimal128(10, 2)),
    })
    with conn.cursor() as cur:
        assert cur.adbc_ingest(table, data, mode="create") == 2
        cur.execute(f"SELECT {', '.join(data.column_names)} FROM {table} ORDER BY k")
        got = cur.fetch_arrow_table()
    for name in data.column_names:
        want = data.column(name).to_pylist()
        if engine.name == "mssql" and name == "n":
            want = ["12.34", None]  # SQL Server's decimals come as their text (see "Arrow")
        assert got.column(name).to_pylist() == want, name
    # Nanoseconds keel cannot keep are refused, never rounded.
    with conn.cursor() as cur, pytest.raises(adbc_driver_manager.ProgrammingError, match="nanoseconds"):
        cur.execute("SELECT ?", pa.record_batch([pa.array([1], pa.timestamp("ns"))], names=["x"]))


def test_execute_schema_is_the_stream_schema(engine, conn, table):
    conn.adbc_connection.set_autocommit(True)
    sql = f"SELECT a, b, c FROM {table}"
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (a INT, b VARCHAR(10), c FLOAT)")
        cur.execute(f"INSERT INTO {table} VALUES (1, 'x', 2.5)")
        schema = cur.adbc_execute_schema(sql)
        cur.execute(sql)
        got = cur.fetch_arrow_table()
    assert schema.names == ["a", "b", "c"]
    assert schema == got.schema
    if engine.name == "postgres":
        # Arrays: list<T> in both.
        sql = "SELECT ARRAY[1, 2]::int8[] AS l, ARRAY[1.5]::numeric(4,2)[] AS d"
        with conn.cursor() as cur:
            schema = cur.adbc_execute_schema(sql)
            cur.execute(sql)
            got = cur.fetch_arrow_table()
        assert schema.field("l").type == pa.list_(pa.int64())
        assert schema == got.schema and got.to_pylist()[0]["l"] == [1, 2]


def test_same_query_through_keel_and_adbc_gives_identical_tables(engine, conn, table):
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY, name VARCHAR(20), v FLOAT, d DATE)")
        cur.execute(f"INSERT INTO {table} VALUES (1, 'a', 1.5, '2024-01-02'), (2, NULL, NULL, NULL)")
        cur.execute(f"SELECT id, name, v, d FROM {table} ORDER BY id")
        via_adbc = cur.fetch_arrow_table()
    with keel.connect(engine.url) as k:
        kc = k.cursor()
        kc.execute(f"SELECT id, name, v, d FROM {table} ORDER BY id")
        via_keel = kc.fetch_arrow_table()
    assert via_adbc.equals(via_keel, check_metadata=True)
    assert via_adbc.num_rows == 2


def test_transactions_commit_and_roll_back(engine, table):
    with engine.connect() as setup:
        setup.adbc_connection.set_autocommit(True)
        with setup.cursor() as cur:
            cur.execute(f"CREATE TABLE {table} (id INT)")
    # The DB-API turns autocommit off: keel begins a transaction.
    with engine.connect() as conn, engine.connect() as other:
        assert conn.adbc_connection.get_option("adbc.connection.autocommit") == "false"
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO {table} VALUES (1)")
            conn.rollback()
            cur.execute(f"INSERT INTO {table} VALUES (2)")
            conn.commit()
        other.adbc_connection.set_autocommit(True)
        with other.cursor() as cur:
            cur.execute(f"SELECT id FROM {table}")
            assert cur.fetchall() == [(2,)]
        # Autocommit on: each statement commits; commit is then an error.
        conn.adbc_connection.set_autocommit(True)
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO {table} VALUES (3)")
        with pytest.raises(adbc_driver_manager.ProgrammingError, match="autocommit is on"):
            conn.adbc_connection.commit()
        with other.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone()[0] == 2


def test_rollback_still_works_after_ddl(engine, table):
    """DDL inside keel's transaction: MySQL/MariaDB commit it implicitly
    (and end the transaction), the others keep it. Either way the next
    statement runs inside a transaction that rollback undoes."""
    with engine.connect() as conn, engine.connect() as other:
        other.adbc_connection.set_autocommit(True)
        with conn.cursor() as cur:
            cur.execute(f"CREATE TABLE {table} (id INT)")
            conn.commit()
            cur.execute(f"INSERT INTO {table} VALUES (1)")
            conn.commit()
            # Every engine but SQL Server has IF NOT EXISTS; the table is
            # there, so this changes nothing but the transaction on MySQL.
            if engine.name != "mssql":
                cur.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INT)")
            else:
                cur.execute(f"CREATE TABLE {table}_b (id INT)")
            cur.execute(f"INSERT INTO {table} VALUES (2)")
            conn.rollback()
        with other.cursor() as cur:
            cur.execute(f"SELECT id FROM {table}")
            assert cur.fetchall() == [(1,)]
            if engine.name == "mssql":
                cur.execute(f"DROP TABLE IF EXISTS {table}_b")


def test_isolation_and_read_only_options(engine, conn):
    ac = conn.adbc_connection
    level = "adbc.connection.transaction.isolation_level"
    ac.set_options(**{level: "adbc.connection.transaction.isolation.serializable"})
    assert ac.get_option(level) == "adbc.connection.transaction.isolation.serializable"
    with pytest.raises(adbc_driver_manager.NotSupportedError, match="no such level"):
        ac.set_options(**{level: "adbc.connection.transaction.isolation.linearizable"})
    ac.set_options(**{"adbc.connection.readonly": "true"})
    assert ac.get_option("adbc.connection.readonly") == "true"
    with conn.cursor() as cur:
        if engine.name == "mssql":
            # The transaction begins with the next statement, and SQL
            # Server has no read-only transactions: said, not ignored.
            with pytest.raises(adbc_driver_manager.NotSupportedError, match="read-only"):
                cur.execute("SELECT 1")
        elif engine.name == "postgres":
            # Applied to the transaction keel began, not just stored.
            cur.execute("SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")
            assert cur.fetchone() == ("serializable", "on")
        else:
            cur.execute("SELECT 1")
            assert cur.fetchone()[0] == 1
    conn.rollback()
    # Options keel has no meaning for are refused, never ignored.
    with pytest.raises(adbc_driver_manager.NotSupportedError):
        ac.set_options(**{"adbc.keel.no_such_option": "1"})
    with pytest.raises(adbc_driver_manager.ProgrammingError):
        ac.set_autocommit(True)
        ac.set_options(**{level: "adbc.connection.transaction.isolation.serializable"})


def test_unknown_database_options_are_not_implemented(engine):
    with pytest.raises(adbc_driver_manager.NotSupportedError, match="no_such_option"):
        engine.connect(no_such_option="1")
    # A keel option is a database option.
    with engine.connect(arrow_batch_rows="1") as c, c.cursor() as cur:
        cur.execute("SELECT 1 AS a UNION ALL SELECT 2")
        assert [b.num_rows for b in cur.fetch_record_batch()] == [1, 1]


def test_get_info(engine, conn):
    info = conn.adbc_get_info()
    assert info["vendor_name"] == engine.name
    assert info["vendor_version"]
    assert info["driver_name"] == "keel"
    assert info["driver_version"] == keel.library_version()
    assert info["driver_adbc_version"] == 1_001_000


def test_get_table_types(conn):
    assert conn.adbc_get_table_types() == ["TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "TEMPORARY", "SYSTEM TABLE"]


def _fixture_schema(cur, table):
    cur.execute(f"CREATE TABLE {table} (a INT NOT NULL, b INT NOT NULL, label VARCHAR(10) NOT NULL, note VARCHAR(10), "
                f"PRIMARY KEY (a, b), CONSTRAINT {table}_uq UNIQUE (label))")
    cur.execute(f"CREATE TABLE {table}_child (id INT NOT NULL PRIMARY KEY, pa INT, pb INT, "
                f"CONSTRAINT {table}_fk FOREIGN KEY (pa, pb) REFERENCES {table} (a, b), "
                f"CONSTRAINT {table}_ck CHECK (id > 0))")


def test_get_table_schema_has_the_right_nullability(engine, conn, table):
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        _fixture_schema(cur, table)
    schema = conn.adbc_get_table_schema(table)
    assert schema.names == ["a", "b", "label", "note"]
    assert [f.nullable for f in schema] == [False, False, False, True]
    assert schema.field("a").type == pa.int64() and schema.field("note").type == pa.string()
    with pytest.raises(adbc_driver_manager.ProgrammingError, match="no table"):
        conn.adbc_get_table_schema(table + "_nope")


def test_get_objects_at_every_depth(engine, conn, table):
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        _fixture_schema(cur, table)
    cats = conn.adbc_get_objects(depth="catalogs").read_all().to_pylist()
    assert cats and all(c["catalog_db_schemas"] is None for c in cats)
    schemas = conn.adbc_get_objects(depth="db_schemas").read_all().to_pylist()
    assert all(s["db_schema_tables"] is None for c in schemas for s in c["catalog_db_schemas"])

    def tables(depth, pattern):
        out = {}
        for c in conn.adbc_get_objects(depth=depth, table_name_filter=pattern).read_all().to_pylist():
            for s in c["catalog_db_schemas"]:
                for t in s["db_schema_tables"] or []:
                    out[t["table_name"]] = t
        return out

    only = tables("tables", table + "%")
    assert set(only) == {table, table + "_child"}
    assert only[table]["table_type"] == "TABLE" and only[table]["table_columns"] is None
    got = tables("all", table + "%")
    parent, child = got[table], got[table + "_child"]
    cols = {c["column_name"]: c for c in parent["table_columns"]}
    assert [c["column_name"] for c in parent["table_columns"]] == ["a", "b", "label", "note"]
    assert [c["ordinal_position"] for c in parent["table_columns"]] == [1, 2, 3, 4]
    # Nullability right on every engine (ADBC's own SQLite driver says
    # every column is nullable).
    assert [cols[n]["xdbc_nullable"] for n in ("a", "b", "label", "note")] == [0, 0, 0, 1]
    assert [cols[n]["xdbc_is_nullable"] for n in ("a", "b", "label", "note")] == ["NO", "NO", "NO", "YES"]
    # ODBC's type codes from keel's types: SQL_BIGINT, SQL_WVARCHAR.
    assert [cols[n]["xdbc_data_type"] for n in ("a", "label")] == [-5, -9]
    cons = {c["constraint_type"]: c for c in parent["table_constraints"]}
    assert cons["PRIMARY KEY"]["constraint_column_names"] == ["a", "b"]
    assert cons["UNIQUE"]["constraint_column_names"] == ["label"]
    fk = [c for c in child["table_constraints"] if c["constraint_type"] == "FOREIGN KEY"]
    assert len(fk) == 1 and fk[0]["constraint_column_names"] == ["pa", "pb"]
    assert [(u["fk_table"], u["fk_column_name"]) for u in fk[0]["constraint_column_usage"]] == [(table, "a"), (table, "b")]
    if engine.name != "sqlite":  # SQLite does not keep constraint names
        assert fk[0]["constraint_name"].lower() == f"{table}_fk"
    ck = [c for c in child["table_constraints"] if c["constraint_type"] == "CHECK"]
    assert [(c["constraint_name"].lower(), c["constraint_column_names"]) for c in ck] == [(f"{table}_ck", [])]
    # A column filter.
    narrowed = tables("columns", table)
    assert [c["column_name"] for c in narrowed[table]["table_columns"]] == ["a", "b", "label", "note"]


def test_cancel_from_another_thread(engine, conn):
    conn.adbc_connection.set_autocommit(True)
    cur = conn.cursor()
    failure = []

    def run():
        try:
            cur.execute(engine.slow)
            cur.fetchall()
        except Exception as e:  # the cancelled statement's error
            failure.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    # Cancelling before the statement starts does nothing: keep asking
    # until it has stopped.
    while worker.is_alive():
        cur.adbc_cancel()
        worker.join(0.1)
    assert len(failure) == 1, "the statement was not stopped"
    assert isinstance(failure[0], adbc_driver_manager.OperationalError)
    assert failure[0].status_code == adbc_driver_manager.AdbcStatusCode.CANCELLED
    # The connection works afterwards, and the connection's cancel too.
    cur.execute("SELECT 1")
    assert cur.fetchone()[0] == 1
    conn.adbc_connection.cancel()
    cur.close()


def test_errors_carry_sqlstate_and_vendor_code(engine, conn):
    """SQLSTATE in its field; the engine's error number, the driver, keel's
    status and whether the statement can have run as ADBC 1.1 error
    details (the driver manager then gives the vendor code field as None:
    it holds ADBC_ERROR_VENDOR_CODE_PRIVATE_DATA)."""
    with conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error) as e:
            cur.execute("SELECT * FROM adbc_no_such_table")
    err = e.value
    assert err.status_code == adbc_driver_manager.AdbcStatusCode.NOT_FOUND or engine.name == "sqlite"
    details = {(k.decode() if isinstance(k, bytes) else k): v for k, v in err.details}
    # PostgreSQL has no error number: no detail for it.
    sqlstate, code = {"sqlite": (None, b"1"), "postgres": ("42P01", None), "mysql": ("42S02", b"1146"), "mssql": ("42S02", b"208")}[engine.name]
    if sqlstate is not None:
        assert err.sqlstate == sqlstate
    assert details.get("keel.vendor_code") == code, err.details
    assert details["keel.driver"] == engine.name.encode(), err.details
    # SQL Server gets the statement and runs it in one request: keel
    # cannot say it did not run.
    assert details["keel.retry"] == (b"unknown" if engine.name == "mssql" else b"not_sent"), err.details
    assert details["keel.status"] in (b"not found", b"invalid argument", b"unknown error"), err.details
    assert err.vendor_code is None
    if engine.name == "sqlite":
        assert "no such table" in str(err)


def test_readme_example():
    """The README's "Using keel from ADBC" example, as written there."""
    import re

    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "README.md")).read()
    block = re.search(r"## Using keel from ADBC.*?```python\n(.*?)```", readme, re.S)
    assert block, "README has no Python example under 'Using keel from ADBC'"
    assert '"/path/to/libkeel.so"' in block.group(1)
    code = block.group(1).replace('"/path/to/libkeel.so"', repr(LIB))
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)


def test_lists_bind_and_ingest_as_postgres_arrays(engine, conn, table):
    """list<T> binds and ingests as a PostgreSQL array (its text, which
    the server parses); the engines without arrays refuse it."""
    conn.adbc_connection.set_autocommit(True)
    data = pa.table({"k": pa.array([1, 2]), "l": pa.array([[1, None, 3], None], pa.list_(pa.int64()))})
    with conn.cursor() as cur:
        if engine.name != "postgres":
            with pytest.raises(adbc_driver_manager.NotSupportedError):
                cur.execute("SELECT ?", pa.record_batch([pa.array([[1]], pa.list_(pa.int64()))], names=["l"]))
            return
        assert cur.adbc_ingest(table, data, mode="create") == 2
        cur.execute(f"SELECT k, l FROM {table} ORDER BY k")
        assert cur.fetch_arrow_table().to_pylist() == data.to_pylist()
        cur.execute("SELECT array_length(?::int8[], 1) AS n", pa.record_batch([pa.array([[4, 5, 6]], pa.list_(pa.int64()))], names=["l"]))
        assert cur.fetchone() == (3,)


def test_execute_query_reports_rows_affected(engine, conn, table):
    """AdbcStatementExecuteQuery writes rows_affected: the count for a
    statement without a result, -1 (not known) for a query."""
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (id INT)")
        cur.executemany(f"INSERT INTO {table} VALUES (?)", [(1,), (2,), (3,)])
        cur.execute(f"INSERT INTO {table} VALUES (4)")
        if engine.name != "mssql":  # SQL Server's would need a describe per statement
            assert cur.rowcount == 1
        cur.execute(f"UPDATE {table} SET id = id + 10 WHERE id >= ?", (2,))
        if engine.name != "mssql":
            assert cur.rowcount == 3
        cur.execute(f"SELECT id FROM {table} ORDER BY id")
        assert cur.rowcount == -1
        assert [r[0] for r in cur.fetchall()] == [1, 12, 13, 14]
    st = adbc_driver_manager.AdbcStatement(conn.adbc_connection)
    try:
        st.set_sql_query(f"DELETE FROM {table} WHERE id > 10")
        handle, n = st.execute_query()
        pa.RecordBatchReader._import_from_c(handle.address).read_all()
        assert n == (-1 if engine.name == "mssql" else 3)
    finally:
        st.close()


def test_a_stream_error_keeps_its_status_sqlstate_and_details(engine):
    """An error while the result stream is read (after the first batch)
    comes back through AdbcErrorFromArrayStream as the ADBC error it is,
    not as a bare Arrow error."""
    failing = {
        "postgres": ("SELECT 1/(i-500) AS v FROM generate_series(1,1000) i", "22012"),
        "sqlite": ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
                   "SELECT CASE WHEN x = 500 THEN abs(-9223372036854775807 - 1) ELSE x END AS v FROM c", None),
    }
    if engine.name not in failing:
        pytest.skip(f"no statement known to fail while its rows stream on {engine.name}")
    sql, sqlstate = failing[engine.name]
    with engine.connect(arrow_batch_rows="100") as c, c.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error) as e:
            cur.execute(sql)
            cur.fetch_arrow_table()
        err = e.value
        details = {(k.decode() if isinstance(k, bytes) else k): v for k, v in err.details}
        assert details["keel.driver"] == engine.name.encode(), err.details
        assert "keel.status" in details and "keel.retry" in details
        if sqlstate:
            assert err.sqlstate == sqlstate
            assert isinstance(err, adbc_driver_manager.DataError)
            assert err.status_code == adbc_driver_manager.AdbcStatusCode.INVALID_DATA
        # The connection goes on (PostgreSQL: after the failed transaction).
        c.rollback()
        cur.execute("SELECT 1")
        assert cur.fetchone()[0] == 1


def test_get_info_ignores_unknown_codes(conn):
    # adbc.h: "Drivers/vendors will ignore requests for unrecognized codes".
    handle = conn.adbc_connection.get_info([0, 500, 12345])
    rows = pa.RecordBatchReader._import_from_c(handle.address).read_all().to_pylist()
    assert [r["info_name"] for r in rows] == [0]
    handle = conn.adbc_connection.get_info([12345])
    assert pa.RecordBatchReader._import_from_c(handle.address).read_all().num_rows == 0


def _details(err) -> dict:
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in err.details}


def test_errors_of_keels_adbc_layer_carry_details(engine, conn, table):
    """keel's own ADBC errors carry the details an engine's error does
    (keel.driver is keel) and a SQL/CLI SQLSTATE."""
    with pytest.raises(adbc_driver_manager.ProgrammingError) as e:
        conn.adbc_get_table_schema(table + "_nope")
    assert e.value.status_code == adbc_driver_manager.AdbcStatusCode.NOT_FOUND
    assert e.value.sqlstate == "42S02"
    assert _details(e.value) == {"keel.driver": b"keel", "keel.status": b"not found", "keel.retry": b"unknown"}
    st = adbc_driver_manager.AdbcStatement(conn.adbc_connection)
    try:
        with pytest.raises(adbc_driver_manager.ProgrammingError) as e:
            st.execute_query()
        assert e.value.status_code == adbc_driver_manager.AdbcStatusCode.INVALID_STATE
        assert e.value.sqlstate == "HY010"
        assert _details(e.value)["keel.status"] == b"invalid state"
        with pytest.raises(adbc_driver_manager.NotSupportedError) as e:
            st.set_options(**{"adbc.keel.no_such_option": "1"})
        assert e.value.sqlstate == "HYC00"
        assert _details(e.value)["keel.driver"] == b"keel"
    finally:
        st.close()


def test_get_objects_ignores_unknown_table_types(engine, conn, table):
    """A table type keel does not have matches nothing, as in ADBC's own
    drivers (not an error)."""
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (a INT)")

    def names(types):
        out = []
        reader = conn.adbc_get_objects(depth="tables", table_name_filter=table, table_types_filter=types)
        for c in reader.read_all().to_pylist():
            for s in c["catalog_db_schemas"] or []:
                out += [t["table_name"] for t in s["db_schema_tables"] or []]
        return out

    assert names(["NO SUCH TYPE"]) == []
    assert names(["NO SUCH TYPE", "TABLE"]) == [table]


def test_a_prepared_statement_survives_a_schema_change(engine, conn, table):
    """A statement prepared (and run) before ALTER TABLE runs after it with
    the new columns: keel prepares it again where the engine refuses it
    (PostgreSQL: "cached plan must not change result type")."""
    conn.adbc_connection.set_autocommit(True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (a INT)")
        cur.execute(f"INSERT INTO {table} VALUES (1)")
        st = adbc_driver_manager.AdbcStatement(conn.adbc_connection)
        try:
            st.set_sql_query(f"SELECT * FROM {table}")
            st.prepare()

            def run():
                handle, _ = st.execute_query()
                return pa.RecordBatchReader._import_from_c(handle.address).read_all().to_pylist()

            assert run() == [{"a": 1}]
            add = "ADD" if engine.name == "mssql" else "ADD COLUMN"
            cur.execute(f"ALTER TABLE {table} {add} b VARCHAR(5) NOT NULL DEFAULT 'x'")
            assert run() == [{"a": 1, "b": "x"}]
        finally:
            st.close()


# --- The C entry point as a driver manager calls it (ctypes) -----------------

import ctypes  # noqa: E402

_SLOTS_1_0 = [
    "DatabaseInit", "DatabaseNew", "DatabaseSetOption", "DatabaseRelease",
    "ConnectionCommit", "ConnectionGetInfo", "ConnectionGetObjects", "ConnectionGetTableSchema",
    "ConnectionGetTableTypes", "ConnectionInit", "ConnectionNew", "ConnectionSetOption",
    "ConnectionReadPartition", "ConnectionRelease", "ConnectionRollback",
    "StatementBind", "StatementBindStream", "StatementExecuteQuery", "StatementExecutePartitions",
    "StatementGetParameterSchema", "StatementNew", "StatementPrepare", "StatementRelease",
    "StatementSetOption", "StatementSetSqlQuery", "StatementSetSubstraitPlan",
    "ErrorGetDetailCount",  # 1.1 from here
]
_P = ctypes.c_void_p
_SIGS = {
    "DatabaseNew": [_P, _P], "DatabaseInit": [_P, _P], "DatabaseRelease": [_P, _P],
    "DatabaseSetOption": [_P, ctypes.c_char_p, ctypes.c_char_p, _P],
    "ConnectionNew": [_P, _P], "ConnectionInit": [_P, _P, _P], "ConnectionRelease": [_P, _P],
    "ConnectionGetObjects": [_P, ctypes.c_int, _P, _P, _P, _P, _P, _P, _P],
    "StatementNew": [_P, _P, _P], "StatementRelease": [_P, _P],
    "StatementSetSqlQuery": [_P, ctypes.c_char_p, _P],
    "StatementExecuteQuery": [_P, _P, _P, _P],
}
# AdbcDriver: private_data, private_manager, release, then the functions.
_V10_SIZE = (3 + 26) * 8
# AdbcError: message, vendor_code, sqlstate[5], release (1.1: private_data, private_driver).
_ERR_V10_SIZE, _ERR_V11_SIZE = 32, 48


class _CDriver:
    """libkeel's AdbcDriverInit and driver struct, called as a driver
    manager written in C would."""

    def __init__(self, version: int):
        self.lib = ctypes.CDLL(LIB)
        self.version = version
        self.raw = (ctypes.c_uint8 * 1024)(*([0xAB] * 1024))
        self.err_size = _ERR_V10_SIZE if version == 1_000_000 else _ERR_V11_SIZE
        init = self.lib.AdbcDriverInit
        init.restype, init.argtypes = ctypes.c_uint8, [ctypes.c_int, _P, _P]
        err = self.error()
        self.status = init(version, ctypes.addressof(self.raw), ctypes.addressof(err))
        self.init_error = err

    def slot(self, name: str):
        addr = ctypes.c_void_p.from_buffer(self.raw, (3 + _SLOTS_1_0.index(name)) * 8).value
        if name == "ErrorGetDetailCount":
            return ctypes.CFUNCTYPE(ctypes.c_int, _P)(addr)
        return ctypes.CFUNCTYPE(ctypes.c_uint8, *_SIGS[name])(addr)

    def error(self):
        # The error struct of the caller's version, then bytes that must stay.
        return (ctypes.c_uint8 * (self.err_size + 32))(*([0] * self.err_size + [0xCD] * 32))

    def message(self, err) -> str:
        p = ctypes.c_char_p.from_buffer(err, 0).value
        return p.decode() if p else ""

    def release_error(self, err):
        addr = ctypes.c_void_p.from_buffer(err, 24).value
        if addr:
            ctypes.CFUNCTYPE(None, _P)(addr)(ctypes.addressof(err))

    def call(self, name, *args):
        err = self.error()
        status = self.slot(name)(*args, ctypes.addressof(err))
        assert bytes(err[self.err_size:]) == b"\xcd" * 32, f"{name} wrote past the caller's AdbcError"
        return status, err


def test_adbc_1_0_driver_managers_load_keel(engine):
    """AdbcDriverInit with ADBC_VERSION_1_0_0 fills only the 1.0 part of the
    driver struct, and its functions write 1.0-sized errors."""
    if not LIB:
        pytest.skip("KEEL_LIBRARY is not set")
    d = _CDriver(1_000_000)
    assert d.status == 0, d.message(d.init_error)
    assert bytes(d.raw[_V10_SIZE:]) == b"\xab" * (1024 - _V10_SIZE), "wrote past the 1.0 driver struct"
    db, conn, stmt = (_P * 2)(), (_P * 2)(), (_P * 2)()
    assert d.call("DatabaseNew", ctypes.addressof(db))[0] == 0
    assert d.call("DatabaseSetOption", ctypes.addressof(db), b"uri", engine.url.encode())[0] == 0
    assert d.call("DatabaseSetOption", ctypes.addressof(db), b"no_such_option", b"1")[0] == 0
    status, err = d.call("DatabaseInit", ctypes.addressof(db))
    assert status == 2 and "no_such_option" in d.message(err)  # NOT_IMPLEMENTED
    d.release_error(err)
    assert d.call("DatabaseRelease", ctypes.addressof(db))[0] == 0
    db = (_P * 2)()
    assert d.call("DatabaseNew", ctypes.addressof(db))[0] == 0
    assert d.call("DatabaseSetOption", ctypes.addressof(db), b"uri", engine.url.encode())[0] == 0
    assert d.call("DatabaseInit", ctypes.addressof(db))[0] == 0
    assert d.call("ConnectionNew", ctypes.addressof(conn))[0] == 0
    assert d.call("ConnectionInit", ctypes.addressof(conn), ctypes.addressof(db))[0] == 0
    assert d.call("StatementNew", ctypes.addressof(conn), ctypes.addressof(stmt))[0] == 0
    assert d.call("StatementSetSqlQuery", ctypes.addressof(stmt), b"SELECT 42 AS v")[0] == 0
    stream, rows = (_P * 5)(), ctypes.c_int64(-99)
    status, err = d.call("StatementExecuteQuery", ctypes.addressof(stmt), ctypes.addressof(stream), ctypes.addressof(rows))
    assert status == 0, d.message(err)
    assert rows.value == -1
    assert pa.RecordBatchReader._import_from_c(ctypes.addressof(stream)).read_all().column(0).to_pylist() == [42]
    # An engine's error, as 1.0 has it: message and SQLSTATE, no details.
    assert d.call("StatementSetSqlQuery", ctypes.addressof(stmt), b"SELECT * FROM adbc_no_such_table")[0] == 0
    status, err = d.call("StatementExecuteQuery", ctypes.addressof(stmt), ctypes.addressof(stream), None)
    assert status != 0 and "adbc_no_such_table" in d.message(err)
    d.release_error(err)
    for name, h in (("StatementRelease", stmt), ("ConnectionRelease", conn), ("DatabaseRelease", db)):
        assert d.call(name, ctypes.addressof(h))[0] == 0
    # A version keel does not have: NOT_IMPLEMENTED (a manager then tries an older one).
    assert _CDriver(1_002_000).status == 2


def test_get_objects_with_an_unknown_depth_is_invalid_argument(engine):
    if not LIB:
        pytest.skip("KEEL_LIBRARY is not set")
    d = _CDriver(1_001_000)
    assert d.status == 0
    db, conn = (_P * 2)(), (_P * 2)()
    assert d.call("DatabaseNew", ctypes.addressof(db))[0] == 0
    assert d.call("DatabaseSetOption", ctypes.addressof(db), b"uri", engine.url.encode())[0] == 0
    assert d.call("DatabaseInit", ctypes.addressof(db))[0] == 0
    assert d.call("ConnectionNew", ctypes.addressof(conn))[0] == 0
    assert d.call("ConnectionInit", ctypes.addressof(conn), ctypes.addressof(db))[0] == 0
    stream = (_P * 5)()
    status, err = d.call("ConnectionGetObjects", ctypes.addressof(conn), 7, None, None, None, None, None, ctypes.addressof(stream))
    assert status == 5, d.message(err)  # INVALID_ARGUMENT
    assert "depth 7" in d.message(err)
    assert d.slot("ErrorGetDetailCount")(ctypes.addressof(err)) == 3  # keel.driver, keel.status, keel.retry
    d.release_error(err)
    assert d.call("ConnectionRelease", ctypes.addressof(conn))[0] == 0
    assert d.call("DatabaseRelease", ctypes.addressof(db))[0] == 0
