//! The Arrow C stream (`keel_conn_query_arrow`, `keel_db_query_arrow`,
//! `keel_rows_export_arrow`) on every engine: each stream is imported with
//! arrow-rs's own C stream importer and compared value by value with what
//! keel's row cursor reads from the same query; streams read after their
//! connection went back, released early, empty, and failing mid-stream.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int64Type, Time64MicrosecondType, TimestampMicrosecondType, UInt64Type,
};
use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, TimeUnit};
use common::{Engine, rows};
use keel::core::value::{MICROS_PER_DAY, MICROS_PER_SECOND, days_from_civil};
use keel::ffi::arrow::*;
use keel::ffi::conn::*;
use keel::ffi::db::*;
use keel::ffi::error::*;
use keel::ffi::rows::*;
use keel::{Status, Type, Value};
use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

// ---- helpers ------------------------------------------------------------------------------

fn message(e: *mut keel_error) -> String {
    let m = unsafe { CStr::from_ptr(keel_error_message(e)) }.to_string_lossy().into_owned();
    keel_error_free(e);
    m
}

/// Run a C call; panic with its message unless it succeeded.
fn ok(what: &str, f: impl FnOnce(*mut *mut keel_error) -> Status) {
    let mut e = null_mut();
    let s = f(&mut e);
    if s != Status::Ok {
        panic!("{what}: {s:?}: {}", message(e));
    }
}

/// A C call that must fail: its status and message.
fn fails(f: impl FnOnce(*mut *mut keel_error) -> Status) -> (Status, String) {
    let mut e = null_mut();
    let s = f(&mut e);
    assert_ne!(s, Status::Ok, "the call succeeded");
    (s, message(e))
}

/// A C pool on the engine's database, with URL options.
struct CDb(*mut keel_db);

impl CDb {
    fn open(url: &str, options: &str) -> CDb {
        let sep = if url.contains('?') { '&' } else { '?' };
        let u = CString::new(format!("{url}{sep}{options}")).unwrap();
        let mut db = null_mut();
        ok("keel_db_open", |e| keel_db_open(u.as_ptr(), &mut db, e));
        CDb(db)
    }

    fn checkout(&self) -> *mut keel_conn {
        let mut c = null_mut();
        ok("keel_db_checkout", |e| keel_db_checkout(self.0, &mut c, e));
        c
    }
}

impl Drop for CDb {
    fn drop(&mut self) {
        keel_db_free(self.0);
    }
}

/// The engine, with a database both a Rust pool and a C pool reach (for
/// SQLite a file, where the common engine is in memory).
struct Fixture {
    e: Engine,
    url: String,
    _dir: Option<TempFile>,
}

struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn fixture(name: &'static str) -> Option<Fixture> {
    let mut e = Engine::open(name)?;
    if name != "sqlite" {
        let url = e.url.clone();
        return Some(Fixture { e, url, _dir: None });
    }
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "keel_arrow_{}_{}.db",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let url = format!("sqlite://{}", path.display());
    e.db = keel::Db::open(&url).expect("open the SQLite file");
    e.url = url.clone();
    Some(Fixture { e, url, _dir: Some(TempFile(path)) })
}

fn each(check: fn(&Fixture)) {
    for name in ["sqlite", "postgres", "mysql", "mssql"] {
        if let Some(f) = fixture(name) {
            println!("{name}");
            check(&f);
        }
    }
}

fn import(stream: FFI_ArrowArrayStream) -> ArrowArrayStreamReader {
    ArrowArrayStreamReader::try_new(stream).expect("import the stream")
}

fn query_arrow(conn: *mut keel_conn, sql: &str) -> FFI_ArrowArrayStream {
    let sql = CString::new(sql).unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_conn_query_arrow", |e| keel_conn_query_arrow(conn, sql.as_ptr(), null(), 0, &mut stream, e));
    stream
}

fn date(y: i64, m: u32, d: u32) -> i32 {
    days_from_civil(y, m, d) as i32
}

