#!/usr/bin/env bash
# keel against libpq (PostgreSQL) and libmariadb (MySQL/MariaDB): build
# bench/net_bench.c with -O2 against target/release/libkeel.so, run the
# fetch / point-lookup / bulk-insert / update-batch table, then the 10M-row streaming
# memory check through keel.
#
#   bash bench/run_net.sh [net_bench args...]     e.g. --reps 5, postgres, --only fetch
#
# Environment: KEEL_TEST_POSTGRES_URL / KEEL_TEST_MYSQL_URL (otherwise
# scripts/servers.sh starts local servers), NET_BENCH_RSS_ROWS (10000000;
# 0 skips the memory check), NET_BENCH_SKIP_CARGO=1 to use the library as
# built. Missing client headers (libpq-dev, libmariadb-dev) are installed
# from Debian's packages.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/bench
mkdir -p "$out"

# shellcheck source=bench/native_clients.sh
. bench/native_clients.sh

# shellcheck source=bench/release_lib.sh
. bench/release_lib.sh
keel_release_lib "${NET_BENCH_SKIP_CARGO:-}" libkeel.so
libdir=$target_dir/release

# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -Wall -Wextra -I"$root/include" $pq_cflags $my_cflags \
    bench/net_bench.c -o "$out/net_bench" \
    -L"$libdir" -lkeel $pq_libs $my_libs -Wl,-rpath,"$libdir"

if [ -z "${KEEL_TEST_POSTGRES_URL:-}" ] || [ -z "${KEEL_TEST_MYSQL_URL:-}" ]; then
    # shellcheck source=/dev/null
    . scripts/servers.sh >/dev/null
fi

"$out/net_bench" "$@"

rss_rows=${NET_BENCH_RSS_ROWS:-10000000}
if [ "$rss_rows" != 0 ]; then
    echo
    echo "streaming memory (peak RSS growth while keel streams a generated result, one process each):"
    status=0
    for engine in postgres mysql; do
        case " $* " in *" postgres "*) [ $engine = postgres ] || continue ;; *" mysql "*) [ $engine = mysql ] || continue ;; esac
        "$out/net_bench" rss "$engine" "$rss_rows" || status=$?
    done
    exit $status
fi
