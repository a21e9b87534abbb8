//! One statement run for many rows of parameters: the batch calls
//! (`keel_stmt_execute_batch*`) and Python's `executemany`.
//!
//! # Multi-row INSERTs
//!
//! Run row by row, a batch costs one round trip per row on a network
//! engine, which is most of its time. So when the statement is a plain
//! `INSERT INTO <table> [(<columns>)] VALUES (<one row>)` and the engine
//! allows it ([`DriverConn::multirow_insert`](super::driver::DriverConn::multirow_insert): PostgreSQL always, MySQL and
//! MariaDB for tables of a transactional engine), keel runs the rows in
//! chunks as `INSERT ... VALUES (<row>), (<row>), ...` with parameters,
//! which is what mysqlclient does for `executemany` and what libpq users
//! write by hand. PostgreSQL's other way, psycopg 3's pipeline (one
//! Bind/Execute per row, one Sync), still has the engine run one statement
//! per row, which a multi-row INSERT avoids. The statements that do not
//! qualify here are pipelined where the driver can (below).
//!
//! The statement qualifies when, as the core's SQL lexer (`core::sql`) reads it
//! (string literals, quoted identifiers and comments skipped), its VALUES
//! group holds only `?` placeholders and literals (strings, numbers,
//! `NULL`, `TRUE`, `FALSE`, `DEFAULT`, casts to a type) and no placeholder
//! stands anywhere else; the only tails taken are MySQL's `ON DUPLICATE KEY
//! UPDATE ...` and PostgreSQL's `ON CONFLICT ... DO NOTHING`. Everything
//! else (`RETURNING`, `ON CONFLICT DO UPDATE`, which refuses to touch a row
//! twice in one statement, `INSERT ... SELECT`, function calls such as
//! `now()` that a row-by-row run evaluates per statement) runs row by row,
//! as does every batch on SQLite, where a row costs no round trip: there
//! the rows go [`IN_PLACE_ROWS`] at a time into one call that binds each
//! where its values are ([`Stmt::execute_rows`]), with what row by row
//! reports (rows affected, the last insert id, the failing row).
//!
//! A chunk holds at most [`MAX_CHUNK_ROWS`] rows, fewer when the engine's
//! 65,535-parameter limit or a byte budget ([`CHUNK_BYTES`], or half of
//! MySQL's `max_allowed_packet`) is reached first. The statement for a full
//! chunk is prepared once and kept with the keel statement, as are the
//! last few shorter ones (the final chunk of a batch), so a statement run
//! batch after batch prepares nothing more.
//!
//! What stays as it was row by row:
//! - `rows_affected` is the sum over all rows.
//! - The last insert id is that of the last row: on MySQL, whose id after
//!   a multi-row INSERT is that of its first row, the last row runs alone.
//! - When a row fails, the call stops there, the rows before it stay done,
//!   and the error starts with `row N:`. A failed chunk left no row behind
//!   (which is why MySQL's non-transactional tables run row by row), so
//!   after a constraint or data error keel runs that chunk's rows again one
//!   by one and stops at the failing row. Inside a PostgreSQL transaction
//!   the error has already aborted the transaction, so nothing can run
//!   again: the error then names the chunk (`rows N to M, run as one
//!   multi-row INSERT:`), and every row of the batch is lost with the
//!   transaction, exactly as it would have been row by row. So does an
//!   error that is not about the data (a deadlock, a timeout, a cancel, a
//!   lost connection): running the rows again would not be what the
//!   caller asked for.
//!
//! What differs: outside a transaction each chunk commits as a whole
//! rather than each row, and PostgreSQL's statement-level triggers fire
//! once per chunk.
//!
//! # The driver's bulk path
//!
//! An `INSERT INTO <one name> [(<columns>)] VALUES (?, ...)` of
//! placeholders alone and nothing after the group goes, where the driver
//! takes it for that table ([`DriverConn::appends_to`](super::driver::DriverConn::appends_to)), through
//! the driver's bulk path instead, [`APPEND_ROWS`] rows at a time: a
//! loaded driver's appender (DuckDB), PostgreSQL's binary COPY (for a
//! column list, into a table without rules or row-level security that the
//! session may read). The
//! rows take nothing but their values there, so the table ends as the
//! INSERTs would leave it. A chunk goes in whole or not at all; when one
//! fails outside a transaction, its rows run again one by one to stop at
//! the failing row, as for a multi-row INSERT. When the driver cannot take
//! a chunk's values (PostgreSQL: a value without a binary form for its
//! column), the statement runs as multi-row INSERTs from then on.
//!
//! # Pipelines
//!
//! Any other statement with parameters (UPDATE, DELETE, upserts with `DO
//! UPDATE`, `INSERT ... RETURNING`, ...) runs through the driver's
//! pipeline when it has one ([`DriverStmt::pipelines`]: MariaDB's bulk
//! command for tables of a transactional engine, see
//! `drivers/mysql/bulk.rs`; PostgreSQL with
//! named prepared statements): [`PIPELINE_ROWS`] rows at a time, each
//! chunk sent whole before its answers are read, so a chunk costs one
//! round trip. The engine still runs one statement per row, so triggers,
//! `RETURNING` and `DO UPDATE` behave exactly as row by row. Inside a
//! transaction nothing else differs: the first failing row stops the call
//! (the rows after it are not run) and is named. Outside a transaction
//! the driver runs each chunk in a transaction of its own, which commits
//! the chunk as a whole; when a row fails, that rolls the chunk back, and
//! keel runs the rows before the failing one again (one more pipeline)
//! when the error is about the data, so that they stay done as they
//! would row by row; for other errors (deadlock, timeout, cancel, lost
//! connection) it does not, and the message says the chunk's rows before
//! the failing one were rolled back.

