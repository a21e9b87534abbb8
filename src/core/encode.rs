//! The row-encoder seam: many rows in one buffer, in a format the caller
//! chose, both ways. Result rows go out through a [`RowEncoder`]
//! ([`Rows::fetch_encoded`]); parameter rows come in through a
//! [`RowDecoder`] ([`Stmt::execute_encoded`], which runs them as a batch,
//! multi-row INSERTs included). The core runs the rows; the formats live
//! outside it (`crate::codec`: pickle for Python today), so a new format
//! is a new encoder and decoder, not a change here.

use super::db::{CurrentRow, Rows, Stmt};
use super::driver::ExecResult;
use super::error::{Error, Result};
use super::value::ValueRef;

/// A fetch stops early, before its row count, once its buffer is this
/// large, so rows with big values do not make one huge allocation.
pub const SOFT_BYTE_LIMIT: usize = 16 << 20;

/// Writes result rows into one buffer.
pub trait RowEncoder {
    /// Bytes written so far.
    fn len(&self) -> usize;
    /// Whether nothing was written yet.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Append `row`, the cursor's current row. On error the buffer is left
    /// as it was before the row. Called under the session's lock
    /// ([`Rows::each_row`]).
    fn row(&mut self, row: &CurrentRow<'_>) -> Result<()>;
    /// End the buffer and return its bytes.
    fn finish(self) -> Vec<u8>;
}

/// Reads parameter rows from one buffer.
pub trait RowDecoder {
    /// Call `run(index, row)` for each row of `data`, in order, stopping at
    /// the first error (returned as `run` gave it: naming the row is
    /// `run`'s business). Returns the number of rows run. A malformed
    /// buffer is `Status::InvalidArgument`.
    fn for_each_row<'a>(&self, data: &'a [u8], run: &mut dyn FnMut(usize, &[ValueRef<'a>]) -> Result<()>) -> Result<usize>;
}

/// What one [`Rows::fetch_encoded`] read.
pub struct Fetched {
    pub data: Vec<u8>,
    pub rows: usize,
    /// The result has no more rows.
    pub end: bool,
}

impl Rows {
    /// Read up to `max_rows` rows into `enc`. Stops early at the end of the
    /// result, or once the buffer has grown past `byte_limit`. Afterwards
    /// the cursor is on the last row read. A row that fails (the engine's
    /// error reading it, or `enc`'s encoding it) ends the call: when rows
    /// came before it they are returned, and the error is kept for the
    /// next call that moves the cursor ([`Rows::defer`]); with none, it
    /// is returned now. Nothing read is dropped.
    pub fn fetch_encoded<E: RowEncoder>(&mut self, mut enc: E, max_rows: usize, byte_limit: usize) -> Result<Fetched> {
        let mut n = 0;
        let mut end = false;
        let mut encoding = false;
        // One call reads until `max_rows`, the byte limit or the end.
        if max_rows > 0 && enc.len() < byte_limit {
            let read = self.each_row(max_rows, &mut |row| {
                enc.row(row).inspect_err(|_| encoding = true)?;
                n += 1;
                Ok(enc.len() < byte_limit)
            });
            match read {
                Ok((_, e)) => end = e,
                Err(e) => {
                    let e = match (encoding, n) {
                        (false, _) => e,
                        (true, 0) => e.context("the first row of this batch"),
                        (true, n) => e.context(format_args!("the row after the {n} rows of the last batch")),
                    };
                    if n == 0 {
                        return Err(e);
                    }
                    self.defer(e);
                }
            }
        }
        Ok(Fetched { data: enc.finish(), rows: n, end })
    }
}

impl Rows {
    /// The row the cursor holds before [`Rows::next`] moves onto it (see
    /// [`Rows::peek`]), written into `enc` without moving the cursor:
    /// `rows` 1, or 0 when the driver holds no such row; `end` when the
    /// result is known to end after it (with 0 rows: to have none).
    pub fn peek_encoded<E: RowEncoder>(&mut self, mut enc: E) -> Result<Fetched> {
        let (took, end) = self.peek(&mut |row| enc.row(row))?;
        Ok(Fetched { data: enc.finish(), rows: usize::from(took), end })
    }
}

impl Stmt {
    /// Run the statement once for each parameter row `dec` reads from
    /// `data`, as [`Stmt::execute_batch`] does (multi-row INSERTs
    /// included): the sum of rows affected and the last row's insert id.
    pub fn execute_encoded(&mut self, dec: &dyn RowDecoder, data: &[u8]) -> Result<ExecResult> {
        let mut batch = self.batch();
        dec.for_each_row(data, &mut |_, row| batch.push(row))?;
        batch.finish()
    }

    /// Bind the one parameter row `dec` reads from `data` (as
    /// [`Stmt::bind_all`]); a stream of no row or of more than one is
    /// `Status::InvalidArgument`. After an error the statement's bindings
    /// are unspecified: bind again before running it.
    pub fn bind_encoded(&mut self, dec: &dyn RowDecoder, data: &[u8]) -> Result<()> {
        let n = dec.for_each_row(data, &mut |i, row| {
            if i == 0 {
                self.bind_all(row)
            } else {
                Err(Error::invalid_argument("the parameters hold more than one row; a statement run once takes one").not_sent())
            }
        })?;
        if n == 0 {
            return Err(Error::invalid_argument("the parameters hold no row; a statement run once takes one").not_sent());
        }
        Ok(())
    }
}
