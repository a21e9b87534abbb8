//! `keel_conn`: one connection checked out of a pool.

use super::boundary::{Opaque, c_sql, c_str, call_on, call_on_shared, free_handle, get, get_or, into_handle, out_ptr, write};
use super::error::keel_error;
use super::rows::RowsState;
use super::stmt::{StmtState, keel_stmt};
use super::types::{keel_exec_result, keel_tx_options, keel_value, params_in};
use crate::core::db::Conn;
use super::types::Dialect;
use crate::core::driver::Capability;
use crate::core::error::{Error, Status};
use std::ffi::{CString, c_char};

/// One connection checked out of a `keel_db` pool.
///
/// Created by `keel_db_checkout`, destroyed by `keel_conn_free` or its
/// other name `keel_conn_return` (which return it to the pool, rolled back
/// if a transaction is open), or by `keel_conn_close` (which closes its
/// session instead). Methods: `keel_conn_exec`, `keel_conn_exec_len`,
/// `keel_conn_query`, `keel_conn_query_len`, `keel_conn_query_arrow`,
/// `keel_conn_ingest`,
/// `keel_conn_prepare`,
/// `keel_conn_prepare_len`, `keel_conn_prepare_cached`, `keel_conn_begin`,
/// `keel_conn_commit`,
/// `keel_conn_rollback`, `keel_conn_savepoint`,
/// `keel_conn_savepoint_release` (also named `keel_conn_release`),
/// `keel_conn_rollback_to`, `keel_conn_ping`, `keel_conn_in_transaction`,
/// `keel_conn_dialect`, `keel_conn_supports`, `keel_conn_server_version`,
/// `keel_conn_cancel_handle`, and the catalog: `keel_conn_catalogs`,
/// `keel_conn_schemas`, `keel_conn_tables`, `keel_conn_columns`,
/// `keel_conn_primary_keys`, `keel_conn_foreign_keys`,
/// `keel_conn_indexes`, `keel_conn_unique_constraints`,
/// `keel_conn_check_constraints`. Thread rule: it may move between threads but
/// must not be used by two at once, and its statements and cursors go with
/// it. In Rust it is a `keel::Conn` (an `Arc` of the session).
pub struct keel_conn {
    _private: [u8; 0],
}

pub(crate) struct ConnState {
    conn: Conn,
    version: Option<CString>,
}

impl ConnState {
    pub(crate) fn conn(&self) -> &Conn {
        &self.conn
    }

    pub(crate) fn new(conn: Conn) -> ConnState {
        ConnState { conn, version: None }
    }
}

impl Opaque for keel_conn {
    type Rust = ConnState;
    const NAME: &'static str = "conn";
}

/// Return a connection to its pool (the same call as `keel_conn_return`).
///
/// A transaction still open on the server is rolled back first, whether
/// `keel_conn_begin` or SQL (`BEGIN`, `START TRANSACTION`) opened it; a
/// connection that cannot be rolled back, or that broke, is closed
/// instead. Cancel handles taken from it stop working (see
/// `keel_conn_cancel_handle`). Statements and cursors made from it stay
/// valid and keep it checked out until they are freed too; it goes back to
/// the pool when the last of them is freed. A connection inherited across
/// fork() is neither rolled back nor returned: freeing it in the child only
/// releases the handle, and the parent's session is untouched.
///
/// Ownership: takes back `conn`; NULL is a no-op.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_free(conn: *mut keel_conn) {
    free_handle(conn)
}

/// Return a connection to its pool: `keel_conn_free` under the name that
/// says what it does in a pooled API. Everything said there holds.
///
/// Ownership: takes back `conn`; NULL is a no-op.
///
/// Errors: none.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_return(conn: *mut keel_conn) {
    free_handle(conn)
}

