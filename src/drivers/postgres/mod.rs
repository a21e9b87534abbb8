//! PostgreSQL, on tokio-postgres, driven blocking by keel's own session
//! (`client.rs`, which owns the socket so that a silent network times out).
//!
//! URL: `postgres://user:password@host:port/dbname?options`; a host that
//! starts with `/` (percent-encoded in the URL) is the directory of the
//! server's Unix socket. Several hosts (`h1:5432,h2:5433`) are tried as
//! libpq tries them, for the server `target_session_attrs` asks for, in
//! order or shuffled (`load_balance_hosts`). Options: `options.rs` (keel's option table).
//! Results stream: rows are read from the socket as `keel_rows_next` asks for them (tokio-postgres applies
//! back-pressure), so a huge SELECT runs in bounded memory. Because the
//! protocol carries one result at a time, a connection with an open cursor
//! refuses other work until the cursor is read to its end or freed.
//!
//! TLS: rustls, with libpq's `sslmode` (`disable`, `prefer`, `require`,
//! `verify-ca`, `verify-full`), `sslrootcert`, and client certificates
//! with `sslcert`/`sslkey`; see [`tls`] for what each mode checks and
//! which default files under `~/.postgresql` are used.

mod catalog;
mod client;
mod copy;
mod errors;
mod tls;
mod types;

use crate::core::sql::{InsertGrammar, InsertTail, Placeholder, Syntax};
use crate::core::driver::{
    ByteRef, CancelHandle, Capability, Connector, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, Isolation, MultiRowLimits,
    PipelineError, Run, TxLock, TxOptions, Vector, VectorData,
};
use crate::core::error::{Error, Result};
use crate::core::options::{OptSpec, Options};
use crate::core::url::ConnUrl;
use crate::core::value::{Column, Nullable, Type as K, Value, ValueRef};
use client::{Client, Effect, Target};
use futures_core::Stream;
use std::cell::UnsafeCell;
use std::pin::Pin;
use std::task::Poll;
use std::sync::Arc;
use std::time::Duration;
use super::cursor_slot::{CursorSlot, statement_id};
use tokio_postgres::types::{FromSql, Kind, Type};
use types::{Param, Plan};

/// PostgreSQL's SQL, as the core's lexer reads it: `$1` parameters,
/// standard strings and `E'...'` strings with backslash escapes, `"..."`
/// identifiers, nested `/* */` comments, `$tag$` dollar quotes, `$` inside
/// words, and multi-row INSERTs with `AS alias` and `ON CONFLICT ... DO
/// NOTHING`.
pub static SYNTAX: Syntax = Syntax {
    engine: "PostgreSQL",
    placeholder: Placeholder::Numbered("$"),
    e_strings: true,
    nested_comments: true,
    dollar_quotes: true,
    insert: Some(InsertGrammar {
        replace: false,
        modifiers: &[],
        table_alias: true,
        value_keyword: false,
        tail: InsertTail::OnConflictDoNothing,
    }),
    ..Syntax::STANDARD
};

pub struct PostgresDriver;

impl Driver for PostgresDriver {
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["postgres", "postgresql"]
    }
    fn syntax(&self) -> &'static Syntax {
        &SYNTAX
    }
    fn column_type_sql(&self, kind: crate::core::value::Type, decimal: Option<(u8, i8)>) -> Option<String> {
        use crate::core::value::Type;
        // PostgreSQL has no unsigned 64-bit type that reads back as uint64.
        Some(
            match kind {
            Type::Bool => "BOOLEAN",
            Type::Int64 => "BIGINT",
            Type::Double => "DOUBLE PRECISION",
            Type::Text => "TEXT",
            Type::Bytes => "BYTEA",
            Type::Date => "DATE",
            Type::Time => "TIME",
            Type::Timestamp => "TIMESTAMP",
            Type::Timestamptz => "TIMESTAMPTZ",
            Type::Uuid => "UUID",
            Type::Json => "JSON",
            Type::Decimal => return Some(match decimal {
                Some((p, s)) => format!("NUMERIC({p},{s})"),
                None => "NUMERIC".to_owned(),
            }),
                _ => return None,
            }
            .to_owned(),
        )
    }
    fn array_type_sql(&self, element: &str) -> Option<String> {
        Some(format!("{element}[]"))
    }
    fn options(&self) -> &'static [OptSpec] {
        super::options::postgres::OPTIONS
    }
    fn several_hosts(&self) -> bool {
        true
    }
    fn connector(&self, url: &ConnUrl, opts: &Options) -> Result<Box<dyn Connector>> {
        url.require_authority("PostgreSQL")?;
        let tls = tls::policy(&tls::SslOptions {
            sslmode: opts.text("sslmode").unwrap_or("prefer"),
            sslrootcert: opts.text("sslrootcert").unwrap_or(""),
            sslcert: opts.text("sslcert").unwrap_or(""),
            sslkey: opts.text("sslkey").unwrap_or(""),
        })?;
        let mut cfg = tokio_postgres::Config::new();
        // No user in the URL: the operating system's, as libpq takes it
        // (the process's user, whatever $USER says when it is unset).
        let user = url.user.clone().or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty())).or_else(os_user).unwrap_or_else(|| "postgres".into());
        cfg.user(&user);
        if let Some(p) = &url.password {
            cfg.password(p);
        }
        cfg.dbname(if url.path.is_empty() { &user } else { &url.path });
        cfg.ssl_mode(tls.mode);
        let ms = |key| Some(opts.uint(key)).filter(|v| *v > 0).map(|v| Duration::from_millis(v as u64));
        let targets = url
            .hosts()
            .into_iter()
            .map(|h| {
                Arc::new(Target {
                    host: h.host.unwrap_or_else(|| "localhost".into()),
                    port: h.port.unwrap_or(5432),
                    connect_timeout: ms("connect_timeout_ms"),
                    keepalive: ms("tcp_keepalive_ms"),
                    tls: tls.clone(),
                })
            })
            .collect();
        let attrs = match opts.text("target_session_attrs").unwrap_or("any") {
            "read-write" => Attrs::ReadWrite,
            "read-only" => Attrs::ReadOnly,
            "primary" => Attrs::Primary,
            "standby" => Attrs::Standby,
            "prefer-standby" => Attrs::PreferStandby,
            _ => Attrs::Any,
        };
        if let Some(a) = opts.text("application_name") {
            cfg.application_name(a);
        }
        let mut server_opts = Vec::new();
        let st = opts.uint("statement_timeout_ms");
        if st > 0 {
            server_opts.push(format!("-c statement_timeout={st}"));
        }
        if let Some(sp) = opts.text("search_path") {
            server_opts.push(format!("-c search_path={}", escape_startup_option(sp)));
        }
        if !server_opts.is_empty() {
            cfg.options(&server_opts.join(" "));
        }
        Ok(Box::new(PgConnector {
            cfg,
            targets,
            socket_timeout: ms("socket_timeout_ms"),
            attrs,
            random: opts.text("load_balance_hosts") == Some("random"),
            unnamed: opts.text("prepared_statements") == Some("unnamed"),
        }))
    }
}

