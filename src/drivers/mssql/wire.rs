//! The socket under tiberius, watched at the level of TDS packets.
//!
//! keel needs two things tiberius does not give: whether the response to
//! the last request has fully arrived (then a cursor closed early needs no
//! attention: the rest is already here and tiberius discards it), and a way
//! to drop an attention acknowledgement that arrives as a message of its
//! own. The latter happens when the server finished the response just as
//! the attention reached it: it then acknowledges in a separate message,
//! which tiberius' `cancel_query` does not wait for (its token stream ends
//! with the response), and which would otherwise be read as the answer to
//! the next request. So after an attention the wire watches how each
//! message ends: when one ends without acknowledging it (its last token is
//! a DONE without DONE_ATTN), the acknowledgement is still to come as a
//! message of its own, and that message is dropped here. Bytes are handed
//! to tiberius one packet at a time, so the check always happens before
//! tiberius could see it.
//!
//! TLS is done here too, under that watching, so the wire always sees TDS
//! packets in the clear (tiberius is built without TLS and never sees it):
//! - `encrypt=on` (TDS 7.x): the wire sets ENCRYPT_ON in tiberius' PRELOGIN,
//!   checks that the server's answer agrees, and runs the TLS handshake in
//!   PRELOGIN packets (as SQL Server expects) before handing that answer on,
//!   marked ENCRYPT_NOT_SUP so tiberius goes on in what it takes for the
//!   clear. Everything after is TLS records on the socket.
//! - `encrypt=strict` (TDS 8.0): the handshake comes first on the bare
//!   socket, with ALPN `tds/8.0` ([`Wire::handshake_strict`]); PRELOGIN and
//!   all the rest go inside.
//! - `encrypt=off`: nothing is encrypted. A server that requires encryption
//!   (ENCRYPT_REQ) is refused with a message saying so.
//!
//! A refusal or a failed certificate check is left in
//! [`WireState::failure`] as a keel error, for the connector to report.
//!
//! Writes go straight to tokio's `TcpStream::poll_write`, which sends with
//! `MSG_NOSIGNAL` on Linux (std's `TcpStream::write`), so writing to a
//! socket the server closed is an error, never a SIGPIPE.

use crate::core::error::{Error, Status};
use futures_util::io::{AsyncRead, AsyncWrite};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use std::task::{Context, Poll, ready};
use tokio::net::TcpStream;
use tokio_util::compat::Compat;

/// What the driver sees of the wire.
pub struct WireState {
    /// The end-of-message packet of the response to the last request has
    /// been handed to tiberius.
    pub response_complete: AtomicBool,
    /// Why the wire refused to go on while connecting (TLS), as keel says it.
    pub failure: Mutex<Option<Error>>,
    /// When a byte last moved on the socket, in ms since [`EPOCH`].
    last_moved: AtomicU64,
    /// The socket (for a look at it between calls); -1 before it is open.
    pub fd: AtomicI32,
}

/// The origin of [`WireState`]'s clock.
static EPOCH: once_cell::sync::Lazy<Instant> = once_cell::sync::Lazy::new(Instant::now);

impl WireState {
    pub fn new() -> WireState {
        WireState {
            response_complete: AtomicBool::new(false),
            failure: Mutex::new(None),
            last_moved: AtomicU64::new(0),
            fd: AtomicI32::new(-1),
        }
    }

    /// Note that bytes moved now (or that a wait for them starts now).
    pub fn moved(&self) {
        self.last_moved.store(EPOCH.elapsed().as_millis() as u64, Ordering::Release);
    }

    /// How long ago a byte last moved.
    pub fn quiet_for(&self) -> Duration {
        let then = Duration::from_millis(self.last_moved.load(Ordering::Acquire));
        EPOCH.elapsed().saturating_sub(then)
    }
}

/// How much of the session is encrypted (the `encrypt` option).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encrypt {
    Off,
    On,
    Strict,
}

