//! The Arrow C stream (`keel_conn_query_arrow`, `keel_db_query_arrow`,
//! `keel_rows_export_arrow`) on every engine: each stream is imported with
//! arrow-rs's own C stream importer and compared value by value with what
//! keel's row cursor reads from the same query; streams read after their
//! connection went back, released early, empty, and failing mid-stream.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int64Type, Time64MicrosecondType,
    TimestampMicrosecondType, UInt64Type,
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
    let m = unsafe { CStr::from_ptr(keel_error_message(e)) }
        .to_string_lossy()
        .into_owned();
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
    Some(Fixture {
        e,
        url,
        _dir: Some(TempFile(path)),
    })
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

/// The rows a stream gives before it fails, and its error's message.
fn rows_until_error(reader: &mut ArrowArrayStreamReader) -> (usize, String) {
    let mut seen = 0;
    loop {
        match reader.next() {
            Some(Ok(b)) => seen += b.num_rows(),
            Some(Err(e)) => return (seen, e.to_string()),
            None => panic!("the stream ended without an error"),
        }
    }
}

fn query_arrow(conn: *mut keel_conn, sql: &str) -> FFI_ArrowArrayStream {
    let sql = CString::new(sql).unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_conn_query_arrow", |e| {
        keel_conn_query_arrow(conn, sql.as_ptr(), null(), 0, &mut stream, e)
    });
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
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        t.to_owned()
    }
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
        DataType::Time64(TimeUnit::Microsecond) => {
            Value::Time(a.as_primitive::<Time64MicrosecondType>().value(row))
        }
        DataType::Timestamp(TimeUnit::Microsecond, tz) => {
            let v = a.as_primitive::<TimestampMicrosecondType>().value(row);
            if tz.is_some() {
                Value::Timestamptz(v)
            } else {
                Value::Timestamp(v)
            }
        }
        DataType::FixedSizeBinary(16) => {
            Value::Uuid(a.as_fixed_size_binary().value(row).try_into().unwrap())
        }
        DataType::Decimal128(_, s) => {
            let v = a.as_primitive::<Decimal128Type>().value(row);
            let neg = v < 0;
            let digits = format!("{:0>width$}", v.unsigned_abs(), width = *s as usize + 1);
            let (i, f) = digits.split_at(digits.len() - *s as usize);
            Value::Decimal(norm_decimal(&format!(
                "{}{i}.{f}",
                if neg { "-" } else { "" }
            )))
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
fn read_all(
    reader: ArrowArrayStreamReader,
    like: &[Vec<Value>],
) -> (Vec<RecordBatch>, Vec<Vec<Value>>) {
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
    let cols: Vec<String> =
        e.q.types
            .iter()
            .map(|s| format!("c_{} {}", s.kind.name(), s.ddl))
            .collect();
    e.db.exec(
        &format!(
            "CREATE TABLE {t} (id BIGINT PRIMARY KEY, {})",
            cols.join(", ")
        ),
        &[],
    )
    .unwrap();
    let names: Vec<String> =
        e.q.types
            .iter()
            .map(|s| format!("c_{}", s.kind.name()))
            .collect();
    let marks = vec!["?"; names.len() + 1].join(", ");
    let insert = format!(
        "INSERT INTO {t} (id, {}) VALUES ({marks})",
        names.join(", ")
    );
    let n = 23;
    let c = e.conn();
    for i in 0..n {
        let mut r = vec![Value::Int64(i as i64)];
        for (k, s) in e.q.types.iter().enumerate() {
            r.push(if (i + k) % 5 == 0 {
                Value::Null
            } else {
                sample(s.kind, i)
            });
        }
        let refs: Vec<_> = r.iter().map(Value::as_ref).collect();
        c.exec(&insert, &refs)
            .unwrap_or_else(|err| panic!("{insert}: {err}"));
    }
    let select = format!("SELECT id, {} FROM {t} ORDER BY id", names.join(", "));
    let want: Vec<Vec<Value>> = rows(&c, &select, &[])
        .iter()
        .map(|r| r.iter().map(keel_norm).collect())
        .collect();
    drop(c);
    assert_eq!(want.len(), n);

    let db = CDb::open(&f.url, "arrow_batch_rows=7");
    let conn = db.checkout();
    let reader = import(query_arrow(conn, &select));
    let schema = reader.schema();
    assert_eq!(schema.fields().len(), names.len() + 1);
    for (s, field) in e.q.types.iter().zip(schema.fields().iter().skip(1)) {
        let ext = field
            .metadata()
            .get("ARROW:extension:name")
            .map(String::as_str);
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
        assert_eq!(
            field.data_type(),
            &want_type,
            "{}: column {}",
            e.name,
            field.name()
        );
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
    assert_eq!(
        batches.len(),
        n.div_ceil(7),
        "{}: batches of arrow_batch_rows=7",
        e.name
    );
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "{}: row {i}", e.name);
    }
    assert_eq!(got.len(), n);
    // A declared DECIMAL(p,s) column is decimal128(p,s) where the engine
    // reports p and s.
    let dec = &schema.fields()[1 + e
        .q
        .types
        .iter()
        .position(|s| s.kind == Type::Decimal)
        .unwrap()];
    match e.name {
        "sqlite" | "mysql" => assert!(
            matches!(dec.data_type(), DataType::Decimal128(..)),
            "{}: {}",
            e.name,
            dec.data_type()
        ),
        _ => {}
    }
}

/// The stream holds the connection's session: the C connection handle may
/// be freed first, the rows are all there, and the session goes back to
/// the pool only when the stream is released.
fn check_stream_outlives_its_connection(f: &Fixture) {
    let db = CDb::open(
        &f.url,
        "pool_max_open=1&pool_acquire_timeout_ms=300&arrow_batch_rows=3",
    );
    let conn = db.checkout();
    let stream = query_arrow(
        conn,
        "SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5",
    );
    keel_conn_free(conn);
    // The one session is still the stream's.
    let mut other = null_mut();
    let (s, _) = fails(|e| keel_db_checkout(db.0, &mut other, e));
    assert_eq!(s, Status::Timeout);
    let (_, got) = read_all(import(stream), &[]);
    let got: Vec<Value> = got.into_iter().map(|mut r| r.remove(0)).collect();
    assert_eq!(
        got,
        (1..=5).map(Value::Int64).collect::<Vec<_>>(),
        "{}",
        f.e.name
    );
    // Released (the reader is dropped): the session is back.
    let c = db.checkout();
    keel_conn_free(c);

    // keel_db_query_arrow: the stream owns the connection it checked out.
    let sql = CString::new("SELECT 7 AS a").unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_db_query_arrow", |e| {
        keel_db_query_arrow(db.0, sql.as_ptr(), null(), 0, &mut stream, e)
    });
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
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT)"), &[])
        .unwrap();
    let c = e.conn();
    let values: Vec<String> = (0..500).map(|i| format!("({i})")).collect();
    for chunk in values.chunks(100) {
        c.exec(
            &format!("INSERT INTO {t} (id) VALUES {}", chunk.join(", ")),
            &[],
        )
        .unwrap();
    }
    drop(c);
    let db = CDb::open(&f.url, "pool_max_open=1&arrow_batch_rows=10");
    let conn = db.checkout();
    let mut reader = import(query_arrow(
        conn,
        &format!("SELECT id FROM {t} ORDER BY id"),
    ));
    assert_eq!(reader.next().unwrap().unwrap().num_rows(), 10);
    drop(reader);
    let (_, got) = read_all(
        import(query_arrow(conn, &format!("SELECT count(*) AS n FROM {t}"))),
        &[],
    );
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
    e.db.exec(
        &format!("CREATE TABLE {t} (id BIGINT, name {})", e.q.ddl(Type::Text)),
        &[],
    )
    .unwrap();
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let reader = import(query_arrow(conn, &format!("SELECT id, name FROM {t}")));
    let schema = reader.schema();
    assert_eq!(schema.fields().len(), 2);
    assert_eq!(schema.field(0).data_type(), &DataType::Int64);
    assert_eq!(schema.field(1).data_type(), &DataType::Utf8);
    let (batches, got) = read_all(reader, &[]);
    assert!(
        got.is_empty() && batches.iter().all(|b| b.num_rows() == 0),
        "{}",
        e.name
    );
    keel_conn_free(conn);
}

/// keel_rows_export_arrow: the rows not yet read go into the stream; the
/// cursor is empty afterwards.
fn check_export_open_cursor(f: &Fixture) {
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let sql =
        CString::new("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4")
            .unwrap();
    let mut rows = null_mut();
    ok("keel_conn_query", |e| {
        keel_conn_query(conn, sql.as_ptr(), null(), 0, &mut rows, e)
    });
    let mut has = false;
    ok("keel_rows_next", |e| keel_rows_next(rows, &mut has, e));
    assert!(has);
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_rows_export_arrow", |e| {
        keel_rows_export_arrow(rows, &mut stream, e)
    });
    let (s, m) = fails(|e| keel_rows_next(rows, &mut has, e));
    assert_eq!(s, Status::InvalidState);
    assert!(m.contains("Arrow stream"), "{m}");
    keel_rows_free(rows);
    let (_, got) = read_all(import(stream), &[]);
    let got: Vec<Value> = got.into_iter().map(|mut r| r.remove(0)).collect();
    // The unordered UNION ALL keeps its order on every engine here.
    assert_eq!(
        got,
        vec![Value::Int64(2), Value::Int64(3), Value::Int64(4)],
        "{}",
        f.e.name
    );
    keel_conn_free(conn);
}

/// Where the bytes of buffer `which` of column `col` of `b` are.
fn buffer_at(b: &RecordBatch, col: usize, which: usize) -> usize {
    b.column(col).to_data().buffers()[which].as_ptr() as usize
}

