//! The parts of DuckDB's C API (duckdb.h) this driver uses, declared by
//! hand with `extern` (Zig 0.17 has no @cImport). Each declaration follows
//! duckdb.h of the pinned DuckDB version (see ../README.md), and
//! ../tests/test_duckdb_h.py has a C compiler check every declaration,
//! struct, alias and constant here against that duckdb.h.

pub const idx_t = u64;
pub const duckdb_state = c_int; // DuckDBSuccess = 0, DuckDBError = 1
pub const Success: duckdb_state = 0;
// C enums, as the functions below return them.
pub const duckdb_type = c_int;
pub const duckdb_error_type = c_int;
pub const duckdb_statement_type = c_int;
pub const duckdb_result_type = c_int;

pub const duckdb_database = ?*anyopaque;
pub const duckdb_connection = ?*anyopaque;
pub const duckdb_prepared_statement = ?*anyopaque;
pub const duckdb_data_chunk = ?*anyopaque;
pub const duckdb_vector = ?*anyopaque;
pub const duckdb_logical_type = ?*anyopaque;
pub const duckdb_appender = ?*anyopaque;
pub const duckdb_value = ?*anyopaque;
pub const duckdb_error_data = ?*anyopaque;
pub const duckdb_config = ?*anyopaque;

/// duckdb.h's struct of the deprecated column array, never read here.
pub const duckdb_column = opaque {};

/// 48 bytes; passed by value to duckdb_fetch_chunk.
pub const duckdb_result = extern struct {
    deprecated_column_count: idx_t = 0,
    deprecated_row_count: idx_t = 0,
    deprecated_rows_changed: idx_t = 0,
    deprecated_columns: ?*duckdb_column = null,
    deprecated_error_message: ?[*:0]u8 = null,
    internal_data: ?*anyopaque = null,
};

pub const duckdb_date = extern struct { days: i32 };
pub const duckdb_time = extern struct { micros: i64 };
pub const duckdb_timestamp = extern struct { micros: i64 };

/// DUCKDB_TYPE values (duckdb_type).
pub const T = struct {
    pub const INVALID = 0;
    pub const BOOLEAN = 1;
    pub const TINYINT = 2;
    pub const SMALLINT = 3;
    pub const INTEGER = 4;
    pub const BIGINT = 5;
    pub const UTINYINT = 6;
    pub const USMALLINT = 7;
    pub const UINTEGER = 8;
    pub const UBIGINT = 9;
    pub const FLOAT = 10;
    pub const DOUBLE = 11;
    pub const TIMESTAMP = 12;
    pub const DATE = 13;
    pub const TIME = 14;
    pub const INTERVAL = 15;
    pub const HUGEINT = 16;
    pub const VARCHAR = 17;
    pub const BLOB = 18;
    pub const DECIMAL = 19;
    pub const TIMESTAMP_S = 20;
    pub const TIMESTAMP_MS = 21;
    pub const TIMESTAMP_NS = 22;
    pub const ENUM = 23;
    pub const LIST = 24;
    pub const STRUCT = 25;
    pub const MAP = 26;
    pub const UUID = 27;
    pub const UNION = 28;
    pub const BIT = 29;
    pub const TIME_TZ = 30;
    pub const TIMESTAMP_TZ = 31;
    pub const UHUGEINT = 32;
    pub const ARRAY = 33;
    pub const BIGNUM = 35;
    pub const SQLNULL = 36;
    pub const TIME_NS = 39;
    pub const GEOMETRY = 40;
    pub const VARIANT = 41;
};

/// duckdb_statement_type: DUCKDB_STATEMENT_TYPE_TRANSACTION.
pub const STATEMENT_TYPE_TRANSACTION = 10;
/// duckdb_statement_type: the statements that change rows.
pub const STATEMENT_TYPE_INSERT = 2;
pub const STATEMENT_TYPE_UPDATE = 3;
pub const STATEMENT_TYPE_DELETE = 5;
pub const STATEMENT_TYPE_MERGE_INTO = 30;
/// duckdb_statement_type: statements whose result is always rows.
pub const STATEMENT_TYPE_SELECT = 1;
pub const STATEMENT_TYPE_EXPLAIN = 4;
pub const STATEMENT_TYPE_CALL = 19;
/// duckdb_statement_type: statements that change the schema, the session
/// or the files, whose result is a count or nothing.
pub const STATEMENT_TYPE_CREATE = 7;
pub const STATEMENT_TYPE_ALTER = 9;
pub const STATEMENT_TYPE_COPY = 11;
pub const STATEMENT_TYPE_ANALYZE = 12;
pub const STATEMENT_TYPE_VARIABLE_SET = 13;
pub const STATEMENT_TYPE_CREATE_FUNC = 14;
pub const STATEMENT_TYPE_DROP = 15;
pub const STATEMENT_TYPE_VACUUM = 18;
pub const STATEMENT_TYPE_SET = 20;
pub const STATEMENT_TYPE_LOAD = 21;
pub const STATEMENT_TYPE_ATTACH = 25;
pub const STATEMENT_TYPE_DETACH = 26;
/// duckdb_result_type: DUCKDB_RESULT_TYPE_QUERY_RESULT, a result of rows
/// (RETURNING), not a count.
pub const RESULT_TYPE_QUERY_RESULT = 3;

