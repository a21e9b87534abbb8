//! Bulk ingest by the TDS bulk load (tiberius' `bulk_insert_columns`, the
//! protocol of `bcp` and ADO.NET's `SqlBulkCopy`), for
//! `DriverConn::bulk_insert`.
//!
//! Each value is written as its table column takes it, which tiberius
//! requires (an `int` column takes a 4-byte integer, a `time(7)` column
//! ticks of 100 ns): the column types come from the server first. A value
//! that does not fit its column exactly (an integer out of the column's
//! range, a decimal with more digits than (p, s), a time finer than the
//! column's scale) is an error, never rounded. Tables with a column keel
//! does not write exactly (money, datetime, text, xml, computed or
//! identity columns, ...) go in by INSERTs instead (`Ok(None)`).

use super::session::{Shared, stopped};
use super::types::to_date;
use crate::core::driver::BulkTarget;
use crate::core::error::{Error, Result, Status};
use crate::core::ingest::RowSource;
use crate::core::value::{MICROS_PER_DAY, ValueRef};
use std::borrow::Cow;
use std::sync::atomic::Ordering;
use tiberius::numeric::Numeric;
use tiberius::time::{DateTime2, DateTimeOffset, Time};
use tiberius::{ColumnData, FixedLenType as F, TokenRow, TypeInfo, VarLenType as V};

/// How a column takes its values.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    Bit,
    /// An integer of this many bytes.
    Int(u8),
    /// A float of this many bytes.
    Float(u8),
    Text,
    Binary,
    Guid,
    Decimal(u8, u8),
    Date,
    /// time, datetime2, datetimeoffset at this scale (fractional digits).
    Time(u8),
    DateTime2(u8),
    DateTimeOffset(u8),
}

impl Slot {
    fn of(ty: &TypeInfo) -> Option<Slot> {
        Some(match ty {
            TypeInfo::FixedLen(F::Bit) => Slot::Bit,
            TypeInfo::FixedLen(F::Int1) => Slot::Int(1),
            TypeInfo::FixedLen(F::Int2) => Slot::Int(2),
            TypeInfo::FixedLen(F::Int4) => Slot::Int(4),
            TypeInfo::FixedLen(F::Int8) => Slot::Int(8),
            TypeInfo::FixedLen(F::Float4) => Slot::Float(4),
            TypeInfo::FixedLen(F::Float8) => Slot::Float(8),
            TypeInfo::VarLenSized(cx) => match (cx.r#type(), cx.len()) {
                (V::Bitn, _) => Slot::Bit,
                (V::Intn, n @ (1 | 2 | 4 | 8)) => Slot::Int(n as u8),
                (V::Floatn, n @ (4 | 8)) => Slot::Float(n as u8),
                (V::NVarchar | V::NChar | V::BigVarChar | V::BigChar, _) => Slot::Text,
                (V::BigVarBin | V::BigBinary, _) => Slot::Binary,
                (V::Guid, _) => Slot::Guid,
                (V::Daten, _) => Slot::Date,
                // The length of these is their scale.
                (V::Timen, s) => Slot::Time(s as u8),
                (V::Datetime2, s) => Slot::DateTime2(s as u8),
                (V::DatetimeOffsetn, s) => Slot::DateTimeOffset(s as u8),
                _ => return None,
            },
            TypeInfo::VarLenSizedPrecision { ty: V::Decimaln | V::Numericn, precision, scale, .. } => {
                Slot::Decimal(*precision, *scale)
            }
            _ => return None,
        })
    }

    fn null(self) -> ColumnData<'static> {
        match self {
            Slot::Bit => ColumnData::Bit(None),
            Slot::Int(1) => ColumnData::U8(None),
            Slot::Int(2) => ColumnData::I16(None),
            Slot::Int(4) => ColumnData::I32(None),
            Slot::Int(_) => ColumnData::I64(None),
            Slot::Float(4) => ColumnData::F32(None),
            Slot::Float(_) => ColumnData::F64(None),
            Slot::Text => ColumnData::String(None),
            Slot::Binary => ColumnData::Binary(None),
            Slot::Guid => ColumnData::Guid(None),
            Slot::Decimal(..) => ColumnData::Numeric(None),
            Slot::Date => ColumnData::Date(None),
            Slot::Time(_) => ColumnData::Time(None),
            Slot::DateTime2(_) => ColumnData::DateTime2(None),
            Slot::DateTimeOffset(_) => ColumnData::DateTimeOffset(None),
        }
    }
}

