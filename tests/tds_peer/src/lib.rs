//! keel-tds-peer: a small TDS 7.4 server on 127.0.0.1 that answers by
//! running the SQL on an in-memory SQLite database. It is the test double
//! keel's SQL Server tests run against when no real server is configured
//! (`KEEL_TEST_MSSQL_URL`). **It is not SQL Server**: it speaks the
//! protocol, not the language. Keep it small.
//!
//! What it speaks: PRELOGIN, with TLS as SQL Server does it (see [`tls`]:
//! in PRELOGIN packets for TDS 7.x, or first for TDS 8.0 strict), LOGIN7
//! (user `keel`, password `keel-peer-pw`; others fail with error 18456),
//! SQL batches, RPC `sp_executesql` with parameters (and through it
//! `sp_describe_first_result_set`, see [`sql`]), transaction manager
//! requests (begin with an isolation level, commit, rollback, save),
//! bulk loads (`INSERT BULK`, then a bulk load message of COLMETADATA and
//! ROWs, each row inserted into SQLite), and attention (cancel). It answers with COLMETADATA, ROW and NBCROW, DONE /
//! DONEPROC / DONEINPROC, ERROR, ENVCHANGE (database, packet size,
//! collation, transaction begin/commit/rollback), LOGINACK and RETURNSTATUS.
//!
//! What it runs: each statement goes to one shared SQLite database (the
//! memdb VFS, one per [`Peer`]), after the few translations listed in
//! [`sql`]. Column types come from the SQL Server type names in CREATE
//! TABLE, which SQLite keeps as the declared type; expressions get bigint,
//! float, nvarchar(max) or varbinary(max) from their first value (see
//! [`types`]). SQLite errors are reported with the SQL Server error number
//! a real server gives for the same mistake (2627 duplicate key, 515 NULL
//! into NOT NULL, 208 unknown table, 102 syntax, ...).
//!
//! What it does not do (honestly): T-SQL beyond those translations, typed
//! comparisons (values compare as SQLite compares them), isolation levels
//! (accepted and ignored: SQLite serialises writers), read-only
//! transactions, login-only encryption, MARS, bulk load options (`WITH
//! (...)`: constraints are always checked, triggers fire), and SQL Server's
//! catalog beyond the views keel's catalog queries read ([`catalog`]).

pub mod catalog;
pub mod sql;
pub mod tls;
pub mod types;
pub mod wire;

use rusqlite::types::{Value as SqlValue, ValueRef as SqlRef};
use rusqlite::{Connection, InterruptHandle};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tls::Stream;
use types::{Refused, Ty};
use wire::*;

pub const USER: &str = "keel";
pub const PASSWORD: &str = "keel-peer-pw";
pub const DATABASE: &str = "keel";
/// What `SELECT @@VERSION` answers; tests recognise the peer by it.
pub const VERSION: &str = "keel TDS test peer (not SQL Server; SQLite underneath)";

/// What the peer offers of TLS, as a SQL Server is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// No certificate: every client is answered ENCRYPT_NOT_SUP.
    NotSupported,
    /// A certificate, used when the client asks (SQL Server's default).
    Offered,
    /// "Force encryption": a client that does not encrypt is refused.
    Required,
}

struct Shared {
    db_uri: String,
    encryption: Encryption,
    tls: tls::Configs,
    /// Sessions that got past the TLS handshake.
    tls_sessions: AtomicU64,
    /// Bulk load messages taken (each one `INSERT BULK`'s rows).
    bulk_loads: AtomicU64,
    sessions: Mutex<HashMap<u16, TcpStream>>,
    /// Each table's CREATE TABLE as the client wrote it, by lower-case
    /// name, for the catalog views ([`catalog`]).
    ddl: Mutex<HashMap<String, String>>,
    next_spid: AtomicU16,
    next_tx: AtomicU64,
}

/// A running peer. Dropping it stops accepting connections; sessions
/// already open run until their clients leave.
pub struct Peer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    _anchor: Arc<Mutex<Connection>>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

impl Peer {
    /// Listen on 127.0.0.1 (a free port) with a new, empty database.
    /// Listen on 127.0.0.1 (a free port) with a new, empty database,
    /// offering TLS.
    pub fn start() -> io::Result<Peer> {
        Peer::start_on(0, Encryption::Offered)
    }

    pub fn start_with(encryption: Encryption) -> io::Result<Peer> {
        Peer::start_on(0, encryption)
    }

