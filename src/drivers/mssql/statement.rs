//! A statement, run through `sp_executesql`, and described before it runs
//! through `sp_describe_first_result_set`.

use super::{rows::*, session::*, sql::*};
use super::*;
use crate::core::driver::{DriverRows, DriverStmt, ExecResult};
use crate::core::error::{Error, Result, Status};
use crate::core::value::{Column, Nullable, ValueRef};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tiberius::{ColumnData, QueryStream, ToSql};
use types::Cell;



pub(super) struct MsStmt {
    pub(super) id: u64,
    pub(super) shared: Arc<Shared>,
    pub(super) sql: String,
    pub(super) markers: Vec<Marker>,
    pub(super) params: Vec<ColumnData<'static>>,
    /// Which parameters are bound to NULL.
    pub(super) null: Vec<bool>,
    /// What `sp_describe_first_result_set` answered, once asked: the
    /// columns, or why the server could not tell (`NotImplemented`).
    pub(super) described: Option<Result<Arc<[Column]>>>,
}

impl MsStmt {
    /// The SQL and the parameters to send. A parameter bound to NULL is
    /// written into the SQL as the literal `NULL` (and the others are
    /// renumbered): a NULL parameter would need a type, keel's NULL has
    /// none, and SQL Server will not convert the nvarchar NULL drivers send
    /// by default into a binary column (error 257), while the literal goes
    /// anywhere a NULL can. The SQL then differs by which parameters are
    /// NULL, so the server keeps a plan for each such pattern.
    fn request(&self) -> (std::borrow::Cow<'_, str>, Vec<&dyn ToSql>) {
        if !self.null.iter().any(|n| *n) {
            return (self.sql.as_str().into(), self.params.iter().map(|p| p as &dyn ToSql).collect());
        }
        let kept = self.params.iter().zip(&self.null).filter(|(_, n)| !**n).map(|(p, _)| p as &dyn ToSql).collect();
        (inline_nulls(&self.sql, &self.markers, &self.null).into(), kept)
    }

