//! PostgreSQL binary wire formats ↔ keel values.
//!
//! Results arrive in binary (tokio-postgres asks for every result column
//! in binary; the protocol would allow text per column, but its API does
//! not). Types keel has a value for decode without copies; every other
//! type whose output function keel knows is formatted here as that
//! function's text (numeric, interval, timetz, infinite dates/timestamps,
//! network addresses, bit strings, geometric types, text search types,
//! ranges, composites, arrays, ...), timestamptz inside them in UTC; an
//! array parameter is bound as that text. money and the reg* types, whose
//! text depends on the session's locale or the catalog, read as the
//! integer the server sends; the rest (anonymous records, extension types
//! keel does not know) as the server's binary form, as bytes.
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
    /// Handed out as the server's binary form, as bytes: types keel has
    /// no text for (anonymous records, extension types it does not know,
    /// arrays of money), so that nothing passes for their text.
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
        // Their binary form is their text (jsonpath's after a version byte).
        Type::XML | Type::JSONPATH | Type::REFCURSOR | Type::PG_NODE_TREE | Type::VOID => (K::Text, Plan::Direct),
        Type::INTERVAL
        | Type::TIMETZ
        | Type::INET
        | Type::CIDR
        | Type::MACADDR
        | Type::MACADDR8
        | Type::BIT
        | Type::VARBIT
        | Type::POINT
        | Type::LINE
        | Type::LSEG
        | Type::BOX
        | Type::PATH
        | Type::POLYGON
        | Type::CIRCLE
        | Type::TS_VECTOR
        | Type::TSQUERY
        | Type::PG_LSN
        | Type::TID
        | Type::XID
        | Type::CID
        | Type::XID8
        | Type::TXID_SNAPSHOT
        | Type::PG_SNAPSHOT => (K::Text, Plan::Text),
        _ if integer_stand_in(ty) => (K::Int64, Plan::Direct),
        _ => match ty.kind() {
            Kind::Array(e) | Kind::Range(e) | Kind::Multirange(e) if has_text(e) => (K::Text, Plan::Text),
            Kind::Composite(fields) if fields.iter().all(|f| has_text(f.type_())) => (K::Text, Plan::Text),
            Kind::Domain(b) => classify(b),
            Kind::Enum(_) => (K::Text, Plan::Direct),
            _ if ty.name() == "citext" => (K::Text, Plan::Direct),
            _ if ty.name() == "hstore" => (K::Text, Plan::Text),
            _ => (K::Bytes, Plan::Raw),
        },
    }
}

/// money and the reg* types, read as the integer the server sends: money's
/// text follows the session's lc_monetary (symbol, separators, and even
/// how many decimals its integer counts), a reg* type's is the name of a
/// catalog row, so keel cannot write either as the server would.
fn integer_stand_in(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::MONEY
            | Type::REGPROC
            | Type::REGPROCEDURE
            | Type::REGOPER
            | Type::REGOPERATOR
            | Type::REGCLASS
            | Type::REGTYPE
            | Type::REGCONFIG
            | Type::REGDICTIONARY
            | Type::REGNAMESPACE
            | Type::REGROLE
            | Type::REGCOLLATION
    )
}

/// Whether keel writes `ty`'s values exactly as the server's output
/// function does, so that arrays, ranges and composites of it can read as
/// the server's text too.
fn has_text(ty: &Type) -> bool {
    classify(ty).1 != Plan::Raw && !integer_stand_in(base(ty))
}

