//! The ADBC connection: one keel connection checked out for its life,
//! its transactions, and the metadata calls (`get_info`,
//! `get_table_types`, `get_table_schema`; `get_objects` is in `objects`).

use super::{KeelStatement, err, not_implemented, option_text, to_adbc, with_sqlstate};
use crate::codec::arrow::arrow_field;
use crate::core::catalog::{Catalog, TABLE_TYPES};
use crate::core::db::{Cancel, Conn, Db, Rows};
use crate::core::driver::{Isolation, TxOptions};
use crate::core::value::{Column, Type};
use adbc_core::constants;
use adbc_core::error::{Result as AdbcResult, Status as AdbcStatus};
use adbc_core::options::{InfoCode, ObjectDepth, OptionConnection, OptionValue};
use adbc_core::schemas::{GET_INFO_SCHEMA, GET_TABLE_TYPES_SCHEMA};
use adbc_core::{Connection, Optionable};
use arrow_array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, RecordBatchIterator, RecordBatchReader, StringArray,
    UInt32Array, UnionArray, new_empty_array,
};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, Schema};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

/// What a connection and its statements share.
pub(crate) struct Session {
    pub(crate) conn: Conn,
    /// Made when the connection opens: making one later would wait for the
    /// session a running statement holds.
    cancel: Option<Cancel>,
    tx: Mutex<TxState>,
}

struct TxState {
    autocommit: bool,
    opts: TxOptions,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Session {
    /// Whether the engine has array columns (`Driver::array_type_sql`:
    /// PostgreSQL), so that a bound list goes as an array's text.
    pub(crate) fn takes_arrays(&self) -> bool {
        self.conn.array_type_sql(Type::Text, None).is_some()
    }

    /// Before a statement runs: with autocommit off, open the transaction
    /// it runs in, if none is open.
    pub(crate) fn before_statement(&self) -> AdbcResult<()> {
        let st = lock(&self.tx);
        if !st.autocommit && !self.conn.in_transaction() {
            self.conn.begin(&st.opts).map_err(to_adbc)?;
        }
        Ok(())
    }

    /// Run `f` as one unit (`Conn::as_one`) with autocommit on, so that an
    /// ingest that creates its table and then fails leaves no table behind
    /// (on MySQL/MariaDB the CREATE TABLE commits by itself, as the server
    /// does with every DDL); with it off, in the connection's transaction.
    pub(crate) fn as_one<T>(&self, f: impl FnOnce() -> AdbcResult<T>) -> AdbcResult<T> {
        if !lock(&self.tx).autocommit {
            return f();
        }
        self.conn.as_one(f)
    }

    /// Cancel what runs on the connection (from any thread).
    pub(crate) fn cancel(&self) -> AdbcResult<()> {
        match &self.cancel {
            Some(c) => c.cancel().map_err(to_adbc),
            None => Err(not_implemented(format!("cancel on {}", self.conn.driver_name()))),
        }
    }
}

/// An ADBC connection.
pub struct KeelConnection {
    pub(crate) session: Arc<Session>,
}

/// ADBC's isolation level names and keel's levels.
const ISOLATION: [(&str, Isolation); 6] = [
    (constants::ADBC_OPTION_ISOLATION_LEVEL_DEFAULT, Isolation::Default),
    (constants::ADBC_OPTION_ISOLATION_LEVEL_READ_UNCOMMITTED, Isolation::ReadUncommitted),
    (constants::ADBC_OPTION_ISOLATION_LEVEL_READ_COMMITTED, Isolation::ReadCommitted),
    (constants::ADBC_OPTION_ISOLATION_LEVEL_REPEATABLE_READ, Isolation::RepeatableRead),
    (constants::ADBC_OPTION_ISOLATION_LEVEL_SNAPSHOT, Isolation::Snapshot),
    (constants::ADBC_OPTION_ISOLATION_LEVEL_SERIALIZABLE, Isolation::Serializable),
];

fn flag(key: &str, v: OptionValue) -> AdbcResult<bool> {
    match option_text(key, v)?.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(err(AdbcStatus::InvalidArguments, format!("option {key}: {other:?} is neither \"true\" nor \"false\""))),
    }
}

