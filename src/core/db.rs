//! `Db` (a pool of connections to one URL), `Conn`, `Stmt` and `Rows`: the
//! engine-agnostic runtime that the C ABI and Rust callers use.
//!
//! Ownership: a `Conn` returns its session to the pool when the last thing
//! that uses it (the `Conn`, a `Stmt` or `Rows` made from it) is dropped,
//! so children may outlive their parent without a dangling session. A
//! session returned inside a transaction is rolled back first; one that
//! cannot be rolled back, or that broke, is closed instead of reused.
//!
//! Threads: every call into a session's driver objects (the connection,
//! its statements and cursors) happens while the session's mutex
//! (`ConnShared::session`) is held, one call at a time, whichever handle
//! or thread makes it. That is the argument the drivers' `unsafe impl
//! Sync` over their shared session state rests on: safe Rust may use a
//! `Conn` from several threads and move its `Stmt`s and `Rows` to others,
//! and the calls are serialized, never concurrent. The only driver object
//! used without the lock is a cancel handle, which is built for it. A
//! cursor's `value` reads only the cursor's own row (which its statement
//! never frees under it: see `Stmt::close_cursor`). The C API adds its
//! thread rule on top (`ffi::boundary`), which this lock makes a matter of
//! performance, not of memory safety. The compile-time checks at the end
//! of this file keep the auto traits as they are argued here.
//!
//! fork(): a `Conn`, `Stmt`, `Rows` or `Cancel` that a child process
//! inherited belongs to its parent's session. Every call on it fails with
//! `INVALID_STATE` ([`fork::inherited`]) before anything is sent, and
//! dropping it sends nothing: its driver objects are kept, not dropped
//! (see `core::fork`). The `Db` itself works in the child, which gets
//! sessions of its own from the pool.

use super::driver::{CancelHandle, Capability, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, PipelineError, Run, TxOptions, Vector};
use super::pool::{Pool, PoolConfig, PoolStats, Pooled};
use super::sql::Syntax;
use super::error::{Error, Result, RetrySafety, Status};
use super::fork;
use super::options::Options;
use super::registry::Registry;
use super::url::ConnUrl;
use super::value::{Column, ValueRef};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

struct DbInner {
    driver: Arc<dyn Driver>,
    pool: Arc<Pool>,
}

/// A pool of connections to one database. Cheap to clone; share freely
/// across threads.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a keel lock is caught at the boundary and the
    // handle poisoned there; the protected state is still consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Db {
    /// Open a pool for `url` with the driver `registry` has for its scheme,
    /// and `options` as if they were in its query string (given here, they
    /// win over the URL's). An option given twice in the URL, or twice in
    /// `options`, is an error. Nothing runs at open, so every error is
    /// `RetrySafety::NotSent`. (`Db::open` and `Db::open_with` use the
    /// process's registry, with the built-in drivers.)
    pub fn open_in(registry: &Registry, url: &str, options: &[(String, String)]) -> Result<Db> {
        Db::open_checked(registry, url, options).map_err(Error::not_sent)
    }

    fn open_checked(registry: &Registry, url: &str, options: &[(String, String)]) -> Result<Db> {
        fork::watch();
        let mut parsed = ConnUrl::parse_for(url, |scheme| registry.names_a_file(scheme))?;
        refuse_duplicates(&parsed.options, "in the URL's query string")?;
        refuse_duplicates(options, "among the options given with the URL")?;
        for (k, v) in options {
            match parsed.options.iter_mut().find(|(key, _)| key == k) {
                Some(slot) => slot.1 = v.clone(),
                None => parsed.options.push((k.clone(), v.clone())),
            }
        }
        let driver = registry.find(&parsed.scheme)?;
        let opts = Options::parse(driver.name(), driver.options(), &parsed.options)?;
        let cfg = PoolConfig::from_options(&opts)?;
        if !parsed.more_hosts.is_empty() && !driver.several_hosts() {
            return Err(Error::invalid_argument(format!(
                "connection URL names {} hosts; the {} driver takes one",
                parsed.more_hosts.len() + 1,
                driver.name()
            )));
        }
        let connector = driver.connector(&parsed, &opts)?;
        let first = connector.connect()?;
        Ok(Db { inner: Arc::new(DbInner { driver, pool: Pool::new(connector, cfg, first) }) })
    }

    /// How this database's engine writes SQL, as its driver describes it.
    pub fn syntax(&self) -> &'static Syntax {
        self.inner.driver.syntax()
    }

    pub fn driver_name(&self) -> &'static str {
        self.inner.driver.name()
    }

    /// Take a connection from the pool (see [`Pool::acquire`]).
    pub fn checkout(&self) -> Result<Conn> {
        let p = self.inner.pool.acquire()?;
        Ok(Conn::new(self.clone(), p))
    }

    /// Run one statement on a pooled connection and return it to the pool.
    /// A pooled connection found dead before the statement went out (the
    /// server restarted or closed it) is replaced and the statement run on
    /// another, as Go's `database/sql` does with `driver.ErrBadConn`.
    pub fn exec(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<ExecResult> {
        self.on_live_conn(|c| c.exec(sql, params))
    }

    /// Run a query on a pooled connection; the cursor owns the connection
    /// and returns it when dropped. Retried on another connection like
    /// [`Db::exec`].
    pub fn query(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<Rows> {
        self.on_live_conn(|c| c.query(sql, params))
    }

    /// Run `f` on a checked-out connection; when it fails because the
    /// connection was dead and nothing of the statement was sent, close
    /// that connection and try again on another, at most
    /// [`BAD_CONN_RETRIES`] more times. A statement that may have run is
    /// never run again.
    fn on_live_conn<R>(&self, f: impl Fn(&Conn) -> Result<R>) -> Result<R> {
        let mut retries = 0;
        loop {
            let conn = self.checkout()?;
            match f(&conn) {
                Err(e) if retries < BAD_CONN_RETRIES && e.retry == RetrySafety::NotSent && conn.is_broken() => {
                    retries += 1;
                }
                r => return r,
            }
        }
    }

    pub fn stats(&self) -> PoolStats {
        self.inner.pool.stats()
    }

    /// Connections open now (idle and in use).
    pub fn open_count(&self) -> usize {
        self.stats().open as usize
    }

    pub fn idle_count(&self) -> usize {
        self.stats().idle as usize
    }
}

/// How many more connections [`Db::exec`] and [`Db::query`] try after one
/// turned out dead before use (as Go's `database/sql`, which tries twice
/// more).
const BAD_CONN_RETRIES: usize = 2;

/// An option given twice in one list is an error rather than "the last
/// wins": `sslmode=verify-full&sslmode=disable` must not quietly weaken
/// what the first said. The value is not repeated in the message.
fn refuse_duplicates(options: &[(String, String)], where_: &str) -> Result<()> {
    for (i, (k, _)) in options.iter().enumerate() {
        if options[..i].iter().any(|(seen, _)| seen == k) {
            return Err(Error::invalid_argument(format!(
                "option '{k}' is given more than once {where_}; give each option once"
            )));
        }
    }
    Ok(())
}

pub(super) struct ConnShared {
    db: Db,
    session: Mutex<Option<Pooled>>,
    /// Close the session when the last user goes, instead of returning it
    /// to the pool (`Conn::close`).
    close: AtomicBool,
    /// The fork generation the session was opened in (`core::fork`).
    generation: u64,
}

impl ConnShared {
    /// Whether this process is a child of fork() that inherited the
    /// session (then nothing may use it, nor lock `session`, which a thread
    /// of the parent may have held at the fork).
    #[inline]
    fn inherited(&self) -> bool {
        self.generation != fork::generation()
    }

    #[inline]
    fn check(&self, what: &str) -> Result<()> {
        if self.inherited() { Err(fork::inherited(what)) } else { Ok(()) }
    }

    /// Hold the session's lock for a call into one of its statements or
    /// cursors (see the module docs, "Threads").
    #[inline]
    pub(super) fn hold(&self) -> MutexGuard<'_, Option<Pooled>> {
        lock(&self.session)
    }
}

