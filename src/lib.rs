//! keel: one database driver runtime with a C ABI.
//!
//! # Layers
//!
//! Dependencies point one way: `ffi → assemble → core ← drivers`,
//! `ffi → codec → core`, and `ffi → ext → core` (ext uses ffi's C error and
//! value types). `grep -rn "drivers::" src/core` prints nothing.
//!
//! - [`ffi`]: the C boundary, and with `ext::abi` (the driver side) the
//!   only place with `extern "C"`. Each
//!   file owns one handle type; every body is "check arguments → call core
//!   → convert the result", inside the panic boundary. It owns what exists
//!   only for C: the `#[repr(C)]` structs and their size rule
//!   (`ffi::types`, `keel_pool_stats`), NUL-terminated strings, the
//!   `keel_dialect` enum (`ffi::types::Dialect`), batch format numbers.
//! - [`adbc`]: keel as an ADBC 1.1 driver (`AdbcKeelInit`), exported by
//!   the `adbc_ffi` crate's macro rather than by `src/ffi`, so that its
//!   symbols stay out of `include/keel.h`. It uses the core's public API,
//!   the catalog and the Arrow codec, as any Rust caller would.
//! - [`assemble`]: the composition root. It builds the process's driver
//!   registry from the built-in drivers and gives `Db::open` that
//!   registry; it is the only module that names both `core` and
//!   `drivers`.
//! - [`codec`]: wire formats for batches of rows (pickle, Python's), each
//!   an encoder and decoder behind the core's row-encoder seam
//!   ([`core::encode`]).
//! - [`core`]: the engine-agnostic runtime: the pool, connections,
//!   statements, cursors and transactions ([`core::db`], [`core::pool`]),
//!   batches and multi-row INSERTs ([`core::many`]), the one SQL lexer
//!   ([`core::sql`], driven by each driver's [`core::sql::Syntax`]),
//!   values, errors, URL and option parsing, the driver traits
//!   ([`core::driver`]) and the runtime registry drivers register into
//!   ([`core::registry`]), fork detection ([`core::fork`]). Safe Rust
//!   only; it names no engine.
//! - [`drivers`]: one folder per engine (`session`, `statement`, `rows`,
//!   `types`, `errors`, and the wire or TLS parts a network engine needs),
//!   each implementing the traits of [`core::driver`] and describing its
//!   SQL in a `Syntax`; `drivers::register_builtins` puts them in a
//!   registry. Shared network pieces: `drivers::tls`, `drivers::net`.
//! - [`ext`]: drivers written outside Rust: the driver-side C ABI
//!   (`include/keel_driver.h`, from `ext::abi`) and the adapter that puts
//!   a foreign driver's table behind the traits of [`core::driver`],
//!   checking each of its answers; `ffi::driver` registers one
//!   (`keel_driver_register`, `keel_driver_load`) into the registry of
//!   [`assemble`].
//!
//! # Threads, for Rust callers
//!
//! The Rust API keeps the C API's thread contract in its types: a [`Conn`]
//! and the statements and cursors made from it may move between threads,
//! and every call into a session's driver objects holds that session's
//! lock, so safe Rust cannot run two calls on one session at once (see
//! `core::db`, "Threads", and the promise to drivers in [`core::driver`]).

pub mod adbc;
pub mod assemble;
pub mod codec;
pub mod core;
pub mod drivers;
pub mod ext;
pub mod ffi;

pub use crate::assemble::registry;
pub use crate::core::db::{Conn, Db, Rows, Stmt};
pub use crate::core::driver::{ExecResult, Isolation, TxLock, TxOptions};
pub use crate::ffi::types::Dialect;
pub use crate::core::error::{Error, Result, RetrySafety, Status};
pub use crate::core::value::{Column, Nullable, Type, Value, ValueRef};
