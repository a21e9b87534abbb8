//! `keel_db`: a pool of connections to one URL.

use super::boundary::{Opaque, c_sql, c_str, call, call_on_shared, free_handle, get, into_handle, out_ptr, write};
use super::conn::ConnState;
use super::error::keel_error;
use super::rows::RowsState;
use super::types::{keel_exec_result, keel_option, keel_pool_stats, keel_value, params_in, write_result, write_sized};
use crate::core::db::Db;
use super::types::Dialect;
use crate::core::error::Status;
use std::ffi::c_char;

/// A pool of connections to one database.
///
/// Created by `keel_db_open` or `keel_db_open_options`, destroyed by
/// `keel_db_free`. Methods: `keel_db_checkout`, `keel_db_exec`,
/// `keel_db_exec_len`, `keel_db_query`, `keel_db_query_len`, `keel_db_query_arrow`,
/// `keel_db_stats`, `keel_db_dialect`.
/// Thread rule: one `keel_db` may be used from many threads at once. In
/// Rust it is a `keel::Db` (an `Arc` of the pool).
pub struct keel_db {
    _private: [u8; 0],
}

impl Opaque for keel_db {
    type Rust = Db;
    const NAME: &'static str = "db";
    const SHARED: bool = true;
}

/// Open a pool for a connection URL.
///
/// URLs, with options in the query string (`?key=value&...`; see URLS AND
/// OPTIONS in this file's preamble for every key; percent-encode `%`, `&`, `=`,
/// `#` and, in user names and passwords, `@`, `/` and `?` are safe too
/// but `%40`, `%2F`, `%3F` always work):
/// - SQLite: `sqlite::memory:` (a database of this pool's own, shared by its
///   connections, gone when the pool is freed), `sqlite:///abs/path.db`,
///   `sqlite://relative/path.db` (`sqlite3:` and `file:` too).
/// - PostgreSQL: `postgres://user:password@host:5432/dbname`
///   (`postgresql://` too); a host starting with `/` (as `%2F...`) is the
///   directory of the server's Unix socket. TLS by default when the server
///   offers it, without checking its certificate (`sslmode=prefer`, as
///   libpq); `sslmode=verify-full` checks chain and host name.
/// - MySQL/MariaDB: `mysql://user:password@host:3306/db` (`mariadb://` too),
///   always over TCP. TLS by default when the server offers it, unverified
///   (`ssl_mode=PREFERRED`, as MySQL's client); `ssl_mode=VERIFY_IDENTITY`
///   with `ssl_ca` checks chain and host name.
/// - SQL Server: `mssql://user:password@host:1433/db` (`sqlserver://`
///   too). TLS on by default, with the certificate checked against the
///   system's trust store and the host name (`encrypt=on`); `encrypt=strict`
///   is TDS 8.0, `encrypt=off` sends everything in the clear.
///
/// PostgreSQL and MySQL/MariaDB URLs may name several hosts,
/// `h1:5432,h2:5433`, an IPv6 address in brackets (`[::1]:5432`); an
/// empty entry (a stray comma), text after a `]`, or a host with more than
/// one `:` is `KEEL_STATUS_INVALID_ARGUMENT`, as is a server URL without
/// `//` after the scheme (`postgres:u:pw@h/db`; the message does not show
/// the rest). A PostgreSQL URL without a user name connects as `$USER`,
/// else as the process's user (as libpq), and without a database to the
/// one named after the user.
///
/// An unknown option, one that does not apply to the engine, one given
/// twice, or a text option given empty (`ssl_ca=`; but
/// `application_name` and `search_path`) is an error. One connection is
/// opened at once, so a bad path,
/// host or password fails here rather than at first use; it is kept for
/// the first checkout. Nothing of any statement runs here, so every error
/// says `KEEL_RETRY_SAFETY_NOT_SENT`; no message repeats the password.
///
/// Ownership: `url` is borrowed for the call. On success `*db_out` receives
/// a new `keel_db` that the caller frees with `keel_db_free`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (url, db_out),
/// `KEEL_STATUS_INVALID_ARGUMENT` (bad URL, a NUL byte in any part of it,
/// unknown, repeated or bad option, unreadable certificate file),
/// `KEEL_STATUS_NOT_FOUND` (no driver registered for the scheme; the
/// message lists the schemes there are), `KEEL_STATUS_IO` (cannot open the
/// file or reach the server), `KEEL_STATUS_TIMEOUT`
/// (`connect_timeout_ms`), `KEEL_STATUS_UNAUTHENTICATED` (wrong password,
/// or a server certificate that fails the check), and the engine's errors.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_open(url: *const c_char, db_out: *mut *mut keel_db, err_out: *mut *mut keel_error) -> Status {
    call(err_out, || {
        let url = c_str(url, "url")?;
        let out = out_ptr(db_out, "db_out")?;
        let db = Db::open(url)?;
        write(out, into_handle::<keel_db>(db));
        Ok(())
    })
}