/// Close a connection's session instead of returning it to the pool, and
/// free the handle.
///
/// For a session whose state you changed (`SET search_path`, temporary
/// tables) or no longer trust. The pool opens a new session when it needs
/// one. Statements and cursors made from `conn` stay usable until they are
/// freed; the session closes when the last of them goes. An open
/// transaction is never committed: closing the session ends it without
/// effect.
///
/// Ownership: takes back `conn` in every case but one (see Errors); NULL
/// is a no-op that returns `KEEL_STATUS_OK`.
///
/// Errors: `KEEL_STATUS_INVALID_STATE` (the handle was poisoned by an
/// earlier panic; it is still freed and its session closed; or, against
/// the thread rule, another thread's call is running on it: then it is
/// left to that call, neither closed nor freed).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_close(conn: *mut keel_conn, err_out: *mut *mut keel_error) -> Status {
    if conn.is_null() {
        return Status::Ok;
    }
    // Reports a poisoned handle; closing goes ahead regardless (a panic
    // left the session in an unknown state, which is what closing is for).
    let status = call_on(conn, err_out, |_| Ok(()));
    super::boundary::teardown(conn, |c| c.conn.mark_closed());
    free_handle(conn);
    status
}

/// Run one statement, discarding any rows.
///
/// Prepares `sql` (exactly one statement), binds `params[0..n_params]` to
/// its placeholders (the count must match) and runs it. The statement
/// comes from, and goes back to, the connection's statement cache (see
/// the preamble). While a cursor is open on the connection, this fails
/// with `KEEL_STATUS_INVALID_STATE` on engines without
/// `KEEL_CAPABILITY_SEVERAL_CURSORS` (PostgreSQL, MySQL, SQL Server; see
/// `keel_conn_query` and `keel_conn_supports`).
///
/// Ownership: `sql` and `params` are borrowed for the call. `result_out`
/// may be NULL; otherwise it receives the rows affected and last insert id.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, sql, params when n_params >
/// 0), `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, more than one
/// statement, wrong parameter count, a value the engine cannot hold),
/// `KEEL_STATUS_INTEGRITY` (constraint violated, SQLSTATE class 23),
/// `KEEL_STATUS_BUSY` (locked; retry), `KEEL_STATUS_NOT_IMPLEMENTED`
/// (PostgreSQL's `COPY ... FROM STDIN` and `COPY ... TO STDOUT`, which run
/// in the protocol's copy mode: refused before anything is sent, as by
/// `keel_conn_prepare`), and other engine errors.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_exec(
    conn: *mut keel_conn,
    sql: *const c_char,
    params: *const keel_value,
    n_params: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    conn_exec(conn, || c_str(sql, "sql"), params, n_params, result_out, err_out)
}

/// The body of `keel_conn_exec` and `keel_conn_exec_len`, which differ in
/// how the SQL comes.
fn conn_exec<'a>(
    conn: *mut keel_conn,
    sql: impl FnOnce() -> crate::core::error::Result<&'a str>,
    params: *const keel_value,
    n_params: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let sql = sql()?;
        let params = params_in(params, n_params)?;
        super::types::check_result(result_out)?;
        let r = c.conn.exec(sql, &params)?;
        super::types::write_result(result_out, r);
        Ok(())
    })
}

/// Run one statement given as (pointer, length), discarding any rows.
///
/// As `keel_conn_exec`, with `sql` the `sql_len` bytes at `sql`, which need
/// no NUL terminator and must hold no NUL byte: SQL with one is refused
/// (`KEEL_STATUS_INVALID_ARGUMENT`, nothing run), never cut short at it.
///
/// Ownership: `sql` and `params` are borrowed for the call. `result_out`
/// may be NULL.
///
/// Errors: as `keel_conn_exec`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
/// byte in the SQL).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_exec_len(
    conn: *mut keel_conn,
    sql: *const c_char,
    sql_len: usize,
    params: *const keel_value,
    n_params: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    conn_exec(conn, || c_sql(sql, sql_len, "sql"), params, n_params, result_out, err_out)
}

