//! MySQL column types to keel types, and keel values to the crate's.

use crate::core::error::{Error, Result};
use crate::core::value::{self, Column, MICROS_PER_DAY, MICROS_PER_SECOND, Nullable, Type as K, ValueRef};
use mysql::consts::{ColumnFlags, ColumnType as CT, StmtExecuteParamFlags};
use mysql::Value as MV;
use std::sync::Arc;



/// Column metadata plus what decoding needs.
pub(super) struct MyCols {
    pub(super) columns: Arc<[Column]>,
    /// How each column's values lie in a row packet.
    pub(super) wire: Vec<Wire>,
    /// Columns holding dates, checked for zero dates on every row.
    pub(super) date_cols: Vec<usize>,
}

/// How a column's value is written in the binary protocol's row packet
/// (what the server sends for a prepared statement's result), and
/// whether an integer is unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wire {
    /// Little-endian integers of 1, 2, 4 or 8 bytes.
    Int1(bool),
    Int2(bool),
    Int4(bool),
    Int8(bool),
    Float,
    Double,
    /// A length byte (0, 4, 7 or 11), then year, month, day, hour,
    /// minute, second, microsecond as far as the length goes.
    DateTime,
    /// A length byte (0, 8 or 12), then sign, days, hour, minute,
    /// second, microsecond.
    Time,
    /// No bytes (the NULL bitmap says NULL).
    Null,
    /// A length-encoded string: text, bytes, DECIMAL, JSON, BIT, ...
    Bytes,
}

impl Wire {
    fn of(ct: CT, unsigned: bool) -> Wire {
        match ct {
            CT::MYSQL_TYPE_TINY => Wire::Int1(unsigned),
            CT::MYSQL_TYPE_SHORT | CT::MYSQL_TYPE_YEAR => Wire::Int2(unsigned),
            CT::MYSQL_TYPE_LONG | CT::MYSQL_TYPE_INT24 => Wire::Int4(unsigned),
            CT::MYSQL_TYPE_LONGLONG => Wire::Int8(unsigned),
            CT::MYSQL_TYPE_FLOAT => Wire::Float,
            CT::MYSQL_TYPE_DOUBLE => Wire::Double,
            CT::MYSQL_TYPE_TIMESTAMP | CT::MYSQL_TYPE_DATE | CT::MYSQL_TYPE_NEWDATE | CT::MYSQL_TYPE_DATETIME => {
                Wire::DateTime
            }
            CT::MYSQL_TYPE_TIME => Wire::Time,
            CT::MYSQL_TYPE_NULL => Wire::Null,
            _ => Wire::Bytes,
        }
    }
}

