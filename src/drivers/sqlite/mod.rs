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

mod errors;

use crate::core::driver::{
    CancelHandle, Connector, Dialect, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, TxLock, TxOptions,
};
use crate::core::error::{Error, Result, Status};
use crate::core::options::{OptKind, OptSpec, Options};
use crate::core::url::ConnUrl;
use crate::core::value::{self, Column, Nullable, Type, ValueRef, MICROS_PER_SECOND};
use rusqlite::ffi;
use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub struct SqliteDriver;

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

/// An open `sqlite3*`, closed on drop. Statements hold an `Arc` to it, so
/// it outlives them.
struct RawDb(*mut ffi::sqlite3, Option<Box<BusyWait>>, Option<Box<Deadline>>);

/// `statement_timeout_ms` for SQLite, which has no timeout of its own: a
/// progress handler, called every few thousand VM steps, interrupts a step
/// that runs past its deadline; the error then reads TIMEOUT instead of
/// CANCELLED.
struct Deadline {
    limit: std::time::Duration,
    until: std::cell::Cell<Option<std::time::Instant>>,
    fired: std::cell::Cell<bool>,
}

/// The progress callback; SQLite calls it with the connection's mutex held.
extern "C" fn past_deadline(state: *mut std::ffi::c_void) -> c_int {
    // SAFETY: `state` is the Deadline boxed in the RawDb that owns this
    // connection, which outlives it.
    let d = unsafe { &*(state as *const Deadline) };
    match d.until.get() {
        Some(t) if std::time::Instant::now() >= t => {
            d.fired.set(true);
            1
        }
        _ => 0,
    }
}

/// State of keel's busy handler for one connection.
///
/// SQLite's own busy handler (`sqlite3_busy_timeout`) sleeps at least a
/// millisecond between retries, so connections that take turns on a lock
/// spend most of their time asleep. keel's handler first yields the CPU to
/// the lock holder, then sleeps in short, growing steps, and gives up with
/// SQLITE_BUSY once `busy_timeout_ms` has passed since the first retry.
struct BusyWait {
    timeout: std::time::Duration,
    started: std::cell::Cell<Option<std::time::Instant>>,
}

/// The busy callback. SQLite calls it with the connection's mutex held, so
/// it never runs twice at once for one connection; it cannot panic.
extern "C" fn busy_wait(state: *mut std::ffi::c_void, count: c_int) -> c_int {
    // SAFETY: `state` is the BusyWait boxed in the RawDb that owns this
    // connection, which outlives it.
    let b = unsafe { &*(state as *const BusyWait) };
    let now = std::time::Instant::now();
    if count == 0 {
        b.started.set(Some(now));
    }
    let waited = b.started.get().map_or(std::time::Duration::ZERO, |s| now.duration_since(s));
    if waited >= b.timeout {
        return 0;
    }
    if count < 32 {
        std::thread::yield_now();
    } else {
        let step = std::time::Duration::from_micros(20u64 << ((count as u32 - 32) / 8).min(6));
        std::thread::sleep(step.min(b.timeout - waited));
    }
    1
}

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

/// SQLite's process-wide mutexes that a child of fork() needs to open
/// connections of its own (keel never uses the ones it inherited; see
/// `core::fork`): the allocator's (memory statistics are on) and the unix
/// VFS's (its list of open files, the memdb registry, the temp directory).
/// A thread of the parent inside SQLite at the instant of the fork would
/// leave one of them locked for ever in the child, whose first SQLite call
/// would then hang. These handlers hold both across fork(), as glibc does
/// with malloc's locks. SQLite takes them in this order (the allocator's is
/// a leaf: nothing else is taken while it is held), so this cannot
/// deadlock. Registered once, after SQLite is initialized.
#[cfg(unix)]
fn hold_globals_across_fork() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: plain C functions, kept by libc for the process's life.
        unsafe { libc::pthread_atfork(Some(lock_globals), Some(unlock_globals), Some(unlock_globals)) };
    });
}

#[cfg(unix)]
const FORK_MUTEXES: [c_int; 2] = [ffi::SQLITE_MUTEX_STATIC_VFS1, ffi::SQLITE_MUTEX_STATIC_MEM];

