//! The session: tiberius' client shared by a connection, its statements
//! and its cursor, the wait that a cancel or a timeout stops with an
//! attention, and transactions and savepoints.

use super::{statement::*, sql::*};
use super::*;
use crate::drivers::cursor_slot::{CursorSlot, statement_id};
use crate::drivers::net;
use crate::core::driver::{CancelHandle, Capability, DriverConn, DriverStmt, Isolation, TxLock, TxOptions};
use crate::core::error::{Error, Result, RetrySafety, Status};
use std::cell::UnsafeCell;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tiberius::{ColumnData, IsolationLevel, QueryStream};
use wire::WireState;



/// What a cancel handle shares with its session.
#[derive(Default)]
pub(super) struct Ctl {
    /// A request is in flight (sent, and its response not read to the end).
    pub(super) busy: AtomicBool,
    /// A cancel was asked for while busy.
    pub(super) requested: AtomicBool,
    pub(super) wake: tokio::sync::Notify,
}

impl Ctl {
    /// A new request starts: forget earlier cancels.
    pub(super) fn arm(&self) {
        self.requested.store(false, Ordering::SeqCst);
        self.busy.store(true, Ordering::SeqCst);
    }

    pub(super) fn disarm(&self) {
        self.busy.store(false, Ordering::SeqCst);
        self.requested.store(false, Ordering::SeqCst);
    }

    async fn cancelled(&self) {
        loop {
            let n = self.wake.notified();
            if self.requested.load(Ordering::SeqCst) {
                return;
            }
            n.await;
        }
    }
}

pub(super) struct CtlHandle(pub(super) Arc<Ctl>);

impl CancelHandle for CtlHandle {
    fn cancel(&self) -> Result<()> {
        // Cancelling an idle session does nothing.
        if self.0.busy.load(Ordering::SeqCst) {
            self.0.requested.store(true, Ordering::SeqCst);
            self.0.wake.notify_waiters();
        }
        Ok(())
    }
}

/// Why a wait for the server was stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Stop {
    Cancel,
    Timeout,
    /// No byte moved for `socket_timeout_ms`.
    Silent,
}

/// The session, shared by a connection, its statements and its cursor
/// (the same arrangement as the postgres and mysql drivers: tiberius'
/// result stream borrows the client mutably, and a [`CursorSlot`] keeps
/// that rule for C handles).
pub(super) struct Shared {
    /// The open cursor's stream. Declared before `client`: it borrows it.
    pub(super) cursor: CursorSlot<QueryStream<'static>>,
    pub(super) client: UnsafeCell<TdsClient>,
    pub(super) broken: AtomicBool,
    pub(super) ctl: Arc<Ctl>,
    pub(super) wire: Arc<WireState>,
    pub(super) timeout: Option<Duration>,
    pub(super) socket_timeout: Option<Duration>,
    /// The longest silence a ping waits through: socket_timeout_ms, else
    /// connect_timeout_ms, else 10 s (a checkout's health check must not
    /// hang on a server that stopped answering).
    pub(super) ping_silence: Duration,
    /// A statement ran since keel last knew whether a transaction is open.
    pub(super) ran_sql: AtomicBool,
}

// SAFETY: the client is Send; the core's promise (`core::driver`, "What the core promises drivers about threads")
// means no two calls use the client at once, and the cursor slot keeps the
// cursor's claim on it.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

pub(super) fn stopped(stop: Stop) -> Error {
    match stop {
        Stop::Cancel => Error::new(Status::Cancelled, "statement cancelled by keel_cancel_request").with_sqlstate("HY008"),
        Stop::Timeout => Error::new(Status::Timeout, "statement stopped: statement_timeout_ms passed").with_sqlstate("HYT00"),
        Stop::Silent => Error::new(
            Status::Timeout,
            "SQL Server sent nothing for socket_timeout_ms; the connection is closed and the statement may have run",
        )
        .with_sqlstate("08S01")
        .with_retry(RetrySafety::MayHaveRun),
    }
    .with_driver("mssql")
}

impl Shared {
    fn gone() -> Error {
        Error::new(Status::Io, "the SQL Server connection was lost")
            .with_sqlstate("08003")
            .with_driver("mssql")
            .with_retry(RetrySafety::NotSent)
    }