pub(super) fn engine_type_name(ct: CT, flags: ColumnFlags, binary: bool, len: u32) -> String {
    let base = match ct {
        CT::MYSQL_TYPE_TINY => "TINYINT",
        CT::MYSQL_TYPE_SHORT => "SMALLINT",
        CT::MYSQL_TYPE_INT24 => "MEDIUMINT",
        CT::MYSQL_TYPE_LONG => "INT",
        CT::MYSQL_TYPE_LONGLONG => "BIGINT",
        CT::MYSQL_TYPE_FLOAT => "FLOAT",
        CT::MYSQL_TYPE_DOUBLE => "DOUBLE",
        CT::MYSQL_TYPE_DECIMAL | CT::MYSQL_TYPE_NEWDECIMAL => "DECIMAL",
        CT::MYSQL_TYPE_YEAR => "YEAR",
        CT::MYSQL_TYPE_DATE | CT::MYSQL_TYPE_NEWDATE => "DATE",
        CT::MYSQL_TYPE_TIME | CT::MYSQL_TYPE_TIME2 => "TIME",
        CT::MYSQL_TYPE_DATETIME | CT::MYSQL_TYPE_DATETIME2 => "DATETIME",
        CT::MYSQL_TYPE_TIMESTAMP | CT::MYSQL_TYPE_TIMESTAMP2 => "TIMESTAMP",
        CT::MYSQL_TYPE_BIT => "BIT",
        CT::MYSQL_TYPE_JSON => "JSON",
        CT::MYSQL_TYPE_GEOMETRY => "GEOMETRY",
        CT::MYSQL_TYPE_NULL => "NULL",
        _ if flags.contains(ColumnFlags::ENUM_FLAG) => "ENUM",
        _ if flags.contains(ColumnFlags::SET_FLAG) => "SET",
        CT::MYSQL_TYPE_VARCHAR | CT::MYSQL_TYPE_VAR_STRING => if binary { "VARBINARY" } else { "VARCHAR" },
        CT::MYSQL_TYPE_STRING => if binary { "BINARY" } else { "CHAR" },
        _ => if binary { "BLOB" } else { "TEXT" },
    };
    let mut s = base.to_owned();
    if ct == CT::MYSQL_TYPE_TINY && len == 1 {
        s.push_str("(1)");
    }
    let numeric = matches!(
        ct,
        CT::MYSQL_TYPE_TINY | CT::MYSQL_TYPE_SHORT | CT::MYSQL_TYPE_INT24 | CT::MYSQL_TYPE_LONG
            | CT::MYSQL_TYPE_LONGLONG | CT::MYSQL_TYPE_FLOAT | CT::MYSQL_TYPE_DOUBLE
            | CT::MYSQL_TYPE_DECIMAL | CT::MYSQL_TYPE_NEWDECIMAL
    );
    if numeric && flags.contains(ColumnFlags::UNSIGNED_FLAG) {
        s.push_str(" UNSIGNED");
    }
    s
}

pub(super) fn columns(cols: &[mysql::Column]) -> MyCols {
    let mut columns = Vec::with_capacity(cols.len());
    let mut wire = Vec::with_capacity(cols.len());
    let mut date_cols = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        let ct = c.column_type();
        let flags = c.flags();
        let binary = c.character_set() == 63;
        let unsigned = flags.contains(ColumnFlags::UNSIGNED_FLAG);
        wire.push(Wire::of(ct, unsigned));
        let kind = match ct {
            CT::MYSQL_TYPE_TINY if c.column_length() == 1 && !unsigned => K::Bool,
            CT::MYSQL_TYPE_LONGLONG if unsigned => K::Uint64,
            CT::MYSQL_TYPE_TINY | CT::MYSQL_TYPE_SHORT | CT::MYSQL_TYPE_INT24 | CT::MYSQL_TYPE_LONG
            | CT::MYSQL_TYPE_LONGLONG | CT::MYSQL_TYPE_YEAR => K::Int64,
            CT::MYSQL_TYPE_FLOAT | CT::MYSQL_TYPE_DOUBLE => K::Double,
            CT::MYSQL_TYPE_DECIMAL | CT::MYSQL_TYPE_NEWDECIMAL => K::Decimal,
            CT::MYSQL_TYPE_DATE | CT::MYSQL_TYPE_NEWDATE => K::Date,
            CT::MYSQL_TYPE_DATETIME | CT::MYSQL_TYPE_DATETIME2 => K::Timestamp,
            CT::MYSQL_TYPE_TIMESTAMP | CT::MYSQL_TYPE_TIMESTAMP2 => K::Timestamptz,
            CT::MYSQL_TYPE_TIME | CT::MYSQL_TYPE_TIME2 => K::Time,
            CT::MYSQL_TYPE_BIT => K::Uint64,
            CT::MYSQL_TYPE_JSON => K::Json,
            CT::MYSQL_TYPE_NULL => K::Null,
            CT::MYSQL_TYPE_GEOMETRY => K::Bytes,
            _ if binary => K::Bytes,
            _ => K::Text,
        };
        if matches!(kind, K::Date | K::Timestamp | K::Timestamptz) {
            date_cols.push(i);
        }
        columns.push(Column {
            name: c.name_str().into_owned(),
            kind,
            engine_type: engine_type_name(ct, flags, binary, c.column_length()),
            nullable: if flags.contains(ColumnFlags::NOT_NULL_FLAG) { Nullable::No } else { Nullable::Yes },
            decimal: (kind == K::Decimal).then(|| mysql_decimal(c.column_length(), c.decimals(), flags)).flatten(),
            list_of: None,
        });
    }
    MyCols { columns: columns.into(), wire, date_cols }
}