/// What the connector tells each wire about TLS.
#[derive(Clone)]
pub struct TlsSetup {
    pub level: Encrypt,
    /// The client configuration (unused with [`Encrypt::Off`]).
    pub config: Arc<ClientConfig>,
    /// The name the certificate must carry (and the SNI).
    pub name: ServerName<'static>,
    /// `name` was given (host_name_in_certificate), not taken from the host.
    pub named: bool,
    /// `host:port`, for messages.
    pub server: String,
}

/// Where the wire is in the connection's opening.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// tiberius' PRELOGIN has not gone out yet.
    Prelogin,
    /// PRELOGIN sent; the server's answer is awaited.
    Response,
    /// The TDS 7.x handshake, inside PRELOGIN packets.
    Handshake,
    /// TDS messages flow, through TLS when it is on.
    Ready,
}

// TDS packet types and PRELOGIN's ENCRYPTION values the wire deals with.
const PRELOGIN: u8 = 0x12;
const ENCRYPTION: u8 = 0x01;
const ENCRYPT_ON: u8 = 1;
const ENCRYPT_NOT_SUP: u8 = 2;
const ENCRYPT_REQ: u8 = 3;

/// Where the wire is with an attention.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Attn {
    None,
    /// Sent, not acknowledged yet.
    Sent,
    /// A message ended without the acknowledgement: the next message is it.
    LateAck,
}

pub struct Wire {
    inner: Compat<TcpStream>,
    state: Arc<WireState>,
    /// Bytes read from the socket and not yet handed on.
    raw: Vec<u8>,
    at: usize,
    /// Header bytes of the packet being handed on, and payload bytes left.
    head: [u8; 8],
    head_len: usize,
    left: usize,
    last: bool,
    /// The last 13 payload bytes handed on (a DONE token's size).
    tail: [u8; 13],
    attn: Attn,
    setup: TlsSetup,
    phase: Phase,
    /// The TLS session, from the start of the handshake on.
    tls: Option<Box<ClientConnection>>,
    /// Bytes for the socket not written yet (TLS records, PRELOGIN).
    out: Vec<u8>,
    out_at: usize,
    /// Bytes from the socket not yet given to TLS.
    cin: Vec<u8>,
}

impl Wire {
    pub fn new(inner: Compat<TcpStream>, state: Arc<WireState>, setup: TlsSetup) -> Wire {
        Wire {
            inner,
            state,
            raw: Vec::new(),
            at: 0,
            head: [0; 8],
            head_len: 0,
            left: 0,
            last: false,
            tail: [0; 13],
            attn: Attn::None,
            setup,
            phase: Phase::Prelogin,
            tls: None,
            out: Vec::new(),
            out_at: 0,
            cin: Vec::new(),
        }
    }

    /// A socket read or write that moved bytes resets the silence clock.
    fn note(&self, r: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = r {
            if *n > 0 {
                self.state.moved();
            }
        }
    }

    /// Record why the connection cannot go on; the error tiberius sees
    /// carries the same message.
    fn refuse(&self, e: Error) -> io::Error {
        let err = io::Error::new(io::ErrorKind::ConnectionRefused, e.message.clone());
        *self.state.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        err
    }

    /// Read more into `raw`: plaintext, decrypted when TLS is on. Ok(0)
    /// at end of stream.
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.at > 0 && self.at == self.raw.len() {
            self.raw.clear();
            self.at = 0;
        }
        let old = self.raw.len();
        self.raw.resize(old + 16 * 1024, 0);
        let r = match self.tls.is_some() && self.phase != Phase::Handshake {
            true => self.poll_plain(cx, old),
            false => {
                let mut raw = std::mem::take(&mut self.raw);
                let r = Pin::new(&mut self.inner).poll_read(cx, &mut raw[old..]);
                self.raw = raw;
                self.note(&r);
                r
            }
        };
        let n = match &r {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.raw.truncate(old + n);
        r
    }

