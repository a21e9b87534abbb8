//! `keel_buffer` and the batch calls: `keel_rows_fetch_batch` (many rows
//! into one buffer), and `keel_stmt_execute_batch` /
//! `keel_stmt_execute_batch_encoded` (one statement run for many parameter
//! rows, given as `keel_value`s or as one encoded buffer). They exist for callers whose per-call cost is
//! high, such as Python's ctypes, and are plain C for everyone else.
//!
//! The one batch format today is `KEEL_BATCH_FORMAT_PICKLE5`, a pickle
//! protocol 5 stream of a list of tuples: CPython's C unpickler builds a
//! whole batch of row objects in one `pickle.loads` call. Why this format
//! and its exact value mapping are in `codec::pickle`; the core runs the
//! rows through its row-encoder seam (`core::encode`), and this file picks
//! the codec for a `keel_batch_format`.

use super::boundary::{Opaque, c_bytes, call_on, free_handle, get, into_handle, null_arg, out_ptr, write, write_opt};
use super::error::keel_error;
use super::rows::keel_rows;
use super::stmt::{keel_stmt, query_into};
use super::types::{keel_exec_result, keel_value, value_in};
use crate::codec::marshal::{self, MarshalReader, MarshalWriter};
use crate::codec::pickle::{PickleReader, PickleWriter};
use crate::core::db::{Rows, Stmt};
use crate::core::encode::{Fetched, RowDecoder, SOFT_BYTE_LIMIT};
use crate::core::error::{Error, Result, Status};
use crate::core::value::ValueRef;

/// An encoding for `keel_rows_fetch_batch` (rows out) and
/// `keel_stmt_execute_batch_encoded` (parameter rows in). Numbers never
/// change.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchFormat {
    /// A pickle protocol 5 stream of one list of tuples, one tuple per row,
    /// that Python's `pickle.loads` turns into objects: NULL is `None`,
    /// bool `bool`, int64/uint64 `int`, double `float`, text and JSON
    /// `str` (JSON is not parsed), bytes `bytes`, decimal
    /// `decimal.Decimal`, date `datetime.date`, time `datetime.time`,
    /// timestamp a naive `datetime.datetime`, timestamptz a
    /// `datetime.datetime` in `datetime.timezone.utc`, uuid `uuid.UUID`.
    /// The stream names no callables but those six stdlib ones. Parameter
    /// rows going in use the same container shape with the value tags
    /// described at `keel_stmt_execute_batch_encoded`.
    Pickle5 = 1,
    /// A Python `marshal` stream, version 2 (as `marshal.dumps(rows, 2)`
    /// writes; `marshal.loads` of every Python 3 reads it), of one list
    /// of tuples: NULL is `None`, bool `bool`, int64/uint64 `int`, double
    /// `float`, text and JSON `str`, bytes `bytes`. CPython builds these
    /// objects about a third faster from marshal than from pickle. It
    /// carries no other type: a fetch refuses a result with a decimal,
    /// date, time, timestamp, timestamptz or uuid column with
    /// `KEEL_STATUS_NOT_IMPLEMENTED` before it reads a row (fetch those
    /// with `KEEL_BATCH_FORMAT_PICKLE5`); a text or bytes value of 2 GiB
    /// or more (marshal counts lengths in 31 bits) fails the fetch as a
    /// row that fails to encode does. Parameter rows going in are one list or
    /// tuple of rows, each a tuple or list of those six types.
    Marshal2 = 2,
}

impl BatchFormat {
    fn from_i32(format: i32) -> Result<BatchFormat> {
        match format {
            1 => Ok(BatchFormat::Pickle5),
            2 => Ok(BatchFormat::Marshal2),
            _ => Err(Error::invalid_argument(format!("format {format} is not a keel_batch_format value"))),
        }
    }

