/*
 * keel_driver.h -- the driver side of keel's C ABI: what a database
 * driver written in C, Zig, Odin or any language that can fill a table of
 * function pointers implements, so that keel_db_open opens its URLs with
 * keel's pool, statement cache, portable ? placeholders, batches, and
 * every binding. Programs that only use keel include keel.h; this file
 * includes it (keel_value, keel_error, keel_exec_result,
 * keel_tx_options and the status and type numbers are keel.h's).
 *
 * THE MINIMUM A DRIVER IMPLEMENTS
 *   Fill a keel_driver_v1 (zero it first): size = sizeof(keel_driver_v1),
 *   abi_version = KEEL_DRIVER_ABI_VERSION, name, schemes, and every
 *   function pointer not marked optional. Then either call
 *   keel_driver_register(&table, &err) from the program (keel.h), or build
 *   a shared library exporting
 *       const keel_driver_v1 *keel_driver_entry(const keel_driver_host *host);
 *   which keel_driver_load(path, &err) calls. keel copies the table at
 *   registration and checks it: a wrong abi_version, a size smaller than
 *   the first version 1's (up to rows_free), a NULL required function,
 *   append functions set but not all four, a name or scheme taken by
 *   another driver are refused with a message saying which.
 *
 * STATUS AND ERRORS
 *   Every function that can fail returns a keel_status (as int32_t) and
 *   takes keel_error **err_out last. On failure, return the status and, if
 *   err_out is not NULL, store an error made with keel_error_new (a loaded
 *   driver calls host->error_new: the same function): keel takes it and
 *   frees it. Anything else is the driver's bug, which keel reports as an
 *   error and survives: a failure status without an error gets a message
 *   naming the function; a number that is no keel_status is
 *   KEEL_STATUS_INTERNAL; an error stored with KEEL_STATUS_OK is freed.
 *   Outputs (*conn_out, *stmt_out, ...) are read only on success; a NULL
 *   object on success is KEEL_STATUS_INTERNAL.
 *
 * OBJECTS AND LIFETIMES
 *   A driver hands keel three kinds of objects as void pointers: a
 *   connection (connect), a statement (conn_prepare) and a cursor
 *   (stmt_query). keel frees each exactly once, children first: every
 *   cursor of a statement before stmt_free, every statement of a
 *   connection before conn_free, whatever order the program frees keel's
 *   handles in. A statement may run again (stmt_execute, stmt_query)
 *   while a cursor of an earlier run is still allocated: keel never reads
 *   that cursor again, but frees it (rows_free) only when the program
 *   frees it, since the text it handed out must stay valid until then; a
 *   driver whose engine cannot keep the old result when a statement runs
 *   again copies the current row first. Pointers keel
 *   passes in (SQL, values, the URL, names) are valid for the call only;
 *   copy what you keep. Pointers the driver hands out live as each
 *   function says: a row's text and bytes until the cursor's next
 *   rows_next or rows_free (a chunk's vectors and what they point at
 *   until its next rows_next_chunk or rows_free), column names until
 *   rows_free, the server version until conn_free.
 *
 * THREADS: WHAT KEEL PROMISES A DRIVER
 *   - Calls on one connection and on the statements and cursors made from
 *     it never overlap: keel makes them one at a time, holding that
 *     connection's lock, though not always from the same thread. A driver
 *     needs no lock of its own for a connection's state, but must not
 *     keep per-thread state about it (thread-locals) between calls.
 *   - conn_cancel is the exception: it runs on another thread while a call
 *     on the same connection runs (that is its point), never during or
 *     after that connection's conn_free. It must touch only what is safe
 *     to touch concurrently (an engine's interrupt call, an atomic).
 *   - Different connections are used by different threads at once, and
 *     connect may run on several threads at once: whatever the driver
 *     shares between connections (user_data, globals) it locks itself.
 *   - keel never calls a driver from inside a call of that driver.
 *
 * SQL
 *   keel rewrites its portable ? placeholder into the engine's form
 *   (placeholder_prefix) before conn_prepare, reading the SQL with the
 *   lexer the syntax fields describe (which quotes and comments the
 *   engine has), and refuses SQL holding more than one statement before
 *   the driver sees it. SQL reaches conn_prepare as UTF-8, NUL-terminated
 *   and with its length.
 *
 * FAULTS
 *   keel cannot defend itself against a driver that crashes, aborts,
 *   corrupts memory or unwinds (a C++ exception, a Rust panic) out of a
 *   function of this table: catch them in the driver and return an error.
 *   Every answer it can check (statuses, NULLs, flags, value types, UTF-8,
 *   lengths) it checks, and a wrong one becomes an error naming the
 *   driver and the function, never a crash of keel. KEEL_STATUS_NULL_ARGUMENT
 *   and KEEL_STATUS_PANIC are keel's own: a driver returning them gets
 *   KEEL_STATUS_INTERNAL. What keel cannot check it takes as given: a
 *   length that overstates the bytes behind its pointer, a chunk's row
 *   count past its vectors' ends. Keep those true.
 *
 * GROWTH
 *   keel_driver_v1 grows only at its end, by fields a driver may leave
 *   zero; a driver built against a newer header (larger size) still loads
 *   into an older keel, which reads the fields it knows, and one built
 *   against an older header (smaller size) into a newer keel, which reads
 *   only what that size covers and takes the rest as zero. A change that
 *   cannot be made that way gets a new abi_version.
 */