    /// Decrypt into `raw[from..]`, reading TLS records as needed.
    fn poll_plain(&mut self, cx: &mut Context<'_>, from: usize) -> Poll<io::Result<usize>> {
        loop {
            let tls = self.tls.as_mut().expect("TLS is on");
            match tls.reader().read(&mut self.raw[from..]) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            if self.cin.is_empty() && ready!(self.read_socket(cx))? == 0 {
                // The server closed the socket without a close_notify.
                return Poll::Ready(Ok(0));
            }
            self.feed_tls()?;
            // A key update or an alert may want an answer.
            self.queue_tls(false)?;
            if let Poll::Ready(r) = self.poll_out(cx) {
                r?;
            }
        }
    }

    /// Append what the socket has to `cin`; Ok(0) at end of stream.
    fn read_socket(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let old = self.cin.len();
        self.cin.resize(old + 16 * 1024, 0);
        let mut cin = std::mem::take(&mut self.cin);
        let r = Pin::new(&mut self.inner).poll_read(cx, &mut cin[old..]);
        self.cin = cin;
        self.note(&r);
        let n = match &r {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.cin.truncate(old + n);
        r
    }

    /// Give `cin` to TLS, up to the first record that yields plaintext
    /// (rustls holds only so much of it); the rest stays in `cin`.
    fn feed_tls(&mut self) -> io::Result<()> {
        let bytes = std::mem::take(&mut self.cin);
        let used = self.feed_records(&bytes)?;
        self.cin = bytes;
        self.cin.drain(..used);
        Ok(())
    }

    /// Give `bytes` to TLS until plaintext comes of them; how many it took.
    fn feed_records(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let tls = self.tls.as_mut().expect("TLS is on");
        let mut rest = bytes;
        while !rest.is_empty() {
            tls.read_tls(&mut rest)?;
            match tls.process_new_packets() {
                Ok(st) if st.plaintext_bytes_to_read() > 0 => break,
                Ok(_) => {}
                Err(e) => {
                    let _ = tls.write_tls(&mut self.out);
                    return Err(self.refuse(tls_failed(&self.setup, e)));
                }
            }
        }
        Ok(bytes.len() - rest.len())
    }

    /// Move what TLS has to send into `out`; in PRELOGIN packets while a
    /// TDS 7.x handshake runs (one packet per flight, as SQL Server's
    /// clients send it).
    fn queue_tls(&mut self, wrapped: bool) -> io::Result<()> {
        let tls = self.tls.as_mut().expect("TLS is on");
        let mut records = Vec::new();
        while tls.wants_write() {
            tls.write_tls(&mut records)?;
        }
        if records.is_empty() {
            return Ok(());
        }
        if wrapped {
            for chunk in records.chunks(usize::from(u16::MAX) - 8) {
                let len = (chunk.len() + 8) as u16;
                self.out.extend_from_slice(&[PRELOGIN, 0x01]);
                self.out.extend_from_slice(&len.to_be_bytes());
                self.out.extend_from_slice(&[0, 0, 0, 0]);
                self.out.extend_from_slice(chunk);
            }
        } else {
            self.out.extend_from_slice(&records);
        }
        Ok(())
    }

    /// Write `out` to the socket.
    fn poll_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_at < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.out_at..]))?;
            self.state.moved();
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_at += n;
        }
        self.out.clear();
        self.out_at = 0;
        Poll::Ready(Ok(()))
    }

    fn start_tls(&mut self) -> io::Result<()> {
        let conn = ClientConnection::new(self.setup.config.clone(), self.setup.name.clone())
            .map_err(|e| self.refuse(Error::new(Status::InvalidArgument, format!("TLS setup: {e}")).with_driver("mssql")))?;
        self.tls = Some(Box::new(conn));
        Ok(())
    }

    /// Run the TLS handshake: on the bare socket (`wrapped` false, TDS 8.0)
    /// or in PRELOGIN packets (TDS 7.x).
    fn poll_handshake(&mut self, cx: &mut Context<'_>, wrapped: bool) -> Poll<io::Result<()>> {
        loop {
            self.queue_tls(wrapped)?;
            ready!(self.poll_out(cx))?;
            if !self.tls.as_ref().expect("TLS is on").is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            if !wrapped {
                if self.cin.is_empty() && ready!(self.read_socket(cx))? == 0 {
                    return Poll::Ready(Err(self.closed_in_handshake()));
                }
                self.feed_tls()?;
                continue;
            }
            // One PRELOGIN packet's payload at a time goes to TLS.
            if self.cin.len() >= 8 {
                let len = u16::from_be_bytes([self.cin[2], self.cin[3]]) as usize;
                if self.cin[0] != PRELOGIN || len < 8 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "SQL Server sent something other than a PRELOGIN packet during the TLS handshake",
                    )));
                }
                if self.cin.len() >= len {
                    let packet: Vec<u8> = self.cin.drain(..len).collect();
                    // A handshake yields no plaintext, so all of it is taken.
                    self.feed_records(&packet[8..])?;
                    continue;
                }
            }
            if ready!(self.read_socket(cx))? == 0 {
                return Poll::Ready(Err(self.closed_in_handshake()));
            }
        }
    }

    fn closed_in_handshake(&self) -> io::Error {
        self.refuse(
            Error::new(Status::Io, format!("SQL Server at {} closed the connection during the TLS handshake", self.setup.server))
                .with_sqlstate("08001")
                .with_driver("mssql"),
        )
    }

    /// TDS 8.0: the TLS handshake before anything else.
    pub async fn handshake_strict(&mut self) -> io::Result<()> {
        self.start_tls()?;
        std::future::poll_fn(|cx| self.poll_handshake(cx, false)).await
    }

    /// The server's PRELOGIN answer is whole in `raw[at..]`: check its
    /// ENCRYPTION against ours, start the handshake when both want TLS, and
    /// mark it ENCRYPT_NOT_SUP for tiberius. `Ok(false)`: not whole yet.
    fn answer_prelogin(&mut self) -> io::Result<bool> {
        // The whole message: packets up to the one flagged end-of-message.
        let bytes = &self.raw[self.at..];
        let mut i = 0;
        let mut payload = Vec::new();
        let mut spans = Vec::new();
        loop {
            if bytes.len() < i + 8 {
                return Ok(false);
            }
            let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
            if len < 8 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "SQL Server sent a TDS packet shorter than its header"));
            }
            if bytes.len() < i + len {
                return Ok(false);
            }
            spans.push((self.at + i + 8, payload.len()));
            payload.extend_from_slice(&bytes[i + 8..i + len]);
            let last = bytes[i + 1] & 0x01 != 0;
            i += len;
            if last {
                break;
            }
        }
        let Some(pos) = prelogin_option(&payload, ENCRYPTION) else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "SQL Server's PRELOGIN answer has no ENCRYPTION option"));
        };
        let theirs = payload[pos];
        match self.setup.level {
            Encrypt::Off if theirs == ENCRYPT_REQ => {
                return Err(self.refuse(
                    Error::new(
                        Status::Unauthenticated,
                        format!("SQL Server at {} requires encryption; connect with encrypt=on", self.setup.server),
                    )
                    .with_sqlstate("08001")
                    .with_driver("mssql"),
                ));
            }
            Encrypt::Off => {}
            Encrypt::On if theirs == ENCRYPT_ON || theirs == ENCRYPT_REQ => self.phase = Phase::Handshake,
            Encrypt::On => {
                return Err(self.refuse(
                    Error::new(
                        Status::Unauthenticated,
                        format!(
                            "SQL Server at {} does not offer encryption (it answered ENCRYPTION={theirs}); encrypt=on needs it \
                             (encrypt=off connects in the clear, on a network you trust)",
                            self.setup.server
                        ),
                    )
                    .with_sqlstate("08001")
                    .with_driver("mssql"),
                ));
            }
            // TLS is on already.
            Encrypt::Strict => {}
        }
        // Mark the answer "not supported" where it lies in `raw`.
        let at = spans.iter().rev().find(|(_, start)| *start <= pos).map(|(raw_at, start)| raw_at + (pos - start));
        if let Some(at) = at {
            self.raw[at] = ENCRYPT_NOT_SUP;
        }
        if self.phase == Phase::Handshake {
            self.start_tls()?;
        } else {
            self.phase = Phase::Ready;
        }
        Ok(true)
    }

    /// Note the bytes handed on: packet boundaries and end of message.
    fn track(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            if self.left == 0 && self.head_len < 8 {
                let take = (8 - self.head_len).min(bytes.len() - i);
                self.head[self.head_len..self.head_len + take].copy_from_slice(&bytes[i..i + take]);
                self.head_len += take;
                i += take;
                if self.head_len == 8 {
                    let len = u16::from_be_bytes([self.head[2], self.head[3]]) as usize;
                    self.left = len.saturating_sub(8);
                    self.last = self.head[1] & 0x01 != 0;
                    self.head_len = 0;
                    if self.left == 0 {
                        self.packet_done();
                    }
                }
            } else {
                let take = self.left.min(bytes.len() - i);
                let chunk = &bytes[i..i + take];
                if chunk.len() >= 13 {
                    self.tail.copy_from_slice(&chunk[chunk.len() - 13..]);
                } else {
                    self.tail.rotate_left(chunk.len());
                    self.tail[13 - chunk.len()..].copy_from_slice(chunk);
                }
                self.left -= take;
                i += take;
                if self.left == 0 {
                    self.packet_done();
                }
            }
        }
    }

    fn packet_done(&mut self) {
        if self.last {
            self.state.response_complete.store(true, Ordering::Release);
            if self.attn == Attn::Sent {
                let acked = matches!(self.tail[0], 0xFD | 0xFE | 0xFF) && self.tail[1] & 0x20 != 0;
                self.attn = if acked { Attn::None } else { Attn::LateAck };
            }
        }
    }

    fn at_boundary(&self) -> bool {
        self.left == 0 && self.head_len == 0
    }
}