fn micros(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, us: i64) -> i64 {
    days_from_civil(y, mo, d) * MICROS_PER_DAY + ((h * 60 + mi) * 60 + s) * MICROS_PER_SECOND + us
}

/// A value of `kind` for row `i` (as tests/conformance.rs's).
fn sample(kind: Type, i: usize) -> Value {
    let n = i as i64;
    match kind {
        Type::Bool => Value::Bool(i % 2 == 0),
        Type::Int64 => Value::Int64(n * 1_000_003 - 7),
        Type::Uint64 => Value::Uint64(u64::MAX - i as u64),
        Type::Double => Value::Double(n as f64 * 0.25 - 3.5),
        Type::Text => Value::Text(format!("row {i} 'é' ? -- /*")),
        Type::Bytes => Value::Bytes(vec![0, 255, i as u8, b'?']),
        Type::Date => Value::Date(date(2000, 1, 1) + i as i32),
        Type::Time => Value::Time(((1 * 60 + 2) * 60 + 3) * MICROS_PER_SECOND + n),
        Type::Timestamp => Value::Timestamp(micros(2001, 2, 3, 4, 5, 6, n)),
        Type::Timestamptz => Value::Timestamptz(micros(2002, 3, 4, 5, 6, 7, n)),
        Type::Uuid => {
            let mut u = [i as u8; 16];
            u[6] = 0x40 | (i as u8 & 0x0f);
            u[8] = 0x80 | (i as u8 & 0x3f);
            Value::Uuid(u)
        }
        Type::Json => Value::Json(format!("{{\"i\": {i}}}")),
        Type::Decimal => Value::Decimal(format!("{i}.125")),
        other => panic!("no sample for {other:?}"),
    }
}

/// `12.1250` and `12.125` alike.
fn norm_decimal(t: &str) -> String {
    if t.contains('.') { t.trim_end_matches('0').trim_end_matches('.').to_owned() } else { t.to_owned() }
}

/// Cell `row` of column `col` as a keel value, read by its Arrow type;
/// `like` (keel's value) picks between text, JSON and decimal for utf8.
fn cell(batch: &RecordBatch, col: usize, row: usize, like: &Value) -> Value {
    let a = batch.column(col);
    if a.is_null(row) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(row)),
        DataType::Int64 => Value::Int64(a.as_primitive::<Int64Type>().value(row)),
        DataType::UInt64 => Value::Uint64(a.as_primitive::<UInt64Type>().value(row)),
        DataType::Float64 => Value::Double(a.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => {
            let s = a.as_string::<i32>().value(row).to_owned();
            match like {
                Value::Json(_) => Value::Json(s),
                Value::Decimal(_) => Value::Decimal(norm_decimal(&s)),
                _ => Value::Text(s),
            }
        }
        DataType::Binary => Value::Bytes(a.as_binary::<i32>().value(row).to_vec()),
        DataType::Date32 => Value::Date(a.as_primitive::<Date32Type>().value(row)),
        DataType::Time64(TimeUnit::Microsecond) => Value::Time(a.as_primitive::<Time64MicrosecondType>().value(row)),
        DataType::Timestamp(TimeUnit::Microsecond, tz) => {
            let v = a.as_primitive::<TimestampMicrosecondType>().value(row);
            if tz.is_some() { Value::Timestamptz(v) } else { Value::Timestamp(v) }
        }
        DataType::FixedSizeBinary(16) => Value::Uuid(a.as_fixed_size_binary().value(row).try_into().unwrap()),
        DataType::Decimal128(_, s) => {
            let v = a.as_primitive::<Decimal128Type>().value(row);
            let neg = v < 0;
            let digits = format!("{:0>width$}", v.unsigned_abs(), width = *s as usize + 1);
            let (i, f) = digits.split_at(digits.len() - *s as usize);
            Value::Decimal(norm_decimal(&format!("{}{i}.{f}", if neg { "-" } else { "" })))
        }
        other => panic!("column {col}: unexpected Arrow type {other}"),
    }
}

