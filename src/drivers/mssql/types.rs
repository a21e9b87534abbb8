//! SQL Server values ↔ keel values, through tiberius' `ColumnData`.
//!
//! Reading is exact or fails: SQL Server's time, datetime2 and
//! datetimeoffset hold 100-nanosecond ticks and keel's times are
//! microseconds, so a value with a non-zero seventh fractional digit is an
//! error (cast it to `datetime2(6)` / `time(6)` in the query). tiberius
//! hands money over as a double; it is turned back into exact decimal text
//! where a double identifies the money value exactly (|x| < 2^38, about 275
//! billion) and is an error beyond.

use crate::core::error::{Error, Result};
use crate::core::value::{self, MICROS_PER_DAY, Type as K, ValueRef};
use std::borrow::Cow;
use tiberius::ColumnData;
use tiberius::ColumnType as CT;
use tiberius::numeric::Numeric;
use tiberius::time::{Date, DateTime2, DateTimeOffset, Time};

/// Days from 0001-01-01 (SQL Server's `date` epoch) to 1970-01-01.
const DAYS_TO_1970: i64 = 719_162;
/// Days from 1900-01-01 (`datetime`'s epoch) to 1970-01-01.
const DAYS_1900_TO_1970: i64 = 25_567;

/// keel type and SQL Server type name of a result column. A nullable
/// datetime or smalldatetime column travels as TDS `datetimen` without
/// saying which, and that is the name given.
pub fn classify(ct: CT) -> (K, &'static str) {
    match ct {
        CT::Null => (K::Null, "null"),
        CT::Bit | CT::Bitn => (K::Bool, "bit"),
        CT::Int1 => (K::Int64, "tinyint"),
        CT::Int2 => (K::Int64, "smallint"),
        CT::Int4 => (K::Int64, "int"),
        CT::Int8 => (K::Int64, "bigint"),
        CT::Intn => (K::Int64, "intn"),
        CT::Float4 => (K::Double, "real"),
        CT::Float8 => (K::Double, "float"),
        CT::Floatn => (K::Double, "floatn"),
        CT::Money => (K::Decimal, "money"),
        CT::Money4 => (K::Decimal, "smallmoney"),
        CT::Decimaln => (K::Decimal, "decimal"),
        CT::Numericn => (K::Decimal, "numeric"),
        CT::Datetime => (K::Timestamp, "datetime"),
        CT::Datetime4 => (K::Timestamp, "smalldatetime"),
        CT::Datetimen => (K::Timestamp, "datetimen"),
        CT::Daten => (K::Date, "date"),
        CT::Timen => (K::Time, "time"),
        CT::Datetime2 => (K::Timestamp, "datetime2"),
        CT::DatetimeOffsetn => (K::Timestamptz, "datetimeoffset"),
        CT::Guid => (K::Uuid, "uniqueidentifier"),
        CT::BigVarBin => (K::Bytes, "varbinary"),
        CT::BigBinary => (K::Bytes, "binary"),
        CT::Image => (K::Bytes, "image"),
        CT::BigVarChar => (K::Text, "varchar"),
        CT::BigChar => (K::Text, "char"),
        CT::NVarchar => (K::Text, "nvarchar"),
        CT::NChar => (K::Text, "nchar"),
        CT::Text => (K::Text, "text"),
        CT::NText => (K::Text, "ntext"),
        CT::Xml => (K::Text, "xml"),
        CT::Udt => (K::Bytes, "udt"),
        // Each value of a sql_variant has its own type.
        CT::SSVariant => (K::Null, "sql_variant"),
    }
}

