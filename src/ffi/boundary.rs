//! The panic boundary, null checks and handle casts. Every exported body
//! runs inside [`call`] or [`call_on`]; all pointer casts of handles live
//! here (in the style of rustls-ffi's `ffi.rs`).

use super::error::{keel_error, store_error};
use crate::core::error::{Error, Result, Status};
use std::any::Any;
use std::cell::Cell;
use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

/// A C handle: the Rust value plus its poison flag and its busy flag.
/// Every `keel_T *` the library hands out points at a boxed `Handle<T>`.
/// The flags are atomic because a `keel_db` is used from many threads at
/// once, and because the busy flag is how a second thread's call on a
/// handle one thread uses at a time is caught.
pub(crate) struct Handle<T> {
    poisoned: AtomicBool,
    /// Set while a call runs on a handle that is not [`Opaque::SHARED`]:
    /// a second call that finds it set (another thread, or a callback of
    /// the running call) fails instead of making a second `&mut`.
    busy: AtomicBool,
    pub value: T,
}

/// Ties an opaque C type to the Rust value behind it.
pub(crate) trait Opaque {
    type Rust;
    /// The handle's name in messages (`"conn"`).
    const NAME: &'static str;
    /// Many threads may use the handle at once (`keel_db`, `keel_cancel`):
    /// its calls take shared references only and set no busy flag.
    const SHARED: bool = false;
}

/// The error of a call on a handle another call is running on.
fn in_use(name: &str) -> Error {
    Error::invalid_state(format!(
        "the {name} handle is in use by another call right now (from another thread, or from a callback of a call \
         on it): a connection, its statements and its cursors are used by one thread at a time; nothing was done"
    ))
    .not_sent()
}

/// Claim handle `handle` for one call: false (and the error stored) when
/// another call holds it. Handles many threads share are not claimed.
#[inline]
fn claim<C: Opaque>(handle: *const Handle<C::Rust>, err_out: *mut *mut keel_error) -> bool {
    // SAFETY: live (checked by the caller); the flag is atomic.
    if !C::SHARED && unsafe { (*handle).busy.swap(true, Ordering::Acquire) } {
        store_error(err_out, in_use(C::NAME));
        return false;
    }
    true
}

/// Give back what [`claim`] took.
#[inline]
fn release<C: Opaque>(handle: *const Handle<C::Rust>) {
    if !C::SHARED {
        // SAFETY: live: this call claimed it, so nothing freed it.
        unsafe { (*handle).busy.store(false, Ordering::Release) };
    }
}

thread_local! {
    static PANIC_NEXT: Cell<bool> = const { Cell::new(false) };
}

/// Whether the test hook below was ever used in this process: until then
/// no call reads the thread-local flag (in the shared library each such
/// read is a call to `__tls_get_addr`).
static PANIC_ARMED: AtomicBool = AtomicBool::new(false);

/// Make the next boundary call on this thread panic inside its body, to
/// test the panic boundary and poisoning. Not part of the C API.
#[doc(hidden)]
pub fn force_panic_in_next_call() {
    PANIC_NEXT.with(|p| p.set(true));
    PANIC_ARMED.store(true, Ordering::Relaxed);
}

#[inline]
fn maybe_forced_panic() {
    // Read first: the flag is almost never set, and a read is cheaper than
    // the write `replace` would make on every call.
    if PANIC_ARMED.load(Ordering::Relaxed) && PANIC_NEXT.with(|p| p.get()) {
        PANIC_NEXT.with(|p| p.set(false));
        panic!("panic forced by keel's test hook");
    }
}

fn panic_message(p: &(dyn Any + Send)) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal panic in keel (this is a bug; the handle is now poisoned): {what}")
}

/// The status of a call's body, its error stored in `err_out`, and whether
/// it panicked. The success path is inlined into every call; the rest is
/// out of line.
#[inline(always)]
fn finish(r: std::thread::Result<Result<()>>, err_out: *mut *mut keel_error) -> (Status, bool) {
    match r {
        Ok(Ok(())) => (Status::Ok, false),
        r => failed(r, err_out),
    }
}

#[cold]
#[inline(never)]
fn failed(r: std::thread::Result<Result<()>>, err_out: *mut *mut keel_error) -> (Status, bool) {
    match r {
        Ok(Ok(())) => (Status::Ok, false),
        Ok(Err(e)) => {
            let s = e.status;
            store_error(err_out, e);
            (s, false)
        }
        Err(p) => {
            store_error(err_out, Error::new(Status::Panic, panic_message(p.as_ref())));
            (Status::Panic, true)
        }
    }
}

