//! `keel_error`, the owned error object, and `keel_status_str`.
//!
//! `keel_status` numbers are frozen (see `core::error::Status`): they never
//! change and retired numbers are never reused. Retired: none.

use crate::core::error::{Error, RetrySafety, Status};
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// An error: status, message, SQLSTATE, vendor code, driver name, and
/// whether retrying is safe.
///
/// Created by any fallible call that was given a non-NULL `keel_error
/// **err_out` and did not succeed; destroyed by `keel_error_free`. Methods:
/// `keel_error_status`, `keel_error_message`, `keel_error_sqlstate`,
/// `keel_error_vendor_code`, `keel_error_driver`,
/// `keel_error_retry_safety`. Immutable, so any thread
/// may read it. In Rust it is a boxed `keel::Error` with C copies of its
/// strings.
pub struct keel_error {
    _private: [u8; 0],
}

struct ErrorBox {
    status: Status,
    retry: RetrySafety,
    vendor_code: i32,
    message: CString,
    sqlstate: CString,
    driver: CString,
}

fn cstring_lossy(s: &str) -> CString {
    CString::new(s.replace('\0', "?")).expect("NULs removed")
}

/// Box `e` as a C error object the receiver frees with `keel_error_free`.
pub(crate) fn into_raw(e: Error) -> *mut keel_error {
    let b = Box::new(ErrorBox {
        status: e.status,
        retry: e.retry,
        vendor_code: e.vendor_code,
        message: cstring_lossy(&e.message),
        sqlstate: cstring_lossy(&e.sqlstate),
        driver: cstring_lossy(e.driver),
    });
    Box::into_raw(b) as *mut keel_error
}

/// Take back an error object made by [`into_raw`] (a foreign driver's,
/// from `keel_error_new`) as an `Error` raised by `driver`, freeing it.
///
/// # Safety
/// `err` is non-NULL, came from [`into_raw`] and is not used again.
pub(crate) unsafe fn take(err: *mut keel_error, driver: &'static str) -> Error {
    // SAFETY: the contract.
    let b = unsafe { Box::from_raw(err as *mut ErrorBox) };
    Error {
        status: b.status,
        message: b.message.to_string_lossy().into_owned(),
        sqlstate: b.sqlstate.to_string_lossy().into_owned(),
        vendor_code: b.vendor_code,
        driver,
        retry: b.retry,
    }
}

/// Store `e` in `*err_out` when the caller asked for details.
pub(crate) fn store_error(err_out: *mut *mut keel_error, e: Error) {
    if err_out.is_null() {
        return;
    }
    // SAFETY: non-NULL out-pointer from the caller.
    unsafe { err_out.write(into_raw(e)) };
}

fn with_error<R>(err: *const keel_error, default: R, f: impl FnOnce(&ErrorBox) -> R) -> R {
    if err.is_null() {
        return default;
    }
    // SAFETY: non-NULL errors come from `store_error` and are live until
    // `keel_error_free`.
    let b = unsafe { &*(err as *const ErrorBox) };
    catch_unwind(AssertUnwindSafe(|| f(b))).unwrap_or(default)
}

/// Free an error object.
///
/// Ownership: takes back `err`, which the caller received through an
/// `err_out` parameter; NULL is a no-op.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_free(err: *mut keel_error) {
    if !err.is_null() {
        // SAFETY: from `store_error`, freed once by contract.
        let b = unsafe { Box::from_raw(err as *mut ErrorBox) };
        let _ = catch_unwind(AssertUnwindSafe(move || drop(b)));
    }
}

/// Return the status of an error.
///
/// Ownership: borrows `err`.
///
/// Errors: returns `KEEL_STATUS_NULL_ARGUMENT` when `err` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_status(err: *const keel_error) -> Status {
    with_error(err, Status::NullArgument, |e| e.status)
}

