//! MariaDB's `COM_STMT_BULK_EXECUTE` (MariaDB 10.2 and later): one
//! prepared statement run for many rows of parameters in one command, as
//! libmariadb's array binding (`STMT_ATTR_ARRAY_SIZE`) does.
//!
//! - Ingest ([`insert`]): one prepared single-row INSERT for the stream's
//!   rows. The server reads binary values there, where `LOAD DATA` has it
//!   parse text, which MariaDB does more slowly (`bench/ingest_bench.c`
//!   measured 1.35 times libmariadb's array bind for LOAD DATA). keel
//!   writes these commands itself, straight from the record batches, and
//!   overlaps building one with the server running the last.
//! - Batches of UPDATE, DELETE and INSERTs that are not plain
//!   ([`pipeline`], keel's pipeline for MariaDB): one command per chunk
//!   instead of one round trip per row. The command says only that it
//!   failed, not at which row, and the rows before that row may have run:
//!   so a chunk runs inside a savepoint (or a transaction of its own), and
//!   when it fails on its data, that is rolled back and the chunk's rows
//!   run again one by one, which stops at the failing row with its own
//!   error, as row by row. That is why only statements whose target is a
//!   table of a transactional engine qualify ([`dml_target`]). These go
//!   by the mysql crate's `exec_batch`, which speaks the command to a
//!   MariaDB server that offers it.

use super::session::{Shared, drain};
use super::statement::{MyStmt, insert_id};
use super::types::{bulk_type, to_mysql, write_bulk_value};
use crate::core::driver::{ExecResult, PipelineError};
use crate::core::error::{Error, Result};
use crate::core::ingest::RowSource;
use crate::core::sql::{Kind, significant, tokens};
use crate::core::value::{Type as K, ValueRef};
use mysql::consts::{Command as MyCommand, MariadbBulkIndicator, StmtBulkExecuteFlags};
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
/// back.
///
/// keel writes the command itself ([`Command`]), each value straight from
/// the source into the command's bytes, and builds the next command while
/// the server runs the one it sent: it reads that one's answer only when
/// the next is ready to go (the patched crate's `keel_send_command` and
/// `keel_read_result`, vendor/mysql). So the client's work hides behind
/// the server's, where libmariadb's array binding does the two in turn.
pub(super) fn insert(shared: &Shared, table: &str, columns: &[String], max_bytes: usize, src: &mut dyn RowSource) -> Result<u64> {
    let marks = vec!["?"; columns.len()].join(", ");
    let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", columns.join(", "));
    let stmt = shared.check_as(false, shared.conn()?.prep(&sql))?;
    // Values of one column travel as one type in a bulk command (the
    // server refuses a batch that mixes them): the column's keel type
    // fixes it (`bulk_type`); a NULL is marked as such, row by row.
    let kinds: Vec<K> = src.columns().iter().map(|c| c.kind).collect();
    let mut pipe = Pipe { shared, sent: None, loaded: 0 };
    let mut cmd = Command::new(stmt.id(), &kinds);
    // A command's error is about its rows, not about the row whose turn
    // sent it (which the source would name): kept here, the source given
    // a stand-in to stop on.
    let mut failed: Option<Error> = None;
    let stop = || Error::new(crate::core::error::Status::Internal, "the bulk command failed");
    let mut text = String::new();
    let read = loop {
        let more = src.next_rows(&mut |row| {
            if cmd.rows >= COMMAND_ROWS {
                if let Err(e) = pipe.send(&mut cmd) {
                    failed = Some(e);
                    return Err(stop());
                }
            }
            let start = cmd.bytes.len();
            if let Err(e) = cmd.push_row(row, &kinds, columns, &mut text) {
                cmd.bytes.truncate(start);
                return Err(e);
            }
            // Past `max_bytes`, the rows before this one go as a command
            // and this one starts the next (one row alone may pass it: the
            // server says whether it fits its max_allowed_packet).
            if cmd.bytes.len() > max_bytes && cmd.rows > 1 {
                let this = cmd.bytes.split_off(start);
                cmd.rows -= 1;
                if let Err(e) = pipe.send(&mut cmd) {
                    failed = Some(e);
                    return Err(stop());
                }
                cmd.bytes.extend_from_slice(&this);
                cmd.rows = 1;
            }
            Ok(())
        });
        match more {
            Ok(Some(_)) => {}
            Ok(None) => break Ok(()),
            Err(e) => break Err(failed.take().unwrap_or(e)),
        }
    };
    // The command in flight is answered before anything else is said on
    // the connection, whatever happened since it went; its error comes
    // first (its rows came before any the source failed on).
    let last = read.and_then(|()| if cmd.rows > 0 { pipe.send(&mut cmd) } else { Ok(()) });
    pipe.finish()?;
    last?;
    Ok(pipe.loaded)
}

