#!/usr/bin/env bash
# `make bench`: keel vs. the raw sqlite3 C API on the same SQLite build,
# then the network engines (run_net.sh), bulk ingest (run_ingest.sh) and
# the pool (run_pool.sh).
# Builds the release library, finds the sqlite3.h of the libsqlite3-sys
# crate that Cargo.lock pins (through `cargo metadata`), compiles
# bench/sqlite_bench.c against it and links target/release/libkeel.a, which
# carries the bundled sqlite3 objects, then runs it.
# Extra arguments go to the program (a number divides the row counts).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked
# CARGO_TARGET_DIR when set, as cargo itself does.
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
LIB="$TARGET_DIR/release/libkeel.a"
OUT="$TARGET_DIR/bench"
mkdir -p "$OUT"

# shellcheck source=bench/bundled_sqlite.sh
. bench/bundled_sqlite.sh
keel_bundled_sqlite "$LIB"
SQLITE_INC=$sqlite_inc

CC=${CC:-cc}
"$CC" -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude -I"$SQLITE_INC" \
    bench/sqlite_bench.c "$LIB" -lpthread -ldl -lm -o "$OUT/sqlite_bench"
"$OUT/sqlite_bench" "$@"

# PostgreSQL (keel vs libpq) and MySQL (keel vs libmariadb), plus the
# 10M-row streaming memory check; see bench/run_net.sh. Then the pool's
# cost on every engine (bench/run_pool.sh).
if [ $# -eq 0 ]; then
    NET_BENCH_SKIP_CARGO=1 bash bench/run_net.sh
    echo
    # W3 bulk insert: keel_conn_ingest (an Arrow C stream) against a raw
    # sqlite3 insert loop, libpq binary COPY and libmariadb array binding
    # (bench/run_ingest.sh).
    INGEST_BENCH_SKIP_CARGO=1 bash bench/run_ingest.sh
    echo
    POOL_BENCH_SKIP_CARGO=1 bash bench/run_pool.sh
    # The Python benches below read the servers' URLs from the
    # environment (run_net.sh found them in a shell of its own).
    if [ -z "${KEEL_TEST_POSTGRES_URL:-}" ] || [ -z "${KEEL_TEST_MYSQL_URL:-}" ]; then
        # shellcheck source=/dev/null
        . scripts/servers.sh >/dev/null
    fi
    # Their peers go into build/pyvenv when missing (mysqlclient builds
    # against libmariadb-dev, which run_net.sh installed); a peer that
    # cannot be had is a skip line of the script's own.
    if [ ! -x build/pyvenv/bin/python ]; then
        python3 -m venv build/pyvenv
    fi
    PY=build/pyvenv/bin/python
    "$PY" -c 'import psycopg' 2>/dev/null || "$PY" -m pip install -q 'psycopg[binary]' >/dev/null 2>&1 ||
        echo "bench: psycopg 3 could not be installed"
    "$PY" -c 'import MySQLdb' 2>/dev/null || "$PY" -m pip install -q mysqlclient >/dev/null 2>&1 ||
        echo "bench: mysqlclient could not be installed"
    # Arrow out and in (bench/arrow_bench.py) on SQLite, PostgreSQL and
    # MySQL/MariaDB, when pyarrow is importable (`make test` installs it
    # in build/pyvenv).
    if "$PY" -c 'import pyarrow' 2>/dev/null; then
        echo
        KEEL_LIBRARY="$PWD/target/release/libkeel.so" "$PY" bench/arrow_bench.py
    else
        echo "arrow bench skipped: pyarrow is not installed for $PY"
    fi
    # keel as an ADBC driver (bench/adbc_bench.py): fetch_arrow_table
    # through keel's package, through adbc_driver_manager loading libkeel,
    # and through ADBC's own SQLite and PostgreSQL drivers, when
    # adbc-driver-manager and pyarrow can be had.
    if "$PY" -c 'import pyarrow' 2>/dev/null; then
        "$PY" -c 'import adbc_driver_manager, adbc_driver_sqlite, adbc_driver_postgresql' 2>/dev/null ||
            "$PY" -m pip install -q adbc-driver-manager adbc-driver-sqlite adbc-driver-postgresql >/dev/null 2>&1 ||
            echo "bench: ADBC's drivers could not be installed"
    fi
    if "$PY" -c 'import pyarrow, adbc_driver_manager' 2>/dev/null; then
        echo
        KEEL_LIBRARY="$PWD/target/release/libkeel.so" "$PY" bench/adbc_bench.py
    else
        echo "adbc bench skipped: pyarrow or adbc-driver-manager is not installed for $PY"
    fi
    # The Python package against stdlib sqlite3, psycopg 3 and mysqlclient
    # (bench/python_bench.py): fetchall, point queries, executemany.
    echo
    KEEL_LIBRARY="$PWD/target/release/libkeel.so" "$PY" bench/python_bench.py
    # DuckDB through keel's Zig driver vs DuckDB's own C API
    # (bench/run_duckdb.sh); prints a skip line when npm or Zig cannot be had.
    echo
    DUCKDB_BENCH_SKIP_CARGO=1 DUCKDB_BENCH_OPTIONAL=1 bash bench/run_duckdb.sh
fi
