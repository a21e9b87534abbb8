//! PostgreSQL one-dimensional arrays, against the real server.
//!
//! keel has no array value type: an array column reads as text in
//! PostgreSQL's own array syntax (`{1,NULL,3}`), decoded from the binary
//! wire format, and an array parameter is bound as that text, which the
//! server parses and checks exactly as for libpq. These tests hold keel's
//! text to the server's own `array::text` for every element type keel
//! reads, and bind arrays back.

mod common;

use keel::{Conn, Db, Status, Type, Value, ValueRef};

fn conn() -> Option<Conn> {
    let u = common::server_url("postgres", "KEEL_TEST_POSTGRES_URL")?;
    Some(Db::open(&u).unwrap().checkout().unwrap())
}

fn row(conn: &Conn, sql: &str, params: &[ValueRef<'_>]) -> Vec<Value> {
    let mut rows = conn.query(sql, params).unwrap();
    assert!(rows.next().unwrap(), "{sql}: no row");
    let n = rows.column_count();
    (0..n).map(|i| rows.value(i).unwrap().to_owned()).collect()
}

/// One array literal per element type keel reads, with NULLs, empty
/// strings, quotes, backslashes, commas, braces, spaces and non-BMP text
/// where the type holds text.
const ARRAYS: &[(&str, &str)] = &[
    ("bool", "ARRAY[true, false, NULL]"),
    ("int2", "ARRAY[-32768, 0, NULL, 32767]::int2[]"),
    ("int4", "ARRAY[-2147483648, NULL, 2147483647]::int4[]"),
    ("int8", "ARRAY[-9223372036854775808, 9223372036854775807, NULL]::int8[]"),
    ("float4", "ARRAY[1.5, -0.25, 'NaN', 'Infinity', '-Infinity', NULL]::float4[]"),
    ("float8", "ARRAY[0.1, 1e300, -2.5e-300, 'NaN', NULL]::float8[]"),
    ("numeric", "ARRAY[12345678901234567890.123456789012345678, -0.5, 'NaN', NULL]::numeric[]"),
    ("text", "ARRAY['plain', '', NULL, 'NULL', 'a b', 'q\"x', 'back\\slash', 'c,d', '{b}', 'ü😀']::text[]"),
    ("varchar", "ARRAY['x', 'two words', NULL]::varchar[]"),
    ("bytea", "ARRAY['\\x00ff10'::bytea, ''::bytea, NULL]"),
    ("date", "ARRAY['2024-02-29', '1900-01-01', 'infinity', NULL]::date[]"),
    ("time", "ARRAY['00:00:00', '23:59:59.999999', NULL]::time[]"),
    ("timestamp", "ARRAY['1969-07-20 20:17:40.5', '2038-01-19 03:14:08', NULL]::timestamp[]"),
    ("timestamptz", "ARRAY['1969-07-20 20:17:40.5+00', '2024-03-10 12:34:56+05:30', NULL]::timestamptz[]"),
    ("interval", "ARRAY['1 year 2 mons 3 days 04:05:06.7', '-1 day', NULL]::interval[]"),
    ("uuid", "ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL]"),
    ("json", "ARRAY['{\"a\": [1, 2]}', 'null', NULL]::json[]"),
    ("jsonb", "ARRAY['{\"a\": [1, 2]}', '\"s\"', NULL]::jsonb[]"),
    ("float4 exponents", "ARRAY[1e-5, 123456, 1234567, 0.0001, -3.4e38]::float4[]"),
    ("float8 exponents", "ARRAY[1e-5, 0.0001, 123456789012345, 1e15, 5e-324]::float8[]"),
    ("timetz", "ARRAY['12:34:56.5+05:30', '00:00:00-08', '23:59:59+00', NULL]::timetz[]"),
    ("interval signs", "ARRAY['1 day', '-1 days', '2 years -1 mons', '-00:00:00.000001']::interval[]"),
    ("empty", "'{}'::int4[]"),
];

#[test]
fn arrays_read_as_the_servers_own_text() {
    let Some(c) = conn() else { return };
    // The server's text form of timestamptz follows the session time zone;
    // keel's follows UTC, so compare in UTC.
    c.exec("SET TIME ZONE 'UTC'", &[]).unwrap();
    let mut wrong = Vec::new();
    for (name, literal) in ARRAYS {
        let sql = format!("SELECT {literal}, ({literal})::text");
        let mut rows = c.query(&sql, &[]).unwrap();
        assert_eq!(rows.column(0).unwrap().kind, Type::Text, "{name}");
        assert!(rows.next().unwrap());
        let ours = rows.value(0).unwrap().to_owned();
        let server = rows.value(1).unwrap().to_owned();
        if ours != server {
            wrong.push(format!("{name}: keel {ours:?}, server {server:?}"));
        }
    }
    assert!(wrong.is_empty(), "keel's text differs from the server's:\n{}", wrong.join("\n"));
}

/// The scalar types keel reads as PostgreSQL text follow the same rule.
#[test]
fn text_read_scalars_match_the_server() {
    let Some(c) = conn() else { return };
    for literal in [
        "'1 year 2 mons 3 days 04:05:06.7'::interval",
        "'-1 days'::interval",
        "'1 day'::interval",
        "'00:00:00'::interval",
        "'-00:00:00.000001'::interval",
        "'12:34:56.5+05:30'::timetz",
        "'00:00:00-08'::timetz",
        "'23:59:59.123456+00'::timetz",
        "'-12345678901234567890.000000000012345678'::numeric",
        "'0.000'::numeric",
    ] {
        let got = row(&c, &format!("SELECT {literal}, ({literal})::text"), &[]);
        let ours = match &got[0] {
            Value::Decimal(t) | Value::Text(t) => t.clone(),
            other => panic!("{literal}: read as {other:?}"),
        };
        assert_eq!(Value::Text(ours), got[1], "{literal}");
    }
}

#[test]
fn arrays_bind_as_text_and_round_trip() {
    let Some(c) = conn() else { return };
    c.exec("SET TIME ZONE 'UTC'", &[]).unwrap();
    c.exec("DROP TABLE IF EXISTS keel_arrays", &[]).unwrap();
    c.exec(
        "CREATE TABLE keel_arrays (id int PRIMARY KEY, i int8[], t text[], b bytea[], ts timestamptz[], u uuid[])",
        &[],
    )
    .unwrap();
    let i = "{-9223372036854775808,NULL,9223372036854775807}";
    let t = r#"{plain,"",NULL,"NULL","a b","q\"x","back\\slash","c,d","{b}",ü😀}"#;
    let b = r#"{"\\x00ff10","\\x",NULL}"#;
    let ts = r#"{"1969-07-20 20:17:40.5+00","2024-03-10 07:04:56+00",NULL}"#;
    // (The server writes timestamptz in the session's zone, set to UTC
    // above; keel writes array elements in UTC.)
    let u = "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}";
    c.exec(
        "INSERT INTO keel_arrays VALUES (1, ?, ?, ?, ?, ?)",
        &[ValueRef::Text(i), ValueRef::Text(t), ValueRef::Text(b), ValueRef::Text(ts), ValueRef::Text(u)],
    )
    .unwrap();
    let got = row(&c, "SELECT i, t, b, ts, u, i[2] IS NULL, t[2], t[4] FROM keel_arrays", &[]);
    assert_eq!(got[0], Value::Text(i.into()));
    assert_eq!(got[1], Value::Text(t.into()));
    assert_eq!(got[2], Value::Text(b.into()));
    assert_eq!(got[3], Value::Text(ts.into()));
    assert_eq!(got[4], Value::Text(u.into()));
    // Elements are real values on the server: NULL is NULL, "" is empty
    // and "NULL" is the four letters.
    assert_eq!(got[5], Value::Bool(true));
    assert_eq!(got[6], Value::Text(String::new()));
    assert_eq!(got[7], Value::Text("NULL".into()));

    // An array parameter in a predicate.
    let hit = row(&c, "SELECT count(*) FROM keel_arrays WHERE id = ANY(?)", &[ValueRef::Text("{0,1,2}")]);
    assert_eq!(hit[0], Value::Int64(1));
    let hit = row(&c, "SELECT 'ü😀' = ANY(t) FROM keel_arrays", &[]);
    assert_eq!(hit[0], Value::Bool(true));
    c.exec("DROP TABLE keel_arrays", &[]).unwrap();
}

#[test]
fn a_malformed_array_is_a_clear_error() {
    let Some(c) = conn() else { return };
    let err = c.query("SELECT ?::int4[]", &[ValueRef::Text("{1,2")]).err().or_else(|| {
        let mut rows = c.query("SELECT ?::int4[]", &[ValueRef::Text("{1,2")]).unwrap();
        rows.next().err()
    });
    let err = err.expect("a malformed array literal must fail");
    assert_eq!(err.status, Status::InvalidData, "{err:?}");
    assert_eq!(err.sqlstate, "22P02");
    let err = c.exec("SELECT ?::int2[]", &[ValueRef::Text("{1,99999}")]).err().unwrap();
    assert_eq!(err.status, Status::InvalidData, "{err:?}");
    assert_eq!(err.sqlstate, "22003");
    // The connection is fine afterwards.
    assert_eq!(row(&c, "SELECT (?::int4[])[2]", &[ValueRef::Text("{7,8}")])[0], Value::Int64(8));
}
