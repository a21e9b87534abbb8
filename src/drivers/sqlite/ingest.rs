//! `keel_conn_ingest` on SQLite: each record batch goes in by one run of
//! `INSERT INTO t (...) SELECT c0, c1, ... FROM keel_ingest_rows(?1)`,
//! where `keel_ingest_rows` is a table-valued function of keel's (an
//! eponymous virtual table, registered on every connection keel opens)
//! that reads the batch's values where they are, as SQLite asks for them
//! (`RowSource::next_indexed`). The batch travels as a pointer
//! (`sqlite3_bind_pointer`), which SQL cannot make.
//!
//! Against one prepared single-row INSERT run once per row, SQLite then
//! starts, halts and resets its program, and opens and closes the table's
//! cursor, once per batch instead of once per row: a C program doing the
//! same over its own arrays took 0.80–0.86 of a raw insert loop's time
//! (keel's reading of the batch eats most of that gain: README, "Bulk
//! insert from C").
//! Values convert as bound parameters do (`statement::binding`), and the
//! table's column affinities and constraints apply as to any INSERT.
//!
//! A row that fails (a value SQLite cannot take, a constraint) fails the
//! statement, which SQLite undoes: the rows of that batch before it are
//! gone too, the batches before it stay (in the ingest's transaction,
//! which keel rolls back when it opened it).

use super::statement::{Binding, RawStmt, binding};
use crate::core::error::{Error, Result};
use crate::core::ingest::IndexedRows;
use crate::core::value::ValueRef;
use rusqlite::ffi;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::fmt::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

/// The function's name.
const FUNCTION: &CStr = c"keel_ingest_rows";
/// The type its argument's pointer is bound as: only a pointer bound
/// under this name reaches the function.
const FEED: &CStr = c"keel_ingest_feed";
/// The columns the function declares (`c0` to `c998`): a source with more
/// goes in as before, one INSERT per row. (SQLite allows 2000 columns in a
/// table, this declaration's hidden argument among them.)
const MAX_COLUMNS: usize = 999;

/// Register the function on `db`, a connection just opened.
pub(super) fn register(db: *mut ffi::sqlite3) -> c_int {
    // SAFETY: open handle; the module is a static, and there is no
    // client data to free.
    unsafe { ffi::sqlite3_create_module_v2(db, FUNCTION.as_ptr(), &MODULE, ptr::null_mut(), None) }
}

/// The SQL that inserts a batch into `table` (`columns`): `Driver::indexed_insert_sql`.
/// `None` past [`MAX_COLUMNS`] columns.
pub(super) fn insert_sql(table: &str, columns: &[String]) -> Option<String> {
    let n = columns.len();
    if n == 0 || n > MAX_COLUMNS {
        return None;
    }
    let mut sql = format!("INSERT INTO {table} ({}) SELECT ", columns.join(", "));
    for i in 0..n {
        let _ = write!(sql, "{}c{i}", if i == 0 { "" } else { ", " });
    }
    let _ = write!(sql, " FROM {}(?1)", FUNCTION.to_str().expect("ASCII"));
    Some(sql)
}

/// What the function's cursor reads: one batch, where it is in it, and
/// what went wrong (the statement's only cursor on it keeps its place
/// here, where `run` reads which row failed).
struct Feed<'a> {
    rows: &'a dyn IndexedRows,
    /// The rows in the batch.
    len: usize,
    /// The row the cursor is on (0-based in the batch).
    row: usize,
    /// An error of keel's that failed the statement (a value that did not
    /// convert), which SQLite knows only as "failed".
    error: Option<Error>,
    /// Per column, the text of a value written as text (a timestamp).
    scratch: Vec<String>,
}

/// One run of `raw`, a statement of [`insert_sql`], over the batch
/// `rows` (`DriverStmt::execute_indexed`).
pub(super) fn run(raw: &RawStmt, rows: &dyn IndexedRows) -> Result<()> {
    let mut feed = Feed { rows, len: rows.len(), row: 0, error: None, scratch: vec![String::new(); rows.width()] };
    // SAFETY: valid statement with one parameter; `feed` outlives the run
    // below, and the binding is cleared before it goes.
    let rc = unsafe {
        ffi::sqlite3_bind_pointer(raw.ptr, 1, &mut feed as *mut Feed<'_> as *mut c_void, FEED.as_ptr(), None)
    };
    if rc != ffi::SQLITE_OK {
        return Err(raw.error(rc));
    }
    let rc = raw.step_to_end();
    let result = if rc == ffi::SQLITE_DONE {
        Ok(())
    } else {
        Err(feed.error.take().unwrap_or_else(|| raw.error(rc).context(format_args!("row {}", rows.row_number(feed.row)))))
    };
    raw.reset();
    // SAFETY: valid, reset statement.
    unsafe { ffi::sqlite3_clear_bindings(raw.ptr) };
    result
}

/// The function's table: the columns, then the hidden argument.
#[repr(C)]
struct Table {
    base: ffi::sqlite3_vtab,
}

/// A cursor on one batch (NULL, no rows: the function called from SQL).
#[repr(C)]
struct Cursor {
    base: ffi::sqlite3_vtab_cursor,
    feed: *mut Feed<'static>,
}

impl Cursor {
    /// # Safety
    /// `c` is a cursor of `x_open`, its feed (set by `x_filter`) alive.
    unsafe fn feed<'c>(c: *mut ffi::sqlite3_vtab_cursor) -> Option<&'c mut Feed<'static>> {
        // SAFETY: the caller's promise.
        unsafe { (*(c as *mut Cursor)).feed.as_mut() }
    }
}

