//! Python's `marshal` format, version 2, for rows whose values are all
//! of the types it carries: `KEEL_BATCH_FORMAT_MARSHAL2`.
//!
//! Why a second format next to pickle: CPython's `marshal.loads` builds
//! a batch of plain rows (int, float, str, bytes, bool, None) about a
//! third faster than `pickle.loads` (no opcode stack, no memo), and
//! `marshal.dumps` writes a row of parameters in a quarter of
//! `pickle.dumps`' time. It has no way to name a constructor, so dates,
//! times, timestamps, decimals and UUIDs stay with pickle: a fetch in
//! this format refuses, before it reads a row, a result with a column of
//! those types (`cannot_carry`).
//!
//! The stream is what `marshal.dumps(rows, 2)` writes for a list of
//! tuples: `[` and a 32-bit count, then per row `(` and a count, then
//! per value `N` (None), `T`/`F` (bool), `i` (a 32-bit int), `l` (a
//! larger int: a signed count of 15-bit digits, least significant
//! first), `g` (a float as 8 bytes), `u` (str, UTF-8) or `s` (bytes),
//! each length a 32-bit count; every number little-endian. Version 2
//! has no references between objects, and every later version's reader
//! reads it (`marshal.loads` reads all versions and ignores bytes after
//! the object).

use crate::core::db::CurrentRow;
use crate::core::encode::{RowDecoder, RowEncoder};
use crate::core::error::{Error, Result, Status};
use crate::core::value::{Column, Type, ValueRef};

const LIST: u8 = b'[';
const TUPLE: u8 = b'(';
const NONE: u8 = b'N';
const TRUE: u8 = b'T';
const FALSE: u8 = b'F';
const INT: u8 = b'i';
const LONG: u8 = b'l';
const BINARY_FLOAT: u8 = b'g';
const UNICODE: u8 = b'u';
const INTERNED: u8 = b't';
const STRING: u8 = b's';

/// Whether every value of a column of type `kind` has a marshal form.
pub fn carries(kind: Type) -> bool {
    !matches!(kind, Type::Decimal | Type::Date | Type::Time | Type::Timestamp | Type::Timestamptz | Type::Uuid)
}

/// The error for a result with a column marshal cannot carry (`None`
/// when it has none), given before any row is read.
pub fn cannot_carry(columns: &[Column]) -> Option<Error> {
    let (i, c) = columns.iter().enumerate().find(|(_, c)| !carries(c.kind))?;
    Some(Error::new(
        Status::NotImplemented,
        format!(
            "column {i} ({:?}) is of type {}, which KEEL_BATCH_FORMAT_MARSHAL2 cannot carry; \
             fetch this result with KEEL_BATCH_FORMAT_PICKLE5",
            c.name,
            c.kind.name()
        ),
    ))
}

/// Writes one marshal stream: `[tuple, tuple, ...]`.
pub struct MarshalWriter {
    buf: Vec<u8>,
    rows: u32,
}

impl MarshalWriter {
    /// Start a stream in `buf`, which is cleared first (its capacity is
    /// reused).
    pub fn reusing(mut buf: Vec<u8>) -> MarshalWriter {
        buf.clear();
        // The count is written at the end.
        buf.extend_from_slice(&[LIST, 0, 0, 0, 0]);
        MarshalWriter { buf, rows: 0 }
    }

