//! The session: the mysql crate's connection shared by a connection, its
//! statements and its cursor; transactions as the server reports them;
//! KILL QUERY for cancel and for closing a long cursor early.

use super::{rows::*, statement::*, types::*};
use crate::drivers::cursor_slot::{CursorSlot, statement_id};
use super::{errors, my};
use crate::drivers::net;
use crate::core::driver::{CancelHandle, Capability, DriverConn, DriverStmt, Isolation, MultiRowLimits, TxLock, TxOptions};
use crate::core::error::{Error, Result, RetrySafety};
use mysql::prelude::Queryable;
use mysql::{Binary, QueryResult, Value as MV};
use std::cell::UnsafeCell;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};



/// The session, shared by a connection, its statements and its cursor.
/// The crate's cursor borrows the session mutably for its whole life; keel
/// keeps that rule with a [`CursorSlot`] (as the postgres driver does).
pub(super) struct Shared {
    /// The open cursor's result. Declared before `conn`, so it is dropped
    /// first: it borrows the session.
    pub(super) cursor: CursorSlot<ManuallyDrop<QueryResult<'static, 'static, 'static, Binary>>>,
    /// The session's socket, for the liveness check and to cut a broken
    /// session off.
    #[cfg(unix)]
    pub(super) fd: std::os::fd::RawFd,
    pub(super) conn: UnsafeCell<mysql::Conn>,
    pub(super) broken: AtomicBool,
    pub(super) killer: Arc<Killer>,
    /// The transaction state as the server reports it.
    pub(super) tx: TxState,
    /// Statements dropped while a cursor held the session, to close on
    /// the server before its next command.
    pub(super) unclosed: std::sync::Mutex<Vec<mysql::Statement>>,
}

/// What the server said of the session's transaction, through session
/// state tracking (`session_track_transaction_info = STATE`, and the
/// `autocommit` variable, which servers track by default). An OK packet
/// carries the state whenever a statement changed it; a result set's end
/// does not, so with autocommit off any query counts as opening one.
pub(super) struct TxState {
    /// The server accepted the tracking setting.
    pub(super) tracked: bool,
    pub(super) open: AtomicBool,
    pub(super) autocommit_off: AtomicBool,
}

impl TxState {
    /// Take in what the last OK packet said.
    pub(super) fn note(&self, c: &mysql::Conn) {
        use mysql::session_state_change::SessionStateChange;
        let Ok(changes) = c.session_state_changes() else { return };
        for change in &changes {
            match change.decode() {
                Ok(SessionStateChange::TransactionState(t)) => {
                    self.open.store(t.as_bytes().first().is_some_and(|c| *c != b'_'), Ordering::Release);
                }
                Ok(SessionStateChange::SystemVariables(vars)) => {
                    for v in vars.iter().filter(|v| v.name_bytes().eq_ignore_ascii_case(b"autocommit")) {
                        let off = matches!(v.value_bytes().to_ascii_uppercase().as_slice(), b"OFF" | b"0");
                        self.autocommit_off.store(off, Ordering::Release);
                    }
                }
                _ => {}
            }
        }
    }

    /// A statement that returned rows ran: with autocommit off it opened a
    /// transaction, which its result set's end does not report.
    pub(super) fn queried(&self) {
        if self.autocommit_off.load(Ordering::Acquire) {
            self.open.store(true, Ordering::Release);
        }
    }

    /// An error that rolled the transaction back (a deadlock, or a lock
    /// wait timeout under innodb_rollback_on_timeout, which the server
    /// does not report): the next statement's OK packet corrects it.
    pub(super) fn failed(&self, e: &Error) {
        if e.vendor_code == 1213 {
            self.open.store(false, Ordering::Release);
        }
    }
}

/// What `KILL QUERY` needs: how to open a side connection, and whom to stop.
pub(super) struct Killer {
    pub(super) opts: mysql::Opts,
    pub(super) connection_id: u32,
    /// A cancel was asked for during the current statement. MySQL's SLEEP()
    /// returns early instead of failing when killed, so keel reports the
    /// cancel itself for a statement that ends while this is set.
    pub(super) requested: AtomicBool,
    /// Cancels whose `KILL QUERY` is on its way (asked for, not yet
    /// answered): the statement ending now may be the one it stops.
    pub(super) in_flight: AtomicUsize,
}

impl Killer {
    /// Call at the start of each statement.
    pub(super) fn arm(&self) {
        self.requested.store(false, Ordering::Release);
    }