/// The keel type and the base type name of a type as SQL Server names it
/// in `sp_describe_first_result_set`'s `system_type_name`
/// (`"nvarchar(50)"`, `"decimal(10,2)"`): the keel types `classify` gives
/// the wire types of those columns.
pub fn classify_name(system_type_name: &str) -> (K, String) {
    let base = system_type_name.split('(').next().unwrap_or("").trim().to_ascii_lowercase();
    let kind = match base.as_str() {
        "bit" => K::Bool,
        "tinyint" | "smallint" | "int" | "bigint" => K::Int64,
        "real" | "float" => K::Double,
        "decimal" | "numeric" | "money" | "smallmoney" => K::Decimal,
        "date" => K::Date,
        "time" => K::Time,
        "datetime" | "datetime2" | "smalldatetime" => K::Timestamp,
        "datetimeoffset" => K::Timestamptz,
        "uniqueidentifier" => K::Uuid,
        "char" | "varchar" | "nchar" | "nvarchar" | "text" | "ntext" | "xml" | "sysname" => K::Text,
        // Each value of a sql_variant has its own type.
        "sql_variant" => K::Null,
        // binary, varbinary, image, timestamp/rowversion, and CLR types
        // (geography, hierarchyid, ...), which arrive as bytes.
        _ => K::Bytes,
    };
    (kind, base)
}

/// One cell of the current row, decoded. Text-like values live in the
/// cursor's per-column buffers, bytes in tiberius' row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Date(i32),
    Time(i64),
    Timestamp(i64),
    /// The UTC instant and the offset it was stored with, in seconds east.
    Timestamptz(i64, i32),
    Uuid([u8; 16]),
    /// In the text buffer of the column, NUL-terminated.
    Text,
    Decimal,
    Bytes,
}

fn bad_data(msg: String) -> Error {
    Error::invalid_data(msg).with_sqlstate("22003").with_driver("mssql")
}

/// Microseconds of `increments` at `scale` (0..=7), or an error when the
/// value has more precision than a microsecond.
fn time_micros(t: Time, what: &str) -> Result<i64> {
    let (n, scale) = (t.increments() as i64, t.scale());
    if scale <= 6 {
        return Ok(n * 10i64.pow(6 - scale as u32));
    }
    let div = 10i64.pow(scale as u32 - 6);
    if n % div != 0 {
        return Err(Error::invalid_data(format!(
            "{what} has 100-nanosecond precision that a keel value (microseconds) cannot hold; \
             CAST it to {}(6) in the query to read it",
            if what == "time" { "time" } else { what }
        ))
        .with_sqlstate("22008")
        .with_driver("mssql"));
    }
    Ok(n / div)
}

fn date_days(d: Date) -> i32 {
    (d.days() as i64 - DAYS_TO_1970) as i32
}

fn dt2_micros(dt: DateTime2, what: &str) -> Result<i64> {
    Ok(date_days(dt.date()) as i64 * MICROS_PER_DAY + time_micros(dt.time(), what)?)
}

/// Exact decimal text of a numeric.
pub fn numeric_text(n: Numeric, out: &mut String) {
    let scale = n.scale() as usize;
    let v = n.value();
    let digits = v.unsigned_abs().to_string();
    if v < 0 {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        out.push_str(&digits[..digits.len() - scale]);
        out.push('.');
        out.push_str(&digits[digits.len() - scale..]);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    }
}

/// Exact money text from tiberius' double, or an error where the double
/// does not identify the money value.
pub fn money_text(f: f64, out: &mut String) -> Result<()> {
    const LIMIT: f64 = 274_877_906_944.0; // 2^38
    if !f.is_finite() || f.abs() >= LIMIT {
        return Err(bad_data(format!(
            "a money value of about {f} cannot be read exactly: tiberius decodes money as a double, which is exact \
             only below 2^38; CAST the column to DECIMAL(19,4) in the query"
        )));
    }
    let n = (f * 10_000.0).round() as i128;
    numeric_text(Numeric::new_with_scale(n, 4), out);
    Ok(())
}

