//! The connection pool behind `keel_db`, in the spirit of Go's
//! `database/sql`: a most-recently-used idle list, an open-connection cap
//! with waiters served first come first served (a returned connection is
//! handed straight to the longest waiter), an acquire timeout, connection
//! lifetime and idle-time limits enforced on checkout, return and by a
//! background reaper, a health check for connections idle longer than a
//! threshold, a minimum of idle connections kept warm, and statistics.
//!
//! fork(): a child process never uses, returns or closes a session opened
//! in its parent (see `core::fork`). The first time a child touches the
//! pool, the pool forgets the parent's sessions (idle ones, and those the
//! parent had checked out: `open` counts only the child's) and restarts
//! its reaper; an inherited session is kept without a word on the wire,
//! wherever it turns up (idle, returned, or dropped with the pool).

use super::driver::{Connector, DriverConn, DriverStmt};
use super::error::{Error, Result, RetrySafety, Status};
use super::fork;
use super::options::Options;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// Pool settings, from the `pool_*` options.
#[derive(Clone, Copy, Debug)]
pub struct PoolConfig {
    /// 0 means no limit.
    pub max_open: usize,
    pub max_idle: usize,
    pub min_idle: usize,
    pub acquire_timeout: Option<Duration>,
    pub max_lifetime: Option<Duration>,
    pub max_idle_time: Option<Duration>,
    /// Ping a connection on checkout when it sat idle longer than this.
    pub health_check_after: Option<Duration>,
    /// Statements each connection's cache keeps; 0 turns it off.
    pub stmt_cache_size: usize,
    /// Most rows in one Arrow record batch (`arrow_batch_rows`).
    pub arrow_batch_rows: usize,
}

fn ms(v: u32) -> Option<Duration> {
    (v > 0).then(|| Duration::from_millis(v as u64))
}

impl PoolConfig {
    pub fn from_options(o: &Options) -> Result<PoolConfig> {
        let c = PoolConfig {
            max_open: o.uint("pool_max_open") as usize,
            max_idle: o.uint("pool_max_idle") as usize,
            min_idle: o.uint("pool_min_idle") as usize,
            acquire_timeout: ms(o.uint("pool_acquire_timeout_ms")),
            max_lifetime: ms(o.uint("pool_max_lifetime_ms")),
            max_idle_time: ms(o.uint("pool_max_idle_time_ms")),
            health_check_after: ms(o.uint("pool_health_check_idle_ms")),
            stmt_cache_size: o.uint("stmt_cache_size") as usize,
            arrow_batch_rows: o.uint("arrow_batch_rows") as usize,
        };
        if c.arrow_batch_rows == 0 {
            return Err(Error::invalid_argument("arrow_batch_rows=0: a record batch holds at least 1 row"));
        }
        if c.max_open > 0 && c.min_idle > c.max_open {
            return Err(Error::invalid_argument(format!(
                "pool_min_idle={} is more than pool_max_open={}",
                c.min_idle, c.max_open
            )));
        }
        Ok(c)
    }
}

/// A pool's statistics (the C API's `keel_pool_stats` carries them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open now, idle and in use.
    pub open: u64,
    pub in_use: u64,
    pub idle: u64,
    /// Checkouts that had to wait for a free connection.
    pub wait_count: u64,
    /// Total time those checkouts waited, in microseconds.
    pub wait_duration_us: u64,
    /// Checkouts that failed at `pool_acquire_timeout_ms`.
    pub wait_timeouts: u64,
    /// Connections closed because more than `pool_max_idle` were idle.
    pub closed_max_idle: u64,
    /// Connections closed at `pool_max_lifetime_ms`.
    pub closed_max_lifetime: u64,
    /// Connections closed at `pool_max_idle_time_ms`.
    pub closed_max_idle_time: u64,
    /// Connections closed because they broke, failed the health check, or
    /// could not be rolled back when returned.
    pub closed_broken: u64,
    /// exec/query calls whose statement came from the connection's
    /// statement cache (`stmt_cache_size`), and those that prepared it.
    pub stmt_cache_hits: u64,
    pub stmt_cache_misses: u64,
}

/// A connection with its pool bookkeeping.
///
/// Dropped in the process that opened it, it closes the session; dropped
/// in a child of fork(), it is kept instead ([`DriverConn::abandon`]), so
/// nothing goes out on the parent's session.
pub struct Pooled {
    /// Only taken by Drop.
    pub conn: ManuallyDrop<Box<dyn DriverConn>>,
    /// Statements prepared on `conn`, kept across checkouts. Only taken by
    /// Drop.
    pub cache: ManuallyDrop<StmtCache>,
    /// Which checkout of `conn` this is; cancel handles remember it.
    pub lease: Arc<Lease>,
    created: Instant,
    returned: Instant,
    /// The fork generation (`core::fork`) the session was opened in.
    generation: u64,
}

