//! The ADBC statement: keel's prepared statement, with Arrow parameters
//! run a row at a time, and results as keel's Arrow stream.

use super::connection::Session;
use super::ingest::{self, Ingest};
use super::params::row_values;
use super::{err, not_implemented, option_text, to_adbc};
use crate::codec::arrow::{ArrowReader, column_field};
use crate::core::db::Stmt;
use crate::core::value::{Value, ValueRef};
use adbc_core::error::{Result as AdbcResult, Status as AdbcStatus};
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
            self.stmt = Some(self.session.conn.prepare(sql).map_err(to_adbc)?);
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
}

impl Iterator for PerRow {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let current = self.current.as_mut()?;
            match current.next() {
                Some(Ok(b)) if b.schema() != self.schema => {
                    self.current = None;
                    self.params.clear();
                    return Some(Err(ArrowError::SchemaError(format!(
                        "keel: a row of parameters gave the result schema {}, not the first row's {}",
                        b.schema(),
                        self.schema
                    ))));
                }
                Some(b) => return Some(b),
                None => {
                    if let Err(e) = self.advance() {
                        self.params.clear();
                        return Some(Err(ArrowError::ExternalError(Box::new(e))));
                    }
                }
            }
        }
    }
}

impl RecordBatchReader for PerRow {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
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
            // Ingest returns no rows: an empty stream.
            self.run_ingest()?;
            let schema = Arc::new(Schema::empty());
            return Ok(Box::new(arrow_array::RecordBatchIterator::new(Vec::new(), schema)));
        }
        self.session.before_statement()?;
        let bound = self.bound.take();
        let arrays = self.session.takes_arrays();
        let stmt = self.prepared()?;
        let Some(bound) = bound else { return Ok(Box::new(reader_of(stmt)?)) };
        let mut params = VecDeque::new();
        KeelStatement::each_row(bound, arrays, |r| {
            params.push_back(r.to_vec());
            Ok(())
        })?;
        if params.len() == 1 {
            KeelStatement::bind_row(stmt, &params[0])?;
            return Ok(Box::new(reader_of(stmt)?));
        }
        // Several rows: the query once per row, the results one after the
        // other, on a statement of the stream's own.
        let sql = self.sql.clone().unwrap_or_default();
        let stmt = self.session.conn.prepare(&sql).map_err(to_adbc)?;
        let mut reader = PerRow { stmt, params, current: None, schema: Arc::new(Schema::empty()) };
        reader.advance()?;
        let Some(first) = &reader.current else {
            return Err(err(AdbcStatus::InvalidArguments, "the bound parameters have no rows"));
        };
        reader.schema = first.schema();
        Ok(Box::new(reader))
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
