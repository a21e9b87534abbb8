//! Several servers behind one URL: a PostgreSQL primary and its hot
//! standby (`target_session_attrs`, `load_balance_hosts`), a failover in
//! the middle of a pooled write load, and PgBouncer in session and
//! transaction pooling (`prepared_statements`); and a three-node MariaDB
//! Galera cluster (writes on any node, certification failures, a node
//! killed under a pooled write load).
//!
//! The servers are the tests' own, started by `scripts/cluster_servers.sh`
//! (which `make test` sources): `KEEL_TEST_PG_PAIR_URL`,
//! `KEEL_TEST_PG_FAILOVER_URL` with the commands that stop its primary and
//! promote its standby, `KEEL_TEST_PGBOUNCER_*_URL`, and
//! `KEEL_TEST_GALERA_URL` with the command that kills node 3. A test whose
//! variable is unset prints `skipped: ...`; with `KEEL_TEST_REQUIRE`
//! naming `pg_cluster` (or `galera`) it fails instead.
//!
//! The failover test and the Galera test use their setups up (a promoted
//! standby, a killed node): run `scripts/cluster_servers.sh` again before
//! running them again.

mod common;

use keel::{Db, RetrySafety, Status, Value, ValueRef};
use std::collections::HashMap;
use std::sync::{Arc, Barrier, Mutex};

fn url(var: &str) -> Option<String> {
    common::server_url("pg_cluster", var)
}

fn with(url: &str, opts: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{opts}")
}

/// The URL's hosts, in the order written, as `(first, second)` URLs of
/// one host each.
fn split(url: &str) -> (String, String) {
    let (head, rest) = url.split_once('@').expect("user@hosts");
    let (hosts, tail) = rest.split_once('/').expect("hosts/db");
    let (a, b) = hosts.split_once(',').expect("two hosts");
    (format!("{head}@{a}/{tail}"), format!("{head}@{b}/{tail}"))
}

fn in_recovery(db: &Db) -> bool {
    let c = db.checkout().expect("checkout");
    let mut r = c.query("SELECT pg_is_in_recovery()", &[]).expect("pg_is_in_recovery");
    assert!(r.next().expect("row"));
    r.value(0).expect("value").to_owned() == Value::Bool(true)
}

fn port_of(db: &Db) -> i64 {
    let c = db.checkout().expect("checkout");
    let mut r = c.query("SELECT current_setting('port')::int8", &[]).expect("port");
    assert!(r.next().expect("row"));
    match r.value(0).expect("value").to_owned() {
        Value::Int64(n) => n,
        v => panic!("port is {v:?}"),
    }
}