impl Drop for ConnShared {
    fn drop(&mut self) {
        let Some(mut p) = self.session.get_mut().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        if p.inherited() {
            // Not rolled back, not returned, not closed: kept (Pooled's
            // Drop). Its lease is not ended either: a thread of the parent
            // may have held it locked at the fork.
            drop(p);
            return;
        }
        // Cancel handles of this checkout go inert before anyone else can
        // check the session out.
        p.lease.end();
        let pool = &self.db.inner.pool;
        if self.close.load(Ordering::Acquire) {
            pool.close(p);
        } else if p.conn.is_broken() || (p.conn.in_transaction() && p.conn.rollback().is_err()) {
            // A transaction the server still has open, whether keel or SQL
            // began it, never reaches the next borrower.
            pool.discard(p);
        } else {
            pool.release(p);
        }
    }
}

/// One connection checked out of a pool. Use from one thread at a time.
pub struct Conn {
    shared: Arc<ConnShared>,
}

/// Check that a savepoint name is a plain identifier, so that drivers can
/// quote it without escaping.
fn check_identifier(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "savepoint name {name:?} must be 1 to 63 letters, digits or _ and not start with a digit"
        )))
    }
}

impl Conn {
    /// Load `src`'s rows into `target` by the driver's bulk path
    /// ([`DriverConn::bulk_insert`]); `None` when it has none for them,
    /// having read nothing.
    pub(crate) fn bulk_insert(
        &self,
        target: &super::driver::BulkTarget<'_>,
        src: &mut dyn crate::core::ingest::RowSource,
    ) -> Result<Option<u64>> {
        self.with(|c| c.bulk_insert(target, src))
    }

    /// The SQL of one statement inserting a batch of rows into `table`
    /// ([`Driver::indexed_insert_sql`]).
    pub(crate) fn indexed_insert_sql(&self, table: &str, columns: &[String]) -> Option<String> {
        self.shared.db.inner.driver.indexed_insert_sql(table, columns)
    }

    /// The column type this engine declares for `kind` values
    /// ([`Driver::column_type_sql`]).
    pub fn column_type_sql(&self, kind: crate::core::value::Type, decimal: Option<(u8, i8)>) -> Option<String> {
        self.shared.db.inner.driver.column_type_sql(kind, decimal)
    }

    /// The column type this engine declares for arrays of `elem` values
    /// ([`Driver::array_type_sql`] of the element's type); `None` where it
    /// has no array types.
    pub fn array_type_sql(&self, elem: crate::core::value::Type, decimal: Option<(u8, i8)>) -> Option<String> {
        let driver = &self.shared.db.inner.driver;
        driver.array_type_sql(&driver.column_type_sql(elem, decimal)?)
    }

    fn new(db: Db, session: Pooled) -> Conn {
        let generation = session.generation();
        Conn {
            shared: Arc::new(ConnShared {
                db,
                session: Mutex::new(Some(session)),
                close: AtomicBool::new(false),
                generation,
            }),
        }
    }

    /// `INVALID_STATE` in a child of fork() that inherited this connection.
    #[inline]
    fn check(&self) -> Result<()> {
        self.shared.check("connection")
    }

    fn with<R>(&self, f: impl FnOnce(&mut dyn DriverConn) -> Result<R>) -> Result<R> {
        self.check()?;
        let mut g = lock(&self.shared.session);
        let c = g.as_mut().ok_or_else(|| Error::invalid_state("connection is closed").not_sent())?;
        f(c.conn.as_mut())
    }

