//! Plain C structs shared with callers, and their conversion to core values.

use super::boundary::{c_bytes, c_text, null_arg};
use crate::core::driver::{ExecResult, Isolation, TxLock, TxOptions};
use crate::core::error::{Error, Result};
use crate::core::value::{Type, ValueRef};

/// The engine behind a pool or connection. Part of the C ABI
/// (`keel_dialect`): numbers never change. A driver the library was not
/// built with (registered at run time) is `KEEL_DIALECT_UNKNOWN`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Unknown = 0,
    Sqlite = 1,
    Postgres = 2,
    Mysql = 3,
    Mssql = 4,
}

impl Dialect {
    /// The dialect of the driver named `name` (the registry's names of the
    /// built-in drivers; the C enum is the only place that maps them).
    pub fn of_driver(name: &str) -> Dialect {
        match name {
            "sqlite" => Dialect::Sqlite,
            "postgres" => Dialect::Postgres,
            "mysql" => Dialect::Mysql,
            "mssql" => Dialect::Mssql,
            _ => Dialect::Unknown,
        }
    }
}

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

    /// `v` in C form, pointing into `v` (a uuid's bytes) or into what it
    /// borrows (text, bytes): valid while `v` is.
    #[inline(always)]
    pub(crate) fn borrowing(v: &ValueRef<'_>) -> keel_value {
        let mut out = keel_value::scalar(v.kind());
        match *v {
            ValueRef::Null => {}
            ValueRef::Bool(b) => out.int_value = b as i64,
            ValueRef::Int64(n) => out.int_value = n,
            ValueRef::Uint64(n) => out.uint_value = n,
            ValueRef::Double(d) => out.double_value = d,
            ValueRef::Date(d) => out.int_value = d as i64,
            ValueRef::Time(t) | ValueRef::Timestamp(t) | ValueRef::Timestamptz(t) => out.int_value = t,
            ValueRef::Text(s) | ValueRef::Json(s) | ValueRef::Decimal(s) => {
                out.data = s.as_ptr();
                out.len = s.len();
            }
            ValueRef::Bytes(b) => {
                out.data = b.as_ptr();
                out.len = b.len();
            }
            ValueRef::Uuid(ref u) => {
                out.data = u.as_ptr();
                out.len = u.len();
            }
        }
        out
    }
}

/// What a statement that returns no rows did.
///
/// Set `size` to `sizeof(keel_exec_result)`, or leave it 0, which means
/// this layout, before passing one (see ABI STABILITY above); a struct
/// with a smaller size is refused before the statement runs. Always
/// initialize it (`keel_exec_result r = {.size = sizeof r};`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct keel_exec_result {
    /// The size of the struct the caller allocated, in bytes; 0 for this
    /// layout. keel never changes it.
    pub size: usize,
    /// Rows inserted, updated or deleted; 0 for other statements, except
    /// that on PostgreSQL and SQL Server a SELECT run by exec reports the
    /// rows it returned (the server's own count: PostgreSQL's command tag,
    /// as libpq's PQcmdTuples; SQL Server's DONE token). A MariaDB
    /// `INSERT`/`REPLACE`/`DELETE ... RETURNING` reports the rows it
    /// returned, one per row written (the server's own count says 0).
    pub rows_affected: u64,
    /// The id the engine gave the last inserted row, when
    /// `has_last_insert_id` is true (SQLite: `sqlite3_last_insert_rowid`).
    /// MySQL/MariaDB report the first row's id for one statement that
    /// inserted several (`INSERT ... VALUES (...), (...)`: its
    /// `LAST_INSERT_ID()`), and keel passes that on; a batch of one-row
    /// INSERTs (`keel_stmt_execute_batch`) gives the last row's.
    pub last_insert_id: i64,
    pub has_last_insert_id: bool,
}

impl From<ExecResult> for keel_exec_result {
    fn from(r: ExecResult) -> keel_exec_result {
        keel_exec_result {
            size: std::mem::size_of::<keel_exec_result>(),
            rows_affected: r.rows_affected,
            last_insert_id: r.last_insert_id.unwrap_or(0),
            has_last_insert_id: r.last_insert_id.is_some(),
        }
    }
}

