"""Closed objects raise, never crash; any free order is safe."""

from __future__ import annotations

import gc
import os

import pytest

import keel
from keel.connection import _Handle


def test_closed_connection(engine):
    c = engine.connect()
    cur = c.cursor()
    c.close()
    c.close()  # twice is fine
    assert c.closed and cur.closed
    for f in (c.commit, c.rollback, c.cursor, lambda: c.execute("SELECT 1"), lambda: c.in_transaction,
              lambda: c.server_version, lambda: setattr(c, "autocommit", True), c.cancel):
        with pytest.raises(keel.InterfaceError, match="closed"):
            f()
    with pytest.raises(keel.InterfaceError):
        cur.execute("SELECT 1")
    with pytest.raises(keel.InterfaceError):
        cur.fetchone()


def test_closed_cursor(conn):
    cur = conn.execute("SELECT 1")
    cur.close()
    cur.close()
    for f in (lambda: cur.execute("SELECT 1"), cur.fetchone, cur.fetchall, lambda: cur.executemany("SELECT ?", [(1,)]),
              cur.nextset):
        with pytest.raises(keel.InterfaceError):
            f()
    assert cur.description is None
    # PEP 249 and sqlite3: a closed cursor still names its connection.
    assert cur.connection is conn
    with conn.cursor() as c2:
        assert c2.execute("SELECT 2").fetchone() == (2,)
    assert c2.closed
    assert conn.execute("SELECT 3").fetchone() == (3,), "the connection is untouched"


def test_objects_freed_in_any_order(engine):
    for order in ("conn-first", "cursor-first", "gc"):
        c = engine.connect()
        cur = c.cursor()
        cur.execute("SELECT 1 UNION ALL SELECT 2")
        half = c.cursor().execute("SELECT 1 UNION ALL SELECT 2")
        if order == "conn-first":
            del c
            gc.collect()
            assert cur.fetchall() == [(1,), (2,)], "a cursor keeps its connection alive"
            del cur, half
        elif order == "cursor-first":
            del cur
            half.close()
            c.close()
        else:
            del c, cur, half
        gc.collect()


def test_rows_outlive_a_closed_pool():
    pool = keel.Pool("sqlite::memory:")
    conn = pool.getconn()
    cur = conn.execute("SELECT 1 UNION ALL SELECT 2")
    pool.close()
    assert cur.fetchall() == [(1,), (2,)]
    conn.close()


def test_handle_close_swaps_before_free_and_del_checks_the_pid():
    freed = []
    h = _Handle(1234, freed.append)
    h.close()
    h.close()
    assert freed == [1234] and h.ptr is None
    h = _Handle(99, freed.append)
    h._pid = os.getpid() + 1  # as if created in a parent process before fork
    del h
    gc.collect()
    assert freed == [1234], "__del__ in another process frees nothing"
    h = _Handle(7, freed.append)
    del h
    gc.collect()
    assert freed == [1234, 7]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="skipped: no fork on this platform")
def test_a_forked_child_does_not_free_the_parents_connection(tmp_path):
    from keel import connection

    conn = keel.connect(f"sqlite:///{tmp_path}/fork.db")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: dropping the parent's objects must not free them
        try:
            ok = connection.current_pid() == os.getpid() and conn._conn._pid != connection.current_pid()
            del conn
            gc.collect()
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(r, 1) == b"1"
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
    conn.close()
