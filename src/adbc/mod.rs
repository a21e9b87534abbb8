//! keel as an ADBC 1.1 driver: the `adbc_core` traits over keel's own
//! pool, connections, statements, catalog and Arrow stream, exported to C
//! by `adbc_ffi` as `AdbcKeelInit` (and the fallback `AdbcDriverInit`), so
//! that any ADBC driver manager can load libkeel; with ADBC 1.0.0, as a
//! 1.0 driver. `export` has the entry points: adbc_ffi's driver table
//! with keel's functions where adbc_ffi falls short of adbc.h
//! (`rows_affected` of a query, `ErrorFromArrayStream`, unknown GetInfo
//! codes and GetObjects depths, the 1.0 driver).
//!
//! These symbols are ADBC's C API, not keel's: they are not declared in
//! `include/keel.h`, and the panic boundary around the trait methods is
//! `adbc_ffi`'s.
//!
//! # Mapping
//!
//! - Database: options `uri` (a keel URL) and any keel option
//!   (`keel_db_open_options` names: pool, engine and `arrow_batch_rows`
//!   options), all before `AdbcDatabaseInit`, which opens the pool.
//!   `username`/`password` are not options: they belong in the URL.
//! - Connection: one connection checked out of that pool for the life of
//!   the ADBC connection. Autocommit is on at first;
//!   `adbc.connection.autocommit=false` makes keel begin a transaction
//!   before the next statement runs (with the isolation level and
//!   read-only flag set then), which `commit`/`rollback` end.
//! - Statement: keel's prepared statement (`?` or the engine's own
//!   placeholders); bound Arrow parameters run the statement once per row.
//! - Results: keel's Arrow stream (`codec::arrow`), which keeps the
//!   connection's session until it is released.
//! - Catalog calls: keel's catalog (`core::catalog`), one query per level.
//! - Ingest: the table created from the Arrow schema where the mode asks,
//!   then the rows through keel's own ingest (`ingest`).

mod connection;
mod export;
mod ingest;
mod objects;
mod params;
mod statement;

use crate::assemble::registry;
use crate::core::db::Db;
use crate::core::options::POOL_OPTIONS;
use adbc_core::error::{Error as AdbcError, Result as AdbcResult, Status as AdbcStatus};
use adbc_core::options::{OptionConnection, OptionDatabase, OptionValue};
use adbc_core::{Driver, Optionable};
use std::os::raw::c_char;

pub use connection::KeelConnection;
pub use statement::KeelStatement;

// The entry points (`AdbcKeelInit`, `AdbcDriverInit`) are in `export`:
// adbc_ffi's `export_driver!` with keel's functions in a few slots.

/// ADBC 1.1's `ADBC_ERROR_VENDOR_CODE_PRIVATE_DATA`: the `vendor_code` of
/// an error that carries details, which a driver manager reads only then.
const VENDOR_CODE_PRIVATE_DATA: i32 = i32::MIN;

/// keel's error as ADBC's: the status, the message (with its SQLSTATE),
/// the SQLSTATE, and ADBC 1.1 error details (`AdbcErrorGetDetail`):
/// `keel.vendor_code` (the engine's error number, decimal text, when it
/// has one), `keel.driver` (which driver raised it: `postgres`, ...,
/// `keel`), `keel.status` (keel's status text, as `keel_status_str`
/// gives it) and `keel.retry` (whether
/// the statement can have run: `unknown`, `not_sent`, `may_have_run`,
/// `not_committed`). As ADBC 1.1 asks of an error with details, its
/// `vendor_code` is `ADBC_ERROR_VENDOR_CODE_PRIVATE_DATA` (INT32_MIN), so
/// the engine's number is read from the detail.
impl From<crate::Error> for AdbcError {
    fn from(e: crate::Error) -> AdbcError {
        to_adbc(e)
    }
}

