//! The driver-side C ABI: the table of function pointers a driver written
//! in another language fills (`keel_driver_v1`), the structs it reads and
//! writes, and the functions keel exports for drivers. build.rs writes
//! `include/keel_driver.h` from this file alone (cbindgen-driver.toml);
//! nothing here is in `keel.h` (its config excludes these names).
//!
//! Every function pointer returns a `keel_status` as an `int32_t`; keel
//! reads it as a number, so a value outside the enum is caught, never
//! undefined.

#![allow(non_camel_case_types)]

use crate::ffi::error::keel_error;
use crate::ffi::types::{keel_exec_result, keel_tx_options, keel_value};
use std::ffi::{c_char, c_void};

/// The version of this table that `keel_driver_v1::abi_version` names.
/// A driver sets `abi_version = KEEL_DRIVER_ABI_VERSION` and `size =
/// sizeof(keel_driver_v1)`. keel refuses any other version.
pub const KEEL_DRIVER_ABI_VERSION: u32 = 1;

/// The name of the function `keel_driver_load` calls in a shared library:
/// `const keel_driver_v1 *keel_driver_entry(void)`.
pub const KEEL_DRIVER_ENTRY: &str = "keel_driver_entry";

/// Flag of `keel_driver_v1::flags`: the driver's URLs name a file, so that
/// `scheme://a/b.db` is the relative path `a/b.db` rather than host `a`,
/// database `b.db` (`scheme:///abs/path` and `scheme::memory:` work
/// either way).
pub const KEEL_DRIVER_URL_NAMES_A_FILE: u32 = 1;
/// Flag of `keel_driver_v1::flags`: several cursors may be open on one
/// connection at once, each read at its own pace, with other statements
/// running between their reads (`KEEL_CAPABILITY_SEVERAL_CURSORS`).
/// Without it, keel refuses other statements on a connection while one
/// of its cursors is open.
pub const KEEL_DRIVER_SEVERAL_CURSORS: u32 = 2;
/// Flag of `keel_driver_v1::flags`: the engine takes one INSERT of many
/// rows with parameters (`INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)`),
/// and such a statement that fails leaves none of its rows. keel then
/// runs a batch (`keel_stmt_execute_batch*`, `executemany`) of a plain
/// `INSERT INTO t [(columns)] VALUES (<row>)` as multi-row INSERTs of up
/// to 1000 rows, and after a failed one outside a transaction runs its
/// rows again one by one to name the failing row (see keel.h's batch
/// calls for what stays as row by row).
pub const KEEL_DRIVER_MULTIROW_INSERT: u32 = 4;

/// Flag of `keel_driver_v1::syntax_flags`: `?` followed by digits (`?1`)
/// is the engine's own numbered parameter, kept as written.
pub const KEEL_SYNTAX_QUESTION_NUMBER: u32 = 1;
/// A backslash escapes the next byte inside `'...'` and `"..."`.
pub const KEEL_SYNTAX_BACKSLASH_ESCAPES: u32 = 2;
/// `E'...'` strings take backslash escapes.
pub const KEEL_SYNTAX_E_STRINGS: u32 = 4;
/// `"..."` is a string rather than an identifier. The names keel writes
/// into SQL itself (ingest's table and columns) are quoted `"x"` (a `"`
/// doubled), or `` `x` `` (a `` ` `` doubled) with this flag.
pub const KEEL_SYNTAX_DOUBLE_QUOTED_STRINGS: u32 = 8;
/// `` `x` `` quotes an identifier.
pub const KEEL_SYNTAX_BACKTICK_IDENTIFIERS: u32 = 16;
/// `[x]` quotes an identifier.
pub const KEEL_SYNTAX_BRACKET_IDENTIFIERS: u32 = 32;
/// `#` starts a comment to the end of the line.
pub const KEEL_SYNTAX_HASH_COMMENTS: u32 = 64;
/// Block comments nest.
pub const KEEL_SYNTAX_NESTED_COMMENTS: u32 = 128;
/// `$tag$ ... $tag$` is a string.
pub const KEEL_SYNTAX_DOLLAR_QUOTES: u32 = 256;

