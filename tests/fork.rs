//! A pool used across fork(): what the C test (`tests/c/test_fork.c`)
//! cannot see from outside. The child's pool counts only its own sessions,
//! starts its reaper again, and never blocks on a pool lock that a thread
//! of the parent held at the instant of the fork.
//!
//! One test function: the cases fork, and a fork while another test of
//! this binary runs on another thread could copy that thread's locks.

#![cfg(unix)]

use keel::{Db, Status};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Run `f` in a child process and return whether it succeeded. The child
/// reports a failure on stderr (written directly: the test harness's
/// capture is the parent's) and never returns. `alarm` ends a child that
/// hangs.
fn in_child(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    // SAFETY: the child only runs `f` and then _exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: plain libc calls in the child.
        unsafe { libc::alarm(if std::env::var("KEEL_FORK_DEBUG").is_ok() { 600 } else { 30 }) };
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(Ok(())) => 0,
            Ok(Err(msg)) => {
                let msg = format!("fork child: {msg}\n");
                // SAFETY: a valid buffer.
                unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
                1
            }
            Err(_) => 2,
        };
        // SAFETY: ends the child without running the parent's exit code.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: our own child.
    let got = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(got, pid);
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else if libc::WIFSIGNALED(status) {
        Err(format!("the child was killed by signal {} (SIGALRM: it hung)", libc::WTERMSIG(status)))
    } else {
        Err(format!("the child exited with status {}", libc::WEXITSTATUS(status)))
    }
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// (name, url) of every engine whose server is configured.
fn engines(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut v = vec![("sqlite", format!("sqlite://{}/fork.db?journal_mode=wal", dir.display()))];
    for (name, var) in [("postgres", "KEEL_TEST_POSTGRES_URL"), ("mysql", "KEEL_TEST_MYSQL_URL")] {
        match std::env::var(var) {
            Ok(u) if !u.is_empty() => v.push((name, u)),
            _ => println!("skipped: {name} ({var} is not set)"),
        }
    }
    v
}

fn open(url: &str, opts: &[(&str, &str)]) -> Db {
    let pairs: Vec<(String, String)> = opts.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Db::open_with(url, &pairs).unwrap_or_else(|e| panic!("open {url}: {e}"))
}

/// The child's pool forgets the parent's sessions: `open` counts only the
/// child's, an inherited connection dropped (or closed) there changes
/// nothing, and every call on it is INVALID_STATE.
fn counts_only_the_childs_sessions(name: &str, url: &str) {
    let db = open(url, &[("pool_max_open", "3"), ("pool_acquire_timeout_ms", "5000")]);
    let held = db.checkout().unwrap();
    let closed = db.checkout().unwrap();
    drop(db.checkout().unwrap());
    let s = db.stats();
    assert_eq!((s.open, s.in_use, s.idle), (3, 2, 1), "{name}: {s:?}");
    let r = in_child(|| {
        let s = db.stats();
        ensure((s.open, s.in_use, s.idle) == (0, 0, 0), || format!("{name}: after the fork: {s:?}"))?;
        let e = held.exec("SELECT 1", &[]).err().ok_or("an inherited connection ran a statement")?;
        ensure(e.status == Status::InvalidState && e.message.contains("parent process"), || format!("{name}: {e}"))?;
        let e = held.ping().err().ok_or("an inherited connection answered a ping")?;
        ensure(e.status == Status::InvalidState, || format!("{name}: {e}"))?;
        drop(held);
        closed.close();
        let s = db.stats();
        ensure((s.open, s.in_use, s.idle) == (0, 0, 0), || format!("{name}: after dropping what was inherited: {s:?}"))?;
        // All three slots of pool_max_open are the child's.
        let mine: Vec<_> = (0..3).map(|_| db.checkout()).collect::<Result<_, _>>().map_err(|e| format!("{name}: {e}"))?;
        for c in &mine {
            c.exec("SELECT 1", &[]).map_err(|e| format!("{name}: {e}"))?;
        }
        let s = db.stats();
        ensure((s.open, s.in_use) == (3, 3), || format!("{name}: with three checked out: {s:?}"))?;
        drop(mine);
        drop(db);
        Ok(())
    });
    r.unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// The reaper is a thread of the parent; the child's pool starts its own
/// (here it keeps `pool_min_idle` sessions warm).
fn reaper_runs_in_the_child(url: &str) {
    let db = open(url, &[("pool_min_idle", "2"), ("pool_max_idle_time_ms", "60000")]);
    let start = Instant::now();
    while db.stats().idle < 2 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(db.stats().idle, 2);
    in_child(|| {
        let s = db.stats();
        ensure(s.open == 0, || format!("after the fork: {s:?}"))?;
        let start = Instant::now();
        while db.stats().idle < 2 {
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("no reaper in the child: {:?}", db.stats()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    })
    .unwrap();
}

/// Threads of the parent check connections out and in without pause while
/// it forks: a child that copied the pool's lock while one of them held it
/// would wait for it for ever. The fork handler takes every pool's lock
/// before the fork, so none is held in the copy.
fn fork_while_other_threads_use_the_pool(url: &str) {
    let db = open(url, &[("pool_max_open", "4"), ("pool_acquire_timeout_ms", "5000")]);
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    drop(db.checkout().unwrap());
                    let _ = db.stats();
                }
            })
        })
        .collect();
    let mut failures = Vec::new();
    for i in 0..40 {
        if let Err(e) = in_child(|| {
            let c = db.checkout().map_err(|e| e.to_string())?;
            c.exec("SELECT 1", &[]).map_err(|e| e.to_string())?;
            Ok(())
        }) {
            failures.push(format!("fork {i}: {e}"));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn fork() {
    let dir = std::env::temp_dir().join(format!("keel-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, url) in engines(&dir) {
        counts_only_the_childs_sessions(name, &url);
    }
    let sqlite = format!("sqlite://{}/fork-pool.db", dir.display());
    reaper_runs_in_the_child(&sqlite);
    fork_while_other_threads_use_the_pool(&sqlite);
    let _ = std::fs::remove_dir_all(&dir);
}
