//! fork(): which process a session belongs to, and what a child does with
//! the sessions it inherited.
//!
//! A child of `fork()` gets a copy of the parent's memory, so every pooled
//! session, connection, statement and cursor, and the same sockets: the
//! server sessions are shared. Anything the child sent on them (a query, a
//! cursor's drain or `KILL QUERY`, an attention, PostgreSQL's Terminate, a
//! TLS close_notify, even dropping a tokio socket, which unregisters it
//! from an epoll set the parent shares) would corrupt the parent's session.
//! So keel follows psycopg's pool and Go's `database/sql`: a child never
//! uses, writes to or shuts down what it inherited, and the pool opens new
//! sessions for it.
//!
//! How a process tells: [`generation`] is a process-wide counter that a
//! `pthread_atfork` child handler bumps (registered once, by [`watch`],
//! when the first pool opens). Each session remembers the generation it was
//! opened in; one that differs from the current one was inherited. Reading
//! it is one relaxed atomic load, cheap enough for every row. `fork()` and
//! everything that calls it (Python's `os.fork`, `multiprocessing`'s fork
//! start method) runs the handler; `vfork`/`posix_spawn` children, which
//! only `exec`, do not, and need not.
//!
//! What an inherited object becomes: it is *kept* ([`keep`]): neither
//! used nor dropped, so no destructor runs in the child. Its memory and its
//! file descriptors stay allocated in the child (reachable from a list, so
//! leak checkers call them "still reachable"); the parent's copies are
//! untouched. This is the trade-off: a child that forks from a large pool
//! carries its sessions' buffers until it exits or `exec`s.
//!
//! Locks: a pool's state is behind a mutex that another parent thread may
//! hold at the instant of `fork()`, which would leave it locked for ever in
//! the child. The `pthread_atfork` prepare handler therefore takes every
//! live pool's lock before the fork, and the parent and child handlers
//! release them (as glibc does for malloc); see `pool::fork_prepare`. A
//! driver whose library has process-wide locks holds them across fork()
//! the same way. So the handlers take locks: a fork() from a signal
//! handler that interrupted a keel call is not supported (POSIX allows
//! only async-signal-safe atfork handlers there).
//!
//! Not detected: a child made by a raw `clone`/`fork` system call that
//! bypasses libc's `fork()` (no atfork handler runs). Such a child sees
//! the parent's sessions as its own.

use std::sync::Once;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static WATCH: Once = Once::new();

/// The process's fork generation: 0 in the process that loaded keel, one
/// more in each child of `fork()` (counted once [`watch`] has run).
#[inline]
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// Register the `pthread_atfork` handlers, once per process. Called before
/// the first session opens; a fork before that has nothing to protect.
pub fn watch() {
    WATCH.call_once(|| {
        #[cfg(unix)]
        // SAFETY: plain function pointers with the C ABI; libc keeps them
        // for the life of the process.
        unsafe {
            libc::pthread_atfork(Some(prepare), Some(parent), Some(child));
        }
    });
}

#[cfg(unix)]
extern "C" fn prepare() {
    super::pool::fork_prepare();
}

#[cfg(unix)]
extern "C" fn parent() {
    super::pool::fork_parent();
}

#[cfg(unix)]
extern "C" fn child() {
    // First: everything from here on sees the parent's sessions as
    // inherited (the pools the prepare handler locked included).
    GENERATION.fetch_add(1, Ordering::Relaxed);
    super::pool::fork_child();
}

/// The error every call on an inherited connection, statement, cursor or
/// cancel handle gives.
pub fn inherited(what: &str) -> super::error::Error {
    super::error::Error::invalid_state(format!(
        "this {what} belongs to the parent process: it was inherited across fork(), and keel never uses a \
         session of another process (its server session is the parent's); after fork(), check a new \
         connection out of the pool"
    ))
    .not_sent()
}

/// One object [`keep`] holds.
struct Kept {
    next: *mut Kept,
    _value: Box<dyn Send>,
}

/// Objects kept from other processes' sessions: a list that only grows,
/// pushed without a lock (a lock could be held across a later fork).
static KEPT: AtomicPtr<Kept> = AtomicPtr::new(std::ptr::null_mut());

/// Keep `value` for the rest of the process without running its
/// destructor: what a child does with a session object it inherited, whose
/// destructor would talk to the parent's server session. It stays
/// reachable (not leaked, as far as valgrind is concerned).
pub fn keep<T: Send + 'static>(value: T) {
    let node = Box::into_raw(Box::new(Kept { next: std::ptr::null_mut(), _value: Box::new(value) }));
    let mut head = KEPT.load(Ordering::Relaxed);
    loop {
        // SAFETY: `node` is ours until the exchange below publishes it.
        unsafe { (*node).next = head };
        match KEPT.compare_exchange_weak(head, node, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return,
            Err(h) => head = h,
        }
    }
}
