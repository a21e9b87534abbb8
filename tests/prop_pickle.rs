//! Properties of the pickle stream reader (`codec::pickle::for_each_pickle_row`,
//! which parses the caller's bytes for `keel_stmt_execute_batch_encoded`)
//! and writer (`codec::pickle::PickleWriter`, the fetch path to Python):
//!
//! - on any bytes, and on valid streams with bytes flipped, inserted,
//!   deleted or cut off, the reader never panics, ends, runs no more rows
//!   than the stream has bytes, and every error is a keel
//!   INVALID_ARGUMENT;
//! - every value type written the ways CPython's pickler writes it
//!   (protocols 2 to 5, framed or not, memoized with MEMOIZE or BINPUT or
//!   not, rows as tuples or lists, shared rows read again from the memo,
//!   appended one by one or in batches, ints in every width, globals by
//!   STACK_GLOBAL or GLOBAL) reads back exactly;
//! - the writer never panics on any value; what it writes of the plain
//!   types reads back exactly, and the stdlib calls it writes for the
//!   others are refused by the reader (it takes only `keel._wire` tags);
//! - and, when python3 is here, CPython's own `pickle` agrees both ways.
//!
//! The same for the marshal format (`codec::marshal`): any bytes and any
//! damaged stream are read or refused with INVALID_ARGUMENT, plain values
//! read back as written, the types it cannot carry are refused by the
//! writer, and CPython's `marshal` agrees both ways.

mod prop_util;

use keel::codec::pickle::{PickleWriter, WIRE_MODULE, for_each_pickle_row};
use keel::{Status, ValueRef};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use std::collections::HashMap;

const FILE: &str = "proptest-regressions/prop_pickle.txt";

fn cfg(cases: u32) -> ProptestConfig {
    prop_util::config(FILE, cases)
}

const DAY: i64 = 86_400_000_000;

/// A value as a Python caller hands it over.
#[derive(Clone, Debug)]
enum V {
    Null,
    Bool(bool),
    Int(i64),
    /// Above i64::MAX.
    Big(u64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    ByteArray(Vec<u8>),
    /// `keel._wire.<tag>(arg)`.
    Tag(&'static str, Box<V>),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,12}",
        1 => any::<String>(),
        1 => "[a-z]{250,300}",
    ]
}

fn blob() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![4 => proptest::collection::vec(any::<u8>(), 0..12), 1 => proptest::collection::vec(any::<u8>(), 250..300)]
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        0i64..256,
        256i64..65536,
        (i32::MIN as i64)..(i32::MAX as i64),
        select(vec![i64::MIN, i64::MAX, -1, 0, 255, 256, 65535, 65536, i32::MIN as i64, i32::MAX as i64 + 1]),
    ]
}

fn value() -> impl Strategy<Value = V> {
    prop_oneof![
        Just(V::Null),
        any::<bool>().prop_map(V::Bool),
        int().prop_map(V::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(V::Big),
        any::<f64>().prop_map(V::Float),
        prop_oneof![Just(f64::NAN), Just(-0.0), Just(f64::INFINITY)].prop_map(V::Float),
        text().prop_map(V::Str),
        blob().prop_map(V::Bytes),
        blob().prop_map(V::ByteArray),
        any::<i32>().prop_map(|d| V::Tag("date", Box::new(V::Int(d as i64)))),
        (0..DAY).prop_map(|t| V::Tag("time", Box::new(V::Int(t)))),
        int().prop_map(|t| V::Tag("timestamp", Box::new(V::Int(t)))),
        int().prop_map(|t| V::Tag("timestamptz", Box::new(V::Int(t)))),
        "-?[0-9]{1,20}(\\.[0-9]{1,10})?".prop_map(|t| V::Tag("decimal", Box::new(V::Str(t)))),
        any::<[u8; 16]>().prop_map(|u| V::Tag("uuid", Box::new(V::Bytes(u.to_vec())))),
        text().prop_map(|t| V::Tag("json", Box::new(V::Str(t)))),
        blob().prop_map(|b| V::Tag("bytes", Box::new(V::Bytes(b)))),
        int().prop_map(|n| V::Tag("int", Box::new(V::Int(n)))),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(|n| V::Tag("int", Box::new(V::Big(n)))),
        any::<f64>().prop_map(|x| V::Tag("float", Box::new(V::Float(x)))),
        text().prop_map(|t| V::Tag("str", Box::new(V::Str(t)))),
    ]
}

/// What the reader must make of a value.
fn expected(v: &V) -> ValueRef<'_> {
    match v {
        V::Null => ValueRef::Null,
        V::Bool(b) => ValueRef::Bool(*b),
        V::Int(n) => ValueRef::Int64(*n),
        V::Big(n) => ValueRef::Uint64(*n),
        V::Float(x) => ValueRef::Double(*x),
        V::Str(s) => ValueRef::Text(s),
        V::Bytes(b) | V::ByteArray(b) => ValueRef::Bytes(b),
        V::Tag(t, a) => match (*t, &**a) {
            ("date", V::Int(n)) => ValueRef::Date(*n as i32),
            ("time", V::Int(n)) => ValueRef::Time(*n),
            ("timestamp", V::Int(n)) => ValueRef::Timestamp(*n),
            ("timestamptz", V::Int(n)) => ValueRef::Timestamptz(*n),
            ("decimal", V::Str(s)) => ValueRef::Decimal(s),
            ("json", V::Str(s)) => ValueRef::Json(s),
            ("uuid", V::Bytes(b)) => ValueRef::Uuid(b.as_slice().try_into().unwrap()),
            ("bytes" | "int" | "float", a) => expected(a),
            ("str", V::Str(s)) => ValueRef::Text(s),
            other => panic!("no such tag use {other:?}"),
        },
    }
}

