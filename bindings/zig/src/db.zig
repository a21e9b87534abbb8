//! `Db`: a pool of connections to one database (a `keel_db`).
//!
//! Thread rule (from keel.h): one `keel_db` may be used from many threads
//! at once. A `Db` value only adds an allocator and a diagnostics pointer;
//! threads sharing one should not share its `diags` (give each checked-out
//! `Conn` its own).

const std = @import("std");
const c = @import("c.zig");
const errors = @import("errors.zig");
const conn_mod = @import("conn.zig");
const rows_mod = @import("rows.zig");
const CStr = @import("cstr.zig").CStr;

const Error = errors.Error;
const AllocError = errors.AllocError;
const Diagnostics = errors.Diagnostics;
const ErrOut = errors.ErrOut;
const Conn = conn_mod.Conn;
const ExecResult = conn_mod.ExecResult;
const Rows = rows_mod.Rows;

pub const Db = struct {
    handle: *c.keel_db,
    /// Used only for NUL-terminated copies of URLs and savepoint names of
    /// 1 KiB or more (SQL goes to C with its length, uncopied).
    allocator: std.mem.Allocator,
    /// Where failed calls put their details; copied into each checked-out
    /// `Conn` (which may be given its own).
    diags: ?*Diagnostics,

    pub const Options = struct {
        /// Receives the details of a failed call (including `open` itself).
        diags: ?*Diagnostics = null,
        /// The pool's settings; null keeps keel's default.
        pool: Pool = .{},
        /// Any other option, as key and value text (the same as in the
        /// URL's query string: `.{ .key = "busy_timeout_ms", .value = "2000" }`).
        options: []const Option = &.{},
    };

    /// The pool options of keel.h (`pool_max_open`, ...), by their names
    /// without `pool_`; each null keeps keel's default (see keel.h).
    pub const Pool = struct {
        /// Most connections open at once (0: no limit; keel's default).
        max_open: ?u32 = null,
        /// Most idle connections kept for reuse (default 2).
        max_idle: ?u32 = null,
        /// Idle connections kept open and ready (default 0).
        min_idle: ?u32 = null,
        /// How long `checkout` waits for a free connection before
        /// `error.Timeout` (default 30000; 0 waits forever).
        acquire_timeout_ms: ?u64 = null,
        /// Close connections older than this (default 0: no limit).
        max_lifetime_ms: ?u64 = null,
        /// Close connections idle longer than this (default 0: no limit).
        max_idle_time_ms: ?u64 = null,
        /// Ping a connection at checkout when idle longer than this
        /// (default 1000; 0 never pings).
        health_check_idle_ms: ?u64 = null,
        /// Prepared statements each connection keeps for `exec`/`query`
        /// (`stmt_cache_size`, default 32).
        stmt_cache_size: ?u32 = null,
    };

    /// One option as key and value text.
    pub const Option = struct { key: []const u8, value: []const u8 };

    /// Open a pool for a connection URL: `sqlite::memory:`,
    /// `sqlite:///abs/path.db`, `postgres://user@host/db?sslmode=require`,
    /// ... with options in the query string, in `options.pool` or in
    /// `options.options` (an unknown one, a bad value, or one given twice
    /// in `options` is `error.InvalidArgument`). One connection is opened at once, so a bad
    /// path, host or password fails here. Free the pool with `deinit`.
    pub fn open(allocator: std.mem.Allocator, url: []const u8, options: Options) AllocError!Db {
        var s: CStr = .{};
        defer s.deinit(allocator);
        const z = try s.init(allocator, url, options.diags, "URL");

        // keel_db_open_options takes NUL-terminated pairs: copies in an arena.
        var arena_state = std.heap.ArenaAllocator.init(allocator);
        defer arena_state.deinit();
        const arena = arena_state.allocator();
        var pairs: std.ArrayList(c.keel_option) = .empty;
        const pool_keys = .{
            .{ "max_open", c.KEEL_OPTION_POOL_MAX_OPEN },
            .{ "max_idle", c.KEEL_OPTION_POOL_MAX_IDLE },
            .{ "min_idle", c.KEEL_OPTION_POOL_MIN_IDLE },
            .{ "acquire_timeout_ms", c.KEEL_OPTION_POOL_ACQUIRE_TIMEOUT_MS },
            .{ "max_lifetime_ms", c.KEEL_OPTION_POOL_MAX_LIFETIME_MS },
            .{ "max_idle_time_ms", c.KEEL_OPTION_POOL_MAX_IDLE_TIME_MS },
            .{ "health_check_idle_ms", c.KEEL_OPTION_POOL_HEALTH_CHECK_IDLE_MS },
            .{ "stmt_cache_size", c.KEEL_OPTION_STMT_CACHE_SIZE },
        };
        comptime std.debug.assert(pool_keys.len == @typeInfo(Pool).@"struct".field_names.len);
        inline for (pool_keys) |k| {
            if (@field(options.pool, k[0])) |v| {
                try pairs.append(arena, .{ .key = k[1], .value = try std.fmt.allocPrintSentinel(arena, "{d}", .{v}, 0) });
            }
        }
        for (options.options) |o| {
            var ks: CStr = .{};
            var vs: CStr = .{};
            const key = try ks.init(arena, o.key, options.diags, "option key");
            const value = try vs.init(arena, o.value, options.diags, "option value");
            try pairs.append(arena, .{ .key = try arena.dupeSentinel(u8, std.mem.span(key), 0), .value = try arena.dupeSentinel(u8, std.mem.span(value), 0) });
        }

        var db: ?*c.keel_db = null;
        var e = ErrOut.init(options.diags);
        try e.check(c.keel_db_open_options(z, pairs.items.ptr, pairs.items.len, &db, e.ptr()));
        return .{ .handle = db.?, .allocator = allocator, .diags = options.diags };
    }

    /// Free the pool. Connections still checked out, and cursors that own
    /// one, stay usable and close when they are freed. Cannot fail.
    pub fn deinit(db: *Db) void {
        c.keel_db_free(db.handle);
        db.* = undefined;
    }

    /// Check a connection out of the pool (waiting when it is at
    /// `pool_max_open`). Return it with `Conn.deinit`.
    pub fn checkout(db: *const Db) Error!Conn {
        var conn: ?*c.keel_conn = null;
        var e = ErrOut.init(db.diags);
        try e.check(c.keel_db_checkout(db.handle, &conn, e.ptr()));
        return .{ .handle = conn.?, .allocator = db.allocator, .diags = db.diags };
    }

    /// Run one statement on a pooled connection, discarding any rows.
    pub fn exec(db: *const Db, sql: []const u8, args: anytype) Error!ExecResult {
        return conn_mod.execOn(db.handle, c.keel_db_exec_len, db.diags, sql, args);
    }

    /// Run a query on a pooled connection. The cursor owns that connection
    /// and returns it to the pool on `Rows.deinit`.
    pub fn query(db: *const Db, sql: []const u8, args: anytype) Error!Rows {
        return conn_mod.queryOn(db.handle, c.keel_db_query_len, db.diags, sql, args);
    }

    /// The SQL dialect of the pool's engine.
    pub fn dialect(db: *const Db) conn_mod.Dialect {
        return @enumFromInt(c.keel_db_dialect(db.handle));
    }
};
