//! The traits every engine implements. The core knows engines only through
//! these; nothing outside `src/drivers` names one.
//!
//! Driver objects are self-sufficient (`'static`): a statement or cursor
//! keeps alive whatever engine state it needs, so the core can hand them to
//! C with any free order. The core, not the driver, checks argument ranges
//! (parameter and column indexes, parameter counts) before calling in.
//!
//! # What the core promises drivers about threads
//!
//! The calls into one session's objects (its [`DriverConn`], and every
//! [`DriverStmt`] and [`DriverRows`] made from it, including their drops)
//! never overlap: the core makes them one at a time, holding the session's
//! lock (`core::db`, "Threads"), though not always from the same thread.
//! So a driver may keep the session's state in one place its objects share
//! (an `UnsafeCell` behind an `Arc`) and hand out `&mut` to it during a
//! call; its `unsafe impl Send/Sync` rests on this promise, stated here
//! once. Two exceptions run without the lock and must touch only what they
//! own or atomics: [`CancelHandle::cancel`] (any thread, while a call runs)
//! and the cursor's read-only accessors ([`DriverRows::value`],
//! [`DriverRows::columns`], [`DriverRows::tz_offset`],
//! [`DriverRows::is_closed`], [`DriverRows::text_is_nul_terminated`]),
//! which read the cursor's current row while other calls of the session
//! may run.

use super::error::{Error, Result};
use super::options::{OptSpec, Options};
use super::sql::Syntax;
use super::url::ConnUrl;
use super::value::{Column, ValueRef};
use std::sync::Arc;

/// Transaction isolation. Part of the C ABI (`keel_isolation`). An engine
/// that lacks the level asked for gives the next stronger one it has (as
/// PostgreSQL does for READ UNCOMMITTED), and says so in its docs.
#[repr(i32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Isolation {
    #[default]
    Default = 0,
    ReadUncommitted = 1,
    ReadCommitted = 2,
    RepeatableRead = 3,
    Snapshot = 4,
    Serializable = 5,
}

impl Isolation {
    pub fn from_i32(n: i32) -> Option<Isolation> {
        Some(match n {
            0 => Isolation::Default,
            1 => Isolation::ReadUncommitted,
            2 => Isolation::ReadCommitted,
            3 => Isolation::RepeatableRead,
            4 => Isolation::Snapshot,
            5 => Isolation::Serializable,
            _ => return None,
        })
    }
}

/// When SQLite takes its write lock. Part of the C ABI (`keel_tx_lock`).
/// Other engines accept only `Default`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TxLock {
    #[default]
    Default = 0,
    Deferred = 1,
    Immediate = 2,
    Exclusive = 3,
}

impl TxLock {
    pub fn from_i32(n: i32) -> Option<TxLock> {
        Some(match n {
            0 => TxLock::Default,
            1 => TxLock::Deferred,
            2 => TxLock::Immediate,
            3 => TxLock::Exclusive,
            _ => return None,
        })
    }
}

/// Something a connection can do or not, depending on its engine; ask with
/// `keel_conn_supports`. Part of the C ABI (`keel_capability`): numbers
/// never change, and 0 is never a capability.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Several cursors may be open on one connection at once, each read at
    /// its own pace, with other statements running between their reads
    /// (SQLite). Where not (PostgreSQL, MySQL/MariaDB, SQL Server), the
    /// connection carries one result at a time: while a cursor is open
    /// (not read to its end, not freed), every other statement on the
    /// connection fails with `KEEL_STATUS_INVALID_STATE`.
    SeveralCursors = 1,
    /// A prepared statement says what its result looks like before it runs
    /// (`keel_stmt_column_count` and the other `keel_stmt_column_*`):
    /// how many columns (0 for a statement that returns no rows), their
    /// names and types. Every built-in engine can, and a loaded driver with
    /// keel_driver.h's `stmt_column_count` (keel's DuckDB driver); on SQL
    /// Server and such a driver, a statement whose result the engine cannot
    /// tell before running it gets `KEEL_STATUS_NOT_IMPLEMENTED` from those
    /// calls all the same.
    ColumnsAfterPrepare = 2,
}

impl Capability {
    /// Every capability, in numeric order.
    pub const ALL: [Capability; 2] = [Capability::SeveralCursors, Capability::ColumnsAfterPrepare];

