"""The ctypes table (``keel._abi``, generated from include/keel.json by
bindings/generate.py) against the library that is loaded, and the option
constants against what the library takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import keel
from keel import _abi, _ffi

API = Path(__file__).resolve().parents[3] / "include" / "keel.json"


def test_the_loaded_library_exports_every_function():
    lib = _ffi._load()
    assert len(_abi.SIGNATURES) >= 60
    for name, _, _ in _abi.SIGNATURES:
        assert hasattr(lib, name), name


def test_the_table_declares_every_function_of_keel_json():
    if not API.is_file():
        pytest.skip(f"skipped: {API} not found (not run from a checkout)")
    api = json.loads(API.read_text())
    assert [f["name"] for f in api["functions"]] == [name for name, _, _ in _abi.SIGNATURES]
    for f, (name, args, _) in zip(api["functions"], _abi.SIGNATURES):
        assert len(f["params"]) == len(args), name


def test_the_option_constants_are_the_keys_the_library_takes():
    assert _abi.KEEL_OPTION_BUSY_TIMEOUT_MS == "busy_timeout_ms"
    with keel.connect("sqlite::memory:", **{_abi.KEEL_OPTION_BUSY_TIMEOUT_MS: "100", _abi.KEEL_OPTION_POOL_MAX_OPEN: "2"}) as c:
        c.cursor().execute("SELECT 1")
    # PostgreSQL's key is not SQLite's: refused.
    with pytest.raises(keel.ProgrammingError, match="unknown option 'sslmode'"):
        keel.connect("sqlite::memory:", **{_abi.KEEL_OPTION_SSLMODE: "require"})