/// The type a domain is over (the type itself for any other).
fn base(ty: &Type) -> &Type {
    match ty.kind() {
        Kind::Domain(b) => base(b),
        _ => ty,
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
        // infinity and -infinity are no date or timestamp keel has: they
        // read as the server's text for them.
        Type::DATE => be::<4>(raw, 0).and_then(|b| match i32::from_be_bytes(b) {
            i32::MAX => Some(ValueRef::Text("infinity")),
            i32::MIN => Some(ValueRef::Text("-infinity")),
            d => i32::try_from(d as i64 + PG_EPOCH_DAYS).ok().map(ValueRef::Date),
        }),
        Type::TIME => be::<8>(raw, 0).map(|b| ValueRef::Time(i64::from_be_bytes(b))),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => be::<8>(raw, 0).and_then(|b| match i64::from_be_bytes(b) {
            i64::MAX => Some(ValueRef::Text("infinity")),
            i64::MIN => Some(ValueRef::Text("-infinity")),
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
        Type::JSONPATH => match raw.split_first() {
            Some((1, rest)) => std::str::from_utf8(rest).ok().map(ValueRef::Text),
            _ => None,
        },
        Type::MONEY => be::<8>(raw, 0).map(|b| ValueRef::Int64(i64::from_be_bytes(b))),
        _ if integer_stand_in(ty) => be::<4>(raw, 0).map(|b| ValueRef::Int64(u32::from_be_bytes(b) as i64)),
        _ => match ty.kind() {
            Kind::Domain(b) => return decode(b, raw),
            _ => std::str::from_utf8(raw).ok().map(ValueRef::Text),
        },
    };
    v.unwrap_or(ValueRef::Bytes(raw))
}

/// Format a `Plan::Text` value (or anything else) as PostgreSQL text.
pub fn format_text(ty: &Type, raw: &[u8], out: &mut String) {
    let ty = base(ty);
    let start = out.len();
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
        Type::INET | Type::CIDR => inet_text(raw, out),
        Type::MACADDR | Type::MACADDR8 => mac_text(raw, out),
        Type::BIT | Type::VARBIT => bit_text(raw, out),
        Type::POINT | Type::LINE | Type::LSEG | Type::BOX | Type::PATH | Type::POLYGON | Type::CIRCLE => {
            geometry_text(ty, raw, out)
        }
        Type::TS_VECTOR => tsvector_text(raw, out),
        Type::TSQUERY => tsquery_text(raw, out),
        Type::PG_LSN => be::<8>(raw, 0).map(|b| {
            // "%X/%X" (PostgreSQL 19 pads the second part to 8 digits).
            let lsn = u64::from_be_bytes(b);
            let _ = write!(out, "{:X}/{:X}", lsn >> 32, lsn as u32);
        }),
        Type::TID => be::<4>(raw, 0).zip(be::<2>(raw, 4)).map(|(block, offset)| {
            let _ = write!(out, "({},{})", u32::from_be_bytes(block), u16::from_be_bytes(offset));
        }),
        Type::XID | Type::CID => be::<4>(raw, 0).map(|b| {
            let _ = write!(out, "{}", u32::from_be_bytes(b));
        }),
        Type::XID8 => be::<8>(raw, 0).map(|b| {
            let _ = write!(out, "{}", u64::from_be_bytes(b));
        }),
        Type::TXID_SNAPSHOT | Type::PG_SNAPSHOT => snapshot_text(raw, out),
        Type::INT2_VECTOR | Type::OID_VECTOR => vector_text(ty, raw, out),
        _ => match ty.kind() {
            Kind::Array(elem) => array_text(elem, raw, out),
            Kind::Range(elem) => range_text(elem, raw, out),
            Kind::Multirange(elem) => multirange_text(elem, raw, out),
            Kind::Composite(fields) => record_text(fields, raw, out),
            _ if ty.name() == "hstore" => hstore_text(raw, out),
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
        out.truncate(start);
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

/// inet and cidr, as the server's `pg_inet_net_ntop` writes them: IPv4 in
/// four octets, IPv6 with the longest run of two or more zero words as
/// `::` (the first of equal runs), an IPv4 address inside IPv6 (`::a.b.c.d`,
/// `::ffff:a.b.c.d`) in dotted form; the mask after `/` unless it is the
/// whole address, and always for cidr.
fn inet_text(raw: &[u8], out: &mut String) -> Option<()> {
    let (family, bits, is_cidr, n) = (*raw.first()?, *raw.get(1)?, *raw.get(2)? != 0, *raw.get(3)? as usize);
    let a = raw.get(4..4 + n).filter(|_| raw.len() == 4 + n)?;
    let full = match (family, n) {
        (2, 4) => {
            let _ = write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
            32
        }
        (3, 16) => {
            let words: Vec<u16> = a.chunks(2).map(|w| u16::from_be_bytes([w[0], w[1]])).collect();
            // The longest run of zero words (base, len), if two or longer.
            let (mut best, mut cur) = (None::<(usize, usize)>, None::<(usize, usize)>);
            for (i, w) in words.iter().enumerate() {
                if *w == 0 {
                    cur = Some(cur.map_or((i, 1), |(b, l)| (b, l + 1)));
                } else if let Some(c) = cur.take() {
                    if best.is_none_or(|b| c.1 > b.1) {
                        best = Some(c);
                    }
                }
            }
            if let Some(c) = cur {
                if best.is_none_or(|b| c.1 > b.1) {
                    best = Some(c);
                }
            }
            let best = best.filter(|b| b.1 >= 2);
            for i in 0..8 {
                if let Some((b, l)) = best {
                    if (b..b + l).contains(&i) {
                        if i == b {
                            out.push(':');
                        }
                        continue;
                    }
                }
                if i != 0 {
                    out.push(':');
                }
                let v4 = best.is_some_and(|(b, l)| {
                    b == 0 && (l == 6 || (l == 7 && words[7] != 1) || (l == 5 && words[5] == 0xffff))
                });
                if i == 6 && v4 {
                    let _ = write!(out, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
                    break;
                }
                let _ = write!(out, "{:x}", words[i]);
            }
            if best.is_some_and(|(b, l)| b + l == 8) {
                out.push(':');
            }
            128
        }
        _ => return None,
    };
    if bits != full || is_cidr {
        let _ = write!(out, "/{bits}");
    }
    Some(())
}

/// macaddr and macaddr8: `08:00:2b:01:02:03`.
fn mac_text(raw: &[u8], out: &mut String) -> Option<()> {
    if raw.len() != 6 && raw.len() != 8 {
        return None;
    }
    for (i, b) in raw.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
    Some(())
}

/// bit and varbit: the bits as `0` and `1`.
fn bit_text(raw: &[u8], out: &mut String) -> Option<()> {
    let n = usize::try_from(i32::from_be_bytes(be(raw, 0)?)).ok()?;
    let bytes = raw.get(4..).filter(|b| b.len() == n.div_ceil(8))?;
    for i in 0..n {
        out.push(if bytes[i / 8] >> (7 - i % 8) & 1 == 1 { '1' } else { '0' });
    }
    Some(())
}

/// The geometric types, their coordinates as float8 writes them:
/// `(x,y)`, `{A,B,C}`, `[(x1,y1),(x2,y2)]`, `(x1,y1),(x2,y2)`, paths in
/// `[...]` (open) or `(...)` (closed), `<(x,y),r>`.
fn geometry_text(ty: &Type, raw: &[u8], out: &mut String) -> Option<()> {
    let f = |at: usize| be::<8>(raw, at).map(f64::from_be_bytes);
    let point = |at: usize, out: &mut String| -> Option<()> {
        let (x, y) = (f(at)?, f(at + 8)?);
        out.push('(');
        float_text(x, false, out);
        out.push(',');
        float_text(y, false, out);
        out.push(')');
        Some(())
    };
    let points = |at: usize, n: usize, out: &mut String| -> Option<()> {
        if raw.len() != at + 16 * n {
            return None;
        }
        for k in 0..n {
            if k > 0 {
                out.push(',');
            }
            point(at + 16 * k, out)?;
        }
        Some(())
    };
    match *ty {
        Type::POINT => points(0, 1, out),
        Type::LINE => {
            if raw.len() != 24 {
                return None;
            }
            out.push('{');
            for k in 0..3 {
                if k > 0 {
                    out.push(',');
                }
                float_text(f(8 * k)?, false, out);
            }
            out.push('}');
            Some(())
        }
        Type::LSEG => {
            out.push('[');
            points(0, 2, out)?;
            out.push(']');
            Some(())
        }
        Type::BOX => points(0, 2, out),
        Type::PATH => {
            let closed = *raw.first()? != 0;
            let n = usize::try_from(i32::from_be_bytes(be(raw, 1)?)).ok()?;
            out.push(if closed { '(' } else { '[' });
            points(5, n, out)?;
            out.push(if closed { ')' } else { ']' });
            Some(())
        }
        Type::POLYGON => {
            let n = usize::try_from(i32::from_be_bytes(be(raw, 0)?)).ok()?;
            out.push('(');
            points(4, n, out)?;
            out.push(')');
            Some(())
        }
        Type::CIRCLE => {
            if raw.len() != 24 {
                return None;
            }
            out.push('<');
            point(0, out)?;
            out.push(',');
            float_text(f(16)?, false, out);
            out.push('>');
            Some(())
        }
        _ => None,
    }
}

/// A NUL-terminated string at `at`: it and where the bytes after it start.
fn c_string(raw: &[u8], at: usize) -> Option<(&str, usize)> {
    let rest = raw.get(at..)?;
    let end = rest.iter().position(|b| *b == 0)?;
    Some((std::str::from_utf8(&rest[..end]).ok()?, at + end + 1))
}

/// Write `s` between single quotes, doubling quotes and backslashes, as
/// the text search types quote lexemes.
fn quote_lexeme(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}

/// tsvector: `'lexeme':1A,2 'other'`, lexemes in the stored order.
fn tsvector_text(raw: &[u8], out: &mut String) -> Option<()> {
    let n = i32::from_be_bytes(be(raw, 0)?);
    let mut pos = 4;
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        let (lexeme, after) = c_string(raw, pos)?;
        quote_lexeme(lexeme, out);
        let npos = u16::from_be_bytes(be(raw, after)?);
        pos = after + 2;
        for k in 0..npos {
            out.push(if k == 0 { ':' } else { ',' });
            let wep = u16::from_be_bytes(be(raw, pos)?);
            pos += 2;
            let _ = write!(out, "{}", wep & 0x3fff);
            match wep >> 14 {
                3 => out.push('A'),
                2 => out.push('B'),
                1 => out.push('C'),
                _ => {}
            }
        }
    }
    (pos == raw.len()).then_some(())
}

/// tsquery, as the server's `infix` writes it: operands quoted with their
/// `:*ABCD` flags, `!`, `&`, `|`, `<->` and `<N>`, and `( ... )` where
/// an operator binds less tightly than the one above it (or is a phrase
/// on a phrase's right). The binary form is the server's prefix order:
/// each operator, then its right operand, then its left.
fn tsquery_text(raw: &[u8], out: &mut String) -> Option<()> {
    enum Node<'a> {
        Operand { weight: u8, prefix: bool, text: &'a str },
        Not(usize),
        /// Operator code (2 `&`, 3 `|`, 4 phrase), phrase distance, left, right.
        Binary(u8, i16, usize, usize),
    }
    enum Item<'a> {
        Operand(u8, bool, &'a str),
        Operator(u8, i16),
    }
    let n = u32::from_be_bytes(be(raw, 0)?) as usize;
    let mut items = Vec::with_capacity(n.min(raw.len()));
    let mut pos = 4;
    for _ in 0..n {
        match *raw.get(pos)? {
            1 => {
                let (weight, prefix) = (*raw.get(pos + 1)?, *raw.get(pos + 2)? != 0);
                let (text, after) = c_string(raw, pos + 3)?;
                items.push(Item::Operand(weight, prefix, text));
                pos = after;
            }
            2 => {
                let op = *raw.get(pos + 1)?;
                pos += 2;
                let mut distance = 0;
                if op == 4 {
                    distance = i16::from_be_bytes(be(raw, pos)?);
                    pos += 2;
                }
                items.push(Item::Operator(op, distance));
            }
            _ => return None,
        }
    }
    if pos != raw.len() {
        return None;
    }
    if items.is_empty() {
        return Some(());
    }
    // Build the tree from the end, without recursion (a query can nest
    // thousands deep): a node's operands are built before it.
    let mut nodes = Vec::with_capacity(items.len());
    let mut built = Vec::new();
    for item in items.iter().rev() {
        let node = match *item {
            Item::Operand(weight, prefix, text) => Node::Operand { weight, prefix, text },
            Item::Operator(1, _) => Node::Not(built.pop()?),
            Item::Operator(op @ 2..=4, distance) => {
                let right = built.pop()?;
                let left = built.pop()?;
                Node::Binary(op, distance, left, right)
            }
            Item::Operator(..) => return None,
        };
        built.push(nodes.len());
        nodes.push(node);
    }
    let root = built.pop()?;
    if !built.is_empty() {
        return None;
    }
    // The server's operator priorities: ! 4, phrase 3, & 2, | 1.
    let priority = |op: u8| match op {
        2 => 2,
        3 => 1,
        _ => 3,
    };
    enum Task {
        Node { id: usize, parent: i32, right_of_phrase: bool },
        Text(&'static str),
        Phrase(i16),
    }
    let mut tasks = vec![Task::Node { id: root, parent: -1, right_of_phrase: false }];
    while let Some(task) = tasks.pop() {
        match task {
            Task::Text(t) => out.push_str(t),
            Task::Phrase(1) => out.push_str(" <-> "),
            Task::Phrase(d) => {
                let _ = write!(out, " <{d}> ");
            }
            Task::Node { id, parent, right_of_phrase } => match nodes[id] {
                Node::Operand { weight, prefix, text } => {
                    quote_lexeme(text, out);
                    if weight != 0 || prefix {
                        out.push(':');
                        if prefix {
                            out.push('*');
                        }
                        for (bit, c) in [(8, 'A'), (4, 'B'), (2, 'C'), (1, 'D')] {
                            if weight & bit != 0 {
                                out.push(c);
                            }
                        }
                    }
                }
                Node::Not(operand) => {
                    if 4 < parent {
                        out.push_str("( ");
                        tasks.push(Task::Text(" )"));
                    }
                    out.push('!');
                    tasks.push(Task::Node { id: operand, parent: 4, right_of_phrase: false });
                }
                Node::Binary(op, distance, left, right) => {
                    let p = priority(op);
                    if p < parent || (op == 4 && right_of_phrase) {
                        out.push_str("( ");
                        tasks.push(Task::Text(" )"));
                    }
                    // Written left, operator, right: pushed the other way.
                    tasks.push(Task::Node { id: right, parent: p, right_of_phrase: op == 4 });
                    tasks.push(match op {
                        2 => Task::Text(" & "),
                        3 => Task::Text(" | "),
                        _ => Task::Phrase(distance),
                    });
                    tasks.push(Task::Node { id: left, parent: p, right_of_phrase: false });
                }
            },
        }
    }
    Some(())
}

/// txid_snapshot and pg_snapshot: `xmin:xmax:xip,xip`.
fn snapshot_text(raw: &[u8], out: &mut String) -> Option<()> {
    let n = usize::try_from(i32::from_be_bytes(be(raw, 0)?)).ok()?;
    if raw.len() != 20 + 8 * n {
        return None;
    }
    let x = |k: usize| u64::from_be_bytes(be(raw, 4 + 8 * k).expect("length checked"));
    let _ = write!(out, "{}:{}:", x(0), x(1));
    for k in 0..n {
        if k > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}", x(2 + k));
    }
    Some(())
}

/// int2vector and oidvector: their elements (sent as an array) separated
/// by spaces.
fn vector_text(ty: &Type, raw: &[u8], out: &mut String) -> Option<()> {
    let (_, elems) = array_parts(raw)?;
    for (k, e) in elems.into_iter().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        match (*ty == Type::INT2_VECTOR, e?) {
            (true, b) => {
                let _ = write!(out, "{}", i16::from_be_bytes(b.try_into().ok()?));
            }
            (false, b) => {
                let _ = write!(out, "{}", u32::from_be_bytes(b.try_into().ok()?));
            }
        }
    }
    Some(())
}

/// C's `isspace` in the C locale, which the server's record and range
/// output use to decide on quotes.
fn c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Write `s` as a range bound or composite field: in double quotes,
/// doubling `"` and `\`, when it is empty or holds one of `special` or a
/// space; as it is otherwise.
fn quote_item(s: &str, special: &[char], out: &mut String) {
    let quote = s.is_empty() || s.chars().any(|c| special.contains(&c) || c_space(c));
    if quote {
        out.push('"');
    }
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// A range: `empty`, or `[lower,upper)` with a missing bound left empty,
/// each bound in its element type's text, quoted where needed.
fn range_text(elem: &Type, raw: &[u8], out: &mut String) -> Option<()> {
    const EMPTY: u8 = 0x01;
    const LOWER_INC: u8 = 0x02;
    const UPPER_INC: u8 = 0x04;
    const LOWER_INF: u8 = 0x08;
    const UPPER_INF: u8 = 0x10;
    const LOWER_NULL: u8 = 0x20;
    const UPPER_NULL: u8 = 0x40;
    let flags = *raw.first()?;
    if flags & EMPTY != 0 {
        out.push_str("empty");
        return (raw.len() == 1).then_some(());
    }
    out.push(if flags & LOWER_INC != 0 { '[' } else { '(' });
    let mut pos = 1;
    let mut bound = |has: bool, out: &mut String| -> Option<()> {
        if has {
            let len = usize::try_from(i32::from_be_bytes(be(raw, pos)?)).ok()?;
            let bytes = raw.get(pos + 4..pos + 4 + len)?;
            pos += 4 + len;
            let mut s = String::new();
            element_text(elem, bytes, &mut s);
            quote_item(&s, &['"', '\\', '(', ')', '[', ']', ','], out);
        }
        Some(())
    };
    bound(flags & (LOWER_INF | LOWER_NULL) == 0, out)?;
    out.push(',');
    bound(flags & (UPPER_INF | UPPER_NULL) == 0, out)?;
    out.push(if flags & UPPER_INC != 0 { ']' } else { ')' });
    (pos == raw.len()).then_some(())
}

/// A multirange: `{[1,3),[5,7)}`.
fn multirange_text(elem: &Type, raw: &[u8], out: &mut String) -> Option<()> {
    let n = i32::from_be_bytes(be(raw, 0)?);
    let mut pos = 4;
    out.push('{');
    for k in 0..n {
        if k > 0 {
            out.push(',');
        }
        let len = usize::try_from(i32::from_be_bytes(be(raw, pos)?)).ok()?;
        range_text(elem, raw.get(pos + 4..pos + 4 + len)?, out)?;
        pos += 4 + len;
    }
    out.push('}');
    (pos == raw.len()).then_some(())
}

/// A composite value: `(1,"a b",,"")`, NULL fields empty, each field in
/// its type's text, quoted where needed.
fn record_text(fields: &[tokio_postgres::types::Field], raw: &[u8], out: &mut String) -> Option<()> {
    let n = i32::from_be_bytes(be(raw, 0)?);
    if usize::try_from(n).ok()? != fields.len() {
        return None;
    }
    let mut pos = 4;
    let mut s = String::new();
    out.push('(');
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        if u32::from_be_bytes(be(raw, pos)?) != f.type_().oid() {
            return None;
        }
        let len = i32::from_be_bytes(be(raw, pos + 4)?);
        pos += 8;
        if len < 0 {
            continue;
        }
        let bytes = raw.get(pos..pos + len as usize)?;
        pos += len as usize;
        s.clear();
        element_text(f.type_(), bytes, &mut s);
        quote_item(&s, &['"', '\\', '(', ')', ','], out);
    }
    out.push(')');
    (pos == raw.len()).then_some(())
}

/// hstore: `"key"=>"value", "other"=>NULL`, `"` and `\` escaped with a
/// backslash.
fn hstore_text(raw: &[u8], out: &mut String) -> Option<()> {
    let n = i32::from_be_bytes(be(raw, 0)?);
    let mut pos = 4;
    let mut item = |out: &mut String| -> Option<bool> {
        let len = i32::from_be_bytes(be(raw, pos)?);
        pos += 4;
        if len < 0 {
            return Some(false);
        }
        let s = std::str::from_utf8(raw.get(pos..pos + len as usize)?).ok()?;
        pos += len as usize;
        value::quote_array_element(s, out);
        Some(true)
    };
    for k in 0..n {
        if k > 0 {
            out.push_str(", ");
        }
        if !item(out)? {
            return None;
        }
        out.push_str("=>");
        let at = out.len();
        if !item(out)? {
            out.truncate(at);
            out.push_str("NULL");
        }
    }
    (pos == raw.len()).then_some(())
}

/// The keel type of the elements of an array type whose elements keel
/// reads (every element type but those it hands out as raw bytes, and
/// money and reg* types, whose arrays read as bytes); `None` for any
/// other type.
pub fn list_element(ty: &Type) -> Option<K> {
    match (classify(ty).1, ty.kind()) {
        (Plan::Raw, _) => None,
        (_, Kind::Array(elem)) => Some(classify(elem).0),
        _ => None,
    }
}

/// The elements of a one-dimensional array value (binary, of elements of
/// type `elem`), in order, each to `each` as a value of
/// `list_element`'s type (NULL elements as NULL). An array of more
/// dimensions, or an element keel's type cannot hold (a date or timestamp
/// `infinity`, a time of 24:00:00), is an error. The first index is not
/// kept (a list has none): `'[2:3]={1,2}'` gives 1 and 2, as int2vector
/// and oidvector, which count from 0, give their elements.
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
        .with_sqlstate("22000")
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
            .with_sqlstate("22000")
            .with_driver("postgres"));
        }
        each(v)?;
    }
    Ok(())
}