fn keel_norm(v: &Value) -> Value {
    match v {
        Value::Decimal(t) => Value::Decimal(norm_decimal(t)),
        v => v.clone(),
    }
}

/// Every batch of a stream, and its values as rows.
fn read_all(reader: ArrowArrayStreamReader, like: &[Vec<Value>]) -> (Vec<RecordBatch>, Vec<Vec<Value>>) {
    let mut batches = Vec::new();
    let mut out = Vec::new();
    for b in reader {
        let b = b.expect("batch");
        for r in 0..b.num_rows() {
            let want = like.get(out.len());
            let row = (0..b.num_columns())
                .map(|c| cell(&b, c, r, want.map_or(&Value::Null, |w| &w[c])))
                .collect();
            out.push(row);
        }
        batches.push(b);
    }
    (batches, out)
}

// ---- the checks ---------------------------------------------------------------------------

/// A table with one column of every type the engine has, NULLs scattered,
/// over several batches: every value the stream carries equals the one
/// keel's cursor reads, and each column has its documented Arrow type.
fn check_every_type(f: &Fixture) {
    let e = &f.e;
    let t = e.table("arrow_types");
    let cols: Vec<String> = e.q.types.iter().map(|s| format!("c_{} {}", s.kind.name(), s.ddl)).collect();
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT PRIMARY KEY, {})", cols.join(", ")), &[]).unwrap();
    let names: Vec<String> = e.q.types.iter().map(|s| format!("c_{}", s.kind.name())).collect();
    let marks = vec!["?"; names.len() + 1].join(", ");
    let insert = format!("INSERT INTO {t} (id, {}) VALUES ({marks})", names.join(", "));
    let n = 23;
    let c = e.conn();
    for i in 0..n {
        let mut r = vec![Value::Int64(i as i64)];
        for (k, s) in e.q.types.iter().enumerate() {
            r.push(if (i + k) % 5 == 0 { Value::Null } else { sample(s.kind, i) });
        }
        let refs: Vec<_> = r.iter().map(Value::as_ref).collect();
        c.exec(&insert, &refs).unwrap_or_else(|err| panic!("{insert}: {err}"));
    }
    let select = format!("SELECT id, {} FROM {t} ORDER BY id", names.join(", "));
    let want: Vec<Vec<Value>> = rows(&c, &select, &[]).iter().map(|r| r.iter().map(keel_norm).collect()).collect();
    drop(c);
    assert_eq!(want.len(), n);

    let db = CDb::open(&f.url, "arrow_batch_rows=7");
    let conn = db.checkout();
    let reader = import(query_arrow(conn, &select));
    let schema = reader.schema();
    assert_eq!(schema.fields().len(), names.len() + 1);
    for (s, field) in e.q.types.iter().zip(schema.fields().iter().skip(1)) {
        let ext = field.metadata().get("ARROW:extension:name").map(String::as_str);
        let want_type = match s.reads_as {
            Type::Bool => DataType::Boolean,
            Type::Int64 => DataType::Int64,
            Type::Uint64 => DataType::UInt64,
            Type::Double => DataType::Float64,
            Type::Text | Type::Json => DataType::Utf8,
            Type::Bytes => DataType::Binary,
            Type::Date => DataType::Date32,
            Type::Time => DataType::Time64(TimeUnit::Microsecond),
            Type::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Type::Timestamptz => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Type::Uuid => DataType::FixedSizeBinary(16),
            Type::Decimal => field.data_type().clone(), // decimal128(p, s) or utf8: checked below
            other => panic!("{other:?}"),
        };
        assert_eq!(field.data_type(), &want_type, "{}: column {}", e.name, field.name());
        match s.reads_as {
            Type::Uuid => assert_eq!(ext, Some("arrow.uuid"), "{}", field.name()),
            Type::Json => assert_eq!(ext, Some("arrow.json"), "{}", field.name()),
            Type::Decimal => assert!(
                matches!(field.data_type(), DataType::Decimal128(..) | DataType::Utf8),
                "{}: decimal as {}",
                e.name,
                field.data_type()
            ),
            _ => assert_eq!(ext, None, "{}", field.name()),
        }
        assert!(field.is_nullable());
    }
    let (batches, got) = read_all(reader, &want);
    keel_conn_free(conn);
    assert_eq!(batches.len(), n.div_ceil(7), "{}: batches of arrow_batch_rows=7", e.name);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "{}: row {i}", e.name);
    }
    assert_eq!(got.len(), n);
    // A declared DECIMAL(p,s) column is decimal128(p,s) where the engine
    // reports p and s.
    let dec = &schema.fields()[1 + e.q.types.iter().position(|s| s.kind == Type::Decimal).unwrap()];
    match e.name {
        "sqlite" | "mysql" => assert!(matches!(dec.data_type(), DataType::Decimal128(..)), "{}: {}", e.name, dec.data_type()),
        _ => {}
    }
}

