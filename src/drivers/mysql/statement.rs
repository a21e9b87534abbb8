//! A prepared statement on the server.

use super::{rows::*, session::*, types::*};
use crate::core::driver::{DriverRows, DriverStmt, ExecResult};
use crate::core::error::{Error, Result, RetrySafety};
use crate::core::value::{Column, ValueRef};
use mysql::prelude::Queryable;
use mysql::{Binary, QueryResult, Value as MV};
use std::mem::ManuallyDrop;
use std::sync::Arc;



pub(super) struct MyStmt {
    pub(super) id: u64,
    pub(super) shared: Arc<Shared>,
    /// The SQL it was prepared from, to prepare it again.
    pub(super) sql: String,
    pub(super) stmt: mysql::Statement,
    pub(super) params: Vec<MV>,
    /// The column definitions `cols` was built from.
    pub(super) shape: Vec<mysql::Column>,
    pub(super) cols: Arc<MyCols>,
    pub(super) zero_as_null: bool,
    /// The server's max_allowed_packet.
    pub(super) max_packet: usize,
    /// The server runs MariaDB's bulk command and mariadb_bulk=on: batches
    /// may go through it ([`DriverStmt::pipelines`]).
    pub(super) bulk: bool,
    /// Whether batches of this statement go by the bulk command, once
    /// known (`pipelines`).
    pub(super) pipelines: std::cell::Cell<Option<bool>>,
    /// Set for a statement that may return rows though its prepared form
    /// has no columns ([`rows_known_when_run`]): what to call it.
    pub(super) rows_known_when_run: Option<&'static str>,
}

/// Whether `sql` may return rows that its prepared form does not
/// describe (the server says 0 columns): a CALL, whose procedure may
/// return result sets, and MariaDB's `INSERT`/`REPLACE`/`DELETE ...
/// RETURNING`. What to call it in a message.
pub(super) fn rows_known_when_run(sql: &str) -> Option<&'static str> {
    use crate::core::sql::{Kind, tokens};
    let toks = tokens(sql, &super::SYNTAX);
    let word = |t: &crate::core::sql::Token, w: &str| t.kind == Kind::Word && sql[t.start..t.end].eq_ignore_ascii_case(w);
    let first = toks.first()?;
    if word(first, "CALL") {
        return Some("a CALL's");
    }
    let writes = ["INSERT", "REPLACE", "DELETE"].iter().any(|w| word(first, w));
    (writes && toks.iter().any(|t| word(t, "RETURNING"))).then_some("an INSERT, REPLACE or DELETE ... RETURNING's")
}

impl Drop for MyStmt {
    fn drop(&mut self) {
        self.shared.close_statement(self.stmt.clone());
    }
}

/// The long-data chunk the mysql crate (28.0.4) sends a large text or
/// binary parameter in: `MAX_PAYLOAD_LEN - 6` bytes, one byte too many for
/// the 7-byte command header to fit a 16 MiB protocol packet.
pub(super) const LONG_DATA_CHUNK: usize = 0xFF_FF_FF - 6;

impl MyStmt {
    /// Whether a run may return rows: its prepared form has columns, or
    /// says none though it may ([`rows_known_when_run`]).
    fn may_return_rows(&self) -> bool {
        !self.shape.is_empty() || self.rows_known_when_run.is_some()
    }

    fn params(&self) -> Result<mysql::Params> {
        // A parameter of a full chunk or more makes the crate send a
        // command of 16,777,216 bytes, which a server whose
        // max_allowed_packet is 16 MiB (MariaDB's default) refuses by
        // dropping the connection ("Packets out of sync"). Say so before
        // sending anything.
        if self.max_packet <= LONG_DATA_CHUNK + 7 {
            let big = self.params.iter().enumerate().find(|(_, v)| matches!(v, MV::Bytes(b) if b.len() >= LONG_DATA_CHUNK));
            if let Some((i, MV::Bytes(b))) = big {
                return Err(Error::invalid_argument(format!(
                    "parameter {i}: a value of {} bytes cannot be sent to this server: the mysql client sends it in \
                     chunks of {LONG_DATA_CHUNK} bytes, which a server with max_allowed_packet={} refuses; \
                     raise max_allowed_packet above 16777216 (MySQL 8's default is 64 MiB)",
                    b.len(),
                    self.max_packet
                ))
                .with_driver("mysql")
                .with_retry(RetrySafety::NotSent));
            }
        }
        Ok(if self.params.is_empty() { mysql::Params::Empty } else { mysql::Params::Positional(self.params.clone()) })
    }
}

/// The insert id of the statement `c` last ran, where it inserted a row
/// with a generated id (the server says 0 otherwise).
pub(super) fn insert_id(c: &mysql::Conn) -> Option<i64> {
    let id = c.last_insert_id();
    (id > 0).then_some(id as i64).filter(|i| *i >= 0)
}

impl DriverStmt for MyStmt {
    fn param_count(&self) -> usize {
        self.params.len()
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.params[index] = to_mysql(value)?;
        Ok(())
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.params.iter_mut().for_each(|p| *p = MV::NULL);
        Ok(())
    }

    fn close_cursor(&mut self) {
        if let Some(generation) = self.shared.cursor.opened_by(self.id) {
            self.shared.close_cursor(generation);
        }
    }

