//! keel's option table: every engine's options, each in its driver's
//! folder (`<engine>/options.rs`), and the options several engines share.
//! With the pool's options (`core::options::POOL_OPTIONS`, which every
//! engine takes) this is the one place an option's name, engines, default
//! and doc are written. Each driver's `Driver::options` returns its row of
//! [`ENGINES`]; build.rs reads this file and the ones it lists (as
//! `#[path]` modules) and writes from them the `KEEL_OPTION_*` constants
//! and the URLS AND OPTIONS docs of `include/keel.h` and the options of
//! `include/keel.json`; tests/options.rs checks that the registered
//! drivers and the README agree with it.
//!
//! So that build.rs can read them, these files use nothing but `OptKind`
//! and `OptSpec` from the module above them (`crate::drivers` here, the
//! build script's root there): no other `use`, no paths into the crate.

use super::{OptKind, OptSpec};

#[path = "sqlite/options.rs"]
pub mod sqlite;
#[path = "postgres/options.rs"]
pub mod postgres;
#[path = "mysql/options.rs"]
pub mod mysql;
#[path = "mssql/options.rs"]
pub mod mssql;

/// One engine's options, as the header documents them.
pub struct EngineOptions {
    /// The driver's name (`Driver::name`).
    pub engine: &'static str,
    /// What the header calls the engine.
    pub label: &'static str,
    pub options: &'static [OptSpec],
}

/// Every built-in engine's options, in the order the header lists them.
pub const ENGINES: &[EngineOptions] = &[
    EngineOptions { engine: "sqlite", label: "SQLite", options: sqlite::OPTIONS },
    EngineOptions { engine: "postgres", label: "PostgreSQL", options: postgres::OPTIONS },
    EngineOptions { engine: "mysql", label: "MySQL/MariaDB", options: mysql::OPTIONS },
    EngineOptions { engine: "mssql", label: "SQL Server", options: mssql::OPTIONS },
];

/// `socket_timeout_ms`: the limit on waiting for the server's next byte.
pub const SOCKET_TIMEOUT: OptSpec = OptSpec {
    key: "socket_timeout_ms",
    kind: OptKind::UInt,
    default: "0",
    doc: "Fail a call with TIMEOUT when the server sends nothing (and takes nothing) for this long, and close the connection; 0 waits for ever. Set it above the longest statement you run: it also ends a statement that is merely slow.",
};

/// `tcp_keepalive_ms`: TCP keepalive on idle connections.
pub const TCP_KEEPALIVE: OptSpec = OptSpec {
    key: "tcp_keepalive_ms",
    kind: OptKind::UInt,
    default: "15000",
    doc: "Send TCP keepalive probes after a connection was idle this long, and then this often, so a server or network that vanished is noticed; 0 turns keepalive off.",
};