/// A value for the startup packet's `options`, which the server splits at
/// whitespace (its `isspace`: space, tab, newline, vertical tab, form feed,
/// carriage return) and where a backslash takes the next byte as it is.
/// Escaping every one of those keeps a value one value: `public\t-c\t...`
/// cannot set another option.
fn escape_startup_option(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '\\' | ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// libpq's `target_session_attrs`: which server a connection may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attrs {
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
    PreferStandby,
}

impl Attrs {
    fn name(self) -> &'static str {
        match self {
            Attrs::Any => "any",
            Attrs::ReadWrite => "read-write",
            Attrs::ReadOnly => "read-only",
            Attrs::Primary => "primary",
            Attrs::Standby => "standby",
            Attrs::PreferStandby => "prefer-standby",
        }
    }

    /// Why a server in this role does not do, or `None` when it does.
    /// `role`: (in recovery, transaction_read_only).
    fn refuses(self, (in_recovery, read_only): (bool, bool)) -> Option<&'static str> {
        match self {
            Attrs::Any | Attrs::PreferStandby => None,
            Attrs::ReadWrite if read_only => Some("the server is read-only (transaction_read_only is on), not read-write"),
            Attrs::ReadOnly if !read_only => Some("the server is read-write, not read-only"),
            Attrs::Primary if in_recovery => Some("the server is a standby (in recovery), not a primary"),
            Attrs::Standby if !in_recovery => Some("the server is a primary (not in recovery), not a standby"),
            _ => None,
        }
    }

    /// Whether a pooled session opened for this must be checked again at
    /// checkout (a failover changes which server is which).
    fn checked_at_checkout(self) -> bool {
        !matches!(self, Attrs::Any | Attrs::PreferStandby)
    }
}

/// The server's version, whether it is in recovery, and
/// transaction_read_only: what `target_session_attrs` looks at (as libpq,
/// which asks `SHOW transaction_read_only` and `SELECT pg_is_in_recovery()`).
const ROLE_QUERY: &str = "SELECT current_setting('server_version'), pg_catalog.pg_is_in_recovery()::text, \
                          current_setting('transaction_read_only')";

/// Ask the session's role: (in recovery, transaction_read_only) and the
/// server version. Part of connecting or of a checkout: nothing runs.
fn ask_role(client: &mut Client, limit: Option<Duration>) -> Result<(String, (bool, bool))> {
    let rows = client.run(Effect::NoRun, limit, |c| c.simple_query(ROLE_QUERY))?;
    for m in rows {
        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
            let version = r.get(0).unwrap_or_default().to_owned();
            return Ok((version, (r.get(1) == Some("true"), r.get(2) == Some("on"))));
        }
    }
    Err(Error::new(crate::core::error::Status::Internal, "the server sent no row for its role").with_driver("postgres"))
}

struct PgConnector {
    cfg: tokio_postgres::Config,
    /// The URL's hosts, in the order written.
    targets: Vec<Arc<Target>>,
    socket_timeout: Option<Duration>,
    attrs: Attrs,
    /// `load_balance_hosts=random`.
    random: bool,
    /// `prepared_statements=unnamed`.
    unnamed: bool,
}

impl PgConnector {
    /// Open a session on `target` and check that it is a server `attrs`
    /// allows.
    fn connect_to(&self, target: &Arc<Target>, attrs: Attrs) -> Result<PgConn> {
        let mut client = Client::connect(&self.cfg, target, self.socket_timeout)?;
        let version = if attrs == Attrs::Any && self.attrs == Attrs::Any {
            client
                // Still part of connecting: connect_timeout_ms limits the wait.
                .run(Effect::NoRun, target.connect_timeout, |c| c.simple_query("SHOW server_version"))
                .map_err(|e| e.not_sent())?
                .into_iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                    _ => None,
                })
                .unwrap_or_default()
        } else {
            let (version, role) = ask_role(&mut client, target.connect_timeout).map_err(|e| e.not_sent())?;
            if let Some(why) = attrs.refuses(role) {
                return Err(Error::new(crate::core::error::Status::Io, why)
                    .with_sqlstate("08001")
                    .with_driver("postgres")
                    .with_retry(crate::core::error::RetrySafety::NotSent));
            }
            version
        };
        // A write refused as read-only means the server is a standby now
        // (a failover): the pool closes the session instead of reusing it.
        client.retire_on_read_only = matches!(self.attrs, Attrs::ReadWrite | Attrs::Primary);
        Ok(PgConn {
            tx: client.tx_status(),
            shared: Arc::new(Shared { cursor: CursorSlot::default(), client: UnsafeCell::new(client) }),
            target: target.clone(),
            version,
            attrs: self.attrs,
            unnamed: self.unnamed,
        })
    }
}

impl Connector for PgConnector {
    fn connect(&self) -> Result<Box<dyn DriverConn>> {
        let order = super::hosts::order(self.targets.len(), self.random);
        // prefer-standby: a standby first, then, as libpq, any server.
        let passes = match self.attrs {
            Attrs::PreferStandby => vec![Attrs::Standby, Attrs::Any],
            a => vec![a],
        };
        let mut tried = Vec::new();
        for attrs in passes {
            for &i in &order {
                let t = &self.targets[i];
                match self.connect_to(t, attrs) {
                    Ok(c) => return Ok(Box::new(c)),
                    // `[::1]:5432` for an IPv6 address, as it is written.
                    Err(e) => tried.push((crate::core::url::address(&t.host, t.port), e)),
                }
            }
        }
        let what = if self.attrs == Attrs::Any { String::new() } else { format!(" (target_session_attrs={})", self.attrs.name()) };
        Err(super::hosts::none_would_do("PostgreSQL", &what, tried))
    }
}

/// The client, shared by a connection, its statements and its cursor.
///
/// A cursor's row stream needs the client to drive the connection on every
/// read, so while a cursor is open the client belongs to it: keel keeps
/// that rule with a [`CursorSlot`], and every other use of the client
/// checks it first ([`Shared::client`]); a cursor holds an `Arc` of this,
/// so the client outlives it.
struct Shared {
    /// The open cursor's row stream. Declared before `client`, so it is
    /// dropped first.
    cursor: CursorSlot<Pin<Box<tokio_postgres::RowStream>>>,
    client: UnsafeCell<Client>,
}

