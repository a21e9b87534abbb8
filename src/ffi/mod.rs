//! The C ABI (the user side; the driver side is `crate::ext::abi`): with
//! it, the only place with `extern "C"`. Each file owns one handle
//! type; every body is "check arguments → call core → convert result",
//! inside the panic boundary of [`boundary`].

#![allow(non_camel_case_types)]

pub mod arrow;
pub mod batch;
pub mod boundary;
pub mod cancel;
pub mod catalog;
pub mod conn;
pub mod db;
pub mod driver;
pub mod error;
pub mod rows;
pub mod stmt;
pub mod types;
pub mod version;

pub use boundary::force_panic_in_next_call;
