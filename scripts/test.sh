#!/usr/bin/env bash
# Everything `make test` runs, in order. Each suite prints its own counts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit, integration, header, C ABI contract, C examples"
cargo test --locked --all-targets 2>&1

echo "== Zig binding (bindings/zig): unit tests, engine suite, header drift, example"
zig_version="0.17.1"
if [ "$(python3 -m ziglang version 2>/dev/null)" != "$zig_version" ]; then
    python3 -m pip install --quiet "ziglang==$zig_version"
fi
# Test against the debug library (`make test` has just built it; this is then
# a no-op, and it keeps the library current when the script runs alone).
cargo build --locked 2>&1
zig_log="$(mktemp)"
zig_status=0
(cd bindings/zig && python3 -m ziglang build test example --summary all -Dlib-dir=../../target/debug) >"$zig_log" 2>&1 || zig_status=$?
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
echo "$zig_passed passed, $zig_failed failed"
if [ "$zig_status" -ne 0 ] || [ "$zig_failed" -ne 0 ]; then
    exit 1
fi