/// Run a query and return a streaming cursor over its rows.
///
/// As `keel_conn_exec`; rows are read one at a time with `keel_rows_next`.
/// One cursor or several: where the connection has
/// `KEEL_CAPABILITY_SEVERAL_CURSORS` (SQLite), several cursors may be open
/// on it at once and other statements run between their reads. Where it
/// has not (PostgreSQL, MySQL/MariaDB and SQL Server), the connection
/// carries one result at a time: while this cursor is open (not read to
/// its end and not freed), every other statement on the connection fails
/// with `KEEL_STATUS_INVALID_STATE`. Read the cursor to its end or free it
/// first, or use another connection. `keel_conn_supports` tells which.
///
/// Ownership: `sql` and `params` are borrowed for the call. On success
/// `*rows_out` receives a new `keel_rows`, freed with `keel_rows_free`.
///
/// Errors: as `keel_conn_exec`, plus `KEEL_STATUS_NULL_ARGUMENT` (rows_out).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_query(
    conn: *mut keel_conn,
    sql: *const c_char,
    params: *const keel_value,
    n_params: usize,
    rows_out: *mut *mut super::rows::keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    conn_query(conn, || c_str(sql, "sql"), params, n_params, rows_out, err_out)
}

/// The body of `keel_conn_query` and `keel_conn_query_len`.
fn conn_query<'a>(
    conn: *mut keel_conn,
    sql: impl FnOnce() -> crate::core::error::Result<&'a str>,
    params: *const keel_value,
    n_params: usize,
    rows_out: *mut *mut super::rows::keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let sql = sql()?;
        let out = out_ptr(rows_out, "rows_out")?;
        let params = params_in(params, n_params)?;
        let rows = c.conn.query(sql, &params)?;
        write(out, into_handle(RowsState::new(rows)));
        Ok(())
    })
}

/// Run a query given as (pointer, length) and return a streaming cursor.
///
/// As `keel_conn_query`, with the SQL rules of `keel_conn_exec_len`.
///
/// Ownership: `sql` and `params` are borrowed for the call. On success
/// `*rows_out` receives a new `keel_rows`, freed with `keel_rows_free`.
///
/// Errors: as `keel_conn_query`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
/// byte in the SQL).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_query_len(
    conn: *mut keel_conn,
    sql: *const c_char,
    sql_len: usize,
    params: *const keel_value,
    n_params: usize,
    rows_out: *mut *mut super::rows::keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    conn_query(conn, || c_sql(sql, sql_len, "sql"), params, n_params, rows_out, err_out)
}

/// Prepare one statement for repeated execution.
///
/// Placeholders are `?` (and SQLite's `?NNN`, `:name`, `@name`, `$name`),
/// bound by 0-based index. More than one statement in `sql` is an error.
///
/// Ownership: `sql` is borrowed for the call. On success `*stmt_out`
/// receives a new `keel_stmt`, freed with `keel_stmt_free`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, sql, stmt_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, syntax error with
/// SQLSTATE class 42, more than one statement, no statement),
/// `KEEL_STATUS_NOT_IMPLEMENTED` (PostgreSQL's `COPY ... FROM STDIN` and
/// `COPY ... TO STDOUT`: refused before anything is sent; load rows with
/// `keel_conn_ingest`, read them with a query).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_prepare(
    conn: *mut keel_conn,
    sql: *const c_char,
    stmt_out: *mut *mut keel_stmt,
    err_out: *mut *mut keel_error,
) -> Status {
    conn_prepare(conn, || c_str(sql, "sql"), stmt_out, err_out)
}

/// The body of `keel_conn_prepare` and `keel_conn_prepare_len`.
fn conn_prepare<'a>(
    conn: *mut keel_conn,
    sql: impl FnOnce() -> crate::core::error::Result<&'a str>,
    stmt_out: *mut *mut keel_stmt,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let sql = sql()?;
        let out = out_ptr(stmt_out, "stmt_out")?;
        let st = c.conn.prepare(sql)?;
        write(out, into_handle::<keel_stmt>(StmtState::new(st)));
        Ok(())
    })
}