/// The connection URL, parsed by keel, as `connect` receives it. Every
/// string is NUL-terminated UTF-8 (percent escapes decoded), borrowed for
/// the call only: copy what you keep. Absent parts are NULL.
#[repr(C)]
pub struct keel_driver_url {
    /// `sizeof(keel_driver_url)` of the keel that filled it; fields added
    /// later go at the end, and a driver reads them only when `size`
    /// covers them.
    pub size: usize,
    /// The scheme as written, lower-cased (`"duckdb"`).
    pub scheme: *const c_char,
    pub user: *const c_char,
    /// Never put it in an error message.
    pub password: *const c_char,
    pub host: *const c_char,
    /// The port, or -1 when the URL has none.
    pub port: i32,
    /// The database name for a server, the file path or `:memory:` for a
    /// file engine (`duckdb::memory:` gives `:memory:`, `duckdb:///tmp/a.db`
    /// gives `/tmp/a.db`); never NULL, possibly empty.
    pub path: *const c_char,
}

/// One result column, as `rows_column` describes it. keel fills the
/// struct with zeros before the call; the driver sets the fields.
#[repr(C)]
pub struct keel_driver_column {
    /// The column's name: `name_len` bytes of UTF-8 with no NUL among them (none needed at the end),
    /// borrowed until `rows_free` of the cursor (keel copies it at once).
    pub name: *const c_char,
    pub name_len: usize,
    /// The `keel_type` every value of the column reads as, or
    /// `KEEL_TYPE_NULL` when each value carries its own type.
    pub kind: i32,
    /// The engine's own type name (`"VARCHAR"`), NUL-terminated UTF-8,
    /// borrowed like `name`; NULL for none. For a `KEEL_TYPE_DECIMAL`
    /// column, `DECIMAL(p,s)` or `NUMERIC(p,s)` gives keel its precision
    /// and scale (the Arrow export's decimal128(p, s)).
    pub engine_type: *const c_char,
    /// A `keel_nullable` value.
    pub nullable: i32,
}

/// Opens a connection. `user_data` is the table's. Writes the driver's
/// connection object (any non-NULL pointer) to `*conn_out` and returns
/// `KEEL_STATUS_OK`, or returns an error status and, when `err_out` is not
/// NULL, a `keel_error_new` error in `*err_out` (keel takes it). May be
/// called from several threads at once (a pool opens connections in
/// parallel).
pub type keel_driver_connect_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        url: *const keel_driver_url,
        conn_out: *mut *mut c_void,
        err_out: *mut *mut keel_error,
    ) -> i32,
>;
/// Frees a connection object. Called once, after every statement and
/// cursor of the connection was freed.
pub type keel_driver_conn_free_fn = Option<unsafe extern "C" fn(conn: *mut c_void)>;
/// A call on a connection that returns only a status.
pub type keel_driver_conn_fn = Option<unsafe extern "C" fn(conn: *mut c_void, err_out: *mut *mut keel_error) -> i32>;
/// `SAVEPOINT name`, `RELEASE SAVEPOINT name`, `ROLLBACK TO SAVEPOINT name`:
/// `name` is NUL-terminated, a plain identifier keel checked.
pub type keel_driver_conn_name_fn =
    Option<unsafe extern "C" fn(conn: *mut c_void, name: *const c_char, err_out: *mut *mut keel_error) -> i32>;
/// Opens a transaction. `options` is never NULL; its `isolation` and `lock`
/// are valid `keel_isolation` and `keel_tx_lock` values (refuse with
/// `KEEL_STATUS_NOT_IMPLEMENTED` what the engine cannot do).
pub type keel_driver_begin_fn = Option<
    unsafe extern "C" fn(conn: *mut c_void, options: *const keel_tx_options, err_out: *mut *mut keel_error) -> i32,