/// One `COM_STMT_BULK_EXECUTE` being written: its bytes (the header and
/// the parameters' types, then each row's values, each after its
/// indicator byte) and its rows.
struct Command {
    bytes: Vec<u8>,
    /// Bytes of the header and types, which every command of the
    /// statement repeats.
    head: usize,
    rows: usize,
}

impl Command {
    fn new(stmt_id: u32, kinds: &[K]) -> Command {
        let mut bytes = Vec::with_capacity(1 << 20);
        bytes.push(MyCommand::COM_STMT_BULK_EXECUTE as u8);
        bytes.extend_from_slice(&stmt_id.to_le_bytes());
        bytes.extend_from_slice(&StmtBulkExecuteFlags::SEND_TYPES_TO_SERVER.bits().to_le_bytes());
        for &k in kinds {
            let (t, flags) = bulk_type(k);
            bytes.extend_from_slice(&[t as u8, flags.bits()]);
        }
        let head = bytes.len();
        Command { bytes, head, rows: 0 }
    }

    /// Append `row`, refusing a value of another type than its column's
    /// (named with the column); on an error, bytes of the row may stay.
    fn push_row(&mut self, row: &[ValueRef<'_>], kinds: &[K], columns: &[String], text: &mut String) -> Result<()> {
        for (i, v) in row.iter().enumerate() {
            if v.is_null() {
                self.bytes.push(MariadbBulkIndicator::BULK_INDICATOR_NULL as u8);
                continue;
            }
            if v.kind() != kinds[i] {
                return Err(Error::invalid_data(format!(
                    "column {i} ({:?}): a {} value in a column of {}",
                    columns[i],
                    v.kind().name(),
                    kinds[i].name()
                )));
            }
            self.bytes.push(MariadbBulkIndicator::BULK_INDICATOR_NONE as u8);
            write_bulk_value(*v, text, &mut self.bytes).map_err(|e| e.context(format_args!("column {i} ({:?})", columns[i])))?;
        }
        self.rows += 1;
        Ok(())
    }
}

/// `e`, about the `n` rows from row `first` that went as one command.
fn about_rows(e: Error, first: u64, n: u64) -> Error {
    e.context(format_args!("rows {first} to {}, sent as one bulk command", first + n - 1))
}

/// The commands of one ingest on the connection: at most one sent and
/// not yet answered.
struct Pipe<'a> {
    shared: &'a Shared,
    /// The command in flight: its first row and its rows.
    sent: Option<(u64, u64)>,
    /// Rows the answered commands inserted.
    loaded: u64,
}

impl Pipe<'_> {
    /// Read the answer to the command in flight, then send `cmd`, which
    /// is left empty (its header kept) for the next rows.
    fn send(&mut self, cmd: &mut Command) -> Result<()> {
        self.finish()?;
        let first = self.loaded;
        let rows = cmd.rows as u64;
        let c = self.shared.conn()?;
        self.shared.check(c.keel_send_command(&cmd.bytes)).map_err(|e| about_rows(e, first, rows))?;
        self.sent = Some((first, rows));
        cmd.bytes.truncate(cmd.head);
        cmd.rows = 0;
        Ok(())
    }

    /// Read the answer to the command in flight, if one is.
    fn finish(&mut self) -> Result<()> {
        let Some((first, n)) = self.sent.take() else { return Ok(()) };
        let context = |e: Error| about_rows(e, first, n);
        let c = self.shared.conn()?;
        self.shared.check(c.keel_read_result()).map_err(context)?;
        // One command, whose OK packet counts its rows (a plain INSERT
        // either inserts a row or fails).
        let done = c.affected_rows();
        if done != n {
            return Err(Error::new(
                crate::core::error::Status::Internal,
                format!("MariaDB's bulk INSERT reported {done} rows for the {n} it was sent"),
            )
            .with_driver("mysql"));
        }
        // Outside strict mode the server adjusts a value that does not
        // fit, with a warning; keel refuses it, as for LOAD DATA.
        super::load::refuse_warnings(self.shared, c, "MariaDB's bulk INSERT").map_err(context)?;
        self.loaded += n;
        Ok(())
    }
}