    /// Ask the server what the first result of the statement, as it would
    /// be sent now, looks like.
    fn describe(&mut self) -> Result<Arc<[Column]>> {
        let c = self.shared.client()?;
        let (sql, _) = self.request();
        let sql = sql.into_owned();
        // The declarations sp_executesql would get for the parameters sent.
        let decls: Vec<String> = self
            .params
            .iter()
            .zip(&self.null)
            .filter(|(_, null)| !**null)
            .enumerate()
            .map(|(i, (p, _))| format!("@P{} {}", i + 1, param_decl(p)))
            .collect();
        let decls = (!decls.is_empty()).then(|| decls.join(", "));
        let asked = self.shared.run(async move {
            let q = "EXEC sp_describe_first_result_set @tsql = @P1, @params = @P2, @browse_information_mode = 0";
            c.query(q, &[&sql as &dyn ToSql, &decls]).await?.into_first_result().await
        });
        let rows = match asked {
            Ok(rows) => rows,
            // The server's own refusal (dynamic SQL, a temporary table the
            // statement creates, a parameter whose type decides the result,
            // an error in the SQL): it cannot tell before the statement
            // runs. The run reports a real error in the SQL.
            Err(e) if e.vendor_code != 0 && !self.shared.broken.load(Ordering::Acquire) => {
                let mut e = Error::not_implemented(format!(
                    "SQL Server cannot describe this statement's result before it runs (sp_describe_first_result_set: {}); \
                     run it and read the columns of its cursor",
                    e.message
                ))
                .with_driver("mssql");
                e.vendor_code = 0;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let mut cols: Vec<(i32, Column)> = Vec::with_capacity(rows.len());
        for r in &rows {
            let bad = |what: &str| {
                Error::new(Status::InvalidData, format!("sp_describe_first_result_set gave no {what}")).with_driver("mssql")
            };
            if r.try_get::<bool, _>("is_hidden").ok().flatten().unwrap_or(false) {
                continue;
            }
            let ordinal = r.try_get::<i32, _>("column_ordinal").ok().flatten().ok_or_else(|| bad("column_ordinal"))?;
            let name = r.try_get::<&str, _>("name").ok().flatten().unwrap_or("");
            let type_name = r.try_get::<&str, _>("system_type_name").ok().flatten().ok_or_else(|| bad("system_type_name"))?;
            let nullable = match r.try_get::<bool, _>("is_nullable").ok().flatten() {
                Some(true) => Nullable::Yes,
                Some(false) => Nullable::No,
                None => Nullable::Unknown,
            };
            let (kind, engine_type) = types::classify_name(type_name);
            cols.push((ordinal, Column { name: name.to_owned(), kind, engine_type, nullable, decimal: None, list_of: None }));
        }
        cols.sort_by_key(|(o, _)| *o);
        Ok(cols.into_iter().map(|(_, c)| c).collect())
    }
}

/// How `sp_executesql` declares a parameter of this value (as tiberius
/// declares it when it sends the statement).
fn param_decl(p: &ColumnData<'_>) -> String {
    match p {
        ColumnData::Bit(_) => "bit".into(),
        ColumnData::U8(_) => "tinyint".into(),
        ColumnData::I16(_) => "smallint".into(),
        ColumnData::I32(_) => "int".into(),
        ColumnData::I64(_) => "bigint".into(),
        ColumnData::F32(_) => "float(24)".into(),
        ColumnData::F64(_) => "float(53)".into(),
        ColumnData::String(Some(s)) if s.len() > 4000 => "nvarchar(max)".into(),
        ColumnData::String(_) => "nvarchar(4000)".into(),
        ColumnData::Binary(Some(b)) if b.len() > 8000 => "varbinary(max)".into(),
        ColumnData::Binary(_) => "varbinary(8000)".into(),
        ColumnData::Numeric(Some(n)) => format!("numeric({},{})", n.precision(), n.scale()),
        ColumnData::Numeric(None) => "numeric".into(),
        ColumnData::Guid(_) => "uniqueidentifier".into(),
        ColumnData::Date(_) => "date".into(),
        ColumnData::Time(_) => "time".into(),
        ColumnData::DateTime2(_) => "datetime2".into(),
        ColumnData::DateTimeOffset(_) => "datetimeoffset".into(),
        ColumnData::DateTime(_) => "datetime".into(),
        ColumnData::SmallDateTime(_) => "smalldatetime".into(),
        ColumnData::Xml(_) => "xml".into(),
    }
}

/// `sql` with each `@Pn` whose parameter is NULL written as `NULL`, and the
impl DriverStmt for MsStmt {
    fn param_count(&self) -> usize {
        self.params.len()
    }

    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        self.params[index] = types::to_param(value)?;
        self.null[index] = matches!(value, ValueRef::Null);
        Ok(())
    }

    fn bind_timestamptz_offset(&mut self, index: usize, micros: i64, offset_seconds: i32) -> Result<()> {
        self.params[index] = types::to_datetimeoffset(micros, offset_seconds)?;
        self.null[index] = false;
        Ok(())
    }

    fn clear_bindings(&mut self) -> Result<()> {
        self.params.iter_mut().for_each(|p| *p = ColumnData::String(None));
        self.null.iter_mut().for_each(|n| *n = true);
        Ok(())
    }

    fn result_columns(&mut self) -> Result<Arc<[Column]>> {
        if let Some(d) = &self.described {
            return d.clone();
        }
        let d = self.describe();
        // The answer is kept, and so is the server's refusal; an error of
        // the connection is not (asking again may work).
        if d.is_ok() || d.as_ref().is_err_and(|e| e.status == Status::NotImplemented) {
            self.described = Some(d.clone());
        }
        d
    }

    fn execute(&mut self) -> Result<ExecResult> {
        let c = self.shared.client_for(self.id)?;
        self.shared.ran_sql.store(true, Ordering::Release);
        let (sql, refs) = self.request();
        let sql = sql.as_ref();
        let n = self.shared.run(async move { Ok(c.execute(sql, &refs).await?.total()) })?;
        Ok(ExecResult { rows_affected: n, last_insert_id: None })
    }

    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let c = self.shared.client_for(self.id)?;
        self.shared.ran_sql.store(true, Ordering::Release);
        let (sql, refs) = self.request();
        let sql = sql.as_ref();
        self.shared.ctl.arm();
        let opened = self.shared.wait(async move {
            let mut s = c.query(sql, &refs).await?;
            let cols: Vec<tiberius::Column> = s.columns().await?.map(<[_]>::to_vec).unwrap_or_default();
            Ok::<_, tiberius::error::Error>((s, cols))
        });
        let (stream, cols) = match opened {
            Ok(r) => match self.shared.check(r) {
                Ok(v) => v,
                Err(e) => {
                    self.shared.ctl.disarm();
                    return Err(e);
                }
            },
            Err(stop) => return Err(self.shared.interrupt(stop, true)),
        };
        let mut columns = Vec::with_capacity(cols.len());
        let mut types = Vec::with_capacity(cols.len());
        for c in &cols {
            let (kind, name) = types::classify(c.column_type());
            columns.push(Column { name: c.name().to_owned(), kind, engine_type: name.to_owned(), nullable: Nullable::Unknown, decimal: None, list_of: None });
            types.push(c.column_type());
        }
        // SAFETY: the stream borrows the client inside `self.shared`; it is
        // kept in the same struct, declared before the client so it drops
        // first, and the slot keeps every other user off the client meanwhile.
        let stream: QueryStream<'static> = unsafe { std::mem::transmute(stream) };
        let generation = self.shared.cursor.open(self.id, stream);
        let n = columns.len();
        Ok(Box::new(MsRows {
            generation,
            done: false,
            seen_metadata: false,
            row: None,
            cells: vec![Cell::Null; n],
            texts: vec![Vec::new(); n],
            columns,
            types,
            shared: self.shared.clone(),
        }))
    }
}
