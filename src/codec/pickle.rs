//! The pickle codec: Python's wire format for batches of rows, both ways.
//! Result rows go out as a pickle stream ([`PickleWriter`], a
//! [`RowEncoder`]), so a caller whose per-call cost is high (Python's
//! ctypes: about 1 µs a call) reads a whole batch with one call instead of
//! one call per value; parameter rows come in as one
//! ([`PickleReader`], a [`RowDecoder`]).
//!
//! # Why a pickle stream
//!
//! The buffer is a **pickle protocol 5 stream** of one `list` of `tuple`s.
//! CPython's `pickle.loads` is implemented in C (`_pickle`), ships with
//! every CPython, and builds every row object in C: ints, floats, str,
//! bytes, None and bools directly from their opcodes, and `Decimal`,
//! `date`, `time`, `datetime` and `UUID` by calling their stdlib
//! constructors through `STACK_GLOBAL` + `REDUCE` (each constructor looked
//! up once per buffer and memoized). The alternatives each leave a
//! per-value loop in Python: `struct.unpack` needs a Python-level pass to
//! cut strings and map types, `marshal` has no way to make Decimal or
//! datetime objects, and Arrow needs pyarrow, which is not in the stdlib.
//! The stream uses only opcodes that every protocol-4/5 unpickler knows,
//! so it loads on every supported CPython; it names only the six stdlib
//! callables below and nothing else, so loading it runs no other code.
//!
//! Value mapping (the same for every engine, from the core `ValueRef`):
//! NULL → `None`; bool → `True`/`False`; int64/uint64 → `int`; double →
//! `float`; text and JSON → `str` (JSON is not parsed); bytes → `bytes`;
//! decimal → `decimal.Decimal(text)`; date → `datetime.date(y, m, d)`;
//! time → `datetime.time(h, m, s, us)`; timestamp → naive
//! `datetime.datetime(...)`; timestamptz → `datetime.datetime(...,
//! datetime.timezone.utc)`; uuid → `uuid.UUID(None, bytes16)`. Dates
//! outside years 1..=9999, which Python cannot hold, are an error
//! (INVALID_DATA, SQLSTATE 22008) rather than a silent change of type.

use crate::core::db::CurrentRow;
use crate::core::encode::{RowDecoder, RowEncoder};
use crate::core::error::{Error, Result};
use crate::core::value::{MICROS_PER_DAY, MICROS_PER_SECOND, ValueRef, civil_from_days};
use std::collections::HashMap;

// Pickle opcodes (see CPython's Lib/pickletools.py).
const PROTO: u8 = 0x80;
const EMPTY_LIST: u8 = b']';
const MARK: u8 = b'(';
const APPENDS: u8 = b'e';
const STOP: u8 = b'.';
const EMPTY_TUPLE: u8 = b')';
const TUPLE: u8 = b't';
const TUPLE1: u8 = 0x85;
const TUPLE2: u8 = 0x86;
const TUPLE3: u8 = 0x87;
const NONE: u8 = b'N';
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const BININT: u8 = b'J';
const LONG1: u8 = 0x8a;
const BINFLOAT: u8 = b'G';
const SHORT_BINUNICODE: u8 = 0x8c;
const BINUNICODE: u8 = b'X';
const BINUNICODE8: u8 = 0x8d;
const SHORT_BINBYTES: u8 = b'C';
const BINBYTES: u8 = b'B';
const BINBYTES8: u8 = 0x8e;
const STACK_GLOBAL: u8 = 0x93;
const MEMOIZE: u8 = 0x94;
const BINGET: u8 = b'h';
const LONG_BINGET: u8 = b'j';
const REDUCE: u8 = b'R';

/// The stdlib callables a stream may name, as (module, qualified name).
#[derive(Clone, Copy)]
enum Global {
    Decimal = 0,
    Date = 1,
    Time = 2,
    DateTime = 3,
    Utc = 4,
    Uuid = 5,
    Timezone = 6,
    Timedelta = 7,
}

