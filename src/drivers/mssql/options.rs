//! The mssql driver's options: its rows of keel's option table (see
//! `src/drivers/options.rs`, which lists this file; build.rs reads it too,
//! so it names nothing but what that file gives it).

use super::{OptKind, OptSpec, SOCKET_TIMEOUT, TCP_KEEPALIVE};

pub const OPTIONS: &[OptSpec] = &[
    OptSpec {
        key: "encrypt",
        kind: OptKind::Choice(&["off", "on", "strict"]),
        default: "on",
        doc: "TLS: on (negotiated in PRELOGIN, TDS 7.x), strict (TDS 8.0: TLS before anything else), off (nothing encrypted, the password included).",
    },
    OptSpec {
        key: "trust_server_certificate",
        kind: OptKind::Bool,
        default: "false",
        doc: "With encrypt=on: accept any certificate without checking it (encrypted, but the server is not authenticated).",
    },
    OptSpec {
        key: "trust_server_certificate_ca",
        kind: OptKind::Text,
        default: "",
        doc: "A PEM file of the CA certificates (or the server's own) to check the server's certificate against; by default the system's trust store.",
    },
    OptSpec {
        key: "host_name_in_certificate",
        kind: OptKind::Text,
        default: "",
        doc: "The name the server's certificate must carry, when it is not the host in the URL.",
    },
    OptSpec {
        key: "connect_timeout_ms",
        kind: OptKind::UInt,
        default: "10000",
        doc: "Give up connecting and logging in after this long; 0 waits forever.",
    },
    OptSpec {
        key: "statement_timeout_ms",
        kind: OptKind::UInt,
        default: "0",
        doc: "Stop a statement (with an attention) when a wait for the server exceeds this; 0 means none.",
    },
    SOCKET_TIMEOUT,
    TCP_KEEPALIVE,
    OptSpec {
        key: "application_name",
        kind: OptKind::Text,
        default: "keel",
        doc: "Shown in sys.dm_exec_sessions.program_name.",
    },
];