/// The stream holds the connection's session: the C connection handle may
/// be freed first, the rows are all there, and the session goes back to
/// the pool only when the stream is released.
fn check_stream_outlives_its_connection(f: &Fixture) {
    let db = CDb::open(&f.url, "pool_max_open=1&pool_acquire_timeout_ms=300&arrow_batch_rows=3");
    let conn = db.checkout();
    let stream = query_arrow(conn, "SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5");
    keel_conn_free(conn);
    // The one session is still the stream's.
    let mut other = null_mut();
    let (s, _) = fails(|e| keel_db_checkout(db.0, &mut other, e));
    assert_eq!(s, Status::Timeout);
    let (_, got) = read_all(import(stream), &[]);
    let got: Vec<Value> = got.into_iter().map(|mut r| r.remove(0)).collect();
    assert_eq!(got, (1..=5).map(Value::Int64).collect::<Vec<_>>(), "{}", f.e.name);
    // Released (the reader is dropped): the session is back.
    let c = db.checkout();
    keel_conn_free(c);

    // keel_db_query_arrow: the stream owns the connection it checked out.
    let sql = CString::new("SELECT 7 AS a").unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_db_query_arrow", |e| keel_db_query_arrow(db.0, sql.as_ptr(), null(), 0, &mut stream, e));
    let (s, _) = fails(|e| keel_db_checkout(db.0, &mut other, e));
    assert_eq!(s, Status::Timeout);
    let (_, got) = read_all(import(stream), &[]);
    assert_eq!(got, vec![vec![Value::Int64(7)]]);
    let c = db.checkout();
    keel_conn_free(c);
}

/// A stream released after one batch of many stops the query: the
/// connection runs the next statement.
fn check_released_early(f: &Fixture) {
    let e = &f.e;
    let t = e.table("arrow_early");
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT)"), &[]).unwrap();
    let c = e.conn();
    let values: Vec<String> = (0..500).map(|i| format!("({i})")).collect();
    for chunk in values.chunks(100) {
        c.exec(&format!("INSERT INTO {t} (id) VALUES {}", chunk.join(", ")), &[]).unwrap();
    }
    drop(c);
    let db = CDb::open(&f.url, "pool_max_open=1&arrow_batch_rows=10");
    let conn = db.checkout();
    let mut reader = import(query_arrow(conn, &format!("SELECT id FROM {t} ORDER BY id")));
    assert_eq!(reader.next().unwrap().unwrap().num_rows(), 10);
    drop(reader);
    let (_, got) = read_all(import(query_arrow(conn, &format!("SELECT count(*) AS n FROM {t}"))), &[]);
    assert_eq!(got, vec![vec![Value::Int64(500)]], "{}", e.name);
    // Released before reading anything.
    let stream = query_arrow(conn, &format!("SELECT id FROM {t}"));
    drop(stream);
    let (_, got) = read_all(import(query_arrow(conn, "SELECT 1 AS one")), &[]);
    assert_eq!(got, vec![vec![Value::Int64(1)]]);
    keel_conn_free(conn);
}