/// Prepare one statement given as (pointer, length).
///
/// As `keel_conn_prepare`, with the SQL rules of `keel_conn_exec_len`.
///
/// Ownership: `sql` is borrowed for the call. On success `*stmt_out`
/// receives a new `keel_stmt`, freed with `keel_stmt_free`.
///
/// Errors: as `keel_conn_prepare`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a
/// NUL byte in the SQL).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_prepare_len(
    conn: *mut keel_conn,
    sql: *const c_char,
    sql_len: usize,
    stmt_out: *mut *mut keel_stmt,
    err_out: *mut *mut keel_error,
) -> Status {
    conn_prepare(conn, || c_sql(sql, sql_len, "sql"), stmt_out, err_out)
}

/// Take a prepared statement for `sql` (given as (pointer, length)) from
/// the connection's statement cache, the one `keel_conn_exec` and
/// `keel_conn_query` use, or prepare it when the cache has none.
///
/// For a binding that binds, runs and describes statements itself (a
/// DB-API cursor) yet wants the one statement cache: `keel_stmt_free`
/// puts the statement back into the cache, for the next caller of the
/// same SQL, instead of closing it. Until then it is the caller's alone;
/// another caller of the same SQL meanwhile gets a statement of its own.
/// It works as one from `keel_conn_prepare_len` (its bindings, its cursor,
/// its `keel_stmt_column_*`), except that a statement from the cache that
/// the engine refuses because the schema changed under it is prepared
/// again and run once more, as for `keel_conn_exec` (inside a PostgreSQL
/// transaction, which that error aborts, the error says to roll back, and
/// the next run prepares it again). Hits and misses count in
/// `keel_db_stats`. With `stmt_cache_size=0` it is `keel_conn_prepare_len`.
/// The SQL rules are those of `keel_conn_exec_len`.
///
/// Ownership: `sql` is borrowed for the call. On success `*stmt_out`
/// receives a `keel_stmt` that the caller frees with `keel_stmt_free`
/// (which returns it to the cache).
///
/// Errors: as `keel_conn_prepare_len`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_prepare_cached(
    conn: *mut keel_conn,
    sql: *const c_char,
    sql_len: usize,
    stmt_out: *mut *mut keel_stmt,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let sql = c_sql(sql, sql_len, "sql")?;
        let out = out_ptr(stmt_out, "stmt_out")?;
        let st = c.conn.prepare_cached(sql)?;
        write(out, into_handle::<keel_stmt>(StmtState::new(st)));
        Ok(())
    })
}

/// Begin a transaction.
///
/// A transaction already open on the connection, whether keel or SQL began
/// it, is an error (use a savepoint to nest). `options` may be NULL for
/// the defaults. SQLite gives every isolation
/// level as SERIALIZABLE, uses `options->lock` for DEFERRED, IMMEDIATE or
/// EXCLUSIVE, and makes a read-only transaction with `PRAGMA query_only`.
///
/// Ownership: borrows `conn` and `options` for the call.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_INVALID_ARGUMENT`
/// (an unknown isolation or lock value), `KEEL_STATUS_INVALID_STATE` (a
/// transaction is already open), `KEEL_STATUS_BUSY`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_begin(
    conn: *mut keel_conn,
    options: *const keel_tx_options,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let opts = keel_tx_options::read(options)?.to_core()?;
        c.conn.begin(&opts)
    })
}

/// Commit the open transaction.
///
/// When this returns, the transaction is over, committed or not (as Go's
/// `Tx.Commit` and psycopg's `commit` leave it): when the commit fails and
/// the engine kept the transaction open (SQLite does after
/// `KEEL_STATUS_BUSY` and a deferred foreign key violation; PostgreSQL,
/// MySQL and SQL Server end it themselves), keel rolls it back and returns
/// the commit's error, whose message ends by saying so. To retry a busy
/// commit, run the whole transaction again. `keel_conn_in_transaction` is
/// false afterwards, unless rolling back failed too (the message says so;
/// the connection is then closed when returned to the pool).
///
/// Ownership: borrows `conn`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_INVALID_STATE`
/// (no transaction is open), `KEEL_STATUS_BUSY`, `KEEL_STATUS_INTEGRITY`
/// (deferred constraints), each with the transaction rolled back.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_commit(conn: *mut keel_conn, err_out: *mut *mut keel_error) -> Status {
    call_on(conn, err_out, |c| c.conn.commit())
}