#ifndef KEEL_DRIVER_H
#define KEEL_DRIVER_H

/* Generated by cbindgen from src/ext/abi.rs by build.rs. Do not edit: change the Rust doc comments. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keel.h"

/* The name of the entry point keel_driver_load calls. */
#define KEEL_DRIVER_ENTRY "keel_driver_entry"


/**
 * The version of this table that `keel_driver_v1::abi_version` names.
 * A driver sets `abi_version = KEEL_DRIVER_ABI_VERSION` and `size =
 * sizeof(keel_driver_v1)`. keel refuses any other version.
 */
#define KEEL_DRIVER_ABI_VERSION 1

/**
 * Flag of `keel_driver_v1::flags`: the driver's URLs name a file, so that
 * `scheme://a/b.db` is the relative path `a/b.db` rather than host `a`,
 * database `b.db` (`scheme:///abs/path` and `scheme::memory:` work
 * either way).
 */
#define KEEL_DRIVER_URL_NAMES_A_FILE 1

/**
 * Flag of `keel_driver_v1::flags`: several cursors may be open on one
 * connection at once, each read at its own pace, with other statements
 * running between their reads (`KEEL_CAPABILITY_SEVERAL_CURSORS`).
 * Without it, keel refuses other statements on a connection while one
 * of its cursors is open.
 */
#define KEEL_DRIVER_SEVERAL_CURSORS 2

/**
 * Flag of `keel_driver_v1::flags`: the engine takes one INSERT of many
 * rows with parameters (`INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)`),
 * and such a statement that fails leaves none of its rows. keel then
 * runs a batch (`keel_stmt_execute_batch*`, `executemany`) of a plain
 * `INSERT INTO t [(columns)] VALUES (<row>)` as multi-row INSERTs of up
 * to 1000 rows, and after a failed one outside a transaction runs its
 * rows again one by one to name the failing row (see keel.h's batch
 * calls for what stays as row by row).
 */
#define KEEL_DRIVER_MULTIROW_INSERT 4

/**
 * Flag of `keel_driver_v1::syntax_flags`: `?` followed by digits (`?1`)
 * is the engine's own numbered parameter, kept as written.
 */
#define KEEL_SYNTAX_QUESTION_NUMBER 1

/**
 * A backslash escapes the next byte inside `'...'` and `"..."`.
 */
#define KEEL_SYNTAX_BACKSLASH_ESCAPES 2

/**
 * `E'...'` strings take backslash escapes.
 */
#define KEEL_SYNTAX_E_STRINGS 4

/**
 * `"..."` is a string rather than an identifier. The names keel writes
 * into SQL itself (ingest's table and columns) are quoted `"x"` (a `"`
 * doubled), or `` `x` `` (a `` ` `` doubled) with this flag.
 */
#define KEEL_SYNTAX_DOUBLE_QUOTED_STRINGS 8

/**
 * `` `x` `` quotes an identifier.
 */
#define KEEL_SYNTAX_BACKTICK_IDENTIFIERS 16

/**
 * `[x]` quotes an identifier.
 */
#define KEEL_SYNTAX_BRACKET_IDENTIFIERS 32

/**
 * `#` starts a comment to the end of the line.
 */
