//! Input that must not change what runs (issue P8), against the real
//! servers: PostgreSQL startup options that cannot smuggle other options
//! in, user names with a NUL, passwords with `?`, `/` and `@`, repeated
//! options, and PostgreSQL's parameter limit.
//!
//! Needs `KEEL_TEST_POSTGRES_URL` / `KEEL_TEST_MYSQL_URL` (with a user
//! allowed to create users, as `scripts/servers.sh` sets up); a missing
//! one prints `skipped: ...`.

mod common;

use common::{int, scalar};
use keel::{Db, RetrySafety, Status, Value, ValueRef};

fn url(var: &str) -> Option<String> {
    let engine = if var.contains("POSTGRES") { "postgres" } else { "mysql" };
    common::server_url(engine, var)
}

/// `url` with `opts` appended to its query string.
fn with(url: &str, opts: &str) -> String {
    format!("{url}{}{opts}", if url.contains('?') { '&' } else { '?' })
}

/// The URL's `scheme://` and `host:port/db?...` around a new user name and
/// password (both as given: the caller encodes what must be).
fn as_user(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let hostpart = &rest[rest.rfind('@').map_or(0, |a| a + 1)..];
    format!("{scheme}://{user}:{password}@{hostpart}")
}

fn text(db: &Db, sql: &str) -> String {
    let c = db.checkout().unwrap();
    match scalar(&c, sql, &[]) {
        Value::Text(t) => t,
        v => panic!("{sql}: {v:?}"),
    }
}

#[test]
fn postgres_search_path_cannot_set_other_options() {
    let Some(base) = url("KEEL_TEST_POSTGRES_URL") else { return };
    // Tab, newline, vertical tab, form feed and carriage return each
    // separate words for the server's option parser.
    // (Quoted, the whole value is one valid schema name.)
    for ws in ["%09", "%0A", "%0B", "%0C", "%0D", "+"] {
        let db = Db::open(&with(&base, &format!("search_path=%22public{ws}-c{ws}statement_timeout=1234%22")))
            .unwrap_or_else(|e| panic!("{ws}: {e}"));
        assert_eq!(text(&db, "SHOW statement_timeout"), "0", "whitespace {ws} smuggled an option in");
        let sp = text(&db, "SHOW search_path");
        assert!(sp.contains("statement_timeout=1234"), "{ws}: the whole value is the search path: {sp:?}");
    }
    // Unquoted, the server refuses the value as a whole (it is no schema
    // list), which also shows nothing was split off it.
    let e = Db::open(&with(&base, "search_path=public%09-c%09statement_timeout=1234")).map(|_| ()).unwrap_err();
    assert!(e.message.contains("search_path") && e.message.contains("statement_timeout=1234"), "{e}");
    // Backslashes stay backslashes.
    let db = Db::open(&with(&base, "search_path=a%5Cb")).unwrap();
    assert_eq!(text(&db, "SHOW search_path"), "a\\b");
}

#[test]
fn postgres_parameter_limit_is_checked_before_sending() {
    let Some(base) = url("KEEL_TEST_POSTGRES_URL") else { return };
    let db = Db::open(&base).unwrap();
    let c = db.checkout().unwrap();
    let sql = format!("SELECT 1 WHERE 1 IN ({})", vec!["?"; 65536].join(","));
    let e = c.prepare(&sql).map(|_| ()).unwrap_err();
    assert_eq!((e.status, e.retry), (Status::InvalidArgument, RetrySafety::NotSent), "{e}");
    assert!(e.message.contains("65535"), "{e}");
    let native = format!("SELECT ${}::int", 70000);
    assert_eq!(c.prepare(&native).map(|_| ()).unwrap_err().status, Status::InvalidArgument);
    // The session is as it was.
    assert_eq!(int(&c, "SELECT 2", &[]), 2);
    // At the limit it still runs.
    let sql = format!("SELECT count(*) FROM (VALUES {}) v(x)", vec!["(?::int)"; 65535].join(","));
    let params = vec![ValueRef::Int64(1); 65535];
    assert_eq!(int(&c, &sql, &params), 65535);
}

