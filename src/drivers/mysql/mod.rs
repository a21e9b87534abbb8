//! MySQL and MariaDB, on the `mysql` crate (binary protocol: prepared
//! statements for every query).
//!
//! URL: `mysql://user:password@host:port/db?options` (`mariadb://` too).
//! TCP is used for the host the URL names, never a unix socket behind its
//! back. Options: `connect_timeout_ms`, `statement_timeout_ms`
//! (`max_statement_time` on MariaDB, `max_execution_time` on MySQL),
//! `socket_timeout_ms` (the socket's read and write timeouts: a silent
//! network fails the call with TIMEOUT and the session is closed),
//! `tcp_keepalive_ms`, `zero_date` (`error`, the default, or `null`),
//! and TLS: `ssl_mode`, `ssl_ca`, `ssl_cert`, `ssl_key`.
//! Sessions run with
//! `time_zone = '+00:00'`, so TIMESTAMP columns read and write UTC, and
//! with CLIENT_FOUND_ROWS, so an UPDATE's rows_affected counts the rows it
//! matched (as on the other engines), changed or not.
//!
//! Results stream row by row from the socket. While a cursor is open its
//! connection refuses other work (the protocol carries one result at a
//! time). A cursor freed before its end reads up to 256 more rows; when the
//! result is longer, keel stops the query at the server (`KILL QUERY` from a
//! short-lived side connection) and discards only what was already sent, so
//! the rest of a large result is never read and the connection, with any
//! transaction on it, stays usable.
//!
//! TLS: rustls (ring provider) inside the mysql crate, with MySQL's own
//! client options and their meaning: `ssl_mode` `DISABLED`, `PREFERRED`
//! (the default: TLS when the server offers it, unverified), `REQUIRED`,
//! `VERIFY_CA`, `VERIFY_IDENTITY`; `ssl_ca` (trusted roots), `ssl_cert`
//! and `ssl_key` (client certificate). See [`tls`] for what each mode
//! checks and how it maps onto the crate.
//!
//! MySQL's TIME is a duration (-838:59:59 to 838:59:59): a value within one
//! day reads as a keel time; one outside reads as INT64 microseconds.

mod errors;
mod tls;

use super::cursor_slot::{CursorSlot, statement_id};
use super::net;

use crate::core::driver::{
    CancelHandle, Connector, Dialect, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, Isolation, MultiRowLimits,
    TxLock, TxOptions,
};
use crate::core::error::{Error, Result, RetrySafety};
use crate::core::options::{OptKind, OptSpec, Options};
use crate::core::url::ConnUrl;
use crate::core::value::{self, Column, MICROS_PER_DAY, MICROS_PER_SECOND, Nullable, Type as K, ValueRef};
use mysql::consts::{ColumnFlags, ColumnType as CT};
use mysql::prelude::Queryable;
use mysql::{Binary, QueryResult, Value as MV};
use std::cell::UnsafeCell;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub struct MysqlDriver;

const OPTIONS: &[OptSpec] = &[
    OptSpec {
        key: "connect_timeout_ms",
        kind: OptKind::UInt,
        default: "10000",
        doc: "Give up connecting after this long; 0 waits forever.",
    },
    OptSpec {
        key: "statement_timeout_ms",
        kind: OptKind::UInt,
        default: "0",
        doc: "Server-side statement timeout; 0 means none.",
    },
    net::SOCKET_TIMEOUT,
    net::TCP_KEEPALIVE,
    OptSpec {
        key: "zero_date",
        kind: OptKind::Choice(&["error", "null"]),
        default: "error",
        doc: "How to read MySQL's zero dates (0000-00-00): as an error, or as NULL.",
    },
    // Text, not Choice: MySQL's values in any case (tls::policy checks them).
    OptSpec {
        key: "ssl_mode",
        kind: OptKind::Text,
        default: "",
        doc: "TLS policy, as MySQL's client: DISABLED, PREFERRED (TLS when the server offers it, unverified; the default), REQUIRED (TLS or fail, unverified), VERIFY_CA (certificate chains to a root in ssl_ca), VERIFY_IDENTITY (and names the host); any case. Unset with ssl_ca set: VERIFY_CA.",
    },
    OptSpec {
        key: "ssl_ca",
        kind: OptKind::Text,
        default: "",
        doc: "Trusted roots for VERIFY_CA/VERIFY_IDENTITY: a PEM file, or `system` for the system's CA bundle file.",
    },
    OptSpec {
        key: "ssl_cert",
        kind: OptKind::Text,
        default: "",
        doc: "Client certificate (PEM, intermediates after it), sent when the server asks for one; needs ssl_key.",
    },
    OptSpec {
        key: "ssl_key",
        kind: OptKind::Text,
        default: "",
        doc: "The client certificate's private key (unencrypted PEM: PKCS#8, PKCS#1 or SEC1).",
    },
];