#define KEEL_SYNTAX_HASH_COMMENTS 64

/**
 * Block comments nest.
 */
#define KEEL_SYNTAX_NESTED_COMMENTS 128

/**
 * `$tag$ ... $tag$` is a string.
 */
#define KEEL_SYNTAX_DOLLAR_QUOTES 256

/**
 * `catalog_queries` index: the catalogs (`keel_conn_catalogs`).
 */
#define KEEL_CATALOG_CATALOGS 0

/**
 * `catalog_queries` index: the schemas (`keel_conn_schemas`).
 */
#define KEEL_CATALOG_SCHEMAS 1

/**
 * `catalog_queries` index: tables and views (`keel_conn_tables`).
 */
#define KEEL_CATALOG_TABLES 2

/**
 * `catalog_queries` index: columns (`keel_conn_columns`).
 */
#define KEEL_CATALOG_COLUMNS 3

/**
 * `catalog_queries` index: primary keys (`keel_conn_primary_keys`).
 */
#define KEEL_CATALOG_PRIMARY_KEYS 4

/**
 * `catalog_queries` index: foreign keys (`keel_conn_foreign_keys`; keel
 * filters on the referencing or the referenced side).
 */
#define KEEL_CATALOG_FOREIGN_KEYS 5

/**
 * `catalog_queries` index: indexes (`keel_conn_indexes`).
 */
#define KEEL_CATALOG_INDEXES 6

/**
 * `catalog_queries` index: UNIQUE constraints
 * (`keel_conn_unique_constraints`).
 */
#define KEEL_CATALOG_UNIQUE_CONSTRAINTS 7

/**
 * `catalog_queries` index: CHECK constraints
 * (`keel_conn_check_constraints`).
 */
#define KEEL_CATALOG_CHECK_CONSTRAINTS 8

/**
 * The number of entries of `catalog_queries`.
 */
#define KEEL_CATALOG_QUESTIONS 9

/**
 * The connection URL, parsed by keel, as `connect` receives it. Every
 * string is NUL-terminated UTF-8 (percent escapes decoded), borrowed for
 * the call only: copy what you keep. Absent parts are NULL.
 */
typedef struct keel_driver_url {
  /**
   * `sizeof(keel_driver_url)` of the keel that filled it; fields added
   * later go at the end, and a driver reads them only when `size`
   * covers them.
   */
  size_t size;
  /**
   * The scheme as written, lower-cased (`"duckdb"`).
   */
  const char *scheme;
  const char *user;
  /**
   * Never put it in an error message.
   */
  const char *password;
  const char *host;
  /**
   * The port, or -1 when the URL has none.
   */
  int32_t port;
  /**
   * The database name for a server, the file path or `:memory:` for a
   * file engine (`duckdb::memory:` gives `:memory:`, `duckdb:///tmp/a.db`
   * gives `/tmp/a.db`); never NULL, possibly empty.
   */
  const char *path;
} keel_driver_url;

/**
 * Opens a connection. `user_data` is the table's. Writes the driver's
 * connection object (any non-NULL pointer) to `*conn_out` and returns
 * `KEEL_STATUS_OK`, or returns an error status and, when `err_out` is not
 * NULL, a `keel_error_new` error in `*err_out` (keel takes it). May be
 * called from several threads at once (a pool opens connections in
 * parallel).
 */
typedef int32_t (*keel_driver_connect_fn)(void *user_data,
                                          const struct keel_driver_url *url,
                                          void **conn_out,
                                          keel_error **err_out);

/**
 * Frees a connection object. Called once, after every statement and
 * cursor of the connection was freed.
 */
typedef void (*keel_driver_conn_free_fn)(void *conn);

/**
 * A call on a connection that returns only a status.
 */
typedef int32_t (*keel_driver_conn_fn)(void *conn, keel_error **err_out);

/**
 * The engine's version text, NUL-terminated UTF-8, owned by the
 * connection and valid until `conn_free`. NULL reads as `""`.
 */
typedef const char *(*keel_driver_server_version_fn)(void *conn);

/**
 * Prepares exactly one statement: `sql` is `len` bytes of UTF-8 with no
 * NUL in them, followed by a NUL (so it is a C string too), with keel's
 * `?` already written in the engine's form (`placeholder_prefix`). Writes
 * the statement object to `*stmt_out`.
 */
