//! What the network drivers share about URLs that name several hosts
//! (`postgres://u@h1:5432,h2:5433/db`): the order to try them in, and the
//! error when none would do, which names every host tried and why.

use crate::core::driver::{Connector, DriverConn};
use crate::core::error::{Error, Result, RetrySafety, Status};

/// A connector over several hosts, each with its own connector: tried in
/// order (or shuffled), the first that connects wins.
pub struct Hosts {
    /// What the messages call the engine.
    pub engine: &'static str,
    /// `host:port` and its connector, in the URL's order.
    pub each: Vec<(String, Box<dyn Connector>)>,
    /// `load_balance_hosts=random`.
    pub random: bool,
}

impl Connector for Hosts {
    fn connect(&self) -> Result<Box<dyn DriverConn>> {
        let mut tried = Vec::new();
        for i in order(self.each.len(), self.random) {
            let (name, c) = &self.each[i];
            match c.connect() {
                Ok(conn) => return Ok(conn),
                Err(e) => tried.push((name.clone(), e)),
            }
        }
        Err(none_would_do(self.engine, "", tried))
    }
}
use std::hash::{BuildHasher, Hasher};

/// The indexes `0..n`, in order, or shuffled (`load_balance_hosts=random`).
pub fn order(n: usize, random: bool) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    if random {
        for i in (1..n).rev() {
            let j = (random_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
    v
}

/// A number nobody can predict well enough to matter here: std's hasher
/// keys are random per process and differ per `RandomState`.
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.finish()
}

/// The error after every host of a list failed: each host and why, in the
/// order tried, with the status and SQLSTATE of the last failure (every
/// one is `NotSent`: no statement ran). `what` says what was looked for.
/// With one host the error is that host's, unchanged.
pub fn none_would_do(engine: &str, what: &str, mut tried: Vec<(String, Error)>) -> Error {
    if tried.len() == 1 {
        return tried.pop().expect("one").1;
    }
    let reasons: Vec<String> = tried.iter().map(|(h, e)| format!("{h}: {}", e.message)).collect();
    let last = &tried.last().expect("a host list is never empty").1;
    let mut e = Error::new(
        if last.status == Status::Ok { Status::Io } else { last.status },
        format!("could not connect to any {engine} host{what}: {}", reasons.join("; ")),
    );
    e.sqlstate = last.sqlstate.clone();
    e.vendor_code = last.vendor_code;
    e.driver = last.driver;
    e.with_retry(RetrySafety::NotSent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_a_permutation() {
        assert_eq!(order(4, false), vec![0, 1, 2, 3]);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut o = order(4, true);
            seen.insert(o.clone());
            o.sort();
            assert_eq!(o, vec![0, 1, 2, 3]);
        }
        // 24 orders; 200 draws find more than one.
        assert!(seen.len() > 1);
        assert!(order(0, true).is_empty());
    }

    #[test]
    fn the_error_names_every_host() {
        let one = Error::new(Status::Io, "refused").with_sqlstate("08001");
        assert_eq!(none_would_do("PostgreSQL", "", vec![("a:1".into(), one.clone())]), one);
        let e = none_would_do(
            "PostgreSQL",
            " (target_session_attrs=read-write)",
            vec![("a:1".into(), one), ("b:2".into(), Error::new(Status::Timeout, "no answer"))],
        );
        assert_eq!(e.status, Status::Timeout);
        assert_eq!(e.retry, RetrySafety::NotSent);
        assert_eq!(
            e.message,
            "could not connect to any PostgreSQL host (target_session_attrs=read-write): a:1: refused; b:2: no answer"
        );
    }
}
