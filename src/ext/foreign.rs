//! A driver written outside Rust, behind the traits of `core::driver`:
//! the checks made once at registration, and the adapter that calls the
//! driver's table and turns each of its answers into a core value or a
//! keel error. Whatever a driver answers (an error status with no error,
//! a NULL where an object belongs, a status keel does not know, a flag
//! other than 0 or 1, a value of another type than its column's, text that
//! is not UTF-8), keel reports it as an error naming the driver and the
//! function, and goes on.
//!
//! Objects are freed children first: each statement holds its
//! connection, each cursor its statement (`Arc`), so `conn_free` runs
//! after every `stmt_free` of the connection and `stmt_free` after every
//! `rows_free` of the statement, whatever order C frees keel's handles in.
//! A statement run again closes its open cursor without freeing it: the
//! text that cursor handed out stays valid until its reader frees it.

use super::abi::*;
use crate::core::driver::{
    BulkTarget, ByteRef, CancelHandle, Capability, Connector, Driver, DriverConn, DriverRows, DriverStmt,
    ExecResult, MultiRowLimits, PipelineError, Run, TxOptions, Vector, VectorData,
};
use crate::core::error::{Error, Result, Status};
use crate::core::ingest::RowSource;
use crate::core::options::{OptSpec, Options};
use crate::core::sql::{InsertGrammar, InsertTail, Placeholder, Syntax};
use crate::core::url::ConnUrl;
use crate::core::value::{Column, Nullable, Type, ValueRef, MICROS_PER_DAY};
use crate::ffi::error::{self, keel_error};
use crate::ffi::types::{keel_exec_result, keel_tx_options, keel_value};
use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A pointer a driver handed keel. The driver's objects move between
/// threads as the promise of `core::driver` says (calls on one
/// connection never overlap); keel_driver.h states it for C.
#[derive(Clone, Copy)]
struct Ptr(*mut c_void);
// SAFETY: see above; keel never dereferences these pointers.
unsafe impl Send for Ptr {}
// SAFETY: as above.
unsafe impl Sync for Ptr {}

/// The driver's table as keel copied it, checked.
struct Table {
    t: DriverV1,
    name: &'static str,
    /// The driver's SQL syntax, for the checks keel makes before
    /// `conn_prepare` (one statement).
    syntax: &'static Syntax,
    /// `catalog_queries`, copied: each question's query, by its number.
    catalog: Vec<Option<String>>,
}
// SAFETY: the table holds function pointers and the driver's `user_data`,
// which the header tells drivers may be used from any thread.
unsafe impl Send for Table {}
// SAFETY: as above.
unsafe impl Sync for Table {}

impl Table {
    /// Turn a driver's answer into a result: its status and the error it
    /// may have written.
    fn check(&self, what: &str, status: i32, err: *mut keel_error) -> Result<()> {
        let taken = (!err.is_null()).then(|| {
            // SAFETY: a non-NULL error a driver returns is one it made with
            // keel_error_new (the header's rule), handed over to keel.
            unsafe { error::take(err, self.name) }
        });
        match Status::from_i32(status) {
            Some(Status::Ok) => Ok(()),
            // Statuses only keel's own boundary gives: NULL_ARGUMENT would
            // blame the caller's arguments, PANIC keel's code.
            Some(s @ (Status::NullArgument | Status::Panic)) => Err(self.error(
                Status::Internal,
                format!(
                    "the {} driver's {what} returned {}, a status only keel itself gives{}",
                    self.name,
                    s.as_str(),
                    taken.map(|e| format!(" (its error says: {})", e.message)).unwrap_or_default()
                ),
            )),
            Some(s) => Err(match taken {
                Some(mut e) => {
                    e.status = s;
                    e
                }
                None => self.error(
                    s,
                    format!("the {} driver's {what} failed ({}) without saying why", self.name, s.as_str()),
                ),
            }),
            None => Err(self.error(
                Status::Internal,
                format!(
                    "the {} driver's {what} returned {status}, which is not a keel_status{}",
                    self.name,
                    taken.map(|e| format!(" (its error says: {})", e.message)).unwrap_or_default()
                ),
            )),
        }
    }

    fn error(&self, status: Status, message: String) -> Error {
        Error::new(status, message).with_driver(self.name)
    }

    /// The error for an answer that breaks the header's rules.
    fn broken(&self, what: &str, why: impl std::fmt::Display) -> Error {
        self.error(Status::Internal, format!("the {} driver's {what} {why}", self.name))
    }
}

/// Call `f` of table `t` (checked present at registration).
macro_rules! fp {
    ($t:expr, $f:ident) => {
        $t.t.$f.expect(concat!(stringify!($f), " is checked at registration"))
    };
}

// ---- registration ------------------------------------------------------------------

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Read a NUL-terminated UTF-8 string of the table.
fn table_str(p: *const c_char, field: &str) -> Result<Option<String>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the header's rule: strings of the table are NUL-terminated
    // and valid for the registration call.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(|s| Some(s.to_owned())).map_err(|_| {
        Error::invalid_argument(format!("driver->{field} is not valid UTF-8"))
    })
}