    pub fn from_i32(n: i32) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| *c as i32 == n)
    }

    /// What it is, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Capability::SeveralCursors => "several open cursors per connection",
            Capability::ColumnsAfterPrepare => "result columns known after prepare",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxOptions {
    pub isolation: Isolation,
    pub read_only: bool,
    pub lock: TxLock,
}

/// What a statement that returns no rows did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecResult {
    pub rows_affected: u64,
    /// The id of the last inserted row, where the engine has one.
    pub last_insert_id: Option<i64>,
}

/// How a pipelined batch ([`DriverStmt::execute_pipelined`]) failed.
#[derive(Debug)]
pub struct PipelineError {
    /// The index of the row that failed in the rows given; `None` when
    /// what failed was not a row (the COMMIT that ends the transaction
    /// the pipeline opened).
    pub row: Option<usize>,
    pub error: crate::core::error::Error,
    /// The rows before it were rolled back with the transaction the
    /// pipeline opened (outside a transaction); otherwise they are done.
    pub rolled_back: bool,
}

/// What an engine allows when keel runs a batch of one `INSERT ... VALUES`
/// as multi-row INSERTs (see `core::many`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultiRowLimits {
    /// Most parameters one statement may have.
    pub max_params: usize,
    /// Most bytes of parameter values one statement should carry.
    pub max_bytes: usize,
    /// The engine reports a last insert id per statement (MySQL's is that
    /// of the statement's first row), so the batch's last row runs alone
    /// to report its own.
    pub reports_insert_id: bool,
}

/// An engine. One static instance per engine lives in the registry.
pub trait Driver: Send + Sync {
    /// Short lower-case name (`"sqlite"`), also used in errors.
    fn name(&self) -> &'static str;
    /// URL schemes that select this driver.
    fn schemes(&self) -> &'static [&'static str];
    /// How the engine writes SQL: what the core's one lexer
    /// (`core::sql`) follows to rewrite placeholders, find statements and
    /// recognize repeatable INSERTs.
    fn syntax(&self) -> &'static Syntax;
    /// Options this engine accepts besides the pool's.
    fn options(&self) -> &'static [OptSpec];
    /// Whether this engine's URLs name a file, so that `scheme://a/b.db`
    /// is the relative path `a/b.db` rather than host `a`, database `b.db`.
    fn url_names_a_file(&self) -> bool {
        false
    }
    /// Whether this engine's URLs may name several hosts
    /// (`scheme://u@h1:1,h2:2/db`, see `ConnUrl::hosts`); the core
    /// refuses such a URL for an engine that says no. Default: no.
    fn several_hosts(&self) -> bool {
        false
    }
    /// The SQL of one statement that inserts a whole batch of rows into
    /// `table` (`columns`, names quoted as the engine quotes them), each
    /// batch run by [`DriverStmt::execute_indexed`]: the path `Conn::ingest`
    /// takes where the driver has no bulk path of its own
    /// ([`DriverConn::bulk_insert`]) and this gives one; when its SQL does
    /// not prepare, the ingest runs one INSERT per row instead. Default:
    /// none.
    fn indexed_insert_sql(&self, table: &str, columns: &[String]) -> Option<String> {
        let _ = (table, columns);
        None
    }
    /// The column type to declare for `kind` values in a table keel makes
    /// (`Conn::ingest`), with the (precision, scale) of a decimal; `None`
    /// when the engine has none that reads back as `kind`. Default: none.
    fn column_type_sql(&self, kind: super::value::Type, decimal: Option<(u8, i8)>) -> Option<String> {
        let _ = (kind, decimal);
        None
    }
    /// The column type of arrays of `element` (a type `column_type_sql`
    /// gave), for a list column keel ingests, whose values it binds as
    /// text in PostgreSQL's array syntax (`{"1",NULL}`); `None` when the
    /// engine has no array types. Default: none.
    fn array_type_sql(&self, element: &str) -> Option<String> {
        let _ = element;
        None
    }
    /// Check the URL and options once, and return what opens connections.
    fn connector(&self, url: &ConnUrl, opts: &Options) -> Result<Box<dyn Connector>>;
}

/// Opens connections to one configured database. Shared by a pool.
pub trait Connector: Send + Sync {
    fn connect(&self) -> Result<Box<dyn DriverConn>>;
}

