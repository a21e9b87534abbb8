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

if [ -z "${POOL_BENCH_SKIP_CARGO:-}" ]; then
    cargo build --release --locked
fi
# CARGO_TARGET_DIR when set (relative to the checkout), as cargo does.
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir=$root/$target_dir ;; esac
lib=$target_dir/release/libkeel.a
[ -e "$lib" ] || { echo "run_pool.sh: $lib is missing" >&2; exit 1; }

# sqlite3.h of the libsqlite3-sys crate Cargo.lock pins (its bundled
# SQLite is the one inside libkeel.a), as bench/run.sh finds it.
manifest=$(cargo metadata --format-version 1 --locked \
    | grep -o '"manifest_path":"[^"]*/libsqlite3-sys-[^"/]*/Cargo.toml"' \
    | head -n 1 | sed 's/^"manifest_path":"//; s/"$//')
sqlite_inc="$(dirname "$manifest")/sqlite3"
[ -f "$sqlite_inc/sqlite3.h" ] || { echo "run_pool.sh: sqlite3.h not found (libsqlite3-sys)" >&2; exit 1; }

# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -Wall -Wextra -I"$root/include" -I"$sqlite_inc" $pq_cflags $my_cflags \
    bench/pool_bench.c -o "$out/pool_bench" \
    "$lib" $pq_libs $my_libs -lpthread -ldl -lm

if [ -z "${KEEL_TEST_POSTGRES_URL:-}" ] || [ -z "${KEEL_TEST_MYSQL_URL:-}" ]; then
    # shellcheck source=/dev/null
    . scripts/servers.sh >/dev/null
fi

POOL_BENCH_DIR="$out" "$out/pool_bench" "$@"
