//! What the core promises for a driver that implements only the required
//! parts of the driver traits (an engine added later, or one loaded at
//! run time): it claims no capability, and a statement's result is not
//! known before it runs (`NOT_IMPLEMENTED`, never "0 columns"), while
//! running it works as usual.

use keel::core::driver::{
    CancelHandle, Capability, Connector, Driver, DriverConn, DriverRows, DriverStmt, ExecResult, TxOptions,
};
use keel::core::options::{OptSpec, Options};
use keel::core::registry::Registry;
use keel::core::url::ConnUrl;
use keel::{Column, Db, Error, Nullable, Result, Status, Type, ValueRef};
use std::sync::Arc;

struct Minimal;
struct MinimalConnector;
struct MinimalConn;
struct MinimalStmt;
struct MinimalRows {
    columns: Vec<Column>,
    left: i64,
}

impl Driver for Minimal {
    fn name(&self) -> &'static str {
        "minimal"
    }
    fn schemes(&self) -> &'static [&'static str] {
        &["minimal"]
    }
    fn syntax(&self) -> &'static keel::core::sql::Syntax {
        &keel::core::sql::Syntax::STANDARD
    }
    fn options(&self) -> &'static [OptSpec] {
        &[]
    }
    fn connector(&self, _: &ConnUrl, _: &Options) -> Result<Box<dyn Connector>> {
        Ok(Box::new(MinimalConnector))
    }
}

impl Connector for MinimalConnector {
    fn connect(&self) -> Result<Box<dyn DriverConn>> {
        Ok(Box::new(MinimalConn))
    }
}

impl DriverConn for MinimalConn {
    fn prepare(&mut self, _sql: &str) -> Result<Box<dyn DriverStmt>> {
        Ok(Box::new(MinimalStmt))
    }
    fn begin(&mut self, _: &TxOptions) -> Result<()> {
        Ok(())
    }
    fn commit(&mut self) -> Result<()> {
        Ok(())
    }
    fn rollback(&mut self) -> Result<()> {
        Ok(())
    }
    fn savepoint(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn release(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn rollback_to(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn in_transaction(&mut self) -> bool {
        false
    }
    fn ping(&mut self) -> Result<()> {
        Ok(())
    }
    fn server_version(&self) -> &str {
        "minimal 1"
    }
    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>> {
        Err(Error::not_implemented("no cancel"))
    }
}

impl DriverStmt for MinimalStmt {
    fn param_count(&self) -> usize {
        0
    }
    fn bind(&mut self, _: usize, _: ValueRef<'_>) -> Result<()> {
        Ok(())
    }
    fn clear_bindings(&mut self) -> Result<()> {
        Ok(())
    }
    fn execute(&mut self) -> Result<ExecResult> {
        Ok(ExecResult { rows_affected: 0, last_insert_id: None })
    }
    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        let n = Column { name: "n".into(), kind: Type::Int64, engine_type: String::new(), nullable: Nullable::Unknown, decimal: None, list_of: None };
        Ok(Box::new(MinimalRows { columns: vec![n], left: 2 }))
    }
}

impl DriverRows for MinimalRows {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn next(&mut self) -> Result<bool> {
        self.left -= 1;
        Ok(self.left >= 0)
    }
    fn value(&self, _: usize) -> ValueRef<'_> {
        ValueRef::Int64(self.left)
    }
}

fn open() -> Db {
    let r = Registry::new();
    r.register(Arc::new(Minimal)).unwrap();
    Db::open_in(&r, "minimal://x/y", &[]).unwrap()
}

#[test]
fn a_driver_claims_no_capability_by_default() {
    let c = open().checkout().unwrap();
    for cap in Capability::ALL {
        assert!(!c.supports(cap).unwrap(), "{cap:?}");
    }
}

#[test]
fn a_result_not_described_by_the_driver_is_not_implemented_then_the_run_tells() {
    let c = open().checkout().unwrap();
    let mut st = c.prepare("SELECT n FROM t").unwrap();
    let e = st.columns().unwrap_err();
    assert_eq!(e.status, Status::NotImplemented, "{e}");
    assert!(e.message.contains("cannot describe") && e.message.contains("run the statement"), "{e}");
    assert!(e.message.contains("SELECT n FROM t"), "the message quotes the SQL: {e}");
    let mut r = st.query().unwrap();
    assert_eq!(r.column_count(), 1);
    assert!(r.next().unwrap());
    // The same through the cache's statements.
    drop(r);
    drop(st);
    let mut cached = c.prepare_cached("SELECT n FROM t").unwrap();
    assert_eq!(cached.columns().unwrap_err().status, Status::NotImplemented);
}