impl Driver for MysqlDriver {
    fn name(&self) -> &'static str {
        "mysql"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["mysql", "mariadb"]
    }
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }
    fn options(&self) -> &'static [OptSpec] {
        OPTIONS
    }
    fn connector(&self, url: &ConnUrl, opts: &Options) -> Result<Box<dyn Connector>> {
        let ms = |key| Some(opts.uint(key)).filter(|v| *v > 0).map(|v| Duration::from_millis(v as u64));
        let keepalive = opts.uint("tcp_keepalive_ms");
        // While connecting (handshake, authentication, session setup) every
        // read and write waits at most connect_timeout_ms, so a server that
        // accepts the connection and then says nothing fails the connect;
        // afterwards the socket gets socket_timeout_ms (see `connect`).
        let setup = ms("connect_timeout_ms").or(ms("socket_timeout_ms"));
        let tls = tls::policy(&tls::SslOptions {
            ssl_mode: opts.text("ssl_mode").unwrap_or(""),
            ssl_ca: opts.text("ssl_ca").unwrap_or(""),
            ssl_cert: opts.text("ssl_cert").unwrap_or(""),
            ssl_key: opts.text("ssl_key").unwrap_or(""),
        })?;
        let host = url.host.clone().unwrap_or_else(|| "127.0.0.1".into());
        let port = url.port.unwrap_or(3306);
        let b = mysql::OptsBuilder::new()
            .ip_or_hostname(Some(host.clone()))
            .tcp_port(port)
            .user(url.user.clone())
            .pass(url.password.clone())
            .db_name(Some(url.path.clone()).filter(|p| !p.is_empty()))
            .prefer_socket(false)
            .tcp_connect_timeout(ms("connect_timeout_ms"))
            .read_timeout(setup)
            .write_timeout(setup)
            .tcp_keepalive_time_ms((keepalive > 0).then_some(keepalive))
            .tcp_keepalive_probe_interval_secs((keepalive > 0).then(|| keepalive.div_ceil(1000)))
            // rows_affected counts the rows an UPDATE matched, as on every
            // other engine (and Connector/J's default), not only those whose
            // value changed.
            .additional_capabilities(
                mysql::consts::CapabilityFlags::CLIENT_FOUND_ROWS | mysql::consts::CapabilityFlags::CLIENT_SESSION_TRACK,
            )
            // keel keeps its own statements (and its own cache of them). The
            // crate's cache would close a statement keel still uses when it
            // evicts it (and hands one server statement to two keel
            // statements of the same SQL); keel closes its statements itself.
            .stmt_cache_size(0)
            .init(vec!["SET time_zone = '+00:00'"]);
        let plain = mysql::Opts::from(b.clone());
        Ok(Box::new(MyConnector {
            opts: mysql::Opts::from(b.ssl_opts(tls.ssl_opts.clone())),
            plain: (tls.mode == tls::Mode::Preferred).then_some(plain),
            no_tls: AtomicBool::new(false),
            tls_mode: tls.mode,
            server: format!("{host}:{port}"),
            statement_timeout_ms: opts.uint("statement_timeout_ms"),
            connect_timeout_ms: opts.uint("connect_timeout_ms"),
            socket_timeout: ms("socket_timeout_ms"),
            zero_as_null: opts.text("zero_date") == Some("null"),
        }))
    }
}

struct MyConnector {
    /// With connect_timeout_ms as the socket timeouts (see `connector`),
    /// and TLS as ssl_mode says.
    opts: mysql::Opts,
    /// ssl_mode=PREFERRED: the same options without TLS, for a server that
    /// offers none.
    plain: Option<mysql::Opts>,
    /// A connect found that the server offers no TLS (PREFERRED only):
    /// later ones go without it straight away.
    no_tls: AtomicBool,
    tls_mode: tls::Mode,
    /// `host:port`, for the messages.
    server: String,
    statement_timeout_ms: u32,
    connect_timeout_ms: u32,
    socket_timeout: Option<Duration>,
    zero_as_null: bool,
}

fn my<T>(r: std::result::Result<T, mysql::Error>) -> Result<T> {
    r.map_err(|e| errors::convert(&e).0)
}

impl MyConnector {
    /// Open a session: with TLS as ssl_mode says, and for PREFERRED without
    /// it when the server offers none. Returns the options that worked
    /// (the cancel's side connections use them too).
    fn open(&self) -> Result<(mysql::Conn, mysql::Opts)> {
        let opts = match &self.plain {
            Some(plain) if self.no_tls.load(Ordering::Relaxed) => plain,
            _ => &self.opts,
        };
        match mysql::Conn::new(opts.clone()) {
            Ok(conn) => Ok((conn, opts.clone())),
            Err(e) if tls::server_has_no_tls(&e) && self.plain.is_some() => {
                // The crate gave the connection up after the server's
                // greeting said it has no TLS: connect again without.
                self.no_tls.store(true, Ordering::Relaxed);
                let plain = self.plain.clone().expect("checked above");
                Ok((my(mysql::Conn::new(plain.clone()))?, plain))
            }
            Err(e) => Err(tls::failure(&e, self.tls_mode, &self.server).unwrap_or_else(|| errors::convert(&e).0)),
        }
    }

