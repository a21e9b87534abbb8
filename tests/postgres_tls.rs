//! PostgreSQL over TLS against the real server: each `sslmode`, what it
//! checks of the server's certificate, and cancel through a TLS session.
//!
//! Needs `KEEL_TEST_POSTGRES_URL` and a server with `ssl = on`.
//! `KEEL_TEST_POSTGRES_SSLROOTCERT` (a root that signed the server's
//! certificate) and `KEEL_TEST_POSTGRES_SSLHOST` (a name in that
//! certificate that reaches the server) enable the verifying cases;
//! `scripts/servers.sh` exports both for Debian's local server, whose
//! certificate is self-signed.
//!
//! Client certificates run against a server of the tests' own that takes
//! TLS connections only and authenticates them by certificate
//! (`scripts/tls_servers.sh` starts it): `KEEL_TEST_POSTGRES_CERT_URL`, with
//! the test CA in `KEEL_TEST_TLS_CA`, the name its server certificate is
//! issued for in `KEEL_TEST_TLS_HOST`, a client certificate for the URL's
//! user in `KEEL_TEST_TLS_CLIENT_CERT`/`_KEY`, and one from a CA the
//! server does not trust in `KEEL_TEST_TLS_OTHER_CERT`/`_KEY`.

mod common;

use keel::{Conn, Db, Status, Value};
use std::time::Duration;

fn base_url() -> Option<String> {
    common::server_url("postgres", "KEEL_TEST_POSTGRES_URL")
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
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

/// Whether this session is encrypted, from the server's point of view.
fn encrypted(conn: &Conn) -> bool {
    let mut rows = conn.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap();
    assert!(rows.next().unwrap());
    rows.value(0).unwrap().to_owned() == Value::Bool(true)
}

/// The server's TLS setting, read over a plain connection.
fn server_has_tls(url: &str) -> bool {
    let conn = connect(&with(url, "sslmode=disable")).unwrap();
    let mut rows = conn.query("SHOW ssl", &[]).unwrap();
    assert!(rows.next().unwrap());
    let on = rows.value(0).unwrap().to_owned() == Value::Text("on".into());
    if !on {
        println!("skipped: the server has ssl = off");
    }
    on
}

#[test]
fn sslmodes_encrypt_as_libpq_does() {
    let Some(url) = base_url() else { return };
    if !server_has_tls(&url) {
        return;
    }
    assert!(!encrypted(&connect(&with(&url, "sslmode=disable")).unwrap()));
    assert!(encrypted(&connect(&with(&url, "sslmode=prefer")).unwrap()));
    // prefer is the default, as in libpq.
    assert!(encrypted(&connect(&url).unwrap()));
    let conn = connect(&with(&url, "sslmode=require")).unwrap();
    assert!(encrypted(&conn));
    assert_eq!(conn.query("SELECT 41 + 1", &[]).map(|mut r| {
        r.next().unwrap();
        r.value(0).unwrap().to_owned()
    }).unwrap(), Value::Int64(42));
}

#[test]
fn verify_modes_refuse_an_untrusted_certificate() {
    let Some(url) = base_url() else { return };
    if !server_has_tls(&url) {
        return;
    }
    let root = untrusted_root();
    for mode in ["verify-ca", "verify-full"] {
        let err = connect(&with(&url, &format!("sslmode={mode}&sslrootcert={root}"))).err().unwrap();
        assert_eq!(err.status, Status::Unauthenticated, "{mode}: {err:?}");
        assert_eq!(err.sqlstate, "08001", "{mode}");
        assert!(err.message.to_lowercase().contains("certificate"), "{mode}: {}", err.message);
        assert!(!err.message.contains("keel_test_pw"), "the password leaked: {}", err.message);
    }
}

#[test]
fn verify_ca_and_verify_full_with_the_servers_root() {
    let Some(url) = base_url() else { return };
    if !server_has_tls(&url) {
        return;
    }
    let Some(root) = env("KEEL_TEST_POSTGRES_SSLROOTCERT") else {
        println!("skipped: KEEL_TEST_POSTGRES_SSLROOTCERT is not set");
        return;
    };
    let ca = connect(&with(&url, &format!("sslmode=verify-ca&sslrootcert={root}"))).unwrap();
    assert!(encrypted(&ca));
    // require with a root file checks the chain too (libpq's rule): a
    // wrong root fails where plain require would not.
    assert!(encrypted(&connect(&with(&url, &format!("sslmode=require&sslrootcert={root}"))).unwrap()));
    let err = connect(&with(&url, &format!("sslmode=require&sslrootcert={}", untrusted_root()))).err().unwrap();
    assert_eq!(err.status, Status::Unauthenticated, "{err:?}");

    let Some(host) = env("KEEL_TEST_POSTGRES_SSLHOST") else {
        println!("skipped: verify-full by name (KEEL_TEST_POSTGRES_SSLHOST is not set)");
        return;
    };
    let full = connect(&with(&with_host(&url, &host), &format!("sslmode=verify-full&sslrootcert={root}"))).unwrap();
    assert!(encrypted(&full));
    // The same trusted certificate reached through a name it was not
    // issued for: verify-ca accepts it, verify-full must not.
    let ip_url = with_host(&url, "127.0.0.1");
    if host != "127.0.0.1" {
        let err = connect(&with(&ip_url, &format!("sslmode=verify-full&sslrootcert={root}"))).err().unwrap();
        assert_eq!(err.status, Status::Unauthenticated, "{err:?}");
        assert!(err.message.contains("not valid for name"), "{}", err.message);
        assert!(encrypted(&connect(&with(&ip_url, &format!("sslmode=verify-ca&sslrootcert={root}"))).unwrap()));
    }
}

#[test]
fn a_missing_root_file_is_a_clear_error_at_open() {
    let Some(url) = base_url() else { return };
    let err = Db::open(&with(&url, "sslmode=verify-full&sslrootcert=/nonexistent/keel-root.crt")).err().unwrap();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.contains("/nonexistent/keel-root.crt does not exist"), "{}", err.message);
}