/// duckdb_error_type values this driver maps to a keel status.
pub const E = struct {
    pub const OUT_OF_RANGE = 1;
    pub const CONVERSION = 2;
    pub const DIVIDE_BY_ZERO = 6;
    pub const TRANSACTION = 10;
    pub const NOT_IMPLEMENTED = 11;
    pub const CATALOG = 13;
    pub const PARSER = 14;
    pub const CONSTRAINT = 18;
    pub const SYNTAX = 22;
    pub const BINDER = 24;
    pub const IO = 28;
    pub const INTERRUPT = 29;
    pub const INVALID_INPUT = 32;
    pub const PERMISSION = 34;
};

pub extern fn duckdb_open_ext(path: [*:0]const u8, out_database: *duckdb_database, config: duckdb_config, out_error: *?[*:0]u8) duckdb_state;
pub extern fn duckdb_close(database: *duckdb_database) void;
pub extern fn duckdb_connect(database: duckdb_database, out_connection: *duckdb_connection) duckdb_state;
pub extern fn duckdb_interrupt(connection: duckdb_connection) void;
pub extern fn duckdb_disconnect(connection: *duckdb_connection) void;
pub extern fn duckdb_library_version() [*:0]const u8;
pub extern fn duckdb_query(connection: duckdb_connection, query: [*:0]const u8, out_result: ?*duckdb_result) duckdb_state;
pub extern fn duckdb_destroy_result(result: *duckdb_result) void;
pub extern fn duckdb_result_error(result: *duckdb_result) ?[*:0]const u8;
pub extern fn duckdb_result_error_type(result: *duckdb_result) duckdb_error_type;
pub extern fn duckdb_column_count(result: *duckdb_result) idx_t;
pub extern fn duckdb_column_name(result: *duckdb_result, col: idx_t) ?[*:0]const u8;
pub extern fn duckdb_column_type(result: *duckdb_result, col: idx_t) duckdb_type;
pub extern fn duckdb_column_logical_type(result: *duckdb_result, col: idx_t) duckdb_logical_type;
pub extern fn duckdb_rows_changed(result: *duckdb_result) idx_t;
pub extern fn duckdb_fetch_chunk(result: duckdb_result) duckdb_data_chunk;
pub extern fn duckdb_result_return_type(result: duckdb_result) duckdb_result_type;
pub extern fn duckdb_destroy_data_chunk(chunk: *duckdb_data_chunk) void;
pub extern fn duckdb_data_chunk_get_size(chunk: duckdb_data_chunk) idx_t;
pub extern fn duckdb_data_chunk_get_vector(chunk: duckdb_data_chunk, col_idx: idx_t) duckdb_vector;
pub extern fn duckdb_vector_get_data(vector: duckdb_vector) ?*anyopaque;
pub extern fn duckdb_vector_get_validity(vector: duckdb_vector) ?[*]u64;
pub extern fn duckdb_decimal_width(t: duckdb_logical_type) u8;
pub extern fn duckdb_decimal_scale(t: duckdb_logical_type) u8;
pub extern fn duckdb_decimal_internal_type(t: duckdb_logical_type) duckdb_type;
pub extern fn duckdb_logical_type_get_alias(t: duckdb_logical_type) ?[*:0]u8;
pub extern fn duckdb_destroy_logical_type(t: *duckdb_logical_type) void;
pub extern fn duckdb_free(ptr: ?*anyopaque) void;
pub extern fn duckdb_prepare(connection: duckdb_connection, query: [*:0]const u8, out: *duckdb_prepared_statement) duckdb_state;
pub extern fn duckdb_destroy_prepare(stmt: *duckdb_prepared_statement) void;
pub extern fn duckdb_prepare_error(stmt: duckdb_prepared_statement) ?[*:0]const u8;
pub extern fn duckdb_nparams(stmt: duckdb_prepared_statement) idx_t;
pub extern fn duckdb_prepared_statement_type(stmt: duckdb_prepared_statement) duckdb_statement_type;
pub extern fn duckdb_prepared_statement_column_count(stmt: duckdb_prepared_statement) idx_t;
pub extern fn duckdb_prepared_statement_column_name(stmt: duckdb_prepared_statement, col_idx: idx_t) ?[*:0]const u8;
pub extern fn duckdb_prepared_statement_column_logical_type(stmt: duckdb_prepared_statement, col_idx: idx_t) duckdb_logical_type;
pub extern fn duckdb_prepared_statement_column_type(stmt: duckdb_prepared_statement, col_idx: idx_t) duckdb_type;
pub extern fn duckdb_clear_bindings(stmt: duckdb_prepared_statement) duckdb_state;
pub extern fn duckdb_bind_boolean(stmt: duckdb_prepared_statement, idx: idx_t, val: bool) duckdb_state;
pub extern fn duckdb_bind_int64(stmt: duckdb_prepared_statement, idx: idx_t, val: i64) duckdb_state;
pub extern fn duckdb_bind_uint64(stmt: duckdb_prepared_statement, idx: idx_t, val: u64) duckdb_state;
pub extern fn duckdb_bind_double(stmt: duckdb_prepared_statement, idx: idx_t, val: f64) duckdb_state;
pub extern fn duckdb_bind_date(stmt: duckdb_prepared_statement, idx: idx_t, val: duckdb_date) duckdb_state;
pub extern fn duckdb_bind_time(stmt: duckdb_prepared_statement, idx: idx_t, val: duckdb_time) duckdb_state;
pub extern fn duckdb_bind_timestamp(stmt: duckdb_prepared_statement, idx: idx_t, val: duckdb_timestamp) duckdb_state;
pub extern fn duckdb_bind_timestamp_tz(stmt: duckdb_prepared_statement, idx: idx_t, val: duckdb_timestamp) duckdb_state;
pub extern fn duckdb_bind_varchar_length(stmt: duckdb_prepared_statement, idx: idx_t, val: [*]const u8, length: idx_t) duckdb_state;
pub extern fn duckdb_bind_blob(stmt: duckdb_prepared_statement, idx: idx_t, data: ?*const anyopaque, length: idx_t) duckdb_state;
pub extern fn duckdb_bind_null(stmt: duckdb_prepared_statement, idx: idx_t) duckdb_state;
pub extern fn duckdb_execute_prepared(stmt: duckdb_prepared_statement, out_result: *duckdb_result) duckdb_state;
/// Marked deprecated since DuckDB 1.0 ("scheduled for removal"), yet the C
/// API's only way to a result that is computed as it is read.
pub extern fn duckdb_execute_prepared_streaming(stmt: duckdb_prepared_statement, out_result: *duckdb_result) duckdb_state;
pub extern fn duckdb_appender_create(connection: duckdb_connection, schema: ?[*:0]const u8, table: [*:0]const u8, out_appender: *duckdb_appender) duckdb_state;
pub extern fn duckdb_appender_add_column(appender: duckdb_appender, name: [*:0]const u8) duckdb_state;
pub extern fn duckdb_appender_error_data(appender: duckdb_appender) duckdb_error_data;
pub extern fn duckdb_appender_end_row(appender: duckdb_appender) duckdb_state;
pub extern fn duckdb_appender_clear(appender: duckdb_appender) duckdb_state;
pub extern fn duckdb_appender_close(appender: duckdb_appender) duckdb_state;
pub extern fn duckdb_appender_destroy(appender: *duckdb_appender) duckdb_state;
pub extern fn duckdb_append_bool(appender: duckdb_appender, value: bool) duckdb_state;
pub extern fn duckdb_append_int64(appender: duckdb_appender, value: i64) duckdb_state;
pub extern fn duckdb_append_uint64(appender: duckdb_appender, value: u64) duckdb_state;
pub extern fn duckdb_append_double(appender: duckdb_appender, value: f64) duckdb_state;
pub extern fn duckdb_append_date(appender: duckdb_appender, value: duckdb_date) duckdb_state;
pub extern fn duckdb_append_time(appender: duckdb_appender, value: duckdb_time) duckdb_state;
pub extern fn duckdb_append_timestamp(appender: duckdb_appender, value: duckdb_timestamp) duckdb_state;
pub extern fn duckdb_append_varchar_length(appender: duckdb_appender, val: [*]const u8, length: idx_t) duckdb_state;
pub extern fn duckdb_append_blob(appender: duckdb_appender, data: ?*const anyopaque, length: idx_t) duckdb_state;
pub extern fn duckdb_append_null(appender: duckdb_appender) duckdb_state;
pub extern fn duckdb_append_value(appender: duckdb_appender, value: duckdb_value) duckdb_state;
pub extern fn duckdb_create_varchar_length(text: [*]const u8, length: idx_t) duckdb_value;
pub extern fn duckdb_create_timestamp_tz(input: duckdb_timestamp) duckdb_value;
pub extern fn duckdb_destroy_value(value: *duckdb_value) void;
pub extern fn duckdb_error_data_error_type(error_data: duckdb_error_data) duckdb_error_type;
pub extern fn duckdb_error_data_message(error_data: duckdb_error_data) ?[*:0]const u8;
pub extern fn duckdb_destroy_error_data(error_data: *duckdb_error_data) void;

test "struct layouts follow duckdb.h" {
    const std = @import("std");
    try std.testing.expectEqual(@as(usize, 48), @sizeOf(duckdb_result));
    try std.testing.expectEqual(@as(usize, 40), @offsetOf(duckdb_result, "internal_data"));
    try std.testing.expectEqual(@as(usize, 4), @sizeOf(duckdb_date));
    try std.testing.expectEqual(@as(usize, 8), @sizeOf(duckdb_timestamp));
}
