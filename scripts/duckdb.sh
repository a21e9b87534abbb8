# Sourced by scripts/test.sh (and usable by hand: `. scripts/duckdb.sh`):
# fetches libduckdb from the npm registry into build/duckdb (never
# committed), builds keel's DuckDB driver (drivers/duckdb-zig) against it
# with Zig, and exports KEEL_TEST_DUCKDB_DRIVER, the driver library's path,
# for the suites that open duckdb: URLs.
#
# DuckDB's C library is the one inside @duckdb/node-bindings-linux-x64 (the
# package's libduckdb.so); its version is pinned here and in
# drivers/duckdb-zig/README.md.
#
# duckdb.h of the same DuckDB version, which the driver's declarations are
# checked against (drivers/duckdb-zig/tests), comes from the sources the
# libduckdb-sys crate bundles (its version 1.10506.x is DuckDB 1.5.6),
# downloaded from crates.io, checked against the pinned SHA-256, and
# unpacked into build/duckdb/include; it exports KEEL_DUCKDB_HEADER. The
# npm packages carry no header.
KEEL_DUCKDB_NPM_VERSION="1.5.6-r.1"
KEEL_DUCKDB_HEADER_CRATE="libduckdb-sys-1.10506.1"
KEEL_DUCKDB_HEADER_SHA256="113d1c26c9f518405a17b5729bb6ab6abf029fdc46626406922cf9a8dc9b4609"
keel_duckdb_header() {
    local inc="$1/include"
    if [ "$(cat "$inc/crate" 2>/dev/null)" = "$KEEL_DUCKDB_HEADER_CRATE" ] && [ -f "$inc/duckdb.h" ]; then
        return 0
    fi
    echo "fetching duckdb.h ($KEEL_DUCKDB_HEADER_CRATE from crates.io) into build/duckdb/include"
    rm -rf "$inc" && mkdir -p "$inc"
    python3 - "$inc" "$KEEL_DUCKDB_HEADER_CRATE" "$KEEL_DUCKDB_HEADER_SHA256" <<'PY' || return 1
import hashlib, io, sys, tarfile, urllib.request
inc, crate, sha = sys.argv[1:]
name, _, version = crate.rpartition("-")
url = f"https://static.crates.io/crates/{name}/{crate}.crate"
data = urllib.request.urlopen(url, timeout=300).read()
if hashlib.sha256(data).hexdigest() != sha:
    sys.exit(f"{url}: SHA-256 is not the pinned one")
with tarfile.open(fileobj=io.BytesIO(data)) as outer:
    sources = outer.extractfile(f"{crate}/duckdb.tar.gz").read()
with tarfile.open(fileobj=io.BytesIO(sources)) as inner:
    header = inner.extractfile("duckdb/src/include/duckdb.h").read()
    pragma = inner.extractfile("duckdb/src/function/table/version/pragma_version.cpp").read().decode()
version = next(l.split('"')[1] for l in pragma.splitlines() if l.startswith("#define DUCKDB_VERSION "))
open(f"{inc}/duckdb.h", "wb").write(header)
open(f"{inc}/version", "w").write(version + "\n")
PY
    echo "$KEEL_DUCKDB_HEADER_CRATE" >"$inc/crate"
}
keel_duckdb_setup() {
    local root dir pkg zig_version
    root="$(pwd)"
    dir="$root/build/duckdb"
    pkg="$dir/package"
    if [ "$(cat "$dir/version" 2>/dev/null)" != "$KEEL_DUCKDB_NPM_VERSION" ] || [ ! -f "$pkg/libduckdb.so" ]; then
        echo "fetching libduckdb (@duckdb/node-bindings-linux-x64@$KEEL_DUCKDB_NPM_VERSION) into build/duckdb"
        rm -rf "$dir" && mkdir -p "$dir"
        (cd "$dir" && npm pack --silent "@duckdb/node-bindings-linux-x64@$KEEL_DUCKDB_NPM_VERSION" >/dev/null &&
            tar xzf duckdb-node-bindings-linux-x64-"$KEEL_DUCKDB_NPM_VERSION".tgz) || return 1
        echo "$KEEL_DUCKDB_NPM_VERSION" >"$dir/version"
    fi
    keel_duckdb_header "$dir" || return 1
    export KEEL_DUCKDB_HEADER="$dir/include/duckdb.h" KEEL_DUCKDB_LIBRARY="$pkg/libduckdb.so"
    zig_version="0.17.1"
    if [ "$(python3 -m ziglang version 2>/dev/null)" != "$zig_version" ]; then
        python3 -m pip install --quiet "ziglang==$zig_version" || return 1
    fi
    # -Dcpu=baseline: Zig builds for the host's CPU by default, and on a
    # CPU with AVX-512 that code stops valgrind (which the C suite runs the
    # driver under) with SIGILL; a baseline build also runs on any x86-64.
    (cd drivers/duckdb-zig && python3 -m ziglang build test install -Drelease=true -Dcpu=baseline -Dduckdb-dir="$pkg" --summary none) || return 1
    export KEEL_TEST_DUCKDB_DRIVER="$root/drivers/duckdb-zig/zig-out/lib/libkeel_duckdb.so"
    echo "DuckDB driver: $KEEL_TEST_DUCKDB_DRIVER"
}
keel_duckdb_setup
