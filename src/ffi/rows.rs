//! `keel_rows`: a streaming cursor, and the typed column readers.
//!
//! Borrowed outputs: text and bytes point into the engine's row buffer when
//! they can, or into a per-column scratch buffer owned by the cursor when
//! keel had to format or copy them. Either way they are valid until the
//! cursor moves (`keel_rows_next`, `keel_rows_next_values`,
//! `keel_rows_fetch_batch`) or is freed; the statement closing the cursor
//! (the drivers keep the row) does not end them.

use super::boundary::{Opaque, c_bytes, call_on, free_handle, get, out_ptr, write, write_opt};
use super::error::keel_error;
use super::types::keel_value;
use crate::core::db::{RowOrVectors, Rows};
use crate::core::driver::{Vector, VectorData};
use crate::core::error::{Error, Result, Status};
use crate::core::value::{Nullable, Type, ValueRef};
use std::ffi::{CString, c_char};

/// A streaming cursor over one result.
///
/// Created by `keel_conn_query`, `keel_db_query`, `keel_stmt_query`,
/// `keel_stmt_query_reuse`, `keel_stmt_query_encoded` or
/// `keel_stmt_query_encoded_peek`; destroyed by `keel_rows_free`, or by
/// `keel_stmt_query_reuse` and the two `keel_stmt_query_encoded` calls,
/// which may hand the same memory back as a new cursor. Methods: `keel_rows_next`,
/// `keel_rows_next_values`, `keel_rows_fetch_batch`,
/// `keel_rows_export_arrow`,
/// `keel_rows_column_count`, `keel_rows_column_name`,
/// `keel_rows_column_index`, `keel_rows_column_type`,
/// `keel_rows_column_engine_type`, `keel_rows_column_nullable`, and the
/// `keel_rows_column_*` value readers.
/// A cursor its statement closed (by `keel_stmt_query`, `keel_stmt_execute`,
/// a `keel_stmt_bind_*`, `keel_stmt_clear_bindings` or a batch on it)
/// answers `KEEL_STATUS_INVALID_STATE` to every later call that returns a
/// status (the column descriptions included) but `keel_rows_free`;
/// `keel_rows_column_count`, which has no status, still gives the count.
/// Rows are read one at a time; nothing buffers the whole result. Thread
/// rule: goes with its connection. In Rust it is a `keel::Rows`, which keeps
/// its connection checked out (and, from `keel_db_query`, owns it) until
/// freed.
pub struct keel_rows {
    _private: [u8; 0],
}

/// Per-column buffer for values keel formats or copies for C.
#[derive(Default)]
struct Scratch {
    /// Row number the buffers were filled for.
    row: u64,
    /// The column's text of that row with a NUL, when `has_text`; its
    /// capacity is kept from row to row.
    text: Vec<u8>,
    has_text: bool,
    uuid: Option<[u8; 16]>,
}

/// Column `i`'s scratch, emptied when it holds another row's values.
fn scratch_at(scratch: &mut Vec<Scratch>, row: u64, i: usize) -> &mut Scratch {
    if scratch.len() <= i {
        scratch.resize_with(i + 1, Scratch::default);
    }
    let s = &mut scratch[i];
    if s.row != row {
        s.row = row;
        s.has_text = false;
        s.uuid = None;
    }
    s
}

pub(crate) struct RowsState {
    rows: Rows,
    row: u64,
    nul_terminated: bool,
    scratch: Vec<Scratch>,
    names: Option<Vec<(CString, CString)>>,
    /// The last batch `keel_rows_fetch_batch` kept here (called without
    /// `buffer_out`); its capacity is reused by the next one.
    pub(crate) batch: Vec<u8>,
}

impl RowsState {
    pub(crate) fn new(rows: Rows) -> RowsState {
        RowsState {
            nul_terminated: rows.text_is_nul_terminated(),
            rows,
            row: 0,
            // Grown on first use: most cursors never need it, and a cursor
            // per point lookup should not allocate one per column.
            scratch: Vec::new(),
            names: None,
            batch: Vec::new(),
        }
    }

    /// Close the result this handle holds, as freeing it would, keeping
    /// the handle and its buffers for [`RowsState::reopen`]. The husk left
    /// behind answers every read with INVALID_STATE.
    pub(crate) fn close(&mut self) {
        drop(self.rows.take("the next result of this handle"));
        self.row += 1;
    }

