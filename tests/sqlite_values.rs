//! SQLite through the C ABI: every value type round-trips through columns
//! of the matching declared type, with the column metadata to go with it;
//! transactions and savepoints; the pool's rollback on check-in; exec
//! results; connection facts; URL forms and options; and cursor and
//! statement lifetimes (closed early, re-run, invalidated, freed in any
//! order).

mod ffi_util;

use ffi_util::*;
use keel::ffi::conn::*;
use keel::ffi::db::*;
use keel::ffi::error::keel_error;
use keel::ffi::rows::*;
use keel::ffi::stmt::*;
use keel::ffi::types::{keel_exec_result, keel_tx_options, keel_value};
use keel::ffi::version::keel_driver_available;
use keel::{Dialect, Isolation, Nullable, Status, TxLock, Type};
use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicU32, Ordering};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A connection on a fresh in-memory database with one table
/// `v(id INTEGER PRIMARY KEY, x <decl>)`.
struct Col {
    db: *mut keel_db,
    conn: *mut keel_conn,
    insert: *mut keel_stmt,
}

impl Col {
    fn new(decl: &str) -> Col {
        let db = memory_db();
        let conn = checkout(db);
        exec(conn, &format!("CREATE TABLE v(id INTEGER PRIMARY KEY, x {decl})"), &[]);
        let insert = prepare(conn, "INSERT INTO v(x) VALUES (?)");
        Col { db, conn, insert }
    }

    /// Insert one row, binding parameter 0 with `bind`.
    #[track_caller]
    fn put(&self, bind: impl FnOnce(*mut keel_stmt, *mut *mut keel_error) -> Status) {
        ok(|e| bind(self.insert, e));
        let mut r = keel_exec_result::default();
        ok(|e| keel_stmt_execute(self.insert, &mut r, e));
        assert_eq!(r.rows_affected, 1);
    }

    /// Every `x`, in insertion order.
    fn rows(&self) -> *mut keel_rows {
        query(self.conn, "SELECT x FROM v ORDER BY id", &[])
    }
}

impl Drop for Col {
    fn drop(&mut self) {
        keel_stmt_free(self.insert);
        keel_conn_free(self.conn);
        keel_db_free(self.db);
    }
}

/// Column 0's metadata: (keel type, engine type, nullable, name).
fn meta(rows: *mut keel_rows) -> (Type, String, Nullable, String) {
    (column_type(rows, 0), column_engine_type(rows, 0), column_nullable(rows, 0), column_name(rows, 0))
}

#[track_caller]
fn kind_of(v: &keel_value) -> Type {
    Type::ALL[usize::try_from(v.kind).expect("kind >= 0")]
}

// ---- values ---------------------------------------------------------------------

#[test]
fn null_round_trips_in_every_declared_type() {
    for decl in ["BOOLEAN", "INTEGER", "UNSIGNED BIG INT", "DOUBLE", "TEXT", "BLOB", "DATE", "TIME", "DATETIME", "TIMESTAMPTZ", "UUID", "JSON", "DECIMAL(10,2)", ""] {
        let t = Col::new(decl);
        t.put(|s, e| keel_stmt_bind_null(s, 0, e));
        t.put(|s, e| keel_stmt_bind_value(s, 0, &v_null(), e));
        let rows = t.rows();
        for _ in 0..2 {
            assert!(next(rows));
            assert!(is_null(rows, 0), "{decl}");
            let v = get_value(rows, 0);
            assert_eq!(kind_of(&v), Type::Null, "{decl}");
            assert!(v.data.is_null());
            let e = fails(|e| keel_rows_column_int64(rows, 0, &mut 0, e));
            assert_err(&e, Status::InvalidData, &["NULL"]);
        }
        assert!(!next(rows));
        keel_rows_free(rows);
    }
}

#[test]
fn bool_round_trips_in_a_boolean_column() {
    let t = Col::new("BOOLEAN NOT NULL");
    t.put(|s, e| keel_stmt_bind_bool(s, 0, true, e));
    t.put(|s, e| keel_stmt_bind_bool(s, 0, false, e));
    t.put(|s, e| keel_stmt_bind_value(s, 0, &v_bool(true), e));
    let rows = t.rows();
    assert_eq!(meta(rows), (Type::Bool, "BOOLEAN".into(), Nullable::No, "x".into()));
    for want in [true, false, true] {
        assert!(next(rows));
        let mut b = !want;
        ok(|e| keel_rows_column_bool(rows, 0, &mut b, e));
        assert_eq!(b, want);
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.int_value), (Type::Bool, want as i64));
        assert_eq!(get_i64(rows, 0), want as i64);
        assert_eq!(get_text(rows, 0), if want { "true" } else { "false" });
    }
    keel_rows_free(rows);
}

/// Text SQLite holds that is not valid UTF-8 (stored as given) reads as
/// bytes, and reading it as text says why instead of only "bytes".
#[test]
fn text_that_is_not_utf8_reads_as_bytes_and_says_so() {
    let t = Col::new("TEXT");
    exec(t.conn, "INSERT INTO v(x) VALUES (CAST(x'41ff42' AS TEXT))", &[]);
    let rows = t.rows();
    assert!(next(rows));
    let v = get_value(rows, 0);
    assert_eq!(kind_of(&v), Type::Bytes);
    let e = fails(|e| keel_rows_column_text(rows, 0, &mut null(), &mut 0, e));
    assert_err(&e, Status::InvalidData, &["not valid UTF-8", "3 bytes", "read it as bytes"]);
    keel_rows_free(rows);
}

#[test]
fn int64_round_trips_including_min_and_max() {
    let t = Col::new("INTEGER");
    let vals = [i64::MIN, -1, 0, 1, i64::MAX];
    for v in vals {
        t.put(|s, e| keel_stmt_bind_int64(s, 0, v, e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows), (Type::Int64, "INTEGER".into(), Nullable::Yes, "x".into()));
    for want in vals {
        assert!(next(rows));
        assert_eq!(get_i64(rows, 0), want);
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.int_value), (Type::Int64, want));
        assert_eq!(get_text(rows, 0), want.to_string());
        if want.unsigned_abs() > 1 << 53 {
            let e = fails(|e| keel_rows_column_double(rows, 0, &mut 0.0, e));
            assert_err(&e, Status::InvalidData, &["exact double"]);
        }
    }
    keel_rows_free(rows);
}

#[test]
fn uint64_round_trips_in_an_unsigned_column() {
    let t = Col::new("UNSIGNED BIG INT");
    let vals = [0, 1, u32::MAX as u64 + 1, i64::MAX as u64];
    for v in vals {
        t.put(|s, e| keel_stmt_bind_uint64(s, 0, v, e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Uint64);
    assert_eq!(meta(rows).1, "UNSIGNED BIG INT");
    for want in vals {
        assert!(next(rows));
        let mut u = 0;
        ok(|e| keel_rows_column_uint64(rows, 0, &mut u, e));
        assert_eq!(u, want);
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.uint_value), (Type::Uint64, want));
    }
    keel_rows_free(rows);
}

