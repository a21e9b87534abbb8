//! TLS for MySQL/MariaDB connections, with MySQL's own client options.
//!
//! | ssl_mode          | TLS                       | server certificate checked             |
//! |-------------------|---------------------------|----------------------------------------|
//! | `DISABLED`        | never                     | —                                      |
//! | `PREFERRED`       | if the server offers it   | no (encryption only)                   |
//! | `REQUIRED`        | always, or the open fails | no (encryption only)                   |
//! | `VERIFY_CA`       | always                    | chain to a root in `ssl_ca`            |
//! | `VERIFY_IDENTITY` | always                    | chain, and the host name matches       |
//!
//! The values are MySQL's spellings; case does not matter. Without
//! `ssl_mode` the mode is `PREFERRED`, or `VERIFY_CA` when `ssl_ca` is
//! given (as MySQL's client does). `ssl_ca` is a PEM file of trusted roots,
//! or `system` for the system's CA bundle file (`SSL_CERT_FILE`, or
//! OpenSSL's usual place such as `/etc/ssl/certs/ca-certificates.crt`);
//! the verifying modes need it, and with `PREFERRED` or `REQUIRED` it
//! would go unused, so it is refused there rather than ignored.
//! `ssl_cert` and `ssl_key` (both or neither) are the client certificate
//! (PEM, intermediates after it) and its unencrypted PEM key, sent when
//! the server asks for one (an account created `REQUIRE X509`). Files are
//! read and checked when the pool opens: a missing or unreadable file, or
//! a key that is not the certificate's, is INVALID_ARGUMENT naming the
//! option and the file. With `DISABLED` none of them is read.
//!
//! `PREFERRED` against a server without TLS: the server says so in its
//! first packet, and the mysql crate then gives up the connection, so keel
//! connects again without TLS and the pool remembers it (its later
//! connections go without TLS straight away). A failed certificate check
//! is UNAUTHENTICATED with SQLSTATE 08001 and the message names the
//! options that fix it; a server refusing the client certificate is
//! UNAUTHENTICATED too; `REQUIRED` or stronger against a server without
//! TLS is IO (08001). TLS failures carry MySQL's client error number 2026
//! (CR_SSL_CONNECTION_ERROR) as the vendor code.
//!
//! How: the mysql crate does the handshake (rustls, ring provider) and
//! cannot take a prepared rustls configuration, only a root file, a
//! client certificate and key file, and two switches (accept any
//! certificate; skip the name check). keel checks the files with
//! [`crate::drivers::tls`] at open and maps the modes onto those switches.
//! The crate also trusts the roots of the `webpki-roots` crate; keel's
//! build replaces that crate with one whose only root verifies nothing
//! (`vendor/webpki-roots`), and the verifying modes refuse to run if the
//! real one was built in instead, so `ssl_ca` is the only trust.

use crate::core::error::{Error, Result, RetrySafety, Status};
use crate::drivers::tls::{Identity, refuses_client_certificate, roots};
use std::path::{Path, PathBuf};

/// MySQL's client error number for a failed TLS connection.
const CR_SSL_CONNECTION_ERROR: i32 = 2026;

/// `ssl_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Disabled => "DISABLED",
            Mode::Preferred => "PREFERRED",
            Mode::Required => "REQUIRED",
            Mode::VerifyCa => "VERIFY_CA",
            Mode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    fn verifies(self) -> bool {
        matches!(self, Mode::VerifyCa | Mode::VerifyIdentity)
    }
}

/// The TLS options of a URL as given; empty means not set.
#[derive(Clone, Copy, Debug, Default)]
pub struct SslOptions<'a> {
    pub ssl_mode: &'a str,
    pub ssl_ca: &'a str,
    pub ssl_cert: &'a str,
    pub ssl_key: &'a str,
}