    /// Hold a new result in this (closed) handle, with the allocations of
    /// the old one: what is left of its column names, scratch and batch
    /// buffers ends here, as at `keel_rows_free`.
    pub(crate) fn reopen(&mut self, rows: Rows) {
        self.nul_terminated = rows.text_is_nul_terminated();
        self.rows = rows;
        self.row += 1;
        self.names = None;
        self.batch.clear();
    }

    /// The core cursor, for readers that advance it themselves (the batch
    /// reader in `ffi::batch`). Counts as a move to a new row, so values
    /// borrowed through the column readers are invalidated as by
    /// `keel_rows_next`.
    pub(crate) fn advance_with(&mut self) -> &mut Rows {
        self.row += 1;
        &mut self.rows
    }

    /// The core cursor, for a reader that does not move it
    /// (`keel_stmt_query_encoded_peek`): values borrowed through the column
    /// readers stay valid.
    pub(crate) fn unmoved(&mut self) -> &mut Rows {
        &mut self.rows
    }

    /// The rest of the cursor's rows, for a stream (`ffi::arrow`): this
    /// cursor is left empty (every later read fails with INVALID_STATE).
    pub(crate) fn take_for_export(&mut self) -> Result<Rows> {
        self.row += 1;
        Ok(self.rows.take("an Arrow stream (keel_rows_export_arrow)"))
    }

    fn names(&mut self) -> &[(CString, CString)] {
        let rows = &self.rows;
        self.names.get_or_insert_with(|| {
            let c = |s: &str| CString::new(s.replace('\0', "?")).expect("NULs removed");
            rows.columns().iter().map(|col| (c(&col.name), c(&col.engine_type))).collect()
        })
    }

    fn scratch(&mut self, i: usize) -> &mut Scratch {
        scratch_at(&mut self.scratch, self.row, i)
    }

    /// Column `i` as NUL-terminated UTF-8 text: (pointer, length without NUL).
    fn text(&mut self, i: usize) -> Result<(*const c_char, usize)> {
        if self.nul_terminated {
            if let Some(t) = self.rows.value_as_text(i) {
                return Ok((t.as_ptr() as *const c_char, t.len()));
            }
        }
        let v = self.rows.value(i)?;
        if v.as_str_direct().is_some() {
            // Text as C reads it from any column reader.
            let c = value_to_c(v, i, self.nul_terminated, &mut self.scratch, self.row);
            return Ok((c.data as *const c_char, c.len));
        }
        let sc = scratch_at(&mut self.scratch, self.row, i);
        if !sc.has_text {
            sc.text.clear();
            let mut s = String::from_utf8(std::mem::take(&mut sc.text)).unwrap_or_default();
            let written = self.rows.write_text(i, &mut s).map_err(|e| e.context(format_args!("column {i}")));
            sc.text = s.into_bytes();
            written?;
            sc.text.push(0);
            sc.has_text = true;
        }
        Ok((sc.text.as_ptr() as *const c_char, sc.text.len() - 1))
    }

    fn uuid(&mut self, i: usize) -> Result<*const u8> {
        let u = self.rows.value(i)?.as_uuid().map_err(|e| e.context(format_args!("column {i}")))?;
        let sc = self.scratch(i);
        Ok(sc.uuid.insert(u).as_ptr())
    }

    fn value(&mut self, i: usize) -> Result<keel_value> {
        let v = self.rows.value(i)?;
        Ok(value_to_c(v, i, self.nul_terminated, &mut self.scratch, self.row))
    }
}

/// Text `t` of column `i` in row `row` with a NUL after it, for C: a copy
/// in the column's scratch, made once per row.
#[inline(always)]
fn text_with_nul(t: &[u8], i: usize, scratch: &mut Vec<Scratch>, row: u64) -> *const u8 {
    let sc = scratch_at(scratch, row, i);
    if !sc.has_text {
        sc.text.clear();
        sc.text.extend_from_slice(t);
        sc.text.push(0);
        sc.has_text = true;
    }
    sc.text.as_ptr()
}

/// Value `v` of column `i` as C reads it: its text (when the engine's
/// is not NUL-terminated, `nul_terminated`) and uuid bytes copied into the
/// column's scratch for row `row`.
#[inline(always)]
fn value_to_c(v: ValueRef<'_>, i: usize, nul_terminated: bool, scratch: &mut Vec<Scratch>, row: u64) -> keel_value {
    let mut out = keel_value::borrowing(&v);
    match v {
        ValueRef::Text(t) | ValueRef::Json(t) | ValueRef::Decimal(t) if !nul_terminated => {
            out.data = text_with_nul(t.as_bytes(), i, scratch, row);
        }
        // `v` is this call's: the bytes go to the column's scratch.
        ValueRef::Uuid(u) => out.data = scratch_at(scratch, row, i).uuid.insert(u).as_ptr(),
        _ => {}
    }
    out
}