    /// Call when a statement without rows ended without error: it ran,
    /// and took effect, whether or not a cancel came too late to stop it
    /// (a statement the KILL stopped fails with error 1317). Reporting
    /// the cancel would tell the caller it did not, and a retry would
    /// run it twice.
    pub(super) fn ran(&self) {
        self.requested.store(false, Ordering::Release);
    }

    /// Call when a statement with rows ended without error.
    pub(super) fn check(&self) -> Result<()> {
        // A cancel asked for just before this statement began (which
        // `arm` forgot) sends its KILL over a connection of its own, which
        // takes a while: the KILL may have stopped this statement, and
        // SLEEP() then ends without an error. Its answer says so
        // (`ArcKiller::cancel`); it is bounded by the URL's timeouts.
        while self.in_flight.load(Ordering::Acquire) > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if self.requested.swap(false, Ordering::AcqRel) {
            return Err(Error::new(crate::core::error::Status::Cancelled, "statement cancelled by keel_cancel_request")
                .with_sqlstate("70100")
                .with_driver("mysql"));
        }
        Ok(())
    }

    fn kill_query(&self) -> Result<()> {
        let r = my(mysql::Conn::new(self.opts.clone()))
            .and_then(|mut side| my(side.query_drop(format!("KILL QUERY {}", self.connection_id))));
        r.map_err(|mut e| {
            if e.status == crate::core::error::Status::Timeout {
                // Not the session's socket_timeout_ms: the cancel's own
                // connection, under the URL's timeouts.
                e.message = "the MySQL server did not answer the cancel (KILL QUERY on a connection of its own) in time; \
                             the statement may still run"
                    .into();
            }
            e
        })
    }
}

impl CancelHandle for Killer {
    fn cancel(&self) -> Result<()> {
        self.kill_query()
    }
}

// SAFETY: mysql::Conn is Send; the core's promise (`core::driver`, "What the core promises drivers about threads") means no two
// calls use the session at once, and the cursor slot keeps the cursor's
// claim on it.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    #[allow(clippy::mut_from_ref)]
    pub(super) fn conn(&self) -> Result<&mut mysql::Conn> {
        if self.broken.load(Ordering::Acquire) {
            return Err(Error::new(crate::core::error::Status::Io, "the MySQL connection was lost")
                .with_sqlstate("08003")
                .with_driver("mysql")
                .with_retry(RetrySafety::NotSent));
        }
        if self.cursor.is_busy() {
            return Err(Error::invalid_state(
                "a cursor is still open on this MySQL connection: read it to the end or free it first",
            ).not_sent());
        }
        // SAFETY: see the type's docs.
        let c = unsafe { &mut *self.conn.get() };
        let unclosed = std::mem::take(&mut *self.unclosed.lock().unwrap_or_else(|p| p.into_inner()));
        for stmt in unclosed {
            // COM_STMT_CLOSE has no answer; a failure shows at the next call.
            let _ = c.close(stmt);
        }
        Ok(c)
    }

    /// Close a statement on the server, now when the session is free,
    /// otherwise before its next command.
    pub(super) fn close_statement(&self, stmt: mysql::Statement) {
        if self.broken.load(Ordering::Acquire) {
            return;
        }
        if self.cursor.is_busy() {
            self.unclosed.lock().unwrap_or_else(|p| p.into_inner()).push(stmt);
        } else if let Ok(c) = self.conn() {
            let _ = c.close(stmt);
        }
    }

    /// The session for statement `owner`: a cursor that statement opened
    /// earlier is closed first; any other open cursor is an error.
    #[allow(clippy::mut_from_ref)]
    pub(super) fn conn_for(&self, owner: u64) -> Result<&mut mysql::Conn> {
        if let Some(generation) = self.cursor.opened_by(owner) {
            self.close_cursor(generation);
        }
        self.conn()
    }

    /// Close cursor `generation` if it is still the open one. A result not
    /// read to its end gets up to EARLY_CLOSE_DRAIN_ROWS more rows read; a
    /// longer one is stopped at the server, and only what was already sent
    /// is discarded. The session stays usable either way.
    pub(super) fn close_cursor(&self, generation: u64) {
        let Some(mut result) = self.cursor.take(generation) else { return };
        if self.broken.load(Ordering::Acquire) {
            // The socket is shut: the reads below fail at once, and there
            // is no query to stop.
            drop(ManuallyDrop::into_inner(result));
            return;
        }
        for _ in 0..EARLY_CLOSE_DRAIN_ROWS {
            match result.next() {
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break,
            }
        }
        if !result_done(&mut result) {
            self.kill_query();
        }
        drop(ManuallyDrop::into_inner(result));
    }

    /// Stop the statement this session is running, from a side connection
    /// (the protocol has no in-band cancel). Best effort: when the side
    /// connection fails, the caller simply reads the result to its end.
    fn kill_query(&self) {
        let _ = self.killer.kill_query();
    }

    /// Convert an error of a call that `runs` a statement or not. One that
    /// ended the session marks it broken and shuts its socket, so that
    /// whatever still reads from it (a cursor being closed, the crate's
    /// own clean-up) fails at once instead of waiting on a silent network
    /// again; and it says whether the statement may have run.
    pub(super) fn check_as<T>(&self, runs: bool, r: std::result::Result<T, mysql::Error>) -> Result<T> {
        r.map_err(|e| {
            let (mut err, broken) = errors::convert(&e);
            if broken {
                self.broken.store(true, Ordering::Release);
                #[cfg(unix)]
                // SAFETY: the session's own socket, still open (the
                // connection owns it); shutdown does not close the fd.
                unsafe {
                    libc::shutdown(self.fd, libc::SHUT_RDWR);
                }
                err.retry = if runs && !errors::closed_before_use(&e) {
                    RetrySafety::MayHaveRun
                } else {
                    RetrySafety::NotSent
                };
                if err.status == crate::core::error::Status::Timeout {
                    err.message = format!(
                        "{}; the connection is closed{}",
                        err.message,
                        if runs { " and the statement may have run" } else { "" }
                    );
                }
            }
            err
        })
    }

    pub(super) fn check<T>(&self, r: std::result::Result<T, mysql::Error>) -> Result<T> {
        self.check_as(true, r)
    }

    fn run(&self, sql: &str) -> Result<()> {
        self.run_on(self.conn()?, sql)
    }

    /// Run `sql` on `c`, this session's connection as a caller already
    /// holds it, noting what it did to the transaction.
    pub(super) fn run_on(&self, c: &mut mysql::Conn, sql: &str) -> Result<()> {
        let r = self.check(drain(c.query_iter(sql)).map(drop));
        match &r {
            Ok(()) => self.tx.note(c),
            Err(e) => self.tx.failed(e),
        }
        r
    }
}

