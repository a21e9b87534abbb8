//! PostgreSQL batches of a plain INSERT (`keel_stmt_execute_batch`,
//! Python's `executemany`), against the real server: `INSERT INTO t
//! (cols) VALUES (?, ...)` goes by binary COPY, 10,000 rows at a time,
//! when COPY does what the INSERT would; every other case keeps the
//! multi-row INSERTs. A trigger logs the statement that inserted each row
//! (`current_query()`), so each test sees which way the rows went.
//! The batch semantics (rows affected, the failing row named, the rows
//! before it kept) are checked on every engine by tests/conformance.rs.

mod common;

use common::{Engine, Table, rows};
use keel::{Status, TxOptions, Value, ValueRef};

/// A table `(id BIGINT PRIMARY KEY, <cols>)` whose row trigger logs the
/// statement that inserted the row into the returned log table.
fn logged(e: &Engine, tag: &str, cols: &str) -> (Table, Table) {
    let (t, log) = (e.table(tag), e.table(&format!("{tag}_log")));
    let func = format!("{}_f", t.name);
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT PRIMARY KEY, {cols})"), &[]).unwrap();
    e.db.exec(&format!("CREATE TABLE {log} (q TEXT)"), &[]).unwrap();
    e.db.exec(
        &format!(
            "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN INSERT INTO {log} VALUES (current_query()); RETURN NEW; END $$"
        ),
        &[],
    )
    .unwrap();
    e.db.exec(&format!("CREATE TRIGGER {}_t BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {func}()", t.name), &[])
        .unwrap();
    (t, log)
}

/// How the logged rows went in: (rows by COPY, rows by INSERT).
fn ways(e: &Engine, log: &Table) -> (i64, i64) {
    let got = rows(
        &e.conn(),
        &format!("SELECT count(*) FILTER (WHERE q LIKE 'COPY %'), count(*) FILTER (WHERE q LIKE 'INSERT %') FROM {log}"),
        &[],
    );
    match got[0][..] {
        [Value::Int64(c), Value::Int64(i)] => (c, i),
        ref r => panic!("{r:?}"),
    }
}

fn batch(e: &Engine, sql: &str, data: &[Vec<Value>]) -> keel::Result<u64> {
    let c = e.conn();
    let mut st = c.prepare(sql)?;
    let refs: Vec<Vec<ValueRef<'_>>> = data.iter().map(|r| r.iter().map(Value::as_ref).collect()).collect();
    Ok(st.execute_batch(refs.iter())?.rows_affected)
}

#[test]
fn plain_inserts_go_by_copy() {
    let Some(e) = Engine::open("postgres") else { return };
    let (t, log) = logged(&e, "pgb_copy", "name TEXT, score DOUBLE PRECISION, at TIMESTAMP, later INT DEFAULT 7");
    let data: Vec<Vec<Value>> = (0..25_000)
        .map(|i| {
            vec![
                Value::Int64(i),
                if i % 10 == 0 { Value::Null } else { Value::Text(format!("n{i}")) },
                Value::Double(i as f64 / 4.0),
                Value::Timestamp(1_700_000_000_000_000 + i * 1_000_001),
            ]
        })
        .collect();
    let sql = format!("INSERT INTO {t} (id, name, score, at) VALUES (?, ?, ?, ?)");
    assert_eq!(batch(&e, &sql, &data).unwrap(), 25_000);
    assert_eq!(ways(&e, &log), (25_000, 0));
    let c = e.conn();
    let got = rows(&c, &format!("SELECT id, name, score, at, later FROM {t} ORDER BY id"), &[]);
    assert_eq!(got.len(), 25_000);
    for (g, w) in got.iter().zip(&data) {
        assert_eq!(&g[..4], &w[..], "row {:?}", w[0]);
        assert_eq!(g[4], Value::Int64(7), "a column left out gets its default");
    }
}