/// One row's values as the crate's parameters, moved as they are: the
/// crate's `From<Vec<Value>>` copies them into a new vector grown one
/// value at a time, three allocations a row that measured about a tenth
/// of a bulk INSERT's client time.
fn params(values: Vec<MV>) -> mysql::Params {
    if values.is_empty() { mysql::Params::Empty } else { mysql::Params::Positional(values) }
}

/// The table a batch of `sql` writes, as written, when it is one keel may
/// run through the bulk command: `UPDATE [LOW_PRIORITY] [IGNORE] t SET`,
/// `DELETE [LOW_PRIORITY] [QUICK] [IGNORE] FROM t` (not the multi-table
/// forms), `INSERT`/`REPLACE [modifiers] [INTO] t [(columns)] VALUES`
/// or `SET` (plain INSERTs of a transactional table went as multi-row
/// INSERTs before they got here; the server runs no INSERT ... SELECT in
/// bulk).
pub(super) fn dml_target(sql: &str) -> Option<&str> {
    let toks = tokens(sql, &super::SYNTAX);
    let is = |i: usize, w: &str| toks.get(i).is_some_and(|t| t.is_word(sql, w));
    let name = |i: usize| toks.get(i).is_some_and(|t| matches!(t.kind, Kind::Word | Kind::QuotedIdent));
    let dot = |i: usize| toks.get(i).is_some_and(|t| t.kind == Kind::Punct(b'.'));
    let mut i = 1;
    let skip = |i: &mut usize, words: &[&str]| {
        while words.iter().any(|w| is(*i, w)) {
            *i += 1;
        }
    };
    let after: &[&str] = if is(0, "UPDATE") {
        skip(&mut i, &["LOW_PRIORITY", "IGNORE"]);
        &["SET"]
    } else if is(0, "DELETE") {
        skip(&mut i, &["LOW_PRIORITY", "QUICK", "IGNORE"]);
        if !is(i, "FROM") {
            return None;
        }
        i += 1;
        &["WHERE", "ORDER", "LIMIT", ""]
    } else if is(0, "INSERT") || is(0, "REPLACE") {
        skip(&mut i, &["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"]);
        &["VALUES", "VALUE", "SET"]
    } else {
        return None;
    };
    let start = i;
    if !name(i) || after.iter().any(|w| !w.is_empty() && is(i, w)) {
        return None;
    }
    i += 1;
    while dot(i) && name(i + 1) {
        i += 2;
    }
    let end = toks[i - 1].end;
    // MariaDB's bulk command runs INSERT ... VALUES, not INSERT ...
    // SELECT: after a column list comes VALUES.
    if toks.get(i).is_some_and(|t| t.kind == Kind::Punct(b'(')) {
        let mut depth = 0;
        while let Some(t) = toks.get(i) {
            match t.kind {
                Kind::Punct(b'(') => depth += 1,
                Kind::Punct(b')') => depth -= 1,
                _ => {}
            }
            i += 1;
            if depth == 0 {
                break;
            }
        }
        return (is(i, "VALUES") || is(i, "VALUE")).then(|| &sql[toks[start].start..end]);
    }
    let next_ok = match toks.get(i) {
        None => after.contains(&""),
        Some(t) => after.iter().any(|w| !w.is_empty() && t.is_word(sql, w)),
    };
    next_ok.then(|| &sql[toks[start].start..end])
}

