#!/usr/bin/env python3
"""Benchmark keel's Python binding against the native drivers.

Workloads (sizes adjustable with flags):
  fetchall  -- SELECT of N mixed rows (int, int, float, text, blob, NULL-able int)
  point     -- M point queries by primary key, fetchone each
  many      -- executemany of K rows (int, float, text) in one transaction

Peers: stdlib sqlite3 always; psycopg 3 when installed and a PostgreSQL URL
is given (--postgres or KEEL_TEST_POSTGRES_URL); mysqlclient (MySQLdb) when
installed and a MySQL URL is given (--mysql or KEEL_TEST_MYSQL_URL), each
only when the loaded libkeel has that driver. Each timing is the best of
--repeat runs, the two sides taking turns. Ratios are keel / peer: below
1.0 means keel is faster.

    KEEL_LIBRARY=target/release/libkeel.so python3 bench/python_bench.py
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
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bindings" / "python"))
import keel  # noqa: E402


def best(fn: Callable[[], Any], repeat: int, prep: Optional[Callable[[], Any]] = None) -> float:
    times = []
    for _ in range(repeat):
        if prep is not None:
            prep()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def mixed_rows(n: int) -> List[Tuple[Any, ...]]:
    rnd = random.Random(42)
    return [
        (i, rnd.randrange(-(10**12), 10**12), rnd.random() * 1e6, f"name-{i}-{rnd.randrange(10**6)}", b"\x00\x01" * (i % 8), None if i % 3 else i)
        for i in range(1, n + 1)
    ]


class Side:
    """One driver under test: how to connect and its SQL spelling."""

    def __init__(self, name: str, connect: Callable[[], Any], ph: str = "?", blob: str = "BLOB", real: str = "REAL",
                 pk: str = "BIGINT PRIMARY KEY") -> None:
        self.name, self.connect, self.ph, self.blob, self.real, self.pk = name, connect, ph, blob, real, pk


def setup(side: Side, n: int) -> None:
    c = side.connect()
    cur = c.cursor()
    for t in ("mixed", "ins"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")
    cur.execute(
        f"CREATE TABLE mixed (id {side.pk}, i BIGINT, f {side.real}, s VARCHAR(64), b {side.blob}, n BIGINT)"
    )
    p = side.ph
    rows = mixed_rows(n)
    for k in range(0, n, 50_000):
        cur.executemany(f"INSERT INTO mixed VALUES ({p},{p},{p},{p},{p},{p})", rows[k : k + 50_000])
    c.commit()
    c.close()


def run_side(side: Side, n_fetch: int, n_point: int, n_many: int, repeat: int) -> Dict[str, float]:
    out: Dict[str, float] = {}
    c = side.connect()
    p = side.ph

    def fetchall() -> None:
        cur = c.cursor()
        cur.execute("SELECT id, i, f, s, b, n FROM mixed")
        rows = cur.fetchall()
        assert len(rows) == n_fetch, len(rows)
        cur.close()

    out["fetchall"] = best(fetchall, repeat)

    ids = [random.Random(i).randrange(1, n_fetch + 1) for i in range(n_point)]
    sql = f"SELECT id, i, f, s FROM mixed WHERE id = {p}"

    def point() -> None:
        cur = c.cursor()
        for i in ids:
            cur.execute(sql, (i,))
            r = cur.fetchone()
            assert r[0] == i
        cur.close()

    out["point"] = best(point, repeat)
    c.commit()

    many = [(i, i * 0.25, f"row {i}") for i in range(n_many)]

    def fresh_table() -> None:
        # Outside the timing: emptying a 200,000-row table costs more than
        # filling it on the server engines and would hide the drivers.
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS ins")
        cur.execute(f"CREATE TABLE ins (a BIGINT, b {side.real}, c VARCHAR(64))")
        c.commit()
        cur.close()

    def executemany() -> None:
        cur = c.cursor()
        cur.executemany(f"INSERT INTO ins VALUES ({p},{p},{p})", many)
        c.commit()
        assert cur.rowcount == n_many, cur.rowcount
        cur.close()

    out["executemany"] = best(executemany, repeat, prep=fresh_table)
    c.close()
    return out


def run_sides(a: Side, b: Side, n_fetch: int, n_point: int, n_many: int, repeat: int) -> Tuple[Dict[str, float], Dict[str, float]]:
    """Each workload's best time on each side, the sides taking turns run
    by run (a, b, a, b, ...), so that neither is measured only while the
    server is still busy with what came before (the table just loaded)."""
    best_a: Dict[str, float] = {}
    best_b: Dict[str, float] = {}
    for _ in range(repeat):
        for side, out in ((a, best_a), (b, best_b)):
            for w, t in run_side(side, n_fetch, n_point, n_many, 1).items():
                out[w] = min(t, out.get(w, t))
    return best_a, best_b


def report(title: str, keel_t: Dict[str, float], peers: Dict[str, Dict[str, float]], sizes: Dict[str, int]) -> None:
    print(f"\n== {title}")
    names = ["keel", *peers]
    print(f"{'workload':<14}" + "".join(f"{n:>14}" for n in names) + "".join(f"{'keel/' + n:>20}" for n in peers))
    for w in ("fetchall", "point", "executemany"):
        line = f"{w:<14}{keel_t[w]:>13.3f}s"
        line += "".join(f"{peers[n][w]:>13.3f}s" for n in peers)
        line += "".join(f"{keel_t[w] / peers[n][w]:>20.2f}" for n in peers)
        print(line + f"   ({sizes[w]:,} {'rows' if w != 'point' else 'queries'})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows for fetchall (default 1,000,000)")
    ap.add_argument("--points", type=int, default=20_000, help="point queries (default 20,000)")
    ap.add_argument("--many", type=int, default=200_000, help="rows for executemany (default 200,000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("KEEL_TEST_POSTGRES_URL"))
    ap.add_argument("--mysql", default=os.environ.get("KEEL_TEST_MYSQL_URL"))
    a = ap.parse_args()
    sizes = {"fetchall": a.rows, "point": a.points, "executemany": a.many}
    print(f"libkeel: {keel.library_path()} ({keel.library_version()}); Python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}")

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.db")
        # INTEGER PRIMARY KEY: the rowid itself, SQLite's fastest lookup,
        # so the point queries measure the drivers more than the B-tree.
        std = Side("sqlite3", lambda: sqlite3.connect(path), pk="INTEGER PRIMARY KEY")
        kee = Side("keel", lambda: keel.connect("sqlite:///" + path))
        setup(std, a.rows)
        k, s = run_sides(kee, std, a.rows, a.points, a.many, a.repeat)
        report("SQLite (file in a temp dir)", k, {"sqlite3": s}, sizes)

    if a.postgres:
        try:
            import psycopg  # type: ignore
        except ImportError:
            psycopg = None
            print("\n== PostgreSQL: skipped (psycopg 3 is not installed)")
        if psycopg is not None and not keel.driver_available("postgres"):
            print("\n== PostgreSQL: skipped (libkeel has no postgres driver)")
        elif psycopg is not None:
            pg = Side("psycopg", lambda: psycopg.connect(a.postgres), ph="%s", blob="BYTEA", real="DOUBLE PRECISION")
            kp = Side("keel", lambda: keel.connect(a.postgres), blob="BYTEA", real="DOUBLE PRECISION")
            setup(pg, a.rows)
            k, s = run_sides(kp, pg, a.rows, a.points, a.many, a.repeat)
            report("PostgreSQL", k, {"psycopg": s}, sizes)

    if a.mysql:
        try:
            import MySQLdb  # type: ignore
        except ImportError:
            MySQLdb = None
            print("\n== MySQL: skipped (mysqlclient is not installed)")
        if MySQLdb is not None and not keel.driver_available("mysql"):
            print("\n== MySQL: skipped (libkeel has no mysql driver)")
        elif MySQLdb is not None:
            from urllib.parse import unquote, urlparse

            u = urlparse(a.mysql)
            kw = dict(host=u.hostname or "127.0.0.1", port=u.port or 3306, user=unquote(u.username or ""),
                      password=unquote(u.password or ""), database=u.path.lstrip("/"))
            my = Side("mysqlclient", lambda: MySQLdb.connect(**kw), ph="%s", real="DOUBLE")
            km = Side("keel", lambda: keel.connect(a.mysql), real="DOUBLE")
            setup(my, a.rows)
            k, s = run_sides(km, my, a.rows, a.points, a.many, a.repeat)
            report("MySQL", k, {"mysqlclient": s}, sizes)


if __name__ == "__main__":
    main()