#[test]
fn repeated_options_are_refused() {
    for var in ["KEEL_TEST_POSTGRES_URL", "KEEL_TEST_MYSQL_URL"] {
        let Some(base) = url(var) else { continue };
        let e = Db::open(&with(&base, "connect_timeout_ms=5000&connect_timeout_ms=1")).map(|_| ()).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{e}");
        assert!(e.message.contains("connect_timeout_ms") && e.message.contains("more than once"), "{e}");
    }
    let e = Db::open("sqlite::memory:?mode=rwc&mode=ro").map(|_| ()).unwrap_err();
    assert!(e.message.contains("'mode'"), "{e}");
    // The options API may override the URL's value (it wins), once.
    let db = Db::open_with("sqlite::memory:?busy_timeout_ms=1", &[("busy_timeout_ms".into(), "2".into())]);
    assert!(db.is_ok());
}

#[test]
fn mysql_user_name_with_nul_is_refused() {
    let Some(base) = url("KEEL_TEST_MYSQL_URL") else { return };
    let pw = base.split_once("://").unwrap().1.split('@').next().unwrap().split_once(':').unwrap().1.to_owned();
    let user = base.split_once("://").unwrap().1.split(':').next().unwrap().to_owned();
    let e = Db::open(&as_user(&base, &format!("{user}%00x"), &pw)).map(|_| ()).unwrap_err();
    assert_eq!((e.status, e.retry), (Status::InvalidArgument, RetrySafety::NotSent), "{e}");
    assert!(e.message.contains("NUL") && !e.message.contains(&pw), "{e}");
}

/// A password holding `?`, `/`, `@` and `:` as they are logs in, and no
/// error for a wrong one quotes any of it.
#[test]
fn passwords_with_url_characters() {
    let password = "p?w/x@y:z";
    for (var, create, drop) in [
        (
            "KEEL_TEST_POSTGRES_URL",
            format!("CREATE ROLE keel_pwtest LOGIN PASSWORD '{password}'"),
            "DROP ROLE IF EXISTS keel_pwtest".to_owned(),
        ),
        (
            "KEEL_TEST_MYSQL_URL",
            format!("CREATE USER 'keel_pwtest'@'%' IDENTIFIED BY '{password}'"),
            "DROP USER IF EXISTS 'keel_pwtest'@'%'".to_owned(),
        ),
    ] {
        let Some(base) = url(var) else { continue };
        let admin = Db::open(&base).unwrap();
        admin.exec(&drop, &[]).unwrap();
        admin.exec(&create, &[]).unwrap();
        // MySQL's new user may not use the test database: log in without one.
        let base = if var.contains("MYSQL") { base[..base.rfind('/').unwrap() + 1].to_owned() } else { base };
        let login = as_user(&base, "keel_pwtest", password);
        let r = Db::open(&login).and_then(|db| db.checkout().and_then(|c| Ok(int(&c, "SELECT 5", &[]))));
        let wrong = as_user(&base, "keel_pwtest", "p?w/x@y:WRONG");
        let refused = Db::open(&wrong).map(|_| ());
        admin.exec(&drop, &[]).unwrap();
        assert_eq!(r.unwrap_or_else(|e| panic!("{var}: {e}")), 5);
        match refused {
            // Debian's PostgreSQL trusts loopback logins: any password works.
            Ok(()) => println!("skipped: {var}'s server accepts any password on loopback"),
            Err(e) => {
                assert_eq!(e.status, Status::Unauthenticated, "{var}: {e}");
                for part in ["p?w", "x@y", "WRONG"] {
                    assert!(!e.message.contains(part), "{var}: the message quotes the password: {e}");
                }
            }
        }
    }
}