/// Decode one value into a cell; text-like values are written to `text`
/// (cleared first) followed by a NUL.
pub fn decode(kind: K, ct: CT, v: &ColumnData<'_>, text: &mut Vec<u8>) -> Result<Cell> {
    text.clear();
    let put = |text: &mut Vec<u8>, s: &str| {
        text.extend_from_slice(s.as_bytes());
        text.push(0);
    };
    Ok(match v {
        ColumnData::U8(None)
        | ColumnData::I16(None)
        | ColumnData::I32(None)
        | ColumnData::I64(None)
        | ColumnData::F32(None)
        | ColumnData::F64(None)
        | ColumnData::Bit(None)
        | ColumnData::String(None)
        | ColumnData::Guid(None)
        | ColumnData::Binary(None)
        | ColumnData::Numeric(None)
        | ColumnData::Xml(None)
        | ColumnData::DateTime(None)
        | ColumnData::SmallDateTime(None)
        | ColumnData::Time(None)
        | ColumnData::Date(None)
        | ColumnData::DateTime2(None)
        | ColumnData::DateTimeOffset(None) => Cell::Null,
        ColumnData::Bit(Some(b)) => Cell::Bool(*b),
        ColumnData::U8(Some(n)) => Cell::Int(*n as i64),
        ColumnData::I16(Some(n)) => Cell::Int(*n as i64),
        ColumnData::I32(Some(n)) => Cell::Int(*n as i64),
        ColumnData::I64(Some(n)) => Cell::Int(*n),
        ColumnData::F32(Some(f)) => Cell::Double(*f as f64),
        ColumnData::F64(Some(f)) if kind == K::Decimal || matches!(ct, CT::Money | CT::Money4) => {
            let mut s = String::new();
            money_text(*f, &mut s)?;
            put(text, &s);
            Cell::Decimal
        }
        ColumnData::F64(Some(f)) => Cell::Double(*f),
        ColumnData::Numeric(Some(n)) => {
            let mut s = String::new();
            numeric_text(*n, &mut s);
            put(text, &s);
            Cell::Decimal
        }
        ColumnData::String(Some(s)) => {
            put(text, s);
            Cell::Text
        }
        ColumnData::Xml(Some(x)) => {
            put(text, x.as_ref().as_ref());
            Cell::Text
        }
        ColumnData::Binary(Some(_)) => Cell::Bytes,
        ColumnData::Guid(Some(g)) => Cell::Uuid(*g.as_bytes()),
        ColumnData::Date(Some(d)) => Cell::Date(date_days(*d)),
        ColumnData::Time(Some(t)) => Cell::Time(time_micros(*t, "time")?),
        ColumnData::DateTime2(Some(dt)) => Cell::Timestamp(dt2_micros(*dt, "datetime2")?),
        ColumnData::DateTimeOffset(Some(dto)) => {
            // tiberius gives the UTC date and time plus the offset.
            Cell::Timestamptz(dt2_micros(dto.datetime2(), "datetimeoffset")?, dto.offset() as i32 * 60)
        }
        ColumnData::DateTime(Some(dt)) => {
            let days = dt.days() as i64 - DAYS_1900_TO_1970;
            // 1/300 s ticks, to the nearest microsecond (datetime's own
            // precision is 3.33 ms; SQL Server shows .000/.003/.007).
            let us = (dt.seconds_fragments() as i64 * 10_000 + 1) / 3;
            Cell::Timestamp(days * MICROS_PER_DAY + us)
        }
        ColumnData::SmallDateTime(Some(dt)) => {
            let days = dt.days() as i64 - DAYS_1900_TO_1970;
            Cell::Timestamp(days * MICROS_PER_DAY + dt.seconds_fragments() as i64 * 60_000_000)
        }
    })
}

// ---------------------------------------------------------------------------
// parameters

fn bad_param(msg: String) -> Error {
    Error::invalid_argument(msg).with_sqlstate("22003").with_driver("mssql")
}

/// A date as SQL Server's `date` (0001-01-01 to 9999-12-31).
pub(super) fn to_date(days: i64) -> Result<Date> {
    let n = days + DAYS_TO_1970;
    if !(0..=3_652_058).contains(&n) {
        let (y, _, _) = value::civil_from_days(days);
        return Err(bad_param(format!("year {y} is outside SQL Server's range 0001-9999")));
    }
    Ok(Date::new(n as u32))
}