#[test]
fn target_session_attrs_pick_the_server() {
    let Some(pair) = url("KEEL_TEST_PG_PAIR_URL") else { return };
    let (primary, standby) = split(&pair);
    let p_port = port_of(&Db::open(&primary).expect("primary"));
    let s_port = port_of(&Db::open(&standby).expect("standby"));
    assert_ne!(p_port, s_port);
    for (attrs, want) in [
        ("any", p_port),
        ("read-write", p_port),
        ("primary", p_port),
        ("read-only", s_port),
        ("standby", s_port),
        ("prefer-standby", s_port),
    ] {
        let db = Db::open(&with(&pair, &format!("target_session_attrs={attrs}"))).unwrap_or_else(|e| panic!("{attrs}: {e}"));
        assert_eq!(port_of(&db), want, "target_session_attrs={attrs}");
        assert_eq!(in_recovery(&db), want == s_port, "{attrs}");
    }
    // Either order of hosts: the attribute decides, not the order.
    let (a, b) = pair.split_once(',').unwrap();
    let (h2, tail) = b.split_once('/').unwrap();
    let (head, h1) = a.rsplit_once('@').unwrap();
    let reversed = format!("{head}@{h2},{h1}/{tail}");
    let db = Db::open(&with(&reversed, "target_session_attrs=read-write")).expect("reversed");
    assert_eq!(port_of(&db), p_port);
    // any: the first host written.
    assert_eq!(port_of(&Db::open(&reversed).expect("reversed any")), s_port);
    // A write through read-write lands on the primary and is read on the standby.
    let rw = Db::open(&with(&pair, "target_session_attrs=read-write")).unwrap();
    let ro = Db::open(&with(&pair, "target_session_attrs=standby")).unwrap();
    let t = format!("kc_route_{}", std::process::id());
    rw.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
    rw.exec(&format!("CREATE TABLE {t} (id INT PRIMARY KEY)"), &[]).unwrap();
    rw.exec(&format!("INSERT INTO {t} VALUES (7)"), &[]).unwrap();
    let mut seen = false;
    for _ in 0..200 {
        let c = ro.checkout().unwrap();
        let mut r = c.query(&format!("SELECT count(*) FROM {t}"), &[]);
        if let Ok(r) = r.as_mut()
            && r.next().unwrap()
            && r.value(0).unwrap().to_owned() == Value::Int64(1)
        {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(seen, "the row written on the primary never reached the standby");
    // The standby refuses writes: SQLSTATE 25006, did not commit. (Asked
    // only now that the standby has the table: before it replays the
    // CREATE, the INSERT fails on the missing table instead.)
    let e = ro.exec(&format!("INSERT INTO {t} VALUES (8)"), &[]).unwrap_err();
    assert_eq!(e.sqlstate, "25006", "{e}");
    assert_eq!(e.retry, RetrySafety::NotCommitted, "{e}");
    rw.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}

#[test]
fn random_order_reaches_every_host_and_errors_name_every_host() {
    let Some(pair) = url("KEEL_TEST_PG_PAIR_URL") else { return };
    let (primary, standby) = split(&pair);
    let p_port = port_of(&Db::open(&primary).unwrap());
    let s_port = port_of(&Db::open(&standby).unwrap());
    let mut seen = std::collections::HashSet::new();
    for _ in 0..40 {
        let db = Db::open(&with(&pair, "load_balance_hosts=random&pool_max_idle=0")).unwrap();
        seen.insert(port_of(&db));
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen, [p_port, s_port].into_iter().collect(), "random order never reached both hosts");
    // A host that refuses is skipped; the error after the last names each.
    let (head, rest) = pair.split_once('@').unwrap();
    let (_, tail) = rest.split_once('/').unwrap();
    let dead_first = format!("{head}@127.0.0.1:1,{}/{tail}", rest.split_once(',').unwrap().1.split_once('/').unwrap().0);
    let db = Db::open(&dead_first).expect("the second host");
    assert_eq!(port_of(&db), s_port);
    let e = Db::open(&with(&dead_first, "target_session_attrs=primary&connect_timeout_ms=5000")).err().expect("no primary");
    assert_eq!(e.retry, RetrySafety::NotSent, "{e}");
    assert!(e.message.contains("127.0.0.1:1:"), "{e}");
    assert!(e.message.contains(&format!("127.0.0.1:{s_port}: the server is a standby")), "{e}");
    assert!(e.message.contains("target_session_attrs=primary"), "{e}");
    assert!(!e.message.contains("keel_test_pw"), "{e}");
}

/// Outcome of one write of the load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Committed,
    NotCommitted,
    MayHaveRun,
}

#[test]
fn failover_in_the_middle_of_pooled_writes_loses_nothing_reported_committed() {
    let Some(pair) = url("KEEL_TEST_PG_FAILOVER_URL") else { return };
    let stop = std::env::var("KEEL_TEST_PG_FAILOVER_STOP_PRIMARY").expect("stop command");
    let promote = std::env::var("KEEL_TEST_PG_FAILOVER_PROMOTE").expect("promote command");
    let db = Db::open(&with(&pair, "target_session_attrs=read-write&connect_timeout_ms=2000&pool_max_open=4"))
        .expect("open the failover pair");
    let (_, standby) = split(&pair);
    assert!(in_recovery(&Db::open(&standby).unwrap()), "the failover pair's standby is not a standby: run scripts/cluster_servers.sh again");
    db.exec("CREATE TABLE failover_load (id INT PRIMARY KEY)", &[]).expect("create");
    const WRITERS: i32 = 4;
    const WRITES: i32 = 150;
    let outcomes = Arc::new(Mutex::new(HashMap::new()));
    // Every writer does a third of its writes, then the failover happens
    // while they go on.
    let halfway = Arc::new(Barrier::new(WRITERS as usize + 1));
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (db, outcomes, halfway) = (db.clone(), outcomes.clone(), halfway.clone());
            std::thread::spawn(move || {
                for i in 0..WRITES {
                    if i == WRITES / 3 {
                        halfway.wait();
                    }
                    let id = w * WRITES + i;
                    // A write that did not commit may be sent again; one
                    // that may have run is not (it may have committed).
                    let mut outcome = Outcome::NotCommitted;
                    for _attempt in 0..400 {
                        match db.exec("INSERT INTO failover_load VALUES ($1)", &[ValueRef::Int64(id as i64)]) {
                            Ok(_) => {
                                outcome = Outcome::Committed;
                                break;
                            }
                            Err(e) => match e.retry {
                                RetrySafety::NotSent | RetrySafety::NotCommitted => {
                                    std::thread::sleep(std::time::Duration::from_millis(25));
                                }
                                RetrySafety::MayHaveRun => {
                                    outcome = Outcome::MayHaveRun;
                                    break;
                                }
                                RetrySafety::Unknown => panic!("write {id}: an error that does not say what to do: {e}"),
                            },
                        }
                    }
                    outcomes.lock().unwrap().insert(id, outcome);
                }
            })
        })
        .collect();
    halfway.wait();
    let run = |cmd: &str| {
        let st = std::process::Command::new("sh").arg("-c").arg(cmd).status().expect("run the server command");
        assert!(st.success(), "{cmd}: {st}");
    };
    run(&stop);
    run(&promote);
    for t in threads {
        t.join().expect("writer");
    }
    let outcomes = outcomes.lock().unwrap();
    // Read back on the new primary.
    let c = db.checkout().expect("checkout on the new primary");
    assert!(!in_recovery(&db), "the pool's connection is not on the new primary");
    let mut rows = c.query("SELECT id FROM failover_load", &[]).expect("read back");
    let mut present = std::collections::HashSet::new();
    while rows.next().expect("next") {
        if let Value::Int64(n) = rows.value(0).unwrap().to_owned() {
            present.insert(n as i32);
        }
    }
    drop(rows);
    let (mut committed, mut maybe) = (0, 0);
    for (id, o) in outcomes.iter() {
        match o {
            Outcome::Committed => {
                committed += 1;
                assert!(present.contains(id), "write {id} was reported committed and is missing on the new primary");
            }
            Outcome::NotCommitted => panic!("write {id} never committed in 400 tries"),
            Outcome::MayHaveRun => maybe += 1,
        }
    }
    // Nothing is there that no writer wrote (each id once: a primary key).
    assert!(present.iter().all(|id| outcomes.contains_key(id)));
    assert_eq!(outcomes.len(), (WRITERS * WRITES) as usize);
    println!("{committed} committed, {maybe} may have run, {} rows on the new primary", present.len());
    assert!(committed > 0);
}