/// (precision, scale) of a DECIMAL column: MySQL reports its display
/// length, which counts a '-' unless UNSIGNED and a '.' when the scale is
/// not 0.
fn mysql_decimal(len: u32, decimals: u8, flags: ColumnFlags) -> Option<(u8, i8)> {
    let extra = (decimals > 0) as u32 + (!flags.contains(ColumnFlags::UNSIGNED_FLAG)) as u32;
    let p = len.checked_sub(extra)?;
    ((1..=76).contains(&p) && decimals as u32 <= p).then_some((p as u8, decimals as i8))
}

pub(super) fn bad(msg: String) -> Error {
    Error::invalid_argument(msg).with_sqlstate("22003").with_driver("mysql")
}

pub(super) fn date_parts(days: i64) -> Result<(u16, u8, u8)> {
    let (y, m, d) = value::civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return Err(bad(format!("year {y} is outside MySQL's range 0000-9999")));
    }
    Ok((y as u16, m as u8, d as u8))
}

/// A timestamp (microseconds since 1970 UTC, or local) as MySQL's parts:
/// year, month, day, hour, minute, second, microsecond.
fn datetime_parts(t: i64) -> Result<(u16, u8, u8, u8, u8, u8, u32)> {
    let (y, m, d) = date_parts(t.div_euclid(MICROS_PER_DAY))?;
    let tod = t.rem_euclid(MICROS_PER_DAY);
    let s = tod / MICROS_PER_SECOND;
    Ok((y, m, d, (s / 3600) as u8, (s / 60 % 60) as u8, (s % 60) as u8, (tod % MICROS_PER_SECOND) as u32))
}

/// A time of day (microseconds) as MySQL's parts: hour, minute, second,
/// microsecond.
fn time_parts(t: i64) -> (u8, u8, u8, u32) {
    let s = t / MICROS_PER_SECOND;
    ((s / 3600) as u8, (s / 60 % 60) as u8, (s % 60) as u8, (t % MICROS_PER_SECOND) as u32)
}

fn refuse_non_finite(d: f64) -> Result<()> {
    if d.is_finite() { Ok(()) } else { Err(bad(format!("MySQL cannot store {d} (no NaN or infinity)"))) }
}

/// A keel value as the crate's value type.
pub(super) fn to_mysql(v: ValueRef<'_>) -> Result<MV> {
    Ok(match v {
        ValueRef::Null => MV::NULL,
        ValueRef::Bool(b) => MV::Int(b as i64),
        ValueRef::Int64(n) => MV::Int(n),
        ValueRef::Uint64(n) => MV::UInt(n),
        ValueRef::Double(d) => {
            refuse_non_finite(d)?;
            MV::Double(d)
        }
        ValueRef::Text(t) | ValueRef::Json(t) => MV::Bytes(t.as_bytes().to_vec()),
        ValueRef::Decimal(t) => {
            value::check_decimal(t)?;
            MV::Bytes(t.as_bytes().to_vec())
        }
        ValueRef::Bytes(b) => MV::Bytes(b.to_vec()),
        ValueRef::Date(d) => {
            let (y, m, dd) = date_parts(d as i64)?;
            MV::Date(y, m, dd, 0, 0, 0, 0)
        }
        ValueRef::Time(t) => {
            let (h, m, s, us) = time_parts(t);
            MV::Time(false, 0, h, m, s, us)
        }
        ValueRef::Timestamp(t) | ValueRef::Timestamptz(t) => {
            let (y, m, d, h, mi, s, us) = datetime_parts(t)?;
            MV::Date(y, m, d, h, mi, s, us)
        }
        ValueRef::Uuid(u) => {
            let mut s = String::new();
            value::format_uuid(&u, &mut s);
            MV::Bytes(s.into_bytes())
        }
    })
}

