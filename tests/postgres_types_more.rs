//! PostgreSQL types keel has no value type for, big values in Arrow
//! batches, and times Arrow cannot hold, against the real server.
//!
//! keel.h promises that PostgreSQL types without a keel value type read as
//! the server's own text for them: these tests hold keel's text, in rows
//! and in Arrow, to the text of the type's output function (`format('%s',
//! v)`; `v::text` differs for inet, whose cast to text always adds the
//! mask); an array's Arrow list holds its elements as the server writes
//! them. Types whose text keel cannot know (money follows lc_monetary,
//! reg* types name catalog rows) read as the integer the server sends,
//! and anonymous records as the server's binary form.
//! An Arrow batch ends once its text and bytes pass 16 MiB, however many
//! rows a run of the PostgreSQL cursor holds; a time of 24:00:00, which
//! Arrow's time64 cannot hold, is an error naming its row and column.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use keel::ffi::arrow::keel_conn_query_arrow;
use keel::ffi::conn::keel_conn_free;
use keel::ffi::db::{keel_db, keel_db_checkout, keel_db_free, keel_db_open};
use keel::ffi::error::{keel_error, keel_error_free, keel_error_message};
use keel::{Conn, Db, Status, Type, Value};
use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

fn url() -> Option<String> {
    common::server_url("postgres", "KEEL_TEST_POSTGRES_URL")
}

fn conn(url: &str) -> Conn {
    Db::open(url).unwrap().checkout().unwrap()
}

fn message(e: *mut keel_error) -> String {
    let m = unsafe { CStr::from_ptr(keel_error_message(e)) }.to_string_lossy().into_owned();
    keel_error_free(e);
    m
}

/// A C pool, for `keel_conn_query_arrow`.
struct CDb(*mut keel_db);

impl CDb {
    fn open(url: &str, options: &str) -> CDb {
        let sep = if url.contains('?') { '&' } else { '?' };
        let u = CString::new(if options.is_empty() { url.to_owned() } else { format!("{url}{sep}{options}") }).unwrap();
        let (mut db, mut e) = (null_mut(), null_mut());
        let s = keel_db_open(u.as_ptr(), &mut db, &mut e);
        assert_eq!(s, Status::Ok, "keel_db_open: {}", if s == Status::Ok { String::new() } else { message(e) });
        CDb(db)
    }

    /// The batches of `sql`'s Arrow stream, or the stream's error with the
    /// batches before it.
    fn arrow(&self, sql: &str) -> (Vec<RecordBatch>, Option<String>) {
        let (mut c, mut e) = (null_mut(), null_mut());
        assert_eq!(keel_db_checkout(self.0, &mut c, &mut e), Status::Ok);
        let q = CString::new(sql).unwrap();
        let mut stream = FFI_ArrowArrayStream::empty();
        let s = keel_conn_query_arrow(c, q.as_ptr(), null(), 0, &mut stream, &mut e);
        if s != Status::Ok {
            keel_conn_free(c);
            return (Vec::new(), Some(message(e)));
        }
        let reader = ArrowArrayStreamReader::try_new(stream).unwrap();
        let mut batches = Vec::new();
        let mut err = None;
        for b in reader {
            match b {
                Ok(b) => batches.push(b),
                Err(e) => {
                    err = Some(e.to_string());
                    break;
                }
            }
        }
        keel_conn_free(c);
        (batches, err)
    }
}

impl Drop for CDb {
    fn drop(&mut self) {
        keel_db_free(self.0);
    }
}