#[test]
fn other_inserts_stay_multi_row() {
    let Some(e) = Engine::open("postgres") else { return };
    let data: Vec<Vec<Value>> = (0..1500).map(|i| vec![Value::Int64(i), Value::Double(i as f64 + 0.5)]).collect();
    // A double into NUMERIC has no binary COPY form: multi-row INSERTs,
    // which the server converts, for this batch and the statement's next.
    let (t, log) = logged(&e, "pgb_numeric", "v NUMERIC(12, 2)");
    let sql = format!("INSERT INTO {t} (id, v) VALUES (?, ?)");
    assert_eq!(batch(&e, &sql, &data).unwrap(), 1500);
    assert_eq!(ways(&e, &log), (0, 1500));
    let c = e.conn();
    let sum = rows(&c, &format!("SELECT sum(v)::text FROM {t}"), &[]);
    assert_eq!(sum[0][0], Value::Text("1125000.00".into()));
    // No column list, an ON CONFLICT tail, a cast: multi-row INSERTs.
    for (tag, sql) in [
        ("pgb_nolist", "INSERT INTO {t} VALUES (?, ?)"),
        ("pgb_conflict", "INSERT INTO {t} (id, v) VALUES (?, ?) ON CONFLICT DO NOTHING"),
        ("pgb_cast", "INSERT INTO {t} (id, v) VALUES (?, ?::float8)"),
    ] {
        let (t, log) = logged(&e, tag, "v DOUBLE PRECISION");
        assert_eq!(batch(&e, &sql.replace("{t}", &t.name), &data).unwrap(), 1500, "{sql}");
        assert_eq!(ways(&e, &log), (0, 1500), "{sql}");
    }
    // A table with a rule, which COPY would skip: the rule still applies.
    let (t, log) = logged(&e, "pgb_rule", "v DOUBLE PRECISION");
    let seen = e.table("pgb_rule_seen");
    e.db.exec(&format!("CREATE TABLE {seen} (id BIGINT)"), &[]).unwrap();
    e.db.exec(&format!("CREATE RULE {}_r AS ON INSERT TO {t} DO ALSO INSERT INTO {seen} VALUES (NEW.id)", t.name), &[])
        .unwrap();
    assert_eq!(batch(&e, &format!("INSERT INTO {t} (id, v) VALUES (?, ?)"), &data).unwrap(), 1500);
    assert_eq!(ways(&e, &log), (0, 1500));
    assert_eq!(rows(&c, &format!("SELECT count(*) FROM {seen}"), &[])[0][0], Value::Int64(1500));
    // A GENERATED ALWAYS identity column: left out, COPY fills it as the
    // INSERT would; listed, which COPY would take, the INSERT is refused
    // when it is prepared, so no batch runs.
    let (t, log) = logged(&e, "pgb_identity", "n BIGINT GENERATED ALWAYS AS IDENTITY, v DOUBLE PRECISION");
    assert_eq!(batch(&e, &format!("INSERT INTO {t} (id, v) VALUES (?, ?)"), &data).unwrap(), 1500);
    assert_eq!(ways(&e, &log), (1500, 0));
    let got = rows(&c, &format!("SELECT min(n), max(n), count(DISTINCT n) FROM {t}"), &[]);
    assert_eq!(got[0], vec![Value::Int64(1), Value::Int64(1500), Value::Int64(1500)]);
    let one = [vec![Value::Int64(9000), Value::Int64(5), Value::Double(0.5)]];
    let err = batch(&e, &format!("INSERT INTO {t} (id, n, v) VALUES (?, ?, ?)"), &one).unwrap_err();
    assert_eq!(err.sqlstate, "428C9", "{err}");
}

/// A value out of its column's range inside a transaction: found before
/// anything is sent, so the rows run as multi-row INSERTs, whose binding
/// names the row, and the transaction goes on with the rows before it.
/// A row the server refuses inside a transaction fails the COPY, which
/// names the rows it held.
#[test]
fn failures_in_a_transaction() {
    let Some(e) = Engine::open("postgres") else { return };
    let (t, log) = logged(&e, "pgb_fail", "i INT");
    let c = e.conn();
    let sql = format!("INSERT INTO {t} (id, i) VALUES (?, ?)");
    let mut st = c.prepare(&sql).unwrap();
    let data: Vec<Vec<Value>> = (0..3000)
        .map(|i| vec![Value::Int64(i), Value::Int64(if i == 2100 { i64::MAX } else { i })])
        .collect();
    let refs: Vec<Vec<ValueRef<'_>>> = data.iter().map(|r| r.iter().map(Value::as_ref).collect()).collect();
    c.begin(&TxOptions::default()).unwrap();
    let err = st.execute_batch(refs.iter()).unwrap_err();
    assert!(err.message.starts_with("row 2100: "), "{err}");
    assert_eq!(rows(&c, &format!("SELECT count(*) FROM {t}"), &[])[0][0], Value::Int64(2100));
    c.commit().unwrap();
    assert_eq!(ways(&e, &log), (0, 2100));

    // By COPY, a duplicate key: the COPY fails whole and ends the
    // transaction, as a failed INSERT would.
    let (t, log) = logged(&e, "pgb_dup", "i INT");
    let mut st = c.prepare(&format!("INSERT INTO {t} (id, i) VALUES (?, ?)")).unwrap();
    let data: Vec<Vec<Value>> = (0..3000).map(|i| vec![Value::Int64(if i == 2500 { 7 } else { i }), Value::Int64(i)]).collect();
    let refs: Vec<Vec<ValueRef<'_>>> = data.iter().map(|r| r.iter().map(Value::as_ref).collect()).collect();
    c.begin(&TxOptions::default()).unwrap();
    let err = st.execute_batch(refs.iter()).unwrap_err();
    assert_eq!(err.status, Status::Integrity, "{err}");
    assert!(err.message.starts_with("rows 0 to 2999, loaded as one piece through the driver's bulk path: "), "{err}");
    c.rollback().unwrap();
    assert_eq!(ways(&e, &log).1, 0, "no row went by INSERT");
    assert_eq!(rows(&c, &format!("SELECT count(*) FROM {t}"), &[])[0][0], Value::Int64(0));
}

