//! A cursor streaming a result from the socket.

use super::{session::*, types::*};
use crate::core::driver::{DriverRows};
use crate::core::error::{Error, Result};
use crate::core::value::{self, Column, MICROS_PER_DAY, MICROS_PER_SECOND, Type as K, ValueRef};
use mysql::{Binary, QueryResult, Value as MV};
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(super) struct MyRows {
    /// Which opening of the session's cursor this is.
    pub(super) generation: u64,
    pub(super) done: bool,
    pub(super) row: Option<mysql::Row>,
    pub(super) cols: Arc<MyCols>,
    pub(super) zero_as_null: bool,
    pub(super) shared: Arc<Shared>,
}

impl MyRows {
    fn finish(&mut self) {
        self.done = true;
        self.shared.close_cursor(self.generation);
    }
}

/// Rows a cursor freed before its end reads to finish cleanly; past this
/// the query is stopped at the server.
pub(super) const EARLY_CLOSE_DRAIN_ROWS: usize = 256;

impl Drop for MyRows {
    fn drop(&mut self) {
        self.row = None;
        self.shared.close_cursor(self.generation);
    }
}

/// Whether the current result set has ended (peeks without consuming rows
/// beyond the one it may read).
pub(super) fn result_done(r: &mut QueryResult<'static, 'static, 'static, Binary>) -> bool {
    matches!(r.next(), None | Some(Err(_)))
}

pub(super) fn is_zero_date(v: Option<&MV>) -> bool {
    matches!(v, Some(MV::Date(0, 0, 0, ..)) | Some(MV::Date(_, 0, _, ..)) | Some(MV::Date(_, _, 0, ..)))
}

impl DriverRows for MyRows {
    fn columns(&self) -> &[Column] {
        &self.cols.columns
    }

    fn next(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        let Some(result) = self.shared.cursor.get(self.generation).map(|r| &mut **r) else {
            self.done = true;
            self.row = None;
            return Err(Error::invalid_state("this cursor was closed because its statement was run again"));
        };
        match result.next() {
            Some(Ok(_)) if self.shared.killer.requested.load(Ordering::Acquire) => {
                self.row = None;
                self.finish();
                Err(self.shared.killer.check().unwrap_err())
            }
            Some(Ok(row)) => {
                if !self.zero_as_null {
                    if let Some(&i) = self.cols.date_cols.iter().find(|&&i| is_zero_date(row.as_ref(i))) {
                        self.row = None;
                        return Err(Error::invalid_data(format!(
                            "column {i} ({}) holds a zero date (0000-00-00), which is no date; open with zero_date=null to read it as NULL",
                            self.cols.columns[i].name
                        ))
                        .with_sqlstate("22007")
                        .with_driver("mysql"));
                    }
                }
                self.row = Some(row);
                Ok(true)
            }
            Some(Err(e)) => {
                self.row = None;
                let err = self.shared.check(Err::<(), _>(e)).unwrap_err();
                self.finish();
                Err(err)
            }
            None => {
                self.row = None;
                self.finish();
                self.shared.killer.check()?;
                Ok(false)
            }
        }
    }

    fn value(&self, i: usize) -> ValueRef<'_> {
        let Some(v) = self.row.as_ref().and_then(|r| r.as_ref(i)) else { return ValueRef::Null };
        let kind = self.cols.columns[i].kind;
        match v {
            MV::NULL => ValueRef::Null,
            MV::Int(n) => match kind {
                K::Bool if *n == 0 || *n == 1 => ValueRef::Bool(*n == 1),
                K::Uint64 if *n >= 0 => ValueRef::Uint64(*n as u64),
                _ => ValueRef::Int64(*n),
            },
            MV::UInt(n) => match kind {
                K::Uint64 => ValueRef::Uint64(*n),
                _ if *n <= i64::MAX as u64 => ValueRef::Int64(*n as i64),
                _ => ValueRef::Uint64(*n),
            },
            MV::Float(f) => ValueRef::Double(*f as f64),
            MV::Double(d) => ValueRef::Double(*d),
            MV::Bytes(b) => match kind {
                K::Bytes => ValueRef::Bytes(b),
                K::Uint64 => {
                    // BIT(n): big-endian bytes.
                    let n = b.iter().take(8).fold(0u64, |acc, x| acc << 8 | *x as u64);
                    ValueRef::Uint64(n)
                }
                // Text as the crate holds it (C, which needs a NUL, copies
                // it: `text_is_nul_terminated`); bytes that are not UTF-8
                // stay bytes.
                _ => match value::utf8(b) {
                    Some(t) => match kind {
                        K::Decimal => ValueRef::Decimal(t),
                        K::Json => ValueRef::Json(t),
                        _ => ValueRef::Text(t),
                    },
                    None => ValueRef::Bytes(b),
                },
            },
            MV::Date(y, m, d, h, mi, s, us) => {
                if *m == 0 || *d == 0 {
                    return ValueRef::Null; // zero date with zero_date=null
                }
                let days = value::days_from_civil(*y as i64, *m as u32, *d as u32);
                if kind == K::Date {
                    return ValueRef::Date(days as i32);
                }
                let t = days * MICROS_PER_DAY
                    + ((*h as i64 * 60 + *mi as i64) * 60 + *s as i64) * MICROS_PER_SECOND
                    + *us as i64;
                if kind == K::Timestamptz { ValueRef::Timestamptz(t) } else { ValueRef::Timestamp(t) }
            }
            MV::Time(neg, days, h, m, s, us) => {
                let t = ((*days as i64 * 24 + *h as i64) * 60 + *m as i64) * 60 * MICROS_PER_SECOND
                    + *s as i64 * MICROS_PER_SECOND
                    + *us as i64;
                if !*neg && t < MICROS_PER_DAY {
                    ValueRef::Time(t)
                } else {
                    // MySQL TIME is a duration (-838:59:59 to 838:59:59); a
                    // value outside one day has no time-of-day form.
                    ValueRef::Int64(if *neg { -t } else { t })
                }
            }
        }
    }
}