const GLOBALS: [(&str, &str); 8] = [
    ("decimal", "Decimal"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "datetime"),
    ("datetime", "timezone.utc"),
    ("uuid", "UUID"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
];

/// Writes one pickle stream: `[tuple, tuple, ...]`.
pub struct PickleWriter {
    buf: Vec<u8>,
    memo: [Option<u32>; 8],
    next_memo: u32,
}

impl Default for PickleWriter {
    fn default() -> Self {
        PickleWriter::new()
    }
}

impl PickleWriter {
    /// Start a stream: protocol 5, an empty list, and a MARK for APPENDS.
    pub fn new() -> PickleWriter {
        PickleWriter::reusing(Vec::with_capacity(4096))
    }

    /// Start a stream in `buf`, which is cleared first: its capacity is
    /// reused, so a cursor fetching batch after batch allocates once.
    pub fn reusing(mut buf: Vec<u8>) -> PickleWriter {
        buf.clear();
        buf.extend_from_slice(&[PROTO, 5, EMPTY_LIST, MARK]);
        PickleWriter { buf, memo: [None; 8], next_memo: 0 }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() <= 4
    }

    /// End the stream and return its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&[APPENDS, STOP]);
        self.buf
    }

    /// Append one row of `n` values, read with `value(i)`. On error the
    /// stream is left as it was before the row.
    pub fn row<'a>(&mut self, n: usize, value: impl FnMut(usize) -> Result<ValueRef<'a>>) -> Result<()> {
        self.row_zoned(n, value, |_| None)
    }

    /// [`PickleWriter::row`], where `zone(i)` gives the UTC offset a
    /// timestamptz in column `i` was stored with (see
    /// [`PickleWriter::value_zoned`]).
    pub fn row_zoned<'a>(
        &mut self,
        n: usize,
        mut value: impl FnMut(usize) -> Result<ValueRef<'a>>,
        mut zone: impl FnMut(usize) -> Option<i32>,
    ) -> Result<()> {
        let start = self.buf.len();
        let memo = (self.memo, self.next_memo);
        let r = (|| {
            if n == 0 {
                self.buf.push(EMPTY_TUPLE);
                return Ok(());
            }
            if n > 3 {
                self.buf.push(MARK);
            }
            for i in 0..n {
                let v = value(i)?;
                let z = if matches!(v, ValueRef::Timestamptz(_)) { zone(i) } else { None };
                self.value_zoned(v, z).map_err(|e| e.context(format_args!("column {i}")))?;
            }
            self.buf.push(match n {
                1 => TUPLE1,
                2 => TUPLE2,
                3 => TUPLE3,
                _ => TUPLE,
            });
            Ok(())
        })();
        if r.is_err() {
            self.buf.truncate(start);
            (self.memo, self.next_memo) = memo;
        }
        r
    }

    /// Append one value.
    pub fn value(&mut self, v: ValueRef<'_>) -> Result<()> {
        self.value_zoned(v, None)
    }

    /// Append one value; a timestamptz with `offset` (seconds east) is the
    /// local time there with `datetime.timezone(timedelta(0, offset))`,
    /// otherwise in UTC.
    pub fn value_zoned(&mut self, v: ValueRef<'_>, offset: Option<i32>) -> Result<()> {
        match v {
            ValueRef::Null => self.buf.push(NONE),
            ValueRef::Bool(b) => self.buf.push(if b { NEWTRUE } else { NEWFALSE }),
            ValueRef::Int64(n) => self.int(n),
            ValueRef::Uint64(n) => match i64::try_from(n) {
                Ok(n) => self.int(n),
                Err(_) => {
                    // 9 bytes, little-endian two's complement, sign byte 0.
                    self.buf.extend_from_slice(&[LONG1, 9]);
                    self.buf.extend_from_slice(&n.to_le_bytes());
                    self.buf.push(0);
                }
            },
            ValueRef::Double(d) => {
                self.buf.push(BINFLOAT);
                self.buf.extend_from_slice(&d.to_be_bytes());
            }
            ValueRef::Text(t) | ValueRef::Json(t) => self.str(t),
            ValueRef::Bytes(b) => self.bytes(b),
            ValueRef::Decimal(t) => {
                self.global(Global::Decimal);
                self.str(t);
                self.buf.extend_from_slice(&[TUPLE1, REDUCE]);
            }
            ValueRef::Date(days) => {
                let (y, m, d) = ymd(days as i64)?;
                self.global(Global::Date);
                self.int(y);
                self.int(m as i64);
                self.int(d as i64);
                self.buf.extend_from_slice(&[TUPLE3, REDUCE]);
            }
            ValueRef::Time(us) => {
                if !(0..MICROS_PER_DAY).contains(&us) {
                    return Err(Error::invalid_data(format!("time value {us} µs is not within one day"))
                        .with_sqlstate("22008"));
                }
                self.global(Global::Time);
                self.buf.push(MARK);
                self.hms(us);
                self.buf.extend_from_slice(&[TUPLE, REDUCE]);
            }
            ValueRef::Timestamp(us) | ValueRef::Timestamptz(us) => {
                // Local time at the offset; near the ends of i64 it lies
                // beyond them, far outside Python's years anyway.
                let us = us.checked_add(offset.unwrap_or(0) as i64 * MICROS_PER_SECOND).ok_or_else(|| {
                    Error::invalid_data(format!("timestamp {us} µs at offset {} s is outside years 1 to 9999", offset.unwrap_or(0)))
                        .with_sqlstate("22008")
                })?;
                let (y, m, d) = ymd(us.div_euclid(MICROS_PER_DAY))?;
                self.global(Global::DateTime);
                self.buf.push(MARK);
                self.int(y);
                self.int(m as i64);
                self.int(d as i64);
                self.hms(us.rem_euclid(MICROS_PER_DAY));
                match (v, offset) {
                    (ValueRef::Timestamptz(_), None | Some(0)) => self.global(Global::Utc),
                    (ValueRef::Timestamptz(_), Some(off)) => {
                        self.global(Global::Timezone);
                        self.global(Global::Timedelta);
                        self.int(0);
                        self.int(off as i64);
                        self.buf.extend_from_slice(&[TUPLE2, REDUCE, TUPLE1, REDUCE]);
                    }
                    _ => {}
                }
                self.buf.extend_from_slice(&[TUPLE, REDUCE]);
            }
            ValueRef::Uuid(u) => {
                self.global(Global::Uuid);
                self.buf.push(NONE);
                self.bytes(&u);
                self.buf.extend_from_slice(&[TUPLE2, REDUCE]);
            }
        }
        Ok(())
    }

    fn hms(&mut self, us: i64) {
        let secs = us / MICROS_PER_SECOND;
        self.int(secs / 3600);
        self.int(secs / 60 % 60);
        self.int(secs % 60);
        self.int(us % MICROS_PER_SECOND);
    }

    fn int(&mut self, n: i64) {
        if (0..256).contains(&n) {
            self.buf.extend_from_slice(&[BININT1, n as u8]);
        } else if (0..65536).contains(&n) {
            self.buf.push(BININT2);
            self.buf.extend_from_slice(&(n as u16).to_le_bytes());
        } else if let Ok(n) = i32::try_from(n) {
            self.buf.push(BININT);
            self.buf.extend_from_slice(&n.to_le_bytes());
        } else {
            self.buf.extend_from_slice(&[LONG1, 8]);
            self.buf.extend_from_slice(&n.to_le_bytes());
        }
    }

    fn str(&mut self, t: &str) {
        let n = t.len();
        if n < 256 {
            self.buf.extend_from_slice(&[SHORT_BINUNICODE, n as u8]);
        } else if let Ok(n) = u32::try_from(n) {
            self.buf.push(BINUNICODE);
            self.buf.extend_from_slice(&n.to_le_bytes());
        } else {
            self.buf.push(BINUNICODE8);
            self.buf.extend_from_slice(&(n as u64).to_le_bytes());
        }
        self.buf.extend_from_slice(t.as_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        let n = b.len();
        if n < 256 {
            self.buf.extend_from_slice(&[SHORT_BINBYTES, n as u8]);
        } else if let Ok(n) = u32::try_from(n) {
            self.buf.push(BINBYTES);
            self.buf.extend_from_slice(&n.to_le_bytes());
        } else {
            self.buf.push(BINBYTES8);
            self.buf.extend_from_slice(&(n as u64).to_le_bytes());
        }
        self.buf.extend_from_slice(b);
    }

    /// Push a stdlib callable: the first time by name (then memoized),
    /// later from the memo.
    fn global(&mut self, g: Global) {
        match self.memo[g as usize] {
            Some(i) if i < 256 => self.buf.extend_from_slice(&[BINGET, i as u8]),
            Some(i) => {
                self.buf.push(LONG_BINGET);
                self.buf.extend_from_slice(&i.to_le_bytes());
            }
            None => {
                let (module, name) = GLOBALS[g as usize];
                self.str(module);
                self.str(name);
                self.buf.extend_from_slice(&[STACK_GLOBAL, MEMOIZE]);
                self.memo[g as usize] = Some(self.next_memo);
                self.next_memo += 1;
            }
        }
    }
}