    /// Append one row of `n` values, read with `value(i)`. On error the
    /// stream is left as it was before the row.
    pub fn row<'a>(&mut self, n: usize, mut value: impl FnMut(usize) -> ValueRef<'a>) -> Result<()> {
        let start = self.buf.len();
        let r = (|| {
            self.buf.push(TUPLE);
            self.count(n)?;
            for i in 0..n {
                self.value(value(i)).map_err(|e| e.context(format_args!("column {i}")))?;
            }
            if self.rows == u32::MAX {
                return Err(Error::invalid_argument("more than 2^32 - 1 rows in one marshal stream"));
            }
            self.rows += 1;
            Ok(())
        })();
        if r.is_err() {
            self.buf.truncate(start);
        }
        r
    }

    /// Append one value.
    pub fn value(&mut self, v: ValueRef<'_>) -> Result<()> {
        match v {
            ValueRef::Null => self.buf.push(NONE),
            ValueRef::Bool(b) => self.buf.push(if b { TRUE } else { FALSE }),
            ValueRef::Int64(n) => match i32::try_from(n) {
                Ok(n) => self.int(n),
                Err(_) => self.long(n < 0, n.unsigned_abs()),
            },
            ValueRef::Uint64(n) => match i32::try_from(n) {
                Ok(n) => self.int(n),
                Err(_) => self.long(false, n),
            },
            ValueRef::Double(x) => {
                self.buf.push(BINARY_FLOAT);
                self.buf.extend_from_slice(&x.to_le_bytes());
            }
            ValueRef::Text(t) | ValueRef::Json(t) => {
                self.buf.push(UNICODE);
                self.count(t.len())?;
                self.buf.extend_from_slice(t.as_bytes());
            }
            ValueRef::Bytes(b) => {
                self.buf.push(STRING);
                self.count(b.len())?;
                self.buf.extend_from_slice(b);
            }
            other => {
                return Err(Error::invalid_argument(format!(
                    "a {} value has no form in KEEL_BATCH_FORMAT_MARSHAL2",
                    other.kind().name()
                )));
            }
        }
        Ok(())
    }

    /// An integer that fits 32 bits.
    fn int(&mut self, n: i32) {
        self.buf.push(INT);
        self.buf.extend_from_slice(&n.to_le_bytes());
    }

    /// A length or count, as marshal's signed 32-bit number.
    fn count(&mut self, n: usize) -> Result<()> {
        let n = i32::try_from(n).map_err(|_| Error::invalid_argument(format!("{n} is past marshal's 2^31 - 1 limit on a length")))?;
        self.buf.extend_from_slice(&n.to_le_bytes());
        Ok(())
    }

    /// An integer past 32 bits: its 15-bit digits, least significant
    /// first, after their count (negative for a negative number).
    fn long(&mut self, negative: bool, mut magnitude: u64) {
        let mut digits = [0u16; 5];
        let mut n = 0;
        while magnitude > 0 {
            digits[n] = (magnitude & 0x7fff) as u16;
            magnitude >>= 15;
            n += 1;
        }
        let size = if negative { -(n as i32) } else { n as i32 };
        self.buf.push(LONG);
        self.buf.extend_from_slice(&size.to_le_bytes());
        for d in &digits[..n] {
            self.buf.extend_from_slice(&d.to_le_bytes());
        }
    }

    /// End the stream and return its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf[1..5].copy_from_slice(&self.rows.to_le_bytes());
        self.buf
    }
}

impl RowEncoder for MarshalWriter {
    fn len(&self) -> usize {
        self.buf.len()
    }

    fn row(&mut self, row: &CurrentRow<'_>) -> Result<()> {
        MarshalWriter::row(self, row.column_count(), |i| row.value(i))
    }

    fn finish(self) -> Vec<u8> {
        MarshalWriter::finish(self)
    }
}

/// Reads parameter rows from a marshal stream of version 0 to 2, as
/// `marshal.dumps(rows, 2)` writes: one list or tuple whose items are rows,
/// each a tuple or list of `None`, `bool`, `int` (fitting int64 or
/// uint64), `float`, `str` or `bytes`. Any other type is refused, and a
/// later version's references are not read.
pub struct MarshalReader;

