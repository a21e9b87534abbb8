//! SQL Server types as the peer speaks them: which TDS type a column gets,
//! how a stored SQLite value is encoded in it, and how a parameter in a
//! request becomes a SQLite value.
//!
//! Storage is canonical text where SQLite has no type: decimals as exact
//! decimal text, dates as `YYYY-MM-DD`, times as `HH:MM:SS.fffffff`,
//! datetime2 as `YYYY-MM-DD HH:MM:SS.fffffff`, datetimeoffset as the local
//! time followed by ` +HH:MM`, GUIDs as upper-case text. A value is
//! converted to its column's type when it is read, so text such as
//! `2024-03-10 12:34:56+05:30` stored in a DATETIMEOFFSET column reads as
//! that instant with that offset.

use crate::wire::{Cur, from_ucs2, short};
use rusqlite::types::{Value as SqlValue, ValueRef as SqlRef};
use std::io;

/// Collation sent with character types: SQL_Latin1_General_CP1_CI_AS.
pub const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Bit,
    /// tinyint, smallint, int, bigint by byte width.
    Int(u8),
    Float(u8),
    Decimal(u8, u8),
    /// money (8) or smallmoney (4).
    Money(u8),
    /// varchar/char (single-byte, code page 1252); `max` when `None`.
    VarChar(Option<u16>, bool),
    NVarChar(Option<u16>, bool),
    VarBinary(Option<u16>, bool),
    Text,
    NText,
    Image,
    Date,
    Time(u8),
    DateTime2(u8),
    DateTimeOffset(u8),
    DateTime,
    SmallDateTime,
    Guid,
    Xml,
}

/// A conversion the target type refuses: SQL Server's error number and text.
#[derive(Debug)]
pub struct Refused {
    pub number: i32,
    pub message: String,
}

fn refused(number: i32, message: impl Into<String>) -> Refused {
    Refused { number, message: message.into() }
}

/// The TDS type of a column declared as `decl` (a SQL Server type name, as
/// kept by SQLite; the peer's `TEXT_` prefix is ignored). Unknown names are
/// nvarchar(max).
pub fn from_decl(decl: &str) -> Ty {
    let d = decl.trim().to_ascii_uppercase();
    let d = d.strip_prefix("TEXT_").unwrap_or(&d);
    let d = match d.strip_suffix("_MAX") {
        Some(base) => format!("{base}(MAX)"),
        None => d.to_owned(),
    };
    let (name, args) = match d.find('(') {
        Some(i) => (d[..i].trim(), d[i + 1..].trim_end_matches(')').split(',').map(|s| s.trim().to_owned()).collect()),
        None => (d.trim(), Vec::new()),
    };
    let n = |i: usize, dflt: u16| -> Option<u16> {
        match args.get(i).map(String::as_str) {
            Some("MAX") => None,
            Some(v) => v.parse().ok().or(Some(dflt)),
            None => Some(dflt),
        }
    };
    let scale = |dflt: u8| args.first().and_then(|v| v.parse().ok()).unwrap_or(dflt).min(7);
    match name {
        "BIT" => Ty::Bit,
        "TINYINT" => Ty::Int(1),
        "SMALLINT" => Ty::Int(2),
        "INT" => Ty::Int(4),
        // INTEGER is what the peer turns an IDENTITY column into.
        "BIGINT" | "INTEGER" => Ty::Int(8),
        "REAL" => Ty::Float(4),
        "FLOAT" => Ty::Float(if n(0, 53).unwrap_or(53) <= 24 { 4 } else { 8 }),
        "DOUBLE PRECISION" | "DOUBLE" => Ty::Float(8),
        "DECIMAL" | "NUMERIC" | "DEC" => {
            let p = args.first().and_then(|v| v.parse().ok()).unwrap_or(18u8).clamp(1, 38);
            let s = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(0u8).min(p);
            Ty::Decimal(p, s)
        }
        "MONEY" => Ty::Money(8),
        "SMALLMONEY" => Ty::Money(4),
        "CHAR" => Ty::VarChar(n(0, 1), true),
        "VARCHAR" => Ty::VarChar(n(0, 1), false),
        "NCHAR" => Ty::NVarChar(n(0, 1), true),
        "NVARCHAR" => Ty::NVarChar(n(0, 1), false),
        "BINARY" => Ty::VarBinary(n(0, 1), true),
        "VARBINARY" => Ty::VarBinary(n(0, 1), false),
        "TEXT" => Ty::Text,
        "NTEXT" => Ty::NText,
        "IMAGE" => Ty::Image,
        "DATE" => Ty::Date,
        "TIME" => Ty::Time(scale(7)),
        "DATETIME2" => Ty::DateTime2(scale(7)),
        "DATETIMEOFFSET" => Ty::DateTimeOffset(scale(7)),
        "DATETIME" => Ty::DateTime,
        "SMALLDATETIME" => Ty::SmallDateTime,
        "UNIQUEIDENTIFIER" => Ty::Guid,
        "XML" => Ty::Xml,
        _ => Ty::NVarChar(None, false),
    }
}