// SAFETY: the client is Send; the core's promise (`core::driver`, "What the core promises drivers about threads")
// means no two calls use the client at once, and the cursor slot keeps the
// cursor's claim on it.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// The client, unless a cursor holds it.
    #[allow(clippy::mut_from_ref)]
    fn client(&self) -> Result<&mut Client> {
        if self.cursor.is_busy() {
            return Err(Error::invalid_state(
                "a cursor is still open on this PostgreSQL connection: read it to the end or free it first",
            ).not_sent());
        }
        // SAFETY: see the type's docs.
        Ok(unsafe { &mut *self.client.get() })
    }

    /// The client, for the open cursor's own reads.
    #[allow(clippy::mut_from_ref)]
    fn client_for_cursor(&self) -> &mut Client {
        // SAFETY: see the type's docs.
        unsafe { &mut *self.client.get() }
    }

    /// The client for statement `owner`: a cursor that statement opened
    /// earlier is closed first; any other open cursor is an error.
    #[allow(clippy::mut_from_ref)]
    fn client_for(&self, owner: u64) -> Result<&mut Client> {
        if let Some(generation) = self.cursor.opened_by(owner) {
            drop(self.cursor.take(generation));
        }
        self.client()
    }
}

struct PgConn {
    shared: Arc<Shared>,
    target: Arc<Target>,
    version: String,
    /// What the session was opened for (`target_session_attrs`).
    attrs: Attrs,
    /// `prepared_statements=unnamed`.
    unnamed: bool,
    /// The server's transaction status (`client::TxStatus`).
    tx: client::TxStatus,
}

/// PostgreSQL's protocol counts a statement's parameters in 16 bits.
const MAX_PARAMS: usize = 65535;

impl PgConn {
    fn batch(&mut self, sql: &str) -> Result<()> {
        let c = self.shared.client()?;
        c.run(Effect::Runs, None, |c| c.batch_execute(sql))
    }
}

impl DriverConn for PgConn {
    fn bulk_insert(
        &mut self,
        target: &crate::core::driver::BulkTarget<'_>,
        src: &mut dyn crate::core::ingest::RowSource,
    ) -> Result<Option<u64>> {
        let c = self.shared.client()?;
        copy::copy_in(c, target.table, target.columns, src)
    }

    /// A batch of `INSERT INTO <target> (...) VALUES (?, ...)` goes by
    /// binary COPY when COPY does what the INSERT would: into a plain
    /// table, or a partitioned one from PostgreSQL 11 (which COPY fills),
    /// with no rules (COPY skips them) and no row-level security (COPY
    /// FROM refuses it), which the session may read (the COPY's column
    /// probe is a SELECT). A `GENERATED ALWAYS` identity column, which
    /// COPY would fill with the values given, cannot be in the list: the
    /// INSERT naming it fails when it is prepared.
    fn appends_to(&mut self, target: &str) -> Result<bool> {
        let c = self.shared.client()?;
        let sql = "SELECT (c.relkind = 'r' OR (c.relkind = 'p' AND current_setting('server_version_num')::int >= 110000)) \
                   AND NOT c.relhasrules AND NOT c.relrowsecurity \
                   AND pg_catalog.has_table_privilege(c.oid, 'SELECT') \
                   FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)";
        let params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 1] = [(&target, Type::TEXT)];
        let rows = c.run(Effect::NoRun, None, |c| c.query_typed(sql, &params))?;
        Ok(rows.first().is_some_and(|r| r.get::<_, Option<bool>>(0) == Some(true)))
    }

    fn append_rows(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[ValueRef<'_>],
        _width: usize,
    ) -> std::result::Result<Option<u64>, PipelineError> {
        // Without a column list the INSERT fills the first columns, which
        // a COPY without one would not.
        if columns.is_empty() {
            return Ok(None);
        }
        let whole = |error| PipelineError { row: None, error, rolled_back: false };
        // Outside a transaction the probe of the columns' types and the
        // COPY run in one of keel's own: behind a pooler in transaction
        // mode the probe's Parse and Close then reach the same server
        // connection (as `describe_unnamed` does), and a failed COPY
        // leaves none of its rows.
        let own = !self.in_transaction();
        let c = self.shared.client().map_err(whole)?;
        if own {
            c.run(Effect::NoRun, None, |c| c.batch_execute("BEGIN")).map_err(whole)?;
        }
        let copied = copy::copy_rows(c, table, columns, rows);
        if !own {
            return copied.map_err(whole);
        }
        let end = if matches!(copied, Ok(Some(_))) { "COMMIT" } else { "ROLLBACK" };
        let ended = c.run(Effect::Runs, None, |c| c.batch_execute(end));
        match (copied, ended) {
            (Ok(n), Ok(())) => Ok(n),
            (Err(error), _) => Err(PipelineError { row: None, error, rolled_back: true }),
            (Ok(_), Err(error)) => Err(PipelineError { row: None, error, rolled_back: true }),
        }
    }

    fn prepare(&mut self, sql: &str) -> Result<Box<dyn DriverStmt>> {
        copy_over_the_connection(sql)?;
        let highest = crate::core::sql::highest_native_param(sql, &SYNTAX);
        if highest > MAX_PARAMS {
            return Err(Error::invalid_argument(format!(
                "the statement has {highest} parameters; PostgreSQL's protocol allows at most {MAX_PARAMS}"
            ))
            .with_sqlstate("54023")
            .with_driver("postgres"));
        }
        let in_tx = self.in_transaction();
        let c = self.shared.client()?;
        let (stmt, unnamed) = if self.unnamed { (None, Some(describe_unnamed(c, sql, in_tx)?)) } else {
            (Some(c.run(Effect::NoRun, None, |c| c.prepare(sql))?), None)
        };
        let n = stmt.as_ref().map_or_else(|| unnamed.as_ref().map_or(0, |u| u.0.len()), |s| s.params().len());
        let mut st = PgStmt {
            id: statement_id(),
            shared: self.shared.clone(),
            sql: sql.to_owned(),
            stmt,
            param_types: Vec::new(),
            params: vec![Param(Value::Null); n],
            cols: None,
        };
        if let Some((types, cols)) = unnamed {
            st.param_types = types;
            st.cols = Some(cols);
        }
        Ok(Box::new(st))
    }

    fn begin(&mut self, opts: &TxOptions) -> Result<()> {
        if opts.lock != TxLock::Default {
            return Err(Error::invalid_argument(
                "PostgreSQL has no DEFERRED/IMMEDIATE/EXCLUSIVE transactions; leave lock at KEEL_TX_LOCK_DEFAULT",
            ));
        }
        let mut sql = String::from("BEGIN");
        sql.push_str(match opts.isolation {
            Isolation::Default => "",
            Isolation::ReadUncommitted => " ISOLATION LEVEL READ UNCOMMITTED",
            Isolation::ReadCommitted => " ISOLATION LEVEL READ COMMITTED",
            Isolation::RepeatableRead | Isolation::Snapshot => " ISOLATION LEVEL REPEATABLE READ",
            Isolation::Serializable => " ISOLATION LEVEL SERIALIZABLE",
        });
        if opts.read_only {
            sql.push_str(" READ ONLY");
        }
        self.batch(&sql)
    }

    fn commit(&mut self) -> Result<()> {
        // After a failed statement the server answers COMMIT with a
        // ROLLBACK and no error, so a bare COMMIT would report success for
        // lost work. The probe (same round trip) fails first in that case.
        match self.batch("SELECT 1; COMMIT") {
            Ok(()) => Ok(()),
            Err(e) if e.sqlstate == "25P02" => {
                self.batch("ROLLBACK")?;
                Err(Error::invalid_state(
                    "commit failed: an earlier statement failed, so the transaction was rolled back instead",
                )
                .with_sqlstate("25P02")
                .with_driver("postgres"))
            }
            // A server error from COMMIT itself (serialization failure,
            // deferred constraint) also ends the transaction; the server's
            // status says so either way.
            Err(e) => Err(e),
        }
    }

    fn rollback(&mut self) -> Result<()> {
        self.batch("ROLLBACK")
    }

    fn savepoint(&mut self, name: &str) -> Result<()> {
        self.batch(&format!("SAVEPOINT \"{name}\""))
    }

    fn release(&mut self, name: &str) -> Result<()> {
        self.batch(&format!("RELEASE SAVEPOINT \"{name}\"")).map_err(no_savepoint)
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.batch(&format!("ROLLBACK TO SAVEPOINT \"{name}\"")).map_err(no_savepoint)
    }

    fn in_transaction(&mut self) -> bool {
        // With a cursor open the status is that of before its query (a
        // query does not change it); otherwise take in what already
        // arrived first.
        if let Ok(c) = self.shared.client() {
            c.settle();
        }
        matches!(self.tx.load(std::sync::atomic::Ordering::Acquire), b'T' | b'E')
    }

    fn is_stale_statement(&self, e: &Error) -> bool {
        // Raised while binding or planning, before the statement ran: the
        // result type changed (0A000), a parameter's type no longer fits
        // its column (42804), or the server no longer has the statement
        // (26000: DISCARD ALL, a pooler).
        e.driver == "postgres"
            && ((e.sqlstate == "0A000" && e.message.contains("cached plan")) || e.sqlstate == "42804" || e.sqlstate == "26000")
    }

    fn ping(&mut self) -> Result<()> {
        self.shared.client()?.ping(Duration::from_secs(10))
    }

    fn check_alive(&mut self) -> bool {
        // An open cursor means a live call is in progress: leave it be.
        match self.shared.client() {
            Ok(c) if self.attrs.checked_at_checkout() => {
                // A failover may have changed the server's role since the
                // session was opened: ask again (one round trip).
                let limit = self.target.connect_timeout.or(Some(Duration::from_secs(10)));
                c.check_alive() && ask_role(c, limit).is_ok_and(|(_, role)| self.attrs.refuses(role).is_none())
            }
            Ok(c) => c.check_alive(),
            Err(_) => !self.is_broken(),
        }
    }

    fn server_version(&self) -> &str {
        &self.version
    }

    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>> {
        // SAFETY: cancel_token only copies the connection's key data.
        let token = unsafe { (*self.shared.client.get()).cancel_token() };
        Ok(Box::new(PgCancel(token, self.target.clone())))
    }

    fn catalog(&mut self, q: &crate::core::catalog::Catalog<'_>) -> Result<crate::core::catalog::CatalogSql> {
        catalog::query(q)
    }

    fn supports(&self, capability: Capability) -> bool {
        match capability {
            // One result at a time on the wire (see the cursor slot).
            Capability::SeveralCursors => false,
            // Preparing sends Parse and Describe: the RowDescription (or
            // NoData) came with the statement.
            Capability::ColumnsAfterPrepare => true,
        }
    }

    fn is_broken(&self) -> bool {
        // SAFETY: is_broken only reads an atomic flag of the client.
        unsafe { (*self.shared.client.get()).is_broken() }
    }

    fn multirow_insert(&mut self, _target: &str) -> Result<Option<MultiRowLimits>> {
        // Every PostgreSQL statement is atomic, whatever the table. The
        // protocol's Bind message counts parameters in 16 bits.
        Ok(Some(MultiRowLimits { max_params: 65535, max_bytes: usize::MAX, reports_insert_id: false }))
    }

    fn usable_after_error(&mut self) -> bool {
        // A server error inside a transaction aborts it (an error raised
        // while encoding parameters, before anything was sent, does not);
        // outside one it undid only its own statement. A probe tells which,
        // whether the transaction was opened by keel or by a plain BEGIN.
        !self.is_broken() && self.batch("SELECT 1").is_ok()
    }
}