/// A stream read batch by batch fills the memory of the batch its
/// consumer released last; batches the consumer keeps are never written
/// again, and a batch released after its stream is still whole.
fn check_released_batches_are_reused(f: &Fixture) {
    let e = &f.e;
    let t = e.table("arrow_reuse");
    e.db.exec(
        &format!("CREATE TABLE {t} (id BIGINT, name {}, score {})", e.q.ddl(Type::Text), e.q.ddl(Type::Double)),
        &[],
    )
    .unwrap();
    let c = e.conn();
    let values: Vec<String> = (0..40).map(|i| format!("({i}, 'name {i}', {i}.5)")).collect();
    c.exec(&format!("INSERT INTO {t} (id, name, score) VALUES {}", values.join(", ")), &[]).unwrap();
    drop(c);
    let want = |from: usize, b: &RecordBatch| {
        for r in 0..b.num_rows() {
            let i = from + r;
            assert_eq!(b.column(0).as_primitive::<Int64Type>().value(r), i as i64, "{}", e.name);
            assert_eq!(b.column(1).as_string::<i32>().value(r), format!("name {i}"), "{}", e.name);
            assert_eq!(b.column(2).as_primitive::<Float64Type>().value(r), i as f64 + 0.5, "{}", e.name);
        }
    };
    let db = CDb::open(&f.url, "arrow_batch_rows=8");
    let conn = db.checkout();
    let sql = format!("SELECT id, name, score FROM {t} ORDER BY id");

    // Each batch released before the next is asked for.
    let mut reader = import(query_arrow(conn, &sql));
    let first = reader.next().unwrap().unwrap();
    want(0, &first);
    let at = [buffer_at(&first, 0, 0), buffer_at(&first, 1, 0), buffer_at(&first, 1, 1), buffer_at(&first, 2, 0)];
    drop(first);
    let mut seen = 8;
    for b in reader.by_ref() {
        let b = b.unwrap();
        want(seen, &b);
        let now = [buffer_at(&b, 0, 0), buffer_at(&b, 1, 0), buffer_at(&b, 1, 1), buffer_at(&b, 2, 0)];
        assert_eq!(now, at, "{}: batch at row {seen} is not in the released batch's memory", e.name);
        seen += b.num_rows();
    }
    assert_eq!(seen, 40);
    drop(reader);

    // Every batch kept: each in memory of its own, and still as read.
    let kept: Vec<RecordBatch> = import(query_arrow(conn, &sql)).map(|b| b.unwrap()).collect();
    assert_eq!(kept.len(), 5, "{}", e.name);
    let mut places: Vec<usize> = kept.iter().map(|b| buffer_at(b, 0, 0)).collect();
    places.dedup();
    assert_eq!(places.len(), 5, "{}: kept batches share memory", e.name);
    for (k, b) in kept.iter().enumerate() {
        want(k * 8, b);
    }

    // A batch outliving its stream, released from another thread, and
    // one released after it while the stream reads on.
    let mut reader = import(query_arrow(conn, &sql));
    let a = reader.next().unwrap().unwrap();
    let b = reader.next().unwrap().unwrap();
    std::thread::spawn(move || drop(a)).join().unwrap();
    let c = reader.next().unwrap().unwrap();
    want(8, &b);
    want(16, &c);
    drop(reader);
    drop(c);
    want(8, &b);
    drop(b);
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
fn released_batches_are_reused() {
    each(check_released_batches_are_reused);
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
                    let want = if seen == 0 {
                        Value::Null
                    } else {
                        Value::Int64(seen * 2)
                    };
                    assert_eq!(cell(&b, 1, r, &Value::Null), want);
                    seen += 1;
                }
            }
            Some(Err(e)) => break e.to_string(),
            None => panic!("the stream ended without the error"),
        }
    };
    assert_eq!(seen, 8, "the two batches before the failing one");
    assert!(
        err.contains("row 10") && err.contains("\"v\"") && err.contains("invalid data"),
        "{err}"
    );
    assert!(reader.next().is_none(), "the stream ends after its error");
    drop(reader);
    // The whole first batch NULL: Arrow's null type, and a later value is
    // an error.
    let mut reader = import(query_arrow(
        conn,
        "SELECT NULL AS v UNION ALL SELECT NULL UNION ALL SELECT NULL UNION ALL SELECT NULL UNION ALL SELECT 5",
    ));
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
    let mut reader = import(query_arrow(
        conn,
        "SELECT 10 / (15 - x) AS v FROM generate_series(1, 30) AS x",
    ));
    let (seen, err) = rows_until_error(&mut reader);
    assert!(seen >= 4 && seen < 15, "{seen}");
    assert!(
        err.contains("division by zero") && err.contains("22012"),
        "{err}"
    );
    drop(reader);
    // The connection still works.
    let (_, got) = read_all(import(query_arrow(conn, "SELECT 1 AS one")), &[]);
    assert_eq!(got, vec![vec![Value::Int64(1)]]);
    keel_conn_free(conn);
}

/// A PostgreSQL result is read into Arrow a run of rows at a time
/// (`DriverRows::next_run`), column by column: over many runs and batches
/// of every size, with NULLs on both sides of each 64-row validity word
/// and a column NULL in whole runs, every value equals what the row
/// cursor reads; a value the column's type cannot hold (an infinite date)
/// fails naming its row and column, and the connection goes on.
#[test]
fn postgres_runs_read_what_rows_read() {
    let Some(f) = fixture("postgres") else { return };
    let select = "SELECT x AS id, \
        CASE WHEN x % 7 = 0 THEN NULL ELSE (x % 30000)::int2 END AS i2, \
        CASE WHEN x % 64 = 63 THEN NULL ELSE x * 3 END AS i4, \
        CASE WHEN x % 65 = 0 THEN NULL ELSE x::int8 * 1000003 END AS i8, \
        (x * 0.5)::float4 AS f4, \
        CASE WHEN x % 3 = 0 THEN NULL ELSE x / 7.0::float8 END AS f8, \
        CASE WHEN x % 5 = 0 THEN NULL ELSE x % 2 = 0 END AS b, \
        CASE WHEN x % 11 = 0 THEN NULL ELSE 'name ' || x || repeat('é', x % 4) END AS t, \
        ('v' || x)::varchar(20) AS vc, \
        CASE WHEN x % 13 = 0 THEN NULL ELSE decode(lpad(to_hex(x), 8, '0'), 'hex') END AS by, \
        CAST(CASE WHEN x % 17 = 0 THEN NULL ELSE x / 8.0 END AS numeric(12, 3)) AS dec, \
        (x / 3.0)::numeric AS dec_any, \
        DATE '2000-01-01' + x AS d, \
        CASE WHEN x % 19 = 0 THEN NULL ELSE TIME '01:02:03' + x * INTERVAL '1 second' END AS tm, \
        TIMESTAMP '2001-02-03 04:05:06' + x * INTERVAL '1 minute' AS ts, \
        CASE WHEN x % 23 = 0 THEN NULL ELSE TIMESTAMPTZ '2002-03-04 05:06:07+00' + x * INTERVAL '1 hour' END AS tstz, \
        md5(x::text)::uuid AS u, \
        json_build_object('i', x) AS j, \
        CASE WHEN x % 29 = 0 THEN NULL ELSE jsonb_build_object('i', x) END AS jb, \
        x * INTERVAL '1 day' AS iv, \
        CASE WHEN x < 3000 THEN NULL ELSE x END AS late, \
        point(x, x) AS pt \
        FROM generate_series(1, 5000) AS x";
    let c = f.e.conn();
    let want: Vec<Vec<Value>> = rows(&c, select, &[]).iter().map(|r| r.iter().map(keel_norm).collect()).collect();
    drop(c);
    assert_eq!(want.len(), 5000);
    for batch_rows in ["1", "63", "64", "2047", "2049", "100000"] {
        let db = CDb::open(&f.url, &format!("arrow_batch_rows={batch_rows}"));
        let conn = db.checkout();
        let (batches, got) = read_all(import(query_arrow(conn, select)), &want);
        assert_eq!(got.len(), want.len(), "arrow_batch_rows={batch_rows}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "arrow_batch_rows={batch_rows}: row {i}");
        }
        let size: usize = batch_rows.parse().unwrap();
        assert_eq!(batches.len(), 5000usize.div_ceil(size), "arrow_batch_rows={batch_rows}");
        let schema = batches[0].schema();
        assert_eq!(schema.field_with_name("dec").unwrap().data_type(), &DataType::Decimal128(12, 3));
        assert_eq!(schema.field_with_name("pt").unwrap().data_type(), &DataType::Utf8);
        assert_eq!(schema.field_with_name("iv").unwrap().data_type(), &DataType::Utf8);
        keel_conn_free(conn);
    }

    let db = CDb::open(&f.url, "arrow_batch_rows=1000");
    let conn = db.checkout();
    let mut reader = import(query_arrow(
        conn,
        "SELECT x, CASE WHEN x = 3001 THEN DATE 'infinity' ELSE DATE '2024-01-01' + x END AS d \
         FROM generate_series(1, 5000) AS x",
    ));
    let (seen, err) = rows_until_error(&mut reader);
    assert_eq!(seen, 3000);
    assert!(err.contains("row 3000, column 1 (\"d\")") && err.contains("infinity") && err.contains("date"), "{err}");
    drop(reader);
    // Exported after ten rows read by the cursor: the stream counts its
    // own rows.
    let sql = CString::new(
        "SELECT x, CASE WHEN x = 3001 THEN DATE 'infinity' ELSE DATE '2024-01-01' + x END AS d \
         FROM generate_series(1, 5000) AS x",
    )
    .unwrap();
    let mut rows = null_mut();
    ok("keel_conn_query", |e| keel_conn_query(conn, sql.as_ptr(), null(), 0, &mut rows, e));
    for _ in 0..10 {
        let mut has = false;
        ok("keel_rows_next", |e| keel_rows_next(rows, &mut has, e));
        assert!(has);
    }
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_rows_export_arrow", |e| keel_rows_export_arrow(rows, &mut stream, e));
    keel_rows_free(rows);
    let (seen, err) = rows_until_error(&mut import(stream));
    assert_eq!(seen, 2000, "the batch holding row 2990 fails whole");
    assert!(err.contains("row 2990, column 1 (\"d\")"), "{err}");
    let (_, got) = read_all(import(query_arrow(conn, "SELECT 1 AS one")), &[]);
    assert_eq!(got, vec![vec![Value::Int64(1)]]);
    keel_conn_free(conn);
}

/// PostgreSQL arrays come as list<T> of their elements' Arrow type, NULL
/// lists and NULL elements as validity bits, across batches; arrays of
/// more dimensions and elements keel cannot hold are errors naming the
/// row and column.
#[test]
fn postgres_arrays_as_lists() {
    let Some(f) = fixture("postgres") else { return };
    let db = CDb::open(&f.url, "arrow_batch_rows=4");
    let conn = db.checkout();
    let sql = "SELECT ARRAY[1, NULL, 3]::int4[] AS i, NULL::int8[] AS n, '{}'::text[] AS e, \
               ARRAY['a', NULL, 'ü']::text[] AS t, ARRAY[1.5, -2.25]::numeric(6,2)[] AS d, \
               ARRAY[12.5]::numeric[] AS dn, ARRAY['2024-02-29'::date] AS dt, \
               ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid] AS u, ARRAY[true, false] AS b, \
               ARRAY['1 day'::interval] AS iv, ARRAY['{\"a\": 1}'::jsonb] AS j, ARRAY['\\x00ff'::bytea] AS by, \
               ARRAY[1.5::float8] AS fl, ARRAY['2024-01-02 03:04:05+00'::timestamptz] AS tz";
    let mut reader = import(query_arrow(conn, sql));
    let schema = reader.schema();
    let item = |i: usize| match schema.field(i).data_type() {
        DataType::List(f) => f.clone(),
        other => panic!("column {i}: {other} is not a list"),
    };
    let want = [
        DataType::Int64,
        DataType::Int64,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Decimal128(6, 2),
        DataType::Utf8,
        DataType::Date32,
        DataType::FixedSizeBinary(16),
        DataType::Boolean,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Binary,
        DataType::Float64,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    ];
    for (i, dt) in want.iter().enumerate() {
        assert_eq!(item(i).data_type(), dt, "column {i}");
    }
    let ext = |i: usize| item(i).metadata().get("ARROW:extension:name").cloned();
    assert_eq!(ext(7).as_deref(), Some("arrow.uuid"));
    assert_eq!(ext(10).as_deref(), Some("arrow.json"));
    let b = reader.next().unwrap().unwrap();
    let list = |i: usize| b.column(i).as_list::<i32>();
    let ints = list(0).value(0);
    let ints = ints.as_primitive::<Int64Type>();
    assert_eq!((ints.len(), ints.value(0), ints.is_null(1), ints.value(2)), (3, 1, true, 3));
    assert!(list(1).is_null(0), "a NULL array is a NULL list");
    assert!(!list(2).is_null(0) && list(2).value(0).is_empty(), "an empty array is an empty list");
    let texts = list(3).value(0);
    let texts = texts.as_string::<i32>();
    assert_eq!((texts.value(0), texts.is_null(1), texts.value(2)), ("a", true, "ü"));
    let decs = list(4).value(0);
    let decs = decs.as_primitive::<Decimal128Type>();
    assert_eq!((decs.value(0), decs.value(1)), (150, -225));
    assert_eq!(list(5).value(0).as_string::<i32>().value(0), "12.5");
    assert_eq!(list(6).value(0).as_primitive::<Date32Type>().value(0), date(2024, 2, 29));
    assert_eq!(list(7).value(0).as_fixed_size_binary().value(0)[..2], [0xa0, 0xee]);
    let bools = list(8).value(0);
    assert_eq!((bools.as_boolean().value(0), bools.as_boolean().value(1)), (true, false));
    assert_eq!(list(9).value(0).as_string::<i32>().value(0), "1 day");
    assert_eq!(list(10).value(0).as_string::<i32>().value(0), "{\"a\": 1}");
    assert_eq!(list(11).value(0).as_binary::<i32>().value(0), [0x00, 0xff]);
    assert_eq!(list(12).value(0).as_primitive::<Float64Type>().value(0), 1.5);
    assert_eq!(
        list(13).value(0).as_primitive::<TimestampMicrosecondType>().value(0),
        micros(2024, 1, 2, 3, 4, 5, 0)
    );
    drop(reader);

    // Many rows over several batches of 4: NULL lists, lists of 0 to 3.
    let mut reader = import(query_arrow(
        conn,
        "SELECT CASE WHEN x % 3 = 0 THEN NULL ELSE array_fill(x::int8, ARRAY[x % 4]) END AS a \
         FROM generate_series(1, 10) AS x ORDER BY x",
    ));
    let mut got = Vec::new();
    for b in reader.by_ref() {
        let b = b.unwrap();
        assert!(b.num_rows() <= 4);
        let l = b.column(0).as_list::<i32>();
        for r in 0..b.num_rows() {
            got.push((!l.is_null(r)).then(|| l.value(r).as_primitive::<Int64Type>().values().to_vec()));
        }
    }
    let want: Vec<Option<Vec<i64>>> =
        (1..=10i64).map(|x| (x % 3 != 0).then(|| vec![x; (x % 4) as usize])).collect();
    assert_eq!(got, want);

    // What does not fit: an error naming the row and column (from the
    // call, which reads the first batch).
    for (sql, says) in [
        ("SELECT 1 AS one, ARRAY[[1, 2], [3, 4]] AS a", "2 dimensions"),
        ("SELECT 1 AS one, ARRAY['2024-01-01'::date, 'infinity'] AS a", "element 1, \"infinity\""),
    ] {
        let c = CString::new(sql).unwrap();
        let mut stream = FFI_ArrowArrayStream::empty();
        let (st, err) = fails(|e| keel_conn_query_arrow(conn, c.as_ptr(), null(), 0, &mut stream, e));
        assert_eq!(st, Status::InvalidData, "{sql}: {err}");
        assert!(err.contains(says) && err.contains("row 0, column 1 (\"a\")"), "{sql}: {err}");
    }
    // The row cursor reads arrays as the server's text, as before.
    let (_, got) = read_all(import(query_arrow(conn, "SELECT ARRAY[1, 2]::text AS t")), &[]);
    assert_eq!(got, vec![vec![Value::Text("{1,2}".into())]]);
    keel_conn_free(conn);
}

