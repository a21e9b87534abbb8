//! MariaDB batches of statements that are no plain INSERT (UPDATE,
//! DELETE, upserts), against the real server: on MariaDB 10.2 and later
//! they go through its bulk command (`COM_STMT_BULK_EXECUTE`), a chunk of
//! rows per command, where they went one round trip per row before. The
//! session's `Questions` counter moves once per command (a bulk command is
//! one, however many rows it carries), so each test sees which way the
//! rows went. A chunk that fails on a row's
//! data is rolled back and run again row by row, so the failing row is
//! named and the rows before it stay done (tests/conformance.rs checks
//! those semantics on every engine; here they are checked across the
//! bulk path's chunks, inside and outside a transaction).

mod common;

use common::{Engine, int, rows};
use keel::{Status, TxOptions, Value, ValueRef};

/// The MySQL test server when it is MariaDB (the bulk command is
/// MariaDB's); `None`, with a skip line, otherwise.
fn mariadb() -> Option<Engine> {
    let e = Engine::open("mysql")?;
    let version = match &rows(&e.conn(), "SELECT VERSION()", &[])[0][0] {
        Value::Text(v) => v.clone(),
        other => panic!("{other:?}"),
    };
    if !version.contains("MariaDB") {
        println!("skipped: {version} is not MariaDB (MySQL has no bulk command)");
        return None;
    }
    Some(e)
}