/// (year, month, day) of a day number, within Python's years 1..=9999.
fn ymd(days: i64) -> Result<(i64, u32, u32)> {
    let (y, m, d) = civil_from_days(days);
    if !(1..=9999).contains(&y) {
        // As keel writes a date (no sign for years 0 to 9999).
        let text = match i32::try_from(days) {
            Ok(d) => {
                let mut t = String::new();
                crate::core::value::format_date(d, &mut t);
                t
            }
            Err(_) => format!("{y:+05}-{m:02}-{d:02}"),
        };
        return Err(Error::invalid_data(format!(
            "date {text} is outside years 1 to 9999, which Python's datetime can hold"
        ))
        .with_sqlstate("22008"));
    }
    Ok((y, m, d))
}

impl RowEncoder for PickleWriter {
    fn len(&self) -> usize {
        self.buf.len()
    }

    fn row(&mut self, row: &CurrentRow<'_>) -> Result<()> {
        self.row_zoned(row.column_count(), |i| Ok(row.value(i)), |i| row.zone(i))
    }

    fn finish(self) -> Vec<u8> {
        PickleWriter::finish(self)
    }
}

// --- Reading parameter rows from a pickle stream -------------------------

/// Parameter rows for [`for_each_pickle_row`] ([`PickleReader`]) are a pickle stream (protocol
/// 2 to 5, as Python's `pickle.dumps` writes, framed or not, memoized or
/// not) of one `list` whose items are rows, each a `tuple` or `list` of
/// values: `None`, `bool`, `int` (fitting int64 or uint64), `float`,
/// `str`, `bytes` (protocol 3 or later: protocol 2 writes bytes as a call
/// of `_codecs.encode`), `bytearray` (protocol 5: earlier ones write a
/// call of `builtins.bytearray`), or one of these calls, which the reader
/// recognizes by name and never imports or runs:
///
/// | call | value |
/// |---|---|
/// | `keel._wire.date(days)` | date, days since 1970-01-01 |
/// | `keel._wire.time(micros)` | time of day |
/// | `keel._wire.timestamp(micros)` | timestamp without zone |
/// | `keel._wire.timestamptz(micros)` | instant, µs since the epoch (UTC) |
/// | `keel._wire.decimal(text)` | exact decimal |
/// | `keel._wire.uuid(bytes16)` | uuid |
/// | `keel._wire.json(text)` | JSON text |
/// | `keel._wire.bytes(bytes)` | bytes |
/// | `keel._wire.int(int)`, `.float(float)`, `.str(str)` | the value itself (for subclasses) |
///
/// Any other opcode or name is an error, so a stream cannot make keel do
/// anything but bind values.
pub const WIRE_MODULE: &str = "keel._wire";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Decimal,
    Uuid,
    Json,
    Bytes,
    Int,
    Float,
    Str,
}

