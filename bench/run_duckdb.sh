#!/usr/bin/env bash
# keel with its DuckDB driver (drivers/duckdb-zig) against DuckDB's own C
# API on the same libduckdb: fetching every value of 1,000,000 rows, and
# the same result as Arrow record batches (bench/duckdb_bench.c says what
# each side does). Gets libduckdb and builds the driver through
# scripts/duckdb.sh (npm for the library, Zig from PyPI for the driver),
# compiles bench/duckdb_bench.c against target/release/libkeel.a and
# libduckdb.so, and runs it.
#
#   bash bench/run_duckdb.sh [duckdb_bench args...]   e.g. 10 (divides the row count), 1 a (fetch only)
#
# Environment: DUCKDB_BENCH_SKIP_CARGO=1 to use the library as built;
# DUCKDB_BENCH_OPTIONAL=1 (bench/run.sh sets it) to print a line and exit 0
# when npm or Zig cannot be had, instead of failing.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/bench
mkdir -p "$out"

skip() {
    if [ -n "${DUCKDB_BENCH_OPTIONAL:-}" ]; then
        echo "duckdb bench skipped: $*"
        exit 0
    fi
    echo "run_duckdb.sh: $*" >&2
    exit 1
}

# shellcheck source=bench/release_lib.sh
. bench/release_lib.sh
keel_release_lib "${DUCKDB_BENCH_SKIP_CARGO:-}" libkeel.a
lib=$target_dir/release/libkeel.a

# What scripts/duckdb.sh needs: npm unless libduckdb is already fetched,
# and Zig through Python (python3 -m ziglang, or pip to install it).
duckdb_dir=$root/build/duckdb/package
if [ ! -f "$duckdb_dir/libduckdb.so" ] && ! command -v npm >/dev/null 2>&1; then
    skip "npm is not installed (libduckdb comes from the npm registry, see scripts/duckdb.sh)"
fi
if ! python3 -m ziglang version >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
    skip "Zig cannot be had (neither python3 -m ziglang nor pip to install it)"
fi
# Fetches libduckdb into build/duckdb, builds the driver, exports
# KEEL_TEST_DUCKDB_DRIVER (idempotent: does nothing that is already done).
# shellcheck source=scripts/duckdb.sh
if ! . scripts/duckdb.sh; then
    skip "scripts/duckdb.sh failed (above): libduckdb from npm or the Zig build of the driver could not be had"
fi

cc=${CC:-cc}
# The DuckDB declarations in duckdb_bench.c against duckdb.h itself, when
# scripts/duckdb.sh provides the header (KEEL_DUCKDB_HEADER).
if [ -n "${KEEL_DUCKDB_HEADER:-}" ] && [ -f "$KEEL_DUCKDB_HEADER" ]; then
    "$cc" -std=c11 -Wall -Wextra -Werror -Iinclude -I"$(dirname "$KEEL_DUCKDB_HEADER")" \
        -DDUCKDB_BENCH_CHECK_HEADER -fsyntax-only bench/duckdb_bench.c
fi
"$cc" -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude bench/duckdb_bench.c -o "$out/duckdb_bench" \
    "$lib" -L"$duckdb_dir" -lduckdb -Wl,-rpath,"$duckdb_dir" -lpthread -ldl -lm

"$out/duckdb_bench" "$@"