typedef int32_t (*keel_driver_prepare_fn)(void *conn,
                                          const char *sql,
                                          size_t len,
                                          void **stmt_out,
                                          keel_error **err_out);

/**
 * Opens a transaction. `options` is never NULL; its `isolation` and `lock`
 * are valid `keel_isolation` and `keel_tx_lock` values (refuse with
 * `KEEL_STATUS_NOT_IMPLEMENTED` what the engine cannot do).
 */
typedef int32_t (*keel_driver_begin_fn)(void *conn,
                                        const keel_tx_options *options,
                                        keel_error **err_out);

/**
 * Whether a transaction is open on the connection as the engine sees it
 * (opened by `begin` or by SQL): 1 yes, 0 no. Any other answer counts as
 * yes (keel then rolls back when the connection returns to the pool).
 */
typedef int32_t (*keel_driver_in_transaction_fn)(void *conn);

/**
 * `SAVEPOINT name`, `RELEASE SAVEPOINT name`, `ROLLBACK TO SAVEPOINT name`:
 * `name` is NUL-terminated, a plain identifier keel checked.
 */
typedef int32_t (*keel_driver_conn_name_fn)(void *conn, const char *name, keel_error **err_out);

/**
 * The number of parameters of a statement.
 */
typedef size_t (*keel_driver_param_count_fn)(void *stmt);

/**
 * Binds parameter `index` (0-based, below the parameter count: keel
 * checked) to `value`, which is valid for the call only: copy what you
 * keep. `value->kind` is a valid `keel_type`, text is valid UTF-8, and
 * a decimal's text a decimal number (digits with an optional sign,
 * point and exponent, or `NaN`, `Infinity`, `-Infinity`), as for
 * `append_row`.
 */
typedef int32_t (*keel_driver_bind_fn)(void *stmt,
                                       size_t index,
                                       const keel_value *value,
                                       keel_error **err_out);

/**
 * A call on a statement that returns only a status.
 */
typedef int32_t (*keel_driver_stmt_fn)(void *stmt, keel_error **err_out);

/**
 * Runs a statement to its end, discarding rows, and writes what it did
 * into `*result` (never NULL; keel zeroed it and set its `size`).
 */
typedef int32_t (*keel_driver_execute_fn)(void *stmt, keel_exec_result *result, keel_error **err_out);

/**
 * Runs a statement and writes a cursor over its result to `*rows_out`.
 */
typedef int32_t (*keel_driver_query_fn)(void *stmt, void **rows_out, keel_error **err_out);

/**
 * Frees a statement object (after every cursor made from it).
 */
typedef void (*keel_driver_stmt_free_fn)(void *stmt);

/**
 * The number of columns of a cursor's result.
 */
typedef size_t (*keel_driver_column_count_fn)(void *rows);

/**
 * One result column, as `rows_column` describes it. keel fills the
 * struct with zeros before the call; the driver sets the fields.
 */
typedef struct keel_driver_column {
  /**
   * The column's name: `name_len` bytes of UTF-8 with no NUL among them (none needed at the end),
   * borrowed until `rows_free` of the cursor (keel copies it at once).
   */
  const char *name;
  size_t name_len;
  /**
   * The `keel_type` every value of the column reads as, or
   * `KEEL_TYPE_NULL` when each value carries its own type.
   */
  int32_t kind;
  /**
   * The engine's own type name (`"VARCHAR"`), NUL-terminated UTF-8,
   * borrowed like `name`; NULL for none. For a `KEEL_TYPE_DECIMAL`
   * column, `DECIMAL(p,s)` or `NUMERIC(p,s)` gives keel its precision
   * and scale (the Arrow export's decimal128(p, s)).
   */
  const char *engine_type;
  /**
   * A `keel_nullable` value.
   */
  int32_t nullable;
} keel_driver_column;

/**
 * Describes column `index` (below the column count) into `*column`.
 */
typedef int32_t (*keel_driver_column_fn)(void *rows,
                                         size_t index,
                                         struct keel_driver_column *column,
                                         keel_error **err_out);

/**
 * Advances the cursor: writes 1 to `*has_row` when it is on a row, 0 at
 * the end (and on every call after the end).
 */
typedef int32_t (*keel_driver_next_fn)(void *rows, int32_t *has_row, keel_error **err_out);