/// Decimals wider than 38 digits come as decimal256(p, s) with their
/// digits exact (PostgreSQL's numeric(51,10), MySQL's DECIMAL(60,10),
/// SQLite's declared DECIMAL TEXT(51,10)), and go back in by
/// keel_conn_ingest as the same column type. SQLite does not hold its
/// values to the declared precision: one past it is an error, not a
/// rounding.
#[test]
fn wide_decimals_are_decimal256() {
    use arrow_array::types::Decimal256Type;
    use keel::core::ingest::IngestMode::Create;
    let big = "12345678901234567890123456789012345678901.1234567890";
    for name in ["postgres", "mysql", "sqlite"] {
        let Some(f) = fixture(name) else { continue };
        let e = &f.e;
        let (ty, p, s) = match name {
            "postgres" => ("NUMERIC(51,10)", 51, 10),
            "mysql" => ("DECIMAL(60,10)", 60, 10),
            _ => ("DECIMAL TEXT(51,10)", 51, 10),
        };
        let t = e.table("arrow_wide");
        e.db.exec(&format!("CREATE TABLE {t} (id BIGINT, d {ty})"), &[]).unwrap();
        let c = e.conn();
        for (id, v) in [(1, Some(big)), (2, Some("-0.5")), (3, None)] {
            let v = v.map_or(Value::Null, |v| Value::Decimal(v.into()));
            c.exec(&format!("INSERT INTO {t} (id, d) VALUES (?, ?)"), &[Value::Int64(id).as_ref(), v.as_ref()]).unwrap();
        }
        drop(c);
        let db = CDb::open(&f.url, "");
        let conn = db.checkout();
        let sql = format!("SELECT id, d FROM {t} ORDER BY id");
        let batches: Vec<RecordBatch> = import(query_arrow(conn, &sql)).map(|b| b.unwrap()).collect();
        let b = &batches[0];
        assert_eq!(b.schema().field(1).data_type(), &DataType::Decimal256(p, s), "{name}");
        let d = b.column(1).as_primitive::<Decimal256Type>();
        let frac = |t: &str, s: usize| {
            let (i, f) = t.split_once('.').unwrap();
            format!("{i}.{f:0<s$}")
        };
        assert_eq!(d.value_as_string(0), frac(big, s as usize), "{name}");
        assert_eq!(d.value_as_string(1), frac("-0.5", s as usize), "{name}");
        assert!(d.is_null(2), "{name}");
        // And back in: the same type, the same digits.
        let t2 = e.table("arrow_wide2");
        let mut stream = query_arrow(conn, &sql);
        assert_eq!(ingest(conn, &t2.name, &mut stream, Create), Ok(3), "{name}");
        let again: Vec<RecordBatch> =
            import(query_arrow(conn, &format!("SELECT id, d FROM {t2} ORDER BY id"))).map(|b| b.unwrap()).collect();
        assert_eq!(again[0].column(1).to_data(), b.column(1).to_data(), "{name}");
        if name == "sqlite" {
            let t3 = e.table("arrow_wide3");
            e.db.exec(&format!("CREATE TABLE {t3} (d DECIMAL TEXT(45,5))"), &[]).unwrap();
            e.db.exec(&format!("INSERT INTO {t3} VALUES ('{big}')"), &[]).unwrap();
            let q = CString::new(format!("SELECT d FROM {t3}")).unwrap();
            let mut stream = FFI_ArrowArrayStream::empty();
            let (st, m) = fails(|er| keel_conn_query_arrow(conn, q.as_ptr(), null(), 0, &mut stream, er));
            assert_eq!(st, Status::InvalidData, "{m}");
            assert!(m.contains("decimal256(45, 5)") && m.contains("row 0, column 0"), "{m}");
        }
        keel_conn_free(conn);
    }
}

/// NULL arguments and a closed cursor: statuses, not crashes, and nothing
/// written.
#[test]
fn bad_arguments() {
    let db = CDb::open("sqlite::memory:", "");
    let conn = db.checkout();
    let sql = CString::new("SELECT 1").unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    let (s, m) =
        fails(|e| keel_conn_query_arrow(null_mut(), sql.as_ptr(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NullArgument, "{m}");
    let (s, m) = fails(|e| keel_conn_query_arrow(conn, null(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NullArgument, "{m}");
    let (s, m) = fails(|e| keel_conn_query_arrow(conn, sql.as_ptr(), null(), 0, null_mut(), e));
    assert!(s == Status::NullArgument && m.contains("stream_out"), "{m}");
    let (s, _) =
        fails(|e| keel_db_query_arrow(null_mut(), sql.as_ptr(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NullArgument);
    let (s, _) = fails(|e| keel_rows_export_arrow(null_mut(), &mut stream, e));
    assert_eq!(s, Status::NullArgument);
    let bad = CString::new("SELECT * FROM no_such_table").unwrap();
    let (s, _) = fails(|e| keel_conn_query_arrow(conn, bad.as_ptr(), null(), 0, &mut stream, e));
    assert_eq!(s, Status::NotFound);
    assert!(stream.release.is_none(), "nothing written on failure");
    // A cursor exported twice: the second finds it empty.
    let mut rows = null_mut();
    ok("keel_conn_query", |e| {
        keel_conn_query(conn, sql.as_ptr(), null(), 0, &mut rows, e)
    });
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

// ---- ingest -------------------------------------------------------------------------------

fn ingest(
    conn: *mut keel_conn,
    table: &str,
    stream: &mut FFI_ArrowArrayStream,
    mode: keel::core::ingest::IngestMode,
) -> Result<u64, (Status, String)> {
    let t = CString::new(table).unwrap();
    let mut n = 0u64;
    let mut e = null_mut();
    let s = keel_conn_ingest(conn, t.as_ptr(), stream, mode as i32, &mut n, &mut e);
    assert!(
        stream.release.is_none(),
        "keel_conn_ingest takes the stream whatever the outcome"
    );
    if s == Status::Ok {
        Ok(n)
    } else {
        Err((s, message(e)))
    }
}

/// `v` with decimals and decimal text alike (SQL Server's decimal comes
/// out as text and goes back in as text).
/// list<T> columns go into PostgreSQL array columns (made `T[]`) and come
/// back the same, element for element, quotes, backslashes, braces and
/// NULLs included; an engine without arrays refuses a list column before
/// anything runs.
#[test]
fn ingest_lists_into_postgres_arrays() {
    use keel::core::ingest::IngestMode;
    let Some(f) = fixture("postgres") else { return };
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let table = format!("karr{}", std::process::id());
    let _ = f.e.conn().exec(&format!("DROP TABLE IF EXISTS {table}"), &[]);
    let source = "SELECT x AS id, \
                  CASE WHEN x = 3 THEN NULL ELSE ARRAY[x, NULL, -x]::int8[] END AS i, \
                  ARRAY['a \"q\" \\ {b}', NULL, '', 'NULL']::text[] AS t, \
                  ARRAY[1.5, -0.25]::numeric(6,2)[] AS d, ARRAY['\\x00ff'::bytea] AS b, \
                  ARRAY['2024-02-29'::date] AS dt, ARRAY['2024-01-02 03:04:05.25+00'::timestamptz] AS tz, \
                  ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid] AS u, ARRAY[true] AS bo, \
                  ARRAY[0.1::float8, 'NaN'] AS fl, '{}'::int8[] AS e \
                  FROM generate_series(1, 5) AS x ORDER BY x";
    let read = |sql: &str| -> Vec<RecordBatch> { import(query_arrow(conn, sql)).map(|b| b.unwrap()).collect() };
    let want = read(source);
    let mut stream = query_arrow(conn, source);
    assert_eq!(ingest(conn, &table, &mut stream, IngestMode::Create), Ok(5));
    let types = common::rows(
        &f.e.conn(),
        &format!(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{table}'::regclass \
             AND attnum > 0 ORDER BY attnum"
        ),
        &[],
    );
    let types: Vec<String> = types.iter().map(|r| r[0].as_ref().as_str_direct().unwrap().to_owned()).collect();
    assert_eq!(&types[..4], ["bigint", "bigint[]", "text[]", "numeric(6,2)[]"]);
    let got = read(&format!("SELECT * FROM {table} ORDER BY id"));
    // 5 rows: one batch each.
    assert_eq!((want.len(), got.len()), (1, 1));
    let (want, got) = (&want[0], &got[0]);
    assert_eq!(got.schema(), want.schema());
    for i in 0..want.num_columns() {
        assert_eq!(got.column(i).to_data(), want.column(i).to_data(), "column {i} ({})", want.schema().field(i).name());
    }
    // They went by binary COPY (a trigger logs the statement), and an
    // element its column's element type cannot hold is an error naming
    // the row, the column and the element, with nothing of the call left.
    let c = f.e.conn();
    c.exec(&format!("CREATE TABLE {table}_log (q TEXT)"), &[]).unwrap();
    c.exec(
        &format!(
            "CREATE FUNCTION {table}_f() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN INSERT INTO {table}_log VALUES (current_query()); RETURN NEW; END $$"
        ),
        &[],
    )
    .unwrap();
    c.exec(&format!("CREATE TRIGGER {table}_t BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_f()"), &[])
        .unwrap();
    let mut stream = query_arrow(conn, source);
    assert_eq!(ingest(conn, &table, &mut stream, IngestMode::Append), Ok(5));
    let qs = common::rows(&c, &format!("SELECT DISTINCT q FROM {table}_log"), &[]);
    assert!(
        qs.len() == 1 && matches!(&qs[0][0], Value::Text(q) if q.starts_with("COPY ") && q.contains("FORMAT binary")),
        "{qs:?}"
    );
    c.exec(&format!("CREATE TABLE {table}_narrow (id BIGINT, i INT4[])"), &[]).unwrap();
    let mut stream = query_arrow(conn, "SELECT x::int8 AS id, ARRAY[1, x::int8 * 1000000000]::int8[] AS i FROM generate_series(1, 3) AS x");
    let (st, m) = ingest(conn, &format!("{table}_narrow"), &mut stream, IngestMode::Append).unwrap_err();
    assert_eq!(st, Status::InvalidData, "{m}");
    assert!(m.contains("row 2") && m.contains("array element 1") && m.contains("3000000000"), "{m}");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {table}_narrow"), &[]), 0);
    for sql in [
        format!("DROP TABLE IF EXISTS {table}"),
        format!("DROP TABLE IF EXISTS {table}_log"),
        format!("DROP TABLE IF EXISTS {table}_narrow"),
        format!("DROP FUNCTION IF EXISTS {table}_f()"),
    ] {
        let _ = c.exec(&sql, &[]);
    }
    drop(c);

    // SQLite has no arrays: refused in every mode, before anything runs.
    let sdb = CDb::open("sqlite::memory:", "");
    let sconn = sdb.checkout();
    for mode in [IngestMode::Create, IngestMode::Append] {
        let mut stream = query_arrow(conn, "SELECT 1::int8 AS id, ARRAY[1, 2]::int8[] AS l");
        let (st, msg) = ingest(sconn, "t", &mut stream, mode).unwrap_err();
        assert_eq!(st, Status::NotImplemented, "{msg}");
        assert!(msg.contains("\"l\"") && msg.contains("array"), "{msg}");
    }
    keel_conn_free(sconn);
    keel_conn_free(conn);
}

fn loose(v: &Value) -> Value {
    match v {
        Value::Decimal(t) => Value::Text(norm_decimal(t)),
        Value::Text(t) if t.parse::<f64>().is_ok() && t.contains('.') => {
            Value::Text(norm_decimal(t))
        }
        v => v.clone(),
    }
}

/// Every type out as Arrow and back in with keel_conn_ingest into a new
/// table: the new table holds the same values as the old.
fn check_ingest_round_trip(f: &Fixture) {
    let e = &f.e;
    let (src, dst) = (e.table("arrow_in_src"), e.table("arrow_in_dst"));
    let cols: Vec<String> =
        e.q.types
            .iter()
            .map(|s| format!("c_{} {}", s.kind.name(), s.ddl))
            .collect();
    e.db.exec(
        &format!(
            "CREATE TABLE {src} (id BIGINT PRIMARY KEY, {})",
            cols.join(", ")
        ),
        &[],
    )
    .unwrap();
    let names: Vec<String> =
        e.q.types
            .iter()
            .map(|s| format!("c_{}", s.kind.name()))
            .collect();
    let marks = vec!["?"; names.len() + 1].join(", ");
    let insert = format!(
        "INSERT INTO {src} (id, {}) VALUES ({marks})",
        names.join(", ")
    );
    let n = 31;
    let c = e.conn();
    for i in 0..n {
        let mut r = vec![Value::Int64(i as i64)];
        for (k, s) in e.q.types.iter().enumerate() {
            r.push(if (i + k) % 6 == 0 {
                Value::Null
            } else {
                sample(s.kind, i)
            });
        }
        let refs: Vec<_> = r.iter().map(Value::as_ref).collect();
        c.exec(&insert, &refs)
            .unwrap_or_else(|err| panic!("{insert}: {err}"));
    }
    drop(c);
    let db = CDb::open(&f.url, "arrow_batch_rows=8");
    // Out of one connection, into another (where a connection carries one
    // result at a time, the stream keeps its own busy).
    let (from, to) = (db.checkout(), db.checkout());
    let select =
        |t: &common::Table| format!("SELECT id, {} FROM {t} ORDER BY id", names.join(", "));
    let mut stream = query_arrow(from, &select(&src));
    keel_conn_free(from);
    let got = ingest(
        to,
        &dst.name,
        &mut stream,
        keel::core::ingest::IngestMode::Create,
    )
    .unwrap_or_else(|(s, m)| panic!("{}: ingest: {s:?}: {m}", e.name));
    assert_eq!(got, n as u64);
    keel_conn_free(to);
    let c = e.conn();
    let norm = |rows: Vec<Vec<Value>>| -> Vec<Vec<Value>> {
        rows.iter().map(|r| r.iter().map(loose).collect()).collect()
    };
    let (a, b) = (
        norm(rows(&c, &select(&src), &[])),
        norm(rows(&c, &select(&dst), &[])),
    );
    assert_eq!(a.len(), n);
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "{}: row {i} differs after the round trip", e.name);
    }
    assert_eq!(a.len(), b.len());
}

/// A stream built with arrow-rs: ids from `from`, and text.
fn id_stream(from: i64, n: i64) -> FFI_ArrowArrayStream {
    use arrow_array::{Int64Array, RecordBatchIterator, StringArray};
    use std::sync::Arc;
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", DataType::Int64, false),
        arrow_schema::Field::new("name", DataType::Utf8, true),
    ]));
    let ids: Vec<i64> = (from..from + n).collect();
    let names: Vec<Option<String>> = ids
        .iter()
        .map(|i| {
            if i % 4 == 0 {
                None
            } else {
                Some(format!("n{i}"))
            }
        })
        .collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(names)),
        ],
    )
    .unwrap();
    let half = batch.num_rows() / 2;
    let batches = vec![
        Ok(batch.slice(0, half)),
        Ok(batch.slice(half, batch.num_rows() - half)),
    ];
    FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(batches, schema)))
}