    /// Connect and set the session up, within connect_timeout_ms per wait;
    /// also says whether the server reports its transaction state.
    fn setup(&self) -> Result<(mysql::Conn, String, u64, mysql::Opts, bool)> {
        let (mut conn, opts) = self.open()?;
        let (version, max_packet): (String, u64) =
            my(conn.query_first("SELECT VERSION(), @@max_allowed_packet"))?.unwrap_or_default();
        // The server then says, in the OK packet of any statement that
        // changes it, whether a transaction is open (MySQL 5.7+, MariaDB
        // 10.3+). Without it keel knows only the transactions it began.
        let tracked = conn.query_drop("SET SESSION session_track_transaction_info = 'STATE'").is_ok();
        if self.statement_timeout_ms > 0 {
            let sql = if version.contains("MariaDB") {
                format!("SET SESSION max_statement_time = {}", self.statement_timeout_ms as f64 / 1000.0)
            } else {
                format!("SET SESSION max_execution_time = {}", self.statement_timeout_ms)
            };
            my(conn.query_drop(sql))?;
        }
        Ok((conn, version, max_packet, opts, tracked))
    }
}

impl Connector for MyConnector {
    fn connect(&self) -> Result<Box<dyn DriverConn>> {
        let (conn, version, max_packet, opts, tracked) = self.setup().map_err(|mut e| {
            if e.status == crate::core::error::Status::Timeout {
                e.message = format!(
                    "could not connect to MySQL: no answer within connect_timeout_ms={} ({})",
                    self.connect_timeout_ms, e.message
                );
            }
            e
        })?;
        let connection_id = conn.connection_id();
        #[cfg(unix)]
        let fd = std::os::fd::AsRawFd::as_raw_fd(&conn);
        // From now on a wait is limited by socket_timeout_ms (or not at
        // all): a read or write that waits longer fails with
        // WouldBlock/TimedOut, which errors::convert reads as TIMEOUT and
        // a broken session.
        #[cfg(unix)]
        {
            // SAFETY: the session's socket, open for as long as `conn`.
            let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
            let sock = socket2::SockRef::from(&fd);
            sock.set_read_timeout(self.socket_timeout)
                .and_then(|_| sock.set_write_timeout(self.socket_timeout))
                .map_err(|e| Error::new(crate::core::error::Status::Io, format!("could not set the socket timeouts: {e}")).with_driver("mysql"))?;
        }
        Ok(Box::new(MyConn {
            shared: Arc::new(Shared {
                cursor: CursorSlot::default(),
                #[cfg(unix)]
                fd,
                conn: UnsafeCell::new(conn),
                broken: AtomicBool::new(false),
                killer: Arc::new(Killer { opts, connection_id, requested: AtomicBool::new(false) }),
                tx: TxState { tracked, open: AtomicBool::new(false), autocommit_off: AtomicBool::new(false) },
                unclosed: std::sync::Mutex::new(Vec::new()),
            }),
            version,
            in_tx: false,
            zero_as_null: self.zero_as_null,
            max_packet: usize::try_from(max_packet).unwrap_or(usize::MAX),
        }))
    }
}

/// The session, shared by a connection, its statements and its cursor.
/// The crate's cursor borrows the session mutably for its whole life; keel
/// keeps that rule with a [`CursorSlot`] (as the postgres driver does).
struct Shared {
    /// The open cursor's result. Declared before `conn`, so it is dropped
    /// first: it borrows the session.
    cursor: CursorSlot<ManuallyDrop<QueryResult<'static, 'static, 'static, Binary>>>,
    /// The session's socket, for the liveness check and to cut a broken
    /// session off.
    #[cfg(unix)]
    fd: std::os::fd::RawFd,
    conn: UnsafeCell<mysql::Conn>,
    broken: AtomicBool,
    killer: Arc<Killer>,
    /// The transaction state as the server reports it.
    tx: TxState,
    /// Statements dropped while a cursor held the session, to close on
    /// the server before its next command.
    unclosed: std::sync::Mutex<Vec<mysql::Statement>>,
}

/// What the server said of the session's transaction, through session
/// state tracking (`session_track_transaction_info = STATE`, and the
/// `autocommit` variable, which servers track by default). An OK packet
/// carries the state whenever a statement changed it; a result set's end
/// does not, so with autocommit off any query counts as opening one.
struct TxState {
    /// The server accepted the tracking setting.
    tracked: bool,
    open: AtomicBool,
    autocommit_off: AtomicBool,
}

impl TxState {
    /// Take in what the last OK packet said.
    fn note(&self, c: &mysql::Conn) {
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
    fn queried(&self) {
        if self.autocommit_off.load(Ordering::Acquire) {
            self.open.store(true, Ordering::Release);
        }
    }

    /// An error that rolled the transaction back (a deadlock, or a lock
    /// wait timeout under innodb_rollback_on_timeout, which the server
    /// does not report): the next statement's OK packet corrects it.
    fn failed(&self, e: &Error) {
        if e.vendor_code == 1213 {
            self.open.store(false, Ordering::Release);
        }
    }
}

/// What `KILL QUERY` needs: how to open a side connection, and whom to stop.
struct Killer {
    opts: mysql::Opts,
    connection_id: u32,
    /// A cancel was asked for during the current statement. MySQL's SLEEP()
    /// returns early instead of failing when killed, so keel reports the
    /// cancel itself for a statement that ends while this is set.
    requested: AtomicBool,
}

impl Killer {
    /// Call at the start of each statement.
    fn arm(&self) {
        self.requested.store(false, Ordering::Release);
    }