/**
 * Reads column `index` of the current row into `*value` (see
 * `keel_value` in keel.h for which field carries what). Text, bytes,
 * decimal, JSON and uuid data stay owned by the cursor and valid until
 * its next `rows_next` or `rows_free`.
 */
typedef int32_t (*keel_driver_value_fn)(void *rows,
                                        size_t index,
                                        keel_value *value,
                                        keel_error **err_out);

/**
 * Frees a cursor object.
 */
typedef void (*keel_driver_rows_free_fn)(void *rows);

/**
 * Opens an appender: the engine's bulk path into table `table` (a name as
 * given to `keel_conn_ingest`, not quoted, no schema), for the columns
 * `columns[0..n_columns]` (names, not quoted) in that order. Every string
 * is NUL-terminated UTF-8, borrowed for the call. Called inside a
 * transaction (keel's, or the caller's): the rows belong to it. Writes
 * the appender object to `*appender_out`.
 */
typedef int32_t (*keel_driver_append_open_fn)(void *conn,
                                              const char *table,
                                              const char *const *columns,
                                              size_t n_columns,
                                              void **appender_out,
                                              keel_error **err_out);

/**
 * Appends one row: `values[0..n_values]`, one per column of
 * `append_open` in its order (`n_values` is `n_columns`), valid for the
 * call only (copy what you keep); each `kind` is a valid `keel_type` and
 * text is valid UTF-8. The driver may hold rows until `append_finish`.
 */
typedef int32_t (*keel_driver_append_row_fn)(void *appender,
                                             const keel_value *values,
                                             size_t n_values,
                                             keel_error **err_out);

/**
 * One column of a chunk (`rows_next_chunk`): its validity and its values,
 * one per row of the chunk, laid out by the column's keel type (as
 * `rows_column` described it):
 *
 * - `KEEL_TYPE_BOOL`: `uint8_t`, 0 or 1;
 * - `KEEL_TYPE_INT64`, and `KEEL_TYPE_TIME`, `KEEL_TYPE_TIMESTAMP`,
 *   `KEEL_TYPE_TIMESTAMPTZ` in microseconds (as in `keel_value`):
 *   `int64_t`;
 * - `KEEL_TYPE_UINT64`: `uint64_t`; `KEEL_TYPE_DOUBLE`: `double`;
 * - `KEEL_TYPE_DATE`: `int32_t`, days since 1970-01-01;
 * - `KEEL_TYPE_TEXT`, `KEEL_TYPE_JSON`, `KEEL_TYPE_DECIMAL`,
 *   `KEEL_TYPE_BYTES`, `KEEL_TYPE_UUID`: `keel_driver_bytes`;
 * - `KEEL_TYPE_NULL`: every row is NULL; `data` is not read.
 *
 * This is DuckDB's vector layout (and Arrow's, but for the byte values),
 * so a driver over a columnar engine hands out many columns without a
 * copy.
 */
typedef struct keel_driver_vector {
  /**
   * Bit `r % 64` of word `r / 64` is 1 when row `r` holds a value, 0
   * when it is NULL; NULL: no row of the chunk is NULL.
   */
  const uint64_t *validity;
  /**
   * The values, an array of as many entries as the chunk has rows
   * (the entry of a NULL row is not read); NULL only for a column of
   * `KEEL_TYPE_NULL` or a chunk of 0 rows.
   */
  const void *data;
} keel_driver_vector;

/**
 * A run of rows, column by column, from `rows_next_chunk`.
 */
typedef struct keel_driver_chunk {
  /**
   * The rows in the chunk; 0 at the end of the result (and on every
   * call after the end).
   */
  size_t rows;
  /**
   * `rows_column_count` vectors, one per column in order.
   */
  const struct keel_driver_vector *columns;
} keel_driver_chunk;

/**
 * Reads the cursor's next chunk of rows into `*chunk` (keel zeroed it):
 * the rows after those of the last chunk, column by column. What
 * `chunk->columns` points at, and the data the vectors point at, stay
 * owned by the cursor and valid until its next `rows_next_chunk` or
 * `rows_free`.
 */
typedef int32_t (*keel_driver_next_chunk_fn)(void *rows,
                                             struct keel_driver_chunk *chunk,
                                             keel_error **err_out);