#[test]
fn pgbouncer_transaction_mode_needs_unnamed_statements() {
    let Some(tx) = url("KEEL_TEST_PGBOUNCER_TRANSACTION_URL") else { return };
    // Named statements, and several pooled sessions sharing few server
    // connections: a statement prepared through one server connection is
    // run through another, which does not have it. The error names the
    // option.
    let db = Db::open(&with(&tx, "pool_max_idle=8")).expect("open through PgBouncer");
    let mut failure = None;
    let conns: Vec<_> = (0..8).map(|_| db.checkout().expect("checkout")).collect();
    'outer: for round in 0..20 {
        for (i, c) in conns.iter().enumerate() {
            let sql = format!("SELECT {i} + $1 + {round}");
            if let Err(e) = c.exec(&sql, &[ValueRef::Int64(1)]) {
                failure = Some(e);
                break 'outer;
            }
        }
    }
    drop(conns);
    if let Some(e) = failure {
        assert!(e.message.contains("prepared_statements=unnamed"), "{e}");
    }
    // Unnamed: every statement works from any session, in and out of
    // transactions.
    let db = Db::open(&with(&tx, "prepared_statements=unnamed&pool_max_idle=8")).expect("open unnamed");
    let conns: Vec<_> = (0..8).map(|_| db.checkout().expect("checkout")).collect();
    for round in 0..20i64 {
        for (i, c) in conns.iter().enumerate() {
            let mut r = c.query("SELECT $1::int8 + $2::int8", &[ValueRef::Int64(i as i64), ValueRef::Int64(round)]).expect("query");
            assert!(r.next().expect("row"));
            assert_eq!(r.value(0).unwrap().to_owned(), Value::Int64(i as i64 + round));
        }
    }
    let c = &conns[0];
    c.begin(&Default::default()).expect("begin");
    c.exec("SELECT $1::text", &[ValueRef::Text("in a transaction")]).expect("exec in tx");
    c.commit().expect("commit");
}

