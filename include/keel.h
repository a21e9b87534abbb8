/*
 * keel.h -- the C API of keel, one database driver runtime for SQLite,
 * PostgreSQL, MySQL/MariaDB and SQL Server.
 *
 * This file is the reference: everything a program needs to know to use
 * keel is here, and the README says nothing this file does not.
 *
 * WHAT IS API
 *   Everything declared in this file, and nothing else. Names start with
 *   keel_ (functions, types) or KEEL_ (constants).
 *
 * CONVENTIONS
 *   - Handles are opaque: keel_db (a pool), keel_conn (a connection checked
 *     out of it), keel_stmt (a prepared statement), keel_rows (a streaming
 *     cursor), keel_cancel (stops a running statement), keel_buffer (bytes
 *     keel encoded for you), keel_error (an error object). Functions are
 *     named keel_<handle>_<verb> and take the handle first.
 *   - All indexes are 0-based: bind parameters and result columns alike.
 *   - Lengths are size_t. Text is UTF-8, passed as (pointer, length) or as
 *     a NUL-terminated string where the parameter says so. SQL can be given
 *     either way (keel_conn_exec / keel_conn_exec_len, ...); a NUL byte
 *     inside (pointer, length) SQL is refused, never taken as its end.
 *   - Outputs go through pointer parameters named *_out and are written only
 *     on success; on failure they are left untouched, so initialize them.
 *   - Placeholders: ? on every engine (keel rewrites it for the engine,
 *     skipping string literals, quoted identifiers, comments and
 *     PostgreSQL's dollar quotes); ?? is a literal ? (PostgreSQL's jsonb
 *     operators ?, ?| and ?& are written ??, ??| and ??&). Each engine's
 *     own form works too: $1 on PostgreSQL, @P1 on SQL Server, ?NNN, :name,
 *     @name and $name on SQLite; mixing $1 or @P1 with ? in one statement
 *     is an error. Each call runs exactly one statement: SQL with a second
 *     one is refused (nothing runs), and SQL with none (only blanks,
 *     comments and ;) is KEEL_STATUS_INVALID_ARGUMENT. PostgreSQL takes at
 *     most 65535 parameters a statement.
 *
 * VALUES
 *   One tagged struct, keel_value, carries a value both ways. Dates are
 *   days since 1970-01-01; times are microseconds since midnight;
 *   timestamps are microseconds since 1970-01-01T00:00:00Z
 *   (KEEL_TYPE_TIMESTAMP has no zone and is taken as given;
 *   KEEL_TYPE_TIMESTAMPTZ is an instant). Decimals are exact decimal text,
 *   uuids 16 bytes, JSON its text. keel's conversions are exact or fail
 *   with KEEL_STATUS_INVALID_DATA (reading) or KEEL_STATUS_INVALID_ARGUMENT
 *   (binding): never a silent truncation. What the server then does with
 *   a value it was given for a column is the server's, as in its own SQL
 *   (PostgreSQL and MySQL round a decimal to the column's scale, MySQL
 *   rounds a double stored in an integer column).
 *   Canonical text forms (keel_rows_column_text of a non-text value, and
 *   what keel stores on SQLite): bool "true"/"false"; integers in decimal;
 *   double the shortest text that reads back to the same bits ("0.1",
 *   "1e100"), "NaN", "Infinity", "-Infinity"; date "YYYY-MM-DD" (a year
 *   outside 0-9999 with its sign: "-0044-03-15", "+10000-01-01"); time "HH:MM:SS" with
 *   ".ffffff" when the microseconds are not 0; timestamp "YYYY-MM-DD
 *   HH:MM:SS[.ffffff]"; timestamptz the same in UTC followed by "+00:00"
 *   (SQL Server: the local time and the offset it was stored with); uuid
 *   36 lower-case hex characters with dashes.
 *   How engine types read (keel_rows_column_type):
 *   - SQLite follows the declared column type, by these rules in order:
 *     BOOL -> BOOL; UNSIGNED or UINT64 -> UINT64; INT (not INTERVAL) ->
 *     INT64; TIMESTAMPTZ or TIMESTAMP WITH TIME ZONE -> TIMESTAMPTZ;
 *     DATETIME or TIMESTAMP -> TIMESTAMP; exactly DATE -> DATE; exactly TIME
 *     -> TIME; UUID, GUID or UNIQUEIDENTIFIER -> UUID; JSON -> JSON;
 *     DECIMAL, NUMERIC or MONEY -> DECIMAL; CHAR, CLOB or TEXT -> TEXT;
 *     BLOB, BINARY or BYTEA -> BYTES; REAL, FLOA or DOUB -> DOUBLE; no
 *     declared type (an expression) or any other -> NULL, and then each
 *     value reads as its storage class (INTEGER -> INT64, REAL -> DOUBLE,
 *     TEXT -> TEXT, BLOB -> BYTES). Dates, times, timestamps and uuids are
 *     stored as their canonical text; an integer in a timestamp column is
 *     Unix seconds. A DECIMAL column has NUMERIC affinity, so SQLite keeps
 *     15 significant digits there: declare DECIMAL TEXT(p,s) for every digit.
 *   - PostgreSQL: bool, int2/int4/int8, float4/float8, numeric (DECIMAL),
 *     text/varchar/char, bytea, date, time, timestamp, timestamptz (their
 *     infinity and -infinity, which no keel date holds, read as that
 *     TEXT), uuid, json/jsonb; arrays, ranges, composites, intervals, timetz, inet,
 *     macaddr, bit strings, geometric, text search, xml and the other
 *     built-in types read as TEXT holding the server's own text for them
 *     (as its output function writes it, with the session's default
 *     settings; a timestamptz inside an array, range or composite is
 *     written in UTC); money -> INT64 (the amount in the currency's
 *     smallest unit: its text depends on lc_monetary); regclass and the
 *     other reg* types -> INT64 (the oid); an anonymous record and a
 *     type of an extension keel does not know (hstore aside, read as
 *     text) -> BYTES, the server's binary form of it.
 *   - MySQL/MariaDB: TINYINT(1) -> BOOL (a value other than 0 and 1,
 *     which the column can hold, reads as that INT64: exact, but no
 *     Arrow boolean, so an Arrow stream of it fails naming the row);
 *     BIGINT UNSIGNED and BIT -> UINT64;
 *     other integers and YEAR -> INT64; DECIMAL; FLOAT/DOUBLE; DATE;
 *     DATETIME -> TIMESTAMP; TIMESTAMP -> TIMESTAMPTZ (sessions run in
 *     UTC); TIME within one day -> TIME, beyond -> INT64 microseconds; JSON
 *     (MySQL's; MariaDB's JSON is another name for LONGTEXT, which the
 *     server describes as text, so it reads as TEXT); binary strings and
 *     BLOBs -> BYTES; other strings -> TEXT.
 *   - SQL Server: bit; tinyint/smallint/int/bigint; real/float; decimal,
 *     numeric, money, smallmoney (DECIMAL); char/varchar/nchar/nvarchar/
 *     text/ntext/xml (TEXT); binary/varbinary/image; date; time; datetime,
 *     datetime2, smalldatetime (TIMESTAMP); datetimeoffset (TIMESTAMPTZ,
 *     offset kept, see keel_rows_column_tz_offset); uniqueidentifier.
 *
 * URLS AND OPTIONS
 *   keel_db_open takes a URL (see there for each engine's form and TLS
 *   default); options go in its query string, or as key/value pairs to
 *   keel_db_open_options. An unknown key, one that does not apply to the
 *   engine, a bad value or a key given twice is KEEL_STATUS_INVALID_ARGUMENT.
 *   Each key is also a string constant, KEEL_OPTION_<KEY>
 *   (KEEL_OPTION_SSLMODE is "sslmode"). The keys, with their values, defaults
 *   and what they do:
 *   Every engine (the pool, see keel_db_checkout):
 *     pool_max_open (default 0): Most connections open at once; 0 means no
 *       limit.
 *     pool_max_idle (default 2): Most idle connections kept for reuse.
 *     pool_min_idle (default 0): Idle connections kept open and ready,
 *       refilled in the background; above pool_max_idle it raises that limit
 *       to it.
 *     pool_acquire_timeout_ms (default 30000): How long a checkout waits for
 *       a free connection before failing with TIMEOUT; 0 waits forever.
 *     pool_max_lifetime_ms (default 0): Close connections older than this; 0
 *       means no limit.
 *     pool_max_idle_time_ms (default 0): Close connections idle longer than
 *       this (down to pool_min_idle); 0 means no limit.
 *     stmt_cache_size (default 32): Prepared statements each connection keeps
 *       for its exec/query calls (least recently used go first); 0 turns the
 *       cache off.
 *     pool_health_check_idle_ms (default 1000): Ping a connection at checkout
 *       when it sat idle longer than this; 0 never pings. The ping waits at
 *       most socket_timeout_ms, or where that is not set connect_timeout_ms,
 *       or 10 s when both are 0; a connection that fails it is closed and
 *       another opened.
 *     arrow_batch_rows (default 65536): Most rows in one record batch of an
 *       Arrow stream (keel_conn_query_arrow, keel_rows_export_arrow); a batch
 *       also ends once its data passes 16 MiB. At least 1.
 *   SQLite:
 *     mode (ro, rw, rwc; default rwc): ro: read-only; rw: read-write, the
 *       file must exist; rwc: read-write, create if missing.
 *     busy_timeout_ms (default 5000): How long a statement waits for another
 *       connection's lock before failing with BUSY.
 *     statement_timeout_ms (default 0): Stop a statement that runs longer
 *       than this with TIMEOUT (each execute, or each row fetch); 0 means
 *       none.
 *     foreign_keys (true or false; default true): Enforce FOREIGN KEY
 *       constraints (PRAGMA foreign_keys).
 *     journal_mode (delete, truncate, persist, memory, wal, off): PRAGMA
 *       journal_mode for file databases; unset keeps the file's mode.
 *   PostgreSQL:
 *     sslmode (disable, prefer, require, verify-ca, verify-full; default
 *       prefer): TLS policy, as libpq's sslmode: disable, prefer (TLS when
 *       the server offers it, unverified), require (TLS or fail; unverified
 *       unless sslrootcert is set or ~/.postgresql/root.crt exists, then the
 *       chain is checked), verify-ca (certificate chains to a trusted root),
 *       verify-full (and names the host).
 *     sslrootcert: Trusted roots for verify-ca/verify-full (and require): a
 *       PEM file, or `system` for the system's trust store; default
 *       ~/.postgresql/root.crt.
 *     sslcert: Client certificate (PEM, intermediates after it), sent when
 *       the server asks for one; default ~/.postgresql/postgresql.crt when
 *       that file exists.
 *     sslkey: The client certificate's private key (unencrypted PEM: PKCS#8,
 *       PKCS#1 or SEC1); default ~/.postgresql/postgresql.key.
 *     connect_timeout_ms (default 10000): Give up connecting (socket, startup
 *       and authentication) after this long; 0 waits forever.
 *     target_session_attrs (any, read-write, read-only, primary, standby,
 *       prefer-standby; default any): Which server of the URL's hosts a
 *       connection may use, as libpq's: any; read-write
 *       (transaction_read_only is off); read-only (it is on); primary (not in
 *       recovery); standby (a hot standby, in recovery); prefer-standby (a
 *       standby when one answers, else any). Hosts are tried in the URL's
 *       order (see load_balance_hosts); one that refuses, does not answer
 *       within connect_timeout_ms or is not of the kind asked for is skipped,
 *       and the error after the last names each host and why. A pooled
 *       connection opened for read-write, read-only, primary or standby is
 *       checked again at checkout (one round trip), and one opened for
 *       read-write or primary that gets SQLSTATE 25006 (read-only
 *       transaction) is closed instead of reused.
 *     load_balance_hosts (disable, random; default disable): disable: try the
 *       URL's hosts in the order written; random: in a new random order for
 *       each connection, as libpq's load_balance_hosts.
 *     prepared_statements (named, unnamed; default named): named: a prepared
 *       statement is a named statement on the server, parsed once and run
 *       many times. unnamed: keel keeps no named statement on the server
 *       between calls: it learns a statement's parameters and columns in a
 *       transaction of its own, closes it there, and sends the SQL with each
 *       run as the unnamed statement (Parse, Bind, Execute in one round
 *       trip). Use unnamed behind a pooler in transaction mode (PgBouncer
 *       pool_mode=transaction before 1.21), where a session's named
 *       statements do not follow it from one server connection to the next
 *       (named statements carry the process's id and a random number in their
 *       names, so one never meets another client's of the same name there).
 *     statement_timeout_ms (default 0): Server-side statement timeout; 0
 *       means none.
 *     socket_timeout_ms (default 0): Fail a call with TIMEOUT when the server
 *       sends nothing (and takes nothing) for this long, and close the
 *       connection; 0 waits for ever. Set it above the longest statement you
 *       run: it also ends a statement that is merely slow.
 *     tcp_keepalive_ms (default 15000): Send TCP keepalive probes after a
 *       connection was idle this long, and then this often, so a server or
 *       network that vanished is noticed; 0 turns keepalive off.
 *     application_name (default keel): Shown in pg_stat_activity.
 *     search_path: Schema search path for the session.
 *   MySQL/MariaDB:
 *     connect_timeout_ms (default 10000): Give up connecting after this long;
 *       0 waits forever.
 *     statement_timeout_ms (default 0): Server-side statement timeout; 0
 *       means none.
 *     socket_timeout_ms (default 0): Fail a call with TIMEOUT when the server
 *       sends nothing (and takes nothing) for this long, and close the
 *       connection; 0 waits for ever. Set it above the longest statement you
 *       run: it also ends a statement that is merely slow.
 *     tcp_keepalive_ms (default 15000): Send TCP keepalive probes after a
 *       connection was idle this long, and then this often, so a server or
 *       network that vanished is noticed; 0 turns keepalive off.
 *     load_balance_hosts (disable, random; default disable): For a URL with
 *       several hosts (mysql://u@h1:3306,h2:3307/db, a Galera cluster's
 *       nodes): disable tries them in the order written, random in a new
 *       random order for each connection. A host that refuses, does not
 *       answer within connect_timeout_ms, or is a Galera node that is not
 *       ready (wsrep_ready OFF) is skipped; the error after the last names
 *       each host and why.
 *     zero_date (error, null; default error): How to read MySQL's zero dates
 *       (0000-00-00): as an error, or as NULL.
 *     mariadb_bulk (on, off; default on): On MariaDB 10.2 and later,
 *       keel_conn_ingest sends its rows by COM_STMT_BULK_EXECUTE (binary
 *       parameter arrays, as libmariadb's array binding does), and so do
 *       batches of UPDATE, DELETE and upserts (keel_stmt_execute_batch); off
 *       sends ingest's rows by LOAD DATA LOCAL INFILE and runs those batches
 *       row by row, as on MySQL (for a proxy that does not pass that
 *       command).
 *     ssl_mode: TLS policy, as MySQL's client: DISABLED, PREFERRED (TLS when
 *       the server offers it, unverified; the default), REQUIRED (TLS or
 *       fail, unverified), VERIFY_CA (certificate chains to a root in
 *       ssl_ca), VERIFY_IDENTITY (and names the host); any case. Unset with
 *       ssl_ca set: VERIFY_CA.
 *     ssl_ca: Trusted roots for VERIFY_CA/VERIFY_IDENTITY: a PEM file, or
 *       `system` for the system's CA bundle file.
 *     ssl_cert: Client certificate (PEM, intermediates after it), sent when
 *       the server asks for one; needs ssl_key.
 *     ssl_key: The client certificate's private key (unencrypted PEM: PKCS#8,
 *       PKCS#1 or SEC1).
 *   SQL Server:
 *     encrypt (off, on, strict; default on): TLS: on (negotiated in PRELOGIN,
 *       TDS 7.x), strict (TDS 8.0: TLS before anything else), off (nothing
 *       encrypted, the password included).
 *     trust_server_certificate (true or false; default false): With
 *       encrypt=on: accept any certificate without checking it (encrypted,
 *       but the server is not authenticated).
 *     trust_server_certificate_ca: A PEM file of the CA certificates (or the
 *       server's own) to check the server's certificate against; by default
 *       the system's trust store.
 *     host_name_in_certificate: The name the server's certificate must carry,
 *       when it is not the host in the URL.
 *     connect_timeout_ms (default 10000): Give up connecting and logging in
 *       after this long; 0 waits forever.
 *     statement_timeout_ms (default 0): Stop a statement (with an attention)
 *       when a wait for the server exceeds this; 0 means none.
 *     socket_timeout_ms (default 0): Fail a call with TIMEOUT when the server
 *       sends nothing (and takes nothing) for this long, and close the
 *       connection; 0 waits for ever. Set it above the longest statement you
 *       run: it also ends a statement that is merely slow.
 *     tcp_keepalive_ms (default 15000): Send TCP keepalive probes after a
 *       connection was idle this long, and then this often, so a server or
 *       network that vanished is noticed; 0 turns keepalive off.
 *     application_name (default keel): Shown in
 *       sys.dm_exec_sessions.program_name.
 *   Timeouts: connect_timeout_ms limits the whole connect (TCP, TLS,
 *   authentication); statement_timeout_ms stops a statement at the server
 *   (PostgreSQL, MySQL/MariaDB), with a progress handler (SQLite) or an
 *   attention (SQL Server), and the call returns KEEL_STATUS_TIMEOUT;
 *   socket_timeout_ms fails a call with KEEL_STATUS_TIMEOUT when the
 *   server sent and took nothing for that long, and closes the connection
 *   (set it above your longest statement); tcp_keepalive_ms sends TCP
 *   keepalives on a connection idle that long (0 turns them off).
 *   The statement cache: keel_conn_exec/query and keel_db_exec/query keep
 *   each connection's prepared statements by SQL text (least recently used
 *   first out, stmt_cache_size per connection), so SQL run twice is
 *   prepared once; keel_conn_prepare_cached hands out a statement of the
 *   same cache, which keel_stmt_free puts back. A cached statement the
 *   engine refuses because the schema changed under it is prepared again
 *   and run once more (one from keel_conn_prepare_cached also on its first
 *   run); inside a PostgreSQL transaction, which that error aborts, it is
 *   dropped from the cache and the error says to roll back first. A SET,
 *   RESET, PRAGMA, USE, ATTACH, DETACH, CREATE, ALTER, DROP or RENAME run
 *   on the connection (comments before the word skipped, and any statement
 *   of the SQL counted) empties its cache (statements out of it then are
 *   dropped when they come back): an engine may fold a setting into a
 *   statement when it prepares it (DuckDB's time zone), and PostgreSQL
 *   keeps the parameter types of an older schema without refusing the
 *   statement. Schema changes by other sessions are not seen.
 *
 * ERRORS
 *   Every fallible function returns a keel_status (KEEL_STATUS_OK is 0) and
 *   takes a last parameter keel_error **err_out. When err_out is not NULL
 *   and the status is not OK, *err_out receives a new keel_error that the
 *   caller frees with keel_error_free; it carries the status, a message
 *   with context (the start of the SQL, the parameter or column index), a
 *   SQLSTATE, the engine's own error number, and whether the statement can
 *   have run (keel_error_retry_safety). Status numbers never change; treat
 *   an unknown one as KEEL_STATUS_UNKNOWN. A NULL handle or required
 *   pointer gives KEEL_STATUS_NULL_ARGUMENT with a message naming the
 *   argument. An internal panic never crosses this API: the call returns
 *   KEEL_STATUS_PANIC and the handle is poisoned (later calls on it return
 *   KEEL_STATUS_INVALID_STATE). Passwords never appear in messages.
 *   The engine's errors map to statuses by their SQLSTATE (PostgreSQL and
 *   MySQL send one; SQLite's and SQL Server's are derived from their error
 *   codes): class 23 -> KEEL_STATUS_INTEGRITY; 40, deadlocks and lock
 *   timeouts -> KEEL_STATUS_BUSY (retry the transaction); 42 ->
 *   KEEL_STATUS_INVALID_ARGUMENT, except a missing table, column or
 *   database -> KEEL_STATUS_NOT_FOUND, one that exists already ->
 *   KEEL_STATUS_ALREADY_EXISTS, and 42501 -> KEEL_STATUS_UNAUTHORIZED; 22
 *   -> KEEL_STATUS_INVALID_DATA; 08 and a session the server ended ->
 *   KEEL_STATUS_IO; 28 -> KEEL_STATUS_UNAUTHENTICATED; 25, 2D and 3B ->
 *   KEEL_STATUS_INVALID_STATE (but an unknown savepoint given to a
 *   savepoint call is KEEL_STATUS_INVALID_ARGUMENT), as is SQLite's
 *   "table is locked" by the connection's own unfinished statement
 *   (55006: finish or free the cursor; no retry helps); 0A ->
 *   KEEL_STATUS_NOT_IMPLEMENTED; a cancel -> KEEL_STATUS_CANCELLED and a
 *   statement timeout -> KEEL_STATUS_TIMEOUT; 53, 54 and XX ->
 *   KEEL_STATUS_INTERNAL; anything else -> KEEL_STATUS_UNKNOWN.
 *   Errors raised before anything reached the server (bad arguments, a
 *   failed open, a pool timeout) say KEEL_RETRY_SAFETY_NOT_SENT.
 *
 * OWNERSHIP AND LIFETIMES
 *   1. A handle returned through T **out belongs to the caller, who frees it
 *      exactly once with keel_T_free. Freeing NULL is a no-op.
 *   2. Children must not outlive their parents, as a contract: free rows and
 *      statements before their connection, connections before their pool.
 *      Internally each child holds a reference to its parent, so a wrong free
 *      order cannot cause a use-after-free.
 *   3. Inputs are borrowed only for the call. The library copies everything
 *      it keeps.
 *   4. Row outputs are borrowed. keel_rows_column_text and
 *      keel_rows_column_bytes return a pointer plus a length; text is also
 *      NUL-terminated, with the NUL not counted. The pointer is valid until
 *      the next keel_rows_next, keel_rows_next_values, keel_rows_fetch_batch
 *      or keel_rows_free on that handle. Running, binding or clearing the
 *      statement the cursor came from closes the cursor but does not end
 *      this.
 *   5. Strings returned by accessors (column names, error messages) belong
 *      to the object they came from and live as long as it does.
 *
 * CONNECTIONS, TRANSACTIONS AND CURSORS
 *   keel_db_checkout lends one connection of the pool; keel_conn_free (or
 *   keel_conn_return) gives it back, keel_conn_close closes it instead.
 *   Convenience calls on keel_db check a connection out and back in
 *   themselves; a cursor from keel_db_query owns its connection until freed.
 *   A transaction is whatever the server has open, whether keel_conn_begin
 *   or SQL (BEGIN, START TRANSACTION) began it: keel_conn_in_transaction
 *   reports it, keel_conn_commit/rollback end it (a failed commit too: it
 *   rolls back), and a connection given back with one open is rolled back
 *   before anyone else gets it.
 *   One cursor or several: on PostgreSQL, MySQL and SQL Server a
 *   connection carries one result at a time: while a cursor is open on it
 *   (not read to its end, not freed), any other statement on that
 *   connection fails with KEEL_STATUS_INVALID_STATE; SQLite allows several
 *   open cursors per connection. keel_conn_supports says which
 *   (KEEL_CAPABILITY_SEVERAL_CURSORS). Read a cursor to its end (or free
 *   it) before the next statement, or use a second connection for the
 *   other work.
 *
 * ABI STABILITY
 *   Function signatures, enum numbers and struct layouts never change
 *   within a major version; functions, enum members and struct fields are
 *   only added. Structs the caller allocates that keel reads or writes
 *   (keel_exec_result, keel_tx_options, keel_pool_stats) start with a
 *   size_t size field: set it to sizeof the struct as your header declares
 *   it, or 0 for the layout of version 0.2.0 (the first with the field),
 *   and always initialize the struct (= {0} or = {.size = sizeof s}). New
 *   fields are added at the end in 8-byte units, so each version's layout
 *   is larger than the last: a newer library reads and writes only the
 *   fields an older program's size covers (and takes every later field's
 *   zero value, its default), and an older library leaves a newer
 *   program's extra fields alone. A size that is no layout keel ever had is
 *   KEEL_STATUS_INVALID_ARGUMENT, before anything runs. keel_value and
 *   keel_option are passed in arrays and never change; new value types
 *   reuse keel_value's fields.
 *
 * THREADS
 *   A keel_db may be used from many threads at once. Any other handle may
 *   move between threads but must not be used by two at once; statements and
 *   cursors go with their connection. keel_cancel is made to be used from
 *   another thread. keel_error objects are immutable and may be read from
 *   any thread. Driver-global set-up is implicit and thread-safe.
 *   keel catches the break of this rule that would corrupt memory: a call
 *   on a handle while another call runs on the same handle (another
 *   thread's, or one made from a callback of that call) fails with
 *   KEEL_STATUS_INVALID_STATE and does nothing ("in use by another
 *   call"); a call without a status gives its NULL/0 answer (its doc's
 *   "cannot tell" answer where it has one), and a free
 *   leaves the handle to the running call (leaked). Calls that do not
 *   overlap in time are not caught: two threads taking turns on one
 *   connection still see each other's statements and rows. A handle
 *   freed while another thread still uses it is not caught either.
 *
 * FORK
 *   A process that forks keeps its handles; the child must not use what it
 *   inherited. Every keel_conn, keel_stmt, keel_rows and keel_cancel a
 *   child inherits belongs to its parent's server session: in the child,
 *   each call on it that reports a status returns
 *   KEEL_STATUS_INVALID_STATE, and freeing it sends nothing to the server
 *   (its memory and socket stay allocated in the child until it exits or
 *   execs). A keel_db works in the child: its first use there forgets the
 *   parent's connections and opens new ones (as psycopg's pool and Go's
 *   database/sql do). With SQLite, fork with no statement or transaction
 *   open: SQLite keeps its file-lock state per process, and the child
 *   inherits it. fork() is detected through pthread_atfork; it must not be
 *   called from a signal handler that interrupted a keel call, and a child
 *   made by a raw clone system call is not detected.
 */