/// Values of types keel reads as the server's text, each with the edge
/// cases of its output function: IPv6 `::` runs, IPv4 inside IPv6, masks;
/// float digits and exponents in geometric types; quotes and backslashes
/// in lexemes; every tsquery operator and where it needs parentheses;
/// bounds and quoting of ranges; composite quoting; array delimiters and
/// lower bounds.
const TEXT_TYPES: &[&str] = &[
    "'1.2.3.4'::inet",
    "'1.2.3.4/24'::inet",
    "'0.0.0.0/0'::inet",
    "'10.0.0.0/8'::cidr",
    "'1.2.3.4'::cidr",
    "'::'::inet",
    "'::1'::inet",
    "'::2'::inet",
    "'::ffff:1.2.3.4'::inet",
    "'::1.2.3.4'::inet",
    "'1:0:0:1:0:0:0:1'::inet",
    "'1:0:0:1:0:0:1:1'::inet",
    "'1:0:1:0:1:0:1:0'::inet",
    "'fe80::1:2:3:4/64'::inet",
    "'2001:db8::/32'::cidr",
    "'1:2::'::cidr",
    "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'::inet",
    "'08:00:2b:01:02:03'::macaddr",
    "'08:00:2b:01:02:03:04:05'::macaddr8",
    "B'101'::bit(3)",
    "B''::varbit",
    "B'1010101010101'::varbit",
    "'<a x=\"1\">t &amp; u</a>'::xml",
    "'<?xml version=\"1.0\" standalone=\"yes\"?><r/>'::xml",
    "point(1.5, -2)",
    "point(0.1, 1e20)",
    "point(-0.0, 'NaN')",
    "point(1e-5, 'Infinity')",
    "'{1,-1,0.5}'::line",
    "'[(1,2),(3,4)]'::lseg",
    "box(point(3, 4), point(1, 2))",
    "'[(1,2),(3,4),(5,6.25)]'::path",
    "'((1,2),(3,4))'::path",
    "'((0,0),(1,1),(1,0))'::polygon",
    "'<(1,2),3.5>'::circle",
    "'a fat:2A cat:1B,3C,4 sat it''s back\\slash'::tsvector",
    "''::tsvector",
    "to_tsvector('simple', 'The quick brown fox')",
    "'''a'' & !b <-> c:*B | d:AD'::tsquery",
    "'(a | b) & c'::tsquery",
    "'!(a & b)'::tsquery",
    "'!!a'::tsquery",
    "'a <2> (b <-> c)'::tsquery",
    "'(a <-> b) <-> c'::tsquery",
    "'a & (b | c) & !(d | e)'::tsquery",
    "'it''s & back\\\\slash'::tsquery",
    "'16/B374D848'::pg_lsn",
    "'0/0'::pg_lsn",
    "'(4294967295,65535)'::tid",
    "'4294967295'::xid",
    "'7'::cid",
    "'18446744073709551615'::xid8",
    "'10:20:10,14,15'::txid_snapshot",
    "'10:20:'::pg_snapshot",
    "'$.a[*] ? (@ > 2)'::jsonpath",
    "'strict $.\"key\"'::jsonpath",
    "int4range(1, 10)",
    "int4range(NULL, 5, '(]')",
    "'empty'::int4range",
    "numrange(1.5, NULL)",
    "'[\"2020-01-01 00:00:00\",\"2020-01-02 12:00:00.5\")'::tsrange",
    "daterange('2020-01-01', 'infinity')",
    "'{[1,3), [5,7)}'::int4multirange",
    "'{}'::int4multirange",
    "ROW(1, 'a b', NULL, '', 'q\"x', 'back\\slash', 1.5::float8, true)::keel_more_comp",
    "ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::keel_more_comp",
    "ARRAY['1.2.3.4'::inet, NULL, '::1/64']",
    "ARRAY[box(point(1, 1), point(0, 0)), box(point(3, 3), point(2, 2))]",
    "ARRAY['a b'::tsvector]",
    "ARRAY[int4range(1, 3), 'empty']",
    "ARRAY[ROW(1, 'x', NULL, NULL, NULL, NULL, NULL, NULL)::keel_more_comp]",
    "'[0:2]={1,2,3}'::int4[]",
    "'[2:3][-1:0]={{1,2},{3,4}}'::int4[]",
    "'1 2 -3'::int2vector",
    "'1 2 3'::oidvector",
    "'x'::refcursor",
];

