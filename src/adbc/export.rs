//! The C entry points `AdbcKeelInit` and `AdbcDriverInit`: `adbc_ffi`'s
//! exported driver (its `FFIDriver` table for `KeelDriver`), with keel's
//! own functions in the slots where that table falls short of adbc.h:
//!
//! - `StatementExecuteQuery`: adbc_ffi writes `rows_affected` only when
//!   there is no result stream (`Statement::execute` returns a reader
//!   alone). keel's writes -1 first, then what the statement reported
//!   (`note_executed`): the count for a statement without a result, -1
//!   for a query. And it wraps the stream so that the error that ended it
//!   can be asked for (`ErrorFromArrayStream`).
//! - `ErrorFromArrayStream` (adbc_ffi leaves it NULL): the keel error, as
//!   ADBC's (status, SQLSTATE, details), that ended a stream of
//!   `StatementExecuteQuery`.
//! - `ConnectionGetInfo`: adbc_ffi refuses an info code it does not know;
//!   adbc.h says drivers ignore them, so keel leaves them out first.
//! - `ConnectionGetObjects`: adbc_ffi refuses an unknown depth as
//!   INVALID_DATA; it is the caller's argument: INVALID_ARGUMENT.
//!
//! With `ADBC_VERSION_1_0_0` only the 1.0 part of the driver struct is
//! written, as adbc.h asks, and every function in it writes its error as
//! a 1.0 `AdbcError` (which has no `private_data`/`private_driver`: the
//! 1.1 error adbc_ffi writes would run past it).

use super::{KeelDriver, err};
use adbc_core::constants::{ADBC_OBJECT_DEPTH_TABLES, ADBC_STATUS_OK, ADBC_VERSION_1_0_0, ADBC_VERSION_1_1_0};
use adbc_core::error::{AdbcStatusCode, Error as AdbcError, Status as AdbcStatus};
use adbc_core::options::InfoCode;
use adbc_ffi::{
    FFI_AdbcConnection, FFI_AdbcDatabase, FFI_AdbcDriver, FFI_AdbcError, FFI_AdbcPartitions, FFI_AdbcStatement,
    FFIDriver,
};
use arrow_array::ffi::FFI_ArrowArray;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_schema::ffi::FFI_ArrowSchema;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Where a result stream's reader puts the error that ended it, for
/// `ErrorFromArrayStream`.
pub(crate) type StreamError = Arc<Mutex<Option<AdbcError>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What `Statement::execute` reports besides its reader, for the
/// `StatementExecuteQuery` around it (on the same thread, in the same
/// call).
pub(crate) struct Executed {
    /// Rows affected; -1 when not known (a query's rows).
    pub(crate) rows_affected: i64,
    /// The stream's error slot (`None`: it cannot fail).
    pub(crate) errors: Option<StreamError>,
}

thread_local! {
    static EXECUTED: RefCell<Option<Executed>> = const { RefCell::new(None) };
}

/// Called by `KeelStatement::execute` as it returns its reader.
pub(crate) fn note_executed(executed: Executed) {
    EXECUTED.with(|e| *e.borrow_mut() = Some(executed));
}

fn take_executed() -> Option<Executed> {
    EXECUTED.with(|e| e.borrow_mut().take())
}

/// adbc_ffi's table for `KeelDriver` with keel's functions in place: the
/// 1.1 driver. Its functions are what the slots of the 1.0 driver call.
fn keel_driver() -> &'static FFI_AdbcDriver {
    static DRIVER: OnceLock<FFI_AdbcDriver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let mut d = <KeelDriver as FFIDriver>::ffi_driver();
        d.StatementExecuteQuery = Some(statement_execute_query);
        d.ErrorFromArrayStream = Some(error_from_array_stream);
        d.ConnectionGetInfo = Some(connection_get_info);
        d.ConnectionGetObjects = Some(connection_get_objects);
        d
    })
}

/// adbc_ffi's own table, whose functions keel's call.
fn ffi_driver() -> &'static FFI_AdbcDriver {
    static DRIVER: OnceLock<FFI_AdbcDriver> = OnceLock::new();
    DRIVER.get_or_init(<KeelDriver as FFIDriver>::ffi_driver)
}