/// Run a body that touches no handle (or only creates one).
pub(crate) fn call(err_out: *mut *mut keel_error, f: impl FnOnce() -> Result<()>) -> Status {
    let r = catch_unwind(AssertUnwindSafe(|| {
        maybe_forced_panic();
        f()
    }));
    finish(r, err_out).0
}

/// Check a handle argument: NULL gives NULL_ARGUMENT naming it, a poisoned
/// handle gives INVALID_STATE. The check is inlined into every call; the
/// refusal is out of line.
#[inline(always)]
fn checked<C: Opaque>(h: *const C, err_out: *mut *mut keel_error) -> std::result::Result<*mut Handle<C::Rust>, Status> {
    let handle = h as *mut Handle<C::Rust>;
    // SAFETY: non-NULL handles come from `into_handle` and the caller
    // promises they are live.
    if handle.is_null() || unsafe { (*handle).poisoned.load(Ordering::Acquire) } {
        return Err(refused::<C>(handle.is_null(), err_out));
    }
    Ok(handle)
}

#[cold]
#[inline(never)]
fn refused<C: Opaque>(null: bool, err_out: *mut *mut keel_error) -> Status {
    if null {
        store_error(err_out, null_arg(C::NAME));
        return Status::NullArgument;
    }
    store_error(err_out, Error::invalid_state(format!("{} handle poisoned by an earlier panic", C::NAME)));
    Status::InvalidState
}

/// Run `f` inside the panic boundary; a panic poisons `handle`.
fn run_on<T>(handle: *mut Handle<T>, err_out: *mut *mut keel_error, f: impl FnOnce() -> Result<()>) -> Status {
    let r = catch_unwind(AssertUnwindSafe(|| {
        maybe_forced_panic();
        f()
    }));
    let (status, panicked) = finish(r, err_out);
    if panicked {
        // SAFETY: checked live by `checked`; the flag is atomic.
        unsafe { (*handle).poisoned.store(true, Ordering::Release) };
    }
    status
}

/// Check handle `h`, claim it for this call and run `f` on it inside the
/// panic boundary, then give it back: the one path of [`call_on`] and
/// [`call_on_shared`], which differ in the reference they make.
#[inline(always)]
fn on_claimed<C: Opaque>(
    h: *const C,
    err_out: *mut *mut keel_error,
    f: impl FnOnce(*mut Handle<C::Rust>) -> Result<()>,
) -> Status {
    match checked(h, err_out) {
        Err(s) => s,
        Ok(handle) if !claim::<C>(handle, err_out) => Status::InvalidState,
        Ok(handle) => {
            let s = run_on(handle, err_out, || f(handle));
            release::<C>(handle);
            s
        }
    }
}

/// Run a body on handle `h`, which one thread uses at a time: NULL gives
/// NULL_ARGUMENT naming it, a poisoned handle gives INVALID_STATE, and a
/// panic poisons it.
pub(crate) fn call_on<C: Opaque>(
    h: *mut C,
    err_out: *mut *mut keel_error,
    f: impl FnOnce(&mut C::Rust) -> Result<()>,
) -> Status {
    // SAFETY: live (checked), and claimed: no other call holds a reference
    // to the value, so the `&mut` is unique.
    on_claimed(h, err_out, |handle| f(unsafe { &mut (*handle).value }))
}

/// As [`call_on`], for a handle many threads may use at once (`keel_db`):
/// the body gets a shared reference only.
pub(crate) fn call_on_shared<C: Opaque>(
    h: *const C,
    err_out: *mut *mut keel_error,
    f: impl FnOnce(&C::Rust) -> Result<()>,
) -> Status {
    // SAFETY: live (checked); only shared references are made, and a
    // handle one thread uses at a time is claimed.
    on_claimed(h, err_out, |handle| f(unsafe { &(*handle).value }))
}

/// Run an accessor that cannot report errors: NULL, a poisoned handle, a
/// handle another call is running on, or a panic give `default`.
pub(crate) fn get<C: Opaque, R: Copy>(h: *const C, default: R, f: impl FnOnce(&C::Rust) -> R) -> R {
    get_or(h, default, default, f)
}

/// As [`get`], with `in_use` the answer for a handle another call is
/// running on.
pub(crate) fn get_or<C: Opaque, R>(h: *const C, default: R, in_use: R, f: impl FnOnce(&C::Rust) -> R) -> R {
    // NULL and a poisoned handle: `default` (no error to store).
    let Ok(handle) = checked(h, std::ptr::null_mut()) else { return default };
    if !claim::<C>(handle, std::ptr::null_mut()) {
        return in_use;
    }
    // SAFETY: live and claimed (see `call_on_shared`).
    let r = catch_unwind(AssertUnwindSafe(|| f(unsafe { &(*handle).value }))).unwrap_or(default);
    release::<C>(handle);
    r
}