use super::db::Stmt;
use super::driver::{DriverStmt, ExecResult, MultiRowLimits, PipelineError};
use super::error::{Error, Result, RetrySafety};
use super::sql::{InsertTail, Kind, Syntax, Token, tokens};
use super::value::ValueRef;
use std::ops::Range;

/// Most rows in one multi-row INSERT. Past a few hundred rows the round
/// trip no longer shows; larger statements only cost the server more to
/// parse and plan.
pub(crate) const MAX_CHUNK_ROWS: usize = 1000;

/// Most bytes of parameter values in one multi-row INSERT (less on MySQL
/// when half its `max_allowed_packet` is less). A row larger than this
/// runs on its own.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// Most rows, and bytes of values, in one chunk through a driver's bulk
/// path: each chunk is one transaction outside the caller's, and one pass
/// of rows run again when a row fails.
const APPEND_ROWS: usize = 10_000;
const APPEND_BYTES: usize = 16 << 20;

/// Shorter chunk statements kept per keel statement, besides the full one.
const KEPT_SHORT_CHUNKS: usize = 2;

// --- Recognizing `INSERT ... VALUES (...)` --------------------------------

/// Where the parts of `INSERT INTO <target> [(<columns>)] VALUES (<group>)
/// [<tail>]` are in a statement's SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertShape {
    /// The table, as written (quotes included).
    pub target: Range<usize>,
    /// The VALUES group, parentheses included.
    pub group: Range<usize>,
    /// The end of the statement, before a final `;`.
    pub end: usize,
    /// Placeholders in the group (there are none elsewhere).
    pub params: usize,
    /// The column names listed, as written (quotes included); empty when
    /// the statement lists none.
    pub columns: Vec<Range<usize>>,
    /// The group is placeholders alone, one per column: `(?, ?, ?)`.
    pub only_placeholders: bool,
}

