//! A prepared statement: the `sqlite3_stmt*`, its bindings, and how a
//! re-run leaves a cursor's row alone.

use super::errors;
use super::{rows::*, session::*, types::*};
use crate::core::driver::{DriverRows, DriverStmt, ExecResult};
use crate::core::error::{Error, Result, Status};
use crate::core::value::{self, Column, ValueRef};
use rusqlite::ffi;
use std::ffi::{c_char, c_int};
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A prepared `sqlite3_stmt*`, finalized on drop. Every run bumps
/// `generation`, which closes cursors opened by earlier runs. `stepped`
/// says whether it was stepped since its last reset, so that a reset (and
/// its cost) is skipped when the statement is already at its start.
pub(super) struct RawStmt {
    pub(super) ptr: *mut ffi::sqlite3_stmt,
    pub(super) db: Arc<RawDb>,
    pub(super) generation: AtomicU64,
    pub(super) stepped: AtomicBool,
    /// The binding buffers of a statement set aside for its cursor (see
    /// `SqliteStmt::restart`): SQLite may point into them until finalize,
    /// which `Drop` does before the fields go.
    pub(super) kept: std::sync::Mutex<Vec<Bound>>,
}

// SAFETY: multi-thread mode (see RawDb); the core's promise (`core::driver`, "What the core promises drivers about threads")
// means no two calls step, reset or bind the statement at once.
unsafe impl Send for RawStmt {}
unsafe impl Sync for RawStmt {}

impl Drop for RawStmt {
    fn drop(&mut self) {
        // SAFETY: we own the statement.
        unsafe { ffi::sqlite3_finalize(self.ptr) };
    }
}

