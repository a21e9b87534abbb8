//! The shape of an option (`OptKind`, `OptSpec`) and the options every
//! engine takes: the pool's. Each engine's own options are in
//! `src/drivers/<engine>/options.rs`, listed by `src/drivers/options.rs`;
//! together they are keel's one option table.
//!
//! build.rs reads this file too (as a `#[path]` module), to write the
//! `KEEL_OPTION_*` constants and the option docs of `include/keel.h` and
//! the options of `include/keel.json`. So it uses nothing else: no `use`,
//! no paths into the crate.

/// The type of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptKind {
    Bool,
    /// Unsigned integer up to `u32::MAX`.
    UInt,
    Text,
    /// One of the listed words.
    Choice(&'static [&'static str]),
}

/// One known option.
#[derive(Clone, Copy, Debug)]
pub struct OptSpec {
    pub key: &'static str,
    pub kind: OptKind,
    /// Default as text; empty means "unset".
    pub default: &'static str,
    pub doc: &'static str,
}

/// Options every engine accepts: the pool's.
pub const POOL_OPTIONS: &[OptSpec] = &[
    OptSpec {
        key: "pool_max_open",
        kind: OptKind::UInt,
        default: "0",
        doc: "Most connections open at once; 0 means no limit.",
    },
    OptSpec {
        key: "pool_max_idle",
        kind: OptKind::UInt,
        default: "2",
        doc: "Most idle connections kept for reuse.",
    },
    OptSpec {
        key: "pool_min_idle",
        kind: OptKind::UInt,
        default: "0",
        doc: "Idle connections kept open and ready, refilled in the background; above pool_max_idle it raises that limit to it.",
    },
    OptSpec {
        key: "pool_acquire_timeout_ms",
        kind: OptKind::UInt,
        default: "30000",
        doc: "How long a checkout waits for a free connection before failing with TIMEOUT; 0 waits forever.",
    },
    OptSpec {
        key: "pool_max_lifetime_ms",
        kind: OptKind::UInt,
        default: "0",
        doc: "Close connections older than this; 0 means no limit.",
    },
    OptSpec {
        key: "pool_max_idle_time_ms",
        kind: OptKind::UInt,
        default: "0",
        doc: "Close connections idle longer than this (down to pool_min_idle); 0 means no limit.",
    },
    OptSpec {
        key: "stmt_cache_size",
        kind: OptKind::UInt,
        default: "32",
        doc: "Prepared statements each connection keeps for its exec/query calls (least recently used go first); 0 turns the cache off.",
    },
    OptSpec {
        key: "pool_health_check_idle_ms",
        kind: OptKind::UInt,
        default: "1000",
        doc: "Ping a connection at checkout when it sat idle longer than this; 0 never pings. The ping waits at most socket_timeout_ms, or where that is not set connect_timeout_ms, or 10 s when both are 0; a connection that fails it is closed and another opened.",
    },
    OptSpec {
        key: "arrow_batch_rows",
        kind: OptKind::UInt,
        default: "65536",
        doc: "Most rows in one record batch of an Arrow stream (keel_conn_query_arrow, keel_rows_export_arrow); a batch also ends once its data passes 16 MiB. At least 1.",
    },
];