impl KeelConnection {
    pub(crate) fn new(db: &Db) -> AdbcResult<KeelConnection> {
        let conn = db.checkout().map_err(to_adbc)?;
        let cancel = conn.cancel_handle().ok();
        let tx = Mutex::new(TxState { autocommit: true, opts: TxOptions::default() });
        Ok(KeelConnection { session: Arc::new(Session { conn, cancel, tx }) })
    }

    fn conn(&self) -> &Conn {
        &self.session.conn
    }

    /// The transaction options can change only between transactions, and
    /// apply to those keel begins with autocommit off.
    fn tx_option(&self, key: &str, change: impl FnOnce(&mut TxOptions)) -> AdbcResult<()> {
        let mut st = lock(&self.session.tx);
        if st.autocommit {
            return Err(err(
                AdbcStatus::InvalidState,
                format!("option {key}: keel applies it to transactions; set adbc.connection.autocommit=false first"),
            ));
        }
        if self.conn().in_transaction() {
            return Err(err(AdbcStatus::InvalidState, format!("option {key}: a transaction is open; commit or roll back first")));
        }
        change(&mut st.opts);
        Ok(())
    }

    /// The catalog's answer to `q`, read to its end by `each`.
    pub(crate) fn ask(&self, q: &Catalog<'_>, mut each: impl FnMut(&Rows) -> AdbcResult<()>) -> AdbcResult<()> {
        let mut rows = self.conn().catalog(q).map_err(to_adbc)?;
        while rows.next().map_err(to_adbc)? {
            each(&rows)?;
        }
        Ok(())
    }
}

/// Column `i` of the current row as text (NULL: `None`).
pub(crate) fn text(rows: &Rows, i: usize) -> AdbcResult<Option<String>> {
    let v = rows.value(i).map_err(to_adbc)?;
    if v.is_null() {
        return Ok(None);
    }
    let mut s = String::new();
    v.write_text(&mut s).map_err(to_adbc)?;
    Ok(Some(s))
}

/// Column `i` of the current row as an integer (NULL: `None`).
pub(crate) fn int(rows: &Rows, i: usize) -> AdbcResult<Option<i64>> {
    let v = rows.value(i).map_err(to_adbc)?;
    if v.is_null() {
        return Ok(None);
    }
    v.as_i64().map(Some).map_err(to_adbc)
}

/// A name as a catalog pattern that matches only it.
pub(crate) fn exact(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    for c in name.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A reader over one batch.
pub(crate) fn one_batch(batch: RecordBatch) -> Box<dyn RecordBatchReader + Send> {
    let schema = batch.schema();
    Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema))
}

/// One `get_info` value.
enum Info {
    Text(String),
    Bool(bool),
    Int(i64),
}

impl Optionable for KeelConnection {
    type Option = OptionConnection;

    fn set_option(&mut self, key: OptionConnection, value: OptionValue) -> AdbcResult<()> {
        match key {
            OptionConnection::AutoCommit => {
                let on = flag(key.as_ref(), value)?;
                let mut st = lock(&self.session.tx);
                // Turning autocommit on commits the open transaction.
                if on && !st.autocommit && self.conn().in_transaction() {
                    self.conn().commit().map_err(to_adbc)?;
                }
                st.autocommit = on;
                Ok(())
            }
            OptionConnection::IsolationLevel => {
                let name = option_text(key.as_ref(), value)?;
                let Some(&(_, level)) = ISOLATION.iter().find(|(n, _)| *n == name) else {
                    return Err(not_implemented(format!("isolation level {name:?}: keel has no such level")));
                };
                self.tx_option(key.as_ref(), |o| o.isolation = level)
            }
            OptionConnection::ReadOnly => {
                let on = flag(key.as_ref(), value)?;
                self.tx_option(key.as_ref(), |o| o.read_only = on)
            }
            OptionConnection::CurrentCatalog | OptionConnection::CurrentSchema => {
                Err(not_implemented(format!("option {}: keel does not change it; name it in the SQL", key.as_ref())))
            }
            other => Err(not_implemented(format!("unknown connection option {:?}", other.as_ref()))),
        }
    }

