//! Helpers for the integration tests that drive keel through its C ABI
//! from Rust: owned error objects, checked wrappers around the exported
//! functions, and `keel_value` constructors. Each wrapper panics with the
//! keel error message when a call that should succeed fails, so a failing
//! test says why.

#![allow(dead_code)]

use keel::ffi::conn::*;
use keel::ffi::db::*;
use keel::ffi::error::*;
use keel::ffi::rows::*;
use keel::ffi::stmt::*;
use keel::ffi::types::{keel_exec_result, keel_value};
use keel::{Nullable, Status, Type};
use std::ffi::{CStr, CString, c_char};
use std::ptr;

/// An owned `keel_error`, freed on drop.
pub struct KErr(pub *mut keel_error);

impl KErr {
    pub fn status(&self) -> Status {
        keel_error_status(self.0)
    }
    pub fn message(&self) -> String {
        cstr(keel_error_message(self.0))
    }
    pub fn sqlstate(&self) -> String {
        cstr(keel_error_sqlstate(self.0))
    }
    pub fn vendor_code(&self) -> i32 {
        keel_error_vendor_code(self.0)
    }
    pub fn driver(&self) -> String {
        cstr(keel_error_driver(self.0))
    }
    pub fn retry_safety(&self) -> keel::RetrySafety {
        keel_error_retry_safety(self.0)
    }
}

impl Drop for KErr {
    fn drop(&mut self) {
        keel_error_free(self.0);
    }
}

impl std::fmt::Debug for KErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}: {} [sqlstate {:?}, vendor {}, driver {}]",
            self.status(),
            self.message(),
            self.sqlstate(),
            self.vendor_code(),
            self.driver()
        )
    }
}

/// Copy a NUL-terminated C string (panics on NULL).
pub fn cstr(p: *const c_char) -> String {
    assert!(!p.is_null(), "keel returned a NULL string");
    // SAFETY: keel returns NUL-terminated strings valid for this call.
    unsafe { CStr::from_ptr(p) }.to_str().expect("keel strings are UTF-8").to_owned()
}

pub fn c(s: &str) -> CString {
    CString::new(s).expect("no NUL in test string")
}

/// Run a fallible call with an `err_out`. Ok when it returns OK; otherwise
/// the error object, which must exist and carry the same status.
pub fn call(f: impl FnOnce(*mut *mut keel_error) -> Status) -> Result<(), KErr> {
    let mut e: *mut keel_error = ptr::null_mut();
    let s = f(&mut e);
    if s == Status::Ok {
        assert!(e.is_null(), "an OK call wrote an error object");
        return Ok(());
    }
    assert!(!e.is_null(), "a failing call ({s:?}) wrote no error object");
    let e = KErr(e);
    assert_eq!(e.status(), s, "error object status differs from the returned status");
    Err(e)
}

/// Expect a call to fail; return its error.
#[track_caller]
pub fn fails(f: impl FnOnce(*mut *mut keel_error) -> Status) -> KErr {
    match call(f) {
        Ok(()) => panic!("call succeeded but was expected to fail"),
        Err(e) => e,
    }
}

/// Expect a call to succeed.
#[track_caller]
pub fn ok(f: impl FnOnce(*mut *mut keel_error) -> Status) {
    if let Err(e) = call(f) {
        panic!("call failed: {e:?}");
    }
}

/// Assert status and that the message contains every one of `parts`.
#[track_caller]
pub fn assert_err(e: &KErr, status: Status, parts: &[&str]) {
    assert_eq!(e.status(), status, "wrong status: {e:?}");
    let m = e.message();
    for p in parts {
        assert!(m.contains(p), "message {m:?} does not contain {p:?}");
    }
}

pub fn open(url: &str) -> *mut keel_db {
    let u = c(url);
    let mut db = ptr::null_mut();
    ok(|e| keel_db_open(u.as_ptr(), &mut db, e));
    assert!(!db.is_null());
    db
}

pub fn memory_db() -> *mut keel_db {
    open("sqlite::memory:")
}

pub fn checkout(db: *mut keel_db) -> *mut keel_conn {
    let mut conn = ptr::null_mut();
    ok(|e| keel_db_checkout(db, &mut conn, e));
    assert!(!conn.is_null());
    conn
}

/// Run SQL with parameters on a connection; panics on failure.
#[track_caller]
pub fn exec(conn: *mut keel_conn, sql: &str, params: &[keel_value]) -> keel_exec_result {
    let s = c(sql);
    let mut r = keel_exec_result::default();
    if let Err(e) = call(|e| keel_conn_exec(conn, s.as_ptr(), params.as_ptr(), params.len(), &mut r, e)) {
        panic!("exec {sql:?} failed: {e:?}");
    }
    r
}

/// Run SQL on a connection and return the error it must give.
#[track_caller]
pub fn exec_err(conn: *mut keel_conn, sql: &str, params: &[keel_value]) -> KErr {
    let s = c(sql);
    fails(|e| keel_conn_exec(conn, s.as_ptr(), params.as_ptr(), params.len(), ptr::null_mut(), e))
}

#[track_caller]
pub fn query(conn: *mut keel_conn, sql: &str, params: &[keel_value]) -> *mut keel_rows {
    let s = c(sql);
    let mut rows = ptr::null_mut();
    if let Err(e) = call(|e| keel_conn_query(conn, s.as_ptr(), params.as_ptr(), params.len(), &mut rows, e)) {
        panic!("query {sql:?} failed: {e:?}");
    }
    assert!(!rows.is_null());
    rows
}

