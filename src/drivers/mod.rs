//! The engine registry: URL scheme → driver. Each engine lives in its own
//! module and is the only place that names it.

use crate::core::driver::Driver;
use crate::core::error::{Error, Result, Status};

mod cursor_slot;
pub mod mssql;
mod net;
pub mod tls;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// Every engine compiled into this library.
pub fn all() -> &'static [&'static dyn Driver] {
    static ALL: [&'static dyn Driver; 4] = [&sqlite::SQLITE, &postgres::POSTGRES, &mysql::MYSQL, &mssql::MSSQL];
    &ALL
}

/// Engines keel knows of, compiled in or not, with the schemes that name them.
const KNOWN: &[(&str, &[&str])] = &[
    ("sqlite", &["sqlite", "sqlite3", "file"]),
    ("postgres", &["postgres", "postgresql"]),
    ("mysql", &["mysql", "mariadb"]),
    ("mssql", &["mssql", "sqlserver"]),
];

/// The driver for a URL scheme.
pub fn find(scheme: &str) -> Result<&'static dyn Driver> {
    if let Some(d) = all().iter().find(|d| d.schemes().contains(&scheme)) {
        return Ok(*d);
    }
    if let Some((name, _)) = KNOWN.iter().find(|(_, s)| s.contains(&scheme)) {
        return Err(Error::new(
            Status::NotImplemented,
            format!("the {name} driver is not built into this version of keel"),
        ));
    }
    let names: Vec<&str> = all().iter().flat_map(|d| d.schemes().iter().copied()).collect();
    Err(Error::new(
        Status::NotFound,
        format!("no driver for URL scheme '{scheme}' (available: {})", names.join(", ")),
    ))
}

/// Whether a driver (by name or scheme) is compiled in.
pub fn available(name: &str) -> bool {
    all().iter().any(|d| d.name() == name || d.schemes().contains(&name))
}