>;
/// Whether a transaction is open on the connection as the engine sees it
/// (opened by `begin` or by SQL): 1 yes, 0 no. Any other answer counts as
/// yes (keel then rolls back when the connection returns to the pool).
pub type keel_driver_in_transaction_fn = Option<unsafe extern "C" fn(conn: *mut c_void) -> i32>;
/// The engine's version text, NUL-terminated UTF-8, owned by the
/// connection and valid until `conn_free`. NULL reads as `""`.
pub type keel_driver_server_version_fn = Option<unsafe extern "C" fn(conn: *mut c_void) -> *const c_char>;
/// Prepares exactly one statement: `sql` is `len` bytes of UTF-8 with no
/// NUL in them, followed by a NUL (so it is a C string too), with keel's
/// `?` already written in the engine's form (`placeholder_prefix`). Writes
/// the statement object to `*stmt_out`.
pub type keel_driver_prepare_fn = Option<
    unsafe extern "C" fn(
        conn: *mut c_void,
        sql: *const c_char,
        len: usize,
        stmt_out: *mut *mut c_void,
        err_out: *mut *mut keel_error,
    ) -> i32,
>;
/// The number of parameters of a statement.
pub type keel_driver_param_count_fn = Option<unsafe extern "C" fn(stmt: *mut c_void) -> usize>;
/// Binds parameter `index` (0-based, below the parameter count: keel
/// checked) to `value`, which is valid for the call only: copy what you
/// keep. `value->kind` is a valid `keel_type`, text is valid UTF-8, and
/// a decimal's text a decimal number (digits with an optional sign,
/// point and exponent, or `NaN`, `Infinity`, `-Infinity`), as for
/// `append_row`.
pub type keel_driver_bind_fn = Option<
    unsafe extern "C" fn(
        stmt: *mut c_void,
        index: usize,
        value: *const keel_value,
        err_out: *mut *mut keel_error,
    ) -> i32,
>;
/// A call on a statement that returns only a status.
pub type keel_driver_stmt_fn = Option<unsafe extern "C" fn(stmt: *mut c_void, err_out: *mut *mut keel_error) -> i32>;
/// Runs a statement to its end, discarding rows, and writes what it did
/// into `*result` (never NULL; keel zeroed it and set its `size`).
pub type keel_driver_execute_fn = Option<
    unsafe extern "C" fn(stmt: *mut c_void, result: *mut keel_exec_result, err_out: *mut *mut keel_error) -> i32,
>;
/// Runs a statement and writes a cursor over its result to `*rows_out`.
pub type keel_driver_query_fn =
    Option<unsafe extern "C" fn(stmt: *mut c_void, rows_out: *mut *mut c_void, err_out: *mut *mut keel_error) -> i32>;
/// Frees a statement object (after every cursor made from it).
pub type keel_driver_stmt_free_fn = Option<unsafe extern "C" fn(stmt: *mut c_void)>;
/// The number of columns of a cursor's result.
pub type keel_driver_column_count_fn = Option<unsafe extern "C" fn(rows: *mut c_void) -> usize>;
/// Describes column `index` (below the column count) into `*column`.
pub type keel_driver_column_fn = Option<
    unsafe extern "C" fn(
        rows: *mut c_void,
        index: usize,
        column: *mut keel_driver_column,
        err_out: *mut *mut keel_error,
    ) -> i32,
>;
/// Advances the cursor: writes 1 to `*has_row` when it is on a row, 0 at
/// the end (and on every call after the end).
pub type keel_driver_next_fn =
    Option<unsafe extern "C" fn(rows: *mut c_void, has_row: *mut i32, err_out: *mut *mut keel_error) -> i32>;
/// Reads column `index` of the current row into `*value` (see
/// `keel_value` in keel.h for which field carries what). Text, bytes,
/// decimal, JSON and uuid data stay owned by the cursor and valid until
/// its next `rows_next` or `rows_free`.
pub type keel_driver_value_fn = Option<
    unsafe extern "C" fn(rows: *mut c_void, index: usize, value: *mut keel_value, err_out: *mut *mut keel_error) -> i32,
