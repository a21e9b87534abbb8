# Sourced by scripts/test.sh (and usable by hand: `. scripts/duckdb.sh`):
# fetches libduckdb from the npm registry into build/duckdb (never
# committed), builds keel's DuckDB driver (drivers/duckdb-zig) against it
# with Zig, and exports KEEL_TEST_DUCKDB_DRIVER, the driver library's path,
# for the suites that open duckdb: URLs.
#
# DuckDB's C library is the one inside @duckdb/node-bindings-linux-x64 (the
# package's libduckdb.so); its version is pinned here and in
# drivers/duckdb-zig/README.md.
KEEL_DUCKDB_NPM_VERSION="1.5.6-r.1"
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