/// Check a driver's table and make the core's driver of it.
///
/// # Safety
/// `p` is NULL or points at a table of at least `size` bytes, readable
/// for the call.
pub(crate) unsafe fn driver_from_table(p: *const DriverV1) -> Result<Arc<dyn Driver>> {
    if p.is_null() {
        return Err(Error::new(Status::NullArgument, "argument driver is NULL"));
    }
    // SAFETY: `size` and `abi_version` are the first fields of every
    // version of the table (the contract).
    let (size, version) = unsafe {
        let base = p as *const u8;
        (
            (base as *const usize).read_unaligned(),
            (base.add(std::mem::offset_of!(DriverV1, abi_version)) as *const u32).read_unaligned(),
        )
    };
    if version != KEEL_DRIVER_ABI_VERSION {
        return Err(Error::invalid_argument(format!(
            "the driver was built for driver ABI version {version}; this keel speaks version {KEEL_DRIVER_ABI_VERSION} \
             (rebuild the driver against this keel's keel_driver.h)"
        )));
    }
    let least = super::abi::DRIVER_V1_FIRST_SIZE;
    if size < least {
        return Err(Error::invalid_argument(format!(
            "driver->size is {size}, smaller than the first keel_driver_v1 ({least} bytes): set it to sizeof(keel_driver_v1)"
        )));
    }
    // The fields `size` covers; those an older driver does not have stay
    // zero (NULL), and a newer driver's later fields are not read.
    let mut t = std::mem::MaybeUninit::<DriverV1>::zeroed();
    // SAFETY: `p` holds at least `size` readable bytes (the caller's
    // promise), and at most `size_of::<DriverV1>()` are copied into `t`;
    // all-zero bytes are a valid DriverV1 (NULL pointers, None functions).
    let t = unsafe {
        std::ptr::copy_nonoverlapping(p as *const u8, t.as_mut_ptr() as *mut u8, size.min(std::mem::size_of::<DriverV1>()));
        t.assume_init()
    };
    let name = table_str(t.name, "name")?.ok_or_else(|| Error::invalid_argument("driver->name is NULL"))?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(Error::invalid_argument(format!(
            "driver->name {name:?} is not a name of lower-case letters, digits and _"
        )));
    }
    let schemes_text =
        table_str(t.schemes, "schemes")?.ok_or_else(|| Error::invalid_argument(format!("driver {name}: schemes is NULL")))?;
    let mut schemes: Vec<String> = Vec::new();
    for s in schemes_text.split(',').map(str::trim) {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'+') {
            return Err(Error::invalid_argument(format!(
                "driver {name}: schemes {schemes_text:?} holds {s:?}, which is not a URL scheme of lower-case letters, digits and +"
            )));
        }
        schemes.push(s.to_owned());
    }
    // Refused before anything is leaked below (the registry checks again,
    // under its lock).
    let registry = crate::assemble::registry();
    if registry.drivers().iter().any(|d| d.name() == name) {
        return Err(Error::new(Status::AlreadyExists, format!("a driver named '{name}' is registered already")));
    }
    for s in &schemes {
        if let Ok(d) = registry.find(s) {
            return Err(Error::new(Status::AlreadyExists, format!("URL scheme '{s}' is taken by the {} driver", d.name())));
        }
    }
    let required = [
        ("connect", t.connect.is_some()),
        ("conn_free", t.conn_free.is_some()),
        ("conn_ping", t.conn_ping.is_some()),
        ("conn_server_version", t.conn_server_version.is_some()),
        ("conn_prepare", t.conn_prepare.is_some()),
        ("conn_begin", t.conn_begin.is_some()),
        ("conn_commit", t.conn_commit.is_some()),
        ("conn_rollback", t.conn_rollback.is_some()),
        ("conn_in_transaction", t.conn_in_transaction.is_some()),
        ("stmt_param_count", t.stmt_param_count.is_some()),
        ("stmt_bind", t.stmt_bind.is_some()),
        ("stmt_clear_bindings", t.stmt_clear_bindings.is_some()),
        ("stmt_execute", t.stmt_execute.is_some()),
        ("stmt_query", t.stmt_query.is_some()),
        ("stmt_free", t.stmt_free.is_some()),
        ("rows_column_count", t.rows_column_count.is_some()),
        ("rows_column", t.rows_column.is_some()),
        ("rows_next", t.rows_next.is_some()),
        ("rows_value", t.rows_value.is_some()),
        ("rows_free", t.rows_free.is_some()),
    ];
    let missing: Vec<&str> = required.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Err(Error::invalid_argument(format!(
            "driver {name}: required function(s) missing (NULL): {}",
            missing.join(", ")
        )));
    }
    let append = [
        ("append_open", t.append_open.is_some()),
        ("append_row", t.append_row.is_some()),
        ("append_finish", t.append_finish.is_some()),
        ("append_free", t.append_free.is_some()),
    ];
    if append.iter().any(|(_, ok)| *ok) && !append.iter().all(|(_, ok)| *ok) {
        let missing: Vec<&str> = append.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n).collect();
        return Err(Error::invalid_argument(format!(
            "driver {name}: the append functions come all four or none; missing (NULL): {}",
            missing.join(", ")
        )));
    }
    if t.stmt_column_count.is_some() != t.stmt_column.is_some() {
        let missing = if t.stmt_column.is_none() { "stmt_column" } else { "stmt_column_count" };
        return Err(Error::invalid_argument(format!(
            "driver {name}: stmt_column_count and stmt_column come both or none; missing (NULL): {missing}"
        )));
    }
    let known_flags = KEEL_DRIVER_URL_NAMES_A_FILE | KEEL_DRIVER_SEVERAL_CURSORS | KEEL_DRIVER_MULTIROW_INSERT;
    if t.flags & !known_flags != 0 {
        return Err(Error::invalid_argument(format!(
            "driver {name}: flags 0x{:x} holds bits this keel does not know (0x{:x})",
            t.flags,
            t.flags & !known_flags
        )));
    }
    let known_syntax = KEEL_SYNTAX_QUESTION_NUMBER
        | KEEL_SYNTAX_BACKSLASH_ESCAPES
        | KEEL_SYNTAX_E_STRINGS
        | KEEL_SYNTAX_DOUBLE_QUOTED_STRINGS
        | KEEL_SYNTAX_BACKTICK_IDENTIFIERS
        | KEEL_SYNTAX_BRACKET_IDENTIFIERS
        | KEEL_SYNTAX_HASH_COMMENTS
        | KEEL_SYNTAX_NESTED_COMMENTS
        | KEEL_SYNTAX_DOLLAR_QUOTES;
    if t.syntax_flags & !known_syntax != 0 {
        return Err(Error::invalid_argument(format!(
            "driver {name}: syntax_flags 0x{:x} holds bits this keel does not know (0x{:x})",
            t.syntax_flags,
            t.syntax_flags & !known_syntax
        )));
    }
    let engine = table_str(t.syntax_engine, "syntax_engine")?.unwrap_or_else(|| name.clone());
    let prefix = table_str(t.placeholder_prefix, "placeholder_prefix")?.unwrap_or_default();
    let word_bytes = table_str(t.word_bytes, "word_bytes")?.unwrap_or_default();
    let f = |bit: u32| t.syntax_flags & bit != 0;
    let syntax = Syntax {
        engine: leak(engine),
        placeholder: if prefix.is_empty() { Placeholder::Question } else { Placeholder::Numbered(leak(prefix)) },
        question_number: f(KEEL_SYNTAX_QUESTION_NUMBER),
        backslash_escapes: f(KEEL_SYNTAX_BACKSLASH_ESCAPES),
        e_strings: f(KEEL_SYNTAX_E_STRINGS),
        double_quoted_strings: f(KEEL_SYNTAX_DOUBLE_QUOTED_STRINGS),
        backtick_identifiers: f(KEEL_SYNTAX_BACKTICK_IDENTIFIERS),
        bracket_identifiers: f(KEEL_SYNTAX_BRACKET_IDENTIFIERS),
        quote_with_brackets: false,
        hash_comments: f(KEEL_SYNTAX_HASH_COMMENTS),
        nested_comments: f(KEEL_SYNTAX_NESTED_COMMENTS),
        executable_comments: false,
        dollar_quotes: f(KEEL_SYNTAX_DOLLAR_QUOTES),
        charset_introducers: false,
        word_bytes: leak(word_bytes).as_bytes(),
        // The plain form only: the tails and modifiers differ by engine.
        // Recognized for multi-row INSERTs and for batches through the
        // appender (`core::many` asks the session which it takes).
        insert: (t.flags & KEEL_DRIVER_MULTIROW_INSERT != 0 || t.append_open.is_some()).then_some(InsertGrammar {
            replace: false,
            modifiers: &[],
            table_alias: false,
            value_keyword: false,
            tail: InsertTail::Nothing,
        }),
    };
    // Checked: from here on the driver is registered (barring a race with
    // another registration of the same name), and lives as long as the
    // process, as the Driver trait's `'static` strings ask.
    // Entry KEEL_TYPE_NULL is not read: no column is made of NULLs.
    let mut column_types = vec![None];
    if !t.column_types.is_null() {
        for kind in Type::Bool as usize..=Type::Decimal as usize {
            // SAFETY: the header's rule: KEEL_TYPE_DECIMAL + 1 entries,
            // valid for the registration call.
            let p = unsafe { *t.column_types.add(kind) };
            let what = format!("column_types[{kind}]");
            let ty = table_str(p, &what)?;
            if let Some(bad) = ty.as_deref().filter(|t| t.trim().is_empty() || t.contains(';')) {
                return Err(Error::invalid_argument(format!("driver {name}: {what} is {bad:?}, which is not a column type")));
            }
            column_types.push(ty);
        }
    }
    let mut catalog = Vec::new();
    if !t.catalog_queries.is_null() {
        for i in 0..KEEL_CATALOG_QUESTIONS as usize {
            // SAFETY: the header's rule: KEEL_CATALOG_QUESTIONS entries,
            // valid for the registration call.
            let p = unsafe { *t.catalog_queries.add(i) };
            let what = format!("catalog_queries[{i}]");
            let q = table_str(p, &what)?;
            if q.as_deref().is_some_and(|q| q.trim().is_empty()) {
                return Err(Error::invalid_argument(format!("driver {name}: {what} is empty")));
            }
            catalog.push(q);
        }
    }
    let name = leak(name);
    let schemes: Vec<&'static str> = schemes.into_iter().map(leak).collect();
    let syntax: &'static Syntax = Box::leak(Box::new(syntax));
    Ok(Arc::new(ForeignDriver {
        table: Arc::new(Table { t, name, syntax, catalog }),
        schemes: Box::leak(schemes.into_boxed_slice()),
        syntax,
        column_types,
    }))
}

