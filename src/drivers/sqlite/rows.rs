//! A streaming cursor over a statement's rows.

use super::{statement::*, types::*};
use crate::core::driver::DriverRows;
use crate::core::error::{Error, Result, Status};
use crate::core::value::{Column, Type, ValueRef, MICROS_PER_SECOND};
use rusqlite::ffi;
use std::ffi::c_int;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(super) struct SqliteRows {
    pub(super) raw: Arc<RawStmt>,
    pub(super) generation: u64,
    pub(super) info: Arc<ColInfo>,
    pub(super) done: bool,
    /// The outcome of the first step, taken by `query`, not yet reported.
    pub(super) first: Option<bool>,
    /// The current row, read from SQLite once when the statement steps onto it.
    pub(super) cells: Vec<Cell>,
    /// The outcome of a step taken past the first row before `next` moved
    /// onto it ([`DriverRows::look_past_pending`]), reported by the `next`
    /// after the first; `ahead_cells` holds the row it stepped onto.
    pub(super) ahead: Option<Result<bool>>,
    pub(super) ahead_cells: Vec<Cell>,
    /// The first row's text and blobs (each followed by a NUL), copied out
    /// of SQLite's memory before that step; `cells` point here meanwhile.
    pub(super) held: Vec<u8>,
}

/// One step: true on a row; on the end or an error the statement is reset
/// (releasing its read lock).
pub(super) fn step(raw: &RawStmt) -> Result<bool> {
    match raw.step() {
        ffi::SQLITE_ROW => Ok(true),
        ffi::SQLITE_DONE => {
            raw.reset();
            Ok(false)
        }
        rc => {
            let e = raw.error(rc);
            raw.reset();
            Err(e)
        }
    }
}

/// One column of the current row as SQLite holds it: storage class and
/// value. `p`/`n` point into the statement's row, valid until the next
/// step or reset (which need `&mut SqliteRows`).
#[derive(Clone, Copy)]
pub(super) struct Cell {
    pub(super) class: c_int,
    pub(super) int: i64,
    pub(super) float: f64,
    pub(super) p: *const u8,
    pub(super) n: usize,
}

impl Cell {
    pub(super) const NULL: Cell = Cell { class: ffi::SQLITE_NULL, int: 0, float: 0.0, p: ptr::null(), n: 0 };
}

// SAFETY: the cell pointers point into the statement's current row, which
// moves between threads together with the statement (see RawStmt).
unsafe impl Send for SqliteRows {}

impl SqliteRows {
    fn current(&self) -> bool {
        self.raw.generation.load(Ordering::Relaxed) == self.generation
    }

    /// Read every column of the row the statement is on.
    pub(super) fn read_row(&mut self) {
        read_cells(&self.raw, &self.info, &mut self.cells);
    }
}

/// Read every column of the row `raw` is on into `cells`.
fn read_cells(raw: &RawStmt, info: &ColInfo, cells: &mut [Cell]) {
    let s = raw.ptr;
    for (i, cell) in cells.iter_mut().enumerate() {
        let c = i as c_int;
        // SAFETY: valid statement positioned on a row; i is in range;
        // one call of the session at a time (see RawDb). Text is fetched before
        // its length, as SQLite advises.
        unsafe {
            let v = ffi::sqlite3_column_value(s, c);
            let class = ffi::sqlite3_value_type(v);
            *cell = match class {
                // DECIMAL and JSON columns have NUMERIC affinity, so SQLite
                // stored text that looked like a number as one. Read it
                // back as SQLite's text for it (cached on the row until
                // the next step), keeping the column's type.
                ffi::SQLITE_INTEGER | ffi::SQLITE_FLOAT
                    if matches!(info.kinds[i], Type::Decimal | Type::Json) =>
                {
                    let p = ffi::sqlite3_column_text(s, c);
                    Cell { class: ffi::SQLITE_TEXT, p, n: ffi::sqlite3_column_bytes(s, c) as usize, ..Cell::NULL }
                }
                ffi::SQLITE_INTEGER => Cell { class, int: ffi::sqlite3_value_int64(v), ..Cell::NULL },
                ffi::SQLITE_FLOAT => Cell { class, float: ffi::sqlite3_value_double(v), ..Cell::NULL },
                ffi::SQLITE_TEXT => {
                    let p = ffi::sqlite3_value_text(v);
                    Cell { class, p, n: ffi::sqlite3_value_bytes(v) as usize, ..Cell::NULL }
                }
                ffi::SQLITE_BLOB => {
                    let p = ffi::sqlite3_value_blob(v) as *const u8;
                    Cell { class, p, n: ffi::sqlite3_value_bytes(v) as usize, ..Cell::NULL }
                }
                _ => Cell::NULL,
            };
        }
    }
}

impl Drop for SqliteRows {
    fn drop(&mut self) {
        if self.current() && !self.done {
            // Closing early: release the statement's read lock now.
            self.raw.restart();
        }
    }
}

impl DriverRows for SqliteRows {
    fn columns(&self) -> &[Column] {
        &self.info.columns
    }