/// A fresh copy of the table in `d` (its `release` included, which only
/// marks the copy released).
fn copy_of(d: &FFI_AdbcDriver) -> FFI_AdbcDriver {
    // SAFETY: the struct is plain pointers; the copy owns nothing that
    // the original frees.
    unsafe { std::ptr::read(d) }
}

/// Write `e` to the caller's 1.1 `error` (as adbc_ffi does: keeping the
/// `private_driver` the driver manager put there) and return its status.
unsafe fn set_error(error: *mut FFI_AdbcError, e: AdbcError) -> AdbcStatusCode {
    let status: AdbcStatusCode = e.status.into();
    if !error.is_null() {
        let mut ffi = FFI_AdbcError::try_from(e).unwrap_or_else(Into::into);
        ffi.private_driver = unsafe { (*error).private_driver };
        unsafe { std::ptr::write_unaligned(error, ffi) };
    }
    status
}

// --- The entry point -------------------------------------------------------

/// `AdbcDriverInitFunc`: ADBC 1.1.0 fills the whole driver struct, 1.0.0
/// its 1.0 part (up to `ErrorGetDetailCount`); any other version is
/// NOT_IMPLEMENTED, so that a driver manager tries an older one.
///
/// # Safety
/// `driver` points to an `AdbcDriver` of the version asked for; `error` is
/// NULL or an `AdbcError` of that version (any version's for a version
/// keel does not have).
unsafe fn init(version: c_int, driver: *mut c_void, error: *mut FFI_AdbcError) -> AdbcStatusCode {
    let v10 = version == ADBC_VERSION_1_0_0;
    if version != ADBC_VERSION_1_1_0 && !v10 {
        // The caller's error may be 1.0's: only its 1.0 fields are written.
        let e = err(
            AdbcStatus::NotImplemented,
            format!("ADBC version {version}: keel has 1.1.0 ({ADBC_VERSION_1_1_0}) and 1.0.0 ({ADBC_VERSION_1_0_0})"),
        );
        return unsafe { set_error_v10(error as *mut ErrorV10, e) };
    }
    if driver.is_null() {
        let e = err(AdbcStatus::InvalidArguments, "AdbcDriverInit: the driver is NULL");
        return unsafe { if v10 { set_error_v10(error as *mut ErrorV10, e) } else { set_error(error, e) } };
    }
    if v10 {
        let d = driver_v10();
        // SAFETY: the caller's struct has the 1.0 part, which is a prefix
        // of the 1.1 struct.
        unsafe {
            std::ptr::copy_nonoverlapping(
                &d as *const FFI_AdbcDriver as *const u8,
                driver as *mut u8,
                std::mem::offset_of!(FFI_AdbcDriver, ErrorGetDetailCount),
            )
        };
        // The bytes copied now belong to the caller's struct.
        std::mem::forget(d);
    } else {
        unsafe { std::ptr::write_unaligned(driver as *mut FFI_AdbcDriver, copy_of(keel_driver())) };
    }
    ADBC_STATUS_OK
}

// The two entry points come out of a macro, as adbc_ffi's `export_driver!`
// does, so that cbindgen (which does not expand macros) leaves them out of
// keel.h: they are ADBC's functions, not keel's.
macro_rules! entry_points {
    ($($name:ident),*) => {$(
        /// The ADBC driver's entry point (`AdbcDriverInitFunc`): see `init`.
        /// `AdbcDriverInit` is the fallback a driver manager looks for when
        /// it does not derive `AdbcKeelInit` from the library's name.
        ///
        /// # Safety
        /// As `init`'s.
        #[allow(non_snake_case)]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(version: c_int, driver: *mut c_void, error: *mut FFI_AdbcError) -> AdbcStatusCode {
            unsafe { init(version, driver, error) }
        }
    )*};
}

entry_points!(AdbcKeelInit, AdbcDriverInit);

// --- StatementExecuteQuery and its stream ------------------------------------