/// `keel_error_new`.
pub(crate) fn error_new(status: i32, sqlstate: *const c_char, vendor_code: i32, message: *const c_char) -> *mut keel_error {
    let r = std::panic::catch_unwind(|| {
        let text = |p: *const c_char| {
            if p.is_null() {
                String::new()
            } else {
                // SAFETY: the caller passes NUL-terminated strings.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        let status = match Status::from_i32(status) {
            Some(Status::Ok) | None => Status::Unknown,
            Some(s) => s,
        };
        let mut e = Error::new(status, text(message));
        let state = text(sqlstate);
        if state.len() == 5 && state.bytes().all(|b| b.is_ascii_alphanumeric()) {
            if state.starts_with("40") {
                // The transaction was rolled back: nothing of it stays.
                e.retry = crate::core::error::RetrySafety::NotCommitted;
            }
            e.sqlstate = state;
        }
        e.vendor_code = vendor_code;
        e.driver = "";
        error::into_raw(e)
    });
    r.unwrap_or(std::ptr::null_mut())
}

// ---- the driver --------------------------------------------------------------------

struct ForeignDriver {
    table: Arc<Table>,
    schemes: &'static [&'static str],
    syntax: &'static Syntax,
    /// `column_types`, copied: the engine's type by keel type number.
    column_types: Vec<Option<String>>,
}

impl Driver for ForeignDriver {
    fn name(&self) -> &'static str {
        self.table.name
    }
    fn schemes(&self) -> &'static [&'static str] {
        self.schemes
    }
    fn syntax(&self) -> &'static Syntax {
        self.syntax
    }
    fn options(&self) -> &'static [OptSpec] {
        &[]
    }
    fn url_names_a_file(&self) -> bool {
        self.table.t.flags & KEEL_DRIVER_URL_NAMES_A_FILE != 0
    }
    fn column_type_sql(&self, kind: Type, decimal: Option<(u8, i8)>) -> Option<String> {
        let name = self.column_types.get(kind as usize)?.as_ref()?;
        match (kind, decimal) {
            (Type::Null, _) | (Type::Decimal, None) => None,
            (Type::Decimal, Some((p, s))) => Some(format!("{name}({p},{s})")),
            _ => Some(name.clone()),
        }
    }
    fn connector(&self, url: &ConnUrl, _: &Options) -> Result<Box<dyn Connector>> {
        let c = |s: &str, what: &str| {
            CString::new(s).map_err(|_| Error::invalid_argument(format!("connection URL {what} holds a NUL byte")))
        };
        Ok(Box::new(ForeignConnector {
            table: self.table.clone(),
            scheme: c(&url.scheme, "scheme")?,
            user: url.user.as_deref().map(|s| c(s, "user name")).transpose()?,
            password: url.password.as_deref().map(|s| c(s, "password")).transpose()?,
            host: url.host.as_deref().map(|s| c(s, "host")).transpose()?,
            port: url.port.map_or(-1, i32::from),
            path: c(&url.path, "path")?,
        }))
    }
}

struct ForeignConnector {
    table: Arc<Table>,
    scheme: CString,
    user: Option<CString>,
    password: Option<CString>,
    host: Option<CString>,
    port: i32,
    path: CString,
}

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

impl Connector for ForeignConnector {
    fn connect(&self) -> Result<Box<dyn DriverConn>> {
        let t = &self.table;
        let url = keel_driver_url {
            size: std::mem::size_of::<keel_driver_url>(),
            scheme: self.scheme.as_ptr(),
            user: opt_ptr(&self.user),
            password: opt_ptr(&self.password),
            host: opt_ptr(&self.host),
            port: self.port,
            path: self.path.as_ptr(),
        };
        let mut conn: *mut c_void = std::ptr::null_mut();
        let mut err: *mut keel_error = std::ptr::null_mut();
        // SAFETY: the driver's function, with arguments valid for the call.
        let s = unsafe { fp!(t, connect)(t.t.user_data, &url, &mut conn, &mut err) };
        t.check("connect", s, err)?;
        if conn.is_null() {
            return Err(t.broken("connect", "succeeded without a connection (NULL)"));
        }
        let gate = Arc::new(Mutex::new(Some(Ptr(conn))));
        let inner = Arc::new(ConnInner { table: t.clone(), ptr: Ptr(conn), open: Mutex::new(None), gate });
        // SAFETY: a live connection of the driver.
        let v = unsafe { fp!(t, conn_server_version)(conn) };
        let version = if v.is_null() {
            String::new()
        } else {
            // SAFETY: the header's rule: NUL-terminated, owned by the
            // connection.
            unsafe { CStr::from_ptr(v) }.to_string_lossy().into_owned()
        };
        Ok(Box::new(ForeignConn { inner, version }))
    }
}

/// A connection of the driver; `conn_free` runs when the last statement
/// made from it is gone.
struct ConnInner {
    table: Arc<Table>,
    ptr: Ptr,
    /// For a driver without KEEL_DRIVER_SEVERAL_CURSORS: the cursor open on
    /// the connection and the statement (by address) that opened it, until
    /// it ends or is freed; meanwhile every other call is refused.
    open: Mutex<Option<(std::sync::Weak<RowsSlot>, usize)>>,
    /// The connection while it is open, for cancel handles (which may
    /// outlive it): `conn_free` empties it first, under its lock.
    gate: Arc<Mutex<Option<Ptr>>>,
}

impl ConnInner {
    /// Refuse a call while a cursor other than one of statement `owner`
    /// (whose run closes its own first) is open, for a driver that runs one
    /// at a time (keel_driver.h, KEEL_DRIVER_SEVERAL_CURSORS).
    fn check_free(&self, owner: Option<usize>) -> Result<()> {
        if self.table.t.flags & KEEL_DRIVER_SEVERAL_CURSORS != 0 {
            return Ok(());
        }
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let busy = open
            .as_ref()
            .filter(|(_, by)| Some(*by) != owner)
            .and_then(|(slot, _)| slot.upgrade())
            .is_some_and(|slot| slot.is_open());
        if busy {
            return Err(Error::invalid_state(format!(
                "a cursor is still open on this {} connection: read it to the end or free it first",
                self.table.name
            ))
            .not_sent());
        }
        Ok(())
    }
}

impl Drop for ConnInner {
    fn drop(&mut self) {
        *self.gate.lock().unwrap_or_else(|p| p.into_inner()) = None;
        // SAFETY: the driver's connection, freed once, after its
        // statements (they hold this value).
        unsafe { fp!(self.table, conn_free)(self.ptr.0) };
    }
}

struct ForeignConn {
    inner: Arc<ConnInner>,
    version: String,
}

impl ForeignConn {
    /// Whether the driver has an appender.
    fn appends(&self) -> bool {
        self.inner.table.t.append_open.is_some()
    }

    fn call(&self, what: &str, f: keel_driver_conn_fn) -> Result<()> {
        self.inner.check_free(None)?;
        let t = &self.inner.table;
        let mut err = std::ptr::null_mut();
        // SAFETY: checked present at registration; a live connection.
        let s = unsafe { f.expect("checked at registration")(self.inner.ptr.0, &mut err) };
        t.check(what, s, err)
    }