    fn next(&mut self) -> Result<bool> {
        if !self.current() {
            return Err(Error::new(
                Status::InvalidState,
                "this cursor was closed because its statement was run, rebound or reset again",
            ));
        }
        if let Some(first) = self.first.take() {
            return Ok(first);
        }
        if let Some(ahead) = self.ahead.take() {
            if let Ok(true) = ahead {
                std::mem::swap(&mut self.cells, &mut self.ahead_cells);
            }
            return ahead;
        }
        if self.done {
            return Ok(false);
        }
        // Every value is read once here, so the column readers need no
        // SQLite call at all.
        let r = step(&self.raw);
        match r {
            Ok(true) => self.read_row(),
            _ => self.done = true,
        }
        r
    }

    #[inline]
    fn value(&self, i: usize) -> ValueRef<'_> {
        let kind = self.info.kinds[i];
        let cell = &self.cells[i];
        match cell.class {
            ffi::SQLITE_INTEGER => {
                let v = cell.int;
                match kind {
                    Type::Bool if v == 0 || v == 1 => ValueRef::Bool(v == 1),
                    Type::Uint64 if v >= 0 => ValueRef::Uint64(v as u64),
                    // Integers in a timestamp column are Unix seconds,
                    // as SQLite's date functions read them.
                    Type::Timestamp | Type::Timestamptz => match v.checked_mul(MICROS_PER_SECOND) {
                        Some(us) if kind == Type::Timestamp => ValueRef::Timestamp(us),
                        Some(us) => ValueRef::Timestamptz(us),
                        None => ValueRef::Int64(v),
                    },
                    _ => ValueRef::Int64(v),
                }
            }
            ffi::SQLITE_FLOAT => ValueRef::Double(cell.float),
            ffi::SQLITE_TEXT => {
                // SAFETY: the row's text, valid until the next step/reset,
                // which needs &mut self.
                let bytes: &[u8] = if cell.p.is_null() { &[] } else { unsafe { std::slice::from_raw_parts(cell.p, cell.n) } };
                // A timestamp column's usual text, read as it lies (the
                // form is ASCII, so no UTF-8 check).
                if kind == Type::Timestamp {
                    if let Some(t) = crate::core::value::parse_common_timestamp(bytes) {
                        return ValueRef::Timestamp(t);
                    }
                }
                match std::str::from_utf8(bytes) {
                    Ok(t) => typed_text(kind, t),
                    // Invalid UTF-8 stays readable as bytes.
                    Err(_) => ValueRef::Bytes(bytes),
                }
            }
            ffi::SQLITE_BLOB => {
                // SAFETY: as above.
                let b: &[u8] = if cell.p.is_null() { &[] } else { unsafe { std::slice::from_raw_parts(cell.p, cell.n) } };
                match kind {
                    Type::Uuid if cell.n == 16 => ValueRef::Uuid(b.try_into().expect("16 bytes")),
                    _ => ValueRef::Bytes(b),
                }
            }
            _ => ValueRef::Null,
        }
    }

    fn value_as_text(&self, i: usize) -> Option<&str> {
        let cell = &self.cells[i];
        if self.info.kinds[i] != Type::Timestamp || cell.class != ffi::SQLITE_TEXT || cell.p.is_null() {
            return None;
        }
        // SAFETY: the row's text, as in `value`.
        let bytes = unsafe { std::slice::from_raw_parts(cell.p, cell.n) };
        // SAFETY: text that passes the check is ASCII.
        crate::core::value::is_formatted_timestamp(bytes).then(|| unsafe { std::str::from_utf8_unchecked(bytes) })
    }

    fn text_is_nul_terminated(&self) -> bool {
        // sqlite3_column_text always ends its text with a NUL.
        true
    }

    fn is_closed(&self) -> bool {
        !self.current()
    }

    fn pending(&self) -> Option<bool> {
        if self.current() { self.first } else { None }
    }

    fn look_past_pending(&mut self) -> bool {
        if self.first != Some(true) || !self.current() {
            return false;
        }
        if self.ahead.is_none() {
            // The step below frees the first row's text and blobs: copy
            // them first (with a NUL after each, as SQLite's text has),
            // then point the cells at the copies.
            let copied = |c: &Cell| matches!(c.class, ffi::SQLITE_TEXT | ffi::SQLITE_BLOB) && !c.p.is_null();
            self.held.clear();
            self.held.reserve(self.cells.iter().filter(|c| copied(c)).map(|c| c.n + 1).sum());
            for c in self.cells.iter().filter(|c| copied(c)) {
                // SAFETY: the row's bytes, valid until the step below.
                self.held.extend_from_slice(unsafe { std::slice::from_raw_parts(c.p, c.n) });
                self.held.push(0);
            }
            // Then point the cells at the copies, in the same order.
            let mut at = self.held.as_ptr();
            for c in self.cells.iter_mut().filter(|c| copied(c)) {
                c.p = at;
                // SAFETY: within `held` (its n bytes and NUL), which no
                // longer grows.
                at = unsafe { at.add(c.n + 1) };
            }
            let r = step(&self.raw);
            match r {
                Ok(true) => {
                    self.ahead_cells.resize(self.cells.len(), Cell::NULL);
                    read_cells(&self.raw, &self.info, &mut self.ahead_cells);
                }
                // The statement was reset (its read lock released).
                _ => self.done = true,
            }
            self.ahead = Some(r);
        }
        matches!(self.ahead, Some(Ok(false)))
    }
}
