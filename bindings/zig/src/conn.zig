//! `Conn` (a `keel_conn`: one connection checked out of a pool), its
//! transactions and savepoints, and `Stmt` (a `keel_stmt`: a prepared
//! statement on it).
//!
//! Thread rule (from keel.h): a `Conn` may move between threads but must
//! not be used by two at once; its statements and cursors go with it.

const std = @import("std");
const c = @import("c.zig");
const errors = @import("errors.zig");
const values = @import("values.zig");
const rows_mod = @import("rows.zig");
const cstr = @import("cstr.zig");
const CStr = cstr.CStr;

const Error = errors.Error;
const AllocError = errors.AllocError;
const Diagnostics = errors.Diagnostics;
const ErrOut = errors.ErrOut;
const Rows = rows_mod.Rows;

/// The schema and table of the catalog calls that name one table, as the
/// C strings keel reads; a NUL byte in either is refused (`cstr.z`),
/// where C would look up the name cut there.
fn tableNames(diags: ?*Diagnostics, schema: ?[:0]const u8, table: [:0]const u8) Error!struct { schema: ?[*:0]const u8, table: [*:0]const u8 } {
    return .{ .schema = try cstr.zOpt(schema, diags, "schema name"), .table = try cstr.z(table, diags, "table name") };
}

/// What a statement that returns no rows did.
pub const ExecResult = struct {
    /// Rows inserted, updated or deleted (0 for other statements).
    rows_affected: u64,
    /// The id the engine gave the last inserted row, when it reports one
    /// (SQLite: `sqlite3_last_insert_rowid`).
    last_insert_id: ?i64,

    pub fn fromC(r: c.keel_exec_result) ExecResult {
        return .{
            .rows_affected = r.rows_affected,
            .last_insert_id = if (r.has_last_insert_id) r.last_insert_id else null,
        };
    }
};

/// `keel_dialect`: the SQL dialect of an engine.
pub const Dialect = enum(i32) {
    unknown = c.KEEL_DIALECT_UNKNOWN,
    sqlite = c.KEEL_DIALECT_SQLITE,
    postgres = c.KEEL_DIALECT_POSTGRES,
    mysql = c.KEEL_DIALECT_MYSQL,
    mssql = c.KEEL_DIALECT_MSSQL,
    _,
};

/// `keel_capability`: what `Conn.supports` is asked.
pub const Capability = enum(i32) {
    /// Several cursors of one connection may be open at once, with other
    /// statements between their reads (SQLite). Where not (PostgreSQL,
    /// MySQL, SQL Server), other work on the connection fails with
    /// `error.InvalidState` while a cursor is open: read it to its end or
    /// `deinit` it first.
    several_cursors = c.KEEL_CAPABILITY_SEVERAL_CURSORS,
    /// `Stmt.columnCount` and the other `Stmt.column*` answer before the
    /// statement runs.
    columns_after_prepare = c.KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE,
};

/// `keel_isolation`. An engine without the level asked for gives the next
/// stronger one it has (SQLite: always serializable).
pub const Isolation = enum(i32) {
    default = c.KEEL_ISOLATION_DEFAULT,
    read_uncommitted = c.KEEL_ISOLATION_READ_UNCOMMITTED,
    read_committed = c.KEEL_ISOLATION_READ_COMMITTED,
    repeatable_read = c.KEEL_ISOLATION_REPEATABLE_READ,
    snapshot = c.KEEL_ISOLATION_SNAPSHOT,
    serializable = c.KEEL_ISOLATION_SERIALIZABLE,
};

/// `keel_tx_lock`: when SQLite takes its write lock. Other engines accept
/// only `.default`.
pub const TxLock = enum(i32) {
    default = c.KEEL_TX_LOCK_DEFAULT,
    deferred = c.KEEL_TX_LOCK_DEFERRED,
    immediate = c.KEEL_TX_LOCK_IMMEDIATE,
    exclusive = c.KEEL_TX_LOCK_EXCLUSIVE,
};