/// Open a pool for a connection URL, with options given as key/value pairs.
///
/// As `keel_db_open`; each option is applied as if it were in the URL's
/// query string, after it (so an option here wins over the URL's). Keys are
/// the plain option names of URLS AND OPTIONS in this file's preamble: the
/// pool's and the engine's, each also a `KEEL_OPTION_*` constant
/// (`{KEEL_OPTION_POOL_MAX_OPEN, "16"}`). An unknown key is an error.
///
/// Ownership: `url` and `options` are borrowed for the call. On success
/// `*db_out` receives a new `keel_db`, freed with `keel_db_free`.
///
/// Errors: as `keel_db_open`, plus `KEEL_STATUS_NULL_ARGUMENT` (options
/// when n_options > 0, or a NULL key or value in it).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_open_options(
    url: *const c_char,
    options: *const keel_option,
    n_options: usize,
    db_out: *mut *mut keel_db,
    err_out: *mut *mut keel_error,
) -> Status {
    call(err_out, || {
        let url = c_str(url, "url")?;
        let out = out_ptr(db_out, "db_out")?;
        let opts: &[keel_option] = if n_options == 0 {
            &[]
        } else if options.is_null() {
            return Err(super::boundary::null_arg("options"));
        } else {
            // SAFETY: the caller passes n_options entries valid for the call.
            unsafe { std::slice::from_raw_parts(options, n_options) }
        };
        let mut pairs = Vec::with_capacity(opts.len());
        for (i, o) in opts.iter().enumerate() {
            pairs.push((
                c_str(o.key, &format!("options[{i}].key"))?.to_owned(),
                c_str(o.value, &format!("options[{i}].value"))?.to_owned(),
            ));
        }
        let db = Db::open_with(url, &pairs)?;
        write(out, into_handle::<keel_db>(db));
        Ok(())
    })
}

/// Get the pool's statistics: connections open, in use and idle, waits
/// for a free connection, and connections closed by reason.
///
/// In a child of fork(), open, in use and idle count only the child's own
/// connections.
///
/// Ownership: borrows `db`; `stats_out` is caller memory, written only on
/// success, and only as far as its `size` field says (see
/// `keel_pool_stats`).
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (db, stats_out).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_stats(db: *mut keel_db, stats_out: *mut keel_pool_stats, err_out: *mut *mut keel_error) -> Status {
    call_on_shared(db, err_out, |db| {
        let out = out_ptr(stats_out, "stats_out")?;
        // SAFETY: checked non-NULL; the caller's struct (the contract).
        unsafe { <keel_pool_stats as super::types::Sized0>::check_size(out, "stats_out")? };
        write_sized(out, db.stats().into());
        Ok(())
    })
}

/// Free a pool.
///
/// Connections still checked out, and cursors that own one, stay usable and
/// close when they are freed; idle connections close now. In a child of
/// fork(), connections the parent opened are neither closed nor told
/// anything; only the child's own close.
///
/// Ownership: takes back `db`; NULL is a no-op.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_free(db: *mut keel_db) {
    free_handle(db)
}

/// Check a connection out of the pool.
///
/// Reuses the most recently returned idle connection (pinging it first
/// when it sat idle longer than `pool_health_check_idle_ms`, and closing
/// it instead when it outlived `pool_max_lifetime_ms` or
/// `pool_max_idle_time_ms`, or when a look at its socket shows the server
/// closed it, as after a server restart) or opens a new one. When the pool is at
/// `pool_max_open`, waits in first-come, first-served order for a returned
/// connection, at most `pool_acquire_timeout_ms` (default 30000).
///
/// Ownership: borrows `db`. On success `*conn_out` receives a new
/// `keel_conn`; `keel_conn_free` returns it to the pool.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (db, conn_out),
/// `KEEL_STATUS_TIMEOUT` (no connection became free in time), and the
/// engine's connect errors.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_checkout(
    db: *mut keel_db,
    conn_out: *mut *mut super::conn::keel_conn,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on_shared(db, err_out, |db| {
        let out = out_ptr(conn_out, "conn_out")?;
        let c = db.checkout()?;
        write(out, into_handle(ConnState::new(c)));
        Ok(())
    })
}