#[cfg(unix)]
extern "C" fn lock_globals() {
    for id in FORK_MUTEXES {
        // SAFETY: static mutexes of an initialized SQLite; never freed.
        unsafe {
            let m = ffi::sqlite3_mutex_alloc(id);
            if !m.is_null() {
                ffi::sqlite3_mutex_enter(m);
            }
        }
    }
}

#[cfg(unix)]
extern "C" fn unlock_globals() {
    for id in FORK_MUTEXES.iter().rev() {
        // SAFETY: locked by `lock_globals` on this thread (in the child, on
        // its copy of that thread); SQLite's static mutexes are plain
        // (non-recursive) pthread mutexes, which the child may unlock.
        unsafe {
            let m = ffi::sqlite3_mutex_alloc(*id);
            if !m.is_null() {
                ffi::sqlite3_mutex_leave(m);
            }
        }
    }
}

struct SqliteConnector {
    path: CString,
    flags: c_int,
    busy_timeout_ms: u32,
    statement_timeout_ms: u32,
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
        #[cfg(unix)]
        hold_globals_across_fork();
        let mut raw = RawDb(db, None, None);
        // SAFETY: open handle.
        unsafe { ffi::sqlite3_extended_result_codes(db, 1) };
        if self.busy_timeout_ms > 0 {
            let b = Box::new(BusyWait {
                timeout: std::time::Duration::from_millis(self.busy_timeout_ms as u64),
                started: std::cell::Cell::new(None),
            });
            // SAFETY: open handle; the box lives in `raw` until after close.
            unsafe { ffi::sqlite3_busy_handler(db, Some(busy_wait), &*b as *const BusyWait as *mut std::ffi::c_void) };
            raw.1 = Some(b);
        }
        if self.statement_timeout_ms > 0 {
            let d = Box::new(Deadline {
                limit: std::time::Duration::from_millis(self.statement_timeout_ms as u64),
                until: std::cell::Cell::new(None),
                fired: std::cell::Cell::new(false),
            });
            // SAFETY: open handle; the box lives in `raw` until after close.
            unsafe { ffi::sqlite3_progress_handler(db, 4000, Some(past_deadline), &*d as *const Deadline as *mut std::ffi::c_void) };
            raw.2 = Some(d);
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
        self.settle()?;
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
        let raw = RawStmt::new(stmt, self.db.clone());
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
        Ok(Box::new(SqliteStmt {
            raw: Arc::new(raw),
            params: n,
            columns: None,
            binds: vec![Bound::Null; n],
            text_buf: String::new(),
        }))
    }

    fn begin(&mut self, opts: &TxOptions) -> Result<()> {
        self.settle()?;
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
        self.settle()?;
        self.db.exec_str(&format!("SAVEPOINT \"{name}\""))
    }

    fn release(&mut self, name: &str) -> Result<()> {
        self.db.exec_str(&format!("RELEASE SAVEPOINT \"{name}\"")).map_err(no_savepoint)?;
        if !self.in_transaction() {
            self.end_tx()?;
        }
        Ok(())
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.db.exec_str(&format!("ROLLBACK TO SAVEPOINT \"{name}\"")).map_err(no_savepoint)
    }

    fn in_transaction(&mut self) -> bool {
        // SAFETY: open handle.
        unsafe { ffi::sqlite3_get_autocommit(self.db.0) == 0 }
    }

    fn ping(&mut self) -> Result<()> {
        self.db.exec(c"SELECT 1")
    }

    fn server_version(&self) -> &str {
        &self.version
    }

    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>> {
        Ok(Box::new(SqliteCancel(self.db.clone())))
    }
}

/// SQLite's "no such savepoint" as every engine reports it: the name is
/// the caller's mistake (INVALID_ARGUMENT), SQLSTATE 3B001.
fn no_savepoint(e: Error) -> Error {
    if e.message.starts_with("no such savepoint") {
        Error { status: Status::InvalidArgument, sqlstate: "3B001".into(), ..e }
    } else {
        e
    }
}

/// `sqlite3_interrupt`, which SQLite allows from any thread. The handle
/// keeps the connection open, so it never interrupts a freed one.
struct SqliteCancel(Arc<RawDb>);