unsafe extern "C" fn statement_execute_query(
    statement: *mut FFI_AdbcStatement,
    out: *mut FFI_ArrowArrayStream,
    rows_affected: *mut i64,
    error: *mut FFI_AdbcError,
) -> AdbcStatusCode {
    if !rows_affected.is_null() {
        unsafe { std::ptr::write_unaligned(rows_affected, -1) };
    }
    take_executed();
    let inner = ffi_driver().StatementExecuteQuery.expect("adbc_ffi fills StatementExecuteQuery");
    let status = unsafe { inner(statement, out, rows_affected, error) };
    let executed = take_executed();
    // Without `out`, adbc_ffi ran `execute_update` and wrote its count.
    if status != ADBC_STATUS_OK || out.is_null() {
        return status;
    }
    let Some(executed) = executed else { return status };
    if !rows_affected.is_null() {
        unsafe { std::ptr::write_unaligned(rows_affected, executed.rows_affected) };
    }
    if let Some(errors) = executed.errors {
        // SAFETY: adbc_ffi wrote a stream to `out`; it moves into ours.
        let inner = unsafe { std::ptr::read(out) };
        let wrapped = Box::new(Wrapped { inner, errors, error: None });
        let stream = FFI_ArrowArrayStream {
            get_schema: Some(wrapped_get_schema),
            get_next: Some(wrapped_get_next),
            get_last_error: Some(wrapped_get_last_error),
            release: Some(wrapped_release),
            private_data: Box::into_raw(wrapped) as *mut c_void,
        };
        unsafe { std::ptr::write_unaligned(out, stream) };
    }
    status
}

/// A result stream as keel hands it out: adbc_ffi's, and the error that
/// ended it.
struct Wrapped {
    inner: FFI_ArrowArrayStream,
    errors: StreamError,
    /// The error `ErrorFromArrayStream` handed out, which lives as long as
    /// the stream.
    error: Option<FFI_AdbcError>,
}

unsafe fn wrapped<'a>(stream: *mut FFI_ArrowArrayStream) -> Option<&'a mut Wrapped> {
    if stream.is_null() {
        return None;
    }
    let s = unsafe { &*stream };
    let ours = s.release.is_some_and(|r| std::ptr::fn_addr_eq(r, wrapped_release as unsafe extern "C" fn(_)));
    if !ours || s.private_data.is_null() {
        return None;
    }
    Some(unsafe { &mut *(s.private_data as *mut Wrapped) })
}

unsafe extern "C" fn wrapped_get_schema(stream: *mut FFI_ArrowArrayStream, out: *mut FFI_ArrowSchema) -> c_int {
    match unsafe { wrapped(stream) } {
        Some(w) => match w.inner.get_schema {
            Some(f) => unsafe { f(&mut w.inner, out) },
            None => libc_einval(),
        },
        None => libc_einval(),
    }
}

unsafe extern "C" fn wrapped_get_next(stream: *mut FFI_ArrowArrayStream, out: *mut FFI_ArrowArray) -> c_int {
    match unsafe { wrapped(stream) } {
        Some(w) => match w.inner.get_next {
            Some(f) => unsafe { f(&mut w.inner, out) },
            None => libc_einval(),
        },
        None => libc_einval(),
    }
}

unsafe extern "C" fn wrapped_get_last_error(stream: *mut FFI_ArrowArrayStream) -> *const c_char {
    match unsafe { wrapped(stream) } {
        Some(w) => match w.inner.get_last_error {
            Some(f) => unsafe { f(&mut w.inner) },
            None => std::ptr::null(),
        },
        None => std::ptr::null(),
    }
}

unsafe extern "C" fn wrapped_release(stream: *mut FFI_ArrowArrayStream) {
    if stream.is_null() {
        return;
    }
    let s = unsafe { &mut *stream };
    if !s.private_data.is_null() {
        // Dropping it releases adbc_ffi's stream and the error.
        drop(unsafe { Box::from_raw(s.private_data as *mut Wrapped) });
    }
    s.private_data = std::ptr::null_mut();
    s.release = None;
}

fn libc_einval() -> c_int {
    22 // EINVAL
}