>;
/// Frees a cursor object.
pub type keel_driver_rows_free_fn = Option<unsafe extern "C" fn(rows: *mut c_void)>;

/// Opens an appender: the engine's bulk path into table `table` (a name as
/// given to `keel_conn_ingest`, not quoted, no schema), for the columns
/// `columns[0..n_columns]` (names, not quoted) in that order. Every string
/// is NUL-terminated UTF-8, borrowed for the call. Called inside a
/// transaction (keel's, or the caller's): the rows belong to it. Writes
/// the appender object to `*appender_out`.
pub type keel_driver_append_open_fn = Option<
    unsafe extern "C" fn(
        conn: *mut c_void,
        table: *const c_char,
        columns: *const *const c_char,
        n_columns: usize,
        appender_out: *mut *mut c_void,
        err_out: *mut *mut keel_error,
    ) -> i32,
>;
/// Appends one row: `values[0..n_values]`, one per column of
/// `append_open` in its order (`n_values` is `n_columns`), valid for the
/// call only (copy what you keep); each `kind` is a valid `keel_type` and
/// text is valid UTF-8. The driver may hold rows until `append_finish`.
pub type keel_driver_append_row_fn = Option<
    unsafe extern "C" fn(
        appender: *mut c_void,
        values: *const keel_value,
        n_values: usize,
        err_out: *mut *mut keel_error,
    ) -> i32,
>;

/// Text, JSON, decimal text, bytes or a uuid in a chunk's vector: `len`
/// bytes at `data` (which may be NULL when `len` is 0). Text, JSON and
/// decimal text are UTF-8, not NUL-terminated; a uuid is 16 bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct keel_driver_bytes {
    pub data: *const u8,
    pub len: usize,
}

/// One column of a chunk (`rows_next_chunk`): its validity and its values,
/// one per row of the chunk, laid out by the column's keel type (as
/// `rows_column` described it):
///
/// - `KEEL_TYPE_BOOL`: `uint8_t`, 0 or 1;
/// - `KEEL_TYPE_INT64`, and `KEEL_TYPE_TIME`, `KEEL_TYPE_TIMESTAMP`,
///   `KEEL_TYPE_TIMESTAMPTZ` in microseconds (as in `keel_value`):
///   `int64_t`;
/// - `KEEL_TYPE_UINT64`: `uint64_t`; `KEEL_TYPE_DOUBLE`: `double`;
/// - `KEEL_TYPE_DATE`: `int32_t`, days since 1970-01-01;
/// - `KEEL_TYPE_TEXT`, `KEEL_TYPE_JSON`, `KEEL_TYPE_DECIMAL`,
///   `KEEL_TYPE_BYTES`, `KEEL_TYPE_UUID`: `keel_driver_bytes`;
/// - `KEEL_TYPE_NULL`: every row is NULL; `data` is not read.
///
/// This is DuckDB's vector layout (and Arrow's, but for the byte values),
/// so a driver over a columnar engine hands out many columns without a
/// copy.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct keel_driver_vector {
    /// Bit `r % 64` of word `r / 64` is 1 when row `r` holds a value, 0
    /// when it is NULL; NULL: no row of the chunk is NULL.
    pub validity: *const u64,
    /// The values, an array of as many entries as the chunk has rows
    /// (the entry of a NULL row is not read); NULL only for a column of
    /// `KEEL_TYPE_NULL` or a chunk of 0 rows.
    pub data: *const c_void,
}

/// A run of rows, column by column, from `rows_next_chunk`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct keel_driver_chunk {
    /// The rows in the chunk; 0 at the end of the result (and on every
    /// call after the end).
    pub rows: usize,
    /// `rows_column_count` vectors, one per column in order.
    pub columns: *const keel_driver_vector,
}

