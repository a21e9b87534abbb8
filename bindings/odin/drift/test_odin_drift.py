"""The Odin binding's foreign declarations match include/keel.h, and the
check that says so fails on every kind of drift it claims to catch."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import odin_drift  # noqa: E402

HEADER = odin_drift.HEADER.read_text()
ODIN = odin_drift.ODIN_FILE.read_text()


def edited(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the test's anchor {old!r} is not unique in the file"
    return text.replace(old, new)


def drift_in_header(old: str, new: str) -> list[str]:
    return odin_drift.compare(edited(HEADER, old, new), ODIN)


def drift_in_odin(old: str, new: str) -> list[str]:
    return odin_drift.compare(HEADER, edited(ODIN, old, new))


def expect_one(problems: list[str], *needles: str) -> None:
    assert len(problems) >= 1, "the drift went unnoticed"
    text = "\n".join(problems)
    for n in needles:
        assert n in text, f"{n!r} not in:\n{text}"


# The real files


def test_keel_odin_matches_keel_h():
    assert odin_drift.compare(HEADER, ODIN) == []


def test_the_parsers_see_every_declaration():
    header = odin_drift.parse_header(HEADER)
    odin, problems = odin_drift.parse_odin(ODIN)
    assert problems == []
    kinds = odin_drift.summary(HEADER)
    assert kinds["function"] >= 80, "the header parser found too few functions"
    assert kinds["enum"] >= 8 and kinds["struct"] >= 5 and kinds["opaque"] >= 7
    assert kinds["constant"] >= 55
    assert header["keel_rows_column_text"].sig == "keel_status(keel_rows*,usize,u8**,usize*,keel_error**)"
    assert odin["keel_rows_column_text"].sig == header["keel_rows_column_text"].sig
    assert odin["KEEL_STATUS_PANIC"].value == 17
    assert odin["keel_pool_stats"].kind == "struct"
    assert odin["keel_db"].kind == "opaque"


def test_the_command_line_passes_on_the_real_files(capsys):
    assert odin_drift.main(["odin_drift.py"]) == 0
    assert "matches" in capsys.readouterr().out


def test_the_command_line_fails_on_drift(tmp_path, capsys):
    header = tmp_path / "keel.h"
    header.write_text(edited(HEADER, "KEEL_STATUS_PANIC = 17,", "KEEL_STATUS_PANIC = 17,\n  KEEL_STATUS_RETRY = 18,"))
    odin = tmp_path / "keel.odin"
    odin.write_text(ODIN)
    assert odin_drift.main(["odin_drift.py", str(header), str(odin)]) == 1
    assert "KEEL_STATUS_RETRY" in capsys.readouterr().out


# Header changes the binding has not followed


def test_a_new_function():
    problems = drift_in_header(
        "uint32_t keel_version_number(void);",
        "uint32_t keel_version_number(void);\nbool keel_conn_is_broken(const struct keel_conn *conn);",
    )
    expect_one(problems, "keel_conn_is_broken", "not in keel.odin")


def test_a_removed_function():
    problems = drift_in_header("void keel_buffer_free(struct keel_buffer *buffer);", "")
    expect_one(problems, "keel_buffer_free", "not in keel.h")


def test_a_dropped_parameter():
    problems = drift_in_header(
        "keel_status keel_conn_ping(struct keel_conn *conn, struct keel_error **err_out);",
        "keel_status keel_conn_ping(struct keel_conn *conn);",
    )
    expect_one(problems, "keel_conn_ping", "keel_status(keel_conn*)")


def test_a_parameter_of_another_kind():
    problems = drift_in_header(
        "keel_status keel_stmt_bind_date(struct keel_stmt *stmt,\n                                size_t index,\n                                int32_t days,",
        "keel_status keel_stmt_bind_date(struct keel_stmt *stmt,\n                                size_t index,\n                                int64_t days,",
    )
    expect_one(problems, "keel_stmt_bind_date", "usize,i64,")


def test_a_pointer_level():
    problems = drift_in_header(
        "keel_status keel_conn_server_version(struct keel_conn *conn,\n                                     const char **version_out,",
        "keel_status keel_conn_server_version(struct keel_conn *conn,\n                                     const char *version_out,",
    )
    expect_one(problems, "keel_conn_server_version")


def test_a_changed_return_type():
    problems = drift_in_header("size_t keel_buffer_len(", "uint64_t keel_buffer_len(")
    expect_one(problems, "keel_buffer_len", "u64(")


def test_a_changed_enum_number():
    expect_one(drift_in_header("KEEL_TYPE_JSON = 12,", "KEEL_TYPE_JSON = 14,"), "KEEL_TYPE_JSON", "14", "12")


def test_a_new_enum_member():
    expect_one(
        drift_in_header("KEEL_NULLABLE_YES = 2,", "KEEL_NULLABLE_YES = 2,\n  KEEL_NULLABLE_MAYBE = 3,"),
        "KEEL_NULLABLE_MAYBE",
    )


def test_a_new_enum():
    problems = drift_in_header(
        "typedef struct keel_buffer keel_buffer;",
        "enum keel_mode {\n  KEEL_MODE_A = 0,\n};\ntypedef int32_t keel_mode;\ntypedef struct keel_buffer keel_buffer;",
    )
    expect_one(problems, "enum keel_mode", "KEEL_MODE_A")


def test_a_changed_struct_field():
    expect_one(drift_in_header("  bool has_last_insert_id;", "  int32_t has_last_insert_id;"), "keel_exec_result")


def test_a_new_struct_field():
    expect_one(
        drift_in_header("  uint64_t stmt_cache_misses;", "  uint64_t stmt_cache_misses;\n  uint64_t closed_by_user;"),
        "keel_pool_stats",
        "closed_by_user",
    )


def test_a_new_opaque_handle():
    expect_one(
        drift_in_header("typedef struct keel_stmt keel_stmt;", "typedef struct keel_stmt keel_stmt;\ntypedef struct keel_pipeline keel_pipeline;"),
        "keel_pipeline",
    )


def test_a_changed_version_number():
    expect_one(drift_in_header("#define KEEL_VERSION_MINOR 1", "#define KEEL_VERSION_MINOR 2"), "KEEL_VERSION_MINOR")


# Binding edits that break the mirror


def test_the_foreign_block_loses_its_link_prefix():
    problems = drift_in_odin('@(default_calling_convention = "c", link_prefix = "keel_")', '@(default_calling_convention = "c")')
    expect_one(problems, "link_prefix")


def test_the_foreign_block_loses_its_calling_convention():
    problems = drift_in_odin('@(default_calling_convention = "c", link_prefix = "keel_")', '@(link_prefix = "keel_")')
    expect_one(problems, "default_calling_convention")


def test_a_misspelled_procedure():
    problems = drift_in_odin("\tconn_rollback_to :: proc(", "\tconn_rollback_back :: proc(")
    expect_one(problems, "keel_conn_rollback_to", "keel_conn_rollback_back")


def test_a_handle_of_the_wrong_type():
    problems = drift_in_odin("rows_next :: proc(rows: ^Rows,", "rows_next :: proc(rows: ^Stmt,")
    expect_one(problems, "keel_rows_next", "keel_stmt*")


def test_grouped_parameter_names_are_counted():
    # `a, b: T` declares two parameters.
    problems = drift_in_odin(
        "stmt_execute_batch :: proc(stmt: ^Stmt, params: [^]Value, n_rows: c.size_t, n_cols: c.size_t,",
        "stmt_execute_batch :: proc(stmt: ^Stmt, params: [^]Value, n_rows, n_cols: c.size_t,",
    )
    assert problems == []
    problems = drift_in_odin(
        "stmt_execute_batch :: proc(stmt: ^Stmt, params: [^]Value, n_rows: c.size_t, n_cols: c.size_t,",
        "stmt_execute_batch :: proc(stmt: ^Stmt, params: [^]Value, n_rows: c.size_t,",
    )
    expect_one(problems, "keel_stmt_execute_batch")


def test_an_enum_with_another_backing_type():
    expect_one(drift_in_odin("Nullable :: enum i32 {", "Nullable :: enum i64 {"), "keel_nullable")


def test_an_enum_member_without_a_number():
    expect_one(drift_in_odin("\tMssql    = 4,", "\tMssql,"), "Mssql", "explicit number")


def test_an_extra_procedure():
    problems = drift_in_odin("\tversion :: proc() -> cstring ---", "\tversion :: proc() -> cstring ---\n\tversion_text :: proc() -> cstring ---")
    expect_one(problems, "keel_version_text", "not in keel.h")


def test_a_struct_field_of_another_size():
    expect_one(drift_in_odin("\twait_timeouts:        u64,", "\twait_timeouts:        u32,"), "keel_pool_stats")


def test_a_commented_out_declaration_does_not_count():
    problems = drift_in_odin("\tbuffer_len :: proc(buffer: ^Buffer) -> c.size_t ---", "\t// buffer_len :: proc(buffer: ^Buffer) -> c.size_t ---")
    expect_one(problems, "keel_buffer_len", "not in keel.odin")


def test_an_unknown_odin_type_is_reported_not_guessed():
    with pytest.raises(odin_drift.ParseError, match="rawptr"):
        odin_drift.compare(HEADER, edited(ODIN, "buffer_len :: proc(buffer: ^Buffer)", "buffer_len :: proc(buffer: rawptr)"))