/// Run `f` on handle `h` whether or not it is poisoned, inside the panic
/// boundary (a panic is swallowed): for calls that tear a handle down.
/// NULL is a no-op.
pub(crate) fn teardown<C: Opaque>(h: *mut C, f: impl FnOnce(&mut C::Rust)) {
    if h.is_null() {
        return;
    }
    let handle = h as *mut Handle<C::Rust>;
    // SAFETY: live (the caller's contract). A handle another call is
    // running on is left alone (its free, next, leaks it).
    if !C::SHARED && unsafe { (*handle).busy.load(Ordering::Acquire) } {
        return;
    }
    // SAFETY: live, and no call runs on it.
    let _ = catch_unwind(AssertUnwindSafe(|| f(unsafe { &mut (*handle).value })));
}

/// Box a value as a new C handle.
pub(crate) fn into_handle<C: Opaque>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(Handle { poisoned: AtomicBool::new(false), busy: AtomicBool::new(false), value })) as *mut C
}

/// The value behind a live handle, or None for NULL or a poisoned one;
/// for a call that takes a handle it may reuse or free (the caller then
/// owns it, and no other reference to it exists for the call).
pub(crate) fn live_mut<'a, C: Opaque>(h: *mut C) -> Option<&'a mut C::Rust> {
    let handle = h as *mut Handle<C::Rust>;
    // SAFETY: non-NULL handles come from `into_handle` and the caller
    // promises they are live and used by this call alone (one another call
    // is running on counts as not live).
    (!handle.is_null()
        && !unsafe { (*handle).poisoned.load(Ordering::Acquire) }
        && (C::SHARED || !unsafe { (*handle).busy.load(Ordering::Acquire) }))
    .then(|| unsafe { &mut (*handle).value })
}

/// Free a handle made by [`into_handle`]; NULL is a no-op. Never panics
/// out: a panic in a destructor is swallowed.
pub(crate) fn free_handle<C: Opaque>(h: *mut C) {
    if h.is_null() {
        return;
    }
    let handle = h as *mut Handle<C::Rust>;
    // SAFETY: live (the contract). A handle another call is running on
    // (another thread's, against the rules) is leaked rather than freed
    // under it; claimed, it takes no new call while it is freed.
    if !C::SHARED && unsafe { (*handle).busy.swap(true, Ordering::Acquire) } {
        return;
    }
    // SAFETY: `h` came from `into_handle` and is freed once (the contract).
    let b = unsafe { Box::from_raw(handle) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(b)));
}

pub(crate) fn null_arg(name: &str) -> Error {
    Error::new(Status::NullArgument, format!("argument {name} is NULL")).not_sent()
}

/// Borrow a required NUL-terminated UTF-8 string argument.
pub(crate) fn c_str<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: the caller passes a NUL-terminated string valid for the call.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        Error::invalid_argument(format!(
            "argument {name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
        .not_sent()
    })
}

/// Borrow a required (pointer, length) byte buffer; NULL is allowed only
/// with length 0.
pub(crate) fn c_bytes<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if p.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(null_arg(name)) };
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid_argument(format!("length of {name} is too large")).not_sent());
    }
    // SAFETY: the caller passes a buffer valid for `len` bytes for the call.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Borrow a (pointer, length) UTF-8 text argument.
pub(crate) fn c_text<'a>(p: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    let b = c_bytes(p as *const u8, len, name)?;
    std::str::from_utf8(b).map_err(|e| {
        Error::invalid_argument(format!(
            "{name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
        .not_sent()
    })
}

/// Borrow SQL given as (pointer, length): UTF-8 with no NUL byte in it. A
/// NUL would end the statement for any layer that reads C strings, so a
/// caller's `DELETE FROM t\0 WHERE ...` is refused, never cut short.
pub(crate) fn c_sql<'a>(p: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    let t = c_text(p, len, name)?;
    match t.bytes().position(|b| b == 0) {
        None => Ok(t),
        Some(i) => Err(Error::invalid_argument(format!(
            "{name} holds a NUL byte at offset {i}; SQL text cannot contain one (nothing was run)"
        ))
        .not_sent()),
    }
}

/// Check a required out-pointer.
pub(crate) fn out_ptr<T>(p: *mut T, name: &str) -> Result<*mut T> {
    if p.is_null() { Err(null_arg(name)) } else { Ok(p) }
}

/// Write an output (only called on success). The pointer was checked.
pub(crate) fn write<T>(p: *mut T, v: T) {
    // SAFETY: checked non-NULL by `out_ptr`; the caller owns the storage.
    unsafe { p.write(v) }
}

/// Write an optional output when the caller asked for it.
pub(crate) fn write_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        write(p, v);
    }
}