    /// The reader of parameter rows in this format.
    fn decoder(self) -> &'static dyn RowDecoder {
        match self {
            BatchFormat::Pickle5 => &PickleReader,
            BatchFormat::Marshal2 => &MarshalReader,
        }
    }

    /// Whether this format carries every column of `rows`, checked
    /// before a row is read (marshal has no dates, decimals or UUIDs).
    fn carries(self, rows: &Rows) -> Result<()> {
        match self {
            BatchFormat::Pickle5 => Ok(()),
            BatchFormat::Marshal2 => marshal::cannot_carry(rows.columns()).map_or(Ok(()), Err),
        }
    }

    /// Up to `max_rows` rows of `rows` in this format, written into
    /// `buf`'s memory.
    fn fetch(self, rows: &mut Rows, buf: Vec<u8>, max_rows: usize) -> Result<Fetched> {
        self.carries(rows)?;
        match self {
            BatchFormat::Pickle5 => rows.fetch_encoded(PickleWriter::reusing(buf), max_rows, SOFT_BYTE_LIMIT),
            BatchFormat::Marshal2 => rows.fetch_encoded(MarshalWriter::reusing(buf), max_rows, SOFT_BYTE_LIMIT),
        }
    }

    /// The row the cursor holds before it moves (`Rows::peek_encoded`) in
    /// this format, written into `buf`'s memory.
    fn peek(self, rows: &mut Rows, buf: Vec<u8>) -> Result<Fetched> {
        self.carries(rows)?;
        match self {
            BatchFormat::Pickle5 => rows.peek_encoded(PickleWriter::reusing(buf)),
            BatchFormat::Marshal2 => rows.peek_encoded(MarshalWriter::reusing(buf)),
        }
    }
}

/// Bytes the library allocated for the caller.
///
/// Created by `keel_rows_fetch_batch`, destroyed by `keel_buffer_free`.
/// Methods: `keel_buffer_data`, `keel_buffer_len`. Immutable once
/// returned, so it may be read from any thread and outlives the cursor it
/// came from. In Rust it is a `Vec<u8>`.
pub struct keel_buffer {
    _private: [u8; 0],
}

impl Opaque for keel_buffer {
    type Rust = Vec<u8>;
    const NAME: &'static str = "buffer";
}

/// Read up to `max_rows` rows from a cursor into one new buffer.
///
/// Advances `rows` past every row it copies, encoding them in `format`
/// (a `keel_batch_format`). Fewer than `max_rows` rows are returned only
/// at the end of the result, or when the buffer has grown past 16 MiB;
/// `*n_rows_out` is 0 only at the end. `*end_out`, when `end_out` is not
/// NULL, is set true when this call reached the end of the result (so a
/// further call would return no rows). Afterwards the cursor is on the
/// last row copied, as if `keel_rows_next` had been called for each.
/// When a row fails to read or encode (an engine error, or a date outside
/// what the format can hold), the call stops there: if it had read rows
/// before it, it returns them (`*end_out` false) and the next call that
/// moves the cursor (`keel_rows_fetch_batch`, `keel_rows_next`,
/// `keel_rows_next_values`, `keel_rows_export_arrow`) fails with that
/// row's error instead of moving; with no row before it, this call fails.
/// No row read is dropped. After an encoding error the cursor stands on
/// the failing row (its values readable with the typed getters, also
/// between the rows returned and the error), and a call after the error
/// goes on after it; after an engine error the result has ended.
///
/// `data_out` and `len_out` may be NULL; otherwise they receive the same
/// pointer and length as `keel_buffer_data` and `keel_buffer_len` would
/// give, which saves two calls per batch for callers that pay per call.
/// With `buffer_out` NULL the cursor keeps the bytes instead (then
/// `data_out` and `len_out` are required): no buffer to free, and the
/// cursor reuses the memory for its next batch.
///
/// Ownership: borrows `rows`. On success `*buffer_out`, when given,
/// receives a new `keel_buffer` that the caller frees with
/// `keel_buffer_free`; `*data_out` points into it, or into the cursor when
/// `buffer_out` is NULL.
///
/// Lifetime: a buffer does not borrow from `rows`; it, and `*data_out`
/// into it, live until `keel_buffer_free`, whatever happens to the cursor.
/// Bytes the cursor keeps (`buffer_out` NULL) live until the next
/// `keel_rows_fetch_batch` on `rows` or `keel_rows_free(rows)` (which
/// includes the cursor's reuse by `keel_stmt_query_reuse` or the
/// `keel_stmt_query_encoded` calls).
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, n_rows_out; data_out and
/// len_out when buffer_out is NULL),
/// `KEEL_STATUS_INVALID_ARGUMENT` (max_rows is 0, unknown format),
/// `KEEL_STATUS_INVALID_STATE` (the statement was re-run, so this cursor
/// is closed), `KEEL_STATUS_INVALID_DATA` (SQLSTATE 22008: a date or
/// time outside years 1 to 9999), `KEEL_STATUS_NOT_IMPLEMENTED` (with
/// `KEEL_BATCH_FORMAT_MARSHAL2`, a result with a column of a type marshal
/// cannot carry; no row is read), and engine errors raised while reading.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_fetch_batch(
    rows: *mut keel_rows,
    max_rows: usize,
    format: i32,
    buffer_out: *mut *mut keel_buffer,
    data_out: *mut *const u8,
    len_out: *mut usize,
    n_rows_out: *mut usize,
    end_out: *mut bool,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let n_out = out_ptr(n_rows_out, "n_rows_out")?;
        if buffer_out.is_null() {
            out_ptr(data_out, "data_out (required when buffer_out is NULL)")?;
            out_ptr(len_out, "len_out (required when buffer_out is NULL)")?;
        }
        let format = BatchFormat::from_i32(format)?;
        if max_rows == 0 {
            return Err(Error::invalid_argument("max_rows is 0; ask for at least one row"));
        }
        let buf = if buffer_out.is_null() { std::mem::take(&mut r.batch) } else { Vec::with_capacity(4096) };
        let batch = format.fetch(r.advance_with(), buf, max_rows)?;
        write(n_out, batch.rows);
        write_opt(end_out, batch.end);
        // The bytes live on the heap, so boxing or keeping the Vec does
        // not move them.
        write_opt(data_out, batch.data.as_ptr());
        write_opt(len_out, batch.data.len());
        if buffer_out.is_null() {
            r.batch = batch.data;
        } else {
            write(buffer_out, into_handle::<keel_buffer>(batch.data));
        }
        Ok(())
    })
}

