//! The Arrow C stream out of a query: `keel_conn_query_arrow`,
//! `keel_db_query_arrow` and `keel_rows_export_arrow`. The record batches
//! are built by `codec::arrow` (its type mapping is the one the header
//! documents); arrow-rs's `FFI_ArrowArrayStream` is the C struct, laid out
//! as the Arrow C stream interface says (`struct ArrowArrayStream`, which
//! the header declares with the spec's own block and guard).

use super::boundary::{c_str, call_on, call_on_shared, out_ptr, write};
use super::conn::keel_conn;
use super::db::keel_db;
use super::error::keel_error;
use super::rows::keel_rows;
use super::types::{keel_value, params_in};
use crate::codec::arrow::ArrowReader;
use crate::core::db::Rows;
use crate::core::error::{Result, Status};
use std::ffi::c_char;

/// The Arrow C stream interface's `struct ArrowArrayStream` (written in
/// the header as the Arrow specification writes it).
pub type ArrowArrayStream = arrow_array::ffi_stream::FFI_ArrowArrayStream;

/// Wrap the rest of `rows` as a stream and write it to `out`.
fn export(rows: Rows, out: *mut ArrowArrayStream) -> Result<()> {
    let batch_rows = rows.arrow_batch_rows();
    let reader = ArrowReader::new(rows, batch_rows)?;
    write(out, ArrowArrayStream::new(Box::new(reader)));
    Ok(())
}

/// Run a query and return its result as an Arrow C stream.
///
/// Runs `sql` with `params` as `keel_conn_query` does and fills
/// `*stream_out` with a `struct ArrowArrayStream` (the Arrow C stream
/// interface, declared in this header) whose schema is a struct of the
/// result's columns and whose arrays are record batches of up to
/// `arrow_batch_rows` rows (an option of the pool; a batch also ends once
/// its text and bytes pass 16 MiB). This call reads the first batch, so
/// that columns without a declared type get theirs, and fails with its
/// errors; later errors make `get_next` return non-zero, with the message
/// (starting `keel: ` and the status text) from `get_last_error`, and the
/// stream ends there.
///
/// Types, the same on every engine: bool → bool, int64 → int64, uint64 →
/// uint64, double → float64, text → utf8, bytes → binary, date → date32,
/// time → time64[us], timestamp → timestamp[us], timestamptz →
/// timestamp[us, UTC] (SQL Server's stored offset is dropped, the instant
/// kept), decimal → decimal128(p, s) where the engine gives the column's
/// precision and scale (SQLite's declared NUMERIC(p,s), PostgreSQL's
/// numeric(p,s), MySQL's DECIMAL(p,s)) and utf8 holding the exact decimal
/// text where it does not (PostgreSQL's unconstrained numeric, SQL
/// Server), uuid → fixed_size_binary(16) with extension name `arrow.uuid`,
/// json → utf8 with extension name `arrow.json`. PostgreSQL arrays come as
/// text, as `keel_rows_column_text` gives them. Every field is nullable;
/// NULL is a cleared validity bit. A column without a declared type
/// (SQLite expressions) takes the type of its first non-NULL value in the
/// first batch, or Arrow's null type when that batch has none. A value
/// that does not fit its column's Arrow type fails the batch with an error
/// naming the row (0-based, over the whole stream) and the column.
///
/// What the stream holds: the cursor, and through it the connection's
/// session and, for `keel_conn_query_arrow`, the cached statement it runs.
/// The caller may free `conn` (`keel_conn_free`) while the stream lives;
/// the session goes back to the pool when the stream is released. Until
/// then it counts as checked out, and, on engines without
/// `KEEL_CAPABILITY_SEVERAL_CURSORS`, `conn` runs nothing else until the
/// stream reached its end or was released. The stream may move between
/// threads but must not be used by two at once.
///
/// Ownership: `sql` and `params` are borrowed for the call. On success
/// `*stream_out` belongs to the caller, who calls its `release` callback
/// once (any Arrow consumer that imports it does); nothing is written on
/// failure.
///
/// Lifetime: the schema and arrays the stream hands out are the
/// consumer's, each with its own `release`, and live past the stream.
///
/// Errors: as `keel_conn_query`, plus `KEEL_STATUS_NULL_ARGUMENT`
/// (stream_out), `KEEL_STATUS_INVALID_DATA` (a value of the first batch
/// that does not fit its Arrow type).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_query_arrow(
    conn: *mut keel_conn,
    sql: *const c_char,
    params: *const keel_value,
    n_params: usize,
    stream_out: *mut ArrowArrayStream,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let sql = c_str(sql, "sql")?;
        let out = out_ptr(stream_out, "stream_out")?;
        let params = params_in(params, n_params)?;
        let rows = c.conn().query(sql, &params)?;
        export(rows, out)
    })
}

/// Run a query on a pooled connection and return its result as an Arrow C
/// stream.
///
/// As `keel_conn_query_arrow`, on a connection checked out of `db` for the
/// stream: it goes back to the pool when the stream is released.
///
/// Ownership: `sql` and `params` are borrowed for the call. On success
/// `*stream_out` belongs to the caller, who calls its `release` callback
/// once.
///
/// Lifetime: the stream may outlive `db` (`keel_db_free`): it keeps the
/// pool alive until released.
///
/// Errors: as `keel_db_query` and `keel_conn_query_arrow`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_query_arrow(
    db: *mut keel_db,
    sql: *const c_char,
    params: *const keel_value,
    n_params: usize,
    stream_out: *mut ArrowArrayStream,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on_shared(db, err_out, |db| {
        let sql = c_str(sql, "sql")?;
        let out = out_ptr(stream_out, "stream_out")?;
        let params = params_in(params, n_params)?;
        let rows = db.query(sql, &params)?;
        export(rows, out)
    })
}

/// Move the rows a cursor has not read yet into an Arrow C stream.
///
/// The stream starts at the row after the cursor's current one and reads
/// the rest of the result, as `keel_conn_query_arrow` describes (types,
/// batches, errors, what it holds). Afterwards `rows` is empty: every call
/// on it but `keel_rows_free` fails with `KEEL_STATUS_INVALID_STATE`, and
/// the caller still frees it. The stream holds the cursor's result, its
/// statement's place and its connection's session; it stays valid after
/// `keel_rows_free(rows)`, `keel_stmt_free` and `keel_conn_free`.
///
/// Ownership: borrows `rows`. On success `*stream_out` belongs to the
/// caller, who calls its `release` callback once.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, stream_out),
/// `KEEL_STATUS_INVALID_STATE` (the cursor was closed by its statement or
/// already exported), `KEEL_STATUS_INVALID_DATA` (a value of the first
/// batch that does not fit its Arrow type), and engine errors raised while
/// reading the first batch. On failure the cursor's rows are gone all the
/// same.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_export_arrow(
    rows: *mut keel_rows,
    stream_out: *mut ArrowArrayStream,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(stream_out, "stream_out")?;
        let rows = r.take_for_export()?;
        export(rows, out)
    })
}