/// One column of the load: its name, how it takes values, whether NULL.
struct Col {
    name: String,
    slot: Slot,
    nullable: bool,
}

fn bad(msg: String) -> Error {
    Error::invalid_data(msg).with_sqlstate("22003").with_driver("mssql")
}

/// Microseconds as increments of 10^-`scale` seconds, exactly.
fn increments(us: i64, scale: u8) -> Result<u64> {
    let us = u64::try_from(us).map_err(|_| bad(format!("time {us} µs is negative")))?;
    if scale >= 6 {
        Ok(us * 10u64.pow(scale as u32 - 6))
    } else {
        let d = 10u64.pow(6 - scale as u32);
        if us % d != 0 {
            return Err(bad(format!("a time with microseconds does not fit a column of scale {scale} exactly")));
        }
        Ok(us / d)
    }
}

/// A date and time of day at `scale`, from microseconds since 1970.
fn datetime2(us: i64, scale: u8) -> Result<DateTime2> {
    let date = to_date(us.div_euclid(MICROS_PER_DAY))?;
    Ok(DateTime2::new(date, Time::new(increments(us.rem_euclid(MICROS_PER_DAY), scale)?, scale)))
}

impl Col {
    /// `v` as this column takes it.
    fn value(&self, v: ValueRef<'_>) -> Result<ColumnData<'static>> {
        let range = |n: String| bad(format!("{n} is out of range for column {:?}", self.name));
        let int = |n: i128| -> Result<ColumnData<'static>> {
            Ok(match self.slot {
                Slot::Int(1) => ColumnData::U8(Some(u8::try_from(n).map_err(|_| range(n.to_string()))?)),
                Slot::Int(2) => ColumnData::I16(Some(i16::try_from(n).map_err(|_| range(n.to_string()))?)),
                Slot::Int(4) => ColumnData::I32(Some(i32::try_from(n).map_err(|_| range(n.to_string()))?)),
                _ => ColumnData::I64(Some(i64::try_from(n).map_err(|_| range(n.to_string()))?)),
            })
        };
        Ok(match (self.slot, v) {
            (s, ValueRef::Null) => {
                if !self.nullable {
                    return Err(Error::new(Status::Integrity, format!("column {:?} does not take NULL", self.name))
                        .with_sqlstate("23000")
                        .with_driver("mssql"));
                }
                s.null()
            }
            (Slot::Bit, ValueRef::Bool(b)) => ColumnData::Bit(Some(b)),
            (Slot::Int(_), ValueRef::Int64(n)) => int(n as i128)?,
            (Slot::Int(_), ValueRef::Uint64(n)) => int(n as i128)?,
            (Slot::Float(w), ValueRef::Double(d)) => {
                if !d.is_finite() {
                    return Err(bad(format!("SQL Server cannot store {d} (its float has no NaN or infinity)")));
                }
                if w == 4 { ColumnData::F32(Some(d as f32)) } else { ColumnData::F64(Some(d)) }
            }
            (Slot::Text, ValueRef::Text(t) | ValueRef::Json(t)) => ColumnData::String(Some(Cow::Owned(t.to_owned()))),
            (Slot::Binary, ValueRef::Bytes(b)) => ColumnData::Binary(Some(Cow::Owned(b.to_vec()))),
            (Slot::Guid, ValueRef::Uuid(u)) => ColumnData::Guid(Some(tiberius::Uuid::from_bytes(u))),
            (Slot::Decimal(p, s), ValueRef::Decimal(t)) => {
                let n = crate::core::value::unscaled_decimal(t, p, s)
                    .ok_or_else(|| bad(format!("decimal {t:?} does not fit column {:?}, decimal({p},{s})", self.name)))?;
                ColumnData::Numeric(Some(Numeric::new_with_scale(n, s)))
            }
            (Slot::Date, ValueRef::Date(d)) => ColumnData::Date(Some(to_date(d as i64)?)),
            (Slot::Time(s), ValueRef::Time(us)) => ColumnData::Time(Some(Time::new(increments(us, s)?, s))),
            (Slot::DateTime2(s), ValueRef::Timestamp(us)) => ColumnData::DateTime2(Some(datetime2(us, s)?)),
            // The instant, stored with offset +00:00.
            (Slot::DateTimeOffset(s), ValueRef::Timestamptz(us)) => {
                ColumnData::DateTimeOffset(Some(DateTimeOffset::new(datetime2(us, s)?, 0)))
            }
            (slot, v) => {
                return Err(Error::invalid_data(format!(
                    "a {} value does not go into column {:?} ({slot:?}) by the bulk load",
                    v.kind().name(),
                    self.name
                ))
                .with_driver("mssql"));
            }
        })
    }
}