/// Read a statement's whole answer, every row of every result set, and
/// return the first error the server sent in it. The crate's `exec_drop`
/// and `query_drop` drop the result instead, and its drop reads the rest
/// but discards an error that arrives in place of a row or of a later
/// result set (a subquery that returns two rows, max_statement_time
/// stopping the statement, a failing statement inside a CALL), so the
/// call reported success. The same packets are read either way: no round
/// trip is added, and a statement without rows reads only its OK packet.
/// Returns the number of rows read.
pub(super) fn drain<P: mysql::prelude::Protocol>(
    r: std::result::Result<QueryResult<'_, '_, '_, P>, mysql::Error>,
) -> std::result::Result<u64, mysql::Error> {
    let mut result = r?;
    let (mut first, mut rows) = (None, 0u64);
    while let Some(set) = result.iter() {
        for row in set {
            // The first error is the call's: a server's error packet ends
            // the answer, and whatever follows a client-side one (a row
            // that does not parse) is read only to leave the session in
            // step, as the crate's drop does.
            match row {
                Ok(_) => rows += 1,
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
    }
    first.map_or(Ok(rows), Err)
}

pub(super) struct ArcKiller(pub(super) Arc<Killer>);

impl CancelHandle for ArcKiller {
    fn cancel(&self) -> Result<()> {
        let k = &self.0;
        k.in_flight.fetch_add(1, Ordering::AcqRel);
        k.requested.store(true, Ordering::Release);
        let r = k.kill_query();
        // The KILL stopped whatever the session ran when it arrived, which
        // may be a statement that began after the request above (and was
        // armed since): it counts as cancelled too.
        if r.is_ok() {
            k.requested.store(true, Ordering::Release);
        }
        k.in_flight.fetch_sub(1, Ordering::AcqRel);
        r
    }
}

pub(super) struct MyConn {
    pub(super) shared: Arc<Shared>,
    pub(super) version: String,
    /// Ingest, and batches of statements that are no plain INSERT, go by
    /// COM_STMT_BULK_EXECUTE (`bulk`): a MariaDB server that runs it, and
    /// mariadb_bulk=on.
    pub(super) bulk: bool,
    pub(super) in_tx: bool,
    pub(super) zero_as_null: bool,
    /// The server's max_allowed_packet, read at connect.
    pub(super) max_packet: usize,
}

/// Storage engines that undo a failed statement entirely. On the others
/// (MyISAM, Aria, MEMORY, ...) a multi-row INSERT that fails part-way keeps
/// the rows before the failing one, and under STRICT_TRANS_TABLES a bad
/// value after the first row is adjusted with a warning instead of failing,
/// so keel runs batches for their tables row by row.
pub(super) const TRANSACTIONAL_ENGINES: &[&str] = &["InnoDB", "RocksDB", "TokuDB"];

/// `db.table`, `` `db`.`table` ``, `"t"` or `t` as (schema, table),
/// unquoted; `None` for anything else.
pub(super) fn split_target(target: &str) -> Option<(Option<String>, String)> {
    let mut parts: Vec<String> = Vec::new();
    let mut chars = target.trim().chars().peekable();
    loop {
        let mut part = String::new();
        match chars.peek().copied() {
            Some(q @ ('`' | '"')) => {
                chars.next();
                loop {
                    match chars.next()? {
                        c if c == q && chars.peek() == Some(&q) => {
                            chars.next();
                            part.push(q);
                        }
                        c if c == q => break,
                        c => part.push(c),
                    }
                }
            }
            _ => {
                while let Some(&c) = chars.peek() {
                    if c == '.' || c.is_whitespace() {
                        break;
                    }
                    part.push(c);
                    chars.next();
                }
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('.') => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
            }
            Some(_) => return None,
        }
    }
    let table = parts.pop()?;
    match parts.len() {
        0 => Some((None, table)),
        1 => Some((parts.pop(), table)),
        _ => None,
    }
}

impl DriverConn for MyConn {
    fn bulk_insert(
        &mut self,
        target: &crate::core::driver::BulkTarget<'_>,
        src: &mut dyn crate::core::ingest::RowSource,
    ) -> Result<Option<u64>> {
        if self.bulk {
            return super::bulk::insert(&self.shared, target.table, target.columns, self.max_packet / 2, src).map(Some);
        }
        super::load::load(&self.shared, target.table, target.columns, src)
    }

    fn prepare(&mut self, sql: &str) -> Result<Box<dyn DriverStmt>> {
        let c = self.shared.conn()?;
        let stmt = self.shared.check_as(false, c.prep(sql))?;
        let n = stmt.num_params() as usize;
        let shape = stmt.columns().to_vec();
        let cols = Arc::new(columns(&shape));
        Ok(Box::new(MyStmt {
            id: statement_id(),
            shared: self.shared.clone(),
            sql: sql.to_owned(),
            stmt,
            params: vec![MV::NULL; n],
            cols,
            zero_as_null: self.zero_as_null,
            max_packet: self.max_packet,
            bulk: self.bulk,
            pipelines: std::cell::Cell::new(None),
            // Lexed only when the server described no columns.
            rows_known_when_run: if shape.is_empty() { super::statement::rows_known_when_run(sql) } else { None },
            shape,
        }))
    }

    fn begin(&mut self, opts: &TxOptions) -> Result<()> {
        if opts.lock != TxLock::Default {
            return Err(Error::invalid_argument(
                "MySQL has no DEFERRED/IMMEDIATE/EXCLUSIVE transactions; leave lock at KEEL_TX_LOCK_DEFAULT",
            ));
        }
        let level = match opts.isolation {
            Isolation::Default => None,
            Isolation::ReadUncommitted => Some("READ UNCOMMITTED"),
            Isolation::ReadCommitted => Some("READ COMMITTED"),
            Isolation::RepeatableRead | Isolation::Snapshot => Some("REPEATABLE READ"),
            Isolation::Serializable => Some("SERIALIZABLE"),
        };
        if let Some(l) = level {
            self.shared.run(&format!("SET TRANSACTION ISOLATION LEVEL {l}"))?;
        }
        let mut sql = String::from("START TRANSACTION");
        if opts.isolation == Isolation::Snapshot {
            sql.push_str(" WITH CONSISTENT SNAPSHOT");
        }
        if opts.read_only {
            sql.push_str(if opts.isolation == Isolation::Snapshot { ", READ ONLY" } else { " READ ONLY" });
        }
        self.shared.run(&sql)?;
        self.in_tx = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.shared.run("COMMIT")?;
        self.in_tx = false;
        Ok(())
    }

    fn rollback(&mut self) -> Result<()> {
        self.shared.run("ROLLBACK")?;
        self.in_tx = false;
        Ok(())
    }

    fn savepoint(&mut self, name: &str) -> Result<()> {
        // Outside a transaction (autocommit on) the server takes SAVEPOINT
        // and keeps nothing: a later ROLLBACK TO would find no savepoint.
        // Said where the server tracks the transaction's state.
        if self.shared.tx.tracked && !self.in_transaction() && !self.shared.tx.autocommit_off.load(Ordering::Acquire) {
            return Err(Error::invalid_state(
                "no transaction is open: MySQL/MariaDB keep no savepoint outside one (begin a transaction first)",
            )
            .with_driver("mysql")
            .not_sent());
        }
        self.shared.run(&format!("SAVEPOINT `{name}`"))
    }

    fn release(&mut self, name: &str) -> Result<()> {
        self.shared.run(&format!("RELEASE SAVEPOINT `{name}`")).map_err(no_savepoint)
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.shared.run(&format!("ROLLBACK TO SAVEPOINT `{name}`")).map_err(no_savepoint)
    }

    fn in_transaction(&mut self) -> bool {
        if self.shared.tx.tracked { self.shared.tx.open.load(Ordering::Acquire) } else { self.in_tx }
    }

    fn is_stale_statement(&self, e: &Error) -> bool {
        // The server could not re-prepare the statement after a schema
        // change (1615), or no longer knows it (1243).
        e.driver == "mysql" && matches!(e.vendor_code, 1615 | 1243)
    }

    fn ping(&mut self) -> Result<()> {
        let c = self.shared.conn()?;
        // Within connect_timeout_ms (10 s when it is 0) where
        // socket_timeout_ms sets no limit: a checkout's health check must
        // not hang on a server that stopped answering.
        let limit = self.shared.killer.opts.get_tcp_connect_timeout().unwrap_or(std::time::Duration::from_secs(10));
        #[cfg(unix)]
        let r = super::super::net::bounded(self.shared.fd, limit, || c.ping());
        #[cfg(not(unix))]
        let r = c.ping();
        self.shared.check_as(false, r)
    }

    fn check_alive(&mut self) -> bool {
        if self.is_broken() {
            return false;
        }
        if self.shared.cursor.is_busy() {
            return true;
        }
        let fd = self.shared.fd;
        net::still_stands(fd, || self.ping().is_ok())
    }

    fn server_version(&self) -> &str {
        &self.version
    }

    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>> {
        Ok(Box::new(ArcKiller(self.shared.killer.clone())))
    }

    fn catalog(&mut self, q: &crate::core::catalog::Catalog<'_>) -> Result<crate::core::catalog::CatalogSql> {
        super::catalog::query(q, self.version.contains("MariaDB"))
    }

    fn supports(&self, capability: Capability) -> bool {
        match capability {
            // One result at a time on the wire (see the cursor slot).
            Capability::SeveralCursors => false,
            // COM_STMT_PREPARE's answer carries the column definitions.
            Capability::ColumnsAfterPrepare => true,
        }
    }

    fn is_broken(&self) -> bool {
        self.shared.broken.load(Ordering::Acquire)
    }

    fn multirow_insert(&mut self, target: &str) -> Result<Option<MultiRowLimits>> {
        let transactional = transactional_table(&self.shared, target)?;
        // Prepared statements count parameters in 16 bits; the values of
        // one execution travel in one packet of at most max_allowed_packet.
        Ok(transactional.then_some(MultiRowLimits {
            max_params: 65535,
            max_bytes: self.max_packet / 2,
            reports_insert_id: true,
        }))
    }
}

/// Whether `target` (a table as SQL names it) is a table of a
/// transactional engine ([`TRANSACTIONAL_ENGINES`]). A view, a temporary
/// table (not listed on MySQL and MariaDB before 11.2), a table of another
/// engine or a name keel cannot split is not.
pub(super) fn transactional_table(shared: &Shared, target: &str) -> Result<bool> {
    let Some((schema, table)) = split_target(target) else { return Ok(false) };
    let c = shared.conn()?;
    let engine: Option<Option<String>> = shared.check(c.exec_first(
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
        (schema, table),
    ))?;
    Ok(engine.flatten().is_some_and(|e| TRANSACTIONAL_ENGINES.iter().any(|t| t.eq_ignore_ascii_case(&e))))
}

/// A missing savepoint (error 1305), as every engine reports it: the name
/// is the caller's mistake (INVALID_ARGUMENT, SQLSTATE 3B001).
pub(super) fn no_savepoint(e: Error) -> Error {
    if e.vendor_code != 1305 {
        return e;
    }
    Error { status: crate::core::error::Status::InvalidArgument, sqlstate: "3B001".into(), ..e }
}
