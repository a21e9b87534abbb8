//! A blocking PostgreSQL session on tokio-postgres, with the socket under
//! keel's control.
//!
//! The `postgres` crate's blocking client opens its own socket and waits
//! on it without a time limit, so a network that stops answering mid-query
//! (the peer's kernel still acknowledges, nothing comes back) blocks the
//! call for ever. Here keel opens the socket itself (with TCP keepalive),
//! hands it to `tokio_postgres::Config::connect_raw` through a wrapper that
//! notes every byte moved, and drives the connection on a current-thread
//! runtime only while a call waits, as the `postgres` crate does. A call
//! that sees no byte move for `socket_timeout_ms` fails with TIMEOUT, and
//! the session is marked broken so the pool closes it (the protocol state
//! is unknown after that). Counting the bytes written also tells whether a
//! failed call sent anything, which is what `keel_error_retry_safety`
//! reports.

use super::errors;
use crate::core::error::{Error, Result, RetrySafety, Status};
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::runtime::Runtime;
use super::tls::Tls;

/// Where the server is and how to reach it.
#[derive(Clone, Debug)]
pub struct Target {
    /// A host name or address, or a directory holding the server's Unix
    /// socket (starts with `/`).
    pub host: String,
    pub port: u16,
    /// Limit on opening the socket and the whole startup (authentication
    /// included); `None` waits for ever.
    pub connect_timeout: Option<Duration>,
    /// TCP keepalive idle time and probe interval; `None` turns it off.
    pub keepalive: Option<Duration>,
    /// sslmode and the certificate check, for the session and its cancel
    /// requests.
    pub tls: Tls,
}

impl Target {
    fn unix_path(&self) -> Option<String> {
        self.host.starts_with('/').then(|| format!("{}/.s.PGSQL.{}", self.host.trim_end_matches('/'), self.port))
    }
}

/// Byte counts and the time of the last byte moved, shared between the
/// socket wrapper and the call that waits.
#[derive(Default)]
struct Progress {
    written: AtomicU64,
    /// Microseconds since `Client::epoch` of the last read or write.
    last_us: AtomicU64,
}

enum Sock {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

/// The socket tokio-postgres talks through: counts what moves, and, when
/// the session is not encrypted, follows the server's messages for the
/// transaction status (see [`Follow`]).
pub struct Io {
    sock: Sock,
    progress: Arc<Progress>,
    epoch: Instant,
    watch: Watch,
}

/// What [`Io`] makes of the bytes it reads.
enum Watch {
    /// Nothing (TLS, whose records the [`TapStream`] above it follows in
    /// the clear).
    Off,
    /// A cancel request's connection: shutting it down waits until the
    /// server has closed it, which it does once it has signalled the
    /// session (as libpq's PQcancel waits). Returning earlier would let
    /// the signal land on the caller's next statement. `shut`: the write
    /// half is closed.
    Cancel { shut: bool },
    /// The one-byte answer to the SSLRequest comes first: `N` means the
    /// session goes on in the clear, `S` that TLS follows.
    SslAnswer(Follow),
    /// Protocol messages, in the clear.
    Messages(Follow),
}

/// The transaction status of the last ReadyForQuery message: `I` (idle),
/// `T` (in a transaction), `E` (in a failed transaction), 0 before the
/// first. The server sends one at the end of every request, so this is
/// the server's own view, whether keel or SQL began the transaction.
pub type TxStatus = Arc<AtomicU8>;

/// Follows the backend message stream (a type byte, a 4-byte length, the
/// body) without decoding it, to pick up each ReadyForQuery's status.
pub struct Follow {
    header: [u8; 5],
    have: usize,
    /// Body bytes of the current message not yet seen.
    left: usize,
    /// The current message is a ReadyForQuery whose status byte is next.
    ready: bool,
    status: TxStatus,
}

impl Follow {
    pub fn new(status: TxStatus) -> Follow {
        Follow { header: [0; 5], have: 0, left: 0, ready: false, status }
    }

    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.left == 0 {
                let n = (5 - self.have).min(data.len());
                self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
                self.have += n;
                data = &data[n..];
                if self.have == 5 {
                    self.have = 0;
                    let len = u32::from_be_bytes([self.header[1], self.header[2], self.header[3], self.header[4]]);
                    self.left = (len as usize).saturating_sub(4);
                    self.ready = self.header[0] == b'Z' && self.left > 0;
                }
            } else {
                if std::mem::take(&mut self.ready) {
                    self.status.store(data[0], Ordering::Release);
                }
                let n = self.left.min(data.len());
                self.left -= n;
                data = &data[n..];
            }
        }
    }
}

