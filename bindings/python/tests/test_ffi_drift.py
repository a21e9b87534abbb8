"""The binding's C declarations must match include/keel.h exactly."""

from __future__ import annotations

import re
from ctypes import POINTER, c_bool, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_uint64, c_void_p
from pathlib import Path

import pytest

from keel import _ffi

HEADER = Path(__file__).resolve().parents[3] / "include" / "keel.h"


def header() -> str:
    if not HEADER.is_file():
        pytest.skip(f"skipped: {HEADER} not found (not run from a checkout)")
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def prototypes():
    out = {}
    for m in re.finditer(r"^([A-Za-z_][\w \*]*?[\w\*])\s*\b(keel_\w+)\(([^;]*?)\);", header(), re.M):
        ret, name, args = m.group(1), m.group(2), " ".join(m.group(3).split())
        params = [] if args in ("", "void") else [a.strip() for a in args.split(",")]
        types = [re.sub(r"\s*\b\w+$", "", p) if not p.endswith("*") else p for p in params]
        out[name] = (ret.strip(), types)
    return out


SCALARS = {
    "int32_t": c_int32,
    "uint32_t": c_uint32,
    "int64_t": c_int64,
    "uint64_t": c_uint64,
    "double": c_double,
    "bool": c_bool,
    "size_t": c_size_t,
    "keel_status": c_int32,
    "keel_type": c_int32,
    "keel_dialect": c_int32,
    "keel_nullable": c_int32,
    "keel_retry_safety": c_int32,
}
HANDLES = {"keel_db", "keel_conn", "keel_stmt", "keel_rows", "keel_error", "keel_buffer", "keel_cancel"}


def allowed(ctype: str):
    """The ctypes types that may stand for a C type."""
    t = " ".join(ctype.replace("const ", "").replace("struct ", "").split())
    stars = t.count("*")
    base = t.replace("*", "").strip()
    if stars == 0:
        return {None} if base == "void" else {SCALARS[base]}
    if base in HANDLES:
        return {c_void_p} if stars == 1 else {POINTER(c_void_p)}
    if base in ("char", "uint8_t"):
        if stars == 1:
            # Inputs take bytes (c_char_p); returned/borrowed bytes are addresses.
            return {c_char_p, c_void_p, POINTER(c_uint8)}
        return {POINTER(c_char_p), POINTER(c_void_p)}
    if base in _ffi.STRUCTS and stars == 1:
        return {POINTER(_ffi.STRUCTS[base])}
    if base in SCALARS and stars == 1:
        return {POINTER(SCALARS[base])}
    raise AssertionError(f"no mapping for C type {ctype!r}")


def test_every_function_is_declared_with_matching_types():
    protos = prototypes()
    assert len(protos) > 60, "the header parser found too few functions"
    table = {name: (args, ret) for name, args, ret in _ffi.SIGNATURES}
    assert sorted(set(protos) - set(table)) == [], "in keel.h but not in _ffi.SIGNATURES"
    assert sorted(set(table) - set(protos)) == [], "in _ffi.SIGNATURES but not in keel.h"
    for name, (ret, params) in protos.items():
        args, restype = table[name]
        assert len(args) == len(params), f"{name}: arity {len(args)} != {len(params)} in keel.h"
        for i, (c, py) in enumerate(zip(params, args)):
            assert py in allowed(c), f"{name} argument {i}: {py} does not match C {c!r}"
        assert restype in allowed(ret), f"{name} returns {restype}, C says {ret!r}"


def test_every_enum_value_is_mirrored():
    enums = re.findall(r"enum (keel_\w+)\s*(?:#ifdef __cplusplus\s*: \w+\s*#endif)?\s*\{([^}]*)\}", header())
    assert {name for name, _ in enums} == set(_ffi.ENUMS), "enum set differs"
    count = 0
    for name, body in enums:
        cls = _ffi.ENUMS[name]
        prefix = name.upper() + "_"
        values = dict(re.findall(r"(KEEL_\w+)\s*=\s*(-?\d+)", body))
        assert {f"{prefix}{m.name}": str(m.value) for m in cls} == values, name
        count += len(values)
    assert count >= 50


def test_structs_match():
    text = header()
    for cname, cls in _ffi.STRUCTS.items():
        m = re.search(r"typedef struct %s \{(.*?)\} %s;" % (cname, cname), text, re.S)
        assert m, cname
        fields = [" ".join(f.split()) for f in m.group(1).split(";") if f.strip()]
        assert len(fields) == len(cls._fields_), cname
        for f, (name, t) in zip(fields, cls._fields_):
            ctype, cfield = re.match(r"(.*?)\s*(\w+)$", f).groups()
            assert cfield == name, f"{cname}: field {name} is {cfield} in keel.h"
            ok = allowed(ctype) | ({c_void_p} if ctype.endswith("*") else set())
            assert t in ok, f"{cname}.{name}: {t} does not match C {ctype!r}"


def test_the_loaded_library_exports_every_function():
    lib = _ffi._load()
    for name, _, _ in _ffi.SIGNATURES:
        assert hasattr(lib, name), name
