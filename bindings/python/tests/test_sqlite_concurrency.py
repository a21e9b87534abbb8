"""Writers on one SQLite file, each with its own connection, wait for each
other (up to busy_timeout_ms) instead of failing with "database is
locked", as they do with the sqlite3 module.

SQLite calls its busy handler only for a connection that holds no lock
yet: one that holds a read (SHARED) lock and asks for the write lock while
another connection has it gets SQLITE_BUSY at once, since waiting could
deadlock. So a transaction must not read before its first write, and no
connection may sit on a read lock it no longer needs (a writer's COMMIT
waits for every reader to let go).
"""

from __future__ import annotations

import threading
from typing import Callable, List

import pytest

import keel

ROWS = 400
BATCH = 50


def _run(work: Callable[[str], None], names) -> List[str]:
    errors: List[str] = []
    start = threading.Barrier(len(names), timeout=30)

    def run(name: str) -> None:
        try:
            start.wait()
            work(name)
        except Exception as e:  # reported below
            errors.append(f"{name}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture
def url(tmp_path) -> str:
    u = f"sqlite:///{tmp_path}/writers.db"
    with keel.connect(u) as c:
        c.execute("CREATE TABLE t (who TEXT, n INTEGER)")
    return u


def _count(url: str) -> int:
    with keel.connect(url) as c:
        return c.execute("SELECT count(*) FROM t").fetchone()[0]


def _writer(url: str, read_between_batches: bool) -> Callable[[str], None]:
    def work(who: str) -> None:
        conn = keel.connect(url)  # default options: busy_timeout_ms=5000
        try:
            cur = conn.cursor()
            for i in range(ROWS):
                cur.execute("INSERT INTO t (who, n) VALUES (?, ?)", (who, i))
                if i % BATCH == BATCH - 1:
                    conn.commit()
                    if read_between_batches:
                        cur.execute("SELECT count(*) FROM t WHERE who = ?", (who,))
                        assert cur.fetchone() == (i + 1,)
            conn.commit()
        finally:
            conn.close()

    return work


def test_two_writers_commit_every_50_rows(url):
    # The test of the issue, as it was reported.
    assert _run(_writer(url, False), ["a", "b"]) == []
    assert _count(url) == 2 * ROWS


def test_two_writers_that_read_between_batches(url):
    # A read that opened the implicit transaction held SHARED into the next
    # INSERT, which then failed at once (no busy wait) while the other
    # writer held the write lock.
    assert _run(_writer(url, True), ["a", "b"]) == []
    assert _count(url) == 2 * ROWS


def test_a_reader_that_never_commits_does_not_block_writers(url):
    # A reading connection (autocommit off, never committing) must not keep
    # the read lock between its queries: a writer's COMMIT waits for every
    # read lock, and failed with "commit: database is locked" after
    # busy_timeout_ms.
    done = threading.Event()
    writers = _writer(url, False)

    def work(name: str) -> None:
        if name != "reader":
            try:
                writers(name)
            finally:
                done.set()
            return
        conn = keel.connect(url)
        try:
            while not done.is_set():
                assert conn.execute("SELECT count(*) FROM t").fetchone()[0] <= 2 * ROWS
            assert not conn.in_transaction, "reads alone open no transaction on SQLite"
        finally:
            conn.close()

    assert _run(work, ["reader", "a"]) == []
    assert _count(url) == ROWS


def test_begin_immediate_for_a_transaction_that_reads_first(url):
    # Read-modify-write: take the write lock at BEGIN, where SQLite waits
    # for it, rather than at the first write, where it cannot.
    with keel.connect(url) as c:
        c.execute("INSERT INTO t VALUES ('counter', 0)")

    def work(who: str) -> None:
        conn = keel.connect(url)
        try:
            for _ in range(100):
                conn.begin(lock="immediate")
                (n,) = conn.execute("SELECT n FROM t WHERE who = 'counter'").fetchone()
                conn.execute("UPDATE t SET n = ? WHERE who = 'counter'", (n + 1,))
                conn.commit()
        finally:
            conn.close()

    assert _run(work, ["a", "b"]) == []
    with keel.connect(url) as c:
        assert c.execute("SELECT n FROM t WHERE who = 'counter'").fetchone() == (200,)


def test_begin_takes_options_and_refuses_a_nested_transaction(url):
    with keel.connect(url) as c:
        c.begin(lock=keel.TxLock.IMMEDIATE)
        assert c.in_transaction
        with pytest.raises(keel.ProgrammingError, match="already open"):
            c.begin()
        c.rollback()
        c.begin(read_only=True)
        with pytest.raises(keel.DatabaseError):
            c.execute("INSERT INTO t VALUES ('x', 1)")
        c.rollback()
        with pytest.raises(ValueError, match="lock"):
            c.begin(lock="sometimes")
        assert not c.in_transaction
