//! Drivers written outside Rust. A driver in C, Zig, Odin or any language
//! that can fill a table of function pointers (`keel_driver_v1`,
//! `include/keel_driver.h`, written by build.rs from [`abi`]) registers
//! into the process's registry like a built-in one, and gets keel's pool,
//! statement cache, `?` placeholders, batches and every binding.
//!
//! - [`abi`]: the driver-side C ABI: the table, the structs a driver reads
//!   and writes, and `keel_error_new`.
//! - `foreign`: the checks made at registration, and the adapter that
//!   implements the traits of `core::driver` over a table, turning every
//!   wrong answer of a driver into a keel error.
//!
//! The user-side calls (`keel_driver_register`, `keel_driver_load`) are in
//! `ffi::driver`, and call [`register`] and [`load`].

pub mod abi;
mod foreign;

use crate::core::error::{Error, Result, Status};
use std::ffi::{CStr, CString};

/// Register the driver whose table is at `table`.
///
/// # Safety
/// `table` is NULL or a table of at least its `size` bytes, with strings
/// valid for the call (the header's contract).
pub unsafe fn register(table: *const abi::DriverV1) -> Result<()> {
    // SAFETY: the contract.
    let d = unsafe { foreign::driver_from_table(table) }?;
    crate::assemble::registry().register(d)
}

/// Load the shared library at `path`, call its `keel_driver_entry`, and
/// register the driver it returns. The library stays loaded for the life
/// of the process once registered; one that fails is unloaded.
pub fn load(path: &str) -> Result<()> {
    let c = CString::new(path).map_err(|_| Error::invalid_argument("path holds a NUL byte"))?;
    let dlerror = || {
        // SAFETY: dlerror returns NULL or a NUL-terminated message.
        let e = unsafe { libc::dlerror() };
        if e.is_null() { String::from("no reason given") } else { unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned() }
    };
    // SAFETY: loading a library runs its initializers: the caller asked
    // for this library.
    let lib = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if lib.is_null() {
        return Err(Error::new(Status::NotFound, format!("cannot load the driver library {path:?}: {}", dlerror())));
    }
    let close = |e: Error| {
        // SAFETY: nothing of the library is in use (not registered).
        unsafe { libc::dlclose(lib) };
        Err(e)
    };
    let name = CString::new(abi::KEEL_DRIVER_ENTRY).expect("no NUL");
    // SAFETY: a symbol lookup in a library we opened.
    let sym = unsafe { libc::dlsym(lib, name.as_ptr()) };
    if sym.is_null() {
        return close(Error::new(
            Status::NotFound,
            format!("{path:?} is not a keel driver: it exports no function {}", abi::KEEL_DRIVER_ENTRY),
        ));
    }
    // SAFETY: the documented signature of the entry point.
    let entry: abi::keel_driver_entry_fn = unsafe { std::mem::transmute(sym) };
    // SAFETY: calling the driver's entry point with keel's host table.
    let table = unsafe { entry.expect("non-NULL")(&abi::HOST) };
    if table.is_null() {
        return close(Error::invalid_argument(format!(
            "the driver in {path:?} refused to load: its {} returned NULL (built for a newer keel?)",
            abi::KEEL_DRIVER_ENTRY
        )));
    }
    // SAFETY: the table the driver returned (the header's contract).
    match unsafe { register(table) } {
        Ok(()) => Ok(()),
        Err(e) => close(e.context(format!("driver library {path:?}"))),
    }
}