impl CancelHandle for SqliteCancel {
    fn cancel(&self) -> Result<()> {
        // SAFETY: open handle (kept alive by the Arc); thread-safe call.
        unsafe { ffi::sqlite3_interrupt(self.0.0) };
        Ok(())
    }
}

impl SqliteConn {
    /// End the read-only mode of a read-only transaction that SQL (COMMIT,
    /// ROLLBACK, END) closed behind keel's back, before anything else runs
    /// on this session (or a pooled session's next user sees it).
    fn settle(&mut self) -> Result<()> {
        if self.read_only_tx && !self.in_transaction() {
            self.end_tx()?;
        }
        Ok(())
    }

    fn end_tx(&mut self) -> Result<()> {
        if std::mem::take(&mut self.read_only_tx) {
            self.db.exec(c"PRAGMA query_only=OFF")?;
        }
        Ok(())
    }
}

/// Holds a connection's mutex (serialized mode) for a group of calls, so
/// that the calls inside re-enter it cheaply instead of each taking it:
/// SQLite's connection mutex is recursive. Released on drop.
struct DbLock(*mut ffi::sqlite3_mutex);

impl DbLock {
    #[inline]
    fn new(db: *mut ffi::sqlite3) -> DbLock {
        // SAFETY: open handle; sqlite3_db_mutex gives NULL when the
        // connection has no mutex, and entering NULL is a no-op.
        unsafe {
            let m = ffi::sqlite3_db_mutex(db);
            ffi::sqlite3_mutex_enter(m);
            DbLock(m)
        }
    }
}

impl Drop for DbLock {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: entered in `new` on this thread.
        unsafe { ffi::sqlite3_mutex_leave(self.0) }
    }
}

/// A prepared `sqlite3_stmt*`, finalized on drop. Every run bumps
/// `generation`, which closes cursors opened by earlier runs. `stepped`
/// says whether it was stepped since its last reset, so that a reset (and
/// its cost) is skipped when the statement is already at its start.
struct RawStmt {
    ptr: *mut ffi::sqlite3_stmt,
    db: Arc<RawDb>,
    generation: AtomicU64,
    stepped: AtomicBool,
    /// The binding buffers of a statement set aside for its cursor (see
    /// `SqliteStmt::restart`): SQLite may point into them until finalize,
    /// which `Drop` does before the fields go.
    kept: std::sync::Mutex<Vec<Bound>>,
}

// SAFETY: serialized mode (see RawDb); the core's promise (`core::driver`, "What the core promises drivers about threads")
// means no two calls step, reset or bind the statement at once.
unsafe impl Send for RawStmt {}
unsafe impl Sync for RawStmt {}

impl Drop for RawStmt {
    fn drop(&mut self) {
        // SAFETY: we own the statement.
        unsafe { ffi::sqlite3_finalize(self.ptr) };
    }
}