#[test]
fn doubles_round_trip_including_infinities_and_negative_zero() {
    let t = Col::new("DOUBLE");
    let vals = [1.5, -2.25, 0.1, f64::MAX, f64::MIN_POSITIVE, 5e-324, f64::INFINITY, f64::NEG_INFINITY, 1e300];
    for v in vals {
        t.put(|s, e| keel_stmt_bind_double(s, 0, v, e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Double);
    for want in vals {
        assert!(next(rows));
        let mut d = 0.0;
        ok(|e| keel_rows_column_double(rows, 0, &mut d, e));
        assert_eq!(d.to_bits(), want.to_bits(), "{want}");
        let v = get_value(rows, 0);
        assert_eq!(kind_of(&v), Type::Double);
        assert_eq!(v.double_value.to_bits(), want.to_bits());
    }
    keel_rows_free(rows);

    // -0.0 keeps its sign as a parameter read straight back, and in a
    // column without affinity. (A REAL-affinity column stores integral
    // doubles as integers, which SQLite documents; that drops the sign.)
    let rows = query(t.conn, "SELECT ?", &[v_f64(-0.0)]);
    assert!(next(rows));
    let mut d = 1.0;
    ok(|e| keel_rows_column_double(rows, 0, &mut d, e));
    assert_eq!(d.to_bits(), (-0.0f64).to_bits());
    keel_rows_free(rows);
    exec(t.conn, "CREATE TABLE raw(x)", &[]);
    exec(t.conn, "INSERT INTO raw VALUES (?)", &[v_f64(-0.0)]);
    let rows = query(t.conn, "SELECT x FROM raw", &[]);
    assert!(next(rows));
    let v = get_value(rows, 0);
    assert_eq!(kind_of(&v), Type::Double);
    assert_eq!(v.double_value.to_bits(), (-0.0f64).to_bits());
    keel_rows_free(rows);
}

#[test]
fn text_round_trips_empty_null_unicode_and_embedded_nul() {
    let t = Col::new("TEXT");
    let vals: [Option<&str>; 6] = [
        Some(""),
        None,
        Some("plain"),
        Some("h\u{e9}llo \u{1F600} \u{1D11E} \u{10FFFF}"),
        Some("a\0b"),
        Some("\0"),
    ];
    for v in vals {
        match v {
            Some(s) => t.put(|st, e| keel_stmt_bind_text(st, 0, s.as_ptr() as *const c_char, s.len(), e)),
            None => t.put(|st, e| keel_stmt_bind_null(st, 0, e)),
        }
    }
    // Through a keel_value parameter too.
    exec(t.conn, "INSERT INTO v(x) VALUES (?)", &[v_text("x\0y\u{1F600}".as_bytes())]);
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Text);
    for want in vals.iter().copied().chain([Some("x\0y\u{1F600}")]) {
        assert!(next(rows));
        match want {
            None => assert!(is_null(rows, 0)),
            Some(s) => {
                assert!(!is_null(rows, 0), "{s:?} read as NULL");
                assert_eq!(get_text(rows, 0), s);
                let v = get_value(rows, 0);
                assert_eq!(kind_of(&v), Type::Text);
                assert_eq!(value_data(&v), s.as_bytes());
                assert!(v.data as usize > 0x1000, "text must point at real memory, even when empty: {:p}", v.data);
                // SAFETY: text data is NUL-terminated, after len bytes.
                assert_eq!(unsafe { *v.data.add(v.len) }, 0);
                assert_eq!(get_bytes(rows, 0), s.as_bytes());
            }
        }
    }
    assert!(!next(rows));
    keel_rows_free(rows);
}

#[test]
fn bytes_round_trip_empty_large_and_with_zeros() {
    let t = Col::new("BLOB");
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let vals: [&[u8]; 4] = [b"", &big, b"\0\0x\0", &[0xff, 0x00, 0xfe]];
    for v in vals {
        t.put(|s, e| keel_stmt_bind_bytes(s, 0, v.as_ptr(), v.len(), e));
    }
    // An empty buffer may also be passed as NULL with length 0.
    t.put(|s, e| keel_stmt_bind_bytes(s, 0, null(), 0, e));
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Bytes);
    assert_eq!(meta(rows).1, "BLOB");
    for want in vals.iter().copied().chain([&b""[..]]) {
        assert!(next(rows));
        assert!(!is_null(rows, 0), "an empty blob is not NULL");
        assert_eq!(get_bytes(rows, 0), want);
        let v = get_value(rows, 0);
        assert_eq!(kind_of(&v), Type::Bytes);
        assert_eq!(value_data(&v), want);
        let e = fails(|e| keel_rows_column_text(rows, 0, &mut null(), null_mut(), e));
        assert_err(&e, Status::InvalidData, &["bytes", "text"]);
    }
    keel_rows_free(rows);
}

#[test]
fn dates_round_trip_before_and_after_1970() {
    let t = Col::new("DATE");
    // 1969-12-31, 1900-01-01, 1970-01-01, 2024-02-29, 0001-01-01, 9999-12-31
    let vals = [(-1, "1969-12-31"), (-25_567, "1900-01-01"), (0, "1970-01-01"), (19_782, "2024-02-29"), (-719_162, "0001-01-01"), (2_932_896, "9999-12-31")];
    for (d, _) in vals {
        t.put(|s, e| keel_stmt_bind_date(s, 0, d, e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Date);
    assert_eq!(meta(rows).1, "DATE");
    for (days, text) in vals {
        assert!(next(rows));
        let mut d = 0;
        ok(|e| keel_rows_column_date(rows, 0, &mut d, e));
        assert_eq!(d, days, "{text}");
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.int_value), (Type::Date, days as i64));
        assert_eq!(get_text(rows, 0), text);
        // A date reads as a timestamp at midnight.
        let mut ts = 0;
        ok(|e| keel_rows_column_timestamp(rows, 0, &mut ts, e));
        assert_eq!(ts, days as i64 * MICROS_PER_DAY);
    }
    keel_rows_free(rows);
}

#[test]
fn times_round_trip_to_the_microsecond() {
    let t = Col::new("TIME");
    let vals = [(0, "00:00:00"), (1, "00:00:00.000001"), (3_723_000_042, "01:02:03.000042"), (MICROS_PER_DAY - 1, "23:59:59.999999")];
    for (us, _) in vals {
        t.put(|s, e| keel_stmt_bind_time(s, 0, us, e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Time);
    for (us, text) in vals {
        assert!(next(rows));
        let mut got = -1;
        ok(|e| keel_rows_column_time(rows, 0, &mut got, e));
        assert_eq!(got, us);
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.int_value), (Type::Time, us));
        assert_eq!(get_text(rows, 0), text);
    }
    keel_rows_free(rows);
}

#[test]
fn timestamps_round_trip_before_1970_with_microseconds() {
    let t = Col::new("DATETIME");
    let vals = [
        (-1, "1969-12-31 23:59:59.999999"),
        (-14_182_940_000_000 + 123_456, "1969-07-20 20:17:40.123456"),
        (0, "1970-01-01 00:00:00"),
        (1_700_000_000_000_001, "2023-11-14 22:13:20.000001"),
        (-62_135_596_800_000_000, "0001-01-01 00:00:00"),
    ];
    for (us, _) in vals {
        t.put(|s, e| keel_stmt_bind_timestamp(s, 0, us, e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Timestamp);
    assert_eq!(meta(rows).1, "DATETIME");
    for (us, text) in vals {
        assert!(next(rows));
        let mut got = 0;
        ok(|e| keel_rows_column_timestamp(rows, 0, &mut got, e));
        assert_eq!(got, us, "{text}");
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.int_value), (Type::Timestamp, us));
        assert_eq!(get_text(rows, 0), text);
        // A timestamp is not a date: that would drop its time.
        let e = fails(|e| keel_rows_column_date(rows, 0, &mut 0, e));
        assert_eq!(e.status(), Status::InvalidData);
    }
    keel_rows_free(rows);

    // What SQLite's own date functions write reads back too.
    let rows = query(t.conn, "SELECT datetime(0, 'unixepoch')", &[]);
    assert!(next(rows));
    let mut got = 1;
    ok(|e| keel_rows_column_timestamp(rows, 0, &mut got, e));
    assert_eq!(got, 0);
    keel_rows_free(rows);
    exec(t.conn, "DELETE FROM v", &[]);
    exec(t.conn, "INSERT INTO v(x) VALUES ('1969-12-31T23:59:59.5'), (86400)", &[]);
    let rows = t.rows();
    assert!(next(rows));
    let v = get_value(rows, 0);
    assert_eq!((kind_of(&v), v.int_value), (Type::Timestamp, -500_000));
    assert!(next(rows));
    let v = get_value(rows, 0);
    assert_eq!((kind_of(&v), v.int_value), (Type::Timestamp, MICROS_PER_DAY), "integers are Unix seconds");
    keel_rows_free(rows);
}