/// keel's text for each of `literals`, in rows and in Arrow, against the
/// output function's; every difference, named.
fn compare_with_server(url: &str, literals: &[&str]) -> Vec<String> {
    let c = conn(url);
    let db = CDb::open(url, "");
    let mut wrong = Vec::new();
    for lit in literals {
        let sql = format!("SELECT {lit} AS v, format('%s', {lit}) AS s");
        let mut rows = match c.query(&sql, &[]) {
            Ok(r) => r,
            Err(e) => {
                wrong.push(format!("{lit}: {e}"));
                continue;
            }
        };
        let kind = rows.column(0).unwrap().kind;
        assert!(rows.next().unwrap(), "{lit}");
        let ours = rows.value(0).unwrap().to_owned();
        let server = rows.value(1).unwrap().to_owned();
        drop(rows);
        if kind != Type::Text || ours != server {
            wrong.push(format!("{lit}: keel reads {kind:?} {ours:?}, the server writes {server:?}"));
            continue;
        }
        let (batches, err) = db.arrow(&sql);
        match err {
            // keel.h: an array of more dimensions fails in Arrow.
            Some(e) if e.contains("dimensions does not fit an Arrow list") => continue,
            Some(e) => {
                wrong.push(format!("{lit}: Arrow: {e}"));
                continue;
            }
            None => {}
        }
        let col = batches[0].column(0);
        match col.data_type() {
            DataType::Utf8 => {
                let got = col.as_string::<i32>().value(0).to_owned();
                if Value::Text(got.clone()) != server {
                    wrong.push(format!("{lit}: Arrow has {got:?}, the server writes {server:?}"));
                }
            }
            // An array: a list of its elements, each as the server writes it.
            DataType::List(_) => {
                let items = col.as_list::<i32>().value(0);
                let got: Vec<Option<String>> = (0..items.len())
                    .map(|k| {
                        items.is_valid(k).then(|| match items.data_type() {
                            DataType::Utf8 => items.as_string::<i32>().value(k).to_owned(),
                            DataType::Int64 => items.as_primitive::<Int64Type>().value(k).to_string(),
                            t => format!("an element of Arrow type {t}"),
                        })
                    })
                    .collect();
                let want: Vec<Option<String>> = common::rows(
                    &c,
                    &format!("SELECT CASE WHEN x IS NULL THEN NULL ELSE format('%s', x) END FROM unnest({lit}) AS x"),
                    &[],
                )
                .into_iter()
                .map(|r| match &r[0] {
                    Value::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
                if got != want {
                    wrong.push(format!("{lit}: the Arrow list holds {got:?}, the server's elements are {want:?}"));
                }
            }
            t => wrong.push(format!("{lit}: Arrow type {t}")),
        }
    }
    wrong
}

/// The composite type the literals use, made once per test run (tests run
/// at once: a concurrent CREATE may lose the race, which is fine).
fn make_types(c: &Conn) {
    let made = c.exec(
        "DO $$ BEGIN CREATE TYPE keel_more_comp AS (i int, t text, n numeric, e text, q text, b text, f float8, ok bool); \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        &[],
    );
    made.unwrap();
}

#[test]
fn other_types_read_as_the_servers_text() {
    let Some(url) = url() else { return };
    make_types(&conn(&url));
    let wrong = compare_with_server(&url, TEXT_TYPES);
    assert!(wrong.is_empty(), "keel's text differs from the server's:\n{}", wrong.join("\n"));
}

/// hstore, an extension type found by name, when the server has it.
#[test]
fn hstore_reads_as_the_servers_text() {
    let Some(url) = url() else { return };
    let c = conn(&url);
    let made = c.exec(
        "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS hstore; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        &[],
    );
    if let Err(e) = made {
        println!("skipped: hstore is not available: {e}");
        return;
    }
    let wrong = compare_with_server(
        &url,
        &["'a=>1, b=>NULL, \"q\\\"x\"=>\"back\\\\slash\", \"\"=>\"\"'::hstore", "''::hstore", "ARRAY['k=>v'::hstore, NULL]"],
    );
    assert!(wrong.is_empty(), "keel's text differs from the server's:\n{}", wrong.join("\n"));
}

/// money's text follows lc_monetary, and a reg* type's is a catalog
/// row's name: keel cannot write them, so they read as the integer the
/// server sends (money in the currency's smallest unit, reg* the oid),
/// in rows and in Arrow alike. An anonymous record, whose fields' types
/// keel does not know, and arrays of such types read as the server's
/// binary form, as bytes.
#[test]
fn types_keel_cannot_write_as_text() {
    let Some(url) = url() else { return };
    let c = conn(&url);
    let db = CDb::open(&url, "");
    // The smallest unit follows lc_monetary too (cents, or yen): the
    // server's money::numeric has as many decimals as the unit.
    let sql = "SELECT '12.34'::money AS m, '-0.01'::money AS neg, 'pg_class'::regclass AS rc, \
               'int4'::regtype AS rt, 'pg_class'::regclass::oid::int8 AS rc_oid, ROW(1, 'a') AS rec, \
               ARRAY['1.00'::money] AS ms, \
               ('12.34'::money::numeric * 10 ^ scale('12.34'::money::numeric))::int8 AS m_units, \
               ('-0.01'::money::numeric * 10 ^ scale('-0.01'::money::numeric))::int8 AS neg_units";
    let mut rows = c.query(sql, &[]).unwrap();
    let kinds: Vec<Type> = (0..7).map(|i| rows.column(i).unwrap().kind).collect();
    assert_eq!(kinds, [Type::Int64, Type::Int64, Type::Int64, Type::Int64, Type::Int64, Type::Bytes, Type::Bytes]);
    assert!(rows.next().unwrap());
    let got: Vec<Value> = (0..9).map(|i| rows.value(i).unwrap().to_owned()).collect();
    assert_eq!(got[..2], got[7..9], "money reads in its smallest unit");
    assert_ne!(got[0], Value::Int64(0));
    assert_eq!(got[2], got[4], "a regclass reads as its oid");
    assert_eq!(got[3], Value::Int64(23), "int4's oid");
    drop(rows);
    let (batches, err) = db.arrow(sql);
    assert_eq!(err, None);
    let b = &batches[0];
    let types: Vec<&DataType> = (0..7).map(|i| b.column(i).data_type()).collect();
    assert_eq!(types, [&DataType::Int64, &DataType::Int64, &DataType::Int64, &DataType::Int64, &DataType::Int64, &DataType::Binary, &DataType::Binary]);
    assert_eq!(Value::Int64(b.column(0).as_primitive::<Int64Type>().value(0)), got[7]);
    assert_eq!(b.column(2).as_primitive::<Int64Type>().value(0), b.column(4).as_primitive::<Int64Type>().value(0));
}

/// The text and bytes of a batch's utf8 and binary columns.
fn data_bytes(b: &RecordBatch) -> usize {
    b.columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Utf8 => c.as_string::<i32>().values().len(),
            DataType::Binary => c.as_binary::<i32>().values().len(),
            _ => 0,
        })
        .sum()
}