/// A session counter of `c`'s connection.
fn status(c: &keel::Conn, name: &str) -> i64 {
    match &rows(c, &format!("SHOW SESSION STATUS LIKE '{name}'"), &[])[0][1] {
        Value::Text(v) => v.parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

fn batch(c: &keel::Conn, sql: &str, data: &[Vec<Value>]) -> keel::Result<keel::ExecResult> {
    let mut st = c.prepare(sql)?;
    let refs: Vec<Vec<ValueRef<'_>>> = data.iter().map(|r| r.iter().map(Value::as_ref).collect()).collect();
    st.execute_batch(refs.iter())
}

/// (id, 0) rows 0..n in a new InnoDB table.
fn filled(e: &Engine, tag: &str, n: i64, engine: &str) -> common::Table {
    let t = e.table(tag);
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT PRIMARY KEY, v BIGINT NOT NULL, w INT) ENGINE={engine}"), &[])
        .unwrap();
    let all: Vec<Vec<Value>> = (0..n).map(|i| vec![Value::Int64(i), Value::Int64(0)]).collect();
    batch(&e.conn(), &format!("INSERT INTO {t} (id, v) VALUES (?, ?)"), &all).unwrap();
    t
}

#[test]
fn updates_and_deletes_go_in_bulk() {
    let Some(e) = mariadb() else { return };
    let t = filled(&e, "myb_upd", 2500, "InnoDB");
    let c = e.conn();
    let upd: Vec<Vec<Value>> = (0..2600).map(|i| vec![Value::Int64(i * 3), Value::Int64(i)]).collect();
    let before = status(&c, "Questions");
    let r = batch(&c, &format!("UPDATE {t} SET v = ? WHERE id = ?"), &upd).unwrap();
    let commands = status(&c, "Questions") - before;
    // Row by row, on a copy of the table: the same rows affected.
    let t2 = filled(&e, "myb_upd2", 2500, "InnoDB");
    let url = format!("{}{}mariadb_bulk=off", e.url, if e.url.contains('?') { "&" } else { "?" });
    let plain = keel::Db::open(&url).unwrap();
    let one_by_one = batch(&plain.checkout().unwrap(), &format!("UPDATE {t2} SET v = ? WHERE id = ?"), &upd).unwrap();
    assert_eq!(r.rows_affected, one_by_one.rows_affected, "rows affected as row by row");
    assert_eq!(r.rows_affected, 2500, "ids 2500 and up match nothing (id 0 counts as found)");
    // Three chunks of up to 1000 rows, each a transaction of its own
    // around one command, and the counting statement itself.
    assert!((3..=20).contains(&commands), "a few bulk commands, not one UPDATE per row: {commands}");
    assert_eq!(int(&c, &format!("SELECT SUM(v) FROM {t}"), &[]), (0..2500).map(|i| i * 3).sum::<i64>());
    // DELETE, inside a transaction: the rows go, and the transaction
    // goes on.
    c.begin(&TxOptions::default()).unwrap();
    let del: Vec<Vec<Value>> = (0..1000).map(|i| vec![Value::Int64(i * 2)]).collect();
    let before = status(&c, "Questions");
    let r = batch(&c, &format!("DELETE FROM {t} WHERE id = ?"), &del).unwrap();
    assert_eq!(r.rows_affected, 1000);
    let commands = status(&c, "Questions") - before;
    assert!((2..=10).contains(&commands), "bulk DELETE: {commands}");
    assert!(c.in_transaction());
    c.rollback().unwrap();
    assert_eq!(int(&c, &format!("SELECT COUNT(*) FROM {t}"), &[]), 2500, "rolled back with the transaction");
    // An upsert whose tail has a parameter (no multi-row INSERT): in bulk,
    // with the rows affected and the insert id that row by row reports
    // (on a copy of the table, through a pool with mariadb_bulk=off).
    let ups: Vec<Vec<Value>> = (5..20).map(|k| vec![Value::Int64(k), Value::Int64(-1), Value::Int64(5)]).collect();
    let mut got = Vec::new();
    for (tag, conn) in [("myb_ups", &c), ("myb_ups2", &plain.checkout().unwrap())] {
        let u = e.table(tag);
        e.db.exec(&format!("CREATE TABLE {u} (id BIGINT AUTO_INCREMENT PRIMARY KEY, k BIGINT UNIQUE, v BIGINT)"), &[])
            .unwrap();
        conn.exec(&format!("INSERT INTO {u} (k, v) VALUES (1, 1), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10)"), &[]).unwrap();
        let before = status(conn, "Questions");
        let sql = format!("INSERT INTO {u} (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = v + ?");
        let r = batch(conn, &sql, &ups).unwrap();
        let questions = status(conn, "Questions") - before;
        // The last row's id, as the table has it (auto-increment ids may
        // be handed out with other gaps in bulk, as InnoDB's auto-inc
        // lock modes allow).
        let last_id = int(conn, &format!("SELECT id FROM {u} WHERE k = 19"), &[]);
        got.push((r, questions, rows(conn, &format!("SELECT k, v FROM {u} ORDER BY k"), &[]), last_id));
    }
    let (bulk, plain_run) = (&got[0], &got[1]);
    assert_eq!(bulk.0.rows_affected, 5 * 2 + 10, "5 rows updated (2 each), 10 inserted");
    assert_eq!(bulk.0.rows_affected, plain_run.0.rows_affected, "rows affected as row by row");
    assert_eq!(bulk.0.last_insert_id, Some(bulk.3), "the last row's insert id");
    assert_eq!(plain_run.0.last_insert_id, Some(plain_run.3));
    assert!(bulk.2 == plain_run.2, "the same keys and values");
    assert!((3..=8).contains(&bulk.1), "bulk, with the last row alone: {}", bulk.1);
    assert!(plain_run.1 >= 15, "row by row: {}", plain_run.1);
    // The same after a comment: the batch is still told an INSERT (its
    // last row run alone), so the insert id is still the last row's.
    let u = e.table("myb_ups3");
    e.db.exec(&format!("CREATE TABLE {u} (id BIGINT AUTO_INCREMENT PRIMARY KEY, k BIGINT UNIQUE, v BIGINT)"), &[]).unwrap();
    c.exec(&format!("INSERT INTO {u} (k, v) VALUES (1, 1), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10)"), &[]).unwrap();
    let sql = format!("/* upsert */ INSERT INTO {u} (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = v + ?");
    let r = batch(&c, &sql, &ups).unwrap();
    assert_eq!(r.rows_affected, bulk.0.rows_affected);
    assert_eq!(r.last_insert_id, Some(int(&c, &format!("SELECT id FROM {u} WHERE k = 19"), &[])), "the last row's insert id");
}

#[test]
fn a_failing_row_is_named_and_the_rows_before_it_stay() {
    let Some(e) = mariadb() else { return };
    let n = 2500;
    let t = filled(&e, "myb_fail", n, "InnoDB");
    let c = e.conn();
    let done = |c: &keel::Conn| int(c, &format!("SELECT COUNT(*) FROM {t} WHERE v = 1"), &[]);
    let update = format!("UPDATE {t} SET v = ? WHERE id = ?");
    // Row 1700 (in the second chunk of the pipeline) sets NOT NULL v to
    // NULL.
    let bad = 1700usize;
    let data: Vec<Vec<Value>> = (0..n as usize)
        .map(|i| vec![if i == bad { Value::Null } else { Value::Int64(1) }, Value::Int64(i as i64)])
        .collect();
    let err = batch(&c, &update, &data).unwrap_err();
    assert_eq!(err.status, Status::Integrity, "{err}");
    assert!(err.message.starts_with(&format!("row {bad}: ")), "{err}");
    assert_eq!(done(&c), bad as i64, "the rows before the failing one stay done, none after it ran");
    assert!(!c.in_transaction(), "outside a transaction, nothing is left open");
    // Inside a transaction: the same, and the transaction goes on.
    c.exec(&format!("UPDATE {t} SET v = 0"), &[]).unwrap();
    c.begin(&TxOptions::default()).unwrap();
    let err = batch(&c, &update, &data).unwrap_err();
    assert!(err.message.starts_with(&format!("row {bad}: ")), "{err}");
    assert!(c.in_transaction());
    assert_eq!(done(&c), bad as i64);
    c.exec(&format!("UPDATE {t} SET w = 9 WHERE id = 0"), &[]).unwrap();
    c.commit().unwrap();
    assert_eq!(done(&c), bad as i64);
    assert_eq!(int(&c, &format!("SELECT w FROM {t} WHERE id = 0"), &[]), 9);
    // A savepoint of the caller's survives the batch's own.
    c.exec(&format!("UPDATE {t} SET v = 0"), &[]).unwrap();
    c.begin(&TxOptions::default()).unwrap();
    c.savepoint("mine").unwrap();
    batch(&c, &update, &data[..10]).unwrap();
    c.rollback_to("mine").unwrap();
    assert_eq!(done(&c), 0);
    c.rollback().unwrap();
}

/// A table of a non-transactional engine cannot undo a chunk that failed
/// part-way: its batches stay row by row (one command per row).
#[test]
fn non_transactional_tables_go_row_by_row() {
    let Some(e) = mariadb() else { return };
    let t = filled(&e, "myb_aria", 50, "Aria");
    let c = e.conn();
    let upd: Vec<Vec<Value>> = (0..50).map(|i| vec![Value::Int64(1), Value::Int64(i)]).collect();
    let before = status(&c, "Questions");
    let r = batch(&c, &format!("UPDATE {t} SET v = ? WHERE id = ?"), &upd).unwrap();
    assert_eq!(r.rows_affected, 50);
    assert!(status(&c, "Questions") - before >= 50, "one UPDATE per row");
}

/// mariadb_bulk=off: batches go row by row, as on MySQL.
#[test]
fn mariadb_bulk_off_goes_row_by_row() {
    let Some(e) = mariadb() else { return };
    let t = filled(&e, "myb_off", 30, "InnoDB");
    let url = format!("{}{}mariadb_bulk=off", e.url, if e.url.contains('?') { "&" } else { "?" });
    let db = keel::Db::open(&url).unwrap();
    let c = db.checkout().unwrap();
    let upd: Vec<Vec<Value>> = (0..30).map(|i| vec![Value::Int64(2), Value::Int64(i)]).collect();
    let before = status(&c, "Questions");
    batch(&c, &format!("UPDATE {t} SET v = ? WHERE id = ?"), &upd).unwrap();
    assert!(status(&c, "Questions") - before >= 30, "one UPDATE per row");
    assert_eq!(int(&c, &format!("SELECT SUM(v) FROM {t}"), &[]), 60);
}

/// MariaDB's `INSERT/DELETE ... RETURNING`: the prepared form describes
/// no columns, yet every run returns rows. Its batches used to go through
/// the bulk command, whose answer (a result set per row) the client read
/// only in part: a duplicate key in the middle returned OK and lost every
/// row but the last. They now run row by row: the failing row is named,
/// the rows before it stay, and rows_affected counts the rows written
/// (the OK packet after a RETURNING's rows says 0).
#[test]
fn returning_batches_name_the_failing_row_and_keep_the_rows_before() {
    let Some(e) = mariadb() else { return };
    let t = e.table("myb_ret");
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB"), &[]).unwrap();
    e.db.exec(&format!("INSERT INTO {t} VALUES (105, -1)"), &[]).unwrap();
    let c = e.conn();
    let sql = format!("INSERT INTO {t} (id, v) VALUES (?, ?) RETURNING id, v");
    let mut st = c.prepare(&sql).unwrap();
    let err = st.columns().expect_err("columns of a RETURNING before it runs");
    assert_eq!(err.status, Status::NotImplemented, "{err}");
    drop(st);
    for in_tx in [false, true] {
        e.db.exec(&format!("DELETE FROM {t} WHERE id <> 105"), &[]).unwrap();
        if in_tx {
            c.begin(&TxOptions::default()).unwrap();
        }
        let data: Vec<Vec<Value>> = (100..110).map(|i| vec![Value::Int64(i), Value::Int64(i)]).collect();
        let err = batch(&c, &sql, &data).expect_err("row 5 duplicates id 105");
        assert_eq!(err.status, Status::Integrity, "{err}");
        assert!(err.message.starts_with("row 5:"), "{err}");
        if in_tx {
            c.commit().unwrap();
        }
        let ids = rows(&c, &format!("SELECT id FROM {t} ORDER BY id"), &[]);
        let ids: Vec<Value> = ids.into_iter().map(|mut r| r.remove(0)).collect();
        let want: Vec<Value> = (100..106).map(Value::Int64).collect();
        assert_eq!(ids, want, "rows 0 to 4 stay, and 105 as it was (in a transaction: {in_tx})");
    }
    let data: Vec<Vec<Value>> = (200..230).map(|i| vec![Value::Int64(i), Value::Int64(i)]).collect();
    assert_eq!(batch(&c, &sql, &data).unwrap().rows_affected, 30);
    let del: Vec<Vec<Value>> = (200..210).map(|i| vec![Value::Int64(i)]).collect();
    let r = batch(&c, &format!("DELETE FROM {t} WHERE id = ? RETURNING id"), &del).unwrap();
    assert_eq!(r.rows_affected, 10);
    assert_eq!(int(&c, &format!("SELECT COUNT(*) FROM {t}"), &[]), 6 + 20);
}
