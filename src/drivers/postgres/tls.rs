//! TLS for PostgreSQL connections: rustls (ring provider) behind
//! tokio-postgres, with libpq's `sslmode` semantics.
//!
//! | sslmode       | TLS                         | server certificate checked                                   |
//! |---------------|-----------------------------|--------------------------------------------------------------|
//! | `disable`     | never                       | —                                                            |
//! | `prefer`      | if the server offers it     | no (encryption only)                                         |
//! | `require`     | always, or the open fails   | no, unless `sslrootcert` is set or `~/.postgresql/root.crt` exists: then the chain |
//! | `verify-ca`   | always                      | chain to a trusted root                                      |
//! | `verify-full` | always                      | chain, and the host name matches                             |
//!
//! As in libpq, `require` checks the chain like `verify-ca` when there are
//! roots to check it against: an explicit `sslrootcert`, or the default
//! root file `~/.postgresql/root.crt` when it exists (`~` is `$HOME`).
//! Roots come from `sslrootcert`: a PEM file, or `system` for the
//! operating system's trust store; by default that root file. The
//! tokio-postgres `SslMode` only knows disable/prefer/require, so the
//! verify modes are `require` plus the verifier of [`crate::drivers::tls`].
//! As in libpq, a Unix-domain socket never uses TLS.
//!
//! Client certificates (for `cert` authentication or
//! `clientcert=verify-ca/verify-full` in `pg_hba.conf`): `sslcert` is a PEM
//! file with the certificate (and any intermediates after it), `sslkey`
//! its unencrypted PEM private key. As in libpq they default to
//! `~/.postgresql/postgresql.crt` and `~/.postgresql/postgresql.key`, and
//! the default certificate is used only when that file exists. A
//! certificate given explicitly that is missing, a key that is missing or
//! unreadable, or a key that is not the certificate's, fails the open with
//! INVALID_ARGUMENT naming the option and the file. The certificate is
//! sent only when the server asks for one; with `sslmode=disable` none of
//! these files is read.

use crate::core::error::{Error, Result};
use crate::drivers::tls::{Check, Identity, client_config, roots};
use rustls::RootCertStore;
use std::path::{Path, PathBuf};
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The TLS options of a URL as given; empty means not set.
#[derive(Clone, Copy, Debug, Default)]
pub struct SslOptions<'a> {
    pub sslmode: &'a str,
    pub sslrootcert: &'a str,
    pub sslcert: &'a str,
    pub sslkey: &'a str,
}

