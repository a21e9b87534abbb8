#!/usr/bin/env bash
# Everything `make test` runs, in order. Each suite prints its own counts.
set -euo pipefail
cd "$(dirname "$0")/.."

suites_failed=()
# Where cargo builds: CARGO_TARGET_DIR when set (relative to the checkout,
# as cargo takes it), else target/.
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$PWD/$TARGET_DIR" ;; esac

echo "== Rust: unit, integration, header, C ABI contract, C examples"
. scripts/servers.sh
# The servers started here (or given by URL) must be there: a test that
# cannot reach one of these fails instead of printing "skipped". SQL
# Server is the TDS test peer when no URL is given, which the suites start.
export KEEL_TEST_REQUIRE="${KEEL_TEST_REQUIRE-postgres,mysql,mssql,pg_cluster,galera,pgbouncer_session,pgbouncer_transaction,duckdb}"
# DuckDB: libduckdb from the npm registry and keel's DuckDB driver, written
# in Zig, built against it (exports KEEL_TEST_DUCKDB_DRIVER).
. scripts/duckdb.sh
# The TLS tests' own PostgreSQL (client certificates) and MariaDB (TLS on),
# under build/; stopped after the Rust tests, or on exit if they fail.
. scripts/tls_servers.sh
# The several-server setups (tests/several_servers.rs), under build/: a
# PostgreSQL primary with a hot standby, a second pair the failover test
# uses up, and PgBouncer in front of the first primary.
. scripts/cluster_servers.sh
trap 'keel_tls_servers_stop; keel_cluster_servers_stop' EXIT
# This includes the property tests (tests/prop_*.rs), each property with
# the bounded number of cases its file gives (about 20 s in all);
# PROPTEST_CASES=N in the environment runs N cases of each instead.
cargo test --locked --all-targets 2>&1
# The doc tests: compile_fail checks of the Rust API's thread contract.
cargo test --locked --doc 2>&1
# The SQL Server test peer's own unit tests (a separate crate of the workspace).
cargo test --locked -p keel-tds-peer 2>&1
keel_tls_servers_stop
keel_cluster_servers_stop

echo "== C: examples and tests/c under valgrind, against the debug library"
# Builds every examples-c/NN_*.c and tests/c/*.c against the debug library (built
# by `make lib-debug` or the cargo test above), runs each under valgrind
# and fails on any memory error or definite/indirect leak. "Possibly lost"
# and "still reachable" blocks (Rust std thread-locals) are not errors.
LIB="$TARGET_DIR/debug"
[ -f "$LIB/libkeel.so" ] || cargo build --locked
# SQL Server for the C suite: the server in KEEL_TEST_MSSQL_URL, or else the
# TDS test peer (tests/tds_peer, SQLite behind SQL Server's protocol),
# started here and stopped when the script ends. The Rust tests above start
# their own peers in-process.
if [ -z "${KEEL_TEST_MSSQL_URL:-}" ]; then
    cargo build --locked -p keel-tds-peer 2>&1
    peer_out="$(mktemp)"
    "$TARGET_DIR/debug/keel-tds-peer" >"$peer_out" &
    peer_pid=$!
    trap 'kill "$peer_pid" 2>/dev/null || true; rm -f "$peer_out"; keel_tls_servers_stop; keel_cluster_servers_stop' EXIT
    for _ in $(seq 1 50); do [ -s "$peer_out" ] && break; sleep 0.1; done
    KEEL_TEST_MSSQL_URL="$(head -n 1 "$peer_out")"
    export KEEL_TEST_MSSQL_URL
    echo "SQL Server for the C suite: the TDS test peer on ${KEEL_TEST_MSSQL_URL##*@}"
fi
OUT="$TARGET_DIR/c-suite"
mkdir -p "$OUT"
CC=${CC:-cc}
CFLAGS=(-std=c11 -O1 -g -Wall -Wextra -Werror -Iinclude -Iexamples-c)
LINK=(-L"$LIB" -lkeel -Wl,-rpath,"$LIB" -lm)

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind not found; installing it with apt-get"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq valgrind; } >/dev/null 2>&1 || true
fi
VALGRIND=()
if command -v valgrind >/dev/null 2>&1; then
    # tests/c/valgrind.supp: ring's assembly under TLS, and the memory of
    # the parent's threads that a fork() child reports lost (it says why).
    VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99
        --suppressions=tests/c/valgrind.supp)