const MIB: usize = 1 << 20;

/// keel.h: "a batch also ends once its text and bytes pass 16 MiB". A
/// PostgreSQL cursor hands the Arrow reader runs of up to 2048 rows; a run
/// of big values ends at 16 MiB too, so forty 1 MiB values come in
/// batches of 16, 16 and 8.
#[test]
fn arrow_batches_end_at_16_mib() {
    let Some(url) = url() else { return };
    let db = CDb::open(&url, "");
    let (batches, err) = db.arrow("SELECT repeat('x', 1048576) AS t FROM generate_series(1, 40)");
    assert_eq!(err, None);
    let sizes: Vec<usize> = batches.iter().map(|b| b.num_rows()).collect();
    assert_eq!(sizes, [16, 16, 8]);
    for b in &batches {
        assert!(data_bytes(b) <= 16 * MIB, "{} bytes", data_bytes(b));
    }
    // Bytes count as text does; small rows still fill whole batches.
    let (batches, err) = db.arrow(
        "SELECT x, CASE WHEN x % 2 = 0 THEN decode(repeat('ab', 400000), 'hex') END AS b FROM generate_series(1, 100) AS x",
    );
    assert_eq!(err, None);
    assert!(batches.len() > 1 && batches.iter().all(|b| data_bytes(b) < 16 * MIB + 400_000), "{} batches", batches.len());
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 100);
    let (batches, _) = db.arrow("SELECT x FROM generate_series(1, 100000) AS x");
    assert_eq!(batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(), [65536, 34464]);
}

