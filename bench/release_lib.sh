# Sourced by the bench scripts that link keel's release library
# (bench/run_net.sh, run_pool.sh, run_ingest.sh, run_duckdb.sh), from the
# checkout's root. keel_release_lib SKIP FILE: builds the release library
# with cargo unless SKIP (the script's *_BENCH_SKIP_CARGO) is set, sets
# target_dir to where cargo builds (CARGO_TARGET_DIR when set, relative to
# the checkout, as cargo does), and exits unless
# $target_dir/release/FILE is there.
keel_release_lib() {
    local skip=$1 file=$2
    if [ -z "$skip" ]; then
        cargo build --release --locked
    fi
    target_dir=${CARGO_TARGET_DIR:-target}
    case "$target_dir" in /*) ;; *) target_dir=$PWD/$target_dir ;; esac
    if [ ! -e "$target_dir/release/$file" ]; then
        echo "$(basename "$0"): $target_dir/release/$file is missing" >&2
        exit 1
    fi
}