/// Reads the cursor's next chunk of rows into `*chunk` (keel zeroed it):
/// the rows after those of the last chunk, column by column. What
/// `chunk->columns` points at, and the data the vectors point at, stay
/// owned by the cursor and valid until its next `rows_next_chunk` or
/// `rows_free`.
pub type keel_driver_next_chunk_fn = Option<
    unsafe extern "C" fn(rows: *mut c_void, chunk: *mut keel_driver_chunk, err_out: *mut *mut keel_error) -> i32,
>;

/// Writes to `*count_out` the number of columns the result of a prepared
/// statement will have, before it runs: 0 for a statement that gives no
/// rows (an INSERT, UPDATE or DELETE without RETURNING, DDL), which keel
/// then runs with `stmt_execute` where it can. Returns
/// `KEEL_STATUS_NOT_IMPLEMENTED` (with an error saying why) when the
/// engine cannot tell for this statement before it runs; keel passes that
/// on, and the caller runs the statement and reads its cursor's columns.
/// Called at any time between `conn_prepare` and `stmt_free`, also while
/// a cursor of the connection is open: it must run nothing.
pub type keel_driver_stmt_column_count_fn =
    Option<unsafe extern "C" fn(stmt: *mut c_void, count_out: *mut usize, err_out: *mut *mut keel_error) -> i32>;
/// Describes column `index` (below the count `stmt_column_count` gave)
/// of a prepared statement's result into `*column`, as `rows_column`
/// does for a cursor; the strings need to stay valid only until the next
/// call on the statement (keel copies them). The description must be the
/// one a run's cursor then gives (names and keel types).
pub type keel_driver_stmt_column_fn = Option<
    unsafe extern "C" fn(
        stmt: *mut c_void,
        index: usize,
        column: *mut keel_driver_column,
        err_out: *mut *mut keel_error,
    ) -> i32,
>;

