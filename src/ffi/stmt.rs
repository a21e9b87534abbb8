//! `keel_stmt`: a prepared statement.

use super::boundary::{Opaque, c_bytes, c_text, call_on, free_handle, get, into_handle, live_mut, null_arg, out_ptr, write};
use super::error::keel_error;
use super::rows::{RowsState, keel_rows};
use super::types::{keel_exec_result, keel_value, time_of_day, value_in};
use crate::core::db::Stmt;
use crate::core::error::{Error, Result, Status};
use crate::core::value::{Column, Nullable, Type, ValueRef};
use std::ffi::{CString, c_char};
use std::sync::Arc;

/// A prepared statement on one connection.
///
/// Created by `keel_conn_prepare`, `keel_conn_prepare_len` or
/// `keel_conn_prepare_cached`, destroyed by `keel_stmt_free`. Methods:
/// `keel_stmt_param_count`, `keel_stmt_column_count`,
/// `keel_stmt_column_name`, `keel_stmt_column_type`,
/// `keel_stmt_column_engine_type`, `keel_stmt_column_nullable`,
/// `keel_stmt_bind_*`, `keel_stmt_clear_bindings`, `keel_stmt_execute`,
/// `keel_stmt_query`, `keel_stmt_query_reuse`, `keel_stmt_query_encoded`,
/// `keel_stmt_query_encoded_peek`, `keel_stmt_execute_batch`, `keel_stmt_execute_batch_encoded`. Running,
/// binding or clearing it closes the cursor it has open, on every engine. Parameters are 0-based; every
/// one must be bound before a run, and bindings persist across runs until
/// rebound or cleared. Thread rule: goes with its connection. In Rust it is
/// a `keel::Stmt`, which keeps its connection checked out while it lives.
pub struct keel_stmt {
    _private: [u8; 0],
}

/// A statement handle: the core statement, plus the description of its
/// result that `keel_stmt_column_*` hand out, taken at the first of those
/// calls and kept (with its C strings) until the handle is freed.
pub(crate) struct StmtState {
    stmt: Stmt,
    columns: Option<Arc<[Column]>>,
    names: Option<Vec<(CString, CString)>>,
}

impl StmtState {
    pub(crate) fn new(stmt: Stmt) -> StmtState {
        StmtState { stmt, columns: None, names: None }
    }

    /// The description of the result, asked for once.
    fn columns(&mut self) -> Result<&Arc<[Column]>> {
        if self.columns.is_none() {
            self.columns = Some(self.stmt.columns()?);
        }
        Ok(self.columns.as_ref().expect("set above"))
    }

    fn column(&mut self, index: usize) -> Result<&Column> {
        let cols = self.columns()?;
        cols.get(index).ok_or_else(|| {
            Error::invalid_argument(format!(
                "column index {index} is out of range: the statement's result has {} column{} (indexes are 0-based)",
                cols.len(),
                if cols.len() == 1 { "" } else { "s" }
            ))
        })
    }

    /// Column `index`'s name and engine type as C strings owned by the handle.
    fn names(&mut self, index: usize) -> Result<&(CString, CString)> {
        self.column(index)?;
        let cols = self.columns.as_ref().expect("described by column()");
        let names = self.names.get_or_insert_with(|| {
            let c = |s: &str| CString::new(s.replace('\0', "?")).expect("NULs removed");
            cols.iter().map(|col| (c(&col.name), c(&col.engine_type))).collect()
        });
        Ok(&names[index])
    }
}

impl std::ops::Deref for StmtState {
    type Target = Stmt;
    fn deref(&self) -> &Stmt {
        &self.stmt
    }
}

impl std::ops::DerefMut for StmtState {
    fn deref_mut(&mut self) -> &mut Stmt {
        &mut self.stmt
    }
}

impl Opaque for keel_stmt {
    type Rust = StmtState;
    const NAME: &'static str = "stmt";
}

/// Free a statement.
///
/// Ownership: takes back `stmt`; NULL is a no-op. A cursor opened from it
/// stays readable until freed. A statement inherited across fork() is
/// freed without a word to the server.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_free(stmt: *mut keel_stmt) {
    free_handle(stmt)
}

