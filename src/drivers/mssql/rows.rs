//! A cursor over a statement's first result set.

use super::session::*;
use super::*;
use crate::core::driver::DriverRows;
use crate::core::error::{Error, Result};
use crate::core::value::{Column, Type as K, ValueRef};
use futures_util::TryStreamExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tiberius::{ColumnData, ColumnType, QueryItem};
use types::Cell;



pub(super) struct MsRows {
    pub(super) generation: u64,
    pub(super) done: bool,
    /// The first result set's metadata item was passed.
    pub(super) seen_metadata: bool,
    pub(super) row: Option<tiberius::Row>,
    pub(super) cells: Vec<Cell>,
    /// Per column: the current row's text (NUL-terminated), reused.
    pub(super) texts: Vec<Vec<u8>>,
    pub(super) columns: Vec<Column>,
    pub(super) types: Vec<ColumnType>,
    pub(super) shared: Arc<Shared>,
}

impl MsRows {
    fn finish(&mut self) {
        self.done = true;
        self.row = None;
        self.shared.close_cursor(self.generation);
    }

    fn decode_row(&mut self, row: &tiberius::Row) -> Result<()> {
        for (i, (_, v)) in row.cells().enumerate().take(self.cells.len()) {
            self.cells[i] = types::decode(self.columns[i].kind, self.types[i], v, &mut self.texts[i])
                .map_err(|e| e.context(format_args!("column {i} ({})", self.columns[i].name)))?;
        }
        Ok(())
    }
}

impl Drop for MsRows {
    fn drop(&mut self) {
        self.row = None;
        self.shared.close_cursor(self.generation);
    }
}

impl DriverRows for MsRows {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn next(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        self.row = None;
        if self.shared.cursor.get(self.generation).is_none() {
            self.done = true;
            return Err(Error::invalid_state("this cursor was closed because its statement was run again"));
        }
        // A cancel asked for between two reads takes effect now, at a
        // token boundary.
        if self.shared.ctl.requested.load(Ordering::SeqCst) {
            drop(self.shared.cursor.take(self.generation));
            self.done = true;
            return Err(self.shared.interrupt(Stop::Cancel, true));
        }
        loop {
            let shared = self.shared.clone();
            let stream = shared.cursor.get(self.generation).expect("checked above");
            let item = shared.wait(stream.try_next());
            match item {
                Err(stop) => {
                    drop(shared.cursor.take(self.generation));
                    self.done = true;
                    // The stream may have been in the middle of a row.
                    return Err(shared.interrupt(stop, false));
                }
                Ok(Ok(Some(QueryItem::Metadata(_)))) if !self.seen_metadata => self.seen_metadata = true,
                Ok(Ok(None)) => {
                    // The response was read to its end.
                    shared.ctl.disarm();
                    self.finish();
                    return Ok(false);
                }
                // A second result set: keel reads only the first, and the
                // rest is stopped (with an attention) as the cursor closes.
                Ok(Ok(Some(QueryItem::Metadata(_)))) => {
                    self.finish();
                    return Ok(false);
                }
                Ok(Ok(Some(QueryItem::Row(row)))) => {
                    self.seen_metadata = true;
                    if let Err(e) = self.decode_row(&row) {
                        self.finish();
                        return Err(e);
                    }
                    self.row = Some(row);
                    return Ok(true);
                }
                Ok(Err(e)) => {
                    let err = shared.check(Err::<(), _>(e)).unwrap_err();
                    // An error ends the response; nothing is left to cancel.
                    shared.ctl.disarm();
                    self.finish();
                    return Err(err);
                }
            }
        }
    }

    fn value(&self, i: usize) -> ValueRef<'_> {
        let text = || {
            let t = &self.texts[i];
            // SAFETY: filled from a &str by `types::decode`, plus a NUL.
            unsafe { std::str::from_utf8_unchecked(&t[..t.len().saturating_sub(1)]) }
        };
        match self.cells[i] {
            Cell::Null => ValueRef::Null,
            Cell::Bool(b) => ValueRef::Bool(b),
            Cell::Int(n) => ValueRef::Int64(n),
            Cell::Double(f) => ValueRef::Double(f),
            Cell::Date(d) => ValueRef::Date(d),
            Cell::Time(t) => ValueRef::Time(t),
            Cell::Timestamp(t) => ValueRef::Timestamp(t),
            Cell::Timestamptz(t, _) => ValueRef::Timestamptz(t),
            Cell::Uuid(u) => ValueRef::Uuid(u),
            Cell::Text => match self.columns[i].kind {
                K::Json => ValueRef::Json(text()),
                _ => ValueRef::Text(text()),
            },
            Cell::Decimal => ValueRef::Decimal(text()),
            Cell::Bytes => match self.row.as_ref().and_then(|r| r.cells().nth(i)) {
                Some((_, ColumnData::Binary(Some(b)))) => ValueRef::Bytes(b),
                _ => ValueRef::Null,
            },
        }
    }

    fn tz_offset(&self, i: usize) -> Option<i32> {
        match self.cells[i] {
            Cell::Timestamptz(_, off) => Some(off),
            _ => None,
        }
    }

    fn text_is_nul_terminated(&self) -> bool {
        // Every text and decimal value comes from `texts`.
        true
    }
}