#[track_caller]
pub fn prepare(conn: *mut keel_conn, sql: &str) -> *mut keel_stmt {
    let s = c(sql);
    let mut st = ptr::null_mut();
    if let Err(e) = call(|e| keel_conn_prepare(conn, s.as_ptr(), &mut st, e)) {
        panic!("prepare {sql:?} failed: {e:?}");
    }
    assert!(!st.is_null());
    st
}

#[track_caller]
pub fn next(rows: *mut keel_rows) -> bool {
    let mut has = false;
    ok(|e| keel_rows_next(rows, &mut has, e));
    has
}

#[track_caller]
pub fn get_i64(rows: *mut keel_rows, i: usize) -> i64 {
    let mut v = 0;
    ok(|e| keel_rows_column_int64(rows, i, &mut v, e));
    v
}

/// Column `i` as text, via `keel_rows_column_text` (length-based, so
/// embedded NULs survive).
#[track_caller]
pub fn get_text(rows: *mut keel_rows, i: usize) -> String {
    let mut p: *const c_char = ptr::null();
    let mut n = usize::MAX;
    ok(|e| keel_rows_column_text(rows, i, &mut p, &mut n, e));
    assert!(!p.is_null());
    // SAFETY: keel returns n readable bytes plus a NUL.
    let b = unsafe { std::slice::from_raw_parts(p as *const u8, n + 1) };
    assert_eq!(b[n], 0, "text is not NUL-terminated");
    String::from_utf8(b[..n].to_vec()).expect("UTF-8")
}

#[track_caller]
pub fn get_bytes(rows: *mut keel_rows, i: usize) -> Vec<u8> {
    let mut p: *const u8 = ptr::null();
    let mut n = usize::MAX;
    ok(|e| keel_rows_column_bytes(rows, i, &mut p, &mut n, e));
    assert!(!p.is_null(), "bytes pointer is NULL");
    // SAFETY: keel returns n readable bytes.
    unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
}

#[track_caller]
pub fn get_value(rows: *mut keel_rows, i: usize) -> keel_value {
    let mut v = v_null();
    ok(|e| keel_rows_column_value(rows, i, &mut v, e));
    v
}

#[track_caller]
pub fn is_null(rows: *mut keel_rows, i: usize) -> bool {
    let mut b = false;
    ok(|e| keel_rows_column_is_null(rows, i, &mut b, e));
    b
}

#[track_caller]
pub fn column_type(rows: *mut keel_rows, i: usize) -> Type {
    let mut t = Type::Null;
    ok(|e| keel_rows_column_type(rows, i, &mut t, e));
    t
}

#[track_caller]
pub fn column_nullable(rows: *mut keel_rows, i: usize) -> Nullable {
    let mut n = Nullable::Unknown;
    ok(|e| keel_rows_column_nullable(rows, i, &mut n, e));
    n
}

#[track_caller]
pub fn column_name(rows: *mut keel_rows, i: usize) -> String {
    let mut p: *const c_char = ptr::null();
    ok(|e| keel_rows_column_name(rows, i, &mut p, e));
    cstr(p)
}

#[track_caller]
pub fn column_engine_type(rows: *mut keel_rows, i: usize) -> String {
    let mut p: *const c_char = ptr::null();
    ok(|e| keel_rows_column_engine_type(rows, i, &mut p, e));
    cstr(p)
}

/// The data of a `keel_value` result (text, bytes, uuid) as bytes.
pub fn value_data(v: &keel_value) -> Vec<u8> {
    if v.len == 0 {
        return Vec::new();
    }
    assert!(!v.data.is_null());
    // SAFETY: keel returns len readable bytes.
    unsafe { std::slice::from_raw_parts(v.data, v.len) }.to_vec()
}

/// Run `SELECT <expr> FROM <table>`-style SQL that yields one row and one
/// column, returning the single int64.
#[track_caller]
pub fn scalar_i64(conn: *mut keel_conn, sql: &str) -> i64 {
    let rows = query(conn, sql, &[]);
    assert!(next(rows), "{sql} returned no row");
    let v = get_i64(rows, 0);
    keel_rows_free(rows);
    v
}

fn base(kind: Type) -> keel_value {
    keel_value { kind: kind as i32, int_value: 0, uint_value: 0, double_value: 0.0, data: ptr::null(), len: 0 }
}

pub fn v_null() -> keel_value {
    base(Type::Null)
}
pub fn v_bool(b: bool) -> keel_value {
    keel_value { int_value: b as i64, ..base(Type::Bool) }
}
pub fn v_i64(n: i64) -> keel_value {
    keel_value { int_value: n, ..base(Type::Int64) }
}
pub fn v_u64(n: u64) -> keel_value {
    keel_value { uint_value: n, ..base(Type::Uint64) }
}
pub fn v_f64(d: f64) -> keel_value {
    keel_value { double_value: d, ..base(Type::Double) }
}
/// Text borrowing `s`: keep `s` alive for the call.
pub fn v_text(s: &[u8]) -> keel_value {
    keel_value { data: s.as_ptr(), len: s.len(), ..base(Type::Text) }
}
pub fn v_bytes(b: &[u8]) -> keel_value {
    keel_value { data: b.as_ptr(), len: b.len(), ..base(Type::Bytes) }
}
pub fn v_kind_data(kind: Type, b: &[u8]) -> keel_value {
    keel_value { data: b.as_ptr(), len: b.len(), ..base(kind) }
}
pub fn v_kind_int(kind: Type, n: i64) -> keel_value {
    keel_value { int_value: n, ..base(kind) }
}