/// Return how many parameters the statement has.
///
/// Ownership: borrows `stmt`.
///
/// Errors: returns 0 when `stmt` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_param_count(stmt: *const keel_stmt) -> usize {
    get(stmt, 0, |s| s.param_count())
}

/// Get how many columns the statement's result has, before it runs: 0 for
/// a statement that returns no rows (an INSERT without RETURNING, DDL).
///
/// The engine describes the prepared statement: SQLite from the prepared
/// statement itself, PostgreSQL from the description that came with
/// preparing it, MySQL/MariaDB from the column definitions of
/// COM_STMT_PREPARE's answer, SQL Server with one round trip
/// (`sp_describe_first_result_set`, on the first call for this
/// statement, with its parameters as bound then: an unbound or NULL
/// parameter as NULL). The first call of any `keel_stmt_column_*` takes
/// the description; the handle keeps it until freed, so the answers agree
/// with each other. When the statement runs, its cursor says what the run
/// returned (`keel_rows_column_count`), which a schema change in between
/// can make differ. `KEEL_STATUS_NOT_IMPLEMENTED` means the count is not
/// known before the statement runs (never "0 columns"): an engine without
/// `KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE` (see `keel_conn_supports`), a
/// MySQL/MariaDB `CALL` (a procedure's result sets are known only when it
/// runs), a MariaDB `INSERT`/`REPLACE`/`DELETE ... RETURNING` (whose
/// prepared form describes no columns), a SQL Server statement whose result the server cannot tell
/// before running it (dynamic SQL, a temporary table it creates, a
/// parameter whose type decides the result, an error in the SQL that
/// running it reports), or a statement a loaded driver cannot describe
/// before it runs (on DuckDB: a statement with parameters that gives rows,
/// since a value bound can change a result column's type; statements other
/// than queries, DML and DDL; and DML whose text holds the word RETURNING
/// but that DuckDB describes as a count); the message says why. Then run it and read the cursor's
/// columns. On SQL Server the first call talks to the server: while a
/// cursor is open on the connection it fails with
/// `KEEL_STATUS_INVALID_STATE` and leaves the cursor alone.
///
/// Ownership: borrows `stmt`; `count_out` is written only on success.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, count_out),
/// `KEEL_STATUS_NOT_IMPLEMENTED` (not known before the statement runs),
/// `KEEL_STATUS_INVALID_STATE` (a cursor holds the connection),
/// `KEEL_STATUS_IO` and other errors of the round trip (SQL Server).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_column_count(stmt: *mut keel_stmt, count_out: *mut usize, err_out: *mut *mut keel_error) -> Status {
    call_on(stmt, err_out, |s| {
        let out = out_ptr(count_out, "count_out")?;
        let n = s.columns()?.len();
        write(out, n);
        Ok(())
    })
}

/// Get the name of column `index` (0-based) of the statement's result,
/// before it runs (see `keel_stmt_column_count` for how each engine
/// knows).
///
/// Ownership: on success `*name_out` points at a string owned by `stmt`.
///
/// Lifetime: valid until `keel_stmt_free(stmt)`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, name_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range), and the errors of
/// `keel_stmt_column_count` (`KEEL_STATUS_NOT_IMPLEMENTED` when the result
/// is not known before the statement runs).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_column_name(
    stmt: *mut keel_stmt,
    index: usize,
    name_out: *mut *const c_char,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(stmt, err_out, |s| {
        let out = out_ptr(name_out, "name_out")?;
        write(out, s.names(index)?.0.as_ptr());
        Ok(())
    })
}

/// Get the engine's own type name of column `index` (0-based) of the
/// statement's result, before it runs, e.g. `"VARCHAR(20)"`; `""` when the
/// engine has none (SQLite expressions). SQLite, PostgreSQL and MySQL give
/// the name their cursors give; SQL Server gives the type's name without
/// its length (`"nvarchar"`, `"int"`), where its cursors name the wire
/// type (`"intn"` for a nullable int).
///
/// Ownership: on success `*type_out` points at a string owned by `stmt`.
///
/// Lifetime: valid until `keel_stmt_free(stmt)`.
///
/// Errors: as `keel_stmt_column_name`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_column_engine_type(
    stmt: *mut keel_stmt,
    index: usize,
    type_out: *mut *const c_char,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(stmt, err_out, |s| {
        let out = out_ptr(type_out, "type_out")?;
        write(out, s.names(index)?.1.as_ptr());
        Ok(())
    })
}

