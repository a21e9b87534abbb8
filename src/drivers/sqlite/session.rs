//! A connection: the `sqlite3*` with keel's busy handler and statement
//! deadline, transactions and savepoints, cancel, and SQLite's global
//! locks across fork().

use super::errors;
use super::statement::*;
use crate::core::driver::{CancelHandle, Capability, Connector, DriverConn, DriverStmt, TxLock, TxOptions};
use crate::core::error::{Error, Result, Status};
use rusqlite::ffi;
use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;
use std::sync::Arc;

/// An open `sqlite3*`, closed on drop. Statements hold an `Arc` to it, so
/// it outlives them.
pub(super) struct RawDb(pub(super) *mut ffi::sqlite3, pub(super) Option<Box<BusyWait>>, pub(super) Option<Box<Deadline>>);

/// `statement_timeout_ms` for SQLite, which has no timeout of its own: a
/// progress handler, called every few thousand VM steps, interrupts a step
/// that runs past its deadline; the error then reads TIMEOUT instead of
/// CANCELLED.
pub(super) struct Deadline {
    pub(super) limit: std::time::Duration,
    pub(super) until: std::cell::Cell<Option<std::time::Instant>>,
    pub(super) fired: std::cell::Cell<bool>,
}

/// The progress callback; SQLite calls it inside a call of the session,
/// of which there is one at a time (see RawDb).
pub(super) extern "C" fn past_deadline(state: *mut std::ffi::c_void) -> c_int {
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
pub(super) struct BusyWait {
    pub(super) timeout: std::time::Duration,
    pub(super) started: std::cell::Cell<Option<std::time::Instant>>,
}

/// The busy callback. SQLite calls it inside a call of the session, of
/// which there is one at a time (see RawDb), so it never runs twice at
/// once for one connection; it cannot panic.
pub(super) extern "C" fn busy_wait(state: *mut std::ffi::c_void, count: c_int) -> c_int {
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
// every connection with SQLITE_OPEN_NOMUTEX (multi-thread mode): a
// connection and its statements may be used from any thread, one thread
// at a time, which the core's promise (`core::driver`, "What the core
// promises drivers about threads") gives. SQLite's own per-connection
// mutex (serialized mode) would only repeat the session's lock, at two
// pthread calls per sqlite3_bind_*, _step and _column_* call.
// sqlite3_interrupt, the one call made while another runs (SqliteCancel),
// is safe from any thread in either mode.
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
pub(super) fn hold_globals_across_fork() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: plain C functions, kept by libc for the process's life.
        unsafe { libc::pthread_atfork(Some(lock_globals), Some(unlock_globals), Some(unlock_globals)) };
    });
}

#[cfg(unix)]
pub(super) const FORK_MUTEXES: [c_int; 2] = [ffi::SQLITE_MUTEX_STATIC_VFS1, ffi::SQLITE_MUTEX_STATIC_MEM];

#[cfg(unix)]
pub(super) extern "C" fn lock_globals() {
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
pub(super) extern "C" fn unlock_globals() {
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

pub(super) struct SqliteConnector {
    pub(super) path: CString,
    pub(super) flags: c_int,
    pub(super) busy_timeout_ms: u32,
    pub(super) statement_timeout_ms: u32,
    pub(super) foreign_keys: bool,
    pub(super) journal_mode: Option<String>,
    pub(super) keeper: Option<RawDb>,
}

impl SqliteConnector {
    pub(super) fn open_raw(&self) -> Result<RawDb> {
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
        let rc = super::ingest::register(db);
        if rc != ffi::SQLITE_OK {
            return Err(errors::error(db, rc));
        }
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

pub(super) struct SqliteConn {
    pub(super) db: Arc<RawDb>,
    pub(super) version: String,
    pub(super) read_only_tx: bool,
}

/// Whether text after a statement holds anything but blanks, `;` and comments.
pub(super) fn has_more_sql(db: *mut ffi::sqlite3, tail: &[u8]) -> bool {
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

    fn catalog(&mut self, q: &crate::core::catalog::Catalog<'_>) -> Result<crate::core::catalog::CatalogSql> {
        super::catalog::query(self, q)
    }

    fn supports(&self, capability: Capability) -> bool {
        match capability {
            // Each statement steps on its own; a cursor that is not read
            // to its end only holds its read lock.
            Capability::SeveralCursors => true,
            Capability::ColumnsAfterPrepare => true,
        }
    }
}

/// SQLite's "no such savepoint" as every engine reports it: the name is
/// the caller's mistake (INVALID_ARGUMENT), SQLSTATE 3B001.
pub(super) fn no_savepoint(e: Error) -> Error {
    if e.message.starts_with("no such savepoint") {
        Error { status: Status::InvalidArgument, sqlstate: "3B001".into(), ..e }
    } else {
        e
    }
}

/// `sqlite3_interrupt`, which SQLite allows from any thread. The handle
/// keeps the connection open, so it never interrupts a freed one.
pub(super) struct SqliteCancel(pub(super) Arc<RawDb>);

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