/// A missing savepoint, as every engine reports it: the name is the
/// caller's mistake (INVALID_ARGUMENT, SQLSTATE 3B001). PostgreSQL also
/// aborts the transaction over it, so the message says what to do next.
fn no_savepoint(e: Error) -> Error {
    if e.sqlstate != "3B001" {
        return e;
    }
    let message = format!(
        "{}; the failed command aborted the transaction: roll back, or roll back to an earlier savepoint, before going on",
        e.message
    );
    Error { status: crate::core::error::Status::InvalidArgument, message, ..e }
}

/// PostgreSQL's cancel request: a separate connection carrying the
/// session's secret key.
struct PgCancel(tokio_postgres::CancelToken, Arc<Target>);

impl CancelHandle for PgCancel {
    fn cancel(&self) -> Result<()> {
        client::cancel(&self.0, &self.1)
    }
}

struct PgCols {
    columns: Arc<[Column]>,
    types: Vec<Type>,
    plans: Vec<Plan>,
}

impl PgCols {
    /// Whether column `i`'s values go out as text or bytes (what an Arrow
    /// batch's 16 MiB counts), not as fixed-size numbers.
    fn is_wide(&self, i: usize) -> bool {
        self.plans[i] != Plan::Direct || matches!(self.columns[i].kind, K::Text | K::Json | K::Bytes | K::Decimal)
    }
}

struct PgStmt {
    id: u64,
    shared: Arc<Shared>,
    /// The SQL it was prepared from, to prepare it again (and to send with
    /// each run, unnamed).
    sql: String,
    /// The named statement on the server; `None` with
    /// `prepared_statements=unnamed`, which runs `sql` as the unnamed
    /// statement with `param_types` each time.
    stmt: Option<tokio_postgres::Statement>,
    param_types: Vec<Type>,
    params: Vec<Param>,
    cols: Option<Arc<PgCols>>,
}

impl PgStmt {
    fn param_refs(&self) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
        self.params.iter().map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync)).collect()
    }

    /// The result's columns, from the statement's RowDescription.
    fn cols(&mut self) -> Arc<PgCols> {
        let stmt = &self.stmt;
        self.cols.get_or_insert_with(|| pg_cols(stmt.as_ref().map_or(&[][..], |s| s.columns()))).clone()
    }

    /// The parameters as the unnamed statement's run sends them: each
    /// value with the type the server described.
    fn typed_params(&self) -> Vec<(&(dyn tokio_postgres::types::ToSql + Sync), Type)> {
        self.params
            .iter()
            .zip(&self.param_types)
            .map(|(p, t)| (p as &(dyn tokio_postgres::types::ToSql + Sync), t.clone()))
            .collect()
    }
}

