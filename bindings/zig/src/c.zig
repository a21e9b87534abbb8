//! Raw declarations of the C API in `include/keel.h`.
//!
//! Zig 0.17 has no `@cImport`, so every type, constant and function of the
//! header is written out here by hand, with the C names unchanged. Nothing
//! here adds behaviour: the idiomatic layer lives in `keel.zig` and the
//! files it re-exports. `src/drift.zig` checks this file against the
//! header (names, enum numbers, struct fields and the kind of every
//! parameter), so an edit to the header that is not mirrored here fails
//! `zig build test`.
//!
//! Mapping rules: `T *` becomes `?*T` (or `?[*]T` for arrays, `?[*:0]const
//! u8` for NUL-terminated strings), so NULL can be passed where C allows it;
//! the enum typedefs are `i32`, as the header declares them `int32_t`.

pub const KEEL_VERSION_MAJOR = 0;
pub const KEEL_VERSION_MINOR = 1;
pub const KEEL_VERSION_PATCH = 0;
pub const KEEL_VERSION_NUMBER = 1000;

// enum keel_status
pub const keel_status = i32;
pub const KEEL_STATUS_OK: keel_status = 0;
pub const KEEL_STATUS_UNKNOWN: keel_status = 1;
pub const KEEL_STATUS_NOT_IMPLEMENTED: keel_status = 2;
pub const KEEL_STATUS_NOT_FOUND: keel_status = 3;
pub const KEEL_STATUS_ALREADY_EXISTS: keel_status = 4;
pub const KEEL_STATUS_INVALID_ARGUMENT: keel_status = 5;
pub const KEEL_STATUS_INVALID_STATE: keel_status = 6;
pub const KEEL_STATUS_INVALID_DATA: keel_status = 7;
pub const KEEL_STATUS_INTEGRITY: keel_status = 8;
pub const KEEL_STATUS_INTERNAL: keel_status = 9;
pub const KEEL_STATUS_IO: keel_status = 10;
pub const KEEL_STATUS_CANCELLED: keel_status = 11;
pub const KEEL_STATUS_TIMEOUT: keel_status = 12;
pub const KEEL_STATUS_UNAUTHENTICATED: keel_status = 13;
pub const KEEL_STATUS_UNAUTHORIZED: keel_status = 14;
pub const KEEL_STATUS_BUSY: keel_status = 15;
pub const KEEL_STATUS_NULL_ARGUMENT: keel_status = 16;
pub const KEEL_STATUS_PANIC: keel_status = 17;

// enum keel_dialect
pub const keel_dialect = i32;
pub const KEEL_DIALECT_UNKNOWN: keel_dialect = 0;
pub const KEEL_DIALECT_SQLITE: keel_dialect = 1;
pub const KEEL_DIALECT_POSTGRES: keel_dialect = 2;
pub const KEEL_DIALECT_MYSQL: keel_dialect = 3;
pub const KEEL_DIALECT_MSSQL: keel_dialect = 4;

// enum keel_retry_safety
pub const keel_retry_safety = i32;
pub const KEEL_RETRY_SAFETY_UNKNOWN: keel_retry_safety = 0;
pub const KEEL_RETRY_SAFETY_NOT_SENT: keel_retry_safety = 1;
pub const KEEL_RETRY_SAFETY_MAY_HAVE_RUN: keel_retry_safety = 2;

// enum keel_type
pub const keel_type = i32;
pub const KEEL_TYPE_NULL: keel_type = 0;
pub const KEEL_TYPE_BOOL: keel_type = 1;
pub const KEEL_TYPE_INT64: keel_type = 2;
pub const KEEL_TYPE_UINT64: keel_type = 3;
pub const KEEL_TYPE_DOUBLE: keel_type = 4;
pub const KEEL_TYPE_TEXT: keel_type = 5;
pub const KEEL_TYPE_BYTES: keel_type = 6;
pub const KEEL_TYPE_DATE: keel_type = 7;
pub const KEEL_TYPE_TIME: keel_type = 8;
pub const KEEL_TYPE_TIMESTAMP: keel_type = 9;
pub const KEEL_TYPE_TIMESTAMPTZ: keel_type = 10;
pub const KEEL_TYPE_UUID: keel_type = 11;
pub const KEEL_TYPE_JSON: keel_type = 12;
pub const KEEL_TYPE_DECIMAL: keel_type = 13;