/// The TLS policy of one connector.
#[derive(Clone, Debug)]
pub struct Tls {
    pub mode: Mode,
    /// What the mysql crate is given; `None` with `DISABLED`.
    pub ssl_opts: Option<mysql::SslOpts>,
}

/// The subject key of the inert root in keel's `vendor/webpki-roots`.
const INERT_SPKI: &[u8] = b"\x30\x04\x06\x02\x88\x37\x03\x01\x00";

/// Whether the mysql crate's built-in roots are keel's inert stand-in
/// (they are whenever keel is built as its own workspace).
fn built_in_roots_are_inert() -> bool {
    webpki_roots::TLS_SERVER_ROOTS.iter().all(|a| a.subject_public_key_info.as_ref() == INERT_SPKI)
}

/// The system's CA bundle file, for `ssl_ca=system`.
fn system_bundle() -> Option<PathBuf> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        openssl_probe::probe().cert_file
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        std::env::var_os("SSL_CERT_FILE").map(PathBuf::from).filter(|p| p.exists())
    }
}

fn parse_mode(given: &str, ssl_ca: &str) -> Result<Mode> {
    Ok(match given.to_ascii_uppercase().as_str() {
        "" if ssl_ca.is_empty() => Mode::Preferred,
        "" => Mode::VerifyCa,
        "DISABLED" => Mode::Disabled,
        "PREFERRED" => Mode::Preferred,
        "REQUIRED" => Mode::Required,
        "VERIFY_CA" => Mode::VerifyCa,
        "VERIFY_IDENTITY" => Mode::VerifyIdentity,
        _ => {
            return Err(Error::invalid_argument(format!(
                "option ssl_mode={given:?} is invalid: expected one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY"
            )));
        }
    })
}

/// Build the policy for the options, checking every file they name.
pub fn policy(o: &SslOptions<'_>) -> Result<Tls> {
    let mode = parse_mode(o.ssl_mode, o.ssl_ca)?;
    if mode == Mode::Disabled {
        return Ok(Tls { mode, ssl_opts: None });
    }
    let mut ssl = mysql::SslOpts::default();
    if mode.verifies() {
        if !built_in_roots_are_inert() {
            return Err(Error::new(
                Status::NotImplemented,
                format!(
                    "ssl_mode={} cannot be kept in this build: the mysql crate would also trust the CAs built into \
                     webpki-roots; build keel with its [patch] of webpki-roots (vendor/webpki-roots)",
                    mode.name()
                ),
            ));
        }
        let file = match o.ssl_ca {
            "" => {
                return Err(Error::invalid_argument(format!(
                    "ssl_mode={} needs trusted root certificates: set ssl_ca to a PEM file of the CA that signed the \
                     server's certificate, or ssl_ca=system for the system's CA bundle",
                    mode.name()
                )));
            }
            "system" => {
                let file = system_bundle().ok_or_else(|| {
                    Error::invalid_argument(
                        "ssl_ca=system: no system CA bundle file was found (set SSL_CERT_FILE, or ssl_ca to a PEM file)",
                    )
                })?;
                roots(&file, "ssl_ca=system: the system CA bundle")?;
                file
            }
            path => {
                roots(Path::new(path), "ssl_ca")?;
                PathBuf::from(path)
            }
        };
        ssl = ssl.with_root_cert_path(Some(file)).with_danger_skip_domain_validation(mode == Mode::VerifyCa);
    } else {
        if !o.ssl_ca.is_empty() {
            return Err(Error::invalid_argument(format!(
                "ssl_ca is given but ssl_mode={} does not check the server's certificate: use ssl_mode=VERIFY_CA \
                 or VERIFY_IDENTITY (or leave ssl_mode out: with ssl_ca it is VERIFY_CA)",
                mode.name()
            )));
        }
        ssl = ssl.with_danger_accept_invalid_certs(true);
    }
    match (o.ssl_cert, o.ssl_key) {
        ("", "") => {}
        (_, "") => return Err(Error::invalid_argument("ssl_cert is given without ssl_key: set ssl_key to its private key's PEM file")),
        ("", _) => return Err(Error::invalid_argument("ssl_key is given without ssl_cert: set ssl_cert to its certificate's PEM file")),
        (cert, key) => {
            let id = Identity::load(Path::new(cert), Path::new(key), "ssl_cert", "ssl_key")?;
            let identity = mysql::ClientIdentity::new(id.cert_file().to_owned(), id.key_file().to_owned());
            ssl = ssl.with_client_identity(Some(identity));
        }
    }
    Ok(Tls { mode, ssl_opts: Some(ssl) })
}