/// A driver: what it is called, how its SQL is written, and the functions
/// keel calls. Fill one (zero what you do not set) and pass it to
/// `keel_driver_register`, or return it from `keel_driver_entry` of a
/// shared library loaded by `keel_driver_load`.
///
/// keel copies the table and its strings at registration: the struct and
/// the strings need to live only for that call. The functions must stay
/// in memory for the life of the process (keel never unloads a driver).
///
/// Required: every function pointer not marked optional. A NULL required
/// pointer is refused at registration, naming it.
#[repr(C)]
pub struct DriverV1 {
    /// `sizeof(keel_driver_v1)` as the driver was built. A newer header
    /// adds fields at the end only; keel reads the fields its own version
    /// knows that `size` covers (the rest count as NULL), and refuses a
    /// size smaller than the first version 1's (the table up to
    /// `rows_free`).
    pub size: usize,
    /// `KEEL_DRIVER_ABI_VERSION` as the driver was built (1).
    pub abi_version: u32,
    /// `KEEL_DRIVER_*` flags.
    pub flags: u32,
    /// The driver's name (`"duckdb"`): lower-case letters, digits and
    /// `_`; it is `keel_error_driver` of the driver's errors.
    pub name: *const c_char,
    /// The URL schemes that select the driver, separated by commas
    /// (`"duckdb"`, `"pg,pgsql"`): each lower-case letters, digits and `+`.
    pub schemes: *const c_char,
    /// Passed back to `connect` as is. Optional.
    pub user_data: *mut c_void,
    /// The engine's name as its users know it (`"DuckDB"`), for messages.
    /// Optional: NULL uses `name`.
    pub syntax_engine: *const c_char,
    /// What keel's `?` becomes: NULL or `""` keeps `?`; a prefix such as
    /// `"$"` numbers the parameters from 1 (`$1`, `$2`), and the same form
    /// written by the caller is the engine's own numbered parameter.
    pub placeholder_prefix: *const c_char,
    /// `KEEL_SYNTAX_*` flags: how the engine's SQL differs from standard
    /// SQL (`'...'` strings, `"..."` identifiers, `--` and block
    /// comments). 0 for standard SQL.
    pub syntax_flags: u32,
    /// Bytes that start and continue a word besides letters, digits and
    /// `_` (T-SQL's `@`), NUL-terminated; NULL for none.
    pub word_bytes: *const c_char,
    pub connect: keel_driver_connect_fn,
    pub conn_free: keel_driver_conn_free_fn,
    /// A cheap round trip proving the connection works.
    pub conn_ping: keel_driver_conn_fn,
    pub conn_server_version: keel_driver_server_version_fn,
    pub conn_prepare: keel_driver_prepare_fn,
    pub conn_begin: keel_driver_begin_fn,
    pub conn_commit: keel_driver_conn_fn,
    pub conn_rollback: keel_driver_conn_fn,
    pub conn_in_transaction: keel_driver_in_transaction_fn,
    /// Optional: NULL runs `SAVEPOINT <name>` through `conn_prepare`.
    pub conn_savepoint: keel_driver_conn_name_fn,
    /// Optional: NULL runs `RELEASE SAVEPOINT <name>`.
    pub conn_release: keel_driver_conn_name_fn,
    /// Optional: NULL runs `ROLLBACK TO SAVEPOINT <name>`.
    pub conn_rollback_to: keel_driver_conn_name_fn,
    /// Optional: stops the statement the connection runs at the moment,
    /// which then fails with `KEEL_STATUS_CANCELLED`. The one function
    /// called while another call on the same connection runs, from another
    /// thread; never during or after `conn_free`. NULL: keel's cancel
    /// calls give `KEEL_STATUS_NOT_IMPLEMENTED`.
    pub conn_cancel: keel_driver_conn_fn,
    pub stmt_param_count: keel_driver_param_count_fn,
    pub stmt_bind: keel_driver_bind_fn,
    pub stmt_clear_bindings: keel_driver_stmt_fn,
    pub stmt_execute: keel_driver_execute_fn,
    pub stmt_query: keel_driver_query_fn,
    pub stmt_free: keel_driver_stmt_free_fn,
    pub rows_column_count: keel_driver_column_count_fn,
    pub rows_column: keel_driver_column_fn,
    pub rows_next: keel_driver_next_fn,
    pub rows_value: keel_driver_value_fn,
    pub rows_free: keel_driver_rows_free_fn,
    /// Optional, all four or none (fields past version 1's first table,
    /// read only when `size` covers them): the engine's bulk path
    /// (DuckDB's appender), which `keel_conn_ingest` and ADBC ingest use
    /// instead of a batch of prepared INSERTs. keel calls `append_open`,
    /// `append_row` for every row, `append_finish` once, and
    /// `append_free` always (also after an error, when the rows not
    /// finished are dropped). Nothing but `conn_cancel` is called on the
    /// connection while its appender is open. A driver without them gets
    /// a batch of its prepared INSERTs.
    pub append_open: keel_driver_append_open_fn,
    pub append_row: keel_driver_append_row_fn,
    /// Writes every row appended into the table (in the transaction);
    /// errors of rows the driver held (a constraint) come back here.
    pub append_finish: keel_driver_stmt_fn,
    /// Frees an appender object.
    pub append_free: keel_driver_stmt_free_fn,
    /// Optional (a field past version 1's first table): reads a cursor a
    /// chunk of rows at a time, column by column, for an engine that
    /// keeps its results that way (DuckDB's data chunks). When it is set,
    /// keel reads every cursor of the driver with it and never calls
    /// `rows_next` or `rows_value` (which must still be set); rows are
    /// then handed to the caller from the chunk, and Arrow batches built
    /// from whole vectors. keel checks every value of a chunk once, when
    /// it arrives (a bool that is not 0 or 1, text that is not UTF-8, a
    /// uuid that is not 16 bytes, a time out of the day are the driver's
    /// errors), so a driver need not. NULL: keel reads rows with
    /// `rows_next` and `rows_value`.
    pub rows_next_chunk: keel_driver_next_chunk_fn,
    /// Optional (a field past version 1's first table): the engine's
    /// column type for each keel type, which `keel_conn_ingest` declares
    /// in a table it makes (modes create, replace, create_append): an
    /// array of `KEEL_TYPE_DECIMAL + 1` strings indexed by `keel_type`,
    /// each NUL-terminated UTF-8, or NULL where the engine has no type
    /// whose values read back as that keel type (entry `KEEL_TYPE_NULL`
    /// is not read). The decimal entry is used with the column's precision
    /// and scale appended (`"DECIMAL"` becomes `DECIMAL(12,2)`); a decimal
    /// column of unknown precision gets no type. keel copies the strings
    /// at registration. NULL: keel's ingest makes no tables on the
    /// driver (`KEEL_STATUS_NOT_IMPLEMENTED`), and appends to existing
    /// ones only.
    pub column_types: *const *const c_char,
    /// Optional (a field past version 1's first table): the catalog
    /// (`keel_conn_tables` and the others, and ADBC's GetObjects) on this
    /// engine: an array of `KEEL_CATALOG_QUESTIONS` strings indexed by
    /// the `KEEL_CATALOG_*` numbers, each NUL-terminated UTF-8 SQL (one
    /// SELECT, in the driver's own syntax, without parameters), or NULL
    /// for a question the driver does not answer
    /// (`KEEL_STATUS_NOT_IMPLEMENTED`). Each query returns every row of
    /// its question, unfiltered and in any order, with exactly the
    /// columns keel.h documents for the matching `keel_conn_*` call (names
    /// and order; `keel_type` of `KEEL_CATALOG_COLUMNS` an integer, the
    /// `keel_type` a value of the column reads as): keel runs it as
    /// `SELECT * FROM (query) AS keel_catalog WHERE ... ORDER BY ...`,
    /// with the caller's names as parameters (exact names with `=`,
    /// patterns with `LIKE ? ESCAPE '\'`, which the engine must support,
    /// with case), and checks the columns. keel copies the strings at
    /// registration. NULL: no catalog (every catalog call is
    /// `KEEL_STATUS_NOT_IMPLEMENTED`).
    pub catalog_queries: *const *const c_char,
    /// Optional, both or none (fields past version 1's first table): a
    /// prepared statement's result columns before it runs, for
    /// `keel_stmt_column_count`, `keel_stmt_column_name` and
    /// `keel_stmt_column_type` (and `KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE`
    /// true); the bindings then run a statement without rows through
    /// `stmt_execute`, so that its rows affected reach the caller (Python's
    /// `rowcount`). NULL: those calls are `KEEL_STATUS_NOT_IMPLEMENTED`.
    pub stmt_column_count: keel_driver_stmt_column_count_fn,
    pub stmt_column: keel_driver_stmt_column_fn,
}