/// Entry `r` of `v`, a vector of a column of type `kind`, in C form: what
/// `value_to_c` gives for the value `DriverRows::value` reads from there
/// (a chunk's entries are checked when it arrives: bools 0 or 1, text
/// UTF-8, uuids 16 bytes).
#[inline(always)]
fn vector_to_c(
    kind: Type,
    v: &Vector<'_>,
    r: usize,
    i: usize,
    nul_terminated: bool,
    scratch: &mut Vec<Scratch>,
    row: u64,
) -> keel_value {
    if !v.is_valid(r) {
        return keel_value::scalar(Type::Null);
    }
    let mut out = keel_value::scalar(kind);
    match v.data {
        VectorData::Null => out.kind = Type::Null as i32,
        VectorData::Bool(b) => out.int_value = (b[r] != 0) as i64,
        VectorData::Int64(x) => out.int_value = x[r],
        VectorData::Uint64(x) => out.uint_value = x[r],
        VectorData::Double(x) => out.double_value = x[r],
        VectorData::Date(x) => out.int_value = x[r] as i64,
        VectorData::Bytes(b) => {
            let bytes = b[r].bytes();
            out.len = bytes.len();
            out.data = if !nul_terminated && matches!(kind, Type::Text | Type::Json | Type::Decimal) {
                text_with_nul(bytes, i, scratch, row)
            } else {
                bytes.as_ptr()
            };
        }
    }
    out
}

impl Opaque for keel_rows {
    type Rust = RowsState;
    const NAME: &'static str = "rows";
}

/// Free a cursor. Closing it before the end does not read the rest of the
/// result. A cursor from `keel_db_query` returns its connection to the pool.
/// A cursor inherited across fork() is freed without a word to the server.
///
/// Ownership: takes back `rows`; NULL is a no-op.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_free(rows: *mut keel_rows) {
    free_handle(rows)
}

/// Advance to the next row.
///
/// `*has_row` is set true when a row is current, false at the end of the
/// result (and on every call after the end).
///
/// Ownership: borrows `rows`. Values borrowed from the previous row become
/// invalid.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, has_row),
/// `KEEL_STATUS_INVALID_STATE` (its statement was run, bound or cleared
/// again, which closed this cursor: every later call says so, whether or
/// not the cursor had reached its end), engine errors raised while
/// producing the row, and the error of the row a `keel_rows_fetch_batch`
/// stopped at after returning the rows before it (see there): returned
/// once, without moving.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_next(rows: *mut keel_rows, has_row: *mut bool, err_out: *mut *mut keel_error) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(has_row, "has_row")?;
        r.row += 1;
        let more = r.rows.next()?;
        write(out, more);
        Ok(())
    })
}

/// Advance to the next row and read its first `count` columns in one call:
/// `keel_rows_next`, then `keel_rows_column_value` for columns 0 to
/// `count - 1` into `values_out[0..count]`. For callers that read every
/// column of many rows, this is one call per row instead of one per value.
///
/// Ownership: borrows `rows`; `values_out` is caller memory for `count`
/// values and `has_row` caller memory, both written only on success. When
/// there is no further row, `*has_row` is false and `values_out` is not
/// written.
///
/// Lifetime: the `data` pointers written to `values_out` are valid until
/// the next `keel_rows_next`, `keel_rows_next_values`,
/// `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
/// or clearing the statement the cursor came from closes the cursor but
/// does not end this.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, values_out, has_row),
/// `KEEL_STATUS_INVALID_ARGUMENT` (`count` greater than the column count;
/// checked before the cursor moves), `KEEL_STATUS_INVALID_STATE` (the
/// cursor was closed by re-running its statement), engine errors
/// raised while producing the row, and the error of the row a
/// `keel_rows_fetch_batch` stopped at after returning the rows before it
/// (see there: returned once, without moving). After an engine error the
/// cursor may have moved; outputs are untouched.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_next_values(
    rows: *mut keel_rows,
    values_out: *mut keel_value,
    count: usize,
    has_row: *mut bool,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let values = out_ptr(values_out, "values_out")?;
        let has = out_ptr(has_row, "has_row")?;
        let columns = r.rows.column_count();
        if count > columns {
            return Err(Error::invalid_argument(format!(
                "count {count} is more than the result's {columns} columns"
            )));
        }
        r.row += 1;
        // Checked once for the row: nothing can close or move the cursor
        // while this call reads it.
        let Some(row) = r.rows.next_row_or_vectors()? else {
            write(has, false);
            return Ok(());
        };
        // SAFETY (both writes): the caller provides room for `count` values
        // (this function's contract); only `values[..count]` is written,
        // and nothing can fail from here on.
        match row {
            RowOrVectors::Vectors(columns, vectors, at) => {
                // A chunked cursor: each value straight from its vector.
                let (columns, vectors) = (&columns[..count], &vectors[..count]);
                for (i, (col, v)) in columns.iter().zip(vectors).enumerate() {
                    let v = vector_to_c(col.kind, v, at, i, r.nul_terminated, &mut r.scratch, r.row);
                    unsafe { values.add(i).write(v) };
                }
            }
            RowOrVectors::Row(row) => {
                for i in 0..count {
                    let v = value_to_c(row.value(i), i, r.nul_terminated, &mut r.scratch, r.row);
                    unsafe { values.add(i).write(v) };
                }
            }
        }
        write(has, true);
        Ok(())
    })
}

