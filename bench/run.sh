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
    # py_need WHAT MODULES PACKAGE...: pip-install PACKAGE... unless
    # MODULES (an import list) import; a line naming WHAT when they cannot.
    py_need() {
        local what=$1 modules=$2
        shift 2
        "$PY" -c "import $modules" 2>/dev/null || "$PY" -m pip install -q "$@" >/dev/null 2>&1 ||
            echo "bench: $what could not be installed"
    }
    py_need "psycopg 3" psycopg 'psycopg[binary]'
    py_need mysqlclient MySQLdb mysqlclient
    lib="$PWD/target/release/libkeel.so"
    if "$PY" -c 'import pyarrow' 2>/dev/null; then
        # Arrow out and in (bench/arrow_bench.py) on SQLite, PostgreSQL
        # and MySQL/MariaDB (`make test` installs pyarrow in build/pyvenv).
        echo
        KEEL_LIBRARY="$lib" "$PY" bench/arrow_bench.py
        # keel as an ADBC driver (bench/adbc_bench.py): fetch_arrow_table
        # of workload W4 through keel's package, through
        # adbc_driver_manager loading libkeel, and through ADBC's own
        # SQLite and PostgreSQL drivers (the Arrow and ADBC issues'
        # 1.5x goals), best of 5.
        py_need "ADBC's drivers" 'adbc_driver_manager, adbc_driver_sqlite, adbc_driver_postgresql' \
            adbc-driver-manager adbc-driver-sqlite adbc-driver-postgresql
        if "$PY" -c 'import adbc_driver_manager' 2>/dev/null; then
            echo
            KEEL_LIBRARY="$lib" "$PY" bench/adbc_bench.py --repeat 5
        else
            echo "adbc bench skipped: adbc-driver-manager is not installed for $PY"
        fi
    else
        echo "arrow and adbc benches skipped: pyarrow is not installed for $PY"
    fi
    # The Python package against stdlib sqlite3, psycopg 3 and mysqlclient
    # (bench/python_bench.py): fetchall, point queries, executemany.
    echo
    KEEL_LIBRARY="$lib" "$PY" bench/python_bench.py
    # DuckDB through keel's Zig driver vs DuckDB's own C API
    # (bench/run_duckdb.sh); prints a skip line when npm or Zig cannot be had.
    echo
    DUCKDB_BENCH_SKIP_CARGO=1 DUCKDB_BENCH_OPTIONAL=1 bash bench/run_duckdb.sh
fi