/// Get the keel type column `index` (0-based) of the statement's result
/// will read as, before it runs: what `keel_rows_column_type` gives for
/// the column (`KEEL_TYPE_NULL` when each value has its own type, as for
/// SQLite expressions and SQL Server's sql_variant).
///
/// One exception: MySQL/MariaDB describe a column computed from a
/// parameter (`SELECT ?`, `? + 1`, `IFNULL(?, 1.5)`) with the server's
/// guess at prepare time (`KEEL_TYPE_NULL` for a bare `?`), and the run's
/// cursor gives the type of the value bound. DuckDB does not describe a
/// query with parameters at all, for that reason (see
/// `keel_stmt_column_count`).
///
/// Ownership: borrows `stmt`; `type_out` is written only on success.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, type_out), otherwise as
/// `keel_stmt_column_name`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_column_type(
    stmt: *mut keel_stmt,
    index: usize,
    type_out: *mut Type,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(stmt, err_out, |s| {
        let out = out_ptr(type_out, "type_out")?;
        write(out, s.column(index)?.kind);
        Ok(())
    })
}

/// Get whether column `index` (0-based) of the statement's result may
/// hold NULL, before it runs, when the engine knows: SQLite for columns
/// taken straight from a table, MySQL/MariaDB and SQL Server for every
/// column; PostgreSQL says `KEEL_NULLABLE_UNKNOWN`, as its cursors do.
///
/// Ownership: borrows `stmt`; `nullable_out` is written only on success.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, nullable_out), otherwise as
/// `keel_stmt_column_name`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_column_nullable(
    stmt: *mut keel_stmt,
    index: usize,
    nullable_out: *mut Nullable,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(stmt, err_out, |s| {
        let out = out_ptr(nullable_out, "nullable_out")?;
        write(out, s.column(index)?.nullable);
        Ok(())
    })
}

fn bind_with(
    stmt: *mut keel_stmt,
    index: usize,
    err_out: *mut *mut keel_error,
    value: impl FnOnce() -> Result<ValueRef<'static>>,
) -> Status {
    // An argument refused here never reached the engine.
    call_on(stmt, err_out, |s| s.bind(index, value().map_err(crate::core::error::Error::not_sent)?))
}

/// Bind NULL to parameter `index` (0-based).
///
/// Ownership: borrows `stmt`. Binding closes a cursor still open on this
/// statement.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt), `KEEL_STATUS_INVALID_ARGUMENT`
/// (index out of range).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_null(stmt: *mut keel_stmt, index: usize, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Null))
}

/// Bind a bool to parameter `index` (0-based). SQLite stores it as 0 or 1.
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_bool(stmt: *mut keel_stmt, index: usize, value: bool, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Bool(value)))
}

/// Bind a signed 64-bit integer to parameter `index` (0-based).
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_int64(stmt: *mut keel_stmt, index: usize, value: i64, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Int64(value)))
}

/// Bind an unsigned 64-bit integer to parameter `index` (0-based). A value
/// the engine cannot hold exactly is an error (SQLite: above INT64_MAX).
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_INVALID_ARGUMENT`
/// with SQLSTATE 22003 for an out-of-range value.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_uint64(stmt: *mut keel_stmt, index: usize, value: u64, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Uint64(value)))
}

/// Bind a double to parameter `index` (0-based). SQLite cannot store NaN
/// (it would become NULL), so NaN is an error there. For a PostgreSQL
/// `real` (float4) parameter, a value float4 cannot hold (past its range,
/// or not 0 but rounding to 0) is an error with SQLSTATE 22003, as the
/// server's own cast makes it.
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_INVALID_ARGUMENT`
/// for a value the engine cannot store.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_double(stmt: *mut keel_stmt, index: usize, value: f64, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Double(value)))
}

/// Bind UTF-8 text of `len` bytes (no NUL needed) to parameter `index`.
///
/// Ownership: `text` is read during the call only; keel keeps a copy.
///
/// Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_NULL_ARGUMENT` (text
/// NULL with len > 0), `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_text(
    stmt: *mut keel_stmt,
    index: usize,
    text: *const c_char,
    len: usize,
    err_out: *mut *mut keel_error,
) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Text(c_text(text, len, "text")?)))
}

