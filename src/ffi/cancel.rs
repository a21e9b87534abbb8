//! `keel_cancel`: stops the statement a connection is running, from any
//! thread.

use super::boundary::{Opaque, call_on, call_on_shared, free_handle, into_handle, out_ptr, write};
use super::conn::keel_conn;
use super::error::keel_error;
use crate::core::db::Cancel;
use crate::core::error::Status;

/// Cancels the statement running on one connection.
///
/// Created by `keel_conn_cancel_handle`, destroyed by `keel_cancel_free`.
/// Methods: `keel_cancel_request`. Thread rule: unlike other handles, it is
/// meant to be used from another thread while the connection's thread is
/// blocked in a call, and several threads may use it at once. In Rust it is
/// an `Arc` of the engine's cancel mechanism: PostgreSQL's cancel request,
/// MySQL's `KILL QUERY` from a side connection, SQLite's
/// `sqlite3_interrupt`, and for SQL Server a flag that makes the blocked
/// call send a TDS attention.
pub struct keel_cancel {
    _private: [u8; 0],
}

impl Opaque for keel_cancel {
    type Rust = Cancel;
    const NAME: &'static str = "cancel";
    const SHARED: bool = true;
}

/// Make a cancel handle for a connection.
///
/// Take it before running the statement you may want to stop, and hand it
/// to the thread that will stop it. It belongs to this checkout: once the
/// connection goes back to its pool (`keel_conn_free`, or the last
/// statement or cursor made from it freed), `keel_cancel_request` on it
/// does nothing, so it can never stop a statement of the connection's next
/// borrower. Take a new one after each checkout. Taking one needs no I/O
/// and works while a cursor is open.
///
/// Ownership: borrows `conn`. On success `*cancel_out` receives a new
/// `keel_cancel`, freed with `keel_cancel_free`; it may outlive `conn`.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, cancel_out),
/// `KEEL_STATUS_INVALID_STATE` (the handle `conn` was poisoned).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_cancel_handle(
    conn: *mut keel_conn,
    cancel_out: *mut *mut keel_cancel,
    err_out: *mut *mut keel_error,
) -> Status {
    call_on(conn, err_out, |c| {
        let out = out_ptr(cancel_out, "cancel_out")?;
        let h = c.conn().cancel_handle()?;
        write(out, into_handle::<keel_cancel>(h));
        Ok(())
    })
}

/// Ask the engine to stop the statement the connection is running.
///
/// The blocked call on the connection's thread then returns
/// `KEEL_STATUS_CANCELLED`, and the connection stays usable. A query on
/// PostgreSQL or MySQL/MariaDB (`keel_conn_query`, `keel_stmt_query`) may
/// return its cursor first, as the server reports the cancel along with
/// the rows: then the first `keel_rows_next` (or fetch) returns
/// `KEEL_STATUS_CANCELLED`. A statement
/// the server finished before the cancel stopped it returns what it
/// returned: it ran. One exception: on MySQL/MariaDB a statement with
/// rows that the server finished while a cancel was asked for reports
/// `KEEL_STATUS_CANCELLED` (MySQL's `SLEEP()` ends early instead of
/// failing when its query is killed, so keel cannot tell); a statement
/// without rows (an INSERT, UPDATE, DDL) reports its success. When no
/// statement is running, nothing happens, and nothing happens either once
/// the connection the handle was made for has gone back to its pool. The
/// request is asynchronous on the server side: this returns once it was
/// delivered, possibly before the statement has stopped.
///
/// A cancel that reaches the server just after the statement finished can
/// stop the connection's next statement instead: PostgreSQL's cancel
/// request and MySQL's `KILL QUERY` act on whatever the session runs when
/// they arrive (libpq's `PQcancel` has the same race). keel waits for the
/// request to be delivered before the connection can go back to the pool,
/// so the race stays within the checkout that asked for it.
///
/// SQL Server: the client library cannot be used from a second thread, so
/// this only marks the request and wakes the blocked call, which sends an
/// attention (TDS's cancel) on its own connection and reads up to the
/// server's acknowledgement; it then returns `KEEL_STATUS_CANCELLED` and
/// the connection stays usable (an open transaction stays open). A cancel
/// made between two `keel_rows_next` calls takes effect at the next one.
/// Two cases close the connection instead (the call still returns
/// `KEEL_STATUS_CANCELLED`, and the pool discards the connection): no
/// acknowledgement within 5 seconds, and a cancel that arrives while part
/// of a row has been received. A statement that finished just as the
/// cancel came also reports `KEEL_STATUS_CANCELLED`, though it ran.
///
/// Ownership: borrows `cancel`; callable from any thread.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (cancel), `KEEL_STATUS_INVALID_STATE`
/// (a handle inherited across fork()), `KEEL_STATUS_IO` (the
/// request could not be delivered, e.g. the server is gone),
/// `KEEL_STATUS_TIMEOUT` (the server did not answer the request in
/// time; the statement may still run).
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_cancel_request(cancel: *mut keel_cancel, err_out: *mut *mut keel_error) -> Status {
    call_on_shared(cancel, err_out, |c| c.cancel())
}

/// Free a cancel handle.
///
/// Ownership: takes back `cancel`; NULL is a no-op.
///
/// Errors: none.
///
/// Since: 0.1.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_cancel_free(cancel: *mut keel_cancel) {
    free_handle(cancel)
}