impl RowDecoder for MarshalReader {
    fn for_each_row<'a>(&self, data: &'a [u8], run: &mut dyn FnMut(usize, &[ValueRef<'a>]) -> Result<()>) -> Result<usize> {
        let mut r = Reader { data, at: 0 };
        let n = r.container("the rows")?;
        let mut row = Vec::new();
        for k in 0..n {
            let width = r.container("a row").map_err(|e| e.context(format_args!("row {k}")))?;
            row.clear();
            for i in 0..width {
                row.push(r.value().map_err(|e| e.context(format_args!("row {k}, parameter {i}")))?);
            }
            run(k, &row)?;
        }
        Ok(n)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bad(&self, why: impl std::fmt::Display) -> Error {
        Error::invalid_argument(format!("malformed marshal stream at byte {}: {why}", self.at)).not_sent()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len()).ok_or_else(|| self.bad("it ends early"))?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn len(&mut self) -> Result<usize> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| self.bad(format!("a negative length {n}")))
    }

    /// A list or tuple's length.
    fn container(&mut self, what: &str) -> Result<usize> {
        match self.byte()? {
            LIST | TUPLE => self.len(),
            c => Err(self.bad(format!("{what} must be a list or tuple, not type code {:?}", c as char))),
        }
    }

    fn value(&mut self) -> Result<ValueRef<'a>> {
        Ok(match self.byte()? {
            NONE => ValueRef::Null,
            TRUE => ValueRef::Bool(true),
            FALSE => ValueRef::Bool(false),
            INT => ValueRef::Int64(i64::from(self.i32()?)),
            LONG => self.long()?,
            BINARY_FLOAT => ValueRef::Double(f64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"))),
            UNICODE | INTERNED => {
                let n = self.len()?;
                let b = self.take(n)?;
                ValueRef::Text(std::str::from_utf8(b).map_err(|_| Error::invalid_argument("a str that is not valid UTF-8 (a lone surrogate?)").not_sent())?)
            }
            STRING => {
                let n = self.len()?;
                ValueRef::Bytes(self.take(n)?)
            }
            c => return Err(self.bad(format!("type code {:?} is not a value keel reads (None, bool, int, float, str or bytes)", c as char))),
        })
    }

    /// An `l` integer: int64 when it fits, else uint64, else an error.
    fn long(&mut self) -> Result<ValueRef<'a>> {
        let size = self.i32()?;
        let n = size.unsigned_abs() as usize;
        let digits = self.take(n.checked_mul(2).ok_or_else(|| self.bad("too many digits"))?)?;
        let mut magnitude: u128 = 0;
        for (k, d) in digits.chunks_exact(2).enumerate().rev() {
            let d = u16::from_le_bytes([d[0], d[1]]);
            if d >= 1 << 15 {
                return Err(self.bad("a digit of an int past 15 bits"));
            }
            if k >= 5 && d != 0 {
                return Err(too_large());
            }
            magnitude = (magnitude << 15) | u128::from(d);
        }
        if size < 0 {
            match i64::try_from(magnitude) {
                Ok(m) => Ok(ValueRef::Int64(-m)),
                Err(_) if magnitude == 1u128 << 63 => Ok(ValueRef::Int64(i64::MIN)),
                Err(_) => Err(too_large()),
            }
        } else if let Ok(m) = i64::try_from(magnitude) {
            Ok(ValueRef::Int64(m))
        } else {
            u64::try_from(magnitude).map(ValueRef::Uint64).map_err(|_| too_large())
        }
    }
}

