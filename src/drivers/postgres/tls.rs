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

use crate::core::error::{Error, Result};
use crate::core::tls::{Check, client_config, roots};
use rustls::RootCertStore;
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres_rustls::MakeRustlsConnect;

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
    let roots = if check == Check::Nothing {
        RootCertStore::empty()
    } else {
        let path = if sslrootcert.is_empty() {
            let home = std::env::var_os("HOME").unwrap_or_default();
            std::path::Path::new(&home).join(".postgresql/root.crt")
        } else {
            std::path::PathBuf::from(sslrootcert)
        };
        let missing = sslrootcert != "system" && !path.exists();
        roots(&path, &format!("sslmode={sslmode} needs trusted root certificates; sslrootcert")).map_err(|mut e| {
            if missing {
                e.message.push_str(": set sslrootcert to a PEM file, or sslrootcert=system for the system's trust store");
            }
            e
        })?
    };
    let config = client_config(check, roots, &[])?;
    Ok(Tls { mode, connect: MakeRustlsConnect::new(config) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::Status;

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
