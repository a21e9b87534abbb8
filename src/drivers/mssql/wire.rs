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
//! Writes go straight to tokio's `TcpStream::poll_write`, which sends with
//! `MSG_NOSIGNAL` on Linux (std's `TcpStream::write`), so writing to a
//! socket the server closed is an error, never a SIGPIPE.

use futures_util::io::{AsyncRead, AsyncWrite};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use tokio::net::TcpStream;
use tokio_util::compat::Compat;

/// What the driver sees of the wire.
#[derive(Default)]
pub struct WireState {
    /// The end-of-message packet of the response to the last request has
    /// been handed to tiberius.
    pub response_complete: AtomicBool,
}

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
}

impl Wire {
    pub fn new(inner: Compat<TcpStream>, state: Arc<WireState>) -> Wire {
        Wire { inner, state, raw: Vec::new(), at: 0, head: [0; 8], head_len: 0, left: 0, last: false, tail: [0; 13], attn: Attn::None }
    }

    /// Read more from the socket into `raw`; Ok(0) at end of stream.
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.at > 0 && self.at == self.raw.len() {
            self.raw.clear();
            self.at = 0;
        }
        let old = self.raw.len();
        self.raw.resize(old + 16 * 1024, 0);
        let r = Pin::new(&mut self.inner).poll_read(cx, &mut self.raw[old..]);
        let n = match &r {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.raw.truncate(old + n);
        r
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
        // A request is going out: its answer has not come yet. (An
        // attention, an 8-byte packet of type 6, asks about the last one.)
        let attention = buf.len() >= 8 && buf[0] == 0x06 && buf[2..4] == [0, 8];
        if attention {
            self.attn = Attn::Sent;
        } else {
            self.state.response_complete.store(false, Ordering::Release);
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
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