    pub fn start_on(port: u16, encryption: Encryption) -> io::Result<Peer> {
        static N: AtomicU64 = AtomicU64::new(0);
        let db_uri = format!(
            "file:/keel-tds-peer-{}-{}?vfs=memdb",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        // The database lives while one connection to it is open.
        let anchor = open_db(&db_uri).map_err(io::Error::other)?;
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            db_uri,
            encryption,
            tls: tls::configs()?,
            tls_sessions: AtomicU64::new(0),
            ddl: Mutex::new(HashMap::new()),
            bulk_loads: AtomicU64::new(0),
            sessions: Mutex::new(HashMap::new()),
            next_spid: AtomicU16::new(51),
            next_tx: AtomicU64::new(1),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let shared_view = shared.clone();
        std::thread::Builder::new().name("tds-peer-accept".into()).spawn(move || {
            for s in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(s) = s else { continue };
                let shared = shared.clone();
                let _ = std::thread::Builder::new().name("tds-peer-session".into()).spawn(move || {
                    let spid = shared.next_spid.fetch_add(1, Ordering::Relaxed);
                    if let Ok(clone) = s.try_clone() {
                        shared.sessions.lock().unwrap().insert(spid, clone);
                    }
                    let _ = serve(&shared, s, spid);
                    shared.sessions.lock().unwrap().remove(&spid);
                });
            }
        })?;
        Ok(Peer { addr, stop, shared: shared_view, _anchor: Arc::new(Mutex::new(anchor)) })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many sessions have completed a TLS handshake.
    pub fn tls_sessions(&self) -> u64 {
        self.shared.tls_sessions.load(Ordering::SeqCst)
    }

    /// How many bulk load messages the peer has taken.
    pub fn bulk_loads(&self) -> u64 {
        self.shared.bulk_loads.load(Ordering::SeqCst)
    }

    /// A keel URL for this peer, in the clear (`encrypt=off`).
    pub fn url(&self) -> String {
        format!("mssql://{USER}:{PASSWORD}@127.0.0.1:{}/{DATABASE}?encrypt=off", self.port())
    }
}

fn open_db(uri: &str) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(
        uri,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
            | rusqlite::OpenFlags::SQLITE_OPEN_URI
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(Duration::from_secs(10))?;
    Ok(c)
}

enum Item {
    Message(u8, Vec<u8>),
    Attention,
    Closed,
}

/// Reads packets on its own thread, so that an attention arriving while a
/// statement runs is seen at once.
fn reader(mut s: Stream, tx: mpsc::Sender<Item>, attn: Arc<AtomicBool>, interrupt: Arc<InterruptHandle>) {
    let mut msg = Vec::new();
    loop {
        match read_packet(&mut s) {
            Ok(Some(p)) if p.ty == PKT_ATTENTION => {
                // Flag first, then queue: the session clears the flag when
                // it takes the attention from the queue, so the flag never
                // outlives it.
                attn.store(true, Ordering::SeqCst);
                interrupt.interrupt();
                let _ = tx.send(Item::Attention);
            }
            Ok(Some(p)) => {
                msg.extend_from_slice(&p.payload);
                if p.last {
                    let _ = tx.send(Item::Message(p.ty, std::mem::take(&mut msg)));
                }
            }
            _ => {
                let _ = tx.send(Item::Closed);
                return;
            }
        }
    }
}

struct Session<'a> {
    shared: &'a Shared,
    out: Stream,
    rx: Receiver<Item>,
    attn: Arc<AtomicBool>,
    db: Connection,
    spid: u16,
    packet_size: usize,
    tx: Option<u64>,
    /// The table and columns of an `INSERT BULK` whose bulk load message
    /// is still to come.
    bulk: Option<(String, Vec<String>)>,
}

/// How a response ended.
enum End {
    Done,
    /// Cut short by an attention; the final DONE carries DONE_ATTN.
    Attention,
    /// The session is to be closed (KILL).
    Kill(u16),
}

fn serve(shared: &Shared, s: TcpStream, spid: u16) -> io::Result<()> {
    s.set_nodelay(true)?;
    let Some(s) = open_session(shared, s, spid)? else { return Ok(()) };
    let db = open_db(&shared.db_uri).map_err(io::Error::other)?;
    let interrupt = Arc::new(db.get_interrupt_handle());
    let attn = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let rs = s.try_clone()?;
    let (a, i) = (attn.clone(), interrupt.clone());
    std::thread::Builder::new().name("tds-peer-read".into()).spawn(move || reader(rs, tx, a, i))?;
    let mut sess = Session { shared, out: s, rx, attn, db, spid, packet_size: 4096, tx: None, bulk: None };
    loop {
        let (ty, data) = match sess.rx.recv() {
            Ok(Item::Message(t, d)) => (t, d),
            Ok(Item::Attention) => {
                // An attention after the response had ended: acknowledge it
                // on its own.
                sess.attn.store(false, Ordering::SeqCst);
                let mut r = Reply::new(&mut sess.out, sess.packet_size, spid);
                r.put(&done(TOK_DONE, DONE_ATTN, 0))?;
                r.finish()?;
                continue;
            }
            _ => return Ok(()),
        };
        let end = match ty {
            PKT_PRELOGIN => sess.fail("PRELOGIN comes only first"),
            PKT_LOGIN7 => match sess.login(&data)? {
                true => Ok(End::Done),
                false => return Ok(()),
            },
            PKT_SQL_BATCH => sess.batch(&data),
            PKT_RPC => sess.rpc(&data),
            PKT_TM => sess.transaction(&data),
            PKT_BULK => sess.bulk_load(&data),
            other => sess.fail(&format!("the peer does not handle TDS packets of type 0x{other:02X}")),
        }?;
        match end {
            End::Done => {}
            End::Attention => {
                // Take the attention that cut the response short from the
                // queue (the reader queues it right after raising the flag).
                while !matches!(sess.rx.recv(), Ok(Item::Attention) | Ok(Item::Closed) | Err(_)) {}
                sess.attn.store(false, Ordering::SeqCst);
            }
            End::Kill(target) => {
                if let Some(s) = shared.sessions.lock().unwrap().get(&target) {
                    let _ = s.shutdown(Shutdown::Both);
                }
                if target == spid {
                    return Ok(());
                }
            }
        }
    }
}

// PRELOGIN's ENCRYPTION values.
const ENCRYPT_OFF: u8 = 0;
const ENCRYPT_ON: u8 = 1;
const ENCRYPT_NOT_SUP: u8 = 2;
const ENCRYPT_REQ: u8 = 3;