    /// The client, unless the session broke or a cursor holds it.
    #[allow(clippy::mut_from_ref)]
    pub(super) fn client(&self) -> Result<&mut TdsClient> {
        if self.broken.load(Ordering::Acquire) {
            return Err(Shared::gone());
        }
        if self.cursor.is_busy() {
            return Err(Error::invalid_state(
                "a cursor is still open on this SQL Server connection: read it to the end or free it first",
            ).not_sent());
        }
        // SAFETY: see the type's docs.
        Ok(unsafe { &mut *self.client.get() })
    }

    /// The client for statement `owner`: a cursor that statement opened
    /// earlier is closed first.
    #[allow(clippy::mut_from_ref)]
    pub(super) fn client_for(&self, owner: u64) -> Result<&mut TdsClient> {
        if let Some(generation) = self.cursor.opened_by(owner) {
            self.close_cursor(generation);
        }
        self.client()
    }

    pub(super) fn check<T>(&self, r: std::result::Result<T, tiberius::error::Error>) -> Result<T> {
        r.map_err(|e| {
            let (err, broken) = errors::convert(&e);
            if broken {
                self.broken.store(true, Ordering::Release);
            }
            err
        })
    }

    /// Drive `fut` to its end, unless a cancel or the statement timeout
    /// stops the wait first (then `fut` is dropped and `Err(stop)` returned).
    pub(super) fn wait<T>(&self, fut: impl Future<Output = T>) -> std::result::Result<T, Stop> {
        self.wait_within(fut, self.socket_timeout)
    }

    /// [`Shared::wait`], with `socket_timeout` for the silence it waits through.
    fn wait_within<T>(&self, fut: impl Future<Output = T>, socket_timeout: Option<Duration>) -> std::result::Result<T, Stop> {
        // What has arrived already (the next row of a result, decoded from
        // the last read) needs no wait on the runtime and no timers: one
        // poll first, and the same future is driven below otherwise.
        let mut fut = std::pin::pin!(fut);
        {
            let _entered = rt().enter();
            let ready = fut.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
            if let std::task::Poll::Ready(v) = ready {
                return Ok(v);
            }
        }
        let ctl = self.ctl.clone();
        let timeout = self.timeout;
        let wire = self.wire.clone();
        wire.moved();
        rt().block_on(async move {
            let limit = async {
                match timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => std::future::pending().await,
                }
            };
            // Wakes when the socket has been quiet for socket_timeout_ms.
            let silent = async {
                let Some(t) = socket_timeout else { return std::future::pending().await };
                loop {
                    let quiet = wire.quiet_for();
                    if quiet >= t {
                        return;
                    }
                    tokio::time::sleep(t - quiet).await;
                }
            };
            tokio::select! {
                biased;
                _ = ctl.cancelled() => Err(Stop::Cancel),
                v = fut => Ok(v),
                _ = limit => Err(Stop::Timeout),
                _ = silent => Err(Stop::Silent),
            }
        })
    }

    /// After a stopped wait: send an attention and read to its
    /// acknowledgement. `clean` says the wire is at a token boundary; when
    /// it is not, or the server does not answer, the session is given up.
    /// Returns the error the stopped call reports.
    pub(super) fn interrupt(&self, stop: Stop, clean: bool) -> Error {
        let err = stopped(stop);
        if stop == Stop::Silent {
            // The network is gone, or the server is: no attention can help.
            self.broken.store(true, Ordering::Release);
            self.ctl.disarm();
            return err;
        }
        if self.wire.response_complete.load(Ordering::Acquire) {
            // The whole response is here: nothing runs at the server, and
            // tiberius discards what was not read before its next request.
            self.ctl.disarm();
            return err;
        }
        if !clean {
            self.broken.store(true, Ordering::Release);
            self.ctl.disarm();
            return err.context("the connection was closed because the cancel arrived in the middle of a row");
        }
        // SAFETY: the stream that borrowed the client is gone.
        let c = unsafe { &mut *self.client.get() };
        let acked = rt().block_on(async { tokio::time::timeout(ATTENTION_WAIT, c.cancel_query()).await });
        self.ctl.disarm();
        match acked {
            Ok(Ok(())) => err,
            // The response ended before the attention reached the server,
            // which then acknowledges in a message of its own: the wire
            // drops that one when it comes.
            Ok(Err(tiberius::error::Error::Protocol(m))) if m.contains("Never got a DONE token") => err,
            _ => {
                self.broken.store(true, Ordering::Release);
                err.context("the server did not acknowledge the cancel, so the connection was closed")
            }
        }
    }

    /// Run one request that reads its whole response (no cursor). `fut`
    /// borrows the client (taken with [`Shared::client`]).
    pub(super) fn run<T>(&self, fut: impl Future<Output = tiberius::Result<T>>) -> Result<T> {
        self.run_within(fut, self.socket_timeout)
    }

    fn run_within<T>(&self, fut: impl Future<Output = tiberius::Result<T>>, socket_timeout: Option<Duration>) -> Result<T> {
        self.ctl.arm();
        match self.wait_within(fut, socket_timeout) {
            Ok(v) => {
                self.ctl.disarm();
                self.check(v)
            }
            Err(stop) => Err(self.interrupt(stop, true)),
        }
    }

    /// A T-SQL batch; its results are read and dropped.
    fn batch(&self, sql: &str) -> Result<()> {
        let c = self.client()?;
        self.run(async move {
            c.simple_query(sql).await?.into_results().await?;
            Ok(())
        })
    }

    /// Close cursor `generation` if it is still the open one. A stream not
    /// read to its end is stopped with an attention.
    pub(super) fn close_cursor(&self, generation: u64) {
        let Some(stream) = self.cursor.take(generation) else { return };
        drop(stream);
        if self.ctl.busy.load(Ordering::SeqCst) && !self.broken.load(Ordering::Acquire) {
            let _ = self.interrupt(Stop::Cancel, true);
        }
        self.ctl.disarm();
    }
}