/// A stream that fails after its first batch: the ingest fails with the
/// producer's message, placed after the rows that came before it, and
/// loads nothing (each engine's path: SQLite's prepared INSERT,
/// PostgreSQL's COPY, MariaDB's bulk command or MySQL's LOAD DATA, SQL
/// Server's bulk load).
fn check_ingest_stream_failing_midway(f: &Fixture) {
    use keel::core::ingest::IngestMode;
    use std::sync::Arc;
    let e = &f.e;
    let t = e.table("arrow_ingest_fails");
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT, name {})", e.q.ddl(Type::Text)), &[]).unwrap();
    let mut reader = import(id_stream(0, 10));
    let schema = reader.schema();
    let first = reader.next().unwrap().unwrap();
    let batches = vec![Ok(first), Err(arrow_schema::ArrowError::ComputeError("the producer ran dry".into()))];
    let mut stream = FFI_ArrowArrayStream::new(Box::new(arrow_array::RecordBatchIterator::new(batches, Arc::clone(&schema))));
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let (s, m) = ingest(conn, &t.name, &mut stream, IngestMode::Append).unwrap_err();
    assert_eq!(s, Status::InvalidData, "{}: {m}", e.name);
    assert!(m.contains("after 5 rows: reading the Arrow stream") && m.contains("the producer ran dry"), "{}: {m}", e.name);
    assert_eq!(m.matches("after ").count(), 1, "{}: {m}", e.name);
    keel_conn_free(conn);
    let c = e.conn();
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t}"), &[]), 0, "{}: rows of a failed ingest stayed", e.name);
}

/// A value of the stream that does not convert (a timestamp in
/// nanoseconds that is no whole microsecond) fails the ingest with the
/// row and column named once, and nothing about rows before it.
fn check_ingest_value_that_does_not_convert(f: &Fixture) {
    use keel::core::ingest::IngestMode;
    use std::sync::Arc;
    let e = &f.e;
    let t = e.table("arrow_ingest_ns");
    let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
        "ts",
        DataType::Timestamp(TimeUnit::Nanosecond, None),
        true,
    )]));
    let ns: Vec<i64> = (0..5).map(|i| i * 1_000_000_000 + if i == 3 { 1 } else { 0 }).collect();
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(arrow_array::TimestampNanosecondArray::from(ns))]).unwrap();
    let mut stream = FFI_ArrowArrayStream::new(Box::new(arrow_array::RecordBatchIterator::new(vec![Ok(batch)], schema)));
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let (s, m) = ingest(conn, &t.name, &mut stream, IngestMode::Create).unwrap_err();
    assert_eq!(s, Status::InvalidData, "{}: {m}", e.name);
    assert!(m.starts_with("row 3, column 0 (\"ts\")") && m.contains("whole microseconds"), "{}: {m}", e.name);
    assert!(!m.contains("after "), "{}: {m}", e.name);
    keel_conn_free(conn);
}

/// The four modes, with what each does to a table that exists or not.
fn check_ingest_modes(f: &Fixture) {
    use keel::core::ingest::IngestMode::*;
    let e = &f.e;
    let t = e.table("arrow_modes");
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let count = |want: i64| {
        let c = e.conn();
        assert_eq!(
            common::int(&c, &format!("SELECT count(*) FROM {t}"), &[]),
            want,
            "{}",
            e.name
        );
    };
    let (s, m) = ingest(conn, &t.name, &mut id_stream(0, 10), Append).unwrap_err();
    assert_eq!(
        s,
        Status::NotFound,
        "{}: append to a missing table: {m}",
        e.name
    );
    assert_eq!(
        ingest(conn, &t.name, &mut id_stream(0, 10), Create),
        Ok(10),
        "{}",
        e.name
    );
    count(10);
    let (s, m) = ingest(conn, &t.name, &mut id_stream(0, 10), Create).unwrap_err();
    assert_eq!(s, Status::AlreadyExists, "{}: create twice: {m}", e.name);
    count(10);
    assert_eq!(ingest(conn, &t.name, &mut id_stream(10, 5), Append), Ok(5));
    count(15);
    assert_eq!(
        ingest(conn, &t.name, &mut id_stream(100, 3), Replace),
        Ok(3)
    );
    count(3);
    assert_eq!(
        ingest(conn, &t.name, &mut id_stream(103, 4), CreateAppend),
        Ok(4)
    );
    count(7);
    let c = e.conn();
    let got = rows(&c, &format!("SELECT id, name FROM {t} ORDER BY id"), &[]);
    let want: Vec<Vec<Value>> = (100..107)
        .map(|i| {
            vec![
                Value::Int64(i),
                if i % 4 == 0 {
                    Value::Null
                } else {
                    Value::Text(format!("n{i}"))
                },
            ]
        })
        .collect();
    assert_eq!(got, want, "{}", e.name);
    drop(c);
    // create_append on a table that is not there makes it.
    let t2 = e.table("arrow_modes2");
    assert_eq!(
        ingest(conn, &t2.name, &mut id_stream(0, 2), CreateAppend),
        Ok(2)
    );
    // A failing row: nothing of the call stays (a duplicate key on a
    // table with one).
    let t3 = e.table("arrow_modes3");
    e.db.exec(
        &format!(
            "CREATE TABLE {t3} (id BIGINT PRIMARY KEY, name {})",
            e.q.ddl(Type::Text)
        ),
        &[],
    )
    .unwrap();
    e.db.exec(&format!("INSERT INTO {t3} (id, name) VALUES (7, 'x')"), &[])
        .unwrap();
    let (s, m) = ingest(conn, &t3.name, &mut id_stream(0, 10), Append).unwrap_err();
    assert_eq!(s, Status::Integrity, "{}: {m}", e.name);
    let c = e.conn();
    assert_eq!(
        common::int(&c, &format!("SELECT count(*) FROM {t3}"), &[]),
        1,
        "{}: rolled back",
        e.name
    );
    drop(c);
    // Bad arguments.
    let tn = CString::new(t.name.as_str()).unwrap();
    let mut st = id_stream(0, 1);
    let (s, _) = fails(|er| keel_conn_ingest(conn, tn.as_ptr(), &mut st, 9, null_mut(), er));
    assert_eq!(s, Status::InvalidArgument);
    assert!(st.release.is_none(), "taken on failure too");
    let mut st = id_stream(0, 1);
    let (s, _) = fails(|er| keel_conn_ingest(null_mut(), tn.as_ptr(), &mut st, 2, null_mut(), er));
    assert_eq!(s, Status::NullArgument);
    assert!(st.release.is_none(), "taken when conn is NULL too");
    let (s, _) = fails(|er| keel_conn_ingest(conn, tn.as_ptr(), null_mut(), 2, null_mut(), er));
    assert_eq!(s, Status::NullArgument);
    keel_conn_free(conn);
}

#[test]
fn ingest_round_trip() {
    each(check_ingest_round_trip);
}

#[test]
fn ingest_stream_failing_midway() {
    each(check_ingest_stream_failing_midway);
}

#[test]
fn ingest_value_that_does_not_convert() {
    each(check_ingest_value_that_does_not_convert);
}