/// The name SQL Server gives the type (`sp_describe_first_result_set`'s
/// `system_type_name`): `"int"`, `"nvarchar(50)"`, `"decimal(10,2)"`.
pub fn type_name(ty: Ty) -> String {
    let n = |n: Option<u16>| n.map_or_else(|| "max".to_owned(), |n| n.to_string());
    match ty {
        Ty::Bit => "bit".into(),
        Ty::Int(1) => "tinyint".into(),
        Ty::Int(2) => "smallint".into(),
        Ty::Int(4) => "int".into(),
        Ty::Int(_) => "bigint".into(),
        Ty::Float(4) => "real".into(),
        Ty::Float(_) => "float".into(),
        Ty::Decimal(p, s) => format!("decimal({p},{s})"),
        Ty::Money(4) => "smallmoney".into(),
        Ty::Money(_) => "money".into(),
        Ty::VarChar(len, fixed) => format!("{}({})", if fixed { "char" } else { "varchar" }, n(len)),
        Ty::NVarChar(len, fixed) => format!("{}({})", if fixed { "nchar" } else { "nvarchar" }, n(len)),
        Ty::VarBinary(len, fixed) => format!("{}({})", if fixed { "binary" } else { "varbinary" }, n(len)),
        Ty::Text => "text".into(),
        Ty::NText => "ntext".into(),
        Ty::Image => "image".into(),
        Ty::Date => "date".into(),
        Ty::Time(s) => format!("time({s})"),
        Ty::DateTime2(s) => format!("datetime2({s})"),
        Ty::DateTimeOffset(s) => format!("datetimeoffset({s})"),
        Ty::DateTime => "datetime".into(),
        Ty::SmallDateTime => "smalldatetime".into(),
        Ty::Guid => "uniqueidentifier".into(),
        Ty::Xml => "xml".into(),
    }
}

/// The type of an expression column, from its first value.
pub fn from_value(v: Option<SqlRef<'_>>) -> Ty {
    match v {
        Some(SqlRef::Integer(_)) => Ty::Int(8),
        Some(SqlRef::Real(_)) => Ty::Float(8),
        Some(SqlRef::Blob(_)) => Ty::VarBinary(None, false),
        _ => Ty::NVarChar(None, false),
    }
}

fn time_len(scale: u8) -> u8 {
    match scale {
        0..=2 => 3,
        3..=4 => 4,
        _ => 5,
    }
}

fn decimal_len(p: u8) -> u8 {
    match p {
        1..=9 => 5,
        10..=19 => 9,
        20..=28 => 13,
        _ => 17,
    }
}

