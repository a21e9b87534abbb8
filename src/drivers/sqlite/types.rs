//! Declared column types to keel types, column metadata, and typed reads
//! of stored text.

use super::statement::*;
use crate::core::value::{self, Column, Nullable, Type, ValueRef};
use rusqlite::ffi;
use std::ffi::{CStr, c_char, c_int};
use std::ptr;
use std::sync::Arc;

/// The keel type a declared SQLite column type maps to. SQLite's own
/// affinity rules decide storage; this decides how keel reads it back.
/// Undeclared (expression) columns map to `Type::Null`: each value then
/// carries its own storage type.
pub fn kind_from_decltype(decl: &str) -> Type {
    let d = decl.to_ascii_uppercase();
    let base = d.split('(').next().unwrap_or("").trim();
    let has = |s: &str| base.contains(s);
    if base.is_empty() {
        Type::Null
    } else if has("BOOL") {
        Type::Bool
    } else if has("UNSIGNED") || has("UINT64") {
        Type::Uint64
    } else if has("INT") && !has("INTERVAL") {
        Type::Int64
    } else if has("TIMESTAMPTZ") || has("WITH TIME ZONE") && has("TIMESTAMP") {
        Type::Timestamptz
    } else if has("DATETIME") || has("TIMESTAMP") {
        Type::Timestamp
    } else if base == "DATE" {
        Type::Date
    } else if base == "TIME" || base == "TIME WITHOUT TIME ZONE" {
        Type::Time
    } else if has("UUID") || has("GUID") || has("UNIQUEIDENTIFIER") {
        Type::Uuid
    } else if has("JSON") {
        Type::Json
    } else if has("DECIMAL") || has("NUMERIC") || has("MONEY") {
        Type::Decimal
    } else if has("CHAR") || has("CLOB") || has("TEXT") {
        Type::Text
    } else if has("BLOB") || has("BINARY") || has("BYTEA") {
        Type::Bytes
    } else if has("REAL") || has("FLOA") || has("DOUB") {
        Type::Double
    } else {
        Type::Null
    }
}

/// Column metadata of a statement, computed once per statement and again
/// after SQLite re-prepares it (a schema change can change its columns).
pub(super) struct ColInfo {
    pub(super) columns: Arc<[Column]>,
    pub(super) kinds: Vec<Type>,
    /// The statement's re-prepare count when this was computed.
    pub(super) reprepared: c_int,
}

/// How often SQLite has re-prepared the statement (schema changes).
pub(super) fn reprepare_count(raw: &RawStmt) -> c_int {
    // SAFETY: valid statement; reading a counter.
    unsafe { ffi::sqlite3_stmt_status(raw.ptr, ffi::SQLITE_STMTSTATUS_REPREPARE, 0) }
}

pub(super) fn cstr_at(p: *const c_char) -> Option<String> {
    // SAFETY: SQLite returns NULL or a NUL-terminated string.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

pub(super) fn column_info(raw: &RawStmt) -> ColInfo {
    let s = raw.ptr;
    let reprepared = reprepare_count(raw);
    // SAFETY: valid statement; indexes are in range.
    let n = unsafe { ffi::sqlite3_column_count(s) };
    let mut columns = Vec::with_capacity(n as usize);
    for i in 0..n {
        let (name, decl, nullable) = unsafe {
            let name = cstr_at(ffi::sqlite3_column_name(s, i)).unwrap_or_default();
            let decl = cstr_at(ffi::sqlite3_column_decltype(s, i)).unwrap_or_default();
            let mut nullable = Nullable::Unknown;
            let dbn = ffi::sqlite3_column_database_name(s, i);
            let tbl = ffi::sqlite3_column_table_name(s, i);
            let col = ffi::sqlite3_column_origin_name(s, i);
            if !tbl.is_null() && !col.is_null() {
                let mut notnull: c_int = 0;
                let mut pk: c_int = 0;
                let rc = ffi::sqlite3_table_column_metadata(
                    raw.db.0,
                    dbn,
                    tbl,
                    col,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    &mut notnull,
                    &mut pk,
                    ptr::null_mut(),
                );
                if rc == ffi::SQLITE_OK {
                    nullable = if notnull != 0 { Nullable::No } else { Nullable::Yes };
                }
            }
            (name, decl, nullable)
        };
        let kind = kind_from_decltype(&decl);
        let decimal = if kind == Type::Decimal { Column::decimal_from_type_name(&decl) } else { None };
        columns.push(Column { name, kind, engine_type: decl, nullable, decimal, list_of: None });
    }
    let kinds = columns.iter().map(|c| c.kind).collect();
    ColInfo { columns: columns.into(), kinds, reprepared }
}

/// Interpret text stored in a column of a declared keel type. Text that
/// does not parse is handed out as text, so nothing is lost; a typed read
/// then reports why it is not that type.
pub(super) fn typed_text(kind: Type, t: &str) -> ValueRef<'_> {
    match kind {
        Type::Date => value::parse_date(t).map_or(ValueRef::Text(t), ValueRef::Date),
        Type::Time => value::parse_time(t).map_or(ValueRef::Text(t), ValueRef::Time),
        Type::Timestamp | Type::Timestamptz => match value::parse_timestamp(t) {
            Ok((v, zoned)) if zoned || kind == Type::Timestamptz => ValueRef::Timestamptz(v),
            Ok((v, _)) => ValueRef::Timestamp(v),
            Err(_) => ValueRef::Text(t),
        },
        Type::Uuid => value::parse_uuid(t).map_or(ValueRef::Text(t), ValueRef::Uuid),
        Type::Json => ValueRef::Json(t),
        Type::Decimal if value::check_decimal(t).is_ok() => ValueRef::Decimal(t),
        _ => ValueRef::Text(t),
    }
}