/// `ErrorFromArrayStream`: for a stream of keel's `StatementExecuteQuery`
/// that failed, the error (owned by the stream, valid until it is
/// released) and its status; otherwise NULL.
unsafe extern "C" fn error_from_array_stream(
    stream: *mut FFI_ArrowArrayStream,
    status: *mut AdbcStatusCode,
) -> *const FFI_AdbcError {
    let Some(w) = (unsafe { wrapped(stream) }) else { return std::ptr::null() };
    // Made again if the caller released it after all (adbc.h says it must
    // not; adbc_driver_manager's Python package does).
    if w.error.as_ref().is_none_or(|e| e.release.is_none()) {
        let Some(e) = lock(&w.errors).clone() else { return std::ptr::null() };
        let mut ffi = FFI_AdbcError::try_from(e).unwrap_or_else(Into::into);
        if let Some(release) = ffi.release {
            let _ = FFI_RELEASE.set(release);
            ffi.release = Some(release_once);
        }
        w.error = Some(ffi);
    }
    let error = w.error.as_ref().expect("set above");
    if !status.is_null() {
        let code: AdbcStatusCode = lock(&w.errors).as_ref().map_or(AdbcStatus::Unknown, |e| e.status).into();
        unsafe { std::ptr::write_unaligned(status, code) };
    }
    error
}

/// adbc_ffi's release of its errors, which frees the message and the
/// details but leaves the pointers (and itself) in place.
static FFI_RELEASE: OnceLock<unsafe extern "C" fn(*mut FFI_AdbcError)> = OnceLock::new();

/// The release of a stream's error: adbc_ffi's, once; then the error is
/// empty, so that releasing it again (the caller, then the stream) frees
/// nothing twice.
unsafe extern "C" fn release_once(error: *mut FFI_AdbcError) {
    let Some(e) = (unsafe { error.as_mut() }) else { return };
    if e.release.is_none() {
        return;
    }
    if let Some(release) = FFI_RELEASE.get() {
        unsafe { release(e) };
    }
    e.message = std::ptr::null_mut();
    e.private_data = std::ptr::null_mut();
    e.release = None;
}

// --- ConnectionGetInfo, ConnectionGetObjects --------------------------------

unsafe extern "C" fn connection_get_info(
    connection: *mut FFI_AdbcConnection,
    info_codes: *const u32,
    info_codes_length: usize,
    out: *mut FFI_ArrowArrayStream,
    error: *mut FFI_AdbcError,
) -> AdbcStatusCode {
    let inner = ffi_driver().ConnectionGetInfo.expect("adbc_ffi fills ConnectionGetInfo");
    if info_codes.is_null() {
        return unsafe { inner(connection, info_codes, info_codes_length, out, error) };
    }
    // adbc.h: "Drivers/vendors will ignore requests for unrecognized codes".
    let asked = unsafe { std::slice::from_raw_parts(info_codes, info_codes_length) };
    let known: Vec<u32> = asked.iter().copied().filter(|c| InfoCode::try_from(*c).is_ok()).collect();
    unsafe { inner(connection, known.as_ptr(), known.len(), out, error) }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn connection_get_objects(
    connection: *mut FFI_AdbcConnection,
    depth: c_int,
    catalog: *const c_char,
    db_schema: *const c_char,
    table_name: *const c_char,
    table_type: *const *const c_char,
    column_name: *const c_char,
    out: *mut FFI_ArrowArrayStream,
    error: *mut FFI_AdbcError,
) -> AdbcStatusCode {
    if !(0..=ADBC_OBJECT_DEPTH_TABLES).contains(&depth) {
        let e = err(
            AdbcStatus::InvalidArguments,
            format!("GetObjects: depth {depth} is none of ADBC's (0 all/columns, 1 catalogs, 2 db schemas, 3 tables)"),
        );
        return unsafe { set_error(error, e) };
    }
    let inner = ffi_driver().ConnectionGetObjects.expect("adbc_ffi fills ConnectionGetObjects");
    unsafe { inner(connection, depth, catalog, db_schema, table_name, table_type, column_name, out, error) }
}

// --- ADBC 1.0.0 ---------------------------------------------------------------

/// ADBC 1.0.0's `AdbcError`: 1.1's without `private_data` and
/// `private_driver`.
#[repr(C)]
struct ErrorV10 {
    message: *mut c_char,
    vendor_code: i32,
    sqlstate: [c_char; 5],
    release: Option<unsafe extern "C" fn(*mut ErrorV10)>,
}

unsafe extern "C" fn release_v10(error: *mut ErrorV10) {
    let Some(e) = (unsafe { error.as_mut() }) else { return };
    if !e.message.is_null() {
        drop(unsafe { CString::from_raw(e.message) });
    }
    e.message = std::ptr::null_mut();
    e.release = None;
}

/// Write `e` to a 1.0 `error`: the message, the SQLSTATE, and as the
/// vendor code the engine's number (the `keel.vendor_code` detail; 1.0
/// has no details).
unsafe fn set_error_v10(error: *mut ErrorV10, e: AdbcError) -> AdbcStatusCode {
    let status: AdbcStatusCode = e.status.into();
    if !error.is_null() {
        let vendor_code = e
            .details
            .iter()
            .flatten()
            .find(|(k, _)| k == "keel.vendor_code")
            .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse().ok())
            .unwrap_or(0);
        let message = CString::new(e.message.replace('\0', "?")).unwrap_or_default();
        let v10 = ErrorV10 { message: message.into_raw(), vendor_code, sqlstate: e.sqlstate, release: Some(release_v10) };
        unsafe { std::ptr::write_unaligned(error, v10) };
    }
    status
}

