#!/usr/bin/env python3
"""Benchmark keel's Arrow paths against ADBC's drivers and the row APIs.

On SQLite (a file), PostgreSQL (--postgres or KEEL_TEST_POSTGRES_URL) and
MySQL/MariaDB (--mysql or KEEL_TEST_MYSQL_URL):

  fetch   -- N mixed rows (int, int, float, text, blob, NULL-able int)
             into Arrow: keel `pyarrow.table(cur)` (keel_rows_export_arrow)
             vs ADBC's `fetch_arrow_table()` (adbc_driver_sqlite,
             adbc_driver_postgresql; ADBC has no MySQL driver on PyPI),
             and vs row fetches: keel's own `fetchall()`, stdlib
             sqlite3's, psycopg 3's, mysqlclient's
  ingest  -- the same N rows from a pyarrow Table into a new table: keel
             `conn.ingest` (keel_conn_ingest: one prepared INSERT on
             SQLite, binary COPY on PostgreSQL, MariaDB's bulk command or
             LOAD DATA on MySQL) vs ADBC's `adbc_ingest`, and on MySQL vs
             mysqlclient's `executemany` of the same rows

Peers run when installed. Each timing is the best of --repeat runs; the
ratio is peer / keel (above 1.0: keel is faster).

    KEEL_LIBRARY=target/release/libkeel.so python3 bench/arrow_bench.py
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bindings" / "python"))
import keel  # noqa: E402
import pyarrow as pa  # noqa: E402


def best(fn: Callable[[], Any], repeat: int, prep: Optional[Callable[[], Any]] = None) -> float:
    times = []
    for _ in range(repeat):
        if prep is not None:
            prep()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def table(n: int) -> pa.Table:
    rnd = random.Random(42)
    return pa.table(
        {
            "id": pa.array(range(1, n + 1), pa.int64()),
            "big": pa.array([rnd.randrange(-(10**12), 10**12) for _ in range(n)], pa.int64()),
            "f": pa.array([rnd.random() * 1e6 for _ in range(n)], pa.float64()),
            "name": pa.array([f"name-{i}-{rnd.randrange(10**6)}" for i in range(n)], pa.string()),
            "data": pa.array([b"\x00\x01" * (i % 8) for i in range(n)], pa.binary()),
            "maybe": pa.array([None if i % 3 else i for i in range(n)], pa.int64()),
        }
    )


SELECT = "SELECT id, big, f, name, data, maybe FROM arrow_bench"


def process_cpu(pid: int) -> Optional[float]:
    """CPU seconds (user + system) process `pid` has used, from /proc;
    None where it cannot be read (a server on another machine)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(fn: Callable[[], Any], server_pid: int) -> Optional[Tuple[float, float, float]]:
    """Run `fn` once: its wall time, this process's CPU time, and the CPU
    time of the server process `server_pid` (a PostgreSQL backend on this
    machine) meanwhile. The larger CPU share bounds the wall time: a
    client cannot fetch faster than the server sends."""
    s0 = process_cpu(server_pid)
    if s0 is None:
        return None
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    wall, client = time.perf_counter() - w0, time.process_time() - c0
    s1 = process_cpu(server_pid)
    return None if s1 is None else (wall, client, s1 - s0)


def row(name: str, peer: float, keel_t: float, n: int) -> None:
    print(f"  {name:<46} {peer:8.3f} s  ratio {peer / keel_t:5.2f}   ({n / peer / 1e6:5.2f} M rows/s)")


def keel_line(name: str, secs: float, n: int) -> None:
    print(f"  {name:<46} {secs:8.3f} s               ({n / secs / 1e6:5.2f} M rows/s)")


def keel_ingest(conn: Any, t: pa.Table, n: int, repeat: int, name: str = "keel conn.ingest") -> Tuple[float, Callable[[], None]]:
    """Time keel's ingest of `t` into a new table arrow_in (dropped before
    each run); returns the time and the function that drops the table."""

    def drop() -> None:
        conn.execute("DROP TABLE IF EXISTS arrow_in")

    k_in = best(lambda: conn.ingest("arrow_in", t), repeat, drop)
    keel_line(name, k_in, n)
    return k_in, drop


def keel_fetch(conn: Any, t: pa.Table, n: int, repeat: int) -> float:
    """Load `t` into a new table arrow_bench through `conn`, then time
    keel's `pyarrow.table(cur)` of SELECT (printed)."""
    conn.execute("DROP TABLE IF EXISTS arrow_bench")
    conn.ingest("arrow_bench", t)
    k_fetch = best(lambda: pa.table(conn.cursor().execute(SELECT)), repeat)
    keel_line("keel pyarrow.table(cur)", k_fetch, n)
    return k_fetch


def adbc_fetch(a: Any) -> Callable[[], None]:
    """ADBC's fetch_arrow_table of SELECT on the ADBC connection `a`."""

    def fetch() -> None:
        with a.cursor() as c:
            c.execute(SELECT)
            c.fetch_arrow_table()

    return fetch


def adbc_ingest(a: Any, t: pa.Table) -> Callable[[], None]:
    """ADBC's adbc_ingest of `t` into a new table arrow_in on `a`."""

    def ingest() -> None:
        with a.cursor() as c:
            c.adbc_ingest("arrow_in", t, mode="create")
        a.commit()

    return ingest


