#!/usr/bin/env bash
# bindings/zig as another project uses it: the example project
# bindings/zig/examples/consumer, copied to a temporary directory outside
# the keel tree, depending on the package (1) by path and (2) by URL and
# hash (`zig fetch --save` of a tarball of the package, as from a release),
# built and run against the library in $1 (an absolute directory holding
# libkeel.so). Prints "Zig consumer: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
lib_dir="$1"
ZIG=(python3 -m ziglang)
pkg="$PWD/bindings/zig"
expected="1 Dune (4-byte cover)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
run_consumer() { # run_consumer NAME DIR: build and run, compare the output
    local out
    if out="$(cd "$2" && "${ZIG[@]}" build run -Dkeel-lib-dir="$lib_dir" 2>&1)" && [ "$out" = "$expected" ]; then
        echo "ok   $1"
        passed=$((passed + 1))
    else
        echo "FAIL $1: expected \"$expected\", got:"
        echo "$out"
        failed=$((failed + 1))
    fi
}

# 1. By path: the example's ".path" now points from the temporary directory
# to bindings/zig.
cp -r "$pkg/examples/consumer" "$tmp/by-path"
rel="$(realpath --relative-to="$tmp/by-path" "$pkg")"
sed -i "s|\.path = \"\.\./\.\.\"|.path = \"$rel\"|" "$tmp/by-path/build.zig.zon"
if grep -q "\.path = \"$rel\"" "$tmp/by-path/build.zig.zon"; then
    run_consumer "a project outside the tree depends on bindings/zig by path" "$tmp/by-path"
else
    echo "FAIL the example's build.zig.zon has no .path = \"../..\" to rewrite"
    failed=$((failed + 1))
fi

# 2. By URL and hash: a tarball of the package's files (its .paths), fetched
# with zig fetch --save, which checks that the package stands alone.
tar czf "$tmp/keel-zig.tar.gz" -C "$pkg" --exclude=.zig-cache --exclude=zig-out --transform 's,^,keel/,' build.zig build.zig.zon src examples README.md
cp -r "$pkg/examples/consumer" "$tmp/by-url"
python3 - "$tmp/by-url/build.zig.zon" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s, n = re.subn(r"    \.dependencies = \.\{.*?\n    \},\n", "    .dependencies = .{},\n", s, flags=re.S)
assert n == 1, "no .dependencies block to empty"
open(p, "w").write(s)
PY
if (cd "$tmp/by-url" && "${ZIG[@]}" fetch --save=keel "file://$tmp/keel-zig.tar.gz") &&
    grep -q '\.hash = "keel-' "$tmp/by-url/build.zig.zon"; then
    run_consumer "a project depends on a tarball of bindings/zig by URL and hash (zig fetch --save)" "$tmp/by-url"
else
    echo "FAIL zig fetch --save of the package's tarball"
    failed=$((failed + 1))
fi

echo "Zig consumer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