/// Run `f` (a function of the 1.1 driver) with a 1.1 error of its own, and
/// hand its error on to the 1.0 caller's `error`.
unsafe fn as_v10(error: *mut FFI_AdbcError, f: impl FnOnce(*mut FFI_AdbcError) -> AdbcStatusCode) -> AdbcStatusCode {
    let mut own = FFI_AdbcError::with_driver(keel_driver());
    let status = f(&mut own);
    if own.release.is_some() && !error.is_null() {
        // The 1.1 error's fields, with its details as `Error::try_from`
        // reads them through the driver.
        let message = if own.message.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(own.message) }.to_string_lossy().into_owned()
        };
        let details = AdbcError::try_from(&own).ok().and_then(|e| e.details);
        let mut e = AdbcError::with_message_and_status(message, AdbcStatus::Unknown);
        e.sqlstate = own.sqlstate;
        e.details = details;
        // The status is the call's.
        unsafe { set_error_v10(error as *mut ErrorV10, e) };
    }
    status
}

/// For the 1.0 driver: a function with keel's 1.1 function `$slot`'s
/// arguments (but its `error` a 1.0 one).
macro_rules! v10 {
    ($slot:ident ( $($a:ident : $t:ty),* )) => {{
        unsafe extern "C" fn f($($a: $t,)* error: *mut FFI_AdbcError) -> AdbcStatusCode {
            let inner = keel_driver().$slot.expect(concat!("keel fills ", stringify!($slot)));
            unsafe { as_v10(error, |e| inner($($a,)* e)) }
        }
        Some(f)
    }};
}

unsafe extern "C" fn release_driver_v10(driver: *mut FFI_AdbcDriver, error: *mut FFI_AdbcError) -> AdbcStatusCode {
    // Only the 1.0 part is the caller's: nothing beyond it is touched.
    type Release = Option<unsafe extern "C" fn(*mut FFI_AdbcDriver, *mut FFI_AdbcError) -> AdbcStatusCode>;
    let slot = if driver.is_null() {
        std::ptr::null_mut()
    } else {
        unsafe { std::ptr::addr_of_mut!((*driver).release) as *mut Release }
    };
    if slot.is_null() || unsafe { std::ptr::read_unaligned(slot) }.is_none() {
        let e = err(AdbcStatus::InvalidState, "the driver is NULL or released already");
        return unsafe { set_error_v10(error as *mut ErrorV10, e) };
    }
    unsafe { std::ptr::write_unaligned(slot, None) };
    ADBC_STATUS_OK
}

