//! The C ABI contract, exercised from Rust through the exported
//! `extern "C"` functions: NULL arguments, `_free(NULL)`, error-object
//! defaults, outputs untouched on failure, the panic boundary and handle
//! poisoning, argument and conversion errors, one statement per call, error
//! details (SQL quote, SQLSTATE, vendor code), borrowed-pointer lifetimes,
//! and passwords kept out of messages.

mod ffi_util;

use ffi_util::*;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use keel::ffi::arrow::*;
use keel::ffi::batch::*;
use keel::ffi::cancel::*;
use keel::ffi::catalog::*;
use keel::ffi::conn::*;
use keel::ffi::db::*;
use keel::ffi::error::*;
use keel::ffi::force_panic_in_next_call;
use keel::ffi::rows::*;
use keel::ffi::stmt::*;
use keel::ffi::types::{keel_exec_result, keel_tx_options};
use keel::ffi::version::*;
use keel::{Dialect, Nullable, RetrySafety, Status, Type};
use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};

/// Valid handles of every kind, for calls that need all but one argument.
struct Fx {
    db: *mut keel_db,
    conn: *mut keel_conn,
    /// `SELECT ?` prepared on `conn`.
    stmt: *mut keel_stmt,
    /// `SELECT 1 AS x`, positioned on its row.
    rows: *mut keel_rows,
}

impl Fx {
    fn new() -> Fx {
        let db = memory_db();
        let conn = checkout(db);
        let stmt = prepare(conn, "SELECT ?");
        let rows = query(conn, "SELECT 1 AS x", &[]);
        assert!(next(rows));
        Fx { db, conn, stmt, rows }
    }
}

impl Drop for Fx {
    fn drop(&mut self) {
        keel_rows_free(self.rows);
        keel_stmt_free(self.stmt);
        keel_conn_free(self.conn);
        keel_db_free(self.db);
    }
}

/// Whether `msg` names `arg` as a whole word (so `db` is not matched by
/// `db_out`).
fn names(msg: &str, arg: &str) -> bool {
    msg.split(|c: char| !(c.is_ascii_alphanumeric() || "_[].".contains(c)))
        .any(|w| w == arg)
}

type Case = (&'static str, &'static str, Box<dyn Fn(&Fx, *mut *mut keel_error) -> Status>);