/// Whether the connect failed because the server offers no TLS.
pub fn server_has_no_tls(e: &mysql::Error) -> bool {
    matches!(e, mysql::Error::DriverError(mysql::DriverError::TlsNotSupported))
}

/// The rustls error behind a failed connect, if TLS is what failed. (The
/// crate's error has no `source()`, so its variants are opened by hand.)
fn rustls_error(e: &mysql::Error) -> Option<&rustls::Error> {
    let first: &(dyn std::error::Error + 'static) = match e {
        mysql::Error::IoError(io) => io,
        mysql::Error::CodecError(c) => std::error::Error::source(c)?,
        mysql::Error::TlsError(t) => std::error::Error::source(t)?,
        _ => return None,
    };
    let mut source = Some(first);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        if let Some(t) = s.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|i| i.downcast_ref::<rustls::Error>()) {
            return Some(t);
        }
        source = s.source();
    }
    None
}

/// keel's error for a connect that failed in TLS under `mode` (to the
/// server `server`), or `None` when TLS is not what failed.
pub fn failure(e: &mysql::Error, mode: Mode, server: &str) -> Option<Error> {
    let (status, message) = if server_has_no_tls(e) {
        (
            Status::Io,
            format!(
                "the MySQL server at {server} does not offer TLS, and ssl_mode={} requires it: turn TLS on at the \
                 server (its ssl_cert and ssl_key settings), or use ssl_mode=PREFERRED to connect without it",
                mode.name()
            ),
        )
    } else {
        let t = rustls_error(e)?;
        match t {
            rustls::Error::InvalidCertificate(c) => {
                let fix = match c {
                    rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. } => {
                        "connect by a host name the certificate was issued for, or check only its chain with \
                         ssl_mode=VERIFY_CA"
                    }
                    _ => {
                        "give the CA that signed it with ssl_ca=FILE.pem (ssl_ca=system for the system's CAs), or \
                         (only on a network you trust) encrypt without checking with ssl_mode=REQUIRED"
                    }
                };
                (
                    Status::Unauthenticated,
                    format!("the MySQL server at {server}: its certificate was not accepted by ssl_mode={} ({t}); {fix}", mode.name()),
                )
            }
            rustls::Error::AlertReceived(a) if refuses_client_certificate(a) => (
                Status::Unauthenticated,
                format!(
                    "the MySQL server at {server} refused the client certificate ({t}): ssl_cert and ssl_key must \
                     hold a certificate it trusts, and its key"
                ),
            ),
            _ => (Status::Io, format!("the MySQL server at {server}: TLS failed: {t}")),
        }
    };
    let mut err = Error::new(status, message).with_sqlstate("08001").with_driver("mysql").with_retry(RetrySafety::NotSent);
    err.vendor_code = CR_SSL_CONNECTION_ERROR;
    Some(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts<'a>(ssl_mode: &'a str, ssl_ca: &'a str) -> SslOptions<'a> {
        SslOptions { ssl_mode, ssl_ca, ..SslOptions::default() }
    }

    fn fixture_root() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/untrusted-root.pem").to_string()
    }

    #[test]
    fn modes_by_their_mysql_names_in_any_case() {
        assert_eq!(policy(&opts("", "")).unwrap().mode, Mode::Preferred);
        assert!(policy(&opts("DISABLED", "")).unwrap().ssl_opts.is_none());
        assert_eq!(policy(&opts("disabled", "")).unwrap().mode, Mode::Disabled);
        let required = policy(&opts("Required", "")).unwrap();
        assert_eq!(required.mode, Mode::Required);
        assert!(required.ssl_opts.unwrap().accept_invalid_certs());
        let preferred = policy(&opts("preferred", "")).unwrap().ssl_opts.unwrap();
        assert!(preferred.accept_invalid_certs());
        let e = policy(&opts("verify-full", "")).err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY"), "{}", e.message);
    }

    #[test]
    fn verifying_modes_map_onto_the_crates_switches() {
        let root = fixture_root();
        let ca = policy(&opts("verify_ca", &root)).unwrap().ssl_opts.unwrap();
        assert!(!ca.accept_invalid_certs());
        assert!(ca.skip_domain_validation());
        assert_eq!(ca.root_cert_path(), Some(Path::new(&root)));
        let full = policy(&opts("VERIFY_IDENTITY", &root)).unwrap().ssl_opts.unwrap();
        assert!(!full.accept_invalid_certs() && !full.skip_domain_validation());
        // ssl_ca alone means VERIFY_CA, as in MySQL's client.
        assert_eq!(policy(&opts("", &root)).unwrap().mode, Mode::VerifyCa);
    }

    #[test]
    fn only_ssl_ca_is_trusted() {
        // The build uses vendor/webpki-roots, whose one root verifies nothing.
        assert!(built_in_roots_are_inert());
    }

    #[test]
    fn missing_or_pointless_files_are_refused() {
        for mode in ["VERIFY_CA", "VERIFY_IDENTITY"] {
            let e = policy(&opts(mode, "")).err().unwrap();
            assert_eq!(e.status, Status::InvalidArgument);
            assert!(e.message.contains("set ssl_ca"), "{}", e.message);
            let e = policy(&opts(mode, "/nonexistent/ca.pem")).err().unwrap();
            assert!(e.message.contains("ssl_ca: /nonexistent/ca.pem does not exist"), "{}", e.message);
        }
        for mode in ["PREFERRED", "REQUIRED"] {
            let e = policy(&opts(mode, &fixture_root())).err().unwrap();
            assert_eq!(e.status, Status::InvalidArgument);
            assert!(e.message.contains("VERIFY_CA"), "{}", e.message);
        }
        // DISABLED reads no file.
        assert!(policy(&SslOptions { ssl_mode: "DISABLED", ssl_cert: "/nonexistent/c.pem", ..Default::default() }).is_ok());
        let e = policy(&SslOptions { ssl_cert: "/nonexistent/c.pem", ..Default::default() }).err().unwrap();
        assert!(e.message.contains("without ssl_key"), "{}", e.message);
        let e = policy(&SslOptions { ssl_key: "/nonexistent/k.pem", ..Default::default() }).err().unwrap();
        assert!(e.message.contains("without ssl_cert"), "{}", e.message);
        let e = policy(&SslOptions { ssl_cert: "/nonexistent/c.pem", ssl_key: "/nonexistent/k.pem", ..Default::default() })
            .err()
            .unwrap();
        assert!(e.message.contains("ssl_cert: /nonexistent/c.pem does not exist"), "{}", e.message);
    }

    #[test]
    fn system_roots_come_from_a_bundle_file() {
        match (system_bundle(), policy(&opts("VERIFY_IDENTITY", "system"))) {
            (Some(file), Ok(tls)) => assert_eq!(tls.ssl_opts.unwrap().root_cert_path(), Some(file.as_path())),
            (None, Err(e)) => assert!(e.message.contains("no system CA bundle"), "{}", e.message),
            (Some(file), Err(e)) => assert!(e.message.contains("ssl_ca=system"), "{}: {}", file.display(), e.message),
            (None, Ok(_)) => panic!("ssl_ca=system without a bundle file"),
        }
    }
}