/// An empty result: the schema, then the end.
fn check_empty(f: &Fixture) {
    let e = &f.e;
    let t = e.table("arrow_empty");
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT, name {})", e.q.ddl(Type::Text)), &[]).unwrap();
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let reader = import(query_arrow(conn, &format!("SELECT id, name FROM {t}")));
    let schema = reader.schema();
    assert_eq!(schema.fields().len(), 2);
    assert_eq!(schema.field(0).data_type(), &DataType::Int64);
    assert_eq!(schema.field(1).data_type(), &DataType::Utf8);
    let (batches, got) = read_all(reader, &[]);
    assert!(got.is_empty() && batches.iter().all(|b| b.num_rows() == 0), "{}", e.name);
    keel_conn_free(conn);
}

/// keel_rows_export_arrow: the rows not yet read go into the stream; the
/// cursor is empty afterwards.
fn check_export_open_cursor(f: &Fixture) {
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let sql = CString::new("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4").unwrap();
    let mut rows = null_mut();
    ok("keel_conn_query", |e| keel_conn_query(conn, sql.as_ptr(), null(), 0, &mut rows, e));
    let mut has = false;
    ok("keel_rows_next", |e| keel_rows_next(rows, &mut has, e));
    assert!(has);
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_rows_export_arrow", |e| keel_rows_export_arrow(rows, &mut stream, e));
    let (s, m) = fails(|e| keel_rows_next(rows, &mut has, e));
    assert_eq!(s, Status::InvalidState);
    assert!(m.contains("Arrow stream"), "{m}");
    keel_rows_free(rows);
    let (_, got) = read_all(import(stream), &[]);
    let got: Vec<Value> = got.into_iter().map(|mut r| r.remove(0)).collect();
    // The unordered UNION ALL keeps its order on every engine here.
    assert_eq!(got, vec![Value::Int64(2), Value::Int64(3), Value::Int64(4)], "{}", f.e.name);
    keel_conn_free(conn);
}

#[test]
fn every_type() {
    each(check_every_type);
}

#[test]
fn stream_outlives_its_connection() {
    each(check_stream_outlives_its_connection);
}

#[test]
fn released_early() {
    each(check_released_early);
}

#[test]
fn empty_result() {
    each(check_empty);
}

#[test]
fn export_open_cursor() {
    each(check_export_open_cursor);
}

/// SQLite: a column without a declared type takes the type of its first
/// non-NULL value; a later value of another type fails that batch, with a
/// message naming the row and column, and the stream ends there.
#[test]
fn sqlite_untyped_column_and_error_mid_stream() {
    let db = CDb::open("sqlite::memory:", "arrow_batch_rows=4");
    let conn = db.checkout();
    let sql = "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 20) \
               SELECT x, CASE WHEN x = 0 THEN NULL WHEN x < 10 THEN x * 2 ELSE 'ten or more' END AS v FROM c";
    let mut reader = import(query_arrow(conn, sql));
    assert_eq!(reader.schema().field(1).data_type(), &DataType::Int64);
    let mut seen = 0;
    let err = loop {
        match reader.next() {
            Some(Ok(b)) => {
                for r in 0..b.num_rows() {
                    let want = if seen == 0 { Value::Null } else { Value::Int64(seen * 2) };
                    assert_eq!(cell(&b, 1, r, &Value::Null), want);
                    seen += 1;
                }
            }
            Some(Err(e)) => break e.to_string(),
            None => panic!("the stream ended without the error"),
        }
    };
    assert_eq!(seen, 8, "the two batches before the failing one");
    assert!(err.contains("row 10") && err.contains("\"v\"") && err.contains("invalid data"), "{err}");
    assert!(reader.next().is_none(), "the stream ends after its error");
    drop(reader);
    // The whole first batch NULL: Arrow's null type, and a later value is
    // an error.
    let mut reader = import(query_arrow(conn, "SELECT NULL AS v UNION ALL SELECT NULL UNION ALL SELECT NULL UNION ALL SELECT NULL UNION ALL SELECT 5"));
    assert_eq!(reader.schema().field(0).data_type(), &DataType::Null);
    assert_eq!(reader.next().unwrap().unwrap().num_rows(), 4);
    let err = reader.next().unwrap().unwrap_err().to_string();
    assert!(err.contains("row 4"), "{err}");
    keel_conn_free(conn);
}

