//! The Rust API's thread contract (`core::db`, "Threads"): a `Conn` may be
//! shared by threads, and its statements and cursors moved to others; the
//! calls are then serialized by the session's lock, never concurrent. On
//! every engine, threads that share one connection get right answers, or a
//! clear `INVALID_STATE` while another thread's cursor holds the session
//! (PostgreSQL, MySQL, SQL Server); nothing else.

mod common;

use keel::{Status, ValueRef};
use std::sync::Arc;

fn check_shared_connection(e: &common::Engine) {
    let t = e.table("threads");
    e.db.exec(&format!("CREATE TABLE {t} (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)"), &[]).unwrap();
    e.db.exec(&format!("INSERT INTO {t} (id, n) VALUES (1, 0)"), &[]).unwrap();
    let conn = Arc::new(e.conn());
    let (mut updates, mut busy) = (0, 0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|k| {
                let conn = conn.clone();
                let t = &t;
                s.spawn(move || {
                    let (mut done, mut refused) = (0, 0);
                    for i in 0..50 {
                        let r = if (i + k) % 2 == 0 {
                            conn.exec(&format!("UPDATE {t} SET n = n + 1 WHERE id = ?"), &[ValueRef::Int64(1)]).map(|_| 1)
                        } else {
                            conn.query(&format!("SELECT n FROM {t} WHERE id = 1"), &[]).and_then(|mut rows| {
                                assert!(rows.next()?);
                                assert!(rows.value(0)?.as_i64()? >= 0);
                                assert!(!rows.next()?);
                                Ok(0)
                            })
                        };
                        match r {
                            Ok(n) => done += n,
                            Err(err) if err.status == Status::InvalidState && err.message.contains("cursor") => refused += 1,
                            Err(err) => panic!("{}: {err}", e.name),
                        }
                    }
                    (done, refused)
                })
            })
            .collect();
        for w in workers {
            let (d, r) = w.join().unwrap();
            updates += d;
            busy += r;
        }
    });
    let n = common::int(&conn, &format!("SELECT n FROM {t} WHERE id = 1"), &[]);
    assert_eq!(n, updates, "{}: every update that reported success is there ({busy} calls met another's cursor)", e.name);
    // A statement and its cursor, each moved to a thread of its own.
    let mut st = conn.prepare(&format!("SELECT n FROM {t} WHERE id = ?")).unwrap();
    st.bind(0, ValueRef::Int64(1)).unwrap();
    let rows = std::thread::spawn(move || st.query().map(|r| (r, st))).join().unwrap().unwrap();
    let (mut rows, st) = rows;
    let read = std::thread::spawn(move || {
        assert!(rows.next().unwrap());
        rows.value(0).unwrap().as_i64().unwrap()
    });
    assert_eq!(read.join().unwrap(), n);
    drop(st);
}

#[test]
fn sqlite_shared_connection() {
    common::run("sqlite", check_shared_connection);
}

#[test]
fn postgres_shared_connection() {
    common::run("postgres", check_shared_connection);
}

#[test]
fn mysql_shared_connection() {
    common::run("mysql", check_shared_connection);
}

#[test]
fn mssql_shared_connection() {
    common::run("mssql", check_shared_connection);
}
