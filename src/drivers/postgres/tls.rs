//! TLS for PostgreSQL connections: rustls (ring provider) behind
//! tokio-postgres, with libpq's `sslmode` semantics.
//!
//! | sslmode       | TLS                         | server certificate checked       |
//! |---------------|-----------------------------|----------------------------------|
//! | `disable`     | never                       | —                                |
//! | `prefer`      | if the server offers it     | no (encryption only)             |
//! | `require`     | always, or the open fails   | no, unless `sslrootcert` is set  |
//! | `verify-ca`   | always                      | chain to a trusted root          |
//! | `verify-full` | always                      | chain, and the host name matches |
//!
//! As in libpq, `require` with an explicit `sslrootcert` checks the chain
//! like `verify-ca`. Roots come from `sslrootcert`: a PEM file, or
//! `system` for the operating system's trust store; by default libpq's
//! `~/.postgresql/root.crt`. The tokio-postgres `SslMode` only knows
//! disable/prefer/require, so the verify modes are `require` plus the
//! verifier below. As in libpq, a Unix-domain socket never uses TLS.

use crate::core::error::{Error, Result, Status};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What the client checks of the server's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Nothing: the connection is encrypted but the server unauthenticated
    /// (`prefer`, `require`), as libpq does.
    Nothing,
    /// The chain ends at a trusted root (`verify-ca`).
    Chain,
    /// The chain, and the certificate names the host (`verify-full`).
    ChainAndName,
}

/// The TLS policy of one connector.
#[derive(Clone)]
pub struct Tls {
    pub mode: SslMode,
    /// Makes the handshake for a host; never used with `SslMode::Disable`.
    pub connect: MakeRustlsConnect,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl Tls {
    /// The handshake for one connection to `host` (the name a
    /// `verify-full` certificate must carry).
    pub fn for_host<S>(&self, host: &str) -> Result<<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect>
    where
        MakeRustlsConnect: MakeTlsConnect<S>,
        <MakeRustlsConnect as MakeTlsConnect<S>>::Error: std::fmt::Display,
    {
        let mut make = self.connect.clone();
        make.make_tls_connect(host)
            .map_err(|e| Error::invalid_argument(format!("TLS: host name {host:?}: {e}")))
    }
}

/// Build the policy for `sslmode` and `sslrootcert` (empty: the default).
pub fn policy(sslmode: &str, sslrootcert: &str) -> Result<Tls> {
    let (mode, check) = match sslmode {
        "disable" => (SslMode::Disable, Check::Nothing),
        "prefer" => (SslMode::Prefer, Check::Nothing),
        "require" if sslrootcert.is_empty() => (SslMode::Require, Check::Nothing),
        "require" | "verify-ca" => (SslMode::Require, Check::Chain),
        "verify-full" => (SslMode::Require, Check::ChainAndName),
        other => return Err(Error::invalid_argument(format!("unknown sslmode {other:?}"))),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = if check == Check::Nothing {
        RootCertStore::empty()
    } else {
        roots(sslmode, sslrootcert)?
    };
    let verifier = Arc::new(Verifier { check, roots: Arc::new(roots), provider: provider.clone() });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Status::Internal, format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Tls { mode, connect: MakeRustlsConnect::new(config) })
}

/// The trusted roots for the verifying modes.
fn roots(sslmode: &str, sslrootcert: &str) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    if sslrootcert == "system" {
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = store.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(Error::invalid_argument(format!(
                "sslmode={sslmode} with sslrootcert=system: the system trust store has no usable certificates"
            )));
        }
        return Ok(store);
    }
    let path = if sslrootcert.is_empty() {
        let home = std::env::var_os("HOME").unwrap_or_default();
        std::path::Path::new(&home).join(".postgresql/root.crt")
    } else {
        std::path::PathBuf::from(sslrootcert)
    };
    let shown = path.display();
    if !path.exists() {
        return Err(Error::invalid_argument(format!(
            "sslmode={sslmode} needs trusted root certificates, and {shown} does not exist: \
             set sslrootcert to a PEM file, or sslrootcert=system for the system's trust store"
        )));
    }
    let certs = CertificateDer::pem_file_iter(&path)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::invalid_argument(format!("sslrootcert {shown}: not a PEM certificate file ({e})")))?;
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(Error::invalid_argument(format!("sslrootcert {shown}: holds no usable certificate")));
    }
    Ok(store)
}

#[derive(Debug)]
struct Verifier {
    check: Check,
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if self.check == Check::Nothing {
            return Ok(ServerCertVerified::assertion());
        }
        let cert = ParsedCertificate::try_from(end_entity)?;
        let algs = self.provider.signature_verification_algorithms.all;
        verify_server_cert_signed_by_trust_anchor(&cert, &self.roots, intermediates, now, algs)?;
        if self.check == Check::ChainAndName {
            verify_server_name(&cert, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    // The handshake signatures are checked in every mode: without that, a
    // man in the middle could replay a certificate it has no key for.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(policy("disable", "").unwrap().mode, SslMode::Disable);
        assert_eq!(policy("prefer", "").unwrap().mode, SslMode::Prefer);
        assert_eq!(policy("require", "").unwrap().mode, SslMode::Require);
        assert_eq!(policy("bogus", "").err().unwrap().status, Status::InvalidArgument);
    }

    #[test]
    fn verifying_modes_need_roots() {
        for mode in ["verify-ca", "verify-full"] {
            let e = policy(mode, "/nonexistent/root.crt").err().unwrap();
            assert_eq!(e.status, Status::InvalidArgument);
            assert!(e.message.contains("/nonexistent/root.crt does not exist"), "{}", e.message);
        }
        // require with an explicit root file verifies the chain (libpq).
        assert!(policy("require", "/nonexistent/root.crt").is_err());
        let not_pem = std::env::temp_dir().join(format!("keel-not-pem-{}", std::process::id()));
        std::fs::write(&not_pem, "hello").unwrap();
        let e = policy("verify-ca", not_pem.to_str().unwrap()).err().unwrap();
        std::fs::remove_file(&not_pem).unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("no usable certificate") || e.message.contains("PEM"), "{}", e.message);
    }
}