/// An array value's dimensions (length and lower bound of each) and its
/// elements in order (`None` for NULL).
#[allow(clippy::type_complexity)]
fn array_parts(raw: &[u8]) -> Option<(Vec<(usize, i32)>, Vec<Option<&[u8]>>)> {
    let ndim = usize::try_from(i32::from_be_bytes(be(raw, 0)?)).ok()?;
    let mut dims = Vec::with_capacity(ndim.min(6));
    for d in 0..ndim {
        let n = usize::try_from(i32::from_be_bytes(be(raw, 12 + 8 * d)?)).ok()?;
        dims.push((n, i32::from_be_bytes(be(raw, 16 + 8 * d)?)));
    }
    let mut pos = 12 + 8 * ndim;
    let total = if ndim == 0 { 0 } else { dims.iter().try_fold(1usize, |t, d| t.checked_mul(d.0))? };
    // Each element takes at least its 4-byte length.
    if total > raw.len().saturating_sub(pos) / 4 {
        return None;
    }
    let mut elems = Vec::with_capacity(total);
    for _ in 0..total {
        let len = i32::from_be_bytes(be(raw, pos)?);
        pos += 4;
        if len < 0 {
            elems.push(None);
            continue;
        }
        elems.push(Some(raw.get(pos..pos + len as usize)?));
        pos += len as usize;
    }
    (pos == raw.len()).then_some((dims, elems))
}

