//! Values that cross keel in both directions, their types, and the exact
//! conversions between them.
//!
//! Dates are days since 1970-01-01, times are microseconds since midnight,
//! timestamps are microseconds since 1970-01-01T00:00:00Z. Decimals travel as
//! their exact decimal text. Conversions are exact or fail: a text value
//! never silently becomes a number, and a number never loses digits.

use super::error::{Error, Result};
use std::fmt::Write as _;

/// The keel type of a column or value. Numbers are part of the C ABI
/// (`keel_type`) and never change.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Null = 0,
    Bool = 1,
    Int64 = 2,
    Uint64 = 3,
    Double = 4,
    Text = 5,
    Bytes = 6,
    Date = 7,
    Time = 8,
    Timestamp = 9,
    Timestamptz = 10,
    Uuid = 11,
    Json = 12,
    Decimal = 13,
}

impl Type {
    pub const ALL: [Type; 14] = [
        Type::Null,
        Type::Bool,
        Type::Int64,
        Type::Uint64,
        Type::Double,
        Type::Text,
        Type::Bytes,
        Type::Date,
        Type::Time,
        Type::Timestamp,
        Type::Timestamptz,
        Type::Uuid,
        Type::Json,
        Type::Decimal,
    ];

    pub fn from_i32(n: i32) -> Option<Type> {
        Type::ALL.get(usize::try_from(n).ok()?).copied()
    }

    pub fn name(self) -> &'static str {
        match self {
            Type::Null => "null",
            Type::Bool => "bool",
            Type::Int64 => "int64",
            Type::Uint64 => "uint64",
            Type::Double => "double",
            Type::Text => "text",
            Type::Bytes => "bytes",
            Type::Date => "date",
            Type::Time => "time",
            Type::Timestamp => "timestamp",
            Type::Timestamptz => "timestamptz",
            Type::Uuid => "uuid",
            Type::Json => "json",
            Type::Decimal => "decimal",
        }
    }
}

/// Whether a result column may hold NULL. Part of the C ABI (`keel_nullable`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nullable {
    Unknown = 0,
    No = 1,
    Yes = 2,
}

/// Metadata of one result column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    /// The keel type values of this column convert to. `Null` when the engine
    /// gives no declared type (SQLite expressions): then each value carries
    /// its own type.
    pub kind: Type,
    /// The engine's own type name as the engine spells it (`"VARCHAR(20)"`),
    /// or empty when there is none.
    pub engine_type: String,
    pub nullable: Nullable,
    /// For a `Decimal` column, its (precision, scale) where the engine
    /// tells them (SQLite's declared `NUMERIC(p,s)`, PostgreSQL's
    /// `numeric(p,s)`, MySQL's `DECIMAL(p,s)`); `None` otherwise
    /// (PostgreSQL's unconstrained `numeric`, SQL Server). For a column
    /// of arrays (`list_of`) of decimals, the elements' (precision, scale).
    pub decimal: Option<(u8, i8)>,
    /// For a column whose values are arrays (PostgreSQL's `int4[]` and
    /// the like): the keel type of their elements. The values still read
    /// as `kind` (text, the server's array text); the Arrow export gives
    /// the column as list<T> of the elements' Arrow type, through
    /// [`DriverRows::list_elements`](crate::core::driver::DriverRows::list_elements).
    /// `None` for every other column.
    pub list_of: Option<Type>,
}

impl Column {
    /// The (precision, scale) written in a type name such as
    /// `NUMERIC(10, 2)` or `decimal(12)` (scale 0), when precision is 1 to
    /// 76 (what Arrow's decimal256 holds) and scale 0 to precision.
    pub fn decimal_from_type_name(name: &str) -> Option<(u8, i8)> {
        let open = name.find('(')?;
        let close = name[open..].find(')')? + open;
        let mut parts = name[open + 1..close].split(',').map(str::trim);
        let p: u8 = parts.next()?.parse().ok()?;
        let s: u8 = match parts.next() {
            Some(s) => s.parse().ok()?,
            None => 0,
        };
        (parts.next().is_none() && (1..=76).contains(&p) && s <= p).then_some((p, s as i8))
    }
}

/// A borrowed value: what a row hands out and what a parameter binds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Bool(bool),
    Int64(i64),
    Uint64(u64),
    Double(f64),
    Text(&'a str),
    Bytes(&'a [u8]),
    Date(i32),
    Time(i64),
    Timestamp(i64),
    Timestamptz(i64),
    Uuid([u8; 16]),
    Json(&'a str),
    Decimal(&'a str),
}

/// An owned value, for Rust callers and for parameters kept across calls.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int64(i64),
    Uint64(u64),
    Double(f64),
    Text(String),
    Bytes(Vec<u8>),
    Date(i32),
    Time(i64),
    Timestamp(i64),
    Timestamptz(i64),
    Uuid([u8; 16]),
    Json(String),
    Decimal(String),
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Bool(v) => ValueRef::Bool(*v),
            Value::Int64(v) => ValueRef::Int64(*v),
            Value::Uint64(v) => ValueRef::Uint64(*v),
            Value::Double(v) => ValueRef::Double(*v),
            Value::Text(v) => ValueRef::Text(v),
            Value::Bytes(v) => ValueRef::Bytes(v),
            Value::Date(v) => ValueRef::Date(*v),
            Value::Time(v) => ValueRef::Time(*v),
            Value::Timestamp(v) => ValueRef::Timestamp(*v),
            Value::Timestamptz(v) => ValueRef::Timestamptz(*v),
            Value::Uuid(v) => ValueRef::Uuid(*v),
            Value::Json(v) => ValueRef::Json(v),
            Value::Decimal(v) => ValueRef::Decimal(v),
        }
    }
}