/// Roll back the open transaction.
///
/// Ownership: borrows `conn`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_INVALID_STATE`
/// (no transaction is open).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_rollback(conn: *mut keel_conn, err_out: *mut *mut keel_error) -> Status {
    call_on(conn, err_out, |c| c.conn.rollback())
}

fn savepoint_op(
    conn: *mut keel_conn,
    name: *const c_char,
    err_out: *mut *mut keel_error,
    op: fn(&crate::core::db::Conn, &str) -> crate::core::error::Result<()>,
) -> Status {
    call_on(conn, err_out, |c| {
        let name = c_str(name, "name")?;
        op(&c.conn, name)
    })
}

/// Set a savepoint named `name` (letters, digits and `_`, not starting with
/// a digit). On SQLite, a savepoint outside a transaction starts one; on
/// the other engines one is needed (PostgreSQL and MySQL/MariaDB refuse a
/// savepoint outside a transaction with `KEEL_STATUS_INVALID_STATE`; MySQL
/// would otherwise take it and keep nothing).
///
/// Ownership: `name` is borrowed for the call.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, name),
/// `KEEL_STATUS_INVALID_ARGUMENT` (not a plain identifier),
/// `KEEL_STATUS_INVALID_STATE` (no transaction is open, but on SQLite).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_savepoint(conn: *mut keel_conn, name: *const c_char, err_out: *mut *mut keel_error) -> Status {
    savepoint_op(conn, name, err_out, |c, n| c.savepoint(n))
}

/// Release (forget) the savepoint `name` and every later one, keeping
/// their changes in the transaction. The same call as
/// `keel_conn_savepoint_release`, whose name says more.
///
/// Ownership: `name` is borrowed for the call.
///
/// Errors: as `keel_conn_savepoint_release`.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_release(conn: *mut keel_conn, name: *const c_char, err_out: *mut *mut keel_error) -> Status {
    savepoint_op(conn, name, err_out, |c, n| c.release(n))
}

/// Release (forget) the savepoint `name` and every later one, keeping
/// their changes in the transaction.
///
/// SQL Server cannot release a savepoint: there keel stops accepting the
/// name (rolling back to it is then an error, as elsewhere) and the server
/// keeps it until the transaction ends.
///
/// Ownership: `name` is borrowed for the call.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, name),
/// `KEEL_STATUS_INVALID_ARGUMENT` (not a plain identifier; or no savepoint
/// of that name is set, SQLSTATE 3B001, on every engine. PostgreSQL also
/// aborts the transaction over that error: roll back, or roll back to an
/// earlier savepoint, before going on).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_savepoint_release(
    conn: *mut keel_conn,
    name: *const c_char,
    err_out: *mut *mut keel_error,
) -> Status {
    savepoint_op(conn, name, err_out, |c, n| c.release(n))
}

/// Undo everything since the savepoint `name`, which stays set.
///
/// Ownership: `name` is borrowed for the call.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, name),
/// `KEEL_STATUS_INVALID_ARGUMENT` (not a plain identifier; or no savepoint
/// of that name is set, SQLSTATE 3B001, on every engine; PostgreSQL also
/// aborts the transaction over it: roll back, or roll back to an earlier
/// savepoint).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_rollback_to(conn: *mut keel_conn, name: *const c_char, err_out: *mut *mut keel_error) -> Status {
    savepoint_op(conn, name, err_out, |c, n| c.rollback_to(n))
}

/// Check that the connection still works (a round trip to the server; a
/// trivial statement on SQLite).
///
/// Ownership: borrows `conn`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_IO` (connection
/// lost).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_ping(conn: *mut keel_conn, err_out: *mut *mut keel_error) -> Status {
    call_on(conn, err_out, |c| c.conn.ping())
}