/// A struct that starts with the `size` of the caller's version of it (see
/// ABI STABILITY in the header's preamble).
///
/// How these structs grow: a new field goes at the end, 8-byte aligned and
/// a multiple of 8 bytes long, so that every layout is larger than the one
/// before (a field squeezed into trailing padding would leave `sizeof`
/// unchanged and old programs' padding would be read as the new field).
/// Today's layout is the first with a `size`, so a caller's size is 0
/// (today's layout), or at least `size_of::<Self>()` (a newer program:
/// keel touches only the part it knows); anything between is no layout
/// keel ever had, and is refused before anything runs.
pub(crate) trait Sized0: Copy {
    /// The C name, for messages.
    const NAME: &'static str;

    /// Check the `size` field of a caller's struct at `p` (NULL is fine).
    ///
    /// # Safety
    /// `p` is NULL or points at a caller's struct that holds at least its
    /// `size` field.
    unsafe fn check_size(p: *const Self, what: &str) -> Result<()> {
        if p.is_null() {
            return Ok(());
        }
        // SAFETY: `size` is the first field of every such struct (repr(C)).
        let size = unsafe { (p as *const usize).read_unaligned() };
        let ours = std::mem::size_of::<Self>();
        if size != 0 && size < ours {
            return Err(Error::invalid_argument(format!(
                "{what}->size is {size}, smaller than any {} keel knows ({ours} bytes): set it to sizeof({}), or 0",
                Self::NAME,
                Self::NAME
            ))
            .not_sent());
        }
        Ok(())
    }
}

impl Sized0 for keel_exec_result {
    const NAME: &'static str = "keel_exec_result";
}
impl Sized0 for keel_tx_options {
    const NAME: &'static str = "keel_tx_options";
}
impl Sized0 for keel_pool_stats {
    const NAME: &'static str = "keel_pool_stats";
}

/// Write `v` into the caller's struct at `out` (checked with
/// [`Sized0::check_size`] before the call did anything): every field but
/// `size`, which stays as the caller set it; bytes beyond this layout (a
/// newer program's fields) are left alone.
pub(crate) fn write_sized<T: Sized0>(out: *mut T, v: T) {
    let skip = std::mem::size_of::<usize>();
    // SAFETY: `out` was checked non-NULL and of a size of at least this
    // layout by the caller (the contract of `check_size`).
    unsafe {
        let src = (&v as *const T as *const u8).add(skip);
        std::ptr::copy_nonoverlapping(src, (out as *mut u8).add(skip), std::mem::size_of::<T>() - skip);
    }
}

/// Check the caller's result struct (NULL is fine) before running anything.
pub(crate) fn check_result(out: *const keel_exec_result) -> Result<()> {
    // SAFETY: NULL or the caller's struct (the contract).
    unsafe { keel_exec_result::check_size(out, "result_out") }
}

/// Write an exec result when the caller asked for one (`out` may be NULL;
/// checked with [`check_result`] first).
pub(crate) fn write_result(out: *mut keel_exec_result, r: ExecResult) {
    if !out.is_null() {
        write_sized(out, r.into());
    }
}

/// Options for `keel_conn_begin`. Zero-initialized means the engine's
/// defaults: default isolation, read-write, default locking.
///
/// Set `size` to `sizeof(keel_tx_options)`, or leave it 0, which means
/// this layout (see ABI STABILITY above). Every field's zero value is its
/// default, and a field a newer header adds is read only from programs
/// whose `size` covers it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct keel_tx_options {
    /// The size of the struct the caller allocated, in bytes; 0 for this
    /// layout.
    pub size: usize,
    /// A `keel_isolation` value.
    pub isolation: i32,
    /// A `keel_tx_lock` value (SQLite's DEFERRED/IMMEDIATE/EXCLUSIVE).
    pub lock: i32,
    /// Open the transaction read-only.
    pub read_only: bool,
}

impl keel_tx_options {
    /// Read the caller's options (NULL: the defaults). A byte that is not
    /// 0 or 1 where a bool belongs reads as true, never as undefined.
    pub(crate) fn read(p: *const keel_tx_options) -> Result<keel_tx_options> {
        if p.is_null() {
            return Ok(keel_tx_options::default());
        }
        // SAFETY: the caller's struct, valid for the call (the contract).
        unsafe {
            keel_tx_options::check_size(p, "options")?;
            let base = p as *const u8;
            let at = |off: usize| base.add(off);
            Ok(keel_tx_options {
                size: 0,
                isolation: (at(std::mem::offset_of!(keel_tx_options, isolation)) as *const i32).read_unaligned(),
                lock: (at(std::mem::offset_of!(keel_tx_options, lock)) as *const i32).read_unaligned(),
                read_only: at(std::mem::offset_of!(keel_tx_options, read_only)).read() != 0,
            })
        }
    }
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

/// `micros` as a time of day, or an error naming it as `what()` (made
/// only for the error).
pub(crate) fn time_of_day(micros: i64, what: impl FnOnce() -> String) -> Result<ValueRef<'static>> {
    if !(0..crate::core::value::MICROS_PER_DAY).contains(&micros) {
        return Err(Error::invalid_argument(format!(
            "{} {micros} is not a time of day (0 to {} microseconds since midnight)",
            what(),
            crate::core::value::MICROS_PER_DAY - 1
        )));
    }
    Ok(ValueRef::Time(micros))
}

