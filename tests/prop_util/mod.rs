//! What the property tests (`tests/prop_*.rs`) share: their proptest
//! configuration.
//!
//! Each property runs the number of cases its file gives, so that all of
//! them together take well under a minute in `make test`;
//! `PROPTEST_CASES=N` in the environment runs N cases of every property
//! instead (the long runs). A failing input is kept in
//! `proptest-regressions/<file>.txt`, committed, and replayed first on
//! every later run; each bug found also has its own `#[test]`.

#![allow(dead_code)]

use proptest::test_runner::{Config, FileFailurePersistence};

/// The configuration for one property of `file`: `cases` cases unless
/// `PROPTEST_CASES` says otherwise, failures kept in `file`.
pub fn config(file: &'static str, cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(cases);
    Config {
        cases,
        // Strategies filter little, but over millions of cases the
        // default cap of 65536 rejected inputs would end a run.
        max_local_rejects: cases.max(65_536),
        max_global_rejects: cases.max(1024),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..Config::default()
    }
}
