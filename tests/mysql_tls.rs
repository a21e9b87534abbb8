//! MySQL/MariaDB over TLS against real servers: each `ssl_mode`, what it
//! checks of the server's certificate, client certificates, and the
//! session really being encrypted (or not).
//!
//! Needs the MariaDB with TLS on that `scripts/tls_servers.sh` starts:
//! `KEEL_TEST_MYSQL_TLS_URL` (a user with a password),
//! `KEEL_TEST_MYSQL_TLS_CERT_URL` (a user created `REQUIRE X509`), the test
//! CA in `KEEL_TEST_TLS_CA`, the name the server certificate is issued for
//! in `KEEL_TEST_TLS_HOST` (and not for 127.0.0.1), a client certificate
//! in `KEEL_TEST_TLS_CLIENT_CERT`/`_KEY`, and one from a CA the server does
//! not trust in `KEEL_TEST_TLS_OTHER_CERT`/`_KEY`. Without them each test
//! prints `skipped: ...`. The test against a server without TLS uses
//! `KEEL_TEST_MYSQL_URL` (`scripts/servers.sh`'s MariaDB has TLS off).

mod common;

use keel::{Conn, Db, Status, Value};
use std::time::Duration;

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// The TLS server's URLs and the test files.
struct Server {
    url: String,
    cert_url: String,
    ca: String,
    host: String,
    cert: String,
    key: String,
    other_cert: String,
    other_key: String,
}

fn server() -> Option<Server> {
    // scripts/tls_servers.sh starts that server.
    let url = common::server_url("mysql-tls", "KEEL_TEST_MYSQL_TLS_URL")?;
    let var = |v: &str| env(v).unwrap_or_else(|| panic!("{v} must be set with KEEL_TEST_MYSQL_TLS_URL"));
    Some(Server {
        url,
        cert_url: var("KEEL_TEST_MYSQL_TLS_CERT_URL"),
        ca: var("KEEL_TEST_TLS_CA"),
        host: var("KEEL_TEST_TLS_HOST"),
        cert: var("KEEL_TEST_TLS_CLIENT_CERT"),
        key: var("KEEL_TEST_TLS_CLIENT_KEY"),
        other_cert: var("KEEL_TEST_TLS_OTHER_CERT"),
        other_key: var("KEEL_TEST_TLS_OTHER_KEY"),
    })
}

/// `url` with `key=value` options appended.
fn with(url: &str, opts: &str) -> String {
    format!("{url}{}{opts}", if url.contains('?') { '&' } else { '?' })
}

/// `url` with its host replaced.
fn with_host(url: &str, host: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (auth, rest) = rest.rsplit_once('@').map(|(a, r)| (format!("{a}@"), r)).unwrap_or((String::new(), rest));
    let port_or_path = rest.find([':', '/', '?']).map(|i| &rest[i..]).unwrap_or("");
    format!("{scheme}://{auth}{host}{port_or_path}")
}

/// A root certificate that signed nothing (its key was thrown away).
fn untrusted_root() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/untrusted-root.pem").to_string()
}

fn connect(url: &str) -> keel::Result<Conn> {
    Db::open(url)?.checkout()
}

fn text(conn: &Conn, sql: &str, col: usize) -> String {
    let mut rows = conn.query(sql, &[]).unwrap();
    assert!(rows.next().unwrap(), "{sql}: no row");
    match rows.value(col).unwrap().to_owned() {
        Value::Text(t) => t,
        other => panic!("{sql}: {other:?}"),
    }
}

/// The session's TLS cipher as the server sees it; empty when the session
/// is not encrypted.
fn cipher(conn: &Conn) -> String {
    text(conn, "SHOW SESSION STATUS LIKE 'Ssl_cipher'", 1)
}

fn no_password_in(e: &keel::Error) {
    assert!(!e.message.contains("keel_test_pw"), "the password leaked: {}", e.message);
}