/// Equal, with doubles compared by their bits (so NaN equals itself).
fn same(a: &ValueRef<'_>, b: &ValueRef<'_>) -> bool {
    match (a, b) {
        (ValueRef::Double(x), ValueRef::Double(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

fn same_rows(a: &[Vec<ValueRef<'_>>], b: &[Vec<ValueRef<'_>>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)))
}

/// How a stream is written: the choices CPython's pickler makes (and a
/// few it could).
#[derive(Clone, Debug)]
struct Style {
    proto: u8,
    frame: bool,
    /// 0: no memo (`fast`), 1: MEMOIZE, 2: BINPUT / LONG_BINPUT.
    memo: u8,
    /// Globals by STACK_GLOBAL (else by GLOBAL, protocols 2 and 3).
    stack_global: bool,
    /// Rows appended in batches of this many (1: APPEND each).
    batch: usize,
    /// Ints in a wider form than needed (LONG1/LONG4, padded).
    wide_ints: bool,
    /// Strings and bytes in their 8-byte-length forms.
    long_lengths: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (2u8..=5, any::<bool>(), 0u8..3, any::<bool>(), 1usize..5, any::<bool>(), any::<bool>()).prop_map(
        |(proto, frame, memo, stack_global, batch, wide_ints, long_lengths)| Style {
            proto,
            frame: frame && proto >= 4,
            memo,
            stack_global,
            batch,
            wide_ints,
            long_lengths,
        },
    )
}

/// A row of the stream: new values (as a tuple or a list), or the row at
/// this index again (read from the memo when there is one).
#[derive(Clone, Debug)]
enum Row {
    New(Vec<V>, bool),
    Again(usize),
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(
        prop_oneof![
            6 => (proptest::collection::vec(value(), 0..6), any::<bool>()).prop_map(|(v, list)| Row::New(v, list)),
            1 => any::<usize>().prop_map(Row::Again),
        ],
        0..8,
    )
}

/// Writes a stream of rows in a [`Style`].
struct Enc<'s> {
    s: &'s Style,
    out: Vec<u8>,
    memo: u32,
    globals: HashMap<&'static str, u32>,
}

impl Enc<'_> {
    fn put(&mut self) -> Option<u32> {
        let i = self.memo;
        match self.s.memo {
            1 => self.out.push(0x94),
            2 if i < 256 => self.out.extend_from_slice(&[b'q', i as u8]),
            2 => {
                self.out.push(b'r');
                self.out.extend_from_slice(&i.to_le_bytes());
            }
            _ => return None,
        }
        self.memo += 1;
        Some(i)
    }

    fn get(&mut self, i: u32) {
        if i < 256 {
            self.out.extend_from_slice(&[b'h', i as u8]);
        } else {
            self.out.push(b'j');
            self.out.extend_from_slice(&i.to_le_bytes());
        }
    }

    fn int(&mut self, n: i128) {
        if !self.s.wide_ints && (0..256).contains(&n) {
            self.out.extend_from_slice(&[b'K', n as u8]);
        } else if !self.s.wide_ints && (0..65536).contains(&n) {
            self.out.push(b'M');
            self.out.extend_from_slice(&(n as u16).to_le_bytes());
        } else if !self.s.wide_ints && i32::try_from(n).is_ok() {
            self.out.push(b'J');
            self.out.extend_from_slice(&(n as i32).to_le_bytes());
        } else {
            // Two's complement, little-endian: the fewest bytes, or (wide)
            // padded with sign bytes as another writer might.
            let mut b = n.to_le_bytes().to_vec();
            let sign = if n < 0 { 0xff } else { 0 };
            while b.len() > 1 && b[b.len() - 1] == sign && (b[b.len() - 2] & 0x80 == sign & 0x80) {
                b.pop();
            }
            if n == 0 {
                b.clear();
            }
            if self.s.wide_ints {
                b.resize(b.len() + 3, sign);
            }
            if self.s.wide_ints && self.s.long_lengths {
                self.out.push(0x8b);
                self.out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            } else {
                self.out.extend_from_slice(&[0x8a, b.len() as u8]);
            }
            self.out.extend_from_slice(&b);
        }
    }

    fn str(&mut self, t: &str) {
        let n = t.len();
        if self.s.long_lengths {
            self.out.push(0x8d);
            self.out.extend_from_slice(&(n as u64).to_le_bytes());
        } else if n < 256 && self.s.proto >= 4 {
            self.out.extend_from_slice(&[0x8c, n as u8]);
        } else {
            self.out.push(b'X');
            self.out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.out.extend_from_slice(t.as_bytes());
        self.put();
    }

    fn bytes(&mut self, b: &[u8], array: bool) {
        let n = b.len();
        if array {
            self.out.push(0x96);
            self.out.extend_from_slice(&(n as u64).to_le_bytes());
        } else if self.s.long_lengths {
            self.out.push(0x8e);
            self.out.extend_from_slice(&(n as u64).to_le_bytes());
        } else if n < 256 {
            self.out.extend_from_slice(&[b'C', n as u8]);
        } else {
            self.out.push(b'B');
            self.out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.out.extend_from_slice(b);
        self.put();
    }

    fn global(&mut self, name: &'static str) {
        if let Some(&i) = self.globals.get(name) {
            return self.get(i);
        }
        if self.s.stack_global {
            self.str(WIRE_MODULE);
            self.str(name);
            self.out.push(0x93);
        } else {
            self.out.push(b'c');
            self.out.extend_from_slice(format!("{WIRE_MODULE}\n{name}\n").as_bytes());
        }
        if let Some(i) = self.put() {
            self.globals.insert(name, i);
        }
    }

    fn value(&mut self, v: &V) {
        match v {
            V::Null => self.out.push(b'N'),
            V::Bool(b) => self.out.push(if *b { 0x88 } else { 0x89 }),
            V::Int(n) => self.int(*n as i128),
            V::Big(n) => self.int(*n as i128),
            V::Float(x) => {
                self.out.push(b'G');
                self.out.extend_from_slice(&x.to_be_bytes());
            }
            V::Str(t) => self.str(t),
            V::Bytes(b) => self.bytes(b, false),
            V::ByteArray(b) => self.bytes(b, true),
            V::Tag(t, a) => {
                self.global(t);
                self.value(a);
                self.out.push(0x85);
                self.put();
                self.out.push(b'R');
                self.put();
            }
        }
    }

    fn stream(s: &Style, rows: &[Row]) -> (Vec<u8>, Vec<Vec<V>>) {
        // Resolve `Again` to an earlier new row (or make it new).
        let mut want: Vec<Vec<V>> = Vec::new();
        let mut plan: Vec<(usize, bool)> = Vec::new(); // (row in `want`, first time)
        for r in rows {
            match r {
                Row::Again(i) if !want.is_empty() => {
                    let i = plan[i % plan.len()].0;
                    plan.push((i, false));
                    want.push(want[i].clone());
                }
                Row::Again(_) => {}
                Row::New(v, _) => {
                    plan.push((want.len(), true));
                    want.push(v.clone());
                }
            }
        }
        let kinds: Vec<bool> = rows.iter().filter_map(|r| if let Row::New(_, l) = r { Some(*l) } else { None }).collect();
        let body = {
            let mut b = Enc { s, out: Vec::new(), memo: 0, globals: HashMap::new() };
            b.out.push(b']');
            b.put();
            let mut row_memo: HashMap<usize, u32> = HashMap::new();
            let mut new_index = 0;
            let mut chunk: Vec<usize> = Vec::new();
            let flush = |b: &mut Enc<'_>, chunk: &mut Vec<usize>, row_memo: &mut HashMap<usize, u32>, new_index: &mut usize| {
                if chunk.is_empty() {
                    return;
                }
                let many = chunk.len() > 1;
                if many {
                    b.out.push(b'(');
                }
                for &k in chunk.iter() {
                    let (i, first) = plan[k];
                    match (first, row_memo.get(&i)) {
                        (false, Some(&m)) => b.get(m),
                        _ => {
                            let list = kinds.get(*new_index).copied().unwrap_or(false) && first;
                            if first {
                                *new_index += 1;
                            }
                            let vals = &want[i];
                            let m = if list {
                                b.out.push(b']');
                                let m = b.put();
                                if !vals.is_empty() {
                                    b.out.push(b'(');
                                    for v in vals {
                                        b.value(v);
                                    }
                                    b.out.push(b'e');
                                }
                                m
                            } else {
                                if vals.is_empty() {
                                    b.out.push(b')');
                                } else if vals.len() <= 3 && b.s.proto >= 2 {
                                    for v in vals {
                                        b.value(v);
                                    }
                                    b.out.push(0x84 + vals.len() as u8);
                                } else {
                                    b.out.push(b'(');
                                    for v in vals {
                                        b.value(v);
                                    }
                                    b.out.push(b't');
                                }
                                if vals.is_empty() { None } else { b.put() }
                            };
                            if let Some(m) = m {
                                row_memo.insert(i, m);
                            }
                        }
                    }
                    if !many {
                        b.out.push(b'a');
                    }
                }
                if many {
                    b.out.push(b'e');
                }
                chunk.clear();
            };
            for k in 0..plan.len() {
                chunk.push(k);
                if chunk.len() == s.batch {
                    flush(&mut b, &mut chunk, &mut row_memo, &mut new_index);
                }
            }
            flush(&mut b, &mut chunk, &mut row_memo, &mut new_index);
            b.out.push(b'.');
            b.out
        };
        let mut out = vec![0x80, s.proto];
        if s.frame {
            out.push(0x95);
            out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        }
        out.extend_from_slice(&body);
        (out, want)
    }
}

fn read(data: &[u8]) -> keel::Result<Vec<Vec<ValueRef<'_>>>> {
    let mut out = Vec::new();
    for_each_pickle_row(data, |i, r| {
        assert_eq!(i, out.len(), "rows are numbered in order");
        out.push(r.to_vec());
        Ok(())
    })?;
    Ok(out)
}

