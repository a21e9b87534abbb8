//! A cursor streaming a result from the socket.

use super::{session::*, types::*};
use crate::core::driver::{DriverRows};
use crate::core::error::{Error, Result};
use crate::core::value::{self, Column, MICROS_PER_DAY, MICROS_PER_SECOND, Type as K, ValueRef};
use mysql::{Binary, QueryResult};
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(super) struct MyRows {
    /// Which opening of the session's cursor this is.
    pub(super) generation: u64,
    pub(super) done: bool,
    /// The current row's packet as the server sent it: values are read
    /// out of it where they lie (the crate's `Row` would make an owned
    /// value of each, a vector and an allocation per string).
    pub(super) row: Option<mysql::KeelPacket>,
    /// Where each column's value starts in `row` ([`NULL_AT`]: NULL).
    pub(super) at: Vec<u32>,
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
        match result.keel_next_packet() {
            Some(Ok(_)) if self.shared.killer.requested.load(Ordering::Acquire) => {
                self.row = None;
                self.finish();
                Err(self.shared.killer.check().unwrap_err())
            }
            Some(Ok(row)) => {
                if locate(&row, &self.cols.wire, &mut self.at).is_none() {
                    self.row = None;
                    self.finish();
                    return Err(Error::new(
                        crate::core::error::Status::Io,
                        "the server sent a row that does not match its result's columns",
                    )
                    .with_driver("mysql"));
                }
                if !self.zero_as_null {
                    if let Some(&i) = self.cols.date_cols.iter().find(|&&i| zero_date(&row, self.at[i])) {
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
        let (Some(row), Some(&at)) = (self.row.as_deref(), self.at.get(i)) else { return ValueRef::Null };
        if at == NULL_AT {
            return ValueRef::Null;
        }
        // `locate` checked that the value lies whole in the packet.
        let b = &row[at as usize..];
        let kind = self.cols.columns[i].kind;
        let le = |n: usize| b[..n].iter().rev().fold(0u64, |acc, x| acc << 8 | *x as u64);
        match self.cols.wire[i] {
            Wire::Int1(unsigned) => int(if unsigned { b[0] as i64 } else { b[0] as i8 as i64 }, kind),
            Wire::Int2(unsigned) => int(if unsigned { le(2) as i64 } else { le(2) as u16 as i16 as i64 }, kind),
            Wire::Int4(unsigned) => int(if unsigned { le(4) as i64 } else { le(4) as u32 as i32 as i64 }, kind),
            Wire::Int8(false) => int(le(8) as i64, kind),
            Wire::Int8(true) => {
                let n = le(8);
                match kind {
                    K::Uint64 => ValueRef::Uint64(n),
                    _ if n <= i64::MAX as u64 => int(n as i64, kind),
                    _ => ValueRef::Uint64(n),
                }
            }
            Wire::Float => ValueRef::Double(f32::from_bits(le(4) as u32) as f64),
            Wire::Double => ValueRef::Double(f64::from_bits(le(8))),
            Wire::Null => ValueRef::Null,
            Wire::Bytes => {
                let Some((head, len)) = lenenc(b) else { return ValueRef::Null };
                let b = &b[head..head + len];
                match kind {
                    K::Bytes => ValueRef::Bytes(b),
                    K::Uint64 => {
                        // BIT(n): big-endian bytes.
                        let n = b.iter().take(8).fold(0u64, |acc, x| acc << 8 | *x as u64);
                        ValueRef::Uint64(n)
                    }
                    // Text as it lies in the packet (C, which needs a NUL,
                    // copies it: `text_is_nul_terminated`); bytes that are
                    // not UTF-8 stay bytes.
                    _ => match value::utf8(b) {
                        Some(t) => match kind {
                            K::Decimal => ValueRef::Decimal(t),
                            K::Json => ValueRef::Json(t),
                            _ => ValueRef::Text(t),
                        },
                        None => ValueRef::Bytes(b),
                    },
                }
            }
            Wire::DateTime => {
                let (y, m, d, h, mi, s, us) = datetime(b);
                if m == 0 || d == 0 {
                    return ValueRef::Null; // zero date with zero_date=null
                }
                let days = value::days_from_civil(y as i64, m as u32, d as u32);
                if kind == K::Date {
                    return ValueRef::Date(days as i32);
                }
                let t = days * MICROS_PER_DAY + ((h as i64 * 60 + mi as i64) * 60 + s as i64) * MICROS_PER_SECOND + us as i64;
                if kind == K::Timestamptz { ValueRef::Timestamptz(t) } else { ValueRef::Timestamp(t) }
            }
            Wire::Time => {
                let n = b[0] as usize;
                let f = |k: usize| if k < 1 + n { b[k] as i64 } else { 0 };
                let neg = n >= 8 && b[1] == 1;
                let days = if n >= 8 { u32::from_le_bytes([b[2], b[3], b[4], b[5]]) as i64 } else { 0 };
                let us = if n >= 12 { u32::from_le_bytes([b[9], b[10], b[11], b[12]]) as i64 } else { 0 };
                let t = ((days * 24 + f(6)) * 60 + f(7)) * 60 * MICROS_PER_SECOND + f(8) * MICROS_PER_SECOND + us;
                if !neg && t < MICROS_PER_DAY {
                    ValueRef::Time(t)
                } else {
                    // MySQL TIME is a duration (-838:59:59 to 838:59:59); a
                    // value outside one day has no time-of-day form.
                    ValueRef::Int64(if neg { -t } else { t })
                }
            }
        }
    }
}

/// An integer column's value as its keel type takes it.
fn int(n: i64, kind: K) -> ValueRef<'static> {
    match kind {
        K::Bool if n == 0 || n == 1 => ValueRef::Bool(n == 1),
        K::Uint64 if n >= 0 => ValueRef::Uint64(n as u64),
        _ => ValueRef::Int64(n),
    }
}

/// `at` of a NULL value.
pub(super) const NULL_AT: u32 = u32::MAX;

/// A length-encoded integer at the start of `b`: its own bytes and its
/// value.
fn lenenc(b: &[u8]) -> Option<(usize, usize)> {
    let le = |n: usize| b.get(1..1 + n).map(|x| x.iter().rev().fold(0u64, |acc, y| acc << 8 | *y as u64) as usize);
    match *b.first()? {
        n @ 0..=250 => Some((1, n as usize)),
        0xFC => Some((3, le(2)?)),
        0xFD => Some((4, le(3)?)),
        0xFE => Some((9, le(8)?)),
        _ => None,
    }
}

/// Where each column's value starts in binary-protocol row packet `p`
/// (a 0x00 byte, the NULL bitmap offset by 2 bits, then the values that
/// are not NULL, laid out as `wire` says), into `at`; `None` when the
/// packet does not hold them all.
fn locate(p: &[u8], wire: &[Wire], at: &mut Vec<u32>) -> Option<()> {
    let bitmap = p.get(1..1 + (wire.len() + 9) / 8)?;
    let mut pos = 1 + bitmap.len();
    at.clear();
    for (i, w) in wire.iter().enumerate() {
        if bitmap[(i + 2) / 8] & (1 << ((i + 2) % 8)) != 0 {
            at.push(NULL_AT);
            continue;
        }
        at.push(u32::try_from(pos).ok()?);
        pos += match w {
            Wire::Int1(_) => 1,
            Wire::Int2(_) => 2,
            Wire::Int4(_) | Wire::Float => 4,
            Wire::Int8(_) | Wire::Double => 8,
            Wire::DateTime | Wire::Time => 1 + *p.get(pos)? as usize,
            Wire::Null => 0,
            Wire::Bytes => {
                let (head, len) = lenenc(p.get(pos..)?)?;
                head.checked_add(len)?
            }
        };
        if pos > p.len() {
            return None;
        }
    }
    Some(())
}

/// A DATE, DATETIME or TIMESTAMP value at the start of `b` (its length
/// byte first): year, month, day, hour, minute, second, microsecond.
fn datetime(b: &[u8]) -> (u16, u8, u8, u8, u8, u8, u32) {
    let n = b[0] as usize;
    let f = |k: usize| if k < 1 + n { b[k] } else { 0 };
    let y = if n >= 4 { u16::from_le_bytes([b[1], b[2]]) } else { 0 };
    let us = if n >= 11 { u32::from_le_bytes([b[8], b[9], b[10], b[11]]) } else { 0 };
    (y, f(3), f(4), f(5), f(6), f(7), us)
}

/// Whether the value at `at` of `row` (a date column's) is a zero date
/// (0000-00-00, or a month or day of 0).
fn zero_date(row: &[u8], at: u32) -> bool {
    if at == NULL_AT {
        return false;
    }
    let (_, m, d, ..) = datetime(&row[at as usize..]);
    m == 0 || d == 0
}

#[cfg(test)]
mod tests {
    use super::{NULL_AT, Wire, datetime, lenenc, locate};

    #[test]
    fn a_row_packet_is_located_value_by_value() {
        let wire = [Wire::Int8(false), Wire::Bytes, Wire::Int4(true), Wire::DateTime, Wire::Double, Wire::Time, Wire::Int1(false)];
        // 7 columns: a bitmap of (7 + 9) / 8 = 2 bytes, bits offset by 2;
        // column 2 (bit 4) is NULL.
        let mut p = vec![0x00, 1 << 4, 0];
        p.extend_from_slice(&7i64.to_le_bytes()); // 3
        p.extend_from_slice(&[3, b'a', b'b', b'c']); // 11
        p.extend_from_slice(&[4, 0xE8, 0x07, 12, 31]); // 15: 2024-12-31
        p.extend_from_slice(&1.5f64.to_le_bytes()); // 20
        p.extend_from_slice(&[0]); // 28: 00:00:00
        p.push(0xFF); // 29: -1
        let mut at = Vec::new();
        assert_eq!(locate(&p, &wire, &mut at), Some(()));
        assert_eq!(at, vec![3, 11, NULL_AT, 15, 20, 28, 29]);
        assert_eq!(datetime(&p[15..]), (2024, 12, 31, 0, 0, 0, 0));
        // One byte short, or a string longer than the packet: no row.
        assert_eq!(locate(&p[..p.len() - 1], &wire, &mut at), None);
        let mut long = vec![0x00, 0];
        long.extend_from_slice(&[0xFC, 0x00, 0x01, b'x']);
        assert_eq!(locate(&long, &[Wire::Bytes], &mut at), None);
        assert_eq!(locate(&[0x00], &[Wire::Bytes], &mut at), None);
    }

    #[test]
    fn length_encoded_integers_and_datetimes() {
        assert_eq!(lenenc(&[250]), Some((1, 250)));
        assert_eq!(lenenc(&[0xFC, 0x01, 0x02]), Some((3, 0x0201)));
        assert_eq!(lenenc(&[0xFD, 0x01, 0x02, 0x03]), Some((4, 0x030201)));
        assert_eq!(lenenc(&[0xFE, 1, 0, 0, 0, 0, 0, 0, 0]), Some((9, 1)));
        assert_eq!(lenenc(&[0xFC, 0x01]), None);
        assert_eq!(lenenc(&[0xFB]), None);
        assert_eq!(datetime(&[0]), (0, 0, 0, 0, 0, 0, 0));
        assert_eq!(datetime(&[7, 0xE8, 0x07, 1, 2, 3, 4, 5]), (2024, 1, 2, 3, 4, 5, 0));
        assert_eq!(datetime(&[11, 0xE8, 0x07, 1, 2, 3, 4, 5, 0x40, 0x42, 0x0F, 0]), (2024, 1, 2, 3, 4, 5, 1_000_000));
    }
}