    fn get_option_string(&self, key: OptionConnection) -> AdbcResult<String> {
        let st = lock(&self.session.tx);
        let yes_no = |b: bool| if b { "true" } else { "false" };
        match key {
            OptionConnection::AutoCommit => Ok(yes_no(st.autocommit).to_owned()),
            OptionConnection::ReadOnly => Ok(yes_no(st.opts.read_only).to_owned()),
            OptionConnection::IsolationLevel => {
                let level = st.opts.isolation;
                Ok(ISOLATION.iter().find(|(_, l)| *l == level).map(|(n, _)| *n).unwrap_or_default().to_owned())
            }
            OptionConnection::CurrentCatalog | OptionConnection::CurrentSchema => {
                Err(not_implemented(format!("option {}: keel does not report it", key.as_ref())))
            }
            other => Err(err(AdbcStatus::NotFound, format!("unknown connection option {:?}", other.as_ref()))),
        }
    }

    fn get_option_bytes(&self, key: OptionConnection) -> AdbcResult<Vec<u8>> {
        Err(err(AdbcStatus::NotFound, format!("connection option {:?} has no bytes value", key.as_ref())))
    }

    fn get_option_int(&self, key: OptionConnection) -> AdbcResult<i64> {
        Err(err(AdbcStatus::NotFound, format!("connection option {:?} has no integer value", key.as_ref())))
    }

    fn get_option_double(&self, key: OptionConnection) -> AdbcResult<f64> {
        Err(err(AdbcStatus::NotFound, format!("connection option {:?} has no double value", key.as_ref())))
    }
}

impl Connection for KeelConnection {
    type StatementType = KeelStatement;

    fn new_statement(&mut self) -> AdbcResult<KeelStatement> {
        Ok(KeelStatement::new(self.session.clone()))
    }

    fn cancel(&mut self) -> AdbcResult<()> {
        self.session.cancel()
    }

