//! SQL Server over TLS: `encrypt=on` (the handshake inside PRELOGIN
//! packets, TDS 7.x), `encrypt=strict` (TLS first, TDS 8.0) and `off`,
//! with the certificate checks and the refusals. These run on the TDS test
//! peer always, also when `KEEL_TEST_MSSQL_URL` names a real server: they
//! need a server whose certificate and encryption setting they control.

use keel::{Db, Status, ValueRef};
use keel_tds_peer::{Encryption, PASSWORD, Peer, tls::CA_FILE};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

fn url(peer: &Peer, host: &str, opts: &str) -> String {
    format!("mssql://keel:{PASSWORD}@{host}:{}/keel?{opts}", peer.port())
}

/// Open and run one statement: where a refusal shows.
fn connect(url: &str) -> keel::Result<Db> {
    let db = Db::open(url)?;
    db.exec("SELECT 1", &[])?;
    Ok(db)
}

fn refused(url: &str) -> keel::Error {
    match connect(url) {
        Ok(_) => panic!("{url} must be refused"),
        Err(e) => {
            assert!(!e.message.contains(PASSWORD), "the password leaked into: {e}");
            e
        }
    }
}

/// A session that works: parameters both ways, a value larger than many
/// TLS records and TDS packets, a few hundred rows, a transaction.
fn exercise(db: &Db) {
    let c = db.checkout().unwrap();
    let mut r = c.query("SELECT ?, ?", &[ValueRef::Int64(42), ValueRef::Text("héllo")]).unwrap();
    assert!(r.next().unwrap());
    assert_eq!(r.value(0).unwrap(), ValueRef::Int64(42));
    assert_eq!(r.value(1).unwrap(), ValueRef::Text("héllo"));
    drop(r);
    let big = "x".repeat(1 << 20);
    let mut r = c.query("SELECT ?", &[ValueRef::Text(&big)]).unwrap();
    assert!(r.next().unwrap());
    assert_eq!(r.value(0).unwrap(), ValueRef::Text(&big));
    drop(r);
    c.exec("CREATE TABLE tls_rows (id INT PRIMARY KEY, v NVARCHAR(50))", &[]).unwrap();
    c.begin(&Default::default()).unwrap();
    for i in 0..300 {
        c.exec("INSERT INTO tls_rows (id, v) VALUES (?, ?)", &[ValueRef::Int64(i), ValueRef::Text("row")]).unwrap();
    }
    c.commit().unwrap();
    let mut r = c.query("SELECT id FROM tls_rows ORDER BY id", &[]).unwrap();
    let mut n = 0;
    while r.next().unwrap() {
        assert_eq!(r.value(0).unwrap(), ValueRef::Int64(n));
        n += 1;
    }
    assert_eq!(n, 300);
    drop(r);
    c.exec("DROP TABLE tls_rows", &[]).unwrap();
}

#[test]
fn encrypt_on_checks_the_certificate_against_the_given_ca() {
    let peer = Peer::start().unwrap();
    let db = connect(&url(&peer, "127.0.0.1", &format!("encrypt=on&trust_server_certificate_ca={CA_FILE}"))).unwrap();
    exercise(&db);
    assert!(peer.tls_sessions() >= 1, "the session was encrypted");
    // The certificate names localhost too.
    connect(&url(&peer, "localhost", &format!("trust_server_certificate_ca={CA_FILE}"))).unwrap();
}

#[test]
fn encrypt_is_on_by_default_and_checks_against_the_system_store() {
    let peer = Peer::start().unwrap();
    let e = refused(&url(&peer, "127.0.0.1", ""));
    assert_eq!(e.status, Status::Unauthenticated, "{e}");
    assert_eq!(e.sqlstate, "08001", "{e}");
    for hint in ["certificate", "trust_server_certificate_ca", "trust_server_certificate=true"] {
        assert!(e.message.contains(hint), "{hint:?} missing from: {e}");
    }
    // A CA that did not sign it.
    let other = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/untrusted-root.pem");
    let e = refused(&url(&peer, "127.0.0.1", &format!("trust_server_certificate_ca={other}")));
    assert_eq!(e.status, Status::Unauthenticated, "{e}");
    assert_eq!(peer.tls_sessions(), 0);
}

#[test]
fn the_certificate_must_name_the_host() {
    let peer = Peer::start().unwrap();
    let ca = format!("trust_server_certificate_ca={CA_FILE}");
    let e = refused(&url(&peer, "127.0.0.1", &format!("{ca}&host_name_in_certificate=db.example.com")));
    assert_eq!(e.status, Status::Unauthenticated, "{e}");
    assert!(e.message.contains("certificate"), "{e}");
    connect(&url(&peer, "127.0.0.1", &format!("{ca}&host_name_in_certificate=localhost"))).unwrap();
    let e = Db::open(&url(&peer, "127.0.0.1", &format!("{ca}&host_name_in_certificate=not%20a%20name")))
        .err()
        .expect("a name no certificate can carry");
    assert_eq!(e.status, Status::InvalidArgument, "{e}");
}