/**
 * Writes to `*count_out` the number of columns the result of a prepared
 * statement will have, before it runs: 0 for a statement that gives no
 * rows (an INSERT, UPDATE or DELETE without RETURNING, DDL), which keel
 * then runs with `stmt_execute` where it can. Returns
 * `KEEL_STATUS_NOT_IMPLEMENTED` (with an error saying why) when the
 * engine cannot tell for this statement before it runs; keel passes that
 * on, and the caller runs the statement and reads its cursor's columns.
 * Called at any time between `conn_prepare` and `stmt_free`, also while
 * a cursor of the connection is open: it must run nothing.
 */
typedef int32_t (*keel_driver_stmt_column_count_fn)(void *stmt,
                                                    size_t *count_out,
                                                    keel_error **err_out);

/**
 * Describes column `index` (below the count `stmt_column_count` gave)
 * of a prepared statement's result into `*column`, as `rows_column`
 * does for a cursor; the strings need to stay valid only until the next
 * call on the statement (keel copies them). The description must be the
 * one a run's cursor then gives (names and keel types).
 */
typedef int32_t (*keel_driver_stmt_column_fn)(void *stmt,
                                              size_t index,
                                              struct keel_driver_column *column,
                                              keel_error **err_out);

/**
 * A driver: what it is called, how its SQL is written, and the functions
 * keel calls. Fill one (zero what you do not set) and pass it to
 * `keel_driver_register`, or return it from `keel_driver_entry` of a
 * shared library loaded by `keel_driver_load`.
 *
 * keel copies the table and its strings at registration: the struct and
 * the strings need to live only for that call. The functions must stay
 * in memory for the life of the process (keel never unloads a driver).
 *
 * Required: every function pointer not marked optional. A NULL required
 * pointer is refused at registration, naming it.
 */