/// The TLS stream with the message follower over it (its reads are the
/// clear protocol bytes).
pub struct TapStream<S> {
    inner: S,
    follow: Follow,
}

impl<S: AsyncRead + Unpin> AsyncRead for TapStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let Self { follow, .. } = &mut *self;
            follow.feed(&buf.filled()[before..]);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TapStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: tokio_postgres::tls::TlsStream + Unpin> tokio_postgres::tls::TlsStream for TapStream<S> {
    fn channel_binding(&self) -> tokio_postgres::tls::ChannelBinding {
        self.inner.channel_binding()
    }
}

/// A TLS handshake whose stream comes out wrapped in a [`TapStream`].
pub struct Tapped<T> {
    inner: T,
    status: TxStatus,
}

impl<S, T: tokio_postgres::tls::TlsConnect<S>> tokio_postgres::tls::TlsConnect<S> for Tapped<T> {
    type Stream = TapStream<T::Stream>;
    type Error = T::Error;
    type Future = TapFuture<T::Future>;

    fn connect(self, stream: S) -> Self::Future {
        TapFuture { inner: Box::pin(self.inner.connect(stream)), status: self.status }
    }
}

pub struct TapFuture<F> {
    inner: Pin<Box<F>>,
    status: TxStatus,
}

impl<F: Future<Output = std::result::Result<S, E>>, S, E> Future for TapFuture<F> {
    type Output = std::result::Result<TapStream<S>, E>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let status = self.status.clone();
        self.inner.as_mut().poll(cx).map(|r| r.map(|inner| TapStream { inner, follow: Follow::new(status) }))
    }
}

impl Io {
    fn moved(&self) {
        let us = self.epoch.elapsed().as_micros() as u64;
        self.progress.last_us.store(us, Ordering::Relaxed);
    }
}

impl AsyncRead for Io {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = match &mut self.sock {
            Sock::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Sock::Unix(s) => Pin::new(s).poll_read(cx, buf),
        };
        if let Poll::Ready(Ok(())) = r {
            if buf.filled().len() > before {
                self.moved();
                let Self { watch, .. } = &mut *self;
                let mut new = &buf.filled()[before..];
                if let Watch::SslAnswer(_) = watch {
                    let Watch::SslAnswer(f) = std::mem::replace(watch, Watch::Off) else { unreachable!() };
                    if new[0] == b'N' {
                        *watch = Watch::Messages(f);
                    }
                    new = &new[1..];
                }
                if let Watch::Messages(f) = watch {
                    f.feed(new);
                }
            }
        }
        r
    }
}

