//! Bulk ingest: rows from a [`RowSource`] into a table, made or not as an
//! [`IngestMode`] says ([`Conn::ingest`]). The core writes the SQL (the
//! table from the source's columns with each engine's column types), then
//! gives the rows to the driver's bulk path (`DriverConn::bulk_insert`:
//! PostgreSQL's binary COPY, MariaDB's COM_STMT_BULK_EXECUTE, MySQL's LOAD DATA LOCAL, SQL Server's bulk
//! load) or, where it has none, to one statement per batch that reads the
//! batch's values by row and column (`Driver::indexed_insert_sql`,
//! `Stmt::execute_indexed`: SQLite's `INSERT ... SELECT` from keel's
//! table-valued function, one record batch at a time, read before the
//! session's lock is taken), or else runs them through one prepared INSERT:
//! row by row with each row bound in place where the statement can
//! (`Stmt::execute_rows`), else as a batch (`core::many`: multi-row
//! INSERTs where the engine takes them), all in one transaction where the connection
//! is not in one already. Sources live outside the core
//! (`codec::arrow`: an Arrow C stream).

use super::db::{Conn, Stmt};
use super::driver::{BulkTarget, TxOptions};
use super::error::{Error, Result, Status};
use super::value::{Type, ValueRef};

/// What `Conn::ingest` does with the table. Part of the C ABI
/// (`keel_ingest_mode`): numbers never change, and 0 is never a mode.
/// ADBC's ingest modes.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngestMode {
    /// Make the table; fail (`KEEL_STATUS_ALREADY_EXISTS`) if it exists.
    Create = 1,
    /// Add the rows to a table that exists (`KEEL_STATUS_NOT_FOUND` if not).
    Append = 2,
    /// Drop the table if it exists, make it again, add the rows.
    Replace = 3,
    /// Make the table unless it exists, then add the rows.
    CreateAppend = 4,
}

impl IngestMode {
    pub fn from_i32(n: i32) -> Option<IngestMode> {
        Some(match n {
            1 => IngestMode::Create,
            2 => IngestMode::Append,
            3 => IngestMode::Replace,
            4 => IngestMode::CreateAppend,
            _ => return None,
        })
    }
}

/// One column of the rows to ingest.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestColumn {
    pub name: String,
    pub kind: Type,
    /// (precision, scale) of a decimal column (of a list column's
    /// decimal elements).
    pub decimal: Option<(u8, i8)>,
    /// A list column (Arrow's list<T>): the keel type of its elements.
    /// Its values come as text in PostgreSQL's array syntax (`kind` is
    /// Text), for an array column of that element type, and element by
    /// element through [`RowSource::next_rows_with_lists`]; only engines
    /// with array types ([`Driver::array_type_sql`]) take one.
    ///
    /// [`Driver::array_type_sql`]: super::driver::Driver::array_type_sql
    pub list_of: Option<Type>,
}