/// A role that may insert into the table but not read it: COPY's column
/// probe is a SELECT, so its batches keep the multi-row INSERTs, which it
/// may run, rather than failing.
#[test]
fn insert_only_role_keeps_inserts() {
    let Some(e) = Engine::open("postgres") else { return };
    let (t, log) = logged(&e, "pgb_insonly", "v DOUBLE PRECISION");
    let role = Role(&e, format!("{}_role", t.name));
    let role = &role.1;
    e.db.exec(&format!("CREATE ROLE {role}"), &[]).unwrap();
    e.db.exec(&format!("GRANT INSERT ON {t}, {log} TO {role}"), &[]).unwrap();
    let data: Vec<Vec<Value>> = (0..1500).map(|i| vec![Value::Int64(i), Value::Double(i as f64)]).collect();
    let refs: Vec<Vec<ValueRef<'_>>> = data.iter().map(|r| r.iter().map(Value::as_ref).collect()).collect();
    {
        // A pool of its own, so that no session of the shared one keeps the role.
        let db = keel::Db::open(&e.url).unwrap();
        let c = db.checkout().unwrap();
        c.exec(&format!("SET ROLE {role}"), &[]).unwrap();
        let mut st = c.prepare(&format!("INSERT INTO {t} (id, v) VALUES (?, ?)")).unwrap();
        let ran = st.execute_batch(refs.iter()).map(|r| r.rows_affected);
        drop(st);
        c.exec("RESET ROLE", &[]).unwrap();
        assert_eq!(ran.unwrap(), 1500);
    }
    assert_eq!(ways(&e, &log), (0, 1500));
}

/// A role made by a test, dropped with what was granted to it however
/// the test ends.
struct Role<'e>(&'e Engine, String);

impl Drop for Role<'_> {
    fn drop(&mut self) {
        let _ = self.0.db.exec(&format!("DROP OWNED BY {}", self.1), &[]);
        let _ = self.0.db.exec(&format!("DROP ROLE IF EXISTS {}", self.1), &[]);
    }
}

/// `COPY ... TO STDOUT` and `COPY ... FROM STDIN` run in the protocol's
/// copy mode, which a statement cannot carry: refused before anything is
/// sent (NOT_IMPLEMENTED, naming what to use), not an IO error that reads
/// as a lost connection; the connection goes on. A COPY with a file on
/// the server is no such statement (here the server refuses the file).
#[test]
fn copy_over_the_connection_is_refused_before_sending() {
    let Some(e) = Engine::open("postgres") else { return };
    let c = e.conn();
    for sql in ["COPY (SELECT 1) TO STDOUT", "copy pg_class from stdin", "/* x */ COPY pg_class (relname) TO stdout WITH (FORMAT csv)"] {
        let err = c.exec(sql, &[]).unwrap_err();
        assert_eq!((err.status, err.sqlstate.as_str()), (Status::NotImplemented, "0A000"), "{sql}: {err}");
        assert!(err.message.contains("copy mode") && err.message.contains("keel_conn_ingest"), "{sql}: {err}");
        assert_eq!(err.retry, keel::RetrySafety::NotSent, "{sql}: {err}");
        let err = c.query(sql, &[]).err().unwrap();
        assert_eq!(err.status, Status::NotImplemented, "{sql}: {err}");
    }
    let err = c.exec("COPY pg_class TO '/nonexistent/keel_copy.csv'", &[]).unwrap_err();
    assert_ne!(err.status, Status::NotImplemented, "{err}");
    let mut r = c.query("SELECT 'stdout' AS copy", &[]).unwrap();
    assert!(r.next().unwrap());
    assert_eq!(r.value(0).unwrap(), ValueRef::Text("stdout"));
}