    fn named(&mut self, what: &str, f: keel_driver_conn_name_fn, sql: &str, name: &str) -> Result<()> {
        self.inner.check_free(None)?;
        match f {
            Some(f) => {
                let t = &self.inner.table;
                let c = CString::new(name).map_err(|_| Error::invalid_argument("savepoint name holds a NUL byte"))?;
                let mut err = std::ptr::null_mut();
                // SAFETY: the driver's function on a live connection.
                let s = unsafe { f(self.inner.ptr.0, c.as_ptr(), &mut err) };
                t.check(what, s, err)
            }
            None => self.prepare(&format!("{sql} {name}"))?.execute().map(|_| ()),
        }
    }
}

impl DriverConn for ForeignConn {
    fn catalog(&mut self, q: &crate::core::catalog::Catalog<'_>) -> Result<crate::core::catalog::CatalogSql> {
        let t = &self.inner.table;
        match t.catalog.get(q.number()).and_then(Option::as_deref) {
            Some(all) => Ok(crate::core::catalog::over(q, all, "")),
            None => Err(Error::not_implemented(format!("driver {} does not list {} (no catalog_queries entry)", t.name, q.what()))),
        }
    }

    fn prepare(&mut self, sql: &str) -> Result<Box<dyn DriverStmt>> {
        let t = &self.inner.table;
        self.inner.check_free(None)?;
        // keel_driver.h: the driver sees one statement per conn_prepare.
        if crate::core::sql::more_than_one_statement(sql, t.syntax) {
            return Err(Error::invalid_argument(
                "SQL holds more than one statement; keel runs exactly one per call, so nothing was run",
            )
            .not_sent());
        }
        let c = CString::new(sql).map_err(|_| Error::invalid_argument("SQL holds a NUL byte"))?;
        let mut stmt: *mut c_void = std::ptr::null_mut();
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function; `c` lives for the call.
        let s = unsafe { fp!(t, conn_prepare)(self.inner.ptr.0, c.as_ptr(), sql.len(), &mut stmt, &mut err) };
        t.check("conn_prepare", s, err)?;
        if stmt.is_null() {
            return Err(t.broken("conn_prepare", "succeeded without a statement (NULL)"));
        }
        let inner = Arc::new(StmtInner { conn: self.inner.clone(), ptr: Ptr(stmt), cursor: Mutex::new(None) });
        // SAFETY: a live statement.
        let params = unsafe { fp!(t, stmt_param_count)(stmt) };
        if params > u16::MAX as usize * 16 {
            return Err(t.broken("stmt_param_count", format!("says {params} parameters")));
        }
        Ok(Box::new(ForeignStmt { inner, params }))
    }
    fn begin(&mut self, opts: &TxOptions) -> Result<()> {
        self.inner.check_free(None)?;
        let t = &self.inner.table;
        let o = keel_tx_options {
            size: std::mem::size_of::<keel_tx_options>(),
            isolation: opts.isolation as i32,
            lock: opts.lock as i32,
            read_only: opts.read_only,
        };
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function; `o` lives for the call.
        let s = unsafe { fp!(t, conn_begin)(self.inner.ptr.0, &o, &mut err) };
        t.check("conn_begin", s, err)
    }
    fn commit(&mut self) -> Result<()> {
        self.call("conn_commit", self.inner.table.t.conn_commit)
    }
    fn rollback(&mut self) -> Result<()> {
        self.call("conn_rollback", self.inner.table.t.conn_rollback)
    }
    fn savepoint(&mut self, name: &str) -> Result<()> {
        self.named("conn_savepoint", self.inner.table.t.conn_savepoint, "SAVEPOINT", name)
    }
    fn release(&mut self, name: &str) -> Result<()> {
        self.named("conn_release", self.inner.table.t.conn_release, "RELEASE SAVEPOINT", name)
    }
    fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.named("conn_rollback_to", self.inner.table.t.conn_rollback_to, "ROLLBACK TO SAVEPOINT", name)
    }
    fn in_transaction(&mut self) -> bool {
        // SAFETY: the driver's function on a live connection.
        unsafe { fp!(self.inner.table, conn_in_transaction)(self.inner.ptr.0) != 0 }
    }
    fn ping(&mut self) -> Result<()> {
        self.call("conn_ping", self.inner.table.t.conn_ping)
    }
    fn server_version(&self) -> &str {
        &self.version
    }
    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>> {
        if self.inner.table.t.conn_cancel.is_none() {
            return Err(Error::not_implemented(format!(
                "the {} driver cannot cancel a statement (its conn_cancel is NULL)",
                self.inner.table.name
            )));
        }
        Ok(Box::new(ForeignCancel { table: self.inner.table.clone(), gate: self.inner.gate.clone() }))
    }
    fn supports(&self, capability: Capability) -> bool {
        match capability {
            Capability::SeveralCursors => self.inner.table.t.flags & KEEL_DRIVER_SEVERAL_CURSORS != 0,
            Capability::ColumnsAfterPrepare => self.inner.table.t.stmt_column_count.is_some(),
        }
    }
    fn multirow_insert(&mut self, _target: &str) -> Result<Option<MultiRowLimits>> {
        Ok((self.inner.table.t.flags & KEEL_DRIVER_MULTIROW_INSERT != 0).then_some(MultiRowLimits {
            max_params: u16::MAX as usize,
            max_bytes: crate::core::many::CHUNK_BYTES,
            reports_insert_id: false,
        }))
    }
    /// What an unknown engine does to a transaction after a failed
    /// statement is not known (PostgreSQL and DuckDB abort it; MySQL
    /// undoes the statement alone): inside one, assume the worst, and run
    /// nothing again.
    fn usable_after_error(&mut self) -> bool {
        !self.is_broken() && !self.in_transaction()
    }
    fn appends_to(&mut self, _target: &str) -> Result<bool> {
        Ok(self.appends())
    }
    fn append_rows(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[ValueRef<'_>],
        width: usize,
    ) -> std::result::Result<Option<u64>, PipelineError> {
        // The appender takes names as the engine knows them.
        let table = Syntax::unquote_identifier(table);
        let columns: Vec<String> = columns.iter().map(|c| Syntax::unquote_identifier(c)).collect();
        let (table, columns) = (table.as_str(), columns.as_slice());
        let whole = |error| PipelineError { row: None, error, rolled_back: false };
        let own = !self.in_transaction();
        if own {
            self.begin(&TxOptions::default()).map_err(whole)?;
        }
        let ran = (|| {
            let mut a = Appender::open(&self.inner, table, columns).map_err(whole)?;
            for (k, row) in rows.chunks(width.max(1)).enumerate() {
                a.row(row).map_err(|error| PipelineError { row: Some(k), error, rolled_back: false })?;
            }
            a.finish().map_err(whole)
        })();
        match ran {
            Ok(()) if own => self.commit().map_err(whole)?,
            Ok(()) => {}
            Err(mut p) => {
                if own {
                    let _ = self.rollback();
                    p.rolled_back = true;
                }
                return Err(p);
            }
        }
        Ok(Some((rows.len() / width.max(1)) as u64))
    }
    fn bulk_insert(&mut self, target: &BulkTarget<'_>, src: &mut dyn RowSource) -> Result<Option<u64>> {
        if !self.appends() {
            return Ok(None);
        }
        let mut a = Appender::open(&self.inner, target.table_name, target.column_names)?;
        let mut total = 0u64;
        // A row's error is named by the source (0-based, from the start of
        // the stream).
        let mut each = |r: &[ValueRef<'_>]| {
            a.row(r)?;
            total += 1;
            Ok(())
        };
        while src.next_rows(&mut each)?.is_some() {}
        // The appender writes at the end (keys are checked then): which
        // row failed is not known.
        a.finish().map_err(|e| {
            e.context(format_args!("rows 0 to {}, written as one piece by the driver's appender", total.saturating_sub(1)))
        })?;
        Ok(Some(total))
    }
}

