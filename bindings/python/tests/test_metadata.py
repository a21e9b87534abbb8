"""What the package asks libkeel instead of guessing: whether a statement
returns rows (keel_stmt_column_count), what the engine can do
(keel_conn_supports), and which statements are cached (libkeel's one
statement cache, keel_conn_prepare_cached)."""

from __future__ import annotations

import pytest

import keel
from keel import _ffi


def test_the_engine_says_which_statements_return_rows(conn, engine, table):
    conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v {engine.text})")
    cur = conn.cursor()
    # A command whose text holds the word RETURNING, and one after a
    # comment: each gives its row count, not a cursor.
    cur.execute(f"INSERT INTO {table} (id, v) VALUES (?, 'returning')", (1,))
    assert (cur.rowcount, cur.description) == (1, None)
    cur.execute(f"/* select */ UPDATE {table} SET v = ? WHERE id = ?", ("x", 1))
    assert (cur.rowcount, cur.description) == (1, None)
    if engine.name != "mysql":
        # A WITH that inserts is a command too (MySQL has no WITH ... INSERT).
        cur.execute(f"WITH n(x) AS (SELECT 2) INSERT INTO {table} (id, v) SELECT x, 'w' FROM n")
        assert (cur.rowcount, cur.description) == (1, None)
        # And a RETURNING clause gives rows.
        cur.execute(f"INSERT INTO {table} (id, v) VALUES (?, ?) RETURNING id", (3, "r"))
        assert cur.fetchall() == [(3,)]
        assert cur.description[0][0] == "id"
    # Queries however they start.
    for q in (f"select id FROM {table} WHERE id = 1", f"-- note\nSELECT id FROM {table} WHERE id = 1",
              f"(SELECT id FROM {table} WHERE id = 1)" if engine.name != "sqlite" else f"SELECT id FROM ({table}) WHERE id = 1"):
        assert conn.execute(q).fetchall() == [(1,)], q


def test_a_statement_whose_result_is_not_known_before_it_runs(sqlite_conn, monkeypatch):
    # An engine without KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE answers
    # keel_stmt_column_count with NOT_IMPLEMENTED: the statement then runs
    # as a query, and a result without columns was a command.
    calls = []

    def not_known(stmt, count_out, err_out):
        calls.append(stmt)
        return _ffi.Status.NOT_IMPLEMENTED

    monkeypatch.setattr(_ffi.lib, "keel_stmt_column_count", not_known, raising=False)
    c = sqlite_conn
    cur = c.cursor()
    cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    cur.execute("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
    assert calls, "the package asked libkeel"
    assert (cur.rowcount, cur.lastrowid, cur.description) == (-1, None, None)
    with pytest.raises(keel.ProgrammingError, match="no result set"):
        cur.fetchone()
    cur.executemany("INSERT INTO t (id, v) VALUES (?, ?)", [(2, "b"), (3, "c")])
    assert cur.rowcount == 2
    cur.execute("SELECT id, v FROM t WHERE id > ? ORDER BY id", (1,))
    assert [d[0] for d in cur.description] == ["id", "v"]
    assert cur.fetchall() == [(2, "b"), (3, "c")]
    assert cur.execute("DELETE FROM t RETURNING id").fetchall() == [(1,), (2,), (3,)]
    c.commit()
    assert c.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_capabilities_come_from_libkeel(conn, engine):
    several = conn.supports(keel.Capability.SEVERAL_CURSORS)
    assert several == (engine.name == "sqlite")
    assert conn.supports(keel.Capability.COLUMNS_AFTER_PREPARE)
    assert conn._one_cursor == (not several)
    with pytest.raises(keel.ProgrammingError, match="capability 42"):
        conn.supports(42)


def test_statements_are_cached_by_libkeel(engine):
    with keel.Pool(engine.url, pool_max_open=1) as pool:
        before = pool.stats()
        with pool.connection() as c:
            for i in range(5):
                assert c.execute("SELECT 1 + ?", (i,)).fetchone() == (1 + i,)
        after = pool.stats()
    assert after["stmt_cache_misses"] - before["stmt_cache_misses"] == 1
    assert after["stmt_cache_hits"] - before["stmt_cache_hits"] == 4
    # A cursor keeps the statement of its last execute while it runs the
    # same SQL again, and gives it back when it runs other SQL.
    with keel.Pool(engine.url, pool_max_open=1) as pool:
        with pool.connection() as c:
            cur = c.cursor()
            before = pool.stats()
            for i in range(5):
                assert cur.execute("SELECT 2 + ?", (i,)).fetchone() == (2 + i,)
            mid = pool.stats()
            assert (mid["stmt_cache_misses"] - before["stmt_cache_misses"], mid["stmt_cache_hits"] - before["stmt_cache_hits"]) == (1, 0)
            cur.execute("SELECT 3").fetchall()
            assert c.execute("SELECT 2 + ?", (0,)).fetchone() == (2,)
            assert pool.stats()["stmt_cache_hits"] - mid["stmt_cache_hits"] == 1, "given back, then taken from the cache"
    # statement_cache_size is libkeel's stmt_cache_size under asyncpg's name.
    with keel.Pool(engine.url, pool_max_open=1, statement_cache_size=0) as pool:
        with pool.connection() as c:
            for i in range(3):
                c.execute("SELECT 1 + ?", (i,)).fetchall()
        assert pool.stats()["stmt_cache_hits"] == 0
    with pytest.raises(keel.ProgrammingError, match="not both"):
        keel.connect(engine.url, statement_cache_size=1, stmt_cache_size=1)