/// Return the number of result columns.
///
/// Ownership: borrows `rows`.
///
/// Errors: returns 0 when `rows` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_count(rows: *const keel_rows) -> usize {
    get(rows, 0, |r| r.rows.column_count())
}

/// Get the name of column `index` (0-based).
///
/// Ownership: on success `*name_out` points at a string owned by `rows`.
///
/// Lifetime: valid until `keel_rows_free(rows)`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, name_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (its statement closed the cursor, or its
/// rows moved into an Arrow stream).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_name(
    rows: *mut keel_rows,
    index: usize,
    name_out: *mut *const c_char,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(name_out, "name_out")?;
        r.rows.column(index)?;
        write(out, r.names()[index].0.as_ptr());
        Ok(())
    })
}

/// Find the column called `name` (`name_len` bytes, no NUL needed): its
/// 0-based index goes to `*index_out`.
///
/// The first column whose name is exactly `name` wins; when none is, the
/// first whose name equals it ignoring ASCII case (so a field `Name`
/// finds PostgreSQL's `name`, which the server folded to lower case).
/// Names are compared as bytes, as `keel_rows_column_name` gives them.
///
/// Ownership: borrows `rows`; `name` is read during the call only;
/// `index_out` is written only on success.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, index_out, name when
/// name_len > 0), `KEEL_STATUS_NOT_FOUND` (no column of that name; the
/// message lists the columns there are), `KEEL_STATUS_INVALID_STATE` (as
/// `keel_rows_column_name`).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_index(
    rows: *mut keel_rows,
    name: *const c_char,
    name_len: usize,
    index_out: *mut usize,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(index_out, "index_out")?;
        let want = c_bytes(name as *const u8, name_len, "name")?;
        write(out, r.rows.column_index(want)?);
        Ok(())
    })
}

/// Get the engine's own declared type name of column `index` (0-based),
/// e.g. `"VARCHAR(20)"`; `""` when the engine has none (SQLite
/// expressions).
///
/// Ownership: on success `*type_out` points at a string owned by `rows`.
///
/// Lifetime: valid until `keel_rows_free(rows)`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, type_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (as `keel_rows_column_name`).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_engine_type(
    rows: *mut keel_rows,
    index: usize,
    type_out: *mut *const c_char,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(type_out, "type_out")?;
        r.rows.column(index)?;
        write(out, r.names()[index].1.as_ptr());
        Ok(())
    })
}

/// Get the keel type of column `index` (0-based): the type its values read
/// as. On SQLite it follows the declared column type (`DATETIME` gives
/// `KEEL_TYPE_TIMESTAMP`, `BOOLEAN` gives `KEEL_TYPE_BOOL`, ...); a column
/// with no declared type (an expression) gives `KEEL_TYPE_NULL`, and then
/// each value has its own type (see `keel_rows_column_value`).
///
/// Ownership: borrows `rows`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, type_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (as `keel_rows_column_name`).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_type(
    rows: *mut keel_rows,
    index: usize,
    type_out: *mut Type,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(type_out, "type_out")?;
        write(out, r.rows.column(index)?.kind);
        Ok(())
    })
}