impl DriverStmt for PgStmt {
    fn param_count(&self) -> usize {
        self.params.len()
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.params[index] = Param::of(value)?;
        Ok(())
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.params.iter_mut().for_each(|p| *p = Param(Value::Null));
        Ok(())
    }

    fn execute(&mut self) -> Result<ExecResult> {
        let c = self.shared.client_for(self.id)?;
        let n = match &self.stmt {
            Some(stmt) => {
                let params = self.param_refs();
                c.run(Effect::Runs, None, |c| c.execute(stmt, &params))?
            }
            None => {
                let params = self.typed_params();
                let sql = self.sql.as_str();
                c.run(Effect::Runs, None, |c| async move {
                    let mut rows = std::pin::pin!(c.query_typed_raw(sql, params).await?);
                    while let Some(r) = std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
                        r?;
                    }
                    Ok(rows.rows_affected().unwrap_or(0))
                })?
            }
        };
        Ok(ExecResult { rows_affected: n, last_insert_id: None })
    }

    fn pipelines(&self) -> bool {
        // The unnamed statement (prepared_statements=unnamed) is described
        // anew for each run; pipelining it is not built.
        self.stmt.is_some() && !self.params.is_empty()
    }

    fn execute_pipelined(&mut self, rows: &[ValueRef<'_>]) -> std::result::Result<ExecResult, PipelineError> {
        let fail = |row: Option<usize>, error: Error, rolled_back: bool| PipelineError { row, error, rolled_back };
        let n = self.params.len();
        let Some(stmt) = self.stmt.clone() else {
            return Err(fail(Some(0), Error::not_implemented("the unnamed statement is not pipelined"), false));
        };
        // Every row's values, checked as `bind` checks them. A bad one ends
        // the rows sent before it: the rows up to it run, and it fails.
        let mut owned: Vec<Vec<Param>> = Vec::with_capacity(rows.len() / n.max(1));
        let mut bad: Option<(usize, Error)> = None;
        'rows: for (i, row) in rows.chunks(n).enumerate() {
            let mut ps = Vec::with_capacity(n);
            for (j, v) in row.iter().enumerate() {
                match Param::of(*v) {
                    Ok(p) => ps.push(p),
                    Err(e) => {
                        bad = Some((i, e.context(format_args!("parameter {j}"))));
                        break 'rows;
                    }
                }
            }
            owned.push(ps);
        }
        let c = self.shared.client_for(self.id).map_err(|e| fail(Some(0), e, false))?;
        // Outside a transaction the rows run in one of their own, so that a
        // failing row stops the ones after it (inside one, the server's
        // aborted transaction does that).
        let wrap = c.tx_status().load(std::sync::atomic::Ordering::Acquire) == b'I';
        let refs: Vec<Vec<&(dyn tokio_postgres::types::ToSql + Sync)>> =
            owned.iter().map(|ps| ps.iter().map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync)).collect()).collect();
        let outcome: std::cell::RefCell<(Option<usize>, u64)> = std::cell::RefCell::new((None, 0));
        let ran = c.run(Effect::Runs, None, |cl| {
            let (stmt, refs, outcome) = (&stmt, &refs, &outcome);
            async move {
                pipeline(cl, stmt, refs, wrap, outcome).await
            }
        });
        let (failed, affected) = *outcome.borrow();
        match ran {
            Ok(()) => match bad {
                None => Ok(ExecResult { rows_affected: affected, last_insert_id: None }),
                Some((i, e)) => Err(fail(Some(i), e, false)),
            },
            Err(e) => Err(fail(failed, e, wrap)),
        }
    }

    fn close_cursor(&mut self) {
        if let Some(generation) = self.shared.cursor.opened_by(self.id) {
            drop(self.shared.cursor.take(generation));
        }
    }

    fn result_columns(&mut self) -> Result<Arc<[Column]>> {
        Ok(self.cols().columns.clone())
    }

    fn prepare_again(&mut self) -> Result<()> {
        // A cursor of this statement reads its own stream; the new
        // statement replaces the old one only for later runs.
        let c = self.shared.client()?;
        if self.stmt.is_none() {
            // Unnamed: nothing stays on the server; describe it again.
            let in_tx = matches!(c.tx_status().load(std::sync::atomic::Ordering::Acquire), b'T' | b'E');
            let (types, cols) = describe_unnamed(c, &self.sql, in_tx)?;
            if types.len() != self.params.len() {
                return Err(Error::new(crate::core::error::Status::Internal, format!(
                    "the statement has {} parameters now, {} before",
                    types.len(),
                    self.params.len()
                )));
            }
            (self.param_types, self.cols) = (types, Some(cols));
            return Ok(());
        }
        let stmt = c.run(Effect::NoRun, None, |c| c.prepare(&self.sql))?;
        if stmt.params().len() != self.params.len() {
            return Err(Error::new(crate::core::error::Status::Internal, format!(
                "the statement has {} parameters now, {} before",
                stmt.params().len(),
                self.params.len()
            )));
        }
        self.stmt = Some(stmt);
        self.cols = None;
        Ok(())
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let cols = self.cols();
        let c = self.shared.client_for(self.id)?;
        let stream = match &self.stmt {
            Some(stmt) => {
                let params = self.param_refs();
                c.run(Effect::Runs, None, |c| c.query_raw(stmt, params))?
            }
            None => {
                let params = self.typed_params();
                c.run(Effect::Runs, None, |c| c.query_typed_raw(&self.sql, params))?
            }
        };
        let generation = self.shared.cursor.open(self.id, Box::pin(stream));
        let n = cols.columns.len();
        Ok(Box::new(PgRows {
            generation,
            done: false,
            row: None,
            texts: vec![String::new(); n],
            cols,
            shared: self.shared.clone(),
            check_shape: self.stmt.is_none(),
            row_no: 0,
            run_rows: Vec::new(),
            run: Vec::new(),
        }))
    }
}

/// `COPY ... FROM STDIN` and `COPY ... TO STDOUT` move their rows in the
/// protocol's copy mode, which a statement cannot carry: refused before
/// anything is sent, naming what does (the server would answer with a
/// copy response that the statement protocol takes for a broken
/// connection). COPY to or from a file on the server runs as any
/// statement.
fn copy_over_the_connection(sql: &str) -> Result<()> {
    // Read lazily: every prepared statement comes here, and all but a COPY
    // are told apart by their first word.
    let mut tokens = crate::core::sql::significant(sql, &SYNTAX);
    if !tokens.next().is_some_and(|t| t.is_word(sql, "COPY")) {
        return Ok(());
    }
    let Some(dir) = tokens.find(|t| t.is_word(sql, "STDIN") || t.is_word(sql, "STDOUT")) else { return Ok(()) };
    let what = sql[dir.start..dir.end].to_ascii_uppercase();
    Err(Error::not_implemented(format!(
        "COPY ... {} {what} runs in PostgreSQL's copy mode, which a statement cannot carry (nothing was sent): \
         load rows with keel_conn_ingest (binary COPY), read them with a query",
        if what == "STDIN" { "FROM" } else { "TO" }
    ))
    .with_sqlstate("0A000")
    .with_driver("postgres")
    .not_sent())
}