/// `catalog_queries` index: the catalogs (`keel_conn_catalogs`).
pub const KEEL_CATALOG_CATALOGS: u32 = 0;
/// `catalog_queries` index: the schemas (`keel_conn_schemas`).
pub const KEEL_CATALOG_SCHEMAS: u32 = 1;
/// `catalog_queries` index: tables and views (`keel_conn_tables`).
pub const KEEL_CATALOG_TABLES: u32 = 2;
/// `catalog_queries` index: columns (`keel_conn_columns`).
pub const KEEL_CATALOG_COLUMNS: u32 = 3;
/// `catalog_queries` index: primary keys (`keel_conn_primary_keys`).
pub const KEEL_CATALOG_PRIMARY_KEYS: u32 = 4;
/// `catalog_queries` index: foreign keys (`keel_conn_foreign_keys`; keel
/// filters on the referencing or the referenced side).
pub const KEEL_CATALOG_FOREIGN_KEYS: u32 = 5;
/// `catalog_queries` index: indexes (`keel_conn_indexes`).
pub const KEEL_CATALOG_INDEXES: u32 = 6;
/// `catalog_queries` index: UNIQUE constraints
/// (`keel_conn_unique_constraints`).
pub const KEEL_CATALOG_UNIQUE_CONSTRAINTS: u32 = 7;
/// `catalog_queries` index: CHECK constraints
/// (`keel_conn_check_constraints`).
pub const KEEL_CATALOG_CHECK_CONSTRAINTS: u32 = 8;
/// The number of entries of `catalog_queries`.
pub const KEEL_CATALOG_QUESTIONS: u32 = 9;

