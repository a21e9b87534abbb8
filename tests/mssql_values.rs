//! Every SQL Server type keel reads, both ways: bound as a keel value and
//! read back (driver → TDS parameter → server → TDS row → driver), and
//! written as a T-SQL literal and read (the server's own encoding). Runs on
//! the TDS test peer, or on `KEEL_TEST_MSSQL_URL` when set.

mod common;

use keel::core::value::{MICROS_PER_DAY, MICROS_PER_SECOND, days_from_civil, parse_uuid};
use keel::{Db, Type, Value, ValueRef};

fn micros(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, us: i64) -> i64 {
    days_from_civil(y, mo, d) * MICROS_PER_DAY + ((h * 60 + mi) * 60 + s) * MICROS_PER_SECOND + us
}

struct Case {
    ddl: &'static str,
    engine_type: &'static str,
    kind: Type,
    /// Bound as a parameter.
    bound: Value,
    /// What reading it back gives.
    read: Value,
    /// A T-SQL literal of the same value.
    literal: &'static str,
}

fn cases() -> Vec<Case> {
    let c = |ddl, engine_type, kind, bound, read, literal| Case { ddl, engine_type, kind, bound, read, literal };
    let text = |s: &str| Value::Text(s.into());
    let dec = |s: &str| Value::Decimal(s.into());
    let instant = micros(2024, 3, 10, 7, 4, 56, 789_012);
    vec![
        c("BIT", "bit", Type::Bool, Value::Bool(true), Value::Bool(true), "1"),
        c("TINYINT", "tinyint", Type::Int64, Value::Int64(255), Value::Int64(255), "255"),
        c("SMALLINT", "smallint", Type::Int64, Value::Int64(-32768), Value::Int64(-32768), "-32768"),
        c("INT", "int", Type::Int64, Value::Int64(i32::MAX as i64), Value::Int64(i32::MAX as i64), "2147483647"),
        c("BIGINT", "bigint", Type::Int64, Value::Int64(i64::MIN), Value::Int64(i64::MIN), "-9223372036854775808"),
        c("REAL", "real", Type::Double, Value::Double(1.5), Value::Double(1.5), "1.5"),
        c("FLOAT", "float", Type::Double, Value::Double(0.1), Value::Double(0.1), "0.1"),
        c("DECIMAL(10,2)", "decimal", Type::Decimal, dec("-12.34"), dec("-12.34"), "-12.34"),
        c(
            "NUMERIC(38,0)",
            // Which TDS type a server sends for NUMERIC (numericn or decimaln) varies.
            "numeric|decimal",
            Type::Decimal,
            dec("99999999999999999999999999999999999999"),
            dec("99999999999999999999999999999999999999"),
            "'99999999999999999999999999999999999999'",
        ),
        c("MONEY", "money", Type::Decimal, dec("922337203.5807"), dec("922337203.5807"), "922337203.5807"),
        c("SMALLMONEY", "money", Type::Decimal, dec("-214748.3648"), dec("-214748.3648"), "-214748.3648"),
        c("CHAR(5)", "char", Type::Text, text("ab"), text("ab   "), "'ab'"),
        c("VARCHAR(20)", "varchar", Type::Text, text("naïve café"), text("naïve café"), "'naïve café'"),
        c("NCHAR(3)", "nchar", Type::Text, text("中"), text("中  "), "N'中'"),
        c("NVARCHAR(100)", "nvarchar", Type::Text, text("emoji 😀 中文"), text("emoji 😀 中文"), "N'emoji 😀 中文'"),
        c("TEXT", "text", Type::Text, text("old text"), text("old text"), "'old text'"),
        c("NTEXT", "ntext", Type::Text, text("old ntext ☃"), text("old ntext ☃"), "N'old ntext ☃'"),
        c("BINARY(4)", "binary", Type::Bytes, Value::Bytes(vec![1, 2]), Value::Bytes(vec![1, 2, 0, 0]), "0x0102"),
        c("VARBINARY(10)", "varbinary", Type::Bytes, Value::Bytes(vec![0, 255]), Value::Bytes(vec![0, 255]), "0x00FF"),
        c("IMAGE", "image", Type::Bytes, Value::Bytes(vec![7; 9000]), Value::Bytes(vec![7; 9000]), ""),
        c("DATE", "date", Type::Date, Value::Date(days_from_civil(1, 1, 1) as i32), Value::Date(days_from_civil(1, 1, 1) as i32), "'0001-01-01'"),
        c(
            "TIME",
            "time",
            Type::Time,
            Value::Time(((23 * 60 + 59) * 60 + 59) * MICROS_PER_SECOND + 999_999),
            Value::Time(((23 * 60 + 59) * 60 + 59) * MICROS_PER_SECOND + 999_999),
            "'23:59:59.999999'",
        ),
        c(
            "DATETIME",
            "datetimen",
            Type::Timestamp,
            Value::Timestamp(micros(1900, 1, 1, 12, 34, 56, 500_000)),
            Value::Timestamp(micros(1900, 1, 1, 12, 34, 56, 500_000)),
            "'1900-01-01 12:34:56.500'",
        ),
        c(
            "SMALLDATETIME",
            "datetimen",
            Type::Timestamp,
            Value::Timestamp(micros(2024, 3, 10, 12, 34, 0, 0)),
            Value::Timestamp(micros(2024, 3, 10, 12, 34, 0, 0)),
            "'2024-03-10 12:34'",
        ),
        c(
            "DATETIME2",
            "datetime2",
            Type::Timestamp,
            Value::Timestamp(micros(9999, 12, 31, 23, 59, 59, 999_999)),
            Value::Timestamp(micros(9999, 12, 31, 23, 59, 59, 999_999)),
            "'9999-12-31 23:59:59.999999'",
        ),
        c(
            "DATETIMEOFFSET",
            "datetimeoffset",
            Type::Timestamptz,
            Value::Text("2024-03-10 12:34:56.789012 +05:30".into()),
            Value::Timestamptz(instant),
            "'2024-03-10 12:34:56.789012 +05:30'",
        ),
        c(
            "UNIQUEIDENTIFIER",
            "uniqueidentifier",
            Type::Uuid,
            Value::Uuid(parse_uuid("123e4567-e89b-12d3-a456-426614174000").unwrap()),
            Value::Uuid(parse_uuid("123e4567-e89b-12d3-a456-426614174000").unwrap()),
            "'123E4567-E89B-12D3-A456-426614174000'",
        ),
        c("XML", "xml", Type::Text, text("<a x=\"1\">é</a>"), text("<a x=\"1\">é</a>"), "N'<a x=\"1\">é</a>'"),
    ]
}

