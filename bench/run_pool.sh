#!/usr/bin/env bash
# The pool's cost: keel_db checkout+return per operation, and point lookups
# on 1, 4 and 16 threads through the pool against one raw native connection
# per thread (sqlite3 from the same libkeel.a, libpq, libmariadb). Builds
# bench/pool_bench.c with -O2 against target/release/libkeel.a, which
# carries the bundled SQLite, and runs it.
#
#   bash bench/run_pool.sh [pool_bench args...]     e.g. --reps 5, postgres, --lookups 20000
#
# Environment: KEEL_TEST_POSTGRES_URL / KEEL_TEST_MYSQL_URL (otherwise
# scripts/servers.sh starts local servers), POOL_BENCH_SKIP_CARGO=1 to use
# the library as built. Missing client headers (libpq-dev, libmariadb-dev)
# are installed from Debian's packages.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/bench
mkdir -p "$out"

# shellcheck source=bench/native_clients.sh
. bench/native_clients.sh

# shellcheck source=bench/release_lib.sh
. bench/release_lib.sh
keel_release_lib "${POOL_BENCH_SKIP_CARGO:-}" libkeel.a
lib=$target_dir/release/libkeel.a

# sqlite3.h of the libsqlite3-sys crate Cargo.lock pins (its bundled
# SQLite is the one inside libkeel.a), as bench/run.sh finds it.
# shellcheck source=bench/bundled_sqlite.sh
. bench/bundled_sqlite.sh
keel_bundled_sqlite "$lib"

# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -Wall -Wextra -I"$root/include" -I"$sqlite_inc" $pq_cflags $my_cflags \
    bench/pool_bench.c -o "$out/pool_bench" \
    "$lib" $pq_libs $my_libs -lpthread -ldl -lm

if [ -z "${KEEL_TEST_POSTGRES_URL:-}" ] || [ -z "${KEEL_TEST_MYSQL_URL:-}" ]; then
    # shellcheck source=/dev/null
    . scripts/servers.sh >/dev/null
fi

POOL_BENCH_DIR="$out" "$out/pool_bench" "$@"