/// One open session with the engine.
pub trait DriverConn: Send + 'static {
    /// Prepare exactly one statement. More than one statement in `sql` is
    /// an error, and nothing of it runs.
    fn prepare(&mut self, sql: &str) -> Result<Box<dyn DriverStmt>>;
    fn begin(&mut self, opts: &TxOptions) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn rollback(&mut self) -> Result<()>;
    /// `name` is already checked to be a plain identifier.
    fn savepoint(&mut self, name: &str) -> Result<()>;
    fn release(&mut self, name: &str) -> Result<()>;
    fn rollback_to(&mut self, name: &str) -> Result<()>;
    /// Whether a transaction is open on the session, as the server sees
    /// it: opened by [`DriverConn::begin`] or by SQL (`BEGIN`, `START
    /// TRANSACTION`, `SET autocommit = 0` and a statement), and not yet
    /// ended by either. The pool rolls back a session returned while this
    /// is true, so a driver that cannot tell must answer true. May ask the
    /// server (SQL Server, after a statement ran); a session that cannot
    /// answer is broken.
    fn in_transaction(&mut self) -> bool;
    fn ping(&mut self) -> Result<()>;
    fn server_version(&self) -> &str;
    /// Whether the session has failed for good (network gone); the pool
    /// then discards it instead of reusing it.
    fn is_broken(&self) -> bool {
        false
    }
    /// A cheap check, made at every checkout, that the session still
    /// stands: false when it broke or the server closed it meanwhile
    /// (restart, idle timeout, terminated session). Network drivers look at
    /// the socket without a round trip unless something arrived on it.
    fn check_alive(&mut self) -> bool {
        !self.is_broken()
    }
    /// Something that stops the statement this session is running, usable
    /// from any thread while the session is busy in another.
    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>>;
    /// Whether this session has `capability`. Say yes only for what the
    /// session does (the conformance suite checks each answer against what
    /// happens). Default: nothing, which is what a driver that overrides
    /// neither [`DriverStmt::result_columns`] nor its cursor handling can
    /// promise.
    fn supports(&self, capability: Capability) -> bool {
        let _ = capability;
        false
    }
    /// Whether a batch of `INSERT INTO <target> ... VALUES (...)` may run on
    /// this session as multi-row INSERTs, and within which limits. Say yes
    /// only when the engine takes multi-row VALUES with parameters and a
    /// multi-row INSERT into `target` that fails leaves none of its rows
    /// behind (so keel can run the rows again one by one to find the one
    /// that failed). `target` is the table as the SQL names it, quotes
    /// included. Default: never.
    fn multirow_insert(&mut self, target: &str) -> Result<Option<MultiRowLimits>> {
        let _ = target;
        Ok(None)
    }
    /// Whether [`DriverConn::append_rows`] works on this session for a
    /// batch of `INSERT INTO <target> (...) VALUES (?, ...)` (`target` as
    /// the SQL names it, quotes included): whether appending the rows
    /// does exactly what the INSERT would. Default: no.
    fn appends_to(&mut self, target: &str) -> Result<bool> {
        let _ = target;
        Ok(false)
    }
    /// Append `rows` (`width` values each, in `columns`' order) to `table`
    /// through the engine's bulk path (a loaded driver's appender,
    /// PostgreSQL's binary COPY), for a batch of a plain INSERT
    /// (`core::many`): `table` and `columns` are names as the SQL writes
    /// them (quotes included; no columns: the statement lists none).
    /// Outside a transaction the rows go in as a whole or not at all. The
    /// rows appended, `Ok(None)` when nothing ran because these rows or
    /// columns cannot go that way (keel then runs them as multi-row
    /// INSERTs), or which row failed ([`PipelineError`]'s meaning). Called
    /// only when [`DriverConn::appends_to`] said yes.
    fn append_rows(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[ValueRef<'_>],
        width: usize,
    ) -> std::result::Result<Option<u64>, PipelineError> {
        let _ = (table, columns, rows, width);
        Err(PipelineError {
            row: None,
            error: crate::core::error::Error::not_implemented("this driver has no appender"),
            rolled_back: false,
        })
    }
    /// Load every row of `src` into `target` by the engine's own bulk
    /// path (PostgreSQL's COPY, MariaDB's bulk command, MySQL's LOAD DATA LOCAL INFILE, a loaded
    /// driver's appender), and return the rows loaded; `Ok(None)`, having
    /// read nothing of `src`, when there is none for these columns (then
    /// `Conn::ingest` runs a batch of INSERTs). Runs inside the ingest's
    /// transaction. Default: none.
    fn bulk_insert(
        &mut self,
        target: &BulkTarget<'_>,
        src: &mut dyn crate::core::ingest::RowSource,
    ) -> Result<Option<u64>> {
        let _ = (target, src);
        Ok(None)
    }
    /// Whether `e`, raised by running a statement prepared earlier on this
    /// session, says that the statement no longer fits the schema (a
    /// column changed type, a plan's result changed) or is gone from the
    /// server, so that preparing the same SQL again may succeed. Only
    /// errors raised before the statement ran may say yes. Default: never.
    fn is_stale_statement(&self, e: &crate::core::error::Error) -> bool {
        let _ = e;
        false
    }
    /// Called after a statement failed: whether this session can still run
    /// statements in the transaction it is in (a PostgreSQL error aborts
    /// the transaction; a MySQL data error undoes only its statement).
    fn usable_after_error(&mut self) -> bool {
        !self.is_broken()
    }
    /// The query that answers a catalog question (`core::catalog`): its
    /// result has exactly the columns `q.columns()` lists, in that order,
    /// with what the header documents in each. One query, or a fixed few
    /// run here first (SQLite's list of databases), never one per table.
    /// Default: `NotImplemented`.
    fn catalog(&mut self, q: &super::catalog::Catalog<'_>) -> Result<super::catalog::CatalogSql> {
        Err(crate::core::error::Error::not_implemented(format!(
            "this driver cannot list {} (it has no catalog queries)",
            q.what()
        )))
    }
    /// Give the session up in a process that did not open it (a child of
    /// fork() that inherited it) without a word to the server: no query,
    /// no goodbye (PostgreSQL's Terminate, MySQL's COM_QUIT, a TLS
    /// close_notify), no shutdown of the socket, and no destructor that
    /// could do any of these or touch state the parent shares (a tokio
    /// socket unregisters from an epoll set the parent shares). The default
    /// keeps the whole object, never dropped, for the rest of the process
    /// (`core::fork::keep`): its memory and its socket's file descriptor
    /// stay allocated in the child (the parent's socket is not affected).
    /// Override only with something at least as silent.
    fn abandon(self: Box<Self>) {
        crate::core::fork::keep(self)
    }
}