/// Read one C value as a core value, borrowing its data for the call.
pub(crate) fn value_in<'a>(v: &keel_value, name: &str) -> Result<ValueRef<'a>> {
    let kind = Type::from_i32(v.kind).ok_or_else(|| {
        Error::invalid_argument(format!("{name}.kind {} is not a keel_type value", v.kind))
    })?;
    // The name goes into an error only: it is made when there is one.
    let text = || {
        let p = v.data as *const std::ffi::c_char;
        c_text(p, v.len, "").or_else(|_| c_text(p, v.len, &format!("{name}.data")))
    };
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
        Type::Time => time_of_day(v.int_value, || format!("{name}.int_value"))?,
        Type::Timestamp => ValueRef::Timestamp(v.int_value),
        Type::Timestamptz => ValueRef::Timestamptz(v.int_value),
        Type::Text => ValueRef::Text(text()?),
        Type::Json => ValueRef::Json(text()?),
        Type::Decimal => ValueRef::Decimal(text()?),
        Type::Bytes => {
            ValueRef::Bytes(c_bytes(v.data, v.len, "").or_else(|_| c_bytes(v.data, v.len, &format!("{name}.data")))?)
        }
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
    // The value's name is formatted only when it is bad, so a call
    // allocates nothing per parameter.
    vals.iter()
        .enumerate()
        .map(|(i, v)| value_in(v, "params").or_else(|_| value_in(v, &format!("params[{i}]"))).map_err(Error::not_sent))
        .collect()
}

/// A pool's statistics, from `keel_db_stats`.
///
/// Set `size` to `sizeof(keel_pool_stats)`, or leave it 0, which means
/// this layout, before calling (see ABI STABILITY above): keel writes the
/// fields it knows and leaves a newer program's later fields alone.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct keel_pool_stats {
    /// The size of the struct the caller allocated, in bytes; 0 for this
    /// layout. keel never changes it.
    pub size: usize,
    /// Connections open now, idle and in use.
    pub open: u64,
    pub in_use: u64,
    pub idle: u64,
    /// Checkouts that had to wait for a free connection.
    pub wait_count: u64,
    /// Total time those checkouts waited, in microseconds.
    pub wait_duration_us: u64,
    /// Checkouts that failed at `pool_acquire_timeout_ms`.
    pub wait_timeouts: u64,
    /// Connections closed because more than `pool_max_idle` were idle.
    pub closed_max_idle: u64,
    /// Connections closed at `pool_max_lifetime_ms`.
    pub closed_max_lifetime: u64,
    /// Connections closed at `pool_max_idle_time_ms`.
    pub closed_max_idle_time: u64,
    /// Connections closed because they broke, failed the health check, or
    /// could not be rolled back when returned.
    pub closed_broken: u64,
    /// exec/query calls whose statement came from the connection's
    /// statement cache (`stmt_cache_size`), and those that prepared it.
    pub stmt_cache_hits: u64,
    pub stmt_cache_misses: u64,
}

impl From<crate::core::pool::PoolStats> for keel_pool_stats {
    fn from(s: crate::core::pool::PoolStats) -> keel_pool_stats {
        keel_pool_stats {
            size: std::mem::size_of::<keel_pool_stats>(),
            open: s.open,
            in_use: s.in_use,
            idle: s.idle,
            wait_count: s.wait_count,
            wait_duration_us: s.wait_duration_us,
            wait_timeouts: s.wait_timeouts,
            closed_max_idle: s.closed_max_idle,
            closed_max_lifetime: s.closed_max_lifetime,
            closed_max_idle_time: s.closed_max_idle_time,
            closed_broken: s.closed_broken,
            stmt_cache_hits: s.stmt_cache_hits,
            stmt_cache_misses: s.stmt_cache_misses,
        }
    }
}

/// One option for `keel_db_open_options`: the same key and value text as
/// in a URL query string (`{"pool_max_open", "16"}`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct keel_option {
    pub key: *const std::ffi::c_char,
    pub value: *const std::ffi::c_char,
}
