//! A network that stops answering: keel talks to the real PostgreSQL and
//! MySQL servers (and to SQL Server: `KEEL_TEST_MSSQL_URL`, or else the TDS
//! test peer) through an in-process forwarder (tests/proxy) that is told
//! to stop relaying mid-query while keeping its sockets open. With
//! `socket_timeout_ms` the blocked call must come back with TIMEOUT (saying
//! the statement may have run), and the pool must replace the connection.
//!
//! SQLite is skipped: it is embedded, there is no network to lose (and it
//! refuses the socket options as unknown, which is checked here).

mod common;
mod proxy;

use keel::{Db, RetrySafety, Status};
use proxy::{Proxy, upstream_of};

/// (name, url, default port, a query that streams far more rows than the
/// socket buffers hold).
/// A million rows on MySQL/MariaDB from a cross join of six digit tables.
/// (A recursive CTE stops at max_recursive_iterations /
/// cte_max_recursion_depth, 1000 by default: a result small enough to sit
/// whole in the socket buffers before the network goes quiet.)
fn million_rows(filler: &str) -> String {
    let digit = (0..10).map(|d| format!("SELECT {d} AS d")).collect::<Vec<_>>().join(" UNION ALL ");
    let names = ["a", "b", "c", "e", "f", "h"];
    let value = names.iter().enumerate().map(|(i, n)| format!("{}*{n}.d", 10i64.pow(i as u32))).collect::<Vec<_>>().join(" + ");
    let from = names.iter().map(|n| format!("({digit}) {n}")).collect::<Vec<_>>().join(" CROSS JOIN ");
    format!("SELECT {value} AS g, {filler} AS pad FROM {from}")
}

fn servers() -> Vec<(&'static str, String, u16, String)> {
    let mut v = Vec::new();
    println!("skipped: sqlite (embedded: no network to lose)");
    for (name, var, port, big) in [
        (
            "postgres",
            "KEEL_TEST_POSTGRES_URL",
            5432,
            "SELECT g, repeat('x', 200) FROM generate_series(1, 5000000) AS g".to_string(),
        ),
        (
            "mysql",
            "KEEL_TEST_MYSQL_URL",
            3306,
            million_rows("REPEAT('x', 200)"),
        ),
    ] {
        if let Some(u) = common::server_url(name, var) {
            v.push((name, u, port, big));
        }
    }
    // SQL Server: the real one when given, else a TDS test peer that lives
    // as long as the test process.
    let mssql = common::mssql_url_for_the_process();
    v.push(("mssql", mssql, 1433, million_rows(&format!("'{}'", "x".repeat(200)))));
    v
}

/// Run `f` on its own thread and wait for it. Not a speed limit: the
/// timeouts under test are a second or two, so a call still blocked after
/// two minutes hangs on the silent network, and the test fails saying so
/// instead of hanging the whole run.
fn fails_instead_of_hanging(name: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(()) => worker.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(p) = worker.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: a call is still blocked on the silent network after 120 s: socket_timeout_ms did not end it")
        }
    }
}

fn open(url: &str, opts: &[(&str, &str)]) -> Db {
    let pairs: Vec<(String, String)> = opts.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Db::open_with(url, &pairs).unwrap_or_else(|e| panic!("open: {e}"))
}

#[test]
fn a_silent_network_mid_query_times_out_and_the_pool_replaces_the_connection() {
    for (name, url, port, big) in servers() {
        fails_instead_of_hanging(name, move || {
            let proxy = Proxy::start(&upstream_of(&url, port));
            let db = open(
                &proxy.url_through(&url),
                &[("socket_timeout_ms", "1500"), ("pool_max_open", "2"), ("pool_health_check_idle_ms", "0")],
            );
            let conn = db.checkout().unwrap();
            conn.exec("SELECT 1", &[]).unwrap();

            // A streaming result: read some rows, then the network goes quiet.
            let mut rows = conn.query(&big, &[]).unwrap();
            for _ in 0..10 {
                assert!(rows.next().unwrap(), "{name}");
            }
            proxy.go_silent();
            // What was already in the socket buffers still reads; then a read
            // waits on the silent network until socket_timeout_ms.
            let err = loop {
                match rows.next() {
                    Ok(true) => continue,
                    Ok(false) => panic!("{name}: the result cannot end: the network went silent"),
                    Err(e) => break e,
                }
            };
            assert_eq!(err.status, Status::Timeout, "{name}: {:?} {}", err.status, err.message);
            assert_eq!(err.retry, RetrySafety::MayHaveRun, "{name}: {}", err.message);
            assert!(err.message.contains("socket_timeout_ms"), "{name}: {}", err.message);
            drop(rows);
            assert!(conn.is_broken(), "{name}: the timed-out session must be marked broken");
            // The connection is unusable now and says so at once.
            let again = conn.exec("SELECT 1", &[]).unwrap_err();
            assert_eq!(again.retry, RetrySafety::NotSent, "{name}: {}", again.message);
            drop(conn);
            let s = db.stats();
            assert_eq!((s.closed_broken, s.open), (1, 0), "{name}: the pool must close it: {s:?}");

            // New connections through the same proxy relay again: the pool
            // carries on.
            let mut r = db.query("SELECT 7", &[]).unwrap();
            assert!(r.next().unwrap());
            assert_eq!(r.value(0).unwrap().as_i64().unwrap(), 7, "{name}");
            drop(r);
            assert_eq!(db.stats().open, 1, "{name}");
        });
    }
}

