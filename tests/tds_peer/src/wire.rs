//! TDS framing: packets in, messages out, and the token encoders.

use std::io::{self, Read, Write};

pub const PKT_SQL_BATCH: u8 = 0x01;
pub const PKT_RPC: u8 = 0x03;
pub const PKT_REPLY: u8 = 0x04;
pub const PKT_ATTENTION: u8 = 0x06;
pub const PKT_BULK: u8 = 0x07;
pub const PKT_TM: u8 = 0x0E;
pub const PKT_LOGIN7: u8 = 0x10;
pub const PKT_PRELOGIN: u8 = 0x12;

pub const DONE_MORE: u16 = 0x01;
pub const DONE_ERROR: u16 = 0x02;
pub const DONE_COUNT: u16 = 0x10;
pub const DONE_ATTN: u16 = 0x20;

pub const TOK_DONE: u8 = 0xFD;
pub const TOK_DONEPROC: u8 = 0xFE;
pub const TOK_DONEINPROC: u8 = 0xFF;

/// One packet as read from the socket.
pub struct Packet {
    pub ty: u8,
    pub last: bool,
    pub payload: Vec<u8>,
}

/// Read one packet; `None` at a clean end of stream.
pub fn read_packet(r: &mut impl Read) -> io::Result<Option<Packet>> {
    let mut h = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        let n = r.read(&mut h[got..])?;
        if n == 0 {
            return if got == 0 { Ok(None) } else { Err(io::ErrorKind::UnexpectedEof.into()) };
        }
        got += n;
    }
    let len = u16::from_be_bytes([h[2], h[3]]) as usize;
    if len < 8 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "TDS packet shorter than its header"));
    }
    let mut payload = vec![0u8; len - 8];
    r.read_exact(&mut payload)?;
    Ok(Some(Packet { ty: h[0], last: h[1] & 0x01 != 0, payload }))
}

/// Builds one reply message and sends it in packets of the negotiated
/// size, full packets as they fill (so a long result streams with TCP's
/// back-pressure) and the last one flagged end-of-message.
pub struct Reply<'a, W: Write> {
    out: &'a mut W,
    buf: Vec<u8>,
    packet_size: usize,
    spid: u16,
    packet_id: u8,
}

impl<'a, W: Write> Reply<'a, W> {
    pub fn new(out: &'a mut W, packet_size: usize, spid: u16) -> Self {
        Reply { out, buf: Vec::with_capacity(packet_size), packet_size, spid, packet_id: 1 }
    }

    pub fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(bytes);
        let room = self.packet_size - 8;
        while self.buf.len() > room {
            let rest = self.buf.split_off(room);
            let full = std::mem::replace(&mut self.buf, rest);
            self.send(&full, false)?;
        }
        Ok(())
    }

    fn send(&mut self, payload: &[u8], last: bool) -> io::Result<()> {
        let len = (payload.len() + 8) as u16;
        let mut p = Vec::with_capacity(payload.len() + 8);
        p.extend_from_slice(&[PKT_REPLY, last as u8]);
        p.extend_from_slice(&len.to_be_bytes());
        p.extend_from_slice(&self.spid.to_be_bytes());
        p.extend_from_slice(&[self.packet_id, 0]);
        p.extend_from_slice(payload);
        self.packet_id = self.packet_id.wrapping_add(1);
        self.out.write_all(&p)
    }

    /// Send what is left as the end of the message.
    pub fn finish(mut self) -> io::Result<()> {
        let rest = std::mem::take(&mut self.buf);
        self.send(&rest, true)?;
        self.out.flush()
    }
}

// ---------------------------------------------------------------------------
// little helpers for building token bytes

pub fn ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub fn b_varchar(out: &mut Vec<u8>, s: &str) {
    let u = ucs2(s);
    out.push((u.len() / 2) as u8);
    out.extend_from_slice(&u);
}

pub fn us_varchar(out: &mut Vec<u8>, s: &str) {
    let u = ucs2(s);
    out.extend_from_slice(&((u.len() / 2) as u16).to_le_bytes());
    out.extend_from_slice(&u);
}

pub fn done(kind: u8, status: u16, rows: u64) -> Vec<u8> {
    let mut t = vec![kind];
    t.extend_from_slice(&status.to_le_bytes());
    t.extend_from_slice(&0xC1u16.to_le_bytes()); // curcmd: SELECT, as good as any
    t.extend_from_slice(&rows.to_le_bytes());
    t
}

/// ERROR (0xAA) or INFO (0xAB).
pub fn message(token: u8, number: i32, class: u8, text: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&number.to_le_bytes());
    body.push(1); // state
    body.push(class);
    us_varchar(&mut body, text);
    b_varchar(&mut body, "keel-tds-peer");
    b_varchar(&mut body, "");
    body.extend_from_slice(&1i32.to_le_bytes()); // line
    let mut t = vec![token];
    t.extend_from_slice(&(body.len() as u16).to_le_bytes());
    t.extend_from_slice(&body);
    t
}

pub fn env_change(kind: u8, new: &[u8], old: &[u8], as_bytes: bool) -> Vec<u8> {
    let mut body = vec![kind];
    for v in [new, old] {
        // B_VARCHAR values count characters; B_VARBYTE values count bytes.
        body.push(if as_bytes { v.len() } else { v.len() / 2 } as u8);
        body.extend_from_slice(v);
    }
    let mut t = vec![0xE3];
    t.extend_from_slice(&(body.len() as u16).to_le_bytes());
    t.extend_from_slice(&body);
    t
}

pub fn login_ack(prog: &str) -> Vec<u8> {
    let mut body = vec![1u8]; // SQL_DFLT interface
    body.extend_from_slice(&0x7400_0004u32.to_be_bytes()); // TDS 7.4
    b_varchar(&mut body, prog);
    body.extend_from_slice(&[16, 0, 0, 1]); // "version 16.0.0.1"
    let mut t = vec![0xAD];
    t.extend_from_slice(&(body.len() as u16).to_le_bytes());
    t.extend_from_slice(&body);
    t
}

/// A cursor over a request's bytes; every read fails cleanly at the end.
pub struct Cur<'a> {
    pub b: &'a [u8],
    pub at: usize,
}

pub fn short() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "request ends early")
}

impl<'a> Cur<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Cur { b, at: 0 }
    }
    pub fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n).ok_or_else(short)?).ok_or_else(short)?;
        self.at += n;
        Ok(s)
    }
    pub fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> io::Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    pub fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    pub fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    pub fn ucs2(&mut self, chars: usize) -> io::Result<String> {
        let raw = self.take(chars * 2)?;
        from_ucs2(raw)
    }
    pub fn b_varchar(&mut self) -> io::Result<String> {
        let n = self.u8()? as usize;
        self.ucs2(n)
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.b[self.at.min(self.b.len())..]
    }
    /// Skip the ALL_HEADERS block that starts batch, RPC and transaction
    /// manager requests.
    pub fn skip_all_headers(&mut self) -> io::Result<()> {
        let total = self.u32()? as usize;
        if total < 4 {
            return Err(short());
        }
        self.take(total - 4)?;
        Ok(())
    }
}

pub fn from_ucs2(raw: &[u8]) -> io::Result<String> {
    let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16(&units).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "text is not valid UTF-16"))
}