/// Run one statement on a pooled connection, discarding any rows.
///
/// Checks a connection out, prepares `sql`, binds `params[0..n_params]` to
/// its placeholders (their count must match), runs it, and returns the
/// connection. `sql` must hold exactly one statement. When the connection
/// turns out dead before anything of the statement was sent (the server
/// closed it), it is closed and the statement runs on another, at most
/// twice more; a statement that may have run is never run again (see
/// `keel_error_retry_safety`).
///
/// Ownership: `sql` and `params` are borrowed for the call. `result_out`
/// may be NULL; otherwise it receives the rows affected and last insert id.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (db, sql, params when n_params > 0),
/// `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, more than one statement,
/// wrong parameter count, a value the column cannot hold),
/// `KEEL_STATUS_TIMEOUT` (no connection became free in time, or
/// `socket_timeout_ms` passed with no answer), and the engine's errors
/// (`KEEL_STATUS_INTEGRITY` for constraint violations, ...).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_exec(
    db: *mut keel_db,
    sql: *const c_char,
    params: *const keel_value,
    n_params: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    db_exec(db, || c_str(sql, "sql"), params, n_params, result_out, err_out)
}

/// The body of `keel_db_exec` and `keel_db_exec_len`, which differ in how
/// the SQL comes.
fn db_exec<'a>(
    db: *mut keel_db,
    sql: impl FnOnce() -> crate::core::error::Result<&'a str>,
    params: *const keel_value,
    n_params: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on_shared(db, err_out, |db| {
        let sql = sql()?;
        let params = params_in(params, n_params)?;
        super::types::check_result(result_out)?;
        let r = db.exec(sql, &params)?;
        write_result(result_out, r);
        Ok(())
    })
}

/// Run one statement given as (pointer, length) on a pooled connection.
///
/// As `keel_db_exec`, with `sql` the `sql_len` bytes at `sql`, which need
/// no NUL terminator and must hold no NUL byte: SQL with one is refused
/// (`KEEL_STATUS_INVALID_ARGUMENT`, nothing run), never cut short at it.
///
/// Ownership: `sql` and `params` are borrowed for the call. `result_out`
/// may be NULL.
///
/// Errors: as `keel_db_exec`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
/// byte in the SQL).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_exec_len(
    db: *mut keel_db,
    sql: *const c_char,
    sql_len: usize,
    params: *const keel_value,
    n_params: usize,
    result_out: *mut keel_exec_result,
    err_out: *mut *mut keel_error,
) -> Status {
    db_exec(db, || c_sql(sql, sql_len, "sql"), params, n_params, result_out, err_out)
}

/// Run a query given as (pointer, length) on a pooled connection and
/// return a streaming cursor.
///
/// As `keel_db_query`, with the SQL rules of `keel_db_exec_len`.
///
/// Ownership: `sql` and `params` are borrowed for the call. On success
/// `*rows_out` receives a new `keel_rows` that the caller frees with
/// `keel_rows_free`.
///
/// Errors: as `keel_db_query`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
/// byte in the SQL).
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_query_len(
    db: *mut keel_db,
    sql: *const c_char,
    sql_len: usize,
    params: *const keel_value,
    n_params: usize,
    rows_out: *mut *mut super::rows::keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    db_query(db, || c_sql(sql, sql_len, "sql"), params, n_params, rows_out, err_out)
}

/// Run a query on a pooled connection and return a streaming cursor.
///
/// As `keel_db_exec`, but the cursor owns the connection it ran on and
/// returns it to the pool when freed.
///
/// Ownership: `sql` and `params` are borrowed for the call. On success
/// `*rows_out` receives a new `keel_rows` that the caller frees with
/// `keel_rows_free`.
///
/// Errors: as `keel_db_exec`, plus `KEEL_STATUS_NULL_ARGUMENT` (rows_out).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_query(
    db: *mut keel_db,
    sql: *const c_char,
    params: *const keel_value,
    n_params: usize,
    rows_out: *mut *mut super::rows::keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    db_query(db, || c_str(sql, "sql"), params, n_params, rows_out, err_out)
}

/// The body of `keel_db_query` and `keel_db_query_len`.
fn db_query<'a>(
    db: *mut keel_db,
    sql: impl FnOnce() -> crate::core::error::Result<&'a str>,
    params: *const keel_value,
    n_params: usize,
    rows_out: *mut *mut super::rows::keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on_shared(db, err_out, |db| {
        let sql = sql()?;
        let out = out_ptr(rows_out, "rows_out")?;
        let params = params_in(params, n_params)?;
        let rows = db.query(sql, &params)?;
        write(out, into_handle(RowsState::new(rows)));
        Ok(())
    })
}

/// Return the SQL dialect of the pool's engine.
///
/// Ownership: borrows `db`.
///
/// Errors: returns `KEEL_DIALECT_UNKNOWN` when `db` is NULL.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_db_dialect(db: *const keel_db) -> Dialect {
    get(db, Dialect::Unknown, |db| Dialect::of_driver(db.driver_name()))
}
