"""``Connection.cancel()``: another thread stops the statement a connection
runs (``keel_cancel_request``), as psycopg's ``conn.cancel()`` does."""

from __future__ import annotations

import threading
import time

import pytest

import keel

# A statement that runs long enough to be stopped (seconds, not forever,
# so that a cancel that does not work fails the test instead of hanging it).
SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT count(*) FROM c",
    "postgres": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",
}


def _cancel_soon(conn: keel.Connection, done: threading.Event, errors: list) -> threading.Thread:
    """A thread that calls ``conn.cancel()`` after about 300 ms, and again
    until ``done`` is set (a cancel that arrives before the statement
    started does nothing)."""

    def run() -> None:
        time.sleep(0.3)
        while not done.is_set():
            try:
                conn.cancel()
            except Exception as e:  # pragma: no cover - reported by the test
                errors.append(e)
                return
            done.wait(0.2)

    t = threading.Thread(target=run)
    t.start()
    return t


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "transaction"])
def test_cancel_from_another_thread_stops_the_running_statement(engine, autocommit):
    conn = engine.connect(autocommit=autocommit)
    try:
        cur = conn.cursor()
        done = threading.Event()
        errors: list = []
        t = _cancel_soon(conn, done, errors)
        start = time.monotonic()
        try:
            with pytest.raises(keel.OperationalError) as e:
                cur.execute(SLOW[engine.name])
                cur.fetchall()
        finally:
            done.set()
            t.join()
        assert not errors, errors
        assert e.value.status == keel.Status.CANCELLED
        assert time.monotonic() - start < 10, "the statement ran to its end"
        if not autocommit:
            # PostgreSQL has aborted the transaction; a rollback ends it
            # on every engine.
            conn.rollback()
        # The connection, and the cursor, work afterwards.
        assert cur.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT 2").fetchone() == (2,)
    finally:
        conn.close()


def test_cancel_when_nothing_runs_does_nothing(engine):
    with engine.connect(autocommit=True) as conn:
        conn.cancel()
        conn.cancel()
        assert conn.execute("SELECT 1").fetchone() == (1,)
        # From another thread, between statements.
        t = threading.Thread(target=conn.cancel)
        t.start()
        t.join()
        time.sleep(0.1)  # let a cancel request reach the server
        assert conn.execute("SELECT 2").fetchone() == (2,)


def test_cancel_on_a_closed_connection_raises(engine):
    conn = engine.connect()
    conn.close()
    with pytest.raises(keel.InterfaceError, match="closed"):
        conn.cancel()


def test_a_pooled_connection_cancels_its_own_statement(engine):
    """The cancel handle belongs to the checkout: a connection from a pool
    cancels what it runs, and its next checkout gets a handle of its own."""
    pool = keel.Pool(engine.url, pool_max_open=1)
    try:
        for _ in range(2):
            with pool.connection() as conn:
                conn.autocommit = True
                done = threading.Event()
                errors: list = []
                t = _cancel_soon(conn, done, errors)
                try:
                    with pytest.raises(keel.OperationalError) as e:
                        conn.execute(SLOW[engine.name]).fetchall()
                finally:
                    done.set()
                    t.join()
                assert not errors, errors
                assert e.value.status == keel.Status.CANCELLED
                assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.close()
