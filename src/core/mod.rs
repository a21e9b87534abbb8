//! The engine-agnostic core: values, errors, URL and option parsing, the
//! driver traits and the registry drivers register into, the one SQL lexer
//! driven by each driver's `Syntax`, the row-encoder seam batch formats
//! plug into, and the pool/connection/statement/cursor runtime. Safe Rust
//! only; it never sees a raw pointer, and it names no engine (nothing here
//! refers to `crate::drivers`; see the crate docs for the layers).

pub mod catalog;
pub mod db;
pub mod driver;
pub mod encode;
pub mod error;
pub mod fork;
pub mod ingest;
pub mod many;
pub mod options;
pub mod pool;
pub mod registry;
pub mod sql;
pub mod url;
pub mod value;