/// TYPE_INFO of a column (COLMETADATA), including the table name that
/// text, ntext and image carry.
pub fn type_info(ty: Ty, out: &mut Vec<u8>) {
    let sized = |out: &mut Vec<u8>, code: u8, n: Option<u16>, unit: u16, collation: bool| {
        out.push(code);
        out.extend_from_slice(&n.map_or(0xFFFF, |n| n.saturating_mul(unit)).to_le_bytes());
        if collation {
            out.extend_from_slice(&COLLATION);
        }
    };
    let lob = |out: &mut Vec<u8>, code: u8, collation: bool| {
        out.push(code);
        out.extend_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
        if collation {
            out.extend_from_slice(&COLLATION);
        }
        out.push(1); // one part in the table name
        crate::wire::us_varchar(out, "t");
    };
    match ty {
        Ty::Bit => out.extend_from_slice(&[0x68, 1]),
        Ty::Int(w) => out.extend_from_slice(&[0x26, w]),
        Ty::Float(w) => out.extend_from_slice(&[0x6D, w]),
        Ty::Money(w) => out.extend_from_slice(&[0x6E, w]),
        Ty::Decimal(p, s) => out.extend_from_slice(&[0x6A, decimal_len(p), p, s]),
        Ty::VarChar(n, fixed) => sized(out, if fixed { 0xAF } else { 0xA7 }, n, 1, true),
        Ty::NVarChar(n, fixed) => sized(out, if fixed { 0xEF } else { 0xE7 }, n, 2, true),
        Ty::VarBinary(n, fixed) => sized(out, if fixed { 0xAD } else { 0xA5 }, n, 1, false),
        Ty::Text => lob(out, 0x23, true),
        Ty::NText => lob(out, 0x63, true),
        Ty::Image => lob(out, 0x22, false),
        Ty::Date => out.push(0x28),
        Ty::Time(s) => out.extend_from_slice(&[0x29, s]),
        Ty::DateTime2(s) => out.extend_from_slice(&[0x2A, s]),
        Ty::DateTimeOffset(s) => out.extend_from_slice(&[0x2B, s]),
        Ty::DateTime => out.extend_from_slice(&[0x6F, 8]),
        Ty::SmallDateTime => out.extend_from_slice(&[0x6F, 4]),
        Ty::Guid => out.extend_from_slice(&[0x24, 16]),
        Ty::Xml => out.extend_from_slice(&[0xF1, 0]),
    }
}

fn plp(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    for chunk in data.chunks(1 << 20) {
        out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&0u32.to_le_bytes());
}

/// The NULL of a type, as ROW carries it.
pub fn encode_null(ty: Ty, out: &mut Vec<u8>) {
    match ty {
        Ty::VarChar(Some(_), _) | Ty::NVarChar(Some(_), _) | Ty::VarBinary(Some(_), _) => {
            out.extend_from_slice(&0xFFFFu16.to_le_bytes())
        }
        Ty::VarChar(None, _) | Ty::NVarChar(None, _) | Ty::VarBinary(None, _) | Ty::Xml => {
            out.extend_from_slice(&u64::MAX.to_le_bytes())
        }
        _ => out.push(0), // length 0 (and a text pointer length of 0 for text/ntext/image)
    }
}

fn as_text(v: SqlRef<'_>) -> Result<String, Refused> {
    Ok(match v {
        SqlRef::Null => String::new(),
        SqlRef::Integer(i) => i.to_string(),
        SqlRef::Real(f) => format!("{f:?}"),
        SqlRef::Text(t) => String::from_utf8(t.to_vec()).map_err(|_| refused(245, "stored text is not UTF-8"))?,
        SqlRef::Blob(b) => {
            let mut s = String::from("0x");
            for x in b {
                s.push_str(&format!("{x:02X}"));
            }
            s
        }
    })
}

fn conv_failed(v: &str, to: &str) -> Refused {
    refused(245, format!("Conversion failed when converting the value '{v}' to data type {to}."))
}

fn overflow(to: &str) -> Refused {
    refused(8115, format!("Arithmetic overflow error converting expression to data type {to}."))
}

/// Code page 1252 for the single-byte types; what it lacks becomes `?`, as
/// on SQL Server with a non-UTF-8 collation.
pub fn to_cp1252(s: &str) -> Vec<u8> {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    s.chars()
        .map(|c| match c as u32 {
            0..=0x7F | 0xA0..=0xFF => c as u8,
            _ => HIGH.iter().position(|&h| h == c).map_or(b'?', |i| 0x80 + i as u8),
        })
        .collect()
}

pub fn from_cp1252(b: &[u8]) -> String {
    b.iter().map(|&x| x as char).collect()
}