impl AsyncWrite for Io {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let r = match &mut self.sock {
            Sock::Tcp(s) => Pin::new(s).poll_write(cx, data),
            #[cfg(unix)]
            Sock::Unix(s) => Pin::new(s).poll_write(cx, data),
        };
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                self.progress.written.fetch_add(n as u64, Ordering::Relaxed);
                self.moved();
            }
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.sock {
            Sock::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Sock::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Watch::Cancel { shut: false } = self.watch {
            std::task::ready!(self.shutdown_write(cx))?;
            self.watch = Watch::Cancel { shut: true };
        }
        if let Watch::Cancel { shut: true } = self.watch {
            // Read (and drop) until the server closes the connection.
            let mut scratch = [0u8; 64];
            loop {
                let mut buf = ReadBuf::new(&mut scratch);
                let r = match &mut self.sock {
                    Sock::Tcp(s) => Pin::new(s).poll_read(cx, &mut buf),
                    #[cfg(unix)]
                    Sock::Unix(s) => Pin::new(s).poll_read(cx, &mut buf),
                };
                match std::task::ready!(r) {
                    Ok(()) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                    Ok(()) => continue,
                    // A reset is the server closing too.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Poll::Ready(Ok(())),
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
        }
        self.shutdown_write(cx)
    }
}

impl Io {
    fn shutdown_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.sock {
            Sock::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Sock::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The session's connection: the socket, with the TLS layer over it when
/// the server agreed to TLS.
type PgConnection = tokio_postgres::Connection<
    Io,
    TapStream<<tokio_postgres_rustls::MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<Io>>::Stream>,
>;

/// What a call does to the server, which decides what a failure that cut
/// the session off means for retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Runs (part of) a statement: once a byte went out, it may have run.
    Runs,
    /// Reads the result of a statement sent earlier: it may have run.
    Reads,
    /// Prepares or pings: nothing runs, whatever was sent.
    NoRun,
}

/// Why a wait ended without the call's answer.
enum Failure {
    /// The call itself failed.
    Call(tokio_postgres::Error),
    /// The connection failed (the session is over).
    Conn(tokio_postgres::Error),
    /// No byte moved for this long.
    Silent(Duration),
}

/// One blocking session.
pub struct Client {
    /// `None` only while dropping.
    client: Option<tokio_postgres::Client>,
    conn: PgConnection,
    rt: Runtime,
    progress: Arc<Progress>,
    epoch: Instant,
    #[cfg(unix)]
    fd: std::os::fd::RawFd,
    socket_timeout: Option<Duration>,
    /// The session failed for good (network, timeout, server ended it).
    broken: AtomicBool,
    /// The server's transaction status, from its last ReadyForQuery.
    tx: TxStatus,
    /// Close the session (mark it broken) when a statement is refused
    /// with SQLSTATE 25006 (read-only transaction): set for sessions
    /// opened for a read-write server, which a failover made a standby.
    pub retire_on_read_only: bool,
}

fn io_error(message: String, status: Status) -> Error {
    Error::new(status, message).with_sqlstate("08001").with_driver("postgres").with_retry(RetrySafety::NotSent)
}

/// Open the socket (TCP with keepalive, or Unix).
async fn open_socket(t: &Target) -> io::Result<Sock> {
    #[cfg(unix)]
    if let Some(path) = t.unix_path() {
        return Ok(Sock::Unix(tokio::net::UnixStream::connect(path).await?));
    }
    let mut last = None;
    for addr in tokio::net::lookup_host((t.host.as_str(), t.port)).await? {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => {
                s.set_nodelay(true)?;
                if let Some(k) = t.keepalive {
                    let ka = socket2::TcpKeepalive::new().with_time(k);
                    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd"))]
                    let ka = ka.with_interval(k);
                    socket2::SockRef::from(&s).set_tcp_keepalive(&ka)?;
                }
                return Ok(Sock::Tcp(s));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the host name resolved to no address")))
}

impl Client {
    /// Connect and authenticate. Every failure here is `NotSent`: no
    /// statement went out.
    pub fn connect(cfg: &tokio_postgres::Config, t: &Target, socket_timeout: Option<Duration>) -> Result<Client> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| io_error(format!("could not start the PostgreSQL client runtime: {e}"), Status::Internal))?;
        let where_ = match t.unix_path() {
            Some(p) => p,
            None => crate::core::url::address(&t.host, t.port),
        };
        let progress = Arc::new(Progress::default());
        let epoch = Instant::now();
        let tx = TxStatus::default();
        let startup = async {
            let sock = open_socket(t)
                .await
                .map_err(|e| io_error(format!("could not connect to PostgreSQL at {where_}: {e}"), Status::Io))?;
            let fd = raw_fd(&sock);
            // libpq never uses TLS on a Unix-domain socket.
            let unix_cfg;
            let cfg = if t.unix_path().is_some() {
                unix_cfg = cfg.clone().ssl_mode(tokio_postgres::config::SslMode::Disable).to_owned();
                &unix_cfg
            } else {
                cfg
            };
            // tokio-postgres asks for TLS first unless sslmode=disable.
            let follow = Follow::new(tx.clone());
            let watch = if cfg.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
                Watch::Messages(follow)
            } else {
                Watch::SslAnswer(follow)
            };
            let io = Io { sock, progress: progress.clone(), epoch, watch };
            let tls = Tapped { inner: t.tls.for_host::<Io>(&t.host)?, status: tx.clone() };
            let (client, conn) = cfg.connect_raw(io, tls).await.map_err(|e| errors::convert(&e).not_sent())?;
            Ok((client, conn, fd))
        };
        let (client, conn, _fd) = rt.block_on(async {
            match t.connect_timeout {
                Some(limit) => tokio::time::timeout(limit, startup).await.unwrap_or_else(|_| {
                    Err(io_error(
                        format!(
                            "could not connect to PostgreSQL at {where_}: no answer within connect_timeout_ms={}",
                            limit.as_millis()
                        ),
                        Status::Timeout,
                    ))
                }),
                None => startup.await,
            }
        })?;
        Ok(Client {
            client: Some(client),
            conn,
            rt,
            progress,
            epoch,
            #[cfg(unix)]
            fd: _fd,
            socket_timeout,
            broken: AtomicBool::new(false),
            tx,
            retire_on_read_only: false,
        })
    }

    /// The server's transaction status as of its last answer (see
    /// [`TxStatus`]).
    pub fn tx_status(&self) -> TxStatus {
        self.tx.clone()
    }

    /// Take in, without waiting, whatever the server already sent (the
    /// rest of a result whose cursor was closed early, with the
    /// ReadyForQuery after it), so that [`Client::tx_status`] is current.
    pub fn settle(&mut self) {
        if self.is_broken() {
            return;
        }
        let Client { conn, rt, broken, .. } = self;
        rt.block_on(poll_fn(|cx| {
            loop {
                match conn.poll_message(cx) {
                    Poll::Ready(Some(Ok(_))) => continue,
                    Poll::Ready(Some(Err(_)) | None) => {
                        broken.store(true, Ordering::Release);
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            Poll::Ready(())
        }));
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }

    pub fn cancel_token(&self) -> tokio_postgres::CancelToken {
        self.client.as_ref().expect("client is only taken by Drop").cancel_token()
    }

    /// Run the future `f` makes from the client to its end, driving the
    /// connection meanwhile. `limit` overrides `socket_timeout_ms` (for the
    /// health-check ping, which always has one).
    pub fn run<'a, T, F>(
        &'a mut self,
        effect: Effect,
        limit: Option<Duration>,
        f: impl FnOnce(&'a tokio_postgres::Client) -> F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    {
        self.run_with(effect, limit, true, f)
    }

    /// As [`Client::run`], for the next row of a streaming result: its
    /// first poll only reads the response channel (a `futures` channel,
    /// which needs nothing of tokio), so it is made without entering the
    /// runtime, which costs a thread-local swap per row. A row that must
    /// be waited for is driven on the runtime as by `run`.
    pub fn run_next_row<'a, T, F>(&'a mut self, f: impl FnOnce(&'a tokio_postgres::Client) -> F) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    {
        self.run_with(Effect::Reads, None, false, f)
    }

    fn run_with<'a, T, F>(
        &'a mut self,
        effect: Effect,
        limit: Option<Duration>,
        enter: bool,
        f: impl FnOnce(&'a tokio_postgres::Client) -> F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    {
        if self.is_broken() {
            return Err(Error::new(Status::Io, "the connection to the PostgreSQL server was lost")
                .with_sqlstate("08003")
                .with_driver("postgres")
                .with_retry(RetrySafety::NotSent));
        }
        let written = self.progress.written.load(Ordering::Relaxed);
        let limit = limit.or(self.socket_timeout);
        let retire_on_read_only = self.retire_on_read_only;
        let Client { client, conn, rt, progress, epoch, broken, .. } = self;
        let client: &'a Option<tokio_postgres::Client> = client;
        let client = client.as_ref().expect("client is only taken by Drop");
        let mut fut = pin!(f(client));
        // A call whose answer has arrived already (the next row of a
        // streaming result, parsed with the others of its read) ends at
        // its first poll: then it needs no wait on the runtime, no timer
        // and no look at the socket. Otherwise the same future is driven.
        let first = {
            let _entered = enter.then(|| rt.enter());
            fut.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop()))
        };
        let outcome = match first {
            Poll::Ready(r) => r.map_err(Failure::Call),
            Poll::Pending => drive(rt, conn, progress, *epoch, limit, fut),
        };
        let fail = match outcome {
            Ok(v) => return Ok(v),
            Err(f) => f,
        };
        // Nothing written during this call: nothing of its statement
        // reached the server, whatever failed.
        let sent = progress.written.load(Ordering::Relaxed) != written;
        let (mut err, fatal) = match fail {
            Failure::Conn(e) => (errors::convert(&e), true),
            Failure::Call(e) => {
                let err = errors::convert(&e);
                let fatal = e.is_closed() || (e.as_db_error().is_some() && errors::ends_session(&err.sqlstate));
                (err, fatal)
            }
            Failure::Silent(d) => {
                let may_have_run = effect == Effect::Reads || (sent && effect == Effect::Runs);
                let e = Error::new(
                    Status::Timeout,
                    format!(
                        "the PostgreSQL server sent nothing for {} ms (socket_timeout_ms); the connection is closed{}",
                        d.as_millis(),
                        if may_have_run { " and the statement may have run" } else { "" }
                    ),
                )
                .with_sqlstate("08006")
                .with_driver("postgres");
                (e, true)
            }
        };
        if fatal {
            // The pool closes the session; its protocol state is unknown.
            broken.store(true, Ordering::Release);
        }
        if retire_on_read_only && err.sqlstate == "25006" {
            // The server this session was opened for as read-write is
            // read-only now: the pool closes it and opens the next one on
            // whichever host is read-write.
            broken.store(true, Ordering::Release);
            err.message.push_str(
                " (the connection was opened for a read-write server (target_session_attrs); it is closed, \
                 and the next one goes to the server that is read-write now)",
            );
        }
        match effect {
            Effect::Reads if fatal => err.retry = RetrySafety::MayHaveRun,
            Effect::Reads => {}
            Effect::NoRun => err.retry = RetrySafety::NotSent,
            Effect::Runs if !sent => err.retry = RetrySafety::NotSent,
            Effect::Runs if fatal => err.retry = RetrySafety::MayHaveRun,
            Effect::Runs => {}
        }
        Err(err)
    }

    /// Whether the session still looks usable, without a round trip when
    /// nothing arrived since the last call: the server closing it (restart,
    /// idle timeout, terminated backend) shows as end-of-file or a pending
    /// message on the socket. Something pending is checked with a ping, as
    /// it may be only a notice.
    pub fn check_alive(&mut self) -> bool {
        if self.is_broken() {
            return false;
        }
        #[cfg(unix)]
        {
            use crate::drivers::net::{Peek, peek_socket};
            match peek_socket(self.fd) {
                Peek::Quiet => true,
                Peek::Closed => {
                    self.broken.store(true, Ordering::Release);
                    false
                }
                Peek::Pending => self.ping(Duration::from_secs(10)).is_ok(),
            }
        }
        #[cfg(not(unix))]
        true
    }

    /// An empty query: one round trip.
    pub fn ping(&mut self, limit: Duration) -> Result<()> {
        self.run(Effect::NoRun, Some(self.socket_timeout.map_or(limit, |t| t.min(limit))), |c| c.simple_query(""))
            .map(|_| ())
    }
}

#[cfg(unix)]
fn raw_fd(s: &Sock) -> std::os::fd::RawFd {
    use std::os::fd::AsRawFd;
    match s {
        Sock::Tcp(s) => s.as_raw_fd(),
        Sock::Unix(s) => s.as_raw_fd(),
    }
}

#[cfg(not(unix))]
fn raw_fd(_: &Sock) {}

/// Poll `fut` and the connection until `fut` ends, the connection fails,
/// or no byte moves for `limit`.
fn drive<T>(
    rt: &Runtime,
    conn: &mut PgConnection,
    progress: &Progress,
    epoch: Instant,
    limit: Option<Duration>,
    fut: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
) -> std::result::Result<T, Failure> {
    let start = epoch.elapsed().as_micros() as u64;
    let mut fut = pin!(fut);
    rt.block_on(async {
        let mut timer = limit.map(|l| Box::pin(tokio::time::sleep(l)));
        poll_fn(|cx| {
            let mut conn_failed = None;
            loop {
                match conn.poll_message(cx) {
                    // Notices and notifications: nothing keel reports.
                    Poll::Ready(Some(Ok(_))) => continue,
                    Poll::Ready(Some(Err(e))) => {
                        conn_failed = Some(e);
                        break;
                    }
                    Poll::Ready(None) | Poll::Pending => break,
                }
            }
            // Polled even after the connection failed: the server's own
            // error (a FATAL message) reaches the call that way, and says
            // more than the connection's "closed".
            if let Poll::Ready(r) = fut.as_mut().poll(cx) {
                return Poll::Ready(r.map_err(|e| if conn_failed.is_some() { Failure::Conn(e) } else { Failure::Call(e) }));
            }
            if let Some(e) = conn_failed {
                return Poll::Ready(Err(Failure::Conn(e)));
            }
            if let (Some(t), Some(limit)) = (timer.as_mut(), limit) {
                while t.as_mut().poll(cx).is_ready() {
                    let last = progress.last_us.load(Ordering::Relaxed).max(start);
                    let deadline = epoch + Duration::from_micros(last) + limit;
                    if Instant::now() >= deadline {
                        return Poll::Ready(Err(Failure::Silent(limit)));
                    }
                    t.as_mut().reset(tokio::time::Instant::from_std(deadline));
                }
            }
            Poll::Pending
        })
        .await
    })
}

impl Drop for Client {
    fn drop(&mut self) {
        // Dropping the client closes its request channel; the connection
        // then sends Terminate and shuts the socket (as libpq's PQfinish
        // does). A broken session is simply closed. Never wait long.
        drop(self.client.take());
        if self.is_broken() {
            return;
        }
        let conn = &mut self.conn;
        let _ = self.rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(1),
                poll_fn(|cx| loop {
                    match conn.poll_message(cx) {
                        Poll::Ready(Some(Ok(_))) => continue,
                        Poll::Ready(_) => return Poll::Ready(()),
                        Poll::Pending => return Poll::Pending,
                    }
                }),
            )
            .await
        });
    }
}

/// Send PostgreSQL's cancel request for the session `token` belongs to,
/// over a new connection to `t`, and wait until the server has acted on it
/// (it closes that connection then), so that the cancel cannot land on a
/// statement the caller starts after this returns.
pub fn cancel(token: &tokio_postgres::CancelToken, t: &Target) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io_error(format!("could not start the PostgreSQL client runtime: {e}"), Status::Internal))?;
    let send = async {
        let sock = open_socket(t).await.map_err(|e| io_error(format!("cancel request: could not connect: {e}"), Status::Io))?;
        let io = Io { sock, progress: Arc::new(Progress::default()), epoch: Instant::now(), watch: Watch::Cancel { shut: false } };
        token.cancel_query_raw(io, t.tls.for_host::<Io>(&t.host)?).await.map_err(|e| errors::convert(&e))
    };
    rt.block_on(async {
        match t.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, send)
                .await
                .unwrap_or_else(|_| Err(io_error("cancel request: no answer within connect_timeout_ms".into(), Status::Timeout))),
            None => send.await,
        }
    })
}
