"""bindings/generate.py: the committed Zig, Odin and Python declarations
are what it writes from include/keel.json, its mapping rules give the
types the bindings were written with, and `--check` fails on every kind of
drift: a description that changed without the bindings, and a binding
edited by hand."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generate  # noqa: E402

API = generate.load()


def fn(name: str) -> dict:
    return next(f for f in API.data["functions"] if f["name"] == name)


def line_of(text: str, needle: str) -> str:
    lines = [line for line in text.splitlines() if needle in line]
    assert len(lines) == 1, f"{needle!r} is on {len(lines)} lines"
    return lines[0].strip()


# The committed files


def test_the_committed_declarations_are_generated():
    for path, text in generate.outputs(API).items():
        assert path.read_text() == text, f"{path} is not what bindings/generate.py writes: run it and commit"


def test_the_command_line_check_passes_on_the_committed_files(capsys):
    assert generate.main(["generate.py", "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_every_function_enum_struct_and_constant_is_declared():
    out = generate.outputs(API)
    zig, odin, py = out[generate.ZIG], out[generate.ODIN], out[generate.PYTHON]
    assert len(API.data["functions"]) >= 60 and len(API.data["constants"]) >= 35
    for f in API.data["functions"]:
        assert f"pub extern fn {f['name']}(" in zig
        assert f"\t{f['name'][len('keel_'):]} :: proc(" in odin
        assert f'("{f["name"]}", [' in py
    for e in API.data["enums"]:
        for m in e["members"]:
            assert f"pub const {m['name']}: {e['name']} = {m['value']};" in zig
    for c in API.data["constants"]:
        assert f"pub const {c['name']} = " in zig
        assert f"\n{c['name'][len('KEEL_'):]} :: " in odin
        assert f"\n{c['name']} = " in py
    for s in API.data["structs"]:
        assert f"pub const {s['name']} = extern struct {{" in zig
        assert f"\n{generate.ada(s['name'][len('keel_'):])} :: struct {{" in odin
        assert f"class {generate.camel(s['name'])}(" in py


# The mapping rules, one function each


def test_nul_terminated_and_counted_text():
    out = generate.outputs(API)
    zig, odin = out[generate.ZIG], out[generate.ODIN]
    assert "sql: ?[*:0]const u8," in line_of(zig, "fn keel_conn_exec(")
    assert "sql: ?[*]const u8, sql_len: usize," in line_of(zig, "fn keel_conn_exec_len(")
    assert "sql: cstring," in line_of(odin, "conn_exec :: proc(")
    assert "sql: [^]u8, sql_len: c.size_t," in line_of(odin, "conn_exec_len :: proc(")


def test_arrays_single_pointers_and_bytes():
    out = generate.outputs(API)
    zig, odin = out[generate.ZIG], out[generate.ODIN]
    assert "params: ?[*]const keel_value, n_params: usize" in line_of(zig, "fn keel_conn_exec(")
    assert "value: ?*const keel_value," in line_of(zig, "fn keel_stmt_bind_value(")
    assert "uuid16_out: ?[*]u8," in line_of(zig, "fn keel_rows_column_uuid(")
    assert "params: [^]Value, n_params: c.size_t" in line_of(odin, "conn_exec :: proc(")
    assert "value: ^Value," in line_of(odin, "stmt_bind_value :: proc(")
    assert "options: ^Tx_Options," in line_of(odin, "conn_begin :: proc(")


def test_borrowed_outputs_and_results():
    out = generate.outputs(API)
    zig, odin = out[generate.ZIG], out[generate.ODIN]
    assert "text_out: ?*?[*:0]const u8, len_out: ?*usize" in line_of(zig, "fn keel_rows_column_text(")
    assert line_of(zig, "fn keel_error_message(").endswith(") [*:0]const u8;")
    assert line_of(zig, "fn keel_buffer_data(").endswith(") ?[*]const u8;")
    assert "data_out: ^[^]u8," in line_of(odin, "rows_column_bytes :: proc(")
    assert line_of(odin, "error_message :: proc(").endswith("-> cstring ---")
    assert line_of(odin, "buffer_free :: proc(").endswith(") ---")
    sigs = {name: (args, ret) for name, args, ret in _python_table(out[generate.PYTHON])}
    # Text with a length comes out as an address (read with string_at); a
    # name without one as bytes.
    assert sigs["keel_rows_column_text"][0][2] == "POINTER(c_void_p)"
    assert sigs["keel_rows_column_name"][0][2] == "POINTER(c_char_p)"
    assert sigs["keel_stmt_bind_text"][0][2] == "c_char_p"
    assert sigs["keel_buffer_data"][1] == "c_void_p"
    assert sigs["keel_error_message"][1] == "c_char_p"


def _python_table(text: str):
    start = text.index("SIGNATURES:")
    for line in text[start:].splitlines()[1:]:
        if line == "]":
            return
        name, rest = line.strip()[2:].split('", [', 1)
        args, ret = rest.rsplit("], ", 1)
        yield name, [a.strip() for a in _split(args)], ret.rstrip("),")


def _split(args: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in args:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    return parts + ([cur] if cur.strip() else [])


def test_sized_structs_default_to_zero():
    zig = generate.outputs(API)[generate.ZIG]
    assert "    size: usize = 0," in zig and "    read_only: bool = false," in zig
    # keel_value has no size and no defaults.
    block = zig[zig.index("pub const keel_value = extern struct {") :]
    assert "    kind: i32,\n" in block[: block.index("};")]


def test_a_type_no_rule_covers_is_an_error_not_a_guess():
    data = copy.deepcopy(API.data)
    f = next(f for f in data["functions"] if f["name"] == "keel_conn_ping")
    f["params"][0]["type"] = {"c": "keel_conn ***", "base": "keel_conn", "const": False, "pointers": 3}
    with pytest.raises(generate.GenerateError, match="keel_conn_ping conn: no Zig rule for keel_conn \\*\\*\\*"):
        generate.outputs(generate.Api(data))
    f["params"][0]["type"] = {"c": "wchar_t *", "base": "wchar_t", "const": False, "pointers": 1}
    with pytest.raises(generate.GenerateError, match="unknown type 'wchar_t'"):
        generate.outputs(generate.Api(data))


# Drift: --check fails


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """Copies of the description and the three files, which the script
    reads and checks instead of the real ones."""
    paths = {}
    for name in ("API", "ZIG", "ODIN", "PYTHON"):
        real = getattr(generate, name)
        copy_ = tmp_path / real.name
        copy_.write_text(real.read_text())
        monkeypatch.setattr(generate, name, copy_)
        paths[name] = copy_
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    return paths


def check(capsys) -> tuple[int, str]:
    status = generate.main(["generate.py", "--check"])
    return status, capsys.readouterr().out


def test_check_passes_on_unchanged_copies(scratch, capsys):
    assert check(capsys) == (0, "")


def test_check_fails_on_a_new_function_in_the_description(scratch, capsys):
    data = json.loads(scratch["API"].read_text())
    new = copy.deepcopy(fn("keel_conn_ping"))
    new["name"] = "keel_conn_reset"
    data["functions"].append(new)
    scratch["API"].write_text(json.dumps(data))
    status, out = check(capsys)
    assert status == 1
    assert "+pub extern fn keel_conn_reset(conn: ?*keel_conn, err_out: ?*?*keel_error) keel_status;" in out
    assert "+\tconn_reset :: proc(conn: ^Conn, err_out: ^^Error) -> Status ---" in out
    assert '+    ("keel_conn_reset", [c_void_p, POINTER(c_void_p)], c_int32),' in out
    assert "not generated from include/keel.json: c.zig, keel.odin, _abi.py" in out
    # Without --check the files are rewritten, and then agree.
    assert generate.main(["generate.py"]) == 0
    assert capsys.readouterr().out == "wrote c.zig\nwrote keel.odin\nwrote _abi.py\n"
    assert check(capsys) == (0, "")


def test_check_fails_on_a_changed_parameter_enum_value_and_struct_field(scratch, capsys):
    data = json.loads(scratch["API"].read_text())
    f = next(f for f in data["functions"] if f["name"] == "keel_stmt_bind_date")
    f["params"][2]["type"] = {"c": "int64_t", "base": "int64_t", "const": False, "pointers": 0}
    status_enum = next(e for e in data["enums"] if e["name"] == "keel_status")
    status_enum["members"][-1]["value"] = 18
    s = next(s for s in data["structs"] if s["name"] == "keel_pool_stats")
    s["fields"].append({"name": "closed_by_user", "type": {"c": "uint64_t", "base": "uint64_t", "const": False, "pointers": 0}, "doc": []})
    scratch["API"].write_text(json.dumps(data))
    status, out = check(capsys)
    assert status == 1
    assert "+pub extern fn keel_stmt_bind_date(stmt: ?*keel_stmt, index: usize, days: i64," in out
    assert "+pub const KEEL_STATUS_PANIC: keel_status = 18;" in out
    assert "+\tPanic            = 18," in out
    assert "+    PANIC = 18" in out
    assert "+    closed_by_user: u64 = 0," in out
    assert "+\tclosed_by_user:       u64," in out


@pytest.mark.parametrize(
    "file,old,new",
    [
        ("ZIG", "len_out: ?*usize, err_out", "len_out: ?*u32, err_out"),
        ("ODIN", "rows_next :: proc(rows: ^Rows,", "rows_next :: proc(rows: ^Stmt,"),
        ("PYTHON", '("keel_conn_ping", [c_void_p, POINTER(c_void_p)], c_int32)', '("keel_conn_ping", [c_void_p], c_int32)'),
    ],
)
def test_check_fails_on_a_binding_edited_by_hand(scratch, capsys, file, old, new):
    path = scratch[file]
    text = path.read_text()
    assert old in text, f"the test's anchor {old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1))
    status, out = check(capsys)
    assert status == 1
    lines = out.splitlines()
    assert any(line.startswith("-") and new in line for line in lines), out
    assert any(line.startswith("+") and old in line for line in lines), out
    assert f"not generated from include/keel.json: {path.name}" in out


def test_a_file_without_its_marker_is_an_error(scratch, capsys):
    scratch["ODIN"].write_text(scratch["ODIN"].read_text().replace(generate.ODIN_MARKER, ""))
    assert generate.main(["generate.py", "--check"]) == 1
    assert "has no marker line" in capsys.readouterr().err
