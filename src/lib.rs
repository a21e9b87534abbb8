//! keel: one database driver runtime with a C ABI.
//!
//! Layers, top to bottom: [`ffi`] (the C boundary; the only place with
//! `extern "C"`), [`core`] (engine-agnostic runtime: pool, connections,
//! statements, cursors, values, errors, URL and option parsing), and
//! [`drivers`] (one module per engine, reached only through the traits in
//! [`core::driver`]).

pub mod assemble;
pub mod codec;
pub mod core;
pub mod drivers;
pub mod ffi;

pub use crate::assemble::registry;
pub use crate::core::db::{Conn, Db, Rows, Stmt};
pub use crate::core::driver::{ExecResult, Isolation, TxLock, TxOptions};
pub use crate::ffi::types::Dialect;
pub use crate::core::error::{Error, Result, RetrySafety, Status};
pub use crate::core::value::{Column, Nullable, Type, Value, ValueRef};