/// How values of keel type `k` travel in a bulk command
/// ([`write_bulk_value`]): their MySQL type and parameter flags, the
/// types [`to_mysql`]'s values have, except that a bool is a TINY.
pub(super) fn bulk_type(k: K) -> (CT, StmtExecuteParamFlags) {
    let none = StmtExecuteParamFlags::empty();
    match k {
        K::Bool => (CT::MYSQL_TYPE_TINY, none),
        K::Int64 => (CT::MYSQL_TYPE_LONGLONG, none),
        K::Uint64 => (CT::MYSQL_TYPE_LONGLONG, StmtExecuteParamFlags::UNSIGNED),
        K::Double => (CT::MYSQL_TYPE_DOUBLE, none),
        K::Date | K::Timestamp | K::Timestamptz => (CT::MYSQL_TYPE_DATETIME, none),
        K::Time => (CT::MYSQL_TYPE_TIME, none),
        K::Null => (CT::MYSQL_TYPE_NULL, none),
        K::Bytes => (CT::MYSQL_TYPE_BLOB, none),
        K::Text | K::Json | K::Decimal | K::Uuid => (CT::MYSQL_TYPE_STRING, none),
    }
}

/// Append `b` with its length-encoded length (the binary protocol's
/// strings).
fn put_lenenc_bytes(b: &[u8], out: &mut Vec<u8>) {
    let n = b.len() as u64;
    if n < 251 {
        out.push(n as u8);
    } else if n < 1 << 16 {
        out.push(0xFC);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n < 1 << 24 {
        out.push(0xFD);
        out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
    } else {
        out.push(0xFE);
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(b);
}

/// Append non-NULL `v` in the binary protocol's form of its column's
/// [`bulk_type`], refusing what [`to_mysql`] refuses with the same errors;
/// `text` is scratch space for a uuid's text.
pub(super) fn write_bulk_value(v: ValueRef<'_>, text: &mut String, out: &mut Vec<u8>) -> Result<()> {
    match v {
        ValueRef::Null => {}
        ValueRef::Bool(b) => out.push(b as u8),
        ValueRef::Int64(n) => out.extend_from_slice(&n.to_le_bytes()),
        ValueRef::Uint64(n) => out.extend_from_slice(&n.to_le_bytes()),
        ValueRef::Double(d) => {
            refuse_non_finite(d)?;
            out.extend_from_slice(&d.to_le_bytes());
        }
        ValueRef::Text(t) | ValueRef::Json(t) => put_lenenc_bytes(t.as_bytes(), out),
        ValueRef::Decimal(t) => {
            value::check_decimal(t)?;
            put_lenenc_bytes(t.as_bytes(), out);
        }
        ValueRef::Bytes(b) => put_lenenc_bytes(b, out),
        ValueRef::Date(d) => {
            let (y, m, dd) = date_parts(d as i64)?;
            out.push(4);
            out.extend_from_slice(&y.to_le_bytes());
            out.extend_from_slice(&[m, dd]);
        }
        ValueRef::Time(t) => {
            let (h, m, s, us) = time_parts(t);
            // Not negative, no days.
            out.extend_from_slice(&[12, 0, 0, 0, 0, 0, h, m, s]);
            out.extend_from_slice(&us.to_le_bytes());
        }
        ValueRef::Timestamp(t) | ValueRef::Timestamptz(t) => {
            let (y, m, d, h, mi, s, us) = datetime_parts(t)?;
            out.push(11);
            out.extend_from_slice(&y.to_le_bytes());
            out.extend_from_slice(&[m, d, h, mi, s]);
            out.extend_from_slice(&us.to_le_bytes());
        }
        ValueRef::Uuid(u) => {
            text.clear();
            value::format_uuid(&u, text);
            put_lenenc_bytes(text.as_bytes(), out);
        }
    }
    Ok(())
}
