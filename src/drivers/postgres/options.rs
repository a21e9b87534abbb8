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
        key: "target_session_attrs",
        kind: OptKind::Choice(&["any", "read-write", "read-only", "primary", "standby", "prefer-standby"]),
        default: "any",
        doc: "Which server of the URL's hosts a connection may use, as libpq's: any; read-write (transaction_read_only is off); read-only (it is on); primary (not in recovery); standby (a hot standby, in recovery); prefer-standby (a standby when one answers, else any). Hosts are tried in the URL's order (see load_balance_hosts); one that refuses, does not answer within connect_timeout_ms or is not of the kind asked for is skipped, and the error after the last names each host and why. A pooled connection opened for read-write, read-only, primary or standby is checked again at checkout (one round trip), and one opened for read-write or primary that gets SQLSTATE 25006 (read-only transaction) is closed instead of reused.",
    },
    OptSpec {
        key: "load_balance_hosts",
        kind: OptKind::Choice(&["disable", "random"]),
        default: "disable",
        doc: "disable: try the URL's hosts in the order written; random: in a new random order for each connection, as libpq's load_balance_hosts.",
    },
    OptSpec {
        key: "prepared_statements",
        kind: OptKind::Choice(&["named", "unnamed"]),
        default: "named",
        doc: "named: a prepared statement is a named statement on the server, parsed once and run many times. unnamed: keel keeps no named statement on the server between calls: it learns a statement's parameters and columns in a transaction of its own, closes it there, and sends the SQL with each run as the unnamed statement (Parse, Bind, Execute in one round trip). Use unnamed behind a pooler in transaction mode (PgBouncer pool_mode=transaction before 1.21), where a session's named statements do not follow it from one server connection to the next (named statements carry the process's id and a random number in their names, so one never meets another client's of the same name there).",
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