    /// How this connection's engine writes SQL.
    pub fn syntax(&self) -> &'static Syntax {
        self.shared.db.syntax()
    }

    pub fn driver_name(&self) -> &'static str {
        self.shared.db.driver_name()
    }

    /// Whether this connection has `capability` (its engine's answer, see
    /// [`Capability`]).
    pub fn supports(&self, capability: Capability) -> Result<bool> {
        self.with(|c| Ok(c.supports(capability)))
    }

    /// Prepare one statement. Preparing runs nothing, so every error here
    /// is `RetrySafety::NotSent`.
    pub fn prepare(&self, sql: &str) -> Result<Stmt> {
        self.check()?;
        let native = self.native_sql(sql)?;
        let stmt = self.with(|c| prepare_on(c, &native, sql))?;
        Ok(Stmt::new(self.shared.clone(), sql, stmt, None))
    }

    /// `sql` in the engine's placeholder form, after checking that it holds
    /// a statement at all (SQL of only blanks, comments and `;` is refused
    /// on every engine alike, whatever the engine would do with it).
    fn native_sql<'s>(&self, sql: &'s str) -> Result<std::borrow::Cow<'s, str>> {
        let syntax = self.syntax();
        if !super::sql::has_statement(sql, syntax) {
            return Err(Error::invalid_argument("the SQL holds no statement (only blanks, comments or ;)")
                .with_sqlstate("42000")
                .with_sql(sql)
                .not_sent());
        }
        super::sql::rewrite(sql, syntax).map_err(|e| e.with_sql(sql).not_sent())
    }

    /// The statement for `sql` from this connection's statement cache, or a
    /// newly prepared one that goes into the cache when dropped; and whether
    /// it came from the cache.
    ///
    /// A statement that changes the session's settings (`SET`, `RESET`,
    /// `PRAGMA`, `USE`, `ATTACH`, `DETACH`) or the schema (`CREATE`,
    /// `ALTER`, `DROP`, `RENAME`) empties the cache: an engine may fold a
    /// setting into a statement when it prepares it (DuckDB does the time
    /// zone and `current_setting`), and PostgreSQL keeps the parameter
    /// types it inferred at prepare (a column made NUMERIC from DOUBLE
    /// PRECISION would still take its values through float8, rounded, and
    /// nothing refuses the statement), so the same SQL must be prepared
    /// anew. Schema changes made by other sessions are not seen here.
    fn cached(&self, sql: &str) -> Result<(Stmt, bool)> {
        self.check()?;
        let pool = &self.shared.db.inner.pool;
        let generation: u64;
        let (stmt, hit) = {
            let mut g = lock(&self.shared.session);
            let p = g.as_mut().ok_or_else(|| Error::invalid_state("connection is closed").not_sent())?;
            if changes_session_or_schema(sql, self.syntax()) {
                p.cache.clear();
            }
            generation = p.cache.generation();
            if !p.cache.enabled() {
                drop(g);
                return Ok((self.prepare(sql)?, false));
            }
            // Keyed by the caller's SQL: a hit skips the lexer (the SQL
            // was checked and rewritten when it was prepared).
            match p.cache.take(sql) {
                Some(s) => (s, true),
                None => {
                    let native = self.native_sql(sql)?;
                    (prepare_on(p.conn.as_mut(), &native, sql)?, false)
                }
            }
        };
        let counter = if hit { &pool.cache_hits } else { &pool.cache_misses };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut st = Stmt::new(self.shared.clone(), sql, stmt, Some(sql.to_owned()));
        st.hit = hit;
        st.cache_generation = generation;
        Ok((st, hit))
    }

    /// The statement for `sql` from this connection's statement cache (the
    /// one `exec` and `query` use), or a newly prepared one; either way it
    /// goes into the cache when dropped, for the next caller with the same
    /// SQL. While it lives it is this caller's alone: another caller of
    /// the same SQL meanwhile gets a statement of its own. It is a
    /// statement like one from [`Conn::prepare`], except that one the
    /// engine refuses as no longer fitting the schema is prepared again
    /// and run once more, as `exec` does (see [`Conn::exec`]). With the
    /// cache turned off (`stmt_cache_size=0`) it is [`Conn::prepare`].
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt> {
        // The caller runs it later: the schema may change before its first
        // run, so that one may find it stale too (and prepare it again).
        self.cached(sql).map(|(mut st, _)| {
            st.hit = true;
            st
        })
    }

    /// Run `f` on the cached statement for `sql` with `params` bound.
    ///
    /// A cached statement that the engine refuses because it no longer fits
    /// the schema (a column changed type, a result changed shape, the
    /// server forgot it: see `DriverConn::is_stale_statement`) is prepared
    /// again and run once more, as the README promises (`Stmt::execute`
    /// and `Stmt::query` do that for every statement from the cache). When
    /// the error ended what the session could do (inside a PostgreSQL
    /// transaction it aborts the transaction), the statement is dropped
    /// from the cache instead, and the error says to roll back and run it
    /// again.
    fn run_cached<R>(&self, sql: &str, params: &[ValueRef<'_>], f: impl Fn(&mut Stmt) -> Result<R>) -> Result<(R, Stmt)> {
        let (mut st, _) = self.cached(sql)?;
        st.bind_all(params)?;
        let r = f(&mut st)?;
        Ok((r, st))
    }

    /// Bind every parameter and run, discarding rows. The statement comes
    /// from (and goes back to) the connection's statement cache.
    pub fn exec(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<ExecResult> {
        self.run_cached(sql, params, |st| st.execute()).map(|(r, _)| r)
    }

    /// Bind every parameter and return a streaming cursor that keeps this
    /// connection checked out until it is dropped. The statement comes from
    /// the connection's statement cache and goes back when the cursor is
    /// dropped.
    pub fn query(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<Rows> {
        let (mut rows, st) = self.run_cached(sql, params, |s| s.query())?;
        // The cursor reads through the statement: it owns it until dropped.
        rows.stmt = Some(st);
        Ok(rows)
    }

    /// Ask the catalog (`core::catalog`): a cursor with the columns
    /// `q.columns()` lists, on every engine, through the statement cache
    /// as [`Conn::query`]. `NotImplemented` on an engine without catalog
    /// queries.
    pub fn catalog(&self, q: &super::catalog::Catalog<'_>) -> Result<Rows> {
        q.check()?;
        let cs = self.with(|c| c.catalog(q)).map_err(|e| e.not_sent())?;
        let params: Vec<ValueRef<'_>> = cs.params.iter().map(|v| v.as_ref()).collect();
        let mut rows = self.query(&cs.sql, &params)?;
        let names: Vec<&str> = rows.columns().iter().map(|c| c.name.as_str()).collect();
        if names != q.columns() {
            return Err(Error::new(
                super::error::Status::Internal,
                format!(
                    "the {} driver's query for {} returned the columns {names:?}, not {:?}",
                    self.driver_name(),
                    q.what(),
                    q.columns()
                ),
            ));
        }
        if let Some(map) = cs.keel_type {
            let at = q.columns().iter().position(|c| *c == "keel_type").unwrap_or(0);
            rows.wrap(|inner| Box::new(super::catalog::TypedRows::new(inner, at, map)));
        }
        Ok(rows)
    }

    /// Run `f` as one unit: inside the caller's transaction when one is
    /// open, else in one of its own, committed when `f` succeeds and
    /// rolled back when it fails. A statement that ends the transaction
    /// itself (MySQL's DDL commits it) leaves none to end.
    pub(crate) fn as_one<T, E: From<Error>>(&self, f: impl FnOnce() -> std::result::Result<T, E>) -> std::result::Result<T, E> {
        let own = !self.in_transaction();
        if own {
            self.begin(&TxOptions::default())?;
        }
        let r = f();
        if own && self.in_transaction() {
            match &r {
                Ok(_) => self.commit()?,
                Err(_) => {
                    let _ = self.rollback();
                }
            }
        }
        r
    }

    pub fn begin(&self, opts: &TxOptions) -> Result<()> {
        self.with(|c| {
            if c.in_transaction() {
                return Err(Error::invalid_state(
                    "a transaction is already open on this connection; use a savepoint to nest",
                )
                .not_sent());
            }
            c.begin(opts)
        })
    }

    /// Commit the open transaction. Whatever the outcome, the transaction
    /// is over when this returns, as with Go's `Tx.Commit` and psycopg's
    /// `commit`: when the commit fails and the engine kept the transaction
    /// open (SQLite does after `SQLITE_BUSY` and a deferred foreign key
    /// violation; PostgreSQL, MySQL and SQL Server end it themselves), it
    /// is rolled back, and the commit's error is returned with a note that
    /// it was. A `BUSY` commit is thus retried by running the whole
    /// transaction again, as the status says.
    pub fn commit(&self) -> Result<()> {
        self.with(|c| {
            if !c.in_transaction() {
                return Err(Error::invalid_state("commit: no transaction is open").not_sent());
            }
            // A commit that fails unsent on a lost session (lost now or
            // before): the transaction is gone with it.
            let Err(e) = c.commit() else { return Ok(()) };
            let mut e = lost_transaction(e, c, true);
            if !c.in_transaction() {
                return Err(e);
            }
            let note = match c.rollback() {
                Ok(()) => "the transaction was rolled back".to_owned(),
                // A session that cannot roll back is broken; the pool
                // closes it rather than lend it with the transaction open.
                Err(r) => format!("rolling the transaction back failed too ({r}); the connection is closed when returned"),
            };
            e.message = format!("{} ({note})", e.message);
            Err(e)
        })
    }

    pub fn rollback(&self) -> Result<()> {
        self.with(|c| {
            if !c.in_transaction() {
                return Err(Error::invalid_state("rollback: no transaction is open").not_sent());
            }
            c.rollback()
        })
    }

    pub fn savepoint(&self, name: &str) -> Result<()> {
        self.check()?;
        check_identifier(name).map_err(Error::not_sent)?;
        self.with(|c| c.savepoint(name))
    }

    pub fn release(&self, name: &str) -> Result<()> {
        self.check()?;
        check_identifier(name).map_err(Error::not_sent)?;
        self.with(|c| c.release(name))
    }

    pub fn rollback_to(&self, name: &str) -> Result<()> {
        self.check()?;
        check_identifier(name).map_err(Error::not_sent)?;
        self.with(|c| c.rollback_to(name))
    }

    pub fn in_transaction(&self) -> bool {
        self.with(|c| Ok(c.in_transaction())).unwrap_or(false)
    }

    pub fn ping(&self) -> Result<()> {
        self.with(|c| c.ping())
    }

    /// Whether the session has failed for good (the pool closes it when it
    /// comes back).
    pub fn is_broken(&self) -> bool {
        self.with(|c| Ok(c.is_broken())).unwrap_or(true)
    }

    /// A handle that cancels the statement this connection is running; use
    /// it from another thread. It belongs to this checkout: once the
    /// connection goes back to its pool the handle does nothing, so it can
    /// never stop a statement of the session's next borrower.
    pub fn cancel_handle(&self) -> Result<Cancel> {
        self.check()?;
        let mut g = lock(&self.shared.session);
        let p = g.as_mut().ok_or_else(|| Error::invalid_state("connection is closed").not_sent())?;
        let handle = Arc::from(p.conn.cancel_handle()?);
        Ok(Cancel { handle, checkout: p.lease.current(), lease: p.lease.clone(), generation: self.shared.generation })
    }

    pub fn server_version(&self) -> Result<String> {
        self.with(|c| Ok(c.server_version().to_owned()))
    }

    /// Close the session when this connection, and every statement and
    /// cursor made from it, are gone, instead of returning it to the pool
    /// (for a session whose state you changed, or that you no longer
    /// trust). The pool opens a new one when it needs one.
    pub fn close(self) {
        self.mark_closed();
    }

    /// What [`Conn::close`] does, for the C boundary (which owns the
    /// `Conn` it frees).
    pub(crate) fn mark_closed(&self) {
        self.shared.close.store(true, Ordering::Release);
    }
}

/// Cancels the statement running on one connection, from any thread,
/// during the checkout it was made in.
#[derive(Clone)]
pub struct Cancel {
    handle: Arc<dyn CancelHandle>,
    lease: Arc<super::pool::Lease>,
    checkout: u64,
    /// The fork generation of the session (`core::fork`).
    generation: u64,
}

impl Cancel {
    /// Ask the engine to stop the running statement, which then fails with
    /// `Status::Cancelled`. Does nothing when no statement runs, or when
    /// the connection has gone back to its pool since the handle was made.
    /// In a child of fork() that inherited the handle, fails with
    /// `INVALID_STATE` (it would stop a statement of the parent's).
    pub fn cancel(&self) -> Result<()> {
        if self.generation != fork::generation() {
            return Err(fork::inherited("cancel handle"));
        }
        self.lease.during(self.checkout, || self.handle.cancel()).unwrap_or(Ok(()))
    }
}

/// `INVALID_ARGUMENT` unless `given` values are one for each of `n`
/// parameters.
fn param_count(n: usize, given: usize) -> Result<()> {
    if given == n {
        return Ok(());
    }
    Err(Error::invalid_argument(format!(
        "the statement has {n} parameter{} but {given} value{} given",
        if n == 1 { "" } else { "s" },
        if given == 1 { " was" } else { "s were" }
    )))
}

/// A prepared statement. Parameters are 0-based and must all be bound
/// before it runs; bindings persist across executions until cleared.
///
/// It may move to another thread (`Send`) but not be shared by two
/// (`!Sync`: its calls take `&mut self`); this does not compile:
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<keel::Stmt>();
/// ```
pub struct Stmt {
    _conn: Arc<ConnShared>,
    /// Shared with the cursors it opens, for their error messages.
    sql: Arc<str>,
    /// Always Some; taken only by Drop, to go back to the cache.
    inner: Option<Box<dyn DriverStmt>>,
    bound: Vec<bool>,
    /// The cache key, for a statement that goes back to its connection's
    /// statement cache when dropped (those of exec and query).
    recycle: Option<String>,
    /// How batches of this statement run (`core::many`), with the
    /// multi-row statements prepared for them.
    pub(super) many: super::many::Many,
    /// Bumped whenever a cursor this statement opened is closed under its
    /// reader (by running, binding or clearing the statement again); each
    /// cursor remembers the value it was opened at.
    runs: Arc<AtomicU64>,
    /// A cursor opened by this statement may still be open.
    cursor_open: bool,
    /// A statement of the cache (`recycle` is set) that was prepared
    /// before this run: it came out of the cache, or ran since it was
    /// prepared. The engine may refuse it as stale, and then it is
    /// prepared again once; a statement prepared for this run cannot be.
    hit: bool,
    /// The engine refused it as stale and it was not prepared again yet
    /// (the error ended the transaction): the next run prepares it first,
    /// and it never goes back into the cache as it is.
    stale: bool,
    /// The cache's generation when this statement came out of it (or was
    /// prepared for it): see `StmtCache::put`.
    cache_generation: u64,
}

impl Drop for Stmt {
    fn drop(&mut self) {
        if self._conn.inherited() {
            // Closing a statement or its cursor talks to the session (and
            // the session's lock may be held by a thread of the parent).
            if let Some(inner) = self.inner.take() {
                fork::keep(inner);
            }
            fork::keep(std::mem::take(&mut self.many));
            return;
        }
        // Dropping driver statements talks to the session (MySQL closes
        // them there): under its lock, as every call.
        let mut g = self._conn.hold();
        drop(std::mem::take(&mut self.many));
        let inner = self.inner.take();
        match (self.recycle.take().filter(|_| !self.stale), inner, g.as_mut()) {
            (Some(key), Some(inner), Some(p)) => p.cache.put(key, inner, self.cache_generation),
            (_, inner, _) => drop(inner),
        }
        drop(g);
    }
}

impl Stmt {
    fn new(conn: Arc<ConnShared>, sql: &str, inner: Box<dyn DriverStmt>, recycle: Option<String>) -> Stmt {
        let n = inner.param_count();
        Stmt {
            _conn: conn,
            sql: sql.into(),
            inner: Some(inner),
            bound: vec![false; n],
            recycle,
            many: Default::default(),
            runs: Arc::new(AtomicU64::new(0)),
            cursor_open: false,
            hit: false,
            stale: false,
            cache_generation: 0,
        }
    }

    /// Close the cursor this statement opened, if any, as every engine does
    /// before the statement runs, is bound or is cleared again: the cursor
    /// then reports `INVALID_STATE` from every call, but what it already
    /// handed out stays readable until it moves or is freed.
    pub(super) fn close_cursor(&mut self) {
        // In a child of fork(), closing the parent's cursor would drain it
        // or stop it at the server; the calls that get here fail instead.
        if self._conn.inherited() {
            return;
        }
        if std::mem::take(&mut self.cursor_open) {
            self.runs.fetch_add(1, Ordering::AcqRel);
            let conn = self._conn.clone();
            let _g = conn.hold();
            self.inner_mut().close_cursor();
        }
    }

    /// The session this statement belongs to, to hold its lock while
    /// calling driver objects the statement owns (the batch's chunks).
    pub(super) fn session(&self) -> Arc<ConnShared> {
        self._conn.clone()
    }

    /// Whether the driver pipelines batches of this statement.
    pub(super) fn pipelines(&mut self) -> bool {
        self.inner_mut().pipelines()
    }

    /// Run `rows` through the driver's pipeline
    /// ([`DriverStmt::execute_pipelined`]), holding the session's lock.
    pub(super) fn execute_pipelined(&mut self, rows: &[ValueRef<'_>]) -> std::result::Result<ExecResult, PipelineError> {
        let conn = self._conn.clone();
        let _g = conn.hold();
        self.inner_mut().execute_pipelined(rows)
    }

    fn inner_mut(&mut self) -> &mut dyn DriverStmt {
        self.inner.as_deref_mut().expect("a statement's driver statement is only taken by Drop")
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How this statement's engine writes SQL.
    pub fn syntax(&self) -> &'static Syntax {
        self._conn.db.syntax()
    }

    /// Run `f` on this statement's session.
    pub(super) fn with_driver_conn<R>(&self, f: impl FnOnce(&mut dyn DriverConn) -> Result<R>) -> Result<R> {
        self.check()?;
        let mut g = lock(&self._conn.session);
        let c = g.as_mut().ok_or_else(|| Error::invalid_state("connection is closed"))?;
        f(c.conn.as_mut())
    }

    pub fn param_count(&self) -> usize {
        self.bound.len()
    }

    /// `INVALID_STATE` in a child of fork() that inherited this statement.
    #[inline]
    fn check(&self) -> Result<()> {
        self._conn.check("statement")
    }

    fn check_index(&self, index: usize) -> Result<()> {
        let n = self.bound.len();
        if index >= n {
            return Err(Error::invalid_argument(format!(
                "parameter index {index} is out of range: the statement has {n} parameter{} (indexes are 0-based)",
                if n == 1 { "" } else { "s" }
            ))
            .not_sent());
        }
        Ok(())
    }

    pub fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.bind_through(index, |s| s.bind(index, value))
    }

    /// What every bind does around the driver's own call `f`: check the
    /// statement and the index, close its cursor, call under the
    /// session's lock, and remember the parameter as bound.
    fn bind_through(&mut self, index: usize, f: impl FnOnce(&mut dyn DriverStmt) -> Result<()>) -> Result<()> {
        self.check()?;
        self.check_index(index)?;
        self.close_cursor();
        let conn = self._conn.clone();
        let g = conn.hold();
        let r = f(self.inner_mut());
        drop(g);
        r.map_err(|e| e.context(format_args!("parameter {index}")).not_sent())?;
        self.bound[index] = true;
        Ok(())
    }

    /// As [`Stmt::bind`], for text or bytes the engine may read from where
    /// they are instead of from a copy (SQLite does: sqlite3's
    /// `SQLITE_STATIC`; the other engines copy).
    ///
    /// # Safety
    /// The bytes of `value` stay valid and unchanged until parameter
    /// `index` is bound again, the bindings are cleared, the statement is
    /// dropped, and every cursor of a run that used them has moved off its
    /// row or been dropped.
    pub unsafe fn bind_borrowed(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        // SAFETY: the caller's promise, passed on.
        self.bind_through(index, |s| unsafe { s.bind_borrowed(index, value) })
    }

    /// Bind the instant `micros` (since 1970-01-01T00:00:00Z) with the UTC
    /// offset to store it with, in seconds east: whole minutes within
    /// ±14:00, as SQL Server's datetimeoffset and ISO 8601 allow. SQL
    /// Server keeps the offset; the other engines store the instant, as
    /// for `ValueRef::Timestamptz`.
    pub fn bind_timestamptz_offset(&mut self, index: usize, micros: i64, offset_seconds: i32) -> Result<()> {
        self.check()?;
        if offset_seconds % 60 != 0 || offset_seconds.abs() > 14 * 3600 {
            return Err(Error::invalid_argument(format!(
                "UTC offset of {offset_seconds} s for parameter {index}: it must be whole minutes between -14:00 and +14:00"
            ))
            .not_sent());
        }
        self.bind_through(index, |s| s.bind_timestamptz_offset(index, micros, offset_seconds))
    }

    /// `INVALID_ARGUMENT`, quoting the SQL, unless `given` values are one
    /// per parameter: what every call that takes a row of values says.
    pub fn check_param_count(&self, given: usize) -> Result<()> {
        param_count(self.bound.len(), given).map_err(|e| e.with_sql(&self.sql))
    }

    /// Bind `params` to parameters 0..n; their count must match exactly.
    pub fn bind_all(&mut self, params: &[ValueRef<'_>]) -> Result<()> {
        self.check()?;
        self.check_param_count(params.len()).map_err(Error::not_sent)?;
        for (i, v) in params.iter().enumerate() {
            self.bind(i, *v).map_err(|e| e.with_sql(&self.sql))?;
        }
        Ok(())
    }

    pub fn clear_bindings(&mut self) -> Result<()> {
        self.check()?;
        self.close_cursor();
        let conn = self._conn.clone();
        let g = conn.hold();
        self.inner_mut().clear_bindings()?;
        drop(g);
        self.bound.iter_mut().for_each(|b| *b = false);
        Ok(())
    }

    fn check_bound(&self) -> Result<()> {
        match self.bound.iter().position(|b| !b) {
            None => Ok(()),
            Some(i) => Err(Error::invalid_argument(format!(
                "parameter {i} of {} is not bound",
                self.bound.len()
            ))
            .with_sql(&self.sql)
            .not_sent()),
        }
    }

    pub fn execute(&mut self) -> Result<ExecResult> {
        self.check()?;
        self.check_bound()?;
        self.close_cursor();
        self.run(|s| s.execute())
    }

    /// Bind `row` (exactly one value per parameter) and run to completion,
    /// under one check and one hold of the session's lock: the same as
    /// [`Stmt::bind_all`] then [`Stmt::execute`], for batches run row by
    /// row.
    pub fn execute_row(&mut self, row: &[ValueRef<'_>]) -> Result<ExecResult> {
        self.check()?;
        self.check_param_count(row.len()).map_err(Error::not_sent)?;
        self.close_cursor();
        let r = self.run(|s| s.execute_row(row));
        // Every value bound unless binding one failed (an error of its
        // own, not sent): then the flags stay as they were, and a later
        // run may say a parameter is unbound that is, never the reverse.
        if r.as_ref().map_or_else(|e| e.retry != RetrySafety::NotSent, |_| true) {
            self.bound.iter_mut().for_each(|b| *b = true);
        }
        r
    }

    /// Whether [`Stmt::execute_rows`] binds each row where its values are
    /// ([`DriverStmt::executes_rows_in_place`]): SQLite's bulk path.
    pub fn executes_rows_in_place(&self) -> bool {
        self.inner.as_deref().is_some_and(|s| s.executes_rows_in_place())
    }

    /// Run the statement once for each row `rows` hands to its callback,
    /// under one check and one hold of the session's lock, each row bound
    /// where its values are for its run only
    /// ([`DriverStmt::execute_rows`]). `rows` must
    /// not call into this session (it runs under its lock): it only hands
    /// over values it holds already. The bindings are cleared afterwards.
    /// With `report`, returns the rows' rows affected, summed, and the
    /// last row's insert id (a little work per row; without, nothing to
    /// rely on).
    pub fn execute_rows(
        &mut self,
        rows: &mut dyn FnMut(&mut dyn FnMut(&[ValueRef<'_>]) -> Result<()>) -> Result<()>,
        report: bool,
    ) -> Result<ExecResult> {
        self.check()?;
        self.close_cursor();
        let n = self.bound.len();
        let (conn, sql) = (self._conn.clone(), self.sql.clone());
        let _g = conn.hold();
        let r = self.inner_mut().execute_rows(
            &mut |each| {
                rows(&mut |row| {
                    param_count(n, row.len())?;
                    each(row)
                })
            },
            report,
        );
        self.bound.iter_mut().for_each(|b| *b = false);
        r.map_err(|e| e.with_sql(&sql))
    }

    /// Run the statement (one of [`Driver::indexed_insert_sql`]) once for
    /// the batch `rows`, as [`Stmt::execute`] runs it, under one hold of
    /// the session's lock ([`DriverStmt::execute_indexed`]); `rows` must
    /// not call into this session (it only reads values it holds already).
    pub(crate) fn execute_indexed(&mut self, rows: &dyn crate::core::ingest::IndexedRows) -> Result<()> {
        self.check()?;
        self.close_cursor();
        self.run(|s| s.execute_indexed(rows))
    }

    /// Run and return a cursor. A cursor opened earlier from this statement
    /// is closed (its next read reports that).
    pub fn query(&mut self) -> Result<Rows> {
        self.check()?;
        self.check_bound()?;
        self.close_cursor();
        let r = self.run(|s| s.query())?;
        self.cursor_open = true;
        let mut rows = Rows::new(self._conn.clone(), self.sql.clone(), r);
        rows.opened_at = Some((self.runs.clone(), self.runs.load(Ordering::Acquire)));
        Ok(rows)
    }

    /// Run the driver statement with `f` (execute or query), holding the
    /// session's lock. A statement from the cache that the engine refuses
    /// as stale (`DriverConn::is_stale_statement`) is prepared again with
    /// its bindings and run once more; when the error ended the
    /// transaction, the error says to roll back, and the next run
    /// prepares it first.
    fn run<R>(&mut self, f: impl Fn(&mut dyn DriverStmt) -> Result<R>) -> Result<R> {
        if self.stale {
            self.prepare_again()?;
        }
        let e = match self.locked(&f) {
            Err(e) if self.hit && self.is_stale(&e) => e,
            r => {
                // Run (or refused while running) as it is: a later run may
                // find it stale.
                self.hit = self.recycle.is_some();
                return r;
            }
        };
        // Once per run: the statement prepared again is fresh.
        self.hit = false;
        self.stale = true;
        if !self.with_driver_conn(|c| Ok(c.usable_after_error())).unwrap_or(false) {
            return Err(e.context(
                "the server refused a cached prepared statement (it no longer fits the schema, or the server no longer \
                 has it) and it was dropped from the cache; \
                 the failure ended the transaction: roll back, then run the statement again",
            ));
        }
        self.prepare_again().map_err(|p| e.context(format_args!("preparing the statement again failed ({p})")))?;
        let r = self.locked(&f);
        self.hit = self.recycle.is_some();
        r
    }

    fn locked<R>(&mut self, f: &impl Fn(&mut dyn DriverStmt) -> Result<R>) -> Result<R> {
        let (conn, sql) = (self._conn.clone(), self.sql.clone());
        let mut g = conn.hold();
        // A session not yet known lost (one lost before says so as
        // NOT_SENT, and lost its transaction then).
        let alive = g.as_ref().is_some_and(|p| !p.conn.is_broken());
        let r = f(self.inner_mut());
        r.map_err(|e| {
            let e = e.with_sql(&sql);
            match g.as_mut() {
                Some(p) => lost_transaction(e, p.conn.as_mut(), alive),
                None => e,
            }
        })
    }

    fn is_stale(&self, e: &Error) -> bool {
        self.with_driver_conn(|c| Ok(c.is_stale_statement(e))).unwrap_or(false)
    }

    /// Prepare the statement again on the server, keeping its bindings
    /// (counted as a miss of the statement cache, which it would have been).
    fn prepare_again(&mut self) -> Result<()> {
        let conn = self._conn.clone();
        let g = conn.hold();
        let r = self.inner_mut().prepare_again();
        drop(g);
        r.map_err(|e| e.with_sql(&self.sql))?;
        self.stale = false;
        self._conn.db.inner.pool.cache_misses.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The columns of the result this statement returns, as the engine
    /// describes it before the statement runs (empty for one that returns
    /// no rows), each as the cursor of a run reports it where the engine
    /// tells as much before running. `Status::NotImplemented`, saying why,
    /// when the engine cannot tell before running it: then run it and
    /// read [`Rows::columns`]. Whether an engine can is
    /// [`Capability::ColumnsAfterPrepare`]. A schema change between this
    /// call and a run can change what the run returns: the cursor's
    /// columns are what it did return. SQL Server asks the server, once
    /// per statement, with the parameters as bound at the first call.
    pub fn columns(&mut self) -> Result<Arc<[Column]>> {
        self.check()?;
        let conn = self._conn.clone();
        let _g = conn.hold();
        let sql = self.sql.clone();
        self.inner_mut().result_columns().map_err(|e| e.with_sql(&sql))
    }
}

/// A streaming cursor. Values borrowed from it stay valid until the next
/// call to [`Rows::next`].
///
/// It may move to another thread (`Send`) but not be shared by two
/// (`!Sync`); this does not compile:
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<keel::Rows>();
/// ```
pub struct Rows {
    _conn: Arc<ConnShared>,
    sql: Arc<str>,
    /// Only taken by Drop.
    inner: ManuallyDrop<Box<dyn DriverRows>>,
    on_row: bool,
    done: bool,
    /// The cached statement this cursor reads through (from `Conn::query`),
    /// returned to the cache after `inner` is dropped.
    stmt: Option<Stmt>,
    /// The statement's run counter and its value when this cursor opened:
    /// when they differ, the statement closed this cursor.
    opened_at: Option<(Arc<AtomicU64>, u64)>,
    /// The fork generation of the session (`core::fork`), here so that
    /// the check on every read needs no pointer chase.
    generation: u64,
    /// Its rows were moved to another `Rows` ([`Rows::take`]): to what.
    moved: Option<&'static str>,
    /// The error of a row a reader of many rows met after it had read
    /// others ([`Rows::defer`]): the next call that moves the cursor
    /// returns it.
    deferred: Option<Error>,
}

impl Drop for Rows {
    fn drop(&mut self) {
        // SAFETY: the only place it is taken, once.
        let inner = unsafe { ManuallyDrop::take(&mut self.inner) };
        if self.generation != fork::generation() {
            // A cursor's drop drains, stops (KILL QUERY, an attention) or
            // reads the rest of the parent's result.
            fork::keep(inner);
        } else {
            // Closing a cursor talks to its session: under its lock.
            let g = self._conn.hold();
            drop(inner);
            drop(g);
        }
        // Then the statement goes back to the cache (or is kept).
    }
}

fn closed_cursor() -> Error {
    Error::invalid_state("this cursor was closed because its statement was run, bound or cleared again")
}

/// The row [`Rows::next_row_or_vectors`] moved onto.
pub enum RowOrVectors<'a> {
    /// In the cursor's column vectors: the columns, one vector per column,
    /// and the row's entry in each.
    Vectors(&'a [Column], &'a [Vector<'a>], usize),
    /// Read value by value.
    Row(CurrentRow<'a>),
}

/// The current row of a [`Rows`], checked readable
/// ([`Rows::current_row`]); borrowed, so the cursor cannot move meanwhile.
pub struct CurrentRow<'a> {
    inner: &'a dyn DriverRows,
    columns: usize,
}

impl<'a> CurrentRow<'a> {
    /// The number of columns.
    #[inline]
    pub fn column_count(&self) -> usize {
        self.columns
    }

    /// Column `i`; NULL past the last column.
    #[inline]
    pub fn value(&self, i: usize) -> ValueRef<'a> {
        if i < self.columns { self.inner.value(i) } else { ValueRef::Null }
    }

    /// The columns' descriptions.
    #[inline]
    pub fn columns(&self) -> &'a [Column] {
        self.inner.columns()
    }

    /// The UTC offset a `Timestamptz` in column `i` was stored with, where
    /// the engine keeps one (as [`Rows::zone`]).
    #[inline]
    pub fn zone(&self, i: usize) -> Option<i32> {
        if i < self.columns { self.inner.tz_offset(i) } else { None }
    }

    /// The elements of the array in list column `i` (as
    /// [`Rows::list_elements`]).
    pub fn list_elements(&self, i: usize, each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<bool> {
        if i >= self.columns {
            return Err(Error::invalid_argument(format!("column {i} is past the last column ({})", self.columns)));
        }
        self.inner.list_elements(i, each)
    }
}

impl Rows {
    fn new(conn: Arc<ConnShared>, sql: Arc<str>, inner: Box<dyn DriverRows>) -> Rows {
        let generation = conn.generation;
        Rows {
            _conn: conn,
            sql,
            inner: ManuallyDrop::new(inner),
            on_row: false,
            done: false,
            stmt: None,
            opened_at: None,
            generation,
            moved: None,
            deferred: None,
        }
    }

    /// Put `f`'s cursor in place of the driver's (the catalog's typed
    /// column).
    pub(super) fn wrap(&mut self, f: impl FnOnce(Box<dyn DriverRows>) -> Box<dyn DriverRows>) {
        // SAFETY: taken and put back at once; Drop takes it only later.
        let inner = unsafe { ManuallyDrop::take(&mut self.inner) };
        self.inner = ManuallyDrop::new(f(inner));
    }

    /// Move the rest of this cursor's result (and its statement) into a
    /// new `Rows`, leaving this one empty: every later read of it fails
    /// with `INVALID_STATE`, saying `to` (what took the rows). It still
    /// keeps the session checked out until dropped.
    pub fn take(&mut self, to: &'static str) -> Rows {
        let mut husk = Rows::new(self._conn.clone(), self.sql.clone(), Box::new(Moved));
        husk.moved = Some(to);
        std::mem::replace(self, husk)
    }

    /// Most rows in one Arrow record batch: the pool's `arrow_batch_rows`.
    pub fn arrow_batch_rows(&self) -> usize {
        self._conn.db.inner.pool.config().arrow_batch_rows
    }

    fn moved_error(to: &str) -> Error {
        Error::invalid_state(format!("this cursor's rows were moved into {to}"))
    }

    /// Whether the statement closed this cursor under its reader. Once
    /// closed, every read reports it (with `INVALID_STATE`), however often
    /// it is asked and whether or not the cursor had reached its end.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.opened_at.as_ref().is_some_and(|(runs, at)| runs.load(Ordering::Acquire) != *at) || self.inner.is_closed()
    }

    pub fn columns(&self) -> &[Column] {
        self.inner.columns()
    }

    pub fn column_count(&self) -> usize {
        self.inner.columns().len()
    }

    /// Column `i`'s description. A cursor its statement closed (or whose
    /// rows moved, or that a fork left behind) answers `INVALID_STATE`
    /// here too, as to every other call.
    pub fn column(&self, i: usize) -> Result<&Column> {
        self.answers()?;
        let cols = self.inner.columns();
        cols.get(i).ok_or_else(|| {
            Error::invalid_argument(format!(
                "column index {i} is out of range: the result has {} column{} (indexes are 0-based)",
                cols.len(),
                if cols.len() == 1 { "" } else { "s" }
            ))
        })
    }

    /// The index of the column called `name`: the first whose name is
    /// exactly `name`, else the first equal to it ignoring ASCII case (a
    /// field `Name` finds PostgreSQL's folded `name`). `NotFound` when no
    /// column is, naming the columns there are.
    pub fn column_index(&self, name: &[u8]) -> Result<usize> {
        self.answers()?;
        let cols = self.inner.columns();
        let found = cols
            .iter()
            .position(|c| c.name.as_bytes() == name)
            .or_else(|| cols.iter().position(|c| c.name.as_bytes().eq_ignore_ascii_case(name)));
        found.ok_or_else(|| {
            let mut names: Vec<String> = cols.iter().take(20).map(|c| format!("{:?}", c.name)).collect();
            if cols.len() > 20 {
                names.push(format!("and {} more", cols.len() - 20));
            }
            Error::new(
                Status::NotFound,
                format!(
                    "no column is named {:?}; the result's columns are {}",
                    String::from_utf8_lossy(name),
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                ),
            )
        })
    }

    /// Whether the cursor can move on, or why not (a fork inherited it, its
    /// rows moved, its statement closed it); off its row when it cannot.
    #[inline]
    fn check_can_move(&mut self) -> Result<()> {
        if self.generation != fork::generation() {
            self.on_row = false;
            return Err(fork::inherited("cursor").with_sql(&self.sql));
        }
        if let Some(to) = self.moved {
            return Err(Rows::moved_error(to));
        }
        if self.is_closed() {
            self.on_row = false;
            return Err(closed_cursor().with_sql(&self.sql));
        }
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        Ok(())
    }

    /// Keep `e`, the error of the row a reader of many rows stopped at
    /// after reading others, for the next call that moves the cursor
    /// ([`Rows::next`], [`Rows::each_row`], [`Rows::next_run`],
    /// [`Rows::peek`]), which returns it instead of moving; the cursor
    /// stays where `e` left it (on that row, or at the end).
    pub(crate) fn defer(&mut self, e: Error) {
        self.deferred = Some(e);
    }

    /// Advance to the next row; false at the end (and on every call after).
    /// A cursor its statement closed fails with `INVALID_STATE` instead,
    /// every time.
    pub fn next(&mut self) -> Result<bool> {
        self.check_can_move()?;
        if self.done {
            self.on_row = false;
            return Ok(false);
        }
        if self.inner.advance_buffered() {
            self.on_row = true;
            return Ok(true);
        }
        let g = self._conn.hold();
        let next = self.inner.next();
        drop(g);
        match next {
            Ok(true) => {
                self.on_row = true;
                Ok(true)
            }
            Ok(false) => {
                self.on_row = false;
                self.done = true;
                Ok(false)
            }
            Err(e) => {
                self.on_row = false;
                self.done = true;
                Err(e.with_sql(&self.sql))
            }
        }
    }

    /// [`Rows::next`], then the row it moved onto as [`Rows::current_row`]
    /// gives it, without checking again what `next` just checked: for a
    /// reader of whole rows. `None` at the end.
    #[inline]
    pub fn next_row(&mut self) -> Result<Option<CurrentRow<'_>>> {
        if !self.next()? {
            return Ok(None);
        }
        Ok(Some(self.row_unchecked()))
    }

    /// [`Rows::next`], then the row it moved onto: as entries of the
    /// column vectors the cursor holds, when it holds them
    /// ([`DriverRows::current_in_vectors`]: the columns, their vectors and
    /// the row's entry in each), else as [`Rows::next_row`] gives it. For
    /// a reader of whole rows; `None` at the end.
    #[inline]
    pub fn next_row_or_vectors(&mut self) -> Result<Option<RowOrVectors<'_>>> {
        if !self.next()? {
            return Ok(None);
        }
        Ok(Some(match self.inner.current_in_vectors() {
            Some((columns, vectors, at)) => RowOrVectors::Vectors(columns, vectors, at),
            None => RowOrVectors::Row(self.row_unchecked()),
        }))
    }

    /// Read up to `max` rows, handing each to `each`, which returns whether
    /// to go on: for a reader of many rows at once (the Arrow export, an
    /// encoded fetch), which then pays what [`Rows::next`] pays per row
    /// (its checks, a hold of the session's lock) once per call. `each`
    /// runs under the session's lock, so it must not call into the
    /// session. Returns the rows read (`each`'s last one included) and
    /// whether the result ended. The cursor is then on the last row read,
    /// or on no row at the end. An error of `each` is returned as it is,
    /// the cursor on its row; the driver's ends the cursor, as in `next`.
    pub fn each_row(&mut self, max: usize, each: &mut dyn FnMut(&CurrentRow<'_>) -> Result<bool>) -> Result<(usize, bool)> {
        self.check_can_move()?;
        if self.done {
            self.on_row = false;
            return Ok((0, true));
        }
        let columns = self.inner.columns().len();
        let g = self._conn.hold();
        let mut n = 0;
        let outcome = loop {
            if n == max {
                break Ok(false);
            }
            let more = if self.inner.advance_buffered() { Ok(true) } else { self.inner.next() };
            match more {
                Ok(true) => {}
                Ok(false) => break Ok(true),
                Err(e) => break Err(e),
            }
            n += 1;
            match each(&CurrentRow { inner: &**self.inner, columns }) {
                Ok(true) => {}
                Ok(false) => break Ok(false),
                Err(e) => {
                    drop(g);
                    self.on_row = true;
                    return Err(e);
                }
            }
        };
        drop(g);
        match outcome {
            Ok(end) => {
                if n > 0 || end {
                    self.on_row = !end;
                }
                self.done = end;
                Ok((n, end))
            }
            Err(e) => {
                self.on_row = false;
                self.done = true;
                Err(e.with_sql(&self.sql))
            }
        }
    }

    /// The row [`Rows::next`] would move onto, where the driver holds it
    /// already ([`DriverRows::pending`]: SQLite's first row, which the
    /// query stepped onto), given to `each` without moving the cursor:
    /// `next`, [`Rows::each_row`] and the Arrow export still start at it.
    /// The driver then reads past it where holding it would hold the
    /// engine ([`DriverRows::look_past_pending`]). For a caller that takes
    /// the first row with the query, in one call instead of two. Returns
    /// whether `each` ran, and whether the result is known to end after
    /// the row `each` saw (with no row: to have no row at all). An error of
    /// `each` is returned as it is, the cursor unmoved.
    pub fn peek(&mut self, each: &mut dyn FnMut(&CurrentRow<'_>) -> Result<()>) -> Result<(bool, bool)> {
        self.check_can_move()?;
        if self.done {
            return Ok((false, true));
        }
        if self.on_row {
            return Ok((false, false));
        }
        let columns = self.inner.columns().len();
        let _g = self._conn.hold();
        match self.inner.pending() {
            Some(true) => {
                each(&CurrentRow { inner: &**self.inner, columns })?;
                Ok((true, self.inner.look_past_pending()))
            }
            Some(false) => Ok((false, true)),
            None => Ok((false, false)),
        }
    }

    /// The rows after the current one, at most `max` (and, where the
    /// driver decodes them one by one, ending with the row whose text and
    /// bytes reach `max_bytes`), column by column, where the driver holds
    /// its result that way ([`DriverRows::next_run`]); the cursor is on no
    /// row after it. `Ok(None)` when it does not (read with
    /// [`Rows::next`]); a run of 0 rows at the end. Fails as
    /// [`Rows::next`] does.
    pub fn next_run(&mut self, max: usize, max_bytes: usize) -> Result<Option<Run<'_>>> {
        self.check_can_move()?;
        self.on_row = false;
        if self.done {
            return Ok(Some(Run::end()));
        }
        let g = self._conn.hold();
        let run = self.inner.next_run(max.max(1), max_bytes);
        drop(g);
        match run {
            Ok(Some(r)) => {
                if r.rows == 0 {
                    self.done = true;
                }
                Ok(Some(r))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.done = true;
                Err(e.with_sql(&self.sql))
            }
        }
    }

    /// Column `i` of the current row.
    #[inline]
    pub fn value(&self, i: usize) -> Result<ValueRef<'_>> {
        self.readable(i)?;
        Ok(self.inner.value(i))
    }

    /// The elements of the current row's array in column `i` (a column
    /// whose [`Column::list_of`](super::value::Column::list_of) is set),
    /// in order, each to `each`; `Ok(false)` when the value is NULL.
    pub fn list_elements(&self, i: usize, each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<bool> {
        self.readable(i)?;
        self.inner.list_elements(i, each)
    }

    /// Column `i` of the current row as the text keel writes for its
    /// value, taken as the engine keeps it where that is already keel's
    /// form (a SQLite TIMESTAMP stored as keel writes it), with no parse;
    /// `None` where it is not, or the column cannot be read (then
    /// [`Rows::value`] says why).
    pub fn value_as_text(&self, i: usize) -> Option<&str> {
        self.readable(i).ok()?;
        self.inner.value_as_text(i)
    }

    /// The current row, checked once for a reader of many of its columns
    /// ([`CurrentRow::value`] then needs no check per value).
    pub fn current_row(&self) -> Result<CurrentRow<'_>> {
        self.row_readable()?;
        Ok(self.row_unchecked())
    }

    /// The current row, for a caller that has checked it readable.
    #[inline]
    fn row_unchecked(&self) -> CurrentRow<'_> {
        CurrentRow { inner: &**self.inner, columns: self.inner.columns().len() }
    }

    /// Whether column `i` of the current row can be read, or why not.
    fn readable(&self, i: usize) -> Result<()> {
        self.row_readable()?;
        if i >= self.inner.columns().len() {
            return Err(self.column(i).unwrap_err());
        }
        Ok(())
    }

    /// Whether the cursor still answers calls: not inherited across a
    /// fork, its rows not moved, not closed by its statement.
    #[inline]
    fn answers(&self) -> Result<()> {
        if self.generation != fork::generation() {
            return Err(fork::inherited("cursor"));
        }
        if let Some(to) = self.moved {
            return Err(Rows::moved_error(to));
        }
        if self.is_closed() {
            return Err(closed_cursor());
        }
        Ok(())
    }

    /// Whether the current row can be read, or why not.
    #[inline]
    fn row_readable(&self) -> Result<()> {
        self.answers()?;
        if !self.on_row {
            return Err(Error::new(
                Status::InvalidState,
                if self.done {
                    "the cursor is past its last row"
                } else {
                    "no current row: call next first"
                },
            ));
        }
        Ok(())
    }

    /// For a timestamptz value in column `i`: the UTC offset, in seconds
    /// east, it was stored with (SQL Server's datetimeoffset keeps one); 0
    /// for engines whose timestamptz is an instant.
    pub fn tz_offset(&self, i: usize) -> Result<i32> {
        match self.value(i)? {
            ValueRef::Timestamptz(_) => Ok(self.zone(i).unwrap_or(0)),
            v => Err(v.cannot("a timestamp with zone")),
        }
    }

    /// The offset the driver reports for column `i` of the current row
    /// (only meaningful for a timestamptz value; see `tz_offset`).
    pub fn zone(&self, i: usize) -> Option<i32> {
        if !self.on_row || i >= self.inner.columns().len() { None } else { self.inner.tz_offset(i) }
    }

    /// Write column `i`'s text form into `out`: as `ValueRef::write_text`,
    /// except that a timestamptz stored with an offset shows its local time
    /// and that offset.
    pub fn write_text(&self, i: usize, out: &mut String) -> Result<()> {
        let v = self.value(i)?;
        match (v, self.zone(i)) {
            (ValueRef::Timestamptz(t), Some(off)) => {
                crate::core::value::format_timestamptz_at(t, off, out);
                Ok(())
            }
            _ => v.write_text(out),
        }
    }

    pub fn text_is_nul_terminated(&self) -> bool {
        self.inner.text_is_nul_terminated()
    }
}

/// What a [`Rows::take`]n cursor is left holding: no columns, no rows.
struct Moved;

impl DriverRows for Moved {
    fn columns(&self) -> &[Column] {
        &[]
    }
    fn next(&mut self) -> Result<bool> {
        Ok(false)
    }
    fn value(&self, _i: usize) -> ValueRef<'_> {
        ValueRef::Null
    }
}

// The auto traits "Threads" (above) argues for, checked when the crate
// builds: a pool and a connection are shared freely (every call locks);
// statements and cursors move between threads but are not shared. The doc
// tests of `Stmt` and `Rows` check the "not shared" half.
const _: () = {
    const fn send<T: Send>() {}
    const fn sync<T: Sync>() {}
    send::<Db>();
    sync::<Db>();
    send::<Conn>();
    sync::<Conn>();
    send::<Stmt>();
    send::<Rows>();
    send::<Cancel>();
    sync::<Cancel>();
};

/// Whether a statement of `sql` begins with a word that changes a
/// session's settings or the schema (see `Conn::cached`), comments before
/// it skipped: `/* migration */ ALTER TABLE ...` counts, and so does the
/// second statement of `INSERT ...; ALTER ...`.
fn changes_session_or_schema(sql: &str, syntax: &super::sql::Syntax) -> bool {
    super::sql::a_statement_begins_with(
        sql,
        syntax,
        &["SET", "RESET", "PRAGMA", "USE", "ATTACH", "DETACH", "CREATE", "ALTER", "DROP", "RENAME"],
    )
}

/// Prepare `native` (the engine's form of `sql`) on `c`: preparing runs
/// nothing, so an error is NOT_SENT, unless it lost the session's
/// transaction (`lost_transaction`).
fn prepare_on(c: &mut dyn DriverConn, native: &str, sql: &str) -> Result<Box<dyn DriverStmt>> {
    let alive = !c.is_broken();
    c.prepare(native).map_err(|e| lost_transaction(e.with_sql(sql).not_sent(), c, alive))
}

/// `e`, raised on `c`: when the session was `alive` as the call began
/// (one lost before said so as NOT_SENT, and lost its transaction then)
/// and the error ended it before its statement was sent (a server gone, a
/// node that left its cluster) inside a transaction, the statement did
/// not run, but the transaction is lost with the session (the server
/// rolls it back): NOT_SENT would invite running the one statement again,
/// where the whole transaction must run again. Said as
/// `RetrySafety::NotCommitted`. (Asked only after such a failure: asking
/// SQL Server whether a transaction is open costs a round trip.)
fn lost_transaction(e: Error, c: &mut dyn DriverConn, alive: bool) -> Error {
    // An IO error is the session's end (the server sent a FATAL error, a
    // socket closed), whether or not the driver has marked it broken yet.
    if alive && e.retry == RetrySafety::NotSent && (e.status == Status::Io || c.is_broken()) && c.in_transaction() {
        return e
            .with_retry(RetrySafety::NotCommitted)
            .context("the connection was lost inside a transaction, which the server rolls back");
    }
    e
}
