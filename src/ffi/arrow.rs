//! The Arrow C stream out of a query (`keel_conn_query_arrow`,
//! `keel_db_query_arrow`, `keel_rows_export_arrow`) and into a table
//! (`keel_conn_ingest`). The record batches
//! are built by `codec::arrow` (its type mapping is the one the header
//! documents); arrow-rs's `FFI_ArrowArrayStream` is the C struct, laid out
//! as the Arrow C stream interface says (`struct ArrowArrayStream`, which
//! the header declares with the spec's own block and guard).

use super::boundary::{c_str, call_on, call_on_shared, null_arg, out_ptr, write, write_opt};
use super::conn::keel_conn;
use super::db::keel_db;
use super::error::keel_error;
use super::rows::keel_rows;
use super::types::{keel_value, params_in};
use crate::codec::arrow::{ArrowReader, ArrowSource};
use crate::core::db::Rows;
use crate::core::error::{Error, Result, Status};
use crate::core::ingest::IngestMode;
use arrow_array::ffi_stream::ArrowArrayStreamReader;
use std::ffi::c_char;

/// Ask `stream` for its schema once, to report the producer's own message
/// (`get_last_error`) when that fails: arrow-rs's reader gives only the
/// error code. The stream is given back for the reader, which asks again
/// (the interface allows asking more than once).
fn producer_schema_ok(mut stream: ArrowArrayStream) -> Result<ArrowArrayStream> {
    let Some(get_schema) = stream.get_schema else {
        return Err(Error::invalid_argument("the Arrow stream has no get_schema callback"));
    };
    let mut schema = arrow_schema::ffi::FFI_ArrowSchema::empty();
    // SAFETY: a live stream (the caller's promise), and room for a schema.
    let rc = unsafe { get_schema(&mut stream, &mut schema) };
    if rc == 0 {
        return Ok(stream);
    }
    let said = stream
        .get_last_error
        // SAFETY: the stream is live; the message, when there is one, is a
        // NUL-terminated string valid until the next call on the stream.
        .map(|f| unsafe { f(&mut stream) })
        .filter(|p| !p.is_null())
        .map(|p| unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned());
    Err(Error::invalid_data(match said {
        Some(m) => format!("the Arrow stream's producer could not give its schema: {m} (error code {rc})"),
        None => format!("the Arrow stream's producer could not give its schema (error code {rc})"),
    }))
}

/// The Arrow C stream interface's `struct ArrowArrayStream` (written in
/// the header as the Arrow specification writes it).
pub type ArrowArrayStream = arrow_array::ffi_stream::FFI_ArrowArrayStream;

/// Wrap the rest of `rows` as a stream and write it to `out`.
fn export(rows: Rows, out: *mut ArrowArrayStream) -> Result<()> {
    let batch_rows = rows.arrow_batch_rows();
    let reader = ArrowReader::new(rows, batch_rows)?;
    let mut stream = ArrowArrayStream::new(Box::new(reader));
    if let Some(f) = stream.get_last_error.take() {
        ARROW_LAST_ERROR.get_or_init(|| f);
        stream.get_last_error = Some(keel_last_error);
    }
    write(out, stream);
    Ok(())
}

type LastError = unsafe extern "C" fn(*mut ArrowArrayStream) -> *const c_char;

/// arrow-rs's own `get_last_error` (the same function for every stream it
/// makes), which keel's streams call through [`keel_last_error`].
static ARROW_LAST_ERROR: std::sync::OnceLock<LastError> = std::sync::OnceLock::new();