fn tag(module: &str, name: &str) -> Result<Tag> {
    if module == WIRE_MODULE {
        let t = match name {
            "date" => Some(Tag::Date),
            "time" => Some(Tag::Time),
            "timestamp" => Some(Tag::Timestamp),
            "timestamptz" => Some(Tag::Timestamptz),
            "decimal" => Some(Tag::Decimal),
            "uuid" => Some(Tag::Uuid),
            "json" => Some(Tag::Json),
            "bytes" => Some(Tag::Bytes),
            "int" => Some(Tag::Int),
            "float" => Some(Tag::Float),
            "str" => Some(Tag::Str),
            _ => None,
        };
        if let Some(t) = t {
            return Ok(t);
        }
    }
    Err(Error::invalid_argument(format!(
        "the parameter stream names {module}.{name}; only {WIRE_MODULE} value tags are accepted"
    )))
}

#[derive(Clone, Debug)]
enum Item<'a> {
    Mark,
    /// The outermost list: rows appended to it are run.
    Root,
    /// A list other than the outermost: its index in the reader's lists,
    /// so that the memo and the stack share it as CPython's objects are
    /// shared (a list is memoized empty and filled after).
    List(usize),
    Tuple(Vec<ValueRef<'a>>),
    Val(ValueRef<'a>),
    Global(Tag),
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn bad(&self, what: impl std::fmt::Display) -> Error {
        Error::invalid_argument(format!("bad parameter stream at byte {}: {what}", self.i))
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.i.checked_add(n).filter(|e| *e <= self.b.len()).ok_or_else(|| self.bad("truncated"))?;
        let s = &self.b[self.i..end];
        self.i = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("2 bytes")))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn len8(&mut self) -> Result<usize> {
        let n = self.u64()?;
        usize::try_from(n).map_err(|_| self.bad("length too large"))
    }
    fn text(&mut self, n: usize) -> Result<&'a str> {
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| self.bad("str is not valid UTF-8"))
    }
}

fn long(b: &[u8]) -> Result<ValueRef<'static>> {
    let n = b.len();
    if n == 0 {
        return Ok(ValueRef::Int64(0));
    }
    if n <= 8 {
        let neg = b[n - 1] & 0x80 != 0;
        let mut buf = [if neg { 0xff } else { 0 }; 8];
        buf[..n].copy_from_slice(b);
        return Ok(ValueRef::Int64(i64::from_le_bytes(buf)));
    }
    // Longer than it needs to be (CPython writes the fewest bytes, other
    // writers may pad with sign bytes): the value still counts.
    let low = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
    let neg = b[n - 1] & 0x80 != 0;
    let pad = if neg { 0xff } else { 0 };
    if b[8..].iter().all(|&x| x == pad) {
        if (low >> 63 != 0) == neg {
            return Ok(ValueRef::Int64(low as i64));
        }
        if !neg {
            return Ok(ValueRef::Uint64(low));
        }
    }
    Err(Error::invalid_argument("integer does not fit in 64 bits").with_sqlstate("22003"))
}

fn reduce<'a>(t: Tag, args: &[ValueRef<'a>]) -> Result<ValueRef<'a>> {
    let bad = || Error::invalid_argument(format!("{WIRE_MODULE}.{t:?} got arguments {args:?}").to_lowercase());
    let int = || match args {
        [ValueRef::Int64(n)] => Ok(*n),
        _ => Err(bad()),
    };
    let text = || match args {
        [ValueRef::Text(s)] => Ok(*s),
        _ => Err(bad()),
    };
    Ok(match t {
        Tag::Date => ValueRef::Date(i32::try_from(int()?).map_err(|_| bad())?),
        Tag::Time => {
            let us = int()?;
            if !(0..MICROS_PER_DAY).contains(&us) {
                return Err(bad());
            }
            ValueRef::Time(us)
        }
        Tag::Timestamp => ValueRef::Timestamp(int()?),
        Tag::Timestamptz => ValueRef::Timestamptz(int()?),
        Tag::Decimal => ValueRef::Decimal(text()?),
        Tag::Json => ValueRef::Json(text()?),
        Tag::Uuid => match args {
            [ValueRef::Bytes(b)] if b.len() == 16 => ValueRef::Uuid((*b).try_into().expect("16 bytes")),
            _ => return Err(bad()),
        },
        Tag::Bytes => match args {
            [ValueRef::Bytes(b)] => ValueRef::Bytes(b),
            _ => return Err(bad()),
        },
        Tag::Int => match args {
            [v @ (ValueRef::Int64(_) | ValueRef::Uint64(_))] => *v,
            _ => return Err(bad()),
        },
        Tag::Float => match args {
            [v @ ValueRef::Double(_)] => *v,
            _ => return Err(bad()),
        },
        Tag::Str => ValueRef::Text(text()?),
    })
}

