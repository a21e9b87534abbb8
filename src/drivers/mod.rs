//! The engines built into keel, one module each (the only place that names
//! it), and their registration into the core's registry.

use crate::core::driver::Driver;
// For `options.rs` and the engine option tables it lists, which name
// these through `super` so that build.rs can read them too.
use crate::core::options::{OptKind, OptSpec};
use crate::core::registry::Registry;
use std::sync::Arc;

mod cursor_slot;
mod hosts;
pub mod mssql;
mod net;
pub mod options;
pub mod tls;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// Register the engines compiled into this library (`crate::assemble`
/// calls this once, for the process's registry).
pub fn register_builtins(r: &Registry) {
    let builtins: [Arc<dyn Driver>; 4] =
        [Arc::new(sqlite::SqliteDriver), Arc::new(postgres::PostgresDriver), Arc::new(mysql::MysqlDriver), Arc::new(mssql::MssqlDriver)];
    for d in builtins {
        r.register(d).expect("the built-in drivers have names and schemes of their own");
    }
}