/// Rows to ingest: their columns, then batches of rows.
pub trait RowSource {
    fn columns(&self) -> &[IngestColumn];
    /// Run the next batch of rows through `stmt` (an INSERT with one
    /// parameter per column, in [`RowSource::columns`]' order), as a
    /// batch (`Stmt::batch`); the number of rows it ran, or `None` at the
    /// end. An error says where in the source it happened: a row's names
    /// the row (`row N: `, 0-based from the start of the source), one
    /// about no row says how many rows came before it (`after N rows: `).
    fn next_batch(&mut self, stmt: &mut Stmt) -> Result<Option<u64>>;
    /// The next batch of rows, each given to `each` (one value per
    /// column, in [`RowSource::columns`]' order), an error `each` returns
    /// named with its row (`row N: `, 0-based from the start of the
    /// source), an error reading the source with the rows before it
    /// (`after N rows: `): the number of rows, or
    /// `None` at the end. For drivers' bulk paths
    /// ([`DriverConn::bulk_insert`](super::driver::DriverConn::bulk_insert)).
    /// The batch is read before its first row is given, and nothing reads
    /// the source while `each` runs, so `each` may use the connection the
    /// rows go to (send what it has encoded so far).
    fn next_rows(&mut self, each: &mut dyn FnMut(&[ValueRef<'_>]) -> Result<()>) -> Result<Option<u64>>;
    /// As [`RowSource::next_rows`], with the elements of the row's list
    /// columns ([`IngestColumn::list_of`]) to be had one by one from
    /// [`Lists`], for a bulk path that writes arrays itself (PostgreSQL's
    /// binary COPY); the row's values of those columns are their text, as
    /// `next_rows` gives them. Default: `next_rows`, with no elements to
    /// be had (each call for them is an error).
    fn next_rows_with_lists(
        &mut self,
        each: &mut dyn FnMut(&[ValueRef<'_>], &dyn Lists) -> Result<()>,
    ) -> Result<Option<u64>> {
        self.next_rows(&mut |row| each(row, &NoLists))
    }
    /// The next batch of rows as one [`IndexedRows`], given to `each`,
    /// for a bulk path that reads the values by row and column as the
    /// engine asks for them (SQLite's `INSERT ... SELECT` from the batch):
    /// the number of rows, or `None` at the end. An error reading the
    /// source says how many rows came before it (`after N rows: `); an
    /// error `each` returns is passed on as it is (`each` knows the row).
    /// As for [`RowSource::next_rows`], the batch is read before `each`
    /// runs, and nothing reads the source while it does.
    fn next_indexed(&mut self, each: &mut dyn FnMut(&dyn IndexedRows) -> Result<()>) -> Result<Option<u64>>;
}

/// One batch of rows to ingest, its values read by row and column
/// ([`RowSource::next_indexed`]).
pub trait IndexedRows {
    /// The rows in the batch.
    fn len(&self) -> usize;
    /// The columns of each row.
    fn width(&self) -> usize;
    /// Row `row`'s (0-based in the batch) value of column `col` (in
    /// [`RowSource::columns`]' order, of that column's type, or NULL). A
    /// value that does not convert is an error naming its row (from the
    /// start of the source) and column.
    fn value(&self, row: usize, col: usize) -> Result<ValueRef<'_>>;
    /// The number of row `row` of the batch counted from the start of the
    /// source (0-based), as errors name rows (`row N: `).
    fn row_number(&self, row: usize) -> u64;
}

/// The elements of the lists of the row being given
/// ([`RowSource::next_rows_with_lists`]).
pub trait Lists {
    /// Give each element of the list in column `col` to `each`, in order
    /// (NULL elements as NULL), as values of the column's element type;
    /// `Ok(false)` when the list itself is NULL.
    fn elements(&self, col: usize, each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<bool>;
}

struct NoLists;

impl Lists for NoLists {
    fn elements(&self, col: usize, _each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<bool> {
        Err(Error::not_implemented(format!("column {col}: this row source gives no list elements")))
    }
}

impl Conn {
    /// Load every row of `src` into `table` (one name, quoted as the
    /// engine quotes identifiers: no schema prefix), after making the
    /// table as `mode` says, with the engine's column type for each
    /// column's keel type. In one transaction when the connection is not
    /// in one (MySQL/MariaDB commit DDL at once, so there only the rows
    /// are in it); on failure it is rolled back. Returns the rows loaded.
    pub fn ingest(&self, table: &str, mode: IngestMode, src: &mut dyn RowSource) -> Result<u64> {
        let syntax = self.syntax();
        let quoted = syntax.quote_identifier(table)?;
        let cols = src.columns().to_vec();
        if cols.is_empty() {
            return Err(Error::invalid_argument(
                "the rows to ingest have no columns",
            ));
        }
        let names: Vec<String> = cols
            .iter()
            .map(|c| syntax.quote_identifier(&c.name))
            .collect::<Result<_>>()?;
        let col_type = |c: &IngestColumn| -> Result<String> {
            let ty = match c.list_of {
                None => self.column_type_sql(c.kind, c.decimal),
                Some(elem) => self.array_type_sql(elem, c.decimal),
            };
            ty.ok_or_else(|| {
                // With a decimal's precision and scale: an engine may take
                // decimals, but not that many digits (MySQL: 65, 30 after
                // the point).
                let kind = |k: Type| match (k, c.decimal) {
                    (Type::Decimal, Some((p, s))) => format!("decimal({p},{s})"),
                    _ => k.name().to_owned(),
                };
                let what = match c.list_of {
                    None => format!("{} values", kind(c.kind)),
                    Some(elem) => format!("lists of {} (an array column)", kind(elem)),
                };
                Error::new(Status::NotImplemented, format!("column {:?}: keel makes no {} column for {what}", c.name, syntax.engine))
            })
        };
        // A list goes only into an array column: checked in every mode.
        for c in cols.iter().filter(|c| c.list_of.is_some()) {
            col_type(c)?;
        }
        let create = || -> Result<String> {
            let mut defs = Vec::new();
            for (c, n) in cols.iter().zip(&names) {
                defs.push(format!("{n} {}", col_type(c)?));
            }
            Ok(format!("CREATE TABLE {quoted} ({})", defs.join(", ")))
        };
        // Made before anything runs: a column without a type fails every
        // mode that makes the table, with nothing dropped (MySQL commits a
        // DROP at once).
        let create = match mode {
            IngestMode::Append => String::new(),
            _ => create()?,
        };
        // Asked before any transaction: a failed statement would abort
        // PostgreSQL's.
        let exists = match mode {
            IngestMode::CreateAppend => self.table_exists(&quoted)?,
            _ => false,
        };
        self.as_one(|| -> Result<u64> {
            match mode {
                IngestMode::Create => {
                    self.exec(&create, &[])?;
                }
                IngestMode::Append => {}
                IngestMode::Replace => {
                    self.exec(&format!("DROP TABLE IF EXISTS {quoted}"), &[])?;
                    self.exec(&create, &[])?;
                }
                IngestMode::CreateAppend => {
                    if !exists {
                        self.exec(&create, &[])?;
                    }
                }
            }
            if !self.in_transaction() {
                // MySQL/MariaDB committed the DDL, and the transaction
                // with it (keel's or the caller's): the rows get one of
                // their own, which `as_one` ends when it began the first,
                // and which is the caller's to end otherwise (as the
                // transaction the rows would have gone into).
                self.begin(&TxOptions::default())?;
            }
            // The engine's bulk path, where it has one for these columns.
            let raw_names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
            let target = BulkTarget { table: &quoted, columns: &names, table_name: table, column_names: &raw_names };
            if let Some(n) = self.bulk_insert(&target, src)? {
                return Ok(n);
            }
            // One statement per batch, where the engine has one.
            let indexed = self.indexed_insert_sql(&quoted, &names);
            if let Some(mut stmt) = indexed.and_then(|sql| self.prepare(&sql).ok()) {
                let mut total = 0u64;
                while let Some(n) = src.next_indexed(&mut |rows| stmt.execute_indexed(rows))? {
                    total += n;
                }
                return Ok(total);
            }
            let marks = vec!["?"; cols.len()].join(", ");
            let mut stmt = self.prepare(&format!(
                "INSERT INTO {quoted} ({}) VALUES ({marks})",
                names.join(", ")
            ))?;
            let mut total = 0u64;
            while let Some(n) = src.next_batch(&mut stmt)? {
                total += n;
            }
            Ok(total)
        })
    }

    /// Whether `quoted` names a table (or view) the session can read.
    /// Inside a transaction the question is asked in a savepoint, where
    /// the engine has them: the error that answers "no" would abort a
    /// PostgreSQL transaction.
    fn table_exists(&self, quoted: &str) -> Result<bool> {
        const MARK: &str = "keel_ingest_exists";
        let saved = self.in_transaction() && self.savepoint(MARK).is_ok();
        let r = match self.query(&format!("SELECT * FROM {quoted} WHERE 1 = 0"), &[]) {
            Ok(rows) => {
                drop(rows);
                Ok(true)
            }
            Err(e) if e.status == Status::NotFound => Ok(false),
            Err(e) => Err(e),
        };
        if saved {
            if r != Ok(true) {
                self.rollback_to(MARK)?;
            }
            self.release(MARK)?;
        }
        r
    }
}
