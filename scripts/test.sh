#!/usr/bin/env bash
# Everything `make test` runs, in order. Each suite prints its own counts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit, integration, header, C ABI contract, C examples"
. scripts/servers.sh
cargo test --locked --all-targets 2>&1

echo "== C: examples and tests/c under valgrind, against the debug library"
# Builds every examples-c/NN_*.c and tests/c/*.c against target/debug (built
# by `make lib-debug` or the cargo test above), runs each under valgrind
# and fails on any memory error or definite/indirect leak. "Possibly lost"
# and "still reachable" blocks (Rust std thread-locals) are not errors.
LIB=target/debug
[ -f "$LIB/libkeel.so" ] || cargo build --locked
OUT=target/c-suite
mkdir -p "$OUT"
CC=${CC:-cc}
CFLAGS=(-std=c11 -O1 -g -Wall -Wextra -Werror -Iinclude -Iexamples-c)
LINK=(-L"$LIB" -lkeel -Wl,-rpath,"$PWD/$LIB" -lm)

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind not found; installing it with apt-get"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq valgrind; } >/dev/null 2>&1 || true
fi
VALGRIND=()
if command -v valgrind >/dev/null 2>&1; then
    VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
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
[ "$c_failed" -eq 0 ]