/// Return the start of a buffer's bytes.
///
/// Ownership: borrows `buffer`; the bytes belong to it.
///
/// Lifetime: valid until `keel_buffer_free(buffer)`.
///
/// Errors: returns NULL when `buffer` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_buffer_data(buffer: *const keel_buffer) -> *const u8 {
    get(buffer, std::ptr::null(), |b| b.as_ptr())
}

/// Return how many bytes a buffer holds.
///
/// Ownership: borrows `buffer`.
///
/// Errors: returns 0 when `buffer` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_buffer_len(buffer: *const keel_buffer) -> usize {
    get(buffer, 0, |b| b.len())
}

/// Free a buffer.
///
/// Ownership: takes back `buffer`; NULL is a no-op.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_buffer_free(buffer: *mut keel_buffer) {
    free_handle(buffer)
}

/// Run a statement once for each of `n_rows` rows of parameters.
///
/// `params` holds `n_rows * n_cols` values, row after row; `n_cols` must
/// equal `keel_stmt_param_count(stmt)`. The outcome is that of binding and
/// running each row in turn with `keel_stmt_bind_value` and
/// `keel_stmt_execute`, which is how SQLite runs it. On PostgreSQL and
/// MySQL/MariaDB a plain `INSERT INTO t [(cols)] VALUES (...)` whose
/// VALUES hold only placeholders and literals (on MySQL, into a table of a
/// transactional engine such as InnoDB) runs as multi-row INSERTs of up to
/// 1000 rows instead: one round trip per chunk rather than per row. On
/// PostgreSQL an `INSERT INTO t (cols) VALUES (?, ...)` of placeholders
/// alone, with a column list and nothing after the VALUES, into a plain or
/// partitioned table with no rules and no row-level security that the
/// session may also SELECT from (COPY's column probe reads it), goes by
/// binary `COPY t (cols) FROM STDIN`, 10,000 rows per COPY (row triggers
/// fire as for the INSERT; statement triggers once per COPY); a batch
/// holding a value that has no binary form for its column (a double for
/// a NUMERIC column, text for an integer one) or does not fit it runs as
/// multi-row INSERTs instead, from then on for that statement. On
/// PostgreSQL every other statement with parameters (UPDATE, DELETE,
/// upserts that update, `INSERT ... RETURNING`) is pipelined: up to 1000
/// rows are sent before their answers are read, one round trip per chunk,
/// the server still running the statement once per row. On MariaDB 10.2
/// and later (unless the URL says `mariadb_bulk=off`) UPDATE, single-table
/// DELETE and INSERT/REPLACE ... VALUES that are no multi-row INSERT
/// (upserts whose update takes a parameter), none with RETURNING (which
/// runs row by row), go by MariaDB's bulk command,
/// up to 1000 rows per command, when they write a table of a
/// transactional engine; the command does not say which row failed, so
/// keel runs each chunk inside a savepoint (or a transaction of its own)
/// and, when a row's data fails it, rolls the chunk back and runs its rows
/// one by one, which names the row. A driver loaded
/// at run time runs such INSERTs as multi-row INSERTs when it sets
/// `KEEL_DRIVER_MULTIROW_INSERT`, and when it has an appender (DuckDB) an
/// `INSERT INTO t [(cols)] VALUES (?, ...)` of placeholders alone goes
/// through the appender, 10,000 rows at a time (the error of a failed
/// COPY or appended chunk that keel cannot run again starts `rows N to M,
/// loaded as one piece through the driver's bulk path:`). Outside a
/// transaction each chunk, multi-row, pipelined, copied or appended,
/// commits as a whole.
///
/// The first failing row stops the call, and the error message starts
/// with `row N:` (0-based). The rows before it stay done unless the engine
/// aborts the open transaction on an error, as PostgreSQL does (run the
/// call in a transaction to make it all or nothing). After a constraint
/// or data error in a multi-row INSERT, keel runs that chunk's rows again
/// one by one to find the row; inside a PostgreSQL transaction, which the
/// error aborted, and for errors not about the data (deadlock, timeout,
/// cancel, lost connection) it cannot, and the message starts with `rows
/// N to M, run as one multi-row INSERT:` instead. A pipelined chunk
/// always names its failing row, and no row after it runs; outside a
/// transaction the failure rolls back the chunk's transaction, and keel
/// runs the rows before the failing one again when the error is about the
/// data (otherwise the message says they were rolled back). A row keel
/// refuses before sending it (a bad value: invalid UTF-8, a bad kind, a
/// value the engine cannot take) stops the call the same way, after the
/// rows before it ran. The error of a row after the first says
/// `KEEL_RETRY_SAFETY_UNKNOWN` where it would say
/// `KEEL_RETRY_SAFETY_NOT_SENT` for one statement: the rows before it
/// ran, so running the call again would run them twice. After success
/// the statement is bound to the last row. `n_rows` 0 runs nothing and
/// succeeds.
///
/// Ownership: borrows `stmt`; `params` and their data are read during the
/// call only. `result_out` may be NULL; otherwise it receives the sum of
/// rows affected over all rows and the last insert id of the last row.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, params when n_rows and
/// n_cols are not 0), `KEEL_STATUS_INVALID_ARGUMENT` (n_cols differs from
/// the parameter count, a bad value), and the engine's errors for the
/// failing row (`KEEL_STATUS_INTEGRITY`, `KEEL_STATUS_BUSY`, ...).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_execute_batch(
    stmt: *mut keel_stmt,
    params: *const keel_value,
    n_rows: usize,
    n_cols: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(stmt, err_out, |s| {
        let want = s.param_count();
        if n_cols != want {
            return Err(Error::invalid_argument(format!(
                "n_cols is {n_cols} but the statement has {want} parameter{}",
                if want == 1 { "" } else { "s" }
            )));
        }
        let total = n_rows
            .checked_mul(n_cols)
            .filter(|t| *t <= isize::MAX as usize / std::mem::size_of::<keel_value>())
            .ok_or_else(|| Error::invalid_argument("n_rows * n_cols is too large"))?;
        let vals: &[keel_value] = if total == 0 {
            &[]
        } else if params.is_null() {
            return Err(null_arg("params"));
        } else {
            // SAFETY: the caller passes n_rows * n_cols values valid for the call.
            unsafe { std::slice::from_raw_parts(params, total) }
        };
        super::types::check_result(result_out)?;
        let mut batch = s.batch();
        let mut row: Vec<ValueRef<'_>> = Vec::with_capacity(n_cols);
        for r in 0..n_rows {
            let cells = &vals[r * n_cols..(r + 1) * n_cols];
            row.clear();
            for (j, v) in cells.iter().enumerate() {
                // Name the value only when it is bad, to keep the loop cheap.
                match value_in(v, "params").or_else(|_| value_in(v, &format!("column {j} (params[{}])", r * n_cols + j))) {
                    Ok(x) => row.push(x),
                    // The rows before it run, as the header promises.
                    Err(e) => return Err(batch.stop_at(r, e)),
                }
            }
            batch.push(&row)?;
        }
        let sum = batch.finish()?;
        super::types::write_result(result_out, sum);
        Ok(())
    })
}