/// Encode a stored value as a ROW value of `ty`.
pub fn encode_value(ty: Ty, v: SqlRef<'_>, out: &mut Vec<u8>) -> Result<(), Refused> {
    if let SqlRef::Null = v {
        encode_null(ty, out);
        return Ok(());
    }
    match ty {
        Ty::Bit => {
            let b = match v {
                SqlRef::Integer(i) => i != 0,
                SqlRef::Real(f) => f != 0.0,
                _ => {
                    let t = as_text(v)?;
                    match t.trim().to_ascii_lowercase().as_str() {
                        "1" | "true" => true,
                        "0" | "false" => false,
                        _ => return Err(conv_failed(&t, "bit")),
                    }
                }
            };
            out.extend_from_slice(&[1, b as u8]);
        }
        Ty::Int(w) => {
            let i = match v {
                SqlRef::Integer(i) => i,
                SqlRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => f as i64,
                _ => {
                    let t = as_text(v)?;
                    t.trim().parse::<i64>().map_err(|_| conv_failed(&t, "int"))?
                }
            };
            let name = ["", "tinyint", "smallint", "", "int", "", "", "", "bigint"][w as usize];
            let ok = match w {
                1 => (0..=255).contains(&i),
                2 => i16::try_from(i).is_ok(),
                4 => i32::try_from(i).is_ok(),
                _ => true,
            };
            if !ok {
                return Err(overflow(name));
            }
            out.push(w);
            out.extend_from_slice(&i.to_le_bytes()[..w as usize]);
        }
        Ty::Float(w) => {
            let f = match v {
                SqlRef::Integer(i) => i as f64,
                SqlRef::Real(f) => f,
                _ => {
                    let t = as_text(v)?;
                    t.trim().parse::<f64>().map_err(|_| conv_failed(&t, "float"))?
                }
            };
            out.push(w);
            if w == 4 {
                out.extend_from_slice(&(f as f32).to_le_bytes());
            } else {
                out.extend_from_slice(&f.to_le_bytes());
            }
        }
        Ty::Decimal(p, s) => {
            let t = as_text(v)?;
            let (neg, mag) = parse_decimal(&t, s).ok_or_else(|| conv_failed(&t, "numeric"))?;
            if mag >= 10u128.pow(p as u32) {
                return Err(refused(8115, "Arithmetic overflow error converting numeric to data type numeric."));
            }
            let len = decimal_len(p);
            out.push(len);
            out.push(if neg { 0 } else { 1 });
            out.extend_from_slice(&mag.to_le_bytes()[..len as usize - 1]);
        }
        Ty::Money(w) => {
            let t = as_text(v)?;
            let (neg, mag) = parse_decimal(&t, 4).ok_or_else(|| conv_failed(&t, "money"))?;
            let n = i64::try_from(mag).map_err(|_| overflow("money"))?;
            let n = if neg { -n } else { n };
            out.push(w);
            if w == 4 {
                let n = i32::try_from(n).map_err(|_| overflow("smallmoney"))?;
                out.extend_from_slice(&n.to_le_bytes());
            } else {
                out.extend_from_slice(&((n >> 32) as i32).to_le_bytes());
                out.extend_from_slice(&(n as u32).to_le_bytes());
            }
        }
        Ty::VarChar(n, fixed) | Ty::NVarChar(n, fixed) => {
            let mut t = as_text(v)?;
            if let (Some(n), true) = (n, fixed) {
                while t.chars().count() < n as usize {
                    t.push(' ');
                }
            }
            let bytes = if matches!(ty, Ty::VarChar(..)) { to_cp1252(&t) } else { crate::wire::ucs2(&t) };
            match n {
                Some(n) => {
                    let unit = if matches!(ty, Ty::VarChar(..)) { 1 } else { 2 };
                    if bytes.len() > n as usize * unit {
                        return Err(refused(2628, "String or binary data would be truncated."));
                    }
                    out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                    out.extend_from_slice(&bytes);
                }
                None => plp(out, &bytes),
            }
        }
        Ty::Xml => plp(out, &crate::wire::ucs2(&as_text(v)?)),
        Ty::VarBinary(n, fixed) => {
            let mut bytes = match v {
                SqlRef::Blob(b) => b.to_vec(),
                other => as_text(other)?.into_bytes(),
            };
            match n {
                Some(n) => {
                    if fixed {
                        bytes.resize(bytes.len().max(n as usize), 0);
                    }
                    if bytes.len() > n as usize {
                        return Err(refused(2628, "String or binary data would be truncated."));
                    }
                    out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
                    out.extend_from_slice(&bytes);
                }
                None => plp(out, &bytes),
            }
        }
        Ty::Text | Ty::NText | Ty::Image => {
            let bytes = match (ty, v) {
                (Ty::Image, SqlRef::Blob(b)) => b.to_vec(),
                (Ty::Image, other) => as_text(other)?.into_bytes(),
                (Ty::Text, other) => to_cp1252(&as_text(other)?),
                (_, other) => crate::wire::ucs2(&as_text(other)?),
            };
            out.push(16);
            out.extend_from_slice(&[0xAB; 16]); // text pointer
            out.extend_from_slice(&[0; 8]); // timestamp
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(&bytes);
        }
        Ty::Date => {
            let t = as_text(v)?;
            let (d, _, _) = parse_datetime(&t).ok_or_else(|| refused(241, format!("Conversion failed when converting date and/or time from character string '{t}'.")))?;
            out.push(3);
            put_date(out, d);
        }
        Ty::Time(s) => {
            let t = as_text(v)?;
            let ticks = parse_time_of_day(t.trim()).or_else(|| parse_datetime(&t).map(|x| x.1));
            let ticks = ticks.ok_or_else(|| refused(241, format!("Conversion failed when converting date and/or time from character string '{t}'.")))?;
            out.push(time_len(s));
            put_time(out, ticks, s);
        }
        Ty::DateTime2(s) | Ty::DateTimeOffset(s) => {
            let t = as_text(v)?;
            let (d, ticks, off) = parse_datetime(&t).ok_or_else(|| refused(241, format!("Conversion failed when converting date and/or time from character string '{t}'.")))?;
            if let Ty::DateTimeOffset(_) = ty {
                let off = off.unwrap_or(0);
                // The wire carries UTC plus the offset.
                let utc = (d as i128) * TICKS_PER_DAY as i128 + ticks as i128 - off as i128 * 600_000_000;
                let (ud, ut) = (utc.div_euclid(TICKS_PER_DAY as i128) as i64, utc.rem_euclid(TICKS_PER_DAY as i128) as u64);
                out.push(time_len(s) + 5);
                put_time(out, ut, s);
                put_date(out, ud);
                out.extend_from_slice(&off.to_le_bytes());
            } else {
                out.push(time_len(s) + 3);
                put_time(out, ticks, s);
                put_date(out, d);
            }
        }
        Ty::DateTime | Ty::SmallDateTime => {
            let t = as_text(v)?;
            let (d, ticks, _) = parse_datetime(&t).ok_or_else(|| refused(241, format!("Conversion failed when converting date and/or time from character string '{t}'.")))?;
            let days = d - days_from_civil(1900, 1, 1);
            if ty == Ty::DateTime {
                let frags = ((ticks as u128 * 300 + 5_000_000) / 10_000_000) as u32;
                out.push(8);
                out.extend_from_slice(&(days as i32).to_le_bytes());
                out.extend_from_slice(&frags.to_le_bytes());
            } else {
                let mins = (ticks / 600_000_000) as u16;
                out.push(4);
                out.extend_from_slice(&(days as u16).to_le_bytes());
                out.extend_from_slice(&mins.to_le_bytes());
            }
        }
        Ty::Guid => {
            let t = as_text(v)?;
            let g = parse_guid(&t).ok_or_else(|| refused(8169, "Conversion failed when converting from a character string to uniqueidentifier."))?;
            out.push(16);
            out.extend_from_slice(&guid_wire(g));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// parameters of RPC requests (what tiberius sends) → SQLite values

fn read_plp(c: &mut Cur<'_>) -> io::Result<Option<Vec<u8>>> {
    let total = c.u64()?;
    if total == u64::MAX {
        return Ok(None);
    }
    let mut v = Vec::new();
    loop {
        let n = c.u32()? as usize;
        if n == 0 {
            return Ok(Some(v));
        }
        v.extend_from_slice(c.take(n)?);
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// A TYPE_INFO as read from a client (an RPC parameter's, or a bulk
/// load's COLMETADATA): the type code and what reading a value needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    pub code: u8,
    /// The declared length of a character or binary type (0xFFFF: max).
    max: u16,
    /// The scale of a decimal, time, datetime2 or datetimeoffset.
    scale: u8,
}

/// Read a TYPE_INFO.
pub fn read_type_info(c: &mut Cur<'_>) -> io::Result<TypeInfo> {
    let code = c.u8()?;
    let mut ti = TypeInfo { code, max: 0, scale: 0 };
    match code {
        0x1F | 0x28 => {}
        0x26 | 0x68 | 0x6D | 0x6E | 0x24 | 0x6F => {
            c.u8()?; // the length
        }
        0x6A | 0x6C => {
            c.u8()?; // the length
            c.u8()?; // the precision
            ti.scale = c.u8()?;
        }
        0xE7 | 0xEF | 0xA7 | 0xAF | 0xA5 | 0xAD => {
            ti.max = c.u16()?;
            if matches!(code, 0xE7 | 0xEF | 0xA7 | 0xAF) {
                c.take(5)?; // collation
            }
        }
        0xF1 => {
            if c.u8()? != 0 {
                c.b_varchar()?;
                c.b_varchar()?;
                let n = c.u16()? as usize;
                c.ucs2(n)?;
            }
        }
        0x29 | 0x2A | 0x2B => ti.scale = c.u8()?,
        other => return Err(bad(&format!("the peer does not read values of TDS type 0x{other:02X}"))),
    }
    Ok(ti)
}

/// Read one value of a type, as a parameter or a row carries it.
pub fn read_value(c: &mut Cur<'_>, ti: &TypeInfo) -> io::Result<SqlValue> {
    let code = ti.code;
    Ok(match code {
        0x1F => SqlValue::Null,
        0x26 => match c.u8()? {
            0 => SqlValue::Null,
            1 => SqlValue::Integer(c.u8()? as i64),
            2 => SqlValue::Integer(c.u16()? as i16 as i64),
            4 => SqlValue::Integer(c.u32()? as i32 as i64),
            8 => SqlValue::Integer(c.u64()? as i64),
            _ => return Err(bad("bad int length")),
        },
        0x68 => match c.u8()? {
            0 => SqlValue::Null,
            _ => SqlValue::Integer((c.u8()? != 0) as i64),
        },
        0x6D => match c.u8()? {
            0 => SqlValue::Null,
            4 => SqlValue::Real(f32::from_bits(c.u32()?) as f64),
            8 => SqlValue::Real(f64::from_bits(c.u64()?)),
            _ => return Err(bad("bad float length")),
        },
        0x6A | 0x6C => {
            let n = c.u8()? as usize;
            if n == 0 {
                SqlValue::Null
            } else {
                let sign = c.u8()?;
                let mut mag = [0u8; 16];
                let raw = c.take(n - 1)?;
                mag[..raw.len().min(16)].copy_from_slice(&raw[..raw.len().min(16)]);
                SqlValue::Text(format_decimal(sign == 0, u128::from_le_bytes(mag), ti.scale))
            }
        }
        0x6E => match c.u8()? {
            0 => SqlValue::Null,
            4 => {
                let n = c.u32()? as i32 as i128;
                SqlValue::Text(format_decimal(n < 0, n.unsigned_abs(), 4))
            }
            _ => {
                let hi = c.u32()? as i32 as i64;
                let lo = c.u32()? as i64;
                let n = (hi << 32 | lo) as i128;
                SqlValue::Text(format_decimal(n < 0, n.unsigned_abs(), 4))
            }
        },
        0x24 => match c.u8()? {
            0 => SqlValue::Null,
            _ => {
                let raw: [u8; 16] = c.take(16)?.try_into().unwrap();
                SqlValue::Text(format_guid(guid_wire(raw)))
            }
        },
        0xE7 | 0xEF | 0xA7 | 0xAF | 0xA5 | 0xAD => {
            let raw = if ti.max == 0xFFFF {
                read_plp(c)?
            } else {
                match c.u16()? {
                    0xFFFF => None,
                    n => Some(c.take(n as usize)?.to_vec()),
                }
            };
            match raw {
                None => SqlValue::Null,
                Some(b) => match code {
                    0xE7 | 0xEF => SqlValue::Text(from_ucs2(&b)?),
                    0xA7 | 0xAF => SqlValue::Text(from_cp1252(&b)),
                    _ => SqlValue::Blob(b),
                },
            }
        }
        0xF1 => match read_plp(c)? {
            None => SqlValue::Null,
            Some(b) => SqlValue::Text(from_ucs2(&b)?),
        },
        0x28 => match c.u8()? {
            0 => SqlValue::Null,
            _ => SqlValue::Text(format_date(read_date(c)?)),
        },
        0x29 | 0x2A | 0x2B => {
            let n = c.u8()?;
            if n == 0 {
                SqlValue::Null
            } else {
                let ticks = read_time(c, ti.scale)?;
                match code {
                    0x29 => SqlValue::Text(format_time(ticks)),
                    0x2A => SqlValue::Text(format!("{} {}", format_date(read_date(c)?), format_time(ticks))),
                    _ => {
                        let d = read_date(c)?;
                        let off = c.u16()? as i16;
                        let local = d as i128 * TICKS_PER_DAY as i128 + ticks as i128 + off as i128 * 600_000_000;
                        let (ld, lt) = (local.div_euclid(TICKS_PER_DAY as i128) as i64, local.rem_euclid(TICKS_PER_DAY as i128) as u64);
                        SqlValue::Text(format!("{} {} {}", format_date(ld), format_time(lt), format_offset(off)))
                    }
                }
            }
        }
        0x6F => match c.u8()? {
            0 => SqlValue::Null,
            4 => {
                let days = c.u16()? as i64 + days_from_civil(1900, 1, 1);
                let mins = c.u16()? as u64;
                SqlValue::Text(format!("{} {}", format_date(days), format_time(mins * 600_000_000)))
            }
            _ => {
                let days = c.u32()? as i32 as i64 + days_from_civil(1900, 1, 1);
                let frags = c.u32()? as u64;
                SqlValue::Text(format!("{} {}", format_date(days), format_time(frags * 10_000_000 / 300)))
            }
        },
        other => return Err(bad(&format!("the peer does not read values of TDS type 0x{other:02X}"))),
    })
}

/// Read TYPE_INFO and value of one RPC parameter.
pub fn read_param(c: &mut Cur<'_>) -> io::Result<SqlValue> {
    let ti = read_type_info(c)?;
    read_value(c, &ti)
}

// ---------------------------------------------------------------------------
// calendar, time and number helpers (ticks are 100 ns)

pub const TICKS_PER_DAY: u64 = 864_000_000_000;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const DAY_ONE: i64 = -719_162; // 0001-01-01

fn put_date(out: &mut Vec<u8>, days: i64) {
    let n = (days - DAY_ONE) as u32;
    out.extend_from_slice(&n.to_le_bytes()[..3]);
}

fn read_date(c: &mut Cur<'_>) -> io::Result<i64> {
    let b = c.take(3)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], 0]) as i64 + DAY_ONE)
}

