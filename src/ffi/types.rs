//! Plain C structs shared with callers, and their conversion to core values.

use super::boundary::{c_bytes, c_text, null_arg};
use crate::core::driver::{ExecResult, Isolation, TxLock, TxOptions};
use crate::core::error::{Error, Result};
use crate::core::value::{Type, ValueRef};

/// One value, in either direction.
///
/// `kind` is a `keel_type`. Which field carries the value:
/// - `KEEL_TYPE_NULL`: none.
/// - `KEEL_TYPE_BOOL`: `int_value` (0 or 1).
/// - `KEEL_TYPE_INT64`: `int_value`.
/// - `KEEL_TYPE_UINT64`: `uint_value`.
/// - `KEEL_TYPE_DOUBLE`: `double_value`.
/// - `KEEL_TYPE_DATE`: `int_value`, days since 1970-01-01.
/// - `KEEL_TYPE_TIME`: `int_value`, microseconds since midnight.
/// - `KEEL_TYPE_TIMESTAMP`, `KEEL_TYPE_TIMESTAMPTZ`: `int_value`,
///   microseconds since 1970-01-01T00:00:00Z.
/// - `KEEL_TYPE_TEXT`, `KEEL_TYPE_JSON`, `KEEL_TYPE_DECIMAL`: `data` and
///   `len`, UTF-8 (a decimal is its exact decimal text, e.g. `"-12.50"`).
/// - `KEEL_TYPE_BYTES`: `data` and `len`.
/// - `KEEL_TYPE_UUID`: `data` points at 16 bytes; `len` is 16.
///
/// As a parameter it is only read during the call. As a result, `data` is
/// borrowed from the cursor (see `keel_rows_column_value`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct keel_value {
    pub kind: i32,
    pub int_value: i64,
    pub uint_value: u64,
    pub double_value: f64,
    pub data: *const u8,
    pub len: usize,
}

impl keel_value {
    pub(crate) fn scalar(kind: Type) -> keel_value {
        keel_value {
            kind: kind as i32,
            int_value: 0,
            uint_value: 0,
            double_value: 0.0,
            data: std::ptr::null(),
            len: 0,
        }
    }
}

/// What a statement that returns no rows did.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct keel_exec_result {
    /// Rows inserted, updated or deleted; 0 for other statements, except
    /// that on PostgreSQL and SQL Server a SELECT run by exec reports the
    /// rows it returned (the server's own count: PostgreSQL's command tag,
    /// as libpq's PQcmdTuples; SQL Server's DONE token).
    pub rows_affected: u64,
    /// The id the engine gave the last inserted row, when
    /// `has_last_insert_id` is true (SQLite: `sqlite3_last_insert_rowid`).
    pub last_insert_id: i64,
    pub has_last_insert_id: bool,
}

impl From<ExecResult> for keel_exec_result {
    fn from(r: ExecResult) -> keel_exec_result {
        keel_exec_result {
            rows_affected: r.rows_affected,
            last_insert_id: r.last_insert_id.unwrap_or(0),
            has_last_insert_id: r.last_insert_id.is_some(),
        }
    }
}

/// Options for `keel_conn_begin`. Zero-initialized means the engine's
/// defaults: default isolation, read-write, default locking.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct keel_tx_options {
    /// A `keel_isolation` value.
    pub isolation: i32,
    /// Open the transaction read-only.
    pub read_only: bool,
    /// A `keel_tx_lock` value (SQLite's DEFERRED/IMMEDIATE/EXCLUSIVE).
    pub lock: i32,
}

impl keel_tx_options {
    pub(crate) fn to_core(self) -> Result<TxOptions> {
        self.to_core_checked().map_err(Error::not_sent)
    }

    fn to_core_checked(self) -> Result<TxOptions> {
        Ok(TxOptions {
            isolation: Isolation::from_i32(self.isolation).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "options->isolation {} is not a keel_isolation value",
                    self.isolation
                ))
            })?,
            read_only: self.read_only,
            lock: TxLock::from_i32(self.lock).ok_or_else(|| {
                Error::invalid_argument(format!("options->lock {} is not a keel_tx_lock value", self.lock))
            })?,
        })
    }
}

/// Read one C value as a core value, borrowing its data for the call.
pub(crate) fn value_in<'a>(v: &keel_value, name: &str) -> Result<ValueRef<'a>> {
    let kind = Type::from_i32(v.kind).ok_or_else(|| {
        Error::invalid_argument(format!("{name}.kind {} is not a keel_type value", v.kind))
    })?;
    let text = || c_text(v.data as *const std::ffi::c_char, v.len, &format!("{name}.data"));
    Ok(match kind {
        Type::Null => ValueRef::Null,
        Type::Bool => match v.int_value {
            0 => ValueRef::Bool(false),
            1 => ValueRef::Bool(true),
            n => {
                return Err(Error::invalid_argument(format!(
                    "{name}.int_value {n} is not a bool (0 or 1)"
                )));
            }
        },
        Type::Int64 => ValueRef::Int64(v.int_value),
        Type::Uint64 => ValueRef::Uint64(v.uint_value),
        Type::Double => ValueRef::Double(v.double_value),
        Type::Date => ValueRef::Date(i32::try_from(v.int_value).map_err(|_| {
            Error::invalid_argument(format!("{name}.int_value {} is out of range for a date", v.int_value))
        })?),
        Type::Time => {
            if !(0..crate::core::value::MICROS_PER_DAY).contains(&v.int_value) {
                return Err(Error::invalid_argument(format!(
                    "{name}.int_value {} is not a time of day in microseconds",
                    v.int_value
                )));
            }
            ValueRef::Time(v.int_value)
        }
        Type::Timestamp => ValueRef::Timestamp(v.int_value),
        Type::Timestamptz => ValueRef::Timestamptz(v.int_value),
        Type::Text => ValueRef::Text(text()?),
        Type::Json => ValueRef::Json(text()?),
        Type::Decimal => ValueRef::Decimal(text()?),
        Type::Bytes => ValueRef::Bytes(c_bytes(v.data, v.len, &format!("{name}.data"))?),
        Type::Uuid => {
            if v.data.is_null() {
                return Err(null_arg(&format!("{name}.data")));
            }
            if v.len != 16 {
                return Err(Error::invalid_argument(format!("{name}.len is {}, a uuid is 16 bytes", v.len)));
            }
            ValueRef::Uuid(c_bytes(v.data, 16, name)?.try_into().expect("16 bytes"))
        }
    })
}

/// Read a parameter array (NULL is allowed when `n` is 0).
pub(crate) fn params_in<'a>(p: *const keel_value, n: usize) -> Result<Vec<ValueRef<'a>>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(null_arg("params"));
    }
    // SAFETY: the caller passes `n` values valid for the call.
    let vals = unsafe { std::slice::from_raw_parts(p, n) };
    // Refused before anything is sent.
    vals.iter()
        .enumerate()
        .map(|(i, v)| value_in(v, &format!("params[{i}]")).map_err(Error::not_sent))
        .collect()
}

/// One option for `keel_db_open_options`: the same key and value text as
/// in a URL query string (`{"pool_max_open", "16"}`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct keel_option {
    pub key: *const std::ffi::c_char,
    pub value: *const std::ffi::c_char,
}
