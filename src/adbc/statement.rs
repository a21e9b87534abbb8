//! The ADBC statement: keel's prepared statement, with Arrow parameters
//! run a row at a time, and results as keel's Arrow stream.

use super::connection::Session;
use super::ingest::{self, Ingest};
use super::params::row_values;
use super::export::{Executed, StreamError, note_executed};
use super::{err, not_implemented, option_text, to_adbc};
use crate::codec::arrow::{ArrowReader, column_field};
use crate::core::db::Stmt;
use crate::core::driver::Capability;
use crate::core::value::{Value, ValueRef};
use adbc_core::error::{Error as AdbcError, Result as AdbcResult, Status as AdbcStatus};
use adbc_core::options::{OptionStatement, OptionValue};
use adbc_core::{Optionable, PartitionedResult, Statement};
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use std::collections::VecDeque;
use std::sync::Arc;

/// Parameters bound with `bind` or `bind_stream`.
enum Bound {
    Batch(RecordBatch),
    Stream(Box<dyn RecordBatchReader + Send>),
}

/// An ADBC statement.
pub struct KeelStatement {
    session: Arc<Session>,
    sql: Option<String>,
    stmt: Option<Stmt>,
    bound: Option<Bound>,
    ingest: Ingest,
}

impl KeelStatement {
    pub(crate) fn new(session: Arc<Session>) -> KeelStatement {
        KeelStatement { session, sql: None, stmt: None, bound: None, ingest: Ingest::default() }
    }

    /// The prepared statement, prepared now if it was not.
    fn prepared(&mut self) -> AdbcResult<&mut Stmt> {
        if self.stmt.is_none() {
            let sql = self.sql.as_deref().ok_or_else(|| err(AdbcStatus::InvalidState, "no SQL query was set"))?;
            // From the connection's statement cache: a cached statement the
            // engine refuses as stale after a schema change (PostgreSQL's
            // "cached plan must not change result type") is prepared again
            // and run once more (`Stmt::execute`, `Stmt::query`).
            self.stmt = Some(self.session.conn.prepare_cached(sql).map_err(to_adbc)?);
        }
        Ok(self.stmt.as_mut().expect("prepared above"))
    }

    /// Each row of the bound parameters, in order, to `f` (`arrays`: see
    /// `row_values`).
    fn each_row(bound: Bound, arrays: bool, mut f: impl FnMut(&[Value]) -> AdbcResult<()>) -> AdbcResult<()> {
        let mut run = |b: &RecordBatch| -> AdbcResult<()> {
            for row in 0..b.num_rows() {
                f(&row_values(b, row, arrays)?)?;
            }
            Ok(())
        };
        match bound {
            Bound::Batch(b) => run(&b),
            Bound::Stream(reader) => {
                for b in reader {
                    run(&b?)?;
                }
                Ok(())
            }
        }
    }

    fn bind_row(stmt: &mut Stmt, values: &[Value]) -> AdbcResult<()> {
        let refs: Vec<ValueRef<'_>> = values.iter().map(Value::as_ref).collect();
        stmt.bind_all(&refs).map_err(to_adbc)
    }

    /// Whether `execute` asks the prepared statement for its result
    /// columns first, to run one without any to completion for its count
    /// of rows affected: where the engine knows them from the prepare
    /// (`Capability::ColumnsAfterPrepare`) without asking the server again
    /// (SQL Server would, on every statement).
    fn counts_rows(&self) -> bool {
        let conn = &self.session.conn;
        conn.driver_name() != "mssql" && conn.supports(Capability::ColumnsAfterPrepare).unwrap_or(false)
    }

    /// Whether this statement ingests (a target table and no SQL).
    fn ingests(&self) -> bool {
        self.ingest.table.is_some() && self.sql.is_none()
    }

    /// Bulk ingest: the table as the mode says, then the rows through
    /// keel's ingest (or a batch of the INSERT).
    fn run_ingest(&mut self) -> AdbcResult<i64> {
        let session = self.session.clone();
        session.as_one(|| self.load())
    }