/// The columns keel reports for a statement's RowDescription.
fn pg_cols(described: &[tokio_postgres::Column]) -> Arc<PgCols> {
    let mut columns = Vec::new();
    let mut types = Vec::new();
    let mut plans = Vec::new();
    for c in described {
        let (kind, plan) = types::classify(c.type_());
        // An array's type modifier is its elements' (numeric(10,2)[]).
        let list_of = types::list_element(c.type_());
        columns.push(Column {
            name: c.name().to_owned(),
            kind,
            engine_type: c.type_().name().to_owned(),
            nullable: Nullable::Unknown,
            decimal: pg_decimal(list_of.unwrap_or(kind), c.type_modifier()),
            list_of,
        });
        types.push(c.type_().clone());
        plans.push(plan);
    }
    Arc::new(PgCols { columns: columns.into(), types, plans })
}

/// `prepared_statements=unnamed`: learn the parameter types and result
/// columns of `sql` without leaving a named statement on the server. The
/// statement is prepared and closed inside one transaction (the caller's,
/// when one is open; else one of its own), so that behind a pooler in
/// transaction mode its Parse and its Close reach the same server
/// connection.
fn describe_unnamed(c: &mut Client, sql: &str, in_tx: bool) -> Result<(Vec<Type>, Arc<PgCols>)> {
    if !in_tx {
        c.run(Effect::NoRun, None, |c| c.batch_execute("BEGIN"))?;
    }
    let described = c.run(Effect::NoRun, None, |c| c.prepare(sql)).map(|stmt| {
        let out = (stmt.params().to_vec(), pg_cols(stmt.columns()));
        // Dropping it queues its Close, which goes out before the COMMIT.
        drop(stmt);
        out
    });
    if !in_tx {
        let end = if described.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = c.run(Effect::NoRun, None, |c| c.batch_execute(end));
        if described.is_ok() {
            ended?;
        }
    }
    described
}

/// Raw column bytes, for decoding without the crate's type checks.
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

struct PgRows {
    /// Which opening of the connection's cursor this is.
    generation: u64,
    done: bool,
    row: Option<tokio_postgres::Row>,
    /// The current row's formatted values (`Plan::Text` columns).
    texts: Vec<String>,
    cols: Arc<PgCols>,
    shared: Arc<Shared>,
    /// Unnamed statements: the server describes each run afresh, so the
    /// first row is checked against the columns described at prepare (a
    /// named statement fails with "cached plan must not change result
    /// type" instead, and is prepared again).
    check_shape: bool,
    /// Rows handed out in runs so far: an error names its row as the
    /// Arrow stream the runs go to counts them.
    row_no: u64,
    /// The rows of the last run (`next_run`), which its vectors point into.
    run_rows: Vec<tokio_postgres::Row>,
    /// The last run's columns, their buffers reused from run to run.
    run: Vec<RunColumn>,
}

impl PgRows {
    fn finish(&mut self) {
        self.done = true;
        drop(self.shared.cursor.take(self.generation));
    }

    fn raw(&self, i: usize) -> Option<&[u8]> {
        raw_of(self.row.as_ref()?, i)
    }

    /// Unnamed statements: check the first row's columns against those
    /// described at prepare (see `check_shape`); a mismatch ends the cursor.
    fn check_first(&mut self, row: &tokio_postgres::Row) -> Result<()> {
        if !std::mem::take(&mut self.check_shape) {
            return Ok(());
        }
        let same = row.columns().len() == self.cols.types.len()
            && row.columns().iter().zip(&self.cols.types).all(|(c, t)| c.type_() == t)
            && row.columns().iter().zip(self.cols.columns.iter()).all(|(c, k)| c.name() == k.name);
        if same {
            return Ok(());
        }
        self.row = None;
        self.finish();
        Err(Error::invalid_state(
            "the statement's result has other columns than when it was prepared (the table changed); prepare it again",
        )
        .with_driver("postgres"))
    }
}

/// Column `i` of `row` as the bytes the server sent; `None` for NULL.
fn raw_of(row: &tokio_postgres::Row, i: usize) -> Option<&[u8]> {
    row.try_get::<_, Option<Raw<'_>>>(i).ok().flatten().map(|r| r.0)
}

impl Drop for PgRows {
    fn drop(&mut self) {
        self.row = None;
        self.finish();
    }
}

impl DriverRows for PgRows {
    fn columns(&self) -> &[Column] {
        &self.cols.columns
    }

    fn next(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        let Some(stream) = self.shared.cursor.get(self.generation) else {
            self.done = true;
            self.row = None;
            return Err(Error::invalid_state(
                "this cursor was closed because its statement was run again",
            ));
        };
        let client = self.shared.client_for_cursor();
        let next = client.run_next_row(|_| std::future::poll_fn(|cx| stream.as_mut().poll_next(cx).map(Option::transpose)));
        match next {
            Ok(Some(row)) => {
                self.check_first(&row)?;
                self.row = Some(row);
                // Values keel formats (numeric, interval, ...) are written
                // once per row, into the column's buffer (reused from row
                // to row). Text is handed out from the row buffer itself.
                for i in 0..self.cols.plans.len() {
                    if self.cols.plans[i] != Plan::Text {
                        continue;
                    }
                    let mut s = std::mem::take(&mut self.texts[i]);
                    s.clear();
                    if let Some(raw) = self.raw(i) {
                        types::format_text(&self.cols.types[i], raw, &mut s);
                    }
                    self.texts[i] = s;
                }
                Ok(true)
            }
            Ok(None) => {
                self.row = None;
                self.finish();
                Ok(false)
            }
            Err(e) => {
                self.row = None;
                self.finish();
                Err(e)
            }
        }
    }

