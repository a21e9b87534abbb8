"""keel.Pool over keel_db / keel_db_checkout / keel_conn_free."""

from __future__ import annotations

import threading

import pytest

import keel


def test_pool_connection_commits_rolls_back_and_returns(engine, table):
    with keel.Pool(engine.url, pool_max_open=2) as pool:
        assert pool.dialect.name.lower().startswith(engine.name[:5])
        with pool.connection() as c:
            c.execute(f"CREATE TABLE {table} (x INTEGER)")
            c.execute(f"INSERT INTO {table} VALUES (1)")
        assert c.closed, "returned to the pool"
        with pytest.raises(RuntimeError):
            with pool.connection() as c:
                c.execute(f"INSERT INTO {table} VALUES (2)")
                raise RuntimeError("boom")
        with pool.connection() as c:
            assert c.execute(f"SELECT x FROM {table}").fetchall() == [(1,)]
        # A connection given back with an open transaction is rolled back.
        c = pool.getconn()
        c.execute(f"INSERT INTO {table} VALUES (3)")
        c.close()
        with pool.connection(autocommit=True) as c:
            assert c.autocommit
            assert c.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
    assert pool.closed
    pool.close()
    with pytest.raises(keel.InterfaceError, match="pool is closed"):
        pool.getconn()


def test_pool_options_are_checked():
    with pytest.raises(keel.ProgrammingError, match="pool_max_open"):
        keel.Pool("sqlite::memory:", pool_max_open="many")


def test_pool_shared_by_threads(tmp_path):
    pool = keel.Pool(f"sqlite:///{tmp_path}/p.db", pool_max_open=3, busy_timeout_ms=10000)
    with pool.connection() as c:
        c.execute("CREATE TABLE t (n INTEGER)")
    errors = []

    def work(k: int) -> None:
        try:
            for i in range(20):
                with pool.connection() as c:
                    c.execute("INSERT INTO t VALUES (?)", (k * 100 + i,))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with pool.connection() as c:
        assert c.execute("SELECT count(*) FROM t").fetchone() == (120,)
    pool.close()


def test_pool_stats_track_checkouts_and_timeouts(engine):
    with keel.Pool(engine.url, pool_max_open=1, pool_acquire_timeout_ms=100) as pool:
        s = pool.stats()
        assert (s["open"], s["in_use"], s["idle"]) == (1, 0, 1)
        held = pool.getconn()
        assert pool.stats()["in_use"] == 1
        with pytest.raises(keel.OperationalError) as e:
            pool.getconn()
        assert e.value.status == keel.Status.TIMEOUT
        s = pool.stats()
        assert s["wait_timeouts"] == 1 and s["wait_count"] == 1
        held.close()
        assert pool.stats()["in_use"] == 0
    with pytest.raises(keel.InterfaceError, match="pool is closed"):
        pool.stats()


def test_close_discard_closes_the_session_instead_of_returning_it(engine, table):
    with keel.Pool(engine.url, pool_max_open=1) as pool:
        with pool.connection() as c:
            c.execute(f"CREATE TABLE {table} (x INTEGER)")
        c = pool.getconn(autocommit=True)
        c.execute(f"CREATE TEMPORARY TABLE {table}_tmp (x INTEGER)")
        c.close()  # back to the pool, session and all
        c = pool.getconn(autocommit=True)
        assert c.execute(f"SELECT count(*) FROM {table}_tmp").fetchone() == (0,), "the same session"
        c.close(discard=True)  # keel_conn_close: the session goes
        c.close(discard=True)  # twice is fine
        assert c.closed
        s = pool.stats()
        assert (s["open"], s["in_use"]) == (0, 0)
        c = pool.getconn()
        with pytest.raises(keel.DatabaseError):
            c.execute(f"SELECT count(*) FROM {table}_tmp")
        c.rollback()
        # An open transaction ends without effect.
        c.execute(f"INSERT INTO {table} VALUES (1)")
        c.close(discard=True)
        with pool.connection() as c:
            assert c.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    # keel.connect's own pool closes with it.
    c = engine.connect()
    c.close(discard=True)
    assert c.closed
