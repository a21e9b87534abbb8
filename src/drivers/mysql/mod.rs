//! MySQL and MariaDB, on the `mysql` crate (binary protocol: prepared
//! statements for every query).
//!
//! URL: `mysql://user:password@host:port/db?options` (`mariadb://` too).
//! TCP is used for the host the URL names, never a unix socket behind its
//! back. Options: `options.rs` (keel's option table); `statement_timeout_ms`
//! is `max_statement_time` on MariaDB and `max_execution_time` on MySQL,
//! and `socket_timeout_ms` the socket's read and write timeouts (a silent
//! network fails the call with TIMEOUT and the session is closed).
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

mod bulk;
mod catalog;
mod errors;
mod load;
mod rows;
mod session;
mod statement;
mod tls;
mod types;

use session::{Killer, MyConn, Shared, TxState};

use super::cursor_slot::CursorSlot;

use crate::core::sql::{InsertGrammar, InsertTail, Syntax};
use crate::core::driver::{
    Connector, Driver, DriverConn,
};
use crate::core::error::{Error, Result};
use crate::core::options::{OptSpec, Options};
use crate::core::url::ConnUrl;
use mysql::prelude::Queryable;
use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// MySQL's and MariaDB's SQL, as the core's lexer reads it: `?`
/// parameters, backslash escapes in `'...'` and `"..."` strings (a
/// double-quoted string is an identifier only under ANSI_QUOTES),
/// `` `x` `` identifiers, `#` comments, `/*! */` code, `_charset'...'`
/// introducers, and multi-row INSERTs with REPLACE, the INSERT modifiers,
/// `VALUE` and `ON DUPLICATE KEY UPDATE`.
pub static SYNTAX: Syntax = Syntax {
    engine: "MySQL",
    backslash_escapes: true,
    double_quoted_strings: true,
    backtick_identifiers: true,
    hash_comments: true,
    executable_comments: true,
    charset_introducers: true,
    insert: Some(InsertGrammar {
        replace: true,
        modifiers: &["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE"],
        table_alias: false,
        value_keyword: true,
        tail: InsertTail::OnDuplicateKeyUpdate,
    }),
    ..Syntax::STANDARD
};

pub struct MysqlDriver;

impl Driver for MysqlDriver {
    fn name(&self) -> &'static str {
        "mysql"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["mysql", "mariadb"]
    }
    fn syntax(&self) -> &'static Syntax {
        &SYNTAX
    }
    fn column_type_sql(&self, kind: crate::core::value::Type, decimal: Option<(u8, i8)>) -> Option<String> {
        use crate::core::value::Type;
        // MySQL has no uuid type that reads back as one.
        Some(
            match kind {
            Type::Bool => "BOOLEAN",
            Type::Int64 => "BIGINT",
            Type::Uint64 => "BIGINT UNSIGNED",
            Type::Double => "DOUBLE",
            Type::Text => "LONGTEXT",
            Type::Bytes => "LONGBLOB",
            Type::Date => "DATE",
            Type::Time => "TIME(6)",
            Type::Timestamp => "DATETIME(6)",
            // Years 1970 to 2038 only: MySQL's one type that reads back as
            // an instant.
            Type::Timestamptz => "TIMESTAMP(6) NULL",
            Type::Json => "JSON",
            Type::Decimal => return match decimal {
                Some((p, s)) if p <= 65 && s <= 30 => Some(format!("DECIMAL({p},{s})")),
                // MySQL's DECIMAL holds at most 65 digits, 30 of them after the point.
                Some(_) => None,
                None => Some("DECIMAL(65,30)".to_owned()),
            },
                _ => return None,
            }
            .to_owned(),
        )
    }
    fn options(&self) -> &'static [OptSpec] {
        super::options::mysql::OPTIONS
    }
    fn several_hosts(&self) -> bool {
        true
    }
    fn connector(&self, url: &ConnUrl, opts: &Options) -> Result<Box<dyn Connector>> {
        url.require_authority("MySQL")?;
        let tls = tls::policy(&tls::SslOptions {
            ssl_mode: opts.text("ssl_mode").unwrap_or(""),
            ssl_ca: opts.text("ssl_ca").unwrap_or(""),
            ssl_cert: opts.text("ssl_cert").unwrap_or(""),
            ssl_key: opts.text("ssl_key").unwrap_or(""),
        })?;
        let several = !url.more_hosts.is_empty();
        let mut each: Vec<(String, Box<dyn Connector>)> = Vec::new();
        for h in url.hosts() {
            let host = h.host.unwrap_or_else(|| "127.0.0.1".into());
            let port = h.port.unwrap_or(3306);
            let c = self.connector_for(url, opts, host, port, &tls, several)?;
            each.push((c.server.clone(), Box::new(c)));
        }
        if each.len() == 1 {
            return Ok(each.pop().expect("one").1);
        }
        Ok(Box::new(super::hosts::Hosts { engine: "MySQL", each, random: opts.text("load_balance_hosts") == Some("random") }))
    }
}