    /// `run_ingest`'s work, in the transaction it runs in.
    fn load(&mut self) -> AdbcResult<i64> {
        let bound = self.bound.take().ok_or_else(|| err(AdbcStatus::InvalidState, "ingest needs bound data (bind or bind_stream)"))?;
        let schema = match &bound {
            Bound::Batch(b) => b.schema(),
            Bound::Stream(r) => r.schema(),
        };
        self.session.before_statement()?;
        let insert = ingest::prepare(&self.session, &self.ingest, &schema)?;
        // The rows: through keel's own ingest (PostgreSQL's binary COPY,
        // multi-row INSERTs elsewhere) into the table `prepare` made ready,
        // when it is named by itself and keel takes every column's type.
        if self.ingest.schema.is_none() && crate::codec::arrow::ingest_columns(&schema).is_ok() {
            let table = self.ingest.table.as_deref().expect("ingests() says there is a table");
            let reader: Box<dyn RecordBatchReader + Send> = match bound {
                Bound::Batch(b) => {
                    let schema = b.schema();
                    Box::new(arrow_array::RecordBatchIterator::new(vec![Ok(b)], schema))
                }
                Bound::Stream(r) => r,
            };
            let mut src = crate::codec::arrow::ArrowSource::new(reader).map_err(to_adbc)?;
            let total = self.session.conn.ingest(table, crate::core::ingest::IngestMode::Append, &mut src).map_err(to_adbc)?;
            return Ok(i64::try_from(total).unwrap_or(i64::MAX));
        }
        // Otherwise one batch of the prepared INSERT (multi-row INSERTs or
        // a pipeline where the engine has them).
        // A batch per record batch, so a stream is never held whole.
        let mut stmt = self.session.conn.prepare(&insert).map_err(to_adbc)?;
        let arrays = self.session.takes_arrays();
        let n = schema.fields().len();
        let mut total: u64 = 0;
        let mut run = |b: &RecordBatch| -> AdbcResult<()> {
            let mut vals: Vec<Value> = Vec::with_capacity(b.num_rows() * n);
            for row in 0..b.num_rows() {
                vals.extend(row_values(b, row, arrays)?);
            }
            let refs: Vec<ValueRef<'_>> = vals.iter().map(Value::as_ref).collect();
            total += stmt.execute_batch(refs.chunks(n)).map_err(to_adbc)?.rows_affected;
            Ok(())
        };
        match bound {
            Bound::Batch(b) => run(&b)?,
            Bound::Stream(reader) => {
                for b in reader {
                    run(&b?)?;
                }
            }
        }
        Ok(i64::try_from(total).unwrap_or(i64::MAX))
    }

    fn check_no_ingest(&self) -> AdbcResult<()> {
        if self.ingests() {
            return Err(err(AdbcStatus::InvalidState, "the statement ingests (adbc.ingest.target_table): it has no result schema"));
        }
        Ok(())
    }
}

/// The stream of a statement's result.
fn reader_of(stmt: &mut Stmt) -> AdbcResult<ArrowReader> {
    let rows = stmt.query().map_err(to_adbc)?;
    let batch_rows = rows.arrow_batch_rows();
    ArrowReader::new(rows, batch_rows).map_err(to_adbc)
}

/// The message of a keel error as the Arrow stream reports it
/// (`get_last_error`), as `codec::arrow`'s reader gives it: keel's status
/// name, then its message. NUL bytes, which a C string cannot hold,
/// become `?`.
fn stream_error(e: &crate::Error) -> ArrowError {
    let msg = format!("keel: {}: {}", e.status.as_str(), e).replace('\0', "?");
    match e.status {
        crate::core::error::Status::Io => ArrowError::IoError(msg.clone(), std::io::Error::other(msg)),
        _ => ArrowError::ComputeError(msg),
    }
}