impl RawStmt {
    pub(super) fn new(ptr: *mut ffi::sqlite3_stmt, db: Arc<RawDb>) -> RawStmt {
        RawStmt {
            ptr,
            db,
            generation: AtomicU64::new(0),
            stepped: AtomicBool::new(false),
            kept: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A new statement from the same SQL text, unbound.
    fn prepare_again(&self) -> Result<RawStmt> {
        let mut stmt = ptr::null_mut();
        // SAFETY: sqlite3_sql gives the statement's UTF-8 SQL, NUL-terminated
        // and valid while it lives; out-pointer valid.
        let rc = unsafe { ffi::sqlite3_prepare_v3(self.db.0, ffi::sqlite3_sql(self.ptr), -1, 0, &mut stmt, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(errors::error(self.db.0, rc));
        }
        Ok(RawStmt::new(stmt, self.db.clone()))
    }

    /// Close the cursor reading this statement without resetting it: its
    /// row stays readable for whoever borrowed from it.
    fn set_aside(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn error(&self, rc: c_int) -> Error {
        if let Some(d) = self.db.2.as_ref().filter(|d| d.fired.get()) {
            return Error::new(
                Status::Timeout,
                format!("statement timed out after statement_timeout_ms={}", d.limit.as_millis()),
            )
            .with_sqlstate("57014")
            .with_driver("sqlite");
        }
        errors::error(self.db.0, rc)
    }

    /// Reset for a new run; returns the new generation.
    pub(super) fn restart(&self) -> u64 {
        if self.stepped.load(Ordering::Relaxed) {
            self.reset();
        }
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// `sqlite3_step`, noting that a reset is now needed.
    #[inline]
    pub(super) fn step(&self) -> c_int {
        self.stepped.store(true, Ordering::Relaxed);
        let Some(d) = self.db.2.as_ref() else {
            // SAFETY: valid statement.
            return unsafe { ffi::sqlite3_step(self.ptr) };
        };
        d.fired.set(false);
        d.until.set(Some(std::time::Instant::now() + d.limit));
        // SAFETY: valid statement.
        let rc = unsafe { ffi::sqlite3_step(self.ptr) };
        d.until.set(None);
        rc
    }

    /// Step until the statement has no more rows (rows are discarded):
    /// `SQLITE_DONE`, or the error code that stopped it.
    pub(super) fn step_to_end(&self) -> c_int {
        loop {
            let rc = self.step();
            if rc != ffi::SQLITE_ROW {
                return rc;
            }
        }
    }

    /// Step to the end, as [`RawStmt::step_to_end`], and say what the run
    /// did: the rows it changed (0 when it changed none: the connection's
    /// count is that of its last change) and the id of a row it inserted
    /// (the connection keeps its last rowid across statements). The error
    /// code that stopped it otherwise.
    pub(super) fn step_reporting(&self) -> std::result::Result<ExecResult, c_int> {
        let db = self.db.0;
        // SAFETY: valid handles throughout.
        unsafe {
            let before = ffi::sqlite3_total_changes64(db);
            let rowid_before = ffi::sqlite3_last_insert_rowid(db);
            let rc = self.step_to_end();
            if rc != ffi::SQLITE_DONE {
                return Err(rc);
            }
            let changed = ffi::sqlite3_total_changes64(db) != before;
            let rowid = ffi::sqlite3_last_insert_rowid(db);
            Ok(ExecResult {
                rows_affected: if changed { ffi::sqlite3_changes64(db).max(0) as u64 } else { 0 },
                last_insert_id: (changed && rowid != rowid_before).then_some(rowid),
            })
        }
    }

    pub(super) fn reset(&self) {
        // SAFETY: valid statement. The reset code repeats the last step's
        // error, which was already reported.
        unsafe { ffi::sqlite3_reset(self.ptr) };
        self.stepped.store(false, Ordering::Relaxed);
    }
}

pub(super) struct SqliteStmt {
    pub(super) raw: Arc<RawStmt>,
    pub(super) params: usize,
    pub(super) columns: Option<Arc<ColInfo>>,
    /// What each parameter is bound to. Text and blobs are bound from these
    /// buffers without a copy (`SQLITE_STATIC`), and a statement set aside
    /// for its cursor keeps the buffers it was bound from (see
    /// [`SqliteStmt::restart`]).
    pub(super) binds: Vec<Bound>,
    /// Reused buffer for values bound as formatted text (dates, times,
    /// timestamps, uuids).
    pub(super) text_buf: String,
}

/// A parameter's binding, kept so that a fresh copy of the statement can
/// be bound the same way.
#[derive(Clone)]
pub(super) enum Bound {
    Null,
    Int(i64),
    Double(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
    /// The caller's bytes, bound where they are (`bind_borrowed`): valid
    /// as long as the binding is (the caller's promise).
    StaticText(*const u8, usize),
    StaticBlob(*const u8, usize),
}

// SAFETY: the pointers of a borrowed binding are read only by SQLite, on
// the calls of the statement's session (the core's promise), and stay
// valid as the caller of `bind_borrowed` promised.
unsafe impl Send for Bound {}

impl Bound {
    /// The buffer of a text or blob binding, emptied for reuse.
    fn bytes(&mut self, text: bool) -> &mut Vec<u8> {
        let buf = match std::mem::replace(self, Bound::Null) {
            Bound::Text(mut b) | Bound::Blob(mut b) => {
                b.clear();
                b
            }
            _ => Vec::new(),
        };
        *self = if text { Bound::Text(buf) } else { Bound::Blob(buf) };
        match self {
            Bound::Text(b) | Bound::Blob(b) => b,
            _ => unreachable!("set just above"),
        }
    }

    /// Bind to parameter `i` (1-based) of `s`. Text and blobs are bound
    /// from this buffer, which must stay as it is until the statement is
    /// bound again or finalized.
    fn apply(&self, s: *mut ffi::sqlite3_stmt, i: c_int) -> c_int {
        // SAFETY: valid, reset statement; i in range (checked by the core).
        unsafe {
            match self {
                Bound::Null => ffi::sqlite3_bind_null(s, i),
                Bound::Int(v) => ffi::sqlite3_bind_int64(s, i, *v),
                Bound::Double(v) => ffi::sqlite3_bind_double(s, i, *v),
                Bound::Text(b) => bind_text(s, i, b.as_ptr(), b.len()),
                Bound::Blob(b) => bind_blob(s, i, b.as_ptr(), b.len()),
                Bound::StaticText(p, n) => bind_text(s, i, *p, *n),
                Bound::StaticBlob(p, n) => bind_blob(s, i, *p, *n),
            }
        }
    }
}

// Text and blobs are bound where they are (`SQLITE_STATIC`). Their
// pointers come from Rust slices, never NULL (an empty one's is dangling),
// which SQLite needs to bind '' rather than NULL.

/// # Safety
/// `s` is a valid, reset statement; `n` bytes at `p` stay valid as long as
/// the binding.
unsafe fn bind_text(s: *mut ffi::sqlite3_stmt, i: c_int, p: *const u8, n: usize) -> c_int {
    // SAFETY: the caller's promise.
    unsafe { ffi::sqlite3_bind_text64(s, i, p as *const c_char, n as u64, ffi::SQLITE_STATIC(), ffi::SQLITE_UTF8 as u8) }
}

/// # Safety
/// As [`bind_text`].
unsafe fn bind_blob(s: *mut ffi::sqlite3_stmt, i: c_int, p: *const u8, n: usize) -> c_int {
    // SAFETY: the caller's promise.
    unsafe { ffi::sqlite3_bind_blob64(s, i, p as *const std::ffi::c_void, n as u64, ffi::SQLITE_STATIC()) }
}

/// What a value binds as: checked (a value SQLite cannot take is an
/// error), with text and bytes where they are and dates, times and uuids
/// written as text into `scratch`.
pub(super) enum Binding<'a> {
    Null,
    Int(i64),
    Double(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

#[inline(always)]
pub(super) fn binding<'a>(value: ValueRef<'a>, scratch: &'a mut String) -> Result<Binding<'a>> {
    Ok(match value {
        ValueRef::Null => Binding::Null,
        ValueRef::Bool(v) => Binding::Int(v as i64),
        ValueRef::Int64(v) => Binding::Int(v),
        ValueRef::Uint64(v) => Binding::Int(
            i64::try_from(v).map_err(|_| out_of_range(format!("uint64 value {v} does not fit SQLite's 64-bit signed INTEGER")))?,
        ),
        ValueRef::Double(v) => {
            if v.is_nan() {
                return Err(out_of_range("SQLite cannot store NaN (it would become NULL)".into()));
            }
            Binding::Double(v)
        }
        ValueRef::Decimal(t) => {
            value::check_decimal(t)?;
            Binding::Text(t.as_bytes())
        }
        ValueRef::Date(_) | ValueRef::Time(_) | ValueRef::Timestamp(_) | ValueRef::Timestamptz(_) | ValueRef::Uuid(_) => {
            scratch.clear();
            value.write_text(scratch)?;
            Binding::Text(scratch.as_bytes())
        }
        ValueRef::Text(t) | ValueRef::Json(t) => Binding::Text(t.as_bytes()),
        ValueRef::Bytes(v) => Binding::Blob(v),
    })
}

impl Binding<'_> {
    /// Bind to parameter `i` (1-based) of `s`, where the bytes are
    /// (`SQLITE_STATIC`).
    ///
    /// # Safety
    /// `s` is a valid statement, not running; the bytes stay valid until
    /// the parameter is bound again or the statement is finalized, or at
    /// least until the statement's next step has finished and nothing
    /// steps it again before binding anew.
    pub(super) unsafe fn apply(&self, s: *mut ffi::sqlite3_stmt, i: c_int) -> c_int {
        // SAFETY: the caller's promise.
        unsafe {
            match *self {
                Binding::Null => ffi::sqlite3_bind_null(s, i),
                Binding::Int(v) => ffi::sqlite3_bind_int64(s, i, v),
                Binding::Double(v) => ffi::sqlite3_bind_double(s, i, v),
                Binding::Text(b) => bind_text(s, i, b.as_ptr(), b.len()),
                Binding::Blob(b) => bind_blob(s, i, b.as_ptr(), b.len()),
            }
        }
    }
}

pub(super) fn out_of_range(what: String) -> Error {
    Error::invalid_argument(what).with_sqlstate("22003").with_driver("sqlite")
}

impl SqliteStmt {
    /// Get the statement ready for a new run or new bindings, closing the
    /// cursor of the last run; returns the new run's generation.
    ///
    /// Text and blobs a cursor hands out point into the statement's current
    /// row (and, for a column that is a bound parameter, into the binding's
    /// buffer), which a reset or a new binding would free. So when a cursor
    /// of this statement is still alive and stands on a row, the statement
    /// is not reset under it: the cursor keeps this `sqlite3_stmt`, closed
    /// but untouched (with the buffers it was bound from) until it is
    /// freed, and the statement goes on with a fresh copy, prepared from
    /// the same SQL and bound the same way. What the cursor handed out thus
    /// stays valid until the cursor itself moves or is freed, as the C API
    /// promises. (The set-aside statement keeps its read lock until then.)
    fn restart(&mut self) -> Result<u64> {
        if Arc::strong_count(&self.raw) > 1 && self.raw.stepped.load(Ordering::Relaxed) {
            let fresh = self.raw.prepare_again()?;
            let originals = std::mem::replace(&mut self.binds, Vec::new());
            self.binds = originals.clone();
            *self.raw.kept.lock().unwrap_or_else(|p| p.into_inner()) = originals;
            self.raw.set_aside();
            self.raw = Arc::new(fresh);
            self.columns = None;
            for i in 0..self.binds.len() {
                self.apply(i)?;
            }
        }
        Ok(self.raw.restart())
    }
}

impl SqliteStmt {
    /// Bind parameter `index` (0-based) as `binds[index]` says.
    fn apply(&self, index: usize) -> Result<()> {
        let rc = self.binds[index].apply(self.raw.ptr, index as c_int + 1);
        if rc == ffi::SQLITE_OK { Ok(()) } else { Err(self.raw.error(rc)) }
    }

    /// Bind parameter `index` to `value`, after a restart (a new binding
    /// ends any cursor still reading the old one) unless the caller has
    /// restarted the statement for this run already.
    fn set(&mut self, index: usize, value: ValueRef<'_>, restart: bool) -> Result<()> {
        let mut scratch = std::mem::take(&mut self.text_buf);
        let r = self.store(index, value, restart, &mut scratch);
        self.text_buf = scratch;
        r?;
        self.apply(index)
    }

    fn store(&mut self, index: usize, value: ValueRef<'_>, restart: bool, scratch: &mut String) -> Result<()> {
        // Check first: a value SQLite cannot take changes nothing.
        let b = binding(value, scratch)?;
        if restart {
            self.restart()?;
        }
        let slot = &mut self.binds[index];
        match b {
            Binding::Null => *slot = Bound::Null,
            Binding::Int(v) => *slot = Bound::Int(v),
            Binding::Double(v) => *slot = Bound::Double(v),
            Binding::Text(t) => slot.bytes(true).extend_from_slice(t),
            Binding::Blob(v) => slot.bytes(false).extend_from_slice(v),
        }
        Ok(())
    }

    /// The statement's columns, as SQLite describes them now: after a
    /// schema change SQLite re-prepares the statement at its next step,
    /// and the description follows.
    fn column_info(&mut self) -> Arc<ColInfo> {
        if self.columns.as_ref().is_some_and(|c| c.reprepared != reprepare_count(&self.raw)) {
            self.columns = None;
        }
        self.columns.get_or_insert_with(|| Arc::new(column_info(&self.raw))).clone()
    }
}

impl Drop for SqliteStmt {
    fn drop(&mut self) {
        // A cursor may outlive its statement and still read from rows that
        // point into the bindings: the raw statement keeps them.
        if Arc::strong_count(&self.raw) > 1 {
            *self.raw.kept.lock().unwrap_or_else(|p| p.into_inner()) = std::mem::take(&mut self.binds);
        }
    }
}

impl DriverStmt for SqliteStmt {
    fn param_count(&self) -> usize {
        self.params
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.set(index, value, true)
    }

    unsafe fn bind_borrowed(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        let b = match value {
            ValueRef::Text(t) => Bound::StaticText(t.as_ptr(), t.len()),
            ValueRef::Bytes(v) => Bound::StaticBlob(v.as_ptr(), v.len()),
            other => return self.bind(index, other),
        };
        // A new binding ends any cursor still reading the old one.
        self.restart()?;
        self.binds[index] = b;
        self.apply(index)
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.restart()?;
        self.binds.iter_mut().for_each(|b| *b = Bound::Null);
        // SAFETY: valid statement.
        unsafe { ffi::sqlite3_clear_bindings(self.raw.ptr) };
        Ok(())
    }

    fn execute_row(&mut self, row: &[ValueRef<'_>]) -> Result<ExecResult> {
        // Restarted once for the row, not once per value.
        self.restart()?;
        for (i, v) in row.iter().enumerate() {
            self.set(i, *v, false).map_err(|e| e.context(format_args!("parameter {i}")).not_sent())?;
        }
        self.execute()
    }

    fn executes_rows_in_place(&self) -> bool {
        true
    }

    /// The raw sqlite3 insert loop: each row bound where its values are
    /// (text and bytes by `SQLITE_STATIC`, no copy; dates and times as
    /// text in a buffer per parameter), stepped and reset.
    fn execute_rows(
        &mut self,
        rows: &mut dyn FnMut(&mut dyn FnMut(&[ValueRef<'_>]) -> Result<()>) -> Result<()>,
        report: bool,
    ) -> Result<ExecResult> {
        self.restart()?;
        let raw = self.raw.clone();
        let mut scratch = vec![String::new(); self.params];
        let mut sum = ExecResult::default();
        let r = rows(&mut |row| {
            for (i, (v, buf)) in row.iter().zip(scratch.iter_mut()).enumerate() {
                let b = binding(*v, buf).map_err(|e| e.context(format_args!("parameter {i}")).not_sent())?;
                // SAFETY: the statement is reset (after every step, below);
                // the bytes (the row's, or `buf`'s) outlive the step that
                // reads them, every parameter is bound again before the
                // next step, and the bindings are cleared before this
                // returns.
                let rc = unsafe { b.apply(raw.ptr, i as c_int + 1) };
                if rc != ffi::SQLITE_OK {
                    return Err(raw.error(rc));
                }
            }
            // What `execute` reports for a run, summed, when asked.
            let ran = if report {
                raw.step_reporting().map(|x| {
                    sum.rows_affected += x.rows_affected;
                    sum.last_insert_id = x.last_insert_id;
                })
            } else {
                match raw.step_to_end() {
                    ffi::SQLITE_DONE => Ok(()),
                    rc => Err(rc),
                }
            };
            let r = ran.map_err(|rc| raw.error(rc));
            raw.reset();
            r
        });
        // Nothing may point at the rows' memory once they are gone.
        self.binds.iter_mut().for_each(|b| *b = Bound::Null);
        // SAFETY: valid statement, reset.
        unsafe { ffi::sqlite3_clear_bindings(raw.ptr) };
        r.map(|()| sum)
    }

    fn execute_indexed(&mut self, rows: &dyn crate::core::ingest::IndexedRows) -> Result<()> {
        self.restart()?;
        super::ingest::run(&self.raw, rows)
    }

    fn execute(&mut self) -> Result<ExecResult> {
        self.restart()?;
        let raw = &self.raw;
        let result = raw.step_reporting().map_err(|rc| raw.error(rc));
        raw.reset();
        result
    }

    fn result_columns(&mut self) -> Result<Arc<[Column]>> {
        // sqlite3_column_count, _name and _decltype answer right after
        // prepare, without a step.
        Ok(self.column_info().columns.clone())
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let generation = self.restart()?;
        // Take the first step now: SQLite re-prepares a statement whose
        // schema changed during that step, so only then are its columns
        // known (and errors surface here, as on the network engines).
        let first = step(&self.raw)?;
        let info = self.column_info();
        let cells = vec![Cell::NULL; info.columns.len()];
        let mut rows = SqliteRows { raw: self.raw.clone(), generation, info, done: !first, first: Some(first), cells,
            ahead: None, ahead_cells: Vec::new(), held: Vec::new() };
        if first {
            rows.read_row();
        }
        Ok(Box::new(rows))
    }
}
