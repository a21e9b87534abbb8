//! SQL Server, on the `tiberius` crate, driven by one shared tokio runtime
//! behind keel's blocking calls.
//!
//! URL: `mssql://user:password@host:1433/database?options` (`sqlserver://`
//! too). Options: `options.rs` (keel's option table). TLS is rustls with the ring provider, done by the
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
//! `keel_conn_ingest` goes by the TDS bulk load ([`bulk`]).
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

mod bulk;
mod catalog;
mod errors;
mod rows;
mod session;
mod sql;
mod statement;
mod types;
mod wire;

use session::{Ctl, MsConn, Shared};

use super::cursor_slot::CursorSlot;
use crate::core::sql::{Placeholder, Syntax};
use crate::core::driver::{
    Connector, Driver, DriverConn,
};
use crate::core::error::{Error, Result, RetrySafety, Status};
use crate::core::options::{OptSpec, Options};
use crate::drivers::tls::{self, Check};
use crate::core::url::ConnUrl;
use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::time::Duration;
use tiberius::Client as Tiberius;
use tiberius::{AuthMethod, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncWriteCompatExt;
use wire::{Encrypt, TlsSetup, Wire, WireState};

/// T-SQL, as the core's lexer reads it: `@P1` parameters, `"..."` and
/// `[x]` identifiers, `@` and `#` in names (`@var`, `#temp`). Backticks
/// are no T-SQL, but are skipped as quotes so that no `?` inside one is
/// rewritten. Batches run row by row.
pub static SYNTAX: Syntax = Syntax {
    engine: "SQL Server",
    placeholder: Placeholder::Numbered("@P"),
    backtick_identifiers: true,
    bracket_identifiers: true,
    quote_with_brackets: true,
    word_bytes: b"@#",
    ..Syntax::STANDARD
};

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
pub(super) fn rt() -> &'static tokio::runtime::Runtime {
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

/// Session settings ODBC applies at connect, so SQL behaves as users of
/// other drivers expect (NULL comparisons, "..." identifiers, errors on
/// truncation), and the server's version.
const SESSION_INIT: &str = "SET ANSI_NULLS ON; SET ANSI_PADDING ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; \
     SET CONCAT_NULL_YIELDS_NULL ON; SET QUOTED_IDENTIFIER ON; SET IMPLICIT_TRANSACTIONS OFF; \
     SET TEXTSIZE 2147483647; SELECT @@VERSION";

/// How long an attention may take to be acknowledged before keel gives the
/// connection up.
pub(super) const ATTENTION_WAIT: Duration = Duration::from_secs(5);

impl Driver for MssqlDriver {
    fn name(&self) -> &'static str {
        "mssql"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["mssql", "sqlserver"]
    }
    fn syntax(&self) -> &'static Syntax {
        &SYNTAX
    }
    fn column_type_sql(&self, kind: crate::core::value::Type, decimal: Option<(u8, i8)>) -> Option<String> {
        use crate::core::value::Type;
        // SQL Server has no uint64 or json column type that reads back as one.
        Some(
            match kind {
            Type::Bool => "BIT",
            Type::Int64 => "BIGINT",
            Type::Double => "FLOAT",
            Type::Text => "NVARCHAR(MAX)",
            Type::Bytes => "VARBINARY(MAX)",
            Type::Date => "DATE",
            Type::Time => "TIME",
            Type::Timestamp => "DATETIME2",
            Type::Timestamptz => "DATETIMEOFFSET",
            Type::Uuid => "UNIQUEIDENTIFIER",
            Type::Decimal => return match decimal {
                Some((p, s)) if p <= 38 => Some(format!("DECIMAL({p},{s})")),
                // SQL Server's DECIMAL holds at most 38 digits.
                Some(_) => None,
                None => Some("DECIMAL(38,10)".to_owned()),
            },
                _ => return None,
            }
            .to_owned(),
        )
    }
    fn options(&self) -> &'static [OptSpec] {
        super::options::mssql::OPTIONS
    }
    fn connector(&self, url: &ConnUrl, opts: &Options) -> Result<Box<dyn Connector>> {
        url.require_authority("SQL Server")?;
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

pub(super) fn ms<T>(r: std::result::Result<T, tiberius::error::Error>) -> Result<T> {
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
pub(super) fn wire_failure(state: &WireState) -> Option<Error> {
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
                ping_silence: self.socket_timeout.or(self.connect_timeout).unwrap_or(Duration::from_secs(10)),
                ran_sql: AtomicBool::new(false),
            }),
            version,
            in_tx: false,
            savepoints: Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::sql::*;

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