else
    echo "SKIP valgrind: not installed and apt-get could not install it; running the C suite without it"
fi

c_passed=0
c_failed=0
c_fail() { echo "FAIL $1"; c_failed=$((c_failed + 1)); }

for src in examples-c/[0-9][0-9]_*.c tests/c/*.c; do
    name=$(basename "$src" .c)
    exe="$OUT/$name"
    if ! "$CC" "${CFLAGS[@]}" "$src" -o "$exe" "${LINK[@]}"; then
        c_fail "$name: does not compile"
        continue
    fi
    rc=0
    "${VALGRIND[@]}" "$exe" >"$exe.stdout" 2>"$exe.stderr" || rc=$?
    if [ "$rc" -ne 0 ]; then
        c_fail "$name: exit status $rc$([ "$rc" -eq 99 ] && echo ' (valgrind found errors)')"
        cat "$exe.stderr"
        continue
    fi
    expected="examples-c/expected/$name.txt"
    if [[ "$src" == examples-c/* ]] && ! diff -u "$expected" "$exe.stdout"; then
        c_fail "$name: stdout differs from $expected"
        continue
    fi
    [[ "$src" == tests/c/* ]] && echo "$name: $(tail -n 1 "$exe.stdout")"
    c_passed=$((c_passed + 1))
done
echo "C suite: $c_passed passed, $c_failed failed"
[ "$c_failed" -eq 0 ] || suites_failed+=("C")

echo "== C: the same programs with AddressSanitizer and UBSan, without valgrind"
# The same sources, built with the flags tests/examples_c.rs uses for its
# sanitized build of the examples, run directly (valgrind and ASan do not
# mix). The library itself is not instrumented (it is the Rust debug
# build), but ASan's allocator serves its malloc and free too, so a C
# program that overruns, reuses or double-frees memory keel handed it, or
# hands keel a bad pointer that keel then frees, fails here, and UBSan
# stops at the first undefined behaviour in the C code.
#
# Leaks: detect_leaks=1 and nothing suppressed. LeakSanitizer reports only
# blocks nothing points to at exit; Rust std's thread-locals and keel's
# statics (the tokio runtime, the driver registry) stay reachable from
# live threads and globals, as valgrind's "still reachable" (which that
# pass does not count either), and no program here leaks one. Should a
# real Rust std leak show up later, suppress that one frame by name in an
# LSAN_OPTIONS=suppressions= file with a comment why, never the library.
SAN_FLAGS=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
san_probe="$OUT/san-probe"
if printf 'int main(void) { return 0; }\n' | "$CC" "${SAN_FLAGS[@]}" -x c - -o "$san_probe" 2>/dev/null && "$san_probe"; then
    SAN_OUT="$TARGET_DIR/c-suite-asan"
    mkdir -p "$SAN_OUT"
    s_passed=0
    s_failed=0
    s_fail() { echo "FAIL $1"; s_failed=$((s_failed + 1)); }
    for src in examples-c/[0-9][0-9]_*.c tests/c/*.c; do
        name=$(basename "$src" .c)
        exe="$SAN_OUT/$name"
        if ! "$CC" "${CFLAGS[@]}" "${SAN_FLAGS[@]}" "$src" -o "$exe" "${LINK[@]}"; then
            s_fail "$name: does not compile with sanitizers"
            continue
        fi
        rc=0
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=97 \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            "$exe" >"$exe.stdout" 2>"$exe.stderr" || rc=$?
        if [ "$rc" -ne 0 ]; then
            s_fail "$name: exit status $rc$([ "$rc" -eq 97 ] && echo ' (AddressSanitizer found errors)')"
            cat "$exe.stderr"
            continue
        fi
        expected="examples-c/expected/$name.txt"
        if [[ "$src" == examples-c/* ]] && ! diff -u "$expected" "$exe.stdout"; then
            s_fail "$name: stdout differs from $expected"
            continue
        fi
        [[ "$src" == tests/c/* ]] && echo "$name: $(tail -n 1 "$exe.stdout")"
        s_passed=$((s_passed + 1))
    done
    echo "C suite (ASan+UBSan): $s_passed passed, $s_failed failed"
    [ "$s_failed" -eq 0 ] || suites_failed+=("C (ASan+UBSan)")
else
    echo "SKIP C suite with sanitizers: $CC cannot build or run -fsanitize=address,undefined programs here"
fi

echo "== C: make install into a temporary prefix, programs built with pkg-config only"
# scripts/test_install.sh: the installed layout and soname, the quickstart
# built shared and -static from keel.pc's flags alone and run, DESTDIR and
# uninstall, CARGO_TARGET_DIR. It installs the debug build cargo made above.
if ! command -v pkg-config >/dev/null 2>&1; then
    echo "pkg-config not found; installing it with apt-get"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq pkg-config; } >/dev/null 2>&1 || true
fi
bash scripts/test_install.sh || suites_failed+=("Install")

echo "== Zig binding (bindings/zig): unit tests, engine suite, example"
zig_version="0.17.1"
if [ "$(python3 -m ziglang version 2>/dev/null)" != "$zig_version" ]; then
    python3 -m pip install --quiet "ziglang==$zig_version"
fi
# Test against the debug library (`make test` has just built it; this is then
# a no-op, and it keeps the library current when the script runs alone).
cargo build --locked 2>&1
zig_log="$(mktemp)"
zig_status=0
(cd bindings/zig && python3 -m ziglang build test example --summary all -Dlib-dir="$LIB") >"$zig_log" 2>&1 || zig_status=$?
cat "$zig_log"
# Zig prints "Build Summary: S/T steps succeeded; P/N tests passed (K skipped, F failed, ...)".
summary="$(grep -E '^Build Summary:' "$zig_log" | tail -n 1 || true)"
rm -f "$zig_log"
if [[ "$summary" =~ ([0-9]+)/([0-9]+)\ tests\ passed ]]; then
    zig_passed="${BASH_REMATCH[1]}"
    zig_total="${BASH_REMATCH[2]}"
    zig_skipped=0 # PostgreSQL/MySQL suites when their URLs are not set
    tests_part="${summary#*tests passed}"
    if [[ "$tests_part" =~ ([0-9]+)\ skipped ]]; then zig_skipped="${BASH_REMATCH[1]}"; fi
    zig_failed=$((zig_total - zig_passed - zig_skipped))
else
    # The tests did not run (a compile error, or a missing library).
    zig_passed=0
    zig_failed=1
fi
if [ "$zig_status" -ne 0 ] && [ "$zig_failed" -eq 0 ]; then
    zig_failed=1 # a failed step outside the tests (the example's output)
fi
# A project outside the tree using the package by path and by URL+hash.
consumer_log="$(mktemp)"
consumer_status=0
bash scripts/test_zig_consumer.sh "$LIB" >"$consumer_log" 2>&1 || consumer_status=$?
cat "$consumer_log"
if [[ "$(tail -n 1 "$consumer_log")" =~ ^Zig\ consumer:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    zig_passed=$((zig_passed + BASH_REMATCH[1]))
    zig_failed=$((zig_failed + BASH_REMATCH[2]))
fi
[ "$consumer_status" -eq 0 ] || { zig_status=1; [ "$zig_failed" -gt 0 ] || zig_failed=1; }
rm -f "$consumer_log"
echo "Zig: $zig_passed passed, $zig_failed failed"
if [ "$zig_status" -ne 0 ] || [ "$zig_failed" -ne 0 ]; then
    suites_failed+=("Zig")
fi

echo "== Python: DB-API package (bindings/python) with pytest"
# A venv under build/ (or pip --user where venv is missing) with pytest and
# the package installed from ./bindings/python, run against the debug
# library cargo just built.
PYTHON=${PYTHON:-python3}
case "$(uname -s)" in
    Darwin) KEEL_LIB="$LIB/libkeel.dylib" ;;
    MINGW* | MSYS* | CYGWIN*) KEEL_LIB="$LIB/keel.dll" ;;
    *) KEEL_LIB="$LIB/libkeel.so" ;;
esac
[ -f "$KEEL_LIB" ] || cargo build --locked
PIP_ARGS=(-q --disable-pip-version-check)
VENV=build/pyvenv
if [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    PY="$VENV/bin/python"
else
    rm -rf "$VENV"
    PY="$PYTHON"
    PIP_ARGS+=(--user)
fi
# pyarrow, polars and duckdb: the Arrow consumers bindings/python/tests/test_arrow.py reads
# a cursor's Arrow stream with (keel itself needs none of them);
# adbc-driver-manager loads libkeel as an ADBC driver (tests/test_adbc.py).
"$PY" -m pip install "${PIP_ARGS[@]}" pytest pyarrow polars duckdb adbc-driver-manager
# The package's build backend bundles libkeel in the wheel it builds:
# cargo's debug build here (KEEL_WHEEL_PROFILE=debug), the one just made.
# The suite itself runs against KEEL_LIBRARY; tests/test_wheel.py builds a
# wheel and checks it from a fresh venv outside the checkout with no
# KEEL_LIBRARY.
KEEL_WHEEL_PROFILE=debug "$PY" -m pip install "${PIP_ARGS[@]}" --force-reinstall --no-deps ./bindings/python
KEEL_LIBRARY="$KEEL_LIB" "$PY" -m pytest -q -p no:cacheprovider bindings/python/tests || suites_failed+=("Python")

echo "== Bindings' declarations: generated from include/keel.json (bindings/generate.py)"
# The Zig, Odin and Python declarations of the C API are what
# bindings/generate.py writes from include/keel.json (the description
# build.rs writes with the header), and its --check fails on any drift.
# Python only, so it runs everywhere (pytest from the venv above).
"$PY" -m pytest -q -p no:cacheprovider bindings/tests || suites_failed+=("Bindings' declarations")

echo "== DuckDB driver's declarations: drivers/duckdb-zig/src/duckdb.zig against duckdb.h"
# The driver declares DuckDB's C API by hand (Zig 0.17 has no @cImport);
# a C compiler checks each declaration against duckdb.h of the same DuckDB
# version, which scripts/duckdb.sh fetched (KEEL_DUCKDB_HEADER).
"$PY" -m pytest -q -p no:cacheprovider drivers/duckdb-zig/tests || suites_failed+=("DuckDB declarations")

echo "== Odin binding (bindings/odin): suite and examples when odin is on PATH"
if command -v odin >/dev/null 2>&1; then
    # Against the shared debug library, with an rpath to it. Odin prints no
    # counts a script can rely on, so the runner writes a JSON report.
    # Odin links by running `clang` (or $ODIN_CLANG_PATH). Where there is no
    # plain `clang` (Debian ships clang-19 and the like), use the newest
    # versioned one rather than fail every build for want of a name.
    if [ -z "${ODIN_CLANG_PATH:-}" ] && ! command -v clang >/dev/null 2>&1; then
        odin_clang=$(compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -t- -k2 -n | tail -n 1)
        if [ -n "$odin_clang" ]; then
            export ODIN_CLANG_PATH="$odin_clang"
            echo "odin: no clang on PATH; linking with ODIN_CLANG_PATH=$odin_clang"
        fi
    fi
    ODIN_OUT="$PWD/build/odin"
    mkdir -p "$ODIN_OUT"
    ODIN_FLAGS=(-collection:keel="$PWD/bindings/odin" -define:KEEL_LIB_DIR="$LIB" -define:KEEL_SHARED=true)
    odin_passed=0
    odin_failed=0
    odin_fail() { echo "FAIL $1"; odin_failed=$((odin_failed + 1)); }
    odin_report="$ODIN_OUT/report.json"
    rm -f "$odin_report"
    odin_status=0
    odin test bindings/odin/tests "${ODIN_FLAGS[@]}" -define:ODIN_TEST_FANCY=false \
        -define:ODIN_TEST_FAIL_ON_BAD_MEMORY=true -define:ODIN_TEST_JSON_REPORT="$odin_report" \
        -out:"$ODIN_OUT/keel_tests" 2>&1 || odin_status=$?
    if counts=$("$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["success"], r["total"] - r["success"])' "$odin_report" 2>/dev/null); then
        read -r p f <<<"$counts"
        odin_passed=$((odin_passed + p))
        odin_failed=$((odin_failed + f))
        if [ "$odin_status" -ne 0 ] && [ "$f" -eq 0 ]; then
            odin_fail "odin test exited with status $odin_status" # e.g. leaked memory
        fi
    else
        odin_fail "odin test did not run (status $odin_status): see the compiler output above"
    fi
    # The examples: basic with its exact output on every engine (it makes
    # and drops its own table), readme with the output the README shows,
    # arrow with the batches it reads.
    if odin build bindings/odin/examples/basic "${ODIN_FLAGS[@]}" -out:"$ODIN_OUT/basic" &&
        odin build bindings/odin/examples/readme "${ODIN_FLAGS[@]}" -out:"$ODIN_OUT/readme" &&
        odin build bindings/odin/examples/arrow "${ODIN_FLAGS[@]}" -out:"$ODIN_OUT/arrow"; then
        odin_urls=("sqlite::memory:")
        [ -n "${KEEL_TEST_POSTGRES_URL:-}" ] && odin_urls+=("$KEEL_TEST_POSTGRES_URL")
        [ -n "${KEEL_TEST_MYSQL_URL:-}" ] && odin_urls+=("$KEEL_TEST_MYSQL_URL")
        for url in "${odin_urls[@]}"; do
            engine="${url%%:*}"
            if "$ODIN_OUT/basic" "$url" >"$ODIN_OUT/basic.$engine.stdout" &&
                diff -u bindings/odin/examples/basic/expected.txt "$ODIN_OUT/basic.$engine.stdout"; then
                odin_passed=$((odin_passed + 1))
            else
                odin_fail "examples/basic on $engine"
            fi
        done
        for ex in readme arrow; do
            if "$ODIN_OUT/$ex" >"$ODIN_OUT/$ex.stdout" &&
                diff -u "bindings/odin/examples/$ex/expected.txt" "$ODIN_OUT/$ex.stdout"; then
                odin_passed=$((odin_passed + 1))
            else
                odin_fail "examples/$ex"
            fi
        done
    else
        odin_fail "the examples do not build"
    fi
    # Linking: a relative KEEL_LIB_DIR stops the build with its message; a
    # library directory whose path holds a space links (quoted) and runs.
    if odin build bindings/odin/examples/readme -collection:keel="$PWD/bindings/odin" \
        -define:KEEL_LIB_DIR=target/debug -define:KEEL_SHARED=true -out:"$ODIN_OUT/readme-relative" \
        >"$ODIN_OUT/relative.log" 2>&1; then
        odin_fail "a relative KEEL_LIB_DIR was accepted"
    elif grep -q "KEEL_LIB_DIR=target/debug is a relative path" "$ODIN_OUT/relative.log"; then
        odin_passed=$((odin_passed + 1))
    else
        odin_fail "a relative KEEL_LIB_DIR failed without its message:"
        cat "$ODIN_OUT/relative.log"
    fi
    spaced="$ODIN_OUT/lib dir"
    mkdir -p "$spaced"
    ln -sf "$LIB/libkeel.so" "$spaced/libkeel.so"
    ln -sf "$LIB/libkeel.so" "$spaced/$(readelf -d "$LIB/libkeel.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')"
    if odin build bindings/odin/examples/readme -collection:keel="$PWD/bindings/odin" \
        -define:KEEL_LIB_DIR="$spaced" -define:KEEL_SHARED=true -out:"$ODIN_OUT/readme-spaced" &&
        "$ODIN_OUT/readme-spaced" | diff -u bindings/odin/examples/readme/expected.txt -; then
        odin_passed=$((odin_passed + 1))
    else
        odin_fail "KEEL_LIB_DIR with a space in it"
    fi
    echo "Odin: $odin_passed passed, $odin_failed failed"
    [ "$odin_failed" -eq 0 ] || suites_failed+=("Odin")
else
    echo "SKIP Odin suite and examples: no odin compiler on PATH (Odin is in no package registry; install one to run them). The check that keel/c is generated ran above."
fi

if [ "${#suites_failed[@]}" -gt 0 ]; then
    echo "FAILED suites: ${suites_failed[*]}"
    exit 1
fi
echo "All suites passed."