    fn value(&self, i: usize) -> ValueRef<'_> {
        let Some(raw) = self.raw(i) else { return ValueRef::Null };
        match self.cols.plans[i] {
            Plan::Direct => types::decode(&self.cols.types[i], raw),
            // Formatted by `next`.
            Plan::Text => {
                let t = self.texts[i].as_str();
                match self.cols.columns[i].kind {
                    K::Decimal => ValueRef::Decimal(t),
                    _ => ValueRef::Text(t),
                }
            }
            Plan::Raw => ValueRef::Bytes(raw),
        }
    }

    fn list_elements(&self, i: usize, each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<bool> {
        let Kind::Array(elem) = self.cols.types[i].kind() else {
            return Err(Error::not_implemented(format!("column {i} is not an array")));
        };
        let Some(raw) = self.raw(i) else { return Ok(false) };
        types::list_elements(elem, raw, each)?;
        Ok(true)
    }

    fn next_run(&mut self, max: usize, max_bytes: usize) -> Result<Option<Run<'_>>> {
        // A run has no vector for a list; such a result is read by rows.
        if self.cols.columns.iter().any(|c| c.list_of.is_some()) {
            return Ok(None);
        }
        self.row = None;
        self.run_rows.clear();
        if self.done {
            return Ok(Some(Run::end()));
        }
        let Some(stream) = self.shared.cursor.get(self.generation) else {
            self.done = true;
            return Err(Error::invalid_state("this cursor was closed because its statement was run again"));
        };
        // `max` rows (at most `RUN_ROWS`) or the rest of the result, for
        // one hold of the session: as many as the reader would ask for
        // one by one. The run also ends with the row whose text and bytes
        // (as the server sent them) reach `max_bytes`, the room left in
        // the reader's batch, which thus ends as a batch read row by row
        // does: with the row that passes 16 MiB.
        let want = max.clamp(1, RUN_ROWS);
        let cols = self.cols.clone();
        let wide: Vec<usize> = (0..cols.columns.len()).filter(|&i| cols.is_wide(i)).collect();
        let rows = &mut self.run_rows;
        let mut bytes = 0usize;
        let ended = self.shared.client_for_cursor().run_next_row(|_| {
            std::future::poll_fn(move |cx| loop {
                match stream.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(row))) => {
                        bytes += wide.iter().map(|&i| raw_of(&row, i).map_or(0, <[u8]>::len)).sum::<usize>();
                        rows.push(row);
                        if rows.len() == want || bytes >= max_bytes {
                            return Poll::Ready(Ok(false));
                        }
                    }
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                    Poll::Ready(None) => return Poll::Ready(Ok(true)),
                    Poll::Pending => return Poll::Pending,
                }
            })
        });
        match ended {
            Ok(true) => self.finish(),
            Ok(false) => {}
            Err(e) => {
                self.run_rows.clear();
                self.finish();
                return Err(e);
            }
        }
        let rows = std::mem::take(&mut self.run_rows);
        if let Some(first) = rows.first() {
            self.check_first(first)?;
        }
        self.run_rows = rows;
        let n = self.run_rows.len();
        if n == 0 {
            return Ok(Some(Run::end()));
        }
        self.run.resize_with(cols.columns.len(), RunColumn::default);
        for (i, col) in self.run.iter_mut().enumerate() {
            let (kind, plan, ty) = (cols.columns[i].kind, cols.plans[i], &cols.types[i]);
            if let Err((r, got)) = col.fill(i, kind, plan, ty, &self.run_rows) {
                let row = self.row_no + r as u64;
                let name = &cols.columns[i].name;
                let e = match got {
                    // PostgreSQL's infinity and -infinity, which decode
                    // gives as their text, and timestamps past keel's
                    // range, as their bytes: no date or timestamp keel (or
                    // Arrow) has.
                    K::Text | K::Bytes if matches!(*ty, Type::DATE | Type::TIMESTAMP | Type::TIMESTAMPTZ) => {
                        let what = if got == K::Text { "PostgreSQL's infinity or -infinity" } else { "a value outside keel's range" };
                        Error::invalid_data(format!("{what}, which is no {} keel (or Arrow) can hold", kind.name()))
                            .with_sqlstate("22008")
                    }
                    _ => Error::invalid_data(format!(
                        "a {} value does not fit the column's type {} (PostgreSQL {})",
                        got.name(),
                        kind.name(),
                        ty.name()
                    )),
                };
                self.run_rows.clear();
                self.finish();
                return Err(e.with_driver("postgres").context(format_args!("row {row}, column {i} ({name:?})")));
            }
        }
        let cols = &self.cols;
        self.row_no += n as u64;
        let columns = self.run.iter().zip(cols.columns.iter()).map(|(c, k)| c.vector(k.kind)).collect();
        Ok(Some(Run { start: 0, rows: n, columns }))
    }
}

/// Rows a run (`PgRows::next_run`) takes at most: enough that the session
/// is held once per thousands of rows, few enough that the rows it keeps
/// (each its own message buffer) stay small.
const RUN_ROWS: usize = 2048;

/// One column of a run: its values as [`VectorData`] hands them out for
/// the column's keel type (one of the vectors is used), and which are
/// not NULL.
#[derive(Default)]
struct RunColumn {
    validity: Vec<u64>,
    nulls: bool,
    flags: Vec<u8>,
    ints: Vec<i64>,
    doubles: Vec<f64>,
    dates: Vec<i32>,
    /// Text, JSON, bytes and uuids where the rows hold them; formatted
    /// values (`Plan::Text`) in `text`.
    bytes: Vec<ByteRef>,
    /// `Plan::Text` columns: the values formatted one after another, and
    /// where each ends.
    text: String,
    ends: Vec<usize>,
}

// SAFETY: the `ByteRef`s point into the rows and text of the `PgRows`
// that holds this, which move with it (heap buffers, not moved by a move
// of their owner) and are only read through its `&self`.
unsafe impl Send for RunColumn {}

impl RunColumn {
    /// Decode column `i` of `rows` as `PgRows::value` would; a value that
    /// is not of the column's type (an infinite date, text that is not
    /// UTF-8) gives its row and what it is instead.
    fn fill(
        &mut self,
        i: usize,
        kind: K,
        plan: Plan,
        ty: &Type,
        rows: &[tokio_postgres::Row],
    ) -> std::result::Result<(), (usize, K)> {
        self.validity.clear();
        self.validity.resize(rows.len().div_ceil(64), 0);
        self.nulls = false;
        self.flags.clear();
        self.ints.clear();
        self.doubles.clear();
        self.dates.clear();
        self.bytes.clear();
        self.text.clear();
        self.ends.clear();
        // A NULL's entry holds anything; the column's vector gets a zero.
        let null = |c: &mut RunColumn| match (plan, kind) {
            (Plan::Text, _) => c.ends.push(c.text.len()),
            (_, K::Bool) => c.flags.push(0),
            (_, K::Int64 | K::Time | K::Timestamp | K::Timestamptz) => c.ints.push(0),
            (_, K::Double) => c.doubles.push(0.0),
            (_, K::Date) => c.dates.push(0),
            _ => c.bytes.push(ByteRef::EMPTY),
        };
        for (r, row) in rows.iter().enumerate() {
            let Some(raw) = raw_of(row, i) else {
                self.nulls = true;
                null(self);
                continue;
            };
            self.validity[r / 64] |= 1 << (r % 64);
            // SAFETY (each `ByteRef::new`): the bytes are the row's, kept
            // in `PgRows::run_rows` until the run is over; text is UTF-8
            // (checked by `decode`).
            match plan {
                Plan::Text => {
                    types::format_text(ty, raw, &mut self.text);
                    self.ends.push(self.text.len());
                }
                Plan::Raw => self.bytes.push(unsafe { ByteRef::new(raw) }),
                Plan::Direct => match (kind, types::decode(ty, raw)) {
                    (K::Bool, ValueRef::Bool(b)) => self.flags.push(b as u8),
                    (K::Int64, ValueRef::Int64(n))
                    | (K::Time, ValueRef::Time(n))
                    | (K::Timestamp, ValueRef::Timestamp(n))
                    | (K::Timestamptz, ValueRef::Timestamptz(n)) => self.ints.push(n),
                    (K::Double, ValueRef::Double(d)) => self.doubles.push(d),
                    (K::Date, ValueRef::Date(d)) => self.dates.push(d),
                    (K::Text, ValueRef::Text(t)) | (K::Json, ValueRef::Json(t)) => {
                        self.bytes.push(unsafe { ByteRef::new(t.as_bytes()) })
                    }
                    (K::Bytes, ValueRef::Bytes(b)) => self.bytes.push(unsafe { ByteRef::new(b) }),
                    (K::Uuid, ValueRef::Uuid(_)) => self.bytes.push(unsafe { ByteRef::new(&raw[..16]) }),
                    (_, v) => return Err((r, v.kind())),
                },
            }
        }
        if plan == Plan::Text {
            let mut start = 0;
            for &end in &self.ends {
                // SAFETY: `text` is not changed again until the next run;
                // each value is whole UTF-8.
                self.bytes.push(unsafe { ByteRef::new(&self.text.as_bytes()[start..end]) });
                start = end;
            }
        }
        Ok(())
    }