/// 2000 values of 1.1 MB (2.2 GB in all) stream through in batches of at
/// most about 16 MiB: no batch comes near the 2 GiB its utf8 offsets can
/// address.
#[test]
fn a_result_past_2_gib_streams_in_batches() {
    let Some(url) = url() else { return };
    let db = CDb::open(&url, "");
    let (mut rows, mut most) = (0, 0);
    let (mut c, mut e) = (null_mut(), null_mut());
    assert_eq!(keel_db_checkout(db.0, &mut c, &mut e), Status::Ok);
    let q = CString::new("SELECT repeat('x', 1100000) AS t FROM generate_series(1, 2000)").unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    let s = keel_conn_query_arrow(c, q.as_ptr(), null(), 0, &mut stream, &mut e);
    assert_eq!(s, Status::Ok);
    for b in ArrowArrayStreamReader::try_new(stream).unwrap() {
        let b = b.unwrap();
        rows += b.num_rows();
        most = most.max(data_bytes(&b));
    }
    keel_conn_free(c);
    assert_eq!(rows, 2000);
    assert!(most <= 16 * MIB + 1_100_000, "a batch of {most} bytes");
}

/// PostgreSQL's time goes up to 24:00:00; Arrow's time64 stops below it.
/// Read into Arrow, such a value (alone or in an array) fails naming its
/// row and column, as other values that do not fit do.
#[test]
fn arrow_refuses_a_time_of_24_00() {
    let Some(url) = url() else { return };
    let db = CDb::open(&url, "arrow_batch_rows=4");
    let (batches, err) = db.arrow(
        "SELECT x, CASE WHEN x = 5 THEN TIME '24:00:00' ELSE TIME '23:59:59.999999' END AS t FROM generate_series(0, 9) AS x",
    );
    let err = err.expect("24:00:00 is refused");
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
    assert!(err.contains("row 5, column 1 (\"t\")") && err.contains("24:00:00"), "{err}");
    let (_, err) = db.arrow("SELECT x, ARRAY[TIME '01:00', TIME '24:00:00'] AS ts FROM generate_series(0, 2) AS x");
    let err = err.expect("24:00:00 in an array is refused");
    assert!(err.contains("row 0, column 1 (\"ts\")") && err.contains("24:00:00"), "{err}");
    // Read row by row (an array column makes the result go so): the
    // same refusal, from the Arrow reader itself.
    let (_, err) = db.arrow("SELECT x, CASE WHEN x = 2 THEN TIME '24:00:00' ELSE TIME '00:00' END AS t, ARRAY[x] AS a FROM generate_series(0, 3) AS x");
    let err = err.expect("24:00:00 read row by row is refused");
    assert!(err.contains("row 2, column 1 (\"t\")") && err.contains("24:00:00"), "{err}");
    // Still fine as text, where PostgreSQL writes it.
    let (batches, err) = db.arrow("SELECT TIME '24:00:00'::text AS t");
    assert_eq!(err, None);
    assert_eq!(batches[0].column(0).as_string::<i32>().value(0), "24:00:00");
}