fn open() -> (Db, Option<keel_tds_peer::Peer>) {
    let (url, peer) = common::mssql_url();
    (Db::open(&url).expect("open SQL Server"), peer)
}

fn table(db: &Db, tag: &str, ddl: &str) -> String {
    let t = format!("kv_{tag}_{}", std::process::id());
    db.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
    db.exec(&format!("CREATE TABLE {t} (id INT PRIMARY KEY, v {ddl})"), &[]).unwrap();
    t
}

#[test]
fn every_type_round_trips_as_a_parameter_and_as_a_literal() {
    let (db, _peer) = open();
    let c = db.checkout().unwrap();
    for (i, case) in cases().iter().enumerate() {
        let t = table(&db, &format!("t{i}"), case.ddl);
        c.exec(&format!("INSERT INTO {t} (id, v) VALUES (1, ?)"), &[case.bound.as_ref()])
            .unwrap_or_else(|e| panic!("{}: bind {:?}: {e}", case.ddl, case.bound));
        // A bound NULL: SQL Server takes it into every type (keel writes it
        // as the literal NULL; an nvarchar NULL into a binary column is error 257).
        c.exec(&format!("INSERT INTO {t} (id, v) VALUES (2, ?)"), &[ValueRef::Null])
            .unwrap_or_else(|e| panic!("{}: a NULL parameter: {e}", case.ddl));
        if !case.literal.is_empty() {
            c.exec(&format!("INSERT INTO {t} (id, v) VALUES (3, {})", case.literal), &[])
                .unwrap_or_else(|e| panic!("{}: literal {}: {e}", case.ddl, case.literal));
        }
        // Described before it runs (sp_describe_first_result_set): the
        // type as the server names it, and the keel type the cursor gives.
        let mut st = c.prepare(&format!("SELECT v FROM {t} WHERE id > ?")).unwrap();
        let described = st.columns().unwrap_or_else(|e| panic!("{}: describe: {e}", case.ddl));
        drop(st);
        let base = case.ddl.split('(').next().unwrap().to_ascii_lowercase();
        let base = if base == "numeric" { "numeric|decimal".to_owned() } else { base };
        assert_eq!(described.len(), 1, "{}", case.ddl);
        assert_eq!(described[0].name, "v");
        assert!(base.split('|').any(|n| n == described[0].engine_type), "{}: described as {}", case.ddl, described[0].engine_type);
        let mut r = c.query(&format!("SELECT v FROM {t} ORDER BY id"), &[]).unwrap();
        let col = r.column(0).unwrap().clone();
        assert_eq!(described[0].kind, col.kind, "{}: described keel type", case.ddl);
        assert_eq!(col.kind, case.kind, "{}: keel type", case.ddl);
        assert!(case.engine_type.split('|').any(|n| n == col.engine_type), "{}: engine type {}", case.ddl, col.engine_type);
        assert!(r.next().unwrap());
        assert_eq!(r.value(0).unwrap().to_owned(), case.read, "{}: bound value read back", case.ddl);
        assert!(r.next().unwrap());
        assert_eq!(r.value(0).unwrap(), ValueRef::Null, "{}: NULL", case.ddl);
        if !case.literal.is_empty() {
            assert!(r.next().unwrap());
            assert_eq!(r.value(0).unwrap().to_owned(), case.read, "{}: literal {} read", case.ddl, case.literal);
        }
        assert!(!r.next().unwrap());
        drop(r);
        db.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
    }
}