/// An ADBC error as the Arrow stream reports it.
fn stream_error_of(e: &AdbcError) -> ArrowError {
    let msg = e.message.replace('\0', "?");
    match e.status {
        AdbcStatus::IO => ArrowError::IoError(msg.clone(), std::io::Error::other(msg)),
        _ => ArrowError::ComputeError(msg),
    }
}

/// Where the rows of a `Results` come from.
enum Source {
    One(ArrowReader),
    PerRow(PerRow),
}

/// A statement's result stream as `execute` returns it: its batches, and
/// the error that ended it kept as ADBC's (status, SQLSTATE, details) for
/// `AdbcErrorFromArrayStream` (`export`).
struct Results {
    source: Source,
    schema: SchemaRef,
    errors: StreamError,
    done: bool,
}

impl Results {
    fn new(source: Source) -> Results {
        let schema = match &source {
            Source::One(r) => r.schema(),
            Source::PerRow(p) => p.schema.clone(),
        };
        Results { source, schema, errors: StreamError::default(), done: false }
    }

    fn fail(&mut self, arrow: ArrowError, adbc: AdbcError) -> Option<Result<RecordBatch, ArrowError>> {
        self.done = true;
        *self.errors.lock().unwrap_or_else(|p| p.into_inner()) = Some(adbc);
        Some(Err(arrow))
    }
}

impl Iterator for Results {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // A panic must not unwind into the C caller of get_next.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &mut self.source {
            Source::One(r) => r.next_batch().map_err(Failure::Keel),
            Source::PerRow(p) => p.next_batch(),
        }));
        match r {
            Ok(Ok(Some(b))) => Some(Ok(b)),
            Ok(Ok(None)) => {
                self.done = true;
                None
            }
            Ok(Err(Failure::Keel(e))) => {
                let arrow = stream_error(&e);
                self.fail(arrow, to_adbc(e))
            }
            Ok(Err(Failure::Adbc(e))) => {
                let arrow = stream_error_of(&e);
                self.fail(arrow, e)
            }
            Err(_) => {
                let e = err(AdbcStatus::Internal, "an internal error (a panic) while reading the result");
                self.fail(ArrowError::ComputeError("keel PANIC: an internal error (a panic) while reading the result".into()), e)
            }
        }
    }
}

impl RecordBatchReader for Results {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Why a stream stopped: an error of the engine (its message as
/// `codec::arrow` words it) or of the ADBC layer.
enum Failure {
    Keel(crate::Error),
    Adbc(AdbcError),
}

/// A query run once per row of parameters, its results in row order as
/// one stream. Every run must give the first run's schema.
struct PerRow {
    stmt: Stmt,
    params: VecDeque<Vec<Value>>,
    current: Option<ArrowReader>,
    schema: SchemaRef,
}

impl PerRow {
    /// Run the query with the next row of parameters (none left: `current`
    /// is `None`).
    fn advance(&mut self) -> AdbcResult<()> {
        self.current = None;
        if let Some(row) = self.params.pop_front() {
            KeelStatement::bind_row(&mut self.stmt, &row)?;
            self.current = Some(reader_of(&mut self.stmt)?);
        }
        Ok(())
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>, Failure> {
        loop {
            let Some(current) = self.current.as_mut() else { return Ok(None) };
            match current.next_batch() {
                Ok(Some(b)) if b.schema() != self.schema => {
                    self.current = None;
                    self.params.clear();
                    return Err(Failure::Adbc(err(
                        AdbcStatus::InvalidData,
                        format!("a row of parameters gave the result schema {}, not the first row's {}", b.schema(), self.schema),
                    )));
                }
                Ok(Some(b)) => return Ok(Some(b)),
                Err(e) => {
                    self.current = None;
                    self.params.clear();
                    return Err(Failure::Keel(e));
                }
                Ok(None) => {
                    if let Err(e) = self.advance() {
                        self.params.clear();
                        return Err(Failure::Adbc(e));
                    }
                }
            }
        }
    }
}

/// A stream of no rows and no columns: the result of a statement that
/// returns none.
fn no_rows() -> Box<dyn RecordBatchReader + Send + 'static> {
    Box::new(arrow_array::RecordBatchIterator::new(Vec::new(), Arc::new(Schema::empty())))
}

/// `results` as `execute` returns it, having told `StatementExecuteQuery`
/// (`export`) that the rows affected are not known and where its error
/// goes.
fn returned(results: Results) -> Box<dyn RecordBatchReader + Send + 'static> {
    note_executed(Executed { rows_affected: -1, errors: Some(results.errors.clone()) });
    Box::new(results)
}

/// No rows, and `n` rows affected.
fn affected(n: u64) -> Box<dyn RecordBatchReader + Send + 'static> {
    note_executed(Executed { rows_affected: i64::try_from(n).unwrap_or(i64::MAX), errors: None });
    no_rows()
}