/// The session's opening: TLS first (strict), PRELOGIN and its answer,
/// and the TLS handshake when both sides want it. `None`: the client was
/// refused or left.
fn open_session(shared: &Shared, s: TcpStream, spid: u16) -> io::Result<Option<Stream>> {
    let mut first = [0u8; 1];
    if s.peek(&mut first)? == 0 {
        return Ok(None);
    }
    // A TLS handshake record where a TDS packet would be: TDS 8.0.
    let strict = first[0] == 0x16;
    let mut stream = match strict {
        true if shared.encryption == Encryption::NotSupported => return Ok(None),
        true => tls::accept_strict(s, shared.tls.strict.clone())?,
        false => Stream::Plain(s),
    };
    let Some(p) = read_packet(&mut stream)? else { return Ok(None) };
    if p.ty != PKT_PRELOGIN {
        return Ok(None);
    }
    let theirs = prelogin_option(&p.payload, 1).and_then(|v| v.first().copied()).unwrap_or(ENCRYPT_OFF);
    let wants_tls = matches!(theirs, ENCRYPT_ON | ENCRYPT_REQ);
    let ours = match shared.encryption {
        _ if strict => ENCRYPT_REQ,
        Encryption::NotSupported => ENCRYPT_NOT_SUP,
        _ if wants_tls => ENCRYPT_ON,
        Encryption::Required => ENCRYPT_REQ,
        Encryption::Offered => ENCRYPT_NOT_SUP,
    };
    let mut r = Reply::new(&mut stream, 4096, spid);
    r.put(&prelogin_answer(ours))?;
    r.finish()?;
    if strict {
        shared.tls_sessions.fetch_add(1, Ordering::SeqCst);
        return Ok(Some(stream));
    }
    match (ours, stream) {
        (ENCRYPT_ON, Stream::Plain(tcp)) => {
            let stream = tls::accept_in_prelogin(tcp, shared.tls.prelogin.clone())?;
            shared.tls_sessions.fetch_add(1, Ordering::SeqCst);
            Ok(Some(stream))
        }
        // A client that will not encrypt, at a server that requires it.
        (ENCRYPT_REQ, _) => Ok(None),
        (_, stream) => Ok(Some(stream)),
    }
}

/// The value of PRELOGIN option `token`.
fn prelogin_option(payload: &[u8], token: u8) -> Option<&[u8]> {
    let mut i = 0;
    while i + 5 <= payload.len() && payload[i] != 0xFF {
        if payload[i] == token {
            let off = u16::from_be_bytes([payload[i + 1], payload[i + 2]]) as usize;
            let len = u16::from_be_bytes([payload[i + 3], payload[i + 4]]) as usize;
            return payload.get(off..off + len);
        }
        i += 5;
    }
    None
}

/// PRELOGIN's answer: VERSION (6 bytes), ENCRYPTION, INSTOPT, THREADID
/// (none), MARS (off).
fn prelogin_answer(encryption: u8) -> Vec<u8> {
    let opts: [(u8, Vec<u8>); 5] = [
        (0, vec![16, 0, 0, 1, 0, 0]),
        (1, vec![encryption]),
        (2, vec![0]),
        (3, vec![]),
        (4, vec![0]),
    ];
    let mut head = Vec::new();
    let mut data = Vec::new();
    let base = opts.len() * 5 + 1;
    for (tok, v) in &opts {
        head.push(*tok);
        head.extend_from_slice(&((base + data.len()) as u16).to_be_bytes());
        head.extend_from_slice(&(v.len() as u16).to_be_bytes());
        data.extend_from_slice(v);
    }
    head.push(0xFF);
    head.extend_from_slice(&data);
    head
}

/// A response being written, with the DONE kind its statements end with.
struct Resp<'a> {
    reply: Reply<'a, Stream>,
    inner_done: u8,
}

