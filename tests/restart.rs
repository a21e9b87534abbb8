//! A database server restarted under an open pool: once the server is back,
//! the pool's next use succeeds with no error (the dead pooled connections
//! are found at checkout and replaced, as Go's `database/sql` does), while
//! a connection that was checked out across the restart reports an error
//! on its next use and is replaced when returned.
//!
//! This restarts the real servers, so it lives in its own test binary
//! (cargo runs test binaries one after another, so no other keel test sees
//! the restart) and its tests take turns through a lock. It runs only
//! against a server this machine controls: the URL must name 127.0.0.1 or
//! localhost, and the local commands (`pg_ctlcluster`; `mariadb-admin` and
//! `/usr/sbin/mariadbd`) must exist and be runnable as root (directly or
//! through `sudo -n`). Otherwise it prints why it skipped. Whatever
//! happens, the servers are running again when a test ends.

mod common;

use keel::{Db, Status};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Postgres,
    Mysql,
}

impl Engine {
    fn var(self) -> &'static str {
        match self {
            Engine::Postgres => "KEEL_TEST_POSTGRES_URL",
            Engine::Mysql => "KEEL_TEST_MYSQL_URL",
        }
    }

    fn port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
        }
    }
}

/// Run a command as root: directly when we are root, else via `sudo -n`
/// (never prompting). Returns whether it succeeded.
fn as_root(args: &[&str]) -> bool {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let mut cmd = if root {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]);
        c
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").args(args);
        c
    };
    match cmd.output() {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            eprintln!("{args:?} failed: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            false
        }
        Err(e) => {
            eprintln!("{args:?} could not run: {e}");
            false
        }
    }
}

fn on_path(cmd: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().map(|o| o.status.success()).unwrap_or(false)
}

/// The local PostgreSQL cluster version (`/etc/postgresql/<ver>/main`).
fn pg_version() -> Option<String> {
    let mut v: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|v| Path::new(&format!("/etc/postgresql/{v}/main")).is_dir())
        .collect();
    v.sort_by_key(|s| s.parse::<u32>().unwrap_or(0));
    v.pop()
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

/// Why this engine's server cannot be restarted here, if it cannot.
fn cannot_restart(engine: Engine, url: &str) -> Option<String> {
    let host_port = url.split_once("://")?.1.split(['/', '?']).next()?.rsplit('@').next()?.to_string();
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().unwrap_or(0)),
        None => (host_port.clone(), engine.port()),
    };
    if !matches!(host.as_str(), "127.0.0.1" | "localhost") || port != engine.port() {
        return Some(format!("{} names {host_port}, not this machine's server on 127.0.0.1:{}", engine.var(), engine.port()));
    }
    let ok_root = as_root(&["true"]);
    if !ok_root {
        return Some("neither root nor passwordless sudo".into());
    }
    match engine {
        Engine::Postgres if !on_path("pg_ctlcluster") || pg_version().is_none() => {
            Some("pg_ctlcluster or /etc/postgresql/<version>/main not found".into())
        }
        Engine::Mysql if !on_path("mariadb-admin") || !Path::new("/usr/sbin/mariadbd").exists() => {
            Some("mariadb-admin or /usr/sbin/mariadbd not found".into())
        }
        _ => None,
    }
}

fn start(engine: Engine) -> bool {
    match engine {
        Engine::Postgres => {
            let v = pg_version().unwrap();
            as_root(&["pg_ctlcluster", "--skip-systemctl-redirect", &v, "main", "start"])
        }
        Engine::Mysql => {
            // As scripts/servers.sh starts it.
            as_root(&["install", "-d", "-o", "mysql", "-g", "mysql", "/run/mysqld"])
                && as_root(&[
                    "start-stop-daemon",
                    "--start",
                    "--oknodo",
                    "--background",
                    "--exec",
                    "/usr/sbin/mariadbd",
                    "--",
                    "--user=mysql",
                    "--bind-address=127.0.0.1",
                    "--port=3306",
                    "--max-allowed-packet=64M",
                ])
        }
    }
}