/// PostgreSQL's infinity and -infinity are no date or timestamp keel has:
/// they read as the server's text for them (not as their wire bytes), a
/// typed reader refuses them, and Arrow refuses them naming what they are.
#[test]
fn infinite_dates_and_timestamps_read_as_their_text() {
    let Some(url) = url() else { return };
    let c = conn(&url);
    let mut rows = c
        .query("SELECT 'infinity'::date, '-infinity'::timestamp, 'infinity'::timestamptz, '2024-01-02'::date", &[])
        .unwrap();
    assert!(rows.next().unwrap());
    let got: Vec<Value> = (0..4).map(|i| rows.value(i).unwrap().to_owned()).collect();
    assert_eq!(
        got,
        vec![
            Value::Text("infinity".into()),
            Value::Text("-infinity".into()),
            Value::Text("infinity".into()),
            Value::Date(keel::core::value::days_from_civil(2024, 1, 2) as i32),
        ]
    );
    assert_eq!(rows.columns()[0].kind, Type::Date);
    let e = rows.value(0).unwrap().as_date().unwrap_err();
    assert_eq!(e.status, Status::InvalidData, "{e}");
    drop(rows);
    let db = CDb::open(&url, "");
    let (_, err) = db.arrow("SELECT 'infinity'::timestamp AS t");
    let err = err.expect("infinity is refused in Arrow");
    assert!(err.contains("row 0, column 0 (\"t\")") && err.contains("infinity"), "{err}");
}