/// Run a statement once for each row of parameters encoded in a buffer.
///
/// The encoded form of `keel_stmt_execute_batch`, for callers that can
/// serialize a table of values faster than they can fill `keel_value`s.
/// With `KEEL_BATCH_FORMAT_PICKLE5`, `data` is a pickle stream (protocol 2
/// to 5, as Python's `pickle.dumps` writes it) of one list of rows, each a
/// tuple or list of `None`, `bool`, `int` (64-bit), `float`, `str`,
/// `bytes` (protocol 3 or later), `bytearray` (protocol 5), or a value tag `keel._wire.<kind>(arg)` for a
/// date (days), time, timestamp or timestamptz (microseconds), decimal or
/// json (text), uuid (16 bytes) or bytes, and `keel._wire.int`, `.float`
/// and `.str` for plain values. Tags are matched by name and
/// nothing is imported or run; any other pickle opcode or name is an
/// error. With `KEEL_BATCH_FORMAT_MARSHAL2`, `data` is a marshal stream
/// (version 0 to 2, as `marshal.dumps(rows, 2)` writes it) of one list or
/// tuple of rows, each a tuple or list of `None`, `bool`, `int` (64-bit),
/// `float`, `str` or `bytes`; any other type is an error. Rows run as in `keel_stmt_execute_batch`, multi-row INSERTs
/// included: each must have `keel_stmt_param_count(stmt)` values, the
/// first failing row stops the call with a message starting `row N:` (or
/// `rows N to M, ...` inside a PostgreSQL transaction, see there), and
/// earlier rows stay done. The whole buffer is decoded before any row
/// runs: a row that does not decode (a wrong type, a short row, an
/// integer past 64 bits) fails the call with nothing run.
///
/// Ownership: borrows `stmt`; `data` is read during the call only.
/// `result_out` may be NULL; otherwise it receives the sum of rows
/// affected and the last insert id of the last row.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, data when len > 0),
/// `KEEL_STATUS_INVALID_ARGUMENT` (unknown format, a malformed stream, a
/// row of the wrong length, an integer beyond 64 bits with SQLSTATE
/// 22003), and the engine's errors for the failing row.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_execute_batch_encoded(
    stmt: *mut keel_stmt,
    format: i32,
    data: *const u8,
    len: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(stmt, err_out, |s| {
        let format = BatchFormat::from_i32(format)?;
        let data = c_bytes(data, len, "data")?;
        super::types::check_result(result_out)?;
        let sum = s.execute_encoded(format.decoder(), data)?;
        super::types::write_result(result_out, sum);
        Ok(())
    })
}