/// Read parameter rows from a pickle stream (format above) and call
/// `run(index, row)` for each, in order, stopping at the first error
/// (returned as `run` gave it: naming the row is `run`'s business).
/// Returns the number of rows run.
pub fn for_each_pickle_row<'a>(data: &'a [u8], mut run: impl FnMut(usize, &[ValueRef<'a>]) -> Result<()>) -> Result<usize> {
    let mut r = Reader { b: data, i: 0 };
    let mut stack: Vec<Item<'a>> = Vec::with_capacity(64);
    // By key, as CPython's unpickler keeps it (a dict): BINPUT and
    // LONG_BINPUT may name any key, and a Vec as long as the largest
    // (LONG_BINPUT 0xffffffff) would be an allocation that aborts.
    let mut memo: HashMap<usize, Item<'a>> = HashMap::new();
    let mut rows = 0usize;
    let mut have_root = false;
    // Pop everything above the topmost MARK.
    fn pop_mark<'a>(stack: &mut Vec<Item<'a>>, r: &Reader<'_>) -> Result<Vec<Item<'a>>> {
        let m = stack.iter().rposition(|x| matches!(x, Item::Mark)).ok_or_else(|| r.bad("no MARK"))?;
        let items = stack.split_off(m + 1);
        stack.pop();
        Ok(items)
    }
    fn vals<'a>(items: Vec<Item<'a>>, r: &Reader<'_>) -> Result<Vec<ValueRef<'a>>> {
        items
            .into_iter()
            .map(|x| match x {
                Item::Val(v) => Ok(v),
                other => Err(r.bad(format!("a row may hold only values, not {other:?}"))),
            })
            .collect()
    }
    let mut lists: Vec<Vec<ValueRef<'a>>> = Vec::new();
    let mut append = |stack: &mut Vec<Item<'a>>, items: Vec<Item<'a>>, lists: &mut Vec<Vec<ValueRef<'a>>>, r: &Reader<'_>| -> Result<()> {
        match stack.last() {
            Some(Item::Root) => {
                for it in items {
                    let row = match &it {
                        Item::Tuple(v) => v,
                        Item::List(l) => &lists[*l],
                        other => return Err(r.bad(format!("each row must be a tuple or list, not {other:?}"))),
                    };
                    run(rows, row)?;
                    rows += 1;
                }
                Ok(())
            }
            Some(Item::List(l)) => {
                let l = *l;
                let v = vals(items, r)?;
                lists[l].extend(v);
                Ok(())
            }
            _ => Err(r.bad("APPEND outside a list")),
        }
    };
    loop {
        let op = r.u8()?;
        match op {
            PROTO => {
                let v = r.u8()?;
                if !(2..=5).contains(&v) {
                    return Err(r.bad(format!("pickle protocol {v} (2 to 5 are accepted)")));
                }
            }
            0x95 /* FRAME */ => {
                r.u64()?;
            }
            STOP => break,
            MARK => stack.push(Item::Mark),
            EMPTY_LIST => {
                if have_root {
                    stack.push(Item::List(lists.len()));
                    lists.push(Vec::new());
                } else {
                    have_root = true;
                    stack.push(Item::Root);
                }
            }
            APPENDS => {
                let items = pop_mark(&mut stack, &r)?;
                append(&mut stack, items, &mut lists, &r)?;
            }
            b'a' /* APPEND */ => {
                let it = stack.pop().ok_or_else(|| r.bad("empty stack"))?;
                append(&mut stack, vec![it], &mut lists, &r)?;
            }
            EMPTY_TUPLE => stack.push(Item::Tuple(Vec::new())),
            TUPLE1 | TUPLE2 | TUPLE3 => {
                let n = (op - TUPLE1 + 1) as usize;
                if stack.len() < n {
                    return Err(r.bad("empty stack"));
                }
                let items = stack.split_off(stack.len() - n);
                stack.push(Item::Tuple(vals(items, &r)?));
            }
            TUPLE => {
                let items = pop_mark(&mut stack, &r)?;
                stack.push(Item::Tuple(vals(items, &r)?));
            }
            NONE => stack.push(Item::Val(ValueRef::Null)),
            NEWTRUE => stack.push(Item::Val(ValueRef::Bool(true))),
            NEWFALSE => stack.push(Item::Val(ValueRef::Bool(false))),
            BININT1 => stack.push(Item::Val(ValueRef::Int64(r.u8()? as i64))),
            BININT2 => stack.push(Item::Val(ValueRef::Int64(r.u16()? as i64))),
            BININT => stack.push(Item::Val(ValueRef::Int64(r.u32()? as i32 as i64))),
            LONG1 => {
                let n = r.u8()? as usize;
                stack.push(Item::Val(long(r.take(n)?)?));
            }
            b'\x8b' /* LONG4 */ => {
                let n = r.u32()? as usize;
                stack.push(Item::Val(long(r.take(n)?)?));
            }
            BINFLOAT => stack.push(Item::Val(ValueRef::Double(f64::from_be_bytes(r.take(8)?.try_into().expect("8 bytes"))))),
            SHORT_BINUNICODE => {
                let n = r.u8()? as usize;
                stack.push(Item::Val(ValueRef::Text(r.text(n)?)));
            }
            BINUNICODE => {
                let n = r.u32()? as usize;
                stack.push(Item::Val(ValueRef::Text(r.text(n)?)));
            }
            BINUNICODE8 => {
                let n = r.len8()?;
                stack.push(Item::Val(ValueRef::Text(r.text(n)?)));
            }
            SHORT_BINBYTES => {
                let n = r.u8()? as usize;
                stack.push(Item::Val(ValueRef::Bytes(r.take(n)?)));
            }
            BINBYTES => {
                let n = r.u32()? as usize;
                stack.push(Item::Val(ValueRef::Bytes(r.take(n)?)));
            }
            BINBYTES8 | 0x96 /* BYTEARRAY8 */ => {
                let n = r.len8()?;
                stack.push(Item::Val(ValueRef::Bytes(r.take(n)?)));
            }
            STACK_GLOBAL => {
                let (Some(Item::Val(ValueRef::Text(name))), Some(Item::Val(ValueRef::Text(module)))) = (stack.pop(), stack.pop()) else {
                    return Err(r.bad("STACK_GLOBAL needs two str"));
                };
                stack.push(Item::Global(tag(module, name)?));
            }
            b'c' /* GLOBAL */ => {
                let mut line = || -> Result<&'a str> {
                    let rest = &r.b[r.i..];
                    let n = rest.iter().position(|&c| c == b'\n').ok_or_else(|| r.bad("GLOBAL without newline"))?;
                    let s = r.text(n)?;
                    r.i += 1;
                    Ok(s)
                };
                let module = line()?;
                let name = line()?;
                stack.push(Item::Global(tag(module, name)?));
            }
            REDUCE => {
                let (Some(Item::Tuple(args)), Some(Item::Global(t))) = (stack.pop(), stack.pop()) else {
                    return Err(r.bad("REDUCE needs a tag and an argument tuple"));
                };
                stack.push(Item::Val(reduce(t, &args)?));
            }
            MEMOIZE => {
                let top = stack.last().cloned().ok_or_else(|| r.bad("empty stack"))?;
                memo.insert(memo.len(), top);
            }
            b'q' /* BINPUT */ | b'r' /* LONG_BINPUT */ => {
                let idx = if op == b'q' { r.u8()? as usize } else { r.u32()? as usize };
                let top = stack.last().cloned().ok_or_else(|| r.bad("empty stack"))?;
                memo.insert(idx, top);
            }
            BINGET | LONG_BINGET => {
                let idx = if op == BINGET { r.u8()? as usize } else { r.u32()? as usize };
                let it = match memo.get(&idx) {
                    Some(Item::Root) | None => return Err(r.bad(format!("memo {idx} is not a value"))),
                    Some(it) => it.clone(),
                };
                stack.push(it);
            }
            other => return Err(r.bad(format!("opcode 0x{other:02x} is not accepted in parameter rows"))),
        }
    }
    if !have_root {
        return Err(r.bad("the stream holds no list of rows"));
    }
    Ok(rows)
}

