//! SQL Server, on the `tiberius` crate, driven by one shared tokio runtime
//! behind keel's blocking calls.
//!
//! URL: `mssql://user:password@host:1433/database?options` (`sqlserver://`
//! too). Options: `encrypt` (`on`, the default, `strict`, `off`),
//! `trust_server_certificate`, `trust_server_certificate_ca`,
//! `host_name_in_certificate`, `connect_timeout_ms`, `statement_timeout_ms`,
//! `socket_timeout_ms`, `tcp_keepalive_ms`, `application_name`. TLS is rustls with the ring provider, done by the
//! wire under tiberius ([`wire`] says how for each level). The server's
//! certificate is checked against the system's trust store, or
//! `trust_server_certificate_ca`, and must name the host (or
//! `host_name_in_certificate`); `trust_server_certificate=true` skips the
//! check with `encrypt=on`, and is refused with `strict`, which always
//! checks (ODBC 18 ignores it there).
//!
//! Statements run through `sp_executesql`: keel's `?` becomes `@P1`,
//! `@P2`, ..., and SQL Server's own `@P1` form works too. Preparing costs no
//! round trip; the server compiles and caches the plan on first run. keel
//! runs one statement per call: SQL with a `;` followed by more SQL is
//! refused. (T-SQL needs no `;` between statements; two statements written
//! without one are not detected and both run.) Each session starts with the
//! settings ODBC uses (ANSI_NULLS, ANSI_WARNINGS, QUOTED_IDENTIFIER, ...
//! ON, TEXTSIZE unlimited).
//!
//! Results stream: rows are read from the socket as `keel_rows_next` asks.
//! Only a statement's first result set is read. While a cursor is open its
//! connection refuses other work; freeing a cursor before its end sends an
//! attention, so the server stops sending the rest.
//!
//! Transactions use TDS transaction-manager requests (begin with the
//! isolation level, commit, rollback); savepoints are `SAVE TRANSACTION`
//! and `ROLLBACK TRANSACTION name`. SQL Server cannot release a savepoint,
//! so `keel_conn_release` only forgets it: rolling back to it afterwards is
//! an error, as on the other engines. SQL Server has no read-only
//! transactions: asking for one is NOT_IMPLEMENTED. A deadlock (error 1205)
//! rolls the whole transaction back, and keel notes that it is over.
//!
//! Cancel and `statement_timeout_ms`: tiberius cannot be reached from a
//! second thread, so keel's cancel handle only raises a flag and wakes the
//! blocked call, which then sends SQL Server an attention (TDS's in-band
//! cancel) and reads up to its acknowledgement. The call returns CANCELLED
//! (TIMEOUT for the timeout) and the connection stays usable, with any
//! transaction still open (SQL Server rolls back on attention only under
//! XACT_ABORT). A cancel that arrives between two reads of an open cursor
//! takes effect at the next read. When the server does not acknowledge
//! within 5 seconds, or the wire is left in an unknown state (a cancel
//! while part of a row had arrived), the connection is closed and the pool
//! discards it; the call still returns CANCELLED. `statement_timeout_ms`
//! bounds each wait for the server (running a statement, and each read of
//! a streaming result), as ADO.NET's CommandTimeout does.
//! `socket_timeout_ms` is for a dead network instead: when no byte moves
//! on the socket for that long during a call, the call fails with TIMEOUT
//! (the statement may have run) and the connection is closed, with no
//! attention, since nothing would carry it.

mod errors;
mod types;
mod wire;

use super::cursor_slot::{CursorSlot, statement_id};
use super::net;
use crate::core::placeholders::{skip_block_comment, skip_line, skip_quoted};
use crate::core::driver::{
    CancelHandle, Connector, Dialect, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, Isolation, TxLock, TxOptions,
};
use crate::core::error::{Error, Result, RetrySafety, Status};
use crate::core::options::{OptKind, OptSpec, Options};
use crate::drivers::tls::{self, Check};
use crate::core::url::ConnUrl;
use crate::core::value::{Column, Nullable, Type as K, ValueRef};
use futures_util::TryStreamExt;
use std::cell::UnsafeCell;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::time::Duration;
use tiberius::Client as Tiberius;
use tiberius::{AuthMethod, ColumnData, ColumnType, Config, EncryptionLevel, IsolationLevel, QueryItem, QueryStream, ToSql};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncWriteCompatExt;
use types::Cell;
use wire::{Encrypt, TlsSetup, Wire, WireState};