typedef struct keel_driver_v1 {
  /**
   * `sizeof(keel_driver_v1)` as the driver was built. A newer header
   * adds fields at the end only; keel reads the fields its own version
   * knows that `size` covers (the rest count as NULL), and refuses a
   * size smaller than the first version 1's (the table up to
   * `rows_free`).
   */
  size_t size;
  /**
   * `KEEL_DRIVER_ABI_VERSION` as the driver was built (1).
   */
  uint32_t abi_version;
  /**
   * `KEEL_DRIVER_*` flags.
   */
  uint32_t flags;
  /**
   * The driver's name (`"duckdb"`): lower-case letters, digits and
   * `_`; it is `keel_error_driver` of the driver's errors.
   */
  const char *name;
  /**
   * The URL schemes that select the driver, separated by commas
   * (`"duckdb"`, `"pg,pgsql"`): each lower-case letters, digits and `+`.
   */
  const char *schemes;
  /**
   * Passed back to `connect` as is. Optional.
   */
  void *user_data;
  /**
   * The engine's name as its users know it (`"DuckDB"`), for messages.
   * Optional: NULL uses `name`.
   */
  const char *syntax_engine;
  /**
   * What keel's `?` becomes: NULL or `""` keeps `?`; a prefix such as
   * `"$"` numbers the parameters from 1 (`$1`, `$2`), and the same form
   * written by the caller is the engine's own numbered parameter.
   */
  const char *placeholder_prefix;
  /**
   * `KEEL_SYNTAX_*` flags: how the engine's SQL differs from standard
   * SQL (`'...'` strings, `"..."` identifiers, `--` and block
   * comments). 0 for standard SQL.
   */
  uint32_t syntax_flags;
  /**
   * Bytes that start and continue a word besides letters, digits and
   * `_` (T-SQL's `@`), NUL-terminated; NULL for none.
   */
  const char *word_bytes;
  keel_driver_connect_fn connect;
  keel_driver_conn_free_fn conn_free;
  /**
   * A cheap round trip proving the connection works.
   */
  keel_driver_conn_fn conn_ping;
  keel_driver_server_version_fn conn_server_version;
  keel_driver_prepare_fn conn_prepare;
  keel_driver_begin_fn conn_begin;
  keel_driver_conn_fn conn_commit;
  keel_driver_conn_fn conn_rollback;
  keel_driver_in_transaction_fn conn_in_transaction;
  /**
   * Optional: NULL runs `SAVEPOINT <name>` through `conn_prepare`.
   */
  keel_driver_conn_name_fn conn_savepoint;
  /**
   * Optional: NULL runs `RELEASE SAVEPOINT <name>`.
   */
  keel_driver_conn_name_fn conn_release;
  /**
   * Optional: NULL runs `ROLLBACK TO SAVEPOINT <name>`.
   */
  keel_driver_conn_name_fn conn_rollback_to;
  /**
   * Optional: stops the statement the connection runs at the moment,
   * which then fails with `KEEL_STATUS_CANCELLED`. The one function
   * called while another call on the same connection runs, from another
   * thread; never during or after `conn_free`. NULL: keel's cancel
   * calls give `KEEL_STATUS_NOT_IMPLEMENTED`.
   */
  keel_driver_conn_fn conn_cancel;
  keel_driver_param_count_fn stmt_param_count;
  keel_driver_bind_fn stmt_bind;
  keel_driver_stmt_fn stmt_clear_bindings;
  keel_driver_execute_fn stmt_execute;
  keel_driver_query_fn stmt_query;
  keel_driver_stmt_free_fn stmt_free;
  keel_driver_column_count_fn rows_column_count;
  keel_driver_column_fn rows_column;
  keel_driver_next_fn rows_next;
  keel_driver_value_fn rows_value;
  keel_driver_rows_free_fn rows_free;
  /**
   * Optional, all four or none (fields past version 1's first table,
   * read only when `size` covers them): the engine's bulk path
   * (DuckDB's appender), which `keel_conn_ingest` and ADBC ingest use
   * instead of a batch of prepared INSERTs. keel calls `append_open`,
   * `append_row` for every row, `append_finish` once, and
   * `append_free` always (also after an error, when the rows not
   * finished are dropped). Nothing but `conn_cancel` is called on the
   * connection while its appender is open. A driver without them gets
   * a batch of its prepared INSERTs.
   */
  keel_driver_append_open_fn append_open;
  keel_driver_append_row_fn append_row;
  /**
   * Writes every row appended into the table (in the transaction);
   * errors of rows the driver held (a constraint) come back here.
   */
  keel_driver_stmt_fn append_finish;
  /**
   * Frees an appender object.
   */
  keel_driver_stmt_free_fn append_free;
  /**
   * Optional (a field past version 1's first table): reads a cursor a
   * chunk of rows at a time, column by column, for an engine that
   * keeps its results that way (DuckDB's data chunks). When it is set,
   * keel reads every cursor of the driver with it and never calls
   * `rows_next` or `rows_value` (which must still be set); rows are
   * then handed to the caller from the chunk, and Arrow batches built
   * from whole vectors. keel checks every value of a chunk once, when
   * it arrives (a bool that is not 0 or 1, text that is not UTF-8, a
   * uuid that is not 16 bytes, a time out of the day are the driver's
   * errors), so a driver need not. NULL: keel reads rows with
   * `rows_next` and `rows_value`.
   */
  keel_driver_next_chunk_fn rows_next_chunk;
  /**
   * Optional (a field past version 1's first table): the engine's
   * column type for each keel type, which `keel_conn_ingest` declares
   * in a table it makes (modes create, replace, create_append): an
   * array of `KEEL_TYPE_DECIMAL + 1` strings indexed by `keel_type`,
   * each NUL-terminated UTF-8, or NULL where the engine has no type
   * whose values read back as that keel type (entry `KEEL_TYPE_NULL`
   * is not read). The decimal entry is used with the column's precision
   * and scale appended (`"DECIMAL"` becomes `DECIMAL(12,2)`); a decimal
   * column of unknown precision gets no type. keel copies the strings
   * at registration. NULL: keel's ingest makes no tables on the
   * driver (`KEEL_STATUS_NOT_IMPLEMENTED`), and appends to existing
   * ones only.
   */
  const char *const *column_types;
  /**
   * Optional (a field past version 1's first table): the catalog
   * (`keel_conn_tables` and the others, and ADBC's GetObjects) on this
   * engine: an array of `KEEL_CATALOG_QUESTIONS` strings indexed by
   * the `KEEL_CATALOG_*` numbers, each NUL-terminated UTF-8 SQL (one
   * SELECT, in the driver's own syntax, without parameters), or NULL
   * for a question the driver does not answer
   * (`KEEL_STATUS_NOT_IMPLEMENTED`). Each query returns every row of
   * its question, unfiltered and in any order, with exactly the
   * columns keel.h documents for the matching `keel_conn_*` call (names
   * and order; `keel_type` of `KEEL_CATALOG_COLUMNS` an integer, the
   * `keel_type` a value of the column reads as): keel runs it as
   * `SELECT * FROM (query) AS keel_catalog WHERE ... ORDER BY ...`,
   * with the caller's names as parameters (exact names with `=`,
   * patterns with `LIKE ? ESCAPE '\'`, which the engine must support,
   * with case), and checks the columns. keel copies the strings at
   * registration. NULL: no catalog (every catalog call is
   * `KEEL_STATUS_NOT_IMPLEMENTED`).
   */
  const char *const *catalog_queries;
  /**
   * Optional, both or none (fields past version 1's first table): a
   * prepared statement's result columns before it runs, for
   * `keel_stmt_column_count`, `keel_stmt_column_name` and
   * `keel_stmt_column_type` (and `KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE`
   * true); the bindings then run a statement without rows through
   * `stmt_execute`, so that its rows affected reach the caller (Python's
   * `rowcount`). NULL: those calls are `KEEL_STATUS_NOT_IMPLEMENTED`.
   */
  keel_driver_stmt_column_count_fn stmt_column_count;
  keel_driver_stmt_column_fn stmt_column;
} keel_driver_v1;

