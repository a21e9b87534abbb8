"""PEP 249 behaviour: module globals, connections, transactions, cursors."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

import keel


def test_module_globals():
    assert keel.apilevel == "2.0"
    assert keel.threadsafety == 1
    assert keel.paramstyle == "qmark"
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                 "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"):
        assert issubclass(getattr(keel, name), Exception)
    assert issubclass(keel.DataError, keel.DatabaseError)
    assert issubclass(keel.DatabaseError, keel.Error)
    assert issubclass(keel.InterfaceError, keel.Error)
    assert issubclass(keel.TransactionRollbackError, keel.OperationalError)
    assert keel.Connection.IntegrityError is keel.IntegrityError


def test_connect_options_become_url_parameters():
    from keel.pool import with_options

    assert with_options("sqlite::memory:", {}) == "sqlite::memory:"
    assert with_options("sqlite:///a.db", {"busy_timeout_ms": 5, "foreign_keys": False}) == (
        "sqlite:///a.db?busy_timeout_ms=5&foreign_keys=false"
    )
    assert with_options("x://h/d?a=1", {"k": "a b&c"}) == "x://h/d?a=1&k=a%20b%26c"
    with keel.connect("sqlite::memory:", foreign_keys=False, busy_timeout_ms=10) as c:
        assert c.execute("PRAGMA foreign_keys").fetchone() == (0,)
    with pytest.raises(keel.ProgrammingError, match="unknown option 'no_such_option'"):
        keel.connect("sqlite::memory:", no_such_option=1)
    with pytest.raises(keel.InterfaceError):
        keel.connect(None)  # type: ignore[arg-type]


def test_no_driver_for_scheme():
    with pytest.raises(keel.OperationalError, match="no driver"):
        keel.connect("nosuchdb://x")


def test_implicit_transaction_commit_and_rollback(engine, table):
    c1 = engine.connect()
    cur = c1.cursor()
    assert c1.autocommit is False
    cur.execute(f"CREATE TABLE {table} (id INTEGER, v {engine.text})")
    if engine.name == "mysql":
        # MySQL commits the transaction a DDL statement runs in, and says so.
        assert not c1.in_transaction, "MySQL's DDL commits implicitly"
    else:
        assert c1.in_transaction, "the first statement opens a transaction"
    c1.commit()
    assert not c1.in_transaction
    cur.execute(f"INSERT INTO {table} VALUES (?, ?)", (1, "a"))
    assert c1.in_transaction
    c1.rollback()
    cur.execute(f"SELECT count(*) FROM {table}")
    assert cur.fetchone() == (0,)
    cur.execute(f"INSERT INTO {table} VALUES (?, ?)", (2, "b"))
    c1.commit()
    cur.execute(f"SELECT id, v FROM {table}")
    assert cur.fetchall() == [(2, "b")]
    c1.commit()
    c1.commit()  # nothing open: a no-op
    c1.rollback()
    c1.close()


def test_autocommit_mode(engine, table):
    with engine.connect(autocommit=True) as c:
        assert c.autocommit
        c.execute(f"CREATE TABLE {table} (id INTEGER)")
        c.execute(f"INSERT INTO {table} VALUES (1)")
        assert not c.in_transaction
        c.autocommit = False
        c.execute(f"INSERT INTO {table} VALUES (2)")
        assert c.in_transaction
        with pytest.raises(keel.ProgrammingError, match="autocommit"):
            c.autocommit = True
        c.rollback()
        c.autocommit = True
        assert c.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)


def test_connection_context_manager_commits_or_rolls_back(tmp_path):
    url = f"sqlite:///{tmp_path}/ctx.db"
    with keel.connect(url) as c:
        c.execute("CREATE TABLE t (x INTEGER)")
        c.execute("INSERT INTO t VALUES (1)")
    assert c.closed
    with pytest.raises(ZeroDivisionError):
        with keel.connect(url) as c:
            c.execute("INSERT INTO t VALUES (2)")
            1 / 0
    assert c.closed
    with keel.connect(url) as c:
        assert c.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_cursor_attributes(conn, engine, table):
    cur = conn.cursor()
    assert cur.arraysize == 1
    assert cur.rowcount == -1
    assert cur.description is None
    assert cur.connection is conn
    cur.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name {engine.text} NOT NULL, score {engine.double})")
    cur.execute(f"INSERT INTO {table} (id, name, score) VALUES (?, ?, ?)", (7, "x", 1.5))
    assert cur.rowcount == 1
    if engine.name == "sqlite":
        assert cur.lastrowid == 7
    cur.execute(f"UPDATE {table} SET score = score + 1 WHERE id > ?", (0,))
    assert cur.rowcount == 1
    assert cur.description is None
    cur.execute(f"SELECT id, name, score FROM {table}")
    d = cur.description
    assert [x[0] for x in d] == ["id", "name", "score"]
    assert all(len(x) == 7 for x in d)
    assert d[0][1] == keel.NUMBER and d[0][1] == keel.ROWID
    assert d[1][1] == keel.STRING and d[1][1] != keel.NUMBER
    assert d[2][1] == keel.NUMBER
    if engine.name == "sqlite":
        assert d[1][6] is False, "NOT NULL column"
        assert d[2][6] is True
    assert cur.rowcount == -1
    assert cur.fetchall() == [(7, "x", 2.5)]
    assert cur.description is d, "description survives the end of the rows"
    assert cur.nextset() is None
    cur.setinputsizes([10])
    cur.setoutputsize(10)
    cur.setoutputsize(10, 0)
    with pytest.raises(keel.NotSupportedError):
        cur.callproc("p")


def test_fetch_methods_and_iteration(conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (n INTEGER)")
    cur.executemany(f"INSERT INTO {table} VALUES (?)", [(i,) for i in range(10_000)])
    assert cur.rowcount == 10_000
    sql = f"SELECT n FROM {table} ORDER BY n"
    cur.execute(sql)
    assert cur.fetchone() == (0,)
    assert cur.fetchmany() == [(1,)]
    cur.arraysize = 3
    assert cur.fetchmany() == [(2,), (3,), (4,)]
    assert cur.fetchmany(500) == [(i,) for i in range(5, 505)]
    assert cur.fetchone() == (505,)
    rest = cur.fetchall()
    assert rest == [(i,) for i in range(506, 10_000)]
    assert cur.fetchone() is None
    assert cur.fetchmany(5) == []
    assert cur.fetchall() == []
    cur.execute(sql)
    assert [r[0] for r in cur] == list(range(10_000))
    assert sum(1 for _ in conn.execute(sql)) == 10_000
    cur.execute(f"SELECT n FROM {table} WHERE n < 0")
    assert cur.fetchone() is None and cur.fetchall() == []


def test_fetchall_reads_batches_ahead_in_order(engine, conn, table):
    # fetchall reads its next batch on a helper thread while it decodes
    # the last one (Cursor._read_rest): with small batches a result takes
    # many of them, and the rows must still come in order, once each, with
    # pickle's types (the timestamp column) as with marshal's.
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (n INTEGER, s VARCHAR(20), t {engine.timestamp})")
    ts = dt.datetime(2024, 5, 6, 7, 8, 9)
    cur.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", [(i, f"r{i}", ts) for i in range(1000)])
    cur.fetchall_batch = 7
    threads = threading.active_count()
    cur.execute(f"SELECT n, s FROM {table} ORDER BY n")
    assert cur.fetchone() == (0, "r0")
    assert cur.fetchall() == [(i, f"r{i}") for i in range(1, 1000)]
    cur.execute(f"SELECT n, t FROM {table} ORDER BY n")
    assert cur.fetchall() == [(i, ts) for i in range(1000)]
    assert threading.active_count() == threads, "no helper thread outlives fetchall"
    # Read to its end, the cursor's result leaves the connection free.
    assert conn.execute("SELECT 1").fetchall() == [(1,)]


def test_fetchall_reads_batch_by_batch_when_no_thread_can_start(sqlite_conn, monkeypatch):
    # At interpreter shutdown (or out of threads) Thread.start raises:
    # fetchall then reads the rest batch by batch, every row still there.
    def refuse(self):
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    cur = sqlite_conn.cursor()
    cur.fetchall_batch = 10
    cur.execute("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 95) SELECT n FROM c")
    assert cur.fetchall() == [(i,) for i in range(1, 96)]


def test_an_error_in_a_batch_read_ahead_reaches_fetchall(sqlite_conn):
    # The overflow happens at row 500, in a batch the helper thread reads:
    # fetchall raises the library's error, and the connection still works.
    conn = sqlite_conn
    cur = conn.cursor()
    cur.fetchall_batch = 10
    cur.execute(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) "
        "SELECT CASE WHEN n = 500 THEN abs(-9223372036854775808) ELSE n END FROM c"
    )
    with pytest.raises(keel.Error, match="integer overflow"):
        cur.fetchall()
    assert conn.execute("SELECT 2").fetchall() == [(2,)]


def test_fetch_without_a_result_is_an_error(sqlite_conn):
    conn = sqlite_conn
    cur = conn.cursor()
    with pytest.raises(keel.ProgrammingError, match="no result set"):
        cur.fetchone()
    cur.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(keel.ProgrammingError):
        cur.fetchall()


def test_parameter_mistakes(sqlite_conn):
    conn = sqlite_conn
    cur = conn.cursor()
    with pytest.raises(keel.ProgrammingError, match="1 placeholder but 2 parameters"):
        cur.execute("SELECT ?", (1, 2))
    with pytest.raises(keel.ProgrammingError, match="1 placeholder but 0 parameters"):
        cur.execute("SELECT ?")
    with pytest.raises(keel.ProgrammingError, match="qmark"):
        cur.execute("SELECT ?", {"a": 1})
    with pytest.raises(keel.ProgrammingError, match="single str"):
        cur.execute("SELECT ?", "a")
    with pytest.raises(keel.ProgrammingError, match="cannot bind"):
        cur.execute("SELECT ?", (object(),))
    assert cur.execute("SELECT ?", [5]).fetchone() == (5,)


def test_parameters_that_are_no_sequence_say_what_is_accepted(sqlite_conn):
    cur = sqlite_conn.cursor()
    # What was given and what is accepted, not "object of type 'int' has
    # no len()".
    for params, name in ((1, "int"), (2.5, "float"), ({1}, "set"), ((v for v in [1]), "generator")):
        with pytest.raises(TypeError, match=rf"parameters must be a sequence \(a tuple or list\) .*not {name}; for one value, pass \(value,\)"):
            cur.execute("SELECT ?", params)
    with pytest.raises(TypeError, match=r"row 1: a row of parameters must be a sequence .*not int"):
        cur.executemany("SELECT ?", [(1,), 2])
    # Any sequence does.
    assert cur.execute("SELECT ?", range(7, 8)).fetchone() == (7,)


def test_a_str_row_of_executemany_is_refused(sqlite_conn):
    # A str has a length and items: "ab" would have bound 'a' and 'b'
    # (and failed in libkeel with "bad parameter stream ... Val(Text")).
    cur = sqlite_conn.cursor()
    cur.execute("CREATE TABLE t (a, b)")
    for row, name in (("ab", "str"), (b"ab", "bytes"), (bytearray(b"ab"), "bytearray")):
        with pytest.raises(TypeError, match=rf"row 0: a row of parameters must be a sequence \(a tuple or list\) .*not {name}"):
            cur.executemany("INSERT INTO t VALUES (?, ?)", [row])
    assert sqlite_conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_containers_as_values_say_to_use_json(conn, engine, table):
    # Not "bad parameter stream at byte 14: opcode 0x7d is not accepted".
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (a INTEGER, b {engine.text})")
    sql = f"INSERT INTO {table} VALUES (?, ?)"
    for v in ({"a": 1}, [1, 2], (1, 2), {1}):
        name = type(v).__name__
        with pytest.raises(keel.ProgrammingError, match=rf"parameter 1: cannot bind a value of type {name}: .*keel\.Json\("):
            cur.execute(sql, (1, v))
        # A query's parameters go by another path (encoded in one stream).
        with pytest.raises(keel.ProgrammingError, match=rf"parameter 1: cannot bind a value of type {name}: .*keel\.Json\("):
            cur.execute(f"SELECT a FROM {table} WHERE a = ? AND b = ?", (1, v))
        with pytest.raises(keel.ProgrammingError, match=rf"row 1, parameter 1: cannot bind a value of type {name}: .*keel\.Json\("):
            cur.executemany(sql, [(1, "x"), (2, v)])
        # With a value that must be bound one at a time (a zone off UTC).
        with pytest.raises(keel.ProgrammingError, match=rf"cannot bind a value of type {name}: "):
            cur.execute("SELECT ?, ?", (dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))), v))
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    cur.execute(sql, (1, keel.Json({"a": 1})))
    assert conn.execute(f"SELECT b FROM {table}").fetchone() == ('{"a": 1}',)


def test_sql_that_is_no_str_is_a_type_error(sqlite_conn):
    cur = sqlite_conn.cursor()
    with pytest.raises(TypeError, match=r"^the SQL must be a str, not NoneType$"):
        cur.execute(None)
    with pytest.raises(TypeError, match=r"^the SQL must be a str, not bytes; decode it first"):
        cur.execute(b"SELECT 1")
    with pytest.raises(TypeError, match=r"^the SQL must be a str, not int$"):
        cur.executemany(1, [(1,)])
    assert cur.execute("SELECT 1").fetchone() == (1,)


def test_arraysize_must_be_an_int(sqlite_conn):
    cur = sqlite_conn.cursor()
    for v in ("x", 2.0, None, True):
        with pytest.raises(TypeError, match=rf"arraysize must be an int, not {type(v).__name__}"):
            cur.arraysize = v
    assert cur.arraysize == 1
    cur.arraysize = -1  # a negative one fetches the rest (fetchmany)
    cur.execute("SELECT 1 UNION ALL SELECT 2")
    assert cur.fetchmany() == [(1,), (2,)]


def test_fetchmany_with_a_negative_size_fetches_the_rest(sqlite_conn):
    """As the sqlite3 module does (README, "What to expect")."""
    cur = sqlite_conn.cursor()
    sql = "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
    cur.execute(sql)
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(-1) == [(2,), (3,), (4,)]
    assert cur.fetchmany(-1) == []
    cur.execute(sql)
    cur.arraysize = -1
    assert cur.fetchmany() == [(1,), (2,), (3,), (4,)]
    cur.arraysize = 1
    cur.execute(sql)
    cur.fetchmany(2)
    # The rows went out, so an Arrow stream holds none of them again.
    assert cur.fetchmany(-1) == [(3,), (4,)] and cur.fetchall() == []


def test_cursors_sharing_one_cached_statement_do_not_disturb_each_other(conn, table):
    conn.execute(f"CREATE TABLE {table} (n INTEGER)")
    conn.cursor().executemany(f"INSERT INTO {table} VALUES (?)", [(i,) for i in range(1000)])
    sql = f"SELECT n FROM {table} WHERE n >= ? ORDER BY n"
    a = conn.execute(sql, (0,))
    b = conn.execute(sql, (500,))
    got_a = [a.fetchone() for _ in range(100)]
    assert b.fetchone() == (500,)
    c = conn.execute(sql, (990,))
    assert c.fetchall() == [(i,) for i in range(990, 1000)]
    assert got_a == [(i,) for i in range(100)]
    assert a.fetchall() == [(i,) for i in range(100, 1000)]
    assert b.fetchall() == [(i,) for i in range(501, 1000)]
    # The common pattern: iterate one cursor while writing with another.
    writer = conn.cursor()
    for (n,) in conn.execute(f"SELECT n FROM {table} WHERE n < 5 ORDER BY n"):
        writer.execute(f"UPDATE {table} SET n = n + 10000 WHERE n = ?", (n,))
    conn.commit()
    assert conn.execute(f"SELECT count(*) FROM {table} WHERE n >= 10000").fetchone() == (5,)
    # Many distinct statements (more than libkeel's statement cache keeps):
    # still correct.
    for i in range(100):
        assert conn.execute(f"SELECT {i}").fetchone() == (i,)


def test_commit_in_sql_is_noticed(conn, engine, table):
    if engine.name != "sqlite":
        pytest.skip(f"skipped: the {engine.name} driver tracks transactions itself, so COMMIT as SQL goes unseen")
    conn.execute(f"CREATE TABLE {table} (x INTEGER)")
    conn.execute(f"SELECT count(*) FROM {table}").fetchall()
    conn.execute("COMMIT")  # ends keel's implicit transaction behind its back
    assert not conn.in_transaction
    conn.execute(f"SELECT count(*) FROM {table}").fetchall()
    assert not conn.in_transaction, "a read opens no transaction on SQLite"
    conn.execute(f"INSERT INTO {table} VALUES (1)")
    assert conn.in_transaction, "the next write opened a new transaction"
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_sqlite_transactions_open_at_the_first_write(sqlite_conn):
    c = sqlite_conn
    c.execute("PRAGMA journal_mode")  # runs outside any transaction
    assert c.execute("SELECT 1").fetchone() == (1,)
    assert not c.in_transaction
    c.execute("CREATE TABLE t (x INTEGER)")
    assert c.in_transaction, "DDL may write: it opens the transaction"
    assert c.execute("SELECT count(*) FROM t").fetchone() == (0,)
    c.rollback()
    assert c.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone() == (0,)
    c.execute("CREATE TABLE t (x INTEGER)")
    c.commit()
    # BEGIN as SQL works with autocommit off (keel opens nothing first).
    c.execute("BEGIN IMMEDIATE")
    assert c.in_transaction
    c.execute("INSERT INTO t VALUES (1)")
    c.rollback()
    c.execute("WITH v(x) AS (VALUES (2)) INSERT INTO t SELECT x FROM v")
    assert c.in_transaction, "a WITH that inserts opens the transaction"
    c.commit()
    assert c.execute("SELECT x FROM t").fetchall() == [(2,)]


def test_statement_classification():
    from keel.connection import opens_sqlite_transaction as opens

    for q in ("SELECT 1", " -- x\nselect 1", "VALUES (1)", "EXPLAIN DELETE FROM t", "PRAGMA journal_mode=wal",
              "WITH x AS (SELECT 1) SELECT * FROM x", "BEGIN IMMEDIATE", "COMMIT", "END", "ROLLBACK TO s",
              "SAVEPOINT s", "RELEASE s", "VACUUM", "ATTACH 'a.db' AS a", "DETACH a"):
        assert not opens(q), q
    for q in ("INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t", "REPLACE INTO t VALUES (1)",
              "CREATE TABLE selected (x INT)", "DROP TABLE t", "ALTER TABLE t ADD y INT", "/* select */ DELETE FROM t",
              "WITH x AS (SELECT 1) DELETE FROM t WHERE a IN x", "INSERT INTO t VALUES (1) RETURNING id"):
        assert opens(q), q


def test_returning_gives_rows(conn, engine, table):
    if engine.name == "mysql":
        pytest.skip("skipped: MySQL has no RETURNING")
    conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)")
    cur = conn.execute(f"INSERT INTO {table} (id, v) VALUES (?, ?) RETURNING id, v", (3, 4))
    assert cur.fetchall() == [(3, 4)]
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)


def test_connection_metadata(conn, engine):
    assert conn.dialect.name.lower().startswith(engine.name[:5])
    assert conn.server_version
    assert keel.library_version().count(".") == 2
    assert keel.library_path()


def test_a_query_run_again_reuses_its_cursor_handle(conn, engine, table):
    """execute binds and runs a query in one C call
    (keel_stmt_query_encoded), into the rows handle of the cursor's last
    run of the same SQL once that result was read to its end; a result not
    read to its end is freed first (it holds the session on the server
    engines), and every run gives its own rows, types and description."""
    import datetime
    import decimal

    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, s {engine.text}, d {engine.timestamp}, x {engine.decimal})")
    rows = [(i, f"s{i}", datetime.datetime(2020, 1, 1 + i, 12, 0), decimal.Decimal(f"{i}.5")) for i in range(5)]
    cur.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", rows)
    sql = f"SELECT id, s, d, x FROM {table} WHERE id = ?"
    cur.execute(sql, (1,))
    assert cur.fetchall() == [rows[1]]
    handle = cur._rows
    for i in (3, 0, 4):
        cur.execute(sql, (i,))
        assert cur.fetchone() == rows[i]
        assert cur.fetchone() is None
        assert cur._rows is handle, "the same Python handle, reused"
        assert [d[0] for d in cur.description] == ["id", "s", "d", "x"]
    # Parameters that are not plain values (a datetime, a Decimal) take
    # the tagged encoding; the row still comes back.
    by_value = f"SELECT id FROM {table} WHERE d = ? AND x = ?"
    cur.execute(by_value, (rows[2][2], rows[2][3]))
    assert cur.fetchall() == [(2,)]
    # A result left half read, then the same SQL again: the new run
    # starts from the first row. (More rows than the first batch reads.)
    cur.executemany(f"INSERT INTO {table} (id) VALUES (?)", [(i,) for i in range(100, 300)])
    all_rows = f"SELECT id FROM {table} ORDER BY id"
    cur.execute(all_rows)
    assert cur.fetchone() == (0,)
    assert cur.fetchone() == (1,)
    cur.execute(all_rows)
    assert cur.fetchall() == [(i,) for i in [*range(5), *range(100, 300)]]
    # Errors on the way in keep the cursor usable.
    with pytest.raises(keel.DataError, match="does not fit in 64 bits"):
        cur.execute(sql, (1 << 64,))
    with pytest.raises(keel.ProgrammingError, match="1 placeholder but 2 parameters"):
        cur.execute(sql, (1, 2))
    cur.execute(sql, (2,))
    assert cur.fetchall() == [rows[2]]
    # A command afterwards has no description; the query runs again.
    ins = f"INSERT INTO {table} (id, s) VALUES (?, ?)"
    cur.executemany(ins, [(10, "a")])
    assert cur.description is None
    cur.execute(sql, (10,))
    assert cur.fetchone()[:2] == (10, "a")
    cur.close()


def test_plain_results_come_as_marshal_and_the_rest_as_pickle():
    """On SQLite a statement whose columns are all of types marshal
    carries is read as marshal (faster to build in Python), its first row
    and its parameters too; other statements as pickle. The values and
    their types are the same either way, and a statement whose table was
    made again with other column types is read right."""
    import datetime

    with keel.connect("sqlite::memory:") as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE m (id BIGINT, f REAL, s TEXT, b BLOB, flag BOOLEAN, t TIMESTAMP)")
        rows = [(i, i / 4, f"s{i}", bytes([i % 256]), i % 2 == 0, datetime.datetime(2024, 1, 1 + i % 28)) for i in range(300)]
        cur.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)", rows)
        plain = "SELECT id, f, s, b, flag FROM m WHERE id >= ? ORDER BY id"
        cur.execute(plain, (0,))
        assert cur._marshal
        got = cur.fetchall()
        assert got == [r[:5] for r in rows]
        assert [type(v) for v in got[2]] == [int, float, str, bytes, bool]
        cur.execute(plain, (299,))
        assert cur.fetchone() == rows[299][:5] and cur.fetchone() is None
        # Parameters marshal cannot carry go as pickle, the rows still as
        # marshal.
        cur.execute("SELECT id FROM m WHERE t = ?", (rows[5][5],))
        assert cur._marshal and cur.fetchall() == [(i,) for i in range(300) if i % 28 == 5]
        cur.execute("SELECT id, t FROM m WHERE id = ?", (7,))
        assert not cur._marshal and cur.fetchall() == [(7, rows[7][5])]
        # The table made again with a timestamp where the float was: the
        # statement's remembered shape is out of date, and the rows still
        # come back whole, as datetimes.
        cur.execute("DROP TABLE m")
        cur.execute("CREATE TABLE m (id BIGINT, f TIMESTAMP, s TEXT, b BLOB, flag BOOLEAN)")
        cur.execute("INSERT INTO m VALUES (?, ?, ?, ?, ?)", (1, datetime.datetime(2020, 5, 6), "x", b"y", True))
        cur.execute(plain, (0,))
        assert cur.fetchall() == [(1, datetime.datetime(2020, 5, 6), "x", b"y", True)]
        cur.execute(plain, (0,))
        assert not cur._marshal and cur.fetchone()[1] == datetime.datetime(2020, 5, 6)


def test_call_returns_the_procedures_rows(engine, table):
    """A CALL's prepared form has no columns, but its run may return rows:
    execute runs it as a query and the rows are there to fetch."""
    if engine.name != "mysql":
        pytest.skip("procedures returning result sets: MySQL/MariaDB")
    with engine.connect(autocommit=True) as conn:
        proc, quiet = f"{table}_p", f"{table}_q"
        conn.execute(f"CREATE PROCEDURE {proc}(IN x INT) BEGIN SELECT 42 + x AS a; END")
        conn.execute(f"CREATE PROCEDURE {quiet}() BEGIN DO 1; END")
        try:
            cur = conn.execute(f"CALL {proc}(?)", (1,))
            assert [d[0] for d in cur.description] == ["a"]
            assert cur.fetchall() == [(43,)]
            cur = conn.execute(f"CALL {quiet}()")
            assert cur.description is None
            assert conn.execute("SELECT 7").fetchall() == [(7,)]
        finally:
            conn.execute(f"DROP PROCEDURE IF EXISTS {proc}")
            conn.execute(f"DROP PROCEDURE IF EXISTS {quiet}")
