"""The driver's DuckDB declarations (src/duckdb.zig) against duckdb.h.

Zig 0.17 has no @cImport, so src/duckdb.zig declares by hand the part of
DuckDB's C API the driver uses. This suite reads those declarations and
lets a C compiler compare them with duckdb.h of the DuckDB version the
driver is built against (KEEL_DUCKDB_HEADER, fetched by scripts/duckdb.sh):

- each `extern fn` becomes a C declaration written from the Zig types,
  placed after `#include "duckdb.h"`; a C compiler refuses a second
  declaration whose return or parameter types differ ("conflicting
  types"), and a function duckdb.h does not declare is reported as such;
- each `extern struct` must have the C struct's size, and each field the
  C field's name, type and offset;
- each alias (`pub const duckdb_x = c_int;`) the C type's size;
- each constant (`T.UUID`, `E.CONSTRAINT`, ...) the value of the C
  enumerator it stands for;
- and the header's DuckDB version is the library's (`duckdb_library_version`).

One compilation per declaration, so that a failure names it.
"""

import ctypes
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ZIG = (HERE.parent / "src" / "duckdb.zig").read_text()
HEADER = os.environ.get("KEEL_DUCKDB_HEADER")
LIBRARY = os.environ.get("KEEL_DUCKDB_LIBRARY")
CC = os.environ.get("CC", "cc")

# `make test` requires DuckDB (KEEL_TEST_REQUIRE): there a missing header
# fails the checks instead of skipping them.
REQUIRED = "duckdb" in os.environ.get("KEEL_TEST_REQUIRE", "").split(",")
needs_header = pytest.mark.skipif(
    not HEADER and not REQUIRED, reason="KEEL_DUCKDB_HEADER is not set (`. scripts/duckdb.sh` sets it)"
)

PRIMITIVES = {
    "void": "void",
    "bool": "bool",
    "u8": "uint8_t",
    "i8": "int8_t",
    "u16": "uint16_t",
    "i16": "int16_t",
    "u32": "uint32_t",
    "i32": "int32_t",
    "u64": "uint64_t",
    "i64": "int64_t",
    "f32": "float",
    "f64": "double",
    "c_int": "int",
    "c_uint": "unsigned int",
    "usize": "size_t",
    "anyopaque": "void",
}


def c_type(zig: str) -> str:
    """The C spelling of a Zig type as src/duckdb.zig writes them."""
    t = zig.strip().removeprefix("?")
    for prefix in ("[*:0]", "[*]", "*"):
        if t.startswith(prefix):
            inner = t[len(prefix):]
            const = inner.startswith("const ")
            inner = inner.removeprefix("const ")
            pointee = "char" if inner == "u8" else c_type(inner)
            return ("const " if const else "") + pointee + " *"
    if t in PRIMITIVES:
        return PRIMITIVES[t]
    if t == "idx_t" or t.startswith("duckdb_"):
        return t  # duckdb.h's own name; its Zig alias is checked on its own
    raise ValueError(f"no C spelling for the Zig type {zig!r}")


def split_params(params: str):
    out = []
    for p in filter(None, (x.strip() for x in params.split(","))):
        name, _, ty = p.partition(":")
        out.append((name.strip(), ty.strip()))
    return out


FUNCTIONS = [
    (m[1], split_params(m[2]), m[3].strip())
    for m in re.finditer(r"^pub extern fn (\w+)\((.*)\) ([^;]+);$", ZIG, re.M)
]
STRUCTS = [
    (m[1], [(f[1], f[2]) for f in re.finditer(r"^\s*(\w+): ([^=,]+?)(?: = [^,]+)?,\s*$", m[2], re.M)])
    for m in re.finditer(r"^pub const (duckdb_\w+) = extern struct \{\n(.*?)^\};$", ZIG, re.M | re.S)
]
# One-line structs: `pub const duckdb_date = extern struct { days: i32 };`
STRUCTS += [
    (m[1], [(n.strip(), t.strip()) for n, t in (f.split(":") for f in m[2].split(",") if f.strip())])
    for m in re.finditer(r"^pub const (duckdb_\w+) = extern struct \{ ([^}]*) \};$", ZIG, re.M)
]
ALIASES = [
    (m[1], m[2])
    for m in re.finditer(r"^pub const (idx_t|duckdb_\w+) = ([^;{]+);(?:\s*//.*)?$", ZIG, re.M)
]


def enum_block(name: str) -> str:
    m = re.search(r"^pub const " + name + r" = struct \{(.*?)^\};$", ZIG, re.M | re.S)
    assert m, f"src/duckdb.zig has no `{name}` block"
    return m[1]