/// Return whether a transaction is open on the connection, as the server
/// sees it: opened by `keel_conn_begin` or by SQL (`BEGIN`, `START
/// TRANSACTION`, or a statement under MySQL's `autocommit = 0`), and not
/// yet ended by either. keel follows the server's own report (PostgreSQL's
/// transaction status, MySQL's session state tracking, SQLite's autocommit
/// flag); on SQL Server it asks the server (`@@TRANCOUNT`, one round trip)
/// when a statement ran since keel last knew. While a cursor is open on a
/// PostgreSQL, MySQL or SQL Server connection the answer is the state
/// before its query. A failed transaction (PostgreSQL, after an error) is
/// still open until rolled back.
///
/// Ownership: borrows `conn`.
///
/// Errors: returns false when `conn` is NULL; true when the connection
/// cannot tell (its session broke, or another call is running on the
/// handle: a callback of `keel_conn_ingest`, or another thread against the
/// thread rule), so that returning it is safe.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_in_transaction(conn: *const keel_conn) -> bool {
    get_or(conn, false, true, |c| c.conn.in_transaction())
}

/// Return the SQL dialect of the connection's engine.
///
/// Ownership: borrows `conn`.
///
/// Errors: returns `KEEL_DIALECT_UNKNOWN` when `conn` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_dialect(conn: *const keel_conn) -> Dialect {
    get(conn, Dialect::Unknown, |c| Dialect::of_driver(c.conn.driver_name()))
}

/// Tell whether the connection has a capability: `capability` is a
/// `keel_capability` value, and `*supported_out` receives the answer.
///
/// The answer is the engine's: `KEEL_CAPABILITY_SEVERAL_CURSORS` is true
/// on SQLite and false on PostgreSQL, MySQL/MariaDB and SQL Server (see
/// `keel_conn_query`); `KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE` is true on
/// every built-in engine and on a loaded driver that describes statements
/// (keel_driver.h's `stmt_column_count`; keel's DuckDB driver does) (see
/// `keel_stmt_column_count`). A program built
/// against a newer header may ask about a capability this library does
/// not know: that is `KEEL_STATUS_INVALID_ARGUMENT`, to be taken as "not
/// supported".
///
/// Ownership: borrows `conn`; `supported_out` is written only on success.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, supported_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (not a `keel_capability` this library
/// knows), `KEEL_STATUS_INVALID_STATE` (the connection was inherited
/// across fork()).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_supports(
    conn: *const keel_conn,
    capability: i32,
    supported_out: *mut bool,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on_shared(conn, err_out, |c| {
        let out = out_ptr(supported_out, "supported_out")?;
        let cap = Capability::from_i32(capability).ok_or_else(|| {
            Error::invalid_argument(format!(
                "capability {capability} is not a keel_capability this library knows ({}); \
                 take it as not supported",
                Capability::ALL.iter().map(|c| format!("{} = {}", *c as i32, c.name())).collect::<Vec<_>>().join(", ")
            ))
        })?;
        write(out, c.conn.supports(cap)?);
        Ok(())
    })
}

/// Get the engine's version: the server's version string, or the SQLite
/// library version (`"3.45.3"`).
///
/// Ownership: borrows `conn`; on success `*version_out` points at a string
/// owned by `conn`.
///
/// Lifetime: valid until `keel_conn_free(conn)`, `keel_conn_return(conn)` or
/// `keel_conn_close(conn)`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, version_out).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_server_version(
    conn: *mut keel_conn,
    version_out: *mut *const c_char,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let out = out_ptr(version_out, "version_out")?;
        if c.version.is_none() {
            let v = c.conn.server_version()?;
            c.version = Some(CString::new(v).map_err(|_| Error::invalid_data("server version holds a NUL byte"))?);
        }
        write(out, c.version.as_ref().expect("set above").as_ptr());
        Ok(())
    })
}