#ifndef KEEL_H
#define KEEL_H

/* Generated by cbindgen from src/ffi by build.rs. Do not edit: change the Rust doc comments. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEEL_VERSION_MAJOR 0
#define KEEL_VERSION_MINOR 2
#define KEEL_VERSION_PATCH 0
#define KEEL_VERSION_NUMBER 2000

/* Option keys (see URLS AND OPTIONS above): KEEL_OPTION_<KEY> is "<key>". */
#define KEEL_OPTION_POOL_MAX_OPEN "pool_max_open"
#define KEEL_OPTION_POOL_MAX_IDLE "pool_max_idle"
#define KEEL_OPTION_POOL_MIN_IDLE "pool_min_idle"
#define KEEL_OPTION_POOL_ACQUIRE_TIMEOUT_MS "pool_acquire_timeout_ms"
#define KEEL_OPTION_POOL_MAX_LIFETIME_MS "pool_max_lifetime_ms"
#define KEEL_OPTION_POOL_MAX_IDLE_TIME_MS "pool_max_idle_time_ms"
#define KEEL_OPTION_STMT_CACHE_SIZE "stmt_cache_size"
#define KEEL_OPTION_POOL_HEALTH_CHECK_IDLE_MS "pool_health_check_idle_ms"
#define KEEL_OPTION_ARROW_BATCH_ROWS "arrow_batch_rows"
#define KEEL_OPTION_MODE "mode"
#define KEEL_OPTION_BUSY_TIMEOUT_MS "busy_timeout_ms"
#define KEEL_OPTION_STATEMENT_TIMEOUT_MS "statement_timeout_ms"
#define KEEL_OPTION_FOREIGN_KEYS "foreign_keys"
#define KEEL_OPTION_JOURNAL_MODE "journal_mode"
#define KEEL_OPTION_SSLMODE "sslmode"
#define KEEL_OPTION_SSLROOTCERT "sslrootcert"
#define KEEL_OPTION_SSLCERT "sslcert"
#define KEEL_OPTION_SSLKEY "sslkey"
#define KEEL_OPTION_CONNECT_TIMEOUT_MS "connect_timeout_ms"
#define KEEL_OPTION_TARGET_SESSION_ATTRS "target_session_attrs"
#define KEEL_OPTION_LOAD_BALANCE_HOSTS "load_balance_hosts"
#define KEEL_OPTION_PREPARED_STATEMENTS "prepared_statements"
#define KEEL_OPTION_SOCKET_TIMEOUT_MS "socket_timeout_ms"
#define KEEL_OPTION_TCP_KEEPALIVE_MS "tcp_keepalive_ms"
#define KEEL_OPTION_APPLICATION_NAME "application_name"
#define KEEL_OPTION_SEARCH_PATH "search_path"
#define KEEL_OPTION_ZERO_DATE "zero_date"
#define KEEL_OPTION_MARIADB_BULK "mariadb_bulk"
#define KEEL_OPTION_SSL_MODE "ssl_mode"
#define KEEL_OPTION_SSL_CA "ssl_ca"
#define KEEL_OPTION_SSL_CERT "ssl_cert"
#define KEEL_OPTION_SSL_KEY "ssl_key"
#define KEEL_OPTION_ENCRYPT "encrypt"
#define KEEL_OPTION_TRUST_SERVER_CERTIFICATE "trust_server_certificate"
#define KEEL_OPTION_TRUST_SERVER_CERTIFICATE_CA "trust_server_certificate_ca"
#define KEEL_OPTION_HOST_NAME_IN_CERTIFICATE "host_name_in_certificate"

/* The Arrow C data interface and C stream interface, exactly as the Arrow
 * specification writes them (https://arrow.apache.org/docs/format/), for
 * keel_conn_query_arrow, keel_db_query_arrow and keel_rows_export_arrow. */

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  // Array type description
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  // Release callback
  void (*release)(struct ArrowSchema*);
  // Opaque producer-specific data
  void* private_data;
};

struct ArrowArray {
  // Array data description
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  // Release callback
  void (*release)(struct ArrowArray*);
  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  // Callbacks providing stream functionality
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);

  // Release callback
  void (*release)(struct ArrowArrayStream*);

  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE


/**
 * Portable outcome of a call. Follows ADBC's status set, plus `Busy`,
 * `NullArgument` and `Panic`.
 *
 * Numbers are frozen. Retired numbers: none yet.
 */
enum keel_status
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  KEEL_STATUS_OK = 0,
  KEEL_STATUS_UNKNOWN = 1,
  KEEL_STATUS_NOT_IMPLEMENTED = 2,
  KEEL_STATUS_NOT_FOUND = 3,
  KEEL_STATUS_ALREADY_EXISTS = 4,
  KEEL_STATUS_INVALID_ARGUMENT = 5,
  KEEL_STATUS_INVALID_STATE = 6,
  KEEL_STATUS_INVALID_DATA = 7,
  KEEL_STATUS_INTEGRITY = 8,
  KEEL_STATUS_INTERNAL = 9,
  KEEL_STATUS_IO = 10,
  KEEL_STATUS_CANCELLED = 11,
  KEEL_STATUS_TIMEOUT = 12,
  KEEL_STATUS_UNAUTHENTICATED = 13,
  KEEL_STATUS_UNAUTHORIZED = 14,
  KEEL_STATUS_BUSY = 15,
  KEEL_STATUS_NULL_ARGUMENT = 16,
  KEEL_STATUS_PANIC = 17,
};
#ifndef __cplusplus
typedef int32_t keel_status;
#endif // __cplusplus

/**
 * The engine behind a pool or connection. Part of the C ABI
 * (`keel_dialect`): numbers never change. A driver the library was not
 * built with (registered at run time) is `KEEL_DIALECT_UNKNOWN`.
 */
enum keel_dialect
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  KEEL_DIALECT_UNKNOWN = 0,
  KEEL_DIALECT_SQLITE = 1,
  KEEL_DIALECT_POSTGRES = 2,
  KEEL_DIALECT_MYSQL = 3,
  KEEL_DIALECT_MSSQL = 4,
};
#ifndef __cplusplus
typedef int32_t keel_dialect;
#endif // __cplusplus

/**
 * Whether running the failed call again could apply its statement twice.
 * Part of the C ABI (`keel_retry_safety`): numbers never change.
 *
 * keel says `NotSent` only when it knows the statement never ran, and
 * `MayHaveRun` when a request went out and the connection failed before
 * its answer came back. An error the server answered with (a constraint,
 * a syntax error) is `Unknown`: the statement did not take effect, and
 * whether trying again helps is what the status says. `NotCommitted`
 * says more: the server ended the whole transaction the statement was in
 * without committing it (a deadlock, a serialization or certification
 * failure, a write refused by a server that is read-only), so running the
 * whole transaction again cannot apply it twice.
 */
enum keel_retry_safety
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  /**
   * keel cannot say more than the status does.
   */
  KEEL_RETRY_SAFETY_UNKNOWN = 0,
  /**
   * Nothing of the statement reached the server (it failed before
   * sending: no connection, pool timeout, bad arguments, or a connection
   * found dead before use), or only its preparation or a ping did: it
   * did not run, and running it again cannot apply it twice.
   */
  KEEL_RETRY_SAFETY_NOT_SENT = 1,
  /**
   * The statement was sent and the connection failed or timed out
   * before its answer: it may have run, and even committed. Retrying a
   * statement that is not idempotent may apply it twice.
   */
  KEEL_RETRY_SAFETY_MAY_HAVE_RUN = 2,
  /**
   * The server answered that the transaction the statement was in did
   * not commit and will not (it was rolled back, or can only be rolled
   * back), or the session ended inside a transaction before the
   * statement was sent (the server rolls that transaction back):
   * nothing of it took effect. Running the whole transaction
   * again (on another connection, for a write refused by a read-only
   * server) cannot apply it twice; whether it can succeed is what the
   * status says (`Busy`: try again).
   */
  KEEL_RETRY_SAFETY_NOT_COMMITTED = 3,
};
#ifndef __cplusplus
typedef int32_t keel_retry_safety;
#endif // __cplusplus

/**
 * The keel type of a column or value. Numbers are part of the C ABI
 * (`keel_type`) and never change.
 */
enum keel_type
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  KEEL_TYPE_NULL = 0,
  KEEL_TYPE_BOOL = 1,
  KEEL_TYPE_INT64 = 2,
  KEEL_TYPE_UINT64 = 3,
  KEEL_TYPE_DOUBLE = 4,
  KEEL_TYPE_TEXT = 5,
  KEEL_TYPE_BYTES = 6,
  KEEL_TYPE_DATE = 7,
  KEEL_TYPE_TIME = 8,
  KEEL_TYPE_TIMESTAMP = 9,
  KEEL_TYPE_TIMESTAMPTZ = 10,
  KEEL_TYPE_UUID = 11,
  KEEL_TYPE_JSON = 12,
  KEEL_TYPE_DECIMAL = 13,
};
#ifndef __cplusplus
typedef int32_t keel_type;
#endif // __cplusplus

/**
 * Whether a result column may hold NULL. Part of the C ABI (`keel_nullable`).
 */
enum keel_nullable
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  KEEL_NULLABLE_UNKNOWN = 0,
  KEEL_NULLABLE_NO = 1,
  KEEL_NULLABLE_YES = 2,
};
#ifndef __cplusplus
typedef int32_t keel_nullable;
#endif // __cplusplus

/**
 * Transaction isolation. Part of the C ABI (`keel_isolation`). An engine
 * that lacks the level asked for gives the next stronger one it has (as
 * PostgreSQL does for READ UNCOMMITTED), and says so in its docs.
 */
enum keel_isolation
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  KEEL_ISOLATION_DEFAULT = 0,
  KEEL_ISOLATION_READ_UNCOMMITTED = 1,
  KEEL_ISOLATION_READ_COMMITTED = 2,
  KEEL_ISOLATION_REPEATABLE_READ = 3,
  KEEL_ISOLATION_SNAPSHOT = 4,
  KEEL_ISOLATION_SERIALIZABLE = 5,
};
#ifndef __cplusplus
typedef int32_t keel_isolation;
#endif // __cplusplus

/**
 * When SQLite takes its write lock. Part of the C ABI (`keel_tx_lock`).
 * Other engines accept only `Default`.
 */
enum keel_tx_lock
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  KEEL_TX_LOCK_DEFAULT = 0,
  KEEL_TX_LOCK_DEFERRED = 1,
  KEEL_TX_LOCK_IMMEDIATE = 2,
  KEEL_TX_LOCK_EXCLUSIVE = 3,
};
#ifndef __cplusplus
typedef int32_t keel_tx_lock;
#endif // __cplusplus

/**
 * An encoding for `keel_rows_fetch_batch` (rows out) and
 * `keel_stmt_execute_batch_encoded` (parameter rows in). Numbers never
 * change.
 */
enum keel_batch_format
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  /**
   * A pickle protocol 5 stream of one list of tuples, one tuple per row,
   * that Python's `pickle.loads` turns into objects: NULL is `None`,
   * bool `bool`, int64/uint64 `int`, double `float`, text and JSON
   * `str` (JSON is not parsed), bytes `bytes`, decimal
   * `decimal.Decimal`, date `datetime.date`, time `datetime.time`,
   * timestamp a naive `datetime.datetime`, timestamptz a
   * `datetime.datetime` in `datetime.timezone.utc`, uuid `uuid.UUID`.
   * The stream names no callables but those six stdlib ones. Parameter
   * rows going in use the same container shape with the value tags
   * described at `keel_stmt_execute_batch_encoded`.
   */
  KEEL_BATCH_FORMAT_PICKLE5 = 1,
  /**
   * A Python `marshal` stream, version 2 (as `marshal.dumps(rows, 2)`
   * writes; `marshal.loads` of every Python 3 reads it), of one list
   * of tuples: NULL is `None`, bool `bool`, int64/uint64 `int`, double
   * `float`, text and JSON `str`, bytes `bytes`. CPython builds these
   * objects about a third faster from marshal than from pickle. It
   * carries no other type: a fetch refuses a result with a decimal,
   * date, time, timestamp, timestamptz or uuid column with
   * `KEEL_STATUS_NOT_IMPLEMENTED` before it reads a row (fetch those
   * with `KEEL_BATCH_FORMAT_PICKLE5`); a text or bytes value of 2 GiB
   * or more (marshal counts lengths in 31 bits) fails the fetch as a
   * row that fails to encode does. Parameter rows going in are one list or
   * tuple of rows, each a tuple or list of those six types.
   */
  KEEL_BATCH_FORMAT_MARSHAL2 = 2,
};
#ifndef __cplusplus
typedef int32_t keel_batch_format;
#endif // __cplusplus

/**
 * Something a connection can do or not, depending on its engine; ask with
 * `keel_conn_supports`. Part of the C ABI (`keel_capability`): numbers
 * never change, and 0 is never a capability.
 */
enum keel_capability
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  /**
   * Several cursors may be open on one connection at once, each read at
   * its own pace, with other statements running between their reads
   * (SQLite). Where not (PostgreSQL, MySQL/MariaDB, SQL Server), the
   * connection carries one result at a time: while a cursor is open
   * (not read to its end, not freed), every other statement on the
   * connection fails with `KEEL_STATUS_INVALID_STATE`.
   */
  KEEL_CAPABILITY_SEVERAL_CURSORS = 1,
  /**
   * A prepared statement says what its result looks like before it runs
   * (`keel_stmt_column_count` and the other `keel_stmt_column_*`):
   * how many columns (0 for a statement that returns no rows), their
   * names and types. Every built-in engine can, and a loaded driver with
   * keel_driver.h's `stmt_column_count` (keel's DuckDB driver); on SQL
   * Server and such a driver, a statement whose result the engine cannot
   * tell before running it gets `KEEL_STATUS_NOT_IMPLEMENTED` from those
   * calls all the same.
   */
  KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE = 2,
};
#ifndef __cplusplus
typedef int32_t keel_capability;
#endif // __cplusplus

/**
 * Which foreign keys `keel_conn_foreign_keys` lists. Part of the C ABI:
 * numbers never change.
 */
enum keel_foreign_keys
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  /**
   * The keys the table holds: its columns that reference other tables.
   */
  KEEL_FOREIGN_KEYS_IMPORTED = 0,
  /**
   * The keys of other tables (or the table itself) that reference it.
   */
  KEEL_FOREIGN_KEYS_EXPORTED = 1,
};
#ifndef __cplusplus
typedef int32_t keel_foreign_keys;
#endif // __cplusplus

/**
 * What `Conn::ingest` does with the table. Part of the C ABI
 * (`keel_ingest_mode`): numbers never change, and 0 is never a mode.
 * ADBC's ingest modes.
 */