/// datetimeoffset keeps its zone both ways: bound with an offset, it is
/// stored with it (the server's own text shows it), and read back as the
/// same instant with the same offset; its text is the local time with
/// the offset. Written as text, the offset in the text is kept too.
#[test]
fn datetimeoffset_keeps_its_zone() {
    let (db, _peer) = open();
    let t = table(&db, "dto", "DATETIMEOFFSET");
    let c = db.checkout().unwrap();
    let instant = micros(2024, 3, 10, 12, 34, 56, 500_000);
    let cases = [(5 * 3600 + 30 * 60, "2024-03-10 18:04:56.500000+05:30", "+05:30"), (-8 * 3600, "2024-03-10 04:34:56.500000-08:00", "-08:00"), (14 * 3600, "2024-03-11 02:34:56.500000+14:00", "+14:00"), (0, "2024-03-10 12:34:56.500000+00:00", "+00:00")];
    let mut ins = c.prepare(&format!("INSERT INTO {t} (id, v) VALUES (?, ?)")).unwrap();
    for (i, (off, _, _)) in cases.iter().enumerate() {
        ins.bind(0, ValueRef::Int64(i as i64)).unwrap();
        ins.bind_timestamptz_offset(1, instant, *off).unwrap();
        ins.execute().unwrap();
    }
    // Offsets SQL Server cannot store are refused before anything is sent.
    for bad in [15 * 3600, -15 * 3600, 90] {
        let e = ins.bind_timestamptz_offset(1, instant, bad).unwrap_err();
        assert_eq!(e.status, keel::Status::InvalidArgument, "{bad}: {e}");
    }
    drop(ins);
    c.exec(&format!("INSERT INTO {t} (id, v) VALUES (9, ?)"), &[ValueRef::Text("2024-03-10 12:34:56.5 -08:00")]).unwrap();
    let mut r = c.query(&format!("SELECT v, CAST(v AS NVARCHAR(40)) FROM {t} ORDER BY id"), &[]).unwrap();
    for (off, text, shown) in cases.iter().chain([&(-8 * 3600, "2024-03-10 12:34:56.500000-08:00", "-08:00")]) {
        assert!(r.next().unwrap());
        let want = if *text == "2024-03-10 12:34:56.500000-08:00" { micros(2024, 3, 10, 20, 34, 56, 500_000) } else { instant };
        assert_eq!(r.value(0).unwrap(), ValueRef::Timestamptz(want), "{text}");
        assert_eq!(r.tz_offset(0).unwrap(), *off, "{text}");
        let mut s = String::new();
        r.write_text(0, &mut s).unwrap();
        assert_eq!(s, *text);
        let server = r.value(1).unwrap().as_str_direct().unwrap().to_owned();
        assert!(server.contains(shown), "the server stored the zone {shown}: {server}");
        // Not a timestamp with zone: the text column.
        assert_eq!(r.tz_offset(1).unwrap_err().status, keel::Status::InvalidData);
    }
    assert!(!r.next().unwrap());
    drop(r);
    db.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}