/// One row per (exported function, pointer argument): the call with that
/// argument NULL and every other one valid.
fn null_cases() -> Vec<Case> {
    const MEM: &CStr = c"sqlite::memory:";
    const SEL: &CStr = c"SELECT ?";
    const SP: &CStr = c"sp";
    let mut v: Vec<Case> = Vec::new();
    macro_rules! case {
        ($f:literal, $arg:literal, |$fx:ident, $e:ident| $body:expr) => {
            v.push(($f, $arg, Box::new(move |$fx: &Fx, $e: *mut *mut keel_error| $body)))
        };
    }
    // keel_driver_*
    case!("keel_driver_register", "driver", |_fx, e| keel::ffi::driver::keel_driver_register(null(), e));
    case!("keel_driver_load", "path", |_fx, e| keel::ffi::driver::keel_driver_load(null(), e));
    // keel_db_*
    case!("keel_db_open", "url", |_fx, e| keel_db_open(null(), &mut null_mut(), e));
    case!("keel_db_open", "db_out", |_fx, e| keel_db_open(MEM.as_ptr(), null_mut(), e));
    case!("keel_db_open_options", "url", |_fx, e| keel_db_open_options(null(), null(), 0, &mut null_mut(), e));
    case!("keel_db_open_options", "db_out", |_fx, e| keel_db_open_options(MEM.as_ptr(), null(), 0, null_mut(), e));
    case!("keel_db_open_options", "options", |_fx, e| keel_db_open_options(MEM.as_ptr(), null(), 1, &mut null_mut(), e));
    case!("keel_db_open_options", "options[0].key", |_fx, e| {
        let o = keel::ffi::types::keel_option { key: null(), value: c"1".as_ptr() };
        keel_db_open_options(MEM.as_ptr(), &o, 1, &mut null_mut(), e)
    });
    case!("keel_db_open_options", "options[0].value", |_fx, e| {
        let o = keel::ffi::types::keel_option { key: c"pool_max_open".as_ptr(), value: null() };
        keel_db_open_options(MEM.as_ptr(), &o, 1, &mut null_mut(), e)
    });
    case!("keel_db_stats", "db", |_fx, e| keel_db_stats(null_mut(), &mut Default::default(), e));
    case!("keel_db_stats", "stats_out", |fx, e| keel_db_stats(fx.db, null_mut(), e));
    case!("keel_db_checkout", "db", |_fx, e| keel_db_checkout(null_mut(), &mut null_mut(), e));
    case!("keel_db_checkout", "conn_out", |fx, e| keel_db_checkout(fx.db, null_mut(), e));
    case!("keel_db_exec", "db", |_fx, e| keel_db_exec(null_mut(), SEL.as_ptr(), &v_i64(1), 1, null_mut(), e));
    case!("keel_db_exec", "sql", |fx, e| keel_db_exec(fx.db, null(), &v_i64(1), 1, null_mut(), e));
    case!("keel_db_exec", "params", |fx, e| keel_db_exec(fx.db, SEL.as_ptr(), null(), 1, null_mut(), e));
    case!("keel_db_query", "db", |_fx, e| keel_db_query(null_mut(), SEL.as_ptr(), &v_i64(1), 1, &mut null_mut(), e));
    case!("keel_db_query", "sql", |fx, e| keel_db_query(fx.db, null(), &v_i64(1), 1, &mut null_mut(), e));
    case!("keel_db_query", "params", |fx, e| keel_db_query(fx.db, SEL.as_ptr(), null(), 1, &mut null_mut(), e));
    case!("keel_db_query", "rows_out", |fx, e| keel_db_query(fx.db, SEL.as_ptr(), &v_i64(1), 1, null_mut(), e));
    // keel_conn_*
    case!("keel_conn_exec", "conn", |_fx, e| keel_conn_exec(null_mut(), SEL.as_ptr(), &v_i64(1), 1, null_mut(), e));
    case!("keel_conn_exec", "sql", |fx, e| keel_conn_exec(fx.conn, null(), &v_i64(1), 1, null_mut(), e));
    case!("keel_conn_exec", "params", |fx, e| keel_conn_exec(fx.conn, SEL.as_ptr(), null(), 1, null_mut(), e));
    case!("keel_conn_exec", "params[0].data", |fx, e| {
        let mut p = v_text(b"");
        p.data = null();
        p.len = 3;
        keel_conn_exec(fx.conn, SEL.as_ptr(), &p, 1, null_mut(), e)
    });
    case!("keel_conn_query", "conn", |_fx, e| keel_conn_query(null_mut(), SEL.as_ptr(), &v_i64(1), 1, &mut null_mut(), e));
    case!("keel_conn_query", "sql", |fx, e| keel_conn_query(fx.conn, null(), &v_i64(1), 1, &mut null_mut(), e));
    case!("keel_conn_query", "params", |fx, e| keel_conn_query(fx.conn, SEL.as_ptr(), null(), 1, &mut null_mut(), e));
    case!("keel_conn_query", "rows_out", |fx, e| keel_conn_query(fx.conn, SEL.as_ptr(), &v_i64(1), 1, null_mut(), e));
    case!("keel_conn_prepare", "conn", |_fx, e| keel_conn_prepare(null_mut(), SEL.as_ptr(), &mut null_mut(), e));
    case!("keel_conn_prepare", "sql", |fx, e| keel_conn_prepare(fx.conn, null(), &mut null_mut(), e));
    case!("keel_conn_prepare", "stmt_out", |fx, e| keel_conn_prepare(fx.conn, SEL.as_ptr(), null_mut(), e));
    case!("keel_conn_begin", "conn", |_fx, e| keel_conn_begin(null_mut(), null(), e));
    case!("keel_conn_commit", "conn", |_fx, e| keel_conn_commit(null_mut(), e));
    case!("keel_conn_rollback", "conn", |_fx, e| keel_conn_rollback(null_mut(), e));
    case!("keel_conn_savepoint", "conn", |_fx, e| keel_conn_savepoint(null_mut(), SP.as_ptr(), e));
    case!("keel_conn_savepoint", "name", |fx, e| keel_conn_savepoint(fx.conn, null(), e));
    case!("keel_conn_release", "conn", |_fx, e| keel_conn_release(null_mut(), SP.as_ptr(), e));
    case!("keel_conn_release", "name", |fx, e| keel_conn_release(fx.conn, null(), e));
    case!("keel_conn_savepoint_release", "conn", |_fx, e| keel_conn_savepoint_release(null_mut(), SP.as_ptr(), e));
    case!("keel_conn_savepoint_release", "name", |fx, e| keel_conn_savepoint_release(fx.conn, null(), e));
    case!("keel_conn_exec_len", "conn", |_fx, e| keel_conn_exec_len(null_mut(), SEL.as_ptr(), 8, &v_i64(1), 1, null_mut(), e));
    case!("keel_conn_exec_len", "sql", |fx, e| keel_conn_exec_len(fx.conn, null(), 8, &v_i64(1), 1, null_mut(), e));
    case!("keel_conn_exec_len", "params", |fx, e| keel_conn_exec_len(fx.conn, SEL.as_ptr(), 8, null(), 1, null_mut(), e));
    case!("keel_conn_query_len", "conn", |_fx, e| {
        keel_conn_query_len(null_mut(), SEL.as_ptr(), 8, &v_i64(1), 1, &mut null_mut(), e)
    });
    case!("keel_conn_query_len", "sql", |fx, e| keel_conn_query_len(fx.conn, null(), 8, &v_i64(1), 1, &mut null_mut(), e));
    case!("keel_conn_query_len", "params", |fx, e| {
        keel_conn_query_len(fx.conn, SEL.as_ptr(), 8, null(), 1, &mut null_mut(), e)
    });
    case!("keel_conn_query_len", "rows_out", |fx, e| {
        keel_conn_query_len(fx.conn, SEL.as_ptr(), 8, &v_i64(1), 1, null_mut(), e)
    });
    case!("keel_conn_prepare_len", "conn", |_fx, e| keel_conn_prepare_len(null_mut(), SEL.as_ptr(), 8, &mut null_mut(), e));
    case!("keel_conn_prepare_len", "sql", |fx, e| keel_conn_prepare_len(fx.conn, null(), 8, &mut null_mut(), e));
    case!("keel_conn_prepare_len", "stmt_out", |fx, e| keel_conn_prepare_len(fx.conn, SEL.as_ptr(), 8, null_mut(), e));
    case!("keel_conn_prepare_cached", "conn", |_fx, e| keel_conn_prepare_cached(null_mut(), SEL.as_ptr(), 8, &mut null_mut(), e));
    case!("keel_conn_prepare_cached", "sql", |fx, e| keel_conn_prepare_cached(fx.conn, null(), 8, &mut null_mut(), e));
    case!("keel_conn_prepare_cached", "stmt_out", |fx, e| keel_conn_prepare_cached(fx.conn, SEL.as_ptr(), 8, null_mut(), e));
    // The catalog calls: the connection, the output and the exact table
    // name are required; the other names may be NULL.
    case!("keel_conn_catalogs", "conn", |_fx, e| keel_conn_catalogs(null_mut(), &mut null_mut(), e));
    case!("keel_conn_catalogs", "rows_out", |fx, e| keel_conn_catalogs(fx.conn, null_mut(), e));
    case!("keel_conn_schemas", "conn", |_fx, e| keel_conn_schemas(null_mut(), null(), null(), &mut null_mut(), e));
    case!("keel_conn_schemas", "rows_out", |fx, e| keel_conn_schemas(fx.conn, null(), null(), null_mut(), e));
    case!("keel_conn_tables", "conn", |_fx, e| keel_conn_tables(null_mut(), null(), null(), null(), null(), &mut null_mut(), e));
    case!("keel_conn_tables", "rows_out", |fx, e| keel_conn_tables(fx.conn, null(), null(), null(), null(), null_mut(), e));
    case!("keel_conn_columns", "conn", |_fx, e| keel_conn_columns(null_mut(), null(), null(), null(), null(), &mut null_mut(), e));
    case!("keel_conn_columns", "rows_out", |fx, e| keel_conn_columns(fx.conn, null(), null(), null(), null(), null_mut(), e));
    case!("keel_conn_primary_keys", "conn", |_fx, e| keel_conn_primary_keys(null_mut(), null(), null(), c"t".as_ptr(), &mut null_mut(), e));
    case!("keel_conn_primary_keys", "table", |fx, e| keel_conn_primary_keys(fx.conn, null(), null(), null(), &mut null_mut(), e));
    case!("keel_conn_primary_keys", "rows_out", |fx, e| keel_conn_primary_keys(fx.conn, null(), null(), c"t".as_ptr(), null_mut(), e));
    case!("keel_conn_foreign_keys", "conn", |_fx, e| keel_conn_foreign_keys(null_mut(), null(), null(), c"t".as_ptr(), 0, &mut null_mut(), e));
    case!("keel_conn_foreign_keys", "table", |fx, e| keel_conn_foreign_keys(fx.conn, null(), null(), null(), 0, &mut null_mut(), e));
    case!("keel_conn_foreign_keys", "rows_out", |fx, e| keel_conn_foreign_keys(fx.conn, null(), null(), c"t".as_ptr(), 0, null_mut(), e));
    case!("keel_conn_indexes", "conn", |_fx, e| keel_conn_indexes(null_mut(), null(), null(), c"t".as_ptr(), &mut null_mut(), e));
    case!("keel_conn_indexes", "table", |fx, e| keel_conn_indexes(fx.conn, null(), null(), null(), &mut null_mut(), e));
    case!("keel_conn_indexes", "rows_out", |fx, e| keel_conn_indexes(fx.conn, null(), null(), c"t".as_ptr(), null_mut(), e));
    case!("keel_conn_unique_constraints", "conn", |_fx, e| keel_conn_unique_constraints(null_mut(), null(), null(), c"t".as_ptr(), &mut null_mut(), e));
    case!("keel_conn_unique_constraints", "table", |fx, e| keel_conn_unique_constraints(fx.conn, null(), null(), null(), &mut null_mut(), e));
    case!("keel_conn_unique_constraints", "rows_out", |fx, e| keel_conn_unique_constraints(fx.conn, null(), null(), c"t".as_ptr(), null_mut(), e));
    case!("keel_conn_check_constraints", "conn", |_fx, e| keel_conn_check_constraints(null_mut(), null(), null(), c"t".as_ptr(), &mut null_mut(), e));
    case!("keel_conn_check_constraints", "table", |fx, e| keel_conn_check_constraints(fx.conn, null(), null(), null(), &mut null_mut(), e));
    case!("keel_conn_check_constraints", "rows_out", |fx, e| keel_conn_check_constraints(fx.conn, null(), null(), c"t".as_ptr(), null_mut(), e));
    case!("keel_conn_supports", "conn", |_fx, e| keel_conn_supports(null(), 1, &mut false, e));
    case!("keel_conn_supports", "supported_out", |fx, e| keel_conn_supports(fx.conn, 1, null_mut(), e));
    case!("keel_db_exec_len", "db", |_fx, e| keel_db_exec_len(null_mut(), SEL.as_ptr(), 8, &v_i64(1), 1, null_mut(), e));
    case!("keel_db_exec_len", "sql", |fx, e| keel_db_exec_len(fx.db, null(), 8, &v_i64(1), 1, null_mut(), e));
    case!("keel_db_exec_len", "params", |fx, e| keel_db_exec_len(fx.db, SEL.as_ptr(), 8, null(), 1, null_mut(), e));
    case!("keel_db_query_len", "db", |_fx, e| {
        keel_db_query_len(null_mut(), SEL.as_ptr(), 8, &v_i64(1), 1, &mut null_mut(), e)
    });
    case!("keel_db_query_len", "sql", |fx, e| keel_db_query_len(fx.db, null(), 8, &v_i64(1), 1, &mut null_mut(), e));
    case!("keel_db_query_len", "params", |fx, e| keel_db_query_len(fx.db, SEL.as_ptr(), 8, null(), 1, &mut null_mut(), e));
    case!("keel_db_query_len", "rows_out", |fx, e| keel_db_query_len(fx.db, SEL.as_ptr(), 8, &v_i64(1), 1, null_mut(), e));
    case!("keel_conn_rollback_to", "conn", |_fx, e| keel_conn_rollback_to(null_mut(), SP.as_ptr(), e));
    case!("keel_conn_rollback_to", "name", |fx, e| keel_conn_rollback_to(fx.conn, null(), e));
    case!("keel_conn_ping", "conn", |_fx, e| keel_conn_ping(null_mut(), e));
    case!("keel_conn_server_version", "conn", |_fx, e| keel_conn_server_version(null_mut(), &mut null(), e));
    case!("keel_conn_server_version", "version_out", |fx, e| keel_conn_server_version(fx.conn, null_mut(), e));
    case!("keel_conn_cancel_handle", "conn", |_fx, e| keel_conn_cancel_handle(null_mut(), &mut null_mut(), e));
    case!("keel_conn_cancel_handle", "cancel_out", |fx, e| keel_conn_cancel_handle(fx.conn, null_mut(), e));
    case!("keel_cancel_request", "cancel", |_fx, e| keel_cancel_request(null_mut(), e));
    // keel_stmt_*
    case!("keel_stmt_bind_null", "stmt", |_fx, e| keel_stmt_bind_null(null_mut(), 0, e));
    case!("keel_stmt_bind_bool", "stmt", |_fx, e| keel_stmt_bind_bool(null_mut(), 0, true, e));
    case!("keel_stmt_bind_int64", "stmt", |_fx, e| keel_stmt_bind_int64(null_mut(), 0, 1, e));
    case!("keel_stmt_bind_uint64", "stmt", |_fx, e| keel_stmt_bind_uint64(null_mut(), 0, 1, e));
    case!("keel_stmt_bind_double", "stmt", |_fx, e| keel_stmt_bind_double(null_mut(), 0, 1.0, e));
    case!("keel_stmt_bind_text", "stmt", |_fx, e| keel_stmt_bind_text(null_mut(), 0, c"x".as_ptr(), 1, e));
    case!("keel_stmt_bind_text", "text", |fx, e| keel_stmt_bind_text(fx.stmt, 0, null(), 1, e));
    case!("keel_stmt_bind_bytes", "stmt", |_fx, e| keel_stmt_bind_bytes(null_mut(), 0, b"x".as_ptr(), 1, e));
    case!("keel_stmt_bind_bytes", "data", |fx, e| keel_stmt_bind_bytes(fx.stmt, 0, null(), 1, e));
    case!("keel_stmt_bind_text_static", "stmt", |_fx, e| keel_stmt_bind_text_static(null_mut(), 0, c"x".as_ptr(), 1, e));
    case!("keel_stmt_bind_text_static", "text", |fx, e| keel_stmt_bind_text_static(fx.stmt, 0, null(), 1, e));
    case!("keel_stmt_bind_bytes_static", "stmt", |_fx, e| keel_stmt_bind_bytes_static(null_mut(), 0, b"x".as_ptr(), 1, e));
    case!("keel_stmt_bind_bytes_static", "data", |fx, e| keel_stmt_bind_bytes_static(fx.stmt, 0, null(), 1, e));
    case!("keel_stmt_bind_date", "stmt", |_fx, e| keel_stmt_bind_date(null_mut(), 0, 0, e));
    case!("keel_stmt_bind_time", "stmt", |_fx, e| keel_stmt_bind_time(null_mut(), 0, 0, e));
    case!("keel_stmt_bind_timestamp", "stmt", |_fx, e| keel_stmt_bind_timestamp(null_mut(), 0, 0, e));
    case!("keel_stmt_bind_timestamptz", "stmt", |_fx, e| keel_stmt_bind_timestamptz(null_mut(), 0, 0, e));
    case!("keel_stmt_bind_timestamptz_offset", "stmt", |_fx, e| keel_stmt_bind_timestamptz_offset(null_mut(), 0, 0, 0, e));
    case!("keel_stmt_bind_uuid", "stmt", |_fx, e| keel_stmt_bind_uuid(null_mut(), 0, [0u8; 16].as_ptr(), e));
    case!("keel_stmt_bind_uuid", "uuid16", |fx, e| keel_stmt_bind_uuid(fx.stmt, 0, null(), e));
    case!("keel_stmt_bind_json", "stmt", |_fx, e| keel_stmt_bind_json(null_mut(), 0, c"{}".as_ptr(), 2, e));
    case!("keel_stmt_bind_json", "json", |fx, e| keel_stmt_bind_json(fx.stmt, 0, null(), 2, e));
    case!("keel_stmt_bind_decimal", "stmt", |_fx, e| keel_stmt_bind_decimal(null_mut(), 0, c"1".as_ptr(), 1, e));
    case!("keel_stmt_bind_decimal", "decimal", |fx, e| keel_stmt_bind_decimal(fx.stmt, 0, null(), 1, e));
    case!("keel_stmt_bind_value", "stmt", |_fx, e| keel_stmt_bind_value(null_mut(), 0, &v_i64(1), e));
    case!("keel_stmt_bind_value", "value", |fx, e| keel_stmt_bind_value(fx.stmt, 0, null(), e));
    case!("keel_stmt_bind_value", "value.data", |fx, e| {
        let mut p = v_text(b"");
        p.data = null();
        p.len = 3;
        keel_stmt_bind_value(fx.stmt, 0, &p, e)
    });
    case!("keel_stmt_clear_bindings", "stmt", |_fx, e| keel_stmt_clear_bindings(null_mut(), e));
    case!("keel_stmt_execute", "stmt", |_fx, e| keel_stmt_execute(null_mut(), null_mut(), e));
    case!("keel_stmt_query", "stmt", |_fx, e| keel_stmt_query(null_mut(), &mut null_mut(), e));
    case!("keel_stmt_query", "rows_out", |fx, e| keel_stmt_query(fx.stmt, null_mut(), e));
    case!("keel_stmt_query_reuse", "stmt", |_fx, e| keel_stmt_query_reuse(null_mut(), null(), 0, &mut null_mut(), e));
    case!("keel_stmt_query_reuse", "rows_inout", |fx, e| keel_stmt_query_reuse(fx.stmt, null(), 0, null_mut(), e));
    case!("keel_stmt_query_reuse", "params", |fx, e| keel_stmt_query_reuse(fx.stmt, null(), 1, &mut null_mut(), e));
    case!("keel_stmt_query_encoded", "stmt", |_fx, e| {
        keel_stmt_query_encoded(null_mut(), 1, null(), 0, &mut null_mut(), e)
    });
    case!("keel_stmt_query_encoded", "rows_inout", |fx, e| keel_stmt_query_encoded(fx.stmt, 1, null(), 0, null_mut(), e));
    case!("keel_stmt_query_encoded", "params", |fx, e| {
        keel_stmt_query_encoded(fx.stmt, 1, null(), 3, &mut null_mut(), e)
    });
    case!("keel_stmt_query_encoded_peek", "stmt", |_fx, e| {
        keel_stmt_query_encoded_peek(null_mut(), 1, null(), 0, &mut null_mut(), null_mut(), 0, &mut 0, &mut 0, null_mut(), e)
    });
    case!("keel_stmt_query_encoded_peek", "rows_inout", |fx, e| {
        keel_stmt_query_encoded_peek(fx.stmt, 1, null(), 0, null_mut(), null_mut(), 0, &mut 0, &mut 0, null_mut(), e)
    });
    case!("keel_stmt_query_encoded_peek", "params", |fx, e| {
        keel_stmt_query_encoded_peek(fx.stmt, 1, null(), 3, &mut null_mut(), null_mut(), 0, &mut 0, &mut 0, null_mut(), e)
    });
    case!("keel_stmt_query_encoded_peek", "buf", |fx, e| {
        keel_stmt_query_encoded_peek(fx.stmt, 1, null(), 0, &mut null_mut(), null_mut(), 8, &mut 0, &mut 0, null_mut(), e)
    });
    case!("keel_stmt_query_encoded_peek", "len_out", |fx, e| {
        keel_stmt_query_encoded_peek(fx.stmt, 1, null(), 0, &mut null_mut(), null_mut(), 0, null_mut(), &mut 0, null_mut(), e)
    });
    case!("keel_stmt_query_encoded_peek", "n_rows_out", |fx, e| {
        keel_stmt_query_encoded_peek(fx.stmt, 1, null(), 0, &mut null_mut(), null_mut(), 0, &mut 0, null_mut(), null_mut(), e)
    });
    case!("keel_stmt_column_count", "stmt", |_fx, e| keel_stmt_column_count(null_mut(), &mut 0, e));
    case!("keel_stmt_column_count", "count_out", |fx, e| keel_stmt_column_count(fx.stmt, null_mut(), e));
    case!("keel_stmt_column_name", "stmt", |_fx, e| keel_stmt_column_name(null_mut(), 0, &mut null(), e));
    case!("keel_stmt_column_name", "name_out", |fx, e| keel_stmt_column_name(fx.stmt, 0, null_mut(), e));
    case!("keel_stmt_column_engine_type", "stmt", |_fx, e| keel_stmt_column_engine_type(null_mut(), 0, &mut null(), e));
    case!("keel_stmt_column_engine_type", "type_out", |fx, e| keel_stmt_column_engine_type(fx.stmt, 0, null_mut(), e));
    case!("keel_stmt_column_type", "stmt", |_fx, e| keel_stmt_column_type(null_mut(), 0, &mut Type::Null, e));
    case!("keel_stmt_column_type", "type_out", |fx, e| keel_stmt_column_type(fx.stmt, 0, null_mut(), e));
    case!("keel_stmt_column_nullable", "stmt", |_fx, e| keel_stmt_column_nullable(null_mut(), 0, &mut Nullable::Unknown, e));
    case!("keel_stmt_column_nullable", "nullable_out", |fx, e| keel_stmt_column_nullable(fx.stmt, 0, null_mut(), e));
    // keel_rows_*
    // batch fetch and executemany (format 1 is KEEL_BATCH_FORMAT_PICKLE5)
    // The Arrow stream calls (nothing is written on failure, so an empty
    // stream struct stays empty).
    case!("keel_conn_query_arrow", "conn", |_fx, e| {
        keel_conn_query_arrow(null_mut(), SEL.as_ptr(), &v_i64(1), 1, &mut FFI_ArrowArrayStream::empty(), e)
    });
    case!("keel_conn_query_arrow", "sql", |fx, e| {
        keel_conn_query_arrow(fx.conn, null(), &v_i64(1), 1, &mut FFI_ArrowArrayStream::empty(), e)
    });
    case!("keel_conn_query_arrow", "params", |fx, e| {
        keel_conn_query_arrow(fx.conn, SEL.as_ptr(), null(), 1, &mut FFI_ArrowArrayStream::empty(), e)
    });
    case!("keel_conn_query_arrow", "stream_out", |fx, e| {
        keel_conn_query_arrow(fx.conn, SEL.as_ptr(), &v_i64(1), 1, null_mut(), e)
    });
    case!("keel_db_query_arrow", "db", |_fx, e| {
        keel_db_query_arrow(null_mut(), SEL.as_ptr(), &v_i64(1), 1, &mut FFI_ArrowArrayStream::empty(), e)
    });
    case!("keel_db_query_arrow", "sql", |fx, e| {
        keel_db_query_arrow(fx.db, null(), &v_i64(1), 1, &mut FFI_ArrowArrayStream::empty(), e)
    });
    case!("keel_db_query_arrow", "params", |fx, e| {
        keel_db_query_arrow(fx.db, SEL.as_ptr(), null(), 1, &mut FFI_ArrowArrayStream::empty(), e)
    });
    case!("keel_db_query_arrow", "stream_out", |fx, e| {
        keel_db_query_arrow(fx.db, SEL.as_ptr(), &v_i64(1), 1, null_mut(), e)
    });
    case!("keel_rows_export_arrow", "rows", |_fx, e| {
        keel_rows_export_arrow(null_mut(), &mut FFI_ArrowArrayStream::empty(), e)
    });
    case!("keel_rows_export_arrow", "stream_out", |fx, e| keel_rows_export_arrow(fx.rows, null_mut(), e));
    // keel_conn_ingest takes a non-NULL stream even when it fails.
    fn empty_stream() -> FFI_ArrowArrayStream {
        let schema = std::sync::Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "x",
            arrow_schema::DataType::Int64,
            true,
        )]));
        FFI_ArrowArrayStream::new(Box::new(arrow_array::RecordBatchIterator::new(Vec::new(), schema)))
    }
    case!("keel_conn_ingest", "conn", |_fx, e| {
        keel_conn_ingest(null_mut(), c"t".as_ptr(), &mut empty_stream(), 1, null_mut(), e)
    });
    case!("keel_conn_ingest", "table", |fx, e| keel_conn_ingest(fx.conn, null(), &mut empty_stream(), 1, null_mut(), e));
    case!("keel_conn_ingest", "stream", |fx, e| keel_conn_ingest(fx.conn, c"t".as_ptr(), null_mut(), 1, null_mut(), e));
    case!("keel_rows_fetch_batch", "rows", |_fx, e| {
        keel_rows_fetch_batch(null_mut(), 10, 1, &mut null_mut(), null_mut(), null_mut(), &mut 0, null_mut(), e)
    });
    case!("keel_rows_fetch_batch", "data_out", |fx, e| {
        keel_rows_fetch_batch(fx.rows, 10, 1, null_mut(), null_mut(), &mut 0, &mut 0, null_mut(), e)
    });
    case!("keel_rows_fetch_batch", "len_out", |fx, e| {
        keel_rows_fetch_batch(fx.rows, 10, 1, null_mut(), &mut null(), null_mut(), &mut 0, null_mut(), e)
    });
    case!("keel_rows_fetch_batch", "n_rows_out", |fx, e| {
        keel_rows_fetch_batch(fx.rows, 10, 1, &mut null_mut(), null_mut(), null_mut(), null_mut(), null_mut(), e)
    });
    case!("keel_stmt_execute_batch", "stmt", |_fx, e| keel_stmt_execute_batch(null_mut(), &v_i64(1), 1, 1, null_mut(), e));
    case!("keel_stmt_execute_batch", "params", |fx, e| keel_stmt_execute_batch(fx.stmt, null(), 1, 1, null_mut(), e));
    case!("keel_stmt_execute_batch_encoded", "stmt", |_fx, e| {
        keel_stmt_execute_batch_encoded(null_mut(), 1, b"x".as_ptr(), 1, null_mut(), e)
    });
    case!("keel_stmt_execute_batch_encoded", "data", |fx, e| keel_stmt_execute_batch_encoded(fx.stmt, 1, null(), 1, null_mut(), e));
    case!("keel_rows_next", "rows", |_fx, e| keel_rows_next(null_mut(), &mut false, e));
    case!("keel_rows_next", "has_row", |fx, e| keel_rows_next(fx.rows, null_mut(), e));
    case!("keel_rows_next_values", "rows", |_fx, e| keel_rows_next_values(null_mut(), &mut v_null(), 1, &mut false, e));
    case!("keel_rows_next_values", "values_out", |fx, e| keel_rows_next_values(fx.rows, null_mut(), 1, &mut false, e));
    case!("keel_rows_next_values", "has_row", |fx, e| keel_rows_next_values(fx.rows, &mut v_null(), 1, null_mut(), e));
    case!("keel_rows_column_name", "rows", |_fx, e| keel_rows_column_name(null_mut(), 0, &mut null(), e));
    case!("keel_rows_column_name", "name_out", |fx, e| keel_rows_column_name(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_index", "rows", |_fx, e| keel_rows_column_index(null_mut(), c"x".as_ptr(), 1, &mut 0, e));
    case!("keel_rows_column_index", "name", |fx, e| keel_rows_column_index(fx.rows, null(), 1, &mut 0, e));
    case!("keel_rows_column_index", "index_out", |fx, e| keel_rows_column_index(fx.rows, c"x".as_ptr(), 1, null_mut(), e));
    case!("keel_rows_column_engine_type", "rows", |_fx, e| keel_rows_column_engine_type(null_mut(), 0, &mut null(), e));
    case!("keel_rows_column_engine_type", "type_out", |fx, e| keel_rows_column_engine_type(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_type", "rows", |_fx, e| keel_rows_column_type(null_mut(), 0, &mut Type::Null, e));
    case!("keel_rows_column_type", "type_out", |fx, e| keel_rows_column_type(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_nullable", "rows", |_fx, e| keel_rows_column_nullable(null_mut(), 0, &mut Nullable::Unknown, e));
    case!("keel_rows_column_nullable", "nullable_out", |fx, e| keel_rows_column_nullable(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_is_null", "rows", |_fx, e| keel_rows_column_is_null(null_mut(), 0, &mut false, e));
    case!("keel_rows_column_is_null", "is_null_out", |fx, e| keel_rows_column_is_null(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_int64", "rows", |_fx, e| keel_rows_column_int64(null_mut(), 0, &mut 0, e));
    case!("keel_rows_column_int64", "value_out", |fx, e| keel_rows_column_int64(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_uint64", "rows", |_fx, e| keel_rows_column_uint64(null_mut(), 0, &mut 0, e));
    case!("keel_rows_column_uint64", "value_out", |fx, e| keel_rows_column_uint64(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_double", "rows", |_fx, e| keel_rows_column_double(null_mut(), 0, &mut 0.0, e));
    case!("keel_rows_column_double", "value_out", |fx, e| keel_rows_column_double(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_bool", "rows", |_fx, e| keel_rows_column_bool(null_mut(), 0, &mut false, e));
    case!("keel_rows_column_bool", "value_out", |fx, e| keel_rows_column_bool(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_text", "rows", |_fx, e| keel_rows_column_text(null_mut(), 0, &mut null(), &mut 0, e));
    case!("keel_rows_column_text", "text_out", |fx, e| keel_rows_column_text(fx.rows, 0, null_mut(), &mut 0, e));
    case!("keel_rows_column_bytes", "rows", |_fx, e| keel_rows_column_bytes(null_mut(), 0, &mut null(), &mut 0, e));
    case!("keel_rows_column_bytes", "data_out", |fx, e| keel_rows_column_bytes(fx.rows, 0, null_mut(), &mut 0, e));
    case!("keel_rows_column_bytes", "len_out", |fx, e| keel_rows_column_bytes(fx.rows, 0, &mut null(), null_mut(), e));
    case!("keel_rows_column_date", "rows", |_fx, e| keel_rows_column_date(null_mut(), 0, &mut 0, e));
    case!("keel_rows_column_date", "days_out", |fx, e| keel_rows_column_date(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_time", "rows", |_fx, e| keel_rows_column_time(null_mut(), 0, &mut 0, e));
    case!("keel_rows_column_time", "micros_out", |fx, e| keel_rows_column_time(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_timestamp", "rows", |_fx, e| keel_rows_column_timestamp(null_mut(), 0, &mut 0, e));
    case!("keel_rows_column_timestamp", "micros_out", |fx, e| keel_rows_column_timestamp(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_tz_offset", "rows", |_fx, e| keel_rows_column_tz_offset(null_mut(), 0, &mut 0, e));
    case!("keel_rows_column_tz_offset", "seconds_east_out", |fx, e| keel_rows_column_tz_offset(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_uuid", "rows", |_fx, e| keel_rows_column_uuid(null_mut(), 0, [0u8; 16].as_mut_ptr(), e));
    case!("keel_rows_column_uuid", "uuid16_out", |fx, e| keel_rows_column_uuid(fx.rows, 0, null_mut(), e));
    case!("keel_rows_column_value", "rows", |_fx, e| keel_rows_column_value(null_mut(), 0, &mut v_null(), e));
    case!("keel_rows_column_value", "value_out", |fx, e| keel_rows_column_value(fx.rows, 0, null_mut(), e));
    v
}

#[test]
fn every_null_pointer_argument_is_null_argument_naming_it() {
    let fx = Fx::new();
    let cases = null_cases();
    assert!(cases.len() > 90, "the table lost rows: {}", cases.len());
    let mut failures = Vec::new();
    for (func, arg, f) in &cases {
        match call(|e| f(&fx, e)) {
            Ok(()) => failures.push(format!("{func}({arg} = NULL) succeeded")),
            Err(e) => {
                let m = e.message();
                if e.status() != Status::NullArgument || !names(&m, arg) || !m.contains("NULL") {
                    failures.push(format!("{func}({arg} = NULL): {e:?}"));
                }
                if e.driver() != "keel" {
                    failures.push(format!("{func}({arg} = NULL): driver {:?}, expected keel", e.driver()));
                }
            }
        }
        // Without an err_out the status alone must say the same.
        let s = f(&fx, null_mut());
        if s != Status::NullArgument {
            failures.push(format!("{func}({arg} = NULL, err_out = NULL) returned {s:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // The fixture still works after all of that.
    assert_eq!(get_i64(fx.rows, 0), 1);
}

#[test]
fn every_exported_function_with_a_pointer_argument_is_in_the_null_table() {
    // Functions whose every pointer argument is optional or that report
    // through a default instead of a status are listed here on purpose.
    let no_status = [
        "keel_conn_free",
        "keel_conn_return",
        // NULL is a documented no-op returning OK (like sqlite3_close).
        "keel_conn_close",
        "keel_db_free",
        "keel_stmt_free",
        "keel_rows_free",
        "keel_error_free",
        "keel_cancel_free",
        "keel_buffer_free",
        "keel_buffer_data",
        "keel_buffer_len",
        "keel_error_status",
        "keel_error_message",
        "keel_error_sqlstate",
        "keel_error_vendor_code",
        "keel_error_driver",
        "keel_error_retry_safety",
        "keel_status_str",
        "keel_conn_in_transaction",
        "keel_conn_dialect",
        "keel_db_dialect",
        "keel_stmt_param_count",
        "keel_rows_column_count",
        "keel_version",
        "keel_version_number",
        "keel_driver_available",
    ];
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/keel.h")).unwrap();
    let tested: std::collections::BTreeSet<&str> = null_cases().iter().map(|c| c.0).collect();
    let mut missing = Vec::new();
    let mut seen = 0;
    for line in header.lines() {
        if line.starts_with([' ', '*', '/', '#']) || !line.contains('(') {
            continue;
        }
        let before = &line[..line.find('(').unwrap()];
        let name = before.rsplit([' ', '*']).next().unwrap_or("").to_owned();
        if !name.starts_with("keel_") {
            continue;
        }
        seen += 1;
        if !tested.contains(name.as_str()) && !no_status.contains(&name.as_str()) {
            missing.push(name);
        }
    }
    let mut in_sources = 0;
    for f in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi")).unwrap() {
        in_sources += std::fs::read_to_string(f.unwrap().path()).unwrap().matches("pub extern \"C\" fn ").count();
    }
    assert_eq!(seen, in_sources, "the header and src/ffi disagree on how many functions are exported");
    assert!(missing.is_empty(), "exported functions not covered by null_cases(): {missing:?}");
}

#[test]
fn free_null_is_a_no_op() {
    keel_db_free(null_mut());
    keel_conn_free(null_mut());
    keel_conn_return(null_mut());
    assert_eq!(keel_conn_close(null_mut(), null_mut()), Status::Ok);
    keel_stmt_free(null_mut());
    keel_rows_free(null_mut());
    keel_error_free(null_mut());
    keel_cancel_free(null_mut());
    keel_buffer_free(null_mut());
    assert!(keel_buffer_data(null()).is_null());
    assert_eq!(keel_buffer_len(null()), 0);
    // And again: nothing was recorded anywhere.
    keel_db_free(null_mut());
    keel_error_free(null_mut());
}

#[test]
fn accessors_on_null_return_their_documented_defaults() {
    assert_eq!(keel_error_status(null()), Status::NullArgument);
    assert_eq!(cstr(keel_error_message(null())), "");
    assert_eq!(cstr(keel_error_sqlstate(null())), "");
    assert_eq!(keel_error_vendor_code(null()), 0);
    assert_eq!(cstr(keel_error_driver(null())), "");
    assert_eq!(keel_error_retry_safety(null()), RetrySafety::Unknown);
    assert_eq!(keel_db_dialect(null()), Dialect::Unknown);
    assert_eq!(keel_conn_dialect(null()), Dialect::Unknown);
    assert!(!keel_conn_in_transaction(null()));
    assert_eq!(keel_stmt_param_count(null()), 0);
    assert_eq!(keel_rows_column_count(null()), 0);
    assert!(!keel_driver_available(null()));
    assert!(!keel_driver_available(c"\xff".as_ptr()));
}

#[test]
fn status_str_covers_every_status_and_unknown_numbers() {
    for (n, status) in Status::ALL.iter().enumerate() {
        let s = cstr(keel_status_str(n as i32));
        assert_eq!(s, status.as_str(), "status {n}");
    }
    assert_eq!(cstr(keel_status_str(0)), "ok");
    assert_eq!(cstr(keel_status_str(Status::NullArgument as i32)), "NULL argument");
    let unknown = cstr(keel_status_str(Status::Unknown as i32));
    assert_eq!(cstr(keel_status_str(18)), unknown);
    assert_eq!(cstr(keel_status_str(-1)), unknown);
    assert_eq!(cstr(keel_status_str(i32::MAX)), unknown);
}

#[test]
fn error_details_come_back_through_every_accessor() {
    let fx = Fx::new();
    let e = exec_err(fx.conn, "SELEC 1", &[]);
    assert_eq!(e.status(), Status::InvalidArgument);
    assert_eq!(e.driver(), "sqlite");
    assert_eq!(e.sqlstate().len(), 5, "{e:?}");
    assert_ne!(e.vendor_code(), 0);
    // Refused while preparing: it did not run.
    assert_eq!(e.retry_safety(), RetrySafety::NotSent);
    // Refused while running: keel says no more than the status does.
    exec(fx.conn, "CREATE TABLE u (a INTEGER UNIQUE)", &[]);
    exec(fx.conn, "INSERT INTO u VALUES (1)", &[]);
    let e = exec_err(fx.conn, "INSERT INTO u VALUES (1)", &[]);
    assert_eq!((e.status(), e.retry_safety()), (Status::Integrity, RetrySafety::Unknown));
    // A keel-side error names keel as its driver and has no SQLSTATE.
    let e = fails(|e| keel_stmt_bind_int64(fx.stmt, 7, 1, e));
    assert_eq!(e.driver(), "keel");
    assert_eq!(e.sqlstate(), "");
    assert_eq!(e.vendor_code(), 0);
    assert_eq!(e.retry_safety(), RetrySafety::NotSent);
}

#[test]
fn errors_before_sending_say_not_sent() {
    let fx = Fx::new();
    let e = fails(|e| keel_conn_exec(fx.conn, null(), null(), 0, null_mut(), e));
    assert_eq!((e.status(), e.retry_safety()), (Status::NullArgument, RetrySafety::NotSent));
    let e = exec_err(fx.conn, "SELECT ?, ?", &[v_i64(1)]);
    assert_eq!((e.status(), e.retry_safety()), (Status::InvalidArgument, RetrySafety::NotSent));
    let e = fails(|e| keel_stmt_execute(fx.stmt, null_mut(), e));
    assert_eq!((e.status(), e.retry_safety()), (Status::InvalidArgument, RetrySafety::NotSent));
    let e = fails(|e| keel_conn_commit(fx.conn, e));
    assert_eq!((e.status(), e.retry_safety()), (Status::InvalidState, RetrySafety::NotSent));
    // A database that cannot be opened ran nothing.
    let mut db: *mut keel_db = sentinel();
    let url = c("sqlite:///nonexistent-dir-keel/x.db?mode=rw");
    let e = fails(|e| keel_db_open(url.as_ptr(), &mut db, e));
    assert_eq!(e.retry_safety(), RetrySafety::NotSent, "{}", e.message());
}

// ---- outputs untouched on failure --------------------------------------

fn sentinel<T>() -> *mut T {
    0x5a5a_5a58 as *mut T
}

#[test]
fn handle_outputs_are_untouched_on_failure() {
    let fx = Fx::new();
    // keel_db_open: bad scheme, bad option, missing file.
    for url in ["nosuch::memory:", "sqlite::memory:?bogus=1", "sqlite:///nonexistent-dir-keel/x.db?mode=rw", "no scheme"] {
        let u = c(url);
        let mut db: *mut keel_db = sentinel();
        let e = fails(|e| keel_db_open(u.as_ptr(), &mut db, e));
        assert_eq!(db, sentinel(), "{url}: db_out written on failure ({e:?})");
    }
    // keel_conn_prepare / query: syntax error.
    let sql = c("SELEC 1");
    let mut st: *mut keel_stmt = sentinel();
    fails(|e| keel_conn_prepare(fx.conn, sql.as_ptr(), &mut st, e));
    assert_eq!(st, sentinel());
    let mut rows: *mut keel_rows = sentinel();
    fails(|e| keel_conn_query(fx.conn, sql.as_ptr(), null(), 0, &mut rows, e));
    assert_eq!(rows, sentinel());
    fails(|e| keel_db_query(fx.db, sql.as_ptr(), null(), 0, &mut rows, e));
    assert_eq!(rows, sentinel());
    // Wrong parameter count.
    let sel = c("SELECT ?");
    fails(|e| keel_db_query(fx.db, sel.as_ptr(), null(), 0, &mut rows, e));
    assert_eq!(rows, sentinel());
    // keel_stmt_query with an unbound parameter.
    fails(|e| keel_stmt_query(fx.stmt, &mut rows, e));
    assert_eq!(rows, sentinel());
    // keel_conn_server_version on a NULL conn.
    let mut ver: *const c_char = sentinel::<c_char>();
    fails(|e| keel_conn_server_version(null_mut(), &mut ver, e));
    assert_eq!(ver, sentinel::<c_char>() as *const c_char);
}

#[test]
fn exec_result_is_untouched_on_failure() {
    let fx = Fx::new();
    exec(fx.conn, "CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE)", &[]);
    exec(fx.conn, "INSERT INTO t(u) VALUES ('a')", &[]);
    let marker = keel_exec_result { size: 0, rows_affected: 77, last_insert_id: -77, has_last_insert_id: true };
    let check = |r: &keel_exec_result| {
        assert_eq!((r.rows_affected, r.last_insert_id, r.has_last_insert_id), (77, -77, true));
    };
    let dup = c("INSERT INTO t(u) VALUES ('a')");
    let mut r = marker;
    fails(|e| keel_conn_exec(fx.conn, dup.as_ptr(), null(), 0, &mut r, e));
    check(&r);
    fails(|e| keel_db_exec(fx.db, dup.as_ptr(), null(), 0, &mut r, e));
    check(&r);
    let st = prepare(fx.conn, "INSERT INTO t(u) VALUES (?)");
    fails(|e| keel_stmt_execute(st, &mut r, e));
    check(&r);
    ok(|e| keel_stmt_bind_text(st, 0, c"a".as_ptr(), 1, e));
    fails(|e| keel_stmt_execute(st, &mut r, e));
    check(&r);
    keel_stmt_free(st);
}

#[test]
fn column_outputs_are_untouched_on_failure() {
    let fx = Fx::new();
    let rows = query(fx.conn, "SELECT 'nope', NULL, -1, 2, 1.5", &[]);

    // Before the first row: no current row.
    let mut isnull = true;
    let e = fails(|e| keel_rows_column_is_null(rows, 0, &mut isnull, e));
    assert_eq!(e.status(), Status::InvalidState, "{e:?}");
    assert!(isnull);
    assert!(next(rows));

    let mut i = 0x5a5a_i64;
    for col in [0, 1, 4, 9] {
        fails(|e| keel_rows_column_int64(rows, col, &mut i, e));
        assert_eq!(i, 0x5a5a, "int64 of column {col}");
    }
    let mut u = 0x5a5a_u64;
    for col in [0, 1, 2, 4] {
        fails(|e| keel_rows_column_uint64(rows, col, &mut u, e));
        assert_eq!(u, 0x5a5a, "uint64 of column {col}");
    }
    let mut d = 42.25_f64;
    fails(|e| keel_rows_column_double(rows, 0, &mut d, e));
    fails(|e| keel_rows_column_double(rows, 1, &mut d, e));
    assert_eq!(d, 42.25);
    let mut b = true;
    fails(|e| keel_rows_column_bool(rows, 3, &mut b, e));
    fails(|e| keel_rows_column_bool(rows, 0, &mut b, e));
    assert!(b);
    let mut p: *const c_char = sentinel::<c_char>();
    let mut n = 12345usize;
    fails(|e| keel_rows_column_text(rows, 1, &mut p, &mut n, e));
    fails(|e| keel_rows_column_text(rows, 9, &mut p, &mut n, e));
    assert_eq!((p, n), (sentinel::<c_char>() as *const c_char, 12345));
    let mut bp: *const u8 = sentinel::<u8>();
    fails(|e| keel_rows_column_bytes(rows, 2, &mut bp, &mut n, e));
    fails(|e| keel_rows_column_bytes(rows, 1, &mut bp, &mut n, e));
    assert_eq!((bp, n), (sentinel::<u8>() as *const u8, 12345));
    let mut days = 777_i32;
    fails(|e| keel_rows_column_date(rows, 0, &mut days, e));
    assert_eq!(days, 777);
    let mut us = 888_i64;
    fails(|e| keel_rows_column_time(rows, 0, &mut us, e));
    fails(|e| keel_rows_column_timestamp(rows, 0, &mut us, e));
    fails(|e| keel_rows_column_timestamp(rows, 1, &mut us, e));
    assert_eq!(us, 888);
    let mut off = 999_i32;
    fails(|e| keel_rows_column_tz_offset(rows, 0, &mut off, e));
    fails(|e| keel_rows_column_tz_offset(rows, 1, &mut off, e));
    assert_eq!(off, 999);
    let mut uuid = [0xab_u8; 16];
    fails(|e| keel_rows_column_uuid(rows, 0, uuid.as_mut_ptr(), e));
    fails(|e| keel_rows_column_uuid(rows, 3, uuid.as_mut_ptr(), e));
    assert_eq!(uuid, [0xab; 16]);
    let mut v = v_f64(-3.5);
    fails(|e| keel_rows_column_value(rows, 5, &mut v, e));
    assert_eq!((v.kind, v.double_value), (Type::Double as i32, -3.5));
    let mut name: *const c_char = sentinel::<c_char>();
    fails(|e| keel_rows_column_name(rows, 5, &mut name, e));
    fails(|e| keel_rows_column_engine_type(rows, 5, &mut name, e));
    assert_eq!(name, sentinel::<c_char>() as *const c_char);
    let mut t = Type::Decimal;
    fails(|e| keel_rows_column_type(rows, 5, &mut t, e));
    assert_eq!(t, Type::Decimal);
    let mut nl = Nullable::No;
    fails(|e| keel_rows_column_nullable(rows, 5, &mut nl, e));
    assert_eq!(nl, Nullable::No);

    // has_row on a cursor closed by re-running its statement.
    let st = prepare(fx.conn, "SELECT 1");
    let mut r1 = null_mut();
    ok(|e| keel_stmt_query(st, &mut r1, e));
    let mut r2 = null_mut();
    ok(|e| keel_stmt_query(st, &mut r2, e));
    let mut has = true;
    let e = fails(|e| keel_rows_next(r1, &mut has, e));
    assert_eq!(e.status(), Status::InvalidState);
    assert!(has);
    keel_rows_free(r1);
    keel_rows_free(r2);
    keel_stmt_free(st);
    keel_rows_free(rows);
}

#[test]
fn err_out_is_untouched_on_success() {
    let fx = Fx::new();
    let mut e: *mut keel_error = sentinel();
    assert_eq!(keel_conn_ping(fx.conn, &mut e), Status::Ok);
    assert_eq!(e, sentinel());
    let mut x = 0;
    assert_eq!(keel_rows_column_int64(fx.rows, 0, &mut x, &mut e), Status::Ok);
    assert_eq!((x, e), (1, sentinel()));
    assert_eq!(keel_stmt_bind_int64(fx.stmt, 0, 5, &mut e), Status::Ok);
    assert_eq!(e, sentinel());
}

// ---- the thread rule --------------------------------------------------------

/// A pointer a test hands to another thread (the calls it makes there are
/// the point of the test).
#[derive(Clone, Copy)]
struct Shared<T>(*mut T);
// SAFETY: the tests below use it only as the thread rule allows, or to
// break that rule on purpose and check that keel catches it.
unsafe impl<T> Send for Shared<T> {}

/// A call on a connection (and on a cursor) while another thread's call
/// runs on the same handle fails with INVALID_STATE "in use by another
/// call" and does nothing; accessors give their default; a free leaves
/// the handle to the running call. The running call is not disturbed, and
/// the handle works again once it returns. (keel.h, THREADS.)
#[test]
fn a_second_call_on_a_handle_in_use_is_refused() {
    let db = memory_db();
    let conn = checkout(db);
    let mut cancel: *mut keel_cancel = null_mut();
    ok(|e| keel_conn_cancel_handle(conn, &mut cancel, e));
    // Runs for seconds unless cancelled (so that without the check this
    // test fails rather than hangs).
    let slow = c"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000) SELECT count(*) FROM c";
    let started = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|sc| {
        let (c, started) = (Shared(conn), &started);
        let worker = sc.spawn(move || {
            let c = c;
            started.store(true, std::sync::atomic::Ordering::SeqCst);
            // The other thread's calls may hold the handle a moment: this
            // one is refused then, and tries again.
            loop {
                let mut e: *mut keel_error = null_mut();
                let s = keel_conn_exec(c.0, slow.as_ptr(), null(), 0, null_mut(), &mut e);
                let err = KErr(e);
                let msg = if s == Status::Ok { String::new() } else { err.message() };
                if !(s == Status::InvalidState && msg.contains("in use by another call")) {
                    return (s, msg);
                }
            }
        });
        while !started.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::yield_now();
        }
        // Until the worker is inside its call, a call here may still run:
        // try until one is refused.
        let refused = loop {
            let mut e: *mut keel_error = null_mut();
            let s = keel_conn_ping(conn, &mut e);
            let err = KErr(e);
            if s == Status::InvalidState {
                break err;
            }
            assert_eq!(s, Status::Ok, "{err:?}");
            if worker.is_finished() {
                panic!("the slow statement ended by itself: {:?}", worker.join().unwrap());
            }
            std::thread::yield_now();
        };
        assert_err(&refused, Status::InvalidState, &["conn handle is in use by another call", "one thread at a time"]);
        let e = exec_err(conn, "SELECT 1", &[]);
        assert_err(&e, Status::InvalidState, &["in use by another call"]);
        assert!(keel_conn_in_transaction(conn), "in_transaction cannot tell: true, as its doc says");
        assert_eq!(keel_conn_dialect(conn), Dialect::Unknown, "an accessor gives its default");
        // Freeing it under the running call leaves it to that call.
        keel_conn_close(conn, null_mut());
        keel_conn_free(conn);
        // A cancel that comes before the statement's first step does
        // nothing (SQLite forgets it): ask until it has stopped.
        while !worker.is_finished() {
            ok(|e| keel_cancel_request(cancel, e));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let (s, msg) = worker.join().unwrap();
        assert_eq!(s, Status::Cancelled, "{msg}");
    });
    // The handle was not freed (the frees above found it in use): it works.
    assert_eq!(scalar_i64(conn, "SELECT 6 * 7"), 42);
    assert_eq!(keel_conn_dialect(conn), Dialect::Sqlite);
    keel_cancel_free(cancel);
    keel_conn_free(conn);
    keel_db_free(db);
}

// ---- the panic boundary ---------------------------------------------------

#[test]
fn forced_panic_returns_panic_and_poisons_only_that_conn() {
    let db = memory_db();
    let c1 = checkout(db);
    let c2 = checkout(db);
    exec(c1, "CREATE TABLE t(x)", &[]);

    force_panic_in_next_call();
    let e = fails(|e| keel_conn_ping(c1, e));
    assert_err(&e, Status::Panic, &["panic"]);
    assert!(e.message().contains("poisoned"), "the panic message should say the handle is poisoned: {e:?}");

    // Every later call on it is INVALID_STATE "poisoned".
    let e = exec_err(c1, "INSERT INTO t VALUES (1)", &[]);
    assert_err(&e, Status::InvalidState, &["poisoned"]);
    let e = fails(|e| keel_conn_ping(c1, e));
    assert_err(&e, Status::InvalidState, &["conn", "poisoned"]);
    let mut st: *mut keel_stmt = sentinel();
    let e = fails(|e| keel_conn_prepare(c1, c"SELECT 1".as_ptr(), &mut st, e));
    assert_err(&e, Status::InvalidState, &["poisoned"]);
    assert_eq!(st, sentinel(), "stmt_out written by a poisoned conn");
    // Accessors without a status give their defaults.
    assert_eq!(keel_conn_dialect(c1), Dialect::Unknown);
    assert!(!keel_conn_in_transaction(c1));
    assert_eq!(scalar_i64(c2, "SELECT count(*) FROM t"), 0, "the failed insert ran");

    // Other handles keep working.
    exec(c2, "INSERT INTO t VALUES (2)", &[]);
    assert_eq!(keel_conn_dialect(c2), Dialect::Sqlite);
    ok(|e| keel_db_exec(db, c"INSERT INTO t VALUES (3)".as_ptr(), null(), 0, null_mut(), e));

    // Freeing the poisoned handle is fine, and the pool still serves.
    keel_conn_free(c1);
    let c3 = checkout(db);
    assert_eq!(scalar_i64(c3, "SELECT count(*) FROM t"), 2);
    keel_conn_free(c3);
    keel_conn_free(c2);
    keel_db_free(db);
}

#[test]
fn forced_panic_poisons_a_statement_and_a_cursor() {
    let db = memory_db();
    let conn = checkout(db);
    let st = prepare(conn, "SELECT ?");
    force_panic_in_next_call();
    let e = fails(|e| keel_stmt_bind_int64(st, 0, 1, e));
    assert_err(&e, Status::Panic, &["panic"]);
    let e = fails(|e| keel_stmt_bind_int64(st, 0, 1, e));
    assert_err(&e, Status::InvalidState, &["stmt", "poisoned"]);
    let mut r: *mut keel_rows = sentinel();
    let e = fails(|e| keel_stmt_query(st, &mut r, e));
    assert_err(&e, Status::InvalidState, &["poisoned"]);
    assert_eq!(r, sentinel());
    assert_eq!(keel_stmt_param_count(st), 0, "a poisoned stmt reports the default");

    let rows = query(conn, "SELECT 1 UNION ALL SELECT 2", &[]);
    force_panic_in_next_call();
    let mut has = false;
    let e = fails(|e| keel_rows_next(rows, &mut has, e));
    assert_err(&e, Status::Panic, &["panic"]);
    assert!(!has);
    let e = fails(|e| keel_rows_next(rows, &mut has, e));
    assert_err(&e, Status::InvalidState, &["rows", "poisoned"]);
    assert_eq!(keel_rows_column_count(rows), 0);

    // The connection they came from still works.
    assert_eq!(scalar_i64(conn, "SELECT 40 + 2"), 42);
    keel_rows_free(rows);
    keel_stmt_free(st);
    assert_eq!(scalar_i64(conn, "SELECT 7"), 7);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn forced_panic_poisons_a_db_but_not_its_connections() {
    let db = memory_db();
    let conn = checkout(db);
    force_panic_in_next_call();
    let e = fails(|e| keel_db_exec(db, c"SELECT 1".as_ptr(), null(), 0, null_mut(), e));
    assert_err(&e, Status::Panic, &["panic"]);
    let mut c2: *mut keel_conn = sentinel();
    let e = fails(|e| keel_db_checkout(db, &mut c2, e));
    assert_err(&e, Status::InvalidState, &["db", "poisoned"]);
    assert_eq!(c2, sentinel());
    assert_eq!(keel_db_dialect(db), Dialect::Unknown);
    assert_eq!(scalar_i64(conn, "SELECT 5"), 5);
    keel_db_free(db);
    // A connection may outlive its (freed) pool.
    assert_eq!(scalar_i64(conn, "SELECT 6"), 6);
    keel_conn_free(conn);
}

#[test]
fn forced_panic_in_open_gives_no_handle() {
    let mut db: *mut keel_db = sentinel();
    force_panic_in_next_call();
    let e = fails(|e| keel_db_open(c"sqlite::memory:".as_ptr(), &mut db, e));
    assert_err(&e, Status::Panic, &["panic"]);
    assert_eq!(db, sentinel());
    // The hook fires once: the next open works.
    let db = memory_db();
    keel_db_free(db);
}

// ---- argument errors -------------------------------------------------------

#[test]
fn wrong_parameter_count_in_exec_params() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(a, b)", &[]);
    let e = exec_err(conn, "INSERT INTO t VALUES (?, ?)", &[v_i64(1)]);
    assert_err(&e, Status::InvalidArgument, &["2 parameters", "1 value", "INSERT INTO t VALUES (?, ?)"]);
    let e = exec_err(conn, "INSERT INTO t VALUES (?, ?)", &[v_i64(1), v_i64(2), v_i64(3)]);
    assert_err(&e, Status::InvalidArgument, &["2 parameters", "3 values"]);
    let e = exec_err(conn, "INSERT INTO t VALUES (1, 2)", &[v_i64(1)]);
    assert_err(&e, Status::InvalidArgument, &["0 parameters", "1 value"]);
    let s = c("SELECT ?");
    let e = fails(|e| keel_db_exec(db, s.as_ptr(), null(), 0, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["1 parameter", "0 values"]);
    assert_eq!(scalar_i64(conn, "SELECT count(*) FROM t"), 0);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn unbound_parameters_on_a_prepared_statement() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(a, b)", &[]);
    let st = prepare(conn, "INSERT INTO t VALUES (?, ?)");
    assert_eq!(keel_stmt_param_count(st), 2);
    let e = fails(|e| keel_stmt_execute(st, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["parameter 0", "not bound", "INSERT INTO t"]);
    ok(|e| keel_stmt_bind_int64(st, 0, 1, e));
    let e = fails(|e| keel_stmt_execute(st, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["parameter 1", "not bound"]);
    ok(|e| keel_stmt_bind_null(st, 1, e));
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    // Bindings persist across runs until cleared.
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    ok(|e| keel_stmt_clear_bindings(st, e));
    let e = fails(|e| keel_stmt_execute(st, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["parameter 0", "not bound"]);
    let mut rows: *mut keel_rows = sentinel();
    let e = fails(|e| keel_stmt_query(st, &mut rows, e));
    assert_err(&e, Status::InvalidArgument, &["not bound"]);
    keel_stmt_free(st);
    assert_eq!(scalar_i64(conn, "SELECT count(*) FROM t"), 2);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn bind_index_out_of_range() {
    let fx = Fx::new();
    for idx in [1usize, 2, usize::MAX] {
        let e = fails(|e| keel_stmt_bind_int64(fx.stmt, idx, 1, e));
        assert_err(&e, Status::InvalidArgument, &[&format!("parameter index {idx}"), "out of range", "1 parameter", "0-based"]);
    }
    let e = fails(|e| keel_stmt_bind_text(fx.stmt, 1, c"x".as_ptr(), 1, e));
    assert_err(&e, Status::InvalidArgument, &["parameter index 1"]);
    let e = fails(|e| keel_stmt_bind_value(fx.stmt, 3, &v_null(), e));
    assert_err(&e, Status::InvalidArgument, &["parameter index 3"]);
}

#[test]
fn column_index_out_of_range() {
    let fx = Fx::new();
    let rows = query(fx.conn, "SELECT 1 AS a, 2 AS b", &[]);
    assert!(next(rows));
    let mut x = 0;
    let e = fails(|e| keel_rows_column_int64(rows, 2, &mut x, e));
    assert_err(&e, Status::InvalidArgument, &["column index 2", "out of range", "2 columns", "0-based"]);
    let e = fails(|e| keel_rows_column_text(rows, usize::MAX, &mut null(), null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["out of range"]);
    let e = fails(|e| keel_rows_column_value(rows, 2, &mut v_null(), e));
    assert_err(&e, Status::InvalidArgument, &["column index 2"]);
    let e = fails(|e| keel_rows_column_name(rows, 2, &mut null(), e));
    assert_err(&e, Status::InvalidArgument, &["column index 2"]);
    let e = fails(|e| keel_rows_column_bytes(rows, 7, &mut null(), &mut 0, e));
    assert_err(&e, Status::InvalidArgument, &["column index 7"]);
    keel_rows_free(rows);
}

#[test]
fn invalid_utf8_in_sql_and_url() {
    let fx = Fx::new();
    let bad = c"SELECT '\xff\xfe'";
    let e = fails(|e| keel_conn_exec(fx.conn, bad.as_ptr(), null(), 0, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["sql", "UTF-8", "offset 8"]);
    let e = fails(|e| keel_conn_prepare(fx.conn, bad.as_ptr(), &mut null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["sql", "UTF-8"]);
    let e = fails(|e| keel_db_query(fx.db, bad.as_ptr(), null(), 0, &mut null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["sql", "UTF-8"]);
    let e = fails(|e| keel_db_open(c"sqlite:\xff.db".as_ptr(), &mut null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["url", "UTF-8"]);
    let e = fails(|e| keel_conn_savepoint(fx.conn, c"s\xff".as_ptr(), e));
    assert_err(&e, Status::InvalidArgument, &["name", "UTF-8"]);
}

#[test]
fn invalid_utf8_in_text_parameters() {
    let fx = Fx::new();
    let bad = b"ok\xffno";
    let e = fails(|e| keel_stmt_bind_text(fx.stmt, 0, bad.as_ptr() as *const c_char, bad.len(), e));
    assert_err(&e, Status::InvalidArgument, &["text", "UTF-8", "offset 2"]);
    let e = fails(|e| keel_stmt_bind_json(fx.stmt, 0, bad.as_ptr() as *const c_char, bad.len(), e));
    assert_err(&e, Status::InvalidArgument, &["json", "UTF-8"]);
    let e = fails(|e| keel_stmt_bind_decimal(fx.stmt, 0, bad.as_ptr() as *const c_char, bad.len(), e));
    assert_err(&e, Status::InvalidArgument, &["decimal", "UTF-8"]);
    let e = exec_err(fx.conn, "SELECT ?", &[v_text(bad)]);
    assert_err(&e, Status::InvalidArgument, &["params[0].data", "UTF-8"]);
    let e = fails(|e| keel_stmt_bind_value(fx.stmt, 0, &v_kind_data(Type::Json, bad), e));
    assert_err(&e, Status::InvalidArgument, &["value.data", "UTF-8"]);
    // Bytes take any bytes.
    ok(|e| keel_stmt_bind_bytes(fx.stmt, 0, bad.as_ptr(), bad.len(), e));
}

#[test]
fn bad_keel_values_are_invalid_argument() {
    let fx = Fx::new();
    let mut v = v_i64(1);
    v.kind = 99;
    let e = exec_err(fx.conn, "SELECT ?", &[v]);
    assert_err(&e, Status::InvalidArgument, &["params[0].kind", "99"]);
    let e = exec_err(fx.conn, "SELECT ?", &[v_kind_int(Type::Bool, 2)]);
    assert_err(&e, Status::InvalidArgument, &["params[0]", "bool"]);
    let e = exec_err(fx.conn, "SELECT ?", &[v_kind_data(Type::Uuid, &[1, 2, 3])]);
    assert_err(&e, Status::InvalidArgument, &["params[0].len", "16"]);
    let e = exec_err(fx.conn, "SELECT ?", &[v_kind_int(Type::Time, -1)]);
    assert_err(&e, Status::InvalidArgument, &["params[0]", "time"]);
    let e = fails(|e| keel_stmt_bind_time(fx.stmt, 0, 86_400_000_000, e));
    assert_err(&e, Status::InvalidArgument, &["time"]);
    let e = exec_err(fx.conn, "SELECT ?", &[v_kind_int(Type::Date, i64::MAX)]);
    assert_err(&e, Status::InvalidArgument, &["date"]);
    let e = fails(|e| keel_stmt_bind_decimal(fx.stmt, 0, c"12abc".as_ptr(), 5, e));
    assert_err(&e, Status::InvalidArgument, &["parameter 0", "'12abc'", "decimal"]);
    let opts = keel_tx_options { isolation: 42, ..Default::default() };
    let e = fails(|e| keel_conn_begin(fx.conn, &opts, e));
    assert_err(&e, Status::InvalidArgument, &["isolation", "42"]);
    let opts = keel_tx_options { lock: -3, ..Default::default() };
    let e = fails(|e| keel_conn_begin(fx.conn, &opts, e));
    assert_err(&e, Status::InvalidArgument, &["lock", "-3"]);
    assert!(!keel_conn_in_transaction(fx.conn));
    let e = fails(|e| keel_conn_savepoint(fx.conn, c"1bad name".as_ptr(), e));
    assert_err(&e, Status::InvalidArgument, &["savepoint name", "1bad name"]);
}

#[test]
fn uint64_above_int64_max_is_rejected_on_sqlite() {
    let fx = Fx::new();
    let big = i64::MAX as u64 + 1;
    let e = fails(|e| keel_stmt_bind_uint64(fx.stmt, 0, big, e));
    assert_err(&e, Status::InvalidArgument, &["parameter 0", "9223372036854775808", "uint64"]);
    assert_eq!(e.sqlstate(), "22003");
    let e = exec_err(fx.conn, "SELECT ?", &[v_u64(u64::MAX)]);
    assert_err(&e, Status::InvalidArgument, &["18446744073709551615", "SELECT ?"]);
    assert_eq!(e.sqlstate(), "22003");
    // The largest that fits is fine.
    ok(|e| keel_stmt_bind_uint64(fx.stmt, 0, i64::MAX as u64, e));
    let mut r = null_mut();
    ok(|e| keel_stmt_query(fx.stmt, &mut r, e));
    assert!(next(r));
    let mut u = 0;
    ok(|e| keel_rows_column_uint64(r, 0, &mut u, e));
    assert_eq!(u, i64::MAX as u64);
    keel_rows_free(r);
}

#[test]
fn nan_is_rejected_on_sqlite() {
    let fx = Fx::new();
    let e = fails(|e| keel_stmt_bind_double(fx.stmt, 0, f64::NAN, e));
    assert_err(&e, Status::InvalidArgument, &["parameter 0", "NaN"]);
    assert_eq!(e.sqlstate(), "22003");
    let e = exec_err(fx.conn, "SELECT ?", &[v_f64(-f64::NAN)]);
    assert_err(&e, Status::InvalidArgument, &["NaN"]);
    ok(|e| keel_stmt_bind_double(fx.stmt, 0, f64::INFINITY, e));
}

/// Read column 0 of a one-row query with `read`, expecting failure.
fn read_err(conn: *mut keel_conn, sql: &str, read: impl FnOnce(*mut keel_rows, *mut *mut keel_error) -> Status) -> KErr {
    let rows = query(conn, sql, &[]);
    assert!(next(rows));
    let e = fails(|e| read(rows, e));
    keel_rows_free(rows);
    e
}

#[test]
fn text_read_as_int64_is_invalid_data() {
    let fx = Fx::new();
    let e = read_err(fx.conn, "SELECT 'abc'", |r, e| keel_rows_column_int64(r, 0, &mut 0, e));
    assert_err(&e, Status::InvalidData, &["column 0", "text value ('abc')", "int64"]);
    // Numeric-looking text is not parsed either.
    let e = read_err(fx.conn, "SELECT '12'", |r, e| keel_rows_column_int64(r, 0, &mut 0, e));
    assert_err(&e, Status::InvalidData, &["'12'", "int64"]);
}

#[test]
fn null_read_as_int64_is_invalid_data() {
    let fx = Fx::new();
    let e = read_err(fx.conn, "SELECT 1, NULL", |r, e| keel_rows_column_int64(r, 1, &mut 0, e));
    assert_err(&e, Status::InvalidData, &["column 1", "NULL"]);
    let e = read_err(fx.conn, "SELECT NULL", |r, e| keel_rows_column_text(r, 0, &mut null(), null_mut(), e));
    assert_err(&e, Status::InvalidData, &["NULL", "text"]);
}

#[test]
fn negative_int_read_as_uint64_is_invalid_data() {
    let fx = Fx::new();
    let e = read_err(fx.conn, "SELECT -1", |r, e| keel_rows_column_uint64(r, 0, &mut 0, e));
    assert_err(&e, Status::InvalidData, &["column 0", "-1", "uint64"]);
}

#[test]
fn fractional_double_read_as_int64_is_invalid_data() {
    let fx = Fx::new();
    let e = read_err(fx.conn, "SELECT 2.5", |r, e| keel_rows_column_int64(r, 0, &mut 0, e));
    assert_err(&e, Status::InvalidData, &["column 0", "2.5", "int64"]);
    let e = read_err(fx.conn, "SELECT 1e300", |r, e| keel_rows_column_int64(r, 0, &mut 0, e));
    assert_err(&e, Status::InvalidData, &["int64"]);
    // An integral double converts exactly.
    let rows = query(fx.conn, "SELECT -3.0", &[]);
    assert!(next(rows));
    assert_eq!(get_i64(rows, 0), -3);
    keel_rows_free(rows);
}

// ---- one statement per call --------------------------------------------------

#[test]
fn two_statements_are_rejected_and_nothing_runs() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(x)", &[]);
    let two = "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)";
    let e = exec_err(conn, two, &[]);
    assert_err(&e, Status::InvalidArgument, &["more than one statement", "INSERT INTO t VALUES (1)"]);
    let s = c(two);
    let e = fails(|e| keel_db_exec(db, s.as_ptr(), null(), 0, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["more than one statement"]);
    let e = fails(|e| keel_conn_prepare(conn, s.as_ptr(), &mut null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["more than one statement"]);
    let e = fails(|e| keel_conn_query(conn, s.as_ptr(), null(), 0, &mut null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["more than one statement"]);
    // A second statement that is broken is still a second statement.
    let e = exec_err(conn, "INSERT INTO t VALUES (3); garbage", &[]);
    assert_err(&e, Status::InvalidArgument, &["more than one statement"]);
    let e = exec_err(conn, "SELECT 1; garbage", &[]);
    assert_err(&e, Status::InvalidArgument, &["more than one statement", "SELECT 1; garbage"]);
    for sql in [
        "INSERT INTO t VALUES (4);\n-- note\nDELETE FROM t",
        "INSERT INTO t VALUES (5); ; INSERT INTO t VALUES (6)",
        "INSERT INTO t VALUES (5); /* c */ ; INSERT INTO t VALUES (6)",
        "INSERT INTO t VALUES (5); -- c\n; INSERT INTO t VALUES (6)",
        "INSERT INTO t VALUES (5); ; garbage",
    ] {
        let e = exec_err(conn, sql, &[]);
        assert_err(&e, Status::InvalidArgument, &["more than one statement"]);
    }
    assert_eq!(scalar_i64(conn, "SELECT count(*) FROM t"), 0, "part of a rejected string ran");
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn trailing_semicolons_whitespace_and_comments_are_fine() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(x)", &[]);
    let fine = [
        "INSERT INTO t VALUES (1);",
        "INSERT INTO t VALUES (2) ;  \n\t",
        "INSERT INTO t VALUES (3);;",
        "INSERT INTO t VALUES (4); -- done",
        "INSERT INTO t VALUES (5) /* why */;",
        "INSERT INTO t VALUES (6); /* block */ ; -- line\n",
        "  \n INSERT INTO t VALUES (7)",
    ];
    for sql in fine {
        exec(conn, sql, &[]);
    }
    assert_eq!(scalar_i64(conn, "SELECT count(*) FROM t;  -- counted\n"), fine.len() as i64);
    for empty in ["", "  ;  ", "-- nothing"] {
        let e = exec_err(conn, empty, &[]);
        assert_err(&e, Status::InvalidArgument, &["no statement"]);
    }
    keel_conn_free(conn);
    keel_db_free(db);
}

// ---- SQL given as (pointer, length) ------------------------------------------

#[test]
fn sql_with_a_nul_byte_is_refused_never_cut_short() {
    let fx = Fx::new();
    assert_eq!(keel_conn_exec(fx.conn, c"CREATE TABLE t (owner TEXT)".as_ptr(), null(), 0, null_mut(), null_mut()), Status::Ok);
    for owner in ["alice", "bob"] {
        let p = v_text(owner.as_bytes());
        assert_eq!(keel_conn_exec(fx.conn, c"INSERT INTO t VALUES (?)".as_ptr(), &p, 1, null_mut(), null_mut()), Status::Ok);
    }
    // Cut at the NUL this would delete every row.
    let sql = b"DELETE FROM t\0 WHERE owner = 'bob'";
    let e = fails(|e| keel_conn_exec_len(fx.conn, sql.as_ptr() as *const c_char, sql.len(), null(), 0, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["NUL byte at offset 13"]);
    assert_eq!(e.retry_safety(), RetrySafety::NotSent);
    let e = fails(|e| keel_db_exec_len(fx.db, sql.as_ptr() as *const c_char, sql.len(), null(), 0, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["NUL byte"]);
    let mut rows = null_mut();
    let e = fails(|e| keel_conn_query_len(fx.conn, sql.as_ptr() as *const c_char, sql.len(), null(), 0, &mut rows, e));
    assert_err(&e, Status::InvalidArgument, &["NUL byte"]);
    let mut stmt = null_mut();
    let e = fails(|e| keel_conn_prepare_len(fx.conn, sql.as_ptr() as *const c_char, sql.len(), &mut stmt, e));
    assert_err(&e, Status::InvalidArgument, &["NUL byte"]);
    assert!(rows.is_null() && stmt.is_null());
    // The same SQL without the NUL, given by length (no terminator needed).
    let sql = b"DELETE FROM t WHERE owner = 'bob'garbage after the end";
    let mut r = keel_exec_result::default();
    assert_eq!(keel_conn_exec_len(fx.conn, sql.as_ptr() as *const c_char, 33, null(), 0, &mut r, null_mut()), Status::Ok);
    assert_eq!(r.rows_affected, 1);
    assert_eq!(scalar_i64(fx.conn, "SELECT count(*) FROM t"), 1);
    // Invalid UTF-8 by length is refused too.
    let bad = b"SELECT '\xff'";
    let e = fails(|e| keel_conn_exec_len(fx.conn, bad.as_ptr() as *const c_char, bad.len(), null(), 0, null_mut(), e));
    assert_err(&e, Status::InvalidArgument, &["UTF-8"]);
}

#[test]
fn conn_return_and_close() {
    let fx = Fx::new();
    let mut stats = keel::ffi::types::keel_pool_stats::default();
    let mut c1 = null_mut();
    assert_eq!(keel_db_checkout(fx.db, &mut c1, null_mut()), Status::Ok);
    keel_conn_return(c1);
    assert_eq!(keel_db_stats(fx.db, &mut stats, null_mut()), Status::Ok);
    let open = stats.open;
    let mut c2 = null_mut();
    assert_eq!(keel_db_checkout(fx.db, &mut c2, null_mut()), Status::Ok);
    assert_eq!(keel_conn_close(c2, null_mut()), Status::Ok);
    assert_eq!(keel_db_stats(fx.db, &mut stats, null_mut()), Status::Ok);
    assert_eq!(stats.open, open - 1, "closed, not returned: {stats:?}");
    // A poisoned connection still closes, and says it was poisoned.
    let mut c3 = null_mut();
    assert_eq!(keel_db_checkout(fx.db, &mut c3, null_mut()), Status::Ok);
    keel::ffi::force_panic_in_next_call();
    assert_eq!(keel_conn_ping(c3, null_mut()), Status::Panic);
    let e = fails(|e| keel_conn_close(c3, e));
    assert_eq!(e.status(), Status::InvalidState);
}

// ---- engine error details -----------------------------------------------------

#[test]
fn sql_errors_quote_the_sql_and_syntax_errors_are_class_42() {
    let fx = Fx::new();
    let e = exec_err(fx.conn, "SELEC 1 FROM nowhere", &[]);
    assert_err(&e, Status::InvalidArgument, &["syntax error", "SELEC 1 FROM nowhere"]);
    assert!(e.sqlstate().starts_with("42"), "{e:?}");
    assert_eq!(e.vendor_code(), rusqlite::ffi::SQLITE_ERROR);
    assert_eq!(e.driver(), "sqlite");
    // A missing table is NOT_FOUND with PostgreSQL's 42P01, as elsewhere.
    let e = exec_err(fx.conn, "SELECT * FROM no_such_table", &[]);
    assert_err(&e, Status::NotFound, &["no such table", "SELECT * FROM no_such_table"]);
    assert_eq!(e.sqlstate(), "42P01", "{e:?}");
    // Long SQL: the start is quoted, not all of it.
    let long = format!("SELEC {} AS tail_marker", "1 + ".repeat(100));
    let e = exec_err(fx.conn, &long, &[]);
    assert!(e.message().contains("SELEC 1 + 1 + "), "{e:?}");
    assert!(e.message().contains("..."), "{e:?}");
    assert!(!e.message().contains("tail_marker"), "{e:?}");
}

#[test]
fn constraint_violations_are_integrity_class_23_with_the_extended_code() {
    use rusqlite::ffi as f;
    let fx = Fx::new();
    exec(fx.conn, "CREATE TABLE p(id INTEGER PRIMARY KEY)", &[]);
    exec(
        fx.conn,
        "CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL, c INT CHECK (c > 0), p INT REFERENCES p(id))",
        &[],
    );
    exec(fx.conn, "INSERT INTO p VALUES (1)", &[]);
    exec(fx.conn, "INSERT INTO t VALUES (1, 'a', 'n', 1, 1)", &[]);
    let cases = [
        ("INSERT INTO t VALUES (2, 'a', 'n', 1, 1)", f::SQLITE_CONSTRAINT_UNIQUE, "23505"),
        ("INSERT INTO t VALUES (1, 'b', 'n', 1, 1)", f::SQLITE_CONSTRAINT_PRIMARYKEY, "23505"),
        ("INSERT INTO t VALUES (3, 'c', NULL, 1, 1)", f::SQLITE_CONSTRAINT_NOTNULL, "23502"),
        ("INSERT INTO t VALUES (4, 'd', 'n', 0, 1)", f::SQLITE_CONSTRAINT_CHECK, "23514"),
        ("INSERT INTO t VALUES (5, 'e', 'n', 1, 99)", f::SQLITE_CONSTRAINT_FOREIGNKEY, "23503"),
    ];
    for (sql, code, state) in cases {
        let e = exec_err(fx.conn, sql, &[]);
        assert_err(&e, Status::Integrity, &[&sql[..20]]);
        assert!(e.sqlstate().starts_with("23"), "{sql}: {e:?}");
        assert_eq!(e.sqlstate(), state, "{sql}: {e:?}");
        assert_eq!(e.vendor_code(), code, "{sql}: {e:?}");
        assert_eq!(e.driver(), "sqlite");
    }
    assert_eq!(scalar_i64(fx.conn, "SELECT count(*) FROM t"), 1);
}

// ---- borrowed pointers ------------------------------------------------------------

#[test]
fn borrowed_text_stays_valid_until_next() {
    let fx = Fx::new();
    exec(fx.conn, "CREATE TABLE t(id INTEGER, v TEXT, d DATE, u UUID)", &[]);
    exec(fx.conn, "INSERT INTO t VALUES (1, 'alpha', '2001-02-03', '123e4567-e89b-12d3-a456-426614174000')", &[]);
    exec(fx.conn, "INSERT INTO t VALUES (2, 'beta', '1999-12-31', '00000000-0000-0000-0000-000000000001')", &[]);
    let rows = query(fx.conn, "SELECT id, v, d, u FROM t ORDER BY id", &[]);
    let mut name: *const c_char = null();
    ok(|e| keel_rows_column_name(rows, 1, &mut name, e));
    assert!(next(rows));
    let read = |i: usize| {
        let mut p: *const c_char = null();
        let mut n = 0;
        ok(|e| keel_rows_column_text(rows, i, &mut p, &mut n, e));
        (p, n)
    };
    let (p1, n1) = read(1);
    let (pd, nd) = read(2); // formatted by keel into a scratch buffer
    let mut ub: *const u8 = null();
    let mut un = 0;
    ok(|e| keel_rows_column_bytes(rows, 3, &mut ub, &mut un, e));
    // Everything else a caller might do on the same row.
    for _ in 0..3 {
        assert_eq!(get_i64(rows, 0), 1);
        assert_eq!(get_text(rows, 1), "alpha");
        assert_eq!(get_text(rows, 2), "2001-02-03");
        assert_eq!(get_text(rows, 3), "123e4567-e89b-12d3-a456-426614174000");
        let _ = get_value(rows, 1);
        let _ = get_value(rows, 2);
        let _ = get_value(rows, 3);
        let mut t = Type::Null;
        ok(|e| keel_rows_column_type(rows, 1, &mut t, e));
    }
    assert_eq!(read(1), (p1, n1), "re-reading the same column moved the text");
    assert_eq!(read(2), (pd, nd), "re-reading the same column moved the scratch text");
    // SAFETY: still on the same row: the contract says these are valid.
    unsafe {
        assert_eq!(CStr::from_ptr(p1).to_str().unwrap(), "alpha");
        assert_eq!(n1, 5);
        assert_eq!(CStr::from_ptr(pd).to_str().unwrap(), "2001-02-03");
        assert_eq!(std::slice::from_raw_parts(ub, un), &[0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00]);
    }
    assert!(next(rows));
    assert_eq!(get_text(rows, 1), "beta");
    assert_eq!(get_text(rows, 2), "1999-12-31");
    // Column names live as long as the cursor.
    assert_eq!(cstr(name), "v");
    assert!(!next(rows));
    assert_eq!(cstr(name), "v");
    keel_rows_free(rows);
}

#[test]
fn next_values_reads_a_whole_row_like_the_column_readers() {
    let fx = Fx::new();
    exec(fx.conn, "CREATE TABLE t(id INTEGER, v TEXT, d DATE, n INTEGER)", &[]);
    exec(fx.conn, "INSERT INTO t VALUES (1, 'alpha', '2001-02-03', NULL), (2, 'beta', '1999-12-31', 7)", &[]);
    let sql = "SELECT id, v, d, n FROM t ORDER BY id";
    let rows = query(fx.conn, sql, &[]);
    let by_column = query(fx.conn, sql, &[]);
    let mut vals = [v_f64(-1.0); 5];
    // More columns than the result has: refused before the cursor moves,
    // and the outputs are untouched.
    let mut has = true;
    let e = fails(|e| keel_rows_next_values(rows, vals.as_mut_ptr(), 5, &mut has, e));
    assert_err(&e, Status::InvalidArgument, &["count 5", "4 columns"]);
    assert!(has);
    assert_eq!(vals[0].double_value, -1.0);
    for _ in 0..2 {
        ok(|e| keel_rows_next_values(rows, vals.as_mut_ptr(), 4, &mut has, e));
        assert!(has);
        assert!(next(by_column));
        for (i, v) in vals.iter().take(4).enumerate() {
            let w = get_value(by_column, i);
            assert_eq!((v.kind, v.int_value, v.len), (w.kind, w.int_value, w.len), "column {i}");
            if v.len > 0 {
                // SAFETY: valid until the next row, per the contract.
                let (a, b) = unsafe { (std::slice::from_raw_parts(v.data, v.len), std::slice::from_raw_parts(w.data, w.len)) };
                assert_eq!(a, b, "column {i}");
            }
        }
        // The single-column readers see the same row.
        assert_eq!(get_i64(rows, 0), vals[0].int_value);
    }
    assert_eq!(vals[3].kind, Type::Int64 as i32);
    assert_eq!(vals[4].double_value, -1.0, "only `count` values are written");
    // A prefix of the columns, and the end of the result.
    let prefix = query(fx.conn, sql, &[]);
    let mut one = [v_null()];
    ok(|e| keel_rows_next_values(prefix, one.as_mut_ptr(), 1, &mut has, e));
    assert_eq!((one[0].kind, one[0].int_value), (Type::Int64 as i32, 1));
    keel_rows_free(prefix);
    let before = vals[0].int_value;
    ok(|e| keel_rows_next_values(rows, vals.as_mut_ptr(), 4, &mut has, e));
    assert!(!has);
    assert_eq!(vals[0].int_value, before, "values_out is not written past the end");
    keel_rows_free(rows);
    keel_rows_free(by_column);
}

#[test]
fn reading_before_first_and_after_last_row_is_invalid_state() {
    let fx = Fx::new();
    let rows = query(fx.conn, "SELECT 1", &[]);
    let e = fails(|e| keel_rows_column_int64(rows, 0, &mut 0, e));
    assert_err(&e, Status::InvalidState, &["next"]);
    assert!(next(rows));
    assert!(!next(rows));
    assert!(!next(rows), "next after the end stays false");
    let e = fails(|e| keel_rows_column_int64(rows, 0, &mut 0, e));
    assert_err(&e, Status::InvalidState, &["past its last row"]);
    keel_rows_free(rows);
}

// ---- secrets ------------------------------------------------------------------------

#[test]
fn passwords_never_appear_in_messages() {
    let cases = [
        // Servers that do not answer (port 1 refuses), and a TLS root file
        // that does not exist.
        ("postgres://u:hunter2@127.0.0.1:1/db", Status::Io),
        ("postgresql://u:hunter2@localhost/db?sslmode=verify-full&sslrootcert=/nonexistent.crt", Status::InvalidArgument),
        ("mysql://u:hunter2@127.0.0.1:1/db", Status::Io),
        // Bad ports.
        ("postgres://u:hunter2@localhost:99999/db", Status::InvalidArgument),
        ("postgres://u:hunter2@localhost:54x2/db", Status::InvalidArgument),
        ("postgres://u:hunter2@[::1]:-1/db", Status::InvalidArgument),
        // An unknown scheme, a bad escape, and SQLite refusing a host.
        ("nosuch://u:hunter2@localhost/db", Status::NotFound),
        ("postgres://u:hunter2%zz@localhost/db", Status::InvalidArgument),
        ("sqlite://u:hunter2@localhost/x.db", Status::InvalidArgument),
        // No `//` after the scheme: all of the rest used to become the
        // database name (so the server's "database ... does not exist"
        // quoted the password) on the default host, as the default user.
        ("postgresql:u:hunter2@db.example.com:5432/db", Status::InvalidArgument),
        ("postgres:u:hunter2@127.0.0.1/db", Status::InvalidArgument),
        ("mysql:u:hunter2@127.0.0.1/db", Status::InvalidArgument),
        ("mssql:u:hunter2@127.0.0.1/db", Status::InvalidArgument),
    ];
    for (url, status) in cases {
        let u = c(url);
        let mut db: *mut keel_db = sentinel();
        let e = fails(|e| keel_db_open(u.as_ptr(), &mut db, e));
        assert_eq!(e.status(), status, "{url}: {e:?}");
        assert!(!e.message().is_empty());
        assert!(!e.message().contains("hunter2"), "{url}: password in message {:?}", e.message());
        assert_eq!(db, sentinel());
    }
}

#[test]
fn passwords_with_unescaped_url_characters_never_appear_in_messages() {
    // A password holding an unescaped `?`, `/` or `#` splits the URL in
    // the wrong place, so the password's start ends up where the port
    // should be. The port error must not quote it.
    for url in [
        "postgres://u:hunter2?x@localhost/db",
        "postgres://u:hunter2/x@localhost/db",
        "postgres://u:hunter2#x@localhost/db",
    ] {
        let u = c(url);
        let e = fails(|e| keel_db_open(u.as_ptr(), &mut null_mut(), e));
        assert!(!e.message().contains("hunter2"), "{url}: password in message {:?}", e.message());
    }
}

#[test]
fn errors_raised_while_stepping_quote_the_sql_too() {
    let fx = Fx::new();
    // The first row is fine; the second overflows while stepping.
    let sql = "SELECT abs(x) FROM (SELECT 1 x UNION ALL SELECT -9223372036854775807-1)";
    let rows = query(fx.conn, sql, &[]);
    assert!(next(rows));
    let mut has = true;
    let e = fails(|e| keel_rows_next(rows, &mut has, e));
    assert!(has, "has_row written on failure");
    assert_err(&e, Status::InvalidArgument, &["integer overflow", sql]);
    assert_eq!(e.driver(), "sqlite");
    assert_eq!(e.vendor_code(), rusqlite::ffi::SQLITE_ERROR);
    // The cursor is finished after an error.
    assert!(!next(rows));
    keel_rows_free(rows);
    // And through keel_stmt_execute, which steps inside the call.
    let e = exec_err(fx.conn, sql, &[]);
    assert_err(&e, Status::InvalidArgument, &["integer overflow", sql]);
}

// ---- result columns after prepare, capabilities, the shared cache -------

#[test]
fn stmt_columns_are_known_after_prepare_and_zero_is_not_unknown() {
    let fx = Fx::new();
    exec(fx.conn, "CREATE TABLE d (id INTEGER NOT NULL PRIMARY KEY, label TEXT, at TIMESTAMP)", &[]);
    let st = prepare(fx.conn, "SELECT id, label AS title, at, 1 + 1 FROM d WHERE id > ?");
    let mut n = 99usize;
    ok(|e| keel_stmt_column_count(st, &mut n, e));
    assert_eq!(n, 4);
    let mut names = Vec::new();
    let mut engine_types = Vec::new();
    for i in 0..n {
        let (mut name, mut et): (*const c_char, *const c_char) = (null(), null());
        ok(|e| keel_stmt_column_name(st, i, &mut name, e));
        ok(|e| keel_stmt_column_engine_type(st, i, &mut et, e));
        names.push(name);
        engine_types.push(cstr(et));
    }
    let texts: Vec<String> = names.iter().map(|p| cstr(*p)).collect();
    assert_eq!(texts, ["id", "title", "at", "1 + 1"]);
    assert_eq!(engine_types, ["INTEGER", "TEXT", "TIMESTAMP", ""]);
    let kinds: Vec<Type> = (0..n)
        .map(|i| {
            let mut t = Type::Bool;
            ok(|e| keel_stmt_column_type(st, i, &mut t, e));
            t
        })
        .collect();
    assert_eq!(kinds, [Type::Int64, Type::Text, Type::Timestamp, Type::Null]);
    let nulls: Vec<Nullable> = (0..n)
        .map(|i| {
            let mut v = Nullable::Unknown;
            ok(|e| keel_stmt_column_nullable(st, i, &mut v, e));
            v
        })
        .collect();
    assert_eq!(nulls, [Nullable::No, Nullable::Yes, Nullable::Yes, Nullable::Unknown]);
    // Borrowed names stay valid while the statement is bound, run and read.
    ok(|e| keel_stmt_bind_int64(st, 0, 0, e));
    let mut rows = null_mut();
    ok(|e| keel_stmt_query(st, &mut rows, e));
    keel_rows_free(rows);
    assert_eq!(cstr(names[1]), "title");
    // Out of range: INVALID_ARGUMENT naming the count; outputs untouched.
    let mut name: *const c_char = sentinel::<c_char>();
    let e = fails(|e| keel_stmt_column_name(st, 4, &mut name, e));
    assert_err(&e, Status::InvalidArgument, &["column index 4", "4 columns"]);
    assert_eq!(name, sentinel::<c_char>() as *const c_char);
    let mut t = Type::Bool;
    fails(|e| keel_stmt_column_type(st, 9, &mut t, e));
    assert_eq!(t, Type::Bool);
    keel_stmt_free(st);
    // A statement without rows has 0 columns, known (OK), and describing
    // it ran nothing.
    let ins = prepare(fx.conn, "INSERT INTO d (id, label) VALUES (?, ?)");
    let mut n = 99usize;
    ok(|e| keel_stmt_column_count(ins, &mut n, e));
    assert_eq!(n, 0);
    keel_stmt_free(ins);
    let rows = query(fx.conn, "SELECT count(*) FROM d", &[]);
    assert!(next(rows));
    assert_eq!(get_i64(rows, 0), 0, "describing an INSERT ran it");
    keel_rows_free(rows);
}

#[test]
fn conn_supports_answers_each_capability_and_refuses_unknown_ones() {
    let fx = Fx::new();
    let mut yes = false;
    ok(|e| keel_conn_supports(fx.conn, 1, &mut yes, e));
    assert!(yes, "SQLite has several open cursors per connection");
    let mut yes = false;
    ok(|e| keel_conn_supports(fx.conn, 2, &mut yes, e));
    assert!(yes, "SQLite knows result columns after prepare");
    for unknown in [0, 3, -1, i32::MAX] {
        let mut out = true;
        let e = fails(|e| keel_conn_supports(fx.conn, unknown, &mut out, e));
        assert_err(&e, Status::InvalidArgument, &[&format!("capability {unknown}"), "not supported"]);
        assert!(out, "supported_out written on failure");
    }
}

#[test]
fn rows_column_index_finds_exact_names_first_then_any_case() {
    let fx = Fx::new();
    let rows = query(fx.conn, "SELECT 1 AS name, 2 AS Name, 3 AS \"Other\", 4 AS \"\"", &[]);
    let find = |name: &[u8]| {
        let mut i = 99usize;
        call(|e| keel_rows_column_index(rows, name.as_ptr() as *const c_char, name.len(), &mut i, e)).map(|()| i)
    };
    assert_eq!(find(b"name").unwrap(), 0);
    assert_eq!(find(b"Name").unwrap(), 1, "an exact match wins over an earlier one of another case");
    assert_eq!(find(b"NAME").unwrap(), 0, "else the first equal ignoring ASCII case");
    assert_eq!(find(b"other").unwrap(), 2);
    assert_eq!(find(b"").unwrap(), 3, "an empty name is a name");
    // Not a prefix match, and a missing name says which columns there are.
    let mut i = 99usize;
    let e = fails(|e| keel_rows_column_index(rows, c"nam".as_ptr(), 3, &mut i, e));
    assert_err(&e, Status::NotFound, &["\"nam\"", "\"name\", \"Name\", \"Other\""]);
    assert_eq!(i, 99, "index_out written on failure");
    // (pointer, length): no NUL needed, and bytes after the length are not read.
    assert_eq!(find(&b"Otherwise"[..5]).unwrap(), 2);
    keel_rows_free(rows);
}

#[test]
fn prepare_cached_shares_the_statement_cache_with_exec() {
    let fx = Fx::new();
    let stats = || {
        let mut s = keel::ffi::types::keel_pool_stats::default();
        s.size = std::mem::size_of_val(&s);
        ok(|e| keel_db_stats(fx.db, &mut s, e));
        (s.stmt_cache_hits, s.stmt_cache_misses)
    };
    let sql = b"SELECT ? + 1";
    let take = || {
        let mut st = null_mut();
        ok(|e| keel_conn_prepare_cached(fx.conn, sql.as_ptr() as *const c_char, sql.len(), &mut st, e));
        st
    };
    let (h0, m0) = stats();
    let a = take();
    let b = take();
    assert_ne!(a, b);
    assert_eq!(stats(), (h0, m0 + 2), "two live at once: each prepared its own");
    ok(|e| keel_stmt_bind_int64(a, 0, 41, e));
    let rows = {
        let mut r = null_mut();
        ok(|e| keel_stmt_query(a, &mut r, e));
        r
    };
    assert!(next(rows));
    assert_eq!(get_i64(rows, 0), 42);
    keel_rows_free(rows);
    keel_stmt_free(a);
    keel_stmt_free(b);
    // Back in the cache: the next taker and keel_conn_exec hit it.
    let again = take();
    keel_stmt_free(again);
    let sel = c("SELECT ? + 1");
    ok(|e| keel_conn_exec(fx.conn, sel.as_ptr(), &v_i64(1), 1, null_mut(), e));
    assert_eq!(stats(), (h0 + 2, m0 + 2));
    // The SQL rules of the _len calls.
    let mut st: *mut keel_stmt = sentinel();
    let nul = b"SELECT 1\0; DROP";
    let e = fails(|e| keel_conn_prepare_cached(fx.conn, nul.as_ptr() as *const c_char, nul.len(), &mut st, e));
    assert_err(&e, Status::InvalidArgument, &["NUL"]);
    assert_eq!(st, sentinel());
}

/// keel_stmt_bind_text_static / _bytes_static: SQLite reads the caller's
/// buffer when the statement runs (what it holds then is what is stored:
/// no copy was made at bind time), binds '' and empty bytes for NULL with
/// length 0, refuses invalid UTF-8 naming it, and a later ordinary bind
/// of the same parameter takes over; a statement run again reads the
/// buffer again.
#[test]
fn static_binds_read_the_callers_buffer_on_sqlite() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE s (t TEXT, b BLOB)", &[]);
    let st = prepare(conn, "INSERT INTO s (t, b) VALUES (?, ?)");
    let mut text = *b"aaaa";
    let mut bytes = [1u8, 2, 3];
    // The buffers are written through the same raw pointers SQLite reads
    // (a write through `text` itself would end those pointers' validity).
    let (text_p, bytes_p) = (text.as_mut_ptr(), bytes.as_mut_ptr());
    ok(|e| keel_stmt_bind_text_static(st, 0, text_p as *const c_char, 4, e));
    ok(|e| keel_stmt_bind_bytes_static(st, 1, bytes_p, 3, e));
    // Changed after the bind, before the run: SQLite reads it as it is now.
    // SAFETY: both point into live arrays of 4 and 3 bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(b"bbbb".as_ptr(), text_p, 4);
        bytes_p.write(9);
    }
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    // SAFETY: as above.
    unsafe { std::ptr::copy_nonoverlapping(b"cccc".as_ptr(), text_p, 4) };
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    ok(|e| keel_stmt_bind_text_static(st, 0, null(), 0, e));
    ok(|e| keel_stmt_bind_bytes_static(st, 1, null(), 0, e));
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    ok(|e| keel_stmt_bind_text(st, 0, c"copied".as_ptr(), 6, e));
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    let bad = [b'a', 0xff];
    let err = fails(|e| keel_stmt_bind_text_static(st, 0, bad.as_ptr() as *const c_char, bad.len(), e));
    assert_err(&err, Status::InvalidArgument, &["text is not valid UTF-8"]);
    keel_stmt_free(st);
    let rows = query(conn, "SELECT t, b, typeof(t), typeof(b) FROM s ORDER BY rowid", &[]);
    let mut got = Vec::new();
    while next(rows) {
        got.push((get_text(rows, 0), get_bytes(rows, 1), get_text(rows, 2), get_text(rows, 3)));
    }
    keel_rows_free(rows);
    let row = |t: &str, b: &[u8]| (t.to_owned(), b.to_vec(), "text".to_owned(), "blob".to_owned());
    assert_eq!(got, vec![row("bbbb", &[9, 2, 3]), row("cccc", &[9, 2, 3]), row("", b""), row("copied", b"")]);
    keel_conn_free(conn);
    keel_db_free(db);
}

/// On the engines that copy (PostgreSQL, MySQL/MariaDB), a static bind
/// is an ordinary one: the value is the buffer's at bind time.
#[test]
fn static_binds_copy_on_the_servers() {
    for var in ["KEEL_TEST_POSTGRES_URL", "KEEL_TEST_MYSQL_URL"] {
        let Ok(url) = std::env::var(var) else {
            println!("skipped: {var} is not set");
            continue;
        };
        let db = open(&url);
        let conn = checkout(db);
        let st = prepare(conn, "SELECT CAST(? AS CHAR(4))");
        let mut text = *b"aaaa";
        ok(|e| keel_stmt_bind_text_static(st, 0, text.as_ptr() as *const c_char, text.len(), e));
        text.copy_from_slice(b"bbbb");
        let mut rows = null_mut();
        ok(|e| keel_stmt_query(st, &mut rows, e));
        assert!(next(rows));
        assert_eq!(get_text(rows, 0), "aaaa", "{var}");
        keel_rows_free(rows);
        keel_stmt_free(st);
        keel_conn_free(conn);
        keel_db_free(db);
    }
}

/// A batch row that keel refuses before sending it (invalid UTF-8, NaN
/// on SQLite, a wrong count pushed by Rust): the rows before it run and
/// stay, as the header promises, and since they ran, the error no longer
/// says NOT_SENT (running the call again would apply them twice). Row 0
/// refused still says NOT_SENT.
#[test]
fn a_batch_row_refused_before_sending_keeps_the_rows_before_it() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)", &[]);
    let ins = prepare(conn, "INSERT INTO t (id, x) VALUES (?, ?)");
    let bad = [0xff_u8, 0xfe];
    for (at, n) in [(5usize, 10usize), (0, 3), (1500, 2000)] {
        exec(conn, "DELETE FROM t", &[]);
        let mut params = Vec::new();
        for i in 0..n {
            params.push(v_i64(i as i64));
            params.push(if i == at { v_text(&bad) } else { v_text(b"ok") });
        }
        let e = fails(|e| keel_stmt_execute_batch(ins, params.as_ptr(), n, 2, null_mut(), e));
        assert_eq!(e.status(), Status::InvalidArgument, "{}", e.message());
        assert!(e.message().starts_with(&format!("row {at}: column 1")), "{}", e.message());
        let want = if at == 0 { RetrySafety::NotSent } else { RetrySafety::Unknown };
        assert_eq!(e.retry_safety(), want, "row {at}");
        assert_eq!(scalar_i64(conn, "SELECT count(*) FROM t"), at as i64, "the rows before row {at} stay");
    }
    keel_stmt_free(ins);
    keel_conn_free(conn);
    keel_db_free(db);
}