/// keel_rows_column_text of a TIMESTAMP column hands out text stored in
/// keel's own form as it is (no parse), and writes keel's form for any
/// other text a timestamp parses from; text that is no timestamp comes as
/// it is stored (nothing is lost), and a typed read says why it is none.
#[test]
fn timestamp_text_is_keels_form_whether_stored_so_or_not() {
    let t = Col::new("TIMESTAMP");
    exec(
        t.conn,
        "INSERT INTO v(x) VALUES ('2024-03-10 12:34:56'), ('2024-03-10 12:34:56.250000'), ('2024-03-10T12:34:56'), \
         ('2024-03-10 12:34:56.000000'), ('2024-03-10 12:34:56.25'), ('2024-02-29 00:00:00'), ('2024-02-30 00:00:00')",
        &[],
    );
    let rows = t.rows();
    for want in [
        "2024-03-10 12:34:56",
        "2024-03-10 12:34:56.250000",
        "2024-03-10 12:34:56",
        "2024-03-10 12:34:56",
        "2024-03-10 12:34:56.250000",
        "2024-02-29 00:00:00",
    ] {
        assert!(next(rows));
        assert_eq!(get_text(rows, 0), want);
        let mut us = 0;
        ok(|e| keel_rows_column_timestamp(rows, 0, &mut us, e));
        let mut back = String::new();
        keel::core::value::format_timestamp(us, false, &mut back);
        assert_eq!(back, want, "the text is the value's");
    }
    assert!(next(rows));
    assert_eq!(get_text(rows, 0), "2024-02-30 00:00:00");
    let e = fails(|e| keel_rows_column_timestamp(rows, 0, &mut 0, e));
    assert_eq!(e.status(), Status::InvalidData, "February 30th");
    keel_rows_free(rows);
}

#[test]
fn timestamptz_round_trips_as_utc_instants() {
    let t = Col::new("TIMESTAMPTZ");
    let vals = [(-1, "1969-12-31 23:59:59.999999+00:00"), (0, "1970-01-01 00:00:00+00:00"), (1_700_000_000_123_456, "2023-11-14 22:13:20.123456+00:00")];
    for (us, _) in vals {
        t.put(|s, e| keel_stmt_bind_timestamptz(s, 0, us, e));
    }
    // Text with an offset is the same instant in UTC.
    exec(t.conn, "INSERT INTO v(x) VALUES ('1970-01-01T01:00:00+01:00')", &[]);
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Timestamptz);
    assert_eq!(meta(rows).1, "TIMESTAMPTZ");
    for (us, text) in vals.iter().copied().chain([(0, "1970-01-01 00:00:00+00:00")]) {
        assert!(next(rows));
        let mut got = 1;
        ok(|e| keel_rows_column_timestamp(rows, 0, &mut got, e));
        assert_eq!(got, us, "{text}");
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.int_value), (Type::Timestamptz, us));
        assert_eq!(get_text(rows, 0), text, "text is the canonical UTC form");
    }
    keel_rows_free(rows);
}

#[test]
fn uuids_round_trip() {
    let t = Col::new("UUID");
    let u: [u8; 16] = [0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00];
    let max = [0xff; 16];
    t.put(|s, e| keel_stmt_bind_uuid(s, 0, u.as_ptr(), e));
    t.put(|s, e| keel_stmt_bind_value(s, 0, &v_kind_data(Type::Uuid, &max), e));
    t.put(|s, e| keel_stmt_bind_uuid(s, 0, [0u8; 16].as_ptr(), e));
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Uuid);
    for (want, text) in [
        (u, "123e4567-e89b-12d3-a456-426614174000"),
        (max, "ffffffff-ffff-ffff-ffff-ffffffffffff"),
        ([0; 16], "00000000-0000-0000-0000-000000000000"),
    ] {
        assert!(next(rows));
        let mut got = [0xaa; 16];
        ok(|e| keel_rows_column_uuid(rows, 0, got.as_mut_ptr(), e));
        assert_eq!(got, want);
        let v = get_value(rows, 0);
        assert_eq!((kind_of(&v), v.len), (Type::Uuid, 16));
        assert_eq!(value_data(&v), want);
        assert_eq!(get_text(rows, 0), text);
        assert_eq!(get_bytes(rows, 0), want);
    }
    keel_rows_free(rows);
}