/// Bind `len` bytes to parameter `index` as a binary value.
///
/// Ownership: `data` is read during the call only; keel keeps a copy.
///
/// Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_NULL_ARGUMENT` (data
/// NULL with len > 0).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_bytes(
    stmt: *mut keel_stmt,
    index: usize,
    data: *const u8,
    len: usize,
    err_out: *mut *mut keel_error,
) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Bytes(c_bytes(data, len, "data")?)))
}

/// Bind text or bytes the caller keeps in place, without a copy where the
/// engine allows it.
fn bind_static_with(
    stmt: *mut keel_stmt,
    index: usize,
    err_out: *mut *mut keel_error,
    value: impl FnOnce() -> Result<ValueRef<'static>>,
) -> Status {
    call_on(stmt, err_out, |s| {
        let v = value().map_err(crate::core::error::Error::not_sent)?;
        // SAFETY: the caller's promise (see keel_stmt_bind_text_static).
        unsafe { s.bind_borrowed(index, v) }
    })
}

/// Bind UTF-8 text of `len` bytes to parameter `index` without copying it
/// where the engine allows: SQLite reads the caller's buffer when the
/// statement runs (sqlite3's `SQLITE_STATIC`); PostgreSQL, MySQL/MariaDB,
/// SQL Server and loaded drivers copy it, as `keel_stmt_bind_text` does.
/// For large values bound again and again (a loop of inserts), this saves
/// keel's copy.
///
/// Ownership: borrows `text`, which the caller must keep valid and
/// unchanged until this parameter is bound again, the bindings are
/// cleared (`keel_stmt_clear_bindings`), the statement is freed, and
/// every cursor of a run that used it has moved past its row or been
/// freed (a result column can be the parameter's bytes).
///
/// Errors: as `keel_stmt_bind_text` (the text is checked UTF-8 here, once).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_text_static(
    stmt: *mut keel_stmt,
    index: usize,
    text: *const c_char,
    len: usize,
    err_out: *mut *mut keel_error,
) -> Status {
    bind_static_with(stmt, index, err_out, || Ok(ValueRef::Text(c_text(text, len, "text")?)))
}

/// Bind `len` bytes to parameter `index` as a binary value, without
/// copying them where the engine allows (SQLite; the others copy), as
/// `keel_stmt_bind_text_static` does for text.
///
/// Ownership: borrows `data`, under the same rule as
/// `keel_stmt_bind_text_static`.
///
/// Errors: as `keel_stmt_bind_bytes`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_bytes_static(
    stmt: *mut keel_stmt,
    index: usize,
    data: *const u8,
    len: usize,
    err_out: *mut *mut keel_error,
) -> Status {
    bind_static_with(stmt, index, err_out, || Ok(ValueRef::Bytes(c_bytes(data, len, "data")?)))
}

/// Bind a date, in days since 1970-01-01, to parameter `index`. SQLite
/// stores it as `YYYY-MM-DD` text.
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_date(stmt: *mut keel_stmt, index: usize, days: i32, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Date(days)))
}