#[test]
fn ingest_modes() {
    each(check_ingest_modes);
}

/// PostgreSQL: ingest goes by `COPY ... FROM STDIN (FORMAT binary)` (a
/// trigger sees the COPY as the current query), and falls back to INSERTs
/// for a column whose type has no binary path from the stream's type
/// (text into an integer column: the server converts it).
#[test]
fn postgres_ingest_uses_binary_copy() {
    use keel::core::ingest::IngestMode::Append;
    let Some(f) = fixture("postgres") else { return };
    let e = &f.e;
    let (t, log) = (e.table("arrow_copy"), e.table("arrow_copy_log"));
    let func = format!("{}_f", t.name);
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT, name TEXT)"), &[]).unwrap();
    e.db.exec(&format!("CREATE TABLE {log} (q TEXT)"), &[]).unwrap();
    e.db.exec(
        &format!(
            "CREATE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN INSERT INTO {log} VALUES (current_query()); RETURN NEW; END $$"
        ),
        &[],
    )
    .unwrap();
    e.db.exec(&format!("CREATE TRIGGER {t}_t BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {func}()"), &[])
        .unwrap();
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    assert_eq!(ingest(conn, &t.name, &mut id_stream(0, 5), Append), Ok(5));
    let c = e.conn();
    let qs = rows(&c, &format!("SELECT DISTINCT q FROM {log}"), &[]);
    assert_eq!(qs.len(), 1, "{qs:?}");
    assert!(matches!(&qs[0][0], Value::Text(q) if q.starts_with("COPY ") && q.contains("FORMAT binary")), "{qs:?}");
    let got = rows(&c, &format!("SELECT id, name FROM {t} ORDER BY id"), &[]);
    assert_eq!(got.len(), 5);
    assert_eq!(got[1], vec![Value::Int64(1), Value::Text("n1".into())]);
    assert_eq!(got[0], vec![Value::Int64(0), Value::Null]);
    // Text into an integer column: no binary path, so INSERTs, which the
    // server converts.
    let t2 = e.table("arrow_copy2");
    e.db.exec(&format!("CREATE TABLE {t2} (id BIGINT, name INTEGER)"), &[]).unwrap();
    use arrow_array::{Int64Array, RecordBatchIterator, StringArray};
    use std::sync::Arc;
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", DataType::Int64, false),
        arrow_schema::Field::new("name", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![1, 2])), Arc::new(StringArray::from(vec![Some("42"), None]))],
    )
    .unwrap();
    let mut s = FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema)));
    assert_eq!(ingest(conn, &t2.name, &mut s, Append), Ok(2));
    let got = rows(&c, &format!("SELECT id, name FROM {t2} ORDER BY id"), &[]);
    assert_eq!(got, vec![vec![Value::Int64(1), Value::Int64(42)], vec![Value::Int64(2), Value::Null]]);
    // Decimals in binary numeric, every shape.
    let t3 = e.table("arrow_copy3");
    e.db.exec(&format!("CREATE TABLE {t3} (d NUMERIC(30,6))"), &[]).unwrap();
    let vals: Vec<Option<i128>> = vec![Some(0), Some(1), Some(-1), Some(123_456_789), Some(-10_000_000_000), Some(1_000_000), None, Some(999_999_999_999_999_999_999)];
    let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new("d", DataType::Decimal128(30, 6), true)]));
    let arr = arrow_array::Decimal128Array::from(vals.clone()).with_precision_and_scale(30, 6).unwrap();
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(arr)]).unwrap();
    let mut s = FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema)));
    assert_eq!(ingest(conn, &t3.name, &mut s, Append), Ok(vals.len() as u64));
    let got = rows(&c, &format!("SELECT d::text FROM {t3}"), &[]);
    let want = ["0.000000", "0.000001", "-0.000001", "123.456789", "-10000.000000", "1.000000", "", "999999999999999.999999"];
    for (g, w) in got.iter().zip(want) {
        match &g[0] {
            Value::Null => assert_eq!(w, ""),
            Value::Text(t) => assert_eq!(t, w),
            other => panic!("{other:?}"),
        }
    }
    // A value that does not fit, in the middle of a COPY (the batch's
    // rows before it, over a megabyte, already sent in 64 KiB pieces):
    // the COPY is aborted, nothing stays, and the connection goes on.
    let t4 = e.table("arrow_copy4");
    e.db.exec(&format!("CREATE TABLE {t4} (id INTEGER, name TEXT)"), &[]).unwrap();
    let mut big = id_stream(i64::from(i32::MAX) - 50_000, 50_006);
    let (st, m) = ingest(conn, &t4.name, &mut big, Append).unwrap_err();
    assert_eq!(st, Status::InvalidData, "{st:?} {m}");
    assert!(m.contains("2147483648") && m.contains("row 50001"), "{m}");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t4}"), &[]), 0);
    assert_eq!(ingest(conn, &t4.name, &mut id_stream(0, 3), Append), Ok(3));
    let (_, got) = read_all(import(query_arrow(conn, &format!("SELECT count(*) AS n FROM {t4}"))), &[]);
    assert_eq!(got, vec![vec![Value::Int64(3)]]);
    // The server's own error about a row (a key already taken): the
    // message names the row of the stream, as COPY names its line.
    e.db.exec(&format!("ALTER TABLE {t4} ADD PRIMARY KEY (id)"), &[]).unwrap();
    assert_eq!(ingest(conn, &t4.name, &mut id_stream(1000, 5), Append), Ok(5));
    let (st, m) = ingest(conn, &t4.name, &mut id_stream(1005, 3), Append).map(|_| ()).and_then(|()| {
        ingest(conn, &t4.name, &mut id_stream(1, 2), Append).map(|_| ())
    }).unwrap_err();
    assert_eq!(st, Status::Integrity, "{st:?} {m}");
    assert!(m.contains("row 0:") && m.contains("line 1"), "{m}");
    let (st, m) = ingest(conn, &t4.name, &mut id_stream(1010, 4), Append).map(|_| ()).and_then(|()| {
        ingest(conn, &t4.name, &mut id_stream(1008, 3), Append).map(|_| ())
    }).unwrap_err();
    assert_eq!(st, Status::Integrity, "{st:?} {m}");
    assert!(m.contains("row 2:") && m.contains("(id)=(1010)"), "{m}");
    keel_conn_free(conn);
    drop(c);
    e.db.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
    e.db.exec(&format!("DROP FUNCTION IF EXISTS {func}()"), &[]).unwrap();
}

/// SQLite: ingest reads each record batch where its values are (the
/// Arrow buffers, no copy) through keel's table-valued function, one
/// `INSERT ... SELECT` per batch: values of every batch arrive intact,
/// including texts and bytes of the batch before the last and empty ones;
/// a value SQLite cannot take (a uint64 past i64::MAX, a NaN) is an error
/// naming its row and column, and nothing of the call stays.
#[test]
fn sqlite_ingest_reads_batches_in_place() {
    use arrow_array::{BinaryArray, Float64Array, RecordBatchIterator, StringArray, TimestampMicrosecondArray, UInt64Array};
    use keel::core::ingest::IngestMode::Append;
    use std::sync::Arc;
    let Some(f) = fixture("sqlite") else { return };
    let e = &f.e;
    let t = e.table("arrow_inplace");
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("u", DataType::UInt64, true),
        arrow_schema::Field::new("s", DataType::Utf8, true),
        arrow_schema::Field::new("b", DataType::Binary, true),
        arrow_schema::Field::new("d", DataType::Float64, true),
        arrow_schema::Field::new("ts", DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, None), true),
    ]));
    let batch = |from: u64, u3: u64, d3: f64| {
        let n = 4u64;
        let us: Vec<Option<u64>> = (0..n).map(|i| if i == 3 { Some(u3) } else if i == 1 { None } else { Some(from + i) }).collect();
        let ss: Vec<Option<String>> = (0..n).map(|i| if i == 2 { None } else { Some(format!("s{}", from + i).repeat(i as usize)) }).collect();
        let bs: Vec<Option<Vec<u8>>> = (0..n).map(|i| Some(vec![(from + i) as u8, 0, 255].repeat(i as usize))).collect();
        let ds: Vec<Option<f64>> = (0..n).map(|i| if i == 3 { Some(d3) } else { Some((from + i) as f64 / 4.0) }).collect();
        let ts: Vec<Option<i64>> = (0..n).map(|i| Some(micros(2024, 2, 29, 23, 59, 59, (from + i) as i64 * 1001))).collect();
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(UInt64Array::from(us)),
                Arc::new(StringArray::from(ss)),
                Arc::new(BinaryArray::from_iter(bs)),
                Arc::new(Float64Array::from(ds)),
                Arc::new(TimestampMicrosecondArray::from(ts)),
            ],
        )
        .unwrap()
    };
    let stream = |batches: Vec<RecordBatch>| {
        FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(batches.into_iter().map(Ok), schema.clone())))
    };
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let good = vec![batch(0, 3, 0.75), batch(10, 13, 3.25)];
    e.db.exec(&format!("CREATE TABLE {t} (u INTEGER, s TEXT, b BLOB, d DOUBLE, ts TIMESTAMP)"), &[]).unwrap();
    assert_eq!(ingest(conn, &t.name, &mut stream(good.clone()), Append), Ok(8));
    let (_, got) = read_all(import(query_arrow(conn, &format!("SELECT u, s, b, d, ts FROM {t} ORDER BY rowid"))), &[]);
    let mut want = Vec::new();
    for b in &good {
        for r in 0..b.num_rows() {
            let row = (0..5).map(|c| match cell(b, c, r, &Value::Null) {
                Value::Uint64(v) => Value::Int64(v as i64),
                v => v,
            });
            want.push(row.collect::<Vec<_>>());
        }
    }
    let got: Vec<Vec<Value>> = got.iter().map(|r| r.iter().map(loose).collect()).collect();
    let want: Vec<Vec<Value>> = want.iter().map(|r| r.iter().map(loose).collect()).collect();
    assert_eq!(got, want);
    // Row 7 (the second batch's last) does not fit, then a NaN in row 3.
    for (bad, says, row) in [
        (vec![batch(20, 23, 1.0), batch(30, u64::MAX, 1.0)], "18446744073709551615", "row 7: parameter 0"),
        (vec![batch(40, 43, f64::NAN)], "NaN", "row 3: parameter 3"),
    ] {
        let (st, m) = ingest(conn, &t.name, &mut stream(bad), Append).unwrap_err();
        // As when the value is bound as a parameter.
        assert_eq!(st, Status::InvalidArgument, "{m}");
        assert!(m.contains(says) && m.contains(row), "{m}");
        let (_, n) = read_all(import(query_arrow(conn, &format!("SELECT count(*) AS n FROM {t}"))), &[]);
        assert_eq!(n, vec![vec![Value::Int64(8)]], "nothing of the failed call stays");
    }
    keel_conn_free(conn);
    // The stream may read from the connection it goes into (SQLite runs
    // several cursors on one connection): each record batch is read before
    // its rows go in, never under the session's lock, so no batch waits on
    // the insert that waits for it.
    let db = CDb::open(&f.url, "pool_max_open=1&arrow_batch_rows=3");
    let conn = db.checkout();
    let mut same = query_arrow(conn, &format!("SELECT u, s, b, d, ts FROM {t} ORDER BY rowid"));
    assert_eq!(ingest(conn, &format!("{}_again", t.name), &mut same, keel::core::ingest::IngestMode::Create), Ok(8));
    let (_, n) = read_all(import(query_arrow(conn, &format!("SELECT count(*) AS n FROM {}_again", t.name))), &[]);
    assert_eq!(n, vec![vec![Value::Int64(8)]]);
    keel_conn_free(conn);
    let _ = e.db.exec(&format!("DROP TABLE IF EXISTS {}_again", t.name), &[]);
}