    /// Call when a statement ended without error.
    fn check(&self) -> Result<()> {
        if self.requested.swap(false, Ordering::AcqRel) {
            return Err(Error::new(crate::core::error::Status::Cancelled, "statement cancelled by keel_cancel_request")
                .with_sqlstate("70100")
                .with_driver("mysql"));
        }
        Ok(())
    }

    fn kill_query(&self) -> Result<()> {
        let mut side = my(mysql::Conn::new(self.opts.clone()))?;
        my(side.query_drop(format!("KILL QUERY {}", self.connection_id)))
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
    fn conn(&self) -> Result<&mut mysql::Conn> {
        if self.broken.load(Ordering::Acquire) {
            return Err(Error::new(crate::core::error::Status::Io, "the MySQL connection was lost")
                .with_sqlstate("08003")
                .with_driver("mysql")
                .with_retry(RetrySafety::NotSent));
        }
        if self.cursor.is_busy() {
            return Err(Error::invalid_state(
                "a cursor is still open on this MySQL connection: read it to the end or free it first",
            ));
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
    fn close_statement(&self, stmt: mysql::Statement) {
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
    fn conn_for(&self, owner: u64) -> Result<&mut mysql::Conn> {
        if let Some(generation) = self.cursor.opened_by(owner) {
            self.close_cursor(generation);
        }
        self.conn()
    }

    /// Close cursor `generation` if it is still the open one. A result not
    /// read to its end gets up to EARLY_CLOSE_DRAIN_ROWS more rows read; a
    /// longer one is stopped at the server, and only what was already sent
    /// is discarded. The session stays usable either way.
    fn close_cursor(&self, generation: u64) {
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
    fn check_as<T>(&self, runs: bool, r: std::result::Result<T, mysql::Error>) -> Result<T> {
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

    fn check<T>(&self, r: std::result::Result<T, mysql::Error>) -> Result<T> {
        self.check_as(true, r)
    }

    fn run(&self, sql: &str) -> Result<()> {
        let c = self.conn()?;
        let r = self.check(c.query_drop(sql));
        match &r {
            Ok(()) => self.tx.note(c),
            Err(e) => self.tx.failed(e),
        }
        r
    }
}

struct ArcKiller(Arc<Killer>);

impl CancelHandle for ArcKiller {
    fn cancel(&self) -> Result<()> {
        self.0.requested.store(true, Ordering::Release);
        self.0.kill_query()
    }
}

struct MyConn {
    shared: Arc<Shared>,
    version: String,
    in_tx: bool,
    zero_as_null: bool,
    /// The server's max_allowed_packet, read at connect.
    max_packet: usize,
}

/// Storage engines that undo a failed statement entirely. On the others
/// (MyISAM, Aria, MEMORY, ...) a multi-row INSERT that fails part-way keeps
/// the rows before the failing one, and under STRICT_TRANS_TABLES a bad
/// value after the first row is adjusted with a warning instead of failing,
/// so keel runs batches for their tables row by row.
const TRANSACTIONAL_ENGINES: &[&str] = &["InnoDB", "RocksDB", "TokuDB"];

/// `db.table`, `` `db`.`table` ``, `"t"` or `t` as (schema, table),
/// unquoted; `None` for anything else.
fn split_target(target: &str) -> Option<(Option<String>, String)> {
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
    fn prepare(&mut self, sql: &str) -> Result<Box<dyn DriverStmt>> {
        let c = self.shared.conn()?;
        let stmt = self.shared.check_as(false, c.prep(sql))?;
        let n = stmt.num_params() as usize;
        let shape = stmt.columns().to_vec();
        let cols = Arc::new(columns(&shape));
        Ok(Box::new(MyStmt {
            id: statement_id(),
            shared: self.shared.clone(),
            stmt,
            params: vec![MV::NULL; n],
            shape,
            cols,
            zero_as_null: self.zero_as_null,
            max_packet: self.max_packet,
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
        self.shared.check_as(false, c.ping())
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

    fn is_broken(&self) -> bool {
        self.shared.broken.load(Ordering::Acquire)
    }

    fn multirow_insert(&mut self, target: &str) -> Result<Option<MultiRowLimits>> {
        let Some((schema, table)) = split_target(target) else { return Ok(None) };
        let c = self.shared.conn()?;
        // A view, a temporary table (not listed on MySQL and MariaDB before
        // 11.2) or a table of another engine gives NULL or no row.
        let engine: Option<Option<String>> = self.shared.check(c.exec_first(
            "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
            (schema, table),
        ))?;
        let transactional =
            engine.flatten().is_some_and(|e| TRANSACTIONAL_ENGINES.iter().any(|t| t.eq_ignore_ascii_case(&e)));
        // Prepared statements count parameters in 16 bits; the values of
        // one execution travel in one packet of at most max_allowed_packet.
        Ok(transactional.then_some(MultiRowLimits {
            max_params: 65535,
            max_bytes: self.max_packet / 2,
            reports_insert_id: true,
        }))
    }
}

/// A missing savepoint (error 1305), as every engine reports it: the name
/// is the caller's mistake (INVALID_ARGUMENT, SQLSTATE 3B001).
fn no_savepoint(e: Error) -> Error {
    if e.vendor_code != 1305 {
        return e;
    }
    Error { status: crate::core::error::Status::InvalidArgument, sqlstate: "3B001".into(), ..e }
}

/// Column metadata plus what decoding needs.
struct MyCols {
    columns: Vec<Column>,
    /// Columns holding dates, checked for zero dates on every row.
    date_cols: Vec<usize>,
}

fn engine_type_name(ct: CT, flags: ColumnFlags, binary: bool, len: u32) -> String {
    let base = match ct {
        CT::MYSQL_TYPE_TINY => "TINYINT",
        CT::MYSQL_TYPE_SHORT => "SMALLINT",
        CT::MYSQL_TYPE_INT24 => "MEDIUMINT",
        CT::MYSQL_TYPE_LONG => "INT",
        CT::MYSQL_TYPE_LONGLONG => "BIGINT",
        CT::MYSQL_TYPE_FLOAT => "FLOAT",
        CT::MYSQL_TYPE_DOUBLE => "DOUBLE",
        CT::MYSQL_TYPE_DECIMAL | CT::MYSQL_TYPE_NEWDECIMAL => "DECIMAL",
        CT::MYSQL_TYPE_YEAR => "YEAR",
        CT::MYSQL_TYPE_DATE | CT::MYSQL_TYPE_NEWDATE => "DATE",
        CT::MYSQL_TYPE_TIME | CT::MYSQL_TYPE_TIME2 => "TIME",
        CT::MYSQL_TYPE_DATETIME | CT::MYSQL_TYPE_DATETIME2 => "DATETIME",
        CT::MYSQL_TYPE_TIMESTAMP | CT::MYSQL_TYPE_TIMESTAMP2 => "TIMESTAMP",
        CT::MYSQL_TYPE_BIT => "BIT",
        CT::MYSQL_TYPE_JSON => "JSON",
        CT::MYSQL_TYPE_GEOMETRY => "GEOMETRY",
        CT::MYSQL_TYPE_NULL => "NULL",
        _ if flags.contains(ColumnFlags::ENUM_FLAG) => "ENUM",
        _ if flags.contains(ColumnFlags::SET_FLAG) => "SET",
        CT::MYSQL_TYPE_VARCHAR | CT::MYSQL_TYPE_VAR_STRING => if binary { "VARBINARY" } else { "VARCHAR" },
        CT::MYSQL_TYPE_STRING => if binary { "BINARY" } else { "CHAR" },
        _ => if binary { "BLOB" } else { "TEXT" },
    };
    let mut s = base.to_owned();
    if ct == CT::MYSQL_TYPE_TINY && len == 1 {
        s.push_str("(1)");
    }
    let numeric = matches!(
        ct,
        CT::MYSQL_TYPE_TINY | CT::MYSQL_TYPE_SHORT | CT::MYSQL_TYPE_INT24 | CT::MYSQL_TYPE_LONG
            | CT::MYSQL_TYPE_LONGLONG | CT::MYSQL_TYPE_FLOAT | CT::MYSQL_TYPE_DOUBLE
            | CT::MYSQL_TYPE_DECIMAL | CT::MYSQL_TYPE_NEWDECIMAL
    );
    if numeric && flags.contains(ColumnFlags::UNSIGNED_FLAG) {
        s.push_str(" UNSIGNED");
    }
    s
}

fn columns(cols: &[mysql::Column]) -> MyCols {
    let mut columns = Vec::with_capacity(cols.len());
    let mut date_cols = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        let ct = c.column_type();
        let flags = c.flags();
        let binary = c.character_set() == 63;
        let unsigned = flags.contains(ColumnFlags::UNSIGNED_FLAG);
        let kind = match ct {
            CT::MYSQL_TYPE_TINY if c.column_length() == 1 && !unsigned => K::Bool,
            CT::MYSQL_TYPE_LONGLONG if unsigned => K::Uint64,
            CT::MYSQL_TYPE_TINY | CT::MYSQL_TYPE_SHORT | CT::MYSQL_TYPE_INT24 | CT::MYSQL_TYPE_LONG
            | CT::MYSQL_TYPE_LONGLONG | CT::MYSQL_TYPE_YEAR => K::Int64,
            CT::MYSQL_TYPE_FLOAT | CT::MYSQL_TYPE_DOUBLE => K::Double,
            CT::MYSQL_TYPE_DECIMAL | CT::MYSQL_TYPE_NEWDECIMAL => K::Decimal,
            CT::MYSQL_TYPE_DATE | CT::MYSQL_TYPE_NEWDATE => K::Date,
            CT::MYSQL_TYPE_DATETIME | CT::MYSQL_TYPE_DATETIME2 => K::Timestamp,
            CT::MYSQL_TYPE_TIMESTAMP | CT::MYSQL_TYPE_TIMESTAMP2 => K::Timestamptz,
            CT::MYSQL_TYPE_TIME | CT::MYSQL_TYPE_TIME2 => K::Time,
            CT::MYSQL_TYPE_BIT => K::Uint64,
            CT::MYSQL_TYPE_JSON => K::Json,
            CT::MYSQL_TYPE_NULL => K::Null,
            CT::MYSQL_TYPE_GEOMETRY => K::Bytes,
            _ if binary => K::Bytes,
            _ => K::Text,
        };
        if matches!(kind, K::Date | K::Timestamp | K::Timestamptz) {
            date_cols.push(i);
        }
        columns.push(Column {
            name: c.name_str().into_owned(),
            kind,
            engine_type: engine_type_name(ct, flags, binary, c.column_length()),
            nullable: if flags.contains(ColumnFlags::NOT_NULL_FLAG) { Nullable::No } else { Nullable::Yes },
        });
    }
    MyCols { columns, date_cols }
}

fn bad(msg: String) -> Error {
    Error::invalid_argument(msg).with_sqlstate("22003").with_driver("mysql")
}

fn date_parts(days: i64) -> Result<(u16, u8, u8)> {
    let (y, m, d) = value::civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return Err(bad(format!("year {y} is outside MySQL's range 0000-9999")));
    }
    Ok((y as u16, m as u8, d as u8))
}

/// A keel value as the crate's value type.
fn to_mysql(v: ValueRef<'_>) -> Result<MV> {
    Ok(match v {
        ValueRef::Null => MV::NULL,
        ValueRef::Bool(b) => MV::Int(b as i64),
        ValueRef::Int64(n) => MV::Int(n),
        ValueRef::Uint64(n) => MV::UInt(n),
        ValueRef::Double(d) => {
            if !d.is_finite() {
                return Err(bad(format!("MySQL cannot store {d} (no NaN or infinity)")));
            }
            MV::Double(d)
        }
        ValueRef::Text(t) | ValueRef::Json(t) => MV::Bytes(t.as_bytes().to_vec()),
        ValueRef::Decimal(t) => {
            value::check_decimal(t)?;
            MV::Bytes(t.as_bytes().to_vec())
        }
        ValueRef::Bytes(b) => MV::Bytes(b.to_vec()),
        ValueRef::Date(d) => {
            let (y, m, dd) = date_parts(d as i64)?;
            MV::Date(y, m, dd, 0, 0, 0, 0)
        }
        ValueRef::Time(t) => {
            let s = t / MICROS_PER_SECOND;
            MV::Time(false, 0, (s / 3600) as u8, (s / 60 % 60) as u8, (s % 60) as u8, (t % MICROS_PER_SECOND) as u32)
        }
        ValueRef::Timestamp(t) | ValueRef::Timestamptz(t) => {
            let (y, m, d) = date_parts(t.div_euclid(MICROS_PER_DAY))?;
            let tod = t.rem_euclid(MICROS_PER_DAY);
            let s = tod / MICROS_PER_SECOND;
            MV::Date(y, m, d, (s / 3600) as u8, (s / 60 % 60) as u8, (s % 60) as u8, (tod % MICROS_PER_SECOND) as u32)
        }
        ValueRef::Uuid(u) => {
            let mut s = String::new();
            value::format_uuid(&u, &mut s);
            MV::Bytes(s.into_bytes())
        }
    })
}

struct MyStmt {
    id: u64,
    shared: Arc<Shared>,
    stmt: mysql::Statement,
    params: Vec<MV>,
    /// The column definitions `cols` was built from.
    shape: Vec<mysql::Column>,
    cols: Arc<MyCols>,
    zero_as_null: bool,
    /// The server's max_allowed_packet.
    max_packet: usize,
}

impl Drop for MyStmt {
    fn drop(&mut self) {
        self.shared.close_statement(self.stmt.clone());
    }
}

/// The long-data chunk the mysql crate (28.0.4) sends a large text or
/// binary parameter in: `MAX_PAYLOAD_LEN - 6` bytes, one byte too many for
/// the 7-byte command header to fit a 16 MiB protocol packet.
const LONG_DATA_CHUNK: usize = 0xFF_FF_FF - 6;

impl MyStmt {
    fn params(&self) -> Result<mysql::Params> {
        // A parameter of a full chunk or more makes the crate send a
        // command of 16,777,216 bytes, which a server whose
        // max_allowed_packet is 16 MiB (MariaDB's default) refuses by
        // dropping the connection ("Packets out of sync"). Say so before
        // sending anything.
        if self.max_packet <= LONG_DATA_CHUNK + 7 {
            let big = self.params.iter().enumerate().find(|(_, v)| matches!(v, MV::Bytes(b) if b.len() >= LONG_DATA_CHUNK));
            if let Some((i, MV::Bytes(b))) = big {
                return Err(Error::invalid_argument(format!(
                    "parameter {i}: a value of {} bytes cannot be sent to this server: the mysql client sends it in \
                     chunks of {LONG_DATA_CHUNK} bytes, which a server with max_allowed_packet={} refuses; \
                     raise max_allowed_packet above 16777216 (MySQL 8's default is 64 MiB)",
                    b.len(),
                    self.max_packet
                ))
                .with_driver("mysql")
                .with_retry(RetrySafety::NotSent));
            }
        }
        Ok(if self.params.is_empty() { mysql::Params::Empty } else { mysql::Params::Positional(self.params.clone()) })
    }
}

impl DriverStmt for MyStmt {
    fn param_count(&self) -> usize {
        self.params.len()
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.params[index] = to_mysql(value)?;
        Ok(())
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.params.iter_mut().for_each(|p| *p = MV::NULL);
        Ok(())
    }

    fn close_cursor(&mut self) {
        if let Some(generation) = self.shared.cursor.opened_by(self.id) {
            self.shared.close_cursor(generation);
        }
    }

    fn execute(&mut self) -> Result<ExecResult> {
        let params = self.params()?;
        let c = self.shared.conn_for(self.id)?;
        self.shared.killer.arm();
        let ran = self.shared.check(c.exec_drop(&self.stmt, params));
        match &ran {
            Ok(()) => self.shared.tx.note(c),
            Err(e) => self.shared.tx.failed(e),
        }
        ran?;
        self.shared.killer.check()?;
        let id = c.last_insert_id();
        Ok(ExecResult {
            rows_affected: c.affected_rows(),
            last_insert_id: (id > 0).then_some(id as i64).filter(|i| *i >= 0),
        })
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let params = self.params()?;
        let c = self.shared.conn_for(self.id)?;
        self.shared.killer.arm();
        let qr = self.shared.check(c.exec_iter(&self.stmt, params)).inspect_err(|e| self.shared.tx.failed(e))?;
        self.shared.tx.queried();
        // A statement whose tables changed since prepare is re-prepared by
        // the server, which sends the new columns with the result: describe
        // those, not the ones from prepare time.
        let fresh = qr.columns();
        if fresh.as_ref() != self.shape.as_slice() {
            self.shape = fresh.as_ref().to_vec();
            self.cols = Arc::new(columns(&self.shape));
        }
        // SAFETY: the result borrows the session inside `self.shared`; it is
        // kept in the same struct, declared before the session so it drops
        // first, and the slot keeps every other user off the session meanwhile.
        let qr: QueryResult<'static, 'static, 'static, Binary> = unsafe { std::mem::transmute(qr) };
        let generation = self.shared.cursor.open(self.id, ManuallyDrop::new(qr));
        Ok(Box::new(MyRows {
            generation,
            done: false,
            row: None,
            texts: vec![Vec::new(); self.cols.columns.len()],
            cols: self.cols.clone(),
            zero_as_null: self.zero_as_null,
            shared: self.shared.clone(),
        }))
    }
}

struct MyRows {
    /// Which opening of the session's cursor this is.
    generation: u64,
    done: bool,
    row: Option<mysql::Row>,
    /// Per column: the current row's text, NUL-terminated, for C (the
    /// crate's buffers have no NUL); empty when the value is not text.
    /// Reused from row to row.
    texts: Vec<Vec<u8>>,
    cols: Arc<MyCols>,
    zero_as_null: bool,
    shared: Arc<Shared>,
}

impl MyRows {
    fn finish(&mut self) {
        self.done = true;
        self.shared.close_cursor(self.generation);
    }
}

/// Rows a cursor freed before its end reads to finish cleanly; past this
/// the query is stopped at the server.
const EARLY_CLOSE_DRAIN_ROWS: usize = 256;

impl Drop for MyRows {
    fn drop(&mut self) {
        self.row = None;
        self.shared.close_cursor(self.generation);
    }
}

/// Whether the current result set has ended (peeks without consuming rows
/// beyond the one it may read).
fn result_done(r: &mut QueryResult<'static, 'static, 'static, Binary>) -> bool {
    matches!(r.next(), None | Some(Err(_)))
}

/// Whether a bytes value of a column of this kind reads as text (see
/// `MyRows::value`).
fn gives_text(kind: K) -> bool {
    !matches!(kind, K::Bytes | K::Uint64)
}

fn is_zero_date(v: Option<&MV>) -> bool {
    matches!(v, Some(MV::Date(0, 0, 0, ..)) | Some(MV::Date(_, 0, _, ..)) | Some(MV::Date(_, _, 0, ..)))
}

impl DriverRows for MyRows {
    fn columns(&self) -> &[Column] {
        &self.cols.columns
    }

    fn next(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        let Some(result) = self.shared.cursor.get(self.generation).map(|r| &mut **r) else {
            self.done = true;
            self.row = None;
            return Err(Error::invalid_state("this cursor was closed because its statement was run again"));
        };
        match result.next() {
            Some(Ok(_)) if self.shared.killer.requested.load(Ordering::Acquire) => {
                self.row = None;
                self.finish();
                Err(self.shared.killer.check().unwrap_err())
            }
            Some(Ok(row)) => {
                if !self.zero_as_null {
                    if let Some(&i) = self.cols.date_cols.iter().find(|&&i| is_zero_date(row.as_ref(i))) {
                        self.row = None;
                        return Err(Error::invalid_data(format!(
                            "column {i} ({}) holds a zero date (0000-00-00), which is no date; open with zero_date=null to read it as NULL",
                            self.cols.columns[i].name
                        ))
                        .with_sqlstate("22007")
                        .with_driver("mysql"));
                    }
                }
                for (i, buf) in self.texts.iter_mut().enumerate() {
                    buf.clear();
                    if let (Some(MV::Bytes(b)), true) = (row.as_ref(i), gives_text(self.cols.columns[i].kind)) {
                        if std::str::from_utf8(b).is_ok() {
                            buf.extend_from_slice(b);
                            buf.push(0);
                        }
                    }
                }
                self.row = Some(row);
                Ok(true)
            }
            Some(Err(e)) => {
                self.row = None;
                let err = self.shared.check(Err::<(), _>(e)).unwrap_err();
                self.finish();
                Err(err)
            }
            None => {
                self.row = None;
                self.finish();
                self.shared.killer.check()?;
                Ok(false)
            }
        }
    }

    fn value(&self, i: usize) -> ValueRef<'_> {
        let Some(v) = self.row.as_ref().and_then(|r| r.as_ref(i)) else { return ValueRef::Null };
        let kind = self.cols.columns[i].kind;
        match v {
            MV::NULL => ValueRef::Null,
            MV::Int(n) => match kind {
                K::Bool if *n == 0 || *n == 1 => ValueRef::Bool(*n == 1),
                K::Uint64 if *n >= 0 => ValueRef::Uint64(*n as u64),
                _ => ValueRef::Int64(*n),
            },
            MV::UInt(n) => match kind {
                K::Uint64 => ValueRef::Uint64(*n),
                _ if *n <= i64::MAX as u64 => ValueRef::Int64(*n as i64),
                _ => ValueRef::Uint64(*n),
            },
            MV::Float(f) => ValueRef::Double(*f as f64),
            MV::Double(d) => ValueRef::Double(*d),
            MV::Bytes(b) => match kind {
                K::Bytes => ValueRef::Bytes(b),
                K::Uint64 => {
                    // BIT(n): big-endian bytes.
                    let n = b.iter().take(8).fold(0u64, |acc, x| acc << 8 | *x as u64);
                    ValueRef::Uint64(n)
                }
                _ => match self.texts[i].split_last() {
                    Some((0, t)) => {
                        // SAFETY: `next` copies a value here only after
                        // checking that it is UTF-8.
                        let t = unsafe { std::str::from_utf8_unchecked(t) };
                        match kind {
                            K::Decimal => ValueRef::Decimal(t),
                            K::Json => ValueRef::Json(t),
                            _ => ValueRef::Text(t),
                        }
                    }
                    _ => ValueRef::Bytes(b),
                },
            },
            MV::Date(y, m, d, h, mi, s, us) => {
                if *m == 0 || *d == 0 {
                    return ValueRef::Null; // zero date with zero_date=null
                }
                let days = value::days_from_civil(*y as i64, *m as u32, *d as u32);
                if kind == K::Date {
                    return ValueRef::Date(days as i32);
                }
                let t = days * MICROS_PER_DAY
                    + ((*h as i64 * 60 + *mi as i64) * 60 + *s as i64) * MICROS_PER_SECOND
                    + *us as i64;
                if kind == K::Timestamptz { ValueRef::Timestamptz(t) } else { ValueRef::Timestamp(t) }
            }
            MV::Time(neg, days, h, m, s, us) => {
                let t = ((*days as i64 * 24 + *h as i64) * 60 + *m as i64) * 60 * MICROS_PER_SECOND
                    + *s as i64 * MICROS_PER_SECOND
                    + *us as i64;
                if !*neg && t < MICROS_PER_DAY {
                    ValueRef::Time(t)
                } else {
                    // MySQL TIME is a duration (-838:59:59 to 838:59:59); a
                    // value outside one day has no time-of-day form.
                    ValueRef::Int64(if *neg { -t } else { t })
                }
            }
        }
    }

    fn text_is_nul_terminated(&self) -> bool {
        // Every text, JSON and decimal value comes from `texts`.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::split_target;

    #[test]
    fn insert_targets_split_and_unquote() {
        let s = |t: &str| split_target(t);
        assert_eq!(s("t"), Some((None, "t".into())));
        assert_eq!(s("db.t"), Some((Some("db".into()), "t".into())));
        assert_eq!(s("`my db` . `t``x`"), Some((Some("my db".into()), "t`x".into())));
        assert_eq!(s("\"é\""), Some((None, "é".into())));
        assert_eq!(s("a.b.c"), None);
        assert_eq!(s("`open"), None);
        assert_eq!(s("t x"), None);
    }
}
