//! `Db` (a pool of connections to one URL), `Conn`, `Stmt` and `Rows`: the
//! engine-agnostic runtime that the C ABI and Rust callers use.
//!
//! Ownership: a `Conn` returns its session to the pool when the last thing
//! that uses it (the `Conn`, a `Stmt` or `Rows` made from it) is dropped,
//! so children may outlive their parent without a dangling session. A
//! session returned inside a transaction is rolled back first; one that
//! cannot be rolled back, or that broke, is closed instead of reused.

use super::driver::{CancelHandle, Dialect, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, TxOptions};
use super::pool::{Pool, PoolConfig, PoolStats, Pooled};
use super::error::{Error, Result, RetrySafety, Status};
use super::options::Options;
use super::url::ConnUrl;
use super::value::{Column, ValueRef};
use std::sync::{Arc, Mutex, MutexGuard};

struct DbInner {
    driver: &'static dyn Driver,
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
    /// Open a pool for `url`. Every engine connects once here, so that a
    /// wrong URL, path, password or host fails at open; that connection is
    /// kept idle for the first checkout.
    pub fn open(url: &str) -> Result<Db> {
        Db::open_with(url, &[])
    }

    /// Open a pool for `url` with more options, as if they were in its
    /// query string (given here, they win).
    pub fn open_with(url: &str, options: &[(String, String)]) -> Result<Db> {
        let mut parsed = ConnUrl::parse(url)?;
        parsed.options.extend(options.iter().cloned());
        let driver = crate::drivers::find(&parsed.scheme)?;
        let opts = Options::parse(driver.name(), driver.options(), &parsed.options)?;
        let cfg = PoolConfig::from_options(&opts)?;
        let connector = driver.connector(&parsed, &opts)?;
        let first = connector.connect().map_err(Error::not_sent)?;
        Ok(Db { inner: Arc::new(DbInner { driver, pool: Pool::new(connector, cfg, first) }) })
    }