/// SQLite: a row that fails (here a duplicate key) fails its record
/// batch's one `INSERT ... SELECT`, naming the row: inside the caller's
/// transaction the batches before it stay and its own rows before it are
/// undone with it. Where the function cannot serve (a table that hides
/// its name, more columns than it declares) the rows go in one INSERT
/// per row, where the rows before the failing one stay. The function
/// reads nothing from SQL: with no batch bound it has no rows, and views
/// and triggers cannot use it.
#[test]
fn sqlite_ingest_per_batch_and_its_fallback() {
    use arrow_array::{Int64Array, RecordBatchIterator};
    use keel::core::ingest::IngestMode::{Append, Create};
    use std::sync::Arc;
    let Some(f) = fixture("sqlite") else { return };
    let e = &f.e;
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let t = e.table("arrow_per_batch");
    // id_stream(0, 20): rows 0 to 9, then 10 to 19; 15 is taken.
    let left_after_duplicate = |conn: *mut keel_conn| -> i64 {
        e.db.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
        e.db.exec(&format!("CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT)"), &[]).unwrap();
        e.db.exec(&format!("INSERT INTO {t} VALUES (15, 'x')"), &[]).unwrap();
        ok("begin", |er| keel_conn_begin(conn, null(), er));
        let (st, m) = ingest(conn, &t.name, &mut id_stream(0, 20), Append).unwrap_err();
        assert_eq!(st, Status::Integrity, "{m}");
        assert!(m.contains("row 15") && m.contains("UNIQUE"), "{m}");
        let (_, n) = read_all(import(query_arrow(conn, &format!("SELECT count(*) AS n FROM {t}"))), &[]);
        ok("rollback", |er| keel_conn_rollback(conn, er));
        match n[0][0] {
            Value::Int64(n) => n,
            ref v => panic!("{v:?}"),
        }
    };
    assert_eq!(left_after_duplicate(conn), 1 + 10, "the first batch stays, the second goes whole");
    // A table of the function's name hides it: one INSERT per row.
    e.db.exec("CREATE TABLE keel_ingest_rows (x INTEGER)", &[]).unwrap();
    let hidden = CDb::open(&f.url, "");
    let hidden_conn = hidden.checkout();
    assert_eq!(left_after_duplicate(hidden_conn), 1 + 15, "row by row, the rows before 15 stay");
    keel_conn_free(hidden_conn);
    e.db.exec("DROP TABLE keel_ingest_rows", &[]).unwrap();
    // More columns than the function declares: row by row, values intact.
    let width = 1000;
    let schema = Arc::new(arrow_schema::Schema::new(
        (0..width).map(|i| arrow_schema::Field::new(format!("c{i}"), DataType::Int64, false)).collect::<Vec<_>>(),
    ));
    let columns = (0..width).map(|i| Arc::new(Int64Array::from(vec![i as i64, -(i as i64)])) as arrow_array::ArrayRef).collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut wide = FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema)));
    let w = e.table("arrow_wide");
    assert_eq!(ingest(conn, &w.name, &mut wide, Create), Ok(2));
    let (_, got) = read_all(import(query_arrow(conn, &format!("SELECT sum(c999) AS s, min(c998) AS m FROM {w}"))), &[]);
    assert_eq!(got, vec![vec![Value::Int64(0), Value::Int64(-998)]]);
    // From SQL: no batch, no rows; no plan without the argument; not from a view.
    let (_, n) = read_all(import(query_arrow(conn, "SELECT count(*) AS n FROM keel_ingest_rows(1)")), &[]);
    assert_eq!(n, vec![vec![Value::Int64(0)]]);
    assert!(e.db.query("SELECT c0 FROM keel_ingest_rows", &[]).is_err());
    e.db.exec(&format!("CREATE VIEW {t}_v AS SELECT c0 FROM keel_ingest_rows(1)"), &[]).unwrap();
    let err = e.db.query(&format!("SELECT * FROM {t}_v"), &[]).err().expect("a view cannot read the function");
    assert!(err.message.contains("unsafe use"), "{err}");
    e.db.exec(&format!("DROP VIEW {t}_v"), &[]).unwrap();
    keel_conn_free(conn);
}

/// SQLite: `statement_timeout_ms` stops a record batch's `INSERT ...
/// SELECT` as it stops any statement: TIMEOUT, naming the row it was
/// on, and nothing of the call stays. (A batch of 1,000,000 rows takes
/// SQLite far longer than 20 ms.)
#[test]
fn sqlite_ingest_stops_at_the_statement_timeout() {
    use arrow_array::{Int64Array, RecordBatchIterator};
    use keel::core::ingest::IngestMode::Append;
    use std::sync::Arc;
    let Some(f) = fixture("sqlite") else { return };
    let e = &f.e;
    let t = e.table("arrow_timeout");
    e.db.exec(&format!("CREATE TABLE {t} (id INTEGER PRIMARY KEY, v INTEGER)"), &[]).unwrap();
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", DataType::Int64, false),
        arrow_schema::Field::new("v", DataType::Int64, false),
    ]));
    let n = 1_000_000i64;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from_iter_values(0..n)), Arc::new(Int64Array::from_iter_values((0..n).map(|i| i * 3)))],
    )
    .unwrap();
    let mut stream = FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema)));
    let db = CDb::open(&f.url, "statement_timeout_ms=20");
    let conn = db.checkout();
    let (st, m) = ingest(conn, &t.name, &mut stream, Append).unwrap_err();
    assert_eq!(st, Status::Timeout, "{m}");
    assert!(m.contains("statement_timeout_ms=20") && m.contains("row "), "{m}");
    let (_, left) = read_all(import(query_arrow(conn, &format!("SELECT count(*) AS n FROM {t}"))), &[]);
    assert_eq!(left, vec![vec![Value::Int64(0)]]);
    keel_conn_free(conn);
}

/// MySQL/MariaDB: ingest goes by LOAD DATA LOCAL INFILE fed from the
/// stream (the session's Com_load counter moves, Com_insert does not)
/// when the server has local_infile on; values with tabs, newlines,
/// backslashes and NUL bytes arrive intact; a duplicate key, which LOCAL
/// makes a warning, is an error and nothing stays. (The fallback to
/// INSERTs with local_infile off is tested on a server of its own:
/// `mysql_ingest_without_local_infile_uses_inserts`.)
/// SQL Server: keel_conn_ingest goes by the TDS bulk load (on the test
/// peer, which counts them), every keel type exact; each value is written
/// as its column takes it (narrow integers, a time of scale 3), and one
/// that does not fit exactly is an error naming the row, with nothing of
/// the call left.
#[test]
fn mssql_ingest_uses_the_bulk_load() {
    use arrow_array::{
        BinaryArray, BooleanArray, Date32Array, Decimal128Array, FixedSizeBinaryArray, Float64Array, Int64Array,
        RecordBatchIterator, StringArray, Time64MicrosecondArray, TimestampMicrosecondArray,
    };
    use keel::core::ingest::IngestMode::{Append, Create};
    use std::sync::Arc;
    let Some(f) = fixture("mssql") else { return };
    let e = &f.e;
    let loads = || e.peer.as_ref().map(|p| p.bulk_loads());
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let t = e.table("arrow_bulk");
    let uuid = |i: u8| [i; 16];
    let fields = vec![
        arrow_schema::Field::new("id", DataType::Int64, false),
        arrow_schema::Field::new("s", DataType::Utf8, true),
        arrow_schema::Field::new("b", DataType::Binary, true),
        arrow_schema::Field::new("d", DataType::Decimal128(10, 2), true),
        arrow_schema::Field::new("dt", DataType::Date32, true),
        arrow_schema::Field::new("tm", DataType::Time64(TimeUnit::Microsecond), true),
        arrow_schema::Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        arrow_schema::Field::new("tz", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), true),
        arrow_schema::Field::new("u", DataType::FixedSizeBinary(16), true).with_metadata(
            [("ARROW:extension:name".to_owned(), "arrow.uuid".to_owned())].into(),
        ),
        arrow_schema::Field::new("f", DataType::Float64, true),
        arrow_schema::Field::new("bo", DataType::Boolean, true),
    ];
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let n = 300usize;
    let some = |i: usize| i % 7 != 3;
    let ts = micros(2024, 2, 29, 23, 59, 58, 123_456);
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(StringArray::from_iter((0..n).map(|i| some(i).then(|| format!("s{i} é 漢"))))),
            Arc::new(BinaryArray::from_iter((0..n).map(|i| some(i).then(|| vec![i as u8, 0, 255])))),
            Arc::new(
                Decimal128Array::from_iter((0..n).map(|i| some(i).then_some(i as i128 * 101 - 5000)))
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            Arc::new(Date32Array::from_iter((0..n).map(|i| some(i).then_some(date(2000, 1, 1) + i as i32)))),
            Arc::new(Time64MicrosecondArray::from_iter((0..n).map(|i| some(i).then_some(i as i64 * 1_000_001)))),
            Arc::new(TimestampMicrosecondArray::from_iter((0..n).map(|i| some(i).then_some(ts + i as i64)))),
            Arc::new(
                TimestampMicrosecondArray::from_iter((0..n).map(|i| some(i).then_some(ts - i as i64 * 1000)))
                    .with_timezone("UTC"),
            ),
            Arc::new(FixedSizeBinaryArray::try_from_sparse_iter_with_size((0..n).map(|i| some(i).then(|| uuid(i as u8))), 16).unwrap()),
            Arc::new(Float64Array::from_iter((0..n).map(|i| some(i).then_some(i as f64 / 3.0)))),
            Arc::new(BooleanArray::from_iter((0..n).map(|i| some(i).then_some(i % 2 == 0)))),
        ],
    )
    .unwrap();
    let want_rows = |b: &RecordBatch| -> Vec<Vec<Value>> {
        (0..b.num_rows()).map(|r| (0..b.num_columns()).map(|c| cell(b, c, r, &Value::Null)).collect()).collect()
    };
    let before = loads();
    let mut s = FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch.clone())], schema.clone())));
    assert_eq!(ingest(conn, &t.name, &mut s, Create), Ok(n as u64));
    if let Some(b) = before {
        assert_eq!(loads(), Some(b + 1), "one bulk load");
    }
    let (_, got) = read_all(import(query_arrow(conn, &format!("SELECT * FROM {t} ORDER BY id"))), &[]);
    let want = want_rows(&batch);
    assert_eq!(got.len(), n);
    for (r, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.iter().map(loose).collect::<Vec<_>>(), w.iter().map(loose).collect::<Vec<_>>(), "row {r}");
    }

    // Narrow columns take what fits them, exactly.
    let t2 = e.table("arrow_bulk2");
    e.db.exec(&format!("CREATE TABLE {t2} (a INT, s SMALLINT, tm TIME(3))"), &[]).unwrap();
    let narrow = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("a", DataType::Int64, true),
        arrow_schema::Field::new("s", DataType::Int64, true),
        arrow_schema::Field::new("tm", DataType::Time64(TimeUnit::Microsecond), true),
    ]));
    let stream = |a: Vec<Option<i64>>, sm: Vec<Option<i64>>, tm: Vec<Option<i64>>| {
        let b = RecordBatch::try_new(
            narrow.clone(),
            vec![
                Arc::new(Int64Array::from(a)),
                Arc::new(Int64Array::from(sm)),
                Arc::new(Time64MicrosecondArray::from(tm)),
            ],
        )
        .unwrap();
        FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(b)], narrow.clone())))
    };
    let mut s = stream(vec![Some(-2_147_483_648), None], vec![Some(32_767), Some(-1)], vec![Some(1_234_000), None]);
    assert_eq!(ingest(conn, &t2.name, &mut s, Append), Ok(2));
    let (_, got) = read_all(import(query_arrow(conn, &format!("SELECT a, s, tm FROM {t2} ORDER BY s"))), &[]);
    assert_eq!(
        got,
        vec![
            vec![Value::Null, Value::Int64(-1), Value::Null],
            vec![Value::Int64(-2_147_483_648), Value::Int64(32_767), Value::Time(1_234_000)],
        ]
    );
    for (a, sm, tm, says) in [
        (Some(2_147_483_648), Some(1), Some(0), "out of range"),
        (Some(1), Some(32_768), Some(0), "out of range"),
        (Some(1), Some(1), Some(1_000_001), "scale 3"),
    ] {
        let mut s = stream(vec![Some(5), a], vec![Some(5), sm], vec![Some(0), tm]);
        let (st, m) = ingest(conn, &t2.name, &mut s, Append).unwrap_err();
        assert_eq!(st, Status::InvalidData, "{m}");
        assert!(m.contains(says) && m.contains("row 1"), "{m}");
    }
    assert_eq!(common::int(&e.conn(), &format!("SELECT count(*) FROM {t2}"), &[]), 2, "nothing of a failed call stays");
    keel_conn_free(conn);
}