/// Wait until a new connection to `url` works (the server is back).
fn wait_until_back(url: &str) {
    let start = Instant::now();
    let pairs = vec![("connect_timeout_ms".to_string(), "2000".to_string())];
    loop {
        match Db::open_with(url, &pairs) {
            Ok(db) if db.exec("SELECT 1", &[]).is_ok() => return,
            Ok(_) => {}
            Err(e) if start.elapsed() > Duration::from_secs(120) => panic!("the server did not come back: {e}"),
            Err(_) => {}
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Restart the server and return once it accepts connections again.
fn restart(engine: Engine, url: &str) {
    match engine {
        Engine::Postgres => {
            // Fast shutdown: every session is terminated, as in a real restart.
            let v = pg_version().unwrap();
            assert!(as_root(&["pg_ctlcluster", "--skip-systemctl-redirect", &v, "main", "restart", "-m", "fast"]));
        }
        Engine::Mysql => {
            assert!(as_root(&["mariadb-admin", "-uroot", "shutdown"]), "mariadb-admin shutdown failed");
            let t = Instant::now();
            while port_open(3306) || pidof_mariadbd() {
                assert!(t.elapsed() < Duration::from_secs(120), "MariaDB did not stop");
                thread::sleep(Duration::from_millis(100));
            }
            assert!(start(engine), "MariaDB did not start");
        }
    }
    wait_until_back(url);
}

fn pidof_mariadbd() -> bool {
    Command::new("pidof").arg("mariadbd").output().map(|o| o.status.success()).unwrap_or(false)
}

/// Starts the server again when a test ends, however it ends.
struct KeepRunning(Engine);

impl Drop for KeepRunning {
    fn drop(&mut self) {
        if !port_open(self.0.port()) {
            eprintln!("restart test: starting {:?} again", self.0);
            start(self.0);
            let t = Instant::now();
            while !port_open(self.0.port()) && t.elapsed() < Duration::from_secs(120) {
                thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

fn restart_under_an_open_pool(engine: Engine) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let name = if engine.var().contains("POSTGRES") { "postgres" } else { "mysql" };
    let Some(url) = common::server_url(name, engine.var()) else { return };
    if let Some(why) = cannot_restart(engine, &url) {
        println!("skipped: {engine:?}: cannot restart its server here: {why}");
        return;
    }
    let _guard = KeepRunning(engine);
    let opts = |health: &str| {
        vec![
            ("pool_max_idle".to_string(), "4".to_string()),
            ("pool_health_check_idle_ms".to_string(), health.to_string()),
        ]
    };
    // One pool with the default health check (a ping for connections idle
    // over a second), one that never pings: there the dead sessions must
    // be noticed by the socket check at checkout alone.
    let pinged = Db::open_with(&url, &opts("1000")).unwrap();
    let unpinged = Db::open_with(&url, &opts("0")).unwrap();
    for db in [&pinged, &unpinged] {
        // Three sessions idle in the pool.
        let held: Vec<_> = (0..3).map(|_| db.checkout().unwrap()).collect();
        for c in &held {
            c.exec("SELECT 1", &[]).unwrap();
        }
        drop(held);
        assert_eq!(db.stats().idle, 3, "{engine:?}: {:?}", db.stats());
    }
    // One checked out across the restart.
    let across = unpinged.checkout().unwrap();
    across.exec("SELECT 1", &[]).unwrap();

    restart(engine, &url);

    for (which, db) in [("unpinged", &unpinged), ("pinged", &pinged)] {
        let before = db.stats();
        // The first use after the server is back succeeds.
        db.exec("SELECT 1", &[]).unwrap_or_else(|e| panic!("{engine:?} ({which}): first exec after restart: {e}"));
        let mut r = db.query("SELECT 2", &[]).unwrap_or_else(|e| panic!("{engine:?} ({which}): first query: {e}"));
        assert!(r.next().unwrap());
        assert_eq!(r.value(0).unwrap().as_i64().unwrap(), 2);
        drop(r);
        let c = db.checkout().unwrap();
        c.exec("SELECT 3", &[]).unwrap_or_else(|e| panic!("{engine:?} ({which}): checked-out conn: {e}"));
        drop(c);
        let s = db.stats();
        assert!(
            s.closed_broken > before.closed_broken,
            "{engine:?} ({which}): the dead sessions must have been closed: {s:?}"
        );
    }

    // The session held across the restart is gone: its next use is an
    // error (keel does not silently switch a checked-out connection), and
    // the pool replaces it once returned.
    let e = across.exec("SELECT 1", &[]).err().unwrap_or_else(|| panic!("{engine:?}: a session from before the restart answered"));
    assert!(matches!(e.status, Status::Io | Status::Cancelled), "{engine:?}: {:?} {}", e.status, e.message);
    assert!(across.is_broken(), "{engine:?}");
    let closed = unpinged.stats().closed_broken;
    drop(across);
    assert_eq!(unpinged.stats().closed_broken, closed + 1, "{engine:?}");
    unpinged.exec("SELECT 1", &[]).unwrap();
}

#[test]
fn postgres_restarted_under_an_open_pool() {
    restart_under_an_open_pool(Engine::Postgres);
}

#[test]
fn mysql_restarted_under_an_open_pool() {
    restart_under_an_open_pool(Engine::Mysql);
}