#[test]
fn json_round_trips_as_json() {
    let t = Col::new("JSON");
    let vals = [r#"{"a":[1,2,"x"],"b":null}"#, r#""str""#, "[]", "true"];
    for v in vals {
        t.put(|s, e| keel_stmt_bind_json(s, 0, v.as_ptr() as *const c_char, v.len(), e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Json);
    for want in vals {
        assert!(next(rows));
        let v = get_value(rows, 0);
        assert_eq!(kind_of(&v), Type::Json, "{want}");
        assert_eq!(value_data(&v), want.as_bytes());
        assert_eq!(get_text(rows, 0), want);
    }
    keel_rows_free(rows);
}

#[test]
fn json_numbers_stay_json_in_a_json_column() {
    // A JSON column has NUMERIC affinity in SQLite, so JSON text that looks
    // like a number is stored as a number; it must still read as JSON.
    let t = Col::new("JSON");
    for v in ["123", "-1.5"] {
        t.put(|s, e| keel_stmt_bind_json(s, 0, v.as_ptr() as *const c_char, v.len(), e));
    }
    let rows = t.rows();
    for want in ["123", "-1.5"] {
        assert!(next(rows));
        let v = get_value(rows, 0);
        assert_eq!(kind_of(&v), Type::Json, "{want}");
        assert_eq!(get_text(rows, 0), want);
    }
    keel_rows_free(rows);
}

#[test]
fn decimals_round_trip_as_decimal_text() {
    let t = Col::new("DECIMAL(20,4)");
    let vals = ["-12.5", "0", "42", "1e-3", "3.25"];
    for v in vals {
        t.put(|s, e| keel_stmt_bind_decimal(s, 0, v.as_ptr() as *const c_char, v.len(), e));
    }
    let rows = t.rows();
    assert_eq!(meta(rows).0, Type::Decimal);
    assert_eq!(meta(rows).1, "DECIMAL(20,4)");
    for want in vals {
        assert!(next(rows));
        let v = get_value(rows, 0);
        assert_eq!(kind_of(&v), Type::Decimal, "{want}");
        let text = get_text(rows, 0);
        assert_eq!(text.parse::<f64>().unwrap(), want.parse::<f64>().unwrap(), "{want} read as {text}");
        let mut d = 0.0;
        ok(|e| keel_rows_column_double(rows, 0, &mut d, e));
        assert_eq!(d, want.parse::<f64>().unwrap());
    }
    keel_rows_free(rows);
}

#[test]
#[ignore = "SQLite gives DECIMAL columns NUMERIC affinity and stores decimal text as a REAL, \
            so digits beyond 15 and trailing zeros are lost; exact decimals need a storage \
            decision in the SQLite driver (e.g. TEXT affinity or a BLOB encoding)"]
fn decimals_keep_every_digit() {
    let t = Col::new("DECIMAL(38,10)");
    let vals = ["-12.50", "12345678901234567890.123456789", "0.1000000000"];
    for v in vals {
        t.put(|s, e| keel_stmt_bind_decimal(s, 0, v.as_ptr() as *const c_char, v.len(), e));
    }
    let rows = t.rows();
    for want in vals {
        assert!(next(rows));
        assert_eq!(get_text(rows, 0), want);
    }
    keel_rows_free(rows);
}

#[test]
fn expression_columns_have_no_declared_type_and_values_carry_their_own() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(a INTEGER NOT NULL, b VARCHAR(20))", &[]);
    exec(conn, "INSERT INTO t VALUES (1, 'x')", &[]);
    let rows = query(conn, "SELECT a, b, a + 1 AS c, 'lit', 1.5, x'00ff', NULL FROM t", &[]);
    assert_eq!(keel_rows_column_count(rows), 7);
    assert_eq!(meta(rows), (Type::Int64, "INTEGER".into(), Nullable::No, "a".into()));
    assert_eq!(column_type(rows, 1), Type::Text);
    assert_eq!(column_engine_type(rows, 1), "VARCHAR(20)");
    assert_eq!(column_nullable(rows, 1), Nullable::Yes);
    assert_eq!(column_name(rows, 2), "c");
    for i in 2..7 {
        assert_eq!(column_type(rows, i), Type::Null, "expression column {i}");
        assert_eq!(column_engine_type(rows, i), "");
        assert_eq!(column_nullable(rows, i), Nullable::Unknown);
    }
    assert!(next(rows));
    let kinds: Vec<Type> = (0..7).map(|i| kind_of(&get_value(rows, i))).collect();
    assert_eq!(kinds, [Type::Int64, Type::Text, Type::Int64, Type::Text, Type::Double, Type::Bytes, Type::Null]);
    keel_rows_free(rows);
    keel_conn_free(conn);
    keel_db_free(db);
}

// ---- transactions -----------------------------------------------------------------

fn count(conn: *mut keel_conn) -> i64 {
    scalar_i64(conn, "SELECT count(*) FROM t")
}

fn tx(read_only: bool, lock: TxLock) -> keel_tx_options {
    keel_tx_options { isolation: Isolation::Default as i32, read_only, lock: lock as i32, ..Default::default() }
}

#[test]
fn begin_commit_and_rollback() {
    let db = memory_db();
    let c1 = checkout(db);
    let c2 = checkout(db);
    exec(c1, "CREATE TABLE t(x)", &[]);
    assert!(!keel_conn_in_transaction(c1));
    ok(|e| keel_conn_begin(c1, null(), e));
    assert!(keel_conn_in_transaction(c1));
    exec(c1, "INSERT INTO t VALUES (1)", &[]);
    assert_eq!(count(c1), 1);
    ok(|e| keel_conn_commit(c1, e));
    assert!(!keel_conn_in_transaction(c1));
    assert_eq!(count(c2), 1, "committed rows are visible to another connection");

    let serializable = keel_tx_options { isolation: Isolation::Serializable as i32, ..tx(false, TxLock::Default) };
    ok(|e| keel_conn_begin(c1, &serializable, e));
    exec(c1, "INSERT INTO t VALUES (2)", &[]);
    ok(|e| keel_conn_rollback(c1, e));
    assert!(!keel_conn_in_transaction(c1));
    assert_eq!(count(c1), 1);
    assert_eq!(count(c2), 1);
    keel_conn_free(c2);
    keel_conn_free(c1);
    keel_db_free(db);
}

#[test]
fn read_only_transactions_reject_writes() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(x)", &[]);
    exec(conn, "INSERT INTO t VALUES (1)", &[]);
    ok(|e| keel_conn_begin(conn, &tx(true, TxLock::Default), e));
    assert_eq!(count(conn), 1, "reads work");
    let e = exec_err(conn, "INSERT INTO t VALUES (2)", &[]);
    assert_ne!(e.status(), Status::Ok);
    assert!(e.message().contains("INSERT INTO t VALUES (2)"), "{e:?}");
    assert!(e.message().to_lowercase().contains("read"), "{e:?}");
    ok(|e| keel_conn_rollback(conn, e));
    // The next transaction is read-write again.
    ok(|e| keel_conn_begin(conn, null(), e));
    exec(conn, "INSERT INTO t VALUES (3)", &[]);
    ok(|e| keel_conn_commit(conn, e));
    // And so is autocommit after a committed read-only transaction.
    ok(|e| keel_conn_begin(conn, &tx(true, TxLock::Default), e));
    ok(|e| keel_conn_commit(conn, e));
    exec(conn, "INSERT INTO t VALUES (4)", &[]);
    assert_eq!(count(conn), 3);
    keel_conn_free(conn);
    keel_db_free(db);
}

/// A unique path under the system temp dir (removed with its journal by
/// the guard).
struct TempDb(std::path::PathBuf);

impl TempDb {
    fn new(tag: &str) -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!("keel-test-{tag}-{}-{}.db", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_file(&p);
        TempDb(p)
    }
    fn url(&self, query: &str) -> String {
        let p = self.0.to_str().expect("UTF-8 temp path");
        assert!(p.starts_with('/'), "these tests need an absolute Unix path");
        format!("sqlite://{p}{query}")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut s = self.0.clone().into_os_string();
            s.push(suffix);
            let _ = std::fs::remove_file(s);
        }
    }
}

#[test]
fn immediate_and_exclusive_locks_are_taken_at_begin() {
    let f = TempDb::new("lock");
    let db = open(&f.url("?busy_timeout_ms=0"));
    let c1 = checkout(db);
    let c2 = checkout(db);
    exec(c1, "CREATE TABLE t(x)", &[]);
    // DEFERRED takes no lock at BEGIN: both may begin.
    ok(|e| keel_conn_begin(c1, &tx(false, TxLock::Deferred), e));
    ok(|e| keel_conn_begin(c2, &tx(false, TxLock::Deferred), e));
    ok(|e| keel_conn_rollback(c1, e));
    ok(|e| keel_conn_rollback(c2, e));
    // IMMEDIATE takes the write lock at BEGIN: a second one is BUSY.
    ok(|e| keel_conn_begin(c1, &tx(false, TxLock::Immediate), e));
    let e = fails(|e| keel_conn_begin(c2, &tx(false, TxLock::Immediate), e));
    assert_eq!(e.status(), Status::Busy, "{e:?}");
    assert!(!keel_conn_in_transaction(c2));
    // Plain writes from the other connection are BUSY too; reads are fine.
    let e = exec_err(c2, "INSERT INTO t VALUES (1)", &[]);
    assert_eq!(e.status(), Status::Busy, "{e:?}");
    assert_eq!(count(c2), 0);
    ok(|e| keel_conn_commit(c1, e));
    ok(|e| keel_conn_begin(c2, &tx(false, TxLock::Immediate), e));
    ok(|e| keel_conn_commit(c2, e));
    // EXCLUSIVE also keeps readers out (rollback journal mode).
    ok(|e| keel_conn_begin(c1, &tx(false, TxLock::Exclusive), e));
    let mut rows = null_mut();
    let e = match call(|e| keel_conn_query(c2, c"SELECT count(*) FROM t".as_ptr(), null(), 0, &mut rows, e)) {
        Err(e) => e,
        Ok(()) => {
            let e = fails(|e| keel_rows_next(rows, &mut false, e));
            keel_rows_free(rows);
            e
        }
    };
    assert_eq!(e.status(), Status::Busy, "a reader got past an EXCLUSIVE lock: {e:?}");
    ok(|e| keel_conn_rollback(c1, e));
    keel_conn_free(c2);
    keel_conn_free(c1);
    keel_db_free(db);
}