impl InsertShape {
    /// The shape of `sql` when it is an INSERT keel may run as multi-row
    /// INSERTs on an engine of `syntax` (see the module docs), else `None`.
    pub fn parse(sql: &str, syntax: &Syntax) -> Option<InsertShape> {
        let g = syntax.insert.as_ref()?;
        let toks = tokens(sql, syntax);
        let is = |i: usize, w: &str| toks.get(i).is_some_and(|t| t.is_word(sql, w));
        let punct = |i: usize, c: u8| toks.get(i).is_some_and(|t| t.kind == Kind::Punct(c));
        let name = |i: usize| toks.get(i).is_some_and(|t| matches!(t.kind, Kind::Word | Kind::QuotedIdent));

        let mut i = 0;
        if !(is(0, "INSERT") || (g.replace && is(0, "REPLACE"))) {
            return None;
        }
        i += 1;
        while g.modifiers.iter().any(|w| is(i, w)) {
            i += 1;
        }
        if !is(i, "INTO") {
            return None;
        }
        i += 1;
        // The table: name(.name)*
        let target_start = toks.get(i)?.start;
        loop {
            if !name(i) || is(i, "VALUES") || is(i, "VALUE") {
                return None;
            }
            i += 1;
            if !punct(i, b'.') {
                break;
            }
            i += 1;
        }
        let target = target_start..toks[i - 1].end;
        // `AS alias`.
        if g.table_alias && is(i, "AS") {
            if !name(i + 1) {
                return None;
            }
            i += 2;
        }
        // (col, col, ...)
        let mut columns = Vec::new();
        if punct(i, b'(') {
            i += 1;
            loop {
                if !name(i) {
                    return None;
                }
                columns.push(toks[i].start..toks[i].end);
                i += 1;
                if punct(i, b',') {
                    i += 1;
                } else if punct(i, b')') {
                    i += 1;
                    break;
                } else {
                    return None;
                }
            }
        }
        if !(is(i, "VALUES") || (g.value_keyword && is(i, "VALUE"))) {
            return None;
        }
        i += 1;
        if !punct(i, b'(') {
            return None;
        }
        let (close, params) = values_group(&toks, i, sql)?;
        let group = toks[i].start..toks[close].end;
        // `(`, then `?` and `,` by turns, then `)`.
        let only_placeholders = close - i == 2 * params
            && toks[i + 1..close].iter().enumerate().all(|(k, t)| {
                t.kind == if k % 2 == 0 { Kind::Placeholder } else { Kind::Punct(b',') }
            });
        i = close + 1;

        let mut last = toks.len();
        if last > i && toks[last - 1].kind == Kind::Punct(b';') {
            last -= 1;
        }
        let end = toks.get(last).map_or(sql.len(), |t| t.start);
        let tail = &toks[i..last];
        if tail.iter().any(|t| matches!(t.kind, Kind::Placeholder | Kind::Native | Kind::CodeComment | Kind::Other | Kind::Punct(b';'))) {
            return None;
        }
        if !tail.is_empty() {
            let ok = match g.tail {
                InsertTail::Nothing => false,
                // [AS alias [(cols)]] ON DUPLICATE KEY UPDATE ...
                InsertTail::OnDuplicateKeyUpdate => {
                let mut j = i;
                if is(j, "AS") {
                    if !name(j + 1) {
                        return None;
                    }
                    j += 2;
                    if punct(j, b'(') {
                        while !punct(j, b')') {
                            if j >= last {
                                return None;
                            }
                            j += 1;
                        }
                        j += 1;
                    }
                }
                is(j, "ON") && is(j + 1, "DUPLICATE") && is(j + 2, "KEY") && is(j + 3, "UPDATE")
                }
                // ON CONFLICT [...] DO NOTHING
                InsertTail::OnConflictDoNothing => {
                    is(i, "ON") && is(i + 1, "CONFLICT") && last >= i + 4 && is(last - 2, "DO") && is(last - 1, "NOTHING")
                }
            };
            if !ok {
                return None;
            }
        }
        Some(InsertShape { target, group, end, params, columns, only_placeholders })
    }

    /// `sql` with its VALUES group repeated `rows` times, in keel's `?` form.
    pub fn sql_for(&self, sql: &str, rows: usize) -> String {
        let group = &sql[self.group.clone()];
        let mut s = String::with_capacity(self.group.start + rows * (group.len() + 1) + (self.end - self.group.end));
        s.push_str(&sql[..self.group.start]);
        for r in 0..rows {
            if r > 0 {
                s.push(',');
            }
            s.push_str(group);
        }
        s.push_str(&sql[self.group.end..self.end]);
        s
    }
}