impl Session<'_> {
    fn reply(&mut self) -> Reply<'_, Stream> {
        Reply::new(&mut self.out, self.packet_size, self.spid)
    }

    fn fail(&mut self, text: &str) -> io::Result<End> {
        let mut r = self.reply();
        r.put(&message(0xAA, 50000, 16, text))?;
        r.put(&done(TOK_DONE, DONE_ERROR, 0))?;
        r.finish()?;
        Ok(End::Done)
    }

    /// LOGIN7; false when the login was refused (the session then ends).
    fn login(&mut self, d: &[u8]) -> io::Result<bool> {
        let mut c = Cur::new(d);
        c.take(8)?;
        let packet_size = c.u32()? as usize;
        let field = |off: usize| -> io::Result<String> {
            let mut c = Cur::new(d);
            c.take(off)?;
            let (o, n) = (c.u16()? as usize, c.u16()? as usize);
            let mut c = Cur::new(d);
            c.take(o)?;
            c.ucs2(n)
        };
        let user = field(40)?;
        let password = {
            let mut c = Cur::new(d);
            c.take(44)?;
            let (o, n) = (c.u16()? as usize, c.u16()? as usize);
            let raw: Vec<u8> = d.get(o..o + n * 2).ok_or_else(short)?.iter().map(|b| (b ^ 0xA5).rotate_left(4)).collect();
            from_ucs2(&raw)?
        };
        let database = field(68)?;
        if user != USER || password != PASSWORD {
            let mut r = self.reply();
            r.put(&message(0xAA, 18456, 14, &format!("Login failed for user '{user}'.")))?;
            r.put(&done(TOK_DONE, DONE_ERROR, 0))?;
            r.finish()?;
            return Ok(false);
        }
        if !database.is_empty() && database != DATABASE {
            let mut r = self.reply();
            r.put(&message(
                0xAA,
                4060,
                11,
                &format!("Cannot open database \"{database}\" requested by the login. The login failed."),
            ))?;
            r.put(&done(TOK_DONE, DONE_ERROR, 0))?;
            r.finish()?;
            return Ok(false);
        }
        self.packet_size = packet_size.clamp(512, 32767);
        let size = self.packet_size.to_string();
        let mut r = Reply::new(&mut self.out, 4096, self.spid);
        r.put(&env_change(1, &ucs2(DATABASE), &ucs2("master"), false))?;
        r.put(&env_change(7, &types::COLLATION, &[], true))?;
        r.put(&message(0xAB, 5701, 10, &format!("Changed database context to '{DATABASE}'.")))?;
        r.put(&login_ack("keel-tds-peer"))?;
        r.put(&env_change(4, &ucs2(&size), &ucs2("4096"), false))?;
        r.put(&done(TOK_DONE, 0, 0))?;
        r.finish()?;
        Ok(true)
    }

    fn batch(&mut self, d: &[u8]) -> io::Result<End> {
        let mut c = Cur::new(d);
        c.skip_all_headers()?;
        let sql = from_ucs2(c.rest())?;
        self.run(&sql, "", &[], TOK_DONE)
    }

    fn rpc(&mut self, d: &[u8]) -> io::Result<End> {
        let mut c = Cur::new(d);
        c.skip_all_headers()?;
        let n = c.u16()?;
        let proc_ok = if n == 0xFFFF { c.u16()? == 10 } else { c.ucs2(n as usize)?.eq_ignore_ascii_case("sp_executesql") };
        if !proc_ok {
            return self.fail("the peer only runs sp_executesql");
        }
        c.u16()?; // option flags
        let mut params: Vec<(String, SqlValue)> = Vec::new();
        while !c.rest().is_empty() {
            let name = c.b_varchar()?;
            c.u8()?; // status flags
            let v = types::read_param(&mut c)?;
            params.push((name, v));
        }
        let stmt = match params.first() {
            Some((_, SqlValue::Text(s))) => s.clone(),
            _ => return self.fail("sp_executesql needs @stmt"),
        };
        // @params declares the types, which the values also carry; the
        // declarations are kept for the conversion check.
        let decls = match params.get(1) {
            Some((_, SqlValue::Text(d))) => d.clone(),
            _ => String::new(),
        };
        let values: Vec<(String, SqlValue)> = params.into_iter().skip(2).collect();
        self.run(&stmt, &decls, &values, TOK_DONEINPROC)
    }

    /// Transaction manager request: begin (5), commit (7), rollback (8), save (9).
    fn transaction(&mut self, d: &[u8]) -> io::Result<End> {
        let mut c = Cur::new(d);
        c.skip_all_headers()?;
        let kind = c.u16()?;
        let stmt = match kind {
            5 => {
                let _isolation = c.u8()?; // accepted; SQLite has one level
                sql::Stmt::Begin
            }
            7 => sql::Stmt::Commit,
            8 => {
                let name = if c.rest().is_empty() { String::new() } else { c.b_varchar()? };
                if name.is_empty() { sql::Stmt::Rollback } else { sql::Stmt::RollbackTo(name) }
            }
            9 => sql::Stmt::Save(c.b_varchar()?),
            other => return self.fail(&format!("the peer does not handle transaction requests of type {other}")),
        };
        let mut resp = Resp { reply: Reply::new(&mut self.out, self.packet_size, self.spid), inner_done: TOK_DONE };
        let r = exec_tx(&self.db, &mut self.tx, &self.shared.next_tx, &stmt, &mut resp);
        match r {
            Ok(()) => resp.reply.put(&done(TOK_DONE, 0, 0))?,
            Err(e) => {
                resp.reply.put(&refused_token(&e))?;
                resp.reply.put(&done(TOK_DONE, DONE_ERROR, 0))?;
            }
        }
        resp.reply.finish()?;
        Ok(End::Done)
    }

    /// A bulk load message: COLMETADATA, ROWs and DONE, for the table and
    /// columns of the `INSERT BULK` before it. Each row is inserted as a
    /// prepared INSERT would; the answer is DONE with the count, or the
    /// first error (the rows before it stay, as in SQL Server, until the
    /// transaction is rolled back).
    fn bulk_load(&mut self, d: &[u8]) -> io::Result<End> {
        let Some((table, names)) = self.bulk.take() else {
            return self.fail("a bulk load message without an INSERT BULK before it");
        };
        self.shared.bulk_loads.fetch_add(1, Ordering::SeqCst);
        let mut c = Cur::new(d);
        if c.u8()? != 0x81 {
            return self.fail("a bulk load message starts with COLMETADATA");
        }
        let n = c.u16()? as usize;
        let mut tis = Vec::with_capacity(n);
        for _ in 0..n {
            c.u32()?; // user type
            c.u16()?; // flags
            let ti = types::read_type_info(&mut c)?;
            if matches!(ti.code, 0x22 | 0x23 | 0x63) {
                let chars = c.u16()? as usize; // the table name (bulk load form)
                c.ucs2(chars)?;
            }
            c.b_varchar()?;
            tis.push(ti);
        }
        if n != names.len() {
            return self.fail(&format!("the bulk load has {n} columns, its INSERT BULK {}", names.len()));
        }
        let mut rows = Vec::new();
        loop {
            match c.u8()? {
                0xD1 => {
                    let mut row = Vec::with_capacity(n);
                    for ti in &tis {
                        row.push(types::read_value(&mut c, ti)?);
                    }
                    rows.push(row);
                }
                TOK_DONE => break,
                other => return self.fail(&format!("the peer does not read token 0x{other:02X} in a bulk load")),
            }
        }
        let marks = vec!["?"; n].join(", ");
        let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", names.join(", "));
        let mut count = 0u64;
        let outcome = self.db.prepare(&sql).map_err(|e| sqlite_error(&e)).and_then(|mut st| {
            for row in rows {
                st.execute(rusqlite::params_from_iter(row)).map_err(|e| sqlite_error(&e))?;
                count += 1;
            }
            Ok(())
        });
        let mut r = Reply::new(&mut self.out, self.packet_size, self.spid);
        match outcome {
            Ok(()) => r.put(&done(TOK_DONE, DONE_COUNT, count))?,
            Err(e) => {
                r.put(&refused_token(&e))?;
                r.put(&done(TOK_DONE, DONE_ERROR, 0))?;
            }
        }
        r.finish()?;
        Ok(End::Done)
    }

    /// Run a batch (or the statement of an sp_executesql call) and reply.
    fn run(&mut self, text: &str, decls: &str, params: &[(String, SqlValue)], inner: u8) -> io::Result<End> {
        let stmts = sql::split(text);
        let rpc = inner == TOK_DONEINPROC;
        let spid = self.spid;
        let mut end = End::Done;
        let mut failed = false;
        {
            let mut resp = Resp { reply: Reply::new(&mut self.out, self.packet_size, spid), inner_done: inner };
            for (i, s) in stmts.iter().enumerate() {
                let more = if i + 1 < stmts.len() || rpc { DONE_MORE } else { 0 };
                let t = sql::translate(s, spid, VERSION, self.tx.is_some());
                let r = match &t {
                    sql::Stmt::Noop => {
                        resp.reply.put(&done(inner, more, 0))?;
                        Ok(())
                    }
                    sql::Stmt::Kill(Some(target)) => {
                        end = End::Kill(*target as u16);
                        break;
                    }
                    sql::Stmt::Kill(None) => Err(Refused { number: 102, message: "Incorrect syntax near 'KILL'.".into() }),
                    sql::Stmt::WaitFor(d) => {
                        let until = Instant::now() + *d;
                        while Instant::now() < until && !self.attn.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        if !self.attn.load(Ordering::SeqCst) {
                            resp.reply.put(&done(inner, more, 0))?;
                        }
                        Ok(())
                    }
                    sql::Stmt::Sql(q) => {
                        let r = sql::refuse_text_into_binary(s, decls, |t| column_types(&self.db, t))
                            .and_then(|()| run_sql(&self.db, q, params, &self.attn, &mut resp, more));
                        if r.is_ok() {
                            remember_ddl(&self.shared.ddl, s);
                        }
                        r
                    }
                    sql::Stmt::Catalog(q) => {
                        let ddl = self.shared.ddl.lock().unwrap().clone();
                        catalog::refresh(&self.db, &ddl)
                            .and_then(|()| self.db.execute_batch("PRAGMA case_sensitive_like = ON"))
                            .map_err(|e| sqlite_error(&e))
                            .and_then(|()| {
                                let r = run_catalog_sql(&self.db, q, params, &mut resp, more);
                                let _ = self.db.execute_batch("PRAGMA case_sensitive_like = OFF");
                                r
                            })
                    }
                    sql::Stmt::BulkInsert { table, columns } => {
                        self.bulk = Some((table.clone(), columns.clone()));
                        resp.reply.put(&done(inner, more, 0)).map_err(|e| Refused { number: -1, message: e.to_string() })
                    }
                    sql::Stmt::Describe(arg) => {
                        let in_tx = self.tx.is_some();
                        describe(&self.db, arg, params, spid, in_tx, &mut resp, more)
                    }
                    other => exec_tx(&self.db, &mut self.tx, &self.shared.next_tx, other, &mut resp)
                        .map(|_| resp.reply.put(&done(inner, more, 0)))
                        .and_then(|w| w.map_err(|e| Refused { number: -1, message: e.to_string() })),
                };
                if self.attn.load(Ordering::SeqCst) {
                    end = End::Attention;
                    break;
                }
                if let Err(e) = r {
                    if e.number == -1 {
                        return Err(io::Error::other(e.message));
                    }
                    resp.reply.put(&refused_token(&e))?;
                    resp.reply.put(&done(inner, DONE_ERROR | more, 0))?;
                    failed = true;
                    if rpc {
                        break;
                    }
                }
            }
            if let End::Kill(target) = end {
                if target != spid {
                    resp.reply.put(&done(inner, 0, 0))?;
                    resp.reply.finish()?;
                }
                return Ok(end);
            }
            if let End::Attention = end {
                resp.reply.put(&done(TOK_DONE, DONE_ATTN, 0))?;
            } else if rpc {
                resp.reply.put(&[0x79, 0, 0, 0, 0])?; // RETURNSTATUS 0
                resp.reply.put(&done(TOK_DONEPROC, if failed { DONE_ERROR } else { 0 }, 0))?;
            } else if stmts.is_empty() {
                resp.reply.put(&done(TOK_DONE, 0, 0))?;
            }
            resp.reply.finish()?;
        }
        Ok(end)
    }
}