CONSTANTS = [
    (f"T.{n}", f"DUCKDB_TYPE_{n}", int(v))
    for n, v in re.findall(r"pub const (\w+) = (\d+);", enum_block("T"))
] + [
    (f"E.{n}", f"DUCKDB_ERROR_{n}", int(v))
    for n, v in re.findall(r"pub const (\w+) = (\d+);", enum_block("E"))
] + [
    (n, "DUCKDB_" + n, int(v))
    for n, v in re.findall(r"^pub const ((?:STATEMENT|RESULT)_TYPE_\w+) = (\d+);$", ZIG, re.M)
] + [
    (n, "DuckDB" + n, int(v))
    for n, v in re.findall(r"^pub const (Success): duckdb_state = (\d+);$", ZIG, re.M)
]


def compiles(body: str) -> str:
    """'' when `body` compiles after duckdb.h, else the compiler's errors."""
    assert HEADER, "KEEL_DUCKDB_HEADER is not set (`. scripts/duckdb.sh` sets it)"
    src = '#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n#include "duckdb.h"\n' + body + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "check.c"
        path.write_text(src)
        run = subprocess.run(
            [CC, "-std=c11", "-fsyntax-only", "-Werror", "-I", str(Path(HEADER).parent), str(path)],
            capture_output=True,
            text=True,
        )
    return "" if run.returncode == 0 else run.stderr + "\n--- the C written from src/duckdb.zig:\n" + body


def test_declarations_were_found():
    # The parsing above must see what the file holds, or the checks below
    # would pass by checking nothing.
    assert len(FUNCTIONS) == len(re.findall(r"^pub extern fn ", ZIG, re.M))
    assert len(FUNCTIONS) >= 40
    assert {s for s, _ in STRUCTS} >= {"duckdb_result", "duckdb_date", "duckdb_time", "duckdb_timestamp"}
    assert all(fields for _, fields in STRUCTS)
    assert len(CONSTANTS) >= 30
    assert ("duckdb_state", "c_int") in ALIASES


def test_c_type_spells_zig_types():
    assert c_type("?[*:0]const u8") == "const char *"
    assert c_type("[*:0]u8") == "char *"
    assert c_type("?*const anyopaque") == "const void *"
    assert c_type("*duckdb_result") == "duckdb_result *"
    assert c_type("?[*]u64") == "uint64_t *"
    with pytest.raises(ValueError):
        c_type("std.ArrayList(u8)")


@needs_header
@pytest.mark.parametrize("name,params,ret", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_function_matches_duckdb_h(name, params, ret):
    # A name duckdb.h does not declare would compile as a new function.
    header = Path(HEADER).read_text()
    assert re.search(r"\b" + name + r"\s*\(", header), f"duckdb.h declares no {name}"
    args = ", ".join(c_type(t) for _, t in params) or "void"
    errors = compiles(f"{c_type(ret)} {name}({args});")
    assert not errors, errors


@needs_header
@pytest.mark.parametrize("name,fields", STRUCTS, ids=[s[0] for s in STRUCTS])
def test_struct_matches_duckdb_h(name, fields):
    lines = [f"struct zig_{name} {{"] + [f"    {c_type(t)} {f};" for f, t in fields] + ["};"]
    lines.append(f"_Static_assert(sizeof(struct zig_{name}) == sizeof({name}), \"size of {name}\");")
    for f, t in fields:
        lines.append(
            f"_Static_assert(offsetof(struct zig_{name}, {f}) == offsetof({name}, {f}), \"offset of {name}.{f}\");"
        )
        lines.append(
            f"_Static_assert(__builtin_types_compatible_p(__typeof__((({name} *)0)->{f}), {c_type(t)}),"
            f" \"type of {name}.{f}\");"
        )
    errors = compiles("\n".join(lines))
    assert not errors, errors


@needs_header
@pytest.mark.parametrize("name,zig", ALIASES, ids=[a[0] for a in ALIASES])
def test_alias_has_the_size_of_duckdb_h(name, zig):
    errors = compiles(f'_Static_assert(sizeof({name}) == sizeof({c_type(zig)}), "size of {name}");')
    assert not errors, errors


@needs_header
@pytest.mark.parametrize("zig,c,value", CONSTANTS, ids=[c[0] for c in CONSTANTS])
def test_constant_matches_duckdb_h(zig, c, value):
    errors = compiles(f'_Static_assert({c} == {value}, "{zig} is {c}");')
    assert not errors, errors


@needs_header
@pytest.mark.skipif(not LIBRARY and not REQUIRED, reason="KEEL_DUCKDB_LIBRARY is not set (`. scripts/duckdb.sh` sets it)")
def test_header_is_the_libraries_version():
    assert LIBRARY, "KEEL_DUCKDB_LIBRARY is not set"
    lib = ctypes.CDLL(LIBRARY)
    lib.duckdb_library_version.restype = ctypes.c_char_p
    header_version = (Path(HEADER).parent / "version").read_text().strip()
    assert lib.duckdb_library_version().decode() == header_version