#[test]
fn a_statement_sent_into_a_silent_network_times_out_and_may_have_run() {
    for (name, url, port, _) in servers() {
        fails_instead_of_hanging(name, move || {
            let proxy = Proxy::start(&upstream_of(&url, port));
            let db = open(&proxy.url_through(&url), &[("socket_timeout_ms", "1000"), ("pool_health_check_idle_ms", "0")]);
            let conn = db.checkout().unwrap();
            // Prepared now, so that later only the execution goes out.
            conn.exec("SELECT 2", &[]).unwrap();
            proxy.go_silent();
            let err = conn.exec("SELECT 2", &[]).unwrap_err();
            assert_eq!(err.status, Status::Timeout, "{name}: {:?} {}", err.status, err.message);
            assert_eq!(err.retry, RetrySafety::MayHaveRun, "{name}: {}", err.message);
            drop(conn);
            assert_eq!(db.stats().closed_broken, 1, "{name}: {:?}", db.stats());
            db.exec("SELECT 3", &[]).unwrap();

            // A statement not prepared yet: what goes out is its preparation,
            // so it cannot have run. (SQL Server has no separate prepare: the
            // statement goes out with its parameters in one sp_executesql
            // request, so what went into the silent network may have run.)
            if name == "mssql" {
                return;
            }
            let conn = db.checkout().unwrap();
            conn.exec("SELECT 1", &[]).unwrap();
            proxy.go_silent();
            let err = conn.exec("SELECT 4", &[]).unwrap_err();
            assert_eq!(err.status, Status::Timeout, "{name}: {:?} {}", err.status, err.message);
            assert_eq!(err.retry, RetrySafety::NotSent, "{name}: {}", err.message);
            drop(conn);
            assert_eq!(db.stats().closed_broken, 2, "{name}: {:?}", db.stats());
        });
    }
}

#[test]
fn a_server_that_stops_answering_during_connect_fails_the_open() {
    for (name, url, port, _) in servers() {
        fails_instead_of_hanging(name, move || {
            // The TCP handshake succeeds (the proxy accepts), then nothing
            // comes back: connect_timeout_ms covers the startup and
            // authentication too, not only the TCP connect.
            let proxy = Proxy::start(&upstream_of(&url, port));
            proxy.silence_all();
            let pairs = vec![("connect_timeout_ms".to_string(), "1000".to_string())];
            let e = Db::open_with(&proxy.url_through(&url), &pairs).err().unwrap_or_else(|| panic!("{name}: opened"));
            assert_eq!(e.status, Status::Timeout, "{name}: {:?} {}", e.status, e.message);
            assert_eq!(e.retry, RetrySafety::NotSent, "{name}");
            assert!(e.message.contains("connect_timeout_ms=1000"), "{name}: {}", e.message);
            // The socket timeout is not what ran out.
            assert!(!e.message.contains("socket_timeout_ms"), "{name}: {}", e.message);
        });
    }
}

#[test]
fn socket_options_are_validated_and_sqlite_refuses_them() {
    let e = Db::open_with("sqlite::memory:", &[("socket_timeout_ms".into(), "100".into())]).err().unwrap();
    assert!(e.message.contains("unknown option 'socket_timeout_ms' for sqlite"), "{}", e.message);
    for (name, url, _, _) in servers() {
        let e = Db::open_with(&url, &[("socket_timeout_ms".into(), "soon".into())]).err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument, "{name}");
        assert!(e.message.contains("socket_timeout_ms"), "{name}: {}", e.message);
        let e = Db::open_with(&url, &[("tcp_keepalive_ms".into(), "-1".into())]).err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument, "{name}");
        // Keepalive off and on both connect.
        for ka in ["0", "5000"] {
            let db = Db::open_with(&url, &[("tcp_keepalive_ms".into(), ka.into())]).unwrap();
            db.exec("SELECT 1", &[]).unwrap();
        }
    }
}

/// The checkout's health check (a ping of a connection idle longer than
/// pool_health_check_idle_ms) waits at most connect_timeout_ms when
/// socket_timeout_ms sets no limit: on MySQL it waited for ever on a
/// server that stopped answering. The silent connection is discarded and
/// the checkout gets a new one.
#[test]
fn a_health_check_of_a_silent_connection_gives_up_and_the_pool_reconnects() {
    for (name, url, port, _) in servers() {
        fails_instead_of_hanging(name, move || {
            let proxy = Proxy::start(&upstream_of(&url, port));
            let db = open(&proxy.url_through(&url), &[("connect_timeout_ms", "1500"), ("pool_health_check_idle_ms", "1")]);
            let conn = db.checkout().unwrap();
            conn.exec("SELECT 1", &[]).unwrap();
            drop(conn);
            proxy.go_silent();
            std::thread::sleep(std::time::Duration::from_millis(20));
            let conn = db.checkout().unwrap_or_else(|e| panic!("{name}: {e}"));
            conn.exec("SELECT 1", &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        });
    }
}
