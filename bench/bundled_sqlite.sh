# Sourced by the benches that link target/release/libkeel.a and call the
# raw sqlite3 C API on the SQLite inside it (bench/run.sh,
# bench/run_ingest.sh, bench/run_pool.sh). Given $1, the path of libkeel.a: sets sqlite_inc
# to the directory of the sqlite3.h of the libsqlite3-sys crate Cargo.lock
# pins (found through `cargo metadata`), and checks that the library
# carries the bundled sqlite3 objects. Exits on failure.
keel_bundled_sqlite() {
    local lib=$1 manifest
    manifest=$(cargo metadata --format-version 1 --locked \
        | grep -o '"manifest_path":"[^"]*/libsqlite3-sys-[^"/]*/Cargo.toml"' \
        | head -n 1 | sed 's/^"manifest_path":"//; s/"$//')
    if [ -z "$manifest" ]; then
        echo "bench: libsqlite3-sys not found in cargo metadata" >&2
        exit 1
    fi
    sqlite_inc="$(dirname "$manifest")/sqlite3"
    if [ ! -f "$sqlite_inc/sqlite3.h" ]; then
        echo "bench: $sqlite_inc/sqlite3.h not found" >&2
        exit 1
    fi
    if ! nm "$lib" 2>/dev/null | grep ' T sqlite3_open_v2$' >/dev/null; then
        echo "bench: $lib does not contain the bundled sqlite3 objects" >&2
        exit 1
    fi
}