/// The values of `rows` (`width` each), converted before anything is
/// sent; `Err((k, error))` for the first row whose value does not convert.
fn convert(rows: &[ValueRef<'_>], width: usize) -> std::result::Result<Vec<Vec<MV>>, (usize, Error)> {
    rows.chunks(width)
        .enumerate()
        .map(|(k, row)| {
            row.iter()
                .enumerate()
                .map(|(i, v)| to_mysql(*v).map_err(|e| e.context(format_args!("parameter {i}"))))
                .collect::<Result<Vec<MV>>>()
                .map_err(|e| (k, e))
        })
        .collect()
}

/// Whether `sets` can go as one command: one type per parameter (the
/// server refuses a command that mixes them, error 1210), and no value
/// past half a packet.
fn fits_one_command(sets: &[Vec<MV>], max_packet: usize) -> bool {
    let width = sets.first().map_or(0, Vec::len);
    let mixed = (0..width).any(|i| {
        let mut kinds = sets.iter().map(|r| &r[i]).filter(|v| !matches!(v, MV::NULL)).map(std::mem::discriminant);
        let first = kinds.next();
        kinds.any(|k| Some(k) != first)
    });
    !mixed && !sets.iter().flatten().any(|v| matches!(v, MV::Bytes(b) if b.len() >= max_packet / 2))
}

/// One chunk of rows run by the bulk command inside a savepoint (in a
/// transaction, or with autocommit off) or a transaction of its own, so
/// that a failure can be undone whole.
struct Chunk<'a> {
    shared: &'a Shared,
    nested: bool,
}