/// Load `src` into `target` by the TDS bulk load; `None` when a column is
/// one keel does not write exactly (nothing of `src` read then).
pub(super) fn bulk_insert(shared: &Shared, target: &BulkTarget<'_>, src: &mut dyn RowSource) -> Result<Option<u64>> {
    let names: Vec<&str> = target.columns.iter().map(String::as_str).collect();
    let c = shared.client()?;
    let meta = shared.run(c.column_metadata(target.table, &names))?;
    if meta.len() != names.len() {
        return Ok(None);
    }
    let mut cols = Vec::with_capacity(meta.len());
    for (m, name) in meta.iter().zip(target.column_names) {
        let b = m.base();
        match Slot::of(b.ty()) {
            // tiberius leaves read-only columns (identity, computed) out
            // of the load: those go by INSERT, which names them.
            Some(slot) if b.is_updateable() && !b.is_identity() => {
                cols.push(Col { name: name.clone(), slot, nullable: b.is_nullable() })
            }
            _ => return Ok(None),
        }
    }
    let c = shared.client()?;
    let mut req = shared.run(c.bulk_insert_columns(target.table, &names))?;
    // From here the bulk load message is open: it must end with
    // `finalize`, or the session is lost.
    let mut pending: Vec<TokenRow<'static>> = Vec::new();
    let mut failed: Option<Error> = None;
    loop {
        let more = src.next_rows(&mut |row| {
            let mut r = TokenRow::with_capacity(cols.len());
            for (v, col) in row.iter().zip(&cols) {
                r.push(col.value(*v)?);
            }
            pending.push(r);
            Ok(())
        });
        let rows = std::mem::take(&mut pending);
        // The rows of the batch before a failing one still go: the
        // message then ends cleanly, and the transaction is rolled back.
        let sent = send(shared, async {
            for r in rows {
                req.send(r).await?;
            }
            Ok(())
        });
        match (more, sent) {
            (Ok(Some(_)), Ok(())) => continue,
            (Ok(None), Ok(())) => break,
            (Err(e), Ok(())) => failed = Some(e),
            (_, Err(e)) => failed = Some(e),
        }
        break;
    }
    if shared.broken.load(Ordering::Acquire) {
        return Err(failed.unwrap_or_else(|| Error::new(Status::Io, "the SQL Server connection was lost during a bulk load")));
    }
    let done = send(shared, req.finalize());
    match (failed, done) {
        (Some(e), _) => Err(e),
        (None, Ok(r)) => Ok(Some(r.total())),
        (None, Err(e)) => Err(e),
    }
}

/// Drive one step of the bulk load. A cancel or a timeout cannot stop a
/// bulk load midway (an attention may only follow a whole message): the
/// session is given up instead.
fn send<T>(shared: &Shared, fut: impl std::future::Future<Output = tiberius::Result<T>>) -> Result<T> {
    shared.ctl.arm();
    let r = shared.wait(fut);
    shared.ctl.disarm();
    match r {
        Ok(v) => shared.check(v),
        Err(stop) => {
            shared.broken.store(true, Ordering::Release);
            Err(stopped(stop).context("the connection was closed: a bulk load cannot be stopped midway"))
        }
    }
}
