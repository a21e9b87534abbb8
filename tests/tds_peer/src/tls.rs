//! The peer's side of TLS, as SQL Server does it:
//! - TDS 7.x: the client asks for encryption in PRELOGIN, and the TLS
//!   handshake then travels inside PRELOGIN packets (TLS 1.2, as SQL Server
//!   speaks it there); everything after is TLS records on the socket.
//! - TDS 8.0 (`encrypt=strict`): the handshake comes first on the bare
//!   socket (TLS 1.3 or 1.2) with ALPN `tds/8.0`, which the peer insists on.
//!
//! The certificate is `certs/server.pem` (for `localhost` and 127.0.0.1),
//! signed by `certs/ca.pem` ([`CA_FILE`]); both are test fixtures, made
//! once with openssl, valid until 2126. The peer does not do the
//! login-only encryption a client asking ENCRYPT_OFF would get from SQL
//! Server: it answers such a client ENCRYPT_NOT_SUP.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

/// The CA that signed the peer's certificate, for clients to trust.
pub const CA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/ca.pem");

const CERT: &[u8] = include_bytes!("../certs/server.pem");
const KEY: &[u8] = include_bytes!("../certs/server.key");

pub const ALPN: &[u8] = b"tds/8.0";

/// The two server configurations: in PRELOGIN, and strict.
pub struct Configs {
    pub prelogin: Arc<ServerConfig>,
    pub strict: Arc<ServerConfig>,
}

pub fn configs() -> io::Result<Configs> {
    let make = |versions: &[&'static rustls::SupportedProtocolVersion], alpn: &[u8]| -> io::Result<Arc<ServerConfig>> {
        let certs = CertificateDer::pem_slice_iter(CERT).collect::<Result<Vec<_>, _>>().map_err(io::Error::other)?;
        let key = PrivateKeyDer::from_pem_slice(KEY).map_err(io::Error::other)?;
        let mut c = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(io::Error::other)?;
        if !alpn.is_empty() {
            c.alpn_protocols = vec![alpn.to_vec()];
        }
        Ok(Arc::new(c))
    };
    Ok(Configs {
        prelogin: make(&[&rustls::version::TLS12], b"")?,
        strict: make(&[&rustls::version::TLS13, &rustls::version::TLS12], ALPN)?,
    })
}

/// A session's socket: in the clear, or TLS. Clones share the TLS state,
/// so the reader thread and the session can each hold one.
pub enum Stream {
    Plain(TcpStream),
    Tls(TlsStream),
}

pub struct TlsStream {
    tcp: TcpStream,
    conn: Arc<Mutex<ServerConnection>>,
    /// Records read from the socket and not yet given to TLS.
    cin: Vec<u8>,
}

impl Stream {
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Plain(s) => Stream::Plain(s.try_clone()?),
            Stream::Tls(t) => Stream::Tls(TlsStream { tcp: t.tcp.try_clone()?, conn: t.conn.clone(), cin: Vec::new() }),
        })
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let t = match self {
            Stream::Plain(s) => return s.read(buf),
            Stream::Tls(t) => t,
        };
        loop {
            {
                let mut c = t.conn.lock().unwrap();
                match c.reader().read(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
                if !t.cin.is_empty() {
                    let mut rest = &t.cin[..];
                    c.read_tls(&mut rest)?;
                    let used = t.cin.len() - rest.len();
                    t.cin.drain(..used);
                    c.process_new_packets().map_err(io::Error::other)?;
                    while c.wants_write() {
                        c.write_tls(&mut &t.tcp)?;
                    }
                    continue;
                }
            }
            // Wait for the socket without holding the session's TLS state.
            let mut chunk = [0u8; 16 * 1024];
            let n = (&t.tcp).read(&mut chunk)?;
            if n == 0 {
                return Ok(0);
            }
            t.cin.extend_from_slice(&chunk[..n]);
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(t) => {
                let mut c = t.conn.lock().unwrap();
                c.writer().write_all(buf)?;
                while c.wants_write() {
                    c.write_tls(&mut &t.tcp)?;
                }
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(t) => (&t.tcp).flush(),
        }
    }
}

/// TDS 8.0: the handshake on the bare socket, before any TDS.
pub fn accept_strict(tcp: TcpStream, config: Arc<ServerConfig>) -> io::Result<Stream> {
    let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut s = &tcp;
    while conn.is_handshaking() {
        conn.complete_io(&mut s)?;
    }
    if conn.alpn_protocol() != Some(ALPN) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "strict TDS needs ALPN tds/8.0"));
    }
    Ok(Stream::Tls(TlsStream { tcp, conn: Arc::new(Mutex::new(conn)), cin: Vec::new() }))
}

/// TDS 7.x: the handshake inside PRELOGIN packets, right after the
/// PRELOGIN answer that agreed to encrypt.
pub fn accept_in_prelogin(tcp: TcpStream, config: Arc<ServerConfig>) -> io::Result<Stream> {
    let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut s = &tcp;
    while conn.is_handshaking() {
        if conn.wants_write() {
            let mut records = Vec::new();
            while conn.wants_write() {
                conn.write_tls(&mut records)?;
            }
            s.write_all(&in_prelogin_packet(&records))?;
            continue;
        }
        let Some(p) = crate::wire::read_packet(&mut s)? else {
            return Err(io::ErrorKind::UnexpectedEof.into());
        };
        if p.ty != crate::wire::PKT_PRELOGIN {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "expected the TLS handshake in PRELOGIN packets"));
        }
        let mut rest = &p.payload[..];
        while !rest.is_empty() {
            conn.read_tls(&mut rest)?;
            conn.process_new_packets().map_err(io::Error::other)?;
        }
    }
    // The handshake's last flight (TLS 1.2: the server's Finished).
    let mut records = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut records)?;
    }
    if !records.is_empty() {
        s.write_all(&in_prelogin_packet(&records))?;
    }
    Ok(Stream::Tls(TlsStream { tcp, conn: Arc::new(Mutex::new(conn)), cin: Vec::new() }))
}

/// TLS records in one PRELOGIN packet, as the 7.x handshake sends them.
fn in_prelogin_packet(records: &[u8]) -> Vec<u8> {
    let len = (records.len() + 8) as u16;
    let mut p = vec![crate::wire::PKT_PRELOGIN, 0x01];
    p.extend_from_slice(&len.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0]);
    p.extend_from_slice(records);
    p
}