enum keel_ingest_mode
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  /**
   * Make the table; fail (`KEEL_STATUS_ALREADY_EXISTS`) if it exists.
   */
  KEEL_INGEST_MODE_CREATE = 1,
  /**
   * Add the rows to a table that exists (`KEEL_STATUS_NOT_FOUND` if not).
   */
  KEEL_INGEST_MODE_APPEND = 2,
  /**
   * Drop the table if it exists, make it again, add the rows.
   */
  KEEL_INGEST_MODE_REPLACE = 3,
  /**
   * Make the table unless it exists, then add the rows.
   */
  KEEL_INGEST_MODE_CREATE_APPEND = 4,
};
#ifndef __cplusplus
typedef int32_t keel_ingest_mode;
#endif // __cplusplus

/**
 * Bytes the library allocated for the caller.
 *
 * Created by `keel_rows_fetch_batch`, destroyed by `keel_buffer_free`.
 * Methods: `keel_buffer_data`, `keel_buffer_len`. Immutable once
 * returned, so it may be read from any thread and outlives the cursor it
 * came from. In Rust it is a `Vec<u8>`.
 */
typedef struct keel_buffer keel_buffer;

/**
 * Cancels the statement running on one connection.
 *
 * Created by `keel_conn_cancel_handle`, destroyed by `keel_cancel_free`.
 * Methods: `keel_cancel_request`. Thread rule: unlike other handles, it is
 * meant to be used from another thread while the connection's thread is
 * blocked in a call, and several threads may use it at once. In Rust it is
 * an `Arc` of the engine's cancel mechanism: PostgreSQL's cancel request,
 * MySQL's `KILL QUERY` from a side connection, SQLite's
 * `sqlite3_interrupt`, and for SQL Server a flag that makes the blocked
 * call send a TDS attention.
 */
typedef struct keel_cancel keel_cancel;

/**
 * One connection checked out of a `keel_db` pool.
 *
 * Created by `keel_db_checkout`, destroyed by `keel_conn_free` or its
 * other name `keel_conn_return` (which return it to the pool, rolled back
 * if a transaction is open), or by `keel_conn_close` (which closes its
 * session instead). Methods: `keel_conn_exec`, `keel_conn_exec_len`,
 * `keel_conn_query`, `keel_conn_query_len`, `keel_conn_query_arrow`,
 * `keel_conn_ingest`,
 * `keel_conn_prepare`,
 * `keel_conn_prepare_len`, `keel_conn_prepare_cached`, `keel_conn_begin`,
 * `keel_conn_commit`,
 * `keel_conn_rollback`, `keel_conn_savepoint`,
 * `keel_conn_savepoint_release` (also named `keel_conn_release`),
 * `keel_conn_rollback_to`, `keel_conn_ping`, `keel_conn_in_transaction`,
 * `keel_conn_dialect`, `keel_conn_supports`, `keel_conn_server_version`,
 * `keel_conn_cancel_handle`, and the catalog: `keel_conn_catalogs`,
 * `keel_conn_schemas`, `keel_conn_tables`, `keel_conn_columns`,
 * `keel_conn_primary_keys`, `keel_conn_foreign_keys`,
 * `keel_conn_indexes`, `keel_conn_unique_constraints`,
 * `keel_conn_check_constraints`. Thread rule: it may move between threads but
 * must not be used by two at once, and its statements and cursors go with
 * it. In Rust it is a `keel::Conn` (an `Arc` of the session).
 */
typedef struct keel_conn keel_conn;

/**
 * A pool of connections to one database.
 *
 * Created by `keel_db_open` or `keel_db_open_options`, destroyed by
 * `keel_db_free`. Methods: `keel_db_checkout`, `keel_db_exec`,
 * `keel_db_exec_len`, `keel_db_query`, `keel_db_query_len`, `keel_db_query_arrow`,
 * `keel_db_stats`, `keel_db_dialect`.
 * Thread rule: one `keel_db` may be used from many threads at once. In
 * Rust it is a `keel::Db` (an `Arc` of the pool).
 */
typedef struct keel_db keel_db;

/**
 * A driver's table of functions, defined in `keel_driver.h` (included
 * only by code that writes a driver); here it is only passed along.
 * Not a handle: keel never hands one out, and copies the one it is
 * given. See `keel_driver_register`.
 */
typedef struct keel_driver_v1 keel_driver_v1;

/**
 * An error: status, message, SQLSTATE, vendor code, driver name, and
 * whether retrying is safe.
 *
 * Created by any fallible call that was given a non-NULL `keel_error
 * **err_out` and did not succeed; destroyed by `keel_error_free`. Methods:
 * `keel_error_status`, `keel_error_message`, `keel_error_sqlstate`,
 * `keel_error_vendor_code`, `keel_error_driver`,
 * `keel_error_retry_safety`. Immutable, so any thread
 * may read it. In Rust it is a boxed `keel::Error` with C copies of its
 * strings.
 */
typedef struct keel_error keel_error;

/**
 * A streaming cursor over one result.
 *
 * Created by `keel_conn_query`, `keel_db_query`, `keel_stmt_query`,
 * `keel_stmt_query_reuse`, `keel_stmt_query_encoded` or
 * `keel_stmt_query_encoded_peek`; destroyed by `keel_rows_free`, or by
 * `keel_stmt_query_reuse` and the two `keel_stmt_query_encoded` calls,
 * which may hand the same memory back as a new cursor. Methods: `keel_rows_next`,
 * `keel_rows_next_values`, `keel_rows_fetch_batch`,
 * `keel_rows_export_arrow`,
 * `keel_rows_column_count`, `keel_rows_column_name`,
 * `keel_rows_column_index`, `keel_rows_column_type`,
 * `keel_rows_column_engine_type`, `keel_rows_column_nullable`, and the
 * `keel_rows_column_*` value readers.
 * A cursor its statement closed (by `keel_stmt_query`, `keel_stmt_execute`,
 * a `keel_stmt_bind_*`, `keel_stmt_clear_bindings` or a batch on it)
 * answers `KEEL_STATUS_INVALID_STATE` to every later call that returns a
 * status (the column descriptions included) but `keel_rows_free`;
 * `keel_rows_column_count`, which has no status, still gives the count.
 * Rows are read one at a time; nothing buffers the whole result. Thread
 * rule: goes with its connection. In Rust it is a `keel::Rows`, which keeps
 * its connection checked out (and, from `keel_db_query`, owns it) until
 * freed.
 */
typedef struct keel_rows keel_rows;

/**
 * A prepared statement on one connection.
 *
 * Created by `keel_conn_prepare`, `keel_conn_prepare_len` or
 * `keel_conn_prepare_cached`, destroyed by `keel_stmt_free`. Methods:
 * `keel_stmt_param_count`, `keel_stmt_column_count`,
 * `keel_stmt_column_name`, `keel_stmt_column_type`,
 * `keel_stmt_column_engine_type`, `keel_stmt_column_nullable`,
 * `keel_stmt_bind_*`, `keel_stmt_clear_bindings`, `keel_stmt_execute`,
 * `keel_stmt_query`, `keel_stmt_query_reuse`, `keel_stmt_query_encoded`,
 * `keel_stmt_query_encoded_peek`, `keel_stmt_execute_batch`, `keel_stmt_execute_batch_encoded`. Running,
 * binding or clearing it closes the cursor it has open, on every engine. Parameters are 0-based; every
 * one must be bound before a run, and bindings persist across runs until
 * rebound or cleared. Thread rule: goes with its connection. In Rust it is
 * a `keel::Stmt`, which keeps its connection checked out while it lives.
 */
typedef struct keel_stmt keel_stmt;

/**
 * One value, in either direction.
 *
 * `kind` is a `keel_type`. Which field carries the value:
 * - `KEEL_TYPE_NULL`: none.
 * - `KEEL_TYPE_BOOL`: `int_value` (0 or 1).
 * - `KEEL_TYPE_INT64`: `int_value`.
 * - `KEEL_TYPE_UINT64`: `uint_value`.
 * - `KEEL_TYPE_DOUBLE`: `double_value`.
 * - `KEEL_TYPE_DATE`: `int_value`, days since 1970-01-01.
 * - `KEEL_TYPE_TIME`: `int_value`, microseconds since midnight.
 * - `KEEL_TYPE_TIMESTAMP`, `KEEL_TYPE_TIMESTAMPTZ`: `int_value`,
 *   microseconds since 1970-01-01T00:00:00Z.
 * - `KEEL_TYPE_TEXT`, `KEEL_TYPE_JSON`, `KEEL_TYPE_DECIMAL`: `data` and
 *   `len`, UTF-8 (a decimal is its exact decimal text, e.g. `"-12.50"`).
 * - `KEEL_TYPE_BYTES`: `data` and `len`.
 * - `KEEL_TYPE_UUID`: `data` points at 16 bytes; `len` is 16.
 *
 * As a parameter it is only read during the call. As a result, `data` is
 * borrowed from the cursor (see `keel_rows_column_value`).
 */
typedef struct keel_value {
  int32_t kind;
  int64_t int_value;
  uint64_t uint_value;
  double double_value;
  const uint8_t *data;
  size_t len;
} keel_value;

/**
 * What a statement that returns no rows did.
 *
 * Set `size` to `sizeof(keel_exec_result)`, or leave it 0, which means
 * this layout, before passing one (see ABI STABILITY above); a struct
 * with a smaller size is refused before the statement runs. Always
 * initialize it (`keel_exec_result r = {.size = sizeof r};`).
 */
typedef struct keel_exec_result {
  /**
   * The size of the struct the caller allocated, in bytes; 0 for this
   * layout. keel never changes it.
   */
  size_t size;
  /**
   * Rows inserted, updated or deleted; 0 for other statements, except
   * that on PostgreSQL and SQL Server a SELECT run by exec reports the
   * rows it returned (the server's own count: PostgreSQL's command tag,
   * as libpq's PQcmdTuples; SQL Server's DONE token). A MariaDB
   * `INSERT`/`REPLACE`/`DELETE ... RETURNING` reports the rows it
   * returned, one per row written (the server's own count says 0).
   */
  uint64_t rows_affected;
  /**
   * The id the engine gave the last inserted row, when
   * `has_last_insert_id` is true (SQLite: `sqlite3_last_insert_rowid`).
   * MySQL/MariaDB report the first row's id for one statement that
   * inserted several (`INSERT ... VALUES (...), (...)`: its
   * `LAST_INSERT_ID()`), and keel passes that on; a batch of one-row
   * INSERTs (`keel_stmt_execute_batch`) gives the last row's.
   */
  int64_t last_insert_id;
  bool has_last_insert_id;
} keel_exec_result;

/**
 * Options for `keel_conn_begin`. Zero-initialized means the engine's
 * defaults: default isolation, read-write, default locking.
 *
 * Set `size` to `sizeof(keel_tx_options)`, or leave it 0, which means
 * this layout (see ABI STABILITY above). Every field's zero value is its
 * default, and a field a newer header adds is read only from programs
 * whose `size` covers it.
 */
typedef struct keel_tx_options {
  /**
   * The size of the struct the caller allocated, in bytes; 0 for this
   * layout.
   */
  size_t size;
  /**
   * A `keel_isolation` value.
   */
  int32_t isolation;
  /**
   * A `keel_tx_lock` value (SQLite's DEFERRED/IMMEDIATE/EXCLUSIVE).
   */
  int32_t lock;
  /**
   * Open the transaction read-only.
   */
  bool read_only;
} keel_tx_options;

/**
 * One option for `keel_db_open_options`: the same key and value text as
 * in a URL query string (`{"pool_max_open", "16"}`).
 */
typedef struct keel_option {
  const char *key;
  const char *value;
} keel_option;

/**
 * A pool's statistics, from `keel_db_stats`.
 *
 * Set `size` to `sizeof(keel_pool_stats)`, or leave it 0, which means
 * this layout, before calling (see ABI STABILITY above): keel writes the
 * fields it knows and leaves a newer program's later fields alone.
 */