#[test]
fn trust_server_certificate_encrypts_without_checking() {
    let peer = Peer::start().unwrap();
    let db = connect(&url(&peer, "127.0.0.1", "encrypt=on&trust_server_certificate=true")).unwrap();
    exercise(&db);
    assert!(peer.tls_sessions() >= 1);
}

#[test]
fn strict_runs_tls_before_prelogin() {
    let peer = Peer::start().unwrap();
    let db = connect(&url(&peer, "127.0.0.1", &format!("encrypt=strict&trust_server_certificate_ca={CA_FILE}"))).unwrap();
    exercise(&db);
    assert!(peer.tls_sessions() >= 1);
    let e = refused(&url(&peer, "127.0.0.1", "encrypt=strict"));
    assert_eq!(e.status, Status::Unauthenticated, "{e}");
    let e = Db::open(&url(&peer, "127.0.0.1", "encrypt=strict&trust_server_certificate=true")).err().unwrap();
    assert_eq!(e.status, Status::InvalidArgument, "{e}");
}

#[test]
fn encryption_the_server_cannot_give_is_refused() {
    let plain = Peer::start_with(Encryption::NotSupported).unwrap();
    let e = refused(&url(&plain, "127.0.0.1", "encrypt=on&trust_server_certificate=true"));
    assert_eq!(e.status, Status::Unauthenticated, "{e}");
    assert!(e.message.contains("does not offer encryption"), "{e}");
    let e = refused(&url(&plain, "127.0.0.1", &format!("encrypt=strict&trust_server_certificate_ca={CA_FILE}")));
    assert_eq!(e.sqlstate, "08001", "{e}");
    connect(&url(&plain, "127.0.0.1", "encrypt=off")).unwrap();

    let forced = Peer::start_with(Encryption::Required).unwrap();
    let e = refused(&url(&forced, "127.0.0.1", "encrypt=off"));
    assert_eq!(e.status, Status::Unauthenticated, "{e}");
    assert!(e.message.contains("requires encryption"), "{e}");
    connect(&url(&forced, "127.0.0.1", "encrypt=on&trust_server_certificate=true")).unwrap();
}

#[test]
fn cancel_works_through_tls() {
    let peer = Peer::start().unwrap();
    let db = connect(&url(&peer, "127.0.0.1", &format!("trust_server_certificate_ca={CA_FILE}&statement_timeout_ms=300"))).unwrap();
    let c = db.checkout().unwrap();
    let e = c.exec("WAITFOR DELAY '00:00:20'", &[]).expect_err("the timeout stops it");
    assert_eq!(e.status, Status::Timeout, "{e}");
    // The attention was acknowledged through TLS: the session goes on.
    let mut r = c.query("SELECT 7", &[]).unwrap();
    assert!(r.next().unwrap());
    assert_eq!(r.value(0).unwrap(), ValueRef::Int64(7));
    drop(r);
    assert!(!c.is_broken());
}

/// A forwarder that keeps every byte both ways.
fn capturing_proxy(to: u16) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else { return };
            for (mut from, mut into) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || into.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        kept.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = into.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    (port, seen)
}

fn ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn with_encrypt_on_nothing_crosses_the_network_in_the_clear() {
    let peer = Peer::start().unwrap();
    let marker = "secret-marker-4711";
    let on = format!("encrypt=on&trust_server_certificate_ca={CA_FILE}&host_name_in_certificate=localhost");
    for (opts, clear) in [("encrypt=off", true), (on.as_str(), false)] {
        let (port, seen) = capturing_proxy(peer.port());
        let u = format!("mssql://keel:{PASSWORD}@127.0.0.1:{port}/keel?{opts}");
        let db = connect(&u).unwrap();
        let mut r = db.query(&format!("SELECT ? AS v, '{marker}' AS w"), &[ValueRef::Text(marker)]).unwrap();
        assert!(r.next().unwrap());
        assert_eq!(r.value(0).unwrap(), ValueRef::Text(marker));
        drop(r);
        drop(db);
        let bytes = seen.lock().unwrap().clone();
        assert!(!bytes.is_empty());
        assert_eq!(contains(&bytes, &ucs2(marker)), clear, "{opts}: the SQL text in the clear");
        assert_eq!(contains(&bytes, &ucs2("keel")), clear, "{opts}: the user name in the clear");
    }
}