#[test]
fn each_ssl_mode_encrypts_as_mysqls_client_does() {
    let Some(s) = server() else { return };
    assert_eq!(cipher(&connect(&with(&s.url, "ssl_mode=DISABLED")).unwrap()), "");
    // PREFERRED is the default, as in MySQL's client.
    assert_ne!(cipher(&connect(&s.url).unwrap()), "");
    assert_ne!(cipher(&connect(&with(&s.url, "ssl_mode=PREFERRED")).unwrap()), "");
    let required = connect(&with(&s.url, "ssl_mode=REQUIRED")).unwrap();
    assert_ne!(cipher(&required), "");
    assert_eq!(text(&required, "SELECT CONCAT('4', '2')", 0), "42");
    // Any case.
    assert_ne!(cipher(&connect(&with(&s.url, "ssl_mode=required")).unwrap()), "");
    let err = Db::open(&with(&s.url, "ssl_mode=verify-full")).err().unwrap();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.contains("VERIFY_IDENTITY"), "{}", err.message);
}

#[test]
fn verify_ca_checks_the_chain_not_the_name() {
    let Some(s) = server() else { return };
    // The URL's 127.0.0.1 is not in the certificate: VERIFY_CA does not care.
    let conn = connect(&with(&s.url, &format!("ssl_mode=VERIFY_CA&ssl_ca={}", s.ca))).unwrap();
    assert_ne!(cipher(&conn), "");
    // ssl_ca without ssl_mode means VERIFY_CA, as in MySQL's client.
    assert_ne!(cipher(&connect(&with(&s.url, &format!("ssl_ca={}", s.ca))).unwrap()), "");
    for root in [untrusted_root(), "system".to_string()] {
        let err = connect(&with(&s.url, &format!("ssl_mode=VERIFY_CA&ssl_ca={root}"))).err().unwrap();
        if root == "system" && err.status == Status::InvalidArgument {
            println!("skipped: ssl_ca=system ({})", err.message);
            continue;
        }
        assert_eq!(err.status, Status::Unauthenticated, "{root}: {err:?}");
        assert_eq!(err.sqlstate, "08001", "{root}");
        assert_eq!(err.vendor_code, 2026, "{root}");
        assert!(err.message.contains("certificate") && err.message.contains("ssl_ca="), "{}", err.message);
        no_password_in(&err);
    }
}

#[test]
fn verify_identity_checks_the_name_too() {
    let Some(s) = server() else { return };
    let opts = format!("ssl_mode=VERIFY_IDENTITY&ssl_ca={}", s.ca);
    let conn = connect(&with(&with_host(&s.url, &s.host), &opts)).unwrap();
    assert_ne!(cipher(&conn), "");
    // The same trusted certificate reached through a name it was not
    // issued for.
    let err = connect(&with(&with_host(&s.url, "127.0.0.1"), &opts)).err().unwrap();
    assert_eq!(err.status, Status::Unauthenticated, "{err:?}");
    assert_eq!(err.sqlstate, "08001");
    assert!(err.message.contains("not valid for name"), "{}", err.message);
    assert!(err.message.contains("ssl_mode=VERIFY_CA"), "{}", err.message);
    no_password_in(&err);
}

#[test]
fn a_missing_ca_is_a_clear_error_at_open() {
    let Some(s) = server() else { return };
    for mode in ["VERIFY_CA", "VERIFY_IDENTITY"] {
        let err = Db::open(&with(&s.url, &format!("ssl_mode={mode}"))).err().unwrap();
        assert_eq!(err.status, Status::InvalidArgument, "{mode}");
        assert!(err.message.contains("set ssl_ca"), "{}", err.message);
        let err = Db::open(&with(&s.url, &format!("ssl_mode={mode}&ssl_ca=/nonexistent/keel-ca.pem"))).err().unwrap();
        assert_eq!(err.status, Status::InvalidArgument, "{mode}");
        assert!(err.message.contains("ssl_ca: /nonexistent/keel-ca.pem does not exist"), "{}", err.message);
    }
    // A CA with a mode that would not use it is refused, not ignored.
    let err = Db::open(&with(&s.url, &format!("ssl_mode=REQUIRED&ssl_ca={}", s.ca))).err().unwrap();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.contains("VERIFY_CA"), "{}", err.message);
}

