//! A statement, run through `sp_executesql`.

use super::{rows::*, session::*, sql::*};
use super::*;
use crate::core::driver::{DriverRows, DriverStmt, ExecResult};
use crate::core::error::Result;
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
            columns.push(Column { name: c.name().to_owned(), kind, engine_type: name.to_owned(), nullable: Nullable::Unknown });
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
