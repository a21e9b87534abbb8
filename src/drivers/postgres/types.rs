//! PostgreSQL binary wire formats ↔ keel values.
//!
//! Results arrive in binary. Types keel has a value for decode without
//! copies; numeric, interval, timetz, infinite dates/timestamps and arrays
//! are formatted as PostgreSQL's own text, equal to the server's `::text`
//! (arrays as `{1,2,NULL}`, timestamptz elements in UTC); an array
//! parameter is bound as that text.
//! Parameters are sent in binary when the value's type matches the
//! parameter's, and as text otherwise, so the server converts (and checks)
//! it exactly as it would for libpq.

use crate::core::error::{Error, Result};
use crate::core::value::{self, Type as K, ValueRef};
use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{Format, IsNull, Kind, ToSql, Type, to_sql_checked};
use std::fmt::Write as _;

/// Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
pub(super) const PG_EPOCH_DAYS: i64 = 10_957;
pub(super) const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * value::MICROS_PER_DAY;

/// How a column's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Decoded straight from the row buffer.
    Direct,
    /// Formatted to text once per row.
    Text,
    /// Handed out as raw bytes (types keel does not decode).
    Raw,
}

/// keel type and read plan of a PostgreSQL type.
pub fn classify(ty: &Type) -> (K, Plan) {
    match *ty {
        Type::BOOL => (K::Bool, Plan::Direct),
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => (K::Int64, Plan::Direct),
        Type::FLOAT4 | Type::FLOAT8 => (K::Double, Plan::Direct),
        Type::NUMERIC => (K::Decimal, Plan::Text),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::CHAR => {
            (K::Text, Plan::Direct)
        }
        Type::BYTEA => (K::Bytes, Plan::Direct),
        Type::DATE => (K::Date, Plan::Direct),
        Type::TIME => (K::Time, Plan::Direct),
        Type::TIMESTAMP => (K::Timestamp, Plan::Direct),
        Type::TIMESTAMPTZ => (K::Timestamptz, Plan::Direct),
        Type::UUID => (K::Uuid, Plan::Direct),
        Type::JSON | Type::JSONB => (K::Json, Plan::Direct),
        Type::INTERVAL | Type::TIMETZ => (K::Text, Plan::Text),
        _ => match ty.kind() {
            Kind::Array(_) => (K::Text, Plan::Text),
            Kind::Enum(_) | Kind::Domain(_) => (K::Text, Plan::Direct),
            _ if ty.name() == "citext" => (K::Text, Plan::Direct),
            _ => (K::Bytes, Plan::Raw),
        },
    }
}

fn be<const N: usize>(raw: &[u8], at: usize) -> Option<[u8; N]> {
    raw.get(at..at + N)?.try_into().ok()
}

/// Decode a `Plan::Direct` value. Malformed input gives the raw bytes.
pub fn decode<'a>(ty: &Type, raw: &'a [u8]) -> ValueRef<'a> {
    let v = match *ty {
        Type::BOOL => raw.first().map(|b| ValueRef::Bool(*b != 0)),
        Type::INT2 => be::<2>(raw, 0).map(|b| ValueRef::Int64(i16::from_be_bytes(b) as i64)),
        Type::INT4 => be::<4>(raw, 0).map(|b| ValueRef::Int64(i32::from_be_bytes(b) as i64)),
        Type::OID => be::<4>(raw, 0).map(|b| ValueRef::Int64(u32::from_be_bytes(b) as i64)),
        Type::INT8 => be::<8>(raw, 0).map(|b| ValueRef::Int64(i64::from_be_bytes(b))),
        Type::FLOAT4 => be::<4>(raw, 0).map(|b| ValueRef::Double(f32::from_be_bytes(b) as f64)),
        Type::FLOAT8 => be::<8>(raw, 0).map(|b| ValueRef::Double(f64::from_be_bytes(b))),
        Type::BYTEA => Some(ValueRef::Bytes(raw)),
        Type::DATE => be::<4>(raw, 0).and_then(|b| match i32::from_be_bytes(b) {
            i32::MAX | i32::MIN => None,
            d => i32::try_from(d as i64 + PG_EPOCH_DAYS).ok().map(ValueRef::Date),
        }),
        Type::TIME => be::<8>(raw, 0).map(|b| ValueRef::Time(i64::from_be_bytes(b))),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => be::<8>(raw, 0).and_then(|b| match i64::from_be_bytes(b) {
            i64::MAX | i64::MIN => None,
            t => t.checked_add(PG_EPOCH_MICROS).map(|t| {
                if *ty == Type::TIMESTAMP { ValueRef::Timestamp(t) } else { ValueRef::Timestamptz(t) }
            }),
        }),
        Type::UUID => be::<16>(raw, 0).map(ValueRef::Uuid),
        Type::JSON => std::str::from_utf8(raw).ok().map(ValueRef::Json),
        Type::JSONB => match raw.split_first() {
            Some((1, rest)) => std::str::from_utf8(rest).ok().map(ValueRef::Json),
            _ => None,
        },
        _ => std::str::from_utf8(raw).ok().map(ValueRef::Text),
    };
    v.unwrap_or(ValueRef::Bytes(raw))
}