/// Check the VALUES group opening at token `open`: the index of its closing
/// parenthesis and its placeholder count, or `None` when it holds anything
/// but placeholders, literals and casts.
fn values_group(toks: &[Token], open: usize, sql: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut params = 0;
    // After `::` or CAST's `AS`: words name a type.
    let mut in_type = false;
    for (i, t) in toks.iter().enumerate().skip(open) {
        let call = toks.get(i + 1).is_some_and(|n| n.kind == Kind::Punct(b'('));
        match t.kind {
            Kind::Punct(b'(') => depth += 1,
            Kind::Punct(b')') => {
                depth -= 1;
                if depth == 0 {
                    return (params > 0).then_some((i, params));
                }
            }
            Kind::Placeholder => {
                params += 1;
                in_type = false;
            }
            // MySQL's "x" is a string here (under ANSI_QUOTES, an
            // identifier, which the server refuses in VALUES).
            Kind::Str | Kind::DoubleQuoted | Kind::Number | Kind::Punct(b',' | b'+' | b'-') => in_type = false,
            Kind::Punct(b'[' | b']') if in_type => {}
            Kind::Cast => in_type = true,
            Kind::Word => {
                let w = &sql[t.start..t.end];
                let one_of = |ws: &[&str]| ws.iter().any(|x| x.eq_ignore_ascii_case(w));
                if in_type {
                    // A type name word, or its modifier (`numeric(10,2)`).
                } else if one_of(&["AS"]) {
                    in_type = true;
                } else if one_of(&["CAST"]) {
                    if !call {
                        return None;
                    }
                } else if call || !one_of(&["NULL", "TRUE", "FALSE", "DEFAULT"]) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    None
}

// --- Running a batch -------------------------------------------------------

/// What a statement does with batches, decided at its first batch of two
/// rows or more.
#[derive(Default)]
pub(crate) enum Many {
    #[default]
    Undecided,
    RowByRow,
    Chunked(Box<Chunks>),
}

/// A statement's multi-row form and the chunk statements prepared so far.
pub(crate) struct Chunks {
    shape: InsertShape,
    /// Rows in a full chunk.
    rows: usize,
    max_bytes: usize,
    /// Run the last row of a batch on its own (see `MultiRowLimits`).
    last_alone: bool,
    /// Prepared chunk statements by row count: the full one, and the last
    /// few shorter ones used (most recent last).
    stmts: Vec<(usize, Box<dyn DriverStmt>)>,
    /// Chunks go through the driver's bulk path instead
    /// ([`DriverConn::append_rows`](super::driver::DriverConn::append_rows)):
    /// the table and the columns listed (none: all of them), as written.
    append: Option<(String, Vec<String>)>,
}

impl Chunks {
    fn new(shape: InsertShape, n: usize, limits: MultiRowLimits) -> Option<Chunks> {
        let rows = MAX_CHUNK_ROWS.min(limits.max_params / n.max(1));
        (rows >= 2).then(|| Chunks {
            shape,
            rows,
            max_bytes: CHUNK_BYTES.min(limits.max_bytes),
            last_alone: limits.reports_insert_id,
            stmts: Vec::new(),
            append: None,
        })
    }

    /// Chunks run through the driver's bulk path, when the statement is
    /// `INSERT INTO <one name> [(<columns>)] VALUES (?, ...)` with no tail
    /// (no `ON CONFLICT`, no `ON DUPLICATE KEY UPDATE`): the rows then take
    /// nothing but the values, so appending them does what the INSERT
    /// would. `None` for any other statement.
    fn appended(shape: &InsertShape, sql: &str, syntax: &Syntax) -> Option<Chunks> {
        let target = &sql[shape.target.clone()];
        let tail = sql[shape.group.end..shape.end].trim();
        if !shape.only_placeholders || tokens(target, syntax).len() != 1 || !tail.is_empty() {
            return None;
        }
        let table = target.to_owned();
        let columns = shape.columns.iter().map(|c| sql[c.clone()].to_owned()).collect();
        Some(Chunks {
            shape: shape.clone(),
            rows: APPEND_ROWS,
            max_bytes: APPEND_BYTES,
            last_alone: false,
            stmts: Vec::new(),
            append: Some((table, columns)),
        })
    }
}

/// Bytes a value takes in a chunk, roughly (for the byte budget).
fn value_bytes(v: &ValueRef<'_>) -> usize {
    4 + match v {
        ValueRef::Text(s) | ValueRef::Json(s) | ValueRef::Decimal(s) => s.len(),
        ValueRef::Bytes(b) => b.len(),
        ValueRef::Uuid(_) => 16,
        _ => 8,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No row seen yet, or one buffered: the statement's [`Many`] is
    /// consulted (and decided) when a second row comes.
    Undecided,
    RowByRow,
    Chunked,
    /// Through the driver's pipeline, [`PIPELINE_ROWS`] rows at a time.
    Pipelined,
    /// Row by row, [`IN_PLACE_ROWS`] rows per call into a driver that
    /// binds them where their values are ([`Stmt::execute_rows`]: SQLite).
    InPlace,
}

/// Most rows run per call into a driver that binds them in place.
const IN_PLACE_ROWS: usize = 1000;

/// Most rows in one pipeline (see the module docs).
const PIPELINE_ROWS: usize = 1000;

/// `e`, the error of row `index` of a batch, named so. Rows before it
/// ran (they stay done), so running the call again is not safe as
/// `RetrySafety::NotSent` would say, even when nothing of this row was
/// sent: that stays only for row 0.
fn at_row(e: Error, index: usize) -> Error {
    let e = e.context(format_args!("row {index}"));
    if index > 0 && e.retry == RetrySafety::NotSent { e.with_retry(RetrySafety::Unknown) } else { e }
}

/// One batch of parameter rows in progress: rows go in with
/// [`ParamBatch::push`], and [`ParamBatch::finish`] runs what is left and returns the sum.
pub struct ParamBatch<'s, 'a> {
    stmt: &'s mut Stmt,
    n: usize,
    mode: Mode,
    /// Rows not yet run, `n` values each.
    pending: Vec<ValueRef<'a>>,
    pending_bytes: usize,
    /// Batch index of the first pending row.
    first: usize,
    /// Rows pushed so far.
    pushed: usize,
    sum: ExecResult,
}

impl Stmt {
    /// Start a batch: the statement runs once per row pushed (see the
    /// module docs for how, and what stays as row by row). Rows must each
    /// have `param_count()` values.
    pub fn batch<'a>(&mut self) -> ParamBatch<'_, 'a> {
        // A batch runs the statement: the cursor it has open is closed.
        self.close_cursor();
        let n = self.param_count();
        ParamBatch {
            stmt: self,
            n,
            // Without parameters there is no VALUES group to repeat.
            mode: if n == 0 { Mode::RowByRow } else { Mode::Undecided },
            pending: Vec::new(),
            pending_bytes: 0,
            first: 0,
            pushed: 0,
            sum: ExecResult::default(),
        }
    }

    /// Run the statement once for each row; the sum of rows affected and
    /// the last row's insert id. Stops at the first failing row, with an
    /// error that starts `row N:` (see the module docs).
    pub fn execute_batch<'a, R: AsRef<[ValueRef<'a>]>>(&mut self, rows: impl IntoIterator<Item = R>) -> Result<ExecResult> {
        let mut b = self.batch();
        for r in rows {
            b.push(r.as_ref())?;
        }
        b.finish()
    }
}

impl<'a> ParamBatch<'_, 'a> {
    /// Add one row. It may run now or later; an error names its row.
    pub fn push(&mut self, row: &[ValueRef<'a>]) -> Result<()> {
        let index = self.pushed;
        if let Err(e) = self.stmt.check_param_count(row.len()) {
            return Err(self.stop_at(index, e));
        }
        self.pushed += 1;
        match self.mode {
            Mode::RowByRow => self.run_one(row, index),
            Mode::Undecided if self.pending.is_empty() => {
                self.buffer(row);
                Ok(())
            }
            Mode::Undecided => {
                self.mode = self.decide()?;
                if self.mode == Mode::RowByRow {
                    self.run_pending_one_by_one(1)?;
                    return self.run_one(row, index);
                }
                self.buffer(row);
                Ok(())
            }
            Mode::Chunked | Mode::Pipelined | Mode::InPlace => {
                let bytes: usize = row.iter().map(value_bytes).sum();
                let (full, max_bytes) = self.chunk_limits();
                let rows = self.pending_rows();
                if rows > 0 && (rows == full || self.pending_bytes + bytes > max_bytes) {
                    self.flush(rows)?;
                }
                self.buffer(row);
                Ok(())
            }
        }
    }

    /// Run the rows still pending; the sum over the batch.
    pub fn finish(mut self) -> Result<ExecResult> {
        self.run_all_pending()?;
        Ok(self.sum)
    }

    /// The batch stops at row `index` (not run) on `error`, which keel
    /// raised before sending it (a bad value, a wrong count): the rows
    /// pushed before it run first, as row by row they would have, and the
    /// error is the call's unless one of them fails first.
    pub fn stop_at(&mut self, index: usize, error: Error) -> Error {
        match self.run_all_pending() {
            Err(e) => e,
            Ok(()) => at_row(error.not_sent(), index),
        }
    }

    fn run_all_pending(&mut self) -> Result<()> {
        let rows = self.pending_rows();
        if rows > 0 {
            let last_alone = matches!(&self.stmt.many, Many::Chunked(c) if c.last_alone);
            if !matches!(self.mode, Mode::Chunked | Mode::Pipelined | Mode::InPlace) {
                self.run_pending_one_by_one(rows)?;
            } else if last_alone {
                self.flush(rows - 1)?;
                self.run_pending_one_by_one(1)?;
            } else {
                // Leave the statement bound to the last row, as a row-by-row
                // run would.
                let last: Vec<ValueRef<'a>> = self.pending[(rows - 1) * self.n..].to_vec();
                self.flush(rows)?;
                self.stmt.bind_all(&last)?;
            }
        }
        Ok(())
    }

    fn pending_rows(&self) -> usize {
        self.pending.len().checked_div(self.n).unwrap_or(0)
    }

    fn buffer(&mut self, row: &[ValueRef<'a>]) {
        if self.n == 0 {
            // Nothing to keep: a statement without parameters never runs
            // chunked, and is decided at once.
            return;
        }
        self.pending_bytes += row.iter().map(value_bytes).sum::<usize>();
        self.pending.extend_from_slice(row);
    }

    fn chunk_limits(&self) -> (usize, usize) {
        match &self.stmt.many {
            Many::Chunked(c) => (c.rows, c.max_bytes),
            _ if self.mode == Mode::Pipelined => (PIPELINE_ROWS, CHUNK_BYTES),
            _ if self.mode == Mode::InPlace => (IN_PLACE_ROWS, CHUNK_BYTES),
            _ => (1, 0),
        }
    }

    /// Decide (once per statement) whether batches run chunked.
    fn decide(&mut self) -> Result<Mode> {
        // Running a statement closes the cursor it has open (`batch` did).
        // The chunk statements (and MySQL's look at the table) are other
        // statements, which that cursor would have blocked.
        if matches!(self.stmt.many, Many::Undecided) {
            let shape = InsertShape::parse(self.stmt.sql(), self.stmt.syntax()).filter(|s| s.params == self.n);
            self.stmt.many = match shape {
                None => Many::RowByRow,
                Some(shape) => {
                    let target = self.stmt.sql()[shape.target.clone()].to_owned();
                    // The driver's bulk path where the statement allows it
                    // and the driver takes it for this table, else
                    // multi-row INSERTs.
                    let appended = Chunks::appended(&shape, self.stmt.sql(), self.stmt.syntax());
                    // The driver's limits are asked only without the bulk
                    // path (`stop_appending` asks if it ever gives it up).
                    let (limits, appends) = self.stmt.with_driver_conn(|c| {
                        let appends = appended.is_some() && c.appends_to(&target)?;
                        Ok((if appends { None } else { c.multirow_insert(&target)? }, appends))
                    })?;
                    let appended = appended.filter(|_| appends);
                    match appended.or_else(|| limits.and_then(|l| Chunks::new(shape, self.n, l))) {
                        Some(c) => Many::Chunked(Box::new(c)),
                        None => Many::RowByRow,
                    }
                }
            };
        }
        Ok(if matches!(self.stmt.many, Many::Chunked(_)) {
            Mode::Chunked
        } else if self.stmt.pipelines() {
            Mode::Pipelined
        } else if self.stmt.executes_rows_in_place() {
            Mode::InPlace
        } else {
            Mode::RowByRow
        })
    }

    /// Run one row through the statement itself.
    fn run_one(&mut self, row: &[ValueRef<'_>], index: usize) -> Result<()> {
        let r = self.stmt.execute_row(row);
        let x = r.map_err(|e| at_row(e, index))?;
        self.sum.rows_affected += x.rows_affected;
        self.sum.last_insert_id = x.last_insert_id;
        Ok(())
    }

    /// Run the first `rows` pending rows one by one, and drop them.
    fn run_pending_one_by_one(&mut self, rows: usize) -> Result<()> {
        let n = self.n;
        let pending = std::mem::take(&mut self.pending);
        let mut r = Ok(());
        for k in 0..rows {
            r = self.run_one(&pending[k * n..(k + 1) * n], self.first + k);
            if r.is_err() {
                break;
            }
        }
        self.pending = pending;
        self.drop_pending(rows);
        r
    }

    fn drop_pending(&mut self, rows: usize) {
        self.pending.drain(..rows * self.n);
        self.pending_bytes = self.pending.iter().map(value_bytes).sum();
        self.first += rows;
    }

    /// Run the first `rows` pending rows through the driver's pipeline.
    fn flush_pipelined(&mut self, rows: usize) -> Result<()> {
        let n = self.n;
        let pending = std::mem::take(&mut self.pending);
        let ran = self.stmt.execute_pipelined(&pending[..rows * n]);
        self.pending = pending;
        let PipelineError { row, error, rolled_back } = match ran {
            Ok(x) => {
                self.sum.rows_affected += x.rows_affected;
                self.sum.last_insert_id = x.last_insert_id;
                self.drop_pending(rows);
                return Ok(());
            }
            Err(p) => p,
        };
        let error = error.with_sql(self.stmt.sql());
        let (a, b) = (self.first, self.first + rows - 1);
        let Some(k) = row else {
            return Err(error.context(format_args!(
                "rows {a} to {b}, run as one pipelined transaction, which this error rolled back"
            )));
        };
        let at = a + k;
        if rolled_back && k > 0 {
            // The rows before the failing one ran, and were rolled back
            // with the chunk's transaction: they run again, as they would
            // have stayed done row by row, when the session can go on.
            if error.about_the_data() && self.stmt.with_driver_conn(|c| Ok(c.usable_after_error())).unwrap_or(false) {
                self.flush_pipelined(k)?;
                return Err(at_row(error, at));
            }
            return Err(error.context(format_args!(
                "row {at} (rows {a} to {} ran before it in one pipelined transaction, which this error rolled back)",
                at - 1
            )));
        }
        Err(at_row(error, at))
    }

    /// Run the first `rows` pending rows in one call into a driver that
    /// binds them in place, as row by row: the first failing row stops
    /// the call, the rows before it stay done, and its error is named.
    fn flush_in_place(&mut self, rows: usize) -> Result<()> {
        let n = self.n;
        let pending = std::mem::take(&mut self.pending);
        let mut ran = 0usize;
        let r = self.stmt.execute_rows(
            &mut |each| {
                for row in pending[..rows * n].chunks(n) {
                    each(row)?;
                    ran += 1;
                }
                Ok(())
            },
            true,
        );
        self.pending = pending;
        let at = self.first + ran;
        self.drop_pending(rows);
        let x = r.map_err(|e| at_row(e, at))?;
        self.sum.rows_affected += x.rows_affected;
        self.sum.last_insert_id = x.last_insert_id;
        Ok(())
    }

    /// Run the first `rows` pending rows through the driver's appender.
    fn flush_appended(&mut self, rows: usize) -> Result<()> {
        let n = self.n;
        let Many::Chunked(c) = &self.stmt.many else { unreachable!("checked by flush") };
        let (table, columns) = c.append.clone().expect("checked by flush");
        let pending = std::mem::take(&mut self.pending);
        let ran = self.stmt.with_driver_conn(|conn| Ok(conn.append_rows(&table, &columns, &pending[..rows * n], n)));
        self.pending = pending;
        let PipelineError { row, error, rolled_back } = match ran? {
            Ok(Some(x)) => {
                self.sum.rows_affected += x;
                self.sum.last_insert_id = None;
                self.drop_pending(rows);
                return Ok(());
            }
            // Not these rows (a value the bulk path cannot carry): this
            // statement's batches run as multi-row INSERTs from now on.
            Ok(None) => return self.stop_appending(rows),
            Err(p) => p,
        };
        // Rolled back with the driver's own transaction: no row stayed.
        // Run them one by one, which stops at the failing row with its own
        // error and keeps the rows before it, as row by row.
        if rolled_back && error.about_the_data() && self.stmt.with_driver_conn(|c| Ok(c.usable_after_error())).unwrap_or(false) {
            return self.run_pending_one_by_one(rows);
        }
        let (a, b) = (self.first, self.first + rows - 1);
        let error = error.with_sql(self.stmt.sql());
        Err(match row {
            Some(k) => at_row(error, a + k),
            None => error.context(format_args!("rows {a} to {b}, loaded as one piece through the driver's bulk path")),
        })
    }

    /// The statement's batches stop going through the driver's bulk path:
    /// they run as multi-row INSERTs where the engine has them, else row
    /// by row, starting with the first `rows` pending rows.
    fn stop_appending(&mut self, rows: usize) -> Result<()> {
        let Many::Chunked(c) = &self.stmt.many else { unreachable!("checked by flush") };
        let (shape, target) = (c.shape.clone(), self.stmt.sql()[c.shape.target.clone()].to_owned());
        let limits = self.stmt.with_driver_conn(|conn| conn.multirow_insert(&target))?;
        self.stmt.many = match limits.and_then(|l| Chunks::new(shape, self.n, l)) {
            Some(c) => Many::Chunked(Box::new(c)),
            None => Many::RowByRow,
        };
        if matches!(self.stmt.many, Many::RowByRow) {
            self.mode = Mode::RowByRow;
            return self.run_pending_one_by_one(rows);
        }
        let (full, _) = self.chunk_limits();
        let mut left = rows;
        while left > 0 {
            let k = left.min(full);
            self.flush(k)?;
            left -= k;
        }
        Ok(())
    }

    /// Run the first `rows` pending rows as one multi-row INSERT, or
    /// through the driver's pipeline.
    fn flush(&mut self, rows: usize) -> Result<()> {
        if rows <= 1 {
            return self.run_pending_one_by_one(rows);
        }
        if self.mode == Mode::Pipelined {
            return self.flush_pipelined(rows);
        }
        if self.mode == Mode::InPlace {
            return self.flush_in_place(rows);
        }
        if matches!(&self.stmt.many, Many::Chunked(c) if c.append.is_some()) {
            return self.flush_appended(rows);
        }
        let n = self.n;
        // The chunk statements are the session's too: every call into them
        // holds its lock (as `Stmt`'s own calls do).
        let session = self.stmt.session();
        let ds = match chunk_stmt(self.stmt, n, rows) {
            Ok(ds) => ds,
            Err(e) => {
                // Cannot happen for SQL the engine took for one row, unless
                // the engine runs out of prepared statements; the rows still
                // run, one by one, when the session allows it.
                if self.stmt.with_driver_conn(|c| Ok(c.usable_after_error()))? {
                    self.stmt.many = Many::RowByRow;
                    self.mode = Mode::RowByRow;
                    let all = self.pending_rows();
                    return self.run_pending_one_by_one(all);
                }
                return Err(e.with_sql(self.stmt.sql()));
            }
        };
        // A value the engine cannot take fails here, before anything ran:
        // the rows run one by one instead, which stops at that row.
        let g = session.hold();
        let bound = self.pending[..rows * n].iter().enumerate().try_for_each(|(j, v)| ds.bind(j, *v));
        if bound.is_err() {
            drop(g);
            return self.run_pending_one_by_one(rows);
        }
        let ran = ds.execute();
        drop(g);
        match ran {
            Ok(x) => {
                self.sum.rows_affected += x.rows_affected;
                self.sum.last_insert_id = x.last_insert_id;
                self.drop_pending(rows);
                Ok(())
            }
            Err(e) => {
                // The chunk left no row behind. When the session can go on,
                // run its rows one by one to stop at the one that fails.
                if e.about_the_data() && self.stmt.with_driver_conn(|c| Ok(c.usable_after_error())).unwrap_or(false) {
                    return self.run_pending_one_by_one(rows);
                }
                let (a, b) = (self.first, self.first + rows - 1);
                Err(e.with_sql(self.stmt.sql()).context(format_args!("rows {a} to {b}, run as one multi-row INSERT")))
            }
        }
    }
}

/// The prepared statement for a chunk of `rows` rows of `n` values.
fn chunk_stmt(stmt: &mut Stmt, n: usize, rows: usize) -> Result<&mut dyn DriverStmt> {
    let (full, found, sql) = {
        let Many::Chunked(c) = &stmt.many else {
            return Err(Error::invalid_state("internal: no multi-row form for this statement"));
        };
        let found = c.stmts.iter().position(|(r, _)| *r == rows);
        let sql = found.is_none().then(|| c.shape.sql_for(stmt.sql(), rows));
        (c.rows, found, sql)
    };
    let prepared = match sql {
        Some(sql) => {
            let native = super::sql::rewrite(&sql, stmt.syntax())?;
            let ds = stmt.with_driver_conn(|conn| conn.prepare(&native))?;
            if ds.param_count() != rows * n {
                return Err(Error::invalid_state(format!(
                    "internal: the multi-row form has {} parameters, not {}",
                    ds.param_count(),
                    rows * n
                )));
            }
            Some(ds)
        }
        None => None,
    };
    let Many::Chunked(c) = &mut stmt.many else { unreachable!("checked above") };
    let at = match (found, prepared) {
        (Some(at), _) if rows == full => at,
        (Some(at), _) => {
            // Most recently used last.
            let s = c.stmts.remove(at);
            c.stmts.push(s);
            c.stmts.len() - 1
        }
        (None, Some(ds)) => {
            let short = c.stmts.iter().filter(|(r, _)| *r != full).count();
            if rows != full && short >= KEPT_SHORT_CHUNKS {
                let oldest = c.stmts.iter().position(|(r, _)| *r != full).expect("counted above");
                c.stmts.remove(oldest);
            }
            c.stmts.push((rows, ds));
            c.stmts.len() - 1
        }
        (None, None) => unreachable!("prepared when not found"),
    };
    Ok(c.stmts[at].1.as_mut())
}