/// Return the error's message: UTF-8 text with context (the start of the
/// SQL, the parameter or column index). Never contains a password.
///
/// Ownership: borrows `err`; the string belongs to `err`.
///
/// Lifetime: valid until `keel_error_free(err)`.
///
/// Errors: returns `""` when `err` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_message(err: *const keel_error) -> *const c_char {
    with_error(err, c"".as_ptr(), |e| e.message.as_ptr())
}

/// Return the five-character SQLSTATE, or `""` when there is none.
/// PostgreSQL and MySQL report their own; for SQLite it is derived from the
/// result code.
///
/// Ownership: borrows `err`; the string belongs to `err`.
///
/// Lifetime: valid until `keel_error_free(err)`.
///
/// Errors: returns `""` when `err` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_sqlstate(err: *const keel_error) -> *const c_char {
    with_error(err, c"".as_ptr(), |e| e.sqlstate.as_ptr())
}

/// Return the engine's own error number: the SQLite extended result code,
/// the MySQL errno, the SQL Server error number; 0 when there is none
/// (always for PostgreSQL, whose own code is the SQLSTATE).
///
/// Ownership: borrows `err`.
///
/// Errors: returns 0 when `err` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_vendor_code(err: *const keel_error) -> i32 {
    with_error(err, 0, |e| e.vendor_code)
}

/// Return the name of the driver that raised the error (`"sqlite"`), or
/// `"keel"` for errors found by keel itself (bad arguments, bad state).
///
/// Ownership: borrows `err`; the string belongs to `err`.
///
/// Lifetime: valid until `keel_error_free(err)`.
///
/// Errors: returns `""` when `err` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_driver(err: *const keel_error) -> *const c_char {
    with_error(err, c"".as_ptr(), |e| e.driver.as_ptr())
}

/// Return whether running the failed call again could apply its statement
/// twice.
///
/// `KEEL_RETRY_SAFETY_NOT_SENT`: nothing of the statement reached the
/// server (no connection could be opened or checked out, an argument was
/// refused before sending, the pooled connection was found dead before
/// use; or only its preparation or a ping was sent), so it did not run and
/// may be run again. `KEEL_RETRY_SAFETY_MAY_HAVE_RUN`: it was sent and the
/// connection failed or timed out (`socket_timeout_ms`) before the answer,
/// so it may have run and even committed; run it again only when that is
/// harmless (idempotent). `KEEL_RETRY_SAFETY_NOT_COMMITTED`: the server
/// answered that the transaction the statement was in did not commit and
/// will not (a deadlock or serialization failure, a Galera certification
/// failure, a write refused by a server that is read-only now, as after a
/// failover): nothing of it took effect, so running the whole transaction
/// again, from its start, cannot apply it twice (`KEEL_STATUS_BUSY` says
/// that trying again may succeed). `KEEL_RETRY_SAFETY_UNKNOWN`: keel
/// cannot say more than the status does; this includes the other errors
/// the server answered with, after which the statement did not take
/// effect.
/// `keel_db_exec` and `keel_db_query` already retry, on another
/// connection, a statement whose pooled connection was found dead before
/// it was sent.
///
/// Ownership: borrows `err`.
///
/// Errors: returns `KEEL_RETRY_SAFETY_UNKNOWN` when `err` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_retry_safety(err: *const keel_error) -> RetrySafety {
    with_error(err, RetrySafety::Unknown, |e| e.retry)
}

/// Return static English text for a status, like `sqlite3_errstr`.
///
/// Ownership: the string is static.
///
/// Lifetime: valid for the life of the process.
///
/// Errors: an unknown number gives the text of `KEEL_STATUS_UNKNOWN`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_status_str(status: i32) -> *const c_char {
    let s = Status::from_i32(status).unwrap_or(Status::Unknown);
    STATUS_TEXT[s as usize].as_ptr()
}

/// `Status::as_str` of every status, NUL-terminated, by number.
static STATUS_TEXT: once_cell::sync::Lazy<Vec<std::ffi::CString>> = once_cell::sync::Lazy::new(|| {
    Status::ALL.iter().map(|s| std::ffi::CString::new(s.as_str()).expect("status texts hold no NUL")).collect()
});