#[test]
fn mysql_ingest_uses_load_data_local() {
    use keel::core::ingest::IngestMode::{Append, Create};
    let Some(f) = fixture("mysql") else { return };
    let e = &f.e;
    let on = common::int(&e.conn(), "SELECT @@local_infile", &[]);
    if on != 1 {
        println!("skipped: the server has local_infile off (keel uses INSERTs there)");
        return;
    }
    let t = e.table("arrow_load");
    // On MariaDB, ingest goes by its bulk command unless told not to.
    let db = CDb::open(&f.url, "mariadb_bulk=off");
    let conn = db.checkout();
    let status = |name: &str| session_status(conn, name);
    let (load0, insert0) = (status("Com_load"), status("Com_insert"));
    let (mut s, want) = escapes_stream();
    assert_eq!(ingest(conn, &t.name, &mut s, Create), Ok(5));
    assert_eq!(status("Com_load"), load0 + 1, "LOAD DATA ran");
    assert_eq!(status("Com_insert"), insert0, "no INSERT ran");
    let c = e.conn();
    assert_eq!(rows(&c, &format!("SELECT id, s, b FROM {t} ORDER BY id"), &[]), want);
    // A duplicate key: a warning under LOCAL, an error from keel, and the
    // rows rolled back.
    e.db.exec(&format!("ALTER TABLE {t} ADD PRIMARY KEY (id)"), &[]).unwrap();
    let (st, m) = ingest(conn, &t.name, &mut id3_stream(4, 4), Append).unwrap_err();
    assert_eq!(st, Status::Integrity, "{m}");
    assert!(m.contains("Duplicate"), "{m}");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t}"), &[]), 5);
    keel_conn_free(conn);
}

/// MariaDB 10.2 and later: ingest sends the rows by COM_STMT_BULK_EXECUTE
/// (one command of up to 10,000 rows: Com_insert moves once per command;
/// Com_load does not), the values arrive intact, a duplicate key
/// is an error (not a warning) and rolls everything back, and so does a
/// value that does not fit outside strict mode (the server's warning).
#[test]
fn mariadb_ingest_uses_bulk_execute() {
    use keel::core::ingest::IngestMode::{Append, Create};
    let Some(f) = fixture("mysql") else { return };
    let e = &f.e;
    let c = e.conn();
    let version = match &rows(&c, "SELECT VERSION()", &[])[0][0] {
        Value::Text(v) => v.clone(),
        other => panic!("{other:?}"),
    };
    if !version.contains("MariaDB") {
        println!("skipped: {version} is not MariaDB (MySQL has no bulk command; LOAD DATA is tested above)");
        return;
    }
    let t = e.table("arrow_bulk");
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let status = |name: &str| session_status(conn, name);
    let (load0, insert0) = (status("Com_load"), status("Com_insert"));
    let (mut s, want) = escapes_stream();
    assert_eq!(ingest(conn, &t.name, &mut s, Create), Ok(5));
    assert_eq!(status("Com_load"), load0, "no LOAD DATA ran");
    assert_eq!(status("Com_insert"), insert0 + 1, "one bulk command");
    assert_eq!(rows(&c, &format!("SELECT id, s, b FROM {t} ORDER BY id"), &[]), want);
    // 25,000 rows in one record batch: three commands (10,000 rows a
    // command), every row there.
    let insert1 = status("Com_insert");
    assert_eq!(ingest(conn, &t.name, &mut id3_stream(100, 25_000), Append), Ok(25_000));
    assert_eq!(status("Com_insert"), insert1 + 3, "three bulk commands, not 25 multi-row INSERTs");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t} WHERE id >= 100 AND s = 'x'"), &[]), 25_000);
    assert_eq!(common::int(&c, &format!("SELECT sum(id) FROM {t} WHERE id >= 100"), &[]), (100..25_100).sum::<i64>());
    // A duplicate key (id 1, row 20,001) in the third command: an error,
    // and nothing of the call stays (the first two commands' rows are
    // rolled back).
    e.db.exec(&format!("ALTER TABLE {t} ADD PRIMARY KEY (id)"), &[]).unwrap();
    let (st, m) = ingest(conn, &t.name, &mut id3_stream(-20_000, 20_005), Append).unwrap_err();
    assert_eq!(st, Status::Integrity, "{m}");
    assert!(m.contains("Duplicate"), "{m}");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t}"), &[]), 25_005);
    // keel builds the next command while the server runs the one it sent.
    // A duplicate key (id 1) in the first of three commands: its answer,
    // read when the second is ready, is the error, naming its rows; the
    // second is never sent, and nothing stays.
    let insert2 = status("Com_insert");
    let (st, m) = ingest(conn, &t.name, &mut id3_stream(-4, 25_000), Append).unwrap_err();
    assert_eq!(st, Status::Integrity, "{m}");
    assert!(m.contains("Duplicate") && m.contains("rows 0 to 9999, sent as one bulk command"), "{m}");
    assert_eq!(status("Com_insert"), insert2 + 1, "the second command was not sent");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t}"), &[]), 25_005);
    // A stream failing in its second batch while the first command is
    // unanswered: the stream's error, after the command's answer was read
    // (the connection goes on working), and nothing stays.
    let mut reader = import(id3_stream(30_000, 15_000));
    let schema = reader.schema();
    let first = reader.next().unwrap().unwrap();
    let batches = vec![Ok(first), Err(arrow_schema::ArrowError::ComputeError("the producer ran dry".into()))];
    let mut failing = FFI_ArrowArrayStream::new(Box::new(arrow_array::RecordBatchIterator::new(batches, schema)));
    let (st, m) = ingest(conn, &t.name, &mut failing, Append).unwrap_err();
    assert_eq!(st, Status::InvalidData, "{m}");
    assert!(m.contains("after 15000 rows") && m.contains("the producer ran dry"), "{m}");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t}"), &[]), 25_005);
    assert_eq!(ingest(conn, &t.name, &mut id3_stream(30_000, 2), Append), Ok(2));
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t}"), &[]), 25_007);
    // Three rows of 13 MB: two pass half of max_allowed_packet (64 MiB
    // on the test server), so the third starts a second command.
    let t4 = e.table("arrow_bulk_large");
    e.db.exec(&format!("CREATE TABLE {t4} (id BIGINT, b LONGBLOB)"), &[]).unwrap();
    {
        use arrow_array::{BinaryArray, Int64Array};
        use std::sync::Arc;
        let big: Vec<Vec<u8>> = (0..3u8).map(|k| vec![b'a' + k; 13_000_000]).collect();
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("id", DataType::Int64, false),
            arrow_schema::Field::new("b", DataType::Binary, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 2, 3])),
                Arc::new(BinaryArray::from(big.iter().map(|v| v.as_slice()).collect::<Vec<_>>())),
            ],
        )
        .unwrap();
        let mut s = FFI_ArrowArrayStream::new(Box::new(arrow_array::RecordBatchIterator::new(vec![Ok(batch)], schema)));
        let before = status("Com_insert");
        assert_eq!(ingest(conn, &t4.name, &mut s, Append), Ok(3));
        assert_eq!(status("Com_insert"), before + 2, "two commands");
    }
    assert_eq!(
        rows(&c, &format!("SELECT id, length(b), left(b, 1), right(b, 1) FROM {t4} ORDER BY id"), &[]),
        (0..3u8)
            .map(|k| {
                let ch = ((b'a' + k) as char).to_string();
                vec![Value::Int64(k as i64 + 1), Value::Int64(13_000_000), Value::Bytes(ch.clone().into()), Value::Bytes(ch.into())]
            })
            .collect::<Vec<_>>()
    );
    // Values travel by their Arrow type: bytes into a text column, text
    // into a BLOB, a bool into an INT arrive as the server converts them.
    let t3 = e.table("arrow_bulk_cross");
    e.db.exec(&format!("CREATE TABLE {t3} (t TEXT, b BLOB, n INT)"), &[]).unwrap();
    {
        use arrow_array::{BinaryArray, BooleanArray, StringArray};
        use std::sync::Arc;
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("t", DataType::Binary, true),
            arrow_schema::Field::new("b", DataType::Utf8, true),
            arrow_schema::Field::new("n", DataType::Boolean, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(BinaryArray::from(vec![Some("héllo".as_bytes()), None])),
                Arc::new(StringArray::from(vec![Some("wörld"), None])),
                Arc::new(BooleanArray::from(vec![Some(true), Some(false)])),
            ],
        )
        .unwrap();
        let mut s = FFI_ArrowArrayStream::new(Box::new(arrow_array::RecordBatchIterator::new(vec![Ok(batch)], schema)));
        assert_eq!(ingest(conn, &t3.name, &mut s, Append), Ok(2));
    }
    assert_eq!(
        rows(&c, &format!("SELECT t, b, n FROM {t3} ORDER BY n DESC"), &[]),
        vec![
            vec![Value::Text("héllo".into()), Value::Bytes("wörld".as_bytes().to_vec()), Value::Int64(1)],
            vec![Value::Null, Value::Null, Value::Int64(0)],
        ]
    );
    // Outside strict mode the server would cut 300 characters to 8 with a
    // warning: keel refuses it.
    let t2 = e.table("arrow_bulk_narrow");
    e.db.exec(&format!("CREATE TABLE {t2} (id BIGINT, s VARCHAR(8), b BLOB)"), &[]).unwrap();
    let db2 = CDb::open(&f.url, "");
    let conn2 = db2.checkout();
    let (_, got) = read_all(import(query_arrow(conn2, "SET SESSION sql_mode = ''")), &[]);
    assert!(got.is_empty());
    let long = "y".repeat(300);
    use arrow_array::{BinaryArray, Int64Array, RecordBatchIterator, StringArray};
    use std::sync::Arc;
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", DataType::Int64, false),
        arrow_schema::Field::new("s", DataType::Utf8, true),
        arrow_schema::Field::new("b", DataType::Binary, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(StringArray::from(vec![Some("short"), Some(long.as_str())])),
            Arc::new(BinaryArray::from(vec![None::<&[u8]>, None])),
        ],
    )
    .unwrap();
    let mut s = FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema)));
    let (st, m) = ingest(conn2, &t2.name, &mut s, Append).unwrap_err();
    assert_eq!(st, Status::InvalidData, "{m}");
    assert!(m.contains("bulk INSERT") && m.contains("keel refuses"), "{m}");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t2}"), &[]), 0);
    keel_conn_free(conn2);
    keel_conn_free(conn);
}

/// MySQL (or MariaDB with mariadb_bulk=off) with local_infile off:
/// ingest falls back to multi-row INSERTs (Com_insert moves, Com_load does not) and the values arrive
/// the same. The server is the TLS tests' MariaDB (scripts/tls_servers.sh),
/// which runs with `--local-infile=0` for this test.
#[test]
fn mysql_ingest_without_local_infile_uses_inserts() {
    use keel::core::ingest::IngestMode::Create;
    let Some(url) = common::server_url("mysql-tls", "KEEL_TEST_MYSQL_TLS_URL") else { return };
    let plain = keel::Db::open(&url).unwrap();
    let c = plain.checkout().unwrap();
    assert_eq!(common::int(&c, "SELECT @@local_infile", &[]), 0, "scripts/tls_servers.sh starts it with --local-infile=0");
    let t = format!("arrow_no_infile_{}", std::process::id());
    c.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
    // mariadb_bulk=off: MariaDB's bulk command would not need local_infile.
    let db = CDb::open(&url, "mariadb_bulk=off");
    let conn = db.checkout();
    let status = |name: &str| session_status(conn, name);
    let (load0, insert0) = (status("Com_load"), status("Com_insert"));
    let mut s = id3_stream(1, 2500);
    assert_eq!(ingest(conn, &t, &mut s, Create), Ok(2500));
    assert_eq!(status("Com_load"), load0, "no LOAD DATA ran");
    let inserts = status("Com_insert") - insert0;
    // 1000 + 1000 + 499 rows, and the batch's last row alone (MySQL
    // reports the insert id of a statement's first row).
    assert!((3..=4).contains(&inserts), "multi-row INSERTs of up to 1000 rows, not one per row: {inserts}");
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t} WHERE s = 'x' AND b IS NULL"), &[]), 2500);
    assert_eq!(common::int(&c, &format!("SELECT sum(id) FROM {t}"), &[]), 2500 * 2501 / 2);
    keel_conn_free(conn);
    c.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}