pub(super) struct MsConn {
    pub(super) shared: Arc<Shared>,
    pub(super) version: String,
    pub(super) in_tx: bool,
    /// Savepoints of the open transaction, oldest first.
    pub(super) savepoints: Vec<String>,
}

impl MsConn {
    /// Note the effect of an error on the transaction: a deadlock victim's
    /// transaction was rolled back by the server.
    fn note<T>(&mut self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            if e.vendor_code == 1205 {
                self.in_tx = false;
                self.savepoints.clear();
            }
        }
        r
    }
}

/// Where a parameter appears in the SQL: the byte range of `@Pn`, and n.
impl DriverConn for MsConn {
    fn bulk_insert(
        &mut self,
        target: &crate::core::driver::BulkTarget<'_>,
        src: &mut dyn crate::core::ingest::RowSource,
    ) -> Result<Option<u64>> {
        let r = super::bulk::bulk_insert(&self.shared, target, src);
        self.note(r)
    }

    fn catalog(&mut self, q: &crate::core::catalog::Catalog<'_>) -> Result<crate::core::catalog::CatalogSql> {
        Ok(super::catalog::query(q))
    }

    fn prepare(&mut self, sql: &str) -> Result<Box<dyn DriverStmt>> {
        self.shared.client()?;
        let (n, markers) = scan_statement(sql)?;
        Ok(Box::new(MsStmt {
            id: statement_id(),
            shared: self.shared.clone(),
            sql: sql.to_owned(),
            markers,
            params: vec![ColumnData::String(None); n],
            null: vec![true; n],
            described: None,
        }))
    }

    fn begin(&mut self, opts: &TxOptions) -> Result<()> {
        if opts.lock != TxLock::Default {
            return Err(Error::invalid_argument(
                "SQL Server has no DEFERRED/IMMEDIATE/EXCLUSIVE transactions; leave lock at KEEL_TX_LOCK_DEFAULT",
            ));
        }
        if opts.read_only {
            return Err(Error::not_implemented(
                "SQL Server has no read-only transactions (ApplicationIntent=ReadOnly is a routing hint, not a guarantee)",
            )
            .with_driver("mssql"));
        }
        let level = match opts.isolation {
            Isolation::Default => IsolationLevel::Unspecified,
            Isolation::ReadUncommitted => IsolationLevel::ReadUncommitted,
            Isolation::ReadCommitted => IsolationLevel::ReadCommitted,
            Isolation::RepeatableRead => IsolationLevel::RepeatableRead,
            Isolation::Snapshot => IsolationLevel::Snapshot,
            Isolation::Serializable => IsolationLevel::Serializable,
        };
        let c = self.shared.client()?;
        self.shared.run(c.begin_transaction_with_isolation(level))?;
        self.in_tx = true;
        self.shared.ran_sql.store(false, Ordering::Release);
        self.savepoints.clear();
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        let r = self.shared.client().and_then(|c| self.shared.run(c.commit_transaction()));
        let r = self.note(r);
        if r.as_ref().is_err_and(|e| matches!(e.vendor_code, 3902 | 3930)) || r.is_ok() {
            self.in_tx = false;
            self.shared.ran_sql.store(false, Ordering::Release);
            self.savepoints.clear();
        }
        r
    }