/// Options for `Conn.begin`; `.{}` means the engine's defaults.
pub const TxOptions = struct {
    isolation: Isolation = .default,
    read_only: bool = false,
    lock: TxLock = .default,

    fn toC(o: TxOptions) c.keel_tx_options {
        return .{ .size = @sizeOf(c.keel_tx_options), .isolation = @intFromEnum(o.isolation), .read_only = o.read_only, .lock = @intFromEnum(o.lock) };
    }
};

/// The error set and payload of what `Conn.transaction` returns for a
/// callback of type `F`.
pub fn TransactionResult(comptime F: type) type {
    const R = @typeInfo(F).@"fn".return_type orelse @compileError("keel: transaction callback must not be generic");
    return switch (@typeInfo(R)) {
        .error_union => |eu| (Error || eu.error_set)!eu.payload,
        else => Error!R,
    };
}

/// The one body of `Conn.exec` and `Db.exec`: `cfn` is
/// `keel_conn_exec_len` or `keel_db_exec_len`, which take the same
/// arguments after the handle. The SQL goes with its length, uncopied; C
/// refuses a NUL byte in it (`error.InvalidArgument`), never cutting the
/// statement short there.
pub fn execOn(handle: anytype, comptime cfn: anytype, diags: ?*Diagnostics, sql: []const u8, args: anytype) Error!ExecResult {
    var params: [values.paramCount(@TypeOf(args))]c.keel_value = undefined;
    values.fillParams(@TypeOf(args), &args, &params);
    var result: c.keel_exec_result = .{ .size = @sizeOf(c.keel_exec_result) };
    var e = ErrOut.init(diags);
    try e.check(cfn(handle, sql.ptr, sql.len, &params, params.len, &result, e.ptr()));
    return .fromC(result);
}

/// The one body of `Conn.query` and `Db.query` (`keel_conn_query_len` or
/// `keel_db_query_len`).
pub fn queryOn(handle: anytype, comptime cfn: anytype, diags: ?*Diagnostics, sql: []const u8, args: anytype) Error!Rows {
    var params: [values.paramCount(@TypeOf(args))]c.keel_value = undefined;
    values.fillParams(@TypeOf(args), &args, &params);
    var rows: ?*c.keel_rows = null;
    var e = ErrOut.init(diags);
    try e.check(cfn(handle, sql.ptr, sql.len, &params, params.len, &rows, e.ptr()));
    return .{ .handle = rows.?, .diags = diags };
}

/// One connection checked out of a `Db`. `deinit` returns it to the pool
/// (rolling back an open transaction first); `discard` closes its session
/// instead.