impl ValueRef<'_> {
    pub fn kind(&self) -> Type {
        match self {
            ValueRef::Null => Type::Null,
            ValueRef::Bool(_) => Type::Bool,
            ValueRef::Int64(_) => Type::Int64,
            ValueRef::Uint64(_) => Type::Uint64,
            ValueRef::Double(_) => Type::Double,
            ValueRef::Text(_) => Type::Text,
            ValueRef::Bytes(_) => Type::Bytes,
            ValueRef::Date(_) => Type::Date,
            ValueRef::Time(_) => Type::Time,
            ValueRef::Timestamp(_) => Type::Timestamp,
            ValueRef::Timestamptz(_) => Type::Timestamptz,
            ValueRef::Uuid(_) => Type::Uuid,
            ValueRef::Json(_) => Type::Json,
            ValueRef::Decimal(_) => Type::Decimal,
        }
    }

    pub fn to_owned(&self) -> Value {
        match *self {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(v) => Value::Bool(v),
            ValueRef::Int64(v) => Value::Int64(v),
            ValueRef::Uint64(v) => Value::Uint64(v),
            ValueRef::Double(v) => Value::Double(v),
            ValueRef::Text(v) => Value::Text(v.to_owned()),
            ValueRef::Bytes(v) => Value::Bytes(v.to_owned()),
            ValueRef::Date(v) => Value::Date(v),
            ValueRef::Time(v) => Value::Time(v),
            ValueRef::Timestamp(v) => Value::Timestamp(v),
            ValueRef::Timestamptz(v) => Value::Timestamptz(v),
            ValueRef::Uuid(v) => Value::Uuid(v),
            ValueRef::Json(v) => Value::Json(v.to_owned()),
            ValueRef::Decimal(v) => Value::Decimal(v.to_owned()),
        }
    }

    pub(crate) fn cannot(&self, want: &str) -> Error {
        match self {
            ValueRef::Null => Error::invalid_data(format!(
                "value is NULL and cannot be read as {want}; check for NULL first"
            )),
            ValueRef::Text(t) => Error::invalid_data(format!(
                "a text value ({}) cannot be read as {want}",
                quote_short(t)
            )),
            // Bytes are also what text that is not valid UTF-8 reads as
            // (SQLite stores such text as given).
            ValueRef::Bytes(b) if want == "text" => Error::invalid_data(format!(
                "a bytes value (a binary value, or text that is not valid UTF-8; {} bytes) cannot be read as text; \
                 read it as bytes",
                b.len()
            )),
            other => Error::invalid_data(format!(
                "a {} value cannot be read as {want}",
                other.kind().name()
            )),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, ValueRef::Null)
    }

    /// Read as a signed 64-bit integer: exact, or an error.
    pub fn as_i64(&self) -> Result<i64> {
        match *self {
            ValueRef::Int64(v) => Ok(v),
            ValueRef::Bool(v) => Ok(v as i64),
            ValueRef::Uint64(v) => i64::try_from(v).map_err(|_| {
                Error::invalid_data(format!("uint64 value {v} does not fit in int64"))
            }),
            ValueRef::Double(v) => {
                if v.fract() == 0.0 && v >= -9.223_372_036_854_775_808e18 && v < 9.223_372_036_854_775_808e18 {
                    Ok(v as i64)
                } else {
                    Err(Error::invalid_data(format!(
                        "double value {v} is not an int64 without loss"
                    )))
                }
            }
            ValueRef::Decimal(d) => d.parse::<i64>().map_err(|_| {
                Error::invalid_data(format!("decimal value {d} is not an int64 without loss"))
            }),
            _ => Err(self.cannot("int64")),
        }
    }

    /// Read as an unsigned 64-bit integer: exact, or an error.
    pub fn as_u64(&self) -> Result<u64> {
        match *self {
            ValueRef::Uint64(v) => Ok(v),
            ValueRef::Bool(v) => Ok(v as u64),
            ValueRef::Int64(v) => u64::try_from(v).map_err(|_| {
                Error::invalid_data(format!("negative value {v} cannot be read as uint64"))
            }),
            ValueRef::Double(v) => {
                if v.fract() == 0.0 && v >= 0.0 && v < 1.844_674_407_370_955_2e19 {
                    Ok(v as u64)
                } else {
                    Err(Error::invalid_data(format!(
                        "double value {v} is not a uint64 without loss"
                    )))
                }
            }
            ValueRef::Decimal(d) => d.parse::<u64>().map_err(|_| {
                Error::invalid_data(format!("decimal value {d} is not a uint64 without loss"))
            }),
            _ => Err(self.cannot("uint64")),
        }
    }

    /// Read as a double. Integers convert only when exact (|v| <= 2^53);
    /// decimals round to the nearest double (documented, not silent).
    pub fn as_f64(&self) -> Result<f64> {
        const EXACT: u64 = 1 << 53;
        match *self {
            ValueRef::Double(v) => Ok(v),
            ValueRef::Int64(v) if v.unsigned_abs() <= EXACT => Ok(v as f64),
            ValueRef::Uint64(v) if v <= EXACT => Ok(v as f64),
            ValueRef::Int64(v) => Err(Error::invalid_data(format!(
                "int64 value {v} has no exact double"
            ))),
            ValueRef::Uint64(v) => Err(Error::invalid_data(format!(
                "uint64 value {v} has no exact double"
            ))),
            ValueRef::Decimal(d) => d
                .parse::<f64>()
                .map_err(|_| Error::invalid_data(format!("decimal value {d} is not a number"))),
            _ => Err(self.cannot("double")),
        }
    }

    pub fn as_bool(&self) -> Result<bool> {
        match *self {
            ValueRef::Bool(v) => Ok(v),
            ValueRef::Int64(0) | ValueRef::Uint64(0) => Ok(false),
            ValueRef::Int64(1) | ValueRef::Uint64(1) => Ok(true),
            ValueRef::Int64(v) => Err(Error::invalid_data(format!(
                "integer value {v} is not a bool (0 or 1)"
            ))),
            ValueRef::Uint64(v) => Err(Error::invalid_data(format!(
                "integer value {v} is not a bool (0 or 1)"
            ))),
            _ => Err(self.cannot("bool")),
        }
    }

    pub fn as_date(&self) -> Result<i32> {
        match *self {
            ValueRef::Date(v) => Ok(v),
            ValueRef::Text(t) => parse_date(t),
            _ => Err(self.cannot("date")),
        }
    }

    pub fn as_time(&self) -> Result<i64> {
        match *self {
            ValueRef::Time(v) => Ok(v),
            ValueRef::Text(t) => parse_time(t),
            _ => Err(self.cannot("time")),
        }
    }

    /// Read as microseconds since the epoch (UTC).
    pub fn as_timestamp(&self) -> Result<i64> {
        match *self {
            ValueRef::Timestamp(v) | ValueRef::Timestamptz(v) => Ok(v),
            ValueRef::Date(d) => (d as i64).checked_mul(MICROS_PER_DAY).ok_or_else(|| {
                let mut day = String::new();
                format_date(d, &mut day);
                Error::invalid_data(format!("date {day} is outside the range of a timestamp"))
                    .with_sqlstate("22008")
            }),
            ValueRef::Text(t) => parse_timestamp(t).map(|(v, _)| v),
            _ => Err(self.cannot("timestamp")),
        }
    }

    pub fn as_uuid(&self) -> Result<[u8; 16]> {
        match *self {
            ValueRef::Uuid(v) => Ok(v),
            ValueRef::Text(t) => parse_uuid(t),
            ValueRef::Bytes(b) if b.len() == 16 => Ok(b.try_into().expect("16 bytes")),
            ValueRef::Bytes(b) => Err(Error::invalid_data(format!(
                "a {}-byte value is not a uuid (16 bytes)",
                b.len()
            ))),
            _ => Err(self.cannot("uuid")),
        }
    }

    /// Bytes of the value without conversion, when it has them: bytes, and
    /// the UTF-8 of text, json and decimal.
    pub fn as_bytes(&self) -> Result<&[u8]> {
        match *self {
            ValueRef::Bytes(b) => Ok(b),
            ValueRef::Text(t) | ValueRef::Json(t) | ValueRef::Decimal(t) => Ok(t.as_bytes()),
            _ => Err(self.cannot("bytes")),
        }
    }

    /// Text the value already is (text, json, decimal), with no formatting.
    pub fn as_str_direct(&self) -> Option<&str> {
        match *self {
            ValueRef::Text(t) | ValueRef::Json(t) | ValueRef::Decimal(t) => Some(t),
            _ => None,
        }
    }

    /// Write the canonical text form of a non-text value into `out`.
    /// Bytes and NULL have no text form.
    pub fn write_text(&self, out: &mut String) -> Result<()> {
        match *self {
            ValueRef::Text(t) | ValueRef::Json(t) | ValueRef::Decimal(t) => out.push_str(t),
            ValueRef::Bool(v) => out.push_str(if v { "true" } else { "false" }),
            ValueRef::Int64(v) => out.push_str(itoa::Buffer::new().format(v)),
            ValueRef::Uint64(v) => out.push_str(itoa::Buffer::new().format(v)),
            ValueRef::Double(v) => format_double(v, out),
            ValueRef::Date(d) => format_date(d, out),
            ValueRef::Time(t) => format_time(t, out),
            ValueRef::Timestamp(t) => format_timestamp(t, false, out),
            ValueRef::Timestamptz(t) => format_timestamp(t, true, out),
            ValueRef::Uuid(u) => format_uuid(&u, out),
            ValueRef::Null | ValueRef::Bytes(_) => return Err(self.cannot("text")),
        }
        Ok(())
    }
}

