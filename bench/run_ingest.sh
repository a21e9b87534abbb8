#!/usr/bin/env bash
# W3 bulk insert: keel_conn_ingest (an Arrow C stream) against each
# engine's native fast path: a raw sqlite3 prepared-insert loop, libpq
# binary COPY, libmariadb array binding. Builds bench/ingest_bench.c with
# -O2 into one program that links target/release/libkeel.a statically (it
# carries keel's bundled sqlite3, which the raw SQLite side calls too, so
# there is one SQLite in the process) plus libpq and libmariadb; compiles
# it against the sqlite3.h of the libsqlite3-sys crate Cargo.lock pins
# (found through `cargo metadata`, as bench/run.sh does), then runs it.
#
#   bash bench/run_ingest.sh [ingest_bench args...]   e.g. --reps 5, sqlite, --rows 20000
#
# Environment: KEEL_TEST_POSTGRES_URL / KEEL_TEST_MYSQL_URL (otherwise
# scripts/servers.sh starts local servers), INGEST_BENCH_SKIP_CARGO=1 to
# use the library as built. Missing client headers (libpq-dev,
# libmariadb-dev) are installed from Debian's packages.
#
# The stream's memory handling under valgrind (TLS off: ring's assembly
# makes valgrind report uninitialised bytes in every TLS record):
#   KEEL_TEST_POSTGRES_URL="$KEEL_TEST_POSTGRES_URL?sslmode=disable" \
#   KEEL_TEST_MYSQL_URL="$KEEL_TEST_MYSQL_URL?ssl_mode=DISABLED" \
#   valgrind --leak-check=full --error-exitcode=9 build/bench/ingest_bench --rows 2000 --reps 1 --batch 700
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/bench
mkdir -p "$out"

# shellcheck source=bench/native_clients.sh
. bench/native_clients.sh

# shellcheck source=bench/release_lib.sh
. bench/release_lib.sh
keel_release_lib "${INGEST_BENCH_SKIP_CARGO:-}" libkeel.a
lib=$target_dir/release/libkeel.a

# shellcheck source=bench/bundled_sqlite.sh
. bench/bundled_sqlite.sh
keel_bundled_sqlite "$lib"

# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Werror -I"$root/include" -I"$sqlite_inc" $pq_cflags $my_cflags \
    bench/ingest_bench.c -o "$out/ingest_bench" \
    "$lib" $pq_libs $my_libs -lpthread -ldl -lm

if [ -z "${KEEL_TEST_POSTGRES_URL:-}" ] || [ -z "${KEEL_TEST_MYSQL_URL:-}" ]; then
    # shellcheck source=/dev/null
    . scripts/servers.sh >/dev/null
fi

"$out/ingest_bench" "$@"