impl Pooled {
    fn new(conn: Box<dyn DriverConn>, cache_size: usize) -> Pooled {
        let now = Instant::now();
        Pooled {
            conn: ManuallyDrop::new(conn),
            cache: ManuallyDrop::new(StmtCache::new(cache_size)),
            lease: Arc::new(Lease::default()),
            created: now,
            returned: now,
            generation: fork::generation(),
        }
    }

    /// The fork generation the session was opened in.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the session was opened by another process (this process is
    /// a child of fork() that inherited it): it must not be used.
    #[inline]
    pub fn inherited(&self) -> bool {
        self.generation != fork::generation()
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        // SAFETY: the only place these are taken, once.
        let (conn, cache) = unsafe { (ManuallyDrop::take(&mut self.conn), ManuallyDrop::take(&mut self.cache)) };
        if self.inherited() {
            // Its statements' destructors would talk to the session too.
            fork::keep(cache);
            conn.abandon();
        } else {
            drop(conn);
            drop(cache);
        }
    }
}

/// The checkouts of one pooled connection, counted, so that a cancel
/// handle taken during one checkout does nothing during a later one (by
/// then another borrower may be running a statement on the connection).
#[derive(Default)]
pub struct Lease {
    checkout: Mutex<u64>,
}

impl Lease {
    /// The current checkout's number.
    pub fn current(&self) -> u64 {
        *self.checkout.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// End the current checkout: handles taken during it go inert. Waits
    /// for a cancel being sent for it to finish.
    pub fn end(&self) {
        *self.checkout.lock().unwrap_or_else(|p| p.into_inner()) += 1;
    }

    /// Run `f` if checkout `n` is still the current one; the checkout
    /// cannot end meanwhile.
    pub fn during<R>(&self, n: u64, f: impl FnOnce() -> R) -> Option<R> {
        let g = self.checkout.lock().unwrap_or_else(|p| p.into_inner());
        if *g != n {
            return None;
        }
        let r = f();
        drop(g);
        Some(r)
    }
}

/// A connection's prepared statements, by the SQL they were prepared from;
/// least recently used first.
pub struct StmtCache {
    cap: usize,
    entries: VecDeque<(String, Box<dyn DriverStmt>)>,
    /// Bumped by `clear`: a statement taken out before comes back only
    /// to be dropped.
    generation: u64,
}

impl StmtCache {
    pub fn new(cap: usize) -> StmtCache {
        StmtCache { cap, entries: VecDeque::new(), generation: 0 }
    }

    /// Take the statement for `sql` out of the cache (the caller has it to
    /// itself until it puts it back).
    pub fn take(&mut self, sql: &str) -> Option<Box<dyn DriverStmt>> {
        let i = self.entries.iter().position(|(k, _)| k == sql)?;
        self.entries.remove(i).map(|(_, s)| s)
    }

    /// Keep `stmt`, taken out at `generation`, as the most recently used;
    /// the least recently used one goes when the cache is full. One taken
    /// out before the last `clear` is dropped.
    pub fn put(&mut self, sql: String, stmt: Box<dyn DriverStmt>, generation: u64) {
        if self.cap == 0 || generation != self.generation {
            return;
        }
        self.entries.push_back((sql, stmt));
        while self.entries.len() > self.cap {
            self.entries.pop_front();
        }
    }

    pub fn enabled(&self) -> bool {
        self.cap > 0
    }

    /// Drop every statement, and those in use when they come back.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.generation += 1;
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }
}

enum Grant {
    Conn(Pooled),
    /// Room to open a new connection (already counted in `open`).
    Permit,
}

struct State {
    /// The fork generation these sessions and counts belong to; in a child
    /// the first lock resets them (`Pool::adopt`).
    generation: u64,
    /// Back is the most recently returned.
    idle: VecDeque<Pooled>,
    open: usize,
    waiters: VecDeque<u64>,
    grants: HashMap<u64, Grant>,
    next_ticket: u64,
    stats: PoolStats,
}

pub struct Pool {
    /// Only taken by Drop.
    connector: ManuallyDrop<Box<dyn Connector>>,
    pub(crate) cache_hits: AtomicU64,
    pub(crate) cache_misses: AtomicU64,
    cfg: PoolConfig,
    state: Mutex<State>,
    cv: Condvar,
    /// For the reaper a child starts.
    me: Weak<Pool>,
    /// The fork generation the pool was opened in.
    born: u64,
}