/// The size of the first version-1 table, without the fields added after
/// it: the least `size` keel takes.
pub(crate) const DRIVER_V1_FIRST_SIZE: usize = std::mem::offset_of!(DriverV1, append_open);

/// What keel hands the entry point of a driver it loads
/// (`keel_driver_load`): the functions a driver calls, so that a shared
/// library finds them without linking to keel's symbols. Valid for the
/// life of the process; the driver keeps the pointer.
#[repr(C)]
pub struct keel_driver_host {
    /// `sizeof(keel_driver_host)` of the keel that loads the driver; a
    /// newer keel adds functions at the end only.
    pub size: usize,
    /// `KEEL_DRIVER_ABI_VERSION` of the loading keel.
    pub abi_version: u32,
    /// `keel_error_new`.
    pub error_new: Option<
        unsafe extern "C" fn(status: i32, sqlstate: *const c_char, vendor_code: i32, message: *const c_char) -> *mut keel_error,
    >,
    /// `keel_error_free`.
    pub error_free: Option<unsafe extern "C" fn(err: *mut keel_error)>,
}

/// The entry point `keel_driver_load` calls, exported by the driver's
/// shared library under the name `keel_driver_entry`. Returns the
/// driver's table (see `keel_driver_v1`: keel copies it), or NULL to
/// refuse (a host too old for the driver).
pub type keel_driver_entry_fn = Option<unsafe extern "C" fn(host: *const keel_driver_host) -> *const DriverV1>;

/// Make an error for a driver to return through its `err_out` (keel takes
/// it from there and frees it). `status` is a `keel_status` other than
/// `KEEL_STATUS_OK`; `sqlstate` is the five-character SQLSTATE or NULL;
/// `vendor_code` the engine's own error number or 0; `message` UTF-8
/// text, NUL-terminated (never a password). The strings are copied;
/// invalid UTF-8 is replaced, a status that is not an error becomes
/// `KEEL_STATUS_UNKNOWN`, and an SQLSTATE that is not five ASCII letters
/// or digits is dropped. An SQLSTATE of class 40 (transaction rollback:
/// a serialization failure, a deadlock, a write conflict) makes the
/// error's retry safety `KEEL_RETRY_SAFETY_NOT_COMMITTED`, as keel.h
/// promises for those; every other error's is `KEEL_RETRY_SAFETY_UNKNOWN`.
///
/// Ownership: returns an error the caller owns: hand it to keel through
/// `*err_out`, or free it with `keel_error_free`.
///
/// Errors: none (returns NULL only when memory is exhausted).
///
/// Threads: any thread.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_error_new(
    status: i32,
    sqlstate: *const c_char,
    vendor_code: i32,
    message: *const c_char,
) -> *mut keel_error {
    super::foreign::error_new(status, sqlstate, vendor_code, message)
}

unsafe extern "C" fn host_error_new(
    status: i32,
    sqlstate: *const c_char,
    vendor_code: i32,
    message: *const c_char,
) -> *mut keel_error {
    keel_error_new(status, sqlstate, vendor_code, message)
}

unsafe extern "C" fn host_error_free(err: *mut keel_error) {
    crate::ffi::error::keel_error_free(err)
}

/// The host table every loaded driver receives.
pub(crate) static HOST: keel_driver_host = keel_driver_host {
    size: std::mem::size_of::<keel_driver_host>(),
    abi_version: KEEL_DRIVER_ABI_VERSION,
    error_new: Some(host_error_new),
    error_free: Some(host_error_free),
};