fn quote_short(t: &str) -> String {
    let mut s: String = t.chars().take(40).collect();
    if s.len() < t.len() {
        s.push_str("...");
    }
    format!("'{s}'")
}

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A tiny cursor over ASCII digits, for the date and time parsers.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
        }
        self.i += n;
        Some(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn scan_date(s: &mut Scan<'_>) -> Option<i64> {
    // Years 0 to 9999 are four digits; others carry a sign and four to
    // seven digits, as `format_date` writes them.
    let y = match s.peek() {
        Some(sign @ (b'+' | b'-')) => {
            s.i += 1;
            let start = s.i;
            while s.peek().is_some_and(|c| c.is_ascii_digit()) && s.i - start < 7 {
                s.i += 1;
            }
            let n = s.i - start;
            s.i = start;
            if n < 4 {
                return None;
            }
            let v = s.digits(n)? as i64;
            if sign == b'-' { -v } else { v }
        }
        _ => s.digits(4)? as i64,
    };
    if !s.eat(b'-') {
        return None;
    }
    let m = s.digits(2)?;
    if !s.eat(b'-') {
        return None;
    }
    let d = s.digits(2)?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// HH:MM[:SS[.fraction]] → microseconds since midnight.
fn scan_time(s: &mut Scan<'_>) -> Option<i64> {
    let h = s.digits(2)? as i64;
    if !s.eat(b':') {
        return None;
    }
    let mi = s.digits(2)? as i64;
    let mut sec = 0i64;
    let mut micros = 0i64;
    if s.eat(b':') {
        sec = s.digits(2)? as i64;
        if s.eat(b'.') {
            let start = s.i;
            let mut scale = 100_000i64;
            while let Some(c) = s.peek().filter(u8::is_ascii_digit) {
                micros += (c - b'0') as i64 * scale;
                scale /= 10;
                s.i += 1;
                if scale == 0 && s.peek().is_some_and(|c| c.is_ascii_digit()) {
                    // More than microsecond precision would be lost.
                    return None;
                }
            }
            if s.i == start {
                return None;
            }
        }
    }
    if h > 23 || mi > 59 || sec > 59 {
        // A leap second or 24:00:00 would silently change meaning.
        return None;
    }
    Some(((h * 60 + mi) * 60 + sec) * MICROS_PER_SECOND + micros)
}

pub fn parse_date(t: &str) -> Result<i32> {
    let mut s = Scan { b: t.as_bytes(), i: 0 };
    match scan_date(&mut s).map(i32::try_from) {
        Some(Ok(d)) if s.done() => Ok(d),
        _ => Err(Error::invalid_data(format!(
            "{} is not a date (YYYY-MM-DD)",
            quote_short(t)
        ))),
    }
}

pub fn parse_time(t: &str) -> Result<i64> {
    let mut s = Scan { b: t.as_bytes(), i: 0 };
    match scan_time(&mut s) {
        Some(v) if s.done() => Ok(v),
        _ => Err(Error::invalid_data(format!(
            "{} is not a time (HH:MM:SS[.ffffff], at most microseconds)",
            quote_short(t)
        ))),
    }
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]` → (micros since the
/// epoch in UTC, whether a zone was given).
/// `YYYY-MM-DD HH:MM:SS.ffffff` (or with a `T`), the form keel writes
/// and most programs store, read in one pass; `None` for any other text,
/// which [`parse_timestamp`]'s general reader then takes (or refuses).
/// Bulk reads of SQLite's TIMESTAMP columns parse one per row.
#[inline]
pub fn parse_common_timestamp(b: &[u8]) -> Option<i64> {
    let b: &[u8; 26] = b.try_into().ok()?;
    if b[4] != b'-' || b[7] != b'-' || (b[10] != b' ' && b[10] != b'T') || b[13] != b':' || b[16] != b':' || b[19] != b'.' {
        return None;
    }
    // Every digit at once: a byte that is not one fails the check.
    let mut bad = 0u8;
    let mut two = |i: usize| {
        let (h, l) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        bad |= (h > 9) as u8 | (l > 9) as u8;
        h as i64 * 10 + l as i64
    };
    let (y, m, d) = (two(0) * 100 + two(2), two(5), two(8));
    let (h, mi, sec) = (two(11), two(14), two(17));
    let us = two(20) * 10_000 + two(22) * 100 + two(24);
    if bad != 0 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m as u32) as i64 || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some(days_from_civil(y, m as u32, d as u32) * MICROS_PER_DAY + ((h * 60 + mi) * 60 + sec) * MICROS_PER_SECOND + us)
}

pub fn parse_timestamp(t: &str) -> Result<(i64, bool)> {
    if let Some(micros) = parse_common_timestamp(t.as_bytes()) {
        return Ok((micros, false));
    }
    parse_any_timestamp(t)
}

/// [`parse_timestamp`]'s general reader: every form it takes.
fn parse_any_timestamp(t: &str) -> Result<(i64, bool)> {
    let bad = || {
        Error::invalid_data(format!(
            "{} is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][Z|+HH:MM])",
            quote_short(t)
        ))
    };
    let mut s = Scan { b: t.as_bytes(), i: 0 };
    let days = scan_date(&mut s).ok_or_else(bad)?;
    // In i128: the date's midnight may lie outside i64 when the instant
    // does not (i64::MIN is 19:59 on its day), and years up to 9999999
    // parse.
    let mut micros = days as i128 * MICROS_PER_DAY as i128;
    if s.eat(b' ') || s.eat(b'T') {
        micros += scan_time(&mut s).ok_or_else(bad)? as i128;
    }
    let mut zoned = false;
    match s.peek() {
        None => {}
        Some(b'Z') => {
            s.i += 1;
            zoned = true;
        }
        Some(sign @ (b'+' | b'-')) => {
            s.i += 1;
            let oh = s.digits(2).ok_or_else(bad)? as i64;
            s.eat(b':');
            let om = if s.done() { 0 } else { s.digits(2).ok_or_else(bad)? as i64 };
            if oh > 15 || om > 59 {
                return Err(bad());
            }
            let off = ((oh * 60 + om) * 60 * MICROS_PER_SECOND) as i128;
            micros -= if sign == b'+' { off } else { -off };
            zoned = true;
        }
        Some(_) => return Err(bad()),
    }
    if !s.done() {
        return Err(bad());
    }
    let micros = i64::try_from(micros).map_err(|_| {
        Error::invalid_data(format!(
            "{} is outside the range of a timestamp (64-bit microseconds from 1970)",
            quote_short(t)
        ))
        .with_sqlstate("22008")
    })?;
    Ok((micros, zoned))
}

/// Append the last `N` decimal digits of `n` (zero-padded): written by
/// hand, since these formatters run once per value on bulk paths and
/// `write!` costs several times as much.
#[inline]
fn push_digits<const N: usize>(n: u64, out: &mut String) {
    let mut buf = [b'0'; N];
    put_digits(n, &mut buf);
    // SAFETY: ASCII digits only.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&buf) });
}

/// "00" to "99", for writing digits two at a time.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The last `b.len()` decimal digits of `n` into `b`, zero-padded; two
/// digits a division (this runs for every date and time written as text).
#[inline]
fn put_digits(mut n: u64, b: &mut [u8]) {
    let mut i = b.len();
    while i >= 2 {
        let p = (n % 100) as usize * 2;
        b[i - 2..i].copy_from_slice(&DIGIT_PAIRS[p..p + 2]);
        n /= 100;
        i -= 2;
    }
    if i == 1 {
        b[0] = b'0' + (n % 10) as u8;
    }
}

pub fn format_date(days: i32, out: &mut String) {
    let (y, m, d) = civil_from_days(days as i64);
    if (0..=9999).contains(&y) {
        push_digits::<4>(y as u64, out);
    } else {
        write!(out, "{y:+05}").expect("write to String");
    }
    out.push('-');
    push_digits::<2>(m as u64, out);
    out.push('-');
    push_digits::<2>(d as u64, out);
}

pub fn format_time(micros: i64, out: &mut String) {
    let secs = micros.div_euclid(MICROS_PER_SECOND);
    let frac = micros.rem_euclid(MICROS_PER_SECOND);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if (0..100 * 3600).contains(&secs) {
        push_digits::<2>(h as u64, out);
        out.push(':');
        push_digits::<2>(mi as u64, out);
        out.push(':');
        push_digits::<2>(s as u64, out);
    } else {
        write!(out, "{h:02}:{mi:02}:{s:02}").expect("write to String");
    }
    if frac != 0 {
        out.push('.');
        push_digits::<6>(frac as u64, out);
    }
}

/// Whether `t` is a timestamp exactly as [`format_timestamp`] writes one
/// (not zoned): `YYYY-MM-DD HH:MM:SS` with a year 0 to 9999, or that and
/// `.ffffff` not all zeros, every field in range. Such text parses to a
/// value that formats back to it, so a reader that wants the text may
/// take it as it is.
pub fn is_formatted_timestamp(b: &[u8]) -> bool {
    if !(b.len() == 19 || (b.len() == 26 && b[19] == b'.' && &b[20..] != b"000000")) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + (c - b'0') as u32))
    };
    let seps = b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':';
    let (Some(y), Some(m), Some(d), Some(h), Some(mi), Some(s)) =
        (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19))
    else {
        return false;
    };
    seps && (1..=12).contains(&m)
        && d >= 1
        && d <= days_in_month(y as i64, m)
        && h < 24
        && mi < 60
        && s < 60
        && (b.len() == 19 || num(20..26).is_some())
}

/// `b` as text when it is UTF-8: ASCII, most of the text engines hand
/// back, is told apart first, faster than the full check.
#[inline]
pub fn utf8(b: &[u8]) -> Option<&str> {
    if b.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(b) });
    }
    std::str::from_utf8(b).ok()
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, with `+00:00` when `zoned`. This is the
/// form SQLite's date functions read.
pub fn format_timestamp(micros: i64, zoned: bool, out: &mut String) {
    if zoned {
        return format_timestamptz_at(micros, 0, out);
    }
    let days = micros.div_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) && i32::try_from(days).is_ok() {
        // The common case, written into one buffer: this runs for every
        // timestamp SQLite stores as text.
        let (tod, mut b) = (micros.rem_euclid(MICROS_PER_DAY), [0u8; 26]);
        let (secs, frac) = (tod / MICROS_PER_SECOND, tod % MICROS_PER_SECOND);
        put_digits(y as u64, &mut b[0..4]);
        b[4] = b'-';
        put_digits(m as u64, &mut b[5..7]);
        b[7] = b'-';
        put_digits(d as u64, &mut b[8..10]);
        b[10] = b' ';
        put_digits((secs / 3600) as u64, &mut b[11..13]);
        b[13] = b':';
        put_digits((secs / 60 % 60) as u64, &mut b[14..16]);
        b[16] = b':';
        put_digits((secs % 60) as u64, &mut b[17..19]);
        let len = if frac == 0 {
            19
        } else {
            b[19] = b'.';
            put_digits(frac as u64, &mut b[20..26]);
            26
        };
        // SAFETY: ASCII only.
        out.push_str(unsafe { std::str::from_utf8_unchecked(&b[..len]) });
        return;
    }
    format_date(days as i32, out);
    out.push(' ');
    format_time(micros.rem_euclid(MICROS_PER_DAY), out);
}

/// The instant `micros` as the local time at `offset_seconds` east of UTC,
/// with that offset: `2024-03-10 12:34:56.500000+05:30`.
pub fn format_timestamptz_at(micros: i64, offset_seconds: i32, out: &mut String) {
    format_timestamp(micros + offset_seconds as i64 * MICROS_PER_SECOND, false, out);
    let a = offset_seconds.unsigned_abs() / 60;
    write!(out, "{}{:02}:{:02}", if offset_seconds < 0 { '-' } else { '+' }, a / 60, a % 60).expect("write to String");
}

pub fn format_double(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // The shortest digits that read back to the same bits (Rust's
        // formatting), positional for decimal exponents from -5 to 15 (every
        // integer up to 2^53 among them) and in exponent form past that, so
        // 1e100 is "1e100" and not a 1 with 100 zeros.
        let start = out.len();
        write!(out, "{v:e}").expect("write to String");
        let exp: i32 = out[start..].rsplit_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
        if (-5..16).contains(&exp) {
            out.truncate(start);
            write!(out, "{v}").expect("write to String");
        }
    }
}

/// `s` in double quotes, with `"` and `\` escaped by a backslash: an
/// element of PostgreSQL's array text (and a key or value of hstore's),
/// as keel writes array parameters and reads array values.
pub fn quote_array_element(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

pub fn format_uuid(u: &[u8; 16], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

/// Hyphenated (36 chars) or plain (32 hex chars) uuid text.
pub fn parse_uuid(t: &str) -> Result<[u8; 16]> {
    let bad = || Error::invalid_data(format!("{} is not a uuid", quote_short(t)));
    let b = t.as_bytes();
    let hex: Vec<u8> = match b.len() {
        36 => {
            if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                return Err(bad());
            }
            b.iter().copied().filter(|&c| c != b'-').collect()
        }
        32 => b.to_vec(),
        _ => return Err(bad()),
    };
    if hex.len() != 32 {
        return Err(bad());
    }
    let mut out = [0u8; 16];
    for i in 0..16 {
        let hi = (hex[2 * i] as char).to_digit(16).ok_or_else(bad)?;
        let lo = (hex[2 * i + 1] as char).to_digit(16).ok_or_else(bad)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Ok(out)
}

/// Plain decimal text (`-12.30`, `+.5`, `7.`) split into its sign (true
/// for `-`), integer digits and fraction digits; `None` for anything else
/// (no digit at all, another character, an exponent).
pub fn split_decimal(t: &str) -> Option<(bool, &str, &str)> {
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty()) || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((neg, int, frac))
}

/// The digits of decimal text (`split_decimal`) at scale `s`, for an
/// unscaled integer of at most `p` digits: the integer digits without
/// leading zeros, the fraction digits kept (at most `s`; the rest must be
/// zeros), and how many zeros to append to reach `s`. `None` when the
/// value does not fit exactly.
pub fn scaled_digits(t: &str, p: u8, s: u8) -> Option<(bool, &str, &str, usize)> {
    let (neg, int, frac) = split_decimal(t)?;
    let s = s as usize;
    if frac.len() > s && !frac[s..].bytes().all(|c| c == b'0') {
        return None;
    }
    let frac = &frac[..frac.len().min(s)];
    let int = int.trim_start_matches('0');
    if int.len() + s > p as usize {
        return None;
    }
    Some((neg, int, frac, s - frac.len()))
}

/// The unscaled integer of decimal text `t` (`-12.30`) at precision `p`
/// (at most 38) and scale `s`: `-1230` for (10, 2). `None` when it does
/// not fit exactly: more fractional digits than `s` that are not 0, more
/// than `p - s` integer digits, or not plain decimal text.
pub fn unscaled_decimal(t: &str, p: u8, s: u8) -> Option<i128> {
    if p > 38 || s > p {
        return None;
    }
    let (neg, int, frac, zeros) = scaled_digits(t, p, s)?;
    let mut n: i128 = 0;
    for c in int.bytes().chain(frac.bytes()) {
        n = n * 10 + (c - b'0') as i128;
    }
    for _ in 0..zeros {
        n *= 10;
    }
    Some(if neg { -n } else { n })
}

/// Check that text is an exact decimal number: `[+-]digits[.digits][e[+-]digits]`,
/// or `NaN`, `Infinity`, `-Infinity`.
pub fn check_decimal(t: &str) -> Result<()> {
    if matches!(t, "NaN" | "Infinity" | "-Infinity" | "+Infinity") {
        return Ok(());
    }
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits > 0 && i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            digits = 0;
        }
    }
    if digits == 0 || i != b.len() {
        return Err(Error::invalid_argument(format!(
            "{} is not a decimal number",
            quote_short(t)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_common_timestamp_form_reads_as_the_general_reader_does() {
        use super::{parse_any_timestamp, parse_common_timestamp};
        // Strings of the form's shape, their digits drawn at random (any
        // byte at times, a separator swapped at times): the fast reader
        // takes exactly what the general one takes, with the same value.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut taken, mut refused) = (0, 0);
        for k in 0..200_000 {
            let mut b = *b"2024-02-29 23:59:59.999999";
            for i in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25] {
                let r = next();
                b[i] = match r % 16 {
                    0 if k % 7 == 0 => (r >> 8) as u8,
                    _ => b'0' + ((r >> 8) % if matches!(i, 5 | 8 | 11 | 14 | 17) { 4 } else { 10 }) as u8,
                };
            }
            if k % 11 == 0 {
                b[[4, 7, 10, 13, 16, 19][(next() % 6) as usize]] = b"-: T.x"[(next() % 6) as usize];
            }
            let Ok(t) = std::str::from_utf8(&b) else { continue };
            let general = parse_any_timestamp(t).ok().filter(|&(_, zoned)| !zoned).map(|(v, _)| v);
            assert_eq!(parse_common_timestamp(&b), general, "{t}");
            if general.is_some() { taken += 1 } else { refused += 1 }
        }
        assert!(taken > 10_000 && refused > 10_000, "{taken} taken, {refused} refused");
        assert_eq!(parse_common_timestamp(b"2024-01-01 00:00:00.000000"), Some(1_704_067_200_000_000));
        assert_eq!(parse_common_timestamp(b"2024-01-01T00:00:00.000001"), Some(1_704_067_200_000_001));
        assert_eq!(parse_common_timestamp(b"2023-02-29 00:00:00.000000"), None);
        assert_eq!(parse_common_timestamp(b"2024-01-01 24:00:00.000000"), None);
        assert_eq!(parse_common_timestamp(b"2024-01-01 00:00:00.00000"), None);
    }

    #[test]
    fn doubles_print_short_and_exact() {
        let f = |v: f64| {
            let mut s = String::new();
            super::format_double(v, &mut s);
            s
        };
        for (v, want) in [
            (0.1, "0.1"),
            (1.5, "1.5"),
            (-2.0, "-2"),
            (1e100, "1e100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e308"),
            (1e15, "1000000000000000"),
            (1e16, "1e16"),
            (1e-5, "0.00001"),
            (1e-6, "1e-6"),
            (-2.5e-7, "-2.5e-7"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(f(v), want, "{v:?}");
        }
    }

    use super::*;

    #[test]
    fn timestamptz_text_at_an_offset() {
        let t = 1_710_074_096_500_000; // 2024-03-10 12:34:56.5 UTC
        let mut s = String::new();
        format_timestamptz_at(t, 5 * 3600 + 30 * 60, &mut s);
        assert_eq!(s, "2024-03-10 18:04:56.500000+05:30");
        s.clear();
        format_timestamptz_at(t, -8 * 3600, &mut s);
        assert_eq!(s, "2024-03-10 04:34:56.500000-08:00");
        s.clear();
        format_timestamp(t, true, &mut s);
        assert_eq!(s, "2024-03-10 12:34:56.500000+00:00");
    }

    #[test]
    fn civil_round_trip() {
        for d in [-719_468i64, -1, 0, 1, 10_957, 19_723, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn dates_parse_and_format() {
        assert_eq!(parse_date("2024-02-29").unwrap(), 19_782);
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-13-01").is_err());
        assert!(parse_date("2024-1-01").is_err());
        let mut s = String::new();
        format_date(-1, &mut s);
        assert_eq!(s, "1969-12-31");
        for d in [2_932_897, -719_529, -719_528, i32::MAX, i32::MIN] {
            let mut s = String::new();
            format_date(d, &mut s);
            assert_eq!(parse_date(&s).unwrap(), d, "{s}");
        }
        assert!(parse_date("+123-01-01").is_err());
        assert!(parse_date("+99999999-01-01").is_err());
    }

    proptest::proptest! {
        /// The hand-written digits say what `write!` said before them.
        #[test]
        fn dates_and_times_format_as_write_did(days in proptest::num::i32::ANY, micros in proptest::num::i64::ANY, small in -MICROS_PER_DAY..200 * 3600 * MICROS_PER_SECOND) {
            let mut s = String::new();
            format_date(days, &mut s);
            let (y, m, d) = civil_from_days(days as i64);
            let want = if (0..=9999).contains(&y) { format!("{y:04}-{m:02}-{d:02}") } else { format!("{y:+05}-{m:02}-{d:02}") };
            proptest::prop_assert_eq!(s, want);
            for t in [micros / 1000, small] {
                let mut s = String::new();
                format_time(t, &mut s);
                let (secs, frac) = (t.div_euclid(MICROS_PER_SECOND), t.rem_euclid(MICROS_PER_SECOND));
                let mut want = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
                if frac != 0 {
                    want.push_str(&format!(".{frac:06}"));
                }
                proptest::prop_assert_eq!(s, want);
            }
            // A timestamp is its date and its time of day, as the two
            // functions write them, whichever way it is written.
            for t in [micros, micros / 1000, micros / 1_000_000, small] {
                let mut s = String::new();
                format_timestamp(t, false, &mut s);
                let days = t.div_euclid(MICROS_PER_DAY);
                let mut want = String::new();
                format_date(days as i32, &mut want);
                want.push(' ');
                format_time(t.rem_euclid(MICROS_PER_DAY), &mut want);
                proptest::prop_assert_eq!(s, want);
            }
        }
    }

    #[test]
    fn times_parse_and_format() {
        assert_eq!(parse_time("00:00:01.5").unwrap(), 1_500_000);
        assert_eq!(parse_time("23:59").unwrap(), (23 * 60 + 59) * 60 * 1_000_000);
        assert!(parse_time("24:00:00").is_err());
        assert!(parse_time("12:00:00.1234567").is_err(), "nanoseconds would be lost");
        let mut s = String::new();
        format_time(3_723_000_042, &mut s);
        assert_eq!(s, "01:02:03.000042");
    }

    #[test]
    fn timestamps_parse_with_zones() {
        assert_eq!(parse_timestamp("1970-01-01 00:00:00").unwrap(), (0, false));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00").unwrap(), (0, true));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00Z").unwrap(), (0, true));
        assert_eq!(parse_timestamp("1969-12-31 23:59:59.999999").unwrap().0, -1);
        assert_eq!(parse_timestamp("2024-01-02").unwrap().0, 19_724 * MICROS_PER_DAY);
        assert!(parse_timestamp("2024-01-02 10:00:00 junk").is_err());
        let mut s = String::new();
        format_timestamp(-1, false, &mut s);
        assert_eq!(s, "1969-12-31 23:59:59.999999");
        s.clear();
        format_timestamp(0, true, &mut s);
        assert_eq!(s, "1970-01-01 00:00:00+00:00");
    }

    #[test]
    fn uuids() {
        let u = parse_uuid("123e4567-e89b-12d3-a456-426614174000").unwrap();
        let mut s = String::new();
        format_uuid(&u, &mut s);
        assert_eq!(s, "123e4567-e89b-12d3-a456-426614174000");
        assert_eq!(parse_uuid("123e4567e89b12d3a456426614174000").unwrap(), u);
        assert!(parse_uuid("123e4567-e89b-12d3-a456-42661417400g").is_err());
        assert!(parse_uuid("123e4567+e89b-12d3-a456-426614174000").is_err());
    }

    #[test]
    fn decimals() {
        for ok in ["0", "-1.50", "12345678901234567890123456789012345678", ".5", "1e10", "NaN"] {
            assert!(check_decimal(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-", "1.2.3", "abc", "1e", "1 "] {
            assert!(check_decimal(bad).is_err(), "{bad}");
        }
    }

    /// Found by tests/prop_value.rs (`conversions_never_panic`): a date
    /// past year 294247 read as a timestamp overflowed i64 (a panic in a
    /// debug build, a wrong instant in a release build).
    #[test]
    fn dates_beyond_the_timestamp_range_are_an_error() {
        let e = ValueRef::Date(106_751_992).as_timestamp().unwrap_err();
        assert_eq!(e.sqlstate, "22008");
        assert!(e.message.contains("date +294247-01-11 is outside the range of a timestamp"), "{}", e.message);
        assert!(ValueRef::Date(i32::MIN).as_timestamp().is_err());
        assert_eq!(ValueRef::Date(106_751_991).as_timestamp().unwrap(), 106_751_991 * MICROS_PER_DAY);
        assert_eq!(ValueRef::Date(-106_751_991).as_timestamp().unwrap(), -106_751_991 * MICROS_PER_DAY);
    }

    /// Found by tests/prop_value.rs (`parsers_never_panic`,
    /// `timestamps_round_trip`): `+300000-01-01` overflowed i64 (a panic
    /// in a debug build, a wrong instant in a release build), and the
    /// text `format_timestamp` writes for i64::MIN did not parse back, as
    /// its midnight lies below i64::MIN.
    #[test]
    fn timestamps_at_and_beyond_the_ends_of_i64() {
        let e = parse_timestamp("+300000-01-01").unwrap_err();
        assert!(e.message.contains("outside the range of a timestamp"), "{}", e.message);
        assert_eq!(e.sqlstate, "22008");
        assert!(parse_timestamp("-9999999-01-01 00:00:00+15:59").is_err());
        for t in [i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1] {
            for zoned in [false, true] {
                let mut s = String::new();
                format_timestamp(t, zoned, &mut s);
                assert_eq!(parse_timestamp(&s).unwrap(), (t, zoned), "{s}");
            }
        }
        assert_eq!(parse_timestamp("-290308-12-21 19:59:05.224192").unwrap().0, i64::MIN);
        assert!(parse_timestamp("-290308-12-21 19:59:05.224191").is_err());
        assert!(parse_timestamp("+294247-01-10 04:00:54.775807-00:01").is_err());
    }

    #[test]
    fn conversions_are_exact_or_fail() {
        assert_eq!(ValueRef::Uint64(5).as_i64().unwrap(), 5);
        assert!(ValueRef::Uint64(u64::MAX).as_i64().is_err());
        assert!(ValueRef::Int64(-1).as_u64().is_err());
        assert!(ValueRef::Double(1.5).as_i64().is_err());
        assert_eq!(ValueRef::Double(-3.0).as_i64().unwrap(), -3);
        assert!(ValueRef::Double(9.3e18).as_i64().is_err());
        assert!(ValueRef::Int64((1 << 53) + 1).as_f64().is_err());
        let e = ValueRef::Text("12").as_i64().unwrap_err();
        assert!(e.message.contains("text value ('12') cannot be read as int64"), "{}", e.message);
        assert!(ValueRef::Null.as_i64().unwrap_err().message.contains("NULL"));
        assert!(ValueRef::Int64(2).as_bool().is_err());
        let mut s = String::new();
        ValueRef::Double(0.1).write_text(&mut s).unwrap();
        assert_eq!(s, "0.1");
        assert!(ValueRef::Bytes(b"x").write_text(&mut s).is_err());
    }
}