fn to_dt2(micros: i64) -> Result<DateTime2> {
    let date = to_date(micros.div_euclid(MICROS_PER_DAY))?;
    let tod = micros.rem_euclid(MICROS_PER_DAY);
    Ok(DateTime2::new(date, Time::new(tod as u64, 6)))
}

/// Parse exact decimal text into a numeric of at most 38 digits.
pub fn to_numeric(t: &str) -> Result<Numeric> {
    value::check_decimal(t)?;
    let bad = || bad_param(format!("decimal {t:?} does not fit SQL Server's DECIMAL (38 digits, no NaN or infinity)"));
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || (int.is_empty() && frac.is_empty()) {
        return Err(bad());
    }
    let mut digits: String = format!("{int}{frac}");
    let mut scale = frac.len() as i32 - exp;
    if scale < 0 {
        digits.extend(std::iter::repeat_n('0', (-scale) as usize));
        scale = 0;
    }
    // Trailing fraction zeros beyond 38 digits carry nothing.
    let digits = digits.trim_start_matches('0');
    let mut digits = if digits.is_empty() { "0".to_owned() } else { digits.to_owned() };
    while scale > 0 && (digits.len() > 38 || scale > 38) && digits.ends_with('0') {
        digits.pop();
        scale -= 1;
    }
    if digits.len() > 38 || scale > 38 {
        return Err(bad());
    }
    let mut v: i128 = digits.parse().map_err(|_| bad())?;
    if neg {
        v = -v;
    }
    let n = Numeric::new_with_scale(v, scale as u8);
    if n.precision() > 38 {
        return Err(bad());
    }
    Ok(n)
}

/// A datetimeoffset parameter: the instant `micros` (UTC), stored with
/// `offset_seconds` (whole minutes, checked by the core).
pub fn to_datetimeoffset(micros: i64, offset_seconds: i32) -> Result<ColumnData<'static>> {
    Ok(ColumnData::DateTimeOffset(Some(DateTimeOffset::new(to_dt2(micros)?, (offset_seconds / 60) as i16))))
}