/// Bind a time of day, in microseconds since midnight, to parameter
/// `index`. SQLite stores it as `HH:MM:SS[.ffffff]` text.
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_INVALID_ARGUMENT`
/// when `micros` is not within one day.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_time(stmt: *mut keel_stmt, index: usize, micros: i64, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, move || time_of_day(micros, || "micros".into()))
}

/// Bind a timestamp without zone, in microseconds since
/// 1970-01-01T00:00:00, to parameter `index`. SQLite stores it as
/// `YYYY-MM-DD HH:MM:SS[.ffffff]` text.
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_timestamp(stmt: *mut keel_stmt, index: usize, micros: i64, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Timestamp(micros)))
}

/// Bind an instant, in microseconds since 1970-01-01T00:00:00Z, to
/// parameter `index` as a timestamp with zone. SQLite stores it as
/// `YYYY-MM-DD HH:MM:SS[.ffffff]+00:00` text.
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_timestamptz(stmt: *mut keel_stmt, index: usize, micros: i64, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Timestamptz(micros)))
}

/// Bind an instant, in microseconds since 1970-01-01T00:00:00Z, with the
/// UTC offset to store it with (`offset_seconds` east of UTC: whole
/// minutes between -14:00 and +14:00). SQL Server's datetimeoffset keeps
/// the offset (`keel_rows_column_tz_offset` reads it back); the other
/// engines store the instant, exactly as `keel_stmt_bind_timestamptz`.
///
/// Ownership: borrows `stmt`.
///
/// Errors: as `keel_stmt_bind_null`; `KEEL_STATUS_INVALID_ARGUMENT` for an
/// offset out of range or not whole minutes (nothing is bound).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_timestamptz_offset(
    stmt: *mut keel_stmt,
    index: usize,
    micros: i64,
    offset_seconds: i32,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(stmt, err_out, |s| s.bind_timestamptz_offset(index, micros, offset_seconds))
}

/// Bind a uuid (16 bytes, big-endian as written) to parameter `index`.
/// SQLite stores it as 36-character lower-case text.
///
/// Ownership: `uuid16` is read during the call only.
///
/// Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_NULL_ARGUMENT`
/// (uuid16).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_uuid(stmt: *mut keel_stmt, index: usize, uuid16: *const u8, err_out: *mut *mut keel_error) -> Status {
    bind_with(stmt, index, err_out, || {
        if uuid16.is_null() {
            return Err(null_arg("uuid16"));
        }
        Ok(ValueRef::Uuid(c_bytes(uuid16, 16, "uuid16")?.try_into().expect("16 bytes")))
    })
}

/// Bind JSON text of `len` bytes to parameter `index`. keel does not parse
/// it; the engine may.
///
/// Ownership: `json` is read during the call only.
///
/// Errors: as `keel_stmt_bind_text`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_json(
    stmt: *mut keel_stmt,
    index: usize,
    json: *const c_char,
    len: usize,
    err_out: *mut *mut keel_error,
) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Json(c_text(json, len, "json")?)))
}

/// Bind an exact decimal, given as text of `len` bytes (`"-123.4500"`,
/// `"1e-3"`), to parameter `index`.
///
/// Ownership: `decimal` is read during the call only.
///
/// `"NaN"`, `"Infinity"` and `"-Infinity"` are taken too (PostgreSQL's
/// numeric holds them; the other engines refuse them or store the text).
///
/// Errors: as `keel_stmt_bind_text`, plus `KEEL_STATUS_INVALID_ARGUMENT`
/// when the text is not a decimal number.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_decimal(
    stmt: *mut keel_stmt,
    index: usize,
    decimal: *const c_char,
    len: usize,
    err_out: *mut *mut keel_error,
) -> Status {
    bind_with(stmt, index, err_out, || Ok(ValueRef::Decimal(c_text(decimal, len, "decimal")?)))
}

/// Bind any value, described by a `keel_value`, to parameter `index`.
///
/// Ownership: `value` and its data are read during the call only.
///
/// Errors: as the typed `keel_stmt_bind_*` call for `value->kind`, plus
/// `KEEL_STATUS_NULL_ARGUMENT` (value), `KEEL_STATUS_INVALID_ARGUMENT`
/// (unknown kind).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_bind_value(
    stmt: *mut keel_stmt,
    index: usize,
    value: *const keel_value,
    err_out: *mut *mut keel_error,
) -> Status {
    bind_with(stmt, index, err_out, || {
        // SAFETY: NULL or a value valid for the call.
        let v = unsafe { value.as_ref() }.ok_or_else(|| null_arg("value"))?;
        value_in(v, "value")
    })
}

/// Unbind every parameter; each must be bound again before the next run.
///
/// Ownership: borrows `stmt`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_clear_bindings(stmt: *mut keel_stmt, err_out: *mut *mut keel_error) -> Status {
    call_on(stmt, err_out, |s| s.clear_bindings())
}

/// Run the statement to completion, discarding any rows.
///
/// May be called again to re-run it with the current bindings.
///
/// Ownership: borrows `stmt`. `result_out` may be NULL; otherwise it
/// receives the rows affected and last insert id.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt), `KEEL_STATUS_INVALID_ARGUMENT`
/// (a parameter is not bound), `KEEL_STATUS_INTEGRITY`, `KEEL_STATUS_BUSY`,
/// and other engine errors.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_execute(stmt: *mut keel_stmt, result_out: *mut keel_exec_result, err_out: *mut *mut keel_error) -> Status {
    call_on(stmt, err_out, |s| {
        super::types::check_result(result_out)?;
        let r = s.execute()?;
        super::types::write_result(result_out, r);
        Ok(())
    })
}