/// `get_last_error` of the streams keel makes: arrow-rs's message from
/// where keel's own begins. arrow-rs puts the kind of its error in front
/// ("Compute error: "), and the header promises a message that starts
/// `keel: ` and the status text. The pointer is into arrow-rs's copy of
/// the message, so it lives as long as arrow-rs says its own does (until
/// the next call on the stream, or its release).
unsafe extern "C" fn keel_last_error(stream: *mut ArrowArrayStream) -> *const c_char {
    let Some(f) = ARROW_LAST_ERROR.get() else { return std::ptr::null() };
    // SAFETY: the consumer passes the stream this function was set on,
    // whose other callbacks are arrow-rs's.
    let p = unsafe { f(stream) };
    if p.is_null() {
        return p;
    }
    // SAFETY: arrow-rs returns a NUL-terminated string.
    let text = unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes();
    match text.windows(6).position(|w| w == b"keel: ") {
        // SAFETY: `at` is inside the same string.
        Some(at) => unsafe { p.add(at) },
        None => p,
    }
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
/// numeric(p,s), MySQL's DECIMAL(p,s), a loaded driver's DECIMAL(p,s) engine
/// type such as DuckDB's) and p is at most 38, decimal256(p, s) for p of
/// 39 to 76, and utf8 holding the exact decimal
/// text where there is no precision or it is larger (PostgreSQL's
/// unconstrained numeric, SQL Server), uuid → fixed_size_binary(16) with extension name `arrow.uuid`,
/// json → utf8 with extension name `arrow.json`. A PostgreSQL array column
/// (one whose elements keel decodes: every type above, plus the types
/// read as text, such as intervals, timetz, inet, enums and domains, as
/// utf8) → list<T> of its elements' Arrow type
/// (child field `item`), although `keel_rows_column_text` reads its values
/// as the server's array text (whose `[2:3]=` prefix keeps a first index
/// other than 1, which a list does not: it holds the elements); an array
/// value of more than one dimension, or with an element the element type
/// cannot hold (a date `infinity`),
/// fails with `KEEL_STATUS_INVALID_DATA` naming the row and column; an
/// array of money, of reg* types or of a type read as bytes reads as
/// bytes → binary. Every field is nullable; NULL is
/// a cleared validity bit (of a list, and of each element). A column without a declared type
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
/// threads but must not be used by two at once. It also keeps the value
/// and offset buffers of the last batch its consumer released (at most
/// one batch's), and fills them again for the next batch instead of
/// allocating new ones; a batch the consumer still holds is never written.
///
/// Ownership: `sql` and `params` are borrowed for the call. On success
/// `*stream_out` belongs to the caller, who calls its `release` callback
/// once (any Arrow consumer that imports it does); nothing is written on
/// failure.
///
/// Lifetime: the schema and arrays the stream hands out are the
/// consumer's, each with its own `release` (callable from any thread), and
/// live past the stream.
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
/// the caller still frees it. The stream holds the cursor's result and
/// its connection's session; it stays valid after `keel_rows_free(rows)`,
/// `keel_stmt_free` and `keel_conn_free`. A cursor of a `keel_stmt` stays
/// tied to that statement: running, binding or clearing it again closes
/// the stream's cursor as it would have closed `rows` (`get_next` then
/// fails).
///
/// Ownership: borrows `rows`. On success `*stream_out` belongs to the
/// caller, who calls its `release` callback once.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, stream_out),
/// `KEEL_STATUS_INVALID_STATE` (the cursor was closed by its statement or
/// already exported), `KEEL_STATUS_INVALID_DATA` (a value of the first
/// batch that does not fit its Arrow type), engine errors raised while
/// reading the first batch, and the error of the row a
/// `keel_rows_fetch_batch` on `rows` stopped at after returning the rows
/// before it (see there). On failure the cursor's rows are gone all the
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

/// Load an Arrow C stream into a table.
///
/// Reads every record batch of `stream` and inserts its rows into `table`
/// on `conn`, after making the table as `mode` (a `keel_ingest_mode`)
/// says: `KEEL_INGEST_MODE_CREATE` makes it (failing with the engine's
/// "already exists" error when it exists), `KEEL_INGEST_MODE_APPEND` adds
/// to a table that exists, `KEEL_INGEST_MODE_REPLACE` drops it if it
/// exists and makes it again, `KEEL_INGEST_MODE_CREATE_APPEND` makes it
/// unless it exists. `table` is one name, quoted as the engine quotes
/// identifiers (no schema prefix); the columns are the stream's fields,
/// by name, and a table keel makes declares for each the engine's type
/// for its keel type (the reverse of `keel_conn_query_arrow`'s mapping;
/// int8 to int32 and uint8 to uint32 as int64, float32 as double, large
/// utf8 and binary and their views, timestamps in s, ms or ns converted
/// to µs exactly). A list (list<T> or large_list<T> of one of those
/// types) goes into a PostgreSQL array column (a table keel makes declares
/// `T[]`, `BIGINT[]` for list<int64>), by the binary COPY as
/// one-dimensional binary arrays (as the server's array text in INSERTs
/// when the column's element type has no binary form for the list's);
/// other engines have no arrays and refuse a list field in every mode. A
/// field type with no keel type (structs, dictionaries, lists of lists),
/// or with no column type on the engine (uint64 on SQLite, PostgreSQL and
/// SQL Server, uuid on MySQL, lists outside PostgreSQL), fails with
/// `KEEL_STATUS_NOT_IMPLEMENTED` before anything runs.
///
/// On PostgreSQL the rows go in by `COPY ... FROM STDIN (FORMAT binary)`,
/// encoded straight from the Arrow arrays, when every field's keel type
/// has a binary form for its table column's type (int64 into int2, int4
/// or int8; double into float4 or float8; text and json into text,
/// varchar, char, json or jsonb; decimal into numeric; the others into
/// their own type; a list field has none, so a stream with one goes in as
/// multi-row INSERTs). On MariaDB 10.2 and later they go in by one
/// prepared INSERT run by `COM_STMT_BULK_EXECUTE`, up to 10,000 rows of
/// binary values per command (what libmariadb's array binding sends),
/// unless the URL says `mariadb_bulk=off`; a duplicate key or a value the
/// server refuses is the call's error, and so is a value it adjusted with
/// a warning (outside strict mode). On MySQL (and MariaDB with
/// `mariadb_bulk=off`) they go in by `LOAD DATA LOCAL
/// INFILE`, fed from the stream as escaped tab-separated text (no file is
/// opened), when the server has `local_infile` on, no field is a uuid, and
/// json and bytes fields are not both present (the text is read in one
/// character set: binary, or utf8mb4 for json);
/// the server makes duplicate keys and values it cannot store warnings
/// under LOCAL, and keel makes the first such warning the call's error
/// (`KEEL_STATUS_INTEGRITY` for a duplicate key), so the rows are rolled
/// back. On SQL Server they go in by the TDS bulk load, each value written
/// as its table column takes it, exactly: a value out of the column's
/// range, or finer than its scale (a time with microseconds into
/// `time(3)`, a decimal with more digits than the column's (p, s)), is
/// `KEEL_STATUS_INVALID_DATA` naming the row, never rounded; a NULL into
/// a column that takes none is `KEEL_STATUS_INTEGRITY`. A rejected row
/// ends the load there: the rows before it are in the transaction, which
/// keel rolls back when it opened it. Otherwise (a table with a money,
/// datetime, smalldatetime, text, ntext, image, xml, identity or computed
/// column on SQL Server) the rows go in as a
/// batch of one prepared INSERT (as `keel_stmt_execute_batch`): on
/// MySQL/MariaDB and PostgreSQL multi-row INSERTs of up to 1000 rows, on
/// SQL Server one INSERT per row. On SQLite each record batch goes in by
/// one prepared `INSERT INTO t (...) SELECT ... FROM keel_ingest_rows(?)`,
/// whose table-valued function (registered by keel on every SQLite
/// connection it opens, usable by no view or trigger) reads the batch's
/// values where they are in the stream's arrays (no copy), each record
/// batch read from the stream before its rows go in (so the stream may
/// read from `conn` itself); a value SQLite cannot take (a uint64 past
/// INT64_MAX, a NaN) is `KEEL_STATUS_INVALID_ARGUMENT` naming the row and
/// the parameter (the field's index), and a row that breaks a constraint
/// fails naming the row; either undoes the rows of its record batch (one
/// statement), the batches before it staying in the transaction. A
/// stream of more than 999 fields, or a database with a table named
/// `keel_ingest_rows`, goes in by one prepared INSERT per row instead,
/// where a failing row leaves the rows before it in the transaction. On a driver
/// loaded at run time (`keel_driver_load`), the rows go in through the
/// driver's appender when it has one (DuckDB's), else as a batch of its
/// prepared INSERT; a table keel makes there declares the column types
/// the driver names (`column_types` in keel_driver.h: DuckDB names one
/// for every keel type, and a decimal needs its precision and scale),
/// and a driver that names none makes modes other than
/// `KEEL_INGEST_MODE_APPEND` fail with `KEEL_STATUS_NOT_IMPLEMENTED`.
/// Everything runs in one transaction
/// when `conn` is not in one (MySQL/MariaDB commit CREATE and DROP at
/// once, so there the transaction holds the rows only), rolled back on
/// failure; inside a transaction of the caller's, nothing is rolled back
/// here. On MySQL/MariaDB a mode that makes or drops the table commits
/// what the caller's transaction held before (the server commits before
/// DDL), and the rows then go into a new transaction, which stays open
/// for the caller to commit or roll back; and there
/// `KEEL_INGEST_MODE_REPLACE` drops the old table at once, so a load that
/// fails leaves the table made again, empty.
///
/// Ownership: takes `stream` whenever it is not NULL, whatever the
/// outcome: it is released (its `release` called, and `stream->release`
/// set to NULL) before this call returns. `table` is borrowed for the
/// call. `*rows_out`, when `rows_out` is not NULL, receives the number of
/// rows inserted.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, table, stream),
/// `KEEL_STATUS_INVALID_ARGUMENT` (unknown mode, a stream without columns
/// or with an unreadable schema, a name with a NUL byte),
/// `KEEL_STATUS_NOT_IMPLEMENTED` (a field type keel cannot ingest),
/// `KEEL_STATUS_INVALID_DATA` (a value that does not convert exactly, an
/// error the stream's producer reported, with the message from its
/// `get_last_error` placed after the rows before it: `after N rows:
/// reading the Arrow stream: ...`), `KEEL_STATUS_ALREADY_EXISTS`
/// and `KEEL_STATUS_NOT_FOUND` (the table, per mode), and engine errors.
/// keel's own errors name the row (0-based, from the start of the
/// stream) and column; so do the engine's on SQLite and PostgreSQL (whose
/// COPY names the row as its 1-based line, kept in the message's
/// context); on MySQL/MariaDB and SQL Server an engine error names the
/// row only where the server's own message does (a duplicate key gives
/// the key, not the row), and MariaDB's bulk command names the rows it
/// carried (`rows 10000 to 19999, sent as one bulk command:`, the server's
/// `at row N` counting within them); a loaded driver's appender, which
/// checks keys only as it writes, names every row it held (`rows 0 to
/// N, written as one piece by the driver's appender:`). A double into a
/// PostgreSQL `real` column that float4 cannot hold (overflow, or a value
/// not 0 that rounds to 0) is `KEEL_STATUS_INVALID_DATA` with SQLSTATE
/// 22003, as the server's own cast refuses it.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_ingest(
    conn: *mut keel_conn,
    table: *const c_char,
    stream: *mut ArrowArrayStream,
    mode: i32,
    rows_out: *mut u64,
    err_out: *mut *mut keel_error,
) -> Status {
    // Taken first, so that it is released on every path.
    let taken = if stream.is_null() {
        None
    } else {
        // SAFETY: the caller passes a live stream it gives up (Ownership).
        Some(unsafe { ArrowArrayStream::from_raw(stream) })
    };
    call_on(conn, err_out, |c| {
        let table = c_str(table, "table")?;
        let stream = taken.ok_or_else(|| null_arg("stream"))?;
        let mode = IngestMode::from_i32(mode).ok_or_else(|| {
            Error::invalid_argument(format!("mode {mode} is not a keel_ingest_mode value"))
        })?;
        let stream = producer_schema_ok(stream)?;
        let reader = ArrowArrayStreamReader::try_new(stream).map_err(|e| {
            Error::invalid_argument(format!("reading the Arrow stream's schema: {e}"))
        })?;
        let mut src = ArrowSource::new(reader)?;
        let n = c.conn().ingest(table, mode, &mut src)?;
        write_opt(rows_out, n);
        Ok(())
    })
}
