//! SQLite result codes → keel status and a derived SQLSTATE. SQLite has no
//! SQLSTATE of its own; the vendor code keeps the extended result code.

use crate::core::error::{Error, Status};
use rusqlite::ffi;
use std::ffi::{CStr, c_int};

/// Map an extended result code to (status, SQLSTATE).
pub fn map_code(extended: c_int) -> (Status, &'static str) {
    match extended {
        ffi::SQLITE_CONSTRAINT_NOTNULL => (Status::Integrity, "23502"),
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => (Status::Integrity, "23503"),
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            (Status::Integrity, "23505")
        }
        ffi::SQLITE_CONSTRAINT_CHECK => (Status::Integrity, "23514"),
        // Another connection of a shared cache holds the table: a lock
        // conflict, as SQLITE_BUSY.
        ffi::SQLITE_LOCKED_SHAREDCACHE => (Status::Busy, "40001"),
        // This connection's own unfinished statement holds the table (a
        // DROP while a cursor of it reads): waiting or retrying cannot
        // help; finish or free the cursor. PostgreSQL's object_in_use.
        ffi::SQLITE_LOCKED => (Status::InvalidState, "55006"),
        _ => match extended & 0xff {
            ffi::SQLITE_CONSTRAINT => (Status::Integrity, "23000"),
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => (Status::Busy, "40001"),
            ffi::SQLITE_ERROR => (Status::InvalidArgument, "42000"),
            ffi::SQLITE_MISMATCH => (Status::InvalidData, "42804"),
            ffi::SQLITE_TOOBIG => (Status::InvalidData, "54000"),
            ffi::SQLITE_RANGE => (Status::InvalidArgument, "07009"),
            // Writing in a read-only transaction or database: SQLSTATE 25006,
            // INVALID_STATE, as PostgreSQL and MySQL report the same thing.
            ffi::SQLITE_READONLY => (Status::InvalidState, "25006"),
            ffi::SQLITE_PERM | ffi::SQLITE_AUTH => (Status::Unauthorized, "42501"),
            ffi::SQLITE_CANTOPEN => (Status::Io, "08001"),
            ffi::SQLITE_IOERR => (Status::Io, "58030"),
            ffi::SQLITE_FULL => (Status::Io, "53100"),
            ffi::SQLITE_NOMEM => (Status::Internal, "53200"),
            ffi::SQLITE_CORRUPT | ffi::SQLITE_NOTADB => (Status::InvalidData, "XX001"),
            ffi::SQLITE_INTERRUPT => (Status::Cancelled, "57014"),
            ffi::SQLITE_ABORT => (Status::Cancelled, "40000"),
            ffi::SQLITE_MISUSE => (Status::InvalidState, "HY010"),
            ffi::SQLITE_SCHEMA => (Status::InvalidState, "HY000"),
            _ => (Status::Unknown, "HY000"),
        },
    }
}

/// SQLite reports a missing or duplicate table, column or index only as
/// SQLITE_ERROR with a message; give those the status and SQLSTATE the
/// other engines give them (PostgreSQL's codes).
fn refine(mapped: (Status, &'static str), msg: &str) -> (Status, &'static str) {
    if mapped.1 != "42000" {
        return mapped;
    }
    if msg.starts_with("no such table") || msg.starts_with("no such view") {
        (Status::NotFound, "42P01")
    } else if msg.starts_with("no such column") {
        (Status::NotFound, "42703")
    } else if msg.starts_with("no such function") {
        (Status::NotFound, "42883")
    } else if msg.starts_with("no such index") {
        (Status::NotFound, "42704")
    } else if msg.contains("already exists") {
        (Status::AlreadyExists, "42P07")
    } else if msg.starts_with("duplicate column name") {
        (Status::AlreadyExists, "42701")
    } else {
        mapped
    }
}

/// An error from a result code and, when there is one, the connection's
/// message for it.
pub fn error(db: *mut ffi::sqlite3, rc: c_int) -> Error {
    // SAFETY: db is NULL or an open connection; both calls accept NULL.
    let (ext, msg) = unsafe {
        let ext = if db.is_null() { rc } else { ffi::sqlite3_extended_errcode(db) };
        let p = if db.is_null() { ffi::sqlite3_errstr(rc) } else { ffi::sqlite3_errmsg(db) };
        let msg = if p.is_null() {
            String::from("unknown SQLite error")
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        };
        // The connection's last code may belong to another call; trust rc's
        // primary code.
        (if ext & 0xff == rc & 0xff { ext } else { rc }, msg)
    };
    let (status, sqlstate) = refine(map_code(ext), &msg);
    Error {
        status,
        message: msg,
        sqlstate: sqlstate.to_owned(),
        vendor_code: ext,
        driver: "sqlite",
        retry: crate::core::error::RetrySafety::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_table() {
        let cases = [
            (ffi::SQLITE_CONSTRAINT_UNIQUE, Status::Integrity, "23505"),
            (ffi::SQLITE_CONSTRAINT_PRIMARYKEY, Status::Integrity, "23505"),
            (ffi::SQLITE_CONSTRAINT_NOTNULL, Status::Integrity, "23502"),
            (ffi::SQLITE_CONSTRAINT_FOREIGNKEY, Status::Integrity, "23503"),
            (ffi::SQLITE_CONSTRAINT_CHECK, Status::Integrity, "23514"),
            (ffi::SQLITE_CONSTRAINT_TRIGGER, Status::Integrity, "23000"),
            (ffi::SQLITE_BUSY, Status::Busy, "40001"),
            (ffi::SQLITE_BUSY_SNAPSHOT, Status::Busy, "40001"),
            (ffi::SQLITE_LOCKED, Status::InvalidState, "55006"),
            (ffi::SQLITE_LOCKED_SHAREDCACHE, Status::Busy, "40001"),
            (ffi::SQLITE_ERROR, Status::InvalidArgument, "42000"),
            (ffi::SQLITE_READONLY, Status::InvalidState, "25006"),
            (ffi::SQLITE_CANTOPEN, Status::Io, "08001"),
            (ffi::SQLITE_IOERR_READ, Status::Io, "58030"),
            (ffi::SQLITE_INTERRUPT, Status::Cancelled, "57014"),
            (ffi::SQLITE_NOTADB, Status::InvalidData, "XX001"),
            (ffi::SQLITE_TOOBIG, Status::InvalidData, "54000"),
            (9999, Status::Unknown, "HY000"),
        ];
        for (code, status, state) in cases {
            assert_eq!(map_code(code), (status, state), "code {code}");
        }
    }

    #[test]
    fn missing_and_duplicate_objects() {
        let e = (Status::InvalidArgument, "42000");
        assert_eq!(refine(e, "no such table: t"), (Status::NotFound, "42P01"));
        assert_eq!(refine(e, "no such column: x"), (Status::NotFound, "42703"));
        assert_eq!(refine(e, "table t already exists"), (Status::AlreadyExists, "42P07"));
        assert_eq!(refine(e, "near \"SELEC\": syntax error"), e);
        assert_eq!(refine((Status::Busy, "40001"), "no such table: t"), (Status::Busy, "40001"));
    }

    #[test]
    fn error_without_connection_uses_errstr() {
        let e = error(std::ptr::null_mut(), ffi::SQLITE_CANTOPEN);
        assert_eq!(e.status, Status::Io);
        assert_eq!(e.vendor_code, ffi::SQLITE_CANTOPEN);
        assert_eq!(e.driver, "sqlite");
        assert!(e.message.contains("unable to open"), "{}", e.message);
    }
}
