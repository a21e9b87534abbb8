#!/usr/bin/env python3
"""keel as an ADBC driver: ``fetch_arrow_table`` of N rows (int, text,
double, one NULL in ten) three ways on each engine:

  keel    -- keel's Python package, its Arrow stream (``cur.fetch_arrow_table()``)
  adbc    -- libkeel loaded by adbc_driver_manager (``AdbcKeelInit``)
  native  -- ADBC's own driver from PyPI (adbc-driver-sqlite,
             adbc-driver-postgresql), when installed

SQLite always (a file under a temporary folder); PostgreSQL when
KEEL_TEST_POSTGRES_URL (or --postgres) is set. Each timing is the best of
--repeat runs. Ratios: adbc/keel (the ADBC layer's cost; the issue asks
for at most 1.1) and native/adbc (how many times faster keel is than
ADBC's own driver).

    KEEL_LIBRARY=target/release/libkeel.so python3 bench/adbc_bench.py
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bindings" / "python"))
import keel  # noqa: E402
import adbc_driver_manager.dbapi as dbapi  # noqa: E402

SQL = "SELECT id, name, v FROM adbc_bench ORDER BY id"


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - t0)
        assert n == ROWS, f"read {n} rows, not {ROWS}"
    return min(times)


def via_keel(url: str) -> int:
    with keel.connect(url) as c:
        cur = c.cursor()
        cur.execute(SQL)
        return cur.fetch_arrow_table().num_rows


def via_adbc(url: str) -> int:
    with dbapi.connect(driver=LIB, entrypoint="AdbcKeelInit", db_kwargs={"uri": url}) as c, c.cursor() as cur:
        cur.execute(SQL)
        return cur.fetch_arrow_table().num_rows


def via_native(connect: Callable[[], Any]) -> int:
    with connect() as c, c.cursor() as cur:
        cur.execute(SQL)
        return cur.fetch_arrow_table().num_rows


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(engine: str, t: Dict[str, float]) -> None:
    layer = t["adbc"] / t["keel"]
    line = f"{engine:9} keel {t['keel']:.3f}s  adbc {t['adbc']:.3f}s  adbc/keel {layer:.2f} (goal <= 1.10: {verdict(layer <= 1.10)})"
    if "native" in t:
        speedup = t["native"] / t["adbc"]
        line += f"  native {t['native']:.3f}s  native/adbc {speedup:.2f} (goal >= 1.50: {verdict(speedup >= 1.50)})"
    else:
        line += "  native: not installed"
    print(line, flush=True)


def main() -> None:
    global ROWS, LIB
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("KEEL_TEST_POSTGRES_URL", ""))
    args = ap.parse_args()
    ROWS = args.rows
    LIB = os.environ["KEEL_LIBRARY"]
    print(f"fetch_arrow_table of {ROWS} rows, best of {args.repeat}")

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.db")
        s = sqlite3.connect(path)
        s.execute("CREATE TABLE adbc_bench (id INTEGER PRIMARY KEY, name TEXT, v REAL)")
        s.executemany(
            "INSERT INTO adbc_bench VALUES (?, ?, ?)",
            ((i, f"name {i}", None if i % 10 == 0 else i * 0.5) for i in range(ROWS)),
        )
        s.commit()
        s.close()
        t = {"keel": best(lambda: via_keel(f"sqlite:{path}"), args.repeat),
             "adbc": best(lambda: via_adbc(f"sqlite:{path}"), args.repeat)}
        try:
            import adbc_driver_sqlite.dbapi as native_sqlite

            t["native"] = best(lambda: via_native(lambda: native_sqlite.connect(path)), args.repeat)
        except ImportError:
            pass
        report("sqlite", t)

    if args.postgres:
        with keel.connect(args.postgres, autocommit=True) as c:
            cur = c.cursor()
            cur.execute("DROP TABLE IF EXISTS adbc_bench")
            cur.execute("CREATE TABLE adbc_bench (id BIGINT PRIMARY KEY, name TEXT, v DOUBLE PRECISION)")
            cur.execute(
                "INSERT INTO adbc_bench SELECT i, 'name ' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE i * 0.5 END "
                f"FROM generate_series(0, {ROWS - 1}) i"
            )
        try:
            t = {"keel": best(lambda: via_keel(args.postgres), args.repeat),
                 "adbc": best(lambda: via_adbc(args.postgres), args.repeat)}
            try:
                import adbc_driver_postgresql.dbapi as native_pg

                t["native"] = best(lambda: via_native(lambda: native_pg.connect(args.postgres)), args.repeat)
            except ImportError:
                pass
            report("postgres", t)
        finally:
            with keel.connect(args.postgres, autocommit=True) as c:
                c.cursor().execute("DROP TABLE adbc_bench")


ROWS = 0
LIB = ""

if __name__ == "__main__":
    main()