/// A whole message that is only a DONE token with DONE_ATTN set.
fn is_attention_ack(p: &[u8]) -> bool {
    p.len() == 8 + 13 && p[0] == 0x04 && p[1] & 0x01 != 0 && p[8] == 0xFD && p[9] & 0x20 != 0
}

impl AsyncRead for Wire {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        loop {
            if this.phase == Phase::Response && !this.answer_prelogin()? {
                if ready!(this.fill(cx))? == 0 {
                    return Poll::Ready(Ok(0));
                }
                continue;
            }
            if this.phase == Phase::Handshake {
                ready!(this.poll_handshake(cx, true))?;
                this.phase = Phase::Ready;
            }
            let have = this.raw.len() - this.at;
            let mut limit = this.left;
            if this.at_boundary() {
                // Know the next packet before handing any of it on.
                if have < 8 {
                    if ready!(this.fill(cx))? == 0 {
                        // End of stream: hand on what is left, if anything.
                        if have == 0 {
                            return Poll::Ready(Ok(0));
                        }
                        limit = have;
                    } else {
                        continue;
                    }
                } else {
                    let len = u16::from_be_bytes([this.raw[this.at + 2], this.raw[this.at + 3]]) as usize;
                    if this.attn == Attn::LateAck {
                        if have < len {
                            if ready!(this.fill(cx))? == 0 {
                                return Poll::Ready(Ok(0));
                            }
                            continue;
                        }
                        this.attn = Attn::None;
                        if is_attention_ack(&this.raw[this.at..this.at + len]) {
                            this.at += len;
                            continue;
                        }
                    }
                    limit = len.max(8);
                }
            } else if this.head_len > 0 {
                limit = 8 - this.head_len;
            }
            if have > 0 {
                let n = buf.len().min(have).min(limit.max(1));
                buf[..n].copy_from_slice(&this.raw[this.at..this.at + n]);
                this.at += n;
                this.track(&buf[..n]);
                return Poll::Ready(Ok(n));
            }
            if ready!(this.fill(cx))? == 0 {
                return Poll::Ready(Ok(0));
            }
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // What is queued goes first.
        ready!(this.poll_out(cx))?;
        if this.phase == Phase::Prelogin && buf.first() == Some(&PRELOGIN) {
            // tiberius asks for no encryption; ask for keel's level.
            let mut packet = buf.to_vec();
            if buf.len() >= 8 {
                let ours = match this.setup.level {
                    Encrypt::Off => ENCRYPT_NOT_SUP,
                    Encrypt::On => ENCRYPT_ON,
                    Encrypt::Strict => ENCRYPT_REQ,
                };
                if let Some(pos) = prelogin_option(&buf[8..], ENCRYPTION) {
                    packet[8 + pos] = ours;
                }
            }
            if buf.len() >= 2 && buf[1] & 0x01 != 0 {
                this.phase = Phase::Response;
            }
            return this.write_through(cx, &packet).map_ok(|_| buf.len());
        }
        // A request is going out: its answer has not come yet. (An
        // attention, an 8-byte packet of type 6, asks about the last one.)
        let attention = buf.len() >= 8 && buf[0] == 0x06 && buf[2..4] == [0, 8];
        if attention {
            this.attn = Attn::Sent;
        } else {
            this.state.response_complete.store(false, Ordering::Release);
        }
        this.write_through(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_out(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_out(cx))?;
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl Wire {
    /// Send `buf` (with `out` already empty): encrypted when TLS is on,
    /// else straight to the socket.
    fn write_through(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.tls.as_mut() {
            Some(_) => {
                // rustls takes so much at a time; what it made of it moves
                // to `out` before the next piece.
                let mut taken = 0;
                while taken < buf.len() {
                    let n = self.tls.as_mut().expect("TLS is on").writer().write(&buf[taken..])?;
                    self.queue_tls(false)?;
                    if n == 0 {
                        return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                    }
                    taken += n;
                }
                // Accepted; `out` drains here or at the next write or flush.
                let _ = self.poll_out(cx)?;
                Poll::Ready(Ok(buf.len()))
            }
            None if self.out.is_empty() && buf.first() != Some(&PRELOGIN) => {
                let r = Pin::new(&mut self.inner).poll_write(cx, buf);
                self.note(&r);
                r
            }
            None => {
                self.out.extend_from_slice(buf);
                let _ = self.poll_out(cx)?;
                Poll::Ready(Ok(buf.len()))
            }
        }
    }
}

/// Where the value of PRELOGIN option `token` starts in `payload`.
fn prelogin_option(payload: &[u8], token: u8) -> Option<usize> {
    let mut i = 0;
    while i + 5 <= payload.len() && payload[i] != 0xFF {
        if payload[i] == token {
            let off = u16::from_be_bytes([payload[i + 1], payload[i + 2]]) as usize;
            let len = u16::from_be_bytes([payload[i + 3], payload[i + 4]]) as usize;
            return (len >= 1 && off < payload.len()).then_some(off);
        }
        i += 5;
    }
    None
}

/// A failed TLS handshake or session, as keel says it.
fn tls_failed(setup: &TlsSetup, e: rustls::Error) -> Error {
    let server = &setup.server;
    match e {
        rustls::Error::InvalidCertificate(_) => Error::new(
            Status::Unauthenticated,
            format!(
                "SQL Server at {server}: its certificate was not accepted ({e}); give the certificate of the CA \
                 that signed it with trust_server_certificate_ca=FILE.pem, name the host it was issued for with \
                 host_name_in_certificate, or (encrypt=on only, and only on a network you trust) skip the check \
                 with trust_server_certificate=true"
            ),
        ),
        other => Error::new(Status::Io, format!("SQL Server at {server}: TLS failed: {other}")),
    }
    .with_sqlstate("08001")
    .with_driver("mssql")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_lone_attention_ack() {
        let mut p = vec![0x04, 0x01, 0, 21, 0, 0, 1, 0, 0xFD, 0x20, 0];
        p.extend_from_slice(&[0; 10]);
        assert!(is_attention_ack(&p));
        p[9] = 0x00;
        assert!(!is_attention_ack(&p), "a plain DONE");
        p[9] = 0x20;
        p[1] = 0;
        assert!(!is_attention_ack(&p), "not the end of a message");
    }
}