// enum keel_nullable
pub const keel_nullable = i32;
pub const KEEL_NULLABLE_UNKNOWN: keel_nullable = 0;
pub const KEEL_NULLABLE_NO: keel_nullable = 1;
pub const KEEL_NULLABLE_YES: keel_nullable = 2;

// enum keel_isolation
pub const keel_isolation = i32;
pub const KEEL_ISOLATION_DEFAULT: keel_isolation = 0;
pub const KEEL_ISOLATION_READ_UNCOMMITTED: keel_isolation = 1;
pub const KEEL_ISOLATION_READ_COMMITTED: keel_isolation = 2;
pub const KEEL_ISOLATION_REPEATABLE_READ: keel_isolation = 3;
pub const KEEL_ISOLATION_SNAPSHOT: keel_isolation = 4;
pub const KEEL_ISOLATION_SERIALIZABLE: keel_isolation = 5;

// enum keel_tx_lock
pub const keel_tx_lock = i32;
pub const KEEL_TX_LOCK_DEFAULT: keel_tx_lock = 0;
pub const KEEL_TX_LOCK_DEFERRED: keel_tx_lock = 1;
pub const KEEL_TX_LOCK_IMMEDIATE: keel_tx_lock = 2;
pub const KEEL_TX_LOCK_EXCLUSIVE: keel_tx_lock = 3;

// enum keel_batch_format
pub const keel_batch_format = i32;
pub const KEEL_BATCH_FORMAT_PICKLE5: keel_batch_format = 1;

// enum keel_capability
pub const keel_capability = i32;
pub const KEEL_CAPABILITY_SEVERAL_CURSORS: keel_capability = 1;
pub const KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE: keel_capability = 2;

// Opaque handles.
pub const keel_buffer = opaque {};
pub const keel_cancel = opaque {};
pub const keel_conn = opaque {};
pub const keel_db = opaque {};
pub const keel_error = opaque {};
pub const keel_rows = opaque {};
pub const keel_stmt = opaque {};

/// One value, in either direction (see `keel_value` in keel.h).
pub const keel_value = extern struct {
    kind: i32,
    int_value: i64,
    uint_value: u64,
    double_value: f64,
    data: ?[*]const u8,
    len: usize,
};

// The next three start with their own size (keel.h, ABI STABILITY): make
// them with `.{ .size = @sizeOf(T) }`; every other field defaults to 0.

/// What a statement that returns no rows did.
pub const keel_exec_result = extern struct {
    size: usize = 0,
    rows_affected: u64 = 0,
    last_insert_id: i64 = 0,
    has_last_insert_id: bool = false,
};

/// Options for `keel_conn_begin`; all zero means the engine's defaults.
pub const keel_tx_options = extern struct {
    size: usize = 0,
    isolation: i32 = 0,
    lock: i32 = 0,
    read_only: bool = false,
};

/// A pool's statistics, from `keel_db_stats`.
pub const keel_pool_stats = extern struct {
    size: usize = 0,
    open: u64 = 0,
    in_use: u64 = 0,
    idle: u64 = 0,
    wait_count: u64 = 0,
    wait_duration_us: u64 = 0,
    wait_timeouts: u64 = 0,
    closed_max_idle: u64 = 0,
    closed_max_lifetime: u64 = 0,
    closed_max_idle_time: u64 = 0,
    closed_broken: u64 = 0,
    stmt_cache_hits: u64 = 0,
    stmt_cache_misses: u64 = 0,
};

/// One option for `keel_db_open_options`.
pub const keel_option = extern struct {
    key: ?[*:0]const u8,
    value: ?[*:0]const u8,
};