/// Format a `Plan::Text` value (or anything else) as PostgreSQL text.
pub fn format_text(ty: &Type, raw: &[u8], out: &mut String) {
    let ok = match *ty {
        Type::NUMERIC => numeric_text(raw, out),
        Type::INTERVAL => interval_text(raw, out),
        Type::TIMETZ => timetz_text(raw, out),
        Type::DATE if be::<4>(raw, 0).is_some_and(|b| matches!(i32::from_be_bytes(b), i32::MAX | i32::MIN)) => {
            out.push_str(if raw[0] == 0x7f { "infinity" } else { "-infinity" });
            Some(())
        }
        Type::TIMESTAMP | Type::TIMESTAMPTZ
            if be::<8>(raw, 0).is_some_and(|b| matches!(i64::from_be_bytes(b), i64::MAX | i64::MIN)) =>
        {
            out.push_str(if raw[0] == 0x7f { "infinity" } else { "-infinity" });
            Some(())
        }
        _ => match ty.kind() {
            Kind::Array(elem) => array_text(elem, raw, out),
            _ => match decode(ty, raw) {
                ValueRef::Bytes(b) => {
                    out.push_str("\\x");
                    for x in b {
                        let _ = write!(out, "{x:02x}");
                    }
                    Some(())
                }
                v => v.write_text(out).ok(),
            },
        },
    };
    if ok.is_none() {
        out.push_str("<malformed value>");
    }
}

fn numeric_text(raw: &[u8], out: &mut String) -> Option<()> {
    let nd = i16::from_be_bytes(be(raw, 0)?) as i32;
    let weight = i16::from_be_bytes(be(raw, 2)?) as i32;
    let sign = u16::from_be_bytes(be(raw, 4)?);
    let dscale = u16::from_be_bytes(be(raw, 6)?) as usize;
    match sign {
        0xC000 => {
            out.push_str("NaN");
            return Some(());
        }
        0xD000 => {
            out.push_str("Infinity");
            return Some(());
        }
        0xF000 => {
            out.push_str("-Infinity");
            return Some(());
        }
        _ => {}
    }
    let digit = |k: i32| -> Option<u16> {
        if k < 0 || k >= nd {
            Some(0)
        } else {
            be::<2>(raw, 8 + 2 * k as usize).map(u16::from_be_bytes)
        }
    };
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for k in 0..=weight {
            let d = digit(k)?;
            if k == 0 {
                let _ = write!(out, "{d}");
            } else {
                let _ = write!(out, "{d:04}");
            }
        }
    }
    if dscale > 0 {
        out.push('.');
        let start = out.len();
        let mut k = weight + 1;
        while out.len() - start < dscale {
            let _ = write!(out, "{:04}", digit(k)?);
            k += 1;
        }
        out.truncate(start + dscale);
    }
    Some(())
}

fn interval_text(raw: &[u8], out: &mut String) -> Option<()> {
    let micros = i64::from_be_bytes(be(raw, 0)?);
    let days = i32::from_be_bytes(be(raw, 8)?);
    let months = i32::from_be_bytes(be(raw, 12)?);
    let (years, mons) = (months / 12, months % 12);
    let start = out.len();
    for (n, one, many) in [(years, "year", "years"), (mons, "mon", "mons"), (days, "day", "days")] {
        if n != 0 {
            if out.len() > start {
                out.push(' ');
            }
            // The server's rule: singular for exactly 1 ("-1 days").
            let _ = write!(out, "{n} {}", if n == 1 { one } else { many });
        }
    }
    if micros != 0 || out.len() == start {
        if out.len() > start {
            out.push(' ');
        }
        if micros < 0 {
            out.push('-');
        }
        let m = micros.unsigned_abs();
        let (h, rest) = (m / 3_600_000_000, m % 3_600_000_000);
        let _ = write!(out, "{h:02}:{:02}:{:02}", rest / 60_000_000, rest / 1_000_000 % 60);
        if m % 1_000_000 != 0 {
            let frac = out.len();
            let _ = write!(out, ".{:06}", m % 1_000_000);
            trim_fraction(out, frac);
        }
    }
    Some(())
}