impl Drop for Pool {
    fn drop(&mut self) {
        // SAFETY: the only place it is taken, once.
        let connector = unsafe { ManuallyDrop::take(&mut self.connector) };
        if self.born != fork::generation() {
            // It may hold a session of the parent's (SQLite's in-memory
            // database keeps one open).
            fork::keep(connector);
        }
        // The idle sessions drop with the state: each closes, or is kept
        // when inherited (`Pooled`'s Drop).
    }
}

/// Every live pool, for the fork handlers (`fork_prepare`). Pruned of dead
/// pools when one registers.
static POOLS: Mutex<Vec<Weak<Pool>>> = Mutex::new(Vec::new());

/// A pool's state, locked by `fork_prepare` across a fork. The guard is
/// declared first: it unlocks before the `Arc` that owns the mutex drops.
struct HeldPool {
    _guard: MutexGuard<'static, State>,
    _pool: Arc<Pool>,
}

struct ForkLocks {
    _pools: Vec<HeldPool>,
    _registry: MutexGuard<'static, Vec<Weak<Pool>>>,
}

thread_local! {
    /// What `fork_prepare` locked, on the forking thread (the child's one
    /// thread is a copy of it, so the child handler finds them too).
    static FORK_LOCKS: RefCell<Option<ForkLocks>> = const { RefCell::new(None) };
}

/// The `pthread_atfork` prepare handler's part: lock the pool registry and
/// every live pool's state, so that no other thread holds one of those
/// locks at the fork (the child would find it locked for ever). Every
/// holder of a pool lock releases it without waiting on anything, and no
/// code path takes two pool locks or a pool lock and then the registry,
/// so this cannot deadlock.
pub(crate) fn fork_prepare() {
    let registry = POOLS.lock().unwrap_or_else(|p| p.into_inner());
    let pools: Vec<Arc<Pool>> = registry.iter().filter_map(Weak::upgrade).collect();
    let mut held = Vec::with_capacity(pools.len());
    for pool in pools {
        let guard = pool.state.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: the guard borrows the mutex inside `pool`'s allocation,
        // which `HeldPool` keeps alive until after the guard is dropped.
        let guard = unsafe { std::mem::transmute::<MutexGuard<'_, State>, MutexGuard<'static, State>>(guard) };
        held.push(HeldPool { _guard: guard, _pool: pool });
    }
    let locks = ForkLocks { _pools: held, _registry: registry };
    // If the thread is being torn down, the locks are simply released.
    let _ = FORK_LOCKS.try_with(|l| *l.borrow_mut() = Some(locks));
}

/// The parent handler's part: release what `fork_prepare` locked.
pub(crate) fn fork_parent() {
    let locks = FORK_LOCKS.try_with(|l| l.borrow_mut().take()).ok().flatten();
    drop(locks);
}

/// The child handler's part (the generation is already bumped): release
/// the locks; the pools adopt the child at their next use.
pub(crate) fn fork_child() {
    fork_parent();
}

enum Expired {
    No,
    Lifetime,
    IdleTime,
}

impl Pool {
    /// The configuration the pool was opened with.
    pub fn config(&self) -> &PoolConfig {
        &self.cfg
    }

    /// A pool holding `first` (already connected) as its first idle
    /// connection.
    pub fn new(connector: Box<dyn Connector>, cfg: PoolConfig, first: Box<dyn DriverConn>) -> Arc<Pool> {
        fork::watch();
        let first = Pooled::new(first, cfg.stmt_cache_size);
        let pool = Arc::new_cyclic(|me| Pool {
            connector: ManuallyDrop::new(connector),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            cfg,
            state: Mutex::new(State {
                generation: first.generation,
                idle: VecDeque::from([first]),
                open: 1,
                waiters: VecDeque::new(),
                grants: HashMap::new(),
                next_ticket: 0,
                stats: PoolStats::default(),
            }),
            cv: Condvar::new(),
            me: me.clone(),
            born: fork::generation(),
        });
        {
            let mut pools = POOLS.lock().unwrap_or_else(|p| p.into_inner());
            pools.retain(|w| w.strong_count() > 0);
            pools.push(Arc::downgrade(&pool));
        }
        if pool.needs_reaper() {
            spawn_reaper(Arc::downgrade(&pool));
        }
        pool
    }

    fn needs_reaper(&self) -> bool {
        self.cfg.min_idle > 0 || self.cfg.max_lifetime.is_some() || self.cfg.max_idle_time.is_some()
    }