/// Get whether column `index` (0-based) may hold NULL, when the engine
/// knows (SQLite knows for columns taken straight from a table).
///
/// Ownership: borrows `rows`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, nullable_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (as `keel_rows_column_name`).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_nullable(
    rows: *mut keel_rows,
    index: usize,
    nullable_out: *mut Nullable,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(nullable_out, "nullable_out")?;
        write(out, r.rows.column(index)?.nullable);
        Ok(())
    })
}

/// Run a typed reader on column `index` of the current row.
fn read<T>(
    rows: *mut keel_rows,
    index: usize,
    out: *mut T,
    out_name: &str,
    err_out: *mut *mut keel_error,
    f: impl FnOnce(&mut RowsState) -> Result<T>,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(out, out_name)?;
        let v = f(r).map_err(|e| in_column(e, index))?;
        write(out, v);
        Ok(())
    })
}

/// Get whether column `index` (0-based) of the current row is NULL.
///
/// Ownership: borrows `rows`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, is_null_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (no current row).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_is_null(
    rows: *mut keel_rows,
    index: usize,
    is_null_out: *mut bool,
    err_out: *mut *mut keel_error,
) -> Status {
    read(rows, index, is_null_out, "is_null_out", err_out, |r| Ok(r.rows.value(index)?.is_null()))
}

/// Read column `index` (0-based) of the current row as a signed 64-bit
/// integer. Exact or an error: integers and bools convert, a double only
/// when integral and in range, text never (a text value read as an
/// integer is an error, not a parse).
///
/// Ownership: borrows `rows`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, value_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
/// (NULL, or a value that is not an int64 without loss).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_int64(rows: *mut keel_rows, index: usize, value_out: *mut i64, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, value_out, "value_out", err_out, |r| r.rows.value(index)?.as_i64())
}

/// Read column `index` (0-based) of the current row as an unsigned 64-bit
/// integer; a negative value is an error.
///
/// Ownership: borrows `rows`.
///
/// Errors: as `keel_rows_column_int64`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_uint64(rows: *mut keel_rows, index: usize, value_out: *mut u64, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, value_out, "value_out", err_out, |r| r.rows.value(index)?.as_u64())
}

/// Read column `index` (0-based) of the current row as a double. Integers
/// convert only when exact (|v| <= 2^53); decimals round to the nearest
/// double.
///
/// Ownership: borrows `rows`.
///
/// Errors: as `keel_rows_column_int64`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_double(rows: *mut keel_rows, index: usize, value_out: *mut f64, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, value_out, "value_out", err_out, |r| r.rows.value(index)?.as_f64())
}

/// Read column `index` (0-based) of the current row as a bool (integers 0
/// and 1 also read as bools).
///
/// Ownership: borrows `rows`.
///
/// Errors: as `keel_rows_column_int64`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_bool(rows: *mut keel_rows, index: usize, value_out: *mut bool, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, value_out, "value_out", err_out, |r| r.rows.value(index)?.as_bool())
}

/// Read column `index` (0-based) of the current row as UTF-8 text.
///
/// Text, JSON and decimal values are given as they are; numbers, dates,
/// times, timestamps and uuids in their canonical text form (timestamps as
/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, with `+00:00` when zoned). Bytes and
/// NULL have no text form and are errors. The text is NUL-terminated; the
/// NUL is not counted in `*len_out`.
///
/// Ownership: on success `*text_out` points into memory owned by `rows`;
/// `len_out` may be NULL.
///
/// Lifetime: valid until the next `keel_rows_next`, `keel_rows_next_values`,
/// `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
/// or clearing the statement the cursor came from closes the cursor but
/// does not end this.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, text_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
/// (NULL, bytes, or stored text that is not valid UTF-8).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_text(
    rows: *mut keel_rows,
    index: usize,
    text_out: *mut *const c_char,
    len_out: *mut usize,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(text_out, "text_out")?;
        let (p, n) = r.text(index).map_err(|e| in_column(e, index))?;
        write(out, p);
        write_opt(len_out, n);
        Ok(())
    })
}

fn in_column(e: Error, index: usize) -> Error {
    if e.message.starts_with("column ") { e } else { e.context(format_args!("column {index}")) }
}

