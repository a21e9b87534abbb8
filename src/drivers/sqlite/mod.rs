//! SQLite, embedded (rusqlite's bundled build, used through `rusqlite::ffi`
//! so that statements and cursors can be self-owned and read without copies).
//!
//! URLs: `sqlite::memory:`, `sqlite:///abs/path.db`, `sqlite://relative.db`.
//! An in-memory database is shared by every connection of its pool (SQLite's
//! `memdb` VFS under a unique name) and lives as long as the pool.
//!
//! Types follow the declared column type, since SQLite stores only
//! NULL/INTEGER/REAL/TEXT/BLOB: see [`kind_from_decltype`]. keel writes
//! dates, times and timestamps as ISO-8601 text (the form SQLite's date
//! functions read), uuids as 36-char text, decimals as their text.
//! DECIMAL and JSON columns have NUMERIC affinity, so SQLite stores such
//! text as a number when it looks like one; keel reads it back as SQLite's
//! text for that number, still typed DECIMAL or JSON. (A decimal with more
//! than 15 significant digits, or trailing zeros, is therefore not kept
//! exactly in a DECIMAL column on SQLite.)
//! Transactions are always SERIALIZABLE (a weaker level asked for is given
//! as SERIALIZABLE); read-only transactions use `PRAGMA query_only`.

mod catalog;
mod errors;
mod ingest;
mod rows;
mod session;
mod statement;
mod types;

pub use types::kind_from_decltype;

use crate::core::sql::Syntax;
use crate::core::driver::{Connector, Driver};
use crate::core::error::{Error, Result};
use crate::core::options::{OptSpec, Options};
use crate::core::url::ConnUrl;
use rusqlite::ffi;
use session::SqliteConnector;
use std::ffi::CString;
use std::sync::atomic::{AtomicU64, Ordering};

/// SQLite's SQL, as the core's lexer reads it: `?` parameters and its own
/// `?NNN`, `"..."`, `` `x` `` and `[x]` identifiers. Batches run row by
/// row (a row costs no round trip).
pub static SYNTAX: Syntax = Syntax {
    engine: "SQLite",
    question_number: true,
    backtick_identifiers: true,
    bracket_identifiers: true,
    ..Syntax::STANDARD
};

pub struct SqliteDriver;

impl Driver for SqliteDriver {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["sqlite", "sqlite3", "file"]
    }
    fn indexed_insert_sql(&self, table: &str, columns: &[String]) -> Option<String> {
        ingest::insert_sql(table, columns)
    }
    fn syntax(&self) -> &'static Syntax {
        &SYNTAX
    }
    fn column_type_sql(&self, kind: crate::core::value::Type, decimal: Option<(u8, i8)>) -> Option<String> {
        use crate::core::value::Type;
        // SQLite cannot hold a uint64 above i64::MAX: no type for it.
        Some(
            match kind {
            Type::Bool => "BOOLEAN",
            Type::Int64 => "BIGINT",
            Type::Double => "REAL",
            Type::Text => "TEXT",
            Type::Bytes => "BLOB",
            Type::Date => "DATE",
            Type::Time => "TIME",
            Type::Timestamp => "TIMESTAMP",
            Type::Timestamptz => "TIMESTAMPTZ",
            Type::Uuid => "UUID",
            Type::Json => "JSON",
            // TEXT affinity keeps every digit (DECIMAL alone has NUMERIC
            // affinity, which keeps 15); keel still reads it as a decimal.
            Type::Decimal => return Some(match decimal {
                Some((p, s)) => format!("DECIMAL TEXT({p},{s})"),
                None => "DECIMAL TEXT".to_owned(),
            }),
                _ => return None,
            }
            .to_owned(),
        )
    }
    fn options(&self) -> &'static [OptSpec] {
        super::options::sqlite::OPTIONS
    }
    fn url_names_a_file(&self) -> bool {
        true
    }
    fn connector(&self, url: &ConnUrl, opts: &Options) -> Result<Box<dyn Connector>> {
        if url.host.is_some() || url.user.is_some() {
            return Err(Error::invalid_argument(format!(
                "SQLite URLs name a file: use sqlite:///abs/path.db, sqlite://relative.db or sqlite::memory: (got {})",
                url.redacted()
            )));
        }
        if url.path.is_empty() {
            return Err(Error::invalid_argument(
                "SQLite URL names no file: use sqlite:///abs/path.db, sqlite://relative.db or sqlite::memory:",
            ));
        }
        let memory = url.path == ":memory:";
        let mut flags = match opts.text("mode") {
            Some("ro") => ffi::SQLITE_OPEN_READONLY,
            Some("rw") => ffi::SQLITE_OPEN_READWRITE,
            _ => ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
        };
        flags |= ffi::SQLITE_OPEN_NOMUTEX;
        let path = if memory {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            flags = ffi::SQLITE_OPEN_READWRITE
                | ffi::SQLITE_OPEN_CREATE
                | ffi::SQLITE_OPEN_URI
                | ffi::SQLITE_OPEN_NOMUTEX;
            format!(
                "file:/keel-memory-{}-{}?vfs=memdb",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )
        } else {
            url.path.clone()
        };
        let path = CString::new(path)
            .map_err(|_| Error::invalid_argument("SQLite path contains a NUL byte"))?;
        let mut c = SqliteConnector {
            path,
            flags,
            busy_timeout_ms: opts.uint("busy_timeout_ms"),
            statement_timeout_ms: opts.uint("statement_timeout_ms"),
            foreign_keys: opts.flag("foreign_keys"),
            journal_mode: opts.text("journal_mode").map(str::to_owned),
            keeper: None,
        };
        if memory {
            // The memdb database lives while one connection is open on it.
            c.keeper = Some(c.open_raw()?);
        }
        Ok(Box::new(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::value::Type;

    #[test]
    fn decltype_mapping() {
        let cases = [
            ("INTEGER", Type::Int64),
            ("BIGINT", Type::Int64),
            ("UNSIGNED BIG INT", Type::Uint64),
            ("BOOLEAN", Type::Bool),
            ("VARCHAR(20)", Type::Text),
            ("TEXT", Type::Text),
            ("BLOB", Type::Bytes),
            ("REAL", Type::Double),
            ("DOUBLE PRECISION", Type::Double),
            ("DATE", Type::Date),
            ("TIME", Type::Time),
            ("DATETIME", Type::Timestamp),
            ("TIMESTAMP", Type::Timestamp),
            ("TIMESTAMPTZ", Type::Timestamptz),
            ("TIMESTAMP WITH TIME ZONE", Type::Timestamptz),
            ("UUID", Type::Uuid),
            ("JSON", Type::Json),
            ("DECIMAL(38,10)", Type::Decimal),
            ("NUMERIC", Type::Decimal),
            ("", Type::Null),
            ("WHATEVER", Type::Null),
        ];
        for (decl, kind) in cases {
            assert_eq!(kind_from_decltype(decl), kind, "{decl}");
        }
    }
}