#[test]
fn pgbouncer_session_mode_keeps_named_statements() {
    let Some(s) = url("KEEL_TEST_PGBOUNCER_SESSION_URL") else { return };
    let db = Db::open(&s).expect("open through PgBouncer");
    let c = db.checkout().unwrap();
    for i in 0..50i64 {
        let mut r = c.query("SELECT $1::int8 * 2", &[ValueRef::Int64(i)]).unwrap();
        assert!(r.next().unwrap());
        assert_eq!(r.value(0).unwrap().to_owned(), Value::Int64(i * 2));
    }
    let e = c.exec("SELEC 1", &[]).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    // A prepared statement the server does not have: the message says
    // what to set behind a pooler in transaction mode.
    let e = c.exec("EXECUTE keel_no_such_statement", &[]).unwrap_err();
    assert_eq!(e.sqlstate, "26000", "{e}");
    assert!(e.message.contains("prepared_statements=unnamed"), "{e}");
    // statement_timeout_ms travels in the startup packet's options, which
    // this PgBouncer refuses (its ignore_startup_parameters does not name
    // it): a clear error at open, not a timeout silently dropped.
    let e = Db::open(&with(&s, "statement_timeout_ms=1000")).err().expect("PgBouncer refuses startup options");
    assert!(e.message.contains("options"), "{e}");
    assert!(!e.message.contains("keel_test_pw"), "{e}");
}

/// The Galera cluster's nodes as URLs of one host each.
fn nodes(url: &str) -> Vec<String> {
    let (head, rest) = url.split_once('@').expect("user@hosts");
    let (hosts, tail) = rest.split_once('/').expect("hosts/db");
    hosts.split(',').map(|h| format!("{head}@{h}/{tail}")).collect()
}

