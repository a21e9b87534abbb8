//! A long Arrow stream keeps memory flat: the process's resident memory
//! after reading every batch of a 1,000,000-row result (SQLite, and
//! PostgreSQL when configured) stays within 64 MiB of what it was after
//! the first batches, so nothing buffers the result. Alone in its own test
//! binary so that no other test's memory counts; Linux only (it reads
//! /proc/self/status). `KEEL_ARROW_RSS_ROWS` changes the row count
//! (`KEEL_ARROW_RSS_ROWS=10000000 cargo test --release --test arrow_memory`
//! for the 10,000,000 rows the issue asks about).

mod common;

use arrow_array::RecordBatchReader;
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use keel::ffi::arrow::keel_db_query_arrow;
use keel::ffi::db::{keel_db_free, keel_db_open};
use keel::ffi::error::{keel_error_free, keel_error_message};
use keel::Status;
use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn stream_flat(engine: &str, url: &str, sql: &str, rows: u64) {
    let u = CString::new(format!("{url}{}arrow_batch_rows=65536", if url.contains('?') { '&' } else { '?' })).unwrap();
    let mut db = null_mut();
    let mut e = null_mut();
    assert_eq!(keel_db_open(u.as_ptr(), &mut db, &mut e), Status::Ok);
    let q = CString::new(sql).unwrap();
    let mut stream = FFI_ArrowArrayStream::empty();
    let s = keel_db_query_arrow(db, q.as_ptr(), null(), 0, &mut stream, &mut e);
    if s != Status::Ok {
        let m = unsafe { CStr::from_ptr(keel_error_message(e)) }.to_string_lossy().into_owned();
        keel_error_free(e);
        panic!("{engine}: {s:?}: {m}");
    }
    let reader = ArrowArrayStreamReader::try_new(stream).unwrap();
    assert_eq!(reader.schema().fields().len(), 3);
    let (mut n, mut batches) = (0u64, 0u64);
    let mut base = None;
    let mut peak = 0;
    for b in reader {
        let b = b.unwrap();
        n += b.num_rows() as u64;
        batches += 1;
        drop(b);
        let r = rss_kib().expect("VmRSS");
        if batches == 4 {
            base = Some(r);
        }
        peak = peak.max(r);
    }
    keel_db_free(db);
    assert_eq!(n, rows);
    let base = base.expect("at least 4 batches");
    println!("{engine}: {rows} rows in {batches} batches; RSS after 4 batches {base} KiB, peak {peak} KiB");
    assert!(peak < base + 64 * 1024, "resident memory grew from {base} KiB to {peak} KiB while streaming");
}

#[test]
fn a_long_stream_keeps_memory_flat() {
    if rss_kib().is_none() {
        println!("skipped: no /proc/self/status on this system");
        return;
    }
    let rows: u64 = std::env::var("KEEL_ARROW_RSS_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    stream_flat(
        "sqlite",
        "sqlite::memory:",
        &format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) \
             SELECT x, x * 0.5 AS half, 'row ' || x AS label FROM c"
        ),
        rows,
    );
    if let Some(url) = common::server_url("postgres", "KEEL_TEST_POSTGRES_URL") {
        stream_flat(
            "postgres",
            &url,
            &format!("SELECT x::bigint, x * 0.5::float8 AS half, 'row ' || x AS label FROM generate_series(1, {rows}) AS x"),
            rows,
        );
    }
}