/// Bind one row of encoded parameters and run the statement into a cursor
/// handle: `keel_stmt_query_reuse` with the parameters in the encoded form
/// of `keel_stmt_execute_batch_encoded`, for callers that can serialize
/// values faster than they can fill `keel_value`s (Python's ctypes, on
/// point queries).
///
/// `params` is one row in the format of `keel_stmt_execute_batch_encoded`
/// (a pickle or marshal stream of a list holding one tuple or list of
/// `keel_stmt_param_count(stmt)` values). `params_len` 0 binds
/// nothing: the statement runs with the bindings it has (none needed for
/// a statement without parameters). `*rows_inout` is as at
/// `keel_stmt_query_reuse`: a cursor to reuse, or NULL.
///
/// Ownership: borrows `stmt`; `params` is read during the call only.
/// Takes back `*rows_inout` when it is not NULL. On success
/// `*rows_inout` receives a cursor, freed with `keel_rows_free`; on
/// failure it is set to NULL (the cursor passed in is freed all the
/// same), and the statement's bindings are unspecified: bind again
/// before running it.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, rows_inout, params when
/// params_len > 0), `KEEL_STATUS_INVALID_ARGUMENT` (unknown format, a
/// malformed stream, a stream of no row or of more than one, a row of the
/// wrong length, an integer beyond 64 bits with SQLSTATE 22003), and
/// engine errors.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_query_encoded(
    stmt: *mut keel_stmt,
    format: i32,
    params: *const u8,
    params_len: usize,
    rows_inout: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    query_into(stmt, rows_inout, err_out, |s| bind_encoded_params(s, format, params, params_len).map(|_| ()))
}