impl Optionable for KeelStatement {
    type Option = OptionStatement;

    fn set_option(&mut self, key: OptionStatement, value: OptionValue) -> AdbcResult<()> {
        let text = option_text(key.as_ref(), value)?;
        match key {
            OptionStatement::TargetTable => {
                self.ingest.table = Some(text);
                self.sql = None;
                self.stmt = None;
            }
            OptionStatement::TargetDbSchema => self.ingest.schema = Some(text),
            OptionStatement::TargetCatalog => self.ingest.catalog = Some(text),
            OptionStatement::IngestMode => self.ingest.mode = Some(text),
            OptionStatement::Temporary => {
                self.ingest.temporary = match text.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(err(AdbcStatus::InvalidArguments, format!("{}: {other:?} is neither \"true\" nor \"false\"", key.as_ref())));
                    }
                }
            }
            other => return Err(not_implemented(format!("unknown statement option {:?}", other.as_ref()))),
        }
        Ok(())
    }

    fn get_option_string(&self, key: OptionStatement) -> AdbcResult<String> {
        let v = match key {
            OptionStatement::TargetTable => self.ingest.table.clone(),
            OptionStatement::TargetDbSchema => self.ingest.schema.clone(),
            OptionStatement::TargetCatalog => self.ingest.catalog.clone(),
            OptionStatement::IngestMode => self.ingest.mode.clone(),
            OptionStatement::Temporary => Some(self.ingest.temporary.to_string()),
            _ => None,
        };
        v.ok_or_else(|| err(AdbcStatus::NotFound, format!("statement option {:?} is not set", key.as_ref())))
    }

    fn get_option_bytes(&self, key: OptionStatement) -> AdbcResult<Vec<u8>> {
        Err(err(AdbcStatus::NotFound, format!("statement option {:?} has no bytes value", key.as_ref())))
    }

    fn get_option_int(&self, key: OptionStatement) -> AdbcResult<i64> {
        Err(err(AdbcStatus::NotFound, format!("statement option {:?} has no integer value", key.as_ref())))
    }

    fn get_option_double(&self, key: OptionStatement) -> AdbcResult<f64> {
        Err(err(AdbcStatus::NotFound, format!("statement option {:?} has no double value", key.as_ref())))
    }
}

impl Statement for KeelStatement {
    fn bind(&mut self, batch: RecordBatch) -> AdbcResult<()> {
        self.bound = Some(Bound::Batch(batch));
        Ok(())
    }

    fn bind_stream(&mut self, reader: Box<dyn RecordBatchReader + Send>) -> AdbcResult<()> {
        self.bound = Some(Bound::Stream(reader));
        Ok(())
    }