    fn result_columns(&mut self) -> Result<Arc<[Column]>> {
        if let Some(what) = self.rows_known_when_run {
            return Err(crate::core::error::Error::not_implemented(format!(
                "{what} result columns are known only when it runs: run it as a query and read the cursor's columns"
            ))
            .with_driver("mysql"));
        }
        Ok(self.cols.columns.clone())
    }

    fn prepare_again(&mut self) -> Result<()> {
        let c = self.shared.conn()?;
        let fresh = self.shared.check_as(false, c.prep(&self.sql))?;
        if fresh.num_params() as usize != self.params.len() {
            // Cannot be: the same SQL. Keep the old one, which fails again.
            self.shared.close_statement(fresh);
            return Err(Error::invalid_state("the statement prepared again has another number of parameters"));
        }
        let stale = std::mem::replace(&mut self.stmt, fresh);
        self.shared.close_statement(stale);
        self.shape = self.stmt.columns().to_vec();
        self.cols = Arc::new(columns(&self.shape));
        Ok(())
    }

    fn execute(&mut self) -> Result<ExecResult> {
        let params = self.params()?;
        let c = self.shared.conn_for(self.id)?;
        self.shared.killer.arm();
        // Every row read, so an error among them is this call's (`drain`).
        let ran = self.shared.check(drain(c.exec_iter(&self.stmt, params)));
        match &ran {
            Ok(_) => {
                self.shared.tx.note(c);
                if !self.shape.is_empty() {
                    // Rows were read and dropped: with autocommit off that
                    // opened a transaction, as for a query.
                    self.shared.tx.queried();
                }
            }
            Err(e) => self.shared.tx.failed(e),
        }
        let rows = ran?;
        if self.may_return_rows() {
            // A query's rows, read to the end: MySQL's SLEEP() returns
            // early instead of failing when killed.
            self.shared.killer.check()?;
        } else {
            self.shared.killer.ran();
        }
        // The OK packet after a RETURNING's rows says 0 rows affected:
        // each row it returned is one it wrote.
        let rows_affected = if self.rows_known_when_run.is_some() { c.affected_rows().max(rows) } else { c.affected_rows() };
        Ok(ExecResult { rows_affected, last_insert_id: insert_id(c) })
    }

    fn pipelines(&self) -> bool {
        // MariaDB's bulk command, for a statement with parameters that
        // returns no rows and writes one table of a transactional engine
        // (`bulk::pipeline` says why), where the server tracks the
        // transaction's state (the savepoint needs it). Asked of the
        // server once per statement.
        if !self.bulk || self.params.is_empty() || self.may_return_rows() || !self.shared.tx.tracked {
            return false;
        }
        if let Some(known) = self.pipelines.get() {
            return known;
        }
        let Some(target) = super::bulk::dml_target(&self.sql) else {
            self.pipelines.set(Some(false));
            return false;
        };
        match transactional_table(&self.shared, target) {
            Ok(yes) => {
                self.pipelines.set(Some(yes));
                yes
            }
            // Asked again next time (a cursor held the session).
            Err(_) => false,
        }
    }

    fn execute_pipelined(&mut self, rows: &[ValueRef<'_>]) -> std::result::Result<ExecResult, crate::core::driver::PipelineError> {
        super::bulk::pipeline(self, rows)
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let params = self.params()?;
        let c = self.shared.conn_for(self.id)?;
        self.shared.killer.arm();
        let qr = self.shared.check(c.exec_iter(&self.stmt, params)).inspect_err(|e| self.shared.tx.failed(e))?;
        self.shared.tx.queried();
        if qr.columns().as_ref().is_empty() {
            // No result set, only an OK packet (DDL, or a write run as a
            // query, as ADBC runs every statement): it says what became of
            // the transaction (DDL commits it), as `execute` notes. With no
            // rows to stream, no cursor stays open (generation 0 is never
            // one the slot hands out).
            drop(qr);
            self.shared.tx.note(c);
            self.shared.killer.ran();
            return Ok(Box::new(MyRows {
                generation: 0,
                done: true,
                row: None,
                at: Vec::new(),
                cols: Arc::new(columns(&[])),
                zero_as_null: self.zero_as_null,
                shared: self.shared.clone(),
            }));
        }
        // A statement whose tables changed since prepare is re-prepared by
        // the server, which sends the new columns with the result: describe
        // those, not the ones from prepare time.
        let fresh = qr.columns();
        if fresh.as_ref() != self.shape.as_slice() {
            self.shape = fresh.as_ref().to_vec();
            self.cols = Arc::new(columns(&self.shape));
        }
        // SAFETY: the result borrows the session inside `self.shared`; it is
        // kept in the same struct, declared before the session so it drops
        // first, and the slot keeps every other user off the session meanwhile.
        let qr: QueryResult<'static, 'static, 'static, Binary> = unsafe { std::mem::transmute(qr) };
        let generation = self.shared.cursor.open(self.id, ManuallyDrop::new(qr));
        Ok(Box::new(MyRows {
            generation,
            done: false,
            row: None,
            at: Vec::new(),
            cols: self.cols.clone(),
            zero_as_null: self.zero_as_null,
            shared: self.shared.clone(),
        }))
    }
}