impl<'a> Chunk<'a> {
    fn begin(shared: &'a Shared, c: &mut mysql::Conn) -> Result<Chunk<'a>> {
        let nested = shared.tx.open.load(std::sync::atomic::Ordering::Acquire)
            || shared.tx.autocommit_off.load(std::sync::atomic::Ordering::Acquire);
        let chunk = Chunk { shared, nested };
        shared.run_on(c, if nested { "SAVEPOINT keel_bulk" } else { "START TRANSACTION" })?;
        Ok(chunk)
    }

    /// Run `stmt` for every row of `sets` (the last alone with
    /// `last_alone`, so that the chunk reports that row's insert id, as
    /// row by row: a command reports its first row's).
    fn run(&self, c: &mut mysql::Conn, stmt: &mysql::Statement, mut sets: Vec<Vec<MV>>, last_alone: bool) -> Result<ExecResult> {
        let shared = self.shared;
        let last = if last_alone && sets.len() > 1 { sets.pop() } else { None };
        shared.killer.arm();
        shared.check(c.exec_batch(stmt, sets.into_iter().map(params)))?;
        let mut rows_affected = c.affected_rows();
        if let Some(row) = last {
            shared.check(drain(c.exec_iter(stmt, mysql::Params::Positional(row))).map(drop))?;
            rows_affected += c.affected_rows();
        }
        // The rows ran (a chunk the KILL stopped fails with 1317).
        shared.killer.ran();
        Ok(ExecResult { rows_affected, last_insert_id: insert_id(c) })
    }

    /// Keep the chunk's rows; the error is not a row's.
    fn end(&self, c: &mut mysql::Conn) -> std::result::Result<(), PipelineError> {
        self.shared.run_on(c, if self.nested { "RELEASE SAVEPOINT keel_bulk" } else { "COMMIT" })
            .map_err(|error| PipelineError { row: None, error, rolled_back: !self.nested })
    }

    /// Undo the chunk after `error`; whether its rows are known undone.
    /// A deadlock rolled the whole transaction back already.
    fn undo(&self, c: &mut mysql::Conn, error: &Error) -> bool {
        self.shared.tx.failed(error);
        if error.vendor_code == 1213 {
            return true;
        }
        let undone = self.shared.run_on(c, if self.nested { "ROLLBACK TO SAVEPOINT keel_bulk" } else { "ROLLBACK" }).is_ok();
        if undone && self.nested {
            let _ = self.shared.run_on(c, "RELEASE SAVEPOINT keel_bulk");
        }
        undone
    }
}

/// Run `stmt` once for each row of `rows` through the bulk command (see
/// the module docs), with the outcome of running them one by one.
pub(super) fn pipeline(stmt: &mut MyStmt, rows: &[ValueRef<'_>]) -> std::result::Result<ExecResult, PipelineError> {
    let n = stmt.params.len();
    let not_row = |error: Error, rolled_back: bool| PipelineError { row: None, error, rolled_back };
    // A row whose value does not convert runs nothing; the rows before it
    // run first.
    let sets = match convert(rows, n) {
        Ok(sets) => sets,
        Err((k, error)) => {
            if k > 0 {
                pipeline(stmt, &rows[..k * n])?;
            }
            return Err(PipelineError { row: Some(k), error, rolled_back: false });
        }
    };
    if !fits_one_command(&sets, stmt.max_packet) {
        return one_by_one(stmt, sets);
    }
    let shared = stmt.shared.clone();
    let c = shared.conn_for(stmt.id).map_err(|e| not_row(e, false))?;
    let chunk = Chunk::begin(&shared, c).map_err(|error| PipelineError { row: Some(0), error, rolled_back: false })?;
    // Its first word read by the core lexer: a comment before it skipped.
    let insert = significant(&stmt.sql, &super::SYNTAX)
        .next()
        .is_some_and(|t| t.is_word(&stmt.sql, "INSERT") || t.is_word(&stmt.sql, "REPLACE"));
    // The values again, should the rows have to run one by one (the
    // command takes them).
    let again = || convert(rows, n).unwrap_or_default();
    match chunk.run(c, &stmt.stmt, sets, insert) {
        Ok(done) => {
            chunk.end(c)?;
            Ok(done)
        }
        Err(error) if error.vendor_code == 1295 => {
            // A statement the server does not run in bulk ("not supported
            // in the prepared statement protocol"): nothing ran; from now
            // on its batches go row by row.
            if !chunk.undo(c, &error) {
                return Err(not_row(error, false));
            }
            stmt.pipelines.set(Some(false));
            one_by_one(stmt, again())
        }
        Err(error) => {
            // An error that is not about a row's data (a timeout, a
            // cancel, a lost connection) does not run the rows again.
            let undone = chunk.undo(c, &error);
            if !undone || !error.about_the_data() || error.vendor_code == 1213 {
                return Err(not_row(error, undone));
            }
            one_by_one(stmt, again())
        }
    }
}

/// Run `sets` one by one, stopping at the first that fails, whose error
/// is its own.
fn one_by_one(stmt: &mut MyStmt, sets: Vec<Vec<MV>>) -> std::result::Result<ExecResult, PipelineError> {
    use crate::core::driver::DriverStmt;
    let mut sum = ExecResult::default();
    let saved = std::mem::take(&mut stmt.params);
    for (k, values) in sets.into_iter().enumerate() {
        stmt.params = values;
        match stmt.execute() {
            Ok(x) => {
                sum.rows_affected += x.rows_affected;
                sum.last_insert_id = x.last_insert_id;
            }
            Err(error) => {
                stmt.params = saved;
                return Err(PipelineError { row: Some(k), error, rolled_back: false });
            }
        }
    }
    stmt.params = saved;
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::{dml_target, speaks_bulk};

    #[test]
    fn bulk_targets() {
        assert_eq!(dml_target("UPDATE t SET a = ? WHERE id = ?"), Some("t"));
        assert_eq!(dml_target("update low_priority ignore `d`.`t x` set a = ?"), Some("`d`.`t x`"));
        assert_eq!(dml_target("DELETE FROM d.t WHERE id = ?"), Some("d.t"));
        assert_eq!(dml_target("DELETE QUICK FROM t"), Some("t"));
        assert_eq!(dml_target("INSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = a + ?"), Some("t"));
        assert_eq!(dml_target("insert ignore t values (?)"), Some("t"));
        assert_eq!(dml_target("REPLACE INTO t SET a = ?"), Some("t"));
        assert_eq!(dml_target("INSERT INTO t (a, b) VALUES (?, f(?, 1))"), Some("t"));
        // INSERT ... SELECT: the server runs none in bulk.
        assert_eq!(dml_target("REPLACE INTO t SELECT ?"), None);
        assert_eq!(dml_target("INSERT INTO t (id, v) SELECT ?, ?"), None);
        // Several tables, or no table keel can name: not through the command.
        assert_eq!(dml_target("UPDATE t, u SET t.a = ? WHERE t.id = u.id"), None);
        assert_eq!(dml_target("UPDATE t JOIN u ON t.id = u.id SET t.a = ?"), None);
        assert_eq!(dml_target("DELETE t FROM t JOIN u ON t.id = u.id WHERE u.x = ?"), None);
        assert_eq!(dml_target("DELETE FROM t USING t, u WHERE t.id = ?"), None);
        assert_eq!(dml_target("SELECT ?"), None);
        assert_eq!(dml_target("CALL p(?)"), None);
    }

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
