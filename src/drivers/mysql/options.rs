//! The mysql driver's options: its rows of keel's option table (see
//! `src/drivers/options.rs`, which lists this file; build.rs reads it too,
//! so it names nothing but what that file gives it).

use super::{OptKind, OptSpec, SOCKET_TIMEOUT, TCP_KEEPALIVE};

pub const OPTIONS: &[OptSpec] = &[
    OptSpec {
        key: "connect_timeout_ms",
        kind: OptKind::UInt,
        default: "10000",
        doc: "Give up connecting after this long; 0 waits forever.",
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
        key: "load_balance_hosts",
        kind: OptKind::Choice(&["disable", "random"]),
        default: "disable",
        doc: "For a URL with several hosts (mysql://u@h1:3306,h2:3307/db, a Galera cluster's nodes): disable tries them in the order written, random in a new random order for each connection. A host that refuses, does not answer within connect_timeout_ms, or is a Galera node that is not ready (wsrep_ready OFF) is skipped; the error after the last names each host and why.",
    },
    OptSpec {
        key: "zero_date",
        kind: OptKind::Choice(&["error", "null"]),
        default: "error",
        doc: "How to read MySQL's zero dates (0000-00-00): as an error, or as NULL.",
    },
    OptSpec {
        key: "mariadb_bulk",
        kind: OptKind::Choice(&["on", "off"]),
        default: "on",
        doc: "On MariaDB 10.2 and later, keel_conn_ingest sends its rows by COM_STMT_BULK_EXECUTE (binary parameter arrays, as libmariadb's array binding does), and so do batches of UPDATE, DELETE and upserts (keel_stmt_execute_batch); off sends ingest's rows by LOAD DATA LOCAL INFILE and runs those batches row by row, as on MySQL (for a proxy that does not pass that command).",
    },
    // Text, not Choice: MySQL's values in any case (tls::policy checks them).
    OptSpec {
        key: "ssl_mode",
        kind: OptKind::Text,
        default: "",
        doc: "TLS policy, as MySQL's client: DISABLED, PREFERRED (TLS when the server offers it, unverified; the default), REQUIRED (TLS or fail, unverified), VERIFY_CA (certificate chains to a root in ssl_ca), VERIFY_IDENTITY (and names the host); any case. Unset with ssl_ca set: VERIFY_CA.",
    },
    OptSpec {
        key: "ssl_ca",
        kind: OptKind::Text,
        default: "",
        doc: "Trusted roots for VERIFY_CA/VERIFY_IDENTITY: a PEM file, or `system` for the system's CA bundle file.",
    },
    OptSpec {
        key: "ssl_cert",
        kind: OptKind::Text,
        default: "",
        doc: "Client certificate (PEM, intermediates after it), sent when the server asks for one; needs ssl_key.",
    },
    OptSpec {
        key: "ssl_key",
        kind: OptKind::Text,
        default: "",
        doc: "The client certificate's private key (unencrypted PEM: PKCS#8, PKCS#1 or SEC1).",
    },
];