/// A driver's appender (the table's optional append functions), freed
/// with `append_free` however it ends.
struct Appender<'c> {
    conn: &'c ConnInner,
    ptr: *mut c_void,
    width: usize,
    values: Vec<keel_value>,
}

impl<'c> Appender<'c> {
    /// `append_open` on `table`'s `columns`; only for a table whose append
    /// functions are set (all four, checked at registration).
    fn open(conn: &'c ConnInner, table: &str, columns: &[String]) -> Result<Appender<'c>> {
        let t = &conn.table;
        let open = t.t.append_open.ok_or_else(|| Error::not_implemented("the driver has no appender"))?;
        let nul = |s: &str| CString::new(s).map_err(|_| Error::invalid_argument(format!("name {s:?} holds a NUL byte")));
        let table_c = nul(table)?;
        let names = columns.iter().map(|c| nul(c)).collect::<Result<Vec<_>>>()?;
        let ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
        let mut ptr: *mut c_void = std::ptr::null_mut();
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on a live connection; the strings
        // and the array live for the call.
        let s = unsafe { open(conn.ptr.0, table_c.as_ptr(), ptrs.as_ptr(), ptrs.len(), &mut ptr, &mut err) };
        t.check("append_open", s, err)?;
        if ptr.is_null() {
            return Err(t.broken("append_open", "succeeded without an appender (NULL)"));
        }
        Ok(Appender { conn, ptr, width: columns.len(), values: Vec::with_capacity(columns.len()) })
    }

    fn row(&mut self, r: &[ValueRef<'_>]) -> Result<()> {
        if self.width != 0 && r.len() != self.width {
            return Err(Error::new(Status::Internal, format!("a row of {} values for {} columns", r.len(), self.width)));
        }
        let t = &self.conn.table;
        for (i, v) in r.iter().enumerate() {
            checked(v).map_err(|e| e.context(format_args!("column {i}")))?;
        }
        self.values.clear();
        self.values.extend(r.iter().map(keel_value::borrowing));
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on its open appender; the values
        // and what they point at live for the call.
        let s = unsafe { fp!(t, append_row)(self.ptr, self.values.as_ptr(), self.values.len(), &mut err) };
        t.check("append_row", s, err)
    }

    fn finish(&mut self) -> Result<()> {
        let t = &self.conn.table;
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on its open appender.
        let s = unsafe { fp!(t, append_finish)(self.ptr, &mut err) };
        t.check("append_finish", s, err)
    }
}

impl Drop for Appender<'_> {
    fn drop(&mut self) {
        // SAFETY: the driver's appender, freed once.
        unsafe { fp!(self.conn.table, append_free)(self.ptr) }
    }
}

struct ForeignCancel {
    table: Arc<Table>,
    gate: Arc<Mutex<Option<Ptr>>>,
}

impl CancelHandle for ForeignCancel {
    fn cancel(&self) -> Result<()> {
        let gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        let Some(conn) = *gate else { return Ok(()) };
        let mut err = std::ptr::null_mut();
        // SAFETY: the connection is open while the gate holds it (its
        // lock keeps conn_free out until this call returns).
        let s = unsafe { fp!(self.table, conn_cancel)(conn.0, &mut err) };
        self.table.check("conn_cancel", s, err)
    }
}

// ---- statements and cursors --------------------------------------------------------

struct StmtInner {
    conn: Arc<ConnInner>,
    ptr: Ptr,
    /// The driver's cursor this statement has open, if any.
    cursor: Mutex<Option<Arc<RowsSlot>>>,
}

impl StmtInner {
    /// Close the cursor this statement has open (before running it again):
    /// it is never read again, but stays allocated until its reader frees
    /// it, because text it handed out must stay valid until then (the
    /// core's promise for a cursor closed under its reader).
    fn close_cursor(&self) {
        if let Some(slot) = self.cursor.lock().unwrap_or_else(|p| p.into_inner()).take() {
            slot.closed.store(true, Ordering::Release);
        }
    }
}

impl Drop for StmtInner {
    fn drop(&mut self) {
        // Every cursor of this statement is gone (each holds it).
        // SAFETY: the driver's statement, freed once, after its cursors.
        unsafe { fp!(self.conn.table, stmt_free)(self.ptr.0) };
    }
}

/// A driver's cursor: closed (never read again) when its statement runs
/// again, freed when its reader drops it.
struct RowsSlot {
    ptr: Mutex<Option<Ptr>>,
    closed: AtomicBool,
    /// It read its last row (or failed): the connection is free again.
    ended: AtomicBool,
}

impl RowsSlot {
    fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire) && !self.ended.load(Ordering::Acquire)
    }

    fn free(&self, t: &Table) {
        self.closed.store(true, Ordering::Release);
        if let Some(p) = self.ptr.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // SAFETY: the driver's cursor, freed once (taken from the slot).
            unsafe { fp!(t, rows_free)(p.0) };
        }
    }
}

struct ForeignStmt {
    inner: Arc<StmtInner>,
    params: usize,
}

impl ForeignStmt {
    fn table(&self) -> &Table {
        &self.inner.conn.table
    }
}

/// What keel promises a driver of a value it hands over (keel_driver.h):
/// a DECIMAL's text is a decimal number, as every built-in driver checks
/// before binding it.
fn checked(v: &ValueRef<'_>) -> Result<()> {
    match v {
        ValueRef::Decimal(t) => crate::core::value::check_decimal(t),
        _ => Ok(()),
    }
}

impl DriverStmt for ForeignStmt {
    fn param_count(&self) -> usize {
        self.params
    }
    fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<()> {
        checked(&value)?;
        let v = keel_value::borrowing(&value);
        let t = self.table();
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function; `v` and its data live for the call.
        let s = unsafe { fp!(t, stmt_bind)(self.inner.ptr.0, index, &v, &mut err) };
        t.check("stmt_bind", s, err)
    }
    fn clear_bindings(&mut self) -> Result<()> {
        let t = self.table();
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on a live statement.
        let s = unsafe { fp!(t, stmt_clear_bindings)(self.inner.ptr.0, &mut err) };
        t.check("stmt_clear_bindings", s, err)
    }
    fn execute(&mut self) -> Result<ExecResult> {
        self.inner.conn.check_free(Some(Arc::as_ptr(&self.inner) as usize))?;
        self.inner.close_cursor();
        let t = self.table();
        let mut r = keel_exec_result { size: std::mem::size_of::<keel_exec_result>(), ..Default::default() };
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function; `r` lives for the call.
        let s = unsafe { fp!(t, stmt_execute)(self.inner.ptr.0, &mut r, &mut err) };
        t.check("stmt_execute", s, err)?;
        Ok(ExecResult { rows_affected: r.rows_affected, last_insert_id: r.has_last_insert_id.then_some(r.last_insert_id) })
    }
    fn query(&mut self) -> Result<Box<dyn DriverRows>> {
        self.inner.conn.check_free(Some(Arc::as_ptr(&self.inner) as usize))?;
        self.inner.close_cursor();
        let t = self.table();
        let mut rows: *mut c_void = std::ptr::null_mut();
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on a live statement.
        let s = unsafe { fp!(t, stmt_query)(self.inner.ptr.0, &mut rows, &mut err) };
        t.check("stmt_query", s, err)?;
        if rows.is_null() {
            return Err(t.broken("stmt_query", "succeeded without a cursor (NULL)"));
        }
        let slot = Arc::new(RowsSlot { ptr: Mutex::new(Some(Ptr(rows))), closed: AtomicBool::new(false), ended: AtomicBool::new(false) });
        let columns = match describe_rows(t, rows) {
            Ok(c) => c,
            Err(e) => {
                slot.free(t);
                return Err(e);
            }
        };
        *self.inner.cursor.lock().unwrap_or_else(|p| p.into_inner()) = Some(slot.clone());
        if t.t.flags & KEEL_DRIVER_SEVERAL_CURSORS == 0 {
            *self.inner.conn.open.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((Arc::downgrade(&slot), Arc::as_ptr(&self.inner) as usize));
        }
        let n = columns.len();
        Ok(Box::new(ForeignRows {
            stmt: self.inner.clone(),
            slot,
            columns,
            values: vec![keel_value::scalar(Type::Null); n],
            chunk: None,
            chunked: t.t.rows_next_chunk.is_some(),
            done: false,
        }))
    }
    fn result_columns(&mut self) -> Result<Arc<[Column]>> {
        let t = self.table();
        let (Some(count), Some(column)) = (t.t.stmt_column_count, t.t.stmt_column) else {
            return Err(Error::not_implemented(format!(
                "the {} driver cannot describe a statement's result before it runs (its stmt_column_count is \
                 NULL); run the statement and read the columns of its cursor",
                t.name
            )));
        };
        let stmt = self.inner.ptr.0;
        let mut n = usize::MAX;
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on a live statement; `n` lives for
        // the call. It runs nothing (the header's rule), so an open cursor
        // of the connection is left alone.
        let s = unsafe { count(stmt, &mut n, &mut err) };
        t.check("stmt_column_count", s, err)?;
        // SAFETY: the driver's function; `c` lives for the call.
        let columns = describe(t, ("stmt_column_count", "stmt_column"), n, |i, c, err| unsafe { column(stmt, i, c, err) })?;
        Ok(columns.into())
    }
    fn close_cursor(&mut self) {
        self.inner.close_cursor();
    }
}