pub struct MssqlDriver;

/// The runtime every SQL Server connection of this process runs on (see
/// [`rt`]), with the fork generation it was started in.
struct ProcessRuntime {
    generation: u64,
    rt: tokio::runtime::Runtime,
}

static RUNTIME: AtomicPtr<ProcessRuntime> = AtomicPtr::new(std::ptr::null_mut());

/// The runtime every SQL Server connection of this process runs on. One
/// worker thread runs the I/O driver and timers; each keel call drives its
/// own future with `block_on` on the caller's thread.
///
/// One per process: a child of fork() has no copy of the parent's worker
/// thread, and its copy of the I/O driver's epoll set is the parent's own,
/// so the child starts a runtime of its own the first time it needs one.
/// The parent's is never touched there, not even dropped (its shutdown
/// would wait for threads that do not exist and unregister the parent's
/// sockets): it stays allocated in the child. Installed without a lock
/// (one could be held across a fork).
fn rt() -> &'static tokio::runtime::Runtime {
    let generation = crate::core::fork::generation();
    let current = RUNTIME.load(Ordering::Acquire);
    // SAFETY: a published runtime is never freed.
    if let Some(r) = unsafe { current.as_ref() } {
        if r.generation == generation {
            return &r.rt;
        }
    }
    crate::core::fork::watch();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("keel-mssql")
        .enable_all()
        .build()
        .expect("keel: cannot start the tokio runtime for SQL Server");
    let new = Box::into_raw(Box::new(ProcessRuntime { generation, rt }));
    match RUNTIME.compare_exchange(current, new, Ordering::AcqRel, Ordering::Acquire) {
        Ok(old) => {
            if !old.is_null() {
                // The parent's: kept, reachable, never dropped.
                crate::core::fork::keep(SendPtr(old));
            }
            // SAFETY: just published; never freed.
            unsafe { &(*new).rt }
        }
        Err(winner) => {
            // Another thread of this process installed one first.
            // SAFETY: `new` was never published.
            drop(unsafe { Box::from_raw(new) });
            // SAFETY: published, never freed; of this generation, since
            // only a thread of this process could have installed it.
            unsafe { &(*winner).rt }
        }
    }
}

/// A runtime left from the parent, kept so that it stays reachable.
struct SendPtr(#[allow(dead_code)] *mut ProcessRuntime);
// SAFETY: only held, never used.
unsafe impl Send for SendPtr {}

const OPTIONS: &[OptSpec] = &[
    OptSpec {
        key: "encrypt",
        kind: OptKind::Choice(&["off", "on", "strict"]),
        default: "on",
        doc: "TLS: on (negotiated in PRELOGIN, TDS 7.x), strict (TDS 8.0: TLS before anything else), off (nothing encrypted, the password included).",
    },
    OptSpec {
        key: "trust_server_certificate",
        kind: OptKind::Bool,
        default: "false",
        doc: "With encrypt=on: accept any certificate without checking it (encrypted, but the server is not authenticated).",
    },
    OptSpec {
        key: "trust_server_certificate_ca",
        kind: OptKind::Text,
        default: "",
        doc: "A PEM file of the CA certificates (or the server's own) to check the server's certificate against; by default the system's trust store.",
    },
    OptSpec {
        key: "host_name_in_certificate",
        kind: OptKind::Text,
        default: "",
        doc: "The name the server's certificate must carry, when it is not the host in the URL.",
    },
    OptSpec {
        key: "connect_timeout_ms",
        kind: OptKind::UInt,
        default: "10000",
        doc: "Give up connecting and logging in after this long; 0 waits forever.",
    },
    OptSpec {
        key: "statement_timeout_ms",
        kind: OptKind::UInt,
        default: "0",
        doc: "Stop a statement (with an attention) when a wait for the server exceeds this; 0 means none.",
    },
    net::SOCKET_TIMEOUT,
    net::TCP_KEEPALIVE,
    OptSpec {
        key: "application_name",
        kind: OptKind::Text,
        default: "keel",
        doc: "Shown in sys.dm_exec_sessions.program_name.",
    },
];

/// Session settings ODBC applies at connect, so SQL behaves as users of
/// other drivers expect (NULL comparisons, "..." identifiers, errors on
/// truncation), and the server's version.
const SESSION_INIT: &str = "SET ANSI_NULLS ON; SET ANSI_PADDING ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; \
     SET CONCAT_NULL_YIELDS_NULL ON; SET QUOTED_IDENTIFIER ON; SET IMPLICIT_TRANSACTIONS OFF; \
     SET TEXTSIZE 2147483647; SELECT @@VERSION";

/// How long an attention may take to be acknowledged before keel gives the
/// connection up.
const ATTENTION_WAIT: Duration = Duration::from_secs(5);

impl Driver for MssqlDriver {
    fn name(&self) -> &'static str {
        "mssql"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["mssql", "sqlserver"]
    }
    fn dialect(&self) -> Dialect {
        Dialect::Mssql
    }
    fn options(&self) -> &'static [OptSpec] {
        OPTIONS
    }
    fn connector(&self, url: &ConnUrl, opts: &Options) -> Result<Box<dyn Connector>> {
        let host = url.host.clone().unwrap_or_else(|| "127.0.0.1".into());
        let port = url.port.unwrap_or(1433);
        let mut cfg = Config::new();
        cfg.host(&host);
        cfg.port(port);
        if !url.path.is_empty() {
            cfg.database(&url.path);
        }
        cfg.application_name(opts.text("application_name").unwrap_or("keel"));
        cfg.authentication(AuthMethod::sql_server(
            url.user.clone().unwrap_or_default(),
            url.password.clone().unwrap_or_default(),
        ));
        // tiberius sees the clear: TLS is done by the wire under it.
        cfg.encryption(EncryptionLevel::NotSupported);
        // keel bounds waits itself (statement_timeout_ms, cancel), with an
        // attention that keeps the connection; tiberius' own bound would
        // give the connection up.
        cfg.command_timeout(None);
        let ms = |k: &str| Some(opts.uint(k)).filter(|v| *v > 0).map(|v| Duration::from_millis(v as u64));
        let tls = tls_setup(opts, &host, port)?;
        Ok(Box::new(MsConnector {
            cfg,
            host,
            port,
            tls,
            connect_timeout: ms("connect_timeout_ms"),
            statement_timeout: ms("statement_timeout_ms"),
            socket_timeout: ms("socket_timeout_ms"),
            keepalive: ms("tcp_keepalive_ms"),
        }))
    }
}