impl RawStmt {
    fn new(ptr: *mut ffi::sqlite3_stmt, db: Arc<RawDb>) -> RawStmt {
        RawStmt {
            ptr,
            db,
            generation: AtomicU64::new(0),
            stepped: AtomicBool::new(false),
            kept: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A new statement from the same SQL text, unbound.
    fn prepare_again(&self) -> Result<RawStmt> {
        let mut stmt = ptr::null_mut();
        // SAFETY: sqlite3_sql gives the statement's UTF-8 SQL, NUL-terminated
        // and valid while it lives; out-pointer valid.
        let rc = unsafe { ffi::sqlite3_prepare_v3(self.db.0, ffi::sqlite3_sql(self.ptr), -1, 0, &mut stmt, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(errors::error(self.db.0, rc));
        }
        Ok(RawStmt::new(stmt, self.db.clone()))
    }

    /// Close the cursor reading this statement without resetting it: its
    /// row stays readable for whoever borrowed from it.
    fn set_aside(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    fn error(&self, rc: c_int) -> Error {
        if let Some(d) = self.db.2.as_ref().filter(|d| d.fired.get()) {
            return Error::new(
                Status::Timeout,
                format!("statement timed out after statement_timeout_ms={}", d.limit.as_millis()),
            )
            .with_sqlstate("57014")
            .with_driver("sqlite");
        }
        errors::error(self.db.0, rc)
    }

    /// Reset for a new run; returns the new generation.
    fn restart(&self) -> u64 {
        if self.stepped.load(Ordering::Relaxed) {
            self.reset();
        }
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// `sqlite3_step`, noting that a reset is now needed.
    #[inline]
    fn step(&self) -> c_int {
        self.stepped.store(true, Ordering::Relaxed);
        let Some(d) = self.db.2.as_ref() else {
            // SAFETY: valid statement.
            return unsafe { ffi::sqlite3_step(self.ptr) };
        };
        d.fired.set(false);
        d.until.set(Some(std::time::Instant::now() + d.limit));
        // SAFETY: valid statement.
        let rc = unsafe { ffi::sqlite3_step(self.ptr) };
        d.until.set(None);
        rc
    }

    fn reset(&self) {
        // SAFETY: valid statement. The reset code repeats the last step's
        // error, which was already reported.
        unsafe { ffi::sqlite3_reset(self.ptr) };
        self.stepped.store(false, Ordering::Relaxed);
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

/// Column metadata of a statement, computed once per statement and again
/// after SQLite re-prepares it (a schema change can change its columns).
struct ColInfo {
    columns: Vec<Column>,
    kinds: Vec<Type>,
    /// The statement's re-prepare count when this was computed.
    reprepared: c_int,
}

/// How often SQLite has re-prepared the statement (schema changes).
fn reprepare_count(raw: &RawStmt) -> c_int {
    // SAFETY: valid statement; reading a counter.
    unsafe { ffi::sqlite3_stmt_status(raw.ptr, ffi::SQLITE_STMTSTATUS_REPREPARE, 0) }
}

fn cstr_at(p: *const c_char) -> Option<String> {
    // SAFETY: SQLite returns NULL or a NUL-terminated string.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn column_info(raw: &RawStmt) -> ColInfo {
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
        columns.push(Column { name, kind: kind_from_decltype(&decl), engine_type: decl, nullable });
    }
    let kinds = columns.iter().map(|c| c.kind).collect();
    ColInfo { columns, kinds, reprepared }
}

struct SqliteStmt {
    raw: Arc<RawStmt>,
    params: usize,
    columns: Option<Arc<ColInfo>>,
    /// What each parameter is bound to. Text and blobs are bound from these
    /// buffers without a copy (`SQLITE_STATIC`), and a statement set aside
    /// for its cursor keeps the buffers it was bound from (see
    /// [`SqliteStmt::restart`]).
    binds: Vec<Bound>,
    /// Reused buffer for values bound as formatted text (dates, times,
    /// timestamps, uuids).
    text_buf: String,
}

/// A parameter's binding, kept so that a fresh copy of the statement can
/// be bound the same way.
#[derive(Clone)]
enum Bound {
    Null,
    Int(i64),
    Double(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl Bound {
    /// The buffer of a text or blob binding, emptied for reuse.
    fn bytes(&mut self, text: bool) -> &mut Vec<u8> {
        let buf = match std::mem::replace(self, Bound::Null) {
            Bound::Text(mut b) | Bound::Blob(mut b) => {
                b.clear();
                b
            }
            _ => Vec::new(),
        };
        *self = if text { Bound::Text(buf) } else { Bound::Blob(buf) };
        match self {
            Bound::Text(b) | Bound::Blob(b) => b,
            _ => unreachable!("set just above"),
        }
    }

    /// Bind to parameter `i` (1-based) of `s`. Text and blobs are bound
    /// from this buffer, which must stay as it is until the statement is
    /// bound again or finalized.
    fn apply(&self, s: *mut ffi::sqlite3_stmt, i: c_int) -> c_int {
        // SAFETY: valid, reset statement; i in range (checked by the core).
        unsafe {
            match self {
                Bound::Null => ffi::sqlite3_bind_null(s, i),
                Bound::Int(v) => ffi::sqlite3_bind_int64(s, i, *v),
                Bound::Double(v) => ffi::sqlite3_bind_double(s, i, *v),
                // An empty Vec's pointer is dangling but not NULL, which
                // SQLite needs to bind '' rather than NULL.
                Bound::Text(b) => ffi::sqlite3_bind_text64(
                    s,
                    i,
                    b.as_ptr() as *const c_char,
                    b.len() as u64,
                    ffi::SQLITE_STATIC(),
                    ffi::SQLITE_UTF8 as u8,
                ),
                Bound::Blob(b) => ffi::sqlite3_bind_blob64(
                    s,
                    i,
                    b.as_ptr() as *const std::ffi::c_void,
                    b.len() as u64,
                    ffi::SQLITE_STATIC(),
                ),
            }
        }
    }
}

fn out_of_range(what: String) -> Error {
    Error::invalid_argument(what).with_sqlstate("22003").with_driver("sqlite")
}

impl SqliteStmt {
    /// Get the statement ready for a new run or new bindings, closing the
    /// cursor of the last run; returns the new run's generation.
    ///
    /// Text and blobs a cursor hands out point into the statement's current
    /// row (and, for a column that is a bound parameter, into the binding's
    /// buffer), which a reset or a new binding would free. So when a cursor
    /// of this statement is still alive and stands on a row, the statement
    /// is not reset under it: the cursor keeps this `sqlite3_stmt`, closed
    /// but untouched (with the buffers it was bound from) until it is
    /// freed, and the statement goes on with a fresh copy, prepared from
    /// the same SQL and bound the same way. What the cursor handed out thus
    /// stays valid until the cursor itself moves or is freed, as the C API
    /// promises. (The set-aside statement keeps its read lock until then.)
    fn restart(&mut self) -> Result<u64> {
        if Arc::strong_count(&self.raw) > 1 && self.raw.stepped.load(Ordering::Relaxed) {
            let fresh = self.raw.prepare_again()?;
            let originals = std::mem::replace(&mut self.binds, Vec::new());
            self.binds = originals.clone();
            *self.raw.kept.lock().unwrap_or_else(|p| p.into_inner()) = originals;
            self.raw.set_aside();
            self.raw = Arc::new(fresh);
            self.columns = None;
            for (i, b) in self.binds.iter().enumerate() {
                let rc = b.apply(self.raw.ptr, i as c_int + 1);
                if rc != ffi::SQLITE_OK {
                    return Err(self.raw.error(rc));
                }
            }
        }
        Ok(self.raw.restart())
    }
}

impl Drop for SqliteStmt {
    fn drop(&mut self) {
        // A cursor may outlive its statement and still read from rows that
        // point into the bindings: the raw statement keeps them.
        if Arc::strong_count(&self.raw) > 1 {
            *self.raw.kept.lock().unwrap_or_else(|p| p.into_inner()) = std::mem::take(&mut self.binds);
        }
    }
}

impl DriverStmt for SqliteStmt {
    fn param_count(&self) -> usize {
        self.params
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        let i = index as c_int + 1;
        // Check first: a value SQLite cannot take changes nothing.
        let b = match value {
            ValueRef::Null => Bound::Null,
            ValueRef::Bool(v) => Bound::Int(v as i64),
            ValueRef::Int64(v) => Bound::Int(v),
            ValueRef::Uint64(v) => Bound::Int(i64::try_from(v).map_err(|_| {
                out_of_range(format!("uint64 value {v} does not fit SQLite's 64-bit signed INTEGER"))
            })?),
            ValueRef::Double(v) => {
                if v.is_nan() {
                    return Err(out_of_range("SQLite cannot store NaN (it would become NULL)".into()));
                }
                Bound::Double(v)
            }
            ValueRef::Decimal(t) => {
                value::check_decimal(t)?;
                Bound::Null // the bytes are copied below
            }
            ValueRef::Date(_) | ValueRef::Time(_) | ValueRef::Timestamp(_) | ValueRef::Timestamptz(_) | ValueRef::Uuid(_) => {
                self.text_buf.clear();
                value.write_text(&mut self.text_buf)?;
                Bound::Null // the bytes are copied below
            }
            ValueRef::Text(_) | ValueRef::Json(_) | ValueRef::Bytes(_) => Bound::Null,
        };
        // A new binding ends any cursor still reading the old one.
        self.restart()?;
        let slot = &mut self.binds[index];
        match value {
            ValueRef::Text(t) | ValueRef::Json(t) | ValueRef::Decimal(t) => slot.bytes(true).extend_from_slice(t.as_bytes()),
            ValueRef::Bytes(v) => slot.bytes(false).extend_from_slice(v),
            ValueRef::Date(_) | ValueRef::Time(_) | ValueRef::Timestamp(_) | ValueRef::Timestamptz(_) | ValueRef::Uuid(_) => {
                slot.bytes(true).extend_from_slice(self.text_buf.as_bytes())
            }
            _ => *slot = b,
        }
        let rc = self.binds[index].apply(self.raw.ptr, i);
        if rc == ffi::SQLITE_OK { Ok(()) } else { Err(self.raw.error(rc)) }
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.restart()?;
        self.binds.iter_mut().for_each(|b| *b = Bound::Null);
        // SAFETY: valid statement.
        unsafe { ffi::sqlite3_clear_bindings(self.raw.ptr) };
        Ok(())
    }

    fn execute(&mut self) -> Result<ExecResult> {
        self.restart()?;
        let raw = &self.raw;
        let db = raw.db.0;
        // One mutex hold for the run and its bookkeeping calls.
        let _lock = DbLock::new(db);
        // SAFETY: valid handles throughout.
        unsafe {
            let before = ffi::sqlite3_total_changes64(db);
            let rowid_before = ffi::sqlite3_last_insert_rowid(db);
            let rc = loop {
                let rc = raw.step();
                if rc != ffi::SQLITE_ROW {
                    break rc;
                }
            };
            let result = if rc == ffi::SQLITE_DONE {
                let changed = ffi::sqlite3_total_changes64(db) != before;
                // The connection keeps its last rowid across statements;
                // report it only when this statement inserted a row.
                let rowid = ffi::sqlite3_last_insert_rowid(db);
                Ok(ExecResult {
                    rows_affected: if changed { ffi::sqlite3_changes64(db).max(0) as u64 } else { 0 },
                    last_insert_id: (changed && rowid != rowid_before).then_some(rowid),
                })
            } else {
                Err(raw.error(rc))
            };
            raw.reset();
            result
        }
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let generation = self.restart()?;
        // Take the first step now: SQLite re-prepares a statement whose
        // schema changed during that step, so only then are its columns
        // known (and errors surface here, as on the network engines).
        let first = step(&self.raw)?;
        if self.columns.as_ref().is_some_and(|c| c.reprepared != reprepare_count(&self.raw)) {
            self.columns = None;
        }
        let info = self.columns.get_or_insert_with(|| Arc::new(column_info(&self.raw))).clone();
        let cells = vec![Cell::NULL; info.columns.len()];
        let mut rows = SqliteRows { raw: self.raw.clone(), generation, info, done: !first, first: Some(first), cells };
        if first {
            let _lock = DbLock::new(rows.raw.db.0);
            rows.read_row();
        }
        Ok(Box::new(rows))
    }
}

struct SqliteRows {
    raw: Arc<RawStmt>,
    generation: u64,
    info: Arc<ColInfo>,
    done: bool,
    /// The outcome of the first step, taken by `query`, not yet reported.
    first: Option<bool>,
    /// The current row, read from SQLite once when the statement steps onto it.
    cells: Vec<Cell>,
}

/// One step: true on a row; on the end or an error the statement is reset
/// (releasing its read lock).
fn step(raw: &RawStmt) -> Result<bool> {
    match raw.step() {
        ffi::SQLITE_ROW => Ok(true),
        ffi::SQLITE_DONE => {
            raw.reset();
            Ok(false)
        }
        rc => {
            let e = raw.error(rc);
            raw.reset();
            Err(e)
        }
    }
}

/// One column of the current row as SQLite holds it: storage class and
/// value. `p`/`n` point into the statement's row, valid until the next
/// step or reset (which need `&mut SqliteRows`).
#[derive(Clone, Copy)]
struct Cell {
    class: c_int,
    int: i64,
    float: f64,
    p: *const u8,
    n: usize,
}

impl Cell {
    const NULL: Cell = Cell { class: ffi::SQLITE_NULL, int: 0, float: 0.0, p: ptr::null(), n: 0 };
}

// SAFETY: the cell pointers point into the statement's current row, which
// moves between threads together with the statement (see RawStmt).
unsafe impl Send for SqliteRows {}

impl SqliteRows {
    fn current(&self) -> bool {
        self.raw.generation.load(Ordering::Relaxed) == self.generation
    }

    /// Read every column of the row the statement is on (caller holds the
    /// connection mutex).
    fn read_row(&mut self) {
        let s = self.raw.ptr;
        for (i, cell) in self.cells.iter_mut().enumerate() {
            let c = i as c_int;
            // SAFETY: valid statement positioned on a row; i is in range;
            // the caller holds the connection mutex. Text is fetched before
            // its length, as SQLite advises.
            unsafe {
                let v = ffi::sqlite3_column_value(s, c);
                let class = ffi::sqlite3_value_type(v);
                *cell = match class {
                    // DECIMAL and JSON columns have NUMERIC affinity, so SQLite
                    // stored text that looked like a number as one. Read it
                    // back as SQLite's text for it (cached on the row until
                    // the next step), keeping the column's type.
                    ffi::SQLITE_INTEGER | ffi::SQLITE_FLOAT
                        if matches!(self.info.kinds[i], Type::Decimal | Type::Json) =>
                    {
                        let p = ffi::sqlite3_column_text(s, c);
                        Cell { class: ffi::SQLITE_TEXT, p, n: ffi::sqlite3_column_bytes(s, c) as usize, ..Cell::NULL }
                    }
                    ffi::SQLITE_INTEGER => Cell { class, int: ffi::sqlite3_value_int64(v), ..Cell::NULL },
                    ffi::SQLITE_FLOAT => Cell { class, float: ffi::sqlite3_value_double(v), ..Cell::NULL },
                    ffi::SQLITE_TEXT => {
                        let p = ffi::sqlite3_value_text(v);
                        Cell { class, p, n: ffi::sqlite3_value_bytes(v) as usize, ..Cell::NULL }
                    }
                    ffi::SQLITE_BLOB => {
                        let p = ffi::sqlite3_value_blob(v) as *const u8;
                        Cell { class, p, n: ffi::sqlite3_value_bytes(v) as usize, ..Cell::NULL }
                    }
                    _ => Cell::NULL,
                };
            }
        }
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
        if let Some(first) = self.first.take() {
            return Ok(first);
        }
        if self.done {
            return Ok(false);
        }
        // One mutex hold for the step and for reading the whole row: every
        // value is read once here, so the column readers need no SQLite
        // call (and no mutex) at all.
        let _lock = DbLock::new(self.raw.db.0);
        let r = step(&self.raw);
        match r {
            Ok(true) => self.read_row(),
            _ => self.done = true,
        }
        r
    }

    #[inline]
    fn value(&self, i: usize) -> ValueRef<'_> {
        let kind = self.info.kinds[i];
        let cell = &self.cells[i];
        match cell.class {
            ffi::SQLITE_INTEGER => {
                let v = cell.int;
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
            ffi::SQLITE_FLOAT => ValueRef::Double(cell.float),
            ffi::SQLITE_TEXT => {
                // SAFETY: the row's text, valid until the next step/reset,
                // which needs &mut self.
                let bytes: &[u8] = if cell.p.is_null() { &[] } else { unsafe { std::slice::from_raw_parts(cell.p, cell.n) } };
                match std::str::from_utf8(bytes) {
                    Ok(t) => typed_text(kind, t),
                    // Invalid UTF-8 stays readable as bytes.
                    Err(_) => ValueRef::Bytes(bytes),
                }
            }
            ffi::SQLITE_BLOB => {
                // SAFETY: as above.
                let b: &[u8] = if cell.p.is_null() { &[] } else { unsafe { std::slice::from_raw_parts(cell.p, cell.n) } };
                match kind {
                    Type::Uuid if cell.n == 16 => ValueRef::Uuid(b.try_into().expect("16 bytes")),
                    _ => ValueRef::Bytes(b),
                }
            }
            _ => ValueRef::Null,
        }
    }

    fn text_is_nul_terminated(&self) -> bool {
        // sqlite3_column_text always ends its text with a NUL.
        true
    }

    fn is_closed(&self) -> bool {
        !self.current()
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