/// The 1.0 driver: the 1.1 one's functions, each giving a 1.0 error. Only
/// its 1.0 part is handed out.
fn driver_v10() -> FFI_AdbcDriver {
    let mut d = copy_of(keel_driver());
    d.release = Some(release_driver_v10);
    d.DatabaseInit = v10!(DatabaseInit(database: *mut FFI_AdbcDatabase));
    d.DatabaseNew = v10!(DatabaseNew(database: *mut FFI_AdbcDatabase));
    d.DatabaseSetOption = v10!(DatabaseSetOption(database: *mut FFI_AdbcDatabase, key: *const c_char, value: *const c_char));
    d.DatabaseRelease = v10!(DatabaseRelease(database: *mut FFI_AdbcDatabase));
    d.ConnectionCommit = v10!(ConnectionCommit(connection: *mut FFI_AdbcConnection));
    d.ConnectionGetInfo = v10!(ConnectionGetInfo(
        connection: *mut FFI_AdbcConnection,
        codes: *const u32,
        length: usize,
        out: *mut FFI_ArrowArrayStream
    ));
    d.ConnectionGetObjects = v10!(ConnectionGetObjects(
        connection: *mut FFI_AdbcConnection,
        depth: c_int,
        catalog: *const c_char,
        db_schema: *const c_char,
        table_name: *const c_char,
        table_type: *const *const c_char,
        column_name: *const c_char,
        out: *mut FFI_ArrowArrayStream
    ));
    d.ConnectionGetTableSchema = v10!(ConnectionGetTableSchema(
        connection: *mut FFI_AdbcConnection,
        catalog: *const c_char,
        db_schema: *const c_char,
        table_name: *const c_char,
        schema: *mut FFI_ArrowSchema
    ));
    d.ConnectionGetTableTypes = v10!(ConnectionGetTableTypes(connection: *mut FFI_AdbcConnection, out: *mut FFI_ArrowArrayStream));
    d.ConnectionInit = v10!(ConnectionInit(connection: *mut FFI_AdbcConnection, database: *mut FFI_AdbcDatabase));
    d.ConnectionNew = v10!(ConnectionNew(connection: *mut FFI_AdbcConnection));
    d.ConnectionSetOption =
        v10!(ConnectionSetOption(connection: *mut FFI_AdbcConnection, key: *const c_char, value: *const c_char));
    d.ConnectionReadPartition = v10!(ConnectionReadPartition(
        connection: *mut FFI_AdbcConnection,
        partition: *const u8,
        length: usize,
        out: *mut FFI_ArrowArrayStream
    ));
    d.ConnectionRelease = v10!(ConnectionRelease(connection: *mut FFI_AdbcConnection));
    d.ConnectionRollback = v10!(ConnectionRollback(connection: *mut FFI_AdbcConnection));
    d.StatementBind =
        v10!(StatementBind(statement: *mut FFI_AdbcStatement, values: *mut FFI_ArrowArray, schema: *mut FFI_ArrowSchema));
    d.StatementBindStream = v10!(StatementBindStream(statement: *mut FFI_AdbcStatement, stream: *mut FFI_ArrowArrayStream));
    d.StatementExecuteQuery = v10!(StatementExecuteQuery(
        statement: *mut FFI_AdbcStatement,
        out: *mut FFI_ArrowArrayStream,
        rows_affected: *mut i64
    ));
    d.StatementExecutePartitions = v10!(StatementExecutePartitions(
        statement: *mut FFI_AdbcStatement,
        schema: *mut FFI_ArrowSchema,
        partitions: *mut FFI_AdbcPartitions,
        rows_affected: *mut i64
    ));
    d.StatementGetParameterSchema =
        v10!(StatementGetParameterSchema(statement: *mut FFI_AdbcStatement, schema: *mut FFI_ArrowSchema));
    d.StatementNew = v10!(StatementNew(connection: *mut FFI_AdbcConnection, statement: *mut FFI_AdbcStatement));
    d.StatementPrepare = v10!(StatementPrepare(statement: *mut FFI_AdbcStatement));
    d.StatementRelease = v10!(StatementRelease(statement: *mut FFI_AdbcStatement));
    d.StatementSetOption =
        v10!(StatementSetOption(statement: *mut FFI_AdbcStatement, key: *const c_char, value: *const c_char));
    d.StatementSetSqlQuery = v10!(StatementSetSqlQuery(statement: *mut FFI_AdbcStatement, query: *const c_char));
    d.StatementSetSubstraitPlan =
        v10!(StatementSetSubstraitPlan(statement: *mut FFI_AdbcStatement, plan: *const u8, length: usize));
    d
}