/// Where [`DriverConn::bulk_insert`] loads rows: the table and its
/// columns, in the row source's order, both as SQL writes them (quoted)
/// and as the caller named them.
pub struct BulkTarget<'a> {
    pub table: &'a str,
    pub columns: &'a [String],
    pub table_name: &'a str,
    pub column_names: &'a [String],
}

/// Stops whatever statement its session runs at the moment. The statement
/// then fails with `Status::Cancelled`, and the session stays usable.
/// Cancelling an idle session does nothing.
pub trait CancelHandle: Send + Sync {
    fn cancel(&self) -> Result<()>;
}

/// A prepared statement.
pub trait DriverStmt: Send {
    fn param_count(&self) -> usize;
    /// Bind a parameter (0-based, already range-checked). The driver copies
    /// what it keeps.
    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()>;
    /// As [`DriverStmt::bind`], for text or bytes the engine may keep
    /// pointing at instead of copying (sqlite3's `SQLITE_STATIC`).
    /// Default: `bind` (a copy).
    ///
    /// # Safety
    /// The bytes of `value` stay valid and unchanged until parameter
    /// `index` is bound again, the bindings are cleared, the statement is
    /// dropped, and every cursor of a run that used them has moved off its
    /// row or been dropped.
    unsafe fn bind_borrowed(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.bind(index, value)
    }
    /// Bind an instant with the UTC offset (seconds east, checked by the
    /// caller) to store it with. Engines whose timestamptz is an instant
    /// bind the instant; SQL Server's datetimeoffset keeps the offset.
    fn bind_timestamptz_offset(&mut self, index: usize, micros: i64, _offset_seconds: i32) -> Result<()> {
        self.bind(index, ValueRef::Timestamptz(micros))
    }
    fn clear_bindings(&mut self) -> Result<()>;
    /// Run to completion, discarding any rows.
    fn execute(&mut self) -> Result<ExecResult>;
    /// Bind `row` (one value per parameter, count checked by the core) and
    /// run to completion: what a batch run row by row does for each row.
    /// A value that does not bind is an error naming its parameter, with
    /// nothing run. Default: [`DriverStmt::bind`] for each value, then
    /// [`DriverStmt::execute`]; a driver overrides it to pay its per-call
    /// costs (a lock, a check) once per row instead of once per value.
    fn execute_row(&mut self, row: &[ValueRef<'_>]) -> Result<ExecResult> {
        for (i, v) in row.iter().enumerate() {
            self.bind(i, *v).map_err(|e| e.context(format_args!("parameter {i}")).not_sent())?;
        }
        self.execute()
    }
    /// Whether [`DriverStmt::execute_rows`] binds rows where their values
    /// are (a bulk path the core prefers for ingest and for batches run
    /// row by row). Default: no.
    fn executes_rows_in_place(&self) -> bool {
        false
    }
    /// Run the statement once for each row `rows` gives to the callback
    /// it is handed (one value per parameter, count checked by the
    /// caller), binding text and bytes where they are for that run only;
    /// with `report`, the sum of the rows' rows affected and the last
    /// row's insert id, as [`DriverStmt::execute`] reports them for one
    /// run (without, what it returns is unspecified). Stops at the
    /// first failing row, whose error names its parameter when a value
    /// did not bind (then marked not sent). The statement's bindings are
    /// cleared afterwards, whatever happened. Called only when
    /// [`DriverStmt::executes_rows_in_place`] says yes; the default runs
    /// nothing and fails.
    fn execute_rows(
        &mut self,
        _rows: &mut dyn FnMut(&mut dyn FnMut(&[ValueRef<'_>]) -> Result<()>) -> Result<()>,
        _report: bool,
    ) -> Result<ExecResult> {
        Err(crate::core::error::Error::not_implemented("this driver does not run rows bound in place"))
    }
    /// Run the statement once for the batch `rows`, a statement prepared
    /// from [`Driver::indexed_insert_sql`]'s SQL, which reads the batch's
    /// values as the engine asks for them (the rows are already read: this
    /// calls nothing but `rows`). An error names the row it is about
    /// (`row N: `, as [`IndexedRows::row_number`] numbers it). Default:
    /// runs nothing and fails.
    ///
    /// [`IndexedRows::row_number`]: crate::core::ingest::IndexedRows::row_number
    fn execute_indexed(&mut self, rows: &dyn crate::core::ingest::IndexedRows) -> Result<()> {
        let _ = rows;
        Err(crate::core::error::Error::not_implemented("this driver does not insert batches of indexed rows"))
    }
    /// Run and return a streaming cursor. A cursor opened earlier on this
    /// statement is closed by this call.
    fn query(&mut self) -> Result<Box<dyn DriverRows>>;
    /// Close the cursor this statement has open, if any, as running it
    /// again would. Default: nothing to close.
    fn close_cursor(&mut self) {}
    /// Whether [`DriverStmt::execute_pipelined`] runs batches of this
    /// statement. Default: no, the core runs them row by row.
    fn pipelines(&self) -> bool {
        false
    }
    /// Run the statement once for each row of `rows` (`param_count()`
    /// values each, row after row), sending every row before reading the
    /// answers: one round trip for all of them instead of one per row.
    /// The outcome is that of running the rows one by one, stopping at the
    /// first that fails (none after it runs), except that outside a
    /// transaction the rows run in one transaction the driver opens, which
    /// commits them together, and which a failing row rolls back
    /// (`PipelineError::rolled_back`). The statement's own bindings are
    /// left as they were. Called only when [`DriverStmt::pipelines`] says
    /// yes; the default runs nothing and fails.
    fn execute_pipelined(&mut self, _rows: &[ValueRef<'_>]) -> std::result::Result<ExecResult, PipelineError> {
        Err(PipelineError {
            row: Some(0),
            error: crate::core::error::Error::not_implemented("this driver does not pipeline batches"),
            rolled_back: false,
        })
    }
    /// Prepare this statement's SQL again, as a new statement on the
    /// server, keeping its bindings: the core calls it after the engine
    /// refused the statement as stale ([`DriverConn::is_stale_statement`]
    /// said yes), then runs it again. A driver that can answer yes there
    /// implements this. Default: `NotImplemented`.
    fn prepare_again(&mut self) -> Result<()> {
        Err(crate::core::error::Error::not_implemented("this driver cannot prepare a statement again"))
    }
    /// The columns of the result this statement returns, as the engine
    /// describes the prepared statement before it runs: empty for a
    /// statement that returns no rows. Each column as the cursor of a run
    /// would report it, where the engine tells as much before running.
    /// An error with `Status::NotImplemented`, saying why, when the engine
    /// cannot tell before running the statement; other errors are the
    /// engine's (the connection broke). May ask the server (a driver that
    /// does keeps the answer); a cursor open on the session, this
    /// statement's own included, must stay as it is. Default: not known.
    /// A driver that overrides it says so with [`DriverConn::supports`]
    /// (`Capability::ColumnsAfterPrepare`).
    fn result_columns(&mut self) -> Result<Arc<[Column]>> {
        Err(crate::core::error::Error::not_implemented(
            "this driver cannot describe a statement's result before it runs; run the statement and read \
             the columns of its cursor",
        ))
    }
}

/// The bytes of one value in a [`Vector`] (text, JSON, decimal text,
/// bytes, a uuid): `len` bytes at `data`. Made only by a driver layer that
/// checked them (readable for as long as the [`Run`] that holds them,
/// UTF-8 where the column holds text), which is what makes
/// [`ByteRef::bytes`] and [`ByteRef::text`] safe to call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ByteRef {
    data: *const u8,
    len: usize,
}

impl ByteRef {
    /// The reference of no bytes (a NULL's entry).
    pub const EMPTY: ByteRef = ByteRef { data: std::ptr::null(), len: 0 };

    /// A reference to `b`.
    ///
    /// # Safety
    /// `b` must stay where it is, unchanged, for as long as the [`Run`]
    /// that will hold the reference, and be UTF-8 where the column holds
    /// text.
    pub unsafe fn new(b: &[u8]) -> ByteRef {
        ByteRef { data: b.as_ptr(), len: b.len() }
    }

    /// The value's bytes.
    pub fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the type's invariant (see above); the borrow of `self`
        // is no longer than the run's.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
    /// The value as text, in a column whose values are text.
    pub fn text(&self) -> &str {
        // SAFETY: checked UTF-8 by the maker of the run (see above).
        unsafe { std::str::from_utf8_unchecked(self.bytes()) }
    }
}

/// The values of one column of a [`Run`], by the column's type: `Bool`
/// as 0 or 1; `Int64` also for times and timestamps in microseconds;
/// `Date` in days; `Bytes` for text, JSON, decimal text, bytes and uuids;
/// `Null` for a column whose every value is NULL. Entries of NULL rows
/// hold anything.
#[derive(Clone, Copy)]
pub enum VectorData<'a> {
    Null,
    Bool(&'a [u8]),
    Int64(&'a [i64]),
    Uint64(&'a [u64]),
    Double(&'a [f64]),
    Date(&'a [i32]),
    Bytes(&'a [ByteRef]),
}

/// One column of a [`Run`]: the run's rows are entries `start..start +
/// rows` of `data`, and of `validity` when there is one (bit `r % 64` of
/// word `r / 64` set when entry `r` is not NULL; `None`: no NULLs).
#[derive(Clone, Copy)]
pub struct Vector<'a> {
    pub validity: Option<&'a [u64]>,
    pub data: VectorData<'a>,
}

impl Vector<'_> {
    /// Whether entry `r` holds a value.
    #[inline]
    pub fn is_valid(&self, r: usize) -> bool {
        self.validity.is_none_or(|v| v[r / 64] >> (r % 64) & 1 == 1)
    }
}

/// Rows of a cursor handed out column by column
/// ([`DriverRows::next_run`]): entries `start..start + rows` of each
/// column's vector.
pub struct Run<'a> {
    pub start: usize,
    pub rows: usize,
    pub columns: Vec<Vector<'a>>,
}

impl Run<'_> {
    /// The run that says the result has no more rows.
    pub fn end() -> Self {
        Run { start: 0, rows: 0, columns: Vec::new() }
    }
}

/// A streaming cursor over one result.
pub trait DriverRows: Send {
    fn columns(&self) -> &[Column];
    /// Advance; `Ok(false)` at the end.
    fn next(&mut self) -> Result<bool>;
    /// Column `i` of the current row (range-checked, and only called after
    /// `next` returned true). Borrowed until the next `next`.
    fn value(&self, i: usize) -> ValueRef<'_>;
    /// The UTC offset (seconds east) the `Timestamptz` value of column `i`
    /// was stored with, where the engine keeps one (SQL Server's
    /// datetimeoffset); `None` for an instant.
    fn tz_offset(&self, _i: usize) -> Option<i32> {
        None
    }
    /// Column `i` of the current row as the text keel would write for its
    /// value, when the engine keeps it as exactly that text (a SQLite
    /// TIMESTAMP stored in keel's form): reading it as text then needs no
    /// parse. NUL-terminated when [`DriverRows::text_is_nul_terminated`].
    /// Default: none.
    fn value_as_text(&self, i: usize) -> Option<&str> {
        let _ = i;
        None
    }
    /// True when every `ValueRef::Text` this cursor hands out is followed in
    /// memory by a NUL byte, so C can take it without a copy.
    fn text_is_nul_terminated(&self) -> bool {
        false
    }
    /// True when the cursor was closed under the caller (its statement was
    /// run again), so `value` must not be called: the engine's current row
    /// may belong to another cursor.
    fn is_closed(&self) -> bool {
        false
    }
    /// Whether the cursor holds the row `next` would move onto already,
    /// readable through `value` before `next` moves onto it (SQLite takes
    /// its first step when the query runs): `Some(true)`; `Some(false)`
    /// when it knows the result has no such row; `None` when only reading
    /// would tell. Called under the session's lock. Default: `None`.
    fn pending(&self) -> Option<bool> {
        None
    }
    /// After a reader took the pending row's values (`pending` said
    /// `Some(true)`): read past that row now where waiting would hold the
    /// engine (SQLite keeps a read lock until its statement steps past its
    /// last row), keeping the pending row readable and reporting what was
    /// read, an error included, at the `next` calls after it. Returns
    /// whether the result is known to end with the pending row. Called
    /// under the session's lock. Default: reads nothing, `false`.
    fn look_past_pending(&mut self) -> bool {
        false
    }
    /// Move to the next row when the cursor holds it already (a row of
    /// the chunk it read last), touching nothing the session shares: the
    /// core calls it without the session's lock, before [`DriverRows::next`]
    /// (which it calls, under the lock, when this returns false).
    fn advance_buffered(&mut self) -> bool {
        false
    }
    /// For a cursor that holds its result column by column (a driver with
    /// `rows_next_chunk`), or that decodes many rows at once into vectors
    /// of its own (PostgreSQL): the rows after the current one, at most
    /// `max` (at least 1) of them, as such vectors, for a reader that
    /// takes whole columns (the Arrow export). A cursor that decodes rows
    /// one by one into the run ends it, with the row that reaches it,
    /// once the run's text and bytes reach `max_bytes` (the room left in
    /// the reader's batch); a run of rows the cursor holds already may
    /// pass it. The cursor moves past them and is on no row after it.
    /// `Ok(None)`: the cursor has no such form (read it with `next` and
    /// `value`); a run of 0 rows: the end.
    fn next_run(&mut self, max: usize, max_bytes: usize) -> Result<Option<Run<'_>>> {
        let _ = (max, max_bytes);
        Ok(None)
    }
    /// For a cursor that holds its current row as an entry of column
    /// vectors (a chunk of a driver with `rows_next_chunk`): the columns
    /// (as [`DriverRows::columns`]), those vectors, one per column, and the
    /// entry of the current row, for a reader of whole rows that then
    /// reads each value straight from its vector (what
    /// [`DriverRows::value`] would give, without a call per value), with
    /// one call per row. Called under the same conditions as `value`.
    /// Default: `None`.
    fn current_in_vectors(&self) -> Option<(&[Column], &[Vector<'_>], usize)> {
        None
    }
    /// For a column whose [`Column::list_of`] is set: the elements of the
    /// current row's array in column `i`, in order, each to `each` as a
    /// value of that type (NULL elements as NULL); `Ok(false)` when the
    /// value is NULL. Called under the same conditions as `value`.
    /// Default: `NotImplemented` (no driver sets `list_of` without this).
    fn list_elements(&self, i: usize, each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<bool> {
        let _ = each;
        Err(Error::not_implemented(format!("column {i} has no elements to list")))
    }
}