static MODULE: ffi::sqlite3_module = ffi::sqlite3_module {
    iVersion: 0,
    xCreate: None, // eponymous only: no CREATE VIRTUAL TABLE
    xConnect: Some(x_connect),
    xBestIndex: Some(x_best_index),
    xDisconnect: Some(x_disconnect),
    xDestroy: None,
    xOpen: Some(x_open),
    xClose: Some(x_close),
    xFilter: Some(x_filter),
    xNext: Some(x_next),
    xEof: Some(x_eof),
    xColumn: Some(x_column),
    xRowid: Some(x_rowid),
    xUpdate: None,
    xBegin: None,
    xSync: None,
    xCommit: None,
    xRollback: None,
    xFindFunction: None,
    xRename: None,
    xSavepoint: None,
    xRelease: None,
    xRollbackTo: None,
    xShadowName: None,
    xIntegrity: None,
};

/// `CREATE TABLE x(c0, ..., c998, feed HIDDEN)`, NUL-terminated.
fn declaration() -> String {
    let mut s = String::from("CREATE TABLE x(");
    for i in 0..MAX_COLUMNS {
        let _ = write!(s, "c{i}, ");
    }
    s.push_str("feed HIDDEN)\0");
    s
}

unsafe extern "C" fn x_connect(
    db: *mut ffi::sqlite3,
    _aux: *mut c_void,
    _argc: c_int,
    _argv: *const *const c_char,
    out: *mut *mut ffi::sqlite3_vtab,
    _err: *mut *mut c_char,
) -> c_int {
    let Ok(decl) = catch_unwind(declaration) else { return ffi::SQLITE_ERROR };
    // SAFETY: SQLite's arguments; the declaration is NUL-terminated.
    unsafe {
        let rc = ffi::sqlite3_declare_vtab(db, decl.as_ptr() as *const c_char);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        // Not from triggers, views or schema: only keel's own statement.
        ffi::sqlite3_vtab_config(db, ffi::SQLITE_VTAB_DIRECTONLY);
        *out = Box::into_raw(Box::new(Table { base: std::mem::zeroed() })) as *mut ffi::sqlite3_vtab;
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_disconnect(t: *mut ffi::sqlite3_vtab) -> c_int {
    // SAFETY: made by x_connect.
    drop(unsafe { Box::from_raw(t as *mut Table) });
    ffi::SQLITE_OK
}

/// The only plan: the hidden argument given (`keel_ingest_rows(?1)`).
unsafe extern "C" fn x_best_index(_t: *mut ffi::sqlite3_vtab, info: *mut ffi::sqlite3_index_info) -> c_int {
    // SAFETY: SQLite's index info, its arrays nConstraint long.
    unsafe {
        let info = &mut *info;
        for i in 0..info.nConstraint.max(0) as usize {
            let c = &*info.aConstraint.add(i);
            if c.iColumn == MAX_COLUMNS as c_int && c.op as c_int == ffi::SQLITE_INDEX_CONSTRAINT_EQ && c.usable != 0 {
                let u = &mut *info.aConstraintUsage.add(i);
                u.argvIndex = 1;
                u.omit = 1;
                info.estimatedCost = 1.0;
                return ffi::SQLITE_OK;
            }
        }
    }
    ffi::SQLITE_CONSTRAINT
}

unsafe extern "C" fn x_open(_t: *mut ffi::sqlite3_vtab, out: *mut *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: SQLite's out-pointer; the cursor is freed by x_close.
    unsafe {
        *out = Box::into_raw(Box::new(Cursor { base: std::mem::zeroed(), feed: ptr::null_mut() }))
            as *mut ffi::sqlite3_vtab_cursor;
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_close(c: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: made by x_open.
    drop(unsafe { Box::from_raw(c as *mut Cursor) });
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_filter(
    c: *mut ffi::sqlite3_vtab_cursor,
    _idx: c_int,
    _idx_str: *const c_char,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) -> c_int {
    // SAFETY: a cursor of x_open; argv holds argc values. The pointer is
    // a `Feed` bound by `run`, alive while the statement runs (any other
    // value, from SQL, reads as NULL: no rows).
    unsafe {
        let c = &mut *(c as *mut Cursor);
        c.feed = if argc >= 1 { ffi::sqlite3_value_pointer(*argv, FEED.as_ptr()) as *mut Feed<'static> } else { ptr::null_mut() };
        if let Some(feed) = c.feed.as_mut() {
            feed.row = 0;
        }
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_next(c: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: a cursor of x_open, its feed alive (x_filter).
    if let Some(feed) = unsafe { Cursor::feed(c) } {
        feed.row += 1;
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_eof(c: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: a cursor of x_open, its feed alive.
    unsafe { Cursor::feed(c) }.is_none_or(|f| f.row >= f.len) as c_int
}

unsafe extern "C" fn x_rowid(c: *mut ffi::sqlite3_vtab_cursor, out: *mut ffi::sqlite3_int64) -> c_int {
    // SAFETY: a cursor of x_open, its feed alive; SQLite's out-pointer.
    unsafe { *out = Cursor::feed(c).map_or(0, |f| f.row) as ffi::sqlite3_int64 };
    ffi::SQLITE_OK
}

/// Column `i` of the cursor's row as the statement's value: converted as
/// a bound parameter is, text and bytes where they are in the batch
/// (`SQLITE_STATIC`: the batch outlives the run), text written by keel
/// (dates, times, timestamps, uuids) copied.
unsafe extern "C" fn x_column(c: *mut ffi::sqlite3_vtab_cursor, ctx: *mut ffi::sqlite3_context, i: c_int) -> c_int {
    // SAFETY: a cursor of x_open on a row (SQLite asks for columns only
    // before x_eof says the end), its feed alive; i is a declared column.
    let Some(feed) = (unsafe { Cursor::feed(c) }) else {
        // SAFETY: SQLite's context.
        unsafe { ffi::sqlite3_result_null(ctx) };
        return ffi::SQLITE_OK;
    };
    let (row, col) = (feed.row, i as usize);
    let failed = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
        if col >= feed.scratch.len() {
            // SAFETY: SQLite's context.
            unsafe { ffi::sqlite3_result_null(ctx) };
            return Ok(());
        }
        let v = feed.rows.value(row, col)?;
        let copy = matches!(v, ValueRef::Date(_) | ValueRef::Time(_) | ValueRef::Timestamp(_) | ValueRef::Timestamptz(_) | ValueRef::Uuid(_));
        let b = binding(v, &mut feed.scratch[col])
            .map_err(|e| e.context(format_args!("parameter {col}")).context(format_args!("row {}", feed.rows.row_number(row))))?;
        let keep = if copy { ffi::SQLITE_TRANSIENT() } else { ffi::SQLITE_STATIC() };
        // SAFETY: SQLite's context; the bytes are valid for the call
        // (copied) or for the run (the batch's).
        unsafe {
            match b {
                Binding::Null => ffi::sqlite3_result_null(ctx),
                Binding::Int(v) => ffi::sqlite3_result_int64(ctx, v),
                Binding::Double(v) => ffi::sqlite3_result_double(ctx, v),
                Binding::Text(t) => {
                    ffi::sqlite3_result_text64(ctx, t.as_ptr() as *const c_char, t.len() as u64, keep, ffi::SQLITE_UTF8 as u8)
                }
                Binding::Blob(t) => ffi::sqlite3_result_blob64(ctx, t.as_ptr() as *const c_void, t.len() as u64, keep),
            }
        }
        Ok(())
    }));
    let error = match failed {
        Ok(Ok(())) => return ffi::SQLITE_OK,
        Ok(Err(e)) => e,
        Err(_) => Error::new(crate::core::error::Status::Internal, "keel panicked reading a value to ingest"),
    };
    feed.error = Some(error);
    // SAFETY: SQLite's context; a static message (the statement's error
    // is the one kept in the feed).
    unsafe { ffi::sqlite3_result_error(ctx, c"keel: a value to ingest failed".as_ptr(), -1) };
    ffi::SQLITE_ERROR
}

#[cfg(test)]
mod tests {
    use super::{MAX_COLUMNS, declaration};

    #[test]
    fn the_declaration_names_every_column_then_the_argument() {
        let d = declaration();
        assert!(d.starts_with("CREATE TABLE x(c0, c1, "));
        assert!(d.ends_with(&format!("c{}, feed HIDDEN)\0", MAX_COLUMNS - 1)));
        assert_eq!(d.matches(", ").count(), MAX_COLUMNS);
    }
}