pub(crate) fn to_adbc(e: crate::Error) -> AdbcError {
    use crate::core::error::Status as K;
    let status = match e.status {
        K::Ok | K::Unknown | K::Busy => AdbcStatus::Unknown,
        K::NotImplemented => AdbcStatus::NotImplemented,
        K::NotFound => AdbcStatus::NotFound,
        K::AlreadyExists => AdbcStatus::AlreadyExists,
        K::InvalidArgument | K::NullArgument => AdbcStatus::InvalidArguments,
        K::InvalidState => AdbcStatus::InvalidState,
        K::InvalidData => AdbcStatus::InvalidData,
        K::Integrity => AdbcStatus::Integrity,
        K::Internal | K::Panic => AdbcStatus::Internal,
        K::Io => AdbcStatus::IO,
        K::Cancelled => AdbcStatus::Cancelled,
        K::Timeout => AdbcStatus::Timeout,
        K::Unauthenticated => AdbcStatus::Unauthenticated,
        K::Unauthorized => AdbcStatus::Unauthorized,
    };
    let mut sqlstate = [0 as c_char; 5];
    if e.sqlstate.len() == 5 {
        for (slot, b) in sqlstate.iter_mut().zip(e.sqlstate.bytes()) {
            *slot = b as c_char;
        }
    }
    use crate::core::error::RetrySafety as R;
    let retry = match e.retry {
        R::Unknown => "unknown",
        R::NotSent => "not_sent",
        R::MayHaveRun => "may_have_run",
        R::NotCommitted => "not_committed",
    };
    let mut details = Vec::with_capacity(4);
    if e.vendor_code != 0 {
        details.push(("keel.vendor_code".to_owned(), e.vendor_code.to_string().into_bytes()));
    }
    details.push(("keel.driver".to_owned(), e.driver.as_bytes().to_vec()));
    details.push(("keel.status".to_owned(), e.status.as_str().as_bytes().to_vec()));
    details.push(("keel.retry".to_owned(), retry.as_bytes().to_vec()));
    let mut error = plain(status, e.to_string());
    error.sqlstate = sqlstate;
    error.vendor_code = VENDOR_CODE_PRIVATE_DATA;
    error.details = Some(details);
    error
}

/// An error of keel's ADBC layer itself, with `status` and `message`, and
/// the details and SQLSTATE an engine's error has (see `to_adbc`):
/// `keel.driver` is `keel`, `keel.retry` `unknown`, and the SQLSTATE is
/// SQL/CLI's for the kind of mistake (`HYC00` optional feature not
/// implemented, `HY010` function sequence error, `HY024` invalid
/// attribute value, `HY000` general error, `22000` data exception; none
/// for the others).
pub(crate) fn err(status: AdbcStatus, message: impl Into<String>) -> AdbcError {
    use crate::core::error::Status as K;
    let (kind, sqlstate) = match status {
        AdbcStatus::NotImplemented => (K::NotImplemented, "HYC00"),
        AdbcStatus::InvalidState => (K::InvalidState, "HY010"),
        AdbcStatus::InvalidArguments => (K::InvalidArgument, "HY024"),
        AdbcStatus::InvalidData => (K::InvalidData, "22000"),
        AdbcStatus::Internal => (K::Internal, "HY000"),
        AdbcStatus::NotFound => (K::NotFound, ""),
        AdbcStatus::AlreadyExists => (K::AlreadyExists, ""),
        AdbcStatus::Integrity => (K::Integrity, ""),
        AdbcStatus::IO => (K::Io, ""),
        AdbcStatus::Cancelled => (K::Cancelled, ""),
        AdbcStatus::Timeout => (K::Timeout, ""),
        AdbcStatus::Unauthenticated => (K::Unauthenticated, ""),
        AdbcStatus::Unauthorized => (K::Unauthorized, ""),
        _ => (K::Unknown, ""),
    };
    let mut e = to_adbc(crate::Error::new(kind, message));
    // The status as asked (keel's has no twin of every ADBC status), and
    // the SQLSTATE in its field only (not appended to the message).
    e.status = status;
    with_sqlstate(e, sqlstate)
}

/// `e` with the SQLSTATE `sqlstate` (five characters; otherwise none).
pub(crate) fn with_sqlstate(mut e: AdbcError, sqlstate: &str) -> AdbcError {
    e.sqlstate = [0; 5];
    if sqlstate.len() == 5 {
        for (slot, b) in e.sqlstate.iter_mut().zip(sqlstate.bytes()) {
            *slot = b as c_char;
        }
    }
    e
}

/// An ADBC error with `status` and `message` alone (NUL bytes, which a C
/// string cannot hold, become `?`).
fn plain(status: AdbcStatus, message: impl Into<String>) -> AdbcError {
    let mut message = format!("keel: {}", message.into());
    if message.contains('\0') {
        message = message.replace('\0', "?");
    }
    AdbcError::with_message_and_status(message, status)
}

pub(crate) fn not_implemented(message: impl Into<String>) -> AdbcError {
    err(AdbcStatus::NotImplemented, message)
}