    fn get_info(&self, codes: Option<HashSet<InfoCode>>) -> AdbcResult<Box<dyn RecordBatchReader + Send + 'static>> {
        let all = [
            InfoCode::VendorName,
            InfoCode::VendorVersion,
            InfoCode::VendorSql,
            InfoCode::DriverName,
            InfoCode::DriverVersion,
            InfoCode::DriverArrowVersion,
            InfoCode::DriverAdbcVersion,
        ];
        let mut names = Vec::new();
        let mut values = Vec::new();
        for code in all {
            if codes.as_ref().is_some_and(|c| !c.contains(&code)) {
                continue;
            }
            let v = match code {
                InfoCode::VendorName => Info::Text(self.conn().driver_name().to_owned()),
                InfoCode::VendorVersion => Info::Text(self.conn().server_version().map_err(to_adbc)?),
                InfoCode::VendorSql => Info::Bool(true),
                InfoCode::DriverName => Info::Text("keel".to_owned()),
                InfoCode::DriverVersion => Info::Text(env!("CARGO_PKG_VERSION").to_owned()),
                InfoCode::DriverArrowVersion => Info::Text("arrow-rs 57".to_owned()),
                _ => Info::Int(constants::ADBC_VERSION_1_1_0 as i64),
            };
            names.push(u32::from(&code));
            values.push(v);
        }
        let DataType::Union(fields, _) = GET_INFO_SCHEMA.field(1).data_type().clone() else {
            return Err(err(AdbcStatus::Internal, "GET_INFO_SCHEMA's info_value is not a union"));
        };
        let mut type_ids = Vec::new();
        let mut offsets = Vec::new();
        let (mut texts, mut bools, mut ints) = (Vec::new(), Vec::new(), Vec::new());
        for v in values {
            match v {
                Info::Text(s) => {
                    type_ids.push(0i8);
                    offsets.push(texts.len() as i32);
                    texts.push(s);
                }
                Info::Bool(b) => {
                    type_ids.push(1);
                    offsets.push(bools.len() as i32);
                    bools.push(b);
                }
                Info::Int(i) => {
                    type_ids.push(2);
                    offsets.push(ints.len() as i32);
                    ints.push(i);
                }
            }
        }
        let mut children: Vec<ArrayRef> = Vec::new();
        for (id, f) in fields.iter() {
            children.push(match id {
                0 => Arc::new(StringArray::from(texts.clone())),
                1 => Arc::new(BooleanArray::from(bools.clone())),
                2 => Arc::new(Int64Array::from(ints.clone())),
                _ => new_empty_array(f.data_type()),
            });
        }
        let union = UnionArray::try_new(fields, ScalarBuffer::from(type_ids), Some(ScalarBuffer::from(offsets)), children)?;
        let batch =
            RecordBatch::try_new(GET_INFO_SCHEMA.clone(), vec![Arc::new(UInt32Array::from(names)), Arc::new(union) as ArrayRef])?;
        Ok(one_batch(batch))
    }

    fn get_objects(
        &self,
        depth: ObjectDepth,
        catalog: Option<&str>,
        db_schema: Option<&str>,
        table_name: Option<&str>,
        table_type: Option<Vec<&str>>,
        column_name: Option<&str>,
    ) -> AdbcResult<Box<dyn RecordBatchReader + Send + 'static>> {
        let batch = super::objects::get_objects(self, depth, catalog, db_schema, table_name, table_type, column_name)?;
        Ok(one_batch(batch))
    }

    fn get_table_schema(&self, catalog: Option<&str>, db_schema: Option<&str>, table_name: &str) -> AdbcResult<Schema> {
        let (schema_p, table_p) = (db_schema.map(exact), exact(table_name));
        let q = Catalog::Columns { catalog, schema: schema_p.as_deref(), table: Some(&table_p), column: None };
        let mut owner: Option<(Option<String>, Option<String>)> = None;
        let mut fields = Vec::new();
        self.ask(&q, |r| {
            // Several schemas may hold the table: the first one's.
            let this = (text(r, 0)?, text(r, 1)?);
            match &owner {
                None => owner = Some(this),
                Some(o) if *o != this => return Ok(()),
                Some(_) => {}
            }
            let name = text(r, 3)?.unwrap_or_default();
            let kind = int(r, 5)?.and_then(|n| Type::from_i32(n as i32)).unwrap_or(Type::Null);
            let type_name = text(r, 6)?.unwrap_or_default();
            let nullable = int(r, 7)? != Some(0);
            let decimal = match (int(r, 10)?, int(r, 11)?) {
                (Some(p), s) if (1..=76).contains(&p) && (0..=p).contains(&s.unwrap_or(0)) => Some((p as u8, s.unwrap_or(0) as i8)),
                _ => Column::decimal_from_type_name(&type_name),
            };
            fields.push(arrow_field(&name, kind, if kind == Type::Decimal { decimal } else { None }, nullable));
            Ok(())
        })?;
        if owner.is_none() {
            // ODBC's SQLSTATE for a table not found (MySQL's and SQL Server's).
            return Err(with_sqlstate(err(AdbcStatus::NotFound, format!("no table {table_name:?} found")), "42S02"));
        }
        Ok(Schema::new(fields))
    }

    fn get_table_types(&self) -> AdbcResult<Box<dyn RecordBatchReader + Send + 'static>> {
        let types = StringArray::from(TABLE_TYPES.to_vec());
        let batch = RecordBatch::try_new(GET_TABLE_TYPES_SCHEMA.clone(), vec![Arc::new(types)])?;
        Ok(one_batch(batch))
    }

    fn get_statistic_names(&self) -> AdbcResult<Box<dyn RecordBatchReader + Send + 'static>> {
        Err(not_implemented("statistics"))
    }

    fn get_statistics(
        &self,
        _catalog: Option<&str>,
        _db_schema: Option<&str>,
        _table_name: Option<&str>,
        _approximate: bool,
    ) -> AdbcResult<Box<dyn RecordBatchReader + Send + 'static>> {
        Err(not_implemented("statistics"))
    }

    fn commit(&mut self) -> AdbcResult<()> {
        if lock(&self.session.tx).autocommit {
            return Err(err(AdbcStatus::InvalidState, "commit: autocommit is on"));
        }
        if self.conn().in_transaction() { self.conn().commit().map_err(to_adbc) } else { Ok(()) }
    }

    fn rollback(&mut self) -> AdbcResult<()> {
        if lock(&self.session.tx).autocommit {
            return Err(err(AdbcStatus::InvalidState, "rollback: autocommit is on"));
        }
        if self.conn().in_transaction() { self.conn().rollback().map_err(to_adbc) } else { Ok(()) }
    }

    fn read_partition(&self, _partition: impl AsRef<[u8]>) -> AdbcResult<Box<dyn RecordBatchReader + Send + 'static>> {
        Err(not_implemented("partitioned results"))
    }
}

