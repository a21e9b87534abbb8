//! Library version and driver availability.

use super::boundary::c_str;
use std::ffi::c_char;

const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(c) => c,
    Err(_) => panic!("version holds a NUL"),
};

const fn parse_u32(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v = 0u32;
    while i < b.len() {
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    v
}

/// `X*1000000 + Y*1000 + Z` for version X.Y.Z, as `KEEL_VERSION_NUMBER`.
pub const VERSION_NUMBER: u32 = parse_u32(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
    + parse_u32(env!("CARGO_PKG_VERSION_MINOR")) * 1_000
    + parse_u32(env!("CARGO_PKG_VERSION_PATCH"));

/// Return the library's version as text, e.g. `"0.1.0"`.
///
/// Ownership: the string is static.
///
/// Lifetime: valid for the life of the process.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_version() -> *const c_char {
    VERSION.as_ptr()
}

/// Return the library's version as `X*1000000 + Y*1000 + Z`; compare it
/// with `KEEL_VERSION_NUMBER` from the header you compiled against.
///
/// Ownership: nothing to own.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_version_number() -> u32 {
    VERSION_NUMBER
}

/// Return whether a driver named `name` (`"sqlite"`, `"postgres"`,
/// `"mysql"`, `"mssql"`, or a URL scheme such as `"postgresql"`) is
/// registered: the four built into this library are.
///
/// Ownership: `name` is borrowed for the call.
///
/// Errors: returns false when `name` is NULL or not UTF-8.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_driver_available(name: *const c_char) -> bool {
    std::panic::catch_unwind(|| c_str(name, "name").map(|n| crate::assemble::registry().available(n)).unwrap_or(false)).unwrap_or(false)
}