/**
 * What keel hands the entry point of a driver it loads
 * (`keel_driver_load`): the functions a driver calls, so that a shared
 * library finds them without linking to keel's symbols. Valid for the
 * life of the process; the driver keeps the pointer.
 */
typedef struct keel_driver_host {
  /**
   * `sizeof(keel_driver_host)` of the keel that loads the driver; a
   * newer keel adds functions at the end only.
   */
  size_t size;
  /**
   * `KEEL_DRIVER_ABI_VERSION` of the loading keel.
   */
  uint32_t abi_version;
  /**
   * `keel_error_new`.
   */
  keel_error *(*error_new)(int32_t status,
                           const char *sqlstate,
                           int32_t vendor_code,
                           const char *message);
  /**
   * `keel_error_free`.
   */
  void (*error_free)(keel_error *err);
} keel_driver_host;

/**
 * The entry point `keel_driver_load` calls, exported by the driver's
 * shared library under the name `keel_driver_entry`. Returns the
 * driver's table (see `keel_driver_v1`: keel copies it), or NULL to
 * refuse (a host too old for the driver).
 */
typedef const struct keel_driver_v1 *(*keel_driver_entry_fn)(const struct keel_driver_host *host);

/**
 * Text, JSON, decimal text, bytes or a uuid in a chunk's vector: `len`
 * bytes at `data` (which may be NULL when `len` is 0). Text, JSON and
 * decimal text are UTF-8, not NUL-terminated; a uuid is 16 bytes.
 */
typedef struct keel_driver_bytes {
  const uint8_t *data;
  size_t len;
} keel_driver_bytes;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Make an error for a driver to return through its `err_out` (keel takes
 * it from there and frees it). `status` is a `keel_status` other than
 * `KEEL_STATUS_OK`; `sqlstate` is the five-character SQLSTATE or NULL;
 * `vendor_code` the engine's own error number or 0; `message` UTF-8
 * text, NUL-terminated (never a password). The strings are copied;
 * invalid UTF-8 is replaced, a status that is not an error becomes
 * `KEEL_STATUS_UNKNOWN`, and an SQLSTATE that is not five ASCII letters
 * or digits is dropped. An SQLSTATE of class 40 (transaction rollback:
 * a serialization failure, a deadlock, a write conflict) makes the
 * error's retry safety `KEEL_RETRY_SAFETY_NOT_COMMITTED`, as keel.h
 * promises for those; every other error's is `KEEL_RETRY_SAFETY_UNKNOWN`.
 *
 * Ownership: returns an error the caller owns: hand it to keel through
 * `*err_out`, or free it with `keel_error_free`.
 *
 * Errors: none (returns NULL only when memory is exhausted).
 *
 * Threads: any thread.
 *
 * Since: 0.2.0
 */
keel_error *keel_error_new(int32_t status,
                           const char *sqlstate,
                           int32_t vendor_code,
                           const char *message);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* KEEL_DRIVER_H */