/// The columns of a driver's cursor, checked.
fn describe_rows(t: &Table, rows: *mut c_void) -> Result<Vec<Column>> {
    // SAFETY: a live cursor.
    let n = unsafe { fp!(t, rows_column_count)(rows) };
    // SAFETY: the driver's function on a live cursor; `c` lives for the call.
    describe(t, ("rows_column_count", "rows_column"), n, |i, c, err| unsafe { fp!(t, rows_column)(rows, i, c, err) })
}

/// The `n` columns the driver's function `f` describes, checked; `count`
/// and `what` are the driver functions that gave the count and the columns (a
/// cursor's `rows_column_count` and `rows_column`, or a statement's
/// `stmt_column_count` and `stmt_column`), for messages.
fn describe(
    t: &Table,
    (count, what): (&str, &str),
    n: usize,
    mut f: impl FnMut(usize, &mut keel_driver_column, &mut *mut keel_error) -> i32,
) -> Result<Vec<Column>> {
    if n > 1 << 20 {
        return Err(t.broken(count, format!("says {n} columns")));
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = keel_driver_column {
            name: std::ptr::null(),
            name_len: 0,
            kind: 0,
            engine_type: std::ptr::null(),
            nullable: 0,
        };
        let mut err = std::ptr::null_mut();
        let s = f(i, &mut c, &mut err);
        let what = format!("{what}({i})");
        t.check(&what, s, err)?;
        if c.name.is_null() && c.name_len > 0 {
            return Err(t.broken(&what, "gave a NULL name with a length"));
        }
        // No name is that long, and a slice cannot be (a length past
        // isize::MAX is refused before anything is read).
        if c.name_len > u32::MAX as usize {
            return Err(t.broken(&what, format!("gave a name of {} bytes", c.name_len)));
        }
        let name = if c.name.is_null() {
            ""
        } else {
            // SAFETY: the header's rules for rows_column and stmt_column:
            // `name_len` bytes, valid at least until the next call.
            let b = unsafe { std::slice::from_raw_parts(c.name as *const u8, c.name_len) };
            std::str::from_utf8(b).map_err(|_| t.broken(&what, "gave a name that is not UTF-8"))?
        };
        // Names go out as C strings (keel_rows_column_name, Arrow's schema).
        if name.contains('\0') {
            return Err(t.broken(&what, "gave a name with a NUL byte in it"));
        }
        let kind = Type::from_i32(c.kind)
            .ok_or_else(|| t.broken(&what, format!("gave type {}, which is not a keel_type", c.kind)))?;
        let nullable = match c.nullable {
            0 => Nullable::Unknown,
            1 => Nullable::No,
            2 => Nullable::Yes,
            n => return Err(t.broken(&what, format!("gave nullable {n}, which is not a keel_nullable"))),
        };
        let engine_type = if c.engine_type.is_null() {
            String::new()
        } else {
            // SAFETY: NUL-terminated, valid at least until the next call.
            unsafe { CStr::from_ptr(c.engine_type) }
                .to_str()
                .map_err(|_| t.broken(&what, "gave an engine type that is not UTF-8"))?
                .to_owned()
        };
        // A decimal's precision and scale come from its engine type,
        // `DECIMAL(p,s)` (the header's rule for `engine_type`).
        let decimal = if kind == Type::Decimal { Column::decimal_from_type_name(&engine_type) } else { None };
        out.push(Column { name: name.to_owned(), kind, engine_type, nullable, decimal, list_of: None });
    }
    Ok(out)
}

struct ForeignRows {
    /// Keeps the statement (and so the connection) alive.
    stmt: Arc<StmtInner>,
    slot: Arc<RowsSlot>,
    columns: Vec<Column>,
    /// The current row, read from the driver by `next` and checked (a
    /// driver without `rows_next_chunk`).
    values: Vec<keel_value>,
    /// The chunk being read, for a driver with `rows_next_chunk` (which
    /// keel then reads every cursor with); `None` before the first and
    /// after the last.
    chunk: Option<Chunk>,
    chunked: bool,
    done: bool,
}
// SAFETY: `values` and `chunk` point into the driver's cursor, which
// moves with it (the promise of `core::driver`).
unsafe impl Send for ForeignRows {}

/// A cursor its statement closed by running again.
fn closed() -> Error {
    Error::invalid_state("the cursor was closed: its statement ran again")
}

/// A chunk of rows from `rows_next_chunk`, checked.
struct Chunk {
    rows: usize,
    /// The row `next` hands out next: the current row is the one before.
    next: usize,
    /// Into the driver's cursor, valid until its next `rows_next_chunk`
    /// or `rows_free` (the lifetime is not the real one: nothing outside
    /// this file sees it but through `next_run`'s borrow of the cursor).
    vectors: Vec<Vector<'static>>,
}

/// `n` entries of `T` at `p`, from a driver that promised them (the
/// header's rule for `keel_driver_vector`), checked non-NULL and aligned.
///
/// # Safety
/// `p` points at `n` readable `T`s that stay valid for `'static` as far
/// as the caller lets anyone see (see `Chunk::vectors`).
unsafe fn driver_slice<T>(t: &Table, what: &str, p: *const c_void, n: usize) -> Result<&'static [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(t.broken("rows_next_chunk", format!("gave {what} of {n} rows as NULL")));
    }
    if (p as usize) % std::mem::align_of::<T>() != 0 {
        return Err(t.broken("rows_next_chunk", format!("gave {what} at a misaligned address")));
    }
    if n.checked_mul(std::mem::size_of::<T>()).is_none_or(|b| b > isize::MAX as usize) {
        return Err(t.broken("rows_next_chunk", format!("gave a chunk of {n} rows, more than memory holds")));
    }
    // SAFETY: the caller's promise, checked for NULL, alignment and size.
    Ok(unsafe { std::slice::from_raw_parts(p as *const T, n) })
}