/// An option's value as text: strings as they are, numbers written out.
pub(crate) fn option_text(key: &str, value: OptionValue) -> AdbcResult<String> {
    match value {
        OptionValue::String(s) => Ok(s),
        OptionValue::Int(i) => Ok(i.to_string()),
        OptionValue::Double(d) => Ok(d.to_string()),
        OptionValue::Bytes(_) => Err(err(AdbcStatus::InvalidArguments, format!("option {key}: bytes are not accepted, only text"))),
        _ => Err(err(AdbcStatus::InvalidArguments, format!("option {key}: unsupported value kind"))),
    }
}

/// The driver `AdbcKeelInit` exports.
#[derive(Default)]
pub struct KeelDriver;

impl Driver for KeelDriver {
    type DatabaseType = KeelDatabase;

    fn new_database(&mut self) -> AdbcResult<KeelDatabase> {
        Err(err(AdbcStatus::InvalidState, "the database needs the option uri (a keel URL) before it is initialized"))
    }

    fn new_database_with_opts(
        &mut self,
        opts: impl IntoIterator<Item = (OptionDatabase, OptionValue)>,
    ) -> AdbcResult<KeelDatabase> {
        let mut uri = None;
        let mut options = Vec::new();
        for (k, v) in opts {
            match k {
                OptionDatabase::Uri => uri = Some(option_text("uri", v)?),
                OptionDatabase::Username | OptionDatabase::Password => {
                    return Err(not_implemented(format!(
                        "option {}: keel takes the user and password in the uri",
                        k.as_ref()
                    )));
                }
                other => {
                    let key = other.as_ref().to_owned();
                    if !is_keel_option(&key) {
                        return Err(not_implemented(format!("unknown database option {key:?}")));
                    }
                    let text = option_text(&key, v)?;
                    options.push((key, text));
                }
            }
        }
        let Some(uri) = uri else {
            return Err(err(AdbcStatus::InvalidArguments, "the database needs the option uri (a keel URL)"));
        };
        options.sort();
        let db = Db::open_in(registry(), &uri, &options).map_err(to_adbc)?;
        Ok(KeelDatabase { db, options })
    }
}

/// Whether some engine (or the pool) of keel knows the option `key`.
fn is_keel_option(key: &str) -> bool {
    POOL_OPTIONS.iter().any(|s| s.key == key) || registry().drivers().iter().any(|d| d.options().iter().any(|s| s.key == key))
}

/// An ADBC database: a keel pool.
pub struct KeelDatabase {
    db: Db,
    /// The keel options it was opened with, to read back.
    options: Vec<(String, String)>,
}

impl Optionable for KeelDatabase {
    type Option = OptionDatabase;

    fn set_option(&mut self, key: OptionDatabase, _value: OptionValue) -> AdbcResult<()> {
        Err(not_implemented(format!(
            "option {:?}: keel takes database options only before AdbcDatabaseInit",
            key.as_ref()
        )))
    }

    fn get_option_string(&self, key: OptionDatabase) -> AdbcResult<String> {
        match self.options.iter().find(|(k, _)| k == key.as_ref()) {
            Some((_, v)) => Ok(v.clone()),
            // The URI may hold a password: it is not handed back.
            None => Err(err(AdbcStatus::NotFound, format!("database option {:?} is not set or not readable", key.as_ref()))),
        }
    }

    fn get_option_bytes(&self, key: OptionDatabase) -> AdbcResult<Vec<u8>> {
        Err(err(AdbcStatus::NotFound, format!("database option {:?} has no bytes value", key.as_ref())))
    }

    fn get_option_int(&self, key: OptionDatabase) -> AdbcResult<i64> {
        let v = self.get_option_string(key.clone())?;
        v.parse().map_err(|_| err(AdbcStatus::NotFound, format!("database option {:?} is not an integer", key.as_ref())))
    }

    fn get_option_double(&self, key: OptionDatabase) -> AdbcResult<f64> {
        Err(err(AdbcStatus::NotFound, format!("database option {:?} has no double value", key.as_ref())))
    }
}

impl adbc_core::Database for KeelDatabase {
    type ConnectionType = KeelConnection;

    fn new_connection(&self) -> AdbcResult<KeelConnection> {
        KeelConnection::new(&self.db)
    }

    fn new_connection_with_opts(
        &self,
        opts: impl IntoIterator<Item = (OptionConnection, OptionValue)>,
    ) -> AdbcResult<KeelConnection> {
        let mut c = KeelConnection::new(&self.db)?;
        // Autocommit first: isolation and read-only need it off.
        let mut opts: Vec<_> = opts.into_iter().collect();
        opts.sort_by_key(|(k, _)| *k != OptionConnection::AutoCommit);
        for (k, v) in opts {
            c.set_option(k, v)?;
        }
        Ok(c)
    }
}