pub const Conn = struct {
    handle: *c.keel_conn,
    /// Used only for NUL-terminated copies of savepoint names of 1 KiB or
    /// more (SQL goes to C with its length, uncopied).
    allocator: std.mem.Allocator,
    /// Where failed calls put their details; inherited from the `Db`, and
    /// passed on to statements and cursors made from this connection.
    diags: ?*Diagnostics,
    /// Set by `discard`: `deinit` closes the session instead of returning it.
    discarded: bool = false,

    /// Return the connection to its pool (`keel_conn_return`), rolled back
    /// if a transaction is open; after `discard`, close its session instead
    /// (`keel_conn_close`). Statements and cursors made from it stay valid
    /// and keep it checked out until they are freed too. Cannot fail.
    pub fn deinit(conn: *Conn) void {
        if (conn.discarded) {
            // Its only error is a handle poisoned by an earlier panic,
            // which is freed and closed all the same.
            _ = c.keel_conn_close(conn.handle, null);
        } else {
            c.keel_conn_return(conn.handle);
        }
        conn.* = undefined;
    }

    /// Have `deinit` close this connection's session instead of returning
    /// it to the pool: for a session whose state you changed (`SET
    /// search_path`, temporary tables) or no longer trust. An open
    /// transaction then ends without effect, and the pool opens a new
    /// session when it needs one. Fits `defer conn.deinit()`:
    /// `conn.discard();` anywhere before it runs.
    pub fn discard(conn: *Conn) void {
        conn.discarded = true;
    }

    /// Run one statement, discarding any rows. `args` is a tuple with one
    /// element per `?` placeholder (see `keel.Value` for the types).
    pub fn exec(conn: *const Conn, sql: []const u8, args: anytype) Error!ExecResult {
        return execOn(conn.handle, c.keel_conn_exec_len, conn.diags, sql, args);
    }

    /// Run a query; read its rows with `Rows.next` and free the cursor with
    /// `Rows.deinit` before this connection.
    pub fn query(conn: *const Conn, sql: []const u8, args: anytype) Error!Rows {
        return queryOn(conn.handle, c.keel_conn_query_len, conn.diags, sql, args);
    }

    /// Run a query and return its result as an Arrow C stream (see
    /// `Rows.arrowStream`), which any Arrow consumer imports; the caller
    /// releases it (`stream.release.?(&stream)`).
    pub fn queryArrow(conn: *const Conn, sql: []const u8, args: anytype) Error!c.ArrowArrayStream {
        var rows = try conn.query(sql, args);
        defer rows.deinit();
        return rows.arrowStream();
    }

    /// `keel_ingest_mode`: what `Conn.ingest` does with the table.
    pub const IngestMode = enum(i32) {
        /// Make the table; `error.AlreadyExists` when it exists.
        create = c.KEEL_INGEST_MODE_CREATE,
        /// Add the rows to the table that exists.
        append = c.KEEL_INGEST_MODE_APPEND,
        /// Drop the table if it exists, make it again, add the rows.
        replace = c.KEEL_INGEST_MODE_REPLACE,
        /// Make the table unless it exists, then add the rows.
        create_append = c.KEEL_INGEST_MODE_CREATE_APPEND,
    };

    /// `keel_conn_ingest`: load every row of an Arrow C stream into
    /// `table` on the engine's bulk path (PostgreSQL's binary COPY,
    /// MySQL's LOAD DATA LOCAL, SQL Server's bulk load, one transaction on
    /// SQLite); the number of rows. The call takes the stream and releases
    /// it, whatever the outcome. A `table` with a NUL byte before its end
    /// is `error.InvalidArgument` (C would load the table named up to it).
    pub fn ingest(conn: *const Conn, table: [:0]const u8, stream: *c.ArrowArrayStream, mode: IngestMode) Error!u64 {
        // A name refused here never reaches keel, which would have released
        // the stream on its own errors: release it, so the caller's rule
        // stays "the call takes the stream", whatever the outcome.
        const name = cstr.z(table, conn.diags, "table name") catch |err| {
            if (stream.release) |free| free(stream);
            return err;
        };
        var n: u64 = 0;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_ingest(conn.handle, name, stream, @intFromEnum(mode), &n, e.ptr()));
        return n;
    }

    /// Run a query and read column 0 of its first row as `T` with
    /// `Row.getAlloc` (text and bytes are copied with `allocator`; the
    /// caller frees them). Null when the query gives no row; further rows
    /// are not read.
    pub fn queryOne(conn: *const Conn, comptime T: type, allocator: std.mem.Allocator, sql: []const u8, args: anytype) AllocError!?T {
        var rows = try conn.query(sql, args);
        defer rows.deinit();
        const row = (try rows.next()) orelse return null;
        return try row.getAlloc(allocator, T, 0);
    }

    /// Run a query and return its first row as a `T` that owns its text
    /// and bytes (`Row.scanAlloc`: fields matched to columns by name), or
    /// null when there is no row; the cursor is freed before it returns.
    /// Free the result with `keel.freeScanned(allocator, value)`. Like
    /// zig-sqlite's `oneAlloc` and pg.zig's `row.to(T, .{ .allocator })`.
    pub fn queryRow(conn: *const Conn, comptime T: type, allocator: std.mem.Allocator, sql: []const u8, args: anytype) AllocError!?T {
        var rows = try conn.query(sql, args);
        defer rows.deinit();
        const row = (try rows.next()) orelse return null;
        return try row.scanAlloc(allocator, T);
    }

    /// Prepare one statement for repeated runs.
    pub fn prepare(conn: *const Conn, sql: []const u8) Error!Stmt {
        var stmt: ?*c.keel_stmt = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_prepare_len(conn.handle, sql.ptr, sql.len, &stmt, e.ptr()));
        return .{ .handle = stmt.?, .diags = conn.diags };
    }

    /// Take the statement for `sql` from the connection's statement cache
    /// (the one `exec` and `query` use; `keel_conn_prepare_cached`), or
    /// prepare it; `Stmt.deinit` puts it back for the next caller of the
    /// same SQL.
    pub fn prepareCached(conn: *const Conn, sql: []const u8) Error!Stmt {
        var stmt: ?*c.keel_stmt = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_prepare_cached(conn.handle, sql.ptr, sql.len, &stmt, e.ptr()));
        return .{ .handle = stmt.?, .diags = conn.diags };
    }

    /// Begin a transaction. Pair it with `commit` or `rollback`, e.g.
    /// `try conn.begin(.{}); errdefer conn.rollback() catch {};`.
    pub fn begin(conn: *const Conn, options: TxOptions) Error!void {
        const o = options.toC();
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_begin(conn.handle, &o, e.ptr()));
    }

    /// Commit the open transaction. The transaction is over when this
    /// returns, committed or not: a commit that fails is rolled back by
    /// keel (`keel_conn_commit`), and its error returned.
    pub fn commit(conn: *const Conn) Error!void {
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_commit(conn.handle, e.ptr()));
    }

    /// Roll back the open transaction.
    pub fn rollback(conn: *const Conn) Error!void {
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_rollback(conn.handle, e.ptr()));
    }

    /// Run `func(context, conn)` in a transaction: commit when it returns
    /// normally, roll back when it returns an error (which is passed on).
    /// If the commit itself fails, the transaction is over all the same
    /// (`commit`) and the commit's error returned.
    pub fn transaction(conn: *const Conn, options: TxOptions, context: anytype, comptime func: anytype) TransactionResult(@TypeOf(func)) {
        try conn.begin(options);
        const R = @typeInfo(@TypeOf(func)).@"fn".return_type.?;
        // A callback that cannot fail (it returns a plain `T`) commits
        // whatever it returns.
        const result = if (@typeInfo(R) == .error_union) func(context, conn) catch |err| {
            conn.rollback() catch {};
            return err;
        } else func(context, conn);
        try conn.commit();
        return result;
    }

    /// Set a savepoint (a plain identifier). On SQLite, a savepoint outside
    /// a transaction starts one.
    pub fn savepoint(conn: *const Conn, name: []const u8) AllocError!void {
        return conn.named(c.keel_conn_savepoint, name);
    }

    /// Release (forget) the savepoint `name` and every later one, keeping
    /// their changes (`keel_conn_savepoint_release`).
    pub fn releaseSavepoint(conn: *const Conn, name: []const u8) AllocError!void {
        return conn.named(c.keel_conn_savepoint_release, name);
    }

    /// `releaseSavepoint` under its earlier name.
    pub fn release(conn: *const Conn, name: []const u8) AllocError!void {
        return conn.releaseSavepoint(name);
    }

    /// Undo everything since the savepoint `name`, which stays set.
    pub fn rollbackTo(conn: *const Conn, name: []const u8) AllocError!void {
        return conn.named(c.keel_conn_rollback_to, name);
    }

    fn named(conn: *const Conn, comptime f: anytype, name: []const u8) AllocError!void {
        var s: CStr = .{};
        defer s.deinit(conn.allocator);
        const z = try s.init(conn.allocator, name, conn.diags, "savepoint name");
        var e = ErrOut.init(conn.diags);
        try e.check(f(conn.handle, z, e.ptr()));
    }

    /// Check that the connection still works.
    pub fn ping(conn: *const Conn) Error!void {
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_ping(conn.handle, e.ptr()));
    }

    /// Whether a transaction is open.
    pub fn inTransaction(conn: *const Conn) bool {
        return c.keel_conn_in_transaction(conn.handle);
    }

    /// The SQL dialect of the engine.
    pub fn dialect(conn: *const Conn) Dialect {
        return @enumFromInt(c.keel_conn_dialect(conn.handle));
    }

    /// Whether the connection's engine has `capability`
    /// (`keel_conn_supports`).
    pub fn supports(conn: *const Conn, capability: Capability) Error!bool {
        var yes = false;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_supports(conn.handle, @intFromEnum(capability), &yes, e.ptr()));
        return yes;
    }

    // --- the catalog (keel.h: keel_conn_catalogs and the others) ---------
    //
    // Each returns ordinary `Rows` with the columns keel.h lists for the C
    // call of the same name, read by index or by name (`Rows.columnIndex`).
    // Patterns take `%` and `_`, with a backslash before either to mean it
    // literally, and compare with case; `null` matches everything. A name
    // or pattern with a NUL byte before its end is `error.InvalidArgument`,
    // refused before keel is called: C would match the text cut there.

    /// `keel_conn_catalogs`: SQLite's databases, PostgreSQL's database;
    /// none on MySQL/MariaDB.
    pub fn catalogs(conn: *const Conn) Error!Rows {
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_catalogs(conn.handle, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// `keel_conn_schemas`: schemas whose name matches `pattern`.
    pub fn schemas(conn: *const Conn, pattern: ?[:0]const u8) Error!Rows {
        const p = try cstr.zOpt(pattern, conn.diags, "schema pattern");
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_schemas(conn.handle, null, p, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// What `Conn.tables` and `Conn.columns` match.
    pub const CatalogFilter = struct {
        /// An exact catalog name, or null for every one.
        catalog: ?[:0]const u8 = null,
        schema: ?[:0]const u8 = null,
        table: ?[:0]const u8 = null,
        /// `Conn.columns` only.
        column: ?[:0]const u8 = null,
        /// `Conn.tables` only: comma-separated types ("TABLE,VIEW"), null
        /// for all.
        types: ?[:0]const u8 = null,
    };

    /// `keel_conn_tables`: tables and views that match `f`.
    pub fn tables(conn: *const Conn, f: CatalogFilter) Error!Rows {
        const d = conn.diags;
        const catalog = try cstr.zOpt(f.catalog, d, "catalog name");
        const schema = try cstr.zOpt(f.schema, d, "schema pattern");
        const table = try cstr.zOpt(f.table, d, "table pattern");
        const types = try cstr.zOpt(f.types, d, "table types");
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(d);
        try e.check(c.keel_conn_tables(conn.handle, catalog, schema, table, types, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// `keel_conn_columns`: columns of the tables that match `f`.
    pub fn columns(conn: *const Conn, f: CatalogFilter) Error!Rows {
        const d = conn.diags;
        const catalog = try cstr.zOpt(f.catalog, d, "catalog name");
        const schema = try cstr.zOpt(f.schema, d, "schema pattern");
        const table = try cstr.zOpt(f.table, d, "table pattern");
        const column = try cstr.zOpt(f.column, d, "column pattern");
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(d);
        try e.check(c.keel_conn_columns(conn.handle, catalog, schema, table, column, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// `keel_conn_primary_keys`: the primary key of the table named exactly
    /// `table` in `schema` (null: any).
    pub fn primaryKeys(conn: *const Conn, schema: ?[:0]const u8, table: [:0]const u8) Error!Rows {
        const names = try tableNames(conn.diags, schema, table);
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_primary_keys(conn.handle, null, names.schema, names.table, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// `keel_foreign_keys`: which foreign keys `Conn.foreignKeys` lists.
    pub const ForeignKeys = enum(i32) {
        /// The keys the table holds.
        imported = c.KEEL_FOREIGN_KEYS_IMPORTED,
        /// The keys that reference the table.
        exported = c.KEEL_FOREIGN_KEYS_EXPORTED,
    };

    /// `keel_conn_foreign_keys`: foreign keys of the table named exactly
    /// `table`, a row per column pair.
    pub fn foreignKeys(conn: *const Conn, schema: ?[:0]const u8, table: [:0]const u8, direction: ForeignKeys) Error!Rows {
        const names = try tableNames(conn.diags, schema, table);
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_foreign_keys(conn.handle, null, names.schema, names.table, @intFromEnum(direction), &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// `keel_conn_indexes`: indexes of the table named exactly `table`, a
    /// row per key column.
    pub fn indexes(conn: *const Conn, schema: ?[:0]const u8, table: [:0]const u8) Error!Rows {
        const names = try tableNames(conn.diags, schema, table);
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_indexes(conn.handle, null, names.schema, names.table, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// `keel_conn_unique_constraints`: UNIQUE constraints of the table
    /// named exactly `table`, a row per key column.
    pub fn uniqueConstraints(conn: *const Conn, schema: ?[:0]const u8, table: [:0]const u8) Error!Rows {
        const names = try tableNames(conn.diags, schema, table);
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_unique_constraints(conn.handle, null, names.schema, names.table, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// `keel_conn_check_constraints`: CHECK constraints of the table named
    /// exactly `table`, with their condition's text.
    pub fn checkConstraints(conn: *const Conn, schema: ?[:0]const u8, table: [:0]const u8) Error!Rows {
        const names = try tableNames(conn.diags, schema, table);
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_check_constraints(conn.handle, null, names.schema, names.table, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = conn.diags };
    }

    /// The engine's version ("3.45.3" for SQLite); valid until `deinit`.
    pub fn serverVersion(conn: *const Conn) Error![]const u8 {
        var v: ?[*:0]const u8 = null;
        var e = ErrOut.init(conn.diags);
        try e.check(c.keel_conn_server_version(conn.handle, &v, e.ptr()));
        return std.mem.span(v.?);
    }
};

/// A prepared statement. Parameters are 0-based; bindings persist across
/// runs until rebound or cleared. Free it with `deinit`.
pub const Stmt = struct {
    handle: *c.keel_stmt,
    diags: ?*Diagnostics,

    /// Free the statement. A cursor opened from it stays readable until freed.
    pub fn deinit(stmt: *Stmt) void {
        c.keel_stmt_free(stmt.handle);
        stmt.* = undefined;
    }

    /// How many parameters the statement has.
    pub fn paramCount(stmt: *const Stmt) usize {
        return c.keel_stmt_param_count(stmt.handle);
    }

    /// How many columns the statement's result has, before it runs: 0 for
    /// a statement that returns no rows. `error.NotImplemented` when the
    /// engine cannot tell before running it (see `keel_stmt_column_count`);
    /// then run it and ask the `Rows`.
    pub fn columnCount(stmt: *const Stmt) Error!usize {
        var n: usize = 0;
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_column_count(stmt.handle, &n, e.ptr()));
        return n;
    }

    /// The name of result column `i` (0-based), before the statement runs;
    /// valid until `deinit`.
    pub fn columnName(stmt: *const Stmt, i: usize) Error![]const u8 {
        var name: ?[*:0]const u8 = null;
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_column_name(stmt.handle, i, &name, e.ptr()));
        return std.mem.span(name.?);
    }

    /// The engine's type name of result column `i`, before the statement
    /// runs ("" when it has none); valid until `deinit`.
    pub fn columnEngineType(stmt: *const Stmt, i: usize) Error![]const u8 {
        var name: ?[*:0]const u8 = null;
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_column_engine_type(stmt.handle, i, &name, e.ptr()));
        return std.mem.span(name.?);
    }

    /// The keel type result column `i` will read as, before the statement
    /// runs (`.null` when each value has its own type).
    pub fn columnType(stmt: *const Stmt, i: usize) Error!values.Type {
        var t: c.keel_type = 0;
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_column_type(stmt.handle, i, &t, e.ptr()));
        return @enumFromInt(t);
    }

    /// Whether result column `i` may hold NULL, when the engine says,
    /// before the statement runs.
    pub fn columnNullable(stmt: *const Stmt, i: usize) Error!rows_mod.Nullable {
        var n: c.keel_nullable = 0;
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_column_nullable(stmt.handle, i, &n, e.ptr()));
        return @enumFromInt(n);
    }

    /// Bind the elements of the tuple `args` to parameters 0, 1, ...: one
    /// per parameter, as `Conn.exec` takes them. A tuple of another length
    /// is `error.InvalidArgument` and binds nothing (a short one would
    /// leave the last run's values in the parameters after it); to set
    /// some parameters only, use `bindAt`.
    pub fn bind(stmt: *const Stmt, args: anytype) Error!void {
        var params: [values.paramCount(@TypeOf(args))]c.keel_value = undefined;
        try stmt.checkArgCount(params.len);
        values.fillParams(@TypeOf(args), &args, &params);
        for (&params, 0..) |*p, i| {
            var e = ErrOut.init(stmt.diags);
            try e.check(c.keel_stmt_bind_value(stmt.handle, i, p, e.ptr()));
        }
    }

    /// keel's own check of `Conn.exec`'s arguments (src/core/db.rs's
    /// param_count), in its words, for the tuples of `bind`, `exec` and
    /// `query`, which keel binds one value at a time and so cannot count.
    fn checkArgCount(stmt: *const Stmt, given: usize) Error!void {
        const n = stmt.paramCount();
        if (given == n) return;
        const err = errors.fail(stmt.diags, error.InvalidArgument, "the statement has {d} parameter{s} but {d} value{s} given (to set one parameter and keep the others, use bindAt(index, value), then exec(.{{}}))", .{
            n,
            if (n == 1) "" else "s",
            given,
            if (given == 1) " was" else "s were",
        });
        if (stmt.diags) |d| d.retry_safety = .not_sent;
        return err;
    }

    /// Bind one value (any parameter type) to parameter `index`.
    pub fn bindAt(stmt: *const Stmt, index: usize, value: anytype) Error!void {
        const args = .{value};
        var params: [1]c.keel_value = undefined;
        values.fillParams(@TypeOf(args), &args, &params);
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_bind_value(stmt.handle, index, &params[0], e.ptr()));
    }

    /// Unbind every parameter.
    pub fn clearBindings(stmt: *const Stmt) Error!void {
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_clear_bindings(stmt.handle, e.ptr()));
    }

    /// Bind `args` (one value per parameter, as `bind`) and run the
    /// statement, discarding any rows. `.{}` runs it with the current
    /// bindings (set with `bindAt`, or kept from the last run).
    pub fn exec(stmt: *const Stmt, args: anytype) Error!ExecResult {
        if (comptime values.paramCount(@TypeOf(args)) != 0) try stmt.bind(args);
        var result: c.keel_exec_result = .{ .size = @sizeOf(c.keel_exec_result) };
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_execute(stmt.handle, &result, e.ptr()));
        return .fromC(result);
    }

    /// Bind `args` (one value per parameter, as `bind`; `.{}` keeps the
    /// current bindings) and run the statement as a query. A cursor opened
    /// earlier from this statement is closed by this call.
    pub fn query(stmt: *const Stmt, args: anytype) Error!Rows {
        if (comptime values.paramCount(@TypeOf(args)) != 0) try stmt.bind(args);
        var rows: ?*c.keel_rows = null;
        var e = ErrOut.init(stmt.diags);
        try e.check(c.keel_stmt_query(stmt.handle, &rows, e.ptr()));
        return .{ .handle = rows.?, .diags = stmt.diags };
    }
};