#[test]
fn cancel_works_through_a_tls_session() {
    let Some(url) = base_url() else { return };
    if !server_has_tls(&url) {
        return;
    }
    let conn = connect(&with(&url, "sslmode=require")).unwrap();
    assert!(encrypted(&conn));
    let cancel = conn.cancel_handle().unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel().unwrap();
    });
    let err = conn.exec("SELECT pg_sleep(30)", &[]).err().unwrap();
    t.join().unwrap();
    assert_eq!(err.status, Status::Cancelled, "{err:?}");
    // The session survives the cancel.
    assert!(encrypted(&conn));
}

/// The client-certificate server's URL and the test files, or a skip line.
struct CertServer {
    url: String,
    ca: String,
    host: String,
    cert: String,
    key: String,
    other_cert: String,
    other_key: String,
}

fn cert_server() -> Option<CertServer> {
    // scripts/tls_servers.sh starts that server.
    let url = common::server_url("postgres-cert", "KEEL_TEST_POSTGRES_CERT_URL")?;
    let file = |var: &str| env(var).unwrap_or_else(|| panic!("{var} must be set with KEEL_TEST_POSTGRES_CERT_URL"));
    Some(CertServer {
        url,
        ca: file("KEEL_TEST_TLS_CA"),
        host: file("KEEL_TEST_TLS_HOST"),
        cert: file("KEEL_TEST_TLS_CLIENT_CERT"),
        key: file("KEEL_TEST_TLS_CLIENT_KEY"),
        other_cert: file("KEEL_TEST_TLS_OTHER_CERT"),
        other_key: file("KEEL_TEST_TLS_OTHER_KEY"),
    })
}

