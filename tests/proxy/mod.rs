//! A TCP forwarder on 127.0.0.1 between keel and a real database server,
//! for network-failure tests. It is not a mock: every byte it relays comes
//! from and goes to the real server.
//!
//! [`Proxy::go_silent`] makes the connections open at that moment stop
//! relaying in both directions while their sockets stay open: the kernel
//! still acknowledges what keel sends, and nothing ever comes back. That
//! is a network that stops answering (or a hung server), the case TCP
//! keepalive and TCP_USER_TIMEOUT do not catch. Connections opened later
//! relay normally, so a pool can recover through the same proxy.

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

struct State {
    /// Connections with an id at or below this relay nothing.
    silent_up_to: AtomicU64,
    /// Every connection, present and future, relays nothing.
    all_silent: AtomicBool,
    next_id: AtomicU64,
    closed: AtomicBool,
}

pub struct Proxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Proxy {
    /// Listen on an ephemeral port of 127.0.0.1 and forward each
    /// connection to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> Proxy {
        let upstream: SocketAddr = upstream
            .to_socket_addrs()
            .unwrap_or_else(|e| panic!("proxy: cannot resolve {upstream}: {e}"))
            .next()
            .expect("proxy: no address");
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy: bind");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let state = Arc::new(State { silent_up_to: AtomicU64::new(0), all_silent: AtomicBool::new(false), next_id: AtomicU64::new(1), closed: AtomicBool::new(false) });
        let st = state.clone();
        thread::Builder::new()
            .name("proxy-accept".into())
            .spawn(move || {
                while !st.closed.load(Ordering::Acquire) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            client.set_nonblocking(false).unwrap();
                            let Ok(server) = TcpStream::connect(upstream) else {
                                continue; // the client sees its connection closed
                            };
                            let id = st.next_id.fetch_add(1, Ordering::AcqRel);
                            for (from, to) in [
                                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                                (server, client),
                            ] {
                                let st = st.clone();
                                thread::spawn(move || pump(id, from, to, st));
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
            .unwrap();
        Proxy { addr, state }
    }

    /// Relay nothing on any connection, including those opened later (a
    /// server that accepts connections and never answers).
    pub fn silence_all(&self) {
        self.state.all_silent.store(true, Ordering::Release);
    }

    /// `host:port` to connect to instead of the server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop relaying on every connection open now, keeping its sockets
    /// open. Later connections relay normally.
    pub fn go_silent(&self) {
        let last = self.state.next_id.load(Ordering::Acquire) - 1;
        self.state.silent_up_to.store(last, Ordering::Release);
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url_through(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("URL with ://");
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let userinfo = authority.rfind('@').map(|i| &authority[..=i]).unwrap_or("");
        format!("{scheme}://{userinfo}{}{tail}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.closed.store(true, Ordering::Release);
    }
}

/// `host:port` of the server a URL names (with the engine's default port).
pub fn upstream_of(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").expect("URL with ://").1;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    if hostport.contains(':') { hostport.to_string() } else { format!("{hostport}:{default_port}") }
}

/// Copy `from` to `to` until either side closes, the proxy is dropped, or
/// the connection goes silent; a silent one keeps both sockets open (and
/// drops what it reads) until the proxy is dropped.
fn pump(id: u64, mut from: TcpStream, mut to: TcpStream, st: Arc<State>) {
    from.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if st.closed.load(Ordering::Acquire) {
            break;
        }
        if st.all_silent.load(Ordering::Acquire) || id <= st.silent_up_to.load(Ordering::Acquire) {
            // Silent: relay nothing, read nothing, keep the sockets.
            thread::sleep(Duration::from_millis(20));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if st.all_silent.load(Ordering::Acquire) || id <= st.silent_up_to.load(Ordering::Acquire) {
                    continue; // went silent while this was in flight
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}