fn too_large() -> Error {
    Error::invalid_argument("an integer that does not fit in 64 bits").with_sqlstate("22003").not_sent()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// `marshal.dumps([(1, -5, 2**31, -2**31-1, 2**63-1, 2**64-1, 1.5,
    /// 'héllo', b'\x00\x01', None, True, False)], 2)` from CPython 3.11.
    const SAMPLE: &str = "5b01000000280c000000690100000069fbffffff6c030000000000000002006cfdffffff0100000002006c05000000ff7fff7fff7fff7f07006c05000000ff7fff7fff7fff7f0f0067000000000000f83f750600000068c3a96c6c6f730200000000014e5446";

    fn sample_row() -> Vec<ValueRef<'static>> {
        vec![
            ValueRef::Int64(1),
            ValueRef::Int64(-5),
            ValueRef::Int64(1 << 31),
            ValueRef::Int64(-(1 << 31) - 1),
            ValueRef::Int64(i64::MAX),
            ValueRef::Uint64(u64::MAX),
            ValueRef::Double(1.5),
            ValueRef::Text("héllo"),
            ValueRef::Bytes(b"\x00\x01"),
            ValueRef::Null,
            ValueRef::Bool(true),
            ValueRef::Bool(false),
        ]
    }

    #[test]
    fn writes_what_cpython_writes() {
        let row = sample_row();
        let mut w = MarshalWriter::reusing(Vec::new());
        w.row(row.len(), |i| row[i]).unwrap();
        assert_eq!(w.finish(), hex(SAMPLE));
    }

    #[test]
    fn reads_what_cpython_writes() {
        let data = hex(SAMPLE);
        let mut seen = Vec::new();
        let n = MarshalReader.for_each_row(&data, &mut |_, row| {
            seen.push(row.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>());
            Ok(())
        });
        assert_eq!(n.unwrap(), 1);
        let want: Vec<String> = sample_row().iter().map(|v| format!("{v:?}")).collect();
        assert_eq!(seen, vec![want]);
    }

    #[test]
    fn the_extremes_of_64_bits_and_past_them() {
        // marshal.dumps([(-2**63,)], 2) and marshal.dumps([(2**64,)], 2)
        let min = hex("5b0100000028010000006cfbffffff00000000000000000800");
        let mut got = None;
        MarshalReader.for_each_row(&min, &mut |_, row| {
            got = Some(row[0]);
            Ok(())
        })
        .unwrap();
        assert!(matches!(got, Some(ValueRef::Int64(i64::MIN))));
        let mut w = MarshalWriter::reusing(Vec::new());
        w.row(1, |_| ValueRef::Int64(i64::MIN)).unwrap();
        assert_eq!(w.finish(), min);
        let past = hex("5b0100000028010000006c0500000000000000000000001000");
        let e = MarshalReader.for_each_row(&past, &mut |_, _| Ok(())).unwrap_err();
        assert_eq!(e.sqlstate, "22003");
        assert!(e.message.contains("row 0, parameter 0"), "{}", e.message);
    }

    #[test]
    fn refuses_what_it_does_not_read() {
        let cases: [(&[u8], &str); 5] = [
            (b"[\x01\x00\x00\x00(\x01\x00\x00\x00r\x00\x00\x00\x00", "type code 'r'"),
            (b"[\x01\x00\x00\x00(\x01\x00\x00\x00i\x01", "ends early"),
            (b"N", "must be a list or tuple"),
            (b"[\x01\x00\x00\x00(\x01\x00\x00\x00u\x01\x00\x00\x00\xff", "UTF-8"),
            (b"[\x01\x00\x00\x00(\xff\xff\xff\xff", "negative length"),
        ];
        for (data, want) in cases {
            let e = MarshalReader.for_each_row(data, &mut |_, _| Ok(())).unwrap_err();
            assert_eq!(e.status, Status::InvalidArgument, "{data:?}");
            assert!(e.message.contains(want), "{data:?}: {}", e.message);
        }
    }

    #[test]
    fn a_value_it_cannot_carry_leaves_the_stream_as_it_was() {
        let mut w = MarshalWriter::reusing(Vec::new());
        w.row(1, |_| ValueRef::Int64(7)).unwrap();
        let before = w.len();
        let e = w.row(2, |i| if i == 0 { ValueRef::Int64(1) } else { ValueRef::Date(3) }).unwrap_err();
        assert!(e.message.contains("column 1") && e.message.contains("date"), "{}", e.message);
        assert_eq!(w.len(), before);
        assert_eq!(w.finish(), hex("5b0100000028010000006907000000"));
    }
}