/// PostgreSQL: an engine error after the first batch reaches the consumer
/// through get_next and get_last_error (arrow-rs reads it from there).
#[test]
fn postgres_error_mid_stream() {
    let Some(f) = fixture("postgres") else { return };
    let db = CDb::open(&f.url, "arrow_batch_rows=4");
    let conn = db.checkout();
    let mut reader = import(query_arrow(conn, "SELECT 10 / (15 - x) AS v FROM generate_series(1, 30) AS x"));
    let mut seen = 0;
    let err = loop {
        match reader.next() {
            Some(Ok(b)) => seen += b.num_rows(),
            Some(Err(e)) => break e.to_string(),
            None => panic!("no error"),
        }
    };
    assert!(seen >= 4 && seen < 15, "{seen}");
    assert!(err.contains("division by zero") && err.contains("22012"), "{err}");
    drop(reader);
    // The connection still works.
    let (_, got) = read_all(import(query_arrow(conn, "SELECT 1 AS one")), &[]);
    assert_eq!(got, vec![vec![Value::Int64(1)]]);
    keel_conn_free(conn);
}

/// NULL arguments and a closed cursor: statuses, not crashes, and nothing
/// written.
#[test]
fn bad_arguments() {
    let db = CDb::open("sqlite::memory:", "");
    let conn = db.checkout();
    let sql = CString::new("SELECT 1").unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    let (s, m) = fails(|e| keel_conn_query_arrow(null_mut(), sql.as_ptr(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NullArgument, "{m}");
    let (s, m) = fails(|e| keel_conn_query_arrow(conn, null(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NullArgument, "{m}");
    let (s, m) = fails(|e| keel_conn_query_arrow(conn, sql.as_ptr(), null(), 0, null_mut(), e));
    assert!(s == Status::NullArgument && m.contains("stream_out"), "{m}");
    let (s, _) = fails(|e| keel_db_query_arrow(null_mut(), sql.as_ptr(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NullArgument);
    let (s, _) = fails(|e| keel_rows_export_arrow(null_mut(), &mut stream, e));
    assert_eq!(s, Status::NullArgument);
    let bad = CString::new("SELECT * FROM no_such_table").unwrap();
    let (s, _) = fails(|e| keel_conn_query_arrow(conn, bad.as_ptr(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NotFound);
    assert!(stream.release.is_none(), "nothing written on failure");
    // A cursor exported twice: the second finds it empty.
    let mut rows = null_mut();
    ok("keel_conn_query", |e| keel_conn_query(conn, sql.as_ptr(), null(), 0, &mut rows, e));
    ok("export", |e| keel_rows_export_arrow(rows, &mut stream, e));
    let mut again = FFI_ArrowArrayStream::empty();
    let (s, _) = fails(|e| keel_rows_export_arrow(rows, &mut again, e));
    assert_eq!(s, Status::InvalidState);
    keel_rows_free(rows);
    drop(stream);
    keel_conn_free(conn);
    // arrow_batch_rows must be at least 1.
    let u = CString::new("sqlite::memory:?arrow_batch_rows=0").unwrap();
    let mut d = null_mut();
    let (s, _) = fails(|e| keel_db_open(u.as_ptr(), &mut d, e));
    assert_eq!(s, Status::InvalidArgument);
}