/// An array as `array_out` writes it: `{1,2,NULL}`, nested braces for
/// more dimensions, `[lower:upper]` bounds first when a dimension does
/// not start at 1, elements quoted where needed; box elements are
/// separated by `;` (box's own delimiter), every other type's by `,`.
fn array_text(elem: &Type, raw: &[u8], out: &mut String) -> Option<()> {
    let (dims, elems) = array_parts(raw)?;
    if dims.is_empty() {
        out.push_str("{}");
        return Some(());
    }
    if dims.iter().any(|d| d.1 != 1) {
        for (n, lower) in &dims {
            let _ = write!(out, "[{lower}:{}]", *lower as i64 + *n as i64 - 1);
        }
        out.push('=');
    }
    let delim = if *base(elem) == Type::BOX { ';' } else { ',' };
    let mut it = elems.into_iter().map(|e| {
        e.map(|bytes| {
            let mut s = String::new();
            element_text(elem, bytes, &mut s);
            s
        })
    });
    let dims: Vec<usize> = dims.iter().map(|d| d.0).collect();
    write_dims(&dims, &mut it, delim, out);
    Some(())
}

/// An array element as the server writes it in an array's text form, so
/// keel's text equals `array::text` (with timestamptz in UTC): `t`/`f`,
/// floats with PostgreSQL's exponent rule, fractions of a second without
/// trailing zeros, and zone offsets as `+00` or `+05:30`.
fn element_text(elem: &Type, raw: &[u8], out: &mut String) {
    let elem = base(elem);
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

fn write_dims(dims: &[usize], it: &mut impl Iterator<Item = Option<String>>, delim: char, out: &mut String) {
    out.push('{');
    for i in 0..dims[0] {
        if i > 0 {
            out.push(delim);
        }
        if dims.len() > 1 {
            write_dims(&dims[1..], it, delim, out);
            continue;
        }
        match it.next().flatten() {
            None => out.push_str("NULL"),
            Some(s) => {
                let plain = !s.is_empty()
                    && !s.eq_ignore_ascii_case("null")
                    && !s.chars().any(|c| matches!(c, '{' | '}' | '"' | '\\') || c == delim || c.is_ascii_whitespace());
                if plain {
                    out.push_str(&s);
                } else {
                    value::quote_array_element(&s, out);
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

/// `d` as a float4, failing as the server's own float8-to-float4 cast
/// does: a finite value past float4's range (overflow), or one that is
/// not 0 but rounds to 0 (underflow). Never infinity or 0 in its place.
/// The error says why.
pub(super) fn float4(d: f64) -> std::result::Result<f32, String> {
    let f = d as f32;
    if (f.is_infinite() && d.is_finite()) || (f == 0.0 && d != 0.0) {
        let mut v = String::new();
        value::format_double(d, &mut v);
        let what = if f == 0.0 { "underflow" } else { "overflow" };
        return Err(format!("value {v} does not fit PostgreSQL type float4 ({what})"));
    }
    Ok(f)
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
                Type::FLOAT4 => out.put_f32(float4(*d).map_err(|m| -> Box<dyn std::error::Error + Sync + Send> {
                    Box::new(Error::invalid_argument(m).with_sqlstate("22003").with_driver("postgres"))
                })?),
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

    fn text_of(ty: &Type, raw: &[u8]) -> String {
        let mut s = String::new();
        format_text(ty, raw, &mut s);
        s
    }

    fn inet(family: u8, bits: u8, cidr: bool, addr: &[u8]) -> Vec<u8> {
        let mut raw = vec![family, bits, cidr as u8, addr.len() as u8];
        raw.extend_from_slice(addr);
        raw
    }

    fn v6(words: [u16; 8]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    /// The server's `pg_inet_net_ntop` rules (tests/postgres_types_more.rs
    /// holds them to the server itself).
    #[test]
    fn inet_binary_to_text() {
        assert_eq!(text_of(&Type::INET, &inet(2, 32, false, &[1, 2, 3, 4])), "1.2.3.4");
        assert_eq!(text_of(&Type::INET, &inet(2, 24, false, &[1, 2, 3, 4])), "1.2.3.4/24");
        assert_eq!(text_of(&Type::CIDR, &inet(2, 32, true, &[1, 2, 3, 4])), "1.2.3.4/32");
        assert_eq!(text_of(&Type::INET, &inet(3, 128, false, &v6([0; 8]))), "::");
        assert_eq!(text_of(&Type::INET, &inet(3, 128, false, &v6([0, 0, 0, 0, 0, 0, 0, 1]))), "::1");
        assert_eq!(text_of(&Type::INET, &inet(3, 128, false, &v6([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]))), "::ffff:1.2.3.4");
        assert_eq!(text_of(&Type::INET, &inet(3, 128, false, &v6([0, 0, 0, 0, 0, 0, 0x102, 0x304]))), "::1.2.3.4");
        // The first of two equally long runs; a single zero word stays.
        assert_eq!(text_of(&Type::INET, &inet(3, 128, false, &v6([1, 0, 0, 1, 0, 0, 1, 1]))), "1::1:0:0:1:1");
        assert_eq!(text_of(&Type::INET, &inet(3, 128, false, &v6([1, 0, 1, 0, 1, 0, 1, 0]))), "1:0:1:0:1:0:1:0");
        assert_eq!(text_of(&Type::CIDR, &inet(3, 32, true, &v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]))), "2001:db8::/32");
        assert_eq!(text_of(&Type::INET, &inet(4, 32, false, &[1, 2, 3, 4])), "<malformed value>");
    }

    /// A tsquery nests as deep as it has operators; its text is written
    /// without recursion.
    #[test]
    fn deep_tsquery_to_text() {
        let n = 200_000u32;
        let mut raw = (2 * n - 1).to_be_bytes().to_vec();
        for k in (0..n).rev() {
            if k > 0 {
                raw.extend_from_slice(&[2, 2]);
            }
            raw.extend_from_slice(&[1, 0, 0, b'a', 0]);
        }
        let text = text_of(&Type::TSQUERY, &raw);
        assert!(text.starts_with("'a' & 'a' & "), "{}", &text[..40]);
        assert_eq!(text.len(), n as usize * 3 + (n as usize - 1) * 3);
    }

    /// Malformed input (cut short, or one byte too many) reads as
    /// `<malformed value>` and never panics.
    #[test]
    fn malformed_values_do_not_panic() {
        let samples: Vec<(Type, Vec<u8>)> = vec![
            (Type::INET, inet(3, 128, false, &v6([1, 2, 3, 4, 5, 6, 7, 8]))),
            (Type::MACADDR, vec![1, 2, 3, 4, 5, 6]),
            (Type::VARBIT, vec![0, 0, 0, 9, 0xff, 0x80]),
            (Type::PATH, [&[1u8, 0, 0, 0, 1][..], &[0; 16]].concat()),
            (Type::POLYGON, [&[0u8, 0, 0, 1][..], &[0; 16]].concat()),
            (Type::CIRCLE, vec![0; 24]),
            (Type::TS_VECTOR, vec![0, 0, 0, 1, b'a', 0, 0, 1, 0xc0, 1]),
            (Type::TSQUERY, vec![0, 0, 0, 3, 2, 4, 0, 2, 1, 0, 0, b'a', 0, 1, 0, 1, b'b', 0]),
            (Type::TXID_SNAPSHOT, [&[0u8, 0, 0, 1][..], &[0; 24]].concat()),
            (Type::INT4_RANGE, vec![2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 9]),
            (Type::INT4MULTI_RANGE, vec![0, 0, 0, 1, 0, 0, 0, 1, 1]),
            (Type::INT4_ARRAY, vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 7]),
            (Type::INT2_VECTOR, vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 21, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 7]),
        ];
        for (ty, raw) in samples {
            let whole = text_of(&ty, &raw);
            assert_ne!(whole, "<malformed value>", "{ty}: the sample is well formed");
            for cut in 0..raw.len() {
                assert_eq!(text_of(&ty, &raw[..cut]), "<malformed value>", "{ty} cut to {cut} bytes");
            }
            let mut longer = raw.clone();
            longer.push(0);
            assert_eq!(text_of(&ty, &longer), "<malformed value>", "{ty} with a byte more");
        }
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