/// Values SQL Server's types cannot hold are refused before they are sent.
#[test]
fn unrepresentable_parameters_are_refused() {
    let (db, _peer) = open();
    let c = db.checkout().unwrap();
    let bad = [
        ValueRef::Uint64(u64::MAX),
        ValueRef::Double(f64::NAN),
        ValueRef::Double(f64::INFINITY),
        ValueRef::Decimal("1e40"),
        ValueRef::Decimal("NaN"),
        ValueRef::Date(days_from_civil(10000, 1, 1) as i32),
        ValueRef::Timestamp(micros(0, 12, 31, 0, 0, 0, 0)),
    ];
    for v in bad {
        let e = c.exec("SELECT ?", &[v]).expect_err(&format!("{v:?} must be refused"));
        assert_eq!(e.status, keel::Status::InvalidArgument, "{v:?}: {e}");
        assert!(e.sqlstate.starts_with("22"), "{v:?}: {e}");
    }
}

/// Server errors carry SQL Server's error number and the SQLSTATE keel's
/// table gives it.
#[test]
fn error_numbers_and_sqlstates() {
    let (db, _peer) = open();
    let t = table(&db, "err", "INT NOT NULL");
    let c = db.checkout().unwrap();
    c.exec(&format!("INSERT INTO {t} (id, v) VALUES (1, 1)"), &[]).unwrap();
    let cases: [(String, i32, &str, keel::Status); 5] = [
        (format!("INSERT INTO {t} (id, v) VALUES (1, 2)"), 2627, "23000", keel::Status::Integrity),
        (format!("INSERT INTO {t} (id, v) VALUES (2, NULL)"), 515, "23000", keel::Status::Integrity),
        (format!("INSERT INTO {t} (id, v) VALUES (3, 2147483648)"), 8115, "22003", keel::Status::InvalidData),
        ("SELECT * FROM no_such_table_kv".into(), 208, "42S02", keel::Status::NotFound),
        ("SELEC 1".into(), 102, "42000", keel::Status::InvalidArgument),
    ];
    for (sql, number, state, status) in cases {
        let e = c.exec(&sql, &[]).expect_err(&sql);
        assert_eq!((e.vendor_code, e.sqlstate.as_str(), e.status), (number, state, status), "{sql}: {e}");
        assert_eq!(e.driver, "mssql");
    }
    drop(c);
    db.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}

/// A statement is described before it runs with its parameters as bound
/// (declared as sp_executesql would declare them; unbound ones as NULL),
/// once: binding again does not ask again. What the server cannot
/// describe before running (dynamic SQL) is NOT_IMPLEMENTED with the
/// server's reason, and the statement still runs.
#[test]
fn statements_are_described_with_their_parameters_or_not_known() {
    let (db, _peer) = open();
    let t = table(&db, "desc", "NVARCHAR(20) NOT NULL");
    let c = db.checkout().unwrap();
    c.exec(&format!("INSERT INTO {t} (id, v) VALUES (1, 'one')"), &[]).unwrap();
    let sql = format!("SELECT id, v FROM {t} WHERE id = ? AND v <> ?");
    for bound in [None, Some([ValueRef::Int64(1), ValueRef::Text("x")]), Some([ValueRef::Null, ValueRef::Text("x")])] {
        let mut st = c.prepare(&sql).unwrap();
        if let Some(values) = bound {
            st.bind_all(&values).unwrap();
        }
        let cols = st.columns().unwrap_or_else(|e| panic!("{bound:?}: {e}"));
        let got: Vec<(&str, Type, keel::Nullable)> = cols.iter().map(|c| (c.name.as_str(), c.kind, c.nullable)).collect();
        assert_eq!(got, [("id", Type::Int64, keel::Nullable::No), ("v", Type::Text, keel::Nullable::No)], "{bound:?}");
        // Asked once per statement: the same answer, even with a cursor
        // holding the connection.
        st.bind_all(&[ValueRef::Int64(1), ValueRef::Text("x")]).unwrap();
        let mut r = st.query().unwrap();
        assert!(r.next().unwrap());
        let mut other = c.prepare(&format!("SELECT v FROM {t}"));
        assert!(other.is_err() || other.as_mut().unwrap().columns().is_err(), "a cursor holds the connection");
        drop(other);
        drop(r);
        assert_eq!(st.columns().unwrap(), cols);
    }
    let mut dynamic = c.prepare("EXEC('SELECT 1 AS one')").unwrap();
    let e = dynamic.columns().unwrap_err();
    assert_eq!(e.status, keel::Status::NotImplemented, "{e}");
    assert!(e.message.contains("sp_describe_first_result_set") && e.message.contains("dynamic SQL"), "{e}");
    assert_eq!(e.sqlstate, "", "not an error in the SQL: {e}");
    let again = dynamic.columns().unwrap_err();
    assert_eq!(again.message, e.message, "the refusal is kept too");
    drop(dynamic);
    db.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}
