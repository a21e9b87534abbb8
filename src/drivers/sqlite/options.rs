//! The sqlite driver's options: its rows of keel's option table (see
//! `src/drivers/options.rs`, which lists this file; build.rs reads it too,
//! so it names nothing but what that file gives it).

use super::{OptKind, OptSpec};

pub const OPTIONS: &[OptSpec] = &[
    OptSpec {
        key: "mode",
        kind: OptKind::Choice(&["ro", "rw", "rwc"]),
        default: "rwc",
        doc: "ro: read-only; rw: read-write, the file must exist; rwc: read-write, create if missing.",
    },
    OptSpec {
        key: "busy_timeout_ms",
        kind: OptKind::UInt,
        default: "5000",
        doc: "How long a statement waits for another connection's lock before failing with BUSY.",
    },
    OptSpec {
        key: "statement_timeout_ms",
        kind: OptKind::UInt,
        default: "0",
        doc: "Stop a statement that runs longer than this with TIMEOUT (each execute, or each row fetch); 0 means none.",
    },
    OptSpec {
        key: "foreign_keys",
        kind: OptKind::Bool,
        default: "true",
        doc: "Enforce FOREIGN KEY constraints (PRAGMA foreign_keys).",
    },
    OptSpec {
        key: "journal_mode",
        kind: OptKind::Choice(&["delete", "truncate", "persist", "memory", "wal", "off"]),
        default: "",
        doc: "PRAGMA journal_mode for file databases; unset keeps the file's mode.",
    },
];