/// Read `data` and check what any stream must give: no panic, at most one
/// row per byte, errors that are keel's INVALID_ARGUMENT.
fn read_anything(data: &[u8]) -> Result<(), TestCaseError> {
    let mut rows = 0usize;
    let r = for_each_pickle_row(data, |_, _| {
        rows += 1;
        Ok(())
    });
    prop_assert!(rows <= data.len(), "{} rows from {} bytes", rows, data.len());
    if let Err(e) = r {
        prop_assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Cut(usize),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let byte = || prop_oneof![any::<u8>(), select(b"()]}ae.tNKMJCBXhjqr\x80\x85\x86\x87\x88\x8a\x8b\x8c\x8d\x8e\x93\x94\x95\x96\xff".to_vec())];
    proptest::collection::vec(
        prop_oneof![
            (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
            (any::<usize>(), byte()).prop_map(|(i, b)| Mutation::Set(i, b)),
            (any::<usize>(), byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
            any::<usize>().prop_map(Mutation::Delete),
            any::<usize>().prop_map(Mutation::Cut),
        ],
        1..4,
    )
}

fn mutate(mut d: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let n = d.len();
        match *m {
            Mutation::Flip(i, b) if n > 0 => d[i % n] ^= b,
            Mutation::Set(i, b) if n > 0 => d[i % n] = b,
            Mutation::Insert(i, b) => d.insert(i % (n + 1), b),
            Mutation::Delete(i) if n > 0 => {
                d.remove(i % n);
            }
            Mutation::Cut(i) => d.truncate(i % (n + 1)),
            _ => {}
        }
    }
    d
}

/// A plain value the writer writes as a plain pickle value.
fn plain() -> impl Strategy<Value = V> {
    prop_oneof![
        Just(V::Null),
        any::<bool>().prop_map(V::Bool),
        int().prop_map(V::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(V::Big),
        any::<f64>().prop_map(V::Float),
        text().prop_map(V::Str),
        blob().prop_map(V::Bytes),
    ]
}

/// Any core value, with a zone offset for timestamptz.
fn any_value_ref() -> impl Strategy<Value = (u8, i64, Option<i32>, String, [u8; 16])> {
    (0u8..14, prop_oneof![any::<i64>(), -DAY..2 * DAY, select(vec![i64::MIN, i64::MAX, 0, -1])], proptest::option::of(any::<i32>()), text(), any::<[u8; 16]>())
}

fn make_ref(k: u8, n: i64, t: &str, u: [u8; 16]) -> ValueRef<'_> {
    match k {
        0 => ValueRef::Null,
        1 => ValueRef::Bool(n & 1 == 1),
        2 => ValueRef::Int64(n),
        3 => ValueRef::Uint64(n as u64),
        4 => ValueRef::Double(f64::from_bits(n as u64)),
        5 => ValueRef::Text(t),
        6 => ValueRef::Bytes(t.as_bytes()),
        7 => ValueRef::Date(n as i32),
        8 => ValueRef::Time(n),
        9 => ValueRef::Timestamp(n),
        10 => ValueRef::Timestamptz(n),
        11 => ValueRef::Uuid(u),
        12 => ValueRef::Json(t),
        _ => ValueRef::Decimal(t),
    }
}

proptest! {
    #![proptest_config(cfg(3000))]

    #[test]
    fn any_bytes_are_read_or_refused(d in proptest::collection::vec(any::<u8>(), 0..200)) {
        read_anything(&d)?;
    }

    #[test]
    fn any_bytes_after_a_valid_header_are_read_or_refused(
        head in select(vec![&b"\x80\x05]("[..], b"\x80\x05]\x94(", b"\x80\x02]q\x00(", b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00](]("]),
        d in proptest::collection::vec(prop_oneof![any::<u8>(), select(b"()]ae.tNKhjqr\x85\x86\x87\x8a\x8c\x93\x94R".to_vec())], 0..200),
    ) {
        let mut s = head.to_vec();
        s.extend_from_slice(&d);
        read_anything(&s)?;
    }

    #[test]
    fn mutated_valid_streams_are_read_or_refused(s in style(), r in rows(), ms in mutations()) {
        let (data, _) = Enc::stream(&s, &r);
        read_anything(&mutate(data, &ms))?;
    }

    #[test]
    fn every_value_type_reads_back_exactly(s in style(), r in rows()) {
        let (data, want) = Enc::stream(&s, &r);
        let want: Vec<Vec<ValueRef<'_>>> = want.iter().map(|row| row.iter().map(expected).collect()).collect();
        match read(&data) {
            Ok(got) => prop_assert!(same_rows(&got, &want), "{:?}\n got {:?}\nwant {:?}", s, got, want),
            Err(e) => prop_assert!(false, "{:?}: {}\n{:02x?}", s, e.message, data),
        }
    }

    #[test]
    fn the_writer_never_panics((k, n, off, t, u) in any_value_ref()) {
        let v = make_ref(k, n, &t, u);
        let mut w = PickleWriter::new();
        if let Err(e) = w.row_zoned(1, |_| Ok(v), |_| off) {
            prop_assert_eq!(e.status, Status::InvalidData, "{}", e.message);
            prop_assert_eq!(e.sqlstate.as_str(), "22008", "{}", e.message);
        }
        let mut s = String::new();
        let _ = v.write_text(&mut s);
        let _ = (v.as_i64(), v.as_u64(), v.as_f64(), v.as_bool(), v.as_date(), v.as_time(), v.as_timestamp(), v.as_uuid(), v.as_bytes());
    }

    #[test]
    fn plain_values_the_writer_writes_read_back(rows in proptest::collection::vec(proptest::collection::vec(plain(), 0..6), 0..6)) {
        let mut w = PickleWriter::new();
        for r in &rows {
            let vals: Vec<ValueRef<'_>> = r.iter().map(expected).collect();
            w.row(vals.len(), |i| Ok(vals[i])).unwrap();
        }
        let data = w.finish();
        let want: Vec<Vec<ValueRef<'_>>> = rows.iter().map(|r| r.iter().map(expected).collect()).collect();
        let got = read(&data).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert!(same_rows(&got, &want), "got {:?}\nwant {:?}", got, want);
    }

    #[test]
    fn stdlib_calls_the_writer_writes_are_refused((k, n, _, t, u) in any_value_ref()) {
        let v = make_ref(k, n, &t, u);
        let mut w = PickleWriter::new();
        if !matches!(v, ValueRef::Decimal(_) | ValueRef::Date(_) | ValueRef::Time(_) | ValueRef::Timestamp(_) | ValueRef::Timestamptz(_) | ValueRef::Uuid(_)) || w.row(1, |_| Ok(v)).is_err() {
            return Ok(());
        }
        let e = read(&w.finish()).err();
        prop_assert!(e.as_ref().is_some_and(|e| e.status == Status::InvalidArgument && e.message.contains("only keel._wire")), "{:?}: {:?}", v, e);
    }
}

// --- CPython's own pickle, both ways -----------------------------------

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn v_json(v: &V) -> String {
    match v {
        V::Null => "[\"none\"]".into(),
        V::Bool(b) => format!("[\"bool\", {b}]"),
        V::Int(n) => format!("[\"int\", \"{n}\"]"),
        V::Big(n) => format!("[\"int\", \"{n}\"]"),
        V::Float(x) => format!("[\"float\", \"{}\"]", hex(&x.to_be_bytes())),
        V::Str(s) => format!("[\"str\", {}]", json_str(s)),
        V::Bytes(b) => format!("[\"bytes\", \"{}\"]", hex(b)),
        V::ByteArray(b) => format!("[\"bytearray\", \"{}\"]", hex(b)),
        V::Tag(t, a) => format!("[\"tag\", \"{t}\", {}]", v_json(a)),
    }
}

fn has(v: &V, f: &dyn Fn(&V) -> bool) -> bool {
    f(v) || matches!(v, V::Tag(_, a) if has(a, f))
}

const CPYTHON_DUMPS: &str = r#"
import json, pickle, struct, sys, types, io
m = types.ModuleType("keel._wire"); pk = types.ModuleType("keel"); pk._wire = m
sys.modules["keel"] = pk; sys.modules["keel._wire"] = m
for n in ["date", "time", "timestamp", "timestamptz", "decimal", "uuid", "json", "bytes", "int", "float", "str"]:
    def f(*a):
        raise RuntimeError("never called")
    f.__module__, f.__qualname__, f.__name__ = "keel._wire", n, n
    setattr(m, n, f)
class Tag:
    def __init__(self, n, a): self.n, self.a = n, a
    def __reduce__(self): return (getattr(m, self.n), (self.a,))
def build(v):
    k = v[0]
    if k == "none": return None
    if k == "bool": return v[1]
    if k == "int": return int(v[1])
    if k == "float": return struct.unpack(">d", bytes.fromhex(v[1]))[0]
    if k == "str": return v[1]
    if k == "bytes": return bytes.fromhex(v[1])
    if k == "bytearray": return bytearray.fromhex(v[1])
    return Tag(v[1], build(v[2]))
for line in sys.stdin:
    rows = []
    for r in json.loads(line):
        if "again" in r:
            rows.append(rows[r["again"]])
        else:
            vals = [build(v) for v in r["vals"]]
            rows.append(vals if r["list"] else tuple(vals))
    out = []
    for proto in (2, 3, 4, 5):
        for fast in (False, True):
            f = io.BytesIO(); p = pickle.Pickler(f, protocol=proto); p.fast = fast; p.dump(rows)
            out.append(f"{proto}:{int(fast)}:{f.getvalue().hex()}")
    print(" ".join(out))
"#;

const CPYTHON_LOADS: &str = r#"
import datetime as dt, decimal, json, pickle, struct, sys, uuid
E = dt.datetime(1970, 1, 1)
def same(v, w):
    k = w[0]
    if k == "none": return v is None
    if k == "bool": return type(v) is bool and v == w[1]
    if k == "int": return type(v) is int and v == int(w[1])
    if k == "float": return type(v) is float and struct.pack(">d", v).hex() == w[1]
    if k == "str": return type(v) is str and v == w[1]
    if k == "bytes": return type(v) is bytes and v == bytes.fromhex(w[1])
    if k == "decimal": return type(v) is decimal.Decimal and v.as_tuple() == decimal.Decimal(w[1]).as_tuple()
    if k == "date": return type(v) is dt.date and v == (E + dt.timedelta(days=w[1])).date()
    if k == "time": return type(v) is dt.time and v.tzinfo is None and v == (dt.datetime(1, 1, 1) + dt.timedelta(microseconds=w[1])).time()
    if k == "timestamp": return type(v) is dt.datetime and v.tzinfo is None and v == E + dt.timedelta(microseconds=w[1])
    if k == "timestamptz":
        return (type(v) is dt.datetime and v.utcoffset() == dt.timedelta(seconds=w[2])
                and v.replace(tzinfo=None) - v.utcoffset() == E + dt.timedelta(microseconds=w[1]))
    if k == "uuid": return type(v) is uuid.UUID and v.bytes == bytes.fromhex(w[1])
    return False
bad = 0
for line in sys.stdin:
    data, want = line.split(" ", 1)
    got, want = pickle.loads(bytes.fromhex(data)), json.loads(want)
    ok = type(got) is list and len(got) == len(want) and all(
        type(g) is tuple and len(g) == len(w) and all(same(a, b) for a, b in zip(g, w)) for g, w in zip(got, want))
    if not ok:
        bad += 1
        print("MISMATCH", repr(got), want)
print("checked", bad)
"#;

fn python3() -> Option<std::process::Command> {
    let ok = std::process::Command::new("python3").arg("-c").arg("import pickle").output().is_ok_and(|o| o.status.success());
    ok.then(|| std::process::Command::new("python3"))
}

fn run_python(script: &str, input: &str) -> String {
    use std::io::Write;
    let mut child = python3()
        .unwrap()
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Written from another thread: python3 answers line by line, and a
    // full pipe either way would stop both.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "python3 failed");
    String::from_utf8(out.stdout).unwrap()
}

/// Samples of a strategy, the same on every run.
fn samples<S: Strategy>(s: S, n: usize) -> Vec<S::Value> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..n).map(|_| s.new_tree(&mut runner).unwrap().current()).collect()
}

/// What `pickle.dumps` writes (protocols 2 to 5, memoized and `fast`),
/// the reader reads exactly, but for what the reader's docs say it
/// refuses: bytes at protocol 2 (written as `_codecs.encode`), bytearray
/// below protocol 5 (written as a `builtins.bytearray` call).
#[test]
fn what_cpython_pickles_reads_back() {
    if python3().is_none() {
        println!("skipped: no python3 here");
        return;
    }
    let streams = samples(rows(), 150);
    let mut input = String::new();
    for rows in &streams {
        let mut parts = Vec::new();
        let mut n = 0usize;
        for r in rows {
            match r {
                Row::New(v, list) => {
                    parts.push(format!("{{\"list\": {list}, \"vals\": [{}]}}", v.iter().map(v_json).collect::<Vec<_>>().join(", ")));
                    n += 1;
                }
                Row::Again(i) if n > 0 => {
                    parts.push(format!("{{\"again\": {}}}", i % n));
                    n += 1;
                }
                Row::Again(_) => {}
            }
        }
        input.push_str(&format!("[{}]\n", parts.join(", ")));
    }
    let out = run_python(CPYTHON_DUMPS, &input);
    let mut checked = 0;
    for (rows, line) in streams.iter().zip(out.lines()) {
        // The rows the stream holds, `Again` resolved as above.
        let mut want: Vec<Vec<V>> = Vec::new();
        for r in rows {
            match r {
                Row::New(v, _) => want.push(v.clone()),
                Row::Again(i) if !want.is_empty() => want.push(want[i % want.len()].clone()),
                Row::Again(_) => {}
            }
        }
        let all = || want.iter().flatten();
        let bytes = all().any(|v| has(v, &|x| matches!(x, V::Bytes(_))));
        let bytearray = all().any(|v| has(v, &|x| matches!(x, V::ByteArray(_))));
        let want_refs: Vec<Vec<ValueRef<'_>>> = want.iter().map(|r| r.iter().map(expected).collect()).collect();
        for item in line.split(' ') {
            let mut f = item.splitn(3, ':');
            let (proto, fast, data) = (f.next().unwrap(), f.next().unwrap(), unhex(f.next().unwrap()));
            let refused = (proto == "2" && bytes) || (proto != "5" && bytearray);
            match read(&data) {
                Ok(got) => assert!(!refused && same_rows(&got, &want_refs), "protocol {proto} fast {fast}: {rows:?}\n got {got:?}"),
                Err(e) => assert!(refused && e.message.contains("only keel._wire"), "protocol {proto} fast {fast}: {rows:?}: {}", e.message),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, streams.len() * 8);
}

fn expected_json(v: &ValueRef<'_>, off: Option<i32>) -> String {
    match *v {
        ValueRef::Null => "[\"none\"]".into(),
        ValueRef::Bool(b) => format!("[\"bool\", {b}]"),
        ValueRef::Int64(n) => format!("[\"int\", \"{n}\"]"),
        ValueRef::Uint64(n) => format!("[\"int\", \"{n}\"]"),
        ValueRef::Double(x) => format!("[\"float\", \"{}\"]", hex(&x.to_be_bytes())),
        ValueRef::Text(s) | ValueRef::Json(s) => format!("[\"str\", {}]", json_str(s)),
        ValueRef::Bytes(b) => format!("[\"bytes\", \"{}\"]", hex(b)),
        ValueRef::Decimal(s) => format!("[\"decimal\", {}]", json_str(s)),
        ValueRef::Date(d) => format!("[\"date\", {d}]"),
        ValueRef::Time(t) => format!("[\"time\", {t}]"),
        ValueRef::Timestamp(t) => format!("[\"timestamp\", {t}]"),
        ValueRef::Timestamptz(t) => format!("[\"timestamptz\", {t}, {}]", off.unwrap_or(0)),
        ValueRef::Uuid(u) => format!("[\"uuid\", \"{}\"]", hex(&u)),
    }
}

/// What the writer writes, `pickle.loads` reads as the values it stands
/// for: the same ints, bits of floats, text, bytes, Decimal, date, time,
/// naive and aware datetime (at the zone's offset), and UUID.
#[test]
fn cpython_reads_what_the_writer_writes() {
    if python3().is_none() {
        println!("skipped: no python3 here");
        return;
    }
    const Y1: i64 = -719_162; // 0001-01-01
    const Y9999: i64 = 2_932_896; // 9999-12-31
    let value = (
        0u8..14,
        prop_oneof![any::<i64>(), Y1..=Y9999, (Y1 * DAY)..(Y9999 * DAY), 0..DAY],
        prop_oneof![Just(None), (-86_399i32..86_400).prop_map(Some), (-15 * 60..=15 * 60i32).prop_map(|m| Some(m * 60))],
        text(),
        "-?[0-9]{1,20}(\\.[0-9]{1,10})?([eE][+-]?[0-9]{1,3})?",
        any::<[u8; 16]>(),
    );
    let rows = samples(proptest::collection::vec(value, 0..6), 400);
    let mut input = String::new();
    let mut written = 0;
    for r in &rows {
        let vals: Vec<ValueRef<'_>> = r
            .iter()
            .map(|(k, n, _, t, d, u)| match k {
                13 => ValueRef::Decimal(d),
                7 => ValueRef::Date(*n as i32),
                _ => make_ref(*k, *n, t, *u),
            })
            .collect();
        let mut w = PickleWriter::new();
        if w.row_zoned(vals.len(), |i| Ok(vals[i]), |i| r[i].2).is_err() {
            continue; // outside Python's years: the writer's error, tested above
        }
        let want: Vec<String> = vals.iter().zip(r).map(|(v, x)| expected_json(v, x.2)).collect();
        input.push_str(&format!("{} [[{}]]\n", hex(&w.finish()), want.join(", ")));
        written += 1;
    }
    assert!(written > 200, "only {written} rows written");
    let out = run_python(CPYTHON_LOADS, &input);
    assert!(out.trim_end().ends_with("checked 0"), "{out}");
}

// --- The marshal format (codec::marshal, KEEL_BATCH_FORMAT_MARSHAL2) -------

use keel::codec::marshal::{MarshalReader, MarshalWriter};
use keel::core::encode::RowDecoder;

fn marshal_read(data: &[u8]) -> keel::Result<Vec<Vec<ValueRef<'_>>>> {
    let mut out = Vec::new();
    MarshalReader.for_each_row(data, &mut |_, row| {
        out.push(row.to_vec());
        Ok(())
    })?;
    Ok(out)
}

/// A value as marshal gives it back: JSON is a str, a uint64 that fits
/// int64 an int, a float its bits.
fn marshal_form(v: &ValueRef<'_>) -> String {
    match *v {
        ValueRef::Json(s) | ValueRef::Text(s) => format!("str {s:?}"),
        ValueRef::Uint64(n) => format!("int {n}"),
        ValueRef::Int64(n) => format!("int {n}"),
        ValueRef::Double(x) => format!("float {:x}", x.to_bits()),
        ref other => format!("{other:?}"),
    }
}

/// Plain values only: the kinds `make_ref` makes that marshal carries.
fn plain_rows(rows: &[Vec<(u8, i64, Option<i32>, String, [u8; 16])>]) -> Vec<Vec<ValueRef<'_>>> {
    rows.iter()
        .map(|r| r.iter().filter(|x| matches!(x.0, 0..=6 | 12)).map(|(k, n, _, t, u)| make_ref(*k, *n, t, *u)).collect())
        .collect()
}

proptest! {
    #![proptest_config(cfg(3000))]

    #[test]
    fn marshal_reader_reads_or_refuses_any_bytes(d in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Err(e) = marshal_read(&d) {
            prop_assert_eq!(e.status, Status::InvalidArgument);
        }
    }

    #[test]
    fn marshal_reader_reads_or_refuses_valid_streams_cut_or_changed(
        rows in proptest::collection::vec(proptest::collection::vec(any_value_ref(), 0..5), 1..4),
        ms in mutations(),
    ) {
        let vals = plain_rows(&rows);
        let mut w = MarshalWriter::reusing(Vec::new());
        for r in &vals {
            w.row(r.len(), |i| r[i]).unwrap();
        }
        if let Err(e) = marshal_read(&mutate(w.finish(), &ms)) {
            prop_assert_eq!(e.status, Status::InvalidArgument);
        }
    }

    #[test]
    fn marshal_reads_back_what_it_writes(rows in proptest::collection::vec(proptest::collection::vec(any_value_ref(), 0..6), 0..6)) {
        let vals = plain_rows(&rows);
        let mut w = MarshalWriter::reusing(Vec::new());
        for r in &vals {
            w.row(r.len(), |i| r[i]).unwrap();
        }
        let data = w.finish();
        let got = marshal_read(&data).unwrap();
        let form = |rs: &[Vec<ValueRef<'_>>]| rs.iter().map(|r| r.iter().map(marshal_form).collect::<Vec<_>>()).collect::<Vec<_>>();
        prop_assert_eq!(form(&got), form(&vals));
    }

    #[test]
    fn marshal_refuses_the_types_it_cannot_carry((k, n, _, t, u) in any_value_ref()) {
        let v = make_ref(k, n, &t, u);
        let mut w = MarshalWriter::reusing(Vec::new());
        let r = w.row(1, |_| v);
        prop_assert_eq!(r.is_ok(), matches!(k, 0..=6 | 12));
    }
}

/// What the marshal writer writes, CPython's `marshal.loads` reads as the
/// values it stands for (the same checks as for pickle above).
#[test]
fn cpython_reads_what_the_marshal_writer_writes() {
    if python3().is_none() {
        println!("skipped: no python3 here");
        return;
    }
    let rows = samples(proptest::collection::vec(any_value_ref(), 0..6), 400);
    let mut input = String::new();
    for r in &rows {
        let vals = plain_rows(std::slice::from_ref(r)).pop().unwrap();
        let mut w = MarshalWriter::reusing(Vec::new());
        w.row(vals.len(), |i| vals[i]).unwrap();
        let want: Vec<String> = vals.iter().map(|v| expected_json(v, None)).collect();
        input.push_str(&format!("{} [[{}]]\n", hex(&w.finish()), want.join(", ")));
    }
    let script = CPYTHON_LOADS.replace("pickle.loads(", "marshal.loads(").replace("import datetime", "import marshal, datetime");
    let out = run_python(&script, &input);
    assert!(out.trim_end().ends_with("checked 0"), "{out}");
}

/// What `marshal.dumps(rows, 2)` writes of plain values, the reader reads
/// exactly.
#[test]
fn what_cpython_marshals_reads_back() {
    if python3().is_none() {
        println!("skipped: no python3 here");
        return;
    }
    const DUMPS: &str = r#"
import json, marshal, struct, sys
def val(w):
    k = w[0]
    if k == "none": return None
    if k == "bool": return w[1]
    if k == "int": return int(w[1])
    if k == "float": return struct.unpack(">d", bytes.fromhex(w[1]))[0]
    if k == "str": return w[1]
    if k == "bytes": return bytes.fromhex(w[1])
    raise ValueError(k)
for line in sys.stdin:
    rows = [tuple(val(w) for w in r) for r in json.loads(line)]
    print(marshal.dumps(rows, 2).hex())
"#;
    let streams = samples(proptest::collection::vec(proptest::collection::vec(any_value_ref(), 0..5), 0..4), 200);
    let mut input = String::new();
    for rows in &streams {
        let vals = plain_rows(rows);
        let rs: Vec<String> = vals.iter().map(|r| format!("[{}]", r.iter().map(|v| expected_json(v, None)).collect::<Vec<_>>().join(", "))).collect();
        input.push_str(&format!("[{}]\n", rs.join(", ")));
    }
    let out = run_python(DUMPS, &input);
    let mut checked = 0;
    for (rows, line) in streams.iter().zip(out.lines()) {
        let want = plain_rows(rows);
        let data = unhex(line);
        let got = marshal_read(&data).unwrap_or_else(|e| panic!("{line}: {}", e.message));
        let form = |rs: &[Vec<ValueRef<'_>>]| rs.iter().map(|r| r.iter().map(marshal_form).collect::<Vec<_>>()).collect::<Vec<_>>();
        assert_eq!(form(&got), form(&want), "{line}");
        checked += 1;
    }
    assert_eq!(checked, streams.len());
}