// keel_buffer and batches
pub extern fn keel_rows_fetch_batch(rows: ?*keel_rows, max_rows: usize, format: i32, buffer_out: ?*?*keel_buffer, data_out: ?*?[*]const u8, len_out: ?*usize, n_rows_out: ?*usize, end_out: ?*bool, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_buffer_data(buffer: ?*const keel_buffer) ?[*]const u8;
pub extern fn keel_buffer_len(buffer: ?*const keel_buffer) usize;
pub extern fn keel_buffer_free(buffer: ?*keel_buffer) void;
pub extern fn keel_stmt_execute_batch(stmt: ?*keel_stmt, params: ?[*]const keel_value, n_rows: usize, n_cols: usize, result_out: ?*keel_exec_result, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_execute_batch_encoded(stmt: ?*keel_stmt, format: i32, data: ?[*]const u8, len: usize, result_out: ?*keel_exec_result, err_out: ?*?*keel_error) keel_status;

// keel_cancel
pub extern fn keel_conn_cancel_handle(conn: ?*keel_conn, cancel_out: ?*?*keel_cancel, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_cancel_request(cancel: ?*keel_cancel, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_cancel_free(cancel: ?*keel_cancel) void;

// keel_conn
pub extern fn keel_conn_free(conn: ?*keel_conn) void;
pub extern fn keel_conn_return(conn: ?*keel_conn) void;
pub extern fn keel_conn_close(conn: ?*keel_conn, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_exec(conn: ?*keel_conn, sql: ?[*:0]const u8, params: ?[*]const keel_value, n_params: usize, result_out: ?*keel_exec_result, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_exec_len(conn: ?*keel_conn, sql: ?[*]const u8, sql_len: usize, params: ?[*]const keel_value, n_params: usize, result_out: ?*keel_exec_result, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_query(conn: ?*keel_conn, sql: ?[*:0]const u8, params: ?[*]const keel_value, n_params: usize, rows_out: ?*?*keel_rows, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_query_len(conn: ?*keel_conn, sql: ?[*]const u8, sql_len: usize, params: ?[*]const keel_value, n_params: usize, rows_out: ?*?*keel_rows, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_prepare(conn: ?*keel_conn, sql: ?[*:0]const u8, stmt_out: ?*?*keel_stmt, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_prepare_len(conn: ?*keel_conn, sql: ?[*]const u8, sql_len: usize, stmt_out: ?*?*keel_stmt, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_prepare_cached(conn: ?*keel_conn, sql: ?[*]const u8, sql_len: usize, stmt_out: ?*?*keel_stmt, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_begin(conn: ?*keel_conn, options: ?*const keel_tx_options, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_commit(conn: ?*keel_conn, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_rollback(conn: ?*keel_conn, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_savepoint(conn: ?*keel_conn, name: ?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_release(conn: ?*keel_conn, name: ?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_savepoint_release(conn: ?*keel_conn, name: ?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_rollback_to(conn: ?*keel_conn, name: ?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_ping(conn: ?*keel_conn, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_in_transaction(conn: ?*const keel_conn) bool;
pub extern fn keel_conn_dialect(conn: ?*const keel_conn) keel_dialect;
pub extern fn keel_conn_supports(conn: ?*const keel_conn, capability: i32, supported_out: ?*bool, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_conn_server_version(conn: ?*keel_conn, version_out: ?*?[*:0]const u8, err_out: ?*?*keel_error) keel_status;

// keel_db
pub extern fn keel_db_open(url: ?[*:0]const u8, db_out: ?*?*keel_db, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_free(db: ?*keel_db) void;
pub extern fn keel_db_open_options(url: ?[*:0]const u8, options: ?[*]const keel_option, n_options: usize, db_out: ?*?*keel_db, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_stats(db: ?*keel_db, stats_out: ?*keel_pool_stats, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_checkout(db: ?*keel_db, conn_out: ?*?*keel_conn, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_exec(db: ?*keel_db, sql: ?[*:0]const u8, params: ?[*]const keel_value, n_params: usize, result_out: ?*keel_exec_result, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_query(db: ?*keel_db, sql: ?[*:0]const u8, params: ?[*]const keel_value, n_params: usize, rows_out: ?*?*keel_rows, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_exec_len(db: ?*keel_db, sql: ?[*]const u8, sql_len: usize, params: ?[*]const keel_value, n_params: usize, result_out: ?*keel_exec_result, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_query_len(db: ?*keel_db, sql: ?[*]const u8, sql_len: usize, params: ?[*]const keel_value, n_params: usize, rows_out: ?*?*keel_rows, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_db_dialect(db: ?*const keel_db) keel_dialect;

// keel_error
pub extern fn keel_error_free(err: ?*keel_error) void;
pub extern fn keel_error_status(err: ?*const keel_error) keel_status;
pub extern fn keel_error_message(err: ?*const keel_error) [*:0]const u8;
pub extern fn keel_error_sqlstate(err: ?*const keel_error) [*:0]const u8;
pub extern fn keel_error_vendor_code(err: ?*const keel_error) i32;
pub extern fn keel_error_driver(err: ?*const keel_error) [*:0]const u8;
pub extern fn keel_error_retry_safety(err: ?*const keel_error) keel_retry_safety;
pub extern fn keel_status_str(status: i32) [*:0]const u8;

// keel_rows
pub extern fn keel_rows_free(rows: ?*keel_rows) void;
pub extern fn keel_rows_next(rows: ?*keel_rows, has_row: ?*bool, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_next_values(rows: ?*keel_rows, values_out: ?*keel_value, count: usize, has_row: ?*bool, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_count(rows: ?*const keel_rows) usize;
pub extern fn keel_rows_column_name(rows: ?*keel_rows, index: usize, name_out: ?*?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_index(rows: ?*keel_rows, name: ?[*]const u8, name_len: usize, index_out: ?*usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_engine_type(rows: ?*keel_rows, index: usize, type_out: ?*?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_type(rows: ?*keel_rows, index: usize, type_out: ?*keel_type, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_nullable(rows: ?*keel_rows, index: usize, nullable_out: ?*keel_nullable, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_is_null(rows: ?*keel_rows, index: usize, is_null_out: ?*bool, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_int64(rows: ?*keel_rows, index: usize, value_out: ?*i64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_uint64(rows: ?*keel_rows, index: usize, value_out: ?*u64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_double(rows: ?*keel_rows, index: usize, value_out: ?*f64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_bool(rows: ?*keel_rows, index: usize, value_out: ?*bool, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_text(rows: ?*keel_rows, index: usize, text_out: ?*?[*:0]const u8, len_out: ?*usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_bytes(rows: ?*keel_rows, index: usize, data_out: ?*?[*]const u8, len_out: ?*usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_date(rows: ?*keel_rows, index: usize, days_out: ?*i32, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_time(rows: ?*keel_rows, index: usize, micros_out: ?*i64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_timestamp(rows: ?*keel_rows, index: usize, micros_out: ?*i64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_tz_offset(rows: ?*keel_rows, index: usize, seconds_east_out: ?*i32, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_uuid(rows: ?*keel_rows, index: usize, uuid16_out: ?[*]u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_rows_column_value(rows: ?*keel_rows, index: usize, value_out: ?*keel_value, err_out: ?*?*keel_error) keel_status;

// keel_stmt
pub extern fn keel_stmt_free(stmt: ?*keel_stmt) void;
pub extern fn keel_stmt_param_count(stmt: ?*const keel_stmt) usize;
pub extern fn keel_stmt_column_count(stmt: ?*keel_stmt, count_out: ?*usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_column_name(stmt: ?*keel_stmt, index: usize, name_out: ?*?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_column_engine_type(stmt: ?*keel_stmt, index: usize, type_out: ?*?[*:0]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_column_type(stmt: ?*keel_stmt, index: usize, type_out: ?*keel_type, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_column_nullable(stmt: ?*keel_stmt, index: usize, nullable_out: ?*keel_nullable, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_null(stmt: ?*keel_stmt, index: usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_bool(stmt: ?*keel_stmt, index: usize, value: bool, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_int64(stmt: ?*keel_stmt, index: usize, value: i64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_uint64(stmt: ?*keel_stmt, index: usize, value: u64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_double(stmt: ?*keel_stmt, index: usize, value: f64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_text(stmt: ?*keel_stmt, index: usize, text: ?[*]const u8, len: usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_bytes(stmt: ?*keel_stmt, index: usize, data: ?[*]const u8, len: usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_date(stmt: ?*keel_stmt, index: usize, days: i32, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_time(stmt: ?*keel_stmt, index: usize, micros: i64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_timestamp(stmt: ?*keel_stmt, index: usize, micros: i64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_timestamptz(stmt: ?*keel_stmt, index: usize, micros: i64, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_timestamptz_offset(stmt: ?*keel_stmt, index: usize, micros: i64, offset_seconds: i32, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_uuid(stmt: ?*keel_stmt, index: usize, uuid16: ?[*]const u8, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_json(stmt: ?*keel_stmt, index: usize, json: ?[*]const u8, len: usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_decimal(stmt: ?*keel_stmt, index: usize, decimal: ?[*]const u8, len: usize, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_bind_value(stmt: ?*keel_stmt, index: usize, value: ?*const keel_value, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_clear_bindings(stmt: ?*keel_stmt, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_execute(stmt: ?*keel_stmt, result_out: ?*keel_exec_result, err_out: ?*?*keel_error) keel_status;
pub extern fn keel_stmt_query(stmt: ?*keel_stmt, rows_out: ?*?*keel_rows, err_out: ?*?*keel_error) keel_status;

// version and drivers
pub extern fn keel_version() [*:0]const u8;
pub extern fn keel_version_number() u32;
pub extern fn keel_driver_available(name: ?[*:0]const u8) bool;