/// Run the statement and return a streaming cursor over its rows.
///
/// A cursor opened earlier from this statement is closed by this call (its
/// next `keel_rows_next` or column read reports
/// `KEEL_STATUS_INVALID_STATE`).
///
/// Ownership: borrows `stmt`. On success `*rows_out` receives a new
/// `keel_rows`, freed with `keel_rows_free`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, rows_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (a parameter is not bound), engine errors.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_query(stmt: *mut keel_stmt, rows_out: *mut *mut keel_rows, err_out: *mut *mut keel_error) -> Status {
    call_on(stmt, err_out, |s| {
        let out = out_ptr(rows_out, "rows_out")?;
        let rows = s.query()?;
        write(out, into_handle(RowsState::new(rows)));
        Ok(())
    })
}

/// Bind `params` and run the statement into a cursor handle the caller
/// already has: as `keel_stmt_bind_value` for each parameter and
/// `keel_stmt_query`, but `*rows_inout`, when not NULL, is freed (as by
/// `keel_rows_free`) and the new cursor may come back in the same memory,
/// so a statement run again and again allocates no new cursor.
///
/// The cursor passed in may be any cursor; its result is closed first,
/// before anything is bound (so binding here never has to set a
/// statement aside for a cursor still reading it, which
/// `keel_stmt_bind_*` on a statement with a live cursor must do on
/// SQLite). Every pointer borrowed from it ends, as at `keel_rows_free`,
/// even when the new cursor has the same address. `n_params` 0 binds
/// nothing: the statement runs with the bindings it has. Otherwise
/// `n_params` must be `keel_stmt_param_count(stmt)`.
///
/// Ownership: borrows `stmt`; `params` and their data are read during the
/// call only. Takes back `*rows_inout` when it is not NULL. On success
/// `*rows_inout` receives a cursor, freed with `keel_rows_free`. On
/// failure `*rows_inout` is set to NULL (the cursor passed in is freed
/// all the same), and the statement's bindings are unspecified: bind
/// again before running it.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, rows_inout, params when
/// n_params > 0), `KEEL_STATUS_INVALID_ARGUMENT` (n_params differs from
/// the parameter count, a bad value, a parameter not bound), engine
/// errors.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_stmt_query_reuse(
    stmt: *mut keel_stmt,
    params: *const keel_value,
    n_params: usize,
    rows_inout: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    query_into(stmt, rows_inout, err_out, |s| {
        if n_params == 0 {
            return Ok(());
        }
        // Counted before any value is read: `params` holds n_params values.
        s.check_param_count(n_params).map_err(Error::not_sent)?;
        let vals = super::types::params_in(params, n_params)?;
        s.bind_all(&vals)
    })
}

/// Run `stmt` into `*rows_inout` as `keel_stmt_query_reuse` documents,
/// after `bind` (called once the old result is closed).
pub(crate) fn query_into(
    stmt: *mut keel_stmt,
    rows_inout: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
    bind: impl FnOnce(&mut Stmt) -> Result<()>,
) -> Status {
    // From here the cursor passed in is this call's: reused on success,
    // freed otherwise.
    // SAFETY: a non-NULL rows_inout points at the caller's pointer.
    let mut old = if rows_inout.is_null() { std::ptr::null_mut() } else { unsafe { rows_inout.replace(std::ptr::null_mut()) } };
    let status = call_on(stmt, err_out, |s| {
        let out = out_ptr(rows_inout, "rows_inout")?;
        // A poisoned cursor is not reused (it is freed below).
        let mut reuse = live_mut::<keel_rows>(old);
        // Its result closes before the statement runs: it may be this
        // statement's own cursor.
        if let Some(r) = reuse.as_deref_mut() {
            r.close();
        }
        bind(s)?;
        let rows = s.query()?;
        match reuse {
            Some(r) => {
                r.reopen(rows);
                write(out, old);
                old = std::ptr::null_mut();
            }
            None => write(out, into_handle(RowsState::new(rows))),
        }
        Ok(())
    });
    free_handle(old);
    status
}
