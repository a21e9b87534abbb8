//! Bulk ingest on MariaDB by `COM_STMT_BULK_EXECUTE` (MariaDB 10.2 and
//! later): one prepared single-row INSERT, run for a whole record batch
//! of parameter rows in one command, as libmariadb's array binding
//! (`STMT_ATTR_ARRAY_SIZE`) does. The server reads binary values there,
//! where `LOAD DATA` has it parse text, which MariaDB does more slowly
//! (`bench/ingest_bench.c` measured 1.35 times libmariadb's array bind
//! for LOAD DATA). The mysql crate's `exec_batch` speaks the command to a
//! MariaDB server that offers it.

use super::session::Shared;
use super::types::to_mysql;
use crate::core::error::{Error, Result};
use crate::core::ingest::RowSource;
use crate::core::value::Type as K;
use mysql::prelude::Queryable;
use mysql::Value as MV;

/// Most rows in one command: a record batch of more goes as several, so
/// that the buffers a command needs stay small enough to be reused.
const COMMAND_ROWS: usize = 10_000;

/// Whether a server of `version` (as `SELECT VERSION()` gives it) runs
/// `COM_STMT_BULK_EXECUTE`: MariaDB from 10.2.
pub(super) fn speaks_bulk(version: &str) -> bool {
    if !version.contains("MariaDB") {
        return false;
    }
    // A MariaDB 10 server behind a MySQL-5.5-speaking handshake says
    // "5.5.5-10.x.y-MariaDB": the real version follows the prefix.
    let v = version.strip_prefix("5.5.5-").unwrap_or(version);
    let mut parts = v.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (10, 2)
}

/// INSERT every row of `src` into `table` (`columns`, names as the SQL
/// writes them) by `COM_STMT_BULK_EXECUTE`, [`COMMAND_ROWS`] rows a
/// command (fewer where one would pass `max_bytes`); returns the rows
/// inserted. Runs inside the ingest's transaction, which a failure rolls
/// back. (Running the commands on a helper thread while this one makes
/// the next measured slower on two cores: the server, the helper and this
/// thread then share them.)
pub(super) fn insert(shared: &Shared, table: &str, columns: &[String], max_bytes: usize, src: &mut dyn RowSource) -> Result<u64> {
    let marks = vec!["?"; columns.len()].join(", ");
    let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", columns.join(", "));
    let stmt = shared.check_as(false, shared.conn()?.prep(&sql))?;
    // Values of one column must travel as one type in a bulk command
    // (the server refuses a batch that mixes them); a column's keel type
    // fixes its value's type (`to_mysql`), except for NULLs, which the
    // command marks row by row.
    let kinds: Vec<K> = src.columns().iter().map(|c| c.kind).collect();
    let mut rows: Vec<Vec<MV>> = Vec::with_capacity(COMMAND_ROWS);
    let mut bytes = 0usize;
    let mut loaded = 0u64;
    while src
        .next_rows(&mut |row| {
            let mut values = Vec::with_capacity(row.len());
            let mut row_bytes = 0;
            for (i, v) in row.iter().enumerate() {
                if !v.is_null() && v.kind() != kinds[i] {
                    return Err(Error::invalid_data(format!(
                        "column {i} ({:?}): a {} value in a column of {}",
                        columns[i],
                        v.kind().name(),
                        kinds[i].name()
                    )));
                }
                let m = to_mysql(*v).map_err(|e| e.context(format_args!("column {i} ({:?})", columns[i])))?;
                row_bytes += value_bytes(&m);
                values.push(m);
            }
            // A full command goes between rows (the source reads nothing
            // while it gives rows, `RowSource`).
            if !rows.is_empty() && (bytes + row_bytes > max_bytes || rows.len() >= COMMAND_ROWS) {
                loaded += run(shared, &stmt, &mut rows)?;
                bytes = 0;
            }
            bytes += row_bytes;
            rows.push(values);
            Ok(())
        })?
        .is_some()
    {}
    if !rows.is_empty() {
        loaded += run(shared, &stmt, &mut rows)?;
    }
    Ok(loaded)
}

/// Run one bulk command of `rows`, which it empties; the rows it
/// inserted.
fn run(shared: &Shared, stmt: &mysql::Statement, rows: &mut Vec<Vec<MV>>) -> Result<u64> {
    let n = rows.len() as u64;
    let c = shared.conn()?;
    shared.check(c.exec_batch(stmt, rows.drain(..)))?;
    // One command, whose OK packet counts its rows (a plain INSERT either
    // inserts a row or fails).
    let done = c.affected_rows();
    if done != n {
        return Err(Error::new(
            crate::core::error::Status::Internal,
            format!("MariaDB's bulk INSERT reported {done} rows for the {n} it was sent"),
        )
        .with_driver("mysql"));
    }
    // Outside strict mode the server adjusts a value that does not fit,
    // with a warning; keel refuses it, as for LOAD DATA.
    super::load::refuse_warnings(shared, c, "MariaDB's bulk INSERT")?;
    Ok(n)
}

/// About the bytes `v` takes in a bulk command (its value, its length
/// prefix and its indicator byte).
fn value_bytes(v: &MV) -> usize {
    match v {
        MV::Bytes(b) => b.len() + 10,
        _ => 13,
    }
}

#[cfg(test)]
mod tests {
    use super::speaks_bulk;

    #[test]
    fn bulk_needs_mariadb_10_2() {
        assert!(speaks_bulk("10.11.6-MariaDB-0+deb12u1"));
        assert!(speaks_bulk("5.5.5-10.3.39-MariaDB"));
        assert!(speaks_bulk("11.4.2-MariaDB"));
        assert!(!speaks_bulk("10.1.48-MariaDB"));
        assert!(!speaks_bulk("8.0.36"));
        assert!(!speaks_bulk("8.4.0-MySQL"));
    }
}