#[test]
fn savepoints_release_and_rollback_to() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(x)", &[]);
    ok(|e| keel_conn_begin(conn, null(), e));
    exec(conn, "INSERT INTO t VALUES (1)", &[]);
    ok(|e| keel_conn_savepoint(conn, c"a".as_ptr(), e));
    exec(conn, "INSERT INTO t VALUES (2)", &[]);
    ok(|e| keel_conn_savepoint(conn, c"b_2".as_ptr(), e));
    exec(conn, "INSERT INTO t VALUES (3)", &[]);
    ok(|e| keel_conn_rollback_to(conn, c"b_2".as_ptr(), e));
    assert_eq!(count(conn), 2);
    // The savepoint stays set after rollback_to.
    exec(conn, "INSERT INTO t VALUES (4)", &[]);
    ok(|e| keel_conn_rollback_to(conn, c"b_2".as_ptr(), e));
    assert_eq!(count(conn), 2);
    ok(|e| keel_conn_release(conn, c"a".as_ptr(), e));
    assert!(keel_conn_in_transaction(conn), "release keeps the outer transaction");
    let e = fails(|e| keel_conn_rollback_to(conn, c"a".as_ptr(), e));
    assert!(e.message().contains("no such savepoint"), "{e:?}");
    ok(|e| keel_conn_commit(conn, e));
    assert_eq!(count(conn), 2);

    // Outside a transaction a savepoint starts one and its release ends it.
    ok(|e| keel_conn_savepoint(conn, c"solo".as_ptr(), e));
    assert!(keel_conn_in_transaction(conn));
    exec(conn, "INSERT INTO t VALUES (5)", &[]);
    ok(|e| keel_conn_release(conn, c"solo".as_ptr(), e));
    assert!(!keel_conn_in_transaction(conn));
    assert_eq!(count(conn), 3);
    // Names are plain identifiers, so nothing can be injected.
    let e = fails(|e| keel_conn_savepoint(conn, c"x\"; DROP TABLE t; --".as_ptr(), e));
    assert_eq!(e.status(), Status::InvalidArgument);
    assert_eq!(count(conn), 3);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn begin_twice_and_commit_or_rollback_without_a_transaction_are_invalid_state() {
    let db = memory_db();
    let conn = checkout(db);
    let e = fails(|e| keel_conn_commit(conn, e));
    assert_err(&e, Status::InvalidState, &["commit", "no transaction"]);
    let e = fails(|e| keel_conn_rollback(conn, e));
    assert_err(&e, Status::InvalidState, &["rollback", "no transaction"]);
    ok(|e| keel_conn_begin(conn, null(), e));
    let e = fails(|e| keel_conn_begin(conn, null(), e));
    assert_err(&e, Status::InvalidState, &["already open"]);
    assert!(keel_conn_in_transaction(conn), "the failed begin ended the open transaction");
    ok(|e| keel_conn_commit(conn, e));
    let e = fails(|e| keel_conn_commit(conn, e));
    assert_eq!(e.status(), Status::InvalidState);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn a_connection_returned_with_an_open_transaction_is_rolled_back() {
    // One connection in the pool, so the second checkout gets the same one.
    let db = open("sqlite::memory:?pool_max_open=1");
    let c1 = checkout(db);
    exec(c1, "CREATE TABLE t(x)", &[]);
    ok(|e| keel_conn_begin(c1, &tx(true, TxLock::Default), e));
    keel_conn_free(c1);
    let c2 = checkout(db);
    assert!(!keel_conn_in_transaction(c2));
    exec(c2, "INSERT INTO t VALUES (0)", &[]); // read-only was reset too
    ok(|e| keel_conn_begin(c2, null(), e));
    exec(c2, "INSERT INTO t VALUES (1)", &[]);
    ok(|e| keel_conn_savepoint(c2, c"s".as_ptr(), e));
    exec(c2, "INSERT INTO t VALUES (2)", &[]);
    keel_conn_free(c2);
    let c3 = checkout(db);
    assert!(!keel_conn_in_transaction(c3));
    assert_eq!(count(c3), 1, "the open transaction was not rolled back");
    keel_conn_free(c3);
    keel_db_free(db);
}

#[test]
fn cursors_from_db_query_return_their_connection_to_the_pool() {
    let db = keel::Db::open("sqlite::memory:?pool_max_open=1").unwrap();
    assert_eq!((db.open_count(), db.idle_count()), (1, 1));
    let mut rows = db.query("SELECT 1", &[]).unwrap();
    assert_eq!(db.idle_count(), 0, "the cursor owns the connection");
    assert!(rows.next().unwrap());
    drop(rows);
    assert_eq!(db.idle_count(), 1, "freeing the cursor returned it");
    db.exec("SELECT 1", &[]).unwrap();
    assert_eq!((db.open_count(), db.idle_count()), (1, 1));
}

// ---- exec results and connection facts ----------------------------------------------

#[test]
fn exec_reports_rows_affected_and_last_insert_id() {
    let db = memory_db();
    let conn = checkout(db);
    let r = exec(conn, "CREATE TABLE t(id INTEGER PRIMARY KEY, x)", &[]);
    assert_eq!(r.rows_affected, 0);
    let r = exec(conn, "INSERT INTO t(x) VALUES (?), (?), (?)", &[v_i64(1), v_i64(2), v_i64(3)]);
    assert_eq!((r.rows_affected, r.last_insert_id, r.has_last_insert_id), (3, 3, true));
    let r = exec(conn, "INSERT INTO t(id, x) VALUES (100, 4)", &[]);
    assert_eq!((r.rows_affected, r.last_insert_id), (1, 100));
    let r = exec(conn, "UPDATE t SET x = x * 10 WHERE x >= ?", &[v_i64(2)]);
    assert_eq!(r.rows_affected, 3);
    let r = exec(conn, "UPDATE t SET x = 0 WHERE x < 0", &[]);
    assert_eq!(r.rows_affected, 0, "no row matched");
    let r = exec(conn, "SELECT * FROM t", &[]);
    assert_eq!(r.rows_affected, 0, "a query changes nothing");
    let r = exec(conn, "DELETE FROM t WHERE id <= 2", &[]);
    assert_eq!(r.rows_affected, 2);
    // The same through a statement and through the pool.
    let st = prepare(conn, "INSERT INTO t(x) VALUES (?)");
    ok(|e| keel_stmt_bind_int64(st, 0, 9, e));
    let mut r = keel_exec_result::default();
    ok(|e| keel_stmt_execute(st, &mut r, e));
    assert_eq!((r.rows_affected, r.last_insert_id), (1, 101));
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    keel_stmt_free(st);
    let mut r = keel_exec_result::default();
    ok(|e| keel_db_exec(db, c"DELETE FROM t".as_ptr(), null(), 0, &mut r, e));
    assert_eq!(r.rows_affected, 4);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn ping_dialect_and_server_version() {
    let db = memory_db();
    let conn = checkout(db);
    ok(|e| keel_conn_ping(conn, e));
    assert_eq!(keel_db_dialect(db), Dialect::Sqlite);
    assert_eq!(keel_conn_dialect(conn), Dialect::Sqlite);
    let mut v1: *const c_char = null();
    ok(|e| keel_conn_server_version(conn, &mut v1, e));
    let mut v2: *const c_char = null();
    ok(|e| keel_conn_server_version(conn, &mut v2, e));
    assert_eq!(v1, v2, "the version string is owned by the conn and stable");
    // SAFETY: sqlite3_libversion returns a static string.
    let lib = unsafe { CStr::from_ptr(rusqlite::ffi::sqlite3_libversion()) }.to_str().unwrap();
    assert_eq!(cstr(v1), lib);
    assert!(lib.starts_with("3."));
    let rows = query(conn, "SELECT sqlite_version()", &[]);
    assert!(next(rows));
    assert_eq!(get_text(rows, 0), cstr(v1));
    keel_rows_free(rows);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn driver_available_knows_what_is_built_in() {
    for name in ["sqlite", "sqlite3", "file", "postgres", "postgresql", "mysql", "mariadb", "mssql", "sqlserver"] {
        assert!(keel_driver_available(c(name).as_ptr()), "{name}");
    }
    for name in ["", "SQLite ", "nosuch"] {
        assert!(!keel_driver_available(c(name).as_ptr()), "{name}");
    }
}

// ---- URLs and options ----------------------------------------------------------------

#[test]
fn absolute_file_urls_persist_across_pools() {
    let f = TempDb::new("abs");
    let db = open(&f.url(""));
    exec(checkout_scoped(db).0, "CREATE TABLE t(x)", &[]);
    ok(|e| keel_db_exec(db, c"INSERT INTO t VALUES (42)".as_ptr(), null(), 0, null_mut(), e));
    keel_db_free(db);
    assert!(f.0.exists(), "no file at {}", f.0.display());
    let db = open(&f.url("?mode=rw&busy_timeout_ms=100&journal_mode=wal&foreign_keys=off"));
    let (conn, _g) = checkout_scoped(db);
    assert_eq!(scalar_i64(conn, "SELECT x FROM t"), 42);
    let rows = query(conn, "PRAGMA journal_mode", &[]);
    assert!(next(rows));
    assert_eq!(get_text(rows, 0), "wal");
    keel_rows_free(rows);
    assert_eq!(scalar_i64(conn, "PRAGMA foreign_keys"), 0);
    drop(_g);
    keel_db_free(db);
}

/// A checked-out connection freed when the guard drops.
struct ConnGuard(*mut keel_conn);
impl Drop for ConnGuard {
    fn drop(&mut self) {
        keel_conn_free(self.0);
    }
}
fn checkout_scoped(db: *mut keel_db) -> (*mut keel_conn, ConnGuard) {
    let c = checkout(db);
    (c, ConnGuard(c))
}

#[test]
fn relative_file_urls_resolve_against_the_working_directory() {
    let f = TempDb::new("rel");
    // Spell the temp path relative to the working directory.
    let cwd = std::env::current_dir().unwrap();
    let ups = "../".repeat(cwd.components().count() - 1);
    let rel = format!("{ups}{}", f.0.to_str().unwrap().trim_start_matches('/'));
    for url in [format!("sqlite://{rel}"), format!("sqlite:{rel}")] {
        let db = open(&url);
        ok(|e| keel_db_exec(db, c"CREATE TABLE IF NOT EXISTS t(x)".as_ptr(), null(), 0, null_mut(), e));
        ok(|e| keel_db_exec(db, c"INSERT INTO t VALUES (1)".as_ptr(), null(), 0, null_mut(), e));
        keel_db_free(db);
        assert!(f.0.exists(), "{url} did not create {}", f.0.display());
    }
    let db = open(&f.url(""));
    let (conn, _g) = checkout_scoped(db);
    assert_eq!(count(conn), 2, "both URL forms named the same file");
    drop(_g);
    keel_db_free(db);
}

#[test]
fn mode_ro_rejects_writes() {
    let f = TempDb::new("ro");
    let db = open(&f.url(""));
    ok(|e| keel_db_exec(db, c"CREATE TABLE t(x)".as_ptr(), null(), 0, null_mut(), e));
    ok(|e| keel_db_exec(db, c"INSERT INTO t VALUES (1)".as_ptr(), null(), 0, null_mut(), e));
    keel_db_free(db);
    let db = open(&f.url("?mode=ro"));
    let (conn, g) = checkout_scoped(db);
    assert_eq!(count(conn), 1);
    let e = exec_err(conn, "INSERT INTO t VALUES (2)", &[]);
    assert_err(&e, Status::InvalidState, &["readonly", "INSERT INTO t VALUES (2)"]);
    assert_eq!(e.sqlstate(), "25006");
    assert_eq!(e.vendor_code() & 0xff, rusqlite::ffi::SQLITE_READONLY);
    assert_eq!(count(conn), 1);
    drop(g);
    keel_db_free(db);
    // mode=rw needs the file to exist.
    let missing = TempDb::new("missing");
    let u = c(&missing.url("?mode=rw"));
    let e = fails(|e| keel_db_open(u.as_ptr(), &mut null_mut(), e));
    assert_err(&e, Status::Io, &["cannot open"]);
    assert!(!missing.0.exists());
}

#[test]
fn unknown_or_bad_options_are_invalid_argument_naming_the_option() {
    let cases = [
        ("sqlite::memory:?bogus_option=1", &["unknown option", "bogus_option", "busy_timeout_ms"][..]),
        ("sqlite::memory:?mode=ro&Mode=ro", &["unknown option", "Mode"][..]),
        ("sqlite::memory:?sslmode=require", &["unknown option", "sslmode", "sqlite"][..]),
        ("sqlite::memory:?busy_timeout_ms=soon", &["busy_timeout_ms", "soon"][..]),
        ("sqlite::memory:?mode=rx", &["mode", "ro, rw, rwc"][..]),
        ("sqlite::memory:?pool_max_open=-1", &["pool_max_open"][..]),
        ("sqlite::memory:?foreign_keys=maybe", &["foreign_keys", "true or false"][..]),
    ];
    for (url, parts) in cases {
        let u = c(url);
        let mut db: *mut keel_db = null_mut();
        let e = fails(|e| keel_db_open(u.as_ptr(), &mut db, e));
        assert_err(&e, Status::InvalidArgument, parts);
        assert!(db.is_null());
    }
}

#[test]
fn other_url_mistakes_are_reported() {
    for (url, status, part) in [
        ("sqlite:", Status::InvalidArgument, "no file"),
        ("nosuch::memory:", Status::NotFound, "nosuch"),
        ("mssql://localhost/db?encrypt=strict&trust_server_certificate=true", Status::InvalidArgument, "strict"),
        ("memory", Status::InvalidArgument, "scheme"),
    ] {
        let u = c(url);
        let e = fails(|e| keel_db_open(u.as_ptr(), &mut null_mut(), e));
        assert_err(&e, status, &[part]);
    }
}

#[test]
fn each_memory_pool_is_its_own_database_shared_by_its_connections() {
    let a = memory_db();
    let b = memory_db();
    let (a1, _g1) = checkout_scoped(a);
    let (a2, _g2) = checkout_scoped(a);
    exec(a1, "CREATE TABLE t(x)", &[]);
    exec(a1, "INSERT INTO t VALUES (1)", &[]);
    assert_eq!(count(a2), 1, "connections of one pool share the database");
    let (b1, _g3) = checkout_scoped(b);
    let e = exec_err(b1, "SELECT * FROM t", &[]);
    assert!(e.message().contains("no such table"), "{e:?}");
    drop((_g1, _g2, _g3));
    keel_db_free(a);
    keel_db_free(b);
}

// ---- cursor and statement lifetimes ---------------------------------------------------

const SERIES: &str = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000) SELECT n FROM s";

#[test]
fn a_cursor_closed_early_releases_its_statement() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(x)", &[]);
    exec(conn, &format!("INSERT INTO t {SERIES}"), &[]);
    let rows = query(conn, "SELECT x FROM t ORDER BY x", &[]);
    for want in 1..=3 {
        assert!(next(rows));
        assert_eq!(get_i64(rows, 0), want);
    }
    keel_rows_free(rows);
    // A statement still reading would lock the table against DROP.
    let st = prepare(conn, "SELECT x FROM t");
    let mut r = null_mut();
    ok(|e| keel_stmt_query(st, &mut r, e));
    assert!(next(r));
    keel_rows_free(r);
    exec(conn, "DROP TABLE t", &[]);
    keel_stmt_free(st);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn a_statement_re_executed_a_thousand_times() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(id INTEGER PRIMARY KEY, x INTEGER, s TEXT)", &[]);
    let ins = prepare(conn, "INSERT INTO t(x, s) VALUES (?, ?)");
    for i in 0..1000i64 {
        ok(|e| keel_stmt_bind_int64(ins, 0, i, e));
        let s = format!("row {i}");
        ok(|e| keel_stmt_bind_text(ins, 1, s.as_ptr() as *const c_char, s.len(), e));
        let mut r = keel_exec_result::default();
        ok(|e| keel_stmt_execute(ins, &mut r, e));
        assert_eq!((r.rows_affected, r.last_insert_id), (1, i + 1));
    }
    keel_stmt_free(ins);
    let sel = prepare(conn, "SELECT x, s FROM t WHERE id = ?");
    for i in 0..1000i64 {
        ok(|e| keel_stmt_bind_int64(sel, 0, i + 1, e));
        let mut r = null_mut();
        ok(|e| keel_stmt_query(sel, &mut r, e));
        assert!(next(r));
        assert_eq!(get_i64(r, 0), i);
        assert_eq!(get_text(r, 1), format!("row {i}"));
        assert!(!next(r));
        keel_rows_free(r);
    }
    keel_stmt_free(sel);
    assert_eq!(scalar_i64(conn, "SELECT sum(x) FROM t"), 999 * 1000 / 2);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn a_cursor_is_invalidated_when_its_statement_is_run_again() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(x)", &[]);
    exec(conn, &format!("INSERT INTO t {SERIES}"), &[]);
    let st = prepare(conn, "SELECT x FROM t WHERE x >= ? ORDER BY x");
    ok(|e| keel_stmt_bind_int64(st, 0, 1, e));
    let mut r1 = null_mut();
    ok(|e| keel_stmt_query(st, &mut r1, e));
    assert!(next(r1));
    assert_eq!(get_i64(r1, 0), 1);

    // Re-running closes the first cursor; the new one starts over.
    let mut r2 = null_mut();
    ok(|e| keel_stmt_query(st, &mut r2, e));
    let mut has = false;
    let e = fails(|e| keel_rows_next(r1, &mut has, e));
    assert_err(&e, Status::InvalidState, &["closed", "statement"]);
    assert!(next(r2));
    assert_eq!(get_i64(r2, 0), 1);
    assert!(next(r2));
    assert_eq!(get_i64(r2, 0), 2);

    // Rebinding closes it too, and so does execute.
    ok(|e| keel_stmt_bind_int64(st, 0, 500, e));
    let e = fails(|e| keel_rows_next(r2, &mut has, e));
    assert_eq!(e.status(), Status::InvalidState);
    let mut r3 = null_mut();
    ok(|e| keel_stmt_query(st, &mut r3, e));
    assert!(next(r3));
    assert_eq!(get_i64(r3, 0), 500);
    ok(|e| keel_stmt_execute(st, null_mut(), e));
    let e = fails(|e| keel_rows_next(r3, &mut has, e));
    assert_eq!(e.status(), Status::InvalidState);
    for r in [r1, r2, r3] {
        keel_rows_free(r);
    }
    keel_stmt_free(st);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn a_closed_cursor_does_not_read_another_cursors_row() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(x)", &[]);
    exec(conn, &format!("INSERT INTO t {SERIES}"), &[]);
    let st = prepare(conn, "SELECT x FROM t WHERE x >= ? ORDER BY x");
    ok(|e| keel_stmt_bind_int64(st, 0, 1, e));
    let mut r1 = null_mut();
    ok(|e| keel_stmt_query(st, &mut r1, e));
    assert!(next(r1));
    assert_eq!(get_i64(r1, 0), 1);
    ok(|e| keel_stmt_bind_int64(st, 0, 700, e));
    let mut r2 = null_mut();
    ok(|e| keel_stmt_query(st, &mut r2, e));
    assert!(next(r2));
    // r1 was on row 1; the statement now sits on r2's row 700. Reading r1
    // must not hand out r2's data.
    let mut x = -1;
    let e = fails(|e| keel_rows_column_int64(r1, 0, &mut x, e));
    assert_err(&e, Status::InvalidState, &["closed"]);
    assert_eq!(x, -1);
    let e = fails(|e| keel_rows_column_value(r1, 0, &mut v_null(), e));
    assert_eq!(e.status(), Status::InvalidState);
    assert_eq!(get_i64(r2, 0), 700);
    keel_rows_free(r1);
    keel_rows_free(r2);
    keel_stmt_free(st);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn children_may_be_freed_after_their_parents() {
    // Cursor from the pool, pool freed first.
    let db = memory_db();
    let mut rows = null_mut();
    let sql = c(SERIES);
    ok(|e| keel_db_query(db, sql.as_ptr(), null(), 0, &mut rows, e));
    keel_db_free(db);
    let mut n = 0;
    while next(rows) {
        n += 1;
        assert_eq!(get_i64(rows, 0), n);
    }
    assert_eq!(n, 1000);
    keel_rows_free(rows);

    // Cursor and statement from a connection: conn freed, then db, then
    // the statement is still usable, then the children in either order.
    for stmt_first in [true, false] {
        let db = memory_db();
        let conn = checkout(db);
        exec(conn, "CREATE TABLE t(x)", &[]);
        exec(conn, "INSERT INTO t VALUES ('kept')", &[]);
        let rows = query(conn, "SELECT x FROM t", &[]);
        let st = prepare(conn, "SELECT count(*) FROM t");
        keel_conn_free(conn);
        keel_db_free(db);
        assert!(next(rows));
        assert_eq!(get_text(rows, 0), "kept");
        let mut r2 = null_mut();
        ok(|e| keel_stmt_query(st, &mut r2, e));
        assert!(next(r2));
        assert_eq!(get_i64(r2, 0), 1);
        if stmt_first {
            keel_stmt_free(st);
            assert_eq!(get_i64(r2, 0), 1, "a cursor outlives its statement");
            keel_rows_free(r2);
            keel_rows_free(rows);
        } else {
            keel_rows_free(rows);
            keel_rows_free(r2);
            keel_stmt_free(st);
        }
    }
}

#[test]
fn dates_and_timestamps_outside_years_0_to_9999_round_trip() {
    // keel writes such years with a sign (+10000-01-01, -0001-12-31); what
    // it writes it must read back.
    let t = Col::new("DATE");
    let vals = [(2_932_897, "+10000-01-01"), (-719_529, "-0001-12-31"), (-719_528, "0000-01-01")];
    for (d, _) in vals {
        t.put(|s, e| keel_stmt_bind_date(s, 0, d, e));
    }
    let rows = t.rows();
    for (days, text) in vals {
        assert!(next(rows));
        let mut d = 0;
        ok(|e| keel_rows_column_date(rows, 0, &mut d, e));
        assert_eq!(d, days, "{text}");
        assert_eq!(get_text(rows, 0), text);
    }
    keel_rows_free(rows);
    let t = Col::new("DATETIME");
    let us = 2_932_897 * MICROS_PER_DAY + 1;
    t.put(|s, e| keel_stmt_bind_timestamp(s, 0, us, e));
    let rows = t.rows();
    assert!(next(rows));
    let mut got = 0;
    ok(|e| keel_rows_column_timestamp(rows, 0, &mut got, e));
    assert_eq!(got, us);
    assert_eq!(get_text(rows, 0), "+10000-01-01 00:00:00.000001");
    keel_rows_free(rows);
}

/// A `keel_db` pointer that may cross threads, as the C API allows.
#[derive(Clone, Copy)]
struct SharedDb(*mut keel_db);
// SAFETY: keel_db is documented as usable from many threads at once.
unsafe impl Send for SharedDb {}
unsafe impl Sync for SharedDb {}

#[test]
fn one_db_is_used_from_many_threads_at_once() {
    let f = TempDb::new("threads");
    let db = SharedDb(open(&f.url("?pool_max_open=3&busy_timeout_ms=10000&journal_mode=wal")));
    ok(|e| keel_db_exec(db.0, c"CREATE TABLE t(thread INTEGER, i INTEGER)".as_ptr(), null(), 0, null_mut(), e));
    let threads: Vec<_> = (0..6i64)
        .map(|t| {
            std::thread::spawn(move || {
                let db = db;
                for i in 0..50i64 {
                    let sql = c"INSERT INTO t VALUES (?, ?)";
                    let p = [v_i64(t), v_i64(i)];
                    ok(|e| keel_db_exec(db.0, sql.as_ptr(), p.as_ptr(), 2, null_mut(), e));
                    if i % 10 == 0 {
                        let conn = checkout(db.0);
                        let n = scalar_i64(conn, &format!("SELECT count(*) FROM t WHERE thread = {t}"));
                        assert_eq!(n, i + 1);
                        keel_conn_free(conn);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a thread failed");
    }
    let conn = checkout(db.0);
    assert_eq!(count(conn), 300);
    assert_eq!(scalar_i64(conn, "SELECT count(DISTINCT thread * 1000 + i) FROM t"), 300);
    keel_conn_free(conn);
    keel_db_free(db.0);
}

#[test]
fn a_read_only_transaction_ended_by_sql_does_not_leave_the_connection_read_only() {
    for end in ["COMMIT", "ROLLBACK", "END"] {
        let db = open("sqlite::memory:?pool_max_open=1");
        let c1 = checkout(db);
        exec(c1, "CREATE TABLE t(x)", &[]);
        ok(|e| keel_conn_begin(c1, &tx(true, TxLock::Default), e));
        exec(c1, end, &[]);
        assert!(!keel_conn_in_transaction(c1));
        exec(c1, "INSERT INTO t VALUES (1)", &[]);
        ok(|e| keel_conn_begin(c1, &tx(true, TxLock::Default), e));
        exec(c1, end, &[]);
        keel_conn_free(c1);
        // The pool hands the same session to the next user, writable.
        let c2 = checkout(db);
        exec(c2, "INSERT INTO t VALUES (2)", &[]);
        assert_eq!(count(c2), 2, "{end}");
        keel_conn_free(c2);
        keel_db_free(db);
    }
}

#[test]
#[ignore = "the SQLite driver caches column metadata per statement at first query, but SQLite \
            re-prepares a statement for a new schema inside its next step; refreshing it means \
            re-reading metadata after the first step and resizing the C layer's per-column \
            buffers (src/drivers/sqlite, src/ffi/rows.rs), too large for this branch"]
fn a_prepared_statement_sees_schema_changes() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(a INTEGER)", &[]);
    exec(conn, "INSERT INTO t VALUES (1)", &[]);
    let st = prepare(conn, "SELECT * FROM t");
    let mut r = null_mut();
    ok(|e| keel_stmt_query(st, &mut r, e));
    assert_eq!(keel_rows_column_count(r), 1);
    assert!(next(r));
    keel_rows_free(r);
    // SQLite re-prepares the statement for the new schema on its next run.
    exec(conn, "ALTER TABLE t ADD COLUMN b TEXT", &[]);
    exec(conn, "UPDATE t SET b = 'new'", &[]);
    ok(|e| keel_stmt_query(st, &mut r, e));
    assert!(next(r));
    assert_eq!(keel_rows_column_count(r), 2, "column metadata is from the old schema");
    assert_eq!(column_name(r, 1), "b");
    assert_eq!(column_type(r, 1), Type::Text);
    assert_eq!(get_text(r, 1), "new");
    keel_rows_free(r);
    keel_stmt_free(st);
    keel_conn_free(conn);
    keel_db_free(db);
}

#[test]
fn dml_with_returning_through_query_and_exec() {
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(id INTEGER PRIMARY KEY, x TEXT)", &[]);
    let rows = query(conn, "INSERT INTO t(x) VALUES (?), (?) RETURNING id, x", &[v_text(b"a"), v_text(b"b")]);
    assert_eq!(keel_rows_column_count(rows), 2);
    let mut got = Vec::new();
    while next(rows) {
        got.push((get_i64(rows, 0), get_text(rows, 1)));
    }
    assert_eq!(got, [(1, "a".to_owned()), (2, "b".to_owned())]);
    keel_rows_free(rows);
    let r = exec(conn, "UPDATE t SET x = upper(x) RETURNING id", &[]);
    assert_eq!(r.rows_affected, 2, "exec runs a RETURNING statement to the end");
    // A plain INSERT through query has no columns and runs on next.
    let rows = query(conn, "INSERT INTO t(x) VALUES ('c')", &[]);
    assert_eq!(keel_rows_column_count(rows), 0);
    assert!(!next(rows));
    keel_rows_free(rows);
    assert_eq!(scalar_i64(conn, "SELECT count(*) FROM t WHERE x IN ('A', 'B', 'c')"), 3);
    keel_conn_free(conn);
    keel_db_free(db);
}

/// A batch that meets a row it cannot encode returns the rows before it;
/// the next call fails with that row's error, naming where it was, and
/// the call after goes on past it: no row read is dropped, and none but
/// the failing one is skipped.
#[test]
fn a_batch_returns_the_rows_before_a_failing_row_and_the_next_call_its_error() {
    use keel::ffi::batch::keel_rows_fetch_batch;
    let db = memory_db();
    let conn = checkout(db);
    exec(conn, "CREATE TABLE t(id INTEGER PRIMARY KEY, ts TIMESTAMP)", &[]);
    // Unix seconds: 10^12 is in the year 33658, which no pickle datetime holds.
    for id in 1..=8 {
        let ts = if id == 6 { 1_000_000_000_000i64 } else { 1_700_000_000 + id };
        exec(conn, &format!("INSERT INTO t VALUES ({id}, {ts})"), &[]);
    }
    let rows = query(conn, "SELECT id, ts FROM t ORDER BY id", &[]);
    let fetch = |err: *mut *mut keel_error| -> (Status, usize, bool) {
        let (mut data, mut len, mut n, mut end) = (null(), 0usize, 0usize, false);
        let s = keel_rows_fetch_batch(rows, 100, 1, null_mut(), &mut data, &mut len, &mut n, &mut end, err);
        (s, n, end)
    };
    let mut e = null_mut();
    assert_eq!(fetch(&mut e), (Status::Ok, 5, false), "the five rows before the failing one");
    // The cursor stands on the failing row.
    assert_eq!(get_i64(rows, 0), 6);
    let err = fails(|e| fetch(e).0);
    assert_err(&err, Status::InvalidData, &["the row after the 5 rows of the last batch", "9999"]);
    assert_eq!(fetch(&mut e), (Status::Ok, 2, true), "the rows after it");
    assert_eq!(fetch(&mut e), (Status::Ok, 0, true));
    keel_rows_free(rows);

    // Failing first: the call fails at once, and the next goes on.
    let rows = query(conn, "SELECT id, ts FROM t WHERE id >= 6 ORDER BY id", &[]);
    let fetch = |err: *mut *mut keel_error| -> (Status, usize, bool) {
        let (mut data, mut len, mut n, mut end) = (null(), 0usize, 0usize, false);
        let s = keel_rows_fetch_batch(rows, 100, 1, null_mut(), &mut data, &mut len, &mut n, &mut end, err);
        (s, n, end)
    };
    let err = fails(|e| fetch(e).0);
    assert_err(&err, Status::InvalidData, &["the first row of this batch", "9999"]);
    assert_eq!(fetch(&mut e), (Status::Ok, 2, true));
    keel_rows_free(rows);

    // The error also stops keel_rows_next, once.
    let rows = query(conn, "SELECT id, ts FROM t ORDER BY id", &[]);
    let (mut data, mut len, mut n) = (null(), 0usize, 0usize);
    ok(|e| keel_rows_fetch_batch(rows, 100, 1, null_mut(), &mut data, &mut len, &mut n, null_mut(), e));
    assert_eq!(n, 5);
    let mut has = false;
    let err = fails(|e| keel_rows_next(rows, &mut has, e));
    assert_err(&err, Status::InvalidData, &["9999"]);
    assert!(next(rows));
    assert_eq!(get_i64(rows, 0), 7);
    keel_rows_free(rows);

    // And the Arrow export of the cursor.
    let rows = query(conn, "SELECT id, ts FROM t ORDER BY id", &[]);
    ok(|e| keel_rows_fetch_batch(rows, 100, 1, null_mut(), &mut data, &mut len, &mut n, null_mut(), e));
    assert_eq!(n, 5);
    let mut stream = arrow_array::ffi_stream::FFI_ArrowArrayStream::empty();
    let err = fails(|e| keel::ffi::arrow::keel_rows_export_arrow(rows, &mut stream, e));
    assert_err(&err, Status::InvalidData, &["9999"]);
    keel_rows_free(rows);
    keel_conn_free(conn);
    keel_db_free(db);
}
