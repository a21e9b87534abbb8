#!/usr/bin/env bash
# `make install` as a user runs it: into a temporary prefix, then the C
# quickstart built with nothing but pkg-config's flags, against the shared
# library and statically, and run; DESTDIR staging and uninstall; and the
# Makefile (make install, make demo) finding cargo's output under a
# CARGO_TARGET_DIR whose path has a space in it. Installs cargo's
# debug build (PROFILE=debug), which `make test` has just made. Prints
# "Install: N passed, M failed" and exits 1 when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

CC=${CC:-cc}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$PWD/$TARGET_DIR" ;; esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: passes when the command succeeds
    local name="$1"
    shift
    if "$@" >"$tmp/out" 2>&1; then ok "$name"; else fail "$name"; cat "$tmp/out"; fi
}

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
major="${version%%.*}"
minor="${version#*.}"
minor="${minor%%.*}"
if [ "$major" = 0 ]; then soname="libkeel.so.0.$minor"; else soname="libkeel.so.$major"; fi
expected=examples-c/expected/01_quickstart.txt

# 1. Into a prefix of its own.
prefix="$tmp/usr"
check "make install PREFIX=<tmp>" make -s install PROFILE=debug PREFIX="$prefix"
lib="$prefix/lib"
layout() {
    [ -f "$prefix/include/keel.h" ] && cmp -s include/keel.h "$prefix/include/keel.h" &&
        [ -f "$lib/libkeel.so.$version" ] && [ ! -L "$lib/libkeel.so.$version" ] &&
        [ "$(readlink "$lib/$soname")" = "libkeel.so.$version" ] &&
        [ "$(readlink "$lib/libkeel.so")" = "libkeel.so.$version" ] &&
        [ -f "$lib/libkeel.a" ] && [ -f "$lib/pkgconfig/keel.pc" ]
}
check "installed: keel.h, libkeel.so.$version, $soname and libkeel.so -> it, libkeel.a, keel.pc" layout
check "the installed library's soname is $soname" \
    bash -c "readelf -d '$lib/libkeel.so.$version' | grep -F 'Library soname: [$soname]'"

export PKG_CONFIG_PATH="$lib/pkgconfig"
check "pkg-config --modversion keel is $version" test "$(pkg-config --modversion keel)" = "$version"

# 2. Shared, with pkg-config's flags only (common.h sits beside the source).
shared_build() {
    # shellcheck disable=SC2046 # pkg-config's output is a list of flags
    "$CC" -std=c11 -Wall -Werror examples-c/01_quickstart.c $(pkg-config --cflags --libs keel) -o "$tmp/quickstart" &&
        readelf -d "$tmp/quickstart" | grep -F "Shared library: [$soname]"
}
check "cc app.c \$(pkg-config --cflags --libs keel): links $soname" shared_build
check "the shared build runs from the prefix and prints the quickstart's output" \
    bash -c "LD_LIBRARY_PATH='$lib' '$tmp/quickstart' | diff -u '$expected' -"

# The README's first program, as its "Install the library" lines build it.
readme_program() {
    awk '/^## A first program/ { on = 1 } on && /^```c$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' \
        README.md >"$tmp/app.c" && [ -s "$tmp/app.c" ] &&
        # shellcheck disable=SC2046
        "$CC" -std=c11 -Wall -Wextra -Werror "$tmp/app.c" $(pkg-config --cflags --libs keel) -o "$tmp/app" &&
        [ "$(LD_LIBRARY_PATH="$lib" "$tmp/app")" = "1 Ada" ]
}
check "the README's first program builds with pkg-config and prints \"1 Ada\"" readme_program

# 3. Static: libkeel.a and Libs.private, no libkeel.so needed at run time.
static_build() {
    # shellcheck disable=SC2046
    "$CC" -std=c11 -Wall -Werror -static examples-c/01_quickstart.c $(pkg-config --cflags --libs --static keel) \
        -o "$tmp/quickstart-static" 2>"$tmp/static.log" &&
        ! readelf -d "$tmp/quickstart-static" 2>/dev/null | grep -F libkeel
}
check "cc -static app.c \$(pkg-config --cflags --libs --static keel)" static_build
check "the static build runs with no libkeel around and prints the quickstart's output" \
    bash -c "'$tmp/quickstart-static' | diff -u '$expected' -"

# 4. DESTDIR: staged under it, with keel.pc naming the final prefix.
stage="$tmp/stage"
check "make install DESTDIR=<tmp> PREFIX=/opt/keel" make -s install PROFILE=debug DESTDIR="$stage" PREFIX=/opt/keel
check "staged under DESTDIR, keel.pc says prefix=/opt/keel" bash -c "
    [ -f '$stage/opt/keel/include/keel.h' ] && [ -f '$stage/opt/keel/lib/libkeel.so.$version' ] &&
    [ -L '$stage/opt/keel/lib/libkeel.so' ] && [ -f '$stage/opt/keel/lib/libkeel.a' ] &&
    grep -qx 'prefix=/opt/keel' '$stage/opt/keel/lib/pkgconfig/keel.pc' &&
    grep -qx 'libdir=/opt/keel/lib' '$stage/opt/keel/lib/pkgconfig/keel.pc'"
check "make uninstall DESTDIR=<tmp> removes every file it installed" bash -c "
    make -s uninstall DESTDIR='$stage' PREFIX=/opt/keel &&
    [ -z \"\$(find '$stage' -type f -o -type l)\" ]"

# 5. CARGO_TARGET_DIR: the Makefile takes cargo's output from there (a
# target directory holding links to the debug build; CARGO=true builds nothing).
alt="$tmp/cargo target"
mkdir -p "$alt/debug"
for f in libkeel.so libkeel.a; do ln -s "$TARGET_DIR/debug/$f" "$alt/debug/$f"; done
check "make install honours CARGO_TARGET_DIR" bash -c "
    CARGO_TARGET_DIR='$alt' make -s install CARGO=true PROFILE=debug PREFIX='$tmp/alt' &&
    cmp -s '$alt/debug/libkeel.so' '$tmp/alt/lib/libkeel.so.$version'"

# make demo too (the quickstart, built by examples-c/Makefile into
# examples-c/build and run against the release directory there).
mkdir -p "$alt/release"
for f in libkeel.so libkeel.a; do ln -s "$TARGET_DIR/debug/$f" "$alt/release/$f"; done
ln -s "$TARGET_DIR/debug/libkeel.so" "$alt/release/$soname"
rm -f examples-c/build/01_quickstart
check "make demo honours CARGO_TARGET_DIR" bash -c "
    CARGO_TARGET_DIR='$alt' make -s demo CARGO=true | diff -u '$expected' -"

echo "Install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
