//! The TLS client setup the network drivers share: rustls with the ring
//! provider (no OpenSSL to build against), trusted roots from a PEM file
//! or the operating system's store, and a certificate check of the
//! strength the connection's options ask for, and the client's own
//! certificate when the server asks for one. Each driver maps its own
//! options (PostgreSQL's `sslmode`/`sslrootcert`/`sslcert`/`sslkey`, SQL
//! Server's `encrypt`/`trust_server_certificate`, MySQL's
//! `ssl_mode`/`ssl_ca`/`ssl_cert`/`ssl_key`) onto [`Check`], [`roots`] and
//! [`Identity`]. Messages name the option and the file, never what the
//! file holds.

use crate::core::error::{Error, Result, Status};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::sign::CertifiedKey;
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

/// The client's certificate chain and private key, read and checked
/// against each other by [`Identity::load`]. Its `Debug` shows only the
/// files it came from.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_file: std::path::PathBuf,
    key_file: std::path::PathBuf,
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        }
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("cert_file", &self.cert_file).field("key_file", &self.key_file).finish_non_exhaustive()
    }
}

impl Identity {
    /// Read the PEM certificate chain in `cert` (end entity first) and the
    /// PEM private key in `key` (PKCS#8, PKCS#1 or SEC1, unencrypted), and
    /// check that the key is the certificate's. `cert_opt`/`key_opt` name
    /// the options that gave the files, for the messages (which never
    /// quote the files' contents). Every failure is INVALID_ARGUMENT.
    pub fn load(cert: &Path, key: &Path, cert_opt: &str, key_opt: &str) -> Result<Identity> {
        let (cert_shown, key_shown) = (cert.display(), key.display());
        let unreadable = |opt: &str, shown: &dyn std::fmt::Display, e: &std::io::Error| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::invalid_argument(format!("{opt}: {shown} does not exist"))
            } else {
                Error::invalid_argument(format!("{opt}: {shown} cannot be read ({})", e.kind()))
            }
        };
        // Read each file once, so a missing or unreadable one is told
        // apart from one that holds the wrong thing.
        let cert_pem = std::fs::read(cert).map_err(|e| unreadable(cert_opt, &cert_shown, &e))?;
        let key_pem = std::fs::read(key).map_err(|e| unreadable(key_opt, &key_shown, &e))?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::invalid_argument(format!("{cert_opt}: {cert_shown} holds no PEM certificate")))?;
        // The PEM parser's errors may quote a line of the file: say only
        // what was expected.
        let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
            Error::invalid_argument(format!(
                "{key_opt}: {key_shown} holds no PEM private key (unencrypted PKCS#8, PKCS#1 or SEC1)"
            ))
        })?;
        let provider = rustls::crypto::ring::default_provider();
        match CertifiedKey::from_der(chain.clone(), key_der.clone_key(), &provider) {
            Ok(_) => {}
            Err(rustls::Error::InconsistentKeys(_)) => {
                return Err(Error::invalid_argument(format!(
                    "{key_opt}: the key in {key_shown} does not belong to the certificate in {cert_opt} {cert_shown}"
                )));
            }
            Err(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) => {
                return Err(Error::invalid_argument(format!(
                    "{cert_opt}: {cert_shown} does not start with a usable X.509 certificate"
                )));
            }
            Err(_) => {
                return Err(Error::invalid_argument(format!(
                    "{key_opt}: {key_shown} holds a private key of a kind TLS here cannot sign with (RSA, ECDSA P-256/P-384 and Ed25519 work)"
                )));
            }
        }
        Ok(Identity { chain, key: key_der, cert_file: cert.to_owned(), key_file: key.to_owned() })
    }

    /// The certificate file.
    pub fn cert_file(&self) -> &Path {
        &self.cert_file
    }

    /// The private key file.
    pub fn key_file(&self) -> &Path {
        &self.key_file
    }
}

/// A client configuration that checks the server as `check` says against
/// `roots` (unused with [`Check::Nothing`]), presents `identity` when the
/// server asks for a client certificate (none without one), and offers
/// `alpn` protocols.
pub fn client_config(check: Check, roots: RootCertStore, identity: Option<&Identity>, alpn: &[&[u8]]) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Verifier { check, roots: Arc::new(roots), provider: provider.clone() });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Status::Internal, format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(id) => builder.with_client_auth_cert(id.chain.clone(), id.key.clone_key()).map_err(|e| {
            // Identity::load checked this pair already.
            Error::invalid_argument(format!(
                "the client certificate {} with key {}: {e}",
                id.cert_file.display(),
                id.key_file.display()
            ))
        })?,
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// Whether `alert`, received from the server during the handshake, is
/// its verdict on the client's certificate (none sent, not trusted,
/// expired, refused): an authentication failure rather than a network one.
pub fn refuses_client_certificate(alert: &rustls::AlertDescription) -> bool {
    use rustls::AlertDescription as A;
    matches!(
        alert,
        A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied
            | A::CertificateRequired
    )
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

    #[test]
    fn identity_files_are_checked_and_never_quoted() {
        let cert = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/untrusted-root.pem");
        let e = Identity::load(Path::new("/nonexistent/c.pem"), &cert, "ssl_cert", "ssl_key").err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert_eq!(e.message, "ssl_cert: /nonexistent/c.pem does not exist");
        let e = Identity::load(&cert, Path::new("/nonexistent/k.pem"), "sslcert", "sslkey").err().unwrap();
        assert_eq!(e.message, "sslkey: /nonexistent/k.pem does not exist");
        // A directory cannot be read as a file.
        let e = Identity::load(&cert, Path::new("/"), "sslcert", "sslkey").err().unwrap();
        assert!(e.message.starts_with("sslkey: / cannot be read"), "{}", e.message);
        let secret = std::env::temp_dir().join(format!("keel-core-not-a-key-{}", std::process::id()));
        std::fs::write(&secret, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n").unwrap();
        let e = Identity::load(&cert, &secret, "sslcert", "sslkey").err().unwrap();
        let e2 = Identity::load(&secret, &cert, "sslcert", "sslkey").err().unwrap();
        std::fs::remove_file(&secret).unwrap();
        assert!(e.message.contains("holds no PEM private key"), "{}", e.message);
        assert!(e2.message.contains("holds no PEM certificate"), "{}", e2.message);
        for m in [&e.message, &e2.message] {
            assert!(!m.contains("c2VjcmV0") && !m.contains("BEGIN"), "{m}");
        }
    }
}