def run_sqlite(n: int, repeat: int, t: pa.Table) -> None:
    print(f"SQLite, {n} rows")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "b.db")
        conn = keel.connect(f"sqlite://{path}", autocommit=True)
        k_fetch = keel_fetch(conn, t, n, repeat)
        row("keel cursor fetchall()", best(lambda: conn.cursor().execute(SELECT).fetchall(), repeat), k_fetch, n)
        lite = sqlite3.connect(path)
        row("sqlite3 fetchall()", best(lambda: lite.execute(SELECT).fetchall(), repeat), k_fetch, n)
        lite.close()
        try:
            import adbc_driver_sqlite.dbapi as adbc

            a = adbc.connect(path)
            row("adbc_driver_sqlite fetch_arrow_table()", best(adbc_fetch(a), repeat), k_fetch, n)
        except ImportError:
            a = None
            print("  (adbc_driver_sqlite not installed)")

        k_in, drop_keel = keel_ingest(conn, t, n, repeat)
        if a is not None:
            row("adbc_driver_sqlite adbc_ingest", best(adbc_ingest(a, t), repeat, drop_keel), k_in, n)
            a.close()
        conn.close()


def run_postgres(url: str, n: int, repeat: int, t: pa.Table) -> None:
    print(f"PostgreSQL, {n} rows")
    conn = keel.connect(url, autocommit=True)
    k_fetch = keel_fetch(conn, t, n, repeat)
    backend = conn.cursor().execute("SELECT pg_backend_pid()").fetchone()[0]
    split = cpu_split(lambda: pa.table(conn.cursor().execute(SELECT)), backend)
    if split is not None:
        wall, client, server = split
        print(
            f"  {'  one more: wall, this process CPU, server CPU':<46} {wall:8.3f} s  {client:.3f} s  {server:.3f} s"
            f"  ({'server' if server >= client else 'client'} CPU is the larger share)"
        )
    row("keel cursor fetchall()", best(lambda: conn.cursor().execute(SELECT).fetchall(), repeat), k_fetch, n)
    try:
        import psycopg

        p = psycopg.connect(url.replace("postgres://", "postgresql://"))
        row("psycopg 3 fetchall()", best(lambda: p.execute(SELECT).fetchall(), repeat), k_fetch, n)
        p.close()
    except ImportError:
        print("  (psycopg not installed)")
    try:
        import adbc_driver_postgresql.dbapi as adbc

        a = adbc.connect(url.replace("postgres://", "postgresql://"))
        a_fetch = adbc_fetch(a)
        row("adbc_driver_postgresql fetch_arrow_table()", best(a_fetch, repeat), k_fetch, n)
        with a.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            adbc_backend = c.fetchone()[0]
        split = cpu_split(a_fetch, adbc_backend)
        if split is not None:
            wall, client, server = split
            print(
                f"  {'  one more: wall, this process CPU, server CPU':<46} {wall:8.3f} s  {client:.3f} s  {server:.3f} s"
                f"  ({'server' if server >= client else 'client'} CPU is the larger share)"
            )
    except ImportError:
        a = None
        print("  (adbc_driver_postgresql not installed)")

    k_in, drop = keel_ingest(conn, t, n, repeat, "keel conn.ingest (binary COPY)")
    if a is not None:
        row("adbc_driver_postgresql adbc_ingest", best(adbc_ingest(a, t), repeat, drop), k_in, n)
        a.close()
    drop()
    conn.execute("DROP TABLE IF EXISTS arrow_bench")
    conn.close()


def run_mysql(url: str, n: int, repeat: int, t: pa.Table) -> None:
    print(f"MySQL/MariaDB, {n} rows")
    conn = keel.connect(url, autocommit=True)
    k_fetch = keel_fetch(conn, t, n, repeat)
    row("keel cursor fetchall()", best(lambda: conn.cursor().execute(SELECT).fetchall(), repeat), k_fetch, n)
    try:
        import MySQLdb  # type: ignore
        from urllib.parse import unquote, urlparse

        u = urlparse(url)
        my = MySQLdb.connect(host=u.hostname or "127.0.0.1", port=u.port or 3306, user=unquote(u.username or ""),
                             password=unquote(u.password or ""), database=u.path.lstrip("/"))

        def my_fetch() -> None:
            c = my.cursor()
            c.execute(SELECT)
            c.fetchall()
            c.close()

        row("mysqlclient fetchall()", best(my_fetch, repeat), k_fetch, n)
    except ImportError:
        my = None
        print("  (mysqlclient not installed)")

    k_in, drop = keel_ingest(conn, t, n, repeat)
    if my is not None:
        rows = [tuple(r.values()) for r in t.to_pylist()]

        def create() -> None:
            drop()
            conn.execute("CREATE TABLE arrow_in (id BIGINT, big BIGINT, f DOUBLE, name TEXT, data BLOB, maybe BIGINT)")

        def my_in() -> None:
            c = my.cursor()
            c.executemany("INSERT INTO arrow_in VALUES (%s, %s, %s, %s, %s, %s)", rows)
            my.commit()
            c.close()

        row("mysqlclient executemany", best(my_in, repeat, create), k_in, n)
        my.close()
    drop()
    conn.execute("DROP TABLE IF EXISTS arrow_bench")
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("KEEL_TEST_POSTGRES_URL"))
    ap.add_argument("--mysql", default=os.environ.get("KEEL_TEST_MYSQL_URL"))
    args = ap.parse_args()
    t = table(args.rows)
    run_sqlite(args.rows, args.repeat, t)
    if args.postgres and keel.driver_available("postgres"):
        run_postgres(args.postgres, args.rows, args.repeat, t)
    if args.mysql and keel.driver_available("mysql"):
        run_mysql(args.mysql, args.rows, args.repeat, t)


if __name__ == "__main__":
    main()