/// One test for the whole cluster, in steps: the last kills a node.
#[test]
fn galera_writes_anywhere_certification_failures_and_a_killed_node() {
    let Some(cluster) = common::server_url("galera", "KEEL_TEST_GALERA_URL") else { return };
    let kill = std::env::var("KEEL_TEST_GALERA_KILL_NODE3").expect("kill command");
    let each: Vec<Db> = nodes(&cluster).iter().map(|u| Db::open(u).expect("a node")).collect();
    assert_eq!(each.len(), 3);
    let t = format!("kg_{}", std::process::id());
    each[0].exec(&format!("CREATE TABLE {t} (id INT PRIMARY KEY, v INT NOT NULL)"), &[]).expect("create");

    // 1. A write on any node is read on the others (Galera's commit waits
    //    for certification; wsrep_sync_wait makes a read wait for the
    //    writes certified before it).
    //    A node still applying the CREATE TABLE may refuse a write with
    //    1213 (the DDL's certification), which says it did not commit, or
    //    not have the table yet (1146: the other nodes apply the DDL after
    //    node 0 returns from it): the write is retried then, as Galera asks
    //    of applications.
    for (i, db) in each.iter().enumerate() {
        let insert = format!("INSERT INTO {t} VALUES (?, 0)");
        let mut tries = 0;
        loop {
            match db.exec(&insert, &[ValueRef::Int64(i as i64)]) {
                Ok(_) => break,
                Err(e)
                    if ((e.vendor_code == 1213 && e.retry == keel::RetrySafety::NotCommitted) || e.vendor_code == 1146)
                        && tries < 10 =>
                {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("insert on node {i}: {e:?}"),
            }
        }
    }
    for db in &each {
        let c = db.checkout().unwrap();
        c.exec("SET SESSION wsrep_sync_wait = 1", &[]).unwrap();
        let mut r = c.query(&format!("SELECT COUNT(*) FROM {t}"), &[]).unwrap();
        assert!(r.next().unwrap());
        assert_eq!(r.value(0).unwrap().to_owned(), Value::Int64(3));
    }

    // 2. Certification failure: the same row changed on two nodes at once;
    //    the second commit fails with 1213, BUSY, did not commit.
    let (a, b) = (each[0].checkout().unwrap(), each[1].checkout().unwrap());
    a.begin(&Default::default()).unwrap();
    b.begin(&Default::default()).unwrap();
    a.exec(&format!("UPDATE {t} SET v = 1 WHERE id = 0"), &[]).unwrap();
    b.exec(&format!("UPDATE {t} SET v = 2 WHERE id = 0"), &[]).unwrap();
    a.commit().expect("the first commit wins");
    let e = b.commit().expect_err("the second commit fails certification");
    assert_eq!(e.vendor_code, 1213, "{e}");
    assert_eq!(e.status, Status::Busy, "{e}");
    assert_eq!(e.retry, RetrySafety::NotCommitted, "{e}");
    drop((a, b));
    let c = each[1].checkout().unwrap();
    c.exec("SET SESSION wsrep_sync_wait = 1", &[]).unwrap();
    let mut r = c.query(&format!("SELECT v FROM {t} WHERE id = 0"), &[]).unwrap();
    assert!(r.next().unwrap());
    assert_eq!(r.value(0).unwrap().to_owned(), Value::Int64(1), "the failed transaction left nothing");
    drop(r);
    drop(c);

    // 3. A node killed in the middle of a pooled write load, through the
    //    several-host URL in random order.
    let db = Db::open(&format!("{cluster}?load_balance_hosts=random&connect_timeout_ms=2000&pool_max_open=6"))
        .expect("open the cluster");
    const WRITERS: i64 = 4;
    const WRITES: i64 = 150;
    let outcomes = Arc::new(Mutex::new(HashMap::new()));
    let halfway = Arc::new(Barrier::new(WRITERS as usize + 1));
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (db, outcomes, halfway, t) = (db.clone(), outcomes.clone(), halfway.clone(), t.clone());
            std::thread::spawn(move || {
                for i in 0..WRITES {
                    if i == WRITES / 3 {
                        halfway.wait();
                    }
                    let id = 1000 + w * WRITES + i;
                    let mut outcome = Outcome::NotCommitted;
                    for _attempt in 0..400 {
                        match db.exec(&format!("INSERT INTO {t} VALUES (?, 0)"), &[ValueRef::Int64(id)]) {
                            Ok(_) => {
                                outcome = Outcome::Committed;
                                break;
                            }
                            Err(e) => match e.retry {
                                RetrySafety::NotSent | RetrySafety::NotCommitted => {
                                    std::thread::sleep(std::time::Duration::from_millis(25));
                                }
                                RetrySafety::MayHaveRun => {
                                    outcome = Outcome::MayHaveRun;
                                    break;
                                }
                                RetrySafety::Unknown => panic!("write {id}: an error that does not say what to do: {e}"),
                            },
                        }
                    }
                    outcomes.lock().unwrap().insert(id, outcome);
                }
            })
        })
        .collect();
    halfway.wait();
    let st = std::process::Command::new("sh").arg("-c").arg(&kill).status().expect("kill node 3");
    assert!(st.success(), "{kill}: {st}");
    for th in threads {
        th.join().expect("writer");
    }
    let outcomes = outcomes.lock().unwrap();
    let c = each[0].checkout().unwrap();
    c.exec("SET SESSION wsrep_sync_wait = 1", &[]).unwrap();
    let mut rows = c.query(&format!("SELECT id FROM {t} WHERE id >= 1000"), &[]).unwrap();
    let mut present = std::collections::HashSet::new();
    while rows.next().unwrap() {
        if let Value::Int64(n) = rows.value(0).unwrap().to_owned() {
            present.insert(n);
        }
    }
    drop(rows);
    let (mut committed, mut maybe) = (0, 0);
    for (id, o) in outcomes.iter() {
        match o {
            Outcome::Committed => {
                committed += 1;
                assert!(present.contains(id), "write {id} was reported committed and is missing on node 1");
            }
            Outcome::NotCommitted => panic!("write {id} never committed in 400 tries"),
            Outcome::MayHaveRun => maybe += 1,
        }
    }
    assert!(present.iter().all(|id| outcomes.contains_key(id)));
    assert_eq!(outcomes.len(), (WRITERS * WRITES) as usize);
    println!("{committed} committed, {maybe} may have run, {} rows on node 1", present.len());
    c.exec(&format!("DROP TABLE {t}"), &[]).unwrap();
}