    fn vector(&self, kind: K) -> Vector<'_> {
        let data = match kind {
            K::Bool => VectorData::Bool(&self.flags),
            K::Int64 | K::Time | K::Timestamp | K::Timestamptz => VectorData::Int64(&self.ints),
            K::Double => VectorData::Double(&self.doubles),
            K::Date => VectorData::Date(&self.dates),
            _ => VectorData::Bytes(&self.bytes),
        };
        Vector { validity: self.nulls.then_some(&self.validity[..]), data }
    }
}

/// (precision, scale) of a `numeric(p,s)` column from its type modifier
/// (`((p << 16) | s) + 4`); `None` for unconstrained `numeric` (-1) and
/// for a precision past 76 (more than Arrow's decimal256 holds).
fn pg_decimal(kind: crate::core::value::Type, typmod: i32) -> Option<(u8, i8)> {
    if kind != crate::core::value::Type::Decimal || typmod < 4 {
        return None;
    }
    let m = typmod - 4;
    let (p, s) = ((m >> 16) & 0xffff, m & 0xffff);
    ((1..=76).contains(&p) && s <= p).then_some((p as u8, s as i8))
}

/// Poll `f` once: what it gave, or `Poll::Pending` (its waker is kept).
async fn poll_once<F: std::future::Future + ?Sized>(mut f: Pin<&mut F>) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(f.as_mut().poll(cx))).await
}

/// Send `stmt` once per row of `refs` (between `BEGIN` and `COMMIT` when
/// `wrap`), every request before the first answer is read, then read the
/// answers in order. A row that fails before it is sent (a value the type
/// cannot take) stops the sending: what was sent runs, and the
/// transaction is rolled back. Writes the failing row (if a row failed)
/// and the rows affected into `outcome`, and fails with the first error.
async fn pipeline(
    cl: &tokio_postgres::Client,
    stmt: &tokio_postgres::Statement,
    refs: &[Vec<&(dyn tokio_postgres::types::ToSql + Sync)>],
    wrap: bool,
    outcome: &std::cell::RefCell<(Option<usize>, u64)>,
) -> std::result::Result<(), tokio_postgres::Error> {
    use std::task::Poll;
    let mut begin = wrap.then(|| Box::pin(cl.batch_execute("BEGIN")));
    let mut begun = Poll::Pending;
    if let Some(b) = begin.as_mut() {
        begun = poll_once(b.as_mut()).await;
    }
    /// A row sent: its answer still to come, or already in.
    enum Sent<F> {
        Waiting(F),
        Answered(u64),
    }
    let mut sent = Vec::with_capacity(refs.len());
    let mut first_err: Option<(usize, tokio_postgres::Error)> = None;
    for (i, params) in refs.iter().enumerate() {
        let mut f = Box::pin(cl.execute(stmt, params.as_slice()));
        match poll_once(f.as_mut()).await {
            Poll::Pending => sent.push((i, Sent::Waiting(f))),
            Poll::Ready(Ok(n)) => sent.push((i, Sent::Answered(n))),
            Poll::Ready(Err(e)) => {
                // Not sent: nothing after it is.
                first_err = Some((i, e));
                break;
            }
        }
    }
    let stopped = first_err.is_some();
    let mut end = wrap.then(|| Box::pin(cl.batch_execute(if stopped { "ROLLBACK" } else { "COMMIT" })));
    let mut ended = Poll::Pending;
    if let Some(e) = end.as_mut() {
        ended = poll_once(e.as_mut()).await;
    }
    // The answers, in the order sent.
    if let (Poll::Pending, Some(b)) = (&begun, begin) {
        begun = Poll::Ready(b.await);
    }
    let mut row_err: Option<(usize, tokio_postgres::Error)> = None;
    let mut affected = 0u64;
    for (i, answer) in sent {
        let r = match answer {
            Sent::Waiting(f) => f.await,
            Sent::Answered(n) => Ok(n),
        };
        match r {
            Ok(n) if row_err.is_none() => affected += n,
            Ok(_) => {}
            // The rows after the first failure fail as its aborted
            // transaction refuses them: the first error is the one.
            Err(e) if row_err.is_none() => row_err = Some((i, e)),
            Err(_) => {}
        }
    }
    if let (Poll::Pending, Some(e)) = (&ended, end) {
        ended = Poll::Ready(e.await);
    }
    let row_err = match (row_err, first_err) {
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    if let Some((i, e)) = row_err {
        *outcome.borrow_mut() = (Some(i), affected);
        return Err(e);
    }
    if let Poll::Ready(Err(e)) = begun {
        *outcome.borrow_mut() = (Some(0), 0);
        return Err(e);
    }
    *outcome.borrow_mut() = (None, affected);
    if let Poll::Ready(Err(e)) = ended {
        return Err(e);
    }
    Ok(())
}

/// The name of the process's effective user (getpwuid_r), as libpq's
/// default user name.
#[cfg(unix)]
fn os_user() -> Option<String> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: a zeroed passwd the call fills, a buffer of the length given
    // for its strings, and the out-pointer; the name is copied out before
    // the buffer goes.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(libc::geteuid(), &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut out);
        if rc != 0 || out.is_null() || pw.pw_name.is_null() {
            return None;
        }
        Some(std::ffi::CStr::from_ptr(pw.pw_name).to_string_lossy().into_owned())
    }
}

#[cfg(not(unix))]
fn os_user() -> Option<String> {
    None
}