/// A double bound to a `real` (float4) column that float4 cannot hold
/// fails as the server's own cast does (22003, overflow or underflow),
/// on the extended protocol and in binary COPY alike (a batch of a plain
/// INSERT goes by COPY); it used to be stored as ±Infinity or 0. Values
/// float4 holds (rounded, as the server rounds), NaN and the infinities
/// go in as before.
#[test]
fn doubles_past_float4_are_refused() {
    let Some(url) = url() else { return };
    let c = conn(&url);
    let t = format!("keel_f4_{}", std::process::id());
    c.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
    c.exec(&format!("CREATE TABLE {t} (r real)"), &[]).unwrap();
    let ins = format!("INSERT INTO {t} (r) VALUES (?)");
    for bad in [1e300, -1e300, 1e-300, -1e-46, 3.5e38] {
        let e = c.exec(&ins, &[Value::Double(bad).as_ref()]).expect_err(&format!("{bad}"));
        assert_eq!(e.sqlstate, "22003", "{bad}: {e}");
        assert!(e.message.contains("does not fit PostgreSQL type float4"), "{e}");
        let mut st = c.prepare(&ins).unwrap();
        let rows = [[keel::ValueRef::Double(1.5)], [keel::ValueRef::Double(bad)]];
        let e = st.execute_batch(rows.iter()).expect_err(&format!("batch {bad}"));
        assert_eq!(e.sqlstate, "22003", "batch {bad}: {e}");
    }
    c.exec(&format!("DELETE FROM {t}"), &[]).unwrap();
    for good in [3.4e38, 1.2e-38, 1e-45, f64::INFINITY, f64::NAN, 0.1] {
        c.exec(&ins, &[Value::Double(good).as_ref()]).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    assert_eq!(common::int(&c, &format!("SELECT count(*) FROM {t} WHERE r = 'Infinity' OR r = 'NaN'"), &[]), 2);
    c.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}

/// PostgreSQL keeps the parameter types it inferred when a statement was
/// prepared, and takes a changed column's values through them without a
/// word: after `ALTER ... TYPE numeric` a cached `INSERT` still sent its
/// decimal through float8, rounded. Schema changes on the connection
/// empty its statement cache, so the same SQL is prepared anew.
#[test]
fn a_cached_insert_follows_a_column_type_change() {
    let Some(url) = url() else { return };
    let c = conn(&url);
    let t = format!("keel_ddl_cache_{}", std::process::id());
    c.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
    c.exec(&format!("CREATE TABLE {t} (x double precision)"), &[]).unwrap();
    let ins = format!("INSERT INTO {t} (x) VALUES (?)");
    let big = "123456789012345678901234567890.123456789";
    c.exec(&ins, &[keel::ValueRef::Decimal("1.5")]).unwrap();
    c.exec(&format!("ALTER TABLE {t} ALTER COLUMN x TYPE numeric"), &[]).unwrap();
    c.exec(&ins, &[keel::ValueRef::Decimal(big)]).unwrap();
    let mut r = c.query(&format!("SELECT x::text FROM {t} WHERE x > 2"), &[]).unwrap();
    assert!(r.next().unwrap());
    let mut got = String::new();
    r.value(0).unwrap().write_text(&mut got).unwrap();
    assert_eq!(got, big);
    drop(r);
    // The same after a migration that starts with a comment (the cache
    // once looked at the first word only, and kept the INSERT prepared
    // for a double precision column).
    for alter in [
        format!("/* migration 7 */ ALTER TABLE {t} ALTER COLUMN x TYPE numeric"),
        format!("-- migration 8\n  ALTER TABLE {t} ALTER COLUMN x TYPE numeric"),
    ] {
        c.exec(&format!("DELETE FROM {t}"), &[]).unwrap();
        c.exec(&format!("ALTER TABLE {t} ALTER COLUMN x TYPE double precision"), &[]).unwrap();
        c.exec(&ins, &[keel::ValueRef::Decimal("1.5")]).unwrap();
        c.exec(&alter, &[]).unwrap();
        c.exec(&ins, &[keel::ValueRef::Decimal(big)]).unwrap();
        let mut r = c.query(&format!("SELECT x::text FROM {t} WHERE x > 2"), &[]).unwrap();
        assert!(r.next().unwrap());
        let mut got = String::new();
        r.value(0).unwrap().write_text(&mut got).unwrap();
        assert_eq!(got, big, "after {alter:?}");
    }
    c.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}

/// Named prepared statements carry the process's id (and a random number
/// drawn once per process) in their names, not s0, s1, ... as every
/// process had: behind a pooler in transaction mode, where clients share
/// server connections, one client's statement can then never be bound to
/// another's of the same name (an outside probe saw an UPDATE run as
/// another process's DELETE).
#[test]
fn prepared_statement_names_are_the_process_s_own() {
    let Some(url) = url() else { return };
    let c = conn(&url);
    c.exec("SELECT 1 + ?", &[keel::ValueRef::Int64(1)]).unwrap();
    let mut r = c.query("SELECT name FROM pg_prepared_statements ORDER BY prepare_time", &[]).unwrap();
    let mut names = Vec::new();
    while r.next().unwrap() {
        let mut n = String::new();
        r.value(0).unwrap().write_text(&mut n).unwrap();
        names.push(n);
    }
    let prefix = format!("s{:x}_", std::process::id());
    assert!(!names.is_empty());
    for n in &names {
        assert!(n.starts_with(&prefix) && n.len() > prefix.len() + 2, "{n:?} is not this process's own name ({prefix}...)");
    }
}

/// Rows of 1, 16, 17 and 40 columns, with NULLs among them, read value by
/// value: every value where its column is, NULLs as NULL.
#[test]
fn rows_of_many_columns_read_every_value() {
    let Some(url) = url() else { return };
    let c = conn(&url);
    for width in [1usize, 16, 17, 40] {
        // Column k: NULL when k % 5 == 3, else the text 'v<k>' (odd k) or
        // the integer k * 1000 (even k).
        let cols: Vec<String> = (0..width)
            .map(|k| match (k % 5, k % 2) {
                (3, _) => "NULL::text".to_owned(),
                (_, 1) => format!("'v{k}'"),
                _ => format!("({k} * 1000)::bigint"),
            })
            .collect();
        let sql = format!("SELECT {} FROM generate_series(1, 3)", cols.join(", "));
        let mut r = c.query(&sql, &[]).unwrap();
        let mut rows = 0;
        while r.next().unwrap() {
            rows += 1;
            for k in 0..width {
                let v = r.value(k).unwrap();
                match (k % 5, k % 2) {
                    (3, _) => assert!(matches!(v, keel::ValueRef::Null), "width {width}, column {k}: {v:?}"),
                    (_, 1) => assert_eq!(v, keel::ValueRef::Text(&format!("v{k}")), "width {width}, column {k}"),
                    _ => assert_eq!(v, keel::ValueRef::Int64(k as i64 * 1000), "width {width}, column {k}"),
                }
            }
        }
        assert_eq!(rows, 3, "width {width}");
    }
}