/// Bind the one encoded parameter row of the `keel_stmt_query_encoded`
/// calls (none when `params_len` is 0); the format it is in.
fn bind_encoded_params(s: &mut Stmt, format: i32, params: *const u8, params_len: usize) -> Result<BatchFormat> {
    let format = BatchFormat::from_i32(format)?;
    let data = c_bytes(params, params_len, "params")?;
    if !data.is_empty() {
        s.bind_encoded(format.decoder(), data)?;
    }
    Ok(format)
}

/// Run a statement as `keel_stmt_query_encoded` does and, in the same
/// call, take its first row encoded where the cursor holds that row
/// already: a point query (execute, then fetch one row) in one call
/// instead of two, for callers whose calls cost much (Python's ctypes).
///
/// On SQLite, running a query steps onto its first row, so the cursor
/// holds it. When that row, encoded in `format` as `keel_rows_fetch_batch`
/// writes a batch of one row, fits in `buf_cap` bytes, it is written to `buf`,
/// `*n_rows_out` is 1 and `*len_out` its length. The cursor does not
/// move: `keel_rows_next`, `keel_rows_fetch_batch` and
/// `keel_rows_export_arrow` still start at that row. SQLite is then
/// stepped past it, so that a result of one row releases its read lock
/// now, as it would at the end of a fetch; `*end_out` is true when the
/// result is known to hold that row alone. An engine error of that step
/// is reported by the read that reaches it.
///
/// `*n_rows_out` 0 and `*end_out` true: the result has no rows.
/// `*n_rows_out` 0 and `*end_out` false: nothing was taken; read the
/// cursor as after `keel_stmt_query_encoded`. That is so on the other
/// engines, whose first row is read when it is fetched; for a row that
/// does not fit in `buf_cap` bytes (`*len_out` is then the size it
/// needs); and for a row that cannot be encoded, or a result `format`
/// cannot carry, whose error `keel_rows_fetch_batch` reports. `format`
/// is that of `params` and of the row.
///
/// Ownership: as `keel_stmt_query_encoded` (`*rows_inout` is taken back
/// and set to the new cursor, or to NULL on failure). `buf` is the
/// caller's, written during the call only; it may be NULL when
/// `buf_cap` is 0.
///
/// Errors: as `keel_stmt_query_encoded`, and `KEEL_STATUS_NULL_ARGUMENT`
/// when `len_out` or `n_rows_out` is NULL, or `buf` is NULL with
/// `buf_cap` > 0 (`end_out` may be NULL); the statement does not run
/// then.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_query_encoded_peek(
    stmt: *mut keel_stmt,
    format: i32,
    params: *const u8,
    params_len: usize,
    rows_inout: *mut *mut keel_rows,
    buf: *mut u8,
    buf_cap: usize,
    len_out: *mut usize,
    n_rows_out: *mut usize,
    end_out: *mut bool,
    err_out: *mut *mut keel_error,
) -> Status {
    let mut bound = BatchFormat::Pickle5;
    let status = query_into(stmt, rows_inout, err_out, |s| {
        if buf.is_null() && buf_cap > 0 {
            return Err(null_arg("buf"));
        }
        out_ptr(len_out, "len_out")?;
        out_ptr(n_rows_out, "n_rows_out")?;
        bound = bind_encoded_params(s, format, params, params_len)?;
        Ok(())
    });
    if status != Status::Ok {
        return status;
    }
    // SAFETY: query_into succeeded, so rows_inout is a valid pointer
    // holding the new cursor.
    let rows = unsafe { *rows_inout };
    call_on(rows, err_out, |r| {
        let kept = std::mem::take(&mut r.batch);
        // A row that cannot be encoded (or a result the format cannot
        // carry) is left for the fetch to report: nothing is taken.
        let peeked = bound.peek(r.unmoved(), kept).unwrap_or(Fetched { data: Vec::new(), rows: 0, end: false });
        let len = peeked.data.len();
        // (rows taken, *len_out, *end_out)
        let (n, len_said, end) = match peeked.rows {
            1 if len <= buf_cap => {
                // SAFETY: the caller's buffer holds buf_cap bytes.
                unsafe { std::ptr::copy_nonoverlapping(peeked.data.as_ptr(), buf, len) };
                (1, len, peeked.end)
            }
            // Too large for `buf`: the size it needs.
            1 => (0, len, false),
            _ => (0, 0, peeked.end),
        };
        write(n_rows_out, n);
        write(len_out, len_said);
        write_opt(end_out, end);
        r.batch = peeked.data;
        Ok(())
    })
}
