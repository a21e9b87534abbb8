#!/usr/bin/env bash
# Everything `make test` runs, in order. Each suite prints its own counts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit, integration, header, C ABI contract, C examples"
. scripts/servers.sh
cargo test --locked --all-targets 2>&1