    fn rollback(&mut self) -> Result<()> {
        let r = self.shared.client().and_then(|c| self.shared.run(c.rollback_transaction()));
        if r.is_ok() || r.as_ref().is_err_and(|e| e.vendor_code == 3903) {
            self.in_tx = false;
            self.shared.ran_sql.store(false, Ordering::Release);
            self.savepoints.clear();
        }
        r
    }

    fn savepoint(&mut self, name: &str) -> Result<()> {
        let r = self.shared.batch(&format!("SAVE TRANSACTION [{name}]"));
        self.note(r)?;
        self.savepoints.push(name.to_owned());
        Ok(())
    }

    fn release(&mut self, name: &str) -> Result<()> {
        // SQL Server keeps savepoints until the transaction ends; releasing
        // one (and those after it) means keel stops accepting its name.
        match self.savepoints.iter().rposition(|s| s == name) {
            Some(i) => {
                self.savepoints.truncate(i);
                Ok(())
            }
            None => Err(no_savepoint(name)),
        }
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        let Some(i) = self.savepoints.iter().rposition(|s| s == name) else { return Err(no_savepoint(name)) };
        let r = self.shared.batch(&format!("ROLLBACK TRANSACTION [{name}]"));
        self.note(r)?;
        self.savepoints.truncate(i + 1);
        Ok(())
    }

    fn in_transaction(&mut self) -> bool {
        // keel knows the state its own requests left; a statement may have
        // changed it since (BEGIN TRAN, COMMIT, a procedure), and tiberius
        // keeps the server's transaction descriptor to itself, so then ask.
        // With a cursor open the session cannot be asked: the state is that
        // of before its statement.
        if self.shared.ran_sql.load(Ordering::Acquire) && !self.shared.cursor.is_busy() {
            match self.trancount() {
                Ok(n) => {
                    self.shared.ran_sql.store(false, Ordering::Release);
                    if n == 0 {
                        self.savepoints.clear();
                    }
                    self.in_tx = n > 0;
                }
                // Cannot tell: say yes, so that the pool rolls back (or,
                // with the session broken, closes it).
                Err(_) => return true,
            }
        }
        self.in_tx
    }

    fn ping(&mut self) -> Result<()> {
        let s = &self.shared;
        let c = s.client()?;
        s.run_within(
            async move {
                c.simple_query("SELECT 1").await?.into_results().await?;
                Ok(())
            },
            Some(s.ping_silence),
        )
    }

    fn server_version(&self) -> &str {
        &self.version
    }

    fn is_broken(&self) -> bool {
        self.shared.broken.load(Ordering::Acquire)
    }

    fn check_alive(&mut self) -> bool {
        if self.is_broken() {
            return false;
        }
        if self.shared.cursor.is_busy() {
            return true;
        }
        let fd = self.shared.wire.fd.load(Ordering::Acquire);
        net::still_stands(fd, || self.ping().is_ok())
    }

    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>> {
        Ok(Box::new(CtlHandle(self.shared.ctl.clone())))
    }

    fn supports(&self, capability: Capability) -> bool {
        match capability {
            // One result at a time on the wire (keel does not ask for
            // MARS; see the cursor slot).
            Capability::SeveralCursors => false,
            // sp_describe_first_result_set, for each statement whose
            // first result the server can tell before it runs.
            Capability::ColumnsAfterPrepare => true,
        }
    }
}

impl MsConn {
    /// `@@TRANCOUNT`: the session's open transactions, nested ones counted.
    fn trancount(&mut self) -> Result<i64> {
        let c = self.shared.client()?;
        let n = self.shared.run(async move {
            let rows = c.simple_query("SELECT @@TRANCOUNT").await?.into_first_result().await?;
            // An int on SQL Server (the test peer answers with a bigint).
            Ok(rows.first().and_then(|r| {
                r.try_get::<i32, _>(0).ok().flatten().map(i64::from).or_else(|| r.try_get::<i64, _>(0).ok().flatten())
            }))
        })?;
        n.ok_or_else(|| Error::new(Status::InvalidData, "SELECT @@TRANCOUNT gave no number").with_driver("mssql"))
    }
}

pub(super) fn no_savepoint(name: &str) -> Error {
    Error::invalid_argument(format!("no savepoint named {name} in this transaction (released, rolled back past, or never made)"))
        .with_sqlstate("3B001")
        .with_driver("mssql")
}