fn timetz_text(raw: &[u8], out: &mut String) -> Option<()> {
    let micros = i64::from_be_bytes(be(raw, 0)?);
    // PostgreSQL stores the zone as seconds west of UTC.
    let east = -i32::from_be_bytes(be(raw, 8)?);
    let start = out.len();
    value::format_time(micros, out);
    trim_fraction(out, start);
    let a = east.unsigned_abs();
    let _ = write!(out, "{}{:02}", if east < 0 { '-' } else { '+' }, a / 3600);
    if a % 3600 != 0 {
        let _ = write!(out, ":{:02}", a / 60 % 60);
    }
    if a % 60 != 0 {
        let _ = write!(out, ":{:02}", a % 60);
    }
    Some(())
}

/// The keel type of the elements of an array type whose elements keel
/// reads (every element type but those it hands out as raw bytes); `None`
/// for any other type.
pub fn list_element(ty: &Type) -> Option<K> {
    match ty.kind() {
        Kind::Array(elem) => match classify(elem) {
            (_, Plan::Raw) => None,
            (k, _) => Some(k),
        },
        _ => None,
    }
}

/// The elements of a one-dimensional array value (binary, of elements of
/// type `elem`), in order, each to `each` as a value of
/// `list_element`'s type (NULL elements as NULL). An array of more
/// dimensions, or an element keel's type cannot hold (a date or timestamp
/// `infinity`), is an error.
pub fn list_elements(elem: &Type, raw: &[u8], each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<()> {
    let malformed = || Error::invalid_data("a malformed array value (binary format)").with_driver("postgres");
    let ndim = i32::from_be_bytes(be(raw, 0).ok_or_else(malformed)?);
    if ndim == 0 {
        return Ok(());
    }
    if ndim != 1 {
        return Err(Error::invalid_data(format!(
            "an array of {ndim} dimensions does not fit an Arrow list (one dimension)"
        ))
        .with_driver("postgres"));
    }
    let n = i32::from_be_bytes(be(raw, 12).ok_or_else(malformed)?);
    let (kind, plan) = classify(elem);
    let mut pos = 20;
    let mut text = String::new();
    for k in 0..n.max(0) {
        let len = i32::from_be_bytes(be(raw, pos).ok_or_else(malformed)?);
        pos += 4;
        if len < 0 {
            each(ValueRef::Null)?;
            continue;
        }
        let bytes = raw.get(pos..pos + len as usize).ok_or_else(malformed)?;
        pos += len as usize;
        let v = match plan {
            Plan::Direct => decode(elem, bytes),
            _ => {
                text.clear();
                element_text(elem, bytes, &mut text);
                if kind == K::Decimal { ValueRef::Decimal(&text) } else { ValueRef::Text(&text) }
            }
        };
        if v.kind() != kind {
            text.clear();
            element_text(elem, bytes, &mut text);
            return Err(Error::invalid_data(format!(
                "array element {k}, {text:?}, has no keel {} value",
                kind.name()
            ))
            .with_driver("postgres"));
        }
        each(v)?;
    }
    Ok(())
}

fn array_text(elem: &Type, raw: &[u8], out: &mut String) -> Option<()> {
    let ndim = i32::from_be_bytes(be(raw, 0)?) as usize;
    if ndim == 0 {
        out.push_str("{}");
        return Some(());
    }
    let mut dims = Vec::with_capacity(ndim);
    for d in 0..ndim {
        dims.push(i32::from_be_bytes(be(raw, 12 + 8 * d)?) as usize);
    }
    let mut pos = 12 + 8 * ndim;
    let total: usize = dims.iter().product();
    let mut elems: Vec<Option<String>> = Vec::with_capacity(total);
    for _ in 0..total {
        let len = i32::from_be_bytes(be(raw, pos)?);
        pos += 4;
        if len < 0 {
            elems.push(None);
            continue;
        }
        let bytes = raw.get(pos..pos + len as usize)?;
        pos += len as usize;
        let mut s = String::new();
        element_text(elem, bytes, &mut s);
        elems.push(Some(s));
    }
    let mut it = elems.into_iter();
    write_dims(&dims, &mut it, out);
    Some(())
}

/// An array element as the server writes it in an array's text form, so
/// keel's text equals `array::text` (with timestamptz in UTC): `t`/`f`,
/// floats with PostgreSQL's exponent rule, fractions of a second without
/// trailing zeros, and zone offsets as `+00` or `+05:30`.
fn element_text(elem: &Type, raw: &[u8], out: &mut String) {
    let start = out.len();
    match (elem, decode(elem, raw)) {
        (&Type::BOOL, ValueRef::Bool(b)) => out.push(if b { 't' } else { 'f' }),
        (&Type::FLOAT4, ValueRef::Double(v)) => float_text(v, true, out),
        (&Type::FLOAT8, ValueRef::Double(v)) => float_text(v, false, out),
        (&Type::TIME, ValueRef::Time(us)) => {
            value::format_time(us, out);
            trim_fraction(out, start);
        }
        (&Type::TIMESTAMP, ValueRef::Timestamp(us)) => {
            value::format_timestamp(us, false, out);
            trim_fraction(out, start);
        }
        (&Type::TIMESTAMPTZ, ValueRef::Timestamptz(us)) => {
            value::format_timestamp(us, false, out);
            trim_fraction(out, start);
            out.push_str("+00");
        }
        _ => format_text(elem, raw, out),
    }
}

/// PostgreSQL's float output (extra_float_digits = 1, the default since
/// PostgreSQL 12): the shortest digits that read back exactly, in
/// exponent form when the decimal exponent is below -4 or at least the
/// type's digit count (6 for float4, 15 for float8).
fn float_text(v: f64, single: bool, out: &mut String) {
    if !v.is_finite() {
        value::format_double(v, out);
        return;
    }
    let sci = if single { format!("{:e}", v as f32) } else { format!("{v:e}") };
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent");
    if exp < -4 || exp >= if single { 6 } else { 15 } {
        let _ = write!(out, "{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs());
    } else if single {
        let _ = write!(out, "{}", v as f32);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Drop trailing zeros of a `.ffffff` fraction written after `start`.
fn trim_fraction(out: &mut String, start: usize) {
    if let Some(dot) = out[start..].rfind('.').map(|i| start + i) {
        let keep = out[dot + 1..].trim_end_matches('0').len();
        out.truncate(if keep == 0 { dot } else { dot + 1 + keep });
    }
}

fn write_dims(dims: &[usize], it: &mut impl Iterator<Item = Option<String>>, out: &mut String) {
    out.push('{');
    for i in 0..dims[0] {
        if i > 0 {
            out.push(',');
        }
        if dims.len() > 1 {
            write_dims(&dims[1..], it, out);
            continue;
        }
        match it.next().flatten() {
            None => out.push_str("NULL"),
            Some(s) => {
                let plain = !s.is_empty()
                    && !s.eq_ignore_ascii_case("null")
                    && !s.bytes().any(|c| matches!(c, b'{' | b'}' | b',' | b'"' | b'\\') || c.is_ascii_whitespace());
                if plain {
                    out.push_str(&s);
                } else {
                    out.push('"');
                    for c in s.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
            }
        }
    }
    out.push('}');
}

/// A bound parameter, owned by the statement until it is rebound.
#[derive(Debug, Clone)]
pub struct Param(pub value::Value);

impl Param {
    /// A value to send, checked as every bound value is (`check_param`).
    pub fn of(v: value::ValueRef<'_>) -> Result<Param> {
        let v = v.to_owned();
        check_param(&v)?;
        Ok(Param(v))
    }
}

fn too_big(v: impl std::fmt::Display, ty: &Type) -> Box<dyn std::error::Error + Sync + Send> {
    Box::new(
        Error::invalid_argument(format!("value {v} does not fit PostgreSQL type {}", ty.name()))
            .with_sqlstate("22003")
            .with_driver("postgres"),
    )
}

fn binary_ok(v: &value::Value, ty: &Type) -> bool {
    use value::Value as V;
    match v {
        V::Null => true,
        V::Bool(_) => *ty == Type::BOOL,
        V::Int64(_) | V::Uint64(_) => {
            matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::OID | Type::FLOAT8)
        }
        V::Double(_) => matches!(*ty, Type::FLOAT8 | Type::FLOAT4),
        V::Text(_) | V::Json(_) | V::Decimal(_) => {
            matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON | Type::JSONB)
        }
        V::Bytes(_) => true,
        V::Date(_) => *ty == Type::DATE,
        V::Time(_) => *ty == Type::TIME,
        V::Timestamp(_) => *ty == Type::TIMESTAMP,
        V::Timestamptz(_) => *ty == Type::TIMESTAMPTZ,
        V::Uuid(_) => *ty == Type::UUID,
    }
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use value::Value as V;
        if !binary_ok(&self.0, ty) {
            if let V::Bytes(_) = self.0 {
                unreachable!("bytes always go binary");
            }
            let mut s = String::new();
            self.0.as_ref().write_text(&mut s).map_err(Box::new)?;
            out.put_slice(s.as_bytes());
            return Ok(IsNull::No);
        }
        match &self.0 {
            V::Null => return Ok(IsNull::Yes),
            V::Bool(b) => out.put_u8(*b as u8),
            V::Int64(_) | V::Uint64(_) => {
                let n: i128 = match self.0 {
                    V::Int64(n) => n as i128,
                    V::Uint64(n) => n as i128,
                    _ => unreachable!(),
                };
                match *ty {
                    Type::INT2 => out.put_i16(i16::try_from(n).map_err(|_| too_big(n, ty))?),
                    Type::INT4 => out.put_i32(i32::try_from(n).map_err(|_| too_big(n, ty))?),
                    Type::OID => out.put_u32(u32::try_from(n).map_err(|_| too_big(n, ty))?),
                    Type::INT8 => out.put_i64(i64::try_from(n).map_err(|_| too_big(n, ty))?),
                    _ => {
                        // FLOAT8: only integers a double holds exactly.
                        if n.unsigned_abs() > 1 << 53 {
                            return Err(too_big(n, ty));
                        }
                        out.put_f64(n as f64)
                    }
                }
            }
            V::Double(d) => match *ty {
                Type::FLOAT4 => out.put_f32(*d as f32),
                _ => out.put_f64(*d),
            },
            V::Text(s) | V::Json(s) | V::Decimal(s) => {
                if *ty == Type::JSONB {
                    out.put_u8(1);
                }
                out.put_slice(s.as_bytes())
            }
            V::Bytes(b) => {
                if *ty != Type::BYTEA {
                    return Err(Box::new(
                        Error::invalid_argument(format!(
                            "a bytes value cannot be bound to a parameter of PostgreSQL type {}",
                            ty.name()
                        ))
                        .with_driver("postgres"),
                    ));
                }
                out.put_slice(b)
            }
            V::Date(d) => out.put_i32((*d as i64 - PG_EPOCH_DAYS) as i32),
            V::Time(t) => out.put_i64(*t),
            V::Timestamp(t) | V::Timestamptz(t) => {
                out.put_i64(t.checked_sub(PG_EPOCH_MICROS).ok_or_else(|| too_big(t, ty))?)
            }
            V::Uuid(u) => out.put_slice(u),
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, ty: &Type) -> Format {
        if binary_ok(&self.0, ty) { Format::Binary } else { Format::Text }
    }

    to_sql_checked!();
}

/// Check before sending what the server would otherwise reject late.
fn check_param(v: &value::Value) -> Result<()> {
    if let value::Value::Decimal(d) = v {
        value::check_decimal(d)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(nd: i16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> String {
        let mut raw = Vec::new();
        for x in [nd as u16, weight as u16, sign, dscale] {
            raw.extend_from_slice(&x.to_be_bytes());
        }
        for d in digits {
            raw.extend_from_slice(&d.to_be_bytes());
        }
        let mut s = String::new();
        numeric_text(&raw, &mut s).unwrap();
        s
    }

    #[test]
    fn numeric_binary_to_text() {
        assert_eq!(num(2, 0, 0, 2, &[12, 3400]), "12.34");
        assert_eq!(num(1, 1, 0x4000, 0, &[1]), "-10000");
        assert_eq!(num(1, -1, 0, 4, &[5]), "0.0005");
        assert_eq!(num(0, 0, 0, 0, &[]), "0");
        assert_eq!(num(0, 0, 0, 3, &[]), "0.000");
        assert_eq!(num(0, 0, 0xC000, 0, &[]), "NaN");
        assert_eq!(num(3, 2, 0, 0, &[1, 2, 3]), "100020003");
    }

    #[test]
    fn interval_binary_to_text() {
        let mut raw = Vec::new();
        raw.extend_from_slice(&(4 * 3_600_000_000i64 + 5 * 60_000_000 + 6_000_001).to_be_bytes());
        raw.extend_from_slice(&3i32.to_be_bytes());
        raw.extend_from_slice(&14i32.to_be_bytes());
        let mut s = String::new();
        interval_text(&raw, &mut s).unwrap();
        assert_eq!(s, "1 year 2 mons 3 days 04:05:06.000001");
    }
}