/// Read column `index` (0-based) of the current row as bytes: binary
/// values, and the UTF-8 of text, JSON and decimal values; a uuid gives its
/// 16 bytes. Other types are errors.
///
/// Ownership: on success `*data_out` points into memory owned by `rows`;
/// `len_out` must not be NULL. An empty value gives a non-NULL pointer and
/// length 0.
///
/// Lifetime: valid until the next `keel_rows_next`, `keel_rows_next_values`,
/// `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
/// or clearing the statement the cursor came from closes the cursor but
/// does not end this.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, data_out, len_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
/// (NULL or a type with no bytes).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_bytes(
    rows: *mut keel_rows,
    index: usize,
    data_out: *mut *const u8,
    len_out: *mut usize,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(rows, err_out, |r| {
        let out = out_ptr(data_out, "data_out")?;
        let len = out_ptr(len_out, "len_out")?;
        let (p, n) = match r.rows.value(index).map_err(|e| in_column(e, index))? {
            ValueRef::Uuid(_) => (r.uuid(index)?, 16),
            v => {
                let b = v.as_bytes().map_err(|e| in_column(e, index))?;
                (b.as_ptr(), b.len())
            }
        };
        write(out, p);
        write(len, n);
        Ok(())
    })
}

/// Read column `index` (0-based) of the current row as a date, in days
/// since 1970-01-01. Date values and `YYYY-MM-DD` text convert; a timestamp
/// does not (that would drop its time).
///
/// Ownership: borrows `rows`.
///
/// Errors: as `keel_rows_column_int64`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_date(rows: *mut keel_rows, index: usize, days_out: *mut i32, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, days_out, "days_out", err_out, |r| r.rows.value(index)?.as_date())
}

/// Read column `index` (0-based) of the current row as a time of day, in
/// microseconds since midnight. Time values and `HH:MM[:SS[.ffffff]]` text
/// convert.
///
/// Ownership: borrows `rows`.
///
/// Errors: as `keel_rows_column_int64`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_time(rows: *mut keel_rows, index: usize, micros_out: *mut i64, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, micros_out, "micros_out", err_out, |r| r.rows.value(index)?.as_time())
}

/// Read column `index` (0-based) of the current row as a timestamp, in
/// microseconds since 1970-01-01T00:00:00Z (a zoned value is converted to
/// UTC; a value without zone is taken as given). Timestamps, dates
/// (midnight) and ISO-8601 text convert.
///
/// Ownership: borrows `rows`.
///
/// Errors: as `keel_rows_column_int64`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_timestamp(rows: *mut keel_rows, index: usize, micros_out: *mut i64, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, micros_out, "micros_out", err_out, |r| r.rows.value(index)?.as_timestamp())
}

/// For a timestamp-with-zone value in column `index` (0-based) of the
/// current row: the UTC offset, in seconds east, it was stored with. SQL
/// Server's datetimeoffset keeps one (`keel_rows_column_timestamp` gives
/// the instant, `keel_rows_column_text` the local time with the offset);
/// engines whose timestamptz is an instant (PostgreSQL timestamptz, MySQL
/// TIMESTAMP) report 0.
///
/// Ownership: borrows `rows`; `seconds_east_out` is written only on success.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, seconds_east_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
/// (NULL, or a value that is not a timestamp with zone).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_tz_offset(
    rows: *mut keel_rows,
    index: usize,
    seconds_east_out: *mut i32,
    err_out: *mut *mut keel_error,
) -> Status {
    read(rows, index, seconds_east_out, "seconds_east_out", err_out, |r| r.rows.tz_offset(index))
}

/// Read column `index` (0-based) of the current row as a uuid, copying its
/// 16 bytes to `uuid16_out`. Uuid values, uuid text and 16-byte binary
/// values convert.
///
/// Ownership: `uuid16_out` is caller memory of at least 16 bytes, written
/// only on success.
///
/// Errors: as `keel_rows_column_int64`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_uuid(rows: *mut keel_rows, index: usize, uuid16_out: *mut u8, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, uuid16_out as *mut [u8; 16], "uuid16_out", err_out, |r| r.rows.value(index)?.as_uuid())
}

/// Read column `index` (0-based) of the current row as a `keel_value`
/// tagged with the value's own type (`KEEL_TYPE_NULL` for NULL). Text, JSON
/// and decimal data are NUL-terminated.
///
/// Ownership: `value_out` is caller memory, written only on success; its
/// `data` points into memory owned by `rows`.
///
/// Lifetime: `value_out->data` is valid until the next `keel_rows_next`, `keel_rows_next_values`,
/// `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
/// or clearing the statement the cursor came from closes the cursor but
/// does not end this.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, value_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
/// `KEEL_STATUS_INVALID_STATE` (no current row).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_rows_column_value(rows: *mut keel_rows, index: usize, value_out: *mut keel_value, err_out: *mut *mut keel_error) -> Status {
    read(rows, index, value_out, "value_out", err_out, |r| r.value(index))
}