    /// The pool's state, adopted by this process first if it is a child of
    /// fork() that has not used the pool yet.
    fn lock(&self) -> MutexGuard<'_, State> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.generation != fork::generation() {
            self.adopt(&mut st);
        }
        st
    }

    /// The first use of the pool in a child of fork(): the parent's
    /// sessions are not the child's. Idle ones (and any handed to a waiter
    /// that is a thread of the parent) are kept without a word to their
    /// server; the ones the parent had checked out are no longer counted
    /// (should the child return one, it is kept too); the parent's waiters
    /// are gone; and the reaper, a thread of the parent, is started again.
    /// The statistics' counters carry on from the parent's.
    #[cold]
    fn adopt(&self, st: &mut State) {
        st.generation = fork::generation();
        let idle = std::mem::take(&mut st.idle);
        let grants = std::mem::take(&mut st.grants);
        st.waiters.clear();
        st.open = 0;
        // Each is kept by its Drop (no I/O, no lock).
        drop(idle);
        drop(grants);
        if self.needs_reaper() {
            spawn_reaper(self.me.clone());
        }
    }

    fn expired(&self, p: &Pooled, now: Instant) -> Expired {
        if self.cfg.max_lifetime.is_some_and(|l| now.duration_since(p.created) >= l) {
            Expired::Lifetime
        } else if self.cfg.max_idle_time.is_some_and(|l| now.duration_since(p.returned) >= l) {
            Expired::IdleTime
        } else {
            Expired::No
        }
    }

    /// One connection fewer: let the longest waiter open one instead.
    fn closed_one(&self, st: &mut State) {
        st.open -= 1;
        if let Some(t) = st.waiters.pop_front() {
            st.open += 1;
            st.grants.insert(t, Grant::Permit);
            self.cv.notify_all();
        }
    }

    fn connect_counted(&self) -> Result<Pooled> {
        match self.connector.connect() {
            Ok(conn) => Ok(Pooled::new(conn, self.cfg.stmt_cache_size)),
            Err(e) => {
                let mut st = self.lock();
                self.closed_one(&mut st);
                // Opening a session runs no statement.
                Err(e.not_sent())
            }
        }
    }

    /// Check a pooled connection before handing it out; `None` means it was
    /// closed (expired or unhealthy) and the caller should try again.
    fn vet(&self, mut p: Pooled) -> Option<Pooled> {
        let now = Instant::now();
        let reason = self.expired(&p, now);
        let healthy = match reason {
            Expired::No => {
                p.conn.check_alive()
                    && match self.cfg.health_check_after {
                        Some(after) if now.duration_since(p.returned) >= after => p.conn.ping().is_ok(),
                        _ => true,
                    }
            }
            _ => false,
        };
        if healthy {
            return Some(p);
        }
        drop(p);
        let mut st = self.lock();
        match reason {
            Expired::Lifetime => st.stats.closed_max_lifetime += 1,
            Expired::IdleTime => st.stats.closed_max_idle_time += 1,
            Expired::No => st.stats.closed_broken += 1,
        }
        self.closed_one(&mut st);
        None
    }

    /// Take a connection: an idle one, a new one when under `max_open`, or
    /// the next one returned, waiting at most `pool_acquire_timeout_ms`.
    pub fn acquire(&self) -> Result<Pooled> {
        let start = Instant::now();
        loop {
            let mut st = self.lock();
            if st.waiters.is_empty() {
                if let Some(p) = st.idle.pop_back() {
                    drop(st);
                    match self.vet(p) {
                        Some(p) => return Ok(p),
                        None => continue,
                    }
                }
                if self.cfg.max_open == 0 || st.open < self.cfg.max_open {
                    st.open += 1;
                    drop(st);
                    return self.connect_counted();
                }
            }
            let ticket = st.next_ticket;
            st.next_ticket += 1;
            st.waiters.push_back(ticket);
            st.stats.wait_count += 1;
            let grant = loop {
                if let Some(g) = st.grants.remove(&ticket) {
                    break g;
                }
                let timeout = match self.cfg.acquire_timeout {
                    Some(t) => {
                        let waited = start.elapsed();
                        if waited >= t {
                            st.waiters.retain(|w| *w != ticket);
                            st.stats.wait_timeouts += 1;
                            st.stats.wait_duration_us += waited.as_micros() as u64;
                            return Err(Error::new(
                                Status::Timeout,
                                format!(
                                    "no connection became free within pool_acquire_timeout_ms={} (pool_max_open={}, all in use)",
                                    t.as_millis(),
                                    self.cfg.max_open
                                ),
                            )
                            .with_retry(RetrySafety::NotSent));
                        }
                        t - waited
                    }
                    None => Duration::from_secs(3600),
                };
                st = self.cv.wait_timeout(st, timeout).unwrap_or_else(|p| p.into_inner()).0;
            };
            st.stats.wait_duration_us += start.elapsed().as_micros() as u64;
            drop(st);
            match grant {
                Grant::Conn(p) => {
                    if let Some(p) = self.vet(p) {
                        return Ok(p);
                    }
                }
                Grant::Permit => return self.connect_counted(),
            }
        }
    }

    /// Return a healthy, reset connection.
    pub fn release(&self, mut p: Pooled) {
        if p.inherited() {
            // A child's pool does not count the parent's sessions.
            drop(p);
            return;
        }
        let now = Instant::now();
        p.returned = now;
        let mut st = self.lock();
        if let Expired::Lifetime = self.expired(&p, now) {
            st.stats.closed_max_lifetime += 1;
            self.closed_one(&mut st);
            drop(st);
            drop(p);
            return;
        }
        if let Some(t) = st.waiters.pop_front() {
            st.grants.insert(t, Grant::Conn(p));
            self.cv.notify_all();
            return;
        }
        if st.idle.len() < self.cfg.max_idle.max(self.cfg.min_idle) {
            st.idle.push_back(p);
            return;
        }
        st.stats.closed_max_idle += 1;
        self.closed_one(&mut st);
        drop(st);
        drop(p);
    }

    /// Close a connection that broke or could not be reset.
    pub fn discard(&self, p: Pooled) {
        let inherited = p.inherited();
        drop(p);
        if inherited {
            return;
        }
        let mut st = self.lock();
        st.stats.closed_broken += 1;
        self.closed_one(&mut st);
    }

    /// Close a connection its borrower asked to close (`keel_conn_close`)
    /// instead of returning it.
    pub fn close(&self, p: Pooled) {
        let inherited = p.inherited();
        drop(p);
        if inherited {
            return;
        }
        let mut st = self.lock();
        self.closed_one(&mut st);
    }

    pub fn stats(&self) -> PoolStats {
        let st = self.lock();
        let mut s = st.stats;
        s.open = st.open as u64;
        s.idle = st.idle.len() as u64;
        s.in_use = s.open - s.idle;
        s.stmt_cache_hits = self.cache_hits.load(Ordering::Relaxed);
        s.stmt_cache_misses = self.cache_misses.load(Ordering::Relaxed);
        s
    }

    /// Close expired idle connections and open new ones up to `min_idle`.
    fn maintain(&self) {
        let now = Instant::now();
        let mut doomed = Vec::new();
        {
            let mut st = self.lock();
            let mut keep = VecDeque::with_capacity(st.idle.len());
            while let Some(p) = st.idle.pop_front() {
                match self.expired(&p, now) {
                    Expired::No => keep.push_back(p),
                    Expired::Lifetime => {
                        st.stats.closed_max_lifetime += 1;
                        doomed.push(p);
                    }
                    Expired::IdleTime if keep.len() < self.cfg.min_idle => keep.push_back(p),
                    Expired::IdleTime => {
                        st.stats.closed_max_idle_time += 1;
                        doomed.push(p);
                    }
                }
            }
            st.idle = keep;
            for _ in 0..doomed.len() {
                self.closed_one(&mut st);
            }
        }
        drop(doomed);
        loop {
            {
                let mut st = self.lock();
                let room = self.cfg.max_open == 0 || st.open < self.cfg.max_open;
                if st.idle.len() >= self.cfg.min_idle || !room || !st.waiters.is_empty() {
                    return;
                }
                st.open += 1;
            }
            match self.connect_counted() {
                Ok(p) => {
                    let mut st = self.lock();
                    st.idle.push_front(p);
                }
                Err(_) => return,
            }
        }
    }
}

fn spawn_reaper(pool: Weak<Pool>) {
    let tick = {
        let Some(p) = pool.upgrade() else { return };
        let mut t = Duration::from_secs(1);
        for d in [p.cfg.max_lifetime, p.cfg.max_idle_time].into_iter().flatten() {
            t = t.min(d / 2);
        }
        t.max(Duration::from_millis(10))
    };
    let _ = std::thread::Builder::new().name("keel-pool-reaper".into()).spawn(move || {
        loop {
            std::thread::sleep(tick);
            match pool.upgrade() {
                Some(p) => p.maintain(),
                None => return,
            }
        }
    });
}