#[test]
fn a_client_certificate_logs_in() {
    let Some(s) = server() else { return };
    let files = format!("ssl_cert={}&ssl_key={}", s.cert, s.key);
    let conn = connect(&with(&s.cert_url, &format!("ssl_mode=REQUIRED&{files}"))).unwrap();
    assert_ne!(cipher(&conn), "");
    assert!(text(&conn, "SELECT CURRENT_USER()", 0).starts_with("keel_cert@"));
    let full = with(&with_host(&s.cert_url, &s.host), &format!("ssl_mode=VERIFY_IDENTITY&ssl_ca={}&{files}", s.ca));
    assert!(text(&connect(&full).unwrap(), "SELECT CURRENT_USER()", 0).starts_with("keel_cert@"));

    // Without a certificate the account (REQUIRE X509) is refused.
    let err = connect(&with(&s.cert_url, "ssl_mode=REQUIRED")).err().unwrap();
    assert_eq!(err.status, Status::Unauthenticated, "{err:?}");
    // With one from a CA the server does not trust, the handshake is.
    let err = connect(&with(&s.cert_url, &format!("ssl_mode=REQUIRED&ssl_cert={}&ssl_key={}", s.other_cert, s.other_key)))
        .err()
        .unwrap();
    assert_eq!(err.status, Status::Unauthenticated, "{err:?}");
    assert!(err.message.contains("ssl_cert"), "{}", err.message);
    // A key that is not the certificate's is refused when the pool opens.
    let err = Db::open(&with(&s.cert_url, &format!("ssl_cert={}&ssl_key={}", s.cert, s.other_key))).err().unwrap();
    assert_eq!(err.status, Status::InvalidArgument, "{err:?}");
    assert!(err.message.starts_with("ssl_key:") && err.message.contains(&s.other_key), "{}", err.message);
    let err = Db::open(&with(&s.cert_url, &format!("ssl_cert={}", s.cert))).err().unwrap();
    assert!(err.message.contains("without ssl_key"), "{}", err.message);
}

#[test]
fn cancel_works_through_a_tls_session() {
    let Some(s) = server() else { return };
    let conn = connect(&with(&s.url, "ssl_mode=REQUIRED")).unwrap();
    assert_ne!(cipher(&conn), "");
    let cancel = conn.cancel_handle().unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel().unwrap();
    });
    let err = conn.exec("SELECT SLEEP(30)", &[]).err().unwrap();
    t.join().unwrap();
    assert_eq!(err.status, Status::Cancelled, "{err:?}");
    assert_ne!(cipher(&conn), "");
}

#[test]
fn a_server_without_tls() {
    let Some(url) = common::server_url("mysql", "KEEL_TEST_MYSQL_URL") else { return };
    // REQUIRED fails, saying why and what to change.
    let err = match connect(&with(&url, "ssl_mode=REQUIRED")) {
        Ok(_) => {
            println!("skipped: the server at KEEL_TEST_MYSQL_URL has TLS on");
            return;
        }
        Err(e) => e,
    };
    assert_eq!(err.status, Status::Io, "{err:?}");
    assert_eq!((err.sqlstate.as_str(), err.vendor_code), ("08001", 2026));
    assert!(err.message.contains("does not offer TLS") && err.message.contains("ssl_mode=REQUIRED"), "{}", err.message);
    no_password_in(&err);
    // PREFERRED connects without TLS, every time (the pool remembers).
    let db = Db::open(&with(&url, "ssl_mode=PREFERRED")).unwrap();
    let (a, b) = (db.checkout().unwrap(), db.checkout().unwrap());
    assert_eq!(cipher(&a), "");
    assert_eq!(cipher(&b), "");
}