fn text(conn: &Conn, sql: &str) -> String {
    let mut rows = conn.query(sql, &[]).unwrap();
    assert!(rows.next().unwrap());
    match rows.value(0).unwrap().to_owned() {
        Value::Text(t) => t,
        other => panic!("{sql}: {other:?}"),
    }
}

#[test]
fn a_client_certificate_logs_in() {
    let Some(s) = cert_server() else { return };
    let url = with(
        &with_host(&s.url, &s.host),
        &format!("sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}", s.ca, s.cert, s.key),
    );
    let conn = connect(&url).unwrap();
    assert!(encrypted(&conn));
    assert_eq!(text(&conn, "SELECT current_user::text"), "keel_cert");
    assert_eq!(text(&conn, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), "/CN=keel_cert");
    // require sends the certificate too (and checks nothing of the server's).
    let conn = connect(&with(&s.url, &format!("sslmode=require&sslcert={}&sslkey={}", s.cert, s.key))).unwrap();
    assert_eq!(text(&conn, "SELECT current_user::text"), "keel_cert");
    // The pool opens more sessions with the same certificate.
    let db = Db::open(&url).unwrap();
    let (a, b) = (db.checkout().unwrap(), db.checkout().unwrap());
    assert!(encrypted(&a) && encrypted(&b));
}

#[test]
fn without_a_client_certificate_the_server_refuses() {
    let Some(s) = cert_server() else { return };
    let err = connect(&with(&s.url, &format!("sslmode=verify-full&sslrootcert={}", s.ca)).replace("127.0.0.1", &s.host))
        .err()
        .unwrap();
    assert_eq!(err.status, Status::Unauthenticated, "{err:?}");
    assert_eq!(err.sqlstate, "28000", "{err:?}");
    assert!(err.message.contains("certificate"), "{}", err.message);
    // And without TLS at all (the server takes TLS connections only).
    let err = connect(&with(&s.url, "sslmode=disable")).err().unwrap();
    assert_eq!(err.status, Status::Unauthenticated, "{err:?}");
}

#[test]
fn a_certificate_the_server_does_not_trust_is_refused() {
    let Some(s) = cert_server() else { return };
    let err = connect(&with(&s.url, &format!("sslmode=require&sslcert={}&sslkey={}", s.other_cert, s.other_key)))
        .err()
        .unwrap();
    assert_eq!(err.status, Status::Unauthenticated, "{err:?}");
    assert_eq!(err.sqlstate, "08001", "{err:?}");
    assert!(err.message.contains("sslcert"), "{}", err.message);
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_at_open() {
    let Some(s) = cert_server() else { return };
    let err = Db::open(&with(&s.url, &format!("sslmode=require&sslcert={}&sslkey={}", s.cert, s.other_key))).err().unwrap();
    assert_eq!(err.status, Status::InvalidArgument, "{err:?}");
    assert!(err.message.starts_with("sslkey:"), "{}", err.message);
    assert!(err.message.contains(&s.other_key) && err.message.contains(&s.cert), "{}", err.message);
    // Nothing of the key itself.
    let pem = std::fs::read_to_string(&s.other_key).unwrap();
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!err.message.contains(line), "key material in: {}", err.message);
    }
    let err = Db::open(&with(&s.url, "sslmode=require&sslcert=/nonexistent/keel-client.crt&sslkey=/nonexistent/k")).err().unwrap();
    assert_eq!(err.status, Status::InvalidArgument, "{err:?}");
    assert!(err.message.contains("sslcert: /nonexistent/keel-client.crt does not exist"), "{}", err.message);
    // A certificate file given as the key.
    let err = Db::open(&with(&s.url, &format!("sslmode=require&sslcert={}&sslkey={}", s.cert, s.cert))).err().unwrap();
    assert_eq!(err.status, Status::InvalidArgument, "{err:?}");
    assert!(err.message.contains("holds no PEM private key"), "{}", err.message);
}