    fn execute(&mut self) -> AdbcResult<Box<dyn RecordBatchReader + Send + 'static>> {
        if self.ingests() {
            // Ingest returns no rows: an empty stream, and the rows it loaded.
            let n = self.run_ingest()?;
            return Ok(affected(u64::try_from(n).unwrap_or(0)));
        }
        self.session.before_statement()?;
        let bound = self.bound.take();
        let arrays = self.session.takes_arrays();
        let counts = self.counts_rows();
        let stmt = self.prepared()?;
        // A statement that returns no rows runs to completion, which gives
        // its count of rows affected (a query's is not known).
        let no_result = counts && stmt.columns().is_ok_and(|c| c.is_empty());
        let Some(bound) = bound else {
            if no_result {
                return Ok(affected(stmt.execute().map_err(to_adbc)?.rows_affected));
            }
            return Ok(returned(Results::new(Source::One(reader_of(stmt)?))));
        };
        if no_result {
            let mut total: u64 = 0;
            KeelStatement::each_row(bound, arrays, |r| {
                KeelStatement::bind_row(stmt, r)?;
                total += stmt.execute().map_err(to_adbc)?.rows_affected;
                Ok(())
            })?;
            return Ok(affected(total));
        }
        let mut params = VecDeque::new();
        KeelStatement::each_row(bound, arrays, |r| {
            params.push_back(r.to_vec());
            Ok(())
        })?;
        if params.len() == 1 {
            KeelStatement::bind_row(stmt, &params[0])?;
            return Ok(returned(Results::new(Source::One(reader_of(stmt)?))));
        }
        // Several rows: the query once per row, the results one after the
        // other, on a statement of the stream's own.
        let sql = self.sql.clone().unwrap_or_default();
        let stmt = self.session.conn.prepare_cached(&sql).map_err(to_adbc)?;
        let mut reader = PerRow { stmt, params, current: None, schema: Arc::new(Schema::empty()) };
        reader.advance()?;
        let Some(first) = &reader.current else {
            return Err(err(AdbcStatus::InvalidArguments, "the bound parameters have no rows"));
        };
        reader.schema = first.schema();
        Ok(returned(Results::new(Source::PerRow(reader))))
    }

    fn execute_update(&mut self) -> AdbcResult<Option<i64>> {
        if self.ingests() {
            return self.run_ingest().map(Some);
        }
        self.session.before_statement()?;
        let bound = self.bound.take();
        let arrays = self.session.takes_arrays();
        let stmt = self.prepared()?;
        let mut total: u64 = 0;
        match bound {
            None => total = stmt.execute().map_err(to_adbc)?.rows_affected,
            Some(bound) => KeelStatement::each_row(bound, arrays, |r| {
                KeelStatement::bind_row(stmt, r)?;
                total += stmt.execute().map_err(to_adbc)?.rows_affected;
                Ok(())
            })?,
        }
        Ok(Some(i64::try_from(total).unwrap_or(i64::MAX)))
    }

    fn execute_schema(&mut self) -> AdbcResult<Schema> {
        self.check_no_ingest()?;
        let cols = self.prepared()?.columns().map_err(to_adbc)?;
        Ok(Schema::new(cols.iter().map(|c| column_field(c, true)).collect::<Vec<_>>()))
    }

    fn execute_partitions(&mut self) -> AdbcResult<PartitionedResult> {
        Err(not_implemented("partitioned results"))
    }

    fn get_parameter_schema(&self) -> AdbcResult<Schema> {
        let stmt = self.stmt.as_ref().ok_or_else(|| err(AdbcStatus::InvalidState, "the statement is not prepared"))?;
        // keel does not know parameter types before they are bound: null.
        Ok(Schema::new((0..stmt.param_count()).map(|i| Field::new(i.to_string(), DataType::Null, true)).collect::<Vec<_>>()))
    }

    fn prepare(&mut self) -> AdbcResult<()> {
        self.prepared().map(|_| ())
    }

    fn set_sql_query(&mut self, query: impl AsRef<str>) -> AdbcResult<()> {
        self.sql = Some(query.as_ref().to_owned());
        self.stmt = None;
        self.ingest = Ingest::default();
        Ok(())
    }

    fn set_substrait_plan(&mut self, _plan: impl AsRef<[u8]>) -> AdbcResult<()> {
        Err(not_implemented("Substrait plans"))
    }

    fn cancel(&mut self) -> AdbcResult<()> {
        self.session.cancel()
    }
}