    pub fn dialect(&self) -> Dialect {
        self.inner.driver.dialect()
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

struct ConnShared {
    db: Db,
    session: Mutex<Option<Pooled>>,
}

impl Drop for ConnShared {
    fn drop(&mut self) {
        let Some(mut p) = self.session.get_mut().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        let pool = &self.db.inner.pool;
        if p.conn.is_broken() || (p.conn.in_transaction() && p.conn.rollback().is_err()) {
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
    fn new(db: Db, session: Pooled) -> Conn {
        Conn {
            shared: Arc::new(ConnShared { db, session: Mutex::new(Some(session)) }),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut dyn DriverConn) -> Result<R>) -> Result<R> {
        let mut g = lock(&self.shared.session);
        let c = g.as_mut().ok_or_else(|| Error::invalid_state("connection is closed").not_sent())?;
        f(c.conn.as_mut())
    }

    pub fn dialect(&self) -> Dialect {
        self.shared.db.dialect()
    }

    pub fn driver_name(&self) -> &'static str {
        self.shared.db.driver_name()
    }

    /// Prepare one statement. Preparing runs nothing, so every error here
    /// is `RetrySafety::NotSent`.
    pub fn prepare(&self, sql: &str) -> Result<Stmt> {
        let native = super::placeholders::rewrite(sql, self.dialect()).map_err(|e| e.with_sql(sql).not_sent())?;
        let stmt = self.with(|c| c.prepare(&native)).map_err(|e| e.with_sql(sql).not_sent())?;
        let n = stmt.param_count();
        Ok(Stmt {
            _conn: self.shared.clone(),
            sql: sql.into(),
            inner: Some(stmt),
            bound: vec![false; n],
            recycle: None,
            many: Default::default(),
        })
    }

    /// The statement for `sql` from this connection's statement cache, or a
    /// newly prepared one that goes into the cache when dropped; and whether
    /// it came from the cache.
    fn cached(&self, sql: &str) -> Result<(Stmt, bool)> {
        let native = super::placeholders::rewrite(sql, self.dialect()).map_err(|e| e.with_sql(sql).not_sent())?;
        let pool = &self.shared.db.inner.pool;
        let (stmt, hit) = {
            let mut g = lock(&self.shared.session);
            let p = g.as_mut().ok_or_else(|| Error::invalid_state("connection is closed").not_sent())?;
            if !p.cache.enabled() {
                drop(g);
                return Ok((self.prepare(sql)?, false));
            }
            match p.cache.take(&native) {
                Some(s) => (s, true),
                None => (p.conn.prepare(&native).map_err(|e| e.with_sql(sql).not_sent())?, false),
            }
        };
        let counter = if hit { &pool.cache_hits } else { &pool.cache_misses };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let n = stmt.param_count();
        let st = Stmt {
            _conn: self.shared.clone(),
            sql: sql.into(),
            inner: Some(stmt),
            bound: vec![false; n],
            recycle: Some(native.into_owned()),
            many: Default::default(),
        };
        Ok((st, hit))
    }

    /// Run `f` on the cached statement for `sql` with `params` bound. A
    /// cached statement that the engine refuses because the schema changed
    /// under it (PostgreSQL's "cached plan must not change result type") is
    /// dropped, prepared again and run once more.
    fn run_cached<R>(&self, sql: &str, params: &[ValueRef<'_>], f: impl Fn(&mut Stmt) -> Result<R>) -> Result<R> {
        let (mut st, hit) = self.cached(sql)?;
        st.bind_all(params)?;
        match f(&mut st) {
            Err(e) if hit && e.sqlstate == "0A000" && e.message.contains("cached plan") => {
                st.recycle = None;
                drop(st);
                let (mut st, _) = self.cached(sql)?;
                st.bind_all(params)?;
                f(&mut st)
            }
            r => r,
        }
    }

    /// Bind every parameter and run, discarding rows. The statement comes
    /// from (and goes back to) the connection's statement cache.
    pub fn exec(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<ExecResult> {
        self.run_cached(sql, params, |st| st.execute())
    }

    /// Bind every parameter and return a streaming cursor that keeps this
    /// connection checked out until it is dropped. The statement comes from
    /// the connection's statement cache and goes back when the cursor is
    /// dropped.
    pub fn query(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<Rows> {
        let (mut st, hit) = self.cached(sql)?;
        st.bind_all(params)?;
        let (mut rows, st) = match st.query() {
            Ok(rows) => (rows, st),
            Err(e) if hit && e.sqlstate == "0A000" && e.message.contains("cached plan") => {
                st.recycle = None;
                drop(st);
                let (mut st, _) = self.cached(sql)?;
                st.bind_all(params)?;
                (st.query()?, st)
            }
            Err(e) => return Err(e),
        };
        // The cursor reads through the statement: it owns it until dropped.
        rows.stmt = Some(st);
        Ok(rows)
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

    pub fn commit(&self) -> Result<()> {
        self.with(|c| {
            if !c.in_transaction() {
                return Err(Error::invalid_state("commit: no transaction is open").not_sent());
            }
            c.commit()
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
        check_identifier(name).map_err(Error::not_sent)?;
        self.with(|c| c.savepoint(name))
    }

    pub fn release(&self, name: &str) -> Result<()> {
        check_identifier(name).map_err(Error::not_sent)?;
        self.with(|c| c.release(name))
    }

    pub fn rollback_to(&self, name: &str) -> Result<()> {
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
    /// it from another thread. It stays valid after the connection is
    /// returned (then it cancels nothing of yours: get a new one per
    /// checkout).
    pub fn cancel_handle(&self) -> Result<Cancel> {
        self.with(|c| c.cancel_handle()).map(|h| Cancel(Arc::from(h)))
    }

    pub fn server_version(&self) -> Result<String> {
        self.with(|c| Ok(c.server_version().to_owned()))
    }
}

/// Cancels the statement running on one connection, from any thread.
#[derive(Clone)]
pub struct Cancel(Arc<dyn CancelHandle>);

impl Cancel {
    /// Ask the engine to stop the running statement, which then fails with
    /// `Status::Cancelled`. Does nothing when no statement runs.
    pub fn cancel(&self) -> Result<()> {
        self.0.cancel()
    }
}

/// A prepared statement. Parameters are 0-based and must all be bound
/// before it runs; bindings persist across executions until cleared.
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
}

impl Drop for Stmt {
    fn drop(&mut self) {
        if let (Some(key), Some(inner)) = (self.recycle.take(), self.inner.take()) {
            if let Some(p) = lock(&self._conn.session).as_mut() {
                p.cache.put(key, inner);
            }
        }
    }
}

impl Stmt {
    fn inner_mut(&mut self) -> &mut dyn DriverStmt {
        self.inner.as_deref_mut().expect("a statement's driver statement is only taken by Drop")
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn dialect(&self) -> Dialect {
        self._conn.db.dialect()
    }

    pub(super) fn driver_stmt(&mut self) -> &mut dyn DriverStmt {
        self.inner_mut()
    }

    /// Run `f` on this statement's session.
    pub(super) fn with_driver_conn<R>(&self, f: impl FnOnce(&mut dyn DriverConn) -> Result<R>) -> Result<R> {
        let mut g = lock(&self._conn.session);
        let c = g.as_mut().ok_or_else(|| Error::invalid_state("connection is closed"))?;
        f(c.conn.as_mut())
    }

    pub fn param_count(&self) -> usize {
        self.bound.len()
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
        self.check_index(index)?;
        self.inner_mut()
            .bind(index, value)
            .map_err(|e| e.context(format_args!("parameter {index}")).not_sent())?;
        self.bound[index] = true;
        Ok(())
    }

    /// Bind the instant `micros` (since 1970-01-01T00:00:00Z) with the UTC
    /// offset to store it with, in seconds east: whole minutes within
    /// ±14:00, as SQL Server's datetimeoffset and ISO 8601 allow. SQL
    /// Server keeps the offset; the other engines store the instant, as
    /// for `ValueRef::Timestamptz`.
    pub fn bind_timestamptz_offset(&mut self, index: usize, micros: i64, offset_seconds: i32) -> Result<()> {
        if offset_seconds % 60 != 0 || offset_seconds.abs() > 14 * 3600 {
            return Err(Error::invalid_argument(format!(
                "UTC offset of {offset_seconds} s for parameter {index}: it must be whole minutes between -14:00 and +14:00"
            ))
            .not_sent());
        }
        self.check_index(index)?;
        self.inner_mut()
            .bind_timestamptz_offset(index, micros, offset_seconds)
            .map_err(|e| e.context(format_args!("parameter {index}")).not_sent())?;
        self.bound[index] = true;
        Ok(())
    }

    /// Bind `params` to parameters 0..n; their count must match exactly.
    pub fn bind_all(&mut self, params: &[ValueRef<'_>]) -> Result<()> {
        let n = self.bound.len();
        if params.len() != n {
            return Err(Error::invalid_argument(format!(
                "the statement has {n} parameter{} but {} value{} given",
                if n == 1 { "" } else { "s" },
                params.len(),
                if params.len() == 1 { " was" } else { "s were" }
            ))
            .with_sql(&self.sql)
            .not_sent());
        }
        for (i, v) in params.iter().enumerate() {
            self.bind(i, *v).map_err(|e| e.with_sql(&self.sql))?;
        }
        Ok(())
    }

    pub fn clear_bindings(&mut self) -> Result<()> {
        self.inner_mut().clear_bindings()?;
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
        self.check_bound()?;
        let sql = self.sql.clone();
        self.inner_mut().execute().map_err(|e| e.with_sql(&sql))
    }

    /// Run and return a cursor. A cursor opened earlier from this statement
    /// is closed (its next read reports that).
    pub fn query(&mut self) -> Result<Rows> {
        self.check_bound()?;
        let sql = self.sql.clone();
        let r = self.inner_mut().query().map_err(|e| e.with_sql(&sql))?;
        Ok(Rows::new(self._conn.clone(), self.sql.clone(), r))
    }
}

/// A streaming cursor. Values borrowed from it stay valid until the next
/// call to [`Rows::next`].
pub struct Rows {
    _conn: Arc<ConnShared>,
    sql: Arc<str>,
    inner: Box<dyn DriverRows>,
    on_row: bool,
    done: bool,
    /// The cached statement this cursor reads through (from `Conn::query`),
    /// returned to the cache after `inner` is dropped.
    stmt: Option<Stmt>,
}

impl Rows {
    fn new(conn: Arc<ConnShared>, sql: Arc<str>, inner: Box<dyn DriverRows>) -> Rows {
        Rows { _conn: conn, sql, inner, on_row: false, done: false, stmt: None }
    }

    pub fn columns(&self) -> &[Column] {
        self.inner.columns()
    }

    pub fn column_count(&self) -> usize {
        self.inner.columns().len()
    }

    pub fn column(&self, i: usize) -> Result<&Column> {
        let cols = self.inner.columns();
        cols.get(i).ok_or_else(|| {
            Error::invalid_argument(format!(
                "column index {i} is out of range: the result has {} column{} (indexes are 0-based)",
                cols.len(),
                if cols.len() == 1 { "" } else { "s" }
            ))
        })
    }

    /// Advance to the next row; false at the end (and on every call after).
    pub fn next(&mut self) -> Result<bool> {
        if self.done {
            self.on_row = false;
            return Ok(false);
        }
        match self.inner.next() {
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

    /// Column `i` of the current row.
    #[inline]
    pub fn value(&self, i: usize) -> Result<ValueRef<'_>> {
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
        if i >= self.inner.columns().len() {
            return Err(self.column(i).unwrap_err());
        }
        if self.inner.is_closed() {
            return Err(Error::invalid_state(
                "this cursor was closed because its statement was run, rebound or reset again",
            ));
        }
        Ok(self.inner.value(i))
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
