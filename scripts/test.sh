#!/usr/bin/env bash
# Everything `make test` runs, in order. Each suite prints its own counts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit, integration, header, C ABI contract, C examples"
cargo test --locked --all-targets 2>&1

echo "== Python: DB-API package (bindings/python) with pytest"
# A venv under build/ (or pip --user where venv is missing) with pytest and
# the package installed from ./bindings/python, run against the debug
# library cargo just built.
PYTHON=${PYTHON:-python3}
case "$(uname -s)" in
    Darwin) KEEL_LIB=target/debug/libkeel.dylib ;;
    MINGW* | MSYS* | CYGWIN*) KEEL_LIB=target/debug/keel.dll ;;
    *) KEEL_LIB=target/debug/libkeel.so ;;
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
"$PY" -m pip install "${PIP_ARGS[@]}" pytest
"$PY" -m pip install "${PIP_ARGS[@]}" --force-reinstall --no-deps ./bindings/python
KEEL_LIBRARY="$PWD/$KEEL_LIB" "$PY" -m pytest -q -p no:cacheprovider bindings/python/tests