/// `len` bytes at `data`, as a driver hands out text and bytes (in a
/// `keel_value` or a chunk's `keel_driver_bytes`): NULL only with length
/// 0. The error is what the driver did wrong, for its message.
///
/// # Safety
/// `data`, when not NULL, points at `len` readable bytes (the header's
/// rule), valid for `'a`.
unsafe fn driver_bytes<'a>(data: *const u8, len: usize) -> std::result::Result<&'a [u8], &'static str> {
    if data.is_null() {
        return if len == 0 { Ok(&[]) } else { Err("NULL data with a length") };
    }
    if len > isize::MAX as usize {
        return Err("a length that is too large");
    }
    // SAFETY: the caller's promise, checked non-NULL and in range.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

const _: () = assert!(
    std::mem::size_of::<keel_driver_bytes>() == std::mem::size_of::<ByteRef>()
        && std::mem::align_of::<keel_driver_bytes>() == std::mem::align_of::<ByteRef>()
);

/// Check a chunk a driver gave for a cursor of `columns`: the pointers,
/// and every value that has rules (bools, times, text, uuids), so that
/// reading it later is safe and needs no check.
fn check_chunk(t: &Table, columns: &[Column], c: &keel_driver_chunk, out: &mut Vec<Vector<'static>>) -> Result<()> {
    let rows = c.rows;
    // SAFETY: the header's rule: `columns` holds one vector per column.
    let raw: &[keel_driver_vector] = unsafe { driver_slice(t, "the columns", c.columns as *const c_void, columns.len())? };
    out.clear();
    for (i, (col, v)) in columns.iter().zip(raw).enumerate() {
        let broken = |what: String| t.broken("rows_next_chunk", format!("{what} in column {i} ({:?})", col.name));
        let validity = if v.validity.is_null() {
            None
        } else {
            // SAFETY: the header's rule: one bit per row.
            Some(unsafe { driver_slice::<u64>(t, "a validity bitmap", v.validity as *const c_void, rows.div_ceil(64))? })
        };
        let valid = |r: usize| validity.is_none_or(|b| b[r / 64] >> (r % 64) & 1 == 1);
        // SAFETY (every driver_slice below): the header's rule for the
        // column's type: `rows` entries of that layout.
        let data = match col.kind {
            Type::Null => VectorData::Null,
            Type::Bool => {
                let b: &[u8] = unsafe { driver_slice(t, "a bool vector", v.data, rows)? };
                if let Some(r) = (0..rows).find(|&r| valid(r) && b[r] > 1) {
                    return Err(broken(format!("gave bool {} in row {r}, neither 0 nor 1", b[r])));
                }
                VectorData::Bool(b)
            }
            Type::Int64 | Type::Timestamp | Type::Timestamptz => {
                VectorData::Int64(unsafe { driver_slice(t, "an int64_t vector", v.data, rows)? })
            }
            Type::Time => {
                let x: &[i64] = unsafe { driver_slice(t, "a time vector", v.data, rows)? };
                if let Some(r) = (0..rows).find(|&r| valid(r) && !(0..MICROS_PER_DAY).contains(&x[r])) {
                    return Err(broken(format!("gave time {} in row {r}, not a time of day", x[r])));
                }
                VectorData::Int64(x)
            }
            Type::Uint64 => VectorData::Uint64(unsafe { driver_slice(t, "a uint64_t vector", v.data, rows)? }),
            Type::Double => VectorData::Double(unsafe { driver_slice(t, "a double vector", v.data, rows)? }),
            Type::Date => VectorData::Date(unsafe { driver_slice(t, "an int32_t vector", v.data, rows)? }),
            Type::Text | Type::Json | Type::Decimal | Type::Bytes | Type::Uuid => {
                let b: &[keel_driver_bytes] = unsafe { driver_slice(t, "a keel_driver_bytes vector", v.data, rows)? };
                for (r, x) in b.iter().enumerate().filter(|(r, _)| valid(*r)) {
                    // SAFETY: the header's rule: `len` bytes at `data`,
                    // valid until the next chunk.
                    let bytes = unsafe { driver_bytes(x.data, x.len) }.map_err(|why| broken(format!("gave {why} in row {r}")))?;
                    match col.kind {
                        Type::Uuid if bytes.len() != 16 => {
                            return Err(broken(format!("gave a uuid of {} bytes in row {r}, not 16", bytes.len())));
                        }
                        Type::Text | Type::Json | Type::Decimal => match crate::core::value::utf8(bytes) {
                            None => return Err(broken(format!("gave text that is not UTF-8 in row {r}"))),
                            Some(d) if col.kind == Type::Decimal && crate::core::value::check_decimal(d).is_err() => {
                                return Err(broken(format!("gave a decimal that is not a decimal number in row {r}")));
                            }
                            Some(_) => {}
                        },
                        _ => {}
                    }
                }
                // SAFETY: the same layout (asserted above), every entry of
                // a valid row checked: the invariant of `ByteRef`.
                VectorData::Bytes(unsafe { std::slice::from_raw_parts(b.as_ptr() as *const ByteRef, b.len()) })
            }
        };
        out.push(Vector { validity, data });
    }
    Ok(())
}

impl ForeignRows {
    fn table(&self) -> &Table {
        &self.stmt.conn.table
    }

    /// The driver's cursor, unless its statement closed it.
    fn live(&self) -> Result<Ptr> {
        let open = *self.slot.ptr.lock().unwrap_or_else(|p| p.into_inner());
        self.check_open()?;
        open.ok_or_else(closed)
    }

    /// The driver said the result has no more rows: this cursor is done,
    /// and the connection free again for a driver that runs one at a time.
    fn at_end(&mut self) {
        self.done = true;
        self.slot.ended.store(true, Ordering::Release);
    }

    /// Fails when the statement closed this cursor (ran again).
    fn check_open(&self) -> Result<()> {
        if self.slot.closed.load(Ordering::Acquire) { Err(closed()) } else { Ok(()) }
    }

    /// Read the driver's next chunk into `self.chunk`: false at the end.
    fn next_chunk(&mut self) -> Result<bool> {
        let rows = self.live()?;
        let mut vectors = self.chunk.take().map(|c| c.vectors).unwrap_or_default();
        vectors.clear();
        let t = &self.stmt.conn.table;
        let f = t.t.rows_next_chunk.expect("only for a driver with rows_next_chunk");
        let mut c = keel_driver_chunk { rows: 0, columns: std::ptr::null() };
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on a live cursor.
        let s = unsafe { f(rows.0, &mut c, &mut err) };
        t.check("rows_next_chunk", s, err)?;
        if c.rows == 0 {
            self.at_end();
            return Ok(false);
        }
        check_chunk(t, &self.columns, &c, &mut vectors)?;
        self.chunk = Some(Chunk { rows: c.rows, next: 0, vectors });
        Ok(true)
    }