// Named through an alias: cbindgen resolves a bare `Client<..>` to the
// PostgreSQL driver's own (non-generic) `Client` and fails.
type TdsClient = Tiberius<Wire>;

/// The TLS side of the options (see [`wire`] for what each level does).
fn tls_setup(opts: &Options, host: &str, port: u16) -> Result<TlsSetup> {
    let level = match opts.text("encrypt").unwrap_or("on") {
        "off" => Encrypt::Off,
        "strict" => Encrypt::Strict,
        _ => Encrypt::On,
    };
    let trust_any = opts.flag("trust_server_certificate");
    if trust_any && level == Encrypt::Strict {
        return Err(Error::invalid_argument(
            "encrypt=strict always checks the server's certificate, so trust_server_certificate=true cannot go with it; \
             give the CA (or the server's own certificate) with trust_server_certificate_ca=FILE.pem",
        ));
    }
    let ca = opts.text("trust_server_certificate_ca").unwrap_or("");
    let named = opts.text("host_name_in_certificate").unwrap_or("");
    let name_text = if named.is_empty() { host } else { named };
    let name = rustls::pki_types::ServerName::try_from(name_text.to_owned()).map_err(|_| {
        Error::invalid_argument(format!("{name_text:?} is not a host name a certificate can carry (host_name_in_certificate)"))
    })?;
    let (check, roots) = match level {
        Encrypt::Off => (Check::Nothing, rustls::RootCertStore::empty()),
        Encrypt::On if trust_any => (Check::Nothing, rustls::RootCertStore::empty()),
        _ => {
            let source = if ca.is_empty() { "system" } else { ca };
            let what = if ca.is_empty() {
                "checking SQL Server's certificate (encrypt=on/strict) needs trusted roots: the system store"
            } else {
                "trust_server_certificate_ca"
            };
            (Check::ChainAndName, tls::roots(std::path::Path::new(source), what)?)
        }
    };
    let alpn: &[&[u8]] = if level == Encrypt::Strict { &[b"tds/8.0"] } else { &[] };
    let config = tls::client_config(check, roots, None, alpn)?;
    Ok(TlsSetup { level, config: Arc::new(config), name, named: !named.is_empty(), server: format!("{host}:{port}") })
}