/// Five (id, s, b) rows whose texts and bytes hold what LOAD DATA's text
/// format escapes (tabs, newlines, backslashes, `\N`, NUL) and non-ASCII
/// text, for the MySQL/MariaDB ingest paths; and the rows `SELECT id, s,
/// b ... ORDER BY id` gives back after them.
fn escapes_stream() -> (FFI_ArrowArrayStream, Vec<Vec<Value>>) {
    use arrow_array::{BinaryArray, Int64Array, RecordBatchIterator, StringArray};
    use std::sync::Arc;
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", DataType::Int64, false),
        arrow_schema::Field::new("s", DataType::Utf8, true),
        arrow_schema::Field::new("b", DataType::Binary, true),
    ]));
    let texts = vec![Some("tab\there"), Some("line\nbreak\r\n"), Some("back\\slash \\N"), None, Some("é ü 漢")];
    let bins: Vec<Option<&[u8]>> = vec![Some(b"\0\x01\t\n\\"), None, Some(b""), Some(b"\xff\xfe"), Some(b"N")];
    let want = (0..5)
        .map(|i| {
            let s = texts[i].map_or(Value::Null, |v| Value::Text(v.into()));
            let b = bins[i].map_or(Value::Null, |v| Value::Bytes(v.to_vec()));
            vec![Value::Int64(i as i64 + 1), s, b]
        })
        .collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])),
            Arc::new(StringArray::from(texts)),
            Arc::new(BinaryArray::from(bins)),
        ],
    )
    .unwrap();
    (FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema))), want)
}

/// A MySQL/MariaDB session status counter (`SHOW SESSION STATUS`) of the
/// connection.
fn session_status(conn: *mut keel_conn, name: &str) -> i64 {
    let (_, got) = read_all(import(query_arrow(conn, &format!("SHOW SESSION STATUS LIKE '{name}'"))), &[]);
    match &got[0][1] {
        Value::Text(v) => v.parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

/// (id, s, b) rows with ids from `from`.
fn id3_stream(from: i64, n: i64) -> FFI_ArrowArrayStream {
    use arrow_array::{BinaryArray, Int64Array, RecordBatchIterator, StringArray};
    use std::sync::Arc;
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", DataType::Int64, false),
        arrow_schema::Field::new("s", DataType::Utf8, true),
        arrow_schema::Field::new("b", DataType::Binary, true),
    ]));
    let ids: Vec<i64> = (from..from + n).collect();
    let s: Vec<Option<&str>> = ids.iter().map(|_| Some("x")).collect();
    let b: Vec<Option<&[u8]>> = ids.iter().map(|_| None).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(ids)), Arc::new(StringArray::from(s)), Arc::new(BinaryArray::from(b))],
    )
    .unwrap();
    FFI_ArrowArrayStream::new(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema)))
}

/// A cursor of a prepared statement, exported and then read after the
/// statement and the connection handles were freed.
fn check_export_statement_cursor_outlives_the_statement(f: &Fixture) {
    use keel::ffi::stmt::{keel_stmt_free, keel_stmt_query};
    // One row a batch: the export reads only the first.
    let db = CDb::open(&f.url, "arrow_batch_rows=1");
    let conn = db.checkout();
    let sql = CString::new("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3").unwrap();
    let mut st = null_mut();
    ok("keel_conn_prepare", |e| keel_conn_prepare(conn, sql.as_ptr(), &mut st, e));
    let mut rows = null_mut();
    ok("keel_stmt_query", |e| keel_stmt_query(st, &mut rows, e));
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_rows_export_arrow", |e| keel_rows_export_arrow(rows, &mut stream, e));
    keel_rows_free(rows);
    keel_stmt_free(st);
    keel_conn_free(conn);
    let (_, got) = read_all(import(stream), &[]);
    assert_eq!(got, (1..=3).map(|i| vec![Value::Int64(i)]).collect::<Vec<_>>(), "{}", f.e.name);
}

#[test]
fn export_statement_cursor_outlives_the_statement() {
    each(check_export_statement_cursor_outlives_the_statement);
}

/// Running the statement again closes the exported cursor: get_next fails.
#[test]
fn rerunning_the_statement_closes_the_exported_cursor() {
    use keel::ffi::stmt::{keel_stmt_free, keel_stmt_query};
    let db = CDb::open("sqlite::memory:", "arrow_batch_rows=1");
    let conn = db.checkout();
    let sql = CString::new("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3").unwrap();
    let mut st = null_mut();
    ok("keel_conn_prepare", |e| keel_conn_prepare(conn, sql.as_ptr(), &mut st, e));
    let mut rows = null_mut();
    ok("keel_stmt_query", |e| keel_stmt_query(st, &mut rows, e));
    let mut stream = FFI_ArrowArrayStream::empty();
    ok("keel_rows_export_arrow", |e| keel_rows_export_arrow(rows, &mut stream, e));
    keel_rows_free(rows);
    let mut reader = import(stream);
    assert_eq!(reader.next().unwrap().unwrap().num_rows(), 1);
    let mut again = null_mut();
    ok("keel_stmt_query", |e| keel_stmt_query(st, &mut again, e));
    let err = reader.next().unwrap().unwrap_err().to_string();
    assert!(err.contains("closed"), "{err}");
    drop(reader);
    keel_rows_free(again);
    keel_stmt_free(st);
    keel_conn_free(conn);
}

/// A field with no column type on the engine (uuid on MySQL/MariaDB) fails
/// every mode with NOT_IMPLEMENTED before anything runs: REPLACE does not
/// drop the table first (MySQL commits a DROP at once, so that would lose
/// it).
#[test]
fn ingest_without_a_column_type_changes_nothing() {
    use keel::core::ingest::IngestMode::{Create, CreateAppend, Replace};
    use std::sync::Arc;
    let Some(f) = fixture("mysql") else { return };
    let e = &f.e;
    let t = e.table("arrow_no_type");
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT)"), &[]).unwrap();
    e.db.exec(&format!("INSERT INTO {t} (id) VALUES (7)"), &[]).unwrap();
    let db = CDb::open(&f.url, "");
    let conn = db.checkout();
    let uuid_field = arrow_schema::Field::new("u", DataType::FixedSizeBinary(16), true).with_metadata(
        std::collections::HashMap::from([("ARROW:extension:name".to_owned(), "arrow.uuid".to_owned())]),
    );
    for mode in [Replace, Create, CreateAppend] {
        let schema = Arc::new(arrow_schema::Schema::new(vec![uuid_field.clone()]));
        let col = arrow_array::FixedSizeBinaryArray::try_from_iter(std::iter::once([1u8; 16])).unwrap();
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(col)]).unwrap();
        let mut s = FFI_ArrowArrayStream::new(Box::new(arrow_array::RecordBatchIterator::new(vec![Ok(batch)], schema)));
        let (st, m) = ingest(conn, &t.name, &mut s, mode).unwrap_err();
        assert_eq!(st, Status::NotImplemented, "{mode:?}: {m}");
        assert!(m.contains("uuid"), "{mode:?}: {m}");
        let c = e.conn();
        assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t} WHERE id = 7"), &[]), 1, "{mode:?}: the table is as it was");
    }
    keel_conn_free(conn);
}

/// A producer whose `get_schema` fails: the ingest fails with the
/// producer's own message (`get_last_error`), not only its error code,
/// and releases the stream.
#[test]
fn a_failing_producer_schema_is_reported_with_its_message() {
    use arrow_schema::ffi::FFI_ArrowSchema;
    use std::ffi::{c_char, c_int};
    unsafe extern "C" fn get_schema(_: *mut FFI_ArrowArrayStream, _: *mut FFI_ArrowSchema) -> c_int {
        5
    }
    unsafe extern "C" fn get_next(_: *mut FFI_ArrowArrayStream, _: *mut arrow_array::ffi::FFI_ArrowArray) -> c_int {
        5
    }
    unsafe extern "C" fn get_last_error(_: *mut FFI_ArrowArrayStream) -> *const c_char {
        c"the producer's schema is broken".as_ptr()
    }
    unsafe extern "C" fn release(s: *mut FFI_ArrowArrayStream) {
        // SAFETY: the stream the consumer releases, once.
        unsafe { (*s).release = None };
    }
    let db = CDb::open("sqlite::memory:", "");
    let conn = db.checkout();
    let mut s = FFI_ArrowArrayStream {
        get_schema: Some(get_schema),
        get_next: Some(get_next),
        get_last_error: Some(get_last_error),
        release: Some(release),
        private_data: null_mut(),
    };
    let (st, m) = ingest(conn, "never_made", &mut s, keel::core::ingest::IngestMode::Create).unwrap_err();
    assert_eq!(st, Status::InvalidData, "{m}");
    assert!(m.contains("the producer's schema is broken") && m.contains("error code 5"), "{m}");
    keel_conn_free(conn);
}

/// Ingest inside the caller's transaction, on every engine: the rows are
/// the transaction's until the caller ends it, whatever the mode. MySQL
/// and MariaDB commit the CREATE (and what the transaction held before)
/// at once; the rows used to go in outside any transaction there, so a
/// rollback kept them, and a failing load kept its earlier commands'
/// rows. Also: a MariaDB bulk command's error names the command's rows,
/// not the row whose turn sent it.
#[test]
fn ingest_in_the_callers_transaction() {
    use keel::core::ingest::IngestMode::*;
    each(|f| {
        let e = &f.e;
        let t = e.table("arrow_in_tx");
        let db = CDb::open(&f.url, "");
        let conn = db.checkout();
        for mode in [Create, Replace, CreateAppend] {
            if mode == CreateAppend {
                e.db.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
            }
            ok("begin", |er| keel_conn_begin(conn, null(), er));
            assert_eq!(ingest(conn, &t.name, &mut id_stream(0, 10), mode), Ok(10), "{} {mode:?}", e.name);
            assert!(keel_conn_in_transaction(conn), "{} {mode:?}: the rows' transaction is the caller's to end", e.name);
            ok("rollback", |er| keel_conn_rollback(conn, er));
            // PostgreSQL and SQLite roll the table back too.
            let left = match e.db.query(&format!("SELECT count(*) FROM {t}"), &[]) {
                Err(er) if er.status == Status::NotFound => 0,
                Err(er) => panic!("{er}"),
                Ok(mut r) => {
                    assert!(r.next().unwrap());
                    r.value(0).unwrap().as_i64().unwrap()
                }
            };
            assert_eq!(left, 0, "{} {mode:?}: rolled back", e.name);
        }
        if e.name == "mysql" {
            // Two bulk commands (or LOAD DATA); the duplicate is in the second.
            e.db.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
            e.db.exec(&format!("CREATE TABLE {t} (id BIGINT PRIMARY KEY, name VARCHAR(20))"), &[]).unwrap();
            e.db.exec(&format!("INSERT INTO {t} VALUES (15000, 'x')"), &[]).unwrap();
            let (s, m) = ingest(conn, &t.name, &mut id_stream(0, 20000), Append).unwrap_err();
            assert_eq!(s, Status::Integrity, "{m}");
            if m.contains("bulk command") {
                assert!(m.contains("rows 10000 to 19999, sent as one bulk command"), "{m}");
            }
            assert_eq!(common::int(&e.conn(), &format!("SELECT count(*) FROM {t}"), &[]), 1, "rolled back: {m}");
        }
        keel_conn_free(conn);
    });
}
