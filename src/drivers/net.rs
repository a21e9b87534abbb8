//! What the network drivers share: the check that a pooled connection's
//! socket still stands. (The socket options they share are in
//! `options.rs`.)

/// What a non-blocking look at a socket found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peek {
    /// Nothing to read, socket open: the session is as it was left.
    Quiet,
    /// Bytes arrived that nobody asked for (a notice, or the error a
    /// server sends before it closes a session).
    Pending,
    /// End of file or a socket error: the server closed the session.
    Closed,
}

/// Look at `fd` without reading or blocking (`recv` with `MSG_PEEK |
/// MSG_DONTWAIT`), as Go's MySQL driver does before reusing a connection.
#[cfg(unix)]
pub fn peek_socket(fd: std::os::fd::RawFd) -> Peek {
    let mut b = 0u8;
    loop {
        // SAFETY: a one-byte buffer on the stack; `fd` is the open socket
        // of a session the caller holds.
        let n = unsafe { libc::recv(fd, (&mut b as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        return match n {
            0 => Peek::Closed,
            n if n > 0 => Peek::Pending,
            _ => match std::io::Error::last_os_error().kind() {
                std::io::ErrorKind::WouldBlock => Peek::Quiet,
                std::io::ErrorKind::Interrupted => continue,
                _ => Peek::Closed,
            },
        };
    }
}

/// The checkout check of a session that is not broken and has no cursor
/// open: a look at its socket, and `ping` only when the server closed it or
/// sent something unasked (which it does only as it ends a session: the
/// ping reads it and fails).
pub fn still_stands(fd: i32, ping: impl FnOnce() -> bool) -> bool {
    #[cfg(unix)]
    return match peek_socket(fd) {
        Peek::Quiet => true,
        Peek::Closed | Peek::Pending => ping(),
    };
    #[cfg(not(unix))]
    {
        let _ = (fd, ping);
        true
    }
}

/// Run `f` (a round trip on the blocking socket `fd`) with its reads and
/// writes waiting at most `limit` where the socket has no limit of its own
/// (`socket_timeout_ms` unset), then take the limit off again: a ping
/// must not wait for ever on a server that stopped answering.
#[cfg(unix)]
pub fn bounded<T>(fd: std::os::fd::RawFd, limit: std::time::Duration, f: impl FnOnce() -> T) -> T {
    let get = |opt: libc::c_int| -> Option<libc::timeval> {
        let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
        let mut len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
        // SAFETY: a timeval and its size, on the session's open socket.
        let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, opt, (&mut tv as *mut libc::timeval).cast(), &mut len) };
        (rc == 0).then_some(tv)
    };
    let set = |opt: libc::c_int, tv: libc::timeval| {
        // SAFETY: as above.
        unsafe {
            libc::setsockopt(fd, libc::SOL_SOCKET, opt, (&tv as *const libc::timeval).cast(), std::mem::size_of::<libc::timeval>() as libc::socklen_t)
        };
    };
    let unlimited = |opt| get(opt).is_some_and(|tv| tv.tv_sec == 0 && tv.tv_usec == 0);
    let (read, write) = (unlimited(libc::SO_RCVTIMEO), unlimited(libc::SO_SNDTIMEO));
    let tv = libc::timeval { tv_sec: limit.as_secs() as libc::time_t, tv_usec: limit.subsec_micros() as libc::suseconds_t };
    let none = libc::timeval { tv_sec: 0, tv_usec: 0 };
    if read {
        set(libc::SO_RCVTIMEO, tv);
    }
    if write {
        set(libc::SO_SNDTIMEO, tv);
    }
    let r = f();
    if read {
        set(libc::SO_RCVTIMEO, none);
    }
    if write {
        set(libc::SO_SNDTIMEO, none);
    }
    r
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn peek_sees_quiet_pending_and_closed() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut s, _) = l.accept().unwrap();
        assert_eq!(peek_socket(c.as_raw_fd()), Peek::Quiet);
        s.write_all(b"x").unwrap();
        for _ in 0..100 {
            if peek_socket(c.as_raw_fd()) != Peek::Quiet {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(peek_socket(c.as_raw_fd()), Peek::Pending);
        drop(s);
        let mut buf = [0u8; 1];
        use std::io::Read;
        (&c).read_exact(&mut buf).unwrap();
        for _ in 0..100 {
            if peek_socket(c.as_raw_fd()) == Peek::Closed {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(peek_socket(c.as_raw_fd()), Peek::Closed);
    }
}