struct MsConnector {
    cfg: Config,
    host: String,
    port: u16,
    tls: TlsSetup,
    connect_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    socket_timeout: Option<Duration>,
    keepalive: Option<Duration>,
}

fn ms<T>(r: std::result::Result<T, tiberius::error::Error>) -> Result<T> {
    r.map_err(|e| errors::convert(&e).0)
}

async fn open_client(
    cfg: Config,
    host: &str,
    port: u16,
    state: Arc<WireState>,
    tls: &TlsSetup,
    keepalive: Option<Duration>,
) -> Result<TdsClient> {
    let tcp = |host: String, port: u16, tls: TlsSetup| {
        let state = state.clone();
        async move {
            let s = TcpStream::connect((host.as_str(), port)).await.map_err(|e| {
                Error::new(Status::Io, format!("cannot connect to SQL Server at {host}:{port}: {e}"))
                    .with_sqlstate("08001")
                    .with_driver("mssql")
            })?;
            let _ = s.set_nodelay(true);
            #[cfg(unix)]
            state.fd.store(std::os::fd::AsRawFd::as_raw_fd(&s), Ordering::Release);
            if let Some(k) = keepalive {
                let ka = socket2::TcpKeepalive::new().with_time(k);
                #[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd"))]
                let ka = ka.with_interval(k);
                socket2::SockRef::from(&s).set_tcp_keepalive(&ka).map_err(|e| {
                    Error::new(Status::Io, format!("cannot set TCP keepalive on the SQL Server connection: {e}")).with_driver("mssql")
                })?;
            }
            let strict = tls.level == Encrypt::Strict;
            let mut wire = Wire::new(s.compat_write(), state.clone(), tls);
            if strict {
                wire.handshake_strict().await.map_err(|e| {
                    wire_failure(&state).unwrap_or_else(|| {
                        Error::new(Status::Io, format!("TLS handshake with SQL Server at {host}:{port}: {e}"))
                            .with_sqlstate("08001")
                            .with_driver("mssql")
                    })
                })?;
            }
            Ok::<_, Error>(wire)
        }
    };
    let connected = |r: std::result::Result<TdsClient, tiberius::error::Error>| match r {
        Err(e) => Err(wire_failure(&state).unwrap_or_else(|| errors::convert(&e).0)),
        Ok(c) => Ok(c),
    };
    match tiberius::Client::connect(cfg.clone(), tcp(host.to_owned(), port, tls.clone()).await?).await {
        // Azure SQL's gateway may send the client to the node that serves it.
        Err(tiberius::error::Error::Routing { host, port }) => {
            let mut cfg = cfg;
            cfg.host(&host);
            cfg.port(port);
            let mut tls = tls.clone();
            tls.server = format!("{host}:{port}");
            // The certificate names the node, unless a name was given.
            if !tls.named {
                if let Ok(name) = rustls::pki_types::ServerName::try_from(host.clone()) {
                    tls.name = name;
                }
            }
            connected(tiberius::Client::connect(cfg, tcp(host, port, tls).await?).await)
        }
        r => connected(r),
    }
}

/// The refusal the wire recorded, if any (taken).
fn wire_failure(state: &WireState) -> Option<Error> {
    state.failure.lock().unwrap_or_else(|p| p.into_inner()).take()
}

impl Connector for MsConnector {
    fn connect(&self) -> Result<Box<dyn DriverConn>> {
        let wire = Arc::new(WireState::new());
        let fut = open_client(self.cfg.clone(), &self.host, self.port, wire.clone(), &self.tls, self.keepalive);
        let mut client = match self.connect_timeout {
            Some(t) => rt().block_on(async { tokio::time::timeout(t, fut).await }).map_err(|_| {
                Error::new(
                    Status::Timeout,
                    format!(
                        "connecting to SQL Server at {}:{} took longer than connect_timeout_ms={}",
                        self.host,
                        self.port,
                        t.as_millis()
                    ),
                )
                .with_sqlstate("HYT00")
                .with_driver("mssql")
                .with_retry(RetrySafety::NotSent)
            })??,
            None => rt().block_on(fut)?,
        };
        let version = rt().block_on(async {
            let rows = client.simple_query(SESSION_INIT).await?.into_first_result().await?;
            Ok::<_, tiberius::error::Error>(rows.first().and_then(|r| r.get::<&str, _>(0)).unwrap_or("").to_owned())
        });
        let version = ms(version)?;
        Ok(Box::new(MsConn {
            shared: Arc::new(Shared {
                cursor: CursorSlot::default(),
                client: UnsafeCell::new(client),
                broken: AtomicBool::new(false),
                ctl: Arc::new(Ctl::default()),
                wire,
                timeout: self.statement_timeout,
                socket_timeout: self.socket_timeout,
                ran_sql: AtomicBool::new(false),
            }),
            version,
            in_tx: false,
            savepoints: Vec::new(),
        }))
    }
}