/// A keel value as a parameter.
pub fn to_param(v: ValueRef<'_>) -> Result<ColumnData<'static>> {
    Ok(match v {
        // Never sent: the statement writes a NULL parameter into its SQL as
        // the literal NULL (see `MsStmt::request`).
        ValueRef::Null => ColumnData::String(None),
        ValueRef::Bool(b) => ColumnData::Bit(Some(b)),
        ValueRef::Int64(n) => ColumnData::I64(Some(n)),
        ValueRef::Uint64(n) => match i64::try_from(n) {
            Ok(n) => ColumnData::I64(Some(n)),
            Err(_) => {
                return Err(bad_param(format!(
                    "{n} does not fit SQL Server's BIGINT (it has no unsigned 64-bit integer); bind it as a decimal for a DECIMAL(20,0) column"
                )));
            }
        },
        ValueRef::Double(d) => {
            if !d.is_finite() {
                return Err(bad_param(format!("SQL Server cannot store {d} (its float has no NaN or infinity)")));
            }
            ColumnData::F64(Some(d))
        }
        ValueRef::Text(t) | ValueRef::Json(t) => ColumnData::String(Some(Cow::Owned(t.to_owned()))),
        ValueRef::Decimal(t) => ColumnData::Numeric(Some(to_numeric(t)?)),
        ValueRef::Bytes(b) => ColumnData::Binary(Some(Cow::Owned(b.to_vec()))),
        ValueRef::Date(d) => ColumnData::Date(Some(to_date(d as i64)?)),
        ValueRef::Time(t) => ColumnData::Time(Some(Time::new(t as u64, 6))),
        ValueRef::Timestamp(t) => ColumnData::DateTime2(Some(to_dt2(t)?)),
        ValueRef::Timestamptz(t) => to_datetimeoffset(t, 0)?,
        ValueRef::Uuid(u) => ColumnData::Guid(Some(tiberius::Uuid::from_bytes(u))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(t: &str) -> String {
        let mut s = String::new();
        numeric_text(to_numeric(t).unwrap(), &mut s);
        s
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(num("1234567890123456789012345678.9012345678"), "1234567890123456789012345678.9012345678");
        assert_eq!(num("-9999999999999999999999999999.9999999999"), "-9999999999999999999999999999.9999999999");
        assert_eq!(num("0.0000000001"), "0.0000000001");
        assert_eq!(num("12.5000000000"), "12.5000000000");
        assert_eq!(num("1.5e3"), "1500");
        assert_eq!(num("-0.5"), "-0.5");
        assert_eq!(num("2.50e-1"), "0.250");
        assert!(to_numeric("123456789012345678901234567890123456789").is_err(), "39 digits");
        assert!(to_numeric("NaN").is_err());
        assert!(to_numeric("abc").is_err());
        assert_eq!(num("1.00000000000000000000000000000000000000000"), "1.0000000000000000000000000000000000000");
    }

    #[test]
    fn money_is_exact_or_refused() {
        let mut s = String::new();
        money_text(922_337.2036, &mut s).unwrap();
        assert_eq!(s, "922337.2036");
        s.clear();
        money_text(-0.0001, &mut s).unwrap();
        assert_eq!(s, "-0.0001");
        s.clear();
        money_text(274_877_906_943.9999, &mut s).unwrap();
        assert_eq!(s, "274877906943.9999");
        assert!(money_text(922_337_203_685_477.5807, &mut s).is_err());
    }

    #[test]
    fn times_keep_microseconds_or_fail() {
        assert_eq!(time_micros(Time::new(123_456_700, 7), "time").unwrap(), 12_345_670);
        assert_eq!(time_micros(Time::new(1_500, 3), "time").unwrap(), 1_500_000);
        assert!(time_micros(Time::new(123_456_789, 7), "time").is_err());
    }

    #[test]
    fn params_round_trip_through_decode() {
        let mut buf = Vec::new();
        let cases = [
            (ValueRef::Bool(true), K::Bool, CT::Bitn, Cell::Bool(true)),
            (ValueRef::Int64(i64::MIN), K::Int64, CT::Intn, Cell::Int(i64::MIN)),
            (ValueRef::Double(0.1), K::Double, CT::Floatn, Cell::Double(0.1)),
            (ValueRef::Date(-719_162), K::Date, CT::Daten, Cell::Date(-719_162)),
            (ValueRef::Date(2_932_896), K::Date, CT::Daten, Cell::Date(2_932_896)),
            (ValueRef::Time(86_399_999_999), K::Time, CT::Timen, Cell::Time(86_399_999_999)),
            (ValueRef::Timestamp(-1), K::Timestamp, CT::Datetime2, Cell::Timestamp(-1)),
            (ValueRef::Timestamptz(1_710_054_296_789_012), K::Timestamptz, CT::DatetimeOffsetn, Cell::Timestamptz(1_710_054_296_789_012, 0)),
            (ValueRef::Uuid([7; 16]), K::Uuid, CT::Guid, Cell::Uuid([7; 16])),
            (ValueRef::Null, K::Text, CT::NVarchar, Cell::Null),
        ];
        for (v, kind, ct, want) in cases {
            let p = to_param(v).unwrap();
            assert_eq!(decode(kind, ct, &p, &mut buf).unwrap(), want, "{v:?}");
        }
        assert!(to_param(ValueRef::Date(-719_163)).is_err(), "year 0");
        assert!(to_param(ValueRef::Uint64(u64::MAX)).unwrap_err().message.contains("18446744073709551615"));
        assert!(to_param(ValueRef::Double(f64::NAN)).unwrap_err().message.contains("NaN"));
    }
}