typedef struct keel_pool_stats {
  /**
   * The size of the struct the caller allocated, in bytes; 0 for this
   * layout. keel never changes it.
   */
  size_t size;
  /**
   * Connections open now, idle and in use.
   */
  uint64_t open;
  uint64_t in_use;
  uint64_t idle;
  /**
   * Checkouts that had to wait for a free connection.
   */
  uint64_t wait_count;
  /**
   * Total time those checkouts waited, in microseconds.
   */
  uint64_t wait_duration_us;
  /**
   * Checkouts that failed at `pool_acquire_timeout_ms`.
   */
  uint64_t wait_timeouts;
  /**
   * Connections closed because more than `pool_max_idle` were idle.
   */
  uint64_t closed_max_idle;
  /**
   * Connections closed at `pool_max_lifetime_ms`.
   */
  uint64_t closed_max_lifetime;
  /**
   * Connections closed at `pool_max_idle_time_ms`.
   */
  uint64_t closed_max_idle_time;
  /**
   * Connections closed because they broke, failed the health check, or
   * could not be rolled back when returned.
   */
  uint64_t closed_broken;
  /**
   * exec/query calls whose statement came from the connection's
   * statement cache (`stmt_cache_size`), and those that prepared it.
   */
  uint64_t stmt_cache_hits;
  uint64_t stmt_cache_misses;
} keel_pool_stats;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Run a query and return its result as an Arrow C stream.
 *
 * Runs `sql` with `params` as `keel_conn_query` does and fills
 * `*stream_out` with a `struct ArrowArrayStream` (the Arrow C stream
 * interface, declared in this header) whose schema is a struct of the
 * result's columns and whose arrays are record batches of up to
 * `arrow_batch_rows` rows (an option of the pool; a batch also ends once
 * its text and bytes pass 16 MiB). This call reads the first batch, so
 * that columns without a declared type get theirs, and fails with its
 * errors; later errors make `get_next` return non-zero, with the message
 * (starting `keel: ` and the status text) from `get_last_error`, and the
 * stream ends there.
 *
 * Types, the same on every engine: bool → bool, int64 → int64, uint64 →
 * uint64, double → float64, text → utf8, bytes → binary, date → date32,
 * time → time64[us], timestamp → timestamp[us], timestamptz →
 * timestamp[us, UTC] (SQL Server's stored offset is dropped, the instant
 * kept), decimal → decimal128(p, s) where the engine gives the column's
 * precision and scale (SQLite's declared NUMERIC(p,s), PostgreSQL's
 * numeric(p,s), MySQL's DECIMAL(p,s), a loaded driver's DECIMAL(p,s) engine
 * type such as DuckDB's) and p is at most 38, decimal256(p, s) for p of
 * 39 to 76, and utf8 holding the exact decimal
 * text where there is no precision or it is larger (PostgreSQL's
 * unconstrained numeric, SQL Server), uuid → fixed_size_binary(16) with extension name `arrow.uuid`,
 * json → utf8 with extension name `arrow.json`. A PostgreSQL array column
 * (one whose elements keel decodes: every type above, plus the types
 * read as text, such as intervals, timetz, inet, enums and domains, as
 * utf8) → list<T> of its elements' Arrow type
 * (child field `item`), although `keel_rows_column_text` reads its values
 * as the server's array text (whose `[2:3]=` prefix keeps a first index
 * other than 1, which a list does not: it holds the elements); an array
 * value of more than one dimension, or with an element the element type
 * cannot hold (a date `infinity`),
 * fails with `KEEL_STATUS_INVALID_DATA` naming the row and column; an
 * array of money, of reg* types or of a type read as bytes reads as
 * bytes → binary. Every field is nullable; NULL is
 * a cleared validity bit (of a list, and of each element). A column without a declared type
 * (SQLite expressions) takes the type of its first non-NULL value in the
 * first batch, or Arrow's null type when that batch has none. A value
 * that does not fit its column's Arrow type fails the batch with an error
 * naming the row (0-based, over the whole stream) and the column.
 *
 * What the stream holds: the cursor, and through it the connection's
 * session and, for `keel_conn_query_arrow`, the cached statement it runs.
 * The caller may free `conn` (`keel_conn_free`) while the stream lives;
 * the session goes back to the pool when the stream is released. Until
 * then it counts as checked out, and, on engines without
 * `KEEL_CAPABILITY_SEVERAL_CURSORS`, `conn` runs nothing else until the
 * stream reached its end or was released. The stream may move between
 * threads but must not be used by two at once. It also keeps the value
 * and offset buffers of the last batch its consumer released (at most
 * one batch's), and fills them again for the next batch instead of
 * allocating new ones; a batch the consumer still holds is never written.
 *
 * Ownership: `sql` and `params` are borrowed for the call. On success
 * `*stream_out` belongs to the caller, who calls its `release` callback
 * once (any Arrow consumer that imports it does); nothing is written on
 * failure.
 *
 * Lifetime: the schema and arrays the stream hands out are the
 * consumer's, each with its own `release` (callable from any thread), and
 * live past the stream.
 *
 * Errors: as `keel_conn_query`, plus `KEEL_STATUS_NULL_ARGUMENT`
 * (stream_out), `KEEL_STATUS_INVALID_DATA` (a value of the first batch
 * that does not fit its Arrow type).
 *
 * Since: 0.2.0
 */
keel_status keel_conn_query_arrow(struct keel_conn *conn,
                                  const char *sql,
                                  const struct keel_value *params,
                                  size_t n_params,
                                  struct ArrowArrayStream *stream_out,
                                  struct keel_error **err_out);

/**
 * Run a query on a pooled connection and return its result as an Arrow C
 * stream.
 *
 * As `keel_conn_query_arrow`, on a connection checked out of `db` for the
 * stream: it goes back to the pool when the stream is released.
 *
 * Ownership: `sql` and `params` are borrowed for the call. On success
 * `*stream_out` belongs to the caller, who calls its `release` callback
 * once.
 *
 * Lifetime: the stream may outlive `db` (`keel_db_free`): it keeps the
 * pool alive until released.
 *
 * Errors: as `keel_db_query` and `keel_conn_query_arrow`.
 *
 * Since: 0.2.0
 */
keel_status keel_db_query_arrow(struct keel_db *db,
                                const char *sql,
                                const struct keel_value *params,
                                size_t n_params,
                                struct ArrowArrayStream *stream_out,
                                struct keel_error **err_out);

/**
 * Move the rows a cursor has not read yet into an Arrow C stream.
 *
 * The stream starts at the row after the cursor's current one and reads
 * the rest of the result, as `keel_conn_query_arrow` describes (types,
 * batches, errors, what it holds). Afterwards `rows` is empty: every call
 * on it but `keel_rows_free` fails with `KEEL_STATUS_INVALID_STATE`, and
 * the caller still frees it. The stream holds the cursor's result and
 * its connection's session; it stays valid after `keel_rows_free(rows)`,
 * `keel_stmt_free` and `keel_conn_free`. A cursor of a `keel_stmt` stays
 * tied to that statement: running, binding or clearing it again closes
 * the stream's cursor as it would have closed `rows` (`get_next` then
 * fails).
 *
 * Ownership: borrows `rows`. On success `*stream_out` belongs to the
 * caller, who calls its `release` callback once.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, stream_out),
 * `KEEL_STATUS_INVALID_STATE` (the cursor was closed by its statement or
 * already exported), `KEEL_STATUS_INVALID_DATA` (a value of the first
 * batch that does not fit its Arrow type), engine errors raised while
 * reading the first batch, and the error of the row a
 * `keel_rows_fetch_batch` on `rows` stopped at after returning the rows
 * before it (see there). On failure the cursor's rows are gone all the
 * same.
 *
 * Since: 0.2.0
 */
keel_status keel_rows_export_arrow(struct keel_rows *rows,
                                   struct ArrowArrayStream *stream_out,
                                   struct keel_error **err_out);

/**
 * Load an Arrow C stream into a table.
 *
 * Reads every record batch of `stream` and inserts its rows into `table`
 * on `conn`, after making the table as `mode` (a `keel_ingest_mode`)
 * says: `KEEL_INGEST_MODE_CREATE` makes it (failing with the engine's
 * "already exists" error when it exists), `KEEL_INGEST_MODE_APPEND` adds
 * to a table that exists, `KEEL_INGEST_MODE_REPLACE` drops it if it
 * exists and makes it again, `KEEL_INGEST_MODE_CREATE_APPEND` makes it
 * unless it exists. `table` is one name, quoted as the engine quotes
 * identifiers (no schema prefix); the columns are the stream's fields,
 * by name, and a table keel makes declares for each the engine's type
 * for its keel type (the reverse of `keel_conn_query_arrow`'s mapping;
 * int8 to int32 and uint8 to uint32 as int64, float32 as double, large
 * utf8 and binary and their views, timestamps in s, ms or ns converted
 * to µs exactly). A list (list<T> or large_list<T> of one of those
 * types) goes into a PostgreSQL array column (a table keel makes declares
 * `T[]`, `BIGINT[]` for list<int64>), by the binary COPY as
 * one-dimensional binary arrays (as the server's array text in INSERTs
 * when the column's element type has no binary form for the list's);
 * other engines have no arrays and refuse a list field in every mode. A
 * field type with no keel type (structs, dictionaries, lists of lists),
 * or with no column type on the engine (uint64 on SQLite, PostgreSQL and
 * SQL Server, uuid on MySQL, lists outside PostgreSQL), fails with
 * `KEEL_STATUS_NOT_IMPLEMENTED` before anything runs.
 *
 * On PostgreSQL the rows go in by `COPY ... FROM STDIN (FORMAT binary)`,
 * encoded straight from the Arrow arrays, when every field's keel type
 * has a binary form for its table column's type (int64 into int2, int4
 * or int8; double into float4 or float8; text and json into text,
 * varchar, char, json or jsonb; decimal into numeric; the others into
 * their own type; a list field has none, so a stream with one goes in as
 * multi-row INSERTs). On MariaDB 10.2 and later they go in by one
 * prepared INSERT run by `COM_STMT_BULK_EXECUTE`, up to 10,000 rows of
 * binary values per command (what libmariadb's array binding sends),
 * unless the URL says `mariadb_bulk=off`; a duplicate key or a value the
 * server refuses is the call's error, and so is a value it adjusted with
 * a warning (outside strict mode). On MySQL (and MariaDB with
 * `mariadb_bulk=off`) they go in by `LOAD DATA LOCAL
 * INFILE`, fed from the stream as escaped tab-separated text (no file is
 * opened), when the server has `local_infile` on, no field is a uuid, and
 * json and bytes fields are not both present (the text is read in one
 * character set: binary, or utf8mb4 for json);
 * the server makes duplicate keys and values it cannot store warnings
 * under LOCAL, and keel makes the first such warning the call's error
 * (`KEEL_STATUS_INTEGRITY` for a duplicate key), so the rows are rolled
 * back. On SQL Server they go in by the TDS bulk load, each value written
 * as its table column takes it, exactly: a value out of the column's
 * range, or finer than its scale (a time with microseconds into
 * `time(3)`, a decimal with more digits than the column's (p, s)), is
 * `KEEL_STATUS_INVALID_DATA` naming the row, never rounded; a NULL into
 * a column that takes none is `KEEL_STATUS_INTEGRITY`. A rejected row
 * ends the load there: the rows before it are in the transaction, which
 * keel rolls back when it opened it. Otherwise (a table with a money,
 * datetime, smalldatetime, text, ntext, image, xml, identity or computed
 * column on SQL Server) the rows go in as a
 * batch of one prepared INSERT (as `keel_stmt_execute_batch`): on
 * MySQL/MariaDB and PostgreSQL multi-row INSERTs of up to 1000 rows, on
 * SQL Server one INSERT per row. On SQLite each record batch goes in by
 * one prepared `INSERT INTO t (...) SELECT ... FROM keel_ingest_rows(?)`,
 * whose table-valued function (registered by keel on every SQLite
 * connection it opens, usable by no view or trigger) reads the batch's
 * values where they are in the stream's arrays (no copy), each record
 * batch read from the stream before its rows go in (so the stream may
 * read from `conn` itself); a value SQLite cannot take (a uint64 past
 * INT64_MAX, a NaN) is `KEEL_STATUS_INVALID_ARGUMENT` naming the row and
 * the parameter (the field's index), and a row that breaks a constraint
 * fails naming the row; either undoes the rows of its record batch (one
 * statement), the batches before it staying in the transaction. A
 * stream of more than 999 fields, or a database with a table named
 * `keel_ingest_rows`, goes in by one prepared INSERT per row instead,
 * where a failing row leaves the rows before it in the transaction. On a driver
 * loaded at run time (`keel_driver_load`), the rows go in through the
 * driver's appender when it has one (DuckDB's), else as a batch of its
 * prepared INSERT; a table keel makes there declares the column types
 * the driver names (`column_types` in keel_driver.h: DuckDB names one
 * for every keel type, and a decimal needs its precision and scale),
 * and a driver that names none makes modes other than
 * `KEEL_INGEST_MODE_APPEND` fail with `KEEL_STATUS_NOT_IMPLEMENTED`.
 * Everything runs in one transaction
 * when `conn` is not in one (MySQL/MariaDB commit CREATE and DROP at
 * once, so there the transaction holds the rows only), rolled back on
 * failure; inside a transaction of the caller's, nothing is rolled back
 * here. On MySQL/MariaDB a mode that makes or drops the table commits
 * what the caller's transaction held before (the server commits before
 * DDL), and the rows then go into a new transaction, which stays open
 * for the caller to commit or roll back; and there
 * `KEEL_INGEST_MODE_REPLACE` drops the old table at once, so a load that
 * fails leaves the table made again, empty.
 *
 * Ownership: takes `stream` whenever it is not NULL, whatever the
 * outcome: it is released (its `release` called, and `stream->release`
 * set to NULL) before this call returns. `table` is borrowed for the
 * call. `*rows_out`, when `rows_out` is not NULL, receives the number of
 * rows inserted.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, table, stream),
 * `KEEL_STATUS_INVALID_ARGUMENT` (unknown mode, a stream without columns
 * or with an unreadable schema, a name with a NUL byte),
 * `KEEL_STATUS_NOT_IMPLEMENTED` (a field type keel cannot ingest),
 * `KEEL_STATUS_INVALID_DATA` (a value that does not convert exactly, an
 * error the stream's producer reported, with the message from its
 * `get_last_error` placed after the rows before it: `after N rows:
 * reading the Arrow stream: ...`), `KEEL_STATUS_ALREADY_EXISTS`
 * and `KEEL_STATUS_NOT_FOUND` (the table, per mode), and engine errors.
 * keel's own errors name the row (0-based, from the start of the
 * stream) and column; so do the engine's on SQLite and PostgreSQL (whose
 * COPY names the row as its 1-based line, kept in the message's
 * context); on MySQL/MariaDB and SQL Server an engine error names the
 * row only where the server's own message does (a duplicate key gives
 * the key, not the row), and MariaDB's bulk command names the rows it
 * carried (`rows 10000 to 19999, sent as one bulk command:`, the server's
 * `at row N` counting within them); a loaded driver's appender, which
 * checks keys only as it writes, names every row it held (`rows 0 to
 * N, written as one piece by the driver's appender:`). A double into a
 * PostgreSQL `real` column that float4 cannot hold (overflow, or a value
 * not 0 that rounds to 0) is `KEEL_STATUS_INVALID_DATA` with SQLSTATE
 * 22003, as the server's own cast refuses it.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_ingest(struct keel_conn *conn,
                             const char *table,
                             struct ArrowArrayStream *stream,
                             int32_t mode,
                             uint64_t *rows_out,
                             struct keel_error **err_out);

/**
 * Read up to `max_rows` rows from a cursor into one new buffer.
 *
 * Advances `rows` past every row it copies, encoding them in `format`
 * (a `keel_batch_format`). Fewer than `max_rows` rows are returned only
 * at the end of the result, or when the buffer has grown past 16 MiB;
 * `*n_rows_out` is 0 only at the end. `*end_out`, when `end_out` is not
 * NULL, is set true when this call reached the end of the result (so a
 * further call would return no rows). Afterwards the cursor is on the
 * last row copied, as if `keel_rows_next` had been called for each.
 * When a row fails to read or encode (an engine error, or a date outside
 * what the format can hold), the call stops there: if it had read rows
 * before it, it returns them (`*end_out` false) and the next call that
 * moves the cursor (`keel_rows_fetch_batch`, `keel_rows_next`,
 * `keel_rows_next_values`, `keel_rows_export_arrow`) fails with that
 * row's error instead of moving; with no row before it, this call fails.
 * No row read is dropped. After an encoding error the cursor stands on
 * the failing row (its values readable with the typed getters, also
 * between the rows returned and the error), and a call after the error
 * goes on after it; after an engine error the result has ended.
 *
 * `data_out` and `len_out` may be NULL; otherwise they receive the same
 * pointer and length as `keel_buffer_data` and `keel_buffer_len` would
 * give, which saves two calls per batch for callers that pay per call.
 * With `buffer_out` NULL the cursor keeps the bytes instead (then
 * `data_out` and `len_out` are required): no buffer to free, and the
 * cursor reuses the memory for its next batch.
 *
 * Ownership: borrows `rows`. On success `*buffer_out`, when given,
 * receives a new `keel_buffer` that the caller frees with
 * `keel_buffer_free`; `*data_out` points into it, or into the cursor when
 * `buffer_out` is NULL.
 *
 * Lifetime: a buffer does not borrow from `rows`; it, and `*data_out`
 * into it, live until `keel_buffer_free`, whatever happens to the cursor.
 * Bytes the cursor keeps (`buffer_out` NULL) live until the next
 * `keel_rows_fetch_batch` on `rows` or `keel_rows_free(rows)` (which
 * includes the cursor's reuse by `keel_stmt_query_reuse` or the
 * `keel_stmt_query_encoded` calls).
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, n_rows_out; data_out and
 * len_out when buffer_out is NULL),
 * `KEEL_STATUS_INVALID_ARGUMENT` (max_rows is 0, unknown format),
 * `KEEL_STATUS_INVALID_STATE` (the statement was re-run, so this cursor
 * is closed), `KEEL_STATUS_INVALID_DATA` (SQLSTATE 22008: a date or
 * time outside years 1 to 9999), `KEEL_STATUS_NOT_IMPLEMENTED` (with
 * `KEEL_BATCH_FORMAT_MARSHAL2`, a result with a column of a type marshal
 * cannot carry; no row is read), and engine errors raised while reading.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_fetch_batch(struct keel_rows *rows,
                                  size_t max_rows,
                                  int32_t format,
                                  struct keel_buffer **buffer_out,
                                  const uint8_t **data_out,
                                  size_t *len_out,
                                  size_t *n_rows_out,
                                  bool *end_out,
                                  struct keel_error **err_out);

/**
 * Return the start of a buffer's bytes.
 *
 * Ownership: borrows `buffer`; the bytes belong to it.
 *
 * Lifetime: valid until `keel_buffer_free(buffer)`.
 *
 * Errors: returns NULL when `buffer` is NULL.
 *
 * Since: 0.1.0
 */
const uint8_t *keel_buffer_data(const struct keel_buffer *buffer);

/**
 * Return how many bytes a buffer holds.
 *
 * Ownership: borrows `buffer`.
 *
 * Errors: returns 0 when `buffer` is NULL.
 *
 * Since: 0.1.0
 */
size_t keel_buffer_len(const struct keel_buffer *buffer);

/**
 * Free a buffer.
 *
 * Ownership: takes back `buffer`; NULL is a no-op.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
void keel_buffer_free(struct keel_buffer *buffer);

/**
 * Run a statement once for each of `n_rows` rows of parameters.
 *
 * `params` holds `n_rows * n_cols` values, row after row; `n_cols` must
 * equal `keel_stmt_param_count(stmt)`. The outcome is that of binding and
 * running each row in turn with `keel_stmt_bind_value` and
 * `keel_stmt_execute`, which is how SQLite runs it. On PostgreSQL and
 * MySQL/MariaDB a plain `INSERT INTO t [(cols)] VALUES (...)` whose
 * VALUES hold only placeholders and literals (on MySQL, into a table of a
 * transactional engine such as InnoDB) runs as multi-row INSERTs of up to
 * 1000 rows instead: one round trip per chunk rather than per row. On
 * PostgreSQL an `INSERT INTO t (cols) VALUES (?, ...)` of placeholders
 * alone, with a column list and nothing after the VALUES, into a plain or
 * partitioned table with no rules and no row-level security that the
 * session may also SELECT from (COPY's column probe reads it), goes by
 * binary `COPY t (cols) FROM STDIN`, 10,000 rows per COPY (row triggers
 * fire as for the INSERT; statement triggers once per COPY); a batch
 * holding a value that has no binary form for its column (a double for
 * a NUMERIC column, text for an integer one) or does not fit it runs as
 * multi-row INSERTs instead, from then on for that statement. On
 * PostgreSQL every other statement with parameters (UPDATE, DELETE,
 * upserts that update, `INSERT ... RETURNING`) is pipelined: up to 1000
 * rows are sent before their answers are read, one round trip per chunk,
 * the server still running the statement once per row. On MariaDB 10.2
 * and later (unless the URL says `mariadb_bulk=off`) UPDATE, single-table
 * DELETE and INSERT/REPLACE ... VALUES that are no multi-row INSERT
 * (upserts whose update takes a parameter), none with RETURNING (which
 * runs row by row), go by MariaDB's bulk command,
 * up to 1000 rows per command, when they write a table of a
 * transactional engine; the command does not say which row failed, so
 * keel runs each chunk inside a savepoint (or a transaction of its own)
 * and, when a row's data fails it, rolls the chunk back and runs its rows
 * one by one, which names the row. A driver loaded
 * at run time runs such INSERTs as multi-row INSERTs when it sets
 * `KEEL_DRIVER_MULTIROW_INSERT`, and when it has an appender (DuckDB) an
 * `INSERT INTO t [(cols)] VALUES (?, ...)` of placeholders alone goes
 * through the appender, 10,000 rows at a time (the error of a failed
 * COPY or appended chunk that keel cannot run again starts `rows N to M,
 * loaded as one piece through the driver's bulk path:`). Outside a
 * transaction each chunk, multi-row, pipelined, copied or appended,
 * commits as a whole.
 *
 * The first failing row stops the call, and the error message starts
 * with `row N:` (0-based). The rows before it stay done unless the engine
 * aborts the open transaction on an error, as PostgreSQL does (run the
 * call in a transaction to make it all or nothing). After a constraint
 * or data error in a multi-row INSERT, keel runs that chunk's rows again
 * one by one to find the row; inside a PostgreSQL transaction, which the
 * error aborted, and for errors not about the data (deadlock, timeout,
 * cancel, lost connection) it cannot, and the message starts with `rows
 * N to M, run as one multi-row INSERT:` instead. A pipelined chunk
 * always names its failing row, and no row after it runs; outside a
 * transaction the failure rolls back the chunk's transaction, and keel
 * runs the rows before the failing one again when the error is about the
 * data (otherwise the message says they were rolled back). A row keel
 * refuses before sending it (a bad value: invalid UTF-8, a bad kind, a
 * value the engine cannot take) stops the call the same way, after the
 * rows before it ran. The error of a row after the first says
 * `KEEL_RETRY_SAFETY_UNKNOWN` where it would say
 * `KEEL_RETRY_SAFETY_NOT_SENT` for one statement: the rows before it
 * ran, so running the call again would run them twice. After success
 * the statement is bound to the last row. `n_rows` 0 runs nothing and
 * succeeds.
 *
 * Ownership: borrows `stmt`; `params` and their data are read during the
 * call only. `result_out` may be NULL; otherwise it receives the sum of
 * rows affected over all rows and the last insert id of the last row.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, params when n_rows and
 * n_cols are not 0), `KEEL_STATUS_INVALID_ARGUMENT` (n_cols differs from
 * the parameter count, a bad value), and the engine's errors for the
 * failing row (`KEEL_STATUS_INTEGRITY`, `KEEL_STATUS_BUSY`, ...).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_execute_batch(struct keel_stmt *stmt,
                                    const struct keel_value *params,
                                    size_t n_rows,
                                    size_t n_cols,
                                    struct keel_exec_result *result_out,
                                    struct keel_error **err_out);

/**
 * Run a statement once for each row of parameters encoded in a buffer.
 *
 * The encoded form of `keel_stmt_execute_batch`, for callers that can
 * serialize a table of values faster than they can fill `keel_value`s.
 * With `KEEL_BATCH_FORMAT_PICKLE5`, `data` is a pickle stream (protocol 2
 * to 5, as Python's `pickle.dumps` writes it) of one list of rows, each a
 * tuple or list of `None`, `bool`, `int` (64-bit), `float`, `str`,
 * `bytes` (protocol 3 or later), `bytearray` (protocol 5), or a value tag `keel._wire.<kind>(arg)` for a
 * date (days), time, timestamp or timestamptz (microseconds), decimal or
 * json (text), uuid (16 bytes) or bytes, and `keel._wire.int`, `.float`
 * and `.str` for plain values. Tags are matched by name and
 * nothing is imported or run; any other pickle opcode or name is an
 * error. With `KEEL_BATCH_FORMAT_MARSHAL2`, `data` is a marshal stream
 * (version 0 to 2, as `marshal.dumps(rows, 2)` writes it) of one list or
 * tuple of rows, each a tuple or list of `None`, `bool`, `int` (64-bit),
 * `float`, `str` or `bytes`; any other type is an error. Rows run as in `keel_stmt_execute_batch`, multi-row INSERTs
 * included: each must have `keel_stmt_param_count(stmt)` values, the
 * first failing row stops the call with a message starting `row N:` (or
 * `rows N to M, ...` inside a PostgreSQL transaction, see there), and
 * earlier rows stay done. The whole buffer is decoded before any row
 * runs: a row that does not decode (a wrong type, a short row, an
 * integer past 64 bits) fails the call with nothing run.
 *
 * Ownership: borrows `stmt`; `data` is read during the call only.
 * `result_out` may be NULL; otherwise it receives the sum of rows
 * affected and the last insert id of the last row.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, data when len > 0),
 * `KEEL_STATUS_INVALID_ARGUMENT` (unknown format, a malformed stream, a
 * row of the wrong length, an integer beyond 64 bits with SQLSTATE
 * 22003), and the engine's errors for the failing row.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_execute_batch_encoded(struct keel_stmt *stmt,
                                            int32_t format,
                                            const uint8_t *data,
                                            size_t len,
                                            struct keel_exec_result *result_out,
                                            struct keel_error **err_out);

/**
 * Bind one row of encoded parameters and run the statement into a cursor
 * handle: `keel_stmt_query_reuse` with the parameters in the encoded form
 * of `keel_stmt_execute_batch_encoded`, for callers that can serialize
 * values faster than they can fill `keel_value`s (Python's ctypes, on
 * point queries).
 *
 * `params` is one row in the format of `keel_stmt_execute_batch_encoded`
 * (a pickle or marshal stream of a list holding one tuple or list of
 * `keel_stmt_param_count(stmt)` values). `params_len` 0 binds
 * nothing: the statement runs with the bindings it has (none needed for
 * a statement without parameters). `*rows_inout` is as at
 * `keel_stmt_query_reuse`: a cursor to reuse, or NULL.
 *
 * Ownership: borrows `stmt`; `params` is read during the call only.
 * Takes back `*rows_inout` when it is not NULL. On success
 * `*rows_inout` receives a cursor, freed with `keel_rows_free`; on
 * failure it is set to NULL (the cursor passed in is freed all the
 * same), and the statement's bindings are unspecified: bind again
 * before running it.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, rows_inout, params when
 * params_len > 0), `KEEL_STATUS_INVALID_ARGUMENT` (unknown format, a
 * malformed stream, a stream of no row or of more than one, a row of the
 * wrong length, an integer beyond 64 bits with SQLSTATE 22003), and
 * engine errors.
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_query_encoded(struct keel_stmt *stmt,
                                    int32_t format,
                                    const uint8_t *params,
                                    size_t params_len,
                                    struct keel_rows **rows_inout,
                                    struct keel_error **err_out);

/**
 * Run a statement as `keel_stmt_query_encoded` does and, in the same
 * call, take its first row encoded where the cursor holds that row
 * already: a point query (execute, then fetch one row) in one call
 * instead of two, for callers whose calls cost much (Python's ctypes).
 *
 * On SQLite, running a query steps onto its first row, so the cursor
 * holds it. When that row, encoded in `format` as `keel_rows_fetch_batch`
 * writes a batch of one row, fits in `buf_cap` bytes, it is written to `buf`,
 * `*n_rows_out` is 1 and `*len_out` its length. The cursor does not
 * move: `keel_rows_next`, `keel_rows_fetch_batch` and
 * `keel_rows_export_arrow` still start at that row. SQLite is then
 * stepped past it, so that a result of one row releases its read lock
 * now, as it would at the end of a fetch; `*end_out` is true when the
 * result is known to hold that row alone. An engine error of that step
 * is reported by the read that reaches it.
 *
 * `*n_rows_out` 0 and `*end_out` true: the result has no rows.
 * `*n_rows_out` 0 and `*end_out` false: nothing was taken; read the
 * cursor as after `keel_stmt_query_encoded`. That is so on the other
 * engines, whose first row is read when it is fetched; for a row that
 * does not fit in `buf_cap` bytes (`*len_out` is then the size it
 * needs); and for a row that cannot be encoded, or a result `format`
 * cannot carry, whose error `keel_rows_fetch_batch` reports. `format`
 * is that of `params` and of the row.
 *
 * Ownership: as `keel_stmt_query_encoded` (`*rows_inout` is taken back
 * and set to the new cursor, or to NULL on failure). `buf` is the
 * caller's, written during the call only; it may be NULL when
 * `buf_cap` is 0.
 *
 * Errors: as `keel_stmt_query_encoded`, and `KEEL_STATUS_NULL_ARGUMENT`
 * when `len_out` or `n_rows_out` is NULL, or `buf` is NULL with
 * `buf_cap` > 0 (`end_out` may be NULL); the statement does not run
 * then.
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_query_encoded_peek(struct keel_stmt *stmt,
                                         int32_t format,
                                         const uint8_t *params,
                                         size_t params_len,
                                         struct keel_rows **rows_inout,
                                         uint8_t *buf,
                                         size_t buf_cap,
                                         size_t *len_out,
                                         size_t *n_rows_out,
                                         bool *end_out,
                                         struct keel_error **err_out);

/**
 * Make a cancel handle for a connection.
 *
 * Take it before running the statement you may want to stop, and hand it
 * to the thread that will stop it. It belongs to this checkout: once the
 * connection goes back to its pool (`keel_conn_free`, or the last
 * statement or cursor made from it freed), `keel_cancel_request` on it
 * does nothing, so it can never stop a statement of the connection's next
 * borrower. Take a new one after each checkout. Taking one needs no I/O
 * and works while a cursor is open.
 *
 * Ownership: borrows `conn`. On success `*cancel_out` receives a new
 * `keel_cancel`, freed with `keel_cancel_free`; it may outlive `conn`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, cancel_out),
 * `KEEL_STATUS_INVALID_STATE` (the handle `conn` was poisoned).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_cancel_handle(struct keel_conn *conn,
                                    struct keel_cancel **cancel_out,
                                    struct keel_error **err_out);

/**
 * Ask the engine to stop the statement the connection is running.
 *
 * The blocked call on the connection's thread then returns
 * `KEEL_STATUS_CANCELLED`, and the connection stays usable. A query on
 * PostgreSQL or MySQL/MariaDB (`keel_conn_query`, `keel_stmt_query`) may
 * return its cursor first, as the server reports the cancel along with
 * the rows: then the first `keel_rows_next` (or fetch) returns
 * `KEEL_STATUS_CANCELLED`. A statement
 * the server finished before the cancel stopped it returns what it
 * returned: it ran. One exception: on MySQL/MariaDB a statement with
 * rows that the server finished while a cancel was asked for reports
 * `KEEL_STATUS_CANCELLED` (MySQL's `SLEEP()` ends early instead of
 * failing when its query is killed, so keel cannot tell); a statement
 * without rows (an INSERT, UPDATE, DDL) reports its success. When no
 * statement is running, nothing happens, and nothing happens either once
 * the connection the handle was made for has gone back to its pool. The
 * request is asynchronous on the server side: this returns once it was
 * delivered, possibly before the statement has stopped.
 *
 * A cancel that reaches the server just after the statement finished can
 * stop the connection's next statement instead: PostgreSQL's cancel
 * request and MySQL's `KILL QUERY` act on whatever the session runs when
 * they arrive (libpq's `PQcancel` has the same race). keel waits for the
 * request to be delivered before the connection can go back to the pool,
 * so the race stays within the checkout that asked for it.
 *
 * SQL Server: the client library cannot be used from a second thread, so
 * this only marks the request and wakes the blocked call, which sends an
 * attention (TDS's cancel) on its own connection and reads up to the
 * server's acknowledgement; it then returns `KEEL_STATUS_CANCELLED` and
 * the connection stays usable (an open transaction stays open). A cancel
 * made between two `keel_rows_next` calls takes effect at the next one.
 * Two cases close the connection instead (the call still returns
 * `KEEL_STATUS_CANCELLED`, and the pool discards the connection): no
 * acknowledgement within 5 seconds, and a cancel that arrives while part
 * of a row has been received. A statement that finished just as the
 * cancel came also reports `KEEL_STATUS_CANCELLED`, though it ran.
 *
 * Ownership: borrows `cancel`; callable from any thread.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (cancel), `KEEL_STATUS_INVALID_STATE`
 * (a handle inherited across fork()), `KEEL_STATUS_IO` (the
 * request could not be delivered, e.g. the server is gone),
 * `KEEL_STATUS_TIMEOUT` (the server did not answer the request in
 * time; the statement may still run).
 *
 * Since: 0.1.0
 */
keel_status keel_cancel_request(struct keel_cancel *cancel, struct keel_error **err_out);

/**
 * Free a cancel handle.
 *
 * Ownership: takes back `cancel`; NULL is a no-op.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
void keel_cancel_free(struct keel_cancel *cancel);

/**
 * List the catalogs: one column, `catalog_name` (text). SQLite: its
 * databases (`main`, `temp` when used, attached ones); PostgreSQL: the
 * connection's database (a connection sees one); MySQL/MariaDB: no rows
 * (a database is a schema there); SQL Server: the server's databases
 * (`sys.databases`; every other call sees the connection's database
 * only); a driver loaded at run time: what its
 * `catalog_queries` (keel_driver.h) answer, `KEEL_STATUS_NOT_IMPLEMENTED`
 * for a question it has none for (DuckDB's driver answers every one:
 * its databases are the catalogs, its schemas the schemas).
 *
 * The catalog calls (`keel_conn_catalogs`, `keel_conn_schemas`,
 * `keel_conn_tables`, `keel_conn_columns`, `keel_conn_primary_keys`,
 * `keel_conn_foreign_keys`, `keel_conn_indexes`,
 * `keel_conn_unique_constraints`, `keel_conn_check_constraints`) share
 * these rules:
 * - The answer is an ordinary cursor: read it with `keel_rows_next` and the
 *   `keel_rows_column_*` calls, by index or by name
 *   (`keel_rows_column_index`). Its columns are those the call lists, in
 *   that order, on every engine. Integer columns read with
 *   `keel_rows_column_int64`; flags (`is_*`) are 0 or 1; a column an
 *   engine does not record is NULL (each call says which).
 * - Patterns (`*_pattern` arguments) take `%` (any run of characters) and
 *   `_` (any one character), with `\` before either to mean it literally
 *   (`"order\_items"`), and compare with case. NULL matches everything.
 *   Exact names (`table`, `schema` of the key, index and constraint
 *   calls) compare as written, with case. A `catalog` argument is an exact
 *   name or NULL (every catalog; on PostgreSQL the connection's database).
 * - Where things live: SQLite's databases are catalogs and it has no
 *   schemas (the schema column is NULL; a schema argument is not used);
 *   PostgreSQL has one catalog, the database, and its schemas;
 *   MySQL/MariaDB's databases are schemas and it has no catalogs (the
 *   catalog column is NULL; a catalog argument matches nothing); SQL
 *   Server's databases are catalogs, and every call but this one sees
 *   the connection's database (its `INFORMATION_SCHEMA`) only.
 * - Each call runs one query on the engine (SQLite's index list and CHECK
 *   constraints run two), never one per table; like `keel_conn_query`,
 *   the cursor holds the connection's one result (see
 *   `KEEL_CAPABILITY_SEVERAL_CURSORS`).
 *
 * Ownership: on success `*rows_out` receives a new `keel_rows`, freed with
 * `keel_rows_free`; the string arguments are borrowed for the call.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, rows_out, a required name),
 * `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, an empty table name, an
 * unknown table type), `KEEL_STATUS_NOT_IMPLEMENTED` (a loaded driver
 * without that question in its `catalog_queries`), and the engine's
 * errors.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_catalogs(struct keel_conn *conn,
                               struct keel_rows **rows_out,
                               struct keel_error **err_out);

/**
 * List the schemas whose name matches `schema_pattern` (NULL: all):
 * columns `catalog_name`, `schema_name` (text). SQLite: no rows;
 * MySQL/MariaDB: its databases (catalog NULL). The rules of
 * `keel_conn_catalogs` apply.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_schemas(struct keel_conn *conn,
                              const char *catalog,
                              const char *schema_pattern,
                              struct keel_rows **rows_out,
                              struct keel_error **err_out);

/**
 * List tables and views, ordered by type, catalog, schema and name.
 *
 * `table_types`: NULL for every type, or a comma-separated list of
 * `TABLE`, `VIEW`, `MATERIALIZED VIEW`, `FOREIGN TABLE`, `TEMPORARY`,
 * `SYSTEM TABLE` (e.g. `"TABLE,VIEW"`); another word is
 * `KEEL_STATUS_INVALID_ARGUMENT`.
 *
 * Columns:
 * - `table_catalog`, `table_schema`, `table_name` (text; see the rules of
 *   `keel_conn_catalogs` for which are NULL where);
 * - `table_type` (text, one of the types above): a temporary table or view
 *   is `TEMPORARY`; the engine's own tables (`sqlite_*`, `pg_catalog`,
 *   `information_schema`, MySQL's `mysql`, `sys`, `performance_schema`)
 *   are `SYSTEM TABLE`; SQL Server lists neither (its temporary tables
 *   live in tempdb, its system tables are not in `INFORMATION_SCHEMA`),
 *   and MySQL/MariaDB list no temporary table (`information_schema`
 *   does not show them; the same goes for the other catalog calls);
 * - `remarks` (text): the table's comment (PostgreSQL `COMMENT ON`, MySQL
 *   `COMMENT`); NULL when there is none, always on SQLite and SQL Server
 *   (whose comments are extended properties, not read).
 *
 * The rules of `keel_conn_catalogs` apply.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_tables(struct keel_conn *conn,
                             const char *catalog,
                             const char *schema_pattern,
                             const char *table_pattern,
                             const char *table_types,
                             struct keel_rows **rows_out,
                             struct keel_error **err_out);

/**
 * List the columns of the tables and views that match, ordered by
 * schema, table and position.
 *
 * Columns:
 * - `table_catalog`, `table_schema`, `table_name`, `column_name` (text);
 * - `ordinal_position` (int64): the column's position, from 1;
 * - `keel_type` (int64): the `keel_type` a value of the column reads as
 *   (`KEEL_TYPE_DECIMAL` for `NUMERIC(10,2)`); 0 (`KEEL_TYPE_NULL`) on
 *   SQLite for a column declared without a type, whose values each carry
 *   their own;
 * - `type_name` (text): the engine's own type, as its DDL writes it
 *   (`numeric(10,2)`, `varchar(20)`, `DECIMAL(10,2)`);
 * - `is_nullable` (int64, 0 or 1): 0 when the column cannot hold NULL
 *   (NOT NULL, a primary key column on the servers, SQLite's INTEGER
 *   PRIMARY KEY);
 * - `column_default` (text): the default as an SQL expression, as the
 *   engine prints it (`'x'::character varying`, `'x'`); NULL when none;
 * - `char_max_length` (int64): the declared length of CHAR/VARCHAR
 *   columns; NULL for other types, and always on SQLite (which keeps the
 *   length only in `type_name`);
 * - `numeric_precision`, `numeric_scale` (int64): of DECIMAL/NUMERIC
 *   columns declared with them; NULL otherwise, and always on SQLite;
 * - `is_autoincrement` (int64, 0 or 1): the engine numbers the column
 *   itself (identity, serial, AUTO_INCREMENT, SQLite's INTEGER PRIMARY KEY);
 * - `is_generated` (int64, 0 or 1): a generated (computed) column;
 * - `remarks` (text): the column's comment; NULL when none, always on
 *   SQLite and SQL Server.
 *
 * The rules of `keel_conn_catalogs` apply.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_columns(struct keel_conn *conn,
                              const char *catalog,
                              const char *schema_pattern,
                              const char *table_pattern,
                              const char *column_pattern,
                              struct keel_rows **rows_out,
                              struct keel_error **err_out);

/**
 * List the primary key of the table named `table` (exactly, with case)
 * in `schema` (NULL: any schema), in key order.
 *
 * Columns: `table_catalog`, `table_schema`, `table_name`, `column_name`
 * (text), `key_seq` (int64, the column's place in the key, from 1),
 * `pk_name` (text, the constraint's name; NULL on SQLite, which does not
 * report it). No rows for a table without a primary key, or none of that
 * name. On SQLite a rowid table's INTEGER PRIMARY KEY is listed here but
 * has no index in `keel_conn_indexes`.
 *
 * The rules of `keel_conn_catalogs` apply.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_primary_keys(struct keel_conn *conn,
                                   const char *catalog,
                                   const char *schema,
                                   const char *table,
                                   struct keel_rows **rows_out,
                                   struct keel_error **err_out);

/**
 * List foreign keys of the table named `table` (exactly, with case).
 * `direction` is a `keel_foreign_keys`: `KEEL_FOREIGN_KEYS_IMPORTED` for
 * the keys the table holds, `KEEL_FOREIGN_KEYS_EXPORTED` for those that
 * reference it. A row per column pair, ordered by the referencing table,
 * the constraint and `key_seq`.
 *
 * Columns:
 * - `fk_catalog`, `fk_schema`, `fk_table`, `fk_column` (text): the
 *   referencing side;
 * - `pk_catalog`, `pk_schema`, `pk_table`, `pk_column` (text): the
 *   referenced side (on SQLite `pk_table` as the REFERENCES clause spells
 *   it);
 * - `key_seq` (int64): the pair's place in the key, from 1;
 * - `update_rule`, `delete_rule` (text): `NO ACTION`, `RESTRICT`,
 *   `CASCADE`, `SET NULL` or `SET DEFAULT` (MariaDB reports a rule the
 *   DDL left out as `RESTRICT`, the others as `NO ACTION`);
 * - `fk_name` (text): the constraint's name; NULL on SQLite;
 * - `pk_name` (text): the name of the referenced primary key or unique
 *   constraint; NULL on SQLite;
 * - `deferrability` (text): `NOT DEFERRABLE`, `INITIALLY DEFERRED` or
 *   `INITIALLY IMMEDIATE`; always `NOT DEFERRABLE` on MySQL/MariaDB and
 *   SQL Server, NULL on SQLite (which does not report it).
 *
 * The rules of `keel_conn_catalogs` apply.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`, plus `KEEL_STATUS_INVALID_ARGUMENT`
 * for a `direction` that is not a `keel_foreign_keys`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_foreign_keys(struct keel_conn *conn,
                                   const char *catalog,
                                   const char *schema,
                                   const char *table,
                                   int32_t direction,
                                   struct keel_rows **rows_out,
                                   struct keel_error **err_out);

/**
 * List the indexes of the table named `table` (exactly, with case), a
 * row per key column, ordered by index name and position.
 *
 * Columns:
 * - `table_catalog`, `table_schema`, `table_name`, `index_name` (text);
 * - `is_unique`, `is_primary` (int64, 0 or 1): a unique index; the index
 *   of the primary key;
 * - `ordinal_position` (int64): the column's place in the index, from 1;
 * - `column_name` (text): NULL for an expression;
 * - `is_descending` (int64, 0 or 1);
 * - `filter` (text): a partial index's condition (SQLite, PostgreSQL, SQL
 *   Server's filtered indexes); NULL for a full index, always on
 *   MySQL/MariaDB, which have none.
 *
 * The rules of `keel_conn_catalogs` apply.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_indexes(struct keel_conn *conn,
                              const char *catalog,
                              const char *schema,
                              const char *table,
                              struct keel_rows **rows_out,
                              struct keel_error **err_out);

/**
 * List the UNIQUE constraints of the table named `table` (exactly, with
 * case), a row per key column, ordered by constraint name and `key_seq`.
 * The primary key is not listed here (see `keel_conn_primary_keys`); nor,
 * on PostgreSQL, SQLite and SQL Server, is a unique index made with
 * CREATE UNIQUE INDEX rather than a constraint (see `keel_conn_indexes`).
 * On MySQL/MariaDB a unique index is the constraint and is listed.
 *
 * Columns:
 * - `table_catalog`, `table_schema`, `table_name` (text);
 * - `constraint_name` (text): the constraint's name; on SQLite, which
 *   keeps no constraint names, the name of the index it made for the
 *   constraint (`sqlite_autoindex_<table>_<n>`);
 * - `key_seq` (int64): the column's place in the constraint, from 1;
 * - `column_name` (text).
 *
 * The rules of `keel_conn_catalogs` apply.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_unique_constraints(struct keel_conn *conn,
                                         const char *catalog,
                                         const char *schema,
                                         const char *table,
                                         struct keel_rows **rows_out,
                                         struct keel_error **err_out);

/**
 * List the CHECK constraints of the table named `table` (exactly, with
 * case), a row per constraint, ordered by constraint name (on SQLite, in
 * the order the CREATE TABLE writes them).
 *
 * Columns:
 * - `table_catalog`, `table_schema`, `table_name` (text);
 * - `constraint_name` (text): the constraint's name. PostgreSQL names
 *   every constraint (`<table>_<column>_check` when the DDL did not), SQL
 *   Server too (`CK__<table>__<column>__<hex>`); MariaDB names a column's
 *   CHECK after the column; on SQLite NULL unless the DDL wrote
 *   `CONSTRAINT name`;
 * - `check_clause` (text): the condition, without `CHECK`, as the engine
 *   prints it: PostgreSQL, SQL Server and MySQL/MariaDB write it in their
 *   own normal form (`(qty > (0)::numeric)`, `([qty]>(0))`,
 *   `` `qty` > 0 ``); SQLite gives the text inside the parentheses of its
 *   CREATE TABLE, which keel reads for it.
 *
 * A NOT NULL is not listed here (it is `is_nullable` in
 * `keel_conn_columns`). MariaDB's JSON columns carry a CHECK of their own
 * (`json_valid(...)`), listed like any other.
 *
 * The rules of `keel_conn_catalogs` apply; on SQLite the call runs two
 * queries and reads each matching table's CREATE TABLE text.
 *
 * Ownership: as `keel_conn_catalogs`.
 *
 * Errors: as `keel_conn_catalogs`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_check_constraints(struct keel_conn *conn,
                                        const char *catalog,
                                        const char *schema,
                                        const char *table,
                                        struct keel_rows **rows_out,
                                        struct keel_error **err_out);

/**
 * Return a connection to its pool (the same call as `keel_conn_return`).
 *
 * A transaction still open on the server is rolled back first, whether
 * `keel_conn_begin` or SQL (`BEGIN`, `START TRANSACTION`) opened it; a
 * connection that cannot be rolled back, or that broke, is closed
 * instead. Cancel handles taken from it stop working (see
 * `keel_conn_cancel_handle`). Statements and cursors made from it stay
 * valid and keep it checked out until they are freed too; it goes back to
 * the pool when the last of them is freed. A connection inherited across
 * fork() is neither rolled back nor returned: freeing it in the child only
 * releases the handle, and the parent's session is untouched.
 *
 * Ownership: takes back `conn`; NULL is a no-op.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
void keel_conn_free(struct keel_conn *conn);

/**
 * Return a connection to its pool: `keel_conn_free` under the name that
 * says what it does in a pooled API. Everything said there holds.
 *
 * Ownership: takes back `conn`; NULL is a no-op.
 *
 * Errors: none.
 *
 * Since: 0.2.0
 */
void keel_conn_return(struct keel_conn *conn);

/**
 * Close a connection's session instead of returning it to the pool, and
 * free the handle.
 *
 * For a session whose state you changed (`SET search_path`, temporary
 * tables) or no longer trust. The pool opens a new session when it needs
 * one. Statements and cursors made from `conn` stay usable until they are
 * freed; the session closes when the last of them goes. An open
 * transaction is never committed: closing the session ends it without
 * effect.
 *
 * Ownership: takes back `conn` in every case but one (see Errors); NULL
 * is a no-op that returns `KEEL_STATUS_OK`.
 *
 * Errors: `KEEL_STATUS_INVALID_STATE` (the handle was poisoned by an
 * earlier panic; it is still freed and its session closed; or, against
 * the thread rule, another thread's call is running on it: then it is
 * left to that call, neither closed nor freed).
 *
 * Since: 0.2.0
 */
keel_status keel_conn_close(struct keel_conn *conn, struct keel_error **err_out);

/**
 * Run one statement, discarding any rows.
 *
 * Prepares `sql` (exactly one statement), binds `params[0..n_params]` to
 * its placeholders (the count must match) and runs it. The statement
 * comes from, and goes back to, the connection's statement cache (see
 * the preamble). While a cursor is open on the connection, this fails
 * with `KEEL_STATUS_INVALID_STATE` on engines without
 * `KEEL_CAPABILITY_SEVERAL_CURSORS` (PostgreSQL, MySQL, SQL Server; see
 * `keel_conn_query` and `keel_conn_supports`).
 *
 * Ownership: `sql` and `params` are borrowed for the call. `result_out`
 * may be NULL; otherwise it receives the rows affected and last insert id.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, sql, params when n_params >
 * 0), `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, more than one
 * statement, wrong parameter count, a value the engine cannot hold),
 * `KEEL_STATUS_INTEGRITY` (constraint violated, SQLSTATE class 23),
 * `KEEL_STATUS_BUSY` (locked; retry), `KEEL_STATUS_NOT_IMPLEMENTED`
 * (PostgreSQL's `COPY ... FROM STDIN` and `COPY ... TO STDOUT`, which run
 * in the protocol's copy mode: refused before anything is sent, as by
 * `keel_conn_prepare`), and other engine errors.
 *
 * Since: 0.1.0
 */
keel_status keel_conn_exec(struct keel_conn *conn,
                           const char *sql,
                           const struct keel_value *params,
                           size_t n_params,
                           struct keel_exec_result *result_out,
                           struct keel_error **err_out);

/**
 * Run one statement given as (pointer, length), discarding any rows.
 *
 * As `keel_conn_exec`, with `sql` the `sql_len` bytes at `sql`, which need
 * no NUL terminator and must hold no NUL byte: SQL with one is refused
 * (`KEEL_STATUS_INVALID_ARGUMENT`, nothing run), never cut short at it.
 *
 * Ownership: `sql` and `params` are borrowed for the call. `result_out`
 * may be NULL.
 *
 * Errors: as `keel_conn_exec`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
 * byte in the SQL).
 *
 * Since: 0.2.0
 */
keel_status keel_conn_exec_len(struct keel_conn *conn,
                               const char *sql,
                               size_t sql_len,
                               const struct keel_value *params,
                               size_t n_params,
                               struct keel_exec_result *result_out,
                               struct keel_error **err_out);

/**
 * Run a query and return a streaming cursor over its rows.
 *
 * As `keel_conn_exec`; rows are read one at a time with `keel_rows_next`.
 * One cursor or several: where the connection has
 * `KEEL_CAPABILITY_SEVERAL_CURSORS` (SQLite), several cursors may be open
 * on it at once and other statements run between their reads. Where it
 * has not (PostgreSQL, MySQL/MariaDB and SQL Server), the connection
 * carries one result at a time: while this cursor is open (not read to
 * its end and not freed), every other statement on the connection fails
 * with `KEEL_STATUS_INVALID_STATE`. Read the cursor to its end or free it
 * first, or use another connection. `keel_conn_supports` tells which.
 *
 * Ownership: `sql` and `params` are borrowed for the call. On success
 * `*rows_out` receives a new `keel_rows`, freed with `keel_rows_free`.
 *
 * Errors: as `keel_conn_exec`, plus `KEEL_STATUS_NULL_ARGUMENT` (rows_out).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_query(struct keel_conn *conn,
                            const char *sql,
                            const struct keel_value *params,
                            size_t n_params,
                            struct keel_rows **rows_out,
                            struct keel_error **err_out);

/**
 * Run a query given as (pointer, length) and return a streaming cursor.
 *
 * As `keel_conn_query`, with the SQL rules of `keel_conn_exec_len`.
 *
 * Ownership: `sql` and `params` are borrowed for the call. On success
 * `*rows_out` receives a new `keel_rows`, freed with `keel_rows_free`.
 *
 * Errors: as `keel_conn_query`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
 * byte in the SQL).
 *
 * Since: 0.2.0
 */
keel_status keel_conn_query_len(struct keel_conn *conn,
                                const char *sql,
                                size_t sql_len,
                                const struct keel_value *params,
                                size_t n_params,
                                struct keel_rows **rows_out,
                                struct keel_error **err_out);

/**
 * Prepare one statement for repeated execution.
 *
 * Placeholders are `?` (and SQLite's `?NNN`, `:name`, `@name`, `$name`),
 * bound by 0-based index. More than one statement in `sql` is an error.
 *
 * Ownership: `sql` is borrowed for the call. On success `*stmt_out`
 * receives a new `keel_stmt`, freed with `keel_stmt_free`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, sql, stmt_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, syntax error with
 * SQLSTATE class 42, more than one statement, no statement),
 * `KEEL_STATUS_NOT_IMPLEMENTED` (PostgreSQL's `COPY ... FROM STDIN` and
 * `COPY ... TO STDOUT`: refused before anything is sent; load rows with
 * `keel_conn_ingest`, read them with a query).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_prepare(struct keel_conn *conn,
                              const char *sql,
                              struct keel_stmt **stmt_out,
                              struct keel_error **err_out);

/**
 * Prepare one statement given as (pointer, length).
 *
 * As `keel_conn_prepare`, with the SQL rules of `keel_conn_exec_len`.
 *
 * Ownership: `sql` is borrowed for the call. On success `*stmt_out`
 * receives a new `keel_stmt`, freed with `keel_stmt_free`.
 *
 * Errors: as `keel_conn_prepare`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a
 * NUL byte in the SQL).
 *
 * Since: 0.2.0
 */
keel_status keel_conn_prepare_len(struct keel_conn *conn,
                                  const char *sql,
                                  size_t sql_len,
                                  struct keel_stmt **stmt_out,
                                  struct keel_error **err_out);

/**
 * Take a prepared statement for `sql` (given as (pointer, length)) from
 * the connection's statement cache, the one `keel_conn_exec` and
 * `keel_conn_query` use, or prepare it when the cache has none.
 *
 * For a binding that binds, runs and describes statements itself (a
 * DB-API cursor) yet wants the one statement cache: `keel_stmt_free`
 * puts the statement back into the cache, for the next caller of the
 * same SQL, instead of closing it. Until then it is the caller's alone;
 * another caller of the same SQL meanwhile gets a statement of its own.
 * It works as one from `keel_conn_prepare_len` (its bindings, its cursor,
 * its `keel_stmt_column_*`), except that a statement from the cache that
 * the engine refuses because the schema changed under it is prepared
 * again and run once more, as for `keel_conn_exec` (inside a PostgreSQL
 * transaction, which that error aborts, the error says to roll back, and
 * the next run prepares it again). Hits and misses count in
 * `keel_db_stats`. With `stmt_cache_size=0` it is `keel_conn_prepare_len`.
 * The SQL rules are those of `keel_conn_exec_len`.
 *
 * Ownership: `sql` is borrowed for the call. On success `*stmt_out`
 * receives a `keel_stmt` that the caller frees with `keel_stmt_free`
 * (which returns it to the cache).
 *
 * Errors: as `keel_conn_prepare_len`.
 *
 * Since: 0.2.0
 */
keel_status keel_conn_prepare_cached(struct keel_conn *conn,
                                     const char *sql,
                                     size_t sql_len,
                                     struct keel_stmt **stmt_out,
                                     struct keel_error **err_out);

/**
 * Begin a transaction.
 *
 * A transaction already open on the connection, whether keel or SQL began
 * it, is an error (use a savepoint to nest). `options` may be NULL for
 * the defaults. SQLite gives every isolation
 * level as SERIALIZABLE, uses `options->lock` for DEFERRED, IMMEDIATE or
 * EXCLUSIVE, and makes a read-only transaction with `PRAGMA query_only`.
 *
 * Ownership: borrows `conn` and `options` for the call.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_INVALID_ARGUMENT`
 * (an unknown isolation or lock value), `KEEL_STATUS_INVALID_STATE` (a
 * transaction is already open), `KEEL_STATUS_BUSY`.
 *
 * Since: 0.1.0
 */
keel_status keel_conn_begin(struct keel_conn *conn,
                            const struct keel_tx_options *options,
                            struct keel_error **err_out);

/**
 * Commit the open transaction.
 *
 * When this returns, the transaction is over, committed or not (as Go's
 * `Tx.Commit` and psycopg's `commit` leave it): when the commit fails and
 * the engine kept the transaction open (SQLite does after
 * `KEEL_STATUS_BUSY` and a deferred foreign key violation; PostgreSQL,
 * MySQL and SQL Server end it themselves), keel rolls it back and returns
 * the commit's error, whose message ends by saying so. To retry a busy
 * commit, run the whole transaction again. `keel_conn_in_transaction` is
 * false afterwards, unless rolling back failed too (the message says so;
 * the connection is then closed when returned to the pool).
 *
 * Ownership: borrows `conn`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_INVALID_STATE`
 * (no transaction is open), `KEEL_STATUS_BUSY`, `KEEL_STATUS_INTEGRITY`
 * (deferred constraints), each with the transaction rolled back.
 *
 * Since: 0.1.0
 */
keel_status keel_conn_commit(struct keel_conn *conn, struct keel_error **err_out);

/**
 * Roll back the open transaction.
 *
 * Ownership: borrows `conn`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_INVALID_STATE`
 * (no transaction is open).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_rollback(struct keel_conn *conn, struct keel_error **err_out);

/**
 * Set a savepoint named `name` (letters, digits and `_`, not starting with
 * a digit). On SQLite, a savepoint outside a transaction starts one; on
 * the other engines one is needed (PostgreSQL and MySQL/MariaDB refuse a
 * savepoint outside a transaction with `KEEL_STATUS_INVALID_STATE`; MySQL
 * would otherwise take it and keep nothing).
 *
 * Ownership: `name` is borrowed for the call.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, name),
 * `KEEL_STATUS_INVALID_ARGUMENT` (not a plain identifier),
 * `KEEL_STATUS_INVALID_STATE` (no transaction is open, but on SQLite).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_savepoint(struct keel_conn *conn,
                                const char *name,
                                struct keel_error **err_out);

/**
 * Release (forget) the savepoint `name` and every later one, keeping
 * their changes in the transaction. The same call as
 * `keel_conn_savepoint_release`, whose name says more.
 *
 * Ownership: `name` is borrowed for the call.
 *
 * Errors: as `keel_conn_savepoint_release`.
 *
 * Since: 0.1.0
 */
keel_status keel_conn_release(struct keel_conn *conn,
                              const char *name,
                              struct keel_error **err_out);

/**
 * Release (forget) the savepoint `name` and every later one, keeping
 * their changes in the transaction.
 *
 * SQL Server cannot release a savepoint: there keel stops accepting the
 * name (rolling back to it is then an error, as elsewhere) and the server
 * keeps it until the transaction ends.
 *
 * Ownership: `name` is borrowed for the call.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, name),
 * `KEEL_STATUS_INVALID_ARGUMENT` (not a plain identifier; or no savepoint
 * of that name is set, SQLSTATE 3B001, on every engine. PostgreSQL also
 * aborts the transaction over that error: roll back, or roll back to an
 * earlier savepoint, before going on).
 *
 * Since: 0.2.0
 */
keel_status keel_conn_savepoint_release(struct keel_conn *conn,
                                        const char *name,
                                        struct keel_error **err_out);

/**
 * Undo everything since the savepoint `name`, which stays set.
 *
 * Ownership: `name` is borrowed for the call.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, name),
 * `KEEL_STATUS_INVALID_ARGUMENT` (not a plain identifier; or no savepoint
 * of that name is set, SQLSTATE 3B001, on every engine; PostgreSQL also
 * aborts the transaction over it: roll back, or roll back to an earlier
 * savepoint).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_rollback_to(struct keel_conn *conn,
                                  const char *name,
                                  struct keel_error **err_out);

/**
 * Check that the connection still works (a round trip to the server; a
 * trivial statement on SQLite).
 *
 * Ownership: borrows `conn`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn), `KEEL_STATUS_IO` (connection
 * lost).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_ping(struct keel_conn *conn, struct keel_error **err_out);

/**
 * Return whether a transaction is open on the connection, as the server
 * sees it: opened by `keel_conn_begin` or by SQL (`BEGIN`, `START
 * TRANSACTION`, or a statement under MySQL's `autocommit = 0`), and not
 * yet ended by either. keel follows the server's own report (PostgreSQL's
 * transaction status, MySQL's session state tracking, SQLite's autocommit
 * flag); on SQL Server it asks the server (`@@TRANCOUNT`, one round trip)
 * when a statement ran since keel last knew. While a cursor is open on a
 * PostgreSQL, MySQL or SQL Server connection the answer is the state
 * before its query. A failed transaction (PostgreSQL, after an error) is
 * still open until rolled back.
 *
 * Ownership: borrows `conn`.
 *
 * Errors: returns false when `conn` is NULL; true when the connection
 * cannot tell (its session broke, or another call is running on the
 * handle: a callback of `keel_conn_ingest`, or another thread against the
 * thread rule), so that returning it is safe.
 *
 * Since: 0.1.0
 */
bool keel_conn_in_transaction(const struct keel_conn *conn);

/**
 * Return the SQL dialect of the connection's engine.
 *
 * Ownership: borrows `conn`.
 *
 * Errors: returns `KEEL_DIALECT_UNKNOWN` when `conn` is NULL.
 *
 * Since: 0.1.0
 */
keel_dialect keel_conn_dialect(const struct keel_conn *conn);

/**
 * Tell whether the connection has a capability: `capability` is a
 * `keel_capability` value, and `*supported_out` receives the answer.
 *
 * The answer is the engine's: `KEEL_CAPABILITY_SEVERAL_CURSORS` is true
 * on SQLite and false on PostgreSQL, MySQL/MariaDB and SQL Server (see
 * `keel_conn_query`); `KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE` is true on
 * every built-in engine and on a loaded driver that describes statements
 * (keel_driver.h's `stmt_column_count`; keel's DuckDB driver does) (see
 * `keel_stmt_column_count`). A program built
 * against a newer header may ask about a capability this library does
 * not know: that is `KEEL_STATUS_INVALID_ARGUMENT`, to be taken as "not
 * supported".
 *
 * Ownership: borrows `conn`; `supported_out` is written only on success.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, supported_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (not a `keel_capability` this library
 * knows), `KEEL_STATUS_INVALID_STATE` (the connection was inherited
 * across fork()).
 *
 * Since: 0.2.0
 */
keel_status keel_conn_supports(const struct keel_conn *conn,
                               int32_t capability,
                               bool *supported_out,
                               struct keel_error **err_out);

/**
 * Get the engine's version: the server's version string, or the SQLite
 * library version (`"3.45.3"`).
 *
 * Ownership: borrows `conn`; on success `*version_out` points at a string
 * owned by `conn`.
 *
 * Lifetime: valid until `keel_conn_free(conn)`, `keel_conn_return(conn)` or
 * `keel_conn_close(conn)`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, version_out).
 *
 * Since: 0.1.0
 */
keel_status keel_conn_server_version(struct keel_conn *conn,
                                     const char **version_out,
                                     struct keel_error **err_out);

/**
 * Open a pool for a connection URL.
 *
 * URLs, with options in the query string (`?key=value&...`; see URLS AND
 * OPTIONS in this file's preamble for every key; percent-encode `%`, `&`, `=`,
 * `#` and, in user names and passwords, `@`, `/` and `?` are safe too
 * but `%40`, `%2F`, `%3F` always work):
 * - SQLite: `sqlite::memory:` (a database of this pool's own, shared by its
 *   connections, gone when the pool is freed), `sqlite:///abs/path.db`,
 *   `sqlite://relative/path.db` (`sqlite3:` and `file:` too).
 * - PostgreSQL: `postgres://user:password@host:5432/dbname`
 *   (`postgresql://` too); a host starting with `/` (as `%2F...`) is the
 *   directory of the server's Unix socket. TLS by default when the server
 *   offers it, without checking its certificate (`sslmode=prefer`, as
 *   libpq); `sslmode=verify-full` checks chain and host name.
 * - MySQL/MariaDB: `mysql://user:password@host:3306/db` (`mariadb://` too),
 *   always over TCP. TLS by default when the server offers it, unverified
 *   (`ssl_mode=PREFERRED`, as MySQL's client); `ssl_mode=VERIFY_IDENTITY`
 *   with `ssl_ca` checks chain and host name.
 * - SQL Server: `mssql://user:password@host:1433/db` (`sqlserver://`
 *   too). TLS on by default, with the certificate checked against the
 *   system's trust store and the host name (`encrypt=on`); `encrypt=strict`
 *   is TDS 8.0, `encrypt=off` sends everything in the clear.
 *
 * PostgreSQL and MySQL/MariaDB URLs may name several hosts,
 * `h1:5432,h2:5433`, an IPv6 address in brackets (`[::1]:5432`); an
 * empty entry (a stray comma), text after a `]`, or a host with more than
 * one `:` is `KEEL_STATUS_INVALID_ARGUMENT`, as is a server URL without
 * `//` after the scheme (`postgres:u:pw@h/db`; the message does not show
 * the rest). A PostgreSQL URL without a user name connects as `$USER`,
 * else as the process's user (as libpq), and without a database to the
 * one named after the user.
 *
 * An unknown option, one that does not apply to the engine, one given
 * twice, or a text option given empty (`ssl_ca=`; but
 * `application_name` and `search_path`) is an error. One connection is
 * opened at once, so a bad path,
 * host or password fails here rather than at first use; it is kept for
 * the first checkout. Nothing of any statement runs here, so every error
 * says `KEEL_RETRY_SAFETY_NOT_SENT`; no message repeats the password.
 *
 * Ownership: `url` is borrowed for the call. On success `*db_out` receives
 * a new `keel_db` that the caller frees with `keel_db_free`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (url, db_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (bad URL, a NUL byte in any part of it,
 * unknown, repeated or bad option, unreadable certificate file),
 * `KEEL_STATUS_NOT_FOUND` (no driver registered for the scheme; the
 * message lists the schemes there are), `KEEL_STATUS_IO` (cannot open the
 * file or reach the server), `KEEL_STATUS_TIMEOUT`
 * (`connect_timeout_ms`), `KEEL_STATUS_UNAUTHENTICATED` (wrong password,
 * or a server certificate that fails the check), and the engine's errors.
 *
 * Since: 0.1.0
 */
keel_status keel_db_open(const char *url, struct keel_db **db_out, struct keel_error **err_out);

/**
 * Open a pool for a connection URL, with options given as key/value pairs.
 *
 * As `keel_db_open`; each option is applied as if it were in the URL's
 * query string, after it (so an option here wins over the URL's). Keys are
 * the plain option names of URLS AND OPTIONS in this file's preamble: the
 * pool's and the engine's, each also a `KEEL_OPTION_*` constant
 * (`{KEEL_OPTION_POOL_MAX_OPEN, "16"}`). An unknown key is an error.
 *
 * Ownership: `url` and `options` are borrowed for the call. On success
 * `*db_out` receives a new `keel_db`, freed with `keel_db_free`.
 *
 * Errors: as `keel_db_open`, plus `KEEL_STATUS_NULL_ARGUMENT` (options
 * when n_options > 0, or a NULL key or value in it).
 *
 * Since: 0.1.0
 */
keel_status keel_db_open_options(const char *url,
                                 const struct keel_option *options,
                                 size_t n_options,
                                 struct keel_db **db_out,
                                 struct keel_error **err_out);

/**
 * Get the pool's statistics: connections open, in use and idle, waits
 * for a free connection, and connections closed by reason.
 *
 * In a child of fork(), open, in use and idle count only the child's own
 * connections.
 *
 * Ownership: borrows `db`; `stats_out` is caller memory, written only on
 * success, and only as far as its `size` field says (see
 * `keel_pool_stats`).
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (db, stats_out).
 *
 * Since: 0.1.0
 */
keel_status keel_db_stats(struct keel_db *db,
                          struct keel_pool_stats *stats_out,
                          struct keel_error **err_out);

/**
 * Free a pool.
 *
 * Connections still checked out, and cursors that own one, stay usable and
 * close when they are freed; idle connections close now. In a child of
 * fork(), connections the parent opened are neither closed nor told
 * anything; only the child's own close.
 *
 * Ownership: takes back `db`; NULL is a no-op.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
void keel_db_free(struct keel_db *db);

/**
 * Check a connection out of the pool.
 *
 * Reuses the most recently returned idle connection (pinging it first
 * when it sat idle longer than `pool_health_check_idle_ms`, and closing
 * it instead when it outlived `pool_max_lifetime_ms` or
 * `pool_max_idle_time_ms`, or when a look at its socket shows the server
 * closed it, as after a server restart) or opens a new one. When the pool is at
 * `pool_max_open`, waits in first-come, first-served order for a returned
 * connection, at most `pool_acquire_timeout_ms` (default 30000).
 *
 * Ownership: borrows `db`. On success `*conn_out` receives a new
 * `keel_conn`; `keel_conn_free` returns it to the pool.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (db, conn_out),
 * `KEEL_STATUS_TIMEOUT` (no connection became free in time), and the
 * engine's connect errors.
 *
 * Since: 0.1.0
 */
keel_status keel_db_checkout(struct keel_db *db,
                             struct keel_conn **conn_out,
                             struct keel_error **err_out);

/**
 * Run one statement on a pooled connection, discarding any rows.
 *
 * Checks a connection out, prepares `sql`, binds `params[0..n_params]` to
 * its placeholders (their count must match), runs it, and returns the
 * connection. `sql` must hold exactly one statement. When the connection
 * turns out dead before anything of the statement was sent (the server
 * closed it), it is closed and the statement runs on another, at most
 * twice more; a statement that may have run is never run again (see
 * `keel_error_retry_safety`).
 *
 * Ownership: `sql` and `params` are borrowed for the call. `result_out`
 * may be NULL; otherwise it receives the rows affected and last insert id.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (db, sql, params when n_params > 0),
 * `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, more than one statement,
 * wrong parameter count, a value the column cannot hold),
 * `KEEL_STATUS_TIMEOUT` (no connection became free in time, or
 * `socket_timeout_ms` passed with no answer), and the engine's errors
 * (`KEEL_STATUS_INTEGRITY` for constraint violations, ...).
 *
 * Since: 0.1.0
 */
keel_status keel_db_exec(struct keel_db *db,
                         const char *sql,
                         const struct keel_value *params,
                         size_t n_params,
                         struct keel_exec_result *result_out,
                         struct keel_error **err_out);

/**
 * Run one statement given as (pointer, length) on a pooled connection.
 *
 * As `keel_db_exec`, with `sql` the `sql_len` bytes at `sql`, which need
 * no NUL terminator and must hold no NUL byte: SQL with one is refused
 * (`KEEL_STATUS_INVALID_ARGUMENT`, nothing run), never cut short at it.
 *
 * Ownership: `sql` and `params` are borrowed for the call. `result_out`
 * may be NULL.
 *
 * Errors: as `keel_db_exec`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
 * byte in the SQL).
 *
 * Since: 0.2.0
 */
keel_status keel_db_exec_len(struct keel_db *db,
                             const char *sql,
                             size_t sql_len,
                             const struct keel_value *params,
                             size_t n_params,
                             struct keel_exec_result *result_out,
                             struct keel_error **err_out);

/**
 * Run a query given as (pointer, length) on a pooled connection and
 * return a streaming cursor.
 *
 * As `keel_db_query`, with the SQL rules of `keel_db_exec_len`.
 *
 * Ownership: `sql` and `params` are borrowed for the call. On success
 * `*rows_out` receives a new `keel_rows` that the caller frees with
 * `keel_rows_free`.
 *
 * Errors: as `keel_db_query`, plus `KEEL_STATUS_INVALID_ARGUMENT` (a NUL
 * byte in the SQL).
 *
 * Since: 0.2.0
 */
keel_status keel_db_query_len(struct keel_db *db,
                              const char *sql,
                              size_t sql_len,
                              const struct keel_value *params,
                              size_t n_params,
                              struct keel_rows **rows_out,
                              struct keel_error **err_out);

/**
 * Run a query on a pooled connection and return a streaming cursor.
 *
 * As `keel_db_exec`, but the cursor owns the connection it ran on and
 * returns it to the pool when freed.
 *
 * Ownership: `sql` and `params` are borrowed for the call. On success
 * `*rows_out` receives a new `keel_rows` that the caller frees with
 * `keel_rows_free`.
 *
 * Errors: as `keel_db_exec`, plus `KEEL_STATUS_NULL_ARGUMENT` (rows_out).
 *
 * Since: 0.1.0
 */
keel_status keel_db_query(struct keel_db *db,
                          const char *sql,
                          const struct keel_value *params,
                          size_t n_params,
                          struct keel_rows **rows_out,
                          struct keel_error **err_out);

/**
 * Return the SQL dialect of the pool's engine.
 *
 * Ownership: borrows `db`.
 *
 * Errors: returns `KEEL_DIALECT_UNKNOWN` when `db` is NULL.
 *
 * Since: 0.1.0
 */
keel_dialect keel_db_dialect(const struct keel_db *db);

/**
 * Register a driver written in C, Zig, Odin or another language that
 * fills a `keel_driver_v1` (see `keel_driver.h`), so that `keel_db_open`
 * opens URLs of its schemes, with keel's pool, statement cache, `?`
 * placeholders and batches, in every binding.
 *
 * keel checks the table and copies it with its strings: the driver's
 * functions must stay in memory for the life of the process, the table
 * itself only for this call. A driver cannot be unregistered.
 *
 * Ownership: borrows `driver` for the call.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (driver),
 * `KEEL_STATUS_INVALID_ARGUMENT` (an `abi_version` other than
 * `KEEL_DRIVER_ABI_VERSION`, a `size` smaller than version 1's table, a
 * required function missing (the message names each), a name, scheme or
 * string that is not valid, unknown flag bits),
 * `KEEL_STATUS_ALREADY_EXISTS` (the driver's name or one of its schemes
 * is taken, by a built-in driver or one registered earlier; nothing is
 * registered then).
 *
 * Threads: any thread, at any time; pools opened before keep their
 * drivers.
 *
 * Since: 0.2.0
 */
keel_status keel_driver_register(const struct keel_driver_v1 *driver, struct keel_error **err_out);

/**
 * Load a driver from the shared library at `path` (a path as `dlopen`
 * takes it: with a `/`, a file; without, searched for as `dlopen` does),
 * call its entry point `keel_driver_entry` (see `keel_driver.h`) and
 * register the driver it returns, as `keel_driver_register` does. Once
 * registered, the library stays loaded for the life of the process; a
 * library whose driver is refused is unloaded.
 *
 * Ownership: `path` is borrowed for the call.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (path), `KEEL_STATUS_INVALID_ARGUMENT`
 * (path not UTF-8, the entry point returned NULL, and every refusal of
 * `keel_driver_register`), `KEEL_STATUS_NOT_FOUND` (the library cannot be
 * loaded, with the loader's reason; it exports no `keel_driver_entry`),
 * `KEEL_STATUS_ALREADY_EXISTS` (its name or a scheme is taken).
 *
 * Threads: any thread.
 *
 * Since: 0.2.0
 */
keel_status keel_driver_load(const char *path, struct keel_error **err_out);

/**
 * Free an error object.
 *
 * Ownership: takes back `err`, which the caller received through an
 * `err_out` parameter; NULL is a no-op.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
void keel_error_free(struct keel_error *err);

/**
 * Return the status of an error.
 *
 * Ownership: borrows `err`.
 *
 * Errors: returns `KEEL_STATUS_NULL_ARGUMENT` when `err` is NULL.
 *
 * Since: 0.1.0
 */
keel_status keel_error_status(const struct keel_error *err);

/**
 * Return the error's message: UTF-8 text with context (the start of the
 * SQL, the parameter or column index). Never contains a password.
 *
 * Ownership: borrows `err`; the string belongs to `err`.
 *
 * Lifetime: valid until `keel_error_free(err)`.
 *
 * Errors: returns `""` when `err` is NULL.
 *
 * Since: 0.1.0
 */
const char *keel_error_message(const struct keel_error *err);

/**
 * Return the five-character SQLSTATE, or `""` when there is none.
 * PostgreSQL and MySQL report their own; for SQLite it is derived from the
 * result code.
 *
 * Ownership: borrows `err`; the string belongs to `err`.
 *
 * Lifetime: valid until `keel_error_free(err)`.
 *
 * Errors: returns `""` when `err` is NULL.
 *
 * Since: 0.1.0
 */
const char *keel_error_sqlstate(const struct keel_error *err);

/**
 * Return the engine's own error number: the SQLite extended result code,
 * the MySQL errno, the SQL Server error number; 0 when there is none
 * (always for PostgreSQL, whose own code is the SQLSTATE).
 *
 * Ownership: borrows `err`.
 *
 * Errors: returns 0 when `err` is NULL.
 *
 * Since: 0.1.0
 */
int32_t keel_error_vendor_code(const struct keel_error *err);

/**
 * Return the name of the driver that raised the error (`"sqlite"`), or
 * `"keel"` for errors found by keel itself (bad arguments, bad state).
 *
 * Ownership: borrows `err`; the string belongs to `err`.
 *
 * Lifetime: valid until `keel_error_free(err)`.
 *
 * Errors: returns `""` when `err` is NULL.
 *
 * Since: 0.1.0
 */
const char *keel_error_driver(const struct keel_error *err);

/**
 * Return whether running the failed call again could apply its statement
 * twice.
 *
 * `KEEL_RETRY_SAFETY_NOT_SENT`: nothing of the statement reached the
 * server (no connection could be opened or checked out, an argument was
 * refused before sending, the pooled connection was found dead before
 * use; or only its preparation or a ping was sent), so it did not run and
 * may be run again. `KEEL_RETRY_SAFETY_MAY_HAVE_RUN`: it was sent and the
 * connection failed or timed out (`socket_timeout_ms`) before the answer,
 * so it may have run and even committed; run it again only when that is
 * harmless (idempotent). `KEEL_RETRY_SAFETY_NOT_COMMITTED`: the server
 * answered that the transaction the statement was in did not commit and
 * will not (a deadlock or serialization failure, a Galera certification
 * failure, a write refused by a server that is read-only now, as after a
 * failover): nothing of it took effect, so running the whole transaction
 * again, from its start, cannot apply it twice (`KEEL_STATUS_BUSY` says
 * that trying again may succeed). `KEEL_RETRY_SAFETY_UNKNOWN`: keel
 * cannot say more than the status does; this includes the other errors
 * the server answered with, after which the statement did not take
 * effect.
 * `keel_db_exec` and `keel_db_query` already retry, on another
 * connection, a statement whose pooled connection was found dead before
 * it was sent.
 *
 * Ownership: borrows `err`.
 *
 * Errors: returns `KEEL_RETRY_SAFETY_UNKNOWN` when `err` is NULL.
 *
 * Since: 0.1.0
 */
keel_retry_safety keel_error_retry_safety(const struct keel_error *err);

/**
 * Return static English text for a status, like `sqlite3_errstr`.
 *
 * Ownership: the string is static.
 *
 * Lifetime: valid for the life of the process.
 *
 * Errors: an unknown number gives the text of `KEEL_STATUS_UNKNOWN`.
 *
 * Since: 0.1.0
 */
const char *keel_status_str(int32_t status);

/**
 * Free a cursor. Closing it before the end does not read the rest of the
 * result. A cursor from `keel_db_query` returns its connection to the pool.
 * A cursor inherited across fork() is freed without a word to the server.
 *
 * Ownership: takes back `rows`; NULL is a no-op.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
void keel_rows_free(struct keel_rows *rows);

/**
 * Advance to the next row.
 *
 * `*has_row` is set true when a row is current, false at the end of the
 * result (and on every call after the end).
 *
 * Ownership: borrows `rows`. Values borrowed from the previous row become
 * invalid.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, has_row),
 * `KEEL_STATUS_INVALID_STATE` (its statement was run, bound or cleared
 * again, which closed this cursor: every later call says so, whether or
 * not the cursor had reached its end), engine errors raised while
 * producing the row, and the error of the row a `keel_rows_fetch_batch`
 * stopped at after returning the rows before it (see there): returned
 * once, without moving.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_next(struct keel_rows *rows, bool *has_row, struct keel_error **err_out);

/**
 * Advance to the next row and read its first `count` columns in one call:
 * `keel_rows_next`, then `keel_rows_column_value` for columns 0 to
 * `count - 1` into `values_out[0..count]`. For callers that read every
 * column of many rows, this is one call per row instead of one per value.
 *
 * Ownership: borrows `rows`; `values_out` is caller memory for `count`
 * values and `has_row` caller memory, both written only on success. When
 * there is no further row, `*has_row` is false and `values_out` is not
 * written.
 *
 * Lifetime: the `data` pointers written to `values_out` are valid until
 * the next `keel_rows_next`, `keel_rows_next_values`,
 * `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
 * or clearing the statement the cursor came from closes the cursor but
 * does not end this.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, values_out, has_row),
 * `KEEL_STATUS_INVALID_ARGUMENT` (`count` greater than the column count;
 * checked before the cursor moves), `KEEL_STATUS_INVALID_STATE` (the
 * cursor was closed by re-running its statement), engine errors
 * raised while producing the row, and the error of the row a
 * `keel_rows_fetch_batch` stopped at after returning the rows before it
 * (see there: returned once, without moving). After an engine error the
 * cursor may have moved; outputs are untouched.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_next_values(struct keel_rows *rows,
                                  struct keel_value *values_out,
                                  size_t count,
                                  bool *has_row,
                                  struct keel_error **err_out);

/**
 * Return the number of result columns.
 *
 * Ownership: borrows `rows`.
 *
 * Errors: returns 0 when `rows` is NULL.
 *
 * Since: 0.1.0
 */
size_t keel_rows_column_count(const struct keel_rows *rows);

/**
 * Get the name of column `index` (0-based).
 *
 * Ownership: on success `*name_out` points at a string owned by `rows`.
 *
 * Lifetime: valid until `keel_rows_free(rows)`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, name_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (its statement closed the cursor, or its
 * rows moved into an Arrow stream).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_name(struct keel_rows *rows,
                                  size_t index,
                                  const char **name_out,
                                  struct keel_error **err_out);

/**
 * Find the column called `name` (`name_len` bytes, no NUL needed): its
 * 0-based index goes to `*index_out`.
 *
 * The first column whose name is exactly `name` wins; when none is, the
 * first whose name equals it ignoring ASCII case (so a field `Name`
 * finds PostgreSQL's `name`, which the server folded to lower case).
 * Names are compared as bytes, as `keel_rows_column_name` gives them.
 *
 * Ownership: borrows `rows`; `name` is read during the call only;
 * `index_out` is written only on success.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, index_out, name when
 * name_len > 0), `KEEL_STATUS_NOT_FOUND` (no column of that name; the
 * message lists the columns there are), `KEEL_STATUS_INVALID_STATE` (as
 * `keel_rows_column_name`).
 *
 * Since: 0.2.0
 */
keel_status keel_rows_column_index(struct keel_rows *rows,
                                   const char *name,
                                   size_t name_len,
                                   size_t *index_out,
                                   struct keel_error **err_out);

/**
 * Get the engine's own declared type name of column `index` (0-based),
 * e.g. `"VARCHAR(20)"`; `""` when the engine has none (SQLite
 * expressions).
 *
 * Ownership: on success `*type_out` points at a string owned by `rows`.
 *
 * Lifetime: valid until `keel_rows_free(rows)`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, type_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (as `keel_rows_column_name`).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_engine_type(struct keel_rows *rows,
                                         size_t index,
                                         const char **type_out,
                                         struct keel_error **err_out);

/**
 * Get the keel type of column `index` (0-based): the type its values read
 * as. On SQLite it follows the declared column type (`DATETIME` gives
 * `KEEL_TYPE_TIMESTAMP`, `BOOLEAN` gives `KEEL_TYPE_BOOL`, ...); a column
 * with no declared type (an expression) gives `KEEL_TYPE_NULL`, and then
 * each value has its own type (see `keel_rows_column_value`).
 *
 * Ownership: borrows `rows`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, type_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (as `keel_rows_column_name`).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_type(struct keel_rows *rows,
                                  size_t index,
                                  keel_type *type_out,
                                  struct keel_error **err_out);

/**
 * Get whether column `index` (0-based) may hold NULL, when the engine
 * knows (SQLite knows for columns taken straight from a table).
 *
 * Ownership: borrows `rows`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, nullable_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (as `keel_rows_column_name`).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_nullable(struct keel_rows *rows,
                                      size_t index,
                                      keel_nullable *nullable_out,
                                      struct keel_error **err_out);

/**
 * Get whether column `index` (0-based) of the current row is NULL.
 *
 * Ownership: borrows `rows`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, is_null_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (no current row).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_is_null(struct keel_rows *rows,
                                     size_t index,
                                     bool *is_null_out,
                                     struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a signed 64-bit
 * integer. Exact or an error: integers and bools convert, a double only
 * when integral and in range, text never (a text value read as an
 * integer is an error, not a parse).
 *
 * Ownership: borrows `rows`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, value_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
 * (NULL, or a value that is not an int64 without loss).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_int64(struct keel_rows *rows,
                                   size_t index,
                                   int64_t *value_out,
                                   struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as an unsigned 64-bit
 * integer; a negative value is an error.
 *
 * Ownership: borrows `rows`.
 *
 * Errors: as `keel_rows_column_int64`.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_uint64(struct keel_rows *rows,
                                    size_t index,
                                    uint64_t *value_out,
                                    struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a double. Integers
 * convert only when exact (|v| <= 2^53); decimals round to the nearest
 * double.
 *
 * Ownership: borrows `rows`.
 *
 * Errors: as `keel_rows_column_int64`.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_double(struct keel_rows *rows,
                                    size_t index,
                                    double *value_out,
                                    struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a bool (integers 0
 * and 1 also read as bools).
 *
 * Ownership: borrows `rows`.
 *
 * Errors: as `keel_rows_column_int64`.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_bool(struct keel_rows *rows,
                                  size_t index,
                                  bool *value_out,
                                  struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as UTF-8 text.
 *
 * Text, JSON and decimal values are given as they are; numbers, dates,
 * times, timestamps and uuids in their canonical text form (timestamps as
 * `YYYY-MM-DD HH:MM:SS[.ffffff]`, with `+00:00` when zoned). Bytes and
 * NULL have no text form and are errors. The text is NUL-terminated; the
 * NUL is not counted in `*len_out`.
 *
 * Ownership: on success `*text_out` points into memory owned by `rows`;
 * `len_out` may be NULL.
 *
 * Lifetime: valid until the next `keel_rows_next`, `keel_rows_next_values`,
 * `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
 * or clearing the statement the cursor came from closes the cursor but
 * does not end this.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, text_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
 * (NULL, bytes, or stored text that is not valid UTF-8).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_text(struct keel_rows *rows,
                                  size_t index,
                                  const char **text_out,
                                  size_t *len_out,
                                  struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as bytes: binary
 * values, and the UTF-8 of text, JSON and decimal values; a uuid gives its
 * 16 bytes. Other types are errors.
 *
 * Ownership: on success `*data_out` points into memory owned by `rows`;
 * `len_out` must not be NULL. An empty value gives a non-NULL pointer and
 * length 0.
 *
 * Lifetime: valid until the next `keel_rows_next`, `keel_rows_next_values`,
 * `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
 * or clearing the statement the cursor came from closes the cursor but
 * does not end this.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, data_out, len_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
 * (NULL or a type with no bytes).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_bytes(struct keel_rows *rows,
                                   size_t index,
                                   const uint8_t **data_out,
                                   size_t *len_out,
                                   struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a date, in days
 * since 1970-01-01. Date values and `YYYY-MM-DD` text convert; a timestamp
 * does not (that would drop its time).
 *
 * Ownership: borrows `rows`.
 *
 * Errors: as `keel_rows_column_int64`.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_date(struct keel_rows *rows,
                                  size_t index,
                                  int32_t *days_out,
                                  struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a time of day, in
 * microseconds since midnight. Time values and `HH:MM[:SS[.ffffff]]` text
 * convert.
 *
 * Ownership: borrows `rows`.
 *
 * Errors: as `keel_rows_column_int64`.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_time(struct keel_rows *rows,
                                  size_t index,
                                  int64_t *micros_out,
                                  struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a timestamp, in
 * microseconds since 1970-01-01T00:00:00Z (a zoned value is converted to
 * UTC; a value without zone is taken as given). Timestamps, dates
 * (midnight) and ISO-8601 text convert.
 *
 * Ownership: borrows `rows`.
 *
 * Errors: as `keel_rows_column_int64`.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_timestamp(struct keel_rows *rows,
                                       size_t index,
                                       int64_t *micros_out,
                                       struct keel_error **err_out);

/**
 * For a timestamp-with-zone value in column `index` (0-based) of the
 * current row: the UTC offset, in seconds east, it was stored with. SQL
 * Server's datetimeoffset keeps one (`keel_rows_column_timestamp` gives
 * the instant, `keel_rows_column_text` the local time with the offset);
 * engines whose timestamptz is an instant (PostgreSQL timestamptz, MySQL
 * TIMESTAMP) report 0.
 *
 * Ownership: borrows `rows`; `seconds_east_out` is written only on success.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, seconds_east_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (no current row), `KEEL_STATUS_INVALID_DATA`
 * (NULL, or a value that is not a timestamp with zone).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_tz_offset(struct keel_rows *rows,
                                       size_t index,
                                       int32_t *seconds_east_out,
                                       struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a uuid, copying its
 * 16 bytes to `uuid16_out`. Uuid values, uuid text and 16-byte binary
 * values convert.
 *
 * Ownership: `uuid16_out` is caller memory of at least 16 bytes, written
 * only on success.
 *
 * Errors: as `keel_rows_column_int64`.
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_uuid(struct keel_rows *rows,
                                  size_t index,
                                  uint8_t *uuid16_out,
                                  struct keel_error **err_out);

/**
 * Read column `index` (0-based) of the current row as a `keel_value`
 * tagged with the value's own type (`KEEL_TYPE_NULL` for NULL). Text, JSON
 * and decimal data are NUL-terminated.
 *
 * Ownership: `value_out` is caller memory, written only on success; its
 * `data` points into memory owned by `rows`.
 *
 * Lifetime: `value_out->data` is valid until the next `keel_rows_next`, `keel_rows_next_values`,
 * `keel_rows_fetch_batch` or `keel_rows_free` on `rows`. Running, binding
 * or clearing the statement the cursor came from closes the cursor but
 * does not end this.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (rows, value_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range),
 * `KEEL_STATUS_INVALID_STATE` (no current row).
 *
 * Since: 0.1.0
 */
keel_status keel_rows_column_value(struct keel_rows *rows,
                                   size_t index,
                                   struct keel_value *value_out,
                                   struct keel_error **err_out);

/**
 * Free a statement.
 *
 * Ownership: takes back `stmt`; NULL is a no-op. A cursor opened from it
 * stays readable until freed. A statement inherited across fork() is
 * freed without a word to the server.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
void keel_stmt_free(struct keel_stmt *stmt);

/**
 * Return how many parameters the statement has.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: returns 0 when `stmt` is NULL.
 *
 * Since: 0.1.0
 */
size_t keel_stmt_param_count(const struct keel_stmt *stmt);

/**
 * Get how many columns the statement's result has, before it runs: 0 for
 * a statement that returns no rows (an INSERT without RETURNING, DDL).
 *
 * The engine describes the prepared statement: SQLite from the prepared
 * statement itself, PostgreSQL from the description that came with
 * preparing it, MySQL/MariaDB from the column definitions of
 * COM_STMT_PREPARE's answer, SQL Server with one round trip
 * (`sp_describe_first_result_set`, on the first call for this
 * statement, with its parameters as bound then: an unbound or NULL
 * parameter as NULL). The first call of any `keel_stmt_column_*` takes
 * the description; the handle keeps it until freed, so the answers agree
 * with each other. When the statement runs, its cursor says what the run
 * returned (`keel_rows_column_count`), which a schema change in between
 * can make differ. `KEEL_STATUS_NOT_IMPLEMENTED` means the count is not
 * known before the statement runs (never "0 columns"): an engine without
 * `KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE` (see `keel_conn_supports`), a
 * MySQL/MariaDB `CALL` (a procedure's result sets are known only when it
 * runs), a MariaDB `INSERT`/`REPLACE`/`DELETE ... RETURNING` (whose
 * prepared form describes no columns), a SQL Server statement whose result the server cannot tell
 * before running it (dynamic SQL, a temporary table it creates, a
 * parameter whose type decides the result, an error in the SQL that
 * running it reports), or a statement a loaded driver cannot describe
 * before it runs (on DuckDB: a statement with parameters that gives rows,
 * since a value bound can change a result column's type; statements other
 * than queries, DML and DDL; and DML whose text holds the word RETURNING
 * but that DuckDB describes as a count); the message says why. Then run it and read the cursor's
 * columns. On SQL Server the first call talks to the server: while a
 * cursor is open on the connection it fails with
 * `KEEL_STATUS_INVALID_STATE` and leaves the cursor alone.
 *
 * Ownership: borrows `stmt`; `count_out` is written only on success.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, count_out),
 * `KEEL_STATUS_NOT_IMPLEMENTED` (not known before the statement runs),
 * `KEEL_STATUS_INVALID_STATE` (a cursor holds the connection),
 * `KEEL_STATUS_IO` and other errors of the round trip (SQL Server).
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_column_count(struct keel_stmt *stmt,
                                   size_t *count_out,
                                   struct keel_error **err_out);

/**
 * Get the name of column `index` (0-based) of the statement's result,
 * before it runs (see `keel_stmt_column_count` for how each engine
 * knows).
 *
 * Ownership: on success `*name_out` points at a string owned by `stmt`.
 *
 * Lifetime: valid until `keel_stmt_free(stmt)`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, name_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (index out of range), and the errors of
 * `keel_stmt_column_count` (`KEEL_STATUS_NOT_IMPLEMENTED` when the result
 * is not known before the statement runs).
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_column_name(struct keel_stmt *stmt,
                                  size_t index,
                                  const char **name_out,
                                  struct keel_error **err_out);

/**
 * Get the engine's own type name of column `index` (0-based) of the
 * statement's result, before it runs, e.g. `"VARCHAR(20)"`; `""` when the
 * engine has none (SQLite expressions). SQLite, PostgreSQL and MySQL give
 * the name their cursors give; SQL Server gives the type's name without
 * its length (`"nvarchar"`, `"int"`), where its cursors name the wire
 * type (`"intn"` for a nullable int).
 *
 * Ownership: on success `*type_out` points at a string owned by `stmt`.
 *
 * Lifetime: valid until `keel_stmt_free(stmt)`.
 *
 * Errors: as `keel_stmt_column_name`.
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_column_engine_type(struct keel_stmt *stmt,
                                         size_t index,
                                         const char **type_out,
                                         struct keel_error **err_out);

/**
 * Get the keel type column `index` (0-based) of the statement's result
 * will read as, before it runs: what `keel_rows_column_type` gives for
 * the column (`KEEL_TYPE_NULL` when each value has its own type, as for
 * SQLite expressions and SQL Server's sql_variant).
 *
 * One exception: MySQL/MariaDB describe a column computed from a
 * parameter (`SELECT ?`, `? + 1`, `IFNULL(?, 1.5)`) with the server's
 * guess at prepare time (`KEEL_TYPE_NULL` for a bare `?`), and the run's
 * cursor gives the type of the value bound. DuckDB does not describe a
 * query with parameters at all, for that reason (see
 * `keel_stmt_column_count`).
 *
 * Ownership: borrows `stmt`; `type_out` is written only on success.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, type_out), otherwise as
 * `keel_stmt_column_name`.
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_column_type(struct keel_stmt *stmt,
                                  size_t index,
                                  keel_type *type_out,
                                  struct keel_error **err_out);

/**
 * Get whether column `index` (0-based) of the statement's result may
 * hold NULL, before it runs, when the engine knows: SQLite for columns
 * taken straight from a table, MySQL/MariaDB and SQL Server for every
 * column; PostgreSQL says `KEEL_NULLABLE_UNKNOWN`, as its cursors do.
 *
 * Ownership: borrows `stmt`; `nullable_out` is written only on success.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, nullable_out), otherwise as
 * `keel_stmt_column_name`.
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_column_nullable(struct keel_stmt *stmt,
                                      size_t index,
                                      keel_nullable *nullable_out,
                                      struct keel_error **err_out);

/**
 * Bind NULL to parameter `index` (0-based).
 *
 * Ownership: borrows `stmt`. Binding closes a cursor still open on this
 * statement.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt), `KEEL_STATUS_INVALID_ARGUMENT`
 * (index out of range).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_null(struct keel_stmt *stmt, size_t index, struct keel_error **err_out);

/**
 * Bind a bool to parameter `index` (0-based). SQLite stores it as 0 or 1.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_bool(struct keel_stmt *stmt,
                                size_t index,
                                bool value,
                                struct keel_error **err_out);

/**
 * Bind a signed 64-bit integer to parameter `index` (0-based).
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_int64(struct keel_stmt *stmt,
                                 size_t index,
                                 int64_t value,
                                 struct keel_error **err_out);

/**
 * Bind an unsigned 64-bit integer to parameter `index` (0-based). A value
 * the engine cannot hold exactly is an error (SQLite: above INT64_MAX).
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_INVALID_ARGUMENT`
 * with SQLSTATE 22003 for an out-of-range value.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_uint64(struct keel_stmt *stmt,
                                  size_t index,
                                  uint64_t value,
                                  struct keel_error **err_out);

/**
 * Bind a double to parameter `index` (0-based). SQLite cannot store NaN
 * (it would become NULL), so NaN is an error there. For a PostgreSQL
 * `real` (float4) parameter, a value float4 cannot hold (past its range,
 * or not 0 but rounding to 0) is an error with SQLSTATE 22003, as the
 * server's own cast makes it.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_INVALID_ARGUMENT`
 * for a value the engine cannot store.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_double(struct keel_stmt *stmt,
                                  size_t index,
                                  double value,
                                  struct keel_error **err_out);

/**
 * Bind UTF-8 text of `len` bytes (no NUL needed) to parameter `index`.
 *
 * Ownership: `text` is read during the call only; keel keeps a copy.
 *
 * Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_NULL_ARGUMENT` (text
 * NULL with len > 0), `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_text(struct keel_stmt *stmt,
                                size_t index,
                                const char *text,
                                size_t len,
                                struct keel_error **err_out);

/**
 * Bind `len` bytes to parameter `index` as a binary value.
 *
 * Ownership: `data` is read during the call only; keel keeps a copy.
 *
 * Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_NULL_ARGUMENT` (data
 * NULL with len > 0).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_bytes(struct keel_stmt *stmt,
                                 size_t index,
                                 const uint8_t *data,
                                 size_t len,
                                 struct keel_error **err_out);

/**
 * Bind UTF-8 text of `len` bytes to parameter `index` without copying it
 * where the engine allows: SQLite reads the caller's buffer when the
 * statement runs (sqlite3's `SQLITE_STATIC`); PostgreSQL, MySQL/MariaDB,
 * SQL Server and loaded drivers copy it, as `keel_stmt_bind_text` does.
 * For large values bound again and again (a loop of inserts), this saves
 * keel's copy.
 *
 * Ownership: borrows `text`, which the caller must keep valid and
 * unchanged until this parameter is bound again, the bindings are
 * cleared (`keel_stmt_clear_bindings`), the statement is freed, and
 * every cursor of a run that used it has moved past its row or been
 * freed (a result column can be the parameter's bytes).
 *
 * Errors: as `keel_stmt_bind_text` (the text is checked UTF-8 here, once).
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_bind_text_static(struct keel_stmt *stmt,
                                       size_t index,
                                       const char *text,
                                       size_t len,
                                       struct keel_error **err_out);

/**
 * Bind `len` bytes to parameter `index` as a binary value, without
 * copying them where the engine allows (SQLite; the others copy), as
 * `keel_stmt_bind_text_static` does for text.
 *
 * Ownership: borrows `data`, under the same rule as
 * `keel_stmt_bind_text_static`.
 *
 * Errors: as `keel_stmt_bind_bytes`.
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_bind_bytes_static(struct keel_stmt *stmt,
                                        size_t index,
                                        const uint8_t *data,
                                        size_t len,
                                        struct keel_error **err_out);

/**
 * Bind a date, in days since 1970-01-01, to parameter `index`. SQLite
 * stores it as `YYYY-MM-DD` text.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_date(struct keel_stmt *stmt,
                                size_t index,
                                int32_t days,
                                struct keel_error **err_out);

/**
 * Bind a time of day, in microseconds since midnight, to parameter
 * `index`. SQLite stores it as `HH:MM:SS[.ffffff]` text.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_INVALID_ARGUMENT`
 * when `micros` is not within one day.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_time(struct keel_stmt *stmt,
                                size_t index,
                                int64_t micros,
                                struct keel_error **err_out);

/**
 * Bind a timestamp without zone, in microseconds since
 * 1970-01-01T00:00:00, to parameter `index`. SQLite stores it as
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` text.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_timestamp(struct keel_stmt *stmt,
                                     size_t index,
                                     int64_t micros,
                                     struct keel_error **err_out);

/**
 * Bind an instant, in microseconds since 1970-01-01T00:00:00Z, to
 * parameter `index` as a timestamp with zone. SQLite stores it as
 * `YYYY-MM-DD HH:MM:SS[.ffffff]+00:00` text.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_timestamptz(struct keel_stmt *stmt,
                                       size_t index,
                                       int64_t micros,
                                       struct keel_error **err_out);

/**
 * Bind an instant, in microseconds since 1970-01-01T00:00:00Z, with the
 * UTC offset to store it with (`offset_seconds` east of UTC: whole
 * minutes between -14:00 and +14:00). SQL Server's datetimeoffset keeps
 * the offset (`keel_rows_column_tz_offset` reads it back); the other
 * engines store the instant, exactly as `keel_stmt_bind_timestamptz`.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: as `keel_stmt_bind_null`; `KEEL_STATUS_INVALID_ARGUMENT` for an
 * offset out of range or not whole minutes (nothing is bound).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_timestamptz_offset(struct keel_stmt *stmt,
                                              size_t index,
                                              int64_t micros,
                                              int32_t offset_seconds,
                                              struct keel_error **err_out);

/**
 * Bind a uuid (16 bytes, big-endian as written) to parameter `index`.
 * SQLite stores it as 36-character lower-case text.
 *
 * Ownership: `uuid16` is read during the call only.
 *
 * Errors: as `keel_stmt_bind_null`, plus `KEEL_STATUS_NULL_ARGUMENT`
 * (uuid16).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_uuid(struct keel_stmt *stmt,
                                size_t index,
                                const uint8_t *uuid16,
                                struct keel_error **err_out);

/**
 * Bind JSON text of `len` bytes to parameter `index`. keel does not parse
 * it; the engine may.
 *
 * Ownership: `json` is read during the call only.
 *
 * Errors: as `keel_stmt_bind_text`.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_json(struct keel_stmt *stmt,
                                size_t index,
                                const char *json,
                                size_t len,
                                struct keel_error **err_out);

/**
 * Bind an exact decimal, given as text of `len` bytes (`"-123.4500"`,
 * `"1e-3"`), to parameter `index`.
 *
 * Ownership: `decimal` is read during the call only.
 *
 * `"NaN"`, `"Infinity"` and `"-Infinity"` are taken too (PostgreSQL's
 * numeric holds them; the other engines refuse them or store the text).
 *
 * Errors: as `keel_stmt_bind_text`, plus `KEEL_STATUS_INVALID_ARGUMENT`
 * when the text is not a decimal number.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_decimal(struct keel_stmt *stmt,
                                   size_t index,
                                   const char *decimal,
                                   size_t len,
                                   struct keel_error **err_out);

/**
 * Bind any value, described by a `keel_value`, to parameter `index`.
 *
 * Ownership: `value` and its data are read during the call only.
 *
 * Errors: as the typed `keel_stmt_bind_*` call for `value->kind`, plus
 * `KEEL_STATUS_NULL_ARGUMENT` (value), `KEEL_STATUS_INVALID_ARGUMENT`
 * (unknown kind).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_bind_value(struct keel_stmt *stmt,
                                 size_t index,
                                 const struct keel_value *value,
                                 struct keel_error **err_out);

/**
 * Unbind every parameter; each must be bound again before the next run.
 *
 * Ownership: borrows `stmt`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt).
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_clear_bindings(struct keel_stmt *stmt, struct keel_error **err_out);

/**
 * Run the statement to completion, discarding any rows.
 *
 * May be called again to re-run it with the current bindings.
 *
 * Ownership: borrows `stmt`. `result_out` may be NULL; otherwise it
 * receives the rows affected and last insert id.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt), `KEEL_STATUS_INVALID_ARGUMENT`
 * (a parameter is not bound), `KEEL_STATUS_INTEGRITY`, `KEEL_STATUS_BUSY`,
 * and other engine errors.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_execute(struct keel_stmt *stmt,
                              struct keel_exec_result *result_out,
                              struct keel_error **err_out);

/**
 * Run the statement and return a streaming cursor over its rows.
 *
 * A cursor opened earlier from this statement is closed by this call (its
 * next `keel_rows_next` or column read reports
 * `KEEL_STATUS_INVALID_STATE`).
 *
 * Ownership: borrows `stmt`. On success `*rows_out` receives a new
 * `keel_rows`, freed with `keel_rows_free`.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, rows_out),
 * `KEEL_STATUS_INVALID_ARGUMENT` (a parameter is not bound), engine errors.
 *
 * Since: 0.1.0
 */
keel_status keel_stmt_query(struct keel_stmt *stmt,
                            struct keel_rows **rows_out,
                            struct keel_error **err_out);

/**
 * Bind `params` and run the statement into a cursor handle the caller
 * already has: as `keel_stmt_bind_value` for each parameter and
 * `keel_stmt_query`, but `*rows_inout`, when not NULL, is freed (as by
 * `keel_rows_free`) and the new cursor may come back in the same memory,
 * so a statement run again and again allocates no new cursor.
 *
 * The cursor passed in may be any cursor; its result is closed first,
 * before anything is bound (so binding here never has to set a
 * statement aside for a cursor still reading it, which
 * `keel_stmt_bind_*` on a statement with a live cursor must do on
 * SQLite). Every pointer borrowed from it ends, as at `keel_rows_free`,
 * even when the new cursor has the same address. `n_params` 0 binds
 * nothing: the statement runs with the bindings it has. Otherwise
 * `n_params` must be `keel_stmt_param_count(stmt)`.
 *
 * Ownership: borrows `stmt`; `params` and their data are read during the
 * call only. Takes back `*rows_inout` when it is not NULL. On success
 * `*rows_inout` receives a cursor, freed with `keel_rows_free`. On
 * failure `*rows_inout` is set to NULL (the cursor passed in is freed
 * all the same), and the statement's bindings are unspecified: bind
 * again before running it.
 *
 * Errors: `KEEL_STATUS_NULL_ARGUMENT` (stmt, rows_inout, params when
 * n_params > 0), `KEEL_STATUS_INVALID_ARGUMENT` (n_params differs from
 * the parameter count, a bad value, a parameter not bound), engine
 * errors.
 *
 * Since: 0.2.0
 */
keel_status keel_stmt_query_reuse(struct keel_stmt *stmt,
                                  const struct keel_value *params,
                                  size_t n_params,
                                  struct keel_rows **rows_inout,
                                  struct keel_error **err_out);

/**
 * Return the library's version as text, e.g. `"0.1.0"`.
 *
 * Ownership: the string is static.
 *
 * Lifetime: valid for the life of the process.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
const char *keel_version(void);

/**
 * Return the library's version as `X*1000000 + Y*1000 + Z`; compare it
 * with `KEEL_VERSION_NUMBER` from the header you compiled against.
 *
 * Ownership: nothing to own.
 *
 * Errors: none.
 *
 * Since: 0.1.0
 */
uint32_t keel_version_number(void);

/**
 * Return whether a driver named `name` (`"sqlite"`, `"postgres"`,
 * `"mysql"`, `"mssql"`, or a URL scheme such as `"postgresql"`) is
 * registered: the four built into this library are.
 *
 * Ownership: `name` is borrowed for the call.
 *
 * Errors: returns false when `name` is NULL or not UTF-8.
 *
 * Since: 0.1.0
 */
bool keel_driver_available(const char *name);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* KEEL_H */