impl MysqlDriver {
    /// The connector for one host of the URL.
    fn connector_for(
        &self,
        url: &ConnUrl,
        opts: &Options,
        host: String,
        port: u16,
        tls: &tls::Tls,
        check_wsrep: bool,
    ) -> Result<MyConnector> {
        let ms = |key| Some(opts.uint(key)).filter(|v| *v > 0).map(|v| Duration::from_millis(v as u64));
        let keepalive = opts.uint("tcp_keepalive_ms");
        // While connecting (handshake, authentication, session setup) every
        // read and write waits at most connect_timeout_ms, so a server that
        // accepts the connection and then says nothing fails the connect;
        // afterwards the socket gets socket_timeout_ms (see `connect`).
        let setup = ms("connect_timeout_ms").or(ms("socket_timeout_ms"));
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
        Ok(MyConnector {
            check_wsrep,
            opts: mysql::Opts::from(b.ssl_opts(tls.ssl_opts.clone())),
            plain: (tls.mode == tls::Mode::Preferred).then_some(plain),
            no_tls: AtomicBool::new(false),
            tls_mode: tls.mode,
            // `[::1]:3306` for an IPv6 address, as it is written.
            server: crate::core::url::address(&host, port),
            statement_timeout_ms: opts.uint("statement_timeout_ms"),
            connect_timeout_ms: opts.uint("connect_timeout_ms"),
            socket_timeout: ms("socket_timeout_ms"),
            zero_as_null: opts.text("zero_date") == Some("null"),
            mariadb_bulk: opts.text("mariadb_bulk") != Some("off"),
        })
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
    /// mariadb_bulk=on (the default).
    mariadb_bulk: bool,
    /// The URL names several hosts: refuse a Galera node that is not
    /// ready (wsrep_ready OFF: not in the cluster's primary component).
    check_wsrep: bool,
}

pub(super) fn my<T>(r: std::result::Result<T, mysql::Error>) -> Result<T> {
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
        // MariaDB reports wsrep_ready OFF without Galera too: ask only a
        // server with wsrep on (MySQL has neither; both answer no row).
        let wsrep_on = |conn: &mut mysql::Conn| -> Result<bool> {
            let on: Option<(String, String)> = my(conn.query_first("SHOW VARIABLES LIKE 'wsrep_on'"))?;
            Ok(on.is_some_and(|(_, v)| v.eq_ignore_ascii_case("ON")))
        };
        if self.check_wsrep && wsrep_on(&mut conn)? {
            let ready: Option<(String, String)> = my(conn.query_first("SHOW STATUS LIKE 'wsrep_ready'"))?;
            if ready.is_some_and(|(_, v)| !v.eq_ignore_ascii_case("ON")) {
                return Err(Error::new(
                    crate::core::error::Status::Io,
                    "the Galera node is not ready (wsrep_ready is OFF: it is not part of the cluster's primary component)",
                )
                .with_sqlstate("08S01")
                .with_driver("mysql")
                .with_retry(crate::core::error::RetrySafety::NotSent));
            }
        }
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
                // While connecting the socket waits are connect_timeout_ms,
                // not the socket_timeout_ms the converted message names.
                let io = e
                    .message
                    .strip_prefix("the MySQL server sent nothing for socket_timeout_ms (")
                    .and_then(|m| m.strip_suffix(')'))
                    .unwrap_or(&e.message);
                e.message = format!("could not connect to MySQL: no answer within connect_timeout_ms={} ({io})", self.connect_timeout_ms);
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
                killer: Arc::new(Killer { opts, connection_id, requested: AtomicBool::new(false), in_flight: AtomicUsize::new(0) }),
                tx: TxState { tracked, open: AtomicBool::new(false), autocommit_off: AtomicBool::new(false) },
                unclosed: std::sync::Mutex::new(Vec::new()),
            }),
            bulk: self.mariadb_bulk && bulk::speaks_bulk(&version),
            version,
            in_tx: false,
            zero_as_null: self.zero_as_null,
            max_packet: usize::try_from(max_packet).unwrap_or(usize::MAX),
        }))
    }
}
#[cfg(test)]
mod tests {
    use super::session::split_target;

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