fn put_time(out: &mut Vec<u8>, ticks: u64, scale: u8) {
    let n = ticks / 10u64.pow(7 - scale as u32);
    out.extend_from_slice(&n.to_le_bytes()[..time_len(scale) as usize]);
}

fn read_time(c: &mut Cur<'_>, scale: u8) -> io::Result<u64> {
    if scale > 7 {
        return Err(short());
    }
    let b = c.take(time_len(scale) as usize)?;
    let mut x = [0u8; 8];
    x[..b.len()].copy_from_slice(b);
    Ok(u64::from_le_bytes(x) * 10u64.pow(7 - scale as u32))
}

pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn format_time(ticks: u64) -> String {
    let s = ticks / 10_000_000;
    format!("{:02}:{:02}:{:02}.{:07}", s / 3600, s / 60 % 60, s % 60, ticks % 10_000_000)
}

fn format_offset(min: i16) -> String {
    let a = min.unsigned_abs();
    format!("{}{:02}:{:02}", if min < 0 { '-' } else { '+' }, a / 60, a % 60)
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `HH:MM[:SS[.fffffff]]` → ticks.
pub fn parse_time_of_day(t: &str) -> Option<u64> {
    let (hms, frac) = match t.split_once('.') {
        Some((a, b)) => (a, b),
        None => (t, ""),
    };
    let mut it = hms.split(':');
    let h = digits(it.next()?)? as u64;
    let m = digits(it.next()?)? as u64;
    let s = it.next().map_or(Some(0), digits)? as u64;
    if it.next().is_some() || h > 23 || m > 59 || s > 59 || frac.len() > 7 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut f = frac.to_owned();
    while f.len() < 7 {
        f.push('0');
    }
    Some(((h * 60 + m) * 60 + s) * 10_000_000 + f.parse::<u64>().ok()?)
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][ ][Z|±HH:MM]` → (days, ticks, offset minutes).
pub fn parse_datetime(t: &str) -> Option<(i64, u64, Option<i16>)> {
    let t = t.trim();
    let date = t.get(..10)?;
    let mut p = date.split('-');
    let y = digits(p.next()?)? as i64;
    let m = digits(p.next()?)?;
    let d = digits(p.next()?)?;
    if !(1..=12).contains(&m) || d == 0 || d > 31 || !(1..=9999).contains(&y) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return None;
    }
    let rest = t[10..].trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some((days, 0, None));
    }
    let (time, zone) = match rest.find(['+', '-', 'Z', ' ']) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let ticks = parse_time_of_day(time)?;
    let off = match zone {
        "" => None,
        "Z" => Some(0),
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (h, m) = z.get(1..)?.split_once(':').unwrap_or((z.get(1..3)?, z.get(3..).unwrap_or("0")));
            let (h, m) = (digits(h)? as i16, digits(if m.is_empty() { "0" } else { m })? as i16);
            if h > 14 || m > 59 {
                return None;
            }
            Some(sign * (h * 60 + m))
        }
    };
    Some((days, ticks, off))
}

/// Exact decimal text at `scale` digits, rounding half away from zero.
pub fn parse_decimal(t: &str, scale: u8) -> Option<(bool, u128)> {
    let t = t.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty()) || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        // Doubles SQLite formats with an exponent.
        let f: f64 = t.parse().ok()?;
        return parse_decimal(&format!("{}{:.*}", if neg { "-" } else { "" }, scale as usize, f), scale);
    }
    let mut mag: u128 = 0;
    for b in int.bytes() {
        mag = mag.checked_mul(10)?.checked_add((b - b'0') as u128)?;
    }
    let fb = frac.as_bytes();
    for i in 0..scale as usize {
        mag = mag.checked_mul(10)?.checked_add(fb.get(i).map_or(0, |b| (b - b'0') as u128))?;
    }
    if fb.get(scale as usize).is_some_and(|b| *b >= b'5') {
        mag += 1;
    }
    Some((neg && mag != 0, mag))
}

pub fn format_decimal(neg: bool, mag: u128, scale: u8) -> String {
    let s = mag.to_string();
    let scale = scale as usize;
    let body = if scale == 0 {
        s
    } else if s.len() > scale {
        format!("{}.{}", &s[..s.len() - scale], &s[s.len() - scale..])
    } else {
        format!("0.{}{}", "0".repeat(scale - s.len()), s)
    };
    if neg && mag != 0 { format!("-{body}") } else { body }
}

/// A GUID in SQL Server's byte order ↔ the canonical (big-endian) order:
/// the first three groups are swapped (the mapping is its own inverse).
pub fn guid_wire(mut b: [u8; 16]) -> [u8; 16] {
    b.swap(0, 3);
    b.swap(1, 2);
    b.swap(4, 5);
    b.swap(6, 7);
    b
}

pub fn format_guid(b: [u8; 16]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

pub fn parse_guid(t: &str) -> Option<[u8; 16]> {
    let hex: String = t.trim().trim_matches(['{', '}']).chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types() {
        assert_eq!(from_decl("DECIMAL(38,10)"), Ty::Decimal(38, 10));
        assert_eq!(from_decl("TEXT_DECIMAL(38,10)"), Ty::Decimal(38, 10));
        assert_eq!(from_decl("nvarchar(max)"), Ty::NVarChar(None, false));
        assert_eq!(from_decl("VARBINARY_MAX"), Ty::VarBinary(None, false));
        assert_eq!(from_decl("VARCHAR(10)"), Ty::VarChar(Some(10), false));
        assert_eq!(from_decl("TIME"), Ty::Time(7));
        assert_eq!(from_decl("DATETIME2(3)"), Ty::DateTime2(3));
        assert_eq!(from_decl("int"), Ty::Int(4));
        assert_eq!(from_decl("JSON"), Ty::NVarChar(None, false));
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("12.5", 10), Some((false, 125_000_000_000)));
        assert_eq!(format_decimal(false, 125_000_000_000, 10), "12.5000000000");
        assert_eq!(format_decimal(true, 1, 10), "-0.0000000001");
        assert_eq!(parse_decimal("1.005", 2), Some((false, 101)));
        assert_eq!(parse_decimal("-0.001", 2), Some((false, 0)));
        assert_eq!(parse_decimal("abc", 2), None);
    }

    #[test]
    fn datetimes() {
        let (d, t, o) = parse_datetime("2024-03-10 12:34:56.789012+05:30").unwrap();
        assert_eq!(format_date(d), "2024-03-10");
        assert_eq!(format_time(t), "12:34:56.7890120");
        assert_eq!(o, Some(330));
        assert_eq!(parse_datetime("2024-02-30"), None);
        assert_eq!(parse_datetime("0001-01-01").unwrap().0, DAY_ONE);
        assert_eq!(parse_datetime("2024-01-02 10:00 -08:00").unwrap().2, Some(-480));
    }

    #[test]
    fn guid_round_trip() {
        let g = parse_guid("123e4567-e89b-12d3-a456-426614174000").unwrap();
        assert_eq!(format_guid(g), "123E4567-E89B-12D3-A456-426614174000");
        assert_eq!(guid_wire(guid_wire(g)), g);
    }
}