/// The reader of parameter rows in a pickle stream (format above), for
/// `Stmt::execute_encoded`.
pub struct PickleReader;

impl RowDecoder for PickleReader {
    fn for_each_row<'a>(&self, data: &'a [u8], run: &mut dyn FnMut(usize, &[ValueRef<'a>]) -> Result<()>) -> Result<usize> {
        for_each_pickle_row(data, run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(rows: &[&[ValueRef<'_>]]) -> Vec<u8> {
        let mut w = PickleWriter::new();
        for r in rows {
            w.row(r.len(), |i| Ok(r[i])).unwrap();
        }
        w.finish()
    }

    #[test]
    fn small_values_use_short_opcodes() {
        let s = stream(&[&[ValueRef::Int64(1), ValueRef::Null, ValueRef::Bool(true)]]);
        assert_eq!(s, [0x80, 5, b']', b'(', b'K', 1, b'N', 0x88, 0x87, b'e', b'.']);
        let s = stream(&[]);
        assert_eq!(s, [0x80, 5, b']', b'(', b'e', b'.']);
    }

    #[test]
    fn integers_pick_the_smallest_form() {
        let enc = |n: i64| {
            let mut w = PickleWriter::new();
            w.value(ValueRef::Int64(n)).unwrap();
            w.buf[4..].to_vec()
        };
        assert_eq!(enc(255), [b'K', 255]);
        assert_eq!(enc(256), [b'M', 0, 1]);
        assert_eq!(enc(-1), [b'J', 255, 255, 255, 255]);
        assert_eq!(enc(i64::MIN)[..2], [0x8a, 8]);
        let mut w = PickleWriter::new();
        w.value(ValueRef::Uint64(u64::MAX)).unwrap();
        assert_eq!(w.buf[4..], [0x8a, 9, 255, 255, 255, 255, 255, 255, 255, 255, 0]);
    }

    #[test]
    fn a_zoned_timestamptz_is_local_time_with_a_timezone() {
        let utc = |off| {
            let mut w = PickleWriter::new();
            w.value_zoned(ValueRef::Timestamptz(0), off).unwrap();
            w.finish()
        };
        assert_eq!(utc(None), utc(Some(0)));
        let zoned = utc(Some(-8 * 3600));
        let has = |needle: &[u8]| zoned.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"\x8c\x08timezone") && has(b"\x8c\x09timedelta"));
        // 1969-12-31 16:00 local, offset -28800 s (BININT, little-endian).
        assert!(has(&[BININT2, 0xB1, 0x07]) && has(&[BININT1, 12, BININT1, 31, BININT1, 16]));
        assert!(has(&(-28800i32).to_le_bytes()));
    }

    #[test]
    fn globals_are_memoized() {
        let s = stream(&[&[ValueRef::Decimal("1.5")], &[ValueRef::Decimal("2")]]);
        let name = b"\x8c\x07decimal\x8c\x07Decimal\x93\x94";
        assert_eq!(s.windows(name.len()).filter(|w| w == name).count(), 1);
        assert!(s.windows(2).any(|w| w == [b'h', 0]), "second use reads the memo");
    }

    #[test]
    fn out_of_range_dates_fail_and_leave_the_stream_intact() {
        let mut w = PickleWriter::new();
        w.row(1, |_| Ok(ValueRef::Int64(7))).unwrap();
        let before = w.buf.clone();
        let e = w.row(2, |i| Ok([ValueRef::Int64(1), ValueRef::Date(i32::MAX)][i])).unwrap_err();
        assert_eq!(e.sqlstate, "22008");
        assert!(e.message.starts_with("column 1: date"), "{}", e.message);
        assert_eq!(w.buf, before);
        assert!(ymd(-719_162).is_ok(), "0001-01-01");
        assert!(ymd(-719_163).is_err());
    }

    fn rows_of(data: &[u8]) -> Result<Vec<Vec<ValueRef<'_>>>> {
        let mut out = Vec::new();
        for_each_pickle_row(data, |_, r| {
            out.push(r.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_what_python_pickle_writes() {
        // pickle.dumps([(1, 2.0, 'a'), (None, True, b'x'), [300, -5, 2**63]], protocol=5)
        let data = b"\x80\x05\x95\x35\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01G@\x00\x00\x00\x00\x00\x00\x00\x8c\x01a\x94\x87\x94N\x88C\x01x\x94\x87\x94]\x94(M,\x01J\xfb\xff\xff\xff\x8a\t\x00\x00\x00\x00\x00\x00\x00\x80\x00ee.";
        let rows = rows_of(data).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], [ValueRef::Int64(1), ValueRef::Double(2.0), ValueRef::Text("a")]);
        assert_eq!(rows[1], [ValueRef::Null, ValueRef::Bool(true), ValueRef::Bytes(b"x")]);
        assert_eq!(rows[2], [ValueRef::Int64(300), ValueRef::Int64(-5), ValueRef::Uint64(1 << 63)]);
    }

    #[test]
    fn wire_tags_and_refusals() {
        // [(keel._wire.date(-1),)] written by hand, unframed.
        let mut d = b"\x80\x05](\x8c\x0akeel._wire\x8c\x04date\x93J\xff\xff\xff\xff\x85R\x85e.".to_vec();
        assert_eq!(rows_of(&d).unwrap(), [[ValueRef::Date(-1)]]);
        d = b"\x80\x05](\x8c\x02os\x8c\x06system\x93\x8c\x02ls\x85R\x85e.".to_vec();
        let e = rows_of(&d).unwrap_err();
        assert!(e.message.contains("names os.system"), "{}", e.message);
        let e = rows_of(b"\x80\x05](K\x01}\x85e.").unwrap_err();
        assert!(e.message.contains("opcode 0x7d"), "{}", e.message);
        assert!(rows_of(b"\x80\x05](K\x01").is_err(), "truncated");
        let e = rows_of(b"\x80\x05](\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x85e.").unwrap_err();
        assert_eq!(e.sqlstate, "22003");
    }

    /// Found by tests/prop_pickle.rs (`every_value_type_reads_back_exactly`):
    /// a row that is a list, shared (`pickle.dumps([row, row])` with
    /// `row = [None]`, memoized as CPython's pickler writes by default),
    /// came back empty the second time: the memo kept a copy of the list
    /// as it was when memoized, before its items were appended.
    #[test]
    fn a_shared_list_row_is_read_again_whole() {
        // pickle.dumps([row, row], protocol=2) with row = [None]
        let d = b"\x80\x02]q\x00(]q\x01Nah\x01e.";
        assert_eq!(rows_of(d).unwrap(), [[ValueRef::Null], [ValueRef::Null]]);
        // protocol 5: row = [1, 'a']; [row, (2,), row]
        let d = b"\x80\x05\x95\x15\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(K\x01\x8c\x01a\x94eK\x02\x85\x94h\x01e.";
        let rows = rows_of(d).unwrap();
        assert_eq!(rows, [vec![ValueRef::Int64(1), ValueRef::Text("a")], vec![ValueRef::Int64(2)], vec![ValueRef::Int64(1), ValueRef::Text("a")]]);
    }

    /// Found by tests/prop_pickle.rs (`the_writer_never_panics`): a
    /// timestamptz near i64::MAX at a positive offset overflowed i64 (a
    /// panic in a debug build) instead of being the out-of-range error.
    #[test]
    fn a_timestamptz_at_an_offset_past_the_end_of_i64_is_an_error() {
        let mut w = PickleWriter::new();
        let e = w.row_zoned(1, |_| Ok(ValueRef::Timestamptz(i64::MAX)), |_| Some(3600)).unwrap_err();
        assert_eq!(e.sqlstate, "22008");
        let e = w.row_zoned(1, |_| Ok(ValueRef::Timestamptz(i64::MIN)), |_| Some(-1)).unwrap_err();
        assert_eq!(e.sqlstate, "22008");
        assert!(w.is_empty());
    }

    /// Found by tests/prop_pickle.rs (`every_value_type_reads_back_exactly`):
    /// a LONG1 longer than needed, padded with sign bytes, is still the
    /// int it says (CPython reads any length); i64::MIN padded to 11 bytes
    /// was refused as "does not fit in 64 bits", and a padded positive
    /// int64 came back as a uint64.
    #[test]
    fn padded_longs_are_the_ints_they_say() {
        let one = |b: &[u8]| {
            let mut d = b"\x80\x05](\x8a".to_vec();
            d.push(b.len() as u8);
            d.extend_from_slice(b);
            d.extend_from_slice(b"\x85e.");
            rows_of(&d).map(|r| r[0][0].to_owned())
        };
        assert_eq!(one(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff]).unwrap(), crate::core::value::Value::Int64(i64::MIN));
        assert_eq!(one(&[0xff; 12]).unwrap(), crate::core::value::Value::Int64(-1));
        assert_eq!(one(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap(), crate::core::value::Value::Int64(1));
        assert_eq!(one(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]).unwrap(), crate::core::value::Value::Uint64(u64::MAX));
        // Beyond 64 bits either way: refused.
        assert_eq!(one(&[0, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap_err().sqlstate, "22003");
        assert_eq!(one(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff]).unwrap_err().sqlstate, "22003");
        assert_eq!(one(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0xfe]).unwrap_err().sqlstate, "22003");
    }

    /// Found by tests/prop_pickle.rs (`any_bytes_after_a_valid_header_are_read_or_refused`):
    /// LONG_BINPUT 0xffffffff made the memo a Vec of 2^32 items, an
    /// allocation that aborts the process ("memory allocation of
    /// 133777570464 bytes failed"), whatever called keel.
    #[test]
    fn a_memo_key_of_any_size_is_kept_without_allocating_that_many() {
        // [(1,)] with the row stored under key 0xffffffff and read back.
        let d = b"\x80\x02](K\x01\x85r\xff\xff\xff\xffj\xff\xff\xff\xffe.";
        assert_eq!(rows_of(d).unwrap(), [[ValueRef::Int64(1)], [ValueRef::Int64(1)]]);
        let e = rows_of(b"\x80\x02](K\x01\x85j\xfe\xff\xff\xffe.").unwrap_err();
        assert!(e.message.contains("memo 4294967294 is not a value"), "{}", e.message);
        // A key BINPUT skipped past is no value either (it read as a MARK).
        let e = rows_of(b"\x80\x02](K\x01\x85q\x05h\x02e.").unwrap_err();
        assert!(e.message.contains("memo 2 is not a value"), "{}", e.message);
        // MEMOIZE takes the next key after those in the memo, as CPython's.
        let d = b"\x80\x05](K\x01\x85q\x07K\x02\x85\x94h\x01h\x07e.";
        assert_eq!(rows_of(d).unwrap(), [[ValueRef::Int64(1)], [ValueRef::Int64(2)], [ValueRef::Int64(2)], [ValueRef::Int64(1)]]);
    }
}