fn backend_pid(c: &keel::Conn) -> i64 {
    let mut r = c.query("SELECT pg_backend_pid()::int8", &[]).expect("pid");
    assert!(r.next().expect("row"));
    match r.value(0).expect("value").to_owned() {
        Value::Int64(n) => n,
        v => panic!("pid is {v:?}"),
    }
}

/// A pooled session opened for read-write whose server turns read-only
/// (here by `default_transaction_read_only`, as a demoted primary would
/// answer) is closed: at its next write error (25006), or at its next
/// checkout, and the next one is read-write.
#[test]
fn a_read_write_session_that_turned_read_only_is_discarded() {
    let Some(pair) = url("KEEL_TEST_PG_PAIR_URL") else { return };
    let db = Db::open(&with(&pair, "target_session_attrs=read-write&pool_max_open=1")).expect("open");
    let t = format!("kc_demoted_{}", std::process::id());
    db.exec(&format!("DROP TABLE IF EXISTS {t}"), &[]).unwrap();
    db.exec(&format!("CREATE TABLE {t} (id INT PRIMARY KEY)"), &[]).unwrap();

    // At the next write error.
    let c = db.checkout().unwrap();
    let first = backend_pid(&c);
    c.exec("SET SESSION default_transaction_read_only = on", &[]).unwrap();
    let e = c.exec(&format!("INSERT INTO {t} VALUES (1)"), &[]).unwrap_err();
    assert_eq!(e.sqlstate, "25006", "{e}");
    assert_eq!(e.retry, RetrySafety::NotCommitted, "{e}");
    assert!(e.message.contains("target_session_attrs"), "{e}");
    drop(c);
    let c = db.checkout().unwrap();
    let second = backend_pid(&c);
    assert_ne!(first, second, "the session refused as read-only was reused");
    c.exec(&format!("INSERT INTO {t} VALUES (1)"), &[]).expect("a write on the new session");

    // At the next checkout, without a write.
    c.exec("SET SESSION default_transaction_read_only = on", &[]).unwrap();
    drop(c);
    let c = db.checkout().unwrap();
    assert_ne!(backend_pid(&c), second, "a session that is read-only now was handed out for read-write");
    c.exec(&format!("INSERT INTO {t} VALUES (2)"), &[]).expect("a write after checkout");
    c.exec(&format!("DROP TABLE {t}"), &[]).unwrap();

    // target_session_attrs=any keeps its sessions as they are.
    let any = Db::open(&with(&pair, "pool_max_open=1")).unwrap();
    let c = any.checkout().unwrap();
    let pid = backend_pid(&c);
    c.exec("SET SESSION default_transaction_read_only = on", &[]).unwrap();
    drop(c);
    assert_eq!(backend_pid(&any.checkout().unwrap()), pid);
}

/// MySQL/MariaDB URLs with several hosts, on the machine's server: a host
/// that refuses is skipped, and when none answers the error names each.
#[test]
fn mysql_hosts_in_order_skip_one_that_refuses() {
    let Some(my) = common::server_url("mysql", "KEEL_TEST_MYSQL_URL") else { return };
    let (head, rest) = my.split_once('@').unwrap();
    let (hosts, tail) = rest.split_once('/').unwrap();
    let db = Db::open(&format!("{head}@127.0.0.1:1,{hosts}/{tail}")).expect("the second host");
    let c = db.checkout().unwrap();
    let mut r = c.query("SELECT 41 + 1", &[]).unwrap();
    assert!(r.next().unwrap());
    assert_eq!(r.value(0).unwrap().as_i64().unwrap(), 42);
    drop(r);
    let sep = if tail.contains('?') { '&' } else { '?' };
    let e = Db::open(&format!("{head}@127.0.0.1:1,127.0.0.1:2/{tail}{sep}connect_timeout_ms=3000")).err().expect("no host answers");
    assert_eq!(e.retry, RetrySafety::NotSent, "{e}");
    assert!(e.message.contains("could not connect to any MySQL host"), "{e}");
    assert!(e.message.contains("127.0.0.1:1:") && e.message.contains("127.0.0.1:2:"), "{e}");
    assert!(!e.message.contains("keel_test_pw"), "{e}");
    // An engine with one host per URL says so.
    let e = Db::open("sqlite://u@a,b/x.db").err().expect("sqlite takes one host");
    assert_eq!(e.status, Status::InvalidArgument, "{e}");
}
