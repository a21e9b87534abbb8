//! The postgres driver's options: its rows of keel's option table (see
//! `src/drivers/options.rs`, which lists this file; build.rs reads it too,
//! so it names nothing but what that file gives it).

use super::{OptKind, OptSpec, SOCKET_TIMEOUT, TCP_KEEPALIVE};

pub const OPTIONS: &[OptSpec] = &[
    OptSpec {
        key: "sslmode",
        kind: OptKind::Choice(&["disable", "prefer", "require", "verify-ca", "verify-full"]),
        default: "prefer",
        doc: "TLS policy, as libpq's sslmode: disable, prefer (TLS when the server offers it, unverified), require (TLS or fail; unverified unless sslrootcert is set or ~/.postgresql/root.crt exists, then the chain is checked), verify-ca (certificate chains to a trusted root), verify-full (and names the host).",
    },
    OptSpec {
        key: "sslrootcert",
        kind: OptKind::Text,
        default: "",
        doc: "Trusted roots for verify-ca/verify-full (and require): a PEM file, or `system` for the system's trust store; default ~/.postgresql/root.crt.",
    },
    OptSpec {
        key: "sslcert",
        kind: OptKind::Text,
        default: "",
        doc: "Client certificate (PEM, intermediates after it), sent when the server asks for one; default ~/.postgresql/postgresql.crt when that file exists.",
    },
    OptSpec {
        key: "sslkey",
        kind: OptKind::Text,
        default: "",
        doc: "The client certificate's private key (unencrypted PEM: PKCS#8, PKCS#1 or SEC1); default ~/.postgresql/postgresql.key.",
    },
    OptSpec {
        key: "connect_timeout_ms",
        kind: OptKind::UInt,
        default: "10000",
        doc: "Give up connecting (socket, startup and authentication) after this long; 0 waits forever.",
    },
    OptSpec {
        key: "statement_timeout_ms",
        kind: OptKind::UInt,
        default: "0",
        doc: "Server-side statement timeout; 0 means none.",
    },
    SOCKET_TIMEOUT,
    TCP_KEEPALIVE,
    OptSpec {
        key: "application_name",
        kind: OptKind::Text,
        default: "keel",
        doc: "Shown in pg_stat_activity.",
    },
    OptSpec {
        key: "search_path",
        kind: OptKind::Text,
        default: "",
        doc: "Schema search path for the session.",
    },
];