/// The TLS policy of one connector.
#[derive(Clone)]
pub struct Tls {
    pub mode: SslMode,
    /// What is checked of the server's certificate.
    pub check: Check,
    /// The client certificate presented when the server asks for one.
    pub client_cert: Option<PathBuf>,
    /// Makes the handshake for a host; never used with `SslMode::Disable`.
    pub connect: MakeRustlsConnect,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("mode", &self.mode)
            .field("check", &self.check)
            .field("client_cert", &self.client_cert)
            .finish_non_exhaustive()
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

/// Build the policy for the options, with libpq's default files under
/// `$HOME/.postgresql`.
pub fn policy(o: &SslOptions<'_>) -> Result<Tls> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    policy_in(home.as_deref(), o)
}

/// [`policy`] with the home directory given (`None`: no default files).
fn policy_in(home: Option<&Path>, o: &SslOptions<'_>) -> Result<Tls> {
    let default = |name: &str| home.map(|h| h.join(".postgresql").join(name));
    let default_root = default("root.crt");
    let sslmode = if o.sslmode.is_empty() { "prefer" } else { o.sslmode };
    let (mode, check) = match sslmode {
        "disable" => (SslMode::Disable, Check::Nothing),
        "prefer" => (SslMode::Prefer, Check::Nothing),
        "require" if o.sslrootcert.is_empty() && !default_root.as_deref().is_some_and(Path::exists) => {
            (SslMode::Require, Check::Nothing)
        }
        "require" | "verify-ca" => (SslMode::Require, Check::Chain),
        "verify-full" => (SslMode::Require, Check::ChainAndName),
        other => return Err(Error::invalid_argument(format!("unknown sslmode {other:?}"))),
    };
    let roots = if check == Check::Nothing {
        RootCertStore::empty()
    } else {
        let path = if o.sslrootcert.is_empty() {
            default_root.ok_or_else(|| {
                Error::invalid_argument(format!(
                    "sslmode={sslmode} needs trusted root certificates and there is no home directory for the default \
                     ~/.postgresql/root.crt: set sslrootcert to a PEM file, or sslrootcert=system for the system's trust store"
                ))
            })?
        } else {
            PathBuf::from(o.sslrootcert)
        };
        let missing = o.sslrootcert != "system" && !path.exists();
        roots(&path, &format!("sslmode={sslmode} needs trusted root certificates; sslrootcert")).map_err(|mut e| {
            if missing {
                e.message.push_str(": set sslrootcert to a PEM file, or sslrootcert=system for the system's trust store");
            }
            e
        })?
    };
    let identity = if mode == SslMode::Disable { None } else { client_identity(home, o)? };
    let client_cert = identity.as_ref().map(|id| id.cert_file().to_owned());
    let config = client_config(check, roots, identity.as_ref(), &[])?;
    Ok(Tls { mode, check, client_cert, connect: MakeRustlsConnect::new(config) })
}

/// The client certificate and key libpq would use: `sslcert`/`sslkey`, or
/// the files under `~/.postgresql` when the certificate there exists.
fn client_identity(home: Option<&Path>, o: &SslOptions<'_>) -> Result<Option<Identity>> {
    let default = |name: &str| home.map(|h| h.join(".postgresql").join(name));
    let cert = if o.sslcert.is_empty() {
        match default("postgresql.crt") {
            Some(p) if p.exists() => p,
            _ if !o.sslkey.is_empty() => {
                return Err(Error::invalid_argument(format!(
                    "sslkey is set ({}) but there is no client certificate: set sslcert to its certificate's PEM file",
                    o.sslkey
                )));
            }
            _ => return Ok(None),
        }
    } else {
        PathBuf::from(o.sslcert)
    };
    let key = if o.sslkey.is_empty() {
        match default("postgresql.key") {
            Some(key) => key,
            None if !cert.exists() => {
                return Err(Error::invalid_argument(format!("sslcert: {} does not exist", cert.display())));
            }
            None => {
                return Err(Error::invalid_argument(format!(
                    "sslcert {} needs its private key: set sslkey (there is no home directory for the default \
                     ~/.postgresql/postgresql.key)",
                    cert.display()
                )));
            }
        }
    } else {
        PathBuf::from(o.sslkey)
    };
    Identity::load(&cert, &key, "sslcert", "sslkey").map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::Status;

    fn opts<'a>(sslmode: &'a str, sslrootcert: &'a str) -> SslOptions<'a> {
        SslOptions { sslmode, sslrootcert, ..SslOptions::default() }
    }

    fn policy(o: &SslOptions<'_>) -> Result<Tls> {
        // No default files: the tests must not depend on the HOME of
        // whoever runs them.
        policy_in(None, o)
    }

    /// A fresh directory to act as `$HOME`, removed when dropped (each
    /// test its own: tests run in parallel threads).
    struct Home(PathBuf);

    impl Home {
        fn new(name: &str) -> Home {
            let dir = std::env::temp_dir().join(format!("keel-pg-home-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join(".postgresql")).unwrap();
            Home(dir)
        }

        fn put(&self, name: &str, from: &Path) {
            std::fs::copy(from, self.0.join(".postgresql").join(name)).unwrap();
        }
    }

    impl Drop for Home {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn fixture_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/untrusted-root.pem")
    }

    #[test]
    fn modes() {
        assert_eq!(policy(&opts("disable", "")).unwrap().mode, SslMode::Disable);
        assert_eq!(policy(&opts("prefer", "")).unwrap().mode, SslMode::Prefer);
        assert_eq!(policy(&opts("", "")).unwrap().mode, SslMode::Prefer);
        let require = policy(&opts("require", "")).unwrap();
        assert_eq!((require.mode, require.check), (SslMode::Require, Check::Nothing));
        assert_eq!(policy(&opts("bogus", "")).err().unwrap().status, Status::InvalidArgument);
    }

    #[test]
    fn verifying_modes_need_roots() {
        for mode in ["verify-ca", "verify-full"] {
            let e = policy(&opts(mode, "/nonexistent/root.crt")).err().unwrap();
            assert_eq!(e.status, Status::InvalidArgument);
            assert!(e.message.contains("/nonexistent/root.crt does not exist"), "{}", e.message);
            // Without a home there is no default root file either.
            let e = policy(&opts(mode, "")).err().unwrap();
            assert!(e.message.contains("set sslrootcert"), "{}", e.message);
        }
        // require with an explicit root file verifies the chain (libpq).
        assert!(policy(&opts("require", "/nonexistent/root.crt")).is_err());
        let root = fixture_root();
        let explicit = policy(&opts("require", root.to_str().unwrap())).unwrap();
        assert_eq!(explicit.check, Check::Chain);
        let not_pem = std::env::temp_dir().join(format!("keel-not-pem-{}", std::process::id()));
        std::fs::write(&not_pem, "hello").unwrap();
        let e = policy(&opts("verify-ca", not_pem.to_str().unwrap())).err().unwrap();
        std::fs::remove_file(&not_pem).unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("no usable certificate") || e.message.contains("PEM"), "{}", e.message);
    }

    #[test]
    fn require_checks_the_chain_when_the_default_root_file_exists() {
        let home = Home::new("root");
        // No root.crt: require only encrypts.
        assert_eq!(policy_in(Some(&home.0), &opts("require", "")).unwrap().check, Check::Nothing);
        // With one, require behaves as verify-ca (libpq), against it.
        home.put("root.crt", &fixture_root());
        assert_eq!(policy_in(Some(&home.0), &opts("require", "")).unwrap().check, Check::Chain);
        assert_eq!(policy_in(Some(&home.0), &opts("verify-ca", "")).unwrap().check, Check::Chain);
        assert_eq!(policy_in(Some(&home.0), &opts("verify-full", "")).unwrap().check, Check::ChainAndName);
        // prefer never checks, as in libpq's documentation.
        assert_eq!(policy_in(Some(&home.0), &opts("prefer", "")).unwrap().check, Check::Nothing);
        // A root file that holds no certificate is an error, not ignored.
        std::fs::write(home.0.join(".postgresql/root.crt"), "not a certificate").unwrap();
        let e = policy_in(Some(&home.0), &opts("require", "")).err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("root.crt"), "{}", e.message);
    }

    #[test]
    fn client_certificate_files() {
        let home = Home::new("cert");
        let none = policy_in(Some(&home.0), &opts("require", "")).unwrap();
        assert_eq!(none.client_cert, None, "no default certificate: none is sent");

        // The default certificate without its key.
        home.put("postgresql.crt", &fixture_root());
        let e = policy_in(Some(&home.0), &opts("require", "")).err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.starts_with("sslkey:"), "{}", e.message);
        assert!(e.message.contains(".postgresql/postgresql.key does not exist"), "{}", e.message);
        // sslmode=disable reads none of the files.
        assert!(policy_in(Some(&home.0), &opts("disable", "")).is_ok());

        // An explicit certificate that is missing.
        let o = SslOptions { sslmode: "require", sslcert: "/nonexistent/client.crt", ..SslOptions::default() };
        let e = policy_in(None, &o).err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("sslcert: /nonexistent/client.crt does not exist"), "{}", e.message);

        // A key that is not a key (and whose text is never quoted).
        let key = home.0.join("bad.key");
        std::fs::write(&key, "secret-material-not-pem").unwrap();
        let root = fixture_root();
        let o = SslOptions { sslmode: "prefer", sslcert: root.to_str().unwrap(), sslkey: key.to_str().unwrap(), ..SslOptions::default() };
        let e = policy_in(None, &o).err().unwrap();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.starts_with("sslkey:") && e.message.contains("bad.key"), "{}", e.message);
        assert!(!e.message.contains("secret-material"), "{}", e.message);

        // A key with no certificate.
        let o = SslOptions { sslmode: "require", sslkey: key.to_str().unwrap(), ..SslOptions::default() };
        let e = policy_in(None, &o).err().unwrap();
        assert!(e.message.contains("set sslcert"), "{}", e.message);
    }
}
