//! Registering drivers written outside Rust, from the user's side: a
//! driver linked into the program (`keel_driver_register`) or a shared
//! library (`keel_driver_load`). The driver's side of the ABI is
//! `include/keel_driver.h` (`crate::ext`).

use super::boundary::{c_str, call};
use super::error::keel_error;
use crate::core::error::Status;
use std::ffi::c_char;

/// A driver's table of functions, defined in `keel_driver.h` (included
/// only by code that writes a driver); here it is only passed along.
/// Not a handle: keel never hands one out, and copies the one it is
/// given. See `keel_driver_register`.
pub struct keel_driver_v1 {
    _private: [u8; 0],
}

/// Register a driver written in C, Zig, Odin or another language that
/// fills a `keel_driver_v1` (see `keel_driver.h`), so that `keel_db_open`
/// opens URLs of its schemes, with keel's pool, statement cache, `?`
/// placeholders and batches, in every binding.
///
/// keel checks the table and copies it with its strings: the driver's
/// functions must stay in memory for the life of the process, the table
/// itself only for this call. A driver cannot be unregistered.
///
/// Ownership: borrows `driver` for the call.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (driver),
/// `KEEL_STATUS_INVALID_ARGUMENT` (an `abi_version` other than
/// `KEEL_DRIVER_ABI_VERSION`, a `size` smaller than version 1's table, a
/// required function missing (the message names each), a name, scheme or
/// string that is not valid, unknown flag bits),
/// `KEEL_STATUS_ALREADY_EXISTS` (the driver's name or one of its schemes
/// is taken, by a built-in driver or one registered earlier; nothing is
/// registered then).
///
/// Threads: any thread, at any time; pools opened before keep their
/// drivers.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_driver_register(driver: *const keel_driver_v1, err_out: *mut *mut keel_error) -> Status {
    call(err_out, || {
        // SAFETY: the caller's table (the contract above and in
        // keel_driver.h); the two types are one C struct.
        unsafe { crate::ext::register(driver as *const crate::ext::abi::DriverV1) }
    })
}

/// Load a driver from the shared library at `path` (a path as `dlopen`
/// takes it: with a `/`, a file; without, searched for as `dlopen` does),
/// call its entry point `keel_driver_entry` (see `keel_driver.h`) and
/// register the driver it returns, as `keel_driver_register` does. Once
/// registered, the library stays loaded for the life of the process; a
/// library whose driver is refused is unloaded.
///
/// Ownership: `path` is borrowed for the call.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (path), `KEEL_STATUS_INVALID_ARGUMENT`
/// (path not UTF-8, the entry point returned NULL, and every refusal of
/// `keel_driver_register`), `KEEL_STATUS_NOT_FOUND` (the library cannot be
/// loaded, with the loader's reason; it exports no `keel_driver_entry`),
/// `KEEL_STATUS_ALREADY_EXISTS` (its name or a scheme is taken).
///
/// Threads: any thread.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_driver_load(path: *const c_char, err_out: *mut *mut keel_error) -> Status {
    call(err_out, || crate::ext::load(c_str(path, "path")?))
}