    /// Column `i` of the current row of the chunk.
    fn chunk_value(&self, i: usize) -> ValueRef<'_> {
        let Some(ch) = &self.chunk else { return ValueRef::Null };
        let r = ch.next.wrapping_sub(1);
        let v = &ch.vectors[i];
        if r >= ch.rows || !v.is_valid(r) {
            return ValueRef::Null;
        }
        match (self.columns[i].kind, v.data) {
            (_, VectorData::Bool(b)) => ValueRef::Bool(b[r] != 0),
            (Type::Time, VectorData::Int64(x)) => ValueRef::Time(x[r]),
            (Type::Timestamp, VectorData::Int64(x)) => ValueRef::Timestamp(x[r]),
            (Type::Timestamptz, VectorData::Int64(x)) => ValueRef::Timestamptz(x[r]),
            (_, VectorData::Int64(x)) => ValueRef::Int64(x[r]),
            (_, VectorData::Uint64(x)) => ValueRef::Uint64(x[r]),
            (_, VectorData::Double(x)) => ValueRef::Double(x[r]),
            (_, VectorData::Date(x)) => ValueRef::Date(x[r]),
            (Type::Text, VectorData::Bytes(b)) => ValueRef::Text(b[r].text()),
            (Type::Json, VectorData::Bytes(b)) => ValueRef::Json(b[r].text()),
            (Type::Decimal, VectorData::Bytes(b)) => ValueRef::Decimal(b[r].text()),
            (Type::Uuid, VectorData::Bytes(b)) => ValueRef::Uuid(b[r].bytes().try_into().unwrap_or([0; 16])),
            (_, VectorData::Bytes(b)) => ValueRef::Bytes(b[r].bytes()),
            (_, VectorData::Null) => ValueRef::Null,
        }
    }

    /// Check the value the driver gave for column `i`.
    fn check_value(&self, i: usize, v: &keel_value) -> Result<()> {
        let t = self.table();
        let what = || format!("rows_value({i})");
        let kind = Type::from_i32(v.kind)
            .ok_or_else(|| t.broken(&what(), format!("gave type {}, which is not a keel_type", v.kind)))?;
        let col = self.columns[i].kind;
        if kind != Type::Null && col != Type::Null && kind != col {
            return Err(t.broken(
                &what(),
                format!("gave a {} value in column {:?}, whose type is {}", kind.name(), self.columns[i].name, col.name()),
            ));
        }
        let data = |v: &keel_value| -> Result<&[u8]> {
            // SAFETY: the header's rule: `len` bytes at `data`, valid until
            // the next `rows_next`.
            unsafe { driver_bytes(v.data, v.len) }.map_err(|why| t.broken(&what(), format!("gave {why}")))
        };
        match kind {
            Type::Bool if v.int_value != 0 && v.int_value != 1 => {
                Err(t.broken(&what(), format!("gave bool {}, neither 0 nor 1", v.int_value)))
            }
            Type::Date if i32::try_from(v.int_value).is_err() => {
                Err(t.broken(&what(), format!("gave date {}, out of range", v.int_value)))
            }
            Type::Time if !(0..MICROS_PER_DAY).contains(&v.int_value) => {
                Err(t.broken(&what(), format!("gave time {}, not a time of day", v.int_value)))
            }
            Type::Text | Type::Json | Type::Decimal => {
                let text = std::str::from_utf8(data(v)?).map_err(|_| t.broken(&what(), "gave text that is not UTF-8"))?;
                if kind == Type::Decimal && crate::core::value::check_decimal(text).is_err() {
                    return Err(t.broken(&what(), format!("gave decimal {text:?}, which is not a decimal number")));
                }
                Ok(())
            }
            Type::Bytes => data(v).map(|_| ()),
            Type::Uuid if v.data.is_null() || v.len != 16 => Err(t.broken(&what(), "gave a uuid that is not 16 bytes")),
            _ => Ok(()),
        }
    }
}

impl Drop for ForeignRows {
    fn drop(&mut self) {
        self.slot.free(&self.stmt.conn.table);
    }
}

impl DriverRows for ForeignRows {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn next(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        if self.chunked {
            self.check_open()?;
            if self.advance_buffered() {
                return Ok(true);
            }
            if !self.next_chunk()? {
                return Ok(false);
            }
            self.chunk.as_mut().expect("read above").next = 1;
            return Ok(true);
        }
        let rows = self.live()?;
        let t = &self.stmt.conn.table;
        let mut has: i32 = -1;
        let mut err = std::ptr::null_mut();
        // SAFETY: the driver's function on a live cursor.
        let s = unsafe { fp!(t, rows_next)(rows.0, &mut has, &mut err) };
        t.check("rows_next", s, err)?;
        match has {
            0 => {
                self.at_end();
                return Ok(false);
            }
            1 => {}
            n => return Err(t.broken("rows_next", format!("gave has_row {n}, neither 0 nor 1"))),
        }
        for i in 0..self.columns.len() {
            let mut v = keel_value::scalar(Type::Null);
            let mut err = std::ptr::null_mut();
            // SAFETY: the driver's function; `v` lives for the call.
            let s = unsafe { fp!(t, rows_value)(rows.0, i, &mut v, &mut err) };
            // The label is made only for a failure: this runs for every
            // value read.
            if s != Status::Ok as i32 || !err.is_null() {
                t.check(&format!("rows_value({i})"), s, err)?;
            }
            self.check_value(i, &v)?;
            self.values[i] = v;
        }
        Ok(true)
    }
    fn value(&self, i: usize) -> ValueRef<'_> {
        if self.chunked {
            return self.chunk_value(i);
        }
        let v = &self.values[i];
        // SAFETY: checked by `check_value` when `next` read it; the data
        // stays valid until the next `next` (the header's rule), and the
        // core reads no value of a closed cursor (`is_closed`).
        let bytes = || unsafe { if v.len == 0 { &[][..] } else { std::slice::from_raw_parts(v.data, v.len) } };
        // SAFETY: text checked UTF-8 by `check_value`.
        let text = || unsafe { std::str::from_utf8_unchecked(bytes()) };
        match Type::from_i32(v.kind).unwrap_or(Type::Null) {
            Type::Null => ValueRef::Null,
            Type::Bool => ValueRef::Bool(v.int_value != 0),
            Type::Int64 => ValueRef::Int64(v.int_value),
            Type::Uint64 => ValueRef::Uint64(v.uint_value),
            Type::Double => ValueRef::Double(v.double_value),
            Type::Text => ValueRef::Text(text()),
            Type::Json => ValueRef::Json(text()),
            Type::Decimal => ValueRef::Decimal(text()),
            Type::Bytes => ValueRef::Bytes(bytes()),
            Type::Date => ValueRef::Date(v.int_value as i32),
            Type::Time => ValueRef::Time(v.int_value),
            Type::Timestamp => ValueRef::Timestamp(v.int_value),
            Type::Timestamptz => ValueRef::Timestamptz(v.int_value),
            Type::Uuid => ValueRef::Uuid(bytes().try_into().unwrap_or([0; 16])),
        }
    }
    fn is_closed(&self) -> bool {
        self.slot.closed.load(Ordering::Acquire)
    }
    fn advance_buffered(&mut self) -> bool {
        // Rows::next checked is_closed just before.
        match self.chunk.as_mut().filter(|c| c.next < c.rows) {
            Some(ch) if !self.done => {
                ch.next += 1;
                true
            }
            _ => false,
        }
    }
    fn current_in_vectors(&self) -> Option<(&[Column], &[Vector<'_>], usize)> {
        let ch = self.chunk.as_ref()?;
        let r = ch.next.wrapping_sub(1);
        (r < ch.rows).then_some((&self.columns[..], &ch.vectors[..], r))
    }
    fn next_run(&mut self, max: usize, _max_bytes: usize) -> Result<Option<Run<'_>>> {
        // The run is part of a chunk the driver has handed over already:
        // its size is the driver's (the reader checks the bytes between
        // runs).
        if !self.chunked {
            return Ok(None);
        }
        if self.done {
            return Ok(Some(Run::end()));
        }
        self.check_open()?;
        if self.chunk.as_ref().is_none_or(|c| c.next >= c.rows) && !self.next_chunk()? {
            return Ok(Some(Run::end()));
        }
        let ch = self.chunk.as_mut().expect("read above");
        let start = ch.next;
        let rows = max.min(ch.rows - start);
        ch.next += rows;
        Ok(Some(Run { start, rows, columns: ch.vectors.clone() }))
    }
}
