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
//! Transactions are always SERIALIZABLE (a weaker level asked for is given
//! as SERIALIZABLE); read-only transactions use `PRAGMA query_only`.

mod errors;

use crate::core::driver::{
    Connector, Dialect, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, TxLock, TxOptions,
};
use crate::core::error::{Error, Result, Status};
use crate::core::options::{OptKind, OptSpec, Options};
use crate::core::url::ConnUrl;
use crate::core::value::{self, Column, Nullable, Type, ValueRef, MICROS_PER_SECOND};
use rusqlite::ffi;
use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct SqliteDriver;

pub static SQLITE: SqliteDriver = SqliteDriver;

const OPTIONS: &[OptSpec] = &[
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

impl Driver for SqliteDriver {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["sqlite", "sqlite3", "file"]
    }
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    fn options(&self) -> &'static [OptSpec] {
        OPTIONS
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
        flags |= ffi::SQLITE_OPEN_FULLMUTEX;
        let path = if memory {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            flags = ffi::SQLITE_OPEN_READWRITE
                | ffi::SQLITE_OPEN_CREATE
                | ffi::SQLITE_OPEN_URI
                | ffi::SQLITE_OPEN_FULLMUTEX;
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

/// An open `sqlite3*`, closed on drop. Statements hold an `Arc` to it, so
/// it outlives them.
struct RawDb(*mut ffi::sqlite3);

// SAFETY: the bundled SQLite is built with SQLITE_THREADSAFE=1 and keel opens
// every connection with SQLITE_OPEN_FULLMUTEX (serialized mode), so a
// connection may be used from any thread.
unsafe impl Send for RawDb {}
unsafe impl Sync for RawDb {}

impl Drop for RawDb {
    fn drop(&mut self) {
        // SAFETY: we own the handle, and every statement (which holds an Arc to us) is already finalized.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

impl RawDb {
    /// Run fixed SQL (no parameters, no rows wanted).
    fn exec(&self, sql: &CStr) -> Result<()> {
        // SAFETY: open handle, NUL-terminated SQL, no callback.
        let rc = unsafe { ffi::sqlite3_exec(self.0, sql.as_ptr(), None, ptr::null_mut(), ptr::null_mut()) };
        if rc == ffi::SQLITE_OK { Ok(()) } else { Err(errors::error(self.0, rc)) }
    }

    fn exec_str(&self, sql: &str) -> Result<()> {
        let c = CString::new(sql).map_err(|_| Error::invalid_argument("SQL contains a NUL byte"))?;
        self.exec(&c)
    }
}

struct SqliteConnector {
    path: CString,
    flags: c_int,
    busy_timeout_ms: u32,
    foreign_keys: bool,
    journal_mode: Option<String>,
    keeper: Option<RawDb>,
}

impl SqliteConnector {
    fn open_raw(&self) -> Result<RawDb> {
        let mut db = ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        let rc = unsafe { ffi::sqlite3_open_v2(self.path.as_ptr(), &mut db, self.flags, ptr::null()) };
        if rc != ffi::SQLITE_OK {
            let mut e = errors::error(db, rc);
            // SAFETY: a handle is returned even on failure and must be closed.
            unsafe { ffi::sqlite3_close(db) };
            e.message = format!("cannot open {:?}: {}", self.path.to_string_lossy(), e.message);
            return Err(e);
        }
        let raw = RawDb(db);
        // SAFETY: open handle.
        unsafe {
            ffi::sqlite3_extended_result_codes(db, 1);
            ffi::sqlite3_busy_timeout(db, self.busy_timeout_ms.min(c_int::MAX as u32) as c_int);
        }
        raw.exec(if self.foreign_keys { c"PRAGMA foreign_keys=ON" } else { c"PRAGMA foreign_keys=OFF" })?;
        if let Some(mode) = &self.journal_mode {
            raw.exec_str(&format!("PRAGMA journal_mode={mode}"))?;
        }
        Ok(raw)
    }
}

impl Connector for SqliteConnector {
    fn connect(&self) -> Result<Box<dyn DriverConn>> {
        let db = Arc::new(self.open_raw()?);
        // SAFETY: sqlite3_libversion returns a static string.
        let version = unsafe { CStr::from_ptr(ffi::sqlite3_libversion()) }
            .to_string_lossy()
            .into_owned();
        Ok(Box::new(SqliteConn { db, version, read_only_tx: false }))
    }
}

struct SqliteConn {
    db: Arc<RawDb>,
    version: String,
    read_only_tx: bool,
}

/// Whether text after a statement holds anything but blanks, `;` and comments.
fn has_more_sql(db: *mut ffi::sqlite3, tail: &[u8]) -> bool {
    let rest = tail
        .iter()
        .position(|c| !c.is_ascii_whitespace() && *c != b';')
        .map(|i| &tail[i..]);
    let Some(rest) = rest else { return false };
    let mut stmt = ptr::null_mut();
    // SAFETY: rest is a valid buffer of the given length.
    let rc = unsafe {
        ffi::sqlite3_prepare_v3(db, rest.as_ptr() as *const c_char, rest.len() as c_int, 0, &mut stmt, ptr::null_mut())
    };
    // SAFETY: finalize accepts NULL.
    unsafe { ffi::sqlite3_finalize(stmt) };
    // Only comments prepare to no statement; anything else, even a broken
    // statement, is a second statement.
    rc != ffi::SQLITE_OK || !stmt.is_null()
}

impl DriverConn for SqliteConn {
    fn prepare(&mut self, sql: &str) -> Result<Box<dyn DriverStmt>> {
        let len = c_int::try_from(sql.len())
            .map_err(|_| Error::invalid_argument("SQL text is longer than SQLite accepts (2 GiB)"))?;
        let db = self.db.0;
        let mut stmt = ptr::null_mut();
        let mut tail: *const c_char = ptr::null();
        // SAFETY: sql is valid for len bytes; out-pointers are valid.
        let rc = unsafe { ffi::sqlite3_prepare_v3(db, sql.as_ptr() as *const c_char, len, 0, &mut stmt, &mut tail) };
        if rc != ffi::SQLITE_OK {
            return Err(errors::error(db, rc));
        }
        if stmt.is_null() {
            return Err(Error::invalid_argument("SQL holds no statement"));
        }
        let raw = RawStmt { ptr: stmt, db: self.db.clone(), generation: AtomicU64::new(0) };
        let used = tail as usize - sql.as_ptr() as usize;
        if has_more_sql(db, &sql.as_bytes()[used..]) {
            return Err(Error::invalid_argument(
                "SQL holds more than one statement; keel runs exactly one per call, so nothing was run",
            )
            .with_sqlstate("42000")
            .with_driver("sqlite"));
        }
        // SAFETY: valid statement.
        let n = unsafe { ffi::sqlite3_bind_parameter_count(stmt) } as usize;
        Ok(Box::new(SqliteStmt { raw: Arc::new(raw), params: n, columns: None }))
    }

    fn begin(&mut self, opts: &TxOptions) -> Result<()> {
        if opts.read_only {
            self.db.exec(c"PRAGMA query_only=ON")?;
        }
        let sql = match opts.lock {
            TxLock::Default | TxLock::Deferred => c"BEGIN DEFERRED",
            TxLock::Immediate => c"BEGIN IMMEDIATE",
            TxLock::Exclusive => c"BEGIN EXCLUSIVE",
        };
        match self.db.exec(sql) {
            Ok(()) => {
                self.read_only_tx = opts.read_only;
                Ok(())
            }
            Err(e) => {
                if opts.read_only {
                    let _ = self.db.exec(c"PRAGMA query_only=OFF");
                }
                Err(e)
            }
        }
    }

    fn commit(&mut self) -> Result<()> {
        self.db.exec(c"COMMIT")?;
        self.end_tx()
    }

    fn rollback(&mut self) -> Result<()> {
        let r = self.db.exec(c"ROLLBACK");
        if !self.in_transaction() {
            self.end_tx()?;
        }
        r
    }

    fn savepoint(&mut self, name: &str) -> Result<()> {
        self.db.exec_str(&format!("SAVEPOINT \"{name}\""))
    }

    fn release(&mut self, name: &str) -> Result<()> {
        self.db.exec_str(&format!("RELEASE SAVEPOINT \"{name}\""))?;
        if !self.in_transaction() {
            self.end_tx()?;
        }
        Ok(())
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.db.exec_str(&format!("ROLLBACK TO SAVEPOINT \"{name}\""))
    }

    fn in_transaction(&self) -> bool {
        // SAFETY: open handle.
        unsafe { ffi::sqlite3_get_autocommit(self.db.0) == 0 }
    }

    fn ping(&mut self) -> Result<()> {
        self.db.exec(c"SELECT 1")
    }

    fn server_version(&self) -> &str {
        &self.version
    }
}

impl SqliteConn {
    fn end_tx(&mut self) -> Result<()> {
        if std::mem::take(&mut self.read_only_tx) {
            self.db.exec(c"PRAGMA query_only=OFF")?;
        }
        Ok(())
    }
}

/// A prepared `sqlite3_stmt*`, finalized on drop. Every run bumps
/// `generation`, which closes cursors opened by earlier runs.
struct RawStmt {
    ptr: *mut ffi::sqlite3_stmt,
    db: Arc<RawDb>,
    generation: AtomicU64,
}

// SAFETY: serialized mode (see RawDb); the statement is used by one keel
// handle at a time per the C ABI's thread rule.
unsafe impl Send for RawStmt {}
unsafe impl Sync for RawStmt {}

impl Drop for RawStmt {
    fn drop(&mut self) {
        // SAFETY: we own the statement.
        unsafe { ffi::sqlite3_finalize(self.ptr) };
    }
}

impl RawStmt {
    fn error(&self, rc: c_int) -> Error {
        errors::error(self.db.0, rc)
    }

    /// Reset for a new run; returns the new generation.
    fn restart(&self) -> u64 {
        // SAFETY: valid statement. The reset code repeats the last step's
        // error, which was already reported.
        unsafe { ffi::sqlite3_reset(self.ptr) };
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }
}

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

/// Column metadata of a statement, computed once per statement.
struct ColInfo {
    columns: Vec<Column>,
    kinds: Vec<Type>,
}

fn cstr_at(p: *const c_char) -> Option<String> {
    // SAFETY: SQLite returns NULL or a NUL-terminated string.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn column_info(raw: &RawStmt) -> ColInfo {
    let s = raw.ptr;
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
        columns.push(Column { name, kind: kind_from_decltype(&decl), engine_type: decl, nullable });
    }
    let kinds = columns.iter().map(|c| c.kind).collect();
    ColInfo { columns, kinds }
}

struct SqliteStmt {
    raw: Arc<RawStmt>,
    params: usize,
    columns: Option<Arc<ColInfo>>,
}

fn out_of_range(what: String) -> Error {
    Error::invalid_argument(what).with_sqlstate("22003").with_driver("sqlite")
}

impl SqliteStmt {
    fn bind_text(&self, i: c_int, t: &str) -> c_int {
        // SAFETY: valid statement; SQLITE_TRANSIENT makes SQLite copy the text.
        unsafe {
            ffi::sqlite3_bind_text64(
                self.raw.ptr,
                i,
                t.as_ptr() as *const c_char,
                t.len() as u64,
                ffi::SQLITE_TRANSIENT(),
                ffi::SQLITE_UTF8 as u8,
            )
        }
    }
}

impl DriverStmt for SqliteStmt {
    fn param_count(&self) -> usize {
        self.params
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        let s = self.raw.ptr;
        let i = index as c_int + 1;
        let mut buf = String::new();
        // A new binding ends any cursor still reading the old one.
        self.raw.restart();
        // SAFETY: valid statement; index range-checked by the core.
        let rc = unsafe {
            match value {
                ValueRef::Null => ffi::sqlite3_bind_null(s, i),
                ValueRef::Bool(v) => ffi::sqlite3_bind_int64(s, i, v as i64),
                ValueRef::Int64(v) => ffi::sqlite3_bind_int64(s, i, v),
                ValueRef::Uint64(v) => {
                    let v = i64::try_from(v).map_err(|_| {
                        out_of_range(format!(
                            "uint64 value {v} does not fit SQLite's 64-bit signed INTEGER"
                        ))
                    })?;
                    ffi::sqlite3_bind_int64(s, i, v)
                }
                ValueRef::Double(v) => {
                    if v.is_nan() {
                        return Err(out_of_range(
                            "SQLite cannot store NaN (it would become NULL)".into(),
                        ));
                    }
                    ffi::sqlite3_bind_double(s, i, v)
                }
                ValueRef::Text(t) | ValueRef::Json(t) => self.bind_text(i, t),
                ValueRef::Decimal(t) => {
                    value::check_decimal(t)?;
                    self.bind_text(i, t)
                }
                ValueRef::Bytes(b) => ffi::sqlite3_bind_blob64(
                    s,
                    i,
                    b.as_ptr() as *const std::ffi::c_void,
                    b.len() as u64,
                    ffi::SQLITE_TRANSIENT(),
                ),
                ValueRef::Date(_)
                | ValueRef::Time(_)
                | ValueRef::Timestamp(_)
                | ValueRef::Timestamptz(_)
                | ValueRef::Uuid(_) => {
                    value.write_text(&mut buf)?;
                    self.bind_text(i, &buf)
                }
            }
        };
        if rc == ffi::SQLITE_OK { Ok(()) } else { Err(self.raw.error(rc)) }
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.raw.restart();
        // SAFETY: valid statement.
        unsafe { ffi::sqlite3_clear_bindings(self.raw.ptr) };
        Ok(())
    }

    fn execute(&mut self) -> Result<ExecResult> {
        let raw = &self.raw;
        let db = raw.db.0;
        raw.restart();
        // SAFETY: valid handles throughout.
        unsafe {
            let before = ffi::sqlite3_total_changes64(db);
            let rc = loop {
                let rc = ffi::sqlite3_step(raw.ptr);
                if rc != ffi::SQLITE_ROW {
                    break rc;
                }
            };
            let result = if rc == ffi::SQLITE_DONE {
                let changed = ffi::sqlite3_total_changes64(db) != before;
                Ok(ExecResult {
                    rows_affected: if changed { ffi::sqlite3_changes64(db).max(0) as u64 } else { 0 },
                    last_insert_id: Some(ffi::sqlite3_last_insert_rowid(db)),
                })
            } else {
                Err(raw.error(rc))
            };
            ffi::sqlite3_reset(raw.ptr);
            result
        }
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let generation = self.raw.restart();
        let info = self.columns.get_or_insert_with(|| Arc::new(column_info(&self.raw))).clone();
        Ok(Box::new(SqliteRows { raw: self.raw.clone(), generation, info, done: false }))
    }
}

struct SqliteRows {
    raw: Arc<RawStmt>,
    generation: u64,
    info: Arc<ColInfo>,
    done: bool,
}

impl SqliteRows {
    fn current(&self) -> bool {
        self.raw.generation.load(Ordering::Relaxed) == self.generation
    }
}

impl Drop for SqliteRows {
    fn drop(&mut self) {
        if self.current() && !self.done {
            // Closing early: release the statement's read lock now.
            self.raw.restart();
        }
    }
}

/// Interpret text stored in a column of a declared keel type. Text that
/// does not parse is handed out as text, so nothing is lost; a typed read
/// then reports why it is not that type.
fn typed_text(kind: Type, t: &str) -> ValueRef<'_> {
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

impl DriverRows for SqliteRows {
    fn columns(&self) -> &[Column] {
        &self.info.columns
    }

    fn next(&mut self) -> Result<bool> {
        if !self.current() {
            return Err(Error::new(
                Status::InvalidState,
                "this cursor was closed because its statement was run, rebound or reset again",
            ));
        }
        if self.done {
            return Ok(false);
        }
        // SAFETY: valid statement.
        match unsafe { ffi::sqlite3_step(self.raw.ptr) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => {
                self.done = true;
                // SAFETY: valid statement; releases its read lock.
                unsafe { ffi::sqlite3_reset(self.raw.ptr) };
                Ok(false)
            }
            rc => {
                self.done = true;
                let e = self.raw.error(rc);
                // SAFETY: as above.
                unsafe { ffi::sqlite3_reset(self.raw.ptr) };
                Err(e)
            }
        }
    }

    #[inline]
    fn value(&self, i: usize) -> ValueRef<'_> {
        let s = self.raw.ptr;
        let c = i as c_int;
        let kind = self.info.kinds[i];
        // SAFETY: valid statement positioned on a row; c is in range. Text
        // and blob pointers stay valid until the next step/reset, which
        // needs &mut self.
        unsafe {
            match ffi::sqlite3_column_type(s, c) {
                ffi::SQLITE_INTEGER => {
                    let v = ffi::sqlite3_column_int64(s, c);
                    match kind {
                        Type::Bool if v == 0 || v == 1 => ValueRef::Bool(v == 1),
                        Type::Uint64 if v >= 0 => ValueRef::Uint64(v as u64),
                        // Integers in a timestamp column are Unix seconds,
                        // as SQLite's date functions read them.
                        Type::Timestamp | Type::Timestamptz => match v.checked_mul(MICROS_PER_SECOND) {
                            Some(us) if kind == Type::Timestamp => ValueRef::Timestamp(us),
                            Some(us) => ValueRef::Timestamptz(us),
                            None => ValueRef::Int64(v),
                        },
                        _ => ValueRef::Int64(v),
                    }
                }
                ffi::SQLITE_FLOAT => ValueRef::Double(ffi::sqlite3_column_double(s, c)),
                ffi::SQLITE_TEXT => {
                    let p = ffi::sqlite3_column_text(s, c);
                    let n = ffi::sqlite3_column_bytes(s, c) as usize;
                    let bytes: &[u8] = if p.is_null() { &[] } else { std::slice::from_raw_parts(p, n) };
                    match std::str::from_utf8(bytes) {
                        Ok(t) => typed_text(kind, t),
                        // Invalid UTF-8 stays readable as bytes.
                        Err(_) => ValueRef::Bytes(bytes),
                    }
                }
                ffi::SQLITE_BLOB => {
                    let p = ffi::sqlite3_column_blob(s, c) as *const u8;
                    let n = ffi::sqlite3_column_bytes(s, c) as usize;
                    let b: &[u8] = if p.is_null() { &[] } else { std::slice::from_raw_parts(p, n) };
                    match kind {
                        Type::Uuid if n == 16 => ValueRef::Uuid(b.try_into().expect("16 bytes")),
                        _ => ValueRef::Bytes(b),
                    }
                }
                _ => ValueRef::Null,
            }
        }
    }

    fn text_is_nul_terminated(&self) -> bool {
        // sqlite3_column_text always ends its text with a NUL.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