/// What a cancel handle shares with its session.
#[derive(Default)]
struct Ctl {
    /// A request is in flight (sent, and its response not read to the end).
    busy: AtomicBool,
    /// A cancel was asked for while busy.
    requested: AtomicBool,
    wake: tokio::sync::Notify,
}

impl Ctl {
    /// A new request starts: forget earlier cancels.
    fn arm(&self) {
        self.requested.store(false, Ordering::SeqCst);
        self.busy.store(true, Ordering::SeqCst);
    }

    fn disarm(&self) {
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

struct CtlHandle(Arc<Ctl>);

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
enum Stop {
    Cancel,
    Timeout,
    /// No byte moved for `socket_timeout_ms`.
    Silent,
}

/// The session, shared by a connection, its statements and its cursor
/// (the same arrangement as the postgres and mysql drivers: tiberius'
/// result stream borrows the client mutably, and a [`CursorSlot`] keeps
/// that rule for C handles).
struct Shared {
    /// The open cursor's stream. Declared before `client`: it borrows it.
    cursor: CursorSlot<QueryStream<'static>>,
    client: UnsafeCell<TdsClient>,
    broken: AtomicBool,
    ctl: Arc<Ctl>,
    wire: Arc<WireState>,
    timeout: Option<Duration>,
    socket_timeout: Option<Duration>,
    /// A statement ran since keel last knew whether a transaction is open.
    ran_sql: AtomicBool,
}

// SAFETY: the client is Send; the core's promise (`core::driver`, "What the core promises drivers about threads")
// means no two calls use the client at once, and the cursor slot keeps the
// cursor's claim on it.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

fn stopped(stop: Stop) -> Error {
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
    fn client(&self) -> Result<&mut TdsClient> {
        if self.broken.load(Ordering::Acquire) {
            return Err(Shared::gone());
        }
        if self.cursor.is_busy() {
            return Err(Error::invalid_state(
                "a cursor is still open on this SQL Server connection: read it to the end or free it first",
            ));
        }
        // SAFETY: see the type's docs.
        Ok(unsafe { &mut *self.client.get() })
    }

    /// The client for statement `owner`: a cursor that statement opened
    /// earlier is closed first.
    #[allow(clippy::mut_from_ref)]
    fn client_for(&self, owner: u64) -> Result<&mut TdsClient> {
        if let Some(generation) = self.cursor.opened_by(owner) {
            self.close_cursor(generation);
        }
        self.client()
    }

    fn check<T>(&self, r: std::result::Result<T, tiberius::error::Error>) -> Result<T> {
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
    fn wait<T>(&self, fut: impl Future<Output = T>) -> std::result::Result<T, Stop> {
        let ctl = self.ctl.clone();
        let timeout = self.timeout;
        let (socket_timeout, wire) = (self.socket_timeout, self.wire.clone());
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
    fn interrupt(&self, stop: Stop, clean: bool) -> Error {
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
    fn run<T>(&self, fut: impl Future<Output = tiberius::Result<T>>) -> Result<T> {
        self.ctl.arm();
        match self.wait(fut) {
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
    fn close_cursor(&self, generation: u64) {
        let Some(stream) = self.cursor.take(generation) else { return };
        drop(stream);
        if self.ctl.busy.load(Ordering::SeqCst) && !self.broken.load(Ordering::Acquire) {
            let _ = self.interrupt(Stop::Cancel, true);
        }
        self.ctl.disarm();
    }
}

struct MsConn {
    shared: Arc<Shared>,
    version: String,
    in_tx: bool,
    /// Savepoints of the open transaction, oldest first.
    savepoints: Vec<String>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Marker {
    start: usize,
    end: usize,
    n: usize,
}

/// One pass over `sql` with T-SQL's lexing (`'...'`, `"..."` and `[...]`
/// with doubled closers, `--` and `/* */` comments), by the core
/// placeholder lexer's helpers: refuse a second statement (a `;` followed
/// by anything but blanks and comments), and return the number of
/// parameters, the highest `@Pn` (the core rewrote keel's `?` to `@P1`,
/// `@P2`, ...), with where each `@Pn` stands.
fn scan_statement(sql: &str) -> Result<(usize, Vec<Marker>)> {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut max = 0;
    let mut markers = Vec::new();
    let mut after_semicolon = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i, false),
            _ if c.is_ascii_whitespace() => i += 1,
            _ if after_semicolon => {
                return Err(Error::invalid_argument(
                    "SQL Server: the SQL holds more than one statement; keel runs one statement per call",
                ));
            }
            b'\'' | b'"' => i = skip_quoted(b, i, c, false),
            b'[' => i = skip_quoted(b, i, b']', false),
            b';' => {
                after_semicolon = true;
                i += 1;
            }
            b'@' if matches!(b.get(i + 1), Some(b'P' | b'p'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'@')) =>
            {
                let start = i + 2;
                let mut j = start;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let word_ends = j == b.len() || !(b[j].is_ascii_alphanumeric() || b[j] == b'_');
                if j > start && word_ends {
                    let n: usize = sql[start..j].parse().unwrap_or(0);
                    if n > 0 {
                        max = max.max(n);
                        markers.push(Marker { start: i, end: j, n });
                    }
                }
                i = j.max(i + 1);
            }
            _ => i += 1,
        }
    }
    Ok((max, markers))
}

impl DriverConn for MsConn {
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
        self.shared.batch("SELECT 1")
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

fn no_savepoint(name: &str) -> Error {
    Error::invalid_argument(format!("no savepoint named {name} in this transaction (released, rolled back past, or never made)"))
        .with_sqlstate("3B001")
        .with_driver("mssql")
}

struct MsStmt {
    id: u64,
    shared: Arc<Shared>,
    sql: String,
    markers: Vec<Marker>,
    params: Vec<ColumnData<'static>>,
    /// Which parameters are bound to NULL.
    null: Vec<bool>,
}

impl MsStmt {
    /// The SQL and the parameters to send. A parameter bound to NULL is
    /// written into the SQL as the literal `NULL` (and the others are
    /// renumbered): a NULL parameter would need a type, keel's NULL has
    /// none, and SQL Server will not convert the nvarchar NULL drivers send
    /// by default into a binary column (error 257), while the literal goes
    /// anywhere a NULL can. The SQL then differs by which parameters are
    /// NULL, so the server keeps a plan for each such pattern.
    fn request(&self) -> (std::borrow::Cow<'_, str>, Vec<&dyn ToSql>) {
        if !self.null.iter().any(|n| *n) {
            return (self.sql.as_str().into(), self.params.iter().map(|p| p as &dyn ToSql).collect());
        }
        let kept = self.params.iter().zip(&self.null).filter(|(_, n)| !**n).map(|(p, _)| p as &dyn ToSql).collect();
        (inline_nulls(&self.sql, &self.markers, &self.null).into(), kept)
    }
}

/// `sql` with each `@Pn` whose parameter is NULL written as `NULL`, and the
/// other parameters renumbered in order.
fn inline_nulls(sql: &str, markers: &[Marker], null: &[bool]) -> String {
    let mut renumbered = vec![0; null.len()];
    let mut k = 0;
    for (i, n) in null.iter().enumerate() {
        if !n {
            k += 1;
            renumbered[i] = k;
        }
    }
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for m in markers {
        out.push_str(&sql[at..m.start]);
        match renumbered[m.n - 1] {
            0 => out.push_str("NULL"),
            k => {
                out.push_str("@P");
                out.push_str(&k.to_string());
            }
        }
        at = m.end;
    }
    out.push_str(&sql[at..]);
    out
}

impl DriverStmt for MsStmt {
    fn param_count(&self) -> usize {
        self.params.len()
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.params[index] = types::to_param(value)?;
        self.null[index] = matches!(value, ValueRef::Null);
        Ok(())
    }

    fn bind_timestamptz_offset(&mut self, index: usize, micros: i64, offset_seconds: i32) -> Result<()> {
        self.params[index] = types::to_datetimeoffset(micros, offset_seconds)?;
        self.null[index] = false;
        Ok(())
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.params.iter_mut().for_each(|p| *p = ColumnData::String(None));
        self.null.iter_mut().for_each(|n| *n = true);
        Ok(())
    }

    fn execute(&mut self) -> Result<ExecResult> {
        let c = self.shared.client_for(self.id)?;
        self.shared.ran_sql.store(true, Ordering::Release);
        let (sql, refs) = self.request();
        let sql = sql.as_ref();
        let n = self.shared.run(async move { Ok(c.execute(sql, &refs).await?.total()) })?;
        Ok(ExecResult { rows_affected: n, last_insert_id: None })
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let c = self.shared.client_for(self.id)?;
        self.shared.ran_sql.store(true, Ordering::Release);
        let (sql, refs) = self.request();
        let sql = sql.as_ref();
        self.shared.ctl.arm();
        let opened = self.shared.wait(async move {
            let mut s = c.query(sql, &refs).await?;
            let cols: Vec<tiberius::Column> = s.columns().await?.map(<[_]>::to_vec).unwrap_or_default();
            Ok::<_, tiberius::error::Error>((s, cols))
        });
        let (stream, cols) = match opened {
            Ok(r) => match self.shared.check(r) {
                Ok(v) => v,
                Err(e) => {
                    self.shared.ctl.disarm();
                    return Err(e);
                }
            },
            Err(stop) => return Err(self.shared.interrupt(stop, true)),
        };
        let mut columns = Vec::with_capacity(cols.len());
        let mut types = Vec::with_capacity(cols.len());
        for c in &cols {
            let (kind, name) = types::classify(c.column_type());
            columns.push(Column { name: c.name().to_owned(), kind, engine_type: name.to_owned(), nullable: Nullable::Unknown });
            types.push(c.column_type());
        }
        // SAFETY: the stream borrows the client inside `self.shared`; it is
        // kept in the same struct, declared before the client so it drops
        // first, and the slot keeps every other user off the client meanwhile.
        let stream: QueryStream<'static> = unsafe { std::mem::transmute(stream) };
        let generation = self.shared.cursor.open(self.id, stream);
        let n = columns.len();
        Ok(Box::new(MsRows {
            generation,
            done: false,
            seen_metadata: false,
            row: None,
            cells: vec![Cell::Null; n],
            texts: vec![Vec::new(); n],
            columns,
            types,
            shared: self.shared.clone(),
        }))
    }
}

struct MsRows {
    generation: u64,
    done: bool,
    /// The first result set's metadata item was passed.
    seen_metadata: bool,
    row: Option<tiberius::Row>,
    cells: Vec<Cell>,
    /// Per column: the current row's text (NUL-terminated), reused.
    texts: Vec<Vec<u8>>,
    columns: Vec<Column>,
    types: Vec<ColumnType>,
    shared: Arc<Shared>,
}

impl MsRows {
    fn finish(&mut self) {
        self.done = true;
        self.row = None;
        self.shared.close_cursor(self.generation);
    }

    fn decode_row(&mut self, row: &tiberius::Row) -> Result<()> {
        for (i, (_, v)) in row.cells().enumerate().take(self.cells.len()) {
            self.cells[i] = types::decode(self.columns[i].kind, self.types[i], v, &mut self.texts[i])
                .map_err(|e| e.context(format_args!("column {i} ({})", self.columns[i].name)))?;
        }
        Ok(())
    }
}

impl Drop for MsRows {
    fn drop(&mut self) {
        self.row = None;
        self.shared.close_cursor(self.generation);
    }
}

impl DriverRows for MsRows {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn next(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        self.row = None;
        if self.shared.cursor.get(self.generation).is_none() {
            self.done = true;
            return Err(Error::invalid_state("this cursor was closed because its statement was run again"));
        }
        // A cancel asked for between two reads takes effect now, at a
        // token boundary.
        if self.shared.ctl.requested.load(Ordering::SeqCst) {
            drop(self.shared.cursor.take(self.generation));
            self.done = true;
            return Err(self.shared.interrupt(Stop::Cancel, true));
        }
        loop {
            let shared = self.shared.clone();
            let stream = shared.cursor.get(self.generation).expect("checked above");
            let item = shared.wait(stream.try_next());
            match item {
                Err(stop) => {
                    drop(shared.cursor.take(self.generation));
                    self.done = true;
                    // The stream may have been in the middle of a row.
                    return Err(shared.interrupt(stop, false));
                }
                Ok(Ok(Some(QueryItem::Metadata(_)))) if !self.seen_metadata => self.seen_metadata = true,
                Ok(Ok(None)) => {
                    // The response was read to its end.
                    shared.ctl.disarm();
                    self.finish();
                    return Ok(false);
                }
                // A second result set: keel reads only the first, and the
                // rest is stopped (with an attention) as the cursor closes.
                Ok(Ok(Some(QueryItem::Metadata(_)))) => {
                    self.finish();
                    return Ok(false);
                }
                Ok(Ok(Some(QueryItem::Row(row)))) => {
                    self.seen_metadata = true;
                    if let Err(e) = self.decode_row(&row) {
                        self.finish();
                        return Err(e);
                    }
                    self.row = Some(row);
                    return Ok(true);
                }
                Ok(Err(e)) => {
                    let err = shared.check(Err::<(), _>(e)).unwrap_err();
                    // An error ends the response; nothing is left to cancel.
                    shared.ctl.disarm();
                    self.finish();
                    return Err(err);
                }
            }
        }
    }

    fn value(&self, i: usize) -> ValueRef<'_> {
        let text = || {
            let t = &self.texts[i];
            // SAFETY: filled from a &str by `types::decode`, plus a NUL.
            unsafe { std::str::from_utf8_unchecked(&t[..t.len().saturating_sub(1)]) }
        };
        match self.cells[i] {
            Cell::Null => ValueRef::Null,
            Cell::Bool(b) => ValueRef::Bool(b),
            Cell::Int(n) => ValueRef::Int64(n),
            Cell::Double(f) => ValueRef::Double(f),
            Cell::Date(d) => ValueRef::Date(d),
            Cell::Time(t) => ValueRef::Time(t),
            Cell::Timestamp(t) => ValueRef::Timestamp(t),
            Cell::Timestamptz(t, _) => ValueRef::Timestamptz(t),
            Cell::Uuid(u) => ValueRef::Uuid(u),
            Cell::Text => match self.columns[i].kind {
                K::Json => ValueRef::Json(text()),
                _ => ValueRef::Text(text()),
            },
            Cell::Decimal => ValueRef::Decimal(text()),
            Cell::Bytes => match self.row.as_ref().and_then(|r| r.cells().nth(i)) {
                Some((_, ColumnData::Binary(Some(b)))) => ValueRef::Bytes(b),
                _ => ValueRef::Null,
            },
        }
    }

    fn tz_offset(&self, i: usize) -> Option<i32> {
        match self.cells[i] {
            Cell::Timestamptz(_, off) => Some(off),
            _ => None,
        }
    }

    fn text_is_nul_terminated(&self) -> bool {
        // Every text and decimal value comes from `texts`.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_only() {
        assert!(scan_statement("SELECT 1").is_ok());
        assert!(scan_statement("SELECT 1; -- done\n").is_ok());
        assert!(scan_statement("SELECT ';' AS [a;b] /* ; x */;").is_ok());
        assert!(scan_statement("INSERT INTO t VALUES (1); DROP TABLE t").is_err());
        assert!(scan_statement("SELECT 1;SELECT 2").is_err());
    }

    #[test]
    fn null_parameters_are_written_as_null_and_the_rest_renumbered() {
        let sql = "INSERT INTO t VALUES (@P1, '@P2', @P2, @P3) -- @P1";
        let (_, m) = scan_statement(sql).unwrap();
        assert_eq!(inline_nulls(sql, &m, &[false, true, false]), "INSERT INTO t VALUES (@P1, '@P2', NULL, @P2) -- @P1");
        assert_eq!(inline_nulls(sql, &m, &[true, true, true]), "INSERT INTO t VALUES (NULL, '@P2', NULL, NULL) -- @P1");
        let (_, m) = scan_statement("SELECT @P2 + @P1 + @P2").unwrap();
        assert_eq!(inline_nulls("SELECT @P2 + @P1 + @P2", &m, &[true, false]), "SELECT @P1 + NULL + @P1");
    }

    #[test]
    fn parameters_are_counted() {
        assert_eq!(scan_statement("SELECT @P1, @P2").unwrap().0, 2);
        assert_eq!(scan_statement("SELECT @P3 + @p1").unwrap().0, 3);
        assert_eq!(scan_statement("SELECT '@P9', [@P8], @Price, @@P2 -- @P7\n").unwrap(), (0, vec![]));
        assert_eq!(scan_statement("SELECT @P1x").unwrap().0, 0);
        assert_eq!(scan_statement("SELECT @P2,@P1").unwrap().1, vec![Marker { start: 7, end: 10, n: 2 }, Marker { start: 11, end: 14, n: 1 }]);
    }
}
