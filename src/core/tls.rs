//! The TLS client setup the network drivers share: rustls with the ring
//! provider (no OpenSSL to build against), trusted roots from a PEM file
//! or the operating system's store, and a certificate check of the
//! strength the connection's options ask for. Each driver maps its own
//! options (PostgreSQL's `sslmode`/`sslrootcert`, SQL Server's
//! `encrypt`/`trust_server_certificate`) onto [`Check`] and [`roots`].

use crate::core::error::{Error, Result, Status};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// What the client checks of the server's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Nothing: the connection is encrypted but the server is not
    /// authenticated (PostgreSQL's `prefer`/`require`, SQL Server's
    /// `trust_server_certificate=true`).
    Nothing,
    /// The chain ends at a trusted root (`verify-ca`).
    Chain,
    /// The chain, and the certificate names the host (`verify-full`;
    /// SQL Server's default).
    ChainAndName,
}

/// The roots in `source`: `system` for the operating system's trust
/// store, otherwise a PEM file of certificates. `what` names the setting
/// that asked, for the messages (e.g. `sslmode=verify-ca with sslrootcert`).
pub fn roots(source: &Path, what: &str) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    if source == Path::new("system") {
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = store.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(Error::invalid_argument(format!(
                "{what}=system: the system trust store has no usable certificates"
            )));
        }
        return Ok(store);
    }
    let shown = source.display();
    if !source.exists() {
        return Err(Error::invalid_argument(format!("{what}: {shown} does not exist")));
    }
    let certs = CertificateDer::pem_file_iter(source)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::invalid_argument(format!("{what} {shown}: not a PEM certificate file ({e})")))?;
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(Error::invalid_argument(format!("{what} {shown}: holds no usable certificate")));
    }
    Ok(store)
}

/// A client configuration that checks the server as `check` says against
/// `roots` (unused with [`Check::Nothing`]), offering `alpn` protocols.
pub fn client_config(check: Check, roots: RootCertStore, alpn: &[&[u8]]) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Verifier { check, roots: Arc::new(roots), provider: provider.clone() });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Status::Internal, format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
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
    fn roots_from_a_missing_or_bad_file_are_refused() {
        let e = roots(Path::new("/nonexistent/root.crt"), "sslrootcert").err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("/nonexistent/root.crt does not exist"), "{}", e.message);
        let not_pem = std::env::temp_dir().join(format!("keel-core-not-pem-{}", std::process::id()));
        std::fs::write(&not_pem, "hello").unwrap();
        let e = roots(&not_pem, "trust_server_certificate_ca").err().unwrap();
        std::fs::remove_file(&not_pem).unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("no usable certificate") || e.message.contains("PEM"), "{}", e.message);
        assert!(e.message.starts_with("trust_server_certificate_ca"), "{}", e.message);
    }
}