/// Keep a CREATE TABLE's text, as written, for the catalog views.
fn remember_ddl(ddl: &Mutex<HashMap<String, String>>, stmt: &str) {
    let w: Vec<&str> = stmt.split_whitespace().take(3).collect();
    if w.len() == 3 && w[0].eq_ignore_ascii_case("CREATE") && w[1].eq_ignore_ascii_case("TABLE") {
        let name = w[2].split('(').next().unwrap_or("").trim_matches(['[', ']', '"']).to_ascii_lowercase();
        ddl.lock().unwrap().insert(name, stmt.to_owned());
    }
}

/// Name and declared type of each column of `table`.
fn column_types(db: &Connection, table: &str) -> Vec<(String, String)> {
    let Ok(mut st) = db.prepare("SELECT name, type FROM pragma_table_info(?1)") else { return Vec::new() };
    st.query_map([table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

fn refused_token(e: &Refused) -> Vec<u8> {
    let class = if e.number == 18456 { 14 } else { 16 };
    message(0xAA, e.number, class, &e.message)
}

/// Begin, commit, rollback and savepoints, with the ENVCHANGE tokens
/// SQL Server sends for them.
fn exec_tx(db: &Connection, tx: &mut Option<u64>, next: &AtomicU64, s: &sql::Stmt, resp: &mut Resp<'_>) -> Result<(), Refused> {
    let io = |e: io::Error| Refused { number: -1, message: e.to_string() };
    match s {
        sql::Stmt::Begin => {
            if tx.is_some() {
                return Err(Refused { number: 50000, message: "the peer does not nest transactions".into() });
            }
            db.execute_batch("BEGIN").map_err(|e| sqlite_error(&e))?;
            let id = next.fetch_add(1, Ordering::Relaxed);
            *tx = Some(id);
            resp.reply.put(&env_change(8, &id.to_le_bytes(), &[], true)).map_err(io)?;
        }
        sql::Stmt::Commit | sql::Stmt::Rollback => {
            let Some(id) = *tx else {
                return Err(if matches!(s, sql::Stmt::Commit) {
                    Refused { number: 3902, message: "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.".into() }
                } else {
                    Refused { number: 3903, message: "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.".into() }
                });
            };
            let commit = matches!(s, sql::Stmt::Commit);
            db.execute_batch(if commit { "COMMIT" } else { "ROLLBACK" }).map_err(|e| sqlite_error(&e))?;
            *tx = None;
            resp.reply.put(&env_change(if commit { 9 } else { 10 }, &[], &id.to_le_bytes(), true)).map_err(io)?;
        }
        sql::Stmt::Save(n) | sql::Stmt::RollbackTo(n) => {
            if tx.is_none() {
                return Err(Refused {
                    number: 628,
                    message: "Cannot issue SAVE TRANSACTION when there is no active transaction.".into(),
                });
            }
            let q = match s {
                sql::Stmt::Save(_) => format!("SAVEPOINT \"{}\"", n.replace('"', "\"\"")),
                _ => format!("ROLLBACK TO \"{}\"", n.replace('"', "\"\"")),
            };
            db.execute_batch(&q).map_err(|e| sqlite_error(&e))?;
        }
        _ => {}
    }
    Ok(())
}

fn first_word(q: &str) -> String {
    q.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("").to_ascii_uppercase()
}

/// `q` prepared on SQLite with the parameters it names bound.
fn prepare_bound<'a>(db: &'a Connection, q: &str, params: &[(String, SqlValue)]) -> Result<rusqlite::Statement<'a>, Refused> {
    let mut st = db.prepare(q).map_err(|e| sqlite_error(&e))?;
    for (name, v) in params {
        if let Some(i) = st.parameter_index(name).map_err(|e| sqlite_error(&e))? {
            st.raw_bind_parameter(i, v).map_err(|e| sqlite_error(&e))?;
        }
    }
    Ok(st)
}

/// Run one statement on SQLite and write its tokens.
fn run_sql(db: &Connection, q: &str, params: &[(String, SqlValue)], attn: &AtomicBool, resp: &mut Resp<'_>, more: u16) -> Result<(), Refused> {
    let io = |e: io::Error| Refused { number: -1, message: e.to_string() };
    let mut st = prepare_bound(db, q, params)?;
    let ncols = st.column_count();
    if ncols == 0 {
        let n = st.raw_execute().map_err(|e| sqlite_error(&e))?;
        let dml = matches!(first_word(q).as_str(), "INSERT" | "UPDATE" | "DELETE" | "REPLACE");
        let (status, count) = if dml { (DONE_COUNT, n as u64) } else { (0, 0) };
        resp.reply.put(&done(resp.inner_done, status | more, count)).map_err(io)?;
        return Ok(());
    }
    let names: Vec<String> = st.column_names().into_iter().map(str::to_owned).collect();
    let decls: Vec<Option<String>> = st.columns().map(|c| c.decl_type().map(str::to_owned)).collect();
    let mut rows = st.raw_query();
    let mut first = rows.next().map_err(|e| sqlite_error(&e))?;
    let tys: Vec<Ty> = (0..ncols)
        .map(|i| match &decls[i] {
            Some(d) => types::from_decl(d),
            None => types::from_value(first.and_then(|r| r.get_ref(i).ok())),
        })
        .collect();
    resp.reply.put(&colmetadata(&tys, &names)).map_err(io)?;
    let mut count = 0u64;
    let mut buf = Vec::new();
    while let Some(row) = first.take() {
        if attn.load(Ordering::SeqCst) {
            return Ok(());
        }
        buf.clear();
        let vals: Vec<SqlRef<'_>> = (0..ncols).map(|i| row.get_ref(i).unwrap_or(SqlRef::Null)).collect();
        encode_row(&tys, &vals, &mut buf)?;
        resp.reply.put(&buf).map_err(io)?;
        count += 1;
        first = rows.next().map_err(|e| sqlite_error(&e))?;
    }
    resp.reply.put(&done(resp.inner_done, DONE_COUNT | more, count)).map_err(io)?;
    Ok(())
}

/// Run a catalog query, whose columns are expressions over a derived
/// table (no declared types): each column's type comes from its first
/// non-NULL value among all the rows, read before any is sent, so that a
/// column whose first rows are NULL is still typed as its values are.
fn run_catalog_sql(db: &Connection, q: &str, params: &[(String, SqlValue)], resp: &mut Resp<'_>, more: u16) -> Result<(), Refused> {
    let io = |e: io::Error| Refused { number: -1, message: e.to_string() };
    let mut st = prepare_bound(db, q, params)?;
    let ncols = st.column_count();
    let names: Vec<String> = st.column_names().into_iter().map(str::to_owned).collect();
    let mut all: Vec<Vec<SqlValue>> = Vec::new();
    let mut rows = st.raw_query();
    while let Some(row) = rows.next().map_err(|e| sqlite_error(&e))? {
        all.push((0..ncols).map(|i| row.get::<_, SqlValue>(i).unwrap_or(SqlValue::Null)).collect());
    }
    let tys: Vec<Ty> = (0..ncols)
        .map(|i| types::from_value(all.iter().map(|r| SqlRef::from(&r[i])).find(|v| !matches!(v, SqlRef::Null))))
        .collect();
    resp.reply.put(&colmetadata(&tys, &names)).map_err(io)?;
    let mut buf = Vec::new();
    for r in &all {
        buf.clear();
        let vals: Vec<SqlRef<'_>> = r.iter().map(SqlRef::from).collect();
        encode_row(&tys, &vals, &mut buf)?;
        resp.reply.put(&buf).map_err(io)?;
    }
    resp.reply.put(&done(resp.inner_done, DONE_COUNT | more, all.len() as u64)).map_err(io)?;
    Ok(())
}

/// COLMETADATA for columns of these types and names.
fn colmetadata(tys: &[Ty], names: &[String]) -> Vec<u8> {
    let mut meta = vec![0x81];
    meta.extend_from_slice(&(tys.len() as u16).to_le_bytes());
    for (ty, name) in tys.iter().zip(names) {
        meta.extend_from_slice(&0u32.to_le_bytes()); // user type
        meta.extend_from_slice(&0x0009u16.to_le_bytes()); // nullable, updatable-unknown
        types::type_info(*ty, &mut meta);
        b_varchar(&mut meta, name);
    }
    meta
}

/// One ROW (or NBCROW, when a value is NULL) token into `buf`.
fn encode_row(tys: &[Ty], vals: &[SqlRef<'_>], buf: &mut Vec<u8>) -> Result<(), Refused> {
    if vals.iter().any(|v| matches!(v, SqlRef::Null)) {
        buf.push(0xD2); // NBCROW: a bitmap of NULLs, then the others
        let mut bits = vec![0u8; vals.len().div_ceil(8)];
        for (i, v) in vals.iter().enumerate() {
            if matches!(v, SqlRef::Null) {
                bits[i / 8] |= 1 << (i % 8);
            }
        }
        buf.extend_from_slice(&bits);
        for (ty, v) in tys.iter().zip(vals) {
            if !matches!(v, SqlRef::Null) {
                types::encode_value(*ty, *v, buf)?;
            }
        }
    } else {
        buf.push(0xD1);
        for (ty, v) in tys.iter().zip(vals) {
            types::encode_value(*ty, *v, buf)?;
        }
    }
    Ok(())
}

/// `sp_describe_first_result_set`: prepare (never run) the first
/// statement of the `@tsql` argument (`arg`: a parameter of the call, or
/// a literal) and answer one row per result column, with the columns of
/// SQL Server's answer that keel reads.
fn describe(
    db: &Connection,
    arg: &str,
    params: &[(String, SqlValue)],
    spid: u16,
    in_tx: bool,
    resp: &mut Resp<'_>,
    more: u16,
) -> Result<(), Refused> {
    let io = |e: io::Error| Refused { number: -1, message: e.to_string() };
    let tsql = if arg.starts_with('@') {
        match params.iter().find(|(n, _)| n.eq_ignore_ascii_case(arg)) {
            Some((_, SqlValue::Text(t))) => t.clone(),
            _ => return Err(Refused { number: 214, message: "Procedure expects parameter '@tsql' of type 'nvarchar(max)'.".into() }),
        }
    } else {
        let t = arg.trim_start_matches(['N', 'n']);
        t.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')).unwrap_or(t).replace("''", "'")
    };
    let mut columns: Vec<(String, String, bool)> = Vec::new();
    if let Some(first) = sql::split(&tsql).first() {
        match sql::translate(first, spid, VERSION, in_tx) {
            sql::Stmt::Sql(q) => {
                if matches!(first_word(&q).as_str(), "EXEC" | "EXECUTE") {
                    let shown: String = first.trim().chars().take(40).collect();
                    return Err(Refused {
                        number: 11514,
                        message: format!(
                            "The metadata could not be determined because statement '{shown}' contains dynamic SQL. \
                             Consider using the WITH RESULT SETS clause to explicitly describe the result set."
                        ),
                    });
                }
                let st = db.prepare(&q).map_err(|e| sqlite_error(&e))?;
                for (i, c) in st.columns().enumerate() {
                    let type_name = c.decl_type().map_or_else(|| "sql_variant".to_owned(), |d| types::type_name(types::from_decl(d)));
                    // SQL Server's primary key columns are NOT NULL (SQLite's
                    // need not be).
                    let not_null = matches!(st.column_metadata(i), Ok(Some((.., nn, pk, _))) if nn || pk);
                    columns.push((c.name().to_owned(), type_name, !not_null));
                }
            }
            // SET, transaction statements, WAITFOR, KILL: no result.
            _ => {}
        }
    }
    let tys = [Ty::Bit, Ty::Int(4), Ty::NVarChar(Some(128), false), Ty::Bit, Ty::NVarChar(Some(256), false)];
    let names: Vec<String> =
        ["is_hidden", "column_ordinal", "name", "is_nullable", "system_type_name"].map(str::to_owned).to_vec();
    resp.reply.put(&colmetadata(&tys, &names)).map_err(io)?;
    let mut buf = Vec::new();
    for (i, (name, type_name, nullable)) in columns.iter().enumerate() {
        buf.clear();
        let vals = [
            SqlRef::Integer(0),
            SqlRef::Integer(i as i64 + 1),
            SqlRef::Text(name.as_bytes()),
            SqlRef::Integer(*nullable as i64),
            SqlRef::Text(type_name.as_bytes()),
        ];
        encode_row(&tys, &vals, &mut buf)?;
        resp.reply.put(&buf).map_err(io)?;
    }
    resp.reply.put(&done(resp.inner_done, DONE_COUNT | more, columns.len() as u64)).map_err(io)?;
    Ok(())
}

/// A SQLite error as the SQL Server error a real server gives for it.
fn sqlite_error(e: &rusqlite::Error) -> Refused {
    use rusqlite::ffi::ErrorCode as C;
    let msg = e.to_string();
    let quoted = |prefix: &str| msg.split(prefix).nth(1).unwrap_or("").trim().to_owned();
    let (number, message) = match e {
        rusqlite::Error::SqliteFailure(f, m) => {
            let m = m.clone().unwrap_or_default();
            match (f.code, f.extended_code) {
                (C::ConstraintViolation, 1555 | 2067) => {
                    (2627, format!("Violation of PRIMARY KEY or UNIQUE constraint. Cannot insert duplicate key ({m})."))
                }
                (C::ConstraintViolation, 1299) => {
                    let col = m.rsplit('.').next().unwrap_or("").to_owned();
                    (515, format!("Cannot insert the value NULL into column '{col}'; column does not allow nulls. INSERT fails."))
                }
                (C::ConstraintViolation, 275) if m.contains("keel_len_") => {
                    (2628, format!("String or binary data would be truncated in column '{}'.", m.split("keel_len_").nth(1).unwrap_or("")))
                }
                (C::ConstraintViolation, 275) if m.contains("keel_range_") => {
                    (8115, "Arithmetic overflow error converting expression to data type int.".to_owned())
                }
                (C::ConstraintViolation, 275) if m.contains("keel_dec_") => {
                    (8115, "Arithmetic overflow error converting numeric to data type numeric.".to_owned())
                }
                (C::ConstraintViolation, _) => (547, format!("The statement conflicted with a constraint ({m}).")),
                (C::DatabaseBusy | C::DatabaseLocked, _) => (1222, "Lock request time out period exceeded.".to_owned()),
                (C::OperationInterrupted, _) => (0, "interrupted".to_owned()),
                _ if m.starts_with("no such table: ") => (208, format!("Invalid object name '{}'.", quoted("no such table: "))),
                _ if m.starts_with("no such column: ") => (207, format!("Invalid column name '{}'.", quoted("no such column: "))),
                _ if m.contains("already exists") => (2714, format!("There is already an object named in the database ({m}).")),
                _ if m.contains("syntax error") || m.contains("incomplete input") => {
                    let near = m.split('"').nth(1).unwrap_or("");
                    (102, format!("Incorrect syntax near '{near}'."))
                }
                _ if m.starts_with("no such savepoint") => {
                    (6401, format!("Cannot roll back {}. No transaction or savepoint of that name was found.", quoted("no such savepoint: ")))
                }
                _ => (50000, format!("peer (SQLite): {m}")),
            }
        }
        rusqlite::Error::SqlInputError { msg: m, .. } if m.contains("syntax error") || m.contains("incomplete input") => {
            let near = m.split('"').nth(1).unwrap_or("");
            (102, format!("Incorrect syntax near '{near}'."))
        }
        rusqlite::Error::SqlInputError { msg: m, .. } if m.starts_with("no such table: ") => {
            (208, format!("Invalid object name '{}'.", m.trim_start_matches("no such table: ")))
        }
        rusqlite::Error::SqlInputError { msg: m, .. } if m.starts_with("no such column: ") => {
            (207, format!("Invalid column name '{}'.", m.trim_start_matches("no such column: ")))
        }
        rusqlite::Error::SqlInputError { msg: m, .. } if m.contains("already exists") => {
            (2714, format!("There is already an object named in the database ({m})."))
        }
        _ => (50000, format!("peer (SQLite): {msg}")),
    };
    Refused { number, message }
}

/// Write `bytes` and nothing else (used by tests that speak raw TDS).
pub fn write_all(s: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    s.write_all(bytes)
}
